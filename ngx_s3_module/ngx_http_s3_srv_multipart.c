
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
 * The metadata side of multipart uploads.
 *
 *     U <bucket> \0 <key> \0 <upload id>     the upload record: an object
 *                                           record of what the object
 *                                           will have (content headers,
 *                                           metadata, owner, checksum
 *                                           algorithm and type), mtime =
 *                                           initiation
 *     P <upload id> \0 <u32 part number>    a part record: size, mtime,
 *                                           ETag, body, checksum
 *
 * A part's body has a reference; CompleteMultipartUpload moves the
 * references of the parts it uses to the object's extents and drops the
 * others, in one batch, so that no body is ever left without a record
 * or a record without its body.
 */


#define NGX_HTTP_S3_MIN_PART_SIZE      (5 * 1024 * 1024)
#define NGX_HTTP_S3_MAX_PART_NUMBER    10000
#define NGX_HTTP_S3_MAX_MULTIPART_SIZE ((uint64_t) 5 << 40)


typedef struct {
    uint32_t                   number;
    ngx_str_t                  key;         /* P key, copied */
    ngx_str_t                  rec;         /* part record, copied */
} ngx_http_s3_srv_part_t;


typedef struct {
    uint32_t                   number;
    ngx_str_t                  etag;
    ngx_uint_t                 alg;
    ngx_str_t                  digest;
} ngx_http_s3_srv_want_t;


static ngx_int_t ngx_http_s3_srv_upload_key(ngx_http_s3_exec_t *ex,
    ngx_str_t *out, ngx_str_t *bucket, ngx_str_t *key, ngx_str_t *id);
static ngx_uint_t ngx_http_s3_srv_complete_check(ngx_http_s3_exec_t *ex,
    ngx_http_s3_object_t *u, ngx_array_t *want, ngx_array_t *have,
    ngx_http_s3_object_t *o);
static ngx_int_t ngx_http_s3_srv_hex16(ngx_str_t *hex, u_char *out);


ngx_uint_t
ngx_http_s3_op_upload_create(ngx_http_s3_exec_t *ex)
{
    ngx_int_t   rc;
    ngx_str_t   bucket, key, id, rec, k, v;
    ngx_uint_t  st;

    ngx_http_s3_wire_get_str(&ex->req, &bucket);
    ngx_http_s3_wire_get_str(&ex->req, &key);
    ngx_http_s3_wire_get_str(&ex->req, &id);
    ngx_http_s3_wire_get_str(&ex->req, &rec);

    if (ex->req.error || !ngx_http_s3_valid_body_id(&id)) {
        return NGX_HTTP_S3_WIRE_ST_BAD_REQUEST;
    }

    st = ngx_http_s3_srv_bucket_exists(ex, &bucket);

    if (st != NGX_HTTP_S3_WIRE_ST_OK) {
        return st;
    }

    if (ngx_http_s3_srv_upload_key(ex, &k, &bucket, &key, &id) != NGX_OK) {
        return NGX_HTTP_S3_WIRE_ST_ERROR;
    }

    rc = ngx_http_s3_engine_get(ex->log, &k, &v);

    if (rc == NGX_ERROR) {
        return NGX_HTTP_S3_WIRE_ST_ERROR;
    }

    if (rc == NGX_OK) {
        /* a replay: ids are random, the upload is this one */
        ngx_http_s3_engine_free(&v);
        return NGX_HTTP_S3_WIRE_ST_OK;
    }

    ngx_http_s3_batch_put(ex->batch, &k, &rec);

    if (ngx_http_s3_srv_commit(ex, "CreateMultipartUpload") != NGX_OK) {
        return NGX_HTTP_S3_WIRE_ST_ERROR;
    }

    return NGX_HTTP_S3_WIRE_ST_OK;
}


ngx_uint_t
ngx_http_s3_op_upload_get(ngx_http_s3_exec_t *ex)
{
    ngx_str_t   bucket, key, id, k, rec;
    ngx_uint_t  st;

    ngx_http_s3_wire_get_str(&ex->req, &bucket);
    ngx_http_s3_wire_get_str(&ex->req, &key);
    ngx_http_s3_wire_get_str(&ex->req, &id);

    if (ex->req.error) {
        return NGX_HTTP_S3_WIRE_ST_BAD_REQUEST;
    }

    st = ngx_http_s3_srv_upload(ex, &bucket, &key, &id, &k, &rec);

    if (st != NGX_HTTP_S3_WIRE_ST_OK) {
        return st;
    }

    ngx_http_s3_wire_put_raw(ex->out, rec.data, rec.len);
    ngx_http_s3_engine_free(&rec);

    return NGX_HTTP_S3_WIRE_ST_OK;
}


