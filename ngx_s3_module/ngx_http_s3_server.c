
/*
 * Copyright (C) ngx_s3 authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_s3.h"
#include "ngx_http_s3_srv.h"


/*
 * The metadata process.  nginx's cache manager runs the manager callback
 * of the data directory's path; on the first call it opens LevelDB and
 * listens on <data>/run/meta.sock.  Requests are executed one at a time,
 * in order, each decided in one step against the database (compare and
 * set happens here, never in a worker).
 *
 * Only nginx's user may talk to it: the socket's directory is 0700, the
 * socket 0600, and a peer of another uid is refused (SO_PEERCRED).  Every
 * frame is still treated as hostile: the record decoder accepts only body
 * ids of the exact format, and no file name is ever taken from the wire.
 *
 * Told to quit, the process keeps serving until every worker has closed
 * its connection, so a graceful stop finishes the requests it accepted;
 * during a reload the new metadata process asks it to hand over at once
 * (OP_HANDOVER) and opens the database when it has exited.
 *
 * LevelDB keys (docs/on-disk-format.md has the whole schema):
 *
 *     F                      format version
 *     B <bucket>             bucket record
 *     O <bucket> \0 <key>    current version of an object (latest index)
 *     V <bucket> \0 <key> \0 <rev>         every version (versioning)
 *     N <bucket> \0 <key>    the sequence of the key's "null" version
 *     C <bucket>             the bucket's usage
 *     Q                      the last version sequence given out
 *     R <body id>            reference count of a body file
 *     U <bucket> \0 <key> \0 <upload id>    a multipart upload
 *     P <upload id> \0 <part number>        a part of an upload
 */


#define NGX_HTTP_S3_FORMAT_VERSION  "2"

#define NGX_HTTP_S3_REOPEN_DELAY    100
#define NGX_HTTP_S3_REOPEN_MAX      10000
#define NGX_HTTP_S3_STATS_EVERY     5000


static void ngx_http_s3_server_hook_channel(void);
static void ngx_http_s3_server_channel(ngx_event_t *ev);
static void ngx_http_s3_server_handover(ngx_http_s3_main_conf_t *smcf);
static void ngx_http_s3_reopen_handler(ngx_event_t *ev);
static void ngx_http_s3_stats_handler(ngx_event_t *ev);


typedef ngx_uint_t (*ngx_http_s3_op_pt)(ngx_http_s3_exec_t *ex);

/* by op number: the helpers' ranges have gaps, an op without one is NULL */

