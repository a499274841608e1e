/* sources: ngx_http_s3_sigv4.c ngx_http_s3_util.c */

/*
 * Copyright (C) ngx_s3 authors
 *
 * AWS Signature Version 4 against AWS's published examples:
 *   - S3 API reference, "Signature Calculations for the Authorization
 *     Header: Transferring Payload in a Single Chunk": GET Object (Range),
 *     PUT Object, GET Bucket Lifecycle, GET Bucket (List Objects);
 *   - S3 API reference, "Authenticating Requests: Using Query Parameters":
 *     the presigned GET of test.txt;
 *   - S3 API reference, "Transferring Payload in Multiple Chunks": the seed
 *     signature of the chunked PUT;
 *   - IAM user guide, SigV4 signing key derivation (20150830/us-east-1/iam).
 */


#include <ngx_config.h>
#include <ngx_core.h>

#include "ngx_http_s3_sigv4.h"

#include "ngx_stub.h"


#define AK          "AKIAIOSFODNN7EXAMPLE"
#define SECRET      "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
#define HOST        "examplebucket.s3.amazonaws.com"
#define AMZ_DATE    "20130524T000000Z"
#define EMPTY_SHA   \
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
#define PUT_SHA     \
    "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072"
#define CRED        AK "/20130524/us-east-1/s3/aws4_request"

#define SIG_GET       \
    "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41"
#define SIG_PUT       \
    "98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd"
#define SIG_LIFECYCLE \
    "fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543"
#define SIG_LIST      \
    "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7"
#define SIG_SEED      \
    "4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9"


static ngx_pool_t  *pool;


static void ok(int cond, const char *name);
static ngx_int_t str_is(ngx_str_t *s, const char *expect);
static ngx_array_t *headers(const char **kv);
static void sign_case(const char *name, const char *method, const char *path,
    const char *args, const char **kv, const char *signed_headers,
    const char *payload, const char *canonical, const char *expect_sig);
static void test_signing_key(void);
static void test_s3_examples(void);
static void test_header_parse(void);
static void test_presigned(void);
static void test_streaming_seed(void);
static void test_canonical_details(void);
static void test_dates(void);
static void test_helpers(void);
static void test_alloc_failures(void);


int
main(void)
{
    pool = ngx_stub_pool();

    test_signing_key();
    test_s3_examples();
    test_header_parse();
    test_presigned();
    test_streaming_seed();
    test_canonical_details();
    test_dates();
    test_helpers();
    test_alloc_failures();

    return ngx_tap_done();
}


static void
ok(int cond, const char *name)
{
    (void) ngx_tap_ok(cond, "%s", name);
}


static ngx_int_t
str_is(ngx_str_t *s, const char *expect)
{
    size_t  len;

    len = ngx_strlen(expect);

    if (s->len == len && ngx_memcmp(s->data, expect, len) == 0) {
        return 1;
    }

    ngx_tap_diag("got:    '%.*s'", (int) s->len, s->data);
    ngx_tap_diag("expect: '%s'", expect);

    return 0;
}


static ngx_array_t *
headers(const char **kv)
{
    ngx_array_t   *a;
    ngx_keyval_t  *h;

    a = ngx_array_create(pool, 8, sizeof(ngx_keyval_t));
    if (a == NULL) {
        return NULL;
    }

    for ( /* void */ ; kv[0] != NULL; kv += 2) {
        h = ngx_array_push(a);
        if (h == NULL) {
            return NULL;
        }

        h->key.data = (u_char *) kv[0];
        h->key.len = ngx_strlen(kv[0]);
        h->value.data = (u_char *) kv[1];
        h->value.len = ngx_strlen(kv[1]);
    }

    return a;
}


