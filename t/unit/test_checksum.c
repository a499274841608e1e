/* sources: ngx_http_s3_checksum.c ngx_http_s3_wire.c ngx_http_s3_record.c ngx_http_s3_util.c */

/*
 * Copyright (C) ngx_s3 authors
 *
 * The x-amz-checksum-* algorithms: the catalogue check values of
 * "123456789" (CRC-32 0xcbf43926, CRC-32C 0xe3069283, CRC-64/NVME
 * 0xae8b14860a799888), the table-driven CRCs against bit-at-a-time ones
 * over every length and split, the streaming API in every slicing, and
 * the base64 forms S3 uses (values seen from AWS and the SDKs), and the
 * checksum field of object records (tag 15).
 */


#include <ngx_config.h>
#include <ngx_core.h>

#include "ngx_http_s3_checksum.h"
#include "ngx_http_s3_wire.h"

#include "ngx_stub.h"

#include <zlib.h>


#define CHECK        "123456789"


typedef struct {
    ngx_uint_t    alg;
    const char   *data;
    const char   *b64;
} test_vector_t;


static ngx_pool_t  *pool;


static uint32_t crc32c_bitwise(u_char *p, size_t len);
static uint64_t crc64nvme_bitwise(u_char *p, size_t len);
static void test_check_values(void);
static void test_tables(void);
static void test_names(void);
static void test_vectors(void);
static void test_streaming(void);
static void test_base64(void);
static void test_errors(void);
static void test_record(void);
static void test_combine(void);
static ngx_int_t digest_of(ngx_uint_t alg, u_char *p, size_t len,
    size_t slice, u_char *digest);


int
main(void)
{
    pool = ngx_stub_pool();

    test_check_values();
    test_tables();
    test_names();
    test_vectors();
    test_streaming();
    test_base64();
    test_errors();
    test_record();
    test_combine();

    return ngx_tap_done();
}


/* the definitions, one bit at a time */

static uint32_t
crc32c_bitwise(u_char *p, size_t len)
{
    uint32_t    crc;
    ngx_uint_t  k;

    crc = 0xffffffff;

    while (len--) {
        crc ^= *p++;

        for (k = 0; k < 8; k++) {
            crc = (crc & 1) ? (crc >> 1) ^ 0x82f63b78 : crc >> 1;
        }
    }

    return ~crc;
}


static uint64_t
crc64nvme_bitwise(u_char *p, size_t len)
{
    uint64_t    crc;
    ngx_uint_t  k;

    crc = 0xffffffffffffffffULL;

    while (len--) {
        crc ^= *p++;

        for (k = 0; k < 8; k++) {
            crc = (crc & 1) ? (crc >> 1) ^ 0x9a6c9329ac4bc9b5ULL : crc >> 1;
        }
    }

    return ~crc;
}


static void
test_check_values(void)
{
    u_char  d[NGX_HTTP_S3_CHECKSUM_MAX_SIZE];

    ngx_tap_ok(ngx_http_s3_crc32c(0, (u_char *) CHECK, 9) == 0xe3069283,
               "CRC-32C check value");
    ngx_tap_ok(ngx_http_s3_crc64nvme(0, (u_char *) CHECK, 9)
               == 0xae8b14860a799888ULL, "CRC-64/NVME check value");
    ngx_tap_ok(crc32c_bitwise((u_char *) CHECK, 9) == 0xe3069283,
               "bitwise CRC-32C check value");
    ngx_tap_ok(crc64nvme_bitwise((u_char *) CHECK, 9)
               == 0xae8b14860a799888ULL, "bitwise CRC-64/NVME check value");

    ngx_tap_ok(ngx_http_s3_crc32c(0, NULL, 0) == 0, "CRC-32C of nothing");
    ngx_tap_ok(ngx_http_s3_crc64nvme(0, NULL, 0) == 0,
               "CRC-64/NVME of nothing");

    /* digests are the CRC big-endian */

    if (digest_of(NGX_HTTP_S3_CHECKSUM_CRC32, (u_char *) CHECK, 9, 9, d)
        == NGX_OK)
    {
        ngx_tap_ok(d[0] == 0xcb && d[1] == 0xf4 && d[2] == 0x39
                   && d[3] == 0x26, "CRC-32 digest is big-endian");
    } else {
        ngx_tap_ok(0, "CRC-32 digest");
    }

    if (digest_of(NGX_HTTP_S3_CHECKSUM_CRC64NVME, (u_char *) CHECK, 9, 9, d)
        == NGX_OK)
    {
        ngx_tap_ok(d[0] == 0xae && d[1] == 0x8b && d[6] == 0x98
                   && d[7] == 0x88, "CRC-64/NVME digest is big-endian");
    } else {
        ngx_tap_ok(0, "CRC-64/NVME digest");
    }
}


