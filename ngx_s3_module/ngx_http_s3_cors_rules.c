
/*
 * Copyright (C) ngx_s3 authors
 */


#include <ngx_config.h>
#include <ngx_core.h>

#include "ngx_http_s3_cors.h"


static ngx_int_t ngx_http_s3_cors_rule(ngx_pool_t *pool,
    ngx_http_s3_xml_cors_rule_t *x, ngx_http_s3_cors_rule_t *rule,
    ngx_uint_t *err, const char **message);
static ngx_int_t ngx_http_s3_cors_patterns(ngx_pool_t *pool,
    ngx_array_t *a, ngx_uint_t lowcase,
    ngx_http_s3_cors_pattern_t **out, ngx_uint_t *n, const char **message);
static ngx_int_t ngx_http_s3_cors_join(ngx_pool_t *pool, ngx_str_t *items,
    ngx_uint_t n, ngx_str_t *out);
static const char *ngx_http_s3_cors_message(ngx_pool_t *pool,
    const char *before, ngx_str_t *s, const char *after);
static void ngx_http_s3_cors_lower(u_char *dst, u_char *src, size_t n);


static ngx_str_t  ngx_http_s3_cors_methods[] = {
    ngx_string("GET"),
    ngx_string("PUT"),
    ngx_string("POST"),
    ngx_string("DELETE"),
    ngx_string("HEAD")
};


ngx_http_s3_cors_t *
ngx_http_s3_cors_parse(ngx_pool_t *pool, u_char *xml, size_t len,
    ngx_uint_t *err, const char **message)
{
    ngx_uint_t                    i;
    ngx_array_t                  *rules;
    ngx_http_s3_cors_t           *cors;
    ngx_http_s3_xml_cors_rule_t  *x;

    *err = NGX_HTTP_S3_CORS_MALFORMED;
    *message = "The XML you provided was not well-formed or did not "
               "validate against our published schema";

    if (ngx_http_s3_xml_parse_cors(pool, xml, len, &rules) != NGX_OK) {
        return NULL;
    }

    if (rules->nelts == 0 || rules->nelts > NGX_HTTP_S3_CORS_MAX_RULES) {
        return NULL;
    }

    cors = ngx_pcalloc(pool, sizeof(ngx_http_s3_cors_t));
    if (cors == NULL) {
        *message = NULL;
        return NULL;
    }

    cors->rules = ngx_pcalloc(pool, rules->nelts
                                    * sizeof(ngx_http_s3_cors_rule_t));
    if (cors->rules == NULL) {
        *message = NULL;
        return NULL;
    }

    x = rules->elts;

    for (i = 0; i < rules->nelts; i++) {
        if (ngx_http_s3_cors_rule(pool, &x[i], &cors->rules[i], err,
                                  message)
            != NGX_OK)
        {
            return NULL;
        }
    }

    cors->nrules = rules->nelts;

    return cors;
}


static ngx_int_t
ngx_http_s3_cors_rule(ngx_pool_t *pool, ngx_http_s3_xml_cors_rule_t *x,
    ngx_http_s3_cors_rule_t *rule, ngx_uint_t *err, const char **message)
{
    ngx_int_t    n;
    ngx_str_t   *s, names[5];
    ngx_uint_t   i, m, k;

    /* an AllowedOrigin and an AllowedMethod at least */

    if (x->origins == NULL || x->methods == NULL
        || x->id.len > 255)
    {
        return NGX_ERROR;
    }

    rule->id = x->id;
    rule->max_age = -1;

    if (x->max_age.data) {
        n = ngx_atoi(x->max_age.data, x->max_age.len);

        if (n == NGX_ERROR) {
            return NGX_ERROR;
        }

        rule->max_age = n;
    }

    s = x->methods->elts;
    k = 0;

    for (i = 0; i < x->methods->nelts; i++) {
        m = ngx_http_s3_cors_method(s[i].data, s[i].len);

        if (m == 0) {
            *err = NGX_HTTP_S3_CORS_INVALID;
            *message = ngx_http_s3_cors_message(pool,
                           "Found unsupported HTTP method in CORS config. "
                           "Unsupported method is ", &s[i], "");
            return NGX_ERROR;
        }

        rule->methods |= m;
    }

    /* in S3's order, once each */

    for (i = 0; i < 5; i++) {
        if (rule->methods & (1 << i)) {
            names[k++] = ngx_http_s3_cors_methods[i];
        }
    }

    if (ngx_http_s3_cors_join(pool, names, k, &rule->allow_methods)
        != NGX_OK)
    {
        *message = NULL;
        return NGX_ERROR;
    }

    *err = NGX_HTTP_S3_CORS_INVALID;

    if (ngx_http_s3_cors_patterns(pool, x->origins, 0, &rule->origins,
                                  &rule->norigins, message)
        != NGX_OK
        || ngx_http_s3_cors_patterns(pool, x->headers, 1, &rule->headers,
                                     &rule->nheaders, message)
           != NGX_OK)
    {
        return NGX_ERROR;
    }

    *err = NGX_HTTP_S3_CORS_MALFORMED;

    for (i = 0; i < rule->norigins; i++) {
        if (rule->origins[i].text.len == 1
            && rule->origins[i].text.data[0] == '*')
        {
            rule->any_origin = 1;
        }
    }

    if (x->expose) {
        rule->expose = x->expose->elts;
        rule->nexpose = x->expose->nelts;

        if (ngx_http_s3_cors_join(pool, rule->expose, rule->nexpose,
                                  &rule->expose_list)
            != NGX_OK)
        {
            *message = NULL;
            return NGX_ERROR;
        }
    }

    return NGX_OK;
}


