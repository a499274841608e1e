
/*
 * Copyright (C) ngx_s3 authors
 */


#include <ngx_config.h>
#include <ngx_core.h>

#include "ngx_http_s3_util.h"
#include "ngx_http_s3_wire.h"


/*
 * The metadata protocol: buffers, integers and strings, frames, and the
 * write and copy conditions; the stored records are ngx_http_s3_record.c.
 */


static ngx_int_t ngx_http_s3_wbuf_reserve(ngx_http_s3_wbuf_t *b, size_t n);


ngx_int_t
ngx_http_s3_wbuf_init(ngx_http_s3_wbuf_t *b, ngx_pool_t *pool, size_t size)
{
    b->pool = pool;
    b->error = 0;

    if (size < 64) {
        size = 64;
    }

    if (pool) {
        b->start = ngx_pnalloc(pool, size);

    } else {
        b->start = ngx_alloc(size, ngx_cycle->log);
    }

    if (b->start == NULL) {
        b->pos = NULL;
        b->end = NULL;
        b->error = 1;
        return NGX_ERROR;
    }

    b->pos = b->start;
    b->end = b->start + size;

    return NGX_OK;
}


void
ngx_http_s3_wbuf_free(ngx_http_s3_wbuf_t *b)
{
    if (b->pool == NULL && b->start) {
        ngx_free(b->start);
    }

    b->start = NULL;
    b->pos = NULL;
    b->end = NULL;
}


static ngx_int_t
ngx_http_s3_wbuf_reserve(ngx_http_s3_wbuf_t *b, size_t n)
{
    size_t   used, size;
    u_char  *p;

    if (b->error || b->start == NULL) {
        b->error = 1;
        return NGX_ERROR;
    }

    if ((size_t) (b->end - b->pos) >= n) {
        return NGX_OK;
    }

    if (n > NGX_HTTP_S3_WIRE_MAX_FRAME + NGX_HTTP_S3_WIRE_HEADER) {
        b->error = 1;
        return NGX_ERROR;
    }

    used = b->pos - b->start;
    size = (b->end - b->start) * 2;

    while (size - used < n) {
        size *= 2;
    }

    if (size > NGX_HTTP_S3_WIRE_MAX_FRAME + NGX_HTTP_S3_WIRE_HEADER) {
        b->error = 1;
        return NGX_ERROR;
    }

    if (b->pool) {
        p = ngx_pnalloc(b->pool, size);

    } else {
        p = ngx_alloc(size, ngx_cycle->log);
    }

    if (p == NULL) {
        b->error = 1;
        return NGX_ERROR;
    }

    ngx_memcpy(p, b->start, used);

    if (b->pool == NULL) {
        ngx_free(b->start);
    }

    b->start = p;
    b->pos = p + used;
    b->end = p + size;

    return NGX_OK;
}


void
ngx_http_s3_wire_put_u8(ngx_http_s3_wbuf_t *b, uint8_t v)
{
    if (ngx_http_s3_wbuf_reserve(b, 1) == NGX_OK) {
        *b->pos++ = v;
    }
}


void
ngx_http_s3_wire_put_u32(ngx_http_s3_wbuf_t *b, uint32_t v)
{
    if (ngx_http_s3_wbuf_reserve(b, 4) == NGX_OK) {
        *b->pos++ = (u_char) (v >> 24);
        *b->pos++ = (u_char) (v >> 16);
        *b->pos++ = (u_char) (v >> 8);
        *b->pos++ = (u_char) v;
    }
}


void
ngx_http_s3_wire_put_u64(ngx_http_s3_wbuf_t *b, uint64_t v)
{
    ngx_http_s3_wire_put_u32(b, (uint32_t) (v >> 32));
    ngx_http_s3_wire_put_u32(b, (uint32_t) v);
}


void
ngx_http_s3_wire_put_raw(ngx_http_s3_wbuf_t *b, u_char *p, size_t n)
{
    if (n && ngx_http_s3_wbuf_reserve(b, n) == NGX_OK) {
        b->pos = ngx_cpymem(b->pos, p, n);
    }
}


