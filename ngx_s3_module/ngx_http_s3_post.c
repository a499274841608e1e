
/*
 * Copyright (C) ngx_s3 authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_s3.h"
#include "ngx_http_s3_ops.h"


ngx_int_t
ngx_http_s3_post_object(ngx_http_request_t *r)
{
    return ngx_http_s3_send_error(r, NGX_HTTP_S3_ERR_NOT_IMPLEMENTED, NULL);
}
