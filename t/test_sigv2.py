"""AWS Signature Version 2: header and query (presigned) forms, the
errors S3 answers, and `s3_sigv2 off`.

boto3 signs with SigV2 when told (Config(signature_version='s3')), and its
generate_presigned_url() makes SigV2 URLs by default for us-east-1 with
Debian's boto3 1.26. Every error is followed by a good request on the same
keep-alive connection.
"""

import base64
import hashlib
import http.client
import os
import subprocess
import time
import urllib.parse

import boto3
import botocore.config
import botocore.exceptions
import pytest
from botocore.auth import HmacV1Auth, HmacV1QueryAuth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

import sigv2
import sigv4
from conftest import boto_client, new_bucket_name
from s3raw import Resp, assert_error, error_fields, request

BODY = b'object body for sigv2\n'
S3CMD = '/usr/bin/s3cmd'


def v2_client(server, addressing='path', **kw):
    cfg = botocore.config.Config(
        region_name='us-east-1', signature_version='s3',
        s3={'addressing_style': addressing},
        retries={'total_max_attempts': 1, 'mode': 'standard'},
        connect_timeout=5, read_timeout=30)
    return boto3.session.Session().client(
        's3', endpoint_url=server.endpoint,
        aws_access_key_id=kw.get('access_key', server.access_key),
        aws_secret_access_key=kw.get('secret', server.secret_key),
        config=cfg)


def default_client(server):
    """boto3 as it comes: region us-east-1, no signature_version."""

    return boto3.session.Session().client(
        's3', endpoint_url=server.endpoint, region_name='us-east-1',
        aws_access_key_id=server.access_key,
        aws_secret_access_key=server.secret_key)


@pytest.fixture(scope='module')
def bkt(s3):
    name = new_bucket_name('sigv2')
    s3.create_bucket(Bucket=name)
    s3.put_object(Bucket=name, Key='obj', Body=BODY)
    return name


class Conn:
    """One keep-alive connection; send() returns a Resp and checks that the
    server keeps the connection open."""

    def __init__(self, server):
        self.server = server
        self.c = http.client.HTTPConnection('127.0.0.1', server.port,
                                            timeout=15)
        self.sock = None

    def send(self, method, url, headers=None, body=b'', host=None):
        self.c.putrequest(method, url, skip_host=True,
                          skip_accept_encoding=True)
        self.c.putheader('Host', host or self.server.host)
        for k, v in (headers or {}).items():
            self.c.putheader(k, v)
        if body or method in ('PUT', 'POST'):
            self.c.putheader('Content-Length', str(len(body)))
        self.c.endheaders()
        if self.sock is None:
            self.sock = self.c.sock
        assert self.c.sock is self.sock, 'a new connection was opened'
        if body:
            self.c.send(body)
        r = self.c.getresponse()
        data = r.read()
        assert not r.will_close, 'the server closes the connection'
        return Resp(r.status, r.reason, r.headers, data, method)

    def signed(self, method, path, query=(), headers=None, body=b'',
               secret=None, access_key=None, bucket=None, host=None,
               date=None, sign_path=None):
        """A SigV2 header-signed request (of sign_path if given)."""

        h = sigv2.sign_headers(method, sign_path or path, query, headers,
                               access_key or self.server.access_key,
                               secret or self.server.secret_key,
                               date=date, bucket=bucket)
        url = path + ('?' + sigv2.wire_query(query) if query else '')
        return self.send(method, url, h, body, host=host)

    def good(self, bucket):
        """The request after an error: must work on this connection."""

        r = self.signed('GET', '/%s/obj' % bucket)
        assert r.status == 200 and r.body == BODY, r
        return r

    def close(self):
        self.c.close()


@pytest.fixture
def conn(server):
    c = Conn(server)
    yield c
    c.close()


def _url(u):
    s = urllib.parse.urlsplit(u)
    return s.path + ('?' + s.query if s.query else '')


# the test signer, checked against botocore's