static ngx_http_s3_op_pt  ngx_http_s3_ops[NGX_HTTP_S3_WIRE_OP_LAST] = {
    [NGX_HTTP_S3_WIRE_OP_BUCKET_CREATE] = ngx_http_s3_op_bucket_create,
    [NGX_HTTP_S3_WIRE_OP_BUCKET_GET] = ngx_http_s3_op_bucket_get,
    [NGX_HTTP_S3_WIRE_OP_BUCKET_DELETE] = ngx_http_s3_op_bucket_delete,
    [NGX_HTTP_S3_WIRE_OP_BUCKET_LIST] = ngx_http_s3_op_bucket_list,
    [NGX_HTTP_S3_WIRE_OP_OBJECT_PUT] = ngx_http_s3_op_object_put,
    [NGX_HTTP_S3_WIRE_OP_OBJECT_GET] = ngx_http_s3_op_object_get,
    [NGX_HTTP_S3_WIRE_OP_OBJECT_DELETE] = ngx_http_s3_op_object_delete,
    [NGX_HTTP_S3_WIRE_OP_LIST] = ngx_http_s3_op_list,
    [NGX_HTTP_S3_WIRE_OP_UPLOAD_CREATE] = ngx_http_s3_op_upload_create,
    [NGX_HTTP_S3_WIRE_OP_UPLOAD_GET] = ngx_http_s3_op_upload_get,
    [NGX_HTTP_S3_WIRE_OP_PART_PUT] = ngx_http_s3_op_part_put,
    [NGX_HTTP_S3_WIRE_OP_UPLOAD_COMPLETE] = ngx_http_s3_op_upload_complete,
    [NGX_HTTP_S3_WIRE_OP_UPLOAD_ABORT] = ngx_http_s3_op_upload_abort,
    [NGX_HTTP_S3_WIRE_OP_PART_LIST] = ngx_http_s3_op_part_list,
    [NGX_HTTP_S3_WIRE_OP_UPLOAD_LIST] = ngx_http_s3_op_upload_list,
    [NGX_HTTP_S3_WIRE_OP_OBJECT_COPY] = ngx_http_s3_op_object_copy,
    [NGX_HTTP_S3_WIRE_OP_PART_COPY] = ngx_http_s3_op_part_copy,
    [NGX_HTTP_S3_WIRE_OP_USER_CREATE] = ngx_http_s3_op_user_create,
    [NGX_HTTP_S3_WIRE_OP_USER_LIST] = ngx_http_s3_op_user_list,
    [NGX_HTTP_S3_WIRE_OP_USER_DELETE] = ngx_http_s3_op_user_delete,
    [NGX_HTTP_S3_WIRE_OP_KEY_CREATE] = ngx_http_s3_op_key_create,
    [NGX_HTTP_S3_WIRE_OP_KEY_GET] = ngx_http_s3_op_key_get,
    [NGX_HTTP_S3_WIRE_OP_KEY_LIST] = ngx_http_s3_op_key_list,
    [NGX_HTTP_S3_WIRE_OP_KEY_STATUS] = ngx_http_s3_op_key_status,
    [NGX_HTTP_S3_WIRE_OP_KEY_DELETE] = ngx_http_s3_op_key_delete,
    [NGX_HTTP_S3_WIRE_OP_GRANT_SET] = ngx_http_s3_op_grant_set,
    [NGX_HTTP_S3_WIRE_OP_BUCKET_ACCESS] = ngx_http_s3_op_bucket_access,
    [NGX_HTTP_S3_WIRE_OP_BUCKET_ACCESS_LIST] =
        ngx_http_s3_op_bucket_access_list,
    [NGX_HTTP_S3_WIRE_OP_BUCKET_ACL_SET] = ngx_http_s3_op_bucket_acl_set,
    [NGX_HTTP_S3_WIRE_OP_SETTING_SET] = ngx_http_s3_op_setting_set,
    [NGX_HTTP_S3_WIRE_OP_SETTING_GET] = ngx_http_s3_op_setting_get,
    [NGX_HTTP_S3_WIRE_OP_VERSION_LIST] = ngx_http_s3_op_version_list,
    [NGX_HTTP_S3_WIRE_OP_BUCKET_VERSIONING] = ngx_http_s3_op_bucket_versioning,

    [NGX_HTTP_S3_WIRE_OP_OBJECT_PATCH] = ngx_http_s3_op_object_patch,
    [NGX_HTTP_S3_WIRE_OP_USAGE_GET] = ngx_http_s3_op_usage_get,
    [NGX_HTTP_S3_WIRE_OP_USAGE_LIST] = ngx_http_s3_op_usage_list,

    /* object lock */
    [NGX_HTTP_S3_WIRE_OP_LOCK_SET] = ngx_http_s3_op_lock_set,
    [NGX_HTTP_S3_WIRE_OP_LOCK_GET] = ngx_http_s3_op_lock_get,
};


/* for the log: what failed (a missing name is "request") */

static const char  *ngx_http_s3_op_names[NGX_HTTP_S3_WIRE_OP_LAST] = {
    NULL,
    NULL,
    "bucket create",
    "bucket get",
    "bucket delete",
    "bucket list",
    "object put",
    "object get",
    "object delete",
    "list",
    NULL,
    "upload create",
    "upload get",
    "part put",
    "upload complete",
    "upload abort",
    "part list",
    "upload list",

    [NGX_HTTP_S3_WIRE_OP_OBJECT_PATCH] = "object patch"
};


