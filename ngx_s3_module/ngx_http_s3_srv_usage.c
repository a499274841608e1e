
/*
 * Copyright (C) ngx_s3 authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_s3.h"
#include "ngx_http_s3_srv.h"


/*
 * Bucket usage, exact and O(1) to read:
 *
 *     C <bucket>     objects, bytes, non-current versions and their bytes,
 *                    parts of uploads in progress and their bytes
 *     C              the usage has been kept since the database was
 *                    counted once (written by that count)
 *
 * An operation notes what it adds and removes (ngx_http_s3_srv_usage());
 * the sums go into the batch of its commit, so a usage record always
 * agrees with the records it counts, crash or not.  A quota
 * (s3_quota) is checked before the commit against the stored usage and
 * what the request adds: the process runs one request at a time, so no
 * two writes can both pass the last byte of a quota.
 */


typedef struct {
    ngx_str_t                  bucket;
    int64_t                    d[NGX_HTTP_S3_USAGE_N];
    ngx_uint_t                 drop;        /* the bucket goes */
} ngx_http_s3_usage_delta_t;


typedef struct {
    ngx_str_t                  bucket;
    off_t                      max_size;    /* -1: none */
    ngx_int_t                  max_objects; /* -1: none */
} ngx_http_s3_quota_t;


static ngx_http_s3_usage_delta_t *ngx_http_s3_srv_usage_delta(
    ngx_http_s3_exec_t *ex, ngx_str_t *bucket);
static ngx_int_t ngx_http_s3_srv_usage_load(ngx_http_s3_exec_t *ex,
    ngx_str_t *bucket, ngx_str_t *key, ngx_http_s3_usage_t *u);
static ngx_http_s3_quota_t *ngx_http_s3_quota_find(ngx_str_t *bucket);
static ngx_int_t ngx_http_s3_usage_reply(ngx_http_s3_exec_t *ex,
    ngx_str_t *key, ngx_str_t *value, void *data);
static ngx_int_t ngx_http_s3_usage_count_parts(ngx_http_s3_exec_t *ex,
    ngx_str_t *key, ngx_str_t *value, void *data);


/*
 * An operation's change to a bucket's usage: a record of the kind
 * (NGX_HTTP_S3_USAGE_OBJECTS, _VERSIONS, _PARTS) of size bytes appears
 * (delta 1) or goes (delta -1)
 */

ngx_int_t
ngx_http_s3_srv_usage(ngx_http_s3_exec_t *ex, ngx_str_t *bucket,
    ngx_uint_t kind, uint64_t size, ngx_int_t delta)
{
    ngx_http_s3_usage_delta_t  *ud;

    ud = ngx_http_s3_srv_usage_delta(ex, bucket);
    if (ud == NULL) {
        return NGX_ERROR;
    }

    ud->d[kind] += delta;
    ud->d[kind + 1] += delta * (int64_t) size;

    return NGX_OK;
}


/*
 * A write of a record of the kind, replacing prev (or NULL): the usage
 * changes, then the quotas; NGX_HTTP_S3_WIRE_ST_OK, _QUOTA or _ERROR
 */

ngx_uint_t
ngx_http_s3_srv_usage_replace(ngx_http_s3_exec_t *ex, ngx_str_t *bucket,
    ngx_uint_t kind, ngx_http_s3_object_t *prev, uint64_t size)
{
    if ((prev
         && ngx_http_s3_srv_usage(ex, bucket, kind, prev->size, -1)
            != NGX_OK)
        || ngx_http_s3_srv_usage(ex, bucket, kind, size, 1) != NGX_OK)
    {
        return NGX_HTTP_S3_WIRE_ST_ERROR;
    }

    return ngx_http_s3_srv_usage_check(ex);
}


/* into the commit: the bucket goes, its usage with it */

ngx_int_t
ngx_http_s3_srv_usage_drop(ngx_http_s3_exec_t *ex, ngx_str_t *bucket)
{
    ngx_http_s3_usage_delta_t  *ud;

    ud = ngx_http_s3_srv_usage_delta(ex, bucket);
    if (ud == NULL) {
        return NGX_ERROR;
    }

    ud->drop = 1;

    return NGX_OK;
}


