
/*
 * Copyright (C) ngx_s3 authors
 */


#include <ngx_config.h>
#include <ngx_core.h>

#include "ngx_http_s3_util.h"
#include "ngx_http_s3_wire.h"


/*
 * The stored records (docs/on-disk-format.md): a list of fields, each
 * u8 tag, u32 length, value; this is their one encoder and decoder.
 */


/* record field tags: never reuse a number, only add */

#define NGX_HTTP_S3_TAG_SIZE                 1
#define NGX_HTTP_S3_TAG_MTIME                2
#define NGX_HTTP_S3_TAG_ETAG                 3
#define NGX_HTTP_S3_TAG_BODY                 4
#define NGX_HTTP_S3_TAG_VERSION              5
#define NGX_HTTP_S3_TAG_CONTENT_TYPE         6
#define NGX_HTTP_S3_TAG_CONTENT_ENCODING     7
#define NGX_HTTP_S3_TAG_CONTENT_DISPOSITION  8
#define NGX_HTTP_S3_TAG_CONTENT_LANGUAGE     9
#define NGX_HTTP_S3_TAG_CACHE_CONTROL        10
#define NGX_HTTP_S3_TAG_EXPIRES              11
#define NGX_HTTP_S3_TAG_OWNER                12
#define NGX_HTTP_S3_TAG_META                 13
#define NGX_HTTP_S3_TAG_FLAGS                14
#define NGX_HTTP_S3_TAG_CHECKSUM             15
#define NGX_HTTP_S3_TAG_EXTENTS              16
#define NGX_HTTP_S3_TAG_PARTS                17
#define NGX_HTTP_S3_TAG_UPLOAD_ID            18
#define NGX_HTTP_S3_TAG_TAGGING              NGX_HTTP_S3_FIELD_TAGGING
#define NGX_HTTP_S3_TAG_SEQ                  20
#define NGX_HTTP_S3_TAG_REQUEST              21
/* 22-27: versioning */
#define NGX_HTTP_S3_TAG_TAGS                 NGX_HTTP_S3_FIELD_TAGS
#define NGX_HTTP_S3_TAG_LOCK_MODE            NGX_HTTP_S3_FIELD_LOCK_MODE
#define NGX_HTTP_S3_TAG_LOCK_UNTIL           NGX_HTTP_S3_FIELD_LOCK_UNTIL
#define NGX_HTTP_S3_TAG_LEGAL_HOLD           NGX_HTTP_S3_FIELD_LEGAL_HOLD

#define NGX_HTTP_S3_EXTENT_SIZE              (NGX_HTTP_S3_BODY_ID_LEN + 16)
#define NGX_HTTP_S3_PART_MIN_SIZE            (8 + 16 + 1)

#define NGX_HTTP_S3_TAG_NAME                 32
#define NGX_HTTP_S3_TAG_CREATED              33
#define NGX_HTTP_S3_TAG_REGION               34
#define NGX_HTTP_S3_TAG_VERSIONING           35
#define NGX_HTTP_S3_TAG_OBJECT_LOCK          36

/* users, access keys, grants; OWNER_USER in a bucket record */
#define NGX_HTTP_S3_TAG_USER_ID              48
#define NGX_HTTP_S3_TAG_DISPLAY_NAME         49
#define NGX_HTTP_S3_TAG_ACCESS_KEY           50
#define NGX_HTTP_S3_TAG_KEY_STATUS           51
#define NGX_HTTP_S3_TAG_SECRET               52
#define NGX_HTTP_S3_TAG_OWNER_USER           53
#define NGX_HTTP_S3_TAG_PERMISSION           54
#define NGX_HTTP_S3_TAG_ACL                  55
#define NGX_HTTP_S3_TAG_SETTING              56
/* 57-59: object lock */
#define NGX_HTTP_S3_TAG_USAGE                60


static void ngx_http_s3_wire_put_field(ngx_http_s3_wbuf_t *b, uint8_t tag,
    ngx_str_t *s);
static void ngx_http_s3_wire_put_field_u64(ngx_http_s3_wbuf_t *b,
    uint8_t tag, uint64_t v);
static uint64_t ngx_http_s3_wire_field_u64(ngx_str_t *v);
static size_t ngx_http_s3_wire_field_begin(ngx_http_s3_wbuf_t *b,
    uint8_t tag);
static void ngx_http_s3_wire_field_end(ngx_http_s3_wbuf_t *b, size_t start);
static ngx_int_t ngx_http_s3_extents_decode(ngx_str_t *v,
    ngx_http_s3_object_t *o, ngx_pool_t *pool);
static ngx_int_t ngx_http_s3_parts_decode(ngx_str_t *v,
    ngx_http_s3_object_t *o, ngx_pool_t *pool);


static void
ngx_http_s3_wire_put_field(ngx_http_s3_wbuf_t *b, uint8_t tag, ngx_str_t *s)
{
    if (s->len == 0) {
        return;
    }

    ngx_http_s3_wire_put_u8(b, tag);
    ngx_http_s3_wire_put_str(b, s);
}


static void
ngx_http_s3_wire_put_field_u64(ngx_http_s3_wbuf_t *b, uint8_t tag,
    uint64_t v)
{
    ngx_http_s3_wire_put_u8(b, tag);
    ngx_http_s3_wire_put_u32(b, 8);
    ngx_http_s3_wire_put_u64(b, v);
}


