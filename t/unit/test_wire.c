/* sources: ngx_http_s3_wire.c ngx_http_s3_record.c ngx_http_s3_util.c */

/*
 * Copyright (C) ngx_s3 authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include "ngx_http_s3_wire.h"

#include "ngx_stub.h"


#define S(s)  { sizeof(s) - 1, (u_char *) s }


static void test_scalars(void);
static void test_grow(void);
static void test_malloc_backed(void);
static void test_short_reads(void);
static void test_limits(void);
static void test_frames(void);
static void test_object(void);
static void test_object_hostile(void);
static void test_body_id(void);
static void test_object_extents(void);
static void test_object_extents_hostile(void);
static void test_bucket(void);
static void test_write_cond(void);
static void test_copy_cond(void);
static void test_user_and_key(void);
static void test_record_patch(void);
static void test_object_tags(void);
static ngx_uint_t str_eq(ngx_str_t *a, ngx_str_t *b);
static ngx_str_t wbuf_str(ngx_http_s3_wbuf_t *b);


static ngx_pool_t  *pool;


int
main(void)
{
    pool = ngx_stub_pool();

    test_scalars();
    test_grow();
    test_malloc_backed();
    test_short_reads();
    test_limits();
    test_frames();
    test_object();
    test_object_hostile();
    test_body_id();
    test_object_extents();
    test_object_extents_hostile();
    test_bucket();
    test_write_cond();
    test_copy_cond();
    test_user_and_key();
    test_record_patch();
    test_object_tags();

    ngx_destroy_pool(pool);

    return ngx_tap_done();
}


static void
test_scalars(void)
{
    ngx_str_t            s, in, got;
    ngx_http_s3_rbuf_t   rb;
    ngx_http_s3_wbuf_t   wb;

    static u_char  expect[] =
        "\xab"
        "\x01\x02\x03\x04"
        "\x01\x02\x03\x04\x05\x06\x07\x08"
        "\x00\x00\x00\x05hello"
        "\x00\x00\x00\x00"
        "raw";

    ngx_tap_ok(ngx_http_s3_wbuf_init(&wb, pool, 16) == NGX_OK, "wbuf init");

    ngx_http_s3_wire_put_u8(&wb, 0xab);
    ngx_http_s3_wire_put_u32(&wb, 0x01020304);
    ngx_http_s3_wire_put_u64(&wb, 0x0102030405060708ULL);

    s.data = (u_char *) "hello";
    s.len = 5;
    ngx_http_s3_wire_put_str(&wb, &s);

    ngx_str_null(&s);
    ngx_http_s3_wire_put_str(&wb, &s);

    ngx_http_s3_wire_put_raw(&wb, (u_char *) "raw", 3);
    ngx_http_s3_wire_put_raw(&wb, NULL, 0);

    in = wbuf_str(&wb);

    ngx_tap_ok(!wb.error, "no error");
    ngx_tap_ok(in.len == sizeof(expect) - 1
               && ngx_memcmp(in.data, expect, in.len) == 0,
               "big-endian layout");

    ngx_http_s3_rbuf_init(&rb, &in);

    ngx_tap_ok(ngx_http_s3_wire_get_u8(&rb) == 0xab, "get u8");
    ngx_tap_ok(ngx_http_s3_wire_get_u32(&rb) == 0x01020304, "get u32");
    ngx_tap_ok(ngx_http_s3_wire_get_u64(&rb) == 0x0102030405060708ULL,
               "get u64");

    ngx_http_s3_wire_get_str(&rb, &got);
    ngx_tap_is_str(got.data, got.len, "hello", "get str");
    ngx_tap_ok(got.data == in.data + 17, "get str points into the input");

    ngx_http_s3_wire_get_str(&rb, &got);
    ngx_tap_ok(got.len == 0 && !rb.error, "get empty str");

    ngx_tap_ok(rb.last - rb.pos == 3 && !rb.error, "three raw bytes left");
}


static void
test_grow(void)
{
    ngx_str_t            s, in, got;
    ngx_uint_t           i, ok;
    ngx_http_s3_rbuf_t   rb;
    ngx_http_s3_wbuf_t   wb;

    u_char  big[1000];

    ngx_memset(big, 'x', sizeof(big));

    ngx_http_s3_wbuf_init(&wb, pool, 1);

    for (i = 0; i < 300; i++) {
        s.data = big;
        s.len = i;
        ngx_http_s3_wire_put_u32(&wb, (uint32_t) i);
        ngx_http_s3_wire_put_str(&wb, &s);
    }

    in = wbuf_str(&wb);

    ngx_tap_ok(!wb.error && in.len == 300 * 8 + 299 * 300 / 2,
               "grow: %lu bytes written", (unsigned long) in.len);

    ngx_http_s3_rbuf_init(&rb, &in);
    ok = 1;

    for (i = 0; i < 300; i++) {
        if (ngx_http_s3_wire_get_u32(&rb) != i) {
            ok = 0;
        }

        ngx_http_s3_wire_get_str(&rb, &got);

        if (got.len != i || (i && ngx_memcmp(got.data, big, i) != 0)) {
            ok = 0;
        }
    }

    ngx_tap_ok(ok && !rb.error && rb.pos == rb.last, "grow: read back");

    /* a failed allocation while growing is a sticky error */

    ngx_http_s3_wbuf_init(&wb, pool, 64);

    ngx_stub_fail_after = 0;
    ngx_http_s3_wire_put_raw(&wb, big, 100);
    ngx_stub_fail_after = -1;

    ngx_http_s3_wire_put_u8(&wb, 1);

    ngx_tap_ok(wb.error && wb.pos == wb.start, "grow: no memory, sticky");

    ngx_stub_fail_after = 0;
    ngx_tap_ok(ngx_http_s3_wbuf_init(&wb, pool, 64) == NGX_ERROR && wb.error,
               "init: no memory");
    ngx_stub_fail_after = -1;
}


static void
test_malloc_backed(void)
{
    ngx_str_t            s, in, got;
    ngx_uint_t           i;
    ngx_http_s3_rbuf_t   rb;
    ngx_http_s3_wbuf_t   wb;

    ngx_tap_ok(ngx_http_s3_wbuf_init(&wb, NULL, 8) == NGX_OK,
               "malloc-backed init");

    s.data = (u_char *) "0123456789abcdef0123456789abcdef";
    s.len = 32;

    for (i = 0; i < 100; i++) {
        ngx_http_s3_wire_put_str(&wb, &s);
    }

    in = wbuf_str(&wb);

    ngx_tap_ok(!wb.error && in.len == 100 * 36, "malloc-backed grows");

    ngx_http_s3_rbuf_init(&rb, &in);

    for (i = 0; i < 100; i++) {
        ngx_http_s3_wire_get_str(&rb, &got);
    }

    ngx_tap_ok(!rb.error && str_eq(&got, &s), "malloc-backed read back");

    ngx_http_s3_wbuf_free(&wb);
    ngx_tap_ok(wb.start == NULL, "malloc-backed freed");

    /* free twice is harmless */
    ngx_http_s3_wbuf_free(&wb);
}


