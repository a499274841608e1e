
/*
 * Copyright (C) ngx_s3 authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>
#include <ngx_md5.h>

#include "ngx_http_s3.h"
#include "ngx_http_s3_srv.h"
#include "ngx_http_s3_checksum.h"


/*
 * The metadata side of CopyObject and UploadPartCopy.  In one step: the
 * source's record is read, the copy-source conditions (and for a copy
 * the target's conditional write) are decided against the records read
 * now, and the new record, which names the source's body or extents (or
 * the range of them that UploadPartCopy asks for), is committed with
 * their counts raised and the replaced record's lowered in the same
 * batch.  No byte of a body is read or copied.
 */


#define NGX_HTTP_S3_MAX_PART_NUMBER    10000


static ngx_int_t ngx_http_s3_srv_copy_record(ngx_http_s3_exec_t *ex,
    ngx_http_s3_object_t *src, ngx_http_s3_object_t *tpl,
    ngx_uint_t directives, ngx_http_s3_object_t *n, ngx_str_t *rec);
static ngx_uint_t ngx_http_s3_srv_copy_fail(ngx_http_s3_exec_t *ex,
    ngx_uint_t st, ngx_uint_t which);
static ngx_uint_t ngx_http_s3_srv_copy_source(ngx_http_s3_exec_t *ex,
    ngx_str_t *bucket, ngx_str_t *key, ngx_str_t *vid, ngx_str_t *rec,
    ngx_http_s3_object_t *o);
static ngx_int_t ngx_http_s3_srv_copy_range(ngx_http_s3_exec_t *ex,
    ngx_http_s3_object_t *src, uint64_t first, uint64_t len,
    ngx_http_s3_object_t *part);
static ngx_uint_t ngx_http_s3_srv_part_source(ngx_http_s3_exec_t *ex,
    ngx_http_s3_object_t *src, uint64_t first, uint64_t len);
static ngx_int_t ngx_http_s3_srv_part_etag(ngx_http_s3_exec_t *ex,
    ngx_http_s3_object_t *src, uint64_t first, uint64_t len,
    ngx_str_t *md5, ngx_str_t *etag);