static ngx_http_s3_main_conf_t  *ngx_http_s3_server_conf;
static ngx_uint_t                ngx_http_s3_server_state;
static ngx_msec_t                ngx_http_s3_server_busy_since;
static ngx_event_handler_pt      ngx_http_s3_server_channel_handler;
static ngx_event_t               ngx_http_s3_reopen_ev;
static ngx_msec_t                ngx_http_s3_reopen_delay;
static ngx_uint_t                ngx_http_s3_reopen_waits;
static ngx_event_t               ngx_http_s3_stats_ev;

#define NGX_HTTP_S3_SERVER_CLOSED   0
#define NGX_HTTP_S3_SERVER_OPEN     1
#define NGX_HTTP_S3_SERVER_BROKEN   2


ngx_int_t
ngx_http_s3_server_open(ngx_cycle_t *cycle, ngx_http_s3_main_conf_t *smcf)
{
    ngx_int_t             rc;
    ngx_str_t             key, value;
    ngx_pool_t           *pool;
    ngx_http_s3_batch_t  *b;

    ngx_http_s3_server_conf = smcf;

    /* LevelDB's numbers for the metrics, from the first open on */

    if (ngx_http_s3_metrics_enabled()
        && ngx_http_s3_stats_ev.handler == NULL)
    {
        ngx_http_s3_stats_ev.handler = ngx_http_s3_stats_handler;
        ngx_http_s3_stats_ev.log = cycle->log;
        ngx_http_s3_stats_ev.cancelable = 1;
        ngx_http_s3_srv_add_timer(&ngx_http_s3_stats_ev, 1);
    }

    if (ngx_http_s3_srv_dir(cycle->log, &smcf->data, "db") != NGX_OK
        || ngx_http_s3_srv_dir(cycle->log, &smcf->data, "objects") != NGX_OK)
    {
        return NGX_ERROR;
    }

    rc = ngx_http_s3_engine_open(cycle->log, &smcf->data, smcf->fsync);

    if (rc != NGX_OK) {
        return rc;
    }

    /* the format version: written once, checked on every open */

    ngx_str_set(&key, "F");

    rc = ngx_http_s3_engine_get(cycle->log, &key, &value);

    if (rc == NGX_ERROR) {
        return NGX_ERROR;
    }

    if (rc == NGX_OK) {

        if (value.len == 1 && value.data[0] == NGX_HTTP_S3_FORMAT_VERSION[0]) {
            ngx_http_s3_engine_free(&value);

            if (ngx_http_s3_srv_usage_count(cycle->log) != NGX_OK) {
                return NGX_ERROR;
            }

            ngx_http_s3_srv_sweep_start(smcf, cycle->log);
            return ngx_http_s3_srv_keys_reseal(cycle->log);
        }

        if (value.len != 1 || value.data[0] != '1') {
            ngx_log_error(NGX_LOG_EMERG, cycle->log, 0,
                          "s3 metadata database in \"%V\" has format "
                          "\"%*s\", this module reads formats \"1\" and "
                          "\"" NGX_HTTP_S3_FORMAT_VERSION "\"", &smcf->data,
                          ngx_min(value.len, 16), value.data);
            ngx_http_s3_engine_free(&value);
            ngx_http_s3_engine_close();
            return NGX_ERROR;
        }

        ngx_http_s3_engine_free(&value);

        /* format 1 has no reference counts: they are made before serving */

        ngx_log_error(NGX_LOG_NOTICE, cycle->log, 0,
                      "s3 metadata database in \"%V\": format 1 becomes "
                      "format " NGX_HTTP_S3_FORMAT_VERSION, &smcf->data);

        if (ngx_http_s3_srv_refs_rebuild(cycle->log) != NGX_OK) {
            ngx_log_error(NGX_LOG_EMERG, cycle->log, 0,
                          "s3 metadata database in \"%V\" could not be "
                          "brought to format " NGX_HTTP_S3_FORMAT_VERSION,
                          &smcf->data);
            ngx_http_s3_engine_close();
            return NGX_ERROR;
        }
    }

    /* a pool of its own: the metadata thread reopens, cycle->pool is not */

    pool = ngx_create_pool(1024, cycle->log);
    if (pool == NULL) {
        return NGX_ERROR;
    }

    b = ngx_http_s3_engine_batch(pool);
    if (b == NULL) {
        ngx_destroy_pool(pool);
        return NGX_ERROR;
    }

    ngx_str_set(&value, NGX_HTTP_S3_FORMAT_VERSION);
    ngx_http_s3_batch_put(b, &key, &value);

    rc = ngx_http_s3_engine_write(cycle->log, b, "format version");

    ngx_destroy_pool(pool);

    if (rc != NGX_OK || ngx_http_s3_srv_usage_count(cycle->log) != NGX_OK) {
        return NGX_ERROR;
    }

    ngx_http_s3_srv_sweep_start(smcf, cycle->log);

    return ngx_http_s3_srv_keys_reseal(cycle->log);
}


