/* sources: ngx_http_s3_sigv2.c ngx_http_s3_util.c */

/*
 * Copyright (C) ngx_s3 authors
 *
 * AWS Signature Version 2 against AWS's published examples: the S3
 * developer guide, "Signing and authenticating REST requests",
 * "Authentication examples" (the johnsmith bucket): Object GET, Object
 * PUT, List, Fetch (?acl), Delete (x-amz-date), Upload (CNAME style,
 * x-amz-* headers), List all my buckets, Unicode keys, and the query
 * string authentication example.
 */


#include <ngx_config.h>
#include <ngx_core.h>

#include "ngx_http_s3_sigv2.h"

#include "ngx_stub.h"


#define SECRET  "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"


typedef struct {
    const char          *name;
    const char          *method;
    const char          *content_md5;
    const char          *content_type;
    const char          *date;
    const char         **headers;
    const char          *bucket;       /* virtual-hosted style */
    const char          *path;
    const char          *args;
    const char          *sts;
    const char          *signature;
} example_t;


static ngx_pool_t  *pool;


static void ok(int cond, const char *name);
static ngx_int_t str_is(ngx_str_t *s, const char *expect);
static void set(ngx_str_t *s, const char *v);
static ngx_array_t *headers(const char **kv);
static void test_examples(void);
static void test_parse_header(void);
static void test_parse_query(void);
static void test_resource(void);
static void test_amz_headers(void);
static void test_verify(void);
static void test_alloc_failures(void);


static const char  *no_headers[] = { NULL };

static const char  *delete_headers[] = {
    "User-Agent", "dotnet",
    "Host", "s3.amazonaws.com",
    "Date", "Tue, 27 Mar 2007 21:20:27 +0000",
    NULL
};

static const char  *upload_headers[] = {
    "User-Agent", "curl/7.15.5",
    "Host", "static.johnsmith.net:8080",
    "Date", "Tue, 27 Mar 2007 21:06:08 +0000",
    "x-amz-acl", "public-read",
    "content-type", "application/x-download",
    "Content-MD5", "4gJE4saaMU4BqNR0kLY+lw==",
    "X-Amz-Meta-ReviewedBy", "joe@johnsmith.net",
    "X-Amz-Meta-ReviewedBy", "jane@johnsmith.net",
    "X-Amz-Meta-FileChecksum", "0x02661779",
    "X-Amz-Meta-ChecksumAlgorithm", "crc32",
    "Content-Disposition", "attachment; filename=database.dat",
    "Content-Encoding", "gzip",
    "Content-Length", "5913339",
    NULL
};


