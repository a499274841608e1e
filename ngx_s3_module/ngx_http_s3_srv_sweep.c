
/*
 * Copyright (C) ngx_s3 authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_s3.h"
#include "ngx_http_s3_srv.h"


/*
 * Background work of the metadata process: the orphan sweep and the
 * expiry of stale multipart uploads.
 *
 * The orphan sweep.  A body file can outlive
 * every record that names it: a crash between its fsync and the commit
 * of its record, or a kill -9 of this process while a body whose count
 * reached 0 waited for its delayed unlink.  The sweep walks
 * <data>/objects/ab/cd/ at start and then every s3_orphan_grace, a few
 * hundred entries per timer event so that requests are served between
 * the steps, and removes a body file that no "R" record counts if its
 * mtime is older than s3_orphan_grace: a body being uploaded, whose
 * record is not committed yet, is younger than that.
 *
 * Requests and steps run one at a time in this process, so a count read
 * by a step is the committed one.  Nothing but files named by a body id
 * in the fan-out directory of that id is touched: bodies are written at
 * their final name, there are no temporary files to collect.
 */


#define NGX_HTTP_S3_SWEEP_STEP      256      /* entries per event */
#define NGX_HTTP_S3_SWEEP_DELAY     10       /* ms between steps */
#define NGX_HTTP_S3_SWEEP_FIRST     1        /* ms from the open */


typedef struct {
    ngx_event_t                ev;
    ngx_http_s3_main_conf_t   *smcf;

    ngx_uint_t                 depth;       /* directories open */
    ngx_dir_t                  dir[3];      /* objects/, ab/, cd/ */
    size_t                     len[3];      /* of their paths */
    u_char                    *path;        /* <data>/objects/ab/cd/<id> */

    ngx_uint_t                 files;       /* this pass */
    ngx_uint_t                 removed;
    ngx_msec_t                 start;
} ngx_http_s3_sweep_t;


static void ngx_http_s3_sweep_handler(ngx_event_t *ev);
static ngx_int_t ngx_http_s3_sweep_open(ngx_http_s3_sweep_t *sw,
    u_char *name, size_t len);
static void ngx_http_s3_sweep_file(ngx_http_s3_sweep_t *sw,
    ngx_dir_t *dir, u_char *name, size_t len);
static void ngx_http_s3_sweep_done(ngx_http_s3_sweep_t *sw);
static ngx_uint_t ngx_http_s3_sweep_hex(u_char *p, size_t len);


/*
 * The expiry of multipart uploads initiated more than s3_multipart_expiry
 * ago (S3's AbortIncompleteMultipartUpload, for every bucket): the "U"
 * records are walked in steps of NGX_HTTP_S3_EXPIRY_STEP, at start and
 * then every s3_multipart_expiry (at most every hour), and an expired
 * upload goes with its parts, their bodies' counts lowered, in one batch
 * each, as AbortMultipartUpload does.
 */

#define NGX_HTTP_S3_EXPIRY_STEP     64       /* uploads per event */
#define NGX_HTTP_S3_EXPIRY_PASS     3600     /* s, at most between passes */


typedef struct {
    ngx_event_t                ev;
    ngx_http_s3_main_conf_t   *smcf;

    u_char                    *cursor;      /* seek here: past the last */
    size_t                     cursor_len;
    size_t                     cursor_size;

    ngx_uint_t                 seen;        /* this pass */
    ngx_uint_t                 expired;
} ngx_http_s3_expiry_t;


typedef struct {
    ngx_str_t                  key;         /* of the upload record */
    uint64_t                   mtime;       /* its initiation */
} ngx_http_s3_expired_t;


static void ngx_http_s3_expiry_handler(ngx_event_t *ev);
static ngx_int_t ngx_http_s3_expiry_drop(ngx_http_s3_expiry_t *ex,
    ngx_str_t *ukey, uint64_t mtime);
