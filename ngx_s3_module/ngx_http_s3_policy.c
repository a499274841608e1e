
/*
 * Copyright (C) ngx_s3 authors
 */


#include <ngx_config.h>
#include <ngx_core.h>

#include "ngx_http_s3_policy.h"
#include "ngx_http_s3_json.h"
#include "ngx_http_s3_secret.h"


/* condition operators */

#define NGX_HTTP_S3_COND_STRING_EQUALS       0
#define NGX_HTTP_S3_COND_STRING_EQUALS_IC    1
#define NGX_HTTP_S3_COND_STRING_LIKE         2
#define NGX_HTTP_S3_COND_NUMERIC_EQUALS      3
#define NGX_HTTP_S3_COND_NUMERIC_LT          4
#define NGX_HTTP_S3_COND_NUMERIC_LE          5
#define NGX_HTTP_S3_COND_NUMERIC_GT          6
#define NGX_HTTP_S3_COND_NUMERIC_GE          7
#define NGX_HTTP_S3_COND_BOOL                8
#define NGX_HTTP_S3_COND_IP                  9


typedef struct {
    const char                *name;
    ngx_uint_t                 op;
    ngx_uint_t                 negated;
} ngx_http_s3_cond_op_t;


typedef struct {
    const char                *name;       /* lowercase */
    ngx_uint_t                 key;
    ngx_uint_t                 ip;         /* only with the IP operators */
} ngx_http_s3_cond_key_t;


typedef struct {
    ngx_uint_t                 family;
    u_char                     addr[16];
    u_char                     mask[16];
} ngx_http_s3_cidr_t;


typedef struct {
    ngx_uint_t                 op;
    ngx_uint_t                 negated;
    ngx_uint_t                 key;
    ngx_array_t               *values;     /* ngx_str_t, or _cidr_t */
} ngx_http_s3_condition_t;


/* a pattern, with the kinds that need no backtracking told apart */

#define NGX_HTTP_S3_PATTERN_EXACT            0
#define NGX_HTTP_S3_PATTERN_PREFIX           1   /* literal, then one '*' */
#define NGX_HTTP_S3_PATTERN_WILD             2

typedef struct {
    ngx_str_t                  text;
    ngx_uint_t                 kind;
} ngx_http_s3_pattern_t;


typedef struct {
    ngx_uint_t                 deny;
    ngx_uint_t                 any_principal;
    ngx_array_t               *principals; /* ngx_str_t user ids */
    ngx_array_t               *actions;    /* ngx_str_t, then patterns */
    ngx_array_t               *resources;  /* ngx_str_t, then patterns */
    ngx_array_t               *conditions; /* ngx_http_s3_condition_t */
} ngx_http_s3_statement_t;


struct ngx_http_s3_policy_s {
    ngx_array_t                statements; /* ngx_http_s3_statement_t */
};


typedef struct {
    ngx_pool_t                *pool;
    ngx_str_t                 *bucket;
    ngx_str_t                 *err;
} ngx_http_s3_policy_cc_t;


static ngx_int_t ngx_http_s3_policy_statement(ngx_http_s3_policy_cc_t *cc,
    ngx_http_s3_json_t *js, ngx_http_s3_statement_t *st);
static ngx_int_t ngx_http_s3_policy_principal(ngx_http_s3_policy_cc_t *cc,
    ngx_http_s3_json_t *js, ngx_http_s3_statement_t *st);
static ngx_int_t ngx_http_s3_policy_principal_one(
    ngx_http_s3_policy_cc_t *cc, ngx_str_t *type, ngx_str_t *value,
    ngx_http_s3_statement_t *st);
static ngx_int_t ngx_http_s3_policy_actions(ngx_http_s3_policy_cc_t *cc,
    ngx_http_s3_json_t *js, ngx_http_s3_statement_t *st);
static ngx_int_t ngx_http_s3_policy_resources(ngx_http_s3_policy_cc_t *cc,
    ngx_http_s3_json_t *js, ngx_http_s3_statement_t *st);
static ngx_int_t ngx_http_s3_policy_conditions(ngx_http_s3_policy_cc_t *cc,
    ngx_http_s3_json_t *js, ngx_http_s3_statement_t *st);
static ngx_int_t ngx_http_s3_policy_condition(ngx_http_s3_policy_cc_t *cc,
    ngx_http_s3_cond_op_t *op, ngx_http_s3_json_t *js,
    ngx_http_s3_statement_t *st);
static ngx_int_t ngx_http_s3_policy_strings(ngx_http_s3_policy_cc_t *cc,
    ngx_http_s3_json_t *js, const char *what, ngx_uint_t scalars,
    ngx_array_t **out);
static ngx_int_t ngx_http_s3_policy_cidr(ngx_str_t *text,
    ngx_http_s3_cidr_t *cidr);
static ngx_int_t ngx_http_s3_policy_fail(ngx_http_s3_policy_cc_t *cc,
    const char *fmt, ngx_str_t *what);
static ngx_uint_t ngx_http_s3_statement_applies(ngx_http_s3_statement_t *st,
    ngx_http_s3_policy_request_t *rq);
static ngx_uint_t ngx_http_s3_condition_holds(ngx_http_s3_condition_t *c,
    ngx_http_s3_policy_request_t *rq);
