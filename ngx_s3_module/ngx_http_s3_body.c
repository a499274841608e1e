
/*
 * Copyright (C) ngx_s3 authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_s3.h"
#include "ngx_http_s3_ops.h"
#include "ngx_http_s3_chunked.h"

#include <openssl/evp.h>


/*
 * The request body reader shared by every operation with a body: PUT's
 * body streamed to its data handler, and small XML bodies in memory.
 */


#define NGX_HTTP_S3_XML_BODY_START     4096


typedef struct {
    ngx_http_s3_body_t         body;
    u_char                    *start;
    u_char                    *pos;
    u_char                    *end;
    ngx_http_s3_xml_body_pt    handler;
} ngx_http_s3_xml_body_t;


static void ngx_http_s3_body_cleanup(void *data);
static ngx_http_s3_err_e ngx_http_s3_body_chunked_init(ngx_http_request_t *r,
    ngx_http_s3_body_t *bd);
static ngx_http_s3_err_e ngx_http_s3_body_checksum_init(
    ngx_http_request_t *r, ngx_http_s3_body_t *bd);
static const char *ngx_http_s3_body_message(ngx_http_request_t *r,
    const char *fmt, ngx_str_t *name);
static void ngx_http_s3_body_start(ngx_http_request_t *r);
static void ngx_http_s3_body_read_handler(ngx_http_request_t *r);
static void ngx_http_s3_body_process(ngx_http_s3_body_t *bd);
static ngx_int_t ngx_http_s3_body_decoded(ngx_http_s3_body_t *bd, u_char *p,
    size_t len);
static void ngx_http_s3_body_chunked_error(ngx_http_s3_body_t *bd);
static void ngx_http_s3_body_finish(ngx_http_s3_body_t *bd);
static ngx_http_s3_err_e ngx_http_s3_body_checksum(ngx_http_s3_body_t *bd);
static void ngx_http_s3_body_fail_length(ngx_http_s3_body_t *bd);
static void ngx_http_s3_body_fail(ngx_http_s3_body_t *bd,
    ngx_http_s3_err_e err, const char *message);
static ngx_int_t ngx_http_s3_body_error(ngx_http_request_t *r,
    ngx_int_t rc);

static ngx_int_t ngx_http_s3_xml_body_data(ngx_http_s3_body_t *bd,
    u_char *p, size_t len);
static void ngx_http_s3_xml_body_done(ngx_http_s3_body_t *bd);



ngx_http_s3_err_e
ngx_http_s3_body_init(ngx_http_request_t *r, ngx_http_s3_body_t *bd)
{
    ngx_table_elt_t     *h;
    ngx_http_s3_ctx_t   *ctx;
    ngx_http_s3_err_e    err;
    ngx_pool_cleanup_t  *cln;

    ctx = ngx_http_s3_get_ctx(r);

    bd->request = r;

    if (bd->max == 0) {
        bd->max = NGX_HTTP_S3_MAX_OBJECT_SIZE;
    }

    if (bd->too_large == NGX_HTTP_S3_OK) {
        bd->too_large = NGX_HTTP_S3_ERR_ENTITY_TOO_LARGE;
    }

    h = ngx_http_s3_header_in(r, "content-md5");

    if (h) {
        if (ngx_http_s3_decode_md5(&h->value, bd->content_md5) != NGX_OK) {
            return NGX_HTTP_S3_ERR_INVALID_DIGEST;
        }

        bd->check_md5 = 1;
    }

    if (ctx->auth.payload == NGX_HTTP_S3_PAYLOAD_STREAMING) {
        err = ngx_http_s3_body_chunked_init(r, bd);

        if (err != NGX_HTTP_S3_OK) {
            return err;
        }
    }

    err = ngx_http_s3_body_checksum_init(r, bd);

    if (err != NGX_HTTP_S3_OK) {
        return err;
    }

    cln = ngx_pool_cleanup_add(r->pool, 0);
    if (cln == NULL) {
        return NGX_HTTP_S3_ERR_INTERNAL;
    }

    cln->handler = ngx_http_s3_body_cleanup;
    cln->data = bd;

    if (ctx->auth.payload == NGX_HTTP_S3_PAYLOAD_SIGNED) {
        bd->sha256 = EVP_MD_CTX_new();

        if (bd->sha256 == NULL
            || EVP_DigestInit_ex(bd->sha256, EVP_sha256(), NULL) != 1)
        {
            ngx_log_error(NGX_LOG_ALERT, r->connection->log, 0,
                          "s3: SHA-256 digest init failed");
            return NGX_HTTP_S3_ERR_INTERNAL;
        }
    }

    if (bd->no_etag && !bd->check_md5) {
        return NGX_HTTP_S3_OK;
    }

    bd->md5 = EVP_MD_CTX_new();

    if (bd->md5 == NULL
        || EVP_DigestInit_ex(bd->md5, EVP_md5(), NULL) != 1)
    {
        ngx_log_error(NGX_LOG_ALERT, r->connection->log, 0,
                      "s3: MD5 digest init failed");
        return NGX_HTTP_S3_ERR_INTERNAL;
    }

    return NGX_HTTP_S3_OK;
}


