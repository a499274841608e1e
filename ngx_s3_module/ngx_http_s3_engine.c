
/*
 * Copyright (C) ngx_s3 authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include <leveldb/c.h>

#include "ngx_http_s3.h"


/*
 * The storage engine: a thin layer over LevelDB's C API, the only file
 * that includes it.  Only the metadata process (or, with master_process
 * off, the single process) opens the database.
 */


static leveldb_t               *ngx_http_s3_db;
static leveldb_options_t       *ngx_http_s3_db_options;
static leveldb_readoptions_t   *ngx_http_s3_db_read;
static leveldb_writeoptions_t  *ngx_http_s3_db_write;
static leveldb_cache_t         *ngx_http_s3_db_cache;
static leveldb_filterpolicy_t  *ngx_http_s3_db_filter;


ngx_int_t
ngx_http_s3_engine_open(ngx_log_t *log, ngx_str_t *dir, ngx_uint_t sync)
{
    char       *err;
    u_char      path[NGX_MAX_PATH];
    ngx_uint_t  busy;

    if (ngx_http_s3_db) {
        return NGX_OK;
    }

    if (dir->len + sizeof("/db") > NGX_MAX_PATH) {
        ngx_log_error(NGX_LOG_EMERG, log, 0, "s3 data path too long");
        return NGX_ERROR;
    }

    ngx_memcpy(ngx_cpymem(path, dir->data, dir->len), "/db", sizeof("/db"));

    if (ngx_http_s3_db_options == NULL) {
        ngx_http_s3_db_options = leveldb_options_create();
        ngx_http_s3_db_cache = leveldb_cache_create_lru(64 * 1024 * 1024);
        ngx_http_s3_db_filter = leveldb_filterpolicy_create_bloom(10);

        leveldb_options_set_create_if_missing(ngx_http_s3_db_options, 1);
        leveldb_options_set_paranoid_checks(ngx_http_s3_db_options, 1);
        leveldb_options_set_cache(ngx_http_s3_db_options,
                                  ngx_http_s3_db_cache);
        leveldb_options_set_filter_policy(ngx_http_s3_db_options,
                                          ngx_http_s3_db_filter);
        leveldb_options_set_write_buffer_size(ngx_http_s3_db_options,
                                              16 * 1024 * 1024);
        leveldb_options_set_compression(ngx_http_s3_db_options,
                                        leveldb_no_compression);

        ngx_http_s3_db_read = leveldb_readoptions_create();
        ngx_http_s3_db_write = leveldb_writeoptions_create();
    }

    leveldb_writeoptions_set_sync(ngx_http_s3_db_write, sync ? 1 : 0);

    err = NULL;
    ngx_http_s3_db = leveldb_open(ngx_http_s3_db_options, (char *) path,
                                  &err);

    if (err == NULL) {
        ngx_log_error(NGX_LOG_NOTICE, log, 0,
                      "s3 metadata database \"%s\" opened", path);
        return NGX_OK;
    }

    /*
     * While a reload overlaps the old and the new helper, the old one
     * holds the LOCK: "IO error: lock .../LOCK: Resource temporarily
     * unavailable".  Anything else (permissions, corruption) is fatal.
     */

    busy = (ngx_strstr(err, "lock ") != NULL
            && ngx_strstr(err, "temporarily unavailable") != NULL);

    if (!busy) {
        ngx_log_error(NGX_LOG_EMERG, log, 0,
                      "s3 metadata database \"%s\" cannot be opened: %s",
                      path, err);
    }

    leveldb_free(err);
    ngx_http_s3_db = NULL;

    return busy ? NGX_AGAIN : NGX_ERROR;
}


void
ngx_http_s3_engine_close(void)
{
    if (ngx_http_s3_db) {
        leveldb_close(ngx_http_s3_db);
        ngx_http_s3_db = NULL;
    }
}


ngx_int_t
ngx_http_s3_engine_get(ngx_log_t *log, ngx_str_t *key, ngx_str_t *value)
{
    char    *err, *v;
    size_t   len;

    err = NULL;

    v = leveldb_get(ngx_http_s3_db, ngx_http_s3_db_read,
                    (const char *) key->data, key->len, &len, &err);

    if (err) {
        ngx_log_error(NGX_LOG_ALERT, log, 0,
                      "s3 metadata read failed: %s", err);
        leveldb_free(err);
        return NGX_ERROR;
    }

    if (v == NULL) {
        return NGX_DECLINED;
    }

    value->data = (u_char *) v;
    value->len = len;

    return NGX_OK;
}