static ngx_http_s3_usage_delta_t *
ngx_http_s3_srv_usage_delta(ngx_http_s3_exec_t *ex, ngx_str_t *bucket)
{
    ngx_uint_t                  i;
    ngx_http_s3_usage_delta_t  *ud;

    if (ex->usage == NULL) {
        ex->usage = ngx_array_create(ex->pool, 1,
                                     sizeof(ngx_http_s3_usage_delta_t));
        if (ex->usage == NULL) {
            return NULL;
        }
    }

    ud = ex->usage->elts;

    for (i = 0; i < ex->usage->nelts; i++) {
        if (ud[i].bucket.len == bucket->len
            && ngx_memcmp(ud[i].bucket.data, bucket->data, bucket->len) == 0)
        {
            return &ud[i];
        }
    }

    ud = ngx_array_push(ex->usage);
    if (ud == NULL) {
        return NULL;
    }

    ngx_memzero(ud, sizeof(ngx_http_s3_usage_delta_t));

    ud->bucket.len = bucket->len;
    ud->bucket.data = ngx_pstrdup(ex->pool, bucket);

    return (ud->bucket.data == NULL) ? NULL : ud;
}


/*
 * Before a commit that adds: NGX_HTTP_S3_WIRE_ST_OK, or _QUOTA when the
 * stored usage and what the request adds pass a bucket's s3_quota (a
 * request that adds nothing passes: a delete, an overwrite by a smaller
 * object), or _ERROR
 */

ngx_uint_t
ngx_http_s3_srv_usage_check(ngx_http_s3_exec_t *ex)
{
    int64_t                     objects, bytes;
    ngx_str_t                   k;
    ngx_uint_t                  i;
    ngx_http_s3_quota_t        *q;
    ngx_http_s3_usage_t         u;
    ngx_http_s3_usage_delta_t  *ud;

    if (ex->usage == NULL) {
        return NGX_HTTP_S3_WIRE_ST_OK;
    }

    ud = ex->usage->elts;

    for (i = 0; i < ex->usage->nelts; i++) {
        q = ngx_http_s3_quota_find(&ud[i].bucket);

        if (q == NULL) {
            continue;
        }

        objects = ud[i].d[NGX_HTTP_S3_USAGE_OBJECTS]
                  + ud[i].d[NGX_HTTP_S3_USAGE_VERSIONS];
        bytes = ud[i].d[NGX_HTTP_S3_USAGE_BYTES]
                + ud[i].d[NGX_HTTP_S3_USAGE_VERSION_BYTES]
                + ud[i].d[NGX_HTTP_S3_USAGE_PART_BYTES];

        if (objects <= 0 && bytes <= 0) {
            continue;
        }

        if (ngx_http_s3_srv_usage_load(ex, &ud[i].bucket, &k, &u)
            == NGX_ERROR)
        {
            return NGX_HTTP_S3_WIRE_ST_ERROR;
        }

        if (q->max_objects >= 0 && objects > 0
            && u.n[NGX_HTTP_S3_USAGE_OBJECTS] + u.n[NGX_HTTP_S3_USAGE_VERSIONS]
               + objects > (uint64_t) q->max_objects)
        {
            return NGX_HTTP_S3_WIRE_ST_QUOTA;
        }

        if (q->max_size >= 0 && bytes > 0
            && u.n[NGX_HTTP_S3_USAGE_BYTES]
               + u.n[NGX_HTTP_S3_USAGE_VERSION_BYTES]
               + u.n[NGX_HTTP_S3_USAGE_PART_BYTES] + bytes
               > (uint64_t) q->max_size)
        {
            return NGX_HTTP_S3_WIRE_ST_QUOTA;
        }
    }

    return NGX_HTTP_S3_WIRE_ST_OK;
}


/* in ngx_http_s3_srv_commit(): the new usage into the batch */

