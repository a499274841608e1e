
/*
 * Copyright (C) ngx_s3 authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include <sys/statvfs.h>

#include "ngx_http_s3.h"
#include "ngx_http_s3_ops.h"
#include "ngx_http_s3_fault.h"


/*
 * Body files: <data>/objects/ab/cd/<id>, one per stored body, named by a
 * random id, created with O_EXCL and never renamed or rewritten.  A new
 * file belongs to its request until the request marks it kept (its record
 * is committed, or may be): a file not kept is removed with the request.
 *
 * A body is not started when it would leave less than s3_min_free on the
 * filesystem: that room is for the metadata database, so that deletes
 * (and a reopen after a failed write) still work on a full disk.
 *
 * Bodies are read through the location's open_file_cache, if any.  Such a
 * cache keeps the descriptor of a deleted body (and so its space) until
 * the worker looks that entry up again, which an idle worker never does:
 * each worker that opened bodies through a cache looks at the cached
 * descriptors every second and drops those of deleted files.
 */


#define NGX_HTTP_S3_STORE_CACHES       16
#define NGX_HTTP_S3_STORE_SWEEP        1000


static ngx_int_t ngx_http_s3_store_room(ngx_http_request_t *r,
    ngx_http_s3_store_file_t *sf);
static ngx_int_t ngx_http_s3_store_dirs(ngx_http_request_t *r,
    ngx_http_s3_store_file_t *sf);
static ngx_int_t ngx_http_s3_store_fsync_dir(ngx_http_request_t *r,
    u_char *path, u_char *end);
static ngx_int_t ngx_http_s3_store_fsync(ngx_log_t *log, ngx_fd_t fd,
    u_char *name);
static ngx_int_t ngx_http_s3_store_watch(ngx_open_file_cache_t *cache,
    ngx_log_t *log);
static void ngx_http_s3_store_sweep(ngx_event_t *ev);
static void ngx_http_s3_store_sweep_cache(ngx_open_file_cache_t *cache,
    ngx_log_t *log);
#if (NGX_HTTP_S3_FAULTS)
static ngx_err_t ngx_http_s3_store_fault(ngx_log_t *log, ngx_uint_t point);
#endif


/* the open_file_caches this worker opened bodies through */
static ngx_open_file_cache_t  *ngx_http_s3_store_caches[
                                   NGX_HTTP_S3_STORE_CACHES];
static ngx_uint_t              ngx_http_s3_store_ncaches;
static ngx_event_t             ngx_http_s3_store_sweep_ev;
static void ngx_http_s3_store_cleanup(void *data);


