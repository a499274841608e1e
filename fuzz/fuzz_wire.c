/* sources: ngx_http_s3_wire.c ngx_http_s3_record.c ngx_http_s3_util.c */

/*
 * The metadata protocol on any input: frame headers are accepted only
 * when consistent; object and bucket records decode without reading out
 * of bounds, and what decodes re-encodes to a record that decodes to the
 * same values (unknown fields aside).  The input is also read as the body
 * of a hostile OBJECT_PUT frame, as the metadata process reads it: a
 * record that decodes never has a body id that could name a file outside
 * the body directory.  Split in two, the input is a record and an
 * OBJECT_PATCH: a merge that succeeds is a field list holding each
 * patched field as the patch says (or not at all when emptied), and
 * merging again changes nothing.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include "ngx_http_s3_wire.h"

#include "ngx_stub.h"


int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
static void fuzz_frame(u_char *p, size_t n);
static void fuzz_reads(u_char *p, size_t n);
static void fuzz_object(ngx_pool_t *pool, u_char *p, size_t n);
static void fuzz_bucket(ngx_pool_t *pool, u_char *p, size_t n);
static void fuzz_put(u_char *p, size_t n);
static void safe_body(ngx_http_s3_object_t *o);
static void fuzz_copy_cond(u_char *p, size_t n);
static void fuzz_patch(ngx_pool_t *pool, u_char *p, size_t n);
static void same_str(ngx_str_t *a, ngx_str_t *b);


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    u_char      *p;
    ngx_pool_t  *pool;

    pool = ngx_stub_pool();

    p = ngx_pnalloc(pool, size);
    if (p == NULL) {
        abort();
    }

    if (size) {
        ngx_memcpy(p, data, size);
    }

    fuzz_frame(p, size);
    fuzz_reads(p, size);
    fuzz_object(pool, p, size);
    fuzz_bucket(pool, p, size);
    fuzz_put(p, size);
    fuzz_copy_cond(p, size);
    fuzz_patch(pool, p, size);

    ngx_destroy_pool(pool);

    return 0;
}


static void
fuzz_frame(u_char *p, size_t n)
{
    size_t     len;
    uint8_t    code;
    uint32_t   id, l;
    ngx_int_t  rc;

    len = 0;

    rc = ngx_http_s3_wire_frame_parse(p, n, &len, &id, &code);

    if (n < NGX_HTTP_S3_WIRE_HEADER) {
        if (rc != NGX_AGAIN) {
            abort();
        }

        return;
    }

    l = ((uint32_t) p[0] << 24) | ((uint32_t) p[1] << 16)
        | ((uint32_t) p[2] << 8) | p[3];

    if (l < NGX_HTTP_S3_WIRE_HEADER - 4 || l > NGX_HTTP_S3_WIRE_MAX_FRAME) {
        if (rc != NGX_ERROR) {
            abort();
        }

        return;
    }

    if (len != (size_t) l + 4 || code != p[8]
        || rc != (n >= len ? NGX_OK : NGX_AGAIN))
    {
        abort();
    }
}


static void
fuzz_reads(u_char *p, size_t n)
{
    ngx_str_t            in, s;
    volatile u_char      sink;
    ngx_http_s3_rbuf_t   rb;

    in.data = p;
    in.len = n;

    ngx_http_s3_rbuf_init(&rb, &in);

    while (!rb.error) {
        ngx_http_s3_wire_get_str(&rb, &s);

        if (rb.pos > rb.last) {
            abort();
        }

        if (s.len) {
            sink = s.data[s.len - 1];
            (void) sink;
        }

        (void) ngx_http_s3_wire_get_u8(&rb);
        (void) ngx_http_s3_wire_get_u64(&rb);
    }
}


/* copy-source conditions as the metadata process reads and decides them */

static void
fuzz_copy_cond(u_char *p, size_t n)
{
    uint64_t                 mtime;
    ngx_int_t                rc;
    ngx_str_t                in, etag;
    ngx_http_s3_rbuf_t       rb;
    ngx_http_s3_copy_cond_t  cc;

    in.data = p;
    in.len = n;

    ngx_http_s3_rbuf_init(&rb, &in);
    ngx_http_s3_wire_get_copy_cond(&rb, &cc);
    ngx_http_s3_wire_get_str(&rb, &etag);
    mtime = ngx_http_s3_wire_get_u64(&rb);

    if (rb.error) {
        return;
    }

    rc = ngx_http_s3_copy_cond_check(&cc, &etag, mtime);

    if (rc != NGX_OK && rc != NGX_DECLINED) {
        abort();
    }

    if (cc.cond == 0 && rc != NGX_OK) {
        abort();
    }
}


