
/*
 * Copyright (C) ngx_s3 authors
 */


#include <ngx_config.h>
#include <ngx_core.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#if (OPENSSL_VERSION_NUMBER >= 0x30000000L)
#include <openssl/core_names.h>
#include <openssl/params.h>
#endif

#include "ngx_http_s3_util.h"
#include "ngx_http_s3_sigv4.h"


#define NGX_HTTP_S3_SIGV4_MAX_SECRET   508


#if (OPENSSL_VERSION_NUMBER >= 0x30000000L)

/*
 * OpenSSL 3's one-shot HMAC() and EVP_sha256() look the algorithms up
 * on every call (locks, allocations): that cost more than the hashing
 * itself.  Each process fetches SHA-256 and HMAC-SHA256 once and keeps
 * a context of each; a process runs one request at a time.
 */

static EVP_MD       *ngx_http_s3_sigv4_sha256;
static EVP_MD_CTX   *ngx_http_s3_sigv4_md_ctx;
static EVP_MAC_CTX  *ngx_http_s3_sigv4_mac_ctx;

static ngx_int_t ngx_http_s3_sigv4_crypto_init(void);

#endif


static ngx_int_t ngx_http_s3_sigv4_reencode(ngx_pool_t *pool, u_char *src,
    size_t len, ngx_uint_t encode_slash, ngx_str_t *out);
static ngx_uint_t ngx_http_s3_sigv4_is_canonical(u_char *p, size_t len,
    ngx_uint_t encode_slash);
static ngx_inline ngx_uint_t ngx_http_s3_sigv4_keeps(u_char c,
    ngx_uint_t encode_slash);
static int ngx_libc_cdecl ngx_http_s3_sigv4_cmp_param(const void *one,
    const void *two);
static ngx_int_t ngx_http_s3_sigv4_canonical_headers(ngx_pool_t *pool,
    ngx_http_s3_sigv4_req_t *req, ngx_str_t *out);
static u_char *ngx_http_s3_sigv4_header_value(u_char *dst, ngx_str_t *value);
static ngx_int_t ngx_http_s3_sigv4_hmac(u_char *key, size_t key_len,
    u_char *data, size_t len, u_char *out);
static ngx_int_t ngx_http_s3_sigv4_digits(u_char *p, size_t n);
static time_t ngx_http_s3_sigv4_days_from_civil(ngx_int_t y, ngx_int_t m,
    ngx_int_t d);
static u_char *ngx_http_s3_sigv4_put_digits(u_char *p, ngx_uint_t v,
    size_t n);


static const char  ngx_http_s3_sigv4_err_components[] =
    "The authorization header is malformed; the authorization header "
    "requires three components: Credential, SignedHeaders, and Signature.";

static const char  ngx_http_s3_sigv4_err_credential[] =
    "The authorization header is malformed; the Credential is mal-formed; "
    "expecting \"<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request\".";

static const char  ngx_http_s3_sigv4_err_query_missing[] =
    "Query-string authentication version 4 requires the X-Amz-Algorithm, "
    "X-Amz-Credential, X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, "
    "and X-Amz-Expires parameters.";

static const char  ngx_http_s3_sigv4_err_query_credential[] =
    "Error parsing the X-Amz-Credential parameter; the Credential is "
    "mal-formed; expecting "
    "\"<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request\".";