static uint64_t
ngx_http_s3_wire_field_u64(ngx_str_t *v)
{
    ngx_http_s3_rbuf_t  rb;

    if (v->len != 8) {
        return 0;
    }

    ngx_http_s3_rbuf_init(&rb, v);

    return ngx_http_s3_wire_get_u64(&rb);
}


void
ngx_http_s3_object_encode(ngx_http_s3_wbuf_t *b, ngx_http_s3_object_t *o)
{
    size_t                 start;
    ngx_uint_t             i;
    ngx_http_s3_part_t    *part;
    ngx_http_s3_extent_t  *ext;

    ngx_http_s3_wire_put_field_u64(b, NGX_HTTP_S3_TAG_SIZE, o->size);
    ngx_http_s3_wire_put_field_u64(b, NGX_HTTP_S3_TAG_MTIME, o->mtime);
    ngx_http_s3_wire_put_field(b, NGX_HTTP_S3_TAG_ETAG, &o->etag);
    ngx_http_s3_wire_put_field(b, NGX_HTTP_S3_TAG_BODY, &o->body);
    ngx_http_s3_wire_put_field(b, NGX_HTTP_S3_TAG_VERSION, &o->version);
    ngx_http_s3_wire_put_field(b, NGX_HTTP_S3_TAG_CONTENT_TYPE,
                               &o->content_type);
    ngx_http_s3_wire_put_field(b, NGX_HTTP_S3_TAG_CONTENT_ENCODING,
                               &o->content_encoding);
    ngx_http_s3_wire_put_field(b, NGX_HTTP_S3_TAG_CONTENT_DISPOSITION,
                               &o->content_disposition);
    ngx_http_s3_wire_put_field(b, NGX_HTTP_S3_TAG_CONTENT_LANGUAGE,
                               &o->content_language);
    ngx_http_s3_wire_put_field(b, NGX_HTTP_S3_TAG_CACHE_CONTROL,
                               &o->cache_control);
    ngx_http_s3_wire_put_field(b, NGX_HTTP_S3_TAG_EXPIRES, &o->expires);
    ngx_http_s3_wire_put_field(b, NGX_HTTP_S3_TAG_OWNER, &o->owner);

    if (o->flags) {
        ngx_http_s3_wire_put_field_u64(b, NGX_HTTP_S3_TAG_FLAGS, o->flags);
    }

    ngx_http_s3_wire_put_field(b, NGX_HTTP_S3_TAG_UPLOAD_ID, &o->upload_id);
    ngx_http_s3_wire_put_field(b, NGX_HTTP_S3_TAG_TAGGING, &o->tagging);

    if (o->seq) {
        ngx_http_s3_wire_put_field_u64(b, NGX_HTTP_S3_TAG_SEQ, o->seq);
    }

    if (o->request.len) {
        ngx_http_s3_wire_put_field(b, NGX_HTTP_S3_TAG_REQUEST, &o->request);
    }

    ngx_http_s3_record_put_pairs(b, NGX_HTTP_S3_TAG_TAGS, o->tags, 0);

    if (o->lock_mode) {
        ngx_http_s3_wire_put_field_u64(b, NGX_HTTP_S3_TAG_LOCK_MODE,
                                       o->lock_mode);
        ngx_http_s3_wire_put_field_u64(b, NGX_HTTP_S3_TAG_LOCK_UNTIL,
                                       o->lock_until);
    }

    if (o->legal_hold) {
        ngx_http_s3_wire_put_field_u64(b, NGX_HTTP_S3_TAG_LEGAL_HOLD,
                                       o->legal_hold);
    }

    /* CHECKSUM: u8 algorithm, u8 type, the digest (none: the algorithm) */

    if (o->checksum_alg) {
        ngx_http_s3_wire_put_u8(b, NGX_HTTP_S3_TAG_CHECKSUM);
        ngx_http_s3_wire_put_u32(b, (uint32_t) (2 + o->checksum.len));
        ngx_http_s3_wire_put_u8(b, (uint8_t) o->checksum_alg);
        ngx_http_s3_wire_put_u8(b, (uint8_t) o->checksum_type);
        ngx_http_s3_wire_put_raw(b, o->checksum.data, o->checksum.len);
    }

    /* EXTENTS: (32-byte body id, u64 offset, u64 length) each */

    if (o->extents && o->extents->nelts) {
        start = ngx_http_s3_wire_field_begin(b, NGX_HTTP_S3_TAG_EXTENTS);

        ext = o->extents->elts;

        for (i = 0; i < o->extents->nelts; i++) {
            ngx_http_s3_wire_put_raw(b, ext[i].body.data, ext[i].body.len);
            ngx_http_s3_wire_put_u64(b, ext[i].offset);
            ngx_http_s3_wire_put_u64(b, ext[i].length);
        }

        ngx_http_s3_wire_field_end(b, start);
    }

    /* PARTS: (u64 size, 16-byte md5, u8 length and the checksum) each */

    if (o->parts && o->parts->nelts) {
        start = ngx_http_s3_wire_field_begin(b, NGX_HTTP_S3_TAG_PARTS);

        part = o->parts->elts;

        for (i = 0; i < o->parts->nelts; i++) {
            ngx_http_s3_wire_put_u64(b, part[i].size);
            ngx_http_s3_wire_put_raw(b, part[i].md5, 16);
            ngx_http_s3_wire_put_u8(b, (uint8_t) part[i].checksum.len);
            ngx_http_s3_wire_put_raw(b, part[i].checksum.data,
                                     part[i].checksum.len);
        }

        ngx_http_s3_wire_field_end(b, start);
    }

    /* META: a field holding pairs of strings */

    ngx_http_s3_record_put_pairs(b, NGX_HTTP_S3_TAG_META, o->meta, 0);
}


