
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


#define NGX_HTTP_S3_ACCESS_MAX_ENTRIES   10000


typedef struct {
    ngx_str_node_t             sn;          /* sn.str: the access key */
    ngx_uint_t                 found;
    ngx_str_t                  secret;
    ngx_str_t                  user;
    ngx_str_t                  display;
} ngx_http_s3_key_entry_t;


typedef struct {
    ngx_str_node_t                sn;       /* sn.str: the bucket */
    ngx_http_s3_bucket_access_t   ba;
} ngx_http_s3_bucket_entry_t;


/* a generation's pool: kept while requests hold entries of it */

typedef struct {
    ngx_pool_t                *pool;
    ngx_uint_t                 refs;
    ngx_uint_t                 current;     /* 0: freed at the last release */
} ngx_http_s3_access_pool_t;


typedef struct {
    ngx_atomic_uint_t          gen;
    ngx_pool_t                *pool;
    ngx_http_s3_access_pool_t *ap;
    ngx_rbtree_t               keys;
    ngx_rbtree_node_t          keys_sentinel;
    ngx_rbtree_t               buckets;
    ngx_rbtree_node_t          buckets_sentinel;
    ngx_uint_t                 entries;
} ngx_http_s3_access_cache_t;


typedef struct {
    ngx_str_t                  name;        /* the IAM action */
    ngx_uint_t                 perm;        /* NGX_HTTP_S3_PERM_* */
} ngx_http_s3_action_t;


typedef struct {
    ngx_http_request_t        *request;
    ngx_atomic_uint_t          gen;         /* when it was asked */
} ngx_http_s3_lookup_t;


static ngx_atomic_uint_t ngx_http_s3_access_gen(ngx_http_request_t *r);
static ngx_int_t ngx_http_s3_access_sync(ngx_atomic_uint_t gen);
static void ngx_http_s3_access_drop(void);
static ngx_int_t ngx_http_s3_access_hold(ngx_http_request_t *r);
static void ngx_http_s3_access_release(void *data);
static ngx_pool_t *ngx_http_s3_access_room(ngx_atomic_uint_t gen);
static ngx_uint_t ngx_http_s3_access_decide(ngx_http_request_t *r,
    ngx_http_s3_bucket_access_t *ba, ngx_http_s3_action_e action,
    ngx_str_t *key, ngx_uint_t defer);
static ngx_http_s3_bucket_access_t *ngx_http_s3_access_known(
    ngx_http_request_t *r, ngx_str_t *name);
static ngx_int_t ngx_http_s3_access_policy(ngx_http_request_t *r,
    ngx_http_s3_bucket_access_t *ba, ngx_pool_t *pool);
static void ngx_http_s3_access_cors(ngx_http_request_t *r,
    ngx_http_s3_bucket_access_t *ba, ngx_pool_t *pool);
static void ngx_http_s3_access_policy_key(ngx_http_s3_policy_request_t *rq,
    ngx_uint_t key);
static ngx_http_s3_bucket_access_t *ngx_http_s3_access_bucket(
    ngx_http_request_t *r, ngx_str_t *name);
static ngx_uint_t ngx_http_s3_access_allowed(ngx_http_s3_bucket_access_t *ba,
    ngx_str_t *user, ngx_uint_t perm);
static void ngx_http_s3_access_key_handler(ngx_http_s3_meta_req_t *mr);
static void ngx_http_s3_access_key_cache(ngx_http_s3_key_info_t *ki,
    ngx_atomic_uint_t gen);
static void ngx_http_s3_access_bucket_handler(ngx_http_s3_meta_req_t *mr);
static ngx_int_t ngx_http_s3_access_bucket_decode(ngx_pool_t *pool,
    ngx_str_t *reply, ngx_http_s3_bucket_access_t *ba);
static void ngx_http_s3_access_bucket_cache(ngx_http_request_t *r,
    ngx_http_s3_bucket_access_t *ba, ngx_atomic_uint_t gen);
static ngx_int_t ngx_http_s3_access_copy(ngx_pool_t *pool, ngx_str_t *dst,
    ngx_str_t *src);


static ngx_http_s3_access_cache_t  ngx_http_s3_access_cache;


/* indexed by ngx_http_s3_action_e */