static ngx_uint_t ngx_http_s3_condition_value(ngx_http_s3_condition_t *c,
    ngx_str_t *v, ngx_http_s3_policy_request_t *rq, ngx_uint_t i);
static ngx_int_t ngx_http_s3_policy_number(ngx_str_t *s, int64_t *n);
static ngx_array_t *ngx_http_s3_policy_patterns(ngx_pool_t *pool,
    ngx_array_t *strings);
static ngx_uint_t ngx_http_s3_pattern_match(ngx_array_t *patterns,
    ngx_str_t *text, ngx_uint_t icase);


static ngx_http_s3_cond_op_t  ngx_http_s3_cond_ops[] = {
    { "StringEquals", NGX_HTTP_S3_COND_STRING_EQUALS, 0 },
    { "StringNotEquals", NGX_HTTP_S3_COND_STRING_EQUALS, 1 },
    { "StringEqualsIgnoreCase", NGX_HTTP_S3_COND_STRING_EQUALS_IC, 0 },
    { "StringNotEqualsIgnoreCase", NGX_HTTP_S3_COND_STRING_EQUALS_IC, 1 },
    { "StringLike", NGX_HTTP_S3_COND_STRING_LIKE, 0 },
    { "StringNotLike", NGX_HTTP_S3_COND_STRING_LIKE, 1 },
    { "NumericEquals", NGX_HTTP_S3_COND_NUMERIC_EQUALS, 0 },
    { "NumericNotEquals", NGX_HTTP_S3_COND_NUMERIC_EQUALS, 1 },
    { "NumericLessThan", NGX_HTTP_S3_COND_NUMERIC_LT, 0 },
    { "NumericLessThanEquals", NGX_HTTP_S3_COND_NUMERIC_LE, 0 },
    { "NumericGreaterThan", NGX_HTTP_S3_COND_NUMERIC_GT, 0 },
    { "NumericGreaterThanEquals", NGX_HTTP_S3_COND_NUMERIC_GE, 0 },
    { "Bool", NGX_HTTP_S3_COND_BOOL, 0 },
    { "IpAddress", NGX_HTTP_S3_COND_IP, 0 },
    { "NotIpAddress", NGX_HTTP_S3_COND_IP, 1 },
    { NULL, 0, 0 }
};


static ngx_http_s3_cond_key_t  ngx_http_s3_cond_keys[] = {
    { "aws:sourceip", NGX_HTTP_S3_POLICY_KEY_SOURCE_IP, 1 },
    { "aws:securetransport", NGX_HTTP_S3_POLICY_KEY_SECURE, 0 },
    { "s3:prefix", NGX_HTTP_S3_POLICY_KEY_PREFIX, 0 },
    { "s3:delimiter", NGX_HTTP_S3_POLICY_KEY_DELIMITER, 0 },
    { "s3:max-keys", NGX_HTTP_S3_POLICY_KEY_MAX_KEYS, 0 },
    { "s3:x-amz-acl", NGX_HTTP_S3_POLICY_KEY_X_AMZ_ACL, 0 },
    { NULL, 0, 0 }
};


ngx_http_s3_policy_t *
ngx_http_s3_policy_compile(ngx_pool_t *pool, ngx_str_t *text,
    ngx_str_t *bucket, ngx_str_t *err)
{
    size_t                    pos;
    const char               *jerr;
    ngx_http_s3_json_t       *root, *m, *e;
    ngx_http_s3_policy_t     *policy;
    ngx_http_s3_statement_t  *st;
    ngx_http_s3_policy_cc_t   cc;

    cc.pool = pool;
    cc.bucket = bucket;
    cc.err = err;

    ngx_str_null(err);

    if (text->len > NGX_HTTP_S3_POLICY_MAX_SIZE) {
        (void) ngx_http_s3_policy_fail(&cc, "Policies are limited to "
                                       "20 KB", NULL);
        return NULL;
    }

    root = ngx_http_s3_json_parse(pool, text->data, text->len, &jerr, &pos);

    if (root == NULL || root->type != NGX_HTTP_S3_JSON_OBJECT) {
        (void) ngx_http_s3_policy_fail(&cc, "Policies must be valid JSON "
                                       "and the first byte must be '{'",
                                       NULL);
        return NULL;
    }

    policy = ngx_pcalloc(pool, sizeof(ngx_http_s3_policy_t));
    if (policy == NULL
        || ngx_array_init(&policy->statements, pool, 4,
                          sizeof(ngx_http_s3_statement_t))
           != NGX_OK)
    {
        return NULL;
    }

    for (m = root->child; m; m = m->next) {

        if (m->name.len == 7 && ngx_strncmp(m->name.data, "Version", 7) == 0)
        {
            if (m->type != NGX_HTTP_S3_JSON_STRING
                || !((m->str.len == 10
                      && (ngx_strncmp(m->str.data, "2012-10-17", 10) == 0
                          || ngx_strncmp(m->str.data, "2008-10-17", 10)
                             == 0))))
            {
                (void) ngx_http_s3_policy_fail(&cc, "The policy must "
                                               "contain a valid version "
                                               "string", NULL);
                return NULL;
            }

        } else if (m->name.len == 2
                   && ngx_strncmp(m->name.data, "Id", 2) == 0)
        {
            if (m->type != NGX_HTTP_S3_JSON_STRING) {
                (void) ngx_http_s3_policy_fail(&cc, "Id must be a string",
                                               NULL);
                return NULL;
            }

        } else if (m->name.len == 9
                   && ngx_strncmp(m->name.data, "Statement", 9) == 0)
        {
            if (m->type == NGX_HTTP_S3_JSON_OBJECT) {
                e = m;

            } else if (m->type == NGX_HTTP_S3_JSON_ARRAY && m->n) {
                e = m->child;

            } else {
                (void) ngx_http_s3_policy_fail(&cc, "Statement must be a "
                                               "statement or a list of "
                                               "them", NULL);
                return NULL;
            }

            for ( /* void */ ; e; e = (m->type == NGX_HTTP_S3_JSON_ARRAY)
                                      ? e->next : NULL)
            {
                st = ngx_array_push(&policy->statements);
                if (st == NULL) {
                    return NULL;
                }

                if (ngx_http_s3_policy_statement(&cc, e, st) != NGX_OK) {
                    return NULL;
                }
            }

        } else {
            (void) ngx_http_s3_policy_fail(&cc, "Unknown field %V",
                                           &m->name);
            return NULL;
        }
    }

    if (policy->statements.nelts == 0) {
        (void) ngx_http_s3_policy_fail(&cc, "Missing required field "
                                       "Statement", NULL);
        return NULL;
    }

    return policy;
}


