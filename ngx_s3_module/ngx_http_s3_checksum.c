
/*
 * Copyright (C) ngx_s3 authors
 */


#include <ngx_config.h>
#include <ngx_core.h>

#include <zlib.h>
#include <openssl/evp.h>

#include "ngx_http_s3_util.h"
#include "ngx_http_s3_checksum.h"


#define NGX_HTTP_S3_CRC32_POLY      0xedb88320
#define NGX_HTTP_S3_CRC32C_POLY     0x82f63b78
#define NGX_HTTP_S3_CRC64NVME_POLY  0x9a6c9329ac4bc9b5ULL

/* x^(2^k) modulo a CRC polynomial, k = 0..: enough for 2^64 bytes */
#define NGX_HTTP_S3_CRC_POWERS      68


typedef struct {
    ngx_str_t                  name;
    ngx_str_t                  header;
    size_t                     size;
} ngx_http_s3_checksum_info_t;


static void ngx_http_s3_crc32c_tables(void);
static void ngx_http_s3_crc64nvme_tables(void);
static void ngx_http_s3_checksum_cleanup(void *data);
static uint64_t ngx_http_s3_crc_multmodp(uint64_t a, uint64_t b,
    uint64_t poly, ngx_uint_t width);
static uint64_t ngx_http_s3_crc_combine(uint64_t crc1, uint64_t crc2,
    uint64_t len2, ngx_uint_t which, uint64_t poly, ngx_uint_t width);


/* indexed by NGX_HTTP_S3_CHECKSUM_* */

static ngx_http_s3_checksum_info_t  ngx_http_s3_checksums[] = {
    { ngx_null_string, ngx_null_string, 0 },
    { ngx_string("CRC32"), ngx_string("x-amz-checksum-crc32"), 4 },
    { ngx_string("CRC32C"), ngx_string("x-amz-checksum-crc32c"), 4 },
    { ngx_string("CRC64NVME"), ngx_string("x-amz-checksum-crc64nvme"), 8 },
    { ngx_string("SHA1"), ngx_string("x-amz-checksum-sha1"), 20 },
    { ngx_string("SHA256"), ngx_string("x-amz-checksum-sha256"), 32 }
};


