
/*
 * Copyright (C) ngx_s3 authors
 */


#ifndef _NGX_HTTP_S3_SRV_H_INCLUDED_
#define _NGX_HTTP_S3_SRV_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_s3.h"


/*
 * Inside the metadata process: what the operations (srv_bucket.c,
 * srv_object.c, srv_list.c, srv_multipart.c) share with the process
 * (server.c).  Each operation decodes its request from ex->req, appends
 * its reply to ex->out and returns a NGX_HTTP_S3_WIRE_ST_* status; it
 * runs alone, so a read followed by a commit is one atomic step.
 */


typedef struct {
    ngx_log_t                 *log;
    ngx_pool_t                *pool;        /* freed after the request */
    ngx_http_s3_rbuf_t         req;
    ngx_http_s3_wbuf_t        *out;
    ngx_http_s3_batch_t       *batch;       /* applied by ..._srv_commit */

    /* body reference changes of the request, by body id */
    ngx_rbtree_t               refs;
    ngx_rbtree_node_t          refs_sentinel;

    /* bucket usage changes of the request (srv_usage.c), or NULL */
    ngx_array_t               *usage;
} ngx_http_s3_exec_t;


/* ngx_http_s3_server.c */

/* "<type><bucket>\0<key>", or "<type><bucket>" when key is NULL */
ngx_int_t ngx_http_s3_srv_key(ngx_http_s3_exec_t *ex, ngx_str_t *out,
    u_char type, ngx_str_t *bucket, ngx_str_t *key);
/* a value into the request's pool: NGX_OK, NGX_DECLINED, NGX_ERROR */
ngx_int_t ngx_http_s3_srv_get_copy(ngx_http_s3_exec_t *ex, ngx_str_t *k,
    ngx_str_t *v);
/* NGX_HTTP_S3_WIRE_ST_OK, _NO_BUCKET or _ERROR */
ngx_uint_t ngx_http_s3_srv_bucket_exists(ngx_http_s3_exec_t *ex,
    ngx_str_t *bucket);
/* a request's context: pool, batch, no reference changes yet */
ngx_int_t ngx_http_s3_srv_exec_init(ngx_http_s3_exec_t *ex, ngx_log_t *log);
/* 1 while the database is open and writable, and no quit was asked */
ngx_uint_t ngx_http_s3_srv_serving(void);
/* <data>/<name>: a directory of nginx's user alone, made so if needed */
ngx_int_t ngx_http_s3_srv_dir(ngx_log_t *log, ngx_str_t *data, char *name);
/* a write failed: the database is reopened a moment later */
void ngx_http_s3_srv_reopen(ngx_log_t *log);


/* ngx_http_s3_srv_trash.c: body files to unlink, bodies in doubt */

/* unlink a body file that no record names any more, a moment later */
void ngx_http_s3_srv_unlink_body(ngx_http_s3_exec_t *ex, ngx_str_t *id);
/*
 * after a failed commit (or a failed read before it): unlink the body
 * once the database can be read and has no reference to it; visible:
 * readers may have it open (it was named), so the usual delay follows
 */
void ngx_http_s3_srv_doubt_body(ngx_http_s3_exec_t *ex, ngx_str_t *body,
    ngx_uint_t visible);
/* 1 if the body waits for its delayed unlink, or is in doubt */
ngx_uint_t ngx_http_s3_srv_unlink_pending(ngx_str_t *id);
/* a group commit: bodies wait for its sync, then are decided */
void ngx_http_s3_srv_trash_begin(void);
void ngx_http_s3_srv_trash_end(ngx_uint_t durable);
/* a body whose references a group's write changed (unlink: the last) */
void ngx_http_s3_srv_pending_body(ngx_http_s3_exec_t *ex, ngx_str_t *body,
    ngx_uint_t visible, ngx_uint_t unlink);
/* unlink what is due, or everything (the process exits) */
void ngx_http_s3_srv_trash_flush(ngx_uint_t all);


/*
 * ngx_http_s3_srv_loop.c: the metadata thread.  Timers of the metadata
 * process's work go into the thread's own timers once it is in charge
 * (with master_process off, into nginx's).
 */

ngx_int_t ngx_http_s3_srv_loop_start(ngx_cycle_t *cycle,
    ngx_http_s3_main_conf_t *smcf);
