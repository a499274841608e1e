
/*
 * Copyright (C) ngx_s3 authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_s3.h"
#include "ngx_http_s3_ops.h"
#include "ngx_http_s3_chunked.h"


/*
 * Gateway mode: an aws-chunked body decoded on its way upstream.
 *
 * A request body filter (HTTP/1 and HTTP/2 alike) runs the body reader of
 * ngx_http_s3_body.c over each buffer nginx reads: the decoder checks
 * every chunk signature, the trailer and its checksum; the proxy sends
 * only the data, as UNSIGNED-PAYLOAD, with Content-Length the decoded
 * length.  The decoder hands data out before it can check the chunk's
 * signature, so the body's last byte is held back until the whole body
 * has been verified: a tampered body never reaches the upstream whole,
 * and the upstream commits nothing.  A failed check ends the request
 * with the S3 error (conf/s3_gateway.conf sends it to the s3 location).
 *
 * The data goes out in buffers that point into nginx's own: those stay
 * busy (nginx does not reuse them) until the proxy has sent what was cut
 * from them.
 */


static ngx_int_t ngx_http_s3_gw_body_filter(ngx_http_request_t *r,
    ngx_chain_t *in);
static ngx_int_t ngx_http_s3_gw_body_data(ngx_http_s3_body_t *bd,
    u_char *p, size_t len);
static void ngx_http_s3_gw_body_done(ngx_http_s3_body_t *bd);
static ngx_int_t ngx_http_s3_gw_body_busy(ngx_http_request_t *r,
    ngx_http_s3_gw_req_t *gw, ngx_buf_t *in, ngx_buf_t *piece);
static void ngx_http_s3_gw_body_update(ngx_http_s3_gw_req_t *gw);
static ngx_int_t ngx_http_s3_gw_body_fail(ngx_http_request_t *r,
    ngx_http_s3_gw_req_t *gw, ngx_http_s3_err_e err, const char *message);


static ngx_http_request_body_filter_pt   ngx_http_s3_gw_next_body_filter;


/* what the decoder hands out from one piece of the input */

typedef struct {
    ngx_http_request_t        *request;
    ngx_http_s3_gw_req_t      *gw;
    ngx_chain_t              **last;
    ngx_buf_t                 *piece;        /* the last one made */
    ngx_uint_t                 produced;
} ngx_http_s3_gw_body_out_t;


ngx_int_t
ngx_http_s3_gw_body_filter_init(ngx_conf_t *cf)
{
    ngx_http_s3_gw_next_body_filter = ngx_http_top_request_body_filter;
    ngx_http_top_request_body_filter = ngx_http_s3_gw_body_filter;

    return NGX_OK;
}


/*
 * Before the request goes upstream: the body reader set up as for a PUT
 * (x-amz-decoded-content-length, the decoder chained from the request's
 * signature, the trailer's checksum), without the MD5 of an ETag.
 * NGX_OK, or an error was answered.
 */

