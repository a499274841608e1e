
/*
 * Copyright (C) ngx_s3 authors
 */


#include <ngx_config.h>
#include <ngx_core.h>

#include "ngx_http_s3_form.h"
#include "ngx_http_s3_json.h"
#include "ngx_http_s3_util.h"


#define NGX_HTTP_S3_FORM_PREAMBLE      0
#define NGX_HTTP_S3_FORM_DELIM_TAIL    1
#define NGX_HTTP_S3_FORM_DASH          2
#define NGX_HTTP_S3_FORM_LF            3
#define NGX_HTTP_S3_FORM_HEADERS       4
#define NGX_HTTP_S3_FORM_DATA          5
#define NGX_HTTP_S3_FORM_END           6


static ngx_int_t ngx_http_s3_form_headers(ngx_http_s3_form_t *f);
static ngx_int_t ngx_http_s3_form_disposition(ngx_http_s3_form_t *f,
    u_char *p, u_char *last);
static u_char *ngx_http_s3_form_param(u_char *p, u_char *last,
    ngx_str_t *name, ngx_str_t *value);
static ngx_int_t ngx_http_s3_form_emit(ngx_http_s3_form_t *f, u_char *p,
    size_t len);
static ngx_int_t ngx_http_s3_post_cond(ngx_pool_t *pool,
    ngx_http_s3_post_policy_t *policy, ngx_http_s3_json_t *c);
static ngx_int_t ngx_http_s3_post_cond_text(ngx_pool_t *pool,
    ngx_http_s3_post_cond_t *pc, const char *op);
static ngx_int_t ngx_http_s3_post_field(ngx_pool_t *pool, ngx_str_t *in,
    ngx_str_t *out, ngx_uint_t dollar);
static off_t ngx_http_s3_post_number(ngx_http_s3_json_t *n);
static ngx_keyval_t *ngx_http_s3_post_find(ngx_array_t *fields,
    ngx_str_t *name);
static const char *ngx_http_s3_post_message(ngx_pool_t *pool,
    const char *before, ngx_str_t *s);


ngx_int_t
ngx_http_s3_form_boundary(ngx_str_t *content_type, ngx_str_t *boundary)
{
    u_char     *p, *last;
    ngx_str_t   name, value;

    p = content_type->data;
    last = p + content_type->len;

    while (p < last && *p == ' ') {
        p++;
    }

    if ((size_t) (last - p) < sizeof("multipart/form-data") - 1
        || ngx_strncasecmp(p, (u_char *) "multipart/form-data",
                           sizeof("multipart/form-data") - 1)
           != 0)
    {
        return NGX_DECLINED;
    }

    p += sizeof("multipart/form-data") - 1;

    if (p < last && *p != ';' && *p != ' ') {
        return NGX_DECLINED;
    }

    while (p < last) {

        while (p < last && (*p == ' ' || *p == ';' || *p == '\t')) {
            p++;
        }

        if (p == last) {
            break;
        }

        p = ngx_http_s3_form_param(p, last, &name, &value);

        if (p == NULL) {
            return NGX_ERROR;
        }

        if (name.len == 8
            && ngx_strncasecmp(name.data, (u_char *) "boundary", 8) == 0)
        {
            if (value.len == 0
                || value.len > NGX_HTTP_S3_FORM_MAX_BOUNDARY)
            {
                return NGX_ERROR;
            }

            *boundary = value;
            return NGX_OK;
        }
    }

    return NGX_ERROR;
}


/*
 * name=value or name="quoted value" of a header's parameters; the end of
 * the parameter, or NULL if malformed
 */

