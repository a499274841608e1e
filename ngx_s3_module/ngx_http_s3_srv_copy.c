
/*
 * Copyright (C) ngx_s3 authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_s3.h"
#include "ngx_http_s3_srv.h"


/*
 * The metadata side of CopyObject.  In one step: the source's record is
 * read, the copy-source conditions and the target's conditional write
 * are decided against the records read now, and the new record, which
 * names the source's body or extents, is committed with their counts
 * raised and the replaced target's lowered in the same batch.  No byte
 * of a body is read or copied.
 */


static ngx_int_t ngx_http_s3_srv_copy_record(ngx_http_s3_exec_t *ex,
    ngx_http_s3_object_t *src, ngx_http_s3_object_t *tpl,
    ngx_uint_t directives, ngx_http_s3_object_t *n, ngx_str_t *rec);
static ngx_uint_t ngx_http_s3_srv_copy_fail(ngx_http_s3_exec_t *ex,
    ngx_uint_t st, ngx_uint_t which);
static ngx_int_t ngx_http_s3_srv_copy_get(ngx_http_s3_exec_t *ex,
    ngx_str_t *k, ngx_str_t *v);


ngx_uint_t
ngx_http_s3_op_object_copy(ngx_http_s3_exec_t *ex)
{
    ngx_int_t                 rc;
    ngx_str_t                 sbucket, skey, bucket, key, tpl, expect;
    ngx_str_t                 sk, k, src, old, rec;
    ngx_uint_t                directives, st;
    ngx_http_s3_object_t      so, t, n, prev;
    ngx_http_s3_copy_cond_t   cc;
    ngx_http_s3_write_cond_t  wc;

    ngx_http_s3_wire_get_str(&ex->req, &sbucket);
    ngx_http_s3_wire_get_str(&ex->req, &skey);
    ngx_http_s3_wire_get_str(&ex->req, &bucket);
    ngx_http_s3_wire_get_str(&ex->req, &key);
    directives = ngx_http_s3_wire_get_u8(&ex->req);
    ngx_http_s3_wire_get_str(&ex->req, &tpl);
    ngx_http_s3_wire_get_copy_cond(&ex->req, &cc);
    ngx_http_s3_wire_get_cond(&ex->req, &wc);
    ngx_http_s3_wire_get_str(&ex->req, &expect);

    if (ex->req.error
        || ngx_http_s3_object_decode(&tpl, &t, ex->pool) != NGX_OK)
    {
        return NGX_HTTP_S3_WIRE_ST_BAD_REQUEST;
    }

    st = ngx_http_s3_srv_bucket_exists(ex, &bucket);

    if (st != NGX_HTTP_S3_WIRE_ST_OK) {
        return ngx_http_s3_srv_copy_fail(ex, st,
                                         NGX_HTTP_S3_WIRE_COPY_TARGET);
    }

    /* the source */

    if (ngx_http_s3_srv_key(ex, &sk, 'O', &sbucket, &skey) != NGX_OK) {
        return NGX_HTTP_S3_WIRE_ST_ERROR;
    }

    rc = ngx_http_s3_srv_copy_get(ex, &sk, &src);

    if (rc == NGX_ERROR) {
        return NGX_HTTP_S3_WIRE_ST_ERROR;
    }

    if (rc == NGX_DECLINED) {
        st = ngx_http_s3_srv_bucket_exists(ex, &sbucket);

        if (st == NGX_HTTP_S3_WIRE_ST_OK) {
            st = NGX_HTTP_S3_WIRE_ST_NO_KEY;
        }

        return ngx_http_s3_srv_copy_fail(ex, st,
                                         NGX_HTTP_S3_WIRE_COPY_SOURCE);
    }

    if (ngx_http_s3_object_decode(&src, &so, ex->pool) != NGX_OK) {
        ngx_log_error(NGX_LOG_ERR, ex->log, 0,
                      "s3 metadata: the record of copy source \"%V/%V\" "
                      "does not decode", &sbucket, &skey);
        return NGX_HTTP_S3_WIRE_ST_ERROR;
    }

    if (so.flags & NGX_HTTP_S3_OBJECT_DELETE_MARKER) {
        return ngx_http_s3_srv_copy_fail(ex, NGX_HTTP_S3_WIRE_ST_NO_KEY,
                                         NGX_HTTP_S3_WIRE_COPY_SOURCE);
    }

    /* a copy that read the source's bytes is made of those bytes only */

    if (expect.len
        && (expect.len != src.len
            || ngx_memcmp(expect.data, src.data, src.len) != 0))
    {
        return NGX_HTTP_S3_WIRE_ST_CHANGED;
    }

    if (ngx_http_s3_srv_copy_record(ex, &so, &t, directives, &n, &rec)
        != NGX_OK)
    {
        return NGX_HTTP_S3_WIRE_ST_ERROR;
    }

    /* the target */

    if (ngx_http_s3_srv_key(ex, &k, 'O', &bucket, &key) != NGX_OK) {
        return NGX_HTTP_S3_WIRE_ST_ERROR;
    }

    rc = ngx_http_s3_srv_copy_get(ex, &k, &old);

    if (rc == NGX_ERROR) {
        return NGX_HTTP_S3_WIRE_ST_ERROR;
    }

    /*
     * a replay: the target is already the very record this request makes
     * (the same source, the same mtime from the same request)
     */

    if (rc == NGX_OK
        && old.len == rec.len && ngx_memcmp(old.data, rec.data, rec.len) == 0)
    {
        ngx_http_s3_wire_put_str(ex->out, &rec);
        return NGX_HTTP_S3_WIRE_ST_OK;
    }

    if (so.size > NGX_HTTP_S3_WIRE_COPY_MAX_SOURCE) {
        return NGX_HTTP_S3_WIRE_ST_SOURCE_TOO_LARGE;
    }

    if (ngx_http_s3_copy_cond_check(&cc, &so.etag, so.mtime) != NGX_OK) {
        return ngx_http_s3_srv_copy_fail(ex, NGX_HTTP_S3_WIRE_ST_PRECONDITION,
                                         NGX_HTTP_S3_WIRE_COPY_SOURCE);
    }

    if (rc == NGX_OK) {
        if (ngx_http_s3_object_decode(&old, &prev, ex->pool) != NGX_OK) {
            ngx_memzero(&prev, sizeof(ngx_http_s3_object_t));
        }
    }

    st = ngx_http_s3_write_cond_check(&wc, (rc == NGX_OK) ? &prev.etag
                                                          : NULL);

    if (st != NGX_HTTP_S3_WIRE_ST_OK) {
        return ngx_http_s3_srv_copy_fail(ex, st,
                                         NGX_HTTP_S3_WIRE_COPY_TARGET);
    }

    /* the replaced version's bodies lose a name */

    if (rc == NGX_OK && ngx_http_s3_srv_ref_object(ex, &prev, -1) != NGX_OK)
    {
        return NGX_HTTP_S3_WIRE_ST_ERROR;
    }

    /* and the source's gain one: a copy onto itself changes no count */

    if (ngx_http_s3_srv_ref_object(ex, &n, 1) != NGX_OK) {
        return NGX_HTTP_S3_WIRE_ST_ERROR;
    }

    ngx_http_s3_batch_put(ex->batch, &k, &rec);

    if (ngx_http_s3_srv_commit(ex, "CopyObject") != NGX_OK) {
        return NGX_HTTP_S3_WIRE_ST_ERROR;
    }

    ngx_http_s3_wire_put_str(ex->out, &rec);

    return NGX_HTTP_S3_WIRE_ST_OK;
}