static void
test_short_reads(void)
{
    ngx_str_t            in, got;
    ngx_http_s3_rbuf_t   rb;

    static u_char  data[] = "\x00\x00\x00\x09" "abc";

    in.data = data;
    in.len = 3;

    ngx_http_s3_rbuf_init(&rb, &in);
    ngx_tap_ok(ngx_http_s3_wire_get_u32(&rb) == 0 && rb.error,
               "short u32: zero and error");
    ngx_tap_ok(ngx_http_s3_wire_get_u8(&rb) == 0 && rb.error,
               "error is sticky");

    in.len = 7;

    ngx_http_s3_rbuf_init(&rb, &in);
    ngx_http_s3_wire_get_str(&rb, &got);
    ngx_tap_ok(rb.error && got.len == 0 && got.data == NULL,
               "str longer than the input: error, empty");

    in.len = 2;

    ngx_http_s3_rbuf_init(&rb, &in);
    ngx_tap_ok(ngx_http_s3_wire_get_u64(&rb) == 0 && rb.error, "short u64");

    in.len = 0;

    ngx_http_s3_rbuf_init(&rb, &in);
    ngx_tap_ok(ngx_http_s3_wire_get_u8(&rb) == 0 && rb.error, "empty u8");
}


static void
test_limits(void)
{
    ngx_http_s3_wbuf_t  wb;

    static u_char  byte;

    /* refused before anything is allocated or read */

    ngx_http_s3_wbuf_init(&wb, pool, 64);
    ngx_http_s3_wire_put_raw(&wb, &byte, NGX_HTTP_S3_WIRE_MAX_FRAME + 64);

    ngx_tap_ok(wb.error, "a write past the largest frame is an error");
}


static void
test_frames(void)
{
    size_t               start, len;
    uint8_t              code;
    uint32_t             id;
    ngx_int_t            rc;
    ngx_str_t            s, in, body;
    ngx_http_s3_rbuf_t   rb;
    ngx_http_s3_wbuf_t   wb;

    static u_char  too_long[] = "\x04\x00\x00\x01\x00\x00\x00\x01\x01";
    static u_char  too_short[] = "\x00\x00\x00\x04\x00\x00\x00\x01\x01";
    static u_char  max[] = "\x04\x00\x00\x00\x00\x00\x00\x01\x01";

    ngx_http_s3_wbuf_init(&wb, pool, 64);

    start = ngx_http_s3_wire_frame_begin(&wb, 0xdeadbeef,
                                         NGX_HTTP_S3_WIRE_OP_OBJECT_GET);
    s.data = (u_char *) "bucket";
    s.len = 6;
    ngx_http_s3_wire_put_str(&wb, &s);
    ngx_http_s3_wire_frame_end(&wb, start);

    /* a second frame right after */

    start = ngx_http_s3_wire_frame_begin(&wb, 2, NGX_HTTP_S3_WIRE_ST_OK);
    ngx_http_s3_wire_frame_end(&wb, start);

    ngx_tap_ok(start == 19, "second frame starts after the first");

    in = wbuf_str(&wb);

    ngx_tap_ok(in.len == 19 + 9 && ngx_memcmp(in.data, "\0\0\0\x0f", 4) == 0,
               "frame length excludes its own 4 bytes");

    rc = ngx_http_s3_wire_frame_parse(in.data, in.len, &len, &id, &code);

    ngx_tap_ok(rc == NGX_OK && len == 19 && id == 0xdeadbeef
               && code == NGX_HTTP_S3_WIRE_OP_OBJECT_GET,
               "parse first frame");

    body.data = in.data + NGX_HTTP_S3_WIRE_HEADER;
    body.len = len - NGX_HTTP_S3_WIRE_HEADER;

    ngx_http_s3_rbuf_init(&rb, &body);
    ngx_http_s3_wire_get_str(&rb, &s);
    ngx_tap_ok(!rb.error && rb.pos == rb.last && s.len == 6
               && ngx_memcmp(s.data, "bucket", 6) == 0, "frame body");

    rc = ngx_http_s3_wire_frame_parse(in.data + 19, in.len - 19, &len, &id,
                                      &code);
    ngx_tap_ok(rc == NGX_OK && len == 9 && id == 2 && code == 0,
               "parse empty second frame");

    ngx_tap_ok(ngx_http_s3_wire_frame_parse(in.data, 8, &len, &id, &code)
               == NGX_AGAIN, "header incomplete: NGX_AGAIN");

    ngx_tap_ok(ngx_http_s3_wire_frame_parse(in.data, 18, &len, &id, &code)
               == NGX_AGAIN && len == 19, "body incomplete: NGX_AGAIN, len");

    ngx_tap_ok(ngx_http_s3_wire_frame_parse(in.data, 0, &len, &id, &code)
               == NGX_AGAIN, "nothing: NGX_AGAIN");

    ngx_tap_ok(ngx_http_s3_wire_frame_parse(too_long, 9, &len, &id, &code)
               == NGX_ERROR, "length over the maximum: NGX_ERROR");

    ngx_tap_ok(ngx_http_s3_wire_frame_parse(too_short, 9, &len, &id, &code)
               == NGX_ERROR, "length under the header: NGX_ERROR");

    ngx_tap_ok(ngx_http_s3_wire_frame_parse(max, 9, &len, &id, &code)
               == NGX_AGAIN && len == NGX_HTTP_S3_WIRE_MAX_FRAME + 4,
               "length at the maximum: accepted");
}


