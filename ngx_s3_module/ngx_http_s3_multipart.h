
/*
 * Copyright (C) ngx_s3 authors
 */


#ifndef _NGX_HTTP_S3_MULTIPART_H_INCLUDED_
#define _NGX_HTTP_S3_MULTIPART_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_s3.h"
#include "ngx_http_s3_ops.h"


/* the worker side of multipart uploads: multipart.c, multipart_list.c */


#define NGX_HTTP_S3_MAX_PARTS          10000
#define NGX_HTTP_S3_MIN_PART_SIZE      (5 * 1024 * 1024)


typedef struct {
    ngx_uint_t                 number;
    ngx_str_t                  etag;
    ngx_uint_t                 alg;
    u_char                     digest[NGX_HTTP_S3_CHECKSUM_MAX_SIZE];
} ngx_http_s3_mpu_part_t;


typedef struct {
    ngx_http_s3_body_t         body;
    ngx_http_request_t        *request;
    ngx_str_t                  upload_id;

    /* CreateMultipartUpload: the upload record; UploadPart: the part */
    ngx_http_s3_object_t       object;

    /* UploadPart */
    ngx_http_s3_store_file_t   file;
    ngx_uint_t                 part;
    u_char                     etag[32];

    /* CompleteMultipartUpload */
    ngx_http_s3_write_cond_t   cond;
    ngx_uint_t                 type;        /* x-amz-checksum-type, or
                                               NGX_HTTP_S3_WIRE_NO_TYPE */
    ngx_uint_t                 alg;         /* x-amz-checksum-<alg> */
    ngx_uint_t                 suffix;      /* its "-N" */
    u_char                     digest[NGX_HTTP_S3_CHECKSUM_MAX_SIZE];

    /* ListParts, ListMultipartUploads */
    ngx_uint_t                 max;
    ngx_uint_t                 marker;
    ngx_str_t                  prefix;
    ngx_str_t                  delimiter;
    ngx_str_t                  key_marker;
    ngx_str_t                  id_marker;
    unsigned                   url:1;
    unsigned                   has_prefix:1;
    unsigned                   has_delimiter:1;
} ngx_http_s3_mpu_t;


ngx_http_s3_mpu_t *ngx_http_s3_mpu_create(ngx_http_request_t *r);
ngx_http_s3_err_e ngx_http_s3_mpu_uint_arg(ngx_http_request_t *r,
    const char *name, ngx_uint_t *value, const char **message);
void ngx_http_s3_mpu_checksum_xml(ngx_http_s3_xml_t *w,
    ngx_http_s3_object_t *o);
ngx_int_t ngx_http_s3_mpu_call(ngx_http_s3_mpu_t *mpu,
    ngx_uint_t op, ngx_http_s3_wbuf_t *b,
    ngx_http_s3_meta_handler_pt handler);
ngx_int_t ngx_http_s3_mpu_id(ngx_http_s3_mpu_t *mpu,
    ngx_http_s3_wbuf_t *b, size_t more);
const char *ngx_http_s3_mpu_message(ngx_http_request_t *r,
    const char *fmt, ...);
u_char *ngx_http_s3_mpu_lower(ngx_pool_t *pool, ngx_str_t *s);


#endif /* _NGX_HTTP_S3_MULTIPART_H_INCLUDED_ */
