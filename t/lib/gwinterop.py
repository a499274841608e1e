"""The pairs of buckets of the gateway interop tests
(t/test_gateway_interop.py, t/test_gateway_interop_clients.py): the same
requests sent through ngx_s3 in gateway mode and to the Ceph RGW
directly, and their answers compared.

    @pytest.fixture
    def pair(request, gateway, ceph, rgw):
        yield from bucket_pair(request, gateway, ceph, rgw)

    same(pair, lambda s: s.s3.get_object(Bucket=s.bucket, Key='k'))
"""

import concurrent.futures
import hashlib
import http.client
import socket
import urllib.parse

import botocore.exceptions

import sigv4
from gateway import drop_bucket
from conftest import boto_client, new_bucket_name
from s3raw import error_fields

MiB = 1024 * 1024


# the two sides of each comparison

class Side:
    """The gateway with ngx_s3's keys, or RGW with Ceph's: a boto3
    client, a bucket, and what raw requests and CLIs need."""

    def __init__(self, name, target, bucket):
        self.name = name
        self.target = target          # S3Server or CephCluster
        self.bucket = bucket
        self.s3 = boto_client(target)
        u = urllib.parse.urlsplit(target.endpoint)
        self.port = u.port
        self.host = u.netloc
        self.endpoint = target.endpoint
        self.access_key = target.access_key
        self.secret_key = target.secret_key
        self.region = target.region

    def __repr__(self):
        return '<%s %s>' % (self.name, self.bucket)


def bucket_pair(request, gateway, ceph, rgw):
    """The `pair` fixture of the test files: (g, r), a bucket through the
    gateway and one in RGW directly, both made in RGW, emptied and
    removed after the test."""

    name = request.node.name[:20]
    g = Side('gateway', gateway, new_bucket_name('g-' + name))
    r = Side('rgw', ceph, new_bucket_name('r-' + name))
    for side in (g, r):
        rgw.create_bucket(Bucket=side.bucket)
    yield g, r
    for side in (g, r):
        drop_bucket(rgw, side.bucket)


def outcome(fn, *args, **kw):
    """fn's answer, or ('error', HTTP status, Code) for a ClientError."""

    try:
        return fn(*args, **kw)
    except botocore.exceptions.ClientError as e:
        return ('error', e.response['ResponseMetadata']['HTTPStatusCode'],
                e.response.get('Error', {}).get('Code'))


def on_both(pair, fn, parallel=False):
    """fn(side) on the gateway and on RGW, one after the other or at the
    same time (for slow CLIs): (gateway's, RGW's)."""

    g, r = pair
    if not parallel:
        return outcome(fn, g), outcome(fn, r)
    with concurrent.futures.ThreadPoolExecutor(2) as ex:
        fg = ex.submit(outcome, fn, g)
        fr = ex.submit(outcome, fn, r)
        return fg.result(), fr.result()


def same(pair, fn, parallel=False):
    """fn(side) gives the same on both sides; that value."""

    got, want = on_both(pair, fn, parallel)
    assert got == want, 'gateway %r\n    rgw %r' % (got, want)
    return got


def get_view(resp):
    """What a GET or HEAD answered, without what differs by nature (request
    ids, dates)."""

    body = resp['Body'].read() if 'Body' in resp else None
    return {
        'body': body,
        'ETag': resp.get('ETag'),
        'ContentLength': resp.get('ContentLength'),
        'ContentType': resp.get('ContentType'),
        'ContentRange': resp.get('ContentRange'),
        'Metadata': resp.get('Metadata'),
        'CacheControl': resp.get('CacheControl'),
        'ContentDisposition': resp.get('ContentDisposition'),
        'ContentEncoding': resp.get('ContentEncoding'),
        'ContentLanguage': resp.get('ContentLanguage'),
        'status': resp['ResponseMetadata']['HTTPStatusCode'],
    }


def listing_view(resp):
    return {
        'Contents': [(c['Key'], c['Size'], c['ETag'])
                     for c in resp.get('Contents', [])],
        'CommonPrefixes': [p['Prefix']
                           for p in resp.get('CommonPrefixes', [])],
        'KeyCount': resp.get('KeyCount'),
        'IsTruncated': resp.get('IsTruncated'),
        'Prefix': resp.get('Prefix'),
        'Delimiter': resp.get('Delimiter'),
        'MaxKeys': resp.get('MaxKeys'),
        'StartAfter': resp.get('StartAfter'),
        'EncodingType': resp.get('EncodingType'),
    }


def md5_etag(data):
    return '"%s"' % hashlib.md5(data).hexdigest()


# raw HTTP on one keep-alive connection

class Conn:
    """One HTTP/1.1 connection to a side, SigV4 header-signed requests
    (paths already encoded): keep-alive is checked by the socket kept."""

    def __init__(self, side):
        self.side = side
        self.conn = http.client.HTTPConnection('127.0.0.1', side.port,
                                               timeout=30)
        self.sock = None

    def close(self):
        self.conn.close()

    def send(self, method, path, query=(), headers=None, body=b'',
             payload_hash=None):
        s = self.side
        headers = sigv4.sign_headers(method, s.host, path, list(query),
                                     dict(headers or {}), body, s.access_key,
                                     s.secret_key, s.region,
                                     payload_hash=payload_hash)
        url = path
        if query:
            url += '?' + sigv4.wire_query(list(query))
        return self.send_url(method, url, headers, body)

    def send_url(self, method, url, headers=None, body=b''):
        c = self.conn
        c.putrequest(method, url, skip_host=True, skip_accept_encoding=True)
        c.putheader('Host', self.side.host)
        for k, v in (headers or {}).items():
            c.putheader(k, v)
        if body or method in ('PUT', 'POST'):
            c.putheader('Content-Length', str(len(body)))
        # a small body in the same segment as the head (an answer before
        # the body arrived is test_early_error_big_body's)
        if c.sock is None:
            c.connect()
        c.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_CORK, 1)
        c.endheaders()
        if body:
            c.send(body)
        c.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_CORK, 0)
        r = c.getresponse()
        data = r.read()
        if self.sock is None:
            self.sock = c.sock
        kept = c.sock is not None and c.sock is self.sock
        return Raw(r.status, r.headers, data, kept)


class Raw:
    def __init__(self, status, headers, body, kept):
        self.status = status
        self.headers = headers
        self.body = body
        self.kept = kept          # the connection is still the first one

    def code(self):
        if not self.body:
            return None
        return error_fields(self.body).get('Code')

    def __repr__(self):
        return '<Raw %d %r %r>' % (self.status, dict(self.headers.items()),
                                   self.body[:400])
