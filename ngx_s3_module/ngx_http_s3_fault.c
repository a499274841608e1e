
/*
 * Copyright (C) ngx_s3 authors
 */


#include <ngx_config.h>
#include <ngx_core.h>

#include "ngx_http_s3_fault.h"


/*
 * Fault injection for tests (see ngx_http_s3_fault.h).  The spec parser is
 * pure and always built (unit tests call it); the fault points and the
 * reading of <s3_data>/faults exist only with -DNGX_HTTP_S3_FAULTS.
 */


static const char  *ngx_http_s3_fault_points[] = {
    "engine.read",
    "engine.write",
    "engine.iter",
    "store.create",
    "store.write",
    "store.fsync",
    "engine.sync"
};


static const char  *ngx_http_s3_fault_errors[] = {
    "none",
    "eio",
    "enospc",
    "corruption",
    "delay"
};


ngx_int_t
ngx_http_s3_fault_parse(u_char *p, size_t len, ngx_http_s3_fault_t *f,
    u_char **bad)
{
    u_char      *last, *start, *name, *end;
    size_t       n;
    ngx_uint_t   i, point, nth, sticky, error;

    ngx_memzero(f, NGX_HTTP_S3_FAULT_LAST * sizeof(ngx_http_s3_fault_t));

    last = p + len;

    for ( ;; ) {

        /* separators and comments */

        while (p < last) {
            if (*p == '#') {
                while (p < last && *p != '\n') {
                    p++;
                }

            } else if (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n'
                       || *p == ',' || *p == ';')
            {
                p++;

            } else {
                break;
            }
        }

        if (p == last) {
            return NGX_OK;
        }

        start = p;

        /* <point>= */

        name = p;

        while (p < last && *p != '=') {
            p++;
        }

        n = p - name;
        point = NGX_HTTP_S3_FAULT_LAST;

        for (i = 0; i < NGX_HTTP_S3_FAULT_LAST; i++) {
            if (ngx_strlen(ngx_http_s3_fault_points[i]) == n
                && ngx_strncmp(name, ngx_http_s3_fault_points[i], n) == 0)
            {
                point = i;
                break;
            }
        }

        if (point == NGX_HTTP_S3_FAULT_LAST || p == last) {
            goto invalid;
        }

        p++;

        /* <n>[+] */

        nth = 0;

        while (p < last && *p >= '0' && *p <= '9') {
            if (nth >= 100000000) {
                goto invalid;
            }

            nth = nth * 10 + (*p++ - '0');
        }

        if (nth == 0) {
            goto invalid;
        }

        sticky = 0;

        if (p < last && *p == '+') {
            sticky = 1;
            p++;
        }

        /* [:<error>] */

        error = NGX_HTTP_S3_FAULT_EIO;

        if (p < last && *p == ':') {
            name = ++p;

            while (p < last && ((*p >= 'a' && *p <= 'z')
                                || (*p >= '0' && *p <= '9')))
            {
                p++;
            }

            n = p - name;
            error = NGX_HTTP_S3_FAULT_NONE;

            for (i = NGX_HTTP_S3_FAULT_EIO;
                 i <= NGX_HTTP_S3_FAULT_DELAY;
                 i++)
            {
                if (ngx_strlen(ngx_http_s3_fault_errors[i]) == n
                    && ngx_strncmp(name, ngx_http_s3_fault_errors[i], n)
                       == 0)
                {
                    error = i;
                    break;
                }
            }

            if (error == NGX_HTTP_S3_FAULT_NONE) {
                goto invalid;
            }
        }

        /* a body file has no "corruption" to report */

        if (error == NGX_HTTP_S3_FAULT_CORRUPTION
            && point >= NGX_HTTP_S3_FAULT_STORE_CREATE)
        {
            goto invalid;
        }

        /* a slow call: of an fsync, which runs in a thread */

        if (error == NGX_HTTP_S3_FAULT_DELAY
            && point != NGX_HTTP_S3_FAULT_STORE_FSYNC)
        {
            goto invalid;
        }

        /* the entry ends here */

        end = p;

        if (end < last && *end != ' ' && *end != '\t' && *end != '\r'
            && *end != '\n' && *end != ',' && *end != ';' && *end != '#')
        {
            goto invalid;
        }

        f[point].nth = nth;
        f[point].sticky = sticky;
        f[point].error = error;

        continue;

    invalid:

        *bad = start;
        return NGX_ERROR;
    }
}


const char *
ngx_http_s3_fault_point_name(ngx_uint_t point)
{
    return (point < NGX_HTTP_S3_FAULT_LAST)
           ? ngx_http_s3_fault_points[point] : "unknown";
}