ngx_int_t
ngx_http_s3_store_create(ngx_http_request_t *r, ngx_http_s3_store_file_t *sf)
{
    u_char                   *path;
    ngx_err_t                 err;
    ngx_uint_t                dirs;
    ngx_pool_cleanup_t       *cln;
    ngx_http_s3_main_conf_t  *smcf;

    smcf = ngx_http_get_module_main_conf(r, ngx_http_s3_module);

    ngx_memzero(sf, sizeof(ngx_http_s3_store_file_t));
    sf->file.fd = NGX_INVALID_FILE;
    sf->file.log = r->connection->log;

    sf->id.len = NGX_HTTP_S3_BODY_ID_LEN;
    sf->id.data = ngx_pnalloc(r->pool, NGX_HTTP_S3_BODY_ID_LEN);
    path = ngx_pnalloc(r->pool, smcf->data.len + 48);

    if (sf->id.data == NULL || path == NULL) {
        return NGX_ERROR;
    }

    if (ngx_http_s3_random_hex(sf->id.data, NGX_HTTP_S3_BODY_ID_LEN / 2)
        != NGX_OK)
    {
        ngx_log_error(NGX_LOG_ALERT, r->connection->log, 0,
                      "s3: no random bytes for a body id");
        return NGX_ERROR;
    }

    ngx_http_s3_body_path(smcf, path, &sf->id);

    if (smcf->min_free && ngx_http_s3_store_room(r, sf) != NGX_OK) {
        return NGX_ERROR;
    }

    cln = ngx_pool_cleanup_add(r->pool, 0);
    if (cln == NULL) {
        return NGX_ERROR;
    }

    cln->handler = ngx_http_s3_store_cleanup;
    cln->data = sf;

    for (dirs = 0; /* void */; dirs++) {

#if (NGX_HTTP_S3_FAULTS)
        err = ngx_http_s3_store_fault(r->connection->log,
                                      NGX_HTTP_S3_FAULT_STORE_CREATE);
        if (err) {
            ngx_log_error(NGX_LOG_CRIT, r->connection->log, err,
                          ngx_open_file_n " \"%s\" failed", path);
            sf->err = err;
            return NGX_ERROR;
        }
#endif

        /* for nginx's user alone, as the directories (0700) */

        sf->file.fd = ngx_open_file(path, NGX_FILE_WRONLY,
                                    NGX_FILE_CREATE_OR_OPEN|O_EXCL, 0600);

        if (sf->file.fd != NGX_INVALID_FILE) {
            break;
        }

        err = ngx_errno;
        sf->err = err;

        if (err == NGX_ENOENT && dirs == 0) {
            /* the fan-out directories of a new prefix */

            sf->file.name.data = path;
            sf->file.name.len = ngx_strlen(path);

            if (ngx_http_s3_store_dirs(r, sf) != NGX_OK) {
                /* nothing to unlink: it was never created */
                sf->file.name.len = 0;
                return NGX_ERROR;
            }

            sf->file.name.len = 0;
            continue;
        }

        ngx_log_error(NGX_LOG_CRIT, r->connection->log, err,
                      ngx_open_file_n " \"%s\" failed", path);

        return NGX_ERROR;
    }

    /* from here on the file is ours: the cleanup removes it unless kept */

    sf->file.name.data = path;
    sf->file.name.len = ngx_strlen(path);

    ngx_log_debug2(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "s3 body file: \"%s\" fd:%d", path, sf->file.fd);

    return NGX_OK;
}


ngx_int_t
ngx_http_s3_store_create_inline(ngx_http_request_t *r,
    ngx_http_s3_store_file_t *sf, size_t size)
{
    ngx_http_s3_main_conf_t  *smcf;

    ngx_memzero(sf, sizeof(ngx_http_s3_store_file_t));
    sf->file.fd = NGX_INVALID_FILE;
    sf->file.log = r->connection->log;

    sf->id.len = NGX_HTTP_S3_BODY_ID_LEN;
    sf->id.data = ngx_pnalloc(r->pool, NGX_HTTP_S3_BODY_ID_LEN);

    /* a body of 0 bytes still has a buffer to point at */
    sf->mem = ngx_create_temp_buf(r->pool, ngx_max(size, 1));

    if (sf->id.data == NULL || sf->mem == NULL) {
        return NGX_ERROR;
    }

    sf->mem->end = sf->mem->start + size;

    if (ngx_http_s3_random_hex(sf->id.data, NGX_HTTP_S3_BODY_ID_LEN / 2)
        != NGX_OK)
    {
        ngx_log_error(NGX_LOG_ALERT, r->connection->log, 0,
                      "s3: no random bytes for a body id");
        return NGX_ERROR;
    }

    /* it takes room in the database: the same s3_min_free check */

    smcf = ngx_http_get_module_main_conf(r, ngx_http_s3_module);

    if (smcf->min_free && ngx_http_s3_store_room(r, sf) != NGX_OK) {
        return NGX_ERROR;
    }

    ngx_log_debug1(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "s3 inline body: %uz bytes", size);

    return NGX_OK;
}


ngx_int_t
ngx_http_s3_store_write(ngx_http_s3_store_file_t *sf, u_char *p, size_t len)
{
    if (sf->mem) {

        /* the length was checked: more is a bug, not the client's */

        if ((size_t) (sf->mem->end - sf->mem->last) < len) {
            ngx_log_error(NGX_LOG_ALERT, sf->file.log, 0,
                          "s3 inline body longer than its length");
            return NGX_ERROR;
        }

        sf->mem->last = ngx_cpymem(sf->mem->last, p, len);
        return NGX_OK;
    }

#if (NGX_HTTP_S3_FAULTS)
    ngx_err_t  err;

    err = ngx_http_s3_store_fault(sf->file.log, NGX_HTTP_S3_FAULT_STORE_WRITE);
    if (err) {
        ngx_log_error(NGX_LOG_CRIT, sf->file.log, err,
                      "pwrite() \"%s\" failed", sf->file.name.data);
        sf->err = err;
        return NGX_ERROR;
    }
#endif

    if (ngx_write_file(&sf->file, p, len, sf->file.offset) == NGX_ERROR) {
        /* nginx logged it; a successful write of the log keeps errno */
        sf->err = ngx_errno;
        return NGX_ERROR;
    }

    return NGX_OK;
}


