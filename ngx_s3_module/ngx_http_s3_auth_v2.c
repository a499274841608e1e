
/*
 * Copyright (C) ngx_s3 authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_s3.h"
#include "ngx_http_s3_auth.h"


/*
 * AWS Signature Version 2 (unless s3_sigv2 is off): the Authorization
 * header "AWS AK:signature" and the query form of presigned URLs, as
 * boto3 still presigns in us-east-1.  The string to sign is computed in
 * ngx_http_s3_sigv2.c; this file reads the request for it and tries the
 * resource forms that clients sign.
 */


/* the resources a SigV2 signature is tried with */
#define NGX_HTTP_S3_AUTH_V2_FORMS  3


static ngx_http_s3_err_e ngx_http_s3_auth_v2_payload(
    ngx_http_s3_auth_req_t *ar);
static ngx_http_s3_err_e ngx_http_s3_auth_v2_verify(
    ngx_http_s3_auth_req_t *ar, ngx_http_s3_sigv2_t *sig, ngx_str_t *date,
    ngx_str_t *alt_date);
static ngx_int_t ngx_http_s3_auth_v2_request(ngx_http_s3_auth_req_t *ar,
    ngx_http_s3_sigv2_req_t *req);
static ngx_uint_t ngx_http_s3_auth_v2_forms(ngx_http_s3_auth_req_t *ar,
    ngx_http_s3_sigv2_req_t *req, ngx_str_t *buckets, ngx_str_t *paths);


/*
 * Signature Version 2, "Authorization: AWS AK:signature": the Date line
 * is the Date header, or empty when x-amz-date is sent (that header is
 * signed among the x-amz-* ones and it is the request time).
 */

ngx_http_s3_err_e
ngx_http_s3_auth_v2_header(ngx_http_s3_auth_req_t *ar, ngx_str_t *value)
{
    ngx_str_t                 date_line, *request_time, *alt;
    ngx_table_elt_t          *amz_date, *date;
    ngx_http_s3_err_e         err;
    ngx_http_s3_sigv2_t       sig;
    ngx_http_s3_err_extra_t  *extra;

    ar->v2 = 1;

    if (ngx_http_s3_sigv2_parse_header(value, &sig) != NGX_OK) {
        extra = ngx_http_s3_auth_extra(ar, 2);
        if (extra == NULL) {
            return NGX_HTTP_S3_ERR_INTERNAL;
        }

        extra[0].name = "ArgumentName";
        ngx_str_set(&extra[0].value, "Authorization");
        extra[1].name = "ArgumentValue";
        extra[1].value = *value;

        return ngx_http_s3_auth_fail(ar, NGX_HTTP_S3_ERR_INVALID_ARGUMENT,
                                     "AWS authorization header is invalid.  "
                                     "Expected AwsAccessKeyId:signature");
    }

    ar->sig.access_key = sig.access_key;

    amz_date = ngx_http_s3_header_in(ar->r, "x-amz-date");
    date = ar->r->headers_in.date;
    alt = NULL;

    if (amz_date) {
        request_time = &amz_date->value;
        ngx_str_set(&date_line, "");

        /* some clients put the Date header in the Date line all the same */

        if (date) {
            alt = &date->value;
        }

    } else if (date) {
        request_time = &date->value;
        date_line = date->value;

    } else {
        return ngx_http_s3_auth_fail(ar, NGX_HTTP_S3_ERR_ACCESS_DENIED,
                                     NGX_HTTP_S3_AUTH_NO_DATE);
    }

    ar->date = ngx_parse_http_time(request_time->data, request_time->len);

    if (ar->date == NGX_ERROR) {
        return ngx_http_s3_auth_fail(ar, NGX_HTTP_S3_ERR_ACCESS_DENIED,
                                     NGX_HTTP_S3_AUTH_NO_DATE);
    }

    err = ngx_http_s3_auth_key(ar);
    if (err != NGX_HTTP_S3_OK) {
        return err;
    }

    if (ar->date < ngx_time() - ar->smcf->max_skew
        || ar->date > ngx_time() + ar->smcf->max_skew)
    {
        return ngx_http_s3_auth_skewed(ar, request_time);
    }

    err = ngx_http_s3_auth_v2_payload(ar);
    if (err != NGX_HTTP_S3_OK) {
        return err;
    }

    return ngx_http_s3_auth_v2_verify(ar, &sig, &date_line, alt);
}


/*
 * Signature Version 2 in the query: AWSAccessKeyId, Signature and
 * Expires (seconds since the epoch), which is the Date line
 */