void
ngx_http_s3_record_put_field(ngx_http_s3_wbuf_t *b, uint8_t tag,
    ngx_str_t *value)
{
    ngx_http_s3_wire_put_u8(b, tag);
    ngx_http_s3_wire_put_str(b, value);
}


void
ngx_http_s3_record_put_pairs(ngx_http_s3_wbuf_t *b, uint8_t tag,
    ngx_array_t *pairs, ngx_uint_t always)
{
    size_t  start;

    if ((pairs == NULL || pairs->nelts == 0) && !always) {
        return;
    }

    start = ngx_http_s3_wire_field_begin(b, tag);
    ngx_http_s3_pairs_encode(b, pairs);
    ngx_http_s3_wire_field_end(b, start);
}


void
ngx_http_s3_pairs_encode(ngx_http_s3_wbuf_t *b, ngx_array_t *pairs)
{
    ngx_uint_t           i;
    ngx_http_s3_pair_t  *pair;

    if (pairs == NULL) {
        return;
    }

    pair = pairs->elts;

    for (i = 0; i < pairs->nelts; i++) {
        ngx_http_s3_wire_put_str(b, &pair[i].name);
        ngx_http_s3_wire_put_str(b, &pair[i].value);
    }
}


ngx_int_t
ngx_http_s3_pairs_decode(ngx_str_t *v, ngx_array_t **pairs, ngx_pool_t *pool)
{
    ngx_http_s3_pair_t  *pair, scratch;
    ngx_http_s3_rbuf_t   mb;

    if (pool) {
        *pairs = ngx_array_create(pool, 4, sizeof(ngx_http_s3_pair_t));
        if (*pairs == NULL) {
            return NGX_ERROR;
        }
    }

    ngx_http_s3_rbuf_init(&mb, v);

    while (mb.pos < mb.last) {
        pair = &scratch;

        if (pool) {
            pair = ngx_array_push(*pairs);
            if (pair == NULL) {
                return NGX_ERROR;
            }
        }

        ngx_http_s3_wire_get_str(&mb, &pair->name);
        ngx_http_s3_wire_get_str(&mb, &pair->value);

        if (mb.error) {
            return NGX_ERROR;
        }
    }

    return NGX_OK;
}


ngx_int_t
ngx_http_s3_record_field(ngx_str_t *rec, uint8_t tag, ngx_str_t *value)
{
    uint8_t             t;
    ngx_str_t           v;
    ngx_http_s3_rbuf_t  rb;

    ngx_http_s3_rbuf_init(&rb, rec);

    while (rb.pos < rb.last) {
        t = ngx_http_s3_wire_get_u8(&rb);
        ngx_http_s3_wire_get_str(&rb, &v);

        if (rb.error) {
            return NGX_ERROR;
        }

        if (t == tag) {
            *value = v;
            return NGX_OK;
        }
    }

    return NGX_DECLINED;
}


ngx_int_t
ngx_http_s3_record_patch(ngx_http_s3_wbuf_t *b, ngx_str_t *rec,
    ngx_str_t *patch)
{
    u_char              seen[256], done[256];
    u_char             *field;
    uint8_t             tag;
    ngx_str_t           v, pv;
    ngx_http_s3_rbuf_t  rb, pb;

    /* the patch: a field list, each tag once */

    ngx_memzero(seen, sizeof(seen));
    ngx_memzero(done, sizeof(done));

    ngx_http_s3_rbuf_init(&pb, patch);

    while (pb.pos < pb.last) {
        tag = ngx_http_s3_wire_get_u8(&pb);
        ngx_http_s3_wire_get_str(&pb, &v);

        if (pb.error || seen[tag]) {
            return NGX_ERROR;
        }

        seen[tag] = 1;
    }

    /* the record's fields, replaced, dropped or as they are */

    ngx_http_s3_rbuf_init(&rb, rec);

    while (rb.pos < rb.last) {
        field = rb.pos;

        tag = ngx_http_s3_wire_get_u8(&rb);
        ngx_http_s3_wire_get_str(&rb, &v);

        if (rb.error) {
            return NGX_ERROR;
        }

        if (!seen[tag]) {
            ngx_http_s3_wire_put_raw(b, field, rb.pos - field);
            continue;
        }

        if (done[tag]) {
            continue;
        }

        done[tag] = 1;

        if (ngx_http_s3_record_field(patch, tag, &pv) == NGX_OK
            && pv.len)
        {
            ngx_http_s3_record_put_field(b, tag, &pv);
        }
    }

    /* the new fields */

    ngx_http_s3_rbuf_init(&pb, patch);

    while (pb.pos < pb.last) {
        field = pb.pos;

        tag = ngx_http_s3_wire_get_u8(&pb);
        ngx_http_s3_wire_get_str(&pb, &v);

        if (!done[tag] && v.len) {
            ngx_http_s3_wire_put_raw(b, field, pb.pos - field);
        }
    }

    return b->error ? NGX_ERROR : NGX_OK;
}


/* a field whose length is known when its value is written */

static size_t
ngx_http_s3_wire_field_begin(ngx_http_s3_wbuf_t *b, uint8_t tag)
{
    size_t  start;

    ngx_http_s3_wire_put_u8(b, tag);
    start = b->pos - b->start;
    ngx_http_s3_wire_put_u32(b, 0);

    return start;
}


