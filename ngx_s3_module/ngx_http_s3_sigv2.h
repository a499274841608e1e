
/*
 * Copyright (C) ngx_s3 authors
 */


#ifndef _NGX_HTTP_S3_SIGV2_H_INCLUDED_
#define _NGX_HTTP_S3_SIGV2_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>


/*
 * AWS Signature Version 2 for S3 ("Signing and authenticating REST
 * requests"): pure functions, no request in any signature.
 *
 *   StringToSign = Method "\n" Content-MD5 "\n" Content-Type "\n"
 *                  Date "\n" CanonicalizedAmzHeaders CanonicalizedResource
 *   Signature    = base64(HMAC-SHA1(secret, StringToSign))
 *
 * All memory comes from the pool passed in; strings are not NUL-terminated.
 */


#define NGX_HTTP_S3_SIGV2_B64_LEN      28   /* base64 of an HMAC-SHA1 */


/* "Authorization: AWS AK:sig", or AWSAccessKeyId, Signature, Expires */

typedef struct {
    ngx_str_t                  access_key;
    ngx_str_t                  signature;       /* base64, as sent */
    ngx_str_t                  expires;         /* query form: as sent */
} ngx_http_s3_sigv2_t;


/* the request, as the string to sign sees it */

typedef struct {
    ngx_str_t                  method;          /* GET */
    ngx_str_t                  content_md5;     /* empty if none */
    ngx_str_t                  content_type;    /* empty if none */

    /*
     * the Date line: the Date header; empty if x-amz-date is sent (it is
     * signed among the x-amz-* headers); Expires for the query form
     */
    ngx_str_t                  date;

    ngx_array_t               *headers;         /* ngx_keyval_t, any case:
                                                   x-amz-* ones are used */
    ngx_str_t                  bucket;          /* virtual-hosted style:
                                                   the bucket of the Host */
    ngx_str_t                  path;            /* raw, as sent */
    ngx_str_t                  args;            /* raw, without the '?' */
} ngx_http_s3_sigv2_req_t;


/*
 * Authorization header value: NGX_OK; NGX_DECLINED if the scheme is not
 * "AWS" (nothing set); NGX_ERROR if it is "AWS" but not "AK:signature"
 */
ngx_int_t ngx_http_s3_sigv2_parse_header(ngx_str_t *value,
    ngx_http_s3_sigv2_t *sig);

/*
 * Query authentication from the raw query string (values percent-decoded
 * into the pool): NGX_OK (all three present and not empty); NGX_DECLINED
 * if neither AWSAccessKeyId nor Signature is there; NGX_ERROR with *err
 * set if some are missing or badly escaped, with *err NULL if out of
 * memory
 */
ngx_int_t ngx_http_s3_sigv2_parse_query(ngx_pool_t *pool, ngx_str_t *args,
    ngx_http_s3_sigv2_t *sig, const char **err);

/* 1 if the query argument is a sub-resource the signature covers */
ngx_uint_t ngx_http_s3_sigv2_is_subresource(u_char *name, size_t len);

/*
 * ["/" bucket] path ["?" sub-resources sorted by name, values decoded]:
 * NGX_OK or NGX_ERROR (allocation)
 */
ngx_int_t ngx_http_s3_sigv2_canonical_resource(ngx_pool_t *pool,
    ngx_str_t *bucket, ngx_str_t *path, ngx_str_t *args, ngx_str_t *out);

/*
 * "name:value\n" of each x-amz-* header: names lowercase and sorted,
 * values trimmed, several headers of one name joined with ','.
 * NGX_OK or NGX_ERROR (allocation)
 */
ngx_int_t ngx_http_s3_sigv2_canonical_amz_headers(ngx_pool_t *pool,
    ngx_array_t *headers, ngx_str_t *out);

/* the whole string to sign: NGX_OK or NGX_ERROR (allocation) */
ngx_int_t ngx_http_s3_sigv2_string_to_sign(ngx_pool_t *pool,
    ngx_http_s3_sigv2_req_t *req, ngx_str_t *out);

/* base64(HMAC-SHA1(secret, sts)) into 28 bytes: NGX_OK or NGX_ERROR */
ngx_int_t ngx_http_s3_sigv2_sign(ngx_str_t *secret, ngx_str_t *sts,
    u_char *b64);

/*
 * the signature of sts compared in constant time with the one sent:
 * NGX_OK if they match, NGX_DECLINED if not, NGX_ERROR (crypto failure)
 */
ngx_int_t ngx_http_s3_sigv2_verify(ngx_str_t *secret, ngx_str_t *sts,
    ngx_str_t *signature);


#endif /* _NGX_HTTP_S3_SIGV2_H_INCLUDED_ */
