/* sources: ngx_http_s3_chunked.c ngx_http_s3_sigv4.c ngx_http_s3_util.c */

/*
 * Copyright (C) ngx_s3 authors
 *
 * The aws-chunked decoder, against AWS's published "Example: PUT Object"
 * of "Signature Calculations for the Authorization Header: Transferring
 * Payload in Multiple Chunks" (65 KiB of 'a' in 64 KiB chunks, seed
 * signature 4f232c43...), fed in every slicing; then the unsigned and
 * signed trailer variants, with signatures computed here.
 */


#include <ngx_config.h>
#include <ngx_core.h>

#include "ngx_http_s3_sigv4.h"
#include "ngx_http_s3_chunked.h"

#include "ngx_stub.h"


#define SECRET      "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
#define AMZ_DATE    "20130524T000000Z"
#define SCOPE       "20130524/us-east-1/s3/aws4_request"
#define SEED        \
    "4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9"
#define SIG1        \
    "ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648"
#define SIG2        \
    "0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497"
#define SIG3        \
    "b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9"
#define EMPTY       \
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"


typedef struct {
    ngx_int_t                   rc;
    ngx_http_s3_chunked_err_e   err;
    u_char                     *data;
    size_t                      len;
    size_t                      left;     /* input not consumed at the end */
} result_t;


static ngx_pool_t  *pool;
static u_char       key[NGX_HTTP_S3_SIGV4_KEY_LEN];


static void init(ngx_http_s3_chunked_t *ch, ngx_uint_t mode,
    const char *seed);
static result_t decode(ngx_http_s3_chunked_t *ch, u_char *body, size_t len,
    size_t slice);
static result_t decode_mode(ngx_uint_t mode, const char *seed, u_char *body,
    size_t len, size_t slice);
static u_char *aws_body(size_t *len);
static void sign(const char *algorithm, u_char *prev, u_char *data,
    size_t len, ngx_uint_t payload, u_char *hex);
static u_char *cat(u_char *p, const char *s);
static u_char *chunks(u_char *p, u_char *s1, u_char *s2);
static void test_mode(void);
static void test_aws_example(void);
static void test_framing(void);
static void test_unsigned_trailer(void);
static void test_signed_trailer(void);


int
main(void)
{
    ngx_str_t  secret, date, region, service;

    pool = ngx_stub_pool();

    ngx_str_set(&secret, SECRET);
    ngx_str_set(&date, "20130524");
    ngx_str_set(&region, "us-east-1");
    ngx_str_set(&service, "s3");

    if (ngx_http_s3_sigv4_signing_key(&secret, &date, &region, &service, key)
        != NGX_OK)
    {
        ngx_tap_diag("no signing key");
        return 1;
    }

    test_mode();
    test_aws_example();
    test_framing();
    test_unsigned_trailer();
    test_signed_trailer();

    return ngx_tap_done();
}


static void
init(ngx_http_s3_chunked_t *ch, ngx_uint_t mode, const char *seed)
{
    ngx_str_t  s, date, scope;

    ngx_str_set(&date, AMZ_DATE);
    ngx_str_set(&scope, SCOPE);

    s.data = (u_char *) seed;
    s.len = seed ? ngx_strlen(seed) : 0;

    if (ngx_http_s3_chunked_init(ch, pool, mode, key, &date, &scope, &s)
        != NGX_OK)
    {
        ngx_tap_diag("init failed");
    }
}


/* feeds body in slices of the given size, collects what comes out */

static result_t
decode(ngx_http_s3_chunked_t *ch, u_char *body, size_t len, size_t slice)
{
    u_char     *pos, *last, *end;
    size_t      n;
    result_t    res;
    ngx_str_t   out;

    res.data = ngx_pnalloc(pool, len + 1);
    res.len = 0;
    res.rc = NGX_AGAIN;
    res.left = 0;

    end = body + len;
    pos = body;

    while (pos < end) {
        n = ngx_min(slice, (size_t) (end - pos));
        last = pos + n;

        for ( ;; ) {
            res.rc = ngx_http_s3_chunked_feed(ch, &pos, last, &out);

            if (res.rc != NGX_OK) {
                break;
            }

            ngx_memcpy(res.data + res.len, out.data, out.len);
            res.len += out.len;
        }

        if (res.rc == NGX_DONE || res.rc == NGX_ERROR) {
            res.left = end - pos;
            break;
        }

        if (pos != last) {
            ngx_tap_diag("NGX_AGAIN with input left");
            res.rc = -100;
            break;
        }
    }

    if (res.rc == NGX_AGAIN) {
        res.rc = ngx_http_s3_chunked_eof(ch);
    }

    res.err = ch->err;

    return res;
}