/* every length 0..300 at every start offset 0..7, and chained splits */

static void
test_tables(void)
{
    u_char      buf[320];
    size_t      i, len, off, split;
    uint32_t    c32;
    uint64_t    c64;
    ngx_uint_t  bad32, bad64, badsplit;

    for (i = 0; i < sizeof(buf); i++) {
        buf[i] = (u_char) (i * 131 + (i >> 3) * 7 + 1);
    }

    bad32 = 0;
    bad64 = 0;

    for (off = 0; off < 8; off++) {
        for (len = 0; len + off <= 308; len++) {
            if (ngx_http_s3_crc32c(0, buf + off, len)
                != crc32c_bitwise(buf + off, len))
            {
                bad32++;
            }

            if (ngx_http_s3_crc64nvme(0, buf + off, len)
                != crc64nvme_bitwise(buf + off, len))
            {
                bad64++;
            }
        }
    }

    ngx_tap_is_int(bad32, 0, "CRC-32C: 8 bytes a step == bit at a time");
    ngx_tap_is_int(bad64, 0, "CRC-64/NVME: 8 bytes a step == bit at a time");

    badsplit = 0;
    len = 200;

    for (split = 0; split <= len; split++) {
        c32 = ngx_http_s3_crc32c(0, buf, split);
        c32 = ngx_http_s3_crc32c(c32, buf + split, len - split);

        c64 = ngx_http_s3_crc64nvme(0, buf, split);
        c64 = ngx_http_s3_crc64nvme(c64, buf + split, len - split);

        if (c32 != crc32c_bitwise(buf, len)
            || c64 != crc64nvme_bitwise(buf, len))
        {
            badsplit++;
        }
    }

    ngx_tap_is_int(badsplit, 0, "CRCs chain across any split");
}


