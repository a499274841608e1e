
/*
 * Copyright (C) ngx_s3 authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_s3.h"
#include "ngx_http_s3_ops.h"


/*
 * Who may do what, in the worker: managed access keys (the root keys of
 * s3_access_key are in the configuration), without a metadata round trip
 * per request.
 *
 * Each worker caches what it looked up (including "no such key") in a
 * pool of its own.  The metadata process bumps the access generation in
 * shared memory after every change it commits to keys, users, bucket
 * owners or permissions; a worker compares the generation with its
 * cache's on every request and drops the whole cache when it moved, so a
 * change is seen by every worker at the next request, without a reload.
 *
 * An answer is cached only if the generation did not move between the
 * question and the answer; it is used for its request either way (the
 * metadata process answered after the request arrived).
 */


#define NGX_HTTP_S3_ACCESS_MAX_KEYS   10000


typedef struct {
    ngx_str_node_t             sn;          /* sn.str: the access key */
    ngx_uint_t                 found;
    ngx_str_t                  secret;
    ngx_str_t                  user;
    ngx_str_t                  display;
} ngx_http_s3_key_entry_t;


typedef struct {
    ngx_atomic_uint_t          gen;
    ngx_pool_t                *pool;
    ngx_rbtree_t               keys;
    ngx_rbtree_node_t          keys_sentinel;
    ngx_uint_t                 nkeys;
} ngx_http_s3_access_cache_t;


typedef struct {
    ngx_http_request_t        *request;
    ngx_atomic_uint_t          gen;         /* when it was asked */
} ngx_http_s3_lookup_t;


static ngx_atomic_uint_t ngx_http_s3_access_gen(ngx_http_request_t *r);
static ngx_int_t ngx_http_s3_access_sync(ngx_atomic_uint_t gen);
static void ngx_http_s3_access_key_handler(ngx_http_s3_meta_req_t *mr);
static void ngx_http_s3_access_key_cache(ngx_http_s3_key_info_t *ki,
    ngx_atomic_uint_t gen);
static ngx_int_t ngx_http_s3_access_copy(ngx_pool_t *pool, ngx_str_t *dst,
    ngx_str_t *src);


static ngx_http_s3_access_cache_t  ngx_http_s3_access_cache;


static ngx_atomic_uint_t
ngx_http_s3_access_gen(ngx_http_request_t *r)
{
    ngx_http_s3_main_conf_t  *smcf;

    smcf = ngx_http_get_module_main_conf(r, ngx_http_s3_module);

    return smcf->access_gen ? *smcf->access_gen : 0;
}


/* the cache of generation gen: emptied if it holds an older one */

static ngx_int_t
ngx_http_s3_access_sync(ngx_atomic_uint_t gen)
{
    ngx_http_s3_access_cache_t  *cache;

    cache = &ngx_http_s3_access_cache;

    if (cache->pool && cache->gen == gen) {
        return NGX_OK;
    }

    if (cache->pool) {
        ngx_destroy_pool(cache->pool);
    }

    cache->pool = ngx_create_pool(4096, ngx_cycle->log);
    if (cache->pool == NULL) {
        return NGX_ERROR;
    }

    ngx_rbtree_init(&cache->keys, &cache->keys_sentinel,
                    ngx_str_rbtree_insert_value);

    cache->nkeys = 0;
    cache->gen = gen;

    return NGX_OK;
}


