
/*
 * Copyright (C) ngx_s3 authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>
#include <ngx_thread_pool.h>

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
 * With s3_fsync on a body is durable before a record names it: the file,
 * its directory and, if they are new, the fan-out directories above it
 * are fsynced by a task of the s3_thread_pool, so that the event loop
 * goes on serving while the disk works; the request waits, blocked
 * (r->main->blocked, as nginx's own aio threads do), and the rest of the
 * operation runs from the task's completion.  Writeback of a large body
 * is started every NGX_HTTP_S3_STORE_WRITEBACK bytes written, so that
 * the final fsync has little left to write.
 *
 * Bodies are read through the location's open_file_cache, if any.  Such a
 * cache keeps the descriptor of a deleted body (and so its space) until
 * the worker looks that entry up again, which an idle worker never does:
 * each worker that opened bodies through a cache looks at the cached
 * descriptors every second and drops those of deleted files.
 */


#define NGX_HTTP_S3_STORE_CACHES       16
#define NGX_HTTP_S3_STORE_SWEEP        1000
#define NGX_HTTP_S3_STORE_WRITEBACK    (8 * 1024 * 1024)

/* the file, its directory, and two new fan-out directories at most */
#define NGX_HTTP_S3_STORE_SYNCS        4
#define NGX_HTTP_S3_STORE_SYNC_WAIT    60000


/* an asynchronous close: what its task fsyncs, in this order */

typedef struct {
    ngx_http_s3_store_file_t  *sf;
    ngx_fd_t                   fd;          /* of paths[0], the file */
    ngx_uint_t                 n;           /* paths[1..n): directories */
    u_char                    *paths[NGX_HTTP_S3_STORE_SYNCS];
    ngx_uint_t                 faults[NGX_HTTP_S3_STORE_SYNCS];
    ngx_uint_t                 failed;      /* the index that failed */
    const char                *call;        /* and its call */
    ngx_err_t                  err;
    ngx_event_t                wait;        /* keeps an exiting worker */
} ngx_http_s3_store_sync_t;


static ngx_int_t ngx_http_s3_store_room(ngx_http_request_t *r,
    ngx_http_s3_store_file_t *sf);
static ngx_int_t ngx_http_s3_store_dirs(ngx_http_request_t *r,
    ngx_http_s3_store_file_t *sf);
static ngx_int_t ngx_http_s3_store_close_file(ngx_http_s3_store_file_t *sf);
static ngx_int_t ngx_http_s3_store_sync(ngx_http_request_t *r,
    ngx_http_s3_store_file_t *sf);
static void ngx_http_s3_store_sync_thread(void *data, ngx_log_t *log);
static void ngx_http_s3_store_sync_done(ngx_event_t *ev);
static void ngx_http_s3_store_sync_wait(ngx_event_t *ev);
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
    sf->request = r;
    sf->sync = (smcf->fsync == NGX_HTTP_S3_FSYNC_ON);

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
#if (NGX_HTTP_S3_FAULTS)
    ngx_err_t  err;
#endif

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

#if (NGX_LINUX)

    /*
     * The writeback of what was written so far starts now, and the final
     * fsync only waits for its end: it does not wait for the pages (an
     * error shows in that fsync), and it queues little I/O at a time.
     */

    if (sf->sync
        && sf->file.offset - sf->written_back >= NGX_HTTP_S3_STORE_WRITEBACK)
    {
        if (sync_file_range(sf->file.fd, sf->written_back,
                            sf->file.offset - sf->written_back,
                            SYNC_FILE_RANGE_WRITE)
            == -1)
        {
            ngx_log_error(NGX_LOG_INFO, sf->file.log, ngx_errno,
                          "sync_file_range(\"%s\") failed",
                          sf->file.name.data);
        }

        sf->written_back = sf->file.offset;
    }

