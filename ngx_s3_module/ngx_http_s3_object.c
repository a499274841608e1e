
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
 * Object operations: PutObject (the body streamed to its file while it is
 * hashed), GetObject and HeadObject (headers from the metadata record, the
 * body as a file buffer for sendfile), DeleteObject and DeleteObjects.
 * Also the request body reader shared with the bucket operations.
 */


#define NGX_HTTP_S3_GET_TRIES          3
#define NGX_HTTP_S3_XML_BODY_START     4096


typedef struct {
    ngx_http_s3_body_t         body;
    u_char                    *start;
    u_char                    *pos;
    u_char                    *end;
    ngx_http_s3_xml_body_pt    handler;
} ngx_http_s3_xml_body_t;


typedef struct {
    ngx_http_s3_body_t         body;
    ngx_http_request_t        *request;
    ngx_file_t                 file;
    ngx_str_t                  id;
    ngx_http_s3_object_t       object;
    ngx_uint_t                 cond;
    ngx_str_t                  cond_etag;
    u_char                     etag[2 + 32];
    unsigned                   committed:1;
    unsigned                   keep:1;
} ngx_http_s3_put_t;


typedef struct {
    ngx_http_request_t        *request;
    ngx_str_t                  body;        /* the last body id tried */
    ngx_uint_t                 tries;
} ngx_http_s3_get_t;


typedef struct ngx_http_s3_delete_s  ngx_http_s3_delete_t;

typedef struct {
    ngx_http_s3_delete_t      *del;
    ngx_uint_t                 index;
} ngx_http_s3_delete_item_t;

struct ngx_http_s3_delete_s {
    ngx_http_request_t        *request;
    ngx_array_t               *keys;        /* ngx_http_s3_xml_delete_key_t */
    ngx_http_s3_err_e         *errs;
    const char               **msgs;
    ngx_uint_t                 pending;
    ngx_uint_t                 quiet;
    ngx_uint_t                 status;      /* a bucket-wide failure */
};


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
static ngx_int_t ngx_http_s3_body_data(ngx_http_s3_body_t *bd, u_char *p,
    size_t len);
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

static ngx_http_s3_err_e ngx_http_s3_put_headers(ngx_http_request_t *r,
    ngx_http_s3_put_t *put, const char **message);
static ngx_uint_t ngx_http_s3_header_is(ngx_table_elt_t *h,
    const char *name);
static ngx_uint_t ngx_http_s3_header_prefix(ngx_table_elt_t *h,
    const char *prefix);
static ngx_int_t ngx_http_s3_content_encoding(ngx_pool_t *pool,
    ngx_str_t *value);
static ngx_http_s3_err_e ngx_http_s3_put_conditions(ngx_http_request_t *r,
    ngx_http_s3_put_t *put, const char **message);
static void ngx_http_s3_put_bucket_handler(ngx_http_s3_meta_req_t *mr);
static ngx_int_t ngx_http_s3_put_start(ngx_http_s3_put_t *put);
static ngx_int_t ngx_http_s3_put_open(ngx_http_s3_put_t *put);
static ngx_int_t ngx_http_s3_put_dirs(ngx_http_s3_put_t *put);
static ngx_int_t ngx_http_s3_fsync_dir(ngx_http_request_t *r, u_char *path,
    u_char *end);
static void ngx_http_s3_put_cleanup(void *data);
static ngx_int_t ngx_http_s3_put_write(ngx_http_s3_body_t *bd, u_char *p,
    size_t len);
static void ngx_http_s3_put_fail(ngx_http_s3_body_t *bd);
static void ngx_http_s3_put_done(ngx_http_s3_body_t *bd);
static void ngx_http_s3_put_handler(ngx_http_s3_meta_req_t *mr);

static ngx_int_t ngx_http_s3_version_arg(ngx_http_request_t *r);
static ngx_int_t ngx_http_s3_get_send_meta(ngx_http_s3_get_t *g);
static void ngx_http_s3_get_handler(ngx_http_s3_meta_req_t *mr);
static ngx_int_t ngx_http_s3_get_send(ngx_http_s3_get_t *g,
    ngx_http_s3_object_t *o);
static ngx_http_s3_err_e ngx_http_s3_get_conditions(ngx_http_request_t *r,
    ngx_http_s3_object_t *o, const char **condition);
static ngx_uint_t ngx_http_s3_etag_match(ngx_str_t *list, ngx_str_t *etag,
    ngx_uint_t weak);
static ngx_int_t ngx_http_s3_object_headers(ngx_http_request_t *r,
    ngx_http_s3_object_t *o, ngx_str_t *etag);
static ngx_int_t ngx_http_s3_checksum_out(ngx_http_request_t *r,
    ngx_uint_t alg, ngx_str_t *digest);
static ngx_int_t ngx_http_s3_override(ngx_http_request_t *r,
    const char *arg, ngx_str_t *value);
static ngx_int_t ngx_http_s3_quote_etag(ngx_pool_t *pool, ngx_str_t *etag,
    ngx_str_t *quoted);

static void ngx_http_s3_delete_handler(ngx_http_s3_meta_req_t *mr);
static void ngx_http_s3_delete_objects_body(ngx_http_request_t *r,
    ngx_str_t *body);
static void ngx_http_s3_delete_objects_handler(ngx_http_s3_meta_req_t *mr);
static ngx_int_t ngx_http_s3_delete_objects_send(ngx_http_s3_delete_t *del);


/* the request body reader */

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

    bd->md5 = EVP_MD_CTX_new();

    if (bd->md5 == NULL
        || EVP_DigestInit_ex(bd->md5, EVP_md5(), NULL) != 1)
    {
        ngx_log_error(NGX_LOG_ALERT, r->connection->log, 0,
                      "s3: MD5 digest init failed");
        return NGX_HTTP_S3_ERR_INTERNAL;
    }

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

    ctx->op_ctx = bd;

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

    ngx_http_s3_body_process(ctx->op_ctx);
}


