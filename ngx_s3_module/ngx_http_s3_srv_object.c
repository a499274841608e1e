
/*
 * Copyright (C) ngx_s3 authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_s3.h"
#include "ngx_http_s3_srv.h"


/* the metadata side of PutObject, GetObject/HeadObject, DeleteObject */


ngx_uint_t
ngx_http_s3_op_object_put(ngx_http_s3_exec_t *ex)
{
    ngx_int_t                 rc;
    ngx_str_t                 bucket, key, rec, done, empty, data;
    ngx_uint_t                st, lock;
    ngx_http_s3_object_t      o, prev;
    ngx_http_s3_srv_obj_t     obj;
    ngx_http_s3_write_cond_t  wc;

    ngx_http_s3_wire_get_str(&ex->req, &bucket);
    ngx_http_s3_wire_get_str(&ex->req, &key);
    ngx_http_s3_wire_get_str(&ex->req, &rec);
    ngx_http_s3_wire_get_cond(&ex->req, &wc);
    ngx_str_null(&data);

    if (ex->req.pos < ex->req.last) {
        ngx_http_s3_wire_get_str(&ex->req, &data);
    }

    if (ex->req.error
        || ngx_http_s3_object_decode(&rec, &o, ex->pool) != NGX_OK)
    {
        return NGX_HTTP_S3_WIRE_ST_BAD_REQUEST;
    }

    /* an inline body: its bytes came with the record, exactly */

    if ((o.flags & NGX_HTTP_S3_OBJECT_INLINE)
        ? (data.data == NULL || data.len != o.size || o.extents)
        : (data.data != NULL))
    {
        return NGX_HTTP_S3_WIRE_ST_BAD_REQUEST;
    }

    /*
     * From here on the worker keeps the body file when the answer is
     * ST_ERROR, and the body is in doubt until a read shows that no
     * record names it (a failed commit puts it in doubt itself).
     */

    st = ngx_http_s3_srv_obj_open(ex, &bucket, &key, &obj);

    /* object lock: the bucket's flags, the request's or default retention */

    if (st == NGX_HTTP_S3_WIRE_ST_OK) {
        st = ngx_http_s3_srv_lock_bucket(ex, &bucket, &lock);
    }

    if (st == NGX_HTTP_S3_WIRE_ST_OK) {
        st = ngx_http_s3_srv_lock_new(ex, &bucket, lock, &o, NULL);
    }

    if (st != NGX_HTTP_S3_WIRE_ST_OK) {
        if (st == NGX_HTTP_S3_WIRE_ST_ERROR) {
            ngx_http_s3_srv_doubt_body(ex, &o.body, 0);
        }

        return st;
    }

    /* a replay: this very body is committed already */

    rc = ngx_http_s3_srv_obj_replay(ex, &obj, &o.body, &done);

    if (rc == NGX_ERROR) {
        ngx_http_s3_srv_doubt_body(ex, &o.body, 0);
        return NGX_HTTP_S3_WIRE_ST_ERROR;
    }

    if (rc == NGX_OK) {
        ngx_str_null(&empty);

        if (done.len == 0
            || ngx_http_s3_object_decode(&done, &prev, NULL) != NGX_OK
            || prev.seq == 0)
        {
            ngx_http_s3_wire_put_str(ex->out, &empty);

        } else {
            ngx_http_s3_wire_put_str(ex->out, &prev.version);
        }

        return NGX_HTTP_S3_WIRE_ST_OK;
    }

    /* the conditions are about the current version */

    st = ngx_http_s3_write_cond_check(&wc, obj.has_cur ? &obj.cur.etag
                                                       : NULL);

    /*
     * a locked version is not replaced in place (with versioning a write
     * makes a new version instead)
     */

    if (st == NGX_HTTP_S3_WIRE_ST_OK && lock && obj.has_cur
        && obj.versioning == NGX_HTTP_S3_VERSIONING_OFF
        && ngx_http_s3_srv_lock_refuses(ex, &obj.cur, 0))
    {
        st = NGX_HTTP_S3_WIRE_ST_LOCKED;
    }

    if (st != NGX_HTTP_S3_WIRE_ST_OK) {
        return st;
    }

    if (ngx_http_s3_srv_obj_put(ex, &obj, &o, &rec) != NGX_OK
        || ((o.flags & NGX_HTTP_S3_OBJECT_INLINE)
            && ngx_http_s3_srv_inline_put(ex, &o.body, &data) != NGX_OK))
    {
        ngx_http_s3_srv_doubt_body(ex, &o.body, 0);
        return NGX_HTTP_S3_WIRE_ST_ERROR;
    }

    /* the bucket's quota, with what this write adds */

    st = ngx_http_s3_srv_usage_check(ex);

    if (st != NGX_HTTP_S3_WIRE_ST_OK) {
        if (st == NGX_HTTP_S3_WIRE_ST_ERROR) {
            ngx_http_s3_srv_doubt_body(ex, &o.body, 0);
        }

        return st;
    }

    if (ngx_http_s3_srv_commit(ex, "PutObject") != NGX_OK) {
        return NGX_HTTP_S3_WIRE_ST_ERROR;
    }

    if (o.seq == 0) {
        ngx_str_null(&o.version);
    }

    ngx_http_s3_wire_put_str(ex->out, &o.version);

    return NGX_HTTP_S3_WIRE_ST_OK;
}