static ngx_int_t
ngx_http_s3_cors_patterns(ngx_pool_t *pool, ngx_array_t *a,
    ngx_uint_t lowcase, ngx_http_s3_cors_pattern_t **out,
    ngx_uint_t *n, const char **message)
{
    u_char                      *star;
    ngx_str_t                   *s;
    ngx_uint_t                   i;
    ngx_http_s3_cors_pattern_t  *pt;

    *out = NULL;
    *n = 0;

    if (a == NULL || a->nelts == 0) {
        return NGX_OK;
    }

    pt = ngx_palloc(pool, a->nelts * sizeof(ngx_http_s3_cors_pattern_t));
    if (pt == NULL) {
        *message = NULL;
        return NGX_ERROR;
    }

    s = a->elts;

    for (i = 0; i < a->nelts; i++) {

        if (s[i].len == 0) {
            /* an empty element matches nothing: S3 keeps it */
            pt[i].text.data = (u_char *) "";
            pt[i].text.len = 0;
            pt[i].star = 0;
            continue;
        }

        if (lowcase) {
            ngx_http_s3_cors_lower(s[i].data, s[i].data, s[i].len);
        }

        pt[i].text = s[i];

        star = ngx_strlchr(s[i].data, s[i].data + s[i].len, '*');

        if (star == NULL) {
            pt[i].star = s[i].len;
            continue;
        }

        if (ngx_strlchr(star + 1, s[i].data + s[i].len, '*')) {
            *message = ngx_http_s3_cors_message(pool,
                           lowcase ? "AllowedHeader \"" : "AllowedOrigin \"",
                           &s[i], "\" can not have more than one wildcard.");

            return NGX_ERROR;
        }

        pt[i].star = star - s[i].data;
    }

    *out = pt;
    *n = a->nelts;

    return NGX_OK;
}


static ngx_int_t
ngx_http_s3_cors_join(ngx_pool_t *pool, ngx_str_t *items, ngx_uint_t n,
    ngx_str_t *out)
{
    u_char      *p;
    size_t       len;
    ngx_uint_t   i;

    len = 0;

    for (i = 0; i < n; i++) {
        len += items[i].len + 2;
    }

    ngx_str_null(out);

    if (len == 0) {
        return NGX_OK;
    }

    p = ngx_pnalloc(pool, len);
    if (p == NULL) {
        return NGX_ERROR;
    }

    out->data = p;

    for (i = 0; i < n; i++) {
        if (i) {
            *p++ = ',';
            *p++ = ' ';
        }

        if (items[i].len) {
            p = ngx_cpymem(p, items[i].data, items[i].len);
        }
    }

    out->len = p - out->data;

    return NGX_OK;
}


/* a message naming a value of the document, NUL-terminated; NULL: none */

static const char *
ngx_http_s3_cors_message(ngx_pool_t *pool, const char *before, ngx_str_t *s,
    const char *after)
{
    u_char  *p, *last;
    size_t   a, b;

    a = ngx_strlen(before);
    b = ngx_strlen(after);

    p = ngx_pnalloc(pool, a + s->len + b + 1);
    if (p == NULL) {
        return NULL;
    }

    last = ngx_cpymem(p, before, a);

    if (s->len) {
        last = ngx_cpymem(last, s->data, s->len);
    }

    last = ngx_cpymem(last, after, b);
    *last = '\0';

    return (const char *) p;
}


static void
ngx_http_s3_cors_lower(u_char *dst, u_char *src, size_t n)
{
    while (n--) {
        *dst++ = ngx_tolower(*src);
        src++;
    }
}


