
/*
 * Copyright (C) ngx_s3 authors
 */


#include <ngx_config.h>
#include <ngx_core.h>

#include <openssl/sha.h>

#include "ngx_http_s3_sigv4.h"
#include "ngx_http_s3_chunked.h"


#define NGX_HTTP_S3_CHUNKED_PAYLOAD    "AWS4-HMAC-SHA256-PAYLOAD\n"
#define NGX_HTTP_S3_CHUNKED_TRAILER    "AWS4-HMAC-SHA256-TRAILER\n"
#define NGX_HTTP_S3_CHUNKED_EMPTY                                             \
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
#define NGX_HTTP_S3_CHUNKED_SIG_EXT    ";chunk-signature="
#define NGX_HTTP_S3_CHUNKED_TRAILER_SIG "x-amz-trailer-signature"


enum {
    sw_size = 0,
    sw_data,
    sw_data_cr,
    sw_data_lf,
    sw_trailer,
    sw_done,
    sw_error
};


static ngx_int_t ngx_http_s3_chunked_size_line(ngx_http_s3_chunked_t *ch);
static ngx_int_t ngx_http_s3_chunked_trailer_line(ngx_http_s3_chunked_t *ch);
static ngx_int_t ngx_http_s3_chunked_trailers_end(ngx_http_s3_chunked_t *ch);
static ngx_int_t ngx_http_s3_chunked_verify(ngx_http_s3_chunked_t *ch,
    const char *algorithm, size_t len, ngx_uint_t payload, u_char *sig);
static ngx_int_t ngx_http_s3_chunked_error(ngx_http_s3_chunked_t *ch,
    ngx_http_s3_chunked_err_e err);


ngx_int_t
ngx_http_s3_chunked_mode(ngx_str_t *content_sha256)
{
    ngx_uint_t  i;

    static ngx_str_t  modes[] = {
        ngx_string("STREAMING-AWS4-HMAC-SHA256-PAYLOAD"),
        ngx_string("STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER"),
        ngx_string("STREAMING-UNSIGNED-PAYLOAD-TRAILER")
    };

    for (i = 0; i < sizeof(modes) / sizeof(ngx_str_t); i++) {
        if (content_sha256->len == modes[i].len
            && ngx_strncmp(content_sha256->data, modes[i].data,
                           modes[i].len)
               == 0)
        {
            return (ngx_int_t) i;
        }
    }

    return NGX_DECLINED;
}


ngx_int_t
ngx_http_s3_chunked_init(ngx_http_s3_chunked_t *ch, ngx_pool_t *pool,
    ngx_uint_t mode, u_char *key, ngx_str_t *amz_date, ngx_str_t *scope,
    ngx_str_t *seed)
{
    u_char  *p;
    size_t   len;

    ngx_memzero(ch, sizeof(ngx_http_s3_chunked_t));

    ch->pool = pool;
    ch->mode = mode;
    ch->max_trailers = NGX_HTTP_S3_CHUNKED_MAX_TRAILERS;
    ch->state = sw_size;

    if (mode == NGX_HTTP_S3_CHUNKED_UNSIGNED_TRAILER) {
        return NGX_OK;
    }

    if (mode != NGX_HTTP_S3_CHUNKED_SIGNED
        && mode != NGX_HTTP_S3_CHUNKED_SIGNED_TRAILER)
    {
        return NGX_ERROR;
    }

    if (seed->len != NGX_HTTP_S3_SIGV4_HEX_LEN) {
        return NGX_ERROR;
    }

    ngx_memcpy(ch->key, key, NGX_HTTP_S3_SIGV4_KEY_LEN);
    ngx_memcpy(ch->prev, seed->data, NGX_HTTP_S3_SIGV4_HEX_LEN);

    /*
     * the string to sign: algorithm line, then the constant
     * "date\nscope\n" kept at sts_prefix, then what changes per chunk
     */

    len = sizeof(NGX_HTTP_S3_CHUNKED_PAYLOAD) - 1
          + amz_date->len + 1 + scope->len + 1
          + 3 * (NGX_HTTP_S3_SIGV4_HEX_LEN + 1);

    ch->sts.data = ngx_pnalloc(pool, len);
    if (ch->sts.data == NULL) {
        return NGX_ERROR;
    }

    p = ch->sts.data + sizeof(NGX_HTTP_S3_CHUNKED_PAYLOAD) - 1;
    p = ngx_cpymem(p, amz_date->data, amz_date->len);
    *p++ = '\n';
    p = ngx_cpymem(p, scope->data, scope->len);
    *p++ = '\n';

    ch->sts_prefix = p - ch->sts.data;

    return NGX_OK;
}


