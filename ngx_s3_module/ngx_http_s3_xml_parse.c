
/*
 * Copyright (C) ngx_s3 authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include "ngx_http_s3.h"

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/SAX2.h>


/*
 * The request body parsers, the module's only libxml2 user: a document
 * is read with no network, no DTD loading and no entity substitution,
 * under a size cap, and each parser walks the tree of its one root.
 */


/* no network, no DTD loading, no entity substitution (no XML_PARSE_NOENT) */
#define NGX_HTTP_S3_XML_OPTIONS                                               \
    (XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING                \
     | XML_PARSE_NOCDATA)


#if (LIBXML_VERSION >= 21200)
typedef const xmlError  *ngx_http_s3_xml_error_t;
#else
typedef xmlErrorPtr      ngx_http_s3_xml_error_t;
#endif


static xmlDocPtr ngx_http_s3_xml_read(u_char *body, size_t len,
    const char *root);
static void ngx_http_s3_xml_internal_subset(void *ctx, const xmlChar *name,
    const xmlChar *external_id, const xmlChar *system_id);
static void ngx_http_s3_xml_silent(void *data, ngx_http_s3_xml_error_t error);
static void ngx_cdecl ngx_http_s3_xml_generic_silent(void *ctx,
    const char *msg, ...);
static ngx_uint_t ngx_http_s3_xml_is(xmlNodePtr node, const char *name);
static ngx_int_t ngx_http_s3_xml_text_of(ngx_pool_t *pool, xmlNodePtr node,
    ngx_str_t *text);
static ngx_int_t ngx_http_s3_xml_blank(xmlNodePtr node);
static void ngx_http_s3_xml_trim(ngx_str_t *s);
static ngx_int_t ngx_http_s3_xml_parse_object(ngx_pool_t *pool,
    xmlNodePtr node, ngx_http_s3_xml_delete_key_t *dk);
static ngx_int_t ngx_http_s3_xml_parse_grant(ngx_pool_t *pool,
    xmlNodePtr node, ngx_http_s3_xml_grant_t *g);
static ngx_int_t ngx_http_s3_xml_parse_tag(ngx_pool_t *pool,
    xmlNodePtr node, ngx_http_s3_pair_t *tag);
static ngx_int_t ngx_http_s3_xml_fields(ngx_pool_t *pool, xmlNodePtr parent,
    const char **names, ngx_str_t **values, const char *inner,
    xmlNodePtr *inner_node);
static ngx_int_t ngx_http_s3_xml_parse_cors_rule(ngx_pool_t *pool,
    xmlNodePtr node, ngx_http_s3_xml_cors_rule_t *rule);
static ngx_int_t ngx_http_s3_xml_push_text(ngx_pool_t *pool, xmlNodePtr node,
    ngx_array_t **a);
static ngx_int_t ngx_http_s3_xml_parse_part(ngx_pool_t *pool,
    xmlNodePtr node, ngx_http_s3_xml_part_t *part);


ngx_int_t
ngx_http_s3_xml_parse_create_bucket(ngx_pool_t *pool, u_char *body,
    size_t len, ngx_str_t *location)
{
    ngx_int_t   rc;
    xmlDocPtr   doc;
    xmlNodePtr  root, node;
    ngx_uint_t  seen;

    ngx_str_null(location);

    if (len == 0) {
        /* no body: no configuration */
        return NGX_OK;
    }

    doc = ngx_http_s3_xml_read(body, len, "CreateBucketConfiguration");
    if (doc == NULL) {
        return NGX_ERROR;
    }

    root = xmlDocGetRootElement(doc);
    seen = 0;
    rc = NGX_OK;

    for (node = root->children; node; node = node->next) {

        if (ngx_http_s3_xml_blank(node) != NGX_OK) {
            rc = NGX_ERROR;
            break;
        }

        if (!ngx_http_s3_xml_is(node, "LocationConstraint")) {
            /* Location, Bucket, Tags... and comments: not ours */
            continue;
        }

        if (seen++) {
            rc = NGX_ERROR;
            break;
        }

        if (ngx_http_s3_xml_text_of(pool, node, location) != NGX_OK) {
            rc = NGX_ERROR;
            break;
        }

        ngx_http_s3_xml_trim(location);
    }

    xmlFreeDoc(doc);

    return rc;
}


/*
 * <VersioningConfiguration><Status>Enabled|Suspended</Status>
 * <MfaDelete>Enabled|Disabled</MfaDelete></VersioningConfiguration>,
 * each at most once; *status 0 without Status, 1 Enabled, 2 Suspended
 */