/* master_process off: the single process exits */

void
ngx_http_s3_server_exit(void)
{
    ngx_http_s3_srv_trash_flush(1);
    ngx_http_s3_engine_close();
}


/*
 * The path manager, called in the cache manager process: open the
 * database (retrying while a previous helper still holds its lock during
 * a reload), then hand it and the socket to the metadata thread, which
 * serves from then on (ngx_http_s3_srv_loop.c): the cache manager's own
 * work (proxy_cache expiry, in slices of up to manager_threshold) no
 * longer holds up metadata requests.  The return value is when to be
 * called again.
 */

ngx_msec_t
ngx_http_s3_server_manager(void *data)
{
    ngx_http_s3_main_conf_t *smcf = data;

    ngx_int_t  rc;

    ngx_http_s3_server_hook_channel();

    if (ngx_http_s3_srv_loop_running()) {
        return 10000;
    }

    /* from now on the metadata work's timers are the thread's */
    ngx_http_s3_srv_loop_timers();

    if (ngx_http_s3_server_state == NGX_HTTP_S3_SERVER_CLOSED) {

        /*
         * what this process creates is for nginx's user alone: LevelDB's
         * files (it creates them 0644 less the umask), the socket
         */

        (void) umask(077);

        rc = ngx_http_s3_server_open((ngx_cycle_t *) ngx_cycle, smcf);

        if (rc == NGX_AGAIN) {

            /* the previous metadata process still runs: ask it to go */
            ngx_http_s3_server_handover(smcf);

            if (ngx_http_s3_server_busy_since == 0) {
                ngx_http_s3_server_busy_since = ngx_current_msec;

            } else if (ngx_current_msec - ngx_http_s3_server_busy_since
                       > 10000)
            {
                ngx_log_error(NGX_LOG_ALERT, ngx_cycle->log, 0,
                              "s3 metadata database in \"%V\" is still "
                              "locked by another process", &smcf->data);
                ngx_http_s3_server_busy_since = ngx_current_msec;
            }

            return 50;
        }

        if (rc == NGX_OK) {
            ngx_http_s3_server_state = NGX_HTTP_S3_SERVER_OPEN;

        } else {
            /*
             * serve anyway: workers then fail fast instead of timing out,
             * and the thread retries the open as after a failed write
             */
            ngx_http_s3_server_state = NGX_HTTP_S3_SERVER_BROKEN;
            ngx_http_s3_srv_reopen(ngx_cycle->log);
        }
    }

    if (ngx_http_s3_srv_loop_start((ngx_cycle_t *) ngx_cycle, smcf)
        != NGX_OK)
    {
        return 1000;
    }

    return 10000;
}


/*
 * <data>/<name>: a directory of nginx's user, 0700 (made so if it was
 * not: older versions left db/ 0755); anything else is fatal and loud
 */

