/* sources: ngx_http_s3_xml.c ngx_http_s3_xml_parse.c ngx_http_s3_util.c */

/*
 * Copyright (C) ngx_s3 authors
 *
 * The request parsers on any input must not crash, leak or read out of
 * bounds, and must return a well-formed result.  The response writer on
 * the same input as key text: its output is what ngx_http_s3_xml_escape()
 * says, and when the input is text XML can carry, the written document
 * parses back to exactly the input.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include "ngx_http_s3.h"

#include "ngx_stub.h"


int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
static void fuzz_parsers(ngx_pool_t *pool, u_char *p, size_t n);
static void fuzz_writer(ngx_pool_t *pool, u_char *p, size_t n);
static ngx_uint_t xml_text_ok(u_char *p, size_t n);
static u_char *flatten(ngx_pool_t *pool, ngx_chain_t *cl, size_t *n);


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    u_char      *p;
    ngx_pool_t  *pool;

    pool = ngx_stub_pool();

    /* a copy of exactly size bytes, so that any overread is caught */

    p = ngx_pnalloc(pool, size);
    if (p == NULL) {
        abort();
    }

    if (size) {
        ngx_memcpy(p, data, size);
    }

    fuzz_parsers(pool, p, size);
    fuzz_writer(pool, p, size);

    ngx_destroy_pool(pool);

    return 0;
}


static void
fuzz_parsers(ngx_pool_t *pool, u_char *p, size_t n)
{
    ngx_int_t                      rc;
    ngx_str_t                      loc;
    ngx_uint_t                     i, quiet, status, mfa;
    volatile u_char                sink;
    ngx_array_t                   *keys, *parts, *grants;
    ngx_http_s3_xml_lock_t         lk;
    ngx_http_s3_xml_part_t        *part;
    ngx_http_s3_xml_grant_t       *g;
    ngx_http_s3_xml_delete_key_t  *dk;

    /* ACL documents: every grant has a grantee and a permission */

    rc = ngx_http_s3_xml_parse_acl(pool, p, n, &grants);

    if (rc == NGX_OK) {
        g = grants->elts;

        for (i = 0; i < grants->nelts; i++) {
            if (g[i].who.data == NULL || g[i].permission.data == NULL) {
                abort();
            }
        }

    } else if (rc != NGX_ERROR && rc != NGX_DECLINED) {
        abort();
    }

    rc = ngx_http_s3_xml_parse_create_bucket(pool, p, n, &loc);

    if (rc != NGX_OK && rc != NGX_ERROR) {
        abort();
    }

    if (rc == NGX_OK && loc.len) {
        sink = loc.data[0];
        sink = loc.data[loc.len - 1];
    }

    /* VersioningConfiguration: a known status, MfaDelete 0 or 1 */

    rc = ngx_http_s3_xml_parse_versioning(pool, p, n, &status, &mfa);

    if ((rc != NGX_OK && rc != NGX_ERROR)
        || (rc == NGX_OK && (status > 2 || mfa > 1)))
    {
        abort();
    }

    rc = ngx_http_s3_xml_parse_delete(pool, p, n, 8, &keys, &quiet);

    switch (rc) {

    case NGX_OK:
        if (keys == NULL || keys->nelts == 0 || keys->nelts > 8 || quiet > 1)
        {
            abort();
        }

        dk = keys->elts;

        for (i = 0; i < keys->nelts; i++) {
            if (dk[i].key.len) {
                sink = dk[i].key.data[0];
                sink = dk[i].key.data[dk[i].key.len - 1];
            }

            if (dk[i].version.len) {
                sink = dk[i].version.data[dk[i].version.len - 1];
            }
        }

        break;

    case NGX_DECLINED:
    case NGX_ERROR:
        if (keys != NULL || quiet != 0) {
            abort();
        }

        break;

    default:
        abort();
    }

    rc = ngx_http_s3_xml_parse_complete(pool, p, n, 4, &parts);

    switch (rc) {

    case NGX_OK:
        if (parts == NULL || parts->nelts == 0 || parts->nelts > 4) {
            abort();
        }

        part = parts->elts;

        for (i = 0; i < parts->nelts; i++) {
            if (part[i].etag.len) {
                sink = part[i].etag.data[part[i].etag.len - 1];
            }

            if (part[i].checksum.len) {
                sink = part[i].checksum.data[part[i].checksum.len - 1];
            }

            if (part[i].checksum_name.len) {
                sink = part[i].checksum_name.data[0];
            }
        }

        break;

    case NGX_DECLINED:
    case NGX_ERROR:
        if (parts != NULL) {
            abort();
        }

        break;

    default:
        abort();
    }

    /* object lock documents: the texts found are readable */

    if (ngx_http_s3_xml_parse_lock_conf(pool, p, n, &lk) == NGX_OK) {
        if ((lk.mode.data || lk.days.data || lk.years.data)
            && !lk.retention)
        {
            abort();
        }

        if (lk.days.len) {
            sink = lk.days.data[lk.days.len - 1];
        }
    }

    if (ngx_http_s3_xml_parse_retention(pool, p, n, &lk) == NGX_OK
        && lk.until.len)
    {
        sink = lk.until.data[lk.until.len - 1];
    }

    if (ngx_http_s3_xml_parse_legal_hold(pool, p, n, &lk) == NGX_OK
        && lk.status.len)
    {
        sink = lk.status.data[lk.status.len - 1];
    }

    (void) sink;
}


