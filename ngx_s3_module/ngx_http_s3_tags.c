
/*
 * Copyright (C) ngx_s3 authors
 */


#include <ngx_config.h>
#include <ngx_core.h>

#include "ngx_http_s3_util.h"
#include "ngx_http_s3_tags.h"


#define NGX_HTTP_S3_TAGS_HEADER_RULE                                         \
    "The header 'x-amz-tagging' shall be encoded as UTF-8 then URLEncoded "  \
    "URL query parameters without tag name duplicates."


static size_t ngx_http_s3_tags_chars(ngx_str_t *s);
static ngx_int_t ngx_http_s3_tags_form_decode(ngx_pool_t *pool, u_char *p,
    size_t len, ngx_str_t *out);


ngx_int_t
ngx_http_s3_tags_check(ngx_array_t *tags, ngx_uint_t max,
    const char **message)
{
    const char          *m;
    ngx_uint_t           i, j;
    ngx_http_s3_pair_t  *t;

    t = tags->elts;
    m = NULL;

    if (tags->nelts > max) {
        m = (max == NGX_HTTP_S3_TAGS_OBJECT_MAX)
            ? "Object tags cannot be greater than 10"
            : "Bucket tag count cannot be greater than 50";
        goto invalid;
    }

    for (i = 0; i < tags->nelts; i++) {

        if (!ngx_http_s3_valid_utf8(t[i].name.data, t[i].name.len)
            || t[i].name.len == 0)
        {
            m = "The TagKey you have provided is invalid";
            goto invalid;
        }

        if (!ngx_http_s3_valid_utf8(t[i].value.data, t[i].value.len)) {
            m = "The TagValue you have provided is invalid";
            goto invalid;
        }

        if (ngx_http_s3_tags_chars(&t[i].name) > NGX_HTTP_S3_TAG_KEY_MAX) {
            m = "The TagKey you have provided is too long, max 128";
            goto invalid;
        }

        if (ngx_http_s3_tags_chars(&t[i].value) > NGX_HTTP_S3_TAG_VALUE_MAX)
        {
            m = "The TagValue you have provided is too long, max 256";
            goto invalid;
        }

        if (t[i].name.len >= 4
            && ngx_strncasecmp(t[i].name.data, (u_char *) "aws:", 4) == 0)
        {
            m = "Your TagKey cannot be prefixed with aws:";
            goto invalid;
        }

        for (j = 0; j < i; j++) {
            if (t[j].name.len == t[i].name.len
                && ngx_memcmp(t[j].name.data, t[i].name.data,
                              t[i].name.len) == 0)
            {
                m = "Cannot provide multiple Tags with the same key";
                goto invalid;
            }
        }
    }

    return NGX_OK;

invalid:

    if (message) {
        *message = m;
    }

    return NGX_DECLINED;
}


ngx_int_t
ngx_http_s3_tags_parse_header(ngx_pool_t *pool, ngx_str_t *in,
    ngx_array_t **tags, const char **message)
{
    u_char              *p, *last, *amp, *eq;
    ngx_uint_t           i;
    ngx_array_t         *a;
    ngx_http_s3_pair_t  *t, *prev;

    a = ngx_array_create(pool, 4, sizeof(ngx_http_s3_pair_t));
    if (a == NULL) {
        return NGX_ERROR;
    }

    p = in->data;
    last = p + in->len;

    while (p < last) {
        amp = ngx_strlchr(p, last, '&');
        if (amp == NULL) {
            amp = last;
        }

        if (amp == p) {
            p = amp + 1;
            continue;
        }

        eq = ngx_strlchr(p, amp, '=');

        t = ngx_array_push(a);
        if (t == NULL) {
            return NGX_ERROR;
        }

        switch (ngx_http_s3_tags_form_decode(pool, p, (eq ? eq : amp) - p,
                                             &t->name))
        {
        case NGX_OK:
            break;
        case NGX_DECLINED:
            *message = NGX_HTTP_S3_TAGS_HEADER_RULE;
            return NGX_ABORT;
        default:
            return NGX_ERROR;
        }

        switch (ngx_http_s3_tags_form_decode(pool, eq ? eq + 1 : amp,
                                             eq ? (size_t) (amp - eq - 1) : 0,
                                             &t->value))
        {
        case NGX_OK:
            break;
        case NGX_DECLINED:
            *message = NGX_HTTP_S3_TAGS_HEADER_RULE;
            return NGX_ABORT;
        default:
            return NGX_ERROR;
        }

        /* a key twice is the header's rule, not a tag's */

        prev = a->elts;

        for (i = 0; i + 1 < a->nelts; i++) {
            if (prev[i].name.len == t->name.len
                && ngx_memcmp(prev[i].name.data, t->name.data, t->name.len)
                   == 0)
            {
                *message = NGX_HTTP_S3_TAGS_HEADER_RULE;
                return NGX_ABORT;
            }
        }

        p = amp + 1;
    }

    if (ngx_http_s3_tags_check(a, NGX_HTTP_S3_TAGS_OBJECT_MAX, message)
        != NGX_OK)
    {
        return NGX_DECLINED;
    }

    *tags = a;

    return NGX_OK;
}