static void
ngx_http_s3_wire_field_end(ngx_http_s3_wbuf_t *b, size_t start)
{
    size_t   len;
    u_char  *p;

    if (b->error) {
        return;
    }

    p = b->start + start;
    len = b->pos - p - 4;
    p[0] = (u_char) (len >> 24);
    p[1] = (u_char) (len >> 16);
    p[2] = (u_char) (len >> 8);
    p[3] = (u_char) len;
}


ngx_int_t
ngx_http_s3_object_decode(ngx_str_t *in, ngx_http_s3_object_t *o,
    ngx_pool_t *pool)
{
    uint8_t              tag;
    ngx_str_t            v, *dst, extents, parts;
    ngx_http_s3_rbuf_t   rb;

    ngx_memzero(o, sizeof(ngx_http_s3_object_t));
    ngx_str_null(&extents);
    ngx_str_null(&parts);

    ngx_http_s3_rbuf_init(&rb, in);

    while (rb.pos < rb.last) {
        tag = ngx_http_s3_wire_get_u8(&rb);
        ngx_http_s3_wire_get_str(&rb, &v);

        if (rb.error) {
            return NGX_ERROR;
        }

        dst = NULL;

        switch (tag) {

        case NGX_HTTP_S3_TAG_SIZE:
            o->size = ngx_http_s3_wire_field_u64(&v);
            break;

        case NGX_HTTP_S3_TAG_MTIME:
            o->mtime = ngx_http_s3_wire_field_u64(&v);
            break;

        case NGX_HTTP_S3_TAG_FLAGS:
            o->flags = (ngx_uint_t) ngx_http_s3_wire_field_u64(&v);
            break;

        case NGX_HTTP_S3_TAG_SEQ:
            o->seq = ngx_http_s3_wire_field_u64(&v);
            break;

        case NGX_HTTP_S3_TAG_REQUEST:
            o->request = v;
            break;

        case NGX_HTTP_S3_TAG_ETAG:
            dst = &o->etag;
            break;

        case NGX_HTTP_S3_TAG_BODY:

            /* it names a file: nothing but an id of the exact format */

            if (!ngx_http_s3_valid_body_id(&v)) {
                return NGX_ERROR;
            }

            dst = &o->body;
            break;

        case NGX_HTTP_S3_TAG_UPLOAD_ID:

            /* of the same form as a body id */

            if (!ngx_http_s3_valid_body_id(&v)) {
                return NGX_ERROR;
            }

            dst = &o->upload_id;
            break;

        case NGX_HTTP_S3_TAG_VERSION:
            dst = &o->version;
            break;

        case NGX_HTTP_S3_TAG_CONTENT_TYPE:
            dst = &o->content_type;
            break;

        case NGX_HTTP_S3_TAG_CONTENT_ENCODING:
            dst = &o->content_encoding;
            break;

        case NGX_HTTP_S3_TAG_CONTENT_DISPOSITION:
            dst = &o->content_disposition;
            break;

        case NGX_HTTP_S3_TAG_CONTENT_LANGUAGE:
            dst = &o->content_language;
            break;

        case NGX_HTTP_S3_TAG_CACHE_CONTROL:
            dst = &o->cache_control;
            break;

        case NGX_HTTP_S3_TAG_EXPIRES:
            dst = &o->expires;
            break;

        case NGX_HTTP_S3_TAG_OWNER:
            dst = &o->owner;
            break;

        case NGX_HTTP_S3_TAG_TAGGING:
            dst = &o->tagging;
            break;

        case NGX_HTTP_S3_TAG_LOCK_MODE:
            o->lock_mode = (ngx_uint_t) ngx_http_s3_wire_field_u64(&v);

            if (o->lock_mode > NGX_HTTP_S3_LOCK_MODE_COMPLIANCE) {
                /* a newer mode: the strictest this code knows */
                o->lock_mode = NGX_HTTP_S3_LOCK_MODE_COMPLIANCE;
            }

            break;

        case NGX_HTTP_S3_TAG_LOCK_UNTIL:
            o->lock_until = ngx_http_s3_wire_field_u64(&v);
            break;

        case NGX_HTTP_S3_TAG_LEGAL_HOLD:
            o->legal_hold = (ngx_uint_t) ngx_http_s3_wire_field_u64(&v);

            if (o->legal_hold > NGX_HTTP_S3_LEGAL_HOLD_ON) {
                o->legal_hold = NGX_HTTP_S3_LEGAL_HOLD_ON;
            }

            break;

        case NGX_HTTP_S3_TAG_CHECKSUM:

            if (v.len >= 2 && v.data[0] != 0) {
                o->checksum_alg = v.data[0];
                o->checksum_type = v.data[1];
                o->checksum.data = v.data + 2;
                o->checksum.len = v.len - 2;
            }

            break;

        case NGX_HTTP_S3_TAG_EXTENTS:
            extents = v;
            break;

        case NGX_HTTP_S3_FIELD_INLINE_DATA:
            dst = &o->data;
            break;

        case NGX_HTTP_S3_TAG_PARTS:
            parts = v;
            break;

        case NGX_HTTP_S3_TAG_META:

            if (pool == NULL) {
                break;
            }

            if (ngx_http_s3_pairs_decode(&v, &o->meta, pool) != NGX_OK) {
                return NGX_ERROR;
            }

            break;

        case NGX_HTTP_S3_TAG_TAGS:

            if (ngx_http_s3_pairs_decode(&v, &o->tags, pool) != NGX_OK) {
                return NGX_ERROR;
            }

            break;

        default:
            /* a field of a newer format: skip */
            break;
        }

        if (dst) {
            *dst = v;
        }
    }

    /* the byte ranges and the parts table add up to the size */

    if (extents.data) {
        if (o->body.len
            || ngx_http_s3_extents_decode(&extents, o, pool) != NGX_OK)
        {
            return NGX_ERROR;
        }
    }

    if (parts.data && ngx_http_s3_parts_decode(&parts, o, pool) != NGX_OK) {
        return NGX_ERROR;
    }

    /* an inline body is one body: "I<id>", never extents */

    if ((o->flags & NGX_HTTP_S3_OBJECT_INLINE) && o->body.len == 0) {
        return NGX_ERROR;
    }

    return NGX_OK;
}