static void
ngx_http_s3_body_cleanup(void *data)
{
    ngx_http_s3_body_t  *bd = data;

    if (bd->md5) {
        EVP_MD_CTX_free(bd->md5);
        bd->md5 = NULL;
    }

    if (bd->sha256) {
        EVP_MD_CTX_free(bd->sha256);
        bd->sha256 = NULL;
    }
}


/*
 * aws-chunked: the decoder chained from the request's signature, and the
 * size of the object, x-amz-decoded-content-length, which S3 requires
 */

static ngx_http_s3_err_e
ngx_http_s3_body_chunked_init(ngx_http_request_t *r, ngx_http_s3_body_t *bd)
{
    ngx_int_t               mode;
    ngx_table_elt_t        *h;
    ngx_http_s3_ctx_t      *ctx;
    ngx_http_s3_auth_t     *auth;
    ngx_http_s3_chunked_t  *ch;

    ctx = ngx_http_s3_get_ctx(r);
    auth = &ctx->auth;

    mode = ngx_http_s3_chunked_mode(&auth->content_sha256);

    if (mode == NGX_DECLINED) {
        /* auth accepts only the modes the decoder knows */
        ngx_log_error(NGX_LOG_ALERT, r->connection->log, 0,
                      "s3: unknown streaming payload \"%V\"",
                      &auth->content_sha256);
        return NGX_HTTP_S3_ERR_INTERNAL;
    }

    h = ngx_http_s3_header_in(r, "x-amz-decoded-content-length");

    if (h == NULL) {
        return NGX_HTTP_S3_ERR_MISSING_CONTENT_LENGTH;
    }

    bd->decoded_length = ngx_atoof(h->value.data, h->value.len);

    if (bd->decoded_length == NGX_ERROR) {
        return NGX_HTTP_S3_ERR_MISSING_CONTENT_LENGTH;
    }

    if (bd->decoded_length > bd->max) {
        return bd->too_large;
    }

    ch = ngx_palloc(r->pool, sizeof(ngx_http_s3_chunked_t));
    if (ch == NULL) {
        return NGX_HTTP_S3_ERR_INTERNAL;
    }

    if (mode == NGX_HTTP_S3_CHUNKED_UNSIGNED_TRAILER) {
        if (ngx_http_s3_chunked_init(ch, r->pool, mode, NULL, NULL, NULL,
                                     NULL)
            != NGX_OK)
        {
            return NGX_HTTP_S3_ERR_INTERNAL;
        }

    } else if (ngx_http_s3_chunked_init(ch, r->pool, mode,
                                        auth->signing_key, &auth->amz_date,
                                        &auth->scope, &auth->seed)
               != NGX_OK)
    {
        return NGX_HTTP_S3_ERR_INTERNAL;
    }

    bd->chunked = ch;

    ngx_log_debug2(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "s3 aws-chunked mode:%i decoded length:%O",
                   mode, bd->decoded_length);

    return NGX_HTTP_S3_OK;
}


/*
 * x-amz-checksum-<algorithm>: <base64>, or x-amz-trailer naming one that
 * the aws-chunked trailer carries; x-amz-sdk-checksum-algorithm must
 * agree, and alone asks for the checksum to be computed and kept
 */

