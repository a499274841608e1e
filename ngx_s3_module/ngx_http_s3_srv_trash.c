
/*
 * Copyright (C) ngx_s3 authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_s3.h"
#include "ngx_http_s3_srv.h"


/*
 * Body files of the metadata process: unlinked a moment after the write
 * that took their last name, or, when a write failed, decided once the
 * database can be read again.  In a group commit (the metadata thread's
 * pass over its sockets) nothing is decided before the group is durable:
 * a body is kept pending until the group's sync, then unlinked when due
 * (the sync succeeded) or in doubt (it failed: the writes may or may not
 * be there after the reopen).
 */


#define NGX_HTTP_S3_UNLINK_DELAY    2000
#define NGX_HTTP_S3_DOUBT_DELAY     100
#define NGX_HTTP_S3_DOUBT_RETRY     250


/*
 * A body file to unlink when it is due; or, with a key ("R<id>"), a body
 * in doubt: unlinked only once the database can be read and has no
 * reference count for it.
 */

typedef struct {
    ngx_queue_t                queue;
    ngx_msec_t                 when;
    ngx_str_t                  key;
    ngx_str_t                  body;
    ngx_uint_t                 visible;     /* readers may have opened it */
    ngx_uint_t                 unlink;      /* pending: unlink if durable */
    u_char                     path[1];
} ngx_http_s3_trash_t;

static void ngx_http_s3_trash_init(void);
static ngx_http_s3_trash_t *ngx_http_s3_trash_doubt(ngx_http_s3_exec_t *ex,
    ngx_str_t *body, ngx_uint_t visible);
static ngx_http_s3_trash_t *ngx_http_s3_trash_alloc(ngx_log_t *log,
    ngx_str_t *body, ngx_str_t *key);
static void ngx_http_s3_trash_add(ngx_http_s3_trash_t *t, ngx_msec_t delay);
static ngx_uint_t ngx_http_s3_trash_find(ngx_queue_t *queue, ngx_str_t *id);
static void ngx_http_s3_trash_handler(ngx_event_t *ev);
static ngx_int_t ngx_http_s3_trash_named(ngx_http_s3_trash_t *t);


static ngx_queue_t          ngx_http_s3_trash;
static ngx_queue_t          ngx_http_s3_trash_pending;
static ngx_event_t          ngx_http_s3_trash_ev;
static ngx_uint_t           ngx_http_s3_trash_group;


static void
ngx_http_s3_trash_init(void)
{
    if (ngx_http_s3_trash_ev.handler) {
        return;
    }

    ngx_queue_init(&ngx_http_s3_trash);
    ngx_queue_init(&ngx_http_s3_trash_pending);
    ngx_http_s3_trash_ev.handler = ngx_http_s3_trash_handler;
    ngx_http_s3_trash_ev.log = ngx_cycle->log;
    ngx_http_s3_trash_ev.cancelable = 1;
}


/* a group's writes begin: bodies wait for its sync */

void
ngx_http_s3_srv_trash_begin(void)
{
    ngx_http_s3_trash_init();
    ngx_http_s3_trash_group = 1;
}


/*
 * The group's sync is done: if it is durable, bodies that lost their last
 * name are unlinked when due; if not, every body whose references the
 * group changed is in doubt, decided after the reopen
 */

void
ngx_http_s3_srv_trash_end(ngx_uint_t durable)
{
    ngx_queue_t          *q;
    ngx_http_s3_trash_t  *t;

    ngx_http_s3_trash_group = 0;

    while (!ngx_queue_empty(&ngx_http_s3_trash_pending)) {
        q = ngx_queue_head(&ngx_http_s3_trash_pending);
        ngx_queue_remove(q);

        t = ngx_queue_data(q, ngx_http_s3_trash_t, queue);

        if (!durable) {
            t->unlink = 0;
            ngx_http_s3_trash_add(t, NGX_HTTP_S3_DOUBT_DELAY);
            continue;
        }

        if (t->unlink) {
            t->key.len = 0;
            ngx_http_s3_trash_add(t, NGX_HTTP_S3_UNLINK_DELAY);
            continue;
        }

        ngx_free(t);
    }
}


/*
 * A body whose references a write of the group changed (unlink: it lost
 * its last name): decided by the group's sync.  Outside a group, nothing.
 */

void
ngx_http_s3_srv_pending_body(ngx_http_s3_exec_t *ex, ngx_str_t *body,
    ngx_uint_t visible, ngx_uint_t unlink)
{
    ngx_http_s3_trash_t  *t;

    if (!ngx_http_s3_trash_group) {
        return;
    }

    t = ngx_http_s3_trash_doubt(ex, body, visible);
    if (t == NULL) {
        return;
    }

    t->unlink = unlink;

    ngx_queue_insert_tail(&ngx_http_s3_trash_pending, &t->queue);
}