SIGNER_CASES = [
    ('GET', '/', [], {}, None),
    ('GET', '/bkt', [('prefix', 'a b'), ('max-keys', '5')], {}, None),
    ('PUT', '/bkt/k%20ey/%E6%97%A5%2B', [],
     {'Content-Type': 'text/plain', 'x-amz-meta-a': '  x  y ',
      'X-Amz-Meta-B': 'b', 'Content-MD5': 'abc='}, None),
    ('GET', '/bkt/k', [('versionId', 'v 1'), ('acl', ''),
                       ('response-content-type', 'text/x; a=b')], {}, None),
    ('DELETE', '/k', [('uploadId', 'u/1')], {}, 'bkt'),
]


@pytest.mark.parametrize('method,path,query,headers,bucket', SIGNER_CASES)
def test_signer_matches_botocore(method, path, query, headers, bucket):
    creds = Credentials('AKIDEXAMPLE', 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLE')
    url = 'http://127.0.0.1:9' + path
    if query:
        url += '?' + sigv2.wire_query(query)
    auth_path = '/' + bucket + path if bucket else None

    req = AWSRequest(method=method, url=url, headers=dict(headers))
    req.auth_path = auth_path
    HmacV1Auth(creds).add_auth(req)
    mine = sigv2.sign_headers(method, path, query, headers,
                              creds.access_key, creds.secret_key,
                              date=req.headers['Date'], bucket=bucket)
    assert mine['Authorization'] == req.headers['Authorization']

    req = AWSRequest(method=method, url=url, headers={})
    req.auth_path = auth_path
    HmacV1QueryAuth(creds, expires=600).add_auth(req)
    q = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(req.url).query,
                                    keep_blank_values=True))
    pairs = sigv2.presign(method, path, query, creds.access_key,
                          creds.secret_key, q['Expires'], bucket=bucket)
    assert dict(pairs)['Signature'] == q['Signature']


# header form, through boto3

def test_boto3_header_round_trip(server, s3):
    c = v2_client(server)
    name = new_bucket_name('v2boto')
    c.create_bucket(Bucket=name)
    assert name in [b['Name'] for b in c.list_buckets()['Buckets']]
    c.head_bucket(Bucket=name)
    # Debian's botocore 1.29 signs these as "/b?location?location"
    assert c.get_bucket_location(Bucket=name)['LocationConstraint'] is None
    assert 'Status' not in c.get_bucket_versioning(Bucket=name)

    c.put_object(Bucket=name, Key='a/one two+.txt', Body=b'one',
                 ContentType='text/plain', Metadata={'Who': 'v2'})
    c.put_object(Bucket=name, Key='a/caf\u00e9', Body=b'two',
                 ContentMD5=base64.b64encode(
                     hashlib.md5(b'two').digest()).decode())
    c.put_object(Bucket=name, Key='b', Body=b'')

    r = c.get_object(Bucket=name, Key='a/one two+.txt')
    assert r['Body'].read() == b'one'
    assert r['ContentType'] == 'text/plain'
    assert r['Metadata'] == {'who': 'v2'}
    r = c.get_object(Bucket=name, Key='a/one two+.txt', Range='bytes=1-',
                     ResponseContentType='text/x-v2',
                     ResponseContentDisposition='attachment; filename="x"')
    assert r['Body'].read() == b'ne'
    assert r['ContentType'] == 'text/x-v2'
    assert r['ContentDisposition'] == 'attachment; filename="x"'
    assert c.head_object(Bucket=name, Key='a/caf\u00e9')['ContentLength'] == 3

    keys = [o['Key'] for o in c.list_objects(Bucket=name)['Contents']]
    assert keys == ['a/caf\u00e9', 'a/one two+.txt', 'b']
    r = c.list_objects_v2(Bucket=name, Prefix='a/', Delimiter='/')
    assert r['KeyCount'] == 2

    r = c.list_object_versions(Bucket=name)
    assert len(r['Versions']) == 3

    r = c.delete_objects(Bucket=name, Delete={
        'Objects': [{'Key': 'a/caf\u00e9'}, {'Key': 'b'}]})
    assert len(r['Deleted']) == 2
    c.delete_object(Bucket=name, Key='a/one two+.txt')
    assert 'Contents' not in c.list_objects(Bucket=name)
    c.delete_bucket(Bucket=name)

    # what SigV2 wrote, SigV4 reads: one store
    assert name not in [b['Name'] for b in s3.list_buckets()['Buckets']]


