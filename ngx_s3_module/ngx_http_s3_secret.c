
/*
 * Copyright (C) ngx_s3 authors
 */


#include <ngx_config.h>
#include <ngx_core.h>

#include "ngx_http_s3_secret.h"
#include "ngx_http_s3_util.h"

#include <openssl/evp.h>
#include <openssl/rand.h>


#define NGX_HTTP_S3_SEAL_NONCE   12
#define NGX_HTTP_S3_SEAL_TAG     16


static ngx_int_t ngx_http_s3_secret_key_init(ngx_http_s3_master_key_t *k,
    u_char *hex);
static ngx_int_t ngx_http_s3_secret_gcm(ngx_uint_t enc, u_char *key,
    u_char *nonce, ngx_str_t *aad, u_char *in, size_t len, u_char *out,
    u_char *tag);
static ngx_int_t ngx_http_s3_secret_random_chars(u_char *buf, size_t n,
    const char *alphabet, ngx_uint_t bits);


ngx_int_t
ngx_http_s3_secret_parse_keys(u_char *p, size_t len, ngx_array_t *keys,
    ngx_uint_t *line, const char **err)
{
    u_char                    *last, *eol, *s, *e;
    ngx_uint_t                 i, n, first;
    ngx_http_s3_master_key_t  *k, *all;

    last = p + len;
    *line = 0;
    first = keys->nelts;

    for (n = 1; p < last; n++, p = eol + 1) {

        eol = ngx_strlchr(p, last, '\n');
        if (eol == NULL) {
            eol = last;
        }

        s = p;
        e = eol;

        while (s < e && (*s == ' ' || *s == '\t')) {
            s++;
        }

        while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r')) {
            e--;
        }

        if (s == e || *s == '#') {
            continue;
        }

        *line = n;

        if (e - s != 2 * NGX_HTTP_S3_MASTER_KEY_LEN) {
            *err = "a key must be 64 hex digits (32 bytes)";
            return NGX_ERROR;
        }

        if (keys->nelts - first == NGX_HTTP_S3_MASTER_KEYS_MAX) {
            *err = "too many keys (16 at most)";
            return NGX_ERROR;
        }

        k = ngx_array_push(keys);
        if (k == NULL) {
            *err = "out of memory";
            return NGX_ERROR;
        }

        if (ngx_http_s3_secret_key_init(k, s) != NGX_OK) {
            *err = "a key must be 64 hex digits (32 bytes)";
            return NGX_ERROR;
        }

        all = keys->elts;

        for (i = first; i < keys->nelts - 1; i++) {
            if (ngx_memcmp(all[i].id, k->id, NGX_HTTP_S3_MASTER_KEY_ID_LEN)
                == 0)
            {
                *err = "a key is listed twice";
                return NGX_ERROR;
            }
        }
    }

    *line = 0;

    if (keys->nelts == first) {
        *err = "no key in the file";
        return NGX_ERROR;
    }

    return NGX_OK;
}


static ngx_int_t
ngx_http_s3_secret_key_init(ngx_http_s3_master_key_t *k, u_char *hex)
{
    u_char        digest[EVP_MAX_MD_SIZE];
    ngx_int_t     hi, lo;
    ngx_uint_t    i;
    unsigned int  dlen;

    for (i = 0; i < NGX_HTTP_S3_MASTER_KEY_LEN; i++) {
        hi = ngx_hextoi(&hex[2 * i], 1);
        lo = ngx_hextoi(&hex[2 * i + 1], 1);

        if (hi == NGX_ERROR || lo == NGX_ERROR) {
            return NGX_ERROR;
        }

        k->key[i] = (u_char) (hi * 16 + lo);
    }

    if (EVP_Digest(k->key, NGX_HTTP_S3_MASTER_KEY_LEN, digest, &dlen,
                   EVP_sha256(), NULL)
        != 1)
    {
        return NGX_ERROR;
    }

    ngx_memcpy(k->id, digest, NGX_HTTP_S3_MASTER_KEY_ID_LEN);
    ngx_explicit_memzero(digest, sizeof(digest));

    return NGX_OK;
}


ngx_int_t
ngx_http_s3_secret_seal(ngx_http_s3_master_key_t *key, ngx_str_t *aad,
    ngx_str_t *plain, u_char *out)
{
    u_char  *p, *nonce;

    p = out;
    *p++ = NGX_HTTP_S3_SEAL_VERSION;
    p = ngx_cpymem(p, key->id, NGX_HTTP_S3_MASTER_KEY_ID_LEN);

    nonce = p;

    if (RAND_bytes(nonce, NGX_HTTP_S3_SEAL_NONCE) != 1) {
        return NGX_ERROR;
    }

    p += NGX_HTTP_S3_SEAL_NONCE;

    return ngx_http_s3_secret_gcm(1, key->key, nonce, aad, plain->data,
                                  plain->len, p, p + plain->len);
}


u_char *
ngx_http_s3_secret_key_id(ngx_str_t *sealed)
{
    if (sealed->len < NGX_HTTP_S3_SEAL_OVERHEAD
        || sealed->data[0] != NGX_HTTP_S3_SEAL_VERSION)
    {
        return NULL;
    }

    return sealed->data + 1;
}