static u_char  ngx_http_s3_base64[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";


/* built on first use; slice k advances a CRC by k more zero bytes */

static uint32_t    ngx_http_s3_crc32c_table[8][256];
static uint64_t    ngx_http_s3_crc64nvme_table[8][256];
static ngx_uint_t  ngx_http_s3_crc32c_ready;
static ngx_uint_t  ngx_http_s3_crc64nvme_ready;

/* per CRC (CRC32, CRC32C, CRC64NVME): x^(2^k) mod p, built on first use */

static uint64_t    ngx_http_s3_crc_powers[3][NGX_HTTP_S3_CRC_POWERS];
static ngx_uint_t  ngx_http_s3_crc_powers_ready[3];


ngx_uint_t
ngx_http_s3_checksum_by_name(u_char *name, size_t len)
{
    ngx_uint_t  i;

    for (i = 1; i < NGX_HTTP_S3_CHECKSUM_LAST; i++) {
        if (len == ngx_http_s3_checksums[i].name.len
            && ngx_strncasecmp(name, ngx_http_s3_checksums[i].name.data, len)
               == 0)
        {
            return i;
        }
    }

    return NGX_HTTP_S3_CHECKSUM_NONE;
}


ngx_uint_t
ngx_http_s3_checksum_by_header(u_char *name, size_t len)
{
    ngx_uint_t  i;

    for (i = 1; i < NGX_HTTP_S3_CHECKSUM_LAST; i++) {
        if (len == ngx_http_s3_checksums[i].header.len
            && ngx_strncasecmp(name, ngx_http_s3_checksums[i].header.data,
                               len)
               == 0)
        {
            return i;
        }
    }

    return NGX_HTTP_S3_CHECKSUM_NONE;
}


ngx_str_t *
ngx_http_s3_checksum_name(ngx_uint_t alg)
{
    if (alg >= NGX_HTTP_S3_CHECKSUM_LAST) {
        alg = NGX_HTTP_S3_CHECKSUM_NONE;
    }

    return &ngx_http_s3_checksums[alg].name;
}


ngx_str_t *
ngx_http_s3_checksum_header(ngx_uint_t alg)
{
    if (alg >= NGX_HTTP_S3_CHECKSUM_LAST) {
        alg = NGX_HTTP_S3_CHECKSUM_NONE;
    }

    return &ngx_http_s3_checksums[alg].header;
}


size_t
ngx_http_s3_checksum_size(ngx_uint_t alg)
{
    if (alg >= NGX_HTTP_S3_CHECKSUM_LAST) {
        return 0;
    }

    return ngx_http_s3_checksums[alg].size;
}


ngx_int_t
ngx_http_s3_checksum_init(ngx_http_s3_checksum_t *ck, ngx_pool_t *pool,
    ngx_uint_t alg)
{
    EVP_MD_CTX          *md;
    const EVP_MD        *type;
    ngx_pool_cleanup_t  *cln;

    ngx_memzero(ck, sizeof(ngx_http_s3_checksum_t));

    ck->alg = alg;

    switch (alg) {

    case NGX_HTTP_S3_CHECKSUM_CRC32:
        return NGX_OK;

    case NGX_HTTP_S3_CHECKSUM_CRC32C:
        if (!ngx_http_s3_crc32c_ready) {
            ngx_http_s3_crc32c_tables();
        }

        return NGX_OK;

    case NGX_HTTP_S3_CHECKSUM_CRC64NVME:
        if (!ngx_http_s3_crc64nvme_ready) {
            ngx_http_s3_crc64nvme_tables();
        }

        return NGX_OK;

    case NGX_HTTP_S3_CHECKSUM_SHA1:
        type = EVP_sha1();
        break;

    case NGX_HTTP_S3_CHECKSUM_SHA256:
        type = EVP_sha256();
        break;

    default:
        return NGX_ERROR;
    }

    cln = ngx_pool_cleanup_add(pool, 0);
    if (cln == NULL) {
        return NGX_ERROR;
    }

    md = EVP_MD_CTX_new();
    if (md == NULL) {
        return NGX_ERROR;
    }

    cln->handler = ngx_http_s3_checksum_cleanup;
    cln->data = md;

    ck->md = md;

    if (EVP_DigestInit_ex(md, type, NULL) != 1) {
        return NGX_ERROR;
    }

    return NGX_OK;
}


static void
ngx_http_s3_checksum_cleanup(void *data)
{
    EVP_MD_CTX  *md = data;

    EVP_MD_CTX_free(md);
}


ngx_int_t
ngx_http_s3_checksum_update(ngx_http_s3_checksum_t *ck, u_char *p,
    size_t len)
{
    uInt  n;

    switch (ck->alg) {

    case NGX_HTTP_S3_CHECKSUM_CRC32:

        /* zlib takes an uInt length */

        while (len) {
            n = (len > 0x40000000) ? 0x40000000 : (uInt) len;
            ck->crc = crc32((uLong) ck->crc, p, n);
            p += n;
            len -= n;
        }

        return NGX_OK;

    case NGX_HTTP_S3_CHECKSUM_CRC32C:
        ck->crc = ngx_http_s3_crc32c((uint32_t) ck->crc, p, len);
        return NGX_OK;

    case NGX_HTTP_S3_CHECKSUM_CRC64NVME:
        ck->crc = ngx_http_s3_crc64nvme(ck->crc, p, len);
        return NGX_OK;

    case NGX_HTTP_S3_CHECKSUM_SHA1:
    case NGX_HTTP_S3_CHECKSUM_SHA256:

        if (ck->md == NULL || EVP_DigestUpdate(ck->md, p, len) != 1) {
            return NGX_ERROR;
        }

        return NGX_OK;

    default:
        return NGX_ERROR;
    }
}


ngx_int_t
ngx_http_s3_checksum_final(ngx_http_s3_checksum_t *ck, u_char *digest)
{
    size_t        i, size;
    unsigned int  n;

    size = ngx_http_s3_checksum_size(ck->alg);

    switch (ck->alg) {

    case NGX_HTTP_S3_CHECKSUM_CRC32:
    case NGX_HTTP_S3_CHECKSUM_CRC32C:
    case NGX_HTTP_S3_CHECKSUM_CRC64NVME:

        for (i = 0; i < size; i++) {
            digest[i] = (u_char) (ck->crc >> (8 * (size - 1 - i)));
        }

        return NGX_OK;

    case NGX_HTTP_S3_CHECKSUM_SHA1:
    case NGX_HTTP_S3_CHECKSUM_SHA256:

        if (ck->md == NULL
            || EVP_DigestFinal_ex(ck->md, digest, &n) != 1
            || n != size)
        {
            return NGX_ERROR;
        }

        return NGX_OK;

    default:
        return NGX_ERROR;
    }
}


ngx_int_t
ngx_http_s3_checksum_decode(ngx_uint_t alg, ngx_str_t *b64, u_char *digest)
{
    u_char      *s;
    size_t       size, len, i, n;
    uint32_t     bits;
    ngx_int_t    v;
    ngx_uint_t   nbits;

    size = ngx_http_s3_checksum_size(alg);

    if (size == 0) {
        return NGX_ERROR;
    }

    /* padded: 4 characters for every 3 bytes or part of them */

    if (b64->len != (size + 2) / 3 * 4) {
        return NGX_ERROR;
    }

    s = b64->data;
    len = b64->len;

    /* the characters that carry data; the rest must be '=' */

    n = (size * 8 + 5) / 6;

    for (i = n; i < len; i++) {
        if (s[i] != '=') {
            return NGX_ERROR;
        }
    }

    bits = 0;
    nbits = 0;
    size = 0;

    for (i = 0; i < n; i++) {
        v = ngx_http_s3_base64_value(s[i]);

        if (v < 0) {
            return NGX_ERROR;
        }

        bits = (bits << 6) | (uint32_t) v;
        nbits += 6;

        if (nbits >= 8) {
            nbits -= 8;
            digest[size++] = (u_char) (bits >> nbits);
            bits &= (1u << nbits) - 1;
        }
    }

    return NGX_OK;
}


size_t
ngx_http_s3_checksum_encode(ngx_uint_t alg, u_char *digest, u_char *out)
{
    u_char  *p, *s;
    size_t   size;

    size = ngx_http_s3_checksum_size(alg);
    s = digest;
    p = out;

    while (size > 2) {
        *p++ = ngx_http_s3_base64[(s[0] >> 2) & 0x3f];
        *p++ = ngx_http_s3_base64[((s[0] & 3) << 4) | (s[1] >> 4)];
        *p++ = ngx_http_s3_base64[((s[1] & 0x0f) << 2) | (s[2] >> 6)];
        *p++ = ngx_http_s3_base64[s[2] & 0x3f];

        s += 3;
        size -= 3;
    }

    if (size) {
        *p++ = ngx_http_s3_base64[(s[0] >> 2) & 0x3f];

        if (size == 1) {
            *p++ = ngx_http_s3_base64[(s[0] & 3) << 4];
            *p++ = '=';

        } else {
            *p++ = ngx_http_s3_base64[((s[0] & 3) << 4) | (s[1] >> 4)];
            *p++ = ngx_http_s3_base64[(s[1] & 0x0f) << 2];
        }

        *p++ = '=';
    }

    return p - out;
}


uint32_t
ngx_http_s3_crc32c(uint32_t crc, u_char *p, size_t len)
{
    uint32_t   lo, hi;
    uint32_t (*t)[256];

    if (!ngx_http_s3_crc32c_ready) {
        ngx_http_s3_crc32c_tables();
    }

    t = ngx_http_s3_crc32c_table;
    crc = ~crc;

    while (len >= 8) {
        lo = crc ^ ((uint32_t) p[0] | (uint32_t) p[1] << 8
                    | (uint32_t) p[2] << 16 | (uint32_t) p[3] << 24);
        hi = (uint32_t) p[4] | (uint32_t) p[5] << 8
             | (uint32_t) p[6] << 16 | (uint32_t) p[7] << 24;

        crc = t[7][lo & 0xff] ^ t[6][(lo >> 8) & 0xff]
              ^ t[5][(lo >> 16) & 0xff] ^ t[4][lo >> 24]
              ^ t[3][hi & 0xff] ^ t[2][(hi >> 8) & 0xff]
              ^ t[1][(hi >> 16) & 0xff] ^ t[0][hi >> 24];

        p += 8;
        len -= 8;
    }

    while (len--) {
        crc = t[0][(crc ^ *p++) & 0xff] ^ (crc >> 8);
    }

    return ~crc;
}


uint64_t
ngx_http_s3_crc64nvme(uint64_t crc, u_char *p, size_t len)
{
    uint64_t   v;
    uint64_t (*t)[256];

    if (!ngx_http_s3_crc64nvme_ready) {
        ngx_http_s3_crc64nvme_tables();
    }

    t = ngx_http_s3_crc64nvme_table;
    crc = ~crc;

    while (len >= 8) {
        v = crc ^ ((uint64_t) p[0] | (uint64_t) p[1] << 8
                   | (uint64_t) p[2] << 16 | (uint64_t) p[3] << 24
                   | (uint64_t) p[4] << 32 | (uint64_t) p[5] << 40
                   | (uint64_t) p[6] << 48 | (uint64_t) p[7] << 56);

        crc = t[7][v & 0xff] ^ t[6][(v >> 8) & 0xff]
              ^ t[5][(v >> 16) & 0xff] ^ t[4][(v >> 24) & 0xff]
              ^ t[3][(v >> 32) & 0xff] ^ t[2][(v >> 40) & 0xff]
              ^ t[1][(v >> 48) & 0xff] ^ t[0][v >> 56];

        p += 8;
        len -= 8;
    }

    while (len--) {
        crc = t[0][(crc ^ *p++) & 0xff] ^ (crc >> 8);
    }

    return ~crc;
}


static void
ngx_http_s3_crc32c_tables(void)
{
    uint32_t    c;
    ngx_uint_t  i, k;

    for (i = 0; i < 256; i++) {
        c = (uint32_t) i;

        for (k = 0; k < 8; k++) {
            c = (c & 1) ? (c >> 1) ^ NGX_HTTP_S3_CRC32C_POLY : c >> 1;
        }

        ngx_http_s3_crc32c_table[0][i] = c;
    }

    for (k = 1; k < 8; k++) {
        for (i = 0; i < 256; i++) {
            c = ngx_http_s3_crc32c_table[k - 1][i];
            ngx_http_s3_crc32c_table[k][i] =
                (c >> 8) ^ ngx_http_s3_crc32c_table[0][c & 0xff];
        }
    }

    ngx_http_s3_crc32c_ready = 1;
}


static void
ngx_http_s3_crc64nvme_tables(void)
{
    uint64_t    c;
    ngx_uint_t  i, k;

    for (i = 0; i < 256; i++) {
        c = (uint64_t) i;

        for (k = 0; k < 8; k++) {
            c = (c & 1) ? (c >> 1) ^ NGX_HTTP_S3_CRC64NVME_POLY : c >> 1;
        }

        ngx_http_s3_crc64nvme_table[0][i] = c;
    }

    for (k = 1; k < 8; k++) {
        for (i = 0; i < 256; i++) {
            c = ngx_http_s3_crc64nvme_table[k - 1][i];
            ngx_http_s3_crc64nvme_table[k][i] =
                (c >> 8) ^ ngx_http_s3_crc64nvme_table[0][c & 0xff];
        }
    }

    ngx_http_s3_crc64nvme_ready = 1;
}


ngx_int_t
ngx_http_s3_checksum_combine(ngx_uint_t alg, u_char *digest, u_char *next,
    uint64_t len2)
{
    size_t      i, size;
    uint64_t    crc1, crc2, poly;
    ngx_uint_t  which;

    switch (alg) {

    case NGX_HTTP_S3_CHECKSUM_CRC32:
        which = 0;
        poly = NGX_HTTP_S3_CRC32_POLY;
        break;

    case NGX_HTTP_S3_CHECKSUM_CRC32C:
        which = 1;
        poly = NGX_HTTP_S3_CRC32C_POLY;
        break;

    case NGX_HTTP_S3_CHECKSUM_CRC64NVME:
        which = 2;
        poly = NGX_HTTP_S3_CRC64NVME_POLY;
        break;

    default:
        return NGX_ERROR;
    }

    size = ngx_http_s3_checksum_size(alg);

    crc1 = 0;
    crc2 = 0;

    for (i = 0; i < size; i++) {
        crc1 = (crc1 << 8) | digest[i];
        crc2 = (crc2 << 8) | next[i];
    }

    crc1 = ngx_http_s3_crc_combine(crc1, crc2, len2, which, poly, size * 8);

    for (i = 0; i < size; i++) {
        digest[i] = (u_char) (crc1 >> (8 * (size - 1 - i)));
    }

    return NGX_OK;
}


/*
 * The product of a and b modulo the polynomial, in the reflected bit
 * order of these CRCs (the most significant bit is x^0), as zlib's
 * crc32_combine() computes it
 */

static uint64_t
ngx_http_s3_crc_multmodp(uint64_t a, uint64_t b, uint64_t poly,
    ngx_uint_t width)
{
    uint64_t  m, p;

    m = (uint64_t) 1 << (width - 1);
    p = 0;

    while (m) {
        if (a & m) {
            p ^= b;

            if ((a & (m - 1)) == 0) {
                break;
            }
        }

        m >>= 1;
        b = (b & 1) ? (b >> 1) ^ poly : b >> 1;
    }

    return p;
}


/*
 * Appending len2 bytes multiplies the CRC of a (its pre- and post-
 * conditioning cancel out) by x^(8 len2) modulo p: crc(a b) is that
 * product plus crc(b)
 */

static uint64_t
ngx_http_s3_crc_combine(uint64_t crc1, uint64_t crc2, uint64_t len2,
    ngx_uint_t which, uint64_t poly, ngx_uint_t width)
{
    uint64_t    p, *t;
    ngx_uint_t  k;

    t = ngx_http_s3_crc_powers[which];

    if (!ngx_http_s3_crc_powers_ready[which]) {
        t[0] = (uint64_t) 1 << (width - 2);              /* x^1 */

        for (k = 1; k < NGX_HTTP_S3_CRC_POWERS; k++) {
            t[k] = ngx_http_s3_crc_multmodp(t[k - 1], t[k - 1], poly, width);
        }

        ngx_http_s3_crc_powers_ready[which] = 1;
    }

    /* x^(8 len2) = the product of x^(2^k) over the bits k of 8 len2 */

    p = (uint64_t) 1 << (width - 1);                     /* x^0 */
    k = 3;

    while (len2) {
        if (len2 & 1) {
            p = ngx_http_s3_crc_multmodp(t[k], p, poly, width);
        }

        len2 >>= 1;
        k++;
    }

    return ngx_http_s3_crc_multmodp(p, crc1, poly, width) ^ crc2;
}