ngx_int_t
ngx_http_s3_gw_body_init(ngx_http_request_t *r, ngx_http_s3_gw_req_t *gw)
{
    u_char              *p, *last, *start, *end;
    ngx_table_elt_t     *h;
    ngx_http_s3_err_e    err;
    ngx_http_s3_body_t  *bd;

    bd = ngx_pcalloc(r->pool, sizeof(ngx_http_s3_body_t));
    if (bd == NULL) {
        return ngx_http_s3_send_error(r, NGX_HTTP_S3_ERR_INTERNAL, NULL);
    }

    bd->data_handler = ngx_http_s3_gw_body_data;
    bd->done_handler = ngx_http_s3_gw_body_done;
    bd->no_etag = 1;

    err = ngx_http_s3_body_init(r, bd);

    if (err != NGX_HTTP_S3_OK) {
        return ngx_http_s3_send_error(r, err, bd->message);
    }

    bd->data = gw;
    gw->body = bd;

    gw->held = ngx_create_temp_buf(r->pool, 1);
    if (gw->held == NULL) {
        return ngx_http_s3_send_error(r, NGX_HTTP_S3_ERR_INTERNAL, NULL);
    }

    /* Content-Encoding without aws-chunked */

    h = ngx_http_s3_header_in(r, "content-encoding");

    if (h) {
        p = ngx_pnalloc(r->pool, h->value.len);
        if (p == NULL) {
            return ngx_http_s3_send_error(r, NGX_HTTP_S3_ERR_INTERNAL, NULL);
        }

        gw->content_encoding.data = p;

        start = h->value.data;
        last = start + h->value.len;

        while (start < last) {
            end = ngx_strlchr(start, last, ',');

            if (end == NULL) {
                end = last;
            }

            while (start < end && *start == ' ') {
                start++;
            }

            if (!(end - start == 11
                  && ngx_strncasecmp(start, (u_char *) "aws-chunked", 11)
                     == 0)
                && end > start)
            {
                if (p != gw->content_encoding.data) {
                    *p++ = ',';
                }

                p = ngx_cpymem(p, start, end - start);
            }

            start = end + 1;
        }

        gw->content_encoding.len = p - gw->content_encoding.data;
    }

    return NGX_OK;
}


off_t
ngx_http_s3_gw_body_length(ngx_http_s3_gw_req_t *gw)
{
    ngx_http_s3_body_t  *bd;

    bd = gw->body;

    return bd->decoded_length;
}


static ngx_int_t
ngx_http_s3_gw_body_filter(ngx_http_request_t *r, ngx_chain_t *in)
{
    ngx_int_t                   rc;
    ngx_buf_t                  *b;
    ngx_chain_t                *cl, *out, *tl;
    ngx_http_s3_err_e           err;
    ngx_http_s3_body_t         *bd;
    ngx_http_s3_gw_req_t       *gw;
    ngx_http_s3_gw_body_out_t   o;

    gw = ngx_http_s3_gw_get(r);

    if (gw == NULL || gw->body == NULL) {
        return ngx_http_s3_gw_next_body_filter(r, in);
    }

    bd = gw->body;

    ngx_http_s3_gw_body_update(gw);

    if (bd->finished) {
        /* refused already, or the end seen: nothing more is data */
        return ngx_http_s3_gw_next_body_filter(r, NULL);
    }

    out = NULL;

    o.request = r;
    o.gw = gw;
    o.last = &out;

    for (cl = in; cl; cl = cl->next) {
        b = cl->buf;

        o.produced = 0;

        if (b->last > b->pos) {
            bd->data = &o;

            rc = ngx_http_s3_body_feed(bd, b->pos, b->last - b->pos);

            bd->data = gw;

            if (rc != NGX_OK) {
                return ngx_http_s3_gw_body_fail(r, gw, bd->err, bd->message);
            }
        }

        if (o.produced) {

            /* nginx's buffer stays busy until the last piece cut from it
               is sent */

            if (ngx_http_s3_gw_body_busy(r, gw, b, o.piece) != NGX_OK) {
                return NGX_HTTP_INTERNAL_SERVER_ERROR;
            }

        } else {
            b->pos = b->last;
        }

        if (!b->last_buf) {
            continue;
        }

        /* the end of the body: verified, or refused */

        bd->finished = 1;

        err = ngx_http_s3_body_end(bd);

        if (err != NGX_HTTP_S3_OK) {
            return ngx_http_s3_gw_body_fail(r, gw, err, bd->message);
        }

        ngx_http_s3_gw_body_done(bd);

        tl = ngx_chain_get_free_buf(r->pool, &gw->free);
        if (tl == NULL) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        if (ngx_buf_size(gw->held)) {
            *tl->buf = *gw->held;

        } else {
            ngx_memzero(tl->buf, sizeof(ngx_buf_t));
        }

        tl->buf->last_buf = 1;
        tl->buf->flush = 1;
        tl->buf->tag = (ngx_buf_tag_t) &ngx_http_s3_gw_body_filter;

        *o.last = tl;
        o.last = &tl->next;
    }

    rc = ngx_http_s3_gw_next_body_filter(r, out);

    ngx_chain_update_chains(r->pool, &gw->free, &gw->busy, &out,
                            (ngx_buf_tag_t) &ngx_http_s3_gw_body_filter);

    return rc;
}