static ngx_http_s3_action_t  ngx_http_s3_actions[] = {
    { ngx_string("s3:ListAllMyBuckets"), NGX_HTTP_S3_PERM_SIGNED },
    { ngx_string("s3:CreateBucket"), NGX_HTTP_S3_PERM_SIGNED },
    { ngx_string("s3:DeleteBucket"), NGX_HTTP_S3_PERM_OWNER },
    { ngx_string("s3:ListBucket"), NGX_HTTP_S3_PERM_READ },
    { ngx_string("s3:ListBucketVersions"), NGX_HTTP_S3_PERM_READ },
    { ngx_string("s3:GetBucketLocation"), NGX_HTTP_S3_PERM_READ },
    { ngx_string("s3:GetBucketVersioning"), NGX_HTTP_S3_PERM_READ },
    { ngx_string("s3:GetObject"), NGX_HTTP_S3_PERM_READ },
    { ngx_string("s3:PutObject"), NGX_HTTP_S3_PERM_WRITE },
    { ngx_string("s3:DeleteObject"), NGX_HTTP_S3_PERM_WRITE },
    { ngx_string("s3:AbortMultipartUpload"), NGX_HTTP_S3_PERM_WRITE },
    { ngx_string("s3:ListMultipartUploadParts"), NGX_HTTP_S3_PERM_READ },
    { ngx_string("s3:ListBucketMultipartUploads"), NGX_HTTP_S3_PERM_READ },
    { ngx_string("s3:GetObjectAttributes"), NGX_HTTP_S3_PERM_READ },
    { ngx_string("s3:GetObjectTagging"), NGX_HTTP_S3_PERM_READ },
    { ngx_string("s3:GetBucketAcl"), NGX_HTTP_S3_PERM_OWNER },
    { ngx_string("s3:PutBucketAcl"), NGX_HTTP_S3_PERM_OWNER },
    { ngx_string("s3:GetObjectAcl"), NGX_HTTP_S3_PERM_READ },
    { ngx_string("s3:PutObjectAcl"), NGX_HTTP_S3_PERM_WRITE },
    { ngx_string("s3:GetBucketPolicy"), NGX_HTTP_S3_PERM_OWNER },
    { ngx_string("s3:PutBucketPolicy"), NGX_HTTP_S3_PERM_OWNER },
    { ngx_string("s3:DeleteBucketPolicy"), NGX_HTTP_S3_PERM_OWNER },
    { ngx_string("s3:PutBucketVersioning"), NGX_HTTP_S3_PERM_OWNER },
    { ngx_string("s3:GetObjectVersion"), NGX_HTTP_S3_PERM_READ },
    { ngx_string("s3:DeleteObjectVersion"), NGX_HTTP_S3_PERM_WRITE },

    { ngx_string("s3:PutObjectTagging"), NGX_HTTP_S3_PERM_WRITE },
    { ngx_string("s3:DeleteObjectTagging"), NGX_HTTP_S3_PERM_WRITE },
    { ngx_string("s3:GetBucketTagging"), NGX_HTTP_S3_PERM_READ },
    { ngx_string("s3:PutBucketTagging"), NGX_HTTP_S3_PERM_OWNER },
    { ngx_string("s3:PutBucketObjectLockConfiguration"),
      NGX_HTTP_S3_PERM_OWNER },
    { ngx_string("s3:GetBucketObjectLockConfiguration"),
      NGX_HTTP_S3_PERM_READ },
    { ngx_string("s3:PutObjectRetention"), NGX_HTTP_S3_PERM_WRITE },
    { ngx_string("s3:GetObjectRetention"), NGX_HTTP_S3_PERM_READ },
    { ngx_string("s3:PutObjectLegalHold"), NGX_HTTP_S3_PERM_WRITE },
    { ngx_string("s3:GetObjectLegalHold"), NGX_HTTP_S3_PERM_READ },
    /* the owner, or whom the bucket policy allows it */
    { ngx_string("s3:BypassGovernanceRetention"), NGX_HTTP_S3_PERM_OWNER },
    { ngx_string("s3:GetBucketCORS"), NGX_HTTP_S3_PERM_OWNER },
    { ngx_string("s3:PutBucketCORS"), NGX_HTTP_S3_PERM_OWNER }
};


/* the table has exactly one row per action: a compile-time check */

typedef char  ngx_http_s3_actions_complete_t[
    (sizeof(ngx_http_s3_actions) / sizeof(ngx_http_s3_action_t)
     == NGX_HTTP_S3_ACT_LAST) ? 1 : -1];


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

    ngx_http_s3_access_drop();

    cache->pool = ngx_create_pool(4096, ngx_cycle->log);
    if (cache->pool == NULL) {
        return NGX_ERROR;
    }

    cache->ap = ngx_pcalloc(cache->pool, sizeof(ngx_http_s3_access_pool_t));
    if (cache->ap == NULL) {
        ngx_destroy_pool(cache->pool);
        cache->pool = NULL;
        return NGX_ERROR;
    }

    cache->ap->pool = cache->pool;
    cache->ap->current = 1;

    ngx_rbtree_init(&cache->keys, &cache->keys_sentinel,
                    ngx_str_rbtree_insert_value);
    ngx_rbtree_init(&cache->buckets, &cache->buckets_sentinel,
                    ngx_str_rbtree_insert_value);

    cache->entries = 0;
    cache->gen = gen;

    return NGX_OK;
}


/* the current pool goes: now, or when the last request releases it */

