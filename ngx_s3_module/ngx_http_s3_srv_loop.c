
/*
 * Copyright (C) ngx_s3 authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include <sys/epoll.h>
#include <sys/eventfd.h>

#include "ngx_http_s3.h"
#include "ngx_http_s3_srv.h"


/*
 * The metadata thread.  The metadata process is nginx's cache manager:
 * its main thread runs nginx's event loop, which also expires proxy_cache
 * entries in slices of up to manager_threshold (200 ms by default).  So
 * the metadata socket is served by a thread of its own, with its own
 * epoll loop and timers: nginx's event structures are not thread-safe,
 * and the main thread never touches the database once the thread runs.
 *
 * One pass of the loop: every frame ready on every connection is
 * executed, in order; each operation's writes reach LevelDB's log without
 * a sync (the next operations read them); then one synced write makes the
 * whole group durable (ngx_http_s3_engine_sync()), and only then are the
 * replies of the pass sent, reads too: nothing that is not durable yet is
 * ever shown.  If the sync fails, every reply from the first write of the
 * pass on becomes an error, the bodies the group touched are in doubt,
 * and the database is reopened.
 *
 * Told to quit (the main thread's channel from the master), the thread
 * serves until every worker has closed its connection, or a successor
 * asks for the database (OP_HANDOVER); then it stops and wakes the main
 * thread (ngx_notify()), which exits.
 */


#define NGX_HTTP_S3_LOOP_EVENTS     64
#define NGX_HTTP_S3_LOOP_WAIT       1000
#define NGX_HTTP_S3_SERVER_BUF      (64 * 1024)
#define NGX_HTTP_S3_SERVER_LINGER   (10 * 60 * 1000)


typedef struct {
    ngx_socket_t               fd;
    ngx_queue_t                queue;       /* in the pass */
    u_char                    *in;
    size_t                     in_size;
    size_t                     in_len;
    ngx_http_s3_wbuf_t         out;
    size_t                     out_sent;
    size_t                     held;        /* first reply after a write */
    unsigned                   in_pass:1;
    unsigned                   dirty:1;     /* held is set */
    unsigned                   writing:1;   /* EPOLLOUT is asked for */
} ngx_http_s3_loop_conn_t;


static void *ngx_http_s3_loop_thread(void *data);
static ngx_int_t ngx_http_s3_loop_listen(ngx_cycle_t *cycle,
    ngx_http_s3_main_conf_t *smcf);
static void ngx_http_s3_loop_accept(void);
static ngx_int_t ngx_http_s3_loop_peer(ngx_socket_t s, ngx_log_t *log);
static ngx_int_t ngx_http_s3_loop_read(ngx_http_s3_loop_conn_t *sc);
static void ngx_http_s3_loop_pass(ngx_http_s3_loop_conn_t *sc);
static void ngx_http_s3_loop_commit(void);
static void ngx_http_s3_loop_fail(ngx_http_s3_loop_conn_t *sc);
static ngx_int_t ngx_http_s3_loop_flush(ngx_http_s3_loop_conn_t *sc);
static void ngx_http_s3_loop_close(ngx_http_s3_loop_conn_t *sc);
static ngx_msec_t ngx_http_s3_loop_expire(void);
static void ngx_http_s3_loop_wakeup(void);
static void ngx_http_s3_loop_exit_handler(ngx_event_t *ev);


static ngx_uint_t            ngx_http_s3_loop_on;
static ngx_uint_t            ngx_http_s3_loop_started;
static pthread_t             ngx_http_s3_loop_tid;
static int                   ngx_http_s3_loop_ep = -1;
static ngx_socket_t          ngx_http_s3_loop_lfd = -1;
static int                   ngx_http_s3_loop_wake_fd = -1;
static ngx_log_t            *ngx_http_s3_loop_log;
static ngx_rbtree_t          ngx_http_s3_loop_tree;
static ngx_rbtree_node_t     ngx_http_s3_loop_sentinel;
static ngx_queue_t           ngx_http_s3_loop_queue;

/* written by the main thread, read by the thread; and the other way */
static ngx_atomic_t          ngx_http_s3_loop_quit_asked;
static ngx_atomic_t          ngx_http_s3_loop_finished;