ngx_uint_t
ngx_http_s3_op_part_put(ngx_http_s3_exec_t *ex)
{
    uint32_t              number;
    ngx_int_t             rc;
    ngx_str_t             bucket, key, id, rec, k, ukey, u, old;
    ngx_uint_t            st;
    ngx_http_s3_object_t  part, prev;

    ngx_http_s3_wire_get_str(&ex->req, &bucket);
    ngx_http_s3_wire_get_str(&ex->req, &key);
    ngx_http_s3_wire_get_str(&ex->req, &id);
    number = ngx_http_s3_wire_get_u32(&ex->req);
    ngx_http_s3_wire_get_str(&ex->req, &rec);

    if (ex->req.error
        || number < 1 || number > NGX_HTTP_S3_MAX_PART_NUMBER
        || ngx_http_s3_object_decode(&rec, &part, ex->pool) != NGX_OK
        || part.body.len == 0)
    {
        return NGX_HTTP_S3_WIRE_ST_BAD_REQUEST;
    }

    /*
     * From here on the worker keeps the body file when the answer is
     * ST_ERROR: the body is in doubt until a read shows that no record
     * names it (a failed commit puts it in doubt itself)
     */

    st = ngx_http_s3_srv_upload(ex, &bucket, &key, &id, &ukey, &u);

    if (st != NGX_HTTP_S3_WIRE_ST_OK) {
        if (st == NGX_HTTP_S3_WIRE_ST_ERROR) {
            ngx_http_s3_srv_doubt_body(ex, &part.body, 0);
        }

        return st;
    }

    ngx_http_s3_engine_free(&u);

    if (ngx_http_s3_srv_part_key(ex, &k, &id, number) != NGX_OK) {
        ngx_http_s3_srv_doubt_body(ex, &part.body, 0);
        return NGX_HTTP_S3_WIRE_ST_ERROR;
    }

    rc = ngx_http_s3_engine_get(ex->log, &k, &old);

    if (rc == NGX_ERROR) {
        ngx_http_s3_srv_doubt_body(ex, &part.body, 0);
        return NGX_HTTP_S3_WIRE_ST_ERROR;
    }

    if (rc == NGX_OK) {
        if (ngx_http_s3_object_decode(&old, &prev, ex->pool) != NGX_OK) {
            ngx_memzero(&prev, sizeof(ngx_http_s3_object_t));
        }

        /* a replay: this very body is the part already */

        if (prev.body.len == part.body.len
            && ngx_memcmp(prev.body.data, part.body.data, part.body.len) == 0)
        {
            ngx_http_s3_engine_free(&old);
            return NGX_HTTP_S3_WIRE_ST_OK;
        }

        /* a part uploaded again replaces the one before */

        rc = ngx_http_s3_srv_ref_object(ex, &prev, -1);
        ngx_http_s3_engine_free(&old);

        if (rc != NGX_OK) {
            ngx_http_s3_srv_doubt_body(ex, &part.body, 0);
            return NGX_HTTP_S3_WIRE_ST_ERROR;
        }

        st = ngx_http_s3_srv_usage_replace(ex, &bucket,
                                           NGX_HTTP_S3_USAGE_PARTS, &prev,
                                           part.size);

    } else {
        st = ngx_http_s3_srv_usage_replace(ex, &bucket,
                                           NGX_HTTP_S3_USAGE_PARTS, NULL,
                                           part.size);
    }

    if (st != NGX_HTTP_S3_WIRE_ST_OK) {
        if (st == NGX_HTTP_S3_WIRE_ST_ERROR) {
            ngx_http_s3_srv_doubt_body(ex, &part.body, 0);
        }

        return st;
    }

    if (ngx_http_s3_srv_ref_object(ex, &part, 1) != NGX_OK) {
        ngx_http_s3_srv_doubt_body(ex, &part.body, 0);
        return NGX_HTTP_S3_WIRE_ST_ERROR;
    }

    ngx_http_s3_batch_put(ex->batch, &k, &rec);

    if (ngx_http_s3_srv_commit(ex, "UploadPart") != NGX_OK) {
        return NGX_HTTP_S3_WIRE_ST_ERROR;
    }

    return NGX_HTTP_S3_WIRE_ST_OK;
}


