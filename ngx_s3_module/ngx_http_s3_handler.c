
/*
 * Copyright (C) ngx_s3 authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_s3.h"
#include "ngx_http_s3_ops.h"


/*
 * The routing table: every S3 operation the module answers, in one place.
 * A request matches a row by method, by whether it names a bucket and a
 * key, by its sub-resource (the first query argument that is one of
 * ngx_http_s3_subresources, or none), and for a row flagged
 * NGX_HTTP_S3_COPY by the presence of x-amz-copy-source (CopyObject is a
 * PUT with it); the first row that matches wins.  The first column is the
 * operation's name in S3's API reference: $s3_operation and the metrics'
 * label; the last column is the action the operation is, which says what
 * permission it takes (ngx_http_s3_access.c).
 */

#define NGX_HTTP_S3_NO_BUCKET   0
#define NGX_HTTP_S3_BUCKET      1
#define NGX_HTTP_S3_KEY         2
#define NGX_HTTP_S3_ANY         3       /* any of the three */

/* route flags: request headers checked here for every such operation */
#define NGX_HTTP_S3_ACL         0x01    /* x-amz-acl is a canned ACL */
#define NGX_HTTP_S3_COPY        0x02    /* only with x-amz-copy-source */
#define NGX_HTTP_S3_LOCK        0x04    /* the bucket's object lock flags */
#define NGX_HTTP_S3_NOAUTH      0x08    /* runs before authentication: a
                                           preflight is anonymous, a POST
                                           form carries its signature */


typedef struct {
    const char                *name;       /* S3's name: $s3_operation */
    ngx_uint_t                 method;
    ngx_uint_t                 target;
    const char                *sub;
    ngx_http_s3_op_e           op;
    ngx_int_t                (*handler)(ngx_http_request_t *r);
    ngx_uint_t                 flags;
    ngx_http_s3_action_e       action;     /* what permission it takes */
} ngx_http_s3_route_t;


static ngx_int_t ngx_http_s3_parse(ngx_http_request_t *r,
    ngx_http_s3_ctx_t *ctx, ngx_http_s3_loc_conf_t *slcf);
static ngx_int_t ngx_http_s3_decode_part(ngx_http_request_t *r, u_char *p,
    u_char *last, ngx_str_t *out);
static ngx_http_s3_route_t *ngx_http_s3_route(ngx_http_request_t *r,
    ngx_http_s3_ctx_t *ctx, ngx_uint_t *known_sub);
static ngx_uint_t ngx_http_s3_sent_method(ngx_http_request_t *r);
static ngx_uint_t ngx_http_s3_bucket_name_ok(ngx_http_request_t *r,
    ngx_http_s3_ctx_t *ctx);
static ngx_int_t ngx_http_s3_set_resource(ngx_http_request_t *r,
    ngx_http_s3_ctx_t *ctx);
static ngx_int_t ngx_http_s3_send_bad_acl(ngx_http_request_t *r,
    ngx_str_t *value);


/* query arguments that select an operation (S3 "sub-resources") */

static ngx_str_t  ngx_http_s3_subresources[] = {
    ngx_string("accelerate"),
    ngx_string("acl"),
    ngx_string("analytics"),
    ngx_string("attributes"),
    ngx_string("cors"),
    ngx_string("delete"),
    ngx_string("encryption"),
    ngx_string("intelligent-tiering"),
    ngx_string("inventory"),
    ngx_string("legal-hold"),
    ngx_string("lifecycle"),
    ngx_string("list-type"),
    ngx_string("location"),
    ngx_string("logging"),
    ngx_string("metrics"),
    ngx_string("notification"),
    ngx_string("object-lock"),
    ngx_string("ownershipControls"),
    ngx_string("policy"),
    ngx_string("policyStatus"),
    ngx_string("publicAccessBlock"),
    ngx_string("replication"),
    ngx_string("requestPayment"),
    ngx_string("restore"),
    ngx_string("retention"),
    ngx_string("select"),
    ngx_string("tagging"),
    ngx_string("torrent"),
    ngx_string("uploadId"),
    ngx_string("uploads"),
    ngx_string("versioning"),
    ngx_string("versions"),
    ngx_string("website"),
    ngx_null_string
};


