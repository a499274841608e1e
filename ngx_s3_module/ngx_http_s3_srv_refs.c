
/*
 * Copyright (C) ngx_s3 authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_s3.h"
#include "ngx_http_s3_srv.h"


/*
 * Reference counts of body files.  Bodies are immutable and may be named
 * by several records (an upload's part, then the object completed from
 * it; later copies and versions): "R<body id>" counts the names.  The
 * metadata process runs one request at a time, so reading a count and
 * writing it back in the request's batch is one atomic step.
 */


#define NGX_HTTP_S3_REFS_CHUNK      1000


typedef struct {
    ngx_str_node_t             sn;          /* sn.str: the body id */
    ngx_int_t                  delta;
    ngx_uint_t                 named;       /* the count was above 0 (or
                                               could not be read) */
    ngx_uint_t                 unlink;      /* the count reached 0 */
    ngx_uint_t                 inline_body; /* "I<id>", not a file */
} ngx_http_s3_ref_t;


static ngx_http_s3_ref_t *ngx_http_s3_srv_ref_node(ngx_http_s3_exec_t *ex,
    ngx_str_t *id);
static ngx_int_t ngx_http_s3_srv_refs_apply(ngx_http_s3_exec_t *ex,
    ngx_http_s3_ref_t *ref);
static void ngx_http_s3_srv_refs_doubt(ngx_http_s3_exec_t *ex);
static ngx_int_t ngx_http_s3_srv_refs_clear(ngx_log_t *log);


ngx_int_t
ngx_http_s3_srv_ref(ngx_http_s3_exec_t *ex, ngx_str_t *id, ngx_int_t delta)
{
    ngx_http_s3_ref_t  *ref;

    ref = ngx_http_s3_srv_ref_node(ex, id);
    if (ref == NULL) {
        return NGX_ERROR;
    }

    ref->delta += delta;

    return NGX_OK;
}


static ngx_http_s3_ref_t *
ngx_http_s3_srv_ref_node(ngx_http_s3_exec_t *ex, ngx_str_t *id)
{
    uint32_t            hash;
    ngx_http_s3_ref_t  *ref;

    if (!ngx_http_s3_valid_body_id(id)) {
        ngx_log_error(NGX_LOG_ERR, ex->log, 0,
                      "s3 metadata: a reference to a bad body id");
        return NULL;
    }

    hash = ngx_crc32_short(id->data, id->len);

    ref = (ngx_http_s3_ref_t *) ngx_str_rbtree_lookup(&ex->refs, id, hash);

    if (ref == NULL) {
        ref = ngx_pcalloc(ex->pool, sizeof(ngx_http_s3_ref_t));
        if (ref == NULL) {
            return NULL;
        }

        /* the id may point into a record that goes before the commit */

        ref->sn.str.data = ngx_pstrdup(ex->pool, id);
        if (ref->sn.str.data == NULL) {
            return NULL;
        }

        ref->sn.str.len = id->len;
        ref->sn.node.key = hash;

        ngx_rbtree_insert(&ex->refs, &ref->sn.node);
    }

    return ref;
}


ngx_int_t
ngx_http_s3_srv_ref_object(ngx_http_s3_exec_t *ex, ngx_http_s3_object_t *o,
    ngx_int_t delta)
{
    ngx_uint_t             i;
    ngx_http_s3_ref_t     *ref;
    ngx_http_s3_extent_t  *ext;

    if (o->extents) {
        ext = o->extents->elts;

        for (i = 0; i < o->extents->nelts; i++) {
            if (ngx_http_s3_srv_ref(ex, &ext[i].body, delta) != NGX_OK) {
                return NGX_ERROR;
            }
        }

        return NGX_OK;
    }

    if (o->body.len == 0) {
        return NGX_OK;
    }

    ref = ngx_http_s3_srv_ref_node(ex, &o->body);
    if (ref == NULL) {
        return NGX_ERROR;
    }

    ref->delta += delta;

    if (o->flags & NGX_HTTP_S3_OBJECT_INLINE) {
        ref->inline_body = 1;
    }

    return NGX_OK;
}


ngx_int_t
ngx_http_s3_srv_ref_record(ngx_http_s3_exec_t *ex, ngx_str_t *rec,
    ngx_int_t delta)
{
    ngx_http_s3_object_t  o;

    if (ngx_http_s3_object_decode(rec, &o, ex->pool) != NGX_OK) {
        ngx_log_error(NGX_LOG_ERR, ex->log, 0,
                      "s3 metadata: a stored record does not decode, "
                      "its bodies are left as they are");
        return NGX_OK;
    }

    return ngx_http_s3_srv_ref_object(ex, &o, delta);
}


/*
 * The counts go into the request's batch and are written with its
 * records; only after that write are bodies unlinked
 */

