
/*
 * Copyright (C) ngx_s3 authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_s3.h"
#include "ngx_http_s3_srv.h"


/*
 * The metadata side of bucket permissions:
 *
 *     G <bucket> \0 <user id>    a grant: read or write
 *     S <bucket> \0 policy       its bucket policy, as sent
 *     S <bucket> \0 cors         its CORS configuration
 *
 * A bucket's owner and canned ACL are in its record (owner user; none:
 * the operator).
 * Workers ask BUCKET_ACCESS for the owner and the grants of a bucket and
 * keep the answer until the access generation moves.
 */


typedef struct {
    ngx_str_t                 *user;
    ngx_uint_t                 n;
} ngx_http_s3_grant_scan_t;


static ngx_int_t ngx_http_s3_grants_put(ngx_http_s3_exec_t *ex,
    ngx_str_t *key, ngx_str_t *value, void *data);
static ngx_int_t ngx_http_s3_grants_drop(ngx_http_s3_exec_t *ex,
    ngx_str_t *key, ngx_str_t *value, void *data);
static ngx_int_t ngx_http_s3_buckets_access(ngx_http_s3_exec_t *ex,
    ngx_str_t *key, ngx_str_t *value, void *data);
static ngx_int_t ngx_http_s3_srv_access_reply(ngx_http_s3_exec_t *ex,
    ngx_str_t *name, ngx_str_t *rec);
static ngx_uint_t ngx_http_s3_srv_user_known(ngx_http_s3_exec_t *ex,
    ngx_str_t *id);


ngx_uint_t
ngx_http_s3_op_grant_set(ngx_http_s3_exec_t *ex)
{
    uint8_t              perm;
    ngx_int_t            rc;
    ngx_str_t            bucket, user, k, v, rec;
    ngx_uint_t           st;
    ngx_http_s3_wbuf_t   b;
    ngx_http_s3_grant_t  g;

    ngx_http_s3_wire_get_str(&ex->req, &bucket);
    ngx_http_s3_wire_get_str(&ex->req, &user);
    perm = ngx_http_s3_wire_get_u8(&ex->req);

    if (ex->req.error || bucket.len == 0
        || !ngx_http_s3_valid_user_id(&user)
        || perm > NGX_HTTP_S3_PERM_WRITE)
    {
        return NGX_HTTP_S3_WIRE_ST_BAD_REQUEST;
    }

    st = ngx_http_s3_srv_bucket_exists(ex, &bucket);

    if (st != NGX_HTTP_S3_WIRE_ST_OK) {
        return st;
    }

    st = ngx_http_s3_srv_user_known(ex, &user);

    if (st != NGX_HTTP_S3_WIRE_ST_OK) {
        return st;
    }

    if (ngx_http_s3_srv_key(ex, &k, 'G', &bucket, &user) != NGX_OK) {
        return NGX_HTTP_S3_WIRE_ST_ERROR;
    }

    rc = ngx_http_s3_engine_get(ex->log, &k, &v);

    if (rc == NGX_ERROR) {
        return NGX_HTTP_S3_WIRE_ST_ERROR;
    }

    if (rc == NGX_OK) {
        rc = (ngx_http_s3_grant_decode(&v, &g) == NGX_OK && g.perm == perm)
             ? NGX_DONE : NGX_OK;
        ngx_http_s3_engine_free(&v);

        if (rc == NGX_DONE) {
            /* as it is already (or a replay) */
            return NGX_HTTP_S3_WIRE_ST_OK;
        }

    } else if (perm == NGX_HTTP_S3_PERM_NONE) {
        return NGX_HTTP_S3_WIRE_ST_OK;
    }

    if (perm == NGX_HTTP_S3_PERM_NONE) {
        ngx_http_s3_batch_delete(ex->batch, &k);

    } else {
        g.user = user;
        g.perm = perm;

        if (ngx_http_s3_wbuf_init(&b, ex->pool, 32 + user.len) != NGX_OK) {
            return NGX_HTTP_S3_WIRE_ST_ERROR;
        }

        ngx_http_s3_grant_encode(&b, &g);

        if (b.error) {
            return NGX_HTTP_S3_WIRE_ST_ERROR;
        }

        rec.data = b.start;
        rec.len = b.pos - b.start;

        ngx_http_s3_batch_put(ex->batch, &k, &rec);
    }

    if (ngx_http_s3_engine_write(ex->log, ex->batch,
                                 perm ? "Grant" : "Revoke")
        != NGX_OK)
    {
        return NGX_HTTP_S3_WIRE_ST_ERROR;
    }

    ngx_http_s3_srv_access_changed();

    return NGX_HTTP_S3_WIRE_ST_OK;
}


