/* sources: ngx_http_s3_xml.c ngx_http_s3_xml_parse.c */

/*
 * Copyright (C) ngx_s3 authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include "ngx_http_s3.h"

#include "ngx_stub.h"


#define XMLNS  " xmlns=\"" NGX_HTTP_S3_XMLNS "\""


static void test_escape(void);
static void test_writer(void);
static void test_writer_large(void);
static void test_writer_nomem(void);
static void test_create_bucket(void);
static void test_delete(void);
static void test_delete_limits(void);
static void test_hostile(void);
static void test_complete(void);
static void test_silent(void);
static void test_versioning(void);
static size_t chain_flatten(ngx_chain_t *cl, u_char **out,
    ngx_uint_t *nbufs, ngx_uint_t *last_ok);
static ngx_int_t create_bucket(const char *body, ngx_str_t *loc);
static ngx_int_t delete_keys(const char *body, ngx_uint_t max,
    ngx_array_t **keys, ngx_uint_t *quiet);


static ngx_pool_t  *pool;


int
main(void)
{
    pool = ngx_stub_pool();

    test_escape();
    test_writer();
    test_writer_large();
    test_writer_nomem();
    test_create_bucket();
    test_delete();
    test_delete_limits();
    test_hostile();
    test_complete();
    test_silent();
    test_versioning();

    ngx_destroy_pool(pool);

    return ngx_tap_done();
}


static void
test_escape(void)
{
    u_char  buf[128];
    size_t  n;

    static u_char  in[] = "a&b<c>d\"e'f";
    static u_char  ctl[] = "\r\n\t\x01\x1f\x7f";

    n = ngx_http_s3_xml_escape(buf, in, sizeof(in) - 1);
    ngx_tap_is_str(buf, n, "a&amp;b&lt;c&gt;d&quot;e&apos;f",
                   "escape & < > \" '");
    ngx_tap_ok(ngx_http_s3_xml_escape(NULL, in, sizeof(in) - 1) == n,
               "escape: length only");

    n = ngx_http_s3_xml_escape(buf, ctl, sizeof(ctl) - 1);
    ngx_tap_is_str(buf, n, "&#xd;&#xa;&#x9;&#x1;&#x1f;\x7f",
                   "C0 controls as S3's character references, DEL kept");

    n = ngx_http_s3_xml_escape(buf, (u_char *) "a\0b", 3);
    ngx_tap_is_str(buf, n, "a&#x0;b", "NUL");

    n = ngx_http_s3_xml_escape(buf, (u_char *) "caf\xc3\xa9 ~/", 8);
    ngx_tap_is_str(buf, n, "caf\xc3\xa9 ~/", "UTF-8 and the rest kept");

    ngx_tap_ok(ngx_http_s3_xml_escape(buf, (u_char *) "", 0) == 0,
               "escape empty");
}


static void
test_writer(void)
{
    u_char             *out;
    size_t              n;
    ngx_uint_t          nbufs, last_ok;
    ngx_chain_t        *cl;
    ngx_http_s3_xml_t   w;

    ngx_http_s3_xml_init(&w, pool);
    ngx_http_s3_xml_root(&w, "ListAllMyBucketsResult");
    ngx_http_s3_xml_open(&w, "Owner");
    ngx_http_s3_xml_cstr(&w, "ID", "ak<1>");
    ngx_http_s3_xml_close(&w, "Owner");
    ngx_http_s3_xml_text(&w, "Key", (u_char *) "a&b\r\n", 5);
    ngx_http_s3_xml_uint(&w, "Size", 0);
    ngx_http_s3_xml_uint(&w, "Size", 18446744073709551615ULL);
    ngx_http_s3_xml_cstr(&w, "Empty", "");
    ngx_http_s3_xml_close(&w, "ListAllMyBucketsResult");

    cl = ngx_http_s3_xml_finish(&w);

    ngx_tap_ok(cl != NULL && !w.error, "writer: no error");

    n = chain_flatten(cl, &out, &nbufs, &last_ok);

    ngx_tap_is_str(out, n,
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        "<ListAllMyBucketsResult" XMLNS ">"
        "<Owner><ID>ak&lt;1&gt;</ID></Owner>"
        "<Key>a&amp;b&#xd;&#xa;</Key>"
        "<Size>0</Size><Size>18446744073709551615</Size>"
        "<Empty></Empty>"
        "</ListAllMyBucketsResult>", "writer: document");

    ngx_tap_ok(nbufs == 1 && last_ok, "writer: one buffer, last_buf set");

    /* the writer's output is what the parser reads back */

    ngx_http_s3_xml_init(&w, pool);
    cl = ngx_http_s3_xml_finish(&w);

    ngx_tap_ok(cl != NULL && cl->next == NULL && cl->buf->last_buf
               && cl->buf->last == cl->buf->pos,
               "writer: nothing written gives one empty last buffer");
}


