
/*
 * Copyright (C) ngx_s3 authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_s3.h"
#include "ngx_http_s3_srv.h"


/*
 * One page of a listing.  The cost is the page: a run of keys that rolls
 * up into one common prefix is skipped with a single seek past the
 * prefix, not walked.
 */

ngx_uint_t
ngx_http_s3_op_list(ngx_http_s3_exec_t *ex)
{
    u_char              *p, *d, *end;
    size_t               base_len, seek_len, last_at;
    uint32_t             max, n;
    ngx_str_t            bucket, prefix, delim, marker, base, k, v, name;
    ngx_str_t            last, empty;
    ngx_uint_t           st, truncated;
    ngx_http_s3_wbuf_t   entries;
    ngx_http_s3_iter_t  *it;

    ngx_http_s3_wire_get_str(&ex->req, &bucket);
    ngx_http_s3_wire_get_str(&ex->req, &prefix);
    ngx_http_s3_wire_get_str(&ex->req, &delim);
    ngx_http_s3_wire_get_str(&ex->req, &marker);
    max = ngx_http_s3_wire_get_u32(&ex->req);

    if (ex->req.error || max == 0 || max > NGX_HTTP_S3_MAX_LIST_KEYS) {
        return NGX_HTTP_S3_WIRE_ST_BAD_REQUEST;
    }

    st = ngx_http_s3_srv_bucket_exists(ex, &bucket);

    if (st != NGX_HTTP_S3_WIRE_ST_OK) {
        return st;
    }

    ngx_str_set(&empty, "");

    if (ngx_http_s3_srv_key(ex, &base, 'O', &bucket, &empty) != NGX_OK
        || ngx_http_s3_wbuf_init(&entries, ex->pool, 4096) != NGX_OK)
    {
        return NGX_HTTP_S3_WIRE_ST_ERROR;
    }

    base_len = base.len;

    /* start at the larger of prefix and marker */

    p = ngx_pnalloc(ex->pool, base_len + prefix.len + marker.len);
    if (p == NULL) {
        return NGX_HTTP_S3_WIRE_ST_ERROR;
    }

    ngx_memcpy(p, base.data, base_len);

    if (ngx_memn2cmp(marker.data, prefix.data, marker.len, prefix.len) > 0) {
        ngx_memcpy(p + base_len, marker.data, marker.len);
        seek_len = base_len + marker.len;

    } else {
        ngx_memcpy(p + base_len, prefix.data, prefix.len);
        seek_len = base_len + prefix.len;
    }

    truncated = 0;
    n = 0;
    last_at = 0;
    last.len = 0;
    last.data = NULL;

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

        name.data = k.data + base_len;
        name.len = k.len - base_len;

        if (ngx_memn2cmp(name.data, marker.data, name.len, marker.len) <= 0) {
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
            last_at = entries.pos - entries.start + 4;
            last.len = name.len;
            ngx_http_s3_wire_put_str(&entries, &name);

            /* without the extents and parts of a multipart object */
            ngx_http_s3_object_put_listed(&entries, &v);

            n++;

            ngx_http_s3_iter_next(it);
            continue;
        }

        /* a common prefix: emit it unless the marker is past it */

        name.len = d + delim.len - name.data;

        if (ngx_memn2cmp(name.data, marker.data, name.len, marker.len) > 0) {

            if (n == max) {
                truncated = 1;
                break;
            }

            ngx_http_s3_wire_put_u8(&entries, NGX_HTTP_S3_WIRE_ENTRY_PREFIX);
            last_at = entries.pos - entries.start + 4;
            last.len = name.len;
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

    /* a listing that stopped on a failed read is not a short page */

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

    /* the next marker is the last name, as copied into the entries */

    last.data = entries.start + last_at;

    ngx_http_s3_wire_put_u8(ex->out, (uint8_t) truncated);
    ngx_http_s3_wire_put_str(ex->out, &last);
    ngx_http_s3_wire_put_u32(ex->out, n);
    ngx_http_s3_wire_put_raw(ex->out, entries.start,
                             entries.pos - entries.start);

    if (ex->out->error) {
        return NGX_HTTP_S3_WIRE_ST_ERROR;
    }

    return NGX_HTTP_S3_WIRE_ST_OK;
}


/*
 * One page of ListObjectVersions: the "V" records of the bucket merged
 * with the "O" records that have none (written while the bucket was
 * unversioned: each is the key's only version), by key, each key's
 * versions newest first.  Both walks read only what the page covers, and
 * a common prefix is one seek of each past it.
 */

typedef struct {
    ngx_http_s3_iter_t        *it;
    ngx_str_t                  base;       /* "V<bucket>\0" or "O..." */
    ngx_str_t                  prefix;
    ngx_str_t                  key;        /* of the current entry */
    uint64_t                   seq;
    ngx_uint_t                 valid;
    ngx_uint_t                 pending;    /* "O": stopped past the bound,
                                              to be settled again */
} ngx_http_s3_vwalk_t;


static void ngx_http_s3_vwalk_settle(ngx_http_s3_exec_t *ex,
    ngx_http_s3_vwalk_t *w, ngx_uint_t versions, ngx_str_t *bound);
static ngx_int_t ngx_http_s3_vwalk_seek(ngx_http_s3_exec_t *ex,
    ngx_http_s3_vwalk_t *w, ngx_str_t *name, ngx_uint_t past,
    ngx_uint_t versions, ngx_str_t *bound);


/*
 * On the next entry of the walk.  An "O" walk skips versioned records
 * (listed from "V") and goes no further than the key bound (the "V"
 * walk's, NULL: none): in a versioned bucket every "O" record is skipped,
 * and a walk past the page would read the rest of the bucket.
 */

static void
ngx_http_s3_vwalk_settle(ngx_http_s3_exec_t *ex, ngx_http_s3_vwalk_t *w,
    ngx_uint_t versions, ngx_str_t *bound)
{
    ngx_str_t             k, v;
    ngx_http_s3_object_t  o;

    w->valid = 0;
    w->pending = 0;

    for ( /* void */ ; ngx_http_s3_iter_valid(w->it);
         ngx_http_s3_iter_next(w->it))
    {
        ngx_http_s3_iter_key(w->it, &k);

        if (k.len < w->base.len + w->prefix.len
            || ngx_memcmp(k.data, w->base.data, w->base.len) != 0
            || ngx_memcmp(k.data + w->base.len, w->prefix.data,
                          w->prefix.len)
               != 0)
        {
            return;
        }

        if (versions) {
            if (ngx_http_s3_version_key_parse(&k, w->base.len, &w->key,
                                              &w->seq)
                != NGX_OK)
            {
                continue;
            }

        } else {
            w->key.data = k.data + w->base.len;
            w->key.len = k.len - w->base.len;
            w->seq = 0;

            if (bound
                && ngx_memn2cmp(w->key.data, bound->data, w->key.len,
                                bound->len)
                   > 0)
            {
                w->pending = 1;
                return;
            }

            ngx_http_s3_iter_value(w->it, &v);

            if (ngx_http_s3_object_decode(&v, &o, NULL) == NGX_OK
                && o.seq)
            {
                /* listed from its "V" record */
                continue;
            }
        }

        w->valid = 1;
        return;
    }
}


/*
 * to name (past: to the first key after every key starting with name)
 * and settle
 */

static ngx_int_t
ngx_http_s3_vwalk_seek(ngx_http_s3_exec_t *ex, ngx_http_s3_vwalk_t *w,
    ngx_str_t *name, ngx_uint_t past, ngx_uint_t versions, ngx_str_t *bound)
{
    u_char  *p;
    size_t   len;

    p = ngx_pnalloc(ex->pool, w->base.len + name->len + 1);
    if (p == NULL) {
        return NGX_ERROR;
    }

    ngx_memcpy(p, w->base.data, w->base.len);
    ngx_memcpy(p + w->base.len, name->data, name->len);
    len = w->base.len + name->len;

    if (past) {
        while (len > w->base.len && p[len - 1] == 0xff) {
            len--;
        }

        if (len == w->base.len) {
            /* nothing is past it */
            w->valid = 0;
            w->pending = 0;
            ngx_http_s3_iter_seek(w->it, (u_char *) "\xff\xff", 2);
            return NGX_OK;
        }

        p[len - 1]++;
    }

    ngx_http_s3_iter_seek(w->it, p, len);
    ngx_http_s3_vwalk_settle(ex, w, versions, bound);

    return NGX_OK;
}


ngx_uint_t
ngx_http_s3_op_version_list(ngx_http_s3_exec_t *ex)
{
    u_char               *p, *d, *end;
    uint32_t              max, n;
    uint64_t              mseq;
    ngx_str_t             bucket, prefix, delim, kmarker, vmarker, empty;
    ngx_str_t             name, v, cur, k, last_key, last_vid, vid;
    ngx_uint_t            st, truncated, latest, i, from_v;
    ngx_http_s3_wbuf_t    entries;
    ngx_http_s3_vwalk_t   w[2], *e;
    ngx_http_s3_object_t  o;

    ngx_http_s3_wire_get_str(&ex->req, &bucket);
    ngx_http_s3_wire_get_str(&ex->req, &prefix);
    ngx_http_s3_wire_get_str(&ex->req, &delim);
    ngx_http_s3_wire_get_str(&ex->req, &kmarker);
    ngx_http_s3_wire_get_str(&ex->req, &vmarker);
    max = ngx_http_s3_wire_get_u32(&ex->req);

    if (ex->req.error || max == 0 || max > NGX_HTTP_S3_MAX_LIST_KEYS
        || (vmarker.len && ngx_http_s3_version_parse(&vmarker, &mseq)
                           != NGX_OK))
    {
        return NGX_HTTP_S3_WIRE_ST_BAD_REQUEST;
    }

    st = ngx_http_s3_srv_bucket_exists(ex, &bucket);

    if (st != NGX_HTTP_S3_WIRE_ST_OK) {
        return st;
    }

    ngx_str_set(&empty, "");

    if (ngx_http_s3_wbuf_init(&entries, ex->pool, 4096) != NGX_OK
        || ngx_http_s3_srv_key(ex, &w[0].base, 'V', &bucket, &empty)
           != NGX_OK
        || ngx_http_s3_srv_key(ex, &w[1].base, 'O', &bucket, &empty)
           != NGX_OK)
    {
        return NGX_HTTP_S3_WIRE_ST_ERROR;
    }

    /* where a version id marker of "null" is among the versions */

    if (vmarker.len && mseq == 0) {
        if (ngx_http_s3_srv_key(ex, &k, 'N', &bucket, &kmarker) != NGX_OK) {
            return NGX_HTTP_S3_WIRE_ST_ERROR;
        }

        if (ngx_http_s3_engine_get(ex->log, &k, &v) == NGX_OK) {
            if (v.len == 8) {
                for (i = 0; i < 8; i++) {
                    mseq = (mseq << 8) | v.data[i];
                }
            }

            ngx_http_s3_engine_free(&v);
        }

        if (mseq == 0) {
            /* an unversioned write: the key's only version */
            vmarker.len = 0;
        }
    }

    for (i = 0; i < 2; i++) {
        w[i].prefix = prefix;
        w[i].valid = 0;
        w[i].pending = 0;
        w[i].it = ngx_http_s3_engine_iter();
    }

    /*
     * the start: the prefix, or past the key marker (its versions older
     * than the version id marker first)
     */

    for (i = 0; i < 2; i++) {

        if (vmarker.len && i == 0) {
            p = ngx_pnalloc(ex->pool, ngx_http_s3_version_key(NULL, &bucket,
                                                         &kmarker, 0, 1));
            if (p == NULL) {
                goto failed;
            }

            ngx_http_s3_iter_seek(w[0].it, p,
                                  ngx_http_s3_version_key(p, &bucket,
                                                          &kmarker, mseq, 1));
            ngx_http_s3_vwalk_settle(ex, &w[0], 1, NULL);

            /* the marker itself is not listed again */

            if (w[0].valid && w[0].seq == mseq
                && w[0].key.len == kmarker.len
                && ngx_memcmp(w[0].key.data, kmarker.data, kmarker.len) == 0)
            {
                ngx_http_s3_iter_next(w[0].it);
                ngx_http_s3_vwalk_settle(ex, &w[0], 1, NULL);
            }

            continue;
        }

        if (ngx_memn2cmp(kmarker.data, prefix.data, kmarker.len, prefix.len)
            >= 0 && kmarker.len)
        {
            /* past every version of the key marker */

            p = ngx_pnalloc(ex->pool, kmarker.len + 1);
            if (p == NULL) {
                goto failed;
            }

            ngx_memcpy(p, kmarker.data, kmarker.len);
            p[kmarker.len] = (u_char) (i == 0 ? 1 : 0);
            name.data = p;
            name.len = kmarker.len + 1;

        } else {
            name = prefix;
        }

        if (ngx_http_s3_vwalk_seek(ex, &w[i], &name, 0, i == 0,
                                   (i == 1 && w[0].valid) ? &w[0].key : NULL)
            != NGX_OK)
        {
            goto failed;
        }
    }

    truncated = 0;
    n = 0;
    ngx_str_null(&last_key);
    ngx_str_null(&last_vid);

    /* the key of the version before: the first of a key is its latest */

    cur = (vmarker.len) ? kmarker : empty;

    for ( ;; ) {

        /* the "O" walk as far as the "V" walk has come */

        if (w[1].pending) {
            ngx_http_s3_vwalk_settle(ex, &w[1], 0,
                                     w[0].valid ? &w[0].key : NULL);
        }

        if (!w[0].valid && !w[1].valid) {
            break;
        }

        from_v = (w[0].valid
                  && (!w[1].valid
                      || ngx_memn2cmp(w[0].key.data, w[1].key.data,
                                      w[0].key.len, w[1].key.len) <= 0));
        e = from_v ? &w[0] : &w[1];
        name = e->key;

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

        if (d) {
            name.len = d + delim.len - name.data;

            /* copied: the walks move past it */

            p = ngx_pnalloc(ex->pool, name.len);
            if (p == NULL) {
                goto failed;
            }

            ngx_memcpy(p, name.data, name.len);
            name.data = p;

            if (ngx_memn2cmp(name.data, kmarker.data, name.len, kmarker.len)
                > 0)
            {
                if (n == max) {
                    truncated = 1;
                    break;
                }

                ngx_http_s3_wire_put_u8(&entries,
                                        NGX_HTTP_S3_WIRE_ENTRY_PREFIX);
                ngx_http_s3_wire_put_str(&entries, &name);
                n++;

                last_key = name;
                ngx_str_null(&last_vid);
            }

            for (i = 0; i < 2; i++) {
                if (ngx_http_s3_vwalk_seek(ex, &w[i], &name, 1, i == 0,
                                           (i == 1 && w[0].valid)
                                           ? &w[0].key : NULL)
                    != NGX_OK)
                {
                    goto failed;
                }
            }

            cur = empty;
            continue;
        }

        if (n == max) {
            truncated = 1;
            break;
        }

        /* the first version of a key is its latest */

        latest = !from_v
                 || !(cur.len == name.len
                      && ngx_memcmp(cur.data, name.data, name.len) == 0);

        ngx_http_s3_iter_value(e->it, &v);

        ngx_http_s3_wire_put_u8(&entries, NGX_HTTP_S3_WIRE_ENTRY_OBJECT);
        ngx_http_s3_wire_put_str(&entries, &name);
        ngx_http_s3_wire_put_u8(&entries, (uint8_t) latest);
        ngx_http_s3_object_put_listed(&entries, &v);
        n++;

        /* the key and version id, copied: the walk moves on */

        p = ngx_pnalloc(ex->pool, name.len + NGX_HTTP_S3_VERSION_ID_LEN);
        if (p == NULL) {
            goto failed;
        }

        ngx_memcpy(p, name.data, name.len);
        last_key.data = p;
        last_key.len = name.len;
        cur = last_key;

        vid.data = p + name.len;

        if (ngx_http_s3_object_decode(&v, &o, NULL) == NGX_OK
            && o.version.len == NGX_HTTP_S3_VERSION_ID_LEN)
        {
            ngx_memcpy(vid.data, o.version.data, o.version.len);
            vid.len = o.version.len;

        } else {
            ngx_memcpy(vid.data, "null", 4);
            vid.len = 4;
        }

        last_vid = vid;

        ngx_http_s3_iter_next(e->it);
        ngx_http_s3_vwalk_settle(ex, e, from_v,
                                 (!from_v && w[0].valid) ? &w[0].key : NULL);
    }

    /* a listing that stopped on a failed read is not a short page */

    for (i = 0; i < 2; i++) {
        if (!ngx_http_s3_iter_valid(w[i].it)
            && ngx_http_s3_iter_status(ex->log, w[i].it) != NGX_OK)
        {
            goto failed;
        }
    }

    for (i = 0; i < 2; i++) {
        ngx_http_s3_iter_destroy(w[i].it);
    }

    if (entries.error) {
        return NGX_HTTP_S3_WIRE_ST_ERROR;
    }

    ngx_http_s3_wire_put_u8(ex->out, (uint8_t) truncated);
    ngx_http_s3_wire_put_str(ex->out, &last_key);
    ngx_http_s3_wire_put_str(ex->out, &last_vid);
    ngx_http_s3_wire_put_u32(ex->out, n);
    ngx_http_s3_wire_put_raw(ex->out, entries.start,
                             entries.pos - entries.start);

    if (ex->out->error) {
        return NGX_HTTP_S3_WIRE_ST_ERROR;
    }

    return NGX_HTTP_S3_WIRE_ST_OK;

failed:

    for (i = 0; i < 2; i++) {
        ngx_http_s3_iter_destroy(w[i].it);
    }

    return NGX_HTTP_S3_WIRE_ST_ERROR;
}
