
/*
 * Copyright (C) ngx_s3 authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_s3.h"
#include "ngx_http_s3_ops.h"


/*
 * Bucket operations: ListBuckets, CreateBucket, DeleteBucket, HeadBucket,
 * GetBucketLocation and GetBucketVersioning.  Each is one metadata
 * request; the reply becomes the S3 response.
 */


#define NGX_HTTP_S3_MAX_BUCKETS_PAGE   10000


typedef struct {
    ngx_http_request_t        *request;
    ngx_str_t                  prefix;
    ngx_str_t                  region;
    ngx_str_t                  after;       /* from continuation-token */
    ngx_uint_t                 max;
} ngx_http_s3_list_buckets_t;


static void ngx_http_s3_list_buckets_handler(ngx_http_s3_meta_req_t *mr);
static ngx_int_t ngx_http_s3_list_buckets_send(ngx_http_request_t *r,
    ngx_http_s3_list_buckets_t *lb, ngx_str_t *reply);
static void ngx_http_s3_create_bucket_body(ngx_http_request_t *r,
    ngx_str_t *body);
static ngx_http_s3_err_e ngx_http_s3_check_location(ngx_http_request_t *r,
    ngx_str_t *location, const char **message);
static void ngx_http_s3_create_bucket_handler(ngx_http_s3_meta_req_t *mr);
static void ngx_http_s3_delete_bucket_handler(ngx_http_s3_meta_req_t *mr);
static ngx_int_t ngx_http_s3_bucket_get(ngx_http_request_t *r);
static void ngx_http_s3_bucket_get_handler(ngx_http_s3_meta_req_t *mr);
static ngx_int_t ngx_http_s3_send_location(ngx_http_request_t *r,
    ngx_http_s3_bucket_t *bk);
static void ngx_http_s3_versioning_body(ngx_http_request_t *r,
    ngx_str_t *body);
static void ngx_http_s3_versioning_handler(ngx_http_s3_meta_req_t *mr);
static ngx_int_t ngx_http_s3_send_versioning(ngx_http_request_t *r,
    ngx_http_s3_bucket_t *bk);
static ngx_str_t *ngx_http_s3_bucket_region(ngx_http_request_t *r,
    ngx_http_s3_bucket_t *bk);


/* ListBuckets */