ngx_uint_t
ngx_http_s3_op_object_copy(ngx_http_s3_exec_t *ex)
{
    ngx_str_t                 sbucket, skey, bucket, key, tpl, expect;
    ngx_str_t                 src, rec, svid, same;
    ngx_uint_t                directives, st, lock;
    ngx_http_s3_object_t      so, t, n, again;
    ngx_http_s3_srv_obj_t     obj;
    ngx_http_s3_copy_cond_t   cc;
    ngx_http_s3_write_cond_t  wc;

    ngx_http_s3_wire_get_str(&ex->req, &sbucket);
    ngx_http_s3_wire_get_str(&ex->req, &skey);
    ngx_http_s3_wire_get_str(&ex->req, &bucket);
    ngx_http_s3_wire_get_str(&ex->req, &key);
    directives = ngx_http_s3_wire_get_u8(&ex->req);
    ngx_http_s3_wire_get_str(&ex->req, &tpl);
    ngx_http_s3_wire_get_copy_cond(&ex->req, &cc);
    ngx_http_s3_wire_get_cond(&ex->req, &wc);
    ngx_http_s3_wire_get_str(&ex->req, &expect);
    ngx_str_null(&svid);

    if (ex->req.pos < ex->req.last) {
        ngx_http_s3_wire_get_str(&ex->req, &svid);
    }

    if (ex->req.error
        || ngx_http_s3_object_decode(&tpl, &t, ex->pool) != NGX_OK)
    {
        return NGX_HTTP_S3_WIRE_ST_BAD_REQUEST;
    }

    /* the target: the bucket's state and the current record */

    st = ngx_http_s3_srv_obj_open(ex, &bucket, &key, &obj);

    if (st == NGX_HTTP_S3_WIRE_ST_OK) {
        st = ngx_http_s3_srv_lock_bucket(ex, &bucket, &lock);
    }

    if (st != NGX_HTTP_S3_WIRE_ST_OK) {
        return ngx_http_s3_srv_copy_fail(ex, st,
                                         NGX_HTTP_S3_WIRE_COPY_TARGET);
    }

    /* the source */

    st = ngx_http_s3_srv_copy_source(ex, &sbucket, &skey, &svid, &src, &so);

    if (st != NGX_HTTP_S3_WIRE_ST_OK) {
        return st;
    }

    if (so.seq || svid.len) {
        svid = so.version;
    }

    /* a copy that read the source's bytes is made of those bytes only */

    if (expect.len
        && (expect.len != src.len
            || ngx_memcmp(expect.data, src.data, src.len) != 0))
    {
        return NGX_HTTP_S3_WIRE_ST_CHANGED;
    }

    if (ngx_http_s3_srv_copy_record(ex, &so, &t, directives, &n, &rec)
        != NGX_OK)
    {
        return NGX_HTTP_S3_WIRE_ST_ERROR;
    }

    /* object lock: the request's, or the bucket's default */

    st = ngx_http_s3_srv_lock_new(ex, &bucket, lock, &n, &rec);

    if (st != NGX_HTTP_S3_WIRE_ST_OK) {
        return st;
    }

    /*
     * a replay: the target is already the very record this request makes
     * (the same source, the same mtime from the same request), as the
     * version it was made
     */

    if (obj.has_cur) {
        again = n;
        again.version = obj.cur.version;
        again.seq = obj.cur.seq;

        if (ngx_http_s3_srv_encode(ex, &again, &same) != NGX_OK) {
            return NGX_HTTP_S3_WIRE_ST_ERROR;
        }

        if (same.len == obj.orec.len
            && ngx_memcmp(same.data, obj.orec.data, same.len) == 0)
        {
            ngx_http_s3_wire_put_str(ex->out, &obj.orec);
            ngx_http_s3_wire_put_str(ex->out, &svid);
            return NGX_HTTP_S3_WIRE_ST_OK;
        }
    }

    if (so.size > NGX_HTTP_S3_WIRE_COPY_MAX_SOURCE) {
        return NGX_HTTP_S3_WIRE_ST_SOURCE_TOO_LARGE;
    }

    if (ngx_http_s3_copy_cond_check(&cc, &so.etag, so.mtime) != NGX_OK) {
        return ngx_http_s3_srv_copy_fail(ex, NGX_HTTP_S3_WIRE_ST_PRECONDITION,
                                         NGX_HTTP_S3_WIRE_COPY_SOURCE);
    }

    st = ngx_http_s3_write_cond_check(&wc, obj.has_cur ? &obj.cur.etag
                                                       : NULL);

    if (st != NGX_HTTP_S3_WIRE_ST_OK) {
        return ngx_http_s3_srv_copy_fail(ex, st,
                                         NGX_HTTP_S3_WIRE_COPY_TARGET);
    }

    /* a locked version is not replaced in place (unversioned only) */

    if (lock && obj.has_cur && obj.versioning == NGX_HTTP_S3_VERSIONING_OFF
        && ngx_http_s3_srv_lock_refuses(ex, &obj.cur, 0))
    {
        return NGX_HTTP_S3_WIRE_ST_LOCKED;
    }

    /*
     * the new version names the source's bodies (their counts rise), the
     * replaced record's lose a name
     */

    if (ngx_http_s3_srv_obj_put(ex, &obj, &n, &rec) != NGX_OK) {
        return NGX_HTTP_S3_WIRE_ST_ERROR;
    }

    st = ngx_http_s3_srv_usage_check(ex);

    if (st != NGX_HTTP_S3_WIRE_ST_OK) {
        return st;
    }

    if (ngx_http_s3_srv_commit(ex, "CopyObject") != NGX_OK) {
        return NGX_HTTP_S3_WIRE_ST_ERROR;
    }

    ngx_http_s3_wire_put_str(ex->out, &rec);
    ngx_http_s3_wire_put_str(ex->out, &svid);

    return NGX_HTTP_S3_WIRE_ST_OK;
}


/*
 * The new record: the source's bytes (body or extents), size, ETag,
 * parts and checksum, with what the request sets from the template: its
 * time and owner always, its content headers and metadata for REPLACE,
 * its tagging for a tagging REPLACE, and a checksum it computed
 */

