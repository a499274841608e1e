
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


/* an ACL document put with PutBucketAcl or PutObjectAcl, being decided */

typedef struct {
    ngx_http_request_t        *request;
    ngx_array_t               *doc;        /* ngx_http_s3_xml_grant_t */
    ngx_uint_t                 acl;        /* PutBucketAcl: what it means */
} ngx_http_s3_acl_put_t;


static void ngx_http_s3_bucket_acl_handler(ngx_http_s3_meta_req_t *mr);
static ngx_int_t ngx_http_s3_acl_of(ngx_http_request_t *r, ngx_str_t *reply,
    ngx_http_s3_bucket_t *bk, ngx_str_t **owner, ngx_array_t **grants);
static ngx_int_t ngx_http_s3_acl_push(ngx_array_t *grants,
    ngx_uint_t group, ngx_str_t *who, const char *permission);
static ngx_uint_t ngx_http_s3_acl_has(ngx_array_t *grants,
    ngx_http_s3_xml_grant_t *g);
static ngx_int_t ngx_http_s3_send_acl(ngx_http_request_t *r,
    ngx_str_t *reply);
static ngx_int_t ngx_http_s3_acl_document(ngx_http_request_t *r,
    ngx_http_s3_xml_body_pt handler);
static void ngx_http_s3_put_bucket_acl_body(ngx_http_request_t *r,
    ngx_str_t *body);
static void ngx_http_s3_put_bucket_acl_doc(ngx_http_s3_meta_req_t *mr);
static ngx_int_t ngx_http_s3_bucket_acl_set(ngx_http_request_t *r,
    ngx_uint_t acl);
static void ngx_http_s3_put_bucket_acl_handler(ngx_http_s3_meta_req_t *mr);
static void ngx_http_s3_put_object_acl_body(ngx_http_request_t *r,
    ngx_str_t *body);
static void ngx_http_s3_object_acl_handler(ngx_http_s3_meta_req_t *mr);
static void ngx_http_s3_put_object_acl_doc(ngx_http_s3_meta_req_t *mr);
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
 * A bucket's ACL from BUCKET_ACCESS's answer: the owner (a user, or the
 * operator as the root key that made the bucket) with FULL_CONTROL, each
 * user's grant (write: READ and WRITE), and the groups of the canned ACL
 */

static ngx_int_t
ngx_http_s3_acl_of(ngx_http_request_t *r, ngx_str_t *reply,
    ngx_http_s3_bucket_t *bk, ngx_str_t **owner, ngx_array_t **grants)
{
    uint32_t              i, n;
    ngx_str_t             rec, uri;
    ngx_array_t          *a;
    ngx_http_s3_rbuf_t    rb;
    ngx_http_s3_grant_t   g;

    ngx_http_s3_rbuf_init(&rb, reply);
    ngx_http_s3_wire_get_str(&rb, &rec);
    n = ngx_http_s3_wire_get_u32(&rb);

    if (rb.error || ngx_http_s3_bucket_decode(&rec, bk) != NGX_OK) {
        return NGX_ERROR;
    }

    *owner = bk->owner_user.len ? &bk->owner_user : &bk->owner;

    a = ngx_array_create(r->pool, 4, sizeof(ngx_http_s3_xml_grant_t));
    if (a == NULL
        || ngx_http_s3_acl_push(a, 0, *owner, "FULL_CONTROL") != NGX_OK)
    {
        return NGX_ERROR;
    }

    for (i = 0; i < n; i++) {
        ngx_http_s3_wire_get_str(&rb, &rec);

        if (rb.error || ngx_http_s3_grant_decode(&rec, &g) != NGX_OK
            || ngx_http_s3_acl_push(a, 0, &g.user, "READ") != NGX_OK)
        {
            return NGX_ERROR;
        }

        if (g.perm == NGX_HTTP_S3_PERM_WRITE
            && ngx_http_s3_acl_push(a, 0, &g.user, "WRITE") != NGX_OK)
        {
            return NGX_ERROR;
        }
    }

    if (bk->acl == NGX_HTTP_S3_ACL_AUTHENTICATED_READ) {
        ngx_str_set(&uri, NGX_HTTP_S3_ACL_AUTHENTICATED_USERS);

    } else {
        ngx_str_set(&uri, NGX_HTTP_S3_ACL_ALL_USERS);
    }

    if ((bk->acl == NGX_HTTP_S3_ACL_PUBLIC_READ
         || bk->acl == NGX_HTTP_S3_ACL_PUBLIC_READ_WRITE
         || bk->acl == NGX_HTTP_S3_ACL_AUTHENTICATED_READ)
        && ngx_http_s3_acl_push(a, 1, &uri, "READ") != NGX_OK)
    {
        return NGX_ERROR;
    }

    if (bk->acl == NGX_HTTP_S3_ACL_PUBLIC_READ_WRITE
        && ngx_http_s3_acl_push(a, 1, &uri, "WRITE") != NGX_OK)
    {
        return NGX_ERROR;
    }

    *grants = a;

    return NGX_OK;
}