static void
test_names(void)
{
    ngx_uint_t  alg;

    ngx_tap_is_int(ngx_http_s3_checksum_by_name((u_char *) "CRC32", 5),
                   NGX_HTTP_S3_CHECKSUM_CRC32, "name CRC32");
    ngx_tap_is_int(ngx_http_s3_checksum_by_name((u_char *) "crc32c", 6),
                   NGX_HTTP_S3_CHECKSUM_CRC32C, "name crc32c");
    ngx_tap_is_int(ngx_http_s3_checksum_by_name((u_char *) "CRC64NVME", 9),
                   NGX_HTTP_S3_CHECKSUM_CRC64NVME, "name CRC64NVME");
    ngx_tap_is_int(ngx_http_s3_checksum_by_name((u_char *) "Sha1", 4),
                   NGX_HTTP_S3_CHECKSUM_SHA1, "name Sha1");
    ngx_tap_is_int(ngx_http_s3_checksum_by_name((u_char *) "SHA256", 6),
                   NGX_HTTP_S3_CHECKSUM_SHA256, "name SHA256");
    ngx_tap_is_int(ngx_http_s3_checksum_by_name((u_char *) "MD5", 3),
                   NGX_HTTP_S3_CHECKSUM_NONE, "name MD5 is none");
    ngx_tap_is_int(ngx_http_s3_checksum_by_name((u_char *) "CRC3", 4),
                   NGX_HTTP_S3_CHECKSUM_NONE, "a prefix is none");
    ngx_tap_is_int(ngx_http_s3_checksum_by_name((u_char *) "", 0),
                   NGX_HTTP_S3_CHECKSUM_NONE, "empty name is none");

    ngx_tap_is_int(ngx_http_s3_checksum_by_header(
                       (u_char *) "X-Amz-Checksum-CRC32C", 21),
                   NGX_HTTP_S3_CHECKSUM_CRC32C, "header any case");
    ngx_tap_is_int(ngx_http_s3_checksum_by_header(
                       (u_char *) "x-amz-checksum-mode", 19),
                   NGX_HTTP_S3_CHECKSUM_NONE, "x-amz-checksum-mode is none");
    ngx_tap_is_int(ngx_http_s3_checksum_by_header(
                       (u_char *) "x-amz-checksum-type", 19),
                   NGX_HTTP_S3_CHECKSUM_NONE, "x-amz-checksum-type is none");

    for (alg = 1; alg < NGX_HTTP_S3_CHECKSUM_LAST; alg++) {
        ngx_tap_is_int(ngx_http_s3_checksum_by_header(
                           ngx_http_s3_checksum_header(alg)->data,
                           ngx_http_s3_checksum_header(alg)->len),
                       alg, "header name round trip");
        ngx_tap_is_int(ngx_http_s3_checksum_by_name(
                           ngx_http_s3_checksum_name(alg)->data,
                           ngx_http_s3_checksum_name(alg)->len),
                       alg, "name round trip");
    }

    ngx_tap_is_int(ngx_http_s3_checksum_size(NGX_HTTP_S3_CHECKSUM_CRC32), 4,
                   "CRC32 size");
    ngx_tap_is_int(ngx_http_s3_checksum_size(NGX_HTTP_S3_CHECKSUM_CRC64NVME),
                   8, "CRC64NVME size");
    ngx_tap_is_int(ngx_http_s3_checksum_size(NGX_HTTP_S3_CHECKSUM_SHA1), 20,
                   "SHA1 size");
    ngx_tap_is_int(ngx_http_s3_checksum_size(NGX_HTTP_S3_CHECKSUM_SHA256),
                   32, "SHA256 size");
    ngx_tap_is_int(ngx_http_s3_checksum_size(NGX_HTTP_S3_CHECKSUM_NONE), 0,
                   "NONE size");
    ngx_tap_is_int(ngx_http_s3_checksum_size(99), 0, "unknown size");
    ngx_tap_is_int(ngx_http_s3_checksum_name(99)->len, 0,
                   "unknown name is empty");
}


/* base64 values as S3 and its SDKs show them */

static void
test_vectors(void)
{
    u_char          d[NGX_HTTP_S3_CHECKSUM_MAX_SIZE];
    u_char          b64[NGX_HTTP_S3_CHECKSUM_MAX_BASE64];
    u_char          back[NGX_HTTP_S3_CHECKSUM_MAX_SIZE];
    size_t          n, len;
    ngx_str_t       s;
    ngx_uint_t      i;
    test_vector_t  *v;

    static test_vector_t  vectors[] = {
        { NGX_HTTP_S3_CHECKSUM_CRC32, "hello\n", "NjowIA==" },
        { NGX_HTTP_S3_CHECKSUM_CRC32, "", "AAAAAA==" },
        { NGX_HTTP_S3_CHECKSUM_CRC32, CHECK, "y/Q5Jg==" },
        { NGX_HTTP_S3_CHECKSUM_CRC32C, CHECK, "4waSgw==" },
        { NGX_HTTP_S3_CHECKSUM_CRC64NVME, "hello", "M3eFcAZSQlc=" },
        { NGX_HTTP_S3_CHECKSUM_CRC64NVME, CHECK, "rosUhgp5mIg=" },
        { NGX_HTTP_S3_CHECKSUM_SHA1, "hello",
          "qvTGHdzF6KLavt4PO0gs2a6pQ00=" },
        { NGX_HTTP_S3_CHECKSUM_SHA256, "hello",
          "LPJNul+wow4m6DsqxbninhsWHlwfp0JecwQzYpOLmCQ=" },
        { NGX_HTTP_S3_CHECKSUM_SHA256, "",
          "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=" },
    };

    for (i = 0; i < sizeof(vectors) / sizeof(test_vector_t); i++) {
        v = &vectors[i];
        len = ngx_strlen(v->data);

        if (digest_of(v->alg, (u_char *) v->data, len, len ? len : 1, d)
            != NGX_OK)
        {
            ngx_tap_ok(0, "%s of \"%s\" computed",
                       ngx_http_s3_checksum_name(v->alg)->data, v->data);
            continue;
        }

        n = ngx_http_s3_checksum_encode(v->alg, d, b64);

        ngx_tap_is_str(b64, n, v->b64, "base64 of the digest");

        s.data = (u_char *) v->b64;
        s.len = ngx_strlen(v->b64);

        ngx_tap_ok(ngx_http_s3_checksum_decode(v->alg, &s, back) == NGX_OK
                   && ngx_memcmp(back, d, ngx_http_s3_checksum_size(v->alg))
                      == 0,
                   "%s \"%s\" decodes to the digest",
                   ngx_http_s3_checksum_name(v->alg)->data, v->b64);
    }
}


