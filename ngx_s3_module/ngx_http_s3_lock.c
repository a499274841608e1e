
/*
 * Copyright (C) ngx_s3 authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_s3.h"
#include "ngx_http_s3_ops.h"


/*
 * Object lock, the worker side: the x-amz-object-lock-* headers of
 * writes and reads, Put/GetObjectLockConfiguration, Put/GetObjectRetention
 * and Put/GetObjectLegalHold.  What may be deleted or weakened is decided
 * by the metadata process (ngx_http_s3_srv_lock.c) against the stored
 * record, in the step that commits; the worker only says whether the
 * request asked for a governance bypass and may have one.
 */


#define NGX_HTTP_S3_LOCK_MAX_DAYS    36500
#define NGX_HTTP_S3_LOCK_MAX_YEARS   100


static ngx_uint_t ngx_http_s3_lock_mode(ngx_str_t *s);
static ngx_uint_t ngx_http_s3_lock_enabled(ngx_http_request_t *r);
static ngx_uint_t ngx_http_s3_lock_has_checksum(ngx_http_request_t *r);
static ngx_int_t ngx_http_s3_lock_count(ngx_str_t *s, ngx_uint_t max,
    uint32_t *n);
static void ngx_http_s3_lock_conf_body(ngx_http_request_t *r,
    ngx_str_t *body);
static void ngx_http_s3_lock_conf_handler(ngx_http_s3_meta_req_t *mr);
static ngx_int_t ngx_http_s3_lock_object_get(ngx_http_request_t *r);
static void ngx_http_s3_lock_object_handler(ngx_http_s3_meta_req_t *mr);
static void ngx_http_s3_lock_object_body(ngx_http_request_t *r,
    ngx_str_t *body);
static void ngx_http_s3_lock_patch_handler(ngx_http_s3_meta_req_t *mr);
static uint64_t ngx_http_s3_lock_now(void);


static const char  *ngx_http_s3_lock_modes[] = {
    "", "GOVERNANCE", "COMPLIANCE"
};


static uint64_t
ngx_http_s3_lock_now(void)
{
    ngx_time_t  *tp;

    tp = ngx_timeofday();

    return (uint64_t) tp->sec * 1000 + tp->msec;
}


/* GOVERNANCE or COMPLIANCE (exactly, as S3 takes them), else NONE */

static ngx_uint_t
ngx_http_s3_lock_mode(ngx_str_t *s)
{
    if (s->len == 10 && ngx_strncmp(s->data, "GOVERNANCE", 10) == 0) {
        return NGX_HTTP_S3_LOCK_MODE_GOVERNANCE;
    }

    if (s->len == 10 && ngx_strncmp(s->data, "COMPLIANCE", 10) == 0) {
        return NGX_HTTP_S3_LOCK_MODE_COMPLIANCE;
    }

    return NGX_HTTP_S3_LOCK_MODE_NONE;
}


/* the request's bucket has object lock (a missing bucket: as if it had) */

static ngx_uint_t
ngx_http_s3_lock_enabled(ngx_http_request_t *r)
{
    ngx_http_s3_ctx_t  *ctx;

    ctx = ngx_http_s3_get_ctx(r);

    if (ctx->baccess == NULL || !ctx->baccess->found) {
        /* the operation answers NoSuchBucket */
        return 1;
    }

    return (ctx->baccess->object_lock & NGX_HTTP_S3_LOCK_ENABLED) ? 1 : 0;
}


