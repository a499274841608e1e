
/*
 * Copyright (C) ngx_s3 authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_s3.h"
#include "ngx_http_s3_auth.h"


/*
 * Authentication of a request: AWS Signature Version 4 in the
 * Authorization header or in the query (presigned URL), Signature
 * Version 2 in either place (unless s3_sigv2 is off), or anonymous.
 * The computations themselves are pure and live in ngx_http_s3_sigv4.c
 * and ngx_http_s3_sigv2.c; this file reads the request and maps every
 * failure to the S3 error, and ngx_http_s3_auth_v2.c reads the request
 * for Signature Version 2.
 */


/*
 * This worker's derived signing keys: the key depends only on the secret
 * and the scope (date, region, service), so it changes daily.  Keyed by
 * the access key and the scope as the request names them (both public),
 * and by the secret they were derived from (a managed key's secret is a
 * copy per request, so the bytes are compared).  Direct mapped; a
 * collision costs the four HMACs of a derivation.
 */

#define NGX_HTTP_S3_KEY_CACHE         64
#define NGX_HTTP_S3_KEY_CACHE_AK      128
#define NGX_HTTP_S3_KEY_CACHE_SCOPE   96

typedef struct {
    size_t                     secret_len;    /* 0: empty slot */
    size_t                     ak_len;
    size_t                     scope_len;
    u_char                     secret[NGX_HTTP_S3_MAX_SECRET_LEN];
    u_char                     ak[NGX_HTTP_S3_KEY_CACHE_AK];
    u_char                     scope[NGX_HTTP_S3_KEY_CACHE_SCOPE];
    u_char                     key[NGX_HTTP_S3_SIGV4_KEY_LEN];
} ngx_http_s3_key_cache_t;


static ngx_http_s3_err_e ngx_http_s3_auth_header(ngx_http_s3_auth_req_t *ar,
    ngx_str_t *value);
static ngx_http_s3_err_e ngx_http_s3_auth_query(ngx_http_s3_auth_req_t *ar);
static ngx_http_s3_err_e ngx_http_s3_auth_header_date(
    ngx_http_s3_auth_req_t *ar);
static ngx_http_s3_err_e ngx_http_s3_auth_scope(ngx_http_s3_auth_req_t *ar);
static ngx_http_s3_err_e ngx_http_s3_auth_payload(ngx_http_s3_auth_req_t *ar,
    ngx_str_t *value);
static ngx_http_s3_err_e ngx_http_s3_auth_verify(ngx_http_s3_auth_req_t *ar);
static ngx_int_t ngx_http_s3_auth_headers(ngx_http_s3_auth_req_t *ar,
    ngx_array_t *headers, ngx_str_t *unsigned_name);
static ngx_int_t ngx_http_s3_auth_sign(ngx_http_s3_auth_req_t *ar,
    ngx_http_s3_sigv4_req_t *req, u_char *key, u_char *hex);
static ngx_int_t ngx_http_s3_auth_signing_key(ngx_http_s3_auth_req_t *ar,
    u_char *key);


static ngx_http_s3_key_cache_t  ngx_http_s3_key_cache[NGX_HTTP_S3_KEY_CACHE];


#define NGX_HTTP_S3_AUTH_UNSUPPORTED                                          \
    "The authorization mechanism you have provided is not supported. "        \
    "Please use AWS4-HMAC-SHA256."

/* 2013-05-24T00:00:00Z with any year */
#define NGX_HTTP_S3_AUTH_TIME_LEN                                             \
    (NGX_INT_T_LEN + sizeof("-05-24T00:00:00Z"))


ngx_http_s3_err_e
ngx_http_s3_authenticate(ngx_http_request_t *r, ngx_http_s3_ctx_t *ctx)
{
    ngx_str_t                *value;
    ngx_http_s3_auth_req_t    ar;

    ngx_str_null(&ctx->auth.access_key);
    ngx_str_null(&ctx->auth.user);
    ngx_str_null(&ctx->auth.display);
    ngx_str_null(&ctx->lookup);
    ctx->auth.root = 0;
    ctx->auth.payload = NGX_HTTP_S3_PAYLOAD_NONE;

    ngx_memzero(&ar, sizeof(ngx_http_s3_auth_req_t));

    ar.r = r;
    ar.ctx = ctx;
    ar.smcf = ngx_http_get_module_main_conf(r, ngx_http_s3_module);

    if (r->headers_in.authorization == NULL) {
        return ngx_http_s3_auth_query(&ar);
    }

    value = &r->headers_in.authorization->value;

    if (ngx_http_s3_arg_present(r, "X-Amz-Algorithm")
        || ngx_http_s3_arg_present(r, "X-Amz-Signature")
        || ngx_http_s3_arg_present(r, "Signature"))
    {
        return ngx_http_s3_auth_fail(&ar, NGX_HTTP_S3_ERR_INVALID_ARGUMENT,
                   "Only one auth mechanism allowed; only the "
                   "X-Amz-Algorithm query parameter, Signature query "
                   "string parameter or the Authorization header should "
                   "be specified");
    }

    return ngx_http_s3_auth_header(&ar, value);
}


