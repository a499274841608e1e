
/*
 * Copyright (C) ngx_s3 authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_s3.h"
#include "ngx_http_s3_srv.h"


/*
 * The metadata side of users and access keys:
 *
 *     A <user id>         user record
 *     K <access key>      access key record, its secret sealed
 *
 * Secrets are sealed with the current key of s3_key_file and opened with
 * whichever key of the file sealed them.  KEY_GET answers the plain secret
 * (workers verify signatures with it); nothing else leaves this process or
 * reaches the database in the clear.
 */


typedef struct {
    ngx_str_t                  id;
    ngx_str_t                  rec;
    uint32_t                   keys;
    uint32_t                   buckets;
} ngx_http_s3_user_count_t;


typedef struct {
    ngx_str_t                 *user;
    ngx_uint_t                 n;
    ngx_uint_t                 missing;
    ngx_uint_t                 failed;
} ngx_http_s3_keys_scan_t;


static ngx_int_t ngx_http_s3_users_scan(ngx_http_s3_exec_t *ex,
    ngx_str_t *key, ngx_str_t *value, void *data);
static ngx_int_t ngx_http_s3_users_count_keys(ngx_http_s3_exec_t *ex,
    ngx_str_t *key, ngx_str_t *value, void *data);
static ngx_int_t ngx_http_s3_users_count_buckets(ngx_http_s3_exec_t *ex,
    ngx_str_t *key, ngx_str_t *value, void *data);
static ngx_http_s3_user_count_t *ngx_http_s3_users_find(ngx_array_t *users,
    ngx_str_t *id);
static ngx_int_t ngx_http_s3_user_owns(ngx_http_s3_exec_t *ex,
    ngx_str_t *key, ngx_str_t *value, void *data);
static ngx_int_t ngx_http_s3_user_keys_delete(ngx_http_s3_exec_t *ex,
    ngx_str_t *key, ngx_str_t *value, void *data);
static ngx_int_t ngx_http_s3_keys_list(ngx_http_s3_exec_t *ex,
    ngx_str_t *key, ngx_str_t *value, void *data);
static ngx_int_t ngx_http_s3_keys_reseal(ngx_http_s3_exec_t *ex,
    ngx_str_t *key, ngx_str_t *value, void *data);
static ngx_uint_t ngx_http_s3_key_read(ngx_http_s3_exec_t *ex,
    ngx_str_t *ak, ngx_str_t *k, ngx_http_s3_akey_t *rec);
static ngx_uint_t ngx_http_s3_user_exists(ngx_http_s3_exec_t *ex,
    ngx_str_t *id, ngx_str_t *rec);
static ngx_int_t ngx_http_s3_key_seal(ngx_http_s3_exec_t *ex,
    ngx_http_s3_master_key_t *mk, ngx_str_t *ak, ngx_str_t *plain,
    ngx_str_t *sealed);
static void ngx_http_s3_put_u32_at(ngx_http_s3_wbuf_t *b, size_t at,
    uint32_t n);
static ngx_int_t ngx_http_s3_srv_copy(ngx_http_s3_exec_t *ex,
    ngx_str_t *dst, ngx_str_t *src);


ngx_uint_t
ngx_http_s3_op_user_create(ngx_http_s3_exec_t *ex)
{
    ngx_int_t           rc;
    ngx_str_t           rec, k, v;
    ngx_http_s3_user_t  u;

    ngx_http_s3_wire_get_str(&ex->req, &rec);

    if (ex->req.error
        || ngx_http_s3_user_decode(&rec, &u) != NGX_OK
        || !ngx_http_s3_valid_user_id(&u.id)
        || !ngx_http_s3_valid_display_name(&u.name))
    {
        return NGX_HTTP_S3_WIRE_ST_BAD_REQUEST;
    }

    if (ngx_http_s3_srv_key(ex, &k, 'A', &u.id, NULL) != NGX_OK) {
        return NGX_HTTP_S3_WIRE_ST_ERROR;
    }

    rc = ngx_http_s3_engine_get(ex->log, &k, &v);

    if (rc == NGX_ERROR) {
        return NGX_HTTP_S3_WIRE_ST_ERROR;
    }

    if (rc == NGX_OK) {
        /* the same record again is a replay of a request that succeeded */

        if (v.len == rec.len && ngx_memcmp(v.data, rec.data, v.len) == 0) {
            ngx_http_s3_engine_free(&v);
            return NGX_HTTP_S3_WIRE_ST_OK;
        }

        ngx_http_s3_wire_put_raw(ex->out, v.data, v.len);
        ngx_http_s3_engine_free(&v);

        return NGX_HTTP_S3_WIRE_ST_EXISTS;
    }

    ngx_http_s3_batch_put(ex->batch, &k, &rec);

    if (ngx_http_s3_engine_write(ex->log, ex->batch, "CreateUser") != NGX_OK) {
        return NGX_HTTP_S3_WIRE_ST_ERROR;
    }

    return NGX_HTTP_S3_WIRE_ST_OK;
}


