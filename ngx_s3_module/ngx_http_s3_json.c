
/*
 * Copyright (C) ngx_s3 authors
 */


#include <ngx_config.h>
#include <ngx_core.h>

#include "ngx_http_s3_json.h"
#include "ngx_http_s3_util.h"


typedef struct {
    ngx_pool_t                *pool;
    u_char                    *start;
    u_char                    *p;
    u_char                    *last;
    const char                *err;
    ngx_uint_t                 depth;
} ngx_http_s3_json_parser_t;


static ngx_http_s3_json_t *ngx_http_s3_json_value(
    ngx_http_s3_json_parser_t *jp);
static ngx_int_t ngx_http_s3_json_object(ngx_http_s3_json_parser_t *jp,
    ngx_http_s3_json_t *node);
static ngx_int_t ngx_http_s3_json_array(ngx_http_s3_json_parser_t *jp,
    ngx_http_s3_json_t *node);
static ngx_int_t ngx_http_s3_json_string(ngx_http_s3_json_parser_t *jp,
    ngx_str_t *out);
static ngx_int_t ngx_http_s3_json_number(ngx_http_s3_json_parser_t *jp,
    ngx_str_t *out);
static ngx_int_t ngx_http_s3_json_hex4(u_char *p, uint32_t *v);
static u_char *ngx_http_s3_json_utf8(u_char *p, uint32_t c);
static void ngx_http_s3_json_space(ngx_http_s3_json_parser_t *jp);
static ngx_int_t ngx_http_s3_json_word(ngx_http_s3_json_parser_t *jp,
    const char *word);


ngx_http_s3_json_t *
ngx_http_s3_json_parse(ngx_pool_t *pool, u_char *p, size_t len,
    const char **err, size_t *pos)
{
    ngx_http_s3_json_t         *root;
    ngx_http_s3_json_parser_t   jp;

    jp.pool = pool;
    jp.start = p;
    jp.p = p;
    jp.last = p + len;
    jp.err = NULL;
    jp.depth = 0;

    root = ngx_http_s3_json_value(&jp);

    if (root) {
        ngx_http_s3_json_space(&jp);

        if (jp.p < jp.last) {
            jp.err = "unexpected text after the document";
            root = NULL;
        }
    }

    if (root == NULL) {
        *err = jp.err ? jp.err : "out of memory";
        *pos = jp.p - jp.start;
    }

    return root;
}


ngx_http_s3_json_t *
ngx_http_s3_json_member(ngx_http_s3_json_t *object, const char *name)
{
    size_t               len;
    ngx_http_s3_json_t  *m;

    if (object == NULL || object->type != NGX_HTTP_S3_JSON_OBJECT) {
        return NULL;
    }

    len = ngx_strlen(name);

    for (m = object->child; m; m = m->next) {
        if (m->name.len == len && ngx_strncmp(m->name.data, name, len) == 0) {
            return m;
        }
    }

    return NULL;
}


static void
ngx_http_s3_json_space(ngx_http_s3_json_parser_t *jp)
{
    while (jp->p < jp->last
           && (*jp->p == ' ' || *jp->p == '\t' || *jp->p == '\n'
               || *jp->p == '\r'))
    {
        jp->p++;
    }
}


static ngx_http_s3_json_t *
ngx_http_s3_json_value(ngx_http_s3_json_parser_t *jp)
{
    ngx_int_t            rc;
    ngx_http_s3_json_t  *node;

    ngx_http_s3_json_space(jp);

    if (jp->p == jp->last) {
        jp->err = "unexpected end of the document";
        return NULL;
    }

    node = ngx_pcalloc(jp->pool, sizeof(ngx_http_s3_json_t));
    if (node == NULL) {
        return NULL;
    }

    switch (*jp->p) {

    case '{':
        node->type = NGX_HTTP_S3_JSON_OBJECT;
        rc = ngx_http_s3_json_object(jp, node);
        break;

    case '[':
        node->type = NGX_HTTP_S3_JSON_ARRAY;
        rc = ngx_http_s3_json_array(jp, node);
        break;

    case '"':
        node->type = NGX_HTTP_S3_JSON_STRING;
        rc = ngx_http_s3_json_string(jp, &node->str);
        break;

    case 't':
        node->type = NGX_HTTP_S3_JSON_TRUE;
        rc = ngx_http_s3_json_word(jp, "true");
        break;

    case 'f':
        node->type = NGX_HTTP_S3_JSON_FALSE;
        rc = ngx_http_s3_json_word(jp, "false");
        break;

    case 'n':
        node->type = NGX_HTTP_S3_JSON_NULL;
        rc = ngx_http_s3_json_word(jp, "null");
        break;

    default:
        node->type = NGX_HTTP_S3_JSON_NUMBER;
        rc = ngx_http_s3_json_number(jp, &node->str);
        break;
    }

    return (rc == NGX_OK) ? node : NULL;
}