ngx_int_t
ngx_http_s3_xml_parse_versioning(ngx_pool_t *pool, u_char *body, size_t len,
    ngx_uint_t *status, ngx_uint_t *mfa)
{
    ngx_int_t    rc;
    ngx_str_t    v;
    xmlDocPtr    doc;
    xmlNodePtr   root, node;
    ngx_uint_t   seen_status, seen_mfa;

    *status = 0;
    *mfa = 0;

    doc = ngx_http_s3_xml_read(body, len, "VersioningConfiguration");
    if (doc == NULL) {
        return NGX_ERROR;
    }

    root = xmlDocGetRootElement(doc);
    seen_status = 0;
    seen_mfa = 0;
    rc = NGX_OK;

    for (node = root->children; node; node = node->next) {

        if (ngx_http_s3_xml_blank(node) != NGX_OK) {
            rc = NGX_ERROR;
            break;
        }

        if (node->type != XML_ELEMENT_NODE) {
            continue;
        }

        if (ngx_http_s3_xml_is(node, "Status")) {
            if (seen_status++
                || ngx_http_s3_xml_text_of(pool, node, &v) != NGX_OK)
            {
                rc = NGX_ERROR;
                break;
            }

            ngx_http_s3_xml_trim(&v);

            if (v.len == 7 && ngx_strncmp(v.data, "Enabled", 7) == 0) {
                *status = 1;

            } else if (v.len == 9
                       && ngx_strncmp(v.data, "Suspended", 9) == 0)
            {
                *status = 2;

            } else {
                rc = NGX_ERROR;
                break;
            }

            continue;
        }

        if (ngx_http_s3_xml_is(node, "MfaDelete")) {
            if (seen_mfa++
                || ngx_http_s3_xml_text_of(pool, node, &v) != NGX_OK)
            {
                rc = NGX_ERROR;
                break;
            }

            ngx_http_s3_xml_trim(&v);

            if (v.len == 7 && ngx_strncmp(v.data, "Enabled", 7) == 0) {
                *mfa = 1;

            } else if (!(v.len == 8
                         && ngx_strncmp(v.data, "Disabled", 8) == 0))
            {
                rc = NGX_ERROR;
                break;
            }

            continue;
        }

        /* an element S3 does not know */
        rc = NGX_ERROR;
        break;
    }

    xmlFreeDoc(doc);

    return rc;
}


ngx_int_t
ngx_http_s3_xml_parse_acl(ngx_pool_t *pool, u_char *body, size_t len,
    ngx_array_t **grants)
{
    ngx_int_t                 rc;
    xmlDocPtr                 doc;
    xmlNodePtr                root, node, g;
    ngx_uint_t                seen;
    ngx_array_t              *a;
    ngx_http_s3_xml_grant_t  *grant;

    *grants = NULL;

    doc = ngx_http_s3_xml_read(body, len, "AccessControlPolicy");
    if (doc == NULL) {
        return NGX_ERROR;
    }

    a = ngx_array_create(pool, 4, sizeof(ngx_http_s3_xml_grant_t));
    if (a == NULL) {
        xmlFreeDoc(doc);
        return NGX_ERROR;
    }

    root = xmlDocGetRootElement(doc);
    seen = 0;
    rc = NGX_OK;

    for (node = root->children; node && rc == NGX_OK; node = node->next) {

        if (ngx_http_s3_xml_blank(node) != NGX_OK) {
            rc = NGX_ERROR;
            break;
        }

        if (!ngx_http_s3_xml_is(node, "AccessControlList")) {
            /* Owner, comments */
            continue;
        }

        if (seen++) {
            rc = NGX_ERROR;
            break;
        }

        for (g = node->children; g; g = g->next) {

            if (ngx_http_s3_xml_blank(g) != NGX_OK) {
                rc = NGX_ERROR;
                break;
            }

            if (!ngx_http_s3_xml_is(g, "Grant")) {
                continue;
            }

            grant = ngx_array_push(a);
            if (grant == NULL) {
                rc = NGX_ERROR;
                break;
            }

            rc = ngx_http_s3_xml_parse_grant(pool, g, grant);

            if (rc != NGX_OK) {
                break;
            }
        }
    }

    xmlFreeDoc(doc);

    if (rc == NGX_OK && !seen) {
        rc = NGX_ERROR;
    }

    if (rc == NGX_OK) {
        *grants = a;
    }

    return rc;
}