static void
test_writer_large(void)
{
    u_char             *out, *p, key[1024];
    size_t              n, expect;
    ngx_int_t           rc;
    ngx_uint_t          i, nbufs, last_ok, quiet, ok;
    ngx_array_t        *keys;
    ngx_chain_t        *cl;
    ngx_http_s3_xml_t   w;

    ngx_http_s3_xml_delete_key_t  *dk;

    /* keys of 1024 chars that all need escaping: 5 KiB each, many bufs */

    for (i = 0; i < sizeof(key); i++) {
        key[i] = "&<>\"'ab\n"[i % 8];
    }

    ngx_http_s3_xml_init(&w, pool);
    ngx_http_s3_xml_root(&w, "Delete");

    for (i = 0; i < 200; i++) {
        ngx_http_s3_xml_open(&w, "Object");
        ngx_http_s3_xml_text(&w, "Key", key, sizeof(key));
        ngx_http_s3_xml_uint(&w, "VersionId", i);
        ngx_http_s3_xml_close(&w, "Object");
    }

    ngx_http_s3_xml_close(&w, "Delete");

    cl = ngx_http_s3_xml_finish(&w);
    ngx_tap_ok(cl != NULL, "large: no error");

    n = chain_flatten(cl, &out, &nbufs, &last_ok);

    expect = ngx_http_s3_xml_escape(NULL, key, sizeof(key));

    ngx_tap_ok(nbufs > 200 && last_ok, "large: %lu bufs, last marked",
               (unsigned long) nbufs);
    ngx_tap_ok(n > 200 * expect, "large: %lu bytes", (unsigned long) n);

    /* read it back */

    rc = ngx_http_s3_xml_parse_delete(pool, out, n, 1000, &keys, &quiet);

    ok = (rc == NGX_OK && keys->nelts == 200);

    for (i = 0; ok && i < keys->nelts; i++) {
        dk = (ngx_http_s3_xml_delete_key_t *) keys->elts + i;
        p = dk->version.data;

        ok = (dk->key.len == sizeof(key)
              && ngx_memcmp(dk->key.data, key, sizeof(key)) == 0
              && dk->version.len >= 1
              && ngx_atoi(p, dk->version.len) == (ngx_int_t) i);
    }

    ngx_tap_ok(ok, "large: written document parses back to the same keys");
}


static void
test_writer_nomem(void)
{
    ngx_uint_t          i, failed_all;
    ngx_chain_t        *cl;
    ngx_http_s3_xml_t   w;

    failed_all = 1;

    for (i = 0; i < 6; i++) {
        ngx_http_s3_xml_init(&w, pool);

        ngx_stub_fail_after = i;

        ngx_http_s3_xml_root(&w, "Error");
        ngx_http_s3_xml_cstr(&w, "Code", "NoSuchKey");
        ngx_http_s3_xml_close(&w, "Error");
        cl = ngx_http_s3_xml_finish(&w);

        ngx_stub_fail_after = -1;

        /* the first buffer takes 3 allocations: buf, memory, link */

        if ((i < 3) != (cl == NULL && w.error)) {
            failed_all = 0;
        }
    }

    ngx_tap_ok(failed_all, "writer: allocation failures are sticky errors");
}