/* the thread's own */
static ngx_uint_t            ngx_http_s3_loop_clients;
static ngx_uint_t            ngx_http_s3_loop_quitting;
static ngx_msec_t            ngx_http_s3_loop_quit_since;
static ngx_uint_t            ngx_http_s3_loop_done;

/* epoll's data for the listening socket and the wakeup */
static u_char                ngx_http_s3_loop_listen_tag;
static u_char                ngx_http_s3_loop_wake_tag;


/*
 * From the first open on, the timers of the metadata work (trash, reopen,
 * stats, sweeps) are the thread's: they run between its passes
 */

void
ngx_http_s3_srv_loop_timers(void)
{
    if (ngx_http_s3_loop_on) {
        return;
    }

    ngx_rbtree_init(&ngx_http_s3_loop_tree, &ngx_http_s3_loop_sentinel,
                    ngx_rbtree_insert_timer_value);

    ngx_queue_init(&ngx_http_s3_loop_queue);

    ngx_http_s3_loop_on = 1;
}


void
ngx_http_s3_srv_add_timer(ngx_event_t *ev, ngx_msec_t timer)
{
    if (!ngx_http_s3_loop_on) {
        ngx_add_timer(ev, timer);
        return;
    }

    if (ev->timer_set) {
        ngx_rbtree_delete(&ngx_http_s3_loop_tree, &ev->timer);
    }

    ev->timer.key = ngx_current_msec + timer;
    ngx_rbtree_insert(&ngx_http_s3_loop_tree, &ev->timer);
    ev->timer_set = 1;
}


void
ngx_http_s3_srv_del_timer(ngx_event_t *ev)
{
    if (!ev->timer_set) {
        return;
    }

    if (!ngx_http_s3_loop_on) {
        ngx_del_timer(ev);
        return;
    }

    ngx_rbtree_delete(&ngx_http_s3_loop_tree, &ev->timer);
    ev->timer_set = 0;
}


/* run the timers due; the time until the next one */

static ngx_msec_t
ngx_http_s3_loop_expire(void)
{
    ngx_event_t        *ev;
    ngx_msec_int_t      left;
    ngx_rbtree_node_t  *node, *root, *sentinel;

    sentinel = ngx_http_s3_loop_tree.sentinel;

    for ( ;; ) {
        root = ngx_http_s3_loop_tree.root;

        if (root == sentinel) {
            return NGX_HTTP_S3_LOOP_WAIT;
        }

        node = ngx_rbtree_min(root, sentinel);

        left = (ngx_msec_int_t) (node->key - ngx_current_msec);

        if (left > 0) {
            return ngx_min((ngx_msec_t) left, NGX_HTTP_S3_LOOP_WAIT);
        }

        ev = ngx_rbtree_data(node, ngx_event_t, timer);

        ngx_rbtree_delete(&ngx_http_s3_loop_tree, &ev->timer);
        ev->timer_set = 0;
        ev->timedout = 1;

        ev->handler(ev);
    }
}


ngx_uint_t
ngx_http_s3_srv_loop_running(void)
{
    return ngx_http_s3_loop_started;
}


/* the thread has stopped: the process exits, a quit is not to be delayed */

ngx_uint_t
ngx_http_s3_srv_loop_finished(void)
{
    return ngx_http_s3_loop_finished;
}


ngx_uint_t
ngx_http_s3_srv_quitting(void)
{
    return ngx_http_s3_loop_quitting;
}


/* the database is open (or could not be): listen, and start the thread */

