
/*
 * Copyright (C) ngx_s3 authors
 */


#ifndef _NGX_HTTP_S3_WIRE_H_INCLUDED_
#define _NGX_HTTP_S3_WIRE_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>


/*
 * The metadata protocol between workers and the helper process, and the
 * encoding of the records stored in LevelDB.  Pure code: no request, no
 * connection; unit tests and fuzzers call it directly.
 *
 * A frame is: u32 length of what follows, u32 id, u8 op (request) or
 * status (reply), then the body.  Integers are big-endian; a string is a
 * u32 length and the bytes.  A record is a list of fields: u8 tag, u32
 * length, value; unknown tags are skipped, so fields can be added.
 */


#define NGX_HTTP_S3_WIRE_HEADER        9
#define NGX_HTTP_S3_WIRE_MAX_FRAME     (64 * 1024 * 1024)

/*
 * Request bodies and replies (str = u32 length + bytes):
 *
 * PING            -                          OK
 * BUCKET_CREATE   str bucket record          OK | EXISTS: existing record
 * BUCKET_GET      str name                   OK: record | NO_BUCKET
 * BUCKET_DELETE   str name                   OK | NO_BUCKET | NOT_EMPTY
 * BUCKET_LIST     [str user id]              OK: u32 n, n x str record
 * OBJECT_PUT      str bucket, str key, str object record, cond
 *                 (u8 bits, str If-Match value, and with
 *                 COND_IF_NONE_LIST str If-None-Match value)
 *                 [, str body: with OBJECT_INLINE in the record's
 *                 flags, its bytes (exactly size), written as
 *                 "I<body id>" in the record's batch]
 *                                            OK: str version id (empty:
 *                 unversioned) | NO_BUCKET | PRECONDITION
 *                                            | NO_KEY (If-Match, no object)
 *                 the record's version id and sequence are the metadata
 *                 process's (by the bucket's versioning state); the
 *                 replaced version's body file is unlinked by the
 *                 metadata process after the commit; a replay (the body
 *                 id is committed already) is answered OK with the
 *                 version that names it and changes nothing
 * OBJECT_GET      str bucket, str key [, str version id]
 *                                            OK: object record (of a
 *                 version asked for: possibly a delete marker), and
 *                 for an inline body its bytes appended as field
 *                 FIELD_INLINE_DATA
 *                                            | NO_BUCKET | NO_KEY [: str
 *                 the delete marker that is the latest version]
 *                                            | NO_VERSION | BAD_REQUEST
 * OBJECT_DELETE   str bucket, str key [, str version id (empty: none),
 *                 u64 mtime, str owner, str request id (of a delete
 *                 marker)]
 *                                            OK (also if no key): u8 delete
 *                 marker (the version made or deleted is one), str its
 *                 version id (empty: unversioned) | NO_BUCKET | NO_VERSION
 *                 the body file is unlinked after the commit; in a
 *                 versioned bucket, without a version id, a delete marker
 *                 is added (a replay: the latest is the marker of the same
 *                 mtime and request id, answered again)
 * VERSION_LIST    str bucket, str prefix, str delimiter, str key marker,
 *                 str version id marker, u32 max (1..1000)
 *                                            OK: u8 truncated, str next
 *                 key marker, str next version id marker, u32 n, n x (u8
 *                 kind, str key, and for ENTRY_OBJECT u8 latest, str
 *                 record as LIST's)          | NO_BUCKET
 *                 versions by key, newest first; a prefix counts as one
 * BUCKET_VERSIONING str bucket, u8 state (VERSIONING_ENABLED or
 *                 _SUSPENDED)                OK | NO_BUCKET
 * LIST            str bucket, str prefix, str delimiter, str marker
 *                 (exclusive: list keys > marker), u32 max (1..1000)
 *                                            OK: u8 truncated, str next
 *                 marker (the last key or prefix returned), u32 n,
 *                 n x (u8 kind, str key, and for ENTRY_OBJECT str record
 *                 without extents and parts table)
 *                                            | NO_BUCKET
 *                 keys and common prefixes are returned in byte order;
 *                 a prefix counts as one entry toward max
 * HANDOVER        -                          OK
 *                 sent by a new metadata process to the old one during a
 *                 reload: the old one, if it was told to quit, exits now
 *
 * Multipart uploads (upload id: 32 lowercase hex; an upload belongs to
 * its bucket and key, another key's id is NO_UPLOAD):
 *
 * UPLOAD_CREATE   str bucket, str key, str upload id, str upload record
 *                                            OK | NO_BUCKET
 *                 a replay (the id exists) is OK
 * UPLOAD_GET      str bucket, str key, str upload id
 *                                            OK: upload record
 *                                            | NO_UPLOAD | NO_BUCKET
 * PART_PUT        str bucket, str key, str upload id, u32 part number,
 *                 str part record            OK | NO_UPLOAD | NO_BUCKET
 *                 replaces the part of that number; a replay (same body
 *                 id) is OK
 * UPLOAD_COMPLETE str bucket, str key, str upload id, u64 mtime, cond (as
 *                 OBJECT_PUT's), u8 checksum type asked for
 *                 (NGX_HTTP_S3_CHECKSUM_* type, or WIRE_NO_TYPE), u8
 *                 algorithm of the object checksum given (0: none), str
 *                 its digest, u32 its "-N" (0: none), u32 n, n x (u32
 *                 part number, str etag, u8 algorithm, str digest), part
 *                 numbers ascending
 *                                            OK: the object record
 *                 | NO_UPLOAD | NO_BUCKET | NO_KEY | PRECONDITION
 *                 | INVALID_PART: u32 number, str etag
 *                 | PART_TOO_SMALL: u32 number, u64 size
 *                 | BAD_DIGEST | TOO_LARGE
 *                 | CHECKSUM_MISSING: u8 algorithm, u32 number
 *                 | CHECKSUM_TYPE: u8 the upload's type
 *                 the object's extents are the parts' bodies; the upload
 *                 and all its parts go; a complete of an upload that is
 *                 already the current object is answered OK with it
 * UPLOAD_ABORT    str bucket, str key, str upload id
 *                                            OK | NO_UPLOAD | NO_BUCKET
 * PART_LIST       str bucket, str key, str upload id, u32 marker (list
 *                 parts > marker), u32 max (1..1000)
 *                                            OK: str upload record,
 *                 u8 truncated, u32 n, n x (u32 number, str part record)
 *                                            | NO_UPLOAD | NO_BUCKET
 * UPLOAD_LIST     str bucket, str prefix, str delimiter, str key marker,
 *                 str upload id marker, u32 max (1..1000)
 *                                            OK: u8 truncated, u32 n,
 *                 n x (u8 kind, str key, and for ENTRY_OBJECT str upload
 *                 id, str upload record)     | NO_BUCKET
 *                 uploads by key, then by upload id (by initiation)
 *
 * OBJECT_COPY     str source bucket, str source key, str bucket, str key,
 *                 u8 directives (COPY_* bits), str template record (the
 *                 new object's mtime, owner, version; with
 *                 COPY_REPLACE_META its content headers and metadata, with
 *                 COPY_REPLACE_TAGGING its tagging, with COPY_CHECKSUM its
 *                 checksum), copy-source conditions (u8 bits, str
 *                 if-match, str if-none-match, u64 if-unmodified-since,
 *                 u64 if-modified-since, seconds), cond (of the target,
 *                 as OBJECT_PUT's), str the source record the request was
 *                 made for (empty: any), str the source's version id
 *                 (empty: the current one)
 *                                            OK: the new object record,
 *                 str the source's version id (empty: unversioned)
 *                 | NO_BUCKET, NO_KEY, NO_VERSION, DELETE_MARKER,
 *                 PRECONDITION: u8 COPY_SOURCE or COPY_TARGET | CHANGED
 *                 | SOURCE_TOO_LARGE
 *                 the new record names the source's body or extents (no
 *                 bytes are copied) and keeps its ETag, size and parts;
 *                 their counts rise and the replaced target's fall in the
 *                 same commit; the conditions are decided against the
 *                 records read in that step; a replay (the target is
 *                 already exactly the record the copy makes) is OK
 * PART_COPY       str source bucket, str source key, str bucket, str key,
 *                 str upload id, u32 part number, u64 mtime, u8 range
 *                 given, u64 first, u64 last (bytes of the source,
 *                 inclusive), copy-source conditions (as OBJECT_COPY's),
 *                 u8 algorithm of a checksum the worker computed of the
 *                 range (0: none), str its digest, str the range's MD5 (16
 *                 bytes, or empty), str the source record they are of
 *                 (empty: none), str the source's version id (empty: the
 *                 current one)
 *                                            OK: str the part record, str
 *                 the source's version id (empty: unversioned)
 *                 | NO_UPLOAD | NO_BUCKET, NO_KEY, PRECONDITION: u8
 *                 COPY_SOURCE or COPY_TARGET | CHANGED | SOURCE_TOO_LARGE
 *                 | BAD_RANGE: u64 the source's size
 *                 | CHECKSUM_NEEDED: u8 the upload's algorithm, str the
 *                 source record: the worker hashes the range and sends
 *                 the request again with the digest, the MD5 and that
 *                 record
 *                 the part record names the range of the source's body
 *                 or extents, no bytes are copied; its ETag is the MD5 of
 *                 the range when it is known without reading (the whole
 *                 of a single-part source, a part of a multipart one, or
 *                 hashed by the worker), else a digest of the source's
 *                 ETag and the range; a replay (the same part record) is
 *                 OK
 *
 * Every body file a committed record names (an object's body or extents,
 * a part's body) holds a reference; OBJECT_PUT, OBJECT_DELETE and the
 * multipart operations adjust the counts in the same commit, and a body
 * whose count reaches 0 is unlinked by the metadata process after it.
 *
 * Users and access keys (ngx_http_s3_srv_keys.c).  Each change of a key,
 * a user, a grant, a bucket's owner or permissions bumps the generation
 * counter in shared memory, which flushes every worker's access cache.
 *
 * USER_CREATE     str user record            OK | EXISTS: existing record
 *                 the same record again (a replay) is OK
 * USER_LIST       -                          OK: u32 n, n x (str user
 *                                            record, u32 keys, u32 buckets)
 * USER_DELETE     str user id                OK | NO_USER | NOT_EMPTY (it
 *                                            owns buckets); its keys go too
 * KEY_CREATE      str access key, str user id, str secret, u64 created
 *                                            OK | NO_USER | EXISTS
 *                 the secret is sealed with the current s3_key_file key;
 *                 the same access key for the same user is a replay: OK
 * KEY_GET         str access key             OK: str user id, u8 status,
 *                                            str secret, str display name
 *                                            | NO_KEY
 * KEY_LIST        str user id (empty: all)   OK: u32 n, n x key record
 *                                            without the secret
 * KEY_STATUS      str access key, u8 status  OK | NO_KEY
 * KEY_DELETE      str access key             OK | NO_KEY
 *
 * Bucket permissions (ngx_http_s3_srv_access.c); CreateBucket and
 * DeleteBucket bump the generation too:
 *
 * GRANT_SET       str bucket, str user id, u8 permission (PERM_*; NONE:
 *                 revoke)                    OK | NO_BUCKET | NO_USER
 * BUCKET_ACCESS   str bucket                 OK: str bucket record, u32 n,
 *                                            n x str grant record, str
 *                                            policy, str cors (the
 *                                            settings; empty: none)
 *                                            | NO_BUCKET
 * BUCKET_ACCESS_LIST  -                      OK: u32 n, n x (the reply of
 *                                            BUCKET_ACCESS for a bucket)
 * BUCKET_ACL_SET  str bucket, u8 canned ACL (NGX_HTTP_S3_ACL_*)
 *                                            OK | NO_BUCKET
 * SETTING_SET     str bucket, str name, str value (checked by the
 *                 worker; empty: delete it)  OK | NO_BUCKET
 * USAGE_GET       str bucket                 OK: 6 x u64 (NGX_HTTP_S3_USAGE_*)
 *                                            | NO_BUCKET
 * USAGE_LIST      -                          OK: u32 n, n x (str bucket,
 *                                            6 x u64)
 * SETTING_GET     str bucket, str name       OK: str value | NO_BUCKET
 *                                            | NO_KEY (none)
 *                 A setting is the record "S<bucket>\0<name>": the
 *                 names are "policy", "tagging", "cors", "object-lock".
 *
 * BUCKET_LIST takes an optional str user id: then only the buckets that
 * user owns or has a grant on.
 *
 * Changes of one stored object version in place (ngx_http_s3_srv_patch.c):
 *
 * OBJECT_PATCH    str bucket, str key, str version id (empty: the current
 *                 version), u8 flags (PATCH_* bits), str patch: an object
 *                 record holding only the fields to replace, each tag at
 *                 most once; a field with an empty value removes it
 *                                            OK: the record as it is now
 *                 | NO_BUCKET | NO_KEY (no object, or its current version
 *                 is a delete marker) | NO_VERSION (an object, but not
 *                 that version) | BAD_REQUEST (a field that may not be
 *                 patched, or a value of a bad form) | what a field's
 *                 checker answers
 *                 the metadata process runs the checker of each field
 *                 whose value changes (a table: tag -> check function,
 *                 ngx_http_s3_srv_patch.c), merges (replaced fields stay
 *                 where they were, new ones go last) and rewrites the
 *                 record in one commit; a patch that changes nothing (a
 *                 replay) is answered OK without a write
 *
 * Object lock (ngx_http_s3_srv_lock.c):
 *
 * LOCK_SET        str bucket, str lock configuration (a lock_conf record;
 *                 empty: no default retention)
 *                                            OK | NO_BUCKET | BUCKET_STATE
 *                 (versioning is not Enabled): in one batch the bucket
 *                 record's object lock flags (tag 36) and the setting
 *                 "object-lock"; bumps the access generation
 * LOCK_GET        str bucket                 OK: u8 bucket lock flags
 *                 (NGX_HTTP_S3_LOCK_*), str lock configuration (empty:
 *                 none)                      | NO_BUCKET
 *
 * OBJECT_PUT, OBJECT_COPY, UPLOAD_COMPLETE into a bucket with object lock:
 * the bucket's default retention is applied to a record that has none
 * (from its mtime), a record with lock fields into a bucket without lock
 * is NO_LOCK, and a current record that is locked is not replaced:
 * LOCKED.  OBJECT_DELETE takes an optional u8 flags after the key
 * (NGX_HTTP_S3_WIRE_PATCH_BYPASS): a locked record is LOCKED.
 */