static void
test_create_bucket(void)
{
    ngx_str_t  loc;

    ngx_tap_ok(create_bucket(
        "<CreateBucketConfiguration" XMLNS ">"
        "<LocationConstraint>eu-west-1</LocationConstraint>"
        "</CreateBucketConfiguration>", &loc) == NGX_OK
        && ngx_tap_is_str(loc.data, loc.len, "eu-west-1", "location"),
        "create bucket: with namespace");

    ngx_tap_ok(create_bucket(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        "<CreateBucketConfiguration>\n"
        "  <LocationConstraint>\n    us-east-2\n  </LocationConstraint>\n"
        "</CreateBucketConfiguration>\n", &loc) == NGX_OK
        && ngx_tap_is_str(loc.data, loc.len, "us-east-2", "location"),
        "create bucket: no namespace, declaration, whitespace trimmed");

    ngx_tap_ok(create_bucket(
        "<s3:CreateBucketConfiguration xmlns:s3=\"" NGX_HTTP_S3_XMLNS "\">"
        "<s3:LocationConstraint>ru-1</s3:LocationConstraint>"
        "</s3:CreateBucketConfiguration>", &loc) == NGX_OK
        && loc.len == 4, "create bucket: prefixed S3 namespace");

    ngx_tap_ok(create_bucket(
        "<CreateBucketConfiguration" XMLNS "/>", &loc) == NGX_OK
        && loc.len == 0, "create bucket: no LocationConstraint");

    ngx_tap_ok(create_bucket(
        "<CreateBucketConfiguration>"
        "<LocationConstraint></LocationConstraint>"
        "</CreateBucketConfiguration>", &loc) == NGX_OK
        && loc.len == 0, "create bucket: empty LocationConstraint");

    ngx_tap_ok(create_bucket(
        "<CreateBucketConfiguration>"
        "<Bucket><Type>Directory</Type></Bucket><!-- c -->"
        "<LocationConstraint><![CDATA[eu-1]]></LocationConstraint>"
        "</CreateBucketConfiguration>", &loc) == NGX_OK
        && loc.len == 4, "create bucket: unknown elements ignored, CDATA");

    ngx_tap_ok(create_bucket("", &loc) == NGX_OK && loc.len == 0,
               "create bucket: empty body");

    ngx_tap_ok(create_bucket(
        "<CreateBucketConfiguration xmlns=\"urn:other\">"
        "<LocationConstraint>x</LocationConstraint>"
        "</CreateBucketConfiguration>", &loc) == NGX_ERROR,
        "create bucket: foreign namespace");

    ngx_tap_ok(create_bucket(
        "<Delete><LocationConstraint>x</LocationConstraint></Delete>",
        &loc) == NGX_ERROR, "create bucket: wrong root");

    ngx_tap_ok(create_bucket(
        "<CreateBucketConfiguration>"
        "<LocationConstraint>a</LocationConstraint>"
        "<LocationConstraint>b</LocationConstraint>"
        "</CreateBucketConfiguration>", &loc) == NGX_ERROR,
        "create bucket: two LocationConstraint");

    ngx_tap_ok(create_bucket(
        "<CreateBucketConfiguration>"
        "<LocationConstraint><x/>a</LocationConstraint>"
        "</CreateBucketConfiguration>", &loc) == NGX_ERROR,
        "create bucket: element inside LocationConstraint");

    ngx_tap_ok(create_bucket(
        "<CreateBucketConfiguration>junk"
        "</CreateBucketConfiguration>", &loc) == NGX_ERROR,
        "create bucket: text in the root");

    ngx_tap_ok(create_bucket(
        "<CreateBucketConfiguration><LocationConstraint>eu"
        "</CreateBucketConfiguration>", &loc) == NGX_ERROR,
        "create bucket: not well-formed");

    ngx_tap_ok(create_bucket("not xml", &loc) == NGX_ERROR,
               "create bucket: not XML");

    ngx_tap_ok(create_bucket(" ", &loc) == NGX_ERROR,
               "create bucket: only a space");

    ngx_tap_ok(create_bucket(
        "<CreateBucketConfiguration/><CreateBucketConfiguration/>", &loc)
        == NGX_ERROR, "create bucket: two roots");

    ngx_tap_ok(ngx_http_s3_xml_parse_create_bucket(pool,
        (u_char *) "<CreateBucketConfiguration/>",
        NGX_HTTP_S3_MAX_XML_BODY + 1, &loc) == NGX_ERROR,
        "create bucket: over the size cap");
}


