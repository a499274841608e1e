
/*
 * Copyright (C) ngx_s3 authors
 */


#ifndef _NGX_HTTP_S3_FORM_H_INCLUDED_
#define _NGX_HTTP_S3_FORM_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>


/*
 * Browser uploads (POST Object): the multipart/form-data parser and the
 * POST policy.  Pure: no request in any signature; unit tests and a
 * fuzzer call them directly.
 */


/*
 * A streaming multipart/form-data parser (RFC 7578): fed the body in
 * pieces of any size, it calls part_start with each part's field name,
 * file name and content type, part_data with the part's bytes as they
 * come (never copied: pointers into the input, or into the delimiter
 * when a piece ended inside what turned out to be data) and part_end.
 * Memory: the parser itself and one part's header block.
 */

#define NGX_HTTP_S3_FORM_MAX_BOUNDARY  70
#define NGX_HTTP_S3_FORM_MAX_HEADER    4096

typedef struct ngx_http_s3_form_s  ngx_http_s3_form_t;

/* each: NGX_OK, or NGX_ERROR to stop (ngx_http_s3_form_feed() returns it) */
typedef ngx_int_t (*ngx_http_s3_form_start_pt)(ngx_http_s3_form_t *f);
typedef ngx_int_t (*ngx_http_s3_form_data_pt)(ngx_http_s3_form_t *f,
    u_char *p, size_t len);
typedef ngx_int_t (*ngx_http_s3_form_end_pt)(ngx_http_s3_form_t *f);

struct ngx_http_s3_form_s {
    ngx_http_s3_form_start_pt  part_start;
    ngx_http_s3_form_data_pt   part_data;
    ngx_http_s3_form_end_pt    part_end;
    void                      *data;

    /* of the current part, for part_start (in the parser's header) */
    ngx_str_t                  name;
    ngx_str_t                  filename;
    ngx_uint_t                 has_filename;
    ngx_str_t                  content_type;

    /* "\r\n--" boundary */
    u_char                     delim[4 + NGX_HTTP_S3_FORM_MAX_BOUNDARY];
    size_t                     dlen;
    size_t                     matched;

    ngx_uint_t                 state;
    ngx_uint_t                 parts;

    u_char                     header[NGX_HTTP_S3_FORM_MAX_HEADER];
    size_t                     hlen;
};

/*
 * The boundary parameter of a Content-Type "multipart/form-data; ...":
 * NGX_OK; NGX_DECLINED if the type is not multipart/form-data;
 * NGX_ERROR if it is, without a valid boundary
 */
ngx_int_t ngx_http_s3_form_boundary(ngx_str_t *content_type,
    ngx_str_t *boundary);

void ngx_http_s3_form_init(ngx_http_s3_form_t *f, ngx_str_t *boundary);

/*
 * NGX_OK; NGX_DECLINED: not well-formed multipart/form-data; NGX_ERROR:
 * a callback said so.  After the closing delimiter the rest is ignored.
 */
ngx_int_t ngx_http_s3_form_feed(ngx_http_s3_form_t *f, u_char *p,
    size_t len);

/* the body ended: NGX_OK after the closing delimiter, else NGX_DECLINED */
ngx_int_t ngx_http_s3_form_eof(ngx_http_s3_form_t *f);


/*
 * The POST policy: base64 of a JSON document with "expiration" and
 * "conditions" (exact matches {"field": "value"}, ["eq", "$field", v],
 * ["starts-with", "$field", prefix], ["content-length-range", min, max]).
 */

#define NGX_HTTP_S3_POST_EQ            0
#define NGX_HTTP_S3_POST_STARTS        1
#define NGX_HTTP_S3_POST_RANGE         2

typedef struct {
    ngx_uint_t                 type;
    ngx_str_t                  field;       /* lowercase, without '$' */
    ngx_str_t                  value;
    ngx_str_t                  text;        /* as S3 names it in a
                                               message */
} ngx_http_s3_post_cond_t;

typedef struct {
    time_t                     expiration;
    ngx_array_t               *conds;       /* ngx_http_s3_post_cond_t */
    off_t                      min;         /* content-length-range */
    off_t                      max;         /* -1: none */
} ngx_http_s3_post_policy_t;

/*
 * The policy from its base64 form: the policy, or NULL with *message set
 * (InvalidPolicyDocument's message; NULL: no memory)
 */
ngx_http_s3_post_policy_t *ngx_http_s3_post_policy_parse(ngx_pool_t *pool,
    ngx_str_t *b64, const char **message);

/*
 * The form's fields (ngx_keyval_t, names lowercase; "bucket" among them)
 * against the policy at time now: NGX_OK, or NGX_DECLINED with *message
 * (AccessDenied's: "Invalid according to Policy: ..."); NGX_ERROR: no
 * memory
 */
ngx_int_t ngx_http_s3_post_policy_check(ngx_pool_t *pool,
    ngx_http_s3_post_policy_t *policy, ngx_array_t *fields, time_t now,
    const char **message);

/* 1 if the form field needs no condition (policy, x-amz-signature, ...) */
ngx_uint_t ngx_http_s3_post_exempt(ngx_str_t *name);

/* "2007-12-01T12:00:00.000Z" (milliseconds optional): time, or -1 */
time_t ngx_http_s3_post_parse_time(u_char *p, size_t len);


#endif /* _NGX_HTTP_S3_FORM_H_INCLUDED_ */
