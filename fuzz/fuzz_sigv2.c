/* sources: ngx_http_s3_sigv2.c ngx_http_s3_util.c */

/*
 * SigV2 on any input.  The input is cut at '\n' into an Authorization
 * header value, a query string, a path, a bucket and header lines
 * ("name:value" separated by '\r').  Checked: parsed values point into the
 * input, the canonical resource is the path followed by sorted
 * sub-resources only, the x-amz-* headers come out lowercase, sorted,
 * unique and trimmed, and a signature verifies against itself only.
 */


#include <ngx_config.h>
#include <ngx_core.h>

#include "ngx_http_s3_sigv2.h"

#include "ngx_stub.h"


int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
static void fuzz_header(ngx_str_t *value);
static void fuzz_query(ngx_pool_t *pool, ngx_str_t *args);
static void fuzz_resource(ngx_pool_t *pool, ngx_str_t *bucket,
    ngx_str_t *path, ngx_str_t *args);
static ngx_array_t *fuzz_headers(ngx_pool_t *pool, ngx_str_t *lines);
static void fuzz_amz_headers(ngx_pool_t *pool, ngx_array_t *headers);
static void fuzz_sign(ngx_pool_t *pool, ngx_str_t *part,
    ngx_array_t *headers);
static ngx_uint_t inside(ngx_str_t *s, u_char *start, u_char *end);
static int cmp(u_char *a, size_t alen, u_char *b, size_t blen);


#define PARTS  5


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    u_char       *p, *last, *start;
    size_t        n;
    ngx_str_t     part[PARTS];
    ngx_pool_t   *pool;
    ngx_array_t  *headers;

    pool = ngx_stub_pool();

    p = ngx_pnalloc(pool, size + 1);
    if (p == NULL) {
        abort();
    }

    if (size) {
        ngx_memcpy(p, data, size);
    }

    last = p + size;
    start = p;

    for (n = 0; n < PARTS; n++) {
        part[n].data = start;

        while (start < last && (*start != '\n' || n == PARTS - 1)) {
            start++;
        }

        part[n].len = start - part[n].data;

        if (start < last) {
            start++;
        }
    }

    headers = fuzz_headers(pool, &part[4]);

    fuzz_header(&part[0]);
    fuzz_query(pool, &part[1]);
    fuzz_resource(pool, &part[3], &part[2], &part[1]);
    fuzz_amz_headers(pool, headers);
    fuzz_sign(pool, part, headers);

    ngx_destroy_pool(pool);

    return 0;
}


static void
fuzz_header(ngx_str_t *value)
{
    u_char               *p, *last;
    ngx_int_t             rc;
    ngx_http_s3_sigv2_t   sig;

    rc = ngx_http_s3_sigv2_parse_header(value, &sig);

    if (rc != NGX_OK && rc != NGX_DECLINED && rc != NGX_ERROR) {
        abort();
    }

    if (rc != NGX_OK) {
        return;
    }

    p = value->data;
    last = p + value->len;

    if (!inside(&sig.access_key, p, last) || !inside(&sig.signature, p, last)
        || sig.access_key.len == 0 || sig.signature.len == 0
        || ngx_strlchr(sig.signature.data,
                       sig.signature.data + sig.signature.len, ':')
        || sig.access_key.data + sig.access_key.len + 1
           != sig.signature.data)
    {
        abort();
    }
}


static void
fuzz_query(ngx_pool_t *pool, ngx_str_t *args)
{
    ngx_int_t             rc;
    const char           *err;
    ngx_http_s3_sigv2_t   sig;

    err = NULL;

    rc = ngx_http_s3_sigv2_parse_query(pool, args, &sig, &err);

    if (rc == NGX_ERROR && err == NULL) {
        abort();
    }

    if (rc == NGX_OK
        && (sig.access_key.len == 0 || sig.signature.len == 0
            || sig.expires.len == 0
            || sig.access_key.len > args->len
            || sig.signature.len > args->len
            || sig.expires.len > args->len))
    {
        abort();
    }
}


static void
fuzz_resource(ngx_pool_t *pool, ngx_str_t *bucket, ngx_str_t *path,
    ngx_str_t *args)
{
    u_char      *p, *last, *name, *prev;
    size_t       n, prev_len;
    ngx_str_t    out;
    ngx_uint_t   decoded;

    if (ngx_http_s3_sigv2_canonical_resource(pool, bucket, path, args, &out)
        != NGX_OK)
    {
        abort();
    }

    p = out.data;
    last = p + out.len;

    /* ["/" bucket] path */

    if (bucket->len) {
        if (out.len < 1 + bucket->len || p[0] != '/'
            || ngx_memcmp(p + 1, bucket->data, bucket->len) != 0)
        {
            abort();
        }

        p += 1 + bucket->len;
    }

    if ((size_t) (last - p) < path->len
        || (path->len && ngx_memcmp(p, path->data, path->len) != 0))
    {
        abort();
    }

    p += path->len;

    if (p == last) {
        return;
    }

    /* "?" sub-resources, sorted by name */

    if (*p++ != '?' || p == last) {
        abort();
    }

    /* values are decoded: without escapes they hold no '&' */

    decoded = (ngx_strlchr(args->data, args->data + args->len, '%') != NULL);

    prev = NULL;
    prev_len = 0;

    while (p < last) {
        name = p;

        while (p < last && *p != '=' && *p != '&') {
            p++;
        }

        n = p - name;

        if (!ngx_http_s3_sigv2_is_subresource(name, n)) {
            abort();
        }

        if (decoded) {
            return;
        }

        if (prev && cmp(prev, prev_len, name, n) > 0) {
            abort();
        }

        prev = name;
        prev_len = n;

        if (p < last && *p == '=') {
            while (p < last && *p != '&') {
                p++;
            }
        }

        if (p < last) {
            p++;

            if (p == last) {
                abort();
            }
        }
    }
}


