
/*
 * Copyright (C) ngx_s3 authors
 */


#ifndef _NGX_HTTP_S3_H_INCLUDED_
#define _NGX_HTTP_S3_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>
#include <ngx_thread_pool.h>

#include "ngx_http_s3_util.h"
#include "ngx_http_s3_wire.h"
#include "ngx_http_s3_sigv2.h"
#include "ngx_http_s3_sigv4.h"
#include "ngx_http_s3_secret.h"
#include "ngx_http_s3_policy.h"
#include "ngx_http_s3_xml.h"
#include "ngx_http_s3_cors.h"
#include "ngx_http_s3_gw.h"


#define NGX_HTTP_S3_MAX_KEY_LEN        1024
#define NGX_HTTP_S3_MAX_META_SIZE      2048
#define NGX_HTTP_S3_MAX_LIST_KEYS      1000
#define NGX_HTTP_S3_MAX_DELETE_KEYS    1000
#define NGX_HTTP_S3_MAX_XML_BODY       (2 * 1024 * 1024)

#define NGX_HTTP_S3_FSYNC_OFF          0
#define NGX_HTTP_S3_FSYNC_ON           1

/* s3_inline_max: bodies up to it go into the database with the record */
#define NGX_HTTP_S3_INLINE_MAX         (32 * 1024)


/* S3 error codes: one table in ngx_http_s3_error.c */

typedef enum {
    NGX_HTTP_S3_OK = 0,
    NGX_HTTP_S3_ERR_ACCESS_DENIED,
    NGX_HTTP_S3_ERR_BAD_DIGEST,
    NGX_HTTP_S3_ERR_BUCKET_ALREADY_EXISTS,
    NGX_HTTP_S3_ERR_BUCKET_ALREADY_OWNED,
    NGX_HTTP_S3_ERR_BUCKET_NOT_EMPTY,
    NGX_HTTP_S3_ERR_ENTITY_TOO_LARGE,
    NGX_HTTP_S3_ERR_ENTITY_TOO_SMALL,
    NGX_HTTP_S3_ERR_EXPIRED_TOKEN,
    NGX_HTTP_S3_ERR_ILLEGAL_LOCATION,
    NGX_HTTP_S3_ERR_INCOMPLETE_BODY,
    NGX_HTTP_S3_ERR_INTERNAL,
    NGX_HTTP_S3_ERR_INVALID_ACCESS_KEY,
    NGX_HTTP_S3_ERR_INVALID_ARGUMENT,
    NGX_HTTP_S3_ERR_INVALID_BUCKET_NAME,
    NGX_HTTP_S3_ERR_INVALID_DIGEST,
    NGX_HTTP_S3_ERR_INVALID_LOCATION,
    NGX_HTTP_S3_ERR_INVALID_RANGE,
    NGX_HTTP_S3_ERR_INVALID_REQUEST,
    NGX_HTTP_S3_ERR_INVALID_URI,
    NGX_HTTP_S3_ERR_KEY_TOO_LONG,
    NGX_HTTP_S3_ERR_MALFORMED_XML,
    NGX_HTTP_S3_ERR_MAX_MESSAGE_LENGTH,
    NGX_HTTP_S3_ERR_METADATA_TOO_LARGE,
    NGX_HTTP_S3_ERR_METHOD_NOT_ALLOWED,
    NGX_HTTP_S3_ERR_MISSING_CONTENT_LENGTH,
    NGX_HTTP_S3_ERR_MISSING_SECURITY_HEADER,
    NGX_HTTP_S3_ERR_NO_SUCH_BUCKET,
    NGX_HTTP_S3_ERR_NO_SUCH_KEY,
    NGX_HTTP_S3_ERR_NO_SUCH_UPLOAD,
    NGX_HTTP_S3_ERR_NO_SUCH_VERSION,
    NGX_HTTP_S3_ERR_NOT_IMPLEMENTED,
    NGX_HTTP_S3_ERR_NOT_MODIFIED,
    NGX_HTTP_S3_ERR_PRECONDITION_FAILED,
    NGX_HTTP_S3_ERR_REQUEST_TIME_TOO_SKEWED,
    NGX_HTTP_S3_ERR_AUTH_QUERY,
    NGX_HTTP_S3_ERR_AUTH_HEADER_MALFORMED,
    NGX_HTTP_S3_ERR_SERVICE_UNAVAILABLE,
    NGX_HTTP_S3_ERR_SIGNATURE_MISMATCH,
    NGX_HTTP_S3_ERR_SHA256_MISMATCH,
    NGX_HTTP_S3_ERR_SLOW_DOWN,
    NGX_HTTP_S3_ERR_TOO_MANY_BUCKETS,
    NGX_HTTP_S3_ERR_INVALID_STORAGE_CLASS,
    NGX_HTTP_S3_ERR_UNEXPECTED_CONTENT,
    NGX_HTTP_S3_ERR_MALFORMED_TRAILER,
    NGX_HTTP_S3_ERR_HEADER_TOO_LARGE,
    NGX_HTTP_S3_ERR_INVALID_PART,
    NGX_HTTP_S3_ERR_INVALID_PART_ORDER,
    NGX_HTTP_S3_ERR_INVALID_PART_NUMBER,
    NGX_HTTP_S3_ERR_ACL_NOT_SUPPORTED,
    NGX_HTTP_S3_ERR_MALFORMED_POLICY,
    NGX_HTTP_S3_ERR_NO_SUCH_BUCKET_POLICY,
    NGX_HTTP_S3_ERR_QUOTA_EXCEEDED,
    NGX_HTTP_S3_ERR_INVALID_TAG,
    NGX_HTTP_S3_ERR_NO_SUCH_TAG_SET,
    NGX_HTTP_S3_ERR_INVALID_BUCKET_STATE,
    NGX_HTTP_S3_ERR_OBJECT_LOCK_CONFIG_NOT_FOUND,
    NGX_HTTP_S3_ERR_NO_SUCH_OBJECT_LOCK_CONFIG,
    NGX_HTTP_S3_ERR_ACCESS_FORBIDDEN,
    NGX_HTTP_S3_ERR_BAD_REQUEST,
    NGX_HTTP_S3_ERR_NO_SUCH_CORS_CONFIGURATION,
    NGX_HTTP_S3_ERR_MALFORMED_POST_REQUEST,
    NGX_HTTP_S3_ERR_INCORRECT_NUMBER_OF_FILES,
    NGX_HTTP_S3_ERR_INVALID_POLICY_DOCUMENT,
    NGX_HTTP_S3_ERR_MAX_POST_PRE_DATA,
    NGX_HTTP_S3_ERR_LAST
} ngx_http_s3_err_e;


