
/*
 * Copyright (C) ngx_s3 authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_s3.h"
#include "ngx_http_s3_srv.h"


/* the metadata side of PutObject, GetObject/HeadObject, DeleteObject */


ngx_uint_t
ngx_http_s3_op_object_put(ngx_http_s3_exec_t *ex)
{
    ngx_int_t                 rc;
    ngx_str_t                 bucket, key, rec, k, old;
    ngx_uint_t                st, lock;
    ngx_http_s3_object_t      o, prev;
    ngx_http_s3_write_cond_t  wc;

    ngx_http_s3_wire_get_str(&ex->req, &bucket);
    ngx_http_s3_wire_get_str(&ex->req, &key);
    ngx_http_s3_wire_get_str(&ex->req, &rec);
    ngx_http_s3_wire_get_cond(&ex->req, &wc);

    if (ex->req.error
        || ngx_http_s3_object_decode(&rec, &o, ex->pool) != NGX_OK)
    {
        return NGX_HTTP_S3_WIRE_ST_BAD_REQUEST;
    }

    if (ngx_http_s3_srv_key(ex, &k, 'O', &bucket, &key) != NGX_OK) {
        return NGX_HTTP_S3_WIRE_ST_ERROR;
    }

    /*
     * From here on the worker keeps the body file when the answer is
     * ST_ERROR, and the body is in doubt until a read shows that no
     * record names it (a failed commit puts it in doubt itself).
     */

    /* the bucket, read once: it exists, and its object lock */

    st = ngx_http_s3_srv_lock_bucket(ex, &bucket, &lock);

    if (st == NGX_HTTP_S3_WIRE_ST_OK) {
        st = ngx_http_s3_srv_lock_new(ex, &bucket, lock, &o, &rec);
    }

    if (st != NGX_HTTP_S3_WIRE_ST_OK) {
        if (st == NGX_HTTP_S3_WIRE_ST_ERROR) {
            ngx_http_s3_srv_doubt_body(ex, &o.body, 0);
        }

        return st;
    }

    rc = ngx_http_s3_engine_get(ex->log, &k, &old);

    if (rc == NGX_ERROR) {
        ngx_http_s3_srv_doubt_body(ex, &o.body, 0);
        return NGX_HTTP_S3_WIRE_ST_ERROR;
    }

    if (rc == NGX_OK) {
        if (ngx_http_s3_object_decode(&old, &prev, ex->pool) != NGX_OK) {
            ngx_memzero(&prev, sizeof(ngx_http_s3_object_t));
        }

        /* a replay: this very body is already committed */

        if (prev.body.len == o.body.len && o.body.len
            && ngx_memcmp(prev.body.data, o.body.data, o.body.len) == 0)
        {
            ngx_http_s3_engine_free(&old);
            return NGX_HTTP_S3_WIRE_ST_OK;
        }

        st = ngx_http_s3_write_cond_check(&wc, &prev.etag);

        /*
         * a locked version is not replaced in place (with versioning, a
         * write into a bucket with lock makes a new version instead)
         */

        if (st == NGX_HTTP_S3_WIRE_ST_OK && lock
            && ngx_http_s3_srv_lock_refuses(ex, &prev, 0))
        {
            st = NGX_HTTP_S3_WIRE_ST_LOCKED;
        }

        if (st != NGX_HTTP_S3_WIRE_ST_OK) {
            ngx_http_s3_engine_free(&old);
            return st;
        }

        /* the replaced version's bodies lose a name */

        rc = ngx_http_s3_srv_ref_object(ex, &prev, -1);
        ngx_http_s3_engine_free(&old);

        if (rc != NGX_OK) {
            ngx_http_s3_srv_doubt_body(ex, &o.body, 0);
            return NGX_HTTP_S3_WIRE_ST_ERROR;
        }

    } else {
        st = ngx_http_s3_write_cond_check(&wc, NULL);

        if (st != NGX_HTTP_S3_WIRE_ST_OK) {
            return st;
        }
    }

    st = ngx_http_s3_srv_usage_replace(ex, &bucket, NGX_HTTP_S3_USAGE_OBJECTS,
                                       (rc == NGX_OK) ? &prev : NULL, o.size);

    if (st != NGX_HTTP_S3_WIRE_ST_OK) {
        if (st == NGX_HTTP_S3_WIRE_ST_ERROR) {
            ngx_http_s3_srv_doubt_body(ex, &o.body, 0);
        }

        return st;
    }

    if (ngx_http_s3_srv_ref_object(ex, &o, 1) != NGX_OK) {
        ngx_http_s3_srv_doubt_body(ex, &o.body, 0);
        return NGX_HTTP_S3_WIRE_ST_ERROR;
    }

    ngx_http_s3_batch_put(ex->batch, &k, &rec);

    if (ngx_http_s3_srv_commit(ex, "PutObject") != NGX_OK) {
        return NGX_HTTP_S3_WIRE_ST_ERROR;
    }

    return NGX_HTTP_S3_WIRE_ST_OK;
}


