
/*
 * Copyright (C) ngx_s3 authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include "ngx_http_s3.h"


/*
 * The response writer: S3's XML documents streamed into a chain of
 * buffers, escaped as they are written (a listing can be large); the
 * request parsers are in ngx_http_s3_xml_parse.c.
 */


#define NGX_HTTP_S3_XML_BUF_SIZE  4096


static void ngx_http_s3_xml_write(ngx_http_s3_xml_t *w, u_char *p, size_t n);
static void ngx_http_s3_xml_write_escaped(ngx_http_s3_xml_t *w, u_char *p,
    size_t n);
static ngx_int_t ngx_http_s3_xml_grow(ngx_http_s3_xml_t *w);
static u_char *ngx_http_s3_xml_escape_char(u_char c, u_char *buf,
    size_t *len);


void
ngx_http_s3_xml_init(ngx_http_s3_xml_t *w, ngx_pool_t *pool)
{
    w->pool = pool;
    w->first = NULL;
    w->last = &w->first;
    w->buf = NULL;
    w->error = 0;
}


void
ngx_http_s3_xml_root(ngx_http_s3_xml_t *w, const char *name)
{
    static u_char  decl[] = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
    static u_char  ns[] = " xmlns=\"" NGX_HTTP_S3_XMLNS "\">";

    ngx_http_s3_xml_write(w, decl, sizeof(decl) - 1);
    ngx_http_s3_xml_write(w, (u_char *) "<", 1);
    ngx_http_s3_xml_write(w, (u_char *) name, ngx_strlen(name));
    ngx_http_s3_xml_write(w, ns, sizeof(ns) - 1);
}


void
ngx_http_s3_xml_open(ngx_http_s3_xml_t *w, const char *name)
{
    ngx_http_s3_xml_write(w, (u_char *) "<", 1);
    ngx_http_s3_xml_write(w, (u_char *) name, ngx_strlen(name));
    ngx_http_s3_xml_write(w, (u_char *) ">", 1);
}


void
ngx_http_s3_xml_close(ngx_http_s3_xml_t *w, const char *name)
{
    ngx_http_s3_xml_write(w, (u_char *) "</", 2);
    ngx_http_s3_xml_write(w, (u_char *) name, ngx_strlen(name));
    ngx_http_s3_xml_write(w, (u_char *) ">", 1);
}


void
ngx_http_s3_xml_text(ngx_http_s3_xml_t *w, const char *name, u_char *text,
    size_t len)
{
    ngx_http_s3_xml_open(w, name);
    ngx_http_s3_xml_write_escaped(w, text, len);
    ngx_http_s3_xml_close(w, name);
}


void
ngx_http_s3_xml_cstr(ngx_http_s3_xml_t *w, const char *name,
    const char *text)
{
    ngx_http_s3_xml_text(w, name, (u_char *) text, ngx_strlen(text));
}


void
ngx_http_s3_xml_uint(ngx_http_s3_xml_t *w, const char *name, uint64_t n)
{
    u_char  *p, buf[NGX_INT64_LEN];

    p = buf + sizeof(buf);

    do {
        *--p = (u_char) ('0' + n % 10);
        n /= 10;
    } while (n);

    ngx_http_s3_xml_open(w, name);
    ngx_http_s3_xml_write(w, p, buf + sizeof(buf) - p);
    ngx_http_s3_xml_close(w, name);
}


ngx_chain_t *
ngx_http_s3_xml_finish(ngx_http_s3_xml_t *w)
{
    ngx_buf_t    *b;
    ngx_chain_t  *cl;

    if (w->error) {
        return NULL;
    }

    if (w->first == NULL) {

        /* nothing was written: an empty last buffer */

        b = ngx_calloc_buf(w->pool);
        if (b == NULL) {
            w->error = 1;
            return NULL;
        }

        cl = ngx_alloc_chain_link(w->pool);
        if (cl == NULL) {
            w->error = 1;
            return NULL;
        }

        cl->buf = b;
        cl->next = NULL;
        w->first = cl;
        w->last = &cl->next;
        w->buf = b;
    }

    w->buf->last_buf = 1;
    w->buf->last_in_chain = 1;

    return w->first;
}


