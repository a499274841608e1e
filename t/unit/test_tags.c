/* sources: ngx_http_s3_tags.c ngx_http_s3_xml.c ngx_http_s3_xml_parse.c ngx_http_s3_wire.c ngx_http_s3_record.c ngx_http_s3_util.c */

/*
 * Copyright (C) ngx_s3 authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include "ngx_http_s3.h"
#include "ngx_http_s3_tags.h"

#include "ngx_stub.h"


static void test_header(void);
static void test_header_limits(void);
static void test_xml(void);
static void test_check(void);
static void test_of_object(void);
static ngx_int_t header(const char *in, ngx_array_t **tags,
    const char **msg);
static ngx_int_t xml(const char *in, ngx_array_t **tags);
static ngx_uint_t tag_is(ngx_array_t *tags, ngx_uint_t i, const char *k,
    const char *v);
static ngx_array_t *tags_of(ngx_uint_t n, size_t klen, size_t vlen);
static char *repeat(const char *s, ngx_uint_t n);


static ngx_pool_t  *pool;


int
main(void)
{
    pool = ngx_stub_pool();

    test_header();
    test_header_limits();
    test_xml();
    test_check();
    test_of_object();

    return ngx_tap_done();
}


static void
test_header(void)
{
    const char   *msg;
    ngx_array_t  *t;

    ngx_tap_ok(header("", &t, &msg) == NGX_OK && t->nelts == 0,
               "header: empty: no tags");

    ngx_tap_ok(header("a=1&b=two+words%2Fx&empty=&bare", &t, &msg) == NGX_OK
               && t->nelts == 4 && tag_is(t, 0, "a", "1")
               && tag_is(t, 1, "b", "two words/x")
               && tag_is(t, 2, "empty", "") && tag_is(t, 3, "bare", ""),
               "header: pairs, '+' and %%XX decoded, empty values");

    ngx_tap_ok(header("&&a=1&", &t, &msg) == NGX_OK && t->nelts == 1,
               "header: empty parts skipped");

    ngx_tap_ok(header("k=%E2%82%AC", &t, &msg) == NGX_OK
               && tag_is(t, 0, "k", "\xe2\x82\xac"), "header: UTF-8 value");

    ngx_tap_ok(header("k=a=b", &t, &msg) == NGX_OK
               && tag_is(t, 0, "k", "a=b"), "header: '=' in a value");

    ngx_tap_ok(header("a=1&a=2", &t, &msg) == NGX_ABORT
               && ngx_strstr(msg, "x-amz-tagging"),
               "header: a key twice: InvalidArgument");

    ngx_tap_ok(header("a=%zz", &t, &msg) == NGX_ABORT,
               "header: a bad escape: InvalidArgument");

    ngx_tap_ok(header("a=%", &t, &msg) == NGX_ABORT,
               "header: a cut escape: InvalidArgument");

    ngx_tap_ok(header("%ff=1", &t, &msg) == NGX_ABORT,
               "header: not UTF-8: InvalidArgument");

    ngx_tap_ok(header("=v", &t, &msg) == NGX_DECLINED,
               "header: an empty key: InvalidTag");

    ngx_tap_ok(header("aws%3Akey=v", &t, &msg) == NGX_DECLINED
               && ngx_strstr(msg, "aws:"), "header: aws: prefix: InvalidTag");

    ngx_tap_ok(header("AWS:key=v", &t, &msg) == NGX_DECLINED,
               "header: AWS: prefix, any case: InvalidTag");
}


static void
test_header_limits(void)
{
    char         *s, *k;
    const char   *msg;
    ngx_array_t  *t;

    s = "a=1&b=1&c=1&d=1&e=1&f=1&g=1&h=1&i=1&j=1";
    ngx_tap_ok(header(s, &t, &msg) == NGX_OK && t->nelts == 10,
               "header: 10 tags");

    s = "a=1&b=1&c=1&d=1&e=1&f=1&g=1&h=1&i=1&j=1&k=1";
    ngx_tap_ok(header(s, &t, &msg) == NGX_DECLINED
               && ngx_strstr(msg, "10"), "header: 11 tags: InvalidTag");

    k = repeat("k", 128);
    s = ngx_pnalloc(pool, 128 + 3);
    sprintf(s, "%s=v", k);
    ngx_tap_ok(header(s, &t, &msg) == NGX_OK, "header: a 128-char key");

    k = repeat("k", 129);
    s = ngx_pnalloc(pool, 129 + 3);
    sprintf(s, "%s=v", k);
    ngx_tap_ok(header(s, &t, &msg) == NGX_DECLINED
               && ngx_strstr(msg, "TagKey"), "header: a 129-char key");

    /* characters, not bytes: 128 x U+00E9 is 256 bytes */

    k = repeat("%C3%A9", 128);
    s = ngx_pnalloc(pool, strlen(k) + 3);
    sprintf(s, "%s=v", k);
    ngx_tap_ok(header(s, &t, &msg) == NGX_OK,
               "header: a key of 128 two-byte characters");

    k = repeat("v", 256);
    s = ngx_pnalloc(pool, 256 + 3);
    sprintf(s, "k=%s", k);
    ngx_tap_ok(header(s, &t, &msg) == NGX_OK, "header: a 256-char value");

    k = repeat("v", 257);
    s = ngx_pnalloc(pool, 257 + 3);
    sprintf(s, "k=%s", k);
    ngx_tap_ok(header(s, &t, &msg) == NGX_DECLINED
               && ngx_strstr(msg, "TagValue"), "header: a 257-char value");
}