ngx_int_t
ngx_http_s3_list_buckets(ngx_http_request_t *r)
{
    u_char                      *p;
    ngx_int_t                    n;
    ngx_str_t                    v, token;
    ngx_http_s3_ctx_t           *ctx;
    ngx_http_s3_wbuf_t           b;
    ngx_http_s3_list_buckets_t  *lb;

    lb = ngx_pcalloc(r->pool, sizeof(ngx_http_s3_list_buckets_t));
    if (lb == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    lb->request = r;
    lb->max = NGX_HTTP_S3_MAX_BUCKETS_PAGE;

    switch (ngx_http_s3_arg_decoded(r, "max-buckets", &v)) {

    case NGX_OK:
        n = ngx_atoi(v.data, v.len);

        if (n < 1 || n > NGX_HTTP_S3_MAX_BUCKETS_PAGE) {
            return ngx_http_s3_send_error(r, NGX_HTTP_S3_ERR_INVALID_ARGUMENT,
                                          "Argument max-buckets must be an "
                                          "integer between 1 and 10000.");
        }

        lb->max = n;
        break;

    case NGX_ERROR:
        return ngx_http_s3_send_error(r, NGX_HTTP_S3_ERR_INVALID_ARGUMENT,
                                      "Invalid argument: max-buckets");

    default:
        break;
    }

    if (ngx_http_s3_arg_decoded(r, "prefix", &lb->prefix) == NGX_ERROR
        || ngx_http_s3_arg_decoded(r, "bucket-region", &lb->region)
           == NGX_ERROR)
    {
        return ngx_http_s3_send_error(r, NGX_HTTP_S3_ERR_INVALID_ARGUMENT,
                                      "Invalid argument: a bad escape");
    }

    switch (ngx_http_s3_arg_decoded(r, "continuation-token", &token)) {

    case NGX_OK:
        p = ngx_pnalloc(r->pool, ngx_base64_decoded_length(token.len));
        if (p == NULL) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        lb->after.data = p;

        if (token.len == 0
            || ngx_decode_base64url(&lb->after, &token) != NGX_OK
            || !ngx_http_s3_valid_bucket_name(&lb->after))
        {
            return ngx_http_s3_send_error(r, NGX_HTTP_S3_ERR_INVALID_ARGUMENT,
                                          "The continuation token provided "
                                          "is incorrect");
        }

        break;

    case NGX_ERROR:
        return ngx_http_s3_send_error(r, NGX_HTTP_S3_ERR_INVALID_ARGUMENT,
                                      "The continuation token provided "
                                      "is incorrect");

    default:
        break;
    }

    if (ngx_http_s3_wbuf_init(&b, r->pool, 64) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    /* a user sees the buckets it owns and those it has a grant on */

    ctx = ngx_http_s3_get_ctx(r);

    if (ctx->auth.user.len) {
        ngx_http_s3_wire_put_str(&b, &ctx->auth.user);
    }

    if (ngx_http_s3_meta_call(r, NGX_HTTP_S3_WIRE_OP_BUCKET_LIST, &b,
                              ngx_http_s3_list_buckets_handler, lb)
        != NGX_OK)
    {
        return ngx_http_s3_send_error(r, NGX_HTTP_S3_ERR_INTERNAL, NULL);
    }

    r->main->count++;

    return NGX_DONE;
}


static void
ngx_http_s3_list_buckets_handler(ngx_http_s3_meta_req_t *mr)
{
    ngx_int_t                    rc;
    ngx_http_request_t          *r;
    ngx_http_s3_list_buckets_t  *lb;

    lb = mr->data;
    r = lb->request;

    if (mr->status != NGX_HTTP_S3_WIRE_ST_OK) {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "s3 bucket list failed: %s",
                      ngx_http_s3_meta_status_text(mr->status));

        rc = ngx_http_s3_send_error(r, ngx_http_s3_meta_error(mr->status),
                                    NULL);

    } else {
        rc = ngx_http_s3_list_buckets_send(r, lb, &mr->reply);
    }

    ngx_http_s3_finalize(r, rc);
}


static ngx_int_t
ngx_http_s3_list_buckets_send(ngx_http_request_t *r,
    ngx_http_s3_list_buckets_t *lb, ngx_str_t *reply)
{
    u_char                iso[NGX_HTTP_S3_ISO8601_LEN];
    uint32_t              i, n;
    ngx_str_t             rec, token, *region;
    ngx_uint_t            count, more;
    ngx_chain_t          *cl;
    ngx_http_s3_ctx_t    *ctx;
    ngx_http_s3_xml_t     w;
    ngx_http_s3_rbuf_t    rb;
    ngx_http_s3_bucket_t  bk, last;

    ctx = ngx_http_s3_get_ctx(r);

    ngx_http_s3_rbuf_init(&rb, reply);
    n = ngx_http_s3_wire_get_u32(&rb);

    ngx_http_s3_xml_init(&w, r->pool);
    ngx_http_s3_xml_root(&w, "ListAllMyBucketsResult");

    /* a user: its id and display name; the operator: the root key */

    ngx_http_s3_xml_open(&w, "Owner");

    if (ctx->auth.user.len) {
        ngx_http_s3_xml_text(&w, "ID", ctx->auth.user.data,
                             ctx->auth.user.len);
        ngx_http_s3_xml_text(&w, "DisplayName", ctx->auth.display.data,
                             ctx->auth.display.len);

    } else {
        ngx_http_s3_xml_text(&w, "ID", ctx->auth.access_key.data,
                             ctx->auth.access_key.len);
        ngx_http_s3_xml_text(&w, "DisplayName", ctx->auth.access_key.data,
                             ctx->auth.access_key.len);
    }

    ngx_http_s3_xml_close(&w, "Owner");

    ngx_http_s3_xml_open(&w, "Buckets");

    count = 0;
    more = 0;
    ngx_memzero(&last, sizeof(ngx_http_s3_bucket_t));

    /* the records come in name order */

    for (i = 0; i < n; i++) {
        ngx_http_s3_wire_get_str(&rb, &rec);

        if (rb.error || ngx_http_s3_bucket_decode(&rec, &bk) != NGX_OK) {
            ngx_log_error(NGX_LOG_ALERT, r->connection->log, 0,
                          "s3 bucket list: bad record");
            return ngx_http_s3_send_error(r, NGX_HTTP_S3_ERR_INTERNAL, NULL);
        }

        if (lb->after.len
            && ngx_memn2cmp(bk.name.data, lb->after.data, bk.name.len,
                            lb->after.len) <= 0)
        {
            continue;
        }

        if (lb->prefix.len
            && (bk.name.len < lb->prefix.len
                || ngx_memcmp(bk.name.data, lb->prefix.data, lb->prefix.len)
                   != 0))
        {
            continue;
        }

        region = ngx_http_s3_bucket_region(r, &bk);

        if (lb->region.len
            && (region->len != lb->region.len
                || ngx_memcmp(region->data, lb->region.data, region->len)
                   != 0))
        {
            continue;
        }

        if (count == lb->max) {
            more = 1;
            break;
        }

        count++;
        last = bk;

        ngx_http_s3_xml_open(&w, "Bucket");
        ngx_http_s3_xml_text(&w, "Name", bk.name.data, bk.name.len);
        ngx_http_s3_time_iso8601(iso, bk.created);
        ngx_http_s3_xml_text(&w, "CreationDate", iso, sizeof(iso));
        ngx_http_s3_xml_text(&w, "BucketRegion", region->data, region->len);
        ngx_http_s3_xml_close(&w, "Bucket");
    }

    ngx_http_s3_xml_close(&w, "Buckets");

    if (more) {
        token.len = ngx_base64_encoded_length(last.name.len);
        token.data = ngx_pnalloc(r->pool, token.len);
        if (token.data == NULL) {
            return ngx_http_s3_send_error(r, NGX_HTTP_S3_ERR_INTERNAL, NULL);
        }

        ngx_encode_base64url(&token, &last.name);
        ngx_http_s3_xml_text(&w, "ContinuationToken", token.data, token.len);
    }

    if (lb->prefix.data) {
        ngx_http_s3_xml_text(&w, "Prefix", lb->prefix.data, lb->prefix.len);
    }

    ngx_http_s3_xml_close(&w, "ListAllMyBucketsResult");

    cl = ngx_http_s3_xml_finish(&w);
    if (cl == NULL) {
        return ngx_http_s3_send_error(r, NGX_HTTP_S3_ERR_INTERNAL, NULL);
    }

    return ngx_http_s3_send_xml(r, NGX_HTTP_OK, cl);
}


static ngx_str_t *
ngx_http_s3_bucket_region(ngx_http_request_t *r, ngx_http_s3_bucket_t *bk)
{
    ngx_http_s3_main_conf_t  *smcf;

    if (bk->region.len) {
        return &bk->region;
    }

    smcf = ngx_http_get_module_main_conf(r, ngx_http_s3_module);

    return &smcf->region;
}


/* CreateBucket */

ngx_int_t
ngx_http_s3_create_bucket(ngx_http_request_t *r)
{
    ngx_int_t         rc;
    ngx_table_elt_t  *h;

    /* x-amz-bucket-object-lock-enabled: "true" (any case), or not */

    h = ngx_http_s3_header_in(r, "x-amz-bucket-object-lock-enabled");

    if (h && !(h->value.len == 4
               && ngx_strncasecmp(h->value.data, (u_char *) "true", 4) == 0)
        && !(h->value.len == 5
             && ngx_strncasecmp(h->value.data, (u_char *) "false", 5) == 0))
    {
        return ngx_http_s3_send_error(r, NGX_HTTP_S3_ERR_INVALID_ARGUMENT,
                                      "Invalid x-amz-bucket-object-lock-"
                                      "enabled header value");
    }

    /* a canned ACL: who else may read or write (ngx_http_s3_access.c) */

    h = ngx_http_s3_header_in(r, "x-amz-acl");

    if (h && ngx_http_s3_access_bucket_acl(&h->value) < 0) {
        return ngx_http_s3_send_error(r, NGX_HTTP_S3_ERR_NOT_IMPLEMENTED,
                                      "This canned ACL is not implemented "
                                      "for buckets.");
    }

    if (ngx_http_s3_header_in(r, "x-amz-grant-read")
        || ngx_http_s3_header_in(r, "x-amz-grant-write")
        || ngx_http_s3_header_in(r, "x-amz-grant-read-acp")
        || ngx_http_s3_header_in(r, "x-amz-grant-write-acp")
        || ngx_http_s3_header_in(r, "x-amz-grant-full-control"))
    {
        return ngx_http_s3_send_error(r, NGX_HTTP_S3_ERR_NOT_IMPLEMENTED,
                                      "ACL grants are not implemented.");
    }

    rc = ngx_http_s3_read_xml_body(r, ngx_http_s3_create_bucket_body, 0);

    if (rc != NGX_OK) {
        return rc;
    }

    return NGX_DONE;
}


static void
ngx_http_s3_create_bucket_body(ngx_http_request_t *r, ngx_str_t *body)
{
    ngx_str_t           location;
    const char         *message;
    ngx_http_s3_err_e   err;

    if (ngx_http_s3_xml_parse_create_bucket(r->pool, body->data, body->len,
                                            &location)
        != NGX_OK)
    {
        ngx_http_s3_finalize(r, ngx_http_s3_send_error(r,
                                        NGX_HTTP_S3_ERR_MALFORMED_XML, NULL));
        return;
    }

    err = ngx_http_s3_check_location(r, &location, &message);

    if (err != NGX_HTTP_S3_OK) {
        ngx_http_s3_finalize(r, ngx_http_s3_send_error(r, err, message));
        return;
    }

    if (ngx_http_s3_bucket_create_record(r,
                                         ngx_http_s3_create_bucket_handler)
        != NGX_OK)
    {
        ngx_http_s3_finalize(r, ngx_http_s3_send_error(r,
                                        NGX_HTTP_S3_ERR_INTERNAL, NULL));
        return;
    }

    /* the handler finalizes the request */
}


/*
 * The bucket's record, made by this request's key (a gateway bucket's
 * too: its owner and permissions are local): BUCKET_CREATE, whose reply
 * goes to handler.  NGX_OK, or NGX_ERROR (nothing sent).
 */

ngx_int_t
ngx_http_s3_bucket_create_record(ngx_http_request_t *r,
    ngx_http_s3_meta_handler_pt handler)
{
    size_t                    size;
    ngx_str_t                 rec;
    ngx_time_t               *tp;
    ngx_table_elt_t          *h;
    ngx_http_s3_ctx_t        *ctx;
    ngx_http_s3_wbuf_t        b, rb;
    ngx_http_s3_bucket_t      bk;
    ngx_http_s3_main_conf_t  *smcf;

    ctx = ngx_http_s3_get_ctx(r);
    smcf = ngx_http_get_module_main_conf(r, ngx_http_s3_module);

    tp = ngx_timeofday();

    ngx_memzero(&bk, sizeof(ngx_http_s3_bucket_t));

    bk.name = ctx->bucket;
    bk.created = (uint64_t) tp->sec * 1000 + tp->msec;
    bk.region = smcf->region;
    bk.owner = ctx->auth.access_key;
    bk.owner_user = ctx->auth.user;

    h = ngx_http_s3_header_in(r, "x-amz-acl");

    if (h) {
        bk.acl = (ngx_uint_t) ngx_http_s3_access_bucket_acl(&h->value);
    }
    bk.versioning = NGX_HTTP_S3_VERSIONING_OFF;
    bk.object_lock = 0;

    /* object lock turns versioning on for good */

    h = ngx_http_s3_header_in(r, "x-amz-bucket-object-lock-enabled");

    if (h && h->value.len == 4
        && ngx_strncasecmp(h->value.data, (u_char *) "true", 4) == 0)
    {
        bk.versioning = NGX_HTTP_S3_VERSIONING_ENABLED;
        bk.object_lock = NGX_HTTP_S3_LOCK_ENABLED;
    }

    size = 64 + bk.name.len + bk.region.len + bk.owner.len
           + bk.owner_user.len;

    if (ngx_http_s3_wbuf_init(&rb, r->pool, size) != NGX_OK
        || ngx_http_s3_wbuf_init(&b, r->pool, size + bk.name.len + 8)
           != NGX_OK)
    {
        return NGX_ERROR;
    }

    ngx_http_s3_bucket_encode(&rb, &bk);

    rec.data = rb.start;
    rec.len = rb.pos - rb.start;

    ngx_http_s3_wire_put_str(&b, &ctx->bucket);
    ngx_http_s3_wire_put_str(&b, &rec);

    if (rb.error
        || ngx_http_s3_meta_call(r, NGX_HTTP_S3_WIRE_OP_BUCKET_CREATE, &b,
                                 handler, r)
           != NGX_OK)
    {
        return NGX_ERROR;
    }

    return NGX_OK;
}


/*
 * The LocationConstraint must name the region of this endpoint, as an
 * AWS regional endpoint requires; none at all means us-east-1.  A region
 * name that is not ours is IllegalLocationConstraintException, something
 * that is no region name at all is InvalidLocationConstraint.
 */

static ngx_http_s3_err_e
ngx_http_s3_check_location(ngx_http_request_t *r, ngx_str_t *location,
    const char **message)
{
    u_char                   *p, *last, *msg;
    size_t                    len;
    ngx_uint_t                hyphen;
    ngx_http_s3_main_conf_t  *smcf;

    smcf = ngx_http_get_module_main_conf(r, ngx_http_s3_module);

    *message = NULL;

    if (location->len == 0) {
        if (smcf->region.len == sizeof("us-east-1") - 1
            && ngx_strncmp(smcf->region.data, "us-east-1", smcf->region.len)
               == 0)
        {
            return NGX_HTTP_S3_OK;
        }

        return NGX_HTTP_S3_ERR_ILLEGAL_LOCATION;
    }

    if (location->len == smcf->region.len
        && ngx_strncmp(location->data, smcf->region.data, location->len) == 0)
    {
        return NGX_HTTP_S3_OK;
    }

    /* a region name: lowercase letters, digits, hyphens; or "EU" */

    hyphen = 0;
    last = location->data + location->len;

    for (p = location->data; p < last; p++) {
        if (*p == '-') {
            hyphen = 1;
            continue;
        }

        if ((*p < 'a' || *p > 'z') && (*p < '0' || *p > '9')) {
            break;
        }
    }

    if ((p < last || !hyphen || location->len > 32)
        && !(location->len == 2 && location->data[0] == 'E'
             && location->data[1] == 'U'))
    {
        return NGX_HTTP_S3_ERR_INVALID_LOCATION;
    }

    len = sizeof("The  location constraint is incompatible for the region "
                 "specific endpoint this request was sent to.")
          + location->len;

    msg = ngx_pnalloc(r->pool, len);
    if (msg != NULL) {
        (void) ngx_snprintf(msg, len, "The %V location constraint is "
                            "incompatible for the region specific endpoint "
                            "this request was sent to.%Z", location);
        *message = (const char *) msg;
    }

    return NGX_HTTP_S3_ERR_ILLEGAL_LOCATION;
}


static void
ngx_http_s3_create_bucket_handler(ngx_http_s3_meta_req_t *mr)
{
    u_char                *p;
    ngx_int_t              rc;
    ngx_str_t              loc;
    ngx_http_s3_ctx_t     *ctx;
    ngx_http_request_t    *r;
    ngx_http_s3_bucket_t   bk;

    r = mr->data;
    ctx = ngx_http_s3_get_ctx(r);

    switch (mr->status) {

    case NGX_HTTP_S3_WIRE_ST_OK:

        loc.len = 1 + ctx->bucket.len;
        loc.data = ngx_pnalloc(r->pool, loc.len);
        if (loc.data == NULL) {
            rc = NGX_ERROR;
            break;
        }

        p = loc.data;
        *p++ = '/';
        ngx_memcpy(p, ctx->bucket.data, ctx->bucket.len);

        /*
         * in the header list, not r->headers_out.location: nginx would make
         * a relative location absolute
         */

        if (ngx_http_s3_add_header(r, "Location", &loc) != NGX_OK) {
            rc = NGX_ERROR;
            break;
        }

        rc = ngx_http_s3_send_empty(r, NGX_HTTP_OK);
        break;

    case NGX_HTTP_S3_WIRE_ST_EXISTS:

        /* the owner: a user, or the operator (every root key) */

        if (ngx_http_s3_bucket_decode(&mr->reply, &bk) == NGX_OK
            && bk.owner_user.len == ctx->auth.user.len
            && (bk.owner_user.len == 0
                || ngx_strncmp(bk.owner_user.data, ctx->auth.user.data,
                               bk.owner_user.len) == 0))
        {
            rc = ngx_http_s3_send_error(r,
                                        NGX_HTTP_S3_ERR_BUCKET_ALREADY_OWNED,
                                        NULL);

        } else {
            rc = ngx_http_s3_send_error(r,
                                        NGX_HTTP_S3_ERR_BUCKET_ALREADY_EXISTS,
                                        NULL);
        }

        break;

    default:

        if (mr->status != NGX_HTTP_S3_WIRE_ST_UNAVAILABLE) {
            ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                          "s3 create bucket \"%V\" failed: %s", &ctx->bucket,
                          ngx_http_s3_meta_status_text(mr->status));
        }

        rc = ngx_http_s3_send_error(r, ngx_http_s3_meta_error(mr->status),
                                    NULL);
        break;
    }

    ngx_http_s3_finalize(r, rc);
}