ngx_int_t
ngx_http_s3_srv_loop_start(ngx_cycle_t *cycle, ngx_http_s3_main_conf_t *smcf)
{
    int                  err;
    sigset_t             set, old;
    struct epoll_event   ee;

    if (ngx_http_s3_loop_ep == -1) {
        ngx_http_s3_loop_ep = epoll_create1(EPOLL_CLOEXEC);

        if (ngx_http_s3_loop_ep == -1) {
            ngx_log_error(NGX_LOG_ALERT, cycle->log, ngx_errno,
                          "s3 metadata epoll_create1() failed");
            return NGX_ERROR;
        }

        ngx_http_s3_loop_wake_fd = eventfd(0, EFD_NONBLOCK|EFD_CLOEXEC);

        if (ngx_http_s3_loop_wake_fd == -1) {
            ngx_log_error(NGX_LOG_ALERT, cycle->log, ngx_errno,
                          "s3 metadata eventfd() failed");
            return NGX_ERROR;
        }

        ee.events = EPOLLIN;
        ee.data.ptr = &ngx_http_s3_loop_wake_tag;

        if (epoll_ctl(ngx_http_s3_loop_ep, EPOLL_CTL_ADD,
                      ngx_http_s3_loop_wake_fd, &ee)
            == -1)
        {
            ngx_log_error(NGX_LOG_ALERT, cycle->log, ngx_errno,
                          "s3 metadata epoll_ctl() failed");
            return NGX_ERROR;
        }
    }

    if (ngx_http_s3_loop_listen(cycle, smcf) != NGX_OK) {
        return NGX_ERROR;
    }

    ngx_http_s3_loop_log = cycle->log;

    /* signals are the main thread's: nginx's handlers wake its loop */

    sigfillset(&set);
    pthread_sigmask(SIG_SETMASK, &set, &old);

    err = pthread_create(&ngx_http_s3_loop_tid, NULL,
                         ngx_http_s3_loop_thread, NULL);

    pthread_sigmask(SIG_SETMASK, &old, NULL);

    if (err) {
        ngx_log_error(NGX_LOG_ALERT, cycle->log, err,
                      "s3 metadata pthread_create() failed");
        return NGX_ERROR;
    }

    ngx_http_s3_loop_started = 1;

    return NGX_OK;
}


