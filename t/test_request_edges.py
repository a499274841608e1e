"""Request edges checked in the one common path of every operation: keys
that are not UTF-8, "%2F" in the bucket part of a path-style URL, and
x-amz-acl values S3 does not know."""

import http.client
import socket

import pytest

import sigv4
from conftest import new_bucket_name
from s3raw import KeepAlive, assert_error, assert_ok, client_error, request


@pytest.fixture(scope='module')
def bkt(s3):
    name = new_bucket_name('edges')
    s3.create_bucket(Bucket=name)
    s3.put_object(Bucket=name, Key='et/key', Body=b'et key body')
    s3.put_object(Bucket=name, Key='obj', Body=b'object body')
    return name


def _keys(s3, bucket):
    return [c['Key'] for c in
            s3.list_objects_v2(Bucket=bucket).get('Contents', [])]


# keys that are not UTF-8: one check for every operation that names a key

BAD_KEYS = ['bad%FFkey', '%C3%28', 'over%C0%AFlong', 'sur%ED%A0%80rogate',
            'trunc%E6%97', 'et/%80']


@pytest.mark.parametrize('raw', BAD_KEYS)
def test_invalid_utf8_key_every_method(server, s3, bkt, raw):
    path = '/%s/%s' % (bkt, raw)
    before = _keys(s3, bkt)
    with KeepAlive(server) as c:
        for method, query in (('GET', []), ('HEAD', []), ('DELETE', []),
                              ('PUT', []), ('GET', [('tagging', '')]),
                              ('DELETE', [('versionId', 'null')])):
            r = c.request(method, path, query=query,
                          body=b'x' if method == 'PUT' else b'')
            # AWS: 400 InvalidURI "Couldn't parse the specified URI."
            assert_error(r, 400, 'InvalidURI')
        r = assert_ok(c.request('GET', '/%s/obj' % bkt))
        assert r.body == b'object body'

    # virtual-hosted style goes the same way
    host = '%s.%s:%d' % (bkt, server.domain, server.port)
    for method in ('GET', 'HEAD', 'DELETE'):
        assert_error(request(server, method, '/' + raw, host=host), 400,
                     'InvalidURI')
    assert _keys(s3, bkt) == before


# "%2F" in the bucket part is no separator

def test_escaped_slash_in_bucket(server, s3, bkt):
    """/<b>%2Fet/key names the bucket "<b>/et", not key et/key of <b>."""

    with KeepAlive(server) as c:
        for method, body in (('GET', b''), ('HEAD', b''), ('DELETE', b''),
                             ('PUT', b'must not land')):
            r = c.request(method, '/%s%%2Fet/key' % bkt, body=body)
            assert_error(r, 400, 'InvalidBucketName')

        for method in ('GET', 'PUT', 'HEAD', 'DELETE'):
            r = c.request(method, '/%s%%2Fet' % bkt)
            assert_error(r, 400, 'InvalidBucketName')
        r = c.request('GET', '/%s%%2F' % bkt, query=[('list-type', '2')])
        assert_error(r, 400, 'InvalidBucketName')

        # in the key part it is a '/' of the key, as with S3
        r = assert_ok(c.request('GET', '/%s/et%%2Fkey' % bkt))
        assert r.body == b'et key body'

        # an escaped letter in the bucket part still names the bucket
        r = assert_ok(c.request('GET', '/%s/obj' % bkt.replace('e', '%65')))
        assert r.body == b'object body'

    assert s3.get_object(Bucket=bkt, Key='et/key')['Body'].read() \
        == b'et key body'
    assert sorted(_keys(s3, bkt)) == ['et/key', 'obj']


# x-amz-acl