static ngx_int_t
ngx_http_s3_xml_parse_grant(ngx_pool_t *pool, xmlNodePtr node,
    ngx_http_s3_xml_grant_t *g)
{
    ngx_int_t   rc;
    xmlNodePtr  n, w;

    ngx_memzero(g, sizeof(ngx_http_s3_xml_grant_t));

    rc = NGX_DECLINED;

    for (n = node->children; n; n = n->next) {

        if (ngx_http_s3_xml_blank(n) != NGX_OK) {
            return NGX_ERROR;
        }

        if (ngx_http_s3_xml_is(n, "Permission")) {
            if (g->permission.data
                || ngx_http_s3_xml_text_of(pool, n, &g->permission) != NGX_OK)
            {
                return NGX_ERROR;
            }

            ngx_http_s3_xml_trim(&g->permission);
            continue;
        }

        if (!ngx_http_s3_xml_is(n, "Grantee")) {
            continue;
        }

        for (w = n->children; w; w = w->next) {

            if (ngx_http_s3_xml_blank(w) != NGX_OK) {
                return NGX_ERROR;
            }

            if (ngx_http_s3_xml_is(w, "ID") || ngx_http_s3_xml_is(w, "URI")) {

                if (g->who.data
                    || ngx_http_s3_xml_text_of(pool, w, &g->who) != NGX_OK)
                {
                    return NGX_ERROR;
                }

                ngx_http_s3_xml_trim(&g->who);
                g->group = ngx_http_s3_xml_is(w, "URI");
                rc = NGX_OK;
            }

            /* DisplayName goes; EmailAddress leaves rc NGX_DECLINED */
        }
    }

    if (g->permission.data == NULL) {
        return NGX_ERROR;
    }

    return rc;
}


ngx_int_t
ngx_http_s3_xml_parse_delete(ngx_pool_t *pool, u_char *body, size_t len,
    ngx_uint_t max, ngx_array_t **keys, ngx_uint_t *quiet)
{
    ngx_int_t                      rc;
    ngx_str_t                      text;
    xmlDocPtr                      doc;
    xmlNodePtr                     root, node;
    ngx_uint_t                     seen_quiet;
    ngx_array_t                   *a;
    ngx_http_s3_xml_delete_key_t  *dk;

    *keys = NULL;
    *quiet = 0;

    doc = ngx_http_s3_xml_read(body, len, "Delete");
    if (doc == NULL) {
        return NGX_ERROR;
    }

    a = ngx_array_create(pool, 16, sizeof(ngx_http_s3_xml_delete_key_t));
    if (a == NULL) {
        xmlFreeDoc(doc);
        return NGX_ERROR;
    }

    root = xmlDocGetRootElement(doc);
    seen_quiet = 0;
    rc = NGX_OK;

    for (node = root->children; node; node = node->next) {

        if (ngx_http_s3_xml_blank(node) != NGX_OK) {
            rc = NGX_ERROR;
            break;
        }

        if (ngx_http_s3_xml_is(node, "Object")) {

            if (a->nelts >= max) {
                rc = NGX_DECLINED;
                break;
            }

            dk = ngx_array_push(a);
            if (dk == NULL) {
                rc = NGX_ERROR;
                break;
            }

            if (ngx_http_s3_xml_parse_object(pool, node, dk) != NGX_OK) {
                rc = NGX_ERROR;
                break;
            }

            continue;
        }

        if (ngx_http_s3_xml_is(node, "Quiet")) {

            if (seen_quiet++
                || ngx_http_s3_xml_text_of(pool, node, &text) != NGX_OK)
            {
                rc = NGX_ERROR;
                break;
            }

            ngx_http_s3_xml_trim(&text);

            if (text.len == 4
                && ngx_strncasecmp(text.data, (u_char *) "true", 4) == 0)
            {
                *quiet = 1;

            } else if (text.len == 5
                       && ngx_strncasecmp(text.data, (u_char *) "false", 5)
                          == 0)
            {
                *quiet = 0;

            } else {
                rc = NGX_ERROR;
                break;
            }
        }
    }

    xmlFreeDoc(doc);

    if (rc != NGX_OK) {
        *quiet = 0;
        return rc;
    }

    if (a->nelts == 0) {
        /* S3 answers MalformedXML to a Delete without objects */
        return NGX_ERROR;
    }

    *keys = a;

    return NGX_OK;
}