/* a failed body: disk full is 503 ServiceUnavailable, anything else 500 */

ngx_http_s3_err_e
ngx_http_s3_store_error(ngx_http_s3_store_file_t *sf)
{
    if (sf->err == NGX_ENOSPC || sf->err == EDQUOT) {
        return NGX_HTTP_S3_ERR_SERVICE_UNAVAILABLE;
    }

    return NGX_HTTP_S3_ERR_INTERNAL;
}


/* all written: durable by the s3_fsync policy, then closed */

ngx_int_t
ngx_http_s3_store_close(ngx_http_request_t *r, ngx_http_s3_store_file_t *sf)
{
    ngx_fd_t                  fd;
    ngx_str_t                *name;
    ngx_http_s3_main_conf_t  *smcf;

    if (sf->mem) {
        /* durable with its record */
        return NGX_OK;
    }

    smcf = ngx_http_get_module_main_conf(r, ngx_http_s3_module);

    fd = sf->file.fd;
    name = &sf->file.name;

    if (smcf->fsync == NGX_HTTP_S3_FSYNC_ON) {

        if (ngx_http_s3_store_fsync(r->connection->log, fd, name->data)
            != NGX_OK)
        {
            sf->err = ngx_errno;
            return NGX_ERROR;
        }

        /* and the new name in its directory, before a record names it */

        if (ngx_http_s3_store_fsync_dir(r, name->data,
                                        name->data + name->len
                                        - NGX_HTTP_S3_BODY_ID_LEN - 1)
            != NGX_OK)
        {
            return NGX_ERROR;
        }
    }

    sf->file.fd = NGX_INVALID_FILE;

    if (ngx_close_file(fd) == NGX_FILE_ERROR) {
        sf->err = ngx_errno;
        ngx_log_error(NGX_LOG_CRIT, r->connection->log, sf->err,
                      ngx_close_file_n " \"%s\" failed", name->data);
        return NGX_ERROR;
    }

    return NGX_OK;
}


/*
 * Room for a body of the request's length, and s3_min_free after it:
 * otherwise the body is refused before a byte is written (ENOSPC).
 */

static ngx_int_t
ngx_http_s3_store_room(ngx_http_request_t *r, ngx_http_s3_store_file_t *sf)
{
    off_t                     size, avail;
    struct statvfs            fs;
    ngx_http_s3_main_conf_t  *smcf;

    smcf = ngx_http_get_module_main_conf(r, ngx_http_s3_module);

    if (statvfs((char *) smcf->data.data, &fs) == -1) {
        /* not known: the writes will tell */
        return NGX_OK;
    }

    size = ngx_max(r->headers_in.content_length_n, 0);
    avail = (off_t) fs.f_bavail * (off_t) fs.f_frsize;

    if (avail >= size + smcf->min_free) {
        return NGX_OK;
    }

    ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                  "s3 body of %O bytes refused: %O bytes free in \"%V\", "
                  "s3_min_free is %O", size, avail, &smcf->data,
                  smcf->min_free);

    sf->err = NGX_ENOSPC;

    return NGX_ERROR;
}


/* a body file for reading, by the location's open_file_cache settings */

ngx_int_t
ngx_http_s3_store_open(ngx_http_request_t *r, ngx_str_t *path,
    ngx_open_file_info_t *of)
{
    ngx_open_file_cache_t     *cache;
    ngx_http_core_loc_conf_t  *clcf;

    clcf = ngx_http_get_module_loc_conf(r, ngx_http_core_module);

    of->read_ahead = clcf->read_ahead;
    of->directio = clcf->directio;
    of->valid = clcf->open_file_cache_valid;
    of->min_uses = clcf->open_file_cache_min_uses;
    of->errors = clcf->open_file_cache_errors;
    of->events = clcf->open_file_cache_events;

    cache = clcf->open_file_cache;

    /*
     * Not with more caches than are watched; nor with master_process off,
     * where a reload would leave the watch list pointing at freed caches.
     */

    if (cache
        && (ngx_process == NGX_PROCESS_SINGLE
            || ngx_http_s3_store_watch(cache, r->connection->log) != NGX_OK))
    {
        cache = NULL;
    }

    return ngx_open_cached_file(cache, path, of, r->pool);
}