static ngx_http_s3_err_e
ngx_http_s3_body_checksum_init(ngx_http_request_t *r, ngx_http_s3_body_t *bd)
{
    ngx_str_t               v;
    ngx_uint_t              i, alg, a, sdk;
    ngx_list_part_t        *part;
    ngx_table_elt_t        *h, *value, *trailer;
    ngx_http_s3_chunked_t  *ch;

    if (bd->object_checksum) {
        return NGX_HTTP_S3_OK;
    }

    alg = NGX_HTTP_S3_CHECKSUM_NONE;
    sdk = NGX_HTTP_S3_CHECKSUM_NONE;
    value = NULL;
    trailer = NULL;

    part = &r->headers_in.headers.part;
    h = part->elts;

    for (i = 0; /* void */; i++) {

        if (i >= part->nelts) {
            if (part->next == NULL) {
                break;
            }

            part = part->next;
            h = part->elts;
            i = 0;
        }

        if (h[i].key.len < sizeof("x-amz-") - 1
            || ngx_strncasecmp(h[i].key.data, (u_char *) "x-amz-",
                               sizeof("x-amz-") - 1)
               != 0)
        {
            continue;
        }

        if (ngx_http_s3_header_is(&h[i], "x-amz-sdk-checksum-algorithm")) {
            sdk = ngx_http_s3_checksum_by_name(h[i].value.data,
                                               h[i].value.len);

            if (sdk == NGX_HTTP_S3_CHECKSUM_NONE) {
                bd->message = "Value for x-amz-sdk-checksum-algorithm "
                              "header is invalid.";
                return NGX_HTTP_S3_ERR_INVALID_REQUEST;
            }

            continue;
        }

        if (ngx_http_s3_header_is(&h[i], "x-amz-trailer")) {
            trailer = &h[i];
            continue;
        }

        /* x-amz-checksum-mode, -type and the like are not values */

        a = ngx_http_s3_checksum_by_header(h[i].key.data, h[i].key.len);

        if (a == NGX_HTTP_S3_CHECKSUM_NONE) {
            continue;
        }

        if (value) {
            bd->message = "Expecting a single x-amz-checksum- header. "
                          "Multiple checksum Types are not allowed.";
            return NGX_HTTP_S3_ERR_INVALID_REQUEST;
        }

        alg = a;
        value = &h[i];
    }

    ch = bd->chunked;

    if (trailer && ch && ch->mode != NGX_HTTP_S3_CHUNKED_SIGNED) {

        /* a trailer is read only from an aws-chunked body that has one */

        v = trailer->value;

        while (v.len
               && (v.data[v.len - 1] == ' ' || v.data[v.len - 1] == ','))
        {
            v.len--;
        }

        a = ngx_http_s3_checksum_by_header(v.data, v.len);

        if (a == NGX_HTTP_S3_CHECKSUM_NONE) {
            bd->message = "The value specified in the x-amz-trailer header "
                          "is not supported";
            return NGX_HTTP_S3_ERR_INVALID_REQUEST;
        }

        if (value) {
            bd->message = "Expecting a single x-amz-checksum- header. "
                          "Multiple checksum Types are not allowed.";
            return NGX_HTTP_S3_ERR_INVALID_REQUEST;
        }

        alg = a;
        bd->checksum_trailer = 1;
    }

    if (value) {
        if (ngx_http_s3_checksum_decode(alg, &value->value, bd->checksum_want)
            != NGX_OK)
        {
            bd->message = ngx_http_s3_body_message(r,
                                   "Value for %V header is invalid.",
                                   ngx_http_s3_checksum_header(alg));
            return NGX_HTTP_S3_ERR_INVALID_REQUEST;
        }

        bd->checksum_header = 1;
    }

    if (sdk != NGX_HTTP_S3_CHECKSUM_NONE) {

        if (alg == NGX_HTTP_S3_CHECKSUM_NONE) {
            /* nothing to compare with: computed, kept, returned */
            alg = sdk;

        } else if (sdk != alg) {
            bd->message = "Value for x-amz-sdk-checksum-algorithm header "
                          "is invalid.";
            return NGX_HTTP_S3_ERR_INVALID_REQUEST;
        }
    }

    if (alg == NGX_HTTP_S3_CHECKSUM_NONE) {
        return NGX_HTTP_S3_OK;
    }

    if (ngx_http_s3_checksum_init(&bd->checksum, r->pool, alg) != NGX_OK) {
        ngx_log_error(NGX_LOG_ALERT, r->connection->log, 0,
                      "s3: %V checksum init failed",
                      ngx_http_s3_checksum_name(alg));
        return NGX_HTTP_S3_ERR_INTERNAL;
    }

    return NGX_HTTP_S3_OK;
}