ngx_http_s3_err_e
ngx_http_s3_authenticate_form(ngx_http_request_t *r, ngx_http_s3_ctx_t *ctx,
    ngx_http_s3_form_auth_t *fa)
{
    u_char                   key[NGX_HTTP_S3_SIGV4_KEY_LEN];
    u_char                   hex[NGX_HTTP_S3_SIGV4_HEX_LEN];
    ngx_int_t                rc;
    ngx_uint_t               match;
    ngx_http_s3_err_e        err;
    ngx_http_s3_auth_req_t   ar;

    ngx_str_null(&ctx->auth.access_key);
    ngx_str_null(&ctx->auth.user);
    ngx_str_null(&ctx->auth.display);
    ngx_str_null(&ctx->lookup);
    ctx->auth.root = 0;
    ctx->auth.payload = NGX_HTTP_S3_PAYLOAD_UNSIGNED;

    ngx_memzero(&ar, sizeof(ngx_http_s3_auth_req_t));

    ar.r = r;
    ar.ctx = ctx;
    ar.smcf = ngx_http_get_module_main_conf(r, ngx_http_s3_module);
    ar.presigned = 1;

    if (fa->v2) {
        ar.v2 = 1;

        if (!ar.smcf->sigv2) {
            return ngx_http_s3_auth_fail(&ar, NGX_HTTP_S3_ERR_INVALID_REQUEST,
                                         NGX_HTTP_S3_AUTH_UNSUPPORTED);
        }

        ar.sig.access_key = fa->access_key;

        err = ngx_http_s3_auth_key(&ar);

        if (err != NGX_HTTP_S3_OK) {
            return err;
        }

        rc = ngx_http_s3_sigv2_verify(ar.secret, &fa->policy,
                                      &fa->signature);

        if (rc == NGX_ERROR) {
            return NGX_HTTP_S3_ERR_INTERNAL;
        }

        if (rc != NGX_OK) {
            return ngx_http_s3_auth_fail(&ar,
                                         NGX_HTTP_S3_ERR_SIGNATURE_MISMATCH,
                                         NGX_HTTP_S3_AUTH_MISMATCH);
        }

        ngx_http_s3_auth_done(&ar);

        return NGX_HTTP_S3_OK;
    }

    if (fa->algorithm.len != sizeof(NGX_HTTP_S3_SIGV4_ALGORITHM) - 1
        || ngx_strncmp(fa->algorithm.data, NGX_HTTP_S3_SIGV4_ALGORITHM,
                       fa->algorithm.len)
           != 0)
    {
        return ngx_http_s3_auth_fail(&ar, NGX_HTTP_S3_ERR_INVALID_ARGUMENT,
                                     "POST form x-amz-algorithm must be "
                                     "AWS4-HMAC-SHA256");
    }

    if (ngx_http_s3_sigv4_parse_credential(&fa->credential, &ar.sig)
        != NGX_OK)
    {
        return ngx_http_s3_auth_fail(&ar, NGX_HTTP_S3_ERR_INVALID_ARGUMENT,
                                     "Invalid argument: x-amz-credential");
    }

    if (ngx_http_s3_sigv4_parse_date(fa->amz_date.data, fa->amz_date.len)
        == (time_t) -1)
    {
        return ngx_http_s3_auth_fail(&ar, NGX_HTTP_S3_ERR_INVALID_ARGUMENT,
                                     "Invalid argument: x-amz-date");
    }

    ar.amz_date = fa->amz_date;

    err = ngx_http_s3_auth_scope(&ar);

    if (err != NGX_HTTP_S3_OK) {
        return err;
    }

    err = ngx_http_s3_auth_key(&ar);

    if (err != NGX_HTTP_S3_OK) {
        return err;
    }

    if (ngx_http_s3_auth_signing_key(&ar, key) != NGX_OK) {
        return NGX_HTTP_S3_ERR_INTERNAL;
    }

    rc = ngx_http_s3_sigv4_sign(key, &fa->policy, hex);

    ngx_explicit_memzero(key, sizeof(key));

    if (rc != NGX_OK) {
        return NGX_HTTP_S3_ERR_INTERNAL;
    }

    match = ngx_http_s3_sigv4_equal(hex, sizeof(hex), fa->signature.data,
                                    fa->signature.len);

    if (!match) {
        return ngx_http_s3_auth_fail(&ar, NGX_HTTP_S3_ERR_SIGNATURE_MISMATCH,
                                     NGX_HTTP_S3_AUTH_MISMATCH);
    }

    ngx_http_s3_auth_done(&ar);

    return NGX_HTTP_S3_OK;
}


