
/*
 * Copyright (C) ngx_s3 authors
 */


#ifndef _NGX_HTTP_S3_RCACHE_H_INCLUDED_
#define _NGX_HTTP_S3_RCACHE_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_s3.h"


/*
 * The record cache (ngx_http_s3_rcache.c): each worker keeps the
 * answers to OBJECT_GET of hot keys, and trusts one only while the
 * generation of its key's slot, in shared memory, has not moved since
 * it asked.  The metadata process moves it after every write of an
 * object's record, before it answers the write.
 */


/* the generation a copy was asked at (and the slot of its key) */

typedef struct {
    ngx_atomic_uint_t          epoch;
    ngx_atomic_uint_t          gen;
    uint32_t                   hash;        /* of bucket \0 key */
} ngx_http_s3_rcache_tag_t;


/* s3_record_cache size | off */
char *ngx_http_s3_rcache_directive(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
/* from init main conf: the default, the shared zone */
ngx_int_t ngx_http_s3_rcache_init_conf(ngx_conf_t *cf,
    ngx_http_s3_main_conf_t *smcf);

/* the metadata process: a database was opened, every copy is old */
void ngx_http_s3_rcache_opened(void);
/* the metadata process: the LevelDB key was written (or deleted) */
void ngx_http_s3_rcache_changed(u_char *key, size_t len);

/*
 * workers: the current generation of bucket/key, NGX_OK; NGX_DECLINED
 * when no copy may be trusted now (the cache is off, the worker exits,
 * the metadata process that serves is not the one that keeps the slots)
 */
ngx_int_t ngx_http_s3_rcache_tag(ngx_http_request_t *r, ngx_str_t *bucket,
    ngx_str_t *key, ngx_http_s3_rcache_tag_t *tag);
/*
 * the copy of the answer to OBJECT_GET bucket/key[/version] asked at the
 * generation tag: NGX_OK with the status and the reply (in r->pool), or
 * NGX_DECLINED
 */
ngx_int_t ngx_http_s3_rcache_get(ngx_http_request_t *r, ngx_str_t *bucket,
    ngx_str_t *key, ngx_str_t *version, ngx_http_s3_rcache_tag_t *tag,
    ngx_uint_t *status, ngx_str_t *reply);
/* keeps the answer to OBJECT_GET asked at the generation tag */
void ngx_http_s3_rcache_put(ngx_http_request_t *r, ngx_str_t *bucket,
    ngx_str_t *key, ngx_str_t *version, ngx_http_s3_rcache_tag_t *tag,
    ngx_uint_t status, ngx_str_t *reply);

/*
 * ngx_http_s3_meta.c: the pid of the metadata process this worker's
 * connection reaches (this process itself with master_process off), 0
 * while there is none, -1 if the system cannot tell
 */
ngx_pid_t ngx_http_s3_meta_peer(void);


#endif /* _NGX_HTTP_S3_RCACHE_H_INCLUDED_ */
