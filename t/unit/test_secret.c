/* sources: ngx_http_s3_secret.c ngx_http_s3_util.c */

/*
 * Copyright (C) ngx_s3 authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include "ngx_http_s3_secret.h"

#include "ngx_stub.h"


#define S(s)  { sizeof(s) - 1, (u_char *) s }

#define K1  "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
#define K2  "F0F1F2F3F4F5F6F7F8F9FAFBFCFDFEFF000102030405060708090A0B0C0D0E0F"


typedef struct {
    const char  *text;
    ngx_int_t    rc;
    ngx_uint_t   keys;
    ngx_uint_t   line;
} test_keyfile_t;


static void test_key_file(void);
static void test_seal(void);
static void test_new_keys(void);
static void test_names(void);


static ngx_pool_t  *pool;


int
main(void)
{
    pool = ngx_stub_pool();

    test_key_file();
    test_seal();
    test_new_keys();
    test_names();

    ngx_destroy_pool(pool);

    return ngx_tap_done();
}


static void
test_key_file(void)
{
    ngx_int_t        rc;
    ngx_uint_t       i, line;
    const char      *err;
    ngx_array_t     *keys;

    static test_keyfile_t  cases[] = {
        { K1 "\n", NGX_OK, 1, 0 },
        { K1, NGX_OK, 1, 0 },
        { "# current first\n\n  " K2 "  \r\n" K1 "\n", NGX_OK, 2, 0 },
        { "", NGX_ERROR, 0, 0 },
        { "# only a comment\n", NGX_ERROR, 0, 0 },
        { K1 "00\n", NGX_ERROR, 0, 1 },
        { "\n" "zz0102030405060708090a0b0c0d0e0f101112131415161718191a1b"
          "1c1d1e1f\n", NGX_ERROR, 0, 2 },
        { K1 "\n" K1 "\n", NGX_ERROR, 0, 2 },
        { "0001020304\n", NGX_ERROR, 0, 1 },
    };

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        keys = ngx_array_create(pool, 2, sizeof(ngx_http_s3_master_key_t));
        err = NULL;

        rc = ngx_http_s3_secret_parse_keys((u_char *) cases[i].text,
                                           ngx_strlen(cases[i].text), keys,
                                           &line, &err);

        ngx_tap_ok(rc == cases[i].rc
                   && (rc != NGX_OK || keys->nelts == cases[i].keys)
                   && (rc == NGX_OK || (err != NULL
                                        && line == cases[i].line)),
                   "key file %d: rc %d, %d keys, line %d (%s)", (int) i,
                   (int) rc, (int) keys->nelts, (int) line, err ? err : "-");
    }
}


static void
test_seal(void)
{
    u_char                     sealed[64 + NGX_HTTP_S3_SEAL_OVERHEAD];
    u_char                     opened[64 + NGX_HTTP_S3_SEAL_OVERHEAD];
    u_char                     other[64 + NGX_HTTP_S3_SEAL_OVERHEAD];
    ngx_str_t                  aad, aad2, plain, s, out;
    ngx_uint_t                 line, which;
    const char                *err;
    ngx_array_t               *keys, *keys2;
    ngx_http_s3_master_key_t  *k, *k2;

    static char  text[] = K2 "\n" K1 "\n";

    keys = ngx_array_create(pool, 2, sizeof(ngx_http_s3_master_key_t));
    (void) ngx_http_s3_secret_parse_keys((u_char *) text, sizeof(text) - 1,
                                         keys, &line, &err);
    k = keys->elts;

    aad = (ngx_str_t) S("AKABCDEFGHIJKLMNOPQR");
    aad2 = (ngx_str_t) S("AKABCDEFGHIJKLMNOPQS");
    plain = (ngx_str_t) S("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY");

    ngx_tap_ok(ngx_http_s3_secret_seal(&k[1], &aad, &plain, sealed)
               == NGX_OK, "seal with the older key");

    s.data = sealed;
    s.len = ngx_http_s3_secret_sealed_len(plain.len);

    ngx_tap_ok(memmem(sealed, s.len, plain.data, 8) == NULL
               && sealed[0] == NGX_HTTP_S3_SEAL_VERSION
               && ngx_memcmp(sealed + 1, k[1].id, 8) == 0,
               "sealed: no plaintext, version and key id first");

    out.data = opened;
    which = 9;
    ngx_tap_ok(ngx_http_s3_secret_open(k, 2, &aad, &s, &out, &which)
               == NGX_OK && which == 1
               && out.len == plain.len
               && ngx_memcmp(out.data, plain.data, plain.len) == 0,
               "opens with the key that sealed it (index 1)");

    ngx_tap_ok(ngx_http_s3_secret_open(k, 1, &aad, &s, &out, &which)
               == NGX_DECLINED, "without that key: declined");

    ngx_tap_ok(ngx_http_s3_secret_open(k, 2, &aad2, &s, &out, &which)
               == NGX_ERROR, "another access key (aad): error");

    ngx_memcpy(other, sealed, s.len);
    other[s.len - 1] ^= 1;
    s.data = other;
    ngx_tap_ok(ngx_http_s3_secret_open(k, 2, &aad, &s, &out, &which)
               == NGX_ERROR, "a flipped tag bit: error");

    ngx_memcpy(other, sealed, s.len);
    other[1 + 8 + 12] ^= 0x80;
    ngx_tap_ok(ngx_http_s3_secret_open(k, 2, &aad, &s, &out, &which)
               == NGX_ERROR, "a flipped ciphertext bit: error");

    s.len = NGX_HTTP_S3_SEAL_OVERHEAD - 1;
    ngx_tap_ok(ngx_http_s3_secret_open(k, 2, &aad, &s, &out, &which)
               == NGX_ERROR && ngx_http_s3_secret_key_id(&s) == NULL,
               "too short: error");

    ngx_memcpy(other, sealed, ngx_http_s3_secret_sealed_len(plain.len));
    other[0] = 2;
    s.len = ngx_http_s3_secret_sealed_len(plain.len);
    ngx_tap_ok(ngx_http_s3_secret_open(k, 2, &aad, &s, &out, &which)
               == NGX_ERROR, "an unknown version: error");

    /* two seals of one secret differ (a random nonce each) */

    ngx_tap_ok(ngx_http_s3_secret_seal(&k[0], &aad, &plain, other) == NGX_OK
               && ngx_http_s3_secret_seal(&k[0], &aad, &plain, sealed)
                  == NGX_OK
               && ngx_memcmp(other, sealed,
                             ngx_http_s3_secret_sealed_len(plain.len)) != 0,
               "random nonces");

    /* the key id is the key's, whatever the file's case */

    keys2 = ngx_array_create(pool, 1, sizeof(ngx_http_s3_master_key_t));
    (void) ngx_http_s3_secret_parse_keys((u_char *) K1, sizeof(K1) - 1,
                                         keys2, &line, &err);
    k2 = keys2->elts;
    s.data = sealed;
    ngx_tap_ok(ngx_memcmp(k2[0].id, k[1].id, 8) == 0
               && ngx_http_s3_secret_open(k2, 1, &aad, &s, &out, &which)
                  == NGX_DECLINED, "a file without the current key");
}