def test_boto3_header_content_md5_checked(server, s3, bkt):
    c = v2_client(server)
    with pytest.raises(botocore.exceptions.ClientError) as e:
        c.put_object(Bucket=bkt, Key='obj', Body=b'changed',
                     ContentMD5='tlV6qGqSn3L3jL8PO+VdBQ==')
    assert e.value.response['Error']['Code'] == 'BadDigest'
    assert s3.get_object(Bucket=bkt, Key='obj')['Body'].read() == BODY


def test_header_bucket_subresources(server, s3, conn):
    name = new_bucket_name('v2sub')
    r = conn.signed('PUT', '/' + name)
    assert r.status == 200, r
    s3.put_object(Bucket=name, Key='k1', Body=b'1')
    s3.put_object(Bucket=name, Key='k2', Body=b'2')

    # "/bucket" signed as sent, or as "/bucket/" (newer botocore)
    for sign_path in ('/' + name, '/%s/' % name):
        for sub in ('location', 'versioning', 'versions'):
            r = conn.signed('GET', '/' + name, [(sub, '')],
                            sign_path=sign_path)
            assert r.status == 200, r
        r = conn.signed('HEAD', '/' + name, sign_path=sign_path)
        assert r.status == 200, r

    body = (b'<Delete><Object><Key>k1</Key></Object>'
            b'<Object><Key>k2</Key></Object></Delete>')
    md5 = base64.b64encode(hashlib.md5(body).digest()).decode()
    r = conn.signed('POST', '/' + name, [('delete', '')], body=body,
                    headers={'Content-MD5': md5,
                             'Content-Type': 'application/xml'},
                    sign_path='/%s/' % name)
    assert r.status == 200 and r.body.count(b'<Deleted>') == 2, r

    # but not another bucket's, nor another sub-resource
    r = conn.signed('GET', '/' + name, [('location', '')],
                    sign_path='/%sx/' % name)
    assert_error(r, 403, 'SignatureDoesNotMatch')
    h = sigv2.sign_headers('GET', '/%s/' % name, [('location', '')], {},
                           server.access_key, server.secret_key)
    r = conn.send('GET', '/%s?versioning' % name, h)
    assert_error(r, 403, 'SignatureDoesNotMatch')

    r = conn.signed('DELETE', '/' + name, sign_path='/%s/' % name)
    assert r.status == 204, r


def test_header_virtual_hosted(server, bkt, conn):
    host = '%s.%s:%d' % (bkt, server.domain, server.port)
    r = conn.signed('GET', '/obj', bucket=bkt, host=host)
    assert r.status == 200 and r.body == BODY, r
    r = conn.signed('GET', '/', [('prefix', 'o')], bucket=bkt, host=host)
    assert r.status == 200 and b'<Key>obj</Key>' in r.body, r
    r = conn.signed('GET', '/', [('versioning', '')], bucket=bkt, host=host)
    assert r.status == 200, r

    # the bucket left out of the resource: not what was asked for
    r = conn.signed('GET', '/obj', host=host)
    assert_error(r, 403, 'SignatureDoesNotMatch')
    conn.good(bkt)