/* every user, with how many keys and buckets each has */

ngx_uint_t
ngx_http_s3_op_user_list(ngx_http_s3_exec_t *ex)
{
    size_t                     at;
    ngx_str_t                  prefix;
    ngx_uint_t                 i;
    ngx_array_t               *users;
    ngx_http_s3_user_count_t  *uc;

    users = ngx_array_create(ex->pool, 16, sizeof(ngx_http_s3_user_count_t));
    if (users == NULL) {
        return NGX_HTTP_S3_WIRE_ST_ERROR;
    }

    /* user records come in id order: the array is sorted */

    ngx_str_set(&prefix, "A");

    if (ngx_http_s3_srv_scan(ex, &prefix, ngx_http_s3_users_scan, users)
        != NGX_OK)
    {
        return NGX_HTTP_S3_WIRE_ST_ERROR;
    }

    if (users->nelts) {
        ngx_str_set(&prefix, "K");

        if (ngx_http_s3_srv_scan(ex, &prefix, ngx_http_s3_users_count_keys,
                                 users)
            != NGX_OK)
        {
            return NGX_HTTP_S3_WIRE_ST_ERROR;
        }

        ngx_str_set(&prefix, "B");

        if (ngx_http_s3_srv_scan(ex, &prefix,
                                 ngx_http_s3_users_count_buckets, users)
            != NGX_OK)
        {
            return NGX_HTTP_S3_WIRE_ST_ERROR;
        }
    }

    at = ex->out->pos - ex->out->start;
    ngx_http_s3_wire_put_u32(ex->out, 0);

    uc = users->elts;

    for (i = 0; i < users->nelts; i++) {
        ngx_http_s3_wire_put_str(ex->out, &uc[i].rec);
        ngx_http_s3_wire_put_u32(ex->out, uc[i].keys);
        ngx_http_s3_wire_put_u32(ex->out, uc[i].buckets);
    }

    ngx_http_s3_put_u32_at(ex->out, at, (uint32_t) users->nelts);

    return ex->out->error ? NGX_HTTP_S3_WIRE_ST_ERROR
                          : NGX_HTTP_S3_WIRE_ST_OK;
}


static ngx_int_t
ngx_http_s3_users_scan(ngx_http_s3_exec_t *ex, ngx_str_t *key,
    ngx_str_t *value, void *data)
{
    ngx_array_t *users = data;

    ngx_http_s3_user_t         u;
    ngx_http_s3_user_count_t  *uc;

    uc = ngx_array_push(users);
    if (uc == NULL) {
        return NGX_ERROR;
    }

    ngx_memzero(uc, sizeof(ngx_http_s3_user_count_t));

    if (ngx_http_s3_srv_copy(ex, &uc->rec, value) != NGX_OK) {
        return NGX_ERROR;
    }

    if (ngx_http_s3_user_decode(&uc->rec, &u) != NGX_OK) {
        ngx_log_error(NGX_LOG_ALERT, ex->log, 0,
                      "s3 user record \"%*s\" is damaged",
                      key->len - 1, key->data + 1);
        users->nelts--;
        return NGX_OK;
    }

    uc->id = u.id;

    return NGX_OK;
}


static ngx_int_t
ngx_http_s3_users_count_keys(ngx_http_s3_exec_t *ex, ngx_str_t *key,
    ngx_str_t *value, void *data)
{
    ngx_array_t *users = data;

    ngx_http_s3_akey_t         k;
    ngx_http_s3_user_count_t  *uc;

    if (ngx_http_s3_akey_decode(value, &k) == NGX_OK) {
        uc = ngx_http_s3_users_find(users, &k.user);

        if (uc) {
            uc->keys++;
        }
    }

    return NGX_OK;
}


