
/*
 * Copyright (C) ngx_s3 authors
 */


#ifndef _NGX_HTTP_S3_OPS_H_INCLUDED_
#define _NGX_HTTP_S3_OPS_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_s3.h"
#include "ngx_http_s3_checksum.h"


/*
 * Shared by the operation files (bucket, put, get, delete, list) and the
 * error file; not part of the module's contract with the rest of the code.
 */


#define NGX_HTTP_S3_MAX_OBJECT_SIZE    ((off_t) 5 * 1024 * 1024 * 1024)


/* ngx_http_s3_error.c */

/* an error with more elements after <Message>, as S3 adds for some codes */
ngx_int_t ngx_http_s3_send_error_extra(ngx_http_request_t *r,
    ngx_http_s3_err_e err, const char *message,
    ngx_http_s3_err_extra_t *extra, ngx_uint_t nextra);

/* a response without a body: 200 (Content-Length: 0), 204 */
ngx_int_t ngx_http_s3_send_empty(ngx_http_request_t *r, ngx_uint_t status);

/* the S3 error for a metadata reply status other than OK */
ngx_http_s3_err_e ngx_http_s3_meta_error(ngx_uint_t status);

/* the metadata status as text, for logs */
const char *ngx_http_s3_meta_status_text(ngx_uint_t status);

/* S3's message for a status's error where the code's own is not it */
const char *ngx_http_s3_meta_message(ngx_uint_t status);


/*
 * ngx_http_s3_body.c: the request body reader.
 *
 * The body is read unbuffered: each piece goes to data_handler as it
 * arrives (memory does not grow with the size of the body), hashed on the
 * way with MD5, for a signed payload SHA-256, and with the x-amz-checksum-*
 * algorithm the request names.  An aws-chunked body (x-amz-content-sha256:
 * STREAMING-*) is decoded on the way: data_handler sees the decoded data
 * only, and chunk signatures are verified.  At the end the lengths, the
 * x-amz-content-sha256 hash, Content-MD5 and the checksum (from a header
 * or the aws-chunked trailer) are checked, then done_handler runs; it owns
 * the rest of the request and finalizes it.  On an error the reader
 * answers the S3 error and finalizes the request itself; done_handler is
 * not called.
 */

typedef struct ngx_http_s3_body_s  ngx_http_s3_body_t;

/* NGX_OK, or NGX_ERROR with bd->err set */
typedef ngx_int_t (*ngx_http_s3_body_data_pt)(ngx_http_s3_body_t *bd,
    u_char *p, size_t len);
typedef void (*ngx_http_s3_body_done_pt)(ngx_http_s3_body_t *bd);

struct ngx_http_s3_body_s {
    ngx_http_request_t        *request;
    ngx_http_s3_body_data_pt   data_handler;
    ngx_http_s3_body_done_pt   done_handler;
    ngx_http_s3_body_done_pt   fail_handler;  /* optional: the body is
                                                 refused, before the
                                                 error is answered */
    void                      *data;

    off_t                      max;          /* too_large above */
    ngx_http_s3_err_e          too_large;    /* default EntityTooLarge */
    off_t                      received;     /* decoded data */
    ngx_http_s3_err_e          err;
    const char                *message;     /* of err, or NULL */

    void                      *md5;          /* EVP_MD_CTX */
    void                      *sha256;       /* EVP_MD_CTX, signed only */

    u_char                     md5_sum[16];
    u_char                     content_md5[16];

    /* aws-chunked: the decoder, bytes read with the framing, and the
       x-amz-decoded-content-length */
    void                      *chunked;      /* ngx_http_s3_chunked_t */
    off_t                      raw;
    off_t                      decoded_length;

    /* x-amz-checksum-*: checksum.alg is NGX_HTTP_S3_CHECKSUM_NONE if none;
       the sum is valid when done_handler runs */
    ngx_http_s3_checksum_t     checksum;
    u_char                     checksum_want[NGX_HTTP_S3_CHECKSUM_MAX_SIZE];
    u_char                     checksum_sum[NGX_HTTP_S3_CHECKSUM_MAX_SIZE];

    unsigned                   check_md5:1;
    unsigned                   finished:1;
    unsigned                   chunked_done:1;
    unsigned                   checksum_header:1;   /* want: a header */
    unsigned                   checksum_trailer:1;  /* want: a trailer */
    unsigned                   object_checksum:1;   /* x-amz-checksum-*
                                                       are not the body's:
                                                       left alone */
    unsigned                   no_etag:1;     /* no MD5 unless
                                                 Content-MD5 asks */
    unsigned                   short_data:1;  /* aws-chunked data short
                                                 of its decoded length */
};