ngx_int_t
ngx_http_s3_srv_commit(ngx_http_s3_exec_t *ex, const char *what)
{
    ngx_rbtree_node_t  *node, *root, *sentinel;
    ngx_http_s3_ref_t  *ref;

    root = ex->refs.root;
    sentinel = ex->refs.sentinel;

    if (ngx_http_s3_srv_usage_apply(ex) != NGX_OK) {
        ngx_http_s3_srv_refs_doubt(ex);
        return NGX_ERROR;
    }

    if (root != sentinel) {
        for (node = ngx_rbtree_min(root, sentinel);
             node;
             node = ngx_rbtree_next(&ex->refs, node))
        {
            ref = (ngx_http_s3_ref_t *) node;

            if (ref->delta
                && ngx_http_s3_srv_refs_apply(ex, ref) != NGX_OK)
            {
                ngx_http_s3_srv_refs_doubt(ex);
                return NGX_ERROR;
            }
        }
    }

    if (ngx_http_s3_engine_write(ex->log, ex->batch, what) != NGX_OK) {

        /* the write may show up when the database is reopened */

        ngx_http_s3_srv_refs_doubt(ex);
        return NGX_ERROR;
    }

    if (root == sentinel) {
        return NGX_OK;
    }

    for (node = ngx_rbtree_min(root, sentinel);
         node;
         node = ngx_rbtree_next(&ex->refs, node))
    {
        ref = (ngx_http_s3_ref_t *) node;

        if (ref->unlink) {
            ngx_http_s3_srv_unlink_body(ex, &ref->sn.str);

        } else if (ref->delta && !ref->inline_body) {
            /*
             * in a group commit: in doubt if the group's sync fails (an
             * inline body lives and goes with its records)
             */
            ngx_http_s3_srv_pending_body(ex, &ref->sn.str,
                                         ref->named || ref->delta < 0, 0);
        }
    }

    return NGX_OK;
}


/*
 * A commit failed: every body it touched is in doubt, decided once the
 * database can be read again (a new body the worker kept goes, a body
 * that lost its last name in a write that reached the log after all goes
 * too, later: readers may have it open)
 */

static void
ngx_http_s3_srv_refs_doubt(ngx_http_s3_exec_t *ex)
{
    ngx_rbtree_node_t  *node, *root, *sentinel;
    ngx_http_s3_ref_t  *ref;

    root = ex->refs.root;
    sentinel = ex->refs.sentinel;

    if (root == sentinel) {
        return;
    }

    for (node = ngx_rbtree_min(root, sentinel);
         node;
         node = ngx_rbtree_next(&ex->refs, node))
    {
        ref = (ngx_http_s3_ref_t *) node;

        if (ref->delta && !ref->inline_body) {
            ngx_http_s3_srv_doubt_body(ex, &ref->sn.str,
                                       ref->named || ref->delta < 0);
        }
    }
}


static ngx_int_t
ngx_http_s3_srv_refs_apply(ngx_http_s3_exec_t *ex, ngx_http_s3_ref_t *ref)
{
    u_char     *p;
    int64_t     count;
    ngx_int_t   rc;
    ngx_str_t   k, v;

    k.len = 1 + ref->sn.str.len;
    k.data = ngx_pnalloc(ex->pool, k.len + 4);
    if (k.data == NULL) {
        return NGX_ERROR;
    }

    k.data[0] = 'R';
    ngx_memcpy(k.data + 1, ref->sn.str.data, ref->sn.str.len);

    rc = ngx_http_s3_engine_get(ex->log, &k, &v);

    if (rc == NGX_ERROR) {
        return NGX_ERROR;
    }

    count = 0;

    if (rc == NGX_OK) {
        ref->named = 1;

        if (v.len == 4) {
            count = ((uint32_t) v.data[0] << 24) | ((uint32_t) v.data[1] << 16)
                    | ((uint32_t) v.data[2] << 8) | v.data[3];

        } else {
            ngx_log_error(NGX_LOG_ERR, ex->log, 0,
                          "s3 metadata: body \"%V\" has a bad reference "
                          "count", &ref->sn.str);
        }

        ngx_http_s3_engine_free(&v);
    }

    count += ref->delta;

    if (count <= 0) {

        if (count < 0) {
            ngx_log_error(NGX_LOG_ERR, ex->log, 0,
                          "s3 metadata: body \"%V\" had fewer references "
                          "than records naming it", &ref->sn.str);
        }

        ngx_http_s3_batch_delete(ex->batch, &k);

        /* an inline body goes in the same batch, a file after it */

        if (ref->inline_body) {
            return ngx_http_s3_srv_inline_delete(ex, &ref->sn.str);
        }

        ref->unlink = 1;

        return NGX_OK;
    }

    if (count > 0xffffffff) {
        ngx_log_error(NGX_LOG_ERR, ex->log, 0,
                      "s3 metadata: body \"%V\" has too many references",
                      &ref->sn.str);
        return NGX_ERROR;
    }

    p = k.data + k.len;

    p[0] = (u_char) (count >> 24);
    p[1] = (u_char) (count >> 16);
    p[2] = (u_char) (count >> 8);
    p[3] = (u_char) count;

    v.data = p;
    v.len = 4;

    ngx_http_s3_batch_put(ex->batch, &k, &v);

    return NGX_OK;
}


