/* sources: ngx_http_s3_util.c */

/*
 * Copyright (C) ngx_s3 authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include "ngx_http_s3_util.h"

#include "ngx_stub.h"


#define S(s)  { sizeof(s) - 1, (u_char *) s }


typedef struct {
    ngx_str_t    name;
    ngx_uint_t   valid;
} test_bucket_t;


typedef struct {
    ngx_str_t    key;
    ngx_int_t    rc;
    const char  *what;
} test_key_t;


typedef struct {
    const char  *value;
    off_t        size;
    ngx_int_t    rc;
    off_t        start;
    off_t        end;
} test_range_t;


static void test_bucket_names(void);
static void test_keys(void);
static void test_uri_encode(void);
static void test_form_encode(void);
static void test_canned_acl(void);
static void test_uri_decode(void);
static void test_iso8601(void);
static void test_random_hex(void);
static void test_ranges(void);
static void test_md5(void);
static const char *rc_name(ngx_int_t rc);


int
main(void)
{
    test_bucket_names();
    test_keys();
    test_uri_encode();
    test_form_encode();
    test_canned_acl();
    test_uri_decode();
    test_iso8601();
    test_random_hex();
    test_ranges();
    test_md5();

    return ngx_tap_done();
}


static void
test_bucket_names(void)
{
    ngx_uint_t      i;

    static test_bucket_t  tests[] = {
        { S("abc"), 1 },
        { S("my-bucket-1"), 1 },
        { S("0bucket9"), 1 },
        { S("a-b-c"), 1 },
        { S("123"), 1 },
        { S("a1b2c3d4e5f6g7h8i9j0a1b2c3d4e5f6g7h8i9j0a1b2c3d4e5f6g7h8i9j0abc"),
          1 },                                                   /* 63 */
        { S("a1b2c3d4e5f6g7h8i9j0a1b2c3d4e5f6g7h8i9j0a1b2c3d4e5f6g7h8i9j0abcd"),
          0 },                                                   /* 64 */
        { S(""), 0 },
        { S("ab"), 0 },
        { S("a--b"), 0 },
        { S("ab--"), 0 },
        { S("-abc"), 0 },
        { S("abc-"), 0 },
        { S("Abc"), 0 },
        { S("abC"), 0 },
        { S("my_bucket"), 0 },
        { S("my.bucket"), 0 },
        { S("192.168.1.1"), 0 },
        { S("10.0.0.1"), 0 },
        { S("xn--abc"), 0 },
        { S("a b"), 0 },
        { S("abc\0"), 0 },
        { S("ab\xc3\xa9"), 0 },
        { S("a/b"), 0 },
    };

    /* an upstream's buckets (gateway mode): S3's rule, dots allowed */

    static test_bucket_t  dotted[] = {
        { S("my.bucket"), 1 },
        { S("data.v1.train"), 1 },
        { S("a.b"), 1 },
        { S("my-bucket"), 1 },
        { S("a..b"), 0 },
        { S("a.-b"), 0 },
        { S("a-.b"), 0 },
        { S(".abc"), 0 },
        { S("abc."), 0 },
        { S("192.168.1.1"), 0 },
        { S("My.bucket"), 0 },
        { S("a.b_c"), 0 },
        { S("a--b"), 0 },
        { S("ab"), 0 },
    };

    for (i = 0; i < sizeof(tests) / sizeof(tests[0]); i++) {
        ngx_tap_ok(ngx_http_s3_valid_bucket_name(&tests[i].name)
                   == tests[i].valid,
                   "bucket name \"%.*s\" is %s", (int) tests[i].name.len,
                   tests[i].name.data, tests[i].valid ? "valid" : "invalid");
    }

    for (i = 0; i < sizeof(dotted) / sizeof(dotted[0]); i++) {
        ngx_tap_ok(ngx_http_s3_valid_dotted_bucket_name(&dotted[i].name)
                   == dotted[i].valid,
                   "upstream bucket name \"%.*s\" is %s",
                   (int) dotted[i].name.len, dotted[i].name.data,
                   dotted[i].valid ? "valid" : "invalid");
    }
}


