
/*
 * Copyright (C) ngx_s3 authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_s3.h"
#include "ngx_http_s3_srv.h"


/*
 * The metadata side of object lock: a bucket's lock configuration
 * (LOCK_SET, LOCK_GET), the default retention of new records, and the
 * one decision whether a stored version may go (deleted or replaced).
 * Everything here runs in the metadata process's single step of the
 * request, so what it reads is what the commit replaces.
 */


static ngx_int_t ngx_http_s3_srv_lock_read(ngx_http_s3_exec_t *ex,
    ngx_str_t *bucket, ngx_str_t *rec, ngx_http_s3_bucket_t *bk);
static ngx_int_t ngx_http_s3_srv_lock_conf(ngx_http_s3_exec_t *ex,
    ngx_str_t *bucket, ngx_str_t *key, ngx_str_t *conf);
static uint64_t ngx_http_s3_srv_lock_now(void);
static ngx_int_t ngx_http_s3_srv_lock_u64(ngx_str_t *patch, uint8_t tag,
    ngx_uint_t *present, uint64_t *v);


/* the bucket record (copied into the request's pool): NGX_DECLINED: none */

static ngx_int_t
ngx_http_s3_srv_lock_read(ngx_http_s3_exec_t *ex, ngx_str_t *bucket,
    ngx_str_t *rec, ngx_http_s3_bucket_t *bk)
{
    ngx_int_t  rc;
    ngx_str_t  k, v;

    if (ngx_http_s3_srv_key(ex, &k, 'B', bucket, NULL) != NGX_OK) {
        return NGX_ERROR;
    }

    rc = ngx_http_s3_engine_get(ex->log, &k, &v);

    if (rc != NGX_OK) {
        return rc;
    }

    rec->len = v.len;
    rec->data = ngx_pnalloc(ex->pool, v.len + 1);

    if (rec->data != NULL) {
        ngx_memcpy(rec->data, v.data, v.len);
    }

    ngx_http_s3_engine_free(&v);

    if (rec->data == NULL || ngx_http_s3_bucket_decode(rec, bk) != NGX_OK) {
        return NGX_ERROR;
    }

    return NGX_OK;
}


/* the setting "object-lock" of a bucket: its key, and its value or empty */

static ngx_int_t
ngx_http_s3_srv_lock_conf(ngx_http_s3_exec_t *ex, ngx_str_t *bucket,
    ngx_str_t *key, ngx_str_t *conf)
{
    ngx_int_t  rc;
    ngx_str_t  name;

    ngx_str_set(&name, "object-lock");

    rc = ngx_http_s3_srv_setting(ex, bucket, &name, key, conf);

    return (rc == NGX_ERROR) ? NGX_ERROR : NGX_OK;
}


static uint64_t
ngx_http_s3_srv_lock_now(void)
{
    ngx_time_t  *tp;

    tp = ngx_timeofday();

    return (uint64_t) tp->sec * 1000 + tp->msec;
}


/*
 * LOCK_SET: lock is enabled on a bucket whose versioning is Enabled (or
 * that has lock already), and its default retention replaced, in one
 * batch with the bucket record's flags
 */