static void
test_xml(void)
{
    ngx_array_t  *t;

    ngx_tap_ok(xml("<Tagging><TagSet><Tag><Key>a</Key><Value>1</Value></Tag>"
                   "<Tag><Key> sp </Key><Value></Value></Tag></TagSet>"
                   "</Tagging>", &t) == NGX_OK
               && t->nelts == 2 && tag_is(t, 0, "a", "1")
               && tag_is(t, 1, " sp ", ""),
               "xml: tags in order, whitespace kept, empty value");

    ngx_tap_ok(xml("<?xml version=\"1.0\"?><Tagging xmlns=\""
                   NGX_HTTP_S3_XMLNS "\">\n <TagSet>\n  <Tag><Value>v"
                   "</Value><Key>k</Key></Tag>\n </TagSet>\n</Tagging>",
                   &t) == NGX_OK
               && t->nelts == 1 && tag_is(t, 0, "k", "v"),
               "xml: S3 namespace, Value before Key");

    ngx_tap_ok(xml("<Tagging><TagSet/></Tagging>", &t) == NGX_OK
               && t->nelts == 0, "xml: an empty TagSet");

    ngx_tap_ok(xml("<Tagging><TagSet><Tag><Key>a&amp;b</Key><Value>&lt;"
                   "</Value></Tag></TagSet></Tagging>", &t) == NGX_OK
               && tag_is(t, 0, "a&b", "<"), "xml: entities decoded");

    ngx_tap_ok(xml("<Tagging></Tagging>", &t) == NGX_ERROR,
               "xml: no TagSet");
    ngx_tap_ok(xml("<Tagging><TagSet/><TagSet/></Tagging>", &t) == NGX_ERROR,
               "xml: two TagSets");
    ngx_tap_ok(xml("<Tagging><TagSet><Tag><Key>a</Key></Tag></TagSet>"
                   "</Tagging>", &t) == NGX_ERROR, "xml: no Value");
    ngx_tap_ok(xml("<Tagging><TagSet><Tag><Value>a</Value></Tag></TagSet>"
                   "</Tagging>", &t) == NGX_ERROR, "xml: no Key");
    ngx_tap_ok(xml("<Tagging><TagSet><Tag><Key>a</Key><Key>b</Key>"
                   "<Value/></Tag></TagSet></Tagging>", &t) == NGX_ERROR,
               "xml: two Keys");
    ngx_tap_ok(xml("<Tagging><TagSet><Tag><Key><b/></Key><Value/></Tag>"
                   "</TagSet></Tagging>", &t) == NGX_ERROR,
               "xml: an element in a Key");
    ngx_tap_ok(xml("<Other><TagSet/></Other>", &t) == NGX_ERROR,
               "xml: another root");
    ngx_tap_ok(xml("<Tagging><TagSet>", &t) == NGX_ERROR, "xml: cut");
    ngx_tap_ok(xml("", &t) == NGX_ERROR, "xml: empty");
    ngx_tap_ok(xml("<!DOCTYPE x [<!ENTITY e \"v\">]><Tagging><TagSet><Tag>"
                   "<Key>&e;</Key><Value/></Tag></TagSet></Tagging>", &t)
               == NGX_ERROR, "xml: a DTD is refused");
}


