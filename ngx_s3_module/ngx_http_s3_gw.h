
/*
 * Copyright (C) ngx_s3 authors
 */


#ifndef _NGX_HTTP_S3_GW_H_INCLUDED_
#define _NGX_HTTP_S3_GW_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>


/*
 * Gateway mode (docs/gateway.md): buckets backed by an upstream S3
 * service.  The s3 handler authenticates and authorizes the client as for
 * a local bucket, then hands the request to nginx's proxy in a named
 * location of conf/s3_gateway.conf (@s3_gw, or @s3_gw_read for what may
 * be cached); the $s3_gw_* variables give the proxy the upstream's URI
 * and a fresh SigV4 signature with the gateway's own credentials.
 *
 *   ngx_http_s3_gw.c        configuration, the hand-over, the variables
 *   ngx_http_s3_gw_body.c   aws-chunked bodies decoded on the way up
 *   ngx_http_s3_gw_cache.c  the cache key's write generations
 */


#define NGX_HTTP_S3_GW_SLOTS           65536


typedef struct {
    ngx_str_t                  upstream;     /* s3_gateway: an upstream{} */
    ngx_str_t                  host;         /* s3_gateway_host */
    ngx_str_t                  access_key;   /* s3_gateway_credentials */
    ngx_str_t                  secret_key;
    ngx_str_t                  region;       /* default: s3_region */
    ngx_array_t               *buckets;      /* ngx_str_t; NULL: all */
    ngx_str_t                  cache;        /* a proxy_cache zone, or "" */
    time_t                     cache_valid;
    ngx_shm_zone_t            *gen_zone;     /* ngx_http_s3_gw_gens_t */
} ngx_http_s3_gw_conf_t;


/* the write generations, in shared memory (ngx_http_s3_gw_cache.c) */

typedef struct {
    ngx_atomic_t               epoch;        /* when the zone was made */
    ngx_atomic_t               gen[NGX_HTTP_S3_GW_SLOTS];
} ngx_http_s3_gw_gens_t;


/* a buffer of nginx's, busy until the last piece cut from it is sent */

typedef struct ngx_http_s3_gw_busy_s  ngx_http_s3_gw_busy_t;

struct ngx_http_s3_gw_busy_s {
    ngx_buf_t                 *in;
    ngx_buf_t                 *piece;
    ngx_http_s3_gw_busy_t     *next;
};


/* one request on its way upstream */

typedef struct {
    ngx_http_s3_gw_conf_t     *conf;
    ngx_str_t                  bucket;
    ngx_str_t                  key;

    ngx_str_t                  uri;          /* path?query, as signed */
    ngx_str_t                  path;
    ngx_str_t                  query;        /* canonical */
    ngx_str_t                  payload;      /* x-amz-content-sha256 */
    ngx_str_t                  cache_key;    /* empty: not cached */

    /* the last signature: one per upstream request and second */
    time_t                     signed_at;
    ngx_str_t                  signed_method;
    u_char                     date[16];
    ngx_str_t                  authorization;

    /* aws-chunked: decoded on the way (ngx_http_s3_gw_body.c) */
    void                      *body;         /* ngx_http_s3_body_t */
    ngx_chain_t               *free;         /* the pieces' buffers */
    ngx_chain_t               *busy;
    ngx_http_s3_gw_busy_t     *pieces;
    ngx_http_s3_gw_busy_t     *busy_free;
    ngx_buf_t                 *held;         /* the last byte */
    ngx_str_t                  content_encoding;

    /* the body refused: the error the s3 location answers */
    ngx_uint_t                 err;          /* ngx_http_s3_err_e */
    const char                *message;

    unsigned                   write:1;      /* bumps generations */
    unsigned                   bumped:1;
} ngx_http_s3_gw_req_t;


/* the $s3_gw_* variables, added with the $s3_* ones */
extern ngx_http_variable_t  ngx_http_s3_gw_vars[];

ngx_int_t ngx_http_s3_gw_init(ngx_conf_t *cf);
char *ngx_http_s3_gw_init_conf(ngx_conf_t *cf, ngx_http_s3_gw_conf_t *gw,
    ngx_str_t *region);
char *ngx_http_s3_gw_directive(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);

/*
 * 1 if the request goes upstream: its bucket (none: ListBuckets) is the
 * upstream's, and it is not about the bucket's permissions (policy, ACL:
 * ngx_s3's own, on the local record)
 */
ngx_uint_t ngx_http_s3_gw_bucket(ngx_http_request_t *r);

/* CreateBucket by a root key: the local record, then upstream */
ngx_int_t ngx_http_s3_gw_create_bucket(ngx_http_request_t *r);

/* after authentication and permissions: hands the request upstream */
ngx_int_t ngx_http_s3_gw_handler(ngx_http_request_t *r);

/* the request's (its main request's), or NULL */
ngx_http_s3_gw_req_t *ngx_http_s3_gw_get(ngx_http_request_t *r);

/* the s3 context a jump to a named location cleared, or NULL */
void *ngx_http_s3_gw_stashed(ngx_http_request_t *r);

/* ngx_http_s3_gw_body.c */
ngx_int_t ngx_http_s3_gw_body_init(ngx_http_request_t *r,
    ngx_http_s3_gw_req_t *gw);
ngx_int_t ngx_http_s3_gw_body_filter_init(ngx_conf_t *cf);
off_t ngx_http_s3_gw_body_length(ngx_http_s3_gw_req_t *gw);

/* ngx_http_s3_gw_cache.c */
ngx_int_t ngx_http_s3_gw_cache_key(ngx_http_request_t *r,
    ngx_http_s3_gw_req_t *gw);
void ngx_http_s3_gw_cache_bump(ngx_http_s3_gw_req_t *gw);
ngx_int_t ngx_http_s3_gw_cache_filter_init(ngx_conf_t *cf);


#endif /* _NGX_HTTP_S3_GW_H_INCLUDED_ */
