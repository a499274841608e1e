
/*
 * Copyright (C) ngx_s3 authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_s3.h"
#include "ngx_http_s3_rcache.h"


/*
 * The record cache: a GET or HEAD of a hot key answered from the worker's
 * copy of the metadata process's answer to OBJECT_GET, with no round
 * trip, and never older than a write acknowledged before the GET began.
 *
 * A shared zone holds a generation per slot (a hash of bucket \0 key).
 * The metadata process adds 1 to the slot of every O, V or N key it
 * writes or deletes, after the write reached LevelDB (a read from then on
 * sees it) and before it answers the request that wrote it
 * (ngx_http_s3_engine_write()).  A worker reads the slot's generation
 * before it sends OBJECT_GET and keeps the answer tagged with it; a later
 * GET trusts the copy only if the generation is still the same.  If a
 * write W was acknowledged before the GET began, its bump happened before
 * too: either the tag was read after the bump, and then OBJECT_GET, sent
 * later, was executed after W was visible; or it was read before, and the
 * generation has moved since, so the copy is not used.
 *
 * The zone also holds an epoch that every copy's tag includes: it moves
 * when a metadata process opens the database (a process killed between
 * a write and its bump leaves that write unbumped; its successor answers
 * the resent request from the database) and when a bucket record
 * changes (an answer NO_KEY depends on the bucket).  And the pid of the
 * metadata process that opened the database last: a worker trusts its
 * copies only while its connection reaches that process (after a binary
 * upgrade, old workers reach a metadata process that moves the slots of
 * another zone), and not once it is exiting.
 *
 * The copies are per worker: an rbtree by the slot's hash and the name
 * bucket \0 key [\0 version], least recently used first out, bounded in
 * bytes by s3_record_cache.
 */


#define NGX_HTTP_S3_RCACHE_SLOTS     65536
#define NGX_HTTP_S3_RCACHE_DEFAULT   (8 * 1024 * 1024)


typedef struct {
    ngx_atomic_t               epoch;
    ngx_atomic_t               pid;         /* of the metadata process */
    ngx_atomic_t               gen[NGX_HTTP_S3_RCACHE_SLOTS];
} ngx_http_s3_rcache_sh_t;


typedef struct {
    ngx_str_node_t             sn;          /* the hash, the name */
    ngx_queue_t                queue;
    ngx_atomic_uint_t          epoch;
    ngx_atomic_uint_t          gen;
    ngx_uint_t                 status;
    size_t                     size;        /* counted against the bound */
    ngx_str_t                  reply;
} ngx_http_s3_rcache_node_t;


typedef struct {
    ngx_rbtree_t               rbtree;
    ngx_rbtree_node_t          sentinel;
    ngx_queue_t                lru;         /* the most recent first */
    size_t                     size;
    ngx_uint_t                 ready;
} ngx_http_s3_rcache_t;


static ngx_http_s3_rcache_sh_t *ngx_http_s3_rcache_shared(void);
static ngx_int_t ngx_http_s3_rcache_name(ngx_http_request_t *r,
    ngx_str_t *bucket, ngx_str_t *key, ngx_str_t *version, ngx_str_t *name);
static void ngx_http_s3_rcache_free(ngx_http_s3_rcache_node_t *e);


static ngx_http_s3_rcache_t  ngx_http_s3_rcache;


char *
ngx_http_s3_rcache_directive(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_s3_main_conf_t *smcf = conf;

    ssize_t     size;
    ngx_str_t  *value;

    if (smcf->record_cache != NGX_CONF_UNSET_SIZE) {
        return "is duplicate";
    }

    value = cf->args->elts;

    if (ngx_strcmp(value[1].data, "off") == 0) {
        smcf->record_cache = 0;
        return NGX_CONF_OK;
    }

    size = ngx_parse_size(&value[1]);

    if (size == NGX_ERROR || size < 8192) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid s3_record_cache \"%V\": a size of at "
                           "least 8k, or \"off\"", &value[1]);
        return NGX_CONF_ERROR;
    }

    smcf->record_cache = (size_t) size;

    return NGX_CONF_OK;
}


ngx_int_t
ngx_http_s3_rcache_init_conf(ngx_conf_t *cf, ngx_http_s3_main_conf_t *smcf)
{
    ngx_conf_init_size_value(smcf->record_cache, NGX_HTTP_S3_RCACHE_DEFAULT);

    if (smcf->record_cache == 0 || smcf->data.len == 0) {
        return NGX_OK;
    }

    /* the same size in every configuration: a reload keeps the zone */

    smcf->rcache_zone = ngx_http_s3_shared_struct(cf, "s3_records",
                                            sizeof(ngx_http_s3_rcache_sh_t));
    if (smcf->rcache_zone == NULL) {
        return NGX_ERROR;
    }

    return NGX_OK;
}