#endif

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
ngx_http_s3_store_close(ngx_http_request_t *r, ngx_http_s3_store_file_t *sf,
    ngx_http_s3_store_handler_pt handler, void *data)
{
    if (sf->mem) {
        /* durable with its record */
        return NGX_OK;
    }

    if (!sf->sync) {
        return ngx_http_s3_store_close_file(sf);
    }

    sf->handler = handler;
    sf->data = data;

    if (ngx_http_s3_store_sync(r, sf) != NGX_OK) {
        return NGX_ERROR;
    }

    return NGX_AGAIN;
}


static ngx_int_t
ngx_http_s3_store_close_file(ngx_http_s3_store_file_t *sf)
{
    ngx_fd_t  fd;

    fd = sf->file.fd;
    sf->file.fd = NGX_INVALID_FILE;

    if (ngx_close_file(fd) == NGX_FILE_ERROR) {
        sf->err = ngx_errno;
        ngx_log_error(NGX_LOG_CRIT, sf->file.log, sf->err,
                      ngx_close_file_n " \"%s\" failed", sf->file.name.data);
        return NGX_ERROR;
    }

    return NGX_OK;
}


/*
 * The fsyncs of a body, posted to the thread pool: the file, then its
 * directory (the new name, before a record names it), then the parents
 * of new fan-out directories
 */

static ngx_int_t
ngx_http_s3_store_sync(ngx_http_request_t *r, ngx_http_s3_store_file_t *sf)
{
    u_char                    *p, *dir;
    size_t                     len;
    ngx_uint_t                 i;
    ngx_thread_task_t         *task;
    ngx_http_s3_main_conf_t   *smcf;
    ngx_http_s3_store_sync_t  *ss;

    smcf = ngx_http_get_module_main_conf(r, ngx_http_s3_module);

    if (smcf->thread_pool == NULL) {
        ngx_log_error(NGX_LOG_ALERT, r->connection->log, 0,
                      "s3: no thread pool for the body fsyncs");
        return NGX_ERROR;
    }

    task = ngx_thread_task_alloc(r->pool, sizeof(ngx_http_s3_store_sync_t));
    if (task == NULL) {
        return NGX_ERROR;
    }

    ss = task->ctx;

    ss->sf = sf;
    ss->fd = sf->file.fd;
    ss->paths[0] = sf->file.name.data;
    ss->n = sf->new_dirs ? 4 : 2;

    /* <data>/objects/ab/cd, <data>/objects/ab, <data>/objects */

    dir = sf->file.name.data;
    len = sf->file.name.len - NGX_HTTP_S3_BODY_ID_LEN - 1;

    for (i = 1; i < ss->n; i++) {
        p = ngx_pnalloc(r->pool, len + 1);
        if (p == NULL) {
            return NGX_ERROR;
        }

        ngx_memcpy(p, dir, len);
        p[len] = '\0';

        ss->paths[i] = p;
        len -= 3;
    }

#if (NGX_HTTP_S3_FAULTS)

    /* counted here, in the event loop, up to the first failure */

    for (i = 0; i < ss->n; i++) {
        ss->faults[i] = ngx_http_s3_fault(r->connection->log,
                                          NGX_HTTP_S3_FAULT_STORE_FSYNC);

        if (ss->faults[i] != NGX_HTTP_S3_FAULT_NONE
            && ss->faults[i] != NGX_HTTP_S3_FAULT_DELAY)
        {
            break;
        }
    }

#endif

    task->handler = ngx_http_s3_store_sync_thread;
    task->event.data = ss;
    task->event.handler = ngx_http_s3_store_sync_done;

    if (ngx_thread_task_post(smcf->thread_pool, task) != NGX_OK) {
        return NGX_ERROR;
    }

    /* the pool and the descriptor stay until the task is done */

    r->main->blocked++;

    /*
     * a non-cancelable timer: a gracefully exiting worker waits for the
     * task's completion, and so answers the request
     */

    ss->wait.handler = ngx_http_s3_store_sync_wait;
    ss->wait.data = ss;
    ss->wait.log = r->connection->log;

    ngx_add_timer(&ss->wait, NGX_HTTP_S3_STORE_SYNC_WAIT);

    return NGX_OK;
}


