/* sources: ngx_http_s3_sigv4.c ngx_http_s3_chunked.c ngx_http_s3_util.c */

/*
 * SigV4 and aws-chunked on any input.  The input is cut at '\n' into an
 * Authorization header value, a query string, a path and header lines.
 * Checked: the canonical URI and query use only the S3 encoding, the query
 * is sorted and every parameter has one '=', parsed credentials point into
 * the input, dates survive a round trip, and the chunked decoder gives the
 * same result whatever the slicing of its input.
 */


#include <ngx_config.h>
#include <ngx_core.h>

#include "ngx_http_s3_sigv4.h"
#include "ngx_http_s3_chunked.h"

#include "ngx_stub.h"


int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
static void fuzz_header(ngx_pool_t *pool, ngx_str_t *part, size_t n);
static void fuzz_query(ngx_pool_t *pool, ngx_str_t *args);
static void fuzz_path(ngx_pool_t *pool, ngx_str_t *path);
static void fuzz_dates(u_char *p, size_t n);
static void fuzz_chunked(ngx_pool_t *pool, u_char *p, size_t n);
static ngx_int_t chunked_run(ngx_pool_t *pool, ngx_uint_t mode, u_char *p,
    size_t n, size_t slice, u_char *out, size_t *out_len, ngx_uint_t *err);
static void check_encoded(ngx_str_t *s, ngx_uint_t slash_ok);
static ngx_uint_t inside(ngx_str_t *s, u_char *start, u_char *end);


#define PARTS  4


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    u_char      *p, *last, *start;
    size_t       n;
    ngx_str_t    part[PARTS];
    ngx_pool_t  *pool;

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

    fuzz_header(pool, part, PARTS);
    fuzz_query(pool, &part[1]);
    fuzz_path(pool, &part[2]);
    fuzz_dates(p, size);
    fuzz_chunked(pool, p, size);

    ngx_destroy_pool(pool);

    return 0;
}


static void
fuzz_header(ngx_pool_t *pool, ngx_str_t *part, size_t n)
{
    u_char                    hex[NGX_HTTP_S3_SIGV4_HEX_LEN], *p, *last;
    u_char                   *colon;
    ngx_int_t                 rc;
    ngx_str_t                 cr, secret, date;
    const char               *err;
    ngx_array_t              *headers;
    ngx_keyval_t             *kv;
    ngx_http_s3_sigv4_t       sig;
    ngx_http_s3_sigv4_req_t   req;

    err = NULL;

    rc = ngx_http_s3_sigv4_parse_header(&part[0], &sig, &err);

    if (rc == NGX_ERROR && err == NULL) {
        abort();
    }

    if (rc != NGX_OK) {
        return;
    }

    p = part[0].data;
    last = p + part[0].len;

    if (!inside(&sig.access_key, p, last) || !inside(&sig.scope, p, last)
        || !inside(&sig.signed_headers, p, last)
        || !inside(&sig.signature, p, last)
        || sig.date.len != 8 || sig.region.len == 0
        || sig.service.len == 0 || sig.terminator.len == 0
        || sig.scope.data != sig.date.data
        || sig.scope.data + sig.scope.len
           != sig.terminator.data + sig.terminator.len)
    {
        abort();
    }

    /* the header lines: "name:value" */

    headers = ngx_array_create(pool, 4, sizeof(ngx_keyval_t));
    if (headers == NULL) {
        abort();
    }

    p = part[3].data;
    last = p + part[3].len;

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

        p = (colon < last) ? colon + 1 : colon;
        kv->value.data = p;

        while (p < last && *p != '\r') {
            p++;
        }

        kv->value.len = p - kv->value.data;

        if (p < last) {
            p++;
        }
    }

    ngx_memzero(&req, sizeof(req));
    ngx_str_set(&req.method, "PUT");
    req.path = part[2];
    req.args = part[1];
    req.headers = headers;
    req.signed_headers = sig.signed_headers;
    ngx_str_set(&req.payload_hash, NGX_HTTP_S3_SIGV4_UNSIGNED);

    if (ngx_http_s3_sigv4_canonical_request(pool, &req, &cr) != NGX_OK) {
        abort();
    }

    ngx_str_set(&secret, "secret");
    ngx_str_set(&date, "20130524T000000Z");

    if (ngx_http_s3_sigv4_signature(pool, &req, &sig, &date, &secret, hex)
        != NGX_OK)
    {
        abort();
    }

    if (!ngx_http_s3_sigv4_equal(hex, sizeof(hex), hex, sizeof(hex))) {
        abort();
    }

    req.raw = 1;

    if (ngx_http_s3_sigv4_canonical_request(pool, &req, &cr) != NGX_OK) {
        abort();
    }
}


