"""Raw HTTP requests to the server and S3 error assertions.

request() signs with sigv4.py unless told not to, sends exactly the path
given (already percent-encoded) and returns a Resp with the whole body.
"""

import contextlib
import http.client
import socket
import xml.etree.ElementTree as ET

import botocore.exceptions

import sigv4

S3NS = '{http://s3.amazonaws.com/doc/2006-03-01/}'


class Resp:
    def __init__(self, status, reason, headers, body, method):
        self.status = status
        self.reason = reason
        self.headers = headers          # http.client.HTTPMessage
        self.body = body
        self.method = method

    def header(self, name):
        return self.headers.get(name)

    def xml(self):
        return strip_ns(ET.fromstring(self.body))

    def __repr__(self):
        return '<Resp %d %s %r>' % (self.status, dict(self.headers.items()),
                                   self.body[:600])


def strip_ns(root):
    for el in root.iter():
        if isinstance(el.tag, str) and el.tag.startswith('{'):
            el.tag = el.tag.split('}', 1)[1]
    return root


def request(server, method, path, query=(), headers=None, body=b'',
            sign=True, access_key=None, secret=None, region=None,
            amz_date=None, payload_hash=None, host=None, signed_headers=None,
            chunks=None, timeout=30, content_length=True):
    """One request on its own connection.

    query: list of (name, value) pairs, not encoded.
    chunks: a list of byte strings sent with Transfer-Encoding: chunked
    (then body is ignored; payload_hash should be given).
    """

    headers = dict(headers or {})
    host = host or server.host
    if chunks is not None:
        body = b''.join(chunks)
    if sign:
        headers = sigv4.sign_headers(
            method, host, path, list(query), headers, body,
            access_key or server.access_key, secret or server.secret_key,
            region or server.region, amz_date=amz_date,
            payload_hash=payload_hash, signed_headers=signed_headers)
    url = path
    if query:
        url += '?' + sigv4.wire_query(list(query))

    conn = http.client.HTTPConnection('127.0.0.1', server.port,
                                      timeout=timeout)
    try:
        conn.putrequest(method, url, skip_host=True,
                        skip_accept_encoding=True)
        conn.putheader('Host', host)
        for k, v in headers.items():
            conn.putheader(k, v)
        if chunks is not None:
            conn.putheader('Transfer-Encoding', 'chunked')
        elif content_length and (body or method in ('PUT', 'POST')):
            conn.putheader('Content-Length', str(len(body)))
        conn.endheaders()
        if chunks is not None:
            for c in chunks:
                if c:
                    conn.send(b'%x\r\n%s\r\n' % (len(c), c))
            conn.send(b'0\r\n\r\n')
        elif body:
            conn.send(body)
        r = conn.getresponse()
        data = r.read()
        return Resp(r.status, r.reason, r.headers, data, method)
    finally:
        conn.close()


def url_request(server, method, url_path_query, headers=None, body=b'',
                timeout=30):
    """Send a ready-made path?query (a presigned URL) unchanged."""

    conn = http.client.HTTPConnection('127.0.0.1', server.port,
                                      timeout=timeout)
    try:
        conn.putrequest(method, url_path_query, skip_host=True,
                        skip_accept_encoding=True)
        conn.putheader('Host', server.host)
        for k, v in (headers or {}).items():
            conn.putheader(k, v)
        if body or method in ('PUT', 'POST'):
            conn.putheader('Content-Length', str(len(body)))
        conn.endheaders()
        if body:
            conn.send(body)
        r = conn.getresponse()
        return Resp(r.status, r.reason, r.headers, r.read(), method)
    finally:
        conn.close()


def raw_exchange(server, data, timeout=10, shutdown=True):
    """Send raw bytes, read until the server closes or times out."""

    s = socket.create_connection(('127.0.0.1', server.port), timeout=timeout)
    try:
        s.sendall(data)
        if shutdown:
            s.shutdown(socket.SHUT_WR)
        out = b''
        while True:
            try:
                b = s.recv(65536)
            except socket.timeout:
                break
            if not b:
                break
            out += b
        return out
    finally:
        s.close()


def error_fields(body):
    root = strip_ns(ET.fromstring(body))
    assert root.tag == 'Error', 'error body root is %r: %r' % (root.tag,
                                                               body)
    return {el.tag: (el.text or '') for el in root}