ngx_uint_t ngx_http_s3_srv_loop_running(void);
ngx_uint_t ngx_http_s3_srv_loop_finished(void);
void ngx_http_s3_srv_loop_timers(void);
void ngx_http_s3_srv_loop_quit(void);
/* the thread stops serving and the process exits (a handover) */
void ngx_http_s3_srv_loop_finish(ngx_log_t *log);
ngx_uint_t ngx_http_s3_srv_quitting(void);
void ngx_http_s3_srv_add_timer(ngx_event_t *ev, ngx_msec_t timer);
void ngx_http_s3_srv_del_timer(ngx_event_t *ev);


/*
 * ngx_http_s3_srv_refs.c: reference counts of body files.  "R<body id>"
 * holds a u32 count: one per appearance of the id in a committed record
 * (an object's body or extents, a part's body).  An operation notes its
 * changes (they add up per id), then commits: the counts are written
 * into the same batch as its records, and after the write the bodies
 * whose count reached 0 are unlinked.
 */

ngx_int_t ngx_http_s3_srv_ref(ngx_http_s3_exec_t *ex, ngx_str_t *id,
    ngx_int_t delta);
/* every body of a record: its body, or each extent */
ngx_int_t ngx_http_s3_srv_ref_object(ngx_http_s3_exec_t *ex,
    ngx_http_s3_object_t *o, ngx_int_t delta);
/* the same for an encoded record */
ngx_int_t ngx_http_s3_srv_ref_record(ngx_http_s3_exec_t *ex,
    ngx_str_t *rec, ngx_int_t delta);
/*
 * counts and batch in one write, then the unlinks: NGX_OK, or NGX_ERROR
 * (every body the request touched is then in doubt)
 */
ngx_int_t ngx_http_s3_srv_commit(ngx_http_s3_exec_t *ex, const char *what);
/* format 1 to 2: every body of every object record gets its count */
ngx_int_t ngx_http_s3_srv_refs_rebuild(ngx_log_t *log);

/*
 * every record whose key starts with prefix, in order: handler returns
 * NGX_OK to go on, NGX_DONE to stop, NGX_ERROR; key and value are valid
 * during the call only.  NGX_OK, or NGX_ERROR (a failed read is logged)
 */
typedef ngx_int_t (*ngx_http_s3_scan_pt)(ngx_http_s3_exec_t *ex,
    ngx_str_t *key, ngx_str_t *value, void *data);

ngx_int_t ngx_http_s3_srv_scan(ngx_http_s3_exec_t *ex, ngx_str_t *prefix,
    ngx_http_s3_scan_pt handler, void *data);

/* the configuration the metadata process runs with */
ngx_http_s3_main_conf_t *ngx_http_s3_srv_conf(void);

/*
 * after a committed change of who may do what (keys, users, bucket owners
 * and permissions): bump the access generation, workers drop their caches
 */
void ngx_http_s3_srv_access_changed(void);


/*
 * ngx_http_s3_srv_version.c: object records and their versions.  A
 * write opens the key (the bucket's versioning state and the current
 * record), then puts a version, a delete marker or removes a version;
 * the caller commits.  Every change of an "O" or "V" record goes through
 * ngx_http_s3_srv_record_change(): old (NULL: none) loses the references
 * of its bodies, rec (NULL: the key goes) gains them, and the batch.
 */

typedef struct {
    ngx_str_t                  bucket;
    ngx_str_t                  key;
    ngx_uint_t                 versioning;  /* NGX_HTTP_S3_VERSIONING_* */
    ngx_str_t                  okey;        /* "O<bucket>\0<key>" */
    ngx_str_t                  orec;        /* the current record */
    ngx_http_s3_object_t       cur;         /* orec decoded */
    uint64_t                   seq;         /* the last sequence given */
    unsigned                   has_cur:1;
} ngx_http_s3_srv_obj_t;

ngx_int_t ngx_http_s3_srv_record_change(ngx_http_s3_exec_t *ex,
    ngx_str_t *k, ngx_str_t *old, ngx_str_t *rec);
/* NGX_HTTP_S3_WIRE_ST_OK, _NO_BUCKET or _ERROR */
ngx_uint_t ngx_http_s3_srv_obj_open(ngx_http_s3_exec_t *ex,
    ngx_str_t *bucket, ngx_str_t *key, ngx_http_s3_srv_obj_t *obj);