ngx_http_s3_err_e
ngx_http_s3_lock_headers(ngx_http_request_t *r, ngx_http_s3_object_t *o,
    const char **message)
{
    uint64_t          until;
    ngx_table_elt_t  *mode, *date, *hold;

    mode = ngx_http_s3_header_in(r, "x-amz-object-lock-mode");
    date = ngx_http_s3_header_in(r, "x-amz-object-lock-retain-until-date");
    hold = ngx_http_s3_header_in(r, "x-amz-object-lock-legal-hold");

    if (mode == NULL && date == NULL && hold == NULL) {
        return NGX_HTTP_S3_OK;
    }

    if (mode) {
        o->lock_mode = ngx_http_s3_lock_mode(&mode->value);

        if (o->lock_mode == NGX_HTTP_S3_LOCK_MODE_NONE) {
            *message = "Unknown wormMode directive.";
            return NGX_HTTP_S3_ERR_INVALID_ARGUMENT;
        }
    }

    if (date) {
        if (ngx_http_s3_parse_iso8601(date->value.data, date->value.len,
                                      &until)
            != NGX_OK)
        {
            *message = "The retain until date must be provided in ISO 8601 "
                       "format";
            return NGX_HTTP_S3_ERR_INVALID_ARGUMENT;
        }

        o->lock_until = until;
    }

    if ((mode == NULL) != (date == NULL)) {
        *message = "x-amz-object-lock-retain-until-date and "
                   "x-amz-object-lock-mode must both be supplied";
        return NGX_HTTP_S3_ERR_INVALID_ARGUMENT;
    }

    if (date && o->lock_until <= ngx_http_s3_lock_now()) {
        *message = "The retain until date must be in the future!";
        return NGX_HTTP_S3_ERR_INVALID_ARGUMENT;
    }

    if (hold) {
        if (hold->value.len == 2
            && ngx_strncmp(hold->value.data, "ON", 2) == 0)
        {
            o->legal_hold = NGX_HTTP_S3_LEGAL_HOLD_ON;

        } else if (hold->value.len == 3
                   && ngx_strncmp(hold->value.data, "OFF", 3) == 0)
        {
            o->legal_hold = NGX_HTTP_S3_LEGAL_HOLD_OFF;

        } else {
            *message = "Legal Hold must be either of 'ON' or 'OFF'";
            return NGX_HTTP_S3_ERR_INVALID_ARGUMENT;
        }
    }

    if (!ngx_http_s3_lock_enabled(r)) {
        *message = "Bucket is missing ObjectLockConfiguration";
        return NGX_HTTP_S3_ERR_INVALID_REQUEST;
    }

    return NGX_HTTP_S3_OK;
}


ngx_http_s3_err_e
ngx_http_s3_lock_checksum(ngx_http_request_t *r, ngx_http_s3_object_t *o,
    const char **message)
{
    ngx_http_s3_ctx_t  *ctx;

    ctx = ngx_http_s3_get_ctx(r);

    if (ctx->baccess == NULL || !ctx->baccess->found
        || !(ctx->baccess->object_lock & NGX_HTTP_S3_LOCK_ENABLED))
    {
        return NGX_HTTP_S3_OK;
    }

    if ((o->lock_mode == NGX_HTTP_S3_LOCK_MODE_NONE
         && o->legal_hold == NGX_HTTP_S3_LEGAL_HOLD_NONE
         && !(ctx->baccess->object_lock & NGX_HTTP_S3_LOCK_DEFAULT))
        || ngx_http_s3_lock_has_checksum(r))
    {
        return NGX_HTTP_S3_OK;
    }

    *message = "Content-MD5 OR x-amz-checksum- HTTP header is required for "
               "Put Object requests with Object Lock parameters";

    return NGX_HTTP_S3_ERR_INVALID_REQUEST;
}


ngx_http_s3_err_e
ngx_http_s3_lock_part_checksum(ngx_http_request_t *r,
    ngx_http_s3_object_t *u, const char **message)
{
    if ((u->lock_mode == NGX_HTTP_S3_LOCK_MODE_NONE
         && u->legal_hold == NGX_HTTP_S3_LEGAL_HOLD_NONE)
        || ngx_http_s3_lock_has_checksum(r))
    {
        return NGX_HTTP_S3_OK;
    }

    *message = "Content-MD5 OR x-amz-checksum- HTTP header is required for "
               "Put Part requests with Object Lock parameters";

    return NGX_HTTP_S3_ERR_INVALID_REQUEST;
}


