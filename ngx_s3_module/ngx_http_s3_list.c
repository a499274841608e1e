
/*
 * Copyright (C) ngx_s3 authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_s3.h"
#include "ngx_http_s3_ops.h"


/*
 * ListObjects (v1), ListObjectsV2 and ListObjectVersions: one LIST (or
 * VERSION_LIST) metadata request per page.  The metadata process rolls
 * keys up into common prefixes and says whether more follow; a page
 * costs what it holds, not the size of the bucket.
 */


/* the first byte of a decoded continuation token: its format */
#define NGX_HTTP_S3_TOKEN_V1  0x01


typedef struct {
    ngx_http_request_t        *request;
    ngx_http_s3_op_e           op;

    ngx_str_t                  prefix;
    ngx_str_t                  delimiter;
    ngx_str_t                  marker;       /* sent: list keys after it */

    ngx_str_t                  arg_marker;   /* echoed as given */
    ngx_str_t                  token;
    ngx_str_t                  start_after;
    ngx_str_t                  version_marker;

    ngx_uint_t                 max;

    unsigned                   has_prefix:1;
    unsigned                   has_delimiter:1;
    unsigned                   has_marker:1;
    unsigned                   has_token:1;
    unsigned                   has_start_after:1;
    unsigned                   has_version_marker:1;
    unsigned                   url:1;
    unsigned                   fetch_owner:1;
} ngx_http_s3_list_t;


static ngx_http_s3_err_e ngx_http_s3_list_args(ngx_http_s3_list_t *l,
    const char **message);
static void ngx_http_s3_list_handler(ngx_http_s3_meta_req_t *mr);
static ngx_int_t ngx_http_s3_list_send(ngx_http_s3_list_t *l,
    ngx_str_t *reply);
static ngx_int_t ngx_http_s3_list_entries(ngx_http_s3_list_t *l,
    ngx_http_s3_xml_t *w, ngx_http_s3_rbuf_t *rb, uint32_t n,
    ngx_uint_t kind, ngx_uint_t *last_kind);
static void ngx_http_s3_list_object(ngx_http_s3_list_t *l,
    ngx_http_s3_xml_t *w, ngx_str_t *key, ngx_http_s3_object_t *o,
    ngx_uint_t latest);
static void ngx_http_s3_list_text(ngx_http_s3_list_t *l,
    ngx_http_s3_xml_t *w, const char *name, ngx_str_t *value);
static ngx_int_t ngx_http_s3_list_token(ngx_pool_t *pool, ngx_str_t *marker,
    ngx_str_t *token);