ngx_int_t
ngx_http_s3_srv_dir(ngx_log_t *log, ngx_str_t *data, char *name)
{
    u_char           *p, path[NGX_MAX_PATH];
    ngx_uid_t         uid;
    ngx_file_info_t   fi;

    if (data->len + 1 + ngx_strlen(name) >= NGX_MAX_PATH) {
        ngx_log_error(NGX_LOG_EMERG, log, 0, "s3 data path too long");
        return NGX_ERROR;
    }

    p = ngx_cpymem(path, data->data, data->len);
    *p++ = '/';
    p = ngx_cpymem(p, name, ngx_strlen(name));
    *p = '\0';

    if (ngx_create_dir(path, 0700) == NGX_FILE_ERROR
        && ngx_errno != NGX_EEXIST)
    {
        ngx_log_error(NGX_LOG_EMERG, log, ngx_errno,
                      ngx_create_dir_n " \"%s\" failed", path);
        return NGX_ERROR;
    }

    /* it may be a symbolic link to another disk: follow it */

    if (ngx_file_info(path, &fi) == NGX_FILE_ERROR) {
        ngx_log_error(NGX_LOG_EMERG, log, ngx_errno,
                      ngx_file_info_n " \"%s\" failed", path);
        return NGX_ERROR;
    }

    if (!ngx_is_dir(&fi)) {
        ngx_log_error(NGX_LOG_EMERG, log, 0,
                      "s3 data: \"%s\" is not a directory", path);
        return NGX_ERROR;
    }

    uid = geteuid();

    if (fi.st_uid != uid) {
        ngx_log_error(NGX_LOG_EMERG, log, 0,
                      "s3 data: \"%s\" belongs to uid %d, not to nginx's "
                      "user (uid %d): chown -R the data directory to "
                      "nginx's user", path, (int) fi.st_uid, (int) uid);
        return NGX_ERROR;
    }

    if (ngx_file_access(&fi) & 077) {
        if (chmod((char *) path, 0700) == -1) {
            ngx_log_error(NGX_LOG_EMERG, log, ngx_errno,
                          "chmod(\"%s\", 0700) failed", path);
            return NGX_ERROR;
        }

        /* ngx_sprintf() has no octal */

        ngx_log_error(NGX_LOG_NOTICE, log, 0,
                      "s3 data: \"%s\" was mode 0%ui%ui%ui, now 0700", path,
                      (ngx_uint_t) (ngx_file_access(&fi) >> 6) & 7,
                      (ngx_uint_t) (ngx_file_access(&fi) >> 3) & 7,
                      (ngx_uint_t) ngx_file_access(&fi) & 7);
    }

    return NGX_OK;
}


/*
 * nginx's cache manager exits as soon as its channel says "quit".  Its
 * channel handler is wrapped: a quit becomes a linger while workers are
 * still connected (they may still send requests they accepted), unless a
 * new metadata process asks for the database (OP_HANDOVER).
 */

static void
ngx_http_s3_server_hook_channel(void)
{
    ngx_uint_t         i;
    ngx_connection_t  *c;

    if (ngx_http_s3_server_channel_handler || ngx_channel == -1) {
        return;
    }

    /* epoll has no cycle->files: find the channel's connection */

    c = ngx_cycle->connections;

    for (i = 0; i < ngx_cycle->connection_n; i++) {

        if (c[i].fd == ngx_channel && c[i].read
            && c[i].read->handler != ngx_http_s3_server_channel)
        {
            ngx_http_s3_server_channel_handler = c[i].read->handler;
            c[i].read->handler = ngx_http_s3_server_channel;
            return;
        }
    }
}


static void
ngx_http_s3_server_channel(ngx_event_t *ev)
{
    ngx_http_s3_server_channel_handler(ev);

    /*
     * the thread has finished (ngx_quit is its own, set by its wakeup:
     * another message of the master, closing the channel of a worker
     * that exited, must not clear it), or it never ran: exit
     */

    if (!ngx_quit || ngx_terminate || !ngx_http_s3_srv_loop_running()
        || ngx_http_s3_srv_loop_finished())
    {
        return;
    }

    /* the thread decides: it sets ngx_quit again when it is done */

    ngx_quit = 0;
    ngx_http_s3_srv_loop_quit();
}