ngx_uint_t
ngx_http_s3_policy_statements(ngx_http_s3_policy_t *policy)
{
    return policy->statements.nelts;
}


static ngx_int_t
ngx_http_s3_policy_statement(ngx_http_s3_policy_cc_t *cc,
    ngx_http_s3_json_t *js, ngx_http_s3_statement_t *st)
{
    ngx_uint_t           effect;
    ngx_http_s3_json_t  *m;

    ngx_memzero(st, sizeof(ngx_http_s3_statement_t));

    if (js->type != NGX_HTTP_S3_JSON_OBJECT) {
        return ngx_http_s3_policy_fail(cc, "A statement must be an object",
                                       NULL);
    }

    effect = 0;

    for (m = js->child; m; m = m->next) {

        if (m->name.len == 3 && ngx_strncmp(m->name.data, "Sid", 3) == 0) {
            if (m->type != NGX_HTTP_S3_JSON_STRING) {
                return ngx_http_s3_policy_fail(cc, "Sid must be a string",
                                               NULL);
            }

        } else if (m->name.len == 6
                   && ngx_strncmp(m->name.data, "Effect", 6) == 0)
        {
            if (m->type == NGX_HTTP_S3_JSON_STRING
                && m->str.len == 5
                && ngx_strncmp(m->str.data, "Allow", 5) == 0)
            {
                effect = 1;

            } else if (m->type == NGX_HTTP_S3_JSON_STRING
                       && m->str.len == 4
                       && ngx_strncmp(m->str.data, "Deny", 4) == 0)
            {
                effect = 1;
                st->deny = 1;

            } else {
                return ngx_http_s3_policy_fail(cc, "Invalid effect: %V",
                                               &m->str);
            }

        } else if (m->name.len == 9
                   && ngx_strncmp(m->name.data, "Principal", 9) == 0)
        {
            if (ngx_http_s3_policy_principal(cc, m, st) != NGX_OK) {
                return NGX_ERROR;
            }

        } else if (m->name.len == 6
                   && ngx_strncmp(m->name.data, "Action", 6) == 0)
        {
            if (ngx_http_s3_policy_actions(cc, m, st) != NGX_OK) {
                return NGX_ERROR;
            }

        } else if (m->name.len == 8
                   && ngx_strncmp(m->name.data, "Resource", 8) == 0)
        {
            if (ngx_http_s3_policy_resources(cc, m, st) != NGX_OK) {
                return NGX_ERROR;
            }

        } else if (m->name.len == 9
                   && ngx_strncmp(m->name.data, "Condition", 9) == 0)
        {
            if (ngx_http_s3_policy_conditions(cc, m, st) != NGX_OK) {
                return NGX_ERROR;
            }

        } else if ((m->name.len == 12
                    && ngx_strncmp(m->name.data, "NotPrincipal", 12) == 0)
                   || (m->name.len == 9
                       && ngx_strncmp(m->name.data, "NotAction", 9) == 0)
                   || (m->name.len == 11
                       && ngx_strncmp(m->name.data, "NotResource", 11) == 0))
        {
            return ngx_http_s3_policy_fail(cc, "%V is not supported",
                                           &m->name);

        } else {
            return ngx_http_s3_policy_fail(cc, "Unknown field %V",
                                           &m->name);
        }
    }

    if (!effect) {
        return ngx_http_s3_policy_fail(cc, "Missing required field Effect",
                                       NULL);
    }

    if (!st->any_principal && st->principals == NULL) {
        return ngx_http_s3_policy_fail(cc, "Missing required field "
                                       "Principal", NULL);
    }

    if (st->actions == NULL) {
        return ngx_http_s3_policy_fail(cc, "Missing required field Action",
                                       NULL);
    }

    if (st->resources == NULL) {
        return ngx_http_s3_policy_fail(cc, "Missing required field "
                                       "Resource", NULL);
    }

    st->actions = ngx_http_s3_policy_patterns(cc->pool, st->actions);
    st->resources = ngx_http_s3_policy_patterns(cc->pool, st->resources);

    if (st->actions == NULL || st->resources == NULL) {
        return NGX_ERROR;
    }

    return NGX_OK;
}