/*
 * A body that no record names any more is unlinked a moment after the
 * commit, not at once: a GET that read a record naming it just before
 * still opens the file (after the open, POSIX keeps it readable).
 */

void
ngx_http_s3_srv_unlink_body(ngx_http_s3_exec_t *ex, ngx_str_t *id)
{
    ngx_http_s3_trash_t  *t;

    /* a file name is made of it: nothing but its exact form */

    if (!ngx_http_s3_valid_body_id(id)) {
        return;
    }

    /* in a group: only once the group is durable */

    if (ngx_http_s3_trash_group) {
        ngx_http_s3_srv_pending_body(ex, id, 1, 1);
        return;
    }

    t = ngx_http_s3_trash_alloc(ex->log, id, NULL);
    if (t == NULL) {
        return;
    }

    ngx_http_s3_trash_add(t, NGX_HTTP_S3_UNLINK_DELAY);
}


/*
 * A write failed, or a read before it: a body that the request added or
 * would have left without a name is unlinked once the database can be
 * read again and shows no reference to it ("R<id>" absent: the write did
 * not reach the log, or reached it and took the last reference).  The
 * worker keeps a body whose commit failed: this decides.  A body readers
 * may have opened (visible) waits the usual delay after that.
 */

void
ngx_http_s3_srv_doubt_body(ngx_http_s3_exec_t *ex, ngx_str_t *body,
    ngx_uint_t visible)
{
    ngx_http_s3_trash_t  *t;

    t = ngx_http_s3_trash_doubt(ex, body, visible);
    if (t == NULL) {
        return;
    }

    ngx_http_s3_trash_add(t, NGX_HTTP_S3_DOUBT_DELAY);
}


/* an entry for a body in doubt: its reference count ("R<id>") decides */

static ngx_http_s3_trash_t *
ngx_http_s3_trash_doubt(ngx_http_s3_exec_t *ex, ngx_str_t *body,
    ngx_uint_t visible)
{
    u_char               *p;
    ngx_str_t             key;
    ngx_http_s3_trash_t  *t;

    if (!ngx_http_s3_valid_body_id(body)) {
        return NULL;
    }

    p = ngx_pnalloc(ex->pool, 1 + body->len);
    if (p == NULL) {
        return NULL;
    }

    p[0] = 'R';
    ngx_memcpy(p + 1, body->data, body->len);

    key.data = p;
    key.len = 1 + body->len;

    t = ngx_http_s3_trash_alloc(ex->log, body, &key);
    if (t == NULL) {
        ngx_log_error(NGX_LOG_ALERT, ex->log, 0,
                      "s3 body %V left behind", body);
        return NULL;
    }

    t->visible = visible;

    return t;
}


static ngx_http_s3_trash_t *
ngx_http_s3_trash_alloc(ngx_log_t *log, ngx_str_t *body, ngx_str_t *key)
{
    u_char                   *p;
    size_t                    len;
    ngx_http_s3_trash_t      *t;
    ngx_http_s3_main_conf_t  *smcf;

    smcf = ngx_http_s3_srv_conf();

    len = smcf->data.len + 48 + body->len + (key ? key->len : 0);

    t = ngx_alloc(sizeof(ngx_http_s3_trash_t) + len, log);
    if (t == NULL) {
        return NULL;
    }

    if (ngx_http_s3_body_path(smcf, t->path, body) == NULL) {
        ngx_free(t);
        return NULL;
    }

    p = t->path + smcf->data.len + 48;

    t->body.data = p;
    t->body.len = body->len;
    p = ngx_cpymem(p, body->data, body->len);

    t->key.data = p;
    t->key.len = 0;

    if (key) {
        t->key.len = key->len;
        ngx_memcpy(p, key->data, key->len);
    }

    t->visible = 0;
    t->unlink = 0;

    return t;
}


/* in the order they are due */

static void
ngx_http_s3_trash_add(ngx_http_s3_trash_t *t, ngx_msec_t delay)
{
    ngx_queue_t          *q;
    ngx_http_s3_trash_t  *prev;

    ngx_http_s3_trash_init();

    t->when = ngx_current_msec + delay;

    for (q = ngx_queue_last(&ngx_http_s3_trash);
         q != ngx_queue_sentinel(&ngx_http_s3_trash);
         q = ngx_queue_prev(q))
    {
        prev = ngx_queue_data(q, ngx_http_s3_trash_t, queue);

        if ((ngx_msec_int_t) (t->when - prev->when) >= 0) {
            break;
        }
    }

    /* after q: the last entry due before it, or the sentinel */

    ngx_queue_insert_after(q, &t->queue);

    if (ngx_queue_head(&ngx_http_s3_trash) == &t->queue) {
        ngx_http_s3_srv_add_timer(&ngx_http_s3_trash_ev, delay);
    }
}