static void
test_delete(void)
{
    ngx_int_t                      rc;
    ngx_uint_t                     quiet;
    ngx_array_t                   *keys;
    ngx_http_s3_xml_delete_key_t  *dk;

    rc = delete_keys(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        "<Delete" XMLNS ">\n"
        "  <Quiet>true</Quiet>\n"
        "  <Object><Key>sample1.txt</Key></Object>\n"
        "  <Object>\n    <Key> a &amp; b&#13;&#x0A;</Key>\n"
        "    <VersionId> 3/L4kqtJlcpXroDTDmJ+rmSpXd3dIbrHY </VersionId>\n"
        "    <ETag>\"abc\"</ETag>\n"
        "  </Object>\n"
        "  <Object><Key>caf\xc3\xa9</Key><VersionId/></Object>\n"
        "</Delete>\n", 1000, &keys, &quiet);

    ngx_tap_ok(rc == NGX_OK && keys != NULL && keys->nelts == 3,
               "delete: three objects");

    if (rc == NGX_OK && keys->nelts == 3) {
        dk = keys->elts;

        ngx_tap_ok(quiet == 1, "delete: quiet");
        ngx_tap_is_str(dk[0].key.data, dk[0].key.len, "sample1.txt",
                       "delete: key 1");
        ngx_tap_ok(dk[0].version.len == 0, "delete: key 1 has no version");
        ngx_tap_is_str(dk[1].key.data, dk[1].key.len, " a & b\r\n",
                       "delete: key 2, entities decoded, not trimmed");
        ngx_tap_is_str(dk[1].version.data, dk[1].version.len,
                       "3/L4kqtJlcpXroDTDmJ+rmSpXd3dIbrHY",
                       "delete: version 2 trimmed");
        ngx_tap_is_str(dk[2].key.data, dk[2].key.len, "caf\xc3\xa9",
                       "delete: UTF-8 key");
        ngx_tap_ok(dk[2].version.len == 0, "delete: empty VersionId");
    }

    rc = delete_keys("<Delete><Object><Key>k</Key></Object>"
                     "<Quiet>FALSE</Quiet></Delete>", 1000, &keys, &quiet);
    ngx_tap_ok(rc == NGX_OK && quiet == 0 && keys->nelts == 1,
               "delete: Quiet false, after the objects");

    rc = delete_keys("<Delete><Object><Key></Key></Object></Delete>", 1000,
                     &keys, &quiet);
    ngx_tap_ok(rc == NGX_OK && keys->nelts == 1
               && ((ngx_http_s3_xml_delete_key_t *) keys->elts)->key.len
                  == 0, "delete: an empty key is the handler's to refuse");

    ngx_tap_ok(delete_keys("<Delete></Delete>", 1000, &keys, &quiet)
               == NGX_ERROR && keys == NULL, "delete: no objects");

    ngx_tap_ok(delete_keys("<Delete><Quiet>true</Quiet></Delete>", 1000,
                           &keys, &quiet) == NGX_ERROR,
               "delete: only Quiet");

    ngx_tap_ok(delete_keys("<Delete><Object><VersionId>1</VersionId>"
                           "</Object></Delete>", 1000, &keys, &quiet)
               == NGX_ERROR, "delete: object without a key");

    ngx_tap_ok(delete_keys("<Delete><Object><Key>a</Key><Key>b</Key>"
                           "</Object></Delete>", 1000, &keys, &quiet)
               == NGX_ERROR, "delete: two keys in an object");

    ngx_tap_ok(delete_keys("<Delete><Quiet>yes</Quiet><Object><Key>a</Key>"
                           "</Object></Delete>", 1000, &keys, &quiet)
               == NGX_ERROR, "delete: Quiet yes");

    ngx_tap_ok(delete_keys("<Delete><Quiet>true</Quiet><Quiet>true</Quiet>"
                           "<Object><Key>a</Key></Object></Delete>", 1000,
                           &keys, &quiet)
               == NGX_ERROR, "delete: two Quiet");

    ngx_tap_ok(delete_keys("<Delete><Object><Key>a<b/></Key></Object>"
                           "</Delete>", 1000, &keys, &quiet)
               == NGX_ERROR, "delete: element in a key");

    ngx_tap_ok(delete_keys("<Remove><Object><Key>a</Key></Object></Remove>",
                           1000, &keys, &quiet)
               == NGX_ERROR, "delete: wrong root");

    ngx_tap_ok(delete_keys("", 1000, &keys, &quiet) == NGX_ERROR,
               "delete: empty body");

    ngx_tap_ok(delete_keys("<Delete><Object><Key>a\xff</Key></Object>"
                           "</Delete>", 1000, &keys, &quiet)
               == NGX_ERROR, "delete: invalid UTF-8");

    ngx_tap_ok(delete_keys("<Delete><Object><Key>&#0;</Key></Object>"
                           "</Delete>", 1000, &keys, &quiet)
               == NGX_ERROR, "delete: &#0; is not XML");

    ngx_tap_ok(delete_keys("<Delete><Object><Key>&nbsp;</Key></Object>"
                           "</Delete>", 1000, &keys, &quiet)
               == NGX_ERROR, "delete: undeclared entity");
}


