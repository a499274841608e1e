
/*
 * Copyright (C) ngx_s3 authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_s3.h"
#include "ngx_http_s3_ops.h"


/*
 * Metrics.  The counters live in one shared memory zone, "s3_metrics",
 * added when an s3_metrics location is configured: nginx keeps a zone of
 * the same name, size and tag across a reload, so the counters go on.
 * Every process adds with ngx_atomic_fetch_add(): no lock, no process
 * waits for another.
 *
 *   - a log phase handler counts each request of an s3 location once,
 *     after its response: by operation (the routing table's name) and
 *     status class, bytes in and out, and its duration in a histogram;
 *     requests nginx answered itself (error_page, limit_req) included;
 *   - the worker side of the metadata protocol (meta.c) times each round
 *     trip, and counts the requests waiting for an answer in a slot of
 *     its own process (ngx_process_slot), cleared when a process takes
 *     the slot: a worker that died leaves nothing behind;
 *   - the metadata process publishes what LevelDB says about itself every
 *     few seconds (server.c, engine.c).
 *
 * The s3_metrics handler writes them in Prometheus' text format 0.0.4.
 * Each value is read on its own while others may add: a scrape is not a
 * snapshot across counters, but every counter is exact and never goes
 * back.  Per-bucket usage (objects and bytes) does not fit a fixed zone
 * (buckets come and go): it is read from the metadata process at scrape
 * time (USAGE_LIST, one record per bucket, kept exact there), a request
 * of its own before the text is written; without an answer the scrape
 * has no bucket families.
 */


/* status classes: 0 for a status outside 100-599, then 1xx .. 5xx */
#define NGX_HTTP_S3_METRICS_CLASSES  6

/* histogram buckets: the bounds below, then one above every bound */
#define NGX_HTTP_S3_METRICS_BUCKETS  20

/* room for one line of the text format */
#define NGX_HTTP_S3_METRICS_LINE     192


typedef struct {
    ngx_atomic_t               count[NGX_HTTP_S3_METRICS_BUCKETS];
    ngx_atomic_t               sum;             /* microseconds */
} ngx_http_s3_histogram_t;


typedef struct {
    ngx_atomic_t               requests[NGX_HTTP_S3_METRICS_CLASSES];
    ngx_atomic_t               received;        /* $request_length */
    ngx_atomic_t               sent;            /* $bytes_sent */
    ngx_http_s3_histogram_t    duration;
} ngx_http_s3_metrics_op_t;


typedef struct {
    ngx_http_s3_metrics_op_t   ops[NGX_HTTP_S3_OP_LAST];

    ngx_http_s3_histogram_t    meta;
    ngx_atomic_t               meta_pending[NGX_MAX_PROCESSES];

    /*
     * written by the metadata process alone, read by the workers: aligned
     * 64-bit words, each one whole; engine_time 0 until the first time
     */
    ngx_atomic_t               engine_time;
    ngx_http_s3_engine_stats_t engine;
} ngx_http_s3_metrics_t;


typedef struct {
    u_char                    *pos;
    u_char                    *last;
} ngx_http_s3_metrics_out_t;


static ngx_int_t ngx_http_s3_metrics_log(ngx_http_request_t *r);
static void ngx_http_s3_metrics_observe(ngx_http_s3_histogram_t *h,
    uint64_t us);
static ngx_int_t ngx_http_s3_metrics_handler(ngx_http_request_t *r);
static void ngx_http_s3_metrics_usage_handler(ngx_http_s3_meta_req_t *mr);
static ngx_int_t ngx_http_s3_metrics_send(ngx_http_request_t *r,
    ngx_str_t *usage);
static void ngx_http_s3_metrics_buckets(ngx_http_s3_metrics_out_t *out,
    ngx_str_t *usage);
static void ngx_http_s3_metrics_requests(ngx_http_s3_metrics_out_t *out,
    ngx_http_s3_metrics_t *m);