static void
ngx_http_s3_access_drop(void)
{
    ngx_http_s3_access_cache_t  *cache;

    cache = &ngx_http_s3_access_cache;

    if (cache->pool == NULL) {
        return;
    }

    if (cache->ap->refs == 0) {
        ngx_destroy_pool(cache->pool);

    } else {
        cache->ap->current = 0;
    }

    cache->pool = NULL;
    cache->ap = NULL;
}


/*
 * The request keeps the current pool (its entries) until it ends; it may
 * hold two generations (its bucket's entry, a copy source's)
 */

static ngx_int_t
ngx_http_s3_access_hold(ngx_http_request_t *r)
{
    ngx_http_s3_ctx_t          *ctx;
    ngx_pool_cleanup_t         *cln;
    ngx_http_s3_access_pool_t  *ap;

    ctx = ngx_http_s3_get_ctx(r);
    ap = ngx_http_s3_access_cache.ap;

    if (ctx->access_hold == ap) {
        return NGX_OK;
    }

    cln = ngx_pool_cleanup_add(r->pool, 0);
    if (cln == NULL) {
        return NGX_ERROR;
    }

    cln->handler = ngx_http_s3_access_release;
    cln->data = ap;

    ap->refs++;
    ctx->access_hold = ap;

    return NGX_OK;
}


static void
ngx_http_s3_access_release(void *data)
{
    ngx_http_s3_access_pool_t *ap = data;

    if (--ap->refs == 0 && !ap->current) {
        ngx_destroy_pool(ap->pool);
    }
}


/*
 * The pool for one more entry of generation gen, or NULL if the answer
 * is older than the cache (good for its request only) or no memory
 */

static ngx_pool_t *
ngx_http_s3_access_room(ngx_atomic_uint_t gen)
{
    ngx_http_s3_access_cache_t  *cache;

    cache = &ngx_http_s3_access_cache;

    if (cache->pool == NULL || cache->gen != gen) {
        return NULL;
    }

    if (cache->entries >= NGX_HTTP_S3_ACCESS_MAX_ENTRIES) {
        /* start over rather than grow without bound */
        ngx_http_s3_access_drop();

        if (ngx_http_s3_access_sync(gen) != NGX_OK) {
            return NULL;
        }
    }

    cache->entries++;

    return cache->pool;
}


ngx_int_t
ngx_http_s3_access_check(ngx_http_request_t *r, ngx_http_s3_action_e action)
{
    ngx_uint_t                    perm;
    ngx_http_s3_ctx_t            *ctx;
    ngx_http_s3_bucket_access_t  *ba;

    ctx = ngx_http_s3_get_ctx(r);

    if (ctx->auth.root) {
        return NGX_OK;
    }

    perm = ngx_http_s3_actions[action].perm;

    if (perm == NGX_HTTP_S3_PERM_SIGNED) {
        /* ListBuckets lists a user's own; CreateBucket makes it owner */
        return ctx->auth.access_key.len ? NGX_OK : NGX_DECLINED;
    }

    ba = ngx_http_s3_access_bucket(r, &ctx->bucket);

    if (ba == NULL) {
        return ctx->lookup_bucket.len ? NGX_AGAIN : NGX_ERROR;
    }

    ctx->baccess = ba;

    if (!ba->found) {
        /* the operation answers NoSuchBucket, to a signed request */
        return ctx->auth.access_key.len ? NGX_OK : NGX_DECLINED;
    }

    /* DeleteObjects: its keys are decided one by one, as they come */

    if (ngx_http_s3_access_decide(r, ba, action,
                                  ctx->key.len ? &ctx->key : NULL,
                                  ctx->op == NGX_HTTP_S3_OP_DELETE_OBJECTS))
    {
        return NGX_OK;
    }

    ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                  "s3 access denied: user \"%V\" (key \"%V\"), %V on "
                  "bucket \"%V\"", &ctx->auth.user, &ctx->auth.access_key,
                  &ngx_http_s3_actions[action].name, &ctx->bucket);

    return NGX_DECLINED;
}


/*
 * CopyObject and UploadPartCopy write the request's object and read the
 * source's: s3:GetObject on it, as its bucket's permissions say.  A
 * source that does not parse, or a bucket that does not exist, is the
 * operation's to answer.
 */