/* Content-MD5, an x-amz-checksum-<alg> value, or a checksum trailer */

static ngx_uint_t
ngx_http_s3_lock_has_checksum(ngx_http_request_t *r)
{
    ngx_uint_t         i;
    ngx_list_part_t   *part;
    ngx_table_elt_t   *h;

    part = &r->headers_in.headers.part;
    h = part->elts;

    for (i = 0; /* void */; i++) {

        if (i >= part->nelts) {
            if (part->next == NULL) {
                break;
            }

            part = part->next;
            h = part->elts;
            i = 0;
        }

        if (ngx_http_s3_header_is(&h[i], "content-md5")) {
            return 1;
        }

        if (ngx_http_s3_header_prefix(&h[i], "x-amz-checksum-")
            && !ngx_http_s3_header_is(&h[i], "x-amz-checksum-type")
            && !ngx_http_s3_header_is(&h[i], "x-amz-checksum-mode")
            && !ngx_http_s3_header_is(&h[i], "x-amz-checksum-algorithm"))
        {
            return 1;
        }

        if (ngx_http_s3_header_is(&h[i], "x-amz-trailer")
            && h[i].value.len > sizeof("x-amz-checksum-") - 1
            && ngx_strncasecmp(h[i].value.data, (u_char *) "x-amz-checksum-",
                               sizeof("x-amz-checksum-") - 1)
               == 0)
        {
            return 1;
        }
    }

    return 0;
}


ngx_int_t
ngx_http_s3_lock_out(ngx_http_request_t *r, ngx_http_s3_object_t *o)
{
    u_char     *p;
    ngx_str_t   v;

    if (o->lock_mode != NGX_HTTP_S3_LOCK_MODE_NONE) {
        v.data = (u_char *) ngx_http_s3_lock_modes[o->lock_mode];
        v.len = ngx_strlen(v.data);

        if (ngx_http_s3_add_header(r, "x-amz-object-lock-mode", &v)
            != NGX_OK)
        {
            return NGX_ERROR;
        }

        p = ngx_pnalloc(r->pool, NGX_HTTP_S3_ISO8601_LEN);
        if (p == NULL) {
            return NGX_ERROR;
        }

        v.data = p;
        v.len = ngx_http_s3_time_iso8601(p, o->lock_until) - p;

        if (ngx_http_s3_add_header(r, "x-amz-object-lock-retain-until-date",
                                   &v)
            != NGX_OK)
        {
            return NGX_ERROR;
        }
    }

    if (o->legal_hold != NGX_HTTP_S3_LEGAL_HOLD_NONE) {
        if (o->legal_hold == NGX_HTTP_S3_LEGAL_HOLD_ON) {
            ngx_str_set(&v, "ON");

        } else {
            ngx_str_set(&v, "OFF");
        }

        if (ngx_http_s3_add_header(r, "x-amz-object-lock-legal-hold", &v)
            != NGX_OK)
        {
            return NGX_ERROR;
        }
    }

    return NGX_OK;
}


ngx_uint_t
ngx_http_s3_lock_bypass(ngx_http_request_t *r, ngx_str_t *key)
{
    ngx_table_elt_t  *h;

    h = ngx_http_s3_header_in(r, "x-amz-bypass-governance-retention");

    if (h == NULL
        || h->value.len != 4
        || ngx_strncasecmp(h->value.data, (u_char *) "true", 4) != 0)
    {
        return 0;
    }

    if (key == NULL) {
        /* asked for: the permission is decided per key */
        return 1;
    }

    return ngx_http_s3_access_object(r,
                                  NGX_HTTP_S3_ACT_BYPASS_GOVERNANCE_RETENTION,
                                  key);
}


/* PutObjectLockConfiguration */

ngx_int_t
ngx_http_s3_put_object_lock_configuration(ngx_http_request_t *r)
{
    ngx_int_t  rc;

    rc = ngx_http_s3_read_xml_body(r, ngx_http_s3_lock_conf_body, 0);

    if (rc != NGX_OK) {
        return rc;
    }

    return NGX_DONE;
}


