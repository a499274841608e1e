
/*
 * Copyright (C) ngx_s3 authors
 */


#ifndef _NGX_HTTP_S3_SECRET_H_INCLUDED_
#define _NGX_HTTP_S3_SECRET_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>


/*
 * Managed access keys and their secrets at rest.  Pure code: no request,
 * no connection; unit tests call it directly.
 *
 * A secret is stored sealed with AES-256-GCM under a key from the file
 * that s3_key_file names (kept apart from s3_data): a copy of the data
 * directory alone holds no usable credential.  The sealed form is
 *
 *     u8 version (1), 8 bytes key id, 12 bytes nonce, ciphertext,
 *     16 bytes tag
 *
 * where the key id is the first 8 bytes of SHA-256 of the key: it names
 * the key a secret was sealed with, so that the file can hold older keys
 * during a rotation.  The access key is the additional authenticated data:
 * a sealed secret moved to another key's record does not open.
 */


#define NGX_HTTP_S3_MASTER_KEY_LEN     32
#define NGX_HTTP_S3_MASTER_KEY_ID_LEN  8
#define NGX_HTTP_S3_MASTER_KEYS_MAX    16
#define NGX_HTTP_S3_SEAL_VERSION       1
#define NGX_HTTP_S3_SEAL_OVERHEAD      (1 + 8 + 12 + 16)

#define NGX_HTTP_S3_ACCESS_KEY_LEN     20   /* "AK" + 18 of [A-Z2-7] */
#define NGX_HTTP_S3_SECRET_KEY_LEN     40   /* base64 of 30 bytes */
#define NGX_HTTP_S3_MAX_SECRET_LEN     128
#define NGX_HTTP_S3_MAX_USER_ID        64
#define NGX_HTTP_S3_MAX_DISPLAY_NAME   128


typedef struct {
    u_char                     key[NGX_HTTP_S3_MASTER_KEY_LEN];
    u_char                     id[NGX_HTTP_S3_MASTER_KEY_ID_LEN];
} ngx_http_s3_master_key_t;


/*
 * The key file: one key per line as 64 hex digits, the first the current
 * one; blank lines and lines starting with '#' are skipped.  NGX_OK with
 * the keys appended to keys (ngx_http_s3_master_key_t); NGX_ERROR with
 * *err and *line (1-based, 0: the file as a whole) set.
 */
ngx_int_t ngx_http_s3_secret_parse_keys(u_char *p, size_t len,
    ngx_array_t *keys, ngx_uint_t *line, const char **err);

/* the sealed size of len bytes */
#define ngx_http_s3_secret_sealed_len(len)  ((len) + NGX_HTTP_S3_SEAL_OVERHEAD)

/* out holds ngx_http_s3_secret_sealed_len(plain->len) bytes: NGX_OK */
ngx_int_t ngx_http_s3_secret_seal(ngx_http_s3_master_key_t *key,
    ngx_str_t *aad, ngx_str_t *plain, u_char *out);

/*
 * out holds sealed->len bytes; on NGX_OK out->len is set and *which is
 * the index of the key it opened with.  NGX_DECLINED: no key of keys has
 * the sealed id; NGX_ERROR: malformed, or it does not authenticate.
 */
ngx_int_t ngx_http_s3_secret_open(ngx_http_s3_master_key_t *keys,
    ngx_uint_t n, ngx_str_t *aad, ngx_str_t *sealed, ngx_str_t *out,
    ngx_uint_t *which);

/* the key id a sealed secret names, or NULL if it is malformed */
u_char *ngx_http_s3_secret_key_id(ngx_str_t *sealed);

/* a new random access key (NGX_HTTP_S3_ACCESS_KEY_LEN characters) */
ngx_int_t ngx_http_s3_secret_new_access_key(u_char *buf);

/* a new random secret key (NGX_HTTP_S3_SECRET_KEY_LEN characters) */
ngx_int_t ngx_http_s3_secret_new_secret_key(u_char *buf);

/* a user id: 1-64 of [a-z0-9._-], starting with a letter or digit */
ngx_uint_t ngx_http_s3_valid_user_id(ngx_str_t *id);

/* a display name: 1-128 bytes of UTF-8 without control characters */
ngx_uint_t ngx_http_s3_valid_display_name(ngx_str_t *name);

/* an access key as a client may send it: 3-128 of [A-Za-z0-9] */
ngx_uint_t ngx_http_s3_valid_access_key(ngx_str_t *ak);


#endif /* _NGX_HTTP_S3_SECRET_H_INCLUDED_ */