/*
 * a message with a name in it, NUL-terminated; on no memory NULL, that is
 * the code's default message
 */

static const char *
ngx_http_s3_body_message(ngx_http_request_t *r, const char *fmt,
    ngx_str_t *name)
{
    u_char  *p, *last;
    size_t   len;

    len = ngx_strlen(fmt) + name->len + 1;

    p = ngx_pnalloc(r->pool, len);
    if (p == NULL) {
        return NULL;
    }

    last = ngx_snprintf(p, len - 1, fmt, name);
    *last = '\0';

    return (const char *) p;
}


ngx_int_t
ngx_http_s3_body_read(ngx_http_s3_body_t *bd)
{
    ngx_int_t            rc;
    ngx_http_request_t  *r;
    ngx_http_s3_ctx_t   *ctx;

    r = bd->request;
    ctx = ngx_http_s3_get_ctx(r);

    /* aws-chunked framing is not data: its size was checked at init */

    if (bd->chunked == NULL && r->headers_in.content_length_n > bd->max) {
        return ngx_http_s3_send_error(r, bd->too_large, NULL);
    }

    ctx->body = bd;

    /*
     * unbuffered, as the proxy module reads a body it streams upstream:
     * nginx hands over each buffer as it arrives, and never writes a
     * temporary file of its own
     */

    r->request_body_no_buffering = 1;

    rc = ngx_http_read_client_request_body(r, ngx_http_s3_body_start);

    if (rc >= NGX_HTTP_SPECIAL_RESPONSE) {
        return ngx_http_s3_body_error(r, rc);
    }

    return NGX_OK;
}


/* the post handler: called once, with some or all of the body */

static void
ngx_http_s3_body_start(ngx_http_request_t *r)
{
    ngx_http_s3_ctx_t  *ctx;

    ctx = ngx_http_s3_get_ctx(r);

    r->read_event_handler = ngx_http_s3_body_read_handler;

    ngx_http_s3_body_process(ctx->body);
}


static void
ngx_http_s3_body_read_handler(ngx_http_request_t *r)
{
    ngx_http_s3_ctx_t   *ctx;
    ngx_http_s3_body_t  *bd;

    ctx = ngx_http_s3_get_ctx(r);
    bd = ctx->body;

    if (bd->finished) {
        return;
    }

    ngx_http_s3_body_process(bd);
}


static void
ngx_http_s3_body_process(ngx_http_s3_body_t *bd)
{
    size_t                    n;
    ngx_int_t                 rc;
    ngx_buf_t                *b;
    ngx_chain_t              *cl;
    ngx_http_request_t       *r;
    ngx_http_request_body_t  *rb;

    r = bd->request;
    rb = r->request_body;

    for ( ;; ) {

        for (cl = rb->bufs; cl; cl = cl->next) {
            b = cl->buf;

            if (b->in_file) {
                ngx_log_error(NGX_LOG_ALERT, r->connection->log, 0,
                              "s3: request body in a file");
                ngx_http_s3_body_fail(bd, NGX_HTTP_S3_ERR_INTERNAL, NULL);
                return;
            }

            n = b->last - b->pos;

            if (n && ngx_http_s3_body_feed(bd, b->pos, n) != NGX_OK) {
                ngx_http_s3_body_fail(bd, bd->err, bd->message);
                return;
            }

            /* consumed: nginx reuses the buffer */
            b->pos = b->last;
        }

        rb->bufs = NULL;

        if (!r->reading_body) {
            break;
        }

        rc = ngx_http_read_unbuffered_request_body(r);

        if (rc >= NGX_HTTP_SPECIAL_RESPONSE) {
            bd->finished = 1;
            r->read_event_handler = ngx_http_block_reading;
            ngx_http_s3_finalize(r, ngx_http_s3_body_error(r, rc));
            return;
        }

        if (rb->bufs == NULL && rc == NGX_AGAIN) {
            /* nginx armed the read event and its timer */
            return;
        }
    }

    ngx_http_s3_body_finish(bd);
}


