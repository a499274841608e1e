
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
    ngx_uint_t                *markers;     /* a delete marker: made or
                                               deleted */
    ngx_str_t                 *versions;    /* of a marker made */
    ngx_uint_t                 pending;
    ngx_uint_t                 quiet;
    ngx_uint_t                 status;      /* a bucket-wide failure */
};


static ngx_int_t ngx_http_s3_delete_request(ngx_http_request_t *r,
    ngx_str_t *key, ngx_str_t *vid, ngx_uint_t flags, ngx_http_s3_wbuf_t *b);
static void ngx_http_s3_delete_reply(ngx_http_s3_meta_req_t *mr,
    ngx_uint_t *marker, ngx_str_t *version);
static void ngx_http_s3_delete_handler(ngx_http_s3_meta_req_t *mr);
static void ngx_http_s3_delete_objects_body(ngx_http_request_t *r,
    ngx_str_t *body);
static void ngx_http_s3_delete_objects_handler(ngx_http_s3_meta_req_t *mr);
static ngx_int_t ngx_http_s3_delete_objects_send(ngx_http_s3_delete_t *del);


/*
 * DeleteObject: 204, also for a key or a version that does not exist
 * (as S3); in a versioned bucket without versionId a delete marker is
 * added, with versionId that version goes
 */

ngx_int_t
ngx_http_s3_delete_object(ngx_http_request_t *r)
{
    ngx_str_t           *key, vid;
    ngx_http_s3_wbuf_t   b;

    if (ngx_http_s3_version_arg(r, &vid) != NGX_OK) {
        return ngx_http_s3_send_error(r, NGX_HTTP_S3_ERR_INVALID_ARGUMENT,
                                      "Invalid version id specified");
    }

    key = &ngx_http_s3_get_ctx(r)->key;

    /* object lock: the metadata process decides, the worker may bypass */

    if (ngx_http_s3_delete_request(r, key, &vid,
                                   ngx_http_s3_lock_bypass(r, key)
                                   ? NGX_HTTP_S3_WIRE_PATCH_BYPASS : 0,
                                   &b)
        != NGX_OK
        || ngx_http_s3_meta_call(r, NGX_HTTP_S3_WIRE_OP_OBJECT_DELETE, &b,
                                 ngx_http_s3_delete_handler, r)
           != NGX_OK)
    {
        return ngx_http_s3_send_error(r, NGX_HTTP_S3_ERR_INTERNAL, NULL);
    }

    r->main->count++;

    return NGX_DONE;
}


/*
 * OBJECT_DELETE of a key: the lock bypass, the version; the time, owner
 * and request id of a marker (a resent request finds its marker by them)
 */

