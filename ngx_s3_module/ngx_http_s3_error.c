
/*
 * Copyright (C) ngx_s3 authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_s3.h"
#include "ngx_http_s3_ops.h"


typedef struct {
    ngx_str_t                  code;
    ngx_uint_t                 status;
    const char                *message;
} ngx_http_s3_err_info_t;


static ngx_uint_t ngx_http_s3_xml_safe(ngx_str_t *s);
static ngx_uint_t ngx_http_s3_xml_text_safe(ngx_str_t *s);
static ngx_int_t ngx_http_s3_send_chain(ngx_http_request_t *r,
    ngx_chain_t *body);


static u_char  ngx_http_s3_xml_decl[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";


/*
 * Indexed by ngx_http_s3_err_e: the AWS code, the HTTP status, and the
 * message AWS sends when a handler gives none.
 */

static ngx_http_s3_err_info_t  ngx_http_s3_errors[] = {

    /* NGX_HTTP_S3_OK */
    { ngx_string("OK"), NGX_HTTP_OK, "OK" },

    /* NGX_HTTP_S3_ERR_ACCESS_DENIED */
    { ngx_string("AccessDenied"), NGX_HTTP_FORBIDDEN, "Access Denied" },

    /* NGX_HTTP_S3_ERR_BAD_DIGEST */
    { ngx_string("BadDigest"), NGX_HTTP_BAD_REQUEST,
      "The Content-MD5 you specified did not match what we received." },

    /* NGX_HTTP_S3_ERR_BUCKET_ALREADY_EXISTS */
    { ngx_string("BucketAlreadyExists"), NGX_HTTP_CONFLICT,
      "The requested bucket name is not available. The bucket namespace "
      "is shared by all users of the system. Please select a different "
      "name and try again." },

    /* NGX_HTTP_S3_ERR_BUCKET_ALREADY_OWNED */
    { ngx_string("BucketAlreadyOwnedByYou"), NGX_HTTP_CONFLICT,
      "Your previous request to create the named bucket succeeded and "
      "you already own it." },

    /* NGX_HTTP_S3_ERR_BUCKET_NOT_EMPTY */
    { ngx_string("BucketNotEmpty"), NGX_HTTP_CONFLICT,
      "The bucket you tried to delete is not empty" },

    /* NGX_HTTP_S3_ERR_ENTITY_TOO_LARGE */
    { ngx_string("EntityTooLarge"), NGX_HTTP_BAD_REQUEST,
      "Your proposed upload exceeds the maximum allowed object size." },

    /* NGX_HTTP_S3_ERR_ENTITY_TOO_SMALL */
    { ngx_string("EntityTooSmall"), NGX_HTTP_BAD_REQUEST,
      "Your proposed upload is smaller than the minimum allowed object "
      "size." },

    /* NGX_HTTP_S3_ERR_EXPIRED_TOKEN */
    { ngx_string("ExpiredToken"), NGX_HTTP_BAD_REQUEST,
      "The provided token has expired." },

    /* NGX_HTTP_S3_ERR_ILLEGAL_LOCATION */
    { ngx_string("IllegalLocationConstraintException"), NGX_HTTP_BAD_REQUEST,
      "The unspecified location constraint is incompatible for the region "
      "specific endpoint this request was sent to." },

    /* NGX_HTTP_S3_ERR_INCOMPLETE_BODY */
    { ngx_string("IncompleteBody"), NGX_HTTP_BAD_REQUEST,
      "You did not provide the number of bytes specified by the "
      "Content-Length HTTP header." },

    /* NGX_HTTP_S3_ERR_INTERNAL */
    { ngx_string("InternalError"), NGX_HTTP_INTERNAL_SERVER_ERROR,
      "We encountered an internal error. Please try again." },

    /* NGX_HTTP_S3_ERR_INVALID_ACCESS_KEY */
    { ngx_string("InvalidAccessKeyId"), NGX_HTTP_FORBIDDEN,
      "The AWS Access Key Id you provided does not exist in our records." },

    /* NGX_HTTP_S3_ERR_INVALID_ARGUMENT */
    { ngx_string("InvalidArgument"), NGX_HTTP_BAD_REQUEST,
      "Invalid Argument" },

    /* NGX_HTTP_S3_ERR_INVALID_BUCKET_NAME */
    { ngx_string("InvalidBucketName"), NGX_HTTP_BAD_REQUEST,
      "The specified bucket is not valid." },

    /* NGX_HTTP_S3_ERR_INVALID_DIGEST */
    { ngx_string("InvalidDigest"), NGX_HTTP_BAD_REQUEST,
      "The Content-MD5 you specified is not valid." },

    /* NGX_HTTP_S3_ERR_INVALID_LOCATION */
    { ngx_string("InvalidLocationConstraint"), NGX_HTTP_BAD_REQUEST,
      "The specified location-constraint is not valid" },

    /* NGX_HTTP_S3_ERR_INVALID_RANGE */
    { ngx_string("InvalidRange"), NGX_HTTP_RANGE_NOT_SATISFIABLE,
      "The requested range is not satisfiable" },

    /* NGX_HTTP_S3_ERR_INVALID_REQUEST */
    { ngx_string("InvalidRequest"), NGX_HTTP_BAD_REQUEST,
      "Invalid Request" },

    /* NGX_HTTP_S3_ERR_INVALID_URI */
    { ngx_string("InvalidURI"), NGX_HTTP_BAD_REQUEST,
      "Couldn't parse the specified URI." },

    /* NGX_HTTP_S3_ERR_KEY_TOO_LONG */
    { ngx_string("KeyTooLongError"), NGX_HTTP_BAD_REQUEST,
      "Your key is too long" },

    /* NGX_HTTP_S3_ERR_MALFORMED_XML */
    { ngx_string("MalformedXML"), NGX_HTTP_BAD_REQUEST,
      "The XML you provided was not well-formed or did not validate "
      "against our published schema" },

    /* NGX_HTTP_S3_ERR_MAX_MESSAGE_LENGTH */
    { ngx_string("MaxMessageLengthExceeded"), NGX_HTTP_BAD_REQUEST,
      "Your request was too big." },

    /* NGX_HTTP_S3_ERR_METADATA_TOO_LARGE */
    { ngx_string("MetadataTooLarge"), NGX_HTTP_BAD_REQUEST,
      "Your metadata headers exceed the maximum allowed metadata size" },

    /* NGX_HTTP_S3_ERR_METHOD_NOT_ALLOWED */
    { ngx_string("MethodNotAllowed"), NGX_HTTP_NOT_ALLOWED,
      "The specified method is not allowed against this resource." },

    /* NGX_HTTP_S3_ERR_MISSING_CONTENT_LENGTH */
    { ngx_string("MissingContentLength"), NGX_HTTP_LENGTH_REQUIRED,
      "You must provide the Content-Length HTTP header." },

    /* NGX_HTTP_S3_ERR_MISSING_SECURITY_HEADER */
    { ngx_string("MissingSecurityHeader"), NGX_HTTP_BAD_REQUEST,
      "Your request is missing a required header." },

    /* NGX_HTTP_S3_ERR_NO_SUCH_BUCKET */
    { ngx_string("NoSuchBucket"), NGX_HTTP_NOT_FOUND,
      "The specified bucket does not exist" },

    /* NGX_HTTP_S3_ERR_NO_SUCH_KEY */
    { ngx_string("NoSuchKey"), NGX_HTTP_NOT_FOUND,
      "The specified key does not exist." },

    /* NGX_HTTP_S3_ERR_NO_SUCH_UPLOAD */
    { ngx_string("NoSuchUpload"), NGX_HTTP_NOT_FOUND,
      "The specified upload does not exist. The upload ID may be invalid, "
      "or the upload may have been aborted or completed." },

    /* NGX_HTTP_S3_ERR_NO_SUCH_VERSION */
    { ngx_string("NoSuchVersion"), NGX_HTTP_NOT_FOUND,
      "The specified version does not exist." },

    /* NGX_HTTP_S3_ERR_NOT_IMPLEMENTED */
    { ngx_string("NotImplemented"), NGX_HTTP_NOT_IMPLEMENTED,
      "A header you provided implies functionality that is not "
      "implemented." },

    /* NGX_HTTP_S3_ERR_NOT_MODIFIED */
    { ngx_string("NotModified"), NGX_HTTP_NOT_MODIFIED, "Not Modified" },

    /* NGX_HTTP_S3_ERR_PRECONDITION_FAILED */
    { ngx_string("PreconditionFailed"), NGX_HTTP_PRECONDITION_FAILED,
      "At least one of the pre-conditions you specified did not hold" },

    /* NGX_HTTP_S3_ERR_REQUEST_TIME_TOO_SKEWED */
    { ngx_string("RequestTimeTooSkewed"), NGX_HTTP_FORBIDDEN,
      "The difference between the request time and the current time is "
      "too large." },

    /* NGX_HTTP_S3_ERR_AUTH_QUERY */
    { ngx_string("AuthorizationQueryParametersError"), NGX_HTTP_BAD_REQUEST,
      "Query-string authentication version 4 requires the X-Amz-Algorithm, "
      "X-Amz-Credential, X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, "
      "and X-Amz-Expires parameters." },

    /* NGX_HTTP_S3_ERR_AUTH_HEADER_MALFORMED */
    { ngx_string("AuthorizationHeaderMalformed"), NGX_HTTP_BAD_REQUEST,
      "The authorization header is malformed." },

    /* NGX_HTTP_S3_ERR_SERVICE_UNAVAILABLE */
    { ngx_string("ServiceUnavailable"), NGX_HTTP_SERVICE_UNAVAILABLE,
      "Service is unable to handle request." },

    /* NGX_HTTP_S3_ERR_SIGNATURE_MISMATCH */
    { ngx_string("SignatureDoesNotMatch"), NGX_HTTP_FORBIDDEN,
      "The request signature we calculated does not match the signature "
      "you provided. Check your key and signing method." },

    /* NGX_HTTP_S3_ERR_SHA256_MISMATCH */
    { ngx_string("XAmzContentSHA256Mismatch"), NGX_HTTP_BAD_REQUEST,
      "The provided 'x-amz-content-sha256' header does not match what was "
      "computed." },

    /* NGX_HTTP_S3_ERR_SLOW_DOWN */
    { ngx_string("SlowDown"), NGX_HTTP_SERVICE_UNAVAILABLE,
      "Please reduce your request rate." },

    /* NGX_HTTP_S3_ERR_TOO_MANY_BUCKETS */
    { ngx_string("TooManyBuckets"), NGX_HTTP_BAD_REQUEST,
      "You have attempted to create more buckets than allowed" },

    /* NGX_HTTP_S3_ERR_INVALID_STORAGE_CLASS */
    { ngx_string("InvalidStorageClass"), NGX_HTTP_BAD_REQUEST,
      "The storage class you specified is not valid" },

    /* NGX_HTTP_S3_ERR_UNEXPECTED_CONTENT */
    { ngx_string("UnexpectedContent"), NGX_HTTP_BAD_REQUEST,
      "This request does not support content" },

    /* NGX_HTTP_S3_ERR_MALFORMED_TRAILER */
    { ngx_string("MalformedTrailerError"), NGX_HTTP_BAD_REQUEST,
      "The request contained trailing data that was not well-formed or "
      "did not conform to our published schema." },

    /* NGX_HTTP_S3_ERR_HEADER_TOO_LARGE */
    { ngx_string("RequestHeaderSectionTooLarge"), NGX_HTTP_BAD_REQUEST,
      "Your request header section exceeds the maximum allowed size." },

    /* NGX_HTTP_S3_ERR_INVALID_PART */
    { ngx_string("InvalidPart"), NGX_HTTP_BAD_REQUEST,
      "One or more of the specified parts could not be found.  The part "
      "may not have been uploaded, or the specified entity tag may not "
      "match the part's entity tag." },

    /* NGX_HTTP_S3_ERR_INVALID_PART_ORDER */
    { ngx_string("InvalidPartOrder"), NGX_HTTP_BAD_REQUEST,
      "The list of parts was not in ascending order. The parts list must "
      "be specified in order by part number." },

    /* NGX_HTTP_S3_ERR_INVALID_PART_NUMBER */
    { ngx_string("InvalidPartNumber"), NGX_HTTP_RANGE_NOT_SATISFIABLE,
      "The requested partnumber is not satisfiable" },

    /* NGX_HTTP_S3_ERR_ACL_NOT_SUPPORTED */
    { ngx_string("AccessControlListNotSupported"), NGX_HTTP_BAD_REQUEST,
      "The bucket does not allow ACLs" },

    /* NGX_HTTP_S3_ERR_MALFORMED_POLICY */
    { ngx_string("MalformedPolicy"), NGX_HTTP_BAD_REQUEST,
      "Policies must be valid JSON and the first byte must be '{'" },

    /* NGX_HTTP_S3_ERR_NO_SUCH_BUCKET_POLICY */
    { ngx_string("NoSuchBucketPolicy"), NGX_HTTP_NOT_FOUND,
      "The bucket policy does not exist" },

    /* NGX_HTTP_S3_ERR_QUOTA_EXCEEDED: s3_quota, as Ceph's gateway says it */
    { ngx_string("QuotaExceeded"), NGX_HTTP_FORBIDDEN,
      "The bucket's quota would be exceeded by this write" },

    /* NGX_HTTP_S3_ERR_INVALID_TAG */
    { ngx_string("InvalidTag"), NGX_HTTP_BAD_REQUEST,
      "The tag provided was not a valid tag." },

    /* NGX_HTTP_S3_ERR_NO_SUCH_TAG_SET */
    { ngx_string("NoSuchTagSet"), NGX_HTTP_NOT_FOUND,
      "The TagSet does not exist" },
    /* NGX_HTTP_S3_ERR_INVALID_BUCKET_STATE */
    { ngx_string("InvalidBucketState"), NGX_HTTP_CONFLICT,
      "The request is not valid with the current state of the bucket." },

    /* NGX_HTTP_S3_ERR_OBJECT_LOCK_CONFIG_NOT_FOUND */
    { ngx_string("ObjectLockConfigurationNotFoundError"), NGX_HTTP_NOT_FOUND,
      "Object Lock configuration does not exist for this bucket" },

    /* NGX_HTTP_S3_ERR_NO_SUCH_OBJECT_LOCK_CONFIG */
    { ngx_string("NoSuchObjectLockConfiguration"), NGX_HTTP_NOT_FOUND,
      "The specified object does not have a ObjectLock configuration" },
    /* NGX_HTTP_S3_ERR_ACCESS_FORBIDDEN */
    { ngx_string("AccessForbidden"), NGX_HTTP_FORBIDDEN,
      "CORSResponse: This CORS request is not allowed. This is usually "
      "because the evalution of Origin, request method / "
      "Access-Control-Request-Method or Access-Control-Request-Headers "
      "are not whitelisted by the resource's CORS spec." },

    /* NGX_HTTP_S3_ERR_BAD_REQUEST */
    { ngx_string("BadRequest"), NGX_HTTP_BAD_REQUEST,
      "Insufficient information. Origin request header needed." },

    /* NGX_HTTP_S3_ERR_NO_SUCH_CORS_CONFIGURATION */
    { ngx_string("NoSuchCORSConfiguration"), NGX_HTTP_NOT_FOUND,
      "The CORS configuration does not exist" },

    /* NGX_HTTP_S3_ERR_MALFORMED_POST_REQUEST */
    { ngx_string("MalformedPOSTRequest"), NGX_HTTP_BAD_REQUEST,
      "The body of your POST request is not well-formed "
      "multipart/form-data." },

    /* NGX_HTTP_S3_ERR_INCORRECT_NUMBER_OF_FILES */
    { ngx_string("IncorrectNumberOfFilesInPostRequest"),
      NGX_HTTP_BAD_REQUEST,
      "POST requires exactly one file upload per request." },

    /* NGX_HTTP_S3_ERR_INVALID_POLICY_DOCUMENT */
    { ngx_string("InvalidPolicyDocument"), NGX_HTTP_BAD_REQUEST,
      "The content of the form does not meet the conditions specified "
      "in the policy document." },

    /* NGX_HTTP_S3_ERR_MAX_POST_PRE_DATA */
    { ngx_string("MaxPostPreDataLengthExceeded"), NGX_HTTP_BAD_REQUEST,
      "Your POST request fields preceeding the upload file was too "
      "large." }
};