ngx_uint_t
ngx_http_s3_op_lock_set(ngx_http_s3_exec_t *ex)
{
    ngx_int_t                 rc;
    ngx_str_t                 bucket, conf, rec, k, sk, old, v;
    ngx_uint_t                flags;
    ngx_http_s3_wbuf_t        b;
    ngx_http_s3_bucket_t      bk;
    ngx_http_s3_lock_conf_t   lc;

    ngx_http_s3_wire_get_str(&ex->req, &bucket);
    ngx_http_s3_wire_get_str(&ex->req, &conf);

    if (ex->req.error || bucket.len == 0
        || ngx_http_s3_lock_conf_decode(&conf, &lc) != NGX_OK)
    {
        return NGX_HTTP_S3_WIRE_ST_BAD_REQUEST;
    }

    rc = ngx_http_s3_srv_lock_read(ex, &bucket, &rec, &bk);

    if (rc != NGX_OK) {
        return (rc == NGX_DECLINED) ? NGX_HTTP_S3_WIRE_ST_NO_BUCKET
                                    : NGX_HTTP_S3_WIRE_ST_ERROR;
    }

    if (!(bk.object_lock & NGX_HTTP_S3_LOCK_ENABLED)
        && bk.versioning != NGX_HTTP_S3_VERSIONING_ENABLED)
    {
        return NGX_HTTP_S3_WIRE_ST_BUCKET_STATE;
    }

    if (ngx_http_s3_srv_lock_conf(ex, &bucket, &sk, &old) != NGX_OK) {
        return NGX_HTTP_S3_WIRE_ST_ERROR;
    }

    flags = NGX_HTTP_S3_LOCK_ENABLED
            | (conf.len ? NGX_HTTP_S3_LOCK_DEFAULT : 0);

    if (bk.object_lock == flags && old.len == conf.len
        && (conf.len == 0 || ngx_memcmp(old.data, conf.data, conf.len) == 0))
    {
        /* as it is already (or a replay) */
        return NGX_HTTP_S3_WIRE_ST_OK;
    }

    bk.object_lock = flags;

    if (ngx_http_s3_wbuf_init(&b, ex->pool, rec.len + conf.len + 64)
        != NGX_OK)
    {
        return NGX_HTTP_S3_WIRE_ST_ERROR;
    }

    ngx_http_s3_bucket_encode(&b, &bk);

    if (b.error
        || ngx_http_s3_srv_key(ex, &k, 'B', &bucket, NULL) != NGX_OK)
    {
        return NGX_HTTP_S3_WIRE_ST_ERROR;
    }

    v.data = b.start;
    v.len = b.pos - b.start;

    ngx_http_s3_batch_put(ex->batch, &k, &v);

    if (conf.len == 0) {
        ngx_http_s3_batch_delete(ex->batch, &sk);

    } else {
        if (ngx_http_s3_wbuf_init(&b, ex->pool, conf.len + 16) != NGX_OK) {
            return NGX_HTTP_S3_WIRE_ST_ERROR;
        }

        ngx_http_s3_setting_encode(&b, &conf);

        if (b.error) {
            return NGX_HTTP_S3_WIRE_ST_ERROR;
        }

        v.data = b.start;
        v.len = b.pos - b.start;

        ngx_http_s3_batch_put(ex->batch, &sk, &v);
    }

    if (ngx_http_s3_engine_write(ex->log, ex->batch,
                                 "PutObjectLockConfiguration")
        != NGX_OK)
    {
        return NGX_HTTP_S3_WIRE_ST_ERROR;
    }

    /* workers keep a bucket's lock flags with its permissions */

    ngx_http_s3_srv_access_changed();

    return NGX_HTTP_S3_WIRE_ST_OK;
}


ngx_uint_t
ngx_http_s3_op_lock_get(ngx_http_s3_exec_t *ex)
{
    ngx_int_t              rc;
    ngx_str_t              bucket, rec, sk, conf;
    ngx_http_s3_bucket_t   bk;

    ngx_http_s3_wire_get_str(&ex->req, &bucket);

    if (ex->req.error || bucket.len == 0) {
        return NGX_HTTP_S3_WIRE_ST_BAD_REQUEST;
    }

    rc = ngx_http_s3_srv_lock_read(ex, &bucket, &rec, &bk);

    if (rc != NGX_OK) {
        return (rc == NGX_DECLINED) ? NGX_HTTP_S3_WIRE_ST_NO_BUCKET
                                    : NGX_HTTP_S3_WIRE_ST_ERROR;
    }

    ngx_str_null(&conf);

    if ((bk.object_lock & NGX_HTTP_S3_LOCK_DEFAULT)
        && ngx_http_s3_srv_lock_conf(ex, &bucket, &sk, &conf) != NGX_OK)
    {
        return NGX_HTTP_S3_WIRE_ST_ERROR;
    }

    ngx_http_s3_wire_put_u8(ex->out, (uint8_t) bk.object_lock);
    ngx_http_s3_wire_put_str(ex->out, &conf);

    return NGX_HTTP_S3_WIRE_ST_OK;
}


