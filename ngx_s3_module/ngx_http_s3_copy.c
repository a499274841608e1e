
/*
 * Copyright (C) ngx_s3 authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>
#include <ngx_md5.h>

#include "ngx_http_s3.h"
#include "ngx_http_s3_ops.h"


/*
 * CopyObject: a PUT with x-amz-copy-source.  The worker parses and checks
 * the request and sends one OBJECT_COPY; the metadata process reads the
 * source, decides the copy-source conditions and the target's conditional
 * write, and commits a record that names the source's body or extents
 * (their reference counts rise): copying costs a metadata write whatever
 * the size.
 *
 * The one case that reads bytes: x-amz-checksum-algorithm asks for a
 * checksum the source does not have.  The source's record is read first,
 * its bytes are hashed here in steps (a few MiB per event loop turn),
 * and the OBJECT_COPY then names that record: if the source changed
 * meanwhile, the metadata process refuses and the copy starts again.
 */


#define NGX_HTTP_S3_COPY_TRIES        3
#define NGX_HTTP_S3_COPY_READ_BUF     (256 * 1024)
#define NGX_HTTP_S3_COPY_READ_STEP    (4 * 1024 * 1024)


typedef struct {
    ngx_http_request_t        *request;

    ngx_str_t                  bucket;      /* the source */
    ngx_str_t                  key;
    ngx_str_t                  version;     /* its versionId, or empty */

    ngx_uint_t                 directives;  /* NGX_HTTP_S3_WIRE_COPY_* */
    ngx_http_s3_object_t       tpl;         /* what the request sets */
    ngx_http_s3_copy_cond_t    cc;
    ngx_http_s3_write_cond_t   cond;        /* of the target */

    ngx_uint_t                 checksum;    /* x-amz-checksum-algorithm */
    ngx_uint_t                 tries;
    ngx_str_t                  expect;      /* the source record hashed */

    /* UploadPartCopy */
    ngx_str_t                  upload_id;
    ngx_uint_t                 part;        /* its number, 0: CopyObject */
    ngx_uint_t                 ranged;      /* x-amz-copy-source-range */
    uint64_t                   first;
    uint64_t                   last;
    ngx_uint_t                 hashed;      /* digest and md5 are set */

    /* hashing the source's bytes pos .. end - 1 */
    ngx_http_s3_object_t       src;
    ngx_http_s3_checksum_t     ck;
    ngx_md5_t                  md5;
    off_t                      pos;
    off_t                      end;
    ngx_uint_t                 extent;      /* holding pos */
    off_t                      extent_start;
    ngx_fd_t                   fd;
    u_char                    *buf;
    ngx_event_t                ev;
    u_char                     digest[NGX_HTTP_S3_CHECKSUM_MAX_SIZE];
    u_char                     md5_sum[16];
} ngx_http_s3_copy_t;


static ngx_http_s3_err_e ngx_http_s3_copy_directive(ngx_http_request_t *r,
    const char *name, ngx_uint_t bit, ngx_http_s3_copy_t *cp,
    ngx_http_s3_err_extra_t *extra, const char **message);
static ngx_int_t ngx_http_s3_copy_lookup(ngx_http_s3_copy_t *cp);
static void ngx_http_s3_copy_source_handler(ngx_http_s3_meta_req_t *mr);
static ngx_int_t ngx_http_s3_copy_hash_start(ngx_http_s3_copy_t *cp,
    off_t start, off_t end);
static void ngx_http_s3_copy_hash_step(ngx_event_t *ev);
static ngx_int_t ngx_http_s3_copy_hash(ngx_http_s3_copy_t *cp);
static void ngx_http_s3_copy_cleanup(void *data);
static ngx_int_t ngx_http_s3_copy_send(ngx_http_s3_copy_t *cp);
static void ngx_http_s3_copy_handler(ngx_http_s3_meta_req_t *mr);
static ngx_int_t ngx_http_s3_copy_result(ngx_http_request_t *r,
    ngx_http_s3_object_t *o);
static ngx_int_t ngx_http_s3_copy_error(ngx_http_request_t *r,
    ngx_http_s3_copy_t *cp, ngx_uint_t status, ngx_str_t *reply);
static ngx_uint_t ngx_http_s3_copy_printable(ngx_str_t *s);
static ngx_http_s3_err_e ngx_http_s3_part_copy_range(ngx_http_request_t *r,
    ngx_http_s3_copy_t *cp, const char **message,
    ngx_http_s3_err_extra_t *extra);
static ngx_int_t ngx_http_s3_part_copy_send(ngx_http_s3_copy_t *cp);
static void ngx_http_s3_part_copy_handler(ngx_http_s3_meta_req_t *mr);
static ngx_int_t ngx_http_s3_part_copy_result(ngx_http_request_t *r,
    ngx_http_s3_object_t *o);


