"""A final answer before the body was read must not desynchronise a
keep-alive connection (issue: the next request lost its first bytes).

Every early-error path of every operation with a body, with and without
`Expect: 100-continue`, then another request on the same connection:
- without Expect the client sends the body at once: the server reads and
  drops it, and the next request on the connection succeeds;
- with Expect, no 100 comes: the client never sends the body, and the
  server closes the connection after the answer (Connection: close); a
  client that sends the body anyway after the answer does not get it
  taken for a request.
"""

import base64
import hashlib

import pytest

from conftest import boto_client, new_bucket_name
from s3raw import KeepAlive, assert_error, client_error, request

BODY = b'x' * 3000
DELETE_XML = (b'<Delete><Object><Key>sig</Key></Object>'
              + b'<!--' + b'p' * 3000 + b'--></Delete>')


def _body(method):
    return DELETE_XML if method == 'POST' else BODY


def _cases(bucket):
    md5 = base64.b64encode(hashlib.md5(b'other').digest()).decode()
    return {
        'no-such-bucket': ('PUT', '/%s/k' % new_bucket_name('missing'),
                           {}, {}, 404, 'NoSuchBucket'),
        'key-too-long': ('PUT', '/%s/%s' % (bucket, 'k' * 1100), {}, {},
                         400, 'KeyTooLongError'),
        'invalid-bucket-name': ('PUT', '/Bad_Bucket/k', {}, {}, 400,
                                'InvalidBucketName'),
        'anonymous': ('PUT', '/%s/anon' % bucket, {}, {'sign': False},
                      403, 'AccessDenied'),
        'bad-signature': ('PUT', '/%s/sig' % bucket, {},
                          {'payload_hash': 'UNSIGNED-PAYLOAD',
                           'secret': 'wrong'}, 403,
                          'SignatureDoesNotMatch'),
        'bad-content-md5': ('PUT', '/%s/md5' % bucket,
                            {'Content-MD5': 'not-base64!'}, {}, 400,
                            'InvalidDigest'),
        'wrong-content-md5': ('PUT', '/%s/md5w' % bucket,
                              {'Content-MD5': md5}, {}, 400, 'BadDigest'),
        'not-implemented-copy': ('PUT', '/%s/c' % bucket,
                                 {'x-amz-server-side-encryption': 'aws:kms'},
                                 {}, 501, 'NotImplemented'),
        'delete-objects-no-bucket': ('POST',
                                     '/%s' % new_bucket_name('missing'),
                                     {}, {'query': [('delete', '')]},
                                     404, 'NoSuchBucket'),
        'create-bucket-bad-name': ('PUT', '/Bad_Name', {}, {}, 400,
                                   'InvalidBucketName'),
        'delete-objects-anonymous': ('POST', '/%s' % bucket, {},
                                     {'query': [('delete', '')],
                                      'sign': False}, 403, 'AccessDenied'),
    }


CASES = sorted(_cases('b').keys())


def _head(conn, server, method, path, headers, opts, body):
    sign = opts.get('sign', True)
    if opts.get('secret'):
        import sigv4
        h = sigv4.sign_headers(method, server.host, path,
                               list(opts.get('query', [])), headers, body,
                               server.access_key, opts['secret'],
                               server.region,
                               payload_hash=opts.get('payload_hash'))
        return conn.head(method, path, opts.get('query', []), h, body,
                         sign=False)
    return conn.head(method, path, opts.get('query', []), headers, body,
                     sign=sign, payload_hash=opts.get('payload_hash'))


def _next_ok(conn, server):
    conn.send(conn.head('GET', '/'))
    r = conn.response()
    assert r.status == 200, r
    assert b'ListAllMyBucketsResult' in r.body, r


@pytest.fixture(scope='module')
def kb(s3):
    name = new_bucket_name('keepalive')
    s3.create_bucket(Bucket=name)
    for k in ('sig', 'md5', 'md5w', 'c', 'anon'):
        s3.put_object(Bucket=name, Key=k, Body=b'original ' + k.encode())
    return name


def _unchanged(s3, bucket):
    for k in ('sig', 'md5', 'md5w', 'c', 'anon'):
        got = s3.get_object(Bucket=bucket, Key=k)['Body'].read()
        assert got == b'original ' + k.encode(), k