static void
sign_case(const char *name, const char *method, const char *path,
    const char *args, const char **kv, const char *signed_headers,
    const char *payload, const char *canonical, const char *expect_sig)
{
    u_char                    hex[NGX_HTTP_S3_SIGV4_HEX_LEN];
    char                      title[128];
    ngx_str_t                 cr, date, secret, credential;
    ngx_http_s3_sigv4_t       sig;
    ngx_http_s3_sigv4_req_t   req;

    ngx_memzero(&req, sizeof(req));

    req.method.data = (u_char *) method;
    req.method.len = ngx_strlen(method);
    req.path.data = (u_char *) path;
    req.path.len = ngx_strlen(path);
    req.args.data = (u_char *) args;
    req.args.len = ngx_strlen(args);
    req.headers = headers(kv);
    req.signed_headers.data = (u_char *) signed_headers;
    req.signed_headers.len = ngx_strlen(signed_headers);
    req.payload_hash.data = (u_char *) payload;
    req.payload_hash.len = ngx_strlen(payload);

    if (canonical) {
        snprintf(title, sizeof(title), "%s: canonical request", name);
        ok(ngx_http_s3_sigv4_canonical_request(pool, &req, &cr) == NGX_OK
           && str_is(&cr, canonical), title);
    }

    ngx_str_set(&credential, CRED);
    ngx_memzero(&sig, sizeof(sig));
    (void) ngx_http_s3_sigv4_parse_credential(&credential, &sig);

    ngx_str_set(&date, AMZ_DATE);
    ngx_str_set(&secret, SECRET);

    snprintf(title, sizeof(title), "%s: signature", name);
    ok(ngx_http_s3_sigv4_signature(pool, &req, &sig, &date, &secret, hex)
       == NGX_OK
       && ngx_http_s3_sigv4_equal(hex, sizeof(hex), (u_char *) expect_sig,
                                  ngx_strlen(expect_sig)),
       title);
}


static void
test_signing_key(void)
{
    u_char     key[NGX_HTTP_S3_SIGV4_KEY_LEN];
    u_char     hex[NGX_HTTP_S3_SIGV4_HEX_LEN];
    ngx_str_t  secret, date, region, service, sts;

    /* IAM user guide: derived signing key, then the ListUsers signature */

    ngx_str_set(&secret, "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY");
    ngx_str_set(&date, "20150830");
    ngx_str_set(&region, "us-east-1");
    ngx_str_set(&service, "iam");

    ok(ngx_http_s3_sigv4_signing_key(&secret, &date, &region, &service, key)
       == NGX_OK, "signing key: derived");

    ngx_hex_dump(hex, key, sizeof(key));

    ok(ngx_memcmp(hex, "c4afb1cc5771d871763a393e44b703571b55cc28424d1a5e"
                       "86da6ed3c154a4b9", 64) == 0,
       "signing key: 20150830/us-east-1/iam matches the IAM example");

    ngx_str_set(&sts, "AWS4-HMAC-SHA256\n"
                      "20150830T123600Z\n"
                      "20150830/us-east-1/iam/aws4_request\n"
                      "f536975d06c0309214f805bb90ccff089219ecd68b2577efef"
                      "23edd43b7e1a59");

    ok(ngx_http_s3_sigv4_sign(key, &sts, hex) == NGX_OK
       && ngx_memcmp(hex, "5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400"
                          "e06b5924a6f2b5d7", 64) == 0,
       "signing key: IAM example string to sign gives its signature");
}