static ngx_int_t
ngx_http_s3_store_watch(ngx_open_file_cache_t *cache, ngx_log_t *log)
{
    ngx_uint_t  i;

    for (i = 0; i < ngx_http_s3_store_ncaches; i++) {
        if (ngx_http_s3_store_caches[i] == cache) {
            return NGX_OK;
        }
    }

    if (ngx_http_s3_store_ncaches == NGX_HTTP_S3_STORE_CACHES) {
        return NGX_DECLINED;
    }

    ngx_http_s3_store_caches[ngx_http_s3_store_ncaches++] = cache;

    if (!ngx_http_s3_store_sweep_ev.timer_set) {
        ngx_http_s3_store_sweep_ev.handler = ngx_http_s3_store_sweep;
        ngx_http_s3_store_sweep_ev.log = ngx_cycle->log;
        ngx_http_s3_store_sweep_ev.cancelable = 1;

        ngx_add_timer(&ngx_http_s3_store_sweep_ev, NGX_HTTP_S3_STORE_SWEEP);
    }

    return NGX_OK;
}


static void
ngx_http_s3_store_sweep(ngx_event_t *ev)
{
    ngx_uint_t  i;

    for (i = 0; i < ngx_http_s3_store_ncaches; i++) {
        ngx_http_s3_store_sweep_cache(ngx_http_s3_store_caches[i], ev->log);
    }

    ngx_add_timer(ev, NGX_HTTP_S3_STORE_SWEEP);
}


/*
 * An fstat() of each open descriptor: one of a file with no name left is
 * looked up again with no validity, which makes nginx's own code find the
 * name gone and drop the entry (its descriptor is closed now, or when the
 * last request reading it ends).  Up to 64 a second.
 */

static void
ngx_http_s3_store_sweep_cache(ngx_open_file_cache_t *cache, ngx_log_t *log)
{
    size_t                   n, i;
    ngx_str_t                names[64];
    ngx_pool_t              *pool;
    ngx_queue_t             *q;
    ngx_file_info_t          fi;
    ngx_open_file_info_t     of;
    ngx_cached_open_file_t  *file;

    pool = NULL;
    n = 0;

    for (q = ngx_queue_head(&cache->expire_queue);
         q != ngx_queue_sentinel(&cache->expire_queue)
         && n < sizeof(names) / sizeof(names[0]);
         q = ngx_queue_next(q))
    {
        file = ngx_queue_data(q, ngx_cached_open_file_t, queue);

        if (file->fd == NGX_INVALID_FILE || file->err || file->is_dir
            || ngx_fd_info(file->fd, &fi) == NGX_FILE_ERROR
            || fi.st_nlink > 0)
        {
            continue;
        }

        if (pool == NULL) {
            pool = ngx_create_pool(1024, log);
            if (pool == NULL) {
                return;
            }
        }

        names[n].len = ngx_strlen(file->name);
        names[n].data = ngx_pnalloc(pool, names[n].len + 1);
        if (names[n].data == NULL) {
            break;
        }

        ngx_memcpy(names[n].data, file->name, names[n].len + 1);
        n++;
    }

    for (i = 0; i < n; i++) {
        ngx_memzero(&of, sizeof(ngx_open_file_info_t));
        of.directio = NGX_OPEN_FILE_DIRECTIO_OFF;

        /* not found by name now: nginx drops the entry */
        (void) ngx_open_cached_file(cache, &names[i], &of, pool);
    }

    if (pool) {
        ngx_destroy_pool(pool);
    }
}


/* a refused body: its file goes now, not when the connection lets go */

void
ngx_http_s3_store_discard(ngx_http_s3_store_file_t *sf)
{
    sf->keep = 0;

    ngx_http_s3_store_cleanup(sf);

    sf->file.name.len = 0;
}


