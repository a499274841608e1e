
/*
 * Copyright (C) ngx_s3 authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include <sys/statvfs.h>

#include <leveldb/c.h>

#include "ngx_http_s3.h"
#include "ngx_http_s3_fault.h"
#include "ngx_http_s3_rcache.h"


/*
 * The storage engine: a thin layer over LevelDB's C API, the only file
 * that includes it.  Only the metadata process (or, with master_process
 * off, the single process) opens the database.
 *
 * Every failed read, scan or write is logged at crit with the operation
 * and LevelDB's reason, and is an error for the caller, never a miss or a
 * short answer.  After a failed write no write reaches LevelDB again until
 * the database is reopened (ngx_http_s3_engine_write_failed()): the log
 * may end in a torn record, and LevelDB itself refuses every write after a
 * failed sync or a failed background compaction.  Reads go on meanwhile.
 * A database that is not open (it could not be, or a reopen failed)
 * answers every call with an error.
 */


#define NGX_HTTP_S3_ENGINE_ERR_LEN  256


static void ngx_http_s3_engine_log(ngx_log_t *log, const char *kind,
    const char *what, const char *err);
static void ngx_http_s3_engine_write_error(ngx_log_t *log, const char *what,
    const char *err);
static off_t ngx_http_s3_engine_files(char *suffix);
static void ngx_http_s3_engine_put_changed(void *data, const char *key,
    size_t klen, const char *value, size_t vlen);
static void ngx_http_s3_engine_delete_changed(void *data, const char *key,
    size_t klen);
static ngx_int_t ngx_http_s3_engine_sync_logs(ngx_log_t *log,
    ngx_uint_t all);
#if (NGX_HTTP_S3_FAULTS)
static char *ngx_http_s3_engine_fault(ngx_log_t *log, ngx_uint_t point);
#endif


static leveldb_t               *ngx_http_s3_db;
static leveldb_options_t       *ngx_http_s3_db_options;
static leveldb_readoptions_t   *ngx_http_s3_db_read;
static leveldb_writeoptions_t  *ngx_http_s3_db_write;
static leveldb_writeoptions_t  *ngx_http_s3_db_nosync;
static ngx_uint_t               ngx_http_s3_db_sync;
static leveldb_cache_t         *ngx_http_s3_db_cache;
static leveldb_filterpolicy_t  *ngx_http_s3_db_filter;
static u_char                   ngx_http_s3_db_path[NGX_MAX_PATH];

/*
 * group commit: writes of a group are not synced each, the group is
 * (ngx_http_s3_engine_sync()); the writes since the last sync, and the
 * newest old log file synced
 */
static ngx_uint_t               ngx_http_s3_db_group;
static ngx_uint_t               ngx_http_s3_db_dirty;
static uint64_t                 ngx_http_s3_db_old_log;

/* the operation being executed, for the log */
static const char              *ngx_http_s3_db_what = "startup";

/* the write error that stopped writes until a reopen; "" if none */
static u_char                   ngx_http_s3_db_failed[
                                    NGX_HTTP_S3_ENGINE_ERR_LEN];