static ngx_http_s3_route_t  ngx_http_s3_routes[] = {

    { "ListBuckets", NGX_HTTP_GET, NGX_HTTP_S3_NO_BUCKET, NULL,
      NGX_HTTP_S3_OP_LIST_BUCKETS, ngx_http_s3_list_buckets, 0,
      NGX_HTTP_S3_ACT_LIST_ALL_MY_BUCKETS },

    { "CreateBucket", NGX_HTTP_PUT, NGX_HTTP_S3_BUCKET, NULL,
      NGX_HTTP_S3_OP_CREATE_BUCKET, ngx_http_s3_create_bucket,
      NGX_HTTP_S3_ACL, NGX_HTTP_S3_ACT_CREATE_BUCKET },

    { "DeleteBucket", NGX_HTTP_DELETE, NGX_HTTP_S3_BUCKET, NULL,
      NGX_HTTP_S3_OP_DELETE_BUCKET, ngx_http_s3_delete_bucket, 0,
      NGX_HTTP_S3_ACT_DELETE_BUCKET },

    { "HeadBucket", NGX_HTTP_HEAD, NGX_HTTP_S3_BUCKET, NULL,
      NGX_HTTP_S3_OP_HEAD_BUCKET, ngx_http_s3_head_bucket, 0,
      NGX_HTTP_S3_ACT_LIST_BUCKET },

    { "GetBucketLocation", NGX_HTTP_GET, NGX_HTTP_S3_BUCKET, "location",
      NGX_HTTP_S3_OP_GET_BUCKET_LOCATION, ngx_http_s3_get_bucket_location, 0,
      NGX_HTTP_S3_ACT_GET_BUCKET_LOCATION },

    { "GetBucketVersioning", NGX_HTTP_GET, NGX_HTTP_S3_BUCKET, "versioning",
      NGX_HTTP_S3_OP_GET_BUCKET_VERSIONING,
      ngx_http_s3_get_bucket_versioning, 0,
      NGX_HTTP_S3_ACT_GET_BUCKET_VERSIONING },

    { "PutBucketVersioning", NGX_HTTP_PUT, NGX_HTTP_S3_BUCKET, "versioning",
      NGX_HTTP_S3_OP_PUT_BUCKET_VERSIONING,
      ngx_http_s3_put_bucket_versioning, 0,
      NGX_HTTP_S3_ACT_PUT_BUCKET_VERSIONING },

    { "ListObjects", NGX_HTTP_GET, NGX_HTTP_S3_BUCKET, NULL,
      NGX_HTTP_S3_OP_LIST_OBJECTS, ngx_http_s3_list_objects, 0,
      NGX_HTTP_S3_ACT_LIST_BUCKET },

    { "ListObjectsV2", NGX_HTTP_GET, NGX_HTTP_S3_BUCKET, "list-type",
      NGX_HTTP_S3_OP_LIST_OBJECTS_V2, ngx_http_s3_list_objects, 0,
      NGX_HTTP_S3_ACT_LIST_BUCKET },

    { "ListObjectVersions", NGX_HTTP_GET, NGX_HTTP_S3_BUCKET, "versions",
      NGX_HTTP_S3_OP_LIST_OBJECT_VERSIONS, ngx_http_s3_list_objects, 0,
      NGX_HTTP_S3_ACT_LIST_BUCKET_VERSIONS },

    { "DeleteObjects", NGX_HTTP_POST, NGX_HTTP_S3_BUCKET, "delete",
      NGX_HTTP_S3_OP_DELETE_OBJECTS, ngx_http_s3_delete_objects, 0,
      NGX_HTTP_S3_ACT_DELETE_OBJECT },

    { "ListMultipartUploads", NGX_HTTP_GET, NGX_HTTP_S3_BUCKET, "uploads",
      NGX_HTTP_S3_OP_LIST_MULTIPART_UPLOADS,
      ngx_http_s3_list_multipart_uploads, 0,
      NGX_HTTP_S3_ACT_LIST_BUCKET_MULTIPART_UPLOADS },

    { "PutObjectTagging", NGX_HTTP_PUT, NGX_HTTP_S3_KEY, "tagging",
      NGX_HTTP_S3_OP_PUT_OBJECT_TAGGING, ngx_http_s3_put_object_tagging, 0,
      NGX_HTTP_S3_ACT_PUT_OBJECT_TAGGING },

    { "DeleteObjectTagging", NGX_HTTP_DELETE, NGX_HTTP_S3_KEY, "tagging",
      NGX_HTTP_S3_OP_DELETE_OBJECT_TAGGING,
      ngx_http_s3_delete_object_tagging, 0,
      NGX_HTTP_S3_ACT_DELETE_OBJECT_TAGGING },
    { "PutObjectLockConfiguration", NGX_HTTP_PUT, NGX_HTTP_S3_BUCKET,
      "object-lock", NGX_HTTP_S3_OP_PUT_OBJECT_LOCK_CONFIGURATION,
      ngx_http_s3_put_object_lock_configuration, 0,
      NGX_HTTP_S3_ACT_PUT_BUCKET_OBJECT_LOCK_CONFIGURATION },

    { "GetObjectLockConfiguration", NGX_HTTP_GET, NGX_HTTP_S3_BUCKET,
      "object-lock", NGX_HTTP_S3_OP_GET_OBJECT_LOCK_CONFIGURATION,
      ngx_http_s3_get_object_lock_configuration, 0,
      NGX_HTTP_S3_ACT_GET_BUCKET_OBJECT_LOCK_CONFIGURATION },

    { "PutObjectRetention", NGX_HTTP_PUT, NGX_HTTP_S3_KEY, "retention",
      NGX_HTTP_S3_OP_PUT_OBJECT_RETENTION, ngx_http_s3_put_object_retention,
      NGX_HTTP_S3_LOCK, NGX_HTTP_S3_ACT_PUT_OBJECT_RETENTION },

    { "GetObjectRetention", NGX_HTTP_GET, NGX_HTTP_S3_KEY, "retention",
      NGX_HTTP_S3_OP_GET_OBJECT_RETENTION, ngx_http_s3_get_object_retention,
      NGX_HTTP_S3_LOCK, NGX_HTTP_S3_ACT_GET_OBJECT_RETENTION },

    { "PutObjectLegalHold", NGX_HTTP_PUT, NGX_HTTP_S3_KEY, "legal-hold",
      NGX_HTTP_S3_OP_PUT_OBJECT_LEGAL_HOLD, ngx_http_s3_put_object_legal_hold,
      NGX_HTTP_S3_LOCK, NGX_HTTP_S3_ACT_PUT_OBJECT_LEGAL_HOLD },

    { "GetObjectLegalHold", NGX_HTTP_GET, NGX_HTTP_S3_KEY, "legal-hold",
      NGX_HTTP_S3_OP_GET_OBJECT_LEGAL_HOLD, ngx_http_s3_get_object_legal_hold,
      NGX_HTTP_S3_LOCK, NGX_HTTP_S3_ACT_GET_OBJECT_LEGAL_HOLD },

    { "CopyObject", NGX_HTTP_PUT, NGX_HTTP_S3_KEY, NULL,
      NGX_HTTP_S3_OP_COPY_OBJECT, ngx_http_s3_copy_object,
      NGX_HTTP_S3_COPY|NGX_HTTP_S3_ACL|NGX_HTTP_S3_LOCK,
      NGX_HTTP_S3_ACT_PUT_OBJECT },

    { "PutObject", NGX_HTTP_PUT, NGX_HTTP_S3_KEY, NULL,
      NGX_HTTP_S3_OP_PUT_OBJECT, ngx_http_s3_put_object,
      NGX_HTTP_S3_ACL|NGX_HTTP_S3_LOCK, NGX_HTTP_S3_ACT_PUT_OBJECT },

    { "GetObjectAttributes", NGX_HTTP_GET, NGX_HTTP_S3_KEY, "attributes",
      NGX_HTTP_S3_OP_GET_OBJECT_ATTRIBUTES,
      ngx_http_s3_get_object_attributes, 0,
      NGX_HTTP_S3_ACT_GET_OBJECT_ATTRIBUTES },

    { "GetObjectTagging", NGX_HTTP_GET, NGX_HTTP_S3_KEY, "tagging",
      NGX_HTTP_S3_OP_GET_OBJECT_TAGGING, ngx_http_s3_get_object_tagging, 0,
      NGX_HTTP_S3_ACT_GET_OBJECT_TAGGING },

    { "GetObject", NGX_HTTP_GET, NGX_HTTP_S3_KEY, NULL,
      NGX_HTTP_S3_OP_GET_OBJECT, ngx_http_s3_get_object, 0,
      NGX_HTTP_S3_ACT_GET_OBJECT },

    { "HeadObject", NGX_HTTP_HEAD, NGX_HTTP_S3_KEY, NULL,
      NGX_HTTP_S3_OP_HEAD_OBJECT, ngx_http_s3_get_object, 0,
      NGX_HTTP_S3_ACT_GET_OBJECT },

    { "DeleteObject", NGX_HTTP_DELETE, NGX_HTTP_S3_KEY, NULL,
      NGX_HTTP_S3_OP_DELETE_OBJECT, ngx_http_s3_delete_object, 0,
      NGX_HTTP_S3_ACT_DELETE_OBJECT },

    { "CreateMultipartUpload", NGX_HTTP_POST, NGX_HTTP_S3_KEY, "uploads",
      NGX_HTTP_S3_OP_CREATE_MULTIPART_UPLOAD,
      ngx_http_s3_create_multipart_upload, NGX_HTTP_S3_ACL|NGX_HTTP_S3_LOCK,
      NGX_HTTP_S3_ACT_PUT_OBJECT },

    { "UploadPartCopy", NGX_HTTP_PUT, NGX_HTTP_S3_KEY, "uploadId",
      NGX_HTTP_S3_OP_UPLOAD_PART_COPY, ngx_http_s3_upload_part_copy,
      NGX_HTTP_S3_COPY, NGX_HTTP_S3_ACT_PUT_OBJECT },

    { "UploadPart", NGX_HTTP_PUT, NGX_HTTP_S3_KEY, "uploadId",
      NGX_HTTP_S3_OP_UPLOAD_PART, ngx_http_s3_upload_part, 0,
      NGX_HTTP_S3_ACT_PUT_OBJECT },

    { "CompleteMultipartUpload", NGX_HTTP_POST, NGX_HTTP_S3_KEY, "uploadId",
      NGX_HTTP_S3_OP_COMPLETE_MULTIPART_UPLOAD,
      ngx_http_s3_complete_multipart_upload, 0,
      NGX_HTTP_S3_ACT_PUT_OBJECT },

    { "AbortMultipartUpload", NGX_HTTP_DELETE, NGX_HTTP_S3_KEY, "uploadId",
      NGX_HTTP_S3_OP_ABORT_MULTIPART_UPLOAD,
      ngx_http_s3_abort_multipart_upload, 0,
      NGX_HTTP_S3_ACT_ABORT_MULTIPART_UPLOAD },

    { "ListParts", NGX_HTTP_GET, NGX_HTTP_S3_KEY, "uploadId",
      NGX_HTTP_S3_OP_LIST_PARTS, ngx_http_s3_list_parts, 0,
      NGX_HTTP_S3_ACT_LIST_MULTIPART_UPLOAD_PARTS },

    { "GetBucketAcl", NGX_HTTP_GET, NGX_HTTP_S3_BUCKET, "acl",
      NGX_HTTP_S3_OP_GET_BUCKET_ACL, ngx_http_s3_get_bucket_acl, 0,
      NGX_HTTP_S3_ACT_GET_BUCKET_ACL },

    { "PutBucketAcl", NGX_HTTP_PUT, NGX_HTTP_S3_BUCKET, "acl",
      NGX_HTTP_S3_OP_PUT_BUCKET_ACL, ngx_http_s3_put_bucket_acl,
      NGX_HTTP_S3_ACL, NGX_HTTP_S3_ACT_PUT_BUCKET_ACL },

    { "GetObjectAcl", NGX_HTTP_GET, NGX_HTTP_S3_KEY, "acl",
      NGX_HTTP_S3_OP_GET_OBJECT_ACL, ngx_http_s3_get_object_acl, 0,
      NGX_HTTP_S3_ACT_GET_OBJECT_ACL },

    { "PutObjectAcl", NGX_HTTP_PUT, NGX_HTTP_S3_KEY, "acl",
      NGX_HTTP_S3_OP_PUT_OBJECT_ACL, ngx_http_s3_put_object_acl,
      NGX_HTTP_S3_ACL, NGX_HTTP_S3_ACT_PUT_OBJECT_ACL },

    { "GetBucketPolicy", NGX_HTTP_GET, NGX_HTTP_S3_BUCKET, "policy",
      NGX_HTTP_S3_OP_GET_BUCKET_POLICY, ngx_http_s3_get_bucket_policy, 0,
      NGX_HTTP_S3_ACT_GET_BUCKET_POLICY },

    { "PutBucketPolicy", NGX_HTTP_PUT, NGX_HTTP_S3_BUCKET, "policy",
      NGX_HTTP_S3_OP_PUT_BUCKET_POLICY, ngx_http_s3_put_bucket_policy, 0,
      NGX_HTTP_S3_ACT_PUT_BUCKET_POLICY },

    { "DeleteBucketPolicy", NGX_HTTP_DELETE, NGX_HTTP_S3_BUCKET, "policy",
      NGX_HTTP_S3_OP_DELETE_BUCKET_POLICY, ngx_http_s3_delete_bucket_policy,
      0, NGX_HTTP_S3_ACT_DELETE_BUCKET_POLICY },

    { "GetBucketTagging", NGX_HTTP_GET, NGX_HTTP_S3_BUCKET, "tagging",
      NGX_HTTP_S3_OP_GET_BUCKET_TAGGING, ngx_http_s3_get_bucket_tagging, 0,
      NGX_HTTP_S3_ACT_GET_BUCKET_TAGGING },

    { "PutBucketTagging", NGX_HTTP_PUT, NGX_HTTP_S3_BUCKET, "tagging",
      NGX_HTTP_S3_OP_PUT_BUCKET_TAGGING, ngx_http_s3_put_bucket_tagging, 0,
      NGX_HTTP_S3_ACT_PUT_BUCKET_TAGGING },

    { "DeleteBucketTagging", NGX_HTTP_DELETE, NGX_HTTP_S3_BUCKET, "tagging",
      NGX_HTTP_S3_OP_DELETE_BUCKET_TAGGING,
      ngx_http_s3_delete_bucket_tagging, 0,
      NGX_HTTP_S3_ACT_PUT_BUCKET_TAGGING },
    { "GetBucketCors", NGX_HTTP_GET, NGX_HTTP_S3_BUCKET, "cors",
      NGX_HTTP_S3_OP_GET_BUCKET_CORS, ngx_http_s3_get_bucket_cors, 0,
      NGX_HTTP_S3_ACT_GET_BUCKET_CORS },

    { "PutBucketCors", NGX_HTTP_PUT, NGX_HTTP_S3_BUCKET, "cors",
      NGX_HTTP_S3_OP_PUT_BUCKET_CORS, ngx_http_s3_put_bucket_cors, 0,
      NGX_HTTP_S3_ACT_PUT_BUCKET_CORS },

    { "DeleteBucketCors", NGX_HTTP_DELETE, NGX_HTTP_S3_BUCKET, "cors",
      NGX_HTTP_S3_OP_DELETE_BUCKET_CORS, ngx_http_s3_delete_bucket_cors, 0,
      NGX_HTTP_S3_ACT_PUT_BUCKET_CORS },

    /* browser form uploads: s3:PutObject, checked once the form is read */

    { "PostObject", NGX_HTTP_POST, NGX_HTTP_S3_BUCKET, NULL,
      NGX_HTTP_S3_OP_POST_OBJECT, ngx_http_s3_post_object,
      NGX_HTTP_S3_NOAUTH, NGX_HTTP_S3_ACT_PUT_OBJECT },

    /* CORS preflights, with any sub-resource: no permission is needed */

    { "PreflightRequest", NGX_HTTP_OPTIONS, NGX_HTTP_S3_ANY, "",
      NGX_HTTP_S3_OP_PREFLIGHT, ngx_http_s3_cors_preflight,
      NGX_HTTP_S3_NOAUTH, NGX_HTTP_S3_ACT_LAST },

    { NULL, 0, 0, NULL, NGX_HTTP_S3_OP_NONE, NULL, 0, 0 }
};


