
/*
 * Copyright (C) ngx_s3 authors
 */


#ifndef _NGX_HTTP_S3_CHECKSUM_H_INCLUDED_
#define _NGX_HTTP_S3_CHECKSUM_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>


/*
 * The additional checksums of the S3 API (x-amz-checksum-crc32, -crc32c,
 * -crc64nvme, -sha1, -sha256): names, streaming computation and their
 * base64 form.  Pure: no request; unit tests call it directly.
 *
 * CRC-32 is zlib's; CRC-32C (Castagnoli, reflected 0x82f63b78) and
 * CRC-64/NVME (reflected 0x9a6c9329ac4bc9b5) are table-driven here,
 * eight bytes per step; SHA-1 and SHA-256 come from OpenSSL's EVP.
 * A CRC digest is its value big-endian, as S3 sends it.
 *
 * The algorithm numbers are stored in object records: never renumber.
 */


#define NGX_HTTP_S3_CHECKSUM_NONE        0
#define NGX_HTTP_S3_CHECKSUM_CRC32       1
#define NGX_HTTP_S3_CHECKSUM_CRC32C      2
#define NGX_HTTP_S3_CHECKSUM_CRC64NVME   3
#define NGX_HTTP_S3_CHECKSUM_SHA1        4
#define NGX_HTTP_S3_CHECKSUM_SHA256      5
#define NGX_HTTP_S3_CHECKSUM_LAST        6

#define NGX_HTTP_S3_CHECKSUM_MAX_SIZE    32    /* SHA-256 */
#define NGX_HTTP_S3_CHECKSUM_MAX_BASE64  44    /* base64 of 32 bytes */


typedef struct {
    ngx_uint_t                 alg;
    uint64_t                   crc;
    void                      *md;        /* EVP_MD_CTX: SHA-1, SHA-256 */
} ngx_http_s3_checksum_t;


/* "CRC32", "crc32c", ... (any case): the algorithm, or _NONE */
ngx_uint_t ngx_http_s3_checksum_by_name(u_char *name, size_t len);

/* "x-amz-checksum-crc32", ... (any case): the algorithm, or _NONE */
ngx_uint_t ngx_http_s3_checksum_by_header(u_char *name, size_t len);

/* "CRC32" and "x-amz-checksum-crc32" of an algorithm other than _NONE */
ngx_str_t *ngx_http_s3_checksum_name(ngx_uint_t alg);
ngx_str_t *ngx_http_s3_checksum_header(ngx_uint_t alg);

/* digest size in bytes; 0 for _NONE or an unknown number */
size_t ngx_http_s3_checksum_size(ngx_uint_t alg);

/*
 * A streaming computation.  With a digest algorithm, init registers a
 * cleanup on the pool that frees the OpenSSL context.  NGX_OK or
 * NGX_ERROR (unknown algorithm, no memory).
 */
ngx_int_t ngx_http_s3_checksum_init(ngx_http_s3_checksum_t *ck,
    ngx_pool_t *pool, ngx_uint_t alg);
ngx_int_t ngx_http_s3_checksum_update(ngx_http_s3_checksum_t *ck,
    u_char *p, size_t len);
/* writes ngx_http_s3_checksum_size() bytes */
ngx_int_t ngx_http_s3_checksum_final(ngx_http_s3_checksum_t *ck,
    u_char *digest);

/*
 * base64 of exactly ngx_http_s3_checksum_size(alg) bytes, padded:
 * NGX_OK and digest filled, or NGX_ERROR
 */
ngx_int_t ngx_http_s3_checksum_decode(ngx_uint_t alg, ngx_str_t *b64,
    u_char *digest);

/* the base64 of a digest into out (NGX_HTTP_S3_CHECKSUM_MAX_BASE64 bytes) */
size_t ngx_http_s3_checksum_encode(ngx_uint_t alg, u_char *digest,
    u_char *out);

/*
 * The CRCs themselves, chained as zlib's crc32(): start with 0, and
 * crc(crc(0, a), b) == crc(0, a b)
 */
uint32_t ngx_http_s3_crc32c(uint32_t crc, u_char *p, size_t len);
uint64_t ngx_http_s3_crc64nvme(uint64_t crc, u_char *p, size_t len);

/*
 * The CRC of a || b from the CRC of a (digest) and the CRC of b (next),
 * b being len2 bytes, without the data: digest becomes it.  Digests are
 * big-endian, as S3 sends them.  NGX_OK, or NGX_ERROR for an algorithm
 * that is not a CRC.  This is how a FULL_OBJECT checksum of a multipart
 * object is made from its parts' checksums.
 */
ngx_int_t ngx_http_s3_checksum_combine(ngx_uint_t alg, u_char *digest,
    u_char *next, uint64_t len2);


#endif /* _NGX_HTTP_S3_CHECKSUM_H_INCLUDED_ */