ngx_int_t
ngx_http_s3_access_copy_source(ngx_http_request_t *r)
{
    ngx_str_t                     bucket, key, vid;
    const char                   *message;
    ngx_http_s3_ctx_t            *ctx;
    ngx_http_s3_err_extra_t       extra[2];
    ngx_http_s3_bucket_access_t  *ba;

    ctx = ngx_http_s3_get_ctx(r);

    if (ctx->auth.root) {
        return NGX_OK;
    }

    if (ngx_http_s3_copy_source(r, &bucket, &key, &vid, &message, extra)
        != NGX_HTTP_S3_OK)
    {
        return NGX_OK;
    }

    ba = ngx_http_s3_access_bucket(r, &bucket);

    if (ba == NULL) {
        return ctx->lookup_bucket.len ? NGX_AGAIN : NGX_ERROR;
    }

    ctx->saccess = ba;

    if (!ba->found) {
        return ctx->auth.access_key.len ? NGX_OK : NGX_DECLINED;
    }

    /* a version of the source: s3:GetObjectVersion, as S3 */

    if (ngx_http_s3_access_decide(r, ba,
                                  vid.len ? NGX_HTTP_S3_ACT_GET_OBJECT_VERSION
                                          : NGX_HTTP_S3_ACT_GET_OBJECT,
                                  &key, 0))
    {
        return NGX_OK;
    }

    ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                  "s3 access denied: user \"%V\" (key \"%V\"), the copy "
                  "source \"%V/%V\"", &ctx->auth.user,
                  &ctx->auth.access_key, &bucket, &key);

    return NGX_DECLINED;
}


/*
 * The object lock flags of the request's bucket are needed (PutObject,
 * CopyObject, CreateMultipartUpload, the retention and legal hold
 * operations), or its CORS rules (a request with an Origin), root keys
 * too: they come with the bucket's permissions.
 * NGX_OK (ctx->baccess set), NGX_AGAIN (ask first), NGX_ERROR.
 */

ngx_int_t
ngx_http_s3_access_bucket_state(ngx_http_request_t *r)
{
    ngx_http_s3_ctx_t            *ctx;
    ngx_http_s3_bucket_access_t  *ba;

    ctx = ngx_http_s3_get_ctx(r);

    if (ctx->baccess) {
        return NGX_OK;
    }

    ba = ngx_http_s3_access_bucket(r, &ctx->bucket);

    if (ba == NULL) {
        return ctx->lookup_bucket.len ? NGX_AGAIN : NGX_ERROR;
    }

    ctx->baccess = ba;

    return NGX_OK;
}


ngx_uint_t
ngx_http_s3_access_object(ngx_http_request_t *r, ngx_http_s3_action_e action,
    ngx_str_t *key)
{
    ngx_http_s3_ctx_t  *ctx;

    ctx = ngx_http_s3_get_ctx(r);

    if (ctx->auth.root || ctx->baccess == NULL || !ctx->baccess->found) {
        return 1;
    }

    return ngx_http_s3_access_decide(r, ctx->baccess, action, key, 0);
}


/*
 * The bucket policy first: a matching Deny, then a matching Allow, decide;
 * else the owner, the grants and the canned ACL.  defer: a decision per
 * key follows, let the request in if the policy might allow it.
 */

static ngx_uint_t
ngx_http_s3_access_decide(ngx_http_request_t *r,
    ngx_http_s3_bucket_access_t *ba, ngx_http_s3_action_e action,
    ngx_str_t *key, ngx_uint_t defer)
{
    u_char                        *p;
    ngx_uint_t                     perm, rc, base;
    ngx_http_s3_ctx_t             *ctx;
    struct sockaddr_in            *sin;
    ngx_http_s3_policy_request_t   rq;
#if (NGX_HAVE_INET6)
    struct sockaddr_in6           *sin6;
#endif

    ctx = ngx_http_s3_get_ctx(r);
    perm = ngx_http_s3_actions[action].perm;

    base = ngx_http_s3_access_allowed(ba, &ctx->auth.user, perm);

    if (ba->policy_bad) {
        /* fail closed: only the operator, whose keys do not come here */
        return 0;
    }

    if (ba->policy == NULL) {
        return base;
    }

    if (defer) {
        return 1;
    }

    ngx_memzero(&rq, sizeof(ngx_http_s3_policy_request_t));

    rq.user = ctx->auth.user;
    rq.action = ngx_http_s3_actions[action].name;

    if (key) {
        rq.resource.len = ba->name.len + 1 + key->len;
        rq.resource.data = ngx_pnalloc(r->pool, rq.resource.len);
        if (rq.resource.data == NULL) {
            return 0;
        }

        p = ngx_cpymem(rq.resource.data, ba->name.data, ba->name.len);
        *p++ = '/';
        ngx_memcpy(p, key->data, key->len);

    } else {
        rq.resource = ba->name;
    }

    switch (r->connection->sockaddr->sa_family) {

    case AF_INET:
        sin = (struct sockaddr_in *) r->connection->sockaddr;
        rq.family = AF_INET;
        ngx_memcpy(rq.addr, &sin->sin_addr, 4);
        break;

#if (NGX_HAVE_INET6)
    case AF_INET6:
        sin6 = (struct sockaddr_in6 *) r->connection->sockaddr;

        if (IN6_IS_ADDR_V4MAPPED(&sin6->sin6_addr)) {
            rq.family = AF_INET;
            ngx_memcpy(rq.addr, &sin6->sin6_addr.s6_addr[12], 4);

        } else {
            rq.family = AF_INET6;
            ngx_memcpy(rq.addr, &sin6->sin6_addr, 16);
        }

        break;
#endif

    default:
        break;
    }

    /* the condition keys only when a condition asks for one */

    rq.handler = ngx_http_s3_access_policy_key;
    rq.data = r;

    rc = ngx_http_s3_policy_eval(ba->policy, &rq);

    ngx_log_debug3(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "s3 policy: %V on \"%V\": %ui", &rq.action,
                   &rq.resource, rc);

    if (rc == NGX_HTTP_S3_POLICY_DENY) {
        return 0;
    }

    if (rc == NGX_HTTP_S3_POLICY_ALLOW) {
        return 1;
    }

    return base;
}