static result_t
decode_mode(ngx_uint_t mode, const char *seed, u_char *body, size_t len,
    size_t slice)
{
    ngx_http_s3_chunked_t  ch;

    init(&ch, mode, seed);

    return decode(&ch, body, len, slice);
}


/* the body of AWS's example: 65536 + 1024 bytes of 'a' */

static u_char *
aws_body(size_t *len)
{
    u_char  *b, *p;

    b = ngx_pnalloc(pool, 66560 + 512);
    p = b;

    p = ngx_cpymem(p, "10000;chunk-signature=" SIG1 "\r\n", 88);
    ngx_memset(p, 'a', 65536);
    p += 65536;
    p = ngx_cpymem(p, "\r\n", 2);
    p = ngx_cpymem(p, "400;chunk-signature=" SIG2 "\r\n", 86);
    ngx_memset(p, 'a', 1024);
    p += 1024;
    p = ngx_cpymem(p, "\r\n", 2);
    p = ngx_cpymem(p, "0;chunk-signature=" SIG3 "\r\n\r\n", 86);

    *len = p - b;

    return b;
}


static void
sign(const char *algorithm, u_char *prev, u_char *data, size_t len,
    ngx_uint_t payload, u_char *hex)
{
    u_char     buf[512], *p;
    ngx_str_t  sts;

    p = cat(buf, algorithm);
    p = cat(p, "\n" AMZ_DATE "\n" SCOPE "\n");
    p = ngx_cpymem(p, prev, 64);
    *p++ = '\n';

    if (payload) {
        p = cat(p, EMPTY "\n");
    }

    (void) ngx_http_s3_sigv4_sha256_hex(data, len, p);
    p += 64;

    sts.data = buf;
    sts.len = p - buf;

    (void) ngx_http_s3_sigv4_sign(key, &sts, hex);
}


static u_char *
cat(u_char *p, const char *s)
{
    return ngx_cpymem(p, s, ngx_strlen(s));
}


/* "hello" signed with s1, then the final chunk signed with s2 */

static u_char *
chunks(u_char *p, u_char *s1, u_char *s2)
{
    p = cat(p, "5;chunk-signature=");
    p = ngx_cpymem(p, s1, 64);
    p = cat(p, "\r\nhello\r\n0;chunk-signature=");
    p = ngx_cpymem(p, s2, 64);

    return cat(p, "\r\n");
}


static void
test_mode(void)
{
    ngx_str_t  v;

    ngx_str_set(&v, "STREAMING-AWS4-HMAC-SHA256-PAYLOAD");
    ngx_tap_ok(ngx_http_s3_chunked_mode(&v) == NGX_HTTP_S3_CHUNKED_SIGNED,
               "mode: signed");

    ngx_str_set(&v, "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER");
    ngx_tap_ok(ngx_http_s3_chunked_mode(&v)
               == NGX_HTTP_S3_CHUNKED_SIGNED_TRAILER,
               "mode: signed with trailer");

    ngx_str_set(&v, "STREAMING-UNSIGNED-PAYLOAD-TRAILER");
    ngx_tap_ok(ngx_http_s3_chunked_mode(&v)
               == NGX_HTTP_S3_CHUNKED_UNSIGNED_TRAILER,
               "mode: unsigned with trailer");

    ngx_str_set(&v, "UNSIGNED-PAYLOAD");
    ngx_tap_ok(ngx_http_s3_chunked_mode(&v) == NGX_DECLINED,
               "mode: UNSIGNED-PAYLOAD is not chunked");
}