static example_t  examples[] = {

    { "Object GET", "GET", "", "", "Tue, 27 Mar 2007 19:36:42 +0000",
      no_headers, "johnsmith", "/photos/puppy.jpg", "",
      "GET\n\n\nTue, 27 Mar 2007 19:36:42 +0000\n"
      "/johnsmith/photos/puppy.jpg",
      "bWq2s1WEIj+Ydj0vQ697zp+IXMU=" },

    { "Object PUT", "PUT", "", "image/jpeg",
      "Tue, 27 Mar 2007 21:15:45 +0000",
      no_headers, "johnsmith", "/photos/puppy.jpg", "",
      "PUT\n\nimage/jpeg\nTue, 27 Mar 2007 21:15:45 +0000\n"
      "/johnsmith/photos/puppy.jpg",
      "MyyxeRY7whkBe+bq8fHCL/2kKUg=" },

    { "List", "GET", "", "", "Tue, 27 Mar 2007 19:42:41 +0000",
      no_headers, "johnsmith", "/", "prefix=photos&max-keys=50&marker=puppy",
      "GET\n\n\nTue, 27 Mar 2007 19:42:41 +0000\n/johnsmith/",
      "htDYFYduRNen8P9ZfE/s9SuKy0U=" },

    { "Fetch ?acl", "GET", "", "", "Tue, 27 Mar 2007 19:44:46 +0000",
      no_headers, "johnsmith", "/", "acl",
      "GET\n\n\nTue, 27 Mar 2007 19:44:46 +0000\n/johnsmith/?acl",
      "c2WLPFtWHVgbEmeEG93a4cG37dM=" },

    /* the example puts the x-amz-date value in the Date line */

    { "Delete, path style", "DELETE", "", "",
      "Tue, 27 Mar 2007 21:20:26 +0000",
      delete_headers, "", "/johnsmith/photos/puppy.jpg", "",
      "DELETE\n\n\nTue, 27 Mar 2007 21:20:26 +0000\n"
      "/johnsmith/photos/puppy.jpg",
      "lx3byBScXR6KzyMaifNkardMwNk=" },

    { "Upload, CNAME style, x-amz-* headers", "PUT",
      "4gJE4saaMU4BqNR0kLY+lw==", "application/x-download",
      "Tue, 27 Mar 2007 21:06:08 +0000",
      upload_headers, "static.johnsmith.net", "/db-backup.dat.gz", "",
      "PUT\n4gJE4saaMU4BqNR0kLY+lw==\napplication/x-download\n"
      "Tue, 27 Mar 2007 21:06:08 +0000\n"
      "x-amz-acl:public-read\n"
      "x-amz-meta-checksumalgorithm:crc32\n"
      "x-amz-meta-filechecksum:0x02661779\n"
      "x-amz-meta-reviewedby:joe@johnsmith.net,jane@johnsmith.net\n"
      "/static.johnsmith.net/db-backup.dat.gz",
      "ilyl83RwaSoYIEdixDQcA4OnAnc=" },

    { "List all my buckets", "GET", "", "",
      "Wed, 28 Mar 2007 01:29:59 +0000",
      no_headers, "", "/", "",
      "GET\n\n\nWed, 28 Mar 2007 01:29:59 +0000\n/",
      "qGdzdERIC03wnaRNKh6OqZehG9s=" },

    { "Unicode keys, taken literally", "GET", "", "",
      "Wed, 28 Mar 2007 01:49:49 +0000",
      no_headers, "", "/dictionary/fran%C3%A7ais/pr%c3%a9f%c3%a8re", "",
      "GET\n\n\nWed, 28 Mar 2007 01:49:49 +0000\n"
      "/dictionary/fran%C3%A7ais/pr%c3%a9f%c3%a8re",
      "DNEZGsoieTZ92F3bUfSPQcbGmlM=" },

    /* Expires is the Date line; the auth parameters are not signed */

    { "Query string authentication", "GET", "", "", "1175139620",
      no_headers, "johnsmith", "/photos/puppy.jpg",
      "AWSAccessKeyId=AKIAIOSFODNN7EXAMPLE"
      "&Signature=NpgCjnDzrM%2BWFzoENXmpNDUsSn8%3D&Expires=1175139620",
      "GET\n\n\n1175139620\n/johnsmith/photos/puppy.jpg",
      "NpgCjnDzrM+WFzoENXmpNDUsSn8=" },

    { NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL }
};


int
main(void)
{
    pool = ngx_stub_pool();

    test_examples();
    test_parse_header();
    test_parse_query();
    test_resource();
    test_amz_headers();
    test_verify();
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


static void
set(ngx_str_t *s, const char *v)
{
    s->data = (u_char *) v;
    s->len = ngx_strlen(v);
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

        set(&h->key, kv[0]);
        set(&h->value, kv[1]);
    }

    return a;
}


static void
test_examples(void)
{
    u_char                    b64[NGX_HTTP_S3_SIGV2_B64_LEN];
    char                      name[128];
    ngx_str_t                 sts, secret, sig;
    example_t                *e;
    ngx_http_s3_sigv2_req_t   req;

    set(&secret, SECRET);

    for (e = examples; e->name; e++) {
        ngx_memzero(&req, sizeof(req));

        set(&req.method, e->method);
        set(&req.content_md5, e->content_md5);
        set(&req.content_type, e->content_type);
        set(&req.date, e->date);
        req.headers = headers(e->headers);
        set(&req.bucket, e->bucket);
        set(&req.path, e->path);
        set(&req.args, e->args);

        snprintf(name, sizeof(name), "%s: string to sign", e->name);

        ok(ngx_http_s3_sigv2_string_to_sign(pool, &req, &sts) == NGX_OK
           && str_is(&sts, e->sts), name);

        snprintf(name, sizeof(name), "%s: signature", e->name);

        ok(ngx_http_s3_sigv2_sign(&secret, &sts, b64) == NGX_OK
           && ngx_memcmp(b64, e->signature, NGX_HTTP_S3_SIGV2_B64_LEN) == 0,
           name);

        set(&sig, e->signature);

        snprintf(name, sizeof(name), "%s: verifies", e->name);

        ok(ngx_http_s3_sigv2_verify(&secret, &sts, &sig) == NGX_OK, name);
    }
}


