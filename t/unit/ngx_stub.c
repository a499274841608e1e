
/*
 * Copyright (C) ngx_s3 authors
 */


/*
 * A malloc-backed stand-in for the nginx core functions that the pure
 * parts of the module (util, xml, sigv4, wire) may call.  Declarations
 * come from nginx's own headers, so a signature mismatch does not build.
 * Every pool allocation is a separate malloc() freed by ngx_destroy_pool():
 * AddressSanitizer sees overruns of each one, and LeakSanitizer what a
 * test forgets.
 *
 * Provided: ngx_create_pool, ngx_destroy_pool, ngx_palloc, ngx_pnalloc,
 * ngx_pcalloc, ngx_pool_cleanup_add, ngx_alloc, ngx_calloc,
 * ngx_array_create, ngx_array_push, ngx_array_push_n,
 * ngx_create_temp_buf, ngx_alloc_chain_link, ngx_hex_dump, ngx_pstrdup,
 * ngx_cpystrn, ngx_strcasecmp, ngx_strncasecmp, ngx_atoi,
 * ngx_log_error_core; ngx_pagesize, ngx_pagesize_shift, ngx_cacheline_size,
 * ngx_cycle (only its log is set).  Macros such as ngx_free, ngx_memcpy,
 * ngx_calloc_buf, ngx_array_init work as in nginx.
 */


#include <ngx_config.h>
#include <ngx_core.h>

#include "ngx_stub.h"


ngx_uint_t   ngx_pagesize = 4096;
ngx_uint_t   ngx_pagesize_shift = 12;
ngx_uint_t   ngx_cacheline_size = 64;

ngx_log_t    ngx_stub_log = { .log_level = NGX_LOG_WARN };

static ngx_cycle_t  ngx_stub_cycle = { .log = &ngx_stub_log };

volatile ngx_cycle_t  *ngx_cycle = &ngx_stub_cycle;
ngx_int_t    ngx_stub_fail_after = -1;
ngx_uint_t   ngx_stub_allocs;

static ngx_uint_t  ngx_tap_tests;
static ngx_uint_t  ngx_tap_failed;


static void *ngx_stub_malloc(ngx_pool_t *pool, size_t size);
static void ngx_stub_log_init(void);
static void ngx_tap_quote(const char *what, const u_char *p, size_t len);


/* pools */

ngx_pool_t *
ngx_create_pool(size_t size, ngx_log_t *log)
{
    ngx_pool_t  *p;

    p = calloc(1, sizeof(ngx_pool_t));
    if (p == NULL) {
        return NULL;
    }

    p->max = size;
    p->current = p;
    p->log = log;

    return p;
}


void
ngx_destroy_pool(ngx_pool_t *pool)
{
    ngx_pool_large_t    *l, *next;
    ngx_pool_cleanup_t  *c;

    for (c = pool->cleanup; c; c = c->next) {
        if (c->handler) {
            c->handler(c->data);
        }
    }

    /* the cleanup structures themselves are in the large list */

    for (l = pool->large; l; l = next) {
        next = l->next;
        free(l->alloc);
        free(l);
    }

    free(pool);
}


static void *
ngx_stub_malloc(ngx_pool_t *pool, size_t size)
{
    void              *m;
    ngx_pool_large_t  *l;

    if (ngx_stub_fail_after == 0) {
        return NULL;
    }

    if (ngx_stub_fail_after > 0) {
        ngx_stub_fail_after--;
    }

    m = malloc(size ? size : 1);
    if (m == NULL) {
        return NULL;
    }

    l = malloc(sizeof(ngx_pool_large_t));
    if (l == NULL) {
        free(m);
        return NULL;
    }

    l->alloc = m;
    l->next = pool->large;
    pool->large = l;

    ngx_stub_allocs++;

    return m;
}


void *
ngx_palloc(ngx_pool_t *pool, size_t size)
{
    return ngx_stub_malloc(pool, size);
}


void *
ngx_pnalloc(ngx_pool_t *pool, size_t size)
{
    return ngx_stub_malloc(pool, size);
}


void *
ngx_pcalloc(ngx_pool_t *pool, size_t size)
{
    void  *p;

    p = ngx_stub_malloc(pool, size);
    if (p) {
        ngx_memzero(p, size);
    }

    return p;
}


ngx_pool_cleanup_t *
ngx_pool_cleanup_add(ngx_pool_t *p, size_t size)
{
    ngx_pool_cleanup_t  *c;

    c = ngx_stub_malloc(p, sizeof(ngx_pool_cleanup_t));
    if (c == NULL) {
        return NULL;
    }

    if (size) {
        c->data = ngx_stub_malloc(p, size);
        if (c->data == NULL) {
            return NULL;
        }

    } else {
        c->data = NULL;
    }

    c->handler = NULL;
    c->next = p->cleanup;
    p->cleanup = c;

    return c;
}