ngx_int_t
ngx_http_s3_srv_usage_apply(ngx_http_s3_exec_t *ex)
{
    int64_t                     n;
    ngx_str_t                   k, rec;
    ngx_uint_t                  i, j, changed;
    ngx_http_s3_wbuf_t          b;
    ngx_http_s3_usage_t         u;
    ngx_http_s3_usage_delta_t  *ud;

    if (ex->usage == NULL) {
        return NGX_OK;
    }

    ud = ex->usage->elts;

    for (i = 0; i < ex->usage->nelts; i++) {

        if (ud[i].drop) {
            if (ngx_http_s3_srv_key(ex, &k, 'C', &ud[i].bucket, NULL)
                != NGX_OK)
            {
                return NGX_ERROR;
            }

            ngx_http_s3_batch_delete(ex->batch, &k);
            continue;
        }

        changed = 0;

        for (j = 0; j < NGX_HTTP_S3_USAGE_N; j++) {
            changed |= (ud[i].d[j] != 0);
        }

        if (!changed) {
            continue;
        }

        if (ngx_http_s3_srv_usage_load(ex, &ud[i].bucket, &k, &u)
            == NGX_ERROR)
        {
            return NGX_ERROR;
        }

        for (j = 0; j < NGX_HTTP_S3_USAGE_N; j++) {
            n = (int64_t) u.n[j] + ud[i].d[j];

            if (n < 0) {
                ngx_log_error(NGX_LOG_ERR, ex->log, 0,
                              "s3 metadata: usage of bucket \"%V\" would "
                              "go below 0, kept at 0", &ud[i].bucket);
                n = 0;
            }

            u.n[j] = (uint64_t) n;
        }

        if (ngx_http_s3_wbuf_init(&b, ex->pool, 64) != NGX_OK) {
            return NGX_ERROR;
        }

        ngx_http_s3_usage_encode(&b, &u);

        if (b.error) {
            return NGX_ERROR;
        }

        rec.data = b.start;
        rec.len = b.pos - b.start;

        ngx_http_s3_batch_put(ex->batch, &k, &rec);
    }

    return NGX_OK;
}


/* the stored usage of a bucket (none: 0), and the key of its record */

static ngx_int_t
ngx_http_s3_srv_usage_load(ngx_http_s3_exec_t *ex, ngx_str_t *bucket,
    ngx_str_t *key, ngx_http_s3_usage_t *u)
{
    ngx_int_t  rc;
    ngx_str_t  v;

    ngx_memzero(u, sizeof(ngx_http_s3_usage_t));

    if (ngx_http_s3_srv_key(ex, key, 'C', bucket, NULL) != NGX_OK) {
        return NGX_ERROR;
    }

    rc = ngx_http_s3_engine_get(ex->log, key, &v);

    if (rc != NGX_OK) {
        return rc;
    }

    rc = ngx_http_s3_usage_decode(&v, u);
    ngx_http_s3_engine_free(&v);

    if (rc != NGX_OK) {
        ngx_log_error(NGX_LOG_ERR, ex->log, 0,
                      "s3 metadata: usage of bucket \"%V\" does not decode, "
                      "counted from 0", bucket);
        ngx_memzero(u, sizeof(ngx_http_s3_usage_t));
    }

    return NGX_OK;
}


/*
 * USAGE_GET   str bucket    OK: 6 x u64 | NO_BUCKET
 * USAGE_LIST  -             OK: u32 n, n x (str bucket, 6 x u64)
 */

ngx_uint_t
ngx_http_s3_op_usage_get(ngx_http_s3_exec_t *ex)
{
    ngx_str_t            bucket, k;
    ngx_uint_t           i, st;
    ngx_http_s3_usage_t  u;

    ngx_http_s3_wire_get_str(&ex->req, &bucket);

    if (ex->req.error || bucket.len == 0) {
        return NGX_HTTP_S3_WIRE_ST_BAD_REQUEST;
    }

    st = ngx_http_s3_srv_bucket_exists(ex, &bucket);

    if (st != NGX_HTTP_S3_WIRE_ST_OK) {
        return st;
    }

    if (ngx_http_s3_srv_usage_load(ex, &bucket, &k, &u) == NGX_ERROR) {
        return NGX_HTTP_S3_WIRE_ST_ERROR;
    }

    for (i = 0; i < NGX_HTTP_S3_USAGE_N; i++) {
        ngx_http_s3_wire_put_u64(ex->out, u.n[i]);
    }

    return ex->out->error ? NGX_HTTP_S3_WIRE_ST_ERROR
                          : NGX_HTTP_S3_WIRE_ST_OK;
}