/* operations: the routing table in ngx_http_s3_handler.c maps requests here */

typedef enum {
    NGX_HTTP_S3_OP_NONE = 0,
    NGX_HTTP_S3_OP_LIST_BUCKETS,
    NGX_HTTP_S3_OP_CREATE_BUCKET,
    NGX_HTTP_S3_OP_DELETE_BUCKET,
    NGX_HTTP_S3_OP_HEAD_BUCKET,
    NGX_HTTP_S3_OP_GET_BUCKET_LOCATION,
    NGX_HTTP_S3_OP_GET_BUCKET_VERSIONING,
    NGX_HTTP_S3_OP_LIST_OBJECTS,
    NGX_HTTP_S3_OP_LIST_OBJECTS_V2,
    NGX_HTTP_S3_OP_LIST_OBJECT_VERSIONS,
    NGX_HTTP_S3_OP_DELETE_OBJECTS,
    NGX_HTTP_S3_OP_PUT_OBJECT,
    NGX_HTTP_S3_OP_GET_OBJECT,
    NGX_HTTP_S3_OP_HEAD_OBJECT,
    NGX_HTTP_S3_OP_DELETE_OBJECT,
    NGX_HTTP_S3_OP_CREATE_MULTIPART_UPLOAD,
    NGX_HTTP_S3_OP_UPLOAD_PART,
    NGX_HTTP_S3_OP_COMPLETE_MULTIPART_UPLOAD,
    NGX_HTTP_S3_OP_ABORT_MULTIPART_UPLOAD,
    NGX_HTTP_S3_OP_LIST_PARTS,
    NGX_HTTP_S3_OP_LIST_MULTIPART_UPLOADS,
    NGX_HTTP_S3_OP_COPY_OBJECT,
    NGX_HTTP_S3_OP_UPLOAD_PART_COPY,
    NGX_HTTP_S3_OP_GET_OBJECT_ATTRIBUTES,
    NGX_HTTP_S3_OP_GET_OBJECT_TAGGING,
    NGX_HTTP_S3_OP_GET_BUCKET_ACL,
    NGX_HTTP_S3_OP_PUT_BUCKET_ACL,
    NGX_HTTP_S3_OP_GET_OBJECT_ACL,
    NGX_HTTP_S3_OP_PUT_OBJECT_ACL,
    NGX_HTTP_S3_OP_GET_BUCKET_POLICY,
    NGX_HTTP_S3_OP_PUT_BUCKET_POLICY,
    NGX_HTTP_S3_OP_DELETE_BUCKET_POLICY,
    NGX_HTTP_S3_OP_PUT_BUCKET_VERSIONING,

    NGX_HTTP_S3_OP_PUT_OBJECT_TAGGING,
    NGX_HTTP_S3_OP_DELETE_OBJECT_TAGGING,
    NGX_HTTP_S3_OP_GET_BUCKET_TAGGING,
    NGX_HTTP_S3_OP_PUT_BUCKET_TAGGING,
    NGX_HTTP_S3_OP_DELETE_BUCKET_TAGGING,
    NGX_HTTP_S3_OP_PUT_OBJECT_LOCK_CONFIGURATION,
    NGX_HTTP_S3_OP_GET_OBJECT_LOCK_CONFIGURATION,
    NGX_HTTP_S3_OP_PUT_OBJECT_RETENTION,
    NGX_HTTP_S3_OP_GET_OBJECT_RETENTION,
    NGX_HTTP_S3_OP_PUT_OBJECT_LEGAL_HOLD,
    NGX_HTTP_S3_OP_GET_OBJECT_LEGAL_HOLD,
    NGX_HTTP_S3_OP_GET_BUCKET_CORS,
    NGX_HTTP_S3_OP_PUT_BUCKET_CORS,
    NGX_HTTP_S3_OP_DELETE_BUCKET_CORS,
    NGX_HTTP_S3_OP_PREFLIGHT,
    NGX_HTTP_S3_OP_POST_OBJECT,
    NGX_HTTP_S3_OP_NOT_IMPLEMENTED,
    NGX_HTTP_S3_OP_LAST                /* the number of operations */
} ngx_http_s3_op_e;