static void ngx_http_s3_metrics_meta(ngx_http_s3_metrics_out_t *out,
    ngx_http_s3_metrics_t *m);
static void ngx_http_s3_metrics_leveldb(ngx_http_s3_metrics_out_t *out,
    ngx_http_s3_metrics_t *m);
static void ngx_http_s3_metrics_family(ngx_http_s3_metrics_out_t *out,
    const char *name, const char *type, const char *help);
static void ngx_http_s3_metrics_histogram(ngx_http_s3_metrics_out_t *out,
    const char *name, const char *label, ngx_http_s3_histogram_t *h);
static void ngx_http_s3_metrics_levels(ngx_http_s3_metrics_out_t *out,
    const char *name, uint64_t *v, uint64_t div);
static const char *ngx_http_s3_metrics_op_label(ngx_uint_t op);


/* the upper bounds of the histogram buckets: 50 us to 60 s */

static uint64_t  ngx_http_s3_metrics_bounds[NGX_HTTP_S3_METRICS_BUCKETS - 1]
    = {
    50, 100, 250, 500,
    1000, 2500, 5000, 10000, 25000, 50000, 100000, 250000, 500000,
    1000000, 2500000, 5000000, 10000000, 30000000, 60000000
};

static const char  *ngx_http_s3_metrics_le[NGX_HTTP_S3_METRICS_BUCKETS] = {
    "5e-05", "0.0001", "0.00025", "0.0005",
    "0.001", "0.0025", "0.005", "0.01", "0.025", "0.05", "0.1", "0.25",
    "0.5", "1", "2.5", "5", "10", "30", "60", "+Inf"
};

static const char  *ngx_http_s3_metrics_classes[NGX_HTTP_S3_METRICS_CLASSES]
    = {
    "other", "1xx", "2xx", "3xx", "4xx", "5xx"
};


/* this process's view of the zone; NULL: no metrics */
static ngx_http_s3_metrics_t  *ngx_http_s3_metrics;


/* s3_metrics: this location answers the metrics of every s3 location */

char *
ngx_http_s3_metrics_conf(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_s3_main_conf_t   *smcf;
    ngx_http_core_loc_conf_t  *clcf;

    clcf = ngx_http_conf_get_module_loc_conf(cf, ngx_http_core_module);

    if (clcf->handler == ngx_http_s3_metrics_handler) {
        return "is duplicate";
    }

    clcf->handler = ngx_http_s3_metrics_handler;

    smcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_s3_module);

    if (smcf->metrics_zone) {
        return NGX_CONF_OK;
    }

    smcf->metrics_zone = ngx_http_s3_shared_struct(cf, "s3_metrics",
                                             sizeof(ngx_http_s3_metrics_t));
    if (smcf->metrics_zone == NULL) {
        return NGX_CONF_ERROR;
    }

    return NGX_CONF_OK;
}



/* postconfiguration: the log handler, only when there are metrics */

ngx_int_t
ngx_http_s3_metrics_init(ngx_conf_t *cf)
{
    ngx_http_handler_pt        *h;
    ngx_http_s3_main_conf_t    *smcf;
    ngx_http_core_main_conf_t  *cmcf;

    smcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_s3_module);

    if (smcf->metrics_zone == NULL) {
        return NGX_OK;
    }

    cmcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_core_module);

    h = ngx_array_push(&cmcf->phases[NGX_HTTP_LOG_PHASE].handlers);
    if (h == NULL) {
        return NGX_ERROR;
    }

    *h = ngx_http_s3_metrics_log;

    return NGX_OK;
}


void
ngx_http_s3_metrics_init_process(ngx_cycle_t *cycle)
{
    ngx_http_s3_main_conf_t  *smcf;

    ngx_http_s3_metrics = NULL;

    smcf = ngx_http_cycle_get_module_main_conf(cycle, ngx_http_s3_module);

    if (smcf == NULL || smcf->metrics_zone == NULL) {
        return;
    }

    ngx_http_s3_metrics = smcf->metrics_zone->data;

    /* the slot's previous process, if any, has exited */

    if (ngx_process_slot >= 0 && ngx_process_slot < NGX_MAX_PROCESSES) {
        ngx_http_s3_metrics->meta_pending[ngx_process_slot] = 0;
    }
}