/* a piece of the body as read: aws-chunked is decoded here */

ngx_int_t
ngx_http_s3_body_feed(ngx_http_s3_body_t *bd, u_char *p, size_t len)
{
    u_char                 *pos, *last;
    ngx_int_t               rc;
    ngx_str_t               out;
    ngx_http_s3_chunked_t  *ch;

    bd->raw += len;

    ch = bd->chunked;

    if (ch == NULL) {
        return ngx_http_s3_body_decoded(bd, p, len);
    }

    pos = p;
    last = p + len;

    while (!bd->chunked_done) {

        rc = ngx_http_s3_chunked_feed(ch, &pos, last, &out);

        switch (rc) {

        case NGX_OK:
            if (ngx_http_s3_body_decoded(bd, out.data, out.len) != NGX_OK) {
                return NGX_ERROR;
            }

            break;

        case NGX_AGAIN:
            return NGX_OK;

        case NGX_DONE:
            bd->chunked_done = 1;
            break;

        default: /* NGX_ERROR */
            ngx_http_s3_body_chunked_error(bd);
            return NGX_ERROR;
        }
    }

    if (pos != last) {
        bd->err = NGX_HTTP_S3_ERR_INCOMPLETE_BODY;
        bd->message = "The request body continues after the end of its "
                      "aws-chunked encoding.";
        return NGX_ERROR;
    }

    return NGX_OK;
}


/* the data itself: counted, hashed, handed over */

static ngx_int_t
ngx_http_s3_body_decoded(ngx_http_s3_body_t *bd, u_char *p, size_t len)
{
    if (bd->received + (off_t) len > bd->max) {
        bd->err = bd->too_large;
        return NGX_ERROR;
    }

    if (bd->chunked && bd->received + (off_t) len > bd->decoded_length) {
        bd->err = NGX_HTTP_S3_ERR_INCOMPLETE_BODY;
        bd->message = "The aws-chunked body holds more data than "
                      "x-amz-decoded-content-length.";
        return NGX_ERROR;
    }

    bd->received += len;

    if ((bd->md5 && EVP_DigestUpdate(bd->md5, p, len) != 1)
        || (bd->sha256 && EVP_DigestUpdate(bd->sha256, p, len) != 1))
    {
        bd->err = NGX_HTTP_S3_ERR_INTERNAL;
        return NGX_ERROR;
    }

    if (bd->checksum.alg != NGX_HTTP_S3_CHECKSUM_NONE
        && ngx_http_s3_checksum_update(&bd->checksum, p, len) != NGX_OK)
    {
        bd->err = NGX_HTTP_S3_ERR_INTERNAL;
        return NGX_ERROR;
    }

    return bd->data_handler(bd, p, len);
}


/* a decoder error as S3 answers it */

static void
ngx_http_s3_body_chunked_error(ngx_http_s3_body_t *bd)
{
    ngx_http_s3_chunked_t  *ch;

    ch = bd->chunked;

    ngx_log_error(NGX_LOG_INFO, bd->request->connection->log, 0,
                  "s3 aws-chunked body: error %d after %O bytes of data",
                  (int) ch->err, bd->received);

    switch (ch->err) {

    case NGX_HTTP_S3_CHUNKED_ERR_SIGNATURE:
        bd->err = NGX_HTTP_S3_ERR_SIGNATURE_MISMATCH;
        bd->message = NULL;
        break;

    case NGX_HTTP_S3_CHUNKED_ERR_TOO_LARGE:

        /* the trailers over their cap, or a size line over its cap */

        if (ch->trailers) {
            bd->err = NGX_HTTP_S3_ERR_MALFORMED_TRAILER;
            bd->message = NULL;
            break;
        }

        /* fall through */

    case NGX_HTTP_S3_CHUNKED_ERR_FORMAT:
        bd->err = NGX_HTTP_S3_ERR_INCOMPLETE_BODY;
        bd->message = "The request body terminated unexpectedly";
        break;

    default:
        bd->err = NGX_HTTP_S3_ERR_INTERNAL;
        bd->message = NULL;
        break;
    }
}