ngx_uint_t
ngx_http_s3_op_usage_list(ngx_http_s3_exec_t *ex)
{
    size_t      at;
    u_char     *p;
    uint32_t    n;
    ngx_str_t   prefix;

    ngx_str_set(&prefix, "B");

    at = ex->out->pos - ex->out->start;
    ngx_http_s3_wire_put_u32(ex->out, 0);

    n = 0;

    if (ngx_http_s3_srv_scan(ex, &prefix, ngx_http_s3_usage_reply, &n)
        != NGX_OK || ex->out->error)
    {
        return NGX_HTTP_S3_WIRE_ST_ERROR;
    }

    p = ex->out->start + at;
    p[0] = (u_char) (n >> 24);
    p[1] = (u_char) (n >> 16);
    p[2] = (u_char) (n >> 8);
    p[3] = (u_char) n;

    return NGX_HTTP_S3_WIRE_ST_OK;
}


/* a bucket ("B<name>") of USAGE_LIST: its name and usage */

static ngx_int_t
ngx_http_s3_usage_reply(ngx_http_s3_exec_t *ex, ngx_str_t *key,
    ngx_str_t *value, void *data)
{
    uint32_t *n = data;

    ngx_str_t            bucket, k;
    ngx_uint_t           i;
    ngx_http_s3_usage_t  u;

    bucket.data = key->data + 1;
    bucket.len = key->len - 1;

    if (bucket.len == 0) {
        return NGX_OK;
    }

    if (ngx_http_s3_srv_usage_load(ex, &bucket, &k, &u) == NGX_ERROR) {
        return NGX_ERROR;
    }

    ngx_http_s3_wire_put_str(ex->out, &bucket);

    for (i = 0; i < NGX_HTTP_S3_USAGE_N; i++) {
        ngx_http_s3_wire_put_u64(ex->out, u.n[i]);
    }

    (*n)++;

    return NGX_OK;
}


/*
 * A database whose usage was never kept (written before usage existed,
 * or by a count that was interrupted) is counted once at open, before
 * the process serves: every current object, every part of an upload in
 * progress.  Stale usage records are removed in the same batch that
 * writes the counts and the marker.
 */