/*
 * the metadata socket, in a directory of its own that only nginx's user
 * may enter (the metadata process creates both, 0700 and 0600)
 */
#define NGX_HTTP_S3_SOCKET_DIR     "run"
#define NGX_HTTP_S3_SOCKET         "/" NGX_HTTP_S3_SOCKET_DIR "/meta.sock"


/*
 * What an operation needs, by the IAM action it is: one table in
 * ngx_http_s3_access.c gives each its name and the permission it takes;
 * each row of the routing table names its action.  A new operation
 * takes an action of this list, or adds one (and a row of the table).
 */

typedef enum {
    NGX_HTTP_S3_ACT_LIST_ALL_MY_BUCKETS = 0,
    NGX_HTTP_S3_ACT_CREATE_BUCKET,
    NGX_HTTP_S3_ACT_DELETE_BUCKET,
    NGX_HTTP_S3_ACT_LIST_BUCKET,           /* ListObjects, HeadBucket */
    NGX_HTTP_S3_ACT_LIST_BUCKET_VERSIONS,
    NGX_HTTP_S3_ACT_GET_BUCKET_LOCATION,
    NGX_HTTP_S3_ACT_GET_BUCKET_VERSIONING,
    NGX_HTTP_S3_ACT_GET_OBJECT,            /* GET and HEAD */
    NGX_HTTP_S3_ACT_PUT_OBJECT,            /* PUT, multipart, copy into */
    NGX_HTTP_S3_ACT_DELETE_OBJECT,         /* DELETE, DeleteObjects */
    NGX_HTTP_S3_ACT_ABORT_MULTIPART_UPLOAD,
    NGX_HTTP_S3_ACT_LIST_MULTIPART_UPLOAD_PARTS,
    NGX_HTTP_S3_ACT_LIST_BUCKET_MULTIPART_UPLOADS,
    NGX_HTTP_S3_ACT_GET_OBJECT_ATTRIBUTES,
    NGX_HTTP_S3_ACT_GET_OBJECT_TAGGING,
    NGX_HTTP_S3_ACT_GET_BUCKET_ACL,
    NGX_HTTP_S3_ACT_PUT_BUCKET_ACL,
    NGX_HTTP_S3_ACT_GET_OBJECT_ACL,
    NGX_HTTP_S3_ACT_PUT_OBJECT_ACL,
    NGX_HTTP_S3_ACT_GET_BUCKET_POLICY,
    NGX_HTTP_S3_ACT_PUT_BUCKET_POLICY,
    NGX_HTTP_S3_ACT_DELETE_BUCKET_POLICY,
    NGX_HTTP_S3_ACT_PUT_BUCKET_VERSIONING,
    NGX_HTTP_S3_ACT_GET_OBJECT_VERSION,    /* GET, HEAD with versionId */
    NGX_HTTP_S3_ACT_DELETE_OBJECT_VERSION, /* DELETE with versionId */

    NGX_HTTP_S3_ACT_PUT_OBJECT_TAGGING,
    NGX_HTTP_S3_ACT_DELETE_OBJECT_TAGGING,
    NGX_HTTP_S3_ACT_GET_BUCKET_TAGGING,
    NGX_HTTP_S3_ACT_PUT_BUCKET_TAGGING,     /* Put and DeleteBucketTagging */
    NGX_HTTP_S3_ACT_PUT_BUCKET_OBJECT_LOCK_CONFIGURATION,
    NGX_HTTP_S3_ACT_GET_BUCKET_OBJECT_LOCK_CONFIGURATION,
    NGX_HTTP_S3_ACT_PUT_OBJECT_RETENTION,
    NGX_HTTP_S3_ACT_GET_OBJECT_RETENTION,
    NGX_HTTP_S3_ACT_PUT_OBJECT_LEGAL_HOLD,
    NGX_HTTP_S3_ACT_GET_OBJECT_LEGAL_HOLD,
    NGX_HTTP_S3_ACT_BYPASS_GOVERNANCE_RETENTION,  /* no operation: a flag */
    NGX_HTTP_S3_ACT_GET_BUCKET_CORS,
    NGX_HTTP_S3_ACT_PUT_BUCKET_CORS,       /* PutBucketCors, DeleteBucketCors */
    NGX_HTTP_S3_ACT_LAST
} ngx_http_s3_action_e;

/* what an action takes, beyond NGX_HTTP_S3_PERM_READ and _WRITE */
#define NGX_HTTP_S3_PERM_OWNER         3    /* the bucket's owner */
#define NGX_HTTP_S3_PERM_SIGNED        4    /* any user */


typedef struct {
    ngx_str_t                  access_key;
    ngx_str_t                  secret_key;
} ngx_http_s3_key_t;