/*
 * Content-MD5, the checksum headers, aws-chunked and the hashes:
 * NGX_HTTP_S3_OK, or the error to answer (with bd->message, or NULL):
 * NGX_HTTP_S3_ERR_INVALID_DIGEST for a Content-MD5 that is not base64 of
 * 16 bytes, NGX_HTTP_S3_ERR_INVALID_REQUEST for a bad x-amz-checksum-*,
 * x-amz-sdk-checksum-algorithm or x-amz-trailer,
 * NGX_HTTP_S3_ERR_MISSING_CONTENT_LENGTH for aws-chunked without a valid
 * x-amz-decoded-content-length, NGX_HTTP_S3_ERR_ENTITY_TOO_LARGE,
 * NGX_HTTP_S3_ERR_INTERNAL
 */
ngx_http_s3_err_e ngx_http_s3_body_init(ngx_http_request_t *r,
    ngx_http_s3_body_t *bd);

/*
 * The body read by someone else (the gateway's request body filter):
 * each piece as read, NGX_OK or NGX_ERROR with bd->err and bd->message;
 * at its end the checks, NGX_HTTP_S3_OK or the error (bd->message).
 */
ngx_int_t ngx_http_s3_body_feed(ngx_http_s3_body_t *bd, u_char *p,
    size_t len);
ngx_http_s3_err_e ngx_http_s3_body_end(ngx_http_s3_body_t *bd);

/*
 * NGX_OK: reading started and the request count was raised: the caller
 * returns NGX_DONE (or finalizes with NGX_DONE from an event handler).
 * Anything else: a response was sent; the caller returns (finalizes) it.
 */
ngx_int_t ngx_http_s3_body_read(ngx_http_s3_body_t *bd);

/*
 * A small XML body in memory, up to NGX_HTTP_S3_MAX_XML_BODY, verified
 * as above; handler runs with the body and finalizes the request.  With
 * object_checksum the x-amz-checksum-* headers are not the body's (they
 * are the object's, in CompleteMultipartUpload) and are left alone.
 * Returns as ngx_http_s3_body_read().
 */
typedef void (*ngx_http_s3_xml_body_pt)(ngx_http_request_t *r,
    ngx_str_t *body);

ngx_int_t ngx_http_s3_read_xml_body(ngx_http_request_t *r,
    ngx_http_s3_xml_body_pt handler, ngx_uint_t object_checksum);

/*
 * Before a final answer: a body that was not read must not be taken for
 * the next request on the connection.  Every response goes through it.
 */
void ngx_http_s3_body_discard(ngx_http_request_t *r);


/*
 * ngx_http_s3_bucket.c: the record of a bucket this request makes (owner:
 * its key), BUCKET_CREATE with the reply to handler; as meta_call below
 */
ngx_int_t ngx_http_s3_bucket_create_record(ngx_http_request_t *r,
    ngx_http_s3_meta_handler_pt handler);


/*
 * ngx_http_s3_meta.c: a metadata request with an encoded body; NGX_OK
 * or NGX_ERROR.  From a content handler, after NGX_OK:
 * r->main->count++ and return NGX_DONE.
 */
ngx_int_t ngx_http_s3_meta_call(ngx_http_request_t *r, ngx_uint_t op,
    ngx_http_s3_wbuf_t *b, ngx_http_s3_meta_handler_pt handler, void *data);
ngx_int_t ngx_http_s3_meta_named(ngx_http_request_t *r, ngx_uint_t op,
    ngx_uint_t with_key, ngx_http_s3_meta_handler_pt handler, void *data);
/*
 * a setting of the request's bucket ("policy", "tagging", "cors",
 * "object-lock"): get it (value NULL; the reply: str value, or NO_KEY
 * when there is none) or set it (value empty: delete it); the handler's
 * data is r; NGX_DONE (the count raised) or a response's rc
 */
ngx_int_t ngx_http_s3_meta_setting(ngx_http_request_t *r, const char *name,
    ngx_str_t *value, ngx_http_s3_meta_handler_pt handler);
/*
 * the reply of a setting's get as the response: the stored document, as
 * JSON (json) or XML; the error none when there is none
 */
ngx_int_t ngx_http_s3_setting_send(ngx_http_request_t *r,
    ngx_http_s3_meta_req_t *mr, ngx_http_s3_err_e none, ngx_uint_t json);