static ngx_int_t
ngx_http_s3_srv_copy_record(ngx_http_s3_exec_t *ex,
    ngx_http_s3_object_t *src, ngx_http_s3_object_t *tpl,
    ngx_uint_t directives, ngx_http_s3_object_t *n, ngx_str_t *rec)
{
    ngx_uint_t           i;
    ngx_array_t         *parts;
    ngx_http_s3_part_t  *p, *sp;

    *n = *src;

    n->mtime = tpl->mtime;
    n->owner = tpl->owner;
    n->version = tpl->version;

    /* the same body: inline if the source's is */
    n->flags = src->flags & NGX_HTTP_S3_OBJECT_INLINE;

    /* a copy's lock is its request's (or the bucket's default) */
    n->lock_mode = tpl->lock_mode;
    n->lock_until = tpl->lock_until;
    n->legal_hold = tpl->legal_hold;

    /* the copy was not completed from the source's upload */
    ngx_str_null(&n->upload_id);

    if (directives & NGX_HTTP_S3_WIRE_COPY_REPLACE_META) {
        n->content_type = tpl->content_type;
        n->content_encoding = tpl->content_encoding;
        n->content_disposition = tpl->content_disposition;
        n->content_language = tpl->content_language;
        n->cache_control = tpl->cache_control;
        n->expires = tpl->expires;
        n->meta = tpl->meta;
    }

    if (directives & NGX_HTTP_S3_WIRE_COPY_REPLACE_TAGGING) {
        n->tagging = tpl->tagging;
        n->tags = tpl->tags;
    }

    if ((directives & NGX_HTTP_S3_WIRE_COPY_CHECKSUM) && tpl->checksum_alg)
    {
        /* the parts' checksums are of the old algorithm: they go */

        if (src->parts && src->checksum_alg != tpl->checksum_alg) {
            parts = ngx_array_create(ex->pool, src->parts->nelts,
                                     sizeof(ngx_http_s3_part_t));
            if (parts == NULL) {
                return NGX_ERROR;
            }

            sp = src->parts->elts;

            for (i = 0; i < src->parts->nelts; i++) {
                p = ngx_array_push(parts);
                if (p == NULL) {
                    return NGX_ERROR;
                }

                *p = sp[i];
                ngx_str_null(&p->checksum);
            }

            n->parts = parts;
        }

        n->checksum_alg = tpl->checksum_alg;
        n->checksum_type = tpl->checksum_type;
        n->checksum = tpl->checksum;
    }

    return ngx_http_s3_srv_encode(ex, n, rec);
}


/* an error about the source or the target: which one follows the status */

static ngx_uint_t
ngx_http_s3_srv_copy_fail(ngx_http_s3_exec_t *ex, ngx_uint_t st,
    ngx_uint_t which)
{
    if (st != NGX_HTTP_S3_WIRE_ST_ERROR) {
        ngx_http_s3_wire_put_u8(ex->out, (uint8_t) which);
    }

    return st;
}



/*
 * UploadPartCopy: a part of the upload that names a range of the source's
 * bytes.  Its checksum, when the upload has an algorithm, is known from
 * the source's record (the whole of it, or one of its parts) or given by
 * the worker, which is asked to hash the range when neither is the case.
 */