static ngx_int_t
ngx_http_s3_acl_push(ngx_array_t *grants, ngx_uint_t group, ngx_str_t *who,
    const char *permission)
{
    ngx_http_s3_xml_grant_t  *g;

    g = ngx_array_push(grants);
    if (g == NULL) {
        return NGX_ERROR;
    }

    g->group = group;
    g->who = *who;
    g->permission.data = (u_char *) permission;
    g->permission.len = ngx_strlen(permission);

    return NGX_OK;
}


static ngx_uint_t
ngx_http_s3_acl_has(ngx_array_t *grants, ngx_http_s3_xml_grant_t *g)
{
    ngx_uint_t                i;
    ngx_http_s3_xml_grant_t  *a;

    a = grants->elts;

    for (i = 0; i < grants->nelts; i++) {
        if (a[i].group == g->group
            && a[i].who.len == g->who.len
            && a[i].permission.len == g->permission.len
            && (g->who.len == 0
                || ngx_memcmp(a[i].who.data, g->who.data, g->who.len) == 0)
            && (g->permission.len == 0
                || ngx_memcmp(a[i].permission.data, g->permission.data,
                              g->permission.len)
                   == 0))
        {
            return 1;
        }
    }

    return 0;
}


static ngx_int_t
ngx_http_s3_send_acl(ngx_http_request_t *r, ngx_str_t *reply)
{
    ngx_str_t                *owner;
    ngx_uint_t                i;
    ngx_array_t              *grants;
    ngx_chain_t              *cl;
    ngx_http_s3_xml_t         w;
    ngx_http_s3_bucket_t      bk;
    ngx_http_s3_xml_grant_t  *g;

    if (ngx_http_s3_acl_of(r, reply, &bk, &owner, &grants) != NGX_OK) {
        ngx_log_error(NGX_LOG_ALERT, r->connection->log, 0,
                      "s3 acl: bad answer of the metadata process");
        return ngx_http_s3_send_error(r, NGX_HTTP_S3_ERR_INTERNAL, NULL);
    }

    ngx_http_s3_xml_init(&w, r->pool);
    ngx_http_s3_xml_root(&w, "AccessControlPolicy");

    ngx_http_s3_xml_open(&w, "Owner");
    ngx_http_s3_xml_text(&w, "ID", owner->data, owner->len);
    ngx_http_s3_xml_text(&w, "DisplayName", owner->data, owner->len);
    ngx_http_s3_xml_close(&w, "Owner");

    ngx_http_s3_xml_open(&w, "AccessControlList");

    g = grants->elts;

    for (i = 0; i < grants->nelts; i++) {
        ngx_http_s3_xml_open(&w, "Grant");

        if (g[i].group) {
            ngx_http_s3_xml_open(&w, NGX_HTTP_S3_ACL_GRANTEE_GROUP);
            ngx_http_s3_xml_text(&w, "URI", g[i].who.data, g[i].who.len);

        } else {
            ngx_http_s3_xml_open(&w, NGX_HTTP_S3_ACL_GRANTEE_USER);
            ngx_http_s3_xml_text(&w, "ID", g[i].who.data, g[i].who.len);
            ngx_http_s3_xml_text(&w, "DisplayName", g[i].who.data,
                                 g[i].who.len);
        }

        ngx_http_s3_xml_close(&w, "Grantee");
        ngx_http_s3_xml_text(&w, "Permission", g[i].permission.data,
                             g[i].permission.len);
        ngx_http_s3_xml_close(&w, "Grant");
    }

    ngx_http_s3_xml_close(&w, "AccessControlList");
    ngx_http_s3_xml_close(&w, "AccessControlPolicy");

    cl = ngx_http_s3_xml_finish(&w);
    if (cl == NULL) {
        return ngx_http_s3_send_error(r, NGX_HTTP_S3_ERR_INTERNAL, NULL);
    }

    return ngx_http_s3_send_xml(r, NGX_HTTP_OK, cl);
}


/* an AccessControlPolicy document in the body: read, then decided */

