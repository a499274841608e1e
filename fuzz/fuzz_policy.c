/* sources: ngx_http_s3_policy.c ngx_http_s3_json.c ngx_http_s3_secret.c ngx_http_s3_util.c */

/*
 * Bucket policies on any input: the JSON parser never reads past its
 * input, a failure always says why; a policy that compiles is evaluated
 * for a few requests made from the input too, and the wildcard matcher
 * agrees with a reference written as a table of prefixes.  The first byte splits
 * the input between the policy and the request.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include "ngx_http_s3_json.h"
#include "ngx_http_s3_policy.h"

#include "ngx_stub.h"


int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
static ngx_uint_t ref_match(u_char *p, size_t pn, u_char *t, size_t tn);


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    u_char                        *p;
    size_t                         split, pos;
    ngx_str_t                      text, rest, bucket, err, a, b;
    ngx_uint_t                     rc;
    ngx_pool_t                    *pool;
    const char                    *jerr;
    ngx_http_s3_json_t            *js;
    ngx_http_s3_policy_t          *policy;
    ngx_http_s3_policy_request_t   rq;

    if (size == 0) {
        return 0;
    }

    pool = ngx_stub_pool();

    p = ngx_pnalloc(pool, size);
    if (p == NULL) {
        abort();
    }

    ngx_memcpy(p, data, size);

    split = 1 + (size - 1) * p[0] / 256;

    text.data = p + 1;
    text.len = split - 1;
    rest.data = p + split;
    rest.len = size - split;

    js = ngx_http_s3_json_parse(pool, text.data, text.len, &jerr, &pos);

    if (js == NULL && (jerr == NULL || pos > text.len)) {
        abort();
    }

    ngx_str_set(&bucket, "bkt");

    policy = ngx_http_s3_policy_compile(pool, &text, &bucket, &err);

    if (policy == NULL && err.len == 0) {
        abort();
    }

    if (policy) {
        ngx_memzero(&rq, sizeof(rq));

        rq.user = rest;
        ngx_str_set(&rq.action, "s3:GetObject");
        rq.resource = rest;
        rq.family = AF_INET;
        rq.keys[NGX_HTTP_S3_POLICY_KEY_PREFIX] = rest;
        rq.keys[NGX_HTTP_S3_POLICY_KEY_MAX_KEYS] = rest;
        ngx_str_set(&rq.keys[NGX_HTTP_S3_POLICY_KEY_SECURE], "true");

        rc = ngx_http_s3_policy_eval(policy, &rq);

        if (rc > NGX_HTTP_S3_POLICY_DENY) {
            abort();
        }
    }

    /* the matcher: the rest as "pattern\0text" */

    a = rest;
    b.data = memchr(rest.data, '\0', rest.len);

    if (b.data && rest.len < 64) {
        a.len = b.data - rest.data;
        b.data++;
        b.len = rest.data + rest.len - b.data;

        if (ngx_http_s3_policy_match(&a, &b, 0)
            != ref_match(a.data, a.len, b.data, b.len))
        {
            abort();
        }
    }

    ngx_destroy_pool(pool);

    return 0;
}


/* dynamic programming over (pattern, text) prefixes: no backtracking */

static ngx_uint_t
ref_match(u_char *p, size_t pn, u_char *t, size_t tn)
{
    size_t  i, j;
    u_char  m[65][65];

    ngx_memzero(m, sizeof(m));

    m[0][0] = 1;

    for (i = 1; i <= pn; i++) {
        m[i][0] = m[i - 1][0] && p[i - 1] == '*';
    }

    for (i = 1; i <= pn; i++) {
        for (j = 1; j <= tn; j++) {
            if (p[i - 1] == '*') {
                m[i][j] = m[i - 1][j] || m[i][j - 1];

            } else {
                m[i][j] = m[i - 1][j - 1]
                          && (p[i - 1] == '?' || p[i - 1] == t[j - 1]);
            }
        }
    }

    return m[pn][tn];
}