ngx_int_t
ngx_http_s3_secret_open(ngx_http_s3_master_key_t *keys, ngx_uint_t n,
    ngx_str_t *aad, ngx_str_t *sealed, ngx_str_t *out, ngx_uint_t *which)
{
    u_char      *id, *nonce, *ct;
    size_t       len;
    ngx_uint_t   i;

    id = ngx_http_s3_secret_key_id(sealed);
    if (id == NULL) {
        return NGX_ERROR;
    }

    for (i = 0; i < n; i++) {
        if (ngx_memcmp(keys[i].id, id, NGX_HTTP_S3_MASTER_KEY_ID_LEN) == 0) {
            break;
        }
    }

    if (i == n) {
        return NGX_DECLINED;
    }

    nonce = id + NGX_HTTP_S3_MASTER_KEY_ID_LEN;
    ct = nonce + NGX_HTTP_S3_SEAL_NONCE;
    len = sealed->len - NGX_HTTP_S3_SEAL_OVERHEAD;

    if (ngx_http_s3_secret_gcm(0, keys[i].key, nonce, aad, ct, len,
                               out->data, ct + len)
        != NGX_OK)
    {
        ngx_explicit_memzero(out->data, len);
        return NGX_ERROR;
    }

    out->len = len;
    *which = i;

    return NGX_OK;
}


static ngx_int_t
ngx_http_s3_secret_gcm(ngx_uint_t enc, u_char *key, u_char *nonce,
    ngx_str_t *aad, u_char *in, size_t len, u_char *out, u_char *tag)
{
    int              n;
    ngx_int_t        rc;
    EVP_CIPHER_CTX  *c;

    if (len > NGX_MAX_INT32_VALUE || aad->len > NGX_MAX_INT32_VALUE) {
        return NGX_ERROR;
    }

    c = EVP_CIPHER_CTX_new();
    if (c == NULL) {
        return NGX_ERROR;
    }

    rc = NGX_ERROR;

    if (EVP_CipherInit_ex(c, EVP_aes_256_gcm(), NULL, NULL, NULL, (int) enc)
        != 1
        || EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_IVLEN,
                               NGX_HTTP_S3_SEAL_NONCE, NULL)
           != 1
        || EVP_CipherInit_ex(c, NULL, NULL, key, nonce, (int) enc) != 1)
    {
        goto done;
    }

    if (aad->len
        && EVP_CipherUpdate(c, NULL, &n, aad->data, (int) aad->len) != 1)
    {
        goto done;
    }

    if (len && EVP_CipherUpdate(c, out, &n, in, (int) len) != 1) {
        goto done;
    }

    if (enc) {
        if (EVP_CipherFinal_ex(c, out + len, &n) != 1
            || EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG,
                                   NGX_HTTP_S3_SEAL_TAG, tag)
               != 1)
        {
            goto done;
        }

    } else {
        if (EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG,
                                NGX_HTTP_S3_SEAL_TAG, tag)
            != 1
            || EVP_CipherFinal_ex(c, out + len, &n) != 1)
        {
            goto done;
        }
    }

    rc = NGX_OK;

done:

    EVP_CIPHER_CTX_free(c);

    return rc;
}


ngx_int_t
ngx_http_s3_secret_new_access_key(u_char *buf)
{
    buf[0] = 'A';
    buf[1] = 'K';

    return ngx_http_s3_secret_random_chars(buf + 2,
                                           NGX_HTTP_S3_ACCESS_KEY_LEN - 2,
                                           "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567",
                                           5);
}


ngx_int_t
ngx_http_s3_secret_new_secret_key(u_char *buf)
{
    return ngx_http_s3_secret_random_chars(buf, NGX_HTTP_S3_SECRET_KEY_LEN,
                                           "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                           "abcdefghijklmnopqrstuvwxyz"
                                           "0123456789+/", 6);
}


/* n characters, each of bits random bits, of a 2^bits alphabet */

static ngx_int_t
ngx_http_s3_secret_random_chars(u_char *buf, size_t n, const char *alphabet,
    ngx_uint_t bits)
{
    u_char      rnd[NGX_HTTP_S3_SECRET_KEY_LEN];
    ngx_uint_t  i;

    if (n > sizeof(rnd) || RAND_bytes(rnd, (int) n) != 1) {
        return NGX_ERROR;
    }

    for (i = 0; i < n; i++) {
        buf[i] = alphabet[rnd[i] & ((1 << bits) - 1)];
    }

    ngx_explicit_memzero(rnd, sizeof(rnd));

    return NGX_OK;
}


ngx_uint_t
ngx_http_s3_valid_user_id(ngx_str_t *id)
{
    u_char  *p, *last, c;

    if (id->len == 0 || id->len > NGX_HTTP_S3_MAX_USER_ID) {
        return 0;
    }

    last = id->data + id->len;

    for (p = id->data; p < last; p++) {
        c = *p;

        if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) {
            continue;
        }

        if (p > id->data && (c == '.' || c == '_' || c == '-')) {
            continue;
        }

        return 0;
    }

    return 1;
}


ngx_uint_t
ngx_http_s3_valid_display_name(ngx_str_t *name)
{
    u_char  *p, *last;

    if (name->len == 0 || name->len > NGX_HTTP_S3_MAX_DISPLAY_NAME
        || !ngx_http_s3_valid_utf8(name->data, name->len))
    {
        return 0;
    }

    last = name->data + name->len;

    for (p = name->data; p < last; p++) {
        if (*p < 0x20 || *p == 0x7f) {
            return 0;
        }
    }

    return 1;
}


ngx_uint_t
ngx_http_s3_valid_access_key(ngx_str_t *ak)
{
    u_char  *p, *last;

    if (ak->len < 3 || ak->len > 128) {
        return 0;
    }

    last = ak->data + ak->len;

    for (p = ak->data; p < last; p++) {
        if (!((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z')
              || (*p >= '0' && *p <= '9')))
        {
            return 0;
        }
    }

    return 1;
}