ngx_uint_t
ngx_http_s3_op_bucket_access(ngx_http_s3_exec_t *ex)
{
    ngx_int_t  rc;
    ngx_str_t  name, k, v, rec;

    ngx_http_s3_wire_get_str(&ex->req, &name);

    if (ex->req.error || name.len == 0) {
        return NGX_HTTP_S3_WIRE_ST_BAD_REQUEST;
    }

    if (ngx_http_s3_srv_key(ex, &k, 'B', &name, NULL) != NGX_OK) {
        return NGX_HTTP_S3_WIRE_ST_ERROR;
    }

    rc = ngx_http_s3_engine_get(ex->log, &k, &v);

    if (rc == NGX_DECLINED) {
        return NGX_HTTP_S3_WIRE_ST_NO_BUCKET;
    }

    if (rc != NGX_OK) {
        return NGX_HTTP_S3_WIRE_ST_ERROR;
    }

    rec.len = v.len;
    rec.data = ngx_pnalloc(ex->pool, v.len + 1);

    if (rec.data == NULL) {
        ngx_http_s3_engine_free(&v);
        return NGX_HTTP_S3_WIRE_ST_ERROR;
    }

    ngx_memcpy(rec.data, v.data, v.len);
    ngx_http_s3_engine_free(&v);

    if (ngx_http_s3_srv_access_reply(ex, &name, &rec) != NGX_OK) {
        return NGX_HTTP_S3_WIRE_ST_ERROR;
    }

    return NGX_HTTP_S3_WIRE_ST_OK;
}


/* a bucket's canned ACL: the record rewritten with it */

ngx_uint_t
ngx_http_s3_op_bucket_acl_set(ngx_http_s3_exec_t *ex)
{
    uint8_t               acl;
    ngx_int_t             rc;
    ngx_str_t             name, k, v, rec;
    ngx_http_s3_wbuf_t    b;
    ngx_http_s3_bucket_t  bk;

    ngx_http_s3_wire_get_str(&ex->req, &name);
    acl = ngx_http_s3_wire_get_u8(&ex->req);

    if (ex->req.error || name.len == 0 || acl >= NGX_HTTP_S3_ACL_LAST) {
        return NGX_HTTP_S3_WIRE_ST_BAD_REQUEST;
    }

    if (ngx_http_s3_srv_key(ex, &k, 'B', &name, NULL) != NGX_OK) {
        return NGX_HTTP_S3_WIRE_ST_ERROR;
    }

    rc = ngx_http_s3_engine_get(ex->log, &k, &v);

    if (rc == NGX_DECLINED) {
        return NGX_HTTP_S3_WIRE_ST_NO_BUCKET;
    }

    if (rc != NGX_OK) {
        return NGX_HTTP_S3_WIRE_ST_ERROR;
    }

    rec.len = v.len;
    rec.data = ngx_pnalloc(ex->pool, v.len + 1);

    if (rec.data == NULL) {
        ngx_http_s3_engine_free(&v);
        return NGX_HTTP_S3_WIRE_ST_ERROR;
    }

    ngx_memcpy(rec.data, v.data, v.len);
    ngx_http_s3_engine_free(&v);

    if (ngx_http_s3_bucket_decode(&rec, &bk) != NGX_OK) {
        ngx_log_error(NGX_LOG_ALERT, ex->log, 0,
                      "s3 bucket record \"%V\" is damaged", &name);
        return NGX_HTTP_S3_WIRE_ST_ERROR;
    }

    if (bk.acl == acl) {
        return NGX_HTTP_S3_WIRE_ST_OK;
    }

    bk.acl = acl;

    if (ngx_http_s3_wbuf_init(&b, ex->pool, rec.len + 16) != NGX_OK) {
        return NGX_HTTP_S3_WIRE_ST_ERROR;
    }

    ngx_http_s3_bucket_encode(&b, &bk);

    if (b.error) {
        return NGX_HTTP_S3_WIRE_ST_ERROR;
    }

    rec.data = b.start;
    rec.len = b.pos - b.start;

    ngx_http_s3_batch_put(ex->batch, &k, &rec);

    if (ngx_http_s3_engine_write(ex->log, ex->batch, "PutBucketAcl")
        != NGX_OK)
    {
        return NGX_HTTP_S3_WIRE_ST_ERROR;
    }

    ngx_http_s3_srv_access_changed();

    return NGX_HTTP_S3_WIRE_ST_OK;
}