static void
test_s3_examples(void)
{
    u_char                    hex[NGX_HTTP_S3_SIGV4_HEX_LEN];
    ngx_str_t                 cr, sts, date, scope;
    ngx_http_s3_sigv4_req_t   req;

    static const char  *get_h[] = {
        "Host", HOST,
        "Range", "bytes=0-9",
        "x-amz-content-sha256", EMPTY_SHA,
        "x-amz-date", AMZ_DATE,
        "User-Agent", "not signed",
        NULL
    };

    static const char  *put_h[] = {
        "Host", HOST,
        "Date", "Fri, 24 May 2013 00:00:00 GMT",
        "x-amz-date", AMZ_DATE,
        "x-amz-storage-class", "REDUCED_REDUNDANCY",
        "x-amz-content-sha256", PUT_SHA,
        "Content-Length", "21",
        NULL
    };

    static const char  *list_h[] = {
        "Host", HOST,
        "x-amz-date", AMZ_DATE,
        "x-amz-content-sha256", EMPTY_SHA,
        NULL
    };

    static const char  get_cr[] =
        "GET\n"
        "/test.txt\n"
        "\n"
        "host:examplebucket.s3.amazonaws.com\n"
        "range:bytes=0-9\n"
        "x-amz-content-sha256:" EMPTY_SHA "\n"
        "x-amz-date:20130524T000000Z\n"
        "\n"
        "host;range;x-amz-content-sha256;x-amz-date\n"
        EMPTY_SHA;

    static const char  put_cr[] =
        "PUT\n"
        "/test%24file.text\n"
        "\n"
        "date:Fri, 24 May 2013 00:00:00 GMT\n"
        "host:examplebucket.s3.amazonaws.com\n"
        "x-amz-content-sha256:" PUT_SHA "\n"
        "x-amz-date:20130524T000000Z\n"
        "x-amz-storage-class:REDUCED_REDUNDANCY\n"
        "\n"
        "date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class\n"
        PUT_SHA;

    static const char  lifecycle_cr[] =
        "GET\n"
        "/\n"
        "lifecycle=\n"
        "host:examplebucket.s3.amazonaws.com\n"
        "x-amz-content-sha256:" EMPTY_SHA "\n"
        "x-amz-date:20130524T000000Z\n"
        "\n"
        "host;x-amz-content-sha256;x-amz-date\n"
        EMPTY_SHA;

    static const char  list_cr[] =
        "GET\n"
        "/\n"
        "max-keys=2&prefix=J\n"
        "host:examplebucket.s3.amazonaws.com\n"
        "x-amz-content-sha256:" EMPTY_SHA "\n"
        "x-amz-date:20130524T000000Z\n"
        "\n"
        "host;x-amz-content-sha256;x-amz-date\n"
        EMPTY_SHA;

    sign_case("GET Object", "GET", "/test.txt", "", get_h,
              "host;range;x-amz-content-sha256;x-amz-date", EMPTY_SHA,
              get_cr,
              SIG_GET);

    /* the string to sign of the GET example, as published */

    ngx_memzero(&req, sizeof(req));
    ngx_str_set(&req.method, "GET");
    ngx_str_set(&req.path, "/test.txt");
    req.headers = headers(get_h);
    ngx_str_set(&req.signed_headers,
                "host;range;x-amz-content-sha256;x-amz-date");
    ngx_str_set(&req.payload_hash, EMPTY_SHA);
    ngx_str_set(&date, AMZ_DATE);
    ngx_str_set(&scope, "20130524/us-east-1/s3/aws4_request");

    ok(ngx_http_s3_sigv4_canonical_request(pool, &req, &cr) == NGX_OK
       && ngx_http_s3_sigv4_string_to_sign(pool, &date, &scope, &cr, &sts)
          == NGX_OK
       && str_is(&sts, "AWS4-HMAC-SHA256\n"
                       "20130524T000000Z\n"
                       "20130524/us-east-1/s3/aws4_request\n"
                       "7344ae5b7ee6c3e7e6b0fe0640412a37625d1fbfff95c48bbb"
                       "2dc43964946972"),
       "GET Object: string to sign");

    sign_case("PUT Object", "PUT", "/test%24file.text", "", put_h,
              "date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class",
              PUT_SHA, put_cr,
              SIG_PUT);

    /* a client that sends '$' unencoded still matches: re-encoded */

    sign_case("PUT Object, '$' sent raw", "PUT", "/test$file.text", "",
              put_h,
              "date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class",
              PUT_SHA, put_cr,
              SIG_PUT);

    /* and one that encodes lowercase hex, too */

    sign_case("PUT Object, lowercase %24", "PUT", "/test%24file%2etext", "",
              put_h,
              "date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class",
              PUT_SHA, put_cr,
              SIG_PUT);

    sign_case("GET Bucket Lifecycle", "GET", "/", "lifecycle", list_h,
              "host;x-amz-content-sha256;x-amz-date", EMPTY_SHA,
              lifecycle_cr,
              SIG_LIFECYCLE);

    sign_case("GET Bucket Lifecycle, empty path", "GET", "", "lifecycle=",
              list_h, "host;x-amz-content-sha256;x-amz-date", EMPTY_SHA,
              lifecycle_cr,
              SIG_LIFECYCLE);

    sign_case("List Objects", "GET", "/", "prefix=J&max-keys=2", list_h,
              "host;x-amz-content-sha256;x-amz-date", EMPTY_SHA, list_cr,
              SIG_LIST);

    /* a wrong payload hash changes the signature */

    ngx_memzero(&req, sizeof(req));
    ngx_str_set(&req.method, "GET");
    ngx_str_set(&req.path, "/test.txt");
    req.headers = headers(get_h);
    ngx_str_set(&req.signed_headers,
                "host;range;x-amz-content-sha256;x-amz-date");
    ngx_str_set(&req.payload_hash, PUT_SHA);

    {
        ngx_str_t            secret, credential;
        ngx_http_s3_sigv4_t  sig;

        ngx_str_set(&secret, SECRET);
        ngx_str_set(&credential, CRED);
        (void) ngx_http_s3_sigv4_parse_credential(&credential, &sig);

        ok(ngx_http_s3_sigv4_signature(pool, &req, &sig, &date, &secret, hex)
           == NGX_OK
           && !ngx_http_s3_sigv4_equal(hex, 64, (u_char *)
                 "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6"
                 "036bdb41", 64),
           "GET Object: another payload hash does not match");
    }
}