def test_header_amz_date_and_amz_headers(server, bkt, conn, s3):
    # x-amz-date instead of Date: the Date line is empty (s3cmd, SDKs)
    h = {'x-amz-date': sigv2.http_date()}
    r = conn.signed('GET', '/%s/obj' % bkt, headers=h)
    assert r.status == 200 and r.body == BODY, r

    # both: x-amz-date is the time; a Date in the Date line also passes
    amz = sigv2.http_date()
    h = {'Date': sigv2.http_date(-3600), 'x-amz-date': amz}
    sts = sigv2.string_to_sign('GET', '/%s/obj' % bkt, [], h, h['Date'])
    h['Authorization'] = 'AWS %s:%s' % (
        server.access_key, sigv2.sign(server.secret_key, sts))
    r = conn.send('GET', '/%s/obj' % bkt, h)
    assert r.status == 200, r

    # RFC 1123 with "+0000", as in AWS's examples
    date = time.strftime('%a, %d %b %Y %H:%M:%S +0000', time.gmtime())
    r = conn.signed('GET', '/%s/obj' % bkt, date=date)
    assert r.status == 200, r

    # x-amz-* headers are signed: metadata arrives
    r = conn.signed('PUT', '/%s/meta' % bkt, body=b'm',
                    headers={'x-amz-meta-One': ' 1 ', 'X-Amz-Meta-Two': '2',
                             'Content-Type': 'text/x-v2'})
    assert r.status == 200, r
    o = s3.get_object(Bucket=bkt, Key='meta')
    assert o['Metadata'] == {'one': '1', 'two': '2'}
    assert o['ContentType'] == 'text/x-v2'


def test_header_tampered(server, bkt, conn, s3):
    # a wrong secret
    r = conn.signed('GET', '/%s/obj' % bkt, secret='not the secret at all')
    f = assert_error(r, 403, 'SignatureDoesNotMatch')
    assert f['AWSAccessKeyId'] == server.access_key
    sts = f['StringToSign']
    assert sts.startswith('GET\n\n\n') and sts.endswith('\n/%s/obj' % bkt)
    assert f['StringToSignBytes'] == ' '.join(
        '%02x' % b for b in sts.encode())
    assert f['SignatureProvided']
    conn.good(bkt)

    # an x-amz-* header changed after signing
    h = sigv2.sign_headers('PUT', '/%s/obj' % bkt, [],
                           {'x-amz-meta-a': '1'}, server.access_key,
                           server.secret_key)
    h['x-amz-meta-a'] = '2'
    r = conn.send('PUT', '/%s/obj' % bkt, h, b'tampered')
    assert_error(r, 403, 'SignatureDoesNotMatch')
    conn.good(bkt)

    # a signed Content-Type changed
    h = sigv2.sign_headers('PUT', '/%s/obj' % bkt, [],
                           {'Content-Type': 'text/plain'}, server.access_key,
                           server.secret_key)
    h['Content-Type'] = 'text/html'
    r = conn.send('PUT', '/%s/obj' % bkt, h, b'tampered')
    assert_error(r, 403, 'SignatureDoesNotMatch')
    conn.good(bkt)

    # a sub-resource added after signing (GET becomes GetObjectTagging)
    h = sigv2.sign_headers('GET', '/%s/obj' % bkt, [], {},
                           server.access_key, server.secret_key)
    r = conn.send('GET', '/%s/obj?tagging' % bkt, h)
    assert_error(r, 403, 'SignatureDoesNotMatch')
    conn.good(bkt)

    assert s3.get_object(Bucket=bkt, Key='obj')['Body'].read() == BODY


def test_header_unknown_key(server, bkt, conn):
    r = conn.signed('GET', '/%s/obj' % bkt, access_key='AKIDNOSUCHKEY0000')
    f = assert_error(r, 403, 'InvalidAccessKeyId')
    assert f['AWSAccessKeyId'] == 'AKIDNOSUCHKEY0000'
    conn.good(bkt)

    # the second configured key works too
    r = conn.signed('GET', '/%s/obj' % bkt, access_key=server.access_key2,
                    secret=server.secret_key2)
    assert r.status == 200, r