/* Days or Years: a positive integer up to max */

static ngx_int_t
ngx_http_s3_lock_count(ngx_str_t *s, ngx_uint_t max, uint32_t *n)
{
    ngx_int_t  v;

    if (s->len == 0 || s->len > 10) {
        return NGX_ERROR;
    }

    v = ngx_atoi(s->data, s->len);

    if (v <= 0 || (ngx_uint_t) v > max) {
        return NGX_ERROR;
    }

    *n = (uint32_t) v;

    return NGX_OK;
}


static void
ngx_http_s3_lock_conf_body(ngx_http_request_t *r, ngx_str_t *body)
{
    ngx_str_t                 conf;
    ngx_http_s3_ctx_t        *ctx;
    ngx_http_s3_wbuf_t        b, cb;
    ngx_http_s3_xml_lock_t    lk;
    ngx_http_s3_lock_conf_t   lc;

    ctx = ngx_http_s3_get_ctx(r);

    if (ngx_http_s3_xml_parse_lock_conf(r->pool, body->data, body->len, &lk)
        != NGX_OK
        || lk.enabled.data == NULL
        || !(lk.enabled.len == 7
             && ngx_strncmp(lk.enabled.data, "Enabled", 7) == 0)
        || (lk.rule && !lk.retention))
    {
        ngx_http_s3_finalize(r, ngx_http_s3_send_error(r,
                                        NGX_HTTP_S3_ERR_MALFORMED_XML, NULL));
        return;
    }

    ngx_memzero(&lc, sizeof(ngx_http_s3_lock_conf_t));
    ngx_str_null(&conf);

    if (lk.retention) {

        /* a mode, and exactly one of Days and Years */

        lc.mode = lk.mode.data ? ngx_http_s3_lock_mode(&lk.mode)
                               : NGX_HTTP_S3_LOCK_MODE_NONE;

        if (lc.mode == NGX_HTTP_S3_LOCK_MODE_NONE
            || (lk.days.data == NULL) == (lk.years.data == NULL))
        {
            ngx_http_s3_finalize(r, ngx_http_s3_send_error(r,
                                        NGX_HTTP_S3_ERR_MALFORMED_XML, NULL));
            return;
        }

        lc.years = (lk.years.data != NULL);

        if (ngx_http_s3_lock_count(lc.years ? &lk.years : &lk.days,
                                   lc.years ? NGX_HTTP_S3_LOCK_MAX_YEARS
                                            : NGX_HTTP_S3_LOCK_MAX_DAYS,
                                   &lc.count)
            != NGX_OK)
        {
            ngx_http_s3_finalize(r, ngx_http_s3_send_error(r,
                                    NGX_HTTP_S3_ERR_INVALID_ARGUMENT,
                                    "Default retention period must be a "
                                    "positive integer value"));
            return;
        }

        if (ngx_http_s3_wbuf_init(&cb, r->pool, 16) != NGX_OK) {
            ngx_http_s3_finalize(r, ngx_http_s3_send_error(r,
                                        NGX_HTTP_S3_ERR_INTERNAL, NULL));
            return;
        }

        ngx_http_s3_lock_conf_encode(&cb, &lc);

        conf.data = cb.start;
        conf.len = cb.pos - cb.start;
    }

    if (ngx_http_s3_wbuf_init(&b, r->pool, 16 + ctx->bucket.len + conf.len)
        != NGX_OK)
    {
        ngx_http_s3_finalize(r, ngx_http_s3_send_error(r,
                                        NGX_HTTP_S3_ERR_INTERNAL, NULL));
        return;
    }

    ngx_http_s3_wire_put_str(&b, &ctx->bucket);
    ngx_http_s3_wire_put_str(&b, &conf);

    if (ngx_http_s3_meta_call(r, NGX_HTTP_S3_WIRE_OP_LOCK_SET, &b,
                              ngx_http_s3_lock_conf_handler, r)
        != NGX_OK)
    {
        ngx_http_s3_finalize(r, ngx_http_s3_send_error(r,
                                        NGX_HTTP_S3_ERR_INTERNAL, NULL));
        return;
    }

    /* the handler finalizes the request */
}