static void
fuzz_object(ngx_pool_t *pool, u_char *p, size_t n)
{
    ngx_str_t              in, re;
    ngx_uint_t             i, n1, n2;
    ngx_http_s3_rbuf_t     rb;
    ngx_http_s3_part_t    *pa, *pb;
    ngx_http_s3_pair_t    *a, *b;
    ngx_http_s3_wbuf_t     wb;
    ngx_http_s3_extent_t  *ea, *eb;
    ngx_http_s3_object_t   o, d;

    in.data = p;
    in.len = n;

    /*
     * without a pool extents and parts are checked only (and metadata is
     * skipped): what decodes with a pool decodes without
     */

    n1 = (ngx_http_s3_object_decode(&in, &o, NULL) == NGX_OK);

    if (n1) {
        safe_body(&o);
    }

    if (ngx_http_s3_object_decode(&in, &o, pool) != NGX_OK) {
        return;
    }

    if (!n1) {
        abort();
    }

    /* listed: the same record less its extents and parts */

    if (ngx_http_s3_wbuf_init(&wb, pool, 64) != NGX_OK) {
        abort();
    }

    ngx_http_s3_object_put_listed(&wb, &in);

    re.data = wb.start;
    re.len = wb.pos - wb.start;
    ngx_http_s3_rbuf_init(&rb, &re);
    ngx_http_s3_wire_get_str(&rb, &re);

    if (wb.error || rb.error || rb.pos != rb.last
        || ngx_http_s3_object_decode(&re, &d, pool) != NGX_OK
        || d.extents != NULL || d.parts != NULL || d.size != o.size)
    {
        abort();
    }

    same_str(&d.etag, &o.etag);
    same_str(&d.body, &o.body);

    /* what decodes names only well-formed ids, and adds up to the size */

    safe_body(&o);

    if (o.extents) {
        ea = o.extents->elts;
        n2 = 0;

        for (i = 0; i < o.extents->nelts; i++) {
            if (!ngx_http_s3_valid_body_id(&ea[i].body)) {
                abort();
            }

            n2 += ea[i].length;
        }

        if (n2 != o.size || o.body.len) {
            abort();
        }
    }

    if (ngx_http_s3_wbuf_init(&wb, pool, 64) != NGX_OK) {
        abort();
    }

    ngx_http_s3_object_encode(&wb, &o);

    if (wb.error) {
        /* only a record past the largest frame may fail */
        if (n < NGX_HTTP_S3_WIRE_MAX_FRAME / 2) {
            abort();
        }

        return;
    }

    re.data = wb.start;
    re.len = wb.pos - wb.start;

    if (ngx_http_s3_object_decode(&re, &d, pool) != NGX_OK) {
        abort();
    }

    if (d.size != o.size || d.mtime != o.mtime || d.flags != o.flags) {
        abort();
    }

    same_str(&d.etag, &o.etag);
    same_str(&d.body, &o.body);
    same_str(&d.version, &o.version);
    same_str(&d.content_type, &o.content_type);
    same_str(&d.content_encoding, &o.content_encoding);
    same_str(&d.content_disposition, &o.content_disposition);
    same_str(&d.content_language, &o.content_language);
    same_str(&d.cache_control, &o.cache_control);
    same_str(&d.expires, &o.expires);
    same_str(&d.owner, &o.owner);
    same_str(&d.checksum, &o.checksum);
    same_str(&d.upload_id, &o.upload_id);
    same_str(&d.tagging, &o.tagging);

    n1 = o.extents ? o.extents->nelts : 0;
    n2 = d.extents ? d.extents->nelts : 0;

    if (n1 != n2) {
        abort();
    }

    for (i = 0; i < n1; i++) {
        ea = (ngx_http_s3_extent_t *) o.extents->elts + i;
        eb = (ngx_http_s3_extent_t *) d.extents->elts + i;

        same_str(&ea->body, &eb->body);

        if (ea->offset != eb->offset || ea->length != eb->length) {
            abort();
        }
    }

    n1 = o.parts ? o.parts->nelts : 0;
    n2 = d.parts ? d.parts->nelts : 0;

    if (n1 != n2) {
        abort();
    }

    for (i = 0; i < n1; i++) {
        pa = (ngx_http_s3_part_t *) o.parts->elts + i;
        pb = (ngx_http_s3_part_t *) d.parts->elts + i;

        same_str(&pa->checksum, &pb->checksum);

        if (pa->size != pb->size || ngx_memcmp(pa->md5, pb->md5, 16) != 0) {
            abort();
        }
    }

    if (d.checksum_alg != o.checksum_alg
        || d.checksum_type != o.checksum_type)
    {
        abort();
    }

    n1 = o.meta ? o.meta->nelts : 0;
    n2 = d.meta ? d.meta->nelts : 0;

    if (n1 != n2) {
        abort();
    }

    for (i = 0; i < n1; i++) {
        a = (ngx_http_s3_pair_t *) o.meta->elts + i;
        b = (ngx_http_s3_pair_t *) d.meta->elts + i;

        same_str(&a->name, &b->name);
        same_str(&a->value, &b->value);
    }
}


