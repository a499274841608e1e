"""What nginx refuses before the module runs (a bad request line, URI or
header, too large, limit_req) is answered as an S3 XML error, through
the error_page snippet of the README (t/lib/s3server.py uses it): the
status, the Code, x-amz-request-id, no HTML.  nginx closes the
connection after most of these; a new one works, and nothing stored
changed."""

import http.client
import socket

import pytest

import sigv4
from conftest import new_bucket_name
from s3raw import KeepAlive, assert_ok, error_fields, request


@pytest.fixture(scope='module')
def bkt(s3):
    name = new_bucket_name('ngxerr')
    s3.create_bucket(Bucket=name)
    s3.put_object(Bucket=name, Key='obj', Body=b'object body')
    return name


def exchange(server, data, timeout=10):
    """Raw bytes in, (status, headers, body) of the first response out;
    the rest of what the server sent is returned too."""

    s = socket.create_connection(('127.0.0.1', server.port), timeout=timeout)
    try:
        s.sendall(data)
        r = http.client.HTTPResponse(s, method=data.split(b' ', 1)[0]
                                     .decode('latin-1'))
        r.begin()
        body = r.read()
        return r.status, {k.lower(): v for k, v in r.getheaders()}, body
    finally:
        s.close()


def assert_s3_error(server, data, status, code, head=False):
    st, h, body = exchange(server, data)
    assert st == status, (st, h, body)
    rid = h.get('x-amz-request-id')
    assert rid and len(rid) == 16, h
    assert h.get('content-type') == 'application/xml', (h, body)
    if head:
        assert body == b''
        return h, {}
    assert b'<html' not in body.lower()
    f = error_fields(body)
    assert f['Code'] == code, body
    assert f['Message'] and 'Resource' in f, body
    assert f['RequestId'] == rid
    assert h.get('connection') == 'close', h
    return h, f


def still_works(server, bkt):
    r = assert_ok(request(server, 'GET', '/%s/obj' % bkt))
    assert r.body == b'object body'
    r = assert_ok(request(server, 'GET', '/' + bkt,
                          query=[('list-type', '2')]))
    assert [k.text for k in r.xml().iter('Key')] == ['obj']


def line(*parts):
    return b'\r\n'.join(parts) + b'\r\n\r\n'


@pytest.mark.parametrize('target', [
    b'/{b}/%zz',            # a bad escape
    b'/{b}/%4',             # a truncated one
    b'/{b}/a%00b',          # NUL
    b'/../{b}/obj',         # above the root
    b'/{b}/../../obj',
])
def test_bad_uri(server, bkt, target):
    target = target.replace(b'{b}', bkt.encode())
    for method in (b'GET', b'PUT', b'DELETE'):
        h, f = assert_s3_error(
            server, line(method + b' ' + target + b' HTTP/1.1',
                         b'Host: ' + server.host.encode(),
                         b'Content-Length: 0'),
            400, 'InvalidURI')
        assert f['Resource'] == ''
    assert_s3_error(server, line(b'HEAD ' + target + b' HTTP/1.1',
                                 b'Host: ' + server.host.encode()),
                    400, 'InvalidURI', head=True)
    still_works(server, bkt)


@pytest.mark.parametrize('headers', [
    [b'Content-Length: 5', b'Content-Length: 5'],
    [b'Authorization: AWS4-HMAC-SHA256 a', b'Authorization: b'],
    [b'Host: other'],
    [b'Content-Length: 5', b'Transfer-Encoding: chunked'],
    [b'Content-Length: -1'],
    [b'X-Bad: a\x00b'],
])
def test_bad_headers(server, bkt, headers):
    h, f = assert_s3_error(
        server, line(b'PUT /%s/obj HTTP/1.1' % bkt.encode(),
                     b'Host: ' + server.host.encode(), *headers) + b'xxxxx',
        400, 'InvalidRequest')
    assert f['Resource'] == '/%s/obj' % bkt
    still_works(server, bkt)


def test_no_host(server, bkt):
    assert_s3_error(server, line(b'GET /%s/obj HTTP/1.1' % bkt.encode()),
                    400, 'InvalidRequest')
    still_works(server, bkt)


def test_bad_request_line(server, bkt):
    for req in (b'G\x01T / HTTP/1.1', b'GET /x HTTP/1.1 extra'):
        assert_s3_error(server, line(req, b'Host: x'), 400,
                        'InvalidRequest')
    still_works(server, bkt)


