
/*
 * Copyright (C) ngx_s3 authors
 */


#ifndef _NGX_HTTP_S3_FAULT_H_INCLUDED_
#define _NGX_HTTP_S3_FAULT_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>


/*
 * Fault injection, for tests only.  A module built with
 * -DNGX_HTTP_S3_FAULTS (scripts/faults.sh builds one in build-faults/)
 * reads <s3_data>/faults at each fault point and fails the call it names;
 * the production build has no fault point at all.  The file holds entries
 * separated by white space, ',' or ';' ('#' starts a comment):
 *
 *     <point>=<n>[+][:<error>]
 *
 *     point   engine.read, engine.write, engine.iter (an iterator's seek
 *             or next), store.create, store.write, store.fsync,
 *             engine.sync (the synced write that ends a group commit)
 *     n       fail the n-th call of that point from when the file was
 *             (re)written; "n+": that call and every one after it
 *     error   eio (the default), enospc, corruption (engine points only),
 *             delay (store.fsync only: the call succeeds, one second late,
 *             as a slow disk's would)
 *
 * for example "engine.read=3:eio store.write=1+:enospc".  Each process
 * counts its own calls: the engine points are in the metadata process,
 * the store points in workers.  Removing the file clears every fault.
 */


#define NGX_HTTP_S3_FAULT_ENGINE_READ    0
#define NGX_HTTP_S3_FAULT_ENGINE_WRITE   1
#define NGX_HTTP_S3_FAULT_ENGINE_ITER    2
#define NGX_HTTP_S3_FAULT_STORE_CREATE   3
#define NGX_HTTP_S3_FAULT_STORE_WRITE    4
#define NGX_HTTP_S3_FAULT_STORE_FSYNC    5
#define NGX_HTTP_S3_FAULT_ENGINE_SYNC    6
#define NGX_HTTP_S3_FAULT_LAST           7

#define NGX_HTTP_S3_FAULT_NONE           0
#define NGX_HTTP_S3_FAULT_EIO            1
#define NGX_HTTP_S3_FAULT_ENOSPC         2
#define NGX_HTTP_S3_FAULT_CORRUPTION     3
#define NGX_HTTP_S3_FAULT_DELAY          4

#define NGX_HTTP_S3_FAULT_DELAY_MSEC     1000


typedef struct {
    ngx_uint_t                 nth;         /* 0: not armed */
    ngx_uint_t                 sticky;      /* and every call after it */
    ngx_uint_t                 error;       /* NGX_HTTP_S3_FAULT_EIO, ... */
} ngx_http_s3_fault_t;


/*
 * Pure: parse a spec into f[NGX_HTTP_S3_FAULT_LAST] (cleared first).
 * NGX_OK, or NGX_ERROR with *bad at the entry that is not understood.
 */
ngx_int_t ngx_http_s3_fault_parse(u_char *p, size_t len,
    ngx_http_s3_fault_t *f, u_char **bad);
const char *ngx_http_s3_fault_point_name(ngx_uint_t point);
const char *ngx_http_s3_fault_error_name(ngx_uint_t error);


#if (NGX_HTTP_S3_FAULTS)

/* at a fault point: NGX_HTTP_S3_FAULT_NONE, or the error to inject */
ngx_uint_t ngx_http_s3_fault(ngx_log_t *log, ngx_uint_t point);

#endif


#endif /* _NGX_HTTP_S3_FAULT_H_INCLUDED_ */
