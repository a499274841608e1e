
/*
 * Copyright (C) ngx_s3 authors
 */


#ifndef _NGX_HTTP_S3_XML_H_INCLUDED_
#define _NGX_HTTP_S3_XML_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>


#define NGX_HTTP_S3_XMLNS  "http://s3.amazonaws.com/doc/2006-03-01/"


/*
 * Response writer: appends to a chain of pool buffers (a large listing
 * is not one contiguous allocation).  Errors are sticky: check w->error
 * once, after ngx_http_s3_xml_finish().
 */

typedef struct {
    ngx_pool_t                *pool;
    ngx_chain_t               *first;
    ngx_chain_t              **last;
    ngx_buf_t                 *buf;
    ngx_uint_t                 error;
} ngx_http_s3_xml_t;


void ngx_http_s3_xml_init(ngx_http_s3_xml_t *w, ngx_pool_t *pool);
/* <?xml version="1.0" encoding="UTF-8"?> and <name xmlns="...S3 ns..."> */
void ngx_http_s3_xml_root(ngx_http_s3_xml_t *w, const char *name);
void ngx_http_s3_xml_open(ngx_http_s3_xml_t *w, const char *name);
void ngx_http_s3_xml_close(ngx_http_s3_xml_t *w, const char *name);
/* <name>escaped text</name> */
void ngx_http_s3_xml_text(ngx_http_s3_xml_t *w, const char *name,
    u_char *text, size_t len);
void ngx_http_s3_xml_cstr(ngx_http_s3_xml_t *w, const char *name,
    const char *text);
void ngx_http_s3_xml_uint(ngx_http_s3_xml_t *w, const char *name,
    uint64_t n);
/* the chain, last buffer marked last_buf; NULL on error */
ngx_chain_t *ngx_http_s3_xml_finish(ngx_http_s3_xml_t *w);

/* escape for XML text and attribute values; dst NULL: length needed */
size_t ngx_http_s3_xml_escape(u_char *dst, u_char *src, size_t len);


/*
 * Request parsers (libxml2 with network, entities and DTDs off).
 * NGX_OK, or NGX_ERROR for malformed XML / wrong document.
 */

/* <CreateBucketConfiguration><LocationConstraint>; empty if none */
ngx_int_t ngx_http_s3_xml_parse_create_bucket(ngx_pool_t *pool,
    u_char *body, size_t len, ngx_str_t *location);

typedef struct {
    ngx_str_t                  key;
    ngx_str_t                  version;   /* empty if not given */
} ngx_http_s3_xml_delete_key_t;

/*
 * <Delete><Quiet>true</Quiet><Object><Key>..</Key><VersionId>..</VersionId>
 * </Object>...</Delete>; *keys is an array of ngx_http_s3_xml_delete_key_t
 * (strings copied into pool).  More than max objects: NGX_DECLINED.
 */
ngx_int_t ngx_http_s3_xml_parse_delete(ngx_pool_t *pool, u_char *body,
    size_t len, ngx_uint_t max, ngx_array_t **keys, ngx_uint_t *quiet);

typedef struct {
    ngx_int_t                  number;    /* NGX_ERROR: not a number */
    ngx_str_t                  etag;      /* trimmed, quotes removed */
    ngx_str_t                  checksum_name;  /* "CRC32" of ChecksumCRC32,
                                                  empty if none */
    ngx_str_t                  checksum;  /* its value, trimmed */
    ngx_uint_t                 checksums; /* Checksum* elements seen */
} ngx_http_s3_xml_part_t;

/*
 * <CompleteMultipartUpload><Part><PartNumber>..</PartNumber><ETag>..
 * </ETag><ChecksumCRC32>..</ChecksumCRC32></Part>...: *parts is an array
 * of ngx_http_s3_xml_part_t in the order given (strings copied into
 * pool).  No part, or a part without PartNumber or ETag: NGX_ERROR; more
 * than max parts: NGX_DECLINED.
 */
ngx_int_t ngx_http_s3_xml_parse_complete(ngx_pool_t *pool, u_char *body,
    size_t len, ngx_uint_t max, ngx_array_t **parts);


typedef struct {
    ngx_uint_t                 group;     /* 1: URI, 0: a user's ID */
    ngx_str_t                  who;       /* the ID or the URI */
    ngx_str_t                  permission;
} ngx_http_s3_xml_grant_t;