/*
 * ngx_http_s3_store.c: body files.  create: a new file under a random id
 * (sf->id), removed when the request's pool goes unless sf->keep is set
 * by then (and refused, ENOSPC, when it would leave less than s3_min_free);
 * write: appended (with s3_fsync on, its writeback is started every few
 * MiB); discard: close and remove at once.  NGX_OK or NGX_ERROR (logged,
 * sf->err set).
 *
 * close: durable by the s3_fsync policy, then closed.  NGX_OK or NGX_ERROR
 * at once (s3_fsync off, or a failure before the fsyncs started), or
 * NGX_AGAIN: the fsyncs run in the s3_thread_pool, the request is blocked
 * meanwhile (r->main->blocked), and the handler is called in the event
 * loop with NGX_OK or NGX_ERROR, as a metadata reply's is: the caller
 * holds a reference of the request until then (from a content handler:
 * r->main->count++ and NGX_DONE).  If the connection broke meanwhile the
 * handler is not called: the request is finalized, its file removed.
 */

typedef void (*ngx_http_s3_store_handler_pt)(void *data, ngx_int_t rc);

typedef struct {
    ngx_file_t                 file;        /* name: the full path */
    ngx_str_t                  id;          /* NGX_HTTP_S3_BODY_ID_LEN */
    ngx_err_t                  err;         /* of the call that failed */
    off_t                      written_back;  /* writeback started */
    ngx_http_request_t        *request;
    ngx_http_s3_store_handler_pt  handler;  /* of an asynchronous close */
    void                      *data;
    ngx_buf_t                 *mem;         /* an inline body: no file */
    unsigned                   keep:1;      /* a record names it, or may */
    unsigned                   sync:1;      /* s3_fsync on */
    unsigned                   new_dirs:1;  /* its fan-out dirs are new */
} ngx_http_s3_store_file_t;

ngx_int_t ngx_http_s3_store_create(ngx_http_request_t *r,
    ngx_http_s3_store_file_t *sf);
/*
 * an inline body of exactly size bytes: written into sf->mem (from the
 * request's pool), no file; write, close and discard work as for a file
 */
ngx_int_t ngx_http_s3_store_create_inline(ngx_http_request_t *r,
    ngx_http_s3_store_file_t *sf, size_t size);
ngx_int_t ngx_http_s3_store_write(ngx_http_s3_store_file_t *sf, u_char *p,
    size_t len);
ngx_int_t ngx_http_s3_store_close(ngx_http_request_t *r,
    ngx_http_s3_store_file_t *sf, ngx_http_s3_store_handler_pt handler,
    void *data);
void ngx_http_s3_store_discard(ngx_http_s3_store_file_t *sf);
/*
 * a body file for reading, through the location's open_file_cache, whose
 * entries of deleted bodies each worker drops within a second
 */
ngx_int_t ngx_http_s3_store_open(ngx_http_request_t *r, ngx_str_t *path,
    ngx_open_file_info_t *of);
/* after a failure: 503 ServiceUnavailable for a full disk, else 500 */
ngx_http_s3_err_e ngx_http_s3_store_error(ngx_http_s3_store_file_t *sf);


/* ngx_http_s3_put.c: If-Match / If-None-Match of a write, as sent */
void ngx_http_s3_write_conditions(ngx_http_request_t *r,
    ngx_http_s3_write_cond_t *wc);

/*
 * content headers, x-amz-meta-* and x-amz-tagging (checked: InvalidTag,
 * InvalidArgument) into o (PutObject, CreateMultipartUpload, CopyObject);
 * headers asking for what is not implemented are refused (NotImplemented)
 */
ngx_http_s3_err_e ngx_http_s3_put_headers(ngx_http_request_t *r,
    ngx_http_s3_object_t *o, const char **message);


/* ngx_http_s3_tagging.c: x-amz-tagging-count of GET and HEAD */
ngx_int_t ngx_http_s3_tagging_count(ngx_http_request_t *r,
    ngx_http_s3_object_t *o);


/* ngx_http_s3_list.c */

/*
 * a key-like element (Key, Prefix, Delimiter, Marker, ...), URL-encoded
 * as S3 does with encoding-type=url (url set)
 */
void ngx_http_s3_xml_key(ngx_http_s3_xml_t *w, const char *name,
    ngx_str_t *value, ngx_uint_t url);
/* <Owner><ID>..</ID><DisplayName>..</DisplayName></Owner> */
void ngx_http_s3_xml_owner(ngx_http_s3_xml_t *w, ngx_str_t *owner);


/* ngx_http_s3_copy.c: what CopyObject and UploadPartCopy share */