ngx_int_t
ngx_http_s3_sigv4_parse_header(ngx_str_t *value, ngx_http_s3_sigv4_t *sig,
    const char **err)
{
    size_t      alg_len;
    u_char     *p, *last, *name, *name_end, *v, *v_end;
    ngx_str_t  *dst;

    alg_len = sizeof(NGX_HTTP_S3_SIGV4_ALGORITHM) - 1;

    p = value->data;
    last = p + value->len;

    while (p < last && (*p == ' ' || *p == '\t')) {
        p++;
    }

    if ((size_t) (last - p) < alg_len
        || ngx_strncmp(p, NGX_HTTP_S3_SIGV4_ALGORITHM, alg_len) != 0
        || (p + alg_len < last && p[alg_len] != ' ' && p[alg_len] != '\t'))
    {
        return NGX_DECLINED;
    }

    ngx_memzero(sig, sizeof(ngx_http_s3_sigv4_t));

    p += alg_len;

    for ( ;; ) {

        /* tolerant: "a=1,b=2", "a=1, b=2", "a=1 , b=2" */

        while (p < last && (*p == ' ' || *p == '\t' || *p == ',')) {
            p++;
        }

        if (p == last) {
            break;
        }

        name = p;

        while (p < last && *p != '=' && *p != ',') {
            p++;
        }

        if (p == last || *p != '=') {
            *err = ngx_http_s3_sigv4_err_components;
            return NGX_ERROR;
        }

        name_end = p;

        while (name_end > name
               && (name_end[-1] == ' ' || name_end[-1] == '\t'))
        {
            name_end--;
        }

        p++;

        while (p < last && (*p == ' ' || *p == '\t')) {
            p++;
        }

        v = p;

        while (p < last && *p != ',') {
            p++;
        }

        v_end = p;

        while (v_end > v && (v_end[-1] == ' ' || v_end[-1] == '\t')) {
            v_end--;
        }

        if (name_end - name == 10
            && ngx_strncasecmp(name, (u_char *) "Credential", 10) == 0)
        {
            dst = &sig->scope;   /* the whole credential, for now */

        } else if (name_end - name == 13
                   && ngx_strncasecmp(name, (u_char *) "SignedHeaders", 13)
                      == 0)
        {
            dst = &sig->signed_headers;

        } else if (name_end - name == 9
                   && ngx_strncasecmp(name, (u_char *) "Signature", 9) == 0)
        {
            dst = &sig->signature;

        } else {
            /* an unknown component: ignored, as S3 ignores it */
            continue;
        }

        if (dst->data != NULL || v == v_end) {
            *err = ngx_http_s3_sigv4_err_components;
            return NGX_ERROR;
        }

        dst->data = v;
        dst->len = v_end - v;
    }

    if (sig->scope.data == NULL
        || sig->signed_headers.data == NULL
        || sig->signature.data == NULL)
    {
        *err = ngx_http_s3_sigv4_err_components;
        return NGX_ERROR;
    }

    if (ngx_http_s3_sigv4_parse_credential(&sig->scope, sig) != NGX_OK) {
        *err = ngx_http_s3_sigv4_err_credential;
        return NGX_ERROR;
    }

    return NGX_OK;
}


ngx_int_t
ngx_http_s3_sigv4_parse_query(ngx_pool_t *pool, ngx_str_t *args,
    ngx_http_s3_sigv4_t *sig, const char **err)
{
    size_t      n;
    u_char     *p, *last, *name, *name_end, *v, *v_end;
    ngx_str_t   credential, *dst;

    ngx_memzero(sig, sizeof(ngx_http_s3_sigv4_t));
    ngx_str_null(&credential);

    p = args->data;
    last = p + args->len;

    while (p < last) {
        name = p;

        while (p < last && *p != '&') {
            p++;
        }

        v_end = p;

        if (p < last) {
            p++;
        }

        name_end = ngx_strlchr(name, v_end, '=');

        if (name_end == NULL) {
            continue;
        }

        v = name_end + 1;
        n = name_end - name;

        if (n == 15 && ngx_strncasecmp(name, (u_char *) "X-Amz-Algorithm", n)
                       == 0)
        {
            dst = &sig->algorithm;

        } else if (n == 16
                   && ngx_strncasecmp(name, (u_char *) "X-Amz-Credential", n)
                      == 0)
        {
            dst = &credential;

        } else if (n == 10
                   && ngx_strncasecmp(name, (u_char *) "X-Amz-Date", n) == 0)
        {
            dst = &sig->amz_date;

        } else if (n == 13
                   && ngx_strncasecmp(name, (u_char *) "X-Amz-Expires", n)
                      == 0)
        {
            dst = &sig->expires;

        } else if (n == 19
                   && ngx_strncasecmp(name, (u_char *) "X-Amz-SignedHeaders",
                                      n)
                      == 0)
        {
            dst = &sig->signed_headers;

        } else if (n == 15
                   && ngx_strncasecmp(name, (u_char *) "X-Amz-Signature", n)
                      == 0)
        {
            dst = &sig->signature;

        } else if (n == 20
                   && ngx_strncasecmp(name,
                                      (u_char *) "X-Amz-Content-Sha256", n)
                      == 0)
        {
            dst = &sig->content_sha256;

        } else {
            continue;
        }

        if (dst->data != NULL) {
            /* the first occurrence wins */
            continue;
        }

        dst->data = ngx_pnalloc(pool, v_end - v + 1);
        if (dst->data == NULL) {
            return NGX_ERROR;
        }

        dst->len = v_end - v;

        if (ngx_http_s3_uri_decode(dst->data, &dst->len, v, v_end - v)
            != NGX_OK)
        {
            *err = ngx_http_s3_sigv4_err_query_missing;
            return NGX_ERROR;
        }
    }

    if (sig->algorithm.data == NULL) {
        return NGX_DECLINED;
    }

    if (credential.len == 0
        || sig->amz_date.len == 0
        || sig->expires.len == 0
        || sig->signed_headers.len == 0
        || sig->signature.len == 0)
    {
        *err = ngx_http_s3_sigv4_err_query_missing;
        return NGX_ERROR;
    }

    if (ngx_http_s3_sigv4_parse_credential(&credential, sig) != NGX_OK) {
        *err = ngx_http_s3_sigv4_err_query_credential;
        return NGX_ERROR;
    }

    return NGX_OK;
}