ngx_http_s3_err_e
ngx_http_s3_auth_v2_query(ngx_http_s3_auth_req_t *ar)
{
    u_char                   *msg, *last;
    size_t                    len;
    time_t                    expires;
    ngx_int_t                 rc;
    const char               *err_msg;
    ngx_http_s3_err_e         err;
    ngx_http_s3_sigv2_t       sig;
    ngx_http_s3_err_extra_t  *extra;

    ar->v2 = 1;
    ar->presigned = 1;

    err_msg = NULL;

    rc = ngx_http_s3_sigv2_parse_query(ar->r->pool, &ar->r->args, &sig,
                                       &err_msg);

    if (rc == NGX_ERROR && err_msg == NULL) {
        return NGX_HTTP_S3_ERR_INTERNAL;
    }

    if (rc != NGX_OK) {
        return ngx_http_s3_auth_fail(ar, NGX_HTTP_S3_ERR_ACCESS_DENIED,
                                     err_msg ? err_msg
                                             : "Query-string authentication "
                                               "requires the Signature, "
                                               "Expires and AWSAccessKeyId "
                                               "parameters");
    }

    ar->sig.access_key = sig.access_key;

    expires = ngx_atotm(sig.expires.data, sig.expires.len);

    if (expires == NGX_ERROR) {
        len = sizeof("Invalid date (should be seconds since epoch): ")
              + sig.expires.len;

        msg = ngx_pnalloc(ar->r->pool, len);
        if (msg == NULL) {
            return NGX_HTTP_S3_ERR_INTERNAL;
        }

        last = ngx_snprintf(msg, len - 1,
                            "Invalid date (should be seconds since epoch): "
                            "%V", &sig.expires);
        *last = '\0';

        return ngx_http_s3_auth_fail(ar, NGX_HTTP_S3_ERR_ACCESS_DENIED,
                                     (char *) msg);
    }

    err = ngx_http_s3_auth_key(ar);
    if (err != NGX_HTTP_S3_OK) {
        return err;
    }

    if (ngx_time() > expires) {
        extra = ngx_http_s3_auth_extra(ar, 2);
        if (extra == NULL) {
            return NGX_HTTP_S3_ERR_INTERNAL;
        }

        extra[0].name = "Expires";
        extra[1].name = "ServerTime";

        if (ngx_http_s3_auth_time(ar, expires, &extra[0].value) != NGX_OK
            || ngx_http_s3_auth_time(ar, ngx_time(), &extra[1].value)
               != NGX_OK)
        {
            return NGX_HTTP_S3_ERR_INTERNAL;
        }

        return ngx_http_s3_auth_fail(ar, NGX_HTTP_S3_ERR_ACCESS_DENIED,
                                     "Request has expired");
    }

    err = ngx_http_s3_auth_v2_payload(ar);
    if (err != NGX_HTTP_S3_OK) {
        return err;
    }

    return ngx_http_s3_auth_v2_verify(ar, &sig, &sig.expires, NULL);
}


/*
 * A SigV2 payload is not signed: the body goes on as with
 * UNSIGNED-PAYLOAD (Content-MD5 is still checked).  aws-chunked needs
 * a SigV4 seed signature.
 */

static ngx_http_s3_err_e
ngx_http_s3_auth_v2_payload(ngx_http_s3_auth_req_t *ar)
{
    ngx_table_elt_t  *h;

    h = ngx_http_s3_header_in(ar->r, "x-amz-content-sha256");

    if (h && h->value.len >= 10
        && ngx_strncmp(h->value.data, "STREAMING-", 10) == 0)
    {
        return ngx_http_s3_auth_fail(ar, NGX_HTTP_S3_ERR_INVALID_REQUEST,
                                     "aws-chunked payloads require AWS "
                                     "Signature Version 4");
    }

    ar->ctx->auth.payload = NGX_HTTP_S3_PAYLOAD_UNSIGNED;

    return NGX_HTTP_S3_OK;
}