/* the table has exactly one row per code: a compile-time check */

typedef char  ngx_http_s3_errors_complete_t[
    (sizeof(ngx_http_s3_errors) / sizeof(ngx_http_s3_err_info_t)
     == NGX_HTTP_S3_ERR_LAST) ? 1 : -1];


const char *
ngx_http_s3_err_code(ngx_http_s3_err_e err)
{
    if ((ngx_uint_t) err >= NGX_HTTP_S3_ERR_LAST) {
        err = NGX_HTTP_S3_ERR_INTERNAL;
    }

    return (const char *) ngx_http_s3_errors[err].code.data;
}


ngx_uint_t
ngx_http_s3_err_status(ngx_http_s3_err_e err)
{
    if ((ngx_uint_t) err >= NGX_HTTP_S3_ERR_LAST) {
        err = NGX_HTTP_S3_ERR_INTERNAL;
    }

    return ngx_http_s3_errors[err].status;
}


ngx_int_t
ngx_http_s3_send_error(ngx_http_request_t *r, ngx_http_s3_err_e err,
    const char *message)
{
    ngx_uint_t                n;
    ngx_http_s3_ctx_t        *ctx;
    ngx_http_s3_err_extra_t   extra[1];

    n = 0;
    ctx = ngx_http_s3_get_ctx(r);

    /* a failed authentication: what S3 adds (AWSAccessKeyId, ...) */

    if (ctx && ctx->auth.nextra) {
        return ngx_http_s3_send_error_extra(r, err, message, ctx->auth.extra,
                                            ctx->auth.nextra);
    }

    /* names that XML 1.0 cannot carry would make the whole body unreadable */

    if (ctx && ngx_http_s3_xml_safe(&ctx->bucket)
        && ngx_http_s3_xml_safe(&ctx->key))
    {
        switch (err) {

        case NGX_HTTP_S3_ERR_NO_SUCH_BUCKET:
        case NGX_HTTP_S3_ERR_BUCKET_ALREADY_EXISTS:
        case NGX_HTTP_S3_ERR_BUCKET_ALREADY_OWNED:
        case NGX_HTTP_S3_ERR_BUCKET_NOT_EMPTY:
            if (ctx->bucket.len) {
                extra[0].name = "BucketName";
                extra[0].value = ctx->bucket;
                n = 1;
            }
            break;

        case NGX_HTTP_S3_ERR_NO_SUCH_KEY:
            if (ctx->key.len) {
                extra[0].name = "Key";
                extra[0].value = ctx->key;
                n = 1;
            }
            break;

        default:
            break;
        }
    }

    return ngx_http_s3_send_error_extra(r, err, message, extra, n);
}


