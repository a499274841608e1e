
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
 * Tagging: Get/Put/DeleteObjectTagging on a version of an object, and
 * Get/Put/DeleteBucketTagging.  An object's tag set is field 28 of its
 * record (records of older versions: x-amz-tagging as sent, field 19),
 * changed in place by OBJECT_PATCH; a bucket's is its "tagging" setting
 * (pairs, as field 28).  The rules are ngx_http_s3_tags.c's.
 */


static ngx_int_t ngx_http_s3_tagging_version(ngx_http_request_t *r,
    ngx_str_t *version);
static void ngx_http_s3_get_object_tagging_handler(
    ngx_http_s3_meta_req_t *mr);
static void ngx_http_s3_put_object_tagging_body(ngx_http_request_t *r,
    ngx_str_t *body);
static ngx_int_t ngx_http_s3_object_tagging_patch(ngx_http_request_t *r,
    ngx_array_t *tags);
static void ngx_http_s3_object_tagging_handler(ngx_http_s3_meta_req_t *mr);
static ngx_int_t ngx_http_s3_tagging_version_out(ngx_http_request_t *r,
    ngx_http_s3_object_t *o);
static void ngx_http_s3_get_bucket_tagging_handler(
    ngx_http_s3_meta_req_t *mr);
static void ngx_http_s3_put_bucket_tagging_body(ngx_http_request_t *r,
    ngx_str_t *body);
static void ngx_http_s3_bucket_tagging_handler(ngx_http_s3_meta_req_t *mr);
static ngx_array_t *ngx_http_s3_tagging_parse(ngx_http_request_t *r,
    ngx_str_t *body, ngx_uint_t max, ngx_int_t *rc);
static ngx_int_t ngx_http_s3_tagging_send(ngx_http_request_t *r,
    ngx_array_t *tags);


/* GetObjectTagging */

ngx_int_t
ngx_http_s3_get_object_tagging(ngx_http_request_t *r)
{
    ngx_str_t  version;

    if (ngx_http_s3_tagging_version(r, &version) != NGX_OK) {
        return ngx_http_s3_send_error(r, NGX_HTTP_S3_ERR_INVALID_ARGUMENT,
                                      "Invalid version id specified");
    }

    return ngx_http_s3_meta_named(r, NGX_HTTP_S3_WIRE_OP_OBJECT_GET, 1,
                                  ngx_http_s3_get_object_tagging_handler,
                                  r);
}


static void
ngx_http_s3_get_object_tagging_handler(ngx_http_s3_meta_req_t *mr)
{
    ngx_int_t              rc;
    ngx_str_t              version, id;
    ngx_uint_t             skipped;
    ngx_array_t           *tags;
    ngx_http_s3_ctx_t     *ctx;
    ngx_http_request_t    *r;
    ngx_http_s3_object_t   o;

    r = mr->data;
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

    if (o.flags & NGX_HTTP_S3_OBJECT_DELETE_MARKER) {
        rc = ngx_http_s3_send_error(r, NGX_HTTP_S3_ERR_NO_SUCH_KEY, NULL);
        goto done;
    }

    /* without versioning only the current version is found */

    (void) ngx_http_s3_tagging_version(r, &version);

    if (version.len) {
        id = o.version;

        if (id.len == 0) {
            ngx_str_set(&id, "null");
        }

        if (id.len != version.len
            || ngx_memcmp(id.data, version.data, id.len) != 0)
        {
            rc = ngx_http_s3_send_error(r, NGX_HTTP_S3_ERR_NO_SUCH_VERSION,
                                        NULL);
            goto done;
        }
    }

    if (ngx_http_s3_tags_of_object(r->pool, &o, &tags, &skipped) != NGX_OK
        || ngx_http_s3_tagging_version_out(r, &o) != NGX_OK)
    {
        rc = ngx_http_s3_send_error(r, NGX_HTTP_S3_ERR_INTERNAL, NULL);
        goto done;
    }

    if (skipped) {
        ngx_log_error(NGX_LOG_WARN, r->connection->log, 0,
                      "s3 object \"%V/%V\": %ui stored tags do not decode, "
                      "left out", &ctx->bucket, &ctx->key, skipped);
    }

    rc = ngx_http_s3_tagging_send(r, tags);

done:

    ngx_http_s3_finalize(r, rc);
}


/* PutObjectTagging and DeleteObjectTagging */