/*
 * A body id names a file under <data>/objects: exactly
 * NGX_HTTP_S3_BODY_ID_LEN lowercase hex characters, so that no record
 * can name a file anywhere else ("..", "/", NUL, ...)
 */

ngx_uint_t
ngx_http_s3_valid_body_id(ngx_str_t *id)
{
    size_t  i;
    u_char  c;

    if (id->len != NGX_HTTP_S3_BODY_ID_LEN) {
        return 0;
    }

    for (i = 0; i < id->len; i++) {
        c = id->data[i];

        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
            return 0;
        }
    }

    return 1;
}


void
ngx_http_s3_object_put_listed(ngx_http_s3_wbuf_t *b, ngx_str_t *rec)
{
    size_t              start, n;
    u_char             *field;
    uint8_t             tag;
    ngx_str_t           v;
    ngx_http_s3_rbuf_t  rb;

    start = b->pos - b->start;
    ngx_http_s3_wire_put_u32(b, 0);

    ngx_http_s3_rbuf_init(&rb, rec);

    while (rb.pos < rb.last) {
        field = rb.pos;

        tag = ngx_http_s3_wire_get_u8(&rb);
        ngx_http_s3_wire_get_str(&rb, &v);

        if (rb.error) {
            /* the rest as it is: the reader refuses it as the record */
            n = rb.last - field;
            ngx_http_s3_wire_put_raw(b, field, n);
            break;
        }

        if (tag != NGX_HTTP_S3_TAG_EXTENTS && tag != NGX_HTTP_S3_TAG_PARTS) {
            ngx_http_s3_wire_put_raw(b, field, rb.pos - field);
        }
    }

    ngx_http_s3_wire_field_end(b, start);
}


static ngx_int_t
ngx_http_s3_extents_decode(ngx_str_t *v, ngx_http_s3_object_t *o,
    ngx_pool_t *pool)
{
    u_char                *p, *last;
    uint64_t               total;
    ngx_str_t              s, id;
    ngx_uint_t             n;
    ngx_http_s3_rbuf_t     rb;
    ngx_http_s3_extent_t  *ext, scratch;

    if (v->len == 0 || v->len % NGX_HTTP_S3_EXTENT_SIZE) {
        return NGX_ERROR;
    }

    n = v->len / NGX_HTTP_S3_EXTENT_SIZE;
    ext = NULL;

    if (pool) {
        o->extents = ngx_array_create(pool, n, sizeof(ngx_http_s3_extent_t));
        if (o->extents == NULL) {
            return NGX_ERROR;
        }
    }

    total = 0;
    p = v->data;
    last = v->data + v->len;

    while (p < last) {

        id.data = p;
        id.len = NGX_HTTP_S3_BODY_ID_LEN;

        if (!ngx_http_s3_valid_body_id(&id)) {
            return NGX_ERROR;
        }

        ext = &scratch;

        if (pool) {
            ext = ngx_array_push(o->extents);
            if (ext == NULL) {
                return NGX_ERROR;
            }

            ext->body = id;
        }

        s.data = p + NGX_HTTP_S3_BODY_ID_LEN;
        s.len = 16;
        ngx_http_s3_rbuf_init(&rb, &s);

        ext->offset = ngx_http_s3_wire_get_u64(&rb);
        ext->length = ngx_http_s3_wire_get_u64(&rb);

        if (ext->offset > NGX_MAX_OFF_T_VALUE
            || ext->length > NGX_MAX_OFF_T_VALUE - ext->offset
            || ext->length > NGX_MAX_OFF_T_VALUE - total)
        {
            return NGX_ERROR;
        }

        total += ext->length;
        p += NGX_HTTP_S3_EXTENT_SIZE;
    }

    return (total == o->size) ? NGX_OK : NGX_ERROR;
}


static ngx_int_t
ngx_http_s3_parts_decode(ngx_str_t *v, ngx_http_s3_object_t *o,
    ngx_pool_t *pool)
{
    size_t               len;
    uint64_t             size, total;
    ngx_http_s3_rbuf_t   rb;
    ngx_http_s3_part_t  *part;

    if (v->len < NGX_HTTP_S3_PART_MIN_SIZE) {
        return NGX_ERROR;
    }

    if (pool) {
        o->parts = ngx_array_create(pool, 4, sizeof(ngx_http_s3_part_t));
        if (o->parts == NULL) {
            return NGX_ERROR;
        }
    }

    total = 0;

    ngx_http_s3_rbuf_init(&rb, v);

    while (rb.pos < rb.last) {
        size = ngx_http_s3_wire_get_u64(&rb);

        if (rb.error || rb.last - rb.pos < 17
            || size > NGX_MAX_OFF_T_VALUE - total)
        {
            return NGX_ERROR;
        }

        total += size;

        if (pool) {
            part = ngx_array_push(o->parts);
            if (part == NULL) {
                return NGX_ERROR;
            }

            part->size = size;
            part->md5 = rb.pos;
            part->checksum.len = rb.pos[16];
            part->checksum.data = rb.pos + 17;
        }

        len = rb.pos[16];
        rb.pos += 17;

        if ((size_t) (rb.last - rb.pos) < len) {
            return NGX_ERROR;
        }

        rb.pos += len;
    }

    return (total == o->size) ? NGX_OK : NGX_ERROR;
}