static ngx_http_s3_err_e
ngx_http_s3_auth_v2_verify(ngx_http_s3_auth_req_t *ar,
    ngx_http_s3_sigv2_t *sig, ngx_str_t *date, ngx_str_t *alt_date)
{
    u_char                   *p;
    size_t                    i;
    ngx_int_t                 rc;
    ngx_str_t                 sts, s, dates[2];
    ngx_str_t                 buckets[NGX_HTTP_S3_AUTH_V2_FORMS];
    ngx_str_t                 paths[NGX_HTTP_S3_AUTH_V2_FORMS];
    ngx_uint_t                nd, np, d, k;
    ngx_http_request_t       *r;
    ngx_http_s3_sigv2_req_t   req;
    ngx_http_s3_err_extra_t  *extra;

    r = ar->r;

    ngx_memzero(&req, sizeof(ngx_http_s3_sigv2_req_t));

    if (ngx_http_s3_auth_v2_request(ar, &req) != NGX_OK) {
        return NGX_HTTP_S3_ERR_INTERNAL;
    }

    nd = 0;
    dates[nd++] = *date;

    if (alt_date) {
        dates[nd++] = *alt_date;
    }

    np = ngx_http_s3_auth_v2_forms(ar, &req, buckets, paths);

    if (np == 0) {
        return NGX_HTTP_S3_ERR_INTERNAL;
    }

    ngx_str_null(&sts);
    rc = NGX_DECLINED;

    for (d = 0; d < nd && rc == NGX_DECLINED; d++) {
        for (k = 0; k < np && rc == NGX_DECLINED; k++) {
            req.date = dates[d];
            req.bucket = buckets[k];
            req.path = paths[k];

            if (ngx_http_s3_sigv2_string_to_sign(r->pool, &req, &s)
                != NGX_OK)
            {
                return NGX_HTTP_S3_ERR_INTERNAL;
            }

            if (d == 0 && k == 0) {
                /* the one for the error body */
                sts = s;
            }

            ngx_log_debug1(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                           "s3 auth: SigV2 string to sign:\n%V", &s);

            rc = ngx_http_s3_sigv2_verify(ar->secret, &s, &sig->signature);
        }
    }

    if (rc == NGX_ERROR) {
        return NGX_HTTP_S3_ERR_INTERNAL;
    }

    if (rc == NGX_DECLINED) {

        /* what S3 answers: the string to sign, as text and as bytes */

        extra = ngx_http_s3_auth_extra(ar, 4);
        if (extra == NULL) {
            return NGX_HTTP_S3_ERR_INTERNAL;
        }

        extra[0].name = "AWSAccessKeyId";
        extra[0].value = sig->access_key;
        extra[1].name = "StringToSign";
        extra[1].value = sts;
        extra[2].name = "SignatureProvided";
        extra[2].value = sig->signature;
        extra[3].name = "StringToSignBytes";

        p = ngx_pnalloc(r->pool, sts.len * 3 + 1);
        if (p == NULL) {
            return NGX_HTTP_S3_ERR_INTERNAL;
        }

        extra[3].value.data = p;

        for (i = 0; i < sts.len; i++) {
            p = ngx_sprintf(p, i ? " %02xd" : "%02xd", sts.data[i]);
        }

        extra[3].value.len = p - extra[3].value.data;

        return ngx_http_s3_auth_fail(ar, NGX_HTTP_S3_ERR_SIGNATURE_MISMATCH,
                                     NGX_HTTP_S3_AUTH_MISMATCH);
    }

    ngx_http_s3_auth_done(ar);

    ngx_log_debug2(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "s3 auth: \"%V\" SigV2%s", ar->access_key,
                   ar->presigned ? " presigned" : "");

    return NGX_HTTP_S3_OK;
}


/*
 * The request as SigV2 signs it.  The resource is the path as sent,
 * after "/bucket" for virtual-hosted style (ngx_http_s3_parse() then
 * points ctx->bucket into the Host).  In the query form, clients such
 * as botocore move x-amz-*, Content-Type and Content-MD5 into the query:
 * those count when no such header is sent.
 */

