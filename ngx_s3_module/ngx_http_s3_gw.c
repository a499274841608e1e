
/*
 * Copyright (C) ngx_s3 authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_s3.h"
#include "ngx_http_s3_ops.h"
#include "ngx_http_s3_chunked.h"


/*
 * Gateway mode: the hand-over to nginx's proxy and the upstream request's
 * signature.
 *
 * The request leaves the s3 location by ngx_http_named_location(), which
 * clears the modules' contexts: the s3 context stays reachable through a
 * cleanup of the request's pool (ngx_http_s3_get_ctx() finds it there),
 * which subrequests (the slices of a cached read) share.  The variables
 * are not cacheable: the proxy evaluates them for each upstream request,
 * and a retry or a slice is signed afresh.
 *
 * What the proxy sends is the client's request with the headers
 * conf/s3_gateway.conf replaces or drops: the signature covers host,
 * x-amz-date, x-amz-content-sha256 and every other x-amz-* header the
 * client sent and the proxy forwards.  The list of dropped ones below
 * and that file must agree.
 */


static void ngx_http_s3_gw_payload(ngx_http_request_t *r,
    ngx_http_s3_ctx_t *ctx, ngx_http_s3_gw_req_t *gw);
static ngx_int_t ngx_http_s3_gw_uri(ngx_http_request_t *r,
    ngx_http_s3_gw_req_t *gw);
static ngx_int_t ngx_http_s3_gw_query(ngx_http_request_t *r,
    ngx_str_t *out);
static ngx_uint_t ngx_http_s3_gw_cacheable(ngx_http_request_t *r,
    ngx_http_s3_ctx_t *ctx);
static void ngx_http_s3_gw_created(ngx_http_s3_meta_req_t *mr);
static void ngx_http_s3_gw_jump(ngx_http_request_t *r);
static void ngx_http_s3_gw_cleanup(void *data);
static ngx_uint_t ngx_http_s3_gw_dropped(ngx_str_t *name);
static ngx_int_t ngx_http_s3_gw_sign(ngx_http_request_t *r,
    ngx_http_s3_gw_req_t *gw);
static int ngx_libc_cdecl ngx_http_s3_gw_cmp(const void *one,
    const void *two);

static ngx_int_t ngx_http_s3_gw_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data);


/* the client's headers the upstream request does not carry as they are */

static ngx_str_t  ngx_http_s3_gw_drop[] = {
    ngx_string("x-amz-date"),
    ngx_string("x-amz-content-sha256"),
    ngx_string("x-amz-security-token"),
    ngx_string("x-amz-decoded-content-length"),
    ngx_string("x-amz-trailer"),
    ngx_string("x-amz-expected-bucket-owner"),
    ngx_null_string
};


/* the query parameters of the client's own signature */

static ngx_str_t  ngx_http_s3_gw_auth_args[] = {
    ngx_string("X-Amz-Algorithm"),
    ngx_string("X-Amz-Credential"),
    ngx_string("X-Amz-Date"),
    ngx_string("X-Amz-Expires"),
    ngx_string("X-Amz-SignedHeaders"),
    ngx_string("X-Amz-Signature"),
    ngx_string("X-Amz-Security-Token"),
    ngx_string("X-Amz-Content-Sha256"),
    ngx_string("AWSAccessKeyId"),
    ngx_string("Signature"),
    ngx_string("Expires"),
    ngx_null_string
};


#define NGX_HTTP_S3_GW_VAR_UPSTREAM          0
#define NGX_HTTP_S3_GW_VAR_URI               1
#define NGX_HTTP_S3_GW_VAR_HOST              2
#define NGX_HTTP_S3_GW_VAR_DATE              3
#define NGX_HTTP_S3_GW_VAR_AUTHORIZATION     4
#define NGX_HTTP_S3_GW_VAR_CONTENT_SHA256    5
#define NGX_HTTP_S3_GW_VAR_CONTENT_LENGTH    6
#define NGX_HTTP_S3_GW_VAR_CONTENT_ENCODING  7
#define NGX_HTTP_S3_GW_VAR_CACHE             8
#define NGX_HTTP_S3_GW_VAR_CACHE_KEY         9