ngx_int_t
ngx_http_s3_put_object_tagging(ngx_http_request_t *r)
{
    ngx_int_t  rc;
    ngx_str_t  version;

    if (ngx_http_s3_tagging_version(r, &version) != NGX_OK) {
        return ngx_http_s3_send_error(r, NGX_HTTP_S3_ERR_INVALID_ARGUMENT,
                                      "Invalid version id specified");
    }

    rc = ngx_http_s3_read_xml_body(r, ngx_http_s3_put_object_tagging_body,
                                   0);

    if (rc != NGX_OK) {
        return rc;
    }

    return NGX_DONE;
}


ngx_int_t
ngx_http_s3_delete_object_tagging(ngx_http_request_t *r)
{
    ngx_str_t  version;

    if (ngx_http_s3_tagging_version(r, &version) != NGX_OK) {
        return ngx_http_s3_send_error(r, NGX_HTTP_S3_ERR_INVALID_ARGUMENT,
                                      "Invalid version id specified");
    }

    return ngx_http_s3_object_tagging_patch(r, NULL);
}


static void
ngx_http_s3_put_object_tagging_body(ngx_http_request_t *r, ngx_str_t *body)
{
    ngx_int_t     rc;
    ngx_array_t  *tags;

    tags = ngx_http_s3_tagging_parse(r, body, NGX_HTTP_S3_TAGS_OBJECT_MAX,
                                     &rc);

    if (tags) {
        /* NGX_DONE: the count was raised for the metadata request */
        rc = ngx_http_s3_object_tagging_patch(r, tags);
    }

    ngx_http_s3_finalize(r, rc);
}


/*
 * OBJECT_PATCH of the version: the tag set (none: removed), and the
 * x-amz-tagging an older version kept removed with it
 */

static ngx_int_t
ngx_http_s3_object_tagging_patch(ngx_http_request_t *r, ngx_array_t *tags)
{
    ngx_str_t            version, none, patch;
    ngx_http_s3_ctx_t   *ctx;
    ngx_http_s3_wbuf_t   b, pb;

    ctx = ngx_http_s3_get_ctx(r);

    (void) ngx_http_s3_tagging_version(r, &version);
    ngx_str_null(&none);

    if (ngx_http_s3_wbuf_init(&pb, r->pool, 256) != NGX_OK) {
        return ngx_http_s3_send_error(r, NGX_HTTP_S3_ERR_INTERNAL, NULL);
    }

    ngx_http_s3_record_put_pairs(&pb, NGX_HTTP_S3_FIELD_TAGS, tags, 1);
    ngx_http_s3_record_put_field(&pb, NGX_HTTP_S3_FIELD_TAGGING, &none);

    patch.data = pb.start;
    patch.len = pb.pos - pb.start;

    if (pb.error
        || ngx_http_s3_wbuf_init(&b, r->pool, 32 + ctx->bucket.len
                                              + ctx->key.len + version.len
                                              + patch.len)
           != NGX_OK)
    {
        return ngx_http_s3_send_error(r, NGX_HTTP_S3_ERR_INTERNAL, NULL);
    }

    ngx_http_s3_wire_put_str(&b, &ctx->bucket);
    ngx_http_s3_wire_put_str(&b, &ctx->key);
    ngx_http_s3_wire_put_str(&b, &version);
    ngx_http_s3_wire_put_u8(&b, 0);
    ngx_http_s3_wire_put_str(&b, &patch);

    if (b.error
        || ngx_http_s3_meta_call(r, NGX_HTTP_S3_WIRE_OP_OBJECT_PATCH, &b,
                                 ngx_http_s3_object_tagging_handler, r)
           != NGX_OK)
    {
        return ngx_http_s3_send_error(r, NGX_HTTP_S3_ERR_INTERNAL, NULL);
    }

    r->main->count++;

    return NGX_DONE;
}


static void
ngx_http_s3_object_tagging_handler(ngx_http_s3_meta_req_t *mr)
{
    ngx_int_t              rc;
    ngx_http_s3_ctx_t     *ctx;
    ngx_http_request_t    *r;
    ngx_http_s3_object_t   o;

    r = mr->data;
    ctx = ngx_http_s3_get_ctx(r);

    if (mr->status != NGX_HTTP_S3_WIRE_ST_OK) {
        rc = ngx_http_s3_send_error(r, ngx_http_s3_meta_error(mr->status),
                                    NULL);
        goto done;
    }

    if (ngx_http_s3_object_decode(&mr->reply, &o, NULL) != NGX_OK
        || ngx_http_s3_tagging_version_out(r, &o) != NGX_OK)
    {
        rc = ngx_http_s3_send_error(r, NGX_HTTP_S3_ERR_INTERNAL, NULL);
        goto done;
    }

    rc = ngx_http_s3_send_empty(r, (ctx->op
                                    == NGX_HTTP_S3_OP_DELETE_OBJECT_TAGGING)
                                   ? NGX_HTTP_NO_CONTENT : NGX_HTTP_OK);

done:

    ngx_http_s3_finalize(r, rc);
}