static void
test_header_parse(void)
{
    const char           *err;
    ngx_str_t             v;
    ngx_http_s3_sigv4_t   sig;

    ngx_str_set(&v, "AWS4-HMAC-SHA256 Credential=" CRED ","
                    "SignedHeaders=host;range;x-amz-content-sha256;x-amz-date,"
                    "Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48"
                    "dd91039c6036bdb41");

    err = NULL;

    ok(ngx_http_s3_sigv4_parse_header(&v, &sig, &err) == NGX_OK
       && str_is(&sig.access_key, AK)
       && str_is(&sig.date, "20130524")
       && str_is(&sig.region, "us-east-1")
       && str_is(&sig.service, "s3")
       && str_is(&sig.terminator, "aws4_request")
       && str_is(&sig.scope, "20130524/us-east-1/s3/aws4_request")
       && str_is(&sig.signed_headers,
                 "host;range;x-amz-content-sha256;x-amz-date")
       && str_is(&sig.signature, "f0e8bdb87c964420e857bd35b5d6ed310bd44f01"
                                 "70aba48dd91039c6036bdb41"),
       "header: parsed, no spaces");

    ngx_str_set(&v, "AWS4-HMAC-SHA256 Credential=" CRED ", "
                    "SignedHeaders=host;x-amz-date ,  Signature=abc ");

    ok(ngx_http_s3_sigv4_parse_header(&v, &sig, &err) == NGX_OK
       && str_is(&sig.signed_headers, "host;x-amz-date")
       && str_is(&sig.signature, "abc"),
       "header: spaces after commas tolerated");

    ngx_str_set(&v, "AWS4-HMAC-SHA256  Signature=abc,Credential=" CRED
                    ",SignedHeaders=host");

    ok(ngx_http_s3_sigv4_parse_header(&v, &sig, &err) == NGX_OK
       && str_is(&sig.access_key, AK),
       "header: any order of the components");

    ngx_str_set(&v, "AWS " AK ":qgk2+6Sv9/oM7G3qLEjTH1a1l1g=");

    ok(ngx_http_s3_sigv4_parse_header(&v, &sig, &err) == NGX_DECLINED,
       "header: AWS2 is declined");

    ngx_str_set(&v, "AWS4-HMAC-SHA512 Credential=" CRED);

    ok(ngx_http_s3_sigv4_parse_header(&v, &sig, &err) == NGX_DECLINED,
       "header: another algorithm is declined");

    ngx_str_set(&v, "AWS4-HMAC-SHA256 Credential=" CRED ",SignedHeaders=host");
    err = NULL;

    ok(ngx_http_s3_sigv4_parse_header(&v, &sig, &err) == NGX_ERROR
       && err != NULL,
       "header: missing Signature is malformed");

    ngx_str_set(&v, "AWS4-HMAC-SHA256 Credential=" AK "/20130524/us-east-1/s3,"
                    "SignedHeaders=host,Signature=abc");

    ok(ngx_http_s3_sigv4_parse_header(&v, &sig, &err) == NGX_ERROR,
       "header: short credential is malformed");

    ngx_str_set(&v, "AWS4-HMAC-SHA256 Credential=" AK "/2013052x/us-east-1/s3/"
                    "aws4_request,SignedHeaders=host,Signature=abc");

    ok(ngx_http_s3_sigv4_parse_header(&v, &sig, &err) == NGX_ERROR,
       "header: bad credential date is malformed");

    ngx_str_set(&v, "AWS4-HMAC-SHA256 Credential=" CRED "/x,"
                    "SignedHeaders=host,Signature=abc");

    ok(ngx_http_s3_sigv4_parse_header(&v, &sig, &err) == NGX_ERROR,
       "header: long credential is malformed");

    ngx_str_set(&v, "AWS4-HMAC-SHA256 Credential=" CRED ",Credential=" CRED
                    ",SignedHeaders=host,Signature=abc");

    ok(ngx_http_s3_sigv4_parse_header(&v, &sig, &err) == NGX_ERROR,
       "header: a repeated component is malformed");

    ngx_str_set(&v, "AWS4-HMAC-SHA256");

    ok(ngx_http_s3_sigv4_parse_header(&v, &sig, &err) == NGX_ERROR,
       "header: the algorithm alone is malformed");

    ngx_str_set(&v, "AWS4-HMAC-SHA256 Credential");

    ok(ngx_http_s3_sigv4_parse_header(&v, &sig, &err) == NGX_ERROR,
       "header: a component without '=' is malformed");
}