static void
ngx_http_s3_body_finish(ngx_http_s3_body_t *bd)
{
    ngx_http_s3_err_e    err;
    ngx_http_request_t  *r;

    r = bd->request;

    bd->finished = 1;
    r->read_event_handler = ngx_http_block_reading;

    ngx_log_debug1(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "s3 request body: %O bytes", bd->received);

    err = ngx_http_s3_body_end(bd);

    if (err == NGX_HTTP_S3_OK) {
        bd->done_handler(bd);
        return;
    }

    if (bd->short_data) {
        ngx_http_s3_body_fail_length(bd);
        return;
    }

    ngx_http_s3_body_fail(bd, err, bd->message);
}


ngx_http_s3_err_e
ngx_http_s3_body_end(ngx_http_s3_body_t *bd)
{
    u_char               sha256[EVP_MAX_MD_SIZE];
    unsigned int         n;
    ngx_http_s3_ctx_t   *ctx;
    ngx_http_s3_err_e    err;
    ngx_http_request_t  *r;

    r = bd->request;
    ctx = ngx_http_s3_get_ctx(r);

    bd->message = NULL;

    /* for chunked bodies nginx counts content_length_n as it reads */

    if (r->headers_in.content_length_n >= 0
        && bd->raw != r->headers_in.content_length_n)
    {
        return NGX_HTTP_S3_ERR_INCOMPLETE_BODY;
    }

    if (bd->chunked) {

        if (!bd->chunked_done) {

            /* the body ended: complete only if the encoding says so */

            if (ngx_http_s3_chunked_eof(bd->chunked) != NGX_DONE) {
                ngx_http_s3_body_chunked_error(bd);
                return bd->err;
            }

            bd->chunked_done = 1;
        }

        if (bd->received != bd->decoded_length) {
            bd->short_data = 1;
            return NGX_HTTP_S3_ERR_INCOMPLETE_BODY;
        }
    }

    if (bd->md5) {
        if (EVP_DigestFinal_ex(bd->md5, bd->md5_sum, &n) != 1 || n != 16) {
            return NGX_HTTP_S3_ERR_INTERNAL;
        }
    }

    if (bd->sha256) {
        if (EVP_DigestFinal_ex(bd->sha256, sha256, &n) != 1 || n != 32) {
            return NGX_HTTP_S3_ERR_INTERNAL;
        }

        if (ngx_memcmp(sha256, ctx->auth.sha256, 32) != 0) {
            return NGX_HTTP_S3_ERR_SHA256_MISMATCH;
        }
    }

    if (bd->check_md5 && ngx_memcmp(bd->md5_sum, bd->content_md5, 16) != 0) {
        return NGX_HTTP_S3_ERR_BAD_DIGEST;
    }

    if (bd->checksum.alg != NGX_HTTP_S3_CHECKSUM_NONE) {
        err = ngx_http_s3_body_checksum(bd);

        if (err != NGX_HTTP_S3_OK) {
            return err;
        }
    }

    return NGX_HTTP_S3_OK;
}


/*
 * The checksum: the value from its header, or from the trailer it was
 * declared for, against the one computed
 */

static ngx_http_s3_err_e
ngx_http_s3_body_checksum(ngx_http_s3_body_t *bd)
{
    size_t                  size;
    ngx_str_t              *name;
    ngx_uint_t              i, alg;
    ngx_keyval_t           *kv;
    ngx_http_request_t     *r;
    ngx_http_s3_chunked_t  *ch;

    r = bd->request;
    alg = bd->checksum.alg;
    size = ngx_http_s3_checksum_size(alg);
    name = ngx_http_s3_checksum_header(alg);

    if (bd->checksum_trailer) {
        ch = bd->chunked;
        kv = NULL;

        if (ch->trailers) {
            kv = ch->trailers->elts;

            for (i = 0; i < ch->trailers->nelts; i++) {
                if (kv[i].key.len == name->len
                    && ngx_strncmp(kv[i].key.data, name->data, name->len)
                       == 0)
                {
                    break;
                }
            }

            kv = (i < ch->trailers->nelts) ? &kv[i] : NULL;
        }

        if (kv == NULL) {
            ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                          "s3 aws-chunked body: no \"%V\" trailer", name);
            bd->message = NULL;
            return NGX_HTTP_S3_ERR_MALFORMED_TRAILER;
        }

        if (ngx_http_s3_checksum_decode(alg, &kv->value, bd->checksum_want)
            != NGX_OK)
        {
            bd->message = ngx_http_s3_body_message(r,
                              "Value for %V trailing header is invalid.",
                              name);
            return NGX_HTTP_S3_ERR_INVALID_REQUEST;
        }
    }

    if (ngx_http_s3_checksum_final(&bd->checksum, bd->checksum_sum)
        != NGX_OK)
    {
        bd->message = NULL;
        return NGX_HTTP_S3_ERR_INTERNAL;
    }

    if ((bd->checksum_header || bd->checksum_trailer)
        && ngx_memcmp(bd->checksum_sum, bd->checksum_want, size) != 0)
    {
        bd->message = ngx_http_s3_body_message(r,
                          "The %V you specified did not match the "
                          "calculated checksum.",
                          ngx_http_s3_checksum_name(alg));
        return NGX_HTTP_S3_ERR_BAD_DIGEST;
    }

    return NGX_HTTP_S3_OK;
}