static ngx_int_t
ngx_http_s3_loop_listen(ngx_cycle_t *cycle, ngx_http_s3_main_conf_t *smcf)
{
    int                  rc;
    mode_t               mask;
    ngx_socket_t         s;
    struct sockaddr_un   sun;
    struct epoll_event   ee;

    if (ngx_http_s3_loop_lfd != (ngx_socket_t) -1) {
        return NGX_OK;
    }

    /* the socket's directory keeps out every other user */

    if (ngx_http_s3_srv_dir(cycle->log, &smcf->data, NGX_HTTP_S3_SOCKET_DIR)
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    ngx_memzero(&sun, sizeof(struct sockaddr_un));
    sun.sun_family = AF_UNIX;
    ngx_memcpy(sun.sun_path, smcf->socket.data, smcf->socket.len);

    s = socket(AF_UNIX, SOCK_STREAM|SOCK_NONBLOCK|SOCK_CLOEXEC, 0);
    if (s == (ngx_socket_t) -1) {
        ngx_log_error(NGX_LOG_ALERT, cycle->log, ngx_socket_errno,
                      ngx_socket_n " failed");
        return NGX_ERROR;
    }

    /* a socket left by a previous helper: it no longer listens */

    if (unlink((char *) smcf->socket.data) == -1 && ngx_errno != NGX_ENOENT) {
        ngx_log_error(NGX_LOG_ALERT, cycle->log, ngx_errno,
                      "unlink(\"%s\") failed", smcf->socket.data);
    }

    /* the socket itself: 0600, whatever the process's umask */

    mask = umask(0177);
    rc = bind(s, (struct sockaddr *) &sun, sizeof(struct sockaddr_un));
    (void) umask(mask);

    if (rc == -1 || listen(s, 511) == -1) {
        ngx_log_error(NGX_LOG_EMERG, cycle->log, ngx_socket_errno,
                      "s3 metadata socket \"%s\" failed", smcf->socket.data);
        ngx_close_socket(s);
        return NGX_ERROR;
    }

    ee.events = EPOLLIN;
    ee.data.ptr = &ngx_http_s3_loop_listen_tag;

    if (epoll_ctl(ngx_http_s3_loop_ep, EPOLL_CTL_ADD, s, &ee) == -1) {
        ngx_log_error(NGX_LOG_ALERT, cycle->log, ngx_errno,
                      "s3 metadata epoll_ctl() failed");
        ngx_close_socket(s);
        return NGX_ERROR;
    }

    ngx_http_s3_loop_lfd = s;

    ngx_log_error(NGX_LOG_NOTICE, cycle->log, 0,
                  "s3 metadata process listening on \"%s\"",
                  smcf->socket.data);

    return NGX_OK;
}


static void *
ngx_http_s3_loop_thread(void *data)
{
    int                       i, n;
    uint64_t                  v;
    ngx_err_t                 err;
    ngx_msec_t                timer;
    struct epoll_event        events[NGX_HTTP_S3_LOOP_EVENTS];
    ngx_http_s3_loop_conn_t  *sc;

    timer = ngx_http_s3_loop_expire();

    for ( ;; ) {

        n = epoll_wait(ngx_http_s3_loop_ep, events, NGX_HTTP_S3_LOOP_EVENTS,
                       (int) timer);

        err = (n == -1) ? ngx_errno : 0;

        /* thread-safe: a try lock, the main thread may be updating it */
        ngx_time_update();

        if (n == -1) {
            if (err != NGX_EINTR) {
                ngx_log_error(NGX_LOG_ALERT, ngx_http_s3_loop_log, err,
                              "s3 metadata epoll_wait() failed");
                ngx_msleep(100);
            }

            n = 0;
        }

        /* one pass: every frame ready on every connection, one group */

        ngx_http_s3_engine_group(1);
        ngx_http_s3_srv_trash_begin();

        for (i = 0; i < n; i++) {

            if (events[i].data.ptr == &ngx_http_s3_loop_wake_tag) {
                (void) read(ngx_http_s3_loop_wake_fd, &v, sizeof(uint64_t));
                continue;
            }

            if (events[i].data.ptr == &ngx_http_s3_loop_listen_tag) {
                ngx_http_s3_loop_accept();
                continue;
            }

            sc = events[i].data.ptr;

            if (events[i].events & (EPOLLIN|EPOLLERR|EPOLLHUP)) {
                if (ngx_http_s3_loop_read(sc) != NGX_OK) {
                    ngx_http_s3_loop_close(sc);
                    continue;
                }
            }

            ngx_http_s3_loop_pass(sc);
        }

        ngx_http_s3_loop_commit();

        if (ngx_http_s3_loop_quit_asked && !ngx_http_s3_loop_quitting) {

            /* a database not open serves nobody: no need to wait */

            if (ngx_http_s3_loop_clients == 0 || !ngx_http_s3_srv_serving()) {
                ngx_http_s3_loop_done = 1;
            }

            ngx_http_s3_loop_quitting = 1;
            ngx_http_s3_loop_quit_since = ngx_current_msec;

            if (!ngx_http_s3_loop_done) {
                ngx_log_error(NGX_LOG_NOTICE, ngx_http_s3_loop_log, 0,
                              "s3 metadata process exits when %ui workers "
                              "have disconnected", ngx_http_s3_loop_clients);
            }
        }

        if (ngx_http_s3_loop_quitting && !ngx_http_s3_loop_done
            && ngx_current_msec - ngx_http_s3_loop_quit_since
               > NGX_HTTP_S3_SERVER_LINGER)
        {
            ngx_log_error(NGX_LOG_WARN, ngx_http_s3_loop_log, 0,
                          "s3 metadata process exits with %ui workers still "
                          "connected", ngx_http_s3_loop_clients);
            ngx_http_s3_loop_done = 1;
        }

        if (ngx_http_s3_loop_done) {
            break;
        }

        timer = ngx_http_s3_loop_expire();
    }

    /* the last group is durable and answered: the process exits */

    ngx_http_s3_srv_trash_flush(1);

    ngx_http_s3_loop_finished = 1;
    ngx_memory_barrier();

    if (ngx_notify(ngx_http_s3_loop_exit_handler) != NGX_OK) {
        /* the main thread sees it at its next timer */
        ngx_quit = 1;
    }

    return NULL;
}


/* the main thread: the master says quit */

void
ngx_http_s3_srv_loop_quit(void)
{
    ngx_http_s3_loop_quit_asked = 1;
    ngx_http_s3_loop_wakeup();
}


/* in the thread: stop after this pass (a handover) */

void
ngx_http_s3_srv_loop_finish(ngx_log_t *log)
{
    ngx_http_s3_loop_done = 1;
}


static void
ngx_http_s3_loop_wakeup(void)
{
    uint64_t  v;

    v = 1;

    if (write(ngx_http_s3_loop_wake_fd, &v, sizeof(uint64_t)) == -1
        && ngx_errno != NGX_EAGAIN)
    {
        ngx_log_error(NGX_LOG_ALERT, ngx_cycle->log, ngx_errno,
                      "s3 metadata eventfd write() failed");
    }
}


/* the main thread, woken by the thread's ngx_notify(): exit */

static void
ngx_http_s3_loop_exit_handler(ngx_event_t *ev)
{
    ngx_quit = 1;
}


static void
ngx_http_s3_loop_accept(void)
{
    ngx_err_t                 err;
    ngx_log_t                *log;
    ngx_socket_t              s;
    struct epoll_event        ee;
    ngx_http_s3_loop_conn_t  *sc;

    log = ngx_http_s3_loop_log;

    for ( ;; ) {
        s = accept4(ngx_http_s3_loop_lfd, NULL, NULL,
                    SOCK_NONBLOCK|SOCK_CLOEXEC);

        if (s == (ngx_socket_t) -1) {
            err = ngx_socket_errno;

            if (err != NGX_EAGAIN && err != NGX_EINTR) {
                ngx_log_error(NGX_LOG_ALERT, log, err,
                              "s3 metadata accept4() failed");
            }

            return;
        }

        if (ngx_http_s3_loop_peer(s, log) != NGX_OK) {
            ngx_close_socket(s);
            continue;
        }

        sc = ngx_calloc(sizeof(ngx_http_s3_loop_conn_t), log);
        if (sc == NULL) {
            ngx_close_socket(s);
            return;
        }

        sc->fd = s;
        sc->in_size = NGX_HTTP_S3_SERVER_BUF;
        sc->in = ngx_alloc(sc->in_size, log);

        if (sc->in == NULL
            || ngx_http_s3_wbuf_init(&sc->out, NULL, NGX_HTTP_S3_SERVER_BUF)
               != NGX_OK)
        {
            ngx_free(sc->in);
            ngx_free(sc);
            ngx_close_socket(s);
            return;
        }

        ee.events = EPOLLIN;
        ee.data.ptr = sc;

        if (epoll_ctl(ngx_http_s3_loop_ep, EPOLL_CTL_ADD, s, &ee) == -1) {
            ngx_log_error(NGX_LOG_ALERT, log, ngx_errno,
                          "s3 metadata epoll_ctl() failed");
            ngx_http_s3_wbuf_free(&sc->out);
            ngx_free(sc->in);
            ngx_free(sc);
            ngx_close_socket(s);
            return;
        }

        ngx_http_s3_loop_clients++;

        /* the worker may have written already */

        if (ngx_http_s3_loop_read(sc) != NGX_OK) {
            ngx_http_s3_loop_close(sc);
            continue;
        }

        ngx_http_s3_loop_pass(sc);
    }
}


/*
 * Only nginx's user (the workers, a successor metadata process) may
 * talk to the metadata process: the directory's mode keeps others out,
 * and this check holds even if someone loosened it.
 */

static ngx_int_t
ngx_http_s3_loop_peer(ngx_socket_t s, ngx_log_t *log)
{
    ngx_uid_t       uid;
    ngx_pid_t       pid;

#if (NGX_LINUX)

    socklen_t       len;
    struct ucred    cred;

    len = sizeof(struct ucred);

    if (getsockopt(s, SOL_SOCKET, SO_PEERCRED, &cred, &len) == -1) {
        ngx_log_error(NGX_LOG_ALERT, log, ngx_socket_errno,
                      "s3 metadata getsockopt(SO_PEERCRED) failed");
        return NGX_ERROR;
    }

    uid = cred.uid;
    pid = cred.pid;

#else

    gid_t           gid;

    if (getpeereid(s, &uid, &gid) == -1) {
        ngx_log_error(NGX_LOG_ALERT, log, ngx_socket_errno,
                      "s3 metadata getpeereid() failed");
        return NGX_ERROR;
    }

    pid = -1;

#endif

    if (uid != geteuid()) {
        ngx_log_error(NGX_LOG_ERR, log, 0,
                      "s3 metadata process refused a connection from "
                      "uid %d (pid %P): only nginx's user (uid %d) may "
                      "connect", (int) uid, pid, (int) geteuid());
        return NGX_DECLINED;
    }

    return NGX_OK;
}


/*
 * Read what the worker sent and execute every complete request, replies
 * in order into out (sent at the end of the pass).  NGX_ERROR: close.
 */

static ngx_int_t
ngx_http_s3_loop_read(ngx_http_s3_loop_conn_t *sc)
{
    u_char      *p, *last;
    size_t       len, start;
    ssize_t      n;
    uint8_t      op;
    uint32_t     id;
    ngx_err_t    err;
    ngx_int_t    rc;
    ngx_str_t    req;
    ngx_log_t   *log;
    ngx_uint_t   status;

    log = ngx_http_s3_loop_log;

    while (!ngx_http_s3_loop_done) {

        if (sc->in_len == sc->in_size) {
            len = sc->in_size * 2;

            if (len > NGX_HTTP_S3_WIRE_MAX_FRAME + NGX_HTTP_S3_WIRE_HEADER) {
                ngx_log_error(NGX_LOG_ALERT, log, 0,
                              "s3 metadata request too large");
                return NGX_ERROR;
            }

            p = ngx_alloc(len, log);
            if (p == NULL) {
                return NGX_ERROR;
            }

            ngx_memcpy(p, sc->in, sc->in_len);
            ngx_free(sc->in);
            sc->in = p;
            sc->in_size = len;
        }

        n = recv(sc->fd, sc->in + sc->in_len, sc->in_size - sc->in_len, 0);

        if (n == -1) {
            err = ngx_socket_errno;

            if (err == NGX_EAGAIN) {
                return NGX_OK;
            }

            if (err == NGX_EINTR) {
                continue;
            }

            /* a peer gone (a successor's handover does not wait) */
            ngx_log_error(NGX_LOG_INFO, log, err, "s3 metadata recv() failed");
            return NGX_ERROR;
        }

        if (n == 0) {
            return NGX_ERROR;
        }

        sc->in_len += n;

        p = sc->in;
        last = sc->in + sc->in_len;

        while (!ngx_http_s3_loop_done) {
            rc = ngx_http_s3_wire_frame_parse(p, last - p, &len, &id, &op);

            if (rc == NGX_AGAIN) {
                break;
            }

            if (rc == NGX_ERROR) {
                ngx_log_error(NGX_LOG_ALERT, log, 0,
                              "s3 metadata process got a bad frame");
                return NGX_ERROR;
            }

            req.data = p + NGX_HTTP_S3_WIRE_HEADER;
            req.len = len - NGX_HTTP_S3_WIRE_HEADER;

            start = ngx_http_s3_wire_frame_begin(&sc->out, id, 0);

            if (ngx_http_s3_server_execute(log, op, &req, &sc->out, &status)
                != NGX_OK)
            {
                status = NGX_HTTP_S3_WIRE_ST_ERROR;
                sc->out.pos = sc->out.start + start
                              + NGX_HTTP_S3_WIRE_HEADER;
            }

            sc->out.start[start + NGX_HTTP_S3_WIRE_HEADER - 1] =
                                                            (u_char) status;
            ngx_http_s3_wire_frame_end(&sc->out, start);

            if (sc->out.error) {
                ngx_log_error(NGX_LOG_ALERT, log, 0,
                              "s3 metadata reply too large or no memory");
                return NGX_ERROR;
            }

            /* it may show what the group wrote: held until the sync */

            if (!sc->dirty && ngx_http_s3_engine_dirty()) {
                sc->dirty = 1;
                sc->held = start;
            }

            p += len;
        }

        sc->in_len = last - p;

        if (sc->in_len && p != sc->in) {
            ngx_memmove(sc->in, p, sc->in_len);
        }
    }

    return NGX_OK;
}


/* its replies go out at the end of the pass */

static void
ngx_http_s3_loop_pass(ngx_http_s3_loop_conn_t *sc)
{
    if (!sc->in_pass) {
        sc->in_pass = 1;
        ngx_queue_insert_tail(&ngx_http_s3_loop_queue, &sc->queue);
    }
}


/* the end of a pass: make its group durable, then answer */

static void
ngx_http_s3_loop_commit(void)
{
    ngx_int_t                 rc;
    ngx_queue_t              *q;
    ngx_http_s3_loop_conn_t  *sc;

    ngx_http_s3_engine_group(0);

    rc = NGX_OK;

    if (ngx_http_s3_engine_dirty()) {
        ngx_http_s3_engine_op("group commit");
        ngx_http_s3_engine_request(1);
        rc = ngx_http_s3_engine_sync(ngx_http_s3_loop_log);
        ngx_http_s3_engine_request(0);
    }

    ngx_http_s3_srv_trash_end(rc == NGX_OK);

    while (!ngx_queue_empty(&ngx_http_s3_loop_queue)) {
        q = ngx_queue_head(&ngx_http_s3_loop_queue);
        ngx_queue_remove(q);

        sc = ngx_queue_data(q, ngx_http_s3_loop_conn_t, queue);
        sc->in_pass = 0;

        if (rc != NGX_OK && sc->dirty) {
            ngx_http_s3_loop_fail(sc);
        }

        sc->dirty = 0;

        if (ngx_http_s3_loop_flush(sc) != NGX_OK) {
            ngx_http_s3_loop_close(sc);
        }
    }

    if (rc != NGX_OK) {
        ngx_http_s3_srv_reopen(ngx_http_s3_loop_log);
    }
}


/* the group is not durable: every reply that may show it is an error */

static void
ngx_http_s3_loop_fail(ngx_http_s3_loop_conn_t *sc)
{
    u_char    *p, *last, op;
    size_t     len;
    uint32_t   id;

    p = sc->out.start + sc->held;
    last = sc->out.pos;

    while (ngx_http_s3_wire_frame_parse(p, last - p, &len, &id, &op)
           == NGX_OK)
    {
        p[NGX_HTTP_S3_WIRE_HEADER - 1] = NGX_HTTP_S3_WIRE_ST_ERROR;
        p += len;
    }
}


static ngx_int_t
ngx_http_s3_loop_flush(ngx_http_s3_loop_conn_t *sc)
{
    ssize_t             n;
    ngx_err_t           err;
    ngx_uint_t          writing;
    struct epoll_event  ee;

    writing = 0;

    while (sc->out.start + sc->out_sent < sc->out.pos) {

        n = send(sc->fd, sc->out.start + sc->out_sent,
                 sc->out.pos - sc->out.start - sc->out_sent, MSG_NOSIGNAL);

        if (n == -1) {
            err = ngx_socket_errno;

            if (err == NGX_EINTR) {
                continue;
            }

            if (err == NGX_EAGAIN) {
                writing = 1;
                break;
            }

            ngx_log_error(NGX_LOG_INFO, ngx_http_s3_loop_log, err,
                          "s3 metadata send() failed");
            return NGX_ERROR;
        }

        sc->out_sent += n;
    }

    /*
     * the write event only while a reply waits (unix sockets signal
     * writable each time the worker reads, a wakeup per batch for nothing)
     */

    if (writing != sc->writing) {
        ee.events = EPOLLIN | (writing ? EPOLLOUT : 0);
        ee.data.ptr = sc;

        if (epoll_ctl(ngx_http_s3_loop_ep, EPOLL_CTL_MOD, sc->fd, &ee) == -1)
        {
            ngx_log_error(NGX_LOG_ALERT, ngx_http_s3_loop_log, ngx_errno,
                          "s3 metadata epoll_ctl() failed");
            return NGX_ERROR;
        }

        sc->writing = writing;
    }

    if (writing) {
        return NGX_OK;
    }

    sc->out.pos = sc->out.start;
    sc->out_sent = 0;

    /* do not keep the buffer of a large listing */

    if (sc->out.end - sc->out.start > 4 * NGX_HTTP_S3_SERVER_BUF) {
        ngx_http_s3_wbuf_free(&sc->out);

        if (ngx_http_s3_wbuf_init(&sc->out, NULL, NGX_HTTP_S3_SERVER_BUF)
            != NGX_OK)
        {
            return NGX_ERROR;
        }
    }

    return NGX_OK;
}


static void
ngx_http_s3_loop_close(ngx_http_s3_loop_conn_t *sc)
{
    if (sc->in_pass) {
        ngx_queue_remove(&sc->queue);
    }

    /* closing the socket removes it from epoll */

    ngx_close_socket(sc->fd);
    ngx_http_s3_wbuf_free(&sc->out);
    ngx_free(sc->in);
    ngx_free(sc);

    if (--ngx_http_s3_loop_clients == 0 && ngx_http_s3_loop_quitting) {
        /* the last worker is gone: the process exits after this pass */
        ngx_http_s3_loop_done = 1;
    }
}
