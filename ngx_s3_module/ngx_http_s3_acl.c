
/*
 * Copyright (C) ngx_s3 authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_s3.h"
#include "ngx_http_s3_ops.h"


/*
 * ACLs and bucket policies.  The bucket's canned ACL (private,
 * public-read, public-read-write, authenticated-read) is one part of its
 * permissions, with its owner and the users' grants (scripts/s3-admin
 * grant); GetBucketAcl describes all of it.  Permissions are the bucket's
 * alone: an object's ACL is the bucket's, and a PutObjectAcl that would
 * change it is refused with S3's AccessControlListNotSupported.  The
 * bucket policy (ngx_http_s3_policy.c) is checked here before it is
 * stored, and stored as sent; GetBucketPolicy answers it as it is.
 */


#define NGX_HTTP_S3_ACL_GRANTEE_USER                                          \
    "Grantee xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" "        \
    "xsi:type=\"CanonicalUser\""

#define NGX_HTTP_S3_ACL_GRANTEE_GROUP                                         \
    "Grantee xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" "        \
    "xsi:type=\"Group\""

#define NGX_HTTP_S3_ACL_ALL_USERS                                             \
    "http://acs.amazonaws.com/groups/global/AllUsers"

#define NGX_HTTP_S3_ACL_AUTHENTICATED_USERS                                   \
    "http://acs.amazonaws.com/groups/global/AuthenticatedUsers"


static void ngx_http_s3_bucket_acl_handler(ngx_http_s3_meta_req_t *mr);
static ngx_int_t ngx_http_s3_send_acl(ngx_http_request_t *r,
    ngx_str_t *reply);
static void ngx_http_s3_acl_user(ngx_http_s3_xml_t *w, ngx_str_t *id,
    const char *permission);
static void ngx_http_s3_acl_group(ngx_http_s3_xml_t *w, const char *uri,
    const char *permission);
static void ngx_http_s3_put_bucket_acl_handler(ngx_http_s3_meta_req_t *mr);
static void ngx_http_s3_object_acl_handler(ngx_http_s3_meta_req_t *mr);
static void ngx_http_s3_put_bucket_policy_body(ngx_http_request_t *r,
    ngx_str_t *body);
static void ngx_http_s3_bucket_policy_handler(ngx_http_s3_meta_req_t *mr);
static ngx_int_t ngx_http_s3_bucket_policy_set(ngx_http_request_t *r,
    ngx_str_t *policy);


/* GetBucketAcl, and GetObjectAcl once the object is known to exist */

ngx_int_t
ngx_http_s3_get_bucket_acl(ngx_http_request_t *r)
{
    return ngx_http_s3_meta_named(r, NGX_HTTP_S3_WIRE_OP_BUCKET_ACCESS, 0,
                                  ngx_http_s3_bucket_acl_handler, r);
}


static void
ngx_http_s3_bucket_acl_handler(ngx_http_s3_meta_req_t *mr)
{
    ngx_int_t            rc;
    ngx_http_request_t  *r;

    r = mr->data;

    if (mr->status != NGX_HTTP_S3_WIRE_ST_OK) {
        rc = ngx_http_s3_send_error(r, ngx_http_s3_meta_error(mr->status),
                                    NULL);

    } else {
        rc = ngx_http_s3_send_acl(r, &mr->reply);
    }

    ngx_http_s3_finalize(r, rc);
}


/*
 * BUCKET_ACCESS's answer as an AccessControlPolicy: the owner's
 * FULL_CONTROL, each user's grant (write: READ and WRITE), and the groups
 * of the canned ACL
 */

