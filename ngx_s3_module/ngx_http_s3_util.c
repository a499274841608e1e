
/*
 * Copyright (C) ngx_s3 authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include "ngx_http_s3.h"

#include <openssl/rand.h>


/* 9999-12-31T23:59:59.999Z: the last instant four year digits can show */
#define NGX_HTTP_S3_MAX_MSEC  253402300799999ULL


static ngx_uint_t ngx_http_s3_looks_like_ipv4(u_char *p, size_t len);
static ngx_int_t ngx_http_s3_iso_digits(u_char **pp, u_char *last,
    ngx_uint_t n, ngx_uint_t *v);
static u_char *ngx_http_s3_range_number(u_char *p, u_char *last, off_t *n,
    ngx_uint_t *found);
static ngx_uint_t ngx_http_s3_bucket_name(ngx_str_t *name, ngx_uint_t dots);
static u_char *ngx_http_s3_skip_space(u_char *p, u_char *last);
static u_char *ngx_http_s3_put_digits(u_char *p, ngx_uint_t n, size_t width);


ngx_uint_t
ngx_http_s3_valid_bucket_name(ngx_str_t *name)
{
    return ngx_http_s3_bucket_name(name, 0);
}


ngx_uint_t
ngx_http_s3_valid_dotted_bucket_name(ngx_str_t *name)
{
    return ngx_http_s3_bucket_name(name, 1);
}


/*
 * 3 to 63 lowercase letters, digits and single hyphens, starting and
 * ending with a letter or a digit; with dots: dots too, each between two
 * letters or digits, and not an IPv4 address
 */

static ngx_uint_t
ngx_http_s3_bucket_name(ngx_str_t *name, ngx_uint_t dots)
{
    u_char      c, *p, *last;
    ngx_uint_t  hyphen;

    if (name->len < 3 || name->len > 63) {
        return 0;
    }

    p = name->data;
    last = p + name->len;

    /* start and end with a letter or a digit */

    if (p[0] == '-' || last[-1] == '-' || p[0] == '.' || last[-1] == '.') {
        return 0;
    }

    hyphen = 0;

    for ( /* void */ ; p < last; p++) {
        c = *p;

        if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) {
            hyphen = 0;
            continue;
        }

        if (c == '.' && dots && !hyphen && p[1] != '-' && p[1] != '.') {
            continue;
        }

        if (c != '-' || hyphen || (p > name->data && p[-1] == '.')) {
            /* uppercase, dots, underscores, anything else; or "--" */
            return 0;
        }

        hyphen = 1;
    }

    if (ngx_http_s3_looks_like_ipv4(name->data, name->len)) {
        return 0;
    }

    return 1;
}


static ngx_uint_t
ngx_http_s3_looks_like_ipv4(u_char *p, size_t len)
{
    u_char      *last;
    ngx_uint_t   dots, digits;

    last = p + len;
    dots = 0;
    digits = 0;

    for ( /* void */ ; p < last; p++) {

        if (*p >= '0' && *p <= '9') {
            if (++digits > 3) {
                return 0;
            }

            continue;
        }

        if (*p != '.' || digits == 0) {
            return 0;
        }

        dots++;
        digits = 0;
    }

    return (dots == 3 && digits != 0);
}


ngx_uint_t
ngx_http_s3_valid_utf8(u_char *p, size_t len)
{
    u_char    *last;
    size_t     n;
    uint32_t   c, min;

    last = p + len;

    while (p < last) {
        c = *p++;

        if (c < 0x80) {
            continue;
        }

        if (c >= 0xc2 && c <= 0xdf) {
            n = 1;
            c &= 0x1f;
            min = 0x80;

        } else if (c >= 0xe0 && c <= 0xef) {
            n = 2;
            c &= 0x0f;
            min = 0x800;

        } else if (c >= 0xf0 && c <= 0xf4) {
            n = 3;
            c &= 0x07;
            min = 0x10000;

        } else {
            /* a continuation byte, C0/C1 (overlong), or F5-FF */
            return 0;
        }

        if ((size_t) (last - p) < n) {
            return 0;
        }

        while (n--) {
            if ((*p & 0xc0) != 0x80) {
                return 0;
            }

            c = (c << 6) | (*p++ & 0x3f);
        }

        if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff)) {
            return 0;
        }
    }

    return 1;
}