static ngx_int_t
ngx_http_s3_users_count_buckets(ngx_http_s3_exec_t *ex, ngx_str_t *key,
    ngx_str_t *value, void *data)
{
    ngx_array_t *users = data;

    ngx_http_s3_bucket_t       bk;
    ngx_http_s3_user_count_t  *uc;

    if (ngx_http_s3_bucket_decode(value, &bk) == NGX_OK
        && bk.owner_user.len)
    {
        uc = ngx_http_s3_users_find(users, &bk.owner_user);

        if (uc) {
            uc->buckets++;
        }
    }

    return NGX_OK;
}


/* binary search: the array is in id order */

static ngx_http_s3_user_count_t *
ngx_http_s3_users_find(ngx_array_t *users, ngx_str_t *id)
{
    ngx_int_t                  rc;
    ngx_uint_t                 lo, hi, mid;
    ngx_http_s3_user_count_t  *uc;

    uc = users->elts;
    lo = 0;
    hi = users->nelts;

    while (lo < hi) {
        mid = lo + (hi - lo) / 2;

        rc = ngx_memn2cmp(uc[mid].id.data, id->data, uc[mid].id.len,
                          id->len);

        if (rc == 0) {
            return &uc[mid];
        }

        if (rc < 0) {
            lo = mid + 1;

        } else {
            hi = mid;
        }
    }

    return NULL;
}


/* a user who owns a bucket stays; its keys and grants go with it */

ngx_uint_t
ngx_http_s3_op_user_delete(ngx_http_s3_exec_t *ex)
{
    ngx_str_t                id, k, prefix;
    ngx_uint_t               st;
    ngx_http_s3_keys_scan_t  ks;

    ngx_http_s3_wire_get_str(&ex->req, &id);

    if (ex->req.error || !ngx_http_s3_valid_user_id(&id)) {
        return NGX_HTTP_S3_WIRE_ST_BAD_REQUEST;
    }

    st = ngx_http_s3_user_exists(ex, &id, NULL);

    if (st != NGX_HTTP_S3_WIRE_ST_OK) {
        return st;
    }

    ngx_memzero(&ks, sizeof(ngx_http_s3_keys_scan_t));
    ks.user = &id;

    ngx_str_set(&prefix, "B");

    if (ngx_http_s3_srv_scan(ex, &prefix, ngx_http_s3_user_owns, &ks)
        != NGX_OK)
    {
        return NGX_HTTP_S3_WIRE_ST_ERROR;
    }

    if (ks.n) {
        return NGX_HTTP_S3_WIRE_ST_NOT_EMPTY;
    }

    ngx_str_set(&prefix, "K");

    if (ngx_http_s3_srv_scan(ex, &prefix, ngx_http_s3_user_keys_delete, &ks)
        != NGX_OK)
    {
        return NGX_HTTP_S3_WIRE_ST_ERROR;
    }

    if (ngx_http_s3_srv_grants_drop(ex, NULL, &id) != NGX_OK) {
        return NGX_HTTP_S3_WIRE_ST_ERROR;
    }

    if (ngx_http_s3_srv_key(ex, &k, 'A', &id, NULL) != NGX_OK) {
        return NGX_HTTP_S3_WIRE_ST_ERROR;
    }

    ngx_http_s3_batch_delete(ex->batch, &k);

    if (ngx_http_s3_engine_write(ex->log, ex->batch, "DeleteUser") != NGX_OK) {
        return NGX_HTTP_S3_WIRE_ST_ERROR;
    }

    ngx_http_s3_srv_access_changed();

    return NGX_HTTP_S3_WIRE_ST_OK;
}


static ngx_int_t
ngx_http_s3_user_owns(ngx_http_s3_exec_t *ex, ngx_str_t *key,
    ngx_str_t *value, void *data)
{
    ngx_http_s3_keys_scan_t *ks = data;

    ngx_http_s3_bucket_t  bk;

    if (ngx_http_s3_bucket_decode(value, &bk) == NGX_OK
        && bk.owner_user.len == ks->user->len
        && ngx_strncmp(bk.owner_user.data, ks->user->data, ks->user->len)
           == 0)
    {
        ks->n++;
        return NGX_DONE;
    }

    return NGX_OK;
}