const char *
ngx_http_s3_fault_error_name(ngx_uint_t error)
{
    return (error <= NGX_HTTP_S3_FAULT_DELAY)
           ? ngx_http_s3_fault_errors[error] : "unknown";
}


#if (NGX_HTTP_S3_FAULTS)

#include <ngx_http.h>

#include "ngx_http_s3.h"


#define NGX_HTTP_S3_FAULT_FILE_MAX  4096


static ngx_http_s3_fault_t  ngx_http_s3_faults[NGX_HTTP_S3_FAULT_LAST];
static ngx_uint_t           ngx_http_s3_fault_calls[NGX_HTTP_S3_FAULT_LAST];


/*
 * The file is read at every fault point: a test build only.  It is armed
 * anew, its counts started again, whenever it changes (another inode, time
 * or content): a test writes it to a temporary name and renames it.
 */

ngx_uint_t
ngx_http_s3_fault(ngx_log_t *log, ngx_uint_t point)
{
    u_char                   *bad;
    size_t                    len;
    ssize_t                   n;
    ngx_fd_t                  fd;
    ngx_uint_t                count;
    ngx_file_info_t           fi;
    ngx_http_s3_fault_t      *f, parsed[NGX_HTTP_S3_FAULT_LAST];
    ngx_http_s3_main_conf_t  *smcf;

    static u_char             path[NGX_MAX_PATH];
    static u_char             seen[NGX_HTTP_S3_FAULT_FILE_MAX];
    static size_t             seen_len;
    static ngx_file_info_t    seen_fi;
    static ngx_uint_t         armed;

    u_char                    buf[NGX_HTTP_S3_FAULT_FILE_MAX];

    if (path[0] == '\0') {
        smcf = ngx_http_cycle_get_module_main_conf(ngx_cycle,
                                                   ngx_http_s3_module);
        if (smcf == NULL
            || smcf->data.len + sizeof("/faults") > NGX_MAX_PATH)
        {
            return NGX_HTTP_S3_FAULT_NONE;
        }

        ngx_memcpy(ngx_cpymem(path, smcf->data.data, smcf->data.len),
                   "/faults", sizeof("/faults"));
    }

    fd = ngx_open_file(path, NGX_FILE_RDONLY, NGX_FILE_OPEN, 0);

    if (fd == NGX_INVALID_FILE) {
        if (armed) {
            ngx_log_error(NGX_LOG_NOTICE, log, 0, "s3 faults cleared");
            ngx_memzero(ngx_http_s3_faults, sizeof(ngx_http_s3_faults));
            armed = 0;
        }

        return NGX_HTTP_S3_FAULT_NONE;
    }

    n = -1;

    if (ngx_fd_info(fd, &fi) != NGX_FILE_ERROR) {
        n = read(fd, buf, sizeof(buf));
    }

    (void) ngx_close_file(fd);

    if (n < 0) {
        return NGX_HTTP_S3_FAULT_NONE;
    }

    len = n;

    if (!armed
        || len != seen_len || ngx_memcmp(buf, seen, len) != 0
        || fi.st_ino != seen_fi.st_ino
        || fi.st_mtim.tv_sec != seen_fi.st_mtim.tv_sec
        || fi.st_mtim.tv_nsec != seen_fi.st_mtim.tv_nsec)
    {
        if (ngx_http_s3_fault_parse(buf, len, parsed, &bad) != NGX_OK) {
            ngx_log_error(NGX_LOG_ERR, log, 0,
                          "s3 faults: \"%s\" is not understood at \"%*s\"",
                          path, (size_t) ngx_min(buf + len - bad, 32), bad);
            ngx_memzero(parsed, sizeof(parsed));
        }

        ngx_memcpy(ngx_http_s3_faults, parsed, sizeof(parsed));
        ngx_memzero(ngx_http_s3_fault_calls,
                    sizeof(ngx_http_s3_fault_calls));
        ngx_memcpy(seen, buf, len);
        seen_len = len;
        seen_fi = fi;
        armed = 1;

        ngx_log_error(NGX_LOG_NOTICE, log, 0, "s3 faults armed: \"%*s\"",
                      len, buf);
    }

    f = &ngx_http_s3_faults[point];

    if (f->nth == 0) {
        return NGX_HTTP_S3_FAULT_NONE;
    }

    count = ++ngx_http_s3_fault_calls[point];

    if (count < f->nth || (count > f->nth && !f->sticky)) {
        return NGX_HTTP_S3_FAULT_NONE;
    }

    ngx_log_error(NGX_LOG_ERR, log, 0, "s3 fault injected: %s #%ui: %s",
                  ngx_http_s3_fault_point_name(point), count,
                  ngx_http_s3_fault_error_name(f->error));

    return f->error;
}

#endif