ngx_int_t
ngx_http_s3_valid_key(ngx_str_t *key)
{
    if (key->len == 0 || key->len > NGX_HTTP_S3_MAX_KEY_LEN) {
        return NGX_DECLINED;
    }

    if (!ngx_http_s3_valid_utf8(key->data, key->len)) {
        return NGX_ERROR;
    }

    return NGX_OK;
}


size_t
ngx_http_s3_uri_encode(u_char *dst, u_char *src, size_t len,
    ngx_uint_t encode_slash)
{
    u_char         c, *p, *last;
    size_t         n;

    static u_char  hex[] = "0123456789ABCDEF";

    last = src + len;
    n = 0;

    for (p = src; p < last; p++) {
        c = *p;

        if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z')
            || (c >= '0' && c <= '9')
            || c == '-' || c == '.' || c == '_' || c == '~'
            || (c == '/' && !encode_slash))
        {
            if (dst) {
                *dst++ = c;
            }

            n++;
            continue;
        }

        if (dst) {
            *dst++ = '%';
            *dst++ = hex[c >> 4];
            *dst++ = hex[c & 0x0f];
        }

        n += 3;
    }

    return n;
}


/*
 * What S3 writes for encoding-type=url, as measured against AWS: the
 * form encoding of Java's URLEncoder (A-Za-z0-9 . - * _ as they are, a
 * space as '+', every other byte %XX in uppercase), '/' kept.
 */

size_t
ngx_http_s3_form_encode(u_char *dst, u_char *src, size_t len)
{
    u_char         c, *p, *last;
    size_t         n;

    static u_char  hex[] = "0123456789ABCDEF";

    last = src + len;
    n = 0;

    for (p = src; p < last; p++) {
        c = *p;

        if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z')
            || (c >= '0' && c <= '9')
            || c == '-' || c == '.' || c == '_' || c == '*' || c == '/')
        {
            if (dst) {
                *dst++ = c;
            }

            n++;
            continue;
        }

        if (c == ' ') {
            if (dst) {
                *dst++ = '+';
            }

            n++;
            continue;
        }

        if (dst) {
            *dst++ = '%';
            *dst++ = hex[c >> 4];
            *dst++ = hex[c & 0x0f];
        }

        n += 3;
    }

    return n;
}


ngx_int_t
ngx_http_s3_uri_decode(u_char *dst, size_t *dst_len, u_char *src,
    size_t len)
{
    u_char  c, h, l, *d, *last;

    d = dst;
    last = src + len;

    while (src < last) {
        c = *src++;

        if (c != '%') {
            *d++ = c;
            continue;
        }

        if (last - src < 2) {
            return NGX_ERROR;
        }

        h = src[0];
        l = src[1];

        if (h >= '0' && h <= '9') {
            h -= '0';

        } else if ((h | 0x20) >= 'a' && (h | 0x20) <= 'f') {
            h = (h | 0x20) - 'a' + 10;

        } else {
            return NGX_ERROR;
        }

        if (l >= '0' && l <= '9') {
            l -= '0';

        } else if ((l | 0x20) >= 'a' && (l | 0x20) <= 'f') {
            l = (l | 0x20) - 'a' + 10;

        } else {
            return NGX_ERROR;
        }

        *d++ = (u_char) ((h << 4) | l);
        src += 2;
    }

    *dst_len = d - dst;

    return NGX_OK;
}


/* the canned ACLs of S3's documentation, for buckets and objects */

ngx_uint_t
ngx_http_s3_canned_acl(ngx_str_t *value)
{
    ngx_uint_t  i;

    static ngx_str_t  acls[] = {
        ngx_string("private"),
        ngx_string("public-read"),
        ngx_string("public-read-write"),
        ngx_string("aws-exec-read"),
        ngx_string("authenticated-read"),
        ngx_string("bucket-owner-read"),
        ngx_string("bucket-owner-full-control"),
        ngx_string("log-delivery-write"),
        ngx_null_string
    };

    for (i = 0; acls[i].len; i++) {
        if (value->len == acls[i].len
            && ngx_strncasecmp(value->data, acls[i].data, value->len) == 0)
        {
            return 1;
        }
    }

    return 0;
}


