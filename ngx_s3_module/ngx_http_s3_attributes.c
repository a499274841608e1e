
/*
 * Copyright (C) ngx_s3 authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_s3.h"
#include "ngx_http_s3_ops.h"


/*
 * GetObjectAttributes (GET ?attributes): what x-amz-object-attributes
 * names, from the object's record alone: no body file is opened.
 */


#define NGX_HTTP_S3_ATTR_ETAG           0x01
#define NGX_HTTP_S3_ATTR_CHECKSUM       0x02
#define NGX_HTTP_S3_ATTR_PARTS          0x04
#define NGX_HTTP_S3_ATTR_STORAGE_CLASS  0x08
#define NGX_HTTP_S3_ATTR_SIZE           0x10

#define NGX_HTTP_S3_ATTR_MAX_PARTS      1000


typedef struct {
    ngx_http_request_t        *request;
    ngx_uint_t                 attrs;
    ngx_uint_t                 max_parts;
    ngx_uint_t                 marker;
} ngx_http_s3_attrs_t;


typedef struct {
    ngx_str_t                  name;
    ngx_uint_t                 bit;
} ngx_http_s3_attr_name_t;


static ngx_http_s3_attr_name_t  ngx_http_s3_attr_names[] = {
    { ngx_string("ETag"), NGX_HTTP_S3_ATTR_ETAG },
    { ngx_string("Checksum"), NGX_HTTP_S3_ATTR_CHECKSUM },
    { ngx_string("ObjectParts"), NGX_HTTP_S3_ATTR_PARTS },
    { ngx_string("StorageClass"), NGX_HTTP_S3_ATTR_STORAGE_CLASS },
    { ngx_string("ObjectSize"), NGX_HTTP_S3_ATTR_SIZE },
    { ngx_null_string, 0 }
};


static ngx_int_t ngx_http_s3_attrs_parse(ngx_http_request_t *r,
    ngx_http_s3_attrs_t *a, ngx_str_t *bad);
static ngx_uint_t ngx_http_s3_attrs_number(ngx_http_request_t *r,
    const char *name, ngx_uint_t max, ngx_uint_t def);
static void ngx_http_s3_attrs_handler(ngx_http_s3_meta_req_t *mr);
static ngx_int_t ngx_http_s3_attrs_send(ngx_http_s3_attrs_t *a,
    ngx_http_s3_object_t *o);
static void ngx_http_s3_attrs_parts(ngx_http_s3_attrs_t *a,
    ngx_http_s3_xml_t *w, ngx_http_s3_object_t *o);


