
/*
 * Copyright (C) ngx_s3 authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_s3.h"
#include "ngx_http_s3_ops.h"


/*
 * The admin API of s3_admin: users, access keys and bucket permissions
 * (scripts/s3-admin is its client).  Requests are signed with SigV4 (or
 * SigV2) by a root key of s3_access_key; managed keys are not accepted
 * here.  Every parameter is
 * in the path or the query; answers are JSON.  Paths are relative to the
 * location:
 *
 *     GET    users                      the users, with key and bucket counts
 *     PUT    users/<id>?name=<display>  create a user
 *     DELETE users/<id>                 delete a user (and its keys)
 *     GET    keys[?user=<id>]           access keys, never a secret
 *     POST   keys?user=<id>             a new key: the secret, this once
 *     PUT    keys/<key>?status=enabled|disabled
 *     DELETE keys/<key>
 *     GET    buckets                    owners and grants
 *     GET    usage                      every bucket's usage
 *     GET    usage/<bucket>             one bucket's usage
 *     PUT    grants/<bucket>/<user>?permission=read|write
 *     DELETE grants/<bucket>/<user>
 *
 * Errors: {"code": "...", "message": "...", "request_id": "..."} with the
 * HTTP status.
 */


typedef struct ngx_http_s3_admin_s  ngx_http_s3_admin_t;

typedef ngx_int_t (*ngx_http_s3_admin_request_pt)(ngx_http_s3_admin_t *a,
    ngx_http_s3_wbuf_t *b);
typedef ngx_int_t (*ngx_http_s3_admin_reply_pt)(ngx_http_s3_admin_t *a,
    ngx_str_t *reply, ngx_http_s3_wbuf_t *json);


typedef struct {
    ngx_uint_t                      method;
    const char                     *resource;
    ngx_uint_t                      named;      /* "<resource>/<name>" */
    ngx_uint_t                      op;         /* NGX_HTTP_S3_WIRE_OP_* */
    ngx_http_s3_admin_request_pt    request;
    ngx_http_s3_admin_reply_pt      reply;
    const char                     *exists;     /* code for ST_EXISTS */
    const char                     *not_empty;  /* message for NOT_EMPTY */
} ngx_http_s3_admin_route_t;


struct ngx_http_s3_admin_s {
    ngx_http_request_t             *request;
    ngx_http_s3_admin_route_t      *route;
    ngx_str_t                       name;
    ngx_uint_t                      status;     /* an error: HTTP status */
    const char                     *code;
    const char                     *message;

    /* USER_CREATE, KEY_CREATE: what was created */
    ngx_str_t                       user;
    ngx_str_t                       display;
    uint64_t                        created;
    u_char                          ak[NGX_HTTP_S3_ACCESS_KEY_LEN];
    u_char                          sk[NGX_HTTP_S3_SECRET_KEY_LEN];
};


static ngx_int_t ngx_http_s3_admin_route(ngx_http_s3_admin_t *a);
static void ngx_http_s3_admin_handler_reply(ngx_http_s3_meta_req_t *mr);
static ngx_int_t ngx_http_s3_admin_fail(ngx_http_s3_admin_t *a,
    ngx_uint_t status, const char *code, const char *message);
static ngx_int_t ngx_http_s3_admin_error(ngx_http_request_t *r,
    ngx_uint_t status, const char *code, const char *message);
static ngx_int_t ngx_http_s3_admin_send(ngx_http_request_t *r,
    ngx_uint_t status, ngx_http_s3_wbuf_t *json);
static uint64_t ngx_http_s3_admin_now(void);

static ngx_int_t ngx_http_s3_admin_user_create(ngx_http_s3_admin_t *a,
    ngx_http_s3_wbuf_t *b);
static ngx_int_t ngx_http_s3_admin_user_created(ngx_http_s3_admin_t *a,
    ngx_str_t *reply, ngx_http_s3_wbuf_t *json);
static ngx_int_t ngx_http_s3_admin_users(ngx_http_s3_admin_t *a,
    ngx_str_t *reply, ngx_http_s3_wbuf_t *json);
static ngx_int_t ngx_http_s3_admin_user_name(ngx_http_s3_admin_t *a,
    ngx_http_s3_wbuf_t *b);
static ngx_int_t ngx_http_s3_admin_key_create(ngx_http_s3_admin_t *a,
    ngx_http_s3_wbuf_t *b);
static ngx_int_t ngx_http_s3_admin_key_created(ngx_http_s3_admin_t *a,
    ngx_str_t *reply, ngx_http_s3_wbuf_t *json);
static ngx_int_t ngx_http_s3_admin_key_list(ngx_http_s3_admin_t *a,
    ngx_http_s3_wbuf_t *b);
static ngx_int_t ngx_http_s3_admin_keys(ngx_http_s3_admin_t *a,
    ngx_str_t *reply, ngx_http_s3_wbuf_t *json);
static ngx_int_t ngx_http_s3_admin_key_status(ngx_http_s3_admin_t *a,
    ngx_http_s3_wbuf_t *b);
static ngx_int_t ngx_http_s3_admin_key_name(ngx_http_s3_admin_t *a,
    ngx_http_s3_wbuf_t *b);
