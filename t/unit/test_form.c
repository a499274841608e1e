/* sources: ngx_http_s3_form.c ngx_http_s3_json.c ngx_http_s3_util.c ngx_http_s3_secret.c */

/*
 * Copyright (C) ngx_s3 authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include "ngx_http_s3_form.h"

#include "ngx_stub.h"


#define S(s)  { sizeof(s) - 1, (u_char *) s }


typedef struct {
    u_char       out[4096];
    size_t       len;
    ngx_uint_t   starts;
    ngx_uint_t   ends;
} test_collect_t;


static void test_boundary(void);
static void test_split(void);
static void test_malformed(void);
static void test_policy(void);
static void test_time(void);
static ngx_int_t collect_start(ngx_http_s3_form_t *f);
static ngx_int_t collect_data(ngx_http_s3_form_t *f, u_char *p, size_t len);
static ngx_int_t collect_end(ngx_http_s3_form_t *f);
static ngx_int_t parse_in_pieces(const char *body, size_t piece,
    test_collect_t *c);
static ngx_str_t b64(const char *s);


static ngx_pool_t  *pool;


int
main(void)
{
    pool = ngx_stub_pool();

    test_boundary();
    test_split();
    test_malformed();
    test_policy();
    test_time();

    ngx_destroy_pool(pool);

    return ngx_tap_done();
}


static void
test_boundary(void)
{
    ngx_str_t  ct, b;

    ngx_str_set(&ct, "multipart/form-data; boundary=abc123");
    ngx_tap_ok(ngx_http_s3_form_boundary(&ct, &b) == NGX_OK
               && b.len == 6 && ngx_strncmp(b.data, "abc123", 6) == 0,
               "boundary token");

    ngx_str_set(&ct, "Multipart/Form-Data;charset=utf-8; "
                     "boundary=\"a b:c\"");
    ngx_tap_ok(ngx_http_s3_form_boundary(&ct, &b) == NGX_OK
               && b.len == 5 && ngx_strncmp(b.data, "a b:c", 5) == 0,
               "boundary quoted, after another parameter");

    ngx_str_set(&ct, "application/x-www-form-urlencoded");
    ngx_tap_ok(ngx_http_s3_form_boundary(&ct, &b) == NGX_DECLINED,
               "not multipart: declined");

    ngx_str_set(&ct, "multipart/form-data");
    ngx_tap_ok(ngx_http_s3_form_boundary(&ct, &b) == NGX_ERROR,
               "no boundary: error");

    ngx_str_set(&ct, "multipart/form-data; boundary=");
    ngx_tap_ok(ngx_http_s3_form_boundary(&ct, &b) == NGX_ERROR,
               "empty boundary: error");
}


static ngx_int_t
collect_start(ngx_http_s3_form_t *f)
{
    test_collect_t  *c = f->data;
    u_char          *p;

    c->starts++;

    p = c->out + c->len;
    p = ngx_cpymem(p, "[", 1);
    p = ngx_cpymem(p, f->name.data, f->name.len);

    if (f->has_filename) {
        p = ngx_cpymem(p, "|", 1);
        p = ngx_cpymem(p, f->filename.data, f->filename.len);
    }

    if (f->content_type.len) {
        p = ngx_cpymem(p, "|", 1);
        p = ngx_cpymem(p, f->content_type.data, f->content_type.len);
    }

    p = ngx_cpymem(p, "]", 1);
    c->len = p - c->out;

    return NGX_OK;
}


static ngx_int_t
collect_data(ngx_http_s3_form_t *f, u_char *p, size_t len)
{
    test_collect_t  *c = f->data;

    if (c->len + len > sizeof(c->out)) {
        return NGX_ERROR;
    }

    ngx_memcpy(c->out + c->len, p, len);
    c->len += len;

    return NGX_OK;
}


static ngx_int_t
collect_end(ngx_http_s3_form_t *f)
{
    test_collect_t  *c = f->data;

    c->ends++;
    c->out[c->len++] = ';';

    return NGX_OK;
}


static ngx_int_t
parse_in_pieces(const char *body, size_t piece, test_collect_t *c)
{
    size_t               len, off, n;
    ngx_int_t            rc;
    ngx_str_t            b;
    ngx_http_s3_form_t   f;

    ngx_memzero(c, sizeof(test_collect_t));
    ngx_memzero(&f, sizeof(ngx_http_s3_form_t));

    ngx_str_set(&b, "XyZ");
    ngx_http_s3_form_init(&f, &b);

    f.part_start = collect_start;
    f.part_data = collect_data;
    f.part_end = collect_end;
    f.data = c;

    len = ngx_strlen(body);

    for (off = 0; off < len; off += n) {
        n = ngx_min(piece, len - off);

        /* a copy of its own: the parser must not read past the piece */

        u_char  *copy = malloc(n);
        ngx_memcpy(copy, body + off, n);
        rc = ngx_http_s3_form_feed(&f, copy, n);
        free(copy);

        if (rc != NGX_OK) {
            return rc;
        }
    }

    return ngx_http_s3_form_eof(&f);
}


