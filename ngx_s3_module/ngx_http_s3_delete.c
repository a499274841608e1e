
/*
 * Copyright (C) ngx_s3 authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_s3.h"
#include "ngx_http_s3_ops.h"


/* DeleteObject and DeleteObjects */


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


static void ngx_http_s3_delete_handler(ngx_http_s3_meta_req_t *mr);
static void ngx_http_s3_delete_objects_body(ngx_http_request_t *r,
    ngx_str_t *body);
static void ngx_http_s3_delete_objects_handler(ngx_http_s3_meta_req_t *mr);
static ngx_int_t ngx_http_s3_delete_objects_send(ngx_http_s3_delete_t *del);


/* DeleteObject: 204, also for a key that does not exist */

ngx_int_t
ngx_http_s3_delete_object(ngx_http_request_t *r)
{
    ngx_http_s3_ctx_t   *ctx;
    ngx_http_s3_wbuf_t   b;

    ctx = ngx_http_s3_get_ctx(r);

    if (ngx_http_s3_version_arg(r) != NGX_OK) {
        return ngx_http_s3_send_error(r, NGX_HTTP_S3_ERR_INVALID_ARGUMENT,
                                      "Invalid version id specified");
    }

    if (ngx_http_s3_wbuf_init(&b, r->pool, 16 + ctx->bucket.len
                                           + ctx->key.len)
        != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ngx_http_s3_wire_put_str(&b, &ctx->bucket);
    ngx_http_s3_wire_put_str(&b, &ctx->key);

    /* object lock: the metadata process decides, the worker may bypass */

    ngx_http_s3_wire_put_u8(&b, ngx_http_s3_lock_bypass(r, &ctx->key)
                                ? NGX_HTTP_S3_WIRE_PATCH_BYPASS : 0);

    if (ngx_http_s3_meta_call(r, NGX_HTTP_S3_WIRE_OP_OBJECT_DELETE, &b,
                              ngx_http_s3_delete_handler, r)
        != NGX_OK)
    {
        return ngx_http_s3_send_error(r, NGX_HTTP_S3_ERR_INTERNAL, NULL);
    }

    r->main->count++;

    return NGX_DONE;
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
                                    ngx_http_s3_meta_message(mr->status));
    }

    ngx_http_s3_finalize(r, rc);
}


/* DeleteObjects: the keys are deleted by pipelined requests */

ngx_int_t
ngx_http_s3_delete_objects(ngx_http_request_t *r)
{
    ngx_int_t  rc;

    rc = ngx_http_s3_read_xml_body(r, ngx_http_s3_delete_objects_body,
                                   0);

    if (rc != NGX_OK) {
        return rc;
    }

    return NGX_DONE;
}


static void
ngx_http_s3_delete_objects_body(ngx_http_request_t *r, ngx_str_t *body)
{
    ngx_int_t                      rc;
    ngx_uint_t                     i, n, quiet, bypass;
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

    /* x-amz-bypass-governance-retention: asked for the whole request */

    bypass = ngx_http_s3_lock_bypass(r, NULL);

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

        /* s3:DeleteObject on each key, as a bucket policy may say */

        if (!ngx_http_s3_access_object(r, NGX_HTTP_S3_ACT_DELETE_OBJECT,
                                       &k[i].key))
        {
            del->errs[i] = NGX_HTTP_S3_ERR_ACCESS_DENIED;
            del->msgs[i] = "Access Denied";
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
        ngx_http_s3_wire_put_u8(&b, (bypass
                                     && ngx_http_s3_access_object(r,
                                 NGX_HTTP_S3_ACT_BYPASS_GOVERNANCE_RETENTION,
                                 &k[i].key))
                                    ? NGX_HTTP_S3_WIRE_PATCH_BYPASS : 0);

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
        del->msgs[item->index] = ngx_http_s3_meta_message(mr->status);
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