ngx_int_t
ngx_http_s3_get_object_attributes(ngx_http_request_t *r)
{
    ngx_int_t                 rc;
    ngx_str_t                 bad;
    ngx_http_s3_attrs_t      *a;
    ngx_http_s3_err_extra_t   extra[2];

    if (ngx_http_s3_version_arg(r, NULL) != NGX_OK) {
        return ngx_http_s3_send_error(r, NGX_HTTP_S3_ERR_INVALID_ARGUMENT,
                                      "Invalid version id specified");
    }

    a = ngx_pcalloc(r->pool, sizeof(ngx_http_s3_attrs_t));
    if (a == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    a->request = r;

    rc = ngx_http_s3_attrs_parse(r, a, &bad);

    if (rc == NGX_DECLINED) {
        return ngx_http_s3_send_error(r, NGX_HTTP_S3_ERR_INVALID_REQUEST,
                                      "The x-amz-object-attributes header "
                                      "specifying the attributes to be "
                                      "retrieved is either missing or empty");
    }

    if (rc == NGX_ERROR) {
        extra[0].name = "ArgumentName";
        ngx_str_set(&extra[0].value, "x-amz-object-attributes");
        extra[1].name = "ArgumentValue";
        extra[1].value = bad;

        if (!ngx_http_s3_valid_utf8(bad.data, bad.len)) {
            ngx_str_null(&extra[1].value);
        }

        return ngx_http_s3_send_error_extra(r,
                                            NGX_HTTP_S3_ERR_INVALID_ARGUMENT,
                                            "Invalid attribute name "
                                            "specified.", extra, 2);
    }

    /* values that are not numbers are ignored, as S3 does */

    a->max_parts = ngx_http_s3_attrs_number(r, "x-amz-max-parts",
                                            NGX_HTTP_S3_ATTR_MAX_PARTS,
                                            NGX_HTTP_S3_ATTR_MAX_PARTS);
    a->marker = ngx_http_s3_attrs_number(r, "x-amz-part-number-marker",
                                         NGX_MAX_INT32_VALUE, 0);

    return ngx_http_s3_meta_named(r, NGX_HTTP_S3_WIRE_OP_OBJECT_GET, 1,
                                  ngx_http_s3_attrs_handler, a);
}


/*
 * x-amz-object-attributes, a comma-separated list, possibly in several
 * header lines: NGX_OK; NGX_DECLINED if it names nothing; NGX_ERROR with
 * the first name that is not an attribute
 */

static ngx_int_t
ngx_http_s3_attrs_parse(ngx_http_request_t *r, ngx_http_s3_attrs_t *a,
    ngx_str_t *bad)
{
    u_char                   *p, *last, *start, *end;
    ngx_uint_t                i;
    ngx_list_part_t          *part;
    ngx_table_elt_t          *h;
    ngx_http_s3_attr_name_t  *an;

    part = &r->headers_in.headers.part;
    h = part->elts;

    for (i = 0; /* void */; i++) {

        if (i >= part->nelts) {
            if (part->next == NULL) {
                break;
            }

            part = part->next;
            h = part->elts;
            i = 0;
        }

        if (!ngx_http_s3_header_is(&h[i], "x-amz-object-attributes")) {
            continue;
        }

        p = h[i].value.data;
        last = p + h[i].value.len;

        while (p < last) {

            while (p < last && (*p == ' ' || *p == '\t' || *p == ',')) {
                p++;
            }

            start = p;

            while (p < last && *p != ',') {
                p++;
            }

            end = p;

            while (end > start && (end[-1] == ' ' || end[-1] == '\t')) {
                end--;
            }

            if (end == start) {
                continue;
            }

            for (an = ngx_http_s3_attr_names; an->name.len; an++) {
                if ((size_t) (end - start) == an->name.len
                    && ngx_strncmp(start, an->name.data, an->name.len) == 0)
                {
                    break;
                }
            }

            if (an->name.len == 0) {
                bad->data = start;
                bad->len = end - start;
                return NGX_ERROR;
            }

            a->attrs |= an->bit;
        }
    }

    return a->attrs ? NGX_OK : NGX_DECLINED;
}


/* a header holding a number 0..max, or def */

static ngx_uint_t
ngx_http_s3_attrs_number(ngx_http_request_t *r, const char *name,
    ngx_uint_t max, ngx_uint_t def)
{
    ngx_int_t         n;
    ngx_table_elt_t  *h;

    h = ngx_http_s3_header_in(r, name);

    if (h == NULL) {
        return def;
    }

    n = ngx_atoi(h->value.data, h->value.len);

    if (n == NGX_ERROR) {
        return def;
    }

    return ngx_min((ngx_uint_t) n, max);
}


static void
ngx_http_s3_attrs_handler(ngx_http_s3_meta_req_t *mr)
{
    ngx_int_t              rc;
    ngx_http_s3_ctx_t     *ctx;
    ngx_http_request_t    *r;
    ngx_http_s3_attrs_t   *a;
    ngx_http_s3_object_t   o;

    a = mr->data;
    r = a->request;
    ctx = ngx_http_s3_get_ctx(r);

    if (mr->status != NGX_HTTP_S3_WIRE_ST_OK) {
        rc = ngx_http_s3_send_error(r, ngx_http_s3_meta_error(mr->status),
                                    NULL);
        goto done;
    }

    if (ngx_http_s3_object_decode(&mr->reply, &o, r->pool) != NGX_OK) {
        ngx_log_error(NGX_LOG_ALERT, r->connection->log, 0,
                      "s3 object \"%V/%V\": bad record", &ctx->bucket,
                      &ctx->key);
        rc = ngx_http_s3_send_error(r, NGX_HTTP_S3_ERR_INTERNAL, NULL);
        goto done;
    }

    if (o.flags & NGX_HTTP_S3_OBJECT_DELETE_MARKER) {
        rc = ngx_http_s3_send_error(r, NGX_HTTP_S3_ERR_NO_SUCH_KEY, NULL);
        goto done;
    }

    rc = ngx_http_s3_attrs_send(a, &o);

done:

    ngx_http_s3_finalize(r, rc);
}


static ngx_int_t
ngx_http_s3_attrs_send(ngx_http_s3_attrs_t *a, ngx_http_s3_object_t *o)
{
    ngx_chain_t         *cl;
    ngx_http_request_t  *r;
    ngx_http_s3_xml_t    w;

    r = a->request;

    r->headers_out.last_modified_time = (time_t) (o->mtime / 1000);

    ngx_http_s3_xml_init(&w, r->pool);
    ngx_http_s3_xml_root(&w, "GetObjectAttributesResponse");

    if (a->attrs & NGX_HTTP_S3_ATTR_ETAG) {
        /* not quoted, unlike the ETag header */
        ngx_http_s3_xml_text(&w, "ETag", o->etag.data, o->etag.len);
    }

    if ((a->attrs & NGX_HTTP_S3_ATTR_CHECKSUM)
        && o->checksum_alg != NGX_HTTP_S3_CHECKSUM_NONE
        && o->checksum.len == ngx_http_s3_checksum_size(o->checksum_alg))
    {
        ngx_http_s3_xml_open(&w, "Checksum");
        ngx_http_s3_checksum_xml(&w, o->checksum_alg, o->checksum_type,
                                 &o->checksum,
                                 o->parts ? o->parts->nelts : 0);
        ngx_http_s3_xml_close(&w, "Checksum");
    }

    if ((a->attrs & NGX_HTTP_S3_ATTR_PARTS) && o->parts) {
        ngx_http_s3_attrs_parts(a, &w, o);
    }

    if (a->attrs & NGX_HTTP_S3_ATTR_STORAGE_CLASS) {
        ngx_http_s3_xml_cstr(&w, "StorageClass", "STANDARD");
    }

    if (a->attrs & NGX_HTTP_S3_ATTR_SIZE) {
        ngx_http_s3_xml_uint(&w, "ObjectSize", o->size);
    }

    ngx_http_s3_xml_close(&w, "GetObjectAttributesResponse");

    cl = ngx_http_s3_xml_finish(&w);
    if (cl == NULL) {
        return NGX_ERROR;
    }

    return ngx_http_s3_send_xml(r, NGX_HTTP_OK, cl);
}


/*
 * ObjectParts of a multipart object: the count, and, as S3 does only for
 * an object with an additional checksum, the parts after the marker (up
 * to max-parts) with their sizes and checksums
 */

static void
ngx_http_s3_attrs_parts(ngx_http_s3_attrs_t *a, ngx_http_s3_xml_t *w,
    ngx_http_s3_object_t *o)
{
    ngx_uint_t           i, n, last;
    ngx_http_s3_part_t  *part;

    n = o->parts->nelts;
    part = o->parts->elts;

    ngx_http_s3_xml_open(w, "ObjectParts");
    ngx_http_s3_xml_uint(w, "PartsCount", n);

    if (o->checksum_alg == NGX_HTTP_S3_CHECKSUM_NONE) {
        ngx_http_s3_xml_close(w, "ObjectParts");
        return;
    }

    ngx_http_s3_xml_uint(w, "PartNumberMarker", a->marker);
    ngx_http_s3_xml_uint(w, "MaxParts", a->max_parts);

    last = a->marker;

    for (i = a->marker; i < n && i < a->marker + a->max_parts; i++) {
        ngx_http_s3_xml_open(w, "Part");
        ngx_http_s3_xml_uint(w, "PartNumber", i + 1);
        ngx_http_s3_xml_uint(w, "Size", part[i].size);
        ngx_http_s3_checksum_xml(w, o->checksum_alg,
                                 NGX_HTTP_S3_CHECKSUM_NO_TYPE,
                                 &part[i].checksum, 0);
        ngx_http_s3_xml_close(w, "Part");

        last = i + 1;
    }

    if (last > a->marker) {
        ngx_http_s3_xml_uint(w, "NextPartNumberMarker", last);
    }

    ngx_http_s3_xml_cstr(w, "IsTruncated", (last < n) ? "true" : "false");

    ngx_http_s3_xml_close(w, "ObjectParts");
}