static void
test_split(void)
{
    size_t           piece;
    ngx_uint_t       all;
    test_collect_t   c;

    static const char  body[] =
        "preamble\r\n"
        "--XyZ\r\n"
        "Content-Disposition: form-data; name=\"key\"\r\n"
        "\r\n"
        "a/${filename}\r\n"
        "--XyZ  \r\n"
        "content-disposition: form-data; name=\"file\"; "
        "filename=\"C:\\x %22y%22.txt\"\r\n"
        "Content-Type: text/plain \r\n"
        "\r\n"
        "line1\r\n--XyX\r\n-\r\r\n--Xy\r\n--XyY?\r\n"
        "--XyZ\r\n"
        "Content-Disposition: form-data; name=\"after\"\r\n"
        "\r\n"
        "\r\n"
        "--XyZ--\r\n"
        "epilogue --XyZ garbage";

    static const char  want[] =
        "[key]a/${filename};"
        "[file|C:\\x %22y%22.txt|text/plain]"
        "line1\r\n--XyX\r\n-\r\r\n--Xy\r\n--XyY?;"
        "[after];";

    all = 1;

    for (piece = 1; piece <= sizeof(body); piece++) {
        if (parse_in_pieces(body, piece, &c) != NGX_OK
            || c.len != sizeof(want) - 1
            || ngx_memcmp(c.out, want, c.len) != 0
            || c.starts != 3 || c.ends != 3)
        {
            ngx_tap_diag("piece %d: got \"%.*s\"", (int) piece,
                         (int) c.len, c.out);
            all = 0;
            break;
        }
    }

    ngx_tap_ok(all, "the same parts for every piece size");
}


static void
test_malformed(void)
{
    ngx_uint_t       i;
    test_collect_t   c;

    static const char  *bad[] = {
        /* no closing delimiter */
        "--XyZ\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nb",
        /* no delimiter at all */
        "just text",
        /* a part without Content-Disposition */
        "--XyZ\r\nContent-Type: a/b\r\n\r\nb\r\n--XyZ--",
        /* without a name */
        "--XyZ\r\nContent-Disposition: form-data\r\n\r\nb\r\n--XyZ--",
        /* not form-data */
        "--XyZ\r\nContent-Disposition: attachment; name=a\r\n\r\nb\r\n"
        "--XyZ--",
        /* garbage after a delimiter */
        "--XyZx\r\n",
        /* a header line without a colon */
        "--XyZ\r\nContent-Disposition: form-data; name=a\r\nbad\r\n\r\n"
        "b\r\n--XyZ--",
        /* an unterminated quote */
        "--XyZ\r\nContent-Disposition: form-data; name=\"a\r\n\r\n"
        "b\r\n--XyZ--",
        NULL
    };

    for (i = 0; bad[i]; i++) {
        ngx_tap_ok(parse_in_pieces(bad[i], 3, &c) == NGX_DECLINED,
                   "malformed %d", (int) i);
    }

    ngx_tap_ok(parse_in_pieces("--XyZ--", 1, &c) == NGX_OK && c.starts == 0,
               "no parts at all");
}