/* GetObjectLockConfiguration */

ngx_int_t
ngx_http_s3_get_object_lock_configuration(ngx_http_request_t *r)
{
    return ngx_http_s3_meta_named(r, NGX_HTTP_S3_WIRE_OP_LOCK_GET, 0,
                                  ngx_http_s3_lock_conf_handler, r);
}


static void
ngx_http_s3_lock_conf_handler(ngx_http_s3_meta_req_t *mr)
{
    uint8_t                   flags;
    ngx_int_t                 rc;
    ngx_str_t                 conf;
    ngx_chain_t              *cl;
    ngx_http_s3_xml_t         w;
    ngx_http_s3_ctx_t        *ctx;
    ngx_http_request_t       *r;
    ngx_http_s3_rbuf_t        rb;
    ngx_http_s3_lock_conf_t   lc;

    r = mr->data;
    ctx = ngx_http_s3_get_ctx(r);

    if (mr->status != NGX_HTTP_S3_WIRE_ST_OK) {
        rc = ngx_http_s3_send_error(r, ngx_http_s3_meta_error(mr->status),
                                    ngx_http_s3_meta_message(mr->status));
        goto done;
    }

    if (ctx->op == NGX_HTTP_S3_OP_PUT_OBJECT_LOCK_CONFIGURATION) {
        rc = ngx_http_s3_send_empty(r, NGX_HTTP_OK);
        goto done;
    }

    ngx_http_s3_rbuf_init(&rb, &mr->reply);
    flags = ngx_http_s3_wire_get_u8(&rb);
    ngx_http_s3_wire_get_str(&rb, &conf);

    if (rb.error || ngx_http_s3_lock_conf_decode(&conf, &lc) != NGX_OK) {
        rc = ngx_http_s3_send_error(r, NGX_HTTP_S3_ERR_INTERNAL, NULL);
        goto done;
    }

    if (!(flags & NGX_HTTP_S3_LOCK_ENABLED)) {
        rc = ngx_http_s3_send_error(r,
                                 NGX_HTTP_S3_ERR_OBJECT_LOCK_CONFIG_NOT_FOUND,
                                 NULL);
        goto done;
    }

    ngx_http_s3_xml_init(&w, r->pool);
    ngx_http_s3_xml_root(&w, "ObjectLockConfiguration");
    ngx_http_s3_xml_cstr(&w, "ObjectLockEnabled", "Enabled");

    if (lc.mode != NGX_HTTP_S3_LOCK_MODE_NONE) {
        ngx_http_s3_xml_open(&w, "Rule");
        ngx_http_s3_xml_open(&w, "DefaultRetention");
        ngx_http_s3_xml_cstr(&w, "Mode", ngx_http_s3_lock_modes[lc.mode]);
        ngx_http_s3_xml_uint(&w, lc.years ? "Years" : "Days", lc.count);
        ngx_http_s3_xml_close(&w, "DefaultRetention");
        ngx_http_s3_xml_close(&w, "Rule");
    }

    ngx_http_s3_xml_close(&w, "ObjectLockConfiguration");

    cl = ngx_http_s3_xml_finish(&w);

    if (cl == NULL) {
        rc = ngx_http_s3_send_error(r, NGX_HTTP_S3_ERR_INTERNAL, NULL);
        goto done;
    }

    rc = ngx_http_s3_send_xml(r, NGX_HTTP_OK, cl);

done:

    ngx_http_s3_finalize(r, rc);
}


/* GetObjectRetention, GetObjectLegalHold: from the object's record */

ngx_int_t
ngx_http_s3_get_object_retention(ngx_http_request_t *r)
{
    return ngx_http_s3_lock_object_get(r);
}