static void
ngx_http_s3_server_handover(ngx_http_s3_main_conf_t *smcf)
{
    u_char               frame[NGX_HTTP_S3_WIRE_HEADER];
    ssize_t              n;
    ngx_socket_t         s;
    struct sockaddr_un   sun;

    ngx_memzero(&sun, sizeof(struct sockaddr_un));
    sun.sun_family = AF_UNIX;
    ngx_memcpy(sun.sun_path, smcf->socket.data, smcf->socket.len);

    s = ngx_socket(AF_UNIX, SOCK_STREAM, 0);
    if (s == (ngx_socket_t) -1) {
        return;
    }

    /* a blocking exchange is fine: this process serves nobody yet */

    frame[0] = 0;
    frame[1] = 0;
    frame[2] = 0;
    frame[3] = NGX_HTTP_S3_WIRE_HEADER - 4;
    frame[4] = 0;
    frame[5] = 0;
    frame[6] = 0;
    frame[7] = 0;
    frame[8] = NGX_HTTP_S3_WIRE_OP_HANDOVER;

    if (connect(s, (struct sockaddr *) &sun, sizeof(struct sockaddr_un))
        == 0)
    {
        /* not sent: the previous process has gone, or is going */

        n = write(s, frame, sizeof(frame));

        if (n != (ssize_t) sizeof(frame)) {
            ngx_log_debug1(NGX_LOG_DEBUG_HTTP, ngx_cycle->log, ngx_errno,
                           "s3 handover not sent: %z", n);
        }
    }

    ngx_close_socket(s);
}


/* one request: the reply body is appended to out */

ngx_int_t
ngx_http_s3_server_execute(ngx_log_t *log, uint32_t op, ngx_str_t *req,
    ngx_http_s3_wbuf_t *out, ngx_uint_t *status)
{
    ngx_http_s3_exec_t  ex;

    if (op == NGX_HTTP_S3_WIRE_OP_PING) {
        *status = NGX_HTTP_S3_WIRE_ST_OK;
        return NGX_OK;
    }

    if (op == NGX_HTTP_S3_WIRE_OP_HANDOVER) {
        *status = NGX_HTTP_S3_WIRE_ST_OK;

        if (ngx_http_s3_srv_quitting()) {
            ngx_log_error(NGX_LOG_NOTICE, log, 0,
                          "s3 metadata process hands over to its successor");
            ngx_http_s3_srv_loop_finish(log);
        }

        return NGX_OK;
    }

    if (op >= NGX_HTTP_S3_WIRE_OP_LAST || ngx_http_s3_ops[op] == NULL) {
        *status = NGX_HTTP_S3_WIRE_ST_BAD_REQUEST;
        return NGX_OK;
    }

    /*
     * a database that could not be opened fails every operation at its
     * first read (logged), as one that fails does
     */

    if (ngx_http_s3_srv_exec_init(&ex, log) != NGX_OK) {
        return NGX_ERROR;
    }

    ex.out = out;
    ngx_http_s3_rbuf_init(&ex.req, req);

    ngx_http_s3_engine_op(ngx_http_s3_op_names[op] ? ngx_http_s3_op_names[op]
                                                   : "request");

    ngx_http_s3_engine_request(1);
    *status = ngx_http_s3_ops[op](&ex);
    ngx_http_s3_engine_request(0);

    ngx_destroy_pool(ex.pool);

    if (ngx_http_s3_engine_write_failed()) {
        ngx_http_s3_srv_reopen(log);
    }

    return NGX_OK;
}


/*
 * After a failed write (or a failed reopen), the database is closed and
 * opened again a moment later: LevelDB recovers its log, drops a torn
 * record at its end, and takes writes again.  While the disk is too full
 * for that, the old handle is kept for reads and the reopen waits.
 */

void
ngx_http_s3_srv_reopen(ngx_log_t *log)
{
    if (ngx_http_s3_reopen_ev.timer_set) {
        return;
    }

    if (ngx_http_s3_reopen_ev.handler == NULL) {
        ngx_http_s3_reopen_ev.handler = ngx_http_s3_reopen_handler;
        ngx_http_s3_reopen_ev.log = ngx_cycle->log;
        ngx_http_s3_reopen_ev.cancelable = 1;
    }

    if (ngx_http_s3_reopen_delay == 0) {
        ngx_http_s3_reopen_delay = NGX_HTTP_S3_REOPEN_DELAY;
    }

    ngx_log_error(NGX_LOG_NOTICE, log, 0,
                  "s3 metadata database is reopened in %M ms",
                  ngx_http_s3_reopen_delay);

    ngx_http_s3_srv_add_timer(&ngx_http_s3_reopen_ev,
                              ngx_http_s3_reopen_delay);
}