ngx_int_t
ngx_http_s3_send_error_extra(ngx_http_request_t *r, ngx_http_s3_err_e err,
    const char *message, ngx_http_s3_err_extra_t *extra, ngx_uint_t nextra)
{
    u_char                  *p;
    size_t                   len;
    ngx_buf_t               *b;
    ngx_uint_t               i, status, body;
    ngx_chain_t             *cl, *decl;
    ngx_http_s3_ctx_t       *ctx;
    ngx_http_s3_xml_t        w;
    ngx_http_s3_err_info_t  *info;

    static ngx_str_t         retry_after = ngx_string("1");

    if ((ngx_uint_t) err >= NGX_HTTP_S3_ERR_LAST || err == NGX_HTTP_S3_OK) {
        ngx_log_error(NGX_LOG_ALERT, r->connection->log, 0,
                      "s3 error code %d out of range", (int) err);
        err = NGX_HTTP_S3_ERR_INTERNAL;
    }

    info = &ngx_http_s3_errors[err];
    status = info->status;

    if (message == NULL) {
        message = info->message;
    }

    ngx_log_debug3(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "s3 error %ui %V \"%s\"", status, &info->code, message);

    if (r->header_sent) {
        /* too late for an error response: close the connection */
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "s3 error %V after the response header was sent",
                      &info->code);
        return NGX_ERROR;
    }

    ngx_http_s3_body_discard(r);

    /* $s3_error_code: the Code answered (a 304 carries none) */

    ctx = ngx_http_s3_get_ctx(r);

    if (ctx && status != NGX_HTTP_NOT_MODIFIED) {
        ctx->error = err;
    }

    r->headers_out.status = status;
    r->headers_out.content_length_n = 0;
    r->allow_ranges = 0;

    if (r->headers_out.content_length) {
        r->headers_out.content_length->hash = 0;
        r->headers_out.content_length = NULL;
    }

    /* a 503 (metadata process away, disk full, SlowDown) says when */

    if (status == NGX_HTTP_SERVICE_UNAVAILABLE
        && ngx_http_s3_add_header(r, "Retry-After", &retry_after) != NGX_OK)
    {
        return NGX_ERROR;
    }

    body = (status != NGX_HTTP_NOT_MODIFIED
            && r->method != NGX_HTTP_HEAD && !r->header_only);

    if (status == NGX_HTTP_NOT_MODIFIED) {
        r->headers_out.content_length_n = -1;
        return ngx_http_send_header(r);
    }

    ngx_str_set(&r->headers_out.content_type, "application/xml");
    r->headers_out.content_type_len = r->headers_out.content_type.len;
    r->headers_out.content_type_lowcase = NULL;

    if (!body) {
        return ngx_http_send_header(r);
    }

    ngx_http_s3_xml_init(&w, r->pool);

    ngx_http_s3_xml_open(&w, "Error");
    ngx_http_s3_xml_text(&w, "Code", info->code.data, info->code.len);
    ngx_http_s3_xml_cstr(&w, "Message", message);

    for (i = 0; i < nextra; i++) {

        /* values from the request: left out if XML 1.0 cannot carry them */

        if (!ngx_http_s3_xml_text_safe(&extra[i].value)) {
            continue;
        }

        ngx_http_s3_xml_text(&w, extra[i].name, extra[i].value.data,
                             extra[i].value.len);
    }

    if (ctx) {
        if (ngx_http_s3_xml_safe(&ctx->bucket)
            && ngx_http_s3_xml_safe(&ctx->key))
        {
            ngx_http_s3_xml_text(&w, "Resource", ctx->resource.data,
                                 ctx->resource.len);

        } else {
            /* percent-encoded, as it could have come on the wire */

            len = ngx_http_s3_uri_encode(NULL, ctx->resource.data,
                                         ctx->resource.len, 0);
            p = ngx_pnalloc(r->pool, len);
            if (p == NULL) {
                return NGX_ERROR;
            }

            (void) ngx_http_s3_uri_encode(p, ctx->resource.data,
                                          ctx->resource.len, 0);

            ngx_http_s3_xml_text(&w, "Resource", p, len);
        }

        ngx_http_s3_xml_cstr(&w, "RequestId", (char *) ctx->request_id);

    } else {
        ngx_http_s3_xml_text(&w, "Resource", r->uri.data, r->uri.len);
        ngx_http_s3_xml_cstr(&w, "RequestId", "");
    }

    ngx_http_s3_xml_close(&w, "Error");

    cl = ngx_http_s3_xml_finish(&w);
    if (cl == NULL) {
        return NGX_ERROR;
    }

    /*
     * AWS writes <Error> without a namespace, and botocore recognizes an
     * S3 error by the bare root tag: the declaration goes first, then the
     * writer's elements (its root would add xmlns)
     */

    b = ngx_calloc_buf(r->pool);
    if (b == NULL) {
        return NGX_ERROR;
    }

    b->memory = 1;
    b->pos = ngx_http_s3_xml_decl;
    b->last = ngx_http_s3_xml_decl + sizeof(ngx_http_s3_xml_decl) - 1;

    decl = ngx_alloc_chain_link(r->pool);
    if (decl == NULL) {
        return NGX_ERROR;
    }

    decl->buf = b;
    decl->next = cl;

    return ngx_http_s3_send_chain(r, decl);
}