static void
ngx_http_s3_access_policy_key(ngx_http_s3_policy_request_t *rq,
    ngx_uint_t key)
{
    ngx_str_t            v;
    const char          *arg;
    ngx_table_elt_t     *h;
    ngx_http_request_t  *r;

    r = rq->data;
    arg = NULL;

    switch (key) {

    case NGX_HTTP_S3_POLICY_KEY_SOURCE_IP:
        rq->keys[key] = r->connection->addr_text;
        return;

    case NGX_HTTP_S3_POLICY_KEY_SECURE:

#if (NGX_HTTP_SSL)
        if (r->connection->ssl) {
            ngx_str_set(&rq->keys[key], "true");
            return;
        }
#endif

        ngx_str_set(&rq->keys[key], "false");
        return;

    case NGX_HTTP_S3_POLICY_KEY_X_AMZ_ACL:
        h = ngx_http_s3_header_in(r, "x-amz-acl");

        if (h) {
            rq->keys[key] = h->value;
        }

        return;

    case NGX_HTTP_S3_POLICY_KEY_PREFIX:
        arg = "prefix";
        break;

    case NGX_HTTP_S3_POLICY_KEY_DELIMITER:
        arg = "delimiter";
        break;

    case NGX_HTTP_S3_POLICY_KEY_MAX_KEYS:
        arg = "max-keys";
        break;

    default:
        return;
    }

    if (ngx_http_s3_arg_decoded(r, arg, &v) == NGX_OK) {
        rq->keys[key] = v;

        if (v.data == NULL) {
            rq->keys[key].data = (u_char *) "";
        }
    }
}


/*
 * The owner may do everything; a grant reads, or reads and writes; the
 * canned ACL lets everyone (user empty: anonymous) read, or read and
 * write, or every user read
 */

static ngx_uint_t
ngx_http_s3_access_allowed(ngx_http_s3_bucket_access_t *ba, ngx_str_t *user,
    ngx_uint_t perm)
{
    ngx_uint_t            i;
    ngx_http_s3_grant_t  *g;

    if (perm == NGX_HTTP_S3_PERM_OWNER) {
        return user->len
               && ba->owner.len == user->len
               && ngx_strncmp(ba->owner.data, user->data, user->len) == 0;
    }

    switch (ba->acl) {

    case NGX_HTTP_S3_ACL_PUBLIC_READ_WRITE:
        return 1;

    case NGX_HTTP_S3_ACL_PUBLIC_READ:

        if (perm == NGX_HTTP_S3_PERM_READ) {
            return 1;
        }

        break;

    case NGX_HTTP_S3_ACL_AUTHENTICATED_READ:

        if (perm == NGX_HTTP_S3_PERM_READ && user->len) {
            return 1;
        }

        break;

    default:
        break;
    }

    if (user->len == 0) {
        return 0;
    }

    if (ba->owner.len == user->len
        && ngx_strncmp(ba->owner.data, user->data, user->len) == 0)
    {
        return 1;
    }

    g = ba->grants;

    for (i = 0; i < ba->ngrants; i++) {
        if (g[i].user.len == user->len
            && ngx_strncmp(g[i].user.data, user->data, user->len) == 0)
        {
            return g[i].perm >= perm;
        }
    }

    return 0;
}


/*
 * The permissions on a bucket: from this request's lookups, or the cache;
 * NULL with ctx->lookup_bucket set when they must be asked for (NULL
 * without it: no memory)
 */

