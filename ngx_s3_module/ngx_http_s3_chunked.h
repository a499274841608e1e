
/*
 * Copyright (C) ngx_s3 authors
 */


#ifndef _NGX_HTTP_S3_CHUNKED_H_INCLUDED_
#define _NGX_HTTP_S3_CHUNKED_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>

#include <openssl/sha.h>

#include "ngx_http_s3_sigv4.h"


/*
 * The aws-chunked body encoding (Content-Encoding: aws-chunked) of the
 * STREAMING-* payloads: an incremental decoder fed arbitrary slices of the
 * body.  Pure: no request, unit tests and fuzzers call it directly.
 *
 *   STREAMING-AWS4-HMAC-SHA256-PAYLOAD
 *       <hex size>;chunk-signature=<sig>\r\n <data>\r\n ... 0;chunk-...\r\n
 *       \r\n
 *   STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER
 *       the same, then trailer lines and x-amz-trailer-signature:<sig>\r\n,
 *       then \r\n
 *   STREAMING-UNSIGNED-PAYLOAD-TRAILER
 *       <hex size>\r\n <data>\r\n ... 0\r\n, trailer lines, \r\n
 *
 * Each chunk signature is HMAC-SHA256(signing key, "AWS4-HMAC-SHA256-PAYLOAD"
 * \n date \n scope \n previous signature \n sha256("") \n sha256(data)),
 * chained from the seed signature (the request's own); the trailer one is
 * "AWS4-HMAC-SHA256-TRAILER" \n date \n scope \n last chunk signature \n
 * sha256 of the trailer lines "name:value\n".
 *
 * Data is handed out before its chunk's signature can be checked (the
 * check needs the whole chunk): only NGX_DONE makes the body trustworthy.
 */


#define NGX_HTTP_S3_CHUNKED_SIGNED           0
#define NGX_HTTP_S3_CHUNKED_SIGNED_TRAILER   1
#define NGX_HTTP_S3_CHUNKED_UNSIGNED_TRAILER 2

#define NGX_HTTP_S3_CHUNKED_MAX_LINE         256   /* a size or trailer line */
#define NGX_HTTP_S3_CHUNKED_MAX_TRAILERS     4096  /* all trailer lines */


typedef enum {
    NGX_HTTP_S3_CHUNKED_OK = 0,
    NGX_HTTP_S3_CHUNKED_ERR_FORMAT,      /* bad framing: IncompleteBody or
                                            InvalidRequest */
    NGX_HTTP_S3_CHUNKED_ERR_TOO_LARGE,   /* a line, the trailers or the data
                                            over their caps */
    NGX_HTTP_S3_CHUNKED_ERR_SIGNATURE,   /* SignatureDoesNotMatch */
    NGX_HTTP_S3_CHUNKED_ERR_MEMORY       /* InternalError */
} ngx_http_s3_chunked_err_e;


typedef struct {
    /* results */
    off_t                       decoded;       /* data bytes handed out */
    ngx_array_t                *trailers;      /* ngx_keyval_t, lowercase
                                                  names; set at NGX_DONE */
    ngx_http_s3_chunked_err_e   err;           /* set at NGX_ERROR */

    /* limits: may be changed after init */
    off_t                       max_decoded;   /* 0: no limit */
    size_t                      max_trailers;

    /* private */
    ngx_pool_t                 *pool;
    ngx_uint_t                  mode;
    ngx_uint_t                  state;
    off_t                       size;          /* left in this chunk */
    size_t                      line_len;
    size_t                      trailers_len;
    ngx_uint_t                  trailer_sig;   /* signature line seen */
    SHA256_CTX                  sha;
    ngx_str_t                   sts;           /* string to sign buffer */
    size_t                      sts_prefix;    /* its constant part */
    u_char                      key[NGX_HTTP_S3_SIGV4_KEY_LEN];
    u_char                      prev[NGX_HTTP_S3_SIGV4_HEX_LEN];
    u_char                      sig[NGX_HTTP_S3_SIGV4_HEX_LEN];
    u_char                      line[NGX_HTTP_S3_CHUNKED_MAX_LINE];
} ngx_http_s3_chunked_t;


/*
 * the x-amz-content-sha256 value: NGX_HTTP_S3_CHUNKED_* or NGX_DECLINED
 * (not an aws-chunked payload this decoder knows)
 */
ngx_int_t ngx_http_s3_chunked_mode(ngx_str_t *content_sha256);

/*
 * mode NGX_HTTP_S3_CHUNKED_*; for the signed modes the signing key
 * (32 bytes), the request's date (20130524T000000Z), scope
 * (20130524/us-east-1/s3/aws4_request) and signature (the seed, 64 hex);
 * for the unsigned mode they may be NULL.  NGX_OK or NGX_ERROR.
 */
ngx_int_t ngx_http_s3_chunked_init(ngx_http_s3_chunked_t *ch,
    ngx_pool_t *pool, ngx_uint_t mode, u_char *key, ngx_str_t *amz_date,
    ngx_str_t *scope, ngx_str_t *seed);

/*
 * Decodes from *pos up to last, advancing *pos:
 *   NGX_OK     data in *out (pointing into the input); call again
 *   NGX_AGAIN  the input is used up: feed more
 *   NGX_DONE   the body and its trailers are complete and verified; *pos
 *              is just after them (anything left is not part of the body)
 *   NGX_ERROR  ch->err says why; the decoder stays in error
 */
ngx_int_t ngx_http_s3_chunked_feed(ngx_http_s3_chunked_t *ch, u_char **pos,
    u_char *last, ngx_str_t *out);

/*
 * The request body has ended: NGX_DONE if the body is complete (also when
 * only the final empty line after the last chunk or the trailers is
 * missing), NGX_ERROR otherwise (ch->err: FORMAT, that is IncompleteBody).
 */
ngx_int_t ngx_http_s3_chunked_eof(ngx_http_s3_chunked_t *ch);


#endif /* _NGX_HTTP_S3_CHUNKED_H_INCLUDED_ */