static ngx_array_t *
fuzz_headers(ngx_pool_t *pool, ngx_str_t *lines)
{
    u_char        *p, *last, *colon;
    ngx_array_t   *headers;
    ngx_keyval_t  *kv;

    headers = ngx_array_create(pool, 4, sizeof(ngx_keyval_t));
    if (headers == NULL) {
        abort();
    }

    p = lines->data;
    last = p + lines->len;

    while (p < last) {
        colon = p;

        while (colon < last && *colon != ':' && *colon != '\r') {
            colon++;
        }

        kv = ngx_array_push(headers);
        if (kv == NULL) {
            abort();
        }

        kv->key.data = p;
        kv->key.len = colon - p;

        p = (colon < last && *colon == ':') ? colon + 1 : colon;
        kv->value.data = p;

        while (p < last && *p != '\r') {
            p++;
        }

        kv->value.len = p - kv->value.data;

        /* a name has no line break (nginx's parser); a value may */

        if (ngx_strlchr(kv->key.data, kv->key.data + kv->key.len, '\n')) {
            headers->nelts--;
        }

        if (p < last) {
            p++;
        }
    }

    return headers;
}


static void
fuzz_amz_headers(ngx_pool_t *pool, ngx_array_t *headers)
{
    u_char     *p, *last, *line, *colon, *prev, *c;
    size_t      prev_len;
    ngx_str_t   out;

    if (ngx_http_s3_sigv2_canonical_amz_headers(pool, headers, &out)
        != NGX_OK)
    {
        abort();
    }

    p = out.data;
    last = p + out.len;
    prev = NULL;
    prev_len = 0;

    while (p < last) {
        line = p;

        while (p < last && *p != '\n') {
            p++;
        }

        /* every line ends with '\n'; values have no line break */

        if (p == last) {
            abort();
        }

        colon = ngx_strlchr(line, p, ':');

        if (colon == NULL || colon - line <= 6
            || ngx_strncmp(line, "x-amz-", 6) != 0)
        {
            abort();
        }

        for (c = line; c < colon; c++) {
            if (*c >= 'A' && *c <= 'Z') {
                abort();
            }
        }

        /* names strictly increasing: one line per name */

        if (prev && cmp(prev, prev_len, line, colon - line) >= 0) {
            abort();
        }

        prev = line;
        prev_len = colon - line;

        /* values trimmed, no line breaks */

        for (c = colon + 1; c < p; c++) {
            if (*c == '\r') {
                abort();
            }
        }

        if (colon + 1 < p
            && (colon[1] == ' ' || colon[1] == '\t' || p[-1] == ' '
                || p[-1] == '\t'))
        {
            abort();
        }

        p++;
    }
}


static void
fuzz_sign(ngx_pool_t *pool, ngx_str_t *part, ngx_array_t *headers)
{
    u_char                    b64[NGX_HTTP_S3_SIGV2_B64_LEN];
    ngx_str_t                 sts, secret, sig;
    ngx_http_s3_sigv2_req_t   req;

    ngx_memzero(&req, sizeof(req));

    ngx_str_set(&req.method, "PUT");
    req.content_type = part[0];
    req.date = part[1];
    req.headers = headers;
    req.bucket = part[3];
    req.path = part[2];
    req.args = part[1];

    if (ngx_http_s3_sigv2_string_to_sign(pool, &req, &sts) != NGX_OK) {
        abort();
    }

    secret = part[0];

    if (ngx_http_s3_sigv2_sign(&secret, &sts, b64) != NGX_OK) {
        abort();
    }

    sig.data = b64;
    sig.len = sizeof(b64);

    if (ngx_http_s3_sigv2_verify(&secret, &sts, &sig) != NGX_OK) {
        abort();
    }

    sig.len--;

    if (ngx_http_s3_sigv2_verify(&secret, &sts, &sig) != NGX_DECLINED) {
        abort();
    }

    b64[0] = (b64[0] == 'A') ? 'B' : 'A';
    sig.len++;

    if (ngx_http_s3_sigv2_verify(&secret, &sts, &sig) != NGX_DECLINED) {
        abort();
    }
}


static ngx_uint_t
inside(ngx_str_t *s, u_char *start, u_char *end)
{
    return s->data >= start && s->data + s->len <= end;
}


static int
cmp(u_char *a, size_t alen, u_char *b, size_t blen)
{
    int  rc;

    rc = ngx_min(alen, blen) ? ngx_memcmp(a, b, ngx_min(alen, blen)) : 0;

    if (rc != 0) {
        return rc;
    }

    return (alen < blen) ? -1 : (alen > blen);
}
