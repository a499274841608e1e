
/*
 * Copyright (C) ngx_s3 authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_s3.h"


/*
 * Variables for log_format, map and limit_req.  In an s3 location they
 * have a value in every phase: before the content handler ran (limit_req,
 * map evaluated in the rewrite or preaccess phase) the bucket, the key
 * and the operation come from the request line as the handler will see
 * it, and the access key is the one the request is signed with, not yet
 * checked.  None is cached: the handler changes them (an error_page
 * redirect makes a new request id, the error code is set at the end).
 * Outside an s3 location, and where there is nothing to say (no key, no
 * error), a variable is not found: "-" in an access log.
 */


static ngx_int_t ngx_http_s3_add_variable_table(ngx_conf_t *cf,
    ngx_http_variable_t *vars);
static ngx_http_s3_ctx_t *ngx_http_s3_variable_ctx(ngx_http_request_t *r);
static ngx_int_t ngx_http_s3_variable_operation(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data);
static ngx_int_t ngx_http_s3_variable_str(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data);
static ngx_int_t ngx_http_s3_variable_access_key(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data);
static ngx_int_t ngx_http_s3_signer(ngx_http_request_t *r, ngx_str_t *key);
static ngx_int_t ngx_http_s3_variable_user(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data);
static ngx_int_t ngx_http_s3_variable_error_code(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data);
static ngx_int_t ngx_http_s3_variable_request_id(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data);
static ngx_int_t ngx_http_s3_variable_object_size(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data);
static void ngx_http_s3_variable_set(ngx_http_variable_value_t *v,
    u_char *data, size_t len);


static ngx_http_variable_t  ngx_http_s3_vars[] = {

    { ngx_string("s3_operation"), NULL, ngx_http_s3_variable_operation,
      0, NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("s3_bucket"), NULL, ngx_http_s3_variable_str,
      offsetof(ngx_http_s3_ctx_t, bucket), NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("s3_key"), NULL, ngx_http_s3_variable_str,
      offsetof(ngx_http_s3_ctx_t, key), NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("s3_access_key"), NULL, ngx_http_s3_variable_access_key,
      0, NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("s3_user"), NULL, ngx_http_s3_variable_user,
      0, NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("s3_error_code"), NULL, ngx_http_s3_variable_error_code,
      0, NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("s3_request_id"), NULL, ngx_http_s3_variable_request_id,
      0, NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("s3_object_size"), NULL, ngx_http_s3_variable_object_size,
      0, NGX_HTTP_VAR_NOCACHEABLE, 0 },

      ngx_http_null_variable
};


ngx_int_t
ngx_http_s3_add_variables(ngx_conf_t *cf)
{
    if (ngx_http_s3_add_variable_table(cf, ngx_http_s3_vars) != NGX_OK) {
        return NGX_ERROR;
    }

    return ngx_http_s3_add_variable_table(cf, ngx_http_s3_gw_vars);
}


static ngx_int_t
ngx_http_s3_add_variable_table(ngx_conf_t *cf, ngx_http_variable_t *vars)
{
    ngx_http_variable_t  *var, *v;

    for (v = vars; v->name.len; v++) {
        var = ngx_http_add_variable(cf, &v->name, v->flags);
        if (var == NULL) {
            return NGX_ERROR;
        }

        var->get_handler = v->get_handler;
        var->data = v->data;
    }

    return NGX_OK;
}


/*
 * The request's context: the handler's, or, in an s3 location that the
 * handler has not seen yet, one made here from the request line
 */

static ngx_http_s3_ctx_t *
ngx_http_s3_variable_ctx(ngx_http_request_t *r)
{
    ngx_http_s3_ctx_t       *ctx;
    ngx_http_s3_loc_conf_t  *slcf;

    ctx = ngx_http_s3_get_ctx(r);

    if (ctx) {
        return ctx;
    }

    slcf = ngx_http_get_module_loc_conf(r, ngx_http_s3_module);

    if (!slcf->enable) {
        return NULL;
    }

    ctx = ngx_http_s3_create_ctx(r);
    if (ctx == NULL) {
        return NULL;
    }

    ngx_http_s3_identify(r, ctx);

    return ctx;
}


static ngx_int_t
ngx_http_s3_variable_operation(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data)
{
    const char         *name;
    ngx_http_s3_ctx_t  *ctx;

    ctx = ngx_http_s3_variable_ctx(r);

    name = ctx ? ngx_http_s3_op_name(ctx->op) : NULL;

    if (name == NULL) {
        v->not_found = 1;
        return NGX_OK;
    }

    ngx_http_s3_variable_set(v, (u_char *) name, ngx_strlen(name));

    return NGX_OK;
}


/* a string of the context at offset data: the bucket, the key */

static ngx_int_t
ngx_http_s3_variable_str(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data)
{
    ngx_str_t          *s;
    ngx_http_s3_ctx_t  *ctx;

    ctx = ngx_http_s3_variable_ctx(r);

    if (ctx == NULL) {
        v->not_found = 1;
        return NGX_OK;
    }

    s = (ngx_str_t *) ((char *) ctx + data);

    if (s->len == 0) {
        v->not_found = 1;
        return NGX_OK;
    }

    ngx_http_s3_variable_set(v, s->data, s->len);

    return NGX_OK;
}