/* requests */

#define NGX_HTTP_S3_WIRE_OP_PING             1
#define NGX_HTTP_S3_WIRE_OP_BUCKET_CREATE    2
#define NGX_HTTP_S3_WIRE_OP_BUCKET_GET       3
#define NGX_HTTP_S3_WIRE_OP_BUCKET_DELETE    4
#define NGX_HTTP_S3_WIRE_OP_BUCKET_LIST      5
#define NGX_HTTP_S3_WIRE_OP_OBJECT_PUT       6
#define NGX_HTTP_S3_WIRE_OP_OBJECT_GET       7
#define NGX_HTTP_S3_WIRE_OP_OBJECT_DELETE    8
#define NGX_HTTP_S3_WIRE_OP_LIST             9
#define NGX_HTTP_S3_WIRE_OP_HANDOVER         10
#define NGX_HTTP_S3_WIRE_OP_UPLOAD_CREATE    11
#define NGX_HTTP_S3_WIRE_OP_UPLOAD_GET       12
#define NGX_HTTP_S3_WIRE_OP_PART_PUT         13
#define NGX_HTTP_S3_WIRE_OP_UPLOAD_COMPLETE  14
#define NGX_HTTP_S3_WIRE_OP_UPLOAD_ABORT     15
#define NGX_HTTP_S3_WIRE_OP_PART_LIST        16
#define NGX_HTTP_S3_WIRE_OP_UPLOAD_LIST      17
#define NGX_HTTP_S3_WIRE_OP_OBJECT_COPY      18
#define NGX_HTTP_S3_WIRE_OP_PART_COPY        19
#define NGX_HTTP_S3_WIRE_OP_USER_CREATE      20
#define NGX_HTTP_S3_WIRE_OP_USER_LIST        21
#define NGX_HTTP_S3_WIRE_OP_USER_DELETE      22
#define NGX_HTTP_S3_WIRE_OP_KEY_CREATE       23
#define NGX_HTTP_S3_WIRE_OP_KEY_GET          24
#define NGX_HTTP_S3_WIRE_OP_KEY_LIST         25
#define NGX_HTTP_S3_WIRE_OP_KEY_STATUS       26
#define NGX_HTTP_S3_WIRE_OP_KEY_DELETE       27
#define NGX_HTTP_S3_WIRE_OP_GRANT_SET        28
#define NGX_HTTP_S3_WIRE_OP_BUCKET_ACCESS    29
#define NGX_HTTP_S3_WIRE_OP_BUCKET_ACCESS_LIST 30
#define NGX_HTTP_S3_WIRE_OP_BUCKET_ACL_SET   31
#define NGX_HTTP_S3_WIRE_OP_SETTING_SET      32
#define NGX_HTTP_S3_WIRE_OP_SETTING_GET      33
#define NGX_HTTP_S3_WIRE_OP_VERSION_LIST     34
#define NGX_HTTP_S3_WIRE_OP_BUCKET_VERSIONING 35
/* 36-39: versioning */
#define NGX_HTTP_S3_WIRE_OP_OBJECT_PATCH     40
/* 41-44: tagging */
/* object lock (ngx_http_s3_srv_lock.c): the lock helper's range 45-49 */
#define NGX_HTTP_S3_WIRE_OP_LOCK_SET         45
#define NGX_HTTP_S3_WIRE_OP_LOCK_GET         46
/* 50-54: CORS */
#define NGX_HTTP_S3_WIRE_OP_USAGE_GET        55
#define NGX_HTTP_S3_WIRE_OP_USAGE_LIST       56
#define NGX_HTTP_S3_WIRE_OP_LAST             57