/*
 * versionId: empty when absent; an empty one is not a version id.
 * Without versioning only the current version ("null") is found.
 */

static ngx_int_t
ngx_http_s3_tagging_version(ngx_http_request_t *r, ngx_str_t *version)
{
    ngx_int_t  rc;

    rc = ngx_http_s3_arg_decoded(r, "versionId", version);

    if (rc == NGX_DECLINED) {
        ngx_str_null(version);
        return NGX_OK;
    }

    if (rc != NGX_OK || version->len == 0) {
        ngx_str_null(version);
        return NGX_ERROR;
    }

    return NGX_OK;
}


/* x-amz-version-id when the version has an id that is not "null" */

static ngx_int_t
ngx_http_s3_tagging_version_out(ngx_http_request_t *r,
    ngx_http_s3_object_t *o)
{
    if (o->version.len == 0
        || (o->version.len == 4
            && ngx_strncmp(o->version.data, "null", 4) == 0))
    {
        return NGX_OK;
    }

    return ngx_http_s3_add_header(r, "x-amz-version-id", &o->version);
}


/* x-amz-tagging-count of GetObject and HeadObject, when it has tags */

ngx_int_t
ngx_http_s3_tagging_count(ngx_http_request_t *r, ngx_http_s3_object_t *o)
{
    u_char       *p;
    ngx_str_t     v;
    ngx_array_t  *tags;

    if (o->tags == NULL && o->tagging.len == 0) {
        return NGX_OK;
    }

    if (ngx_http_s3_tags_of_object(r->pool, o, &tags, NULL) != NGX_OK) {
        return NGX_ERROR;
    }

    if (tags->nelts == 0) {
        return NGX_OK;
    }

    p = ngx_pnalloc(r->pool, NGX_INT_T_LEN);
    if (p == NULL) {
        return NGX_ERROR;
    }

    v.data = p;
    v.len = ngx_sprintf(p, "%ui", tags->nelts) - p;

    return (ngx_http_s3_push_header(r, "x-amz-tagging-count", &v) != NULL)
           ? NGX_OK : NGX_ERROR;
}


/* GetBucketTagging, PutBucketTagging, DeleteBucketTagging */

ngx_int_t
ngx_http_s3_get_bucket_tagging(ngx_http_request_t *r)
{
    return ngx_http_s3_meta_setting(r, "tagging", NULL,
                                    ngx_http_s3_get_bucket_tagging_handler);
}


ngx_int_t
ngx_http_s3_put_bucket_tagging(ngx_http_request_t *r)
{
    ngx_int_t  rc;

    rc = ngx_http_s3_read_xml_body(r, ngx_http_s3_put_bucket_tagging_body,
                                   0);

    if (rc != NGX_OK) {
        return rc;
    }

    return NGX_DONE;
}


ngx_int_t
ngx_http_s3_delete_bucket_tagging(ngx_http_request_t *r)
{
    ngx_str_t  none;

    ngx_str_null(&none);

    return ngx_http_s3_meta_setting(r, "tagging", &none,
                                    ngx_http_s3_bucket_tagging_handler);
}


static void
ngx_http_s3_put_bucket_tagging_body(ngx_http_request_t *r, ngx_str_t *body)
{
    ngx_int_t            rc;
    ngx_str_t            value;
    ngx_array_t         *tags;
    ngx_http_s3_wbuf_t   b;

    tags = ngx_http_s3_tagging_parse(r, body, NGX_HTTP_S3_TAGS_BUCKET_MAX,
                                     &rc);

    if (tags == NULL) {
        ngx_http_s3_finalize(r, rc);
        return;
    }

    if (ngx_http_s3_wbuf_init(&b, r->pool, body->len + 64) != NGX_OK) {
        ngx_http_s3_finalize(r, ngx_http_s3_send_error(r,
                                        NGX_HTTP_S3_ERR_INTERNAL, NULL));
        return;
    }

    ngx_http_s3_pairs_encode(&b, tags);

    if (b.error) {
        ngx_http_s3_finalize(r, ngx_http_s3_send_error(r,
                                        NGX_HTTP_S3_ERR_INTERNAL, NULL));
        return;
    }

    value.data = b.start;
    value.len = b.pos - b.start;

    /* an empty tag set is no tag set: the setting goes */

    rc = ngx_http_s3_meta_setting(r, "tagging", &value,
                                  ngx_http_s3_bucket_tagging_handler);

    /* NGX_DONE: the count was raised for the metadata request */

    ngx_http_s3_finalize(r, rc);
}