static ngx_int_t
ngx_http_s3_delete_request(ngx_http_request_t *r, ngx_str_t *key,
    ngx_str_t *vid, ngx_uint_t flags, ngx_http_s3_wbuf_t *b)
{
    ngx_str_t           rid;
    ngx_time_t         *tp;
    ngx_http_s3_ctx_t  *ctx;

    ctx = ngx_http_s3_get_ctx(r);

    if (ngx_http_s3_wbuf_init(b, r->pool, 64 + ctx->bucket.len + key->len
                                          + vid->len
                                          + ctx->auth.access_key.len)
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    tp = ngx_timeofday();

    ngx_http_s3_wire_put_str(b, &ctx->bucket);
    ngx_http_s3_wire_put_str(b, key);
    ngx_http_s3_wire_put_u8(b, (uint8_t) flags);
    ngx_http_s3_wire_put_str(b, vid);
    ngx_http_s3_wire_put_u64(b, (uint64_t) tp->sec * 1000 + tp->msec);
    ngx_http_s3_wire_put_str(b, &ctx->auth.access_key);

    rid.data = ctx->request_id;
    rid.len = sizeof(ctx->request_id) - 1;
    ngx_http_s3_wire_put_str(b, &rid);

    return b->error ? NGX_ERROR : NGX_OK;
}


/* the reply of OBJECT_DELETE: a delete marker, the version id */

static void
ngx_http_s3_delete_reply(ngx_http_s3_meta_req_t *mr, ngx_uint_t *marker,
    ngx_str_t *version)
{
    ngx_http_s3_rbuf_t  rb;

    *marker = 0;
    ngx_str_null(version);

    if (mr->status != NGX_HTTP_S3_WIRE_ST_OK) {
        return;
    }

    ngx_http_s3_rbuf_init(&rb, &mr->reply);

    *marker = ngx_http_s3_wire_get_u8(&rb);
    ngx_http_s3_wire_get_str(&rb, version);

    if (rb.error) {
        *marker = 0;
        ngx_str_null(version);
    }
}


static void
ngx_http_s3_delete_handler(ngx_http_s3_meta_req_t *mr)
{
    ngx_int_t            rc;
    ngx_str_t            version, v;
    ngx_uint_t           marker;
    ngx_http_request_t  *r;

    r = mr->data;

    if (mr->status == NGX_HTTP_S3_WIRE_ST_NO_VERSION) {
        /* already gone: as S3, a success naming it */
        mr->status = NGX_HTTP_S3_WIRE_ST_OK;
        (void) ngx_http_s3_version_arg(r, &version);
        marker = 0;

    } else {
        ngx_http_s3_delete_reply(mr, &marker, &version);
    }

    if (mr->status == NGX_HTTP_S3_WIRE_ST_OK
        || mr->status == NGX_HTTP_S3_WIRE_ST_NO_KEY)
    {
        ngx_str_set(&v, "true");

        if ((marker
             && ngx_http_s3_push_header(r, "x-amz-delete-marker", &v)
                == NULL)
            || (version.len
                && ngx_http_s3_push_header(r, "x-amz-version-id", &version)
                   == NULL))
        {
            rc = NGX_ERROR;

        } else {
            rc = ngx_http_s3_send_empty(r, NGX_HTTP_NO_CONTENT);
        }

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
    uint64_t                       seq;
    ngx_int_t                      rc;
    ngx_uint_t                     i, n, quiet, bypass, flags;
    ngx_array_t                   *keys;
    ngx_http_s3_wbuf_t             b;
    ngx_http_s3_delete_t          *del;
    ngx_http_s3_delete_item_t     *items;
    ngx_http_s3_xml_delete_key_t  *k;

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
    del->markers = ngx_pcalloc(r->pool, n * sizeof(ngx_uint_t));
    del->versions = ngx_pcalloc(r->pool, n * sizeof(ngx_str_t));

    if (del->errs == NULL || del->msgs == NULL || del->markers == NULL
        || del->versions == NULL)
    {
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
            && ngx_http_s3_version_parse(&k[i].version, &seq) != NGX_OK)
        {
            del->errs[i] = NGX_HTTP_S3_ERR_INVALID_ARGUMENT;
            del->msgs[i] = "Invalid version id specified";
            continue;
        }

        /*
         * s3:DeleteObject on each key (s3:DeleteObjectVersion on a
         * version), as a bucket policy may say
         */

        if (!ngx_http_s3_access_object(r,
                                       k[i].version.len
                                       ? NGX_HTTP_S3_ACT_DELETE_OBJECT_VERSION
                                       : NGX_HTTP_S3_ACT_DELETE_OBJECT,
                                       &k[i].key))
        {
            del->errs[i] = NGX_HTTP_S3_ERR_ACCESS_DENIED;
            del->msgs[i] = "Access Denied";
            continue;
        }

        flags = (bypass
                 && ngx_http_s3_access_object(r,
                                NGX_HTTP_S3_ACT_BYPASS_GOVERNANCE_RETENTION,
                                &k[i].key))
                ? NGX_HTTP_S3_WIRE_PATCH_BYPASS : 0;

        if (ngx_http_s3_delete_request(r, &k[i].key, &k[i].version, flags,
                                       &b)
            != NGX_OK)
        {
            goto failed;
        }

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
        ngx_http_s3_delete_reply(mr, &del->markers[item->index],
                                 &del->versions[item->index]);
        break;

    case NGX_HTTP_S3_WIRE_ST_NO_KEY:
    case NGX_HTTP_S3_WIRE_ST_NO_VERSION:
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

            /* a marker deleted by its id, or one made */

            if (del->markers[i]) {
                ngx_http_s3_xml_cstr(&w, "DeleteMarker", "true");

                if (k[i].version.len == 0 && del->versions[i].len) {
                    ngx_http_s3_xml_text(&w, "DeleteMarkerVersionId",
                                         del->versions[i].data,
                                         del->versions[i].len);
                }
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
