
/*
 * Copyright (C) ngx_s3 authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_s3.h"
#include "ngx_http_s3_srv.h"


/*
 * Object records and their versions (docs/on-disk-format.md):
 *
 *     O <bucket> \0 <key>              the current version, only while it
 *                                      is not a delete marker
 *     V <bucket> \0 <key> \0 <rev>     every version of a bucket that has
 *                                      had versioning, the newest first
 *     N <bucket> \0 <key>              u64: the sequence of the key's
 *                                      "null" version when it has a "V"
 *     Q                                u64: the last sequence given out
 *
 * A record with a sequence (tag 20) has its "V" record; the current one
 * is in "O" too, byte for byte.  A record without one was written while
 * the bucket was unversioned: it is only in "O", and the key has no "V"
 * record at all; it becomes a version (gets a sequence and its "V"
 * record) at the key's first write after versioning was enabled.
 *
 * Every change of an "O" or "V" record goes through
 * ngx_http_s3_srv_record_change(): the references of the bodies it names
 * (each record counts, "O" and "V" alike), the bucket's usage and the
 * batch.
 */


static ngx_int_t ngx_http_s3_srv_record_count(ngx_http_s3_exec_t *ex,
    u_char type, ngx_str_t *bucket, ngx_str_t *rec, ngx_int_t delta);
static ngx_int_t ngx_http_s3_srv_vkey(ngx_http_s3_exec_t *ex,
    ngx_http_s3_srv_obj_t *obj, uint64_t seq, ngx_str_t *k);
static ngx_int_t ngx_http_s3_srv_seq(ngx_http_s3_exec_t *ex,
    ngx_http_s3_srv_obj_t *obj, uint64_t *seq);
static ngx_int_t ngx_http_s3_srv_encode_version(ngx_http_s3_exec_t *ex,
    ngx_http_s3_srv_obj_t *obj, ngx_http_s3_object_t *o, uint64_t seq,
    ngx_uint_t null, ngx_str_t *rec);
static ngx_int_t ngx_http_s3_srv_unversioned(ngx_http_s3_exec_t *ex,
    ngx_http_s3_srv_obj_t *obj);
static ngx_int_t ngx_http_s3_srv_null_get(ngx_http_s3_exec_t *ex,
    ngx_http_s3_srv_obj_t *obj, uint64_t *seq);
static ngx_int_t ngx_http_s3_srv_null_set(ngx_http_s3_exec_t *ex,
    ngx_http_s3_srv_obj_t *obj, uint64_t seq);
static ngx_int_t ngx_http_s3_srv_null_drop(ngx_http_s3_exec_t *ex,
    ngx_http_s3_srv_obj_t *obj);
static ngx_int_t ngx_http_s3_srv_versions_first(ngx_http_s3_exec_t *ex,
    ngx_http_s3_srv_obj_t *obj, ngx_str_t *recs, uint64_t *seqs,
    ngx_uint_t *n);


ngx_int_t
ngx_http_s3_srv_record_change(ngx_http_s3_exec_t *ex, ngx_str_t *k,
    ngx_str_t *old, ngx_str_t *rec)
{
    u_char     *z;
    ngx_str_t   bucket;

    /* "O<bucket>\0<key>" or "V<bucket>\0<key>\0<rev>" */

    z = ngx_strlchr(k->data + 1, k->data + k->len, '\0');

    if (z == NULL) {
        return NGX_ERROR;
    }

    bucket.data = k->data + 1;
    bucket.len = z - bucket.data;

    if (old
        && ngx_http_s3_srv_record_count(ex, k->data[0], &bucket, old, -1)
           != NGX_OK)
    {
        return NGX_ERROR;
    }

    if (rec) {
        if (ngx_http_s3_srv_record_count(ex, k->data[0], &bucket, rec, 1)
            != NGX_OK)
        {
            return NGX_ERROR;
        }

        ngx_http_s3_batch_put(ex->batch, k, rec);

    } else if (old) {
        ngx_http_s3_batch_delete(ex->batch, k);
    }

    return NGX_OK;
}


/*
 * A record that appears (delta 1) or goes (-1): the references of its
 * bodies, and the bucket's usage: an "O" record is a current object; a
 * "V" record a version, not a current one unless it is in "O" too (an
 * "O" record with a sequence takes its "V" record's count back); delete
 * markers are neither
 */