/* reply status */

#define NGX_HTTP_S3_WIRE_ST_OK               0
#define NGX_HTTP_S3_WIRE_ST_NO_BUCKET        1
#define NGX_HTTP_S3_WIRE_ST_NO_KEY           2
#define NGX_HTTP_S3_WIRE_ST_EXISTS           3
#define NGX_HTTP_S3_WIRE_ST_NOT_EMPTY        4
#define NGX_HTTP_S3_WIRE_ST_PRECONDITION     5
#define NGX_HTTP_S3_WIRE_ST_BAD_REQUEST      6
#define NGX_HTTP_S3_WIRE_ST_ERROR            7
#define NGX_HTTP_S3_WIRE_ST_UNAVAILABLE      8   /* transport, never sent */
#define NGX_HTTP_S3_WIRE_ST_NO_UPLOAD        9
#define NGX_HTTP_S3_WIRE_ST_INVALID_PART     10
#define NGX_HTTP_S3_WIRE_ST_PART_TOO_SMALL   11
#define NGX_HTTP_S3_WIRE_ST_BAD_DIGEST       12
#define NGX_HTTP_S3_WIRE_ST_CHECKSUM_MISSING 13
#define NGX_HTTP_S3_WIRE_ST_CHECKSUM_TYPE    14
#define NGX_HTTP_S3_WIRE_ST_TOO_LARGE        15
#define NGX_HTTP_S3_WIRE_ST_CHANGED          16  /* not the source asked for */
#define NGX_HTTP_S3_WIRE_ST_SOURCE_TOO_LARGE 17  /* a copy source > 5 GiB */
#define NGX_HTTP_S3_WIRE_ST_BAD_RANGE        18  /* past the copy source */
#define NGX_HTTP_S3_WIRE_ST_CHECKSUM_NEEDED  19  /* hash the range first */
#define NGX_HTTP_S3_WIRE_ST_NO_USER          20
#define NGX_HTTP_S3_WIRE_ST_NO_VERSION       21  /* the key, not that version */
#define NGX_HTTP_S3_WIRE_ST_DELETE_MARKER    22  /* a copy source by id */
#define NGX_HTTP_S3_WIRE_ST_QUOTA            30  /* s3_quota would be passed */
/* object lock: numbered in the lock helper's range, 45-49 */
#define NGX_HTTP_S3_WIRE_ST_LOCKED           45  /* a locked version */
#define NGX_HTTP_S3_WIRE_ST_NO_LOCK          46  /* the bucket has no lock */
#define NGX_HTTP_S3_WIRE_ST_BUCKET_STATE     47  /* versioning not enabled */