static ngx_int_t ngx_http_s3_admin_done(ngx_http_s3_admin_t *a,
    ngx_str_t *reply, ngx_http_s3_wbuf_t *json);
static ngx_int_t ngx_http_s3_admin_buckets(ngx_http_s3_admin_t *a,
    ngx_str_t *reply, ngx_http_s3_wbuf_t *json);
static ngx_int_t ngx_http_s3_admin_bucket_name(ngx_http_s3_admin_t *a,
    ngx_http_s3_wbuf_t *b);
static ngx_int_t ngx_http_s3_admin_usage(ngx_http_s3_admin_t *a,
    ngx_str_t *reply, ngx_http_s3_wbuf_t *json);
static ngx_int_t ngx_http_s3_admin_grant(ngx_http_s3_admin_t *a,
    ngx_http_s3_wbuf_t *b);
static ngx_int_t ngx_http_s3_admin_put_record(ngx_http_s3_admin_t *a,
    ngx_http_s3_wbuf_t *b, ngx_http_s3_wbuf_t *rec);

static void ngx_http_s3_json_raw(ngx_http_s3_wbuf_t *b, const char *s);
static void ngx_http_s3_json_str(ngx_http_s3_wbuf_t *b, ngx_str_t *s);
static void ngx_http_s3_json_name(ngx_http_s3_wbuf_t *b, const char *name);
static void ngx_http_s3_json_field(ngx_http_s3_wbuf_t *b, const char *name,
    ngx_str_t *value);
static void ngx_http_s3_json_cfield(ngx_http_s3_wbuf_t *b, const char *name,
    const char *value);
static void ngx_http_s3_json_time(ngx_http_s3_wbuf_t *b, const char *name,
    uint64_t msec);
static void ngx_http_s3_json_uint(ngx_http_s3_wbuf_t *b, const char *name,
    ngx_uint_t n);


static ngx_http_s3_admin_route_t  ngx_http_s3_admin_routes[] = {

    { NGX_HTTP_GET, "users", 0, NGX_HTTP_S3_WIRE_OP_USER_LIST,
      NULL, ngx_http_s3_admin_users, NULL, NULL },

    { NGX_HTTP_PUT, "users", 1, NGX_HTTP_S3_WIRE_OP_USER_CREATE,
      ngx_http_s3_admin_user_create, ngx_http_s3_admin_user_created,
      "UserAlreadyExists", NULL },

    { NGX_HTTP_DELETE, "users", 1, NGX_HTTP_S3_WIRE_OP_USER_DELETE,
      ngx_http_s3_admin_user_name, ngx_http_s3_admin_done,
      NULL, "The user owns buckets: delete them first." },

    { NGX_HTTP_GET, "keys", 0, NGX_HTTP_S3_WIRE_OP_KEY_LIST,
      ngx_http_s3_admin_key_list, ngx_http_s3_admin_keys, NULL, NULL },

    { NGX_HTTP_POST, "keys", 0, NGX_HTTP_S3_WIRE_OP_KEY_CREATE,
      ngx_http_s3_admin_key_create, ngx_http_s3_admin_key_created,
      "AccessKeyAlreadyExists", NULL },

    { NGX_HTTP_PUT, "keys", 1, NGX_HTTP_S3_WIRE_OP_KEY_STATUS,
      ngx_http_s3_admin_key_status, ngx_http_s3_admin_done, NULL, NULL },

    { NGX_HTTP_DELETE, "keys", 1, NGX_HTTP_S3_WIRE_OP_KEY_DELETE,
      ngx_http_s3_admin_key_name, ngx_http_s3_admin_done, NULL, NULL },

    { NGX_HTTP_GET, "buckets", 0, NGX_HTTP_S3_WIRE_OP_BUCKET_ACCESS_LIST,
      NULL, ngx_http_s3_admin_buckets, NULL, NULL },

    { NGX_HTTP_GET, "usage", 0, NGX_HTTP_S3_WIRE_OP_USAGE_LIST,
      NULL, ngx_http_s3_admin_usage, NULL, NULL },

    { NGX_HTTP_GET, "usage", 1, NGX_HTTP_S3_WIRE_OP_USAGE_GET,
      ngx_http_s3_admin_bucket_name, ngx_http_s3_admin_usage, NULL, NULL },

    { NGX_HTTP_PUT|NGX_HTTP_DELETE, "grants", 1,
      NGX_HTTP_S3_WIRE_OP_GRANT_SET,
      ngx_http_s3_admin_grant, ngx_http_s3_admin_done, NULL, NULL },

    { 0, NULL, 0, 0, NULL, NULL, NULL, NULL }
};


static ngx_uint_t  ngx_http_s3_admin_counter;