static ngx_http_s3_err_e
ngx_http_s3_auth_header(ngx_http_s3_auth_req_t *ar, ngx_str_t *value)
{
    ngx_int_t            rc;
    const char          *msg;
    ngx_table_elt_t     *h;
    ngx_http_s3_err_e    err;

    msg = NULL;

    rc = ngx_http_s3_sigv4_parse_header(value, &ar->sig, &msg);

    if (rc == NGX_DECLINED) {

        if (value->len > 4 && ngx_strncmp(value->data, "AWS ", 4) == 0
            && ar->smcf->sigv2)
        {
            return ngx_http_s3_auth_v2_header(ar, value);
        }

        /* "AWS AK:sig" (SigV2, off) and "AWS4-ECDSA-P256-SHA256" (SigV4a) */

        if (value->len > 4
            && (ngx_strncmp(value->data, "AWS ", 4) == 0
                || ngx_strncmp(value->data, "AWS4", 4) == 0))
        {
            return ngx_http_s3_auth_fail(ar, NGX_HTTP_S3_ERR_INVALID_REQUEST,
                                         NGX_HTTP_S3_AUTH_UNSUPPORTED);
        }

        return ngx_http_s3_auth_fail(ar, NGX_HTTP_S3_ERR_INVALID_ARGUMENT,
                                     "Unsupported Authorization Type");
    }

    if (rc != NGX_OK) {
        return ngx_http_s3_auth_fail(ar,
                                     NGX_HTTP_S3_ERR_AUTH_HEADER_MALFORMED,
                                     msg);
    }

    err = ngx_http_s3_auth_header_date(ar);
    if (err != NGX_HTTP_S3_OK) {
        return err;
    }

    err = ngx_http_s3_auth_scope(ar);
    if (err != NGX_HTTP_S3_OK) {
        return err;
    }

    err = ngx_http_s3_auth_key(ar);
    if (err != NGX_HTTP_S3_OK) {
        return err;
    }

    if (ar->date < ngx_time() - ar->smcf->max_skew
        || ar->date > ngx_time() + ar->smcf->max_skew)
    {
        return ngx_http_s3_auth_skewed(ar, &ar->amz_date);
    }

    h = ngx_http_s3_header_in(ar->r, "x-amz-content-sha256");

    if (h == NULL) {
        return ngx_http_s3_auth_fail(ar, NGX_HTTP_S3_ERR_INVALID_REQUEST,
                                     "Missing required header for this "
                                     "request: x-amz-content-sha256");
    }

    err = ngx_http_s3_auth_payload(ar, &h->value);
    if (err != NGX_HTTP_S3_OK) {
        return err;
    }

    return ngx_http_s3_auth_verify(ar);
}