ngx_int_t
ngx_http_s3_copy_object(ngx_http_request_t *r)
{
    ngx_int_t                 rc;
    ngx_time_t               *tp;
    ngx_table_elt_t          *h;
    const char               *message;
    ngx_http_s3_ctx_t        *ctx;
    ngx_http_s3_err_e         err;
    ngx_http_s3_copy_t       *cp;
    ngx_http_s3_err_extra_t   extra[2];

    ctx = ngx_http_s3_get_ctx(r);

    if (ngx_http_discard_request_body(r) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    cp = ngx_pcalloc(r->pool, sizeof(ngx_http_s3_copy_t));
    if (cp == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    cp->request = r;
    cp->fd = NGX_INVALID_FILE;

    message = NULL;
    extra[0].name = NULL;

    err = ngx_http_s3_copy_source(r, &cp->bucket, &cp->key, &cp->version,
                                  &message,
                                  extra);

    if (err == NGX_HTTP_S3_OK) {
        extra[0].name = NULL;

        err = ngx_http_s3_copy_directive(r, "x-amz-metadata-directive",
                                         NGX_HTTP_S3_WIRE_COPY_REPLACE_META,
                                         cp, extra, &message);
    }

    if (err == NGX_HTTP_S3_OK) {
        err = ngx_http_s3_copy_directive(r, "x-amz-tagging-directive",
                                      NGX_HTTP_S3_WIRE_COPY_REPLACE_TAGGING,
                                      cp, extra, &message);
    }

    if (err == NGX_HTTP_S3_OK) {
        /* the content headers and metadata count with REPLACE only */
        err = ngx_http_s3_put_headers(r, &cp->tpl, &message);
    }

    if (err != NGX_HTTP_S3_OK) {
        if (extra[0].name) {
            return ngx_http_s3_send_error_extra(r, err, message, extra, 2);
        }

        return ngx_http_s3_send_error(r, err, message);
    }

    h = ngx_http_s3_header_in(r, "x-amz-checksum-algorithm");

    if (h) {
        cp->checksum = ngx_http_s3_checksum_by_name(h->value.data,
                                                    h->value.len);

        if (cp->checksum == NGX_HTTP_S3_CHECKSUM_NONE) {
            return ngx_http_s3_send_error(r, NGX_HTTP_S3_ERR_INVALID_REQUEST,
                                          "Value for x-amz-checksum-algorithm "
                                          "header is invalid.");
        }

        cp->directives |= NGX_HTTP_S3_WIRE_COPY_CHECKSUM;
    }

    /* onto itself, a copy must change something */

    if (cp->bucket.len == ctx->bucket.len
        && ngx_memcmp(cp->bucket.data, ctx->bucket.data, cp->bucket.len) == 0
        && cp->key.len == ctx->key.len
        && ngx_memcmp(cp->key.data, ctx->key.data, cp->key.len) == 0
        && cp->directives == 0
        && ngx_http_s3_header_in(r, "x-amz-storage-class") == NULL)
    {
        return ngx_http_s3_send_error(r, NGX_HTTP_S3_ERR_INVALID_REQUEST,
                   "This copy request is illegal because it is trying to "
                   "copy an object to itself without changing the object's "
                   "metadata, storage class, website redirect location or "
                   "encryption attributes.");
    }

    ngx_http_s3_copy_conditions(r, &cp->cc);
    ngx_http_s3_write_conditions(r, &cp->cond);

    tp = ngx_timeofday();

    cp->tpl.mtime = (uint64_t) tp->sec * 1000 + tp->msec;
    cp->tpl.owner = ctx->auth.access_key;
    ngx_str_set(&cp->tpl.version, "null");

    if (cp->checksum != NGX_HTTP_S3_CHECKSUM_NONE) {
        rc = ngx_http_s3_copy_lookup(cp);

    } else {
        rc = ngx_http_s3_copy_send(cp);
    }

    if (rc != NGX_OK) {
        return ngx_http_s3_send_error(r, NGX_HTTP_S3_ERR_INTERNAL, NULL);
    }

    r->main->count++;

    return NGX_DONE;
}


/*
 * x-amz-copy-source: "[/]bucket/key[?versionId=id]", percent-encoded;
 * split at its first '/' before decoding, so that "%2F" stays in the
 * part it was sent in.  NGX_HTTP_S3_OK, or the error with a message and,
 * for InvalidArgument, the two extra elements ArgumentName and
 * ArgumentValue.
 */

ngx_http_s3_err_e
ngx_http_s3_copy_source(ngx_http_request_t *r, ngx_str_t *bucket,
    ngx_str_t *key, ngx_str_t *vid, const char **message,
    ngx_http_s3_err_extra_t *extra)
{
    u_char           *p, *last, *slash, *q, *end, *dst;
    size_t            len;
    uint64_t          seq;
    ngx_int_t         rc;
    ngx_str_t         v, version;
    ngx_table_elt_t  *h;

    ngx_str_null(vid);

    h = ngx_http_s3_header_in(r, "x-amz-copy-source");

    v = h->value;

    extra[0].name = "ArgumentName";
    ngx_str_set(&extra[0].value, "x-amz-copy-source");
    extra[1].name = "ArgumentValue";
    extra[1].value = v;

    if (!ngx_http_s3_copy_printable(&v)) {
        ngx_str_null(&extra[1].value);
    }

    p = v.data;
    last = p + v.len;

    q = ngx_strlchr(p, last, '?');

    if (q) {
        last = q;
    }

    if (p < last && *p == '/') {
        p++;
    }

    slash = ngx_strlchr(p, last, '/');

    if (slash == NULL || slash + 1 == last) {
        *message = "Invalid copy source object key";
        return NGX_HTTP_S3_ERR_INVALID_ARGUMENT;
    }

    dst = ngx_pnalloc(r->pool, last - p);
    if (dst == NULL) {
        return NGX_HTTP_S3_ERR_INTERNAL;
    }

    len = slash - p;

    if (ngx_http_s3_uri_decode(dst, &len, p, slash - p) != NGX_OK) {
        *message = "Invalid copy source encoding";
        return NGX_HTTP_S3_ERR_INVALID_ARGUMENT;
    }

    bucket->data = dst;
    bucket->len = len;

    dst += len;
    len = last - slash - 1;

    if (ngx_http_s3_uri_decode(dst, &len, slash + 1, last - slash - 1)
        != NGX_OK)
    {
        *message = "Invalid copy source encoding";
        return NGX_HTTP_S3_ERR_INVALID_ARGUMENT;
    }

    key->data = dst;
    key->len = len;

    if (!ngx_http_s3_valid_bucket_name(bucket)) {
        *message = "Invalid copy source bucket name";
        return NGX_HTTP_S3_ERR_INVALID_ARGUMENT;
    }

    rc = ngx_http_s3_valid_key(key);

    if (rc == NGX_DECLINED) {
        extra[0].name = NULL;
        return (key->len == 0) ? NGX_HTTP_S3_ERR_INVALID_ARGUMENT
                               : NGX_HTTP_S3_ERR_KEY_TOO_LONG;
    }

    if (rc != NGX_OK) {
        *message = "Invalid copy source encoding";
        return NGX_HTTP_S3_ERR_INVALID_ARGUMENT;
    }

    if (q == NULL) {
        return NGX_HTTP_S3_OK;
    }

    /* the query: only versionId counts: "null" or an id of this server */

    p = q + 1;
    last = v.data + v.len;

    while (p < last) {
        end = ngx_strlchr(p, last, '&');

        if (end == NULL) {
            end = last;
        }

        if (end - p >= (ssize_t) sizeof("versionId") - 1
            && ngx_strncmp(p, "versionId", sizeof("versionId") - 1) == 0
            && (end - p == sizeof("versionId") - 1
                || p[sizeof("versionId") - 1] == '='))
        {
            version.data = p + sizeof("versionId") - 1;
            version.len = end - version.data;

            if (version.len) {
                version.data++;
                version.len--;
            }

            if (version.len == 0) {
                *message = "Version id cannot be the empty string";
                return NGX_HTTP_S3_ERR_INVALID_ARGUMENT;
            }

            if (ngx_http_s3_version_parse(&version, &seq) != NGX_OK) {
                extra[0].name = NULL;
                *message = "Invalid version id specified";
                return NGX_HTTP_S3_ERR_INVALID_ARGUMENT;
            }

            *vid = version;
        }

        p = end + 1;
    }

    return NGX_HTTP_S3_OK;
}


/*
 * x-amz-copy-source-if-*: entity tags as sent; dates that do not parse
 * are ignored, as is an If-Modified-Since later than now (RFC 9110)
 */

void
ngx_http_s3_copy_conditions(ngx_http_request_t *r,
    ngx_http_s3_copy_cond_t *cc)
{
    time_t            t;
    ngx_table_elt_t  *h;

    ngx_memzero(cc, sizeof(ngx_http_s3_copy_cond_t));

    h = ngx_http_s3_header_in(r, "x-amz-copy-source-if-match");

    if (h) {
        cc->cond |= NGX_HTTP_S3_WIRE_SRC_IF_MATCH;
        cc->match = h->value;
    }

    h = ngx_http_s3_header_in(r, "x-amz-copy-source-if-none-match");

    if (h) {
        cc->cond |= NGX_HTTP_S3_WIRE_SRC_IF_NONE_MATCH;
        cc->none_match = h->value;
    }

    h = ngx_http_s3_header_in(r, "x-amz-copy-source-if-unmodified-since");

    if (h) {
        t = ngx_parse_http_time(h->value.data, h->value.len);

        if (t != NGX_ERROR && t >= 0) {
            cc->cond |= NGX_HTTP_S3_WIRE_SRC_IF_UNMODIFIED;
            cc->unmodified_since = (uint64_t) t;
        }
    }

    h = ngx_http_s3_header_in(r, "x-amz-copy-source-if-modified-since");

    if (h) {
        t = ngx_parse_http_time(h->value.data, h->value.len);

        if (t != NGX_ERROR && t >= 0 && t <= ngx_time()) {
            cc->cond |= NGX_HTTP_S3_WIRE_SRC_IF_MODIFIED;
            cc->modified_since = (uint64_t) t;
        }
    }
}


/* x-amz-metadata-directive and x-amz-tagging-directive: COPY or REPLACE */

static ngx_http_s3_err_e
ngx_http_s3_copy_directive(ngx_http_request_t *r, const char *name,
    ngx_uint_t bit, ngx_http_s3_copy_t *cp, ngx_http_s3_err_extra_t *extra,
    const char **message)
{
    ngx_table_elt_t  *h;

    h = ngx_http_s3_header_in(r, name);

    if (h == NULL
        || (h->value.len == 4 && ngx_strncmp(h->value.data, "COPY", 4) == 0))
    {
        return NGX_HTTP_S3_OK;
    }

    if (h->value.len == 7 && ngx_strncmp(h->value.data, "REPLACE", 7) == 0) {
        cp->directives |= bit;
        return NGX_HTTP_S3_OK;
    }

    *message = (bit == NGX_HTTP_S3_WIRE_COPY_REPLACE_META)
               ? "Unknown metadata directive."
               : "Unknown tagging directive.";

    extra[0].name = "ArgumentName";
    extra[0].value.data = (u_char *) name;
    extra[0].value.len = ngx_strlen(name);
    extra[1].name = "ArgumentValue";
    extra[1].value = h->value;

    if (!ngx_http_s3_copy_printable(&h->value)) {
        ngx_str_null(&extra[1].value);
    }

    return NGX_HTTP_S3_ERR_INVALID_ARGUMENT;
}


/* the source's record, to hash its bytes for x-amz-checksum-algorithm */

static ngx_int_t
ngx_http_s3_copy_lookup(ngx_http_s3_copy_t *cp)
{
    ngx_http_request_t  *r;
    ngx_http_s3_wbuf_t   b;

    r = cp->request;

    cp->tries++;

    if (ngx_http_s3_wbuf_init(&b, r->pool, 16 + cp->bucket.len
                                           + cp->key.len + cp->version.len)
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    ngx_http_s3_wire_put_str(&b, &cp->bucket);
    ngx_http_s3_wire_put_str(&b, &cp->key);

    if (cp->version.len) {
        ngx_http_s3_wire_put_str(&b, &cp->version);
    }

    return ngx_http_s3_meta_call(r, NGX_HTTP_S3_WIRE_OP_OBJECT_GET, &b,
                                 ngx_http_s3_copy_source_handler, cp);
}


static void
ngx_http_s3_copy_source_handler(ngx_http_s3_meta_req_t *mr)
{
    u_char                which;
    ngx_int_t             rc;
    ngx_str_t             reply;
    ngx_http_s3_copy_t    *cp;
    ngx_http_request_t    *r;
    ngx_http_s3_object_t  *o;

    cp = mr->data;
    r = cp->request;
    o = &cp->src;

    if (mr->status != NGX_HTTP_S3_WIRE_ST_OK) {

        /* the error is the source's: tell it the way OBJECT_COPY does */

        which = NGX_HTTP_S3_WIRE_COPY_SOURCE;
        reply.data = &which;
        reply.len = 1;

        rc = ngx_http_s3_copy_error(r, cp, mr->status, &reply);
        goto done;
    }

    if (ngx_http_s3_object_decode(&mr->reply, o, r->pool) != NGX_OK) {
        ngx_log_error(NGX_LOG_ALERT, r->connection->log, 0,
                      "s3 copy source \"%V/%V\": bad record", &cp->bucket,
                      &cp->key);
        rc = ngx_http_s3_send_error(r, NGX_HTTP_S3_ERR_INTERNAL, NULL);
        goto done;
    }

    cp->expect = mr->reply;

    if (o->flags & NGX_HTTP_S3_OBJECT_INLINE) {
        /* the record as stored: without the bytes OBJECT_GET appends */
        cp->expect.len -= ngx_min(cp->expect.len, 5 + o->data.len);
    }

    /* what the commit decides again, before reading a byte for nothing */

    if (o->flags & NGX_HTTP_S3_OBJECT_DELETE_MARKER) {
        which = NGX_HTTP_S3_WIRE_COPY_SOURCE;
        reply.data = &which;
        reply.len = 1;

        rc = ngx_http_s3_copy_error(r, cp,
                                    cp->version.len
                                    ? NGX_HTTP_S3_WIRE_ST_DELETE_MARKER
                                    : NGX_HTTP_S3_WIRE_ST_NO_KEY,
                                    &reply);
        goto done;
    }

    if (o->size > NGX_HTTP_S3_WIRE_COPY_MAX_SOURCE) {
        rc = ngx_http_s3_copy_error(r, cp,
                                    NGX_HTTP_S3_WIRE_ST_SOURCE_TOO_LARGE,
                                    NULL);
        goto done;
    }

    if (ngx_http_s3_copy_cond_check(&cp->cc, &o->etag, o->mtime) != NGX_OK) {
        rc = ngx_http_s3_send_error(r, NGX_HTTP_S3_ERR_PRECONDITION_FAILED,
                                    NULL);
        goto done;
    }

    /* the source has that checksum of its whole bytes already */

    if (o->checksum_alg == cp->checksum
        && o->checksum_type == NGX_HTTP_S3_CHECKSUM_FULL_OBJECT
        && o->checksum.len == ngx_http_s3_checksum_size(cp->checksum))
    {
        cp->tpl.checksum_alg = o->checksum_alg;
        cp->tpl.checksum_type = o->checksum_type;
        cp->tpl.checksum = o->checksum;

        if (ngx_http_s3_copy_send(cp) != NGX_OK) {
            rc = ngx_http_s3_send_error(r, NGX_HTTP_S3_ERR_INTERNAL, NULL);
            goto done;
        }

        return;
    }

    ngx_log_debug3(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "s3 copy: hashing %uL bytes of \"%V/%V\"", o->size,
                   &cp->bucket, &cp->key);

    if (ngx_http_s3_copy_hash_start(cp, 0, (off_t) o->size) != NGX_OK) {
        rc = ngx_http_s3_send_error(r, NGX_HTTP_S3_ERR_INTERNAL, NULL);
        goto done;
    }

    return;

done:

    ngx_http_s3_finalize(r, rc);
}


/* the source's bytes start .. end - 1 into the checksum (and MD5) */

static ngx_int_t
ngx_http_s3_copy_hash_start(ngx_http_s3_copy_t *cp, off_t start, off_t end)
{
    ngx_pool_cleanup_t  *cln;
    ngx_http_request_t  *r;

    r = cp->request;

    if (cp->buf == NULL) {
        cp->buf = ngx_palloc(r->pool, NGX_HTTP_S3_COPY_READ_BUF);
        if (cp->buf == NULL) {
            return NGX_ERROR;
        }

        cln = ngx_pool_cleanup_add(r->pool, 0);
        if (cln == NULL) {
            return NGX_ERROR;
        }

        cln->handler = ngx_http_s3_copy_cleanup;
        cln->data = cp;

        cp->ev.handler = ngx_http_s3_copy_hash_step;
        cp->ev.data = cp;
        cp->ev.log = r->connection->log;
    }

    if (ngx_http_s3_checksum_init(&cp->ck, r->pool, cp->checksum)
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    ngx_md5_init(&cp->md5);

    cp->pos = start;
    cp->end = end;
    cp->extent = 0;
    cp->extent_start = 0;

    ngx_post_event(&cp->ev, &ngx_posted_next_events);

    return NGX_OK;
}


static void
ngx_http_s3_copy_hash_step(ngx_event_t *ev)
{
    ngx_int_t            rc;
    ngx_http_s3_copy_t  *cp;
    ngx_http_request_t  *r;

    cp = ev->data;
    r = cp->request;

    rc = ngx_http_s3_copy_hash(cp);

    if (rc == NGX_AGAIN) {
        ngx_post_event(&cp->ev, &ngx_posted_next_events);
        return;
    }

    if (cp->fd != NGX_INVALID_FILE) {
        (void) ngx_close_file(cp->fd);
        cp->fd = NGX_INVALID_FILE;
    }

    if (rc == NGX_OK) {
        if (ngx_http_s3_checksum_final(&cp->ck, cp->digest) != NGX_OK) {
            rc = NGX_ERROR;

        } else if (cp->part) {
            ngx_md5_final(cp->md5_sum, &cp->md5);
            cp->hashed = 1;

            rc = ngx_http_s3_part_copy_send(cp);

        } else {
            cp->tpl.checksum_alg = cp->checksum;
            cp->tpl.checksum_type = NGX_HTTP_S3_CHECKSUM_FULL_OBJECT;
            cp->tpl.checksum.data = cp->digest;
            cp->tpl.checksum.len = ngx_http_s3_checksum_size(cp->checksum);

            rc = ngx_http_s3_copy_send(cp);
        }

        if (rc == NGX_OK) {
            return;
        }

    } else if (rc == NGX_DECLINED && cp->tries < NGX_HTTP_S3_COPY_TRIES) {

        /* a body went away: the source changed, start again */

        if (cp->part) {
            cp->hashed = 0;
            ngx_str_null(&cp->expect);
            cp->tries++;
            rc = ngx_http_s3_part_copy_send(cp);

        } else {
            rc = ngx_http_s3_copy_lookup(cp);
        }

        if (rc == NGX_OK) {
            return;
        }
    }

    ngx_http_s3_finalize(r, ngx_http_s3_send_error(r,
                                        NGX_HTTP_S3_ERR_INTERNAL, NULL));
}


/*
 * Up to NGX_HTTP_S3_COPY_READ_STEP bytes of the source into the checksum:
 * NGX_OK at the end, NGX_AGAIN for more, NGX_DECLINED if a body file is
 * gone, NGX_ERROR (logged)
 */

static ngx_int_t
ngx_http_s3_copy_hash(ngx_http_s3_copy_t *cp)
{
    off_t                     budget, at;
    size_t                    size;
    ssize_t                   n;
    ngx_uint_t                nelts;
    ngx_http_request_t       *r;
    ngx_http_s3_extent_t     *ext, one;
    ngx_http_s3_object_t     *o;
    ngx_http_s3_main_conf_t  *smcf;
    u_char                    path[NGX_MAX_PATH];

    r = cp->request;
    o = &cp->src;
    smcf = ngx_http_get_module_main_conf(r, ngx_http_s3_module);

    if (o->extents) {
        ext = o->extents->elts;
        nelts = o->extents->nelts;

    } else {
        one.body = o->body;
        one.offset = 0;
        one.length = o->size;
        ext = &one;
        nelts = (o->size && o->body.len) ? 1 : 0;
    }

    if (o->flags & NGX_HTTP_S3_OBJECT_INLINE) {

        /* the bytes came with the record (never a part's: see srv_copy) */

        n = cp->end - cp->pos;
        at = cp->pos;
        cp->pos = cp->end;

        return (cp->end <= (off_t) o->data.len)
               ? ngx_http_s3_checksum_update(&cp->ck, o->data.data + at, n)
               : NGX_DECLINED;
    }

    budget = NGX_HTTP_S3_COPY_READ_STEP;

    while (cp->pos < cp->end) {

        /* the extent that holds pos */

        if (cp->extent < nelts
            && cp->extent_start + (off_t) ext[cp->extent].length <= cp->pos)
        {
            if (cp->fd != NGX_INVALID_FILE) {
                (void) ngx_close_file(cp->fd);
                cp->fd = NGX_INVALID_FILE;
            }

            cp->extent_start += (off_t) ext[cp->extent].length;
            cp->extent++;
            continue;
        }

        if (cp->extent == nelts) {
            ngx_log_error(NGX_LOG_ALERT, r->connection->log, 0,
                          "s3 copy: \"%V/%V\" has no extent at %O",
                          &cp->bucket, &cp->key, cp->pos);
            return NGX_ERROR;
        }

        if (budget <= 0) {
            return NGX_AGAIN;
        }

        if (cp->fd == NGX_INVALID_FILE) {

            if (smcf->data.len + 48 > sizeof(path)) {
                return NGX_ERROR;
            }

            if (ngx_http_s3_body_path(smcf, path, &ext[cp->extent].body)
                == NULL)
            {
                return NGX_ERROR;
            }

            /*
             * not through ngx_http_s3_store_open(): one extent at a time,
             * read once and closed, holds one descriptor however many
             * extents the source has, and fills no open_file_cache entry
             */

            cp->fd = ngx_open_file(path, NGX_FILE_RDONLY, NGX_FILE_OPEN, 0);

            if (cp->fd == NGX_INVALID_FILE) {
                if (ngx_errno == NGX_ENOENT) {
                    return NGX_DECLINED;
                }

                ngx_log_error(NGX_LOG_CRIT, r->connection->log, ngx_errno,
                              ngx_open_file_n " \"%s\" failed", path);
                return NGX_ERROR;
            }
        }

        at = cp->pos - cp->extent_start;

        size = (size_t) ngx_min((off_t) NGX_HTTP_S3_COPY_READ_BUF,
                                ngx_min((off_t) ext[cp->extent].length - at,
                                        cp->end - cp->pos));

        n = pread(cp->fd, cp->buf, size, (off_t) ext[cp->extent].offset + at);

        if (n <= 0) {
            ngx_log_error(NGX_LOG_CRIT, r->connection->log,
                          (n == -1) ? ngx_errno : 0,
                          "s3 copy: reading body \"%V\" of \"%V/%V\" failed"
                          " at %O", &ext[cp->extent].body, &cp->bucket,
                          &cp->key, (off_t) ext[cp->extent].offset + at);
            return NGX_ERROR;
        }

        if (ngx_http_s3_checksum_update(&cp->ck, cp->buf, n) != NGX_OK) {
            return NGX_ERROR;
        }

        if (cp->part) {
            ngx_md5_update(&cp->md5, cp->buf, n);
        }

        cp->pos += n;
        budget -= n;
    }

    return NGX_OK;
}


static void
ngx_http_s3_copy_cleanup(void *data)
{
    ngx_http_s3_copy_t  *cp = data;

    if (cp->ev.posted) {
        ngx_delete_posted_event(&cp->ev);
    }

    if (cp->fd != NGX_INVALID_FILE) {
        (void) ngx_close_file(cp->fd);
        cp->fd = NGX_INVALID_FILE;
    }
}


static ngx_int_t
ngx_http_s3_copy_send(ngx_http_s3_copy_t *cp)
{
    size_t                 size;
    ngx_str_t              tpl;
    ngx_http_s3_ctx_t     *ctx;
    ngx_http_request_t    *r;
    ngx_http_s3_wbuf_t     b, tb;
    ngx_http_s3_object_t  *o;

    r = cp->request;
    ctx = ngx_http_s3_get_ctx(r);
    o = &cp->tpl;

    size = 256 + NGX_HTTP_S3_CHECKSUM_MAX_SIZE
           + o->content_type.len + o->content_encoding.len
           + o->content_disposition.len + o->content_language.len
           + o->cache_control.len + o->expires.len + o->owner.len
           + o->tagging.len + NGX_HTTP_S3_MAX_META_SIZE
           + 8 * (o->meta ? o->meta->nelts : 0);

    if (ngx_http_s3_wbuf_init(&tb, r->pool, size) != NGX_OK) {
        return NGX_ERROR;
    }

    ngx_http_s3_object_encode(&tb, o);

    if (tb.error) {
        return NGX_ERROR;
    }

    tpl.data = tb.start;
    tpl.len = tb.pos - tb.start;

    size = 64 + cp->bucket.len + cp->key.len + ctx->bucket.len
           + ctx->key.len + tpl.len + cp->cc.match.len
           + cp->cc.none_match.len + cp->cond.match.len
           + cp->cond.none_match.len + cp->expect.len;

    if (ngx_http_s3_wbuf_init(&b, r->pool, size) != NGX_OK) {
        return NGX_ERROR;
    }

    ngx_http_s3_wire_put_str(&b, &cp->bucket);
    ngx_http_s3_wire_put_str(&b, &cp->key);
    ngx_http_s3_wire_put_str(&b, &ctx->bucket);
    ngx_http_s3_wire_put_str(&b, &ctx->key);
    ngx_http_s3_wire_put_u8(&b, (uint8_t) cp->directives);
    ngx_http_s3_wire_put_str(&b, &tpl);
    ngx_http_s3_wire_put_copy_cond(&b, &cp->cc);
    ngx_http_s3_wire_put_cond(&b, &cp->cond);
    ngx_http_s3_wire_put_str(&b, &cp->expect);
    ngx_http_s3_wire_put_str(&b, &cp->version);

    return ngx_http_s3_meta_call(r, NGX_HTTP_S3_WIRE_OP_OBJECT_COPY, &b,
                                 ngx_http_s3_copy_handler, cp);
}


static void
ngx_http_s3_copy_handler(ngx_http_s3_meta_req_t *mr)
{
    ngx_int_t              rc;
    ngx_str_t              rec, svid;
    ngx_http_s3_copy_t    *cp;
    ngx_http_s3_ctx_t     *ctx;
    ngx_http_request_t    *r;
    ngx_http_s3_rbuf_t     rb;
    ngx_http_s3_object_t   o;

    cp = mr->data;
    r = cp->request;
    ctx = ngx_http_s3_get_ctx(r);

    if (mr->status == NGX_HTTP_S3_WIRE_ST_CHANGED
        && cp->tries < NGX_HTTP_S3_COPY_TRIES)
    {
        /* the source changed while its bytes were hashed: again */

        if (ngx_http_s3_copy_lookup(cp) == NGX_OK) {
            return;
        }
    }

    if (mr->status != NGX_HTTP_S3_WIRE_ST_OK) {
        rc = ngx_http_s3_copy_error(r, cp, mr->status, &mr->reply);
        goto done;
    }

    ngx_http_s3_rbuf_init(&rb, &mr->reply);
    ngx_http_s3_wire_get_str(&rb, &rec);
    ngx_http_s3_wire_get_str(&rb, &svid);

    if (rb.error || ngx_http_s3_object_decode(&rec, &o, r->pool) != NGX_OK) {
        ngx_log_error(NGX_LOG_ALERT, r->connection->log, 0,
                      "s3 copy to \"%V/%V\": bad reply", &ctx->bucket,
                      &ctx->key);
        rc = ngx_http_s3_send_error(r, NGX_HTTP_S3_ERR_INTERNAL, NULL);
        goto done;
    }

    /* the version made, and the source's */

    if (ngx_http_s3_version_headers(r, &o) != NGX_OK
        || (svid.len
            && ngx_http_s3_push_header(r, "x-amz-copy-source-version-id",
                                       &svid)
               == NULL))
    {
        rc = NGX_ERROR;
        goto done;
    }

    rc = ngx_http_s3_copy_result(r, &o);

done:

    ngx_http_s3_finalize(r, rc);
}


static ngx_int_t
ngx_http_s3_copy_result(ngx_http_request_t *r, ngx_http_s3_object_t *o)
{
    u_char              iso[NGX_HTTP_S3_ISO8601_LEN];
    ngx_str_t           etag;
    ngx_chain_t        *cl;
    ngx_http_s3_xml_t   w;

    etag.len = o->etag.len + 2;
    etag.data = ngx_pnalloc(r->pool, etag.len);
    if (etag.data == NULL) {
        return NGX_ERROR;
    }

    etag.data[0] = '"';
    ngx_memcpy(etag.data + 1, o->etag.data, o->etag.len);
    etag.data[etag.len - 1] = '"';

    ngx_http_s3_time_iso8601(iso, o->mtime);

    ngx_http_s3_xml_init(&w, r->pool);
    ngx_http_s3_xml_root(&w, "CopyObjectResult");
    ngx_http_s3_xml_text(&w, "ETag", etag.data, etag.len);
    ngx_http_s3_xml_text(&w, "LastModified", iso, sizeof(iso));

    ngx_http_s3_checksum_xml(&w, o->checksum_alg, o->checksum_type,
                             &o->checksum,
                             o->parts ? o->parts->nelts : 0);

    ngx_http_s3_xml_close(&w, "CopyObjectResult");

    cl = ngx_http_s3_xml_finish(&w);
    if (cl == NULL) {
        return NGX_ERROR;
    }

    return ngx_http_s3_send_xml(r, NGX_HTTP_OK, cl);
}


/*
 * A metadata status other than OK; the reply tells whether a missing
 * bucket or key, or a failed precondition, is the source's or the target's
 */

static ngx_int_t
ngx_http_s3_copy_error(ngx_http_request_t *r, ngx_http_s3_copy_t *cp,
    ngx_uint_t status, ngx_str_t *reply)
{
    ngx_uint_t                source;
    ngx_http_s3_err_extra_t   extra[1];

    source = (reply && reply->len >= 1
              && reply->data[0] == NGX_HTTP_S3_WIRE_COPY_SOURCE);

    switch (status) {

    case NGX_HTTP_S3_WIRE_ST_NO_BUCKET:

        if (!source) {
            break;
        }

        extra[0].name = "BucketName";
        extra[0].value = cp->bucket;

        return ngx_http_s3_send_error_extra(r,
                                            NGX_HTTP_S3_ERR_NO_SUCH_BUCKET,
                                            NULL, extra, 1);

    case NGX_HTTP_S3_WIRE_ST_NO_KEY:

        if (!source) {
            break;
        }

        extra[0].name = "Key";
        extra[0].value = cp->key;

        return ngx_http_s3_send_error_extra(r, NGX_HTTP_S3_ERR_NO_SUCH_KEY,
                                            NULL, extra,
                                            ngx_http_s3_copy_printable(
                                                &cp->key));

    case NGX_HTTP_S3_WIRE_ST_PRECONDITION:
        return ngx_http_s3_send_error(r, NGX_HTTP_S3_ERR_PRECONDITION_FAILED,
                                      NULL);

    case NGX_HTTP_S3_WIRE_ST_DELETE_MARKER:
        return ngx_http_s3_send_error(r, NGX_HTTP_S3_ERR_INVALID_REQUEST,
                                      "The source of a copy request may "
                                      "not specifically refer to a delete "
                                      "marker by version id.");

    case NGX_HTTP_S3_WIRE_ST_SOURCE_TOO_LARGE:
        return ngx_http_s3_send_error(r, NGX_HTTP_S3_ERR_INVALID_REQUEST,
                                      "The specified copy source is larger "
                                      "than the maximum allowable size for "
                                      "a copy source: 5368709120");

    case NGX_HTTP_S3_WIRE_ST_UNAVAILABLE:
    case NGX_HTTP_S3_WIRE_ST_ERROR:
    case NGX_HTTP_S3_WIRE_ST_CHANGED:
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "s3 copy \"%V/%V\": metadata %s", &cp->bucket,
                      &cp->key, ngx_http_s3_meta_status_text(status));
        break;

    default:
        break;
    }

    return ngx_http_s3_send_error(r, ngx_http_s3_meta_error(status),
                                  ngx_http_s3_meta_message(status));
}


/* valid UTF-8 without control characters: safe in an XML error */

static ngx_uint_t
ngx_http_s3_copy_printable(ngx_str_t *s)
{
    u_char  *p, *last;

    if (!ngx_http_s3_valid_utf8(s->data, s->len)) {
        return 0;
    }

    last = s->data + s->len;

    for (p = s->data; p < last; p++) {
        if (*p < 0x20 || *p == 0x7f) {
            return 0;
        }
    }

    return 1;
}


/*
 * UploadPartCopy: a PUT ?partNumber&uploadId with x-amz-copy-source.  The
 * part names the range of the source's bytes (PART_COPY); the bytes are
 * read only when the upload has a checksum algorithm and the source's
 * record does not give the range's checksum: then the metadata process
 * answers CHECKSUM_NEEDED with the source's record, the range is hashed
 * here (and its MD5 is the part's ETag), and the request goes again
 * naming that record.
 */

ngx_int_t
ngx_http_s3_upload_part_copy(ngx_http_request_t *r)
{
    ngx_int_t                 n;
    ngx_str_t                 v;
    ngx_time_t               *tp;
    const char               *message;
    ngx_http_s3_err_e         err;
    ngx_http_s3_copy_t       *cp;
    ngx_http_s3_err_extra_t   extra[2];

    if (ngx_http_discard_request_body(r) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    n = NGX_ERROR;

    if (ngx_http_s3_arg(r, "partNumber", &v) == NGX_OK) {
        n = ngx_atoi(v.data, v.len);
    }

    if (n < 1 || n > 10000) {
        return ngx_http_s3_send_error(r, NGX_HTTP_S3_ERR_INVALID_ARGUMENT,
                                      "Part number must be an integer "
                                      "between 1 and 10000, inclusive");
    }

    cp = ngx_pcalloc(r->pool, sizeof(ngx_http_s3_copy_t));
    if (cp == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    cp->request = r;
    cp->fd = NGX_INVALID_FILE;
    cp->part = (ngx_uint_t) n;

    if (ngx_http_s3_arg_decoded(r, "uploadId", &cp->upload_id) == NGX_ERROR)
    {
        return ngx_http_s3_send_error(r, NGX_HTTP_S3_ERR_NO_SUCH_UPLOAD,
                                      NULL);
    }

    message = NULL;
    extra[0].name = NULL;

    err = ngx_http_s3_copy_source(r, &cp->bucket, &cp->key, &cp->version,
                                  &message,
                                  extra);

    if (err == NGX_HTTP_S3_OK) {
        extra[0].name = NULL;
        err = ngx_http_s3_part_copy_range(r, cp, &message, extra);
    }

    if (err != NGX_HTTP_S3_OK) {
        if (extra[0].name) {
            return ngx_http_s3_send_error_extra(r, err, message, extra, 2);
        }

        return ngx_http_s3_send_error(r, err, message);
    }

    ngx_http_s3_copy_conditions(r, &cp->cc);

    tp = ngx_timeofday();
    cp->tpl.mtime = (uint64_t) tp->sec * 1000 + tp->msec;

    if (ngx_http_s3_part_copy_send(cp) != NGX_OK) {
        return ngx_http_s3_send_error(r, NGX_HTTP_S3_ERR_INTERNAL, NULL);
    }

    r->main->count++;

    return NGX_DONE;
}


/* x-amz-copy-source-range: "bytes=first-last", both given */

static ngx_http_s3_err_e
ngx_http_s3_part_copy_range(ngx_http_request_t *r, ngx_http_s3_copy_t *cp,
    const char **message, ngx_http_s3_err_extra_t *extra)
{
    u_char           *p, *last, *dash;
    off_t             first, end;
    ngx_table_elt_t  *h;

    h = ngx_http_s3_header_in(r, "x-amz-copy-source-range");

    if (h == NULL) {
        return NGX_HTTP_S3_OK;
    }

    p = h->value.data;
    last = p + h->value.len;

    first = NGX_ERROR;
    end = NGX_ERROR;

    if (h->value.len > sizeof("bytes=") - 1
        && ngx_strncmp(p, "bytes=", sizeof("bytes=") - 1) == 0)
    {
        p += sizeof("bytes=") - 1;
        dash = ngx_strlchr(p, last, '-');

        if (dash && dash > p && dash + 1 < last) {
            first = ngx_atoof(p, dash - p);
            end = ngx_atoof(dash + 1, last - dash - 1);
        }
    }

    if (first == NGX_ERROR || end == NGX_ERROR || first > end) {
        *message = "The x-amz-copy-source-range value must be of the form "
                   "bytes=first-last where first and last are the "
                   "zero-based offsets of the first and last bytes to copy";

        extra[0].name = "ArgumentName";
        ngx_str_set(&extra[0].value, "x-amz-copy-source-range");
        extra[1].name = "ArgumentValue";
        extra[1].value = h->value;

        if (!ngx_http_s3_copy_printable(&h->value)) {
            ngx_str_null(&extra[1].value);
        }

        return NGX_HTTP_S3_ERR_INVALID_ARGUMENT;
    }

    cp->ranged = 1;
    cp->first = (uint64_t) first;
    cp->last = (uint64_t) end;

    return NGX_HTTP_S3_OK;
}


static ngx_int_t
ngx_http_s3_part_copy_send(ngx_http_s3_copy_t *cp)
{
    size_t               size;
    ngx_str_t            digest, md5;
    ngx_http_s3_ctx_t   *ctx;
    ngx_http_request_t  *r;
    ngx_http_s3_wbuf_t   b;

    r = cp->request;
    ctx = ngx_http_s3_get_ctx(r);

    ngx_str_null(&digest);
    ngx_str_null(&md5);

    if (cp->hashed) {
        digest.data = cp->digest;
        digest.len = ngx_http_s3_checksum_size(cp->checksum);
        md5.data = cp->md5_sum;
        md5.len = 16;
    }

    size = 128 + cp->bucket.len + cp->key.len + ctx->bucket.len
           + ctx->key.len + cp->upload_id.len + cp->cc.match.len
           + cp->cc.none_match.len + NGX_HTTP_S3_CHECKSUM_MAX_SIZE
           + cp->expect.len;

    if (ngx_http_s3_wbuf_init(&b, r->pool, size) != NGX_OK) {
        return NGX_ERROR;
    }

    ngx_http_s3_wire_put_str(&b, &cp->bucket);
    ngx_http_s3_wire_put_str(&b, &cp->key);
    ngx_http_s3_wire_put_str(&b, &ctx->bucket);
    ngx_http_s3_wire_put_str(&b, &ctx->key);
    ngx_http_s3_wire_put_str(&b, &cp->upload_id);
    ngx_http_s3_wire_put_u32(&b, (uint32_t) cp->part);
    ngx_http_s3_wire_put_u64(&b, cp->tpl.mtime);
    ngx_http_s3_wire_put_u8(&b, (uint8_t) cp->ranged);
    ngx_http_s3_wire_put_u64(&b, cp->first);
    ngx_http_s3_wire_put_u64(&b, cp->last);
    ngx_http_s3_wire_put_copy_cond(&b, &cp->cc);
    ngx_http_s3_wire_put_u8(&b, (uint8_t) (cp->hashed ? cp->checksum : 0));
    ngx_http_s3_wire_put_str(&b, &digest);
    ngx_http_s3_wire_put_str(&b, &md5);
    ngx_http_s3_wire_put_str(&b, &cp->expect);
    ngx_http_s3_wire_put_str(&b, &cp->version);

    return ngx_http_s3_meta_call(r, NGX_HTTP_S3_WIRE_OP_PART_COPY, &b,
                                 ngx_http_s3_part_copy_handler, cp);
}


static void
ngx_http_s3_part_copy_handler(ngx_http_s3_meta_req_t *mr)
{
    u_char                alg;
    off_t                 start, end;
    ngx_int_t             rc;
    ngx_str_t             rec, size;
    ngx_http_s3_copy_t   *cp;
    ngx_http_s3_ctx_t    *ctx;
    ngx_http_request_t   *r;
    ngx_http_s3_rbuf_t    rb;
    ngx_http_s3_object_t  o;

    cp = mr->data;
    r = cp->request;
    ctx = ngx_http_s3_get_ctx(r);

    ngx_http_s3_rbuf_init(&rb, &mr->reply);

    switch (mr->status) {

    case NGX_HTTP_S3_WIRE_ST_OK:

        ngx_http_s3_wire_get_str(&rb, &rec);
        ngx_http_s3_wire_get_str(&rb, &size);

        if (rb.error
            || ngx_http_s3_object_decode(&rec, &o, r->pool) != NGX_OK)
        {
            ngx_log_error(NGX_LOG_ALERT, r->connection->log, 0,
                          "s3 part copy to \"%V/%V\": bad reply",
                          &ctx->bucket, &ctx->key);
            rc = ngx_http_s3_send_error(r, NGX_HTTP_S3_ERR_INTERNAL, NULL);
            break;
        }

        /* the source's version */

        if (size.len
            && ngx_http_s3_push_header(r, "x-amz-copy-source-version-id",
                                       &size)
               == NULL)
        {
            rc = NGX_ERROR;
            break;
        }

        rc = ngx_http_s3_part_copy_result(r, &o);
        break;

    case NGX_HTTP_S3_WIRE_ST_CHECKSUM_NEEDED:

        /* the range's checksum from its bytes, for the upload's algorithm */

        alg = ngx_http_s3_wire_get_u8(&rb);
        ngx_http_s3_wire_get_str(&rb, &rec);

        if (rb.error || cp->hashed
            || ngx_http_s3_checksum_size(alg) == 0
            || ngx_http_s3_object_decode(&rec, &cp->src, r->pool) != NGX_OK)
        {
            ngx_log_error(NGX_LOG_ALERT, r->connection->log, 0,
                          "s3 part copy to \"%V/%V\": bad reply",
                          &ctx->bucket, &ctx->key);
            rc = ngx_http_s3_send_error(r, NGX_HTTP_S3_ERR_INTERNAL, NULL);
            break;
        }

        cp->checksum = alg;
        cp->expect = rec;

        start = cp->ranged ? (off_t) cp->first : 0;
        end = cp->ranged ? (off_t) cp->last + 1 : (off_t) cp->src.size;

        ngx_log_debug4(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                       "s3 part copy: hashing %O-%O of \"%V/%V\"",
                       start, end, &cp->bucket, &cp->key);

        if (ngx_http_s3_copy_hash_start(cp, start, end) != NGX_OK) {
            rc = ngx_http_s3_send_error(r, NGX_HTTP_S3_ERR_INTERNAL, NULL);
            break;
        }

        return;

    case NGX_HTTP_S3_WIRE_ST_CHANGED:

        if (cp->tries++ < NGX_HTTP_S3_COPY_TRIES) {

            /* the source changed while its range was hashed: again */

            cp->hashed = 0;
            ngx_str_null(&cp->expect);

            if (ngx_http_s3_part_copy_send(cp) == NGX_OK) {
                return;
            }
        }

        rc = ngx_http_s3_copy_error(r, cp, mr->status, NULL);
        break;

    case NGX_HTTP_S3_WIRE_ST_BAD_RANGE:

        size.len = 0;
        size.data = ngx_pnalloc(r->pool, sizeof("Range specified is not "
                                                "valid for source object of "
                                                "size: ")
                                         + NGX_INT64_LEN);
        if (size.data == NULL) {
            rc = NGX_ERROR;
            break;
        }

        size.len = ngx_sprintf(size.data, "Range specified is not valid for "
                               "source object of size: %uL%Z",
                               ngx_http_s3_wire_get_u64(&rb))
                   - size.data;

        rc = ngx_http_s3_send_error(r, NGX_HTTP_S3_ERR_INVALID_ARGUMENT,
                                    (char *) size.data);
        break;

    default:
        rc = ngx_http_s3_copy_error(r, cp, mr->status, &mr->reply);
        break;
    }

    ngx_http_s3_finalize(r, rc);
}


static ngx_int_t
ngx_http_s3_part_copy_result(ngx_http_request_t *r, ngx_http_s3_object_t *o)
{
    u_char              iso[NGX_HTTP_S3_ISO8601_LEN];
    ngx_str_t           etag;
    ngx_chain_t        *cl;
    ngx_http_s3_xml_t   w;

    etag.len = o->etag.len + 2;
    etag.data = ngx_pnalloc(r->pool, etag.len);
    if (etag.data == NULL) {
        return NGX_ERROR;
    }

    etag.data[0] = '"';
    ngx_memcpy(etag.data + 1, o->etag.data, o->etag.len);
    etag.data[etag.len - 1] = '"';

    ngx_http_s3_time_iso8601(iso, o->mtime);

    ngx_http_s3_xml_init(&w, r->pool);
    ngx_http_s3_xml_root(&w, "CopyPartResult");
    ngx_http_s3_xml_text(&w, "ETag", etag.data, etag.len);
    ngx_http_s3_xml_text(&w, "LastModified", iso, sizeof(iso));
    ngx_http_s3_checksum_xml(&w, o->checksum_alg,
                             NGX_HTTP_S3_CHECKSUM_NO_TYPE, &o->checksum, 0);
    ngx_http_s3_xml_close(&w, "CopyPartResult");

    cl = ngx_http_s3_xml_finish(&w);
    if (cl == NULL) {
        return NGX_ERROR;
    }

    return ngx_http_s3_send_xml(r, NGX_HTTP_OK, cl);
}