typedef struct {
    ngx_str_t                  data;        /* data directory, absolute */
    ngx_str_t                  socket;      /* <data>/run/meta.sock */
    ngx_str_t                  region;
    ngx_array_t               *keys;        /* ngx_http_s3_key_t */
    ngx_uint_t                 fsync;
    ngx_thread_pool_t         *thread_pool;  /* of the body fsyncs */
    off_t                      min_free;    /* kept free for metadata */
    size_t                     inline_max;  /* bodies up to it inline */
    ngx_msec_t                 meta_timeout;
    time_t                     max_skew;
    ngx_flag_t                 sigv2;       /* accept Signature Version 2 */
    time_t                     orphan_grace;  /* 0: no orphan sweep */
    time_t                     multipart_expiry;  /* 0: never */
    ngx_path_t                *path;        /* registered with a manager */
    ngx_flag_t                 enabled;     /* some location uses s3 */
    ngx_shm_zone_t            *metrics_zone;  /* s3_metrics is used */
    ngx_array_t               *quotas;      /* s3_quota, or NULL */

    /* s3_key_file: ngx_http_s3_master_key_t, the current key first */
    ngx_array_t               *master_keys;

    /*
     * the access generation, in shared memory: the metadata process bumps
     * it on every change of keys, users, bucket owners and permissions;
     * workers flush their access caches when it moves
     */
    ngx_shm_zone_t            *shm_zone;
    ngx_atomic_t              *access_gen;

    /* s3_cors_default: the rules of buckets without their own, or NULL */
    ngx_http_s3_cors_t        *cors_default;

    /* s3_record_cache (bytes per worker, 0: off), its generations */
    size_t                     record_cache;
    ngx_shm_zone_t            *rcache_zone;

    /* s3_gateway_*: buckets backed by an upstream S3 service */
    ngx_http_s3_gw_conf_t      gw;
} ngx_http_s3_main_conf_t;


typedef struct {
    ngx_flag_t                 enable;
    ngx_str_t                  domain;      /* virtual-hosted base domain */
} ngx_http_s3_loc_conf_t;


/* what an authenticated request carries on to the operation */

typedef enum {
    NGX_HTTP_S3_PAYLOAD_NONE = 0,      /* anonymous, no auth */
    NGX_HTTP_S3_PAYLOAD_SIGNED,        /* x-amz-content-sha256: <hex> */
    NGX_HTTP_S3_PAYLOAD_UNSIGNED,      /* UNSIGNED-PAYLOAD, presigned, SigV2 */
    NGX_HTTP_S3_PAYLOAD_STREAMING      /* STREAMING-*: aws-chunked */
} ngx_http_s3_payload_e;


/* an element of an error body after <Message>, as S3 adds for some codes */

typedef struct {
    const char                *name;
    ngx_str_t                  value;
} ngx_http_s3_err_extra_t;


typedef struct {
    ngx_str_t                  access_key;  /* empty: anonymous */
    ngx_str_t                  user;        /* a managed key's user id;
                                               empty: root or anonymous */
    ngx_str_t                  display;     /* that user's display name */
    ngx_uint_t                 root;        /* an s3_access_key key: the
                                               operator */
    ngx_uint_t                 root_only;   /* managed keys are unknown
                                               (the admin API) */
    ngx_http_s3_payload_e      payload;
    u_char                     sha256[32];  /* for PAYLOAD_SIGNED */
    const char                *message;     /* why it failed, for the reply */
    ngx_http_s3_err_extra_t   *extra;       /* and what S3 adds to it */
    ngx_uint_t                 nextra;

    /* for PAYLOAD_STREAMING: what aws-chunked signatures chain from */
    ngx_str_t                  content_sha256;  /* the header's value */
    u_char                     signing_key[32];
    ngx_str_t                  seed;            /* the request signature */
    ngx_str_t                  amz_date;
    ngx_str_t                  scope;
} ngx_http_s3_auth_t;


/* a managed access key, as this request's worker knows it */

typedef struct {
    ngx_str_t                  access_key;
    ngx_str_t                  secret;      /* plain */
    ngx_str_t                  user;
    ngx_str_t                  display;
    ngx_uint_t                 found;       /* 0: no such key, or disabled */
} ngx_http_s3_key_info_t;


/* who may do what on a bucket, as this request's worker knows it */

typedef struct {
    ngx_str_t                  name;
    ngx_uint_t                 found;       /* 0: no such bucket */
    ngx_str_t                  owner;       /* user id; empty: operator */
    ngx_uint_t                 acl;         /* NGX_HTTP_S3_ACL_* */
    ngx_uint_t                 ngrants;
    ngx_http_s3_grant_t       *grants;
    ngx_str_t                  policy_text;
    ngx_http_s3_policy_t      *policy;      /* compiled, or NULL */
    ngx_uint_t                 policy_bad;  /* stored, but not compiled:
                                               nobody but the operator */
    ngx_uint_t                 object_lock; /* NGX_HTTP_S3_LOCK_* flags */
    ngx_str_t                  cors_text;
    ngx_http_s3_cors_t        *cors;        /* compiled, or NULL */
} ngx_http_s3_bucket_access_t;


typedef struct ngx_http_s3_ctx_s  ngx_http_s3_ctx_t;

struct ngx_http_s3_ctx_s {
    ngx_http_s3_op_e           op;
    ngx_str_t                  bucket;
    ngx_str_t                  key;         /* decoded, may be empty */
    ngx_str_t                  resource;    /* for error bodies */
    u_char                     request_id[17];
    ngx_http_s3_auth_t         auth;

    /* for the log and the metrics (ngx_http_s3_variables.c, metrics.c) */
    ngx_http_s3_err_e          error;       /* the S3 error sent, if any */
    off_t                      object_size; /* -1: not known */
    uint64_t                   start;       /* ngx_http_s3_usec(), 0: none */
    /*
     * ngx_http_s3_access.c: a key the worker's cache does not know is
     * looked up (lookup), and the answer kept for the next pass (akey)
     */
    ngx_str_t                  lookup;
    ngx_http_s3_key_info_t    *akey;