ngx_int_t
ngx_http_s3_list_objects(ngx_http_request_t *r)
{
    ngx_uint_t           versions;
    const char          *message;
    ngx_http_s3_ctx_t   *ctx;
    ngx_http_s3_err_e    err;
    ngx_http_s3_list_t  *l;
    ngx_http_s3_wbuf_t   b;

    ctx = ngx_http_s3_get_ctx(r);

    l = ngx_pcalloc(r->pool, sizeof(ngx_http_s3_list_t));
    if (l == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    l->request = r;
    l->op = ctx->op;

    message = NULL;

    err = ngx_http_s3_list_args(l, &message);

    if (err != NGX_HTTP_S3_OK) {
        return ngx_http_s3_send_error(r, err, message);
    }

    if (ngx_http_s3_wbuf_init(&b, r->pool, 32 + ctx->bucket.len
                                           + l->prefix.len
                                           + l->delimiter.len
                                           + l->marker.len
                                           + l->version_marker.len)
        != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ngx_http_s3_wire_put_str(&b, &ctx->bucket);
    ngx_http_s3_wire_put_str(&b, &l->prefix);
    ngx_http_s3_wire_put_str(&b, &l->delimiter);
    ngx_http_s3_wire_put_str(&b, &l->marker);

    versions = (l->op == NGX_HTTP_S3_OP_LIST_OBJECT_VERSIONS);

    if (versions) {
        ngx_http_s3_wire_put_str(&b, &l->version_marker);
    }

    /* max-keys=0 still learns whether the bucket exists */
    ngx_http_s3_wire_put_u32(&b, (uint32_t) ngx_max(l->max, 1));

    if (ngx_http_s3_meta_call(r, versions ? NGX_HTTP_S3_WIRE_OP_VERSION_LIST
                                          : NGX_HTTP_S3_WIRE_OP_LIST,
                              &b, ngx_http_s3_list_handler, l)
        != NGX_OK)
    {
        return ngx_http_s3_send_error(r, NGX_HTTP_S3_ERR_INTERNAL, NULL);
    }

    r->main->count++;

    return NGX_DONE;
}


static ngx_http_s3_err_e
ngx_http_s3_list_args(ngx_http_s3_list_t *l, const char **message)
{
    u_char              *p;
    uint64_t             seq;
    ngx_int_t            n, rc;
    ngx_str_t            v, decoded;
    ngx_http_request_t  *r;

    r = l->request;

    /* prefix, delimiter, max-keys, encoding-type: every flavour */

#define ngx_http_s3_list_get(name, value)                                     \
    rc = ngx_http_s3_arg_decoded(r, name, value);                             \
    if (rc == NGX_ERROR) {                                                    \
        *message = "Invalid argument: " name;                                 \
        return NGX_HTTP_S3_ERR_INVALID_ARGUMENT;                              \
    }

    ngx_http_s3_list_get("prefix", &l->prefix);
    l->has_prefix = (rc == NGX_OK);

    /* as S3: an empty delimiter is no delimiter */

    ngx_http_s3_list_get("delimiter", &l->delimiter);
    l->has_delimiter = (rc == NGX_OK && l->delimiter.len != 0);

    ngx_http_s3_list_get("max-keys", &v);

    l->max = NGX_HTTP_S3_MAX_LIST_KEYS;

    if (rc == NGX_OK) {
        n = ngx_atoi(v.data, v.len);

        if (n == NGX_ERROR) {
            *message = "Provided max-keys not an integer or within integer "
                       "range";
            return NGX_HTTP_S3_ERR_INVALID_ARGUMENT;
        }

        if (n < NGX_HTTP_S3_MAX_LIST_KEYS) {
            l->max = n;
        }
    }

    ngx_http_s3_list_get("encoding-type", &v);

    if (rc == NGX_OK) {
        if (v.len != 3 || ngx_strncasecmp(v.data, (u_char *) "url", 3) != 0) {
            *message = "Invalid Encoding Method specified in Request";
            return NGX_HTTP_S3_ERR_INVALID_ARGUMENT;
        }

        l->url = 1;
    }

    switch (l->op) {

    case NGX_HTTP_S3_OP_LIST_OBJECTS_V2:

        ngx_http_s3_list_get("fetch-owner", &v);

        if (rc == NGX_OK && v.len == 4
            && ngx_strncasecmp(v.data, (u_char *) "true", 4) == 0)
        {
            l->fetch_owner = 1;
        }

        ngx_http_s3_list_get("start-after", &l->start_after);
        l->has_start_after = (rc == NGX_OK);

        /* an empty token is no token: the listing starts at the top */

        ngx_http_s3_list_get("continuation-token", &l->token);

        if (rc == NGX_OK && l->token.len != 0) {
            l->has_token = 1;

            p = ngx_pnalloc(r->pool, ngx_base64_decoded_length(l->token.len));
            if (p == NULL) {
                return NGX_HTTP_S3_ERR_INTERNAL;
            }

            decoded.data = p;

            if (ngx_decode_base64url(&decoded, &l->token) != NGX_OK
                || decoded.len == 0
                || decoded.data[0] != NGX_HTTP_S3_TOKEN_V1
                || decoded.len - 1 > 2 * NGX_HTTP_S3_MAX_KEY_LEN)
            {
                *message = "The continuation token provided is incorrect";
                return NGX_HTTP_S3_ERR_INVALID_ARGUMENT;
            }

            /* the token wins over start-after */

            l->marker.data = decoded.data + 1;
            l->marker.len = decoded.len - 1;

        } else {
            l->marker = l->start_after;
        }

        break;

    case NGX_HTTP_S3_OP_LIST_OBJECT_VERSIONS:

        ngx_http_s3_list_get("key-marker", &l->arg_marker);
        l->has_marker = (rc == NGX_OK);

        ngx_http_s3_list_get("version-id-marker", &l->version_marker);
        l->has_version_marker = (rc == NGX_OK);

        if (l->has_version_marker) {

            if (l->arg_marker.len == 0) {
                *message = "A version-id marker cannot be specified without "
                           "a key marker.";
                return NGX_HTTP_S3_ERR_INVALID_ARGUMENT;
            }

            if (l->version_marker.len
                && ngx_http_s3_version_parse(&l->version_marker, &seq)
                   != NGX_OK)
            {
                *message = "Invalid version id specified";
                return NGX_HTTP_S3_ERR_INVALID_ARGUMENT;
            }
        }

        l->marker = l->arg_marker;
        break;

    default: /* NGX_HTTP_S3_OP_LIST_OBJECTS */

        ngx_http_s3_list_get("marker", &l->arg_marker);
        l->has_marker = (rc == NGX_OK);

        l->marker = l->arg_marker;
        break;
    }

#undef ngx_http_s3_list_get

    if (l->marker.data == NULL) {
        ngx_str_set(&l->marker, "");
    }

    if (l->prefix.data == NULL) {
        ngx_str_set(&l->prefix, "");
    }

    if (l->delimiter.data == NULL) {
        ngx_str_set(&l->delimiter, "");
    }

    if (l->version_marker.data == NULL) {
        ngx_str_set(&l->version_marker, "");
    }

    return NGX_HTTP_S3_OK;
}


static void
ngx_http_s3_list_handler(ngx_http_s3_meta_req_t *mr)
{
    ngx_int_t            rc;
    ngx_http_s3_list_t  *l;
    ngx_http_request_t  *r;

    l = mr->data;
    r = l->request;

    if (mr->status != NGX_HTTP_S3_WIRE_ST_OK) {

        if (mr->status != NGX_HTTP_S3_WIRE_ST_NO_BUCKET
            && mr->status != NGX_HTTP_S3_WIRE_ST_UNAVAILABLE)
        {
            ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                          "s3 list failed: %s",
                          ngx_http_s3_meta_status_text(mr->status));
        }

        rc = ngx_http_s3_send_error(r, ngx_http_s3_meta_error(mr->status),
                                    NULL);

    } else {
        rc = ngx_http_s3_list_send(l, &mr->reply);
    }

    ngx_http_s3_finalize(r, rc);
}


#define NGX_HTTP_S3_ENTRY_ANY  0xff


static ngx_int_t
ngx_http_s3_list_send(ngx_http_s3_list_t *l, ngx_str_t *reply)
{
    u_char              *entries;
    uint32_t             n;
    ngx_int_t            count, k;
    ngx_str_t            next, next_vid, token;
    ngx_uint_t           truncated, last_kind;
    ngx_chain_t         *cl;
    const char          *root;
    ngx_http_s3_ctx_t   *ctx;
    ngx_http_s3_xml_t    w;
    ngx_http_s3_rbuf_t   rb;
    ngx_http_request_t  *r;

    r = l->request;
    ctx = ngx_http_s3_get_ctx(r);

    ngx_http_s3_rbuf_init(&rb, reply);

    truncated = ngx_http_s3_wire_get_u8(&rb);
    ngx_http_s3_wire_get_str(&rb, &next);
    ngx_str_null(&next_vid);

    if (l->op == NGX_HTTP_S3_OP_LIST_OBJECT_VERSIONS) {
        ngx_http_s3_wire_get_str(&rb, &next_vid);
    }

    n = ngx_http_s3_wire_get_u32(&rb);

    if (rb.error) {
        goto bad;
    }

    if (l->max == 0) {
        /* only the bucket was asked about */
        truncated = 0;
        n = 0;
    }

    entries = rb.pos;

    /* a first pass counts (KeyCount comes before the entries) */

    last_kind = NGX_HTTP_S3_WIRE_ENTRY_OBJECT;

    count = ngx_http_s3_list_entries(l, NULL, &rb, n, NGX_HTTP_S3_ENTRY_ANY,
                                     &last_kind);
    if (count == NGX_ERROR) {
        goto bad;
    }

    root = (l->op == NGX_HTTP_S3_OP_LIST_OBJECT_VERSIONS)
           ? "ListVersionsResult" : "ListBucketResult";

    ngx_http_s3_xml_init(&w, r->pool);
    ngx_http_s3_xml_root(&w, root);

    ngx_http_s3_xml_text(&w, "Name", ctx->bucket.data, ctx->bucket.len);
    ngx_http_s3_list_text(l, &w, "Prefix", &l->prefix);

    switch (l->op) {

    case NGX_HTTP_S3_OP_LIST_OBJECTS_V2:

        if (l->has_token) {
            ngx_http_s3_xml_text(&w, "ContinuationToken", l->token.data,
                                 l->token.len);
        }

        if (l->has_start_after) {
            ngx_http_s3_list_text(l, &w, "StartAfter", &l->start_after);
        }

        ngx_http_s3_xml_uint(&w, "KeyCount", count);
        break;

    case NGX_HTTP_S3_OP_LIST_OBJECT_VERSIONS:

        ngx_http_s3_list_text(l, &w, "KeyMarker", &l->arg_marker);
        ngx_http_s3_xml_text(&w, "VersionIdMarker", l->version_marker.data,
                             l->version_marker.len);

        if (truncated) {
            ngx_http_s3_list_text(l, &w, "NextKeyMarker", &next);

            if (last_kind == NGX_HTTP_S3_WIRE_ENTRY_OBJECT) {
                ngx_http_s3_xml_text(&w, "NextVersionIdMarker",
                                     next_vid.data, next_vid.len);
            }
        }

        break;

    default:

        ngx_http_s3_list_text(l, &w, "Marker", &l->arg_marker);

        /* as S3: NextMarker only with a delimiter */

        if (truncated && l->has_delimiter) {
            ngx_http_s3_list_text(l, &w, "NextMarker", &next);
        }

        break;
    }

    ngx_http_s3_xml_uint(&w, "MaxKeys", l->max);

    if (l->has_delimiter) {
        ngx_http_s3_list_text(l, &w, "Delimiter", &l->delimiter);
    }

    if (l->url) {
        ngx_http_s3_xml_cstr(&w, "EncodingType", "url");
    }

    ngx_http_s3_xml_cstr(&w, "IsTruncated", truncated ? "true" : "false");

    if (truncated && l->op == NGX_HTTP_S3_OP_LIST_OBJECTS_V2) {
        if (ngx_http_s3_list_token(r->pool, &next, &token) != NGX_OK) {
            return ngx_http_s3_send_error(r, NGX_HTTP_S3_ERR_INTERNAL, NULL);
        }

        ngx_http_s3_xml_text(&w, "NextContinuationToken", token.data,
                             token.len);
    }

    /* objects first, then the common prefixes, as S3 orders them */

    rb.pos = entries;

    k = ngx_http_s3_list_entries(l, &w, &rb, n,
                                 NGX_HTTP_S3_WIRE_ENTRY_OBJECT, &last_kind);
    if (k == NGX_ERROR) {
        goto bad;
    }

    rb.pos = entries;

    k = ngx_http_s3_list_entries(l, &w, &rb, n,
                                 NGX_HTTP_S3_WIRE_ENTRY_PREFIX, &last_kind);
    if (k == NGX_ERROR) {
        goto bad;
    }

    ngx_http_s3_xml_close(&w, root);

    cl = ngx_http_s3_xml_finish(&w);
    if (cl == NULL) {
        return ngx_http_s3_send_error(r, NGX_HTTP_S3_ERR_INTERNAL, NULL);
    }

    return ngx_http_s3_send_xml(r, NGX_HTTP_OK, cl);

bad:

    ngx_log_error(NGX_LOG_ALERT, r->connection->log, 0,
                  "s3 list of \"%V\": bad reply", &ctx->bucket);

    return ngx_http_s3_send_error(r, NGX_HTTP_S3_ERR_INTERNAL, NULL);
}


/*
 * Walks the n entries of the reply; writes those of the given kind (w
 * NULL: writes nothing).  Returns the number of entries listed, or
 * NGX_ERROR on a bad reply; *last_kind is the kind of the last entry.
 */

static ngx_int_t
ngx_http_s3_list_entries(ngx_http_s3_list_t *l, ngx_http_s3_xml_t *w,
    ngx_http_s3_rbuf_t *rb, uint32_t n, ngx_uint_t kind,
    ngx_uint_t *last_kind)
{
    uint8_t               k, latest;
    uint32_t              i;
    ngx_int_t             count;
    ngx_str_t             name, rec;
    ngx_http_s3_object_t  o;

    count = 0;

    for (i = 0; i < n; i++) {
        k = ngx_http_s3_wire_get_u8(rb);
        ngx_http_s3_wire_get_str(rb, &name);

        if (rb->error) {
            return NGX_ERROR;
        }

        *last_kind = k;

        if (k == NGX_HTTP_S3_WIRE_ENTRY_PREFIX) {

            if (w && kind == NGX_HTTP_S3_WIRE_ENTRY_PREFIX) {
                ngx_http_s3_xml_open(w, "CommonPrefixes");
                ngx_http_s3_list_text(l, w, "Prefix", &name);
                ngx_http_s3_xml_close(w, "CommonPrefixes");
            }

            count++;
            continue;
        }

        if (k != NGX_HTTP_S3_WIRE_ENTRY_OBJECT) {
            return NGX_ERROR;
        }

        latest = 1;

        if (l->op == NGX_HTTP_S3_OP_LIST_OBJECT_VERSIONS) {
            latest = ngx_http_s3_wire_get_u8(rb);
        }

        ngx_http_s3_wire_get_str(rb, &rec);

        if (rb->error || ngx_http_s3_object_decode(&rec, &o, NULL) != NGX_OK) {
            return NGX_ERROR;
        }

        if ((o.flags & NGX_HTTP_S3_OBJECT_DELETE_MARKER)
            && l->op != NGX_HTTP_S3_OP_LIST_OBJECT_VERSIONS)
        {
            continue;
        }

        if (w && kind == NGX_HTTP_S3_WIRE_ENTRY_OBJECT) {
            ngx_http_s3_list_object(l, w, &name, &o, latest);
        }

        count++;
    }

    return count;
}


static void
ngx_http_s3_list_object(ngx_http_s3_list_t *l, ngx_http_s3_xml_t *w,
    ngx_str_t *key, ngx_http_s3_object_t *o, ngx_uint_t latest)
{
    u_char       *p, iso[NGX_HTTP_S3_ISO8601_LEN];
    ngx_str_t     version;
    const char   *element;
    ngx_uint_t    marker;

    ngx_http_s3_time_iso8601(iso, o->mtime);

    if (l->op != NGX_HTTP_S3_OP_LIST_OBJECT_VERSIONS) {
        ngx_http_s3_xml_open(w, "Contents");
        ngx_http_s3_list_text(l, w, "Key", key);
        ngx_http_s3_xml_text(w, "LastModified", iso, sizeof(iso));

    } else {
        marker = (o->flags & NGX_HTTP_S3_OBJECT_DELETE_MARKER) ? 1 : 0;
        element = marker ? "DeleteMarker" : "Version";

        version = o->version;

        if (version.len == 0) {
            ngx_str_set(&version, "null");
        }

        ngx_http_s3_xml_open(w, element);
        ngx_http_s3_list_text(l, w, "Key", key);
        ngx_http_s3_xml_text(w, "VersionId", version.data, version.len);

        ngx_http_s3_xml_cstr(w, "IsLatest", latest ? "true" : "false");
        ngx_http_s3_xml_text(w, "LastModified", iso, sizeof(iso));

        if (marker) {
            ngx_http_s3_xml_owner(w, &o->owner);
            ngx_http_s3_xml_close(w, element);
            return;
        }
    }

    /* the ETag quoted, as in the ETag header; the writer escapes it */

    p = ngx_pnalloc(w->pool, o->etag.len + 2);

    if (p == NULL) {
        w->error = 1;

    } else {
        p[0] = '"';
        ngx_memcpy(p + 1, o->etag.data, o->etag.len);
        p[o->etag.len + 1] = '"';

        ngx_http_s3_xml_text(w, "ETag", p, o->etag.len + 2);
    }

    ngx_http_s3_xml_uint(w, "Size", o->size);

    if (l->op != NGX_HTTP_S3_OP_LIST_OBJECTS_V2 || l->fetch_owner) {
        ngx_http_s3_xml_owner(w, &o->owner);
    }

    ngx_http_s3_xml_cstr(w, "StorageClass", "STANDARD");

    ngx_http_s3_xml_close(w,
                          (l->op == NGX_HTTP_S3_OP_LIST_OBJECT_VERSIONS)
                          ? "Version" : "Contents");
}


void
ngx_http_s3_xml_owner(ngx_http_s3_xml_t *w, ngx_str_t *owner)
{
    ngx_http_s3_xml_open(w, "Owner");
    ngx_http_s3_xml_text(w, "ID", owner->data, owner->len);
    ngx_http_s3_xml_text(w, "DisplayName", owner->data, owner->len);
    ngx_http_s3_xml_close(w, "Owner");
}


static void
ngx_http_s3_list_text(ngx_http_s3_list_t *l, ngx_http_s3_xml_t *w,
    const char *name, ngx_str_t *value)
{
    ngx_http_s3_xml_key(w, name, value, l->url);
}


/*
 * a key-like element (Key, Prefix, Delimiter, Marker, StartAfter, ...),
 * URL-encoded as S3 does with encoding-type=url
 */

void
ngx_http_s3_xml_key(ngx_http_s3_xml_t *w, const char *name,
    ngx_str_t *value, ngx_uint_t url)
{
    u_char  *p;
    size_t   len;

    if (!url || value->len == 0) {
        ngx_http_s3_xml_text(w, name, value->data, value->len);
        return;
    }

    len = ngx_http_s3_form_encode(NULL, value->data, value->len);

    p = ngx_pnalloc(w->pool, len);
    if (p == NULL) {
        w->error = 1;
        return;
    }

    len = ngx_http_s3_form_encode(p, value->data, value->len);

    ngx_http_s3_xml_text(w, name, p, len);
}


/* opaque to clients: base64url of a format byte and the marker */

static ngx_int_t
ngx_http_s3_list_token(ngx_pool_t *pool, ngx_str_t *marker, ngx_str_t *token)
{
    ngx_str_t  raw;

    raw.len = 1 + marker->len;
    raw.data = ngx_pnalloc(pool, raw.len);
    if (raw.data == NULL) {
        return NGX_ERROR;
    }

    raw.data[0] = NGX_HTTP_S3_TOKEN_V1;
    ngx_memcpy(raw.data + 1, marker->data, marker->len);

    token->data = ngx_pnalloc(pool, ngx_base64_encoded_length(raw.len));
    if (token->data == NULL) {
        return NGX_ERROR;
    }

    ngx_encode_base64url(token, &raw);

    return NGX_OK;
}