void
ngx_http_s3_engine_free(ngx_str_t *value)
{
    if (value->data) {
        leveldb_free(value->data);
        value->data = NULL;
    }
}


static void
ngx_http_s3_batch_cleanup(void *data)
{
    leveldb_writebatch_destroy(data);
}


/* a write batch, destroyed with the pool */

ngx_http_s3_batch_t *
ngx_http_s3_engine_batch(ngx_pool_t *pool)
{
    ngx_pool_cleanup_t  *cln;

    cln = ngx_pool_cleanup_add(pool, 0);
    if (cln == NULL) {
        return NULL;
    }

    cln->data = leveldb_writebatch_create();
    cln->handler = ngx_http_s3_batch_cleanup;

    return cln->data;
}


void
ngx_http_s3_batch_put(ngx_http_s3_batch_t *b, ngx_str_t *key,
    ngx_str_t *value)
{
    leveldb_writebatch_put((leveldb_writebatch_t *) b,
                           (const char *) key->data, key->len,
                           (const char *) value->data, value->len);
}


void
ngx_http_s3_batch_delete(ngx_http_s3_batch_t *b, ngx_str_t *key)
{
    leveldb_writebatch_delete((leveldb_writebatch_t *) b,
                              (const char *) key->data, key->len);
}


/* applied atomically; a failure is logged with what it was for */

ngx_int_t
ngx_http_s3_engine_write(ngx_log_t *log, ngx_http_s3_batch_t *b,
    const char *what)
{
    char  *err;

    err = NULL;

    leveldb_write(ngx_http_s3_db, ngx_http_s3_db_write,
                  (leveldb_writebatch_t *) b, &err);

    if (err) {
        ngx_log_error(NGX_LOG_ALERT, log, 0,
                      "s3 metadata write failed (%s): %s", what, err);
        leveldb_free(err);
        return NGX_ERROR;
    }

    return NGX_OK;
}


ngx_http_s3_iter_t *
ngx_http_s3_engine_iter(void)
{
    return (ngx_http_s3_iter_t *) leveldb_create_iterator(ngx_http_s3_db,
                                                       ngx_http_s3_db_read);
}


void
ngx_http_s3_iter_seek(ngx_http_s3_iter_t *it, u_char *key, size_t len)
{
    leveldb_iter_seek((leveldb_iterator_t *) it, (const char *) key, len);
}


ngx_uint_t
ngx_http_s3_iter_valid(ngx_http_s3_iter_t *it)
{
    return leveldb_iter_valid((leveldb_iterator_t *) it);
}


void
ngx_http_s3_iter_key(ngx_http_s3_iter_t *it, ngx_str_t *key)
{
    size_t  len;

    key->data = (u_char *) leveldb_iter_key((leveldb_iterator_t *) it, &len);
    key->len = len;
}


void
ngx_http_s3_iter_value(ngx_http_s3_iter_t *it, ngx_str_t *value)
{
    size_t  len;

    value->data = (u_char *) leveldb_iter_value((leveldb_iterator_t *) it,
                                                &len);
    value->len = len;
}


void
ngx_http_s3_iter_next(ngx_http_s3_iter_t *it)
{
    leveldb_iter_next((leveldb_iterator_t *) it);
}


void
ngx_http_s3_iter_destroy(ngx_http_s3_iter_t *it)
{
    leveldb_iter_destroy((leveldb_iterator_t *) it);
}


/*
 * After a loop ends (the iterator is not valid): NGX_OK if it reached the
 * end, NGX_ERROR (logged) if a read failed and what it gave is short.
 */

ngx_int_t
ngx_http_s3_iter_status(ngx_log_t *log, ngx_http_s3_iter_t *it)
{
    char  *err;

    err = NULL;

    leveldb_iter_get_error((leveldb_iterator_t *) it, &err);

    if (err) {
        ngx_log_error(NGX_LOG_ALERT, log, 0,
                      "s3 metadata scan failed: %s", err);
        leveldb_free(err);
        return NGX_ERROR;
    }

    return NGX_OK;
}
