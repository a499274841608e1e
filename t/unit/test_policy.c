/* sources: ngx_http_s3_policy.c ngx_http_s3_json.c ngx_http_s3_secret.c ngx_http_s3_util.c */

/*
 * Copyright (C) ngx_s3 authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include "ngx_http_s3_json.h"
#include "ngx_http_s3_policy.h"

#include "ngx_stub.h"


#define S(s)  { sizeof(s) - 1, (u_char *) s }


typedef struct {
    const char  *text;
    ngx_uint_t   ok;
    const char  *err;        /* a part of the message */
} test_json_t;


typedef struct {
    const char  *pattern;
    const char  *text;
    ngx_uint_t   icase;
    ngx_uint_t   match;
} test_match_t;


typedef struct {
    const char  *policy;
    const char  *err;        /* NULL: compiles */
} test_compile_t;


typedef struct {
    const char  *user;
    const char  *action;
    const char  *resource;
    const char  *ip;
    const char  *prefix;     /* NULL: absent */
    const char  *max_keys;
    const char  *secure;
    ngx_uint_t   want;
} test_eval_t;


static void test_json(void);
static void test_match(void);
static void test_compile(void);
static void test_eval(void);


static ngx_pool_t  *pool;


int
main(void)
{
    pool = ngx_stub_pool();

    test_json();
    test_match();
    test_compile();
    test_eval();

    ngx_destroy_pool(pool);

    return ngx_tap_done();
}


static void
test_json(void)
{
    size_t               pos;
    ngx_uint_t           i;
    const char          *err;
    ngx_http_s3_json_t  *js, *m;

    static test_json_t  cases[] = {
        { "{}", 1, NULL },
        { " {\"a\": [1, -2.5e3, true, false, null, \"x\"]} ", 1, NULL },
        { "\"\\u00e9\\ud83d\\ude00\\n\"", 1, NULL },
        { "[]", 1, NULL },
        { "", 0, "end" },
        { "{", 0, "name" },
        { "{\"a\" 1}", 0, "':'" },
        { "{\"a\": 1,}", 0, "name" },
        { "[1 2]", 0, "','" },
        { "[01]", 0, "','" },
        { "[1.]", 0, "number" },
        { "\"abc", 0, "not closed" },
        { "\"a\\qb\"", 0, "escape" },
        { "\"\\ud800\"", 0, "surrogate" },
        { "\"\\udc00\"", 0, "surrogate" },
        { "\"\\u12\"", 0, "\\u" },
        { "\"a\x01\"", 0, "control" },
        { "\"\xc3\"", 0, "UTF-8" },
        { "{} {}", 0, "after" },
        { "tru", 0, "invalid" },
        { "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]",
          0, "deeply" },
    };

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        err = NULL;
        js = ngx_http_s3_json_parse(pool, (u_char *) cases[i].text,
                                    ngx_strlen(cases[i].text), &err, &pos);

        ngx_tap_ok((js != NULL) == cases[i].ok
                   && (cases[i].ok || (err && strstr(err, cases[i].err))),
                   "json %d: %s (%s)", (int) i, cases[i].text, err ? err : "ok");
    }

    js = ngx_http_s3_json_parse(pool, (u_char *) "\"\\u00e9\\ud83d\\ude00\"",
                                20, &err, &pos);
    ngx_tap_ok(js && js->type == NGX_HTTP_S3_JSON_STRING
               && js->str.len == 6
               && ngx_memcmp(js->str.data, "\xc3\xa9\xf0\x9f\x98\x80", 6)
                  == 0, "json escapes decode to UTF-8");

    js = ngx_http_s3_json_parse(pool, (u_char *) "{\"a\":1,\"b\":[2,3]}", 17,
                                &err, &pos);
    m = ngx_http_s3_json_member(js, "b");
    ngx_tap_ok(js && js->n == 2 && m && m->type == NGX_HTTP_S3_JSON_ARRAY
               && m->n == 2 && m->child->str.len == 1
               && ngx_http_s3_json_member(js, "c") == NULL,
               "json members");
}