static ngx_int_t
ngx_http_s3_xml_parse_object(ngx_pool_t *pool, xmlNodePtr node,
    ngx_http_s3_xml_delete_key_t *dk)
{
    xmlNodePtr  child;
    ngx_uint_t  seen_key, seen_version;

    ngx_str_null(&dk->key);
    ngx_str_null(&dk->version);

    seen_key = 0;
    seen_version = 0;

    for (child = node->children; child; child = child->next) {

        if (ngx_http_s3_xml_blank(child) != NGX_OK) {
            return NGX_ERROR;
        }

        if (ngx_http_s3_xml_is(child, "Key")) {

            /* whitespace in a key is part of the key: no trimming */

            if (seen_key++
                || ngx_http_s3_xml_text_of(pool, child, &dk->key) != NGX_OK)
            {
                return NGX_ERROR;
            }

            continue;
        }

        if (ngx_http_s3_xml_is(child, "VersionId")) {

            if (seen_version++
                || ngx_http_s3_xml_text_of(pool, child, &dk->version)
                   != NGX_OK)
            {
                return NGX_ERROR;
            }

            ngx_http_s3_xml_trim(&dk->version);
        }

        /* ETag, LastModifiedTime, Size: conditions not supported, ignored */
    }

    return seen_key ? NGX_OK : NGX_ERROR;
}


ngx_int_t
ngx_http_s3_xml_parse_complete(ngx_pool_t *pool, u_char *body, size_t len,
    ngx_uint_t max, ngx_array_t **parts)
{
    ngx_int_t                rc;
    xmlDocPtr                doc;
    xmlNodePtr               root, node;
    ngx_array_t             *a;
    ngx_http_s3_xml_part_t  *part;

    *parts = NULL;

    doc = ngx_http_s3_xml_read(body, len, "CompleteMultipartUpload");
    if (doc == NULL) {
        return NGX_ERROR;
    }

    a = ngx_array_create(pool, 16, sizeof(ngx_http_s3_xml_part_t));
    if (a == NULL) {
        xmlFreeDoc(doc);
        return NGX_ERROR;
    }

    root = xmlDocGetRootElement(doc);
    rc = NGX_OK;

    for (node = root->children; node; node = node->next) {

        if (ngx_http_s3_xml_blank(node) != NGX_OK) {
            rc = NGX_ERROR;
            break;
        }

        if (!ngx_http_s3_xml_is(node, "Part")) {
            continue;
        }

        if (a->nelts >= max) {
            rc = NGX_DECLINED;
            break;
        }

        part = ngx_array_push(a);
        if (part == NULL) {
            rc = NGX_ERROR;
            break;
        }

        if (ngx_http_s3_xml_parse_part(pool, node, part) != NGX_OK) {
            rc = NGX_ERROR;
            break;
        }
    }

    xmlFreeDoc(doc);

    if (rc != NGX_OK) {
        return rc;
    }

    if (a->nelts == 0) {
        /* S3 answers MalformedXML to a complete without parts */
        return NGX_ERROR;
    }

    *parts = a;

    return NGX_OK;
}


static ngx_int_t
ngx_http_s3_xml_parse_part(ngx_pool_t *pool, xmlNodePtr node,
    ngx_http_s3_xml_part_t *part)
{
    u_char      *p, *last;
    ngx_str_t    text;
    xmlNodePtr   child;
    ngx_uint_t   seen_number, seen_etag;

    ngx_memzero(part, sizeof(ngx_http_s3_xml_part_t));

    seen_number = 0;
    seen_etag = 0;

    for (child = node->children; child; child = child->next) {

        if (ngx_http_s3_xml_blank(child) != NGX_OK) {
            return NGX_ERROR;
        }

        if (child->type != XML_ELEMENT_NODE) {
            continue;
        }

        if (ngx_http_s3_xml_is(child, "PartNumber")) {

            if (seen_number++
                || ngx_http_s3_xml_text_of(pool, child, &text) != NGX_OK)
            {
                return NGX_ERROR;
            }

            ngx_http_s3_xml_trim(&text);

            part->number = ngx_atoi(text.data, text.len);
            continue;
        }

        if (ngx_http_s3_xml_is(child, "ETag")) {

            if (seen_etag++
                || ngx_http_s3_xml_text_of(pool, child, &part->etag)
                   != NGX_OK)
            {
                return NGX_ERROR;
            }

            ngx_http_s3_xml_trim(&part->etag);

            if (part->etag.len >= 2 && part->etag.data[0] == '"'
                && part->etag.data[part->etag.len - 1] == '"')
            {
                part->etag.data++;
                part->etag.len -= 2;
            }

            continue;
        }

        /* ChecksumCRC32, ChecksumSHA256, ...: the name after "Checksum" */

        if (ngx_http_s3_xml_is(child, (const char *) child->name)
            && ngx_strncmp(child->name, "Checksum", 8) == 0
            && child->name[8] != '\0')
        {
            if (ngx_http_s3_xml_text_of(pool, child, &part->checksum)
                != NGX_OK)
            {
                return NGX_ERROR;
            }

            ngx_http_s3_xml_trim(&part->checksum);

            last = (u_char *) child->name + ngx_strlen(child->name);

            p = ngx_pnalloc(pool, last - child->name - 8);
            if (p == NULL) {
                return NGX_ERROR;
            }

            part->checksum_name.data = p;
            part->checksum_name.len = last - child->name - 8;
            ngx_memcpy(p, child->name + 8, part->checksum_name.len);

            part->checksums++;
        }
    }

    return (seen_number && seen_etag) ? NGX_OK : NGX_ERROR;
}