static ngx_http_s3_err_e
ngx_http_s3_auth_query(ngx_http_s3_auth_req_t *ar)
{
    time_t              now, expires;
    ngx_int_t           rc, n;
    const char         *msg;
    ngx_str_t           unsigned_payload;
    ngx_http_s3_err_e   err;

    msg = NULL;

    rc = ngx_http_s3_sigv4_parse_query(ar->r->pool, &ar->r->args, &ar->sig,
                                       &msg);

    if (rc == NGX_DECLINED) {

        /* SigV2 query authentication: AWSAccessKeyId, Signature, Expires */

        if (ngx_http_s3_arg_present(ar->r, "AWSAccessKeyId")
            || ngx_http_s3_arg_present(ar->r, "Signature"))
        {
            if (ar->smcf->sigv2) {
                return ngx_http_s3_auth_v2_query(ar);
            }

            return ngx_http_s3_auth_fail(ar, NGX_HTTP_S3_ERR_INVALID_REQUEST,
                                         NGX_HTTP_S3_AUTH_UNSUPPORTED);
        }

        /* anonymous: the caller decides */

        return NGX_HTTP_S3_OK;
    }

    if (rc == NGX_ERROR && msg == NULL) {
        return NGX_HTTP_S3_ERR_INTERNAL;
    }

    if (rc != NGX_OK) {
        return ngx_http_s3_auth_fail(ar, NGX_HTTP_S3_ERR_AUTH_QUERY, msg);
    }

    ar->presigned = 1;

    if (ar->sig.algorithm.len != sizeof(NGX_HTTP_S3_SIGV4_ALGORITHM) - 1
        || ngx_strncmp(ar->sig.algorithm.data, NGX_HTTP_S3_SIGV4_ALGORITHM,
                       ar->sig.algorithm.len)
           != 0)
    {
        return ngx_http_s3_auth_fail(ar, NGX_HTTP_S3_ERR_AUTH_QUERY,
                                     "X-Amz-Algorithm only supports "
                                     "\"AWS4-HMAC-SHA256\"");
    }

    ar->date = ngx_http_s3_sigv4_parse_date(ar->sig.amz_date.data,
                                            ar->sig.amz_date.len);

    if (ar->date == -1) {
        return ngx_http_s3_auth_fail(ar, NGX_HTTP_S3_ERR_AUTH_QUERY,
                                     "X-Amz-Date must be in the ISO8601 "
                                     "Long Format \"yyyyMMdd'T'HHmmss'Z'\"");
    }

    ar->amz_date = ar->sig.amz_date;

    if (ar->sig.expires.data[0] == '-') {
        return ngx_http_s3_auth_fail(ar, NGX_HTTP_S3_ERR_AUTH_QUERY,
                                     "X-Amz-Expires must be non-negative");
    }

    n = ngx_atoi(ar->sig.expires.data, ar->sig.expires.len);

    if (n == NGX_ERROR) {
        return ngx_http_s3_auth_fail(ar, NGX_HTTP_S3_ERR_AUTH_QUERY,
                                     "X-Amz-Expires should be a number");
    }

    if (n == 0 || n > NGX_HTTP_S3_SIGV4_MAX_EXPIRES) {
        return ngx_http_s3_auth_fail(ar, NGX_HTTP_S3_ERR_AUTH_QUERY,
                                     "X-Amz-Expires must be less than a "
                                     "week (in seconds) that is 604800");
    }

    expires = (time_t) n;

    err = ngx_http_s3_auth_scope(ar);
    if (err != NGX_HTTP_S3_OK) {
        return err;
    }

    err = ngx_http_s3_auth_key(ar);
    if (err != NGX_HTTP_S3_OK) {
        return err;
    }

    now = ngx_time();

    if (ar->date > now + ar->smcf->max_skew) {
        return ngx_http_s3_auth_fail(ar, NGX_HTTP_S3_ERR_ACCESS_DENIED,
                                     "Request is not valid yet");
    }

    if (now > ar->date + expires) {
        return ngx_http_s3_auth_fail(ar, NGX_HTTP_S3_ERR_ACCESS_DENIED,
                                     "Request has expired");
    }

    if (ar->sig.content_sha256.data) {
        err = ngx_http_s3_auth_payload(ar, &ar->sig.content_sha256);
        if (err != NGX_HTTP_S3_OK) {
            return err;
        }

        if (ar->ctx->auth.payload == NGX_HTTP_S3_PAYLOAD_STREAMING) {
            return ngx_http_s3_auth_fail(ar,
                                         NGX_HTTP_S3_ERR_INVALID_ARGUMENT,
                                         "Streaming payloads are not "
                                         "supported with presigned URLs");
        }

    } else {
        ngx_str_set(&unsigned_payload, NGX_HTTP_S3_SIGV4_UNSIGNED);

        ar->payload_hash = unsigned_payload;
        ar->ctx->auth.payload = NGX_HTTP_S3_PAYLOAD_UNSIGNED;
    }

    return ngx_http_s3_auth_verify(ar);
}


/* X-Amz-Date, else Date, as 20130524T000000Z */

static ngx_http_s3_err_e
ngx_http_s3_auth_header_date(ngx_http_s3_auth_req_t *ar)
{
    u_char           *p;
    ngx_table_elt_t  *h;

    h = ngx_http_s3_header_in(ar->r, "x-amz-date");

    if (h) {
        ar->date = ngx_http_s3_sigv4_parse_date(h->value.data, h->value.len);

        if (ar->date != -1) {
            ar->amz_date = h->value;
            return NGX_HTTP_S3_OK;
        }

    } else if (ar->r->headers_in.date) {
        h = ar->r->headers_in.date;

        ar->date = ngx_parse_http_time(h->value.data, h->value.len);

        if (ar->date != NGX_ERROR) {
            p = ngx_pnalloc(ar->r->pool, NGX_HTTP_S3_SIGV4_DATE_LEN);
            if (p == NULL) {
                return NGX_HTTP_S3_ERR_INTERNAL;
            }

            ar->amz_date.data = p;
            ar->amz_date.len = ngx_http_s3_sigv4_format_date(p, ar->date) - p;

            return NGX_HTTP_S3_OK;
        }
    }

    return ngx_http_s3_auth_fail(ar, NGX_HTTP_S3_ERR_ACCESS_DENIED,
                                 NGX_HTTP_S3_AUTH_NO_DATE);
}


/* the credential scope: date/region/s3/aws4_request */