static ngx_int_t
ngx_http_s3_json_word(ngx_http_s3_json_parser_t *jp, const char *word)
{
    size_t  len;

    len = ngx_strlen(word);

    if ((size_t) (jp->last - jp->p) < len
        || ngx_strncmp(jp->p, word, len) != 0)
    {
        jp->err = "invalid value";
        return NGX_ERROR;
    }

    jp->p += len;

    return NGX_OK;
}


static ngx_int_t
ngx_http_s3_json_object(ngx_http_s3_json_parser_t *jp,
    ngx_http_s3_json_t *node)
{
    ngx_str_t             name;
    ngx_http_s3_json_t   *m, **last;

    if (++jp->depth > NGX_HTTP_S3_JSON_MAX_DEPTH) {
        jp->err = "nested too deeply";
        return NGX_ERROR;
    }

    jp->p++;
    last = &node->child;

    ngx_http_s3_json_space(jp);

    if (jp->p < jp->last && *jp->p == '}') {
        jp->p++;
        jp->depth--;
        return NGX_OK;
    }

    for ( ;; ) {
        ngx_http_s3_json_space(jp);

        if (jp->p == jp->last || *jp->p != '"') {
            jp->err = "a member name (a string) is expected";
            return NGX_ERROR;
        }

        if (ngx_http_s3_json_string(jp, &name) != NGX_OK) {
            return NGX_ERROR;
        }

        ngx_http_s3_json_space(jp);

        if (jp->p == jp->last || *jp->p != ':') {
            jp->err = "':' is expected after a member name";
            return NGX_ERROR;
        }

        jp->p++;

        m = ngx_http_s3_json_value(jp);
        if (m == NULL) {
            return NGX_ERROR;
        }

        m->name = name;
        *last = m;
        last = &m->next;
        node->n++;

        ngx_http_s3_json_space(jp);

        if (jp->p == jp->last) {
            jp->err = "unexpected end of the document";
            return NGX_ERROR;
        }

        if (*jp->p == ',') {
            jp->p++;
            continue;
        }

        if (*jp->p == '}') {
            jp->p++;
            jp->depth--;
            return NGX_OK;
        }

        jp->err = "',' or '}' is expected";
        return NGX_ERROR;
    }
}


static ngx_int_t
ngx_http_s3_json_array(ngx_http_s3_json_parser_t *jp,
    ngx_http_s3_json_t *node)
{
    ngx_http_s3_json_t   *e, **last;

    if (++jp->depth > NGX_HTTP_S3_JSON_MAX_DEPTH) {
        jp->err = "nested too deeply";
        return NGX_ERROR;
    }

    jp->p++;
    last = &node->child;

    ngx_http_s3_json_space(jp);

    if (jp->p < jp->last && *jp->p == ']') {
        jp->p++;
        jp->depth--;
        return NGX_OK;
    }

    for ( ;; ) {
        e = ngx_http_s3_json_value(jp);
        if (e == NULL) {
            return NGX_ERROR;
        }

        *last = e;
        last = &e->next;
        node->n++;

        ngx_http_s3_json_space(jp);

        if (jp->p == jp->last) {
            jp->err = "unexpected end of the document";
            return NGX_ERROR;
        }

        if (*jp->p == ',') {
            jp->p++;
            continue;
        }

        if (*jp->p == ']') {
            jp->p++;
            jp->depth--;
            return NGX_OK;
        }

        jp->err = "',' or ']' is expected";
        return NGX_ERROR;
    }
}