ngx_int_t
ngx_http_s3_chunked_feed(ngx_http_s3_chunked_t *ch, u_char **pos,
    u_char *last, ngx_str_t *out)
{
    off_t       n;
    u_char     *p, c;
    ngx_int_t   rc;

    p = *pos;

    for ( ;; ) {

        switch (ch->state) {

        case sw_size:
        case sw_trailer:

            for ( ;; ) {
                if (p == last) {
                    *pos = p;
                    return NGX_AGAIN;
                }

                c = *p++;

                if (c == '\n') {
                    break;
                }

                if (ch->line_len == NGX_HTTP_S3_CHUNKED_MAX_LINE) {
                    *pos = p;
                    return ngx_http_s3_chunked_error(ch,
                                             NGX_HTTP_S3_CHUNKED_ERR_TOO_LARGE);
                }

                ch->line[ch->line_len++] = c;
            }

            *pos = p;

            if (ch->line_len && ch->line[ch->line_len - 1] == '\r') {
                ch->line_len--;

            } else if (ch->state == sw_size) {
                /* chunk lines end with CRLF; trailers may be LF only */
                return ngx_http_s3_chunked_error(ch,
                                                NGX_HTTP_S3_CHUNKED_ERR_FORMAT);
            }

            if (ch->state == sw_size) {
                rc = ngx_http_s3_chunked_size_line(ch);

            } else {
                rc = ngx_http_s3_chunked_trailer_line(ch);
            }

            ch->line_len = 0;

            if (rc != NGX_OK) {
                return rc;
            }

            break;

        case sw_data:

            if (p == last) {
                *pos = p;
                return NGX_AGAIN;
            }

            n = ngx_min(last - p, ch->size);

            if (ch->max_decoded && ch->decoded + n > ch->max_decoded) {
                *pos = p;
                return ngx_http_s3_chunked_error(ch,
                                             NGX_HTTP_S3_CHUNKED_ERR_TOO_LARGE);
            }

            if (ch->mode != NGX_HTTP_S3_CHUNKED_UNSIGNED_TRAILER) {
                SHA256_Update(&ch->sha, p, (size_t) n);
            }

            out->data = p;
            out->len = (size_t) n;

            p += n;
            *pos = p;

            ch->size -= n;

            if (ch->size == 0) {
                ch->state = sw_data_cr;

                /* the last slice of a chunk only once it is verified */

                if (ch->mode != NGX_HTTP_S3_CHUNKED_UNSIGNED_TRAILER) {
                    rc = ngx_http_s3_chunked_verify(ch,
                                        NGX_HTTP_S3_CHUNKED_PAYLOAD,
                                        sizeof(NGX_HTTP_S3_CHUNKED_PAYLOAD)
                                        - 1, 1, ch->sig);
                    if (rc != NGX_OK) {
                        return rc;
                    }
                }
            }

            ch->decoded += n;

            return NGX_OK;

        case sw_data_cr:
        case sw_data_lf:

            if (p == last) {
                *pos = p;
                return NGX_AGAIN;
            }

            if (*p++ != (ch->state == sw_data_cr ? '\r' : '\n')) {
                *pos = p;
                return ngx_http_s3_chunked_error(ch,
                                                NGX_HTTP_S3_CHUNKED_ERR_FORMAT);
            }

            ch->state = (ch->state == sw_data_cr) ? sw_data_lf : sw_size;
            break;

        case sw_done:
            *pos = p;
            return NGX_DONE;

        default: /* sw_error */
            *pos = p;
            return NGX_ERROR;
        }

        if (ch->state == sw_done) {
            *pos = p;
            return NGX_DONE;
        }
    }
}


ngx_int_t
ngx_http_s3_chunked_eof(ngx_http_s3_chunked_t *ch)
{
    switch (ch->state) {

    case sw_done:
        return NGX_DONE;

    case sw_trailer:

        if (ch->line_len) {
            break;
        }

        if (ngx_http_s3_chunked_trailers_end(ch) != NGX_OK) {
            return NGX_ERROR;
        }

        return NGX_DONE;

    case sw_error:
        return NGX_ERROR;

    default:
        break;
    }

    return ngx_http_s3_chunked_error(ch, NGX_HTTP_S3_CHUNKED_ERR_FORMAT);
}


/* "10000;chunk-signature=<64 hex>" or, unsigned, "10000[;ext]" */

