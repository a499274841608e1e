/* sources: ngx_http_s3_util.c */

/*
 * The pure helpers on any input: bucket names and keys against reference
 * rules written differently (the byte ranges of Unicode's table 3-7 for
 * UTF-8), URI encoding round trips, ranges always inside the object,
 * Content-MD5 accepted exactly when it is 22 base64 chars and "==", and
 * ISO 8601 dates against strftime().
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include "ngx_http_s3.h"

#include "ngx_stub.h"


int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
static void fuzz_names(u_char *p, size_t n);
static ngx_uint_t ref_utf8(u_char *p, size_t n);
static void fuzz_uri(ngx_pool_t *pool, u_char *p, size_t n);
static ngx_uint_t upper_hex(u_char c);
static void fuzz_range(u_char *p, size_t n);
static void fuzz_md5(u_char *p, size_t n);
static void fuzz_time(u_char *p, size_t n);


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    u_char      *p;
    ngx_pool_t  *pool;

    pool = ngx_stub_pool();

    p = ngx_pnalloc(pool, size);
    if (p == NULL) {
        abort();
    }

    if (size) {
        ngx_memcpy(p, data, size);
    }

    fuzz_names(p, size);
    fuzz_uri(pool, p, size);
    fuzz_range(p, size);
    fuzz_md5(p, size);
    fuzz_time(p, size);

    ngx_destroy_pool(pool);

    return 0;
}


static void
fuzz_names(u_char *p, size_t n)
{
    size_t      i;
    ngx_int_t   rc;
    ngx_str_t   s;
    ngx_uint_t  valid, ref;

    s.data = p;
    s.len = n;

    valid = ngx_http_s3_valid_bucket_name(&s);

    ref = (n >= 3 && n <= 63 && p[0] != '-' && p[n - 1] != '-');

    for (i = 0; ref && i < n; i++) {
        if (!((p[i] >= 'a' && p[i] <= 'z') || (p[i] >= '0' && p[i] <= '9')
              || p[i] == '-'))
        {
            ref = 0;
        }

        if (i && p[i] == '-' && p[i - 1] == '-') {
            ref = 0;
        }
    }

    if (valid != ref) {
        abort();
    }

    if (ngx_http_s3_valid_utf8(p, n) != ref_utf8(p, n)) {
        abort();
    }

    rc = ngx_http_s3_valid_key(&s);

    if (n == 0 || n > 1024) {
        if (rc != NGX_DECLINED) {
            abort();
        }

    } else if (rc != (ref_utf8(p, n) ? NGX_OK : NGX_ERROR)) {
        abort();
    }
}


/* well-formed UTF-8 byte sequences, The Unicode Standard, table 3-7 */

static ngx_uint_t
ref_utf8(u_char *p, size_t n)
{
    size_t      i, k, len;
    ngx_uint_t  j;

    static const struct {
        u_char  lo[4];
        u_char  hi[4];
        size_t  len;
    } forms[] = {
        { { 0x00 }, { 0x7f }, 1 },
        { { 0xc2, 0x80 }, { 0xdf, 0xbf }, 2 },
        { { 0xe0, 0xa0, 0x80 }, { 0xe0, 0xbf, 0xbf }, 3 },
        { { 0xe1, 0x80, 0x80 }, { 0xec, 0xbf, 0xbf }, 3 },
        { { 0xed, 0x80, 0x80 }, { 0xed, 0x9f, 0xbf }, 3 },
        { { 0xee, 0x80, 0x80 }, { 0xef, 0xbf, 0xbf }, 3 },
        { { 0xf0, 0x90, 0x80, 0x80 }, { 0xf0, 0xbf, 0xbf, 0xbf }, 4 },
        { { 0xf1, 0x80, 0x80, 0x80 }, { 0xf3, 0xbf, 0xbf, 0xbf }, 4 },
        { { 0xf4, 0x80, 0x80, 0x80 }, { 0xf4, 0x8f, 0xbf, 0xbf }, 4 },
    };

    i = 0;

    while (i < n) {
        len = 0;

        for (j = 0; j < sizeof(forms) / sizeof(forms[0]); j++) {
            if (n - i < forms[j].len) {
                continue;
            }

            for (k = 0; k < forms[j].len; k++) {
                if (p[i + k] < forms[j].lo[k] || p[i + k] > forms[j].hi[k]) {
                    break;
                }
            }

            if (k == forms[j].len) {
                len = k;
                break;
            }
        }

        if (len == 0) {
            return 0;
        }

        i += len;
    }

    return 1;
}