void
ngx_http_s3_bucket_encode(ngx_http_s3_wbuf_t *b, ngx_http_s3_bucket_t *bk)
{
    ngx_http_s3_wire_put_field(b, NGX_HTTP_S3_TAG_NAME, &bk->name);
    ngx_http_s3_wire_put_field_u64(b, NGX_HTTP_S3_TAG_CREATED, bk->created);
    ngx_http_s3_wire_put_field(b, NGX_HTTP_S3_TAG_REGION, &bk->region);
    ngx_http_s3_wire_put_field(b, NGX_HTTP_S3_TAG_OWNER, &bk->owner);
    ngx_http_s3_wire_put_field(b, NGX_HTTP_S3_TAG_OWNER_USER,
                               &bk->owner_user);

    if (bk->acl != NGX_HTTP_S3_ACL_PRIVATE) {
        ngx_http_s3_wire_put_field_u64(b, NGX_HTTP_S3_TAG_ACL, bk->acl);
    }
    ngx_http_s3_wire_put_field_u64(b, NGX_HTTP_S3_TAG_VERSIONING,
                                   bk->versioning);
    ngx_http_s3_wire_put_field_u64(b, NGX_HTTP_S3_TAG_OBJECT_LOCK,
                                   bk->object_lock);
}


ngx_int_t
ngx_http_s3_bucket_decode(ngx_str_t *in, ngx_http_s3_bucket_t *bk)
{
    uint8_t             tag;
    ngx_str_t           v;
    ngx_http_s3_rbuf_t  rb;

    ngx_memzero(bk, sizeof(ngx_http_s3_bucket_t));

    ngx_http_s3_rbuf_init(&rb, in);

    while (rb.pos < rb.last) {
        tag = ngx_http_s3_wire_get_u8(&rb);
        ngx_http_s3_wire_get_str(&rb, &v);

        if (rb.error) {
            return NGX_ERROR;
        }

        switch (tag) {

        case NGX_HTTP_S3_TAG_NAME:
            bk->name = v;
            break;

        case NGX_HTTP_S3_TAG_CREATED:
            bk->created = ngx_http_s3_wire_field_u64(&v);
            break;

        case NGX_HTTP_S3_TAG_REGION:
            bk->region = v;
            break;

        case NGX_HTTP_S3_TAG_OWNER:
            bk->owner = v;
            break;

        case NGX_HTTP_S3_TAG_OWNER_USER:
            bk->owner_user = v;
            break;

        case NGX_HTTP_S3_TAG_ACL:
            bk->acl = (ngx_uint_t) ngx_http_s3_wire_field_u64(&v);

            if (bk->acl >= NGX_HTTP_S3_ACL_LAST) {
                /* of a newer format: the narrowest */
                bk->acl = NGX_HTTP_S3_ACL_PRIVATE;
            }

            break;

        case NGX_HTTP_S3_TAG_VERSIONING:
            bk->versioning = (ngx_uint_t) ngx_http_s3_wire_field_u64(&v);
            break;

        case NGX_HTTP_S3_TAG_OBJECT_LOCK:
            bk->object_lock = (ngx_uint_t) ngx_http_s3_wire_field_u64(&v);
            break;

        default:
            break;
        }
    }

    return NGX_OK;
}


void
ngx_http_s3_user_encode(ngx_http_s3_wbuf_t *b, ngx_http_s3_user_t *u)
{
    ngx_http_s3_wire_put_field(b, NGX_HTTP_S3_TAG_USER_ID, &u->id);
    ngx_http_s3_wire_put_field(b, NGX_HTTP_S3_TAG_DISPLAY_NAME, &u->name);
    ngx_http_s3_wire_put_field_u64(b, NGX_HTTP_S3_TAG_CREATED, u->created);
}


ngx_int_t
ngx_http_s3_user_decode(ngx_str_t *in, ngx_http_s3_user_t *u)
{
    uint8_t             tag;
    ngx_str_t           v;
    ngx_http_s3_rbuf_t  rb;

    ngx_memzero(u, sizeof(ngx_http_s3_user_t));

    ngx_http_s3_rbuf_init(&rb, in);

    while (rb.pos < rb.last) {
        tag = ngx_http_s3_wire_get_u8(&rb);
        ngx_http_s3_wire_get_str(&rb, &v);

        if (rb.error) {
            return NGX_ERROR;
        }

        switch (tag) {

        case NGX_HTTP_S3_TAG_USER_ID:
            u->id = v;
            break;

        case NGX_HTTP_S3_TAG_DISPLAY_NAME:
            u->name = v;
            break;

        case NGX_HTTP_S3_TAG_CREATED:
            u->created = ngx_http_s3_wire_field_u64(&v);
            break;

        default:
            break;
        }
    }

    return (u->id.len == 0) ? NGX_ERROR : NGX_OK;
}