ngx_uint_t
ngx_http_s3_metrics_enabled(void)
{
    return ngx_http_s3_metrics != NULL;
}


uint64_t
ngx_http_s3_usec(void)
{
    struct timespec  ts;

    (void) clock_gettime(CLOCK_MONOTONIC, &ts);

    return (uint64_t) ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}


/*
 * The log phase: each request of an s3 location once (a request nginx
 * refused before the module ran has no context, its location says s3)
 */

static ngx_int_t
ngx_http_s3_metrics_log(ngx_http_request_t *r)
{
    uint64_t                   us;
    ngx_msec_int_t             ms;
    ngx_uint_t                 status, class;
    ngx_time_t                *tp;
    ngx_http_s3_ctx_t         *ctx;
    ngx_http_s3_metrics_t     *m;
    ngx_http_s3_loc_conf_t    *slcf;
    ngx_http_s3_metrics_op_t  *op;

    m = ngx_http_s3_metrics;

    if (m == NULL) {
        return NGX_OK;
    }

    ctx = ngx_http_s3_get_ctx(r);

    if (ctx == NULL) {
        slcf = ngx_http_get_module_loc_conf(r, ngx_http_s3_module);

        if (!slcf->enable) {
            return NGX_OK;
        }
    }

    op = &m->ops[(ctx && ctx->op < NGX_HTTP_S3_OP_LAST)
                 ? ctx->op : NGX_HTTP_S3_OP_NONE];

    /* as $status */

    status = r->err_status ? r->err_status : r->headers_out.status;
    class = status / 100;

    if (class >= NGX_HTTP_S3_METRICS_CLASSES) {
        class = 0;
    }

    (void) ngx_atomic_fetch_add(&op->requests[class], 1);
    (void) ngx_atomic_fetch_add(&op->received, r->request_length);
    (void) ngx_atomic_fetch_add(&op->sent, r->connection->sent);

    if (ctx && ctx->start) {
        us = ngx_http_s3_usec() - ctx->start;

    } else {
        /* as $request_time: milliseconds */
        tp = ngx_timeofday();
        ms = (ngx_msec_int_t) ((tp->sec - r->start_sec) * 1000
                               + (tp->msec - r->start_msec));
        us = (uint64_t) ngx_max(ms, 0) * 1000;
    }

    ngx_http_s3_metrics_observe(&op->duration, us);

    return NGX_OK;
}


static void
ngx_http_s3_metrics_observe(ngx_http_s3_histogram_t *h, uint64_t us)
{
    ngx_uint_t  i;

    for (i = 0; i < NGX_HTTP_S3_METRICS_BUCKETS - 1; i++) {
        if (us <= ngx_http_s3_metrics_bounds[i]) {
            break;
        }
    }

    (void) ngx_atomic_fetch_add(&h->count[i], 1);
    (void) ngx_atomic_fetch_add(&h->sum, (ngx_atomic_int_t) us);
}


void
ngx_http_s3_metrics_meta_start(ngx_http_s3_meta_req_t *mr)
{
    ngx_http_s3_metrics_t  *m;

    m = ngx_http_s3_metrics;

    if (m == NULL || ngx_process_slot < 0
        || ngx_process_slot >= NGX_MAX_PROCESSES)
    {
        return;
    }

    mr->start = ngx_http_s3_usec();

    (void) ngx_atomic_fetch_add(&m->meta_pending[ngx_process_slot], 1);
}


void
ngx_http_s3_metrics_meta_done(ngx_http_s3_meta_req_t *mr)
{
    ngx_http_s3_metrics_t  *m;

    m = ngx_http_s3_metrics;

    if (m == NULL || mr->start == 0) {
        return;
    }

    (void) ngx_atomic_fetch_add(&m->meta_pending[ngx_process_slot], -1);

    ngx_http_s3_metrics_observe(&m->meta, ngx_http_s3_usec() - mr->start);

    mr->start = 0;
}


