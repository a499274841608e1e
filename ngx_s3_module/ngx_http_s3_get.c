
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
 * GetObject and HeadObject: headers from the metadata record, the body as
 * file buffers (sendfile), one per extent of the object, single ranges
 * (across extents), parts (?partNumber=N), the conditional headers and
 * the response-* overrides.  The record comes from the worker's record
 * cache when it holds a copy that is still current (ngx_http_s3_rcache.c),
 * else from the metadata process.
 */


#define NGX_HTTP_S3_GET_TRIES          3
#define NGX_HTTP_S3_MAX_PART_NUMBER    10000


typedef struct {
    ngx_http_request_t        *request;
    ngx_str_t                  version;     /* versionId, or empty */
    ngx_str_t                  body;        /* the last body id missing */
    ngx_uint_t                 tries;
    ngx_uint_t                 part;        /* ?partNumber, or 0 */
    ngx_uint_t                 cache;       /* tag is set */
    ngx_http_s3_rcache_tag_t   tag;         /* read before asking */
} ngx_http_s3_get_t;


static ngx_int_t ngx_http_s3_get_send_meta(ngx_http_s3_get_t *g);
static void ngx_http_s3_get_handler(ngx_http_s3_meta_req_t *mr);
static ngx_int_t ngx_http_s3_get_reply(ngx_http_s3_get_t *g,
    ngx_uint_t status, ngx_str_t *reply);
static ngx_int_t ngx_http_s3_get_send(ngx_http_s3_get_t *g,
    ngx_http_s3_object_t *o);
static ngx_int_t ngx_http_s3_get_part(ngx_http_s3_get_t *g,
    ngx_http_s3_object_t *o, off_t *start, off_t *end);
static ngx_int_t ngx_http_s3_get_inline(ngx_http_s3_get_t *g,
    ngx_http_s3_object_t *o, off_t start, off_t end, ngx_chain_t **out);
static ngx_int_t ngx_http_s3_get_open(ngx_http_s3_get_t *g,
    ngx_http_s3_object_t *o, off_t start, off_t end, ngx_chain_t **out);
static ngx_http_s3_err_e ngx_http_s3_get_conditions(ngx_http_request_t *r,
    ngx_http_s3_object_t *o, const char **condition);
static ngx_int_t ngx_http_s3_object_headers(ngx_http_request_t *r,
    ngx_http_s3_object_t *o, ngx_str_t *etag);
static ngx_int_t ngx_http_s3_override(ngx_http_request_t *r,
    const char *arg, ngx_str_t *value);
static ngx_int_t ngx_http_s3_quote_etag(ngx_pool_t *pool, ngx_str_t *etag,
    ngx_str_t *quoted);


/* versionId: "null" or a version id of the form this server makes */

ngx_int_t
ngx_http_s3_version_arg(ngx_http_request_t *r, ngx_str_t *vid)
{
    uint64_t   seq;
    ngx_str_t  v;

    if (vid) {
        ngx_str_null(vid);
    }

    if (ngx_http_s3_arg(r, "versionId", &v) != NGX_OK) {
        return NGX_OK;
    }

    if (ngx_http_s3_version_parse(&v, &seq) != NGX_OK) {
        return NGX_DECLINED;
    }

    if (vid) {
        *vid = v;
    }

    return NGX_OK;
}


/*
 * x-amz-version-id of a record that is a version (an unversioned write
 * has none), and x-amz-delete-marker for a marker
 */

ngx_int_t
ngx_http_s3_version_headers(ngx_http_request_t *r, ngx_http_s3_object_t *o)
{
    ngx_str_t  v;

    if (o->flags & NGX_HTTP_S3_OBJECT_DELETE_MARKER) {
        ngx_str_set(&v, "true");

        if (ngx_http_s3_push_header(r, "x-amz-delete-marker", &v) == NULL) {
            return NGX_ERROR;
        }
    }

    if (o->seq && o->version.len
        && ngx_http_s3_push_header(r, "x-amz-version-id", &o->version)
           == NULL)
    {
        return NGX_ERROR;
    }

    return NGX_OK;
}


/* GetObject and HeadObject */