static void
test_parse_header(void)
{
    ngx_str_t             v;
    ngx_http_s3_sigv2_t   sig;

    set(&v, "AWS AKIAIOSFODNN7EXAMPLE:bWq2s1WEIj+Ydj0vQ697zp+IXMU=");
    ok(ngx_http_s3_sigv2_parse_header(&v, &sig) == NGX_OK
       && str_is(&sig.access_key, "AKIAIOSFODNN7EXAMPLE")
       && str_is(&sig.signature, "bWq2s1WEIj+Ydj0vQ697zp+IXMU="),
       "header: AWS AK:signature");

    set(&v, "  AWS   AK:sig  ");
    ok(ngx_http_s3_sigv2_parse_header(&v, &sig) == NGX_OK
       && str_is(&sig.access_key, "AK") && str_is(&sig.signature, "sig"),
       "header: blanks around");

    set(&v, "AWS a:b:sig");
    ok(ngx_http_s3_sigv2_parse_header(&v, &sig) == NGX_OK
       && str_is(&sig.access_key, "a:b") && str_is(&sig.signature, "sig"),
       "header: the last ':' ends the access key");

    set(&v, "AWS4-HMAC-SHA256 Credential=a/b/c/d/e");
    ok(ngx_http_s3_sigv2_parse_header(&v, &sig) == NGX_DECLINED,
       "header: SigV4 is declined");

    set(&v, "AWSX AK:sig");
    ok(ngx_http_s3_sigv2_parse_header(&v, &sig) == NGX_DECLINED,
       "header: another scheme is declined");

    set(&v, "Basic dXNlcjpwYXNz");
    ok(ngx_http_s3_sigv2_parse_header(&v, &sig) == NGX_DECLINED,
       "header: Basic is declined");

    set(&v, "AWS");
    ok(ngx_http_s3_sigv2_parse_header(&v, &sig) == NGX_DECLINED,
       "header: \"AWS\" alone is declined");

    set(&v, "AWS AKsig");
    ok(ngx_http_s3_sigv2_parse_header(&v, &sig) == NGX_ERROR,
       "header: no ':'");

    set(&v, "AWS :sig");
    ok(ngx_http_s3_sigv2_parse_header(&v, &sig) == NGX_ERROR,
       "header: no access key");

    set(&v, "AWS AK:");
    ok(ngx_http_s3_sigv2_parse_header(&v, &sig) == NGX_ERROR,
       "header: no signature");

    set(&v, "AWS  ");
    ok(ngx_http_s3_sigv2_parse_header(&v, &sig) == NGX_ERROR,
       "header: nothing after the scheme");
}


static void
test_parse_query(void)
{
    ngx_str_t             args;
    const char           *err;
    ngx_http_s3_sigv2_t   sig;

    set(&args, "AWSAccessKeyId=AKIAIOSFODNN7EXAMPLE&Expires=1141889120"
               "&Signature=vjbyPxybdZaNmGa%2ByT272YEAiv4%3D");
    err = NULL;
    ok(ngx_http_s3_sigv2_parse_query(pool, &args, &sig, &err) == NGX_OK
       && str_is(&sig.access_key, "AKIAIOSFODNN7EXAMPLE")
       && str_is(&sig.expires, "1141889120")
       && str_is(&sig.signature, "vjbyPxybdZaNmGa+yT272YEAiv4="),
       "query: the three parameters, decoded");

    set(&args, "versionId=3&Signature=a&Signature=b&AWSAccessKeyId=AK"
               "&Expires=1&expires=2");
    ok(ngx_http_s3_sigv2_parse_query(pool, &args, &sig, &err) == NGX_OK
       && str_is(&sig.signature, "a") && str_is(&sig.expires, "1"),
       "query: the first occurrence wins, names are exact");

    set(&args, "prefix=a&Expires=1");
    ok(ngx_http_s3_sigv2_parse_query(pool, &args, &sig, &err)
       == NGX_DECLINED, "query: Expires alone is no authentication");

    set(&args, "");
    ok(ngx_http_s3_sigv2_parse_query(pool, &args, &sig, &err)
       == NGX_DECLINED, "query: empty");

    set(&args, "AWSAccessKeyId=AK&Signature=s");
    err = NULL;
    ok(ngx_http_s3_sigv2_parse_query(pool, &args, &sig, &err) == NGX_ERROR
       && err != NULL, "query: no Expires");

    set(&args, "Signature=s&Expires=1");
    err = NULL;
    ok(ngx_http_s3_sigv2_parse_query(pool, &args, &sig, &err) == NGX_ERROR
       && err != NULL, "query: no AWSAccessKeyId");

    set(&args, "AWSAccessKeyId=AK&Signature=&Expires=1");
    err = NULL;
    ok(ngx_http_s3_sigv2_parse_query(pool, &args, &sig, &err) == NGX_ERROR
       && err != NULL, "query: empty Signature");

    set(&args, "AWSAccessKeyId=AK&Signature&Expires=1");
    err = NULL;
    ok(ngx_http_s3_sigv2_parse_query(pool, &args, &sig, &err) == NGX_ERROR
       && err != NULL, "query: Signature without '='");

    set(&args, "AWSAccessKeyId=AK&Signature=%zz&Expires=1");
    err = NULL;
    ok(ngx_http_s3_sigv2_parse_query(pool, &args, &sig, &err) == NGX_ERROR
       && err != NULL, "query: bad escape");
}