static void
fuzz_query(ngx_pool_t *pool, ngx_str_t *args)
{
    u_char               *p, *last, *prev, *prev_end, *start;
    ngx_int_t             rc;
    ngx_str_t             q;
    ngx_uint_t            presigned, eq;
    const char           *err;
    ngx_http_s3_sigv4_t   sig;

    err = NULL;

    rc = ngx_http_s3_sigv4_parse_query(pool, args, &sig, &err);

    if (rc == NGX_ERROR && err == NULL) {
        abort();
    }

    if (rc == NGX_OK
        && (sig.algorithm.data == NULL || sig.amz_date.len == 0
            || sig.expires.len == 0 || sig.signed_headers.len == 0
            || sig.signature.len == 0 || sig.date.len != 8))
    {
        abort();
    }

    for (presigned = 0; presigned < 2; presigned++) {

        if (ngx_http_s3_sigv4_canonical_query(pool, args, presigned, 0, &q)
            != NGX_OK)
        {
            abort();
        }

        /* a=b&c=d: encoded, one '=' each, sorted */

        p = q.data;
        last = p + q.len;
        prev = NULL;
        prev_end = NULL;

        while (p < last) {
            start = p;
            eq = 0;

            while (p < last && *p != '&') {
                if (*p == '=') {
                    eq++;

                } else if (*p == '%') {
                    if (last - p < 3) {
                        abort();
                    }

                } else if (!((*p >= 'A' && *p <= 'Z')
                             || (*p >= 'a' && *p <= 'z')
                             || (*p >= '0' && *p <= '9')
                             || *p == '-' || *p == '.' || *p == '_'
                             || *p == '~'))
                {
                    abort();
                }

                p++;
            }

            if (eq != 1) {
                abort();
            }

            if (prev) {
                size_t  a, b;
                u_char *pe, *se;
                int     c;

                /* compare the names, then the values */

                pe = ngx_strlchr(prev, prev_end, '=');
                se = ngx_strlchr(start, p, '=');

                a = pe - prev;
                b = se - start;

                c = ngx_memcmp(prev, start, ngx_min(a, b));

                if (c > 0 || (c == 0 && a > b)) {
                    abort();
                }

                if (c == 0 && a == b) {
                    a = prev_end - pe;
                    b = p - se;
                    c = ngx_memcmp(pe, se, ngx_min(a, b));

                    if (c > 0 || (c == 0 && a > b)) {
                        abort();
                    }
                }
            }

            prev = start;
            prev_end = p;

            if (p < last) {
                p++;

                if (p == last) {
                    abort();
                }
            }
        }

        if (ngx_http_s3_sigv4_canonical_query(pool, args, presigned, 1, &q)
            != NGX_OK)
        {
            abort();
        }
    }
}


static void
fuzz_path(ngx_pool_t *pool, ngx_str_t *path)
{
    ngx_str_t  uri;

    if (ngx_http_s3_sigv4_canonical_uri(pool, path, 0, &uri) != NGX_OK) {
        abort();
    }

    if (uri.len == 0) {
        abort();
    }

    check_encoded(&uri, 1);
}


static void
fuzz_dates(u_char *p, size_t n)
{
    u_char  buf[NGX_HTTP_S3_SIGV4_DATE_LEN];
    time_t  t;

    if (n < NGX_HTTP_S3_SIGV4_DATE_LEN) {
        return;
    }

    t = ngx_http_s3_sigv4_parse_date(p, NGX_HTTP_S3_SIGV4_DATE_LEN);

    if (t == -1) {
        return;
    }

    ngx_http_s3_sigv4_format_date(buf, t);

    /* a leap second is read as the next minute's first */

    if (p[13] == '6') {
        return;
    }

    if (ngx_memcmp(buf, p, NGX_HTTP_S3_SIGV4_DATE_LEN) != 0
        || ngx_http_s3_sigv4_parse_date(buf, NGX_HTTP_S3_SIGV4_DATE_LEN) != t)
    {
        abort();
    }
}