static ngx_int_t
ngx_http_s3_store_dirs(ngx_http_request_t *r, ngx_http_s3_store_file_t *sf)
{
    u_char                   *path, *d1, *d2;
    ngx_err_t                 err;
    ngx_http_s3_main_conf_t  *smcf;

    smcf = ngx_http_get_module_main_conf(r, ngx_http_s3_module);

    path = sf->file.name.data;

    err = ngx_create_full_path(path, 0700);

    if (err) {
        ngx_log_error(NGX_LOG_CRIT, r->connection->log, err,
                      ngx_create_dir_n " \"%s\" failed", path);
        return NGX_ERROR;
    }

    if (smcf->fsync != NGX_HTTP_S3_FSYNC_ON) {
        return NGX_OK;
    }

    /*
     * <data>/objects/ab/cd/<id>: the new entries "ab" and "cd" become
     * durable with their parent directories
     */

    d2 = path + sf->file.name.len - NGX_HTTP_S3_BODY_ID_LEN - 1;
    d1 = d2 - 3;

    if (ngx_http_s3_store_fsync_dir(r, path, d1) != NGX_OK
        || ngx_http_s3_store_fsync_dir(r, path, d1 - 3) != NGX_OK)
    {
        return NGX_ERROR;
    }

    return NGX_OK;
}


/* fsync the directory path[0..end) */

static ngx_int_t
ngx_http_s3_store_fsync_dir(ngx_http_request_t *r, u_char *path, u_char *end)
{
    u_char    c;
    ngx_fd_t  fd;

    c = *end;
    *end = '\0';

    fd = ngx_open_file(path, NGX_FILE_RDONLY, NGX_FILE_OPEN, 0);

    if (fd == NGX_INVALID_FILE) {
        ngx_log_error(NGX_LOG_CRIT, r->connection->log, ngx_errno,
                      ngx_open_file_n " \"%s\" failed", path);
        *end = c;
        return NGX_ERROR;
    }

    if (ngx_http_s3_store_fsync(r->connection->log, fd, path) != NGX_OK) {
        (void) ngx_close_file(fd);
        *end = c;
        return NGX_ERROR;
    }

    (void) ngx_close_file(fd);
    *end = c;

    return NGX_OK;
}


static ngx_int_t
ngx_http_s3_store_fsync(ngx_log_t *log, ngx_fd_t fd, u_char *name)
{
    ngx_err_t  err;

#if (NGX_HTTP_S3_FAULTS)
    err = ngx_http_s3_store_fault(log, NGX_HTTP_S3_FAULT_STORE_FSYNC);
    if (err) {
        ngx_log_error(NGX_LOG_CRIT, log, err, "fsync(\"%s\") failed", name);
        ngx_set_errno(err);
        return NGX_ERROR;
    }
#endif

    if (fsync(fd) == -1) {
        err = ngx_errno;
        ngx_log_error(NGX_LOG_CRIT, log, err, "fsync(\"%s\") failed", name);
        ngx_set_errno(err);
        return NGX_ERROR;
    }

    return NGX_OK;
}


#if (NGX_HTTP_S3_FAULTS)

static ngx_err_t
ngx_http_s3_store_fault(ngx_log_t *log, ngx_uint_t point)
{
    switch (ngx_http_s3_fault(log, point)) {

    case NGX_HTTP_S3_FAULT_EIO:
        return EIO;

    case NGX_HTTP_S3_FAULT_ENOSPC:
        return NGX_ENOSPC;

    default:
        return 0;
    }
}

#endif


static void
ngx_http_s3_store_cleanup(void *data)
{
    ngx_http_s3_store_file_t  *sf = data;

    if (sf->file.fd != NGX_INVALID_FILE) {
        if (ngx_close_file(sf->file.fd) == NGX_FILE_ERROR) {
            ngx_log_error(NGX_LOG_ALERT, sf->file.log, ngx_errno,
                          ngx_close_file_n " \"%s\" failed",
                          sf->file.name.data);
        }

        sf->file.fd = NGX_INVALID_FILE;
    }

    if (sf->keep || sf->file.name.len == 0) {
        return;
    }

    /* failed or aborted: the body is nobody's */

    if (ngx_delete_file(sf->file.name.data) == NGX_FILE_ERROR
        && ngx_errno != NGX_ENOENT)
    {
        ngx_log_error(NGX_LOG_CRIT, sf->file.log, ngx_errno,
                      ngx_delete_file_n " \"%s\" failed",
                      sf->file.name.data);
    }
}