@pytest.mark.parametrize('skew', [-20 * 60, 20 * 60])
def test_header_skewed_date(server, bkt, conn, skew):
    r = conn.signed('GET', '/%s/obj' % bkt, date=sigv2.http_date(skew))
    f = assert_error(r, 403, 'RequestTimeTooSkewed')
    assert f['MaxAllowedSkewMilliseconds'] == '900000'
    assert f['RequestTime'] and f['ServerTime'].endswith('Z')
    conn.good(bkt)

    r = conn.signed('GET', '/%s/obj' % bkt,
                    headers={'x-amz-date': sigv2.http_date(skew)})
    assert_error(r, 403, 'RequestTimeTooSkewed')
    conn.good(bkt)


def test_header_within_skew(server, bkt, conn):
    for skew in (-10 * 60, 10 * 60):
        r = conn.signed('GET', '/%s/obj' % bkt, date=sigv2.http_date(skew))
        assert r.status == 200, r


def test_header_bad_date_and_malformed(server, bkt, conn):
    # no date at all
    r = conn.signed('GET', '/%s/obj' % bkt, date=False)
    assert_error(r, 403, 'AccessDenied')
    conn.good(bkt)

    # a date that is not one
    r = conn.signed('GET', '/%s/obj' % bkt, date='yesterday')
    assert_error(r, 403, 'AccessDenied')
    conn.good(bkt)

    for value in ('AWS %s' % server.access_key, 'AWS :abc', 'AWS AK:'):
        r = conn.send('GET', '/%s/obj' % bkt,
                      {'Date': sigv2.http_date(), 'Authorization': value})
        f = assert_error(r, 400, 'InvalidArgument')
        assert f['ArgumentName'] == 'Authorization'
        conn.good(bkt)

    # SigV2 header and SigV2 query together
    h = sigv2.sign_headers('GET', '/%s/obj' % bkt, [], {},
                           server.access_key, server.secret_key)
    r = conn.send('GET', '/%s/obj?Signature=abc' % bkt, h)
    assert_error(r, 400, 'InvalidArgument')
    conn.good(bkt)


def test_header_streaming_payload_refused(server, bkt, conn, s3):
    h = {'x-amz-content-sha256': 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD',
         'x-amz-decoded-content-length': '3'}
    r = conn.signed('PUT', '/%s/obj' % bkt, headers=h, body=b'abc')
    assert_error(r, 400, 'InvalidRequest')
    conn.good(bkt)
    assert s3.get_object(Bucket=bkt, Key='obj')['Body'].read() == BODY


def test_header_payload_unsigned(server, bkt, conn, s3):
    # a SigV2 body is not hashed against x-amz-content-sha256
    h = {'x-amz-content-sha256': sigv4.EMPTY_SHA256}
    r = conn.signed('PUT', '/%s/unsigned' % bkt, headers=h, body=b'data')
    assert r.status == 200, r
    assert s3.get_object(Bucket=bkt, Key='unsigned')['Body'].read() \
        == b'data'


# query form (presigned URLs)

def test_default_boto3_presigns_sigv2(server, bkt):
    url = default_client(server).generate_presigned_url(
        'get_object', Params={'Bucket': bkt, 'Key': 'obj'})
    q = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(url).query))
    assert set(q) == {'AWSAccessKeyId', 'Signature', 'Expires'}, url


def test_presigned_get_head(server, bkt, conn):
    c = default_client(server)
    url = c.generate_presigned_url('get_object',
                                   Params={'Bucket': bkt, 'Key': 'obj'})
    r = conn.send('GET', _url(url))
    assert r.status == 200 and r.body == BODY, r
    r = conn.send('GET', _url(url), {'Range': 'bytes=0-5'})
    assert r.status == 206 and r.body == BODY[:6], r

    url = c.generate_presigned_url('head_object',
                                   Params={'Bucket': bkt, 'Key': 'obj'})
    r = conn.send('HEAD', _url(url))
    assert r.status == 200, r
    assert r.header('Content-Length') == str(len(BODY))

    url = c.generate_presigned_url(
        'get_object', Params={'Bucket': bkt, 'Key': 'obj',
                              'ResponseContentType': 'text/x-pre sign',
                              'ResponseContentDisposition':
                                  'attachment; filename="a b.txt"'})
    r = conn.send('GET', _url(url))
    assert r.status == 200, r
    assert r.header('Content-Type') == 'text/x-pre sign'
    assert r.header('Content-Disposition') == 'attachment; filename="a b.txt"'

    for op in ('list_objects', 'list_objects_v2'):
        url = c.generate_presigned_url(op, Params={'Bucket': bkt,
                                                   'Prefix': 'o'})
        r = conn.send('GET', _url(url))
        assert r.status == 200 and b'<Key>obj</Key>' in r.body, r


