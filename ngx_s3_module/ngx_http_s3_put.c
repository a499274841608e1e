
/*
 * Copyright (C) ngx_s3 authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_s3.h"
#include "ngx_http_s3_ops.h"
#include "ngx_http_s3_tags.h"


/*
 * PutObject: the body is streamed to a new body file while it is hashed
 * (the body reader), made durable by the s3_fsync policy, and then its
 * record is committed by the metadata process, which also decides the
 * conditional writes.
 */


typedef struct {
    ngx_http_s3_body_t         body;
    ngx_http_request_t        *request;
    ngx_http_s3_store_file_t   file;
    ngx_http_s3_object_t       object;
    ngx_http_s3_write_cond_t   cond;
    u_char                     etag[2 + 32];
} ngx_http_s3_put_t;


static ngx_int_t ngx_http_s3_content_encoding(ngx_pool_t *pool,
    ngx_str_t *value);
static void ngx_http_s3_put_bucket_handler(ngx_http_s3_meta_req_t *mr);
static ngx_int_t ngx_http_s3_put_start(ngx_http_s3_put_t *put);
static ngx_int_t ngx_http_s3_put_write(ngx_http_s3_body_t *bd, u_char *p,
    size_t len);
static void ngx_http_s3_put_fail(ngx_http_s3_body_t *bd);
static void ngx_http_s3_put_done(ngx_http_s3_body_t *bd);
static void ngx_http_s3_put_commit(void *data, ngx_int_t rc);
static void ngx_http_s3_put_handler(ngx_http_s3_meta_req_t *mr);


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

    message = NULL;

    err = ngx_http_s3_put_headers(r, &put->object, &message);

    if (err == NGX_HTTP_S3_OK) {
        err = ngx_http_s3_lock_checksum(r, &put->object, &message);
    }

    ngx_http_s3_write_conditions(r, &put->cond);

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
    off_t                     len;
    ngx_int_t                 rc;
    ngx_http_request_t       *r;
    ngx_http_s3_main_conf_t  *smcf;

    r = put->request;
    smcf = ngx_http_get_module_main_conf(r, ngx_http_s3_module);

    /*
     * a body whose length is known and at most s3_inline_max goes into
     * the database with its record: no file
     */

    if (put->body.chunked) {
        len = put->body.decoded_length;

    } else if (r->headers_in.chunked) {
        len = -1;

    } else {
        len = r->headers_in.content_length_n;
    }

    if (len >= 0 && len <= (off_t) smcf->inline_max && smcf->inline_max) {
        rc = ngx_http_s3_store_create_inline(r, &put->file, (size_t) len);

    } else {
        rc = ngx_http_s3_store_create(r, &put->file);
    }

    if (rc != NGX_OK) {
        return ngx_http_s3_send_error(r, ngx_http_s3_store_error(&put->file),
                                      NULL);
    }

    return ngx_http_s3_body_read(&put->body);
}


/*
 * Content headers and user metadata go into the record; headers asking
 * for what is not implemented are refused, never ignored.
 */

