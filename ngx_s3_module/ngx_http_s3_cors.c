
/*
 * Copyright (C) ngx_s3 authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_s3.h"
#include "ngx_http_s3_ops.h"


/*
 * CORS: Put/Get/DeleteBucketCors (the "cors" bucket setting, stored as
 * the XML GetBucketCors answers), preflight OPTIONS requests, and the
 * Access-Control-* headers of actual requests.  A worker keeps each
 * bucket's compiled rules with its access data (ngx_http_s3_access.c),
 * so neither a preflight nor a request with an Origin costs a metadata
 * round trip once the bucket is known.  Buckets without rules of their
 * own use s3_cors_default's, if any.
 *
 * The rule of an actual request is found before it is authenticated, and
 * a header filter adds its headers to whatever response goes out: the
 * operation's, an S3 error, a 206 or a 304 alike.
 */


static ngx_http_s3_cors_t *ngx_http_s3_cors_rules(ngx_http_request_t *r,
    ngx_int_t *rc);
static ngx_uint_t ngx_http_s3_cors_request_method(ngx_http_request_t *r);
static void ngx_http_s3_cors_get_handler(ngx_http_s3_meta_req_t *mr);
static void ngx_http_s3_cors_put_body(ngx_http_request_t *r,
    ngx_str_t *body);
static void ngx_http_s3_cors_set_handler(ngx_http_s3_meta_req_t *mr);
static ngx_int_t ngx_http_s3_cors_forbidden(ngx_http_request_t *r,
    ngx_str_t *method, const char *message);
static ngx_int_t ngx_http_s3_cors_headers(ngx_http_request_t *r,
    ngx_http_s3_cors_rule_t *rule, ngx_str_t *origin,
    ngx_str_t *allow_headers);
static ngx_int_t ngx_http_s3_cors_header_filter(ngx_http_request_t *r);


static ngx_http_output_header_filter_pt  ngx_http_next_header_filter;


#define NGX_HTTP_S3_CORS_VARY                                                 \
    "Origin, Access-Control-Request-Headers, Access-Control-Request-Method"


/* the rules for the request's bucket: its own, or the default */

static ngx_http_s3_cors_t *
ngx_http_s3_cors_rules(ngx_http_request_t *r, ngx_int_t *rc)
{
    ngx_http_s3_ctx_t            *ctx;
    ngx_http_s3_main_conf_t      *smcf;
    ngx_http_s3_bucket_access_t  *ba;

    ctx = ngx_http_s3_get_ctx(r);
    smcf = ngx_http_get_module_main_conf(r, ngx_http_s3_module);

    *rc = NGX_OK;

    if (ctx->bucket.len == 0
        || !ngx_http_s3_valid_bucket_name(&ctx->bucket))
    {
        return smcf->cors_default;
    }

    /* an upstream's bucket: its CORS rules and headers are the upstream's */

    if (ngx_http_s3_gw_bucket(r)) {
        return NULL;
    }

    *rc = ngx_http_s3_access_bucket_state(r);

    if (*rc != NGX_OK) {
        return NULL;
    }

    ba = ctx->baccess;

    if (ba->found && ba->cors) {
        return ba->cors;
    }

    return smcf->cors_default;
}


ngx_int_t
ngx_http_s3_cors_request(ngx_http_request_t *r)
{
    ngx_int_t                 rc;
    ngx_uint_t                method;
    ngx_table_elt_t          *origin;
    ngx_http_s3_ctx_t        *ctx;
    ngx_http_s3_cors_t       *cors;

    ctx = ngx_http_s3_get_ctx(r);

    origin = ngx_http_s3_header_in(r, "origin");

    if (origin == NULL || ctx->op == NGX_HTTP_S3_OP_PREFLIGHT) {
        ctx->cors_checked = 1;
        return NGX_OK;
    }

    cors = ngx_http_s3_cors_rules(r, &rc);

    if (rc == NGX_AGAIN) {
        return NGX_AGAIN;
    }

    ctx->cors_checked = 1;

    method = ngx_http_s3_cors_request_method(r);

    ctx->cors = ngx_http_s3_cors_match(cors, &origin->value, method, NULL);
    ctx->cors_origin = origin->value;

    ngx_log_debug2(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "s3 cors: origin \"%V\" %s", &origin->value,
                   ctx->cors ? "allowed" : "not allowed");

    return NGX_OK;
}


static ngx_uint_t
ngx_http_s3_cors_request_method(ngx_http_request_t *r)
{
    return ngx_http_s3_cors_method(r->method_name.data,
                                   r->method_name.len);
}