static ngx_int_t
ngx_http_s3_user_keys_delete(ngx_http_s3_exec_t *ex, ngx_str_t *key,
    ngx_str_t *value, void *data)
{
    ngx_http_s3_keys_scan_t *ks = data;

    ngx_http_s3_akey_t  k;

    if (ngx_http_s3_akey_decode(value, &k) == NGX_OK
        && k.user.len == ks->user->len
        && ngx_strncmp(k.user.data, ks->user->data, k.user.len) == 0)
    {
        /* the batch copies the key */
        ngx_http_s3_batch_delete(ex->batch, key);
        ks->n++;
    }

    return NGX_OK;
}


ngx_uint_t
ngx_http_s3_op_key_create(ngx_http_s3_exec_t *ex)
{
    uint64_t                   created;
    ngx_int_t                  rc;
    ngx_str_t                  ak, user, secret, k, v, rec;
    ngx_uint_t                 st;
    ngx_http_s3_wbuf_t         b;
    ngx_http_s3_akey_t         key, old;
    ngx_http_s3_main_conf_t   *smcf;
    ngx_http_s3_master_key_t  *mk;

    ngx_http_s3_wire_get_str(&ex->req, &ak);
    ngx_http_s3_wire_get_str(&ex->req, &user);
    ngx_http_s3_wire_get_str(&ex->req, &secret);
    created = ngx_http_s3_wire_get_u64(&ex->req);

    if (ex->req.error
        || !ngx_http_s3_valid_access_key(&ak)
        || !ngx_http_s3_valid_user_id(&user)
        || secret.len == 0 || secret.len > NGX_HTTP_S3_MAX_SECRET_LEN)
    {
        return NGX_HTTP_S3_WIRE_ST_BAD_REQUEST;
    }

    smcf = ngx_http_s3_srv_conf();

    if (smcf == NULL || smcf->master_keys == NULL) {
        ngx_log_error(NGX_LOG_ERR, ex->log, 0,
                      "s3 access keys cannot be created: no s3_key_file");
        return NGX_HTTP_S3_WIRE_ST_ERROR;
    }

    st = ngx_http_s3_user_exists(ex, &user, NULL);

    if (st != NGX_HTTP_S3_WIRE_ST_OK) {
        return st;
    }

    if (ngx_http_s3_srv_key(ex, &k, 'K', &ak, NULL) != NGX_OK) {
        return NGX_HTTP_S3_WIRE_ST_ERROR;
    }

    rc = ngx_http_s3_engine_get(ex->log, &k, &v);

    if (rc == NGX_ERROR) {
        return NGX_HTTP_S3_WIRE_ST_ERROR;
    }

    if (rc == NGX_OK) {

        /* the same key for the same user: a replay */

        st = NGX_HTTP_S3_WIRE_ST_EXISTS;

        if (ngx_http_s3_akey_decode(&v, &old) == NGX_OK
            && old.user.len == user.len
            && ngx_strncmp(old.user.data, user.data, user.len) == 0)
        {
            st = NGX_HTTP_S3_WIRE_ST_OK;
        }

        ngx_http_s3_engine_free(&v);

        return st;
    }

    mk = smcf->master_keys->elts;

    ngx_memzero(&key, sizeof(ngx_http_s3_akey_t));

    key.access_key = ak;
    key.user = user;
    key.status = NGX_HTTP_S3_KEY_ENABLED;
    key.created = created;

    if (ngx_http_s3_key_seal(ex, &mk[0], &ak, &secret, &key.secret)
        != NGX_OK)
    {
        return NGX_HTTP_S3_WIRE_ST_ERROR;
    }

    /* the plain secret is not kept in this process's memory */

    ngx_explicit_memzero(secret.data, secret.len);

    if (ngx_http_s3_wbuf_init(&b, ex->pool, 128 + ak.len + user.len
                                            + key.secret.len)
        != NGX_OK)
    {
        return NGX_HTTP_S3_WIRE_ST_ERROR;
    }

    ngx_http_s3_akey_encode(&b, &key);

    if (b.error) {
        return NGX_HTTP_S3_WIRE_ST_ERROR;
    }

    rec.data = b.start;
    rec.len = b.pos - b.start;

    ngx_http_s3_batch_put(ex->batch, &k, &rec);

    if (ngx_http_s3_engine_write(ex->log, ex->batch, "CreateAccessKey")
        != NGX_OK)
    {
        return NGX_HTTP_S3_WIRE_ST_ERROR;
    }

    /* workers may hold "no such key" for it */
    ngx_http_s3_srv_access_changed();

    return NGX_HTTP_S3_WIRE_ST_OK;
}