/* DeleteBucket */

ngx_int_t
ngx_http_s3_delete_bucket(ngx_http_request_t *r)
{
    return ngx_http_s3_meta_named(r, NGX_HTTP_S3_WIRE_OP_BUCKET_DELETE, 0,
                                  ngx_http_s3_delete_bucket_handler, r);
}


static void
ngx_http_s3_delete_bucket_handler(ngx_http_s3_meta_req_t *mr)
{
    ngx_int_t            rc;
    ngx_http_request_t  *r;

    r = mr->data;

    if (mr->status == NGX_HTTP_S3_WIRE_ST_OK) {
        rc = ngx_http_s3_send_empty(r, NGX_HTTP_NO_CONTENT);

    } else {
        rc = ngx_http_s3_send_error(r, ngx_http_s3_meta_error(mr->status),
                                    NULL);
    }

    ngx_http_s3_finalize(r, rc);
}


/* HeadBucket, GetBucketLocation, GetBucketVersioning: one BUCKET_GET */

ngx_int_t
ngx_http_s3_head_bucket(ngx_http_request_t *r)
{
    return ngx_http_s3_bucket_get(r);
}


ngx_int_t
ngx_http_s3_get_bucket_location(ngx_http_request_t *r)
{
    return ngx_http_s3_bucket_get(r);
}