static ngx_array_t *
ngx_http_s3_policy_patterns(ngx_pool_t *pool, ngx_array_t *strings)
{
    u_char                 *p, *last;
    ngx_str_t              *s;
    ngx_uint_t              i, stars, other;
    ngx_array_t            *a;
    ngx_http_s3_pattern_t  *pt;

    a = ngx_array_create(pool, strings->nelts,
                         sizeof(ngx_http_s3_pattern_t));
    if (a == NULL) {
        return NULL;
    }

    s = strings->elts;

    for (i = 0; i < strings->nelts; i++) {
        pt = ngx_array_push(a);
        if (pt == NULL) {
            return NULL;
        }

        pt->text = s[i];

        stars = 0;
        other = 0;
        last = s[i].data + s[i].len;

        for (p = s[i].data; p < last; p++) {
            if (*p == '*') {
                stars++;

            } else if (*p == '?') {
                other++;
            }
        }

        if (stars == 0 && other == 0) {
            pt->kind = NGX_HTTP_S3_PATTERN_EXACT;

        } else if (stars == 1 && other == 0 && last[-1] == '*') {
            pt->kind = NGX_HTTP_S3_PATTERN_PREFIX;
            pt->text.len--;

        } else {
            pt->kind = NGX_HTTP_S3_PATTERN_WILD;
        }
    }

    return a;
}


static ngx_uint_t
ngx_http_s3_pattern_match(ngx_array_t *patterns, ngx_str_t *text,
    ngx_uint_t icase)
{
    ngx_uint_t              i;
    ngx_http_s3_pattern_t  *pt;

    pt = patterns->elts;

    for (i = 0; i < patterns->nelts; i++) {

        switch (pt[i].kind) {

        case NGX_HTTP_S3_PATTERN_EXACT:

            if (pt[i].text.len == text->len
                && (icase ? ngx_strncasecmp(pt[i].text.data, text->data,
                                            text->len)
                          : ngx_memcmp(pt[i].text.data, text->data,
                                       text->len))
                   == 0)
            {
                return 1;
            }

            break;

        case NGX_HTTP_S3_PATTERN_PREFIX:

            if (pt[i].text.len <= text->len
                && (icase ? ngx_strncasecmp(pt[i].text.data, text->data,
                                            pt[i].text.len)
                          : ngx_memcmp(pt[i].text.data, text->data,
                                       pt[i].text.len))
                   == 0)
            {
                return 1;
            }

            break;

        default:

            if (ngx_http_s3_policy_match(&pt[i].text, text, icase)) {
                return 1;
            }

            break;
        }
    }

    return 0;
}


/* "*", {"AWS": ...}, {"CanonicalUser": ...}, values single or a list */

static ngx_int_t
ngx_http_s3_policy_principal(ngx_http_s3_policy_cc_t *cc,
    ngx_http_s3_json_t *js, ngx_http_s3_statement_t *st)
{
    ngx_str_t            star;
    ngx_http_s3_json_t  *m, *v;

    ngx_str_set(&star, "AWS");

    if (js->type == NGX_HTTP_S3_JSON_STRING) {
        return ngx_http_s3_policy_principal_one(cc, &star, &js->str, st);
    }

    if (js->type != NGX_HTTP_S3_JSON_OBJECT || js->n == 0) {
        return ngx_http_s3_policy_fail(cc, "Invalid principal in policy",
                                       NULL);
    }

    for (m = js->child; m; m = m->next) {

        if (m->type == NGX_HTTP_S3_JSON_STRING) {
            if (ngx_http_s3_policy_principal_one(cc, &m->name, &m->str, st)
                != NGX_OK)
            {
                return NGX_ERROR;
            }

            continue;
        }

        if (m->type != NGX_HTTP_S3_JSON_ARRAY || m->n == 0) {
            return ngx_http_s3_policy_fail(cc, "Invalid principal in "
                                           "policy", NULL);
        }

        for (v = m->child; v; v = v->next) {
            if (v->type != NGX_HTTP_S3_JSON_STRING
                || ngx_http_s3_policy_principal_one(cc, &m->name, &v->str,
                                                    st)
                   != NGX_OK)
            {
                return ngx_http_s3_policy_fail(cc, "Invalid principal in "
                                               "policy", NULL);
            }
        }
    }

    return NGX_OK;
}


