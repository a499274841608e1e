
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
#include "ngx_http_s3_sigv2.h"


#define NGX_HTTP_S3_SIGV2_SHA1_LEN     20


/* a query argument or a header, with its place for a stable sort */

typedef struct {
    ngx_str_t                  name;
    ngx_str_t                  value;
    ngx_uint_t                 index;
    ngx_uint_t                 has_value;   /* "name=value", not "name" */
} ngx_http_s3_sigv2_item_t;


#if (OPENSSL_VERSION_NUMBER >= 0x30000000L)

/*
 * As in ngx_http_s3_sigv4.c: OpenSSL 3's one-shot HMAC() looks the
 * algorithm up on every call; each process keeps one HMAC-SHA1 context.
 */

static EVP_MAC_CTX  *ngx_http_s3_sigv2_mac_ctx;

static ngx_int_t ngx_http_s3_sigv2_crypto_init(void);

#endif


static ngx_int_t ngx_http_s3_sigv2_hmac(ngx_str_t *secret, ngx_str_t *data,
    u_char *out);
static int ngx_libc_cdecl ngx_http_s3_sigv2_cmp_item(const void *one,
    const void *two);
static int ngx_libc_cdecl ngx_http_s3_sigv2_cmp_header(const void *one,
    const void *two);
static u_char *ngx_http_s3_sigv2_header_value(u_char *dst, ngx_str_t *value);
static ngx_inline u_char *ngx_http_s3_sigv2_copy(u_char *dst, ngx_str_t *s);


static const char  ngx_http_s3_sigv2_err_query[] =
    "Query-string authentication requires the Signature, Expires and "
    "AWSAccessKeyId parameters";


/*
 * The query arguments that name a sub-resource: they select what a
 * request does, so the signature covers them.  S3's documented list, the
 * response-* overrides, and every sub-resource an operation is routed by
 * (a presigned PUT of an object must not become PutObjectRetention).
 * list-type and attributes are left out as S3 does: they only select
 * another view of the same data.
 */

static ngx_str_t  ngx_http_s3_sigv2_subresources[] = {
    ngx_string("accelerate"),
    ngx_string("acl"),
    ngx_string("analytics"),
    ngx_string("cors"),
    ngx_string("delete"),
    ngx_string("encryption"),
    ngx_string("intelligent-tiering"),
    ngx_string("inventory"),
    ngx_string("legal-hold"),
    ngx_string("lifecycle"),
    ngx_string("location"),
    ngx_string("logging"),
    ngx_string("metrics"),
    ngx_string("notification"),
    ngx_string("object-lock"),
    ngx_string("ownershipControls"),
    ngx_string("partNumber"),
    ngx_string("policy"),
    ngx_string("policyStatus"),
    ngx_string("publicAccessBlock"),
    ngx_string("replication"),
    ngx_string("requestPayment"),
    ngx_string("response-cache-control"),
    ngx_string("response-content-disposition"),
    ngx_string("response-content-encoding"),
    ngx_string("response-content-language"),
    ngx_string("response-content-type"),
    ngx_string("response-expires"),
    ngx_string("restore"),
    ngx_string("retention"),
    ngx_string("select"),
    ngx_string("select-type"),
    ngx_string("tagging"),
    ngx_string("torrent"),
    ngx_string("uploadId"),
    ngx_string("uploads"),
    ngx_string("versionId"),
    ngx_string("versioning"),
    ngx_string("versions"),
    ngx_string("website"),
    ngx_null_string
};


ngx_int_t
ngx_http_s3_sigv2_parse_header(ngx_str_t *value, ngx_http_s3_sigv2_t *sig)
{
    u_char  *p, *last, *colon;

    p = value->data;
    last = p + value->len;

    while (p < last && (*p == ' ' || *p == '\t')) {
        p++;
    }

    if (last - p < 4
        || ngx_strncmp(p, "AWS", 3) != 0
        || (p[3] != ' ' && p[3] != '\t'))
    {
        return NGX_DECLINED;
    }

    ngx_memzero(sig, sizeof(ngx_http_s3_sigv2_t));

    p += 3;

    while (p < last && (*p == ' ' || *p == '\t')) {
        p++;
    }

    while (last > p && (last[-1] == ' ' || last[-1] == '\t')) {
        last--;
    }

    /* the last ':': a signature is base64, which has none */

    for (colon = last; colon > p; colon--) {
        if (colon[-1] == ':') {
            break;
        }
    }

    if (colon == p || colon - 1 == p || colon == last) {
        return NGX_ERROR;
    }

    sig->access_key.data = p;
    sig->access_key.len = colon - 1 - p;

    sig->signature.data = colon;
    sig->signature.len = last - colon;

    return NGX_OK;
}