static u_char *
ngx_http_s3_form_param(u_char *p, u_char *last, ngx_str_t *name,
    ngx_str_t *value)
{
    u_char  *dst;

    name->data = p;

    while (p < last && *p != '=' && *p != ';' && *p != ' ') {
        p++;
    }

    name->len = p - name->data;

    while (p < last && *p == ' ') {
        p++;
    }

    if (p == last || *p != '=') {
        value->data = p;
        value->len = 0;
        return (name->len && (p == last || *p == ';')) ? p : NULL;
    }

    p++;

    while (p < last && *p == ' ') {
        p++;
    }

    if (p < last && *p == '"') {

        /*
         * no backslash escapes: browsers send a file name as it is
         * (C:\dir\name), with '"' as %22 (RFC 7578)
         */

        p++;
        value->data = p;

        while (p < last && *p != '"') {
            p++;
        }

        if (p == last) {
            return NULL;
        }

        dst = p++;

        value->len = dst - value->data;

        return p;
    }

    value->data = p;

    while (p < last && *p != ';' && *p != ' ') {
        p++;
    }

    value->len = p - value->data;

    return p;
}


void
ngx_http_s3_form_init(ngx_http_s3_form_t *f, ngx_str_t *boundary)
{
    u_char  *p;

    p = ngx_cpymem(f->delim, "\r\n--", 4);
    p = ngx_cpymem(p, boundary->data, boundary->len);

    f->dlen = p - f->delim;

    /* the first delimiter may open the body: as if after a CRLF */
    f->matched = 2;
    f->state = NGX_HTTP_S3_FORM_PREAMBLE;
    f->parts = 0;
    f->hlen = 0;
}


ngx_int_t
ngx_http_s3_form_feed(ngx_http_s3_form_t *f, u_char *p, size_t len)
{
    u_char  *last, *run, *q, c;

    last = p + len;

    while (p < last) {

        switch (f->state) {

        case NGX_HTTP_S3_FORM_PREAMBLE:

            c = *p++;

            if (c == f->delim[f->matched]) {
                if (++f->matched == f->dlen) {
                    f->matched = 0;
                    f->state = NGX_HTTP_S3_FORM_DELIM_TAIL;
                }

                break;
            }

            f->matched = (c == '\r') ? 1 : 0;
            break;

        case NGX_HTTP_S3_FORM_DELIM_TAIL:

            c = *p++;

            if (c == '-') {
                f->state = NGX_HTTP_S3_FORM_DASH;

            } else if (c == '\r') {
                f->state = NGX_HTTP_S3_FORM_LF;

            } else if (c != ' ' && c != '\t') {
                return NGX_DECLINED;
            }

            break;

        case NGX_HTTP_S3_FORM_DASH:

            if (*p++ != '-') {
                return NGX_DECLINED;
            }

            f->state = NGX_HTTP_S3_FORM_END;
            break;

        case NGX_HTTP_S3_FORM_LF:

            if (*p++ != '\n') {
                return NGX_DECLINED;
            }

            f->state = NGX_HTTP_S3_FORM_HEADERS;
            f->hlen = 0;
            break;

        case NGX_HTTP_S3_FORM_HEADERS:

            if (f->hlen == NGX_HTTP_S3_FORM_MAX_HEADER) {
                return NGX_DECLINED;
            }

            f->header[f->hlen++] = *p++;

            if ((f->hlen == 2 && f->header[0] == '\r'
                 && f->header[1] == '\n')
                || (f->hlen >= 4
                    && ngx_strncmp(f->header + f->hlen - 4, "\r\n\r\n", 4)
                       == 0))
            {
                if (ngx_http_s3_form_headers(f) != NGX_OK) {
                    return NGX_DECLINED;
                }

                f->parts++;
                f->state = NGX_HTTP_S3_FORM_DATA;
                f->matched = 0;

                if (f->part_start(f) != NGX_OK) {
                    return NGX_ERROR;
                }
            }

            break;

        case NGX_HTTP_S3_FORM_DATA:

            run = p;

            while (p < last) {

                if (f->matched == 0) {
                    q = memchr(p, '\r', last - p);

                    if (q == NULL) {
                        p = last;
                        break;
                    }

                    p = q;
                }

                if (*p == f->delim[f->matched]) {

                    if (f->matched == 0
                        && ngx_http_s3_form_emit(f, run, p - run) != NGX_OK)
                    {
                        return NGX_ERROR;
                    }

                    p++;

                    if (++f->matched == f->dlen) {
                        f->matched = 0;
                        f->state = NGX_HTTP_S3_FORM_DELIM_TAIL;

                        if (f->part_end(f) != NGX_OK) {
                            return NGX_ERROR;
                        }

                        run = NULL;
                        break;
                    }

                    run = p;
                    continue;
                }

                /* what looked like a delimiter was data */

                if (ngx_http_s3_form_emit(f, f->delim, f->matched) != NGX_OK) {
                    return NGX_ERROR;
                }

                f->matched = 0;
                run = p;
            }

            if (run && f->matched == 0
                && ngx_http_s3_form_emit(f, run, p - run) != NGX_OK)
            {
                return NGX_ERROR;
            }

            break;

        default: /* NGX_HTTP_S3_FORM_END: the epilogue */
            return NGX_OK;
        }
    }

    return NGX_OK;
}