static ngx_int_t
ngx_http_s3_policy_principal_one(ngx_http_s3_policy_cc_t *cc,
    ngx_str_t *type, ngx_str_t *value, ngx_http_s3_statement_t *st)
{
    u_char     *p, *last;
    ngx_str_t   id, *u;

    if (type->len == 3 && ngx_strncmp(type->data, "AWS", 3) == 0) {

        if (value->len == 1 && value->data[0] == '*') {
            st->any_principal = 1;
            return NGX_OK;
        }

        /* arn:aws:iam::<account>:user/<user id> */

        if (value->len < sizeof("arn:aws:iam::") - 1
            || ngx_strncmp(value->data, "arn:aws:iam::",
                           sizeof("arn:aws:iam::") - 1)
               != 0)
        {
            return ngx_http_s3_policy_fail(cc, "Invalid principal in "
                                           "policy: %V", value);
        }

        p = value->data + sizeof("arn:aws:iam::") - 1;
        last = value->data + value->len;

        p = ngx_strlchr(p, last, ':');

        if (p == NULL || last - p < 6 || ngx_strncmp(p, ":user/", 6) != 0) {
            return ngx_http_s3_policy_fail(cc, "Invalid principal in "
                                           "policy: %V", value);
        }

        id.data = p + 6;
        id.len = last - id.data;

    } else if (type->len == 13
               && ngx_strncmp(type->data, "CanonicalUser", 13) == 0)
    {
        id = *value;

    } else {
        return ngx_http_s3_policy_fail(cc, "Invalid principal in policy: "
                                       "%V", type);
    }

    if (!ngx_http_s3_valid_user_id(&id)) {
        return ngx_http_s3_policy_fail(cc, "Invalid principal in policy: %V",
                                       value);
    }

    if (st->principals == NULL) {
        st->principals = ngx_array_create(cc->pool, 2, sizeof(ngx_str_t));
        if (st->principals == NULL) {
            return NGX_ERROR;
        }
    }

    u = ngx_array_push(st->principals);
    if (u == NULL) {
        return NGX_ERROR;
    }

    *u = id;

    return NGX_OK;
}


static ngx_int_t
ngx_http_s3_policy_actions(ngx_http_s3_policy_cc_t *cc,
    ngx_http_s3_json_t *js, ngx_http_s3_statement_t *st)
{
    u_char      *p, *last;
    ngx_str_t   *a;
    ngx_uint_t   i;

    if (ngx_http_s3_policy_strings(cc, js, "Action", 0, &st->actions)
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    a = st->actions->elts;

    for (i = 0; i < st->actions->nelts; i++) {

        if (a[i].len == 1 && a[i].data[0] == '*') {
            continue;
        }

        if (a[i].len < 4 || ngx_strncasecmp(a[i].data, (u_char *) "s3:", 3)
                            != 0)
        {
            return ngx_http_s3_policy_fail(cc, "Policy has invalid action: "
                                           "%V", &a[i]);
        }

        last = a[i].data + a[i].len;

        for (p = a[i].data + 3; p < last; p++) {
            if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z')
                  || *p == '*' || *p == '?'))
            {
                return ngx_http_s3_policy_fail(cc, "Policy has invalid "
                                               "action: %V", &a[i]);
            }
        }
    }

    return NGX_OK;
}