/* UPLOAD_COMPLETE without x-amz-checksum-type */

#define NGX_HTTP_S3_WIRE_NO_TYPE             0xff

/*
 * conditions of a write (OBJECT_PUT), bits: each present header's value
 * is a str, If-Match's first; "*" or entity tags, as sent
 */

#define NGX_HTTP_S3_WIRE_COND_NONE           0
#define NGX_HTTP_S3_WIRE_COND_IF_NONE_MATCH  1   /* format 1: "*" only */
#define NGX_HTTP_S3_WIRE_COND_IF_MATCH       2
#define NGX_HTTP_S3_WIRE_COND_IF_NONE_LIST   8

/* OBJECT_COPY: directives, and which object an error is about */

#define NGX_HTTP_S3_WIRE_COPY_REPLACE_META    0x01
#define NGX_HTTP_S3_WIRE_COPY_REPLACE_TAGGING 0x02
#define NGX_HTTP_S3_WIRE_COPY_CHECKSUM        0x04

#define NGX_HTTP_S3_WIRE_COPY_TARGET         0
#define NGX_HTTP_S3_WIRE_COPY_SOURCE         1

/* the largest object a copy may read from (S3's CopyObject limit) */

#define NGX_HTTP_S3_WIRE_COPY_MAX_SOURCE     ((uint64_t) 5 << 30)