/*
 * The new record: the source's bytes (body or extents), size, ETag,
 * parts and checksum, with what the request sets from the template: its
 * time and owner always, its content headers and metadata for REPLACE,
 * its tagging for a tagging REPLACE, and a checksum it computed
 */

static ngx_int_t
ngx_http_s3_srv_copy_record(ngx_http_s3_exec_t *ex,
    ngx_http_s3_object_t *src, ngx_http_s3_object_t *tpl,
    ngx_uint_t directives, ngx_http_s3_object_t *n, ngx_str_t *rec)
{
    size_t               size;
    ngx_uint_t           i;
    ngx_array_t         *parts;
    ngx_http_s3_part_t  *p, *sp;
    ngx_http_s3_pair_t  *pair;
    ngx_http_s3_wbuf_t   b;

    *n = *src;

    n->mtime = tpl->mtime;
    n->owner = tpl->owner;
    n->version = tpl->version;
    n->flags = 0;

    /* the copy was not completed from the source's upload */
    ngx_str_null(&n->upload_id);

    if (directives & NGX_HTTP_S3_WIRE_COPY_REPLACE_META) {
        n->content_type = tpl->content_type;
        n->content_encoding = tpl->content_encoding;
        n->content_disposition = tpl->content_disposition;
        n->content_language = tpl->content_language;
        n->cache_control = tpl->cache_control;
        n->expires = tpl->expires;
        n->meta = tpl->meta;
    }

    if (directives & NGX_HTTP_S3_WIRE_COPY_REPLACE_TAGGING) {
        n->tagging = tpl->tagging;
    }

    if ((directives & NGX_HTTP_S3_WIRE_COPY_CHECKSUM) && tpl->checksum_alg)
    {
        /* the parts' checksums are of the old algorithm: they go */

        if (src->parts && src->checksum_alg != tpl->checksum_alg) {
            parts = ngx_array_create(ex->pool, src->parts->nelts,
                                     sizeof(ngx_http_s3_part_t));
            if (parts == NULL) {
                return NGX_ERROR;
            }

            sp = src->parts->elts;

            for (i = 0; i < src->parts->nelts; i++) {
                p = ngx_array_push(parts);
                if (p == NULL) {
                    return NGX_ERROR;
                }

                *p = sp[i];
                ngx_str_null(&p->checksum);
            }

            n->parts = parts;
        }

        n->checksum_alg = tpl->checksum_alg;
        n->checksum_type = tpl->checksum_type;
        n->checksum = tpl->checksum;
    }

    size = 512 + n->etag.len + n->owner.len + n->version.len
           + n->content_type.len + n->content_encoding.len
           + n->content_disposition.len + n->content_language.len
           + n->cache_control.len + n->expires.len + n->tagging.len
           + n->checksum.len
           + (n->extents ? n->extents->nelts * (NGX_HTTP_S3_BODY_ID_LEN + 16)
                         : 0)
           + (n->parts ? n->parts->nelts * (8 + 16 + 1 + 32) : 0);

    if (n->meta) {
        pair = n->meta->elts;

        for (i = 0; i < n->meta->nelts; i++) {
            size += 8 + pair[i].name.len + pair[i].value.len;
        }
    }

    if (ngx_http_s3_wbuf_init(&b, ex->pool, size) != NGX_OK) {
        return NGX_ERROR;
    }

    ngx_http_s3_object_encode(&b, n);

    if (b.error) {
        return NGX_ERROR;
    }

    rec->data = b.start;
    rec->len = b.pos - b.start;

    return NGX_OK;
}


/* an error about the source or the target: which one follows the status */

static ngx_uint_t
ngx_http_s3_srv_copy_fail(ngx_http_s3_exec_t *ex, ngx_uint_t st,
    ngx_uint_t which)
{
    if (st != NGX_HTTP_S3_WIRE_ST_ERROR) {
        ngx_http_s3_wire_put_u8(ex->out, (uint8_t) which);
    }

    return st;
}


/* a record into the request's pool: NGX_OK, NGX_DECLINED, NGX_ERROR */

static ngx_int_t
ngx_http_s3_srv_copy_get(ngx_http_s3_exec_t *ex, ngx_str_t *k, ngx_str_t *v)
{
    u_char     *p;
    ngx_int_t   rc;
    ngx_str_t   value;

    rc = ngx_http_s3_engine_get(ex->log, k, &value);

    if (rc != NGX_OK) {
        return rc;
    }

    p = ngx_pnalloc(ex->pool, value.len + 1);

    if (p == NULL) {
        ngx_http_s3_engine_free(&value);
        return NGX_ERROR;
    }

    ngx_memcpy(p, value.data, value.len);
    ngx_http_s3_engine_free(&value);

    v->data = p;
    v->len = value.len;

    return NGX_OK;
}