static ngx_int_t
ngx_http_s3_policy_resources(ngx_http_s3_policy_cc_t *cc,
    ngx_http_s3_json_t *js, ngx_http_s3_statement_t *st)
{
    u_char      *slash;
    ngx_str_t   *r, b;
    ngx_uint_t   i;

    if (ngx_http_s3_policy_strings(cc, js, "Resource", 0, &st->resources)
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    r = st->resources->elts;

    for (i = 0; i < st->resources->nelts; i++) {

        if (r[i].len <= sizeof("arn:aws:s3:::") - 1
            || ngx_strncmp(r[i].data, "arn:aws:s3:::",
                           sizeof("arn:aws:s3:::") - 1)
               != 0)
        {
            return ngx_http_s3_policy_fail(cc, "Policy has invalid "
                                           "resource: %V", &r[i]);
        }

        /* kept without the prefix: "bucket" or "bucket/key pattern" */

        r[i].data += sizeof("arn:aws:s3:::") - 1;
        r[i].len -= sizeof("arn:aws:s3:::") - 1;

        slash = ngx_strlchr(r[i].data, r[i].data + r[i].len, '/');

        b.data = r[i].data;
        b.len = (slash ? slash : r[i].data + r[i].len) - r[i].data;

        if (!ngx_http_s3_policy_match(&b, cc->bucket, 0)) {
            r[i].data -= sizeof("arn:aws:s3:::") - 1;
            r[i].len += sizeof("arn:aws:s3:::") - 1;

            return ngx_http_s3_policy_fail(cc, "Policy has invalid "
                                           "resource: %V is not of this "
                                           "bucket", &r[i]);
        }
    }

    return NGX_OK;
}


/* {"<operator>": {"<key>": value or values, ...}, ...} */

static ngx_int_t
ngx_http_s3_policy_conditions(ngx_http_s3_policy_cc_t *cc,
    ngx_http_s3_json_t *js, ngx_http_s3_statement_t *st)
{
    ngx_http_s3_json_t     *m;
    ngx_http_s3_cond_op_t  *op;

    if (js->type != NGX_HTTP_S3_JSON_OBJECT) {
        return ngx_http_s3_policy_fail(cc, "Condition must be an object",
                                       NULL);
    }

    for (m = js->child; m; m = m->next) {

        for (op = ngx_http_s3_cond_ops; op->name; op++) {
            if (m->name.len == ngx_strlen(op->name)
                && ngx_strncmp(m->name.data, op->name, m->name.len) == 0)
            {
                break;
            }
        }

        if (op->name == NULL) {
            return ngx_http_s3_policy_fail(cc, "Invalid Condition type : %V",
                                           &m->name);
        }

        if (m->type != NGX_HTTP_S3_JSON_OBJECT || m->n == 0) {
            return ngx_http_s3_policy_fail(cc, "Condition %V must be an "
                                           "object of keys", &m->name);
        }

        if (ngx_http_s3_policy_condition(cc, op, m, st) != NGX_OK) {
            return NGX_ERROR;
        }
    }

    return NGX_OK;
}


static ngx_int_t
ngx_http_s3_policy_condition(ngx_http_s3_policy_cc_t *cc,
    ngx_http_s3_cond_op_t *op, ngx_http_s3_json_t *js,
    ngx_http_s3_statement_t *st)
{
    int64_t                   n;
    ngx_str_t                *v;
    ngx_uint_t                i;
    ngx_array_t              *values, *cidrs;
    ngx_http_s3_cidr_t       *cidr;
    ngx_http_s3_json_t       *k;
    ngx_http_s3_cond_key_t   *key;
    ngx_http_s3_condition_t  *c;

    for (k = js->child; k; k = k->next) {

        for (key = ngx_http_s3_cond_keys; key->name; key++) {
            if (k->name.len == ngx_strlen(key->name)
                && ngx_strncasecmp(k->name.data, (u_char *) key->name,
                                   k->name.len)
                   == 0)
            {
                break;
            }
        }

        if (key->name == NULL) {
            return ngx_http_s3_policy_fail(cc, "Condition key %V is not "
                                           "supported", &k->name);
        }

        if ((op->op == NGX_HTTP_S3_COND_IP) != key->ip) {
            return ngx_http_s3_policy_fail(cc, "Condition key %V does not "
                                           "go with this operator",
                                           &k->name);
        }

        if (op->op == NGX_HTTP_S3_COND_BOOL
            && key->key != NGX_HTTP_S3_POLICY_KEY_SECURE)
        {
            return ngx_http_s3_policy_fail(cc, "Condition key %V does not "
                                           "go with Bool", &k->name);
        }

        values = NULL;

        if (ngx_http_s3_policy_strings(cc, k, "Condition", 1, &values)
            != NGX_OK)
        {
            return NGX_ERROR;
        }

        v = values->elts;

        for (i = 0; i < values->nelts; i++) {

            if (op->op >= NGX_HTTP_S3_COND_NUMERIC_EQUALS
                && op->op <= NGX_HTTP_S3_COND_NUMERIC_GE
                && ngx_http_s3_policy_number(&v[i], &n) != NGX_OK)
            {
                return ngx_http_s3_policy_fail(cc, "Invalid numeric value "
                                               "%V in a condition", &v[i]);
            }

            if (op->op == NGX_HTTP_S3_COND_BOOL
                && !(v[i].len == 4
                     && ngx_strncasecmp(v[i].data, (u_char *) "true", 4)
                        == 0)
                && !(v[i].len == 5
                     && ngx_strncasecmp(v[i].data, (u_char *) "false", 5)
                        == 0))
            {
                return ngx_http_s3_policy_fail(cc, "Invalid boolean value "
                                               "%V in a condition", &v[i]);
            }
        }

        if (op->op == NGX_HTTP_S3_COND_IP) {
            cidrs = ngx_array_create(cc->pool, values->nelts,
                                     sizeof(ngx_http_s3_cidr_t));
            if (cidrs == NULL) {
                return NGX_ERROR;
            }

            for (i = 0; i < values->nelts; i++) {
                cidr = ngx_array_push(cidrs);
                if (cidr == NULL) {
                    return NGX_ERROR;
                }

                if (ngx_http_s3_policy_cidr(&v[i], cidr) != NGX_OK) {
                    return ngx_http_s3_policy_fail(cc, "Invalid IP address "
                                                   "%V in a condition",
                                                   &v[i]);
                }
            }

            values = cidrs;
        }

        if (st->conditions == NULL) {
            st->conditions = ngx_array_create(cc->pool, 2,
                                              sizeof(ngx_http_s3_condition_t));
            if (st->conditions == NULL) {
                return NGX_ERROR;
            }
        }

        c = ngx_array_push(st->conditions);
        if (c == NULL) {
            return NGX_ERROR;
        }

        c->op = op->op;
        c->negated = op->negated;
        c->key = key->key;
        c->values = values;
    }

    return NGX_OK;
}


/*
 * A string or a non-empty list of strings (scalars: numbers and booleans
 * too, as their text)
 */

static ngx_int_t
ngx_http_s3_policy_strings(ngx_http_s3_policy_cc_t *cc,
    ngx_http_s3_json_t *js, const char *what, ngx_uint_t scalars,
    ngx_array_t **out)
{
    ngx_str_t           *s, name;
    ngx_array_t         *a;
    ngx_http_s3_json_t  *v, *one;

    name.data = (u_char *) what;
    name.len = ngx_strlen(what);

    if (js->type == NGX_HTTP_S3_JSON_ARRAY) {
        if (js->n == 0) {
            return ngx_http_s3_policy_fail(cc, "%V must not be an empty "
                                           "list", &name);
        }

        v = js->child;
        one = NULL;

    } else {
        v = js;
        one = js;
    }

    a = *out;

    if (a == NULL) {
        a = ngx_array_create(cc->pool, 2, sizeof(ngx_str_t));
        if (a == NULL) {
            return NGX_ERROR;
        }

        *out = a;
    }

    for ( /* void */ ; v; v = one ? NULL : v->next) {

        s = ngx_array_push(a);
        if (s == NULL) {
            return NGX_ERROR;
        }

        switch (v->type) {

        case NGX_HTTP_S3_JSON_STRING:
            *s = v->str;
            break;

        case NGX_HTTP_S3_JSON_NUMBER:

            if (!scalars) {
                goto bad;
            }

            *s = v->str;
            break;

        case NGX_HTTP_S3_JSON_TRUE:

            if (!scalars) {
                goto bad;
            }

            ngx_str_set(s, "true");
            break;

        case NGX_HTTP_S3_JSON_FALSE:

            if (!scalars) {
                goto bad;
            }

            ngx_str_set(s, "false");
            break;

        default:
            goto bad;
        }
    }

    return NGX_OK;

bad:

    return ngx_http_s3_policy_fail(cc, "%V must be a string or a list of "
                                   "strings", &name);
}


/* an address, or an address/prefix length */

static ngx_int_t
ngx_http_s3_policy_cidr(ngx_str_t *text, ngx_http_s3_cidr_t *cidr)
{
    u_char      buf[64], *slash;
    ngx_int_t   bits, max;
    ngx_uint_t  i;

    if (text->len == 0 || text->len >= sizeof(buf)) {
        return NGX_ERROR;
    }

    ngx_memcpy(buf, text->data, text->len);
    buf[text->len] = '\0';

    slash = (u_char *) ngx_strchr(buf, '/');

    if (slash) {
        *slash = '\0';
    }

    ngx_memzero(cidr, sizeof(ngx_http_s3_cidr_t));

    if (inet_pton(AF_INET, (char *) buf, cidr->addr) == 1) {
        cidr->family = AF_INET;
        max = 32;

    } else if (inet_pton(AF_INET6, (char *) buf, cidr->addr) == 1) {
        cidr->family = AF_INET6;
        max = 128;

    } else {
        return NGX_ERROR;
    }

    bits = max;

    if (slash) {
        bits = ngx_atoi(slash + 1, ngx_strlen(slash + 1));

        if (bits == NGX_ERROR || bits > max) {
            return NGX_ERROR;
        }
    }

    for (i = 0; i < (ngx_uint_t) max / 8; i++) {
        if (bits >= 8) {
            cidr->mask[i] = 0xff;
            bits -= 8;

        } else {
            cidr->mask[i] = (u_char) (0xff00 >> bits);
            bits = 0;
        }

        cidr->addr[i] &= cidr->mask[i];
    }

    return NGX_OK;
}


static ngx_int_t
ngx_http_s3_policy_fail(ngx_http_s3_policy_cc_t *cc, const char *fmt,
    ngx_str_t *what)
{
    u_char  *p, *v;
    size_t   len, flen;

    /* fmt names what at its "%V", if it has one */

    flen = ngx_strlen(fmt);
    len = flen + (what ? what->len : 0);

    p = ngx_pnalloc(cc->pool, len);
    if (p == NULL) {
        return NGX_ERROR;
    }

    cc->err->data = p;

    v = (u_char *) ngx_strstr(fmt, "%V");

    if (what && v) {
        p = ngx_cpymem(p, fmt, v - (u_char *) fmt);
        p = ngx_cpymem(p, what->data, what->len);
        p = ngx_cpymem(p, v + 2, flen - (v + 2 - (u_char *) fmt));

    } else {
        p = ngx_cpymem(p, fmt, flen);
    }

    cc->err->len = p - cc->err->data;

    return NGX_ERROR;
}


/* evaluation: a matching Deny wins, then a matching Allow */

ngx_uint_t
ngx_http_s3_policy_eval(ngx_http_s3_policy_t *policy,
    ngx_http_s3_policy_request_t *rq)
{
    ngx_uint_t                i, allow;
    ngx_http_s3_statement_t  *st;

    allow = 0;
    st = policy->statements.elts;

    for (i = 0; i < policy->statements.nelts; i++) {

        if (!ngx_http_s3_statement_applies(&st[i], rq)) {
            continue;
        }

        if (st[i].deny) {
            return NGX_HTTP_S3_POLICY_DENY;
        }

        allow = 1;
    }

    return allow ? NGX_HTTP_S3_POLICY_ALLOW : NGX_HTTP_S3_POLICY_NONE;
}


static ngx_uint_t
ngx_http_s3_statement_applies(ngx_http_s3_statement_t *st,
    ngx_http_s3_policy_request_t *rq)
{
    ngx_str_t                *s;
    ngx_uint_t                i, found;
    ngx_http_s3_condition_t  *c;

    if (!st->any_principal) {

        if (rq->user.len == 0) {
            return 0;
        }

        found = 0;
        s = st->principals->elts;

        for (i = 0; i < st->principals->nelts; i++) {
            if (s[i].len == rq->user.len
                && ngx_strncmp(s[i].data, rq->user.data, s[i].len) == 0)
            {
                found = 1;
                break;
            }
        }

        if (!found) {
            return 0;
        }
    }

    if (!ngx_http_s3_pattern_match(st->actions, &rq->action, 1)
        || !ngx_http_s3_pattern_match(st->resources, &rq->resource, 0))
    {
        return 0;
    }

    if (st->conditions) {
        c = st->conditions->elts;

        for (i = 0; i < st->conditions->nelts; i++) {
            if (!ngx_http_s3_condition_holds(&c[i], rq)) {
                return 0;
            }
        }
    }

    return 1;
}


/*
 * Any of the values matches; negated operators hold when none does.  A
 * key the request lacks matches nothing: the positive operators fail,
 * the negated ones hold.
 */

static ngx_uint_t
ngx_http_s3_condition_holds(ngx_http_s3_condition_t *c,
    ngx_http_s3_policy_request_t *rq)
{
    ngx_str_t   *v;
    ngx_uint_t   i, any;

    if (rq->handler && !(rq->filled & (1 << c->key))) {
        rq->filled |= 1 << c->key;
        rq->handler(rq, c->key);
    }

    v = &rq->keys[c->key];

    if (v->data == NULL && c->op != NGX_HTTP_S3_COND_IP) {
        return c->negated;
    }

    if (c->op == NGX_HTTP_S3_COND_IP && rq->family == 0) {
        return c->negated;
    }

    any = 0;

    for (i = 0; i < c->values->nelts; i++) {
        if (ngx_http_s3_condition_value(c, v, rq, i)) {
            any = 1;
            break;
        }
    }

    return c->negated ? !any : any;
}


static ngx_uint_t
ngx_http_s3_condition_value(ngx_http_s3_condition_t *c, ngx_str_t *v,
    ngx_http_s3_policy_request_t *rq, ngx_uint_t i)
{
    int64_t              a, b;
    ngx_str_t           *s;
    ngx_uint_t           j;
    ngx_http_s3_cidr_t  *cidr;

    if (c->op == NGX_HTTP_S3_COND_IP) {
        cidr = (ngx_http_s3_cidr_t *) c->values->elts + i;

        if (cidr->family != rq->family) {
            return 0;
        }

        for (j = 0; j < (cidr->family == AF_INET ? 4 : 16); j++) {
            if ((rq->addr[j] & cidr->mask[j]) != cidr->addr[j]) {
                return 0;
            }
        }

        return 1;
    }

    s = (ngx_str_t *) c->values->elts + i;

    switch (c->op) {

    case NGX_HTTP_S3_COND_STRING_EQUALS:
        return s->len == v->len && ngx_memcmp(s->data, v->data, s->len) == 0;

    case NGX_HTTP_S3_COND_STRING_EQUALS_IC:
    case NGX_HTTP_S3_COND_BOOL:
        return s->len == v->len
               && ngx_strncasecmp(s->data, v->data, s->len) == 0;

    case NGX_HTTP_S3_COND_STRING_LIKE:
        return ngx_http_s3_policy_match(s, v, 0);

    default:
        break;
    }

    /* numeric: a request value that is no number matches nothing */

    if (ngx_http_s3_policy_number(v, &a) != NGX_OK
        || ngx_http_s3_policy_number(s, &b) != NGX_OK)
    {
        return 0;
    }

    switch (c->op) {
    case NGX_HTTP_S3_COND_NUMERIC_EQUALS: return a == b;
    case NGX_HTTP_S3_COND_NUMERIC_LT:     return a < b;
    case NGX_HTTP_S3_COND_NUMERIC_LE:     return a <= b;
    case NGX_HTTP_S3_COND_NUMERIC_GT:     return a > b;
    default:                              return a >= b;
    }
}


/* an integer, optionally negative, that fits 63 bits */

static ngx_int_t
ngx_http_s3_policy_number(ngx_str_t *s, int64_t *n)
{
    u_char    *p, *last;
    int64_t    v;
    ngx_int_t  neg;

    p = s->data;
    last = p + s->len;
    neg = 0;

    if (p < last && *p == '-') {
        neg = 1;
        p++;
    }

    if (p == last || last - p > 18) {
        return NGX_ERROR;
    }

    for (v = 0; p < last; p++) {
        if (*p < '0' || *p > '9') {
            return NGX_ERROR;
        }

        v = v * 10 + (*p - '0');
    }

    *n = neg ? -v : v;

    return NGX_OK;
}


/*
 * * matches any run of bytes (slashes too), ? one byte: the usual
 * backtracking to the last star, linear in practice
 */

ngx_uint_t
ngx_http_s3_policy_match(ngx_str_t *pattern, ngx_str_t *text,
    ngx_uint_t icase)
{
    u_char  *p, *pe, *t, *te, *star, *mark, a, b;

    p = pattern->data;
    pe = p + pattern->len;
    t = text->data;
    te = t + text->len;
    star = NULL;
    mark = NULL;

    while (t < te) {

        if (p < pe && *p == '*') {
            star = ++p;
            mark = t;
            continue;
        }

        if (p < pe) {
            a = *p;
            b = *t;

            if (icase) {
                a = ngx_tolower(a);
                b = ngx_tolower(b);
            }

            if (a == '?' || a == b) {
                p++;
                t++;
                continue;
            }
        }

        if (star == NULL) {
            return 0;
        }

        p = star;
        t = ++mark;
    }

    while (p < pe && *p == '*') {
        p++;
    }

    return p == pe;
}