void
ngx_http_s3_akey_encode(ngx_http_s3_wbuf_t *b, ngx_http_s3_akey_t *k)
{
    ngx_http_s3_wire_put_field(b, NGX_HTTP_S3_TAG_ACCESS_KEY,
                               &k->access_key);
    ngx_http_s3_wire_put_field(b, NGX_HTTP_S3_TAG_USER_ID, &k->user);
    ngx_http_s3_wire_put_field_u64(b, NGX_HTTP_S3_TAG_KEY_STATUS, k->status);
    ngx_http_s3_wire_put_field_u64(b, NGX_HTTP_S3_TAG_CREATED, k->created);
    ngx_http_s3_wire_put_field(b, NGX_HTTP_S3_TAG_SECRET, &k->secret);
}


ngx_int_t
ngx_http_s3_akey_decode(ngx_str_t *in, ngx_http_s3_akey_t *k)
{
    uint8_t             tag;
    ngx_str_t           v;
    ngx_http_s3_rbuf_t  rb;

    ngx_memzero(k, sizeof(ngx_http_s3_akey_t));

    ngx_http_s3_rbuf_init(&rb, in);

    while (rb.pos < rb.last) {
        tag = ngx_http_s3_wire_get_u8(&rb);
        ngx_http_s3_wire_get_str(&rb, &v);

        if (rb.error) {
            return NGX_ERROR;
        }

        switch (tag) {

        case NGX_HTTP_S3_TAG_ACCESS_KEY:
            k->access_key = v;
            break;

        case NGX_HTTP_S3_TAG_USER_ID:
            k->user = v;
            break;

        case NGX_HTTP_S3_TAG_KEY_STATUS:
            k->status = (ngx_uint_t) ngx_http_s3_wire_field_u64(&v);
            break;

        case NGX_HTTP_S3_TAG_CREATED:
            k->created = ngx_http_s3_wire_field_u64(&v);
            break;

        case NGX_HTTP_S3_TAG_SECRET:
            k->secret = v;
            break;

        default:
            break;
        }
    }

    return (k->access_key.len == 0 || k->user.len == 0) ? NGX_ERROR
                                                       : NGX_OK;
}


void
ngx_http_s3_grant_encode(ngx_http_s3_wbuf_t *b, ngx_http_s3_grant_t *g)
{
    ngx_http_s3_wire_put_field(b, NGX_HTTP_S3_TAG_USER_ID, &g->user);
    ngx_http_s3_wire_put_field_u64(b, NGX_HTTP_S3_TAG_PERMISSION, g->perm);
}


ngx_int_t
ngx_http_s3_grant_decode(ngx_str_t *in, ngx_http_s3_grant_t *g)
{
    uint8_t             tag;
    ngx_str_t           v;
    ngx_http_s3_rbuf_t  rb;

    ngx_memzero(g, sizeof(ngx_http_s3_grant_t));

    ngx_http_s3_rbuf_init(&rb, in);

    while (rb.pos < rb.last) {
        tag = ngx_http_s3_wire_get_u8(&rb);
        ngx_http_s3_wire_get_str(&rb, &v);

        if (rb.error) {
            return NGX_ERROR;
        }

        switch (tag) {

        case NGX_HTTP_S3_TAG_USER_ID:
            g->user = v;
            break;

        case NGX_HTTP_S3_TAG_PERMISSION:
            g->perm = (ngx_uint_t) ngx_http_s3_wire_field_u64(&v);
            break;

        default:
            break;
        }
    }

    return (g->user.len == 0) ? NGX_ERROR : NGX_OK;
}


void
ngx_http_s3_setting_encode(ngx_http_s3_wbuf_t *b, ngx_str_t *value)
{
    ngx_http_s3_wire_put_field(b, NGX_HTTP_S3_TAG_SETTING, value);
}


ngx_int_t
ngx_http_s3_setting_decode(ngx_str_t *in, ngx_str_t *value)
{
    uint8_t             tag;
    ngx_str_t           v;
    ngx_http_s3_rbuf_t  rb;

    ngx_str_null(value);

    ngx_http_s3_rbuf_init(&rb, in);

    while (rb.pos < rb.last) {
        tag = ngx_http_s3_wire_get_u8(&rb);
        ngx_http_s3_wire_get_str(&rb, &v);

        if (rb.error) {
            return NGX_ERROR;
        }

        if (tag == NGX_HTTP_S3_TAG_SETTING) {
            *value = v;
        }
    }

    return NGX_OK;
}


/* a bucket's usage: "C<bucket>", its counters in one field, u64 each */

void
ngx_http_s3_usage_encode(ngx_http_s3_wbuf_t *b, ngx_http_s3_usage_t *u)
{
    size_t      start;
    ngx_uint_t  i;

    start = ngx_http_s3_wire_field_begin(b, NGX_HTTP_S3_TAG_USAGE);

    for (i = 0; i < NGX_HTTP_S3_USAGE_N; i++) {
        ngx_http_s3_wire_put_u64(b, u->n[i]);
    }

    ngx_http_s3_wire_field_end(b, start);
}