def test_presigned_put(server, bkt, conn, s3):
    c = default_client(server)
    key = 'put by url/\u00e9+x'
    url = c.generate_presigned_url('put_object',
                                   Params={'Bucket': bkt, 'Key': key})
    r = conn.send('PUT', _url(url), body=b'uploaded by url')
    assert r.status == 200, r
    assert r.header('ETag')
    assert s3.get_object(Bucket=bkt, Key=key)['Body'].read() \
        == b'uploaded by url'

    # Content-Type signed: boto3 puts it in the query; the header matches
    url = c.generate_presigned_url('put_object', Params={
        'Bucket': bkt, 'Key': 'typed', 'ContentType': 'text/csv'})
    r = conn.send('PUT', _url(url), {'Content-Type': 'text/csv'}, b'a,b\n')
    assert r.status == 200, r
    assert s3.get_object(Bucket=bkt, Key='typed')['ContentType'] \
        == 'text/csv'
    # ... or is left out
    r = conn.send('PUT', _url(url), body=b'a,b\n')
    assert r.status == 200, r
    # ... but no other one
    r = conn.send('PUT', _url(url), {'Content-Type': 'text/html'}, b'<x>')
    assert_error(r, 403, 'SignatureDoesNotMatch')
    conn.good(bkt)

    # Content-MD5 is still checked
    url = c.generate_presigned_url('put_object', Params={
        'Bucket': bkt, 'Key': 'md5', 'ContentMD5': 'tlV6qGqSn3L3jL8PO+VdBQ=='})
    r = conn.send('PUT', _url(url), {'Content-MD5': 'tlV6qGqSn3L3jL8PO+VdBQ=='},
                  b'not that body')
    assert_error(r, 400, 'BadDigest')
    conn.good(bkt)

    url = c.generate_presigned_url('delete_object',
                                   Params={'Bucket': bkt, 'Key': key})
    r = conn.send('DELETE', _url(url))
    assert r.status == 204, r


def test_presigned_put_requests_library(server, bkt, s3):
    requests = pytest.importorskip('requests')
    url = default_client(server).generate_presigned_url(
        'put_object', Params={'Bucket': bkt, 'Key': 'via requests'})
    with requests.Session() as sess:
        r = sess.put(url, data=b'from requests')
        assert r.status_code == 200, r.text
        r = sess.get(default_client(server).generate_presigned_url(
            'get_object', Params={'Bucket': bkt, 'Key': 'via requests'}))
        assert r.status_code == 200 and r.content == b'from requests'


def test_presigned_own_signer(server, bkt, conn):
    path = '/%s/obj' % bkt
    pairs = sigv2.presign('GET', path, [], server.access_key,
                          server.secret_key, int(time.time()) + 60)
    r = conn.send('GET', path + '?' + sigv2.wire_query(pairs))
    assert r.status == 200 and r.body == BODY, r

    # virtual-hosted style
    host = '%s.%s:%d' % (bkt, server.domain, server.port)
    pairs = sigv2.presign('GET', '/obj', [], server.access_key,
                          server.secret_key, int(time.time()) + 60,
                          bucket=bkt)
    r = conn.send('GET', '/obj?' + sigv2.wire_query(pairs), host=host)
    assert r.status == 200 and r.body == BODY, r

    # x-amz-* in the query count as headers
    pairs = sigv2.presign('PUT', '/%s/qmeta' % bkt, [], server.access_key,
                          server.secret_key, int(time.time()) + 60,
                          headers={'x-amz-meta-q': 'v'})
    pairs.append(('x-amz-meta-q', 'v'))
    r = conn.send('PUT', '/%s/qmeta?' % bkt + sigv2.wire_query(pairs),
                  body=b'q')
    assert r.status == 200, r