static ngx_uint_t  ngx_http_s3_request_counter;


ngx_int_t
ngx_http_s3_handler(ngx_http_request_t *r)
{
    ngx_str_t                 v;
    ngx_uint_t                status, known;
    ngx_http_s3_ctx_t        *ctx;
    ngx_http_s3_route_t      *route;
    ngx_http_s3_loc_conf_t   *slcf;

    /*
     * An error_page redirect (without "="): nginx refused the request
     * before any module ran, or a handler returned a bare status.  The
     * header lines of an earlier pass go, the error is answered as S3's.
     */

    status = r->err_status;

    /*
     * A subrequest's error (a gateway read's slice whose upstream
     * failed): its answer would go out inside its main request's body;
     * the main request ends instead, and the client sees a short body
     */

    if (status && r != r->main) {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "s3: a subrequest failed with %ui, its request ends",
                      status);
        return NGX_ERROR;
    }

    if (status) {
        ngx_http_s3_clear_headers_out(r);
        r->err_status = 0;
    }

    /* a variable may have made it already (limit_req, map) */

    ctx = ngx_http_s3_get_ctx(r);

    if (ctx == NULL) {
        ctx = ngx_http_s3_create_ctx(r);
        if (ctx == NULL) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }
    }

    if (ngx_http_s3_metrics_enabled()) {
        ctx->start = ngx_http_s3_usec();
    }

    v.data = ctx->request_id;
    v.len = 16;

    if (ngx_http_s3_add_header(r, "x-amz-request-id", &v) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (status) {

        /* the resource, if the request line got that far */

        slcf = ngx_http_get_module_loc_conf(r, ngx_http_s3_module);

        if (ngx_http_s3_parse(r, ctx, slcf) != NGX_OK) {
            ngx_str_null(&ctx->bucket);
            ngx_str_null(&ctx->key);

        } else if (ngx_http_s3_set_resource(r, ctx) != NGX_OK) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;

        } else {
            route = ngx_http_s3_route(r, ctx, &known);
            ctx->op = route ? route->op : NGX_HTTP_S3_OP_NONE;
        }

        /* a gateway request's body refused on its way upstream */

        if (ctx->gw && ctx->gw->err != NGX_HTTP_S3_OK) {
            return ngx_http_s3_send_error(r, ctx->gw->err, ctx->gw->message);
        }

        return ngx_http_s3_send_status_error(r, status);
    }

    return ngx_http_s3_process(r);
}