ngx_int_t
ngx_http_s3_usage_decode(ngx_str_t *in, ngx_http_s3_usage_t *u)
{
    uint8_t             tag;
    ngx_str_t           v;
    ngx_uint_t          i;
    ngx_http_s3_rbuf_t  rb, fb;

    ngx_memzero(u, sizeof(ngx_http_s3_usage_t));

    ngx_http_s3_rbuf_init(&rb, in);

    while (rb.pos < rb.last) {
        tag = ngx_http_s3_wire_get_u8(&rb);
        ngx_http_s3_wire_get_str(&rb, &v);

        if (rb.error) {
            return NGX_ERROR;
        }

        if (tag != NGX_HTTP_S3_TAG_USAGE) {
            continue;
        }

        /* counters added later follow: a shorter field leaves them 0 */

        ngx_http_s3_rbuf_init(&fb, &v);

        for (i = 0; i < NGX_HTTP_S3_USAGE_N && fb.pos < fb.last; i++) {
            u->n[i] = ngx_http_s3_wire_get_u64(&fb);
        }

        if (fb.error) {
            return NGX_ERROR;
        }
    }

    return NGX_OK;
}


void
ngx_http_s3_lock_conf_encode(ngx_http_s3_wbuf_t *b,
    ngx_http_s3_lock_conf_t *lc)
{
    ngx_http_s3_wire_put_u8(b, (uint8_t) lc->mode);
    ngx_http_s3_wire_put_u8(b, (uint8_t) (lc->years ? 1 : 0));
    ngx_http_s3_wire_put_u32(b, lc->count);
}


ngx_int_t
ngx_http_s3_lock_conf_decode(ngx_str_t *in, ngx_http_s3_lock_conf_t *lc)
{
    ngx_http_s3_rbuf_t  rb;

    ngx_memzero(lc, sizeof(ngx_http_s3_lock_conf_t));

    if (in->len == 0) {
        return NGX_OK;
    }

    ngx_http_s3_rbuf_init(&rb, in);

    lc->mode = ngx_http_s3_wire_get_u8(&rb);
    lc->years = ngx_http_s3_wire_get_u8(&rb);
    lc->count = ngx_http_s3_wire_get_u32(&rb);

    if (rb.error || lc->mode == NGX_HTTP_S3_LOCK_MODE_NONE
        || lc->mode > NGX_HTTP_S3_LOCK_MODE_COMPLIANCE || lc->count == 0)
    {
        return NGX_ERROR;
    }

    return NGX_OK;
}


/*
 * Versions.  A version id is the version's sequence number in 16
 * lowercase hex digits: the sequence grows with every version written
 * and starts from the time (ms << 16), so ids are unique and ordered as
 * the versions were written.  "null" is the id of an unversioned write.
 */

void
ngx_http_s3_version_id(u_char *dst, uint64_t seq)
{
    ngx_uint_t     i;

    static u_char  hex[] = "0123456789abcdef";

    for (i = NGX_HTTP_S3_VERSION_ID_LEN; i > 0; i--) {
        dst[i - 1] = hex[seq & 0xf];
        seq >>= 4;
    }
}


ngx_int_t
ngx_http_s3_version_parse(ngx_str_t *id, uint64_t *seq)
{
    u_char      c;
    uint64_t    v;
    ngx_uint_t  i;

    if (id->len == 4 && ngx_strncmp(id->data, "null", 4) == 0) {
        *seq = 0;
        return NGX_OK;
    }

    if (id->len != NGX_HTTP_S3_VERSION_ID_LEN) {
        return NGX_ERROR;
    }

    v = 0;

    for (i = 0; i < id->len; i++) {
        c = id->data[i];

        if (c >= '0' && c <= '9') {
            v = (v << 4) | (uint64_t) (c - '0');

        } else if (c >= 'a' && c <= 'f') {
            v = (v << 4) | (uint64_t) (c - 'a' + 10);

        } else {
            return NGX_ERROR;
        }
    }

    if (v == 0) {
        return NGX_ERROR;
    }

    *seq = v;

    return NGX_OK;
}


uint64_t
ngx_http_s3_version_next(uint64_t last, uint64_t now_ms)
{
    uint64_t  t;

    t = now_ms << 16;

    return (t > last) ? t : last + 1;
}


size_t
ngx_http_s3_version_key(u_char *dst, ngx_str_t *bucket, ngx_str_t *key,
    uint64_t seq, ngx_uint_t with_rev)
{
    u_char      *p;
    uint64_t     rev;
    ngx_uint_t   i;

    if (dst == NULL) {
        return 1 + bucket->len + 1 + (key ? key->len + 1 : 0)
               + (with_rev ? 8 : 0);
    }

    p = dst;

    *p++ = 'V';
    p = ngx_cpymem(p, bucket->data, bucket->len);
    *p++ = '\0';

    if (key) {
        p = ngx_cpymem(p, key->data, key->len);
        *p++ = '\0';

        if (with_rev) {
            rev = ~seq;

            for (i = 8; i > 0; i--) {
                p[i - 1] = (u_char) (rev & 0xff);
                rev >>= 8;
            }

            p += 8;
        }
    }

    return p - dst;
}


ngx_int_t
ngx_http_s3_version_key_parse(ngx_str_t *k, size_t base, ngx_str_t *key,
    uint64_t *seq)
{
    u_char      *p;
    uint64_t     rev;
    ngx_uint_t   i;

    if (k->len < base + 1 + 8 || k->data[k->len - 9] != '\0') {
        return NGX_ERROR;
    }

    key->data = k->data + base;
    key->len = k->len - 9 - base;

    p = k->data + k->len - 8;
    rev = 0;

    for (i = 0; i < 8; i++) {
        rev = (rev << 8) | p[i];
    }

    *seq = ~rev;

    return NGX_OK;
}