ngx_uint_t
ngx_http_s3_op_upload_complete(ngx_http_s3_exec_t *ex)
{
    uint8_t                    type, alg;
    uint32_t                   n, i, suffix, last;
    uint64_t                   mtime;
    ngx_int_t                  rc;
    ngx_str_t                  bucket, key, id, digest, ukey, urec, k;
    ngx_str_t                  old, rec;
    ngx_uint_t                 st, lock;
    ngx_array_t               *want, *have;
    ngx_http_s3_object_t       u, o, prev;
    ngx_http_s3_srv_obj_t      obj;
    ngx_http_s3_srv_want_t    *w;
    ngx_http_s3_write_cond_t   wc;

    ngx_http_s3_wire_get_str(&ex->req, &bucket);
    ngx_http_s3_wire_get_str(&ex->req, &key);
    ngx_http_s3_wire_get_str(&ex->req, &id);
    mtime = ngx_http_s3_wire_get_u64(&ex->req);
    ngx_http_s3_wire_get_cond(&ex->req, &wc);
    type = ngx_http_s3_wire_get_u8(&ex->req);
    alg = ngx_http_s3_wire_get_u8(&ex->req);
    ngx_http_s3_wire_get_str(&ex->req, &digest);
    suffix = ngx_http_s3_wire_get_u32(&ex->req);
    n = ngx_http_s3_wire_get_u32(&ex->req);

    if (ex->req.error || n == 0 || n > NGX_HTTP_S3_MAX_PART_NUMBER) {
        return NGX_HTTP_S3_WIRE_ST_BAD_REQUEST;
    }

    want = ngx_array_create(ex->pool, n, sizeof(ngx_http_s3_srv_want_t));
    if (want == NULL) {
        return NGX_HTTP_S3_WIRE_ST_ERROR;
    }

    last = 0;

    for (i = 0; i < n; i++) {
        w = ngx_array_push(want);
        if (w == NULL) {
            return NGX_HTTP_S3_WIRE_ST_ERROR;
        }

        w->number = ngx_http_s3_wire_get_u32(&ex->req);
        ngx_http_s3_wire_get_str(&ex->req, &w->etag);
        w->alg = ngx_http_s3_wire_get_u8(&ex->req);
        ngx_http_s3_wire_get_str(&ex->req, &w->digest);

        /* the worker answered InvalidPartOrder already */

        if (ex->req.error || w->number <= last
            || w->number > NGX_HTTP_S3_MAX_PART_NUMBER)
        {
            return NGX_HTTP_S3_WIRE_ST_BAD_REQUEST;
        }

        last = w->number;
    }

    st = ngx_http_s3_srv_upload(ex, &bucket, &key, &id, &ukey, &urec);

    if (st == NGX_HTTP_S3_WIRE_ST_NO_UPLOAD) {

        /* a complete that committed already: the object says so */

        if (ngx_http_s3_srv_key(ex, &k, 'O', &bucket, &key) != NGX_OK) {
            return NGX_HTTP_S3_WIRE_ST_ERROR;
        }

        rc = ngx_http_s3_engine_get(ex->log, &k, &old);

        if (rc == NGX_ERROR) {
            return NGX_HTTP_S3_WIRE_ST_ERROR;
        }

        if (rc == NGX_OK) {
            if (ngx_http_s3_object_decode(&old, &prev, NULL) == NGX_OK
                && prev.upload_id.len == id.len
                && ngx_memcmp(prev.upload_id.data, id.data, id.len) == 0)
            {
                ngx_http_s3_wire_put_raw(ex->out, old.data, old.len);
                st = NGX_HTTP_S3_WIRE_ST_OK;
            }

            ngx_http_s3_engine_free(&old);
        }

        return st;
    }

    if (st != NGX_HTTP_S3_WIRE_ST_OK) {
        return st;
    }

    /* from here on urec must be freed: u's strings point into it */

    st = NGX_HTTP_S3_WIRE_ST_ERROR;
    old.data = NULL;

    if (ngx_http_s3_object_decode(&urec, &u, ex->pool) != NGX_OK) {
        ngx_log_error(NGX_LOG_ERR, ex->log, 0,
                      "s3 metadata: upload \"%V\": bad record", &id);
        goto done;
    }

    if (type != NGX_HTTP_S3_WIRE_NO_TYPE
        && u.checksum_alg != NGX_HTTP_S3_CHECKSUM_NONE
        && type != u.checksum_type)
    {
        ngx_http_s3_wire_put_u8(ex->out, (uint8_t) u.checksum_type);
        st = NGX_HTTP_S3_WIRE_ST_CHECKSUM_TYPE;
        goto done;
    }

    if (ngx_http_s3_srv_parts(ex, &id, &have) != NGX_OK) {
        goto done;
    }

    /* the object: what the upload said, and the parts asked for */

    o = u;
    o.mtime = mtime;
    o.upload_id = id;
    ngx_str_set(&o.version, "null");

    st = ngx_http_s3_srv_complete_check(ex, &u, want, have, &o);

    if (st != NGX_HTTP_S3_WIRE_ST_OK) {
        goto done;
    }

    st = NGX_HTTP_S3_WIRE_ST_ERROR;

    /* the object checksum the client computed, if any */

    if (alg != NGX_HTTP_S3_CHECKSUM_NONE
        && u.checksum_alg != NGX_HTTP_S3_CHECKSUM_NONE
        && (alg != u.checksum_alg
            || digest.len != o.checksum.len
            || ngx_memcmp(digest.data, o.checksum.data, digest.len) != 0
            || (suffix && (u.checksum_type != NGX_HTTP_S3_CHECKSUM_COMPOSITE
                           || suffix != n))))
    {
        st = NGX_HTTP_S3_WIRE_ST_BAD_DIGEST;
        goto done;
    }

    /* conditional writes, as PutObject's: on the current version */

    st = ngx_http_s3_srv_obj_open(ex, &bucket, &key, &obj);

    /* object lock: the upload's, or the bucket's default */

    if (st == NGX_HTTP_S3_WIRE_ST_OK) {
        st = ngx_http_s3_srv_lock_bucket(ex, &bucket, &lock);
    }

    if (st == NGX_HTTP_S3_WIRE_ST_OK) {
        st = ngx_http_s3_srv_lock_new(ex, &bucket, lock, &o, NULL);
    }

    if (st != NGX_HTTP_S3_WIRE_ST_OK) {
        goto done;
    }

    st = ngx_http_s3_write_cond_check(&wc, obj.has_cur ? &obj.cur.etag
                                                       : NULL);

    /* a locked version is not replaced in place (unversioned only) */

    if (st == NGX_HTTP_S3_WIRE_ST_OK && lock && obj.has_cur
        && obj.versioning == NGX_HTTP_S3_VERSIONING_OFF
        && ngx_http_s3_srv_lock_refuses(ex, &obj.cur, 0))
    {
        st = NGX_HTTP_S3_WIRE_ST_LOCKED;
    }

    if (st != NGX_HTTP_S3_WIRE_ST_OK) {
        goto done;
    }

    st = NGX_HTTP_S3_WIRE_ST_ERROR;

    /*
     * the object's extents name the parts' bodies, the upload goes; the
     * new version is written as its bucket's state says
     */

    if (ngx_http_s3_srv_drop_upload(ex, &ukey, have) != NGX_OK
        || ngx_http_s3_srv_obj_put(ex, &obj, &o, &rec) != NGX_OK)
    {
        goto done;
    }

    /* its parts' bytes become the object's: within a quota that held them */

    st = ngx_http_s3_srv_usage_check(ex);

    if (st != NGX_HTTP_S3_WIRE_ST_OK) {
        goto done;
    }

    st = NGX_HTTP_S3_WIRE_ST_ERROR;

    if (ngx_http_s3_srv_commit(ex, "CompleteMultipartUpload") != NGX_OK) {
        goto done;
    }

    ngx_http_s3_wire_put_raw(ex->out, rec.data, rec.len);

    st = NGX_HTTP_S3_WIRE_ST_OK;

done:

    if (old.data) {
        ngx_http_s3_engine_free(&old);
    }

    ngx_http_s3_engine_free(&urec);

    return st;
}


/*
 * The parts asked for against the parts uploaded: each must exist with
 * that ETag (and checksum, if given), all but the last of at least
 * 5 MiB.  Fills in the object's size, ETag, extents, parts table and
 * checksum.  NGX_HTTP_S3_WIRE_ST_OK, or the status to answer (its reply
 * fields appended).
 */

