
/*
 * Copyright (C) ngx_s3 authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_s3.h"
#include "ngx_http_s3_ops.h"
#include "ngx_http_s3_multipart.h"


/* ListParts and ListMultipartUploads: pages read by the metadata process */


static void ngx_http_s3_list_parts_handler(ngx_http_s3_meta_req_t *mr);
static ngx_int_t ngx_http_s3_list_parts_send(ngx_http_s3_mpu_t *mpu,
    ngx_str_t *reply);
static void ngx_http_s3_list_uploads_handler(ngx_http_s3_meta_req_t *mr);
static ngx_int_t ngx_http_s3_list_uploads_send(ngx_http_s3_mpu_t *mpu,
    ngx_str_t *reply);


/* ListParts */

ngx_int_t
ngx_http_s3_list_parts(ngx_http_request_t *r)
{
    ngx_str_t            v;
    const char          *message;
    ngx_http_s3_mpu_t   *mpu;
    ngx_http_s3_err_e    err;
    ngx_http_s3_wbuf_t   b;

    mpu = ngx_http_s3_mpu_create(r);
    if (mpu == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    message = NULL;
    mpu->max = NGX_HTTP_S3_MAX_LIST_KEYS;

    err = ngx_http_s3_mpu_uint_arg(r, "max-parts", &mpu->max, &message);

    if (err == NGX_HTTP_S3_OK) {
        err = ngx_http_s3_mpu_uint_arg(r, "part-number-marker", &mpu->marker,
                                       &message);
    }

    if (err != NGX_HTTP_S3_OK) {
        return ngx_http_s3_send_error(r, err, message);
    }

    if (ngx_http_s3_arg(r, "encoding-type", &v) == NGX_OK) {
        if (v.len != 3 || ngx_strncasecmp(v.data, (u_char *) "url", 3) != 0) {
            return ngx_http_s3_send_error(r, NGX_HTTP_S3_ERR_INVALID_ARGUMENT,
                                          "Invalid Encoding Method specified "
                                          "in Request");
        }

        mpu->url = 1;
    }

    mpu->max = ngx_min(mpu->max, NGX_HTTP_S3_MAX_LIST_KEYS);

    if (ngx_http_s3_mpu_id(mpu, &b, 8) != NGX_OK) {
        return ngx_http_s3_send_error(r, NGX_HTTP_S3_ERR_INTERNAL, NULL);
    }

    ngx_http_s3_wire_put_u32(&b, (uint32_t) ngx_min(mpu->marker,
                                                    0xffffffff));
    /* max-parts=0 still learns whether the upload exists */
    ngx_http_s3_wire_put_u32(&b, (uint32_t) ngx_max(mpu->max, 1));

    return ngx_http_s3_mpu_call(mpu, NGX_HTTP_S3_WIRE_OP_PART_LIST, &b,
                                ngx_http_s3_list_parts_handler);
}


static void
ngx_http_s3_list_parts_handler(ngx_http_s3_meta_req_t *mr)
{
    ngx_int_t            rc;
    ngx_http_s3_mpu_t   *mpu;
    ngx_http_request_t  *r;

    mpu = mr->data;
    r = mpu->request;

    if (mr->status != NGX_HTTP_S3_WIRE_ST_OK) {
        rc = ngx_http_s3_send_error(r, ngx_http_s3_meta_error(mr->status),
                                    NULL);

    } else {
        rc = ngx_http_s3_list_parts_send(mpu, &mr->reply);
    }

    ngx_http_s3_finalize(r, rc);
}


static ngx_int_t
ngx_http_s3_list_parts_send(ngx_http_s3_mpu_t *mpu, ngx_str_t *reply)
{
    u_char                 iso[NGX_HTTP_S3_ISO8601_LEN], *p;
    uint32_t               n, i, number, last;
    ngx_str_t              urec, rec;
    ngx_uint_t             truncated;
    ngx_chain_t           *cl;
    ngx_http_s3_ctx_t     *ctx;
    ngx_http_s3_xml_t      w;
    ngx_http_s3_rbuf_t     rb;
    ngx_http_request_t    *r;
    ngx_http_s3_object_t   u, o;

    r = mpu->request;
    ctx = ngx_http_s3_get_ctx(r);

    ngx_http_s3_rbuf_init(&rb, reply);

    ngx_http_s3_wire_get_str(&rb, &urec);
    truncated = ngx_http_s3_wire_get_u8(&rb);
    n = ngx_http_s3_wire_get_u32(&rb);

    if (rb.error || ngx_http_s3_object_decode(&urec, &u, NULL) != NGX_OK) {
        goto bad;
    }

    if (mpu->max == 0) {
        truncated = 0;
        n = 0;
    }

    ngx_http_s3_xml_init(&w, r->pool);
    ngx_http_s3_xml_root(&w, "ListPartsResult");

    ngx_http_s3_xml_text(&w, "Bucket", ctx->bucket.data, ctx->bucket.len);
    ngx_http_s3_xml_key(&w, "Key", &ctx->key, mpu->url);
    ngx_http_s3_xml_text(&w, "UploadId", mpu->upload_id.data,
                         mpu->upload_id.len);
    ngx_http_s3_xml_uint(&w, "PartNumberMarker", mpu->marker);

    last = 0;

    for (i = 0; i < n; i++) {
        number = ngx_http_s3_wire_get_u32(&rb);
        ngx_http_s3_wire_get_str(&rb, &rec);

        if (rb.error || ngx_http_s3_object_decode(&rec, &o, NULL) != NGX_OK) {
            goto bad;
        }

        ngx_http_s3_xml_open(&w, "Part");
        ngx_http_s3_xml_uint(&w, "PartNumber", number);

        ngx_http_s3_time_iso8601(iso, o.mtime);
        ngx_http_s3_xml_text(&w, "LastModified", iso, sizeof(iso));

        p = ngx_pnalloc(r->pool, o.etag.len + 2);
        if (p == NULL) {
            return NGX_ERROR;
        }

        p[0] = '"';
        ngx_memcpy(p + 1, o.etag.data, o.etag.len);
        p[o.etag.len + 1] = '"';

        ngx_http_s3_xml_text(&w, "ETag", p, o.etag.len + 2);
        ngx_http_s3_xml_uint(&w, "Size", o.size);

        if (u.checksum_alg != NGX_HTTP_S3_CHECKSUM_NONE
            && o.checksum_alg == u.checksum_alg)
        {
            o.checksum_type = NGX_HTTP_S3_WIRE_NO_TYPE;
            ngx_http_s3_mpu_checksum_xml(&w, &o);
        }

        ngx_http_s3_xml_close(&w, "Part");

        last = number;
    }

    if (last) {
        ngx_http_s3_xml_uint(&w, "NextPartNumberMarker", last);
    }

    ngx_http_s3_xml_uint(&w, "MaxParts", mpu->max);
    ngx_http_s3_xml_cstr(&w, "IsTruncated", truncated ? "true" : "false");

    ngx_http_s3_xml_open(&w, "Initiator");
    ngx_http_s3_xml_text(&w, "ID", u.owner.data, u.owner.len);
    ngx_http_s3_xml_text(&w, "DisplayName", u.owner.data, u.owner.len);
    ngx_http_s3_xml_close(&w, "Initiator");
    ngx_http_s3_xml_owner(&w, &u.owner);
    ngx_http_s3_xml_cstr(&w, "StorageClass", "STANDARD");

    if (u.checksum_alg != NGX_HTTP_S3_CHECKSUM_NONE) {
        ngx_http_s3_xml_cstr(&w, "ChecksumAlgorithm",
                     (char *) ngx_http_s3_checksum_name(u.checksum_alg)->data);
        ngx_http_s3_xml_cstr(&w, "ChecksumType",
                             (u.checksum_type
                              == NGX_HTTP_S3_CHECKSUM_COMPOSITE)
                             ? "COMPOSITE" : "FULL_OBJECT");
    }

    if (mpu->url) {
        ngx_http_s3_xml_cstr(&w, "EncodingType", "url");
    }

    ngx_http_s3_xml_close(&w, "ListPartsResult");

    cl = ngx_http_s3_xml_finish(&w);
    if (cl == NULL) {
        return ngx_http_s3_send_error(r, NGX_HTTP_S3_ERR_INTERNAL, NULL);
    }

    return ngx_http_s3_send_xml(r, NGX_HTTP_OK, cl);

bad:

    ngx_log_error(NGX_LOG_ALERT, r->connection->log, 0,
                  "s3 list parts of \"%V\": bad reply", &mpu->upload_id);

    return ngx_http_s3_send_error(r, NGX_HTTP_S3_ERR_INTERNAL, NULL);
}


/* ListMultipartUploads */

ngx_int_t
ngx_http_s3_list_multipart_uploads(ngx_http_request_t *r)
{
    ngx_int_t            rc;
    ngx_str_t            v;
    const char          *message;
    ngx_http_s3_mpu_t   *mpu;
    ngx_http_s3_ctx_t   *ctx;
    ngx_http_s3_err_e    err;
    ngx_http_s3_wbuf_t   b;

    ctx = ngx_http_s3_get_ctx(r);

    mpu = ngx_http_s3_mpu_create(r);
    if (mpu == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    message = NULL;
    mpu->max = NGX_HTTP_S3_MAX_LIST_KEYS;

    err = ngx_http_s3_mpu_uint_arg(r, "max-uploads", &mpu->max, &message);

    if (err != NGX_HTTP_S3_OK) {
        return ngx_http_s3_send_error(r, err, message);
    }

    mpu->max = ngx_min(mpu->max, NGX_HTTP_S3_MAX_LIST_KEYS);

#define ngx_http_s3_mpu_get(name, value)                                      \
    rc = ngx_http_s3_arg_decoded(r, name, value);                             \
    if (rc == NGX_ERROR) {                                                    \
        return ngx_http_s3_send_error(r, NGX_HTTP_S3_ERR_INVALID_ARGUMENT,    \
                                      "Invalid argument: " name);             \
    }

    ngx_http_s3_mpu_get("prefix", &mpu->prefix);
    mpu->has_prefix = (rc == NGX_OK);

    ngx_http_s3_mpu_get("delimiter", &mpu->delimiter);
    mpu->has_delimiter = (rc == NGX_OK);

    ngx_http_s3_mpu_get("key-marker", &mpu->key_marker);
    ngx_http_s3_mpu_get("upload-id-marker", &mpu->id_marker);

    ngx_http_s3_mpu_get("encoding-type", &v);

#undef ngx_http_s3_mpu_get

    if (rc == NGX_OK) {
        if (v.len != 3 || ngx_strncasecmp(v.data, (u_char *) "url", 3) != 0) {
            return ngx_http_s3_send_error(r, NGX_HTTP_S3_ERR_INVALID_ARGUMENT,
                                          "Invalid Encoding Method specified "
                                          "in Request");
        }

        mpu->url = 1;
    }

    /* an upload id marker means something only after a key marker */

    if (mpu->key_marker.len == 0) {
        ngx_str_null(&mpu->id_marker);
    }

    if (ngx_http_s3_wbuf_init(&b, r->pool, 64 + ctx->bucket.len
                                           + mpu->prefix.len
                                           + mpu->delimiter.len
                                           + mpu->key_marker.len
                                           + mpu->id_marker.len)
        != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ngx_http_s3_wire_put_str(&b, &ctx->bucket);
    ngx_http_s3_wire_put_str(&b, &mpu->prefix);
    ngx_http_s3_wire_put_str(&b, &mpu->delimiter);
    ngx_http_s3_wire_put_str(&b, &mpu->key_marker);
    ngx_http_s3_wire_put_str(&b, &mpu->id_marker);
    ngx_http_s3_wire_put_u32(&b, (uint32_t) ngx_max(mpu->max, 1));

    return ngx_http_s3_mpu_call(mpu, NGX_HTTP_S3_WIRE_OP_UPLOAD_LIST, &b,
                                ngx_http_s3_list_uploads_handler);
}


static void
ngx_http_s3_list_uploads_handler(ngx_http_s3_meta_req_t *mr)
{
    ngx_int_t            rc;
    ngx_http_s3_mpu_t   *mpu;
    ngx_http_request_t  *r;

    mpu = mr->data;
    r = mpu->request;

    if (mr->status != NGX_HTTP_S3_WIRE_ST_OK) {
        rc = ngx_http_s3_send_error(r, ngx_http_s3_meta_error(mr->status),
                                    NULL);

    } else {
        rc = ngx_http_s3_list_uploads_send(mpu, &mr->reply);
    }

    ngx_http_s3_finalize(r, rc);
}


static ngx_int_t
ngx_http_s3_list_uploads_send(ngx_http_s3_mpu_t *mpu, ngx_str_t *reply)
{
    u_char                 iso[NGX_HTTP_S3_ISO8601_LEN], *entries;
    uint8_t                kind;
    uint32_t               n, i;
    ngx_str_t              key, id, rec, next_key, next_id;
    ngx_uint_t             truncated, pass;
    ngx_chain_t           *cl;
    ngx_http_s3_ctx_t     *ctx;
    ngx_http_s3_xml_t      w;
    ngx_http_s3_rbuf_t     rb;
    ngx_http_request_t    *r;
    ngx_http_s3_object_t   u;

    r = mpu->request;
    ctx = ngx_http_s3_get_ctx(r);

    ngx_http_s3_rbuf_init(&rb, reply);

    truncated = ngx_http_s3_wire_get_u8(&rb);
    n = ngx_http_s3_wire_get_u32(&rb);

    if (rb.error) {
        goto bad;
    }

    if (mpu->max == 0) {
        truncated = 0;
        n = 0;
    }

    entries = rb.pos;

    /* the last entry gives the next markers */

    ngx_str_null(&next_key);
    ngx_str_null(&next_id);

    for (i = 0; i < n; i++) {
        kind = ngx_http_s3_wire_get_u8(&rb);
        ngx_http_s3_wire_get_str(&rb, &next_key);
        ngx_str_null(&next_id);

        if (kind == NGX_HTTP_S3_WIRE_ENTRY_OBJECT) {
            ngx_http_s3_wire_get_str(&rb, &next_id);
            ngx_http_s3_wire_get_str(&rb, &rec);

        } else if (kind != NGX_HTTP_S3_WIRE_ENTRY_PREFIX) {
            goto bad;
        }

        if (rb.error) {
            goto bad;
        }
    }

    ngx_http_s3_xml_init(&w, r->pool);
    ngx_http_s3_xml_root(&w, "ListMultipartUploadsResult");

    ngx_http_s3_xml_text(&w, "Bucket", ctx->bucket.data, ctx->bucket.len);
    ngx_http_s3_xml_key(&w, "KeyMarker", &mpu->key_marker, mpu->url);
    ngx_http_s3_xml_text(&w, "UploadIdMarker", mpu->id_marker.data,
                         mpu->id_marker.len);
    ngx_http_s3_xml_key(&w, "NextKeyMarker", &next_key, mpu->url);
    ngx_http_s3_xml_text(&w, "NextUploadIdMarker", next_id.data,
                         next_id.len);

    if (mpu->has_delimiter) {
        ngx_http_s3_xml_key(&w, "Delimiter", &mpu->delimiter, mpu->url);
    }

    if (mpu->has_prefix) {
        ngx_http_s3_xml_key(&w, "Prefix", &mpu->prefix, mpu->url);
    }

    ngx_http_s3_xml_uint(&w, "MaxUploads", mpu->max);

    if (mpu->url) {
        ngx_http_s3_xml_cstr(&w, "EncodingType", "url");
    }

    ngx_http_s3_xml_cstr(&w, "IsTruncated", truncated ? "true" : "false");

    /* uploads first, then the common prefixes */

    for (pass = 0; pass < 2; pass++) {
        rb.pos = entries;

        for (i = 0; i < n; i++) {
            kind = ngx_http_s3_wire_get_u8(&rb);
            ngx_http_s3_wire_get_str(&rb, &key);

            if (kind == NGX_HTTP_S3_WIRE_ENTRY_PREFIX) {
                if (pass == 1) {
                    ngx_http_s3_xml_open(&w, "CommonPrefixes");
                    ngx_http_s3_xml_key(&w, "Prefix", &key, mpu->url);
                    ngx_http_s3_xml_close(&w, "CommonPrefixes");
                }

                continue;
            }

            ngx_http_s3_wire_get_str(&rb, &id);
            ngx_http_s3_wire_get_str(&rb, &rec);

            if (pass == 1) {
                continue;
            }

            if (rb.error
                || ngx_http_s3_object_decode(&rec, &u, NULL) != NGX_OK)
            {
                goto bad;
            }

            ngx_http_s3_xml_open(&w, "Upload");
            ngx_http_s3_xml_key(&w, "Key", &key, mpu->url);
            ngx_http_s3_xml_text(&w, "UploadId", id.data, id.len);

            ngx_http_s3_xml_open(&w, "Initiator");
            ngx_http_s3_xml_text(&w, "ID", u.owner.data, u.owner.len);
            ngx_http_s3_xml_text(&w, "DisplayName", u.owner.data,
                                 u.owner.len);
            ngx_http_s3_xml_close(&w, "Initiator");
            ngx_http_s3_xml_owner(&w, &u.owner);
            ngx_http_s3_xml_cstr(&w, "StorageClass", "STANDARD");

            ngx_http_s3_time_iso8601(iso, u.mtime);
            ngx_http_s3_xml_text(&w, "Initiated", iso, sizeof(iso));

            if (u.checksum_alg != NGX_HTTP_S3_CHECKSUM_NONE) {
                ngx_http_s3_xml_cstr(&w, "ChecksumAlgorithm",
                     (char *) ngx_http_s3_checksum_name(u.checksum_alg)->data);
                ngx_http_s3_xml_cstr(&w, "ChecksumType",
                                     (u.checksum_type
                                      == NGX_HTTP_S3_CHECKSUM_COMPOSITE)
                                     ? "COMPOSITE" : "FULL_OBJECT");
            }

            ngx_http_s3_xml_close(&w, "Upload");
        }
    }

    ngx_http_s3_xml_close(&w, "ListMultipartUploadsResult");

    cl = ngx_http_s3_xml_finish(&w);
    if (cl == NULL) {
        return ngx_http_s3_send_error(r, NGX_HTTP_S3_ERR_INTERNAL, NULL);
    }

    return ngx_http_s3_send_xml(r, NGX_HTTP_OK, cl);

bad:

    ngx_log_error(NGX_LOG_ALERT, r->connection->log, 0,
                  "s3 list uploads of \"%V\": bad reply", &ctx->bucket);

    return ngx_http_s3_send_error(r, NGX_HTTP_S3_ERR_INTERNAL, NULL);
}
