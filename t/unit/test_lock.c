/* sources: ngx_http_s3_util.c ngx_http_s3_wire.c ngx_http_s3_record.c */

/*
 * Copyright (C) ngx_s3 authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include "ngx_http_s3_util.h"
#include "ngx_http_s3_wire.h"

#include "ngx_stub.h"


/* object lock: retain-until dates, protection, retention changes */


#define G   NGX_HTTP_S3_LOCK_MODE_GOVERNANCE
#define C   NGX_HTTP_S3_LOCK_MODE_COMPLIANCE
#define N   NGX_HTTP_S3_LOCK_MODE_NONE
#define ON  NGX_HTTP_S3_LEGAL_HOLD_ON
#define OFF NGX_HTTP_S3_LEGAL_HOLD_OFF

#define NOW 1796198400000ULL


typedef struct {
    const char  *text;
    ngx_int_t    rc;
    uint64_t     msec;
} test_date_t;


typedef struct {
    ngx_uint_t   mode;
    uint64_t     until;
    ngx_uint_t   hold;
    ngx_uint_t   bypass;
    ngx_uint_t   protected;
    const char  *what;
} test_protect_t;


typedef struct {
    ngx_uint_t   mode;
    uint64_t     until;
    ngx_uint_t   nmode;
    uint64_t     nuntil;
    ngx_int_t    rc;
    const char  *what;
} test_change_t;


static void test_dates(void);
static void test_protected(void);
static void test_changes(void);
static void test_records(void);


int
main(void)
{
    test_dates();
    test_protected();
    test_changes();
    test_records();

    return ngx_tap_done();
}


static void
test_dates(void)
{
    uint64_t    msec;
    ngx_int_t   rc;
    ngx_uint_t  i;

    static test_date_t  tests[] = {
        { "1970-01-01T00:00:00Z", NGX_OK, 0 },
        { "2026-12-02T08:00:00Z", NGX_OK, 1796198400000ULL },
        { "2026-12-02T08:00:00.000Z", NGX_OK, 1796198400000ULL },
        { "2026-12-02T08:00:00.5Z", NGX_OK, 1796198400500ULL },
        { "2026-12-02T08:00:00.123456Z", NGX_OK, 1796198400123ULL },
        { "2026-12-02t08:00:00z", NGX_OK, 1796198400000ULL },
        { "2026-12-02T09:00:00+01:00", NGX_OK, 1796198400000ULL },
        { "2026-12-02T06:30:00-0130", NGX_OK, 1796198400000ULL },
        { "2024-02-29T23:59:59Z", NGX_OK, 1709251199000ULL },
        { "2000-03-01T00:00:00Z", NGX_OK, 951868800000ULL },
        { "9999-12-31T23:59:59Z", NGX_OK, 253402300799000ULL },
        { "2023-02-29T00:00:00Z", NGX_ERROR, 0 },
        { "2100-02-29T00:00:00Z", NGX_ERROR, 0 },
        { "2026-13-01T00:00:00Z", NGX_ERROR, 0 },
        { "2026-00-01T00:00:00Z", NGX_ERROR, 0 },
        { "2026-04-31T00:00:00Z", NGX_ERROR, 0 },
        { "2026-12-02T24:00:00Z", NGX_ERROR, 0 },
        { "2026-12-02T08:60:00Z", NGX_ERROR, 0 },
        { "2026-12-02T08:00:60Z", NGX_ERROR, 0 },
        { "2026-12-02T08:00:00", NGX_ERROR, 0 },
        { "2026-12-02T08:00:00.Z", NGX_ERROR, 0 },
        { "2026-12-02T08:00:00Zx", NGX_ERROR, 0 },
        { "2026-12-02T08:00:00+1", NGX_ERROR, 0 },
        { "2026-12-02 08:00:00Z", NGX_ERROR, 0 },
        { "2026-12-02", NGX_ERROR, 0 },
        { "26-12-02T08:00:00Z", NGX_ERROR, 0 },
        { "1969-12-31T23:59:59Z", NGX_ERROR, 0 },
        { "1970-01-01T00:30:00+01:00", NGX_ERROR, 0 },
        { "", NGX_ERROR, 0 },
        { "tomorrow", NGX_ERROR, 0 },
    };

    for (i = 0; i < sizeof(tests) / sizeof(tests[0]); i++) {
        msec = 0;
        rc = ngx_http_s3_parse_iso8601((u_char *) tests[i].text,
                                       ngx_strlen(tests[i].text), &msec);

        ngx_tap_ok(rc == tests[i].rc
                   && (rc != NGX_OK || msec == tests[i].msec),
                   "date \"%s\": rc %d, %llu ms", tests[i].text, (int) rc,
                   (unsigned long long) msec);
    }
}