static ngx_int_t
ngx_http_s3_acl_document(ngx_http_request_t *r,
    ngx_http_s3_xml_body_pt handler)
{
    ngx_int_t               rc;
    ngx_http_s3_ctx_t      *ctx;
    ngx_http_s3_acl_put_t  *ap;

    ctx = ngx_http_s3_get_ctx(r);

    ap = ngx_pcalloc(r->pool, sizeof(ngx_http_s3_acl_put_t));
    if (ap == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ap->request = r;
    ctx->op_ctx = ap;

    rc = ngx_http_s3_read_xml_body(r, handler, 0);

    if (rc != NGX_OK) {
        return rc;
    }

    return NGX_DONE;
}


/*
 * PutBucketAcl: a canned ACL in x-amz-acl, or an AccessControlPolicy
 * document that says one: the owner's FULL_CONTROL, the users' grants as
 * they are (they are made with scripts/s3-admin), and the groups of a
 * canned ACL.  Other documents and x-amz-grant-* headers are not
 * implemented (501, never a partial success).
 */

ngx_int_t
ngx_http_s3_put_bucket_acl(ngx_http_request_t *r)
{
    ngx_int_t         acl;
    ngx_table_elt_t  *h;

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
            return ngx_http_s3_acl_document(r,
                                            ngx_http_s3_put_bucket_acl_body);
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

    return ngx_http_s3_bucket_acl_set(r, (ngx_uint_t) acl);
}


static void
ngx_http_s3_put_bucket_acl_body(ngx_http_request_t *r, ngx_str_t *body)
{
    ngx_int_t               rc;
    ngx_http_s3_ctx_t      *ctx;
    ngx_http_s3_acl_put_t  *ap;

    ctx = ngx_http_s3_get_ctx(r);
    ap = ctx->op_ctx;

    rc = ngx_http_s3_xml_parse_acl(r->pool, body->data, body->len, &ap->doc);

    if (rc == NGX_ERROR) {
        ngx_http_s3_finalize(r, ngx_http_s3_send_error(r,
                                        NGX_HTTP_S3_ERR_MALFORMED_XML, NULL));
        return;
    }

    if (rc == NGX_DECLINED) {
        ngx_http_s3_finalize(r, ngx_http_s3_send_error(r,
                                 NGX_HTTP_S3_ERR_NOT_IMPLEMENTED,
                                 "Grantees by e-mail address are not "
                                 "implemented."));
        return;
    }

    /* what the bucket has now: the document may only change its groups */

    rc = ngx_http_s3_meta_named(r, NGX_HTTP_S3_WIRE_OP_BUCKET_ACCESS, 0,
                                ngx_http_s3_put_bucket_acl_doc, ap);

    ngx_http_s3_finalize(r, rc);
}


static void
ngx_http_s3_put_bucket_acl_doc(ngx_http_s3_meta_req_t *mr)
{
    ngx_str_t                *owner;
    ngx_uint_t                i, all_read, all_write, auth_read, other;
    ngx_array_t              *now;
    ngx_http_request_t       *r;
    ngx_http_s3_bucket_t      bk;
    ngx_http_s3_acl_put_t    *ap;
    ngx_http_s3_xml_grant_t  *g;

    ap = mr->data;
    r = ap->request;

    if (mr->status != NGX_HTTP_S3_WIRE_ST_OK) {
        ngx_http_s3_finalize(r, ngx_http_s3_send_error(r,
                                        ngx_http_s3_meta_error(mr->status),
                                        NULL));
        return;
    }

    if (ngx_http_s3_acl_of(r, &mr->reply, &bk, &owner, &now) != NGX_OK) {
        ngx_http_s3_finalize(r, ngx_http_s3_send_error(r,
                                        NGX_HTTP_S3_ERR_INTERNAL, NULL));
        return;
    }

    all_read = 0;
    all_write = 0;
    auth_read = 0;
    other = 0;

    g = ap->doc->elts;

    for (i = 0; i < ap->doc->nelts; i++) {

        if (!g[i].group) {
            /* users: as they are */
            other |= !ngx_http_s3_acl_has(now, &g[i]);
            continue;
        }

        if (g[i].who.len == sizeof(NGX_HTTP_S3_ACL_ALL_USERS) - 1
            && ngx_strncmp(g[i].who.data, NGX_HTTP_S3_ACL_ALL_USERS,
                           g[i].who.len) == 0)
        {
            if (g[i].permission.len == 4
                && ngx_strncmp(g[i].permission.data, "READ", 4) == 0)
            {
                all_read = 1;
                continue;
            }

            if (g[i].permission.len == 5
                && ngx_strncmp(g[i].permission.data, "WRITE", 5) == 0)
            {
                all_write = 1;
                continue;
            }

        } else if (g[i].who.len
                   == sizeof(NGX_HTTP_S3_ACL_AUTHENTICATED_USERS) - 1
                   && ngx_strncmp(g[i].who.data,
                                  NGX_HTTP_S3_ACL_AUTHENTICATED_USERS,
                                  g[i].who.len) == 0
                   && g[i].permission.len == 4
                   && ngx_strncmp(g[i].permission.data, "READ", 4) == 0)
        {
            auth_read = 1;
            continue;
        }

        other = 1;
    }

    /* every user's grant of now must be in the document too */

    g = now->elts;

    for (i = 0; i < now->nelts; i++) {
        if (!g[i].group && !ngx_http_s3_acl_has(ap->doc, &g[i])) {
            other = 1;
        }
    }

    if (other || (all_write && !all_read) || (auth_read && all_read)) {
        ngx_http_s3_finalize(r, ngx_http_s3_send_error(r,
                                 NGX_HTTP_S3_ERR_NOT_IMPLEMENTED,
                                 "Only ACLs of a canned ACL are "
                                 "implemented: the owner's FULL_CONTROL, "
                                 "the users' grants as they are "
                                 "(s3-admin grant), and the AllUsers or "
                                 "AuthenticatedUsers READ (and AllUsers "
                                 "WRITE)."));
        return;
    }

    ap->acl = all_write ? NGX_HTTP_S3_ACL_PUBLIC_READ_WRITE
              : all_read ? NGX_HTTP_S3_ACL_PUBLIC_READ
              : auth_read ? NGX_HTTP_S3_ACL_AUTHENTICATED_READ
              : NGX_HTTP_S3_ACL_PRIVATE;

    ngx_http_s3_finalize(r, ngx_http_s3_bucket_acl_set(r, ap->acl));
}


static ngx_int_t
ngx_http_s3_bucket_acl_set(ngx_http_request_t *r, ngx_uint_t acl)
{
    ngx_http_s3_ctx_t   *ctx;
    ngx_http_s3_wbuf_t   b;

    ctx = ngx_http_s3_get_ctx(r);

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
 * what changes nothing succeeds: x-amz-acl private or
 * bucket-owner-full-control, or a document that gives nobody anything
 * the bucket does not (as GetObjectAcl's, which s3cmd sends back after a
 * copy).  Both answer NoSuchKey for an object that does not exist.
 */

ngx_int_t
ngx_http_s3_get_object_acl(ngx_http_request_t *r)
{
    if (ngx_http_s3_version_arg(r, NULL) != NGX_OK) {
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

    if (ngx_http_s3_version_arg(r, NULL) != NGX_OK) {
        return ngx_http_s3_send_error(r, NGX_HTTP_S3_ERR_INVALID_ARGUMENT,
                                      "Invalid version id specified");
    }

    err = ngx_http_s3_access_object_acl(r);

    if (err != NGX_HTTP_S3_OK) {
        return ngx_http_s3_send_error(r, err, NULL);
    }

    if (ngx_http_s3_header_in(r, "x-amz-acl") == NULL) {

        if (r->headers_in.content_length_n > 0 || r->headers_in.chunked) {
            return ngx_http_s3_acl_document(r,
                                            ngx_http_s3_put_object_acl_body);
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
ngx_http_s3_put_object_acl_body(ngx_http_request_t *r, ngx_str_t *body)
{
    ngx_int_t               rc;
    ngx_http_s3_ctx_t      *ctx;
    ngx_http_s3_acl_put_t  *ap;

    ctx = ngx_http_s3_get_ctx(r);
    ap = ctx->op_ctx;

    rc = ngx_http_s3_xml_parse_acl(r->pool, body->data, body->len, &ap->doc);

    if (rc != NGX_OK) {
        ngx_http_s3_finalize(r, ngx_http_s3_send_error(r,
                                 rc == NGX_ERROR
                                 ? NGX_HTTP_S3_ERR_MALFORMED_XML
                                 : NGX_HTTP_S3_ERR_ACL_NOT_SUPPORTED, NULL));
        return;
    }

    rc = ngx_http_s3_meta_named(r, NGX_HTTP_S3_WIRE_OP_OBJECT_GET, 1,
                                ngx_http_s3_object_acl_handler, r);

    ngx_http_s3_finalize(r, rc);
}


static void
ngx_http_s3_object_acl_handler(ngx_http_s3_meta_req_t *mr)
{
    ngx_int_t               rc;
    ngx_http_s3_ctx_t      *ctx;
    ngx_http_request_t     *r;
    ngx_http_s3_acl_put_t  *ap;

    r = mr->data;
    ctx = ngx_http_s3_get_ctx(r);

    if (mr->status != NGX_HTTP_S3_WIRE_ST_OK) {
        rc = ngx_http_s3_send_error(r, ngx_http_s3_meta_error(mr->status),
                                    NULL);
        ngx_http_s3_finalize(r, rc);
        return;
    }

    if (ctx->op == NGX_HTTP_S3_OP_PUT_OBJECT_ACL) {
        ap = ctx->op_ctx;

        if (ap == NULL) {
            /* x-amz-acl that changes nothing */
            ngx_http_s3_finalize(r, ngx_http_s3_send_empty(r, NGX_HTTP_OK));
            return;
        }

        /* a document: compared with the bucket's ACL */

        rc = ngx_http_s3_meta_named(r, NGX_HTTP_S3_WIRE_OP_BUCKET_ACCESS, 0,
                                    ngx_http_s3_put_object_acl_doc, ap);
        ngx_http_s3_finalize(r, rc);
        return;
    }

    /* the object exists: its bucket's ACL */

    rc = ngx_http_s3_meta_named(r, NGX_HTTP_S3_WIRE_OP_BUCKET_ACCESS, 0,
                                ngx_http_s3_bucket_acl_handler, r);

    /* NGX_DONE raised the count for the new request: this one is done */

    ngx_http_s3_finalize(r, rc);
}


static void
ngx_http_s3_put_object_acl_doc(ngx_http_s3_meta_req_t *mr)
{
    ngx_str_t                *owner;
    ngx_uint_t                i;
    ngx_array_t              *now;
    ngx_http_request_t       *r;
    ngx_http_s3_bucket_t      bk;
    ngx_http_s3_acl_put_t    *ap;
    ngx_http_s3_xml_grant_t  *g;

    ap = mr->data;
    r = ap->request;

    if (mr->status != NGX_HTTP_S3_WIRE_ST_OK) {
        ngx_http_s3_finalize(r, ngx_http_s3_send_error(r,
                                        ngx_http_s3_meta_error(mr->status),
                                        NULL));
        return;
    }

    if (ngx_http_s3_acl_of(r, &mr->reply, &bk, &owner, &now) != NGX_OK) {
        ngx_http_s3_finalize(r, ngx_http_s3_send_error(r,
                                        NGX_HTTP_S3_ERR_INTERNAL, NULL));
        return;
    }

    g = ap->doc->elts;

    for (i = 0; i < ap->doc->nelts; i++) {
        if (!ngx_http_s3_acl_has(now, &g[i])) {
            ngx_http_s3_finalize(r, ngx_http_s3_send_error(r,
                                     NGX_HTTP_S3_ERR_ACL_NOT_SUPPORTED,
                                     NULL));
            return;
        }
    }

    ngx_http_s3_finalize(r, ngx_http_s3_send_empty(r, NGX_HTTP_OK));
}


/* GetBucketPolicy, PutBucketPolicy, DeleteBucketPolicy */

ngx_int_t
ngx_http_s3_get_bucket_policy(ngx_http_request_t *r)
{
    return ngx_http_s3_meta_setting(r, "policy", NULL,
                                    ngx_http_s3_bucket_policy_handler);
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
    return ngx_http_s3_meta_setting(r, "policy", policy,
                                    ngx_http_s3_bucket_policy_handler);
}


static void
ngx_http_s3_bucket_policy_handler(ngx_http_s3_meta_req_t *mr)
{
    ngx_int_t            rc;
    ngx_http_s3_ctx_t   *ctx;
    ngx_http_request_t  *r;

    r = mr->data;
    ctx = ngx_http_s3_get_ctx(r);

    if (ctx->op == NGX_HTTP_S3_OP_GET_BUCKET_POLICY) {

        /* the policy as it was put */

        rc = ngx_http_s3_setting_send(r, mr,
                                      NGX_HTTP_S3_ERR_NO_SUCH_BUCKET_POLICY,
                                      1);

    } else if (mr->status == NGX_HTTP_S3_WIRE_ST_OK) {
        rc = ngx_http_s3_send_empty(r, NGX_HTTP_NO_CONTENT);

    } else {
        rc = ngx_http_s3_send_error(r, ngx_http_s3_meta_error(mr->status),
                                    NULL);
    }

    ngx_http_s3_finalize(r, rc);
}
