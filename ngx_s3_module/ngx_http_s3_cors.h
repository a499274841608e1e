
/*
 * Copyright (C) ngx_s3 authors
 */


#ifndef _NGX_HTTP_S3_CORS_H_INCLUDED_
#define _NGX_HTTP_S3_CORS_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>

#include "ngx_http_s3_xml.h"


/*
 * CORS rules of a bucket (S3's CORSConfiguration): pure, no request in
 * any signature.  A configuration is checked and compiled once (when it
 * is put, when a worker caches it, for s3_cors_default at start) and
 * matched per request without allocating.
 */


#define NGX_HTTP_S3_CORS_MAX_RULES     100

#define NGX_HTTP_S3_CORS_GET           0x01
#define NGX_HTTP_S3_CORS_PUT           0x02
#define NGX_HTTP_S3_CORS_POST          0x04
#define NGX_HTTP_S3_CORS_DELETE        0x08
#define NGX_HTTP_S3_CORS_HEAD          0x10


/* an origin or a header: text, or prefix '*' suffix (one wildcard) */

typedef struct {
    ngx_str_t                  text;        /* as configured */
    size_t                     star;        /* offset of '*', or text.len
                                               if there is none */
} ngx_http_s3_cors_pattern_t;


typedef struct {
    ngx_str_t                  id;
    ngx_uint_t                 methods;     /* NGX_HTTP_S3_CORS_* */
    ngx_http_s3_cors_pattern_t *origins;
    ngx_uint_t                 norigins;
    ngx_http_s3_cors_pattern_t *headers;    /* lowercase */
    ngx_uint_t                 nheaders;
    ngx_str_t                 *expose;
    ngx_uint_t                 nexpose;
    ngx_int_t                  max_age;     /* -1: none */
    ngx_uint_t                 any_origin;  /* an AllowedOrigin is "*" */
    ngx_str_t                  allow_methods;  /* "GET, PUT" */
    ngx_str_t                  expose_list;    /* "ETag, x-amz-meta-a" */
} ngx_http_s3_cors_rule_t;


typedef struct {
    ngx_http_s3_cors_rule_t   *rules;
    ngx_uint_t                 nrules;
} ngx_http_s3_cors_t;


/*
 * The rules of <CORSConfiguration>, checked as S3 checks them: NULL with
 * *err set (MalformedXML: 0; InvalidRequest: 1) and *message (a static
 * text, or one in the pool naming what is wrong); NULL with *message
 * NULL: no memory
 */
#define NGX_HTTP_S3_CORS_MALFORMED     0
#define NGX_HTTP_S3_CORS_INVALID       1

ngx_http_s3_cors_t *ngx_http_s3_cors_parse(ngx_pool_t *pool, u_char *xml,
    size_t len, ngx_uint_t *err, const char **message);

/* the configuration as S3 answers GetBucketCors (and as it is stored) */
void ngx_http_s3_cors_xml(ngx_http_s3_xml_t *w, ngx_http_s3_cors_t *cors);

/* a method name: NGX_HTTP_S3_CORS_*, or 0 */
ngx_uint_t ngx_http_s3_cors_method(u_char *name, size_t len);

/* 1 if the pattern matches s (headers: s lowercase), else 0 */
ngx_uint_t ngx_http_s3_cors_pattern_match(ngx_http_s3_cors_pattern_t *pt,
    u_char *s, size_t len);

/*
 * The first rule that allows origin, method (NGX_HTTP_S3_CORS_*) and,
 * for a preflight, each header of the comma-separated list headers
 * (NULL or empty: none): the rule, or NULL
 */
ngx_http_s3_cors_rule_t *ngx_http_s3_cors_match(ngx_http_s3_cors_t *cors,
    ngx_str_t *origin, ngx_uint_t method, ngx_str_t *headers);


#endif /* _NGX_HTTP_S3_CORS_H_INCLUDED_ */
