
/*
 * Copyright (C) ngx_s3 authors
 */


#ifndef _NGX_STUB_H_INCLUDED_
#define _NGX_STUB_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>


/*
 * Unit tests and fuzzers link the pure parts of the module with
 * ngx_stub.c, a malloc-backed stand-in for the few nginx core functions
 * they use (nginx-dev ships headers only).  This header adds what tests
 * need on top: a log, pools, allocation failure injection and TAP output.
 */


extern ngx_log_t   ngx_stub_log;      /* to stderr, level from NGX_STUB_LOG */

/*
 * -1: allocations never fail; n >= 0: the pool allocations after the
 * next n succeed fail (and keep failing until this is set again)
 */
extern ngx_int_t   ngx_stub_fail_after;

/* pool allocations made so far, for tests that count */
extern ngx_uint_t  ngx_stub_allocs;


ngx_pool_t *ngx_stub_pool(void);

/* TAP: "ok N - name" or "not ok N - name"; returns cond */
ngx_uint_t ngx_tap_ok(ngx_uint_t cond, const char *fmt, ...);
/* compares two byte strings, prints both on failure */
ngx_uint_t ngx_tap_is_str(u_char *got, size_t got_len, const char *want,
    const char *name);
ngx_uint_t ngx_tap_is_int(int64_t got, int64_t want, const char *name);
void ngx_tap_diag(const char *fmt, ...);
/* prints the plan "1..N"; the exit status: 0 if all passed */
int ngx_tap_done(void);


#endif /* _NGX_STUB_H_INCLUDED_ */