/* OPTIONS on a bucket or an object: anonymous, as in S3 */

ngx_int_t
ngx_http_s3_cors_preflight(ngx_http_request_t *r)
{
    ngx_int_t                 rc;
    ngx_uint_t                method;
    ngx_table_elt_t          *origin, *acrm, *acrh;
    ngx_http_s3_ctx_t        *ctx;
    ngx_http_s3_cors_t       *cors;
    ngx_http_s3_cors_rule_t  *rule;

    static ngx_str_t          none = ngx_string("");

    ctx = ngx_http_s3_get_ctx(r);

    origin = ngx_http_s3_header_in(r, "origin");
    acrm = ngx_http_s3_header_in(r, "access-control-request-method");
    acrh = ngx_http_s3_header_in(r, "access-control-request-headers");

    if (origin == NULL) {
        return ngx_http_s3_send_error(r, NGX_HTTP_S3_ERR_BAD_REQUEST, NULL);
    }

    if (acrm == NULL) {
        return ngx_http_s3_send_error(r, NGX_HTTP_S3_ERR_BAD_REQUEST,
                                      "Invalid Access-Control-Request-"
                                      "Method: null");
    }

    cors = ngx_http_s3_cors_rules(r, &rc);

    if (rc == NGX_AGAIN) {
        return ngx_http_s3_access_lookup(r);
    }

    if (cors == NULL) {
        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "s3 cors: preflight from \"%V\" for %V on \"%V\" "
                      "refused: no CORS configuration", &origin->value,
                      &acrm->value, &ctx->resource);

        return ngx_http_s3_cors_forbidden(r, &acrm->value,
                                          "CORSResponse: CORS is not "
                                          "enabled for this bucket.");
    }

    method = ngx_http_s3_cors_method(acrm->value.data, acrm->value.len);

    rule = method ? ngx_http_s3_cors_match(cors, &origin->value, method,
                                           acrh ? &acrh->value : NULL)
                  : NULL;

    if (rule == NULL) {
        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "s3 cors: preflight from \"%V\" for %V on \"%V\" "
                      "(headers \"%V\") refused: no rule allows it",
                      &origin->value, &acrm->value, &ctx->resource,
                      acrh ? &acrh->value : &none);

        return ngx_http_s3_cors_forbidden(r, &acrm->value, NULL);
    }

    if (ngx_http_s3_cors_headers(r, rule, &origin->value,
                                 acrh ? &acrh->value : NULL)
        != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return ngx_http_s3_send_empty(r, NGX_HTTP_OK);
}


static ngx_int_t
ngx_http_s3_cors_forbidden(ngx_http_request_t *r, ngx_str_t *method,
    const char *message)
{
    ngx_http_s3_ctx_t        *ctx;
    ngx_http_s3_err_extra_t   extra[2];

    ctx = ngx_http_s3_get_ctx(r);

    extra[0].name = "Method";
    extra[0].value = *method;
    extra[1].name = "ResourceType";

    if (ctx->key.len) {
        ngx_str_set(&extra[1].value, "OBJECT");

    } else {
        ngx_str_set(&extra[1].value, "BUCKET");
    }

    return ngx_http_s3_send_error_extra(r, NGX_HTTP_S3_ERR_ACCESS_FORBIDDEN,
                                        message, extra, 2);
}


/*
 * The headers of a matched rule: the origin (or "*" for a rule that
 * allows any, without credentials), the methods, for a preflight the
 * headers asked for, the exposed headers, the max age, and Vary
 */