static void ngx_http_s3_expiry_done(ngx_http_s3_expiry_t *ex);


static ngx_http_s3_sweep_t   ngx_http_s3_sweep;
static ngx_http_s3_expiry_t  ngx_http_s3_expiry;

/* timer events log the fd of their data: a connection of none, as nginx's */
static ngx_connection_t      ngx_http_s3_sweep_dumb;


void
ngx_http_s3_srv_sweep_start(ngx_http_s3_main_conf_t *smcf, ngx_log_t *log)
{
    ngx_http_s3_sweep_t   *sw;
    ngx_http_s3_expiry_t  *ex;

    sw = &ngx_http_s3_sweep;
    ex = &ngx_http_s3_expiry;

    if (smcf->multipart_expiry && ex->smcf == NULL) {
        ex->smcf = smcf;

        ngx_http_s3_sweep_dumb.fd = (ngx_socket_t) -1;

        ex->ev.handler = ngx_http_s3_expiry_handler;
        ex->ev.data = &ngx_http_s3_sweep_dumb;
        ex->ev.log = log;
        ex->ev.cancelable = 1;

        ngx_http_s3_srv_add_timer(&ex->ev, NGX_HTTP_S3_SWEEP_FIRST);
    }

    if (smcf->orphan_grace == 0 || sw->smcf) {
        return;
    }

    /* <data>/objects/ab/cd/<id>, and room for a longer foreign name */

    sw->path = ngx_alloc(smcf->data.len + sizeof("/objects/ab/cd/")
                         + NGX_MAX_PATH, log);
    if (sw->path == NULL) {
        return;
    }

    sw->smcf = smcf;

    ngx_http_s3_sweep_dumb.fd = (ngx_socket_t) -1;

    sw->ev.handler = ngx_http_s3_sweep_handler;
    sw->ev.data = &ngx_http_s3_sweep_dumb;
    sw->ev.log = log;
    sw->ev.cancelable = 1;

    ngx_http_s3_srv_add_timer(&sw->ev, NGX_HTTP_S3_SWEEP_FIRST);
}


static void
ngx_http_s3_sweep_handler(ngx_event_t *ev)
{
    u_char               *name;
    size_t                len;
    ngx_dir_t            *dir;
    ngx_uint_t            budget;
    ngx_http_s3_sweep_t  *sw;

    sw = &ngx_http_s3_sweep;

    if (ngx_quit || ngx_terminate || ngx_exiting
        || !ngx_http_s3_srv_serving())
    {
        while (sw->depth) {
            (void) ngx_close_dir(&sw->dir[--sw->depth]);
        }

        return;
    }

    if (sw->depth == 0) {

        /* a new pass */

        sw->files = 0;
        sw->removed = 0;
        sw->start = ngx_current_msec;

        if (ngx_http_s3_sweep_open(sw, NULL, 0) != NGX_OK) {
            ngx_http_s3_sweep_done(sw);
            return;
        }
    }

    for (budget = NGX_HTTP_S3_SWEEP_STEP; budget; /* void */) {

        dir = &sw->dir[sw->depth - 1];

        ngx_set_errno(0);

        if (ngx_read_dir(dir) != NGX_OK) {

            if (ngx_errno != 0 && ngx_errno != NGX_ENOMOREFILES) {
                ngx_log_error(NGX_LOG_ERR, ev->log, ngx_errno,
                              ngx_read_dir_n " \"%*s\" failed",
                              sw->len[sw->depth - 1], sw->path);
            }

            (void) ngx_close_dir(dir);

            if (--sw->depth == 0) {
                ngx_http_s3_sweep_done(sw);
                return;
            }

            continue;
        }

        name = ngx_de_name(dir);
        len = ngx_de_namelen(dir);

        if (name[0] == '.') {
            continue;
        }

        budget--;

        if (sw->depth < 3) {

            /* a fan-out directory: two lowercase hex characters */

            if (len == 2 && ngx_http_s3_sweep_hex(name, 2)) {
                (void) ngx_http_s3_sweep_open(sw, name, len);
            }

            continue;
        }

        ngx_http_s3_sweep_file(sw, dir, name, len);
    }

    ngx_http_s3_srv_add_timer(ev, NGX_HTTP_S3_SWEEP_DELAY);
}