ngx_int_t
ngx_http_s3_get_object(ngx_http_request_t *r)
{
    ngx_int_t           rc, n;
    ngx_str_t           v, reply;
    ngx_uint_t          status;
    ngx_http_s3_ctx_t  *ctx;
    ngx_http_s3_get_t  *g;

    g = ngx_pcalloc(r->pool, sizeof(ngx_http_s3_get_t));
    if (g == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    g->request = r;

    if (ngx_http_s3_version_arg(r, &g->version) != NGX_OK) {
        return ngx_http_s3_send_error(r, NGX_HTTP_S3_ERR_INVALID_ARGUMENT,
                                      "Invalid version id specified");
    }

    if (ngx_http_s3_arg(r, "partNumber", &v) == NGX_OK) {
        n = ngx_atoi(v.data, v.len);

        if (n < 1 || n > NGX_HTTP_S3_MAX_PART_NUMBER) {
            return ngx_http_s3_send_error(r, NGX_HTTP_S3_ERR_INVALID_ARGUMENT,
                                          "Part number must be an integer "
                                          "between 1 and 10000, inclusive");
        }

        if (r->headers_in.range) {
            return ngx_http_s3_send_error(r, NGX_HTTP_S3_ERR_INVALID_REQUEST,
                                          "Cannot specify both Range header "
                                          "and partNumber query parameter");
        }

        g->part = (ngx_uint_t) n;
    }

    /* a copy of the record that no write has changed since: no question */

    ctx = ngx_http_s3_get_ctx(r);

    if (ngx_http_s3_rcache_tag(r, &ctx->bucket, &ctx->key, &g->tag) == NGX_OK
        && ngx_http_s3_rcache_get(r, &ctx->bucket, &ctx->key, &g->version,
                                  &g->tag, &status, &reply)
           == NGX_OK)
    {
        rc = ngx_http_s3_get_reply(g, status, &reply);

        if (rc != NGX_BUSY) {
            return rc;
        }

        /* a body went away: asked the metadata process */

        r->main->count++;

        return NGX_DONE;
    }

    rc = ngx_http_s3_get_send_meta(g);

    if (rc != NGX_OK) {
        return ngx_http_s3_send_error(r, NGX_HTTP_S3_ERR_INTERNAL, NULL);
    }

    r->main->count++;

    return NGX_DONE;
}


static ngx_int_t
ngx_http_s3_get_send_meta(ngx_http_s3_get_t *g)
{
    ngx_http_s3_ctx_t   *ctx;
    ngx_http_request_t  *r;
    ngx_http_s3_wbuf_t   b;

    r = g->request;
    ctx = ngx_http_s3_get_ctx(r);

    g->tries++;

    /* the generation before the question: the answer is at least as new */

    g->cache = (ngx_http_s3_rcache_tag(r, &ctx->bucket, &ctx->key, &g->tag)
                == NGX_OK);

    if (ngx_http_s3_wbuf_init(&b, r->pool, 16 + ctx->bucket.len
                                           + ctx->key.len + g->version.len)
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    ngx_http_s3_wire_put_str(&b, &ctx->bucket);
    ngx_http_s3_wire_put_str(&b, &ctx->key);

    if (g->version.len) {
        ngx_http_s3_wire_put_str(&b, &g->version);
    }

    return ngx_http_s3_meta_call(r, NGX_HTTP_S3_WIRE_OP_OBJECT_GET, &b,
                                 ngx_http_s3_get_handler, g);
}


static void
ngx_http_s3_get_handler(ngx_http_s3_meta_req_t *mr)
{
    ngx_int_t            rc;
    ngx_http_s3_get_t   *g;
    ngx_http_s3_ctx_t   *ctx;
    ngx_http_request_t  *r;

    g = mr->data;
    r = g->request;

    if (g->cache) {
        ctx = ngx_http_s3_get_ctx(r);
        ngx_http_s3_rcache_put(r, &ctx->bucket, &ctx->key, &g->version,
                               &g->tag, mr->status, &mr->reply);
    }

    rc = ngx_http_s3_get_reply(g, mr->status, &mr->reply);

    if (rc == NGX_BUSY) {
        /* asked the metadata again */
        return;
    }

    ngx_http_s3_finalize(r, rc);
}


/*
 * The answer to OBJECT_GET, from the metadata process or a copy of it:
 * what the content handler returns, or NGX_BUSY: asked again
 */

static ngx_int_t
ngx_http_s3_get_reply(ngx_http_s3_get_t *g, ngx_uint_t status,
    ngx_str_t *reply)
{
    ngx_str_t              rec;
    ngx_http_s3_rbuf_t     rb;
    ngx_http_s3_ctx_t     *ctx;
    ngx_http_request_t    *r;
    ngx_http_s3_object_t   o;

    r = g->request;
    ctx = ngx_http_s3_get_ctx(r);

    if (status == NGX_HTTP_S3_WIRE_ST_NO_KEY && reply->len) {

        /* the latest version is a delete marker: said so with the 404 */

        ngx_http_s3_rbuf_init(&rb, reply);
        ngx_http_s3_wire_get_str(&rb, &rec);

        if (!rb.error
            && ngx_http_s3_object_decode(&rec, &o, NULL) == NGX_OK
            && ngx_http_s3_version_headers(r, &o) != NGX_OK)
        {
            return NGX_ERROR;
        }
    }

    if (status != NGX_HTTP_S3_WIRE_ST_OK) {
        return ngx_http_s3_send_error(r, ngx_http_s3_meta_error(status),
                                      NULL);
    }

    if (ngx_http_s3_object_decode(reply, &o, r->pool) != NGX_OK) {
        ngx_log_error(NGX_LOG_ALERT, r->connection->log, 0,
                      "s3 object \"%V/%V\": bad record", &ctx->bucket,
                      &ctx->key);
        return ngx_http_s3_send_error(r, NGX_HTTP_S3_ERR_INTERNAL, NULL);
    }

    return ngx_http_s3_get_send(g, &o);
}


/*
 * The response from the record: conditions, range or part, headers, and
 * the body as file buffers.  NGX_BUSY: a body file went away under a
 * concurrent overwrite or delete, and the record is being read again.
 */

static ngx_int_t
ngx_http_s3_get_send(ngx_http_s3_get_t *g, ngx_http_s3_object_t *o)
{
    off_t                      start, end, size;
    ngx_int_t                  rc;
    ngx_str_t                  etag, name, range, count, digest;
    ngx_uint_t                 partial, whole, nparts;
    ngx_chain_t               *out;
    ngx_table_elt_t           *h;
    const char                *condition;
    ngx_http_s3_err_e          err;
    ngx_http_s3_part_t        *part;
    ngx_http_request_t        *r;
    ngx_http_s3_err_extra_t    extra[2];

    r = g->request;

    if (o->flags & NGX_HTTP_S3_OBJECT_DELETE_MARKER) {

        if (ngx_http_s3_version_headers(r, o) != NGX_OK) {
            return NGX_ERROR;
        }

        if (g->version.len == 0) {
            return ngx_http_s3_send_error(r, NGX_HTTP_S3_ERR_NO_SUCH_KEY,
                                          NULL);
        }

        /* a delete marker asked for by its id */

        r->headers_out.last_modified_time = (time_t) (o->mtime / 1000);

        extra[0].name = "Method";
        extra[0].value = r->method_name;
        extra[1].name = "ResourceType";
        ngx_str_set(&extra[1].value, "DeleteMarker");

        return ngx_http_s3_send_error_extra(r,
                                            NGX_HTTP_S3_ERR_METHOD_NOT_ALLOWED,
                                            NULL, extra, 2);
    }

    if (ngx_http_s3_quote_etag(r->pool, &o->etag, &etag) != NGX_OK) {
        return NGX_ERROR;
    }

    size = (off_t) o->size;
    ngx_http_s3_get_ctx(r)->object_size = size;
    nparts = o->parts ? o->parts->nelts : 0;

    /* S3's (and RFC 7232's) order of the preconditions */

    condition = NULL;
    err = ngx_http_s3_get_conditions(r, o, &condition);

    if (err == NGX_HTTP_S3_ERR_NOT_MODIFIED) {
        r->headers_out.etag = ngx_http_s3_push_header(r, "ETag", &etag);
        if (r->headers_out.etag == NULL) {
            return NGX_ERROR;
        }

        r->headers_out.last_modified_time = (time_t) (o->mtime / 1000);

        return ngx_http_s3_send_error(r, err, NULL);
    }

    if (err == NGX_HTTP_S3_ERR_PRECONDITION_FAILED) {
        extra[0].name = "Condition";
        extra[0].value.data = (u_char *) condition;
        extra[0].value.len = ngx_strlen(condition);

        return ngx_http_s3_send_error_extra(r, err, NULL, extra, 1);
    }

    /* a part, or a single range, as S3 serves them */

    start = 0;
    end = size - 1;
    partial = 0;

    if (g->part) {
        if (ngx_http_s3_get_part(g, o, &start, &end) != NGX_OK) {
            return ngx_http_s3_send_error(r,
                                          NGX_HTTP_S3_ERR_INVALID_PART_NUMBER,
                                          NULL);
        }

        partial = 1;

    } else if (r->headers_in.range) {
        range = r->headers_in.range->value;
        rc = ngx_http_s3_parse_range(&range, size, &start, &end);

        if (rc == NGX_ERROR) {
            name.len = sizeof("bytes */") - 1 + NGX_OFF_T_LEN;
            name.data = ngx_pnalloc(r->pool, name.len);
            if (name.data == NULL) {
                return NGX_ERROR;
            }

            name.len = ngx_sprintf(name.data, "bytes */%O", size)
                       - name.data;

            r->headers_out.content_range =
                ngx_http_s3_push_header(r, "Content-Range", &name);
            if (r->headers_out.content_range == NULL) {
                return NGX_ERROR;
            }

            extra[0].name = "RangeRequested";
            extra[0].value = range;
            extra[1].name = "ActualObjectSize";
            extra[1].value.data = name.data + sizeof("bytes */") - 1;
            extra[1].value.len = name.len - (sizeof("bytes */") - 1);

            return ngx_http_s3_send_error_extra(r,
                                                NGX_HTTP_S3_ERR_INVALID_RANGE,
                                                NULL, extra, 2);
        }

        if (rc == NGX_OK) {
            partial = 1;

        } else {
            start = 0;
            end = size - 1;
        }
    }

    /* the files are opened before anything is sent: errors are still ours */

    out = NULL;

    if (r->method != NGX_HTTP_HEAD && end >= start) {
        rc = ngx_http_s3_get_open(g, o, start, end, &out);

        if (rc == NGX_BUSY || rc == NGX_ERROR) {
            return rc;
        }

        if (rc == NGX_ABORT) {
            return ngx_http_s3_send_error(r, NGX_HTTP_S3_ERR_SLOW_DOWN, NULL);
        }

        if (rc != NGX_OK) {
            return ngx_http_s3_send_error(r, NGX_HTTP_S3_ERR_INTERNAL, NULL);
        }
    }

    if (ngx_http_s3_object_headers(r, o, &etag) != NGX_OK
        || ngx_http_s3_version_headers(r, o) != NGX_OK)
    {
        return NGX_ERROR;
    }

    if (g->part && nparts) {
        count.data = ngx_pnalloc(r->pool, NGX_INT_T_LEN);
        if (count.data == NULL) {
            return NGX_ERROR;
        }

        count.len = ngx_sprintf(count.data, "%ui", nparts) - count.data;

        if (ngx_http_s3_push_header(r, "x-amz-mp-parts-count", &count)
            == NULL)
        {
            return NGX_ERROR;
        }
    }

    /*
     * the checksum, when asked for, as S3: of the whole object (also for
     * a range that covers it), or of the part asked for
     */

    whole = (start == 0 && end == size - 1);

    h = ngx_http_s3_header_in(r, "x-amz-checksum-mode");

    if (o->checksum_alg != NGX_HTTP_S3_CHECKSUM_NONE
        && h && h->value.len == sizeof("ENABLED") - 1
        && ngx_strncasecmp(h->value.data, (u_char *) "ENABLED",
                           h->value.len)
           == 0)
    {
        rc = NGX_OK;

        if (g->part && nparts) {
            part = o->parts->elts;
            digest = part[g->part - 1].checksum;

            if (digest.len) {
                rc = ngx_http_s3_checksum_out(r, o->checksum_alg,
                                              o->checksum_type, &digest, 0);
            }

        } else if (whole || g->part) {
            rc = ngx_http_s3_checksum_out(r, o->checksum_alg,
                                          o->checksum_type, &o->checksum,
                                          nparts);
        }

        if (rc != NGX_OK) {
            return NGX_ERROR;
        }
    }

    /* ranges and preconditions are ours: nginx's filters stay out */

    r->allow_ranges = 0;
    r->disable_not_modified = 1;

    if (partial) {
        r->headers_out.status = NGX_HTTP_PARTIAL_CONTENT;

        if (end >= start) {
            name.len = sizeof("bytes --/") - 1 + 3 * NGX_OFF_T_LEN;
            name.data = ngx_pnalloc(r->pool, name.len);
            if (name.data == NULL) {
                return NGX_ERROR;
            }

            name.len = ngx_sprintf(name.data, "bytes %O-%O/%O", start, end,
                                   size)
                       - name.data;

            r->headers_out.content_range =
                ngx_http_s3_push_header(r, "Content-Range", &name);
            if (r->headers_out.content_range == NULL) {
                return NGX_ERROR;
            }
        }

    } else {
        r->headers_out.status = NGX_HTTP_OK;
    }

    r->headers_out.content_length_n = (end >= start) ? end - start + 1 : 0;

    if (out == NULL) {
        out = ngx_alloc_chain_link(r->pool);
        if (out == NULL) {
            return NGX_ERROR;
        }

        out->buf = ngx_calloc_buf(r->pool);
        if (out->buf == NULL) {
            return NGX_ERROR;
        }

        out->next = NULL;
        out->buf->last_buf = (r == r->main) ? 1 : 0;
        out->buf->last_in_chain = 1;
    }

    ngx_http_s3_body_discard(r);

    rc = ngx_http_send_header(r);

    if (rc == NGX_ERROR || rc > NGX_OK || r->header_only) {
        return rc;
    }

    return ngx_http_output_filter(r, out);
}


/*
 * ?partNumber=N: the bytes of part N of a multipart object; an object
 * uploaded in one piece is its part 1.  NGX_DECLINED: no such part.
 */

static ngx_int_t
ngx_http_s3_get_part(ngx_http_s3_get_t *g, ngx_http_s3_object_t *o,
    off_t *start, off_t *end)
{
    off_t                 pos;
    ngx_uint_t            i, n;
    ngx_http_s3_part_t   *part;

    n = o->parts ? o->parts->nelts : 1;

    if (g->part > n) {
        return NGX_DECLINED;
    }

    if (o->parts == NULL) {
        *start = 0;
        *end = (off_t) o->size - 1;
        return NGX_OK;
    }

    part = o->parts->elts;
    pos = 0;

    for (i = 0; i < g->part - 1; i++) {
        pos += (off_t) part[i].size;
    }

    *start = pos;
    *end = pos + (off_t) part[g->part - 1].size - 1;

    return NGX_OK;
}


/*
 * One file buffer per extent that the bytes start..end touch, each from
 * its own open file.  NGX_OK with the chain; NGX_BUSY: a file is gone,
 * the record is being read again; NGX_ABORT: out of file descriptors;
 * NGX_DECLINED: an error, logged; NGX_ERROR: no memory.
 */

static ngx_int_t
ngx_http_s3_get_open(ngx_http_s3_get_t *g, ngx_http_s3_object_t *o,
    off_t start, off_t end, ngx_chain_t **out)
{
    u_char                    *path;
    off_t                      pos, from, to;
    ngx_buf_t                 *b;
    ngx_str_t                  fname;
    ngx_uint_t                 i, n, level;
    ngx_chain_t               *cl, *last, **ll;
    ngx_http_s3_ctx_t         *ctx;
    ngx_http_request_t        *r;
    ngx_open_file_info_t       of;
    ngx_http_s3_extent_t      *ext, one;
    ngx_http_s3_main_conf_t   *smcf;

    r = g->request;
    ctx = ngx_http_s3_get_ctx(r);
    smcf = ngx_http_get_module_main_conf(r, ngx_http_s3_module);

    if (o->flags & NGX_HTTP_S3_OBJECT_INLINE) {
        return ngx_http_s3_get_inline(g, o, start, end, out);
    }

    if (o->extents) {
        ext = o->extents->elts;
        n = o->extents->nelts;

    } else {
        /* the whole body file */
        one.body = o->body;
        one.offset = 0;
        one.length = o->size;
        ext = &one;
        n = 1;
    }

    ll = out;
    last = NULL;
    pos = 0;

    for (i = 0; i < n; pos += (off_t) ext[i].length, i++) {

        /* this extent holds the object's bytes pos .. pos + length - 1 */

        if (pos + (off_t) ext[i].length <= start || ext[i].length == 0) {
            continue;
        }

        if (pos > end) {
            break;
        }

        from = ngx_max(start, pos) - pos + (off_t) ext[i].offset;
        to = ngx_min(end + 1, pos + (off_t) ext[i].length) - pos
             + (off_t) ext[i].offset;

        path = ngx_pnalloc(r->pool, smcf->data.len + 48);
        if (path == NULL) {
            return NGX_ERROR;
        }

        if (ngx_http_s3_body_path(smcf, path, &ext[i].body) == NULL) {
            ngx_log_error(NGX_LOG_ALERT, r->connection->log, 0,
                          "the record of \"%V/%V\" names no body file",
                          &ctx->bucket, &ctx->key);
            return NGX_DECLINED;
        }

        fname.data = path;
        fname.len = ngx_strlen(path);

        ngx_memzero(&of, sizeof(ngx_open_file_info_t));

        if (ngx_http_s3_store_open(r, &fname, &of) != NGX_OK) {
            if (of.err == NGX_ENOENT
                && g->tries < NGX_HTTP_S3_GET_TRIES
                && (g->body.len != ext[i].body.len
                    || ngx_memcmp(g->body.data, ext[i].body.data,
                                  ext[i].body.len)
                       != 0))
            {
                /* replaced or deleted since the record was read */

                g->body.data = ngx_pstrdup(r->pool, &ext[i].body);
                if (g->body.data == NULL) {
                    return NGX_ERROR;
                }

                g->body.len = ext[i].body.len;

                if (ngx_http_s3_get_send_meta(g) == NGX_OK) {
                    return NGX_BUSY;
                }

                return NGX_DECLINED;
            }

            if (of.err == NGX_EMFILE || of.err == NGX_ENFILE) {

                /* out of descriptors: a client may retry, see directives */

                ngx_log_error(NGX_LOG_ERR, r->connection->log, of.err,
                              "%s \"%s\" failed for \"%V/%V\" (part %ui "
                              "of %ui): raise worker_rlimit_nofile",
                              of.failed ? of.failed : "open", path,
                              &ctx->bucket, &ctx->key, i + 1, n);

                return NGX_ABORT;
            }

            level = (of.err == 0) ? NGX_LOG_ALERT : NGX_LOG_CRIT;

            ngx_log_error(level, r->connection->log, of.err,
                          "%s \"%s\" failed for \"%V/%V\"",
                          of.failed ? of.failed : "open", path,
                          &ctx->bucket, &ctx->key);

            return NGX_DECLINED;
        }

        if (!of.is_file
            || of.size < (off_t) (ext[i].offset + ext[i].length))
        {
            ngx_log_error(NGX_LOG_ALERT, r->connection->log, 0,
                          "body file \"%s\" of \"%V/%V\" has %O bytes, "
                          "the record says %O", path, &ctx->bucket,
                          &ctx->key, of.size,
                          (off_t) (ext[i].offset + ext[i].length));

            return NGX_DECLINED;
        }

        b = ngx_calloc_buf(r->pool);
        if (b == NULL) {
            return NGX_ERROR;
        }

        b->file = ngx_pcalloc(r->pool, sizeof(ngx_file_t));
        if (b->file == NULL) {
            return NGX_ERROR;
        }

        b->file_pos = from;
        b->file_last = to;
        b->in_file = 1;

        b->file->fd = of.fd;
        b->file->name = fname;
        b->file->log = r->connection->log;
        b->file->directio = of.is_directio;

        cl = ngx_alloc_chain_link(r->pool);
        if (cl == NULL) {
            return NGX_ERROR;
        }

        cl->buf = b;
        cl->next = NULL;

        *ll = cl;
        ll = &cl->next;
        last = cl;
    }

    if (last == NULL) {
        /* nothing to send: the record's extents are shorter than it says */
        ngx_log_error(NGX_LOG_ALERT, r->connection->log, 0,
                      "s3 object \"%V/%V\": no extent holds bytes %O-%O",
                      &ctx->bucket, &ctx->key, start, end);
        return NGX_DECLINED;
    }

    last->buf->last_buf = (r == r->main) ? 1 : 0;
    last->buf->last_in_chain = 1;

    return NGX_OK;
}


/* an inline body: its bytes came with the record, a memory buffer */

static ngx_int_t
ngx_http_s3_get_inline(ngx_http_s3_get_t *g, ngx_http_s3_object_t *o,
    off_t start, off_t end, ngx_chain_t **out)
{
    ngx_buf_t           *b;
    ngx_chain_t         *cl;
    ngx_http_s3_ctx_t   *ctx;
    ngx_http_request_t  *r;

    r = g->request;

    if (o->data.len != o->size || end >= (off_t) o->data.len) {
        ctx = ngx_http_s3_get_ctx(r);

        ngx_log_error(NGX_LOG_ALERT, r->connection->log, 0,
                      "s3 object \"%V/%V\": inline body of %uz bytes, "
                      "the record says %uL", &ctx->bucket, &ctx->key,
                      o->data.len, o->size);
        return NGX_DECLINED;
    }

    b = ngx_calloc_buf(r->pool);
    cl = ngx_alloc_chain_link(r->pool);

    if (b == NULL || cl == NULL) {
        return NGX_ERROR;
    }

    b->pos = o->data.data + start;
    b->last = o->data.data + end + 1;
    b->memory = 1;
    b->last_buf = (r == r->main) ? 1 : 0;
    b->last_in_chain = 1;

    cl->buf = b;
    cl->next = NULL;
    *out = cl;

    return NGX_OK;
}


static ngx_http_s3_err_e
ngx_http_s3_get_conditions(ngx_http_request_t *r, ngx_http_s3_object_t *o,
    const char **condition)
{
    time_t            mtime, t;
    ngx_table_elt_t  *h;

    mtime = (time_t) (o->mtime / 1000);

    /* If-Match decides alone when present; else If-Unmodified-Since */

    h = r->headers_in.if_match;

    if (h) {
        if (!ngx_http_s3_etag_match(&h->value, &o->etag, 0)) {
            *condition = "If-Match";
            return NGX_HTTP_S3_ERR_PRECONDITION_FAILED;
        }

    } else {
        h = r->headers_in.if_unmodified_since;

        if (h) {
            t = ngx_parse_http_time(h->value.data, h->value.len);

            if (t != NGX_ERROR && mtime > t) {
                *condition = "If-Unmodified-Since";
                return NGX_HTTP_S3_ERR_PRECONDITION_FAILED;
            }
        }
    }

    /* If-None-Match decides alone when present; else If-Modified-Since */

    h = r->headers_in.if_none_match;

    if (h) {
        if (ngx_http_s3_etag_match(&h->value, &o->etag, 1)) {
            return NGX_HTTP_S3_ERR_NOT_MODIFIED;
        }

        return NGX_HTTP_S3_OK;
    }

    h = r->headers_in.if_modified_since;

    if (h) {
        t = ngx_parse_http_time(h->value.data, h->value.len);

        if (t != NGX_ERROR && mtime <= t) {
            return NGX_HTTP_S3_ERR_NOT_MODIFIED;
        }
    }

    return NGX_HTTP_S3_OK;
}


/* the stored content headers, each with its response-* override */

typedef struct {
    size_t                     field;   /* in ngx_http_s3_object_t */
    const char                *arg;
    const char                *name;
    size_t                     out;     /* in ngx_http_headers_out_t, or 0 */
} ngx_http_s3_stored_header_t;


static ngx_http_s3_stored_header_t  ngx_http_s3_stored_headers[] = {

    { offsetof(ngx_http_s3_object_t, content_encoding),
      "response-content-encoding", "Content-Encoding",
      offsetof(ngx_http_headers_out_t, content_encoding) },

    { offsetof(ngx_http_s3_object_t, content_disposition),
      "response-content-disposition", "Content-Disposition", 0 },

    { offsetof(ngx_http_s3_object_t, content_language),
      "response-content-language", "Content-Language", 0 },

    { offsetof(ngx_http_s3_object_t, cache_control),
      "response-cache-control", "Cache-Control", 0 },

    { offsetof(ngx_http_s3_object_t, expires),
      "response-expires", "Expires",
      offsetof(ngx_http_headers_out_t, expires) },

    { 0, NULL, NULL, 0 }
};


static ngx_int_t
ngx_http_s3_object_headers(ngx_http_request_t *r, ngx_http_s3_object_t *o,
    ngx_str_t *etag)
{
    u_char                        *p;
    ngx_str_t                      v, name;
    ngx_uint_t                     i, overrides;
    ngx_table_elt_t               *h;
    ngx_http_s3_pair_t            *pair;
    ngx_http_s3_stored_header_t   *sh;

    /* most requests have none: one look instead of six */

    overrides = (r->args.len
                 && memmem(r->args.data, r->args.len, "response-",
                           sizeof("response-") - 1)
                    != NULL);

    r->headers_out.etag = ngx_http_s3_push_header(r, "ETag", etag);
    if (r->headers_out.etag == NULL) {
        return NGX_ERROR;
    }

    r->headers_out.last_modified_time = (time_t) (o->mtime / 1000);

    /* the response-* query arguments of a signed request override */

    v = o->content_type;

    if (overrides
        && ngx_http_s3_override(r, "response-content-type", &v) != NGX_OK)
    {
        return NGX_ERROR;
    }

    if (v.len == 0) {
        ngx_str_set(&v, "binary/octet-stream");
    }

    r->headers_out.content_type = v;
    r->headers_out.content_type_len = v.len;
    r->headers_out.content_type_lowcase = NULL;

    for (sh = ngx_http_s3_stored_headers; sh->name; sh++) {

        v = *(ngx_str_t *) ((u_char *) o + sh->field);

        if (overrides && ngx_http_s3_override(r, sh->arg, &v) != NGX_OK) {
            return NGX_ERROR;
        }

        if (v.len == 0) {
            continue;
        }

        h = ngx_http_s3_push_header(r, sh->name, &v);
        if (h == NULL) {
            return NGX_ERROR;
        }

        /* Content-Encoding also tells gzip the body is encoded already */

        if (sh->out) {
            *(ngx_table_elt_t **) ((u_char *) &r->headers_out + sh->out) = h;
        }
    }

    if (o->meta) {
        pair = o->meta->elts;

        for (i = 0; i < o->meta->nelts; i++) {
            name.len = sizeof("x-amz-meta-") - 1 + pair[i].name.len;
            name.data = ngx_pnalloc(r->pool, name.len + 1);
            if (name.data == NULL) {
                return NGX_ERROR;
            }

            p = ngx_cpymem(name.data, "x-amz-meta-",
                           sizeof("x-amz-meta-") - 1);
            p = ngx_cpymem(p, pair[i].name.data, pair[i].name.len);
            *p = '\0';

            if (ngx_http_s3_push_header(r, (char *) name.data, &pair[i].value)
                == NULL)
            {
                return NGX_ERROR;
            }
        }
    }

    if (ngx_http_s3_tagging_count(r, o) != NGX_OK) {
        return NGX_ERROR;
    }

    if ((o->lock_mode || o->legal_hold)
        && ngx_http_s3_lock_out(r, o) != NGX_OK)
    {
        return NGX_ERROR;
    }

    ngx_str_set(&v, "bytes");

    if (ngx_http_s3_push_header(r, "Accept-Ranges", &v) == NULL) {
        return NGX_ERROR;
    }

    return NGX_OK;
}


/*
 * x-amz-checksum-<algorithm> and x-amz-checksum-type of a stored object;
 * a COMPOSITE checksum of parts parts ends in "-<parts>"
 */

ngx_int_t
ngx_http_s3_checksum_out(ngx_http_request_t *r, ngx_uint_t alg,
    ngx_uint_t type, ngx_str_t *digest, ngx_uint_t parts)
{
    ngx_str_t   v, *name;

    if (digest->len == 0 || digest->len != ngx_http_s3_checksum_size(alg)) {
        /* a record of a newer algorithm: say nothing */
        return NGX_OK;
    }

    name = ngx_http_s3_checksum_header(alg);

    v.data = ngx_pnalloc(r->pool, NGX_HTTP_S3_CHECKSUM_MAX_BASE64
                                  + 1 + NGX_INT_T_LEN);
    if (v.data == NULL) {
        return NGX_ERROR;
    }

    v.len = ngx_http_s3_checksum_encode(alg, digest->data, v.data);

    if (type == NGX_HTTP_S3_CHECKSUM_COMPOSITE && parts) {
        v.len = ngx_sprintf(v.data + v.len, "-%ui", parts) - v.data;
    }

    if (ngx_http_s3_push_header(r, (const char *) name->data, &v) == NULL) {
        return NGX_ERROR;
    }

    if (type == NGX_HTTP_S3_WIRE_NO_TYPE) {
        return NGX_OK;
    }

    if (type == NGX_HTTP_S3_CHECKSUM_COMPOSITE) {
        ngx_str_set(&v, "COMPOSITE");

    } else {
        ngx_str_set(&v, "FULL_OBJECT");
    }

    if (ngx_http_s3_push_header(r, "x-amz-checksum-type", &v) == NULL) {
        return NGX_ERROR;
    }

    return NGX_OK;
}


void
ngx_http_s3_checksum_xml(ngx_http_s3_xml_t *w, ngx_uint_t alg,
    ngx_uint_t type, ngx_str_t *digest, ngx_uint_t parts)
{
    u_char      *p;
    size_t       len;
    ngx_str_t   *n;
    u_char       name[sizeof("Checksum") + 16];
    u_char       v[NGX_HTTP_S3_CHECKSUM_MAX_BASE64 + 1 + NGX_INT_T_LEN];

    if (alg == NGX_HTTP_S3_CHECKSUM_NONE
        || digest->len == 0
        || digest->len != ngx_http_s3_checksum_size(alg))
    {
        return;
    }

    n = ngx_http_s3_checksum_name(alg);

    if (n->len > 16) {
        return;
    }

    p = ngx_cpymem(name, "Checksum", sizeof("Checksum") - 1);
    p = ngx_cpymem(p, n->data, n->len);
    *p = '\0';

    len = ngx_http_s3_checksum_encode(alg, digest->data, v);

    if (type == NGX_HTTP_S3_CHECKSUM_COMPOSITE && parts) {
        len = ngx_sprintf(v + len, "-%ui", parts) - v;
    }

    ngx_http_s3_xml_text(w, (char *) name, v, len);

    if (type == NGX_HTTP_S3_CHECKSUM_NO_TYPE) {
        return;
    }

    ngx_http_s3_xml_cstr(w, "ChecksumType",
                         (type == NGX_HTTP_S3_CHECKSUM_COMPOSITE)
                         ? "COMPOSITE" : "FULL_OBJECT");
}


/* a response-* query argument, percent-decoded, replaces *value */

static ngx_int_t
ngx_http_s3_override(ngx_http_request_t *r, const char *arg,
    ngx_str_t *value)
{
    u_char     *p;
    size_t      len;
    ngx_str_t   raw;

    if (ngx_http_s3_arg(r, arg, &raw) != NGX_OK) {
        return NGX_OK;
    }

    p = ngx_pnalloc(r->pool, raw.len + 1);
    if (p == NULL) {
        return NGX_ERROR;
    }

    len = raw.len;

    if (ngx_http_s3_uri_decode(p, &len, raw.data, raw.len) != NGX_OK) {
        ngx_memcpy(p, raw.data, raw.len);
        len = raw.len;
    }

    /* no header splitting through a query argument */

    if (ngx_strlchr(p, p + len, CR) || ngx_strlchr(p, p + len, LF)
        || ngx_strlchr(p, p + len, '\0'))
    {
        return NGX_OK;
    }

    value->data = p;
    value->len = len;

    return NGX_OK;
}


static ngx_int_t
ngx_http_s3_quote_etag(ngx_pool_t *pool, ngx_str_t *etag, ngx_str_t *quoted)
{
    u_char  *p;

    quoted->len = etag->len + 2;
    quoted->data = ngx_pnalloc(pool, quoted->len);
    if (quoted->data == NULL) {
        return NGX_ERROR;
    }

    p = quoted->data;
    *p++ = '"';
    p = ngx_cpymem(p, etag->data, etag->len);
    *p = '"';

    return NGX_OK;
}