/* a megabyte fed in odd slices gives the digest of one call */

static void
test_streaming(void)
{
    u_char      *big;
    u_char       one[NGX_HTTP_S3_CHECKSUM_MAX_SIZE];
    u_char       many[NGX_HTTP_S3_CHECKSUM_MAX_SIZE];
    size_t       i, len;
    ngx_uint_t   alg, s;

    static size_t  slices[] = { 1, 7, 8, 4096, 65537 };

    len = 1024 * 1024 + 3;

    big = ngx_pnalloc(pool, len);
    if (big == NULL) {
        ngx_tap_ok(0, "memory");
        return;
    }

    for (i = 0; i < len; i++) {
        big[i] = (u_char) ((i * 2654435761u) >> 13);
    }

    for (alg = 1; alg < NGX_HTTP_S3_CHECKSUM_LAST; alg++) {

        if (digest_of(alg, big, len, len, one) != NGX_OK) {
            ngx_tap_ok(0, "one call");
            continue;
        }

        for (s = 0; s < sizeof(slices) / sizeof(size_t); s++) {
            if (slices[s] == 1 && alg >= NGX_HTTP_S3_CHECKSUM_SHA1) {
                /* a million EVP calls say nothing more than 7 */
                continue;
            }

            ngx_tap_ok(digest_of(alg, big, len, slices[s], many) == NGX_OK
                       && ngx_memcmp(one, many,
                                     ngx_http_s3_checksum_size(alg))
                          == 0,
                       "%s in slices of %uz", ngx_http_s3_checksum_name(alg)
                                              ->data, slices[s]);
        }
    }

    ngx_tap_ok(ngx_http_s3_crc32c(0, big, len) == crc32c_bitwise(big, len),
               "CRC-32C of 1 MiB == bit at a time");
    ngx_tap_ok(ngx_http_s3_crc64nvme(0, big, len)
               == crc64nvme_bitwise(big, len),
               "CRC-64/NVME of 1 MiB == bit at a time");
}