ngx_int_t
ngx_http_s3_process(ngx_http_request_t *r)
{
    ngx_int_t                 rc;
    ngx_str_t                 v;
    ngx_uint_t                known;
    ngx_table_elt_t          *h;
    ngx_http_s3_ctx_t        *ctx;
    ngx_http_s3_err_e         err;
    ngx_http_s3_route_t      *route;
    ngx_http_s3_action_e      action;
    ngx_http_s3_loc_conf_t   *slcf;

    ctx = ngx_http_s3_get_ctx(r);
    slcf = ngx_http_get_module_loc_conf(r, ngx_http_s3_module);

    if (ngx_http_s3_parse(r, ctx, slcf) != NGX_OK) {
        return ngx_http_s3_send_error(r, NGX_HTTP_S3_ERR_INVALID_URI,
                                      "Couldn't parse the specified URI.");
    }

    if (ngx_http_s3_set_resource(r, ctx) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    /* the operation is named in the log and the metrics even if refused */

    route = ngx_http_s3_route(r, ctx, &known);
    ctx->op = route ? route->op : NGX_HTTP_S3_OP_NONE;

    /* an Origin: the CORS headers of whatever the answer is */

    if (!ctx->cors_checked
        && ngx_http_s3_cors_request(r) == NGX_AGAIN)
    {
        return ngx_http_s3_access_lookup(r);
    }

    if (route && (route->flags & NGX_HTTP_S3_NOAUTH)) {

        if (ctx->bucket.len && !ngx_http_s3_bucket_name_ok(r, ctx)) {
            return ngx_http_s3_send_error(r,
                                          NGX_HTTP_S3_ERR_INVALID_BUCKET_NAME,
                                          "The specified bucket is not "
                                          "valid.");
        }

        if (ctx->bucket.len && ngx_http_s3_gw_bucket(r)) {

            /* the upstream's CORS rules answer its buckets' preflights */

            if (route->op == NGX_HTTP_S3_OP_PREFLIGHT) {
                return ngx_http_s3_gw_handler(r);
            }

            /* a browser form's body is not a PUT's: not passed on */

            return ngx_http_s3_send_error(r, NGX_HTTP_S3_ERR_NOT_IMPLEMENTED,
                                          "POST Object is not implemented "
                                          "for buckets of the upstream.");
        }

        return route->handler(r);
    }

    err = ngx_http_s3_authenticate(r, ctx);

    if (ctx->lookup.len) {
        /* a managed key this worker does not know yet */
        return ngx_http_s3_access_lookup(r);
    }

    if (err != NGX_HTTP_S3_OK) {
        return ngx_http_s3_send_error(r, err, ctx->auth.message);
    }

    /*
     * anonymous: only what a bucket's canned ACL lets everyone do (the
     * access check below); nothing without a bucket
     */

    if (ctx->auth.access_key.len == 0
        && (ctx->bucket.len == 0
            || !ngx_http_s3_valid_bucket_name(&ctx->bucket)))
    {
        return ngx_http_s3_send_error(r, NGX_HTTP_S3_ERR_ACCESS_DENIED,
                                      "Access Denied");
    }

    if (ctx->bucket.len && !ngx_http_s3_bucket_name_ok(r, ctx)) {
        return ngx_http_s3_send_error(r, NGX_HTTP_S3_ERR_INVALID_BUCKET_NAME,
                                      "The specified bucket is not valid.");
    }

    if (ctx->key.len) {
        rc = ngx_http_s3_valid_key(&ctx->key);

        if (rc == NGX_DECLINED) {
            return ngx_http_s3_send_error(r, NGX_HTTP_S3_ERR_KEY_TOO_LONG,
                                          "Your key is too long");
        }

        if (rc != NGX_OK) {
            /* what S3 answers for a key that is not UTF-8 */
            return ngx_http_s3_send_error(r, NGX_HTTP_S3_ERR_INVALID_URI,
                                          "Couldn't parse the specified "
                                          "URI.");
        }
    }

    if (route == NULL) {
        if (ctx->auth.access_key.len == 0) {
            return ngx_http_s3_send_error(r, NGX_HTTP_S3_ERR_ACCESS_DENIED,
                                          "Access Denied");
        }

        if (!known
            && !(r->method & (NGX_HTTP_GET|NGX_HTTP_HEAD|NGX_HTTP_PUT
                              |NGX_HTTP_POST|NGX_HTTP_DELETE)))
        {
            return ngx_http_s3_send_error(r,
                                          NGX_HTTP_S3_ERR_METHOD_NOT_ALLOWED,
                                          NULL);
        }

        /* what ngx_s3 does not do, its upstream may: the operator's */

        if (ctx->auth.root
            && (r->method & (NGX_HTTP_GET|NGX_HTTP_HEAD|NGX_HTTP_PUT
                             |NGX_HTTP_POST|NGX_HTTP_DELETE))
            && ngx_http_s3_gw_bucket(r))
        {
            return ngx_http_s3_gw_handler(r);
        }

        return ngx_http_s3_send_error(r, NGX_HTTP_S3_ERR_NOT_IMPLEMENTED,
                                      "A header or query you provided "
                                      "implies functionality that is not "
                                      "implemented.");
    }

    if (route->op == NGX_HTTP_S3_OP_LIST_OBJECTS_V2
        && (ngx_http_s3_arg(r, "list-type", &v) != NGX_OK
            || v.len != 1 || v.data[0] != '2'))
    {
        return ngx_http_s3_send_error(r, NGX_HTTP_S3_ERR_INVALID_ARGUMENT,
                                      "Invalid list type");
    }

    if (route->flags & NGX_HTTP_S3_ACL) {
        h = ngx_http_s3_header_in(r, "x-amz-acl");

        if (h && !ngx_http_s3_canned_acl(&h->value)) {
            return ngx_http_s3_send_bad_acl(r, &h->value);
        }
    }

    /* the permission the operation takes: root keys have every one */

    if (!ctx->auth.root) {
        action = route->action;

        /* a version named: S3's action for versions */

        if (ngx_http_s3_arg(r, "versionId", &v) == NGX_OK) {
            if (action == NGX_HTTP_S3_ACT_GET_OBJECT) {
                action = NGX_HTTP_S3_ACT_GET_OBJECT_VERSION;

            } else if (action == NGX_HTTP_S3_ACT_DELETE_OBJECT
                       && ctx->op == NGX_HTTP_S3_OP_DELETE_OBJECT)
            {
                action = NGX_HTTP_S3_ACT_DELETE_OBJECT_VERSION;
            }
        }

        rc = ngx_http_s3_access_check(r, action);

        /* a copy reads its source too */

        if (rc == NGX_OK && (route->flags & NGX_HTTP_S3_COPY)) {
            rc = ngx_http_s3_access_copy_source(r);
        }

        if (rc == NGX_AGAIN) {
            return ngx_http_s3_access_lookup(r);
        }

        if (rc == NGX_DECLINED) {
            return ngx_http_s3_send_error(r, NGX_HTTP_S3_ERR_ACCESS_DENIED,
                                          "Access Denied");
        }

        if (rc != NGX_OK) {
            return ngx_http_s3_send_error(r, NGX_HTTP_S3_ERR_INTERNAL,
                                          NULL);
        }
    }

    /*
     * A bucket of the upstream's: the rest is the upstream's to decide.
     * A managed key's permissions there come from a local bucket of the
     * name (its owner, ACL and policy); without one, only root keys.
     */

    if (ngx_http_s3_gw_bucket(r)) {

        /* the operator's bucket: a local record for its permissions */

        if (ctx->op == NGX_HTTP_S3_OP_CREATE_BUCKET && ctx->auth.root) {
            return ngx_http_s3_gw_create_bucket(r);
        }

        if (!ctx->auth.root
            && (ctx->baccess == NULL || !ctx->baccess->found
                || ((route->flags & NGX_HTTP_S3_COPY)
                    && (ctx->saccess == NULL || !ctx->saccess->found))))
        {
            return ngx_http_s3_send_error(r, NGX_HTTP_S3_ERR_ACCESS_DENIED,
                                          "Access Denied");
        }

        return ngx_http_s3_gw_handler(r);
    }

    /* the operation needs the bucket's object lock flags, root keys too */

    if (route->flags & NGX_HTTP_S3_LOCK) {
        rc = ngx_http_s3_access_bucket_state(r);

        if (rc == NGX_AGAIN) {
            return ngx_http_s3_access_lookup(r);
        }

        if (rc != NGX_OK) {
            return ngx_http_s3_send_error(r, NGX_HTTP_S3_ERR_INTERNAL,
                                          NULL);
        }
    }

    ngx_log_debug2(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "s3 op:%ui bucket:\"%V\"", (ngx_uint_t) ctx->op,
                   &ctx->bucket);

    return route->handler(r);
}


/* ngx_s3's naming rule; an upstream's buckets may have dots too */

static ngx_uint_t
ngx_http_s3_bucket_name_ok(ngx_http_request_t *r, ngx_http_s3_ctx_t *ctx)
{
    if (ngx_http_s3_valid_bucket_name(&ctx->bucket)) {
        return 1;
    }

    return ngx_http_s3_valid_dotted_bucket_name(&ctx->bucket)
           && ngx_http_s3_gw_bucket(r);
}


/*
 * Bucket and key from the request line as sent (r->unparsed_uri): nginx's
 * own r->uri merges slashes and resolves dot segments, which would change
 * keys such as "a//b".
 */

static ngx_int_t
ngx_http_s3_parse(ngx_http_request_t *r, ngx_http_s3_ctx_t *ctx,
    ngx_http_s3_loc_conf_t *slcf)
{
    u_char     *p, *last, *slash;
    ngx_str_t   host, path;

    path.data = r->unparsed_uri.data;
    path.len = r->unparsed_uri.len;

    /* a second pass (after a lookup) starts over: PostObject set a key */
    ngx_str_null(&ctx->key);

    p = ngx_strlchr(path.data, path.data + path.len, '?');
    if (p) {
        path.len = p - path.data;
    }

    if (path.len == 0 || path.data[0] != '/') {
        return NGX_ERROR;
    }

    p = path.data + 1;
    last = path.data + path.len;

    /* virtual-hosted style: <bucket>.<s3_domain> */

    host = r->headers_in.server;

    if (slcf->domain.len && host.len > slcf->domain.len + 1
        && host.data[host.len - slcf->domain.len - 1] == '.'
        && ngx_strncasecmp(host.data + host.len - slcf->domain.len,
                           slcf->domain.data, slcf->domain.len) == 0)
    {
        ctx->bucket.data = host.data;
        ctx->bucket.len = host.len - slcf->domain.len - 1;

        return ngx_http_s3_decode_part(r, p, last, &ctx->key);
    }

    /*
     * path style: /<bucket>/<key>, split at the first '/' as sent, then
     * each part decoded: "%2F" in the bucket part is no separator (and
     * makes no valid bucket name), in the key it is a '/' of the key
     */

    slash = ngx_strlchr(p, last, '/');

    if (slash == NULL) {
        return ngx_http_s3_decode_part(r, p, last, &ctx->bucket);
    }

    if (slash == p) {
        return NGX_ERROR;
    }

    if (ngx_http_s3_decode_part(r, p, slash, &ctx->bucket) != NGX_OK) {
        return NGX_ERROR;
    }

    return ngx_http_s3_decode_part(r, slash + 1, last, &ctx->key);
}


/* a percent-decoded copy of [p, last) in the request pool */

static ngx_int_t
ngx_http_s3_decode_part(ngx_http_request_t *r, u_char *p, u_char *last,
    ngx_str_t *out)
{
    size_t   len;
    u_char  *dst;

    len = last - p;

    if (len == 0) {
        out->data = p;
        out->len = 0;
        return NGX_OK;
    }

    dst = ngx_pnalloc(r->pool, len);
    if (dst == NULL) {
        return NGX_ERROR;
    }

    if (ngx_http_s3_uri_decode(dst, &len, p, len) != NGX_OK) {
        return NGX_ERROR;
    }

    out->data = dst;
    out->len = len;

    return NGX_OK;
}


static ngx_int_t
ngx_http_s3_set_resource(ngx_http_request_t *r, ngx_http_s3_ctx_t *ctx)
{
    u_char  *p;

    ctx->resource.len = 1 + ctx->bucket.len + (ctx->key.len ? 1 : 0)
                        + ctx->key.len;

    p = ngx_pnalloc(r->pool, ctx->resource.len);
    if (p == NULL) {
        return NGX_ERROR;
    }

    ctx->resource.data = p;

    *p++ = '/';
    p = ngx_cpymem(p, ctx->bucket.data, ctx->bucket.len);

    if (ctx->key.len) {
        *p++ = '/';
        ngx_memcpy(p, ctx->key.data, ctx->key.len);
    }

    return NGX_OK;
}


/* as S3: 400 InvalidArgument naming the header and, if printable, its value */

static ngx_int_t
ngx_http_s3_send_bad_acl(ngx_http_request_t *r, ngx_str_t *value)
{
    size_t                    i;
    ngx_uint_t                n;
    ngx_http_s3_err_extra_t   extra[2];

    extra[0].name = "ArgumentName";
    ngx_str_set(&extra[0].value, "x-amz-acl");
    n = 1;

    for (i = 0; i < value->len; i++) {
        if (value->data[i] < 0x20 || value->data[i] > 0x7e) {
            break;
        }
    }

    if (i == value->len) {
        extra[1].name = "ArgumentValue";
        extra[1].value = *value;
        n = 2;
    }

    return ngx_http_s3_send_error_extra(r, NGX_HTTP_S3_ERR_INVALID_ARGUMENT,
                                        "Unknown canned ACL.", extra, n);
}


static ngx_http_s3_route_t *
ngx_http_s3_route(ngx_http_request_t *r, ngx_http_s3_ctx_t *ctx,
    ngx_uint_t *known_sub)
{
    u_char               *p, *last, *name;
    size_t                len;
    ngx_uint_t            target, method, i;
    const char           *sub;
    ngx_http_s3_route_t  *route;

    sub = NULL;

    p = r->args.data;
    last = p + r->args.len;

    while (p < last && sub == NULL) {
        name = p;

        while (p < last && *p != '=' && *p != '&') {
            p++;
        }

        len = p - name;

        /* all lowercase first: skips X-Amz-* of presigned URLs at once */

        for (i = 0; len && name[0] >= 'a' && ngx_http_s3_subresources[i].len;
             i++)
        {
            if (ngx_http_s3_subresources[i].len == len
                && ngx_strncmp(ngx_http_s3_subresources[i].data, name, len)
                   == 0)
            {
                sub = (const char *) ngx_http_s3_subresources[i].data;
                break;
            }
        }

        while (p < last && *p != '&') {
            p++;
        }

        p++;
    }

    *known_sub = (sub != NULL);

    if (ctx->bucket.len == 0) {
        target = NGX_HTTP_S3_NO_BUCKET;

    } else if (ctx->key.len == 0) {
        target = NGX_HTTP_S3_BUCKET;

    } else {
        target = NGX_HTTP_S3_KEY;
    }

    /* an error_page redirect made it a GET: the method sent counts */

    method = r->internal ? ngx_http_s3_sent_method(r) : r->method;

    for (route = ngx_http_s3_routes; route->handler; route++) {

        if (!(route->method & method)
            || (route->target != target && route->target != NGX_HTTP_S3_ANY))
        {
            continue;
        }

        if (route->sub && route->sub[0] == '\0') {
            /* any sub-resource, or none */
            return route;
        }

        if ((route->flags & NGX_HTTP_S3_COPY)
            && ngx_http_s3_header_in(r, "x-amz-copy-source") == NULL)
        {
            continue;
        }

        if (route->sub == NULL && sub == NULL) {
            return route;
        }

        if (route->sub && sub && ngx_strcmp(route->sub, sub) == 0) {
            return route;
        }
    }

    return NULL;
}


/* the method of the request line, of the routing table's methods */

static ngx_uint_t
ngx_http_s3_sent_method(ngx_http_request_t *r)
{
    u_char      *p, *last;
    ngx_uint_t   i;

    static struct {
        ngx_str_t             name;
        ngx_uint_t            method;
    } methods[] = {
        { ngx_string("GET"), NGX_HTTP_GET },
        { ngx_string("HEAD"), NGX_HTTP_HEAD },
        { ngx_string("PUT"), NGX_HTTP_PUT },
        { ngx_string("POST"), NGX_HTTP_POST },
        { ngx_string("DELETE"), NGX_HTTP_DELETE },
        { ngx_string("OPTIONS"), NGX_HTTP_OPTIONS }
    };

    p = r->request_line.data;
    last = p + r->request_line.len;

    for (i = 0; i < sizeof(methods) / sizeof(methods[0]); i++) {
        if ((size_t) (last - p) > methods[i].name.len
            && p[methods[i].name.len] == ' '
            && ngx_strncmp(p, methods[i].name.data, methods[i].name.len)
               == 0)
        {
            return methods[i].method;
        }
    }

    return r->method;
}


ngx_int_t
ngx_http_s3_arg(ngx_http_request_t *r, const char *name, ngx_str_t *value)
{
    u_char  *p, *last, *end, *eq;
    size_t   len;

    len = ngx_strlen(name);

    p = r->args.data;
    last = p + r->args.len;

    /*
     * exact, case-sensitive names: S3 has versionId and versionid apart;
     * memchr() from one '&' to the next: presigned values are long
     */

    while (p < last) {
        end = memchr(p, '&', last - p);

        if (end == NULL) {
            end = last;
        }

        if ((size_t) (end - p) >= len
            && ngx_strncmp(p, name, len) == 0
            && (p + len == end || p[len] == '='))
        {
            eq = p + len;

            value->data = (eq < end) ? eq + 1 : end;
            value->len = end - value->data;

            return NGX_OK;
        }

        p = end + 1;
    }

    return NGX_DECLINED;
}


/*
 * A query argument, percent-decoded into the request pool: NGX_OK,
 * NGX_DECLINED if absent, NGX_ERROR on a bad escape or no memory
 */

ngx_int_t
ngx_http_s3_arg_decoded(ngx_http_request_t *r, const char *name,
    ngx_str_t *value)
{
    u_char     *p;
    size_t      len;
    ngx_str_t   raw;

    ngx_str_null(value);

    if (ngx_http_s3_arg(r, name, &raw) != NGX_OK) {
        return NGX_DECLINED;
    }

    p = ngx_pnalloc(r->pool, raw.len + 1);
    if (p == NULL) {
        return NGX_ERROR;
    }

    len = raw.len;

    if (ngx_http_s3_uri_decode(p, &len, raw.data, raw.len) != NGX_OK) {
        return NGX_ERROR;
    }

    value->data = p;
    value->len = len;

    return NGX_OK;
}


ngx_int_t
ngx_http_s3_arg_present(ngx_http_request_t *r, const char *name)
{
    ngx_str_t  v;

    return ngx_http_s3_arg(r, name, &v) == NGX_OK;
}


ngx_table_elt_t *
ngx_http_s3_header_in(ngx_http_request_t *r, const char *name)
{
    size_t            len;
    ngx_uint_t        i;
    ngx_list_part_t  *part;
    ngx_table_elt_t  *h;

    len = ngx_strlen(name);

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

        if (h[i].key.len == len
            && ngx_strncasecmp(h[i].key.data, (u_char *) name, len) == 0)
        {
            return &h[i];
        }
    }

    return NULL;
}