static ngx_http_s3_rcache_sh_t *
ngx_http_s3_rcache_shared(void)
{
    ngx_http_s3_main_conf_t  *smcf;

    smcf = ngx_http_cycle_get_module_main_conf((ngx_cycle_t *) ngx_cycle,
                                               ngx_http_s3_module);

    if (smcf == NULL || smcf->rcache_zone == NULL) {
        return NULL;
    }

    return smcf->rcache_zone->data;
}


/*
 * The metadata process opened the database: what a predecessor wrote
 * and did not bump (killed in between) is visible now; the epoch moves
 * before the pid is published, so that a worker that sees this process's
 * pid also sees the new epoch.
 */

void
ngx_http_s3_rcache_opened(void)
{
    ngx_http_s3_rcache_sh_t  *sh;

    sh = ngx_http_s3_rcache_shared();

    if (sh == NULL) {
        return;
    }

    (void) ngx_atomic_fetch_add(&sh->epoch, 1);

    ngx_memory_barrier();

    sh->pid = (ngx_atomic_uint_t) ngx_pid;
}


/*
 * A key was written to LevelDB (put or deleted), and the write returned:
 * the generation of an object's slot moves; a bucket record moves the
 * epoch.  Keys: "O<bucket>\0<key>", "N<bucket>\0<key>",
 * "V<bucket>\0<key>\0<8 bytes>", "B<bucket>".
 */

void
ngx_http_s3_rcache_changed(u_char *key, size_t len)
{
    uint32_t                  hash;
    ngx_uint_t                slot;
    ngx_http_s3_rcache_sh_t  *sh;

    if (len < 2) {
        return;
    }

    switch (key[0]) {

    case 'O':
    case 'N':
        hash = ngx_crc32_long(key + 1, len - 1);
        break;

    case 'V':
        if (len < 1 + 1 + 1 + 9) {
            return;
        }

        hash = ngx_crc32_long(key + 1, len - 1 - 9);
        break;

    case 'B':
        sh = ngx_http_s3_rcache_shared();

        if (sh) {
            (void) ngx_atomic_fetch_add(&sh->epoch, 1);
        }

        return;

    default:
        return;
    }

    sh = ngx_http_s3_rcache_shared();

    if (sh) {
        slot = hash & (NGX_HTTP_S3_RCACHE_SLOTS - 1);
        (void) ngx_atomic_fetch_add(&sh->gen[slot], 1);
    }
}


ngx_int_t
ngx_http_s3_rcache_tag(ngx_http_request_t *r, ngx_str_t *bucket,
    ngx_str_t *key, ngx_http_s3_rcache_tag_t *tag)
{
    uint32_t                  hash;
    ngx_pid_t                 pid;
    ngx_http_s3_rcache_sh_t  *sh;
    ngx_http_s3_main_conf_t  *smcf;

    smcf = ngx_http_get_module_main_conf(r, ngx_http_s3_module);

    if (smcf->rcache_zone == NULL || ngx_exiting) {
        return NGX_DECLINED;
    }

    sh = smcf->rcache_zone->data;

    pid = ngx_http_s3_meta_peer();

    if (pid <= 0 || (ngx_atomic_uint_t) pid != sh->pid) {
        return NGX_DECLINED;
    }

    ngx_memory_barrier();

    ngx_crc32_init(hash);
    ngx_crc32_update(&hash, bucket->data, bucket->len);
    ngx_crc32_update(&hash, (u_char *) "", 1);
    ngx_crc32_update(&hash, key->data, key->len);
    ngx_crc32_final(hash);

    tag->hash = hash;
    tag->epoch = sh->epoch;
    tag->gen = sh->gen[hash & (NGX_HTTP_S3_RCACHE_SLOTS - 1)];

    return NGX_OK;
}


ngx_int_t
ngx_http_s3_rcache_get(ngx_http_request_t *r, ngx_str_t *bucket,
    ngx_str_t *key, ngx_str_t *version, ngx_http_s3_rcache_tag_t *tag,
    ngx_uint_t *status, ngx_str_t *reply)
{
    ngx_str_t                   name;
    ngx_str_node_t             *sn;
    ngx_http_s3_rcache_t       *c;
    ngx_http_s3_rcache_node_t  *e;

    c = &ngx_http_s3_rcache;

    if (!c->ready) {
        return NGX_DECLINED;
    }

    if (ngx_http_s3_rcache_name(r, bucket, key, version, &name) != NGX_OK) {
        return NGX_DECLINED;
    }

    sn = ngx_str_rbtree_lookup(&c->rbtree, &name, tag->hash);

    if (sn == NULL) {
        return NGX_DECLINED;
    }

    e = (ngx_http_s3_rcache_node_t *) sn;

    if (e->epoch != tag->epoch || e->gen != tag->gen) {
        /* written since: never of use again */
        ngx_http_s3_rcache_free(e);
        return NGX_DECLINED;
    }

    reply->len = e->reply.len;
    reply->data = NULL;

    if (reply->len) {
        /* the request's own: the copy may go before the request ends */

        reply->data = ngx_pnalloc(r->pool, reply->len);
        if (reply->data == NULL) {
            return NGX_DECLINED;
        }

        ngx_memcpy(reply->data, e->reply.data, reply->len);
    }

    *status = e->status;

    ngx_queue_remove(&e->queue);
    ngx_queue_insert_head(&c->lru, &e->queue);

    ngx_log_debug2(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "s3 record cache hit \"%V/%V\"", bucket, key);

    return NGX_OK;
}


