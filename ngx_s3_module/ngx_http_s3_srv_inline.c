
/*
 * Copyright (C) ngx_s3 authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>
#include <ngx_md5.h>

#include "ngx_http_s3.h"
#include "ngx_http_s3_srv.h"
#include "ngx_http_s3_checksum.h"


/*
 * Inline bodies: a body of at most s3_inline_max bytes is stored as
 * "I<body id>" in the database, written in the batch of the record that
 * first names it, instead of a file.  The body id, its reference count
 * ("R<body id>") and every record that names it work as for a file; the
 * records say OBJECT_INLINE in their flags.  The bytes go when the count
 * reaches 0, in the batch that takes the last reference.
 */


static ngx_int_t ngx_http_s3_srv_inline_key(ngx_http_s3_exec_t *ex,
    ngx_str_t *k, ngx_str_t *id);
static ngx_int_t ngx_http_s3_srv_inline_sync(ngx_http_s3_exec_t *ex,
    u_char *path, u_char *end);


static ngx_int_t
ngx_http_s3_srv_inline_key(ngx_http_s3_exec_t *ex, ngx_str_t *k,
    ngx_str_t *id)
{
    if (!ngx_http_s3_valid_body_id(id)) {
        ngx_log_error(NGX_LOG_ERR, ex->log, 0,
                      "s3 metadata: an inline body with a bad id");
        return NGX_ERROR;
    }

    k->len = 1 + id->len;
    k->data = ngx_pnalloc(ex->pool, k->len);
    if (k->data == NULL) {
        return NGX_ERROR;
    }

    k->data[0] = 'I';
    ngx_memcpy(k->data + 1, id->data, id->len);

    return NGX_OK;
}


ngx_int_t
ngx_http_s3_srv_inline_put(ngx_http_s3_exec_t *ex, ngx_str_t *id,
    ngx_str_t *data)
{
    ngx_str_t  k;

    if (ngx_http_s3_srv_inline_key(ex, &k, id) != NGX_OK) {
        return NGX_ERROR;
    }

    ngx_http_s3_batch_put(ex->batch, &k, data);

    return NGX_OK;
}


ngx_int_t
ngx_http_s3_srv_inline_delete(ngx_http_s3_exec_t *ex, ngx_str_t *id)
{
    ngx_str_t  k;

    if (ngx_http_s3_srv_inline_key(ex, &k, id) != NGX_OK) {
        return NGX_ERROR;
    }

    ngx_http_s3_batch_delete(ex->batch, &k);

    return NGX_OK;
}


ngx_int_t
ngx_http_s3_srv_inline_get(ngx_http_s3_exec_t *ex, ngx_str_t *id,
    ngx_str_t *data)
{
    ngx_int_t  rc;
    ngx_str_t  k, v;

    if (ngx_http_s3_srv_inline_key(ex, &k, id) != NGX_OK) {
        return NGX_ERROR;
    }

    rc = ngx_http_s3_engine_get(ex->log, &k, &v);

    if (rc == NGX_DECLINED) {
        ngx_log_error(NGX_LOG_ALERT, ex->log, 0,
                      "s3 metadata: inline body \"%V\" is missing", id);
        return NGX_ERROR;
    }

    if (rc != NGX_OK) {
        return NGX_ERROR;
    }

    data->len = v.len;
    data->data = ngx_pnalloc(ex->pool, ngx_max(v.len, 1));

    if (data->data == NULL) {
        ngx_http_s3_engine_free(&v);
        return NGX_ERROR;
    }

    ngx_memcpy(data->data, v.data, v.len);
    ngx_http_s3_engine_free(&v);

    return NGX_OK;
}


/* a record as OBJECT_GET answers it: an inline body's bytes follow it */

ngx_uint_t
ngx_http_s3_srv_inline_reply(ngx_http_s3_exec_t *ex, ngx_str_t *rec)
{
    ngx_str_t              data;
    ngx_http_s3_object_t   o;

    if (ngx_http_s3_object_decode(rec, &o, NULL) == NGX_OK
        && (o.flags & NGX_HTTP_S3_OBJECT_INLINE))
    {
        if (ngx_http_s3_srv_inline_get(ex, &o.body, &data) != NGX_OK) {
            return NGX_HTTP_S3_WIRE_ST_ERROR;
        }

        ngx_http_s3_wire_put_raw(ex->out, rec->data, rec->len);
        ngx_http_s3_wire_put_u8(ex->out, NGX_HTTP_S3_FIELD_INLINE_DATA);
        ngx_http_s3_wire_put_str(ex->out, &data);

        return NGX_HTTP_S3_WIRE_ST_OK;
    }

    ngx_http_s3_wire_put_raw(ex->out, rec->data, rec->len);

    return NGX_HTTP_S3_WIRE_ST_OK;
}