/*
 * a new version o (PutObject, CopyObject, CompleteMultipartUpload): its
 * version id and sequence are set by the bucket's state; rec: the record
 * as committed
 */
ngx_int_t ngx_http_s3_srv_obj_put(ngx_http_s3_exec_t *ex,
    ngx_http_s3_srv_obj_t *obj, ngx_http_s3_object_t *o, ngx_str_t *rec);
/*
 * DeleteObject without a version id: the record goes (unversioned) or a
 * delete marker (*marker) is added; NGX_DONE: a replay, the marker this
 * request made (its mtime and request id) is the latest already
 */
ngx_int_t ngx_http_s3_srv_obj_delete(ngx_http_s3_exec_t *ex,
    ngx_http_s3_srv_obj_t *obj, uint64_t mtime, ngx_str_t *owner,
    ngx_str_t *rid, ngx_str_t *marker);
/*
 * the record of a version: _OK (k: its "V" key, empty when it is the
 * current record of an unversioned write), _NO_VERSION, _BAD_REQUEST (a
 * malformed id), _ERROR
 */
ngx_uint_t ngx_http_s3_srv_obj_find(ngx_http_s3_exec_t *ex,
    ngx_http_s3_srv_obj_t *obj, ngx_str_t *vid, ngx_str_t *k,
    ngx_str_t *rec);
/* DeleteObject of a version; rec: the record deleted */
ngx_uint_t ngx_http_s3_srv_obj_delete_version(ngx_http_s3_exec_t *ex,
    ngx_http_s3_srv_obj_t *obj, ngx_str_t *vid, ngx_str_t *rec);
/* no current record: the latest version if it is a delete marker */
ngx_int_t ngx_http_s3_srv_obj_marker(ngx_http_s3_exec_t *ex,
    ngx_http_s3_srv_obj_t *obj, ngx_str_t *marker);
/*
 * is the body of a PutObject committed already (a replay): NGX_OK and
 * the record naming it (empty when no longer found), NGX_DECLINED
 */
ngx_int_t ngx_http_s3_srv_obj_replay(ngx_http_s3_exec_t *ex,
    ngx_http_s3_srv_obj_t *obj, ngx_str_t *body, ngx_str_t *rec);
/*
 * a change in place of one version (tags, retention): its record and
 * where it is stored (_OK, _NO_BUCKET, _NO_KEY: none or a delete marker,
 * _NO_VERSION, _ERROR; version empty: the current one), and its
 * rewrite into the batch ("V" and, for the current version, "O")
 */
ngx_uint_t ngx_http_s3_srv_obj_load(ngx_http_s3_exec_t *ex,
    ngx_str_t *bucket, ngx_str_t *key, ngx_str_t *version, ngx_str_t *dbkey,
    ngx_str_t *rec);
ngx_int_t ngx_http_s3_srv_obj_rewrite(ngx_http_s3_exec_t *ex,
    ngx_str_t *dbkey, ngx_str_t *rec);
ngx_uint_t ngx_http_s3_op_bucket_versioning(ngx_http_s3_exec_t *ex);
ngx_uint_t ngx_http_s3_op_version_list(ngx_http_s3_exec_t *ex);


/*
 * ngx_http_s3_srv_inline.c: inline bodies, "I<body id>" (OBJECT_INLINE
 * in a record's flags).  put, delete: into the request's batch; get: the
 * bytes (from ex->pool); reply: a record as OBJECT_GET answers it (an
 * inline body's bytes appended); part: a part's body file made of the
 * range of an inline source: its ETag, checksum (alg), id (made of
 * seed, the request: a replay names the same file) and bytes; file: the
 * body file id of those bytes, durable, made just before the commit
 */

ngx_int_t ngx_http_s3_srv_inline_put(ngx_http_s3_exec_t *ex, ngx_str_t *id,
    ngx_str_t *data);
ngx_int_t ngx_http_s3_srv_inline_delete(ngx_http_s3_exec_t *ex,
    ngx_str_t *id);
ngx_int_t ngx_http_s3_srv_inline_get(ngx_http_s3_exec_t *ex, ngx_str_t *id,
    ngx_str_t *data);
ngx_uint_t ngx_http_s3_srv_inline_reply(ngx_http_s3_exec_t *ex,
    ngx_str_t *rec);