/*
 * <AccessControlPolicy><Owner>...</Owner><AccessControlList><Grant>
 * <Grantee><ID>..</ID> or <URI>..</URI></Grantee><Permission>..
 * </Permission></Grant>...</AccessControlList></AccessControlPolicy>:
 * *grants is an array of ngx_http_s3_xml_grant_t (strings copied into
 * pool); a grantee by EmailAddress, or none: NGX_DECLINED
 */
ngx_int_t ngx_http_s3_xml_parse_acl(ngx_pool_t *pool, u_char *body,
    size_t len, ngx_array_t **grants);

/*
 * <Tagging><TagSet><Tag><Key>..</Key><Value>..</Value></Tag>...</TagSet>
 * </Tagging>: *tags is an array of ngx_http_s3_pair_t (ngx_http_s3_wire.h)
 * in the order given, texts as they are (copied into pool); no TagSet, a
 * second one, a Tag without exactly one Key and one Value: NGX_ERROR.
 * The limits are ngx_http_s3_tags_check()'s.
 */
ngx_int_t ngx_http_s3_xml_parse_tagging(ngx_pool_t *pool, u_char *body,
    size_t len, ngx_array_t **tags);


/*
 * Object lock documents: <ObjectLockConfiguration><ObjectLockEnabled>
 * <Rule><DefaultRetention><Mode><Days><Years>, <Retention><Mode>
 * <RetainUntilDate>, <LegalHold><Status>.  Each known element at most
 * once (else NGX_ERROR), its text trimmed; absent: data NULL; present and
 * empty: data not NULL, len 0.  Unknown elements are NGX_ERROR.
 */

typedef struct {
    ngx_str_t                  enabled;   /* ObjectLockEnabled */
    ngx_uint_t                 rule;      /* Rule present */
    ngx_uint_t                 retention; /* Rule/DefaultRetention present */
    ngx_str_t                  mode;
    ngx_str_t                  days;
    ngx_str_t                  years;
    ngx_str_t                  until;     /* Retention's RetainUntilDate */
    ngx_str_t                  status;    /* LegalHold's Status */
} ngx_http_s3_xml_lock_t;

ngx_int_t ngx_http_s3_xml_parse_lock_conf(ngx_pool_t *pool, u_char *body,
    size_t len, ngx_http_s3_xml_lock_t *lk);
ngx_int_t ngx_http_s3_xml_parse_retention(ngx_pool_t *pool, u_char *body,
    size_t len, ngx_http_s3_xml_lock_t *lk);
ngx_int_t ngx_http_s3_xml_parse_legal_hold(ngx_pool_t *pool, u_char *body,
    size_t len, ngx_http_s3_xml_lock_t *lk);


typedef struct {
    ngx_str_t                  id;        /* empty if none */
    ngx_array_t               *origins;   /* ngx_str_t, trimmed */
    ngx_array_t               *methods;
    ngx_array_t               *headers;
    ngx_array_t               *expose;
    ngx_str_t                  max_age;   /* empty if none */
} ngx_http_s3_xml_cors_rule_t;

/*
 * <CORSConfiguration><CORSRule><ID>..</ID><AllowedOrigin>..
 * </AllowedOrigin><AllowedMethod>..</AllowedMethod><AllowedHeader>..
 * </AllowedHeader><ExposeHeader>..</ExposeHeader><MaxAgeSeconds>..
 * </MaxAgeSeconds></CORSRule>...</CORSConfiguration>: *rules is an
 * array of ngx_http_s3_xml_cors_rule_t (strings copied into pool); the
 * values are checked by ngx_http_s3_cors_parse()
 */
ngx_int_t ngx_http_s3_xml_parse_cors(ngx_pool_t *pool, u_char *body,
    size_t len, ngx_array_t **rules);


/*
 * PutBucketVersioning's VersioningConfiguration: *status 0 (no Status),
 * 1 Enabled or 2 Suspended; *mfa 1 if MfaDelete is Enabled.  NGX_OK, or
 * NGX_ERROR (MalformedXML: not XML, another root, an unknown element or
 * value, an element twice)
 */
ngx_int_t ngx_http_s3_xml_parse_versioning(ngx_pool_t *pool, u_char *body,
    size_t len, ngx_uint_t *status, ngx_uint_t *mfa);


#endif /* _NGX_HTTP_S3_XML_H_INCLUDED_ */