/* the objects/ directory (name NULL) or a fan-out directory in the last */

static ngx_int_t
ngx_http_s3_sweep_open(ngx_http_s3_sweep_t *sw, u_char *name, size_t len)
{
    u_char                   *p;
    ngx_str_t                 path;
    ngx_http_s3_main_conf_t  *smcf;

    smcf = sw->smcf;

    if (name == NULL) {
        p = ngx_cpymem(sw->path, smcf->data.data, smcf->data.len);
        p = ngx_cpymem(p, "/objects", sizeof("/objects") - 1);

    } else {
        p = sw->path + sw->len[sw->depth - 1];
        *p++ = '/';
        p = ngx_cpymem(p, name, len);
    }

    *p = '\0';

    path.data = sw->path;
    path.len = p - sw->path;

    if (ngx_open_dir(&path, &sw->dir[sw->depth]) != NGX_OK) {

        if (ngx_errno != NGX_ENOENT) {
            ngx_log_error(NGX_LOG_ERR, sw->ev.log, ngx_errno,
                          ngx_open_dir_n " \"%s\" failed", path.data);
        }

        return NGX_ERROR;
    }

    sw->len[sw->depth++] = path.len;

    return NGX_OK;
}


static void
ngx_http_s3_sweep_file(ngx_http_s3_sweep_t *sw, ngx_dir_t *dir,
    u_char *name, size_t len)
{
    u_char     *p, *key;
    size_t      l1;
    ngx_int_t   rc;
    ngx_str_t   id, k, v;

    /* a body id, in the fan-out directories of its first characters */

    l1 = sw->len[0];

    id.data = name;
    id.len = len;

    if (!ngx_http_s3_valid_body_id(&id)
        || ngx_memcmp(sw->path + l1 + 1, name, 2) != 0
        || ngx_memcmp(sw->path + l1 + 4, name + 2, 2) != 0)
    {
        ngx_log_debug2(NGX_LOG_DEBUG_HTTP, sw->ev.log, 0,
                       "s3 sweep: \"%*s\" is no body file, left alone",
                       len, name);
        return;
    }

    sw->files++;

    p = sw->path + sw->len[2];
    *p++ = '/';
    p = ngx_cpymem(p, name, len);
    *p = '\0';

    if (ngx_de_link_info(sw->path, dir) == NGX_FILE_ERROR) {
        if (ngx_errno != NGX_ENOENT) {
            ngx_log_error(NGX_LOG_ERR, sw->ev.log, ngx_errno,
                          ngx_de_link_info_n " \"%s\" failed", sw->path);
        }

        return;
    }

    if (!ngx_de_is_file(dir)
        || ngx_time() - ngx_de_mtime(dir) < sw->smcf->orphan_grace)
    {
        return;
    }

    /* named by a record: counted */

    key = sw->path + sw->len[2];        /* "/<id>": 'R' over the slash */
    key[0] = 'R';

    k.data = key;
    k.len = 1 + len;

    rc = ngx_http_s3_engine_get(sw->ev.log, &k, &v);

    key[0] = '/';

    if (rc == NGX_OK) {
        ngx_http_s3_engine_free(&v);
        return;
    }

    if (rc == NGX_ERROR) {
        return;
    }

    /* its count reached 0 a moment ago: the delayed unlink removes it */

    if (ngx_http_s3_srv_unlink_pending(&id)) {
        return;
    }

    if (ngx_delete_file(sw->path) == NGX_FILE_ERROR) {
        if (ngx_errno != NGX_ENOENT) {
            ngx_log_error(NGX_LOG_CRIT, sw->ev.log, ngx_errno,
                          ngx_delete_file_n " \"%s\" failed", sw->path);
        }

        return;
    }

    sw->removed++;

    ngx_log_error(NGX_LOG_NOTICE, sw->ev.log, 0,
                  "s3 metadata: orphan body file \"%s\" removed (no record "
                  "names it, modified %T s ago)", sw->path,
                  ngx_time() - ngx_de_mtime(dir));
}