ngx_uint_t
ngx_http_s3_srv_unlink_pending(ngx_str_t *id)
{
    if (ngx_http_s3_trash_ev.handler == NULL) {
        return 0;
    }

    /* waiting for its delayed unlink, a body in doubt, or a group */

    return ngx_http_s3_trash_find(&ngx_http_s3_trash, id)
           || ngx_http_s3_trash_find(&ngx_http_s3_trash_pending, id);
}


static ngx_uint_t
ngx_http_s3_trash_find(ngx_queue_t *queue, ngx_str_t *id)
{
    ngx_queue_t          *q;
    ngx_http_s3_trash_t  *t;

    for (q = ngx_queue_head(queue);
         q != ngx_queue_sentinel(queue);
         q = ngx_queue_next(q))
    {
        t = ngx_queue_data(q, ngx_http_s3_trash_t, queue);

        if (t->body.len == id->len
            && ngx_memcmp(t->body.data, id->data, id->len) == 0)
        {
            return 1;
        }
    }

    return 0;
}


static void
ngx_http_s3_trash_handler(ngx_event_t *ev)
{
    ngx_http_s3_srv_trash_flush(0);
}


/*
 * Unlink what is due (or everything, before the process exits); a body in
 * doubt is decided, or looked at again later.
 */

void
ngx_http_s3_srv_trash_flush(ngx_uint_t all)
{
    ngx_int_t             rc;
    ngx_queue_t          *q;
    ngx_http_s3_trash_t  *t;

    if (ngx_http_s3_trash_ev.handler == NULL) {
        return;
    }

    while (!ngx_queue_empty(&ngx_http_s3_trash)) {
        q = ngx_queue_head(&ngx_http_s3_trash);
        t = ngx_queue_data(q, ngx_http_s3_trash_t, queue);

        if (!all && (ngx_msec_int_t) (t->when - ngx_current_msec) > 0) {
            ngx_http_s3_srv_add_timer(&ngx_http_s3_trash_ev,
                                      t->when - ngx_current_msec);
            return;
        }

        ngx_queue_remove(q);

        if (t->key.len) {
            rc = ngx_http_s3_trash_named(t);

            if (rc == NGX_OK || (rc == NGX_AGAIN && all)) {
                /* in use, or cannot tell: it stays */
                ngx_free(t);
                continue;
            }

            if (rc == NGX_AGAIN) {
                ngx_http_s3_trash_add(t, NGX_HTTP_S3_DOUBT_RETRY);
                continue;
            }

            ngx_log_error(NGX_LOG_INFO, ngx_cycle->log, 0,
                          "s3 body %V: no record names it, unlinked",
                          &t->body);

            t->key.len = 0;

            if (t->visible && !all) {
                ngx_http_s3_trash_add(t, NGX_HTTP_S3_UNLINK_DELAY);
                continue;
            }
        }

        if (unlink((char *) t->path) == -1 && ngx_errno != NGX_ENOENT) {
            ngx_log_error(NGX_LOG_CRIT, ngx_cycle->log, ngx_errno,
                          "unlink(\"%s\") failed", t->path);
        }

        ngx_free(t);
    }

    ngx_http_s3_srv_del_timer(&ngx_http_s3_trash_ev);
}


/*
 * NGX_OK: a record names the body (its reference count is there);
 * NGX_DECLINED: none does; NGX_AGAIN: it cannot be told now (a failed
 * write waits for the reopen that shows whether it reached the log)
 */

static ngx_int_t
ngx_http_s3_trash_named(ngx_http_s3_trash_t *t)
{
    ngx_int_t  rc;
    ngx_str_t  v;

    if (ngx_http_s3_engine_write_failed()) {
        return NGX_AGAIN;
    }

    ngx_http_s3_engine_op("body check");

    rc = ngx_http_s3_engine_get(ngx_cycle->log, &t->key, &v);

    if (rc == NGX_DECLINED) {
        return NGX_DECLINED;
    }

    if (rc != NGX_OK) {
        return NGX_AGAIN;
    }

    ngx_http_s3_engine_free(&v);

    return NGX_OK;
}
