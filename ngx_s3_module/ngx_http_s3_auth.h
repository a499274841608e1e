
/*
 * Copyright (C) ngx_s3 authors
 */


#ifndef _NGX_HTTP_S3_AUTH_H_INCLUDED_
#define _NGX_HTTP_S3_AUTH_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_s3.h"


/* shared by the SigV4 (auth.c) and SigV2 (auth_v2.c) readers */

typedef struct {
    ngx_http_request_t        *r;
    ngx_http_s3_ctx_t         *ctx;
    ngx_http_s3_main_conf_t   *smcf;
    ngx_http_s3_sigv4_t        sig;
    ngx_str_t                  amz_date;      /* 20130524T000000Z */
    time_t                     date;
    ngx_str_t                  payload_hash;  /* as signed */
    ngx_str_t                 *secret;
    ngx_str_t                 *access_key;    /* configured copy */
    ngx_http_s3_key_info_t    *managed;       /* or a managed key */
    ngx_uint_t                 presigned;     /* unsigned */
    ngx_uint_t                 v2;            /* Signature Version 2 */
} ngx_http_s3_auth_req_t;


#define NGX_HTTP_S3_AUTH_MISMATCH                                             \
    "The request signature we calculated does not match the signature you "   \
    "provided. Check your key and signing method."

#define NGX_HTTP_S3_AUTH_NO_DATE                                              \
    "AWS authentication requires a valid Date or x-amz-date header"


ngx_http_s3_err_e ngx_http_s3_auth_v2_header(ngx_http_s3_auth_req_t *ar,
    ngx_str_t *value);
ngx_http_s3_err_e ngx_http_s3_auth_v2_query(ngx_http_s3_auth_req_t *ar);
void ngx_http_s3_auth_done(ngx_http_s3_auth_req_t *ar);
ngx_http_s3_err_e ngx_http_s3_auth_key(ngx_http_s3_auth_req_t *ar);
ngx_http_s3_err_e ngx_http_s3_auth_skewed(ngx_http_s3_auth_req_t *ar,
    ngx_str_t *request_time);
ngx_http_s3_err_e ngx_http_s3_auth_fail(ngx_http_s3_auth_req_t *ar,
    ngx_http_s3_err_e err, const char *message);
ngx_http_s3_err_extra_t *ngx_http_s3_auth_extra(ngx_http_s3_auth_req_t *ar,
    ngx_uint_t n);
ngx_int_t ngx_http_s3_auth_time(ngx_http_s3_auth_req_t *ar, time_t t,
    ngx_str_t *out);


#endif /* _NGX_HTTP_S3_AUTH_H_INCLUDED_ */