/* OBJECT_PATCH flags */

#define NGX_HTTP_S3_WIRE_PATCH_BYPASS        0x01  /* bypass governance
                                                      retention */

/*
 * object record fields an OBJECT_PATCH may carry (the other tags are
 * private to ngx_http_s3_wire.c); a pairs field holds (str, str) pairs
 */

#define NGX_HTTP_S3_FIELD_TAGGING            19  /* x-amz-tagging as sent
                                                    (read, only removed) */
#define NGX_HTTP_S3_FIELD_TAGS               28  /* the tag set: pairs */
#define NGX_HTTP_S3_FIELD_LOCK_MODE          57  /* u64: LOCK_MODE_* */
#define NGX_HTTP_S3_FIELD_LOCK_UNTIL         58  /* u64: retain until, ms */
#define NGX_HTTP_S3_FIELD_LEGAL_HOLD         59  /* u64: LEGAL_HOLD_* */

/*
 * the bytes of an inline body: never stored in a record, appended to
 * one by OBJECT_GET
 */
#define NGX_HTTP_S3_FIELD_INLINE_DATA        80

/* kinds of LIST entries */

#define NGX_HTTP_S3_WIRE_ENTRY_OBJECT        0
#define NGX_HTTP_S3_WIRE_ENTRY_PREFIX        1


typedef struct {
    u_char                    *start;
    u_char                    *pos;
    u_char                    *end;
    ngx_pool_t                *pool;      /* NULL: malloc-backed */
    ngx_uint_t                 error;
} ngx_http_s3_wbuf_t;


typedef struct {
    u_char                    *pos;
    u_char                    *last;
    ngx_uint_t                 error;
} ngx_http_s3_rbuf_t;


typedef struct {
    ngx_str_t                  name;
    ngx_str_t                  value;
} ngx_http_s3_pair_t;


#define NGX_HTTP_S3_OBJECT_DELETE_MARKER     0x01
#define NGX_HTTP_S3_OBJECT_INLINE            0x02  /* the body is "I<id>" in
                                                      the database, not a
                                                      file */

#define NGX_HTTP_S3_CHECKSUM_FULL_OBJECT     0
#define NGX_HTTP_S3_CHECKSUM_COMPOSITE       1   /* multipart: of the parts'
                                                    checksums, "-N" */


/* a piece of a body file: an object's bytes are its extents in order */

typedef struct {
    ngx_str_t                  body;      /* body file id, 32 hex */
    uint64_t                   offset;
    uint64_t                   length;
} ngx_http_s3_extent_t;


/* a part of a multipart object, as it was uploaded */

typedef struct {
    uint64_t                   size;
    u_char                    *md5;       /* 16 bytes */
    ngx_str_t                  checksum;  /* raw digest of the object's
                                             algorithm, or empty */
} ngx_http_s3_part_t;


typedef struct {
    uint64_t                   size;
    uint64_t                   mtime;     /* milliseconds since the epoch */
    ngx_str_t                  etag;      /* hex md5, or hex-N */
    ngx_str_t                  body;      /* body file id, 32 lowercase
                                             hex; empty: no body file */
    ngx_str_t                  version;   /* "null" when unversioned */
    ngx_str_t                  content_type;
    ngx_str_t                  content_encoding;
    ngx_str_t                  content_disposition;
    ngx_str_t                  content_language;
    ngx_str_t                  cache_control;
    ngx_str_t                  expires;
    ngx_str_t                  owner;     /* access key of the writer */
    ngx_array_t               *meta;      /* ngx_http_s3_pair_t, x-amz-meta-
                                             names without the prefix */
    ngx_uint_t                 flags;

    /* the x-amz-checksum-* verified at upload, if any */
    ngx_uint_t                 checksum_alg;   /* NGX_HTTP_S3_CHECKSUM_*
                                                  of ngx_http_s3_checksum.h,
                                                  0: none */
    ngx_uint_t                 checksum_type;  /* _CHECKSUM_FULL_OBJECT or
                                                  _COMPOSITE */
    ngx_str_t                  checksum;       /* the digest, raw bytes;
                                                  may be empty in an upload
                                                  record (the algorithm) */

    /*
     * where the bytes are when they are not simply the whole body file:
     * ngx_http_s3_extent_t; NULL when body names them (decoded only with
     * a pool, and then validated: ids, and lengths adding up to size)
     */
    ngx_array_t               *extents;

    /* a multipart object's parts: ngx_http_s3_part_t, or NULL */
    ngx_array_t               *parts;

    ngx_str_t                  upload_id;  /* the upload completed into it */
    uint64_t                   seq;        /* the sequence of its "V"
                                              record; 0: it has none (an
                                              unversioned write) */
    ngx_str_t                  request;    /* the id of the request that
                                              made a delete marker */
    ngx_str_t                  tagging;    /* x-amz-tagging as sent, kept
                                              by older versions (field 19) */
    ngx_array_t               *tags;       /* the tag set (field 28):
                                              ngx_http_s3_pair_t, or NULL */

    /* object lock (fields 57-59) */
    ngx_uint_t                 lock_mode;   /* NGX_HTTP_S3_LOCK_MODE_* */
    uint64_t                   lock_until;  /* retain until, ms */
    ngx_uint_t                 legal_hold;  /* NGX_HTTP_S3_LEGAL_HOLD_* */

    /* an inline body's bytes, as OBJECT_GET sends them (field 80) */
    ngx_str_t                  data;
} ngx_http_s3_object_t;


