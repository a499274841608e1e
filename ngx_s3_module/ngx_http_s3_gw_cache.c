
/*
 * Copyright (C) ngx_s3 authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_s3.h"


/*
 * Gateway mode: what the proxy cache's key holds besides the object.
 *
 * Open source nginx cannot purge an entry; instead the key carries write
 * generations.  A shared zone holds 65536 counters: a write through this
 * node (any PUT, POST or DELETE) moves its key's counter, or for a
 * bucket-wide request (DeleteObjects, bucket settings) its bucket's, when
 * the upstream's answer comes (or, if none came, when the request ends:
 * the write may have been made); every key
 * made after reads the new value and misses the old entries.  Keys that
 * share a counter only miss once more.  The zone's birth time is in the
 * key too: a restart (new counters from zero) misses everything cached
 * before it.
 *
 * A main request fixes the key's generations when it starts: its slices
 * (subrequests, fetched one after another) all read one version's key,
 * and the slice module refuses a slice of another version (ETag).
 *
 * A header filter also sets how long a fetched answer is trusted
 * (s3_gateway_cache_valid), for fresh fetches and for 304 revalidations
 * alike: the bound on how stale a direct writer's change may be seen.
 */


static ngx_uint_t ngx_http_s3_gw_slot(ngx_str_t *bucket, ngx_str_t *key);
static ngx_int_t ngx_http_s3_gw_header_filter(ngx_http_request_t *r);


static ngx_http_output_header_filter_pt  ngx_http_next_header_filter;


ngx_int_t
ngx_http_s3_gw_cache_filter_init(ngx_conf_t *cf)
{
    ngx_http_next_header_filter = ngx_http_top_header_filter;
    ngx_http_top_header_filter = ngx_http_s3_gw_header_filter;

    return NGX_OK;
}


/*
 * "<upstream>\n<bucket>\n<key>\n<versionId>\n<epoch>.<bucket gen>.<key
 * gen>": the proxy adds the slice's range
 */

ngx_int_t
ngx_http_s3_gw_cache_key(ngx_http_request_t *r, ngx_http_s3_gw_req_t *gw)
{
    u_char                 *p;
    size_t                  len;
    ngx_str_t               vid, none;
    ngx_http_s3_ctx_t      *ctx;
    ngx_http_s3_gw_gens_t  *gens;

    ctx = ngx_http_s3_get_ctx(r);
    gens = gw->conf->gen_zone->data;

    if (gens->epoch == 0) {
        (void) ngx_atomic_cmp_set(&gens->epoch, 0, (ngx_atomic_uint_t)
                                  ngx_time());
    }

    if (ngx_http_s3_arg(r, "versionId", &vid) != NGX_OK) {
        ngx_str_null(&vid);
    }

    ngx_str_null(&none);

    len = gw->conf->upstream.len + 1 + ctx->bucket.len + 1 + ctx->key.len
          + 1 + vid.len + 1 + 3 * NGX_ATOMIC_T_LEN + 2;

    p = ngx_pnalloc(r->pool, len);
    if (p == NULL) {
        return NGX_ERROR;
    }

    gw->cache_key.data = p;
    gw->cache_key.len = ngx_sprintf(p, "%V\n%V\n%V\n%V\n%uA.%uA.%uA",
                             &gw->conf->upstream, &ctx->bucket, &ctx->key,
                             &vid, gens->epoch,
                             gens->gen[ngx_http_s3_gw_slot(&ctx->bucket,
                                                           &none)],
                             gens->gen[ngx_http_s3_gw_slot(&ctx->bucket,
                                                           &ctx->key)])
                        - p;

    return NGX_OK;
}


/* a write through this node: its key's or its bucket's entries go */

void
ngx_http_s3_gw_cache_bump(ngx_http_s3_gw_req_t *gw)
{
    ngx_str_t               none;
    ngx_http_s3_gw_gens_t  *gens;

    if (gw->conf->cache.len == 0) {
        return;
    }

    gens = gw->conf->gen_zone->data;

    ngx_str_null(&none);

    (void) ngx_atomic_fetch_add(&gens->gen[ngx_http_s3_gw_slot(&gw->bucket,
                                    gw->key.len ? &gw->key : &none)], 1);

    gw->bumped = 1;
}


static ngx_uint_t
ngx_http_s3_gw_slot(ngx_str_t *bucket, ngx_str_t *key)
{
    uint32_t  h;

    ngx_crc32_init(h);
    ngx_crc32_update(&h, bucket->data, bucket->len);
    ngx_crc32_update(&h, (u_char *) "/", 1);
    ngx_crc32_update(&h, key->data, key->len);
    ngx_crc32_final(h);

    return h % NGX_HTTP_S3_GW_SLOTS;
}


static ngx_int_t
ngx_http_s3_gw_header_filter(ngx_http_request_t *r)
{
    ngx_http_s3_gw_req_t  *gw;

    gw = ngx_http_s3_gw_get(r);

    if (gw == NULL) {
        return ngx_http_next_header_filter(r);
    }

    if (r == r->main && gw->write) {
        ngx_http_s3_gw_cache_bump(gw);
    }

    /*
     * The upstream answered before the whole body came (a missing bucket,
     * a bad header): nginx closes the connection after the answer, which
     * says so
     */

    if (r == r->main && r->reading_body) {
        r->keepalive = 0;
    }

#if (NGX_HTTP_CACHE)

    if (r->cache && r->upstream
        && (r->headers_out.status == NGX_HTTP_OK
            || r->headers_out.status == NGX_HTTP_PARTIAL_CONTENT))
    {
        r->cache->valid_sec = ngx_time() + gw->conf->cache_valid;
    }

#endif

    return ngx_http_next_header_filter(r);
}