/*
 * Requests nginx refused before the module ran reach it through
 * error_page (see docs/directives.md): r->err_status was the status
 * nginx chose.  nginx closes the connection after most of them.
 */

ngx_int_t
ngx_http_s3_send_status_error(ngx_http_request_t *r, ngx_uint_t status)
{
    u_char                    *p;
    ngx_uint_t                 n;
    const char                *message;
    ngx_table_elt_t           *h;
    ngx_http_s3_err_e          err;
    ngx_http_s3_err_extra_t    extra[2];
    ngx_http_core_srv_conf_t  *cscf;
    ngx_http_core_loc_conf_t  *clcf;

    ngx_log_debug1(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "s3 error page for status %ui", status);

    n = 0;
    message = NULL;

    switch (status) {

    case NGX_HTTP_BAD_REQUEST:

        /*
         * a request line that parsed (the parser sets r->request_end at
         * its end), with a URI nginx refused (a bad escape, %00, ".."
         * above the root): r->unparsed_uri is set once the URI passed
         */

        if (r->request_end && r->unparsed_uri.len == 0) {
            err = NGX_HTTP_S3_ERR_INVALID_URI;

        } else {
            err = NGX_HTTP_S3_ERR_INVALID_REQUEST;
            message = "The request line or a header line is malformed, or "
                      "a header that may appear once is repeated.";
        }

        break;

    case NGX_HTTP_FORBIDDEN:
        err = NGX_HTTP_S3_ERR_ACCESS_DENIED;
        break;

    case NGX_HTTP_NOT_ALLOWED:
        err = NGX_HTTP_S3_ERR_METHOD_NOT_ALLOWED;
        break;

    case NGX_HTTP_LENGTH_REQUIRED:
        err = NGX_HTTP_S3_ERR_MISSING_CONTENT_LENGTH;
        break;

    case NGX_HTTP_REQUEST_ENTITY_TOO_LARGE:
        err = NGX_HTTP_S3_ERR_ENTITY_TOO_LARGE;

        clcf = ngx_http_get_module_loc_conf(r, ngx_http_core_module);

        p = ngx_pnalloc(r->pool, NGX_OFF_T_LEN);
        if (p == NULL) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        /* content_length_n counts down while nginx discards the body */

        h = r->headers_in.content_length;

        if (h && ngx_atoof(h->value.data, h->value.len) >= 0) {
            extra[n].name = "ProposedSize";
            extra[n].value = h->value;
            n++;
        }

        extra[n].name = "MaxSizeAllowed";
        extra[n].value.data = p;
        extra[n].value.len = ngx_sprintf(p, "%O",
                                         clcf->client_max_body_size) - p;
        n++;
        break;

    case NGX_HTTP_REQUEST_URI_TOO_LARGE:
    case NGX_HTTP_REQUEST_HEADER_TOO_LARGE:

        /* S3 counts the request line in the header section too */

        err = NGX_HTTP_S3_ERR_HEADER_TOO_LARGE;

        cscf = ngx_http_get_module_srv_conf(r, ngx_http_core_module);

        p = ngx_pnalloc(r->pool, NGX_SIZE_T_LEN);
        if (p == NULL) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        extra[0].name = "MaxSizeAllowed";
        extra[0].value.data = p;
        extra[0].value.len = ngx_sprintf(p, "%uz",
                                   cscf->large_client_header_buffers.size)
                             - p;
        n = 1;
        break;

    case NGX_HTTP_NOT_IMPLEMENTED:
        err = NGX_HTTP_S3_ERR_NOT_IMPLEMENTED;
        break;

    case NGX_HTTP_BAD_GATEWAY:
    case NGX_HTTP_GATEWAY_TIME_OUT:
        /* gateway mode: the upstream S3 service did not answer */
        err = NGX_HTTP_S3_ERR_SERVICE_UNAVAILABLE;
        message = "The upstream S3 service is unavailable.";
        break;

    case NGX_HTTP_SERVICE_UNAVAILABLE:
        /* limit_req and limit_conn: S3's answer to "too fast" */
        err = NGX_HTTP_S3_ERR_SLOW_DOWN;
        break;

    default:
        err = (status < NGX_HTTP_INTERNAL_SERVER_ERROR)
              ? NGX_HTTP_S3_ERR_INVALID_REQUEST : NGX_HTTP_S3_ERR_INTERNAL;
        break;
    }

    return ngx_http_s3_send_error_extra(r, err, message, extra, n);
}