static void
test_protected(void)
{
    ngx_uint_t  i;

    static test_protect_t  tests[] = {
        { N, 0, 0, 0, 0, "nothing" },
        { N, 0, OFF, 0, 0, "legal hold off" },
        { N, 0, ON, 1, 1, "legal hold on, even with a bypass" },
        { G, NOW + 1, 0, 0, 1, "governance in force" },
        { G, NOW + 1, 0, 1, 0, "governance in force, bypassed" },
        { G, NOW + 1, ON, 1, 1, "governance bypassed, legal hold on" },
        { G, NOW, 0, 0, 0, "governance ending now" },
        { G, NOW - 1, 0, 0, 0, "governance expired" },
        { C, NOW + 1, 0, 0, 1, "compliance in force" },
        { C, NOW + 1, 0, 1, 1, "compliance in force, a bypass" },
        { C, NOW - 1, 0, 1, 0, "compliance expired" },
        { C, NOW - 1, ON, 0, 1, "compliance expired, legal hold on" },
    };

    for (i = 0; i < sizeof(tests) / sizeof(tests[0]); i++) {
        ngx_tap_ok(ngx_http_s3_lock_protected(tests[i].mode, tests[i].until,
                                              tests[i].hold, tests[i].bypass,
                                              NOW)
                   == tests[i].protected,
                   "protected: %s", tests[i].what);
    }
}


static void
test_changes(void)
{
    ngx_uint_t  i;

    static test_change_t  tests[] = {
        { N, 0, G, NOW + 5, NGX_OK, "none to governance" },
        { N, 0, C, NOW + 5, NGX_OK, "none to compliance" },
        { C, NOW + 5, C, NOW + 5, NGX_OK, "compliance kept" },
        { C, NOW + 5, C, NOW + 9, NGX_OK, "compliance extended" },
        { C, NOW + 5, C, NOW + 4, NGX_ABORT, "compliance shortened" },
        { C, NOW + 5, G, NOW + 9, NGX_ABORT, "compliance to governance" },
        { C, NOW + 5, N, 0, NGX_ABORT, "compliance removed" },
        { C, NOW - 5, N, 0, NGX_OK, "expired compliance removed" },
        { C, NOW - 5, G, NOW + 1, NGX_OK, "expired compliance replaced" },
        { G, NOW + 5, G, NOW + 9, NGX_OK, "governance extended" },
        { G, NOW + 5, G, NOW + 4, NGX_DECLINED, "governance shortened" },
        { G, NOW + 5, N, 0, NGX_DECLINED, "governance removed" },
        { G, NOW + 5, C, NOW + 9, NGX_DECLINED, "governance to compliance" },
        { G, NOW, N, 0, NGX_OK, "governance ending now, removed" },
    };

    for (i = 0; i < sizeof(tests) / sizeof(tests[0]); i++) {
        ngx_tap_ok(ngx_http_s3_lock_retention_change(tests[i].mode,
                                                     tests[i].until,
                                                     tests[i].nmode,
                                                     tests[i].nuntil, NOW)
                   == tests[i].rc,
                   "retention change: %s", tests[i].what);
    }
}


/* the lock fields of an object record, and the lock configuration */

static void
test_records(void)
{
    ngx_str_t                 rec;
    ngx_pool_t               *pool;
    ngx_http_s3_wbuf_t        wb;
    ngx_http_s3_object_t      o, d;
    ngx_http_s3_lock_conf_t   lc, dc;

    pool = ngx_stub_pool();

    ngx_memzero(&o, sizeof(ngx_http_s3_object_t));
    o.size = 3;
    o.lock_mode = C;
    o.lock_until = NOW + 1;
    o.legal_hold = OFF;

    ngx_http_s3_wbuf_init(&wb, pool, 256);
    ngx_http_s3_object_encode(&wb, &o);
    rec.data = wb.start;
    rec.len = wb.pos - wb.start;

    ngx_tap_ok(ngx_http_s3_object_decode(&rec, &d, pool) == NGX_OK
               && d.lock_mode == C && d.lock_until == NOW + 1
               && d.legal_hold == OFF && d.size == 3,
               "object record: lock fields round trip");

    /* no lock: no fields */

    o.lock_mode = N;
    o.lock_until = 0;
    o.legal_hold = 0;

    ngx_http_s3_wbuf_init(&wb, pool, 256);
    ngx_http_s3_object_encode(&wb, &o);
    rec.data = wb.start;
    rec.len = wb.pos - wb.start;

    ngx_tap_ok(ngx_http_s3_record_field(&rec, NGX_HTTP_S3_FIELD_LOCK_MODE,
                                        &rec)
               == NGX_DECLINED, "object record: no lock, no field 57");

    lc.mode = G;
    lc.years = 1;
    lc.count = 7;

    ngx_http_s3_wbuf_init(&wb, pool, 16);
    ngx_http_s3_lock_conf_encode(&wb, &lc);
    rec.data = wb.start;
    rec.len = wb.pos - wb.start;

    ngx_tap_ok(ngx_http_s3_lock_conf_decode(&rec, &dc) == NGX_OK
               && dc.mode == G && dc.years == 1 && dc.count == 7,
               "lock configuration round trip");

    rec.len--;
    ngx_tap_ok(ngx_http_s3_lock_conf_decode(&rec, &dc) == NGX_ERROR,
               "lock configuration: short");

    rec.len = 0;
    ngx_tap_ok(ngx_http_s3_lock_conf_decode(&rec, &dc) == NGX_OK
               && dc.mode == N, "lock configuration: none");

    ngx_destroy_pool(pool);
}