static void
ngx_http_s3_sweep_done(ngx_http_s3_sweep_t *sw)
{
    ngx_log_error(NGX_LOG_INFO, sw->ev.log, 0,
                  "s3 metadata: orphan sweep: %ui body files, %ui removed, "
                  "%M ms", sw->files, sw->removed,
                  ngx_current_msec - sw->start);

    ngx_http_s3_srv_add_timer(&sw->ev,
                              (ngx_msec_t) sw->smcf->orphan_grace * 1000);
}


/* lowercase hex only, as body ids and their directories are named */

static ngx_uint_t
ngx_http_s3_sweep_hex(u_char *p, size_t len)
{
    while (len--) {
        if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f'))) {
            return 0;
        }

        p++;
    }

    return 1;
}


static void
ngx_http_s3_expiry_handler(ngx_event_t *ev)
{
    u_char                 *p;
    size_t                  size;
    uint64_t                limit, now;
    ngx_str_t               k, v;
    ngx_uint_t              i, n, end;
    ngx_pool_t             *pool;
    ngx_array_t            *keys;
    ngx_http_s3_iter_t     *it;
    ngx_http_s3_expiry_t   *ex;
    ngx_http_s3_object_t    u;
    ngx_http_s3_expired_t  *e;

    ex = &ngx_http_s3_expiry;

    if (ngx_quit || ngx_terminate || ngx_exiting
        || !ngx_http_s3_srv_serving())
    {
        return;
    }

    pool = ngx_create_pool(4096, ev->log);
    if (pool == NULL) {
        ngx_http_s3_srv_add_timer(ev, 1000);
        return;
    }

    keys = ngx_array_create(pool, 8, sizeof(ngx_http_s3_expired_t));
    if (keys == NULL) {
        goto failed;
    }

    if (ex->cursor_len == 0) {
        ex->seen = 0;
        ex->expired = 0;
    }

    now = (uint64_t) ngx_time() * 1000;
    limit = (uint64_t) ex->smcf->multipart_expiry * 1000;

    end = 1;
    n = 0;

    it = ngx_http_s3_engine_iter();

    if (ex->cursor_len) {
        ngx_http_s3_iter_seek(it, ex->cursor, ex->cursor_len);

    } else {
        ngx_http_s3_iter_seek(it, (u_char *) "U", 1);
    }

    for ( /* void */ ; ngx_http_s3_iter_valid(it); ngx_http_s3_iter_next(it))
    {
        ngx_http_s3_iter_key(it, &k);

        if (k.len == 0 || k.data[0] != 'U') {
            break;
        }

        if (n++ == NGX_HTTP_S3_EXPIRY_STEP) {
            end = 0;
            break;
        }

        ex->seen++;

        /* the next step starts past this key */

        if (k.len + 1 > ex->cursor_size) {
            size = ngx_max(k.len + 1, 2 * ex->cursor_size);
            p = ngx_alloc(size, ev->log);
            if (p == NULL) {
                end = 0;
                break;
            }

            ngx_free(ex->cursor);
            ex->cursor = p;
            ex->cursor_size = size;
        }

        p = ngx_cpymem(ex->cursor, k.data, k.len);
        *p = '\0';
        ex->cursor_len = k.len + 1;

        ngx_http_s3_iter_value(it, &v);

        if (ngx_http_s3_object_decode(&v, &u, NULL) != NGX_OK
            || u.mtime + limit >= now)
        {
            continue;
        }

        e = ngx_array_push(keys);
        if (e == NULL) {
            end = 0;
            break;
        }

        e->key.data = ngx_pstrdup(pool, &k);
        e->key.len = k.len;
        e->mtime = u.mtime;

        if (e->key.data == NULL) {
            end = 0;
            break;
        }
    }

    if (end && !ngx_http_s3_iter_valid(it)
        && ngx_http_s3_iter_status(ev->log, it) != NGX_OK)
    {
        ngx_http_s3_iter_destroy(it);
        goto failed;
    }

    ngx_http_s3_iter_destroy(it);

    /* the iterator is gone: now the writes */

    e = keys->elts;

    for (i = 0; i < keys->nelts; i++) {
        (void) ngx_http_s3_expiry_drop(ex, &e[i].key, e[i].mtime);
    }

    ngx_destroy_pool(pool);

    if (end) {
        ngx_http_s3_expiry_done(ex);
        return;
    }

    ngx_http_s3_srv_add_timer(ev, NGX_HTTP_S3_SWEEP_DELAY);

    return;

failed:

    ngx_destroy_pool(pool);
    ex->cursor_len = 0;
    ngx_http_s3_srv_add_timer(ev, 1000);
}