static void
test_object(void)
{
    ngx_str_t             in;
    ngx_uint_t            ok;
    ngx_array_t          *meta;
    ngx_http_s3_pair_t   *pair, *got;
    ngx_http_s3_wbuf_t    wb;
    ngx_http_s3_object_t  o, d;

    ngx_memzero(&o, sizeof(o));

    o.size = 0x123456789aULL;
    o.mtime = 1138985109123ULL;
    o.etag = (ngx_str_t) S("d41d8cd98f00b204e9800998ecf8427e");
    o.body = (ngx_str_t) S("0123456789abcdef0123456789abcdef");
    o.version = (ngx_str_t) S("null");
    o.content_type = (ngx_str_t) S("text/plain; charset=utf-8");
    o.content_encoding = (ngx_str_t) S("gzip");
    o.content_disposition = (ngx_str_t) S("attachment; filename=\"a b\"");
    o.content_language = (ngx_str_t) S("en");
    o.cache_control = (ngx_str_t) S("no-cache");
    o.expires = (ngx_str_t) S("Thu, 01 Dec 1994 16:00:00 GMT");
    o.owner = (ngx_str_t) S("AKIAIOSFODNN7EXAMPLE");
    o.flags = NGX_HTTP_S3_OBJECT_DELETE_MARKER;

    meta = ngx_array_create(pool, 2, sizeof(ngx_http_s3_pair_t));
    pair = ngx_array_push_n(meta, 3);
    pair[0].name = (ngx_str_t) S("color");
    pair[0].value = (ngx_str_t) S("blue");
    pair[1].name = (ngx_str_t) S("empty");
    pair[1].value = (ngx_str_t) S("");
    pair[2].name = (ngx_str_t) S("bin");
    pair[2].value = (ngx_str_t) S("\0\xff");
    o.meta = meta;

    ngx_http_s3_wbuf_init(&wb, pool, 64);
    ngx_http_s3_object_encode(&wb, &o);
    in = wbuf_str(&wb);

    ngx_tap_ok(!wb.error, "object encode");

    ngx_tap_ok(ngx_http_s3_object_decode(&in, &d, pool) == NGX_OK,
               "object decode");

    ok = (d.size == o.size && d.mtime == o.mtime && d.flags == o.flags
          && str_eq(&d.etag, &o.etag) && str_eq(&d.body, &o.body)
          && str_eq(&d.version, &o.version)
          && str_eq(&d.content_type, &o.content_type)
          && str_eq(&d.content_encoding, &o.content_encoding)
          && str_eq(&d.content_disposition, &o.content_disposition)
          && str_eq(&d.content_language, &o.content_language)
          && str_eq(&d.cache_control, &o.cache_control)
          && str_eq(&d.expires, &o.expires)
          && str_eq(&d.owner, &o.owner));

    ngx_tap_ok(ok, "object round trip: every field");

    ok = (d.meta != NULL && d.meta->nelts == 3);

    if (ok) {
        got = d.meta->elts;
        ok = (str_eq(&got[0].name, &pair[0].name)
              && str_eq(&got[0].value, &pair[0].value)
              && str_eq(&got[1].name, &pair[1].name)
              && got[1].value.len == 0
              && str_eq(&got[2].name, &pair[2].name)
              && str_eq(&got[2].value, &pair[2].value));
    }

    ngx_tap_ok(ok, "object round trip: metadata");

    ngx_tap_ok(d.etag.data >= in.data && d.etag.data < in.data + in.len,
               "decoded strings point into the input");

    ngx_tap_ok(ngx_http_s3_object_decode(&in, &d, NULL) == NGX_OK
               && d.meta == NULL && str_eq(&d.owner, &o.owner),
               "decode without a pool skips metadata");

    /* an empty object: no strings, no metadata */

    ngx_memzero(&o, sizeof(o));

    ngx_http_s3_wbuf_init(&wb, pool, 64);
    ngx_http_s3_object_encode(&wb, &o);
    in = wbuf_str(&wb);

    ngx_tap_ok(ngx_http_s3_object_decode(&in, &d, pool) == NGX_OK
               && d.size == 0 && d.etag.len == 0 && d.meta == NULL
               && d.flags == 0, "empty object round trip");

    in.len = 0;
    ngx_tap_ok(ngx_http_s3_object_decode(&in, &d, pool) == NGX_OK
               && d.size == 0, "empty record decodes to zeros");
}


static void
test_object_hostile(void)
{
    ngx_str_t             in;
    ngx_http_s3_object_t  d;

    /* tag 200 (unknown), then size; then tag 3 (etag) */

    static u_char  unknown[] =
        "\xc8\x00\x00\x00\x03xyz"
        "\x01\x00\x00\x00\x08\x00\x00\x00\x00\x00\x00\x00\x2a"
        "\x03\x00\x00\x00\x02\x61\x62";

    static u_char  truncated[] = "\x03\x00\x00\x00\x10\x61\x62";

    static u_char  bad_u64[] = "\x01\x00\x00\x00\x04\x00\x00\x00\x2a";

    static u_char  bad_meta[] =
        "\x0d\x00\x00\x00\x06\x00\x00\x00\x05\x61\x62";

    static u_char  lone_tag[] = "\x03";

    in.data = unknown;
    in.len = sizeof(unknown) - 1;
    ngx_tap_ok(ngx_http_s3_object_decode(&in, &d, pool) == NGX_OK
               && d.size == 42 && d.etag.len == 2,
               "unknown field skipped");

    in.data = truncated;
    in.len = sizeof(truncated) - 1;
    ngx_tap_ok(ngx_http_s3_object_decode(&in, &d, pool) == NGX_ERROR,
               "field longer than the record: error");

    in.data = lone_tag;
    in.len = 1;
    ngx_tap_ok(ngx_http_s3_object_decode(&in, &d, pool) == NGX_ERROR,
               "tag without a length: error");

    in.data = bad_u64;
    in.len = sizeof(bad_u64) - 1;
    ngx_tap_ok(ngx_http_s3_object_decode(&in, &d, pool) == NGX_OK
               && d.size == 0, "integer field of 4 bytes reads as 0");

    in.data = bad_meta;
    in.len = sizeof(bad_meta) - 1;
    ngx_tap_ok(ngx_http_s3_object_decode(&in, &d, pool) == NGX_ERROR,
               "metadata pair cut short: error");
}


/*
 * A body id names a file: the decoder refuses every record whose id is
 * not 32 lowercase hex characters (the attack of issue 5 committed
 * "././../../victim///////////t.txt" and had it unlinked)
 */

static void
test_body_id(void)
{
    ngx_str_t             id, in;
    ngx_uint_t            i;
    ngx_http_s3_wbuf_t    wb;
    ngx_http_s3_object_t  o, d;

    static ngx_str_t  good[] = {
        S("0123456789abcdef0123456789abcdef"),
        S("ffffffffffffffffffffffffffffffff"),
        S("00000000000000000000000000000000")
    };

    static ngx_str_t  bad[] = {
        S("././../../victim///////////t.txt"),
        S("../../../../../../../../victim/t"),
        S("0123456789ABCDEF0123456789ABCDEF"),
        S("0123456789abcdef0123456789abcde"),
        S("0123456789abcdef0123456789abcdef0"),
        S("0123456789abcdef\0" "123456789abcdef"),
        S("0123456789abcdef0123456789abcde/"),
        S("0123456789abcdef0123456789abcde."),
        S("0123456789abcdef0123456789abcdeg"),
        S("0123456789abcdef 123456789abcdef"),
        S("\xff" "123456789abcdef0123456789abcdef"),
        S("")
    };

    for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
        ngx_tap_ok(ngx_http_s3_valid_body_id(&good[i]),
                   "body id %.*s is valid", (int) good[i].len,
                   (char *) good[i].data);

        ngx_memzero(&o, sizeof(o));
        o.body = good[i];

        ngx_http_s3_wbuf_init(&wb, pool, 64);
        ngx_http_s3_object_encode(&wb, &o);
        in = wbuf_str(&wb);

        ngx_tap_ok(ngx_http_s3_object_decode(&in, &d, NULL) == NGX_OK
                   && str_eq(&d.body, &good[i]),
                   "record with body id %.*s decodes", (int) good[i].len,
                   (char *) good[i].data);
    }

    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        id = bad[i];

        ngx_tap_ok(!ngx_http_s3_valid_body_id(&id),
                   "bad body id #%lu (%lu bytes) is refused",
                   (unsigned long) i, (unsigned long) id.len);

        /* the field written by hand: the encoder skips empty strings */

        ngx_http_s3_wbuf_init(&wb, pool, 64);
        ngx_http_s3_wire_put_u8(&wb, 1);
        ngx_http_s3_wire_put_u32(&wb, 8);
        ngx_http_s3_wire_put_u64(&wb, 5);
        ngx_http_s3_wire_put_u8(&wb, 4);
        ngx_http_s3_wire_put_str(&wb, &id);
        in = wbuf_str(&wb);

        ngx_tap_ok(ngx_http_s3_object_decode(&in, &d, pool) == NGX_ERROR
                   && ngx_http_s3_object_decode(&in, &d, NULL) == NGX_ERROR,
                   "record with bad body id #%lu: NGX_ERROR",
                   (unsigned long) i);
    }

    /* a record without a body id (a delete marker) is fine */

    ngx_memzero(&o, sizeof(o));
    o.flags = NGX_HTTP_S3_OBJECT_DELETE_MARKER;

    ngx_http_s3_wbuf_init(&wb, pool, 64);
    ngx_http_s3_object_encode(&wb, &o);
    in = wbuf_str(&wb);

    ngx_tap_ok(ngx_http_s3_object_decode(&in, &d, NULL) == NGX_OK
               && d.body.len == 0, "record without a body id decodes");
}