/* every bucket, each as BUCKET_ACCESS answers it (the admin's list) */

ngx_uint_t
ngx_http_s3_op_bucket_access_list(ngx_http_s3_exec_t *ex)
{
    size_t                    at;
    u_char                   *p;
    ngx_str_t                 prefix;
    ngx_http_s3_grant_scan_t  gs;

    at = ex->out->pos - ex->out->start;
    ngx_http_s3_wire_put_u32(ex->out, 0);

    ngx_memzero(&gs, sizeof(ngx_http_s3_grant_scan_t));
    ngx_str_set(&prefix, "B");

    if (ngx_http_s3_srv_scan(ex, &prefix, ngx_http_s3_buckets_access, &gs)
        != NGX_OK || ex->out->error)
    {
        return NGX_HTTP_S3_WIRE_ST_ERROR;
    }

    p = ex->out->start + at;
    p[0] = (u_char) (gs.n >> 24);
    p[1] = (u_char) (gs.n >> 16);
    p[2] = (u_char) (gs.n >> 8);
    p[3] = (u_char) gs.n;

    return NGX_HTTP_S3_WIRE_ST_OK;
}


static ngx_int_t
ngx_http_s3_buckets_access(ngx_http_s3_exec_t *ex, ngx_str_t *key,
    ngx_str_t *value, void *data)
{
    ngx_http_s3_grant_scan_t *gs = data;

    ngx_str_t  name, rec;

    /* the iterator's memory goes with the next step: copies */

    name.len = key->len - 1;
    name.data = ngx_pnalloc(ex->pool, name.len + value->len + 1);
    if (name.data == NULL) {
        return NGX_ERROR;
    }

    ngx_memcpy(name.data, key->data + 1, name.len);

    rec.data = name.data + name.len;
    rec.len = value->len;
    ngx_memcpy(rec.data, value->data, value->len);

    if (ngx_http_s3_srv_access_reply(ex, &name, &rec) != NGX_OK) {
        return NGX_ERROR;
    }

    gs->n++;

    return NGX_OK;
}


/*
 * str bucket record, u32 n, n x str grant record, str policy, str cors
 * (the settings the worker evaluates per request)
 */

static ngx_int_t
ngx_http_s3_srv_access_reply(ngx_http_s3_exec_t *ex, ngx_str_t *name,
    ngx_str_t *rec)
{
    size_t                    at;
    u_char                   *p;
    ngx_str_t                 prefix, empty, k, policy, cors, setting;
    ngx_http_s3_grant_scan_t  gs;

    ngx_http_s3_wire_put_str(ex->out, rec);

    at = ex->out->pos - ex->out->start;
    ngx_http_s3_wire_put_u32(ex->out, 0);

    ngx_str_set(&empty, "");

    if (ngx_http_s3_srv_key(ex, &prefix, 'G', name, &empty) != NGX_OK) {
        return NGX_ERROR;
    }

    ngx_memzero(&gs, sizeof(ngx_http_s3_grant_scan_t));

    if (ngx_http_s3_srv_scan(ex, &prefix, ngx_http_s3_grants_put, &gs)
        != NGX_OK || ex->out->error)
    {
        return NGX_ERROR;
    }

    p = ex->out->start + at;
    p[0] = (u_char) (gs.n >> 24);
    p[1] = (u_char) (gs.n >> 16);
    p[2] = (u_char) (gs.n >> 8);
    p[3] = (u_char) gs.n;

    ngx_str_set(&setting, "policy");

    if (ngx_http_s3_srv_setting(ex, name, &setting, &k, &policy)
        == NGX_ERROR)
    {
        return NGX_ERROR;
    }

    ngx_http_s3_wire_put_str(ex->out, &policy);

    ngx_str_set(&setting, "cors");

    if (ngx_http_s3_srv_setting(ex, name, &setting, &k, &cors)
        == NGX_ERROR)
    {
        return NGX_ERROR;
    }

    ngx_http_s3_wire_put_str(ex->out, &cors);

    return ex->out->error ? NGX_ERROR : NGX_OK;
}