/*
 * Parse with libxml2 and check the root element.  A document type
 * declaration stops the parser as soon as it is seen, before its internal
 * subset is read: no entity is ever declared, so none can be expanded
 * (billion laughs) or fetched (external entities).  The caller frees the
 * document.
 */

ngx_int_t
ngx_http_s3_xml_parse_cors(ngx_pool_t *pool, u_char *body, size_t len,
    ngx_array_t **rules)
{
    ngx_int_t                     rc;
    xmlDocPtr                     doc;
    xmlNodePtr                    root, node;
    ngx_array_t                  *a;
    ngx_http_s3_xml_cors_rule_t  *rule;

    *rules = NULL;

    doc = ngx_http_s3_xml_read(body, len, "CORSConfiguration");
    if (doc == NULL) {
        return NGX_ERROR;
    }

    a = ngx_array_create(pool, 4, sizeof(ngx_http_s3_xml_cors_rule_t));
    if (a == NULL) {
        xmlFreeDoc(doc);
        return NGX_ERROR;
    }

    root = xmlDocGetRootElement(doc);
    rc = NGX_OK;

    for (node = root->children; node; node = node->next) {

        if (ngx_http_s3_xml_blank(node) != NGX_OK) {
            rc = NGX_ERROR;
            break;
        }

        if (!ngx_http_s3_xml_is(node, "CORSRule")) {
            continue;
        }

        rule = ngx_array_push(a);
        if (rule == NULL) {
            rc = NGX_ERROR;
            break;
        }

        rc = ngx_http_s3_xml_parse_cors_rule(pool, node, rule);

        if (rc != NGX_OK) {
            break;
        }
    }

    xmlFreeDoc(doc);

    if (rc == NGX_OK) {
        *rules = a;
    }

    return rc;
}


static ngx_int_t
ngx_http_s3_xml_parse_cors_rule(ngx_pool_t *pool, xmlNodePtr node,
    ngx_http_s3_xml_cors_rule_t *rule)
{
    xmlNodePtr  n;

    ngx_memzero(rule, sizeof(ngx_http_s3_xml_cors_rule_t));

    for (n = node->children; n; n = n->next) {

        if (ngx_http_s3_xml_blank(n) != NGX_OK) {
            return NGX_ERROR;
        }

        if (ngx_http_s3_xml_is(n, "ID")) {
            if (rule->id.data
                || ngx_http_s3_xml_text_of(pool, n, &rule->id) != NGX_OK)
            {
                return NGX_ERROR;
            }

        } else if (ngx_http_s3_xml_is(n, "MaxAgeSeconds")) {
            if (rule->max_age.data
                || ngx_http_s3_xml_text_of(pool, n, &rule->max_age)
                   != NGX_OK)
            {
                return NGX_ERROR;
            }

            ngx_http_s3_xml_trim(&rule->max_age);

        } else if (ngx_http_s3_xml_is(n, "AllowedOrigin")) {
            if (ngx_http_s3_xml_push_text(pool, n, &rule->origins)
                != NGX_OK)
            {
                return NGX_ERROR;
            }

        } else if (ngx_http_s3_xml_is(n, "AllowedMethod")) {
            if (ngx_http_s3_xml_push_text(pool, n, &rule->methods)
                != NGX_OK)
            {
                return NGX_ERROR;
            }

        } else if (ngx_http_s3_xml_is(n, "AllowedHeader")) {
            if (ngx_http_s3_xml_push_text(pool, n, &rule->headers)
                != NGX_OK)
            {
                return NGX_ERROR;
            }

        } else if (ngx_http_s3_xml_is(n, "ExposeHeader")) {
            if (ngx_http_s3_xml_push_text(pool, n, &rule->expose)
                != NGX_OK)
            {
                return NGX_ERROR;
            }
        }
    }

    return NGX_OK;
}


/* the trimmed text of a leaf element, appended to *a (made if NULL) */