/*
 * UploadPartCopy from an inline source: a part is a body file (parts'
 * bodies become an object's extents), so the bytes of the range become
 * a new file (ngx_http_s3_srv_inline_file(), just before the commit that
 * names it).  The part's ETag is their MD5, its checksum (alg, if any)
 * theirs.
 */

ngx_int_t
ngx_http_s3_srv_inline_part(ngx_http_s3_exec_t *ex, ngx_http_s3_object_t *src,
    uint64_t first, uint64_t len, ngx_uint_t alg, ngx_str_t *seed,
    ngx_http_s3_object_t *part, ngx_str_t *bytes)
{
    u_char                  *p;
    ngx_md5_t                md5;
    ngx_str_t                data, range;
    ngx_http_s3_checksum_t   ck;
    u_char                   sum[16];

    if (ngx_http_s3_srv_inline_get(ex, &src->body, &data) != NGX_OK) {
        return NGX_ERROR;
    }

    if (data.len != src->size || first + len > data.len) {
        ngx_log_error(NGX_LOG_ALERT, ex->log, 0,
                      "s3 metadata: inline body \"%V\" has %uz bytes, "
                      "its record says %uL", &src->body, data.len,
                      src->size);
        return NGX_ERROR;
    }

    range.data = data.data + first;
    range.len = (size_t) len;

    ngx_md5_init(&md5);
    ngx_md5_update(&md5, range.data, range.len);
    ngx_md5_final(sum, &md5);

    p = ngx_pnalloc(ex->pool, 32);
    if (p == NULL) {
        return NGX_ERROR;
    }

    ngx_hex_dump(p, sum, 16);

    part->etag.data = p;
    part->etag.len = 32;
    part->extents = NULL;

    if (alg != NGX_HTTP_S3_CHECKSUM_NONE) {
        p = ngx_pnalloc(ex->pool, NGX_HTTP_S3_CHECKSUM_MAX_SIZE);

        if (p == NULL
            || ngx_http_s3_checksum_init(&ck, ex->pool, alg) != NGX_OK
            || ngx_http_s3_checksum_update(&ck, range.data, range.len)
               != NGX_OK
            || ngx_http_s3_checksum_final(&ck, p) != NGX_OK)
        {
            return NGX_ERROR;
        }

        part->checksum_alg = alg;
        part->checksum_type = NGX_HTTP_S3_CHECKSUM_FULL_OBJECT;
        part->checksum.data = p;
        part->checksum.len = ngx_http_s3_checksum_size(alg);
    }

    /*
     * the file's id: of the request (with its mtime, the source's body
     * and the range), so that a replay names the same file and is
     * recognised as a replay; another request makes another file
     */

    ngx_md5_init(&md5);
    ngx_md5_update(&md5, "ngx_s3 inline part ", 19);
    ngx_md5_update(&md5, src->body.data, src->body.len);
    ngx_md5_update(&md5, seed->data, seed->len);
    ngx_md5_final(sum, &md5);

    part->body.len = NGX_HTTP_S3_BODY_ID_LEN;
    part->body.data = ngx_pnalloc(ex->pool, NGX_HTTP_S3_BODY_ID_LEN);
    if (part->body.data == NULL) {
        return NGX_ERROR;
    }

    ngx_hex_dump(part->body.data, sum, 16);

    *bytes = range;

    return NGX_OK;
}


/*
 * the body file id of data, durable; a file of that id that exists
 * already is an earlier write of the same request (a replay): kept if it
 * holds exactly data and is not about to be unlinked
 */