static ngx_http_s3_bucket_access_t *
ngx_http_s3_access_bucket(ngx_http_request_t *r, ngx_str_t *name)
{
    uint32_t                      hash;
    ngx_http_s3_ctx_t            *ctx;
    ngx_http_s3_bucket_entry_t   *e;
    ngx_http_s3_bucket_access_t  *ba;

    ctx = ngx_http_s3_get_ctx(r);

    ba = ngx_http_s3_access_known(r, name);

    if (ba) {
        return ba;
    }

    if (ngx_http_s3_access_sync(ngx_http_s3_access_gen(r)) != NGX_OK) {
        return NULL;
    }

    hash = ngx_crc32_long(name->data, name->len);

    e = (ngx_http_s3_bucket_entry_t *)
            ngx_str_rbtree_lookup(&ngx_http_s3_access_cache.buckets,
                                  name, hash);

    if (e == NULL) {
        ctx->lookup_bucket = *name;
        return NULL;
    }

    /* no copy: the request holds the pool until it ends */

    if (ngx_http_s3_access_hold(r) != NGX_OK) {
        return NULL;
    }

    return &e->ba;
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


/* what this request looked up already: its bucket, a copy's source */

static ngx_http_s3_bucket_access_t *
ngx_http_s3_access_known(ngx_http_request_t *r, ngx_str_t *name)
{
    ngx_uint_t                     i;
    ngx_http_s3_ctx_t             *ctx;
    ngx_http_s3_bucket_access_t   *ba[2];

    ctx = ngx_http_s3_get_ctx(r);

    ba[0] = ctx->baccess;
    ba[1] = ctx->saccess;

    for (i = 0; i < 2; i++) {
        if (ba[i] && ba[i]->name.len == name->len
            && ngx_strncmp(ba[i]->name.data, name->data, name->len) == 0)
        {
            return ba[i];
        }
    }

    return NULL;
}


/* a managed key (ctx->lookup), or a bucket (ctx->lookup_bucket) */

ngx_int_t
ngx_http_s3_access_lookup(ngx_http_request_t *r)
{
    ngx_str_t                    *name;
    ngx_uint_t                    op;
    ngx_http_s3_ctx_t            *ctx;
    ngx_http_s3_wbuf_t            b;
    ngx_http_s3_lookup_t         *lk;
    ngx_http_s3_meta_handler_pt   handler;

    ctx = ngx_http_s3_get_ctx(r);

    if (ctx->lookup.len) {
        op = NGX_HTTP_S3_WIRE_OP_KEY_GET;
        name = &ctx->lookup;
        handler = ngx_http_s3_access_key_handler;

    } else {
        op = NGX_HTTP_S3_WIRE_OP_BUCKET_ACCESS;
        name = &ctx->lookup_bucket;
        handler = ngx_http_s3_access_bucket_handler;
    }

    lk = ngx_palloc(r->pool, sizeof(ngx_http_s3_lookup_t));
    if (lk == NULL) {
        return ngx_http_s3_send_error(r, NGX_HTTP_S3_ERR_INTERNAL, NULL);
    }

    lk->request = r;
    lk->gen = ngx_http_s3_access_gen(r);

    ngx_log_debug3(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "s3 access lookup: %s \"%V\", generation %uA",
                   ctx->lookup.len ? "key" : "bucket", name, lk->gen);

    if (ngx_http_s3_wbuf_init(&b, r->pool, 8 + name->len) != NGX_OK) {
        return ngx_http_s3_send_error(r, NGX_HTTP_S3_ERR_INTERNAL, NULL);
    }

    ngx_http_s3_wire_put_str(&b, name);

    if (ngx_http_s3_meta_call(r, op, &b, handler, lk) != NGX_OK) {
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
    ngx_pool_t               *pool;
    ngx_http_s3_key_entry_t  *e;

    pool = ngx_http_s3_access_room(gen);
    if (pool == NULL) {
        return;
    }

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

    ngx_rbtree_insert(&ngx_http_s3_access_cache.keys, &e->sn.node);
}


static void
ngx_http_s3_access_bucket_handler(ngx_http_s3_meta_req_t *mr)
{
    ngx_http_s3_ctx_t            *ctx;
    ngx_http_request_t           *r;
    ngx_http_s3_lookup_t         *lk;
    ngx_http_s3_bucket_access_t  *ba;

    lk = mr->data;
    r = lk->request;
    ctx = ngx_http_s3_get_ctx(r);

    ba = ngx_pcalloc(r->pool, sizeof(ngx_http_s3_bucket_access_t));
    if (ba == NULL) {
        ngx_http_s3_finalize(r, ngx_http_s3_send_error(r,
                                        NGX_HTTP_S3_ERR_INTERNAL, NULL));
        return;
    }

    switch (mr->status) {

    case NGX_HTTP_S3_WIRE_ST_OK:

        if (ngx_http_s3_access_bucket_decode(r->pool, &mr->reply, ba)
            != NGX_OK)
        {
            ngx_log_error(NGX_LOG_ALERT, r->connection->log, 0,
                          "s3 bucket \"%V\" permissions: bad answer",
                          &ctx->lookup_bucket);
            ngx_http_s3_finalize(r, ngx_http_s3_send_error(r,
                                            NGX_HTTP_S3_ERR_INTERNAL, NULL));
            return;
        }

        break;

    case NGX_HTTP_S3_WIRE_ST_NO_BUCKET:
        ba->found = 0;
        break;

    default:

        if (mr->status != NGX_HTTP_S3_WIRE_ST_UNAVAILABLE) {
            ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                          "s3 bucket \"%V\" permissions lookup failed: %s",
                          &ctx->lookup_bucket,
                          ngx_http_s3_meta_status_text(mr->status));
        }

        ngx_http_s3_finalize(r, ngx_http_s3_send_error(r,
                                        ngx_http_s3_meta_error(mr->status),
                                        NULL));
        return;
    }

    ba->name = ctx->lookup_bucket;

    if (ngx_http_s3_access_policy(r, ba, r->pool) != NGX_OK) {
        ngx_http_s3_finalize(r, ngx_http_s3_send_error(r,
                                        NGX_HTTP_S3_ERR_INTERNAL, NULL));
        return;
    }

    ngx_http_s3_access_cors(r, ba, r->pool);

    ngx_http_s3_access_bucket_cache(r, ba, lk->gen);

    if (ba->name.len == ctx->bucket.len
        && ngx_strncmp(ba->name.data, ctx->bucket.data, ctx->bucket.len)
           == 0)
    {
        ctx->baccess = ba;

    } else {
        ctx->saccess = ba;
    }

    ngx_str_null(&ctx->lookup_bucket);

    ngx_http_s3_finalize(r, ngx_http_s3_process(r));
}


/* BUCKET_ACCESS's answer: str bucket record, u32 n, n x str grant */

static ngx_int_t
ngx_http_s3_access_bucket_decode(ngx_pool_t *pool, ngx_str_t *reply,
    ngx_http_s3_bucket_access_t *ba)
{
    uint32_t              i, n;
    ngx_str_t             rec;
    ngx_http_s3_rbuf_t    rb;
    ngx_http_s3_bucket_t  bk;

    ngx_http_s3_rbuf_init(&rb, reply);

    ngx_http_s3_wire_get_str(&rb, &rec);
    n = ngx_http_s3_wire_get_u32(&rb);

    if (rb.error || ngx_http_s3_bucket_decode(&rec, &bk) != NGX_OK
        || n > (uint32_t) (rb.last - rb.pos) / 4)
    {
        return NGX_ERROR;
    }

    ba->found = 1;
    ba->owner = bk.owner_user;
    ba->acl = bk.acl;
    ba->object_lock = bk.object_lock;
    ba->ngrants = n;

    if (n) {
        ba->grants = ngx_palloc(pool, n * sizeof(ngx_http_s3_grant_t));
        if (ba->grants == NULL) {
            return NGX_ERROR;
        }
    }

    for (i = 0; i < n; i++) {
        ngx_http_s3_wire_get_str(&rb, &rec);

        if (rb.error
            || ngx_http_s3_grant_decode(&rec, &ba->grants[i]) != NGX_OK)
        {
            return NGX_ERROR;
        }
    }

    ngx_http_s3_wire_get_str(&rb, &ba->policy_text);
    ngx_http_s3_wire_get_str(&rb, &ba->cors_text);

    return rb.error ? NGX_ERROR : NGX_OK;
}


/* the bucket's policy, compiled into pool (checked when it was put) */

static ngx_int_t
ngx_http_s3_access_policy(ngx_http_request_t *r,
    ngx_http_s3_bucket_access_t *ba, ngx_pool_t *pool)
{
    ngx_str_t  err;

    ba->policy = NULL;
    ba->policy_bad = 0;

    if (ba->policy_text.len == 0) {
        return NGX_OK;
    }

    ba->policy = ngx_http_s3_policy_compile(pool, &ba->policy_text,
                                            &ba->name, &err);

    if (ba->policy == NULL) {
        if (err.len == 0) {
            return NGX_ERROR;
        }

        ngx_log_error(NGX_LOG_ALERT, r->connection->log, 0,
                      "s3 bucket \"%V\": its stored policy does not "
                      "compile (%V): only the operator may use the bucket",
                      &ba->name, &err);
        ba->policy_bad = 1;
    }

    return NGX_OK;
}


/*
 * the bucket's CORS rules, compiled into pool (checked when they were
 * put): a worker matches them per request without a round trip
 */

static void
ngx_http_s3_access_cors(ngx_http_request_t *r,
    ngx_http_s3_bucket_access_t *ba, ngx_pool_t *pool)
{
    ngx_uint_t   err;
    const char  *message;

    ba->cors = NULL;

    if (ba->cors_text.len == 0) {
        return;
    }

    ba->cors = ngx_http_s3_cors_parse(pool, ba->cors_text.data,
                                      ba->cors_text.len, &err, &message);

    if (ba->cors == NULL && message) {
        ngx_log_error(NGX_LOG_ALERT, r->connection->log, 0,
                      "s3 bucket \"%V\": its stored CORS configuration "
                      "does not parse (%s): no CORS", &ba->name, message);
    }
}


static void
ngx_http_s3_access_bucket_cache(ngx_http_request_t *r,
    ngx_http_s3_bucket_access_t *ba, ngx_atomic_uint_t gen)
{
    ngx_uint_t                   i;
    ngx_pool_t                  *pool;
    ngx_http_s3_grant_t         *g;
    ngx_http_s3_bucket_entry_t  *e;

    pool = ngx_http_s3_access_room(gen);
    if (pool == NULL) {
        return;
    }

    e = ngx_pcalloc(pool, sizeof(ngx_http_s3_bucket_entry_t));
    if (e == NULL) {
        return;
    }

    e->ba = *ba;

    if (ngx_http_s3_access_copy(pool, &e->sn.str, &ba->name) != NGX_OK
        || ngx_http_s3_access_copy(pool, &e->ba.owner, &ba->owner) != NGX_OK)
    {
        return;
    }

    e->ba.name = e->sn.str;

    if (ba->ngrants) {
        g = ngx_palloc(pool, ba->ngrants * sizeof(ngx_http_s3_grant_t));
        if (g == NULL) {
            return;
        }

        for (i = 0; i < ba->ngrants; i++) {
            g[i].perm = ba->grants[i].perm;

            if (ngx_http_s3_access_copy(pool, &g[i].user, &ba->grants[i].user)
                != NGX_OK)
            {
                return;
            }
        }

        e->ba.grants = g;
    }

    if (ngx_http_s3_access_copy(pool, &e->ba.policy_text, &ba->policy_text)
        != NGX_OK
        || ngx_http_s3_access_policy(r, &e->ba, pool) != NGX_OK
        || ngx_http_s3_access_copy(pool, &e->ba.cors_text, &ba->cors_text)
           != NGX_OK)
    {
        return;
    }

    ngx_http_s3_access_cors(r, &e->ba, pool);

    e->sn.node.key = ngx_crc32_long(e->sn.str.data, e->sn.str.len);

    ngx_rbtree_insert(&ngx_http_s3_access_cache.buckets, &e->sn.node);
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


ngx_int_t
ngx_http_s3_access_bucket_acl(ngx_str_t *value)
{
    ngx_uint_t  i;

    static struct {
        ngx_str_t   name;
        ngx_int_t   acl;
    } acls[] = {
        { ngx_string("private"), NGX_HTTP_S3_ACL_PRIVATE },
        { ngx_string("public-read"), NGX_HTTP_S3_ACL_PUBLIC_READ },
        { ngx_string("public-read-write"), NGX_HTTP_S3_ACL_PUBLIC_READ_WRITE },
        { ngx_string("authenticated-read"),
          NGX_HTTP_S3_ACL_AUTHENTICATED_READ },

        /* of objects: S3 ignores them on a bucket */
        { ngx_string("bucket-owner-read"), NGX_HTTP_S3_ACL_PRIVATE },
        { ngx_string("bucket-owner-full-control"), NGX_HTTP_S3_ACL_PRIVATE },

        /* permissions of AWS services, not of this server */
        { ngx_string("aws-exec-read"), NGX_DECLINED },
        { ngx_string("log-delivery-write"), NGX_DECLINED },
        { ngx_null_string, 0 }
    };

    for (i = 0; acls[i].name.len; i++) {
        if (value->len == acls[i].name.len
            && ngx_strncasecmp(value->data, acls[i].name.data, value->len)
               == 0)
        {
            return acls[i].acl;
        }
    }

    return NGX_ERROR;
}


ngx_http_s3_err_e
ngx_http_s3_access_object_acl(ngx_http_request_t *r)
{
    ngx_uint_t        i;
    ngx_list_part_t  *part;
    ngx_table_elt_t  *h;

    part = &r->headers_in.headers.part;
    h = part->elts;

    for (i = 0; /* void */ ; i++) {

        if (i >= part->nelts) {
            if (part->next == NULL) {
                break;
            }

            part = part->next;
            h = part->elts;
            i = 0;
        }

        if (ngx_http_s3_header_prefix(&h[i], "x-amz-grant-")) {
            return NGX_HTTP_S3_ERR_ACL_NOT_SUPPORTED;
        }

        if (ngx_http_s3_header_is(&h[i], "x-amz-acl")
            && !ngx_http_s3_access_object_acl_noop(&h[i].value))
        {
            return NGX_HTTP_S3_ERR_ACL_NOT_SUPPORTED;
        }
    }

    return NGX_HTTP_S3_OK;
}


/* the object's owner has it all, and the bucket's owner too, already */

ngx_uint_t
ngx_http_s3_access_object_acl_noop(ngx_str_t *value)
{
    return (value->len == sizeof("private") - 1
            && ngx_strncasecmp(value->data, (u_char *) "private",
                               value->len) == 0)
           || (value->len == sizeof("bucket-owner-full-control") - 1
               && ngx_strncasecmp(value->data,
                                  (u_char *) "bucket-owner-full-control",
                                  value->len) == 0);
}