static void
test_presigned(void)
{
    u_char                    hex[NGX_HTTP_S3_SIGV4_HEX_LEN];
    const char               *err;
    ngx_str_t                 args, cr, secret;
    ngx_http_s3_sigv4_t       sig;
    ngx_http_s3_sigv4_req_t   req;

    static const char  *h[] = {
        "Host", HOST,
        NULL
    };

    static const char  presigned_cr[] =
        "GET\n"
        "/test.txt\n"
        "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential="
        AK "%2F20130524%2Fus-east-1%2Fs3%2Faws4_request&"
        "X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&"
        "X-Amz-SignedHeaders=host\n"
        "host:examplebucket.s3.amazonaws.com\n"
        "\n"
        "host\n"
        "UNSIGNED-PAYLOAD";

    ngx_str_set(&args, "X-Amz-Algorithm=AWS4-HMAC-SHA256"
                       "&X-Amz-Credential=" AK "%2F20130524%2Fus-east-1%2Fs3"
                       "%2Faws4_request"
                       "&X-Amz-Date=20130524T000000Z"
                       "&X-Amz-Expires=86400"
                       "&X-Amz-SignedHeaders=host"
                       "&X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995"
                       "330da4c265957d157751f604d404");

    err = NULL;

    ok(ngx_http_s3_sigv4_parse_query(pool, &args, &sig, &err) == NGX_OK
       && str_is(&sig.algorithm, "AWS4-HMAC-SHA256")
       && str_is(&sig.access_key, AK)
       && str_is(&sig.scope, "20130524/us-east-1/s3/aws4_request")
       && str_is(&sig.amz_date, AMZ_DATE)
       && str_is(&sig.expires, "86400")
       && str_is(&sig.signed_headers, "host")
       && str_is(&sig.signature, "aeeed9bbccd4d02ee5c0109b86d86835f995330da4"
                                 "c265957d157751f604d404"),
       "presigned: query parsed, credential decoded");

    ngx_memzero(&req, sizeof(req));
    ngx_str_set(&req.method, "GET");
    ngx_str_set(&req.path, "/test.txt");
    req.args = args;
    req.headers = headers(h);
    req.signed_headers = sig.signed_headers;
    ngx_str_set(&req.payload_hash, NGX_HTTP_S3_SIGV4_UNSIGNED);
    req.presigned = 1;

    ok(ngx_http_s3_sigv4_canonical_request(pool, &req, &cr) == NGX_OK
       && str_is(&cr, presigned_cr),
       "presigned: canonical request (X-Amz-Signature left out)");

    ngx_str_set(&secret, SECRET);

    ok(ngx_http_s3_sigv4_signature(pool, &req, &sig, &sig.amz_date, &secret,
                                   hex)
       == NGX_OK
       && ngx_http_s3_sigv4_equal(hex, sizeof(hex), sig.signature.data,
                                  sig.signature.len),
       "presigned: signature matches the published one");

    /* a client that sends the credential's '/' unencoded */

    ngx_str_set(&args, "X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995"
                       "330da4c265957d157751f604d404"
                       "&X-Amz-Expires=86400"
                       "&X-Amz-Credential=" CRED
                       "&X-Amz-SignedHeaders=host"
                       "&X-Amz-Date=20130524T000000Z"
                       "&X-Amz-Algorithm=AWS4-HMAC-SHA256");

    ok(ngx_http_s3_sigv4_parse_query(pool, &args, &sig, &err) == NGX_OK,
       "presigned: any order, raw '/' in the credential");

    req.args = args;

    ok(ngx_http_s3_sigv4_signature(pool, &req, &sig, &sig.amz_date, &secret,
                                   hex)
       == NGX_OK
       && ngx_http_s3_sigv4_equal(hex, sizeof(hex), sig.signature.data,
                                  sig.signature.len),
       "presigned: same signature after normalisation");

    ngx_str_set(&args, "versionId=3&X-Amz-Date=20130524T000000Z");

    ok(ngx_http_s3_sigv4_parse_query(pool, &args, &sig, &err)
       == NGX_DECLINED,
       "presigned: no X-Amz-Algorithm is declined");

    ngx_str_set(&args, "X-Amz-Algorithm=AWS4-HMAC-SHA256"
                       "&X-Amz-Credential=" CRED
                       "&X-Amz-Date=20130524T000000Z"
                       "&X-Amz-SignedHeaders=host"
                       "&X-Amz-Signature=abc");
    err = NULL;

    ok(ngx_http_s3_sigv4_parse_query(pool, &args, &sig, &err) == NGX_ERROR
       && err != NULL,
       "presigned: missing X-Amz-Expires is an error");

    ngx_str_set(&args, "X-Amz-Algorithm=AWS4-HMAC-SHA256"
                       "&X-Amz-Credential=" AK "%2F20130524"
                       "&X-Amz-Date=20130524T000000Z&X-Amz-Expires=1"
                       "&X-Amz-SignedHeaders=host"
                       "&X-Amz-Signature=abc");

    ok(ngx_http_s3_sigv4_parse_query(pool, &args, &sig, &err) == NGX_ERROR,
       "presigned: short credential is an error");

    ngx_str_set(&args, "X-Amz-Algorithm=AWS4-HMAC-SHA256%"
                       "&X-Amz-Credential=" CRED
                       "&X-Amz-Date=20130524T000000Z&X-Amz-Expires=1"
                       "&X-Amz-SignedHeaders=host"
                       "&X-Amz-Signature=abc");

    ok(ngx_http_s3_sigv4_parse_query(pool, &args, &sig, &err) == NGX_ERROR,
       "presigned: a bad escape is an error");
}