static ngx_int_t
ngx_http_s3_key_seal(ngx_http_s3_exec_t *ex, ngx_http_s3_master_key_t *mk,
    ngx_str_t *ak, ngx_str_t *plain, ngx_str_t *sealed)
{
    sealed->len = ngx_http_s3_secret_sealed_len(plain->len);
    sealed->data = ngx_pnalloc(ex->pool, sealed->len);

    if (sealed->data == NULL) {
        return NGX_ERROR;
    }

    if (ngx_http_s3_secret_seal(mk, ak, plain, sealed->data) != NGX_OK) {
        ngx_log_error(NGX_LOG_ALERT, ex->log, 0,
                      "s3 access key \"%V\": sealing the secret failed", ak);
        return NGX_ERROR;
    }

    return NGX_OK;
}


ngx_uint_t
ngx_http_s3_op_key_get(ngx_http_s3_exec_t *ex)
{
    ngx_int_t                 rc;
    ngx_str_t                 ak, k, plain, urec;
    ngx_uint_t                st, which, n;
    ngx_http_s3_user_t        u;
    ngx_http_s3_akey_t        key;
    ngx_http_s3_main_conf_t  *smcf;

    ngx_http_s3_wire_get_str(&ex->req, &ak);

    if (ex->req.error || !ngx_http_s3_valid_access_key(&ak)) {
        return NGX_HTTP_S3_WIRE_ST_BAD_REQUEST;
    }

    st = ngx_http_s3_key_read(ex, &ak, &k, &key);

    if (st != NGX_HTTP_S3_WIRE_ST_OK) {
        return st;
    }

    smcf = ngx_http_s3_srv_conf();
    n = (smcf && smcf->master_keys) ? smcf->master_keys->nelts : 0;

    plain.data = ngx_pnalloc(ex->pool, key.secret.len);
    if (plain.data == NULL) {
        return NGX_HTTP_S3_WIRE_ST_ERROR;
    }

    rc = n ? ngx_http_s3_secret_open(smcf->master_keys->elts, n, &ak,
                                     &key.secret, &plain, &which)
           : NGX_DECLINED;

    if (rc == NGX_DECLINED) {
        ngx_log_error(NGX_LOG_ALERT, ex->log, 0,
                      "s3 access key \"%V\": its secret is sealed with a key "
                      "that s3_key_file does not hold", &ak);
        return NGX_HTTP_S3_WIRE_ST_ERROR;
    }

    if (rc != NGX_OK) {
        ngx_log_error(NGX_LOG_ALERT, ex->log, 0,
                      "s3 access key \"%V\": its sealed secret is damaged",
                      &ak);
        return NGX_HTTP_S3_WIRE_ST_ERROR;
    }

    /* the display name; a missing user record leaves the id */

    if (ngx_http_s3_user_exists(ex, &key.user, &urec)
        != NGX_HTTP_S3_WIRE_ST_OK
        || ngx_http_s3_user_decode(&urec, &u) != NGX_OK
        || u.name.len == 0)
    {
        u.name = key.user;
    }

    ngx_http_s3_wire_put_str(ex->out, &key.user);
    ngx_http_s3_wire_put_u8(ex->out, (uint8_t) key.status);
    ngx_http_s3_wire_put_str(ex->out, &plain);
    ngx_http_s3_wire_put_str(ex->out, &u.name);

    ngx_explicit_memzero(plain.data, plain.len);

    return ex->out->error ? NGX_HTTP_S3_WIRE_ST_ERROR
                          : NGX_HTTP_S3_WIRE_ST_OK;
}


ngx_uint_t
ngx_http_s3_op_key_list(ngx_http_s3_exec_t *ex)
{
    size_t                   at;
    ngx_str_t                user, prefix;
    ngx_http_s3_keys_scan_t  ks;

    ngx_http_s3_wire_get_str(&ex->req, &user);

    if (ex->req.error) {
        return NGX_HTTP_S3_WIRE_ST_BAD_REQUEST;
    }

    if (user.len) {
        if (!ngx_http_s3_valid_user_id(&user)) {
            return NGX_HTTP_S3_WIRE_ST_BAD_REQUEST;
        }

        if (ngx_http_s3_user_exists(ex, &user, NULL)
            != NGX_HTTP_S3_WIRE_ST_OK)
        {
            return NGX_HTTP_S3_WIRE_ST_NO_USER;
        }
    }

    at = ex->out->pos - ex->out->start;
    ngx_http_s3_wire_put_u32(ex->out, 0);

    ngx_memzero(&ks, sizeof(ngx_http_s3_keys_scan_t));
    ks.user = &user;

    ngx_str_set(&prefix, "K");

    if (ngx_http_s3_srv_scan(ex, &prefix, ngx_http_s3_keys_list, &ks)
        != NGX_OK)
    {
        return NGX_HTTP_S3_WIRE_ST_ERROR;
    }

    ngx_http_s3_put_u32_at(ex->out, at, (uint32_t) ks.n);

    return ex->out->error ? NGX_HTTP_S3_WIRE_ST_ERROR
                          : NGX_HTTP_S3_WIRE_ST_OK;
}


