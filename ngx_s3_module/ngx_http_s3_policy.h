
/*
 * Copyright (C) ngx_s3 authors
 */


#ifndef _NGX_HTTP_S3_POLICY_H_INCLUDED_
#define _NGX_HTTP_S3_POLICY_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>


/*
 * Bucket policies: S3's policy language for what one bucket needs, compiled
 * once (at PutBucketPolicy to check it, in each worker's access cache to
 * use it) and evaluated per request without a metadata round trip.  Pure:
 * unit tests and a fuzzer call it.
 *
 * Supported: Version, Id, Statement (one or a list) with Sid, Effect
 * (Allow, Deny: a matching Deny wins), Principal ("*", {"AWS": "*"},
 * {"AWS": "arn:aws:iam::<account>:user/<user id>"}, {"CanonicalUser":
 * "<user id>"}, or lists), Action ("s3:..." with * and ? wildcards, case
 * insensitive), Resource ("arn:aws:s3:::<bucket>[/<key pattern>]" with
 * wildcards, of this bucket), Condition with String(Not)Equals(IgnoreCase),
 * String(Not)Like, Numeric*, Bool, (Not)IpAddress on aws:SourceIp,
 * aws:SecureTransport, s3:prefix, s3:delimiter, s3:max-keys and
 * s3:x-amz-acl.  Anything else is refused with a message naming it.
 */


#define NGX_HTTP_S3_POLICY_NONE        0   /* no statement applies */
#define NGX_HTTP_S3_POLICY_ALLOW       1
#define NGX_HTTP_S3_POLICY_DENY        2

#define NGX_HTTP_S3_POLICY_MAX_SIZE    (20 * 1024)

/* the request's values of the condition keys */

#define NGX_HTTP_S3_POLICY_KEY_SOURCE_IP       0
#define NGX_HTTP_S3_POLICY_KEY_SECURE          1
#define NGX_HTTP_S3_POLICY_KEY_PREFIX          2
#define NGX_HTTP_S3_POLICY_KEY_DELIMITER       3
#define NGX_HTTP_S3_POLICY_KEY_MAX_KEYS        4
#define NGX_HTTP_S3_POLICY_KEY_X_AMZ_ACL       5
#define NGX_HTTP_S3_POLICY_KEY_LAST            6


typedef struct ngx_http_s3_policy_s  ngx_http_s3_policy_t;

typedef struct ngx_http_s3_policy_request_s  ngx_http_s3_policy_request_t;

/* fills rq->keys[key] (data NULL: the request lacks it) */
typedef void (*ngx_http_s3_policy_key_pt)(ngx_http_s3_policy_request_t *rq,
    ngx_uint_t key);

struct ngx_http_s3_policy_request_s {
    ngx_str_t                  user;        /* user id; empty: none */
    ngx_str_t                  action;      /* "s3:GetObject" */
    ngx_str_t                  resource;    /* "bucket" or "bucket/key" */

    /* the client's address (family 0: unknown) */
    ngx_uint_t                 family;      /* AF_INET, AF_INET6 */
    u_char                     addr[16];

    /*
     * the condition keys: data NULL for a key the request lacks; with a
     * handler, each is filled when a condition first needs it
     */
    ngx_str_t                  keys[NGX_HTTP_S3_POLICY_KEY_LAST];
    ngx_http_s3_policy_key_pt  handler;
    void                      *data;
    ngx_uint_t                 filled;      /* bits, by key */
};


/*
 * The policy of bucket, compiled into pool: the policy, or NULL with *err
 * (in pool) saying what is malformed or unsupported
 */
ngx_http_s3_policy_t *ngx_http_s3_policy_compile(ngx_pool_t *pool,
    ngx_str_t *text, ngx_str_t *bucket, ngx_str_t *err);

/* NGX_HTTP_S3_POLICY_NONE, _ALLOW or _DENY for the request */
ngx_uint_t ngx_http_s3_policy_eval(ngx_http_s3_policy_t *policy,
    ngx_http_s3_policy_request_t *rq);

/* how many statements it has */
ngx_uint_t ngx_http_s3_policy_statements(ngx_http_s3_policy_t *policy);

/* * (any run) and ? (one byte) wildcards: 1 if text matches pattern */
ngx_uint_t ngx_http_s3_policy_match(ngx_str_t *pattern, ngx_str_t *text,
    ngx_uint_t icase);


#endif /* _NGX_HTTP_S3_POLICY_H_INCLUDED_ */