ngx_int_t
ngx_http_s3_admin_handler(ngx_http_request_t *r)
{
    ngx_str_t             v;
    ngx_http_s3_ctx_t    *ctx;
    ngx_http_s3_err_e     err;
    ngx_http_s3_admin_t  *a;

    ctx = ngx_pcalloc(r->pool, sizeof(ngx_http_s3_ctx_t));
    if (ctx == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ngx_http_set_ctx(r, ctx, ngx_http_s3_module);

    (void) ngx_sprintf(ctx->request_id, "%08XD%08XD",
                       (uint32_t) ngx_pid,
                       (uint32_t) ++ngx_http_s3_admin_counter | 0x80000000);

    v.data = ctx->request_id;
    v.len = 16;

    if (ngx_http_s3_add_header(r, "x-amz-request-id", &v) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ctx->resource = r->uri;

    /* operator keys only: a managed key is not looked up */

    ctx->auth.root_only = 1;

    err = ngx_http_s3_authenticate(r, ctx);

    if (err != NGX_HTTP_S3_OK) {
        return ngx_http_s3_admin_error(r, ngx_http_s3_err_status(err),
                                       ngx_http_s3_err_code(err),
                                       ctx->auth.message
                                       ? ctx->auth.message
                                       : "Authentication failed.");
    }

    if (!ctx->auth.root) {
        return ngx_http_s3_admin_error(r, NGX_HTTP_FORBIDDEN, "AccessDenied",
                                       "The admin API takes a signature of "
                                       "an operator key (s3_access_key).");
    }

    a = ngx_pcalloc(r->pool, sizeof(ngx_http_s3_admin_t));
    if (a == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    a->request = r;
    ctx->op_ctx = a;

    return ngx_http_s3_admin_route(a);
}


static ngx_int_t
ngx_http_s3_admin_route(ngx_http_s3_admin_t *a)
{
    u_char                     *p, *last, *slash;
    size_t                      len;
    ngx_str_t                   rel, resource;
    ngx_uint_t                  known;
    ngx_http_request_t         *r;
    ngx_http_s3_wbuf_t          b;
    ngx_http_core_loc_conf_t   *clcf;
    ngx_http_s3_admin_route_t  *route;

    r = a->request;
    clcf = ngx_http_get_module_loc_conf(r, ngx_http_core_module);

    /* the path after the location's prefix */

    rel = r->uri;

    if (rel.len >= clcf->name.len
        && ngx_strncmp(rel.data, clcf->name.data, clcf->name.len) == 0)
    {
        rel.data += clcf->name.len;
        rel.len -= clcf->name.len;
    }

    p = rel.data;
    last = rel.data + rel.len;

    while (p < last && *p == '/') {
        p++;
    }

    while (last > p && last[-1] == '/') {
        last--;
    }

    slash = ngx_strlchr(p, last, '/');

    resource.data = p;
    resource.len = (slash ? slash : last) - p;

    if (slash) {
        a->name.data = slash + 1;
        a->name.len = last - slash - 1;
    }

    known = 0;

    for (route = ngx_http_s3_admin_routes; route->resource; route++) {

        len = ngx_strlen(route->resource);

        if (len != resource.len
            || ngx_strncmp(route->resource, resource.data, len) != 0
            || route->named != (slash != NULL))
        {
            continue;
        }

        known = 1;

        if (route->method & r->method) {
            break;
        }
    }

    if (route->resource == NULL) {
        if (known) {
            return ngx_http_s3_admin_error(r, NGX_HTTP_NOT_ALLOWED,
                                           "MethodNotAllowed",
                                           "The method is not allowed on "
                                           "this resource.");
        }

        return ngx_http_s3_admin_error(r, NGX_HTTP_NOT_FOUND, "NoSuchResource",
                                       "The admin API has no such "
                                       "resource.");
    }

    a->route = route;

    if (ngx_http_s3_wbuf_init(&b, r->pool, 256) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (route->request && route->request(a, &b) != NGX_OK) {
        return ngx_http_s3_admin_error(r, a->status, a->code, a->message);
    }

    if (ngx_http_s3_meta_call(r, route->op, &b,
                              ngx_http_s3_admin_handler_reply, a)
        != NGX_OK)
    {
        return ngx_http_s3_admin_error(r, NGX_HTTP_INTERNAL_SERVER_ERROR,
                                       "InternalError", "No memory.");
    }

    r->main->count++;

    return NGX_DONE;
}


static void
ngx_http_s3_admin_handler_reply(ngx_http_s3_meta_req_t *mr)
{
    ngx_int_t                   rc;
    ngx_uint_t                  status;
    const char                 *code, *message;
    ngx_http_request_t         *r;
    ngx_http_s3_wbuf_t          json;
    ngx_http_s3_admin_t        *a;
    ngx_http_s3_admin_route_t  *route;

    a = mr->data;
    r = a->request;
    route = a->route;

    if (mr->status == NGX_HTTP_S3_WIRE_ST_OK) {

        if (ngx_http_s3_wbuf_init(&json, r->pool, 1024) != NGX_OK) {
            ngx_http_s3_finalize(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
            return;
        }

        if (route->reply(a, &mr->reply, &json) != NGX_OK || json.error) {
            ngx_log_error(NGX_LOG_ALERT, r->connection->log, 0,
                          "s3 admin: bad answer of the metadata process");
            rc = ngx_http_s3_admin_error(r, NGX_HTTP_INTERNAL_SERVER_ERROR,
                                         "InternalError",
                                         "A bad answer of the metadata "
                                         "process.");

        } else {
            rc = ngx_http_s3_admin_send(r, NGX_HTTP_OK, &json);
        }

        ngx_http_s3_finalize(r, rc);
        return;
    }

    switch (mr->status) {

    case NGX_HTTP_S3_WIRE_ST_NO_USER:
        status = NGX_HTTP_NOT_FOUND;
        code = "NoSuchUser";
        message = "The user does not exist.";
        break;

    case NGX_HTTP_S3_WIRE_ST_NO_KEY:
        status = NGX_HTTP_NOT_FOUND;
        code = "NoSuchAccessKey";
        message = "The access key does not exist.";
        break;

    case NGX_HTTP_S3_WIRE_ST_NO_BUCKET:
        status = NGX_HTTP_NOT_FOUND;
        code = "NoSuchBucket";
        message = "The bucket does not exist.";
        break;

    case NGX_HTTP_S3_WIRE_ST_EXISTS:
        status = NGX_HTTP_CONFLICT;
        code = route->exists ? route->exists : "AlreadyExists";
        message = "It exists already.";
        break;

    case NGX_HTTP_S3_WIRE_ST_NOT_EMPTY:
        status = NGX_HTTP_CONFLICT;
        code = "Conflict";
        message = route->not_empty ? route->not_empty : "Not empty.";
        break;

    case NGX_HTTP_S3_WIRE_ST_BAD_REQUEST:
        status = NGX_HTTP_BAD_REQUEST;
        code = "InvalidArgument";
        message = "The metadata process refused the request.";
        break;

    case NGX_HTTP_S3_WIRE_ST_UNAVAILABLE:
        status = NGX_HTTP_SERVICE_UNAVAILABLE;
        code = "ServiceUnavailable";
        message = "The metadata process did not answer in time.";
        break;

    default:
        status = NGX_HTTP_INTERNAL_SERVER_ERROR;
        code = "InternalError";
        message = "The metadata process failed; see the error log.";
        break;
    }

    ngx_http_s3_finalize(r, ngx_http_s3_admin_error(r, status, code,
                                                    message));
}


/* request builders: NGX_OK, or NGX_DECLINED with the error in a */

static ngx_int_t
ngx_http_s3_admin_fail(ngx_http_s3_admin_t *a, ngx_uint_t status,
    const char *code, const char *message)
{
    a->status = status;
    a->code = code;
    a->message = message;

    return NGX_DECLINED;
}


static ngx_int_t
ngx_http_s3_admin_user_create(ngx_http_s3_admin_t *a, ngx_http_s3_wbuf_t *b)
{
    ngx_int_t           rc;
    ngx_http_s3_wbuf_t  rec;
    ngx_http_s3_user_t  u;

    if (!ngx_http_s3_valid_user_id(&a->name)) {
        return ngx_http_s3_admin_fail(a, NGX_HTTP_BAD_REQUEST,
                                      "InvalidUserId",
                                      "A user id is 1 to 64 of a-z, 0-9, "
                                      "'.', '_' and '-', starting with a "
                                      "letter or a digit.");
    }

    ngx_memzero(&u, sizeof(ngx_http_s3_user_t));

    u.id = a->name;

    rc = ngx_http_s3_arg_decoded(a->request, "name", &u.name);

    if (rc == NGX_ERROR
        || (rc == NGX_OK && !ngx_http_s3_valid_display_name(&u.name)))
    {
        return ngx_http_s3_admin_fail(a, NGX_HTTP_BAD_REQUEST,
                                      "InvalidName",
                                      "A display name is 1 to 128 bytes of "
                                      "UTF-8 without control characters.");
    }

    if (u.name.len == 0) {
        u.name = u.id;
    }

    /* the time is in the record: a replay sends the same record */

    u.created = ngx_http_s3_admin_now();

    a->user = u.id;
    a->display = u.name;
    a->created = u.created;

    if (ngx_http_s3_wbuf_init(&rec, a->request->pool, 64 + u.id.len
                                                       + u.name.len)
        != NGX_OK)
    {
        return ngx_http_s3_admin_fail(a, NGX_HTTP_INTERNAL_SERVER_ERROR,
                                      "InternalError", "No memory.");
    }

    ngx_http_s3_user_encode(&rec, &u);

    return ngx_http_s3_admin_put_record(a, b, &rec);
}


static ngx_int_t
ngx_http_s3_admin_put_record(ngx_http_s3_admin_t *a, ngx_http_s3_wbuf_t *b,
    ngx_http_s3_wbuf_t *rec)
{
    ngx_str_t  s;

    s.data = rec->start;
    s.len = rec->pos - rec->start;

    ngx_http_s3_wire_put_str(b, &s);

    if (rec->error || b->error) {
        return ngx_http_s3_admin_fail(a, NGX_HTTP_INTERNAL_SERVER_ERROR,
                                      "InternalError", "No memory.");
    }

    return NGX_OK;
}


static ngx_int_t
ngx_http_s3_admin_user_created(ngx_http_s3_admin_t *a, ngx_str_t *reply,
    ngx_http_s3_wbuf_t *json)
{
    ngx_http_s3_json_raw(json, "{\"user\": {");
    ngx_http_s3_json_field(json, "id", &a->user);
    ngx_http_s3_json_field(json, "name", &a->display);
    ngx_http_s3_json_time(json, "created", a->created);
    ngx_http_s3_json_raw(json, "}}\n");

    return NGX_OK;
}


static ngx_int_t
ngx_http_s3_admin_users(ngx_http_s3_admin_t *a, ngx_str_t *reply,
    ngx_http_s3_wbuf_t *json)
{
    uint32_t            i, n, keys, buckets;
    ngx_str_t           rec;
    ngx_http_s3_rbuf_t  rb;
    ngx_http_s3_user_t  u;

    ngx_http_s3_rbuf_init(&rb, reply);
    n = ngx_http_s3_wire_get_u32(&rb);

    ngx_http_s3_json_raw(json, "{\"users\": [");

    for (i = 0; i < n; i++) {
        ngx_http_s3_wire_get_str(&rb, &rec);
        keys = ngx_http_s3_wire_get_u32(&rb);
        buckets = ngx_http_s3_wire_get_u32(&rb);

        if (rb.error || ngx_http_s3_user_decode(&rec, &u) != NGX_OK) {
            return NGX_ERROR;
        }

        ngx_http_s3_json_raw(json, i ? ",\n  {" : "\n  {");
        ngx_http_s3_json_field(json, "id", &u.id);
        ngx_http_s3_json_field(json, "name", &u.name);
        ngx_http_s3_json_time(json, "created", u.created);
        ngx_http_s3_json_uint(json, "keys", keys);
        ngx_http_s3_json_uint(json, "buckets", buckets);
        ngx_http_s3_json_raw(json, "}");
    }

    ngx_http_s3_json_raw(json, n ? "\n]}\n" : "]}\n");

    return NGX_OK;
}


/* DELETE users/<id> */

static ngx_int_t
ngx_http_s3_admin_user_name(ngx_http_s3_admin_t *a, ngx_http_s3_wbuf_t *b)
{
    if (!ngx_http_s3_valid_user_id(&a->name)) {
        return ngx_http_s3_admin_fail(a, NGX_HTTP_NOT_FOUND, "NoSuchUser",
                                      "The user does not exist.");
    }

    ngx_http_s3_wire_put_str(b, &a->name);

    return NGX_OK;
}


/*
 * A new key: made here (a replay of the request sends the same key), its
 * secret sealed by the metadata process and shown to the caller this once
 */

static ngx_int_t
ngx_http_s3_admin_key_create(ngx_http_s3_admin_t *a, ngx_http_s3_wbuf_t *b)
{
    ngx_str_t                 ak, sk;
    ngx_http_s3_main_conf_t  *smcf;

    smcf = ngx_http_get_module_main_conf(a->request, ngx_http_s3_module);

    if (smcf->master_keys == NULL) {
        return ngx_http_s3_admin_fail(a, NGX_HTTP_CONFLICT,
                                      "KeyFileNotConfigured",
                                      "Access keys are sealed with the key "
                                      "of s3_key_file, which is not set.");
    }

    if (ngx_http_s3_arg_decoded(a->request, "user", &a->user) != NGX_OK
        || !ngx_http_s3_valid_user_id(&a->user))
    {
        return ngx_http_s3_admin_fail(a, NGX_HTTP_BAD_REQUEST,
                                      "InvalidUserId",
                                      "A new key needs ?user=<user id>.");
    }

    if (ngx_http_s3_secret_new_access_key(a->ak) != NGX_OK
        || ngx_http_s3_secret_new_secret_key(a->sk) != NGX_OK)
    {
        return ngx_http_s3_admin_fail(a, NGX_HTTP_INTERNAL_SERVER_ERROR,
                                      "InternalError",
                                      "No random bytes for a key.");
    }

    ak.data = a->ak;
    ak.len = NGX_HTTP_S3_ACCESS_KEY_LEN;
    sk.data = a->sk;
    sk.len = NGX_HTTP_S3_SECRET_KEY_LEN;

    a->created = ngx_http_s3_admin_now();

    ngx_http_s3_wire_put_str(b, &ak);
    ngx_http_s3_wire_put_str(b, &a->user);
    ngx_http_s3_wire_put_str(b, &sk);
    ngx_http_s3_wire_put_u64(b, a->created);

    return NGX_OK;
}


static ngx_int_t
ngx_http_s3_admin_key_created(ngx_http_s3_admin_t *a, ngx_str_t *reply,
    ngx_http_s3_wbuf_t *json)
{
    ngx_str_t  ak, sk;

    ak.data = a->ak;
    ak.len = NGX_HTTP_S3_ACCESS_KEY_LEN;
    sk.data = a->sk;
    sk.len = NGX_HTTP_S3_SECRET_KEY_LEN;

    ngx_http_s3_json_raw(json, "{\"key\": {");
    ngx_http_s3_json_field(json, "access_key", &ak);
    ngx_http_s3_json_field(json, "secret_key", &sk);
    ngx_http_s3_json_field(json, "user", &a->user);
    ngx_http_s3_json_cfield(json, "status", "enabled");
    ngx_http_s3_json_time(json, "created", a->created);
    ngx_http_s3_json_raw(json, "}}\n");

    return NGX_OK;
}


static ngx_int_t
ngx_http_s3_admin_key_list(ngx_http_s3_admin_t *a, ngx_http_s3_wbuf_t *b)
{
    ngx_int_t  rc;
    ngx_str_t  user;

    rc = ngx_http_s3_arg_decoded(a->request, "user", &user);

    if (rc == NGX_ERROR
        || (rc == NGX_OK && !ngx_http_s3_valid_user_id(&user)))
    {
        return ngx_http_s3_admin_fail(a, NGX_HTTP_BAD_REQUEST,
                                      "InvalidUserId", "A bad user id.");
    }

    ngx_http_s3_wire_put_str(b, &user);

    return NGX_OK;
}


static ngx_int_t
ngx_http_s3_admin_keys(ngx_http_s3_admin_t *a, ngx_str_t *reply,
    ngx_http_s3_wbuf_t *json)
{
    uint32_t            i, n;
    ngx_str_t           rec;
    ngx_http_s3_rbuf_t  rb;
    ngx_http_s3_akey_t  k;

    ngx_http_s3_rbuf_init(&rb, reply);
    n = ngx_http_s3_wire_get_u32(&rb);

    ngx_http_s3_json_raw(json, "{\"keys\": [");

    for (i = 0; i < n; i++) {
        ngx_http_s3_wire_get_str(&rb, &rec);

        if (rb.error || ngx_http_s3_akey_decode(&rec, &k) != NGX_OK) {
            return NGX_ERROR;
        }

        ngx_http_s3_json_raw(json, i ? ",\n  {" : "\n  {");
        ngx_http_s3_json_field(json, "access_key", &k.access_key);
        ngx_http_s3_json_field(json, "user", &k.user);
        ngx_http_s3_json_cfield(json, "status",
                                k.status == NGX_HTTP_S3_KEY_ENABLED
                                ? "enabled" : "disabled");
        ngx_http_s3_json_time(json, "created", k.created);
        ngx_http_s3_json_raw(json, "}");
    }

    ngx_http_s3_json_raw(json, n ? "\n]}\n" : "]}\n");

    return NGX_OK;
}


/* PUT keys/<key>?status=enabled|disabled */

static ngx_int_t
ngx_http_s3_admin_key_status(ngx_http_s3_admin_t *a, ngx_http_s3_wbuf_t *b)
{
    ngx_str_t   v;
    ngx_uint_t  status;

    if (ngx_http_s3_arg_decoded(a->request, "status", &v) != NGX_OK) {
        v.len = 0;
    }

    if (v.len == 7 && ngx_strncmp(v.data, "enabled", 7) == 0) {
        status = NGX_HTTP_S3_KEY_ENABLED;

    } else if (v.len == 8 && ngx_strncmp(v.data, "disabled", 8) == 0) {
        status = NGX_HTTP_S3_KEY_DISABLED;

    } else {
        return ngx_http_s3_admin_fail(a, NGX_HTTP_BAD_REQUEST,
                                      "InvalidArgument",
                                      "status must be enabled or "
                                      "disabled.");
    }

    if (ngx_http_s3_admin_key_name(a, b) != NGX_OK) {
        return NGX_DECLINED;
    }

    ngx_http_s3_wire_put_u8(b, (uint8_t) status);

    return NGX_OK;
}


static ngx_int_t
ngx_http_s3_admin_key_name(ngx_http_s3_admin_t *a, ngx_http_s3_wbuf_t *b)
{
    if (!ngx_http_s3_valid_access_key(&a->name)) {
        return ngx_http_s3_admin_fail(a, NGX_HTTP_NOT_FOUND,
                                      "NoSuchAccessKey",
                                      "The access key does not exist.");
    }

    ngx_http_s3_wire_put_str(b, &a->name);

    return NGX_OK;
}


/* GET usage/<bucket> */

static ngx_int_t
ngx_http_s3_admin_bucket_name(ngx_http_s3_admin_t *a, ngx_http_s3_wbuf_t *b)
{
    if (!ngx_http_s3_valid_bucket_name(&a->name)) {
        return ngx_http_s3_admin_fail(a, NGX_HTTP_NOT_FOUND, "NoSuchBucket",
                                      "The bucket does not exist.");
    }

    ngx_http_s3_wire_put_str(b, &a->name);

    return NGX_OK;
}


/*
 * USAGE_LIST: {"buckets": [{"name": ..., "objects": ..., ...}, ...]};
 * USAGE_GET: the one bucket's object
 */

static ngx_int_t
ngx_http_s3_admin_usage(ngx_http_s3_admin_t *a, ngx_str_t *reply,
    ngx_http_s3_wbuf_t *json)
{
    uint32_t             i, n;
    ngx_str_t            name;
    ngx_uint_t           j, one;
    ngx_http_s3_rbuf_t   rb;
    ngx_http_s3_usage_t  u;

    static const char  *names[NGX_HTTP_S3_USAGE_N] = {
        "objects", "bytes", "versions", "version_bytes", "parts",
        "part_bytes"
    };

    ngx_http_s3_rbuf_init(&rb, reply);

    one = (a->route->op == NGX_HTTP_S3_WIRE_OP_USAGE_GET);

    if (one) {
        n = 1;
        name = a->name;

    } else {
        n = ngx_http_s3_wire_get_u32(&rb);
        ngx_http_s3_json_raw(json, "{\"buckets\": [");
    }

    for (i = 0; i < n; i++) {
        if (!one) {
            ngx_http_s3_wire_get_str(&rb, &name);
        }

        for (j = 0; j < NGX_HTTP_S3_USAGE_N; j++) {
            u.n[j] = ngx_http_s3_wire_get_u64(&rb);
        }

        if (rb.error) {
            return NGX_ERROR;
        }

        ngx_http_s3_json_raw(json, one ? "{" : (i ? ",\n  {" : "\n  {"));
        ngx_http_s3_json_field(json, "name", &name);

        for (j = 0; j < NGX_HTTP_S3_USAGE_N; j++) {
            ngx_http_s3_json_uint(json, names[j], (ngx_uint_t) u.n[j]);
        }

        ngx_http_s3_json_raw(json, "}");
    }

    if (!one) {
        ngx_http_s3_json_raw(json, n ? "\n]}" : "]}");
    }

    return NGX_OK;
}


/* every bucket: its owner (null: the operator), grants, if it has a policy */

static ngx_int_t
ngx_http_s3_admin_buckets(ngx_http_s3_admin_t *a, ngx_str_t *reply,
    ngx_http_s3_wbuf_t *json)
{
    uint32_t              i, j, n, ng;
    ngx_str_t             rec, cors;
    ngx_http_s3_rbuf_t    rb;
    ngx_http_s3_grant_t   g;
    ngx_http_s3_bucket_t  bk;

    ngx_http_s3_rbuf_init(&rb, reply);
    n = ngx_http_s3_wire_get_u32(&rb);

    ngx_http_s3_json_raw(json, "{\"buckets\": [");

    for (i = 0; i < n; i++) {
        ngx_http_s3_wire_get_str(&rb, &rec);
        ng = ngx_http_s3_wire_get_u32(&rb);

        if (rb.error || ngx_http_s3_bucket_decode(&rec, &bk) != NGX_OK) {
            return NGX_ERROR;
        }

        ngx_http_s3_json_raw(json, i ? ",\n  {" : "\n  {");
        ngx_http_s3_json_field(json, "name", &bk.name);

        if (bk.owner_user.len) {
            ngx_http_s3_json_field(json, "owner", &bk.owner_user);

        } else {
            ngx_http_s3_json_raw(json, ", \"owner\": null");
        }

        ngx_http_s3_json_time(json, "created", bk.created);
        ngx_http_s3_json_raw(json, ", \"grants\": [");

        for (j = 0; j < ng; j++) {
            ngx_http_s3_wire_get_str(&rb, &rec);

            if (rb.error || ngx_http_s3_grant_decode(&rec, &g) != NGX_OK) {
                return NGX_ERROR;
            }

            ngx_http_s3_json_raw(json, j ? ", {" : "{");
            ngx_http_s3_json_field(json, "user", &g.user);
            ngx_http_s3_json_cfield(json, "permission",
                                    g.perm == NGX_HTTP_S3_PERM_WRITE
                                    ? "write" : "read");
            ngx_http_s3_json_raw(json, "}");
        }

        ngx_http_s3_json_raw(json, "]");

        /* the policy itself: GetBucketPolicy; then the CORS rules */

        ngx_http_s3_wire_get_str(&rb, &rec);
        ngx_http_s3_wire_get_str(&rb, &cors);

        if (rb.error) {
            return NGX_ERROR;
        }

        ngx_http_s3_json_raw(json, rec.len ? ", \"policy\": true}"
                                           : ", \"policy\": false}");
    }

    ngx_http_s3_json_raw(json, n ? "\n]}\n" : "]}\n");

    return NGX_OK;
}


/* PUT grants/<bucket>/<user>?permission=read|write, DELETE: revoke */

static ngx_int_t
ngx_http_s3_admin_grant(ngx_http_s3_admin_t *a, ngx_http_s3_wbuf_t *b)
{
    u_char      *slash;
    ngx_str_t    bucket, user, v;
    ngx_uint_t   perm;

    slash = ngx_strlchr(a->name.data, a->name.data + a->name.len, '/');

    if (slash == NULL) {
        return ngx_http_s3_admin_fail(a, NGX_HTTP_NOT_FOUND,
                                      "NoSuchResource",
                                      "A grant is grants/<bucket>/<user>.");
    }

    bucket.data = a->name.data;
    bucket.len = slash - a->name.data;
    user.data = slash + 1;
    user.len = a->name.data + a->name.len - user.data;

    if (!ngx_http_s3_valid_bucket_name(&bucket)) {
        return ngx_http_s3_admin_fail(a, NGX_HTTP_NOT_FOUND, "NoSuchBucket",
                                      "The bucket does not exist.");
    }

    if (!ngx_http_s3_valid_user_id(&user)) {
        return ngx_http_s3_admin_fail(a, NGX_HTTP_NOT_FOUND, "NoSuchUser",
                                      "The user does not exist.");
    }

    perm = NGX_HTTP_S3_PERM_NONE;

    if (a->request->method == NGX_HTTP_PUT) {

        if (ngx_http_s3_arg_decoded(a->request, "permission", &v)
            != NGX_OK)
        {
            v.len = 0;
        }

        if (v.len == 4 && ngx_strncmp(v.data, "read", 4) == 0) {
            perm = NGX_HTTP_S3_PERM_READ;

        } else if (v.len == 5 && ngx_strncmp(v.data, "write", 5) == 0) {
            perm = NGX_HTTP_S3_PERM_WRITE;

        } else {
            return ngx_http_s3_admin_fail(a, NGX_HTTP_BAD_REQUEST,
                                          "InvalidArgument",
                                          "permission must be read or "
                                          "write.");
        }
    }

    ngx_http_s3_wire_put_str(b, &bucket);
    ngx_http_s3_wire_put_str(b, &user);
    ngx_http_s3_wire_put_u8(b, (uint8_t) perm);

    return NGX_OK;
}


static ngx_int_t
ngx_http_s3_admin_done(ngx_http_s3_admin_t *a, ngx_str_t *reply,
    ngx_http_s3_wbuf_t *json)
{
    ngx_http_s3_json_raw(json, "{}\n");

    return NGX_OK;
}


static ngx_int_t
ngx_http_s3_admin_error(ngx_http_request_t *r, ngx_uint_t status,
    const char *code, const char *message)
{
    ngx_str_t            id;
    ngx_http_s3_ctx_t   *ctx;
    ngx_http_s3_wbuf_t   json;

    ctx = ngx_http_s3_get_ctx(r);

    if (ngx_http_s3_wbuf_init(&json, r->pool, 256) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    id.data = ctx->request_id;
    id.len = 16;

    ngx_http_s3_json_raw(&json, "{");
    ngx_http_s3_json_cfield(&json, "code", code);
    ngx_http_s3_json_cfield(&json, "message", message);
    ngx_http_s3_json_field(&json, "request_id", &id);
    ngx_http_s3_json_raw(&json, "}\n");

    return ngx_http_s3_admin_send(r, status, &json);
}


static ngx_int_t
ngx_http_s3_admin_send(ngx_http_request_t *r, ngx_uint_t status,
    ngx_http_s3_wbuf_t *json)
{
    ngx_buf_t    *b;
    ngx_chain_t  *cl;

    if (json->error) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    b = ngx_calloc_buf(r->pool);
    if (b == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    b->memory = 1;
    b->pos = json->start;
    b->last = json->pos;
    b->last_buf = (r == r->main);
    b->last_in_chain = 1;

    cl = ngx_alloc_chain_link(r->pool);
    if (cl == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    cl->buf = b;
    cl->next = NULL;

    return ngx_http_s3_send_json(r, status, cl);
}


static uint64_t
ngx_http_s3_admin_now(void)
{
    ngx_time_t  *tp;

    tp = ngx_timeofday();

    return (uint64_t) tp->sec * 1000 + tp->msec;
}


/* JSON text, written into a growing buffer */

static void
ngx_http_s3_json_raw(ngx_http_s3_wbuf_t *b, const char *s)
{
    ngx_http_s3_wire_put_raw(b, (u_char *) s, ngx_strlen(s));
}


static void
ngx_http_s3_json_str(ngx_http_s3_wbuf_t *b, ngx_str_t *s)
{
    u_char   *p, *last, esc[6];
    size_t    n;

    static u_char  hex[] = "0123456789abcdef";

    ngx_http_s3_wire_put_u8(b, '"');

    last = s->data + s->len;

    for (p = s->data; p < last; p++) {

        if (*p == '"' || *p == '\\') {
            esc[0] = '\\';
            esc[1] = *p;
            n = 2;

        } else if (*p < 0x20 || *p == 0x7f) {
            esc[0] = '\\';
            esc[1] = 'u';
            esc[2] = '0';
            esc[3] = '0';
            esc[4] = hex[*p >> 4];
            esc[5] = hex[*p & 0xf];
            n = 6;

        } else {
            ngx_http_s3_wire_put_u8(b, *p);
            continue;
        }

        ngx_http_s3_wire_put_raw(b, esc, n);
    }

    ngx_http_s3_wire_put_u8(b, '"');
}


/* "name": value, with a comma before it unless it opens an object */

static void
ngx_http_s3_json_name(ngx_http_s3_wbuf_t *b, const char *name)
{
    if (b->pos > b->start && b->pos[-1] != '{') {
        ngx_http_s3_json_raw(b, ", ");
    }

    ngx_http_s3_wire_put_u8(b, '"');
    ngx_http_s3_json_raw(b, name);
    ngx_http_s3_json_raw(b, "\": ");
}


static void
ngx_http_s3_json_field(ngx_http_s3_wbuf_t *b, const char *name,
    ngx_str_t *value)
{
    ngx_http_s3_json_name(b, name);
    ngx_http_s3_json_str(b, value);
}


static void
ngx_http_s3_json_cfield(ngx_http_s3_wbuf_t *b, const char *name,
    const char *value)
{
    ngx_str_t  v;

    v.data = (u_char *) value;
    v.len = ngx_strlen(value);

    ngx_http_s3_json_field(b, name, &v);
}


static void
ngx_http_s3_json_time(ngx_http_s3_wbuf_t *b, const char *name,
    uint64_t msec)
{
    u_char     iso[NGX_HTTP_S3_ISO8601_LEN];
    ngx_str_t  v;

    (void) ngx_http_s3_time_iso8601(iso, msec);

    v.data = iso;
    v.len = NGX_HTTP_S3_ISO8601_LEN;

    ngx_http_s3_json_field(b, name, &v);
}


static void
ngx_http_s3_json_uint(ngx_http_s3_wbuf_t *b, const char *name, ngx_uint_t n)
{
    u_char  num[NGX_INT_T_LEN];

    ngx_http_s3_json_name(b, name);
    ngx_http_s3_wire_put_raw(b, num, ngx_sprintf(num, "%ui", n) - num);
}