static ngx_http_s3_err_e
ngx_http_s3_auth_scope(ngx_http_s3_auth_req_t *ar)
{
    u_char             *msg, *last;
    size_t              len;
    ngx_str_t          *region;
    ngx_http_s3_err_e   err;

    err = ar->presigned ? NGX_HTTP_S3_ERR_AUTH_QUERY
                        : NGX_HTTP_S3_ERR_AUTH_HEADER_MALFORMED;

    region = &ar->smcf->region;

    if (ar->sig.region.len != region->len
        || ngx_strncmp(ar->sig.region.data, region->data, region->len) != 0)
    {
        len = sizeof("Error parsing the X-Amz-Credential parameter; "
                     "the region '' is wrong; expecting ''")
              + ar->sig.region.len + region->len;

        msg = ngx_pnalloc(ar->r->pool, len);
        if (msg == NULL) {
            return NGX_HTTP_S3_ERR_INTERNAL;
        }

        last = ngx_snprintf(msg, len - 1,
                            "%s; the region '%V' is wrong; expecting '%V'",
                            ar->presigned
                            ? "Error parsing the X-Amz-Credential parameter"
                            : "The authorization header is malformed",
                            &ar->sig.region, region);
        *last = '\0';

        return ngx_http_s3_auth_fail(ar, err, (char *) msg);
    }

    if (ar->sig.service.len != 2
        || ngx_strncmp(ar->sig.service.data, "s3", 2) != 0)
    {
        return ngx_http_s3_auth_fail(ar, err,
                   ar->presigned
                   ? "Error parsing the X-Amz-Credential parameter; "
                     "incorrect service. This endpoint belongs to \"s3\"."
                   : "The authorization header is malformed; "
                     "incorrect service. This endpoint belongs to \"s3\".");
    }

    if (ar->sig.terminator.len != sizeof(NGX_HTTP_S3_SIGV4_TERMINATOR) - 1
        || ngx_strncmp(ar->sig.terminator.data, NGX_HTTP_S3_SIGV4_TERMINATOR,
                       ar->sig.terminator.len)
           != 0)
    {
        return ngx_http_s3_auth_fail(ar, err,
                   ar->presigned
                   ? "Error parsing the X-Amz-Credential parameter; "
                     "incorrect terminal. This endpoint uses "
                     "\"aws4_request\"."
                   : "The authorization header is malformed; "
                     "incorrect terminal. This endpoint uses "
                     "\"aws4_request\".");
    }

    if (ngx_strncmp(ar->sig.date.data, ar->amz_date.data, 8) != 0) {
        return ngx_http_s3_auth_fail(ar, err,
                   ar->presigned
                   ? "Error parsing the X-Amz-Credential parameter; "
                     "Invalid credential date. Date is not the same as "
                     "X-Amz-Date."
                   : "The authorization header is malformed; "
                     "Invalid credential date. Date is not the same as "
                     "X-Amz-Date.");
    }

    return NGX_HTTP_S3_OK;
}


/*
 * The root keys of s3_access_key first, then the managed keys: from the
 * worker's cache, or (NGX_AGAIN of ngx_http_s3_access_managed(), with
 * ctx->lookup set) the caller asks the metadata process and comes again
 */

ngx_http_s3_err_e
ngx_http_s3_auth_key(ngx_http_s3_auth_req_t *ar)
{
    ngx_int_t                 rc;
    ngx_str_t                *ak;
    ngx_uint_t                i;
    ngx_http_s3_key_t        *k;
    ngx_http_s3_key_info_t   *ki;
    ngx_http_s3_err_extra_t  *extra;

    ak = &ar->sig.access_key;

    if (ar->smcf->keys != NULL) {
        k = ar->smcf->keys->elts;

        for (i = 0; i < ar->smcf->keys->nelts; i++) {
            if (k[i].access_key.len == ak->len
                && ngx_strncmp(k[i].access_key.data, ak->data, ak->len) == 0)
            {
                ar->access_key = &k[i].access_key;
                ar->secret = &k[i].secret_key;
                return NGX_HTTP_S3_OK;
            }
        }
    }

    if (!ar->ctx->auth.root_only && ngx_http_s3_valid_access_key(ak)) {

        rc = ngx_http_s3_access_managed(ar->r, ak, &ki);

        if (rc == NGX_OK) {
            ar->managed = ki;
            ar->access_key = &ki->access_key;
            ar->secret = &ki->secret;
            return NGX_HTTP_S3_OK;
        }

        if (rc == NGX_AGAIN || rc == NGX_ERROR) {
            /* NGX_AGAIN: ctx->lookup is set, the caller looks it up */
            return NGX_HTTP_S3_ERR_INTERNAL;
        }
    }

    extra = ngx_http_s3_auth_extra(ar, 1);
    if (extra == NULL) {
        return NGX_HTTP_S3_ERR_INTERNAL;
    }

    extra[0].name = "AWSAccessKeyId";
    extra[0].value = *ak;

    return ngx_http_s3_auth_fail(ar, NGX_HTTP_S3_ERR_INVALID_ACCESS_KEY,
                                 "The AWS Access Key Id you provided does "
                                 "not exist in our records.");
}


/* the value of x-amz-content-sha256 (or of the presigned parameter) */