ngx_http_s3_err_e
ngx_http_s3_put_headers(ngx_http_request_t *r, ngx_http_s3_object_t *o,
    const char **message)
{
    size_t                 size;
    u_char                *p;
    ngx_uint_t             i, j;
    ngx_list_part_t       *part;
    ngx_table_elt_t       *h;
    ngx_http_s3_pair_t    *pair, *pairs;

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

            switch (ngx_http_s3_tags_parse_header(r->pool, &h[i].value,
                                                  &o->tags, message))
            {
            case NGX_OK:
                break;

            case NGX_DECLINED:
                return NGX_HTTP_S3_ERR_INVALID_TAG;

            case NGX_ABORT:
                return NGX_HTTP_S3_ERR_INVALID_ARGUMENT;

            default:
                return NGX_HTTP_S3_ERR_INTERNAL;
            }

        } else if (ngx_http_s3_header_is(&h[i],
                                         "x-amz-website-redirect-location"))
        {
            *message = "Website redirects are not implemented.";
            return NGX_HTTP_S3_ERR_NOT_IMPLEMENTED;

        } else if (ngx_http_s3_header_prefix(&h[i], "x-amz-grant-")) {
            /* permissions are the bucket's (ngx_http_s3_access.c) */
            return NGX_HTTP_S3_ERR_ACL_NOT_SUPPORTED;

        } else if (ngx_http_s3_header_is(&h[i], "x-amz-acl")) {

            if (!ngx_http_s3_access_object_acl_noop(&h[i].value)) {
                return NGX_HTTP_S3_ERR_ACL_NOT_SUPPORTED;
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

    /* x-amz-object-lock-* (ngx_http_s3_lock.c) */

    return ngx_http_s3_lock_headers(r, o, message);
}


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
 * If-Match and If-None-Match of a write ("*" or entity tags), decided
 * by the metadata process against the current object in the same step
 * as the commit
 */

void
ngx_http_s3_write_conditions(ngx_http_request_t *r,
    ngx_http_s3_write_cond_t *wc)
{
    ngx_memzero(wc, sizeof(ngx_http_s3_write_cond_t));

    if (r->headers_in.if_match) {
        wc->cond |= NGX_HTTP_S3_WIRE_COND_IF_MATCH;
        wc->match = r->headers_in.if_match->value;
    }

    if (r->headers_in.if_none_match) {
        wc->cond |= NGX_HTTP_S3_WIRE_COND_IF_NONE_LIST;
        wc->none_match = r->headers_in.if_none_match->value;
    }
}


static ngx_int_t
ngx_http_s3_put_write(ngx_http_s3_body_t *bd, u_char *p, size_t len)
{
    ngx_http_s3_put_t  *put;

    put = bd->data;

    if (ngx_http_s3_store_write(&put->file, p, len) != NGX_OK) {
        bd->err = ngx_http_s3_store_error(&put->file);
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

    ngx_http_s3_store_discard(&put->file);
}


static void
ngx_http_s3_put_done(ngx_http_s3_body_t *bd)
{
    ngx_int_t           rc;
    ngx_http_s3_put_t  *put;

    put = bd->data;

    rc = ngx_http_s3_store_close(put->request, &put->file,
                                 ngx_http_s3_put_commit, put);

    if (rc != NGX_AGAIN) {
        ngx_http_s3_put_commit(put, rc);
    }
}


/* the body is durable (or failed): its record is committed */

static void
ngx_http_s3_put_commit(void *data, ngx_int_t rc)
{
    ngx_http_s3_put_t *put = data;

    size_t                    size;
    ngx_str_t                 rec, inl;
    ngx_time_t               *tp;
    ngx_http_s3_ctx_t        *ctx;
    ngx_http_s3_err_e         err;
    ngx_http_s3_body_t       *bd;
    ngx_http_request_t       *r;
    ngx_http_s3_wbuf_t        b, rb;
    ngx_http_s3_object_t     *o;

    bd = &put->body;
    r = put->request;
    ctx = ngx_http_s3_get_ctx(r);

    err = NGX_HTTP_S3_ERR_INTERNAL;

    if (rc != NGX_OK) {
        err = ngx_http_s3_store_error(&put->file);
        goto failed;
    }

    tp = ngx_timeofday();

    o = &put->object;

    o->size = (uint64_t) bd->received;
    ctx->object_size = bd->received;
    o->mtime = (uint64_t) tp->sec * 1000 + tp->msec;
    o->body = put->file.id;
    ngx_str_set(&o->version, "null");

    if (put->file.mem) {
        o->flags |= NGX_HTTP_S3_OBJECT_INLINE;

        inl.data = put->file.mem->pos;
        inl.len = put->file.mem->last - put->file.mem->pos;

        if (inl.len != o->size) {
            ngx_log_error(NGX_LOG_ALERT, r->connection->log, 0,
                          "s3 inline body of %uz bytes, %uL received",
                          inl.len, o->size);
            goto failed;
        }

    } else {
        ngx_str_null(&inl);
    }

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
                                           + put->cond.match.len
                                           + put->cond.none_match.len
                                           + inl.len)
        != NGX_OK)
    {
        goto failed;
    }

    ngx_http_s3_wire_put_str(&b, &ctx->bucket);
    ngx_http_s3_wire_put_str(&b, &ctx->key);
    ngx_http_s3_wire_put_str(&b, &rec);
    ngx_http_s3_wire_put_cond(&b, &put->cond);

    if (put->file.mem) {
        ngx_http_s3_wire_put_str(&b, &inl);
    }

    if (ngx_http_s3_meta_call(r, NGX_HTTP_S3_WIRE_OP_OBJECT_PUT, &b,
                              ngx_http_s3_put_handler, put)
        != NGX_OK)
    {
        goto failed;
    }

    /* the handler finalizes the request */

    return;

failed:

    /* the body file goes with the request: no record names it */

    ngx_http_s3_finalize(r, ngx_http_s3_send_error(r, err, NULL));
}


static void
ngx_http_s3_put_handler(ngx_http_s3_meta_req_t *mr)
{
    ngx_int_t            rc;
    ngx_str_t            etag, version;
    ngx_http_s3_rbuf_t   rb;
    ngx_http_s3_put_t   *put;
    ngx_http_s3_ctx_t   *ctx;
    ngx_http_request_t  *r;

    put = mr->data;
    r = put->request;
    ctx = ngx_http_s3_get_ctx(r);

    switch (mr->status) {

    case NGX_HTTP_S3_WIRE_ST_OK:

        put->file.keep = 1;

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
                                        NGX_HTTP_S3_CHECKSUM_FULL_OBJECT,
                                        &put->object.checksum, 0)
               != NGX_OK)
        {
            rc = NGX_ERROR;
            break;
        }

        /* the version made, in a bucket that has versioning */

        ngx_http_s3_rbuf_init(&rb, &mr->reply);
        ngx_http_s3_wire_get_str(&rb, &version);

        if (!rb.error && version.len
            && ngx_http_s3_push_header(r, "x-amz-version-id", &version)
               == NULL)
        {
            rc = NGX_ERROR;
            break;
        }

        rc = ngx_http_s3_send_empty(r, NGX_HTTP_OK);
        break;

    case NGX_HTTP_S3_WIRE_ST_UNAVAILABLE:
    case NGX_HTTP_S3_WIRE_ST_ERROR:

        /*
         * the commit may have happened: keep the body file.  On ST_ERROR
         * the metadata process unlinks it once it sees that no record
         * names it; after a timeout it may be left as an orphan.
         */

        put->file.keep = 1;

        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "s3 put \"%V/%V\": metadata %s, body \"%V\" kept",
                      &ctx->bucket, &ctx->key,
                      ngx_http_s3_meta_status_text(mr->status),
                      &put->file.id);

        rc = ngx_http_s3_send_error(r, ngx_http_s3_meta_error(mr->status),
                                    NULL);
        break;

    case NGX_HTTP_S3_WIRE_ST_PRECONDITION:
        rc = ngx_http_s3_send_error_extra(r,
                 NGX_HTTP_S3_ERR_PRECONDITION_FAILED, NULL, NULL, 0);
        break;

    default:
        rc = ngx_http_s3_send_error(r, ngx_http_s3_meta_error(mr->status),
                                    ngx_http_s3_meta_message(mr->status));
        break;
    }

    ngx_http_s3_finalize(r, rc);
}
