/* sources: ngx_http_s3_fault.c */

/*
 * Copyright (C) ngx_s3 authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include "ngx_http_s3_fault.h"

#include "ngx_stub.h"


#define R    NGX_HTTP_S3_FAULT_ENGINE_READ
#define W    NGX_HTTP_S3_FAULT_ENGINE_WRITE
#define I    NGX_HTTP_S3_FAULT_ENGINE_ITER
#define SC   NGX_HTTP_S3_FAULT_STORE_CREATE
#define SW   NGX_HTTP_S3_FAULT_STORE_WRITE
#define SF   NGX_HTTP_S3_FAULT_STORE_FSYNC

#define EIO_      NGX_HTTP_S3_FAULT_EIO
#define ENOSPC_   NGX_HTTP_S3_FAULT_ENOSPC
#define CORRUPT_  NGX_HTTP_S3_FAULT_CORRUPTION
#define DELAY_    NGX_HTTP_S3_FAULT_DELAY


typedef struct {
    const char  *spec;
    ngx_int_t    point;        /* -1: no point armed */
    ngx_uint_t   nth;
    ngx_uint_t   sticky;
    ngx_uint_t   error;
} test_good_t;


typedef struct {
    const char  *spec;
    size_t       bad_at;       /* offset of the entry not understood */
} test_bad_t;


static void test_good(void);
static void test_bad(void);
static void test_several(void);
static void test_names(void);


int
main(void)
{
    test_good();
    test_bad();
    test_several();
    test_names();

    return ngx_tap_done();
}


static void
test_good(void)
{
    u_char               *bad;
    ngx_int_t             rc;
    ngx_uint_t            i, j, armed, ok;
    ngx_http_s3_fault_t   f[NGX_HTTP_S3_FAULT_LAST];

    static test_good_t  tests[] = {
        { "", -1, 0, 0, 0 },
        { "  \n\t,;", -1, 0, 0, 0 },
        { "# nothing armed\n", -1, 0, 0, 0 },
        { "engine.read=3:eio", R, 3, 0, EIO_ },
        { "engine.read=3", R, 3, 0, EIO_ },
        { "engine.write=1+:enospc", W, 1, 1, ENOSPC_ },
        { "engine.iter=12:corruption", I, 12, 0, CORRUPT_ },
        { "store.create=1:enospc", SC, 1, 0, ENOSPC_ },
        { "store.write=2+", SW, 2, 1, EIO_ },
        { "store.fsync=1:eio\n", SF, 1, 0, EIO_ },
        { "store.fsync=2+:delay", SF, 2, 1, DELAY_ },
        { "# 17\nengine.read=2  # the second read\n", R, 2, 0, EIO_ },
        { "engine.read=1 engine.read=5", R, 5, 0, EIO_ },
        { "engine.read=99999999", R, 99999999, 0, EIO_ },
    };

    for (i = 0; i < sizeof(tests) / sizeof(tests[0]); i++) {
        bad = NULL;
        rc = ngx_http_s3_fault_parse((u_char *) tests[i].spec,
                                     ngx_strlen(tests[i].spec), f, &bad);

        ok = (rc == NGX_OK);
        armed = 0;

        for (j = 0; j < NGX_HTTP_S3_FAULT_LAST; j++) {
            if (f[j].nth == 0) {
                continue;
            }

            armed++;

            if ((ngx_int_t) j != tests[i].point || f[j].nth != tests[i].nth
                || f[j].sticky != tests[i].sticky
                || f[j].error != tests[i].error)
            {
                ok = 0;
            }
        }

        if (armed != (tests[i].point >= 0 ? 1u : 0u)) {
            ok = 0;
        }

        ngx_tap_ok(ok, "\"%s\" parses", tests[i].spec);
    }
}


static void
test_bad(void)
{
    u_char               *bad;
    ngx_int_t             rc;
    ngx_uint_t            i;
    ngx_http_s3_fault_t   f[NGX_HTTP_S3_FAULT_LAST];

    static test_bad_t  tests[] = {
        { "engine.read", 0 },
        { "engine.read=", 0 },
        { "engine.read=0", 0 },
        { "engine.read=x", 0 },
        { "engine.read=-1", 0 },
        { "engine.read=1:", 0 },
        { "engine.read=1:eagain", 0 },
        { "engine.read=1:EIO", 0 },
        { "engine.reads=1", 0 },
        { "engine=1", 0 },
        { "=1", 0 },
        { "store.write=1:corruption", 0 },
        { "store.write=1:delay", 0 },
        { "engine.write=1:delay", 0 },
        { "engine.read=1x", 0 },
        { "engine.read=1++", 0 },
        { "engine.read=1000000000", 0 },
        { "engine.read=1 store.fsync=2:eio engine.iter", 32 },
        { "store.fsync=2\nengine.write=1:enospc:eio", 14 },
    };

    for (i = 0; i < sizeof(tests) / sizeof(tests[0]); i++) {
        bad = NULL;
        rc = ngx_http_s3_fault_parse((u_char *) tests[i].spec,
                                     ngx_strlen(tests[i].spec), f, &bad);

        ngx_tap_ok(rc == NGX_ERROR && bad != NULL
                   && (size_t) (bad - (u_char *) tests[i].spec)
                      == tests[i].bad_at,
                   "\"%s\" is refused at %uz", tests[i].spec,
                   tests[i].bad_at);
    }
}


static void
test_several(void)
{
    u_char               *bad;
    ngx_int_t             rc;
    const char           *spec;
    ngx_http_s3_fault_t   f[NGX_HTTP_S3_FAULT_LAST];

    spec = "engine.read=3:eio, engine.write=1+:enospc;"
           "engine.iter=2:corruption\nstore.create=4 store.write=5+:enospc "
           "store.fsync=6:eio";

    rc = ngx_http_s3_fault_parse((u_char *) spec, ngx_strlen(spec), f, &bad);

    ngx_tap_ok(rc == NGX_OK, "six entries parse");
    ngx_tap_ok(f[R].nth == 3 && !f[R].sticky && f[R].error == EIO_,
               "engine.read");
    ngx_tap_ok(f[W].nth == 1 && f[W].sticky && f[W].error == ENOSPC_,
               "engine.write");
    ngx_tap_ok(f[I].nth == 2 && !f[I].sticky && f[I].error == CORRUPT_,
               "engine.iter");
    ngx_tap_ok(f[SC].nth == 4 && !f[SC].sticky && f[SC].error == EIO_,
               "store.create");
    ngx_tap_ok(f[SW].nth == 5 && f[SW].sticky && f[SW].error == ENOSPC_,
               "store.write");
    ngx_tap_ok(f[SF].nth == 6 && !f[SF].sticky && f[SF].error == EIO_,
               "store.fsync");

    spec = "engine.read=3 bogus=1";
    rc = ngx_http_s3_fault_parse((u_char *) spec, ngx_strlen(spec), f, &bad);

    ngx_tap_ok(rc == NGX_ERROR, "a bad entry after a good one is refused");
}


static void
test_names(void)
{
    ngx_tap_ok(ngx_strcmp(ngx_http_s3_fault_point_name(SF), "store.fsync")
               == 0, "point name");
    ngx_tap_ok(ngx_strcmp(ngx_http_s3_fault_point_name(99), "unknown") == 0,
               "unknown point name");
    ngx_tap_ok(ngx_strcmp(ngx_http_s3_fault_error_name(ENOSPC_), "enospc")
               == 0, "error name");
}