static ngx_int_t
ngx_http_s3_form_emit(ngx_http_s3_form_t *f, u_char *p, size_t len)
{
    if (len == 0) {
        return NGX_OK;
    }

    return f->part_data(f, p, len);
}


ngx_int_t
ngx_http_s3_form_eof(ngx_http_s3_form_t *f)
{
    return f->state == NGX_HTTP_S3_FORM_END ? NGX_OK : NGX_DECLINED;
}


/* the part's header block: Content-Disposition and Content-Type */

static ngx_int_t
ngx_http_s3_form_headers(ngx_http_s3_form_t *f)
{
    u_char     *p, *last, *eol, *colon, *v;
    ngx_uint_t  disposition;

    ngx_str_null(&f->name);
    ngx_str_null(&f->filename);
    ngx_str_null(&f->content_type);
    f->has_filename = 0;
    disposition = 0;

    p = f->header;
    last = f->header + f->hlen;

    while (p < last) {

        eol = p;

        while (eol + 1 < last && !(eol[0] == '\r' && eol[1] == '\n')) {
            eol++;
        }

        if (eol + 1 >= last) {
            break;
        }

        if (eol == p) {
            /* the empty line */
            break;
        }

        colon = ngx_strlchr(p, eol, ':');

        if (colon == NULL) {
            return NGX_ERROR;
        }

        v = colon + 1;

        while (v < eol && (*v == ' ' || *v == '\t')) {
            v++;
        }

        if (colon - p == sizeof("content-disposition") - 1
            && ngx_strncasecmp(p, (u_char *) "content-disposition",
                               colon - p)
               == 0)
        {
            if (disposition++
                || ngx_http_s3_form_disposition(f, v, eol) != NGX_OK)
            {
                return NGX_ERROR;
            }

        } else if (colon - p == sizeof("content-type") - 1
                   && ngx_strncasecmp(p, (u_char *) "content-type",
                                      colon - p)
                      == 0)
        {
            f->content_type.data = v;
            f->content_type.len = eol - v;

            while (f->content_type.len
                   && (v[f->content_type.len - 1] == ' '
                       || v[f->content_type.len - 1] == '\t'))
            {
                f->content_type.len--;
            }
        }

        p = eol + 2;
    }

    return (disposition && f->name.data) ? NGX_OK : NGX_ERROR;
}


/* form-data; name="field"; filename="a.txt" */