static ngx_uint_t
ngx_http_s3_srv_complete_check(ngx_http_s3_exec_t *ex,
    ngx_http_s3_object_t *u, ngx_array_t *want, ngx_array_t *have,
    ngx_http_s3_object_t *o)
{
    u_char                  *md5s, *digest, sum[16];
    size_t                   csize;
    uint64_t                 total;
    ngx_uint_t               i, j, k, n;
    ngx_md5_t                md5;
    ngx_http_s3_part_t      *pt;
    ngx_http_s3_object_t     p;
    ngx_http_s3_extent_t    *ext, *pe;
    ngx_http_s3_checksum_t   ck;
    ngx_http_s3_srv_part_t  *hp;
    ngx_http_s3_srv_want_t  *w;

    w = want->elts;
    n = want->nelts;
    hp = have->elts;

    csize = ngx_http_s3_checksum_size(u->checksum_alg);

    md5s = ngx_pnalloc(ex->pool, 16 * n);
    digest = ngx_pnalloc(ex->pool, NGX_HTTP_S3_CHECKSUM_MAX_SIZE);

    o->extents = ngx_array_create(ex->pool, n, sizeof(ngx_http_s3_extent_t));
    o->parts = ngx_array_create(ex->pool, n, sizeof(ngx_http_s3_part_t));

    if (md5s == NULL || digest == NULL || o->extents == NULL
        || o->parts == NULL)
    {
        return NGX_HTTP_S3_WIRE_ST_ERROR;
    }

    if (csize && u->checksum_type == NGX_HTTP_S3_CHECKSUM_COMPOSITE
        && ngx_http_s3_checksum_init(&ck, ex->pool, u->checksum_alg)
           != NGX_OK)
    {
        return NGX_HTTP_S3_WIRE_ST_ERROR;
    }

    total = 0;
    j = 0;

    for (i = 0; i < n; i++) {

        /* both lists ascend: walk the uploaded ones along */

        while (j < have->nelts && hp[j].number < w[i].number) {
            j++;
        }

        if (j == have->nelts || hp[j].number != w[i].number
            || ngx_http_s3_object_decode(&hp[j].rec, &p, ex->pool) != NGX_OK
            || p.etag.len != w[i].etag.len
            || ngx_strncasecmp(p.etag.data, w[i].etag.data, p.etag.len) != 0
            || ngx_http_s3_srv_hex16(&p.etag, md5s + 16 * i) != NGX_OK
            || (w[i].alg != NGX_HTTP_S3_CHECKSUM_NONE
                && (w[i].alg != u->checksum_alg
                    || p.checksum_alg != w[i].alg
                    || p.checksum.len != w[i].digest.len
                    || ngx_memcmp(p.checksum.data, w[i].digest.data,
                                  p.checksum.len)
                       != 0)))
        {
            ngx_http_s3_wire_put_u32(ex->out, w[i].number);
            ngx_http_s3_wire_put_str(ex->out, &w[i].etag);
            return NGX_HTTP_S3_WIRE_ST_INVALID_PART;
        }

        if (csize
            && ((w[i].alg == NGX_HTTP_S3_CHECKSUM_NONE
                 && u->checksum_type == NGX_HTTP_S3_CHECKSUM_COMPOSITE)
                || p.checksum_alg != u->checksum_alg
                || p.checksum.len != csize))
        {
            ngx_http_s3_wire_put_u8(ex->out, (uint8_t) u->checksum_alg);
            ngx_http_s3_wire_put_u32(ex->out, w[i].number);
            return NGX_HTTP_S3_WIRE_ST_CHECKSUM_MISSING;
        }

        if (i + 1 < n && p.size < NGX_HTTP_S3_MIN_PART_SIZE) {
            ngx_http_s3_wire_put_u32(ex->out, w[i].number);
            ngx_http_s3_wire_put_u64(ex->out, p.size);
            return NGX_HTTP_S3_WIRE_ST_PART_TOO_SMALL;
        }

        total += p.size;

        if (total > NGX_HTTP_S3_MAX_MULTIPART_SIZE) {
            return NGX_HTTP_S3_WIRE_ST_TOO_LARGE;
        }

        pt = ngx_array_push(o->parts);
        if (pt == NULL) {
            return NGX_HTTP_S3_WIRE_ST_ERROR;
        }

        pt->size = p.size;
        pt->md5 = md5s + 16 * i;
        pt->checksum.len = csize;
        pt->checksum.data = p.checksum.data;

        if (p.extents) {

            /* a part copied from a range of an object (UploadPartCopy) */

            pe = p.extents->elts;

            for (k = 0; k < p.extents->nelts; k++) {
                ext = ngx_array_push(o->extents);
                if (ext == NULL) {
                    return NGX_HTTP_S3_WIRE_ST_ERROR;
                }

                *ext = pe[k];
            }

        } else if (p.size) {
            ext = ngx_array_push(o->extents);
            if (ext == NULL) {
                return NGX_HTTP_S3_WIRE_ST_ERROR;
            }

            ext->body = p.body;
            ext->offset = 0;
            ext->length = p.size;
        }

        /* the object checksum: of the parts' checksums, or combined */

        if (csize == 0) {
            continue;
        }

        if (u->checksum_type == NGX_HTTP_S3_CHECKSUM_COMPOSITE) {
            if (ngx_http_s3_checksum_update(&ck, p.checksum.data, csize)
                != NGX_OK)
            {
                return NGX_HTTP_S3_WIRE_ST_ERROR;
            }

        } else if (i == 0) {
            ngx_memcpy(digest, p.checksum.data, csize);

        } else if (ngx_http_s3_checksum_combine(u->checksum_alg, digest,
                                                p.checksum.data, p.size)
                   != NGX_OK)
        {
            return NGX_HTTP_S3_WIRE_ST_ERROR;
        }
    }

    if (o->extents->nelts == 0) {
        o->extents = NULL;
    }

    o->size = total;

    /* the ETag: MD5 of the parts' MD5s, and their number */

    o->etag.data = ngx_pnalloc(ex->pool, 32 + 1 + NGX_INT_T_LEN);
    if (o->etag.data == NULL) {
        return NGX_HTTP_S3_WIRE_ST_ERROR;
    }

    ngx_md5_init(&md5);
    ngx_md5_update(&md5, md5s, 16 * n);
    ngx_md5_final(sum, &md5);

    ngx_hex_dump(o->etag.data, sum, 16);
    o->etag.len = ngx_sprintf(o->etag.data + 32, "-%ui", n) - o->etag.data;

    if (csize) {
        if (u->checksum_type == NGX_HTTP_S3_CHECKSUM_COMPOSITE
            && ngx_http_s3_checksum_final(&ck, digest) != NGX_OK)
        {
            return NGX_HTTP_S3_WIRE_ST_ERROR;
        }

        o->checksum.data = digest;
        o->checksum.len = csize;
    }

    return NGX_HTTP_S3_WIRE_ST_OK;
}