ngx_int_t
ngx_http_s3_sigv2_parse_query(ngx_pool_t *pool, ngx_str_t *args,
    ngx_http_s3_sigv2_t *sig, const char **err)
{
    size_t      n;
    u_char     *p, *last, *name, *end, *eq, *v;
    ngx_str_t  *dst;

    ngx_memzero(sig, sizeof(ngx_http_s3_sigv2_t));

    p = args->data;
    last = p + args->len;

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

        n = (eq ? eq : end) - name;

        /* exact names, as S3 has them */

        if (n == 14 && ngx_strncmp(name, "AWSAccessKeyId", 14) == 0) {
            dst = &sig->access_key;

        } else if (n == 9 && ngx_strncmp(name, "Signature", 9) == 0) {
            dst = &sig->signature;

        } else if (n == 7 && ngx_strncmp(name, "Expires", 7) == 0) {
            dst = &sig->expires;

        } else {
            continue;
        }

        if (dst->data != NULL) {
            /* the first occurrence wins */
            continue;
        }

        v = eq ? eq + 1 : end;

        dst->data = ngx_pnalloc(pool, end - v + 1);
        if (dst->data == NULL) {
            *err = NULL;
            return NGX_ERROR;
        }

        dst->len = end - v;

        if (ngx_http_s3_uri_decode(dst->data, &dst->len, v, end - v)
            != NGX_OK)
        {
            *err = ngx_http_s3_sigv2_err_query;
            return NGX_ERROR;
        }
    }

    if (sig->access_key.data == NULL && sig->signature.data == NULL) {
        return NGX_DECLINED;
    }

    if (sig->access_key.len == 0
        || sig->signature.len == 0
        || sig->expires.len == 0)
    {
        *err = ngx_http_s3_sigv2_err_query;
        return NGX_ERROR;
    }

    return NGX_OK;
}


ngx_uint_t
ngx_http_s3_sigv2_is_subresource(u_char *name, size_t len)
{
    ngx_str_t  *s;

    for (s = ngx_http_s3_sigv2_subresources; s->len; s++) {
        if (s->len == len && ngx_strncmp(s->data, name, len) == 0) {
            return 1;
        }
    }

    return 0;
}


ngx_int_t
ngx_http_s3_sigv2_canonical_resource(ngx_pool_t *pool, ngx_str_t *bucket,
    ngx_str_t *path, ngx_str_t *args, ngx_str_t *out)
{
    u_char                    *p, *last, *start, *end, *eq, *dst;
    size_t                     len, dlen;
    ngx_uint_t                 i, n;
    ngx_http_s3_sigv2_item_t  *items, *it;

    /* an upper bound of the number of arguments */

    n = 0;

    if (args->len) {
        n = 1;

        for (i = 0; i < args->len; i++) {
            if (args->data[i] == '&') {
                n++;
            }
        }
    }

    items = NULL;

    if (n) {
        items = ngx_palloc(pool, n * sizeof(ngx_http_s3_sigv2_item_t));
        if (items == NULL) {
            return NGX_ERROR;
        }
    }

    n = 0;
    len = (bucket->len ? 1 + bucket->len : 0) + path->len;

    p = args->data;
    last = p + args->len;

    while (p < last) {
        start = p;

        while (p < last && *p != '&') {
            p++;
        }

        end = p;

        if (p < last) {
            p++;
        }

        eq = ngx_strlchr(start, end, '=');

        it = &items[n];

        it->name.data = start;
        it->name.len = (eq ? eq : end) - start;

        if (!ngx_http_s3_sigv2_is_subresource(it->name.data, it->name.len)) {
            continue;
        }

        it->index = n;
        it->has_value = (eq != NULL && eq + 1 < end);

        if (it->has_value) {

            /* signed decoded; a bad escape is signed as it is */

            dlen = end - (eq + 1);

            dst = ngx_pnalloc(pool, dlen);
            if (dst == NULL) {
                return NGX_ERROR;
            }

            if (ngx_http_s3_uri_decode(dst, &dlen, eq + 1, end - (eq + 1))
                == NGX_OK)
            {
                it->value.data = dst;
                it->value.len = dlen;

            } else {
                it->value.data = eq + 1;
                it->value.len = end - (eq + 1);
            }

        } else {
            ngx_str_null(&it->value);
        }

        len += 1 + it->name.len + 1 + it->value.len;
        n++;
    }

    if (n > 1) {
        ngx_qsort(items, n, sizeof(ngx_http_s3_sigv2_item_t),
                  ngx_http_s3_sigv2_cmp_item);
    }

    p = ngx_pnalloc(pool, len ? len : 1);
    if (p == NULL) {
        return NGX_ERROR;
    }

    out->data = p;

    if (bucket->len) {
        *p++ = '/';
        p = ngx_cpymem(p, bucket->data, bucket->len);
    }

    p = ngx_http_s3_sigv2_copy(p, path);

    for (i = 0; i < n; i++) {
        *p++ = i ? '&' : '?';
        p = ngx_cpymem(p, items[i].name.data, items[i].name.len);

        if (items[i].has_value) {
            *p++ = '=';
            p = ngx_http_s3_sigv2_copy(p, &items[i].value);
        }
    }

    out->len = p - out->data;

    return NGX_OK;
}