static ngx_int_t
ngx_http_s3_chunked_size_line(ngx_http_s3_chunked_t *ch)
{
    off_t        size;
    u_char       c, *p, *last;
    size_t       ext;
    ngx_int_t    rc;

    p = ch->line;
    last = p + ch->line_len;
    size = 0;

    if (p == last) {
        return ngx_http_s3_chunked_error(ch, NGX_HTTP_S3_CHUNKED_ERR_FORMAT);
    }

    for ( /* void */ ; p < last && *p != ';'; p++) {
        c = *p;

        if (c >= '0' && c <= '9') {
            c -= '0';

        } else {
            c = (u_char) (c | 0x20);

            if (c >= 'a' && c <= 'f') {
                c = (u_char) (c - 'a' + 10);

            } else {
                return ngx_http_s3_chunked_error(ch,
                                                NGX_HTTP_S3_CHUNKED_ERR_FORMAT);
            }
        }

        if (size > (NGX_MAX_OFF_T_VALUE - 15) / 16) {
            return ngx_http_s3_chunked_error(ch,
                                             NGX_HTTP_S3_CHUNKED_ERR_TOO_LARGE);
        }

        size = size * 16 + c;
    }

    if (p == ch->line) {
        return ngx_http_s3_chunked_error(ch, NGX_HTTP_S3_CHUNKED_ERR_FORMAT);
    }

    if (ch->mode == NGX_HTTP_S3_CHUNKED_UNSIGNED_TRAILER) {
        /* chunk extensions, if any, mean nothing here */

    } else {
        ext = sizeof(NGX_HTTP_S3_CHUNKED_SIG_EXT) - 1;

        if ((size_t) (last - p) != ext + NGX_HTTP_S3_SIGV4_HEX_LEN
            || ngx_strncmp(p, NGX_HTTP_S3_CHUNKED_SIG_EXT, ext) != 0)
        {
            return ngx_http_s3_chunked_error(ch,
                                             NGX_HTTP_S3_CHUNKED_ERR_FORMAT);
        }

        ngx_memcpy(ch->sig, p + ext, NGX_HTTP_S3_SIGV4_HEX_LEN);

        SHA256_Init(&ch->sha);
    }

    ch->size = size;

    if (size) {
        ch->state = sw_data;
        return NGX_OK;
    }

    /* the final, empty chunk */

    if (ch->mode != NGX_HTTP_S3_CHUNKED_UNSIGNED_TRAILER) {
        rc = ngx_http_s3_chunked_verify(ch, NGX_HTTP_S3_CHUNKED_PAYLOAD,
                                        sizeof(NGX_HTTP_S3_CHUNKED_PAYLOAD)
                                        - 1, 1, ch->sig);
        if (rc != NGX_OK) {
            return rc;
        }

        /* the trailer lines are hashed as they come */

        SHA256_Init(&ch->sha);
    }

    ch->trailers = ngx_array_create(ch->pool, 2, sizeof(ngx_keyval_t));
    if (ch->trailers == NULL) {
        return ngx_http_s3_chunked_error(ch, NGX_HTTP_S3_CHUNKED_ERR_MEMORY);
    }

    ch->state = sw_trailer;

    return NGX_OK;
}


static ngx_int_t
ngx_http_s3_chunked_trailer_line(ngx_http_s3_chunked_t *ch)
{
    size_t         len, name_len;
    u_char        *p, *last, *colon, *v, *copy;
    ngx_uint_t     i;
    ngx_keyval_t  *kv;

    p = ch->line;
    last = p + ch->line_len;

    if (p == last) {

        /*
         * the empty line that ends the body; some signers put an empty
         * line between the trailers and their signature: skip it
         */

        if (ch->mode == NGX_HTTP_S3_CHUNKED_SIGNED_TRAILER
            && ch->trailers->nelts && !ch->trailer_sig)
        {
            return NGX_OK;
        }

        return ngx_http_s3_chunked_trailers_end(ch);
    }

    if (ch->mode == NGX_HTTP_S3_CHUNKED_SIGNED || ch->trailer_sig) {
        /* no trailers expected, or a line after the trailer signature */
        return ngx_http_s3_chunked_error(ch, NGX_HTTP_S3_CHUNKED_ERR_FORMAT);
    }

    colon = ngx_strlchr(p, last, ':');

    if (colon == NULL || colon == p) {
        return ngx_http_s3_chunked_error(ch, NGX_HTTP_S3_CHUNKED_ERR_FORMAT);
    }

    name_len = colon - p;

    while (name_len && (p[name_len - 1] == ' ' || p[name_len - 1] == '\t')) {
        name_len--;
    }

    for (i = 0; i < name_len; i++) {
        p[i] = ngx_tolower(p[i]);
    }

    v = colon + 1;

    while (v < last && (*v == ' ' || *v == '\t')) {
        v++;
    }

    while (last > v && (last[-1] == ' ' || last[-1] == '\t')) {
        last--;
    }

    if (name_len == sizeof(NGX_HTTP_S3_CHUNKED_TRAILER_SIG) - 1
        && ngx_strncmp(p, NGX_HTTP_S3_CHUNKED_TRAILER_SIG, name_len) == 0)
    {
        if (ch->mode != NGX_HTTP_S3_CHUNKED_SIGNED_TRAILER
            || last - v != NGX_HTTP_S3_SIGV4_HEX_LEN)
        {
            return ngx_http_s3_chunked_error(ch,
                                             NGX_HTTP_S3_CHUNKED_ERR_FORMAT);
        }

        ngx_memcpy(ch->sig, v, NGX_HTTP_S3_SIGV4_HEX_LEN);
        ch->trailer_sig = 1;

        return NGX_OK;
    }

    len = name_len + 1 + (last - v);

    if (ch->trailers_len + len + 1 > ch->max_trailers) {
        return ngx_http_s3_chunked_error(ch,
                                         NGX_HTTP_S3_CHUNKED_ERR_TOO_LARGE);
    }

    ch->trailers_len += len + 1;

    /* "name:value\n", canonical, copied out of the line buffer */

    copy = ngx_pnalloc(ch->pool, len + 1);
    if (copy == NULL) {
        return ngx_http_s3_chunked_error(ch, NGX_HTTP_S3_CHUNKED_ERR_MEMORY);
    }

    kv = ngx_array_push(ch->trailers);
    if (kv == NULL) {
        return ngx_http_s3_chunked_error(ch, NGX_HTTP_S3_CHUNKED_ERR_MEMORY);
    }

    kv->key.data = copy;
    kv->key.len = name_len;

    copy = ngx_cpymem(copy, p, name_len);
    *copy++ = ':';

    kv->value.data = copy;
    kv->value.len = last - v;

    copy = ngx_cpymem(copy, v, last - v);
    *copy = '\n';

    if (ch->mode == NGX_HTTP_S3_CHUNKED_SIGNED_TRAILER) {
        SHA256_Update(&ch->sha, kv->key.data, len + 1);
    }

    return NGX_OK;
}