ngx_http_variable_t  ngx_http_s3_gw_vars[] = {

    { ngx_string("s3_gw_upstream"), NULL, ngx_http_s3_gw_variable,
      NGX_HTTP_S3_GW_VAR_UPSTREAM, NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("s3_gw_uri"), NULL, ngx_http_s3_gw_variable,
      NGX_HTTP_S3_GW_VAR_URI, NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("s3_gw_host"), NULL, ngx_http_s3_gw_variable,
      NGX_HTTP_S3_GW_VAR_HOST, NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("s3_gw_date"), NULL, ngx_http_s3_gw_variable,
      NGX_HTTP_S3_GW_VAR_DATE, NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("s3_gw_authorization"), NULL, ngx_http_s3_gw_variable,
      NGX_HTTP_S3_GW_VAR_AUTHORIZATION, NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("s3_gw_content_sha256"), NULL, ngx_http_s3_gw_variable,
      NGX_HTTP_S3_GW_VAR_CONTENT_SHA256, NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("s3_gw_content_length"), NULL, ngx_http_s3_gw_variable,
      NGX_HTTP_S3_GW_VAR_CONTENT_LENGTH, NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("s3_gw_content_encoding"), NULL, ngx_http_s3_gw_variable,
      NGX_HTTP_S3_GW_VAR_CONTENT_ENCODING, NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("s3_gw_cache"), NULL, ngx_http_s3_gw_variable,
      NGX_HTTP_S3_GW_VAR_CACHE, NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("s3_gw_cache_key"), NULL, ngx_http_s3_gw_variable,
      NGX_HTTP_S3_GW_VAR_CACHE_KEY, NGX_HTTP_VAR_NOCACHEABLE, 0 },

      ngx_http_null_variable
};


static ngx_str_t  ngx_http_s3_gw_location = ngx_string("@s3_gw");
static ngx_str_t  ngx_http_s3_gw_read_location = ngx_string("@s3_gw_read");


/* the signing key of the day, per worker */

static u_char  ngx_http_s3_gw_key[NGX_HTTP_S3_SIGV4_KEY_LEN];
static u_char  ngx_http_s3_gw_key_date[8];


ngx_int_t
ngx_http_s3_gw_init(ngx_conf_t *cf)
{
    ngx_http_s3_main_conf_t  *smcf;

    smcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_s3_module);

    if (smcf->gw.upstream.len == 0) {
        return NGX_OK;
    }

    if (ngx_http_s3_gw_body_filter_init(cf) != NGX_OK) {
        return NGX_ERROR;
    }

    return ngx_http_s3_gw_cache_filter_init(cf);
}


/*
 * s3_gateway <upstream>; s3_gateway_host <host[:port]>;
 * s3_gateway_credentials <access key> <secret key>;
 * s3_gateway_region <region>; s3_gateway_bucket <name> ...;
 * s3_gateway_cache <zone> | off; s3_gateway_cache_valid <time>
 */

char *
ngx_http_s3_gw_directive(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_s3_main_conf_t *smcf = conf;

    ngx_str_t              *value, *b, *name;
    ngx_uint_t              i;
    ngx_http_s3_gw_conf_t  *gw;

    gw = &smcf->gw;
    value = cf->args->elts;
    name = &value[0];

    if (name->len == sizeof("s3_gateway") - 1) {
        gw->upstream = value[1];
        return NGX_CONF_OK;
    }

    if (ngx_strcmp(name->data, "s3_gateway_host") == 0) {
        gw->host = value[1];
        return NGX_CONF_OK;
    }

    if (ngx_strcmp(name->data, "s3_gateway_credentials") == 0) {
        gw->access_key = value[1];
        gw->secret_key = value[2];
        return NGX_CONF_OK;
    }

    if (ngx_strcmp(name->data, "s3_gateway_region") == 0) {
        gw->region = value[1];
        return NGX_CONF_OK;
    }

    if (ngx_strcmp(name->data, "s3_gateway_bucket") == 0) {

        if (gw->buckets == NULL) {
            gw->buckets = ngx_array_create(cf->pool, 4, sizeof(ngx_str_t));
            if (gw->buckets == NULL) {
                return NGX_CONF_ERROR;
            }
        }

        for (i = 1; i < cf->args->nelts; i++) {
            if (!ngx_http_s3_valid_dotted_bucket_name(&value[i])) {
                ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                                   "invalid bucket name \"%V\"", &value[i]);
                return NGX_CONF_ERROR;
            }

            b = ngx_array_push(gw->buckets);
            if (b == NULL) {
                return NGX_CONF_ERROR;
            }

            *b = value[i];
        }

        return NGX_CONF_OK;
    }

    if (ngx_strcmp(name->data, "s3_gateway_cache") == 0) {
        if (ngx_strcmp(value[1].data, "off") == 0) {
            ngx_str_null(&gw->cache);

        } else {
            gw->cache = value[1];
        }

        return NGX_CONF_OK;
    }

    /* s3_gateway_cache_valid */

    gw->cache_valid = ngx_parse_time(&value[1], 1);

    if (gw->cache_valid == (time_t) NGX_ERROR || gw->cache_valid == 0) {
        return "invalid value";
    }

    return NGX_CONF_OK;
}