#if (NGX_HTTP_S3_FAULTS)
/* the iterator whose step failed by injection, and its error */
static ngx_http_s3_iter_t      *ngx_http_s3_fault_iter;
static ngx_uint_t               ngx_http_s3_engine_req;
static char                    *ngx_http_s3_fault_iter_err;
#endif


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
    ngx_memcpy(ngx_http_s3_db_path, path, sizeof(path));

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
        ngx_http_s3_db_nosync = leveldb_writeoptions_create();
        leveldb_writeoptions_set_sync(ngx_http_s3_db_nosync, 0);
    }

    leveldb_writeoptions_set_sync(ngx_http_s3_db_write, sync ? 1 : 0);
    ngx_http_s3_db_sync = sync;
    ngx_http_s3_db_dirty = 0;

    err = NULL;
    ngx_http_s3_db = leveldb_open(ngx_http_s3_db_options, (char *) path,
                                  &err);

    if (err == NULL) {
        ngx_log_error(NGX_LOG_NOTICE, log, 0,
                      "s3 metadata database \"%s\" opened", path);
        ngx_http_s3_db_failed[0] = '\0';

        /* the workers' copies of records are older than this */
        ngx_http_s3_rcache_opened();

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


/* the name of the operation executed now, for the log */

void
ngx_http_s3_engine_op(const char *what)
{
    ngx_http_s3_db_what = what;
}


/*
 * a request runs (faults are injected into requests only: background
 * work, whose timing a test cannot know, would take them otherwise)
 */

void
ngx_http_s3_engine_request(ngx_uint_t on)
{
#if (NGX_HTTP_S3_FAULTS)
    ngx_http_s3_engine_req = on;
#endif
}


/* a write failed since the database was opened, or it is not open */

ngx_uint_t
ngx_http_s3_engine_write_failed(void)
{
    return ngx_http_s3_db == NULL || ngx_http_s3_db_failed[0] != '\0';
}


/*
 * Is there room to reopen after a failed write?  LevelDB writes the log it
 * recovers into a new table before it serves: the free space must exceed
 * the size of the logs, with 1 MiB to spare.  NGX_OK or NGX_DECLINED.
 */

ngx_int_t
ngx_http_s3_engine_room(ngx_log_t *log, off_t *avail, off_t *need)
{
    struct statvfs  fs;

    if (statvfs((char *) ngx_http_s3_db_path, &fs) == -1) {
        ngx_log_error(NGX_LOG_CRIT, log, ngx_errno,
                      "statvfs(\"%s\") failed", ngx_http_s3_db_path);
        return NGX_DECLINED;
    }

    *avail = (off_t) fs.f_bavail * (off_t) fs.f_frsize;
    *need = ngx_http_s3_engine_files(".log") + 1024 * 1024;

    return (*avail >= *need) ? NGX_OK : NGX_DECLINED;
}


/* the size of the database's files whose names end in suffix ("": all) */

static off_t
ngx_http_s3_engine_files(char *suffix)
{
    u_char     *p, name[NGX_MAX_PATH];
    off_t       size;
    size_t      len, slen;
    ngx_str_t   path;
    ngx_dir_t   dir;

    size = 0;
    slen = ngx_strlen(suffix);

    path.data = ngx_http_s3_db_path;
    path.len = ngx_strlen(ngx_http_s3_db_path);

    if (ngx_open_dir(&path, &dir) != NGX_OK) {
        return 0;
    }

    p = ngx_cpymem(name, path.data, path.len);
    *p++ = '/';

    while (ngx_read_dir(&dir) == NGX_OK) {
        len = ngx_de_namelen(&dir);

        if (len <= slen || p + len >= name + NGX_MAX_PATH
            || ngx_de_name(&dir)[0] == '.'
            || ngx_strncmp(ngx_de_name(&dir) + len - slen, suffix, slen)
               != 0)
        {
            continue;
        }

        ngx_memcpy(p, ngx_de_name(&dir), len + 1);

        if (ngx_de_info(name, &dir) != NGX_FILE_ERROR
            && ngx_de_is_file(&dir))
        {
            size += ngx_de_size(&dir);
        }
    }

    (void) ngx_close_dir(&dir);

    return size;
}


/*
 * For the metrics: the files' size, LevelDB's memory, and from its
 * "leveldb.stats" table (whole MiB and seconds) the files, bytes and
 * compactions of each level
 */

ngx_int_t
ngx_http_s3_engine_stats(ngx_log_t *log, ngx_http_s3_engine_stats_t *st)
{
    int          level, files;
    char        *v, *p, *nl;
    double       mb, sec, rmb, wmb;
    ngx_uint_t   i;

    if (ngx_http_s3_db == NULL) {
        return NGX_DECLINED;
    }

    ngx_memzero(st, sizeof(ngx_http_s3_engine_stats_t));

    st->disk = (uint64_t) ngx_http_s3_engine_files("");

    v = leveldb_property_value(ngx_http_s3_db,
                               "leveldb.approximate-memory-usage");
    if (v) {
        st->memory = strtoull(v, NULL, 10);
        leveldb_free(v);
    }

    v = leveldb_property_value(ngx_http_s3_db, "leveldb.stats");
    if (v == NULL) {
        return NGX_OK;
    }

    /* "%3d %8d %8.0f %9.0f %8.0f %9.0f" after three lines of headings */

    for (p = v, i = 0; p && *p; p = nl ? nl + 1 : NULL, i++) {
        nl = strchr(p, '\n');

        if (i < 3
            || sscanf(p, "%d %d %lf %lf %lf %lf", &level, &files, &mb, &sec,
                      &rmb, &wmb) != 6
            || level < 0 || level >= NGX_HTTP_S3_ENGINE_LEVELS)
        {
            continue;
        }

        st->files[level] = (uint64_t) files;
        st->bytes[level] = (uint64_t) (mb * 1048576);
        st->compaction_us[level] = (uint64_t) (sec * 1000000);
        st->compaction_read[level] = (uint64_t) (rmb * 1048576);
        st->compaction_written[level] = (uint64_t) (wmb * 1048576);
    }

    leveldb_free(v);

    return NGX_OK;
}


ngx_int_t
ngx_http_s3_engine_get(ngx_log_t *log, ngx_str_t *key, ngx_str_t *value)
{
    char    *err, *v;
    size_t   len;

    if (ngx_http_s3_db == NULL) {
        ngx_http_s3_engine_log(log, "read", ngx_http_s3_db_what,
                               "the database is not open");
        return NGX_ERROR;
    }

    err = NULL;

#if (NGX_HTTP_S3_FAULTS)
    err = ngx_http_s3_engine_fault(log, NGX_HTTP_S3_FAULT_ENGINE_READ);

    if (err) {
        ngx_http_s3_engine_log(log, "read", ngx_http_s3_db_what, err);
        return NGX_ERROR;
    }
#endif

    v = leveldb_get(ngx_http_s3_db, ngx_http_s3_db_read,
                    (const char *) key->data, key->len, &len, &err);

    if (err) {
        ngx_http_s3_engine_log(log, "read", ngx_http_s3_db_what, err);
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


/*
 * Applied atomically; a failure is logged with what it was for, and stops
 * writes until the database is reopened.
 */

ngx_int_t
ngx_http_s3_engine_write(ngx_log_t *log, ngx_http_s3_batch_t *b,
    const char *what)
{
    char  *err;

    if (ngx_http_s3_db == NULL) {
        ngx_http_s3_engine_log(log, "write", what,
                               "the database is not open");
        return NGX_ERROR;
    }

    if (ngx_http_s3_db_failed[0]) {
        ngx_log_error(NGX_LOG_CRIT, log, 0,
                      "s3 metadata write failed (%s): %s; no write until "
                      "the database is reopened", what,
                      ngx_http_s3_db_failed);
        return NGX_ERROR;
    }

#if (NGX_HTTP_S3_FAULTS)
    err = ngx_http_s3_engine_fault(log, NGX_HTTP_S3_FAULT_ENGINE_WRITE);

    if (err) {
        ngx_http_s3_engine_write_error(log, what, err);
        return NGX_ERROR;
    }
#endif

    err = NULL;

    leveldb_write(ngx_http_s3_db,
                  ngx_http_s3_db_group ? ngx_http_s3_db_nosync
                                       : ngx_http_s3_db_write,
                  (leveldb_writebatch_t *) b, &err);

    /*
     * visible to reads now (or, failed, perhaps after the reopen), and
     * not yet answered: the workers' copies of these records are old
     */

    leveldb_writebatch_iterate((leveldb_writebatch_t *) b, NULL,
                               ngx_http_s3_engine_put_changed,
                               ngx_http_s3_engine_delete_changed);

    if (err) {
        ngx_http_s3_engine_write_error(log, what, err);
        leveldb_free(err);
        return NGX_ERROR;
    }

    if (ngx_http_s3_db_group) {
        ngx_http_s3_db_dirty++;
    }

    return NGX_OK;
}


/*
 * Group commit.  While a group is on, writes go to LevelDB's log without
 * a sync: later operations read them at once.  ngx_http_s3_engine_sync()
 * then makes the whole group durable with one synced write of an empty
 * batch: LevelDB appends every write to its log file (flushed to the
 * file at each write, log::Writer::AddRecord) and a synced write calls
 * fdatasync() on that file (DBImpl::Write: logfile_->Sync()), which
 * covers all that was appended to it before.
 *
 * One case escapes: when the memtable is full, a write first switches to
 * a new log file (DBImpl::MakeRoomForWrite) and the old one is closed
 * without a sync until its memtable is compacted into a synced table.
 * So after the synced write, an older log file still present (the newest
 * is the current one) is synced here too, once.
 */

void
ngx_http_s3_engine_group(ngx_uint_t on)
{
    ngx_http_s3_db_group = on;
}


ngx_uint_t
ngx_http_s3_engine_dirty(void)
{
    return ngx_http_s3_db_dirty;
}


ngx_int_t
ngx_http_s3_engine_sync(ngx_log_t *log)
{
    char                  *err;
    leveldb_writebatch_t  *b;

    if (ngx_http_s3_db_dirty == 0) {
        return NGX_OK;
    }

    ngx_http_s3_db_dirty = 0;

    if (ngx_http_s3_db == NULL) {
        ngx_log_error(NGX_LOG_CRIT, log, 0,
                      "s3 metadata group commit failed: the database "
                      "is not open");
        return NGX_ERROR;
    }

    if (!ngx_http_s3_db_sync) {
        return NGX_OK;
    }

#if (NGX_HTTP_S3_FAULTS)
    err = ngx_http_s3_engine_fault(log, NGX_HTTP_S3_FAULT_ENGINE_SYNC);

    if (err) {
        ngx_http_s3_engine_write_error(log, "group commit", err);
        return NGX_ERROR;
    }
#endif

    if (ngx_http_s3_db_failed[0]) {
        /*
         * a later write of the group failed, and LevelDB takes no more:
         * the log files that hold the group's earlier writes (complete
         * records before the failed one) are synced directly
         */
        return ngx_http_s3_engine_sync_logs(log, 1);
    }

    err = NULL;

    b = leveldb_writebatch_create();
    leveldb_write(ngx_http_s3_db, ngx_http_s3_db_write, b, &err);
    leveldb_writebatch_destroy(b);

    if (err) {
        ngx_http_s3_engine_write_error(log, "group commit", err);
        leveldb_free(err);
        return NGX_ERROR;
    }

    return ngx_http_s3_engine_sync_logs(log, 0);
}


/* the old log files (all: the current one too) not synced yet */

static ngx_int_t
ngx_http_s3_engine_sync_logs(ngx_log_t *log, ngx_uint_t all)
{
    u_char     *name, *p, path[NGX_MAX_PATH];
    size_t      len;
    uint64_t    n, newest, logs[8];
    ngx_fd_t    fd;
    ngx_str_t   db;
    ngx_dir_t   dir;
    ngx_uint_t  i, nlogs;

    db.data = ngx_http_s3_db_path;
    db.len = ngx_strlen(ngx_http_s3_db_path);

    if (ngx_open_dir(&db, &dir) != NGX_OK) {
        ngx_log_error(NGX_LOG_CRIT, log, ngx_errno,
                      ngx_open_dir_n " \"%s\" failed", ngx_http_s3_db_path);
        ngx_http_s3_engine_write_error(log, "group commit",
                                       "the log files cannot be listed");
        return NGX_ERROR;
    }

    newest = 0;
    nlogs = 0;

    for ( ;; ) {
        ngx_set_errno(0);

        if (ngx_read_dir(&dir) == NGX_ERROR) {
            break;
        }

        name = ngx_de_name(&dir);
        len = ngx_de_namelen(&dir);

        /* "000123.log" */

        if (len < 5 || ngx_strncmp(name + len - 4, ".log", 4) != 0) {
            continue;
        }

        n = 0;

        for (p = name; p < name + len - 4; p++) {
            if (*p < '0' || *p > '9') {
                break;
            }

            n = n * 10 + (*p - '0');
        }

        if (p != name + len - 4) {
            continue;
        }

        if (n > newest) {
            newest = n;
        }

        if (n > ngx_http_s3_db_old_log && nlogs < 8) {
            logs[nlogs++] = n;
        }
    }

    (void) ngx_close_dir(&dir);

    for (i = 0; i < nlogs; i++) {
        n = logs[i];

        if (n == newest && !all) {
            continue;
        }

        (void) ngx_snprintf(path, NGX_MAX_PATH, "%s/%06uL.log%Z",
                            ngx_http_s3_db_path, n);

        fd = ngx_open_file(path, NGX_FILE_RDONLY, NGX_FILE_OPEN, 0);

        if (fd == NGX_INVALID_FILE) {
            /* compacted into a table and removed: durable there */
            continue;
        }

        if (fdatasync(fd) == -1) {
            ngx_log_error(NGX_LOG_CRIT, log, ngx_errno,
                          "fdatasync(\"%s\") failed", path);
            (void) ngx_close_file(fd);
            ngx_http_s3_engine_write_error(log, "group commit",
                                           "an old log file failed to sync");
            return NGX_ERROR;
        }

        (void) ngx_close_file(fd);

        ngx_log_debug1(NGX_LOG_DEBUG_HTTP, log, 0,
                       "s3 metadata old log \"%s\" synced", path);

        if (n != newest && n > ngx_http_s3_db_old_log) {
            ngx_http_s3_db_old_log = n;
        }
    }

    return NGX_OK;
}


static void
ngx_http_s3_engine_put_changed(void *data, const char *key, size_t klen,
    const char *value, size_t vlen)
{
    ngx_http_s3_rcache_changed((u_char *) key, klen);
}


static void
ngx_http_s3_engine_delete_changed(void *data, const char *key, size_t klen)
{
    ngx_http_s3_rcache_changed((u_char *) key, klen);
}


/* logged, and kept: it stops writes until the database is reopened */

static void
ngx_http_s3_engine_write_error(ngx_log_t *log, const char *what,
    const char *err)
{
    ngx_http_s3_engine_log(log, "write", what, err);

    (void) ngx_cpystrn(ngx_http_s3_db_failed, (u_char *) err,
                       NGX_HTTP_S3_ENGINE_ERR_LEN);
}


/*
 * Iterators.  One of a database that is not open is NULL, and behaves as
 * one whose first step failed: not valid, and an error for its status.
 */

ngx_http_s3_iter_t *
ngx_http_s3_engine_iter(void)
{
    if (ngx_http_s3_db == NULL) {
        return NULL;
    }

    return (ngx_http_s3_iter_t *) leveldb_create_iterator(ngx_http_s3_db,
                                                       ngx_http_s3_db_read);
}


void
ngx_http_s3_iter_seek(ngx_http_s3_iter_t *it, u_char *key, size_t len)
{
    if (it == NULL) {
        return;
    }

#if (NGX_HTTP_S3_FAULTS)
    if (ngx_http_s3_fault_iter == NULL) {
        ngx_http_s3_fault_iter_err = ngx_http_s3_engine_fault(ngx_cycle->log,
                                                NGX_HTTP_S3_FAULT_ENGINE_ITER);
        if (ngx_http_s3_fault_iter_err) {
            ngx_http_s3_fault_iter = it;
        }
    }
#endif

    leveldb_iter_seek((leveldb_iterator_t *) it, (const char *) key, len);
}


ngx_uint_t
ngx_http_s3_iter_valid(ngx_http_s3_iter_t *it)
{
    if (it == NULL) {
        return 0;
    }

#if (NGX_HTTP_S3_FAULTS)
    if (it == ngx_http_s3_fault_iter) {
        return 0;
    }
#endif

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
#if (NGX_HTTP_S3_FAULTS)
    if (ngx_http_s3_fault_iter == NULL) {
        ngx_http_s3_fault_iter_err = ngx_http_s3_engine_fault(ngx_cycle->log,
                                                NGX_HTTP_S3_FAULT_ENGINE_ITER);
        if (ngx_http_s3_fault_iter_err) {
            ngx_http_s3_fault_iter = it;
        }
    }
#endif

    leveldb_iter_next((leveldb_iterator_t *) it);
}


void
ngx_http_s3_iter_destroy(ngx_http_s3_iter_t *it)
{
    if (it == NULL) {
        return;
    }

#if (NGX_HTTP_S3_FAULTS)
    if (it == ngx_http_s3_fault_iter) {
        ngx_http_s3_fault_iter = NULL;
    }
#endif

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

    if (it == NULL) {
        ngx_http_s3_engine_log(log, "scan", ngx_http_s3_db_what,
                               "the database is not open");
        return NGX_ERROR;
    }

#if (NGX_HTTP_S3_FAULTS)
    if (it == ngx_http_s3_fault_iter) {
        ngx_http_s3_engine_log(log, "scan", ngx_http_s3_db_what,
                               ngx_http_s3_fault_iter_err);
        return NGX_ERROR;
    }
#endif

    err = NULL;

    leveldb_iter_get_error((leveldb_iterator_t *) it, &err);

    if (err) {
        ngx_http_s3_engine_log(log, "scan", ngx_http_s3_db_what, err);
        leveldb_free(err);
        return NGX_ERROR;
    }

    return NGX_OK;
}


/*
 * nginx logs a failed read or write of a file at crit: so do we, with the
 * operation and LevelDB's reason
 */

static void
ngx_http_s3_engine_log(ngx_log_t *log, const char *kind, const char *what,
    const char *err)
{
    ngx_log_error(NGX_LOG_CRIT, log, 0, "s3 metadata %s failed (%s): %s",
                  kind, what, err);
}


#if (NGX_HTTP_S3_FAULTS)

/* LevelDB's own words for the error, marked as injected */

static char *
ngx_http_s3_engine_fault(ngx_log_t *log, ngx_uint_t point)
{
    if (!ngx_http_s3_engine_req) {
        return NULL;
    }

    switch (ngx_http_s3_fault(log, point)) {

    case NGX_HTTP_S3_FAULT_EIO:
        return "IO error: Input/output error (injected)";

    case NGX_HTTP_S3_FAULT_ENOSPC:
        return "IO error: No space left on device (injected)";

    case NGX_HTTP_S3_FAULT_CORRUPTION:
        return "Corruption: bad block checksum (injected)";

    default:
        return NULL;
    }
}

#endif