    /*
     * the same for the permissions on the request's bucket; the access
     * cache it comes from is kept while the request holds it
     */
    ngx_str_t                  lookup_bucket;
    ngx_http_s3_bucket_access_t  *baccess;
    ngx_http_s3_bucket_access_t  *saccess;   /* of a copy's source */
    void                      *access_hold;

    /* per-operation state, owned by the operation's file */
    void                      *op_ctx;

    /* the request body reader (ngx_http_s3_body.c), while it reads */
    void                      *body;

    /*
     * ngx_http_s3_cors.c: the rule the request's Origin and method
     * matched (its headers go out with the response, whatever it is),
     * and whether it was looked for
     */
    ngx_http_s3_cors_rule_t   *cors;
    ngx_str_t                  cors_origin;
    ngx_uint_t                 cors_checked;

    /* gateway mode: the request as it goes upstream (ngx_http_s3_gw.c) */
    ngx_http_s3_gw_req_t      *gw;
};


/* ngx_http_s3_module.c, and the request helpers of ngx_http_s3_handler.c */

extern ngx_module_t  ngx_http_s3_module;

ngx_int_t ngx_http_s3_arg(ngx_http_request_t *r, const char *name,
    ngx_str_t *value);
ngx_int_t ngx_http_s3_arg_decoded(ngx_http_request_t *r, const char *name,
    ngx_str_t *value);
ngx_int_t ngx_http_s3_arg_present(ngx_http_request_t *r, const char *name);
ngx_table_elt_t *ngx_http_s3_header_in(ngx_http_request_t *r,
    const char *name);
ngx_uint_t ngx_http_s3_header_is(ngx_table_elt_t *h, const char *name);
ngx_uint_t ngx_http_s3_header_prefix(ngx_table_elt_t *h,
    const char *prefix);
ngx_int_t ngx_http_s3_add_header(ngx_http_request_t *r, const char *name,
    ngx_str_t *value);
ngx_table_elt_t *ngx_http_s3_push_header(ngx_http_request_t *r,
    const char *name, ngx_str_t *value);
void ngx_http_s3_finalize(ngx_http_request_t *r, ngx_int_t rc);
/* a shared zone of one zeroed struct, kept by reloads: zone->data */
ngx_shm_zone_t *ngx_http_s3_shared_struct(ngx_conf_t *cf, char *name,
    size_t size);
/*
 * <data>/objects/ab/cd/<id>: the body file of an object version, named by
 * its random id; buf must hold smcf->data.len + 48 bytes; NUL-terminated.
 * NULL if id is not a valid body id (ngx_http_s3_valid_body_id())
 */
u_char *ngx_http_s3_body_path(ngx_http_s3_main_conf_t *smcf, u_char *buf,
    ngx_str_t *id);
ngx_http_s3_ctx_t *ngx_http_s3_get_ctx(ngx_http_request_t *r);
/* a new context with its request id, set for the module */
ngx_http_s3_ctx_t *ngx_http_s3_create_ctx(ngx_http_request_t *r);
/*
 * bucket, key and operation of a request the handler did not see (yet):
 * for the variables in phases before the content phase, or in the log
 */
void ngx_http_s3_identify(ngx_http_request_t *r, ngx_http_s3_ctx_t *ctx);
/* "GetObject": the operation's name in the routing table, or NULL */
const char *ngx_http_s3_op_name(ngx_http_s3_op_e op);
/* ngx_http_s3_handler.c: the content handler of an s3 location */
ngx_int_t ngx_http_s3_handler(ngx_http_request_t *r);
/*
 * parse, authenticate, route, check access and run the operation: what a
 * content handler returns; runs again after an access lookup
 */
ngx_int_t ngx_http_s3_process(ngx_http_request_t *r);

/*
 * ngx_http_s3_access.c: the worker's cache of managed keys (and of bucket
 * permissions), flushed when the access generation moves.
 *
 * key: NGX_OK with *ki (a copy in the request's pool) for an enabled key;
 * NGX_DECLINED for no such key or a disabled one; NGX_AGAIN when the
 * metadata process must be asked: ctx->lookup is set, and the caller
 * returns what ngx_http_s3_access_lookup() returns.
 */
ngx_int_t ngx_http_s3_access_managed(ngx_http_request_t *r, ngx_str_t *ak,
    ngx_http_s3_key_info_t **ki);
/*
 * May the request do what action takes on its bucket: NGX_OK;
 * NGX_DECLINED (AccessDenied); NGX_AGAIN: the bucket's permissions must
 * be asked for (ctx->lookup_bucket names it), the caller returns what
 * ngx_http_s3_access_lookup() returns; NGX_ERROR.
 */
ngx_int_t ngx_http_s3_access_check(ngx_http_request_t *r,
    ngx_http_s3_action_e action);
/* the same for reading a copy's source (x-amz-copy-source): s3:GetObject */
ngx_int_t ngx_http_s3_access_copy_source(ngx_http_request_t *r);
/* NGX_DONE (ngx_http_s3_process() runs again on the answer) or a reply */
ngx_int_t ngx_http_s3_access_lookup(ngx_http_request_t *r);
/*
 * the request's bucket as the worker knows it (its object lock flags,
 * its CORS rules), for root keys too: NGX_OK with ctx->baccess set;
 * NGX_AGAIN and NGX_ERROR as ngx_http_s3_access_check()
 */