static void
test_streaming_seed(void)
{
    static const char  *h[] = {
        "Host", "s3.amazonaws.com",
        "x-amz-date", AMZ_DATE,
        "x-amz-storage-class", "REDUCED_REDUNDANCY",
        "x-amz-content-sha256", "STREAMING-AWS4-HMAC-SHA256-PAYLOAD",
        "Content-Encoding", "aws-chunked",
        "x-amz-decoded-content-length", "66560",
        "Content-Length", "66824",
        NULL
    };

    static const char  seed_cr[] =
        "PUT\n"
        "/examplebucket/chunkObject.txt\n"
        "\n"
        "content-encoding:aws-chunked\n"
        "content-length:66824\n"
        "host:s3.amazonaws.com\n"
        "x-amz-content-sha256:STREAMING-AWS4-HMAC-SHA256-PAYLOAD\n"
        "x-amz-date:20130524T000000Z\n"
        "x-amz-decoded-content-length:66560\n"
        "x-amz-storage-class:REDUCED_REDUNDANCY\n"
        "\n"
        "content-encoding;content-length;host;x-amz-content-sha256;"
        "x-amz-date;x-amz-decoded-content-length;x-amz-storage-class\n"
        "STREAMING-AWS4-HMAC-SHA256-PAYLOAD";

    sign_case("chunked PUT seed", "PUT", "/examplebucket/chunkObject.txt", "",
              h,
              "content-encoding;content-length;host;x-amz-content-sha256;"
              "x-amz-date;x-amz-decoded-content-length;x-amz-storage-class",
              "STREAMING-AWS4-HMAC-SHA256-PAYLOAD", seed_cr,
              SIG_SEED);
}


