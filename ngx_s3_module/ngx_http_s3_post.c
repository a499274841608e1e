
/*
 * Copyright (C) ngx_s3 authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_s3.h"
#include "ngx_http_s3_ops.h"
#include "ngx_http_s3_form.h"

#include <openssl/evp.h>


/*
 * POST Object: a browser's form upload (multipart/form-data) to the
 * bucket's URL.  The body is streamed: the fields before the file are
 * parsed from the body's buffers into memory (at most
 * NGX_HTTP_S3_POST_MAX_FIELDS bytes), the file part goes to a new body
 * file as PUT's body does, hashed on the way (MD5 for the ETag and the
 * x-amz-checksum-* the form names); fields after the file are ignored,
 * as S3 does.  Once the body is read, the form is authenticated (the
 * signature of the policy, ngx_http_s3_authenticate_form()), the policy
 * checked, the key's user must be allowed s3:PutObject on the key, and
 * the record committed.  Every error is decided after the whole body is
 * read, so a keep-alive connection stays usable, and removes the body
 * file: nothing is stored.
 */


#define NGX_HTTP_S3_POST_MAX_FIELDS    (64 * 1024)
#define NGX_HTTP_S3_POST_MAX_BODY                                            \
    (NGX_HTTP_S3_MAX_OBJECT_SIZE + 2 * NGX_HTTP_S3_POST_MAX_FIELDS)


typedef struct {
    ngx_http_s3_body_t         body;
    ngx_http_s3_form_t         form;
    ngx_http_request_t        *request;

    ngx_array_t               *fields;      /* ngx_keyval_t, names lowcase */
    u_char                    *pre;         /* the fields' bytes */
    size_t                     pre_len;
    ngx_keyval_t              *field;       /* being read */

    ngx_http_s3_store_file_t   file;
    ngx_str_t                  filename;
    off_t                      size;
    void                      *md5;         /* EVP_MD_CTX */
    ngx_http_s3_checksum_t     checksum;
    u_char                     checksum_want[NGX_HTTP_S3_CHECKSUM_MAX_SIZE];
    u_char                     checksum_sum[NGX_HTTP_S3_CHECKSUM_MAX_SIZE];

    ngx_http_s3_object_t       object;
    ngx_str_t                  key;
    u_char                     etag[32];

    ngx_http_s3_err_e          err;         /* decided when read */
    const char                *message;

    unsigned                   in_file:1;
    unsigned                   file_done:1;
    unsigned                   files:2;
    unsigned                   created:1;
    unsigned                   read:1;       /* the body is read */
} ngx_http_s3_post_t;


static ngx_int_t ngx_http_s3_post_start(ngx_http_s3_form_t *f);
static ngx_int_t ngx_http_s3_post_file_start(ngx_http_s3_post_t *post);
static ngx_int_t ngx_http_s3_post_data(ngx_http_s3_form_t *f, u_char *p,
    size_t len);
static ngx_int_t ngx_http_s3_post_end(ngx_http_s3_form_t *f);
static void ngx_http_s3_post_refuse(ngx_http_s3_post_t *post,
    ngx_http_s3_err_e err, const char *message);
static ngx_int_t ngx_http_s3_post_body(ngx_http_s3_body_t *bd, u_char *p,
    size_t len);
static void ngx_http_s3_post_fail(ngx_http_s3_body_t *bd);
static void ngx_http_s3_post_done(ngx_http_s3_body_t *bd);
static ngx_int_t ngx_http_s3_post_continue(ngx_http_s3_post_t *post);
static ngx_int_t ngx_http_s3_post_error(ngx_http_s3_post_t *post,
    ngx_http_s3_err_e err, const char *message);
static ngx_int_t ngx_http_s3_post_missing(ngx_http_s3_post_t *post,
    const char *name);
static ngx_str_t *ngx_http_s3_post_field(ngx_http_s3_post_t *post,
    const char *name);
static ngx_int_t ngx_http_s3_post_auth(ngx_http_s3_post_t *post);
static ngx_int_t ngx_http_s3_post_size(ngx_http_s3_post_t *post,
    ngx_http_s3_post_policy_t *policy);
static ngx_int_t ngx_http_s3_post_key(ngx_http_s3_post_t *post);
static ngx_int_t ngx_http_s3_post_object_fields(ngx_http_s3_post_t *post);
static ngx_int_t ngx_http_s3_post_commit(ngx_http_s3_post_t *post);
static void ngx_http_s3_post_synced(void *data, ngx_int_t rc);
static ngx_int_t ngx_http_s3_post_record(ngx_http_s3_post_t *post);
static void ngx_http_s3_post_handler(ngx_http_s3_meta_req_t *mr);
static ngx_int_t ngx_http_s3_post_reply(ngx_http_s3_post_t *post);
static void ngx_http_s3_post_cleanup(void *data);


