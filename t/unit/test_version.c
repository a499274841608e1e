/* sources: ngx_http_s3_wire.c ngx_http_s3_record.c ngx_http_s3_util.c */

/*
 * Copyright (C) ngx_s3 authors
 *
 * Version ids and "V" keys (ngx_http_s3_wire.c): ids round-trip and are
 * ordered as their sequences, the sequence follows time and never goes
 * back, "V" keys sort a key's versions newest first and every version of
 * a key before the next key, and parse back.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include "ngx_http_s3_wire.h"

#include "ngx_stub.h"


static void test_ids(void);
static void test_parse_hostile(void);
static void test_next(void);
static void test_keys(void);
static void test_key_order(void);
static ngx_str_t vkey(ngx_str_t *bucket, ngx_str_t *key, uint64_t seq);
static int cmp(ngx_str_t *a, ngx_str_t *b);


static ngx_pool_t  *pool;


int
main(void)
{
    pool = ngx_stub_pool();

    test_ids();
    test_parse_hostile();
    test_next();
    test_keys();
    test_key_order();

    ngx_destroy_pool(pool);

    return ngx_tap_done();
}


static void
test_ids(void)
{
    u_char      a[NGX_HTTP_S3_VERSION_ID_LEN], b[NGX_HTTP_S3_VERSION_ID_LEN];
    uint64_t    seq, seqs[] = { 1, 0xf, 0x10, 0x01a235d02af40000ULL,
                                0xffffffffffffffffULL };
    ngx_str_t   s;
    ngx_uint_t  i;

    for (i = 0; i < sizeof(seqs) / sizeof(seqs[0]); i++) {
        ngx_http_s3_version_id(a, seqs[i]);
        s.data = a;
        s.len = sizeof(a);

        ngx_tap_ok(ngx_http_s3_version_parse(&s, &seq) == NGX_OK
                   && seq == seqs[i], "id of %uL round-trips", seqs[i]);
    }

    ngx_http_s3_version_id(a, 0x01a235d02af40000ULL);
    ngx_tap_is_str(a, sizeof(a), "01a235d02af40000", "16 lowercase hex");

    /* ids compare as their sequences */

    for (i = 0; i + 1 < sizeof(seqs) / sizeof(seqs[0]); i++) {
        ngx_http_s3_version_id(a, seqs[i]);
        ngx_http_s3_version_id(b, seqs[i + 1]);

        ngx_tap_ok(ngx_memcmp(a, b, sizeof(a)) < 0, "id %uL < id %uL",
                   seqs[i], seqs[i + 1]);
    }

    ngx_str_set(&s, "null");
    seq = 7;
    ngx_tap_ok(ngx_http_s3_version_parse(&s, &seq) == NGX_OK && seq == 0,
               "\"null\" is sequence 0");
}


static void
test_parse_hostile(void)
{
    uint64_t    seq;
    ngx_str_t   s;
    ngx_uint_t  i;

    static char  *bad[] = {
        "", "Null", "nul", "nulll", "0000000000000000", "01A235D02AF40000",
        "01a235d02af4000", "01a235d02af400000", "01a235d02af4000g",
        "01a235d02af4000 ", "-1a235d02af40000", "01a235d0\0af40000",
        NULL
    };

    for (i = 0; bad[i]; i++) {
        s.data = (u_char *) bad[i];
        s.len = ngx_strlen(bad[i]);

        if (i == 11) {
            s.len = 16;
        }

        ngx_tap_ok(ngx_http_s3_version_parse(&s, &seq) == NGX_ERROR,
                   "refused: \"%s\"", bad[i]);
    }
}


static void
test_next(void)
{
    uint64_t  s1, s2, s3;

    s1 = ngx_http_s3_version_next(0, 1000);
    ngx_tap_ok(s1 == (1000ULL << 16), "the first is the time << 16");

    s2 = ngx_http_s3_version_next(s1, 1000);
    ngx_tap_ok(s2 == s1 + 1, "the same ms: one more");

    s3 = ngx_http_s3_version_next(s2, 999);
    ngx_tap_ok(s3 == s2 + 1, "a clock that went back: one more");

    ngx_tap_ok(ngx_http_s3_version_next(s3, 2000) == (2000ULL << 16),
               "a later ms: its time");
}