void
ngx_http_s3_clear_headers_out(ngx_http_request_t *r)
{
    ngx_uint_t        i;
    ngx_list_part_t  *part;
    ngx_table_elt_t  *h;

    part = &r->headers_out.headers.part;
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

        h[i].hash = 0;
    }

    r->headers_out.location = NULL;
    r->headers_out.content_length = NULL;
    r->headers_out.content_range = NULL;
    r->headers_out.last_modified = NULL;
    r->headers_out.etag = NULL;
    r->headers_out.last_modified_time = -1;
    r->headers_out.content_length_n = -1;
}


/*
 * Valid UTF-8 without C0 controls other than tab, CR and LF: what an XML
 * 1.0 parser accepts (a character reference such as &#x1; is not).
 */

static ngx_uint_t
ngx_http_s3_xml_safe(ngx_str_t *s)
{
    if (s->len == 0) {
        return 1;
    }

    if (ngx_http_s3_valid_key(s) != NGX_OK) {
        return 0;
    }

    return ngx_http_s3_xml_text_safe(s);
}


/* the same for any length */

static ngx_uint_t
ngx_http_s3_xml_text_safe(ngx_str_t *s)
{
    u_char  *p, *last;

    if (!ngx_http_s3_valid_utf8(s->data, s->len)) {
        return 0;
    }

    last = s->data + s->len;

    for (p = s->data; p < last; p++) {
        if ((*p < 0x20 && *p != '\t' && *p != '\r' && *p != '\n')
            || *p == 0x7f)
        {
            return 0;
        }
    }

    return 1;
}


