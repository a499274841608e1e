/* sources: ngx_http_s3_cors_rules.c ngx_http_s3_xml.c ngx_http_s3_xml_parse.c ngx_http_s3_util.c ngx_http_s3_secret.c */

/*
 * Copyright (C) ngx_s3 authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include "ngx_http_s3_cors.h"

#include "ngx_stub.h"


static void test_pattern(void);
static void test_parse(void);
static void test_match(void);
static ngx_http_s3_cors_t *parse(const char *xml, ngx_uint_t *err,
    const char **msg);


static ngx_pool_t  *pool;


int
main(void)
{
    pool = ngx_stub_pool();

    test_pattern();
    test_parse();
    test_match();

    ngx_destroy_pool(pool);

    return ngx_tap_done();
}


static void
test_pattern(void)
{
    ngx_uint_t                  i;
    ngx_http_s3_cors_pattern_t  pt;

    static struct {
        const char  *pattern;
        const char  *text;
        ngx_uint_t   match;
    } tests[] = {
        { "*", "", 1 },
        { "*", "http://a", 1 },
        { "http://a", "http://a", 1 },
        { "http://a", "http://ab", 0 },
        { "http://a", "http://", 0 },
        { "http://*.example.com", "http://www.example.com", 1 },
        { "http://*.example.com", "http://.example.com", 1 },
        { "http://*.example.com", "http://example.com", 0 },
        { "http://*.example.com", "https://www.example.com", 0 },
        { "https://*", "https://x", 1 },
        { "*.com", "a.com", 1 },
        { "*.com", ".co", 0 },
        { "ab*ba", "aba", 0 },
        { "ab*ba", "abba", 1 },
        { "x-amz-*", "x-amz-date", 1 },
        { "x-amz-*", "x-am", 0 },
        { NULL, NULL, 0 }
    };

    for (i = 0; tests[i].pattern; i++) {
        pt.text.data = (u_char *) tests[i].pattern;
        pt.text.len = ngx_strlen(tests[i].pattern);
        pt.star = pt.text.len;

        if (ngx_strlchr(pt.text.data, pt.text.data + pt.text.len, '*')) {
            pt.star = ngx_strlchr(pt.text.data, pt.text.data + pt.text.len,
                                  '*') - pt.text.data;
        }

        ngx_tap_ok(ngx_http_s3_cors_pattern_match(&pt,
                       (u_char *) tests[i].text, ngx_strlen(tests[i].text))
                   == tests[i].match,
                   "\"%s\" against \"%s\"", tests[i].pattern, tests[i].text);
    }
}


static ngx_http_s3_cors_t *
parse(const char *xml, ngx_uint_t *err, const char **msg)
{
    size_t   len;
    u_char  *p;

    /* a copy: the parser may lowercase in its own copies only */

    len = ngx_strlen(xml);
    p = ngx_pnalloc(pool, len);
    ngx_memcpy(p, xml, len);

    return ngx_http_s3_cors_parse(pool, p, len, err, msg);
}