ngx_int_t
ngx_http_s3_get_object_legal_hold(ngx_http_request_t *r)
{
    return ngx_http_s3_lock_object_get(r);
}


static ngx_int_t
ngx_http_s3_lock_object_get(ngx_http_request_t *r)
{
    if (ngx_http_s3_version_arg(r, NULL) != NGX_OK) {
        return ngx_http_s3_send_error(r, NGX_HTTP_S3_ERR_INVALID_ARGUMENT,
                                      "Invalid version id specified");
    }

    if (!ngx_http_s3_lock_enabled(r)) {
        return ngx_http_s3_send_error(r, NGX_HTTP_S3_ERR_INVALID_REQUEST,
                                      "Bucket is missing Object Lock "
                                      "Configuration");
    }

    return ngx_http_s3_meta_named(r, NGX_HTTP_S3_WIRE_OP_OBJECT_GET, 1,
                                  ngx_http_s3_lock_object_handler, r);
}


static void
ngx_http_s3_lock_object_handler(ngx_http_s3_meta_req_t *mr)
{
    u_char                 *p;
    ngx_int_t               rc;
    ngx_chain_t            *cl;
    ngx_http_s3_xml_t       w;
    ngx_http_s3_ctx_t      *ctx;
    ngx_http_request_t     *r;
    ngx_http_s3_object_t    o;

    r = mr->data;
    ctx = ngx_http_s3_get_ctx(r);

    if (mr->status != NGX_HTTP_S3_WIRE_ST_OK) {
        rc = ngx_http_s3_send_error(r, ngx_http_s3_meta_error(mr->status),
                                    ngx_http_s3_meta_message(mr->status));
        goto done;
    }

    if (ngx_http_s3_object_decode(&mr->reply, &o, NULL) != NGX_OK) {
        rc = ngx_http_s3_send_error(r, NGX_HTTP_S3_ERR_INTERNAL, NULL);
        goto done;
    }

    ngx_http_s3_xml_init(&w, r->pool);

    if (ctx->op == NGX_HTTP_S3_OP_GET_OBJECT_RETENTION) {

        if (o.lock_mode == NGX_HTTP_S3_LOCK_MODE_NONE) {
            rc = ngx_http_s3_send_error(r,
                                   NGX_HTTP_S3_ERR_NO_SUCH_OBJECT_LOCK_CONFIG,
                                   NULL);
            goto done;
        }

        p = ngx_pnalloc(r->pool, NGX_HTTP_S3_ISO8601_LEN);
        if (p == NULL) {
            rc = ngx_http_s3_send_error(r, NGX_HTTP_S3_ERR_INTERNAL, NULL);
            goto done;
        }

        ngx_http_s3_xml_root(&w, "Retention");
        ngx_http_s3_xml_cstr(&w, "Mode", ngx_http_s3_lock_modes[o.lock_mode]);
        ngx_http_s3_xml_text(&w, "RetainUntilDate", p,
                             ngx_http_s3_time_iso8601(p, o.lock_until) - p);
        ngx_http_s3_xml_close(&w, "Retention");

    } else {

        if (o.legal_hold == NGX_HTTP_S3_LEGAL_HOLD_NONE) {
            rc = ngx_http_s3_send_error(r,
                                   NGX_HTTP_S3_ERR_NO_SUCH_OBJECT_LOCK_CONFIG,
                                   NULL);
            goto done;
        }

        ngx_http_s3_xml_root(&w, "LegalHold");
        ngx_http_s3_xml_cstr(&w, "Status",
                             o.legal_hold == NGX_HTTP_S3_LEGAL_HOLD_ON
                             ? "ON" : "OFF");
        ngx_http_s3_xml_close(&w, "LegalHold");
    }

    cl = ngx_http_s3_xml_finish(&w);

    if (cl == NULL) {
        rc = ngx_http_s3_send_error(r, NGX_HTTP_S3_ERR_INTERNAL, NULL);
        goto done;
    }

    rc = ngx_http_s3_send_xml(r, NGX_HTTP_OK, cl);

done:

    ngx_http_s3_finalize(r, rc);
}