static ngx_int_t
ngx_http_s3_chunked_trailers_end(ngx_http_s3_chunked_t *ch)
{
    ngx_int_t  rc;

    if (ch->mode == NGX_HTTP_S3_CHUNKED_SIGNED_TRAILER
        && (ch->trailers->nelts || ch->trailer_sig))
    {
        if (!ch->trailer_sig) {
            return ngx_http_s3_chunked_error(ch,
                                             NGX_HTTP_S3_CHUNKED_ERR_SIGNATURE);
        }

        rc = ngx_http_s3_chunked_verify(ch, NGX_HTTP_S3_CHUNKED_TRAILER,
                                        sizeof(NGX_HTTP_S3_CHUNKED_TRAILER)
                                        - 1, 0, ch->sig);
        if (rc != NGX_OK) {
            return rc;
        }
    }

    ch->state = sw_done;

    return NGX_OK;
}


/*
 * algorithm \n date \n scope \n previous signature
 * [\n sha256("")] \n sha256 of what ch->sha hashed; on success the
 * signature becomes the previous one
 */

static ngx_int_t
ngx_http_s3_chunked_verify(ngx_http_s3_chunked_t *ch, const char *algorithm,
    size_t len, ngx_uint_t payload, u_char *sig)
{
    u_char  *p, md[SHA256_DIGEST_LENGTH];
    u_char   hex[NGX_HTTP_S3_SIGV4_HEX_LEN];

    SHA256_Final(md, &ch->sha);

    ngx_memcpy(ch->sts.data, algorithm, len);

    p = ch->sts.data + ch->sts_prefix;
    p = ngx_cpymem(p, ch->prev, NGX_HTTP_S3_SIGV4_HEX_LEN);
    *p++ = '\n';

    if (payload) {
        p = ngx_cpymem(p, NGX_HTTP_S3_CHUNKED_EMPTY,
                       NGX_HTTP_S3_SIGV4_HEX_LEN);
        *p++ = '\n';
    }

    p = ngx_hex_dump(p, md, SHA256_DIGEST_LENGTH);

    ch->sts.len = p - ch->sts.data;

    if (ngx_http_s3_sigv4_sign(ch->key, &ch->sts, hex) != NGX_OK) {
        return ngx_http_s3_chunked_error(ch, NGX_HTTP_S3_CHUNKED_ERR_MEMORY);
    }

    if (!ngx_http_s3_sigv4_equal(hex, NGX_HTTP_S3_SIGV4_HEX_LEN, sig,
                                 NGX_HTTP_S3_SIGV4_HEX_LEN))
    {
        return ngx_http_s3_chunked_error(ch,
                                         NGX_HTTP_S3_CHUNKED_ERR_SIGNATURE);
    }

    ngx_memcpy(ch->prev, sig, NGX_HTTP_S3_SIGV4_HEX_LEN);

    return NGX_OK;
}


static ngx_int_t
ngx_http_s3_chunked_error(ngx_http_s3_chunked_t *ch,
    ngx_http_s3_chunked_err_e err)
{
    ch->err = err;
    ch->state = sw_error;

    return NGX_ERROR;
}