static void
ngx_http_s3_reopen_handler(ngx_event_t *ev)
{
    off_t                     avail, need;
    ngx_int_t                 rc;
    ngx_http_s3_main_conf_t  *smcf;

    smcf = ngx_http_s3_server_conf;

    if (!ngx_http_s3_engine_write_failed() || ngx_exiting || ngx_quit) {
        ngx_http_s3_reopen_delay = 0;
        return;
    }

    if (ngx_http_s3_engine_room(ev->log, &avail, &need) != NGX_OK) {

        if (ngx_http_s3_reopen_waits++ % 60 == 0) {
            ngx_log_error(NGX_LOG_ERR, ev->log, 0,
                          "s3 metadata database waits for free space to "
                          "be reopened: %O bytes free, %O needed",
                          avail, need);
        }

        ngx_http_s3_srv_add_timer(ev, 1000);
        return;
    }

    ngx_http_s3_reopen_waits = 0;

    ngx_http_s3_engine_close();

    rc = ngx_http_s3_server_open((ngx_cycle_t *) ngx_cycle, smcf);

    if (rc == NGX_OK) {
        ngx_log_error(NGX_LOG_NOTICE, ev->log, 0,
                      "s3 metadata database reopened after a failed write");
        ngx_http_s3_reopen_delay = 0;
        ngx_http_s3_server_state = NGX_HTTP_S3_SERVER_OPEN;

        /* bodies in doubt can be decided now */
        ngx_http_s3_srv_trash_flush(0);

        return;
    }

    /* not open now: every request fails at once until this succeeds */

    ngx_http_s3_reopen_delay = ngx_min(ngx_http_s3_reopen_delay * 2,
                                       NGX_HTTP_S3_REOPEN_MAX);

    ngx_log_error(NGX_LOG_ERR, ev->log, 0,
                  "s3 metadata database not reopened, again in %M ms",
                  ngx_http_s3_reopen_delay);

    ngx_http_s3_srv_add_timer(ev, ngx_http_s3_reopen_delay);
}


ngx_int_t
ngx_http_s3_srv_exec_init(ngx_http_s3_exec_t *ex, ngx_log_t *log)
{
    ngx_memzero(ex, sizeof(ngx_http_s3_exec_t));

    ex->log = log;

    ex->pool = ngx_create_pool(4096, log);
    if (ex->pool == NULL) {
        return NGX_ERROR;
    }

    ex->batch = ngx_http_s3_engine_batch(ex->pool);
    if (ex->batch == NULL) {
        ngx_destroy_pool(ex->pool);
        return NGX_ERROR;
    }

    ngx_rbtree_init(&ex->refs, &ex->refs_sentinel,
                    ngx_str_rbtree_insert_value);

    return NGX_OK;
}


/* "<type><bucket>\0<key>", or "<type><bucket>" when key is NULL */

ngx_int_t
ngx_http_s3_srv_key(ngx_http_s3_exec_t *ex, ngx_str_t *out, u_char type,
    ngx_str_t *bucket, ngx_str_t *key)
{
    u_char  *p;

    out->len = 1 + bucket->len + (key ? 1 + key->len : 0);

    p = ngx_pnalloc(ex->pool, out->len + 1);
    if (p == NULL) {
        return NGX_ERROR;
    }

    out->data = p;

    *p++ = type;
    p = ngx_cpymem(p, bucket->data, bucket->len);

    if (key) {
        *p++ = '\0';
        ngx_memcpy(p, key->data, key->len);
    }

    return NGX_OK;
}


/* a value into the request's pool: NGX_OK, NGX_DECLINED, NGX_ERROR */