static void
test_delete_limits(void)
{
    u_char       *body, *p;
    size_t        size;
    ngx_int_t     rc;
    ngx_uint_t    i, quiet;
    ngx_array_t  *keys;

    size = 32 + 1001 * 40;

    body = ngx_pnalloc(pool, size);
    if (body == NULL) {
        ngx_tap_ok(0, "delete limits: no memory");
        return;
    }

    p = ngx_cpymem(body, "<Delete>", 8);

    for (i = 0; i < 1000; i++) {
        p = ngx_cpymem(p, "<Object><Key>k</Key></Object>", 29);
    }

    p = ngx_cpymem(p, "</Delete>", 9);

    rc = ngx_http_s3_xml_parse_delete(pool, body, p - body, 1000, &keys,
                                      &quiet);
    ngx_tap_ok(rc == NGX_OK && keys->nelts == 1000, "delete: 1000 objects");

    p -= 9;
    p = ngx_cpymem(p, "<Object><Key>k</Key></Object>", 29);
    p = ngx_cpymem(p, "</Delete>", 9);

    rc = ngx_http_s3_xml_parse_delete(pool, body, p - body, 1000, &keys,
                                      &quiet);
    ngx_tap_ok(rc == NGX_DECLINED && keys == NULL,
               "delete: 1001 objects: NGX_DECLINED");

    rc = ngx_http_s3_xml_parse_delete(pool, body, p - body, 2, &keys,
                                      &quiet);
    ngx_tap_ok(rc == NGX_DECLINED, "delete: over a small max");
}