static ngx_http_s3_err_e
ngx_http_s3_auth_payload(ngx_http_s3_auth_req_t *ar, ngx_str_t *value)
{
    ngx_uint_t             i;
    ngx_http_s3_auth_t    *auth;

    static ngx_str_t  streaming[] = {
        ngx_string("STREAMING-AWS4-HMAC-SHA256-PAYLOAD"),
        ngx_string("STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER"),
        ngx_string("STREAMING-UNSIGNED-PAYLOAD-TRAILER")
    };

    auth = &ar->ctx->auth;
    ar->payload_hash = *value;

    if (value->len == NGX_HTTP_S3_SIGV4_HEX_LEN
        && ngx_http_s3_sigv4_hex_decode(auth->sha256, value->data,
                                        value->len)
           == NGX_OK)
    {
        auth->payload = NGX_HTTP_S3_PAYLOAD_SIGNED;
        return NGX_HTTP_S3_OK;
    }

    if (value->len == sizeof(NGX_HTTP_S3_SIGV4_UNSIGNED) - 1
        && ngx_strncmp(value->data, NGX_HTTP_S3_SIGV4_UNSIGNED, value->len)
           == 0)
    {
        auth->payload = NGX_HTTP_S3_PAYLOAD_UNSIGNED;
        return NGX_HTTP_S3_OK;
    }

    for (i = 0; i < sizeof(streaming) / sizeof(ngx_str_t); i++) {
        if (value->len == streaming[i].len
            && ngx_strncmp(value->data, streaming[i].data, value->len) == 0)
        {
            auth->payload = NGX_HTTP_S3_PAYLOAD_STREAMING;
            return NGX_HTTP_S3_OK;
        }
    }

    return ngx_http_s3_auth_fail(ar, NGX_HTTP_S3_ERR_INVALID_ARGUMENT,
                                 "x-amz-content-sha256 must be "
                                 "UNSIGNED-PAYLOAD, "
                                 "STREAMING-UNSIGNED-PAYLOAD-TRAILER, "
                                 "STREAMING-AWS4-HMAC-SHA256-PAYLOAD, "
                                 "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER "
                                 "or a valid sha256 value.");
}


static ngx_http_s3_err_e
ngx_http_s3_auth_verify(ngx_http_s3_auth_req_t *ar)
{
    u_char                    key[NGX_HTTP_S3_SIGV4_KEY_LEN];
    u_char                    hex[NGX_HTTP_S3_SIGV4_HEX_LEN];
    u_char                   *q;
    ngx_int_t                 rc;
    ngx_str_t                 unsigned_name;
    ngx_uint_t                match;
    ngx_array_t               headers;
    ngx_http_request_t       *r;
    ngx_http_s3_sigv4_req_t   req;

    r = ar->r;

    if (!ngx_http_s3_sigv4_is_signed(&ar->sig.signed_headers,
                                     (u_char *) "host", 4))
    {
        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "s3 auth: \"host\" is not a signed header");

        return ngx_http_s3_auth_fail(ar, NGX_HTTP_S3_ERR_ACCESS_DENIED,
                                     "There were headers present in the "
                                     "request which were not signed");
    }

    if (ngx_array_init(&headers, r->pool, 8, sizeof(ngx_keyval_t))
        != NGX_OK)
    {
        return NGX_HTTP_S3_ERR_INTERNAL;
    }

    ngx_str_null(&unsigned_name);

    if (ngx_http_s3_auth_headers(ar, &headers, &unsigned_name) != NGX_OK) {
        return NGX_HTTP_S3_ERR_INTERNAL;
    }

    if (unsigned_name.len) {
        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "s3 auth: header \"%V\" is not signed",
                      &unsigned_name);

        return ngx_http_s3_auth_fail(ar, NGX_HTTP_S3_ERR_ACCESS_DENIED,
                                     "There were headers present in the "
                                     "request which were not signed");
    }

    ngx_memzero(&req, sizeof(ngx_http_s3_sigv4_req_t));

    req.method = r->method_name;
    /* the path as sent: S3 neither merges slashes nor resolves dots */

    req.path = r->unparsed_uri;

    q = ngx_strlchr(req.path.data, req.path.data + req.path.len, '?');

    if (q) {
        req.path.len = q - req.path.data;
    }

    req.args = r->args;
    req.headers = &headers;
    req.signed_headers = ar->sig.signed_headers;
    req.payload_hash = ar->payload_hash;
    req.presigned = ar->presigned;

    if (ngx_http_s3_auth_signing_key(ar, key) != NGX_OK) {
        return NGX_HTTP_S3_ERR_INTERNAL;
    }

    rc = ngx_http_s3_auth_sign(ar, &req, key, hex);

    match = (rc == NGX_OK
             && ngx_http_s3_sigv4_equal(hex, sizeof(hex),
                                        ar->sig.signature.data,
                                        ar->sig.signature.len));

    if (!match && rc == NGX_OK) {

        /* a second chance: the path and query as the client sent them */

        req.raw = 1;

        rc = ngx_http_s3_auth_sign(ar, &req, key, hex);

        match = (rc == NGX_OK
                 && ngx_http_s3_sigv4_equal(hex, sizeof(hex),
                                            ar->sig.signature.data,
                                            ar->sig.signature.len));
    }

    if (match && ar->ctx->auth.payload == NGX_HTTP_S3_PAYLOAD_STREAMING) {
        /* the aws-chunked decoder verifies chunk signatures from these */
        ngx_memcpy(ar->ctx->auth.signing_key, key, sizeof(key));
        ar->ctx->auth.seed = ar->sig.signature;
        ar->ctx->auth.amz_date = ar->amz_date;
        ar->ctx->auth.scope = ar->sig.scope;
        ar->ctx->auth.content_sha256 = ar->payload_hash;
    }

    ngx_explicit_memzero(key, sizeof(key));

    if (rc != NGX_OK) {
        return NGX_HTTP_S3_ERR_INTERNAL;
    }

    if (!match) {
        return ngx_http_s3_auth_fail(ar, NGX_HTTP_S3_ERR_SIGNATURE_MISMATCH,
                                     NGX_HTTP_S3_AUTH_MISMATCH);
    }

    ngx_http_s3_auth_done(ar);

    ngx_log_debug2(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "s3 auth: \"%V\"%s", ar->access_key,
                   ar->presigned ? " presigned" : "");

    return NGX_HTTP_S3_OK;
}