ngx_int_t
ngx_http_s3_sigv4_parse_credential(ngx_str_t *cred, ngx_http_s3_sigv4_t *sig)
{
    u_char      *p, *last, *start;
    ngx_str_t   *part[5];
    ngx_uint_t   i;

    part[0] = &sig->access_key;
    part[1] = &sig->date;
    part[2] = &sig->region;
    part[3] = &sig->service;
    part[4] = &sig->terminator;

    p = cred->data;
    last = p + cred->len;

    for (i = 0; i < 5; i++) {
        start = p;

        while (p < last && *p != '/') {
            p++;
        }

        if (p == start) {
            return NGX_ERROR;
        }

        part[i]->data = start;
        part[i]->len = p - start;

        if (i < 4) {
            if (p == last) {
                return NGX_ERROR;
            }

            p++;
        }
    }

    if (p != last) {
        return NGX_ERROR;
    }

    if (sig->date.len != 8 || ngx_http_s3_sigv4_digits(sig->date.data, 8)
                              != NGX_OK)
    {
        return NGX_ERROR;
    }

    /* the scope is the credential without the access key */

    sig->scope.data = sig->date.data;
    sig->scope.len = last - sig->date.data;

    return NGX_OK;
}


ngx_uint_t
ngx_http_s3_sigv4_is_signed(ngx_str_t *signed_headers, u_char *name,
    size_t len)
{
    u_char  *p, *last, *start;

    p = signed_headers->data;
    last = p + signed_headers->len;

    while (p < last) {
        start = p;

        while (p < last && *p != ';') {
            p++;
        }

        if ((size_t) (p - start) == len
            && ngx_strncasecmp(start, name, len) == 0)
        {
            return 1;
        }

        if (p < last) {
            p++;
        }
    }

    return 0;
}