static void
ngx_http_s3_body_read_handler(ngx_http_request_t *r)
{
    ngx_http_s3_ctx_t   *ctx;
    ngx_http_s3_body_t  *bd;

    ctx = ngx_http_s3_get_ctx(r);
    bd = ctx->op_ctx;

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

            if (n && ngx_http_s3_body_data(bd, b->pos, n) != NGX_OK) {
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

static ngx_int_t
ngx_http_s3_body_data(ngx_http_s3_body_t *bd, u_char *p, size_t len)
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

    if (EVP_DigestUpdate(bd->md5, p, len) != 1
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
    u_char               sha256[EVP_MAX_MD_SIZE];
    unsigned int         n;
    ngx_http_s3_ctx_t   *ctx;
    ngx_http_s3_err_e    err;
    ngx_http_request_t  *r;

    r = bd->request;
    ctx = ngx_http_s3_get_ctx(r);

    bd->finished = 1;
    r->read_event_handler = ngx_http_block_reading;

    ngx_log_debug1(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "s3 request body: %O bytes", bd->received);

    /* for chunked bodies nginx counts content_length_n as it reads */

    if (r->headers_in.content_length_n >= 0
        && bd->raw != r->headers_in.content_length_n)
    {
        ngx_http_s3_body_fail(bd, NGX_HTTP_S3_ERR_INCOMPLETE_BODY, NULL);
        return;
    }

    if (bd->chunked) {

        if (!bd->chunked_done) {

            /* the body ended: complete only if the encoding says so */

            if (ngx_http_s3_chunked_eof(bd->chunked) != NGX_DONE) {
                ngx_http_s3_body_chunked_error(bd);
                ngx_http_s3_body_fail(bd, bd->err, bd->message);
                return;
            }

            bd->chunked_done = 1;
        }

        if (bd->received != bd->decoded_length) {
            ngx_http_s3_body_fail_length(bd);
            return;
        }
    }

    if (EVP_DigestFinal_ex(bd->md5, bd->md5_sum, &n) != 1 || n != 16) {
        ngx_http_s3_body_fail(bd, NGX_HTTP_S3_ERR_INTERNAL, NULL);
        return;
    }

    if (bd->sha256) {
        if (EVP_DigestFinal_ex(bd->sha256, sha256, &n) != 1 || n != 32) {
            ngx_http_s3_body_fail(bd, NGX_HTTP_S3_ERR_INTERNAL, NULL);
            return;
        }

        if (ngx_memcmp(sha256, ctx->auth.sha256, 32) != 0) {
            ngx_http_s3_body_fail(bd, NGX_HTTP_S3_ERR_SHA256_MISMATCH, NULL);
            return;
        }
    }

    if (bd->check_md5 && ngx_memcmp(bd->md5_sum, bd->content_md5, 16) != 0) {
        ngx_http_s3_body_fail(bd, NGX_HTTP_S3_ERR_BAD_DIGEST, NULL);
        return;
    }

    if (bd->checksum.alg != NGX_HTTP_S3_CHECKSUM_NONE) {
        err = ngx_http_s3_body_checksum(bd);

        if (err != NGX_HTTP_S3_OK) {
            ngx_http_s3_body_fail(bd, err, bd->message);
            return;
        }
    }

    bd->done_handler(bd);
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
    ngx_http_s3_xml_body_pt handler)
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


ngx_int_t
ngx_http_s3_meta_call(ngx_http_request_t *r, ngx_uint_t op,
    ngx_http_s3_wbuf_t *b, ngx_http_s3_meta_handler_pt handler, void *data)
{
    ngx_http_s3_meta_req_t  *mr;

    if (b->error) {
        return NGX_ERROR;
    }

    mr = ngx_http_s3_meta_create(r, op, handler, data);
    if (mr == NULL) {
        return NGX_ERROR;
    }

    mr->body.data = b->start;
    mr->body.len = b->pos - b->start;

    return ngx_http_s3_meta_send(mr);
}


/*
 * The common case: a metadata request naming the request's bucket (and
 * key), answered later by handler; what a content handler returns
 */

ngx_int_t
ngx_http_s3_meta_named(ngx_http_request_t *r, ngx_uint_t op,
    ngx_uint_t with_key, ngx_http_s3_meta_handler_pt handler, void *data)
{
    ngx_http_s3_ctx_t   *ctx;
    ngx_http_s3_wbuf_t   b;

    ctx = ngx_http_s3_get_ctx(r);

    if (ngx_http_s3_wbuf_init(&b, r->pool, 16 + ctx->bucket.len
                                           + ctx->key.len)
        != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ngx_http_s3_wire_put_str(&b, &ctx->bucket);

    if (with_key) {
        ngx_http_s3_wire_put_str(&b, &ctx->key);
    }

    if (ngx_http_s3_meta_call(r, op, &b, handler, data) != NGX_OK) {
        return ngx_http_s3_send_error(r, NGX_HTTP_S3_ERR_INTERNAL, NULL);
    }

    r->main->count++;

    return NGX_DONE;
}


/* PutObject */

ngx_int_t
ngx_http_s3_put_object(ngx_http_request_t *r)
{
    ngx_int_t             rc;
    ngx_table_elt_t      *h;
    const char           *message;
    ngx_http_s3_ctx_t    *ctx;
    ngx_http_s3_err_e     err;
    ngx_http_s3_put_t    *put;
    ngx_http_s3_wbuf_t    b;

    ctx = ngx_http_s3_get_ctx(r);

    if (ngx_http_s3_header_in(r, "x-amz-copy-source")) {
        return ngx_http_s3_send_error(r, NGX_HTTP_S3_ERR_NOT_IMPLEMENTED,
                                      "CopyObject is not implemented yet.");
    }

    if (r->headers_in.content_length_n < 0 && !r->headers_in.chunked) {
        return ngx_http_s3_send_error(r,
                                      NGX_HTTP_S3_ERR_MISSING_CONTENT_LENGTH,
                                      NULL);
    }

    /* aws-chunked: the body init checks x-amz-decoded-content-length */

    if (ctx->auth.payload != NGX_HTTP_S3_PAYLOAD_STREAMING
        && r->headers_in.content_length_n > NGX_HTTP_S3_MAX_OBJECT_SIZE)
    {
        return ngx_http_s3_send_error(r, NGX_HTTP_S3_ERR_ENTITY_TOO_LARGE,
                                      NULL);
    }

    put = ngx_pcalloc(r->pool, sizeof(ngx_http_s3_put_t));
    if (put == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    put->request = r;
    put->file.fd = NGX_INVALID_FILE;
    put->file.log = r->connection->log;

    message = NULL;

    err = ngx_http_s3_put_headers(r, put, &message);

    if (err == NGX_HTTP_S3_OK) {
        err = ngx_http_s3_put_conditions(r, put, &message);
    }

    if (err != NGX_HTTP_S3_OK) {
        return ngx_http_s3_send_error(r, err, message);
    }

    /* Content-MD5 is checked before a byte of the body is read */

    put->body.max = NGX_HTTP_S3_MAX_OBJECT_SIZE;
    put->body.data_handler = ngx_http_s3_put_write;
    put->body.done_handler = ngx_http_s3_put_done;
    put->body.fail_handler = ngx_http_s3_put_fail;
    put->body.data = put;

    err = ngx_http_s3_body_init(r, &put->body);

    if (err != NGX_HTTP_S3_OK) {
        return ngx_http_s3_send_error(r, err, put->body.message);
    }

    /*
     * A client waiting for "100 Continue" has not sent the body yet: see
     * that the bucket exists first, so that a missing one costs no upload.
     */

    h = r->headers_in.expect;

    if (h && r->http_version == NGX_HTTP_VERSION_11
        && h->value.len == sizeof("100-continue") - 1
        && ngx_strncasecmp(h->value.data, (u_char *) "100-continue",
                           h->value.len) == 0)
    {
        if (ngx_http_s3_wbuf_init(&b, r->pool, 8 + ctx->bucket.len)
            != NGX_OK)
        {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        ngx_http_s3_wire_put_str(&b, &ctx->bucket);

        if (ngx_http_s3_meta_call(r, NGX_HTTP_S3_WIRE_OP_BUCKET_GET, &b,
                                  ngx_http_s3_put_bucket_handler, put)
            != NGX_OK)
        {
            return ngx_http_s3_send_error(r, NGX_HTTP_S3_ERR_INTERNAL, NULL);
        }

        r->main->count++;

        return NGX_DONE;
    }

    rc = ngx_http_s3_put_start(put);

    if (rc != NGX_OK) {
        return rc;
    }

    return NGX_DONE;
}


static void
ngx_http_s3_put_bucket_handler(ngx_http_s3_meta_req_t *mr)
{
    ngx_int_t            rc;
    ngx_http_s3_put_t   *put;
    ngx_http_request_t  *r;

    put = mr->data;
    r = put->request;

    if (mr->status != NGX_HTTP_S3_WIRE_ST_OK) {
        rc = ngx_http_s3_send_error(r, ngx_http_s3_meta_error(mr->status),
                                    NULL);

    } else {
        rc = ngx_http_s3_put_start(put);

        if (rc == NGX_OK) {
            /* the body reader holds the request now */
            rc = NGX_DONE;
        }
    }

    ngx_http_s3_finalize(r, rc);
}


static ngx_int_t
ngx_http_s3_put_start(ngx_http_s3_put_t *put)
{
    ngx_http_request_t  *r;

    r = put->request;

    if (ngx_http_s3_put_open(put) != NGX_OK) {
        return ngx_http_s3_send_error(r, NGX_HTTP_S3_ERR_INTERNAL, NULL);
    }

    return ngx_http_s3_body_read(&put->body);
}


/*
 * Content headers and user metadata go into the record; headers asking
 * for what is not implemented are refused, never ignored.
 */

static ngx_http_s3_err_e
ngx_http_s3_put_headers(ngx_http_request_t *r, ngx_http_s3_put_t *put,
    const char **message)
{
    size_t                 size;
    u_char                *p;
    ngx_uint_t             i, j;
    ngx_list_part_t       *part;
    ngx_table_elt_t       *h;
    ngx_http_s3_pair_t    *pair, *pairs;
    ngx_http_s3_object_t  *o;

    o = &put->object;

    o->meta = ngx_array_create(r->pool, 4, sizeof(ngx_http_s3_pair_t));
    if (o->meta == NULL) {
        return NGX_HTTP_S3_ERR_INTERNAL;
    }

    if (r->headers_in.content_type) {
        o->content_type = r->headers_in.content_type->value;
    }

    size = 0;

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

        if (h[i].key.len > sizeof("x-amz-meta-") - 1
            && ngx_http_s3_header_prefix(&h[i], "x-amz-meta-"))
        {

            p = ngx_pnalloc(r->pool, h[i].key.len - 11);
            if (p == NULL) {
                return NGX_HTTP_S3_ERR_INTERNAL;
            }

            ngx_strlow(p, h[i].key.data + 11, h[i].key.len - 11);

            size += h[i].key.len - 11 + h[i].value.len;

            /* a repeated name: the values joined, as HTTP reads them */

            pairs = o->meta->elts;
            pair = NULL;

            for (j = 0; j < o->meta->nelts; j++) {
                if (pairs[j].name.len == h[i].key.len - 11
                    && ngx_memcmp(pairs[j].name.data, p, pairs[j].name.len)
                       == 0)
                {
                    pair = &pairs[j];
                    break;
                }
            }

            if (pair) {
                p = ngx_pnalloc(r->pool,
                                pair->value.len + 1 + h[i].value.len);
                if (p == NULL) {
                    return NGX_HTTP_S3_ERR_INTERNAL;
                }

                ngx_memcpy(p, pair->value.data, pair->value.len);
                p[pair->value.len] = ',';
                ngx_memcpy(p + pair->value.len + 1, h[i].value.data,
                           h[i].value.len);

                pair->value.data = p;
                pair->value.len += 1 + h[i].value.len;
                size++;

                continue;
            }

            pair = ngx_array_push(o->meta);
            if (pair == NULL) {
                return NGX_HTTP_S3_ERR_INTERNAL;
            }

            pair->name.data = p;
            pair->name.len = h[i].key.len - 11;
            pair->value = h[i].value;

            continue;
        }

        if (ngx_http_s3_header_is(&h[i], "content-encoding")) {
            o->content_encoding = h[i].value;

            if (ngx_http_s3_content_encoding(r->pool, &o->content_encoding)
                != NGX_OK)
            {
                return NGX_HTTP_S3_ERR_INTERNAL;
            }

        } else if (ngx_http_s3_header_is(&h[i], "content-disposition")) {
            o->content_disposition = h[i].value;

        } else if (ngx_http_s3_header_is(&h[i], "content-language")) {
            o->content_language = h[i].value;

        } else if (ngx_http_s3_header_is(&h[i], "cache-control")) {
            o->cache_control = h[i].value;

        } else if (ngx_http_s3_header_is(&h[i], "expires")) {
            o->expires = h[i].value;

        } else if (ngx_http_s3_header_prefix(&h[i],
                                             "x-amz-server-side-encryption"))
        {
            *message = "Server-side encryption is not implemented.";
            return NGX_HTTP_S3_ERR_NOT_IMPLEMENTED;

        } else if (ngx_http_s3_header_is(&h[i], "x-amz-tagging")) {
            *message = "Object tagging is not implemented yet.";
            return NGX_HTTP_S3_ERR_NOT_IMPLEMENTED;

        } else if (ngx_http_s3_header_prefix(&h[i], "x-amz-object-lock-")) {
            *message = "Object lock is not implemented yet.";
            return NGX_HTTP_S3_ERR_NOT_IMPLEMENTED;

        } else if (ngx_http_s3_header_is(&h[i],
                                         "x-amz-website-redirect-location"))
        {
            *message = "Website redirects are not implemented.";
            return NGX_HTTP_S3_ERR_NOT_IMPLEMENTED;

        } else if (ngx_http_s3_header_prefix(&h[i], "x-amz-grant-")) {
            *message = "Object ACLs are not implemented.";
            return NGX_HTTP_S3_ERR_NOT_IMPLEMENTED;

        } else if (ngx_http_s3_header_is(&h[i], "x-amz-acl")) {

            if (!(h[i].value.len == 7
                  && ngx_strncasecmp(h[i].value.data, (u_char *) "private", 7)
                     == 0)
                && !(h[i].value.len == 25
                     && ngx_strncasecmp(h[i].value.data,
                                        (u_char *) "bucket-owner-full-control",
                                        25) == 0))
            {
                *message = "Object ACLs are not implemented.";
                return NGX_HTTP_S3_ERR_NOT_IMPLEMENTED;
            }

        } else if (ngx_http_s3_header_is(&h[i], "x-amz-storage-class")) {

            if (!(h[i].value.len == 8
                  && ngx_strncmp(h[i].value.data, "STANDARD", 8) == 0))
            {
                return NGX_HTTP_S3_ERR_INVALID_STORAGE_CLASS;
            }
        }
    }

    if (size > NGX_HTTP_S3_MAX_META_SIZE) {
        return NGX_HTTP_S3_ERR_METADATA_TOO_LARGE;
    }

    return NGX_HTTP_S3_OK;
}


static ngx_uint_t
ngx_http_s3_header_is(ngx_table_elt_t *h, const char *name)
{
    size_t  len;

    len = ngx_strlen(name);

    return h->key.len == len
           && ngx_strncasecmp(h->key.data, (u_char *) name, len) == 0;
}


static ngx_uint_t
ngx_http_s3_header_prefix(ngx_table_elt_t *h, const char *prefix)
{
    size_t  len;

    len = ngx_strlen(prefix);

    return h->key.len >= len
           && ngx_strncasecmp(h->key.data, (u_char *) prefix, len) == 0;
}


/*
 * "aws-chunked" says how the request body was sent, not how the object is
 * encoded: S3 drops it from the list and keeps the others ("gzip")
 */

static ngx_int_t
ngx_http_s3_content_encoding(ngx_pool_t *pool, ngx_str_t *value)
{
    u_char  *p, *last, *start, *end, *dst, *out;

    p = value->data;
    last = p + value->len;

    if (ngx_strlcasestrn(p, last, (u_char *) "aws-chunked",
                         sizeof("aws-chunked") - 2)
        == NULL)
    {
        return NGX_OK;
    }

    out = ngx_pnalloc(pool, value->len);
    if (out == NULL) {
        return NGX_ERROR;
    }

    dst = out;

    while (p < last) {

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

        if (end == start
            || (end - start == sizeof("aws-chunked") - 1
                && ngx_strncasecmp(start, (u_char *) "aws-chunked",
                                   end - start)
                   == 0))
        {
            continue;
        }

        if (dst != out) {
            *dst++ = ',';
        }

        dst = ngx_cpymem(dst, start, end - start);
    }

    value->data = out;
    value->len = dst - out;

    return NGX_OK;
}


/*
 * Conditional writes, decided by the metadata process in one step:
 * If-None-Match: * (only "*", as S3) and If-Match: <etag>.
 */

static ngx_http_s3_err_e
ngx_http_s3_put_conditions(ngx_http_request_t *r, ngx_http_s3_put_t *put,
    const char **message)
{
    ngx_str_t         v;
    ngx_table_elt_t  *inm, *im;

    inm = r->headers_in.if_none_match;
    im = r->headers_in.if_match;

    if (inm && im) {
        *message = "Multiple conditional request headers are not "
                   "supported.";
        return NGX_HTTP_S3_ERR_NOT_IMPLEMENTED;
    }

    if (inm) {
        if (inm->value.len != 1 || inm->value.data[0] != '*') {
            *message = "If-None-Match on a write supports only \"*\".";
            return NGX_HTTP_S3_ERR_NOT_IMPLEMENTED;
        }

        put->cond = NGX_HTTP_S3_WIRE_COND_IF_NONE_MATCH;
        return NGX_HTTP_S3_OK;
    }

    if (im) {
        v = im->value;

        while (v.len && v.data[0] == ' ') {
            v.data++;
            v.len--;
        }

        while (v.len && v.data[v.len - 1] == ' ') {
            v.len--;
        }

        if (v.len >= 2 && v.data[0] == '"' && v.data[v.len - 1] == '"') {
            v.data++;
            v.len -= 2;
        }

        if (v.len == 0 || ngx_strlchr(v.data, v.data + v.len, ',')) {
            *message = "If-Match on a write takes one ETag.";
            return NGX_HTTP_S3_ERR_NOT_IMPLEMENTED;
        }

        put->cond = NGX_HTTP_S3_WIRE_COND_IF_MATCH;
        put->cond_etag = v;
    }

    return NGX_HTTP_S3_OK;
}


static ngx_int_t
ngx_http_s3_put_open(ngx_http_s3_put_t *put)
{
    u_char                   *path;
    ngx_err_t                 err;
    ngx_uint_t                dirs;
    ngx_http_request_t       *r;
    ngx_pool_cleanup_t       *cln;
    ngx_http_s3_main_conf_t  *smcf;

    r = put->request;
    smcf = ngx_http_get_module_main_conf(r, ngx_http_s3_module);

    put->id.len = NGX_HTTP_S3_BODY_ID_LEN;
    put->id.data = ngx_pnalloc(r->pool, NGX_HTTP_S3_BODY_ID_LEN);
    path = ngx_pnalloc(r->pool, smcf->data.len + 48);

    if (put->id.data == NULL || path == NULL) {
        return NGX_ERROR;
    }

    if (ngx_http_s3_random_hex(put->id.data, NGX_HTTP_S3_BODY_ID_LEN / 2)
        != NGX_OK)
    {
        ngx_log_error(NGX_LOG_ALERT, r->connection->log, 0,
                      "s3: no random bytes for a body id");
        return NGX_ERROR;
    }

    ngx_http_s3_body_path(smcf, path, &put->id);

    put->file.name.data = path;
    put->file.name.len = ngx_strlen(path);

    cln = ngx_pool_cleanup_add(r->pool, 0);
    if (cln == NULL) {
        return NGX_ERROR;
    }

    cln->handler = ngx_http_s3_put_cleanup;
    cln->data = put;

    for (dirs = 0; /* void */; dirs++) {

        put->file.fd = ngx_open_file(path, NGX_FILE_WRONLY,
                                     NGX_FILE_CREATE_OR_OPEN|O_EXCL,
                                     NGX_FILE_DEFAULT_ACCESS);

        if (put->file.fd != NGX_INVALID_FILE) {
            break;
        }

        err = ngx_errno;

        if (err == NGX_ENOENT && dirs == 0) {
            /* the fan-out directories of a new prefix */

            if (ngx_http_s3_put_dirs(put) != NGX_OK) {
                return NGX_ERROR;
            }

            continue;
        }

        ngx_log_error(NGX_LOG_CRIT, r->connection->log, err,
                      ngx_open_file_n " \"%s\" failed", path);

        /* nothing to unlink: it is not ours */
        put->file.name.len = 0;

        return NGX_ERROR;
    }

    ngx_log_debug2(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "s3 put body file: \"%s\" fd:%d", path, put->file.fd);

    return NGX_OK;
}


static ngx_int_t
ngx_http_s3_put_dirs(ngx_http_s3_put_t *put)
{
    u_char                   *path, *d1, *d2;
    ngx_err_t                 err;
    ngx_http_request_t       *r;
    ngx_http_s3_main_conf_t  *smcf;

    r = put->request;
    smcf = ngx_http_get_module_main_conf(r, ngx_http_s3_module);

    path = put->file.name.data;

    err = ngx_create_full_path(path, 0700);

    if (err) {
        ngx_log_error(NGX_LOG_CRIT, r->connection->log, err,
                      ngx_create_dir_n " \"%s\" failed", path);
        return NGX_ERROR;
    }

    if (smcf->fsync != NGX_HTTP_S3_FSYNC_ON) {
        return NGX_OK;
    }

    /*
     * <data>/objects/ab/cd/<id>: the new entries "ab" and "cd" become
     * durable with their parent directories
     */

    d2 = path + put->file.name.len - NGX_HTTP_S3_BODY_ID_LEN - 1;
    d1 = d2 - 3;

    if (ngx_http_s3_fsync_dir(r, path, d1) != NGX_OK
        || ngx_http_s3_fsync_dir(r, path, d1 - 3) != NGX_OK)
    {
        return NGX_ERROR;
    }

    return NGX_OK;
}


/* fsync the directory path[0..end) */

static ngx_int_t
ngx_http_s3_fsync_dir(ngx_http_request_t *r, u_char *path, u_char *end)
{
    u_char    c;
    ngx_fd_t  fd;

    c = *end;
    *end = '\0';

    fd = ngx_open_file(path, NGX_FILE_RDONLY, NGX_FILE_OPEN, 0);

    if (fd == NGX_INVALID_FILE) {
        ngx_log_error(NGX_LOG_CRIT, r->connection->log, ngx_errno,
                      ngx_open_file_n " \"%s\" failed", path);
        *end = c;
        return NGX_ERROR;
    }

    if (fsync(fd) == -1) {
        ngx_log_error(NGX_LOG_CRIT, r->connection->log, ngx_errno,
                      "fsync(\"%s\") failed", path);
        (void) ngx_close_file(fd);
        *end = c;
        return NGX_ERROR;
    }

    (void) ngx_close_file(fd);
    *end = c;

    return NGX_OK;
}


static void
ngx_http_s3_put_cleanup(void *data)
{
    ngx_http_s3_put_t  *put = data;

    if (put->file.fd != NGX_INVALID_FILE) {
        if (ngx_close_file(put->file.fd) == NGX_FILE_ERROR) {
            ngx_log_error(NGX_LOG_ALERT, put->file.log, ngx_errno,
                          ngx_close_file_n " \"%s\" failed",
                          put->file.name.data);
        }

        put->file.fd = NGX_INVALID_FILE;
    }

    if (put->committed || put->keep || put->file.name.len == 0) {
        return;
    }

    /* failed or aborted: the body is nobody's */

    if (ngx_delete_file(put->file.name.data) == NGX_FILE_ERROR
        && ngx_errno != NGX_ENOENT)
    {
        ngx_log_error(NGX_LOG_CRIT, put->file.log, ngx_errno,
                      ngx_delete_file_n " \"%s\" failed",
                      put->file.name.data);
    }
}


static ngx_int_t
ngx_http_s3_put_write(ngx_http_s3_body_t *bd, u_char *p, size_t len)
{
    ngx_http_s3_put_t  *put;

    put = bd->data;

    if (ngx_write_file(&put->file, p, len, put->file.offset) == NGX_ERROR) {
        bd->err = NGX_HTTP_S3_ERR_INTERNAL;
        return NGX_ERROR;
    }

    return NGX_OK;
}


/*
 * the body was refused: its file goes before the error is answered (the
 * request's cleanup would remove it only when the connection lets go)
 */

static void
ngx_http_s3_put_fail(ngx_http_s3_body_t *bd)
{
    ngx_http_s3_put_t  *put;

    put = bd->data;

    ngx_http_s3_put_cleanup(put);

    put->file.name.len = 0;
}


static void
ngx_http_s3_put_done(ngx_http_s3_body_t *bd)
{
    size_t                    size;
    ngx_fd_t                  fd;
    ngx_str_t                 rec;
    ngx_time_t               *tp;
    ngx_http_s3_put_t        *put;
    ngx_http_s3_ctx_t        *ctx;
    ngx_http_request_t       *r;
    ngx_http_s3_wbuf_t        b, rb;
    ngx_http_s3_object_t     *o;
    ngx_http_s3_main_conf_t  *smcf;

    put = bd->data;
    r = put->request;
    ctx = ngx_http_s3_get_ctx(r);
    smcf = ngx_http_get_module_main_conf(r, ngx_http_s3_module);

    fd = put->file.fd;

    if (smcf->fsync == NGX_HTTP_S3_FSYNC_ON) {

        if (fsync(fd) == -1) {
            ngx_log_error(NGX_LOG_CRIT, r->connection->log, ngx_errno,
                          "fsync(\"%s\") failed", put->file.name.data);
            goto failed;
        }

        /* and the new name in its directory, before the record names it */

        if (ngx_http_s3_fsync_dir(r, put->file.name.data,
                                  put->file.name.data + put->file.name.len
                                  - NGX_HTTP_S3_BODY_ID_LEN - 1)
            != NGX_OK)
        {
            goto failed;
        }
    }

    put->file.fd = NGX_INVALID_FILE;

    if (ngx_close_file(fd) == NGX_FILE_ERROR) {
        ngx_log_error(NGX_LOG_CRIT, r->connection->log, ngx_errno,
                      ngx_close_file_n " \"%s\" failed", put->file.name.data);
        goto failed;
    }

    tp = ngx_timeofday();

    o = &put->object;

    o->size = (uint64_t) bd->received;
    o->mtime = (uint64_t) tp->sec * 1000 + tp->msec;
    o->body = put->id;
    ngx_str_set(&o->version, "null");
    o->owner = ctx->auth.access_key;

    o->etag.data = put->etag;
    o->etag.len = 32;
    ngx_hex_dump(put->etag, bd->md5_sum, 16);

    if (bd->checksum.alg != NGX_HTTP_S3_CHECKSUM_NONE) {
        o->checksum_alg = bd->checksum.alg;
        o->checksum_type = NGX_HTTP_S3_CHECKSUM_FULL_OBJECT;
        o->checksum.data = bd->checksum_sum;
        o->checksum.len = ngx_http_s3_checksum_size(bd->checksum.alg);
    }

    size = 256 + 8 + NGX_HTTP_S3_CHECKSUM_MAX_SIZE
           + o->content_type.len + o->content_encoding.len
           + o->content_disposition.len + o->content_language.len
           + o->cache_control.len + o->expires.len + o->owner.len
           + NGX_HTTP_S3_MAX_META_SIZE + 8 * o->meta->nelts;

    if (ngx_http_s3_wbuf_init(&rb, r->pool, size) != NGX_OK) {
        goto failed;
    }

    ngx_http_s3_object_encode(&rb, o);

    if (rb.error) {
        goto failed;
    }

    rec.data = rb.start;
    rec.len = rb.pos - rb.start;

    if (ngx_http_s3_wbuf_init(&b, r->pool, 32 + ctx->bucket.len
                                           + ctx->key.len + rec.len
                                           + put->cond_etag.len)
        != NGX_OK)
    {
        goto failed;
    }

    ngx_http_s3_wire_put_str(&b, &ctx->bucket);
    ngx_http_s3_wire_put_str(&b, &ctx->key);
    ngx_http_s3_wire_put_str(&b, &rec);
    ngx_http_s3_wire_put_u8(&b, (uint8_t) put->cond);
    ngx_http_s3_wire_put_str(&b, &put->cond_etag);

    if (ngx_http_s3_meta_call(r, NGX_HTTP_S3_WIRE_OP_OBJECT_PUT, &b,
                              ngx_http_s3_put_handler, put)
        != NGX_OK)
    {
        goto failed;
    }

    /* the handler finalizes the request */

    return;

failed:

    ngx_http_s3_finalize(r, ngx_http_s3_send_error(r,
                                        NGX_HTTP_S3_ERR_INTERNAL, NULL));
}


static void
ngx_http_s3_put_handler(ngx_http_s3_meta_req_t *mr)
{
    ngx_int_t            rc;
    ngx_str_t            etag;
    ngx_http_s3_put_t   *put;
    ngx_http_s3_ctx_t   *ctx;
    ngx_http_request_t  *r;

    put = mr->data;
    r = put->request;
    ctx = ngx_http_s3_get_ctx(r);

    switch (mr->status) {

    case NGX_HTTP_S3_WIRE_ST_OK:

        put->committed = 1;

        etag.len = 2 + 32;
        etag.data = ngx_pnalloc(r->pool, etag.len);
        if (etag.data == NULL) {
            rc = NGX_ERROR;
            break;
        }

        etag.data[0] = '"';
        ngx_memcpy(etag.data + 1, put->etag, 32);
        etag.data[33] = '"';

        if (ngx_http_s3_add_header(r, "ETag", &etag) != NGX_OK) {
            rc = NGX_ERROR;
            break;
        }

        if (put->object.checksum_alg != NGX_HTTP_S3_CHECKSUM_NONE
            && ngx_http_s3_checksum_out(r, put->object.checksum_alg,
                                        &put->object.checksum)
               != NGX_OK)
        {
            rc = NGX_ERROR;
            break;
        }

        rc = ngx_http_s3_send_empty(r, NGX_HTTP_OK);
        break;

    case NGX_HTTP_S3_WIRE_ST_UNAVAILABLE:
    case NGX_HTTP_S3_WIRE_ST_ERROR:

        /*
         * the commit may have happened: keep the body file; a body that
         * no record names is an orphan for the metadata process to collect
         */

        put->keep = 1;

        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "s3 put \"%V/%V\": metadata %s, body \"%s\" kept",
                      &ctx->bucket, &ctx->key,
                      ngx_http_s3_meta_status_text(mr->status),
                      put->file.name.data);

        rc = ngx_http_s3_send_error(r, ngx_http_s3_meta_error(mr->status),
                                    NULL);
        break;

    case NGX_HTTP_S3_WIRE_ST_PRECONDITION:
        rc = ngx_http_s3_send_error_extra(r,
                 NGX_HTTP_S3_ERR_PRECONDITION_FAILED, NULL, NULL, 0);
        break;

    default:
        rc = ngx_http_s3_send_error(r, ngx_http_s3_meta_error(mr->status),
                                    NULL);
        break;
    }

    ngx_http_s3_finalize(r, rc);
}


/* versionId: only the "null" version exists without versioning */

static ngx_int_t
ngx_http_s3_version_arg(ngx_http_request_t *r)
{
    ngx_str_t  v;

    if (ngx_http_s3_arg(r, "versionId", &v) != NGX_OK) {
        return NGX_OK;
    }

    if (v.len == 4 && ngx_strncmp(v.data, "null", 4) == 0) {
        return NGX_OK;
    }

    return NGX_DECLINED;
}


/* GetObject and HeadObject */

ngx_int_t
ngx_http_s3_get_object(ngx_http_request_t *r)
{
    ngx_int_t           rc;
    ngx_http_s3_get_t  *g;

    if (ngx_http_s3_version_arg(r) != NGX_OK) {
        return ngx_http_s3_send_error(r, NGX_HTTP_S3_ERR_INVALID_ARGUMENT,
                                      "Invalid version id specified");
    }

    if (ngx_http_s3_arg_present(r, "partNumber")) {
        return ngx_http_s3_send_error(r, NGX_HTTP_S3_ERR_NOT_IMPLEMENTED,
                                      "GetObject by part number is not "
                                      "implemented yet.");
    }

    g = ngx_pcalloc(r->pool, sizeof(ngx_http_s3_get_t));
    if (g == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    g->request = r;

    rc = ngx_http_s3_get_send_meta(g);

    if (rc != NGX_OK) {
        return ngx_http_s3_send_error(r, NGX_HTTP_S3_ERR_INTERNAL, NULL);
    }

    r->main->count++;

    return NGX_DONE;
}


static ngx_int_t
ngx_http_s3_get_send_meta(ngx_http_s3_get_t *g)
{
    ngx_http_s3_ctx_t   *ctx;
    ngx_http_request_t  *r;
    ngx_http_s3_wbuf_t   b;

    r = g->request;
    ctx = ngx_http_s3_get_ctx(r);

    g->tries++;

    if (ngx_http_s3_wbuf_init(&b, r->pool, 16 + ctx->bucket.len
                                           + ctx->key.len)
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    ngx_http_s3_wire_put_str(&b, &ctx->bucket);
    ngx_http_s3_wire_put_str(&b, &ctx->key);

    return ngx_http_s3_meta_call(r, NGX_HTTP_S3_WIRE_OP_OBJECT_GET, &b,
                                 ngx_http_s3_get_handler, g);
}


static void
ngx_http_s3_get_handler(ngx_http_s3_meta_req_t *mr)
{
    ngx_int_t              rc;
    ngx_http_s3_get_t     *g;
    ngx_http_s3_ctx_t     *ctx;
    ngx_http_request_t    *r;
    ngx_http_s3_object_t   o;

    g = mr->data;
    r = g->request;
    ctx = ngx_http_s3_get_ctx(r);

    if (mr->status != NGX_HTTP_S3_WIRE_ST_OK) {
        rc = ngx_http_s3_send_error(r, ngx_http_s3_meta_error(mr->status),
                                    NULL);
        goto done;
    }

    if (ngx_http_s3_object_decode(&mr->reply, &o, r->pool) != NGX_OK) {
        ngx_log_error(NGX_LOG_ALERT, r->connection->log, 0,
                      "s3 object \"%V/%V\": bad record", &ctx->bucket,
                      &ctx->key);
        rc = ngx_http_s3_send_error(r, NGX_HTTP_S3_ERR_INTERNAL, NULL);
        goto done;
    }

    rc = ngx_http_s3_get_send(g, &o);

    if (rc == NGX_BUSY) {
        /* asked the metadata again */
        return;
    }

done:

    ngx_http_s3_finalize(r, rc);
}


/*
 * The response from the record: conditions, range, headers, and the body
 * as one file buffer.  NGX_BUSY: the body file went away under a
 * concurrent overwrite or delete, and the record is being read again.
 */

static ngx_int_t
ngx_http_s3_get_send(ngx_http_s3_get_t *g, ngx_http_s3_object_t *o)
{
    u_char                    *path;
    off_t                      start, end, size;
    ngx_int_t                  rc;
    ngx_buf_t                 *b;
    ngx_str_t                  etag, name, range, fname;
    ngx_uint_t                 level, opened;
    ngx_chain_t                out;
    ngx_table_elt_t           *h;
    const char                *condition;
    ngx_http_s3_ctx_t         *ctx;
    ngx_http_s3_err_e          err;
    ngx_http_request_t        *r;
    ngx_open_file_info_t       of;
    ngx_http_s3_err_extra_t    extra[2];
    ngx_http_s3_main_conf_t   *smcf;
    ngx_http_core_loc_conf_t  *clcf;

    r = g->request;
    ctx = ngx_http_s3_get_ctx(r);

    if (o->flags & NGX_HTTP_S3_OBJECT_DELETE_MARKER) {
        return ngx_http_s3_send_error(r, NGX_HTTP_S3_ERR_NO_SUCH_KEY, NULL);
    }

    if (ngx_http_s3_quote_etag(r->pool, &o->etag, &etag) != NGX_OK) {
        return NGX_ERROR;
    }

    size = (off_t) o->size;

    /* S3's (and RFC 7232's) order of the preconditions */

    condition = NULL;
    err = ngx_http_s3_get_conditions(r, o, &condition);

    if (err == NGX_HTTP_S3_ERR_NOT_MODIFIED) {
        r->headers_out.etag = ngx_http_s3_push_header(r, "ETag", &etag);
        if (r->headers_out.etag == NULL) {
            return NGX_ERROR;
        }

        r->headers_out.last_modified_time = (time_t) (o->mtime / 1000);

        return ngx_http_s3_send_error(r, err, NULL);
    }

    if (err == NGX_HTTP_S3_ERR_PRECONDITION_FAILED) {
        extra[0].name = "Condition";
        extra[0].value.data = (u_char *) condition;
        extra[0].value.len = ngx_strlen(condition);

        return ngx_http_s3_send_error_extra(r, err, NULL, extra, 1);
    }

    /* a single range, as S3 serves them */

    start = 0;
    end = size - 1;
    rc = NGX_DECLINED;

    if (r->headers_in.range) {
        range = r->headers_in.range->value;
        rc = ngx_http_s3_parse_range(&range, size, &start, &end);

        if (rc == NGX_ERROR) {
            name.len = sizeof("bytes */") - 1 + NGX_OFF_T_LEN;
            name.data = ngx_pnalloc(r->pool, name.len);
            if (name.data == NULL) {
                return NGX_ERROR;
            }

            name.len = ngx_sprintf(name.data, "bytes */%O", size)
                       - name.data;

            r->headers_out.content_range =
                ngx_http_s3_push_header(r, "Content-Range", &name);
            if (r->headers_out.content_range == NULL) {
                return NGX_ERROR;
            }

            extra[0].name = "RangeRequested";
            extra[0].value = range;
            extra[1].name = "ActualObjectSize";
            extra[1].value.data = name.data + sizeof("bytes */") - 1;
            extra[1].value.len = name.len - (sizeof("bytes */") - 1);

            return ngx_http_s3_send_error_extra(r,
                                                NGX_HTTP_S3_ERR_INVALID_RANGE,
                                                NULL, extra, 2);
        }

        if (rc == NGX_DECLINED) {
            start = 0;
            end = size - 1;
        }
    }

    clcf = ngx_http_get_module_loc_conf(r, ngx_http_core_module);

    ngx_memzero(&of, sizeof(ngx_open_file_info_t));
    ngx_str_null(&fname);
    opened = 0;

    if (r->method != NGX_HTTP_HEAD && end >= start) {

        smcf = ngx_http_get_module_main_conf(r, ngx_http_s3_module);

        path = ngx_pnalloc(r->pool, smcf->data.len + 48);
        if (path == NULL) {
            return NGX_ERROR;
        }

        ngx_http_s3_body_path(smcf, path, &o->body);

        fname.data = path;
        fname.len = ngx_strlen(path);

        of.read_ahead = clcf->read_ahead;
        of.directio = clcf->directio;
        of.valid = clcf->open_file_cache_valid;
        of.min_uses = clcf->open_file_cache_min_uses;
        of.errors = clcf->open_file_cache_errors;
        of.events = clcf->open_file_cache_events;

        if (ngx_open_cached_file(clcf->open_file_cache, &fname, &of, r->pool)
            != NGX_OK)
        {
            if (of.err == NGX_ENOENT
                && g->tries < NGX_HTTP_S3_GET_TRIES
                && (g->body.len != o->body.len
                    || ngx_memcmp(g->body.data, o->body.data, o->body.len)
                       != 0))
            {
                /* replaced or deleted since the record was read */

                g->body.data = ngx_pstrdup(r->pool, &o->body);
                if (g->body.data == NULL) {
                    return NGX_ERROR;
                }

                g->body.len = o->body.len;

                if (ngx_http_s3_get_send_meta(g) == NGX_OK) {
                    return NGX_BUSY;
                }

                return ngx_http_s3_send_error(r, NGX_HTTP_S3_ERR_INTERNAL,
                                              NULL);
            }

            level = (of.err == 0) ? NGX_LOG_ALERT : NGX_LOG_CRIT;

            ngx_log_error(level, r->connection->log, of.err,
                          "%s \"%s\" failed for \"%V/%V\"",
                          of.failed ? of.failed : "open", path,
                          &ctx->bucket, &ctx->key);

            return ngx_http_s3_send_error(r, NGX_HTTP_S3_ERR_INTERNAL, NULL);
        }

        if (!of.is_file || of.size < size) {
            ngx_log_error(NGX_LOG_ALERT, r->connection->log, 0,
                          "body file \"%s\" of \"%V/%V\" has %O bytes, "
                          "the record says %O", path, &ctx->bucket,
                          &ctx->key, of.size, size);

            return ngx_http_s3_send_error(r, NGX_HTTP_S3_ERR_INTERNAL, NULL);
        }

        opened = 1;
    }

    if (ngx_http_s3_object_headers(r, o, &etag) != NGX_OK) {
        return NGX_ERROR;
    }

    /* the checksum of the whole object, when asked for, as S3 */

    if (o->checksum_alg != NGX_HTTP_S3_CHECKSUM_NONE && rc != NGX_OK) {
        h = ngx_http_s3_header_in(r, "x-amz-checksum-mode");

        if (h && h->value.len == sizeof("ENABLED") - 1
            && ngx_strncasecmp(h->value.data, (u_char *) "ENABLED",
                               h->value.len)
               == 0
            && ngx_http_s3_checksum_out(r, o->checksum_alg, &o->checksum)
               != NGX_OK)
        {
            return NGX_ERROR;
        }
    }

    /* ranges and preconditions are ours: nginx's filters stay out */

    r->allow_ranges = 0;
    r->disable_not_modified = 1;

    if (rc == NGX_OK) {
        r->headers_out.status = NGX_HTTP_PARTIAL_CONTENT;

        name.len = sizeof("bytes --/") - 1 + 3 * NGX_OFF_T_LEN;
        name.data = ngx_pnalloc(r->pool, name.len);
        if (name.data == NULL) {
            return NGX_ERROR;
        }

        name.len = ngx_sprintf(name.data, "bytes %O-%O/%O", start, end, size)
                   - name.data;

        r->headers_out.content_range =
            ngx_http_s3_push_header(r, "Content-Range", &name);
        if (r->headers_out.content_range == NULL) {
            return NGX_ERROR;
        }

    } else {
        r->headers_out.status = NGX_HTTP_OK;
    }

    r->headers_out.content_length_n = end - start + 1;

    /* allocate all before the header would be sent */

    b = ngx_calloc_buf(r->pool);
    if (b == NULL) {
        return NGX_ERROR;
    }

    if (opened) {
        b->file = ngx_pcalloc(r->pool, sizeof(ngx_file_t));
        if (b->file == NULL) {
            return NGX_ERROR;
        }
    }

    rc = ngx_http_send_header(r);

    if (rc == NGX_ERROR || rc > NGX_OK || r->header_only) {
        return rc;
    }

    if (b->file) {
        b->file_pos = start;
        b->file_last = end + 1;
        b->in_file = 1;

        b->file->fd = of.fd;
        b->file->name = fname;
        b->file->log = r->connection->log;
        b->file->directio = of.is_directio;
    }

    b->last_buf = (r == r->main) ? 1 : 0;
    b->last_in_chain = 1;

    out.buf = b;
    out.next = NULL;

    return ngx_http_output_filter(r, &out);
}


static ngx_http_s3_err_e
ngx_http_s3_get_conditions(ngx_http_request_t *r, ngx_http_s3_object_t *o,
    const char **condition)
{
    time_t            mtime, t;
    ngx_table_elt_t  *h;

    mtime = (time_t) (o->mtime / 1000);

    /* If-Match decides alone when present; else If-Unmodified-Since */

    h = r->headers_in.if_match;

    if (h) {
        if (!ngx_http_s3_etag_match(&h->value, &o->etag, 0)) {
            *condition = "If-Match";
            return NGX_HTTP_S3_ERR_PRECONDITION_FAILED;
        }

    } else {
        h = r->headers_in.if_unmodified_since;

        if (h) {
            t = ngx_parse_http_time(h->value.data, h->value.len);

            if (t != NGX_ERROR && mtime > t) {
                *condition = "If-Unmodified-Since";
                return NGX_HTTP_S3_ERR_PRECONDITION_FAILED;
            }
        }
    }

    /* If-None-Match decides alone when present; else If-Modified-Since */

    h = r->headers_in.if_none_match;

    if (h) {
        if (ngx_http_s3_etag_match(&h->value, &o->etag, 1)) {
            return NGX_HTTP_S3_ERR_NOT_MODIFIED;
        }

        return NGX_HTTP_S3_OK;
    }

    h = r->headers_in.if_modified_since;

    if (h) {
        t = ngx_parse_http_time(h->value.data, h->value.len);

        if (t != NGX_ERROR && mtime <= t) {
            return NGX_HTTP_S3_ERR_NOT_MODIFIED;
        }
    }

    return NGX_HTTP_S3_OK;
}


/*
 * "*", or a list of entity tags, quoted or not (clients send back what
 * they got, some without the quotes); weak tags match only with weak
 * comparison (If-None-Match)
 */

static ngx_uint_t
ngx_http_s3_etag_match(ngx_str_t *list, ngx_str_t *etag, ngx_uint_t weak)
{
    u_char      *p, *last, *start;
    size_t       len;
    ngx_uint_t   w;

    p = list->data;
    last = p + list->len;

    for ( ;; ) {

        while (p < last && (*p == ' ' || *p == '\t' || *p == ',')) {
            p++;
        }

        if (p == last) {
            return 0;
        }

        if (*p == '*') {
            return 1;
        }

        w = 0;

        if (last - p > 2 && p[0] == 'W' && p[1] == '/') {
            w = 1;
            p += 2;
        }

        if (*p == '"') {
            start = ++p;

            while (p < last && *p != '"') {
                p++;
            }

            len = p - start;

            if (p < last) {
                p++;
            }

        } else {
            start = p;

            while (p < last && *p != ',' && *p != ' ' && *p != '\t') {
                p++;
            }

            len = p - start;
        }

        if ((weak || !w)
            && len == etag->len
            && ngx_strncmp(start, etag->data, len) == 0)
        {
            return 1;
        }
    }
}


/* the stored content headers, each with its response-* override */

typedef struct {
    size_t                     field;   /* in ngx_http_s3_object_t */
    const char                *arg;
    const char                *name;
    size_t                     out;     /* in ngx_http_headers_out_t, or 0 */
} ngx_http_s3_stored_header_t;


static ngx_http_s3_stored_header_t  ngx_http_s3_stored_headers[] = {

    { offsetof(ngx_http_s3_object_t, content_encoding),
      "response-content-encoding", "Content-Encoding",
      offsetof(ngx_http_headers_out_t, content_encoding) },

    { offsetof(ngx_http_s3_object_t, content_disposition),
      "response-content-disposition", "Content-Disposition", 0 },

    { offsetof(ngx_http_s3_object_t, content_language),
      "response-content-language", "Content-Language", 0 },

    { offsetof(ngx_http_s3_object_t, cache_control),
      "response-cache-control", "Cache-Control", 0 },

    { offsetof(ngx_http_s3_object_t, expires),
      "response-expires", "Expires",
      offsetof(ngx_http_headers_out_t, expires) },

    { 0, NULL, NULL, 0 }
};


static ngx_int_t
ngx_http_s3_object_headers(ngx_http_request_t *r, ngx_http_s3_object_t *o,
    ngx_str_t *etag)
{
    u_char                        *p;
    ngx_str_t                      v, name;
    ngx_uint_t                     i, overrides;
    ngx_table_elt_t               *h;
    ngx_http_s3_pair_t            *pair;
    ngx_http_s3_stored_header_t   *sh;

    /* most requests have none: one look instead of six */

    overrides = (r->args.len
                 && memmem(r->args.data, r->args.len, "response-",
                           sizeof("response-") - 1)
                    != NULL);

    r->headers_out.etag = ngx_http_s3_push_header(r, "ETag", etag);
    if (r->headers_out.etag == NULL) {
        return NGX_ERROR;
    }

    r->headers_out.last_modified_time = (time_t) (o->mtime / 1000);

    /* the response-* query arguments of a signed request override */

    v = o->content_type;

    if (overrides
        && ngx_http_s3_override(r, "response-content-type", &v) != NGX_OK)
    {
        return NGX_ERROR;
    }

    if (v.len == 0) {
        ngx_str_set(&v, "binary/octet-stream");
    }

    r->headers_out.content_type = v;
    r->headers_out.content_type_len = v.len;
    r->headers_out.content_type_lowcase = NULL;

    for (sh = ngx_http_s3_stored_headers; sh->name; sh++) {

        v = *(ngx_str_t *) ((u_char *) o + sh->field);

        if (overrides && ngx_http_s3_override(r, sh->arg, &v) != NGX_OK) {
            return NGX_ERROR;
        }

        if (v.len == 0) {
            continue;
        }

        h = ngx_http_s3_push_header(r, sh->name, &v);
        if (h == NULL) {
            return NGX_ERROR;
        }

        /* Content-Encoding also tells gzip the body is encoded already */

        if (sh->out) {
            *(ngx_table_elt_t **) ((u_char *) &r->headers_out + sh->out) = h;
        }
    }

    if (o->meta) {
        pair = o->meta->elts;

        for (i = 0; i < o->meta->nelts; i++) {
            name.len = sizeof("x-amz-meta-") - 1 + pair[i].name.len;
            name.data = ngx_pnalloc(r->pool, name.len + 1);
            if (name.data == NULL) {
                return NGX_ERROR;
            }

            p = ngx_cpymem(name.data, "x-amz-meta-",
                           sizeof("x-amz-meta-") - 1);
            p = ngx_cpymem(p, pair[i].name.data, pair[i].name.len);
            *p = '\0';

            if (ngx_http_s3_push_header(r, (char *) name.data, &pair[i].value)
                == NULL)
            {
                return NGX_ERROR;
            }
        }
    }

    ngx_str_set(&v, "bytes");

    if (ngx_http_s3_push_header(r, "Accept-Ranges", &v) == NULL) {
        return NGX_ERROR;
    }

    return NGX_OK;
}


/* x-amz-checksum-<algorithm> and x-amz-checksum-type of a stored object */

static ngx_int_t
ngx_http_s3_checksum_out(ngx_http_request_t *r, ngx_uint_t alg,
    ngx_str_t *digest)
{
    ngx_str_t   v, *name;

    if (digest->len == 0 || digest->len != ngx_http_s3_checksum_size(alg)) {
        /* a record of a newer algorithm: say nothing */
        return NGX_OK;
    }

    name = ngx_http_s3_checksum_header(alg);

    v.data = ngx_pnalloc(r->pool, NGX_HTTP_S3_CHECKSUM_MAX_BASE64);
    if (v.data == NULL) {
        return NGX_ERROR;
    }

    v.len = ngx_http_s3_checksum_encode(alg, digest->data, v.data);

    if (ngx_http_s3_push_header(r, (const char *) name->data, &v) == NULL) {
        return NGX_ERROR;
    }

    ngx_str_set(&v, "FULL_OBJECT");

    if (ngx_http_s3_push_header(r, "x-amz-checksum-type", &v) == NULL) {
        return NGX_ERROR;
    }

    return NGX_OK;
}


/* a response-* query argument, percent-decoded, replaces *value */

static ngx_int_t
ngx_http_s3_override(ngx_http_request_t *r, const char *arg,
    ngx_str_t *value)
{
    u_char     *p;
    size_t      len;
    ngx_str_t   raw;

    if (ngx_http_s3_arg(r, arg, &raw) != NGX_OK) {
        return NGX_OK;
    }

    p = ngx_pnalloc(r->pool, raw.len + 1);
    if (p == NULL) {
        return NGX_ERROR;
    }

    len = raw.len;

    if (ngx_http_s3_uri_decode(p, &len, raw.data, raw.len) != NGX_OK) {
        ngx_memcpy(p, raw.data, raw.len);
        len = raw.len;
    }

    /* no header splitting through a query argument */

    if (ngx_strlchr(p, p + len, CR) || ngx_strlchr(p, p + len, LF)
        || ngx_strlchr(p, p + len, '\0'))
    {
        return NGX_OK;
    }

    value->data = p;
    value->len = len;

    return NGX_OK;
}


static ngx_int_t
ngx_http_s3_quote_etag(ngx_pool_t *pool, ngx_str_t *etag, ngx_str_t *quoted)
{
    u_char  *p;

    quoted->len = etag->len + 2;
    quoted->data = ngx_pnalloc(pool, quoted->len);
    if (quoted->data == NULL) {
        return NGX_ERROR;
    }

    p = quoted->data;
    *p++ = '"';
    p = ngx_cpymem(p, etag->data, etag->len);
    *p = '"';

    return NGX_OK;
}


/* DeleteObject: 204, also for a key that does not exist */

ngx_int_t
ngx_http_s3_delete_object(ngx_http_request_t *r)
{
    if (ngx_http_s3_version_arg(r) != NGX_OK) {
        return ngx_http_s3_send_error(r, NGX_HTTP_S3_ERR_INVALID_ARGUMENT,
                                      "Invalid version id specified");
    }

    return ngx_http_s3_meta_named(r, NGX_HTTP_S3_WIRE_OP_OBJECT_DELETE, 1,
                                  ngx_http_s3_delete_handler, r);
}


static void
ngx_http_s3_delete_handler(ngx_http_s3_meta_req_t *mr)
{
    ngx_int_t            rc;
    ngx_http_request_t  *r;

    r = mr->data;

    if (mr->status == NGX_HTTP_S3_WIRE_ST_OK
        || mr->status == NGX_HTTP_S3_WIRE_ST_NO_KEY)
    {
        rc = ngx_http_s3_send_empty(r, NGX_HTTP_NO_CONTENT);

    } else {
        rc = ngx_http_s3_send_error(r, ngx_http_s3_meta_error(mr->status),
                                    NULL);
    }

    ngx_http_s3_finalize(r, rc);
}


/* DeleteObjects: the keys are deleted by pipelined requests */

ngx_int_t
ngx_http_s3_delete_objects(ngx_http_request_t *r)
{
    ngx_int_t  rc;

    rc = ngx_http_s3_read_xml_body(r, ngx_http_s3_delete_objects_body);

    if (rc != NGX_OK) {
        return rc;
    }

    return NGX_DONE;
}


static void
ngx_http_s3_delete_objects_body(ngx_http_request_t *r, ngx_str_t *body)
{
    ngx_int_t                      rc;
    ngx_uint_t                     i, n, quiet;
    ngx_array_t                   *keys;
    ngx_http_s3_ctx_t             *ctx;
    ngx_http_s3_wbuf_t             b;
    ngx_http_s3_delete_t          *del;
    ngx_http_s3_delete_item_t     *items;
    ngx_http_s3_xml_delete_key_t  *k;

    ctx = ngx_http_s3_get_ctx(r);

    rc = ngx_http_s3_xml_parse_delete(r->pool, body->data, body->len,
                                      NGX_HTTP_S3_MAX_DELETE_KEYS, &keys,
                                      &quiet);

    if (rc != NGX_OK) {
        ngx_http_s3_finalize(r, ngx_http_s3_send_error(r,
                                 NGX_HTTP_S3_ERR_MALFORMED_XML,
                                 rc == NGX_DECLINED
                                 ? "The request must contain no more than "
                                   "1000 keys."
                                 : NULL));
        return;
    }

    n = keys->nelts;
    k = keys->elts;

    del = ngx_pcalloc(r->pool, sizeof(ngx_http_s3_delete_t));
    items = ngx_pcalloc(r->pool, n * sizeof(ngx_http_s3_delete_item_t));

    if (del == NULL || items == NULL) {
        goto failed;
    }

    del->errs = ngx_pcalloc(r->pool, n * sizeof(ngx_http_s3_err_e));
    del->msgs = ngx_pcalloc(r->pool, n * sizeof(const char *));

    if (del->errs == NULL || del->msgs == NULL) {
        goto failed;
    }

    del->request = r;
    del->keys = keys;
    del->quiet = quiet;
    del->status = NGX_HTTP_S3_WIRE_ST_OK;

    for (i = 0; i < n; i++) {

        if (k[i].key.len == 0) {
            del->errs[i] = NGX_HTTP_S3_ERR_INVALID_ARGUMENT;
            del->msgs[i] = "The key must not be empty.";
            continue;
        }

        rc = ngx_http_s3_valid_key(&k[i].key);

        if (rc == NGX_DECLINED) {
            del->errs[i] = NGX_HTTP_S3_ERR_KEY_TOO_LONG;
            continue;
        }

        if (rc != NGX_OK) {
            del->errs[i] = NGX_HTTP_S3_ERR_INVALID_ARGUMENT;
            del->msgs[i] = "Object key is not valid UTF-8";
            continue;
        }

        if (k[i].version.len
            && !(k[i].version.len == 4
                 && ngx_strncmp(k[i].version.data, "null", 4) == 0))
        {
            del->errs[i] = NGX_HTTP_S3_ERR_INVALID_ARGUMENT;
            del->msgs[i] = "Invalid version id specified";
            continue;
        }

        if (ngx_http_s3_wbuf_init(&b, r->pool, 16 + ctx->bucket.len
                                               + k[i].key.len)
            != NGX_OK)
        {
            goto failed;
        }

        ngx_http_s3_wire_put_str(&b, &ctx->bucket);
        ngx_http_s3_wire_put_str(&b, &k[i].key);

        items[i].del = del;
        items[i].index = i;

        if (ngx_http_s3_meta_call(r, NGX_HTTP_S3_WIRE_OP_OBJECT_DELETE, &b,
                                  ngx_http_s3_delete_objects_handler,
                                  &items[i])
            != NGX_OK)
        {
            items[i].del = NULL;
            del->errs[i] = NGX_HTTP_S3_ERR_INTERNAL;
            continue;
        }

        del->pending++;
    }

    ngx_log_debug2(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "s3 delete objects: %ui keys, %ui sent", n, del->pending);

    if (del->pending) {
        /* the last reply finalizes the request */
        return;
    }

    ngx_http_s3_finalize(r, ngx_http_s3_delete_objects_send(del));
    return;

failed:

    if (del && del->pending) {
        /* the replies still come: answer then, the rest failed */

        for (i = 0; i < n; i++) {
            if (items[i].del == NULL && del->errs[i] == NGX_HTTP_S3_OK) {
                del->errs[i] = NGX_HTTP_S3_ERR_INTERNAL;
            }
        }

        return;
    }

    ngx_http_s3_finalize(r, ngx_http_s3_send_error(r,
                                        NGX_HTTP_S3_ERR_INTERNAL, NULL));
}


static void
ngx_http_s3_delete_objects_handler(ngx_http_s3_meta_req_t *mr)
{
    ngx_http_s3_delete_t       *del;
    ngx_http_s3_delete_item_t  *item;

    item = mr->data;
    del = item->del;

    switch (mr->status) {

    case NGX_HTTP_S3_WIRE_ST_OK:
    case NGX_HTTP_S3_WIRE_ST_NO_KEY:
        break;

    case NGX_HTTP_S3_WIRE_ST_NO_BUCKET:
        del->status = mr->status;
        break;

    default:
        del->errs[item->index] = ngx_http_s3_meta_error(mr->status);
        break;
    }

    if (--del->pending) {
        return;
    }

    ngx_http_s3_finalize(del->request, ngx_http_s3_delete_objects_send(del));
}


static ngx_int_t
ngx_http_s3_delete_objects_send(ngx_http_s3_delete_t *del)
{
    const char                    *msg;
    ngx_uint_t                     i;
    ngx_chain_t                   *cl;
    ngx_http_s3_xml_t              w;
    ngx_http_s3_err_e              err;
    ngx_http_request_t            *r;
    ngx_http_s3_xml_delete_key_t  *k;

    r = del->request;

    if (del->status == NGX_HTTP_S3_WIRE_ST_NO_BUCKET) {
        return ngx_http_s3_send_error(r, NGX_HTTP_S3_ERR_NO_SUCH_BUCKET,
                                      NULL);
    }

    k = del->keys->elts;

    ngx_http_s3_xml_init(&w, r->pool);
    ngx_http_s3_xml_root(&w, "DeleteResult");

    for (i = 0; i < del->keys->nelts; i++) {
        err = del->errs[i];

        if (err == NGX_HTTP_S3_OK) {
            if (del->quiet) {
                continue;
            }

            ngx_http_s3_xml_open(&w, "Deleted");
            ngx_http_s3_xml_text(&w, "Key", k[i].key.data, k[i].key.len);

            if (k[i].version.len) {
                ngx_http_s3_xml_text(&w, "VersionId", k[i].version.data,
                                     k[i].version.len);
            }

            ngx_http_s3_xml_close(&w, "Deleted");
            continue;
        }

        msg = del->msgs[i];

        if (msg == NULL) {
            msg = "We encountered an internal error. Please try again.";

            switch (err) {

            case NGX_HTTP_S3_ERR_KEY_TOO_LONG:
                msg = "Your key is too long";
                break;

            case NGX_HTTP_S3_ERR_SERVICE_UNAVAILABLE:
                msg = "Service is unable to handle request.";
                break;

            default:
                break;
            }
        }

        ngx_http_s3_xml_open(&w, "Error");
        ngx_http_s3_xml_text(&w, "Key", k[i].key.data, k[i].key.len);

        if (k[i].version.len) {
            ngx_http_s3_xml_text(&w, "VersionId", k[i].version.data,
                                 k[i].version.len);
        }

        ngx_http_s3_xml_cstr(&w, "Code", ngx_http_s3_err_code(err));
        ngx_http_s3_xml_cstr(&w, "Message", msg);
        ngx_http_s3_xml_close(&w, "Error");
    }

    ngx_http_s3_xml_close(&w, "DeleteResult");

    cl = ngx_http_s3_xml_finish(&w);
    if (cl == NULL) {
        return ngx_http_s3_send_error(r, NGX_HTTP_S3_ERR_INTERNAL, NULL);
    }

    return ngx_http_s3_send_xml(r, NGX_HTTP_OK, cl);
}