ngx_int_t
ngx_http_s3_sigv2_canonical_amz_headers(ngx_pool_t *pool,
    ngx_array_t *headers, ngx_str_t *out)
{
    u_char                    *p;
    size_t                     len;
    ngx_uint_t                 i, j, n;
    ngx_keyval_t              *h;
    ngx_http_s3_sigv2_item_t  *items;

    ngx_str_set(out, "");

    if (headers == NULL || headers->nelts == 0) {
        return NGX_OK;
    }

    h = headers->elts;
    n = 0;

    for (i = 0; i < headers->nelts; i++) {
        if (h[i].key.len > 6
            && ngx_strncasecmp(h[i].key.data, (u_char *) "x-amz-", 6) == 0)
        {
            n++;
        }
    }

    if (n == 0) {
        return NGX_OK;
    }

    items = ngx_palloc(pool, n * sizeof(ngx_http_s3_sigv2_item_t));
    if (items == NULL) {
        return NGX_ERROR;
    }

    n = 0;
    len = 0;

    for (i = 0; i < headers->nelts; i++) {
        if (h[i].key.len > 6
            && ngx_strncasecmp(h[i].key.data, (u_char *) "x-amz-", 6) == 0)
        {
            items[n].name = h[i].key;
            items[n].value = h[i].value;
            items[n].index = n;
            items[n].has_value = 1;

            /* "name:" or ",", the value, "\n" */
            len += h[i].key.len + 1 + h[i].value.len + 1;
            n++;
        }
    }

    if (n > 1) {
        ngx_qsort(items, n, sizeof(ngx_http_s3_sigv2_item_t),
                  ngx_http_s3_sigv2_cmp_header);
    }

    p = ngx_pnalloc(pool, len);
    if (p == NULL) {
        return NGX_ERROR;
    }

    out->data = p;

    for (i = 0; i < n; i++) {

        if (i > 0
            && items[i].name.len == items[i - 1].name.len
            && ngx_strncasecmp(items[i].name.data, items[i - 1].name.data,
                               items[i].name.len)
               == 0)
        {
            /* one more value of the previous name */
            p[-1] = ',';

        } else {
            for (j = 0; j < items[i].name.len; j++) {
                *p++ = ngx_tolower(items[i].name.data[j]);
            }

            *p++ = ':';
        }

        p = ngx_http_s3_sigv2_header_value(p, &items[i].value);
        *p++ = '\n';
    }

    out->len = p - out->data;

    return NGX_OK;
}