static void
test_new_keys(void)
{
    u_char      a[NGX_HTTP_S3_ACCESS_KEY_LEN], b[NGX_HTTP_S3_ACCESS_KEY_LEN];
    u_char      s1[NGX_HTTP_S3_SECRET_KEY_LEN], s2[NGX_HTTP_S3_SECRET_KEY_LEN];
    ngx_str_t   v;
    ngx_uint_t  i, ok;

    ngx_tap_ok(ngx_http_s3_secret_new_access_key(a) == NGX_OK
               && ngx_http_s3_secret_new_access_key(b) == NGX_OK
               && ngx_memcmp(a, b, sizeof(a)) != 0
               && a[0] == 'A' && a[1] == 'K', "access keys: AK, random");

    ok = 1;
    for (i = 2; i < sizeof(a); i++) {
        if (!((a[i] >= 'A' && a[i] <= 'Z') || (a[i] >= '2' && a[i] <= '7'))) {
            ok = 0;
        }
    }

    v.data = a;
    v.len = sizeof(a);
    ngx_tap_ok(ok && ngx_http_s3_valid_access_key(&v),
               "access key alphabet");

    ngx_tap_ok(ngx_http_s3_secret_new_secret_key(s1) == NGX_OK
               && ngx_http_s3_secret_new_secret_key(s2) == NGX_OK
               && ngx_memcmp(s1, s2, sizeof(s1)) != 0, "secrets differ");
}


static void
test_names(void)
{
    ngx_uint_t  i;

    static struct {
        ngx_str_t   s;
        ngx_uint_t  user;
        ngx_uint_t  name;
        ngx_uint_t  ak;
    } cases[] = {
        { S("alice"), 1, 1, 1 },
        { S("a.b_c-d9"), 1, 1, 0 },
        { S("9lives"), 1, 1, 1 },
        { S("Alice"), 0, 1, 1 },
        { S("-x"), 0, 1, 0 },
        { S("_x"), 0, 1, 0 },
        { S(""), 0, 0, 0 },
        { S("a b"), 0, 1, 0 },
        { S("a\tb"), 0, 0, 0 },
        { S("caf\xc3\xa9"), 0, 1, 0 },
        { S("bad\xc3"), 0, 0, 0 },
        { S("ab"), 1, 1, 0 },
        { S("AKIDTEST0000000000"), 0, 1, 1 },
        { S("xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"),
          1, 1, 1 },
        { S("xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"),
          0, 1, 1 },
    };

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        ngx_tap_ok(ngx_http_s3_valid_user_id(&cases[i].s) == cases[i].user
                   && ngx_http_s3_valid_display_name(&cases[i].s)
                      == cases[i].name
                   && ngx_http_s3_valid_access_key(&cases[i].s)
                      == cases[i].ak,
                   "names %d: \"%.*s\"", (int) i, (int) cases[i].s.len,
                   cases[i].s.data);
    }
}