ngx_int_t
ngx_http_s3_access_managed(ngx_http_request_t *r, ngx_str_t *ak,
    ngx_http_s3_key_info_t **ki)
{
    uint32_t                  hash;
    ngx_http_s3_ctx_t        *ctx;
    ngx_http_s3_key_info_t   *k;
    ngx_http_s3_key_entry_t  *e;

    ctx = ngx_http_s3_get_ctx(r);

    /* this request looked it up already */

    k = ctx->akey;

    if (k && k->access_key.len == ak->len
        && ngx_strncmp(k->access_key.data, ak->data, ak->len) == 0)
    {
        *ki = k;
        return k->found ? NGX_OK : NGX_DECLINED;
    }

    if (ngx_http_s3_access_sync(ngx_http_s3_access_gen(r)) != NGX_OK) {
        return NGX_ERROR;
    }

    hash = ngx_crc32_long(ak->data, ak->len);

    e = (ngx_http_s3_key_entry_t *)
            ngx_str_rbtree_lookup(&ngx_http_s3_access_cache.keys, ak, hash);

    if (e == NULL) {
        if (ngx_http_s3_access_copy(r->pool, &ctx->lookup, ak) != NGX_OK) {
            return NGX_ERROR;
        }

        return NGX_AGAIN;
    }

    if (!e->found) {
        return NGX_DECLINED;
    }

    /* a copy: the cache may be dropped while the request runs */

    k = ngx_pcalloc(r->pool, sizeof(ngx_http_s3_key_info_t));
    if (k == NULL) {
        return NGX_ERROR;
    }

    if (ngx_http_s3_access_copy(r->pool, &k->access_key, ak) != NGX_OK
        || ngx_http_s3_access_copy(r->pool, &k->secret, &e->secret) != NGX_OK
        || ngx_http_s3_access_copy(r->pool, &k->user, &e->user) != NGX_OK
        || ngx_http_s3_access_copy(r->pool, &k->display, &e->display)
           != NGX_OK)
    {
        return NGX_ERROR;
    }

    k->found = 1;
    ctx->akey = k;
    *ki = k;

    return NGX_OK;
}


ngx_int_t
ngx_http_s3_access_lookup(ngx_http_request_t *r)
{
    ngx_http_s3_ctx_t     *ctx;
    ngx_http_s3_wbuf_t     b;
    ngx_http_s3_lookup_t  *lk;

    ctx = ngx_http_s3_get_ctx(r);

    lk = ngx_palloc(r->pool, sizeof(ngx_http_s3_lookup_t));
    if (lk == NULL) {
        return ngx_http_s3_send_error(r, NGX_HTTP_S3_ERR_INTERNAL, NULL);
    }

    lk->request = r;
    lk->gen = ngx_http_s3_access_gen(r);

    if (ngx_http_s3_wbuf_init(&b, r->pool, 8 + ctx->lookup.len) != NGX_OK) {
        return ngx_http_s3_send_error(r, NGX_HTTP_S3_ERR_INTERNAL, NULL);
    }

    ngx_http_s3_wire_put_str(&b, &ctx->lookup);

    if (ngx_http_s3_meta_call(r, NGX_HTTP_S3_WIRE_OP_KEY_GET, &b,
                              ngx_http_s3_access_key_handler, lk)
        != NGX_OK)
    {
        return ngx_http_s3_send_error(r, NGX_HTTP_S3_ERR_INTERNAL, NULL);
    }

    r->main->count++;

    return NGX_DONE;
}