static ngx_int_t
ngx_http_s3_send_acl(ngx_http_request_t *r, ngx_str_t *reply)
{
    uint32_t              i, n;
    ngx_str_t             rec, *owner;
    ngx_chain_t          *cl;
    ngx_http_s3_xml_t     w;
    ngx_http_s3_rbuf_t    rb;
    ngx_http_s3_grant_t   g;
    ngx_http_s3_bucket_t  bk;

    ngx_http_s3_rbuf_init(&rb, reply);
    ngx_http_s3_wire_get_str(&rb, &rec);
    n = ngx_http_s3_wire_get_u32(&rb);

    if (rb.error || ngx_http_s3_bucket_decode(&rec, &bk) != NGX_OK) {
        ngx_log_error(NGX_LOG_ALERT, r->connection->log, 0,
                      "s3 acl: bad answer of the metadata process");
        return ngx_http_s3_send_error(r, NGX_HTTP_S3_ERR_INTERNAL, NULL);
    }

    /* a user, or the operator as the root key that made the bucket */

    owner = bk.owner_user.len ? &bk.owner_user : &bk.owner;

    ngx_http_s3_xml_init(&w, r->pool);
    ngx_http_s3_xml_root(&w, "AccessControlPolicy");

    ngx_http_s3_xml_open(&w, "Owner");
    ngx_http_s3_xml_text(&w, "ID", owner->data, owner->len);
    ngx_http_s3_xml_text(&w, "DisplayName", owner->data, owner->len);
    ngx_http_s3_xml_close(&w, "Owner");

    ngx_http_s3_xml_open(&w, "AccessControlList");

    ngx_http_s3_acl_user(&w, owner, "FULL_CONTROL");

    for (i = 0; i < n; i++) {
        ngx_http_s3_wire_get_str(&rb, &rec);

        if (rb.error || ngx_http_s3_grant_decode(&rec, &g) != NGX_OK) {
            ngx_log_error(NGX_LOG_ALERT, r->connection->log, 0,
                          "s3 acl: bad grant in the answer");
            return ngx_http_s3_send_error(r, NGX_HTTP_S3_ERR_INTERNAL, NULL);
        }

        ngx_http_s3_acl_user(&w, &g.user, "READ");

        if (g.perm == NGX_HTTP_S3_PERM_WRITE) {
            ngx_http_s3_acl_user(&w, &g.user, "WRITE");
        }
    }

    switch (bk.acl) {

    case NGX_HTTP_S3_ACL_PUBLIC_READ_WRITE:
        ngx_http_s3_acl_group(&w, NGX_HTTP_S3_ACL_ALL_USERS, "READ");
        ngx_http_s3_acl_group(&w, NGX_HTTP_S3_ACL_ALL_USERS, "WRITE");
        break;

    case NGX_HTTP_S3_ACL_PUBLIC_READ:
        ngx_http_s3_acl_group(&w, NGX_HTTP_S3_ACL_ALL_USERS, "READ");
        break;

    case NGX_HTTP_S3_ACL_AUTHENTICATED_READ:
        ngx_http_s3_acl_group(&w, NGX_HTTP_S3_ACL_AUTHENTICATED_USERS,
                              "READ");
        break;

    default:
        break;
    }

    ngx_http_s3_xml_close(&w, "AccessControlList");
    ngx_http_s3_xml_close(&w, "AccessControlPolicy");

    cl = ngx_http_s3_xml_finish(&w);
    if (cl == NULL) {
        return ngx_http_s3_send_error(r, NGX_HTTP_S3_ERR_INTERNAL, NULL);
    }

    return ngx_http_s3_send_xml(r, NGX_HTTP_OK, cl);
}


static void
ngx_http_s3_acl_user(ngx_http_s3_xml_t *w, ngx_str_t *id,
    const char *permission)
{
    ngx_http_s3_xml_open(w, "Grant");
    ngx_http_s3_xml_open(w, NGX_HTTP_S3_ACL_GRANTEE_USER);
    ngx_http_s3_xml_text(w, "ID", id->data, id->len);
    ngx_http_s3_xml_text(w, "DisplayName", id->data, id->len);
    ngx_http_s3_xml_close(w, "Grantee");
    ngx_http_s3_xml_cstr(w, "Permission", permission);
    ngx_http_s3_xml_close(w, "Grant");
}


static void
ngx_http_s3_acl_group(ngx_http_s3_xml_t *w, const char *uri,
    const char *permission)
{
    ngx_http_s3_xml_open(w, "Grant");
    ngx_http_s3_xml_open(w, NGX_HTTP_S3_ACL_GRANTEE_GROUP);
    ngx_http_s3_xml_cstr(w, "URI", uri);
    ngx_http_s3_xml_close(w, "Grantee");
    ngx_http_s3_xml_cstr(w, "Permission", permission);
    ngx_http_s3_xml_close(w, "Grant");
}


