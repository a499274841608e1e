
/*
 * Copyright (C) ngx_s3 authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_s3.h"
#include "ngx_http_s3_ops.h"
#include "ngx_http_s3_multipart.h"


/*
 * Multipart uploads, the worker side: CreateMultipartUpload, UploadPart
 * (streamed like PutObject: the body reader and a body file of its own),
 * CompleteMultipartUpload (decided by the metadata process, which makes
 * the object's extents of the parts' bodies: no byte is copied),
 * AbortMultipartUpload (ListParts and ListMultipartUploads: multipart_list.c).
 */


static ngx_http_s3_err_e ngx_http_s3_mpu_checksum_args(ngx_http_request_t *r,
    ngx_http_s3_object_t *o, const char **message);
static void ngx_http_s3_create_handler(ngx_http_s3_meta_req_t *mr);

static void ngx_http_s3_part_upload_handler(ngx_http_s3_meta_req_t *mr);
static ngx_http_s3_err_e ngx_http_s3_part_checksum(ngx_http_s3_mpu_t *mpu,
    ngx_http_s3_object_t *u, const char **message);
static ngx_int_t ngx_http_s3_part_write(ngx_http_s3_body_t *bd, u_char *p,
    size_t len);
static void ngx_http_s3_part_fail(ngx_http_s3_body_t *bd);
static void ngx_http_s3_part_done(ngx_http_s3_body_t *bd);
static void ngx_http_s3_part_commit(void *data, ngx_int_t rc);
static void ngx_http_s3_part_handler(ngx_http_s3_meta_req_t *mr);

static ngx_http_s3_err_e ngx_http_s3_complete_checksum(
    ngx_http_s3_mpu_t *mpu, const char **message);
static void ngx_http_s3_complete_body(ngx_http_request_t *r,
    ngx_str_t *body);
static ngx_array_t *ngx_http_s3_complete_parts(ngx_http_request_t *r,
    ngx_array_t *xparts, ngx_int_t *rc);
static void ngx_http_s3_complete_handler(ngx_http_s3_meta_req_t *mr);
static ngx_int_t ngx_http_s3_complete_send(ngx_http_s3_mpu_t *mpu,
    ngx_str_t *rec);
static ngx_int_t ngx_http_s3_complete_error(ngx_http_s3_mpu_t *mpu,
    ngx_http_s3_meta_req_t *mr);

static void ngx_http_s3_abort_handler(ngx_http_s3_meta_req_t *mr);


/* CreateMultipartUpload */