ngx_int_t
ngx_http_s3_srv_usage_count(ngx_log_t *log)
{
    ngx_int_t              rc;
    ngx_str_t              k, v, bucket, marker, empty;
    ngx_uint_t             objects;
    ngx_http_s3_exec_t     ex;
    ngx_http_s3_iter_t    *it;
    ngx_http_s3_object_t   o;
    u_char                *z;

    ngx_str_set(&marker, "C");

    if (ngx_http_s3_srv_exec_init(&ex, log) != NGX_OK) {
        return NGX_ERROR;
    }

    rc = ngx_http_s3_engine_get(log, &marker, &v);

    if (rc != NGX_DECLINED) {
        if (rc == NGX_OK) {
            ngx_http_s3_engine_free(&v);
        }

        ngx_destroy_pool(ex.pool);
        return (rc == NGX_OK) ? NGX_OK : NGX_ERROR;
    }

    ngx_log_error(NGX_LOG_NOTICE, log, 0,
                  "s3 metadata: counting the usage of every bucket");

    /* stale usage records go */

    rc = NGX_OK;
    it = ngx_http_s3_engine_iter();

    for (ngx_http_s3_iter_seek(it, (u_char *) "C", 1);
         ngx_http_s3_iter_valid(it);
         ngx_http_s3_iter_next(it))
    {
        ngx_http_s3_iter_key(it, &k);

        if (k.len == 0 || k.data[0] != 'C') {
            break;
        }

        v.len = k.len;
        v.data = ngx_pstrdup(ex.pool, &k);

        if (v.data == NULL) {
            rc = NGX_ERROR;
            break;
        }

        ngx_http_s3_batch_delete(ex.batch, &v);
    }

    /* the current objects */

    objects = 0;

    if (rc == NGX_OK) {
        for (ngx_http_s3_iter_seek(it, (u_char *) "O", 1);
             ngx_http_s3_iter_valid(it);
             ngx_http_s3_iter_next(it))
        {
            ngx_http_s3_iter_key(it, &k);

            if (k.len == 0 || k.data[0] != 'O') {
                break;
            }

            z = ngx_strlchr(k.data + 1, k.data + k.len, '\0');

            if (z == NULL) {
                continue;
            }

            bucket.data = k.data + 1;
            bucket.len = z - bucket.data;

            ngx_http_s3_iter_value(it, &v);

            if (ngx_http_s3_object_decode(&v, &o, NULL) != NGX_OK) {
                continue;
            }

            /*
             * a current version (with a sequence) is also in "V": counted
             * there as a version, taken back here
             */

            if (ngx_http_s3_srv_usage(&ex, &bucket, NGX_HTTP_S3_USAGE_OBJECTS,
                                      o.size, 1)
                != NGX_OK
                || (o.seq
                    && ngx_http_s3_srv_usage(&ex, &bucket,
                                             NGX_HTTP_S3_USAGE_VERSIONS,
                                             o.size, -1)
                       != NGX_OK))
            {
                rc = NGX_ERROR;
                break;
            }

            objects++;
        }
    }

    /* every version that is not a delete marker */

    if (rc == NGX_OK) {
        for (ngx_http_s3_iter_seek(it, (u_char *) "V", 1);
             ngx_http_s3_iter_valid(it);
             ngx_http_s3_iter_next(it))
        {
            ngx_http_s3_iter_key(it, &k);

            if (k.len == 0 || k.data[0] != 'V') {
                break;
            }

            z = ngx_strlchr(k.data + 1, k.data + k.len, '\0');

            if (z == NULL) {
                continue;
            }

            bucket.data = k.data + 1;
            bucket.len = z - bucket.data;

            ngx_http_s3_iter_value(it, &v);

            if (ngx_http_s3_object_decode(&v, &o, NULL) != NGX_OK
                || (o.flags & NGX_HTTP_S3_OBJECT_DELETE_MARKER))
            {
                continue;
            }

            if (ngx_http_s3_srv_usage(&ex, &bucket,
                                      NGX_HTTP_S3_USAGE_VERSIONS, o.size, 1)
                != NGX_OK)
            {
                rc = NGX_ERROR;
                break;
            }
        }
    }

    if (rc == NGX_OK
        && !ngx_http_s3_iter_valid(it)
        && ngx_http_s3_iter_status(log, it) != NGX_OK)
    {
        rc = NGX_ERROR;
    }

    ngx_http_s3_iter_destroy(it);

    /* the parts of every upload in progress */

    ngx_str_set(&empty, "U");

    if (rc == NGX_OK
        && ngx_http_s3_srv_scan(&ex, &empty, ngx_http_s3_usage_count_parts,
                                NULL)
           != NGX_OK)
    {
        rc = NGX_ERROR;
    }

    if (rc == NGX_OK) {
        ngx_str_set(&v, "1");
        ngx_http_s3_batch_put(ex.batch, &marker, &v);

        rc = ngx_http_s3_srv_commit(&ex, "usage count");
    }

    ngx_destroy_pool(ex.pool);

    if (rc == NGX_OK) {
        ngx_log_error(NGX_LOG_NOTICE, log, 0,
                      "s3 metadata: usage counted, %ui objects", objects);
    }

    return rc;
}


/* an upload ("U<bucket>\0<key>\0<upload id>"): its parts count */