/* the signature holds: who sent the request */

void
ngx_http_s3_auth_done(ngx_http_s3_auth_req_t *ar)
{
    ngx_http_s3_auth_t  *auth;

    auth = &ar->ctx->auth;

    auth->access_key = *ar->access_key;

    if (ar->managed) {
        auth->user = ar->managed->user;
        auth->display = ar->managed->display;

    } else {
        auth->root = 1;
    }
}


/*
 * the signed headers of the request as name/value pairs; the first
 * x-amz-* header that is present but not signed goes to unsigned_name
 */

static ngx_int_t
ngx_http_s3_auth_headers(ngx_http_s3_auth_req_t *ar, ngx_array_t *headers,
    ngx_str_t *unsigned_name)
{
    ngx_uint_t           i, host;
    ngx_keyval_t        *kv;
    ngx_list_part_t     *part;
    ngx_table_elt_t     *h;
    ngx_http_request_t  *r;

    r = ar->r;
    host = 0;

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

        if (h[i].hash == 0) {
            continue;
        }

        if (ngx_http_s3_sigv4_is_signed(&ar->sig.signed_headers,
                                        h[i].key.data, h[i].key.len))
        {
            kv = ngx_array_push(headers);
            if (kv == NULL) {
                return NGX_ERROR;
            }

            kv->key = h[i].key;
            kv->value = h[i].value;

            if (h[i].key.len == 4
                && ngx_strncasecmp(h[i].key.data, (u_char *) "host", 4) == 0)
            {
                host = 1;
            }

            continue;
        }

        if (h[i].key.len > 6
            && ngx_strncasecmp(h[i].key.data, (u_char *) "x-amz-", 6) == 0
            && unsigned_name->len == 0)
        {
            /* presigned: some clients add it without signing it */

            if (ar->presigned
                && h[i].key.len == 20
                && ngx_strncasecmp(h[i].key.data,
                                   (u_char *) "x-amz-content-sha256", 20)
                   == 0)
            {
                continue;
            }

            *unsigned_name = h[i].key;
        }
    }

    if (!host) {

        /*
         * no Host header: HTTP/2 in nginx versions that keep :authority
         * apart, or HTTP/1.0
         */

        kv = ngx_array_push(headers);
        if (kv == NULL) {
            return NGX_ERROR;
        }

        ngx_str_set(&kv->key, "host");

        if (r->host_start && r->host_end) {
            kv->value.data = r->host_start;
            kv->value.len = r->host_end - r->host_start;

        } else {
            kv->value = r->headers_in.server;
        }
    }

    return NGX_OK;
}