ngx_int_t
ngx_http_s3_sigv2_string_to_sign(ngx_pool_t *pool,
    ngx_http_s3_sigv2_req_t *req, ngx_str_t *out)
{
    u_char     *p;
    size_t      len;
    ngx_str_t   amz, resource;

    if (ngx_http_s3_sigv2_canonical_amz_headers(pool, req->headers, &amz)
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    if (ngx_http_s3_sigv2_canonical_resource(pool, &req->bucket, &req->path,
                                             &req->args, &resource)
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    len = req->method.len + 1 + req->content_md5.len + 1
          + req->content_type.len + 1 + req->date.len + 1
          + amz.len + resource.len;

    p = ngx_pnalloc(pool, len);
    if (p == NULL) {
        return NGX_ERROR;
    }

    out->data = p;

    p = ngx_http_s3_sigv2_copy(p, &req->method);
    *p++ = '\n';
    p = ngx_http_s3_sigv2_copy(p, &req->content_md5);
    *p++ = '\n';
    p = ngx_http_s3_sigv2_copy(p, &req->content_type);
    *p++ = '\n';
    p = ngx_http_s3_sigv2_copy(p, &req->date);
    *p++ = '\n';
    p = ngx_http_s3_sigv2_copy(p, &amz);
    p = ngx_http_s3_sigv2_copy(p, &resource);

    out->len = p - out->data;

    return NGX_OK;
}


ngx_int_t
ngx_http_s3_sigv2_sign(ngx_str_t *secret, ngx_str_t *sts, u_char *b64)
{
    u_char  mac[NGX_HTTP_S3_SIGV2_SHA1_LEN];
    u_char  buf[NGX_HTTP_S3_SIGV2_B64_LEN + 1];

    if (ngx_http_s3_sigv2_hmac(secret, sts, mac) != NGX_OK) {
        return NGX_ERROR;
    }

    /* 20 bytes: 28 characters, one '=' of padding, and a NUL */

    if (EVP_EncodeBlock(buf, mac, sizeof(mac)) != NGX_HTTP_S3_SIGV2_B64_LEN) {
        return NGX_ERROR;
    }

    ngx_memcpy(b64, buf, NGX_HTTP_S3_SIGV2_B64_LEN);

    OPENSSL_cleanse(mac, sizeof(mac));

    return NGX_OK;
}


ngx_int_t
ngx_http_s3_sigv2_verify(ngx_str_t *secret, ngx_str_t *sts,
    ngx_str_t *signature)
{
    u_char     b64[NGX_HTTP_S3_SIGV2_B64_LEN];
    ngx_int_t  rc;

    if (ngx_http_s3_sigv2_sign(secret, sts, b64) != NGX_OK) {
        return NGX_ERROR;
    }

    /* the length of a signature is no secret */

    if (signature->len == NGX_HTTP_S3_SIGV2_B64_LEN
        && CRYPTO_memcmp(b64, signature->data, NGX_HTTP_S3_SIGV2_B64_LEN)
           == 0)
    {
        rc = NGX_OK;

    } else {
        rc = NGX_DECLINED;
    }

    OPENSSL_cleanse(b64, sizeof(b64));

    return rc;
}


static ngx_int_t
ngx_http_s3_sigv2_hmac(ngx_str_t *secret, ngx_str_t *data, u_char *out)
{
    u_char        md[EVP_MAX_MD_SIZE];
#if (OPENSSL_VERSION_NUMBER >= 0x30000000L)
    size_t        md_len;
#else
    unsigned int  md_len;
#endif

#if (OPENSSL_VERSION_NUMBER >= 0x30000000L)

    if (ngx_http_s3_sigv2_crypto_init() != NGX_OK
        || EVP_MAC_init(ngx_http_s3_sigv2_mac_ctx, secret->data, secret->len,
                        NULL)
           != 1
        || EVP_MAC_update(ngx_http_s3_sigv2_mac_ctx, data->data, data->len)
           != 1
        || EVP_MAC_final(ngx_http_s3_sigv2_mac_ctx, md, &md_len, sizeof(md))
           != 1
        || md_len != NGX_HTTP_S3_SIGV2_SHA1_LEN)
    {
        return NGX_ERROR;
    }

#else

    if (HMAC(EVP_sha1(), secret->data, (int) secret->len, data->data,
             data->len, md, &md_len)
        == NULL
        || md_len != NGX_HTTP_S3_SIGV2_SHA1_LEN)
    {
        return NGX_ERROR;
    }

#endif

    ngx_memcpy(out, md, NGX_HTTP_S3_SIGV2_SHA1_LEN);

    OPENSSL_cleanse(md, sizeof(md));

    return NGX_OK;
}


#if (OPENSSL_VERSION_NUMBER >= 0x30000000L)

static ngx_int_t
ngx_http_s3_sigv2_crypto_init(void)
{
    EVP_MAC     *mac;
    OSSL_PARAM   params[2];

    if (ngx_http_s3_sigv2_mac_ctx) {
        return NGX_OK;
    }

    mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
    if (mac == NULL) {
        return NGX_ERROR;
    }

    ngx_http_s3_sigv2_mac_ctx = EVP_MAC_CTX_new(mac);

    /* the context holds its own reference */
    EVP_MAC_free(mac);

    if (ngx_http_s3_sigv2_mac_ctx == NULL) {
        return NGX_ERROR;
    }

    params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
                                                 (char *) "SHA1", 0);
    params[1] = OSSL_PARAM_construct_end();

    if (EVP_MAC_CTX_set_params(ngx_http_s3_sigv2_mac_ctx, params) != 1) {
        EVP_MAC_CTX_free(ngx_http_s3_sigv2_mac_ctx);
        ngx_http_s3_sigv2_mac_ctx = NULL;
        return NGX_ERROR;
    }

    return NGX_OK;
}

#endif


/* by name (bytes), then in the order of the request */

static int ngx_libc_cdecl
ngx_http_s3_sigv2_cmp_item(const void *one, const void *two)
{
    int                        rc;
    size_t                     n;
    ngx_http_s3_sigv2_item_t  *a, *b;

    a = (ngx_http_s3_sigv2_item_t *) one;
    b = (ngx_http_s3_sigv2_item_t *) two;

    n = ngx_min(a->name.len, b->name.len);

    rc = n ? ngx_memcmp(a->name.data, b->name.data, n) : 0;

    if (rc != 0) {
        return rc;
    }

    if (a->name.len != b->name.len) {
        return a->name.len < b->name.len ? -1 : 1;
    }

    if (a->index != b->index) {
        return a->index < b->index ? -1 : 1;
    }

    return 0;
}


/* by lowercase name, then in the order of the request */

static int ngx_libc_cdecl
ngx_http_s3_sigv2_cmp_header(const void *one, const void *two)
{
    u_char                     ca, cb;
    size_t                     i, n;
    ngx_http_s3_sigv2_item_t  *a, *b;

    a = (ngx_http_s3_sigv2_item_t *) one;
    b = (ngx_http_s3_sigv2_item_t *) two;

    n = ngx_min(a->name.len, b->name.len);

    for (i = 0; i < n; i++) {
        ca = ngx_tolower(a->name.data[i]);
        cb = ngx_tolower(b->name.data[i]);

        if (ca != cb) {
            return ca < cb ? -1 : 1;
        }
    }

    if (a->name.len != b->name.len) {
        return a->name.len < b->name.len ? -1 : 1;
    }

    if (a->index != b->index) {
        return a->index < b->index ? -1 : 1;
    }

    return 0;
}


/*
 * the value trimmed; a line break with the blanks around it (a folded
 * header) becomes one space
 */

static u_char *
ngx_http_s3_sigv2_header_value(u_char *dst, ngx_str_t *value)
{
    u_char  *p, *last, *q;

    p = value->data;
    last = p + value->len;

    while (p < last
           && (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n'))
    {
        p++;
    }

    while (last > p
           && (last[-1] == ' ' || last[-1] == '\t' || last[-1] == '\r'
               || last[-1] == '\n'))
    {
        last--;
    }

    while (p < last) {

        if (*p != '\r' && *p != '\n') {
            *dst++ = *p++;
            continue;
        }

        /* drop the blanks already copied before the break */

        q = p;

        while (q > value->data && (q[-1] == ' ' || q[-1] == '\t')) {
            q--;
            dst--;
        }

        while (p < last
               && (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n'))
        {
            p++;
        }

        *dst++ = ' ';
    }

    return dst;
}


/* an empty string may have no data: memcpy() must not see NULL */

static ngx_inline u_char *
ngx_http_s3_sigv2_copy(u_char *dst, ngx_str_t *s)
{
    return s->len ? ngx_cpymem(dst, s->data, s->len) : dst;
}