ngx_int_t ngx_http_s3_access_bucket_state(ngx_http_request_t *r);
/*
 * after ngx_http_s3_access_check() let the request in: may it do action
 * on this object of its bucket (the keys of DeleteObjects): 1 or 0
 */
ngx_uint_t ngx_http_s3_access_object(ngx_http_request_t *r,
    ngx_http_s3_action_e action, ngx_str_t *key);
/*
 * x-amz-acl of a bucket: NGX_HTTP_S3_ACL_*; NGX_DECLINED for a canned
 * ACL that is no bucket permission here (aws-exec-read,
 * log-delivery-write); NGX_ERROR for no canned ACL at all
 */
ngx_int_t ngx_http_s3_access_bucket_acl(ngx_str_t *value);
/*
 * x-amz-acl and x-amz-grant-* of an object: NGX_HTTP_S3_OK for none or
 * what changes nothing (private, bucket-owner-full-control), else
 * NGX_HTTP_S3_ERR_ACL_NOT_SUPPORTED: permissions are the bucket's
 */
ngx_http_s3_err_e ngx_http_s3_access_object_acl(ngx_http_request_t *r);
/* an object's x-amz-acl that changes nothing: 1, else 0 */
ngx_uint_t ngx_http_s3_access_object_acl_noop(ngx_str_t *value);

/* ngx_http_s3_error.c */

ngx_int_t ngx_http_s3_send_error(ngx_http_request_t *r,
    ngx_http_s3_err_e err, const char *message);
const char *ngx_http_s3_err_code(ngx_http_s3_err_e err);
ngx_uint_t ngx_http_s3_err_status(ngx_http_s3_err_e err);
ngx_int_t ngx_http_s3_send_xml(ngx_http_request_t *r, ngx_uint_t status,
    ngx_chain_t *body);
/*
 * the S3 error for a status nginx gave the request (r->err_status of an
 * error_page redirect): 400 InvalidURI, 494 RequestHeaderSectionTooLarge,
 * 413 EntityTooLarge, 503 SlowDown, ...
 */
ngx_int_t ngx_http_s3_send_status_error(ngx_http_request_t *r,
    ngx_uint_t status);
/* drops the response header lines and fields an earlier pass had set */
void ngx_http_s3_clear_headers_out(ngx_http_request_t *r);
ngx_int_t ngx_http_s3_send_json(ngx_http_request_t *r, ngx_uint_t status,
    ngx_chain_t *body);

/* ngx_http_s3_admin.c: the content handler of s3_admin */

ngx_int_t ngx_http_s3_admin_handler(ngx_http_request_t *r);

/* ngx_http_s3_variables.c: $s3_operation, $s3_bucket, ... */

ngx_int_t ngx_http_s3_add_variables(ngx_conf_t *cf);


/*
 * ngx_http_s3_metrics.c: counters in a shared memory zone, exported in
 * Prometheus' text format by an s3_metrics location.  Without one, no
 * zone exists and every update below returns at once.
 */

typedef struct ngx_http_s3_meta_req_s  ngx_http_s3_meta_req_t;

#define NGX_HTTP_S3_ENGINE_LEVELS  7

/* what LevelDB says about itself, published by the metadata process */

typedef struct {
    uint64_t                   disk;        /* bytes of the files in db/ */
    uint64_t                   memory;      /* approximate-memory-usage */
    uint64_t                   files[NGX_HTTP_S3_ENGINE_LEVELS];
    uint64_t                   bytes[NGX_HTTP_S3_ENGINE_LEVELS];
    uint64_t                   compaction_us[NGX_HTTP_S3_ENGINE_LEVELS];
    uint64_t                   compaction_read[NGX_HTTP_S3_ENGINE_LEVELS];
    uint64_t                   compaction_written[NGX_HTTP_S3_ENGINE_LEVELS];
} ngx_http_s3_engine_stats_t;