ngx_uint_t
ngx_http_s3_srv_lock_bucket(ngx_http_s3_exec_t *ex, ngx_str_t *bucket,
    ngx_uint_t *flags)
{
    ngx_int_t              rc;
    ngx_str_t              rec;
    ngx_http_s3_bucket_t   bk;

    *flags = 0;

    rc = ngx_http_s3_srv_lock_read(ex, bucket, &rec, &bk);

    if (rc == NGX_OK) {
        *flags = bk.object_lock;
        return NGX_HTTP_S3_WIRE_ST_OK;
    }

    return (rc == NGX_DECLINED) ? NGX_HTTP_S3_WIRE_ST_NO_BUCKET
                                : NGX_HTTP_S3_WIRE_ST_ERROR;
}


/*
 * A new record into a bucket with these lock flags: lock fields need a
 * bucket with lock; a record without a retention gets the bucket's
 * default, counted from its mtime (rec, unless NULL, is encoded again)
 */

ngx_uint_t
ngx_http_s3_srv_lock_new(ngx_http_s3_exec_t *ex, ngx_str_t *bucket,
    ngx_uint_t flags, ngx_http_s3_object_t *o, ngx_str_t *rec)
{
    uint64_t                  days;
    ngx_str_t                 sk, conf;
    ngx_http_s3_wbuf_t        b;
    ngx_http_s3_lock_conf_t   lc;

    if (!(flags & NGX_HTTP_S3_LOCK_ENABLED)) {
        return (o->lock_mode || o->legal_hold)
               ? NGX_HTTP_S3_WIRE_ST_NO_LOCK : NGX_HTTP_S3_WIRE_ST_OK;
    }

    if (o->lock_mode || !(flags & NGX_HTTP_S3_LOCK_DEFAULT)) {
        return NGX_HTTP_S3_WIRE_ST_OK;
    }

    if (ngx_http_s3_srv_lock_conf(ex, bucket, &sk, &conf) != NGX_OK
        || ngx_http_s3_lock_conf_decode(&conf, &lc) != NGX_OK)
    {
        return NGX_HTTP_S3_WIRE_ST_ERROR;
    }

    if (lc.mode == NGX_HTTP_S3_LOCK_MODE_NONE) {
        return NGX_HTTP_S3_WIRE_ST_OK;
    }

    days = lc.years ? (uint64_t) lc.count * 365 : lc.count;

    o->lock_mode = lc.mode;
    o->lock_until = o->mtime + days * 86400000;

    if (rec == NULL) {
        return NGX_HTTP_S3_WIRE_ST_OK;
    }

    if (ngx_http_s3_wbuf_init(&b, ex->pool, rec->len + 64) != NGX_OK) {
        return NGX_HTTP_S3_WIRE_ST_ERROR;
    }

    ngx_http_s3_object_encode(&b, o);

    if (b.error) {
        return NGX_HTTP_S3_WIRE_ST_ERROR;
    }

    rec->data = b.start;
    rec->len = b.pos - b.start;

    return NGX_HTTP_S3_WIRE_ST_OK;
}


/*
 * The one decision whether a stored version may be deleted or replaced
 * in place: 1 while its legal hold is ON or its retention is in force
 * (governance: unless bypass, which the worker sends only for a request
 * that asked for it and may).  Versioning calls it wherever a version
 * record goes: DELETE with a versionId, DeleteObjects with version ids,
 * and a write that replaces the null version of a suspended bucket.
 */

ngx_uint_t
ngx_http_s3_srv_lock_refuses(ngx_http_s3_exec_t *ex, ngx_http_s3_object_t *o,
    ngx_uint_t bypass)
{
    ngx_uint_t  refuse;

    refuse = ngx_http_s3_lock_protected(o->lock_mode, o->lock_until,
                                        o->legal_hold, bypass,
                                        ngx_http_s3_srv_lock_now());

    if (refuse) {
        ngx_log_error(NGX_LOG_INFO, ex->log, 0,
                      "s3 object lock: version \"%V\" is protected",
                      &o->version);
    }

    return refuse;
}


/*
 * OBJECT_PATCH checkers (the table in ngx_http_s3_srv_patch.c).  The
 * retention is one thing in two fields (57 mode, 58 date): both fields'
 * checker decides the whole change, of the stored record and the patch.
 */

