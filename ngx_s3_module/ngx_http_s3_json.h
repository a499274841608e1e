
/*
 * Copyright (C) ngx_s3 authors
 */


#ifndef _NGX_HTTP_S3_JSON_H_INCLUDED_
#define _NGX_HTTP_S3_JSON_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>


/*
 * A small JSON parser (RFC 8259) for bucket policies: the document becomes
 * a tree of nodes in a pool.  Pure: unit tests and a fuzzer call it.
 * Strings are decoded (escapes, \u surrogate pairs) and must be UTF-8;
 * numbers are kept as text; nesting deeper than 32 is refused.
 */


#define NGX_HTTP_S3_JSON_NULL      0
#define NGX_HTTP_S3_JSON_FALSE     1
#define NGX_HTTP_S3_JSON_TRUE      2
#define NGX_HTTP_S3_JSON_NUMBER    3
#define NGX_HTTP_S3_JSON_STRING    4
#define NGX_HTTP_S3_JSON_ARRAY     5
#define NGX_HTTP_S3_JSON_OBJECT    6

#define NGX_HTTP_S3_JSON_MAX_DEPTH 32


typedef struct ngx_http_s3_json_s  ngx_http_s3_json_t;

struct ngx_http_s3_json_s {
    ngx_uint_t                 type;
    ngx_str_t                  name;      /* a member's name */
    ngx_str_t                  str;       /* STRING decoded, NUMBER text */
    ngx_http_s3_json_t        *child;     /* ARRAY, OBJECT: the first */
    ngx_http_s3_json_t        *next;      /* the next sibling */
    ngx_uint_t                 n;         /* ARRAY, OBJECT: children */
};


/*
 * The whole input must be one value (whitespace around it): the root, or
 * NULL with *err set (a static message) and *pos the offset of the error
 */
ngx_http_s3_json_t *ngx_http_s3_json_parse(ngx_pool_t *pool, u_char *p,
    size_t len, const char **err, size_t *pos);

/* the member of an object by name (exact), or NULL */
ngx_http_s3_json_t *ngx_http_s3_json_member(ngx_http_s3_json_t *object,
    const char *name);


#endif /* _NGX_HTTP_S3_JSON_H_INCLUDED_ */