static ngx_int_t
ngx_http_s3_keys_list(ngx_http_s3_exec_t *ex, ngx_str_t *key,
    ngx_str_t *value, void *data)
{
    ngx_http_s3_keys_scan_t *ks = data;

    size_t              start, len;
    u_char             *p;
    ngx_http_s3_akey_t  k;

    if (ngx_http_s3_akey_decode(value, &k) != NGX_OK) {
        ngx_log_error(NGX_LOG_ALERT, ex->log, 0,
                      "s3 access key record \"%*s\" is damaged",
                      key->len - 1, key->data + 1);
        return NGX_OK;
    }

    if (ks->user->len
        && (k.user.len != ks->user->len
            || ngx_strncmp(k.user.data, ks->user->data, k.user.len) != 0))
    {
        return NGX_OK;
    }

    /* the record without its secret: str(record) */

    ngx_str_null(&k.secret);

    start = ex->out->pos - ex->out->start;
    ngx_http_s3_wire_put_u32(ex->out, 0);
    ngx_http_s3_akey_encode(ex->out, &k);

    if (ex->out->error) {
        return NGX_ERROR;
    }

    p = ex->out->start + start;
    len = ex->out->pos - p - 4;
    ngx_http_s3_put_u32_at(ex->out, start, (uint32_t) len);

    ks->n++;

    return NGX_OK;
}


ngx_uint_t
ngx_http_s3_op_key_status(ngx_http_s3_exec_t *ex)
{
    uint8_t              status;
    ngx_str_t            ak, k, rec;
    ngx_uint_t           st;
    ngx_http_s3_wbuf_t   b;
    ngx_http_s3_akey_t   key;

    ngx_http_s3_wire_get_str(&ex->req, &ak);
    status = ngx_http_s3_wire_get_u8(&ex->req);

    if (ex->req.error || !ngx_http_s3_valid_access_key(&ak)
        || (status != NGX_HTTP_S3_KEY_ENABLED
            && status != NGX_HTTP_S3_KEY_DISABLED))
    {
        return NGX_HTTP_S3_WIRE_ST_BAD_REQUEST;
    }

    st = ngx_http_s3_key_read(ex, &ak, &k, &key);

    if (st != NGX_HTTP_S3_WIRE_ST_OK) {
        return st;
    }

    if (key.status == status) {
        return NGX_HTTP_S3_WIRE_ST_OK;
    }

    key.status = status;

    if (ngx_http_s3_wbuf_init(&b, ex->pool, 128 + ak.len + key.user.len
                                            + key.secret.len)
        != NGX_OK)
    {
        return NGX_HTTP_S3_WIRE_ST_ERROR;
    }

    ngx_http_s3_akey_encode(&b, &key);

    if (b.error) {
        return NGX_HTTP_S3_WIRE_ST_ERROR;
    }

    rec.data = b.start;
    rec.len = b.pos - b.start;

    ngx_http_s3_batch_put(ex->batch, &k, &rec);

    if (ngx_http_s3_engine_write(ex->log, ex->batch,
                                 status == NGX_HTTP_S3_KEY_ENABLED
                                 ? "EnableAccessKey" : "DisableAccessKey")
        != NGX_OK)
    {
        return NGX_HTTP_S3_WIRE_ST_ERROR;
    }

    ngx_http_s3_srv_access_changed();

    return NGX_HTTP_S3_WIRE_ST_OK;
}