static void
test_match(void)
{
    ngx_str_t   p, t;
    ngx_uint_t  i;

    static test_match_t  cases[] = {
        { "*", "", 0, 1 },
        { "*", "anything/at all", 0, 1 },
        { "b/*", "b/x/y", 0, 1 },
        { "b/*", "b", 0, 0 },
        { "b/pub/*", "b/pub/", 0, 1 },
        { "b/pub/*", "b/private/x", 0, 0 },
        { "b/?.txt", "b/a.txt", 0, 1 },
        { "b/?.txt", "b/ab.txt", 0, 0 },
        { "b/*.jpg", "b/x/y.jpg", 0, 1 },
        { "b/*.jpg", "b/x/y.jpeg", 0, 0 },
        { "*a*b*c", "xaxbxc", 0, 1 },
        { "*a*b*c", "xaxbx", 0, 0 },
        { "s3:get*", "s3:GetObject", 1, 1 },
        { "s3:get*", "s3:GetObject", 0, 0 },
        { "S3:GETOBJECT", "s3:GetObject", 1, 1 },
        { "s3:*Object", "s3:PutObject", 1, 1 },
        { "s3:*Object", "s3:PutObjectAcl", 1, 0 },
        { "", "", 0, 1 },
        { "", "x", 0, 0 },
        { "**", "x", 0, 1 },
    };

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        p.data = (u_char *) cases[i].pattern;
        p.len = ngx_strlen(cases[i].pattern);
        t.data = (u_char *) cases[i].text;
        t.len = ngx_strlen(cases[i].text);

        ngx_tap_ok(ngx_http_s3_policy_match(&p, &t, cases[i].icase)
                   == cases[i].match, "match %s ~ %s", cases[i].pattern,
                   cases[i].text);
    }
}


#define STMT(x)  "{\"Version\":\"2012-10-17\",\"Statement\":[" x "]}"
#define ALLOW    "{\"Effect\":\"Allow\",\"Principal\":\"*\","            \
                 "\"Action\":\"s3:GetObject\",\"Resource\":\"arn:aws:s3:::bkt/*\""