static void
test_parse(void)
{
    ngx_uint_t           i, err;
    ngx_chain_t         *cl;
    const char          *msg;
    ngx_http_s3_xml_t    w;
    ngx_http_s3_cors_t  *cors, *again;

    static struct {
        const char  *xml;
        ngx_uint_t   err;
        const char  *msg;
    } bad[] = {
        { "<CORSConfiguration/>", NGX_HTTP_S3_CORS_MALFORMED, NULL },
        { "<CORSConfiguration><CORSRule><AllowedMethod>GET</AllowedMethod>"
          "</CORSRule></CORSConfiguration>", NGX_HTTP_S3_CORS_MALFORMED,
          NULL },
        { "<CORSConfiguration><CORSRule><AllowedOrigin>*</AllowedOrigin>"
          "</CORSRule></CORSConfiguration>", NGX_HTTP_S3_CORS_MALFORMED,
          NULL },
        { "<CORSConfiguration><CORSRule><AllowedOrigin>*</AllowedOrigin>"
          "<AllowedMethod>PATCH</AllowedMethod></CORSRule>"
          "</CORSConfiguration>", NGX_HTTP_S3_CORS_INVALID,
          "Found unsupported HTTP method in CORS config. Unsupported "
          "method is PATCH" },
        { "<CORSConfiguration><CORSRule><AllowedOrigin>http://*.*.com"
          "</AllowedOrigin><AllowedMethod>GET</AllowedMethod></CORSRule>"
          "</CORSConfiguration>", NGX_HTTP_S3_CORS_INVALID,
          "AllowedOrigin \"http://*.*.com\" can not have more than one "
          "wildcard." },
        { "<CORSConfiguration><CORSRule><AllowedOrigin>*</AllowedOrigin>"
          "<AllowedMethod>GET</AllowedMethod><AllowedHeader>*-*"
          "</AllowedHeader></CORSRule></CORSConfiguration>",
          NGX_HTTP_S3_CORS_INVALID,
          "AllowedHeader \"*-*\" can not have more than one wildcard." },
        { "<CORSConfiguration><CORSRule><AllowedOrigin>*</AllowedOrigin>"
          "<AllowedMethod>GET</AllowedMethod><MaxAgeSeconds>x"
          "</MaxAgeSeconds></CORSRule></CORSConfiguration>",
          NGX_HTTP_S3_CORS_MALFORMED, NULL },
        { "<Other/>", NGX_HTTP_S3_CORS_MALFORMED, NULL },
        { "<CORSConfiguration><CORSRule>", NGX_HTTP_S3_CORS_MALFORMED,
          NULL },
        { NULL, 0, NULL }
    };

    for (i = 0; bad[i].xml; i++) {
        cors = parse(bad[i].xml, &err, &msg);

        ngx_tap_ok(cors == NULL && err == bad[i].err
                   && (bad[i].msg == NULL
                       || (msg && ngx_strcmp(msg, bad[i].msg) == 0)),
                   "bad %d: %s", (int) i, msg ? msg : "(null)");
    }

    cors = parse("<CORSConfiguration xmlns=\"http://s3.amazonaws.com/doc/"
                 "2006-03-01/\"><CORSRule><ID>r1</ID>"
                 "<AllowedOrigin>http://a.example</AllowedOrigin>"
                 "<AllowedOrigin>https://*.b.example</AllowedOrigin>"
                 "<AllowedMethod>PUT</AllowedMethod>"
                 "<AllowedMethod>GET</AllowedMethod>"
                 "<AllowedHeader>X-Amz-*</AllowedHeader>"
                 "<AllowedHeader>content-type</AllowedHeader>"
                 "<ExposeHeader>ETag</ExposeHeader>"
                 "<ExposeHeader>x-amz-meta-a</ExposeHeader>"
                 "<MaxAgeSeconds>300</MaxAgeSeconds></CORSRule>"
                 "<CORSRule><AllowedOrigin>*</AllowedOrigin>"
                 "<AllowedMethod>HEAD</AllowedMethod></CORSRule>"
                 "</CORSConfiguration>", &err, &msg);

    ngx_tap_ok(cors && cors->nrules == 2, "two rules");

    if (cors == NULL) {
        return;
    }

    ngx_tap_is_str(cors->rules[0].allow_methods.data,
                   cors->rules[0].allow_methods.len, "GET, PUT",
                   "methods in S3's order");
    ngx_tap_is_str(cors->rules[0].expose_list.data,
                   cors->rules[0].expose_list.len, "ETag, x-amz-meta-a",
                   "exposed headers");
    ngx_tap_is_int(cors->rules[0].max_age, 300, "max age");
    ngx_tap_is_int(cors->rules[1].max_age, -1, "no max age");
    ngx_tap_ok(cors->rules[1].any_origin && !cors->rules[0].any_origin,
               "any origin");

    /* written and parsed again: the same */

    ngx_http_s3_xml_init(&w, pool);
    ngx_http_s3_cors_xml(&w, cors);
    cl = ngx_http_s3_xml_finish(&w);

    ngx_tap_ok(cl != NULL && cl->next == NULL, "written");

    if (cl == NULL) {
        return;
    }

    again = ngx_http_s3_cors_parse(pool, cl->buf->pos,
                                   cl->buf->last - cl->buf->pos, &err, &msg);

    ngx_tap_ok(again && again->nrules == 2
               && again->rules[0].id.len == 2
               && again->rules[0].nheaders == 2
               && again->rules[0].norigins == 2
               && again->rules[0].methods == cors->rules[0].methods
               && again->rules[1].methods == NGX_HTTP_S3_CORS_HEAD,
               "parsed again");
}


static void
test_match(void)
{
    ngx_str_t                 o, h;
    ngx_uint_t                err;
    const char               *msg;
    ngx_http_s3_cors_t       *cors;
    ngx_http_s3_cors_rule_t  *rule;

    cors = parse("<CORSConfiguration><CORSRule><ID>one</ID>"
                 "<AllowedOrigin>http://a.example</AllowedOrigin>"
                 "<AllowedMethod>PUT</AllowedMethod>"
                 "<AllowedHeader>x-amz-*</AllowedHeader>"
                 "<AllowedHeader>Content-Type</AllowedHeader></CORSRule>"
                 "<CORSRule><ID>two</ID><AllowedOrigin>*</AllowedOrigin>"
                 "<AllowedMethod>GET</AllowedMethod></CORSRule>"
                 "</CORSConfiguration>", &err, &msg);

    ngx_tap_ok(cors != NULL, "parsed");

    if (cors == NULL) {
        return;
    }

    ngx_str_set(&o, "http://a.example");
    ngx_str_set(&h, "X-Amz-Date, content-type ,x-amz-content-sha256");

    rule = ngx_http_s3_cors_match(cors, &o, NGX_HTTP_S3_CORS_PUT, &h);
    ngx_tap_ok(rule == &cors->rules[0], "headers allowed, any case");

    ngx_str_set(&h, "x-amz-date, authorization");
    rule = ngx_http_s3_cors_match(cors, &o, NGX_HTTP_S3_CORS_PUT, &h);
    ngx_tap_ok(rule == NULL, "a header not allowed");

    rule = ngx_http_s3_cors_match(cors, &o, NGX_HTTP_S3_CORS_GET, NULL);
    ngx_tap_ok(rule == &cors->rules[1], "the second rule for GET");

    ngx_str_set(&h, "range");
    rule = ngx_http_s3_cors_match(cors, &o, NGX_HTTP_S3_CORS_GET, &h);
    ngx_tap_ok(rule == NULL, "no AllowedHeader: no header allowed");

    ngx_str_set(&o, "http://b.example");
    rule = ngx_http_s3_cors_match(cors, &o, NGX_HTTP_S3_CORS_PUT, NULL);
    ngx_tap_ok(rule == NULL, "another origin may not PUT");

    rule = ngx_http_s3_cors_match(cors, &o, NGX_HTTP_S3_CORS_DELETE, NULL);
    ngx_tap_ok(rule == NULL, "DELETE allowed by none");

    ngx_tap_ok(ngx_http_s3_cors_method((u_char *) "get", 3) == 0
               && ngx_http_s3_cors_method((u_char *) "HEAD", 4)
                  == NGX_HTTP_S3_CORS_HEAD, "methods by name");
}
