
/*
 * Copyright (C) ngx_s3 authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_s3.h"
#include "ngx_http_s3_ops.h"
#include "ngx_http_s3_rcache.h"


/*
 * The worker side of the metadata service: one persistent unix socket
 * connection per worker to the helper process that owns LevelDB, with
 * requests pipelined and matched to replies by id.  On a broken
 * connection every unanswered request is sent again after reconnecting:
 * the helper makes each mutating request idempotent on replay.
 *
 * Every request holds its own non-cancelable timer: a gracefully exiting
 * worker waits for its requests instead of dropping them, and a request
 * that waits longer than s3_meta_timeout is answered ST_UNAVAILABLE.
 */


#define NGX_HTTP_S3_META_NEW        0
#define NGX_HTTP_S3_META_QUEUED     1       /* in send_q */
#define NGX_HTTP_S3_META_PENDING    2       /* sent, in the pending tree */
#define NGX_HTTP_S3_META_DONE       3

#define NGX_HTTP_S3_META_RBUF       (64 * 1024)
#define NGX_HTTP_S3_META_BACKOFF    200
#define NGX_HTTP_S3_META_IOVS       64


typedef struct {
    ngx_http_s3_main_conf_t   *smcf;
    ngx_log_t                 *log;
    ngx_connection_t          *c;
    ngx_pid_t                  peer;         /* the process c reaches */
    ngx_uint_t                 local;        /* master_process off */

    ngx_queue_t                send_q;
    ngx_rbtree_t               pending;
    ngx_rbtree_node_t          sentinel;
    uint32_t                   next_id;

    ngx_event_t                reconnect;
    ngx_msec_t                 backoff;

    u_char                    *rbuf;
    size_t                     rsize;
    size_t                     rlen;

    struct sockaddr_un         sun;
} ngx_http_s3_meta_t;


static void ngx_http_s3_meta_connect(ngx_http_s3_meta_t *m);
static void ngx_http_s3_meta_reconnect_handler(ngx_event_t *ev);
static void ngx_http_s3_meta_close(ngx_http_s3_meta_t *m);
static void ngx_http_s3_meta_write_handler(ngx_event_t *ev);
static void ngx_http_s3_meta_read_handler(ngx_event_t *ev);
static ngx_int_t ngx_http_s3_meta_process(ngx_http_s3_meta_t *m);
static void ngx_http_s3_meta_done(ngx_http_s3_meta_req_t *mr,
    ngx_uint_t status, u_char *p, size_t len);
static void ngx_http_s3_meta_timeout(ngx_event_t *ev);
static void ngx_http_s3_meta_local(ngx_event_t *ev);
static ngx_http_s3_meta_req_t *ngx_http_s3_meta_lookup(ngx_http_s3_meta_t *m,
    uint32_t id);
static ngx_pid_t ngx_http_s3_meta_peer_pid(ngx_socket_t s, ngx_log_t *log);


static ngx_http_s3_meta_t  *ngx_http_s3_meta;


ngx_int_t
ngx_http_s3_meta_init_worker(ngx_cycle_t *cycle)
{
    ngx_http_s3_meta_t       *m;
    ngx_http_s3_main_conf_t  *smcf;

    smcf = ngx_http_cycle_get_module_main_conf(cycle, ngx_http_s3_module);

    m = ngx_pcalloc(cycle->pool, sizeof(ngx_http_s3_meta_t));
    if (m == NULL) {
        return NGX_ERROR;
    }

    m->smcf = smcf;
    m->log = cycle->log;
    m->local = (ngx_process == NGX_PROCESS_SINGLE);

    ngx_queue_init(&m->send_q);
    ngx_rbtree_init(&m->pending, &m->sentinel, ngx_rbtree_insert_value);

    m->reconnect.handler = ngx_http_s3_meta_reconnect_handler;
    m->reconnect.data = m;
    m->reconnect.log = cycle->log;
    m->reconnect.cancelable = 1;

    m->sun.sun_family = AF_UNIX;
    ngx_memcpy(m->sun.sun_path, smcf->socket.data, smcf->socket.len);

    m->rsize = NGX_HTTP_S3_META_RBUF;
    m->rbuf = ngx_alloc(m->rsize, cycle->log);
    if (m->rbuf == NULL) {
        return NGX_ERROR;
    }

    ngx_http_s3_meta = m;

    return NGX_OK;
}