char *
ngx_http_s3_gw_init_conf(ngx_conf_t *cf, ngx_http_s3_gw_conf_t *gw,
    ngx_str_t *region)
{
    if (gw->upstream.len == 0) {
        if (gw->host.len || gw->access_key.len || gw->buckets
            || gw->cache.len)
        {
            ngx_log_error(NGX_LOG_EMERG, cf->log, 0,
                          "\"s3_gateway_*\" directives need \"s3_gateway\"");
            return NGX_CONF_ERROR;
        }

        return NGX_CONF_OK;
    }

    if (gw->host.len == 0 || gw->access_key.len == 0) {
        ngx_log_error(NGX_LOG_EMERG, cf->log, 0,
                      "\"s3_gateway\" needs \"s3_gateway_host\" and "
                      "\"s3_gateway_credentials\"");
        return NGX_CONF_ERROR;
    }

    if (gw->region.len == 0) {
        gw->region = *region;
    }

    if (gw->cache_valid == 0) {
        gw->cache_valid = 60;
    }

    gw->gen_zone = ngx_http_s3_shared_struct(cf, "s3_gateway",
                                             sizeof(ngx_http_s3_gw_gens_t));
    if (gw->gen_zone == NULL) {
        return NGX_CONF_ERROR;
    }

    return NGX_CONF_OK;
}


ngx_uint_t
ngx_http_s3_gw_bucket(ngx_http_request_t *r)
{
    ngx_str_t                *b;
    ngx_uint_t                i;
    ngx_http_s3_ctx_t        *ctx;
    ngx_http_s3_main_conf_t  *smcf;

    smcf = ngx_http_get_module_main_conf(r, ngx_http_s3_module);

    if (smcf->gw.upstream.len == 0) {
        return 0;
    }

    ctx = ngx_http_s3_get_ctx(r);

    switch (ctx->op) {

    case NGX_HTTP_S3_OP_GET_BUCKET_POLICY:
    case NGX_HTTP_S3_OP_PUT_BUCKET_POLICY:
    case NGX_HTTP_S3_OP_DELETE_BUCKET_POLICY:
    case NGX_HTTP_S3_OP_GET_BUCKET_ACL:
    case NGX_HTTP_S3_OP_PUT_BUCKET_ACL:
        return 0;

    default:
        break;
    }

    if (smcf->gw.buckets == NULL) {
        return 1;
    }

    b = smcf->gw.buckets->elts;

    for (i = 0; i < smcf->gw.buckets->nelts; i++) {
        if (b[i].len == ctx->bucket.len
            && ngx_strncmp(b[i].data, ctx->bucket.data, b[i].len) == 0)
        {
            return 1;
        }
    }

    return 0;
}