void
ngx_http_s3_wire_put_str(ngx_http_s3_wbuf_t *b, ngx_str_t *s)
{
    ngx_http_s3_wire_put_u32(b, (uint32_t) s->len);
    ngx_http_s3_wire_put_raw(b, s->data, s->len);
}


size_t
ngx_http_s3_wire_frame_begin(ngx_http_s3_wbuf_t *b, uint32_t id,
    uint8_t code)
{
    size_t  start;

    start = b->pos - b->start;

    ngx_http_s3_wire_put_u32(b, 0);
    ngx_http_s3_wire_put_u32(b, id);
    ngx_http_s3_wire_put_u8(b, code);

    return start;
}


void
ngx_http_s3_wire_frame_end(ngx_http_s3_wbuf_t *b, size_t start)
{
    size_t   len;
    u_char  *p;

    if (b->error) {
        return;
    }

    p = b->start + start;
    len = b->pos - p - 4;

    if (len > NGX_HTTP_S3_WIRE_MAX_FRAME) {
        b->error = 1;
        return;
    }

    p[0] = (u_char) (len >> 24);
    p[1] = (u_char) (len >> 16);
    p[2] = (u_char) (len >> 8);
    p[3] = (u_char) len;
}


ngx_int_t
ngx_http_s3_wire_frame_parse(u_char *p, size_t n, size_t *len, uint32_t *id,
    uint8_t *code)
{
    uint32_t  l;

    if (n < NGX_HTTP_S3_WIRE_HEADER) {
        return NGX_AGAIN;
    }

    l = ((uint32_t) p[0] << 24) | ((uint32_t) p[1] << 16)
        | ((uint32_t) p[2] << 8) | p[3];

    if (l < NGX_HTTP_S3_WIRE_HEADER - 4 || l > NGX_HTTP_S3_WIRE_MAX_FRAME) {
        return NGX_ERROR;
    }

    *len = (size_t) l + 4;
    *id = ((uint32_t) p[4] << 24) | ((uint32_t) p[5] << 16)
          | ((uint32_t) p[6] << 8) | p[7];
    *code = p[8];

    return (n < *len) ? NGX_AGAIN : NGX_OK;
}


void
ngx_http_s3_rbuf_init(ngx_http_s3_rbuf_t *b, ngx_str_t *s)
{
    b->pos = s->data;
    b->last = s->data + s->len;
    b->error = 0;
}


uint8_t
ngx_http_s3_wire_get_u8(ngx_http_s3_rbuf_t *b)
{
    if (b->error || b->last - b->pos < 1) {
        b->error = 1;
        return 0;
    }

    return *b->pos++;
}


uint32_t
ngx_http_s3_wire_get_u32(ngx_http_s3_rbuf_t *b)
{
    uint32_t  v;

    if (b->error || b->last - b->pos < 4) {
        b->error = 1;
        return 0;
    }

    v = ((uint32_t) b->pos[0] << 24) | ((uint32_t) b->pos[1] << 16)
        | ((uint32_t) b->pos[2] << 8) | b->pos[3];
    b->pos += 4;

    return v;
}


uint64_t
ngx_http_s3_wire_get_u64(ngx_http_s3_rbuf_t *b)
{
    uint64_t  hi;

    hi = ngx_http_s3_wire_get_u32(b);

    return (hi << 32) | ngx_http_s3_wire_get_u32(b);
}


void
ngx_http_s3_wire_get_str(ngx_http_s3_rbuf_t *b, ngx_str_t *s)
{
    uint32_t  len;

    len = ngx_http_s3_wire_get_u32(b);

    if (b->error || (size_t) (b->last - b->pos) < len) {
        b->error = 1;
        s->len = 0;
        s->data = NULL;
        return;
    }

    s->len = len;
    s->data = b->pos;
    b->pos += len;
}


void
ngx_http_s3_wire_put_cond(ngx_http_s3_wbuf_t *b, ngx_http_s3_write_cond_t *wc)
{
    ngx_http_s3_wire_put_u8(b, (uint8_t) wc->cond);
    ngx_http_s3_wire_put_str(b, &wc->match);

    if (wc->cond & NGX_HTTP_S3_WIRE_COND_IF_NONE_LIST) {
        ngx_http_s3_wire_put_str(b, &wc->none_match);
    }
}