def test_unknown_canned_acl(server, s3, bkt):
    """An x-amz-acl value that is no canned ACL: 400 InvalidArgument
    naming it, as S3; nothing is created or changed."""

    name = new_bucket_name('acl')
    with KeepAlive(server) as c:
        r = c.request('PUT', '/' + name, headers={'x-amz-acl': 'bogus'})
        f = assert_error(r, 400, 'InvalidArgument')
        assert f.get('ArgumentName') == 'x-amz-acl'
        assert f.get('ArgumentValue') == 'bogus'
        assert_error(c.request('HEAD', '/' + name), 404, 'NoSuchBucket')

        r = c.request('PUT', '/%s/obj' % bkt, body=b'replaced',
                      headers={'x-amz-acl': 'privatee'})
        f = assert_error(r, 400, 'InvalidArgument')
        assert f.get('ArgumentValue') == 'privatee'
        r = c.request('PUT', '/%s/new-obj' % bkt, body=b'x' * 100000,
                      headers={'x-amz-acl': ''})
        assert_error(r, 400, 'InvalidArgument')

        # a value that is not printable is named, not echoed
        r = c.request('PUT', '/%s/obj' % bkt, body=b'replaced',
                      headers={'x-amz-acl': 'pri\x01vate'})
        f = assert_error(r, 400, 'InvalidArgument')
        assert f.get('ArgumentName') == 'x-amz-acl'
        assert 'ArgumentValue' not in f

        r = assert_ok(c.request('GET', '/%s/obj' % bkt))
        assert r.body == b'object body'
    assert 'new-obj' not in _keys(s3, bkt)

    with client_error(400, 'InvalidArgument'):
        s3.put_object(Bucket=bkt, Key='obj', Body=b'boto', ACL='bogus')
    with client_error(400, 'InvalidArgument'):
        s3.create_bucket(Bucket=name, ACL='public')
    assert s3.get_object(Bucket=bkt, Key='obj')['Body'].read() \
        == b'object body'


def test_known_canned_acls_unchanged(server, s3, bkt):
    """Known canned ACLs: the bucket permissions (test_acl.py) work on
    buckets, those of AWS services are 501; objects take what changes
    nothing (private, bucket-owner-full-control), others are
    AccessControlListNotSupported."""

    name = new_bucket_name('acl-ok')
    with KeepAlive(server) as c:
        assert_ok(c.request('PUT', '/' + name,
                            headers={'x-amz-acl': 'private'}))
        for acl in ('aws-exec-read', 'log-delivery-write'):
            r = c.request('PUT', '/' + new_bucket_name('acl-no'),
                          headers={'x-amz-acl': acl})
            assert_error(r, 501, 'NotImplemented')
        for acl in ('private', 'bucket-owner-full-control'):
            assert_ok(c.request('PUT', '/%s/k' % name, body=acl.encode(),
                                headers={'x-amz-acl': acl}))
        for acl in ('public-read', 'aws-exec-read', 'bucket-owner-read'):
            r = c.request('PUT', '/%s/k' % name, body=b'no',
                          headers={'x-amz-acl': acl})
            assert_error(r, 400, 'AccessControlListNotSupported')
        r = assert_ok(c.request('GET', '/%s/k' % name))
        assert r.body == b'bucket-owner-full-control'
        # other operations do not look at x-amz-acl
        r = assert_ok(c.request('GET', '/%s/k' % name,
                                headers={'x-amz-acl': 'bogus'}))
        assert_ok(c.request('DELETE', '/%s/k' % name), 204)
        assert_ok(c.request('DELETE', '/' + name), 204)


def test_early_error_with_expect_closes(server, s3, bkt):
    """An error answered before "100 Continue": the client sends no body
    (botocore does not, and reuses the connection), so waiting for one
    would take the next request for it: the connection is closed."""

    body = b'never sent'
    path = '/%s/obj' % bkt
    h = sigv4.sign_headers('PUT', server.host, path, [],
                           {'Content-Length': str(len(body)),
                            'x-amz-acl': 'bogus'}, body,
                           server.access_key, server.secret_key)
    h['Expect'] = '100-continue'
    head = ['PUT %s HTTP/1.1' % path, 'Host: %s' % server.host]
    head += ['%s: %s' % kv for kv in h.items()]
    s = socket.create_connection(('127.0.0.1', server.port), timeout=10)
    try:
        s.sendall(('\r\n'.join(head) + '\r\n\r\n').encode())
        r = http.client.HTTPResponse(s, method='PUT')
        r.begin()
        data = r.read()
        assert r.status == 400 and b'InvalidArgument' in data, data
        assert r.getheader('Connection') == 'close'
        assert s.recv(1) == b''             # closed, not waiting
    finally:
        s.close()

    # boto3 (Expect: 100-continue on PutObject) goes on with a new one
    with client_error(400, 'InvalidArgument'):
        s3.put_object(Bucket=bkt, Key='obj', Body=b'boto', ACL='bogus')
    assert s3.get_object(Bucket=bkt, Key='obj')['Body'].read() \
        == b'object body'