ngx_int_t
ngx_http_s3_post_object(ngx_http_request_t *r)
{
    ngx_int_t             rc;
    ngx_str_t             boundary;
    ngx_http_s3_ctx_t    *ctx;
    ngx_http_s3_err_e     err;
    ngx_http_s3_post_t   *post;
    ngx_pool_cleanup_t   *cln;

    ctx = ngx_http_s3_get_ctx(r);

    /* again after a key or bucket lookup: where it was */

    if (ctx->op_ctx) {
        return ngx_http_s3_post_continue(ctx->op_ctx);
    }

    if (r->headers_in.content_type == NULL) {
        return ngx_http_s3_send_error(r, NGX_HTTP_S3_ERR_PRECONDITION_FAILED,
                                      "Bucket POST must be of the "
                                      "enclosure-type multipart/form-data");
    }

    switch (ngx_http_s3_form_boundary(&r->headers_in.content_type->value,
                                      &boundary))
    {
    case NGX_OK:
        break;

    case NGX_DECLINED:
        return ngx_http_s3_send_error(r, NGX_HTTP_S3_ERR_PRECONDITION_FAILED,
                                      "Bucket POST must be of the "
                                      "enclosure-type multipart/form-data");

    default:
        return ngx_http_s3_send_error(r,
                                      NGX_HTTP_S3_ERR_MALFORMED_POST_REQUEST,
                                      NULL);
    }

    if (r->headers_in.content_length_n < 0 && !r->headers_in.chunked) {
        return ngx_http_s3_send_error(r,
                                      NGX_HTTP_S3_ERR_MISSING_CONTENT_LENGTH,
                                      NULL);
    }

    post = ngx_pcalloc(r->pool, sizeof(ngx_http_s3_post_t));
    if (post == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    post->request = r;

    post->fields = ngx_array_create(r->pool, 16, sizeof(ngx_keyval_t));
    if (post->fields == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    cln = ngx_pool_cleanup_add(r->pool, 0);
    if (cln == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    cln->handler = ngx_http_s3_post_cleanup;
    cln->data = post;

    ngx_http_s3_form_init(&post->form, &boundary);

    post->form.part_start = ngx_http_s3_post_start;
    post->form.part_data = ngx_http_s3_post_data;
    post->form.part_end = ngx_http_s3_post_end;
    post->form.data = post;

    post->body.max = NGX_HTTP_S3_POST_MAX_BODY;
    post->body.data_handler = ngx_http_s3_post_body;
    post->body.done_handler = ngx_http_s3_post_done;
    post->body.fail_handler = ngx_http_s3_post_fail;
    post->body.data = post;

    /* x-amz-checksum-* of a form are its fields, not the body's */
    post->body.object_checksum = 1;

    err = ngx_http_s3_body_init(r, &post->body);

    if (err != NGX_HTTP_S3_OK) {
        return ngx_http_s3_send_error(r, err, post->body.message);
    }

    ctx->op_ctx = post;

    rc = ngx_http_s3_body_read(&post->body);

    if (rc != NGX_OK) {
        return rc;
    }

    return NGX_DONE;
}


static void
ngx_http_s3_post_cleanup(void *data)
{
    ngx_http_s3_post_t  *post = data;

    if (post->md5) {
        EVP_MD_CTX_free(post->md5);
        post->md5 = NULL;
    }
}


/* the form's parts, as they come: fields, then the file */

static ngx_int_t
ngx_http_s3_post_start(ngx_http_s3_form_t *f)
{
    ngx_http_s3_post_t  *post = f->data;

    u_char        *p;
    ngx_uint_t     i;
    ngx_keyval_t  *kv;

    post->field = NULL;

    if (post->file_done || post->err != NGX_HTTP_S3_OK) {
        /* after the file, or after an error: ignored */
        return NGX_OK;
    }

    if (f->name.len == 4
        && ngx_strncasecmp(f->name.data, (u_char *) "file", 4) == 0)
    {
        return ngx_http_s3_post_file_start(post);
    }

    if (post->pre == NULL) {
        post->pre = ngx_pnalloc(post->request->pool,
                                NGX_HTTP_S3_POST_MAX_FIELDS);
        if (post->pre == NULL) {
            return NGX_ERROR;
        }
    }

    if (post->pre_len + f->name.len > NGX_HTTP_S3_POST_MAX_FIELDS) {
        ngx_http_s3_post_refuse(post, NGX_HTTP_S3_ERR_MAX_POST_PRE_DATA,
                                NULL);
        return NGX_OK;
    }

    p = post->pre + post->pre_len;

    for (i = 0; i < f->name.len; i++) {
        p[i] = ngx_tolower(f->name.data[i]);
    }

    kv = post->fields->elts;

    for (i = 0; i < post->fields->nelts; i++) {
        if (kv[i].key.len == f->name.len
            && ngx_strncmp(kv[i].key.data, p, f->name.len) == 0)
        {
            ngx_http_s3_post_refuse(post, NGX_HTTP_S3_ERR_INVALID_ARGUMENT,
                                    "POST form fields must not repeat.");
            return NGX_OK;
        }
    }

    kv = ngx_array_push(post->fields);
    if (kv == NULL) {
        return NGX_ERROR;
    }

    kv->key.data = p;
    kv->key.len = f->name.len;
    kv->value.data = p + f->name.len;
    kv->value.len = 0;

    post->pre_len += f->name.len;
    post->field = kv;

    return NGX_OK;
}


static ngx_int_t
ngx_http_s3_post_file_start(ngx_http_s3_post_t *post)
{
    ngx_str_t           *v;
    ngx_uint_t           i, alg;
    ngx_keyval_t        *kv;
    ngx_http_request_t  *r;

    r = post->request;

    post->files++;
    post->in_file = 1;

    if (post->form.has_filename) {
        post->filename.len = post->form.filename.len;
        post->filename.data = ngx_pnalloc(r->pool, post->filename.len + 1);
        if (post->filename.data == NULL) {
            return NGX_ERROR;
        }

        ngx_memcpy(post->filename.data, post->form.filename.data,
                   post->filename.len);
    }

    /* the checksum the form names (a field before the file) */

    kv = post->fields->elts;
    v = NULL;
    alg = NGX_HTTP_S3_CHECKSUM_NONE;

    for (i = 0; i < post->fields->nelts; i++) {
        alg = ngx_http_s3_checksum_by_header(kv[i].key.data, kv[i].key.len);

        if (alg != NGX_HTTP_S3_CHECKSUM_NONE) {
            v = &kv[i].value;
            break;
        }
    }

    if (v) {
        if (ngx_http_s3_checksum_decode(alg, v, post->checksum_want)
            != NGX_OK)
        {
            ngx_http_s3_post_refuse(post, NGX_HTTP_S3_ERR_INVALID_REQUEST,
                                    "Value for x-amz-checksum- form field "
                                    "is invalid.");
            return NGX_OK;
        }

        if (ngx_http_s3_checksum_init(&post->checksum, r->pool, alg)
            != NGX_OK)
        {
            return NGX_ERROR;
        }
    }

    post->md5 = EVP_MD_CTX_new();

    if (post->md5 == NULL
        || EVP_DigestInit_ex(post->md5, EVP_md5(), NULL) != 1)
    {
        return NGX_ERROR;
    }

    if (ngx_http_s3_store_create(r, &post->file) != NGX_OK) {
        post->body.err = ngx_http_s3_store_error(&post->file);
        return NGX_ERROR;
    }

    post->created = 1;

    return NGX_OK;
}


static ngx_int_t
ngx_http_s3_post_data(ngx_http_s3_form_t *f, u_char *p, size_t len)
{
    ngx_http_s3_post_t  *post = f->data;

    if (post->err != NGX_HTTP_S3_OK) {
        return NGX_OK;
    }

    if (post->in_file) {

        if (post->size + (off_t) len > NGX_HTTP_S3_MAX_OBJECT_SIZE) {
            post->body.err = NGX_HTTP_S3_ERR_ENTITY_TOO_LARGE;
            return NGX_ERROR;
        }

        post->size += len;

        if (EVP_DigestUpdate(post->md5, p, len) != 1
            || (post->checksum.alg != NGX_HTTP_S3_CHECKSUM_NONE
                && ngx_http_s3_checksum_update(&post->checksum, p, len)
                   != NGX_OK))
        {
            post->body.err = NGX_HTTP_S3_ERR_INTERNAL;
            return NGX_ERROR;
        }

        if (ngx_http_s3_store_write(&post->file, p, len) != NGX_OK) {
            post->body.err = ngx_http_s3_store_error(&post->file);
            return NGX_ERROR;
        }

        return NGX_OK;
    }

    if (post->field == NULL) {
        return NGX_OK;
    }

    if (post->pre_len + len > NGX_HTTP_S3_POST_MAX_FIELDS) {
        ngx_http_s3_post_refuse(post, NGX_HTTP_S3_ERR_MAX_POST_PRE_DATA,
                                NULL);
        return NGX_OK;
    }

    ngx_memcpy(post->pre + post->pre_len, p, len);
    post->pre_len += len;
    post->field->value.len += len;

    return NGX_OK;
}


static ngx_int_t
ngx_http_s3_post_end(ngx_http_s3_form_t *f)
{
    ngx_http_s3_post_t  *post = f->data;

    if (post->in_file) {
        post->in_file = 0;
        post->file_done = 1;
    }

    post->field = NULL;

    return NGX_OK;
}


/* the first error found while reading: answered once the body is read */

static void
ngx_http_s3_post_refuse(ngx_http_s3_post_t *post, ngx_http_s3_err_e err,
    const char *message)
{
    if (post->err == NGX_HTTP_S3_OK) {
        post->err = err;
        post->message = message;
    }
}


/* a piece of the body, from the body reader */

static ngx_int_t
ngx_http_s3_post_body(ngx_http_s3_body_t *bd, u_char *p, size_t len)
{
    ngx_int_t            rc;
    ngx_http_s3_post_t  *post;

    post = bd->data;

    if (post->err == NGX_HTTP_S3_ERR_MALFORMED_POST_REQUEST) {
        return NGX_OK;
    }

    rc = ngx_http_s3_form_feed(&post->form, p, len);

    if (rc == NGX_DECLINED) {
        /* the rest is read and dropped; answered at the end */
        post->err = NGX_HTTP_S3_ERR_MALFORMED_POST_REQUEST;
        post->message = NULL;
        return NGX_OK;
    }

    if (rc != NGX_OK) {
        if (bd->err == NGX_HTTP_S3_OK) {
            bd->err = NGX_HTTP_S3_ERR_INTERNAL;
        }

        return NGX_ERROR;
    }

    return NGX_OK;
}


static void
ngx_http_s3_post_fail(ngx_http_s3_body_t *bd)
{
    ngx_http_s3_post_t  *post;

    post = bd->data;

    if (post->created) {
        ngx_http_s3_store_discard(&post->file);
        post->created = 0;
    }
}


static void
ngx_http_s3_post_done(ngx_http_s3_body_t *bd)
{
    ngx_http_s3_post_t  *post;

    post = bd->data;
    post->read = 1;

    if (post->err == NGX_HTTP_S3_OK
        && ngx_http_s3_form_eof(&post->form) != NGX_OK)
    {
        post->err = NGX_HTTP_S3_ERR_MALFORMED_POST_REQUEST;
        post->message = NULL;
    }

    if (post->err == NGX_HTTP_S3_OK && post->files == 0) {
        post->err = NGX_HTTP_S3_ERR_INCORRECT_NUMBER_OF_FILES;
    }

    ngx_http_s3_finalize(post->request, ngx_http_s3_post_continue(post));
}


/*
 * After the body, and again after each lookup of a key or of the
 * bucket's permissions: authenticate, check, commit
 */

static ngx_int_t
ngx_http_s3_post_continue(ngx_http_s3_post_t *post)
{
    ngx_int_t            rc;
    ngx_http_s3_ctx_t   *ctx;
    ngx_http_request_t  *r;

    r = post->request;
    ctx = ngx_http_s3_get_ctx(r);

    if (!post->read) {
        /* cannot happen: lookups start after the body */
        return ngx_http_s3_post_error(post, NGX_HTTP_S3_ERR_INTERNAL, NULL);
    }

    if (post->err != NGX_HTTP_S3_OK) {
        return ngx_http_s3_post_error(post, post->err, post->message);
    }

    /* each step: NGX_DECLINED to go on, else what was answered */

    rc = ngx_http_s3_post_auth(post);

    if (rc != NGX_DECLINED) {
        return rc;
    }

    /* the request's key from now on (the URI named the bucket only) */

    ctx->key = post->key;

    if (!ctx->auth.root) {
        rc = ngx_http_s3_access_check(r, NGX_HTTP_S3_ACT_PUT_OBJECT);

        if (rc == NGX_AGAIN) {
            return ngx_http_s3_access_lookup(r);
        }

        if (rc == NGX_DECLINED) {
            return ngx_http_s3_post_error(post, NGX_HTTP_S3_ERR_ACCESS_DENIED,
                                          "Access Denied");
        }

        if (rc != NGX_OK) {
            return ngx_http_s3_post_error(post, NGX_HTTP_S3_ERR_INTERNAL,
                                          NULL);
        }
    }

    return ngx_http_s3_post_commit(post);
}


/* an error: the body file goes first */

static ngx_int_t
ngx_http_s3_post_error(ngx_http_s3_post_t *post, ngx_http_s3_err_e err,
    const char *message)
{
    if (post->created) {
        ngx_http_s3_store_discard(&post->file);
        post->created = 0;
    }

    return ngx_http_s3_send_error(post->request, err, message);
}


/* S3's answer for a field the form lacks */

static ngx_int_t
ngx_http_s3_post_missing(ngx_http_s3_post_t *post, const char *name)
{
    u_char                   *msg, *last;
    size_t                    len;
    ngx_http_s3_err_extra_t   extra[2];

    len = sizeof("Bucket POST must contain a field named ''.  If it is "
                 "specified, please check the order of the fields.")
          + ngx_strlen(name);

    msg = ngx_pnalloc(post->request->pool, len);
    if (msg == NULL) {
        return ngx_http_s3_post_error(post, NGX_HTTP_S3_ERR_INTERNAL, NULL);
    }

    last = ngx_snprintf(msg, len - 1, "Bucket POST must contain a field "
                        "named '%s'.  If it is specified, please check the "
                        "order of the fields.", name);
    *last = '\0';

    extra[0].name = "ArgumentName";
    extra[0].value.data = (u_char *) name;
    extra[0].value.len = ngx_strlen(name);
    extra[1].name = "ArgumentValue";
    ngx_str_set(&extra[1].value, "");

    if (post->created) {
        ngx_http_s3_store_discard(&post->file);
        post->created = 0;
    }

    return ngx_http_s3_send_error_extra(post->request,
                                        NGX_HTTP_S3_ERR_INVALID_ARGUMENT,
                                        (const char *) msg, extra, 2);
}


static ngx_str_t *
ngx_http_s3_post_field(ngx_http_s3_post_t *post, const char *name)
{
    size_t         len;
    ngx_uint_t     i;
    ngx_keyval_t  *kv;

    len = ngx_strlen(name);
    kv = post->fields->elts;

    for (i = 0; i < post->fields->nelts; i++) {
        if (kv[i].key.len == len
            && ngx_strncmp(kv[i].key.data, name, len) == 0)
        {
            return &kv[i].value;
        }
    }

    return NULL;
}


/*
 * The signature of the policy and the policy itself; a form without a
 * policy and without a signature is anonymous (the bucket's ACL or
 * policy may let everyone write)
 */

static ngx_int_t
ngx_http_s3_post_auth(ngx_http_s3_post_t *post)
{
    ngx_int_t                   rc;
    ngx_str_t                  *v, *sig, *ak, *cred;
    ngx_keyval_t               *kv;
    const char                 *message;
    ngx_http_s3_ctx_t          *ctx;
    ngx_http_s3_err_e           err;
    ngx_http_request_t         *r;
    ngx_http_s3_form_auth_t     fa;
    ngx_http_s3_post_policy_t  *policy;

    r = post->request;
    ctx = ngx_http_s3_get_ctx(r);

    if (ngx_http_s3_post_field(post, "key") == NULL) {
        return ngx_http_s3_post_missing(post, "key");
    }

    ngx_memzero(&fa, sizeof(ngx_http_s3_form_auth_t));

    v = ngx_http_s3_post_field(post, "policy");
    ak = ngx_http_s3_post_field(post, "awsaccesskeyid");
    cred = ngx_http_s3_post_field(post, "x-amz-credential");
    sig = ngx_http_s3_post_field(post, "x-amz-signature");

    if (sig == NULL) {
        sig = ngx_http_s3_post_field(post, "signature");
    }

    policy = NULL;

    if (v == NULL) {
        if (ak || cred || sig) {
            return ngx_http_s3_post_missing(post, "policy");
        }

        /* anonymous */

        ngx_str_null(&ctx->auth.access_key);
        ngx_str_null(&ctx->auth.user);
        ctx->auth.root = 0;

    } else {

        if (cred == NULL && ak == NULL) {
            return ngx_http_s3_post_missing(post, "AWSAccessKeyId");
        }

        fa.policy = *v;

        if (cred) {
            fa.credential = *cred;

            v = ngx_http_s3_post_field(post, "x-amz-algorithm");
            if (v == NULL) {
                return ngx_http_s3_post_missing(post, "x-amz-algorithm");
            }

            fa.algorithm = *v;

            v = ngx_http_s3_post_field(post, "x-amz-date");
            if (v == NULL) {
                return ngx_http_s3_post_missing(post, "x-amz-date");
            }

            fa.amz_date = *v;

            sig = ngx_http_s3_post_field(post, "x-amz-signature");
            if (sig == NULL) {
                return ngx_http_s3_post_missing(post, "x-amz-signature");
            }

        } else {
            fa.v2 = 1;
            fa.access_key = *ak;

            sig = ngx_http_s3_post_field(post, "signature");
            if (sig == NULL) {
                return ngx_http_s3_post_missing(post, "Signature");
            }
        }

        fa.signature = *sig;

        err = ngx_http_s3_authenticate_form(r, ctx, &fa);

        if (ctx->lookup.len) {
            /* a managed key this worker does not know yet */
            return ngx_http_s3_access_lookup(r);
        }

        if (err != NGX_HTTP_S3_OK) {
            return ngx_http_s3_post_error(post, err, ctx->auth.message);
        }

        /* the policy, signed: its conditions */

        policy = ngx_http_s3_post_policy_parse(r->pool, &fa.policy,
                                               &message);

        if (policy == NULL) {
            err = message ? NGX_HTTP_S3_ERR_INVALID_POLICY_DOCUMENT
                          : NGX_HTTP_S3_ERR_INTERNAL;

            return ngx_http_s3_post_error(post, err, message);
        }

        kv = ngx_array_push(post->fields);
        if (kv == NULL) {
            return ngx_http_s3_post_error(post, NGX_HTTP_S3_ERR_INTERNAL,
                                          NULL);
        }

        ngx_str_set(&kv->key, "bucket");
        kv->value = ctx->bucket;

        rc = ngx_http_s3_post_policy_check(r->pool, policy, post->fields,
                                           ngx_time(), &message);

        post->fields->nelts--;

        if (rc == NGX_ERROR) {
            return ngx_http_s3_post_error(post, NGX_HTTP_S3_ERR_INTERNAL,
                                          NULL);
        }

        if (rc != NGX_OK) {
            ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                          "s3 post: %s", message);
            return ngx_http_s3_post_error(post, NGX_HTTP_S3_ERR_ACCESS_DENIED,
                                          message);
        }

        rc = ngx_http_s3_post_size(post, policy);

        if (rc != NGX_DECLINED) {
            return rc;
        }
    }

    rc = ngx_http_s3_post_key(post);

    if (rc != NGX_DECLINED) {
        return rc;
    }

    return ngx_http_s3_post_object_fields(post);
}


/* content-length-range: the file's size */

static ngx_int_t
ngx_http_s3_post_size(ngx_http_s3_post_t *post,
    ngx_http_s3_post_policy_t *policy)
{
    u_char                   *p;
    ngx_http_s3_err_e         err;
    ngx_http_s3_err_extra_t   extra[2];

    if (policy->max < 0
        || (post->size >= policy->min && post->size <= policy->max))
    {
        return NGX_DECLINED;
    }

    p = ngx_pnalloc(post->request->pool, 2 * NGX_OFF_T_LEN);
    if (p == NULL) {
        return ngx_http_s3_post_error(post, NGX_HTTP_S3_ERR_INTERNAL, NULL);
    }

    extra[0].name = "ProposedSize";
    extra[0].value.data = p;
    extra[0].value.len = ngx_sprintf(p, "%O", post->size) - p;

    p += NGX_OFF_T_LEN;
    extra[1].value.data = p;

    if (post->size > policy->max) {
        err = NGX_HTTP_S3_ERR_ENTITY_TOO_LARGE;
        extra[1].name = "MaxSizeAllowed";
        extra[1].value.len = ngx_sprintf(p, "%O", policy->max) - p;

    } else {
        err = NGX_HTTP_S3_ERR_ENTITY_TOO_SMALL;
        extra[1].name = "MinSizeAllowed";
        extra[1].value.len = ngx_sprintf(p, "%O", policy->min) - p;
    }

    if (post->created) {
        ngx_http_s3_store_discard(&post->file);
        post->created = 0;
    }

    return ngx_http_s3_send_error_extra(post->request, err,
                     err == NGX_HTTP_S3_ERR_ENTITY_TOO_LARGE
                     ? "Your proposed upload exceeds the maximum allowed size"
                     : "Your proposed upload is smaller than the minimum "
                       "allowed size", extra, 2);
}


/* the key field, with ${filename} replaced by the file's name */

static ngx_int_t
ngx_http_s3_post_key(ngx_http_s3_post_t *post)
{
    u_char     *p, *var;
    size_t      len;
    ngx_int_t   rc;
    ngx_str_t  *key, name;

    key = ngx_http_s3_post_field(post, "key");

    name = post->filename;

    /* a browser may send the path of the file: its last part */

    if (name.len) {
        p = name.data + name.len;

        while (p > name.data && p[-1] != '/' && p[-1] != '\\') {
            p--;
        }

        name.len -= p - name.data;
        name.data = p;
    }

    var = ngx_strlcasestrn(key->data, key->data + key->len,
                           (u_char *) "${filename}",
                           sizeof("${filename}") - 2);

    if (var == NULL) {
        post->key = *key;

    } else {
        len = key->len - (sizeof("${filename}") - 1) + name.len;

        p = ngx_pnalloc(post->request->pool, len);
        if (p == NULL) {
            return ngx_http_s3_post_error(post, NGX_HTTP_S3_ERR_INTERNAL,
                                          NULL);
        }

        post->key.data = p;
        post->key.len = len;

        p = ngx_cpymem(p, key->data, var - key->data);

        if (name.len) {
            p = ngx_cpymem(p, name.data, name.len);
        }

        var += sizeof("${filename}") - 1;
        ngx_memcpy(p, var, key->data + key->len - var);
    }

    if (post->key.len == 0) {
        return ngx_http_s3_post_error(post, NGX_HTTP_S3_ERR_INVALID_ARGUMENT,
                                      "User key must have a length greater "
                                      "than 0.");
    }

    rc = ngx_http_s3_valid_key(&post->key);

    if (rc == NGX_DECLINED) {
        return ngx_http_s3_post_error(post, NGX_HTTP_S3_ERR_KEY_TOO_LONG,
                                      "Your key is too long");
    }

    if (rc != NGX_OK) {
        return ngx_http_s3_post_error(post, NGX_HTTP_S3_ERR_INVALID_ARGUMENT,
                                      "The key is not valid UTF-8.");
    }

    return NGX_DECLINED;
}


/* the fields that become the object's: content headers, x-amz-meta-* */

static ngx_int_t
ngx_http_s3_post_object_fields(ngx_http_s3_post_t *post)
{
    size_t                 size;
    ngx_uint_t             i;
    ngx_keyval_t          *kv;
    ngx_http_s3_pair_t    *pair;
    ngx_http_s3_object_t  *o;

    o = &post->object;

    o->meta = ngx_array_create(post->request->pool, 4,
                               sizeof(ngx_http_s3_pair_t));
    if (o->meta == NULL) {
        return ngx_http_s3_post_error(post, NGX_HTTP_S3_ERR_INTERNAL, NULL);
    }

    kv = post->fields->elts;
    size = 0;

    for (i = 0; i < post->fields->nelts; i++) {

        if (kv[i].key.len > sizeof("x-amz-meta-") - 1
            && ngx_strncmp(kv[i].key.data, "x-amz-meta-",
                           sizeof("x-amz-meta-") - 1) == 0)
        {
            pair = ngx_array_push(o->meta);
            if (pair == NULL) {
                return ngx_http_s3_post_error(post, NGX_HTTP_S3_ERR_INTERNAL,
                                              NULL);
            }

            pair->name.data = kv[i].key.data + sizeof("x-amz-meta-") - 1;
            pair->name.len = kv[i].key.len - (sizeof("x-amz-meta-") - 1);
            pair->value = kv[i].value;

            size += pair->name.len + pair->value.len;
            continue;
        }

#define ngx_http_s3_post_is(kv, name)                                        \
        ((kv)->key.len == sizeof(name) - 1                                    \
         && ngx_strncmp((kv)->key.data, name, sizeof(name) - 1) == 0)

        if (ngx_http_s3_post_is(&kv[i], "content-type")) {
            o->content_type = kv[i].value;

        } else if (ngx_http_s3_post_is(&kv[i], "cache-control")) {
            o->cache_control = kv[i].value;

        } else if (ngx_http_s3_post_is(&kv[i], "content-disposition")) {
            o->content_disposition = kv[i].value;

        } else if (ngx_http_s3_post_is(&kv[i], "content-encoding")) {
            o->content_encoding = kv[i].value;

        } else if (ngx_http_s3_post_is(&kv[i], "content-language")) {
            o->content_language = kv[i].value;

        } else if (ngx_http_s3_post_is(&kv[i], "expires")) {
            o->expires = kv[i].value;

        } else if (ngx_http_s3_post_is(&kv[i], "acl")) {

            /* permissions are the bucket's (ngx_http_s3_access.c) */

            if (!ngx_http_s3_access_object_acl_noop(&kv[i].value)) {
                return ngx_http_s3_post_error(post,
                                       NGX_HTTP_S3_ERR_ACL_NOT_SUPPORTED,
                                       NULL);
            }

        } else if (ngx_http_s3_post_is(&kv[i], "x-amz-storage-class")) {

            if (!(kv[i].value.len == 8
                  && ngx_strncmp(kv[i].value.data, "STANDARD", 8) == 0))
            {
                return ngx_http_s3_post_error(post,
                                       NGX_HTTP_S3_ERR_INVALID_STORAGE_CLASS,
                                       NULL);
            }

        } else if (ngx_http_s3_post_is(&kv[i], "tagging")
                   || (kv[i].key.len > sizeof("x-amz-object-lock-") - 1
                       && ngx_strncmp(kv[i].key.data, "x-amz-object-lock-",
                                      sizeof("x-amz-object-lock-") - 1)
                          == 0)
                   || (kv[i].key.len
                       > sizeof("x-amz-server-side-encryption") - 2
                       && ngx_strncmp(kv[i].key.data,
                                      "x-amz-server-side-encryption",
                                      sizeof("x-amz-server-side-encryption")
                                      - 1) == 0))
        {
            return ngx_http_s3_post_error(post,
                                          NGX_HTTP_S3_ERR_NOT_IMPLEMENTED,
                                          "A form field you provided "
                                          "implies functionality that is "
                                          "not implemented.");
        }

#undef ngx_http_s3_post_is
    }

    if (size > NGX_HTTP_S3_MAX_META_SIZE) {
        return ngx_http_s3_post_error(post,
                                      NGX_HTTP_S3_ERR_METADATA_TOO_LARGE,
                                      NULL);
    }

    return NGX_DECLINED;
}


/* the file made durable, then its record committed */

static ngx_int_t
ngx_http_s3_post_commit(ngx_http_s3_post_t *post)
{
    ngx_int_t  rc;

    rc = ngx_http_s3_store_close(post->request, &post->file,
                                 ngx_http_s3_post_synced, post);

    if (rc == NGX_AGAIN) {
        post->request->main->count++;
        return NGX_DONE;
    }

    if (rc != NGX_OK) {
        return ngx_http_s3_post_error(post,
                                      ngx_http_s3_store_error(&post->file),
                                      NULL);
    }

    return ngx_http_s3_post_record(post);
}


static void
ngx_http_s3_post_synced(void *data, ngx_int_t rc)
{
    ngx_http_s3_post_t *post = data;

    if (rc != NGX_OK) {
        rc = ngx_http_s3_post_error(post,
                                    ngx_http_s3_store_error(&post->file),
                                    NULL);

    } else {
        rc = ngx_http_s3_post_record(post);
    }

    ngx_http_s3_finalize(post->request, rc);
}


static ngx_int_t
ngx_http_s3_post_record(ngx_http_s3_post_t *post)
{
    u_char                    md5[16];
    size_t                    size;
    ngx_str_t                 rec;
    ngx_time_t               *tp;
    unsigned int              n;
    ngx_http_s3_ctx_t        *ctx;
    ngx_http_request_t       *r;
    ngx_http_s3_wbuf_t        b, rb;
    ngx_http_s3_object_t     *o;
    ngx_http_s3_write_cond_t  cond;

    r = post->request;
    ctx = ngx_http_s3_get_ctx(r);
    o = &post->object;

    if (EVP_DigestFinal_ex(post->md5, md5, &n) != 1 || n != 16) {
        return ngx_http_s3_post_error(post, NGX_HTTP_S3_ERR_INTERNAL, NULL);
    }

    ngx_hex_dump(post->etag, md5, 16);

    if (post->checksum.alg != NGX_HTTP_S3_CHECKSUM_NONE) {

        if (ngx_http_s3_checksum_final(&post->checksum, post->checksum_sum)
            != NGX_OK)
        {
            return ngx_http_s3_post_error(post, NGX_HTTP_S3_ERR_INTERNAL,
                                          NULL);
        }

        if (ngx_memcmp(post->checksum_sum, post->checksum_want,
                       ngx_http_s3_checksum_size(post->checksum.alg))
            != 0)
        {
            return ngx_http_s3_post_error(post, NGX_HTTP_S3_ERR_BAD_DIGEST,
                                          "The checksum you specified did "
                                          "not match the calculated "
                                          "checksum.");
        }

        o->checksum_alg = post->checksum.alg;
        o->checksum_type = NGX_HTTP_S3_CHECKSUM_FULL_OBJECT;
        o->checksum.data = post->checksum_sum;
        o->checksum.len = ngx_http_s3_checksum_size(post->checksum.alg);
    }

    tp = ngx_timeofday();

    o->size = (uint64_t) post->size;
    ctx->object_size = post->size;
    o->mtime = (uint64_t) tp->sec * 1000 + tp->msec;
    o->body = post->file.id;
    ngx_str_set(&o->version, "null");
    o->owner = ctx->auth.access_key;
    o->etag.data = post->etag;
    o->etag.len = 32;

    size = 256 + 8 + NGX_HTTP_S3_CHECKSUM_MAX_SIZE
           + o->content_type.len + o->content_encoding.len
           + o->content_disposition.len + o->content_language.len
           + o->cache_control.len + o->expires.len + o->owner.len
           + NGX_HTTP_S3_MAX_META_SIZE + 8 * o->meta->nelts;

    if (ngx_http_s3_wbuf_init(&rb, r->pool, size) != NGX_OK) {
        return ngx_http_s3_post_error(post, NGX_HTTP_S3_ERR_INTERNAL, NULL);
    }

    ngx_http_s3_object_encode(&rb, o);

    if (rb.error) {
        return ngx_http_s3_post_error(post, NGX_HTTP_S3_ERR_INTERNAL, NULL);
    }

    rec.data = rb.start;
    rec.len = rb.pos - rb.start;

    ngx_memzero(&cond, sizeof(ngx_http_s3_write_cond_t));

    if (ngx_http_s3_wbuf_init(&b, r->pool, 32 + ctx->bucket.len
                                           + post->key.len + rec.len)
        != NGX_OK)
    {
        return ngx_http_s3_post_error(post, NGX_HTTP_S3_ERR_INTERNAL, NULL);
    }

    ngx_http_s3_wire_put_str(&b, &ctx->bucket);
    ngx_http_s3_wire_put_str(&b, &post->key);
    ngx_http_s3_wire_put_str(&b, &rec);
    ngx_http_s3_wire_put_cond(&b, &cond);

    if (ngx_http_s3_meta_call(r, NGX_HTTP_S3_WIRE_OP_OBJECT_PUT, &b,
                              ngx_http_s3_post_handler, post)
        != NGX_OK)
    {
        return ngx_http_s3_post_error(post, NGX_HTTP_S3_ERR_INTERNAL, NULL);
    }

    r->main->count++;

    return NGX_DONE;
}


static void
ngx_http_s3_post_handler(ngx_http_s3_meta_req_t *mr)
{
    ngx_int_t            rc;
    ngx_http_s3_ctx_t   *ctx;
    ngx_http_s3_post_t  *post;
    ngx_http_request_t  *r;

    post = mr->data;
    r = post->request;
    ctx = ngx_http_s3_get_ctx(r);

    switch (mr->status) {

    case NGX_HTTP_S3_WIRE_ST_OK:
        post->file.keep = 1;
        post->created = 0;
        rc = ngx_http_s3_post_reply(post);
        break;

    case NGX_HTTP_S3_WIRE_ST_UNAVAILABLE:
    case NGX_HTTP_S3_WIRE_ST_ERROR:

        /* the commit may have happened: kept, as PutObject keeps it */

        post->file.keep = 1;
        post->created = 0;

        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "s3 post \"%V/%V\": metadata %s, body \"%s\" kept",
                      &ctx->bucket, &post->key,
                      ngx_http_s3_meta_status_text(mr->status),
                      post->file.file.name.data);

        rc = ngx_http_s3_send_error(r, ngx_http_s3_meta_error(mr->status),
                                    NULL);
        break;

    default:
        rc = ngx_http_s3_post_error(post, ngx_http_s3_meta_error(mr->status),
                                    NULL);
        break;
    }

    ngx_http_s3_finalize(r, rc);
}


/*
 * success_action_redirect (or redirect): 303 to it with bucket, key and
 * etag; else success_action_status 200, 201 (a PostResponse document)
 * or 204 (the default)
 */

static ngx_int_t
ngx_http_s3_post_reply(ngx_http_s3_post_t *post)
{
    u_char              *p;
    size_t               len, klen, blen;
    ngx_str_t           *v, etag, location;
    ngx_uint_t           status;
    ngx_chain_t         *cl;
    ngx_http_s3_ctx_t   *ctx;
    ngx_http_s3_xml_t    w;
    ngx_http_request_t  *r;

    r = post->request;
    ctx = ngx_http_s3_get_ctx(r);

    etag.len = 2 + 32;
    etag.data = ngx_pnalloc(r->pool, etag.len);
    if (etag.data == NULL) {
        return NGX_ERROR;
    }

    etag.data[0] = '"';
    ngx_memcpy(etag.data + 1, post->etag, 32);
    etag.data[33] = '"';

    if (ngx_http_s3_add_header(r, "ETag", &etag) != NGX_OK) {
        return NGX_ERROR;
    }

    if (post->object.checksum_alg != NGX_HTTP_S3_CHECKSUM_NONE
        && ngx_http_s3_checksum_out(r, post->object.checksum_alg,
                                    NGX_HTTP_S3_CHECKSUM_FULL_OBJECT,
                                    &post->object.checksum, 0)
           != NGX_OK)
    {
        return NGX_ERROR;
    }

    klen = ngx_http_s3_uri_encode(NULL, post->key.data, post->key.len, 0);
    blen = ngx_http_s3_uri_encode(NULL, ctx->bucket.data, ctx->bucket.len,
                                  1);

    v = ngx_http_s3_post_field(post, "success_action_redirect");

    if (v == NULL || v->len == 0) {
        v = ngx_http_s3_post_field(post, "redirect");
    }

    if (v && v->len
        && ((v->len > 7 && ngx_strncasecmp(v->data, (u_char *) "http://", 7)
                           == 0)
            || (v->len > 8
                && ngx_strncasecmp(v->data, (u_char *) "https://", 8) == 0)))
    {
        len = v->len + sizeof("?bucket=&key=&etag=%22%22") + blen
              + 3 * klen + 32;

        p = ngx_pnalloc(r->pool, len);
        if (p == NULL) {
            return NGX_ERROR;
        }

        location.data = p;

        p = ngx_cpymem(p, v->data, v->len);
        *p++ = ngx_strlchr(v->data, v->data + v->len, '?') ? '&' : '?';
        p = ngx_cpymem(p, "bucket=", 7);
        p += ngx_http_s3_uri_encode(p, ctx->bucket.data, ctx->bucket.len,
                                    1);
        p = ngx_cpymem(p, "&key=", 5);
        p += ngx_http_s3_uri_encode(p, post->key.data, post->key.len, 1);
        p = ngx_cpymem(p, "&etag=%22", 9);
        p = ngx_cpymem(p, post->etag, 32);
        p = ngx_cpymem(p, "%22", 3);

        location.len = p - location.data;

        if (ngx_http_s3_add_header(r, "Location", &location) != NGX_OK) {
            return NGX_ERROR;
        }

        return ngx_http_s3_send_empty(r, NGX_HTTP_SEE_OTHER);
    }

    /* Location: the object's URL, path style */

    len = sizeof("https://") + r->headers_in.server.len + 2 + blen + klen;

    p = ngx_pnalloc(r->pool, len);
    if (p == NULL) {
        return NGX_ERROR;
    }

    location.data = p;

#if (NGX_HTTP_SSL)
    p = ngx_cpymem(p, r->connection->ssl ? "https://" : "http://",
                   r->connection->ssl ? 8 : 7);
#else
    p = ngx_cpymem(p, "http://", 7);
#endif

    if (r->headers_in.server.len) {
        p = ngx_cpymem(p, r->headers_in.server.data,
                       r->headers_in.server.len);
    }

    *p++ = '/';
    p += ngx_http_s3_uri_encode(p, ctx->bucket.data, ctx->bucket.len, 1);
    *p++ = '/';
    p += ngx_http_s3_uri_encode(p, post->key.data, post->key.len, 0);

    location.len = p - location.data;

    if (ngx_http_s3_add_header(r, "Location", &location) != NGX_OK) {
        return NGX_ERROR;
    }

    status = NGX_HTTP_NO_CONTENT;
    v = ngx_http_s3_post_field(post, "success_action_status");

    if (v && v->len == 3) {
        if (ngx_strncmp(v->data, "200", 3) == 0) {
            status = NGX_HTTP_OK;

        } else if (ngx_strncmp(v->data, "201", 3) == 0) {
            status = NGX_HTTP_CREATED;
        }
    }

    if (status != NGX_HTTP_CREATED) {
        return ngx_http_s3_send_empty(r, status);
    }

    ngx_http_s3_xml_init(&w, r->pool);
    ngx_http_s3_xml_root(&w, "PostResponse");
    ngx_http_s3_xml_text(&w, "Location", location.data, location.len);
    ngx_http_s3_xml_text(&w, "Bucket", ctx->bucket.data, ctx->bucket.len);
    ngx_http_s3_xml_text(&w, "Key", post->key.data, post->key.len);
    ngx_http_s3_xml_text(&w, "ETag", etag.data, etag.len);
    ngx_http_s3_xml_close(&w, "PostResponse");

    cl = ngx_http_s3_xml_finish(&w);
    if (cl == NULL) {
        return NGX_ERROR;
    }

    return ngx_http_s3_send_xml(r, NGX_HTTP_CREATED, cl);
}