ngx_int_t ngx_http_s3_srv_inline_part(ngx_http_s3_exec_t *ex,
    ngx_http_s3_object_t *src, uint64_t first, uint64_t len, ngx_uint_t alg,
    ngx_str_t *seed, ngx_http_s3_object_t *part, ngx_str_t *bytes);
ngx_int_t ngx_http_s3_srv_inline_file(ngx_http_s3_exec_t *ex,
    ngx_str_t *data, ngx_str_t *id);


/* ngx_http_s3_srv_bucket.c */

ngx_uint_t ngx_http_s3_op_bucket_create(ngx_http_s3_exec_t *ex);
ngx_uint_t ngx_http_s3_op_bucket_get(ngx_http_s3_exec_t *ex);
ngx_uint_t ngx_http_s3_op_bucket_delete(ngx_http_s3_exec_t *ex);
ngx_uint_t ngx_http_s3_op_bucket_list(ngx_http_s3_exec_t *ex);

/* ngx_http_s3_srv_object.c */

ngx_uint_t ngx_http_s3_op_object_put(ngx_http_s3_exec_t *ex);
ngx_uint_t ngx_http_s3_op_object_get(ngx_http_s3_exec_t *ex);
ngx_uint_t ngx_http_s3_op_object_delete(ngx_http_s3_exec_t *ex);

/* ngx_http_s3_srv_list.c */

ngx_uint_t ngx_http_s3_op_list(ngx_http_s3_exec_t *ex);

/* ngx_http_s3_srv_multipart.c */

ngx_uint_t ngx_http_s3_op_upload_create(ngx_http_s3_exec_t *ex);
ngx_uint_t ngx_http_s3_op_upload_get(ngx_http_s3_exec_t *ex);
ngx_uint_t ngx_http_s3_op_part_put(ngx_http_s3_exec_t *ex);
ngx_uint_t ngx_http_s3_op_upload_complete(ngx_http_s3_exec_t *ex);
ngx_uint_t ngx_http_s3_op_upload_abort(ngx_http_s3_exec_t *ex);
ngx_uint_t ngx_http_s3_op_part_list(ngx_http_s3_exec_t *ex);
ngx_uint_t ngx_http_s3_op_upload_list(ngx_http_s3_exec_t *ex);
/* an upload's record and parts (as loaded) into the batch, refs dropped */
ngx_int_t ngx_http_s3_srv_drop_upload(ngx_http_s3_exec_t *ex,
    ngx_str_t *ukey, ngx_array_t *parts);
/* the same for every upload of a bucket */
ngx_int_t ngx_http_s3_srv_drop_uploads(ngx_http_s3_exec_t *ex,
    ngx_str_t *bucket);
/*
 * the upload record of bucket/key/id (free it with engine_free) and its
 * key: NGX_HTTP_S3_WIRE_ST_OK, _NO_UPLOAD, _NO_BUCKET or _ERROR
 */
ngx_uint_t ngx_http_s3_srv_upload(ngx_http_s3_exec_t *ex, ngx_str_t *bucket,
    ngx_str_t *key, ngx_str_t *id, ngx_str_t *ukey, ngx_str_t *rec);
/* "P<upload id>\0<u32 part number>" */
ngx_int_t ngx_http_s3_srv_part_key(ngx_http_s3_exec_t *ex, ngx_str_t *out,
    ngx_str_t *id, uint32_t number);
/* every part of an upload, ascending, for ngx_http_s3_srv_drop_upload() */
ngx_int_t ngx_http_s3_srv_parts(ngx_http_s3_exec_t *ex, ngx_str_t *id,
    ngx_array_t **parts);

/*
 * ngx_http_s3_srv_sweep.c: the orphan sweep, started once the database is
 * open (and converted), then every s3_orphan_grace, in steps
 */

void ngx_http_s3_srv_sweep_start(ngx_http_s3_main_conf_t *smcf,
    ngx_log_t *log);

/* ngx_http_s3_srv_copy.c */

ngx_uint_t ngx_http_s3_op_object_copy(ngx_http_s3_exec_t *ex);
/* an object record encoded into the request's pool */
ngx_int_t ngx_http_s3_srv_encode(ngx_http_s3_exec_t *ex,
    ngx_http_s3_object_t *o, ngx_str_t *rec);