ngx_int_t
ngx_http_s3_tags_of_object(ngx_pool_t *pool, ngx_http_s3_object_t *o,
    ngx_array_t **tags, ngx_uint_t *skipped)
{
    u_char              *p, *last, *amp, *eq;
    ngx_int_t            rc;
    ngx_array_t         *a;
    ngx_http_s3_pair_t  *t;

    if (skipped) {
        *skipped = 0;
    }

    if (o->tags) {
        *tags = o->tags;
        return NGX_OK;
    }

    a = ngx_array_create(pool, 4, sizeof(ngx_http_s3_pair_t));
    if (a == NULL) {
        return NGX_ERROR;
    }

    *tags = a;

    p = o->tagging.data;
    last = p + o->tagging.len;

    while (p < last) {
        amp = ngx_strlchr(p, last, '&');
        if (amp == NULL) {
            amp = last;
        }

        if (amp == p) {
            p = amp + 1;
            continue;
        }

        eq = ngx_strlchr(p, amp, '=');

        t = ngx_array_push(a);
        if (t == NULL) {
            return NGX_ERROR;
        }

        rc = ngx_http_s3_tags_form_decode(pool, p, (eq ? eq : amp) - p,
                                          &t->name);

        if (rc == NGX_OK) {
            rc = ngx_http_s3_tags_form_decode(pool, eq ? eq + 1 : amp,
                                         eq ? (size_t) (amp - eq - 1) : 0,
                                         &t->value);
        }

        if (rc == NGX_ERROR) {
            return NGX_ERROR;
        }

        if (rc == NGX_DECLINED) {
            /* stored as sent: a part that does not decode is not a tag */
            a->nelts--;

            if (skipped) {
                (*skipped)++;
            }
        }

        p = amp + 1;
    }

    return NGX_OK;
}


/* characters of valid UTF-8: the bytes that do not continue one */

static size_t
ngx_http_s3_tags_chars(ngx_str_t *s)
{
    size_t  i, n;

    n = 0;

    for (i = 0; i < s->len; i++) {
        if ((s->data[i] & 0xc0) != 0x80) {
            n++;
        }
    }

    return n;
}


/*
 * form decoding: '+' a space, %XX a byte; NGX_OK, NGX_DECLINED (a bad
 * escape, or not UTF-8), NGX_ERROR
 */

static ngx_int_t
ngx_http_s3_tags_form_decode(ngx_pool_t *pool, u_char *p, size_t len,
    ngx_str_t *out)
{
    size_t   i;
    u_char  *d;

    d = ngx_pnalloc(pool, len + 1);
    if (d == NULL) {
        return NGX_ERROR;
    }

    for (i = 0; i < len; i++) {
        d[i] = (p[i] == '+') ? ' ' : p[i];
    }

    if (ngx_http_s3_uri_decode(d, &out->len, d, len) != NGX_OK
        || !ngx_http_s3_valid_utf8(d, out->len))
    {
        return NGX_DECLINED;
    }

    out->data = d;

    return NGX_OK;
}