static void
fuzz_uri(ngx_pool_t *pool, u_char *p, size_t n)
{
    u_char      *enc, *dec, *copy, c;
    size_t       len, dlen, dlen2, i;
    ngx_int_t    rc, rc2;
    ngx_uint_t   slash;

    for (slash = 0; slash < 2; slash++) {
        len = ngx_http_s3_uri_encode(NULL, p, n, slash);

        enc = ngx_pnalloc(pool, len);
        dec = ngx_pnalloc(pool, len);
        if (enc == NULL || dec == NULL) {
            abort();
        }

        if (ngx_http_s3_uri_encode(enc, p, n, slash) != len) {
            abort();
        }

        for (i = 0; i < len; i++) {
            c = enc[i];

            if (c == '%') {
                if (i + 2 >= len
                    || !upper_hex(enc[i + 1]) || !upper_hex(enc[i + 2]))
                {
                    abort();
                }

                i += 2;
                continue;
            }

            if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z')
                  || (c >= '0' && c <= '9') || c == '-' || c == '.'
                  || c == '_' || c == '~' || (c == '/' && !slash)))
            {
                abort();
            }
        }

        if (ngx_http_s3_uri_decode(dec, &dlen, enc, len) != NGX_OK
            || dlen != n || (n && ngx_memcmp(dec, p, n) != 0))
        {
            abort();
        }
    }

    /* decoding the input: in place and not in place give the same */

    dec = ngx_pnalloc(pool, n);
    copy = ngx_pnalloc(pool, n);
    if (dec == NULL || copy == NULL) {
        abort();
    }

    if (n) {
        ngx_memcpy(copy, p, n);
    }

    dlen = 0;
    dlen2 = 0;

    rc = ngx_http_s3_uri_decode(dec, &dlen, p, n);
    rc2 = ngx_http_s3_uri_decode(copy, &dlen2, copy, n);

    if (rc != rc2) {
        abort();
    }

    if (rc == NGX_OK
        && (dlen > n || dlen != dlen2
            || (dlen && ngx_memcmp(dec, copy, dlen) != 0)))
    {
        abort();
    }
}


static ngx_uint_t
upper_hex(u_char c)
{
    return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'F');
}


static void
fuzz_range(u_char *p, size_t n)
{
    off_t       start, end;
    ngx_int_t   rc;
    ngx_str_t   v;
    ngx_uint_t  i;

    static off_t  sizes[] = { 0, 1, 2, 10, 2000, 1 << 30,
                              NGX_MAX_OFF_T_VALUE - 1, NGX_MAX_OFF_T_VALUE };

    v.data = p;
    v.len = n;

    for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
        start = -7;
        end = -7;

        rc = ngx_http_s3_parse_range(&v, sizes[i], &start, &end);

        switch (rc) {

        case NGX_OK:
            if (start < 0 || start > end || end >= sizes[i]) {
                abort();
            }
            break;

        case NGX_DECLINED:
        case NGX_ERROR:
            if (start != -7 || end != -7) {
                abort();
            }
            break;

        default:
            abort();
        }
    }
}


static void
fuzz_md5(u_char *p, size_t n)
{
    u_char      md5[16];
    size_t      i;
    ngx_str_t   v;
    ngx_uint_t  ref;

    v.data = p;
    v.len = n;

    ref = (n == 24 && p[22] == '=' && p[23] == '=');

    for (i = 0; ref && i < 22; i++) {
        if (!((p[i] >= 'A' && p[i] <= 'Z') || (p[i] >= 'a' && p[i] <= 'z')
              || (p[i] >= '0' && p[i] <= '9') || p[i] == '+' || p[i] == '/'))
        {
            ref = 0;
        }
    }

    if ((ngx_http_s3_decode_md5(&v, md5) == NGX_OK) != ref) {
        abort();
    }
}


static void
fuzz_time(u_char *p, size_t n)
{
    u_char     buf[NGX_HTTP_S3_ISO8601_LEN + 1], ref[64];
    time_t     sec;
    size_t     len;
    uint64_t   ms, back;
    struct tm  tm;

    if (n < 8) {
        return;
    }

    ngx_memcpy(&ms, p, 8);

    buf[NGX_HTTP_S3_ISO8601_LEN] = 'X';

    if (ngx_http_s3_time_iso8601(buf, ms) != buf + NGX_HTTP_S3_ISO8601_LEN
        || buf[NGX_HTTP_S3_ISO8601_LEN] != 'X')
    {
        abort();
    }

    /* what is written parses back (a retain-until date), and any input */

    if (ngx_http_s3_parse_iso8601(buf, NGX_HTTP_S3_ISO8601_LEN, &back)
        != NGX_OK
        || back != (ms > 253402300799999ULL ? 253402300799999ULL : ms))
    {
        abort();
    }

    (void) ngx_http_s3_parse_iso8601(p, n, &back);

    if (ms > 253402300799999ULL) {
        ms = 253402300799999ULL;
    }

    sec = (time_t) (ms / 1000);

    if (gmtime_r(&sec, &tm) == NULL) {
        abort();
    }

    len = strftime((char *) ref, sizeof(ref), "%Y-%m-%dT%H:%M:%S", &tm);

    if (len != 19) {
        abort();
    }

    ref[19] = '.';
    ref[20] = (u_char) ('0' + ms % 1000 / 100);
    ref[21] = (u_char) ('0' + ms % 100 / 10);
    ref[22] = (u_char) ('0' + ms % 10);
    ref[23] = 'Z';

    if (ngx_memcmp(buf, ref, NGX_HTTP_S3_ISO8601_LEN) != 0) {
        abort();
    }
}