/* in a thread of the pool: no log, no pool, only the calls */

static void
ngx_http_s3_store_sync_thread(void *data, ngx_log_t *log)
{
    ngx_http_s3_store_sync_t *ss = data;

    ngx_fd_t    fd;
    ngx_uint_t  i;

    for (i = 0; i < ss->n; i++) {

#if (NGX_HTTP_S3_FAULTS)

        switch (ss->faults[i]) {

        case NGX_HTTP_S3_FAULT_EIO:
            ss->err = EIO;
            break;

        case NGX_HTTP_S3_FAULT_ENOSPC:
            ss->err = NGX_ENOSPC;
            break;

        case NGX_HTTP_S3_FAULT_DELAY:
            ngx_msleep(NGX_HTTP_S3_FAULT_DELAY_MSEC);
            break;
        }

        if (ss->err) {
            ss->failed = i;
            ss->call = "fsync()";
            return;
        }

#endif

        if (i == 0) {
            fd = ss->fd;

        } else {
            fd = ngx_open_file(ss->paths[i], NGX_FILE_RDONLY, NGX_FILE_OPEN,
                               0);

            if (fd == NGX_INVALID_FILE) {
                ss->err = ngx_errno;
                ss->failed = i;
                ss->call = ngx_open_file_n;
                return;
            }
        }

        if (fsync(fd) == -1) {
            ss->err = ngx_errno;
            ss->failed = i;
            ss->call = "fsync()";
        }

        if (i > 0) {
            (void) ngx_close_file(fd);
        }

        if (ss->err) {
            return;
        }
    }
}


static void
ngx_http_s3_store_sync_wait(ngx_event_t *ev)
{
    ngx_http_s3_store_sync_t *ss = ev->data;

    ngx_log_error(NGX_LOG_WARN, ev->log, 0,
                  "s3 fsync of \"%s\" still running", ss->paths[0]);

    ngx_add_timer(ev, NGX_HTTP_S3_STORE_SYNC_WAIT);
}


/* in the event loop: the request goes on */

static void
ngx_http_s3_store_sync_done(ngx_event_t *ev)
{
    ngx_int_t                  rc;
    ngx_connection_t          *c;
    ngx_http_request_t        *r;
    ngx_http_s3_store_file_t  *sf;
    ngx_http_s3_store_sync_t  *ss;

    ss = ev->data;
    sf = ss->sf;
    r = sf->request;
    c = r->connection;

    ngx_http_set_log_request(c->log, r);

    ngx_log_debug2(NGX_LOG_DEBUG_HTTP, c->log, 0,
                   "s3 body file synced: \"%s\" err:%d",
                   sf->file.name.data, ss->err);

    r->main->blocked--;

    if (ss->wait.timer_set) {
        ngx_del_timer(&ss->wait);
    }

    if (ss->err) {
        sf->err = ss->err;
        ngx_log_error(NGX_LOG_CRIT, c->log, sf->err, "%s \"%s\" failed",
                      ss->call, ss->paths[ss->failed]);
        rc = NGX_ERROR;

    } else {
        rc = ngx_http_s3_store_close_file(sf);
    }

    if (c->error) {

        /*
         * terminated while blocked, or the stream is gone: no record
         * names the file, it goes with the request
         */

        ngx_http_s3_finalize(r, NGX_ERROR);
        return;
    }

    sf->handler(sf->data, rc);
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
    u_char     *path;
    ngx_err_t   err;

    path = sf->file.name.data;

    err = ngx_create_full_path(path, 0700);

    if (err) {
        ngx_log_error(NGX_LOG_CRIT, r->connection->log, err,
                      ngx_create_dir_n " \"%s\" failed", path);
        return NGX_ERROR;
    }

    /* made durable with the body, by its close */

    sf->new_dirs = 1;

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