void *
ngx_alloc(size_t size, ngx_log_t *log)
{
    void  *p;

    p = malloc(size);
    if (p == NULL) {
        ngx_log_error(NGX_LOG_EMERG, log, ngx_errno, "malloc() failed");
    }

    return p;
}


void *
ngx_calloc(size_t size, ngx_log_t *log)
{
    void  *p;

    p = ngx_alloc(size, log);
    if (p) {
        ngx_memzero(p, size);
    }

    return p;
}


/* arrays: a push past nalloc copies to a new block, as nginx may */

ngx_array_t *
ngx_array_create(ngx_pool_t *p, ngx_uint_t n, size_t size)
{
    ngx_array_t  *a;

    a = ngx_palloc(p, sizeof(ngx_array_t));
    if (a == NULL) {
        return NULL;
    }

    if (ngx_array_init(a, p, n, size) != NGX_OK) {
        return NULL;
    }

    return a;
}


void *
ngx_array_push(ngx_array_t *a)
{
    return ngx_array_push_n(a, 1);
}


void *
ngx_array_push_n(ngx_array_t *a, ngx_uint_t n)
{
    void        *elt, *new;
    ngx_uint_t   nalloc;

    if (a->nelts + n > a->nalloc) {
        nalloc = 2 * ((n >= a->nalloc) ? n : a->nalloc);

        new = ngx_palloc(a->pool, nalloc * a->size);
        if (new == NULL) {
            return NULL;
        }

        if (a->nelts) {
            ngx_memcpy(new, a->elts, a->nelts * a->size);
        }

        a->elts = new;
        a->nalloc = nalloc;
    }

    elt = (u_char *) a->elts + a->size * a->nelts;
    a->nelts += n;

    return elt;
}


/* bufs */

ngx_buf_t *
ngx_create_temp_buf(ngx_pool_t *pool, size_t size)
{
    ngx_buf_t  *b;

    b = ngx_calloc_buf(pool);
    if (b == NULL) {
        return NULL;
    }

    b->start = ngx_palloc(pool, size);
    if (b->start == NULL) {
        return NULL;
    }

    b->pos = b->start;
    b->last = b->start;
    b->end = b->last + size;
    b->temporary = 1;

    return b;
}


ngx_chain_t *
ngx_alloc_chain_link(ngx_pool_t *pool)
{
    return ngx_palloc(pool, sizeof(ngx_chain_t));
}


/* strings */

u_char *
ngx_hex_dump(u_char *dst, u_char *src, size_t len)
{
    static u_char  hex[] = "0123456789abcdef";

    while (len--) {
        *dst++ = hex[*src >> 4];
        *dst++ = hex[*src++ & 0xf];
    }

    return dst;
}


u_char *
ngx_pstrdup(ngx_pool_t *pool, ngx_str_t *src)
{
    u_char  *dst;

    dst = ngx_pnalloc(pool, src->len);
    if (dst == NULL) {
        return NULL;
    }

    ngx_memcpy(dst, src->data, src->len);

    return dst;
}


u_char *
ngx_cpystrn(u_char *dst, u_char *src, size_t n)
{
    if (n == 0) {
        return dst;
    }

    while (--n) {
        *dst = *src;

        if (*dst == '\0') {
            return dst;
        }

        dst++;
        src++;
    }

    *dst = '\0';

    return dst;
}


ngx_int_t
ngx_strcasecmp(u_char *s1, u_char *s2)
{
    ngx_uint_t  c1, c2;

    for ( ;; ) {
        c1 = (ngx_uint_t) *s1++;
        c2 = (ngx_uint_t) *s2++;

        c1 = (c1 >= 'A' && c1 <= 'Z') ? (c1 | 0x20) : c1;
        c2 = (c2 >= 'A' && c2 <= 'Z') ? (c2 | 0x20) : c2;

        if (c1 == c2) {

            if (c1) {
                continue;
            }

            return 0;
        }

        return c1 - c2;
    }
}


ngx_int_t
ngx_strncasecmp(u_char *s1, u_char *s2, size_t n)
{
    ngx_uint_t  c1, c2;

    while (n) {
        c1 = (ngx_uint_t) *s1++;
        c2 = (ngx_uint_t) *s2++;

        c1 = (c1 >= 'A' && c1 <= 'Z') ? (c1 | 0x20) : c1;
        c2 = (c2 >= 'A' && c2 <= 'Z') ? (c2 | 0x20) : c2;

        if (c1 == c2) {

            if (c1) {
                n--;
                continue;
            }

            return 0;
        }

        return c1 - c2;
    }

    return 0;
}