static void
test_check(void)
{
    const char          *msg;
    ngx_array_t         *t;
    ngx_http_s3_pair_t  *p;

    t = tags_of(50, 128, 256);
    ngx_tap_ok(ngx_http_s3_tags_check(t, NGX_HTTP_S3_TAGS_BUCKET_MAX, &msg)
               == NGX_OK, "check: 50 tags at the limits for a bucket");

    ngx_tap_ok(ngx_http_s3_tags_check(t, NGX_HTTP_S3_TAGS_OBJECT_MAX, &msg)
               == NGX_DECLINED && ngx_strstr(msg, "10"),
               "check: 50 tags for an object");

    t = tags_of(51, 1, 0);
    ngx_tap_ok(ngx_http_s3_tags_check(t, NGX_HTTP_S3_TAGS_BUCKET_MAX, &msg)
               == NGX_DECLINED && ngx_strstr(msg, "50"),
               "check: 51 tags for a bucket");

    t = tags_of(3, 5, 5);
    p = t->elts;
    p[2].name = p[0].name;
    ngx_tap_ok(ngx_http_s3_tags_check(t, NGX_HTTP_S3_TAGS_OBJECT_MAX, &msg)
               == NGX_DECLINED && ngx_strstr(msg, "same key"),
               "check: a key twice");

    t = tags_of(1, 5, 5);
    p = t->elts;
    p[0].value.data = (u_char *) "\xc3";
    p[0].value.len = 1;
    ngx_tap_ok(ngx_http_s3_tags_check(t, NGX_HTTP_S3_TAGS_OBJECT_MAX, NULL)
               == NGX_DECLINED, "check: a value not UTF-8, no message");
}


static void
test_of_object(void)
{
    ngx_uint_t             skipped;
    ngx_array_t           *t, *set;
    ngx_http_s3_object_t   o;

    ngx_memzero(&o, sizeof(o));
    o.tagging.data = (u_char *) "a=1&bad=%zz&c";
    o.tagging.len = strlen((char *) o.tagging.data);

    ngx_tap_ok(ngx_http_s3_tags_of_object(pool, &o, &t, &skipped) == NGX_OK
               && t->nelts == 2 && skipped == 1 && tag_is(t, 0, "a", "1")
               && tag_is(t, 1, "c", ""),
               "of object: x-amz-tagging as sent, a bad part left out");

    set = tags_of(2, 3, 3);
    o.tags = set;
    ngx_tap_ok(ngx_http_s3_tags_of_object(pool, &o, &t, NULL) == NGX_OK
               && t == set, "of object: the tag set first");

    ngx_memzero(&o, sizeof(o));
    ngx_tap_ok(ngx_http_s3_tags_of_object(pool, &o, &t, NULL) == NGX_OK
               && t->nelts == 0, "of object: none");
}


static ngx_int_t
header(const char *in, ngx_array_t **tags, const char **msg)
{
    ngx_str_t  s;

    s.data = (u_char *) in;
    s.len = strlen(in);
    *msg = NULL;
    *tags = NULL;

    return ngx_http_s3_tags_parse_header(pool, &s, tags, msg);
}


static ngx_int_t
xml(const char *in, ngx_array_t **tags)
{
    return ngx_http_s3_xml_parse_tagging(pool, (u_char *) in, strlen(in),
                                         tags);
}


static ngx_uint_t
tag_is(ngx_array_t *tags, ngx_uint_t i, const char *k, const char *v)
{
    ngx_http_s3_pair_t  *p;

    if (tags == NULL || i >= tags->nelts) {
        return 0;
    }

    p = tags->elts;

    return p[i].name.len == strlen(k)
           && ngx_memcmp(p[i].name.data, k, p[i].name.len) == 0
           && p[i].value.len == strlen(v)
           && (p[i].value.len == 0
               || ngx_memcmp(p[i].value.data, v, p[i].value.len) == 0);
}


/* n tags with distinct keys of klen and values of vlen characters */

static ngx_array_t *
tags_of(ngx_uint_t n, size_t klen, size_t vlen)
{
    u_char              *k;
    ngx_uint_t           i;
    ngx_array_t         *a;
    ngx_http_s3_pair_t  *p;

    a = ngx_array_create(pool, n, sizeof(ngx_http_s3_pair_t));

    for (i = 0; i < n; i++) {
        p = ngx_array_push(a);
        k = ngx_pnalloc(pool, klen + 1);
        ngx_memset(k, 'k', klen);
        k[0] = (u_char) ('A' + i % 26);

        if (klen > 1) {
            k[1] = (u_char) ('a' + i / 26);
        }

        p->name.data = k;
        p->name.len = klen;
        p->value.data = ngx_pnalloc(pool, vlen + 1);
        ngx_memset(p->value.data, 'v', vlen);
        p->value.len = vlen;
    }

    return a;
}


static char *
repeat(const char *s, ngx_uint_t n)
{
    char        *r;
    size_t       len;
    ngx_uint_t   i;

    len = strlen(s);
    r = ngx_pnalloc(pool, len * n + 1);

    for (i = 0; i < n; i++) {
        memcpy(r + i * len, s, len);
    }

    r[len * n] = '\0';

    return r;
}
