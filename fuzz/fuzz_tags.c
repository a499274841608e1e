/* sources: ngx_http_s3_tags.c ngx_http_s3_util.c */

/*
 * Copyright (C) ngx_s3 authors
 *
 * x-amz-tagging on any input: no crash, leak or read out of bounds; a
 * tag set it accepts passes ngx_http_s3_tags_check() for an object, and
 * written back as a query string (form encoding) parses to the same set;
 * a refusal says why (a message).
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include "ngx_http_s3.h"
#include "ngx_http_s3_tags.h"

#include "ngx_stub.h"


int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
static ngx_uint_t same_tags(ngx_array_t *a, ngx_array_t *b);


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    u_char              *p;
    size_t               len;
    ngx_str_t            in, again;
    ngx_int_t            rc;
    ngx_uint_t           i;
    const char          *msg;
    ngx_pool_t          *pool;
    ngx_array_t         *tags, *tags2;
    ngx_http_s3_pair_t  *t;

    pool = ngx_stub_pool();

    in.data = ngx_pnalloc(pool, size + 1);
    if (in.data == NULL) {
        abort();
    }

    if (size) {
        ngx_memcpy(in.data, data, size);
    }

    in.len = size;
    msg = NULL;
    tags = NULL;

    rc = ngx_http_s3_tags_parse_header(pool, &in, &tags, &msg);

    if (rc == NGX_DECLINED || rc == NGX_ABORT) {
        if (msg == NULL) {
            abort();
        }

        ngx_destroy_pool(pool);
        return 0;
    }

    if (rc != NGX_OK || tags == NULL
        || ngx_http_s3_tags_check(tags, NGX_HTTP_S3_TAGS_OBJECT_MAX, NULL)
           != NGX_OK)
    {
        abort();
    }

    /* the set written back, form-encoded, parses to the same set */

    len = 0;
    t = tags->elts;

    for (i = 0; i < tags->nelts; i++) {
        len += ngx_http_s3_form_encode(NULL, t[i].name.data, t[i].name.len)
               + ngx_http_s3_form_encode(NULL, t[i].value.data,
                                         t[i].value.len) + 2;
    }

    again.data = ngx_pnalloc(pool, len + 1);
    if (again.data == NULL) {
        abort();
    }

    p = again.data;

    for (i = 0; i < tags->nelts; i++) {
        if (i) {
            *p++ = '&';
        }

        p += ngx_http_s3_form_encode(p, t[i].name.data, t[i].name.len);
        *p++ = '=';
        p += ngx_http_s3_form_encode(p, t[i].value.data, t[i].value.len);
    }

    again.len = p - again.data;

    if (ngx_http_s3_tags_parse_header(pool, &again, &tags2, &msg) != NGX_OK
        || !same_tags(tags, tags2))
    {
        abort();
    }

    ngx_destroy_pool(pool);

    return 0;
}


static ngx_uint_t
same_tags(ngx_array_t *a, ngx_array_t *b)
{
    ngx_uint_t           i;
    ngx_http_s3_pair_t  *x, *y;

    if (a->nelts != b->nelts) {
        return 0;
    }

    x = a->elts;
    y = b->elts;

    for (i = 0; i < a->nelts; i++) {
        if (x[i].name.len != y[i].name.len
            || x[i].value.len != y[i].value.len
            || ngx_memcmp(x[i].name.data, y[i].name.data, x[i].name.len)
            || (x[i].value.len
                && ngx_memcmp(x[i].value.data, y[i].value.data,
                              x[i].value.len)))
        {
            return 0;
        }
    }

    return 1;
}