void
ngx_http_s3_cors_xml(ngx_http_s3_xml_t *w, ngx_http_s3_cors_t *cors)
{
    ngx_uint_t                i, j;
    ngx_http_s3_cors_rule_t  *rule;

    ngx_http_s3_xml_root(w, "CORSConfiguration");

    for (i = 0; i < cors->nrules; i++) {
        rule = &cors->rules[i];

        ngx_http_s3_xml_open(w, "CORSRule");

        if (rule->id.len) {
            ngx_http_s3_xml_text(w, "ID", rule->id.data, rule->id.len);
        }

        for (j = 0; j < rule->nheaders; j++) {
            ngx_http_s3_xml_text(w, "AllowedHeader",
                                 rule->headers[j].text.data,
                                 rule->headers[j].text.len);
        }

        for (j = 0; j < 5; j++) {
            if (rule->methods & (1 << j)) {
                ngx_http_s3_xml_text(w, "AllowedMethod",
                                     ngx_http_s3_cors_methods[j].data,
                                     ngx_http_s3_cors_methods[j].len);
            }
        }

        for (j = 0; j < rule->norigins; j++) {
            ngx_http_s3_xml_text(w, "AllowedOrigin",
                                 rule->origins[j].text.data,
                                 rule->origins[j].text.len);
        }

        for (j = 0; j < rule->nexpose; j++) {
            ngx_http_s3_xml_text(w, "ExposeHeader", rule->expose[j].data,
                                 rule->expose[j].len);
        }

        if (rule->max_age >= 0) {
            ngx_http_s3_xml_uint(w, "MaxAgeSeconds",
                                 (uint64_t) rule->max_age);
        }

        ngx_http_s3_xml_close(w, "CORSRule");
    }

    ngx_http_s3_xml_close(w, "CORSConfiguration");
}


ngx_uint_t
ngx_http_s3_cors_method(u_char *name, size_t len)
{
    ngx_uint_t  i;

    /* case-sensitive, as S3 is: "get" is no method */

    if (len == 0) {
        return 0;
    }

    for (i = 0; i < 5; i++) {
        if (ngx_http_s3_cors_methods[i].len == len
            && ngx_strncmp(ngx_http_s3_cors_methods[i].data, name, len) == 0)
        {
            return 1 << i;
        }
    }

    return 0;
}


ngx_uint_t
ngx_http_s3_cors_pattern_match(ngx_http_s3_cors_pattern_t *pt, u_char *s,
    size_t len)
{
    size_t  suffix;

    if (pt->star == pt->text.len) {
        return pt->text.len == len
               && (len == 0 || ngx_strncmp(pt->text.data, s, len) == 0);
    }

    suffix = pt->text.len - pt->star - 1;

    return len >= pt->star + suffix
           && ngx_strncmp(pt->text.data, s, pt->star) == 0
           && ngx_strncmp(pt->text.data + pt->star + 1, s + len - suffix,
                          suffix) == 0;
}


ngx_http_s3_cors_rule_t *
ngx_http_s3_cors_match(ngx_http_s3_cors_t *cors, ngx_str_t *origin,
    ngx_uint_t method, ngx_str_t *headers)
{
    u_char                   *p, *last, *start, *end, *h;
    u_char                    low[256];
    size_t                    len;
    ngx_uint_t                i, j, k, ok;
    ngx_http_s3_cors_rule_t  *rule;

    if (cors == NULL) {
        return NULL;
    }

    for (i = 0; i < cors->nrules; i++) {
        rule = &cors->rules[i];

        if (!(rule->methods & method)) {
            continue;
        }

        for (j = 0; j < rule->norigins; j++) {
            if (ngx_http_s3_cors_pattern_match(&rule->origins[j],
                                               origin->data, origin->len))
            {
                break;
            }
        }

        if (j == rule->norigins) {
            continue;
        }

        if (headers == NULL || headers->len == 0) {
            return rule;
        }

        /* each requested header, trimmed and lowercased */

        ok = 1;
        p = headers->data;
        last = p + headers->len;

        while (p < last && ok) {

            while (p < last && (*p == ' ' || *p == '\t' || *p == ',')) {
                p++;
            }

            start = p;

            while (p < last && *p != ',') {
                p++;
            }

            end = p;

            while (end > start && (end[-1] == ' ' || end[-1] == '\t')) {
                end--;
            }

            len = end - start;

            if (len == 0) {
                continue;
            }

            if (len > sizeof(low)) {
                ok = 0;
                break;
            }

            ngx_http_s3_cors_lower(low, start, len);
            h = low;

            for (k = 0; k < rule->nheaders; k++) {
                if (ngx_http_s3_cors_pattern_match(&rule->headers[k], h,
                                                   len))
                {
                    break;
                }
            }

            if (k == rule->nheaders) {
                ok = 0;
            }
        }

        if (ok) {
            return rule;
        }
    }

    return NULL;
}