/* object lock: retention modes, legal hold (0: never set) */

#define NGX_HTTP_S3_LOCK_MODE_NONE           0
#define NGX_HTTP_S3_LOCK_MODE_GOVERNANCE     1
#define NGX_HTTP_S3_LOCK_MODE_COMPLIANCE     2

#define NGX_HTTP_S3_LEGAL_HOLD_NONE          0
#define NGX_HTTP_S3_LEGAL_HOLD_OFF           1
#define NGX_HTTP_S3_LEGAL_HOLD_ON            2

/* a bucket's object lock flags (bucket record tag 36) */

#define NGX_HTTP_S3_LOCK_ENABLED             0x01
#define NGX_HTTP_S3_LOCK_DEFAULT             0x02  /* a default retention */


/* a bucket's object lock configuration (setting "object-lock") */

typedef struct {
    ngx_uint_t                 mode;      /* NGX_HTTP_S3_LOCK_MODE_* */
    ngx_uint_t                 years;     /* 1: count is years, else days */
    uint32_t                   count;
} ngx_http_s3_lock_conf_t;


/* a bucket's canned ACL: who else may read or write it */

#define NGX_HTTP_S3_ACL_PRIVATE              0
#define NGX_HTTP_S3_ACL_PUBLIC_READ          1   /* anyone reads */
#define NGX_HTTP_S3_ACL_PUBLIC_READ_WRITE    2   /* anyone reads, writes */
#define NGX_HTTP_S3_ACL_AUTHENTICATED_READ   3   /* every user reads */
#define NGX_HTTP_S3_ACL_LAST                 4


#define NGX_HTTP_S3_VERSIONING_OFF           0
#define NGX_HTTP_S3_VERSIONING_ENABLED       1
#define NGX_HTTP_S3_VERSIONING_SUSPENDED     2


typedef struct {
    ngx_str_t                  name;
    uint64_t                   created;   /* milliseconds since the epoch */
    ngx_str_t                  region;
    ngx_str_t                  owner;     /* access key of the creator */
    ngx_str_t                  owner_user;  /* the owning user's id;
                                               empty: the operator's */
    ngx_uint_t                 acl;         /* NGX_HTTP_S3_ACL_* */
    ngx_uint_t                 versioning;
    ngx_uint_t                 object_lock;  /* NGX_HTTP_S3_LOCK_* flags */
} ngx_http_s3_bucket_t;


/* a user: owns buckets and access keys (record "A<id>") */

typedef struct {
    ngx_str_t                  id;
    ngx_str_t                  name;      /* display name */
    uint64_t                   created;   /* milliseconds since the epoch */
} ngx_http_s3_user_t;


#define NGX_HTTP_S3_KEY_ENABLED              0
#define NGX_HTTP_S3_KEY_DISABLED             1


/* a managed access key (record "K<access key>") */

typedef struct {
    ngx_str_t                  access_key;
    ngx_str_t                  user;      /* the owner's id */
    ngx_uint_t                 status;    /* NGX_HTTP_S3_KEY_* */
    uint64_t                   created;
    ngx_str_t                  secret;    /* sealed, ngx_http_s3_secret.h */
} ngx_http_s3_akey_t;


/* a user's permission on a bucket (record "G<bucket>\0<user id>") */

#define NGX_HTTP_S3_PERM_NONE                0
#define NGX_HTTP_S3_PERM_READ                1   /* GET, HEAD, list */
#define NGX_HTTP_S3_PERM_WRITE               2   /* and PUT, DELETE, ... */

typedef struct {
    ngx_str_t                  user;
    ngx_uint_t                 perm;      /* NGX_HTTP_S3_PERM_* */
} ngx_http_s3_grant_t;


/* writing */

ngx_int_t ngx_http_s3_wbuf_init(ngx_http_s3_wbuf_t *b, ngx_pool_t *pool,
    size_t size);
void ngx_http_s3_wbuf_free(ngx_http_s3_wbuf_t *b);
void ngx_http_s3_wire_put_u8(ngx_http_s3_wbuf_t *b, uint8_t v);
void ngx_http_s3_wire_put_u32(ngx_http_s3_wbuf_t *b, uint32_t v);
void ngx_http_s3_wire_put_u64(ngx_http_s3_wbuf_t *b, uint64_t v);
void ngx_http_s3_wire_put_str(ngx_http_s3_wbuf_t *b, ngx_str_t *s);
void ngx_http_s3_wire_put_raw(ngx_http_s3_wbuf_t *b, u_char *p, size_t n);