ngx_uint_t
ngx_http_s3_op_upload_abort(ngx_http_s3_exec_t *ex)
{
    ngx_str_t     bucket, key, id, ukey, rec;
    ngx_uint_t    st;
    ngx_array_t  *parts;

    ngx_http_s3_wire_get_str(&ex->req, &bucket);
    ngx_http_s3_wire_get_str(&ex->req, &key);
    ngx_http_s3_wire_get_str(&ex->req, &id);

    if (ex->req.error) {
        return NGX_HTTP_S3_WIRE_ST_BAD_REQUEST;
    }

    st = ngx_http_s3_srv_upload(ex, &bucket, &key, &id, &ukey, &rec);

    if (st != NGX_HTTP_S3_WIRE_ST_OK) {
        return st;
    }

    ngx_http_s3_engine_free(&rec);

    if (ngx_http_s3_srv_parts(ex, &id, &parts) != NGX_OK
        || ngx_http_s3_srv_drop_upload(ex, &ukey, parts) != NGX_OK
        || ngx_http_s3_srv_commit(ex, "AbortMultipartUpload") != NGX_OK)
    {
        return NGX_HTTP_S3_WIRE_ST_ERROR;
    }

    return NGX_HTTP_S3_WIRE_ST_OK;
}


ngx_uint_t
ngx_http_s3_op_part_list(ngx_http_s3_exec_t *ex)
{
    u_char              *p;
    size_t               at;
    uint32_t             marker, max, n, number;
    ngx_str_t            bucket, key, id, ukey, rec, k, v, prefix;
    ngx_uint_t           st, truncated;
    ngx_http_s3_iter_t  *it;

    ngx_http_s3_wire_get_str(&ex->req, &bucket);
    ngx_http_s3_wire_get_str(&ex->req, &key);
    ngx_http_s3_wire_get_str(&ex->req, &id);
    marker = ngx_http_s3_wire_get_u32(&ex->req);
    max = ngx_http_s3_wire_get_u32(&ex->req);

    if (ex->req.error || max == 0 || max > NGX_HTTP_S3_MAX_LIST_KEYS) {
        return NGX_HTTP_S3_WIRE_ST_BAD_REQUEST;
    }

    st = ngx_http_s3_srv_upload(ex, &bucket, &key, &id, &ukey, &rec);

    if (st != NGX_HTTP_S3_WIRE_ST_OK) {
        return st;
    }

    ngx_http_s3_wire_put_str(ex->out, &rec);
    ngx_http_s3_engine_free(&rec);

    /* the parts after the marker: "P<id>\0" and the number above it */

    if (ngx_http_s3_srv_part_key(ex, &k, &id, 0) != NGX_OK) {
        return NGX_HTTP_S3_WIRE_ST_ERROR;
    }

    prefix.data = k.data;
    prefix.len = k.len - 4;

    p = k.data + prefix.len;
    number = (marker < 0xffffffff) ? marker + 1 : marker;
    p[0] = (u_char) (number >> 24);
    p[1] = (u_char) (number >> 16);
    p[2] = (u_char) (number >> 8);
    p[3] = (u_char) number;

    at = ex->out->pos - ex->out->start;
    ngx_http_s3_wire_put_u8(ex->out, 0);
    ngx_http_s3_wire_put_u32(ex->out, 0);

    if (ex->out->error) {
        return NGX_HTTP_S3_WIRE_ST_ERROR;
    }

    n = 0;
    truncated = 0;

    it = ngx_http_s3_engine_iter();

    for (ngx_http_s3_iter_seek(it, k.data, k.len);
         ngx_http_s3_iter_valid(it);
         ngx_http_s3_iter_next(it))
    {
        ngx_http_s3_iter_key(it, &v);

        if (v.len != prefix.len + 4
            || ngx_memcmp(v.data, prefix.data, prefix.len) != 0)
        {
            break;
        }

        if (n == max) {
            truncated = 1;
            break;
        }

        number = ((uint32_t) v.data[prefix.len] << 24)
                 | ((uint32_t) v.data[prefix.len + 1] << 16)
                 | ((uint32_t) v.data[prefix.len + 2] << 8)
                 | v.data[prefix.len + 3];

        ngx_http_s3_iter_value(it, &v);

        ngx_http_s3_wire_put_u32(ex->out, number);
        ngx_http_s3_wire_put_str(ex->out, &v);
        n++;
    }

    if (!ngx_http_s3_iter_valid(it)
        && ngx_http_s3_iter_status(ex->log, it) != NGX_OK)
    {
        ngx_http_s3_iter_destroy(it);
        return NGX_HTTP_S3_WIRE_ST_ERROR;
    }

    ngx_http_s3_iter_destroy(it);

    if (ex->out->error) {
        return NGX_HTTP_S3_WIRE_ST_ERROR;
    }

    /* the buffer may have moved: the two fields by their offset */

    p = ex->out->start + at;
    p[0] = (u_char) truncated;
    p[1] = (u_char) (n >> 24);
    p[2] = (u_char) (n >> 16);
    p[3] = (u_char) (n >> 8);
    p[4] = (u_char) n;

    return NGX_HTTP_S3_WIRE_ST_OK;
}