static ngx_int_t
ngx_http_s3_form_disposition(ngx_http_s3_form_t *f, u_char *p, u_char *last)
{
    ngx_str_t  name, value;

    if ((size_t) (last - p) < sizeof("form-data") - 1
        || ngx_strncasecmp(p, (u_char *) "form-data",
                           sizeof("form-data") - 1)
           != 0)
    {
        return NGX_ERROR;
    }

    p += sizeof("form-data") - 1;

    while (p < last) {

        while (p < last && (*p == ' ' || *p == ';' || *p == '\t')) {
            p++;
        }

        if (p == last) {
            break;
        }

        p = ngx_http_s3_form_param(p, last, &name, &value);

        if (p == NULL) {
            return NGX_ERROR;
        }

        if (name.len == 4
            && ngx_strncasecmp(name.data, (u_char *) "name", 4) == 0)
        {
            if (value.len == 0) {
                return NGX_ERROR;
            }

            f->name = value;

        } else if (name.len == 8
                   && ngx_strncasecmp(name.data, (u_char *) "filename", 8)
                      == 0)
        {
            f->filename = value;
            f->has_filename = 1;
        }
    }

    return NGX_OK;
}


ngx_http_s3_post_policy_t *
ngx_http_s3_post_policy_parse(ngx_pool_t *pool, ngx_str_t *b64,
    const char **message)
{
    u_char                     *json, *d;
    size_t                      i, pos;
    uint32_t                    acc;
    ngx_int_t                   v;
    ngx_uint_t                  bits;
    const char                 *jerr;
    ngx_http_s3_json_t         *root, *exp, *conds, *c;
    ngx_http_s3_post_policy_t  *policy;

    *message = "Invalid Policy: Invalid JSON.";

    /* base64, padding optional, whitespace none */

    json = ngx_pnalloc(pool, b64->len + 1);
    if (json == NULL) {
        *message = NULL;
        return NULL;
    }

    d = json;
    acc = 0;
    bits = 0;

    for (i = 0; i < b64->len; i++) {

        if (b64->data[i] == '=') {
            while (i < b64->len && b64->data[i] == '=') {
                i++;
            }

            if (i != b64->len) {
                return NULL;
            }

            break;
        }

        v = ngx_http_s3_base64_value(b64->data[i]);

        if (v < 0) {
            return NULL;
        }

        acc = (acc << 6) | (uint32_t) v;
        bits += 6;

        if (bits >= 8) {
            bits -= 8;
            *d++ = (u_char) (acc >> bits);
        }
    }

    root = ngx_http_s3_json_parse(pool, json, d - json, &jerr, &pos);

    if (root == NULL || root->type != NGX_HTTP_S3_JSON_OBJECT) {
        return NULL;
    }

    policy = ngx_pcalloc(pool, sizeof(ngx_http_s3_post_policy_t));
    if (policy == NULL) {
        *message = NULL;
        return NULL;
    }

    policy->max = -1;

    exp = ngx_http_s3_json_member(root, "expiration");

    if (exp == NULL) {
        *message = "Invalid Policy: Policy missing expiration.";
        return NULL;
    }

    if (exp->type != NGX_HTTP_S3_JSON_STRING
        || (policy->expiration = ngx_http_s3_post_parse_time(exp->str.data,
                                                             exp->str.len))
           == (time_t) -1)
    {
        *message = ngx_http_s3_post_message(pool,
                       "Invalid Policy: Invalid 'expiration' value: ",
                       &exp->str);
        return NULL;
    }

    conds = ngx_http_s3_json_member(root, "conditions");

    if (conds == NULL) {
        *message = "Invalid Policy: Policy missing conditions.";
        return NULL;
    }

    if (conds->type != NGX_HTTP_S3_JSON_ARRAY) {
        *message = "Invalid Policy: Invalid 'conditions' value: must be a "
                   "List.";
        return NULL;
    }

    policy->conds = ngx_array_create(pool, conds->n ? conds->n : 1,
                                     sizeof(ngx_http_s3_post_cond_t));
    if (policy->conds == NULL) {
        *message = NULL;
        return NULL;
    }

    for (c = conds->child; c; c = c->next) {
        if (ngx_http_s3_post_cond(pool, policy, c) != NGX_OK) {
            *message = "Invalid Policy: Invalid Condition.";
            return NULL;
        }
    }

    return policy;
}