static ngx_int_t
ngx_http_s3_srv_lock_u64(ngx_str_t *patch, uint8_t tag, ngx_uint_t *present,
    uint64_t *v)
{
    ngx_str_t           s;
    ngx_http_s3_rbuf_t  rb;

    *present = 0;

    switch (ngx_http_s3_record_field(patch, tag, &s)) {

    case NGX_OK:
        break;

    case NGX_DECLINED:
        return NGX_OK;

    default:
        return NGX_ERROR;
    }

    *present = 1;
    *v = 0;

    if (s.len == 0) {
        /* removed */
        return NGX_OK;
    }

    if (s.len != 8) {
        return NGX_ERROR;
    }

    ngx_http_s3_rbuf_init(&rb, &s);
    *v = ngx_http_s3_wire_get_u64(&rb);

    return NGX_OK;
}


ngx_uint_t
ngx_http_s3_srv_lock_check_retention(ngx_http_s3_exec_t *ex,
    ngx_http_s3_patch_t *p, ngx_str_t *old, ngx_str_t *value)
{
    uint64_t               mode, until;
    ngx_int_t              rc;
    ngx_uint_t             st, flags, has_mode, has_until;
    ngx_http_s3_object_t   o;

    if (ngx_http_s3_object_decode(&p->rec, &o, NULL) != NGX_OK) {
        return NGX_HTTP_S3_WIRE_ST_ERROR;
    }

    st = ngx_http_s3_srv_lock_bucket(ex, &p->bucket, &flags);

    if (st != NGX_HTTP_S3_WIRE_ST_OK) {
        return st;
    }

    if (!(flags & NGX_HTTP_S3_LOCK_ENABLED)) {
        return NGX_HTTP_S3_WIRE_ST_NO_LOCK;
    }

    mode = o.lock_mode;
    until = o.lock_until;

    if (ngx_http_s3_srv_lock_u64(&p->patch, NGX_HTTP_S3_FIELD_LOCK_MODE,
                                 &has_mode, &mode)
        != NGX_OK
        || ngx_http_s3_srv_lock_u64(&p->patch, NGX_HTTP_S3_FIELD_LOCK_UNTIL,
                                    &has_until, &until)
           != NGX_OK
        || mode > NGX_HTTP_S3_LOCK_MODE_COMPLIANCE
        || (mode == NGX_HTTP_S3_LOCK_MODE_NONE) != (until == 0))
    {
        /* a mode and a date, or neither */
        return NGX_HTTP_S3_WIRE_ST_BAD_REQUEST;
    }

    rc = ngx_http_s3_lock_retention_change(o.lock_mode, o.lock_until,
                                           (ngx_uint_t) mode, until,
                                           ngx_http_s3_srv_lock_now());

    if (rc == NGX_OK
        || (rc == NGX_DECLINED && (p->flags & NGX_HTTP_S3_WIRE_PATCH_BYPASS)))
    {
        return NGX_HTTP_S3_WIRE_ST_OK;
    }

    ngx_log_error(NGX_LOG_INFO, ex->log, 0,
                  "s3 object lock: the retention of \"%V/%V\" is not "
                  "weakened", &p->bucket, &p->key);

    return NGX_HTTP_S3_WIRE_ST_LOCKED;
}


ngx_uint_t
ngx_http_s3_srv_lock_check_legal_hold(ngx_http_s3_exec_t *ex,
    ngx_http_s3_patch_t *p, ngx_str_t *old, ngx_str_t *value)
{
    uint64_t    v;
    ngx_uint_t  st, flags, present;

    st = ngx_http_s3_srv_lock_bucket(ex, &p->bucket, &flags);

    if (st != NGX_HTTP_S3_WIRE_ST_OK) {
        return st;
    }

    if (!(flags & NGX_HTTP_S3_LOCK_ENABLED)) {
        return NGX_HTTP_S3_WIRE_ST_NO_LOCK;
    }

    /* ON or OFF, never removed */

    if (ngx_http_s3_srv_lock_u64(&p->patch, NGX_HTTP_S3_FIELD_LEGAL_HOLD,
                                 &present, &v)
        != NGX_OK
        || (v != NGX_HTTP_S3_LEGAL_HOLD_ON && v != NGX_HTTP_S3_LEGAL_HOLD_OFF))
    {
        return NGX_HTTP_S3_WIRE_ST_BAD_REQUEST;
    }

    return NGX_HTTP_S3_WIRE_ST_OK;
}