ngx_table_elt_t *
ngx_http_s3_push_header(ngx_http_request_t *r, const char *name,
    ngx_str_t *value)
{
    ngx_table_elt_t  *h;

    h = ngx_list_push(&r->headers_out.headers);
    if (h == NULL) {
        return NULL;
    }

    h->hash = 1;
    h->key.data = (u_char *) name;
    h->key.len = ngx_strlen(name);
    h->value = *value;
    h->lowcase_key = NULL;

    return h;
}


ngx_int_t
ngx_http_s3_add_header(ngx_http_request_t *r, const char *name,
    ngx_str_t *value)
{
    return ngx_http_s3_push_header(r, name, value) ? NGX_OK : NGX_ERROR;
}


void
ngx_http_s3_finalize(ngx_http_request_t *r, ngx_int_t rc)
{
    ngx_connection_t  *c;

    c = r->connection;

    ngx_http_finalize_request(r, rc);
    ngx_http_run_posted_requests(c);
}


ngx_http_s3_ctx_t *
ngx_http_s3_get_ctx(ngx_http_request_t *r)
{
    ngx_http_s3_ctx_t  *ctx;

    ctx = ngx_http_get_module_ctx(r, ngx_http_s3_module);

    /* a gateway request in its named location, or in an error page */

    if (ctx == NULL && r == r->main) {
        ctx = ngx_http_s3_gw_stashed(r);

        if (ctx) {
            ngx_http_set_ctx(r, ctx, ngx_http_s3_module);
        }
    }

    return ctx;
}