ngx_int_t
ngx_http_s3_get_bucket_versioning(ngx_http_request_t *r)
{
    return ngx_http_s3_bucket_get(r);
}


/*
 * PutBucketVersioning: Enabled or Suspended; a bucket never goes back to
 * unversioned
 */

ngx_int_t
ngx_http_s3_put_bucket_versioning(ngx_http_request_t *r)
{
    ngx_int_t  rc;

    rc = ngx_http_s3_read_xml_body(r, ngx_http_s3_versioning_body, 0);

    if (rc != NGX_OK) {
        return rc;
    }

    return NGX_DONE;
}


static void
ngx_http_s3_versioning_body(ngx_http_request_t *r, ngx_str_t *body)
{
    ngx_int_t            rc;
    ngx_uint_t           status, mfa;
    ngx_http_s3_ctx_t   *ctx;
    ngx_http_s3_wbuf_t   b;

    ctx = ngx_http_s3_get_ctx(r);

    if (ngx_http_s3_xml_parse_versioning(r->pool, body->data, body->len,
                                         &status, &mfa)
        != NGX_OK
        || status == 0)
    {
        rc = ngx_http_s3_send_error(r, NGX_HTTP_S3_ERR_MALFORMED_XML, NULL);
        ngx_http_s3_finalize(r, rc);
        return;
    }

    if (mfa) {
        rc = ngx_http_s3_send_error(r, NGX_HTTP_S3_ERR_NOT_IMPLEMENTED,
                                    "MFA Delete is not implemented");
        ngx_http_s3_finalize(r, rc);
        return;
    }

    if (ngx_http_s3_wbuf_init(&b, r->pool, 16 + ctx->bucket.len) != NGX_OK) {
        goto failed;
    }

    ngx_http_s3_wire_put_str(&b, &ctx->bucket);
    ngx_http_s3_wire_put_u8(&b, (uint8_t)
                            (status == 1 ? NGX_HTTP_S3_VERSIONING_ENABLED
                                         : NGX_HTTP_S3_VERSIONING_SUSPENDED));

    if (ngx_http_s3_meta_call(r, NGX_HTTP_S3_WIRE_OP_BUCKET_VERSIONING, &b,
                              ngx_http_s3_versioning_handler, r)
        == NGX_OK)
    {
        return;
    }

failed:

    ngx_http_s3_finalize(r, ngx_http_s3_send_error(r,
                                        NGX_HTTP_S3_ERR_INTERNAL, NULL));
}