static void
test_base64(void)
{
    u_char       d[NGX_HTTP_S3_CHECKSUM_MAX_SIZE];
    ngx_str_t    s;
    ngx_uint_t   i;

    static struct {
        ngx_uint_t    alg;
        const char   *b64;
        const char   *what;
    } bad[] = {
        { NGX_HTTP_S3_CHECKSUM_CRC32, "", "empty" },
        { NGX_HTTP_S3_CHECKSUM_CRC32, "bad", "\"bad\"" },
        { NGX_HTTP_S3_CHECKSUM_CRC32, "NjowIA=", "short padding" },
        { NGX_HTTP_S3_CHECKSUM_CRC32, "NjowIA", "no padding" },
        { NGX_HTTP_S3_CHECKSUM_CRC32, "NjowIA===", "long" },
        { NGX_HTTP_S3_CHECKSUM_CRC32, "NjowIAA=", "data in the padding" },
        { NGX_HTTP_S3_CHECKSUM_CRC32, "Njo=IA==", "padding inside" },
        { NGX_HTTP_S3_CHECKSUM_CRC32, "Njo IA==", "a space" },
        { NGX_HTTP_S3_CHECKSUM_CRC32, "Njo-IA==", "base64url" },
        { NGX_HTTP_S3_CHECKSUM_CRC32, "M3eFcAZSQlc=", "a CRC64 as CRC32" },
        { NGX_HTTP_S3_CHECKSUM_CRC64NVME, "M3eFcAZSQlcb", "no '=' (AWS)" },
        { NGX_HTTP_S3_CHECKSUM_CRC64NVME, "NjowIA==", "a CRC32 as CRC64" },
        { NGX_HTTP_S3_CHECKSUM_SHA1, "qvTGHdzF6KLavt4PO0gs2a6pQ00h",
          "SHA1 without '=' (AWS)" },
        { NGX_HTTP_S3_CHECKSUM_SHA256, "qvTGHdzF6KLavt4PO0gs2a6pQ00=",
          "a SHA1 as SHA256" },
        { NGX_HTTP_S3_CHECKSUM_NONE, "AAAAAA==", "no algorithm" },
        { 99, "AAAAAA==", "unknown algorithm" }
    };

    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        s.data = (u_char *) bad[i].b64;
        s.len = ngx_strlen(bad[i].b64);

        ngx_tap_ok(ngx_http_s3_checksum_decode(bad[i].alg, &s, d)
                   == NGX_ERROR, "refused: %s", bad[i].what);
    }

    /* unused low bits are tolerated, as most decoders do */

    ngx_str_set(&s, "NjowIB==");
    ngx_tap_ok(ngx_http_s3_checksum_decode(NGX_HTTP_S3_CHECKSUM_CRC32, &s, d)
               == NGX_OK && d[0] == 0x36 && d[3] == 0x20,
               "unused low bits are ignored");
}


static void
test_errors(void)
{
    ngx_int_t               rc;
    ngx_http_s3_checksum_t  ck;

    ngx_tap_ok(ngx_http_s3_checksum_init(&ck, pool, NGX_HTTP_S3_CHECKSUM_NONE)
               == NGX_ERROR, "init NONE is an error");
    ngx_tap_ok(ngx_http_s3_checksum_init(&ck, pool, 42) == NGX_ERROR,
               "init of an unknown algorithm is an error");

    ngx_stub_fail_after = 0;
    rc = ngx_http_s3_checksum_init(&ck, pool, NGX_HTTP_S3_CHECKSUM_SHA256);
    ngx_stub_fail_after = -1;

    ngx_tap_ok(rc == NGX_ERROR, "SHA256 init without memory is an error");

    ngx_stub_fail_after = 0;
    rc = ngx_http_s3_checksum_init(&ck, pool, NGX_HTTP_S3_CHECKSUM_CRC32C);
    ngx_stub_fail_after = -1;

    ngx_tap_ok(rc == NGX_OK, "CRC32C init needs no pool memory");
}


static ngx_int_t
digest_of(ngx_uint_t alg, u_char *p, size_t len, size_t slice,
    u_char *digest)
{
    size_t                  n;
    ngx_http_s3_checksum_t  ck;

    if (ngx_http_s3_checksum_init(&ck, pool, alg) != NGX_OK) {
        return NGX_ERROR;
    }

    while (len) {
        n = ngx_min(slice, len);

        if (ngx_http_s3_checksum_update(&ck, p, n) != NGX_OK) {
            return NGX_ERROR;
        }

        p += n;
        len -= n;
    }

    return ngx_http_s3_checksum_final(&ck, digest);
}


/* the record field: u8 algorithm, u8 type, the digest; skipped if odd */