static void
test_aws_example(void)
{
    size_t       len, i, good;
    u_char      *body;
    result_t     res;
    ngx_uint_t   k;

    static size_t  slices[] = { 1, 2, 7, 64, 89, 100, 4096, 65536, 65624,
                                70000, 1000000 };

    body = aws_body(&len);

    ngx_tap_is_int(len, 66824, "AWS example: Content-Length 66824");

    good = 0;

    for (k = 0; k < sizeof(slices) / sizeof(size_t); k++) {
        res = decode_mode(NGX_HTTP_S3_CHUNKED_SIGNED, SEED, body, len,
                          slices[k]);

        for (i = 0; i < res.len && res.data[i] == 'a'; i++) { /* void */ }

        if (res.rc == NGX_DONE && res.len == 66560 && i == res.len
            && res.left == 0)
        {
            good++;

        } else {
            ngx_tap_diag("slice %zu: rc %d len %zu err %d", slices[k],
                         (int) res.rc, res.len, (int) res.err);
        }
    }

    ngx_tap_ok(good == sizeof(slices) / sizeof(size_t),
               "AWS example: 66560 bytes of 'a', verified, in any slicing");

    body[88 + 100] = 'b';
    res = decode_mode(NGX_HTTP_S3_CHUNKED_SIGNED, SEED, body, len, 4096);
    ngx_tap_ok(res.rc == NGX_ERROR
               && res.err == NGX_HTTP_S3_CHUNKED_ERR_SIGNATURE
               && res.len < 65536,
               "AWS example: a changed byte in chunk 1 fails before its "
               "last slice");
    body[88 + 100] = 'a';

    body[len - 200] = 'b';
    res = decode_mode(NGX_HTTP_S3_CHUNKED_SIGNED, SEED, body, len, len);
    ngx_tap_ok(res.rc == NGX_ERROR
               && res.err == NGX_HTTP_S3_CHUNKED_ERR_SIGNATURE,
               "AWS example: a changed byte in chunk 2 fails");
    body[len - 200] = 'a';

    res = decode_mode(NGX_HTTP_S3_CHUNKED_SIGNED, SIG1, body, len, len);
    ngx_tap_ok(res.rc == NGX_ERROR
               && res.err == NGX_HTTP_S3_CHUNKED_ERR_SIGNATURE,
               "AWS example: another seed signature fails");

    body[len - 10] ^= 1;
    res = decode_mode(NGX_HTTP_S3_CHUNKED_SIGNED, SEED, body, len, 100);
    ngx_tap_ok(res.rc == NGX_ERROR
               && res.err == NGX_HTTP_S3_CHUNKED_ERR_SIGNATURE
               && res.len == 66560,
               "AWS example: a bad final chunk signature fails");
    body[len - 10] ^= 1;

    res = decode_mode(NGX_HTTP_S3_CHUNKED_SIGNED, SEED, body, len - 2, 100);
    ngx_tap_ok(res.rc == NGX_DONE && res.len == 66560,
               "AWS example: the last CRLF missing is accepted at eof");

    res = decode_mode(NGX_HTTP_S3_CHUNKED_SIGNED, SEED, body, len - 90,
                      1000);
    ngx_tap_ok(res.rc == NGX_ERROR
               && res.err == NGX_HTTP_S3_CHUNKED_ERR_FORMAT,
               "AWS example: no final chunk is an incomplete body");

    res = decode_mode(NGX_HTTP_S3_CHUNKED_SIGNED, SEED, body, 5000, 1000);
    ngx_tap_ok(res.rc == NGX_ERROR
               && res.err == NGX_HTTP_S3_CHUNKED_ERR_FORMAT,
               "AWS example: a body cut in data is an incomplete body");

    {
        ngx_http_s3_chunked_t  ch;

        init(&ch, NGX_HTTP_S3_CHUNKED_SIGNED, SEED);
        ch.max_decoded = 66559;

        res = decode(&ch, body, len, 10000);
        ngx_tap_ok(res.rc == NGX_ERROR
                   && res.err == NGX_HTTP_S3_CHUNKED_ERR_TOO_LARGE,
                   "AWS example: over max_decoded");
    }
}


