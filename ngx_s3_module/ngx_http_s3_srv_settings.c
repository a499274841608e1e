
/*
 * Copyright (C) ngx_s3 authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_s3.h"
#include "ngx_http_s3_srv.h"


/*
 * The metadata side of bucket settings: one record per bucket and name,
 *
 *     S <bucket> \0 <name>       its value, as the worker checked it
 *
 * ("policy", "tagging", "cors", "object-lock", ...).  The worker parses
 * and checks a setting before it is stored, and keeps the stored form;
 * the metadata process stores, returns and drops it with its bucket.
 * Workers cache some settings with a bucket's access data, so every
 * change moves the access generation.
 */


static ngx_int_t ngx_http_s3_srv_setting_name(ngx_str_t *name);
static ngx_int_t ngx_http_s3_settings_drop(ngx_http_s3_exec_t *ex,
    ngx_str_t *key, ngx_str_t *value, void *data);


/* a setting of a bucket (empty: none), and the key of its record */

ngx_int_t
ngx_http_s3_srv_setting(ngx_http_s3_exec_t *ex, ngx_str_t *bucket,
    ngx_str_t *name, ngx_str_t *key, ngx_str_t *value)
{
    ngx_int_t  rc;
    ngx_str_t  v, copy;

    ngx_str_null(value);

    if (ngx_http_s3_srv_key(ex, key, 'S', bucket, name) != NGX_OK) {
        return NGX_ERROR;
    }

    rc = ngx_http_s3_engine_get(ex->log, key, &v);

    if (rc != NGX_OK) {
        return rc;
    }

    copy.len = v.len;
    copy.data = ngx_pnalloc(ex->pool, v.len + 1);

    if (copy.data != NULL) {
        ngx_memcpy(copy.data, v.data, v.len);
    }

    ngx_http_s3_engine_free(&v);

    if (copy.data == NULL
        || ngx_http_s3_setting_decode(&copy, value) != NGX_OK)
    {
        return NGX_ERROR;
    }

    return NGX_OK;
}


ngx_uint_t
ngx_http_s3_op_setting_set(ngx_http_s3_exec_t *ex)
{
    ngx_int_t           rc;
    ngx_str_t           bucket, name, value, k, old, rec;
    ngx_uint_t          st;
    ngx_http_s3_wbuf_t  b;

    ngx_http_s3_wire_get_str(&ex->req, &bucket);
    ngx_http_s3_wire_get_str(&ex->req, &name);
    ngx_http_s3_wire_get_str(&ex->req, &value);

    if (ex->req.error || bucket.len == 0
        || ngx_http_s3_srv_setting_name(&name) != NGX_OK)
    {
        return NGX_HTTP_S3_WIRE_ST_BAD_REQUEST;
    }

    st = ngx_http_s3_srv_bucket_exists(ex, &bucket);

    if (st != NGX_HTTP_S3_WIRE_ST_OK) {
        return st;
    }

    rc = ngx_http_s3_srv_setting(ex, &bucket, &name, &k, &old);

    if (rc == NGX_ERROR) {
        return NGX_HTTP_S3_WIRE_ST_ERROR;
    }

    if (old.len == value.len
        && (value.len == 0
            || ngx_memcmp(old.data, value.data, value.len) == 0))
    {
        /* as it is already (or a replay) */
        return NGX_HTTP_S3_WIRE_ST_OK;
    }

    if (value.len == 0) {
        ngx_http_s3_batch_delete(ex->batch, &k);

    } else {
        if (ngx_http_s3_wbuf_init(&b, ex->pool, value.len + 16) != NGX_OK) {
            return NGX_HTTP_S3_WIRE_ST_ERROR;
        }

        ngx_http_s3_setting_encode(&b, &value);

        if (b.error) {
            return NGX_HTTP_S3_WIRE_ST_ERROR;
        }

        rec.data = b.start;
        rec.len = b.pos - b.start;

        ngx_http_s3_batch_put(ex->batch, &k, &rec);
    }

    if (ngx_http_s3_engine_write(ex->log, ex->batch,
                                 value.len ? "PutBucketSetting"
                                           : "DeleteBucketSetting")
        != NGX_OK)
    {
        return NGX_HTTP_S3_WIRE_ST_ERROR;
    }

    ngx_http_s3_srv_access_changed();

    return NGX_HTTP_S3_WIRE_ST_OK;
}


ngx_uint_t
ngx_http_s3_op_setting_get(ngx_http_s3_exec_t *ex)
{
    ngx_int_t   rc;
    ngx_str_t   bucket, name, k, value;
    ngx_uint_t  st;

    ngx_http_s3_wire_get_str(&ex->req, &bucket);
    ngx_http_s3_wire_get_str(&ex->req, &name);

    if (ex->req.error || bucket.len == 0
        || ngx_http_s3_srv_setting_name(&name) != NGX_OK)
    {
        return NGX_HTTP_S3_WIRE_ST_BAD_REQUEST;
    }

    st = ngx_http_s3_srv_bucket_exists(ex, &bucket);

    if (st != NGX_HTTP_S3_WIRE_ST_OK) {
        return st;
    }

    rc = ngx_http_s3_srv_setting(ex, &bucket, &name, &k, &value);

    if (rc == NGX_ERROR) {
        return NGX_HTTP_S3_WIRE_ST_ERROR;
    }

    if (value.len == 0) {
        return NGX_HTTP_S3_WIRE_ST_NO_KEY;
    }

    ngx_http_s3_wire_put_str(ex->out, &value);

    return ex->out->error ? NGX_HTTP_S3_WIRE_ST_ERROR
                          : NGX_HTTP_S3_WIRE_ST_OK;
}


/* into the batch: the removal of every setting of a bucket */

ngx_int_t
ngx_http_s3_srv_settings_drop(ngx_http_s3_exec_t *ex, ngx_str_t *bucket)
{
    ngx_str_t  prefix, empty;

    ngx_str_set(&empty, "");

    if (ngx_http_s3_srv_key(ex, &prefix, 'S', bucket, &empty) != NGX_OK) {
        return NGX_ERROR;
    }

    return ngx_http_s3_srv_scan(ex, &prefix, ngx_http_s3_settings_drop,
                                NULL);
}


static ngx_int_t
ngx_http_s3_settings_drop(ngx_http_s3_exec_t *ex, ngx_str_t *key,
    ngx_str_t *value, void *data)
{
    ngx_http_s3_batch_delete(ex->batch, key);

    return NGX_OK;
}


/* a setting name: 1-32 characters of [a-z0-9-] (never a "\0") */

static ngx_int_t
ngx_http_s3_srv_setting_name(ngx_str_t *name)
{
    u_char      c;
    ngx_uint_t  i;

    if (name->len == 0 || name->len > 32) {
        return NGX_ERROR;
    }

    for (i = 0; i < name->len; i++) {
        c = name->data[i];

        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')) {
            return NGX_ERROR;
        }
    }

    return NGX_OK;
}