char *ngx_http_s3_metrics_conf(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
/* ngx_http_s3_srv_usage.c: s3_quota bucket [max_size=] [max_objects=] */
char *ngx_http_s3_quota(ngx_conf_t *cf, ngx_command_t *cmd, void *conf);
ngx_int_t ngx_http_s3_metrics_init(ngx_conf_t *cf);
void ngx_http_s3_metrics_init_process(ngx_cycle_t *cycle);
ngx_uint_t ngx_http_s3_metrics_enabled(void);
/* a monotonic clock in microseconds */
uint64_t ngx_http_s3_usec(void);
/* a metadata request goes out, its answer (or timeout) comes back */
void ngx_http_s3_metrics_meta_start(ngx_http_s3_meta_req_t *mr);
void ngx_http_s3_metrics_meta_done(ngx_http_s3_meta_req_t *mr);
void ngx_http_s3_metrics_engine(ngx_http_s3_engine_stats_t *st);


/* ngx_http_s3_auth.c: NGX_HTTP_S3_OK or an error; fills ctx->auth */

ngx_http_s3_err_e ngx_http_s3_authenticate(ngx_http_request_t *r,
    ngx_http_s3_ctx_t *ctx);

/* the signature fields of a POST form (ngx_http_s3_post.c) */

typedef struct {
    ngx_str_t                  policy;      /* base64, as sent */
    ngx_str_t                  algorithm;   /* x-amz-algorithm */
    ngx_str_t                  credential;  /* x-amz-credential */
    ngx_str_t                  amz_date;    /* x-amz-date */
    ngx_str_t                  signature;   /* x-amz-signature, or SigV2's
                                               signature */
    ngx_str_t                  access_key;  /* SigV2: AWSAccessKeyId */
    ngx_uint_t                 v2;
} ngx_http_s3_form_auth_t;

/*
 * The policy's signature: SigV4 (HMAC-SHA256 with the signing key of
 * the credential's scope) or SigV2 (HMAC-SHA1 with the secret);
 * NGX_HTTP_S3_OK with ctx->auth filled, or an error (ctx->auth.message);
 * with ctx->lookup set the key must be looked up first, as for
 * ngx_http_s3_authenticate()
 */
ngx_http_s3_err_e ngx_http_s3_authenticate_form(ngx_http_request_t *r,
    ngx_http_s3_ctx_t *ctx, ngx_http_s3_form_auth_t *fa);

/* operations: each returns what a content handler returns */

ngx_int_t ngx_http_s3_list_buckets(ngx_http_request_t *r);
ngx_int_t ngx_http_s3_create_bucket(ngx_http_request_t *r);
ngx_int_t ngx_http_s3_delete_bucket(ngx_http_request_t *r);
ngx_int_t ngx_http_s3_head_bucket(ngx_http_request_t *r);
ngx_int_t ngx_http_s3_get_bucket_location(ngx_http_request_t *r);
ngx_int_t ngx_http_s3_get_bucket_versioning(ngx_http_request_t *r);
ngx_int_t ngx_http_s3_put_bucket_versioning(ngx_http_request_t *r);
ngx_int_t ngx_http_s3_list_objects(ngx_http_request_t *r);
ngx_int_t ngx_http_s3_delete_objects(ngx_http_request_t *r);
ngx_int_t ngx_http_s3_put_object(ngx_http_request_t *r);
ngx_int_t ngx_http_s3_get_object(ngx_http_request_t *r);
ngx_int_t ngx_http_s3_delete_object(ngx_http_request_t *r);
ngx_int_t ngx_http_s3_create_multipart_upload(ngx_http_request_t *r);
ngx_int_t ngx_http_s3_upload_part(ngx_http_request_t *r);
ngx_int_t ngx_http_s3_complete_multipart_upload(ngx_http_request_t *r);
ngx_int_t ngx_http_s3_abort_multipart_upload(ngx_http_request_t *r);
ngx_int_t ngx_http_s3_list_parts(ngx_http_request_t *r);
ngx_int_t ngx_http_s3_list_multipart_uploads(ngx_http_request_t *r);
ngx_int_t ngx_http_s3_copy_object(ngx_http_request_t *r);
ngx_int_t ngx_http_s3_upload_part_copy(ngx_http_request_t *r);
ngx_int_t ngx_http_s3_get_object_attributes(ngx_http_request_t *r);
ngx_int_t ngx_http_s3_get_object_tagging(ngx_http_request_t *r);
ngx_int_t ngx_http_s3_put_object_tagging(ngx_http_request_t *r);
ngx_int_t ngx_http_s3_delete_object_tagging(ngx_http_request_t *r);
ngx_int_t ngx_http_s3_get_bucket_tagging(ngx_http_request_t *r);
ngx_int_t ngx_http_s3_put_bucket_tagging(ngx_http_request_t *r);
ngx_int_t ngx_http_s3_delete_bucket_tagging(ngx_http_request_t *r);
ngx_int_t ngx_http_s3_get_bucket_acl(ngx_http_request_t *r);
ngx_int_t ngx_http_s3_put_bucket_acl(ngx_http_request_t *r);
ngx_int_t ngx_http_s3_get_object_acl(ngx_http_request_t *r);
ngx_int_t ngx_http_s3_put_object_acl(ngx_http_request_t *r);
ngx_int_t ngx_http_s3_get_bucket_policy(ngx_http_request_t *r);
ngx_int_t ngx_http_s3_put_bucket_policy(ngx_http_request_t *r);
ngx_int_t ngx_http_s3_delete_bucket_policy(ngx_http_request_t *r);
ngx_int_t ngx_http_s3_get_bucket_cors(ngx_http_request_t *r);
ngx_int_t ngx_http_s3_put_bucket_cors(ngx_http_request_t *r);
ngx_int_t ngx_http_s3_delete_bucket_cors(ngx_http_request_t *r);
ngx_int_t ngx_http_s3_cors_preflight(ngx_http_request_t *r);
ngx_int_t ngx_http_s3_post_object(ngx_http_request_t *r);

/*
 * ngx_http_s3_cors.c: the CORS rule for a request with an Origin, found
 * before it is authenticated (its headers go out with any answer):
 * NGX_OK; NGX_AGAIN: the bucket's access data must be looked up (the
 * caller returns ngx_http_s3_access_lookup())
 */
ngx_int_t ngx_http_s3_cors_request(ngx_http_request_t *r);
ngx_int_t ngx_http_s3_cors_init(ngx_conf_t *cf);
char *ngx_http_s3_cors_default(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);


/*
 * ngx_http_s3_meta.c: the worker side of the metadata service.
 *
 * A caller fills a request (op and an encoded body made with the wire
 * codec), sets a handler and calls ngx_http_s3_meta_send().  The handler
 * runs later, from the event loop, with mr->status and mr->reply set
 * (reply memory is allocated from mr->pool).  The transport (unix socket
 * to the helper process, or in-process with master_process off) is not
 * visible to callers.  Mutating requests are idempotent on replay.
 */

typedef void (*ngx_http_s3_meta_handler_pt)(ngx_http_s3_meta_req_t *mr);

struct ngx_http_s3_meta_req_s {
    ngx_uint_t                     op;          /* NGX_HTTP_S3_WIRE_OP_* */
    ngx_str_t                      body;        /* encoded request */
    ngx_pool_t                    *pool;
    ngx_log_t                     *log;

    ngx_http_s3_meta_handler_pt    handler;
    void                          *data;

    ngx_uint_t                     status;      /* NGX_HTTP_S3_WIRE_ST_* */
    ngx_str_t                      reply;
    ngx_uint_t                     resent;      /* sent again after the
                                                   connection broke: a
                                                   mutation may have been
                                                   committed by the first
                                                   send */

    /* transport state */
    ngx_uint_t                     state;
    uint32_t                       id;
    size_t                         sent;
    ngx_queue_t                    queue;
    ngx_rbtree_node_t              node;
    ngx_event_t                    timer;
    uint64_t                       start;       /* for the metrics */
};


ngx_http_s3_meta_req_t *ngx_http_s3_meta_create(ngx_http_request_t *r,
    ngx_uint_t op, ngx_http_s3_meta_handler_pt handler, void *data);
ngx_int_t ngx_http_s3_meta_send(ngx_http_s3_meta_req_t *mr);
ngx_int_t ngx_http_s3_meta_init_worker(ngx_cycle_t *cycle);
void ngx_http_s3_meta_exit_worker(ngx_cycle_t *cycle);


/* ngx_http_s3_engine.c: LevelDB, used only by the server (one process) */

typedef struct ngx_http_s3_iter_s  ngx_http_s3_iter_t;

/* NGX_OK; NGX_AGAIN: locked by another process; NGX_ERROR: logged */
ngx_int_t ngx_http_s3_engine_open(ngx_log_t *log, ngx_str_t *dir,
    ngx_uint_t sync);
void ngx_http_s3_engine_close(void);
/* the name of the operation being executed, for the log */
void ngx_http_s3_engine_op(const char *what);
void ngx_http_s3_engine_request(ngx_uint_t on);
/* a write failed since the open (no write until a reopen), or not open */
ngx_uint_t ngx_http_s3_engine_write_failed(void);
/* group commit: writes not synced each, then one sync for them all */
void ngx_http_s3_engine_group(ngx_uint_t on);
ngx_uint_t ngx_http_s3_engine_dirty(void);
ngx_int_t ngx_http_s3_engine_sync(ngx_log_t *log);
/* room to reopen: NGX_OK or NGX_DECLINED, with the bytes free and needed */
ngx_int_t ngx_http_s3_engine_room(ngx_log_t *log, off_t *avail, off_t *need);
/* NGX_OK with value (free it with ngx_http_s3_engine_free), NGX_DECLINED */
ngx_int_t ngx_http_s3_engine_get(ngx_log_t *log, ngx_str_t *key,
    ngx_str_t *value);
void ngx_http_s3_engine_free(ngx_str_t *value);
/* a write batch, destroyed with the pool; applied atomically by write */
typedef struct ngx_http_s3_batch_s  ngx_http_s3_batch_t;

ngx_http_s3_batch_t *ngx_http_s3_engine_batch(ngx_pool_t *pool);
void ngx_http_s3_batch_put(ngx_http_s3_batch_t *b, ngx_str_t *key,
    ngx_str_t *value);
void ngx_http_s3_batch_delete(ngx_http_s3_batch_t *b, ngx_str_t *key);
ngx_int_t ngx_http_s3_engine_write(ngx_log_t *log, ngx_http_s3_batch_t *b,
    const char *what);
/* NGX_OK, or NGX_DECLINED if the database is not open */
ngx_int_t ngx_http_s3_engine_stats(ngx_log_t *log,
    ngx_http_s3_engine_stats_t *st);
/* a NULL iterator (database not open) is never valid, its status an error */
ngx_http_s3_iter_t *ngx_http_s3_engine_iter(void);
void ngx_http_s3_iter_seek(ngx_http_s3_iter_t *it, u_char *key, size_t len);
ngx_uint_t ngx_http_s3_iter_valid(ngx_http_s3_iter_t *it);
void ngx_http_s3_iter_key(ngx_http_s3_iter_t *it, ngx_str_t *key);
void ngx_http_s3_iter_value(ngx_http_s3_iter_t *it, ngx_str_t *value);
void ngx_http_s3_iter_next(ngx_http_s3_iter_t *it);
void ngx_http_s3_iter_destroy(ngx_http_s3_iter_t *it);
/* when a loop ends: NGX_OK at the end, NGX_ERROR (logged) on a failure */
ngx_int_t ngx_http_s3_iter_status(ngx_log_t *log, ngx_http_s3_iter_t *it);


/* ngx_http_s3_server.c: the helper process side */

ngx_msec_t ngx_http_s3_server_manager(void *data);

/* execute one request: used by the server and, in process, by meta.c */

ngx_int_t ngx_http_s3_server_execute(ngx_log_t *log, uint32_t op,
    ngx_str_t *req, ngx_http_s3_wbuf_t *out, ngx_uint_t *status);
ngx_int_t ngx_http_s3_server_open(ngx_cycle_t *cycle,
    ngx_http_s3_main_conf_t *smcf);
void ngx_http_s3_server_exit(void);


#endif /* _NGX_HTTP_S3_H_INCLUDED_ */