static void
test_canonical_details(void)
{
    ngx_str_t                 in, out;
    ngx_http_s3_sigv4_req_t   req;

    static const char  *h[] = {
        "Host", "h",
        "X-Amz-Meta-A", "  one   two\t three  ",
        "x-amz-meta-a", "four",
        "X-AMZ-META-B", "",
        NULL
    };

    ngx_memzero(&req, sizeof(req));
    ngx_str_set(&req.method, "GET");
    ngx_str_set(&req.path, "/b/a b+c~d!e");
    ngx_str_set(&req.args, "z&b=2&a=x%2by&a=%2B&c=&b=1&slash=a/b");
    req.headers = headers(h);
    ngx_str_set(&req.signed_headers, "host;x-amz-meta-a;x-amz-meta-b");
    ngx_str_set(&req.payload_hash, NGX_HTTP_S3_SIGV4_UNSIGNED);

    ok(ngx_http_s3_sigv4_canonical_request(pool, &req, &out) == NGX_OK
       && str_is(&out, "GET\n"
                       "/b/a%20b%2Bc~d%21e\n"
                       "a=%2B&a=x%2By&b=1&b=2&c=&slash=a%2Fb&z=\n"
                       "host:h\n"
                       "x-amz-meta-a:one two three,four\n"
                       "x-amz-meta-b:\n"
                       "\n"
                       "host;x-amz-meta-a;x-amz-meta-b\n"
                       "UNSIGNED-PAYLOAD"),
       "canonical: path, query and header normalisation");

    req.raw = 1;

    ok(ngx_http_s3_sigv4_canonical_request(pool, &req, &out) == NGX_OK
       && str_is(&out, "GET\n"
                       "/b/a b+c~d!e\n"
                       "a=%2B&a=x%2by&b=1&b=2&c=&slash=a/b&z=\n"
                       "host:h\n"
                       "x-amz-meta-a:one two three,four\n"
                       "x-amz-meta-b:\n"
                       "\n"
                       "host;x-amz-meta-a;x-amz-meta-b\n"
                       "UNSIGNED-PAYLOAD"),
       "canonical: raw mode keeps the client's encoding, still sorted");

    ngx_str_set(&in, "/k%7e%7E%2F%2f/%E2%82%AC");

    ok(ngx_http_s3_sigv4_canonical_uri(pool, &in, 0, &out) == NGX_OK
       && str_is(&out, "/k~~///%E2%82%AC"),
       "canonical: uri '~' and '/' decoded, UTF-8 upper hex");

    ngx_str_set(&in, "/a%zz");

    ok(ngx_http_s3_sigv4_canonical_uri(pool, &in, 0, &out) == NGX_OK
       && str_is(&out, "/a%25zz"),
       "canonical: a bad escape is encoded as it is");

    ngx_str_set(&in, "/a//b/./c/../d");

    ok(ngx_http_s3_sigv4_canonical_uri(pool, &in, 0, &out) == NGX_OK
       && str_is(&out, "/a//b/./c/../d"),
       "canonical: S3 does not normalise the path");

    ngx_str_set(&in, "X-Amz-Signature=abc&x-id=GetObject&&uploads");

    ok(ngx_http_s3_sigv4_canonical_query(pool, &in, 1, 0, &out) == NGX_OK
       && str_is(&out, "uploads=&x-id=GetObject"),
       "canonical: presigned query skips the signature and empty parts");

    ok(ngx_http_s3_sigv4_canonical_query(pool, &in, 0, 0, &out) == NGX_OK
       && str_is(&out, "X-Amz-Signature=abc&uploads=&x-id=GetObject"),
       "canonical: header auth keeps X-Amz-Signature, sorts uppercase first");

    ngx_str_null(&in);

    ok(ngx_http_s3_sigv4_canonical_query(pool, &in, 0, 0, &out) == NGX_OK
       && out.len == 0,
       "canonical: empty query");

    ngx_str_set(&req.signed_headers, "host;missing");
    req.raw = 0;
    ngx_str_null(&req.args);
    ngx_str_set(&req.path, "/");

    ok(ngx_http_s3_sigv4_canonical_request(pool, &req, &out) == NGX_OK
       && str_is(&out, "GET\n/\n\nhost:h\nmissing:\n\nhost;missing\n"
                       "UNSIGNED-PAYLOAD"),
       "canonical: a signed header that is absent has an empty value");
}


static void
test_dates(void)
{
    u_char  buf[NGX_HTTP_S3_SIGV4_DATE_LEN];

    ok(ngx_http_s3_sigv4_parse_date((u_char *) AMZ_DATE, 16) == 1369353600,
       "date: 20130524T000000Z");

    ok(ngx_http_s3_sigv4_parse_date((u_char *) "20000229T235959Z", 16)
       == 951868799,
       "date: leap day 2000");

    ok(ngx_http_s3_sigv4_parse_date((u_char *) "19700101T000000Z", 16) == 0,
       "date: epoch");

    ok(ngx_http_s3_sigv4_parse_date((u_char *) "20130229T000000Z", 16) == -1
       && ngx_http_s3_sigv4_parse_date((u_char *) "21000229T000000Z", 16)
          == -1
       && ngx_http_s3_sigv4_parse_date((u_char *) "20130431T000000Z", 16)
          == -1
       && ngx_http_s3_sigv4_parse_date((u_char *) "20131301T000000Z", 16)
          == -1
       && ngx_http_s3_sigv4_parse_date((u_char *) "20130524T240000Z", 16)
          == -1
       && ngx_http_s3_sigv4_parse_date((u_char *) "20130524 000000Z", 16)
          == -1
       && ngx_http_s3_sigv4_parse_date((u_char *) "20130524T000000", 15)
          == -1
       && ngx_http_s3_sigv4_parse_date((u_char *) "2013O524T000000Z", 16)
          == -1,
       "date: invalid dates rejected");

    ngx_http_s3_sigv4_format_date(buf, 1369353600);

    ok(ngx_memcmp(buf, AMZ_DATE, 16) == 0, "date: formatted");

    ngx_http_s3_sigv4_format_date(buf, 4107542399);

    ok(ngx_memcmp(buf, "21000228T235959Z", 16) == 0,
       "date: formatted, 2100 is not a leap year");

    ngx_http_s3_sigv4_format_date(buf, 951868799);

    ok(ngx_http_s3_sigv4_parse_date(buf, 16) == 951868799,
       "date: round trip");
}