static ngx_int_t
ngx_http_s3_json_string(ngx_http_s3_json_parser_t *jp, ngx_str_t *out)
{
    u_char    *p, *q, *end, *dst;
    uint32_t   c, lo;

    /* the end first: the decoded string is never longer */

    p = jp->p + 1;

    for (end = p; end < jp->last && *end != '"'; end++) {
        if (*end == '\\') {
            end++;
        }
    }

    if (end >= jp->last) {
        jp->err = "a string is not closed";
        return NGX_ERROR;
    }

    dst = ngx_pnalloc(jp->pool, (end - p) + 1);
    if (dst == NULL) {
        jp->err = NULL;
        return NGX_ERROR;
    }

    q = dst;

    while (p < end) {

        if (*p < 0x20) {
            jp->p = p;
            jp->err = "a control character in a string";
            return NGX_ERROR;
        }

        if (*p != '\\') {
            *q++ = *p++;
            continue;
        }

        p++;

        switch (*p) {
        case '"':  *q++ = '"'; break;
        case '\\': *q++ = '\\'; break;
        case '/':  *q++ = '/'; break;
        case 'b':  *q++ = '\b'; break;
        case 'f':  *q++ = '\f'; break;
        case 'n':  *q++ = '\n'; break;
        case 'r':  *q++ = '\r'; break;
        case 't':  *q++ = '\t'; break;

        case 'u':

            if (end - p < 5 || ngx_http_s3_json_hex4(p + 1, &c) != NGX_OK) {
                jp->p = p;
                jp->err = "a bad \\u escape";
                return NGX_ERROR;
            }

            p += 4;

            if (c >= 0xdc00 && c <= 0xdfff) {
                jp->p = p;
                jp->err = "a lone low surrogate";
                return NGX_ERROR;
            }

            if (c >= 0xd800 && c <= 0xdbff) {

                if (end - p < 7 || p[1] != '\\' || p[2] != 'u'
                    || ngx_http_s3_json_hex4(p + 3, &lo) != NGX_OK
                    || lo < 0xdc00 || lo > 0xdfff)
                {
                    jp->p = p;
                    jp->err = "a lone high surrogate";
                    return NGX_ERROR;
                }

                c = 0x10000 + ((c - 0xd800) << 10) + (lo - 0xdc00);
                p += 6;
            }

            q = ngx_http_s3_json_utf8(q, c);
            break;

        default:
            jp->p = p;
            jp->err = "a bad escape in a string";
            return NGX_ERROR;
        }

        p++;
    }

    if (!ngx_http_s3_valid_utf8(dst, q - dst)) {
        jp->err = "a string is not UTF-8";
        return NGX_ERROR;
    }

    out->data = dst;
    out->len = q - dst;

    jp->p = end + 1;

    return NGX_OK;
}


static ngx_int_t
ngx_http_s3_json_hex4(u_char *p, uint32_t *v)
{
    u_char      c;
    uint32_t    n;
    ngx_uint_t  i;

    n = 0;

    for (i = 0; i < 4; i++) {
        c = p[i];

        if (c >= '0' && c <= '9') {
            n = n * 16 + (c - '0');

        } else if ((c | 0x20) >= 'a' && (c | 0x20) <= 'f') {
            n = n * 16 + ((c | 0x20) - 'a' + 10);

        } else {
            return NGX_ERROR;
        }
    }

    *v = n;

    return NGX_OK;
}


static u_char *
ngx_http_s3_json_utf8(u_char *p, uint32_t c)
{
    if (c < 0x80) {
        *p++ = (u_char) c;

    } else if (c < 0x800) {
        *p++ = (u_char) (0xc0 | (c >> 6));
        *p++ = (u_char) (0x80 | (c & 0x3f));

    } else if (c < 0x10000) {
        *p++ = (u_char) (0xe0 | (c >> 12));
        *p++ = (u_char) (0x80 | ((c >> 6) & 0x3f));
        *p++ = (u_char) (0x80 | (c & 0x3f));

    } else {
        *p++ = (u_char) (0xf0 | (c >> 18));
        *p++ = (u_char) (0x80 | ((c >> 12) & 0x3f));
        *p++ = (u_char) (0x80 | ((c >> 6) & 0x3f));
        *p++ = (u_char) (0x80 | (c & 0x3f));
    }

    return p;
}


/* -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)? */

static ngx_int_t
ngx_http_s3_json_number(ngx_http_s3_json_parser_t *jp, ngx_str_t *out)
{
    u_char  *p, *start;

    start = jp->p;
    p = start;

    if (p < jp->last && *p == '-') {
        p++;
    }

    if (p < jp->last && *p == '0') {
        p++;

    } else if (p < jp->last && *p >= '1' && *p <= '9') {
        while (p < jp->last && *p >= '0' && *p <= '9') {
            p++;
        }

    } else {
        jp->err = "invalid value";
        return NGX_ERROR;
    }

    if (p < jp->last && *p == '.') {
        p++;

        if (p == jp->last || *p < '0' || *p > '9') {
            jp->p = p;
            jp->err = "a bad number";
            return NGX_ERROR;
        }

        while (p < jp->last && *p >= '0' && *p <= '9') {
            p++;
        }
    }

    if (p < jp->last && (*p == 'e' || *p == 'E')) {
        p++;

        if (p < jp->last && (*p == '+' || *p == '-')) {
            p++;
        }

        if (p == jp->last || *p < '0' || *p > '9') {
            jp->p = p;
            jp->err = "a bad number";
            return NGX_ERROR;
        }

        while (p < jp->last && *p >= '0' && *p <= '9') {
            p++;
        }
    }

    out->data = start;
    out->len = p - start;
    jp->p = p;

    return NGX_OK;
}
