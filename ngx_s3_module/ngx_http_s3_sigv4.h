
/*
 * Copyright (C) ngx_s3 authors
 */


#ifndef _NGX_HTTP_S3_SIGV4_H_INCLUDED_
#define _NGX_HTTP_S3_SIGV4_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>


/* AWS Signature Version 4: pure functions (owned by the auth work) */


#endif /* _NGX_HTTP_S3_SIGV4_H_INCLUDED_ */
