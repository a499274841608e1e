
/*
 * Copyright (C) ngx_s3 authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_s3.h"
#include "ngx_http_s3_srv.h"
#include "ngx_http_s3_tags.h"


/*
 * OBJECT_PATCH: fields of one stored object version changed in place
 * (tags; retention and legal hold).  The fields a patch may carry are
 * those of the checker table; a checker sees the field's current value
 * and the new one, and answers WIRE_ST_OK or the status that refuses
 * the change.  Load, checks, merge and write are one step of the
 * metadata process: two patches never interleave.
 */


typedef ngx_uint_t (*ngx_http_s3_patch_check_pt)(ngx_http_s3_exec_t *ex,
    ngx_http_s3_patch_t *p, ngx_str_t *old, ngx_str_t *value);

typedef struct {
    uint8_t                       tag;
    ngx_http_s3_patch_check_pt    check;
} ngx_http_s3_patch_field_t;


static ngx_uint_t ngx_http_s3_patch_check_tags(ngx_http_s3_exec_t *ex,
    ngx_http_s3_patch_t *p, ngx_str_t *old, ngx_str_t *value);
static ngx_uint_t ngx_http_s3_patch_check_removal(ngx_http_s3_exec_t *ex,
    ngx_http_s3_patch_t *p, ngx_str_t *old, ngx_str_t *value);
static ngx_http_s3_patch_field_t *ngx_http_s3_patch_field(uint8_t tag);


static ngx_http_s3_patch_field_t  ngx_http_s3_patch_fields[] = {
    { NGX_HTTP_S3_FIELD_TAGS, ngx_http_s3_patch_check_tags },
    { NGX_HTTP_S3_FIELD_TAGGING, ngx_http_s3_patch_check_removal },
    /* object lock (ngx_http_s3_srv_lock.c) */
    { NGX_HTTP_S3_FIELD_LOCK_MODE, ngx_http_s3_srv_lock_check_retention },
    { NGX_HTTP_S3_FIELD_LOCK_UNTIL, ngx_http_s3_srv_lock_check_retention },
    { NGX_HTTP_S3_FIELD_LEGAL_HOLD, ngx_http_s3_srv_lock_check_legal_hold },
    { 0, NULL }
};


ngx_uint_t
ngx_http_s3_op_object_patch(ngx_http_s3_exec_t *ex)
{
    uint8_t                     tag;
    ngx_str_t                   v, old, rec;
    ngx_uint_t                  st, changed;
    ngx_http_s3_rbuf_t          pb;
    ngx_http_s3_wbuf_t          b;
    ngx_http_s3_patch_t         p;
    ngx_http_s3_patch_field_t  *f;

    ngx_memzero(&p, sizeof(ngx_http_s3_patch_t));

    ngx_http_s3_wire_get_str(&ex->req, &p.bucket);
    ngx_http_s3_wire_get_str(&ex->req, &p.key);
    ngx_http_s3_wire_get_str(&ex->req, &p.version);
    p.flags = ngx_http_s3_wire_get_u8(&ex->req);
    ngx_http_s3_wire_get_str(&ex->req, &p.patch);

    if (ex->req.error || p.bucket.len == 0 || p.patch.len == 0) {
        return NGX_HTTP_S3_WIRE_ST_BAD_REQUEST;
    }

    /* only the fields of the table, each once (the merge checks that) */

    ngx_http_s3_rbuf_init(&pb, &p.patch);

    while (pb.pos < pb.last) {
        tag = ngx_http_s3_wire_get_u8(&pb);
        ngx_http_s3_wire_get_str(&pb, &v);

        if (pb.error || ngx_http_s3_patch_field(tag) == NULL) {
            return NGX_HTTP_S3_WIRE_ST_BAD_REQUEST;
        }
    }

    st = ngx_http_s3_srv_object_load(ex, &p.bucket, &p.key, &p.version,
                                     &p.dbkey, &p.rec);

    if (st != NGX_HTTP_S3_WIRE_ST_OK) {
        return st;
    }

    /* the checks of the fields whose value changes */

    changed = 0;

    ngx_http_s3_rbuf_init(&pb, &p.patch);

    while (pb.pos < pb.last) {
        tag = ngx_http_s3_wire_get_u8(&pb);
        ngx_http_s3_wire_get_str(&pb, &v);

        switch (ngx_http_s3_record_field(&p.rec, tag, &old)) {

        case NGX_OK:
            break;

        case NGX_DECLINED:
            ngx_str_null(&old);
            break;

        default:
            return NGX_HTTP_S3_WIRE_ST_ERROR;
        }

        if (old.len == v.len
            && (v.len == 0 || ngx_memcmp(old.data, v.data, v.len) == 0))
        {
            continue;
        }

        f = ngx_http_s3_patch_field(tag);

        st = f->check(ex, &p, old.len ? &old : NULL, &v);

        if (st != NGX_HTTP_S3_WIRE_ST_OK) {
            return st;
        }

        changed = 1;
    }

    if (!changed) {
        /* as it is already: a replay, or a patch to the same values */
        ngx_http_s3_wire_put_raw(ex->out, p.rec.data, p.rec.len);
        return ex->out->error ? NGX_HTTP_S3_WIRE_ST_ERROR
                              : NGX_HTTP_S3_WIRE_ST_OK;
    }

    if (ngx_http_s3_wbuf_init(&b, ex->pool, p.rec.len + p.patch.len)
        != NGX_OK)
    {
        return NGX_HTTP_S3_WIRE_ST_ERROR;
    }

    if (ngx_http_s3_record_patch(&b, &p.rec, &p.patch) != NGX_OK) {
        return b.error ? NGX_HTTP_S3_WIRE_ST_ERROR
                       : NGX_HTTP_S3_WIRE_ST_BAD_REQUEST;
    }

    rec.data = b.start;
    rec.len = b.pos - b.start;

    st = ngx_http_s3_srv_object_rewrite(ex, &p.dbkey, &rec, "PatchObject");

    if (st != NGX_HTTP_S3_WIRE_ST_OK) {
        return st;
    }

    ngx_http_s3_wire_put_raw(ex->out, rec.data, rec.len);

    return ex->out->error ? NGX_HTTP_S3_WIRE_ST_ERROR
                          : NGX_HTTP_S3_WIRE_ST_OK;
}