ngx_int_t
ngx_http_s3_srv_get_copy(ngx_http_s3_exec_t *ex, ngx_str_t *k, ngx_str_t *v)
{
    u_char     *p;
    ngx_int_t   rc;
    ngx_str_t   value;

    rc = ngx_http_s3_engine_get(ex->log, k, &value);

    if (rc != NGX_OK) {
        return rc;
    }

    p = ngx_pnalloc(ex->pool, value.len + 1);

    if (p == NULL) {
        ngx_http_s3_engine_free(&value);
        return NGX_ERROR;
    }

    ngx_memcpy(p, value.data, value.len);
    ngx_http_s3_engine_free(&value);

    v->data = p;
    v->len = value.len;

    return NGX_OK;
}


ngx_uint_t
ngx_http_s3_srv_bucket_exists(ngx_http_s3_exec_t *ex, ngx_str_t *bucket)
{
    ngx_int_t  rc;
    ngx_str_t  k, v;

    if (ngx_http_s3_srv_key(ex, &k, 'B', bucket, NULL) != NGX_OK) {
        return NGX_HTTP_S3_WIRE_ST_ERROR;
    }

    rc = ngx_http_s3_engine_get(ex->log, &k, &v);

    if (rc == NGX_OK) {
        ngx_http_s3_engine_free(&v);
        return NGX_HTTP_S3_WIRE_ST_OK;
    }

    return (rc == NGX_DECLINED) ? NGX_HTTP_S3_WIRE_ST_NO_BUCKET
                                : NGX_HTTP_S3_WIRE_ST_ERROR;
}


ngx_int_t
ngx_http_s3_srv_scan(ngx_http_s3_exec_t *ex, ngx_str_t *prefix,
    ngx_http_s3_scan_pt handler, void *data)
{
    ngx_int_t            rc;
    ngx_str_t            k, v;
    ngx_http_s3_iter_t  *it;

    it = ngx_http_s3_engine_iter();

    rc = NGX_OK;

    for (ngx_http_s3_iter_seek(it, prefix->data, prefix->len);
         ngx_http_s3_iter_valid(it);
         ngx_http_s3_iter_next(it))
    {
        ngx_http_s3_iter_key(it, &k);

        if (k.len < prefix->len
            || ngx_memcmp(k.data, prefix->data, prefix->len) != 0)
        {
            break;
        }

        ngx_http_s3_iter_value(it, &v);

        rc = handler(ex, &k, &v, data);

        if (rc != NGX_OK) {
            break;
        }
    }

    if (rc == NGX_OK && !ngx_http_s3_iter_valid(it)
        && ngx_http_s3_iter_status(ex->log, it) != NGX_OK)
    {
        /* a failed read is not the end of the records */
        rc = NGX_ERROR;
    }

    ngx_http_s3_iter_destroy(it);

    return (rc == NGX_ERROR) ? NGX_ERROR : NGX_OK;
}


ngx_http_s3_main_conf_t *
ngx_http_s3_srv_conf(void)
{
    return ngx_http_s3_server_conf;
}


void
ngx_http_s3_srv_access_changed(void)
{
    ngx_http_s3_main_conf_t  *smcf;

    smcf = ngx_http_s3_server_conf;

    if (smcf && smcf->access_gen) {
        (void) ngx_atomic_fetch_add(smcf->access_gen, 1);
    }
}


ngx_uint_t
ngx_http_s3_srv_serving(void)
{
    /* not while a failed write waits for the reopen: reads may lag */

    if (ngx_http_s3_engine_write_failed()) {
        return 0;
    }

    /* master_process off: the database was opened at start, or nginx quit */

    if (ngx_process == NGX_PROCESS_SINGLE) {
        return 1;
    }

    return ngx_http_s3_server_state == NGX_HTTP_S3_SERVER_OPEN
           && !ngx_http_s3_srv_quitting();
}


/* every few seconds: what LevelDB says about itself, into the metrics */

static void
ngx_http_s3_stats_handler(ngx_event_t *ev)
{
    ngx_http_s3_engine_stats_t  st;

    if (ngx_http_s3_engine_stats(ev->log, &st) == NGX_OK) {
        ngx_http_s3_metrics_engine(&st);
    }

    ngx_http_s3_srv_add_timer(ev, NGX_HTTP_S3_STATS_EVERY);
}