static void
test_hostile(void)
{
    ngx_str_t     loc;
    ngx_uint_t    quiet;
    ngx_array_t  *keys;

    static const char  laughs[] =
        "<?xml version=\"1.0\"?>\n"
        "<!DOCTYPE lolz [\n"
        " <!ENTITY lol \"lol\">\n"
        " <!ENTITY lol1 \"&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;\">\n"
        " <!ENTITY lol2 \"&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;\">\n"
        " <!ENTITY lol3 \"&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;\">\n"
        " <!ENTITY lol4 \"&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;\">\n"
        " <!ENTITY lol5 \"&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;\">\n"
        " <!ENTITY lol6 \"&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;\">\n"
        " <!ENTITY lol7 \"&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;\">\n"
        " <!ENTITY lol8 \"&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;\">\n"
        " <!ENTITY lol9 \"&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;\">\n"
        "]>\n"
        "<Delete><Object><Key>&lol9;</Key></Object></Delete>\n";

    static const char  xxe[] =
        "<?xml version=\"1.0\"?>\n"
        "<!DOCTYPE d [ <!ENTITY x SYSTEM \"file:///etc/passwd\"> ]>\n"
        "<Delete><Object><Key>&x;</Key></Object></Delete>\n";

    static const char  xxe_param[] =
        "<?xml version=\"1.0\"?>\n"
        "<!DOCTYPE d [ <!ENTITY % p SYSTEM \"http://127.0.0.1:1/x.dtd\">"
        " %p; ]>\n"
        "<Delete><Object><Key>a</Key></Object></Delete>\n";

    static const char  external_dtd[] =
        "<?xml version=\"1.0\"?>\n"
        "<!DOCTYPE CreateBucketConfiguration SYSTEM \"/etc/passwd\">\n"
        "<CreateBucketConfiguration><LocationConstraint>x"
        "</LocationConstraint></CreateBucketConfiguration>\n";

    static const char  internal_only[] =
        "<!DOCTYPE CreateBucketConfiguration>\n"
        "<CreateBucketConfiguration/>\n";

    static const char  xinclude[] =
        "<Delete xmlns:xi=\"http://www.w3.org/2001/XInclude\"><Object><Key>"
        "<xi:include href=\"/etc/passwd\" parse=\"text\"/>"
        "</Key></Object></Delete>";

    ngx_tap_ok(delete_keys(laughs, 1000, &keys, &quiet) == NGX_ERROR,
               "billion laughs: rejected");

    ngx_tap_ok(delete_keys(xxe, 1000, &keys, &quiet) == NGX_ERROR,
               "external entity: rejected");

    ngx_tap_ok(delete_keys(xxe_param, 1000, &keys, &quiet) == NGX_ERROR,
               "external parameter entity: rejected");

    ngx_tap_ok(create_bucket(external_dtd, &loc) == NGX_ERROR,
               "external DTD: rejected");

    ngx_tap_ok(create_bucket(internal_only, &loc) == NGX_ERROR,
               "any DOCTYPE: rejected");

    ngx_tap_ok(delete_keys(xinclude, 1000, &keys, &quiet) == NGX_ERROR,
               "XInclude is not processed");
}


/* libxml2 must not write to stderr (nginx's error log) for bad input */

static void
test_silent(void)
{
    int           fd, saved;
    FILE         *tmp;
    long          size;
    ngx_str_t     loc;
    ngx_uint_t    quiet, ok;
    ngx_array_t  *keys;

    static const char  bad_encoding[] =
        "<?xml version=\"1.0\" encoding=\"EUC-JP\"?>"
        "<Delete><Object><Key>\xff\xff</Key></Object></Delete>";

    static const char  bad_utf8[] =
        "<Delete><Object><Key>\xc0\x80</Key></Object></Delete>";

    tmp = tmpfile();
    if (tmp == NULL) {
        ngx_tap_ok(0, "silent: tmpfile()");
        return;
    }

    fflush(stderr);
    saved = dup(2);
    fd = fileno(tmp);
    dup2(fd, 2);

    ok = (delete_keys(bad_encoding, 1000, &keys, &quiet) == NGX_ERROR);
    ok = ok && (delete_keys(bad_utf8, 1000, &keys, &quiet) == NGX_ERROR);
    ok = ok && (create_bucket("<a", &loc) == NGX_ERROR);
    ok = ok && (create_bucket("<!DOCTYPE a SYSTEM \"/nonexistent\"><a/>",
                              &loc) == NGX_ERROR);

    fflush(stderr);
    dup2(saved, 2);
    close(saved);

    size = lseek(fd, 0, SEEK_END);
    fclose(tmp);

    ngx_tap_ok(ok, "silent: bad documents rejected");
    ngx_tap_ok(size == 0, "silent: nothing written to stderr (%ld bytes)",
               size);
}


static ngx_int_t
create_bucket(const char *body, ngx_str_t *loc)
{
    return ngx_http_s3_xml_parse_create_bucket(pool, (u_char *) body,
                                               ngx_strlen(body), loc);
}


