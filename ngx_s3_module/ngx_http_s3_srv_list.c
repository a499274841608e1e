
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