u_char *
ngx_http_s3_time_iso8601(u_char *buf, uint64_t msec)
{
    time_t      sec;
    struct tm   tm;
    ngx_uint_t  ms;

    if (msec > NGX_HTTP_S3_MAX_MSEC) {
        msec = NGX_HTTP_S3_MAX_MSEC;
    }

    sec = (time_t) (msec / 1000);
    ms = (ngx_uint_t) (msec % 1000);

    if (gmtime_r(&sec, &tm) == NULL) {
        ngx_memzero(&tm, sizeof(struct tm));
        tm.tm_year = 70;
        tm.tm_mday = 1;
        ms = 0;
    }

    buf = ngx_http_s3_put_digits(buf, tm.tm_year + 1900, 4);
    *buf++ = '-';
    buf = ngx_http_s3_put_digits(buf, tm.tm_mon + 1, 2);
    *buf++ = '-';
    buf = ngx_http_s3_put_digits(buf, tm.tm_mday, 2);
    *buf++ = 'T';
    buf = ngx_http_s3_put_digits(buf, tm.tm_hour, 2);
    *buf++ = ':';
    buf = ngx_http_s3_put_digits(buf, tm.tm_min, 2);
    *buf++ = ':';
    buf = ngx_http_s3_put_digits(buf, tm.tm_sec, 2);
    *buf++ = '.';
    buf = ngx_http_s3_put_digits(buf, ms, 3);
    *buf++ = 'Z';

    return buf;
}


static u_char *
ngx_http_s3_put_digits(u_char *p, ngx_uint_t n, size_t width)
{
    size_t  i;

    for (i = width; i > 0; i--) {
        p[i - 1] = (u_char) ('0' + n % 10);
        n /= 10;
    }

    return p + width;
}


ngx_int_t
ngx_http_s3_random_hex(u_char *buf, size_t bytes)
{
    int     n;
    u_char  rnd[64];

    while (bytes) {
        n = (int) ngx_min(bytes, sizeof(rnd));

        if (RAND_bytes(rnd, n) != 1) {
            return NGX_ERROR;
        }

        buf = ngx_hex_dump(buf, rnd, n);
        bytes -= n;
    }

    return NGX_OK;
}


/*
 * What S3 does, as measured against AWS by moto's and LocalStack's
 * authors (getmoto/moto#6778, localstack/localstack#9076) and as RFC 7233
 * says for syntax errors: a header that cannot be parsed, a unit other
 * than bytes, several ranges, "a-b" with b < a, or a suffix range of an
 * empty object are ignored (200, the whole object); a first byte at or
 * past the end, and "-0", are unsatisfiable (416).
 */

ngx_int_t
ngx_http_s3_parse_range(ngx_str_t *value, off_t size, off_t *start,
    off_t *end)
{
    off_t        from, to;
    u_char      *p, *last;
    ngx_uint_t   have_from, have_to;

    if (value->len < 6
        || ngx_strncasecmp(value->data, (u_char *) "bytes=", 6) != 0)
    {
        return NGX_DECLINED;
    }

    p = value->data + 6;
    last = value->data + value->len;

    if (ngx_strlchr(p, last, ',') != NULL) {
        /* S3 does not do multipart/byteranges: the whole object */
        return NGX_DECLINED;
    }

    p = ngx_http_s3_skip_space(p, last);
    p = ngx_http_s3_range_number(p, last, &from, &have_from);
    p = ngx_http_s3_skip_space(p, last);

    if (p == last || *p != '-') {
        return NGX_DECLINED;
    }

    p = ngx_http_s3_skip_space(p + 1, last);
    p = ngx_http_s3_range_number(p, last, &to, &have_to);
    p = ngx_http_s3_skip_space(p, last);

    if (p != last || (!have_from && !have_to)) {
        return NGX_DECLINED;
    }

    if (size < 0) {
        size = 0;
    }

    if (!have_from) {

        /* bytes=-n: the last n bytes */

        if (to == 0) {
            return NGX_ERROR;
        }

        if (size == 0) {
            return NGX_DECLINED;
        }

        *start = size - ngx_min(to, size);
        *end = size - 1;

        return NGX_OK;
    }

    if (from >= size) {
        return NGX_ERROR;
    }

    if (have_to && to < from) {
        return NGX_DECLINED;
    }

    *start = from;
    *end = (have_to && to < size - 1) ? to : size - 1;

    return NGX_OK;
}