static void
fuzz_writer(ngx_pool_t *pool, u_char *p, size_t n)
{
    u_char             *out, *esc;
    size_t              len, elen;
    ngx_int_t           rc;
    ngx_uint_t          quiet;
    ngx_array_t        *keys;
    ngx_chain_t        *cl;
    ngx_http_s3_xml_t   w;

    ngx_http_s3_xml_delete_key_t  *dk;

    static const char  head[] = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                                "<Delete xmlns=\"" NGX_HTTP_S3_XMLNS "\">"
                                "<Object><Key>";
    static const char  tail[] = "</Key></Object></Delete>";

    ngx_http_s3_xml_init(&w, pool);
    ngx_http_s3_xml_root(&w, "Delete");
    ngx_http_s3_xml_open(&w, "Object");
    ngx_http_s3_xml_text(&w, "Key", p, n);
    ngx_http_s3_xml_close(&w, "Object");
    ngx_http_s3_xml_close(&w, "Delete");

    cl = ngx_http_s3_xml_finish(&w);
    if (cl == NULL) {
        abort();
    }

    out = flatten(pool, cl, &len);

    elen = ngx_http_s3_xml_escape(NULL, p, n);

    esc = ngx_pnalloc(pool, elen);
    if (esc == NULL || ngx_http_s3_xml_escape(esc, p, n) != elen) {
        abort();
    }

    if (len != sizeof(head) - 1 + elen + sizeof(tail) - 1
        || ngx_memcmp(out, head, sizeof(head) - 1) != 0
        || ngx_memcmp(out + sizeof(head) - 1, esc, elen) != 0
        || ngx_memcmp(out + len - (sizeof(tail) - 1), tail,
                      sizeof(tail) - 1) != 0)
    {
        abort();
    }

    if (!xml_text_ok(p, n)) {
        return;
    }

    rc = ngx_http_s3_xml_parse_delete(pool, out, len, 1000, &keys, &quiet);

    if (rc != NGX_OK || keys->nelts != 1) {
        abort();
    }

    dk = keys->elts;

    if (dk->key.len != n || (n && ngx_memcmp(dk->key.data, p, n) != 0)) {
        abort();
    }
}


/* UTF-8 of XML 1.0 Chars, C0 controls allowed: the writer escapes them */

static ngx_uint_t
xml_text_ok(u_char *p, size_t n)
{
    u_char    *last;
    uint32_t   c;

    if (!ngx_http_s3_valid_utf8(p, n)) {
        return 0;
    }

    last = p + n;

    while (p < last) {
        c = *p;

        if (c < 0x20 && c != '\t' && c != '\n' && c != '\r') {
            /* &#x01; is not allowed in XML 1.0: S3 writes it anyway */
            return 0;
        }

        if (c < 0x80) {
            p++;
            continue;
        }

        if (c < 0xe0) {
            p += 2;
            continue;
        }

        if (c < 0xf0) {
            c = ((c & 0x0f) << 12) | ((p[1] & 0x3f) << 6) | (p[2] & 0x3f);

            if (c == 0xfffe || c == 0xffff) {
                return 0;
            }

            p += 3;
            continue;
        }

        p += 4;
    }

    return 1;
}


static u_char *
flatten(ngx_pool_t *pool, ngx_chain_t *cl, size_t *n)
{
    u_char       *out, *p;
    size_t        len;
    ngx_chain_t  *c;

    len = 0;

    for (c = cl; c; c = c->next) {
        if ((c->next == NULL) != (c->buf->last_buf != 0)) {
            abort();
        }

        len += c->buf->last - c->buf->pos;
    }

    out = ngx_pnalloc(pool, len);
    if (out == NULL) {
        abort();
    }

    p = out;

    for (c = cl; c; c = c->next) {
        p = ngx_cpymem(p, c->buf->pos, c->buf->last - c->buf->pos);
    }

    *n = len;

    return out;
}