ngx_int_t
ngx_http_s3_sigv4_canonical_request(ngx_pool_t *pool,
    ngx_http_s3_sigv4_req_t *req, ngx_str_t *out)
{
    size_t     len;
    u_char    *p;
    ngx_str_t  uri, query, headers;

    if (ngx_http_s3_sigv4_canonical_uri(pool, &req->path, req->raw, &uri)
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    if (ngx_http_s3_sigv4_canonical_query(pool, &req->args, req->presigned,
                                          req->raw, &query)
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    if (ngx_http_s3_sigv4_canonical_headers(pool, req, &headers) != NGX_OK) {
        return NGX_ERROR;
    }

    len = req->method.len + 1
          + uri.len + 1
          + query.len + 1
          + headers.len + 1
          + req->signed_headers.len + 1
          + req->payload_hash.len;

    p = ngx_pnalloc(pool, len);
    if (p == NULL) {
        return NGX_ERROR;
    }

    out->data = p;

    p = ngx_cpymem(p, req->method.data, req->method.len);
    *p++ = '\n';
    p = ngx_cpymem(p, uri.data, uri.len);
    *p++ = '\n';
    p = ngx_cpymem(p, query.data, query.len);
    *p++ = '\n';
    p = ngx_cpymem(p, headers.data, headers.len);
    *p++ = '\n';
    p = ngx_cpymem(p, req->signed_headers.data, req->signed_headers.len);
    *p++ = '\n';
    p = ngx_cpymem(p, req->payload_hash.data, req->payload_hash.len);

    out->len = p - out->data;

    return NGX_OK;
}


ngx_int_t
ngx_http_s3_sigv4_canonical_uri(ngx_pool_t *pool, ngx_str_t *path,
    ngx_uint_t raw, ngx_str_t *out)
{
    if (path->len == 0) {
        ngx_str_set(out, "/");
        return NGX_OK;
    }

    if (raw) {
        *out = *path;
        return NGX_OK;
    }

    return ngx_http_s3_sigv4_reencode(pool, path->data, path->len, 0, out);
}


ngx_int_t
ngx_http_s3_sigv4_canonical_query(ngx_pool_t *pool, ngx_str_t *args,
    ngx_uint_t presigned, ngx_uint_t raw, ngx_str_t *out)
{
    size_t         len;
    u_char        *p, *last, *start, *end, *eq;
    ngx_str_t      name, value;
    ngx_uint_t     i, n;
    ngx_keyval_t  *params, *kv;

    ngx_str_set(out, "");

    if (args->len == 0) {
        return NGX_OK;
    }

    p = args->data;
    last = p + args->len;

    /* an upper bound of the number of parameters */

    n = 1;

    for (p = args->data; p < last; p++) {
        if (*p == '&') {
            n++;
        }
    }

    params = ngx_palloc(pool, n * sizeof(ngx_keyval_t));
    if (params == NULL) {
        return NGX_ERROR;
    }

    n = 0;
    len = 0;
    p = args->data;

    while (p < last) {
        start = p;

        while (p < last && *p != '&') {
            p++;
        }

        end = p;

        if (p < last) {
            p++;
        }

        if (start == end) {
            continue;
        }

        eq = ngx_strlchr(start, end, '=');

        name.data = start;
        name.len = (eq ? eq : end) - start;

        if (eq) {
            value.data = eq + 1;
            value.len = end - value.data;

        } else {
            ngx_str_set(&value, "");
        }

        if (presigned
            && name.len == 15
            && ngx_strncasecmp(name.data, (u_char *) "X-Amz-Signature", 15)
               == 0)
        {
            continue;
        }

        kv = &params[n++];

        if (raw) {
            kv->key = name;
            kv->value = value;

        } else {
            if (ngx_http_s3_sigv4_reencode(pool, name.data, name.len, 1,
                                           &kv->key)
                != NGX_OK)
            {
                return NGX_ERROR;
            }

            if (ngx_http_s3_sigv4_reencode(pool, value.data, value.len, 1,
                                           &kv->value)
                != NGX_OK)
            {
                return NGX_ERROR;
            }
        }

        len += kv->key.len + 1 + kv->value.len + 1;
    }

    if (n == 0) {
        return NGX_OK;
    }

    ngx_qsort(params, n, sizeof(ngx_keyval_t), ngx_http_s3_sigv4_cmp_param);

    p = ngx_pnalloc(pool, len);
    if (p == NULL) {
        return NGX_ERROR;
    }

    out->data = p;

    for (i = 0; i < n; i++) {
        if (i) {
            *p++ = '&';
        }

        p = ngx_cpymem(p, params[i].key.data, params[i].key.len);
        *p++ = '=';
        p = ngx_cpymem(p, params[i].value.data, params[i].value.len);
    }

    out->len = p - out->data;

    return NGX_OK;
}


ngx_int_t
ngx_http_s3_sigv4_string_to_sign(ngx_pool_t *pool, ngx_str_t *amz_date,
    ngx_str_t *scope, ngx_str_t *canonical, ngx_str_t *out)
{
    size_t   len;
    u_char  *p;

    len = sizeof(NGX_HTTP_S3_SIGV4_ALGORITHM "\n") - 1
          + amz_date->len + 1 + scope->len + 1 + NGX_HTTP_S3_SIGV4_HEX_LEN;

    p = ngx_pnalloc(pool, len);
    if (p == NULL) {
        return NGX_ERROR;
    }

    out->data = p;

    p = ngx_cpymem(p, NGX_HTTP_S3_SIGV4_ALGORITHM "\n",
                   sizeof(NGX_HTTP_S3_SIGV4_ALGORITHM "\n") - 1);
    p = ngx_cpymem(p, amz_date->data, amz_date->len);
    *p++ = '\n';
    p = ngx_cpymem(p, scope->data, scope->len);
    *p++ = '\n';

    if (ngx_http_s3_sigv4_sha256_hex(canonical->data, canonical->len, p)
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    out->len = len;

    return NGX_OK;
}


ngx_int_t
ngx_http_s3_sigv4_signing_key(ngx_str_t *secret, ngx_str_t *date,
    ngx_str_t *region, ngx_str_t *service, u_char *key)
{
    u_char     buf[4 + NGX_HTTP_S3_SIGV4_MAX_SECRET];
    ngx_int_t  rc;

    if (secret->len > NGX_HTTP_S3_SIGV4_MAX_SECRET) {
        return NGX_ERROR;
    }

    ngx_memcpy(buf, "AWS4", 4);
    ngx_memcpy(buf + 4, secret->data, secret->len);

    rc = ngx_http_s3_sigv4_hmac(buf, 4 + secret->len, date->data, date->len,
                                key);

    OPENSSL_cleanse(buf, sizeof(buf));

    if (rc != NGX_OK) {
        return NGX_ERROR;
    }

    if (ngx_http_s3_sigv4_hmac(key, NGX_HTTP_S3_SIGV4_KEY_LEN,
                               region->data, region->len, key)
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    if (ngx_http_s3_sigv4_hmac(key, NGX_HTTP_S3_SIGV4_KEY_LEN,
                               service->data, service->len, key)
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    return ngx_http_s3_sigv4_hmac(key, NGX_HTTP_S3_SIGV4_KEY_LEN,
                                  (u_char *) NGX_HTTP_S3_SIGV4_TERMINATOR,
                                  sizeof(NGX_HTTP_S3_SIGV4_TERMINATOR) - 1,
                                  key);
}


ngx_int_t
ngx_http_s3_sigv4_sign(u_char *key, ngx_str_t *string_to_sign, u_char *hex)
{
    u_char  mac[EVP_MAX_MD_SIZE];

    if (ngx_http_s3_sigv4_hmac(key, NGX_HTTP_S3_SIGV4_KEY_LEN,
                               string_to_sign->data, string_to_sign->len,
                               mac)
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    ngx_hex_dump(hex, mac, 32);

    return NGX_OK;
}


ngx_int_t
ngx_http_s3_sigv4_signature(ngx_pool_t *pool, ngx_http_s3_sigv4_req_t *req,
    ngx_http_s3_sigv4_t *sig, ngx_str_t *amz_date, ngx_str_t *secret,
    u_char *hex)
{
    u_char     key[NGX_HTTP_S3_SIGV4_KEY_LEN];
    ngx_int_t  rc;
    ngx_str_t  canonical, sts;

    if (ngx_http_s3_sigv4_canonical_request(pool, req, &canonical)
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    if (ngx_http_s3_sigv4_string_to_sign(pool, amz_date, &sig->scope,
                                         &canonical, &sts)
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    if (ngx_http_s3_sigv4_signing_key(secret, &sig->date, &sig->region,
                                      &sig->service, key)
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    rc = ngx_http_s3_sigv4_sign(key, &sts, hex);

    OPENSSL_cleanse(key, sizeof(key));

    return rc;
}


ngx_uint_t
ngx_http_s3_sigv4_equal(u_char *a, size_t alen, u_char *b, size_t blen)
{
    if (alen != blen) {
        return 0;
    }

    return CRYPTO_memcmp(a, b, alen) == 0;
}


ngx_int_t
ngx_http_s3_sigv4_sha256_hex(u_char *data, size_t len, u_char *hex)
{
    u_char        md[EVP_MAX_MD_SIZE];
    unsigned int  md_len;

#if (OPENSSL_VERSION_NUMBER >= 0x30000000L)

    if (ngx_http_s3_sigv4_crypto_init() != NGX_OK
        || EVP_DigestInit_ex(ngx_http_s3_sigv4_md_ctx,
                             ngx_http_s3_sigv4_sha256, NULL)
           != 1
        || EVP_DigestUpdate(ngx_http_s3_sigv4_md_ctx, data, len) != 1
        || EVP_DigestFinal_ex(ngx_http_s3_sigv4_md_ctx, md, &md_len) != 1)
    {
        return NGX_ERROR;
    }

#else

    if (EVP_Digest(data, len, md, &md_len, EVP_sha256(), NULL) != 1) {
        return NGX_ERROR;
    }

#endif

    ngx_hex_dump(hex, md, md_len);

    return NGX_OK;
}


ngx_int_t
ngx_http_s3_sigv4_hex_decode(u_char *dst, u_char *src, size_t len)
{
    u_char      c, v;
    ngx_uint_t  i;

    if (len % 2) {
        return NGX_ERROR;
    }

    v = 0;

    for (i = 0; i < len; i++) {
        c = src[i];

        if (c >= '0' && c <= '9') {
            c -= '0';

        } else {
            c = (u_char) (c | 0x20);

            if (c >= 'a' && c <= 'f') {
                c = (u_char) (c - 'a' + 10);

            } else {
                return NGX_ERROR;
            }
        }

        if (i % 2 == 0) {
            v = (u_char) (c << 4);

        } else {
            *dst++ = (u_char) (v | c);
        }
    }

    return NGX_OK;
}


time_t
ngx_http_s3_sigv4_parse_date(u_char *p, size_t len)
{
    ngx_int_t  year, month, day, hour, min, sec;

    /* 20130524T000000Z */

    if (len != NGX_HTTP_S3_SIGV4_DATE_LEN
        || p[8] != 'T' || p[15] != 'Z'
        || ngx_http_s3_sigv4_digits(p, 8) != NGX_OK
        || ngx_http_s3_sigv4_digits(p + 9, 6) != NGX_OK)
    {
        return -1;
    }

    year = (p[0] - '0') * 1000 + (p[1] - '0') * 100
           + (p[2] - '0') * 10 + (p[3] - '0');
    month = (p[4] - '0') * 10 + (p[5] - '0');
    day = (p[6] - '0') * 10 + (p[7] - '0');
    hour = (p[9] - '0') * 10 + (p[10] - '0');
    min = (p[11] - '0') * 10 + (p[12] - '0');
    sec = (p[13] - '0') * 10 + (p[14] - '0');

    if (year < 1970 || month < 1 || month > 12 || day < 1 || day > 31
        || hour > 23 || min > 59 || sec > 60)
    {
        return -1;
    }

    if (day > 30 && (month == 4 || month == 6 || month == 9 || month == 11))
    {
        return -1;
    }

    if (month == 2
        && day > ((year % 4 == 0 && (year % 100 != 0 || year % 400 == 0))
                  ? 29 : 28))
    {
        return -1;
    }

    return ngx_http_s3_sigv4_days_from_civil(year, month, day) * 86400
           + hour * 3600 + min * 60 + sec;
}


u_char *
ngx_http_s3_sigv4_format_date(u_char *buf, time_t t)
{
    time_t      z, era, doe, yoe, doy, mp, y, m, d, s;
    ngx_uint_t  secs;

    if (t < 0) {
        t = 0;
    }

    z = t / 86400;
    secs = (ngx_uint_t) (t % 86400);

    /* civil from days, proleptic Gregorian, days since 1970-01-01 */

    z += 719468;
    era = z / 146097;
    doe = z - era * 146097;
    yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    y = yoe + era * 400;
    doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    mp = (5 * doy + 2) / 153;
    d = doy - (153 * mp + 2) / 5 + 1;
    m = mp < 10 ? mp + 3 : mp - 9;
    y += (m <= 2);

    s = secs;

    buf = ngx_http_s3_sigv4_put_digits(buf, (ngx_uint_t) y, 4);
    buf = ngx_http_s3_sigv4_put_digits(buf, (ngx_uint_t) m, 2);
    buf = ngx_http_s3_sigv4_put_digits(buf, (ngx_uint_t) d, 2);
    *buf++ = 'T';
    buf = ngx_http_s3_sigv4_put_digits(buf, (ngx_uint_t) (s / 3600), 2);
    buf = ngx_http_s3_sigv4_put_digits(buf, (ngx_uint_t) (s % 3600 / 60), 2);
    buf = ngx_http_s3_sigv4_put_digits(buf, (ngx_uint_t) (s % 60), 2);
    *buf++ = 'Z';

    return buf;
}


/*
 * percent-decode, then encode the S3 way; a string that does not decode
 * (a stray '%') is encoded as it is, so it still yields a stable result
 */

static ngx_int_t
ngx_http_s3_sigv4_reencode(ngx_pool_t *pool, u_char *src, size_t len,
    ngx_uint_t encode_slash, ngx_str_t *out)
{
    size_t   dlen, elen;
    u_char  *dec;

    if (len == 0) {
        ngx_str_set(out, "");
        return NGX_OK;
    }

    /* what clients send is mostly canonical already: no copy then */

    if (ngx_http_s3_sigv4_is_canonical(src, len, encode_slash)) {
        out->data = src;
        out->len = len;
        return NGX_OK;
    }

    dec = ngx_pnalloc(pool, len);
    if (dec == NULL) {
        return NGX_ERROR;
    }

    dlen = len;

    if (ngx_http_s3_uri_decode(dec, &dlen, src, len) != NGX_OK) {
        ngx_memcpy(dec, src, len);
        dlen = len;
    }

    elen = ngx_http_s3_uri_encode(NULL, dec, dlen, encode_slash);

    out->data = ngx_pnalloc(pool, elen);
    if (out->data == NULL) {
        return NGX_ERROR;
    }

    out->len = ngx_http_s3_uri_encode(out->data, dec, dlen, encode_slash);

    return NGX_OK;
}


/*
 * 1 if decoding and encoding would give the same bytes: only bytes that
 * the encoding keeps, and uppercase escapes of bytes that it escapes
 */

static ngx_uint_t
ngx_http_s3_sigv4_is_canonical(u_char *p, size_t len, ngx_uint_t encode_slash)
{
    u_char   c, h, l, *last;

    last = p + len;

    while (p < last) {
        c = *p;

        if (ngx_http_s3_sigv4_keeps(c, encode_slash)) {
            p++;
            continue;
        }

        if (c != '%' || last - p < 3) {
            return 0;
        }

        h = p[1];
        l = p[2];

        if (h >= '0' && h <= '9') {
            h -= '0';

        } else if (h >= 'A' && h <= 'F') {
            h -= 'A' - 10;

        } else {
            return 0;
        }

        if (l >= '0' && l <= '9') {
            l -= '0';

        } else if (l >= 'A' && l <= 'F') {
            l -= 'A' - 10;

        } else {
            return 0;
        }

        if (ngx_http_s3_sigv4_keeps((u_char) ((h << 4) | l), encode_slash)) {
            return 0;
        }

        p += 3;
    }

    return 1;
}


/* the bytes that ngx_http_s3_uri_encode() leaves as they are */

static ngx_inline ngx_uint_t
ngx_http_s3_sigv4_keeps(u_char c, ngx_uint_t encode_slash)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z')
           || (c >= '0' && c <= '9')
           || c == '-' || c == '.' || c == '_' || c == '~'
           || (c == '/' && !encode_slash);
}


static int ngx_libc_cdecl
ngx_http_s3_sigv4_cmp_param(const void *one, const void *two)
{
    int            rc;
    size_t         n;
    ngx_keyval_t  *a, *b;

    a = (ngx_keyval_t *) one;
    b = (ngx_keyval_t *) two;

    n = ngx_min(a->key.len, b->key.len);

    rc = n ? ngx_memcmp(a->key.data, b->key.data, n) : 0;

    if (rc != 0) {
        return rc;
    }

    if (a->key.len != b->key.len) {
        return a->key.len < b->key.len ? -1 : 1;
    }

    n = ngx_min(a->value.len, b->value.len);

    rc = n ? ngx_memcmp(a->value.data, b->value.data, n) : 0;

    if (rc != 0) {
        return rc;
    }

    if (a->value.len != b->value.len) {
        return a->value.len < b->value.len ? -1 : 1;
    }

    return 0;
}


/*
 * "name:value\n" for each signed header, in the order of the signed
 * headers list; values trimmed, inner runs of blanks collapsed to one
 * space, several headers of one name joined with ','
 */

static ngx_int_t
ngx_http_s3_sigv4_canonical_headers(ngx_pool_t *pool,
    ngx_http_s3_sigv4_req_t *req, ngx_str_t *out)
{
    size_t         len, n;
    u_char        *p, *last, *start, *dst;
    ngx_uint_t     i, pass, found;
    ngx_keyval_t  *h;

    h = req->headers ? req->headers->elts : NULL;
    last = req->signed_headers.data + req->signed_headers.len;

    len = 0;
    dst = NULL;

    for (pass = 0; pass < 2; pass++) {

        if (pass == 1) {
            dst = ngx_pnalloc(pool, len ? len : 1);
            if (dst == NULL) {
                return NGX_ERROR;
            }

            out->data = dst;
        }

        p = req->signed_headers.data;

        while (p < last) {
            start = p;

            while (p < last && *p != ';') {
                p++;
            }

            n = p - start;

            if (p < last) {
                p++;
            }

            if (n == 0) {
                continue;
            }

            if (pass == 0) {
                len += n + 2;

            } else {
                for (i = 0; i < n; i++) {
                    *dst++ = ngx_tolower(start[i]);
                }

                *dst++ = ':';
            }

            found = 0;

            for (i = 0; h && i < req->headers->nelts; i++) {
                if (h[i].key.len != n
                    || ngx_strncasecmp(h[i].key.data, start, n) != 0)
                {
                    continue;
                }

                if (pass == 0) {
                    len += h[i].value.len + 1;

                } else {
                    if (found) {
                        *dst++ = ',';
                    }

                    dst = ngx_http_s3_sigv4_header_value(dst, &h[i].value);
                }

                found = 1;
            }

            if (pass == 1) {
                *dst++ = '\n';
            }
        }
    }

    out->len = dst - out->data;

    return NGX_OK;
}


static u_char *
ngx_http_s3_sigv4_header_value(u_char *dst, ngx_str_t *value)
{
    u_char      *p, *last;
    ngx_uint_t   blank;

    p = value->data;
    last = p + value->len;

    while (p < last && (*p == ' ' || *p == '\t')) {
        p++;
    }

    while (last > p && (last[-1] == ' ' || last[-1] == '\t')) {
        last--;
    }

    blank = 0;

    for ( /* void */ ; p < last; p++) {
        if (*p == ' ' || *p == '\t') {
            blank = 1;
            continue;
        }

        if (blank) {
            *dst++ = ' ';
            blank = 0;
        }

        *dst++ = *p;
    }

    return dst;
}


static ngx_int_t
ngx_http_s3_sigv4_hmac(u_char *key, size_t key_len, u_char *data, size_t len,
    u_char *out)
{
    u_char        md[EVP_MAX_MD_SIZE];
#if (OPENSSL_VERSION_NUMBER >= 0x30000000L)
    size_t        md_len;
#else
    unsigned int  md_len;
#endif

    /* a separate result buffer: key and out may be the same memory */

#if (OPENSSL_VERSION_NUMBER >= 0x30000000L)

    if (ngx_http_s3_sigv4_crypto_init() != NGX_OK
        || EVP_MAC_init(ngx_http_s3_sigv4_mac_ctx, key, key_len, NULL) != 1
        || EVP_MAC_update(ngx_http_s3_sigv4_mac_ctx, data, len) != 1
        || EVP_MAC_final(ngx_http_s3_sigv4_mac_ctx, md, &md_len, sizeof(md))
           != 1
        || md_len != NGX_HTTP_S3_SIGV4_KEY_LEN)
    {
        return NGX_ERROR;
    }

#else

    if (HMAC(EVP_sha256(), key, (int) key_len, data, len, md, &md_len)
        == NULL)
    {
        return NGX_ERROR;
    }

#endif

    ngx_memcpy(out, md, NGX_HTTP_S3_SIGV4_KEY_LEN);

    OPENSSL_cleanse(md, sizeof(md));

    return NGX_OK;
}


#if (OPENSSL_VERSION_NUMBER >= 0x30000000L)

static ngx_int_t
ngx_http_s3_sigv4_crypto_init(void)
{
    EVP_MAC     *mac;
    OSSL_PARAM   params[2];

    if (ngx_http_s3_sigv4_mac_ctx) {
        return NGX_OK;
    }

    if (ngx_http_s3_sigv4_sha256 == NULL) {
        ngx_http_s3_sigv4_sha256 = EVP_MD_fetch(NULL, "SHA256", NULL);
        if (ngx_http_s3_sigv4_sha256 == NULL) {
            return NGX_ERROR;
        }
    }

    if (ngx_http_s3_sigv4_md_ctx == NULL) {
        ngx_http_s3_sigv4_md_ctx = EVP_MD_CTX_new();
        if (ngx_http_s3_sigv4_md_ctx == NULL) {
            return NGX_ERROR;
        }
    }

    mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
    if (mac == NULL) {
        return NGX_ERROR;
    }

    ngx_http_s3_sigv4_mac_ctx = EVP_MAC_CTX_new(mac);

    /* the context holds its own reference */
    EVP_MAC_free(mac);

    if (ngx_http_s3_sigv4_mac_ctx == NULL) {
        return NGX_ERROR;
    }

    params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
                                                 (char *) "SHA256", 0);
    params[1] = OSSL_PARAM_construct_end();

    if (EVP_MAC_CTX_set_params(ngx_http_s3_sigv4_mac_ctx, params) != 1) {
        EVP_MAC_CTX_free(ngx_http_s3_sigv4_mac_ctx);
        ngx_http_s3_sigv4_mac_ctx = NULL;
        return NGX_ERROR;
    }

    return NGX_OK;
}

#endif


static ngx_int_t
ngx_http_s3_sigv4_digits(u_char *p, size_t n)
{
    while (n--) {
        if (*p < '0' || *p > '9') {
            return NGX_ERROR;
        }

        p++;
    }

    return NGX_OK;
}


static time_t
ngx_http_s3_sigv4_days_from_civil(ngx_int_t y, ngx_int_t m, ngx_int_t d)
{
    time_t  era, yoe, doy, doe;

    /* proleptic Gregorian; y >= 1970 here, so no negative eras */

    y -= (m <= 2);
    era = y / 400;
    yoe = y - era * 400;
    doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;

    return era * 146097 + doe - 719468;
}


static u_char *
ngx_http_s3_sigv4_put_digits(u_char *p, ngx_uint_t v, size_t n)
{
    size_t  i;

    for (i = n; i > 0; i--) {
        p[i - 1] = (u_char) ('0' + v % 10);
        v /= 10;
    }

    return p + n;
}