size_t
ngx_http_s3_xml_escape(u_char *dst, u_char *src, size_t len)
{
    u_char  *p, *e, *last, buf[8];
    size_t   n, size;

    last = src + len;
    size = 0;

    for (p = src; p < last; p++) {
        e = ngx_http_s3_xml_escape_char(*p, buf, &n);

        if (e == NULL) {
            if (dst) {
                *dst++ = *p;
            }

            size++;
            continue;
        }

        if (dst) {
            dst = ngx_cpymem(dst, e, n);
        }

        size += n;
    }

    return size;
}


/*
 * NULL if c stands for itself in XML text and attribute values; else the
 * escape and its length.  C0 controls become character references in the
 * shortest lowercase hex S3 writes (&#x1; &#x1b;).  Tab, LF and CR so
 * keep their exact byte through a parser's end-of-line and attribute
 * normalization; the others are not XML 1.0 characters at all, and a
 * strict parser rejects the document, as with S3: listings of such keys
 * need encoding-type=url.
 */

static u_char *
ngx_http_s3_xml_escape_char(u_char c, u_char *buf, size_t *len)
{
    u_char         *p;

    static u_char   hex[] = "0123456789abcdef";

    switch (c) {

    case '&':
        *len = sizeof("&amp;") - 1;
        return (u_char *) "&amp;";

    case '<':
        *len = sizeof("&lt;") - 1;
        return (u_char *) "&lt;";

    case '>':
        *len = sizeof("&gt;") - 1;
        return (u_char *) "&gt;";

    case '"':
        *len = sizeof("&quot;") - 1;
        return (u_char *) "&quot;";

    case '\'':
        *len = sizeof("&apos;") - 1;
        return (u_char *) "&apos;";

    default:

        if (c >= 0x20) {
            return NULL;
        }

        p = buf;

        *p++ = '&';
        *p++ = '#';
        *p++ = 'x';

        if (c >= 0x10) {
            *p++ = hex[c >> 4];
        }

        *p++ = hex[c & 0x0f];
        *p++ = ';';

        *len = p - buf;

        return buf;
    }
}


static void
ngx_http_s3_xml_write_escaped(ngx_http_s3_xml_t *w, u_char *p, size_t n)
{
    u_char  *e, *run, *last, buf[8];
    size_t   len;

    last = p + n;

    for (run = p; p < last; p++) {
        e = ngx_http_s3_xml_escape_char(*p, buf, &len);

        if (e == NULL) {
            continue;
        }

        ngx_http_s3_xml_write(w, run, p - run);
        ngx_http_s3_xml_write(w, e, len);
        run = p + 1;
    }

    ngx_http_s3_xml_write(w, run, p - run);
}


static void
ngx_http_s3_xml_write(ngx_http_s3_xml_t *w, u_char *p, size_t n)
{
    size_t  size;

    while (n && !w->error) {

        if (w->buf == NULL || w->buf->last == w->buf->end) {
            if (ngx_http_s3_xml_grow(w) != NGX_OK) {
                w->error = 1;
                return;
            }
        }

        size = ngx_min(n, (size_t) (w->buf->end - w->buf->last));

        w->buf->last = ngx_cpymem(w->buf->last, p, size);
        p += size;
        n -= size;
    }
}


static ngx_int_t
ngx_http_s3_xml_grow(ngx_http_s3_xml_t *w)
{
    ngx_buf_t    *b;
    ngx_chain_t  *cl;

    b = ngx_create_temp_buf(w->pool, NGX_HTTP_S3_XML_BUF_SIZE);
    if (b == NULL) {
        return NGX_ERROR;
    }

    cl = ngx_alloc_chain_link(w->pool);
    if (cl == NULL) {
        return NGX_ERROR;
    }

    cl->buf = b;
    cl->next = NULL;

    *w->last = cl;
    w->last = &cl->next;
    w->buf = b;

    return NGX_OK;
}