static void
test_helpers(void)
{
    u_char     bin[32], hex[NGX_HTTP_S3_SIGV4_HEX_LEN];
    ngx_str_t  list;

    ok(ngx_http_s3_sigv4_sha256_hex((u_char *) "Welcome to Amazon S3.", 21,
                                    hex)
       == NGX_OK
       && ngx_memcmp(hex, PUT_SHA, 64) == 0,
       "sha256 hex of the PUT example body");

    ok(ngx_http_s3_sigv4_hex_decode(bin, (u_char *) PUT_SHA, 64) == NGX_OK
       && bin[0] == 0x44 && bin[31] == 0x72,
       "hex decode");

    ok(ngx_http_s3_sigv4_hex_decode(bin, (u_char *) "4G", 2) == NGX_ERROR
       && ngx_http_s3_sigv4_hex_decode(bin, (u_char *) "abc", 3)
          == NGX_ERROR,
       "hex decode rejects bad input");

    ok(ngx_http_s3_sigv4_equal((u_char *) "abc", 3, (u_char *) "abc", 3)
       && !ngx_http_s3_sigv4_equal((u_char *) "abc", 3, (u_char *) "abd", 3)
       && !ngx_http_s3_sigv4_equal((u_char *) "abc", 3, (u_char *) "ab", 2),
       "constant time compare");

    ngx_str_set(&list, "host;range;x-amz-date");

    ok(ngx_http_s3_sigv4_is_signed(&list, (u_char *) "host", 4)
       && ngx_http_s3_sigv4_is_signed(&list, (u_char *) "x-amz-date", 10)
       && !ngx_http_s3_sigv4_is_signed(&list, (u_char *) "hos", 3)
       && !ngx_http_s3_sigv4_is_signed(&list, (u_char *) "x-amz-dat", 9)
       && !ngx_http_s3_sigv4_is_signed(&list, (u_char *) "date", 4),
       "signed headers lookup");
}


static void
test_alloc_failures(void)
{
    u_char                    hex[NGX_HTTP_S3_SIGV4_HEX_LEN];
    const char               *err;
    ngx_int_t                 n, rc, errors;
    ngx_str_t                 args, secret;
    ngx_http_s3_sigv4_t       sig;
    ngx_http_s3_sigv4_req_t   req;

    static const char  *h[] = {
        "Host", HOST,
        "x-amz-date", AMZ_DATE,
        NULL
    };

    ngx_str_set(&args, "X-Amz-Algorithm=AWS4-HMAC-SHA256"
                       "&X-Amz-Credential=" AK "%2F20130524%2Fus-east-1%2Fs3"
                       "%2Faws4_request"
                       "&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400"
                       "&X-Amz-SignedHeaders=host;x-amz-date"
                       "&X-Amz-Signature=abc&prefix=a%20b&b");
    ngx_str_set(&secret, SECRET);

    errors = 0;

    for (n = 0; n < 64; n++) {
        ngx_memzero(&req, sizeof(req));
        ngx_str_set(&req.method, "GET");
        ngx_str_set(&req.path, "/a%20b/c");
        req.args = args;
        req.headers = headers(h);
        ngx_str_set(&req.payload_hash, NGX_HTTP_S3_SIGV4_UNSIGNED);
        req.presigned = 1;

        ngx_stub_fail_after = n;

        rc = ngx_http_s3_sigv4_parse_query(pool, &args, &sig, &err);

        if (rc == NGX_OK) {
            req.signed_headers = sig.signed_headers;
            rc = ngx_http_s3_sigv4_signature(pool, &req, &sig, &sig.amz_date,
                                             &secret, hex);
        }

        ngx_stub_fail_after = -1;

        if (rc != NGX_OK && rc != NGX_ERROR) {
            errors++;
        }
    }

    ok(errors == 0, "allocation failures give NGX_ERROR, no crash");
}