void
ngx_http_s3_wire_get_cond(ngx_http_s3_rbuf_t *b, ngx_http_s3_write_cond_t *wc)
{
    wc->cond = ngx_http_s3_wire_get_u8(b);
    ngx_http_s3_wire_get_str(b, &wc->match);

    if (wc->cond & NGX_HTTP_S3_WIRE_COND_IF_NONE_LIST) {
        ngx_http_s3_wire_get_str(b, &wc->none_match);

    } else if (wc->cond & NGX_HTTP_S3_WIRE_COND_IF_NONE_MATCH) {
        /* format 1: If-None-Match: * */
        ngx_str_set(&wc->none_match, "*");
        wc->cond |= NGX_HTTP_S3_WIRE_COND_IF_NONE_LIST;

    } else {
        ngx_str_null(&wc->none_match);
    }
}


/* RFC 9110 13.2.2: If-Match first, then If-None-Match (weak compare) */

ngx_uint_t
ngx_http_s3_write_cond_check(ngx_http_s3_write_cond_t *wc, ngx_str_t *etag)
{
    if (wc->cond & NGX_HTTP_S3_WIRE_COND_IF_MATCH) {

        if (etag == NULL) {
            return NGX_HTTP_S3_WIRE_ST_NO_KEY;
        }

        if (!ngx_http_s3_etag_match(&wc->match, etag, 0)) {
            return NGX_HTTP_S3_WIRE_ST_PRECONDITION;
        }
    }

    if ((wc->cond & NGX_HTTP_S3_WIRE_COND_IF_NONE_LIST)
        && etag != NULL
        && ngx_http_s3_etag_match(&wc->none_match, etag, 1))
    {
        return NGX_HTTP_S3_WIRE_ST_PRECONDITION;
    }

    return NGX_HTTP_S3_WIRE_ST_OK;
}


void
ngx_http_s3_wire_put_copy_cond(ngx_http_s3_wbuf_t *b,
    ngx_http_s3_copy_cond_t *cc)
{
    ngx_http_s3_wire_put_u8(b, (uint8_t) cc->cond);
    ngx_http_s3_wire_put_str(b, &cc->match);
    ngx_http_s3_wire_put_str(b, &cc->none_match);
    ngx_http_s3_wire_put_u64(b, cc->unmodified_since);
    ngx_http_s3_wire_put_u64(b, cc->modified_since);
}


void
ngx_http_s3_wire_get_copy_cond(ngx_http_s3_rbuf_t *b,
    ngx_http_s3_copy_cond_t *cc)
{
    cc->cond = ngx_http_s3_wire_get_u8(b);
    ngx_http_s3_wire_get_str(b, &cc->match);
    ngx_http_s3_wire_get_str(b, &cc->none_match);
    cc->unmodified_since = ngx_http_s3_wire_get_u64(b);
    cc->modified_since = ngx_http_s3_wire_get_u64(b);
}


ngx_int_t
ngx_http_s3_copy_cond_check(ngx_http_s3_copy_cond_t *cc, ngx_str_t *etag,
    uint64_t mtime)
{
    mtime /= 1000;

    if (cc->cond & NGX_HTTP_S3_WIRE_SRC_IF_MATCH) {

        if (!ngx_http_s3_etag_match(&cc->match, etag, 0)) {
            return NGX_DECLINED;
        }

    } else if ((cc->cond & NGX_HTTP_S3_WIRE_SRC_IF_UNMODIFIED)
               && mtime > cc->unmodified_since)
    {
        return NGX_DECLINED;
    }

    if (cc->cond & NGX_HTTP_S3_WIRE_SRC_IF_NONE_MATCH) {

        if (ngx_http_s3_etag_match(&cc->none_match, etag, 1)) {
            return NGX_DECLINED;
        }

    } else if ((cc->cond & NGX_HTTP_S3_WIRE_SRC_IF_MODIFIED)
               && mtime <= cc->modified_since)
    {
        return NGX_DECLINED;
    }

    return NGX_OK;
}
