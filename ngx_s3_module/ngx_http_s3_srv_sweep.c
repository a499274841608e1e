
/*
 * Copyright (C) ngx_s3 authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_s3.h"
#include "ngx_http_s3_srv.h"


/*
 * The orphan sweep of the metadata process.  A body file can outlive
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


static ngx_http_s3_sweep_t  ngx_http_s3_sweep;


void
ngx_http_s3_srv_sweep_start(ngx_http_s3_main_conf_t *smcf, ngx_log_t *log)
{
    ngx_http_s3_sweep_t  *sw;

    sw = &ngx_http_s3_sweep;

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

    sw->ev.handler = ngx_http_s3_sweep_handler;
    sw->ev.data = sw;
    sw->ev.log = log;
    sw->ev.cancelable = 1;

    ngx_add_timer(&sw->ev, NGX_HTTP_S3_SWEEP_FIRST);
}


static void
ngx_http_s3_sweep_handler(ngx_event_t *ev)
{
    u_char               *name;
    size_t                len;
    ngx_dir_t            *dir;
    ngx_uint_t            budget;
    ngx_http_s3_sweep_t  *sw;

    sw = ev->data;

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

    ngx_add_timer(ev, NGX_HTTP_S3_SWEEP_DELAY);
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

    ngx_add_timer(&sw->ev, (ngx_msec_t) sw->smcf->orphan_grace * 1000);
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