static void
test_keys(void)
{
    u_char      long_key[1025];
    ngx_str_t   key;
    ngx_int_t   rc;
    ngx_uint_t  i;

    static test_key_t  tests[] = {
        { S("a"), NGX_OK, "one byte" },
        { S("photos/2006/January/sample.jpg"), NGX_OK, "path" },
        { S("caf\xc3\xa9"), NGX_OK, "2-byte char" },
        { S("\xe2\x82\xac"), NGX_OK, "3-byte char" },
        { S("\xf0\x9f\x98\x80"), NGX_OK, "4-byte char" },
        { S("\xf4\x8f\xbf\xbf"), NGX_OK, "U+10FFFF" },
        { S("\xed\x9f\xbf"), NGX_OK, "U+D7FF" },
        { S("\xee\x80\x80"), NGX_OK, "U+E000" },
        { S("a\r\nb\t"), NGX_OK, "control characters" },
        { S(""), NGX_DECLINED, "empty" },
        { S("\xc0\x80"), NGX_ERROR, "overlong NUL C0 80" },
        { S("\xc1\xbf"), NGX_ERROR, "overlong C1 BF" },
        { S("\xe0\x80\xaf"), NGX_ERROR, "overlong E0 80 AF" },
        { S("\xf0\x80\x80\xaf"), NGX_ERROR, "overlong F0 80 80 AF" },
        { S("\xed\xa0\x80"), NGX_ERROR, "surrogate ED A0 80" },
        { S("\xed\xbf\xbf"), NGX_ERROR, "surrogate ED BF BF" },
        { S("\xf4\x90\x80\x80"), NGX_ERROR, "U+110000 F4 90 80 80" },
        { S("\xf5\x80\x80\x80"), NGX_ERROR, "F5" },
        { S("\xff"), NGX_ERROR, "FF" },
        { S("\x80"), NGX_ERROR, "lone continuation" },
        { S("a\xc3"), NGX_ERROR, "truncated 2-byte" },
        { S("\xe2\x82"), NGX_ERROR, "truncated 3-byte" },
        { S("\xf0\x9f\x98"), NGX_ERROR, "truncated 4-byte" },
        { S("\xe2\x28\xa1"), NGX_ERROR, "bad continuation" },
    };

    for (i = 0; i < sizeof(tests) / sizeof(tests[0]); i++) {
        rc = ngx_http_s3_valid_key(&tests[i].key);
        ngx_tap_ok(rc == tests[i].rc, "key %s: %s", tests[i].what,
                   rc_name(tests[i].rc));
    }

    ngx_memset(long_key, 'k', sizeof(long_key));

    key.data = long_key;
    key.len = 1024;
    ngx_tap_ok(ngx_http_s3_valid_key(&key) == NGX_OK, "key of 1024 bytes");

    key.len = 1025;
    ngx_tap_ok(ngx_http_s3_valid_key(&key) == NGX_DECLINED,
               "key of 1025 bytes is too long");

    /* 1024 bytes of 2-byte characters, cut at the end */

    for (i = 0; i < 1024; i += 2) {
        long_key[i] = 0xc3;
        long_key[i + 1] = 0xa9;
    }

    key.len = 1024;
    ngx_tap_ok(ngx_http_s3_valid_key(&key) == NGX_OK,
               "1024 bytes of 2-byte chars");

    key.len = 1023;
    ngx_tap_ok(ngx_http_s3_valid_key(&key) == NGX_ERROR,
               "1023 bytes of 2-byte chars: truncated");
}