ngx_int_t
ngx_http_s3_gw_handler(ngx_http_request_t *r)
{
    ngx_int_t                 rc;
    ngx_http_s3_ctx_t        *ctx;
    ngx_pool_cleanup_t       *cln;
    ngx_http_s3_gw_req_t     *gw;
    ngx_http_s3_main_conf_t  *smcf;

    ctx = ngx_http_s3_get_ctx(r);
    smcf = ngx_http_get_module_main_conf(r, ngx_http_s3_module);

    gw = ngx_pcalloc(r->pool, sizeof(ngx_http_s3_gw_req_t));
    if (gw == NULL) {
        return ngx_http_s3_send_error(r, NGX_HTTP_S3_ERR_INTERNAL, NULL);
    }

    gw->conf = &smcf->gw;
    gw->bucket = ctx->bucket;
    gw->key = ctx->key;

    ngx_http_s3_gw_payload(r, ctx, gw);

    if (ctx->auth.payload == NGX_HTTP_S3_PAYLOAD_STREAMING) {
        rc = ngx_http_s3_gw_body_init(r, gw);

        if (rc != NGX_OK) {
            return rc;
        }
    }

    if (r->method & (NGX_HTTP_PUT|NGX_HTTP_POST|NGX_HTTP_DELETE)) {
        gw->write = 1;
    }

    if (gw->conf->cache.len && ngx_http_s3_gw_cacheable(r, ctx)) {
        if (ngx_http_s3_gw_cache_key(r, gw) != NGX_OK) {
            return ngx_http_s3_send_error(r, NGX_HTTP_S3_ERR_INTERNAL, NULL);
        }
    }

    cln = ngx_pool_cleanup_add(r->pool, 0);
    if (cln == NULL) {
        return ngx_http_s3_send_error(r, NGX_HTTP_S3_ERR_INTERNAL, NULL);
    }

    cln->handler = ngx_http_s3_gw_cleanup;
    cln->data = ctx;

    ctx->gw = gw;

    ngx_log_debug3(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "s3 gateway: \"%V\" \"%V\" cache key \"%V\"",
                   &gw->bucket, &gw->key, &gw->cache_key);

    /*
     * An aws-chunked body read before anything goes upstream: an empty
     * one has no last byte to hold back, and one without Content-Length
     * (Transfer-Encoding: chunked, as SDKs send streams; HTTP/2 without
     * content-length) would go up chunked, where the upstream wants a
     * length: read whole, it goes with its decoded length
     */

    if (gw->body
        && (ngx_http_s3_gw_body_length(gw) == 0 || r->headers_in.chunked))
    {
        rc = ngx_http_read_client_request_body(r, ngx_http_s3_gw_jump);

        if (rc >= NGX_HTTP_SPECIAL_RESPONSE) {
            if (gw->err != NGX_HTTP_S3_OK) {
                return ngx_http_s3_send_error(r, gw->err, gw->message);
            }

            return rc;
        }

        return NGX_DONE;
    }

    return ngx_http_named_location(r, gw->cache_key.len
                                      ? &ngx_http_s3_gw_read_location
                                      : &ngx_http_s3_gw_location);
}


static void
ngx_http_s3_gw_jump(ngx_http_request_t *r)
{
    ngx_http_finalize_request(r,
                  ngx_http_named_location(r, &ngx_http_s3_gw_location));
}


/*
 * CreateBucket by the operator: the local record first (the bucket's
 * owner, ACL, policy and grants are ngx_s3's, for its managed keys), then
 * the upstream's bucket.  A record left from before is kept.
 */

ngx_int_t
ngx_http_s3_gw_create_bucket(ngx_http_request_t *r)
{
    if (ngx_http_s3_bucket_create_record(r, ngx_http_s3_gw_created)
        != NGX_OK)
    {
        return ngx_http_s3_send_error(r, NGX_HTTP_S3_ERR_INTERNAL, NULL);
    }

    r->main->count++;

    return NGX_DONE;
}


static void
ngx_http_s3_gw_created(ngx_http_s3_meta_req_t *mr)
{
    ngx_http_request_t  *r;

    r = mr->data;

    if (mr->status != NGX_HTTP_S3_WIRE_ST_OK
        && mr->status != NGX_HTTP_S3_WIRE_ST_EXISTS)
    {
        ngx_http_s3_finalize(r, ngx_http_s3_send_error(r,
                                    ngx_http_s3_meta_error(mr->status),
                                    NULL));
        return;
    }

    ngx_http_s3_finalize(r, ngx_http_s3_gw_handler(r));
}


/*
 * The stashed context: a named location or an error page's redirect
 * cleared the modules' contexts
 */

void *
ngx_http_s3_gw_stashed(ngx_http_request_t *r)
{
    ngx_pool_cleanup_t  *cln;

    for (cln = r->pool->cleanup; cln; cln = cln->next) {
        if (cln->handler == ngx_http_s3_gw_cleanup) {
            return cln->data;
        }
    }

    return NULL;
}