static ngx_int_t
delete_keys(const char *body, ngx_uint_t max, ngx_array_t **keys,
    ngx_uint_t *quiet)
{
    return ngx_http_s3_xml_parse_delete(pool, (u_char *) body,
                                        ngx_strlen(body), max, keys, quiet);
}


static size_t
chain_flatten(ngx_chain_t *cl, u_char **out, ngx_uint_t *nbufs,
    ngx_uint_t *last_ok)
{
    u_char       *p;
    size_t        n;
    ngx_chain_t  *c;

    n = 0;
    *nbufs = 0;
    *last_ok = 1;

    for (c = cl; c; c = c->next) {
        n += c->buf->last - c->buf->pos;
        (*nbufs)++;

        if ((c->next == NULL) != (c->buf->last_buf != 0)) {
            *last_ok = 0;
        }
    }

    p = ngx_pnalloc(pool, n);
    *out = p;

    if (p == NULL) {
        return 0;
    }

    for (c = cl; c; c = c->next) {
        p = ngx_cpymem(p, c->buf->pos, c->buf->last - c->buf->pos);
    }

    return n;
}


static ngx_int_t
complete(const char *body, ngx_uint_t max, ngx_array_t **parts)
{
    return ngx_http_s3_xml_parse_complete(pool, (u_char *) body,
                                          ngx_strlen(body), max, parts);
}


static void
test_complete(void)
{
    ngx_int_t                rc;
    ngx_array_t             *parts;
    ngx_http_s3_xml_part_t  *p;

    rc = complete("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                  "<CompleteMultipartUpload xmlns=\""
                  NGX_HTTP_S3_XMLNS "\">\n"
                  "  <Part><ETag>\"0123456789abcdef0123456789abcdef\"</ETag>"
                  "<PartNumber>1</PartNumber></Part>\n"
                  "  <Part><PartNumber> 3 </PartNumber>"
                  "<ETag>&quot;ff&quot;</ETag>"
                  "<ChecksumCRC32>y/Q5Jg==</ChecksumCRC32></Part>\n"
                  "  <Part><PartNumber>2</PartNumber><ETag>ee</ETag>"
                  "<Unknown/></Part>\n"
                  "</CompleteMultipartUpload>", 10000, &parts);

    ngx_tap_ok(rc == NGX_OK && parts && parts->nelts == 3,
               "complete: three parts");

    if (rc != NGX_OK) {
        return;
    }

    p = parts->elts;

    ngx_tap_ok(p[0].number == 1 && p[1].number == 3 && p[2].number == 2,
               "complete: part numbers, in the order given");
    ngx_tap_is_str(p[0].etag.data, p[0].etag.len,
                   "0123456789abcdef0123456789abcdef",
                   "complete: quoted ETag unquoted");
    ngx_tap_is_str(p[1].etag.data, p[1].etag.len, "ff",
                   "complete: &quot; quotes too");
    ngx_tap_is_str(p[1].checksum_name.data, p[1].checksum_name.len, "CRC32",
                   "complete: checksum element name");
    ngx_tap_is_str(p[1].checksum.data, p[1].checksum.len, "y/Q5Jg==",
                   "complete: checksum value");
    ngx_tap_ok(p[0].checksums == 0 && p[1].checksums == 1
               && p[0].checksum_name.len == 0,
               "complete: checksums counted");

    rc = complete("<CompleteMultipartUpload><Part><PartNumber>x"
                  "</PartNumber><ETag>a</ETag><ChecksumSHA1>a</ChecksumSHA1>"
                  "<ChecksumCRC32>b</ChecksumCRC32></Part>"
                  "</CompleteMultipartUpload>", 10000, &parts);

    p = parts ? parts->elts : NULL;

    ngx_tap_ok(rc == NGX_OK && p && p[0].number == NGX_ERROR
               && p[0].checksums == 2,
               "complete: a bad number and two checksums are the caller's");

    ngx_tap_ok(complete("<CompleteMultipartUpload/>", 10, &parts) == NGX_ERROR
               && parts == NULL, "complete: no part");

    ngx_tap_ok(complete("<CompleteMultipartUpload><Part><ETag>a</ETag>"
                        "</Part></CompleteMultipartUpload>", 10, &parts)
               == NGX_ERROR, "complete: part without a number");

    ngx_tap_ok(complete("<CompleteMultipartUpload><Part><PartNumber>1"
                        "</PartNumber></Part></CompleteMultipartUpload>", 10,
                        &parts)
               == NGX_ERROR, "complete: part without an ETag");

    ngx_tap_ok(complete("<CompleteMultipartUpload><Part><PartNumber>1"
                        "</PartNumber><PartNumber>2</PartNumber><ETag>a"
                        "</ETag></Part></CompleteMultipartUpload>", 10,
                        &parts)
               == NGX_ERROR, "complete: two numbers in a part");

    ngx_tap_ok(complete("<CompleteMultipartUpload><Part><PartNumber>1"
                        "</PartNumber><ETag>a</ETag></Part><Part><PartNumber>"
                        "2</PartNumber><ETag>a</ETag></Part>"
                        "</CompleteMultipartUpload>", 1, &parts)
               == NGX_DECLINED, "complete: more parts than max");

    ngx_tap_ok(complete("<Complete><Part><PartNumber>1</PartNumber><ETag>a"
                        "</ETag></Part></Complete>", 10, &parts)
               == NGX_ERROR, "complete: another root");

    ngx_tap_ok(complete("<CompleteMultipartUpload>text<Part><PartNumber>1"
                        "</PartNumber><ETag>a</ETag></Part>"
                        "</CompleteMultipartUpload>", 10, &parts)
               == NGX_ERROR, "complete: text between parts");
}