static ngx_int_t
ngx_http_s3_xml_push_text(ngx_pool_t *pool, xmlNodePtr node, ngx_array_t **a)
{
    ngx_str_t  *s;

    if (*a == NULL) {
        *a = ngx_array_create(pool, 2, sizeof(ngx_str_t));
        if (*a == NULL) {
            return NGX_ERROR;
        }
    }

    s = ngx_array_push(*a);
    if (s == NULL) {
        return NGX_ERROR;
    }

    if (ngx_http_s3_xml_text_of(pool, node, s) != NGX_OK) {
        return NGX_ERROR;
    }

    ngx_http_s3_xml_trim(s);

    return NGX_OK;
}


static xmlDocPtr
ngx_http_s3_xml_read(u_char *body, size_t len, const char *root)
{
    void                 *saved_ctx;
    xmlDocPtr             doc;
    xmlNodePtr            node;
    xmlParserCtxtPtr      ctxt;
    xmlGenericErrorFunc   saved;

    if (len == 0 || len > NGX_HTTP_S3_MAX_XML_BODY) {
        return NULL;
    }

    ctxt = xmlNewParserCtxt();
    if (ctxt == NULL) {
        return NULL;
    }

    /* this context's own SAX handler, a copy, not the global one */

    ctxt->sax->internalSubset = ngx_http_s3_xml_internal_subset;
    ctxt->sax->serror = ngx_http_s3_xml_silent;

    /*
     * some errors (of the encoding converters, for one) do not go through
     * the context but to the generic handler, stderr by default, which is
     * nginx's error log: silence it for this parse only
     */

    saved = xmlGenericError;
    saved_ctx = xmlGenericErrorContext;
    xmlSetGenericErrorFunc(NULL, ngx_http_s3_xml_generic_silent);

    doc = xmlCtxtReadMemory(ctxt, (const char *) body, (int) len, NULL, NULL,
                            NGX_HTTP_S3_XML_OPTIONS);

    xmlSetGenericErrorFunc(saved_ctx, saved);

    if (doc == NULL) {
        xmlFreeParserCtxt(ctxt);
        return NULL;
    }

    if (!ctxt->wellFormed || ctxt->errNo != XML_ERR_OK
        || doc->intSubset != NULL || doc->extSubset != NULL)
    {
        goto failed;
    }

    xmlFreeParserCtxt(ctxt);
    ctxt = NULL;

    node = xmlDocGetRootElement(doc);

    if (node == NULL || !ngx_http_s3_xml_is(node, root)) {
        goto failed;
    }

    return doc;

failed:

    if (ctxt) {
        xmlFreeParserCtxt(ctxt);
    }

    xmlFreeDoc(doc);

    return NULL;
}


static void
ngx_http_s3_xml_internal_subset(void *ctx, const xmlChar *name,
    const xmlChar *external_id, const xmlChar *system_id)
{
    /* record it (doc->intSubset is checked after the parse) and stop */

    xmlSAX2InternalSubset(ctx, name, external_id, system_id);
    xmlStopParser((xmlParserCtxtPtr) ctx);
}


static void
ngx_http_s3_xml_silent(void *data, ngx_http_s3_xml_error_t error)
{
    /* a bad request body is the client's problem: no stderr output */
}


static void ngx_cdecl
ngx_http_s3_xml_generic_silent(void *ctx, const char *msg, ...)
{
}


ngx_int_t
ngx_http_s3_xml_parse_tagging(ngx_pool_t *pool, u_char *body, size_t len,
    ngx_array_t **tags)
{
    ngx_int_t            rc;
    xmlDocPtr            doc;
    xmlNodePtr           root, node, t;
    ngx_uint_t           seen;
    ngx_array_t         *a;
    ngx_http_s3_pair_t  *tag;

    *tags = NULL;

    doc = ngx_http_s3_xml_read(body, len, "Tagging");
    if (doc == NULL) {
        return NGX_ERROR;
    }

    a = ngx_array_create(pool, 10, sizeof(ngx_http_s3_pair_t));
    if (a == NULL) {
        xmlFreeDoc(doc);
        return NGX_ERROR;
    }

    root = xmlDocGetRootElement(doc);
    seen = 0;
    rc = NGX_OK;

    for (node = root->children; node && rc == NGX_OK; node = node->next) {

        if (ngx_http_s3_xml_blank(node) != NGX_OK) {
            rc = NGX_ERROR;
            break;
        }

        if (!ngx_http_s3_xml_is(node, "TagSet")) {
            continue;
        }

        if (seen++) {
            rc = NGX_ERROR;
            break;
        }

        for (t = node->children; t; t = t->next) {

            if (ngx_http_s3_xml_blank(t) != NGX_OK) {
                rc = NGX_ERROR;
                break;
            }

            if (!ngx_http_s3_xml_is(t, "Tag")) {
                continue;
            }

            tag = ngx_array_push(a);
            if (tag == NULL) {
                rc = NGX_ERROR;
                break;
            }

            rc = ngx_http_s3_xml_parse_tag(pool, t, tag);

            if (rc != NGX_OK) {
                break;
            }
        }
    }

    xmlFreeDoc(doc);

    if (rc == NGX_OK && !seen) {
        rc = NGX_ERROR;
    }

    if (rc == NGX_OK) {
        *tags = a;
    }

    return rc;
}