ngx_http_s3_gw_req_t *
ngx_http_s3_gw_get(ngx_http_request_t *r)
{
    ngx_http_s3_ctx_t  *ctx;

    ctx = ngx_http_s3_get_ctx(r->main);

    return ctx ? ctx->gw : NULL;
}


static void
ngx_http_s3_gw_cleanup(void *data)
{
    ngx_http_s3_ctx_t *ctx = data;

    /* a write that ended without its answer may have been made */

    if (ctx->gw && ctx->gw->write && !ctx->gw->bumped) {
        ngx_http_s3_gw_cache_bump(ctx->gw);
    }
}


/* the client's payload hash goes up: the upstream checks it */

static void
ngx_http_s3_gw_payload(ngx_http_request_t *r, ngx_http_s3_ctx_t *ctx,
    ngx_http_s3_gw_req_t *gw)
{
    ngx_table_elt_t  *h;

    if (ctx->auth.payload == NGX_HTTP_S3_PAYLOAD_SIGNED) {
        h = ngx_http_s3_header_in(r, "x-amz-content-sha256");

        if (h && h->value.len == NGX_HTTP_S3_SIGV4_HEX_LEN) {
            gw->payload = h->value;
            return;
        }
    }

    ngx_str_set(&gw->payload, NGX_HTTP_S3_SIGV4_UNSIGNED);
}


/*
 * Path-style: /bucket/key, the key encoded as SigV4 wants it (what the
 * upstream decodes is the key as the client meant it), and the client's
 * query without its own signature, in canonical order.  Made when the
 * proxy first needs it: a read the cache answers never does.
 */

static ngx_int_t
ngx_http_s3_gw_uri(ngx_http_request_t *r, ngx_http_s3_gw_req_t *gw)
{
    size_t   len;
    u_char  *p;

    if (gw->uri.len) {
        return NGX_OK;
    }

    r = r->main;

    len = 1 + ngx_http_s3_uri_encode(NULL, gw->bucket.data, gw->bucket.len,
                                     1)
          + 1 + ngx_http_s3_uri_encode(NULL, gw->key.data, gw->key.len, 0);

    p = ngx_pnalloc(r->pool, len);
    if (p == NULL) {
        return NGX_ERROR;
    }

    gw->path.data = p;

    *p++ = '/';
    p += ngx_http_s3_uri_encode(p, gw->bucket.data, gw->bucket.len, 1);

    if (gw->key.len) {
        *p++ = '/';
        p += ngx_http_s3_uri_encode(p, gw->key.data, gw->key.len, 0);
    }

    gw->path.len = p - gw->path.data;

    if (ngx_http_s3_gw_query(r, &gw->query) != NGX_OK) {
        return NGX_ERROR;
    }

    if (gw->query.len == 0) {
        gw->uri = gw->path;
        return NGX_OK;
    }

    len = gw->path.len + 1 + gw->query.len;

    p = ngx_pnalloc(r->pool, len);
    if (p == NULL) {
        return NGX_ERROR;
    }

    gw->uri.data = p;
    p = ngx_cpymem(p, gw->path.data, gw->path.len);
    *p++ = '?';
    p = ngx_cpymem(p, gw->query.data, gw->query.len);
    gw->uri.len = len;

    return NGX_OK;
}


static ngx_int_t
ngx_http_s3_gw_query(ngx_http_request_t *r, ngx_str_t *out)
{
    u_char     *p, *q, *last, *start, *end;
    size_t      n;
    ngx_str_t   args, *a;

    ngx_str_null(out);

    if (r->args.len == 0) {
        return NGX_OK;
    }

    args.data = ngx_pnalloc(r->pool, r->args.len);
    if (args.data == NULL) {
        return NGX_ERROR;
    }

    q = args.data;
    p = r->args.data;
    last = p + r->args.len;

    while (p < last) {
        start = p;

        while (p < last && *p != '&') {
            p++;
        }

        end = p;

        if (p < last) {
            p++;
        }

        for (n = 0; start + n < end && start[n] != '='; n++) {
            /* void */
        }

        for (a = ngx_http_s3_gw_auth_args; a->len; a++) {
            if (a->len == n && ngx_strncmp(a->data, start, n) == 0) {
                break;
            }
        }

        if (a->len || start == end) {
            continue;
        }

        if (q != args.data) {
            *q++ = '&';
        }

        q = ngx_cpymem(q, start, end - start);
    }

    args.len = q - args.data;

    return ngx_http_s3_sigv4_canonical_query(r->pool, &args, 0, 0, out);
}