/*
 * The record of (bucket, key, version) and where it is stored: a "V"
 * record, or the "O" record of a write from before versioning
 * (ngx_http_s3_srv_version.c).  A delete marker is NO_KEY.
 */

ngx_uint_t
ngx_http_s3_srv_object_load(ngx_http_s3_exec_t *ex, ngx_str_t *bucket,
    ngx_str_t *key, ngx_str_t *version, ngx_str_t *dbkey, ngx_str_t *rec)
{
    return ngx_http_s3_srv_obj_load(ex, bucket, key, version, dbkey, rec);
}


/*
 * the record of a version rewritten, its bodies the same: its "V" record
 * and, when it is the current version, its "O" record
 */

ngx_uint_t
ngx_http_s3_srv_object_rewrite(ngx_http_s3_exec_t *ex, ngx_str_t *dbkey,
    ngx_str_t *rec, const char *what)
{
    if (ngx_http_s3_srv_obj_rewrite(ex, dbkey, rec) != NGX_OK
        || ngx_http_s3_srv_commit(ex, what) != NGX_OK)
    {
        return NGX_HTTP_S3_WIRE_ST_ERROR;
    }

    return NGX_HTTP_S3_WIRE_ST_OK;
}


static ngx_http_s3_patch_field_t *
ngx_http_s3_patch_field(uint8_t tag)
{
    ngx_http_s3_patch_field_t  *f;

    for (f = ngx_http_s3_patch_fields; f->check; f++) {
        if (f->tag == tag) {
            return f;
        }
    }

    return NULL;
}


/* a tag set: pairs, within the limits of an object's tags */

static ngx_uint_t
ngx_http_s3_patch_check_tags(ngx_http_s3_exec_t *ex, ngx_http_s3_patch_t *p,
    ngx_str_t *old, ngx_str_t *value)
{
    ngx_array_t  *tags;

    if (value->len == 0) {
        return NGX_HTTP_S3_WIRE_ST_OK;
    }

    if (ngx_http_s3_pairs_decode(value, &tags, ex->pool) != NGX_OK
        || ngx_http_s3_tags_check(tags, NGX_HTTP_S3_TAGS_OBJECT_MAX, NULL)
           != NGX_OK)
    {
        return NGX_HTTP_S3_WIRE_ST_BAD_REQUEST;
    }

    return NGX_HTTP_S3_WIRE_ST_OK;
}


/* a field that is only ever removed (x-amz-tagging as older records hold) */

static ngx_uint_t
ngx_http_s3_patch_check_removal(ngx_http_s3_exec_t *ex,
    ngx_http_s3_patch_t *p, ngx_str_t *old, ngx_str_t *value)
{
    return value->len ? NGX_HTTP_S3_WIRE_ST_BAD_REQUEST
                      : NGX_HTTP_S3_WIRE_ST_OK;
}