static ngx_int_t
ngx_http_s3_cors_headers(ngx_http_request_t *r, ngx_http_s3_cors_rule_t *rule,
    ngx_str_t *origin, ngx_str_t *allow_headers)
{
    u_char     *p;
    ngx_str_t   v;

    static ngx_str_t  any = ngx_string("*");
    static ngx_str_t  yes = ngx_string("true");
    static ngx_str_t  vary = ngx_string(NGX_HTTP_S3_CORS_VARY);

    if (rule->any_origin) {
        if (ngx_http_s3_add_header(r, "Access-Control-Allow-Origin", &any)
            != NGX_OK)
        {
            return NGX_ERROR;
        }

    } else if (ngx_http_s3_add_header(r, "Access-Control-Allow-Origin",
                                      origin) != NGX_OK
               || ngx_http_s3_add_header(r,
                                         "Access-Control-Allow-Credentials",
                                         &yes) != NGX_OK)
    {
        return NGX_ERROR;
    }

    if (ngx_http_s3_add_header(r, "Access-Control-Allow-Methods",
                               &rule->allow_methods) != NGX_OK)
    {
        return NGX_ERROR;
    }

    if (allow_headers && allow_headers->len) {

        /* the headers asked for, lowercase, as S3 answers them */

        p = ngx_pnalloc(r->pool, allow_headers->len);
        if (p == NULL) {
            return NGX_ERROR;
        }

        ngx_strlow(p, allow_headers->data, allow_headers->len);

        v.data = p;
        v.len = allow_headers->len;

        if (ngx_http_s3_add_header(r, "Access-Control-Allow-Headers", &v)
            != NGX_OK)
        {
            return NGX_ERROR;
        }
    }

    if (rule->expose_list.len
        && ngx_http_s3_add_header(r, "Access-Control-Expose-Headers",
                                  &rule->expose_list) != NGX_OK)
    {
        return NGX_ERROR;
    }

    if (rule->max_age >= 0) {
        p = ngx_pnalloc(r->pool, NGX_INT_T_LEN);
        if (p == NULL) {
            return NGX_ERROR;
        }

        v.data = p;
        v.len = ngx_sprintf(p, "%i", rule->max_age) - p;

        if (ngx_http_s3_add_header(r, "Access-Control-Max-Age", &v)
            != NGX_OK)
        {
            return NGX_ERROR;
        }
    }

    return ngx_http_s3_add_header(r, "Vary", &vary);
}


/* every response of a request whose Origin a rule allows */