ngx_uint_t ngx_http_s3_op_part_copy(ngx_http_s3_exec_t *ex);

/* ngx_http_s3_srv_patch.c */

/* an OBJECT_PATCH request, as its checkers see it */

typedef struct {
    ngx_str_t                  bucket;
    ngx_str_t                  key;
    ngx_str_t                  version;     /* empty: the current one */
    ngx_uint_t                 flags;       /* NGX_HTTP_S3_WIRE_PATCH_* */
    ngx_str_t                  patch;
    ngx_str_t                  dbkey;
    ngx_str_t                  rec;         /* the record as stored */
} ngx_http_s3_patch_t;

ngx_uint_t ngx_http_s3_op_object_patch(ngx_http_s3_exec_t *ex);
/*
 * the record of (bucket, key, version) copied into ex->pool, and its
 * database key: WIRE_ST_OK, _NO_BUCKET, _NO_KEY (none, or a delete
 * marker), _NO_VERSION or _ERROR; version empty: the current one
 */
ngx_uint_t ngx_http_s3_srv_object_load(ngx_http_s3_exec_t *ex,
    ngx_str_t *bucket, ngx_str_t *key, ngx_str_t *version, ngx_str_t *dbkey,
    ngx_str_t *rec);
/* that version's record replaced by rec (the same bodies), committed */
ngx_uint_t ngx_http_s3_srv_object_rewrite(ngx_http_s3_exec_t *ex,
    ngx_str_t *dbkey, ngx_str_t *rec, const char *what);

/* ngx_http_s3_srv_keys.c */

ngx_uint_t ngx_http_s3_op_user_create(ngx_http_s3_exec_t *ex);
ngx_uint_t ngx_http_s3_op_user_list(ngx_http_s3_exec_t *ex);
ngx_uint_t ngx_http_s3_op_user_delete(ngx_http_s3_exec_t *ex);
ngx_uint_t ngx_http_s3_op_key_create(ngx_http_s3_exec_t *ex);
ngx_uint_t ngx_http_s3_op_key_get(ngx_http_s3_exec_t *ex);
ngx_uint_t ngx_http_s3_op_key_list(ngx_http_s3_exec_t *ex);
ngx_uint_t ngx_http_s3_op_key_status(ngx_http_s3_exec_t *ex);
ngx_uint_t ngx_http_s3_op_key_delete(ngx_http_s3_exec_t *ex);
/* at open: secrets sealed with an older s3_key_file key are sealed anew */
ngx_int_t ngx_http_s3_srv_keys_reseal(ngx_log_t *log);

/*
 * ngx_http_s3_srv_usage.c: bucket usage ("C<bucket>"), changed in the
 * batch of every commit.  An operation notes each record of a kind
 * (NGX_HTTP_S3_USAGE_OBJECTS, _VERSIONS, _PARTS) that appears (delta 1)
 * or goes (-1); one that adds checks the quotas before it commits.
 */

ngx_int_t ngx_http_s3_srv_usage(ngx_http_s3_exec_t *ex, ngx_str_t *bucket,
    ngx_uint_t kind, uint64_t size, ngx_int_t delta);
ngx_int_t ngx_http_s3_srv_usage_drop(ngx_http_s3_exec_t *ex,
    ngx_str_t *bucket);
/*
 * a record of the kind of size bytes replaces prev (or NULL), then the
 * quotas are checked: NGX_HTTP_S3_WIRE_ST_OK, _QUOTA or _ERROR
 */
ngx_uint_t ngx_http_s3_srv_usage_replace(ngx_http_s3_exec_t *ex,
    ngx_str_t *bucket, ngx_uint_t kind, ngx_http_s3_object_t *prev,
    uint64_t size);
/* NGX_HTTP_S3_WIRE_ST_OK, _QUOTA or _ERROR */
ngx_uint_t ngx_http_s3_srv_usage_check(ngx_http_s3_exec_t *ex);
/* by ngx_http_s3_srv_commit(): the changes into the batch */
ngx_int_t ngx_http_s3_srv_usage_apply(ngx_http_s3_exec_t *ex);
/* at open: count a database whose usage was never kept */
ngx_int_t ngx_http_s3_srv_usage_count(ngx_log_t *log);
ngx_uint_t ngx_http_s3_op_usage_get(ngx_http_s3_exec_t *ex);
ngx_uint_t ngx_http_s3_op_usage_list(ngx_http_s3_exec_t *ex);


