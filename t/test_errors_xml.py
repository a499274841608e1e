"""Every error is an S3 XML error; every response has x-amz-request-id;
errors keep the connection usable."""

import http.client
import xml.etree.ElementTree as ET

import pytest

import sigv4
from conftest import new_bucket_name
from s3raw import assert_error, assert_ok, error_fields, request, strip_ns


@pytest.fixture(scope='module')
def bkt(s3):
    name = new_bucket_name('errors')
    s3.create_bucket(Bucket=name)
    s3.put_object(Bucket=name, Key='obj', Body=b'object body')
    return name


def test_error_body_shape(server, bkt):
    path = sigv4.key_path(bkt, 'no such/key <&>')
    r = request(server, 'GET', path)
    f = assert_error(r, 404, 'NoSuchKey')
    assert r.body.startswith(b'<?xml version="1.0" encoding="UTF-8"?>')
    root = strip_ns(ET.fromstring(r.body))
    assert root.tag == 'Error'
    tags = [el.tag for el in root]
    for t in ('Code', 'Message', 'Resource', 'RequestId'):
        assert tags.count(t) == 1, tags
    assert f['Resource'] in ('/%s/no such/key <&>' % bkt, path)
    assert r.header('Content-Type') == 'application/xml'
    assert int(r.header('Content-Length') or len(r.body)) == len(r.body)
    assert b'<html' not in r.body.lower()
    assert r.header('Date')


@pytest.mark.parametrize('method,path,sign,status,code', [
    ('GET', '/{b}/missing', True, 404, 'NoSuchKey'),
    ('GET', '/nosuchbucket-x1/k', True, 404, 'NoSuchBucket'),
    ('GET', '/{b}/obj', False, 403, 'AccessDenied'),
    ('PUT', '/Bad_Name', True, 400, 'InvalidBucketName'),
    ('DELETE', '/{b}', True, 409, 'BucketNotEmpty'),
])
def test_errors_are_xml(server, bkt, method, path, sign, status, code):
    r = request(server, method, path.format(b=bkt), sign=sign)
    f = assert_error(r, status, code)
    assert f['Resource']


def test_method_not_allowed(server, bkt):
    for method in ('PATCH', 'OPTIONS'):
        r = request(server, method, '/%s/obj' % bkt)
        # AWS: 405 MethodNotAllowed for a method the resource does not
        # support; OPTIONS is a CORS preflight, without an Origin 400
        # BadRequest (test_cors.py); either way XML
        if method == 'OPTIONS':
            assert r.status == 400, r
            assert error_fields(r.body)['Code'] == 'BadRequest'
        else:
            assert r.status in (405, 403, 501), r
            error_fields(r.body)
        assert r.header('x-amz-request-id')


def test_request_id_on_success(server, s3, bkt):
    for method, path, query, body, status in [
            ('GET', '/', [], b'', 200),
            ('HEAD', '/' + bkt, [], b'', 200),
            ('GET', '/' + bkt, [('list-type', '2')], b'', 200),
            ('GET', '/' + bkt, [], b'', 200),
            ('GET', '/' + bkt, [('location', '')], b'', 200),
            ('PUT', '/%s/rid' % bkt, [], b'x', 200),
            ('GET', '/%s/rid' % bkt, [], b'', 200),
            ('HEAD', '/%s/rid' % bkt, [], b'', 200),
            ('DELETE', '/%s/rid' % bkt, [], b'', 204)]:
        r = request(server, method, path, query=query, body=body)
        assert_ok(r, status)


def _conn(server):
    return http.client.HTTPConnection('127.0.0.1', server.port, timeout=10)


def _send(conn, server, method, path, body=b'', headers=None, sign=True,
          secret=None):
    h = dict(headers or {})
    if sign:
        h = sigv4.sign_headers(method, server.host, path, [], h, body,
                               server.access_key,
                               secret or server.secret_key)
    h['Host'] = server.host
    if body or method == 'PUT':
        h['Content-Length'] = str(len(body))
    conn.request(method, path, body=body or None, headers=h)
    r = conn.getresponse()
    return r.status, r.read(), r


def test_keepalive_after_errors(server, bkt):
    """An error answered before the body was read must still leave the
    connection in step: the next request on it works."""

    c = _conn(server)
    try:
        body = b'z' * 200000
        st, data, _ = _send(c, server, 'PUT', '/%s/ka' % bkt, body=body,
                            secret='wrong' * 8)
        assert st == 403, data
        st, data, _ = _send(c, server, 'GET', '/%s/obj' % bkt)
        assert (st, data) == (200, b'object body')
        st, data, _ = _send(c, server, 'PUT', '/%s/ka' % bkt, body=body,
                            sign=False)
        assert st == 403, data
        st, data, _ = _send(c, server, 'GET', '/%s/missing' % bkt)
        assert st == 404, data
        st, data, _ = _send(c, server, 'PUT', '/nosuchbucket-x2/k',
                            body=body)
        assert st == 404, data
        st, data, _ = _send(c, server, 'PUT', '/%s/ka' % bkt, body=body,
                            headers={'Content-MD5': 'AAAAAAAAAAAAAAAAAAAAAA=='})
        assert st == 400, data
        st, data, _ = _send(c, server, 'HEAD', '/%s/obj' % bkt)
        assert st == 200 and data == b''
        st, data, _ = _send(c, server, 'GET', '/%s/obj' % bkt)
        assert (st, data) == (200, b'object body')
    finally:
        c.close()
    r = request(server, 'GET', '/%s/ka' % bkt)
    assert_error(r, 404, 'NoSuchKey')


def test_keepalive_many_requests(server, bkt):
    c = _conn(server)
    try:
        for i in range(50):
            st, data, _ = _send(c, server, 'PUT', '/%s/ka%d' % (bkt, i % 5),
                                body=b'v%d' % i)
            assert st == 200
            st, data, _ = _send(c, server, 'GET', '/%s/ka%d' % (bkt, i % 5))
            assert (st, data) == (200, b'v%d' % i)
    finally:
        c.close()