ngx_uint_t
ngx_http_s3_op_key_delete(ngx_http_s3_exec_t *ex)
{
    ngx_str_t           ak, k;
    ngx_uint_t          st;
    ngx_http_s3_akey_t  key;

    ngx_http_s3_wire_get_str(&ex->req, &ak);

    if (ex->req.error || !ngx_http_s3_valid_access_key(&ak)) {
        return NGX_HTTP_S3_WIRE_ST_BAD_REQUEST;
    }

    st = ngx_http_s3_key_read(ex, &ak, &k, &key);

    if (st != NGX_HTTP_S3_WIRE_ST_OK) {
        return st;
    }

    ngx_http_s3_batch_delete(ex->batch, &k);

    if (ngx_http_s3_engine_write(ex->log, ex->batch, "DeleteAccessKey")
        != NGX_OK)
    {
        return NGX_HTTP_S3_WIRE_ST_ERROR;
    }

    ngx_http_s3_srv_access_changed();

    return NGX_HTTP_S3_WIRE_ST_OK;
}


/*
 * At open: secrets sealed with an older key of s3_key_file (not the
 * first) are sealed with the current one, so that the older key can
 * leave the file (docs/directives.md: rotation)
 */

ngx_int_t
ngx_http_s3_srv_keys_reseal(ngx_log_t *log)
{
    ngx_str_t                 prefix;
    ngx_http_s3_exec_t        ex;
    ngx_http_s3_keys_scan_t   ks;
    ngx_http_s3_main_conf_t  *smcf;

    smcf = ngx_http_s3_srv_conf();

    if (smcf == NULL || smcf->master_keys == NULL) {
        return NGX_OK;
    }

    ngx_memzero(&ex, sizeof(ngx_http_s3_exec_t));

    ex.log = log;
    ex.pool = ngx_create_pool(4096, log);
    if (ex.pool == NULL) {
        return NGX_ERROR;
    }

    ex.batch = ngx_http_s3_engine_batch(ex.pool);
    if (ex.batch == NULL) {
        ngx_destroy_pool(ex.pool);
        return NGX_ERROR;
    }

    ngx_memzero(&ks, sizeof(ngx_http_s3_keys_scan_t));
    ngx_str_set(&prefix, "K");

    if (ngx_http_s3_srv_scan(&ex, &prefix, ngx_http_s3_keys_reseal, &ks)
        != NGX_OK)
    {
        ngx_destroy_pool(ex.pool);
        return NGX_OK;
    }

    if (ks.n) {
        if (ngx_http_s3_engine_write(log, ex.batch, "reseal access keys")
            == NGX_OK)
        {
            ngx_log_error(NGX_LOG_NOTICE, log, 0,
                          "s3: %ui access key secrets sealed anew with the "
                          "current s3_key_file key", ks.n);
        }
    }

    if (ks.missing) {
        ngx_log_error(NGX_LOG_WARN, log, 0,
                      "s3: %ui access key secrets are sealed with a key "
                      "that s3_key_file does not hold: those keys cannot "
                      "be used", ks.missing);
    }

    if (ks.failed) {
        ngx_log_error(NGX_LOG_ALERT, log, 0,
                      "s3: %ui sealed access key secrets are damaged",
                      ks.failed);
    }

    ngx_destroy_pool(ex.pool);

    return NGX_OK;
}


static ngx_int_t
ngx_http_s3_keys_reseal(ngx_http_s3_exec_t *ex, ngx_str_t *key,
    ngx_str_t *value, void *data)
{
    ngx_http_s3_keys_scan_t *ks = data;

    u_char                    *id;
    size_t                     size;
    ngx_int_t                  rc;
    ngx_str_t                  plain, rec;
    ngx_uint_t                 which;
    ngx_http_s3_wbuf_t         b;
    ngx_http_s3_akey_t         k;
    ngx_http_s3_main_conf_t   *smcf;
    ngx_http_s3_master_key_t  *mk;

    smcf = ngx_http_s3_srv_conf();
    mk = smcf->master_keys->elts;

    if (ngx_http_s3_akey_decode(value, &k) != NGX_OK) {
        ks->failed++;
        return NGX_OK;
    }

    id = ngx_http_s3_secret_key_id(&k.secret);

    if (id == NULL) {
        ks->failed++;
        return NGX_OK;
    }

    if (ngx_memcmp(id, mk[0].id, NGX_HTTP_S3_MASTER_KEY_ID_LEN) == 0) {
        return NGX_OK;
    }

    plain.data = ngx_pnalloc(ex->pool, k.secret.len);
    if (plain.data == NULL) {
        return NGX_ERROR;
    }

    rc = ngx_http_s3_secret_open(mk, smcf->master_keys->nelts,
                                 &k.access_key, &k.secret, &plain, &which);

    if (rc == NGX_DECLINED) {
        ks->missing++;
        return NGX_OK;
    }

    if (rc != NGX_OK) {
        ks->failed++;
        return NGX_OK;
    }

    rc = ngx_http_s3_key_seal(ex, &mk[0], &k.access_key, &plain, &k.secret);

    ngx_explicit_memzero(plain.data, plain.len);

    if (rc != NGX_OK) {
        return NGX_ERROR;
    }

    size = 128 + k.access_key.len + k.user.len + k.secret.len;

    if (ngx_http_s3_wbuf_init(&b, ex->pool, size) != NGX_OK) {
        return NGX_ERROR;
    }

    ngx_http_s3_akey_encode(&b, &k);

    if (b.error) {
        return NGX_ERROR;
    }

    rec.data = b.start;
    rec.len = b.pos - b.start;

    ngx_http_s3_batch_put(ex->batch, key, &rec);
    ks->n++;

    return NGX_OK;
}


