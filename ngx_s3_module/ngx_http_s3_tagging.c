
/*
 * Copyright (C) ngx_s3 authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_s3.h"
#include "ngx_http_s3_ops.h"


/*
 * Object tagging.  The tags an object was given when it was written
 * (x-amz-tagging of CreateMultipartUpload, a copy's tagging directive)
 * are kept in its record as sent, a URL-encoded query string; GetObject-
 * Tagging answers them as a TagSet (empty when there are none), which is
 * what the aws CLI asks for before a managed copy.
 */


static void ngx_http_s3_tagging_handler(ngx_http_s3_meta_req_t *mr);
static ngx_int_t ngx_http_s3_tagging_send(ngx_http_request_t *r,
    ngx_str_t *tagging);
static ngx_int_t ngx_http_s3_tagging_decode(ngx_pool_t *pool, u_char *p,
    size_t len, ngx_str_t *out);


ngx_int_t
ngx_http_s3_get_object_tagging(ngx_http_request_t *r)
{
    if (ngx_http_s3_version_arg(r, NULL) != NGX_OK) {
        return ngx_http_s3_send_error(r, NGX_HTTP_S3_ERR_INVALID_ARGUMENT,
                                      "Invalid version id specified");
    }

    return ngx_http_s3_meta_named(r, NGX_HTTP_S3_WIRE_OP_OBJECT_GET, 1,
                                  ngx_http_s3_tagging_handler, r);
}


static void
ngx_http_s3_tagging_handler(ngx_http_s3_meta_req_t *mr)
{
    ngx_int_t              rc;
    ngx_http_s3_ctx_t     *ctx;
    ngx_http_request_t    *r;
    ngx_http_s3_object_t   o;

    r = mr->data;
    ctx = ngx_http_s3_get_ctx(r);

    if (mr->status != NGX_HTTP_S3_WIRE_ST_OK) {
        rc = ngx_http_s3_send_error(r, ngx_http_s3_meta_error(mr->status),
                                    NULL);
        goto done;
    }

    if (ngx_http_s3_object_decode(&mr->reply, &o, r->pool) != NGX_OK) {
        ngx_log_error(NGX_LOG_ALERT, r->connection->log, 0,
                      "s3 object \"%V/%V\": bad record", &ctx->bucket,
                      &ctx->key);
        rc = ngx_http_s3_send_error(r, NGX_HTTP_S3_ERR_INTERNAL, NULL);
        goto done;
    }

    if (o.flags & NGX_HTTP_S3_OBJECT_DELETE_MARKER) {
        rc = ngx_http_s3_send_error(r, NGX_HTTP_S3_ERR_NO_SUCH_KEY, NULL);
        goto done;
    }

    rc = ngx_http_s3_tagging_send(r, &o.tagging);

done:

    ngx_http_s3_finalize(r, rc);
}


/* "k1=v1&k2=v2" (URL-encoded) as <Tagging><TagSet><Tag>... */

static ngx_int_t
ngx_http_s3_tagging_send(ngx_http_request_t *r, ngx_str_t *tagging)
{
    u_char             *p, *last, *amp, *eq;
    ngx_str_t           k, v;
    ngx_chain_t        *cl;
    ngx_http_s3_xml_t   w;

    ngx_http_s3_xml_init(&w, r->pool);
    ngx_http_s3_xml_root(&w, "Tagging");
    ngx_http_s3_xml_open(&w, "TagSet");

    p = tagging->data;
    last = p + tagging->len;

    while (p < last) {
        amp = ngx_strlchr(p, last, '&');
        if (amp == NULL) {
            amp = last;
        }

        eq = ngx_strlchr(p, amp, '=');

        if (amp == p) {
            p = amp + 1;
            continue;
        }

        /* stored as sent: a pair that does not decode is not a tag */

        if (ngx_http_s3_tagging_decode(r->pool, p, (eq ? eq : amp) - p, &k)
                != NGX_OK
            || ngx_http_s3_tagging_decode(r->pool, eq ? eq + 1 : amp,
                                          eq ? amp - eq - 1 : 0, &v)
               != NGX_OK)
        {
            ngx_log_error(NGX_LOG_WARN, r->connection->log, 0,
                          "s3 tagging: \"%*s\" is not a tag, left out",
                          (size_t) (amp - p), p);

        } else {
            ngx_http_s3_xml_open(&w, "Tag");
            ngx_http_s3_xml_text(&w, "Key", k.data, k.len);
            ngx_http_s3_xml_text(&w, "Value", v.data, v.len);
            ngx_http_s3_xml_close(&w, "Tag");
        }

        p = amp + 1;
    }

    ngx_http_s3_xml_close(&w, "TagSet");
    ngx_http_s3_xml_close(&w, "Tagging");

    cl = ngx_http_s3_xml_finish(&w);
    if (cl == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return ngx_http_s3_send_xml(r, NGX_HTTP_OK, cl);
}


/* form decoding: '+' is a space, %XX a byte; the result valid UTF-8 */

static ngx_int_t
ngx_http_s3_tagging_decode(ngx_pool_t *pool, u_char *p, size_t len,
    ngx_str_t *out)
{
    size_t   i;
    u_char  *d;

    d = ngx_pnalloc(pool, len + 1);
    if (d == NULL) {
        return NGX_ERROR;
    }

    for (i = 0; i < len; i++) {
        d[i] = (p[i] == '+') ? ' ' : p[i];
    }

    if (ngx_http_s3_uri_decode(d, &out->len, d, len) != NGX_OK
        || !ngx_http_s3_valid_utf8(d, out->len))
    {
        return NGX_ERROR;
    }

    out->data = d;

    return NGX_OK;
}