static void
test_framing(void)
{
    u_char                  *b, *p;
    size_t                   len;
    result_t                 res;
    ngx_http_s3_chunked_t    ch;
    u_char                   sig[64], line[400];

    /* one chunk "hello", signed, with junk after the body */

    sign("AWS4-HMAC-SHA256-PAYLOAD", (u_char *) SEED, (u_char *) "hello", 5,
         1, sig);

    b = ngx_pnalloc(pool, 400);
    p = cat(b, "5;chunk-signature=");
    p = ngx_cpymem(p, sig, 64);
    p = cat(p, "\r\nhello\r\n0;chunk-signature=");
    sign("AWS4-HMAC-SHA256-PAYLOAD", sig, (u_char *) "", 0, 1, p);
    p = cat(p + 64, "\r\n\r\nGET / HTTP/1.1");
    len = p - b;

    res = decode_mode(NGX_HTTP_S3_CHUNKED_SIGNED, SEED, b, len, 3);
    ngx_tap_ok(res.rc == NGX_DONE && res.len == 5
               && ngx_memcmp(res.data, "hello", 5) == 0 && res.left == 14,
               "framing: done before what follows the body");

    res = decode_mode(NGX_HTTP_S3_CHUNKED_SIGNED, SEED,
                      (u_char *) "5\r\nhello\r\n", 10, 100);
    ngx_tap_ok(res.rc == NGX_ERROR
               && res.err == NGX_HTTP_S3_CHUNKED_ERR_FORMAT,
               "framing: signed chunk without chunk-signature");

    res = decode_mode(NGX_HTTP_S3_CHUNKED_SIGNED, SEED,
                      (u_char *) "5;chunk-signature=abc\r\nhello\r\n", 30,
                      100);
    ngx_tap_ok(res.rc == NGX_ERROR
               && res.err == NGX_HTTP_S3_CHUNKED_ERR_FORMAT,
               "framing: short chunk-signature");

    res = decode_mode(NGX_HTTP_S3_CHUNKED_UNSIGNED_TRAILER, NULL,
                      (u_char *) "5\nhello\r\n0\r\n\r\n", 15, 100);
    ngx_tap_ok(res.rc == NGX_ERROR
               && res.err == NGX_HTTP_S3_CHUNKED_ERR_FORMAT,
               "framing: bare LF after the size");

    res = decode_mode(NGX_HTTP_S3_CHUNKED_UNSIGNED_TRAILER, NULL,
                      (u_char *) "5\r\nhelloX\r\n0\r\n\r\n", 17, 100);
    ngx_tap_ok(res.rc == NGX_ERROR
               && res.err == NGX_HTTP_S3_CHUNKED_ERR_FORMAT,
               "framing: data longer than its size");

    res = decode_mode(NGX_HTTP_S3_CHUNKED_UNSIGNED_TRAILER, NULL,
                      (u_char *) "x\r\n", 3, 100);
    ngx_tap_ok(res.rc == NGX_ERROR
               && res.err == NGX_HTTP_S3_CHUNKED_ERR_FORMAT,
               "framing: size not hex");

    res = decode_mode(NGX_HTTP_S3_CHUNKED_UNSIGNED_TRAILER, NULL,
                      (u_char *) "\r\n", 2, 100);
    ngx_tap_ok(res.rc == NGX_ERROR
               && res.err == NGX_HTTP_S3_CHUNKED_ERR_FORMAT,
               "framing: empty size line");

    res = decode_mode(NGX_HTTP_S3_CHUNKED_UNSIGNED_TRAILER, NULL,
                      (u_char *) "10000000000000000\r\n", 19, 100);
    ngx_tap_ok(res.rc == NGX_ERROR
               && res.err == NGX_HTTP_S3_CHUNKED_ERR_TOO_LARGE,
               "framing: size over off_t");

    ngx_memset(line, '0', sizeof(line));
    res = decode_mode(NGX_HTTP_S3_CHUNKED_UNSIGNED_TRAILER, NULL, line,
                      sizeof(line), 100);
    ngx_tap_ok(res.rc == NGX_ERROR
               && res.err == NGX_HTTP_S3_CHUNKED_ERR_TOO_LARGE,
               "framing: size line over the cap");

    init(&ch, NGX_HTTP_S3_CHUNKED_UNSIGNED_TRAILER, NULL);
    res = decode(&ch, (u_char *) "x\r\n", 3, 100);
    res = decode(&ch, (u_char *) "0\r\n\r\n", 5, 100);
    ngx_tap_ok(res.rc == NGX_ERROR, "framing: an error is sticky");

    res = decode_mode(NGX_HTTP_S3_CHUNKED_SIGNED, SEED,
                      (u_char *) "", 0, 100);
    ngx_tap_ok(res.rc == NGX_ERROR
               && res.err == NGX_HTTP_S3_CHUNKED_ERR_FORMAT,
               "framing: an empty body is incomplete");
}