ngx_int_t
ngx_http_s3_srv_inline_file(ngx_http_s3_exec_t *ex, ngx_str_t *data,
    ngx_str_t *id)
{
    u_char                   *path, *name, *p;
    size_t                    len;
    ssize_t                   n;
    ngx_fd_t                  fd;
    ngx_err_t                 err;
    ngx_file_info_t           fi;
    ngx_http_s3_main_conf_t  *smcf;

    smcf = ngx_http_s3_srv_conf();

    path = ngx_pnalloc(ex->pool, smcf->data.len + 48);

    if (path == NULL || ngx_http_s3_body_path(smcf, path, id) == NULL) {
        return NGX_ERROR;
    }

    len = ngx_strlen(path);
    name = path + len - NGX_HTTP_S3_BODY_ID_LEN - 1;   /* "/<id>" */

    err = ngx_create_full_path(path, 0700);

    if (err) {
        ngx_log_error(NGX_LOG_CRIT, ex->log, err,
                      ngx_create_dir_n " \"%s\" failed", path);
        return NGX_ERROR;
    }

    fd = ngx_open_file(path, NGX_FILE_WRONLY, NGX_FILE_CREATE_OR_OPEN|O_EXCL,
                       0600);

    if (fd == NGX_INVALID_FILE && ngx_errno == NGX_EEXIST
        && !ngx_http_s3_srv_unlink_pending(id))
    {
        /* a replay: the same bytes, made durable again */

        fd = ngx_open_file(path, NGX_FILE_RDONLY, NGX_FILE_OPEN, 0);
        p = ngx_pnalloc(ex->pool, data->len + 1);

        if (fd != NGX_INVALID_FILE && p
            && ngx_fd_info(fd, &fi) != NGX_FILE_ERROR
            && ngx_file_size(&fi) == (off_t) data->len
            && read(fd, p, data->len + 1) == (ssize_t) data->len
            && ngx_memcmp(p, data->data, data->len) == 0
            && (smcf->fsync != NGX_HTTP_S3_FSYNC_ON || fsync(fd) == 0))
        {
            (void) ngx_close_file(fd);
            return NGX_OK;
        }

        if (fd != NGX_INVALID_FILE) {
            (void) ngx_close_file(fd);
        }

        ngx_log_error(NGX_LOG_ALERT, ex->log, 0,
                      "s3 metadata: body file \"%s\" exists and is not "
                      "the part copied", path);
        return NGX_ERROR;
    }

    if (fd == NGX_INVALID_FILE) {
        ngx_log_error(NGX_LOG_CRIT, ex->log, ngx_errno,
                      ngx_open_file_n " \"%s\" failed", path);
        return NGX_ERROR;
    }

    n = data->len ? write(fd, data->data, data->len) : 0;

    if (n != (ssize_t) data->len
        || (smcf->fsync == NGX_HTTP_S3_FSYNC_ON && fsync(fd) == -1))
    {
        ngx_log_error(NGX_LOG_CRIT, ex->log, ngx_errno,
                      "writing \"%s\" failed", path);
        (void) ngx_close_file(fd);
        (void) ngx_delete_file(path);
        return NGX_ERROR;
    }

    (void) ngx_close_file(fd);

    /* its name, and the fan-out directories it may have made, durable */

    if (smcf->fsync == NGX_HTTP_S3_FSYNC_ON
        && (ngx_http_s3_srv_inline_sync(ex, path, name) != NGX_OK
            || ngx_http_s3_srv_inline_sync(ex, path, name - 3) != NGX_OK
            || ngx_http_s3_srv_inline_sync(ex, path, name - 6) != NGX_OK))
    {
        (void) ngx_delete_file(path);
        return NGX_ERROR;
    }

    return NGX_OK;
}


/* fsync the directory path[0..end) */

static ngx_int_t
ngx_http_s3_srv_inline_sync(ngx_http_s3_exec_t *ex, u_char *path,
    u_char *end)
{
    u_char     c;
    ngx_fd_t   fd;
    ngx_int_t  rc;

    c = *end;
    *end = '\0';

    rc = NGX_OK;

    fd = ngx_open_file(path, NGX_FILE_RDONLY, NGX_FILE_OPEN, 0);

    if (fd == NGX_INVALID_FILE || fsync(fd) == -1) {
        ngx_log_error(NGX_LOG_CRIT, ex->log, ngx_errno,
                      "fsync(\"%s\") failed", path);
        rc = NGX_ERROR;
    }

    if (fd != NGX_INVALID_FILE) {
        (void) ngx_close_file(fd);
    }

    *end = c;

    return rc;
}