static ngx_int_t
ngx_http_s3_grants_put(ngx_http_s3_exec_t *ex, ngx_str_t *key,
    ngx_str_t *value, void *data)
{
    ngx_http_s3_grant_scan_t *gs = data;

    ngx_http_s3_wire_put_str(ex->out, value);
    gs->n++;

    return ex->out->error ? NGX_ERROR : NGX_OK;
}


/*
 * Into the batch: the removal of every grant on a bucket (user NULL), or
 * of every grant of a user (bucket NULL)
 */

ngx_int_t
ngx_http_s3_srv_grants_drop(ngx_http_s3_exec_t *ex, ngx_str_t *bucket,
    ngx_str_t *user)
{
    ngx_str_t                 prefix, empty;
    ngx_http_s3_grant_scan_t  gs;

    ngx_memzero(&gs, sizeof(ngx_http_s3_grant_scan_t));

    if (bucket) {
        ngx_str_set(&empty, "");

        if (ngx_http_s3_srv_key(ex, &prefix, 'G', bucket, &empty)
            != NGX_OK)
        {
            return NGX_ERROR;
        }

    } else {
        ngx_str_set(&prefix, "G");
        gs.user = user;
    }

    return ngx_http_s3_srv_scan(ex, &prefix, ngx_http_s3_grants_drop, &gs);
}


static ngx_int_t
ngx_http_s3_grants_drop(ngx_http_s3_exec_t *ex, ngx_str_t *key,
    ngx_str_t *value, void *data)
{
    ngx_http_s3_grant_scan_t *gs = data;

    u_char  *zero;

    if (gs->user) {
        /* G <bucket> \0 <user id> */

        zero = memchr(key->data, '\0', key->len);

        if (zero == NULL
            || (size_t) (key->data + key->len - zero - 1) != gs->user->len
            || ngx_memcmp(zero + 1, gs->user->data, gs->user->len) != 0)
        {
            return NGX_OK;
        }
    }

    ngx_http_s3_batch_delete(ex->batch, key);
    gs->n++;

    return NGX_OK;
}


/* BUCKET_LIST for a user: does it own the bucket or have a grant on it */

ngx_uint_t
ngx_http_s3_srv_bucket_visible(ngx_http_s3_exec_t *ex, ngx_str_t *rec,
    ngx_str_t *user)
{
    ngx_int_t             rc;
    ngx_str_t             k, v;
    ngx_http_s3_bucket_t  bk;

    if (ngx_http_s3_bucket_decode(rec, &bk) != NGX_OK) {
        return 0;
    }

    if (bk.owner_user.len == user->len
        && ngx_strncmp(bk.owner_user.data, user->data, user->len) == 0)
    {
        return 1;
    }

    if (ngx_http_s3_srv_key(ex, &k, 'G', &bk.name, user) != NGX_OK) {
        return 0;
    }

    rc = ngx_http_s3_engine_get(ex->log, &k, &v);

    if (rc == NGX_OK) {
        ngx_http_s3_engine_free(&v);
        return 1;
    }

    return 0;
}


static ngx_uint_t
ngx_http_s3_srv_user_known(ngx_http_s3_exec_t *ex, ngx_str_t *id)
{
    ngx_int_t  rc;
    ngx_str_t  k, v;

    if (ngx_http_s3_srv_key(ex, &k, 'A', id, NULL) != NGX_OK) {
        return NGX_HTTP_S3_WIRE_ST_ERROR;
    }

    rc = ngx_http_s3_engine_get(ex->log, &k, &v);

    if (rc == NGX_OK) {
        ngx_http_s3_engine_free(&v);
        return NGX_HTTP_S3_WIRE_ST_OK;
    }

    return (rc == NGX_DECLINED) ? NGX_HTTP_S3_WIRE_ST_NO_USER
                                : NGX_HTTP_S3_WIRE_ST_ERROR;
}