static u_char *
ngx_http_s3_skip_space(u_char *p, u_char *last)
{
    while (p < last && (*p == ' ' || *p == '\t')) {
        p++;
    }

    return p;
}


/* decimal digits; a value past the largest off_t saturates there */

static u_char *
ngx_http_s3_range_number(u_char *p, u_char *last, off_t *n,
    ngx_uint_t *found)
{
    off_t  v, d;

    v = 0;
    *found = 0;

    while (p < last && *p >= '0' && *p <= '9') {
        d = *p++ - '0';
        *found = 1;

        if (v > (NGX_MAX_OFF_T_VALUE - d) / 10) {
            v = NGX_MAX_OFF_T_VALUE;

        } else {
            v = v * 10 + d;
        }
    }

    *n = v;

    return p;
}


ngx_int_t
ngx_http_s3_decode_md5(ngx_str_t *b64, u_char md5[16])
{
    u_char      *s;
    uint32_t     bits;
    ngx_int_t    v;
    ngx_uint_t   i, j, n;

    /*
     * 16 bytes are exactly 24 characters: 22 of data (132 bits, the last
     * 4 unused) and "=="; anything else is not a Content-MD5
     */

    if (b64->len != 24 || b64->data[22] != '=' || b64->data[23] != '=') {
        return NGX_ERROR;
    }

    s = b64->data;
    bits = 0;
    n = 0;
    j = 0;

    for (i = 0; i < 22; i++) {
        v = ngx_http_s3_base64_value(s[i]);

        if (v < 0) {
            return NGX_ERROR;
        }

        bits = ((bits << 6) | (uint32_t) v) & 0xfff;
        n += 6;

        if (n >= 8) {
            n -= 8;
            md5[j++] = (u_char) (bits >> n);
        }
    }

    return NGX_OK;
}


/* the value of a base64 character, or -1 if it is not one */

ngx_int_t
ngx_http_s3_base64_value(u_char c)
{
    if (c >= 'A' && c <= 'Z') {
        return c - 'A';
    }

    if (c >= 'a' && c <= 'z') {
        return c - 'a' + 26;
    }

    if (c >= '0' && c <= '9') {
        return c - '0' + 52;
    }

    if (c == '+') {
        return 62;
    }

    if (c == '/') {
        return 63;
    }

    return -1;
}


/*
 * "*", or a list of entity tags, quoted or not (clients send back what
 * they got, some without the quotes); weak tags match only with weak
 * comparison (If-None-Match)
 */

ngx_uint_t
ngx_http_s3_etag_match(ngx_str_t *list, ngx_str_t *etag, ngx_uint_t weak)
{
    u_char      *p, *last, *start;
    size_t       len;
    ngx_uint_t   w;

    p = list->data;
    last = p + list->len;

    for ( ;; ) {

        while (p < last && (*p == ' ' || *p == '\t' || *p == ',')) {
            p++;
        }

        if (p == last) {
            return 0;
        }

        if (*p == '*') {
            return 1;
        }

        w = 0;

        if (last - p > 2 && p[0] == 'W' && p[1] == '/') {
            w = 1;
            p += 2;
        }

        if (*p == '"') {
            start = ++p;

            while (p < last && *p != '"') {
                p++;
            }

            len = p - start;

            if (p < last) {
                p++;
            }

        } else {
            start = p;

            while (p < last && *p != ',' && *p != ' ' && *p != '\t') {
                p++;
            }

            len = p - start;
        }

        if ((weak || !w)
            && len == etag->len
            && ngx_strncmp(start, etag->data, len) == 0)
        {
            return 1;
        }
    }
}


static ngx_int_t
ngx_http_s3_iso_digits(u_char **pp, u_char *last, ngx_uint_t n,
    ngx_uint_t *v)
{
    u_char  *p;

    p = *pp;
    *v = 0;

    if ((size_t) (last - p) < n) {
        return NGX_ERROR;
    }

    while (n--) {
        if (*p < '0' || *p > '9') {
            return NGX_ERROR;
        }

        *v = *v * 10 + (*p++ - '0');
    }

    *pp = p;

    return NGX_OK;
}