static void
test_compile(void)
{
    ngx_str_t              text, bucket, err;
    ngx_uint_t             i;
    ngx_http_s3_policy_t  *p;

    static test_compile_t  cases[] = {
        { STMT(ALLOW "}"), NULL },
        { "{\"Statement\":" ALLOW "}}", NULL },
        { STMT(ALLOW ",\"Sid\":\"x\",\"Condition\":{\"IpAddress\":"
               "{\"aws:SourceIp\":[\"10.0.0.0/8\",\"2001:db8::/32\"]}}}"),
          NULL },
        { STMT(ALLOW ",\"Condition\":{\"NumericLessThanEquals\":"
               "{\"s3:max-keys\":10},\"Bool\":{\"aws:SecureTransport\":"
               "true}}}"), NULL },
        { STMT("{\"Effect\":\"Deny\",\"Principal\":{\"AWS\":[\"arn:aws:iam:"
               ":123456789012:user/bob\"],\"CanonicalUser\":\"carol\"},"
               "\"Action\":[\"s3:*\"],\"Resource\":[\"arn:aws:s3:::bkt\","
               "\"arn:aws:s3:::b*/x\"]}"), NULL },
        { "{", "valid JSON" },
        { "[]", "valid JSON" },
        { "{\"Version\":\"2012-10-17\"}", "Statement" },
        { "{\"Version\":\"2020-01-01\",\"Statement\":" ALLOW "}}",
          "version" },
        { "{\"Foo\":1,\"Statement\":" ALLOW "}}", "Unknown field Foo" },
        { STMT("{\"Effect\":\"Maybe\"}"), "Invalid effect: Maybe" },
        { STMT("{\"Principal\":\"*\",\"Action\":\"s3:GetObject\","
               "\"Resource\":\"arn:aws:s3:::bkt\"}"), "Effect" },
        { STMT("{\"Effect\":\"Allow\",\"Action\":\"s3:GetObject\","
               "\"Resource\":\"arn:aws:s3:::bkt\"}"), "Principal" },
        { STMT("{\"Effect\":\"Allow\",\"Principal\":\"*\","
               "\"Resource\":\"arn:aws:s3:::bkt\"}"), "Action" },
        { STMT("{\"Effect\":\"Allow\",\"Principal\":\"*\","
               "\"Action\":\"s3:GetObject\"}"), "Resource" },
        { STMT(ALLOW ",\"NotPrincipal\":\"*\"}"), "NotPrincipal" },
        { STMT(ALLOW ",\"NotAction\":\"s3:x\"}"), "NotAction" },
        { STMT("{\"Effect\":\"Allow\",\"Principal\":{\"AWS\":\"arn:aws:iam:"
               ":1:role/x\"},\"Action\":\"s3:GetObject\",\"Resource\":"
               "\"arn:aws:s3:::bkt\"}"), "Invalid principal" },
        { STMT("{\"Effect\":\"Allow\",\"Principal\":{\"Service\":\"x\"},"
               "\"Action\":\"s3:GetObject\",\"Resource\":"
               "\"arn:aws:s3:::bkt\"}"), "Invalid principal" },
        { STMT("{\"Effect\":\"Allow\",\"Principal\":\"*\","
               "\"Action\":\"ec2:Run\",\"Resource\":\"arn:aws:s3:::bkt\"}"),
          "invalid action" },
        { STMT("{\"Effect\":\"Allow\",\"Principal\":\"*\","
               "\"Action\":\"s3:GetObject\",\"Resource\":"
               "\"arn:aws:s3:::other/*\"}"), "invalid resource" },
        { STMT("{\"Effect\":\"Allow\",\"Principal\":\"*\","
               "\"Action\":\"s3:GetObject\",\"Resource\":\"bkt/*\"}"),
          "invalid resource" },
        { STMT("{\"Effect\":\"Allow\",\"Principal\":\"*\","
               "\"Action\":[],\"Resource\":\"arn:aws:s3:::bkt\"}"),
          "empty list" },
        { STMT(ALLOW ",\"Condition\":{\"DateGreaterThan\":{\"aws:"
               "CurrentTime\":\"2020\"}}}"), "Invalid Condition type" },
        { STMT(ALLOW ",\"Condition\":{\"StringEquals\":{\"s3:"
               "ExistingObjectTag/team\":\"a\"}}}"), "not supported" },
        { STMT(ALLOW ",\"Condition\":{\"StringEquals\":{\"aws:"
               "SourceIp\":\"1.2.3.4\"}}}"), "does not go" },
        { STMT(ALLOW ",\"Condition\":{\"IpAddress\":{\"aws:SourceIp\":"
               "\"300.1.1.1/8\"}}}"), "Invalid IP" },
        { STMT(ALLOW ",\"Condition\":{\"IpAddress\":{\"aws:SourceIp\":"
               "\"10.0.0.0/33\"}}}"), "Invalid IP" },
        { STMT(ALLOW ",\"Condition\":{\"NumericEquals\":{\"s3:max-keys\":"
               "\"ten\"}}}"), "numeric" },
        { STMT(ALLOW ",\"Condition\":{\"Bool\":{\"aws:SecureTransport\":"
               "\"yes\"}}}"), "boolean" },
        { STMT(ALLOW ",\"Condition\":{\"Bool\":{\"s3:prefix\":"
               "\"true\"}}}"), "does not go with Bool" },
    };

    bucket = (ngx_str_t) S("bkt");

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        text.data = (u_char *) cases[i].policy;
        text.len = ngx_strlen(cases[i].policy);

        p = ngx_http_s3_policy_compile(pool, &text, &bucket, &err);

        if (cases[i].err == NULL) {
            ngx_tap_ok(p != NULL, "compile %d: ok (%.*s)", (int) i,
                       (int) err.len, err.data);
            continue;
        }

        ngx_tap_ok(p == NULL && err.len
                   && memmem(err.data, err.len, cases[i].err,
                             ngx_strlen(cases[i].err)) != NULL,
                   "compile %d: %.*s", (int) i, (int) err.len, err.data);
    }
}