def assert_error(resp, status, code):
    """status, the XML Code, x-amz-request-id, and a complete <Error>."""

    assert resp.status == status and (
        resp.method == 'HEAD' or code in resp.body.decode('utf-8',
                                                          'replace')), \
        'want %d %s, got %r' % (status, code, resp)
    rid = resp.header('x-amz-request-id')
    assert rid, 'no x-amz-request-id: %r' % resp
    if resp.method == 'HEAD':
        assert resp.body == b''
        return None
    ctype = resp.header('Content-Type') or ''
    assert 'xml' in ctype, 'error Content-Type %r: %r' % (ctype, resp)
    f = error_fields(resp.body)
    assert f.get('Code') == code, 'want Code %s: %r' % (code, resp)
    for el in ('Message', 'Resource', 'RequestId'):
        assert el in f, 'error body lacks <%s>: %r' % (el, resp.body)
    assert f['Message'], 'empty <Message>: %r' % resp.body
    assert f['RequestId'] == rid, \
        'RequestId %r != x-amz-request-id %r' % (f['RequestId'], rid)
    return f


def assert_ok(resp, status=200):
    assert resp.status == status, 'want %d, got %r' % (status, resp)
    assert resp.header('x-amz-request-id'), 'no x-amz-request-id: %r' % resp
    return resp


@contextlib.contextmanager
def client_error(status, code):
    """with client_error(404, 'NoSuchKey'): s3.get_object(...)"""

    try:
        yield
    except botocore.exceptions.ClientError as e:
        r = e.response
        got = (r['ResponseMetadata']['HTTPStatusCode'],
               r.get('Error', {}).get('Code'))
        assert got == (status, code), 'want %d %s, got %s: %r' % (
            status, code, got, r)
        assert r['ResponseMetadata']['HTTPHeaders'].get('x-amz-request-id'), \
            'no x-amz-request-id: %r' % r
    else:
        raise AssertionError('want %d %s, the call succeeded'
                             % (status, code))


class KeepAlive:
    """One HTTP/1.1 connection used for several requests, byte by byte,
    so that a test controls when the body goes (after a 100, or never)."""

    def __init__(self, server, timeout=10):
        self.server = server
        self.sock = socket.create_connection(('127.0.0.1', server.port),
                                             timeout=timeout)
        self.buf = b''

    def close(self):
        self.sock.close()

    def head(self, method, path, query=(), headers=None, body=b'',
             sign=True, payload_hash=None, access_key=None, secret=None):
        """The request line and headers, signed as request() does."""

        headers = dict(headers or {})
        host = self.server.host
        if sign:
            headers = sigv4.sign_headers(
                method, host, path, list(query), headers, body,
                access_key or self.server.access_key,
                secret or self.server.secret_key,
                self.server.region, payload_hash=payload_hash)
        url = path
        if query:
            url += '?' + sigv4.wire_query(list(query))
        lines = ['%s %s HTTP/1.1' % (method, url), 'Host: %s' % host]
        lines += ['%s: %s' % (k, v) for k, v in headers.items()]
        if body or method in ('PUT', 'POST'):
            lines.append('Content-Length: %d' % len(body))
        return ('\r\n'.join(lines) + '\r\n\r\n').encode('utf-8')

    def send(self, data):
        self.sock.sendall(data)

    def request(self, method, path, query=(), headers=None, body=b'',
                sign=True, access_key=None, secret=None):
        """A whole request (signed as request() does) and its response,
        on this connection: ConnectionError if the server closed it."""

        self.send(self.head(method, path, query, headers, body, sign,
                            access_key=access_key, secret=secret) + body)
        return self.response(method)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def _fill(self):
        b = self.sock.recv(65536)
        if not b:
            raise ConnectionError('closed by the server')
        self.buf += b

    def response(self, method='GET'):
        """One response (a 100 Continue is returned like any other)."""

        while b'\r\n\r\n' not in self.buf:
            self._fill()
        head, self.buf = self.buf.split(b'\r\n\r\n', 1)
        lines = head.decode('latin-1').split('\r\n')
        status = int(lines[0].split()[1])
        hdrs = http.client.HTTPMessage()
        for ln in lines[1:]:
            k, v = ln.split(':', 1)
            hdrs[k.strip()] = v.strip()
        n = 0
        if status >= 200 and status not in (204, 304) and method != 'HEAD':
            n = int(hdrs.get('Content-Length', '0'))
        while len(self.buf) < n:
            self._fill()
        body, self.buf = self.buf[:n], self.buf[n:]
        return Resp(status, '', hdrs, body, method)

    def closed(self, wait=2.0):
        """True if the server closed the connection (nothing else came)."""

        self.sock.settimeout(wait)
        try:
            b = self.sock.recv(65536)
        except socket.timeout:
            return False
        except ConnectionError:
            return True
        if b:
            self.buf += b
            return False
        return True