static void
test_uri_encode(void)
{
    u_char   buf[256];
    size_t   n;

    static u_char  all[] = "AZaz09-._~";

    n = ngx_http_s3_uri_encode(buf, all, sizeof(all) - 1, 1);
    ngx_tap_is_str(buf, n, "AZaz09-._~", "unreserved kept");

    n = ngx_http_s3_uri_encode(buf, (u_char *) "a b", 3, 1);
    ngx_tap_is_str(buf, n, "a%20b", "space is %20");

    n = ngx_http_s3_uri_encode(buf, (u_char *) "a+b=c&d", 7, 1);
    ngx_tap_is_str(buf, n, "a%2Bb%3Dc%26d", "+ = & encoded");

    n = ngx_http_s3_uri_encode(buf, (u_char *) "a/b c/", 6, 0);
    ngx_tap_is_str(buf, n, "a/b%20c/", "slash kept in a path");

    n = ngx_http_s3_uri_encode(buf, (u_char *) "a/b", 3, 1);
    ngx_tap_is_str(buf, n, "a%2Fb", "slash encoded in a query value");

    n = ngx_http_s3_uri_encode(buf, (u_char *) "caf\xc3\xa9*", 6, 1);
    ngx_tap_is_str(buf, n, "caf%C3%A9%2A", "UTF-8 and * encoded, uppercase");

    n = ngx_http_s3_uri_encode(buf, (u_char *) "\x00\xff%", 3, 1);
    ngx_tap_is_str(buf, n, "%00%FF%25", "NUL, FF and % encoded");

    ngx_tap_ok(ngx_http_s3_uri_encode(NULL, (u_char *) "a b/c", 5, 1) == 9,
               "length only");

    ngx_tap_ok(ngx_http_s3_uri_encode(NULL, (u_char *) "", 0, 1) == 0,
               "empty");
}


static void
test_form_encode(void)
{
    u_char   buf[256];
    size_t   n;

    static u_char  kept[] = "AZaz09-._*/";

    n = ngx_http_s3_form_encode(buf, kept, sizeof(kept) - 1);
    ngx_tap_is_str(buf, n, "AZaz09-._*/", "form: A-Za-z0-9 - . _ * / kept");

    n = ngx_http_s3_form_encode(buf, (u_char *) "a b.txt", 7);
    ngx_tap_is_str(buf, n, "a+b.txt", "form: space is +");

    n = ngx_http_s3_form_encode(buf, (u_char *) "a+b%c~d", 7);
    ngx_tap_is_str(buf, n, "a%2Bb%25c%7Ed", "form: + % ~ encoded");

    n = ngx_http_s3_form_encode(buf, (u_char *) "\x01\t\n\r\x7f", 5);
    ngx_tap_is_str(buf, n, "%01%09%0A%0D%7F", "form: controls encoded");

    n = ngx_http_s3_form_encode(buf, (u_char *) "\xed\x95\x9c/x", 5);
    ngx_tap_is_str(buf, n, "%ED%95%9C/x", "form: UTF-8 uppercase hex");

    n = ngx_http_s3_form_encode(buf, (u_char *) "&<>\"'", 5);
    ngx_tap_is_str(buf, n, "%26%3C%3E%22%27", "form: XML specials encoded");

    ngx_tap_ok(ngx_http_s3_form_encode(NULL, (u_char *) "a b\x01", 4) == 6,
               "form: length only");

    ngx_tap_ok(ngx_http_s3_form_encode(NULL, (u_char *) "", 0) == 0,
               "form: empty");
}


static void
test_canned_acl(void)
{
    ngx_uint_t  i;

    static ngx_str_t  good[] = {
        S("private"), S("public-read"), S("public-read-write"),
        S("aws-exec-read"), S("authenticated-read"), S("bucket-owner-read"),
        S("bucket-owner-full-control"), S("log-delivery-write"),
        S("Private"), S("PUBLIC-READ")
    };

    static ngx_str_t  bad[] = {
        S("bogus"), S(""), S("privat"), S("privatee"), S("private "),
        S(" private"), S("public_read"), S("private\0"),
        S("bucket-owner-full-control-x")
    };

    for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
        ngx_tap_ok(ngx_http_s3_canned_acl(&good[i]) == 1,
                   "canned ACL \"%.*s\" known", (int) good[i].len,
                   good[i].data);
    }

    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        ngx_tap_ok(ngx_http_s3_canned_acl(&bad[i]) == 0,
                   "canned ACL \"%.*s\" unknown", (int) bad[i].len,
                   bad[i].data);
    }
}


