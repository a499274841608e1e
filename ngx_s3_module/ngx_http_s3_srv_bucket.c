
/*
 * Copyright (C) ngx_s3 authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_s3.h"
#include "ngx_http_s3_srv.h"


/* the metadata side of the bucket operations */


ngx_uint_t
ngx_http_s3_op_bucket_create(ngx_http_s3_exec_t *ex)
{
    ngx_int_t  rc;
    ngx_str_t  name, rec, k, v;

    ngx_http_s3_wire_get_str(&ex->req, &name);
    ngx_http_s3_wire_get_str(&ex->req, &rec);

    if (ex->req.error || name.len == 0) {
        return NGX_HTTP_S3_WIRE_ST_BAD_REQUEST;
    }

    if (ngx_http_s3_srv_key(ex, &k, 'B', &name, NULL) != NGX_OK) {
        return NGX_HTTP_S3_WIRE_ST_ERROR;
    }

    rc = ngx_http_s3_engine_get(ex->log, &k, &v);

    if (rc == NGX_ERROR) {
        return NGX_HTTP_S3_WIRE_ST_ERROR;
    }

    if (rc == NGX_OK) {
        /* the same record again is a replay of a request that succeeded */

        if (v.len == rec.len && ngx_memcmp(v.data, rec.data, v.len) == 0) {
            ngx_http_s3_engine_free(&v);
            return NGX_HTTP_S3_WIRE_ST_OK;
        }

        ngx_http_s3_wire_put_raw(ex->out, v.data, v.len);
        ngx_http_s3_engine_free(&v);

        return NGX_HTTP_S3_WIRE_ST_EXISTS;
    }

    ngx_http_s3_batch_put(ex->batch, &k, &rec);

    if (ngx_http_s3_engine_write(ex->log, ex->batch, "CreateBucket")
        != NGX_OK)
    {
        return NGX_HTTP_S3_WIRE_ST_ERROR;
    }

    /* workers may hold "no such bucket" for it */
    ngx_http_s3_srv_access_changed();

    return NGX_HTTP_S3_WIRE_ST_OK;
}