/*
 * What the cache may answer: a GET or HEAD of an object as stored, not
 * an SSE-C read (its copy would serve the decrypted bytes to anyone), not
 * one whose answer depends on the request (response-* overrides,
 * conditions: the upstream decides those), not a part.  Checksum mode
 * (current SDKs ask it on every GET) is cached without: slices are
 * ranges, which carry no object checksum, and an SDK checks one only if
 * it comes
 */

static ngx_uint_t
ngx_http_s3_gw_cacheable(ngx_http_request_t *r, ngx_http_s3_ctx_t *ctx)
{
    u_char           *p, *last;
    ngx_uint_t        i;
    ngx_list_part_t  *part;
    ngx_table_elt_t  *h;

    if (ctx->op != NGX_HTTP_S3_OP_GET_OBJECT
        && ctx->op != NGX_HTTP_S3_OP_HEAD_OBJECT)
    {
        return 0;
    }

    if (ngx_http_s3_arg_present(r, "partNumber")) {
        return 0;
    }

    p = r->args.data;
    last = p + r->args.len;

    while (p < last) {
        if (last - p >= 9 && ngx_strncmp(p, "response-", 9) == 0) {
            return 0;
        }

        p = ngx_strlchr(p, last, '&');

        if (p == NULL) {
            break;
        }

        p++;
    }

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

        if (ngx_http_s3_header_prefix(&h[i], "if-")
            || ngx_http_s3_header_prefix(&h[i],
                               "x-amz-server-side-encryption-customer-"))
        {
            return 0;
        }
    }

    return 1;
}


static ngx_uint_t
ngx_http_s3_gw_dropped(ngx_str_t *name)
{
    ngx_str_t  *d;

    for (d = ngx_http_s3_gw_drop; d->len; d++) {
        if (d->len == name->len
            && ngx_strncasecmp(d->data, name->data, d->len) == 0)
        {
            return 1;
        }
    }

    return 0;
}


/*
 * SigV4 with the gateway's credentials over what the proxy sends: the
 * method (a HEAD the cache turned into a GET is signed as the GET it
 * is), the path and query, host, x-amz-content-sha256, x-amz-date and the
 * client's other x-amz-* headers
 */