static ngx_str_t
b64(const char *s)
{
    size_t      len, i;
    u_char     *d;
    uint32_t    v;
    ngx_str_t   dst;

    static const char  alphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

    len = ngx_strlen(s);
    dst.data = ngx_pnalloc(pool, (len + 2) / 3 * 4);
    d = dst.data;

    for (i = 0; i < len; i += 3) {
        v = (u_char) s[i] << 16;
        v |= (i + 1 < len) ? (u_char) s[i + 1] << 8 : 0;
        v |= (i + 2 < len) ? (u_char) s[i + 2] : 0;

        *d++ = alphabet[(v >> 18) & 63];
        *d++ = alphabet[(v >> 12) & 63];
        *d++ = (i + 1 < len) ? alphabet[(v >> 6) & 63] : '=';
        *d++ = (i + 2 < len) ? alphabet[v & 63] : '=';
    }

    dst.len = d - dst.data;

    return dst;
}


static void
test_policy(void)
{
    ngx_str_t                   t;
    ngx_int_t                   rc;
    ngx_uint_t                  i;
    ngx_array_t                *fields;
    ngx_keyval_t               *kv;
    const char                 *msg;
    ngx_http_s3_post_policy_t  *p;

    static struct {
        const char  *json;
        const char  *err;
    } bad[] = {
        { "not json", "Invalid Policy: Invalid JSON." },
        { "[]", "Invalid Policy: Invalid JSON." },
        { "{\"conditions\": []}",
          "Invalid Policy: Policy missing expiration." },
        { "{\"expiration\": \"2030-01-01T00:00:00Z\"}",
          "Invalid Policy: Policy missing conditions." },
        { "{\"expiration\": \"tomorrow\", \"conditions\": []}",
          "Invalid Policy: Invalid 'expiration' value: tomorrow" },
        { "{\"expiration\": \"2030-01-01T00:00:00Z\", \"conditions\": "
          "[[\"lt\", \"$key\", \"a\"]]}", "Invalid Policy: Invalid Condition." },
        { "{\"expiration\": \"2030-01-01T00:00:00Z\", \"conditions\": "
          "[[\"eq\", \"key\", \"a\"]]}", "Invalid Policy: Invalid Condition." },
        { "{\"expiration\": \"2030-01-01T00:00:00Z\", \"conditions\": "
          "[[\"content-length-range\", 10, 1]]}",
          "Invalid Policy: Invalid Condition." },
        { "{\"expiration\": \"2030-01-01T00:00:00Z\", \"conditions\": "
          "[{\"a\": \"b\", \"c\": \"d\"}]}",
          "Invalid Policy: Invalid Condition." },
        { NULL, NULL }
    };

    for (i = 0; bad[i].json; i++) {
        t = b64(bad[i].json);
        p = ngx_http_s3_post_policy_parse(pool, &t, &msg);
        ngx_tap_ok(p == NULL && msg && ngx_strcmp(msg, bad[i].err) == 0,
                   "bad policy %d: %s", (int) i, msg ? msg : "(null)");
    }

    ngx_str_set(&t, "e30=!");
    ngx_tap_ok(ngx_http_s3_post_policy_parse(pool, &t, &msg) == NULL,
               "bad base64");

    t = b64("{\"expiration\": \"2030-01-01T00:00:00.000Z\", \"conditions\": ["
            "{\"bucket\": \"b\"}, [\"starts-with\", \"$key\", \"up/\"], "
            "[\"eq\", \"$Content-Type\", \"text/plain\"], "
            "[\"content-length-range\", \"1\", 100], "
            "[\"starts-with\", \"$x-amz-meta-a\", \"\"]]}");

    p = ngx_http_s3_post_policy_parse(pool, &t, &msg);

    ngx_tap_ok(p != NULL && p->min == 1 && p->max == 100
               && p->conds->nelts == 4, "policy parsed");

    if (p == NULL) {
        return;
    }

    fields = ngx_array_create(pool, 4, sizeof(ngx_keyval_t));

    kv = ngx_array_push(fields);
    ngx_str_set(&kv->key, "bucket");
    ngx_str_set(&kv->value, "b");
    kv = ngx_array_push(fields);
    ngx_str_set(&kv->key, "key");
    ngx_str_set(&kv->value, "up/x");
    kv = ngx_array_push(fields);
    ngx_str_set(&kv->key, "content-type");
    ngx_str_set(&kv->value, "text/plain");
    kv = ngx_array_push(fields);
    ngx_str_set(&kv->key, "policy");
    ngx_str_set(&kv->value, "...");
    kv = ngx_array_push(fields);
    ngx_str_set(&kv->key, "x-ignore-me");
    ngx_str_set(&kv->value, "...");

    rc = ngx_http_s3_post_policy_check(pool, p, fields, 1000, &msg);
    ngx_tap_ok(rc == NGX_OK, "starts-with \"\" allows an absent field");

    rc = ngx_http_s3_post_policy_check(pool, p, fields, 1893456001, &msg);
    ngx_tap_ok(rc == NGX_DECLINED
               && ngx_strcmp(msg, "Invalid according to Policy: Policy "
                                  "expired.") == 0, "expired");

    kv = ngx_array_push(fields);
    ngx_str_set(&kv->key, "x-amz-meta-a");
    ngx_str_set(&kv->value, "anything");
    kv = ngx_array_push(fields);
    ngx_str_set(&kv->key, "acl");
    ngx_str_set(&kv->value, "private");

    rc = ngx_http_s3_post_policy_check(pool, p, fields, 1000, &msg);
    ngx_tap_ok(rc == NGX_DECLINED
               && ngx_strcmp(msg, "Invalid according to Policy: Extra input "
                                  "fields: acl") == 0, "extra field: %s", msg);

    fields->nelts--;
    kv = fields->elts;
    ngx_str_set(&kv[1].value, "down/x");

    rc = ngx_http_s3_post_policy_check(pool, p, fields, 1000, &msg);
    ngx_tap_ok(rc == NGX_DECLINED
               && ngx_strcmp(msg, "Invalid according to Policy: Policy "
                                  "Condition failed: [\"starts-with\", "
                                  "\"$key\", \"up/\"]") == 0,
               "starts-with failed: %s", msg);

    ngx_str_set(&kv[1].value, "up/x");
    ngx_str_set(&kv[0].value, "other");

    rc = ngx_http_s3_post_policy_check(pool, p, fields, 1000, &msg);
    ngx_tap_ok(rc == NGX_DECLINED
               && ngx_strcmp(msg, "Invalid according to Policy: Policy "
                                  "Condition failed: [\"eq\", \"$bucket\", "
                                  "\"b\"]") == 0,
               "exact match failed: %s", msg);
}


static void
test_time(void)
{
    ngx_tap_is_int(ngx_http_s3_post_parse_time((u_char *)
                       "2007-12-01T12:00:00.000Z", 24), 1196510400,
                   "time with milliseconds");
    ngx_tap_is_int(ngx_http_s3_post_parse_time((u_char *)
                       "1970-01-01T00:00:00Z", 20), 0, "the epoch");
    ngx_tap_is_int(ngx_http_s3_post_parse_time((u_char *)
                       "2024-02-29T23:59:59Z", 20), 1709251199, "leap day");
    ngx_tap_is_int(ngx_http_s3_post_parse_time((u_char *)
                       "2024-13-01T00:00:00Z", 20), -1, "month 13");
    ngx_tap_is_int(ngx_http_s3_post_parse_time((u_char *)
                       "2024-01-01 00:00:00Z", 20), -1, "no T");
    ngx_tap_is_int(ngx_http_s3_post_parse_time((u_char *)
                       "2024-01-01T00:00:00.Z", 21), -1, "empty fraction");
}