ngx_uint_t
ngx_http_s3_op_part_copy(ngx_http_s3_exec_t *ex)
{
    size_t                    csize;
    uint8_t                   ranged, alg;
    uint32_t                  number;
    uint64_t                  mtime, first, last, len;
    ngx_int_t                 rc;
    ngx_str_t                 sbucket, skey, bucket, key, id, digest, md5;
    ngx_str_t                 expect, ukey, urec, src, k, old, rec, svid;
    ngx_str_t                 frame, bytes;
    ngx_uint_t                st, i;
    ngx_http_s3_part_t       *pt;
    ngx_http_s3_object_t      so, u, part, prev;
    ngx_http_s3_copy_cond_t   cc;

    /* the request's bytes: a replay of it is the same */
    frame.data = ex->req.pos;
    frame.len = ex->req.last - ex->req.pos;

    ngx_http_s3_wire_get_str(&ex->req, &sbucket);
    ngx_http_s3_wire_get_str(&ex->req, &skey);
    ngx_http_s3_wire_get_str(&ex->req, &bucket);
    ngx_http_s3_wire_get_str(&ex->req, &key);
    ngx_http_s3_wire_get_str(&ex->req, &id);
    number = ngx_http_s3_wire_get_u32(&ex->req);
    mtime = ngx_http_s3_wire_get_u64(&ex->req);
    ranged = ngx_http_s3_wire_get_u8(&ex->req);
    first = ngx_http_s3_wire_get_u64(&ex->req);
    last = ngx_http_s3_wire_get_u64(&ex->req);
    ngx_http_s3_wire_get_copy_cond(&ex->req, &cc);
    alg = ngx_http_s3_wire_get_u8(&ex->req);
    ngx_http_s3_wire_get_str(&ex->req, &digest);
    ngx_http_s3_wire_get_str(&ex->req, &md5);
    ngx_http_s3_wire_get_str(&ex->req, &expect);
    ngx_str_null(&svid);

    if (ex->req.pos < ex->req.last) {
        ngx_http_s3_wire_get_str(&ex->req, &svid);
    }

    if (ex->req.error
        || number < 1 || number > NGX_HTTP_S3_MAX_PART_NUMBER
        || (ranged && first > last)
        || (md5.len != 0 && md5.len != 16))
    {
        return NGX_HTTP_S3_WIRE_ST_BAD_REQUEST;
    }

    /* the upload */

    st = ngx_http_s3_srv_upload(ex, &bucket, &key, &id, &ukey, &old);

    if (st != NGX_HTTP_S3_WIRE_ST_OK) {
        return ngx_http_s3_srv_copy_fail(ex, st,
                                         NGX_HTTP_S3_WIRE_COPY_TARGET);
    }

    urec.data = ngx_pnalloc(ex->pool, old.len + 1);

    if (urec.data == NULL) {
        ngx_http_s3_engine_free(&old);
        return NGX_HTTP_S3_WIRE_ST_ERROR;
    }

    ngx_memcpy(urec.data, old.data, old.len);
    urec.len = old.len;
    ngx_http_s3_engine_free(&old);

    if (ngx_http_s3_object_decode(&urec, &u, ex->pool) != NGX_OK) {
        ngx_log_error(NGX_LOG_ERR, ex->log, 0,
                      "s3 metadata: upload \"%V\": bad record", &id);
        return NGX_HTTP_S3_WIRE_ST_ERROR;
    }

    /* the source, and the range of it */

    st = ngx_http_s3_srv_copy_source(ex, &sbucket, &skey, &svid, &src, &so);

    if (st != NGX_HTTP_S3_WIRE_ST_OK) {
        return st;
    }

    if (so.seq || svid.len) {
        svid = so.version;
    }

    if (expect.len
        && (expect.len != src.len
            || ngx_memcmp(expect.data, src.data, src.len) != 0))
    {
        return NGX_HTTP_S3_WIRE_ST_CHANGED;
    }

    if (!ranged) {
        first = 0;
        last = so.size ? so.size - 1 : 0;
        len = so.size;

    } else if (last >= so.size) {
        ngx_http_s3_wire_put_u64(ex->out, so.size);
        return NGX_HTTP_S3_WIRE_ST_BAD_RANGE;

    } else {
        len = last - first + 1;
    }

    if (len > NGX_HTTP_S3_WIRE_COPY_MAX_SOURCE) {
        return NGX_HTTP_S3_WIRE_ST_SOURCE_TOO_LARGE;
    }

    if (ngx_http_s3_copy_cond_check(&cc, &so.etag, so.mtime) != NGX_OK) {
        return ngx_http_s3_srv_copy_fail(ex, NGX_HTTP_S3_WIRE_ST_PRECONDITION,
                                         NGX_HTTP_S3_WIRE_COPY_SOURCE);
    }

    /* the part */

    ngx_memzero(&part, sizeof(ngx_http_s3_object_t));

    part.size = len;
    part.mtime = mtime;

    if (so.flags & NGX_HTTP_S3_OBJECT_INLINE) {

        /* no file to name: the range becomes one, hashed here */

        if (ngx_http_s3_srv_inline_part(ex, &so, first, len, u.checksum_alg,
                                        &frame, &part, &bytes)
            != NGX_OK)
        {
            return NGX_HTTP_S3_WIRE_ST_ERROR;
        }

        csize = 0;

    } else if (ngx_http_s3_srv_copy_range(ex, &so, first, len, &part)
               != NGX_OK)
    {
        return NGX_HTTP_S3_WIRE_ST_ERROR;

    } else {
        csize = ngx_http_s3_checksum_size(u.checksum_alg);
    }

    if (csize) {
        part.checksum_alg = u.checksum_alg;
        part.checksum_type = NGX_HTTP_S3_CHECKSUM_FULL_OBJECT;

        if (alg == u.checksum_alg && digest.len == csize && expect.len) {
            part.checksum = digest;

        } else if (first == 0 && len == so.size
                   && so.checksum_alg == u.checksum_alg
                   && so.checksum_type == NGX_HTTP_S3_CHECKSUM_FULL_OBJECT
                   && so.checksum.len == csize)
        {
            part.checksum = so.checksum;

        } else {
            i = ngx_http_s3_srv_part_source(ex, &so, first, len);
            pt = (i && so.parts) ? (ngx_http_s3_part_t *) so.parts->elts
                                   + i - 1
                                 : NULL;

            if (pt && so.checksum_alg == u.checksum_alg
                && pt->checksum.len == csize)
            {
                part.checksum = pt->checksum;

            } else {
                /* the bytes must be read: the worker does it */

                ngx_http_s3_wire_put_u8(ex->out, (uint8_t) u.checksum_alg);
                ngx_http_s3_wire_put_str(ex->out, &src);
                return NGX_HTTP_S3_WIRE_ST_CHECKSUM_NEEDED;
            }
        }
    }

    if ((part.etag.len == 0
         && ngx_http_s3_srv_part_etag(ex, &so, first, len,
                                      expect.len ? &md5 : NULL, &part.etag)
            != NGX_OK)
        || ngx_http_s3_srv_encode(ex, &part, &rec) != NGX_OK
        || ngx_http_s3_srv_part_key(ex, &k, &id, number) != NGX_OK)
    {
        return NGX_HTTP_S3_WIRE_ST_ERROR;
    }

    rc = ngx_http_s3_srv_get_copy(ex, &k, &old);

    if (rc == NGX_ERROR) {
        return NGX_HTTP_S3_WIRE_ST_ERROR;
    }

    if (rc == NGX_OK) {

        /* a replay: the part is this very record */

        if (old.len == rec.len && ngx_memcmp(old.data, rec.data, rec.len) == 0)
        {
            ngx_http_s3_wire_put_str(ex->out, &rec);
            ngx_http_s3_wire_put_str(ex->out, &svid);
            return NGX_HTTP_S3_WIRE_ST_OK;
        }

        /* a part sent again replaces the one before */

        if (ngx_http_s3_object_decode(&old, &prev, ex->pool) != NGX_OK) {
            ngx_memzero(&prev, sizeof(ngx_http_s3_object_t));

        } else if (ngx_http_s3_srv_ref_object(ex, &prev, -1) != NGX_OK) {
            return NGX_HTTP_S3_WIRE_ST_ERROR;
        }
    }

    st = ngx_http_s3_srv_usage_replace(ex, &bucket, NGX_HTTP_S3_USAGE_PARTS,
                                       (rc == NGX_OK) ? &prev : NULL,
                                       part.size);

    if (st != NGX_HTTP_S3_WIRE_ST_OK) {
        return st;
    }

    if (ngx_http_s3_srv_ref_object(ex, &part, 1) != NGX_OK) {
        return NGX_HTTP_S3_WIRE_ST_ERROR;
    }

    /* the part file of an inline range: last, a failed commit doubts it */

    if ((so.flags & NGX_HTTP_S3_OBJECT_INLINE)
        && ngx_http_s3_srv_inline_file(ex, &bytes, &part.body) != NGX_OK)
    {
        return NGX_HTTP_S3_WIRE_ST_ERROR;
    }

    ngx_http_s3_batch_put(ex->batch, &k, &rec);

    if (ngx_http_s3_srv_commit(ex, "UploadPartCopy") != NGX_OK) {
        return NGX_HTTP_S3_WIRE_ST_ERROR;
    }

    ngx_http_s3_wire_put_str(ex->out, &rec);
    ngx_http_s3_wire_put_str(ex->out, &svid);

    return NGX_HTTP_S3_WIRE_ST_OK;
}