static void
test_object_extents(void)
{
    ngx_str_t              in, listed;
    ngx_uint_t             ok, i;
    ngx_http_s3_part_t    *pt, *gp;
    ngx_http_s3_rbuf_t     rb;
    ngx_http_s3_wbuf_t     wb, lb;
    ngx_http_s3_extent_t  *ext, *ge;
    ngx_http_s3_object_t   o, d;

    static u_char  md5a[16] = "0123456789abcdef";
    static u_char  md5b[16] = "fedcba9876543210";

    ngx_memzero(&o, sizeof(o));

    o.size = 5 * 1024 * 1024 + 7;
    o.etag = (ngx_str_t) S("0123456789abcdef0123456789abcdef-2");
    o.upload_id = (ngx_str_t) S("0000019a2b3c4d5e0123456789abcdef");
    o.tagging = (ngx_str_t) S("a=b&c=d");
    o.checksum_alg = 1;
    o.checksum_type = NGX_HTTP_S3_CHECKSUM_COMPOSITE;
    o.checksum = (ngx_str_t) S("\x01\x02\x03\x04");

    o.extents = ngx_array_create(pool, 2, sizeof(ngx_http_s3_extent_t));
    ext = ngx_array_push_n(o.extents, 2);
    ext[0].body = (ngx_str_t) S("0123456789abcdef0123456789abcdef");
    ext[0].offset = 0;
    ext[0].length = 5 * 1024 * 1024;
    ext[1].body = (ngx_str_t) S("ffffffffffffffffffffffffffffffff");
    ext[1].offset = 3;
    ext[1].length = 7;

    o.parts = ngx_array_create(pool, 2, sizeof(ngx_http_s3_part_t));
    pt = ngx_array_push_n(o.parts, 2);
    pt[0].size = 5 * 1024 * 1024;
    pt[0].md5 = md5a;
    pt[0].checksum = (ngx_str_t) S("\xaa\xbb\xcc\xdd");
    pt[1].size = 7;
    pt[1].md5 = md5b;
    pt[1].checksum = (ngx_str_t) S("");

    ngx_http_s3_wbuf_init(&wb, pool, 64);
    ngx_http_s3_object_encode(&wb, &o);
    in = wbuf_str(&wb);

    ngx_tap_ok(!wb.error
               && ngx_http_s3_object_decode(&in, &d, pool) == NGX_OK,
               "extents: encode and decode");

    ok = (d.extents && d.extents->nelts == 2 && d.body.len == 0);

    for (i = 0; ok && i < 2; i++) {
        ge = (ngx_http_s3_extent_t *) d.extents->elts + i;
        ok = str_eq(&ge->body, &ext[i].body)
             && ge->offset == ext[i].offset && ge->length == ext[i].length;
    }

    ngx_tap_ok(ok, "extents: round trip");

    ok = (d.parts && d.parts->nelts == 2);

    for (i = 0; ok && i < 2; i++) {
        gp = (ngx_http_s3_part_t *) d.parts->elts + i;
        ok = gp->size == pt[i].size
             && ngx_memcmp(gp->md5, pt[i].md5, 16) == 0
             && str_eq(&gp->checksum, &pt[i].checksum);
    }

    ngx_tap_ok(ok, "parts table: round trip");

    ngx_tap_ok(str_eq(&d.upload_id, &o.upload_id)
               && str_eq(&d.tagging, &o.tagging)
               && d.checksum_type == NGX_HTTP_S3_CHECKSUM_COMPOSITE
               && str_eq(&d.checksum, &o.checksum),
               "upload id, tagging, composite checksum: round trip");

    ngx_tap_ok(ngx_http_s3_object_decode(&in, &d, NULL) == NGX_OK
               && d.extents == NULL && d.parts == NULL,
               "extents: decode without a pool checks, returns nothing");

    /* the extents must add up to the size, and so must the parts */

    o.size++;
    ngx_http_s3_wbuf_init(&wb, pool, 64);
    ngx_http_s3_object_encode(&wb, &o);
    in = wbuf_str(&wb);

    ngx_tap_ok(ngx_http_s3_object_decode(&in, &d, pool) == NGX_ERROR
               && ngx_http_s3_object_decode(&in, &d, NULL) == NGX_ERROR,
               "extents longer than the size: error");

    o.size--;
    o.parts = NULL;
    ext[1].length = 8;
    ngx_http_s3_wbuf_init(&wb, pool, 64);
    ngx_http_s3_object_encode(&wb, &o);
    in = wbuf_str(&wb);

    ngx_tap_ok(ngx_http_s3_object_decode(&in, &d, pool) == NGX_ERROR,
               "extents not adding up to the size: error");

    ext[1].length = 7;
    o.parts = ngx_array_create(pool, 1, sizeof(ngx_http_s3_part_t));
    pt = ngx_array_push(o.parts);
    pt->size = 5;
    pt->md5 = md5a;
    pt->checksum.len = 0;
    ngx_http_s3_wbuf_init(&wb, pool, 64);
    ngx_http_s3_object_encode(&wb, &o);
    in = wbuf_str(&wb);

    ngx_tap_ok(ngx_http_s3_object_decode(&in, &d, pool) == NGX_ERROR,
               "parts not adding up to the size: error");

    /* listed: the record without extents and parts, as a str */

    o.parts = ngx_array_create(pool, 1, sizeof(ngx_http_s3_part_t));
    pt = ngx_array_push(o.parts);
    pt->size = o.size;
    pt->md5 = md5a;
    pt->checksum.len = 0;
    ngx_http_s3_wbuf_init(&wb, pool, 64);
    ngx_http_s3_object_encode(&wb, &o);
    in = wbuf_str(&wb);

    ngx_http_s3_wbuf_init(&lb, pool, 16);
    ngx_http_s3_object_put_listed(&lb, &in);
    listed = wbuf_str(&lb);
    ngx_http_s3_rbuf_init(&rb, &listed);
    ngx_http_s3_wire_get_str(&rb, &listed);

    ngx_tap_ok(ngx_http_s3_object_decode(&in, &d, pool) == NGX_OK
               && !lb.error && !rb.error && rb.pos == rb.last
               && listed.len < in.len
               && ngx_http_s3_object_decode(&listed, &d, pool) == NGX_OK
               && d.extents == NULL && d.parts == NULL
               && d.size == o.size && str_eq(&d.etag, &o.etag)
               && str_eq(&d.upload_id, &o.upload_id),
               "listed: without extents and parts, the rest kept");

    o.parts = NULL;

    /* a body and extents at once: which one? an error */

    o.parts = NULL;
    o.body = (ngx_str_t) S("0123456789abcdef0123456789abcdef");
    ngx_http_s3_wbuf_init(&wb, pool, 64);
    ngx_http_s3_object_encode(&wb, &o);
    in = wbuf_str(&wb);

    ngx_tap_ok(ngx_http_s3_object_decode(&in, &d, pool) == NGX_ERROR,
               "body and extents at once: error");
}