static ngx_int_t
ngx_http_s3_post_cond(ngx_pool_t *pool, ngx_http_s3_post_policy_t *policy,
    ngx_http_s3_json_t *c)
{
    off_t                     min, max;
    ngx_http_s3_json_t       *op, *a, *b;
    ngx_http_s3_post_cond_t  *pc;

    if (c->type == NGX_HTTP_S3_JSON_OBJECT) {

        /* {"field": "value"}: one member, an exact match */

        if (c->n != 1 || c->child->type != NGX_HTTP_S3_JSON_STRING) {
            return NGX_ERROR;
        }

        pc = ngx_array_push(policy->conds);
        if (pc == NULL) {
            return NGX_ERROR;
        }

        pc->type = NGX_HTTP_S3_POST_EQ;
        pc->value = c->child->str;

        if (ngx_http_s3_post_field(pool, &c->child->name, &pc->field, 0)
            != NGX_OK)
        {
            return NGX_ERROR;
        }

        return ngx_http_s3_post_cond_text(pool, pc, "eq");
    }

    if (c->type != NGX_HTTP_S3_JSON_ARRAY || c->n != 3) {
        return NGX_ERROR;
    }

    op = c->child;
    a = op->next;
    b = a->next;

    if (op->type != NGX_HTTP_S3_JSON_STRING) {
        return NGX_ERROR;
    }

    if (op->str.len == sizeof("content-length-range") - 1
        && ngx_strncasecmp(op->str.data, (u_char *) "content-length-range",
                           op->str.len)
           == 0)
    {
        min = ngx_http_s3_post_number(a);
        max = ngx_http_s3_post_number(b);

        if (min < 0 || max < 0 || min > max) {
            return NGX_ERROR;
        }

        policy->min = min;
        policy->max = max;

        return NGX_OK;
    }

    if (a->type != NGX_HTTP_S3_JSON_STRING
        || b->type != NGX_HTTP_S3_JSON_STRING)
    {
        return NGX_ERROR;
    }

    pc = ngx_array_push(policy->conds);
    if (pc == NULL) {
        return NGX_ERROR;
    }

    if (op->str.len == 2
        && ngx_strncasecmp(op->str.data, (u_char *) "eq", 2) == 0)
    {
        pc->type = NGX_HTTP_S3_POST_EQ;

    } else if (op->str.len == sizeof("starts-with") - 1
               && ngx_strncasecmp(op->str.data, (u_char *) "starts-with",
                                  op->str.len)
                  == 0)
    {
        pc->type = NGX_HTTP_S3_POST_STARTS;

    } else {
        return NGX_ERROR;
    }

    pc->value = b->str;

    if (ngx_http_s3_post_field(pool, &a->str, &pc->field, 1) != NGX_OK) {
        return NGX_ERROR;
    }

    return ngx_http_s3_post_cond_text(pool, pc,
                                      pc->type == NGX_HTTP_S3_POST_EQ
                                      ? "eq" : "starts-with");
}


/* ["eq", "$key", "value"]: the condition as S3 quotes it */

static ngx_int_t
ngx_http_s3_post_cond_text(ngx_pool_t *pool, ngx_http_s3_post_cond_t *pc,
    const char *op)
{
    u_char  *p;
    size_t   len;

    len = sizeof("[\"\", \"$\", \"\"]") - 1 + ngx_strlen(op)
          + pc->field.len + pc->value.len;

    p = ngx_pnalloc(pool, len);
    if (p == NULL) {
        return NGX_ERROR;
    }

    pc->text.data = p;

    p = ngx_cpymem(p, "[\"", 2);
    p = ngx_cpymem(p, op, ngx_strlen(op));
    p = ngx_cpymem(p, "\", \"$", 5);
    p = ngx_cpymem(p, pc->field.data, pc->field.len);
    p = ngx_cpymem(p, "\", \"", 4);
    if (pc->value.len) {
        p = ngx_cpymem(p, pc->value.data, pc->value.len);
    }

    p = ngx_cpymem(p, "\"]", 2);

    pc->text.len = p - pc->text.data;

    return NGX_OK;
}