static void
test_uri_decode(void)
{
    u_char   buf[64];
    size_t   n;

    n = 99;
    ngx_tap_ok(ngx_http_s3_uri_decode(buf, &n, (u_char *) "a%20b+c%2f%2F",
                                      13) == NGX_OK
               && ngx_tap_is_str(buf, n, "a b+c//", "decoded"),
               "decode: + is not a space, hex either case");

    ngx_memcpy(buf, "x%41%42y", 8);
    ngx_tap_ok(ngx_http_s3_uri_decode(buf, &n, buf, 8) == NGX_OK
               && n == 4 && ngx_memcmp(buf, "xABy", 4) == 0,
               "decode in place");

    ngx_tap_ok(ngx_http_s3_uri_decode(buf, &n, (u_char *) "%00", 3) == NGX_OK
               && n == 1 && buf[0] == '\0', "%%00 decodes to NUL");

    n = 99;
    ngx_tap_ok(ngx_http_s3_uri_decode(buf, &n, (u_char *) "", 0) == NGX_OK
               && n == 0, "empty");

    ngx_tap_ok(ngx_http_s3_uri_decode(buf, &n, (u_char *) "a%", 2)
               == NGX_ERROR, "bad escape: %% at end");
    ngx_tap_ok(ngx_http_s3_uri_decode(buf, &n, (u_char *) "a%4", 3)
               == NGX_ERROR, "bad escape: one digit");
    ngx_tap_ok(ngx_http_s3_uri_decode(buf, &n, (u_char *) "%g0", 3)
               == NGX_ERROR, "bad escape: %%g0");
    ngx_tap_ok(ngx_http_s3_uri_decode(buf, &n, (u_char *) "%0g", 3)
               == NGX_ERROR, "bad escape: %%0g");
    ngx_tap_ok(ngx_http_s3_uri_decode(buf, &n, (u_char *) "%%41", 4)
               == NGX_ERROR, "bad escape: %%%%");
}


static void
test_iso8601(void)
{
    u_char  buf[NGX_HTTP_S3_ISO8601_LEN + 1], *p;

    p = ngx_http_s3_time_iso8601(buf, 0);
    ngx_tap_ok(p == buf + NGX_HTTP_S3_ISO8601_LEN, "writes 24 bytes");
    ngx_tap_is_str(buf, p - buf, "1970-01-01T00:00:00.000Z", "epoch");

    p = ngx_http_s3_time_iso8601(buf, 1138985109000ULL);
    ngx_tap_is_str(buf, p - buf, "2006-02-03T16:45:09.000Z",
                   "the S3 documentation's date");

    p = ngx_http_s3_time_iso8601(buf, 951782400123ULL);
    ngx_tap_is_str(buf, p - buf, "2000-02-29T00:00:00.123Z", "leap day, ms");

    p = ngx_http_s3_time_iso8601(buf, 4102444799999ULL);
    ngx_tap_is_str(buf, p - buf, "2099-12-31T23:59:59.999Z", "end of 2099");

    p = ngx_http_s3_time_iso8601(buf, (uint64_t) -1);
    ngx_tap_is_str(buf, p - buf, "9999-12-31T23:59:59.999Z",
                   "far future is clamped to year 9999");
}


static void
test_random_hex(void)
{
    u_char      a[NGX_HTTP_S3_BODY_ID_LEN + 1], b[NGX_HTTP_S3_BODY_ID_LEN + 1];
    ngx_uint_t  i, hex;

    a[NGX_HTTP_S3_BODY_ID_LEN] = 'X';

    ngx_tap_ok(ngx_http_s3_random_hex(a, 16) == NGX_OK
               && ngx_http_s3_random_hex(b, 16) == NGX_OK, "random_hex");

    hex = 1;

    for (i = 0; i < NGX_HTTP_S3_BODY_ID_LEN; i++) {
        if (!((a[i] >= '0' && a[i] <= '9') || (a[i] >= 'a' && a[i] <= 'f'))) {
            hex = 0;
        }
    }

    ngx_tap_ok(hex, "32 lowercase hex chars");
    ngx_tap_ok(a[NGX_HTTP_S3_BODY_ID_LEN] == 'X', "nothing written past 32");
    ngx_tap_ok(ngx_memcmp(a, b, NGX_HTTP_S3_BODY_ID_LEN) != 0,
               "two ids differ");
}