static void
test_eval(void)
{
    ngx_str_t                      text, bucket, err;
    ngx_uint_t                     i;
    ngx_http_s3_policy_t          *p;
    ngx_http_s3_policy_request_t   rq;

    static const char  policy[] = STMT(
        "{\"Effect\":\"Allow\",\"Principal\":\"*\",\"Action\":\"s3:Get*\","
        " \"Resource\":\"arn:aws:s3:::bkt/pub/*\"},"
        "{\"Effect\":\"Deny\",\"Principal\":\"*\",\"Action\":\"s3:*\","
        " \"Resource\":\"arn:aws:s3:::bkt/pub/secret*\"},"
        "{\"Effect\":\"Allow\",\"Principal\":{\"AWS\":\"arn:aws:iam:::user/"
        "bob\"},\"Action\":\"s3:ListBucket\",\"Resource\":"
        "\"arn:aws:s3:::bkt\",\"Condition\":{\"StringLike\":{\"s3:prefix\":"
        "\"home/bob/*\"},\"NumericLessThanEquals\":{\"s3:max-keys\":100}}},"
        "{\"Effect\":\"Allow\",\"Principal\":{\"CanonicalUser\":\"carol\"},"
        "\"Action\":\"s3:PutObject\",\"Resource\":\"arn:aws:s3:::bkt/*\","
        "\"Condition\":{\"IpAddress\":{\"aws:SourceIp\":\"10.1.0.0/16\"}}},"
        "{\"Effect\":\"Deny\",\"Principal\":\"*\",\"Action\":"
        "\"s3:DeleteObject\",\"Resource\":\"arn:aws:s3:::bkt/*\","
        "\"Condition\":{\"Bool\":{\"aws:SecureTransport\":\"false\"}}}");

    static test_eval_t  cases[] = {
        { "", "s3:GetObject", "bkt/pub/a", "1.2.3.4", NULL, NULL, "false",
          NGX_HTTP_S3_POLICY_ALLOW },
        { "", "s3:GetObject", "bkt/private/a", "1.2.3.4", NULL, NULL,
          "false", NGX_HTTP_S3_POLICY_NONE },
        { "", "s3:GetObject", "bkt/pub/secret.txt", "1.2.3.4", NULL, NULL,
          "false", NGX_HTTP_S3_POLICY_DENY },
        { "", "s3:PutObject", "bkt/pub/a", "1.2.3.4", NULL, NULL, "false",
          NGX_HTTP_S3_POLICY_NONE },
        { "bob", "s3:ListBucket", "bkt", "1.2.3.4", "home/bob/x", "10",
          "false", NGX_HTTP_S3_POLICY_ALLOW },
        { "bob", "s3:ListBucket", "bkt", "1.2.3.4", "home/alice/", "10",
          "false", NGX_HTTP_S3_POLICY_NONE },
        { "bob", "s3:ListBucket", "bkt", "1.2.3.4", "home/bob/", "1000",
          "false", NGX_HTTP_S3_POLICY_NONE },
        { "bob", "s3:ListBucket", "bkt", "1.2.3.4", NULL, "10", "false",
          NGX_HTTP_S3_POLICY_NONE },
        { "bob", "s3:ListBucket", "bkt", "1.2.3.4", "home/bob/", NULL,
          "false", NGX_HTTP_S3_POLICY_NONE },
        { "carol", "s3:ListBucket", "bkt", "1.2.3.4", "home/bob/x", "10",
          "false", NGX_HTTP_S3_POLICY_NONE },
        { "carol", "s3:PutObject", "bkt/x", "10.1.2.3", NULL, NULL, "true",
          NGX_HTTP_S3_POLICY_ALLOW },
        { "carol", "s3:PutObject", "bkt/x", "10.2.2.3", NULL, NULL, "true",
          NGX_HTTP_S3_POLICY_NONE },
        { "carol", "s3:PutObject", "bkt/x", "::1", NULL, NULL, "true",
          NGX_HTTP_S3_POLICY_NONE },
        { "bob", "s3:PutObject", "bkt/x", "10.1.2.3", NULL, NULL, "true",
          NGX_HTTP_S3_POLICY_NONE },
        { "bob", "s3:DeleteObject", "bkt/x", "10.1.2.3", NULL, NULL, "false",
          NGX_HTTP_S3_POLICY_DENY },
        { "bob", "s3:DeleteObject", "bkt/x", "10.1.2.3", NULL, NULL, "true",
          NGX_HTTP_S3_POLICY_NONE },
        { "", "s3:GetObjectAcl", "bkt/pub/a", "1.2.3.4", NULL, NULL, "false",
          NGX_HTTP_S3_POLICY_ALLOW },
    };

    text.data = (u_char *) policy;
    text.len = sizeof(policy) - 1;
    bucket = (ngx_str_t) S("bkt");

    p = ngx_http_s3_policy_compile(pool, &text, &bucket, &err);

    if (!ngx_tap_ok(p != NULL && ngx_http_s3_policy_statements(p) == 5,
                    "eval policy compiles (%.*s)", (int) err.len, err.data))
    {
        return;
    }

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        ngx_memzero(&rq, sizeof(rq));

        rq.user.data = (u_char *) cases[i].user;
        rq.user.len = ngx_strlen(cases[i].user);
        rq.action.data = (u_char *) cases[i].action;
        rq.action.len = ngx_strlen(cases[i].action);
        rq.resource.data = (u_char *) cases[i].resource;
        rq.resource.len = ngx_strlen(cases[i].resource);

        if (inet_pton(AF_INET, cases[i].ip, rq.addr) == 1) {
            rq.family = AF_INET;

        } else if (inet_pton(AF_INET6, cases[i].ip, rq.addr) == 1) {
            rq.family = AF_INET6;
        }

        if (cases[i].prefix) {
            rq.keys[NGX_HTTP_S3_POLICY_KEY_PREFIX].data =
                                                 (u_char *) cases[i].prefix;
            rq.keys[NGX_HTTP_S3_POLICY_KEY_PREFIX].len =
                                                 ngx_strlen(cases[i].prefix);
        }

        if (cases[i].max_keys) {
            rq.keys[NGX_HTTP_S3_POLICY_KEY_MAX_KEYS].data =
                                               (u_char *) cases[i].max_keys;
            rq.keys[NGX_HTTP_S3_POLICY_KEY_MAX_KEYS].len =
                                               ngx_strlen(cases[i].max_keys);
        }

        rq.keys[NGX_HTTP_S3_POLICY_KEY_SECURE].data =
                                                 (u_char *) cases[i].secure;
        rq.keys[NGX_HTTP_S3_POLICY_KEY_SECURE].len =
                                                 ngx_strlen(cases[i].secure);

        ngx_tap_is_int(ngx_http_s3_policy_eval(p, &rq), cases[i].want,
                       "eval case");
        if (ngx_http_s3_policy_eval(p, &rq) != cases[i].want) {
            ngx_tap_diag("case %d: %s %s %s", (int) i, cases[i].user,
                         cases[i].action, cases[i].resource);
        }
    }
}