static void
test_record(void)
{
    u_char                d[NGX_HTTP_S3_CHECKSUM_MAX_SIZE];
    ngx_str_t             in;
    ngx_http_s3_wbuf_t    wb;
    ngx_http_s3_object_t  o, got;

    static u_char  field[] = { 15, 0, 0, 0, 6, 1, 0, 0x36, 0x3a, 0x30, 0x20 };
    static u_char  none[] = { 15, 0, 0, 0, 6, 0, 0, 0x36, 0x3a, 0x30, 0x20 };
    static u_char  shorter[] = { 15, 0, 0, 0, 2, 1, 0 };

    if (digest_of(NGX_HTTP_S3_CHECKSUM_SHA256, (u_char *) CHECK, 9, 9, d)
        != NGX_OK)
    {
        ngx_tap_ok(0, "SHA256 digest");
        return;
    }

    ngx_memzero(&o, sizeof(o));
    o.size = 9;
    o.checksum_alg = NGX_HTTP_S3_CHECKSUM_SHA256;
    o.checksum_type = NGX_HTTP_S3_CHECKSUM_FULL_OBJECT;
    o.checksum.data = d;
    o.checksum.len = 32;

    if (ngx_http_s3_wbuf_init(&wb, pool, 16) != NGX_OK) {
        ngx_tap_ok(0, "wbuf");
        return;
    }

    ngx_http_s3_object_encode(&wb, &o);

    in.data = wb.start;
    in.len = wb.pos - wb.start;

    ngx_tap_ok(!wb.error
               && ngx_http_s3_object_decode(&in, &got, pool) == NGX_OK
               && got.size == 9
               && got.checksum_alg == NGX_HTTP_S3_CHECKSUM_SHA256
               && got.checksum_type == NGX_HTTP_S3_CHECKSUM_FULL_OBJECT
               && got.checksum.len == 32
               && ngx_memcmp(got.checksum.data, d, 32) == 0,
               "record: checksum round trip");

    /* the bytes on disk, as docs/on-disk-format.md describes them */

    in.data = field;
    in.len = sizeof(field);

    ngx_tap_ok(ngx_http_s3_object_decode(&in, &got, NULL) == NGX_OK
               && got.checksum_alg == NGX_HTTP_S3_CHECKSUM_CRC32
               && got.checksum.len == 4 && got.checksum.data[0] == 0x36,
               "record: tag 15 is u8 algorithm, u8 type, digest");

    in.data = none;
    in.len = sizeof(none);

    ngx_tap_ok(ngx_http_s3_object_decode(&in, &got, NULL) == NGX_OK
               && got.checksum_alg == NGX_HTTP_S3_CHECKSUM_NONE
               && got.checksum.len == 0,
               "record: algorithm 0 is no checksum");

    in.data = shorter;
    in.len = sizeof(shorter);

    ngx_tap_ok(ngx_http_s3_object_decode(&in, &got, NULL) == NGX_OK
               && got.checksum_alg == NGX_HTTP_S3_CHECKSUM_CRC32
               && got.checksum.len == 0,
               "record: a field without a digest names the algorithm "
               "(an upload's)");

    /* no checksum: no field */

    ngx_memzero(&o, sizeof(o));

    if (ngx_http_s3_wbuf_init(&wb, pool, 16) != NGX_OK) {
        ngx_tap_ok(0, "wbuf");
        return;
    }

    ngx_http_s3_object_encode(&wb, &o);

    in.data = wb.start;
    in.len = wb.pos - wb.start;

    ngx_tap_ok(ngx_http_s3_object_decode(&in, &got, pool) == NGX_OK
               && got.checksum_alg == NGX_HTTP_S3_CHECKSUM_NONE
               && got.checksum.len == 0
               && ngx_strlchr(in.data, in.data + in.len, 15) == NULL,
               "record: no checksum, no field");
}


/* the CRC of a whole from the CRCs of its pieces, with no data */