/*
 * the source's record (its current one, or the version vid), read and
 * decoded; errors about it answered
 */

static ngx_uint_t
ngx_http_s3_srv_copy_source(ngx_http_s3_exec_t *ex, ngx_str_t *bucket,
    ngx_str_t *key, ngx_str_t *vid, ngx_str_t *rec, ngx_http_s3_object_t *o)
{
    ngx_int_t              rc;
    ngx_str_t              k;
    ngx_uint_t             st;
    ngx_http_s3_srv_obj_t  obj;

    if (vid->len) {
        st = ngx_http_s3_srv_obj_open(ex, bucket, key, &obj);

        if (st == NGX_HTTP_S3_WIRE_ST_OK) {
            st = ngx_http_s3_srv_obj_find(ex, &obj, vid, &k, rec);
        }

        if (st == NGX_HTTP_S3_WIRE_ST_BAD_REQUEST
            || st == NGX_HTTP_S3_WIRE_ST_ERROR)
        {
            return st;
        }

        if (st != NGX_HTTP_S3_WIRE_ST_OK) {
            return ngx_http_s3_srv_copy_fail(ex, st,
                                             NGX_HTTP_S3_WIRE_COPY_SOURCE);
        }

    } else {
        if (ngx_http_s3_srv_key(ex, &k, 'O', bucket, key) != NGX_OK) {
            return NGX_HTTP_S3_WIRE_ST_ERROR;
        }

        rc = ngx_http_s3_srv_get_copy(ex, &k, rec);

        if (rc == NGX_ERROR) {
            return NGX_HTTP_S3_WIRE_ST_ERROR;
        }

        if (rc == NGX_DECLINED) {
            st = ngx_http_s3_srv_bucket_exists(ex, bucket);

            if (st == NGX_HTTP_S3_WIRE_ST_OK) {
                st = NGX_HTTP_S3_WIRE_ST_NO_KEY;
            }

            return ngx_http_s3_srv_copy_fail(ex, st,
                                             NGX_HTTP_S3_WIRE_COPY_SOURCE);
        }
    }

    if (ngx_http_s3_object_decode(rec, o, ex->pool) != NGX_OK) {
        ngx_log_error(NGX_LOG_ERR, ex->log, 0,
                      "s3 metadata: the record of copy source \"%V/%V\" "
                      "does not decode", bucket, key);
        return NGX_HTTP_S3_WIRE_ST_ERROR;
    }

    if (o->flags & NGX_HTTP_S3_OBJECT_DELETE_MARKER) {
        return ngx_http_s3_srv_copy_fail(ex,
                                         vid->len
                                         ? NGX_HTTP_S3_WIRE_ST_DELETE_MARKER
                                         : NGX_HTTP_S3_WIRE_ST_NO_KEY,
                                         NGX_HTTP_S3_WIRE_COPY_SOURCE);
    }

    return NGX_HTTP_S3_WIRE_ST_OK;
}