/* ngx_http_s3_srv_settings.c */

ngx_uint_t ngx_http_s3_op_setting_set(ngx_http_s3_exec_t *ex);
ngx_uint_t ngx_http_s3_op_setting_get(ngx_http_s3_exec_t *ex);
/*
 * a bucket setting ("S<bucket>\0<name>"; value empty: none) and the key
 * of its record; NGX_OK, NGX_DECLINED (none) or NGX_ERROR
 */
ngx_int_t ngx_http_s3_srv_setting(ngx_http_s3_exec_t *ex, ngx_str_t *bucket,
    ngx_str_t *name, ngx_str_t *key, ngx_str_t *value);
/* into ex->batch: the removal of every setting ("S") of a bucket */
ngx_int_t ngx_http_s3_srv_settings_drop(ngx_http_s3_exec_t *ex,
    ngx_str_t *bucket);

/* ngx_http_s3_srv_access.c */

ngx_uint_t ngx_http_s3_op_grant_set(ngx_http_s3_exec_t *ex);
ngx_uint_t ngx_http_s3_op_bucket_access(ngx_http_s3_exec_t *ex);
ngx_uint_t ngx_http_s3_op_bucket_access_list(ngx_http_s3_exec_t *ex);
ngx_uint_t ngx_http_s3_op_bucket_acl_set(ngx_http_s3_exec_t *ex);
/*
 * into ex->batch: the removal of every grant on a bucket (user NULL) or
 * of every grant of a user (bucket NULL); NGX_OK or NGX_ERROR
 */
ngx_int_t ngx_http_s3_srv_grants_drop(ngx_http_s3_exec_t *ex,
    ngx_str_t *bucket, ngx_str_t *user);
/* 1 if the user owns the bucket (its record) or has a grant on it */
ngx_uint_t ngx_http_s3_srv_bucket_visible(ngx_http_s3_exec_t *ex,
    ngx_str_t *rec, ngx_str_t *user);


/* ngx_http_s3_srv_lock.c: object lock */

ngx_uint_t ngx_http_s3_op_lock_set(ngx_http_s3_exec_t *ex);
ngx_uint_t ngx_http_s3_op_lock_get(ngx_http_s3_exec_t *ex);
/*
 * the bucket's object lock flags (NGX_HTTP_S3_LOCK_*) for a write, read
 * with its record: NGX_HTTP_S3_WIRE_ST_OK, _NO_BUCKET or _ERROR
 */
ngx_uint_t ngx_http_s3_srv_lock_bucket(ngx_http_s3_exec_t *ex,
    ngx_str_t *bucket, ngx_uint_t *flags);
/*
 * a new record o (encoded: rec) into a bucket with those flags: NO_LOCK
 * if it has lock fields and the bucket no lock; without a retention it
 * gets the bucket's default (o and rec, unless NULL, changed): OK,
 * NO_LOCK or ERROR
 */
ngx_uint_t ngx_http_s3_srv_lock_new(ngx_http_s3_exec_t *ex,
    ngx_str_t *bucket, ngx_uint_t flags, ngx_http_s3_object_t *o,
    ngx_str_t *rec);
/*
 * 1 if the stored version o may not be deleted or replaced now (legal
 * hold ON, retention in force; governance gives way to bypass)
 */
ngx_uint_t ngx_http_s3_srv_lock_refuses(ngx_http_s3_exec_t *ex,
    ngx_http_s3_object_t *o, ngx_uint_t bypass);
/*
 * OBJECT_PATCH checkers of fields 57, 58 (the retention: compliance only
 * kept or extended, governance weakened only with PATCH_BYPASS) and 59
 * (the legal hold: ON or OFF); both need a bucket with lock
 */
ngx_uint_t ngx_http_s3_srv_lock_check_retention(ngx_http_s3_exec_t *ex,
    ngx_http_s3_patch_t *p, ngx_str_t *old, ngx_str_t *value);
ngx_uint_t ngx_http_s3_srv_lock_check_legal_hold(ngx_http_s3_exec_t *ex,
    ngx_http_s3_patch_t *p, ngx_str_t *old, ngx_str_t *value);


#endif /* _NGX_HTTP_S3_SRV_H_INCLUDED_ */