void
ngx_http_s3_rcache_put(ngx_http_request_t *r, ngx_str_t *bucket,
    ngx_str_t *key, ngx_str_t *version, ngx_http_s3_rcache_tag_t *tag,
    ngx_uint_t status, ngx_str_t *reply)
{
    u_char                     *p;
    size_t                      size;
    ngx_str_t                   name;
    ngx_queue_t                *q;
    ngx_str_node_t             *sn;
    ngx_http_s3_rcache_t       *c;
    ngx_http_s3_rcache_node_t  *e;
    ngx_http_s3_main_conf_t    *smcf;

    if (status != NGX_HTTP_S3_WIRE_ST_OK
        && status != NGX_HTTP_S3_WIRE_ST_NO_KEY)
    {
        return;
    }

    smcf = ngx_http_get_module_main_conf(r, ngx_http_s3_module);
    c = &ngx_http_s3_rcache;

    if (ngx_http_s3_rcache_name(r, bucket, key, version, &name) != NGX_OK) {
        return;
    }

    size = sizeof(ngx_http_s3_rcache_node_t) + name.len + reply->len;

    if (size > smcf->record_cache / 8) {
        return;
    }

    if (!c->ready) {
        ngx_rbtree_init(&c->rbtree, &c->sentinel,
                        ngx_str_rbtree_insert_value);
        ngx_queue_init(&c->lru);
        c->ready = 1;
    }

    sn = ngx_str_rbtree_lookup(&c->rbtree, &name, tag->hash);

    if (sn) {
        e = (ngx_http_s3_rcache_node_t *) sn;

        if (e->epoch > tag->epoch
            || (e->epoch == tag->epoch && e->gen > tag->gen))
        {
            /* an answer to a later question is there already */
            return;
        }

        ngx_http_s3_rcache_free(e);
    }

    while (c->size + size > smcf->record_cache && !ngx_queue_empty(&c->lru)) {
        q = ngx_queue_last(&c->lru);
        ngx_http_s3_rcache_free(ngx_queue_data(q, ngx_http_s3_rcache_node_t,
                                               queue));
    }

    e = ngx_alloc(size, r->connection->log);
    if (e == NULL) {
        return;
    }

    p = (u_char *) e + sizeof(ngx_http_s3_rcache_node_t);

    e->sn.node.key = tag->hash;
    e->sn.str.data = p;
    e->sn.str.len = name.len;
    p = ngx_cpymem(p, name.data, name.len);

    e->reply.data = p;
    e->reply.len = reply->len;

    if (reply->len) {
        ngx_memcpy(p, reply->data, reply->len);
    }

    e->epoch = tag->epoch;
    e->gen = tag->gen;
    e->status = status;
    e->size = size;

    ngx_rbtree_insert(&c->rbtree, &e->sn.node);
    ngx_queue_insert_head(&c->lru, &e->queue);
    c->size += size;
}


/* bucket \0 key, and \0 version when one is asked for */

static ngx_int_t
ngx_http_s3_rcache_name(ngx_http_request_t *r, ngx_str_t *bucket,
    ngx_str_t *key, ngx_str_t *version, ngx_str_t *name)
{
    u_char  *p;

    name->len = bucket->len + 1 + key->len
                + (version->len ? 1 + version->len : 0);

    name->data = ngx_pnalloc(r->pool, name->len);
    if (name->data == NULL) {
        return NGX_ERROR;
    }

    p = ngx_cpymem(name->data, bucket->data, bucket->len);
    *p++ = '\0';
    p = ngx_cpymem(p, key->data, key->len);

    if (version->len) {
        *p++ = '\0';
        ngx_memcpy(p, version->data, version->len);
    }

    return NGX_OK;
}


static void
ngx_http_s3_rcache_free(ngx_http_s3_rcache_node_t *e)
{
    ngx_http_s3_rcache_t  *c;

    c = &ngx_http_s3_rcache;

    ngx_rbtree_delete(&c->rbtree, &e->sn.node);
    ngx_queue_remove(&e->queue);
    c->size -= e->size;

    ngx_free(e);
}