/* the record of an access key: ST_OK with rec (and its key k), NO_KEY */

static ngx_uint_t
ngx_http_s3_key_read(ngx_http_s3_exec_t *ex, ngx_str_t *ak, ngx_str_t *k,
    ngx_http_s3_akey_t *rec)
{
    ngx_int_t  rc;
    ngx_str_t  v, copy;

    if (ngx_http_s3_srv_key(ex, k, 'K', ak, NULL) != NGX_OK) {
        return NGX_HTTP_S3_WIRE_ST_ERROR;
    }

    rc = ngx_http_s3_engine_get(ex->log, k, &v);

    if (rc == NGX_DECLINED) {
        return NGX_HTTP_S3_WIRE_ST_NO_KEY;
    }

    if (rc != NGX_OK) {
        return NGX_HTTP_S3_WIRE_ST_ERROR;
    }

    rc = ngx_http_s3_srv_copy(ex, &copy, &v);

    ngx_http_s3_engine_free(&v);

    if (rc != NGX_OK) {
        return NGX_HTTP_S3_WIRE_ST_ERROR;
    }

    if (ngx_http_s3_akey_decode(&copy, rec) != NGX_OK) {
        ngx_log_error(NGX_LOG_ALERT, ex->log, 0,
                      "s3 access key record \"%V\" is damaged", ak);
        return NGX_HTTP_S3_WIRE_ST_ERROR;
    }

    return NGX_HTTP_S3_WIRE_ST_OK;
}


/* ST_OK (and the record, if rec), NO_USER or ERROR */

static ngx_uint_t
ngx_http_s3_user_exists(ngx_http_s3_exec_t *ex, ngx_str_t *id,
    ngx_str_t *rec)
{
    ngx_int_t  rc;
    ngx_str_t  k, v;

    if (ngx_http_s3_srv_key(ex, &k, 'A', id, NULL) != NGX_OK) {
        return NGX_HTTP_S3_WIRE_ST_ERROR;
    }

    rc = ngx_http_s3_engine_get(ex->log, &k, &v);

    if (rc == NGX_DECLINED) {
        return NGX_HTTP_S3_WIRE_ST_NO_USER;
    }

    if (rc != NGX_OK) {
        return NGX_HTTP_S3_WIRE_ST_ERROR;
    }

    if (rec) {
        rc = ngx_http_s3_srv_copy(ex, rec, &v);

    } else {
        rc = NGX_OK;
    }

    ngx_http_s3_engine_free(&v);

    return (rc == NGX_OK) ? NGX_HTTP_S3_WIRE_ST_OK
                          : NGX_HTTP_S3_WIRE_ST_ERROR;
}


static void
ngx_http_s3_put_u32_at(ngx_http_s3_wbuf_t *b, size_t at, uint32_t n)
{
    u_char  *p;

    if (b->error) {
        return;
    }

    p = b->start + at;
    p[0] = (u_char) (n >> 24);
    p[1] = (u_char) (n >> 16);
    p[2] = (u_char) (n >> 8);
    p[3] = (u_char) n;
}


static ngx_int_t
ngx_http_s3_srv_copy(ngx_http_s3_exec_t *ex, ngx_str_t *dst, ngx_str_t *src)
{
    dst->len = src->len;
    dst->data = ngx_pnalloc(ex->pool, src->len ? src->len : 1);

    if (dst->data == NULL) {
        return NGX_ERROR;
    }

    ngx_memcpy(dst->data, src->data, src->len);

    return NGX_OK;
}