static void
test_object_extents_hostile(void)
{
    ngx_str_t             in;
    ngx_http_s3_object_t  d;

    /* size 1; one extent of a body id with an uppercase letter */

    static u_char  upper[] =
        "\x01\x00\x00\x00\x08\x00\x00\x00\x00\x00\x00\x00\x01"
        "\x10\x00\x00\x00\x30"
        "0123456789ABCDEF0123456789abcdef"
        "\x00\x00\x00\x00\x00\x00\x00\x00"
        "\x00\x00\x00\x00\x00\x00\x00\x01";

    /* an extent cut short */

    static u_char  cut[] =
        "\x10\x00\x00\x00\x20"
        "0123456789abcdef0123456789abcdef";

    /* size 1, an extent whose offset + length wraps around */

    static u_char  wrap[] =
        "\x01\x00\x00\x00\x08\x00\x00\x00\x00\x00\x00\x00\x01"
        "\x10\x00\x00\x00\x30"
        "0123456789abcdef0123456789abcdef"
        "\x7f\xff\xff\xff\xff\xff\xff\xff"
        "\x00\x00\x00\x00\x00\x00\x00\x01";

    /* a parts table entry whose checksum runs past the field */

    static u_char  part_cut[] =
        "\x11\x00\x00\x00\x1a"
        "\x00\x00\x00\x00\x00\x00\x00\x00"
        "0123456789abcdef" "\x04" "\x01";

    /* body ids: "../" is not one */

    static u_char  body_path[] =
        "\x04\x00\x00\x00\x20"
        "../../../../etc/passwd\0\0\0\0\0\0\0\0\0\0";

    static u_char  upload_short[] = "\x12\x00\x00\x00\x03" "abc";

    in.data = upper;
    in.len = sizeof(upper) - 1;
    ngx_tap_ok(ngx_http_s3_object_decode(&in, &d, pool) == NGX_ERROR
               && ngx_http_s3_object_decode(&in, &d, NULL) == NGX_ERROR,
               "extent body id not lowercase hex: error");

    in.data = cut;
    in.len = sizeof(cut) - 1;
    ngx_tap_ok(ngx_http_s3_object_decode(&in, &d, pool) == NGX_ERROR,
               "extent cut short: error");

    in.data = wrap;
    in.len = sizeof(wrap) - 1;
    ngx_tap_ok(ngx_http_s3_object_decode(&in, &d, pool) == NGX_ERROR,
               "extent offset + length past the largest file: error");

    in.data = part_cut;
    in.len = sizeof(part_cut) - 1;
    ngx_tap_ok(ngx_http_s3_object_decode(&in, &d, pool) == NGX_ERROR,
               "part checksum past its field: error");

    in.data = body_path;
    in.len = sizeof(body_path) - 1;
    ngx_tap_ok(ngx_http_s3_object_decode(&in, &d, NULL) == NGX_ERROR,
               "body id that is a path: error");

    in.data = upload_short;
    in.len = sizeof(upload_short) - 1;
    ngx_tap_ok(ngx_http_s3_object_decode(&in, &d, NULL) == NGX_ERROR,
               "upload id of 3 characters: error");
}


static void
test_bucket(void)
{
    ngx_str_t             in;
    ngx_http_s3_wbuf_t    wb;
    ngx_http_s3_bucket_t  b, d;

    ngx_memzero(&b, sizeof(b));

    b.name = (ngx_str_t) S("my-bucket");
    b.created = 1138985109000ULL;
    b.region = (ngx_str_t) S("eu-west-1");
    b.owner = (ngx_str_t) S("AKIAIOSFODNN7EXAMPLE");
    b.owner_user = (ngx_str_t) S("alice");
    b.acl = NGX_HTTP_S3_ACL_PUBLIC_READ;
    b.versioning = NGX_HTTP_S3_VERSIONING_SUSPENDED;
    b.object_lock = 1;

    ngx_http_s3_wbuf_init(&wb, pool, 64);
    ngx_http_s3_bucket_encode(&wb, &b);
    in = wbuf_str(&wb);

    ngx_tap_ok(!wb.error
               && ngx_http_s3_bucket_decode(&in, &d) == NGX_OK
               && str_eq(&d.name, &b.name) && d.created == b.created
               && str_eq(&d.region, &b.region) && str_eq(&d.owner, &b.owner)
               && str_eq(&d.owner_user, &b.owner_user)
               && d.acl == b.acl
               && d.versioning == b.versioning
               && d.object_lock == b.object_lock, "bucket round trip");

    in.len--;
    ngx_tap_ok(ngx_http_s3_bucket_decode(&in, &d) == NGX_ERROR,
               "bucket record cut short: error");

    in.len = 0;
    ngx_tap_ok(ngx_http_s3_bucket_decode(&in, &d) == NGX_OK
               && d.name.len == 0 && d.created == 0,
               "empty bucket record");
}


/* users, access keys, grants: round trips, what a record must hold */