/*
 * PutObjectRetention, PutObjectLegalHold: the fields of one version
 * patched by the metadata process (OBJECT_PATCH), whose checkers decide
 * against the stored record (ngx_http_s3_srv_lock.c)
 */

ngx_int_t
ngx_http_s3_put_object_retention(ngx_http_request_t *r)
{
    ngx_int_t  rc;

    if (!ngx_http_s3_lock_enabled(r)) {
        return ngx_http_s3_send_error(r, NGX_HTTP_S3_ERR_INVALID_REQUEST,
                                      "Bucket is missing Object Lock "
                                      "Configuration");
    }

    rc = ngx_http_s3_read_xml_body(r, ngx_http_s3_lock_object_body, 0);

    if (rc != NGX_OK) {
        return rc;
    }

    return NGX_DONE;
}


ngx_int_t
ngx_http_s3_put_object_legal_hold(ngx_http_request_t *r)
{
    return ngx_http_s3_put_object_retention(r);
}


static void
ngx_http_s3_lock_object_body(ngx_http_request_t *r, ngx_str_t *body)
{
    uint64_t                 until;
    ngx_str_t                version, patch, v;
    ngx_uint_t               mode, hold, flags;
    ngx_http_s3_ctx_t       *ctx;
    ngx_http_s3_wbuf_t       b, pb, vb;
    ngx_http_s3_xml_lock_t   lk;

    ctx = ngx_http_s3_get_ctx(r);

    if (ngx_http_s3_wbuf_init(&pb, r->pool, 64) != NGX_OK
        || ngx_http_s3_wbuf_init(&vb, r->pool, 8) != NGX_OK)
    {
        ngx_http_s3_finalize(r, ngx_http_s3_send_error(r,
                                        NGX_HTTP_S3_ERR_INTERNAL, NULL));
        return;
    }

    flags = 0;

    if (ctx->op == NGX_HTTP_S3_OP_PUT_OBJECT_RETENTION) {

        if (ngx_http_s3_xml_parse_retention(r->pool, body->data, body->len,
                                            &lk)
            != NGX_OK
            || (lk.mode.data == NULL) != (lk.until.data == NULL))
        {
            ngx_http_s3_finalize(r, ngx_http_s3_send_error(r,
                                        NGX_HTTP_S3_ERR_MALFORMED_XML, NULL));
            return;
        }

        mode = NGX_HTTP_S3_LOCK_MODE_NONE;
        until = 0;

        if (lk.mode.data) {
            mode = ngx_http_s3_lock_mode(&lk.mode);

            if (mode == NGX_HTTP_S3_LOCK_MODE_NONE
                || ngx_http_s3_parse_iso8601(lk.until.data, lk.until.len,
                                             &until)
                   != NGX_OK)
            {
                ngx_http_s3_finalize(r, ngx_http_s3_send_error(r,
                                        NGX_HTTP_S3_ERR_MALFORMED_XML, NULL));
                return;
            }

            if (until <= ngx_http_s3_lock_now()) {
                ngx_http_s3_finalize(r, ngx_http_s3_send_error(r,
                                  NGX_HTTP_S3_ERR_INVALID_ARGUMENT,
                                  "The retain until date must be in the "
                                  "future!"));
                return;
            }
        }

        /* a mode and a date; both empty: the retention goes */

        if (mode != NGX_HTTP_S3_LOCK_MODE_NONE) {
            ngx_http_s3_wire_put_u64(&vb, mode);
            v.data = vb.start;
            v.len = 8;

        } else {
            ngx_str_null(&v);
        }

        ngx_http_s3_record_put_field(&pb, NGX_HTTP_S3_FIELD_LOCK_MODE, &v);

        if (mode != NGX_HTTP_S3_LOCK_MODE_NONE) {
            vb.pos = vb.start;
            ngx_http_s3_wire_put_u64(&vb, until);
        }

        ngx_http_s3_record_put_field(&pb, NGX_HTTP_S3_FIELD_LOCK_UNTIL, &v);

        if (ngx_http_s3_lock_bypass(r, &ctx->key)) {
            flags |= NGX_HTTP_S3_WIRE_PATCH_BYPASS;
        }

    } else {

        if (ngx_http_s3_xml_parse_legal_hold(r->pool, body->data, body->len,
                                             &lk)
            != NGX_OK
            || lk.status.data == NULL)
        {
            ngx_http_s3_finalize(r, ngx_http_s3_send_error(r,
                                        NGX_HTTP_S3_ERR_MALFORMED_XML, NULL));
            return;
        }

        if (lk.status.len == 2 && ngx_strncmp(lk.status.data, "ON", 2) == 0)
        {
            hold = NGX_HTTP_S3_LEGAL_HOLD_ON;

        } else if (lk.status.len == 3
                   && ngx_strncmp(lk.status.data, "OFF", 3) == 0)
        {
            hold = NGX_HTTP_S3_LEGAL_HOLD_OFF;

        } else {
            ngx_http_s3_finalize(r, ngx_http_s3_send_error(r,
                                        NGX_HTTP_S3_ERR_MALFORMED_XML, NULL));
            return;
        }

        ngx_http_s3_wire_put_u64(&vb, hold);
        v.data = vb.start;
        v.len = 8;

        ngx_http_s3_record_put_field(&pb, NGX_HTTP_S3_FIELD_LEGAL_HOLD, &v);
    }

    patch.data = pb.start;
    patch.len = pb.pos - pb.start;

    /* the version: until versioning, "null" or none (the current one) */

    if (ngx_http_s3_arg(r, "versionId", &version) != NGX_OK) {
        ngx_str_null(&version);
    }

    if (pb.error || vb.error
        || ngx_http_s3_wbuf_init(&b, r->pool, 32 + ctx->bucket.len
                                             + ctx->key.len + version.len
                                             + patch.len)
           != NGX_OK)
    {
        ngx_http_s3_finalize(r, ngx_http_s3_send_error(r,
                                        NGX_HTTP_S3_ERR_INTERNAL, NULL));
        return;
    }

    ngx_http_s3_wire_put_str(&b, &ctx->bucket);
    ngx_http_s3_wire_put_str(&b, &ctx->key);
    ngx_http_s3_wire_put_str(&b, &version);
    ngx_http_s3_wire_put_u8(&b, (uint8_t) flags);
    ngx_http_s3_wire_put_str(&b, &patch);

    if (ngx_http_s3_meta_call(r, NGX_HTTP_S3_WIRE_OP_OBJECT_PATCH, &b,
                              ngx_http_s3_lock_patch_handler, r)
        != NGX_OK)
    {
        ngx_http_s3_finalize(r, ngx_http_s3_send_error(r,
                                        NGX_HTTP_S3_ERR_INTERNAL, NULL));
        return;
    }

    /* the handler finalizes the request */
}


static void
ngx_http_s3_lock_patch_handler(ngx_http_s3_meta_req_t *mr)
{
    ngx_int_t            rc;
    ngx_http_request_t  *r;

    r = mr->data;

    if (mr->status == NGX_HTTP_S3_WIRE_ST_OK) {
        rc = ngx_http_s3_send_empty(r, NGX_HTTP_OK);

    } else if (mr->status == NGX_HTTP_S3_WIRE_ST_NO_LOCK) {
        rc = ngx_http_s3_send_error(r, NGX_HTTP_S3_ERR_INVALID_REQUEST,
                                    "Bucket is missing Object Lock "
                                    "Configuration");

    } else {
        rc = ngx_http_s3_send_error(r, ngx_http_s3_meta_error(mr->status),
                                    ngx_http_s3_meta_message(mr->status));
    }

    ngx_http_s3_finalize(r, rc);
}