/*
 * Decoded data of the piece being fed: a buffer into the input, less the
 * body's last byte, which waits in gw->held
 */

static ngx_int_t
ngx_http_s3_gw_body_data(ngx_http_s3_body_t *bd, u_char *p, size_t len)
{
    ngx_http_s3_gw_body_out_t *o = bd->data;

    ngx_buf_t             *b;
    ngx_chain_t           *tl;
    ngx_http_s3_gw_req_t  *gw;

    gw = o->gw;

    if (bd->received == bd->decoded_length && len) {
        len--;
        *gw->held->last++ = p[len];
    }

    if (len == 0) {
        return NGX_OK;
    }

    tl = ngx_chain_get_free_buf(o->request->pool, &gw->free);
    if (tl == NULL) {
        bd->err = NGX_HTTP_S3_ERR_INTERNAL;
        return NGX_ERROR;
    }

    b = tl->buf;
    ngx_memzero(b, sizeof(ngx_buf_t));

    b->temporary = 1;
    b->start = p;
    b->pos = p;
    b->last = p + len;
    b->end = p + len;
    b->flush = 1;
    b->tag = (ngx_buf_tag_t) &ngx_http_s3_gw_body_filter;

    *o->last = tl;
    o->last = &tl->next;
    o->piece = b;
    o->produced = 1;

    return NGX_OK;
}


static void
ngx_http_s3_gw_body_done(ngx_http_s3_body_t *bd)
{
    ngx_log_debug1(NGX_LOG_DEBUG_HTTP, bd->request->connection->log, 0,
                   "s3 gateway: aws-chunked body verified, %O bytes",
                   bd->received);
}


/*
 * What the proxy has sent frees what it was cut from: nginx's buffer is
 * consumed once the last piece made from it is (they are sent in order)
 */

static ngx_int_t
ngx_http_s3_gw_body_busy(ngx_http_request_t *r, ngx_http_s3_gw_req_t *gw,
    ngx_buf_t *in, ngx_buf_t *piece)
{
    ngx_http_s3_gw_busy_t  *bb;

    bb = gw->busy_free;

    if (bb) {
        gw->busy_free = bb->next;

    } else {
        bb = ngx_palloc(r->pool, sizeof(ngx_http_s3_gw_busy_t));
        if (bb == NULL) {
            return NGX_ERROR;
        }
    }

    bb->in = in;
    bb->piece = piece;
    bb->next = gw->pieces;
    gw->pieces = bb;

    return NGX_OK;
}


static void
ngx_http_s3_gw_body_update(ngx_http_s3_gw_req_t *gw)
{
    ngx_http_s3_gw_busy_t  *bb, **prev;

    prev = &gw->pieces;

    for (bb = gw->pieces; bb; bb = *prev) {

        if (bb->piece->pos != bb->piece->last) {
            prev = &bb->next;
            continue;
        }

        bb->in->pos = bb->in->last;

        *prev = bb->next;
        bb->next = gw->busy_free;
        gw->busy_free = bb;
    }
}


static ngx_int_t
ngx_http_s3_gw_body_fail(ngx_http_request_t *r, ngx_http_s3_gw_req_t *gw,
    ngx_http_s3_err_e err, const char *message)
{
    ngx_http_s3_body_t  *bd;

    bd = gw->body;
    bd->finished = 1;

    gw->err = err;
    gw->message = message;

    ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                  "s3 gateway: aws-chunked body refused after %O bytes, "
                  "nothing committed upstream", bd->received);

    /* all of it was read: the connection may serve the next request */

    if (r->request_body && r->request_body->rest == 0) {
        r->reading_body = 0;
    }

    /*
     * nginx's error page takes the request to the s3 location, which
     * answers gw->err with its own status; 403 keeps the connection,
     * where nginx would close it after a 400
     */

    return NGX_HTTP_FORBIDDEN;
}
