
/*
 * Copyright (C) ngx_s3 authors
 */


#ifndef _NGX_HTTP_S3_UTIL_H_INCLUDED_
#define _NGX_HTTP_S3_UTIL_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>


/*
 * Pure helpers: names, keys, encodings, dates.  No request in any
 * signature; unit tests call them directly.
 */


#define NGX_HTTP_S3_ISO8601_LEN        24   /* 2006-02-03T16:45:09.000Z */
#define NGX_HTTP_S3_BODY_ID_LEN        32   /* hex of 16 random bytes */


/* bucket naming rules of PRODUCT.md: 1 if valid, 0 if not */
ngx_uint_t ngx_http_s3_valid_bucket_name(ngx_str_t *name);
/* S3's general rule, with dots: names an upstream's buckets may have */
ngx_uint_t ngx_http_s3_valid_dotted_bucket_name(ngx_str_t *name);

/* strict UTF-8 (no overlongs, surrogates, > U+10FFFF): 1 if valid */
ngx_uint_t ngx_http_s3_valid_utf8(u_char *p, size_t len);

/*
 * object key: NGX_OK; NGX_DECLINED if longer than 1024 bytes (or empty);
 * NGX_ERROR if not valid UTF-8 (overlongs, surrogates, > U+10FFFF)
 */
ngx_int_t ngx_http_s3_valid_key(ngx_str_t *key);

/*
 * S3/SigV4 URI encoding: unreserved A-Za-z0-9-._~ kept, everything else
 * %XX uppercase; '/' kept unless encode_slash.  dst == NULL: returns the
 * length needed.  Returns the length written.
 */
size_t ngx_http_s3_uri_encode(u_char *dst, u_char *src, size_t len,
    ngx_uint_t encode_slash);

/*
 * encoding-type=url of S3 listings: A-Za-z0-9 - . _ * and '/' kept, a
 * space as '+', everything else %XX uppercase.  dst == NULL: returns the
 * length needed.  Returns the length written.
 */
size_t ngx_http_s3_form_encode(u_char *dst, u_char *src, size_t len);

/*
 * percent-decoding ('+' is not a space); NGX_ERROR on a bad escape; dst
 * needs len bytes and may be src (decoding in place); *dst_len is set
 */
ngx_int_t ngx_http_s3_uri_decode(u_char *dst, size_t *dst_len,
    u_char *src, size_t len);

/*
 * x-amz-acl: 1 if the value is one of S3's canned ACLs (private,
 * public-read, ...; compared case-insensitively), 0 if not
 */
ngx_uint_t ngx_http_s3_canned_acl(ngx_str_t *value);

/* 2006-02-03T16:45:09.000Z from milliseconds; writes 24 bytes */
u_char *ngx_http_s3_time_iso8601(u_char *buf, uint64_t msec);

/*
 * "bytes" random bytes from OpenSSL's RAND_bytes written as 2 * bytes
 * lowercase hex chars, no NUL: a body id is ngx_http_s3_random_hex(buf, 16)
 * into NGX_HTTP_S3_BODY_ID_LEN (32) chars
 */
ngx_int_t ngx_http_s3_random_hex(u_char *buf, size_t bytes);

/*
 * Range header value: NGX_OK with *start, *end (inclusive) set;
 * NGX_DECLINED if the header is to be ignored (not bytes=, multiple ranges,
 * syntax error); NGX_ERROR if unsatisfiable (416)
 */
ngx_int_t ngx_http_s3_parse_range(ngx_str_t *value, off_t size,
    off_t *start, off_t *end);

/* the value of a base64 character (standard alphabet), or -1 */
ngx_int_t ngx_http_s3_base64_value(u_char c);

/* base64 of 16 bytes (Content-MD5): NGX_OK and md5 filled, or NGX_ERROR */
ngx_int_t ngx_http_s3_decode_md5(ngx_str_t *b64, u_char md5[16]);

/*
 * An If-Match / If-None-Match value ("*", or entity tags, quoted or not)
 * against an ETag (hex, unquoted): 1 if it matches; weak tags (W/"...")
 * match only with weak comparison
 */
ngx_uint_t ngx_http_s3_etag_match(ngx_str_t *list, ngx_str_t *etag,
    ngx_uint_t weak);

/*
 * An ISO 8601 date and time, as S3 takes a retain-until date:
 * YYYY-MM-DDThh:mm:ss, an optional fraction of a second, then Z or
 * +hh:mm / -hh:mm (or +hhmm): NGX_OK and *msec (milliseconds since the
 * epoch, a fraction truncated), or NGX_ERROR
 */
ngx_int_t ngx_http_s3_parse_iso8601(u_char *p, size_t len, uint64_t *msec);

/*
 * Object lock.  A version is protected (not deleted, not replaced) at now
 * (ms) while its legal hold is ON or its retention is in force, except a
 * governance retention with a bypass (bypass: asked for and permitted):
 * 1 if protected
 */
ngx_uint_t ngx_http_s3_lock_protected(ngx_uint_t mode, uint64_t until,
    ngx_uint_t legal_hold, ngx_uint_t bypass, uint64_t now);

/*
 * May a retention (mode, until) become (nmode, nuntil; mode NONE: removed)
 * at now: NGX_OK (none in force, or the same mode kept as long or longer);
 * NGX_DECLINED: governance, only with a bypass; NGX_ABORT: compliance
 * can never be shortened, removed or changed to governance
 */
ngx_int_t ngx_http_s3_lock_retention_change(ngx_uint_t mode, uint64_t until,
    ngx_uint_t nmode, uint64_t nuntil, uint64_t now);


#endif /* _NGX_HTTP_S3_UTIL_H_INCLUDED_ */