/* aws-chunked data short of x-amz-decoded-content-length */

static void
ngx_http_s3_body_fail_length(ngx_http_s3_body_t *bd)
{
    u_char                   *p;
    ngx_http_request_t       *r;
    ngx_http_s3_err_extra_t   extra[2];

    r = bd->request;

    bd->finished = 1;
    r->read_event_handler = ngx_http_block_reading;

    if (bd->fail_handler) {
        bd->fail_handler(bd);
    }

    p = ngx_pnalloc(r->pool, 2 * NGX_OFF_T_LEN);
    if (p == NULL) {
        ngx_http_s3_finalize(r, ngx_http_s3_send_error(r,
                                        NGX_HTTP_S3_ERR_INTERNAL, NULL));
        return;
    }

    extra[0].name = "NumberBytesExpected";
    extra[0].value.data = p;
    extra[0].value.len = ngx_sprintf(p, "%O", bd->decoded_length) - p;

    p += NGX_OFF_T_LEN;

    extra[1].name = "NumberBytesProvided";
    extra[1].value.data = p;
    extra[1].value.len = ngx_sprintf(p, "%O", bd->received) - p;

    ngx_http_s3_finalize(r, ngx_http_s3_send_error_extra(r,
                                    NGX_HTTP_S3_ERR_INCOMPLETE_BODY, NULL,
                                    extra, 2));
}


static void
ngx_http_s3_body_fail(ngx_http_s3_body_t *bd, ngx_http_s3_err_e err,
    const char *message)
{
    ngx_http_request_t  *r;

    r = bd->request;

    bd->finished = 1;
    r->read_event_handler = ngx_http_block_reading;

    if (bd->fail_handler) {
        bd->fail_handler(bd);
    }

    ngx_http_s3_finalize(r, ngx_http_s3_send_error(r, err, message));
}


/* nginx's own status from reading the body, as an S3 error */

static ngx_int_t
ngx_http_s3_body_error(ngx_http_request_t *r, ngx_int_t rc)
{
    if (r->connection->error || r->connection->timedout
        || rc == NGX_HTTP_REQUEST_TIME_OUT
        || rc == NGX_HTTP_CLIENT_CLOSED_REQUEST)
    {
        /* nothing more can be said to the client */
        return rc;
    }

    switch (rc) {

    case NGX_HTTP_REQUEST_ENTITY_TOO_LARGE:
        return ngx_http_s3_send_error(r, NGX_HTTP_S3_ERR_ENTITY_TOO_LARGE,
                                      NULL);

    case NGX_HTTP_BAD_REQUEST:
        return ngx_http_s3_send_error(r, NGX_HTTP_S3_ERR_INVALID_REQUEST,
                                      "The request body could not be read.");

    default:
        return ngx_http_s3_send_error(r, NGX_HTTP_S3_ERR_INTERNAL, NULL);
    }
}


/* a small XML body, in memory */