ngx_http_s3_ctx_t *
ngx_http_s3_create_ctx(ngx_http_request_t *r)
{
    ngx_http_s3_ctx_t  *ctx;

    ctx = ngx_pcalloc(r->pool, sizeof(ngx_http_s3_ctx_t));
    if (ctx == NULL) {
        return NULL;
    }

    /*
     * set by ngx_pcalloc():
     *
     *     ctx->op = NGX_HTTP_S3_OP_NONE;
     *     ctx->error = NGX_HTTP_S3_OK;
     *     ctx->start = 0;
     */

    ctx->object_size = -1;

    /* an id unique per worker and start: pid, counter */

    (void) ngx_sprintf(ctx->request_id, "%08XD%08XD",
                       (uint32_t) ngx_pid,
                       (uint32_t) ++ngx_http_s3_request_counter);

    ngx_http_set_ctx(r, ctx, ngx_http_s3_module);

    return ctx;
}


void
ngx_http_s3_identify(ngx_http_request_t *r, ngx_http_s3_ctx_t *ctx)
{
    ngx_uint_t               known;
    ngx_http_s3_route_t     *route;
    ngx_http_s3_loc_conf_t  *slcf;

    slcf = ngx_http_get_module_loc_conf(r, ngx_http_s3_module);

    if (ngx_http_s3_parse(r, ctx, slcf) != NGX_OK) {
        ngx_str_null(&ctx->bucket);
        ngx_str_null(&ctx->key);
        return;
    }

    route = ngx_http_s3_route(r, ctx, &known);
    ctx->op = route ? route->op : NGX_HTTP_S3_OP_NONE;
}


/* the name of an operation from its row of the routing table, or NULL */

const char *
ngx_http_s3_op_name(ngx_http_s3_op_e op)
{
    ngx_http_s3_route_t  *route;

    for (route = ngx_http_s3_routes; route->handler; route++) {
        if (route->op == op) {
            return route->name;
        }
    }

    return NULL;
}