static ngx_int_t
ngx_http_s3_auth_v2_request(ngx_http_s3_auth_req_t *ar,
    ngx_http_s3_sigv2_req_t *req)
{
    u_char              *q, *p, *last, *name, *end, *eq;
    size_t               len;
    ngx_uint_t           i;
    ngx_array_t         *headers;
    ngx_keyval_t        *kv;
    ngx_list_part_t     *part;
    ngx_table_elt_t     *h;
    ngx_http_request_t  *r;
    ngx_http_s3_ctx_t   *ctx;

    r = ar->r;
    ctx = ar->ctx;

    req->method = r->method_name;

    h = ngx_http_s3_header_in(r, "content-md5");

    if (h) {
        req->content_md5 = h->value;

    } else if (ar->presigned
               && ngx_http_s3_arg_decoded(r, "content-md5",
                                          &req->content_md5)
                  == NGX_ERROR)
    {
        ngx_str_null(&req->content_md5);
    }

    if (r->headers_in.content_type) {
        req->content_type = r->headers_in.content_type->value;

    } else if (ar->presigned
               && ngx_http_s3_arg_decoded(r, "content-type",
                                          &req->content_type)
                  == NGX_ERROR)
    {
        ngx_str_null(&req->content_type);
    }

    headers = ngx_array_create(r->pool, 8, sizeof(ngx_keyval_t));
    if (headers == NULL) {
        return NGX_ERROR;
    }

    part = &r->headers_in.headers.part;
    h = part->elts;

    for (i = 0; /* void */ ; i++) {

        if (i >= part->nelts) {
            if (part->next == NULL) {
                break;
            }

            part = part->next;
            h = part->elts;
            i = 0;
        }

        if (h[i].hash == 0 || h[i].key.len <= 6
            || ngx_strncasecmp(h[i].key.data, (u_char *) "x-amz-", 6) != 0)
        {
            continue;
        }

        kv = ngx_array_push(headers);
        if (kv == NULL) {
            return NGX_ERROR;
        }

        kv->key = h[i].key;
        kv->value = h[i].value;
    }

    if (ar->presigned) {
        p = r->args.data;
        last = p + r->args.len;

        while (p < last) {
            name = p;

            while (p < last && *p != '&') {
                p++;
            }

            end = p;

            if (p < last) {
                p++;
            }

            eq = ngx_strlchr(name, end, '=');
            len = (eq ? eq : end) - name;

            if (len <= 6
                || ngx_strncasecmp(name, (u_char *) "x-amz-", 6) != 0)
            {
                continue;
            }

            kv = headers->elts;

            for (i = 0; i < headers->nelts; i++) {
                if (kv[i].key.len == len
                    && ngx_strncasecmp(kv[i].key.data, name, len) == 0)
                {
                    break;
                }
            }

            if (i < headers->nelts) {
                /* a header of that name: it wins */
                continue;
            }

            kv = ngx_array_push(headers);
            if (kv == NULL) {
                return NGX_ERROR;
            }

            kv->key.data = name;
            kv->key.len = len;

            if (eq == NULL) {
                ngx_str_set(&kv->value, "");
                continue;
            }

            kv->value.len = end - (eq + 1);
            kv->value.data = ngx_pnalloc(r->pool, kv->value.len + 1);
            if (kv->value.data == NULL) {
                return NGX_ERROR;
            }

            if (ngx_http_s3_uri_decode(kv->value.data, &kv->value.len,
                                       eq + 1, end - (eq + 1))
                != NGX_OK)
            {
                kv->value.data = eq + 1;
                kv->value.len = end - (eq + 1);
            }
        }
    }

    req->headers = headers;

    if (ctx->bucket.len && ctx->bucket.data == r->headers_in.server.data) {
        req->bucket = ctx->bucket;
    }

    req->path = r->unparsed_uri;

    q = ngx_strlchr(req->path.data, req->path.data + req->path.len, '?');

    if (q) {
        req->path.len = q - req->path.data;
    }

    req->args = r->args;

    return NGX_OK;
}


/*
 * The resources a client may have signed: the path as sent (after
 * "/bucket" in virtual-hosted style), as S3 documents it; "/bucket/" for
 * the path-style "/bucket", as botocore signs it; and the form of older
 * botocore (Debian 12's 1.29), which appends the first query argument of
 * the operation to the path-style path ("/bucket?list-type=2",
 * "/bucket?delete?delete").  The sub-resources are signed in every form.
 * Returns how many, 0 if out of memory.
 */

static ngx_uint_t
ngx_http_s3_auth_v2_forms(ngx_http_s3_auth_req_t *ar,
    ngx_http_s3_sigv2_req_t *req, ngx_str_t *buckets, ngx_str_t *paths)
{
    u_char      *p, *amp;
    size_t       len;
    ngx_str_t   *bucket, *path, first;
    ngx_uint_t   n;

    n = 0;
    bucket = &ar->ctx->bucket;
    path = &req->path;

    buckets[n] = req->bucket;
    paths[n++] = *path;

    if (req->bucket.len == 0 && bucket->len && ar->ctx->key.len == 0
        && path->len && path->data[path->len - 1] != '/')
    {
        p = ngx_pnalloc(ar->r->pool, path->len + 1);
        if (p == NULL) {
            return 0;
        }

        ngx_memcpy(p, path->data, path->len);
        p[path->len] = '/';

        ngx_str_null(&buckets[n]);
        paths[n].data = p;
        paths[n++].len = path->len + 1;
    }

    amp = ngx_strlchr(req->args.data, req->args.data + req->args.len, '&');

    first.data = req->args.data;
    first.len = (amp ? amp : req->args.data + req->args.len)
                - req->args.data;

    if (first.len == 0) {
        return n;
    }

    /* "/bucket" or "/bucket/key", then "?" and the first argument */

    len = path->len + 1 + first.len;

    if (req->bucket.len) {
        len += 1 + req->bucket.len;
    }

    p = ngx_pnalloc(ar->r->pool, len);
    if (p == NULL) {
        return 0;
    }

    ngx_str_null(&buckets[n]);
    paths[n].data = p;

    if (req->bucket.len) {
        *p++ = '/';
        p = ngx_cpymem(p, req->bucket.data, req->bucket.len);

        if (path->len > 1) {
            p = ngx_cpymem(p, path->data, path->len);
        }

    } else {
        p = ngx_cpymem(p, path->data, path->len);
    }

    *p++ = '?';
    p = ngx_cpymem(p, first.data, first.len);

    paths[n].len = p - paths[n].data;
    n++;

    return n;
}