/*
 * The bytes first .. first + len - 1 of src as part's body: the whole body
 * file, or the pieces of the extents (or body) they cover
 */

static ngx_int_t
ngx_http_s3_srv_copy_range(ngx_http_s3_exec_t *ex,
    ngx_http_s3_object_t *src, uint64_t first, uint64_t len,
    ngx_http_s3_object_t *part)
{
    uint64_t               pos, from, to, end;
    ngx_uint_t             i, n;
    ngx_http_s3_extent_t  *ext, *e, one;

    if (len == 0) {
        return NGX_OK;
    }

    if (src->extents == NULL && first == 0 && len == src->size) {
        part->body = src->body;
        return NGX_OK;
    }

    if (src->extents) {
        ext = src->extents->elts;
        n = src->extents->nelts;

    } else {
        one.body = src->body;
        one.offset = 0;
        one.length = src->size;
        ext = &one;
        n = 1;
    }

    part->extents = ngx_array_create(ex->pool, 2,
                                     sizeof(ngx_http_s3_extent_t));
    if (part->extents == NULL) {
        return NGX_ERROR;
    }

    end = first + len;
    pos = 0;

    for (i = 0; i < n && pos < end; pos += ext[i].length, i++) {

        if (pos + ext[i].length <= first) {
            continue;
        }

        from = ngx_max(first, pos);
        to = ngx_min(end, pos + ext[i].length);

        e = ngx_array_push(part->extents);
        if (e == NULL) {
            return NGX_ERROR;
        }

        e->body = ext[i].body;
        e->offset = ext[i].offset + (from - pos);
        e->length = to - from;
    }

    return NGX_OK;
}