static void
fuzz_chunked(ngx_pool_t *pool, u_char *p, size_t n)
{
    u_char      *out1, *out2;
    size_t       len1, len2, slice;
    ngx_int_t    rc1, rc2;
    ngx_uint_t   mode, err1, err2;

    if (n < 2) {
        return;
    }

    mode = p[0] % 3;
    slice = (size_t) p[1] % 17 + 1;

    out1 = ngx_pnalloc(pool, n);
    out2 = ngx_pnalloc(pool, n);

    if (out1 == NULL || out2 == NULL) {
        abort();
    }

    rc1 = chunked_run(pool, mode, p + 2, n - 2, n, out1, &len1, &err1);
    rc2 = chunked_run(pool, mode, p + 2, n - 2, slice, out2, &len2, &err2);

    /*
     * the whole input at once and in slices give the same result; an
     * error found at the end of a chunk may cut the data differently
     */

    if (rc1 != rc2 || err1 != err2) {
        abort();
    }

    if (rc1 != NGX_ERROR
        && (len1 != len2 || ngx_memcmp(out1, out2, len1) != 0))
    {
        abort();
    }
}


static ngx_int_t
chunked_run(ngx_pool_t *pool, ngx_uint_t mode, u_char *p, size_t n,
    size_t slice, u_char *out, size_t *out_len, ngx_uint_t *err)
{
    u_char                 *pos, *last, *end;
    ngx_int_t               rc;
    ngx_str_t               s, date, scope, seed;
    ngx_http_s3_chunked_t   ch;

    static u_char  key[NGX_HTTP_S3_SIGV4_KEY_LEN];

    ngx_str_set(&date, "20130524T000000Z");
    ngx_str_set(&scope, "20130524/us-east-1/s3/aws4_request");
    ngx_str_set(&seed, "4f232c4386841ef735655705268965c4"
                       "4a0e4690baa4adea153f7db9fa80a0a9");

    if (ngx_http_s3_chunked_init(&ch, pool, mode, key, &date, &scope, &seed)
        != NGX_OK)
    {
        abort();
    }

    *out_len = 0;
    rc = NGX_AGAIN;
    pos = p;
    end = p + n;

    while (pos < end) {
        last = pos + ngx_min(slice, (size_t) (end - pos));

        for ( ;; ) {
            rc = ngx_http_s3_chunked_feed(&ch, &pos, last, &s);

            if (rc != NGX_OK) {
                break;
            }

            if (s.len == 0 || s.data < p || s.data + s.len > end
                || *out_len + s.len > n)
            {
                abort();
            }

            ngx_memcpy(out + *out_len, s.data, s.len);
            *out_len += s.len;
        }

        if (rc == NGX_DONE || rc == NGX_ERROR) {
            break;
        }

        if (rc != NGX_AGAIN || pos != last) {
            abort();
        }
    }

    if (rc == NGX_AGAIN) {
        rc = ngx_http_s3_chunked_eof(&ch);
    }

    if ((off_t) *out_len != ch.decoded) {
        abort();
    }

    *err = ch.err;

    return rc;
}


static void
check_encoded(ngx_str_t *s, ngx_uint_t slash_ok)
{
    u_char  *p, *last;

    p = s->data;
    last = p + s->len;

    for ( /* void */ ; p < last; p++) {
        if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z')
            || (*p >= '0' && *p <= '9')
            || *p == '-' || *p == '.' || *p == '_' || *p == '~'
            || (*p == '/' && slash_ok))
        {
            continue;
        }

        if (*p != '%' || last - p < 3
            || !((p[1] >= '0' && p[1] <= '9') || (p[1] >= 'A' && p[1] <= 'F'))
            || !((p[2] >= '0' && p[2] <= '9') || (p[2] >= 'A' && p[2] <= 'F')))
        {
            abort();
        }

        p += 2;
    }
}


static ngx_uint_t
inside(ngx_str_t *s, u_char *start, u_char *end)
{
    return s->data >= start && s->data + s->len <= end;
}