static ngx_int_t
ngx_http_s3_usage_count_parts(ngx_http_s3_exec_t *ex, ngx_str_t *key,
    ngx_str_t *value, void *data)
{
    u_char                *z;
    ngx_str_t              bucket, id, prefix, k, v;
    ngx_int_t              rc;
    ngx_http_s3_iter_t    *it;
    ngx_http_s3_object_t   part;

    z = ngx_strlchr(key->data + 1, key->data + key->len, '\0');

    if (z == NULL || key->len < 1 + NGX_HTTP_S3_BODY_ID_LEN) {
        return NGX_OK;
    }

    bucket.data = key->data + 1;
    bucket.len = z - bucket.data;

    id.data = key->data + key->len - NGX_HTTP_S3_BODY_ID_LEN;
    id.len = NGX_HTTP_S3_BODY_ID_LEN;

    prefix.len = 1 + id.len + 1;
    prefix.data = ngx_pnalloc(ex->pool, prefix.len);

    if (prefix.data == NULL) {
        return NGX_ERROR;
    }

    prefix.data[0] = 'P';
    ngx_memcpy(prefix.data + 1, id.data, id.len);
    prefix.data[prefix.len - 1] = '\0';

    rc = NGX_OK;
    it = ngx_http_s3_engine_iter();

    for (ngx_http_s3_iter_seek(it, prefix.data, prefix.len);
         ngx_http_s3_iter_valid(it);
         ngx_http_s3_iter_next(it))
    {
        ngx_http_s3_iter_key(it, &k);

        if (k.len < prefix.len
            || ngx_memcmp(k.data, prefix.data, prefix.len) != 0)
        {
            break;
        }

        ngx_http_s3_iter_value(it, &v);

        if (ngx_http_s3_object_decode(&v, &part, NULL) != NGX_OK) {
            continue;
        }

        if (ngx_http_s3_srv_usage(ex, &bucket, NGX_HTTP_S3_USAGE_PARTS,
                                  part.size, 1)
            != NGX_OK)
        {
            rc = NGX_ERROR;
            break;
        }
    }

    if (rc == NGX_OK
        && !ngx_http_s3_iter_valid(it)
        && ngx_http_s3_iter_status(ex->log, it) != NGX_OK)
    {
        rc = NGX_ERROR;
    }

    ngx_http_s3_iter_destroy(it);

    return rc;
}


/* s3_quota bucket [max_size=size] [max_objects=number]; */

char *
ngx_http_s3_quota(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_s3_main_conf_t *smcf = conf;

    ngx_str_t            *value, s;
    ngx_uint_t            i;
    ngx_http_s3_quota_t  *q, *qs;

    value = cf->args->elts;

    if (smcf->quotas == NULL) {
        smcf->quotas = ngx_array_create(cf->pool, 4,
                                        sizeof(ngx_http_s3_quota_t));
        if (smcf->quotas == NULL) {
            return NGX_CONF_ERROR;
        }
    }

    qs = smcf->quotas->elts;

    for (i = 0; i < smcf->quotas->nelts; i++) {
        if (qs[i].bucket.len == value[1].len
            && ngx_strncmp(qs[i].bucket.data, value[1].data, value[1].len)
               == 0)
        {
            return "is duplicate for this bucket";
        }
    }

    q = ngx_array_push(smcf->quotas);
    if (q == NULL) {
        return NGX_CONF_ERROR;
    }

    q->bucket = value[1];
    q->max_size = -1;
    q->max_objects = -1;

    for (i = 2; i < cf->args->nelts; i++) {

        if (ngx_strncmp(value[i].data, "max_size=", 9) == 0) {
            s.data = value[i].data + 9;
            s.len = value[i].len - 9;

            q->max_size = ngx_parse_offset(&s);

            if (q->max_size == NGX_ERROR) {
                goto invalid;
            }

            continue;
        }

        if (ngx_strncmp(value[i].data, "max_objects=", 12) == 0) {
            q->max_objects = ngx_atoi(value[i].data + 12, value[i].len - 12);

            if (q->max_objects == NGX_ERROR) {
                goto invalid;
            }

            continue;
        }

        goto invalid;
    }

    if (q->max_size == -1 && q->max_objects == -1) {
        return "needs max_size= or max_objects=";
    }

    return NGX_CONF_OK;

invalid:

    ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                       "invalid parameter \"%V\"", &value[i]);

    return NGX_CONF_ERROR;
}


static ngx_http_s3_quota_t *
ngx_http_s3_quota_find(ngx_str_t *bucket)
{
    ngx_uint_t                i;
    ngx_http_s3_quota_t      *q;
    ngx_http_s3_main_conf_t  *smcf;

    smcf = ngx_http_s3_srv_conf();

    if (smcf == NULL || smcf->quotas == NULL) {
        return NULL;
    }

    q = smcf->quotas->elts;

    for (i = 0; i < smcf->quotas->nelts; i++) {
        if (q[i].bucket.len == bucket->len
            && ngx_memcmp(q[i].bucket.data, bucket->data, bucket->len) == 0)
        {
            return &q[i];
        }
    }

    return NULL;
}
