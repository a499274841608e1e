"""ngx_s3 in gateway mode in front of the test Ceph cluster: the
`gateway` fixtures of t/conftest.py (docs/gateway.md).

    srv = start_gateway(cluster, name='gw', valid='60s', workers=2)

The nginx configuration is the one docs/gateway.md gives, with the
upstream block pointing at the cluster's RGW and a proxy cache in the
server's own temporary directory.
"""

import os
import urllib.parse

import botocore.exceptions

TOP = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
INCLUDE = os.path.join(TOP, 'conf', 's3_gateway.conf')

HTTP = """
    upstream rgw {{
        server {server};
        keepalive 8;
    }}
    proxy_cache_path {tmp}/gw_cache levels=1:2 keys_zone=s3_gw:16m
                     max_size=2g inactive=1h use_temp_path=off;

    s3_gateway rgw;
    s3_gateway_host {rgw};
    s3_gateway_credentials {access_key} {secret_key};
    s3_gateway_region {region};
    s3_gateway_cache {cache};
    s3_gateway_cache_valid {valid};
{buckets}"""

SERVER = """
        include {include};
"""


class GatewayConf:
    def __init__(self, http, server):
        self.http = http
        self.server = server


def gateway_conf(cluster, tmp, cache='s3_gw', valid='60s', buckets=None,
                 server=None):
    """http_extra and server_extra for S3Server: ngx_s3 with every bucket
    (or only `buckets`) backed by the cluster's RGW, caching in <tmp>;
    server: the upstream's address if not RGW's own (a hop in between)."""

    rgw = urllib.parse.urlparse(cluster.endpoint).netloc
    b = ''
    if buckets:
        b = '    s3_gateway_bucket %s;\n' % ' '.join(buckets)
    http = HTTP.format(rgw=rgw, server=server or rgw, tmp=tmp, access_key=cluster.access_key,
                       secret_key=cluster.secret_key, region=cluster.region,
                       cache=cache, valid=valid, buckets=b)
    return GatewayConf(http, SERVER.format(include=INCLUDE))


def start_gateway(cluster, cache='s3_gw', valid='60s', buckets=None,
                  http_extra='', server_extra='', upstream_server=None,
                  **kw):
    """A started S3Server in gateway mode (teardown() it)."""

    from s3server import S3Server
    srv = S3Server(**kw)
    conf = gateway_conf(cluster, srv.tmp, cache=cache, valid=valid,
                        buckets=buckets, server=upstream_server)
    srv.http_extra = conf.http + http_extra
    srv.server_extra = conf.server + server_extra
    return srv.start()


def drop_bucket(rgw, bucket):
    """Every version, delete marker and upload gone, then the bucket
    (RGW's memstore keeps objects in memory: leave nothing behind)."""

    try:
        pages = rgw.get_paginator('list_object_versions').paginate(
            Bucket=bucket)
        for page in pages:
            objs = [{'Key': v['Key'], 'VersionId': v['VersionId']}
                    for v in page.get('Versions', []) +
                    page.get('DeleteMarkers', [])]
            if objs:
                rgw.delete_objects(Bucket=bucket,
                                   Delete={'Objects': objs, 'Quiet': True})
        ups = rgw.list_multipart_uploads(Bucket=bucket)
        for u in ups.get('Uploads', []):
            rgw.abort_multipart_upload(Bucket=bucket, Key=u['Key'],
                                       UploadId=u['UploadId'])
        rgw.delete_bucket(Bucket=bucket)
    except botocore.exceptions.ClientError as e:
        if e.response['Error']['Code'] != 'NoSuchBucket':
            raise