ngx_uint_t
ngx_http_s3_op_object_get(ngx_http_s3_exec_t *ex)
{
    ngx_int_t  rc;
    ngx_str_t  bucket, key, k, v;

    ngx_http_s3_wire_get_str(&ex->req, &bucket);
    ngx_http_s3_wire_get_str(&ex->req, &key);

    if (ex->req.error) {
        return NGX_HTTP_S3_WIRE_ST_BAD_REQUEST;
    }

    if (ngx_http_s3_srv_key(ex, &k, 'O', &bucket, &key) != NGX_OK) {
        return NGX_HTTP_S3_WIRE_ST_ERROR;
    }

    rc = ngx_http_s3_engine_get(ex->log, &k, &v);

    if (rc == NGX_OK) {
        ngx_http_s3_wire_put_raw(ex->out, v.data, v.len);
        ngx_http_s3_engine_free(&v);
        return NGX_HTTP_S3_WIRE_ST_OK;
    }

    if (rc == NGX_ERROR) {
        return NGX_HTTP_S3_WIRE_ST_ERROR;
    }

    /* a miss only: is it the key or the bucket */

    rc = ngx_http_s3_srv_bucket_exists(ex, &bucket);

    return (rc == NGX_HTTP_S3_WIRE_ST_OK) ? NGX_HTTP_S3_WIRE_ST_NO_KEY : rc;
}


ngx_uint_t
ngx_http_s3_op_object_delete(ngx_http_s3_exec_t *ex)
{
    ngx_int_t              rc;
    ngx_str_t              bucket, key, k, v;
    ngx_uint_t             flags;
    ngx_http_s3_object_t   o;

    ngx_http_s3_wire_get_str(&ex->req, &bucket);
    ngx_http_s3_wire_get_str(&ex->req, &key);

    /* optional: the bypass of a governance retention */

    flags = (ex->req.pos < ex->req.last) ? ngx_http_s3_wire_get_u8(&ex->req)
                                         : 0;

    if (ex->req.error) {
        return NGX_HTTP_S3_WIRE_ST_BAD_REQUEST;
    }

    if (ngx_http_s3_srv_key(ex, &k, 'O', &bucket, &key) != NGX_OK) {
        return NGX_HTTP_S3_WIRE_ST_ERROR;
    }

    rc = ngx_http_s3_engine_get(ex->log, &k, &v);

    if (rc == NGX_ERROR) {
        return NGX_HTTP_S3_WIRE_ST_ERROR;
    }

    if (rc == NGX_DECLINED) {
        return ngx_http_s3_srv_bucket_exists(ex, &bucket);
    }

    rc = ngx_http_s3_object_decode(&v, &o, ex->pool);

    /* a locked version stays */

    if (rc == NGX_OK
        && ngx_http_s3_srv_lock_refuses(ex, &o,
                                 flags & NGX_HTTP_S3_WIRE_PATCH_BYPASS))
    {
        ngx_http_s3_engine_free(&v);
        return NGX_HTTP_S3_WIRE_ST_LOCKED;
    }

    if (rc == NGX_OK) {
        rc = ngx_http_s3_srv_ref_object(ex, &o, -1);

        if (rc == NGX_OK) {
            rc = ngx_http_s3_srv_usage(ex, &bucket,
                                       NGX_HTTP_S3_USAGE_OBJECTS, o.size, -1);
        }

    } else {
        ngx_log_error(NGX_LOG_ERR, ex->log, 0,
                      "s3 metadata: a stored record does not decode, "
                      "its bodies are left as they are");
        rc = NGX_OK;
    }

    ngx_http_s3_engine_free(&v);

    if (rc != NGX_OK) {
        return NGX_HTTP_S3_WIRE_ST_ERROR;
    }

    ngx_http_s3_batch_delete(ex->batch, &k);

    if (ngx_http_s3_srv_commit(ex, "DeleteObject") != NGX_OK) {
        return NGX_HTTP_S3_WIRE_ST_ERROR;
    }

    return NGX_HTTP_S3_WIRE_ST_OK;
}