ngx_int_t
ngx_http_s3_send_xml(ngx_http_request_t *r, ngx_uint_t status,
    ngx_chain_t *body)
{
    r->headers_out.status = status;

    ngx_str_set(&r->headers_out.content_type, "application/xml");
    r->headers_out.content_type_len = r->headers_out.content_type.len;
    r->headers_out.content_type_lowcase = NULL;

    r->allow_ranges = 0;

    return ngx_http_s3_send_chain(r, body);
}


/* the admin API's answers */

ngx_int_t
ngx_http_s3_send_json(ngx_http_request_t *r, ngx_uint_t status,
    ngx_chain_t *body)
{
    r->headers_out.status = status;

    ngx_str_set(&r->headers_out.content_type, "application/json");
    r->headers_out.content_type_len = r->headers_out.content_type.len;
    r->headers_out.content_type_lowcase = NULL;

    r->allow_ranges = 0;

    return ngx_http_s3_send_chain(r, body);
}


static ngx_int_t
ngx_http_s3_send_chain(ngx_http_request_t *r, ngx_chain_t *body)
{
    off_t         len;
    ngx_int_t     rc;
    ngx_chain_t  *cl;

    len = 0;

    for (cl = body; cl; cl = cl->next) {
        len += ngx_buf_size(cl->buf);
    }

    r->headers_out.content_length_n = len;

    ngx_http_s3_body_discard(r);

    /* preconditions are S3's: nginx's not_modified filter stays out */
    r->disable_not_modified = 1;

    if (r->headers_out.content_length) {
        r->headers_out.content_length->hash = 0;
        r->headers_out.content_length = NULL;
    }

    rc = ngx_http_send_header(r);

    if (rc == NGX_ERROR || rc > NGX_OK || r->header_only) {
        return rc;
    }

    return ngx_http_output_filter(r, body);
}