/* a frame: begin reserves the header, end fills in the length */
size_t ngx_http_s3_wire_frame_begin(ngx_http_s3_wbuf_t *b, uint32_t id,
    uint8_t code);
void ngx_http_s3_wire_frame_end(ngx_http_s3_wbuf_t *b, size_t start);

/* reading: on a short or bad input, error is set and zeros are returned */

void ngx_http_s3_rbuf_init(ngx_http_s3_rbuf_t *b, ngx_str_t *s);
uint8_t ngx_http_s3_wire_get_u8(ngx_http_s3_rbuf_t *b);
uint32_t ngx_http_s3_wire_get_u32(ngx_http_s3_rbuf_t *b);
uint64_t ngx_http_s3_wire_get_u64(ngx_http_s3_rbuf_t *b);
void ngx_http_s3_wire_get_str(ngx_http_s3_rbuf_t *b, ngx_str_t *s);

/* the conditions of a write: If-Match and If-None-Match, as sent */

typedef struct {
    ngx_uint_t                 cond;        /* NGX_HTTP_S3_WIRE_COND_* */
    ngx_str_t                  match;
    ngx_str_t                  none_match;
} ngx_http_s3_write_cond_t;

void ngx_http_s3_wire_put_cond(ngx_http_s3_wbuf_t *b,
    ngx_http_s3_write_cond_t *wc);
void ngx_http_s3_wire_get_cond(ngx_http_s3_rbuf_t *b,
    ngx_http_s3_write_cond_t *wc);
/*
 * decided against the current ETag (NULL: no object): WIRE_ST_OK,
 * WIRE_ST_PRECONDITION, or WIRE_ST_NO_KEY (If-Match and no object)
 */
ngx_uint_t ngx_http_s3_write_cond_check(ngx_http_s3_write_cond_t *wc,
    ngx_str_t *etag);

/*
 * the x-amz-copy-source-if-* of a copy: bits of what is present, the
 * values as sent (entity tags) and in seconds since the epoch (dates)
 */

#define NGX_HTTP_S3_WIRE_SRC_IF_MATCH           0x01
#define NGX_HTTP_S3_WIRE_SRC_IF_NONE_MATCH      0x02
#define NGX_HTTP_S3_WIRE_SRC_IF_UNMODIFIED      0x04
#define NGX_HTTP_S3_WIRE_SRC_IF_MODIFIED        0x08

typedef struct {
    ngx_uint_t                 cond;
    ngx_str_t                  match;
    ngx_str_t                  none_match;
    uint64_t                   unmodified_since;
    uint64_t                   modified_since;
} ngx_http_s3_copy_cond_t;

void ngx_http_s3_wire_put_copy_cond(ngx_http_s3_wbuf_t *b,
    ngx_http_s3_copy_cond_t *cc);
void ngx_http_s3_wire_get_copy_cond(ngx_http_s3_rbuf_t *b,
    ngx_http_s3_copy_cond_t *cc);
/*
 * S3's rules against the source's ETag and mtime (ms): if-match decides
 * alone when present (else if-unmodified-since), and if-none-match alone
 * when present (else if-modified-since): NGX_OK, or NGX_DECLINED (412)
 */
ngx_int_t ngx_http_s3_copy_cond_check(ngx_http_s3_copy_cond_t *cc,
    ngx_str_t *etag, uint64_t mtime);

/*
 * parse a frame header at p (n bytes available): NGX_AGAIN if incomplete,
 * NGX_ERROR if the length is impossible; else *len is the whole frame size
 */
ngx_int_t ngx_http_s3_wire_frame_parse(u_char *p, size_t n, size_t *len,
    uint32_t *id, uint8_t *code);

/*
 * records; decoded strings point into the input.  A record from the wire
 * or the database is hostile: the object decoder refuses (NGX_ERROR) a
 * body id that ngx_http_s3_valid_body_id() refuses (in extents too, and
 * an upload id of another form); without a pool the metadata, extents
 * and parts of an object are checked, not returned
 */

void ngx_http_s3_object_encode(ngx_http_s3_wbuf_t *b,
    ngx_http_s3_object_t *o);
ngx_int_t ngx_http_s3_object_decode(ngx_str_t *in, ngx_http_s3_object_t *o,
    ngx_pool_t *pool);
/*
 * an object record as a str, without the fields a listing has no use
 * for (extents and parts table: a multipart object's record grows with
 * its parts, a page of them would not fit in a frame)
 */
void ngx_http_s3_object_put_listed(ngx_http_s3_wbuf_t *b, ngx_str_t *rec);
void ngx_http_s3_bucket_encode(ngx_http_s3_wbuf_t *b,
    ngx_http_s3_bucket_t *bk);
ngx_int_t ngx_http_s3_bucket_decode(ngx_str_t *in, ngx_http_s3_bucket_t *bk);
void ngx_http_s3_user_encode(ngx_http_s3_wbuf_t *b, ngx_http_s3_user_t *u);
ngx_int_t ngx_http_s3_user_decode(ngx_str_t *in, ngx_http_s3_user_t *u);
void ngx_http_s3_akey_encode(ngx_http_s3_wbuf_t *b, ngx_http_s3_akey_t *k);
ngx_int_t ngx_http_s3_akey_decode(ngx_str_t *in, ngx_http_s3_akey_t *k);
/*
 * A bucket's usage, kept by the metadata process in the batch of every
 * change: current objects, their bytes; non-current versions, their
 * bytes; parts of uploads in progress, their bytes
 */