static void
test_resource(void)
{
    ngx_str_t  bucket, path, args, out;

    ngx_str_null(&bucket);
    set(&path, "/b/k");

    set(&args, "versionId=3&acl&prefix=x&uploadId=u%2Fv&partNumber=2"
               "&Signature=s&x-id=GetObject");
    ok(ngx_http_s3_sigv2_canonical_resource(pool, &bucket, &path, &args,
                                            &out)
       == NGX_OK
       && str_is(&out, "/b/k?acl&partNumber=2&uploadId=u/v&versionId=3"),
       "resource: sub-resources sorted, values decoded, others left out");

    set(&args, "response-content-type=text%2Fplain%3B%20charset%3Dutf-8"
               "&response-content-disposition=attachment%3B%20filename%3D"
               "%22a%20b.txt%22&response-expires=Thu%2C%2001%20Dec%201994"
               "&response-cache-control=no-cache"
               "&response-content-encoding=gzip"
               "&response-content-language=en");
    ok(ngx_http_s3_sigv2_canonical_resource(pool, &bucket, &path, &args,
                                            &out)
       == NGX_OK
       && str_is(&out, "/b/k?response-cache-control=no-cache"
                       "&response-content-disposition=attachment; "
                       "filename=\"a b.txt\""
                       "&response-content-encoding=gzip"
                       "&response-content-language=en"
                       "&response-content-type=text/plain; charset=utf-8"
                       "&response-expires=Thu, 01 Dec 1994"),
       "resource: response-* overrides, decoded");

    set(&args, "tagging&retention&legal-hold&object-lock&uploads=&delete=");
    ok(ngx_http_s3_sigv2_canonical_resource(pool, &bucket, &path, &args,
                                            &out)
       == NGX_OK
       && str_is(&out, "/b/k?delete&legal-hold&object-lock&retention"
                       "&tagging&uploads"),
       "resource: operations that change an object are signed; "
       "an empty value is the name alone");

    set(&args, "list-type=2&attributes&encoding-type=url&ACL&Acl=1");
    ok(ngx_http_s3_sigv2_canonical_resource(pool, &bucket, &path, &args,
                                            &out)
       == NGX_OK && str_is(&out, "/b/k"),
       "resource: list-type, attributes and other cases are not signed");

    set(&args, "versionId=b&versionId=a&versionId=%zz");
    ok(ngx_http_s3_sigv2_canonical_resource(pool, &bucket, &path, &args,
                                            &out)
       == NGX_OK && str_is(&out, "/b/k?versionId=b&versionId=a"
                                 "&versionId=%zz"),
       "resource: one name twice keeps the request's order; "
       "a bad escape is signed as sent");

    set(&bucket, "bkt");
    set(&path, "/");
    set(&args, "versioning");
    ok(ngx_http_s3_sigv2_canonical_resource(pool, &bucket, &path, &args,
                                            &out)
       == NGX_OK && str_is(&out, "/bkt/?versioning"),
       "resource: virtual-hosted style, the bucket itself");

    set(&path, "/a%2Fb//c%20d");
    ngx_str_null(&args);
    ok(ngx_http_s3_sigv2_canonical_resource(pool, &bucket, &path, &args,
                                            &out)
       == NGX_OK && str_is(&out, "/bkt/a%2Fb//c%20d"),
       "resource: the path as sent");

    ok(ngx_http_s3_sigv2_is_subresource((u_char *) "uploads", 7)
       && !ngx_http_s3_sigv2_is_subresource((u_char *) "upload", 6)
       && !ngx_http_s3_sigv2_is_subresource((u_char *) "Signature", 9),
       "is_subresource");
}