static ngx_str_t
vkey(ngx_str_t *bucket, ngx_str_t *key, uint64_t seq)
{
    ngx_str_t  k;

    k.len = ngx_http_s3_version_key(NULL, bucket, key, seq, 1);
    k.data = ngx_pnalloc(pool, k.len);
    k.len = ngx_http_s3_version_key(k.data, bucket, key, seq, 1);

    return k;
}


static void
test_keys(void)
{
    u_char     buf[64];
    size_t     n;
    uint64_t   seq;
    ngx_str_t  bucket, key, k, got;

    ngx_str_set(&bucket, "bkt");
    ngx_str_set(&key, "a/b");

    k = vkey(&bucket, &key, 0x0102030405060708ULL);

    ngx_tap_ok(k.len == 1 + 3 + 1 + 3 + 1 + 8
               && ngx_memcmp(k.data, "Vbkt\0a/b\0", 9) == 0
               && ngx_memcmp(k.data + 9,
                             "\xfe\xfd\xfc\xfb\xfa\xf9\xf8\xf7", 8) == 0,
               "V<bucket>\\0<key>\\0<2^64-1 - seq, big-endian>");

    ngx_tap_ok(ngx_http_s3_version_key_parse(&k, 5, &got, &seq) == NGX_OK
               && got.len == 3 && ngx_memcmp(got.data, "a/b", 3) == 0
               && seq == 0x0102030405060708ULL, "parses back");

    n = ngx_http_s3_version_key(buf, &bucket, &key, 0, 0);
    ngx_tap_ok(n == 9 && ngx_memcmp(buf, "Vbkt\0a/b\0", 9) == 0
               && n == ngx_http_s3_version_key(NULL, &bucket, &key, 0, 0),
               "a key's prefix");

    n = ngx_http_s3_version_key(buf, &bucket, NULL, 0, 0);
    ngx_tap_ok(n == 5 && ngx_memcmp(buf, "Vbkt\0", 5) == 0,
               "a bucket's prefix");

    k.len = 5 + 8;
    ngx_tap_ok(ngx_http_s3_version_key_parse(&k, 5, &got, &seq)
               == NGX_ERROR, "too short: refused");

    ngx_str_set(&k, "Vbkt\0abc\1\1\1\1\1\1\1\1");
    k.len = 17;
    ngx_tap_ok(ngx_http_s3_version_key_parse(&k, 5, &got, &seq)
               == NGX_ERROR, "no separator before the rev: refused");
}


/* bytewise, as LevelDB orders keys */

static int
cmp(ngx_str_t *a, ngx_str_t *b)
{
    int  rc;

    rc = memcmp(a->data, b->data, ngx_min(a->len, b->len));

    if (rc) {
        return rc;
    }

    return (a->len < b->len) ? -1 : (a->len > b->len);
}


static void
test_key_order(void)
{
    ngx_str_t  bucket, a, ab, k1, k2, k3;

    ngx_str_set(&bucket, "b");
    ngx_str_set(&a, "a");
    ngx_str_set(&ab, "a0");

    k1 = vkey(&bucket, &a, 100);
    k2 = vkey(&bucket, &a, 5);
    k3 = vkey(&bucket, &ab, 0xffffffffffffffffULL - 1);

    ngx_tap_ok(cmp(&k1, &k2) < 0,
               "the newer version of a key sorts first");
    ngx_tap_ok(cmp(&k2, &k3) < 0,
               "every version of a key before the next key");

    k1 = vkey(&bucket, &a, 0xffffffffffffffffULL);
    ngx_tap_ok(cmp(&k1, &k3) < 0,
               "even the oldest possible");
}