/*
 * The access key id: the one authenticated, else the one the request is
 * signed with (before the handler ran, or when authentication failed);
 * not found for an anonymous request
 */

static ngx_int_t
ngx_http_s3_variable_access_key(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data)
{
    ngx_str_t           key;
    ngx_http_s3_ctx_t  *ctx;

    ctx = ngx_http_s3_variable_ctx(r);

    if (ctx == NULL) {
        v->not_found = 1;
        return NGX_OK;
    }

    key = ctx->auth.access_key;

    if (key.len == 0 && ngx_http_s3_signer(r, &key) != NGX_OK) {
        v->not_found = 1;
        return NGX_OK;
    }

    ngx_http_s3_variable_set(v, key.data, key.len);

    return NGX_OK;
}


/*
 * The user the request was authenticated as: a managed key's user id, or
 * "(operator)" for a root key (no user id can start with "("); not found
 * for an anonymous request and before (or without) authentication
 */

static ngx_int_t
ngx_http_s3_variable_user(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data)
{
    ngx_http_s3_ctx_t  *ctx;

    ctx = ngx_http_s3_get_ctx(r);

    if (ctx == NULL || ctx->auth.access_key.len == 0) {
        v->not_found = 1;
        return NGX_OK;
    }

    if (ctx->auth.user.len) {
        ngx_http_s3_variable_set(v, ctx->auth.user.data, ctx->auth.user.len);
        return NGX_OK;
    }

    if (ctx->auth.root) {
        ngx_http_s3_variable_set(v, (u_char *) "(operator)",
                                 sizeof("(operator)") - 1);
        return NGX_OK;
    }

    v->not_found = 1;

    return NGX_OK;
}


/*
 * What the Authorization header or the query names as the access key,
 * parsed as ngx_http_s3_authenticate() does, without checking anything
 */

static ngx_int_t
ngx_http_s3_signer(ngx_http_request_t *r, ngx_str_t *key)
{
    ngx_int_t             rc;
    ngx_str_t            *value;
    const char           *msg;
    ngx_http_s3_sigv2_t   v2;
    ngx_http_s3_sigv4_t   v4;

    msg = NULL;

    if (r->headers_in.authorization) {
        value = &r->headers_in.authorization->value;

        rc = ngx_http_s3_sigv4_parse_header(value, &v4, &msg);

        if (rc == NGX_OK) {
            *key = v4.access_key;
            return NGX_OK;
        }

        if (rc == NGX_DECLINED
            && ngx_http_s3_sigv2_parse_header(value, &v2) == NGX_OK)
        {
            *key = v2.access_key;
            return NGX_OK;
        }

        return NGX_DECLINED;
    }

    rc = ngx_http_s3_sigv4_parse_query(r->pool, &r->args, &v4, &msg);

    if (rc == NGX_OK) {
        *key = v4.access_key;
        return NGX_OK;
    }

    if (rc == NGX_DECLINED
        && ngx_http_s3_sigv2_parse_query(r->pool, &r->args, &v2, &msg)
           == NGX_OK)
    {
        *key = v2.access_key;
        return NGX_OK;
    }

    return NGX_DECLINED;
}


static ngx_int_t
ngx_http_s3_variable_error_code(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data)
{
    const char         *code;
    ngx_http_s3_ctx_t  *ctx;

    ctx = ngx_http_s3_get_ctx(r);

    if (ctx == NULL || ctx->error == NGX_HTTP_S3_OK) {
        v->not_found = 1;
        return NGX_OK;
    }

    code = ngx_http_s3_err_code(ctx->error);

    ngx_http_s3_variable_set(v, (u_char *) code, ngx_strlen(code));

    return NGX_OK;
}


static ngx_int_t
ngx_http_s3_variable_request_id(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data)
{
    ngx_http_s3_ctx_t  *ctx;

    ctx = ngx_http_s3_variable_ctx(r);

    if (ctx == NULL) {
        v->not_found = 1;
        return NGX_OK;
    }

    ngx_http_s3_variable_set(v, ctx->request_id, 16);

    return NGX_OK;
}


/* the object's size: the body a PUT stored, the object a GET or HEAD read */

static ngx_int_t
ngx_http_s3_variable_object_size(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data)
{
    u_char             *p;
    ngx_http_s3_ctx_t  *ctx;

    ctx = ngx_http_s3_get_ctx(r);

    if (ctx == NULL || ctx->object_size < 0) {
        v->not_found = 1;
        return NGX_OK;
    }

    p = ngx_pnalloc(r->pool, NGX_OFF_T_LEN);
    if (p == NULL) {
        return NGX_ERROR;
    }

    ngx_http_s3_variable_set(v, p, ngx_sprintf(p, "%O", ctx->object_size)
                                   - p);

    return NGX_OK;
}


static void
ngx_http_s3_variable_set(ngx_http_variable_value_t *v, u_char *data,
    size_t len)
{
    v->data = data;
    v->len = len;
    v->valid = 1;
    v->no_cacheable = 0;
    v->not_found = 0;
}