/* "U<bucket>\0<key>\0<upload id>": the upload and its parts go */

static ngx_int_t
ngx_http_s3_expiry_drop(ngx_http_s3_expiry_t *ex, ngx_str_t *ukey,
    uint64_t mtime)
{
    u_char              *p;
    ngx_str_t            id, bucket;
    ngx_array_t         *parts;
    ngx_http_s3_exec_t   x;

    if (ukey->len < 1 + 1 + 1 + NGX_HTTP_S3_BODY_ID_LEN
        || ukey->data[ukey->len - NGX_HTTP_S3_BODY_ID_LEN - 1] != '\0')
    {
        return NGX_DECLINED;
    }

    id.data = ukey->data + ukey->len - NGX_HTTP_S3_BODY_ID_LEN;
    id.len = NGX_HTTP_S3_BODY_ID_LEN;

    p = ngx_strlchr(ukey->data + 1, ukey->data + ukey->len, '\0');

    bucket.data = ukey->data + 1;
    bucket.len = p - bucket.data;

    if (ngx_http_s3_srv_exec_init(&x, ex->ev.log) != NGX_OK) {
        return NGX_ERROR;
    }

    if (ngx_http_s3_srv_parts(&x, &id, &parts) != NGX_OK
        || ngx_http_s3_srv_drop_upload(&x, ukey, parts) != NGX_OK
        || ngx_http_s3_srv_commit(&x, "expired multipart upload") != NGX_OK)
    {
        ngx_destroy_pool(x.pool);
        return NGX_ERROR;
    }

    ex->expired++;

    ngx_log_error(NGX_LOG_NOTICE, ex->ev.log, 0,
                  "s3 metadata: multipart upload \"%V\" in bucket \"%V\" "
                  "expired (initiated %uL s ago), %ui parts removed", &id,
                  &bucket, ((uint64_t) ngx_time() * 1000 - mtime) / 1000,
                  parts->nelts);

    ngx_destroy_pool(x.pool);

    return NGX_OK;
}


static void
ngx_http_s3_expiry_done(ngx_http_s3_expiry_t *ex)
{
    time_t  next;

    ngx_log_error(NGX_LOG_INFO, ex->ev.log, 0,
                  "s3 metadata: multipart expiry: %ui uploads, %ui expired",
                  ex->seen, ex->expired);

    ex->cursor_len = 0;

    next = ngx_min(ex->smcf->multipart_expiry, NGX_HTTP_S3_EXPIRY_PASS);

    ngx_http_s3_srv_add_timer(&ex->ev, (ngx_msec_t) ngx_max(next, 1) * 1000);
}