static ngx_int_t
ngx_http_s3_cors_header_filter(ngx_http_request_t *r)
{
    ngx_http_s3_ctx_t  *ctx;

    if (r != r->main) {
        return ngx_http_next_header_filter(r);
    }

    ctx = ngx_http_s3_get_ctx(r);

    if (ctx == NULL || ctx->cors == NULL) {
        return ngx_http_next_header_filter(r);
    }

    if (ngx_http_s3_cors_headers(r, ctx->cors, &ctx->cors_origin, NULL)
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    /* once: an error answer after a failed send must not add them again */
    ctx->cors = NULL;

    return ngx_http_next_header_filter(r);
}


ngx_int_t
ngx_http_s3_cors_init(ngx_conf_t *cf)
{
    ngx_http_next_header_filter = ngx_http_top_header_filter;
    ngx_http_top_header_filter = ngx_http_s3_cors_header_filter;

    return NGX_OK;
}


/* GetBucketCors, PutBucketCors, DeleteBucketCors */

ngx_int_t
ngx_http_s3_get_bucket_cors(ngx_http_request_t *r)
{
    return ngx_http_s3_meta_setting(r, "cors", NULL,
                                    ngx_http_s3_cors_get_handler);
}


static void
ngx_http_s3_cors_get_handler(ngx_http_s3_meta_req_t *mr)
{
    ngx_http_request_t  *r;

    r = mr->data;

    /* stored as GetBucketCors answers it */

    ngx_http_s3_finalize(r, ngx_http_s3_setting_send(r, mr,
                                NGX_HTTP_S3_ERR_NO_SUCH_CORS_CONFIGURATION,
                                0));
}


ngx_int_t
ngx_http_s3_put_bucket_cors(ngx_http_request_t *r)
{
    ngx_int_t  rc;

    rc = ngx_http_s3_read_xml_body(r, ngx_http_s3_cors_put_body, 0);

    if (rc != NGX_OK) {
        return rc;
    }

    return NGX_DONE;
}


ngx_int_t
ngx_http_s3_delete_bucket_cors(ngx_http_request_t *r)
{
    ngx_str_t  none;

    ngx_str_set(&none, "");

    return ngx_http_s3_meta_setting(r, "cors", &none,
                                    ngx_http_s3_cors_set_handler);
}


static void
ngx_http_s3_cors_put_body(ngx_http_request_t *r, ngx_str_t *body)
{
    u_char              *p;
    ngx_uint_t           err;
    ngx_str_t            value;
    ngx_chain_t         *cl, *c;
    const char          *message;
    ngx_http_s3_xml_t    w;
    ngx_http_s3_cors_t  *cors;

    cors = ngx_http_s3_cors_parse(r->pool, body->data, body->len, &err,
                                  &message);

    if (cors == NULL) {
        ngx_http_s3_finalize(r, ngx_http_s3_send_error(r,
                                  message == NULL
                                  ? NGX_HTTP_S3_ERR_INTERNAL
                                  : err == NGX_HTTP_S3_CORS_INVALID
                                    ? NGX_HTTP_S3_ERR_INVALID_REQUEST
                                    : NGX_HTTP_S3_ERR_MALFORMED_XML,
                                  message));
        return;
    }

    /* kept as GetBucketCors answers it: one string */

    ngx_http_s3_xml_init(&w, r->pool);
    ngx_http_s3_cors_xml(&w, cors);

    cl = ngx_http_s3_xml_finish(&w);
    if (cl == NULL) {
        ngx_http_s3_finalize(r, ngx_http_s3_send_error(r,
                                        NGX_HTTP_S3_ERR_INTERNAL, NULL));
        return;
    }

    value.len = 0;

    for (c = cl; c; c = c->next) {
        value.len += c->buf->last - c->buf->pos;
    }

    value.data = ngx_pnalloc(r->pool, value.len);
    if (value.data == NULL) {
        ngx_http_s3_finalize(r, ngx_http_s3_send_error(r,
                                        NGX_HTTP_S3_ERR_INTERNAL, NULL));
        return;
    }

    p = value.data;

    for (c = cl; c; c = c->next) {
        p = ngx_cpymem(p, c->buf->pos, c->buf->last - c->buf->pos);
    }

    ngx_http_s3_finalize(r, ngx_http_s3_meta_setting(r, "cors", &value,
                                        ngx_http_s3_cors_set_handler));
}


static void
ngx_http_s3_cors_set_handler(ngx_http_s3_meta_req_t *mr)
{
    ngx_int_t            rc;
    ngx_http_s3_ctx_t   *ctx;
    ngx_http_request_t  *r;

    r = mr->data;
    ctx = ngx_http_s3_get_ctx(r);

    if (mr->status != NGX_HTTP_S3_WIRE_ST_OK) {
        rc = ngx_http_s3_send_error(r, ngx_http_s3_meta_error(mr->status),
                                    NULL);

    } else if (ctx->op == NGX_HTTP_S3_OP_DELETE_BUCKET_CORS) {
        rc = ngx_http_s3_send_empty(r, NGX_HTTP_NO_CONTENT);

    } else {
        rc = ngx_http_s3_send_empty(r, NGX_HTTP_OK);
    }

    ngx_http_s3_finalize(r, rc);
}


/*
 * s3_cors_default <file>: a CORSConfiguration document, the rules of
 * every bucket that has none of its own (and of requests naming no
 * bucket)
 */

char *
ngx_http_s3_cors_default(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_s3_main_conf_t *smcf = conf;

    u_char           *buf;
    ssize_t           n;
    ngx_fd_t          fd;
    ngx_str_t        *value, name;
    ngx_uint_t        err;
    ngx_file_info_t   fi;
    const char       *message;

    if (smcf->cors_default) {
        return "is duplicate";
    }

    value = cf->args->elts;
    name = value[1];

    if (ngx_conf_full_name(cf->cycle, &name, 1) != NGX_OK) {
        return NGX_CONF_ERROR;
    }

    fd = ngx_open_file(name.data, NGX_FILE_RDONLY, NGX_FILE_OPEN, 0);

    if (fd == NGX_INVALID_FILE) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, ngx_errno,
                           ngx_open_file_n " \"%s\" failed", name.data);
        return NGX_CONF_ERROR;
    }

    if (ngx_fd_info(fd, &fi) == NGX_FILE_ERROR
        || ngx_file_size(&fi) > NGX_HTTP_S3_MAX_XML_BODY)
    {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"%s\" is not a CORS configuration file",
                           name.data);
        ngx_close_file(fd);
        return NGX_CONF_ERROR;
    }

    buf = ngx_pnalloc(cf->pool, ngx_file_size(&fi) + 1);
    if (buf == NULL) {
        ngx_close_file(fd);
        return NGX_CONF_ERROR;
    }

    n = ngx_read_fd(fd, buf, ngx_file_size(&fi));

    ngx_close_file(fd);

    if (n != (ssize_t) ngx_file_size(&fi)) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, ngx_errno,
                           ngx_read_fd_n " \"%s\" failed", name.data);
        return NGX_CONF_ERROR;
    }

    smcf->cors_default = ngx_http_s3_cors_parse(cf->pool, buf, n, &err,
                                                &message);

    if (smcf->cors_default == NULL) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"%s\": not a valid CORSConfiguration: %s",
                           name.data, message ? message : "no memory");
        return NGX_CONF_ERROR;
    }

    return NGX_CONF_OK;
}