static void
test_user_and_key(void)
{
    ngx_str_t            in;
    ngx_http_s3_wbuf_t   wb;
    ngx_http_s3_user_t   u, du;
    ngx_http_s3_akey_t   k, dk;
    ngx_http_s3_grant_t  g, dg;

    ngx_memzero(&u, sizeof(u));
    u.id = (ngx_str_t) S("alice");
    u.name = (ngx_str_t) S("Alice \xc3\x84.");
    u.created = 1700000000123ULL;

    ngx_http_s3_wbuf_init(&wb, pool, 16);
    ngx_http_s3_user_encode(&wb, &u);
    in = wbuf_str(&wb);

    ngx_tap_ok(!wb.error && ngx_http_s3_user_decode(&in, &du) == NGX_OK
               && str_eq(&du.id, &u.id) && str_eq(&du.name, &u.name)
               && du.created == u.created, "user round trip");

    in.len--;
    ngx_tap_ok(ngx_http_s3_user_decode(&in, &du) == NGX_ERROR,
               "user record cut short: error");

    in.len = 0;
    ngx_tap_ok(ngx_http_s3_user_decode(&in, &du) == NGX_ERROR,
               "user record without an id: error");

    ngx_memzero(&k, sizeof(k));
    k.access_key = (ngx_str_t) S("AKABCDEFGHIJKLMNOPQR");
    k.user = (ngx_str_t) S("alice");
    k.status = NGX_HTTP_S3_KEY_DISABLED;
    k.created = 1700000000456ULL;
    k.secret = (ngx_str_t) S("\x01sealed\x00bytes");

    ngx_http_s3_wbuf_init(&wb, pool, 16);
    ngx_http_s3_akey_encode(&wb, &k);
    in = wbuf_str(&wb);

    ngx_tap_ok(!wb.error && ngx_http_s3_akey_decode(&in, &dk) == NGX_OK
               && str_eq(&dk.access_key, &k.access_key)
               && str_eq(&dk.user, &k.user) && str_eq(&dk.secret, &k.secret)
               && dk.status == k.status && dk.created == k.created,
               "access key round trip");

    /* listed without the secret: the field is left out */

    ngx_str_null(&k.secret);
    ngx_http_s3_wbuf_init(&wb, pool, 16);
    ngx_http_s3_akey_encode(&wb, &k);
    in = wbuf_str(&wb);

    ngx_tap_ok(ngx_http_s3_akey_decode(&in, &dk) == NGX_OK
               && dk.secret.len == 0 && dk.status == k.status,
               "access key without its secret");

    in.len -= 3;
    ngx_tap_ok(ngx_http_s3_akey_decode(&in, &dk) == NGX_ERROR,
               "access key record cut short: error");

    g.user = (ngx_str_t) S("bob");
    g.perm = NGX_HTTP_S3_PERM_WRITE;

    ngx_http_s3_wbuf_init(&wb, pool, 16);
    ngx_http_s3_grant_encode(&wb, &g);
    in = wbuf_str(&wb);

    ngx_tap_ok(ngx_http_s3_grant_decode(&in, &dg) == NGX_OK
               && str_eq(&dg.user, &g.user) && dg.perm == g.perm,
               "grant round trip");

    in.len = 0;
    ngx_tap_ok(ngx_http_s3_grant_decode(&in, &dg) == NGX_ERROR,
               "grant without a user: error");
}


/* If-Match / If-None-Match of a write (RFC 9110 13.2.2, S3's rules) */

static void
test_write_cond(void)
{
    ngx_str_t                 in, etag, *none;
    ngx_http_s3_rbuf_t        rb;
    ngx_http_s3_wbuf_t        wb;
    ngx_http_s3_write_cond_t  wc, d;

    ngx_str_set(&etag, "0cc175b9c0f1b6a831c399e269772661");
    none = NULL;

    ngx_memzero(&wc, sizeof(wc));
    ngx_tap_ok(ngx_http_s3_write_cond_check(&wc, &etag)
               == NGX_HTTP_S3_WIRE_ST_OK
               && ngx_http_s3_write_cond_check(&wc, none)
                  == NGX_HTTP_S3_WIRE_ST_OK, "no condition");

    wc.cond = NGX_HTTP_S3_WIRE_COND_IF_MATCH;
    ngx_str_set(&wc.match, "*");
    ngx_tap_ok(ngx_http_s3_write_cond_check(&wc, &etag)
               == NGX_HTTP_S3_WIRE_ST_OK, "If-Match: * and an object");
    ngx_tap_ok(ngx_http_s3_write_cond_check(&wc, none)
               == NGX_HTTP_S3_WIRE_ST_NO_KEY, "If-Match: * and none: 404");

    ngx_str_set(&wc.match, "\"0cc175b9c0f1b6a831c399e269772661\"");
    ngx_tap_ok(ngx_http_s3_write_cond_check(&wc, &etag)
               == NGX_HTTP_S3_WIRE_ST_OK, "If-Match: the etag, quoted");
    ngx_str_set(&wc.match, "\"aa\", 0cc175b9c0f1b6a831c399e269772661");
    ngx_tap_ok(ngx_http_s3_write_cond_check(&wc, &etag)
               == NGX_HTTP_S3_WIRE_ST_OK, "If-Match: a list with it");
    ngx_str_set(&wc.match, "\"aa\"");
    ngx_tap_ok(ngx_http_s3_write_cond_check(&wc, &etag)
               == NGX_HTTP_S3_WIRE_ST_PRECONDITION, "If-Match: another: 412");
    ngx_str_set(&wc.match, "W/\"0cc175b9c0f1b6a831c399e269772661\"");
    ngx_tap_ok(ngx_http_s3_write_cond_check(&wc, &etag)
               == NGX_HTTP_S3_WIRE_ST_PRECONDITION,
               "If-Match: a weak tag never matches");

    wc.cond = NGX_HTTP_S3_WIRE_COND_IF_NONE_LIST;
    ngx_str_set(&wc.none_match, "*");
    ngx_tap_ok(ngx_http_s3_write_cond_check(&wc, &etag)
               == NGX_HTTP_S3_WIRE_ST_PRECONDITION
               && ngx_http_s3_write_cond_check(&wc, none)
                  == NGX_HTTP_S3_WIRE_ST_OK, "If-None-Match: *");
    ngx_str_set(&wc.none_match, "\"0cc175b9c0f1b6a831c399e269772661\"");
    ngx_tap_ok(ngx_http_s3_write_cond_check(&wc, &etag)
               == NGX_HTTP_S3_WIRE_ST_PRECONDITION
               && ngx_http_s3_write_cond_check(&wc, none)
                  == NGX_HTTP_S3_WIRE_ST_OK,
               "If-None-Match: the etag: 412; no object: OK");
    ngx_str_set(&wc.none_match, "\"aa\"");
    ngx_tap_ok(ngx_http_s3_write_cond_check(&wc, &etag)
               == NGX_HTTP_S3_WIRE_ST_OK, "If-None-Match: another etag");

    wc.cond = NGX_HTTP_S3_WIRE_COND_IF_MATCH
              | NGX_HTTP_S3_WIRE_COND_IF_NONE_LIST;
    ngx_str_set(&wc.match, "*");
    ngx_str_set(&wc.none_match, "\"0cc175b9c0f1b6a831c399e269772661\"");
    ngx_tap_ok(ngx_http_s3_write_cond_check(&wc, &etag)
               == NGX_HTTP_S3_WIRE_ST_PRECONDITION, "both, None fails");

    ngx_http_s3_wbuf_init(&wb, pool, 16);
    ngx_http_s3_wire_put_cond(&wb, &wc);
    in = wbuf_str(&wb);
    ngx_http_s3_rbuf_init(&rb, &in);
    ngx_http_s3_wire_get_cond(&rb, &d);
    ngx_tap_ok(!rb.error && rb.pos == rb.last && d.cond == wc.cond
               && str_eq(&d.match, &wc.match)
               && str_eq(&d.none_match, &wc.none_match),
               "conditions round trip");

    /* what a format-1 worker sends: If-None-Match: * */

    ngx_http_s3_wbuf_init(&wb, pool, 16);
    ngx_http_s3_wire_put_u8(&wb, NGX_HTTP_S3_WIRE_COND_IF_NONE_MATCH);
    ngx_str_null(&in);
    ngx_http_s3_wire_put_str(&wb, &in);
    in = wbuf_str(&wb);
    ngx_http_s3_rbuf_init(&rb, &in);
    ngx_http_s3_wire_get_cond(&rb, &d);
    ngx_tap_ok(!rb.error
               && ngx_http_s3_write_cond_check(&d, &etag)
                  == NGX_HTTP_S3_WIRE_ST_PRECONDITION
               && ngx_http_s3_write_cond_check(&d, none)
                  == NGX_HTTP_S3_WIRE_ST_OK, "format 1 If-None-Match: *");

    in.len = 3;
    ngx_http_s3_rbuf_init(&rb, &in);
    ngx_http_s3_wire_get_cond(&rb, &d);
    ngx_tap_ok(rb.error, "conditions cut short: error");
}


