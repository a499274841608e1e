/* sources: ngx_http_s3_cors_rules.c ngx_http_s3_xml.c ngx_http_s3_xml_parse.c ngx_http_s3_util.c ngx_http_s3_secret.c */

/*
 * Copyright (C) ngx_s3 authors
 *
 * CORS configurations on any input: the parser never crashes and a
 * failure always says why; a configuration that parses is written back
 * and parses again to the same rules, and is matched against origins,
 * methods and header lists made from the input.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include "ngx_http_s3_cors.h"

#include "ngx_stub.h"


int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    u_char                   *p, *flat;
    size_t                    len;
    ngx_str_t                 origin, headers;
    ngx_uint_t                err, i, m;
    ngx_pool_t               *pool;
    ngx_chain_t              *cl, *c;
    const char               *msg;
    ngx_http_s3_xml_t         w;
    ngx_http_s3_cors_t       *cors, *again;
    ngx_http_s3_cors_rule_t  *rule;

    pool = ngx_stub_pool();

    p = ngx_pnalloc(pool, size ? size : 1);
    if (p == NULL) {
        abort();
    }

    if (size) {
        ngx_memcpy(p, data, size);
    }

    msg = NULL;
    cors = ngx_http_s3_cors_parse(pool, p, size, &err, &msg);

    if (cors == NULL) {
        if (msg == NULL) {
            abort();
        }

        ngx_destroy_pool(pool);
        return 0;
    }

    ngx_http_s3_xml_init(&w, pool);
    ngx_http_s3_cors_xml(&w, cors);
    cl = ngx_http_s3_xml_finish(&w);

    if (cl == NULL) {
        abort();
    }

    len = 0;

    for (c = cl; c; c = c->next) {
        len += c->buf->last - c->buf->pos;
    }

    flat = ngx_pnalloc(pool, len);
    if (flat == NULL) {
        abort();
    }

    len = 0;

    for (c = cl; c; c = c->next) {
        ngx_memcpy(flat + len, c->buf->pos, c->buf->last - c->buf->pos);
        len += c->buf->last - c->buf->pos;
    }

    again = ngx_http_s3_cors_parse(pool, flat, len, &err, &msg);

    if (again == NULL || again->nrules != cors->nrules) {
        abort();
    }

    for (i = 0; i < cors->nrules; i++) {
        if (again->rules[i].methods != cors->rules[i].methods
            || again->rules[i].norigins != cors->rules[i].norigins
            || again->rules[i].nheaders != cors->rules[i].nheaders
            || again->rules[i].max_age != cors->rules[i].max_age)
        {
            abort();
        }
    }

    /* the input's halves as an origin and a header list */

    origin.data = p;
    origin.len = size / 2;
    headers.data = p + size / 2;
    headers.len = size - size / 2;

    for (m = NGX_HTTP_S3_CORS_GET; m <= NGX_HTTP_S3_CORS_HEAD; m <<= 1) {
        rule = ngx_http_s3_cors_match(cors, &origin, m, &headers);

        if (rule && !(rule->methods & m)) {
            abort();
        }

        rule = ngx_http_s3_cors_match(cors, &origin, m, NULL);

        if (rule && !(rule->methods & m)) {
            abort();
        }
    }

    ngx_destroy_pool(pool);

    return 0;
}