/* <Key> and <Value>, once each; whitespace is part of them */

static ngx_int_t
ngx_http_s3_xml_parse_tag(ngx_pool_t *pool, xmlNodePtr node,
    ngx_http_s3_pair_t *tag)
{
    xmlNodePtr  n;
    ngx_uint_t  keys, values;

    ngx_str_null(&tag->name);
    ngx_str_null(&tag->value);

    keys = 0;
    values = 0;

    for (n = node->children; n; n = n->next) {

        if (ngx_http_s3_xml_blank(n) != NGX_OK) {
            return NGX_ERROR;
        }

        if (ngx_http_s3_xml_is(n, "Key")) {
            if (keys++
                || ngx_http_s3_xml_text_of(pool, n, &tag->name) != NGX_OK)
            {
                return NGX_ERROR;
            }

            continue;
        }

        if (ngx_http_s3_xml_is(n, "Value")) {
            if (values++
                || ngx_http_s3_xml_text_of(pool, n, &tag->value) != NGX_OK)
            {
                return NGX_ERROR;
            }
        }
    }

    return (keys && values) ? NGX_OK : NGX_ERROR;
}


/* an element of that name, in no namespace or in the S3 namespace */

static ngx_uint_t
ngx_http_s3_xml_is(xmlNodePtr node, const char *name)
{
    if (node->type != XML_ELEMENT_NODE) {
        return 0;
    }

    if (node->ns != NULL && node->ns->href != NULL
        && xmlStrcmp(node->ns->href, (const xmlChar *) NGX_HTTP_S3_XMLNS)
           != 0)
    {
        return 0;
    }

    return xmlStrcmp(node->name, (const xmlChar *) name) == 0;
}


/* text of a leaf element, copied into the pool; an element inside: error */

static ngx_int_t
ngx_http_s3_xml_text_of(ngx_pool_t *pool, xmlNodePtr node, ngx_str_t *text)
{
    u_char      *p;
    size_t       len;
    xmlNodePtr   child;

    len = 0;

    for (child = node->children; child; child = child->next) {

        switch (child->type) {

        case XML_TEXT_NODE:
        case XML_CDATA_SECTION_NODE:
            if (child->content) {
                len += ngx_strlen(child->content);
            }
            break;

        case XML_COMMENT_NODE:
        case XML_PI_NODE:
            break;

        default:
            return NGX_ERROR;
        }
    }

    text->len = len;
    text->data = NULL;

    if (len == 0) {
        return NGX_OK;
    }

    p = ngx_pnalloc(pool, len);
    if (p == NULL) {
        return NGX_ERROR;
    }

    text->data = p;

    for (child = node->children; child; child = child->next) {

        if ((child->type == XML_TEXT_NODE
             || child->type == XML_CDATA_SECTION_NODE)
            && child->content)
        {
            p = ngx_cpymem(p, child->content, ngx_strlen(child->content));
        }
    }

    return NGX_OK;
}


/* text between elements of a container must be whitespace */

static ngx_int_t
ngx_http_s3_xml_blank(xmlNodePtr node)
{
    xmlChar  *p;

    if (node->type != XML_TEXT_NODE && node->type != XML_CDATA_SECTION_NODE) {
        return NGX_OK;
    }

    for (p = node->content; p && *p; p++) {
        if (*p != ' ' && *p != '\t' && *p != '\r' && *p != '\n') {
            return NGX_ERROR;
        }
    }

    return NGX_OK;
}


static void
ngx_http_s3_xml_trim(ngx_str_t *s)
{
    while (s->len
           && (s->data[0] == ' ' || s->data[0] == '\t'
               || s->data[0] == '\r' || s->data[0] == '\n'))
    {
        s->data++;
        s->len--;
    }

    while (s->len
           && (s->data[s->len - 1] == ' ' || s->data[s->len - 1] == '\t'
               || s->data[s->len - 1] == '\r' || s->data[s->len - 1] == '\n'))
    {
        s->len--;
    }
}


/*
 * The object lock documents: the children of parent named in names get
 * their text into values (at most once each), an element named inner
 * (at most once) into *inner_node; anything else is an error
 */