static ngx_int_t
ngx_http_s3_gw_sign(ngx_http_request_t *r, ngx_http_s3_gw_req_t *gw)
{
    u_char                   *p, hex[NGX_HTTP_S3_SIGV4_HEX_LEN];
    size_t                    len;
    time_t                    now;
    ngx_str_t                 method, date, day, scope, service, canonical;
    ngx_str_t                 sts, *name;
    ngx_uint_t                i, n;
    ngx_array_t              *headers, *names;
    ngx_keyval_t             *kv;
    ngx_list_part_t          *part;
    ngx_table_elt_t          *h;
    ngx_http_s3_gw_conf_t    *conf;
    ngx_http_s3_sigv4_req_t   req;

    conf = gw->conf;

    if (r->upstream && r->upstream->method.len) {
        method = r->upstream->method;

    } else {
        method = r->method_name;
    }

    now = ngx_time();

    if (gw->authorization.len
        && gw->signed_at == now
        && gw->signed_method.len == method.len
        && ngx_strncmp(gw->signed_method.data, method.data, method.len) == 0)
    {
        return NGX_OK;
    }

    if (ngx_http_s3_gw_uri(r, gw) != NGX_OK) {
        return NGX_ERROR;
    }

    (void) ngx_http_s3_sigv4_format_date(gw->date, now);

    date.data = gw->date;
    date.len = NGX_HTTP_S3_SIGV4_DATE_LEN;
    day.data = gw->date;
    day.len = 8;
    ngx_str_set(&service, "s3");

    headers = ngx_array_create(r->pool, 8, sizeof(ngx_keyval_t));
    names = ngx_array_create(r->pool, 8, sizeof(ngx_str_t));

    if (headers == NULL || names == NULL) {
        return NGX_ERROR;
    }

    kv = ngx_array_push_n(headers, 3);
    name = ngx_array_push_n(names, 3);

    if (kv == NULL || name == NULL) {
        return NGX_ERROR;
    }

    ngx_str_set(&kv[0].key, "host");
    kv[0].value = conf->host;
    ngx_str_set(&kv[1].key, "x-amz-content-sha256");
    kv[1].value = gw->payload;
    ngx_str_set(&kv[2].key, "x-amz-date");
    kv[2].value = date;

    name[0] = kv[0].key;
    name[1] = kv[1].key;
    name[2] = kv[2].key;

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

        if (!ngx_http_s3_header_prefix(&h[i], "x-amz-")
            || ngx_http_s3_gw_dropped(&h[i].key)
            || (gw->cache_key.len
                && ngx_http_s3_header_is(&h[i], "x-amz-checksum-mode")))
        {
            continue;
        }

        kv = ngx_array_push(headers);
        name = ngx_array_push(names);

        if (kv == NULL || name == NULL) {
            return NGX_ERROR;
        }

        kv->key.data = h[i].lowcase_key;
        kv->key.len = h[i].key.len;
        kv->value = h[i].value;
        *name = kv->key;
    }

    ngx_qsort(names->elts, names->nelts, sizeof(ngx_str_t),
              ngx_http_s3_gw_cmp);

    /* the sorted names, each once */

    name = names->elts;
    len = 0;

    for (i = 0; i < names->nelts; i++) {
        len += name[i].len + 1;
    }

    req.signed_headers.data = ngx_pnalloc(r->pool, len);
    if (req.signed_headers.data == NULL) {
        return NGX_ERROR;
    }

    p = req.signed_headers.data;

    for (i = 0, n = 0; i < names->nelts; i++) {
        if (n && name[i].len == name[n - 1].len
            && ngx_strncmp(name[i].data, name[n - 1].data, name[i].len) == 0)
        {
            continue;
        }

        if (n) {
            *p++ = ';';
        }

        p = ngx_cpymem(p, name[i].data, name[i].len);
        name[n++] = name[i];
    }

    req.signed_headers.len = p - req.signed_headers.data;

    req.method = method;
    req.path = gw->path;
    req.args = gw->query;
    req.headers = headers;
    req.payload_hash = gw->payload;
    req.presigned = 0;
    req.raw = 1;

    len = 8 + 1 + conf->region.len + sizeof("/s3/aws4_request") - 1;

    scope.data = ngx_pnalloc(r->pool, len);
    if (scope.data == NULL) {
        return NGX_ERROR;
    }

    scope.len = ngx_sprintf(scope.data, "%V/%V/s3/aws4_request",
                            &day, &conf->region)
                - scope.data;

    if (ngx_memcmp(ngx_http_s3_gw_key_date, day.data, 8) != 0) {
        if (ngx_http_s3_sigv4_signing_key(&conf->secret_key, &day,
                                          &conf->region, &service,
                                          ngx_http_s3_gw_key)
            != NGX_OK)
        {
            return NGX_ERROR;
        }

        ngx_memcpy(ngx_http_s3_gw_key_date, day.data, 8);
    }

    if (ngx_http_s3_sigv4_canonical_request(r->pool, &req, &canonical)
        != NGX_OK
        || ngx_http_s3_sigv4_string_to_sign(r->pool, &date, &scope,
                                            &canonical, &sts)
           != NGX_OK
        || ngx_http_s3_sigv4_sign(ngx_http_s3_gw_key, &sts, hex) != NGX_OK)
    {
        return NGX_ERROR;
    }

    len = sizeof(NGX_HTTP_S3_SIGV4_ALGORITHM " Credential=") - 1
          + conf->access_key.len + 1 + scope.len
          + sizeof(", SignedHeaders=") - 1 + req.signed_headers.len
          + sizeof(", Signature=") - 1 + NGX_HTTP_S3_SIGV4_HEX_LEN;

    p = ngx_pnalloc(r->pool, len);
    if (p == NULL) {
        return NGX_ERROR;
    }

    gw->authorization.data = p;
    gw->authorization.len = ngx_sprintf(p, NGX_HTTP_S3_SIGV4_ALGORITHM
                                        " Credential=%V/%V, SignedHeaders=%V"
                                        ", Signature=%*s",
                                        &conf->access_key, &scope,
                                        &req.signed_headers,
                                        (size_t) NGX_HTTP_S3_SIGV4_HEX_LEN,
                                        hex)
                            - p;

    gw->signed_at = now;
    gw->signed_method = method;

    ngx_log_debug2(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "s3 gateway canonical request:\n%V\nsigned: %V",
                   &canonical, &gw->authorization);

    return NGX_OK;
}