static void
test_combine(void)
{
    u_char      *data, acc[8], piece[8], whole[8];
    size_t       i, n, m, off, len;
    uLong        z;
    ngx_uint_t   alg, ok;

    static ngx_uint_t  crcs[] = {
        NGX_HTTP_S3_CHECKSUM_CRC32, NGX_HTTP_S3_CHECKSUM_CRC32C,
        NGX_HTTP_S3_CHECKSUM_CRC64NVME
    };

    static size_t  cuts[][5] = {
        { 0, 0, 0, 0, 0 },          /* one piece */
        { 1, 0, 0, 0, 0 },
        { 100000, 0, 0, 0, 0 },
        { 0, 5, 0, 0, 0 },          /* empty pieces */
        { 1, 2, 3, 4, 5 },
        { 65536, 65537, 1, 100000, 7 },
        { 99999, 1, 0, 0, 0 }
    };

    n = 262144;

    data = ngx_pnalloc(pool, n);
    if (data == NULL) {
        ngx_tap_ok(0, "combine: no memory");
        return;
    }

    for (i = 0; i < n; i++) {
        data[i] = (u_char) (i * 7919 + (i >> 8));
    }

    for (alg = 0; alg < 3; alg++) {
        ok = 1;

        for (i = 0; i < sizeof(cuts) / sizeof(cuts[0]); i++) {

            /* the pieces: cuts[i][0..4] bytes, then the rest */

            off = 0;
            ngx_memzero(acc, sizeof(acc));

            for (len = 0; len <= 5; len++) {
                m = (len < 5) ? ngx_min(cuts[i][len], n - off) : n - off;

                if (digest_of(crcs[alg], data + off, m, 4096, piece)
                    != NGX_OK)
                {
                    ok = 0;
                    break;
                }

                if (off == 0) {
                    ngx_memcpy(acc, piece, sizeof(acc));

                } else if (ngx_http_s3_checksum_combine(crcs[alg], acc,
                                                        piece, m)
                           != NGX_OK)
                {
                    ok = 0;
                    break;
                }

                if (off == 0 && m == 0) {
                    /* an empty first piece: its CRC is 0 */
                    ok = ok && (piece[0] | piece[1] | piece[2] | piece[3])
                               == 0;
                }

                off += m;
            }

            if (digest_of(crcs[alg], data, n, 65536, whole) != NGX_OK
                || ngx_memcmp(acc, whole,
                              ngx_http_s3_checksum_size(crcs[alg]))
                   != 0)
            {
                ok = 0;
            }
        }

        ngx_tap_ok(ok, "combine: %s of pieces == %s of the whole",
                   ngx_http_s3_checksum_name(crcs[alg])->data,
                   ngx_http_s3_checksum_name(crcs[alg])->data);
    }

    ngx_tap_ok(ngx_http_s3_checksum_combine(NGX_HTTP_S3_CHECKSUM_SHA256, acc,
                                            piece, 1)
               == NGX_ERROR, "combine: not for SHA-256");

    /* an empty piece changes nothing */

    if (digest_of(NGX_HTTP_S3_CHECKSUM_CRC32, (u_char *) "123456789", 9, 9,
                  acc) == NGX_OK)
    {
        ngx_memzero(piece, sizeof(piece));

        (void) ngx_http_s3_checksum_combine(NGX_HTTP_S3_CHECKSUM_CRC32, acc,
                                            piece, 0);

        ngx_tap_ok(acc[0] == 0xcb && acc[1] == 0xf4 && acc[2] == 0x39
                   && acc[3] == 0x26, "combine: with an empty piece");
    }

    /* 5 TiB after "123456789": as zlib's crc32_combine64() says */

    acc[0] = 0xcb;
    acc[1] = 0xf4;
    acc[2] = 0x39;
    acc[3] = 0x26;
    piece[0] = 0x12;
    piece[1] = 0x34;
    piece[2] = 0x56;
    piece[3] = 0x78;

    (void) ngx_http_s3_checksum_combine(NGX_HTTP_S3_CHECKSUM_CRC32, acc, piece,
                                        (uint64_t) 5 << 40);

    z = crc32_combine64(0xcbf43926, 0x12345678, (z_off64_t) 5 << 40);

    ngx_tap_ok(((uLong) acc[0] << 24 | (uLong) acc[1] << 16
                | (uLong) acc[2] << 8 | acc[3]) == z,
               "combine: 5 TiB, as zlib");
}