/*
 * x-amz-copy-source into bucket, key (decoded, checked) and the
 * versionId of its query (empty if none): NGX_HTTP_S3_OK or the error
 * with *message and, when extra[0].name is set, the 2 extra elements to
 * send with it
 */
ngx_http_s3_err_e ngx_http_s3_copy_source(ngx_http_request_t *r,
    ngx_str_t *bucket, ngx_str_t *key, ngx_str_t *vid,
    const char **message, ngx_http_s3_err_extra_t *extra);
/* the x-amz-copy-source-if-* headers, for the metadata process */
void ngx_http_s3_copy_conditions(ngx_http_request_t *r,
    ngx_http_s3_copy_cond_t *cc);


/* ngx_http_s3_get.c */

/*
 * versionId absent (*vid empty), "null" or of the form of this server's
 * ids: NGX_OK and *vid (vid may be NULL); else NGX_DECLINED
 */
ngx_int_t ngx_http_s3_version_arg(ngx_http_request_t *r, ngx_str_t *vid);
/* x-amz-version-id (a version's record), x-amz-delete-marker (a marker) */
ngx_int_t ngx_http_s3_version_headers(ngx_http_request_t *r,
    ngx_http_s3_object_t *o);
/*
 * x-amz-checksum-<alg> and x-amz-checksum-type on the response; with
 * type NGX_HTTP_S3_CHECKSUM_COMPOSITE and parts, the value ends "-<parts>";
 * type NGX_HTTP_S3_WIRE_NO_TYPE: no x-amz-checksum-type (UploadPart)
 */
ngx_int_t ngx_http_s3_checksum_out(ngx_http_request_t *r, ngx_uint_t alg,
    ngx_uint_t type, ngx_str_t *digest, ngx_uint_t parts);
/*
 * the same as XML elements: <ChecksumCRC32>..</ChecksumCRC32> (with
 * "-<parts>" as above) and, unless type is NGX_HTTP_S3_CHECKSUM_NO_TYPE,
 * <ChecksumType>; nothing without a checksum
 */
void ngx_http_s3_checksum_xml(ngx_http_s3_xml_t *w, ngx_uint_t alg,
    ngx_uint_t type, ngx_str_t *digest, ngx_uint_t parts);

#define NGX_HTTP_S3_CHECKSUM_NO_TYPE  0xff


/* ngx_http_s3_lock.c: object lock, the worker side */

/*
 * x-amz-object-lock-mode, -retain-until-date, -legal-hold of a write
 * (PutObject, CopyObject, CreateMultipartUpload) into o, checked as S3
 * does, and against the bucket's lock (ctx->baccess)
 */
ngx_http_s3_err_e ngx_http_s3_lock_headers(ngx_http_request_t *r,
    ngx_http_s3_object_t *o, const char **message);
/*
 * a PutObject into a bucket with object lock must carry Content-MD5 or
 * a checksum when it sets a retention or legal hold, or the bucket has
 * a default retention: NGX_HTTP_S3_OK or the error
 */
ngx_http_s3_err_e ngx_http_s3_lock_checksum(ngx_http_request_t *r,
    ngx_http_s3_object_t *o, const char **message);
/* the same for an UploadPart of an upload (u) with a lock of its own */
ngx_http_s3_err_e ngx_http_s3_lock_part_checksum(ngx_http_request_t *r,
    ngx_http_s3_object_t *u, const char **message);
/* x-amz-object-lock-* on a GET/HEAD response */
ngx_int_t ngx_http_s3_lock_out(ngx_http_request_t *r,
    ngx_http_s3_object_t *o);
/*
 * x-amz-bypass-governance-retention: true, and the permission
 * (s3:BypassGovernanceRetention) for key (NULL: the header only): 1 or 0
 */
ngx_uint_t ngx_http_s3_lock_bypass(ngx_http_request_t *r, ngx_str_t *key);

ngx_int_t ngx_http_s3_put_object_lock_configuration(ngx_http_request_t *r);
ngx_int_t ngx_http_s3_get_object_lock_configuration(ngx_http_request_t *r);
ngx_int_t ngx_http_s3_put_object_retention(ngx_http_request_t *r);
ngx_int_t ngx_http_s3_get_object_retention(ngx_http_request_t *r);
ngx_int_t ngx_http_s3_put_object_legal_hold(ngx_http_request_t *r);
ngx_int_t ngx_http_s3_get_object_legal_hold(ngx_http_request_t *r);


#endif /* _NGX_HTTP_S3_OPS_H_INCLUDED_ */
