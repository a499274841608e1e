
/*
 * Copyright (C) ngx_s3 authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_s3.h"
#include "ngx_http_s3_ops.h"
#include "ngx_http_s3_rcache.h"


/*
 * The module: its directives and configuration, its processes' start
 * and exit.  Requests are routed in ngx_http_s3_handler.c.
 */


static void *ngx_http_s3_create_main_conf(ngx_conf_t *cf);
static char *ngx_http_s3_init_main_conf(ngx_conf_t *cf, void *conf);
static void *ngx_http_s3_create_loc_conf(ngx_conf_t *cf);
static char *ngx_http_s3_merge_loc_conf(ngx_conf_t *cf, void *parent,
    void *child);
static char *ngx_http_s3(ngx_conf_t *cf, ngx_command_t *cmd, void *conf);
static char *ngx_http_s3_data(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static char *ngx_http_s3_thread_pool(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static char *ngx_http_s3_access_key(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static char *ngx_http_s3_key_file(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static char *ngx_http_s3_admin(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static ngx_int_t ngx_http_s3_postconfiguration(ngx_conf_t *cf);
static ngx_int_t ngx_http_s3_init_zone(ngx_shm_zone_t *shm_zone, void *data);
static ngx_int_t ngx_http_s3_shared_init(ngx_shm_zone_t *zone, void *data);
static ngx_int_t ngx_http_s3_init_process(ngx_cycle_t *cycle);
static void ngx_http_s3_exit_process(ngx_cycle_t *cycle);


static ngx_conf_enum_t  ngx_http_s3_fsync_modes[] = {
    { ngx_string("off"), NGX_HTTP_S3_FSYNC_OFF },
    { ngx_string("on"), NGX_HTTP_S3_FSYNC_ON },
    { ngx_null_string, 0 }
};


/* an inline body travels in one frame and one LevelDB value */
static ngx_conf_num_bounds_t  ngx_http_s3_inline_max_bounds = {
    ngx_conf_check_num_bounds, 0, 1024 * 1024
};


static ngx_command_t  ngx_http_s3_commands[] = {

    { ngx_string("s3"),
      NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_NOARGS,
      ngx_http_s3,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("s3_domain"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_str_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_s3_loc_conf_t, domain),
      NULL },

    { ngx_string("s3_data"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_http_s3_data,
      NGX_HTTP_MAIN_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("s3_region"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_str_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_s3_main_conf_t, region),
      NULL },

    { ngx_string("s3_access_key"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE2,
      ngx_http_s3_access_key,
      NGX_HTTP_MAIN_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("s3_key_file"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_http_s3_key_file,
      NGX_HTTP_MAIN_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("s3_admin"),
      NGX_HTTP_LOC_CONF|NGX_CONF_NOARGS,
      ngx_http_s3_admin,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("s3_fsync"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_enum_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_s3_main_conf_t, fsync),
      &ngx_http_s3_fsync_modes },

    { ngx_string("s3_thread_pool"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_http_s3_thread_pool,
      NGX_HTTP_MAIN_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("s3_min_free"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_off_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_s3_main_conf_t, min_free),
      NULL },

    { ngx_string("s3_inline_max"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_size_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_s3_main_conf_t, inline_max),
      &ngx_http_s3_inline_max_bounds },

    { ngx_string("s3_quota"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_2MORE,
      ngx_http_s3_quota,
      NGX_HTTP_MAIN_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("s3_meta_timeout"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_msec_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_s3_main_conf_t, meta_timeout),
      NULL },

    { ngx_string("s3_max_clock_skew"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_sec_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_s3_main_conf_t, max_skew),
      NULL },

    { ngx_string("s3_metrics"),
      NGX_HTTP_LOC_CONF|NGX_CONF_NOARGS,
      ngx_http_s3_metrics_conf,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("s3_sigv2"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_FLAG,
      ngx_conf_set_flag_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_s3_main_conf_t, sigv2),
      NULL },

    { ngx_string("s3_orphan_grace"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_sec_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_s3_main_conf_t, orphan_grace),
      NULL },

    { ngx_string("s3_cors_default"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_http_s3_cors_default,
      NGX_HTTP_MAIN_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("s3_multipart_expiry"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_sec_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_s3_main_conf_t, multipart_expiry),
      NULL },

    { ngx_string("s3_record_cache"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_http_s3_rcache_directive,
      NGX_HTTP_MAIN_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("s3_gateway"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_http_s3_gw_directive,
      NGX_HTTP_MAIN_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("s3_gateway_host"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_http_s3_gw_directive,
      NGX_HTTP_MAIN_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("s3_gateway_credentials"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE2,
      ngx_http_s3_gw_directive,
      NGX_HTTP_MAIN_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("s3_gateway_region"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_http_s3_gw_directive,
      NGX_HTTP_MAIN_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("s3_gateway_bucket"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_1MORE,
      ngx_http_s3_gw_directive,
      NGX_HTTP_MAIN_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("s3_gateway_cache"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_http_s3_gw_directive,
      NGX_HTTP_MAIN_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("s3_gateway_cache_valid"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_http_s3_gw_directive,
      NGX_HTTP_MAIN_CONF_OFFSET,
      0,
      NULL },

      ngx_null_command
};


static ngx_http_module_t  ngx_http_s3_module_ctx = {
    ngx_http_s3_add_variables,             /* preconfiguration */
    ngx_http_s3_postconfiguration,         /* postconfiguration */

    ngx_http_s3_create_main_conf,          /* create main configuration */
    ngx_http_s3_init_main_conf,            /* init main configuration */

    NULL,                                  /* create server configuration */
    NULL,                                  /* merge server configuration */

    ngx_http_s3_create_loc_conf,           /* create location configuration */
    ngx_http_s3_merge_loc_conf             /* merge location configuration */
};


ngx_module_t  ngx_http_s3_module = {
    NGX_MODULE_V1,
    &ngx_http_s3_module_ctx,               /* module context */
    ngx_http_s3_commands,                  /* module directives */
    NGX_HTTP_MODULE,                       /* module type */
    NULL,                                  /* init master */
    NULL,                                  /* init module */
    ngx_http_s3_init_process,              /* init process */
    NULL,                                  /* init thread */
    NULL,                                  /* exit thread */
    ngx_http_s3_exit_process,              /* exit process */
    NULL,                                  /* exit master */
    NGX_MODULE_V1_PADDING
};


static ngx_int_t
ngx_http_s3_postconfiguration(ngx_conf_t *cf)
{
    if (ngx_http_s3_metrics_init(cf) != NGX_OK) {
        return NGX_ERROR;
    }

    if (ngx_http_s3_gw_init(cf) != NGX_OK) {
        return NGX_ERROR;
    }

    return ngx_http_s3_cors_init(cf);
}


/* no id ever names a file outside <data>/objects */

u_char *
ngx_http_s3_body_path(ngx_http_s3_main_conf_t *smcf, u_char *buf,
    ngx_str_t *id)
{
    u_char  *p;

    if (!ngx_http_s3_valid_body_id(id)) {
        return NULL;
    }

    p = ngx_cpymem(buf, smcf->data.data, smcf->data.len);
    p = ngx_cpymem(p, "/objects/", sizeof("/objects/") - 1);

    *p++ = id->data[0];
    *p++ = id->data[1];
    *p++ = '/';
    *p++ = id->data[2];
    *p++ = id->data[3];
    *p++ = '/';

    p = ngx_cpymem(p, id->data, NGX_HTTP_S3_BODY_ID_LEN);
    *p = '\0';

    return buf;
}


static ngx_int_t
ngx_http_s3_init_process(ngx_cycle_t *cycle)
{
    ngx_http_s3_main_conf_t  *smcf;

    ngx_http_s3_metrics_init_process(cycle);

    smcf = ngx_http_cycle_get_module_main_conf(cycle, ngx_http_s3_module);

    if (smcf == NULL || smcf->data.len == 0) {
        return NGX_OK;
    }

    if (ngx_process == NGX_PROCESS_HELPER) {
        /* the cache manager opens the database from its path manager */
        return NGX_OK;
    }

    if (ngx_process == NGX_PROCESS_SINGLE) {
        if (ngx_http_s3_server_open(cycle, smcf) != NGX_OK) {
            return NGX_ERROR;
        }
    }

    return ngx_http_s3_meta_init_worker(cycle);
}


static void
ngx_http_s3_exit_process(ngx_cycle_t *cycle)
{
    ngx_http_s3_meta_exit_worker(cycle);

    if (ngx_process == NGX_PROCESS_SINGLE) {
        ngx_http_s3_server_exit();
    }
}


static void *
ngx_http_s3_create_main_conf(ngx_conf_t *cf)
{
    ngx_http_s3_main_conf_t  *smcf;

    smcf = ngx_pcalloc(cf->pool, sizeof(ngx_http_s3_main_conf_t));
    if (smcf == NULL) {
        return NULL;
    }

    /*
     * set by ngx_pcalloc():
     *
     *     smcf->data = { 0, NULL };
     *     smcf->socket = { 0, NULL };
     *     smcf->region = { 0, NULL };
     *     smcf->path = NULL;
     */

    smcf->fsync = NGX_CONF_UNSET_UINT;
    smcf->thread_pool = NGX_CONF_UNSET_PTR;
    smcf->min_free = NGX_CONF_UNSET;
    smcf->inline_max = NGX_CONF_UNSET_SIZE;
    smcf->meta_timeout = NGX_CONF_UNSET_MSEC;
    smcf->max_skew = NGX_CONF_UNSET;
    smcf->sigv2 = NGX_CONF_UNSET;
    smcf->orphan_grace = NGX_CONF_UNSET;
    smcf->multipart_expiry = NGX_CONF_UNSET;
    smcf->keys = NGX_CONF_UNSET_PTR;
    smcf->master_keys = NGX_CONF_UNSET_PTR;
    smcf->record_cache = NGX_CONF_UNSET_SIZE;

    return smcf;
}


static char *
ngx_http_s3_init_main_conf(ngx_conf_t *cf, void *conf)
{
    ngx_http_s3_main_conf_t *smcf = conf;

    ngx_conf_init_uint_value(smcf->fsync, NGX_HTTP_S3_FSYNC_ON);
    ngx_conf_init_value(smcf->min_free, 64 * 1024 * 1024);
    ngx_conf_init_size_value(smcf->inline_max, NGX_HTTP_S3_INLINE_MAX);
    ngx_conf_init_msec_value(smcf->meta_timeout, 30000);
    ngx_conf_init_value(smcf->max_skew, 900);
    ngx_conf_init_value(smcf->sigv2, 1);
    ngx_conf_init_value(smcf->orphan_grace, 3600);
    ngx_conf_init_value(smcf->multipart_expiry, 7 * 86400);

    if (smcf->orphan_grace
        && (ngx_msec_t) smcf->orphan_grace * 1000 <= smcf->meta_timeout)
    {
        ngx_log_error(NGX_LOG_WARN, cf->log, 0,
                      "\"s3_orphan_grace\" %T s is not longer than "
                      "\"s3_meta_timeout\": the sweep may remove the body "
                      "of a PUT still waiting for its commit",
                      smcf->orphan_grace);
    }
    ngx_conf_init_ptr_value(smcf->keys, NULL);
    ngx_conf_init_ptr_value(smcf->master_keys, NULL);

    if (smcf->region.len == 0) {
        ngx_str_set(&smcf->region, "us-east-1");
    }

    if (smcf->enabled && smcf->data.len == 0) {
        ngx_log_error(NGX_LOG_EMERG, cf->log, 0,
                      "\"s3\" is used but \"s3_data\" is not set");
        return NGX_CONF_ERROR;
    }

    /* the body fsyncs run in nginx's "default" pool unless told */

    if (smcf->thread_pool == NGX_CONF_UNSET_PTR) {
        smcf->thread_pool = NULL;

        if (smcf->enabled && smcf->fsync == NGX_HTTP_S3_FSYNC_ON) {
            smcf->thread_pool = ngx_thread_pool_add(cf, NULL);
            if (smcf->thread_pool == NULL) {
                return NGX_CONF_ERROR;
            }
        }
    }

    if (ngx_http_s3_rcache_init_conf(cf, smcf) != NGX_OK) {
        return NGX_CONF_ERROR;
    }

    if (ngx_http_s3_gw_init_conf(cf, &smcf->gw, &smcf->region)
        != NGX_CONF_OK)
    {
        return NGX_CONF_ERROR;
    }

    return NGX_CONF_OK;
}


static void *
ngx_http_s3_create_loc_conf(ngx_conf_t *cf)
{
    ngx_http_s3_loc_conf_t  *slcf;

    slcf = ngx_pcalloc(cf->pool, sizeof(ngx_http_s3_loc_conf_t));
    if (slcf == NULL) {
        return NULL;
    }

    /*
     * set by ngx_pcalloc():
     *
     *     slcf->domain = { 0, NULL };
     */

    slcf->enable = NGX_CONF_UNSET;

    return slcf;
}


static char *
ngx_http_s3_merge_loc_conf(ngx_conf_t *cf, void *parent, void *child)
{
    ngx_http_s3_loc_conf_t *prev = parent;
    ngx_http_s3_loc_conf_t *conf = child;

    ngx_conf_merge_value(conf->enable, prev->enable, 0);
    ngx_conf_merge_str_value(conf->domain, prev->domain, "");

    return NGX_CONF_OK;
}


static char *
ngx_http_s3(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_s3_loc_conf_t *slcf = conf;

    ngx_http_core_loc_conf_t  *clcf;
    ngx_http_s3_main_conf_t   *smcf;

    if (slcf->enable != NGX_CONF_UNSET) {
        return "is duplicate";
    }

    slcf->enable = 1;

    clcf = ngx_http_conf_get_module_loc_conf(cf, ngx_http_core_module);
    clcf->handler = ngx_http_s3_handler;

    smcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_s3_module);
    smcf->enabled = 1;

    return NGX_CONF_OK;
}


/* s3_thread_pool <name>: a pool of a "thread_pool" directive */

static char *
ngx_http_s3_thread_pool(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_s3_main_conf_t *smcf = conf;

    ngx_str_t  *value;

    if (smcf->thread_pool != NGX_CONF_UNSET_PTR) {
        return "is duplicate";
    }

    value = cf->args->elts;

    /* an unknown name is refused once the whole file is read */

    smcf->thread_pool = ngx_thread_pool_add(cf, &value[1]);
    if (smcf->thread_pool == NULL) {
        return NGX_CONF_ERROR;
    }

    return NGX_CONF_OK;
}


static char *
ngx_http_s3_data(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_s3_main_conf_t *smcf = conf;

    u_char     *p;
    ngx_str_t  *value, name;

    if (smcf->data.len) {
        return "is duplicate";
    }

    value = cf->args->elts;

    smcf->data = value[1];

    while (smcf->data.len > 1
           && smcf->data.data[smcf->data.len - 1] == '/')
    {
        smcf->data.len--;
    }

    if (ngx_conf_full_name(cf->cycle, &smcf->data, 0) != NGX_OK) {
        return NGX_CONF_ERROR;
    }

    smcf->socket.len = smcf->data.len + sizeof(NGX_HTTP_S3_SOCKET) - 1;
    smcf->socket.data = ngx_pnalloc(cf->pool, smcf->socket.len + 1);
    if (smcf->socket.data == NULL) {
        return NGX_CONF_ERROR;
    }

    p = ngx_cpymem(smcf->socket.data, smcf->data.data, smcf->data.len);
    p = ngx_cpymem(p, NGX_HTTP_S3_SOCKET, sizeof(NGX_HTTP_S3_SOCKET) - 1);
    *p = '\0';

    if (smcf->socket.len >= sizeof(((struct sockaddr_un *) 0)->sun_path)) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "s3_data path \"%V\" is too long for the unix "
                           "socket \"%s\"", &smcf->data, smcf->socket.data);
        return NGX_CONF_ERROR;
    }

    /*
     * The data directory is an nginx path with a manager: nginx creates
     * it (owned by the worker user), and the master runs and re-spawns
     * the cache manager process, which owns the database.
     */

    smcf->path = ngx_pcalloc(cf->pool, sizeof(ngx_path_t));
    if (smcf->path == NULL) {
        return NGX_CONF_ERROR;
    }

    smcf->path->name = smcf->data;
    smcf->path->manager = ngx_http_s3_server_manager;
    smcf->path->data = smcf;
    smcf->path->conf_file = cf->conf_file->file.name.data;
    smcf->path->line = cf->conf_file->line;

    if (ngx_add_path(cf, &smcf->path) != NGX_OK) {
        return NGX_CONF_ERROR;
    }

    /* the access generation: workers and the metadata process share it */

    ngx_str_set(&name, "s3_access");

    smcf->shm_zone = ngx_shared_memory_add(cf, &name, 8 * ngx_pagesize,
                                           &ngx_http_s3_module);
    if (smcf->shm_zone == NULL) {
        return NGX_CONF_ERROR;
    }

    smcf->shm_zone->init = ngx_http_s3_init_zone;
    smcf->shm_zone->data = smcf;

    return NGX_CONF_OK;
}


static ngx_int_t
ngx_http_s3_init_zone(ngx_shm_zone_t *shm_zone, void *data)
{
    ngx_http_s3_main_conf_t  *osmcf = data;

    ngx_slab_pool_t          *shpool;
    ngx_http_s3_main_conf_t  *smcf;

    smcf = shm_zone->data;

    if (osmcf) {
        /* a reload: the counter goes on */
        smcf->access_gen = osmcf->access_gen;
        return NGX_OK;
    }

    shpool = (ngx_slab_pool_t *) shm_zone->shm.addr;

    if (shm_zone->shm.exists) {
        smcf->access_gen = shpool->data;
        return NGX_OK;
    }

    smcf->access_gen = ngx_slab_alloc(shpool, sizeof(ngx_atomic_t));
    if (smcf->access_gen == NULL) {
        return NGX_ERROR;
    }

    *smcf->access_gen = 1;
    shpool->data = (void *) smcf->access_gen;

    return NGX_OK;
}


/*
 * A shared zone that holds one struct of size bytes, zeroed when the zone
 * is made and kept as it is by a reload (its counters go on): the
 * record cache's generations, the metrics.  zone->data points at the
 * struct once the zone is initialized.
 */

ngx_shm_zone_t *
ngx_http_s3_shared_struct(ngx_conf_t *cf, char *name, size_t size)
{
    size_t          *sizep;
    ngx_str_t        zname;
    ngx_shm_zone_t  *zone;

    zname.data = (u_char *) name;
    zname.len = ngx_strlen(name);

    /* the struct and the slab pool's own pages */

    zone = ngx_shared_memory_add(cf, &zname,
                                 ngx_align(size, ngx_pagesize)
                                 + 8 * ngx_pagesize,
                                 &ngx_http_s3_module);
    if (zone == NULL) {
        return NULL;
    }

    sizep = ngx_palloc(cf->pool, sizeof(size_t));
    if (sizep == NULL) {
        return NULL;
    }

    *sizep = size;

    zone->init = ngx_http_s3_shared_init;
    zone->data = sizep;

    return zone;
}


static ngx_int_t
ngx_http_s3_shared_init(ngx_shm_zone_t *zone, void *data)
{
    void             *p;
    ngx_slab_pool_t  *shpool;

    if (data) {
        /* a reload kept the zone */
        zone->data = data;
        return NGX_OK;
    }

    shpool = (ngx_slab_pool_t *) zone->shm.addr;

    if (zone->shm.exists) {
        zone->data = shpool->data;
        return NGX_OK;
    }

    p = ngx_slab_calloc(shpool, *(size_t *) zone->data);
    if (p == NULL) {
        return NGX_ERROR;
    }

    shpool->data = p;
    zone->data = p;

    return NGX_OK;
}


static char *
ngx_http_s3_access_key(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_s3_main_conf_t *smcf = conf;

    ngx_str_t          *value;
    ngx_uint_t          i;
    ngx_http_s3_key_t  *k;

    value = cf->args->elts;

    if (value[1].len < 3 || value[1].len > 128 || value[2].len < 8) {
        return "has an invalid access key or a secret shorter than 8 bytes";
    }

    if (smcf->keys == NGX_CONF_UNSET_PTR) {
        smcf->keys = ngx_array_create(cf->pool, 2, sizeof(ngx_http_s3_key_t));
        if (smcf->keys == NULL) {
            return NGX_CONF_ERROR;
        }
    }

    k = smcf->keys->elts;

    for (i = 0; i < smcf->keys->nelts; i++) {
        if (k[i].access_key.len == value[1].len
            && ngx_strncmp(k[i].access_key.data, value[1].data,
                           value[1].len) == 0)
        {
            return "has a duplicate access key";
        }
    }

    k = ngx_array_push(smcf->keys);
    if (k == NULL) {
        return NGX_CONF_ERROR;
    }

    k->access_key = value[1];
    k->secret_key = value[2];

    return NGX_CONF_OK;
}


/*
 * s3_key_file: read once here, in the master (so the file may belong to
 * root alone); the metadata process seals and opens secrets with it
 */

static char *
ngx_http_s3_key_file(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_s3_main_conf_t *smcf = conf;

    char             *rv;
    u_char           *buf;
    size_t            size;
    ssize_t           n;
    ngx_str_t        *value, path;
    ngx_uint_t        line;
    ngx_file_t        file;
    const char       *err;
    ngx_file_info_t   fi;

    if (smcf->master_keys != NGX_CONF_UNSET_PTR) {
        return "is duplicate";
    }

    value = cf->args->elts;
    path = value[1];

    if (ngx_conf_full_name(cf->cycle, &path, 1) != NGX_OK) {
        return NGX_CONF_ERROR;
    }

    ngx_memzero(&file, sizeof(ngx_file_t));

    file.name = path;
    file.log = cf->log;
    file.fd = ngx_open_file(path.data, NGX_FILE_RDONLY, NGX_FILE_OPEN, 0);

    if (file.fd == NGX_INVALID_FILE) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, ngx_errno,
                           ngx_open_file_n " \"%s\" failed", path.data);
        return NGX_CONF_ERROR;
    }

    rv = NGX_CONF_ERROR;
    buf = NULL;

    if (ngx_fd_info(file.fd, &fi) == NGX_FILE_ERROR) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, ngx_errno,
                           ngx_fd_info_n " \"%s\" failed", path.data);
        goto done;
    }

    if (fi.st_mode & (S_IRWXG|S_IRWXO)) {
        ngx_conf_log_error(NGX_LOG_WARN, cf, 0,
                           "s3_key_file \"%s\" is readable by others "
                           "than its owner", path.data);
    }

    size = (size_t) ngx_file_size(&fi);

    if (size > 64 * 1024) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "s3_key_file \"%s\" is too large", path.data);
        goto done;
    }

    buf = ngx_alloc(size + 1, cf->log);
    if (buf == NULL) {
        goto done;
    }

    n = ngx_read_file(&file, buf, size, 0);

    if (n == NGX_ERROR) {
        goto done;
    }

    smcf->master_keys = ngx_array_create(cf->pool, 2,
                                         sizeof(ngx_http_s3_master_key_t));
    if (smcf->master_keys == NULL) {
        goto done;
    }

    if (ngx_http_s3_secret_parse_keys(buf, n, smcf->master_keys, &line, &err)
        != NGX_OK)
    {
        if (line) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "s3_key_file \"%s\", line %ui: %s",
                               path.data, line, err);
        } else {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "s3_key_file \"%s\": %s", path.data, err);
        }

        goto done;
    }

    rv = NGX_CONF_OK;

done:

    if (buf) {
        ngx_explicit_memzero(buf, size);
        ngx_free(buf);
    }

    if (ngx_close_file(file.fd) == NGX_FILE_ERROR) {
        ngx_conf_log_error(NGX_LOG_ALERT, cf, ngx_errno,
                           ngx_close_file_n " \"%s\" failed", path.data);
    }

    return rv;
}


static char *
ngx_http_s3_admin(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_core_loc_conf_t  *clcf;
    ngx_http_s3_main_conf_t   *smcf;

    clcf = ngx_http_conf_get_module_loc_conf(cf, ngx_http_core_module);

    if (clcf->handler) {
        return "is duplicate, or the location has another handler";
    }

    clcf->handler = ngx_http_s3_admin_handler;

    smcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_s3_module);
    smcf->enabled = 1;

    return NGX_CONF_OK;
}


ngx_uint_t
ngx_http_s3_header_is(ngx_table_elt_t *h, const char *name)
{
    size_t  len;

    len = ngx_strlen(name);

    return h->key.len == len
           && ngx_strncasecmp(h->key.data, (u_char *) name, len) == 0;
}


ngx_uint_t
ngx_http_s3_header_prefix(ngx_table_elt_t *h, const char *prefix)
{
    size_t  len;

    len = ngx_strlen(prefix);

    return h->key.len >= len
           && ngx_strncasecmp(h->key.data, (u_char *) prefix, len) == 0;
}


/*
 * "aws-chunked" says how the request body was sent, not how the object is
 * encoded: S3 drops it from the list and keeps the others ("gzip")
 */