/*
 * A format 1 database has no counts: every body of every object record
 * gets its count, in batches, before the process serves.  Counts left by
 * a rebuild that was interrupted are removed first, so that it can run
 * again.
 */

ngx_int_t
ngx_http_s3_srv_refs_rebuild(ngx_log_t *log)
{
    ngx_int_t              rc;
    ngx_str_t              k, v;
    ngx_uint_t             n, objects;
    ngx_http_s3_exec_t     ex;
    ngx_http_s3_iter_t    *it;
    ngx_http_s3_object_t   o;

    if (ngx_http_s3_srv_refs_clear(log) != NGX_OK) {
        return NGX_ERROR;
    }

    if (ngx_http_s3_srv_exec_init(&ex, log) != NGX_OK) {
        return NGX_ERROR;
    }

    rc = NGX_OK;
    n = 0;
    objects = 0;

    it = ngx_http_s3_engine_iter();

    for (ngx_http_s3_iter_seek(it, (u_char *) "O", 1);
         ngx_http_s3_iter_valid(it);
         ngx_http_s3_iter_next(it))
    {
        ngx_http_s3_iter_key(it, &k);

        if (k.len == 0 || k.data[0] != 'O') {
            break;
        }

        ngx_http_s3_iter_value(it, &v);

        if (ngx_http_s3_object_decode(&v, &o, ex.pool) != NGX_OK) {
            ngx_log_error(NGX_LOG_ERR, log, 0,
                          "s3 metadata: object record \"%*s\" does not "
                          "decode, skipped", ngx_min(k.len, 256), k.data);
            continue;
        }

        if (ngx_http_s3_srv_ref_object(&ex, &o, 1) != NGX_OK) {
            rc = NGX_ERROR;
            break;
        }

        objects++;

        if (++n < NGX_HTTP_S3_REFS_CHUNK) {
            continue;
        }

        /* a chunk: its counts are written, a new context for the next */

        rc = ngx_http_s3_srv_commit(&ex, "reference counts");
        ngx_destroy_pool(ex.pool);
        n = 0;

        if (rc != NGX_OK || ngx_http_s3_srv_exec_init(&ex, log) != NGX_OK) {
            ngx_http_s3_iter_destroy(it);
            return NGX_ERROR;
        }
    }

    if (rc == NGX_OK
        && !ngx_http_s3_iter_valid(it)
        && ngx_http_s3_iter_status(log, it) != NGX_OK)
    {
        rc = NGX_ERROR;
    }

    ngx_http_s3_iter_destroy(it);

    if (rc == NGX_OK) {
        rc = ngx_http_s3_srv_commit(&ex, "reference counts");
    }

    ngx_destroy_pool(ex.pool);

    if (rc == NGX_OK) {
        ngx_log_error(NGX_LOG_NOTICE, log, 0,
                      "s3 metadata: reference counts of the bodies of %ui "
                      "objects written", objects);
    }

    return rc;
}


static ngx_int_t
ngx_http_s3_srv_refs_clear(ngx_log_t *log)
{
    ngx_int_t             rc;
    ngx_str_t             k;
    ngx_uint_t            n;
    ngx_pool_t           *pool;
    ngx_http_s3_iter_t   *it;
    ngx_http_s3_batch_t  *b;

    pool = ngx_create_pool(4096, log);
    if (pool == NULL) {
        return NGX_ERROR;
    }

    b = ngx_http_s3_engine_batch(pool);
    if (b == NULL) {
        ngx_destroy_pool(pool);
        return NGX_ERROR;
    }

    n = 0;
    rc = NGX_OK;

    it = ngx_http_s3_engine_iter();

    for (ngx_http_s3_iter_seek(it, (u_char *) "R", 1);
         ngx_http_s3_iter_valid(it);
         ngx_http_s3_iter_next(it))
    {
        ngx_http_s3_iter_key(it, &k);

        if (k.len == 0 || k.data[0] != 'R') {
            break;
        }

        /* the batch copies the key */
        ngx_http_s3_batch_delete(b, &k);
        n++;
    }

    if (!ngx_http_s3_iter_valid(it)
        && ngx_http_s3_iter_status(log, it) != NGX_OK)
    {
        rc = NGX_ERROR;
    }

    ngx_http_s3_iter_destroy(it);

    if (rc == NGX_OK && n) {
        rc = ngx_http_s3_engine_write(log, b, "reference counts");
    }

    ngx_destroy_pool(pool);

    return rc;
}