def test_presigned_expired(server, bkt, conn):
    path = '/%s/obj' % bkt
    expires = int(time.time()) - 5
    pairs = sigv2.presign('GET', path, [], server.access_key,
                          server.secret_key, expires)
    r = conn.send('GET', path + '?' + sigv2.wire_query(pairs))
    f = assert_error(r, 403, 'AccessDenied')
    assert f['Message'] == 'Request has expired'
    assert f['Expires'] == time.strftime('%Y-%m-%dT%H:%M:%SZ',
                                         time.gmtime(expires))
    assert f['ServerTime'].endswith('Z')
    conn.good(bkt)


def test_presigned_tampered(server, bkt, conn, s3):
    c = default_client(server)
    url = c.generate_presigned_url('get_object',
                                   Params={'Bucket': bkt, 'Key': 'obj'})
    u = _url(url)
    q = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(url).query))

    # another signature
    first = 'B' if q['Signature'][0] == 'A' else 'A'
    bad = u.replace(urllib.parse.quote(q['Signature'], safe=''),
                    urllib.parse.quote(first + q['Signature'][1:], safe=''))
    assert bad != u
    r = conn.send('GET', bad)
    f = assert_error(r, 403, 'SignatureDoesNotMatch')
    assert f['StringToSign'] == 'GET\n\n\n%s\n/%s/obj' % (q['Expires'], bkt)
    conn.good(bkt)

    # another key (path)
    r = conn.send('GET', u.replace('/obj?', '/obj2?'))
    assert_error(r, 403, 'SignatureDoesNotMatch')
    conn.good(bkt)

    # a later expiry
    r = conn.send('GET', u.replace('Expires=%s' % q['Expires'],
                                   'Expires=%d' % (int(q['Expires']) + 1)))
    assert_error(r, 403, 'SignatureDoesNotMatch')
    conn.good(bkt)

    # a presigned PUT cannot become another operation on the object
    url = c.generate_presigned_url('put_object',
                                   Params={'Bucket': bkt, 'Key': 'obj'})
    for extra in ('&tagging', '&retention', '&legal-hold', '&acl',
                  '&uploads', '&versionId=x'):
        r = conn.send('PUT', _url(url) + extra, body=b'<x/>')
        assert_error(r, 403, 'SignatureDoesNotMatch')
        conn.good(bkt)

    assert s3.get_object(Bucket=bkt, Key='obj')['Body'].read() == BODY


def test_presigned_unknown_key_and_missing(server, bkt, conn):
    path = '/%s/obj' % bkt
    pairs = sigv2.presign('GET', path, [], 'AKIDNOSUCHKEY0000',
                          server.secret_key, int(time.time()) + 60)
    r = conn.send('GET', path + '?' + sigv2.wire_query(pairs))
    f = assert_error(r, 403, 'InvalidAccessKeyId')
    assert f['AWSAccessKeyId'] == 'AKIDNOSUCHKEY0000'
    conn.good(bkt)

    for q in ('AWSAccessKeyId=%s&Signature=abc' % server.access_key,
              'Signature=abc&Expires=99999999999',
              'AWSAccessKeyId=%s&Expires=99999999999' % server.access_key):
        r = conn.send('GET', path + '?' + q)
        assert_error(r, 403, 'AccessDenied')
        conn.good(bkt)

    r = conn.send('GET', path + '?AWSAccessKeyId=%s&Signature=abc'
                  '&Expires=tomorrow' % server.access_key)
    f = assert_error(r, 403, 'AccessDenied')
    assert 'seconds since epoch' in f['Message']
    conn.good(bkt)