static void
fuzz_bucket(ngx_pool_t *pool, u_char *p, size_t n)
{
    ngx_str_t             in, re;
    ngx_http_s3_wbuf_t    wb;
    ngx_http_s3_bucket_t  bk, d;

    in.data = p;
    in.len = n;

    if (ngx_http_s3_bucket_decode(&in, &bk) != NGX_OK) {
        return;
    }

    if (ngx_http_s3_wbuf_init(&wb, pool, 64) != NGX_OK) {
        abort();
    }

    ngx_http_s3_bucket_encode(&wb, &bk);

    if (wb.error) {
        abort();
    }

    re.data = wb.start;
    re.len = wb.pos - wb.start;

    if (ngx_http_s3_bucket_decode(&re, &d) != NGX_OK) {
        abort();
    }

    same_str(&d.name, &bk.name);
    same_str(&d.region, &bk.region);
    same_str(&d.owner, &bk.owner);

    if (d.created != bk.created || d.versioning != bk.versioning
        || d.object_lock != bk.object_lock)
    {
        abort();
    }
}


/* OBJECT_PUT: str bucket, str key, str record, u8 cond, str etag */

static void
fuzz_put(u_char *p, size_t n)
{
    ngx_str_t             in, bucket, key, rec, etag;
    ngx_http_s3_rbuf_t    rb;
    ngx_http_s3_object_t  o;

    in.data = p;
    in.len = n;

    ngx_http_s3_rbuf_init(&rb, &in);

    ngx_http_s3_wire_get_str(&rb, &bucket);
    ngx_http_s3_wire_get_str(&rb, &key);
    ngx_http_s3_wire_get_str(&rb, &rec);
    (void) ngx_http_s3_wire_get_u8(&rb);
    ngx_http_s3_wire_get_str(&rb, &etag);

    if (rb.pos > rb.last) {
        abort();
    }

    if (rb.error) {
        return;
    }

    if (ngx_http_s3_object_decode(&rec, &o, NULL) == NGX_OK) {
        safe_body(&o);
    }
}


/* what the metadata process may unlink: nothing but <objects>/ab/cd/id */

static void
safe_body(ngx_http_s3_object_t *o)
{
    size_t  i;
    u_char  c;

    if (o->body.len == 0) {
        return;
    }

    if (o->body.len != 32 || !ngx_http_s3_valid_body_id(&o->body)) {
        abort();
    }

    for (i = 0; i < o->body.len; i++) {
        c = o->body.data[i];

        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
            abort();
        }
    }
}


static void
same_str(ngx_str_t *a, ngx_str_t *b)
{
    if (a->len != b->len
        || (a->len && ngx_memcmp(a->data, b->data, a->len) != 0))
    {
        abort();
    }
}


static void
fuzz_patch(ngx_pool_t *pool, u_char *p, size_t n)
{
    size_t               cut;
    uint8_t              tag;
    ngx_str_t            rec, patch, out, again, v, pv;
    ngx_http_s3_rbuf_t   rb;
    ngx_http_s3_wbuf_t   b, b2;

    if (n == 0) {
        return;
    }

    cut = p[0] % n;
    rec.data = p + 1;
    rec.len = cut ? cut - 1 : 0;
    patch.data = p + 1 + rec.len;
    patch.len = n - 1 - rec.len;

    if (ngx_http_s3_wbuf_init(&b, pool, 64) != NGX_OK) {
        abort();
    }

    if (ngx_http_s3_record_patch(&b, &rec, &patch) != NGX_OK) {
        return;
    }

    out.data = b.start;
    out.len = b.pos - b.start;

    /* each patched field: its value, or absent when the patch empties it */

    ngx_http_s3_rbuf_init(&rb, &patch);

    while (rb.pos < rb.last) {
        tag = ngx_http_s3_wire_get_u8(&rb);
        ngx_http_s3_wire_get_str(&rb, &pv);

        if (rb.error) {
            abort();
        }

        switch (ngx_http_s3_record_field(&out, tag, &v)) {

        case NGX_OK:
            if (pv.len == 0) {
                abort();
            }

            same_str(&v, &pv);
            break;

        case NGX_DECLINED:
            if (pv.len) {
                abort();
            }

            break;

        default:
            abort();
        }
    }

    /* a replay changes nothing */

    if (ngx_http_s3_wbuf_init(&b2, pool, 64) != NGX_OK
        || ngx_http_s3_record_patch(&b2, &out, &patch) != NGX_OK)
    {
        abort();
    }

    again.data = b2.start;
    again.len = b2.pos - b2.start;

    same_str(&again, &out);
}