/*
 * One page of uploads, by key then by upload id, with the same roll-up
 * into common prefixes as the object listing (one seek per prefix)
 */

ngx_uint_t
ngx_http_s3_op_upload_list(ngx_http_s3_exec_t *ex)
{
    u_char              *p, *d, *end;
    size_t               base_len, seek_len;
    uint32_t             max, n;
    ngx_int_t            c;
    ngx_str_t            bucket, prefix, delim, kmarker, imarker, base;
    ngx_str_t            k, v, name, id, empty;
    ngx_uint_t           st, truncated;
    ngx_http_s3_wbuf_t   entries;
    ngx_http_s3_iter_t  *it;

    ngx_http_s3_wire_get_str(&ex->req, &bucket);
    ngx_http_s3_wire_get_str(&ex->req, &prefix);
    ngx_http_s3_wire_get_str(&ex->req, &delim);
    ngx_http_s3_wire_get_str(&ex->req, &kmarker);
    ngx_http_s3_wire_get_str(&ex->req, &imarker);
    max = ngx_http_s3_wire_get_u32(&ex->req);

    if (ex->req.error || max == 0 || max > NGX_HTTP_S3_MAX_LIST_KEYS) {
        return NGX_HTTP_S3_WIRE_ST_BAD_REQUEST;
    }

    st = ngx_http_s3_srv_bucket_exists(ex, &bucket);

    if (st != NGX_HTTP_S3_WIRE_ST_OK) {
        return st;
    }

    ngx_str_set(&empty, "");

    if (ngx_http_s3_srv_key(ex, &base, 'U', &bucket, &empty) != NGX_OK
        || ngx_http_s3_wbuf_init(&entries, ex->pool, 4096) != NGX_OK)
    {
        return NGX_HTTP_S3_WIRE_ST_ERROR;
    }

    base_len = base.len;

    /* start at the larger of prefix and key marker */

    p = ngx_pnalloc(ex->pool, base_len + prefix.len + kmarker.len);
    if (p == NULL) {
        return NGX_HTTP_S3_WIRE_ST_ERROR;
    }

    ngx_memcpy(p, base.data, base_len);

    if (ngx_memn2cmp(kmarker.data, prefix.data, kmarker.len, prefix.len) > 0)
    {
        ngx_memcpy(p + base_len, kmarker.data, kmarker.len);
        seek_len = base_len + kmarker.len;

    } else {
        ngx_memcpy(p + base_len, prefix.data, prefix.len);
        seek_len = base_len + prefix.len;
    }

    truncated = 0;
    n = 0;

    it = ngx_http_s3_engine_iter();

    for (ngx_http_s3_iter_seek(it, p, seek_len);
         ngx_http_s3_iter_valid(it);
         /* void */)
    {
        ngx_http_s3_iter_key(it, &k);

        if (k.len < base_len + prefix.len
            || ngx_memcmp(k.data, base.data, base_len) != 0
            || ngx_memcmp(k.data + base_len, prefix.data, prefix.len) != 0)
        {
            break;
        }

        /* "<key>\0<upload id>" */

        if (k.len < base_len + 1 + NGX_HTTP_S3_BODY_ID_LEN
            || k.data[k.len - NGX_HTTP_S3_BODY_ID_LEN - 1] != '\0')
        {
            ngx_http_s3_iter_next(it);
            continue;
        }

        name.data = k.data + base_len;
        name.len = k.len - base_len - 1 - NGX_HTTP_S3_BODY_ID_LEN;
        id.data = k.data + k.len - NGX_HTTP_S3_BODY_ID_LEN;
        id.len = NGX_HTTP_S3_BODY_ID_LEN;

        if (name.len < prefix.len) {
            ngx_http_s3_iter_next(it);
            continue;
        }

        /* after the markers: a later key, or a later upload of the key */

        c = ngx_memn2cmp(name.data, kmarker.data, name.len, kmarker.len);

        if (c < 0
            || (c == 0
                && (imarker.len == 0
                    || ngx_memn2cmp(id.data, imarker.data, id.len,
                                    imarker.len)
                       <= 0)))
        {
            ngx_http_s3_iter_next(it);
            continue;
        }

        d = NULL;

        if (delim.len) {
            end = name.data + name.len - delim.len;

            for (p = name.data + prefix.len; p <= end; p++) {
                if (*p == delim.data[0]
                    && ngx_memcmp(p, delim.data, delim.len) == 0)
                {
                    d = p;
                    break;
                }
            }
        }

        if (d == NULL) {
            if (n == max) {
                truncated = 1;
                break;
            }

            ngx_http_s3_iter_value(it, &v);

            ngx_http_s3_wire_put_u8(&entries, NGX_HTTP_S3_WIRE_ENTRY_OBJECT);
            ngx_http_s3_wire_put_str(&entries, &name);
            ngx_http_s3_wire_put_str(&entries, &id);
            ngx_http_s3_wire_put_str(&entries, &v);

            n++;

            ngx_http_s3_iter_next(it);
            continue;
        }

        /* a common prefix: emit it unless the marker is past it */

        name.len = d + delim.len - name.data;

        if (ngx_memn2cmp(name.data, kmarker.data, name.len, kmarker.len) > 0)
        {
            if (n == max) {
                truncated = 1;
                break;
            }

            ngx_http_s3_wire_put_u8(&entries, NGX_HTTP_S3_WIRE_ENTRY_PREFIX);
            ngx_http_s3_wire_put_str(&entries, &name);

            n++;
        }

        /* then seek to the smallest key above every key with the prefix */

        p = ngx_pnalloc(ex->pool, base_len + name.len);
        if (p == NULL) {
            ngx_http_s3_iter_destroy(it);
            return NGX_HTTP_S3_WIRE_ST_ERROR;
        }

        ngx_memcpy(p, base.data, base_len);
        ngx_memcpy(p + base_len, name.data, name.len);

        seek_len = base_len + name.len;

        while (seek_len > base_len && p[seek_len - 1] == 0xff) {
            seek_len--;
        }

        if (seek_len == base_len) {
            break;
        }

        p[seek_len - 1]++;

        ngx_http_s3_iter_seek(it, p, seek_len);
    }

    if (!ngx_http_s3_iter_valid(it)
        && ngx_http_s3_iter_status(ex->log, it) != NGX_OK)
    {
        ngx_http_s3_iter_destroy(it);
        return NGX_HTTP_S3_WIRE_ST_ERROR;
    }

    ngx_http_s3_iter_destroy(it);

    if (entries.error) {
        return NGX_HTTP_S3_WIRE_ST_ERROR;
    }

    ngx_http_s3_wire_put_u8(ex->out, (uint8_t) truncated);
    ngx_http_s3_wire_put_u32(ex->out, n);
    ngx_http_s3_wire_put_raw(ex->out, entries.start,
                             entries.pos - entries.start);

    if (ex->out->error) {
        return NGX_HTTP_S3_WIRE_ST_ERROR;
    }

    return NGX_HTTP_S3_WIRE_ST_OK;
}