static void
test_versioning(void)
{
    ngx_uint_t   i, status, mfa;

    static struct {
        char        *body;
        ngx_int_t    rc;
        ngx_uint_t   status;
        ngx_uint_t   mfa;
    } cases[] = {
        { "<VersioningConfiguration xmlns=\"" NGX_HTTP_S3_XMLNS "\">"
          "<Status>Enabled</Status></VersioningConfiguration>",
          NGX_OK, 1, 0 },
        { "<VersioningConfiguration><Status> Suspended </Status>"
          "<MfaDelete>Disabled</MfaDelete></VersioningConfiguration>",
          NGX_OK, 2, 0 },
        { "<VersioningConfiguration><MfaDelete>Enabled</MfaDelete>"
          "<Status>Enabled</Status></VersioningConfiguration>",
          NGX_OK, 1, 1 },
        { "<VersioningConfiguration/>", NGX_OK, 0, 0 },
        { "<VersioningConfiguration><Status>Disabled</Status>"
          "</VersioningConfiguration>", NGX_ERROR, 0, 0 },
        { "<VersioningConfiguration><Status>enabled</Status>"
          "</VersioningConfiguration>", NGX_ERROR, 0, 0 },
        { "<VersioningConfiguration><Status>Enabled</Status>"
          "<Status>Enabled</Status></VersioningConfiguration>",
          NGX_ERROR, 0, 0 },
        { "<VersioningConfiguration><Other/></VersioningConfiguration>",
          NGX_ERROR, 0, 0 },
        { "<VersioningConfiguration><MfaDelete>on</MfaDelete>"
          "</VersioningConfiguration>", NGX_ERROR, 0, 0 },
        { "<Status>Enabled</Status>", NGX_ERROR, 0, 0 },
        { "", NGX_ERROR, 0, 0 },
        { "<VersioningConfiguration>", NGX_ERROR, 0, 0 }
    };

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        status = 9;
        mfa = 9;

        ngx_tap_ok(ngx_http_s3_xml_parse_versioning(pool,
                                          (u_char *) cases[i].body,
                                          ngx_strlen(cases[i].body),
                                          &status, &mfa)
                   == cases[i].rc
                   && (cases[i].rc != NGX_OK
                       || (status == cases[i].status
                           && mfa == cases[i].mfa)),
                   "versioning configuration %ui", i);
    }
}