static void
ngx_http_s3_versioning_handler(ngx_http_s3_meta_req_t *mr)
{
    ngx_int_t            rc;
    ngx_http_request_t  *r;

    r = mr->data;

    if (mr->status == NGX_HTTP_S3_WIRE_ST_OK) {
        rc = ngx_http_s3_send_empty(r, NGX_HTTP_OK);

    } else if (mr->status == NGX_HTTP_S3_WIRE_ST_BUCKET_STATE) {
        rc = ngx_http_s3_send_error(r, NGX_HTTP_S3_ERR_INVALID_BUCKET_STATE,
                                    "An Object Lock configuration is present "
                                    "on this bucket, so the versioning state "
                                    "cannot be changed.");

    } else {
        rc = ngx_http_s3_send_error(r, ngx_http_s3_meta_error(mr->status),
                                    NULL);
    }

    ngx_http_s3_finalize(r, rc);
}


static ngx_int_t
ngx_http_s3_bucket_get(ngx_http_request_t *r)
{
    return ngx_http_s3_meta_named(r, NGX_HTTP_S3_WIRE_OP_BUCKET_GET, 0,
                                  ngx_http_s3_bucket_get_handler, r);
}


static void
ngx_http_s3_bucket_get_handler(ngx_http_s3_meta_req_t *mr)
{
    ngx_int_t              rc;
    ngx_http_s3_ctx_t     *ctx;
    ngx_http_request_t    *r;
    ngx_http_s3_bucket_t   bk;

    r = mr->data;
    ctx = ngx_http_s3_get_ctx(r);

    if (mr->status != NGX_HTTP_S3_WIRE_ST_OK) {
        rc = ngx_http_s3_send_error(r, ngx_http_s3_meta_error(mr->status),
                                    NULL);
        goto done;
    }

    if (ngx_http_s3_bucket_decode(&mr->reply, &bk) != NGX_OK) {
        ngx_log_error(NGX_LOG_ALERT, r->connection->log, 0,
                      "s3 bucket \"%V\": bad record", &ctx->bucket);
        rc = ngx_http_s3_send_error(r, NGX_HTTP_S3_ERR_INTERNAL, NULL);
        goto done;
    }

    switch (ctx->op) {

    case NGX_HTTP_S3_OP_GET_BUCKET_LOCATION:
        rc = ngx_http_s3_send_location(r, &bk);
        break;

    case NGX_HTTP_S3_OP_GET_BUCKET_VERSIONING:
        rc = ngx_http_s3_send_versioning(r, &bk);
        break;

    default: /* NGX_HTTP_S3_OP_HEAD_BUCKET */

        if (ngx_http_s3_add_header(r, "x-amz-bucket-region",
                                   ngx_http_s3_bucket_region(r, &bk))
            != NGX_OK)
        {
            rc = NGX_ERROR;
            break;
        }

        rc = ngx_http_s3_send_empty(r, NGX_HTTP_OK);
        break;
    }

done:

    ngx_http_s3_finalize(r, rc);
}