ngx_int_t
ngx_http_s3_read_xml_body(ngx_http_request_t *r,
    ngx_http_s3_xml_body_pt handler, ngx_uint_t object_checksum)
{
    size_t                   size;
    ngx_http_s3_err_e        err;
    ngx_http_s3_xml_body_t  *xb;

    xb = ngx_pcalloc(r->pool, sizeof(ngx_http_s3_xml_body_t));
    if (xb == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    xb->handler = handler;
    xb->body.max = NGX_HTTP_S3_MAX_XML_BODY;
    xb->body.too_large = NGX_HTTP_S3_ERR_MAX_MESSAGE_LENGTH;
    xb->body.data_handler = ngx_http_s3_xml_body_data;
    xb->body.done_handler = ngx_http_s3_xml_body_done;
    xb->body.data = xb;
    xb->body.object_checksum = object_checksum ? 1 : 0;

    err = ngx_http_s3_body_init(r, &xb->body);

    if (err != NGX_HTTP_S3_OK) {
        return ngx_http_s3_send_error(r, err, xb->body.message);
    }

    if (r->headers_in.content_length_n > 0
        && r->headers_in.content_length_n <= NGX_HTTP_S3_MAX_XML_BODY)
    {
        size = (size_t) r->headers_in.content_length_n;

        xb->start = ngx_pnalloc(r->pool, size);
        if (xb->start == NULL) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        xb->pos = xb->start;
        xb->end = xb->start + size;
    }

    return ngx_http_s3_body_read(&xb->body);
}


static ngx_int_t
ngx_http_s3_xml_body_data(ngx_http_s3_body_t *bd, u_char *p, size_t len)
{
    u_char                  *n;
    size_t                   size, used;
    ngx_http_s3_xml_body_t  *xb;

    xb = bd->data;

    if ((size_t) (xb->end - xb->pos) < len) {

        /* a chunked body: grow; bd->max bounds the total */

        used = xb->pos - xb->start;
        size = ngx_max((size_t) (xb->end - xb->start) * 2,
                       NGX_HTTP_S3_XML_BODY_START);

        while (size - used < len) {
            size *= 2;
        }

        n = ngx_pnalloc(bd->request->pool, size);
        if (n == NULL) {
            bd->err = NGX_HTTP_S3_ERR_INTERNAL;
            return NGX_ERROR;
        }

        if (used) {
            ngx_memcpy(n, xb->start, used);
        }

        xb->start = n;
        xb->pos = n + used;
        xb->end = n + size;
    }

    xb->pos = ngx_cpymem(xb->pos, p, len);

    return NGX_OK;
}


static void
ngx_http_s3_xml_body_done(ngx_http_s3_body_t *bd)
{
    ngx_str_t                body;
    ngx_http_s3_xml_body_t  *xb;

    xb = bd->data;

    body.data = xb->start;
    body.len = xb->pos - xb->start;

    xb->handler(bd->request, &body);
}


/*
 * A client that waits for "100 Continue" has not sent its body, and may
 * send it after a while without the 100: no 100 is sent, and the
 * connection closes after the answer ("Connection: close", with a
 * lingering close that drops whatever comes).  Any other client sends
 * its body anyway: nginx reads and drops it (without a 100, as
 * ngx_http_special_response_handler() does), and the connection stays.
 * A body that is being read (r->request_body) ends in a lingering close,
 * and while some of it is still unread the answer says so.
 */

void
ngx_http_s3_body_discard(ngx_http_request_t *r)
{
    ngx_table_elt_t  *h;

    if (r == r->main && r->request_body && r->reading_body) {
        /* an error in the middle of the body: "Connection: close" */
        r->keepalive = 0;
        return;
    }

    if (r != r->main || r->request_body || r->discard_body
        || !r->keepalive)
    {
        return;
    }

    if (r->headers_in.content_length_n <= 0 && !r->headers_in.chunked) {
        return;
    }

    h = r->headers_in.expect;

    if (h && !r->expect_tested && r->http_version == NGX_HTTP_VERSION_11
        && h->value.len == sizeof("100-continue") - 1
        && ngx_strncasecmp(h->value.data, (u_char *) "100-continue",
                           h->value.len) == 0)
    {
        r->expect_tested = 1;
        r->keepalive = 0;
        r->lingering_close = 1;
        return;
    }

    r->expect_tested = 1;

    if (ngx_http_discard_request_body(r) != NGX_OK) {
        r->keepalive = 0;
    }
}
