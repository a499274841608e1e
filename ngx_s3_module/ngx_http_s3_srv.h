
/*
 * Copyright (C) ngx_s3 authors
 */


#ifndef _NGX_HTTP_S3_SRV_H_INCLUDED_
#define _NGX_HTTP_S3_SRV_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_s3.h"


/*
 * Inside the metadata process: what the operations (srv_bucket.c,
 * srv_object.c, srv_list.c) share with the process (server.c).  Each
 * operation decodes its request from ex->req, appends its reply to
 * ex->out and returns a NGX_HTTP_S3_WIRE_ST_* status; it runs alone, so a
 * read followed by a commit is one atomic step.
 */


typedef struct {
    ngx_log_t                 *log;
    ngx_pool_t                *pool;        /* freed after the request */
    ngx_http_s3_rbuf_t         req;
    ngx_http_s3_wbuf_t        *out;
    ngx_http_s3_batch_t       *batch;       /* applied by ngx_..._write */
} ngx_http_s3_exec_t;


/* ngx_http_s3_server.c */

/* "<type><bucket>\0<key>", or "<type><bucket>" when key is NULL */
ngx_int_t ngx_http_s3_srv_key(ngx_http_s3_exec_t *ex, ngx_str_t *out,
    u_char type, ngx_str_t *bucket, ngx_str_t *key);
/* NGX_HTTP_S3_WIRE_ST_OK, _NO_BUCKET or _ERROR */
ngx_uint_t ngx_http_s3_srv_bucket_exists(ngx_http_s3_exec_t *ex,
    ngx_str_t *bucket);
/* unlink the body of a replaced or deleted record, a moment later */
void ngx_http_s3_srv_unlink_body(ngx_http_s3_exec_t *ex, ngx_str_t *rec);
/*
 * after a failed commit: unlink the body once the record under key can be
 * read and does not name it; visible: readers may have it open (it was
 * the current body), so the usual delay follows
 */
void ngx_http_s3_srv_doubt_body(ngx_http_s3_exec_t *ex, ngx_str_t *key,
    ngx_str_t *body, ngx_uint_t visible);


/* ngx_http_s3_srv_bucket.c */

ngx_uint_t ngx_http_s3_op_bucket_create(ngx_http_s3_exec_t *ex);
ngx_uint_t ngx_http_s3_op_bucket_get(ngx_http_s3_exec_t *ex);
ngx_uint_t ngx_http_s3_op_bucket_delete(ngx_http_s3_exec_t *ex);
ngx_uint_t ngx_http_s3_op_bucket_list(ngx_http_s3_exec_t *ex);

/* ngx_http_s3_srv_object.c */

ngx_uint_t ngx_http_s3_op_object_put(ngx_http_s3_exec_t *ex);
ngx_uint_t ngx_http_s3_op_object_get(ngx_http_s3_exec_t *ex);
ngx_uint_t ngx_http_s3_op_object_delete(ngx_http_s3_exec_t *ex);

/* ngx_http_s3_srv_list.c */

ngx_uint_t ngx_http_s3_op_list(ngx_http_s3_exec_t *ex);


#endif /* _NGX_HTTP_S3_SRV_H_INCLUDED_ */