static void
test_unsigned_trailer(void)
{
    result_t       res;
    ngx_keyval_t  *kv;
    u_char         big[8192], *p;
    ngx_uint_t     i;

    static u_char  body[] =
        "5\r\nhello\r\n"
        "6;ext=1\r\n world\r\n"
        "0\r\n"
        "x-amz-checksum-crc32:NhCmhg==\r\n"
        "X-Other :  v  \n"
        "\r\n";

    res = decode_mode(NGX_HTTP_S3_CHUNKED_UNSIGNED_TRAILER, NULL, body,
                      sizeof(body) - 1, 1);
    ngx_tap_ok(res.rc == NGX_DONE && res.len == 11
               && ngx_memcmp(res.data, "hello world", 11) == 0,
               "unsigned trailer: data, extensions ignored");

    {
        ngx_http_s3_chunked_t  ch;

        init(&ch, NGX_HTTP_S3_CHUNKED_UNSIGNED_TRAILER, NULL);
        res = decode(&ch, body, sizeof(body) - 1, 5);

        kv = ch.trailers ? ch.trailers->elts : NULL;

        ngx_tap_ok(res.rc == NGX_DONE && kv && ch.trailers->nelts == 2
                   && ngx_tap_is_str(kv[0].key.data, kv[0].key.len,
                                     "x-amz-checksum-crc32", "trailer name")
                   && ngx_tap_is_str(kv[0].value.data, kv[0].value.len,
                                     "NhCmhg==", "trailer value")
                   && ngx_tap_is_str(kv[1].key.data, kv[1].key.len,
                                     "x-other", "trailer 2 name")
                   && ngx_tap_is_str(kv[1].value.data, kv[1].value.len,
                                     "v", "trailer 2 value"),
                   "unsigned trailer: trailers parsed, names lowercase");
    }

    res = decode_mode(NGX_HTTP_S3_CHUNKED_UNSIGNED_TRAILER, NULL,
                      (u_char *) "0\r\n\r\n", 5, 1);
    ngx_tap_ok(res.rc == NGX_DONE && res.len == 0,
               "unsigned trailer: empty body, no trailers");

    res = decode_mode(NGX_HTTP_S3_CHUNKED_UNSIGNED_TRAILER, NULL,
                      (u_char *) "0\r\nno colon\r\n\r\n", 16, 1);
    ngx_tap_ok(res.rc == NGX_ERROR
               && res.err == NGX_HTTP_S3_CHUNKED_ERR_FORMAT,
               "unsigned trailer: a line without ':'");

    res = decode_mode(NGX_HTTP_S3_CHUNKED_UNSIGNED_TRAILER, NULL,
                      (u_char *) "0\r\nx-amz-trailer-signature:abc\r\n\r\n",
                      35, 1);
    ngx_tap_ok(res.rc == NGX_ERROR
               && res.err == NGX_HTTP_S3_CHUNKED_ERR_FORMAT,
               "unsigned trailer: a trailer signature is unexpected");

    p = ngx_cpymem(big, "0\r\n", 3);

    for (i = 0; i < 200; i++) {
        p = ngx_cpymem(p, "x-amz-meta-aaaaaaaaaaaa:0123456789\r\n", 36);
    }

    p = ngx_cpymem(p, "\r\n", 2);

    res = decode_mode(NGX_HTTP_S3_CHUNKED_UNSIGNED_TRAILER, NULL, big,
                      p - big, 1000);
    ngx_tap_ok(res.rc == NGX_ERROR
               && res.err == NGX_HTTP_S3_CHUNKED_ERR_TOO_LARGE,
               "unsigned trailer: trailers over the cap");

    res = decode_mode(NGX_HTTP_S3_CHUNKED_SIGNED, SEED,
                      (u_char *) "0;chunk-signature=" SIG3 "\r\n"
                                 "x-amz-checksum-crc32:NhCmhg==\r\n\r\n",
                      86 + 31 + 2, 7);
    ngx_tap_ok(res.rc == NGX_ERROR,
               "signed without trailer: a trailer is unexpected");
}