static void
ngx_http_s3_bucket_tagging_handler(ngx_http_s3_meta_req_t *mr)
{
    ngx_int_t            rc;
    ngx_http_request_t  *r;

    r = mr->data;

    if (mr->status != NGX_HTTP_S3_WIRE_ST_OK) {
        rc = ngx_http_s3_send_error(r, ngx_http_s3_meta_error(mr->status),
                                    NULL);

    } else {
        rc = ngx_http_s3_send_empty(r, NGX_HTTP_NO_CONTENT);
    }

    ngx_http_s3_finalize(r, rc);
}


static void
ngx_http_s3_get_bucket_tagging_handler(ngx_http_s3_meta_req_t *mr)
{
    ngx_int_t            rc;
    ngx_str_t            value;
    ngx_array_t         *tags;
    ngx_http_s3_ctx_t   *ctx;
    ngx_http_request_t  *r;
    ngx_http_s3_rbuf_t   rb;

    r = mr->data;
    ctx = ngx_http_s3_get_ctx(r);

    if (mr->status == NGX_HTTP_S3_WIRE_ST_NO_KEY) {
        rc = ngx_http_s3_send_error(r, NGX_HTTP_S3_ERR_NO_SUCH_TAG_SET, NULL);
        goto done;
    }

    if (mr->status != NGX_HTTP_S3_WIRE_ST_OK) {
        rc = ngx_http_s3_send_error(r, ngx_http_s3_meta_error(mr->status),
                                    NULL);
        goto done;
    }

    ngx_http_s3_rbuf_init(&rb, &mr->reply);
    ngx_http_s3_wire_get_str(&rb, &value);

    if (rb.error
        || ngx_http_s3_pairs_decode(&value, &tags, r->pool) != NGX_OK)
    {
        ngx_log_error(NGX_LOG_ALERT, r->connection->log, 0,
                      "s3 bucket \"%V\": bad tagging setting", &ctx->bucket);
        rc = ngx_http_s3_send_error(r, NGX_HTTP_S3_ERR_INTERNAL, NULL);
        goto done;
    }

    rc = ngx_http_s3_tagging_send(r, tags);

done:

    ngx_http_s3_finalize(r, rc);
}


/*
 * a Tagging document: the tag set, or NULL when MalformedXML or
 * InvalidTag was sent (*rc: what sending it returned)
 */

static ngx_array_t *
ngx_http_s3_tagging_parse(ngx_http_request_t *r, ngx_str_t *body,
    ngx_uint_t max, ngx_int_t *rc)
{
    const char   *message;
    ngx_array_t  *tags;

    if (ngx_http_s3_xml_parse_tagging(r->pool, body->data, body->len, &tags)
        != NGX_OK)
    {
        *rc = ngx_http_s3_send_error(r, NGX_HTTP_S3_ERR_MALFORMED_XML, NULL);
        return NULL;
    }

    message = NULL;

    if (ngx_http_s3_tags_check(tags, max, &message) != NGX_OK) {
        *rc = ngx_http_s3_send_error(r, NGX_HTTP_S3_ERR_INVALID_TAG,
                                     message);
        return NULL;
    }

    return tags;
}


/* <Tagging><TagSet><Tag><Key>..</Key><Value>..</Value></Tag>... */

static ngx_int_t
ngx_http_s3_tagging_send(ngx_http_request_t *r, ngx_array_t *tags)
{
    ngx_uint_t           i;
    ngx_chain_t         *cl;
    ngx_http_s3_xml_t    w;
    ngx_http_s3_pair_t  *t;

    ngx_http_s3_xml_init(&w, r->pool);
    ngx_http_s3_xml_root(&w, "Tagging");
    ngx_http_s3_xml_open(&w, "TagSet");

    t = tags->elts;

    for (i = 0; i < tags->nelts; i++) {
        ngx_http_s3_xml_open(&w, "Tag");
        ngx_http_s3_xml_text(&w, "Key", t[i].name.data, t[i].name.len);
        ngx_http_s3_xml_text(&w, "Value", t[i].value.data, t[i].value.len);
        ngx_http_s3_xml_close(&w, "Tag");
    }

    ngx_http_s3_xml_close(&w, "TagSet");
    ngx_http_s3_xml_close(&w, "Tagging");

    cl = ngx_http_s3_xml_finish(&w);
    if (cl == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return ngx_http_s3_send_xml(r, NGX_HTTP_OK, cl);
}