/* the metadata process: LevelDB's numbers, whole words, one writer */

void
ngx_http_s3_metrics_engine(ngx_http_s3_engine_stats_t *st)
{
    ngx_http_s3_metrics_t  *m;

    m = ngx_http_s3_metrics;

    if (m == NULL) {
        return;
    }

    ngx_memcpy(&m->engine, st, sizeof(ngx_http_s3_engine_stats_t));

    ngx_memory_barrier();

    m->engine_time = ngx_time();
}


/* the s3_metrics location */

static ngx_int_t
ngx_http_s3_metrics_handler(ngx_http_request_t *r)
{
    ngx_int_t               rc;
    ngx_http_s3_wbuf_t      b;
    ngx_http_s3_metrics_t  *m;

    if (!(r->method & (NGX_HTTP_GET|NGX_HTTP_HEAD))) {
        return NGX_HTTP_NOT_ALLOWED;
    }

    rc = ngx_http_discard_request_body(r);

    if (rc != NGX_OK) {
        return rc;
    }

    m = ngx_http_s3_metrics;

    if (m == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    /* the buckets' usage first, from the metadata process */

    if (ngx_http_s3_wbuf_init(&b, r->pool, 16) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (ngx_http_s3_meta_call(r, NGX_HTTP_S3_WIRE_OP_USAGE_LIST, &b,
                              ngx_http_s3_metrics_usage_handler, r)
        != NGX_OK)
    {
        return ngx_http_s3_metrics_send(r, NULL);
    }

    r->main->count++;

    return NGX_DONE;
}


static void
ngx_http_s3_metrics_usage_handler(ngx_http_s3_meta_req_t *mr)
{
    ngx_http_request_t  *r;

    r = mr->data;

    ngx_http_finalize_request(r, ngx_http_s3_metrics_send(r,
                                     mr->status == NGX_HTTP_S3_WIRE_ST_OK
                                     ? &mr->reply : NULL));
}


/* the text; usage: the reply of USAGE_LIST, or NULL */

static ngx_int_t
ngx_http_s3_metrics_send(ngx_http_request_t *r, ngx_str_t *usage)
{
    size_t                      size;
    uint32_t                    n;
    ngx_int_t                   rc;
    ngx_buf_t                  *b;
    ngx_chain_t                 out;
    ngx_http_s3_rbuf_t          rb;
    ngx_http_s3_metrics_t      *m;
    ngx_http_s3_metrics_out_t   o;

    m = ngx_http_s3_metrics;

    n = 0;

    if (usage) {
        ngx_http_s3_rbuf_init(&rb, usage);
        n = ngx_http_s3_wire_get_u32(&rb);
    }

    /* a line per counter, bucket and family header, and to spare */

    size = (NGX_HTTP_S3_OP_LAST
            * (NGX_HTTP_S3_METRICS_CLASSES + NGX_HTTP_S3_METRICS_BUCKETS + 6)
            + NGX_HTTP_S3_METRICS_BUCKETS + 8 * NGX_HTTP_S3_ENGINE_LEVELS
            + 64 + (size_t) n * NGX_HTTP_S3_USAGE_N)
           * NGX_HTTP_S3_METRICS_LINE;

    b = ngx_create_temp_buf(r->pool, size);
    if (b == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    o.pos = b->pos;
    o.last = b->end;

    ngx_http_s3_metrics_requests(&o, m);
    ngx_http_s3_metrics_meta(&o, m);
    ngx_http_s3_metrics_leveldb(&o, m);

    if (usage) {
        ngx_http_s3_metrics_buckets(&o, usage);
    }

    if (o.pos == o.last) {
        ngx_log_error(NGX_LOG_ALERT, r->connection->log, 0,
                      "s3 metrics: %uz bytes are not enough", size);
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    b->last = o.pos;
    b->last_buf = (r == r->main) ? 1 : 0;
    b->last_in_chain = 1;

    r->headers_out.status = NGX_HTTP_OK;
    r->headers_out.content_length_n = b->last - b->pos;
    ngx_str_set(&r->headers_out.content_type,
                "text/plain; version=0.0.4; charset=utf-8");
    r->headers_out.content_type_len = sizeof("text/plain") - 1;

    rc = ngx_http_send_header(r);

    if (rc == NGX_ERROR || rc > NGX_OK || r->header_only) {
        return rc;
    }

    out.buf = b;
    out.next = NULL;

    return ngx_http_output_filter(r, &out);
}


static void
ngx_http_s3_metrics_requests(ngx_http_s3_metrics_out_t *out,
    ngx_http_s3_metrics_t *m)
{
    u_char                     label[64];
    ngx_uint_t                 op, c;
    const char                *name;
    ngx_http_s3_metrics_op_t  *o;

    ngx_http_s3_metrics_family(out, "s3_requests_total", "counter",
                               "S3 requests answered, by operation and "
                               "status class.");

    for (op = 0; op < NGX_HTTP_S3_OP_LAST; op++) {
        name = ngx_http_s3_metrics_op_label(op);

        if (name == NULL) {
            continue;
        }

        o = &m->ops[op];

        for (c = 0; c < NGX_HTTP_S3_METRICS_CLASSES; c++) {

            /* a status outside 100-599 is rare: shown once it happened */

            if (c == 0 && o->requests[0] == 0) {
                continue;
            }

            out->pos = ngx_slprintf(out->pos, out->last,
                                    "s3_requests_total{operation=\"%s\","
                                    "status=\"%s\"} %uA\n", name,
                                    ngx_http_s3_metrics_classes[c],
                                    o->requests[c]);
        }
    }

    ngx_http_s3_metrics_family(out, "s3_received_bytes_total", "counter",
                               "Bytes received in S3 requests (request "
                               "line, headers and body), by operation.");

    for (op = 0; op < NGX_HTTP_S3_OP_LAST; op++) {
        name = ngx_http_s3_metrics_op_label(op);

        if (name) {
            out->pos = ngx_slprintf(out->pos, out->last,
                                    "s3_received_bytes_total{operation="
                                    "\"%s\"} %uA\n", name,
                                    m->ops[op].received);
        }
    }

    ngx_http_s3_metrics_family(out, "s3_sent_bytes_total", "counter",
                               "Bytes sent in S3 responses (headers and "
                               "body), by operation.");

    for (op = 0; op < NGX_HTTP_S3_OP_LAST; op++) {
        name = ngx_http_s3_metrics_op_label(op);

        if (name) {
            out->pos = ngx_slprintf(out->pos, out->last,
                                    "s3_sent_bytes_total{operation="
                                    "\"%s\"} %uA\n", name, m->ops[op].sent);
        }
    }

    ngx_http_s3_metrics_family(out, "s3_request_duration_seconds",
                               "histogram",
                               "Time from the S3 handler's start (or the "
                               "request's, if it did not run) to the "
                               "response's end, by operation.");

    for (op = 0; op < NGX_HTTP_S3_OP_LAST; op++) {
        name = ngx_http_s3_metrics_op_label(op);

        if (name) {
            (void) ngx_snprintf(label, sizeof(label), "operation=\"%s\"%Z",
                                name);
            ngx_http_s3_metrics_histogram(out, "s3_request_duration_seconds",
                                          (char *) label,
                                          &m->ops[op].duration);
        }
    }
}


static void
ngx_http_s3_metrics_meta(ngx_http_s3_metrics_out_t *out,
    ngx_http_s3_metrics_t *m)
{
    ngx_uint_t        i;
    ngx_atomic_int_t  pending;

    ngx_http_s3_metrics_family(out, "s3_metadata_request_duration_seconds",
                               "histogram",
                               "Round trips of workers to the metadata "
                               "process, from the request's queueing to "
                               "its answer or timeout.");

    ngx_http_s3_metrics_histogram(out, "s3_metadata_request_duration_seconds",
                                  NULL, &m->meta);

    pending = 0;

    for (i = 0; i < NGX_MAX_PROCESSES; i++) {
        pending += (ngx_atomic_int_t) m->meta_pending[i];
    }

    ngx_http_s3_metrics_family(out, "s3_metadata_requests_pending", "gauge",
                               "Metadata requests sent by the workers and "
                               "not answered yet.");

    out->pos = ngx_slprintf(out->pos, out->last,
                            "s3_metadata_requests_pending %A\n",
                            ngx_max(pending, 0));
}


static void
ngx_http_s3_metrics_leveldb(ngx_http_s3_metrics_out_t *out,
    ngx_http_s3_metrics_t *m)
{
    ngx_http_s3_engine_stats_t  *st;

    if (m->engine_time == 0) {
        /* not published yet: nothing rather than zeroes */
        return;
    }

    ngx_memory_barrier();

    st = &m->engine;

    ngx_http_s3_metrics_family(out, "s3_leveldb_stats_timestamp_seconds",
                               "gauge",
                               "When the metadata process last published "
                               "the LevelDB numbers below.");

    out->pos = ngx_slprintf(out->pos, out->last,
                            "s3_leveldb_stats_timestamp_seconds %uA\n",
                            m->engine_time);

    ngx_http_s3_metrics_family(out, "s3_leveldb_disk_bytes", "gauge",
                               "Size of the metadata database's files "
                               "(tables, log, manifest).");

    out->pos = ngx_slprintf(out->pos, out->last,
                            "s3_leveldb_disk_bytes %uL\n", st->disk);

    ngx_http_s3_metrics_family(out, "s3_leveldb_memory_bytes", "gauge",
                               "LevelDB's approximate memory use "
                               "(memtables and block cache).");

    out->pos = ngx_slprintf(out->pos, out->last,
                            "s3_leveldb_memory_bytes %uL\n", st->memory);

    ngx_http_s3_metrics_family(out, "s3_leveldb_files", "gauge",
                               "Table files per LevelDB level.");
    ngx_http_s3_metrics_levels(out, "s3_leveldb_files", st->files, 1);

    ngx_http_s3_metrics_family(out, "s3_leveldb_level_bytes", "gauge",
                               "Bytes of the tables per LevelDB level "
                               "(LevelDB reports whole MiB).");
    ngx_http_s3_metrics_levels(out, "s3_leveldb_level_bytes", st->bytes, 1);

    ngx_http_s3_metrics_family(out, "s3_leveldb_compaction_seconds_total",
                               "counter",
                               "Time spent compacting into each level "
                               "since the database was opened (LevelDB "
                               "reports whole seconds).");
    ngx_http_s3_metrics_levels(out, "s3_leveldb_compaction_seconds_total",
                               st->compaction_us, 1000000);

    ngx_http_s3_metrics_family(out, "s3_leveldb_compaction_read_bytes_total",
                               "counter",
                               "Bytes read by compactions into each level "
                               "since the database was opened (whole "
                               "MiB).");
    ngx_http_s3_metrics_levels(out, "s3_leveldb_compaction_read_bytes_total",
                               st->compaction_read, 1);

    ngx_http_s3_metrics_family(out,
                               "s3_leveldb_compaction_written_bytes_total",
                               "counter",
                               "Bytes written by compactions into each "
                               "level since the database was opened "
                               "(whole MiB).");
    ngx_http_s3_metrics_levels(out,
                               "s3_leveldb_compaction_written_bytes_total",
                               st->compaction_written, 1);
}


/* per bucket: a family per usage counter, a line per bucket in each */

static void
ngx_http_s3_metrics_buckets(ngx_http_s3_metrics_out_t *out, ngx_str_t *usage)
{
    uint32_t             n, i;
    uint64_t             v;
    ngx_str_t            name;
    ngx_uint_t           j, k;
    ngx_http_s3_rbuf_t   rb;

    static const char  *families[NGX_HTTP_S3_USAGE_N][2] = {
        { "s3_bucket_objects",
          "Objects in the bucket (current versions)." },
        { "s3_bucket_bytes",
          "Bytes of the bucket's objects (current versions)." },
        { "s3_bucket_noncurrent_versions",
          "Non-current versions and delete markers kept in the bucket." },
        { "s3_bucket_noncurrent_bytes",
          "Bytes of the bucket's non-current versions." },
        { "s3_bucket_upload_parts",
          "Parts of the bucket's multipart uploads in progress." },
        { "s3_bucket_upload_bytes",
          "Bytes of the parts of the bucket's uploads in progress." }
    };

    for (j = 0; j < NGX_HTTP_S3_USAGE_N; j++) {
        ngx_http_s3_metrics_family(out, families[j][0], "gauge",
                                   families[j][1]);

        ngx_http_s3_rbuf_init(&rb, usage);
        n = ngx_http_s3_wire_get_u32(&rb);

        for (i = 0; i < n; i++) {
            ngx_http_s3_wire_get_str(&rb, &name);

            v = 0;

            for (k = 0; k < NGX_HTTP_S3_USAGE_N; k++) {
                if (k == j) {
                    v = ngx_http_s3_wire_get_u64(&rb);

                } else {
                    (void) ngx_http_s3_wire_get_u64(&rb);
                }
            }

            if (rb.error) {
                return;
            }

            /* bucket names are [a-z0-9.-]: nothing to escape */

            out->pos = ngx_slprintf(out->pos, out->last,
                                    "%s{bucket=\"%V\"} %uL\n",
                                    families[j][0], &name, v);
        }
    }
}


static void
ngx_http_s3_metrics_family(ngx_http_s3_metrics_out_t *out, const char *name,
    const char *type, const char *help)
{
    out->pos = ngx_slprintf(out->pos, out->last,
                            "# HELP %s %s\n# TYPE %s %s\n",
                            name, help, name, type);
}


/* cumulative buckets, the sum in seconds, the count */

static void
ngx_http_s3_metrics_histogram(ngx_http_s3_metrics_out_t *out,
    const char *name, const char *label, ngx_http_s3_histogram_t *h)
{
    uint64_t     total, sum;
    ngx_uint_t   i;
    const char  *sep;

    sep = label ? "," : "";
    label = label ? label : "";

    total = 0;

    for (i = 0; i < NGX_HTTP_S3_METRICS_BUCKETS; i++) {
        total += h->count[i];

        out->pos = ngx_slprintf(out->pos, out->last,
                                "%s_bucket{%s%sle=\"%s\"} %uL\n",
                                name, label, sep, ngx_http_s3_metrics_le[i],
                                total);
    }

    sum = h->sum;

    sep = *label ? "{" : "";

    out->pos = ngx_slprintf(out->pos, out->last,
                            "%s_sum%s%s%s %uL.%06uL\n"
                            "%s_count%s%s%s %uL\n",
                            name, sep, label, *label ? "}" : "",
                            sum / 1000000, sum % 1000000,
                            name, sep, label, *label ? "}" : "", total);
}


static void
ngx_http_s3_metrics_levels(ngx_http_s3_metrics_out_t *out, const char *name,
    uint64_t *v, uint64_t div)
{
    ngx_uint_t  i;

    for (i = 0; i < NGX_HTTP_S3_ENGINE_LEVELS; i++) {
        out->pos = ngx_slprintf(out->pos, out->last,
                                "%s{level=\"%ui\"} %uL\n",
                                name, i, v[i] / div);
    }
}


/* "GetObject"; "Unknown" for a request that is no operation */

static const char *
ngx_http_s3_metrics_op_label(ngx_uint_t op)
{
    if (op == NGX_HTTP_S3_OP_NONE) {
        return "Unknown";
    }

    return ngx_http_s3_op_name((ngx_http_s3_op_e) op);
}