static void
test_signed_trailer(void)
{
    u_char                 *b, *p;
    u_char                  s1[64], s2[64], st[64];
    size_t                  len;
    result_t                res;
    ngx_keyval_t           *kv;
    ngx_http_s3_chunked_t   ch;

    static u_char  canonical[] = "x-amz-checksum-crc32:NhCmhg==\n";

    /*
     * signatures computed here with the published chain rules: this
     * checks the decoder against the encoder's rules, not against AWS
     */

    sign("AWS4-HMAC-SHA256-PAYLOAD", (u_char *) SEED, (u_char *) "hello", 5,
         1, s1);
    sign("AWS4-HMAC-SHA256-PAYLOAD", s1, (u_char *) "", 0, 1, s2);
    sign("AWS4-HMAC-SHA256-TRAILER", s2, canonical, sizeof(canonical) - 1, 0,
         st);

    b = ngx_pnalloc(pool, 1024);

    p = chunks(b, s1, s2);
    p = cat(p, "x-amz-checksum-crc32:NhCmhg==\r\nx-amz-trailer-signature:");
    p = ngx_cpymem(p, st, 64);
    p = cat(p, "\r\n\r\n");
    len = p - b;

    init(&ch, NGX_HTTP_S3_CHUNKED_SIGNED_TRAILER, SEED);
    res = decode(&ch, b, len, 1);
    kv = ch.trailers ? ch.trailers->elts : NULL;

    ngx_tap_ok(res.rc == NGX_DONE && res.len == 5 && kv
               && ch.trailers->nelts == 1
               && kv[0].value.len == 8
               && ngx_memcmp(kv[0].value.data, "NhCmhg==", 8) == 0,
               "signed trailer: chunks and trailer signature verified");

    /* the quirk of an empty line between the trailers and the signature */

    p = chunks(b, s1, s2);
    p = cat(p, "x-amz-checksum-crc32:NhCmhg==\n\r\n"
               "x-amz-trailer-signature:");
    p = ngx_cpymem(p, st, 64);
    p = cat(p, "\r\n\r\n");

    res = decode_mode(NGX_HTTP_S3_CHUNKED_SIGNED_TRAILER, SEED, b, p - b, 9);
    ngx_tap_ok(res.rc == NGX_DONE && res.len == 5,
               "signed trailer: an empty line before the signature");

    p = chunks(b, s1, s2);
    p = cat(p, "x-amz-checksum-crc32:NhCmhG==\r\nx-amz-trailer-signature:");
    p = ngx_cpymem(p, st, 64);
    p = cat(p, "\r\n\r\n");

    res = decode_mode(NGX_HTTP_S3_CHUNKED_SIGNED_TRAILER, SEED, b, p - b, 9);
    ngx_tap_ok(res.rc == NGX_ERROR
               && res.err == NGX_HTTP_S3_CHUNKED_ERR_SIGNATURE,
               "signed trailer: a changed trailer fails");

    p = chunks(b, s1, s2);
    p = cat(p, "x-amz-checksum-crc32:NhCmhg==\r\n\r\n");

    res = decode_mode(NGX_HTTP_S3_CHUNKED_SIGNED_TRAILER, SEED, b, p - b,
                      100);
    ngx_tap_ok(res.rc == NGX_ERROR
               && res.err == NGX_HTTP_S3_CHUNKED_ERR_SIGNATURE,
               "signed trailer: a missing trailer signature fails");

    p = chunks(b, s1, s2);
    p = cat(p, "\r\n");

    res = decode_mode(NGX_HTTP_S3_CHUNKED_SIGNED_TRAILER, SEED, b, p - b,
                      100);
    ngx_tap_ok(res.rc == NGX_DONE && res.len == 5,
               "signed trailer: no trailers at all");
}