@pytest.mark.parametrize('case', CASES)
def test_error_then_next_request_without_expect(server, s3, kb, case):
    method, path, headers, opts, status, code = _cases(kb)[case]
    body = _body(method)
    conn = KeepAlive(server)
    try:
        conn.send(_head(conn, server, method, path, headers, opts, body)
                  + body)
        r = conn.response(method)
        assert_error(r, status, code)
        assert (r.header('Connection') or '').lower() != 'close', r
        _next_ok(conn, server)
        _next_ok(conn, server)
    finally:
        conn.close()
    _unchanged(s3, kb)


# errors found only in the body: the 100 comes, the body is read
LATE = ('delete-objects-no-bucket', 'wrong-content-md5')


@pytest.mark.parametrize('case', CASES)
def test_error_with_expect(server, s3, kb, case):
    method, path, headers, opts, status, code = _cases(kb)[case]
    headers = dict(headers, Expect='100-continue')
    body = _body(method)
    conn = KeepAlive(server)
    try:
        conn.send(_head(conn, server, method, path, headers, opts, body))
        r = conn.response(method)
        if case in LATE:
            assert r.status == 100, r
            conn.send(body)
            assert_error(conn.response(method), status, code)
            _next_ok(conn, server)
        else:
            assert r.status != 100, 'a 100 for a request that fails: %r' % r
            assert_error(r, status, code)
            assert (r.header('Connection') or '').lower() == 'close', r
            assert conn.closed(), 'the connection stayed open'
    finally:
        conn.close()
    _unchanged(s3, kb)


@pytest.mark.parametrize('case', ['no-such-bucket', 'bad-signature',
                                  'key-too-long'])
def test_error_with_expect_body_sent_anyway(server, s3, kb, case):
    """A client that gives up waiting and sends the body after the answer:
    the body is never parsed as a request, the connection closes."""

    method, path, headers, opts, status, code = _cases(kb)[case]
    headers = dict(headers, Expect='100-continue')
    conn = KeepAlive(server)
    try:
        conn.send(_head(conn, server, method, path, headers, opts, BODY))
        assert_error(conn.response(method), status, code)
        # the body, and a request hidden at its start
        try:
            conn.send(b'GET / HTTP/1.1\r\nHost: x\r\n\r\n' + BODY[30:])
        except OSError:
            pass
        assert conn.closed(), 'the connection stayed open'
        assert conn.buf == b'', 'the body was answered: %r' % conn.buf
    finally:
        conn.close()
    _unchanged(s3, kb)


def test_expect_success_still_gets_100(server, s3, kb):
    conn = KeepAlive(server)
    try:
        conn.send(conn.head('PUT', '/%s/ok100' % kb,
                            headers={'Expect': '100-continue'}, body=BODY))
        r = conn.response('PUT')
        assert r.status == 100, r
        conn.send(BODY)
        r = conn.response('PUT')
        assert r.status == 200, r
        _next_ok(conn, server)
    finally:
        conn.close()
    got = s3.get_object(Bucket=kb, Key='ok100')['Body'].read()
    assert got == BODY


def test_boto3_put_to_missing_bucket_then_list(server, kb):
    """The reported case: boto3 sends Expect: 100-continue on PUT."""

    s3 = boto_client(server)
    missing = new_bucket_name('gone')
    for _ in range(3):
        with client_error(404, 'NoSuchBucket'):
            s3.put_object(Bucket=missing, Key='k', Body=b'y' * 100000)
        r = s3.list_objects_v2(Bucket=kb)
        assert r['ResponseMetadata']['HTTPStatusCode'] == 200
        with client_error(400, 'KeyTooLongError'):
            s3.put_object(Bucket=kb, Key='k' * 1100, Body=b'y' * 100)
        s3.head_bucket(Bucket=kb)


def test_get_with_a_body_keeps_the_connection(server, kb):
    """Operations that never read a body drop one that comes."""

    conn = KeepAlive(server)
    try:
        conn.send(conn.head('GET', '/%s/sig' % kb, body=BODY) + BODY)
        r = conn.response()
        assert r.status == 200 and r.body == b'original sig', r
        conn.send(conn.head('DELETE', '/%s/nothing-here' % kb, body=BODY)
                  + BODY)
        assert conn.response('DELETE').status == 204
        _next_ok(conn, server)
    finally:
        conn.close()


def test_raw_request_fresh_connection_still_fine(server, kb):
    r = request(server, 'GET', '/%s' % kb, query=[('list-type', '2')])
    assert r.status == 200