static void
test_copy_cond(void)
{
    ngx_str_t                 in, etag;
    ngx_http_s3_rbuf_t        rb;
    ngx_http_s3_wbuf_t        wb;
    ngx_http_s3_copy_cond_t   cc, d;

    /* the source: ETag "abc", modified at 1000 s (1000500 ms) */

    etag = (ngx_str_t) S("abc");

    ngx_memzero(&cc, sizeof(cc));
    ngx_tap_ok(ngx_http_s3_copy_cond_check(&cc, &etag, 1000500) == NGX_OK,
               "copy: no conditions");

    cc.cond = NGX_HTTP_S3_WIRE_SRC_IF_MATCH;
    cc.match = (ngx_str_t) S("\"abc\"");
    ngx_tap_ok(ngx_http_s3_copy_cond_check(&cc, &etag, 1000500) == NGX_OK,
               "copy: if-match matches");

    cc.match = (ngx_str_t) S("\"x\", abc");
    ngx_tap_ok(ngx_http_s3_copy_cond_check(&cc, &etag, 1000500) == NGX_OK,
               "copy: if-match matches in a list, unquoted");

    cc.match = (ngx_str_t) S("\"abd\"");
    ngx_tap_ok(ngx_http_s3_copy_cond_check(&cc, &etag, 1000500)
               == NGX_DECLINED, "copy: if-match does not match");

    cc.match = (ngx_str_t) S("W/\"abc\"");
    ngx_tap_ok(ngx_http_s3_copy_cond_check(&cc, &etag, 1000500)
               == NGX_DECLINED, "copy: if-match compares strongly");

    /* if-match true decides: if-unmodified-since false does not count */

    cc.match = (ngx_str_t) S("abc");
    cc.cond |= NGX_HTTP_S3_WIRE_SRC_IF_UNMODIFIED;
    cc.unmodified_since = 999;
    ngx_tap_ok(ngx_http_s3_copy_cond_check(&cc, &etag, 1000500) == NGX_OK,
               "copy: if-match true and if-unmodified-since false: copy");

    cc.cond = NGX_HTTP_S3_WIRE_SRC_IF_UNMODIFIED;
    ngx_tap_ok(ngx_http_s3_copy_cond_check(&cc, &etag, 1000500)
               == NGX_DECLINED, "copy: modified since: 412");

    cc.unmodified_since = 1000;
    ngx_tap_ok(ngx_http_s3_copy_cond_check(&cc, &etag, 1000500) == NGX_OK,
               "copy: unmodified since the second it was written");

    ngx_memzero(&cc, sizeof(cc));
    cc.cond = NGX_HTTP_S3_WIRE_SRC_IF_NONE_MATCH;
    cc.none_match = (ngx_str_t) S("W/\"abc\"");
    ngx_tap_ok(ngx_http_s3_copy_cond_check(&cc, &etag, 1000500)
               == NGX_DECLINED, "copy: if-none-match matches weakly: 412");

    cc.none_match = (ngx_str_t) S("*");
    ngx_tap_ok(ngx_http_s3_copy_cond_check(&cc, &etag, 1000500)
               == NGX_DECLINED, "copy: if-none-match * on an object: 412");

    /* if-none-match false and if-modified-since true: 412 */

    cc.none_match = (ngx_str_t) S("abc");
    cc.cond |= NGX_HTTP_S3_WIRE_SRC_IF_MODIFIED;
    cc.modified_since = 10;
    ngx_tap_ok(ngx_http_s3_copy_cond_check(&cc, &etag, 1000500)
               == NGX_DECLINED,
               "copy: if-none-match false and if-modified-since true: 412");

    /* if-none-match true decides: if-modified-since false does not */

    cc.none_match = (ngx_str_t) S("other");
    cc.modified_since = 2000;
    ngx_tap_ok(ngx_http_s3_copy_cond_check(&cc, &etag, 1000500) == NGX_OK,
               "copy: if-none-match true and if-modified-since false: copy");

    cc.cond = NGX_HTTP_S3_WIRE_SRC_IF_MODIFIED;
    ngx_tap_ok(ngx_http_s3_copy_cond_check(&cc, &etag, 1000500)
               == NGX_DECLINED, "copy: not modified since: 412");

    cc.modified_since = 1000;
    ngx_tap_ok(ngx_http_s3_copy_cond_check(&cc, &etag, 1000500)
               == NGX_DECLINED, "copy: written in that second: 412");

    cc.modified_since = 999;
    ngx_tap_ok(ngx_http_s3_copy_cond_check(&cc, &etag, 1000500) == NGX_OK,
               "copy: modified since");

    /* the wire form */

    cc.cond = NGX_HTTP_S3_WIRE_SRC_IF_MATCH | NGX_HTTP_S3_WIRE_SRC_IF_MODIFIED;
    cc.match = (ngx_str_t) S("\"e\"");
    cc.none_match = (ngx_str_t) S("");
    cc.unmodified_since = 0;
    cc.modified_since = 1700000000;

    ngx_http_s3_wbuf_init(&wb, pool, 16);
    ngx_http_s3_wire_put_copy_cond(&wb, &cc);
    in = wbuf_str(&wb);
    ngx_http_s3_rbuf_init(&rb, &in);
    ngx_http_s3_wire_get_copy_cond(&rb, &d);

    ngx_tap_ok(!wb.error && !rb.error && rb.pos == rb.last
               && d.cond == cc.cond && str_eq(&d.match, &cc.match)
               && d.none_match.len == 0 && d.unmodified_since == 0
               && d.modified_since == cc.modified_since,
               "copy conditions round trip");

    in.len--;
    ngx_http_s3_rbuf_init(&rb, &in);
    ngx_http_s3_wire_get_copy_cond(&rb, &d);
    ngx_tap_ok(rb.error, "copy conditions cut short: error");
}


