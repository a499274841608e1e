/* sources: ngx_http_s3_form.c ngx_http_s3_json.c ngx_http_s3_util.c ngx_http_s3_secret.c */

/*
 * Copyright (C) ngx_s3 authors
 *
 * The multipart/form-data parser on any body, fed in pieces whose sizes
 * come from the input: it never reads past a piece, and the parts and
 * bytes it reports do not depend on how the body was split (fed whole,
 * then byte by byte, then in the input's own piece sizes).  The POST
 * policy parser on the same input as a base64 policy: it never crashes,
 * a failure always says why, and a policy that parses is checked against
 * fields made from the input.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include "ngx_http_s3_form.h"

#include "ngx_stub.h"


#define FUZZ_OUT  65536


typedef struct {
    u_char       out[FUZZ_OUT];
    size_t       len;
    ngx_uint_t   overflow;
} fuzz_collect_t;


int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
static ngx_int_t parse(u_char *p, size_t n, size_t piece, const u_char *sizes,
    size_t nsizes, fuzz_collect_t *c);
static void out(fuzz_collect_t *c, const void *p, size_t n);
static ngx_int_t on_start(ngx_http_s3_form_t *f);
static ngx_int_t on_data(ngx_http_s3_form_t *f, u_char *p, size_t len);
static ngx_int_t on_end(ngx_http_s3_form_t *f);
static void fuzz_policy(ngx_pool_t *pool, u_char *p, size_t n);


static fuzz_collect_t  c1, c2, c3;


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t       nsizes;
    ngx_int_t    r1, r2, r3;
    ngx_pool_t  *pool;

    if (size < 2) {
        return 0;
    }

    /* the first byte: how many of the next bytes are piece sizes */

    nsizes = data[0] % 8;

    if (size < 1 + nsizes) {
        return 0;
    }

    r1 = parse((u_char *) data + 1 + nsizes, size - 1 - nsizes, 0, NULL, 0,
               &c1);
    r2 = parse((u_char *) data + 1 + nsizes, size - 1 - nsizes, 1, NULL, 0,
               &c2);
    r3 = parse((u_char *) data + 1 + nsizes, size - 1 - nsizes, 0,
               data + 1, nsizes, &c3);

    if (r1 != r2 || r1 != r3) {
        abort();
    }

    if (!c1.overflow && !c2.overflow && !c3.overflow
        && (c1.len != c2.len || c1.len != c3.len
            || ngx_memcmp(c1.out, c2.out, c1.len) != 0
            || ngx_memcmp(c1.out, c3.out, c1.len) != 0))
    {
        abort();
    }

    pool = ngx_stub_pool();
    fuzz_policy(pool, (u_char *) data, size);
    ngx_destroy_pool(pool);

    return 0;
}


/*
 * the whole result of a parse (NGX_OK at the end, NGX_DECLINED for a
 * malformed body: the parts before it are the same for any split)
 */

static ngx_int_t
parse(u_char *p, size_t n, size_t piece, const u_char *sizes, size_t nsizes,
    fuzz_collect_t *c)
{
    size_t               off, k, i;
    u_char              *copy;
    ngx_int_t            rc;
    ngx_str_t            b;
    ngx_http_s3_form_t  *f;

    c->len = 0;
    c->overflow = 0;

    f = malloc(sizeof(ngx_http_s3_form_t));
    if (f == NULL) {
        abort();
    }

    ngx_memzero(f, sizeof(ngx_http_s3_form_t));

    ngx_str_set(&b, "b0UnD");
    ngx_http_s3_form_init(f, &b);

    f->part_start = on_start;
    f->part_data = on_data;
    f->part_end = on_end;
    f->data = c;

    rc = NGX_OK;
    i = 0;

    for (off = 0; off < n && rc == NGX_OK; off += k) {

        if (piece) {
            k = piece;

        } else if (nsizes) {
            k = sizes[i++ % nsizes] + 1;

        } else {
            k = n;
        }

        k = ngx_min(k, n - off);

        copy = malloc(k);
        if (copy == NULL) {
            abort();
        }

        ngx_memcpy(copy, p + off, k);
        rc = ngx_http_s3_form_feed(f, copy, k);
        free(copy);
    }

    if (rc == NGX_OK) {
        rc = ngx_http_s3_form_eof(f);
    }

    free(f);

    return rc;
}


static void
out(fuzz_collect_t *c, const void *p, size_t n)
{
    if (n == 0) {
        return;
    }

    if (c->len + n > FUZZ_OUT) {
        c->overflow = 1;
        return;
    }

    ngx_memcpy(c->out + c->len, p, n);
    c->len += n;
}


static ngx_int_t
on_start(ngx_http_s3_form_t *f)
{
    fuzz_collect_t  *c = f->data;

    out(c, "\0[", 2);
    out(c, f->name.data, f->name.len);
    out(c, "\0|", 2);

    if (f->has_filename) {
        out(c, f->filename.data, f->filename.len);
    }

    out(c, "\0|", 2);
    out(c, f->content_type.data, f->content_type.len);
    out(c, "\0]", 2);

    return NGX_OK;
}


static ngx_int_t
on_data(ngx_http_s3_form_t *f, u_char *p, size_t len)
{
    if (len == 0) {
        abort();
    }

    /* the bytes are readable */
    out(f->data, p, len);

    return NGX_OK;
}


static ngx_int_t
on_end(ngx_http_s3_form_t *f)
{
    out(f->data, "\0;", 2);

    return NGX_OK;
}


static void
fuzz_policy(ngx_pool_t *pool, u_char *p, size_t n)
{
    u_char                     *copy;
    size_t                      half;
    ngx_str_t                   b64;
    ngx_array_t                *fields;
    ngx_keyval_t               *kv;
    const char                 *msg;
    ngx_http_s3_post_policy_t  *policy;

    copy = ngx_pnalloc(pool, n);
    if (copy == NULL) {
        abort();
    }

    ngx_memcpy(copy, p, n);

    b64.data = copy;
    b64.len = n;

    msg = NULL;
    policy = ngx_http_s3_post_policy_parse(pool, &b64, &msg);

    if (policy == NULL) {
        if (msg == NULL) {
            abort();
        }

        return;
    }

    fields = ngx_array_create(pool, 2, sizeof(ngx_keyval_t));
    if (fields == NULL) {
        abort();
    }

    half = n / 2;

    kv = ngx_array_push(fields);
    kv->key.data = copy;
    kv->key.len = half;
    kv->value.data = copy + half;
    kv->value.len = n - half;

    kv = ngx_array_push(fields);
    ngx_str_set(&kv->key, "key");
    kv->value.data = copy;
    kv->value.len = half;

    msg = NULL;

    if (ngx_http_s3_post_policy_check(pool, policy, fields, 0, &msg)
        == NGX_DECLINED && msg == NULL)
    {
        abort();
    }
}