ngx_int_t
ngx_http_s3_send_empty(ngx_http_request_t *r, ngx_uint_t status)
{
    ngx_int_t  rc;

    r->headers_out.status = status;
    r->headers_out.content_length_n = 0;
    r->allow_ranges = 0;
    r->disable_not_modified = 1;

    if (r->headers_out.content_length) {
        r->headers_out.content_length->hash = 0;
        r->headers_out.content_length = NULL;
    }

    ngx_http_s3_body_discard(r);

    rc = ngx_http_send_header(r);

    if (rc == NGX_ERROR || rc > NGX_OK || r->header_only) {
        return rc;
    }

    return ngx_http_send_special(r, NGX_HTTP_LAST);
}


ngx_http_s3_err_e
ngx_http_s3_meta_error(ngx_uint_t status)
{
    switch (status) {

    case NGX_HTTP_S3_WIRE_ST_NO_BUCKET:
        return NGX_HTTP_S3_ERR_NO_SUCH_BUCKET;

    case NGX_HTTP_S3_WIRE_ST_NO_KEY:
        return NGX_HTTP_S3_ERR_NO_SUCH_KEY;

    case NGX_HTTP_S3_WIRE_ST_NO_VERSION:
        return NGX_HTTP_S3_ERR_NO_SUCH_VERSION;

    case NGX_HTTP_S3_WIRE_ST_EXISTS:
        return NGX_HTTP_S3_ERR_BUCKET_ALREADY_EXISTS;

    case NGX_HTTP_S3_WIRE_ST_NOT_EMPTY:
        return NGX_HTTP_S3_ERR_BUCKET_NOT_EMPTY;

    case NGX_HTTP_S3_WIRE_ST_PRECONDITION:
        return NGX_HTTP_S3_ERR_PRECONDITION_FAILED;

    case NGX_HTTP_S3_WIRE_ST_UNAVAILABLE:
        return NGX_HTTP_S3_ERR_SERVICE_UNAVAILABLE;

    case NGX_HTTP_S3_WIRE_ST_NO_UPLOAD:
        return NGX_HTTP_S3_ERR_NO_SUCH_UPLOAD;

    case NGX_HTTP_S3_WIRE_ST_INVALID_PART:
        return NGX_HTTP_S3_ERR_INVALID_PART;

    case NGX_HTTP_S3_WIRE_ST_PART_TOO_SMALL:
        return NGX_HTTP_S3_ERR_ENTITY_TOO_SMALL;

    case NGX_HTTP_S3_WIRE_ST_BAD_DIGEST:
        return NGX_HTTP_S3_ERR_BAD_DIGEST;

    case NGX_HTTP_S3_WIRE_ST_CHECKSUM_MISSING:
    case NGX_HTTP_S3_WIRE_ST_CHECKSUM_TYPE:
        return NGX_HTTP_S3_ERR_INVALID_REQUEST;

    case NGX_HTTP_S3_WIRE_ST_TOO_LARGE:
        return NGX_HTTP_S3_ERR_ENTITY_TOO_LARGE;

    case NGX_HTTP_S3_WIRE_ST_SOURCE_TOO_LARGE:
        return NGX_HTTP_S3_ERR_INVALID_REQUEST;

    case NGX_HTTP_S3_WIRE_ST_QUOTA:
        return NGX_HTTP_S3_ERR_QUOTA_EXCEEDED;

    case NGX_HTTP_S3_WIRE_ST_DELETE_MARKER:
        return NGX_HTTP_S3_ERR_INVALID_REQUEST;

    case NGX_HTTP_S3_WIRE_ST_LOCKED:
        return NGX_HTTP_S3_ERR_ACCESS_DENIED;

    case NGX_HTTP_S3_WIRE_ST_NO_LOCK:
        return NGX_HTTP_S3_ERR_INVALID_REQUEST;

    case NGX_HTTP_S3_WIRE_ST_BUCKET_STATE:
        return NGX_HTTP_S3_ERR_INVALID_BUCKET_STATE;

    default:
        return NGX_HTTP_S3_ERR_INTERNAL;
    }
}