/*
 * Every upload of a bucket goes with it (S3 deletes a bucket that has
 * uploads in progress): their records and parts into the batch, their
 * bodies' references dropped
 */

ngx_int_t
ngx_http_s3_srv_drop_uploads(ngx_http_s3_exec_t *ex, ngx_str_t *bucket)
{
    ngx_int_t            rc;
    ngx_str_t            k, p, id, ukey, empty;
    ngx_array_t         *parts;
    ngx_http_s3_iter_t  *it;

    ngx_str_set(&empty, "");

    if (ngx_http_s3_srv_key(ex, &p, 'U', bucket, &empty) != NGX_OK) {
        return NGX_ERROR;
    }

    rc = NGX_OK;

    it = ngx_http_s3_engine_iter();

    for (ngx_http_s3_iter_seek(it, p.data, p.len);
         ngx_http_s3_iter_valid(it);
         ngx_http_s3_iter_next(it))
    {
        ngx_http_s3_iter_key(it, &k);

        if (k.len < p.len || ngx_memcmp(k.data, p.data, p.len) != 0) {
            break;
        }

        if (k.len < p.len + 1 + NGX_HTTP_S3_BODY_ID_LEN) {
            continue;
        }

        ukey.len = k.len;
        ukey.data = ngx_pstrdup(ex->pool, &k);
        if (ukey.data == NULL) {
            rc = NGX_ERROR;
            break;
        }

        id.data = ukey.data + ukey.len - NGX_HTTP_S3_BODY_ID_LEN;
        id.len = NGX_HTTP_S3_BODY_ID_LEN;

        if (ngx_http_s3_srv_parts(ex, &id, &parts) != NGX_OK
            || ngx_http_s3_srv_drop_upload(ex, &ukey, parts) != NGX_OK)
        {
            rc = NGX_ERROR;
            break;
        }
    }

    if (rc == NGX_OK
        && !ngx_http_s3_iter_valid(it)
        && ngx_http_s3_iter_status(ex->log, it) != NGX_OK)
    {
        rc = NGX_ERROR;
    }

    ngx_http_s3_iter_destroy(it);

    return rc;
}


/* an upload's record and its parts into the batch, their bodies unnamed */

ngx_int_t
ngx_http_s3_srv_drop_upload(ngx_http_s3_exec_t *ex, ngx_str_t *ukey,
    ngx_array_t *parts)
{
    u_char                  *z;
    ngx_str_t                bucket;
    ngx_uint_t               i;
    ngx_http_s3_object_t     part;
    ngx_http_s3_srv_part_t  *hp;

    /* "U<bucket>\0<key>\0<upload id>" */

    z = ngx_strlchr(ukey->data + 1, ukey->data + ukey->len, '\0');

    if (z == NULL) {
        return NGX_ERROR;
    }

    bucket.data = ukey->data + 1;
    bucket.len = z - bucket.data;

    hp = parts->elts;

    for (i = 0; i < parts->nelts; i++) {
        if (ngx_http_s3_object_decode(&hp[i].rec, &part, ex->pool)
            != NGX_OK)
        {
            ngx_log_error(NGX_LOG_ERR, ex->log, 0,
                          "s3 metadata: a stored part record does not "
                          "decode, its body is left as it is");

        } else if (ngx_http_s3_srv_ref_object(ex, &part, -1) != NGX_OK
                   || ngx_http_s3_srv_usage(ex, &bucket,
                                            NGX_HTTP_S3_USAGE_PARTS,
                                            part.size, -1)
                      != NGX_OK)
        {
            return NGX_ERROR;
        }

        ngx_http_s3_batch_delete(ex->batch, &hp[i].key);
    }

    ngx_http_s3_batch_delete(ex->batch, ukey);

    return NGX_OK;
}


/*
 * The upload record of bucket/key/id (free it with engine_free):
 * NGX_HTTP_S3_WIRE_ST_OK, _NO_UPLOAD (also for an id that is not one),
 * _NO_BUCKET or _ERROR
 */