/* "$Key" to "key"; the '$' is required in the array forms */

static ngx_int_t
ngx_http_s3_post_field(ngx_pool_t *pool, ngx_str_t *in, ngx_str_t *out,
    ngx_uint_t dollar)
{
    size_t   i, skip;
    u_char  *p;

    skip = 0;

    if (dollar) {
        if (in->len < 2 || in->data[0] != '$') {
            return NGX_ERROR;
        }

        skip = 1;

    } else if (in->len == 0) {
        return NGX_ERROR;
    }

    p = ngx_pnalloc(pool, in->len - skip);
    if (p == NULL) {
        return NGX_ERROR;
    }

    for (i = skip; i < in->len; i++) {
        p[i - skip] = ngx_tolower(in->data[i]);
    }

    out->data = p;
    out->len = in->len - skip;

    return NGX_OK;
}


/* a number, or a string of digits; -1 if neither */

static off_t
ngx_http_s3_post_number(ngx_http_s3_json_t *n)
{
    off_t   v;
    size_t  i;

    if (n->type != NGX_HTTP_S3_JSON_NUMBER
        && n->type != NGX_HTTP_S3_JSON_STRING)
    {
        return -1;
    }

    if (n->str.len == 0 || n->str.len > 18) {
        return -1;
    }

    v = 0;

    for (i = 0; i < n->str.len; i++) {
        if (n->str.data[i] < '0' || n->str.data[i] > '9') {
            return -1;
        }

        v = v * 10 + (n->str.data[i] - '0');
    }

    return v;
}


ngx_int_t
ngx_http_s3_post_policy_check(ngx_pool_t *pool,
    ngx_http_s3_post_policy_t *policy, ngx_array_t *fields, time_t now,
    const char **message)
{
    ngx_str_t                 v;
    ngx_uint_t                i, j, ok;
    ngx_keyval_t             *kv, *f;
    ngx_http_s3_post_cond_t  *pc;

    if (now > policy->expiration) {
        *message = "Invalid according to Policy: Policy expired.";
        return NGX_DECLINED;
    }

    pc = policy->conds->elts;

    for (i = 0; i < policy->conds->nelts; i++) {

        kv = ngx_http_s3_post_find(fields, &pc[i].field);

        if (kv) {
            v = kv->value;

        } else {
            ngx_str_null(&v);
        }

        if (pc[i].type == NGX_HTTP_S3_POST_EQ) {
            ok = kv && v.len == pc[i].value.len
                 && (v.len == 0
                     || ngx_strncmp(v.data, pc[i].value.data, v.len) == 0);

        } else {
            ok = (kv || pc[i].value.len == 0)
                 && v.len >= pc[i].value.len
                 && (pc[i].value.len == 0
                     || ngx_strncmp(v.data, pc[i].value.data,
                                    pc[i].value.len)
                        == 0);
        }

        if (!ok) {
            *message = ngx_http_s3_post_message(pool,
                           "Invalid according to Policy: Policy Condition "
                           "failed: ", &pc[i].text);
            return *message ? NGX_DECLINED : NGX_ERROR;
        }
    }

    /* every field the form sends is named by a condition */

    f = fields->elts;

    for (i = 0; i < fields->nelts; i++) {

        if (ngx_http_s3_post_exempt(&f[i].key)) {
            continue;
        }

        for (j = 0; j < policy->conds->nelts; j++) {
            if (pc[j].field.len == f[i].key.len
                && ngx_strncmp(pc[j].field.data, f[i].key.data,
                               f[i].key.len) == 0)
            {
                break;
            }
        }

        if (j == policy->conds->nelts) {
            *message = ngx_http_s3_post_message(pool,
                           "Invalid according to Policy: Extra input "
                           "fields: ", &f[i].key);
            return *message ? NGX_DECLINED : NGX_ERROR;
        }
    }

    return NGX_OK;
}