static void
test_ranges(void)
{
    off_t       start, end;
    ngx_int_t   rc;
    ngx_str_t   v;
    ngx_uint_t  i, ok;

    static test_range_t  tests[] = {

        /* satisfiable */
        { "bytes=0-499", 2000, NGX_OK, 0, 499 },
        { "bytes=500-", 2000, NGX_OK, 500, 1999 },
        { "bytes=-500", 2000, NGX_OK, 1500, 1999 },
        { "bytes=0-", 2000, NGX_OK, 0, 1999 },
        { "bytes=0-0", 1, NGX_OK, 0, 0 },
        { "bytes=1999-1999", 2000, NGX_OK, 1999, 1999 },
        { "bytes=5-5", 10, NGX_OK, 5, 5 },
        { "bytes=100-5000", 2000, NGX_OK, 100, 1999 },      /* end clamps */
        { "bytes=0-99999999999999999999999", 10, NGX_OK, 0, 9 },
        { "bytes=-3000", 2000, NGX_OK, 0, 1999 },           /* whole */
        { "bytes=-99999999999999999999999", 10, NGX_OK, 0, 9 },
        { "bytes=-1", 1, NGX_OK, 0, 0 },
        { "BYTES=1-2", 10, NGX_OK, 1, 2 },
        { "bytes= 1 - 2 ", 10, NGX_OK, 1, 2 },
        { "bytes=007-008", 10, NGX_OK, 7, 8 },

        /* unsatisfiable: 416 */
        { "bytes=2000-", 2000, NGX_ERROR, 0, 0 },
        { "bytes=2000-2001", 2000, NGX_ERROR, 0, 0 },
        { "bytes=5000-100", 2000, NGX_ERROR, 0, 0 },
        { "bytes=99999999999999999999999-", 10, NGX_ERROR, 0, 0 },
        { "bytes=-0", 2000, NGX_ERROR, 0, 0 },
        { "bytes=-0", 0, NGX_ERROR, 0, 0 },
        { "bytes=0-", 0, NGX_ERROR, 0, 0 },
        { "bytes=0-0", 0, NGX_ERROR, 0, 0 },
        { "bytes=1-2", 0, NGX_ERROR, 0, 0 },

        /* ignored: the whole object with 200 */
        { "bytes=-5", 0, NGX_DECLINED, 0, 0 },              /* empty object */
        { "bytes=0-1,3-4", 2000, NGX_DECLINED, 0, 0 },
        { "bytes=0-1,", 2000, NGX_DECLINED, 0, 0 },
        { "bytes=5000-6000,0-1", 2000, NGX_DECLINED, 0, 0 },
        { "bytes=5-2", 10, NGX_DECLINED, 0, 0 },
        { "bytes=1-0", 4, NGX_DECLINED, 0, 0 },
        { "bytes=-", 10, NGX_DECLINED, 0, 0 },
        { "bytes=", 10, NGX_DECLINED, 0, 0 },
        { "bytes=5", 10, NGX_DECLINED, 0, 0 },
        { "bytes=a-b", 10, NGX_DECLINED, 0, 0 },
        { "bytes=1-2x", 10, NGX_DECLINED, 0, 0 },
        { "bytes=-5-10", 10, NGX_DECLINED, 0, 0 },
        { "bytes=+1-2", 10, NGX_DECLINED, 0, 0 },
        { "bytes=0x10-", 100, NGX_DECLINED, 0, 0 },
        { "items=0-1", 10, NGX_DECLINED, 0, 0 },
        { "bytes 0-1", 10, NGX_DECLINED, 0, 0 },
        { "", 10, NGX_DECLINED, 0, 0 },
    };

    for (i = 0; i < sizeof(tests) / sizeof(tests[0]); i++) {
        v.data = (u_char *) tests[i].value;
        v.len = ngx_strlen(tests[i].value);

        start = -1;
        end = -1;

        rc = ngx_http_s3_parse_range(&v, tests[i].size, &start, &end);

        ok = (rc == tests[i].rc);

        if (ok && rc == NGX_OK) {
            ok = (start == tests[i].start && end == tests[i].end);
        }

        ngx_tap_ok(ok, "range \"%s\" of %lld bytes: %s %lld-%lld",
                   tests[i].value, (long long) tests[i].size,
                   rc_name(tests[i].rc), (long long) tests[i].start,
                   (long long) tests[i].end);

        if (!ok) {
            ngx_tap_diag("got %s %lld-%lld", rc_name(rc), (long long) start,
                         (long long) end);
        }
    }
}