ngx_int_t
ngx_http_s3_create_multipart_upload(ngx_http_request_t *r)
{
    u_char                *p;
    size_t                 size;
    ngx_int_t              rc;
    ngx_str_t              rec;
    ngx_time_t            *tp;
    const char            *message;
    ngx_http_s3_mpu_t     *mpu;
    ngx_http_s3_ctx_t     *ctx;
    ngx_http_s3_err_e      err;
    ngx_http_s3_wbuf_t     b, rb;
    ngx_http_s3_object_t  *o;

    ctx = ngx_http_s3_get_ctx(r);

    rc = ngx_http_discard_request_body(r);

    if (rc != NGX_OK) {
        return rc;
    }

    mpu = ngx_http_s3_mpu_create(r);
    if (mpu == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    o = &mpu->object;
    message = NULL;

    err = ngx_http_s3_put_headers(r, o, &message);

    if (err == NGX_HTTP_S3_OK) {
        err = ngx_http_s3_mpu_checksum_args(r, o, &message);
    }

    if (err != NGX_HTTP_S3_OK) {
        return ngx_http_s3_send_error(r, err, message);
    }

    /* an id that sorts uploads of a key by initiation: ms, then random */

    tp = ngx_timeofday();

    o->mtime = (uint64_t) tp->sec * 1000 + tp->msec;
    o->owner = ctx->auth.access_key;

    p = ngx_pnalloc(r->pool, NGX_HTTP_S3_BODY_ID_LEN);
    if (p == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    (void) ngx_sprintf(p, "%016uxL", o->mtime);

    if (ngx_http_s3_random_hex(p + 16, 8) != NGX_OK) {
        return ngx_http_s3_send_error(r, NGX_HTTP_S3_ERR_INTERNAL, NULL);
    }

    mpu->upload_id.data = p;
    mpu->upload_id.len = NGX_HTTP_S3_BODY_ID_LEN;

    size = 256 + o->content_type.len + o->content_encoding.len
           + o->content_disposition.len + o->content_language.len
           + o->cache_control.len + o->expires.len + o->owner.len
           + o->tagging.len + NGX_HTTP_S3_MAX_META_SIZE
           + 8 * o->meta->nelts;

    if (ngx_http_s3_wbuf_init(&rb, r->pool, size) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ngx_http_s3_object_encode(&rb, o);

    rec.data = rb.start;
    rec.len = rb.pos - rb.start;

    if (rb.error || ngx_http_s3_mpu_id(mpu, &b, rec.len) != NGX_OK) {
        return ngx_http_s3_send_error(r, NGX_HTTP_S3_ERR_INTERNAL, NULL);
    }

    ngx_http_s3_wire_put_str(&b, &rec);

    return ngx_http_s3_mpu_call(mpu, NGX_HTTP_S3_WIRE_OP_UPLOAD_CREATE, &b,
                                ngx_http_s3_create_handler);
}


/*
 * x-amz-checksum-algorithm and x-amz-checksum-type: the checksum the
 * parts must carry and how the object's is made of theirs
 */

static ngx_http_s3_err_e
ngx_http_s3_mpu_checksum_args(ngx_http_request_t *r, ngx_http_s3_object_t *o,
    const char **message)
{
    u_char           *name;
    ngx_uint_t        alg, type;
    ngx_table_elt_t  *ha, *ht;

    ha = ngx_http_s3_header_in(r, "x-amz-checksum-algorithm");
    ht = ngx_http_s3_header_in(r, "x-amz-checksum-type");

    type = NGX_HTTP_S3_WIRE_NO_TYPE;

    if (ht) {
        if (ht->value.len == sizeof("COMPOSITE") - 1
            && ngx_strncasecmp(ht->value.data, (u_char *) "COMPOSITE",
                               ht->value.len) == 0)
        {
            type = NGX_HTTP_S3_CHECKSUM_COMPOSITE;

        } else if (ht->value.len == sizeof("FULL_OBJECT") - 1
                   && ngx_strncasecmp(ht->value.data,
                                      (u_char *) "FULL_OBJECT",
                                      ht->value.len) == 0)
        {
            type = NGX_HTTP_S3_CHECKSUM_FULL_OBJECT;

        } else {
            *message = "Value for x-amz-checksum-type header is invalid.";
            return NGX_HTTP_S3_ERR_INVALID_REQUEST;
        }
    }

    if (ha == NULL) {
        if (ht) {
            *message = "The x-amz-checksum-type header can only be used "
                       "with the x-amz-checksum-algorithm header.";
            return NGX_HTTP_S3_ERR_INVALID_REQUEST;
        }

        return NGX_HTTP_S3_OK;
    }

    if (ngx_strlchr(ha->value.data, ha->value.data + ha->value.len, ',')) {
        *message = "Invalid types are specified in x-amz-checksum-algorithm "
                   "header.";
        return NGX_HTTP_S3_ERR_INVALID_REQUEST;
    }

    alg = ngx_http_s3_checksum_by_name(ha->value.data, ha->value.len);

    if (alg == NGX_HTTP_S3_CHECKSUM_NONE) {
        *message = "Checksum algorithm provided is unsupported. Please try "
                   "again with any of the valid types: [CRC32, CRC32C, "
                   "CRC64NVME, SHA1, SHA256]";
        return NGX_HTTP_S3_ERR_INVALID_REQUEST;
    }

    /* CRCs combine into a full object checksum, digests do not */

    if (type == NGX_HTTP_S3_WIRE_NO_TYPE) {
        type = (alg == NGX_HTTP_S3_CHECKSUM_CRC64NVME)
               ? NGX_HTTP_S3_CHECKSUM_FULL_OBJECT
               : NGX_HTTP_S3_CHECKSUM_COMPOSITE;
    }

    if ((type == NGX_HTTP_S3_CHECKSUM_FULL_OBJECT
         && (alg == NGX_HTTP_S3_CHECKSUM_SHA1
             || alg == NGX_HTTP_S3_CHECKSUM_SHA256))
        || (type == NGX_HTTP_S3_CHECKSUM_COMPOSITE
            && alg == NGX_HTTP_S3_CHECKSUM_CRC64NVME))
    {
        name = ngx_http_s3_mpu_lower(r->pool, ngx_http_s3_checksum_name(alg));

        *message = ngx_http_s3_mpu_message(r,
                       "The %s checksum type cannot be used with the %s "
                       "checksum algorithm.",
                       (type == NGX_HTTP_S3_CHECKSUM_COMPOSITE)
                       ? "COMPOSITE" : "FULL_OBJECT",
                       name ? (char *) name : "");
        return NGX_HTTP_S3_ERR_INVALID_REQUEST;
    }

    o->checksum_alg = alg;
    o->checksum_type = type;

    return NGX_HTTP_S3_OK;
}


static void
ngx_http_s3_create_handler(ngx_http_s3_meta_req_t *mr)
{
    ngx_int_t             rc;
    ngx_str_t             v;
    ngx_chain_t          *cl;
    ngx_http_s3_mpu_t    *mpu;
    ngx_http_s3_ctx_t    *ctx;
    ngx_http_s3_xml_t     w;
    ngx_http_request_t   *r;

    mpu = mr->data;
    r = mpu->request;
    ctx = ngx_http_s3_get_ctx(r);

    if (mr->status != NGX_HTTP_S3_WIRE_ST_OK) {
        rc = ngx_http_s3_send_error(r, ngx_http_s3_meta_error(mr->status),
                                    NULL);
        goto done;
    }

    if (mpu->object.checksum_alg != NGX_HTTP_S3_CHECKSUM_NONE) {
        v = *ngx_http_s3_checksum_name(mpu->object.checksum_alg);

        if (ngx_http_s3_add_header(r, "x-amz-checksum-algorithm", &v)
            != NGX_OK)
        {
            rc = NGX_ERROR;
            goto done;
        }

        if (mpu->object.checksum_type == NGX_HTTP_S3_CHECKSUM_COMPOSITE) {
            ngx_str_set(&v, "COMPOSITE");

        } else {
            ngx_str_set(&v, "FULL_OBJECT");
        }

        if (ngx_http_s3_add_header(r, "x-amz-checksum-type", &v) != NGX_OK) {
            rc = NGX_ERROR;
            goto done;
        }
    }

    ngx_http_s3_xml_init(&w, r->pool);
    ngx_http_s3_xml_root(&w, "InitiateMultipartUploadResult");
    ngx_http_s3_xml_text(&w, "Bucket", ctx->bucket.data, ctx->bucket.len);
    ngx_http_s3_xml_text(&w, "Key", ctx->key.data, ctx->key.len);
    ngx_http_s3_xml_text(&w, "UploadId", mpu->upload_id.data,
                         mpu->upload_id.len);
    ngx_http_s3_xml_close(&w, "InitiateMultipartUploadResult");

    cl = ngx_http_s3_xml_finish(&w);

    if (cl == NULL) {
        rc = ngx_http_s3_send_error(r, NGX_HTTP_S3_ERR_INTERNAL, NULL);
        goto done;
    }

    rc = ngx_http_s3_send_xml(r, NGX_HTTP_OK, cl);

done:

    ngx_http_s3_finalize(r, rc);
}


/* UploadPart */

ngx_int_t
ngx_http_s3_upload_part(ngx_http_request_t *r)
{
    ngx_int_t             n;
    ngx_str_t             v;
    ngx_http_s3_ctx_t    *ctx;
    ngx_http_s3_err_e     err;
    ngx_http_s3_mpu_t    *mpu;
    ngx_http_s3_wbuf_t    b;

    ctx = ngx_http_s3_get_ctx(r);

    n = NGX_ERROR;

    if (ngx_http_s3_arg(r, "partNumber", &v) == NGX_OK) {
        n = ngx_atoi(v.data, v.len);
    }

    if (n < 1 || n > NGX_HTTP_S3_MAX_PARTS) {
        return ngx_http_s3_send_error(r, NGX_HTTP_S3_ERR_INVALID_ARGUMENT,
                                      "Part number must be an integer "
                                      "between 1 and 10000, inclusive");
    }

    if (r->headers_in.content_length_n < 0 && !r->headers_in.chunked) {
        return ngx_http_s3_send_error(r,
                                      NGX_HTTP_S3_ERR_MISSING_CONTENT_LENGTH,
                                      NULL);
    }

    if (ctx->auth.payload != NGX_HTTP_S3_PAYLOAD_STREAMING
        && r->headers_in.content_length_n > NGX_HTTP_S3_MAX_OBJECT_SIZE)
    {
        return ngx_http_s3_send_error(r, NGX_HTTP_S3_ERR_ENTITY_TOO_LARGE,
                                      NULL);
    }

    mpu = ngx_http_s3_mpu_create(r);
    if (mpu == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    mpu->part = (ngx_uint_t) n;

    mpu->body.max = NGX_HTTP_S3_MAX_OBJECT_SIZE;
    mpu->body.data_handler = ngx_http_s3_part_write;
    mpu->body.done_handler = ngx_http_s3_part_done;
    mpu->body.fail_handler = ngx_http_s3_part_fail;
    mpu->body.data = mpu;

    err = ngx_http_s3_body_init(r, &mpu->body);

    if (err != NGX_HTTP_S3_OK) {
        return ngx_http_s3_send_error(r, err, mpu->body.message);
    }

    /* the upload first: its checksum algorithm, and no body read for none */

    if (ngx_http_s3_mpu_id(mpu, &b, 0) != NGX_OK) {
        return ngx_http_s3_send_error(r, NGX_HTTP_S3_ERR_INTERNAL, NULL);
    }

    return ngx_http_s3_mpu_call(mpu, NGX_HTTP_S3_WIRE_OP_UPLOAD_GET, &b,
                                ngx_http_s3_part_upload_handler);
}


static void
ngx_http_s3_part_upload_handler(ngx_http_s3_meta_req_t *mr)
{
    ngx_int_t              rc;
    const char            *message;
    ngx_http_s3_mpu_t     *mpu;
    ngx_http_s3_err_e      err;
    ngx_http_request_t    *r;
    ngx_http_s3_object_t   u;

    mpu = mr->data;
    r = mpu->request;

    if (mr->status != NGX_HTTP_S3_WIRE_ST_OK) {
        rc = ngx_http_s3_send_error(r, ngx_http_s3_meta_error(mr->status),
                                    NULL);
        goto done;
    }

    if (ngx_http_s3_object_decode(&mr->reply, &u, NULL) != NGX_OK) {
        ngx_log_error(NGX_LOG_ALERT, r->connection->log, 0,
                      "s3 upload \"%V\": bad record", &mpu->upload_id);
        rc = ngx_http_s3_send_error(r, NGX_HTTP_S3_ERR_INTERNAL, NULL);
        goto done;
    }

    message = NULL;
    err = ngx_http_s3_lock_part_checksum(r, &u, &message);

    if (err == NGX_HTTP_S3_OK) {
        err = ngx_http_s3_part_checksum(mpu, &u, &message);
    }

    if (err != NGX_HTTP_S3_OK) {
        rc = ngx_http_s3_send_error(r, err, message);
        goto done;
    }

    if (ngx_http_s3_store_create(r, &mpu->file) != NGX_OK) {
        rc = ngx_http_s3_send_error(r, ngx_http_s3_store_error(&mpu->file),
                                    NULL);
        goto done;
    }

    rc = ngx_http_s3_body_read(&mpu->body);

    if (rc == NGX_OK) {
        /* the body reader holds the request now */
        rc = NGX_DONE;
    }

done:

    ngx_http_s3_finalize(r, rc);
}


/*
 * The part's checksum against the upload's algorithm: another one is
 * refused; none is refused for a COMPOSITE upload (its checksum is made
 * of the parts' ones, as the client knows them) and computed here for a
 * FULL_OBJECT one, as S3 does
 */

static ngx_http_s3_err_e
ngx_http_s3_part_checksum(ngx_http_s3_mpu_t *mpu, ngx_http_s3_object_t *u,
    const char **message)
{
    u_char              *want, *got;
    ngx_http_s3_body_t  *bd;
    ngx_http_request_t  *r;

    r = mpu->request;
    bd = &mpu->body;

    if (u->checksum_alg == NGX_HTTP_S3_CHECKSUM_NONE
        || u->checksum_alg == bd->checksum.alg)
    {
        return NGX_HTTP_S3_OK;
    }

    if (bd->checksum.alg == NGX_HTTP_S3_CHECKSUM_NONE
        && u->checksum_type == NGX_HTTP_S3_CHECKSUM_FULL_OBJECT)
    {
        if (ngx_http_s3_checksum_init(&bd->checksum, r->pool,
                                      u->checksum_alg)
            != NGX_OK)
        {
            return NGX_HTTP_S3_ERR_INTERNAL;
        }

        return NGX_HTTP_S3_OK;
    }

    want = ngx_http_s3_mpu_lower(r->pool,
                                 ngx_http_s3_checksum_name(u->checksum_alg));
    got = (bd->checksum.alg == NGX_HTTP_S3_CHECKSUM_NONE)
          ? (u_char *) "null"
          : ngx_http_s3_mpu_lower(r->pool,
                                  ngx_http_s3_checksum_name(bd->checksum.alg));

    *message = ngx_http_s3_mpu_message(r,
                   "Checksum Type mismatch occurred, expected checksum "
                   "Type: %s, actual checksum Type: %s",
                   want ? (char *) want : "", got ? (char *) got : "");

    return NGX_HTTP_S3_ERR_INVALID_REQUEST;
}


static ngx_int_t
ngx_http_s3_part_write(ngx_http_s3_body_t *bd, u_char *p, size_t len)
{
    ngx_http_s3_mpu_t  *mpu;

    mpu = bd->data;

    if (ngx_http_s3_store_write(&mpu->file, p, len) != NGX_OK) {
        bd->err = ngx_http_s3_store_error(&mpu->file);
        return NGX_ERROR;
    }

    return NGX_OK;
}


static void
ngx_http_s3_part_fail(ngx_http_s3_body_t *bd)
{
    ngx_http_s3_mpu_t  *mpu;

    mpu = bd->data;

    ngx_http_s3_store_discard(&mpu->file);
}


static void
ngx_http_s3_part_done(ngx_http_s3_body_t *bd)
{
    ngx_int_t           rc;
    ngx_http_s3_mpu_t  *mpu;

    mpu = bd->data;

    rc = ngx_http_s3_store_close(mpu->request, &mpu->file,
                                 ngx_http_s3_part_commit, mpu);

    if (rc != NGX_AGAIN) {
        ngx_http_s3_part_commit(mpu, rc);
    }
}


static void
ngx_http_s3_part_commit(void *data, ngx_int_t rc)
{
    ngx_http_s3_mpu_t *mpu = data;

    ngx_str_t              rec;
    ngx_time_t            *tp;
    ngx_http_s3_err_e      err;
    ngx_http_s3_body_t    *bd;
    ngx_http_request_t    *r;
    ngx_http_s3_wbuf_t     b, rb;
    ngx_http_s3_object_t  *o;

    bd = &mpu->body;
    r = mpu->request;

    err = NGX_HTTP_S3_ERR_INTERNAL;

    if (rc != NGX_OK) {
        err = ngx_http_s3_store_error(&mpu->file);
        goto failed;
    }

    tp = ngx_timeofday();

    o = &mpu->object;

    o->size = (uint64_t) bd->received;
    o->mtime = (uint64_t) tp->sec * 1000 + tp->msec;
    o->body = mpu->file.id;

    ngx_http_s3_get_ctx(r)->object_size = bd->received;

    o->etag.data = mpu->etag;
    o->etag.len = 32;
    ngx_hex_dump(mpu->etag, bd->md5_sum, 16);

    if (bd->checksum.alg != NGX_HTTP_S3_CHECKSUM_NONE) {
        o->checksum_alg = bd->checksum.alg;
        o->checksum_type = NGX_HTTP_S3_CHECKSUM_FULL_OBJECT;
        o->checksum.data = bd->checksum_sum;
        o->checksum.len = ngx_http_s3_checksum_size(bd->checksum.alg);
    }

    if (ngx_http_s3_wbuf_init(&rb, r->pool, 256) != NGX_OK) {
        goto failed;
    }

    ngx_http_s3_object_encode(&rb, o);

    rec.data = rb.start;
    rec.len = rb.pos - rb.start;

    if (rb.error || ngx_http_s3_mpu_id(mpu, &b, 8 + rec.len) != NGX_OK) {
        goto failed;
    }

    ngx_http_s3_wire_put_u32(&b, (uint32_t) mpu->part);
    ngx_http_s3_wire_put_str(&b, &rec);

    if (ngx_http_s3_meta_call(r, NGX_HTTP_S3_WIRE_OP_PART_PUT, &b,
                              ngx_http_s3_part_handler, mpu)
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
ngx_http_s3_part_handler(ngx_http_s3_meta_req_t *mr)
{
    ngx_int_t            rc;
    ngx_str_t            etag;
    ngx_http_s3_mpu_t   *mpu;
    ngx_http_s3_ctx_t   *ctx;
    ngx_http_request_t  *r;

    mpu = mr->data;
    r = mpu->request;
    ctx = ngx_http_s3_get_ctx(r);

    switch (mr->status) {

    case NGX_HTTP_S3_WIRE_ST_OK:

        mpu->file.keep = 1;

        etag.len = 2 + 32;
        etag.data = ngx_pnalloc(r->pool, etag.len);
        if (etag.data == NULL) {
            rc = NGX_ERROR;
            break;
        }

        etag.data[0] = '"';
        ngx_memcpy(etag.data + 1, mpu->etag, 32);
        etag.data[33] = '"';

        if (ngx_http_s3_add_header(r, "ETag", &etag) != NGX_OK) {
            rc = NGX_ERROR;
            break;
        }

        if (mpu->object.checksum_alg != NGX_HTTP_S3_CHECKSUM_NONE
            && ngx_http_s3_checksum_out(r, mpu->object.checksum_alg,
                                        NGX_HTTP_S3_WIRE_NO_TYPE,
                                        &mpu->object.checksum, 0)
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
         * the commit may have happened: the body stays; on ST_ERROR the
         * metadata process unlinks it once it sees no record names it
         */

        mpu->file.keep = 1;

        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "s3 upload part \"%V/%V\" %ui: metadata %s, body "
                      "\"%s\" kept", &ctx->bucket, &ctx->key, mpu->part,
                      ngx_http_s3_meta_status_text(mr->status),
                      mpu->file.file.name.data);

        rc = ngx_http_s3_send_error(r, ngx_http_s3_meta_error(mr->status),
                                    NULL);
        break;

    default:
        /* aborted meanwhile, say: the body goes with the request */
        rc = ngx_http_s3_send_error(r, ngx_http_s3_meta_error(mr->status),
                                    NULL);
        break;
    }

    ngx_http_s3_finalize(r, rc);
}


/* CompleteMultipartUpload */

ngx_int_t
ngx_http_s3_complete_multipart_upload(ngx_http_request_t *r)
{
    ngx_int_t           rc;
    const char         *message;
    ngx_http_s3_mpu_t  *mpu;
    ngx_http_s3_err_e   err;

    mpu = ngx_http_s3_mpu_create(r);
    if (mpu == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    message = NULL;

    ngx_http_s3_write_conditions(r, &mpu->cond);

    err = ngx_http_s3_complete_checksum(mpu, &message);

    if (err != NGX_HTTP_S3_OK) {
        return ngx_http_s3_send_error(r, err, message);
    }

    ngx_http_s3_get_ctx(r)->op_ctx = mpu;

    rc = ngx_http_s3_read_xml_body(r, ngx_http_s3_complete_body, 1);

    if (rc != NGX_OK) {
        return rc;
    }

    return NGX_DONE;
}


/*
 * x-amz-checksum-<alg>: the object's checksum as the client computed it
 * (a COMPOSITE one may end in "-N"); x-amz-checksum-type: the upload's
 */

static ngx_http_s3_err_e
ngx_http_s3_complete_checksum(ngx_http_s3_mpu_t *mpu, const char **message)
{
    u_char              *dash;
    ngx_int_t            n;
    ngx_str_t            v;
    ngx_uint_t           i, alg;
    ngx_list_part_t     *part;
    ngx_table_elt_t     *h, *value;
    ngx_http_request_t  *r;

    r = mpu->request;

    mpu->type = NGX_HTTP_S3_WIRE_NO_TYPE;

    h = ngx_http_s3_header_in(r, "x-amz-checksum-type");

    if (h) {
        if (h->value.len == sizeof("COMPOSITE") - 1
            && ngx_strncasecmp(h->value.data, (u_char *) "COMPOSITE",
                               h->value.len) == 0)
        {
            mpu->type = NGX_HTTP_S3_CHECKSUM_COMPOSITE;

        } else if (h->value.len == sizeof("FULL_OBJECT") - 1
                   && ngx_strncasecmp(h->value.data,
                                      (u_char *) "FULL_OBJECT",
                                      h->value.len) == 0)
        {
            mpu->type = NGX_HTTP_S3_CHECKSUM_FULL_OBJECT;

        } else {
            *message = "Value for x-amz-checksum-type header is invalid.";
            return NGX_HTTP_S3_ERR_INVALID_REQUEST;
        }
    }

    value = NULL;
    alg = NGX_HTTP_S3_CHECKSUM_NONE;

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

        n = ngx_http_s3_checksum_by_header(h[i].key.data, h[i].key.len);

        if (n == NGX_HTTP_S3_CHECKSUM_NONE) {
            continue;
        }

        if (value) {
            *message = "Expecting a single x-amz-checksum- header. Multiple "
                       "checksum Types are not allowed.";
            return NGX_HTTP_S3_ERR_INVALID_REQUEST;
        }

        value = &h[i];
        alg = (ngx_uint_t) n;
    }

    if (value == NULL) {
        return NGX_HTTP_S3_OK;
    }

    v = value->value;
    dash = ngx_strlchr(v.data, v.data + v.len, '-');

    if (dash) {
        n = ngx_atoi(dash + 1, v.data + v.len - dash - 1);

        if (n < 1 || n > NGX_HTTP_S3_MAX_PARTS) {
            goto invalid;
        }

        mpu->suffix = (ngx_uint_t) n;
        v.len = dash - v.data;
    }

    if (ngx_http_s3_checksum_decode(alg, &v, mpu->digest) != NGX_OK) {
        goto invalid;
    }

    mpu->alg = alg;

    return NGX_HTTP_S3_OK;

invalid:

    *message = ngx_http_s3_mpu_message(r, "Value for %s header is invalid.",
                   (char *) ngx_http_s3_checksum_header(alg)->data);

    return NGX_HTTP_S3_ERR_INVALID_REQUEST;
}


static void
ngx_http_s3_complete_body(ngx_http_request_t *r, ngx_str_t *body)
{
    uint64_t                 mtime;
    ngx_int_t                rc;
    ngx_str_t                digest;
    ngx_uint_t               i;
    ngx_time_t              *tp;
    ngx_array_t             *xparts, *parts;
    ngx_http_s3_mpu_t       *mpu;
    ngx_http_s3_ctx_t       *ctx;
    ngx_http_s3_wbuf_t       b;
    ngx_http_s3_mpu_part_t  *pt;

    ctx = ngx_http_s3_get_ctx(r);
    mpu = ctx->op_ctx;

    rc = ngx_http_s3_xml_parse_complete(r->pool, body->data, body->len,
                                        NGX_HTTP_S3_MAX_PARTS, &xparts);

    if (rc != NGX_OK) {
        ngx_http_s3_finalize(r, ngx_http_s3_send_error(r,
                                 NGX_HTTP_S3_ERR_MALFORMED_XML, NULL));
        return;
    }

    parts = ngx_http_s3_complete_parts(r, xparts, &rc);

    if (parts == NULL) {
        /* refused: answered */
        ngx_http_s3_finalize(r, rc);
        return;
    }

    tp = ngx_timeofday();
    mtime = (uint64_t) tp->sec * 1000 + tp->msec;

    if (ngx_http_s3_mpu_id(mpu, &b, 64 + mpu->cond.match.len
                                    + mpu->cond.none_match.len
                                    + parts->nelts * (64 + 32))
        != NGX_OK)
    {
        goto failed;
    }

    digest.data = mpu->digest;
    digest.len = ngx_http_s3_checksum_size(mpu->alg);

    ngx_http_s3_wire_put_u64(&b, mtime);
    ngx_http_s3_wire_put_cond(&b, &mpu->cond);
    ngx_http_s3_wire_put_u8(&b, (uint8_t) mpu->type);
    ngx_http_s3_wire_put_u8(&b, (uint8_t) mpu->alg);
    ngx_http_s3_wire_put_str(&b, &digest);
    ngx_http_s3_wire_put_u32(&b, (uint32_t) mpu->suffix);
    ngx_http_s3_wire_put_u32(&b, (uint32_t) parts->nelts);

    pt = parts->elts;

    for (i = 0; i < parts->nelts; i++) {
        digest.data = pt[i].digest;
        digest.len = ngx_http_s3_checksum_size(pt[i].alg);

        ngx_http_s3_wire_put_u32(&b, (uint32_t) pt[i].number);
        ngx_http_s3_wire_put_str(&b, &pt[i].etag);
        ngx_http_s3_wire_put_u8(&b, (uint8_t) pt[i].alg);
        ngx_http_s3_wire_put_str(&b, &digest);
    }

    if (ngx_http_s3_meta_call(r, NGX_HTTP_S3_WIRE_OP_UPLOAD_COMPLETE, &b,
                              ngx_http_s3_complete_handler, mpu)
        != NGX_OK)
    {
        goto failed;
    }

    return;

failed:

    ngx_http_s3_finalize(r, ngx_http_s3_send_error(r,
                                        NGX_HTTP_S3_ERR_INTERNAL, NULL));
}


/*
 * The parts list as S3 checks it before looking at the parts: numbers in
 * 1..10000, ascending; each checksum valid base64 of its algorithm.  The
 * parts, or NULL: an error was answered, *rc is what that returned.
 */

static ngx_array_t *
ngx_http_s3_complete_parts(ngx_http_request_t *r, ngx_array_t *xparts,
    ngx_int_t *rc)
{
    u_char                   *p;
    ngx_uint_t                i, last, alg;
    ngx_array_t              *parts;
    ngx_http_s3_mpu_part_t   *pt;
    ngx_http_s3_xml_part_t   *xp;
    ngx_http_s3_err_extra_t   extra[2];

    parts = ngx_array_create(r->pool, xparts->nelts,
                             sizeof(ngx_http_s3_mpu_part_t));
    if (parts == NULL) {
        goto internal;
    }

    xp = xparts->elts;
    last = 0;

    for (i = 0; i < xparts->nelts; i++) {

        if (xp[i].number < 1 || xp[i].number > NGX_HTTP_S3_MAX_PARTS) {
            *rc = ngx_http_s3_send_error(r, NGX_HTTP_S3_ERR_INVALID_ARGUMENT,
                                         "Part number must be an integer "
                                         "between 1 and 10000, inclusive");
            return NULL;
        }

        if ((ngx_uint_t) xp[i].number <= last) {
            *rc = ngx_http_s3_send_error(r,
                                         NGX_HTTP_S3_ERR_INVALID_PART_ORDER,
                                         NULL);
            return NULL;
        }

        last = (ngx_uint_t) xp[i].number;

        pt = ngx_array_push(parts);
        if (pt == NULL) {
            goto internal;
        }

        pt->number = last;
        pt->etag = xp[i].etag;
        pt->alg = NGX_HTTP_S3_CHECKSUM_NONE;

        if (xp[i].checksums == 0) {
            continue;
        }

        alg = ngx_http_s3_checksum_by_name(xp[i].checksum_name.data,
                                           xp[i].checksum_name.len);

        if (xp[i].checksums > 1 || alg == NGX_HTTP_S3_CHECKSUM_NONE
            || ngx_http_s3_checksum_decode(alg, &xp[i].checksum, pt->digest)
               != NGX_OK)
        {
            /* "CRC32C:<value>;" as S3 says it */

            p = ngx_pnalloc(r->pool, xp[i].checksum_name.len
                                     + xp[i].checksum.len + 2);
            if (p == NULL) {
                goto internal;
            }

            extra[0].name = "ArgumentName";
            ngx_str_set(&extra[0].value, "Checksum");
            extra[1].name = "ArgumentValue";
            extra[1].value.data = p;
            extra[1].value.len = ngx_sprintf(p, "%V:%V;",
                                             &xp[i].checksum_name,
                                             &xp[i].checksum)
                                 - p;

            *rc = ngx_http_s3_send_error_extra(r,
                      NGX_HTTP_S3_ERR_INVALID_ARGUMENT,
                      "Invalid Base64 or multiple checksums present in "
                      "request", extra, 2);
            return NULL;
        }

        pt->alg = alg;
    }

    return parts;

internal:

    *rc = ngx_http_s3_send_error(r, NGX_HTTP_S3_ERR_INTERNAL, NULL);

    return NULL;
}


static void
ngx_http_s3_complete_handler(ngx_http_s3_meta_req_t *mr)
{
    ngx_int_t            rc;
    ngx_http_s3_mpu_t   *mpu;
    ngx_http_request_t  *r;

    mpu = mr->data;
    r = mpu->request;

    if (mr->status == NGX_HTTP_S3_WIRE_ST_OK) {
        rc = ngx_http_s3_complete_send(mpu, &mr->reply);

    } else {
        rc = ngx_http_s3_complete_error(mpu, mr);
    }

    ngx_http_s3_finalize(r, rc);
}


static ngx_int_t
ngx_http_s3_complete_send(ngx_http_s3_mpu_t *mpu, ngx_str_t *rec)
{
    u_char                *p, *q;
    size_t                 len;
    ngx_str_t              host, path;
    ngx_chain_t           *cl;
    ngx_http_s3_ctx_t     *ctx;
    ngx_http_s3_xml_t      w;
    ngx_http_request_t    *r;
    ngx_http_s3_object_t   o;

    r = mpu->request;
    ctx = ngx_http_s3_get_ctx(r);

    if (r->headers_in.host) {
        host = r->headers_in.host->value;

    } else {
        host = r->headers_in.server;
    }

    if (ngx_http_s3_object_decode(rec, &o, r->pool) != NGX_OK) {
        ngx_log_error(NGX_LOG_ALERT, r->connection->log, 0,
                      "s3 complete \"%V/%V\": bad record", &ctx->bucket,
                      &ctx->key);
        return ngx_http_s3_send_error(r, NGX_HTTP_S3_ERR_INTERNAL, NULL);
    }

    ngx_http_s3_xml_init(&w, r->pool);
    ngx_http_s3_xml_root(&w, "CompleteMultipartUploadResult");

    /* Location: the object's URL, its path as this request named it */

    path = r->unparsed_uri;
    q = ngx_strlchr(path.data, path.data + path.len, '?');

    if (q) {
        path.len = q - path.data;
    }

    p = ngx_pnalloc(r->pool, sizeof("https://") - 1 + host.len + path.len);
    if (p == NULL) {
        return NGX_ERROR;
    }

    len = ngx_sprintf(p, "%s://%V%V",
#if (NGX_HTTP_SSL)
                      r->connection->ssl ? "https" : "http",
#else
                      "http",
#endif
                      &host, &path) - p;

    ngx_http_s3_xml_text(&w, "Location", p, len);
    ngx_http_s3_xml_text(&w, "Bucket", ctx->bucket.data, ctx->bucket.len);
    ngx_http_s3_xml_text(&w, "Key", ctx->key.data, ctx->key.len);

    p = ngx_pnalloc(r->pool, o.etag.len + 2);
    if (p == NULL) {
        return NGX_ERROR;
    }

    p[0] = '"';
    ngx_memcpy(p + 1, o.etag.data, o.etag.len);
    p[o.etag.len + 1] = '"';

    ngx_http_s3_xml_text(&w, "ETag", p, o.etag.len + 2);

    ngx_http_s3_mpu_checksum_xml(&w, &o);

    ngx_http_s3_xml_close(&w, "CompleteMultipartUploadResult");

    cl = ngx_http_s3_xml_finish(&w);
    if (cl == NULL) {
        return ngx_http_s3_send_error(r, NGX_HTTP_S3_ERR_INTERNAL, NULL);
    }

    /* the version made, in a bucket that has versioning */

    if (ngx_http_s3_version_headers(r, &o) != NGX_OK) {
        return NGX_ERROR;
    }

    return ngx_http_s3_send_xml(r, NGX_HTTP_OK, cl);
}


/* the refusals of the metadata process, with what S3 says about them */

static ngx_int_t
ngx_http_s3_complete_error(ngx_http_s3_mpu_t *mpu, ngx_http_s3_meta_req_t *mr)
{
    u_char                   *name, *p;
    uint8_t                   v8;
    uint32_t                  number;
    uint64_t                  size;
    ngx_str_t                 etag;
    const char               *message;
    ngx_http_s3_rbuf_t        rb;
    ngx_http_request_t       *r;
    ngx_http_s3_err_extra_t   extra[4];

    r = mpu->request;

    ngx_http_s3_rbuf_init(&rb, &mr->reply);

    switch (mr->status) {

    case NGX_HTTP_S3_WIRE_ST_INVALID_PART:

        number = ngx_http_s3_wire_get_u32(&rb);
        ngx_http_s3_wire_get_str(&rb, &etag);

        p = ngx_pnalloc(r->pool, NGX_INT32_LEN);
        if (rb.error || p == NULL) {
            break;
        }

        extra[0].name = "UploadId";
        extra[0].value = mpu->upload_id;
        extra[1].name = "PartNumber";
        extra[1].value.data = p;
        extra[1].value.len = ngx_sprintf(p, "%uD", number) - p;
        extra[2].name = "ETag";
        extra[2].value = etag;

        return ngx_http_s3_send_error_extra(r, NGX_HTTP_S3_ERR_INVALID_PART,
                                            NULL, extra, 3);

    case NGX_HTTP_S3_WIRE_ST_PART_TOO_SMALL:

        number = ngx_http_s3_wire_get_u32(&rb);
        size = ngx_http_s3_wire_get_u64(&rb);

        p = ngx_pnalloc(r->pool, 3 * NGX_INT64_LEN);
        if (rb.error || p == NULL) {
            break;
        }

        extra[0].name = "ProposedSize";
        extra[0].value.data = p;
        extra[0].value.len = ngx_sprintf(p, "%uL", size) - p;
        p += extra[0].value.len;
        extra[1].name = "MinSizeAllowed";
        extra[1].value.data = p;
        extra[1].value.len = ngx_sprintf(p, "%d", NGX_HTTP_S3_MIN_PART_SIZE)
                             - p;
        p += extra[1].value.len;
        extra[2].name = "PartNumber";
        extra[2].value.data = p;
        extra[2].value.len = ngx_sprintf(p, "%uD", number) - p;

        return ngx_http_s3_send_error_extra(r,
                                            NGX_HTTP_S3_ERR_ENTITY_TOO_SMALL,
                                            NULL, extra, 3);

    case NGX_HTTP_S3_WIRE_ST_BAD_DIGEST:

        name = ngx_http_s3_mpu_lower(r->pool,
                                     ngx_http_s3_checksum_name(mpu->alg));

        message = ngx_http_s3_mpu_message(r,
                      "The %s you specified did not match the calculated "
                      "checksum.", name ? (char *) name : "");

        return ngx_http_s3_send_error(r, NGX_HTTP_S3_ERR_BAD_DIGEST,
                                      message);

    case NGX_HTTP_S3_WIRE_ST_CHECKSUM_MISSING:

        v8 = ngx_http_s3_wire_get_u8(&rb);
        number = ngx_http_s3_wire_get_u32(&rb);

        name = ngx_http_s3_mpu_lower(r->pool, ngx_http_s3_checksum_name(v8));

        if (rb.error || name == NULL) {
            break;
        }

        message = ngx_http_s3_mpu_message(r,
                      "The upload was created using a %s checksum. The "
                      "complete request must include the checksum for each "
                      "part. It was missing for part %uD in the request.",
                      (char *) name, number);

        return ngx_http_s3_send_error(r, NGX_HTTP_S3_ERR_INVALID_REQUEST,
                                      message);

    case NGX_HTTP_S3_WIRE_ST_CHECKSUM_TYPE:

        v8 = ngx_http_s3_wire_get_u8(&rb);

        message = ngx_http_s3_mpu_message(r,
                      "The upload was created using the %s checksum mode. "
                      "The complete request must use the same checksum "
                      "mode.",
                      (v8 == NGX_HTTP_S3_CHECKSUM_COMPOSITE)
                      ? "COMPOSITE" : "FULL_OBJECT");

        return ngx_http_s3_send_error(r, NGX_HTTP_S3_ERR_INVALID_REQUEST,
                                      message);

    case NGX_HTTP_S3_WIRE_ST_PRECONDITION:
        return ngx_http_s3_send_error_extra(r,
                                           NGX_HTTP_S3_ERR_PRECONDITION_FAILED,
                                           NULL, NULL, 0);

    default:
        return ngx_http_s3_send_error(r, ngx_http_s3_meta_error(mr->status),
                                      ngx_http_s3_meta_message(mr->status));
    }

    ngx_log_error(NGX_LOG_ALERT, r->connection->log, 0,
                  "s3 complete: bad %s reply",
                  ngx_http_s3_meta_status_text(mr->status));

    return ngx_http_s3_send_error(r, NGX_HTTP_S3_ERR_INTERNAL, NULL);
}


/* AbortMultipartUpload */

ngx_int_t
ngx_http_s3_abort_multipart_upload(ngx_http_request_t *r)
{
    ngx_http_s3_mpu_t   *mpu;
    ngx_http_s3_wbuf_t   b;

    mpu = ngx_http_s3_mpu_create(r);
    if (mpu == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (ngx_http_s3_mpu_id(mpu, &b, 0) != NGX_OK) {
        return ngx_http_s3_send_error(r, NGX_HTTP_S3_ERR_INTERNAL, NULL);
    }

    return ngx_http_s3_mpu_call(mpu, NGX_HTTP_S3_WIRE_OP_UPLOAD_ABORT, &b,
                                ngx_http_s3_abort_handler);
}


static void
ngx_http_s3_abort_handler(ngx_http_s3_meta_req_t *mr)
{
    ngx_int_t            rc;
    ngx_http_s3_mpu_t   *mpu;
    ngx_http_request_t  *r;

    mpu = mr->data;
    r = mpu->request;

    /*
     * an abort sent again after the connection broke finds no upload
     * when the first one was committed: it is done
     */

    if (mr->status == NGX_HTTP_S3_WIRE_ST_OK
        || (mr->status == NGX_HTTP_S3_WIRE_ST_NO_UPLOAD && mr->resent))
    {
        rc = ngx_http_s3_send_empty(r, NGX_HTTP_NO_CONTENT);

    } else {
        rc = ngx_http_s3_send_error(r, ngx_http_s3_meta_error(mr->status),
                                    NULL);
    }

    ngx_http_s3_finalize(r, rc);
}


/* <ChecksumCRC32>..</ChecksumCRC32> (with "-N" if composite), the type */

void
ngx_http_s3_mpu_checksum_xml(ngx_http_s3_xml_t *w, ngx_http_s3_object_t *o)
{
    u_char     *p, name[sizeof("Checksum") + 16];
    size_t      len;
    ngx_str_t  *alg;

    if (o->checksum_alg == NGX_HTTP_S3_CHECKSUM_NONE
        || o->checksum.len != ngx_http_s3_checksum_size(o->checksum_alg))
    {
        return;
    }

    p = ngx_pnalloc(w->pool, NGX_HTTP_S3_CHECKSUM_MAX_BASE64 + 1
                             + NGX_INT_T_LEN);
    if (p == NULL) {
        w->error = 1;
        return;
    }

    len = ngx_http_s3_checksum_encode(o->checksum_alg, o->checksum.data, p);

    if (o->checksum_type == NGX_HTTP_S3_CHECKSUM_COMPOSITE && o->parts) {
        len = ngx_sprintf(p + len, "-%ui", o->parts->nelts) - p;
    }

    alg = ngx_http_s3_checksum_name(o->checksum_alg);

    (void) ngx_sprintf(name, "Checksum%V%Z", alg);

    ngx_http_s3_xml_text(w, (char *) name, p, len);

    if (o->checksum_type == NGX_HTTP_S3_WIRE_NO_TYPE) {
        return;
    }

    ngx_http_s3_xml_cstr(w, "ChecksumType",
                         (o->checksum_type == NGX_HTTP_S3_CHECKSUM_COMPOSITE)
                         ? "COMPOSITE" : "FULL_OBJECT");
}


/* an integer query argument of 0..2^31-1, as S3 reads max-parts and such */

ngx_http_s3_err_e
ngx_http_s3_mpu_uint_arg(ngx_http_request_t *r, const char *name,
    ngx_uint_t *value, const char **message)
{
    ngx_int_t  n;
    ngx_str_t  v;

    if (ngx_http_s3_arg(r, name, &v) != NGX_OK) {
        return NGX_HTTP_S3_OK;
    }

    n = ngx_atoi(v.data, v.len);

    if (n == NGX_ERROR || n > 0x7fffffff) {
        *message = ngx_http_s3_mpu_message(r, "Argument %s must be an "
                                           "integer between 0 and "
                                           "2147483647", name);
        return NGX_HTTP_S3_ERR_INVALID_ARGUMENT;
    }

    *value = (ngx_uint_t) n;

    return NGX_HTTP_S3_OK;
}


ngx_http_s3_mpu_t *
ngx_http_s3_mpu_create(ngx_http_request_t *r)
{
    ngx_str_t           v;
    ngx_http_s3_mpu_t  *mpu;

    mpu = ngx_pcalloc(r->pool, sizeof(ngx_http_s3_mpu_t));
    if (mpu == NULL) {
        return NULL;
    }

    mpu->request = r;

    /* the metadata process checks it: another form is NoSuchUpload */

    if (ngx_http_s3_arg(r, "uploadId", &v) == NGX_OK) {
        mpu->upload_id = v;
    }

    return mpu;
}


/* bucket, key and upload id, then more bytes to come */

ngx_int_t
ngx_http_s3_mpu_id(ngx_http_s3_mpu_t *mpu, ngx_http_s3_wbuf_t *b,
    size_t more)
{
    ngx_http_s3_ctx_t  *ctx;

    ctx = ngx_http_s3_get_ctx(mpu->request);

    if (ngx_http_s3_wbuf_init(b, mpu->request->pool,
                              16 + ctx->bucket.len + ctx->key.len
                              + mpu->upload_id.len + more)
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    ngx_http_s3_wire_put_str(b, &ctx->bucket);
    ngx_http_s3_wire_put_str(b, &ctx->key);
    ngx_http_s3_wire_put_str(b, &mpu->upload_id);

    return b->error ? NGX_ERROR : NGX_OK;
}


/* from a content handler: what it returns */

ngx_int_t
ngx_http_s3_mpu_call(ngx_http_s3_mpu_t *mpu, ngx_uint_t op,
    ngx_http_s3_wbuf_t *b, ngx_http_s3_meta_handler_pt handler)
{
    ngx_http_request_t  *r;

    r = mpu->request;

    if (ngx_http_s3_meta_call(r, op, b, handler, mpu) != NGX_OK) {
        return ngx_http_s3_send_error(r, NGX_HTTP_S3_ERR_INTERNAL, NULL);
    }

    r->main->count++;

    return NGX_DONE;
}


/* a message made with ngx_sprintf() formats, NUL-terminated; NULL on none */

const char *
ngx_http_s3_mpu_message(ngx_http_request_t *r, const char *fmt, ...)
{
    u_char   *p, *last;
    va_list   args;

    p = ngx_pnalloc(r->pool, 512);
    if (p == NULL) {
        return NULL;
    }

    va_start(args, fmt);
    last = ngx_vslprintf(p, p + 511, fmt, args);
    va_end(args);

    *last = '\0';

    return (const char *) p;
}


/* "crc32" of "CRC32", NUL-terminated */

u_char *
ngx_http_s3_mpu_lower(ngx_pool_t *pool, ngx_str_t *s)
{
    u_char  *p;

    p = ngx_pnalloc(pool, s->len + 1);
    if (p == NULL) {
        return NULL;
    }

    ngx_strlow(p, s->data, s->len);
    p[s->len] = '\0';

    return p;
}