def test_s3_sigv2_off(make_server):
    srv = make_server(http_extra='    s3_sigv2 off;')
    name = new_bucket_name('v2off')
    boto_client(srv).create_bucket(Bucket=name)
    boto_client(srv).put_object(Bucket=name, Key='obj', Body=BODY)

    c = Conn(srv)
    try:
        r = c.signed('GET', '/%s/obj' % name)
        f = assert_error(r, 400, 'InvalidRequest')
        assert 'Please use AWS4-HMAC-SHA256' in f['Message']
        r = c.send('GET', '/%s/obj' % name,
                   sigv4.sign_headers('GET', srv.host, '/%s/obj' % name, [],
                                      {}, b'', srv.access_key,
                                      srv.secret_key, srv.region))
        assert r.status == 200 and r.body == BODY, r

        url = default_client(srv).generate_presigned_url(
            'get_object', Params={'Bucket': name, 'Key': 'obj'})
        r = c.send('GET', _url(url))
        f = assert_error(r, 400, 'InvalidRequest')
        assert 'Please use AWS4-HMAC-SHA256' in f['Message']

        # SigV4 presigned still works
        pairs = sigv4.presign('GET', srv.host, '/%s/obj' % name, [],
                              srv.access_key, srv.secret_key, srv.region,
                              expires=60)
        r = c.send('GET', '/%s/obj?%s' % (name, sigv4.wire_query(pairs)))
        assert r.status == 200 and r.body == BODY, r
    finally:
        c.close()


def test_error_bodies_parse(server, bkt):
    """The extra elements keep the body valid XML: a string to sign that
    is not UTF-8 is left out."""

    h = sigv2.sign_headers('GET', '/%s/obj' % bkt, [],
                           {'x-amz-meta-x': 'caf\xe9'},
                           server.access_key, 'wrong secret value')
    r = request(server, 'GET', '/%s/obj' % bkt, headers=h, sign=False)
    f = error_fields(r.body)
    assert f['Code'] == 'SignatureDoesNotMatch'
    assert 'StringToSign' not in f and f['AWSAccessKeyId']


# s3cmd --signature-v2

@pytest.mark.skipif(not os.path.exists(S3CMD), reason='no s3cmd')
def test_s3cmd_signature_v2(server, tmp_path):
    cfg = tmp_path / 's3cfg'
    cfg.write_text(
        '[default]\naccess_key = %s\nsecret_key = %s\nhost_base = %s\n'
        'host_bucket = %s\nbucket_location = us-east-1\nuse_https = False\n'
        'signature_v2 = True\nprogress_meter = False\n'
        % (server.access_key, server.secret_key, server.host, server.host))
    (tmp_path / 'home').mkdir()
    src = tmp_path / 'in.txt'
    src.write_bytes(b's3cmd with sigv2\n' * 100)

    def s3cmd(*args):
        p = subprocess.run(
            [S3CMD, '-c', str(cfg), '--signature-v2'] + list(args),
            env={'PATH': '/usr/bin:/bin', 'HOME': str(tmp_path / 'home'),
                 'LANG': 'C.UTF-8'},
            capture_output=True, timeout=60, stdin=subprocess.DEVNULL)
        out = (p.stdout + p.stderr).decode('utf-8', 'replace')
        assert p.returncode == 0, 's3cmd %s: %s' % (' '.join(args), out)
        return out

    b = 's3://' + new_bucket_name('s3cmdv2')
    s3cmd('mb', b)
    s3cmd('put', str(src), b + '/dir/in file.txt')
    assert 'in file.txt' in s3cmd('ls', '--recursive', b)
    s3cmd('get', b + '/dir/in file.txt', str(tmp_path / 'out.txt'))
    assert (tmp_path / 'out.txt').read_bytes() == src.read_bytes()
    s3cmd('info', b + '/dir/in file.txt')
    s3cmd('del', b + '/dir/in file.txt')
    s3cmd('rb', b)