ngx_uint_t
ngx_http_s3_srv_upload(ngx_http_s3_exec_t *ex, ngx_str_t *bucket,
    ngx_str_t *key, ngx_str_t *id, ngx_str_t *ukey, ngx_str_t *rec)
{
    ngx_int_t   rc;
    ngx_uint_t  st;

    if (!ngx_http_s3_valid_body_id(id)) {
        st = ngx_http_s3_srv_bucket_exists(ex, bucket);
        return (st == NGX_HTTP_S3_WIRE_ST_OK) ? NGX_HTTP_S3_WIRE_ST_NO_UPLOAD
                                              : st;
    }

    if (ngx_http_s3_srv_upload_key(ex, ukey, bucket, key, id) != NGX_OK) {
        return NGX_HTTP_S3_WIRE_ST_ERROR;
    }

    rc = ngx_http_s3_engine_get(ex->log, ukey, rec);

    if (rc == NGX_OK) {
        return NGX_HTTP_S3_WIRE_ST_OK;
    }

    if (rc == NGX_ERROR) {
        return NGX_HTTP_S3_WIRE_ST_ERROR;
    }

    st = ngx_http_s3_srv_bucket_exists(ex, bucket);

    return (st == NGX_HTTP_S3_WIRE_ST_OK) ? NGX_HTTP_S3_WIRE_ST_NO_UPLOAD : st;
}


/* "U<bucket>\0<key>\0<upload id>" */

static ngx_int_t
ngx_http_s3_srv_upload_key(ngx_http_s3_exec_t *ex, ngx_str_t *out,
    ngx_str_t *bucket, ngx_str_t *key, ngx_str_t *id)
{
    u_char  *p;

    out->len = 1 + bucket->len + 1 + key->len + 1 + id->len;

    p = ngx_pnalloc(ex->pool, out->len);
    if (p == NULL) {
        return NGX_ERROR;
    }

    out->data = p;

    *p++ = 'U';
    p = ngx_cpymem(p, bucket->data, bucket->len);
    *p++ = '\0';
    p = ngx_cpymem(p, key->data, key->len);
    *p++ = '\0';
    ngx_memcpy(p, id->data, id->len);

    return NGX_OK;
}


/* "P<upload id>\0<u32 part number>" */

ngx_int_t
ngx_http_s3_srv_part_key(ngx_http_s3_exec_t *ex, ngx_str_t *out,
    ngx_str_t *id, uint32_t number)
{
    u_char  *p;

    out->len = 1 + id->len + 1 + 4;

    p = ngx_pnalloc(ex->pool, out->len);
    if (p == NULL) {
        return NGX_ERROR;
    }

    out->data = p;

    *p++ = 'P';
    p = ngx_cpymem(p, id->data, id->len);
    *p++ = '\0';
    *p++ = (u_char) (number >> 24);
    *p++ = (u_char) (number >> 16);
    *p++ = (u_char) (number >> 8);
    *p = (u_char) number;

    return NGX_OK;
}


/* every part of an upload, ascending, keys and records copied */

ngx_int_t
ngx_http_s3_srv_parts(ngx_http_s3_exec_t *ex, ngx_str_t *id,
    ngx_array_t **parts)
{
    ngx_int_t                rc;
    ngx_str_t                k, v, prefix;
    ngx_array_t             *a;
    ngx_http_s3_iter_t      *it;
    ngx_http_s3_srv_part_t  *hp;

    a = ngx_array_create(ex->pool, 16, sizeof(ngx_http_s3_srv_part_t));
    if (a == NULL) {
        return NGX_ERROR;
    }

    if (ngx_http_s3_srv_part_key(ex, &prefix, id, 0) != NGX_OK) {
        return NGX_ERROR;
    }

    prefix.len -= 4;
    rc = NGX_OK;

    it = ngx_http_s3_engine_iter();

    for (ngx_http_s3_iter_seek(it, prefix.data, prefix.len);
         ngx_http_s3_iter_valid(it);
         ngx_http_s3_iter_next(it))
    {
        ngx_http_s3_iter_key(it, &k);

        if (k.len != prefix.len + 4
            || ngx_memcmp(k.data, prefix.data, prefix.len) != 0)
        {
            break;
        }

        ngx_http_s3_iter_value(it, &v);

        hp = ngx_array_push(a);
        if (hp == NULL) {
            rc = NGX_ERROR;
            break;
        }

        hp->number = ((uint32_t) k.data[prefix.len] << 24)
                     | ((uint32_t) k.data[prefix.len + 1] << 16)
                     | ((uint32_t) k.data[prefix.len + 2] << 8)
                     | k.data[prefix.len + 3];

        hp->key.len = k.len;
        hp->key.data = ngx_pstrdup(ex->pool, &k);
        hp->rec.len = v.len;
        hp->rec.data = ngx_pstrdup(ex->pool, &v);

        if (hp->key.data == NULL || (v.len && hp->rec.data == NULL)) {
            rc = NGX_ERROR;
            break;
        }
    }

    if (rc == NGX_OK
        && !ngx_http_s3_iter_valid(it)
        && ngx_http_s3_iter_status(ex->log, it) != NGX_OK)
    {
        rc = NGX_ERROR;
    }

    ngx_http_s3_iter_destroy(it);

    *parts = a;

    return rc;
}


/* 32 hex characters: 16 bytes */

static ngx_int_t
ngx_http_s3_srv_hex16(ngx_str_t *hex, u_char *out)
{
    ngx_int_t   v;
    ngx_uint_t  i;

    if (hex->len != 32) {
        return NGX_ERROR;
    }

    for (i = 0; i < 16; i++) {
        v = ngx_hextoi(hex->data + 2 * i, 2);

        if (v == NGX_ERROR) {
            return NGX_ERROR;
        }

        out[i] = (u_char) v;
    }

    return NGX_OK;
}