static int ngx_libc_cdecl
ngx_http_s3_gw_cmp(const void *one, const void *two)
{
    ngx_int_t         rc;
    const ngx_str_t  *a = one, *b = two;

    rc = ngx_strncmp(a->data, b->data, ngx_min(a->len, b->len));

    if (rc == 0) {
        rc = (ngx_int_t) a->len - (ngx_int_t) b->len;
    }

    return (int) rc;
}


static ngx_int_t
ngx_http_s3_gw_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data)
{
    off_t                  length;
    u_char                *p;
    ngx_str_t              s;
    ngx_table_elt_t       *h;
    ngx_http_s3_gw_req_t  *gw;

    gw = ngx_http_s3_gw_get(r);

    if (gw == NULL) {
        v->not_found = 1;
        return NGX_OK;
    }

    switch (data) {

    case NGX_HTTP_S3_GW_VAR_UPSTREAM:
        s = gw->conf->upstream;
        break;

    case NGX_HTTP_S3_GW_VAR_URI:

        if (ngx_http_s3_gw_uri(r, gw) != NGX_OK) {
            return NGX_ERROR;
        }

        s = gw->uri;
        break;

    case NGX_HTTP_S3_GW_VAR_HOST:
        s = gw->conf->host;
        break;

    case NGX_HTTP_S3_GW_VAR_DATE:
    case NGX_HTTP_S3_GW_VAR_AUTHORIZATION:

        if (ngx_http_s3_gw_sign(r, gw) != NGX_OK) {
            return NGX_ERROR;
        }

        if (data == NGX_HTTP_S3_GW_VAR_DATE) {
            s.data = gw->date;
            s.len = NGX_HTTP_S3_SIGV4_DATE_LEN;

        } else {
            s = gw->authorization;
        }

        break;

    case NGX_HTTP_S3_GW_VAR_CONTENT_SHA256:
        s = gw->payload;
        break;

    case NGX_HTTP_S3_GW_VAR_CONTENT_LENGTH:

        /* a decoded body: its decoded length; else as the proxy does */

        if (gw->body) {
            length = ngx_http_s3_gw_body_length(gw);

        } else if (r->headers_in.chunked) {
            v->not_found = 1;
            return NGX_OK;

        } else if (r->headers_in.content_length_n >= 0) {
            length = r->headers_in.content_length_n;

        } else {
            v->not_found = 1;
            return NGX_OK;
        }

        p = ngx_pnalloc(r->pool, NGX_OFF_T_LEN);
        if (p == NULL) {
            return NGX_ERROR;
        }

        s.data = p;
        s.len = ngx_sprintf(p, "%O", length) - p;
        break;

    case NGX_HTTP_S3_GW_VAR_CONTENT_ENCODING:

        if (gw->body) {
            s = gw->content_encoding;
            break;
        }

        h = ngx_http_s3_header_in(r, "content-encoding");

        if (h == NULL) {
            v->not_found = 1;
            return NGX_OK;
        }

        s = h->value;
        break;

    case NGX_HTTP_S3_GW_VAR_CACHE:

        if (gw->cache_key.len) {
            s = gw->conf->cache;

        } else {
            ngx_str_set(&s, "off");
        }

        break;

    default: /* NGX_HTTP_S3_GW_VAR_CACHE_KEY */
        s = gw->cache_key;
        break;
    }

    if (s.len == 0) {
        v->not_found = 1;
        return NGX_OK;
    }

    v->data = s.data;
    v->len = s.len;
    v->valid = 1;
    v->no_cacheable = 1;
    v->not_found = 0;

    return NGX_OK;
}