static ngx_int_t
ngx_http_s3_xml_fields(ngx_pool_t *pool, xmlNodePtr parent,
    const char **names, ngx_str_t **values, const char *inner,
    xmlNodePtr *inner_node)
{
    ngx_uint_t   i;
    xmlNodePtr   node;

    for (node = parent->children; node; node = node->next) {

        if (ngx_http_s3_xml_blank(node) != NGX_OK) {
            return NGX_ERROR;
        }

        if (node->type != XML_ELEMENT_NODE) {
            continue;
        }

        if (inner && ngx_http_s3_xml_is(node, inner)) {

            if (*inner_node) {
                return NGX_ERROR;
            }

            *inner_node = node;
            continue;
        }

        for (i = 0; names[i]; i++) {
            if (ngx_http_s3_xml_is(node, names[i])) {
                break;
            }
        }

        if (names[i] == NULL || values[i]->data) {
            /* unknown, or again */
            return NGX_ERROR;
        }

        if (ngx_http_s3_xml_text_of(pool, node, values[i]) != NGX_OK) {
            return NGX_ERROR;
        }

        ngx_http_s3_xml_trim(values[i]);

        if (values[i]->data == NULL) {
            values[i]->data = (u_char *) "";
        }
    }

    return NGX_OK;
}


ngx_int_t
ngx_http_s3_xml_parse_lock_conf(ngx_pool_t *pool, u_char *body, size_t len,
    ngx_http_s3_xml_lock_t *lk)
{
    ngx_int_t    rc;
    xmlDocPtr    doc;
    ngx_str_t   *values[4];
    xmlNodePtr   rule, dr;
    const char  *names[4];

    ngx_memzero(lk, sizeof(ngx_http_s3_xml_lock_t));

    doc = ngx_http_s3_xml_read(body, len, "ObjectLockConfiguration");
    if (doc == NULL) {
        return NGX_ERROR;
    }

    rule = NULL;
    dr = NULL;

    names[0] = "ObjectLockEnabled";
    values[0] = &lk->enabled;
    names[1] = NULL;

    rc = ngx_http_s3_xml_fields(pool, xmlDocGetRootElement(doc), names,
                                values, "Rule", &rule);

    if (rc == NGX_OK && rule) {
        lk->rule = 1;
        names[0] = NULL;

        rc = ngx_http_s3_xml_fields(pool, rule, names, values,
                                    "DefaultRetention", &dr);
    }

    if (rc == NGX_OK && dr) {
        lk->retention = 1;

        names[0] = "Mode";
        values[0] = &lk->mode;
        names[1] = "Days";
        values[1] = &lk->days;
        names[2] = "Years";
        values[2] = &lk->years;
        names[3] = NULL;

        rc = ngx_http_s3_xml_fields(pool, dr, names, values, NULL, NULL);
    }

    xmlFreeDoc(doc);

    return rc;
}


ngx_int_t
ngx_http_s3_xml_parse_retention(ngx_pool_t *pool, u_char *body, size_t len,
    ngx_http_s3_xml_lock_t *lk)
{
    ngx_int_t    rc;
    xmlDocPtr    doc;
    ngx_str_t   *values[3];
    const char  *names[3];

    ngx_memzero(lk, sizeof(ngx_http_s3_xml_lock_t));

    doc = ngx_http_s3_xml_read(body, len, "Retention");
    if (doc == NULL) {
        return NGX_ERROR;
    }

    names[0] = "Mode";
    values[0] = &lk->mode;
    names[1] = "RetainUntilDate";
    values[1] = &lk->until;
    names[2] = NULL;

    rc = ngx_http_s3_xml_fields(pool, xmlDocGetRootElement(doc), names,
                                values, NULL, NULL);

    xmlFreeDoc(doc);

    return rc;
}


ngx_int_t
ngx_http_s3_xml_parse_legal_hold(ngx_pool_t *pool, u_char *body, size_t len,
    ngx_http_s3_xml_lock_t *lk)
{
    ngx_int_t    rc;
    xmlDocPtr    doc;
    ngx_str_t   *values[2];
    const char  *names[2];

    ngx_memzero(lk, sizeof(ngx_http_s3_xml_lock_t));

    doc = ngx_http_s3_xml_read(body, len, "LegalHold");
    if (doc == NULL) {
        return NGX_ERROR;
    }

    names[0] = "Status";
    values[0] = &lk->status;
    names[1] = NULL;

    rc = ngx_http_s3_xml_fields(pool, xmlDocGetRootElement(doc), names,
                                values, NULL, NULL);

    xmlFreeDoc(doc);

    return rc;
}