static ngx_int_t
ngx_http_s3_auth_sign(ngx_http_s3_auth_req_t *ar,
    ngx_http_s3_sigv4_req_t *req, u_char *key, u_char *hex)
{
    ngx_str_t  canonical, sts;

    if (ngx_http_s3_sigv4_canonical_request(ar->r->pool, req, &canonical)
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    if (ngx_http_s3_sigv4_string_to_sign(ar->r->pool, &ar->amz_date,
                                         &ar->sig.scope, &canonical, &sts)
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    ngx_log_debug3(NGX_LOG_DEBUG_HTTP, ar->r->connection->log, 0,
                   "s3 auth%s: canonical request:\n%V\n"
                   "s3 auth: string to sign:\n%V",
                   req->raw ? " (raw)" : "", &canonical, &sts);

    return ngx_http_s3_sigv4_sign(key, &sts, hex);
}


/* the signing key of the request's scope: from the cache, or derived */

static ngx_int_t
ngx_http_s3_auth_signing_key(ngx_http_s3_auth_req_t *ar, u_char *key)
{
    ngx_str_t                *ak, *scope;
    ngx_uint_t                hash;
    ngx_http_s3_key_cache_t  *kc;

    ak = &ar->sig.access_key;
    scope = &ar->sig.scope;

    hash = ngx_hash_key(ak->data, ak->len);
    hash = hash * 31 + ngx_hash_key(scope->data, scope->len);

    kc = &ngx_http_s3_key_cache[hash % NGX_HTTP_S3_KEY_CACHE];

    if (kc->ak_len == ak->len
        && kc->scope_len == scope->len
        && ngx_memcmp(kc->ak, ak->data, ak->len) == 0
        && ngx_memcmp(kc->scope, scope->data, scope->len) == 0
        && ngx_http_s3_sigv4_equal(kc->secret, kc->secret_len,
                                   ar->secret->data, ar->secret->len))
    {
        ngx_memcpy(key, kc->key, NGX_HTTP_S3_SIGV4_KEY_LEN);
        return NGX_OK;
    }

    if (ngx_http_s3_sigv4_signing_key(ar->secret, &ar->sig.date,
                                      &ar->sig.region, &ar->sig.service, key)
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    if (ak->len > NGX_HTTP_S3_KEY_CACHE_AK
        || scope->len > NGX_HTTP_S3_KEY_CACHE_SCOPE
        || ar->secret->len > NGX_HTTP_S3_MAX_SECRET_LEN
        || ar->secret->len == 0)
    {
        return NGX_OK;
    }

    /* a wrong signature still names a valid scope: the key is right */

    kc->secret_len = ar->secret->len;
    ngx_memcpy(kc->secret, ar->secret->data, ar->secret->len);
    kc->ak_len = ak->len;
    kc->scope_len = scope->len;
    ngx_memcpy(kc->ak, ak->data, ak->len);
    ngx_memcpy(kc->scope, scope->data, scope->len);
    ngx_memcpy(kc->key, key, NGX_HTTP_S3_SIGV4_KEY_LEN);

    return NGX_OK;
}


ngx_http_s3_err_e
ngx_http_s3_auth_fail(ngx_http_s3_auth_req_t *ar, ngx_http_s3_err_e err,
    const char *message)
{
    ar->ctx->auth.message = message;

    if (ar->sig.access_key.len) {
        ngx_log_error(NGX_LOG_INFO, ar->r->connection->log, 0,
                      "s3 auth failed for access key \"%V\"%s%s: %s",
                      &ar->sig.access_key, ar->v2 ? " (SigV2)" : "",
                      ar->presigned ? " (presigned)" : "", message);

    } else {
        ngx_log_error(NGX_LOG_INFO, ar->r->connection->log, 0,
                      "s3 auth failed: %s", message);
    }

    return err;
}



ngx_http_s3_err_e
ngx_http_s3_auth_skewed(ngx_http_s3_auth_req_t *ar, ngx_str_t *request_time)
{
    u_char                   *p;
    ngx_http_s3_err_extra_t  *extra;

    extra = ngx_http_s3_auth_extra(ar, 3);
    if (extra == NULL) {
        return NGX_HTTP_S3_ERR_INTERNAL;
    }

    extra[0].name = "RequestTime";
    extra[0].value = *request_time;
    extra[1].name = "ServerTime";
    extra[2].name = "MaxAllowedSkewMilliseconds";

    if (ngx_http_s3_auth_time(ar, ngx_time(), &extra[1].value) != NGX_OK) {
        return NGX_HTTP_S3_ERR_INTERNAL;
    }

    p = ngx_pnalloc(ar->r->pool, NGX_TIME_T_LEN + 3);
    if (p == NULL) {
        return NGX_HTTP_S3_ERR_INTERNAL;
    }

    extra[2].value.data = p;
    extra[2].value.len = ngx_sprintf(p, "%T000", ar->smcf->max_skew) - p;

    return ngx_http_s3_auth_fail(ar, NGX_HTTP_S3_ERR_REQUEST_TIME_TOO_SKEWED,
                                 "The difference between the request time "
                                 "and the current time is too large.");
}


/* n more elements for the error body, set on the request's auth */

ngx_http_s3_err_extra_t *
ngx_http_s3_auth_extra(ngx_http_s3_auth_req_t *ar, ngx_uint_t n)
{
    ngx_http_s3_err_extra_t  *extra;

    extra = ngx_pcalloc(ar->r->pool, n * sizeof(ngx_http_s3_err_extra_t));
    if (extra == NULL) {
        return NULL;
    }

    ar->ctx->auth.extra = extra;
    ar->ctx->auth.nextra = n;

    return extra;
}


/* 2013-05-24T00:00:00Z, as S3 writes ServerTime */

ngx_int_t
ngx_http_s3_auth_time(ngx_http_s3_auth_req_t *ar, time_t t, ngx_str_t *out)
{
    u_char    *p;
    ngx_tm_t   tm;

    p = ngx_pnalloc(ar->r->pool, NGX_HTTP_S3_AUTH_TIME_LEN);
    if (p == NULL) {
        return NGX_ERROR;
    }

    ngx_gmtime(t, &tm);

    out->data = p;
    out->len = ngx_snprintf(p, NGX_HTTP_S3_AUTH_TIME_LEN,
                            "%4d-%02d-%02dT%02d:%02d:%02dZ",
                            tm.ngx_tm_year, tm.ngx_tm_mon, tm.ngx_tm_mday,
                            tm.ngx_tm_hour, tm.ngx_tm_min, tm.ngx_tm_sec)
               - p;

    return NGX_OK;
}