static void
test_record_patch(void)
{
    ngx_str_t             rec, patch, out, v, e, x, y;
    ngx_http_s3_wbuf_t    rb, pb, ob, eb;

    x = (ngx_str_t) S("xx");
    y = (ngx_str_t) S("yyy");
    e = (ngx_str_t) S("");

    /* record: 3 "a", 19 "old tagging", 40 "lock", 5 "v" */

    ngx_http_s3_wbuf_init(&rb, pool, 16);
    v = (ngx_str_t) S("a");
    ngx_http_s3_record_put_field(&rb, 3, &v);
    v = (ngx_str_t) S("old tagging");
    ngx_http_s3_record_put_field(&rb, 19, &v);
    v = (ngx_str_t) S("lock");
    ngx_http_s3_record_put_field(&rb, 40, &v);
    v = (ngx_str_t) S("v");
    ngx_http_s3_record_put_field(&rb, 5, &v);
    rec = wbuf_str(&rb);

    /* patch: 40 replaced, 19 removed, 28 added, 29 removed (absent) */

    ngx_http_s3_wbuf_init(&pb, pool, 16);
    ngx_http_s3_record_put_field(&pb, 40, &x);
    ngx_http_s3_record_put_field(&pb, 19, &e);
    ngx_http_s3_record_put_field(&pb, 28, &y);
    ngx_http_s3_record_put_field(&pb, 29, &e);
    patch = wbuf_str(&pb);

    ngx_http_s3_wbuf_init(&ob, pool, 16);
    ngx_tap_ok(ngx_http_s3_record_patch(&ob, &rec, &patch) == NGX_OK,
               "patch: applied");
    out = wbuf_str(&ob);

    /* expected: 3 "a", 40 "xx", 5 "v", 28 "yyy" */

    ngx_http_s3_wbuf_init(&eb, pool, 16);
    v = (ngx_str_t) S("a");
    ngx_http_s3_record_put_field(&eb, 3, &v);
    ngx_http_s3_record_put_field(&eb, 40, &x);
    v = (ngx_str_t) S("v");
    ngx_http_s3_record_put_field(&eb, 5, &v);
    ngx_http_s3_record_put_field(&eb, 28, &y);
    v = wbuf_str(&eb);

    ngx_tap_ok(str_eq(&out, &v),
               "patch: replaced in place, removed, added last");

    ngx_tap_ok(ngx_http_s3_record_field(&out, 40, &v) == NGX_OK
               && str_eq(&v, &x), "record field: found");
    ngx_tap_ok(ngx_http_s3_record_field(&out, 19, &v) == NGX_DECLINED,
               "record field: removed");

    /* applied again: the same record (a replay changes nothing) */

    ngx_http_s3_wbuf_init(&eb, pool, 16);
    ngx_tap_ok(ngx_http_s3_record_patch(&eb, &out, &patch) == NGX_OK
               && str_eq(&out, (v = wbuf_str(&eb), &v)),
               "patch: idempotent");

    /* a tag twice in the patch, a cut record, a cut patch */

    ngx_http_s3_wbuf_init(&pb, pool, 16);
    ngx_http_s3_record_put_field(&pb, 28, &x);
    ngx_http_s3_record_put_field(&pb, 28, &y);
    v = wbuf_str(&pb);
    ngx_http_s3_wbuf_init(&eb, pool, 16);
    ngx_tap_ok(ngx_http_s3_record_patch(&eb, &rec, &v) == NGX_ERROR,
               "patch: a tag twice is refused");

    v = rec;
    v.len--;
    ngx_http_s3_wbuf_init(&eb, pool, 16);
    ngx_tap_ok(ngx_http_s3_record_patch(&eb, &v, &patch) == NGX_ERROR,
               "patch: a cut record is refused");
    ngx_tap_ok(ngx_http_s3_record_field(&v, 99, &y) == NGX_ERROR,
               "record field: a cut record is an error");

    v = patch;
    v.len--;
    ngx_http_s3_wbuf_init(&eb, pool, 16);
    ngx_tap_ok(ngx_http_s3_record_patch(&eb, &rec, &v) == NGX_ERROR,
               "patch: a cut patch is refused");

    /* an empty record: only the additions */

    e = (ngx_str_t) S("");
    ngx_http_s3_wbuf_init(&eb, pool, 16);
    ngx_tap_ok(ngx_http_s3_record_patch(&eb, &e, &patch) == NGX_OK
               && (v = wbuf_str(&eb), ngx_http_s3_record_field(&v, 40, &y))
                  == NGX_OK
               && str_eq(&y, &x)
               && ngx_http_s3_record_field(&v, 19, &y) == NGX_DECLINED,
               "patch: of an empty record");
}


static void
test_object_tags(void)
{
    ngx_str_t              in;
    ngx_http_s3_pair_t    *t;
    ngx_http_s3_wbuf_t     wb;
    ngx_http_s3_object_t   o, d;

    ngx_memzero(&o, sizeof(o));
    o.etag = (ngx_str_t) S("abc");
    o.tags = ngx_array_create(pool, 2, sizeof(ngx_http_s3_pair_t));
    t = ngx_array_push(o.tags);
    t->name = (ngx_str_t) S("k");
    t->value = (ngx_str_t) S("");
    t = ngx_array_push(o.tags);
    t->name = (ngx_str_t) S("key 2");
    t->value = (ngx_str_t) S("v/2");

    ngx_http_s3_wbuf_init(&wb, pool, 16);
    ngx_http_s3_object_encode(&wb, &o);
    in = wbuf_str(&wb);

    ngx_tap_ok(ngx_http_s3_object_decode(&in, &d, pool) == NGX_OK
               && d.tags && d.tags->nelts == 2, "tags: round trip");

    t = d.tags->elts;
    ngx_tap_ok(t[0].value.len == 0 && str_eq(&t[1].name,
                                             &((ngx_str_t) S("key 2")))
               && str_eq(&t[1].value, &((ngx_str_t) S("v/2"))),
               "tags: pairs kept in order");

    ngx_tap_ok(ngx_http_s3_object_decode(&in, &d, NULL) == NGX_OK
               && d.tags == NULL, "tags: checked without a pool");

    /* a tags field whose pairs are cut */

    ngx_http_s3_wbuf_init(&wb, pool, 16);
    in = (ngx_str_t) S("\x00\x00\x00\x05" "abc");
    ngx_http_s3_record_put_field(&wb, NGX_HTTP_S3_FIELD_TAGS, &in);
    in = wbuf_str(&wb);
    ngx_tap_ok(ngx_http_s3_object_decode(&in, &d, pool) == NGX_ERROR
               && ngx_http_s3_object_decode(&in, &d, NULL) == NGX_ERROR,
               "tags: a cut pair is refused");

    /* an empty tags field: no tags */

    ngx_http_s3_wbuf_init(&wb, pool, 16);
    ngx_http_s3_record_put_pairs(&wb, NGX_HTTP_S3_FIELD_TAGS, NULL, 1);
    in = wbuf_str(&wb);
    ngx_tap_ok(ngx_http_s3_object_decode(&in, &d, pool) == NGX_OK
               && d.tags && d.tags->nelts == 0, "tags: an empty set");
}


static ngx_uint_t
str_eq(ngx_str_t *a, ngx_str_t *b)
{
    return a->len == b->len
           && (a->len == 0 || ngx_memcmp(a->data, b->data, a->len) == 0);
}


static ngx_str_t
wbuf_str(ngx_http_s3_wbuf_t *b)
{
    ngx_str_t  s;

    s.data = b->start;
    s.len = b->pos - b->start;

    return s;
}