ngx_int_t
ngx_http_s3_parse_iso8601(u_char *p, size_t len, uint64_t *msec)
{
    u_char      *last;
    int64_t      days, secs, y, era, yoe, doy, doe, m, sign;
    ngx_uint_t   year, mon, mday, hour, min, sec, ms, n, oh, om;

    static ngx_uint_t  mdays[] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31,
                                   30, 31 };

    last = p + len;

    if (ngx_http_s3_iso_digits(&p, last, 4, &year) != NGX_OK
        || p == last || *p++ != '-'
        || ngx_http_s3_iso_digits(&p, last, 2, &mon) != NGX_OK
        || p == last || *p++ != '-'
        || ngx_http_s3_iso_digits(&p, last, 2, &mday) != NGX_OK
        || p == last || (*p++ | 0x20) != 't'
        || ngx_http_s3_iso_digits(&p, last, 2, &hour) != NGX_OK
        || p == last || *p++ != ':'
        || ngx_http_s3_iso_digits(&p, last, 2, &min) != NGX_OK
        || p == last || *p++ != ':'
        || ngx_http_s3_iso_digits(&p, last, 2, &sec) != NGX_OK)
    {
        return NGX_ERROR;
    }

    if (mon < 1 || mon > 12 || mday < 1 || mday > mdays[mon - 1]
        || hour > 23 || min > 59 || sec > 59)
    {
        return NGX_ERROR;
    }

    if (mon == 2 && mday == 29
        && !(year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)))
    {
        return NGX_ERROR;
    }

    /* a fraction: milliseconds, the rest truncated */

    ms = 0;

    if (p < last && *p == '.') {
        p++;

        for (n = 0; p < last && *p >= '0' && *p <= '9'; n++, p++) {
            if (n < 3) {
                ms = ms * 10 + (*p - '0');
            }
        }

        if (n == 0) {
            return NGX_ERROR;
        }

        for ( /* void */ ; n < 3; n++) {
            ms *= 10;
        }
    }

    if (p == last) {
        return NGX_ERROR;
    }

    sign = 0;
    oh = 0;
    om = 0;

    if (*p == 'Z' || *p == 'z') {
        p++;

    } else if (*p == '+' || *p == '-') {
        sign = (*p++ == '+') ? 1 : -1;

        if (ngx_http_s3_iso_digits(&p, last, 2, &oh) != NGX_OK) {
            return NGX_ERROR;
        }

        if (p < last && *p == ':') {
            p++;
        }

        if (ngx_http_s3_iso_digits(&p, last, 2, &om) != NGX_OK
            || oh > 23 || om > 59)
        {
            return NGX_ERROR;
        }

    } else {
        return NGX_ERROR;
    }

    if (p != last) {
        return NGX_ERROR;
    }

    /* days from the civil date (proleptic Gregorian) */

    y = (int64_t) year - (mon <= 2);
    era = (y >= 0 ? y : y - 399) / 400;
    yoe = y - era * 400;
    m = (int64_t) mon;
    doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + (int64_t) mday - 1;
    doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    days = era * 146097 + doe - 719468;

    secs = days * 86400 + (int64_t) (hour * 3600 + min * 60 + sec)
           - sign * (int64_t) (oh * 3600 + om * 60);

    if (secs < 0) {
        return NGX_ERROR;
    }

    *msec = (uint64_t) secs * 1000 + ms;

    return NGX_OK;
}


ngx_uint_t
ngx_http_s3_lock_protected(ngx_uint_t mode, uint64_t until,
    ngx_uint_t legal_hold, ngx_uint_t bypass, uint64_t now)
{
    if (legal_hold == NGX_HTTP_S3_LEGAL_HOLD_ON) {
        return 1;
    }

    if (mode == NGX_HTTP_S3_LOCK_MODE_NONE || until <= now) {
        return 0;
    }

    if (mode == NGX_HTTP_S3_LOCK_MODE_GOVERNANCE && bypass) {
        return 0;
    }

    return 1;
}


ngx_int_t
ngx_http_s3_lock_retention_change(ngx_uint_t mode, uint64_t until,
    ngx_uint_t nmode, uint64_t nuntil, uint64_t now)
{
    if (mode == NGX_HTTP_S3_LOCK_MODE_NONE || until <= now) {
        /* nothing in force: anything goes */
        return NGX_OK;
    }

    if (nmode == mode && nuntil >= until) {
        /* kept or extended */
        return NGX_OK;
    }

    if (mode == NGX_HTTP_S3_LOCK_MODE_GOVERNANCE) {
        return NGX_DECLINED;
    }

    return NGX_ABORT;
}