static void
test_md5(void)
{
    u_char     md5[16];
    ngx_str_t  b;

    /* md5("") = d41d8cd98f00b204e9800998ecf8427e */

    static u_char  empty[16] = {
        0xd4, 0x1d, 0x8c, 0xd9, 0x8f, 0x00, 0xb2, 0x04,
        0xe9, 0x80, 0x09, 0x98, 0xec, 0xf8, 0x42, 0x7e
    };

    static u_char  ones[16] = {
        0xfb, 0xff, 0xbf, 0xfb, 0xff, 0xbf, 0xfb, 0xff,
        0xbf, 0xfb, 0xff, 0xbf, 0xfb, 0xff, 0xbf, 0xfb
    };

    b.data = (u_char *) "1B2M2Y8AsgTpgAmY7PhCfg==";
    b.len = 24;
    ngx_tap_ok(ngx_http_s3_decode_md5(&b, md5) == NGX_OK
               && ngx_memcmp(md5, empty, 16) == 0, "md5 of the empty string");

    b.data = (u_char *) "+/+/+/+/+/+/+/+/+/+/+w==";
    ngx_tap_ok(ngx_http_s3_decode_md5(&b, md5) == NGX_OK
               && ngx_memcmp(md5, ones, 16) == 0, "+ and / decoded");

    b.data = (u_char *) "1B2M2Y8AsgTpgAmY7PhCfg";
    b.len = 22;
    ngx_tap_ok(ngx_http_s3_decode_md5(&b, md5) == NGX_ERROR,
               "no padding: rejected");

    b.data = (u_char *) "1B2M2Y8AsgTpgAmY7PhCfg===";
    b.len = 25;
    ngx_tap_ok(ngx_http_s3_decode_md5(&b, md5) == NGX_ERROR,
               "too long: rejected");

    b.data = (u_char *) "1B2M2Y8AsgTpgAmY7PhC";
    b.len = 20;
    ngx_tap_ok(ngx_http_s3_decode_md5(&b, md5) == NGX_ERROR,
               "15 bytes: rejected");

    b.data = (u_char *) "1B2M2Y8AsgTpgAmY7PhCfg==1B2M2Y8AsgTpgAmY7PhCfg==";
    b.len = 48;
    ngx_tap_ok(ngx_http_s3_decode_md5(&b, md5) == NGX_ERROR,
               "32 bytes: rejected");

    b.data = (u_char *) "1B2M2Y8AsgTpgAmY7PhC-g==";
    b.len = 24;
    ngx_tap_ok(ngx_http_s3_decode_md5(&b, md5) == NGX_ERROR,
               "base64url char: rejected");

    b.data = (u_char *) "1B2M2Y8AsgTpgAmY7PhCf===";
    ngx_tap_ok(ngx_http_s3_decode_md5(&b, md5) == NGX_ERROR,
               "padding inside: rejected");

    b.data = (u_char *) "1B2M2Y8AsgTpgAmY 7PhCfg=";
    ngx_tap_ok(ngx_http_s3_decode_md5(&b, md5) == NGX_ERROR,
               "space: rejected");

    b.len = 0;
    ngx_tap_ok(ngx_http_s3_decode_md5(&b, md5) == NGX_ERROR,
               "empty: rejected");
}


static const char *
rc_name(ngx_int_t rc)
{
    switch (rc) {
    case NGX_OK:
        return "NGX_OK";
    case NGX_ERROR:
        return "NGX_ERROR";
    case NGX_DECLINED:
        return "NGX_DECLINED";
    default:
        return "?";
    }
}
