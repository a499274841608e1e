
/*
 * Copyright (C) ngx_s3 authors
 */


#ifndef _NGX_HTTP_S3_SIGV4_H_INCLUDED_
#define _NGX_HTTP_S3_SIGV4_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>


/*
 * AWS Signature Version 4: pure functions (owned by the auth work).
 * No request in any signature: unit tests and fuzzers call them directly.
 * All memory comes from the pool passed in; strings are not NUL-terminated.
 */


#define NGX_HTTP_S3_SIGV4_ALGORITHM    "AWS4-HMAC-SHA256"
#define NGX_HTTP_S3_SIGV4_TERMINATOR   "aws4_request"
#define NGX_HTTP_S3_SIGV4_UNSIGNED     "UNSIGNED-PAYLOAD"

#define NGX_HTTP_S3_SIGV4_HEX_LEN      64   /* hex of a SHA-256 / HMAC */
#define NGX_HTTP_S3_SIGV4_KEY_LEN      32   /* signing key, raw */
#define NGX_HTTP_S3_SIGV4_DATE_LEN     16   /* 20130524T000000Z */
#define NGX_HTTP_S3_SIGV4_MAX_EXPIRES  604800


/*
 * What an Authorization header or the presigned query parameters carry.
 * All strings point into the parsed input, except for presigned values
 * that had to be percent-decoded (those are copied to the pool).
 */

typedef struct {
    ngx_str_t                  access_key;
    ngx_str_t                  date;            /* YYYYMMDD of the scope */
    ngx_str_t                  region;
    ngx_str_t                  service;
    ngx_str_t                  terminator;      /* aws4_request */
    ngx_str_t                  scope;           /* date/region/service/term */
    ngx_str_t                  signed_headers;  /* host;x-amz-date */
    ngx_str_t                  signature;       /* 64 hex */

    /* presigned only (query parameters) */
    ngx_str_t                  algorithm;       /* X-Amz-Algorithm */
    ngx_str_t                  amz_date;        /* X-Amz-Date */
    ngx_str_t                  expires;         /* X-Amz-Expires, digits */
    ngx_str_t                  content_sha256;  /* X-Amz-Content-Sha256 */
} ngx_http_s3_sigv4_t;


/* the request, as the canonical request sees it */

typedef struct {
    ngx_str_t                  method;          /* GET */
    ngx_str_t                  path;            /* raw, percent-encoded */
    ngx_str_t                  args;            /* raw, without the '?' */
    ngx_array_t               *headers;         /* ngx_keyval_t, any case */
    ngx_str_t                  signed_headers;  /* host;range;x-amz-date */
    ngx_str_t                  payload_hash;    /* hex or UNSIGNED-PAYLOAD */

    /* skip X-Amz-Signature in the query: presigned */
    unsigned                   presigned:1;

    /*
     * path and query exactly as sent (only sorted and '=' completed)
     * instead of decoded and re-encoded: a second chance for clients
     * that sign their own raw encoding
     */
    unsigned                   raw:1;
} ngx_http_s3_sigv4_req_t;


/*
 * Authorization header value: NGX_OK; NGX_DECLINED if the scheme is not
 * AWS4-HMAC-SHA256 (nothing set); NGX_ERROR if malformed, with *err set
 * to an S3 style message (AuthorizationHeaderMalformed).
 */
ngx_int_t ngx_http_s3_sigv4_parse_header(ngx_str_t *value,
    ngx_http_s3_sigv4_t *sig, const char **err);

/*
 * Presigned query parameters from the raw query string: NGX_OK (all six
 * present); NGX_DECLINED if X-Amz-Algorithm is absent; NGX_ERROR with *err
 * (AuthorizationQueryParametersError) otherwise.  The algorithm, the date
 * and the expiry are only extracted here: the caller checks them.
 */
ngx_int_t ngx_http_s3_sigv4_parse_query(ngx_pool_t *pool, ngx_str_t *args,
    ngx_http_s3_sigv4_t *sig, const char **err);

/* "AK/20130524/us-east-1/s3/aws4_request": NGX_OK or NGX_ERROR */
ngx_int_t ngx_http_s3_sigv4_parse_credential(ngx_str_t *cred,
    ngx_http_s3_sigv4_t *sig);

/* 1 if the lowercase header name is in the ';'-separated list, else 0 */
ngx_uint_t ngx_http_s3_sigv4_is_signed(ngx_str_t *signed_headers,
    u_char *name, size_t len);

/* the canonical request: NGX_OK or NGX_ERROR (allocation) */
ngx_int_t ngx_http_s3_sigv4_canonical_request(ngx_pool_t *pool,
    ngx_http_s3_sigv4_req_t *req, ngx_str_t *out);

/* the canonical URI and query alone (used by the canonical request) */
ngx_int_t ngx_http_s3_sigv4_canonical_uri(ngx_pool_t *pool, ngx_str_t *path,
    ngx_uint_t raw, ngx_str_t *out);
ngx_int_t ngx_http_s3_sigv4_canonical_query(ngx_pool_t *pool,
    ngx_str_t *args, ngx_uint_t presigned, ngx_uint_t raw, ngx_str_t *out);

/*
 * "AWS4-HMAC-SHA256\n" amz_date "\n" scope "\n" hex(sha256(canonical)):
 * NGX_OK or NGX_ERROR
 */
ngx_int_t ngx_http_s3_sigv4_string_to_sign(ngx_pool_t *pool,
    ngx_str_t *amz_date, ngx_str_t *scope, ngx_str_t *canonical,
    ngx_str_t *out);

/* HMAC chain "AWS4"+secret, date, region, service, aws4_request */
ngx_int_t ngx_http_s3_sigv4_signing_key(ngx_str_t *secret, ngx_str_t *date,
    ngx_str_t *region, ngx_str_t *service, u_char *key);

/* hex(HMAC-SHA256(key, string to sign)) into 64 bytes */
ngx_int_t ngx_http_s3_sigv4_sign(u_char *key, ngx_str_t *string_to_sign,
    u_char *hex);

/*
 * The whole computation: canonical request, string to sign, signing key,
 * signature.  hex gets 64 lowercase hex digits.  NGX_OK or NGX_ERROR.
 */
ngx_int_t ngx_http_s3_sigv4_signature(ngx_pool_t *pool,
    ngx_http_s3_sigv4_req_t *req, ngx_http_s3_sigv4_t *sig,
    ngx_str_t *amz_date, ngx_str_t *secret, u_char *hex);

/* constant time: 1 if the two strings are equal, else 0 */
ngx_uint_t ngx_http_s3_sigv4_equal(u_char *a, size_t alen, u_char *b,
    size_t blen);

/* SHA-256 of data as 64 lowercase hex digits: NGX_OK or NGX_ERROR */
ngx_int_t ngx_http_s3_sigv4_sha256_hex(u_char *data, size_t len,
    u_char *hex);

/* hex digits (either case) to bytes; len even: NGX_OK or NGX_ERROR */
ngx_int_t ngx_http_s3_sigv4_hex_decode(u_char *dst, u_char *src, size_t len);

/* "20130524T000000Z" to time_t (UTC); -1 if not that format */
time_t ngx_http_s3_sigv4_parse_date(u_char *p, size_t len);

/* time_t to "20130524T000000Z": writes 16 bytes, returns the end */
u_char *ngx_http_s3_sigv4_format_date(u_char *buf, time_t t);


#endif /* _NGX_HTTP_S3_SIGV4_H_INCLUDED_ */