/* the number (1..) of the part of src that is exactly this range, or 0 */

static ngx_uint_t
ngx_http_s3_srv_part_source(ngx_http_s3_exec_t *ex,
    ngx_http_s3_object_t *src, uint64_t first, uint64_t len)
{
    uint64_t             pos;
    ngx_uint_t           i;
    ngx_http_s3_part_t  *pt;

    if (src->parts == NULL) {
        return 0;
    }

    pt = src->parts->elts;
    pos = 0;

    for (i = 0; i < src->parts->nelts && pos <= first; i++) {

        if (pos == first && pt[i].size == len) {
            return i + 1;
        }

        pos += pt[i].size;
    }

    return 0;
}


/*
 * A part's ETag is the MD5 of its bytes: given by the worker that read
 * them, or known from the record (the whole of a single-part source, a
 * part of a multipart one); else, as reading them would cost what the
 * copy saves, a digest of the source's ETag and the range
 */

static ngx_int_t
ngx_http_s3_srv_part_etag(ngx_http_s3_exec_t *ex, ngx_http_s3_object_t *src,
    uint64_t first, uint64_t len, ngx_str_t *md5, ngx_str_t *etag)
{
    u_char              *p, sum[16];
    u_char               buf[64];
    ngx_uint_t           i;
    ngx_md5_t            ctx;
    ngx_http_s3_part_t  *pt;

    etag->data = ngx_pnalloc(ex->pool, 32);
    if (etag->data == NULL) {
        return NGX_ERROR;
    }

    etag->len = 32;

    if (md5 && md5->len == 16) {
        ngx_hex_dump(etag->data, md5->data, 16);
        return NGX_OK;
    }

    if (first == 0 && len == src->size && src->etag.len == 32
        && src->parts == NULL)
    {
        ngx_memcpy(etag->data, src->etag.data, 32);
        return NGX_OK;
    }

    i = ngx_http_s3_srv_part_source(ex, src, first, len);

    if (i) {
        pt = src->parts->elts;
        ngx_hex_dump(etag->data, pt[i - 1].md5, 16);
        return NGX_OK;
    }

    p = ngx_sprintf(buf, "ngx_s3 part copy %uL-%uL ", first,
                    first + len - 1);

    ngx_md5_init(&ctx);
    ngx_md5_update(&ctx, buf, p - buf);
    ngx_md5_update(&ctx, src->etag.data, src->etag.len);
    ngx_md5_final(sum, &ctx);

    ngx_hex_dump(etag->data, sum, 16);

    return NGX_OK;
}


ngx_int_t
ngx_http_s3_srv_encode(ngx_http_s3_exec_t *ex, ngx_http_s3_object_t *o,
    ngx_str_t *rec)
{
    size_t               size;
    ngx_uint_t           i;
    ngx_http_s3_pair_t  *pair;
    ngx_http_s3_wbuf_t   b;

    size = 512 + o->etag.len + o->owner.len + o->version.len
           + o->content_type.len + o->content_encoding.len
           + o->content_disposition.len + o->content_language.len
           + o->cache_control.len + o->expires.len + o->tagging.len
           + o->checksum.len
           + (o->extents ? o->extents->nelts * (NGX_HTTP_S3_BODY_ID_LEN + 16)
                         : 0)
           + (o->parts ? o->parts->nelts * (8 + 16 + 1 + 32) : 0);

    if (o->meta) {
        pair = o->meta->elts;

        for (i = 0; i < o->meta->nelts; i++) {
            size += 8 + pair[i].name.len + pair[i].value.len;
        }
    }

    if (ngx_http_s3_wbuf_init(&b, ex->pool, size) != NGX_OK) {
        return NGX_ERROR;
    }

    ngx_http_s3_object_encode(&b, o);

    if (b.error) {
        return NGX_ERROR;
    }

    rec->data = b.start;
    rec->len = b.pos - b.start;

    return NGX_OK;
}