static ngx_int_t
ngx_http_s3_srv_record_count(ngx_http_s3_exec_t *ex, u_char type,
    ngx_str_t *bucket, ngx_str_t *rec, ngx_int_t delta)
{
    ngx_http_s3_object_t  o;

    if (ngx_http_s3_object_decode(rec, &o, ex->pool) != NGX_OK) {
        ngx_log_error(NGX_LOG_ERR, ex->log, 0,
                      "s3 metadata: a stored record does not decode, "
                      "its bodies are left as they are");
        return NGX_OK;
    }

    if (ngx_http_s3_srv_ref_object(ex, &o, delta) != NGX_OK) {
        return NGX_ERROR;
    }

    if (o.flags & NGX_HTTP_S3_OBJECT_DELETE_MARKER) {
        return NGX_OK;
    }

    if (type != 'O') {
        return ngx_http_s3_srv_usage(ex, bucket, NGX_HTTP_S3_USAGE_VERSIONS,
                                     o.size, delta);
    }

    if (ngx_http_s3_srv_usage(ex, bucket, NGX_HTTP_S3_USAGE_OBJECTS, o.size,
                              delta)
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    if (o.seq) {
        return ngx_http_s3_srv_usage(ex, bucket, NGX_HTTP_S3_USAGE_VERSIONS,
                                     o.size, -delta);
    }

    return NGX_OK;
}


ngx_uint_t
ngx_http_s3_srv_obj_open(ngx_http_s3_exec_t *ex, ngx_str_t *bucket,
    ngx_str_t *key, ngx_http_s3_srv_obj_t *obj)
{
    ngx_int_t             rc;
    ngx_str_t             k, v;
    ngx_http_s3_bucket_t  bk;

    ngx_memzero(obj, sizeof(ngx_http_s3_srv_obj_t));

    obj->bucket = *bucket;
    obj->key = *key;

    if (ngx_http_s3_srv_key(ex, &k, 'B', bucket, NULL) != NGX_OK) {
        return NGX_HTTP_S3_WIRE_ST_ERROR;
    }

    rc = ngx_http_s3_engine_get(ex->log, &k, &v);

    if (rc == NGX_DECLINED) {
        return NGX_HTTP_S3_WIRE_ST_NO_BUCKET;
    }

    if (rc != NGX_OK) {
        return NGX_HTTP_S3_WIRE_ST_ERROR;
    }

    if (ngx_http_s3_bucket_decode(&v, &bk) == NGX_OK) {
        obj->versioning = bk.versioning;
    }

    ngx_http_s3_engine_free(&v);

    if (ngx_http_s3_srv_key(ex, &obj->okey, 'O', bucket, key) != NGX_OK) {
        return NGX_HTTP_S3_WIRE_ST_ERROR;
    }

    rc = ngx_http_s3_srv_get_copy(ex, &obj->okey, &obj->orec);

    if (rc == NGX_ERROR) {
        return NGX_HTTP_S3_WIRE_ST_ERROR;
    }

    if (rc == NGX_OK) {
        obj->has_cur = 1;

        if (ngx_http_s3_object_decode(&obj->orec, &obj->cur, ex->pool)
            != NGX_OK)
        {
            ngx_log_error(NGX_LOG_ERR, ex->log, 0,
                          "s3 metadata: the record of \"%V/%V\" does not "
                          "decode", bucket, key);
            ngx_memzero(&obj->cur, sizeof(ngx_http_s3_object_t));
        }
    }

    return NGX_HTTP_S3_WIRE_ST_OK;
}



static ngx_int_t
ngx_http_s3_srv_vkey(ngx_http_s3_exec_t *ex, ngx_http_s3_srv_obj_t *obj,
    uint64_t seq, ngx_str_t *k)
{
    size_t  len;

    len = ngx_http_s3_version_key(NULL, &obj->bucket, &obj->key, seq, 1);

    k->data = ngx_pnalloc(ex->pool, len);
    if (k->data == NULL) {
        return NGX_ERROR;
    }

    k->len = ngx_http_s3_version_key(k->data, &obj->bucket, &obj->key, seq,
                                     1);

    return NGX_OK;
}


/* the next sequence ("Q"), written with the request's batch */

static ngx_int_t
ngx_http_s3_srv_seq(ngx_http_s3_exec_t *ex, ngx_http_s3_srv_obj_t *obj,
    uint64_t *seq)
{
    u_char              *p;
    uint64_t             last;
    ngx_int_t            rc;
    ngx_str_t            k, v;
    ngx_time_t          *tp;
    ngx_http_s3_rbuf_t   rb;

    ngx_str_set(&k, "Q");

    if (obj->seq == 0) {
        rc = ngx_http_s3_engine_get(ex->log, &k, &v);

        if (rc == NGX_ERROR) {
            return NGX_ERROR;
        }

        last = 0;

        if (rc == NGX_OK) {
            if (v.len == 8) {
                ngx_http_s3_rbuf_init(&rb, &v);
                last = ngx_http_s3_wire_get_u64(&rb);
            }

            ngx_http_s3_engine_free(&v);
        }

        obj->seq = last;
    }

    tp = ngx_timeofday();

    obj->seq = ngx_http_s3_version_next(obj->seq,
                                        (uint64_t) tp->sec * 1000 + tp->msec);

    p = ngx_pnalloc(ex->pool, 8);
    if (p == NULL) {
        return NGX_ERROR;
    }

    last = obj->seq;

    for (rc = 7; rc >= 0; rc--) {
        p[rc] = (u_char) (last & 0xff);
        last >>= 8;
    }

    v.data = p;
    v.len = 8;

    ngx_http_s3_batch_put(ex->batch, &k, &v);

    *seq = obj->seq;

    return NGX_OK;
}


/* o as the version seq: its id (or "null"), encoded into the pool */

static ngx_int_t
ngx_http_s3_srv_encode_version(ngx_http_s3_exec_t *ex,
    ngx_http_s3_srv_obj_t *obj, ngx_http_s3_object_t *o, uint64_t seq,
    ngx_uint_t null, ngx_str_t *rec)
{
    u_char  *p;

    o->seq = seq;

    if (null || seq == 0) {
        ngx_str_set(&o->version, "null");

    } else {
        p = ngx_pnalloc(ex->pool, NGX_HTTP_S3_VERSION_ID_LEN);
        if (p == NULL) {
            return NGX_ERROR;
        }

        ngx_http_s3_version_id(p, seq);

        o->version.data = p;
        o->version.len = NGX_HTTP_S3_VERSION_ID_LEN;
    }

    return ngx_http_s3_srv_encode(ex, o, rec);
}


/*
 * The current record, written while the bucket was unversioned, becomes
 * a version (the "null" one) before a versioned change of its key
 */

static ngx_int_t
ngx_http_s3_srv_unversioned(ngx_http_s3_exec_t *ex,
    ngx_http_s3_srv_obj_t *obj)
{
    uint64_t              seq;
    ngx_str_t             k, rec;
    ngx_http_s3_object_t  o;

    if (!obj->has_cur || obj->cur.seq || obj->cur.mtime == 0) {
        return NGX_OK;
    }

    o = obj->cur;

    if (ngx_http_s3_srv_seq(ex, obj, &seq) != NGX_OK
        || ngx_http_s3_srv_encode_version(ex, obj, &o, seq, 1, &rec)
           != NGX_OK
        || ngx_http_s3_srv_vkey(ex, obj, seq, &k) != NGX_OK
        || ngx_http_s3_srv_record_change(ex, &k, NULL, &rec) != NGX_OK
        || ngx_http_s3_srv_record_change(ex, &obj->okey, &obj->orec, &rec)
           != NGX_OK
        || ngx_http_s3_srv_null_set(ex, obj, seq) != NGX_OK)
    {
        return NGX_ERROR;
    }

    /* the current record, as it is in the batch now (and "L") */

    obj->orec = rec;
    obj->cur = o;

    return NGX_OK;
}


/* "N<bucket>\0<key>": the sequence of the "null" version, or 0 */

static ngx_int_t
ngx_http_s3_srv_null_get(ngx_http_s3_exec_t *ex, ngx_http_s3_srv_obj_t *obj,
    uint64_t *seq)
{
    ngx_int_t           rc;
    ngx_str_t           k, v;
    ngx_http_s3_rbuf_t  rb;

    *seq = 0;

    if (ngx_http_s3_srv_key(ex, &k, 'N', &obj->bucket, &obj->key) != NGX_OK) {
        return NGX_ERROR;
    }

    rc = ngx_http_s3_engine_get(ex->log, &k, &v);

    if (rc == NGX_ERROR) {
        return NGX_ERROR;
    }

    if (rc == NGX_OK) {
        if (v.len == 8) {
            ngx_http_s3_rbuf_init(&rb, &v);
            *seq = ngx_http_s3_wire_get_u64(&rb);
        }

        ngx_http_s3_engine_free(&v);
    }

    return NGX_OK;
}


/* seq 0: the key has no "null" version any more */

static ngx_int_t
ngx_http_s3_srv_null_set(ngx_http_s3_exec_t *ex, ngx_http_s3_srv_obj_t *obj,
    uint64_t seq)
{
    u_char     *p;
    ngx_int_t   i;
    ngx_str_t   k, v;

    if (ngx_http_s3_srv_key(ex, &k, 'N', &obj->bucket, &obj->key) != NGX_OK) {
        return NGX_ERROR;
    }

    if (seq == 0) {
        ngx_http_s3_batch_delete(ex->batch, &k);
        return NGX_OK;
    }

    p = ngx_pnalloc(ex->pool, 8);
    if (p == NULL) {
        return NGX_ERROR;
    }

    for (i = 7; i >= 0; i--) {
        p[i] = (u_char) (seq & 0xff);
        seq >>= 8;
    }

    v.data = p;
    v.len = 8;

    ngx_http_s3_batch_put(ex->batch, &k, &v);

    return NGX_OK;
}


/*
 * Versioning suspended: a write replaces the "null" version wherever it
 * is among the versions (the current record is replaced by the caller)
 */

static ngx_int_t
ngx_http_s3_srv_null_drop(ngx_http_s3_exec_t *ex, ngx_http_s3_srv_obj_t *obj)
{
    uint64_t   seq;
    ngx_int_t  rc;
    ngx_str_t  k, rec;

    if (ngx_http_s3_srv_null_get(ex, obj, &seq) != NGX_OK) {
        return NGX_ERROR;
    }

    if (seq == 0) {
        return NGX_OK;
    }

    if (ngx_http_s3_srv_vkey(ex, obj, seq, &k) != NGX_OK) {
        return NGX_ERROR;
    }

    rc = ngx_http_s3_srv_get_copy(ex, &k, &rec);

    if (rc == NGX_ERROR) {
        return NGX_ERROR;
    }

    if (rc == NGX_OK
        && ngx_http_s3_srv_record_change(ex, &k, &rec, NULL) != NGX_OK)
    {
        return NGX_ERROR;
    }

    return ngx_http_s3_srv_null_set(ex, obj, 0);
}


ngx_int_t
ngx_http_s3_srv_obj_put(ngx_http_s3_exec_t *ex, ngx_http_s3_srv_obj_t *obj,
    ngx_http_s3_object_t *o, ngx_str_t *rec)
{
    uint64_t    seq;
    ngx_str_t   k;
    ngx_uint_t  null;

    if (obj->versioning == NGX_HTTP_S3_VERSIONING_OFF) {
        if (ngx_http_s3_srv_encode_version(ex, obj, o, 0, 1, rec) != NGX_OK) {
            return NGX_ERROR;
        }

        return ngx_http_s3_srv_record_change(ex, &obj->okey,
                                             obj->has_cur ? &obj->orec : NULL,
                                             rec);
    }

    null = (obj->versioning == NGX_HTTP_S3_VERSIONING_SUSPENDED);

    if (null) {
        /* an unversioned current record is the "null" version: replaced */

        if (ngx_http_s3_srv_null_drop(ex, obj) != NGX_OK) {
            return NGX_ERROR;
        }

    } else if (ngx_http_s3_srv_unversioned(ex, obj) != NGX_OK) {
        return NGX_ERROR;
    }

    if (ngx_http_s3_srv_seq(ex, obj, &seq) != NGX_OK
        || ngx_http_s3_srv_encode_version(ex, obj, o, seq, null, rec)
           != NGX_OK
        || ngx_http_s3_srv_vkey(ex, obj, seq, &k) != NGX_OK
        || ngx_http_s3_srv_record_change(ex, &k, NULL, rec) != NGX_OK
        || ngx_http_s3_srv_record_change(ex, &obj->okey,
                                         obj->has_cur ? &obj->orec : NULL,
                                         rec)
           != NGX_OK)
    {
        return NGX_ERROR;
    }

    if (null && ngx_http_s3_srv_null_set(ex, obj, seq) != NGX_OK) {
        return NGX_ERROR;
    }

    return NGX_OK;
}


ngx_int_t
ngx_http_s3_srv_obj_delete(ngx_http_s3_exec_t *ex, ngx_http_s3_srv_obj_t *obj,
    uint64_t mtime, ngx_str_t *owner, ngx_str_t *rid, ngx_str_t *marker)
{
    uint64_t              seq, seqs[1];
    ngx_str_t             k, recs[1];
    ngx_uint_t            n, null;
    ngx_http_s3_object_t  m;

    ngx_str_null(marker);

    if (obj->versioning == NGX_HTTP_S3_VERSIONING_OFF) {
        if (obj->has_cur) {
            return ngx_http_s3_srv_record_change(ex, &obj->okey, &obj->orec,
                                                 NULL);
        }

        return NGX_OK;
    }

    /* a replay: the latest version is the marker this request made */

    if (!obj->has_cur && mtime && rid->len) {
        n = 1;

        if (ngx_http_s3_srv_versions_first(ex, obj, recs, seqs, &n)
            != NGX_OK)
        {
            return NGX_ERROR;
        }

        if (n == 1
            && ngx_http_s3_object_decode(&recs[0], &m, NULL) == NGX_OK
            && (m.flags & NGX_HTTP_S3_OBJECT_DELETE_MARKER)
            && m.mtime == mtime
            && m.request.len == rid->len
            && ngx_memcmp(m.request.data, rid->data, rid->len) == 0)
        {
            *marker = recs[0];
            return NGX_DONE;
        }
    }

    null = (obj->versioning == NGX_HTTP_S3_VERSIONING_SUSPENDED);

    if (null) {
        if (ngx_http_s3_srv_null_drop(ex, obj) != NGX_OK) {
            return NGX_ERROR;
        }

    } else if (ngx_http_s3_srv_unversioned(ex, obj) != NGX_OK) {
        return NGX_ERROR;
    }

    ngx_memzero(&m, sizeof(ngx_http_s3_object_t));

    m.mtime = mtime;
    m.owner = *owner;
    m.request = *rid;
    m.flags = NGX_HTTP_S3_OBJECT_DELETE_MARKER;

    if (ngx_http_s3_srv_seq(ex, obj, &seq) != NGX_OK
        || ngx_http_s3_srv_encode_version(ex, obj, &m, seq, null, marker)
           != NGX_OK
        || ngx_http_s3_srv_vkey(ex, obj, seq, &k) != NGX_OK
        || ngx_http_s3_srv_record_change(ex, &k, NULL, marker) != NGX_OK)
    {
        return NGX_ERROR;
    }

    if (obj->has_cur
        && ngx_http_s3_srv_record_change(ex, &obj->okey, &obj->orec, NULL)
           != NGX_OK)
    {
        return NGX_ERROR;
    }

    if (null && ngx_http_s3_srv_null_set(ex, obj, seq) != NGX_OK) {
        return NGX_ERROR;
    }

    return NGX_OK;
}


/*
 * The first *n (at most 2) versions of the key, newest first: records
 * (copied into the pool) and sequences
 */

static ngx_int_t
ngx_http_s3_srv_versions_first(ngx_http_s3_exec_t *ex,
    ngx_http_s3_srv_obj_t *obj, ngx_str_t *recs, uint64_t *seqs,
    ngx_uint_t *n)
{
    size_t               len;
    u_char              *p;
    uint64_t             seq;
    ngx_str_t            k, v, key;
    ngx_uint_t           max;
    ngx_http_s3_iter_t  *it;

    max = *n;
    *n = 0;

    len = ngx_http_s3_version_key(NULL, &obj->bucket, &obj->key, 0, 0);

    p = ngx_pnalloc(ex->pool, len);
    if (p == NULL) {
        return NGX_ERROR;
    }

    len = ngx_http_s3_version_key(p, &obj->bucket, &obj->key, 0, 0);

    it = ngx_http_s3_engine_iter();

    for (ngx_http_s3_iter_seek(it, p, len);
         *n < max && ngx_http_s3_iter_valid(it);
         ngx_http_s3_iter_next(it))
    {
        ngx_http_s3_iter_key(it, &k);

        if (k.len < len || ngx_memcmp(k.data, p, len) != 0) {
            break;
        }

        /* the key part must be exactly this key */

        if (ngx_http_s3_version_key_parse(&k, 1 + obj->bucket.len + 1, &key,
                                          &seq)
            != NGX_OK
            || key.len != obj->key.len)
        {
            continue;
        }

        ngx_http_s3_iter_value(it, &v);

        recs[*n].data = ngx_pnalloc(ex->pool, v.len + 1);
        if (recs[*n].data == NULL) {
            ngx_http_s3_iter_destroy(it);
            return NGX_ERROR;
        }

        ngx_memcpy(recs[*n].data, v.data, v.len);
        recs[*n].len = v.len;
        seqs[*n] = seq;

        (*n)++;
    }

    if (!ngx_http_s3_iter_valid(it)
        && ngx_http_s3_iter_status(ex->log, it) != NGX_OK)
    {
        ngx_http_s3_iter_destroy(it);
        return NGX_ERROR;
    }

    ngx_http_s3_iter_destroy(it);

    return NGX_OK;
}


ngx_uint_t
ngx_http_s3_srv_obj_find(ngx_http_s3_exec_t *ex, ngx_http_s3_srv_obj_t *obj,
    ngx_str_t *vid, ngx_str_t *k, ngx_str_t *rec)
{
    uint64_t   seq;
    ngx_int_t  rc;

    ngx_str_null(k);

    if (ngx_http_s3_version_parse(vid, &seq) != NGX_OK) {
        return NGX_HTTP_S3_WIRE_ST_BAD_REQUEST;
    }

    if (seq == 0) {

        /* "null": a record of an unversioned write, or one in "V" */

        if (obj->has_cur && obj->cur.seq == 0) {
            *rec = obj->orec;
            return NGX_HTTP_S3_WIRE_ST_OK;
        }

        if (ngx_http_s3_srv_null_get(ex, obj, &seq) != NGX_OK) {
            return NGX_HTTP_S3_WIRE_ST_ERROR;
        }

        if (seq == 0) {
            return NGX_HTTP_S3_WIRE_ST_NO_VERSION;
        }
    }

    if (ngx_http_s3_srv_vkey(ex, obj, seq, k) != NGX_OK) {
        return NGX_HTTP_S3_WIRE_ST_ERROR;
    }

    rc = ngx_http_s3_srv_get_copy(ex, k, rec);

    if (rc == NGX_DECLINED) {
        return NGX_HTTP_S3_WIRE_ST_NO_VERSION;
    }

    if (rc != NGX_OK) {
        return NGX_HTTP_S3_WIRE_ST_ERROR;
    }

    return NGX_HTTP_S3_WIRE_ST_OK;
}


ngx_uint_t
ngx_http_s3_srv_obj_delete_version(ngx_http_s3_exec_t *ex,
    ngx_http_s3_srv_obj_t *obj, ngx_str_t *vid, ngx_str_t *rec)
{
    uint64_t              seqs[2];
    ngx_str_t             k, recs[2], *latest;
    ngx_uint_t            st, n;
    ngx_http_s3_object_t  o;

    st = ngx_http_s3_srv_obj_find(ex, obj, vid, &k, rec);

    if (st != NGX_HTTP_S3_WIRE_ST_OK) {
        return st;
    }

    if (k.len == 0) {
        /* the record of an unversioned write: the key has nothing else */

        if (ngx_http_s3_srv_record_change(ex, &obj->okey, &obj->orec, NULL)
            != NGX_OK)
        {
            return NGX_HTTP_S3_WIRE_ST_ERROR;
        }

        return NGX_HTTP_S3_WIRE_ST_OK;
    }

    if (ngx_http_s3_object_decode(rec, &o, NULL) != NGX_OK) {
        ngx_memzero(&o, sizeof(ngx_http_s3_object_t));
    }

    /* the newest two: the one after is current if this one was */

    n = 2;

    if (ngx_http_s3_srv_versions_first(ex, obj, recs, seqs, &n) != NGX_OK
        || ngx_http_s3_srv_record_change(ex, &k, rec, NULL) != NGX_OK)
    {
        return NGX_HTTP_S3_WIRE_ST_ERROR;
    }

    if (o.version.len == 4 && ngx_strncmp(o.version.data, "null", 4) == 0
        && ngx_http_s3_srv_null_set(ex, obj, 0) != NGX_OK)
    {
        return NGX_HTTP_S3_WIRE_ST_ERROR;
    }

    if (n == 0 || seqs[0] != o.seq) {
        /* not the latest: the current record stays */
        return NGX_HTTP_S3_WIRE_ST_OK;
    }

    latest = NULL;

    if (n == 2) {
        if (ngx_http_s3_object_decode(&recs[1], &o, NULL) == NGX_OK
            && !(o.flags & NGX_HTTP_S3_OBJECT_DELETE_MARKER))
        {
            latest = &recs[1];
        }
    }

    if (latest == NULL && !obj->has_cur) {
        return NGX_HTTP_S3_WIRE_ST_OK;
    }

    if (ngx_http_s3_srv_record_change(ex, &obj->okey,
                                      obj->has_cur ? &obj->orec : NULL,
                                      latest)
        != NGX_OK)
    {
        return NGX_HTTP_S3_WIRE_ST_ERROR;
    }

    return NGX_HTTP_S3_WIRE_ST_OK;
}


/* GET of a key with no current record: is the latest a delete marker */

ngx_int_t
ngx_http_s3_srv_obj_marker(ngx_http_s3_exec_t *ex,
    ngx_http_s3_srv_obj_t *obj, ngx_str_t *marker)
{
    uint64_t              seqs[1];
    ngx_str_t             recs[1];
    ngx_uint_t            n;
    ngx_http_s3_object_t  o;

    ngx_str_null(marker);

    if (obj->versioning == NGX_HTTP_S3_VERSIONING_OFF) {
        return NGX_OK;
    }

    n = 1;

    if (ngx_http_s3_srv_versions_first(ex, obj, recs, seqs, &n) != NGX_OK) {
        return NGX_ERROR;
    }

    if (n == 1 && ngx_http_s3_object_decode(&recs[0], &o, NULL) == NGX_OK
        && (o.flags & NGX_HTTP_S3_OBJECT_DELETE_MARKER))
    {
        *marker = recs[0];
    }

    return NGX_OK;
}


/*
 * A replayed PutObject: its body is named by a committed record already
 * (a new body has no count).  The record is found among the key's
 * versions, newest first, for its version id: NGX_OK and rec (may be
 * empty if it is no longer there), NGX_DECLINED: not a replay
 */

ngx_int_t
ngx_http_s3_srv_obj_replay(ngx_http_s3_exec_t *ex, ngx_http_s3_srv_obj_t *obj,
    ngx_str_t *body, ngx_str_t *rec)
{
    size_t                len;
    u_char               *p;
    ngx_int_t             rc;
    ngx_str_t             k, v, key;
    uint64_t              seq;
    ngx_http_s3_iter_t   *it;
    ngx_http_s3_object_t  o;

    ngx_str_null(rec);

    if (body->len == 0) {
        return NGX_DECLINED;
    }

    if (obj->has_cur && obj->cur.body.len == body->len
        && ngx_memcmp(obj->cur.body.data, body->data, body->len) == 0)
    {
        *rec = obj->orec;
        return NGX_OK;
    }

    p = ngx_pnalloc(ex->pool, 1 + body->len);
    if (p == NULL) {
        return NGX_ERROR;
    }

    p[0] = 'R';
    ngx_memcpy(p + 1, body->data, body->len);

    k.data = p;
    k.len = 1 + body->len;

    rc = ngx_http_s3_engine_get(ex->log, &k, &v);

    if (rc != NGX_OK) {
        return rc;
    }

    ngx_http_s3_engine_free(&v);

    if (obj->versioning == NGX_HTTP_S3_VERSIONING_OFF) {
        return NGX_OK;
    }

    /* rare: the version is looked for among the key's */

    len = ngx_http_s3_version_key(NULL, &obj->bucket, &obj->key, 0, 0);

    p = ngx_pnalloc(ex->pool, len);
    if (p == NULL) {
        return NGX_ERROR;
    }

    len = ngx_http_s3_version_key(p, &obj->bucket, &obj->key, 0, 0);

    it = ngx_http_s3_engine_iter();

    for (ngx_http_s3_iter_seek(it, p, len);
         ngx_http_s3_iter_valid(it);
         ngx_http_s3_iter_next(it))
    {
        ngx_http_s3_iter_key(it, &k);

        if (k.len < len || ngx_memcmp(k.data, p, len) != 0) {
            break;
        }

        if (ngx_http_s3_version_key_parse(&k, 1 + obj->bucket.len + 1, &key,
                                          &seq)
            != NGX_OK
            || key.len != obj->key.len)
        {
            continue;
        }

        ngx_http_s3_iter_value(it, &v);

        if (ngx_http_s3_object_decode(&v, &o, NULL) == NGX_OK
            && o.body.len == body->len
            && ngx_memcmp(o.body.data, body->data, body->len) == 0)
        {
            rec->data = ngx_pnalloc(ex->pool, v.len + 1);
            if (rec->data == NULL) {
                ngx_http_s3_iter_destroy(it);
                return NGX_ERROR;
            }

            ngx_memcpy(rec->data, v.data, v.len);
            rec->len = v.len;
            break;
        }
    }

    ngx_http_s3_iter_destroy(it);

    return NGX_OK;
}


/* PutBucketVersioning: str bucket, u8 state (enabled or suspended) */

ngx_uint_t
ngx_http_s3_op_bucket_versioning(ngx_http_s3_exec_t *ex)
{
    uint8_t               state;
    ngx_int_t             rc;
    ngx_str_t             name, k, v, rec;
    ngx_http_s3_wbuf_t    b;
    ngx_http_s3_bucket_t  bk;

    ngx_http_s3_wire_get_str(&ex->req, &name);
    state = ngx_http_s3_wire_get_u8(&ex->req);

    if (ex->req.error
        || (state != NGX_HTTP_S3_VERSIONING_ENABLED
            && state != NGX_HTTP_S3_VERSIONING_SUSPENDED))
    {
        return NGX_HTTP_S3_WIRE_ST_BAD_REQUEST;
    }

    if (ngx_http_s3_srv_key(ex, &k, 'B', &name, NULL) != NGX_OK) {
        return NGX_HTTP_S3_WIRE_ST_ERROR;
    }

    rc = ngx_http_s3_srv_get_copy(ex, &k, &v);

    if (rc == NGX_DECLINED) {
        return NGX_HTTP_S3_WIRE_ST_NO_BUCKET;
    }

    if (rc != NGX_OK || ngx_http_s3_bucket_decode(&v, &bk) != NGX_OK) {
        return NGX_HTTP_S3_WIRE_ST_ERROR;
    }

    if (bk.versioning == state) {
        return NGX_HTTP_S3_WIRE_ST_OK;
    }

    /* object lock keeps versioning on for good */

    if (state == NGX_HTTP_S3_VERSIONING_SUSPENDED
        && (bk.object_lock & NGX_HTTP_S3_LOCK_ENABLED))
    {
        return NGX_HTTP_S3_WIRE_ST_BUCKET_STATE;
    }

    bk.versioning = state;

    if (ngx_http_s3_wbuf_init(&b, ex->pool, v.len + 64) != NGX_OK) {
        return NGX_HTTP_S3_WIRE_ST_ERROR;
    }

    ngx_http_s3_bucket_encode(&b, &bk);

    if (b.error) {
        return NGX_HTTP_S3_WIRE_ST_ERROR;
    }

    rec.data = b.start;
    rec.len = b.pos - b.start;

    ngx_http_s3_batch_put(ex->batch, &k, &rec);

    if (ngx_http_s3_srv_commit(ex, "PutBucketVersioning") != NGX_OK) {
        return NGX_HTTP_S3_WIRE_ST_ERROR;
    }

    return NGX_HTTP_S3_WIRE_ST_OK;
}


/*
 * The record of (bucket, key, version) for a change in place (tags,
 * retention, legal hold): dbkey is where it is stored ("V", or "O" for a
 * write from before versioning); version empty: the current one.
 * NGX_HTTP_S3_WIRE_ST_OK, _NO_BUCKET, _NO_KEY (none, or a delete marker),
 * _NO_VERSION or _ERROR
 */

ngx_uint_t
ngx_http_s3_srv_obj_load(ngx_http_s3_exec_t *ex, ngx_str_t *bucket,
    ngx_str_t *key, ngx_str_t *version, ngx_str_t *dbkey, ngx_str_t *rec)
{
    ngx_uint_t             st;
    ngx_http_s3_object_t   o;
    ngx_http_s3_srv_obj_t  obj;

    st = ngx_http_s3_srv_obj_open(ex, bucket, key, &obj);

    if (st != NGX_HTTP_S3_WIRE_ST_OK) {
        return st;
    }

    if (version->len == 0) {
        if (!obj.has_cur) {
            return NGX_HTTP_S3_WIRE_ST_NO_KEY;
        }

        *dbkey = obj.okey;
        *rec = obj.orec;

        return NGX_HTTP_S3_WIRE_ST_OK;
    }

    st = ngx_http_s3_srv_obj_find(ex, &obj, version, dbkey, rec);

    if (st == NGX_HTTP_S3_WIRE_ST_BAD_REQUEST) {
        return NGX_HTTP_S3_WIRE_ST_NO_VERSION;
    }

    if (st != NGX_HTTP_S3_WIRE_ST_OK) {
        return st;
    }

    if (dbkey->len == 0) {
        *dbkey = obj.okey;
    }

    if (ngx_http_s3_object_decode(rec, &o, NULL) != NGX_OK
        || (o.flags & NGX_HTTP_S3_OBJECT_DELETE_MARKER))
    {
        return NGX_HTTP_S3_WIRE_ST_NO_KEY;
    }

    return NGX_HTTP_S3_WIRE_ST_OK;
}


/*
 * A record loaded by ngx_http_s3_srv_obj_load() replaced by rec (the same
 * version: same bodies and size) in the request's batch: its "V" record
 * and, when it is the current version, its "O" record too
 */

ngx_int_t
ngx_http_s3_srv_obj_rewrite(ngx_http_s3_exec_t *ex, ngx_str_t *dbkey,
    ngx_str_t *rec)
{
    u_char                *z;
    uint64_t               seq;
    ngx_int_t              rc;
    ngx_str_t              old, other, okey, key;
    ngx_http_s3_object_t   o, c;
    ngx_http_s3_srv_obj_t  obj;

    if (ngx_http_s3_srv_get_copy(ex, dbkey, &old) != NGX_OK
        || ngx_http_s3_object_decode(rec, &o, NULL) != NGX_OK)
    {
        return NGX_ERROR;
    }

    if (ngx_http_s3_srv_record_change(ex, dbkey, &old, rec) != NGX_OK) {
        return NGX_ERROR;
    }

    if (o.seq == 0) {
        /* a write from before versioning: only in "O" */
        return NGX_OK;
    }

    /* the other record of the version: "V" of a current one, or "O" */

    z = ngx_strlchr(dbkey->data + 1, dbkey->data + dbkey->len, '\0');

    if (z == NULL) {
        return NGX_ERROR;
    }

    ngx_memzero(&obj, sizeof(ngx_http_s3_srv_obj_t));

    obj.bucket.data = dbkey->data + 1;
    obj.bucket.len = z - obj.bucket.data;

    if (dbkey->data[0] == 'O') {
        obj.key.data = z + 1;
        obj.key.len = dbkey->data + dbkey->len - obj.key.data;

        if (ngx_http_s3_srv_vkey(ex, &obj, o.seq, &other) != NGX_OK) {
            return NGX_ERROR;
        }

    } else {
        if (ngx_http_s3_version_key_parse(dbkey, 1 + obj.bucket.len + 1, &key,
                                          &seq)
            != NGX_OK
            || ngx_http_s3_srv_key(ex, &okey, 'O', &obj.bucket, &key)
               != NGX_OK)
        {
            return NGX_ERROR;
        }

        other = okey;
    }

    rc = ngx_http_s3_srv_get_copy(ex, &other, &old);

    if (rc == NGX_DECLINED) {
        return NGX_OK;
    }

    if (rc != NGX_OK) {
        return NGX_ERROR;
    }

    if (ngx_http_s3_object_decode(&old, &c, NULL) != NGX_OK
        || c.seq != o.seq)
    {
        /* "O" is another version: this one is not current */
        return NGX_OK;
    }

    return ngx_http_s3_srv_record_change(ex, &other, &old, rec);
}