/*
 * PutBucketAcl: a canned ACL in x-amz-acl.  Users' grants are made with
 * scripts/s3-admin; an AccessControlPolicy document or x-amz-grant-*
 * headers are not implemented (501, never a partial success).
 */

ngx_int_t
ngx_http_s3_put_bucket_acl(ngx_http_request_t *r)
{
    ngx_int_t            acl;
    ngx_table_elt_t     *h;
    ngx_http_s3_ctx_t   *ctx;
    ngx_http_s3_wbuf_t   b;

    ctx = ngx_http_s3_get_ctx(r);

    if (ngx_http_s3_header_in(r, "x-amz-grant-read")
        || ngx_http_s3_header_in(r, "x-amz-grant-write")
        || ngx_http_s3_header_in(r, "x-amz-grant-read-acp")
        || ngx_http_s3_header_in(r, "x-amz-grant-write-acp")
        || ngx_http_s3_header_in(r, "x-amz-grant-full-control"))
    {
        return ngx_http_s3_send_error(r, NGX_HTTP_S3_ERR_NOT_IMPLEMENTED,
                                      "ACL grants in headers are not "
                                      "implemented: use x-amz-acl, and "
                                      "s3-admin grant for users.");
    }

    h = ngx_http_s3_header_in(r, "x-amz-acl");

    if (h == NULL) {
        if (r->headers_in.content_length_n > 0 || r->headers_in.chunked) {
            return ngx_http_s3_send_error(r, NGX_HTTP_S3_ERR_NOT_IMPLEMENTED,
                                          "AccessControlPolicy documents "
                                          "are not implemented: use "
                                          "x-amz-acl, and s3-admin grant "
                                          "for users.");
        }

        return ngx_http_s3_send_error(r,
                                      NGX_HTTP_S3_ERR_MISSING_SECURITY_HEADER,
                                      "Your request was missing a required "
                                      "header: x-amz-acl");
    }

    acl = ngx_http_s3_access_bucket_acl(&h->value);

    if (acl < 0) {
        return ngx_http_s3_send_error(r, NGX_HTTP_S3_ERR_NOT_IMPLEMENTED,
                                      "This canned ACL is not implemented "
                                      "for buckets.");
    }

    if (ngx_http_s3_wbuf_init(&b, r->pool, 16 + ctx->bucket.len) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ngx_http_s3_wire_put_str(&b, &ctx->bucket);
    ngx_http_s3_wire_put_u8(&b, (uint8_t) acl);

    if (ngx_http_s3_meta_call(r, NGX_HTTP_S3_WIRE_OP_BUCKET_ACL_SET, &b,
                              ngx_http_s3_put_bucket_acl_handler, r)
        != NGX_OK)
    {
        return ngx_http_s3_send_error(r, NGX_HTTP_S3_ERR_INTERNAL, NULL);
    }

    r->main->count++;

    return NGX_DONE;
}


static void
ngx_http_s3_put_bucket_acl_handler(ngx_http_s3_meta_req_t *mr)
{
    ngx_int_t            rc;
    ngx_http_request_t  *r;

    r = mr->data;

    if (mr->status == NGX_HTTP_S3_WIRE_ST_OK) {
        rc = ngx_http_s3_send_empty(r, NGX_HTTP_OK);

    } else {
        rc = ngx_http_s3_send_error(r, ngx_http_s3_meta_error(mr->status),
                                    NULL);
    }

    ngx_http_s3_finalize(r, rc);
}


/*
 * GetObjectAcl: the object's ACL is its bucket's.  PutObjectAcl: only
 * what changes nothing (private, bucket-owner-full-control) succeeds.
 * Both answer NoSuchKey for an object that does not exist.
 */

ngx_int_t
ngx_http_s3_get_object_acl(ngx_http_request_t *r)
{
    if (ngx_http_s3_version_arg(r) != NGX_OK) {
        return ngx_http_s3_send_error(r, NGX_HTTP_S3_ERR_INVALID_ARGUMENT,
                                      "Invalid version id specified");
    }

    return ngx_http_s3_meta_named(r, NGX_HTTP_S3_WIRE_OP_OBJECT_GET, 1,
                                  ngx_http_s3_object_acl_handler, r);
}


ngx_int_t
ngx_http_s3_put_object_acl(ngx_http_request_t *r)
{
    ngx_http_s3_err_e  err;

    if (ngx_http_s3_version_arg(r) != NGX_OK) {
        return ngx_http_s3_send_error(r, NGX_HTTP_S3_ERR_INVALID_ARGUMENT,
                                      "Invalid version id specified");
    }

    err = ngx_http_s3_access_object_acl(r);

    if (err != NGX_HTTP_S3_OK) {
        return ngx_http_s3_send_error(r, err, NULL);
    }

    if (ngx_http_s3_header_in(r, "x-amz-acl") == NULL) {

        /* a document can only say something else than the bucket */

        if (r->headers_in.content_length_n > 0 || r->headers_in.chunked) {
            return ngx_http_s3_send_error(r,
                                          NGX_HTTP_S3_ERR_ACL_NOT_SUPPORTED,
                                          NULL);
        }

        return ngx_http_s3_send_error(r,
                                      NGX_HTTP_S3_ERR_MISSING_SECURITY_HEADER,
                                      "Your request was missing a required "
                                      "header: x-amz-acl");
    }

    return ngx_http_s3_meta_named(r, NGX_HTTP_S3_WIRE_OP_OBJECT_GET, 1,
                                  ngx_http_s3_object_acl_handler, r);
}


static void
ngx_http_s3_object_acl_handler(ngx_http_s3_meta_req_t *mr)
{
    ngx_int_t            rc;
    ngx_http_s3_ctx_t   *ctx;
    ngx_http_request_t  *r;

    r = mr->data;
    ctx = ngx_http_s3_get_ctx(r);

    if (mr->status != NGX_HTTP_S3_WIRE_ST_OK) {
        rc = ngx_http_s3_send_error(r, ngx_http_s3_meta_error(mr->status),
                                    NULL);
        ngx_http_s3_finalize(r, rc);
        return;
    }

    if (ctx->op == NGX_HTTP_S3_OP_PUT_OBJECT_ACL) {
        ngx_http_s3_finalize(r, ngx_http_s3_send_empty(r, NGX_HTTP_OK));
        return;
    }

    /* the object exists: its bucket's ACL */

    rc = ngx_http_s3_meta_named(r, NGX_HTTP_S3_WIRE_OP_BUCKET_ACCESS, 0,
                                ngx_http_s3_bucket_acl_handler, r);

    /* NGX_DONE raised the count for the new request: this one is done */

    ngx_http_s3_finalize(r, rc);
}


/* GetBucketPolicy, PutBucketPolicy, DeleteBucketPolicy */

ngx_int_t
ngx_http_s3_get_bucket_policy(ngx_http_request_t *r)
{
    return ngx_http_s3_meta_named(r, NGX_HTTP_S3_WIRE_OP_POLICY_GET, 0,
                                  ngx_http_s3_bucket_policy_handler, r);
}


ngx_int_t
ngx_http_s3_put_bucket_policy(ngx_http_request_t *r)
{
    ngx_int_t  rc;

    rc = ngx_http_s3_read_xml_body(r, ngx_http_s3_put_bucket_policy_body, 0);

    if (rc != NGX_OK) {
        return rc;
    }

    return NGX_DONE;
}


ngx_int_t
ngx_http_s3_delete_bucket_policy(ngx_http_request_t *r)
{
    ngx_str_t  none;

    ngx_str_null(&none);

    return ngx_http_s3_bucket_policy_set(r, &none);
}


static void
ngx_http_s3_put_bucket_policy_body(ngx_http_request_t *r, ngx_str_t *body)
{
    u_char                *msg;
    ngx_int_t              rc;
    ngx_str_t              err;
    ngx_http_s3_ctx_t     *ctx;
    ngx_http_s3_policy_t  *policy;

    ctx = ngx_http_s3_get_ctx(r);

    policy = ngx_http_s3_policy_compile(r->pool, body, &ctx->bucket, &err);

    if (policy == NULL) {

        if (err.len == 0) {
            ngx_http_s3_finalize(r, ngx_http_s3_send_error(r,
                                            NGX_HTTP_S3_ERR_INTERNAL, NULL));
            return;
        }

        msg = ngx_pnalloc(r->pool, err.len + 1);
        if (msg == NULL) {
            ngx_http_s3_finalize(r, ngx_http_s3_send_error(r,
                                            NGX_HTTP_S3_ERR_INTERNAL, NULL));
            return;
        }

        *ngx_cpymem(msg, err.data, err.len) = '\0';

        ngx_http_s3_finalize(r, ngx_http_s3_send_error(r,
                                        NGX_HTTP_S3_ERR_MALFORMED_POLICY,
                                        (const char *) msg));
        return;
    }

    rc = ngx_http_s3_bucket_policy_set(r, body);

    /* NGX_DONE: the count was raised for the metadata request */

    ngx_http_s3_finalize(r, rc);
}


static ngx_int_t
ngx_http_s3_bucket_policy_set(ngx_http_request_t *r, ngx_str_t *policy)
{
    ngx_http_s3_ctx_t   *ctx;
    ngx_http_s3_wbuf_t   b;

    ctx = ngx_http_s3_get_ctx(r);

    if (ngx_http_s3_wbuf_init(&b, r->pool, 16 + ctx->bucket.len
                                           + policy->len)
        != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ngx_http_s3_wire_put_str(&b, &ctx->bucket);
    ngx_http_s3_wire_put_str(&b, policy);

    if (ngx_http_s3_meta_call(r, NGX_HTTP_S3_WIRE_OP_POLICY_SET, &b,
                              ngx_http_s3_bucket_policy_handler, r)
        != NGX_OK)
    {
        return ngx_http_s3_send_error(r, NGX_HTTP_S3_ERR_INTERNAL, NULL);
    }

    r->main->count++;

    return NGX_DONE;
}


static void
ngx_http_s3_bucket_policy_handler(ngx_http_s3_meta_req_t *mr)
{
    ngx_int_t            rc;
    ngx_str_t            policy;
    ngx_buf_t           *b;
    ngx_chain_t         *cl;
    ngx_http_s3_ctx_t   *ctx;
    ngx_http_request_t  *r;
    ngx_http_s3_rbuf_t   rb;

    r = mr->data;
    ctx = ngx_http_s3_get_ctx(r);

    if (mr->status == NGX_HTTP_S3_WIRE_ST_NO_KEY) {
        rc = ngx_http_s3_send_error(r, NGX_HTTP_S3_ERR_NO_SUCH_BUCKET_POLICY,
                                    NULL);
        goto done;
    }

    if (mr->status != NGX_HTTP_S3_WIRE_ST_OK) {
        rc = ngx_http_s3_send_error(r, ngx_http_s3_meta_error(mr->status),
                                    NULL);
        goto done;
    }

    switch (ctx->op) {

    case NGX_HTTP_S3_OP_PUT_BUCKET_POLICY:
        rc = ngx_http_s3_send_empty(r, NGX_HTTP_NO_CONTENT);
        goto done;

    case NGX_HTTP_S3_OP_DELETE_BUCKET_POLICY:
        rc = ngx_http_s3_send_empty(r, NGX_HTTP_NO_CONTENT);
        goto done;

    default: /* NGX_HTTP_S3_OP_GET_BUCKET_POLICY */
        break;
    }

    ngx_http_s3_rbuf_init(&rb, &mr->reply);
    ngx_http_s3_wire_get_str(&rb, &policy);

    b = ngx_calloc_buf(r->pool);
    cl = ngx_alloc_chain_link(r->pool);

    if (rb.error || b == NULL || cl == NULL) {
        rc = ngx_http_s3_send_error(r, NGX_HTTP_S3_ERR_INTERNAL, NULL);
        goto done;
    }

    /* the policy as it was put */

    b->memory = 1;
    b->pos = policy.data;
    b->last = policy.data + policy.len;
    b->last_buf = 1;
    b->last_in_chain = 1;

    cl->buf = b;
    cl->next = NULL;

    rc = ngx_http_s3_send_json(r, NGX_HTTP_OK, cl);

done:

    ngx_http_s3_finalize(r, rc);
}