/* the message S3 gives for a status's error, where the code's is not it */

const char *
ngx_http_s3_meta_message(ngx_uint_t status)
{
    switch (status) {

    case NGX_HTTP_S3_WIRE_ST_LOCKED:
        return "Access Denied because object protected by object lock.";

    case NGX_HTTP_S3_WIRE_ST_NO_LOCK:
        return "Bucket is missing ObjectLockConfiguration";

    case NGX_HTTP_S3_WIRE_ST_BUCKET_STATE:
        return "Versioning must be 'Enabled' on the bucket to apply a "
               "Object Lock configuration";

    default:
        return NULL;
    }
}


const char *
ngx_http_s3_meta_status_text(ngx_uint_t status)
{
    static const char  *text[] = {
        "ok", "no bucket", "no key", "exists", "not empty", "precondition",
        "bad request", "error", "unavailable", "no upload", "invalid part",
        "part too small", "bad digest", "checksum missing",
        "checksum type", "too large", "changed", "source too large",
        "bad range", "checksum needed", "no user", "no version",
        "delete marker"
    };

    if (status < sizeof(text) / sizeof(text[0])) {
        return text[status];
    }

    switch (status) {

    case NGX_HTTP_S3_WIRE_ST_LOCKED:
        return "locked";

    case NGX_HTTP_S3_WIRE_ST_NO_LOCK:
        return "no object lock";

    case NGX_HTTP_S3_WIRE_ST_BUCKET_STATE:
        return "bucket state";

    default:
        break;
    }

    return "unknown";
}