static void
ngx_http_s3_access_key_handler(ngx_http_s3_meta_req_t *mr)
{
    uint8_t                  status;
    ngx_str_t                secret, user, display;
    ngx_http_s3_ctx_t       *ctx;
    ngx_http_request_t      *r;
    ngx_http_s3_rbuf_t       rb;
    ngx_http_s3_lookup_t    *lk;
    ngx_http_s3_key_info_t  *ki;

    lk = mr->data;
    r = lk->request;
    ctx = ngx_http_s3_get_ctx(r);

    ki = ngx_pcalloc(r->pool, sizeof(ngx_http_s3_key_info_t));
    if (ki == NULL) {
        ngx_http_s3_finalize(r, ngx_http_s3_send_error(r,
                                        NGX_HTTP_S3_ERR_INTERNAL, NULL));
        return;
    }

    ki->access_key = ctx->lookup;

    switch (mr->status) {

    case NGX_HTTP_S3_WIRE_ST_OK:

        ngx_http_s3_rbuf_init(&rb, &mr->reply);

        ngx_http_s3_wire_get_str(&rb, &user);
        status = ngx_http_s3_wire_get_u8(&rb);
        ngx_http_s3_wire_get_str(&rb, &secret);
        ngx_http_s3_wire_get_str(&rb, &display);

        if (rb.error || user.len == 0 || secret.len == 0) {
            ngx_log_error(NGX_LOG_ALERT, r->connection->log, 0,
                          "s3 access key \"%V\": bad answer", &ki->access_key);
            ngx_http_s3_finalize(r, ngx_http_s3_send_error(r,
                                            NGX_HTTP_S3_ERR_INTERNAL, NULL));
            return;
        }

        ki->found = (status == NGX_HTTP_S3_KEY_ENABLED);
        ki->secret = secret;
        ki->user = user;
        ki->display = display;
        break;

    case NGX_HTTP_S3_WIRE_ST_NO_KEY:
        ki->found = 0;
        break;

    default:

        if (mr->status != NGX_HTTP_S3_WIRE_ST_UNAVAILABLE) {
            ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                          "s3 access key \"%V\" lookup failed: %s",
                          &ki->access_key,
                          ngx_http_s3_meta_status_text(mr->status));
        }

        ngx_http_s3_finalize(r, ngx_http_s3_send_error(r,
                                        ngx_http_s3_meta_error(mr->status),
                                        NULL));
        return;
    }

    ngx_http_s3_access_key_cache(ki, lk->gen);

    ctx->akey = ki;
    ngx_str_null(&ctx->lookup);

    ngx_http_s3_finalize(r, ngx_http_s3_process(r));
}


static void
ngx_http_s3_access_key_cache(ngx_http_s3_key_info_t *ki,
    ngx_atomic_uint_t gen)
{
    ngx_pool_t                  *pool;
    ngx_http_s3_key_entry_t     *e;
    ngx_http_s3_access_cache_t  *cache;

    cache = &ngx_http_s3_access_cache;

    if (cache->pool == NULL || cache->gen != gen) {
        /* changed since it was asked: good for its request only */
        return;
    }

    if (cache->nkeys >= NGX_HTTP_S3_ACCESS_MAX_KEYS) {
        /* start over rather than grow without bound */
        ngx_destroy_pool(cache->pool);
        cache->pool = NULL;

        if (ngx_http_s3_access_sync(gen) != NGX_OK) {
            return;
        }
    }

    pool = cache->pool;

    e = ngx_pcalloc(pool, sizeof(ngx_http_s3_key_entry_t));
    if (e == NULL) {
        return;
    }

    if (ngx_http_s3_access_copy(pool, &e->sn.str, &ki->access_key) != NGX_OK
        || ngx_http_s3_access_copy(pool, &e->secret, &ki->secret) != NGX_OK
        || ngx_http_s3_access_copy(pool, &e->user, &ki->user) != NGX_OK
        || ngx_http_s3_access_copy(pool, &e->display, &ki->display)
           != NGX_OK)
    {
        return;
    }

    e->found = ki->found;
    e->sn.node.key = ngx_crc32_long(e->sn.str.data, e->sn.str.len);

    ngx_rbtree_insert(&cache->keys, &e->sn.node);
    cache->nkeys++;
}


static ngx_int_t
ngx_http_s3_access_copy(ngx_pool_t *pool, ngx_str_t *dst, ngx_str_t *src)
{
    dst->len = src->len;

    if (src->len == 0) {
        dst->data = NULL;
        return NGX_OK;
    }

    dst->data = ngx_pnalloc(pool, src->len);
    if (dst->data == NULL) {
        return NGX_ERROR;
    }

    ngx_memcpy(dst->data, src->data, src->len);

    return NGX_OK;
}