ngx_uint_t
ngx_http_s3_op_object_get(ngx_http_s3_exec_t *ex)
{
    ngx_int_t              rc;
    ngx_str_t              bucket, key, vid, k, v;
    ngx_uint_t             st;
    ngx_http_s3_srv_obj_t  obj;

    ngx_http_s3_wire_get_str(&ex->req, &bucket);
    ngx_http_s3_wire_get_str(&ex->req, &key);
    ngx_str_null(&vid);

    if (ex->req.pos < ex->req.last) {
        ngx_http_s3_wire_get_str(&ex->req, &vid);
    }

    if (ex->req.error) {
        return NGX_HTTP_S3_WIRE_ST_BAD_REQUEST;
    }

    if (vid.len == 0) {

        /* the current version: one read */

        if (ngx_http_s3_srv_key(ex, &k, 'O', &bucket, &key) != NGX_OK) {
            return NGX_HTTP_S3_WIRE_ST_ERROR;
        }

        rc = ngx_http_s3_engine_get(ex->log, &k, &v);

        if (rc == NGX_OK) {
            st = ngx_http_s3_srv_inline_reply(ex, &v);
            ngx_http_s3_engine_free(&v);
            return st;
        }

        if (rc == NGX_ERROR) {
            return NGX_HTTP_S3_WIRE_ST_ERROR;
        }
    }

    /* a miss: is it the key or the bucket, is the latest a marker */

    st = ngx_http_s3_srv_obj_open(ex, &bucket, &key, &obj);

    if (st != NGX_HTTP_S3_WIRE_ST_OK) {
        return st;
    }

    if (vid.len) {
        st = ngx_http_s3_srv_obj_find(ex, &obj, &vid, &k, &v);

        if (st == NGX_HTTP_S3_WIRE_ST_OK) {
            st = ngx_http_s3_srv_inline_reply(ex, &v);
        }

        return st;
    }

    if (obj.has_cur) {
        /* written since the read above */
        return ngx_http_s3_srv_inline_reply(ex, &obj.orec);
    }

    if (ngx_http_s3_srv_obj_marker(ex, &obj, &v) != NGX_OK) {
        return NGX_HTTP_S3_WIRE_ST_ERROR;
    }

    if (v.len) {
        ngx_http_s3_wire_put_str(ex->out, &v);
    }

    return NGX_HTTP_S3_WIRE_ST_NO_KEY;
}


ngx_uint_t
ngx_http_s3_op_object_delete(ngx_http_s3_exec_t *ex)
{
    uint64_t               mtime;
    ngx_int_t              rc;
    ngx_str_t              bucket, key, vid, owner, rid, rec, k;
    ngx_uint_t             st, flags;
    ngx_http_s3_object_t   o;
    ngx_http_s3_srv_obj_t  obj;

    ngx_http_s3_wire_get_str(&ex->req, &bucket);
    ngx_http_s3_wire_get_str(&ex->req, &key);
    ngx_str_null(&vid);
    ngx_str_null(&owner);
    ngx_str_null(&rid);
    mtime = 0;
    flags = 0;

    /* optional: the bypass of a governance retention, then the version */

    if (ex->req.pos < ex->req.last) {
        flags = ngx_http_s3_wire_get_u8(&ex->req);
    }

    if (ex->req.pos < ex->req.last) {
        ngx_http_s3_wire_get_str(&ex->req, &vid);
        mtime = ngx_http_s3_wire_get_u64(&ex->req);
        ngx_http_s3_wire_get_str(&ex->req, &owner);
        ngx_http_s3_wire_get_str(&ex->req, &rid);
    }

    if (ex->req.error) {
        return NGX_HTTP_S3_WIRE_ST_BAD_REQUEST;
    }

    st = ngx_http_s3_srv_obj_open(ex, &bucket, &key, &obj);

    if (st != NGX_HTTP_S3_WIRE_ST_OK) {
        return st;
    }

    /* a locked version stays (a delete marker may always be added) */

    if (vid.len) {
        st = ngx_http_s3_srv_obj_find(ex, &obj, &vid, &k, &rec);

        if (st == NGX_HTTP_S3_WIRE_ST_OK
            && ngx_http_s3_object_decode(&rec, &o, NULL) == NGX_OK
            && ngx_http_s3_srv_lock_refuses(ex, &o,
                                   flags & NGX_HTTP_S3_WIRE_PATCH_BYPASS))
        {
            return NGX_HTTP_S3_WIRE_ST_LOCKED;
        }

    } else if (obj.has_cur && obj.versioning == NGX_HTTP_S3_VERSIONING_OFF
               && ngx_http_s3_srv_lock_refuses(ex, &obj.cur,
                                   flags & NGX_HTTP_S3_WIRE_PATCH_BYPASS))
    {
        return NGX_HTTP_S3_WIRE_ST_LOCKED;
    }

    if (vid.len) {
        st = ngx_http_s3_srv_obj_delete_version(ex, &obj, &vid, &rec);

        if (st != NGX_HTTP_S3_WIRE_ST_OK) {
            return st;
        }

    } else {
        rc = ngx_http_s3_srv_obj_delete(ex, &obj, mtime, &owner, &rid,
                                        &rec);

        if (rc == NGX_ERROR) {
            return NGX_HTTP_S3_WIRE_ST_ERROR;
        }
    }

    if (ngx_http_s3_srv_commit(ex, "DeleteObject") != NGX_OK) {
        return NGX_HTTP_S3_WIRE_ST_ERROR;
    }

    if (rec.len == 0 || ngx_http_s3_object_decode(&rec, &o, NULL) != NGX_OK)
    {
        ngx_memzero(&o, sizeof(ngx_http_s3_object_t));
    }

    if (vid.len) {
        o.version = vid;

    } else if (o.seq == 0) {
        ngx_str_null(&o.version);
    }

    ngx_http_s3_wire_put_u8(ex->out,
                            (o.flags & NGX_HTTP_S3_OBJECT_DELETE_MARKER)
                            ? 1 : 0);
    ngx_http_s3_wire_put_str(ex->out, &o.version);

    return NGX_HTTP_S3_WIRE_ST_OK;
}