ngx_uint_t
ngx_http_s3_op_bucket_get(ngx_http_s3_exec_t *ex)
{
    ngx_int_t  rc;
    ngx_str_t  name, k, v;

    ngx_http_s3_wire_get_str(&ex->req, &name);

    if (ex->req.error) {
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

    ngx_http_s3_wire_put_raw(ex->out, v.data, v.len);
    ngx_http_s3_engine_free(&v);

    return NGX_HTTP_S3_WIRE_ST_OK;
}


ngx_uint_t
ngx_http_s3_op_bucket_delete(ngx_http_s3_exec_t *ex)
{
    u_char              *type;
    ngx_str_t            name, k, p, ik, fk;
    ngx_uint_t           st, empty;
    ngx_http_s3_iter_t  *it;

    ngx_http_s3_wire_get_str(&ex->req, &name);

    if (ex->req.error) {
        return NGX_HTTP_S3_WIRE_ST_BAD_REQUEST;
    }

    st = ngx_http_s3_srv_bucket_exists(ex, &name);

    if (st != NGX_HTTP_S3_WIRE_ST_OK) {
        return st;
    }

    /*
     * any object or version (a delete marker too) of the bucket:
     * "O<bucket>\0" and "V<bucket>\0" are their prefixes
     */

    ngx_str_set(&ik, "");

    if (ngx_http_s3_srv_key(ex, &k, 'B', &name, NULL) != NGX_OK) {
        return NGX_HTTP_S3_WIRE_ST_ERROR;
    }

    empty = 1;

    for (type = (u_char *) "OV"; empty && *type; type++) {

        if (ngx_http_s3_srv_key(ex, &p, *type, &name, &ik) != NGX_OK) {
            return NGX_HTTP_S3_WIRE_ST_ERROR;
        }

        it = ngx_http_s3_engine_iter();
        ngx_http_s3_iter_seek(it, p.data, p.len);

        if (ngx_http_s3_iter_valid(it)) {
            ngx_http_s3_iter_key(it, &fk);

            if (fk.len >= p.len && ngx_memcmp(fk.data, p.data, p.len) == 0) {
                empty = 0;
            }

        } else if (ngx_http_s3_iter_status(ex->log, it) != NGX_OK) {
            /* a failed read is not an empty bucket */
            ngx_http_s3_iter_destroy(it);
            return NGX_HTTP_S3_WIRE_ST_ERROR;
        }

        ngx_http_s3_iter_destroy(it);
    }

    if (!empty) {
        return NGX_HTTP_S3_WIRE_ST_NOT_EMPTY;
    }

    /* uploads in progress do not keep a bucket: they go with it */

    if (ngx_http_s3_srv_drop_uploads(ex, &name) != NGX_OK) {
        return NGX_HTTP_S3_WIRE_ST_ERROR;
    }

    /* its permissions go with it: a bucket of the name made later is new */

    if (ngx_http_s3_srv_grants_drop(ex, &name, NULL) != NGX_OK
        || ngx_http_s3_srv_settings_drop(ex, &name) != NGX_OK
        || ngx_http_s3_srv_usage_drop(ex, &name) != NGX_OK)
    {
        return NGX_HTTP_S3_WIRE_ST_ERROR;
    }

    ngx_http_s3_batch_delete(ex->batch, &k);

    if (ngx_http_s3_srv_commit(ex, "DeleteBucket") != NGX_OK) {
        return NGX_HTTP_S3_WIRE_ST_ERROR;
    }

    ngx_http_s3_srv_access_changed();

    return NGX_HTTP_S3_WIRE_ST_OK;
}


ngx_uint_t
ngx_http_s3_op_bucket_list(ngx_http_s3_exec_t *ex)
{
    size_t               count_at;
    u_char              *p;
    uint32_t             n;
    ngx_str_t            k, v, user;
    ngx_http_s3_iter_t  *it;

    /* a user's list: the buckets it owns or has a grant on */

    ngx_str_null(&user);

    if (ex->req.pos < ex->req.last) {
        ngx_http_s3_wire_get_str(&ex->req, &user);

        if (ex->req.error) {
            return NGX_HTTP_S3_WIRE_ST_BAD_REQUEST;
        }
    }

    count_at = ex->out->pos - ex->out->start;
    ngx_http_s3_wire_put_u32(ex->out, 0);

    n = 0;

    it = ngx_http_s3_engine_iter();

    for (ngx_http_s3_iter_seek(it, (u_char *) "B", 1);
         ngx_http_s3_iter_valid(it);
         ngx_http_s3_iter_next(it))
    {
        ngx_http_s3_iter_key(it, &k);

        if (k.len == 0 || k.data[0] != 'B') {
            break;
        }

        ngx_http_s3_iter_value(it, &v);

        if (user.len && !ngx_http_s3_srv_bucket_visible(ex, &v, &user)) {
            continue;
        }

        ngx_http_s3_wire_put_str(ex->out, &v);
        n++;
    }

    if (!ngx_http_s3_iter_valid(it)
        && ngx_http_s3_iter_status(ex->log, it) != NGX_OK)
    {
        ngx_http_s3_iter_destroy(it);
        return NGX_HTTP_S3_WIRE_ST_ERROR;
    }

    ngx_http_s3_iter_destroy(it);

    if (ex->out->error) {
        return NGX_HTTP_S3_WIRE_ST_ERROR;
    }

    p = ex->out->start + count_at;
    p[0] = (u_char) (n >> 24);
    p[1] = (u_char) (n >> 16);
    p[2] = (u_char) (n >> 8);
    p[3] = (u_char) n;

    return NGX_HTTP_S3_WIRE_ST_OK;
}