static ngx_keyval_t *
ngx_http_s3_post_find(ngx_array_t *fields, ngx_str_t *name)
{
    ngx_uint_t     i;
    ngx_keyval_t  *kv;

    kv = fields->elts;

    for (i = 0; i < fields->nelts; i++) {
        if (kv[i].key.len == name->len
            && ngx_strncmp(kv[i].key.data, name->data, name->len) == 0)
        {
            return &kv[i];
        }
    }

    return NULL;
}


ngx_uint_t
ngx_http_s3_post_exempt(ngx_str_t *name)
{
    ngx_uint_t  i;

    static ngx_str_t  exempt[] = {
        ngx_string("bucket"),
        ngx_string("file"),
        ngx_string("policy"),
        ngx_string("x-amz-signature"),
        ngx_string("signature"),
        ngx_string("awsaccesskeyid")
    };

    if (name->len >= sizeof("x-ignore-") - 1
        && ngx_strncmp(name->data, "x-ignore-", sizeof("x-ignore-") - 1)
           == 0)
    {
        return 1;
    }

    for (i = 0; i < sizeof(exempt) / sizeof(ngx_str_t); i++) {
        if (exempt[i].len == name->len
            && ngx_strncmp(exempt[i].data, name->data, name->len) == 0)
        {
            return 1;
        }
    }

    return 0;
}


time_t
ngx_http_s3_post_parse_time(u_char *p, size_t len)
{
    size_t      i;
    ngx_int_t   year, month, day, hour, min, sec, y, era, yoe, doy, doe;
    ngx_int_t   days;

    /* 2007-12-01T12:00:00Z or 2007-12-01T12:00:00.000Z */

    if (len < 20 || p[4] != '-' || p[7] != '-' || p[10] != 'T'
        || p[13] != ':' || p[16] != ':' || p[len - 1] != 'Z')
    {
        return (time_t) -1;
    }

    for (i = 0; i < 19; i++) {
        if (i == 4 || i == 7 || i == 10 || i == 13 || i == 16) {
            continue;
        }

        if (p[i] < '0' || p[i] > '9') {
            return (time_t) -1;
        }
    }

    if (len > 20) {
        if (p[19] != '.' || len < 22) {
            return (time_t) -1;
        }

        for (i = 20; i < len - 1; i++) {
            if (p[i] < '0' || p[i] > '9') {
                return (time_t) -1;
            }
        }
    }

    year = (p[0] - '0') * 1000 + (p[1] - '0') * 100 + (p[2] - '0') * 10
           + (p[3] - '0');
    month = (p[5] - '0') * 10 + (p[6] - '0');
    day = (p[8] - '0') * 10 + (p[9] - '0');
    hour = (p[11] - '0') * 10 + (p[12] - '0');
    min = (p[14] - '0') * 10 + (p[15] - '0');
    sec = (p[17] - '0') * 10 + (p[18] - '0');

    if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23
        || min > 59 || sec > 60)
    {
        return (time_t) -1;
    }

    /* days from 1970-01-01 (H. Hinnant's days_from_civil) */

    y = year - (month <= 2);
    era = y / 400;
    yoe = y - era * 400;
    doy = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1;
    doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    days = era * 146097 + doe - 719468;

    return (time_t) days * 86400 + hour * 3600 + min * 60 + sec;
}


static const char *
ngx_http_s3_post_message(ngx_pool_t *pool, const char *before, ngx_str_t *s)
{
    u_char  *p, *last;
    size_t   len;

    len = ngx_strlen(before);

    p = ngx_pnalloc(pool, len + s->len + 1);
    if (p == NULL) {
        return NULL;
    }

    last = ngx_cpymem(p, before, len);

    if (s->len) {
        last = ngx_cpymem(last, s->data, s->len);
    }

    *last = '\0';

    return (const char *) p;
}