def test_header_too_large(server, bkt):
    h, f = assert_s3_error(
        server, line(b'GET /%s/obj HTTP/1.1' % bkt.encode(),
                     b'Host: ' + server.host.encode(),
                     b'X-Big: ' + b'a' * 9000),
        400, 'RequestHeaderSectionTooLarge')
    assert f['MaxSizeAllowed'] == '8192'
    assert f['Resource'] == '/%s/obj' % bkt
    many = [b'X-H%d: %s' % (i, b'v' * 1000) for i in range(40)]
    assert_s3_error(server, line(b'GET / HTTP/1.1', b'Host: x', *many),
                    400, 'RequestHeaderSectionTooLarge')
    still_works(server, bkt)


def test_uri_too_long(server, bkt):
    key = b'k' * 9000
    for method in (b'GET', b'PUT'):
        h, f = assert_s3_error(
            server, line(method + b' /%s/%s HTTP/1.1' % (bkt.encode(), key),
                         b'Host: ' + server.host.encode(),
                         b'Content-Length: 0'),
            400, 'RequestHeaderSectionTooLarge')
    still_works(server, bkt)
    r = request(server, 'GET', '/' + bkt, query=[('list-type', '2')])
    assert b'kkkk' not in r.body


def test_trace(server, bkt):
    assert_s3_error(server, line(b'TRACE /%s/obj HTTP/1.1' % bkt.encode(),
                                 b'Host: ' + server.host.encode()),
                    405, 'MethodNotAllowed')
    still_works(server, bkt)


def test_unknown_transfer_encoding(server, bkt):
    assert_s3_error(server, line(b'PUT /%s/obj HTTP/1.1' % bkt.encode(),
                                 b'Host: ' + server.host.encode(),
                                 b'Transfer-Encoding: gzip'),
                    501, 'NotImplemented')
    still_works(server, bkt)


def test_body_too_large(make_server):
    """client_max_body_size: 413 from nginx is S3's 400 EntityTooLarge."""

    srv = make_server(server_extra='        client_max_body_size 10;')
    bkt = new_bucket_name('small')
    assert_ok(request(srv, 'PUT', '/' + bkt))
    assert_ok(request(srv, 'PUT', '/%s/obj' % bkt, body=b'0123456789'))

    body = b'x' * 100
    path = '/%s/obj' % bkt
    h = sigv4.sign_headers('PUT', srv.host, path, [],
                           {'Content-Length': str(len(body))}, body,
                           srv.access_key, srv.secret_key)
    head = ['PUT %s HTTP/1.1' % path, 'Host: %s' % srv.host]
    head += ['%s: %s' % kv for kv in h.items()]
    hdr, f = assert_s3_error(srv, line(*[x.encode() for x in head]) + body,
                             400, 'EntityTooLarge')
    assert f['ProposedSize'] == '100' and f['MaxSizeAllowed'] == '10'
    assert f['Resource'] == path
    r = assert_ok(request(srv, 'GET', path))
    assert r.body == b'0123456789'


def test_limit_req_is_slow_down(make_server):
    """limit_req's 503 is S3's SlowDown; the connection stays usable."""

    srv = make_server(
        http_extra='    limit_req_zone $server_port zone=one:1m rate=1r/m;',
        server_extra='        location /slow { limit_req zone=one; s3; }')
    bkt = new_bucket_name('slow')
    assert_ok(request(srv, 'PUT', '/' + bkt))
    with KeepAlive(srv) as c:
        assert c.request('GET', '/' + bkt).status in (200, 503)
        r = c.request('GET', '/' + bkt)
        assert r.status == 503, r
        f = error_fields(r.body)
        assert f['Code'] == 'SlowDown'
        assert f['RequestId'] == r.header('x-amz-request-id')
        r = c.request('HEAD', '/' + bkt)
        assert r.status == 503 and r.body == b''
        assert_ok(c.request('GET', '/'))


def test_no_stale_headers_on_error_page(server, bkt):
    """One x-amz-request-id per answer, also through error_page."""

    st, h, body = exchange(server, line(b'GET /%s/%%zz HTTP/1.1'
                                        % bkt.encode(), b'Host: x'))
    assert st == 400
    raw = socket.create_connection(('127.0.0.1', server.port), timeout=10)
    try:
        raw.sendall(line(b'GET /%s/%%zz HTTP/1.1' % bkt.encode(),
                         b'Host: x'))
        data = b''
        while True:
            b = raw.recv(65536)
            if not b:
                break
            data += b
    finally:
        raw.close()
    assert data.lower().count(b'x-amz-request-id:') == 1, data