static void
test_amz_headers(void)
{
    ngx_str_t  out;

    static const char  *h1[] = {
        "X-Amz-Meta-B", " two ",
        "Content-Type", "text/plain",
        "x-amz-meta-a", "1",
        "X-AMZ-META-B", "three\r\n\t folded",
        "x-amz-", "not a name",
        "x-amz-date", "Tue, 27 Mar 2007 21:20:26 GMT",
        "x-amz-meta-c", "",
        NULL
    };

    static const char  *h2[] = {
        "Host", "a",
        NULL
    };

    ok(ngx_http_s3_sigv2_canonical_amz_headers(pool, headers(h1), &out)
       == NGX_OK
       && str_is(&out, "x-amz-date:Tue, 27 Mar 2007 21:20:26 GMT\n"
                       "x-amz-meta-a:1\n"
                       "x-amz-meta-b:two,three folded\n"
                       "x-amz-meta-c:\n"),
       "amz headers: lowercase, sorted, trimmed, joined, unfolded");

    ok(ngx_http_s3_sigv2_canonical_amz_headers(pool, headers(h2), &out)
       == NGX_OK && out.len == 0, "amz headers: none");

    ok(ngx_http_s3_sigv2_canonical_amz_headers(pool, NULL, &out) == NGX_OK
       && out.len == 0, "amz headers: no list");
}


static void
test_verify(void)
{
    ngx_str_t  secret, sts, sig;

    set(&secret, SECRET);
    set(&sts, "GET\n\n\nTue, 27 Mar 2007 19:36:42 +0000\n"
              "/johnsmith/photos/puppy.jpg");

    set(&sig, "bWq2s1WEIj+Ydj0vQ697zp+IXMU=");
    ok(ngx_http_s3_sigv2_verify(&secret, &sts, &sig) == NGX_OK,
       "verify: match");

    set(&sig, "bWq2s1WEIj+Ydj0vQ697zp+IXMV=");
    ok(ngx_http_s3_sigv2_verify(&secret, &sts, &sig) == NGX_DECLINED,
       "verify: one character off");

    set(&sig, "bWq2s1WEIj+Ydj0vQ697zp+IXMU");
    ok(ngx_http_s3_sigv2_verify(&secret, &sts, &sig) == NGX_DECLINED,
       "verify: without the padding");

    set(&sig, "");
    ok(ngx_http_s3_sigv2_verify(&secret, &sts, &sig) == NGX_DECLINED,
       "verify: empty");

    set(&secret, "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEZ");
    set(&sig, "bWq2s1WEIj+Ydj0vQ697zp+IXMU=");
    ok(ngx_http_s3_sigv2_verify(&secret, &sts, &sig) == NGX_DECLINED,
       "verify: another secret");
}


static void
test_alloc_failures(void)
{
    u_char                    b64[NGX_HTTP_S3_SIGV2_B64_LEN];
    ngx_int_t                 n, rc, errors;
    ngx_str_t                 args, secret, sts;
    const char               *err;
    ngx_http_s3_sigv2_t       sig;
    ngx_http_s3_sigv2_req_t   req;

    static const char  *h[] = {
        "x-amz-meta-a", "1",
        "x-amz-date", "Tue, 27 Mar 2007 21:20:26 GMT",
        "x-amz-meta-a", "2",
        NULL
    };

    set(&args, "AWSAccessKeyId=AK&Expires=1175139620&Signature=a%2Bb"
               "&acl&versionId=a%20b&prefix=c");
    set(&secret, SECRET);

    errors = 0;

    for (n = 0; n < 32; n++) {
        ngx_memzero(&req, sizeof(req));
        set(&req.method, "GET");
        set(&req.bucket, "bkt");
        set(&req.path, "/a%20b/c");
        req.args = args;
        req.headers = headers(h);

        ngx_stub_fail_after = n;

        err = NULL;
        rc = ngx_http_s3_sigv2_parse_query(pool, &args, &sig, &err);

        if (rc == NGX_ERROR && err != NULL) {
            errors++;
        }

        if (rc == NGX_OK) {
            req.date = sig.expires;
            rc = ngx_http_s3_sigv2_string_to_sign(pool, &req, &sts);
        }

        if (rc == NGX_OK) {
            rc = ngx_http_s3_sigv2_sign(&secret, &sts, b64);
        }

        ngx_stub_fail_after = -1;

        if (rc != NGX_OK && rc != NGX_ERROR) {
            errors++;
        }
    }

    ok(errors == 0, "allocation failures give NGX_ERROR, no crash");
}