/*
 * <LocationConstraint xmlns="...">region</LocationConstraint>, empty for
 * us-east-1 as AWS answers; text directly in the root, so written here
 */

static ngx_int_t
ngx_http_s3_send_location(ngx_http_request_t *r, ngx_http_s3_bucket_t *bk)
{
    u_char       *p;
    size_t        len;
    ngx_buf_t    *b;
    ngx_str_t    *region;
    ngx_chain_t  *cl;

    static u_char  head[] = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                            "<LocationConstraint xmlns=\""
                            NGX_HTTP_S3_XMLNS "\">";
    static u_char  tail[] = "</LocationConstraint>";

    region = ngx_http_s3_bucket_region(r, bk);

    if (region->len == sizeof("us-east-1") - 1
        && ngx_strncmp(region->data, "us-east-1", region->len) == 0)
    {
        len = 0;

    } else {
        len = ngx_http_s3_xml_escape(NULL, region->data, region->len);
    }

    b = ngx_create_temp_buf(r->pool, sizeof(head) - 1 + len
                                     + sizeof(tail) - 1);
    if (b == NULL) {
        return NGX_ERROR;
    }

    p = ngx_cpymem(b->last, head, sizeof(head) - 1);

    if (len) {
        p += ngx_http_s3_xml_escape(p, region->data, region->len);
    }

    b->last = ngx_cpymem(p, tail, sizeof(tail) - 1);
    b->last_buf = 1;
    b->last_in_chain = 1;

    cl = ngx_alloc_chain_link(r->pool);
    if (cl == NULL) {
        return NGX_ERROR;
    }

    cl->buf = b;
    cl->next = NULL;

    return ngx_http_s3_send_xml(r, NGX_HTTP_OK, cl);
}


static ngx_int_t
ngx_http_s3_send_versioning(ngx_http_request_t *r, ngx_http_s3_bucket_t *bk)
{
    ngx_chain_t        *cl;
    ngx_http_s3_xml_t   w;

    ngx_http_s3_xml_init(&w, r->pool);
    ngx_http_s3_xml_root(&w, "VersioningConfiguration");

    /* never enabled: no Status at all, as AWS answers */

    switch (bk->versioning) {

    case NGX_HTTP_S3_VERSIONING_ENABLED:
        ngx_http_s3_xml_cstr(&w, "Status", "Enabled");
        break;

    case NGX_HTTP_S3_VERSIONING_SUSPENDED:
        ngx_http_s3_xml_cstr(&w, "Status", "Suspended");
        break;

    default:
        break;
    }

    ngx_http_s3_xml_close(&w, "VersioningConfiguration");

    cl = ngx_http_s3_xml_finish(&w);
    if (cl == NULL) {
        return NGX_ERROR;
    }

    return ngx_http_s3_send_xml(r, NGX_HTTP_OK, cl);
}
