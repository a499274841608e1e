
/*
 * Copyright (C) ngx_s3 authors
 */


#ifndef _NGX_HTTP_S3_TAGS_H_INCLUDED_
#define _NGX_HTTP_S3_TAGS_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>

#include "ngx_http_s3_wire.h"


/*
 * Tag sets of buckets and objects: the rules S3 has for them, and the
 * URL-encoded form of x-amz-tagging.  Pure code (unit tests, fuzzer).
 * A tag set is an array of ngx_http_s3_pair_t (name: the key).
 */

#define NGX_HTTP_S3_TAGS_OBJECT_MAX    10
#define NGX_HTTP_S3_TAGS_BUCKET_MAX    50
#define NGX_HTTP_S3_TAG_KEY_MAX        128     /* characters */
#define NGX_HTTP_S3_TAG_VALUE_MAX      256


/*
 * S3's rules: at most max tags; keys of 1-128 and values of 0-256
 * characters of valid UTF-8; unique keys; no key starting with "aws:".
 * NGX_OK, or NGX_DECLINED (InvalidTag) with *message (if message).
 */
ngx_int_t ngx_http_s3_tags_check(ngx_array_t *tags, ngx_uint_t max,
    const char **message);

/*
 * x-amz-tagging: "k1=v1&k2=v2", each part form-encoded ('+' a space, %XX
 * a byte), "k" alone an empty value; the tag set (copied into pool) is
 * checked by ngx_http_s3_tags_check() for an object.  NGX_OK;
 * NGX_DECLINED: InvalidTag, NGX_ABORT: InvalidArgument (bad encoding,
 * a key twice), both with *message; NGX_ERROR: no memory.
 */
ngx_int_t ngx_http_s3_tags_parse_header(ngx_pool_t *pool, ngx_str_t *in,
    ngx_array_t **tags, const char **message);

/*
 * the tag set of an object record: its tags field, else (records of
 * older versions) its x-amz-tagging as sent, decoded leniently (a part
 * that does not decode is left out, and counted in *skipped if given).
 * *tags may be empty; NGX_OK or NGX_ERROR (no memory)
 */
ngx_int_t ngx_http_s3_tags_of_object(ngx_pool_t *pool,
    ngx_http_s3_object_t *o, ngx_array_t **tags, ngx_uint_t *skipped);


#endif /* _NGX_HTTP_S3_TAGS_H_INCLUDED_ */