void
ngx_http_s3_meta_exit_worker(ngx_cycle_t *cycle)
{
    ngx_http_s3_meta_t  *m;

    m = ngx_http_s3_meta;

    if (m == NULL) {
        return;
    }

    if (m->c) {
        ngx_close_connection(m->c);
        m->c = NULL;
    }

    if (m->reconnect.timer_set) {
        ngx_del_timer(&m->reconnect);
    }

    ngx_free(m->rbuf);
    m->rbuf = NULL;

    ngx_http_s3_meta = NULL;
}


ngx_http_s3_meta_req_t *
ngx_http_s3_meta_create(ngx_http_request_t *r, ngx_uint_t op,
    ngx_http_s3_meta_handler_pt handler, void *data)
{
    ngx_http_s3_meta_req_t  *mr;

    mr = ngx_pcalloc(r->pool, sizeof(ngx_http_s3_meta_req_t));
    if (mr == NULL) {
        return NULL;
    }

    mr->op = op;
    mr->pool = r->pool;
    mr->log = r->connection->log;
    mr->handler = handler;
    mr->data = data;

    return mr;
}


ngx_int_t
ngx_http_s3_meta_send(ngx_http_s3_meta_req_t *mr)
{
    size_t                    start;
    ngx_http_s3_meta_t       *m;
    ngx_http_s3_wbuf_t        b;
    ngx_http_s3_main_conf_t  *smcf;

    m = ngx_http_s3_meta;

    if (m == NULL || mr->state != NGX_HTTP_S3_META_NEW) {
        return NGX_ERROR;
    }

    smcf = m->smcf;

    mr->timer.data = mr;
    mr->timer.log = mr->log;

    if (m->local) {
        /* in process: execute now, answer from the event loop */

        if (ngx_http_s3_wbuf_init(&b, mr->pool, 256) != NGX_OK) {
            return NGX_ERROR;
        }

        ngx_http_s3_metrics_meta_start(mr);

        if (ngx_http_s3_server_execute(mr->log, mr->op, &mr->body, &b,
                                       &mr->status)
            != NGX_OK || b.error)
        {
            mr->status = NGX_HTTP_S3_WIRE_ST_ERROR;
            b.pos = b.start;
        }

        ngx_http_s3_metrics_meta_done(mr);

        mr->reply.data = b.start;
        mr->reply.len = b.pos - b.start;
        mr->state = NGX_HTTP_S3_META_DONE;

        mr->timer.handler = ngx_http_s3_meta_local;
        ngx_post_event(&mr->timer, &ngx_posted_events);

        return NGX_OK;
    }

    /* frame the request: header, then the body */

    if (ngx_http_s3_wbuf_init(&b, mr->pool,
                              NGX_HTTP_S3_WIRE_HEADER + mr->body.len)
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    if (++m->next_id == 0) {
        m->next_id = 1;
    }

    mr->id = m->next_id;

    start = ngx_http_s3_wire_frame_begin(&b, mr->id, (uint8_t) mr->op);
    ngx_http_s3_wire_put_raw(&b, mr->body.data, mr->body.len);
    ngx_http_s3_wire_frame_end(&b, start);

    if (b.error) {
        return NGX_ERROR;
    }

    mr->body.data = b.start;
    mr->body.len = b.pos - b.start;
    mr->sent = 0;

    mr->timer.handler = ngx_http_s3_meta_timeout;
    ngx_add_timer(&mr->timer, smcf->meta_timeout);

    ngx_http_s3_metrics_meta_start(mr);

    ngx_queue_insert_tail(&m->send_q, &mr->queue);
    mr->state = NGX_HTTP_S3_META_QUEUED;

    if (m->c == NULL) {
        if (!m->reconnect.timer_set) {
            ngx_http_s3_meta_connect(m);
        }

        return NGX_OK;
    }

    /* never write from inside a caller: post the write instead */

    if (m->c->write->ready) {
        ngx_post_event(m->c->write, &ngx_posted_events);
    }

    return NGX_OK;
}


static void
ngx_http_s3_meta_connect(ngx_http_s3_meta_t *m)
{
    int                 rc;
    ngx_err_t           err;
    ngx_socket_t        s;
    ngx_event_t        *rev, *wev;
    ngx_connection_t   *c;

    if (ngx_terminate) {
        return;
    }

    s = ngx_socket(AF_UNIX, SOCK_STREAM, 0);
    if (s == (ngx_socket_t) -1) {
        ngx_log_error(NGX_LOG_ALERT, m->log, ngx_socket_errno,
                      ngx_socket_n " for s3 metadata failed");
        goto retry;
    }

    if (ngx_nonblocking(s) == -1) {
        ngx_log_error(NGX_LOG_ALERT, m->log, ngx_socket_errno,
                      ngx_nonblocking_n " failed");
        ngx_close_socket(s);
        goto retry;
    }

    /* a unix socket connects at once or fails (EAGAIN: backlog full) */

    rc = connect(s, (struct sockaddr *) &m->sun, sizeof(struct sockaddr_un));

    if (rc == -1) {
        err = ngx_socket_errno;

        /* the helper is (re)starting: not an error while it is brief */

        ngx_log_error(NGX_LOG_INFO, m->log, err,
                      "s3 metadata connect() to \"%s\" failed",
                      m->sun.sun_path);
        ngx_close_socket(s);
        goto retry;
    }

    c = ngx_get_connection(s, m->log);
    if (c == NULL) {
        ngx_close_socket(s);
        goto retry;
    }

    m->peer = ngx_http_s3_meta_peer_pid(s, m->log);

    c->data = m;
    c->recv = ngx_recv;
    c->send = ngx_send;
    c->log = m->log;
    c->log_error = NGX_ERROR_INFO;

    rev = c->read;
    wev = c->write;
    rev->log = m->log;
    wev->log = m->log;
    rev->handler = ngx_http_s3_meta_read_handler;
    wev->handler = ngx_http_s3_meta_write_handler;

    /*
     * read events only: a registered write event would wake this worker
     * each time the metadata process reads a batch (unix sockets signal
     * writable on every read); it is added only while a write waits
     */

    if (ngx_handle_read_event(rev, 0) != NGX_OK) {
        ngx_close_connection(c);
        goto retry;
    }

    m->c = c;
    m->rlen = 0;

    wev->ready = 1;
    ngx_post_event(wev, &ngx_posted_events);

    ngx_log_debug0(NGX_LOG_DEBUG_HTTP, m->log, 0, "s3 metadata connected");

    return;

retry:

    m->backoff = m->backoff ? ngx_min(m->backoff * 2, NGX_HTTP_S3_META_BACKOFF)
                            : 10;

    if (!ngx_exiting || !ngx_queue_empty(&m->send_q)) {
        ngx_add_timer(&m->reconnect, m->backoff);
    }
}


/*
 * The pid of the process that listens (the metadata process binds its
 * socket itself): the record cache trusts its copies only while this is
 * the process that keeps the generations (ngx_http_s3_rcache.c)
 */

static ngx_pid_t
ngx_http_s3_meta_peer_pid(ngx_socket_t s, ngx_log_t *log)
{
#if (NGX_LINUX)

    socklen_t     len;
    struct ucred  cred;

    len = sizeof(struct ucred);

    if (getsockopt(s, SOL_SOCKET, SO_PEERCRED, &cred, &len) == -1) {
        ngx_log_error(NGX_LOG_ERR, log, ngx_socket_errno,
                      "s3 metadata getsockopt(SO_PEERCRED) failed");
        return 0;
    }

    return cred.pid;

#else

    return -1;

#endif
}


ngx_pid_t
ngx_http_s3_meta_peer(void)
{
    ngx_http_s3_meta_t  *m;

    m = ngx_http_s3_meta;

    if (m == NULL) {
        return 0;
    }

    if (m->local) {
        return ngx_pid;
    }

    return m->c ? m->peer : 0;
}


static void
ngx_http_s3_meta_reconnect_handler(ngx_event_t *ev)
{
    ngx_http_s3_meta_t  *m;

    m = ev->data;

    if (m->c == NULL && !ngx_queue_empty(&m->send_q)) {
        ngx_http_s3_meta_connect(m);
    }
}


/*
 * The connection broke: close it and put every unanswered request back
 * at the head of the send queue, in id order, to be sent again.
 */

static void
ngx_http_s3_meta_close(ngx_http_s3_meta_t *m)
{
    ngx_queue_t              requeue, *q;
    ngx_rbtree_node_t       *node, *sentinel;
    ngx_http_s3_meta_req_t  *mr;

    if (m->c) {
        ngx_close_connection(m->c);
        m->c = NULL;
    }

    m->rlen = 0;

    ngx_queue_init(&requeue);

    sentinel = m->pending.sentinel;

    while (m->pending.root != sentinel) {
        node = ngx_rbtree_min(m->pending.root, sentinel);
        ngx_rbtree_delete(&m->pending, node);

        mr = (ngx_http_s3_meta_req_t *)
                 ((u_char *) node - offsetof(ngx_http_s3_meta_req_t, node));

        mr->state = NGX_HTTP_S3_META_QUEUED;
        mr->resent = 1;
        ngx_queue_insert_tail(&requeue, &mr->queue);
    }

    while (!ngx_queue_empty(&m->send_q)) {
        q = ngx_queue_head(&m->send_q);
        ngx_queue_remove(q);
        ngx_queue_insert_tail(&requeue, q);
    }

    while (!ngx_queue_empty(&requeue)) {
        q = ngx_queue_head(&requeue);
        ngx_queue_remove(q);
        ngx_queue_insert_tail(&m->send_q, q);

        mr = ngx_queue_data(q, ngx_http_s3_meta_req_t, queue);
        mr->sent = 0;
    }

    if (!ngx_queue_empty(&m->send_q)) {
        ngx_log_error(NGX_LOG_WARN, m->log, 0,
                      "s3 metadata connection lost, resending requests");

        if (!m->reconnect.timer_set) {
            m->backoff = 0;
            ngx_add_timer(&m->reconnect, 10);
        }
    }
}


/*
 * Every queued frame in one writev(): the requests that the handlers of
 * one event loop turn queued (the write event is posted) cost one system
 * call and one wakeup of the metadata process, not one each.
 */

static void
ngx_http_s3_meta_write_handler(ngx_event_t *wev)
{
    size_t                   size;
    ssize_t                  n;
    ngx_queue_t             *q;
    ngx_iovec_t              vec;
    ngx_connection_t        *c;
    ngx_http_s3_meta_t      *m;
    ngx_http_s3_meta_req_t  *mr;
    struct iovec             iovs[NGX_HTTP_S3_META_IOVS];

    c = wev->data;
    m = c->data;

    if (m->c != c) {
        return;
    }

    m->backoff = 0;

    vec.iovs = iovs;
    vec.nalloc = NGX_HTTP_S3_META_IOVS;

    while (!ngx_queue_empty(&m->send_q)) {

        vec.count = 0;
        vec.size = 0;

        for (q = ngx_queue_head(&m->send_q);
             q != ngx_queue_sentinel(&m->send_q) && vec.count < vec.nalloc;
             q = ngx_queue_next(q))
        {
            mr = ngx_queue_data(q, ngx_http_s3_meta_req_t, queue);

            iovs[vec.count].iov_base = mr->body.data + mr->sent;
            iovs[vec.count].iov_len = mr->body.len - mr->sent;
            vec.size += mr->body.len - mr->sent;
            vec.count++;
        }

        n = ngx_writev(c, &vec);

        if (n == NGX_AGAIN) {
            wev->ready = 0;
            break;
        }

        if (n == NGX_ERROR) {
            ngx_http_s3_meta_close(m);
            return;
        }

        size = n;

        while (size) {
            q = ngx_queue_head(&m->send_q);
            mr = ngx_queue_data(q, ngx_http_s3_meta_req_t, queue);

            if (size < mr->body.len - mr->sent) {
                mr->sent += size;
                break;
            }

            size -= mr->body.len - mr->sent;
            mr->sent = mr->body.len;

            ngx_queue_remove(q);

            /* ngx_rbtree_delete() zeroes the key: set it on every insert */
            mr->node.key = mr->id;
            ngx_rbtree_insert(&m->pending, &mr->node);
            mr->state = NGX_HTTP_S3_META_PENDING;

            ngx_log_debug2(NGX_LOG_DEBUG_HTTP, m->log, 0,
                           "s3 metadata sent id:%uD op:%ui", mr->id, mr->op);
        }

        if ((size_t) n < vec.size) {
            /* the socket buffer is full */
            wev->ready = 0;
            break;
        }
    }

    if (wev->ready && wev->active
        && (ngx_event_flags & NGX_USE_CLEAR_EVENT))
    {
        /* all written after a wait: no more wakeups on every read */

        if (ngx_del_event(wev, NGX_WRITE_EVENT, NGX_CLEAR_EVENT) != NGX_OK) {
            ngx_http_s3_meta_close(m);
        }

        return;
    }

    if (ngx_handle_write_event(wev, 0) != NGX_OK) {
        ngx_http_s3_meta_close(m);
    }
}


static void
ngx_http_s3_meta_read_handler(ngx_event_t *rev)
{
    u_char              *p;
    size_t               size;
    ssize_t              n;
    ngx_connection_t    *c;
    ngx_http_s3_meta_t  *m;

    c = rev->data;
    m = c->data;

    if (m->c != c) {
        return;
    }

    for ( ;; ) {

        if (m->rlen == m->rsize) {
            /* a frame larger than the buffer: grow to fit */

            size = m->rsize * 2;

            if (size > NGX_HTTP_S3_WIRE_MAX_FRAME + NGX_HTTP_S3_WIRE_HEADER) {
                ngx_log_error(NGX_LOG_ALERT, m->log, 0,
                              "s3 metadata reply too large");
                ngx_http_s3_meta_close(m);
                return;
            }

            p = ngx_alloc(size, m->log);
            if (p == NULL) {
                ngx_http_s3_meta_close(m);
                return;
            }

            ngx_memcpy(p, m->rbuf, m->rlen);
            ngx_free(m->rbuf);
            m->rbuf = p;
            m->rsize = size;
        }

        n = c->recv(c, m->rbuf + m->rlen, m->rsize - m->rlen);

        if (n == NGX_AGAIN) {
            break;
        }

        if (n == 0 || n == NGX_ERROR) {
            ngx_log_error(NGX_LOG_INFO, m->log, 0,
                          "s3 metadata process closed the connection");
            ngx_http_s3_meta_close(m);
            return;
        }

        m->rlen += n;

        if (ngx_http_s3_meta_process(m) != NGX_OK) {
            ngx_http_s3_meta_close(m);
            return;
        }

        if (m->c != c) {
            return;
        }
    }

    if (ngx_handle_read_event(rev, 0) != NGX_OK) {
        ngx_http_s3_meta_close(m);
        return;
    }

    /* the receive buffer of a large listing is not kept */

    if (m->rsize > NGX_HTTP_S3_META_RBUF && m->rlen <= NGX_HTTP_S3_META_RBUF) {
        p = ngx_alloc(NGX_HTTP_S3_META_RBUF, m->log);
        if (p) {
            ngx_memcpy(p, m->rbuf, m->rlen);
            ngx_free(m->rbuf);
            m->rbuf = p;
            m->rsize = NGX_HTTP_S3_META_RBUF;
        }
    }
}


static ngx_int_t
ngx_http_s3_meta_process(ngx_http_s3_meta_t *m)
{
    u_char                  *p, *last;
    size_t                   len;
    uint8_t                  code;
    uint32_t                 id;
    ngx_int_t                rc;
    ngx_http_s3_meta_req_t  *mr;

    p = m->rbuf;
    last = m->rbuf + m->rlen;

    for ( ;; ) {
        rc = ngx_http_s3_wire_frame_parse(p, last - p, &len, &id, &code);

        if (rc == NGX_AGAIN) {
            break;
        }

        if (rc == NGX_ERROR) {
            ngx_log_error(NGX_LOG_ALERT, m->log, 0,
                          "s3 metadata process sent a bad frame");
            return NGX_ERROR;
        }

        mr = ngx_http_s3_meta_lookup(m, id);

        ngx_log_debug3(NGX_LOG_DEBUG_HTTP, m->log, 0,
                       "s3 metadata reply id:%uD status:%ud for:%p",
                       id, (ngx_uint_t) code, mr);

        if (mr) {
            ngx_rbtree_delete(&m->pending, &mr->node);
            ngx_http_s3_meta_done(mr, code, p + NGX_HTTP_S3_WIRE_HEADER,
                                  len - NGX_HTTP_S3_WIRE_HEADER);
        }

        p += len;
    }

    m->rlen = last - p;

    if (m->rlen && p != m->rbuf) {
        ngx_memmove(m->rbuf, p, m->rlen);
    }

    return NGX_OK;
}


static ngx_http_s3_meta_req_t *
ngx_http_s3_meta_lookup(ngx_http_s3_meta_t *m, uint32_t id)
{
    ngx_rbtree_node_t  *node, *sentinel;

    node = m->pending.root;
    sentinel = m->pending.sentinel;

    while (node != sentinel) {

        if (id < node->key) {
            node = node->left;
            continue;
        }

        if (id > node->key) {
            node = node->right;
            continue;
        }

        return (ngx_http_s3_meta_req_t *)
                   ((u_char *) node - offsetof(ngx_http_s3_meta_req_t, node));
    }

    return NULL;
}


static void
ngx_http_s3_meta_done(ngx_http_s3_meta_req_t *mr, ngx_uint_t status,
    u_char *p, size_t len)
{
    mr->state = NGX_HTTP_S3_META_DONE;
    mr->status = status;

    if (mr->timer.timer_set) {
        ngx_del_timer(&mr->timer);
    }

    ngx_http_s3_metrics_meta_done(mr);

    mr->reply.len = 0;
    mr->reply.data = NULL;

    if (len) {
        mr->reply.data = ngx_pnalloc(mr->pool, len);

        if (mr->reply.data == NULL) {
            mr->status = NGX_HTTP_S3_WIRE_ST_ERROR;

        } else {
            ngx_memcpy(mr->reply.data, p, len);
            mr->reply.len = len;
        }
    }

    mr->handler(mr);
}


static void
ngx_http_s3_meta_timeout(ngx_event_t *ev)
{
    ngx_http_s3_meta_t      *m;
    ngx_http_s3_meta_req_t  *mr;

    mr = ev->data;
    m = ngx_http_s3_meta;

    ngx_log_error(NGX_LOG_ERR, mr->log, 0,
                  "s3 metadata request timed out");

    if (mr->state == NGX_HTTP_S3_META_QUEUED) {

        if (mr->sent && m && m->c) {
            /* half written: the stream cannot skip it, start over */
            ngx_queue_remove(&mr->queue);
            mr->state = NGX_HTTP_S3_META_DONE;
            ngx_http_s3_meta_close(m);

        } else {
            ngx_queue_remove(&mr->queue);
        }

    } else if (mr->state == NGX_HTTP_S3_META_PENDING && m) {
        ngx_rbtree_delete(&m->pending, &mr->node);
    }

    ngx_http_s3_meta_done(mr, NGX_HTTP_S3_WIRE_ST_UNAVAILABLE, NULL, 0);
}


static void
ngx_http_s3_meta_local(ngx_event_t *ev)
{
    ngx_http_s3_meta_req_t  *mr;

    mr = ev->data;

    mr->handler(mr);
}


/* for the operations: a request with an encoded body */

ngx_int_t
ngx_http_s3_meta_call(ngx_http_request_t *r, ngx_uint_t op,
    ngx_http_s3_wbuf_t *b, ngx_http_s3_meta_handler_pt handler, void *data)
{
    ngx_http_s3_meta_req_t  *mr;

    if (b->error) {
        return NGX_ERROR;
    }

    mr = ngx_http_s3_meta_create(r, op, handler, data);
    if (mr == NULL) {
        return NGX_ERROR;
    }

    mr->body.data = b->start;
    mr->body.len = b->pos - b->start;

    return ngx_http_s3_meta_send(mr);
}


/*
 * The common case: a metadata request naming the request's bucket (and
 * key), answered later by handler; what a content handler returns
 */

ngx_int_t
ngx_http_s3_meta_named(ngx_http_request_t *r, ngx_uint_t op,
    ngx_uint_t with_key, ngx_http_s3_meta_handler_pt handler, void *data)
{
    ngx_str_t            vid;
    ngx_http_s3_ctx_t   *ctx;
    ngx_http_s3_wbuf_t   b;

    ctx = ngx_http_s3_get_ctx(r);

    if (ngx_http_s3_wbuf_init(&b, r->pool, 40 + ctx->bucket.len
                                           + ctx->key.len)
        != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ngx_http_s3_wire_put_str(&b, &ctx->bucket);

    if (with_key) {
        ngx_http_s3_wire_put_str(&b, &ctx->key);

        /* an object's record: of the version versionId names */

        if (op == NGX_HTTP_S3_WIRE_OP_OBJECT_GET
            && ngx_http_s3_version_arg(r, &vid) == NGX_OK && vid.len)
        {
            ngx_http_s3_wire_put_str(&b, &vid);
        }
    }

    if (ngx_http_s3_meta_call(r, op, &b, handler, data) != NGX_OK) {
        return ngx_http_s3_send_error(r, NGX_HTTP_S3_ERR_INTERNAL, NULL);
    }

    r->main->count++;

    return NGX_DONE;
}


/*
 * A setting of the request's bucket: SETTING_GET (value NULL) or
 * SETTING_SET (value empty: delete it); the handler's data is r.
 */

ngx_int_t
ngx_http_s3_meta_setting(ngx_http_request_t *r, const char *name,
    ngx_str_t *value, ngx_http_s3_meta_handler_pt handler)
{
    ngx_str_t            n;
    ngx_uint_t           op;
    ngx_http_s3_ctx_t   *ctx;
    ngx_http_s3_wbuf_t   b;

    ctx = ngx_http_s3_get_ctx(r);

    n.data = (u_char *) name;
    n.len = ngx_strlen(name);

    if (ngx_http_s3_wbuf_init(&b, r->pool, 16 + ctx->bucket.len + n.len
                                           + (value ? value->len : 0))
        != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ngx_http_s3_wire_put_str(&b, &ctx->bucket);
    ngx_http_s3_wire_put_str(&b, &n);

    if (value) {
        ngx_http_s3_wire_put_str(&b, value);
        op = NGX_HTTP_S3_WIRE_OP_SETTING_SET;

    } else {
        op = NGX_HTTP_S3_WIRE_OP_SETTING_GET;
    }

    if (ngx_http_s3_meta_call(r, op, &b, handler, r) != NGX_OK) {
        return ngx_http_s3_send_error(r, NGX_HTTP_S3_ERR_INTERNAL, NULL);
    }

    r->main->count++;

    return NGX_DONE;
}


/*
 * The answer to a SETTING_GET: the setting as it is stored (a document
 * the worker checked and wrote out before it stored it), as JSON or XML;
 * none: the error none
 */

ngx_int_t
ngx_http_s3_setting_send(ngx_http_request_t *r, ngx_http_s3_meta_req_t *mr,
    ngx_http_s3_err_e none, ngx_uint_t json)
{
    ngx_str_t            value;
    ngx_buf_t           *b;
    ngx_chain_t         *cl;
    ngx_http_s3_rbuf_t   rb;

    if (mr->status == NGX_HTTP_S3_WIRE_ST_NO_KEY) {
        return ngx_http_s3_send_error(r, none, NULL);
    }

    if (mr->status != NGX_HTTP_S3_WIRE_ST_OK) {
        return ngx_http_s3_send_error(r, ngx_http_s3_meta_error(mr->status),
                                      NULL);
    }

    ngx_http_s3_rbuf_init(&rb, &mr->reply);
    ngx_http_s3_wire_get_str(&rb, &value);

    b = ngx_calloc_buf(r->pool);
    cl = ngx_alloc_chain_link(r->pool);

    if (rb.error || b == NULL || cl == NULL) {
        return ngx_http_s3_send_error(r, NGX_HTTP_S3_ERR_INTERNAL, NULL);
    }

    b->memory = 1;
    b->pos = value.data;
    b->last = value.data + value.len;
    b->last_buf = 1;
    b->last_in_chain = 1;

    cl->buf = b;
    cl->next = NULL;

    return json ? ngx_http_s3_send_json(r, NGX_HTTP_OK, cl)
                : ngx_http_s3_send_xml(r, NGX_HTTP_OK, cl);
}