#define NGX_HTTP_S3_USAGE_OBJECTS            0
#define NGX_HTTP_S3_USAGE_BYTES              1
#define NGX_HTTP_S3_USAGE_VERSIONS           2
#define NGX_HTTP_S3_USAGE_VERSION_BYTES      3
#define NGX_HTTP_S3_USAGE_PARTS              4
#define NGX_HTTP_S3_USAGE_PART_BYTES         5
#define NGX_HTTP_S3_USAGE_N                  6

typedef struct {
    uint64_t                   n[NGX_HTTP_S3_USAGE_N];
} ngx_http_s3_usage_t;

/* "C<bucket>": field 60, the counters as u64 in the order above */
void ngx_http_s3_usage_encode(ngx_http_s3_wbuf_t *b, ngx_http_s3_usage_t *u);
ngx_int_t ngx_http_s3_usage_decode(ngx_str_t *in, ngx_http_s3_usage_t *u);

/* a bucket setting: "S<bucket>\0<name>", its value in field 56 */
void ngx_http_s3_setting_encode(ngx_http_s3_wbuf_t *b, ngx_str_t *value);
ngx_int_t ngx_http_s3_setting_decode(ngx_str_t *in, ngx_str_t *value);
/* the object lock configuration: u8 mode, u8 years, u32 count */
void ngx_http_s3_lock_conf_encode(ngx_http_s3_wbuf_t *b,
    ngx_http_s3_lock_conf_t *lc);
ngx_int_t ngx_http_s3_lock_conf_decode(ngx_str_t *in,
    ngx_http_s3_lock_conf_t *lc);
void ngx_http_s3_grant_encode(ngx_http_s3_wbuf_t *b, ngx_http_s3_grant_t *g);
ngx_int_t ngx_http_s3_grant_decode(ngx_str_t *in, ngx_http_s3_grant_t *g);

/*
 * Versions (docs/on-disk-format.md): a version id is its sequence in
 * NGX_HTTP_S3_VERSION_ID_LEN lowercase hex digits, or "null".
 * version_id writes the id of seq; version_parse: NGX_OK and the
 * sequence (0 for "null"), NGX_ERROR for anything else; version_next:
 * the sequence after last at now_ms (ms << 16, or last + 1).
 * version_key: "V<bucket>\0<key>\0<rev>" (rev: 8 bytes big-endian of
 * 2^64-1 - seq, the newest first), without rev unless with_rev, or
 * "V<bucket>\0" when key is NULL; dst NULL: the length.  key_parse: the
 * key and sequence of a "V" key whose first base bytes are its bucket's.
 */

#define NGX_HTTP_S3_VERSION_ID_LEN           16

void ngx_http_s3_version_id(u_char *dst, uint64_t seq);
ngx_int_t ngx_http_s3_version_parse(ngx_str_t *id, uint64_t *seq);
uint64_t ngx_http_s3_version_next(uint64_t last, uint64_t now_ms);
size_t ngx_http_s3_version_key(u_char *dst, ngx_str_t *bucket,
    ngx_str_t *key, uint64_t seq, ngx_uint_t with_rev);
ngx_int_t ngx_http_s3_version_key_parse(ngx_str_t *k, size_t base,
    ngx_str_t *key, uint64_t *seq);

/*
 * generic record fields: put_field writes a field even when the value is
 * empty (a patch's removal); put_pairs writes a pairs field (nothing when
 * pairs is NULL or empty, unless always); pairs_decode checks a pairs
 * value and, with a pool, returns its pairs (pointing into v)
 */
void ngx_http_s3_record_put_field(ngx_http_s3_wbuf_t *b, uint8_t tag,
    ngx_str_t *value);
void ngx_http_s3_record_put_pairs(ngx_http_s3_wbuf_t *b, uint8_t tag,
    ngx_array_t *pairs, ngx_uint_t always);
ngx_int_t ngx_http_s3_pairs_decode(ngx_str_t *v, ngx_array_t **pairs,
    ngx_pool_t *pool);
/* the value of a pairs field alone (a bucket's "tagging" setting) */
void ngx_http_s3_pairs_encode(ngx_http_s3_wbuf_t *b, ngx_array_t *pairs);
/*
 * the value of the first field of that tag in a record: NGX_OK,
 * NGX_DECLINED (none), or NGX_ERROR (the record is not a field list)
 */
ngx_int_t ngx_http_s3_record_field(ngx_str_t *rec, uint8_t tag,
    ngx_str_t *value);
/*
 * a record with a patch applied, appended to b: each field of rec whose
 * tag the patch has is replaced by the patch's field where it stands (or
 * dropped when the patch's value is empty; later fields of that tag are
 * dropped), the patch's other non-empty fields follow in patch order.
 * NGX_OK, or NGX_ERROR: a record or patch that is not a field list, or a
 * tag twice in the patch
 */
ngx_int_t ngx_http_s3_record_patch(ngx_http_s3_wbuf_t *b, ngx_str_t *rec,
    ngx_str_t *patch);

/*
 * 1 if id is NGX_HTTP_S3_BODY_ID_LEN lowercase hex characters, else 0;
 * upload ids have the same form
 */
ngx_uint_t ngx_http_s3_valid_body_id(ngx_str_t *id);


#endif /* _NGX_HTTP_S3_WIRE_H_INCLUDED_ */