ngx_int_t
ngx_atoi(u_char *line, size_t n)
{
    ngx_int_t  value, cutoff, cutlim;

    if (n == 0) {
        return NGX_ERROR;
    }

    cutoff = NGX_MAX_INT_T_VALUE / 10;
    cutlim = NGX_MAX_INT_T_VALUE % 10;

    for (value = 0; n--; line++) {
        if (*line < '0' || *line > '9') {
            return NGX_ERROR;
        }

        if (value >= cutoff && (value > cutoff || *line - '0' > cutlim)) {
            return NGX_ERROR;
        }

        value = value * 10 + (*line - '0');
    }

    return value;
}


ngx_int_t
ngx_hextoi(u_char *line, size_t n)
{
    u_char     c, ch;
    ngx_int_t  value;

    if (n == 0) {
        return NGX_ERROR;
    }

    for (value = 0; n--; line++) {
        if (value > NGX_MAX_INT_T_VALUE / 16) {
            return NGX_ERROR;
        }

        ch = *line;

        if (ch >= '0' && ch <= '9') {
            value = value * 16 + (ch - '0');
            continue;
        }

        c = (u_char) (ch | 0x20);

        if (c >= 'a' && c <= 'f') {
            value = value * 16 + (c - 'a' + 10);
            continue;
        }

        return NGX_ERROR;
    }

    return value;
}


void
ngx_explicit_memzero(void *buf, size_t n)
{
    volatile u_char  *p;

    for (p = buf; n; n--) {
        *p++ = 0;
    }
}


/* logging: the format is printed as is, nginx's %V and friends unexpanded */

void ngx_cdecl
ngx_log_error_core(ngx_uint_t level, ngx_log_t *log, ngx_err_t err,
    const char *fmt, ...)
{
    fprintf(stderr, "# log [%lu]%s%s: %s\n", (unsigned long) level,
            err ? " " : "", err ? strerror(err) : "", fmt);
}


/* helpers for tests */

static void
ngx_stub_log_init(void)
{
    char               *v;
    static ngx_uint_t   done;

    if (done++) {
        return;
    }

    v = getenv("NGX_STUB_LOG");

    if (v) {
        ngx_stub_log.log_level = (ngx_uint_t) strtoul(v, NULL, 0);
    }
}


ngx_pool_t *
ngx_stub_pool(void)
{
    ngx_pool_t  *pool;

    ngx_stub_log_init();

    pool = ngx_create_pool(NGX_DEFAULT_POOL_SIZE, &ngx_stub_log);
    if (pool == NULL) {
        fprintf(stderr, "Bail out! no memory\n");
        exit(2);
    }

    return pool;
}


ngx_uint_t
ngx_tap_ok(ngx_uint_t cond, const char *fmt, ...)
{
    va_list  args;

    ngx_tap_tests++;

    if (!cond) {
        ngx_tap_failed++;
    }

    printf("%sok %lu - ", cond ? "" : "not ", (unsigned long) ngx_tap_tests);

    va_start(args, fmt);
    vprintf(fmt, args);
    va_end(args);

    printf("\n");
    fflush(stdout);

    return cond;
}


static void
ngx_tap_quote(const char *what, const u_char *p, size_t len)
{
    size_t  i;

    printf("#   %s: \"", what);

    for (i = 0; i < len; i++) {
        if (p[i] >= 0x20 && p[i] < 0x7f && p[i] != '"' && p[i] != '\\') {
            putchar(p[i]);

        } else {
            printf("\\x%02x", p[i]);
        }
    }

    printf("\" (%lu bytes)\n", (unsigned long) len);
}


ngx_uint_t
ngx_tap_is_str(u_char *got, size_t got_len, const char *want,
    const char *name)
{
    size_t      len;
    ngx_uint_t  ok;

    len = strlen(want);
    ok = (got_len == len && (len == 0 || memcmp(got, want, len) == 0));

    ngx_tap_ok(ok, "%s", name);

    if (!ok) {
        ngx_tap_quote("got", got ? got : (u_char *) "", got ? got_len : 0);
        ngx_tap_quote("expected", (u_char *) want, len);
    }

    return ok;
}


ngx_uint_t
ngx_tap_is_int(int64_t got, int64_t want, const char *name)
{
    ngx_uint_t  ok;

    ok = (got == want);

    ngx_tap_ok(ok, "%s", name);

    if (!ok) {
        printf("#   got: %lld\n#   expected: %lld\n", (long long) got,
               (long long) want);
    }

    return ok;
}


void
ngx_tap_diag(const char *fmt, ...)
{
    va_list  args;

    printf("# ");

    va_start(args, fmt);
    vprintf(fmt, args);
    va_end(args);

    printf("\n");
}


int
ngx_tap_done(void)
{
    printf("1..%lu\n", (unsigned long) ngx_tap_tests);

    if (ngx_tap_failed) {
        printf("# failed %lu of %lu\n", (unsigned long) ngx_tap_failed,
               (unsigned long) ngx_tap_tests);
    }

    fflush(stdout);

    return ngx_tap_failed ? 1 : 0;
}
