"""Objects: PUT, GET, HEAD, DELETE, metadata, digests, keys, bodies,
ranges, conditionals, response overrides, operations not implemented."""

import base64
import datetime
import email.utils
import hashlib
import http.client
import socket
import time

import pytest

import sigv4
from s3raw import assert_error, assert_ok, client_error, request


def md5_etag(data):
    return '"%s"' % hashlib.md5(data).hexdigest()


def b64md5(data):
    return base64.b64encode(hashlib.md5(data).digest()).decode()


def kpath(bucket, key):
    return sigv4.key_path(bucket, key)


def get_body(server, bucket, key):
    r = request(server, 'GET', kpath(bucket, key))
    return r.body if r.status == 200 else r.status


# metadata and content headers

def test_put_get_head_metadata(server, s3, bucket):
    body = b'metadata test body\n' * 10
    expires = datetime.datetime(2031, 5, 6, 7, 8, 9,
                                tzinfo=datetime.timezone.utc)
    r = s3.put_object(
        Bucket=bucket, Key='meta', Body=body,
        Metadata={'color': 'blue', 'multi-word': 'a b c', 'n': '1'},
        ContentType='text/x-test; charset=utf-8',
        ContentEncoding='x-custom',
        ContentDisposition='attachment; filename="f.txt"',
        ContentLanguage='de-DE',
        CacheControl='max-age=60, private',
        Expires=expires)
    assert r['ETag'] == md5_etag(body)
    assert r['ResponseMetadata']['HTTPHeaders'].get('x-amz-request-id')

    for got in (s3.head_object(Bucket=bucket, Key='meta'),
                s3.get_object(Bucket=bucket, Key='meta')):
        assert got['ETag'] == md5_etag(body)
        assert got['ContentLength'] == len(body)
        assert got['Metadata'] == {'color': 'blue', 'multi-word': 'a b c',
                                   'n': '1'}
        assert got['ContentType'] == 'text/x-test; charset=utf-8'
        assert got['ContentEncoding'] == 'x-custom'
        assert got['ContentDisposition'] == 'attachment; filename="f.txt"'
        assert got['ContentLanguage'] == 'de-DE'
        assert got['CacheControl'] == 'max-age=60, private'
        assert got['Expires'] == expires
        lm = got['LastModified']
        now = datetime.datetime.now(datetime.timezone.utc)
        assert abs((now - lm).total_seconds()) < 120
        assert got['ResponseMetadata']['HTTPHeaders'].get('x-amz-request-id')
    assert got['Body'].read() == body

    r = assert_ok(request(server, 'GET', kpath(bucket, 'meta')))
    assert r.header('x-amz-meta-color') == 'blue'
    assert r.header('Accept-Ranges') == 'bytes'
    assert email.utils.parsedate_to_datetime(r.header('Last-Modified'))
    assert r.header('Last-Modified').endswith(' GMT')


def test_metadata_names_lowercased(server, bucket):
    r = request(server, 'PUT', kpath(bucket, 'camel'), body=b'x',
                headers={'X-Amz-Meta-CamelCase': 'Value Kept'})
    assert_ok(r)
    r = assert_ok(request(server, 'HEAD', kpath(bucket, 'camel')))
    names = [k.lower() for k in r.headers.keys()]
    assert 'x-amz-meta-camelcase' in names
    assert r.header('x-amz-meta-camelcase') == 'Value Kept'


def test_default_content_type(server, bucket):
    assert_ok(request(server, 'PUT', kpath(bucket, 'noctype'), body=b'x'))
    r = assert_ok(request(server, 'GET', kpath(bucket, 'noctype')))
    # AWS stores binary/octet-stream when the PUT has no Content-Type
    assert r.header('Content-Type') == 'binary/octet-stream'


def test_metadata_too_large(server, bucket):
    r = request(server, 'PUT', kpath(bucket, 'bigmeta'), body=b'x',
                headers={'x-amz-meta-big': 'v' * 2100})
    # AWS: user metadata is limited to 2 KB: 400 MetadataTooLarge
    assert_error(r, 400, 'MetadataTooLarge')
    assert_error(request(server, 'GET', kpath(bucket, 'bigmeta')), 404,
                 'NoSuchKey')


@pytest.mark.parametrize('size', [0, 1, 4096, 1024 * 1024 + 3])
def test_etag_is_md5(s3, bucket, size):
    body = bytes(range(256)) * (size // 256) + b'z' * (size % 256)
    r = s3.put_object(Bucket=bucket, Key='etag-%d' % size, Body=body)
    assert r['ETag'] == md5_etag(body)
    got = s3.get_object(Bucket=bucket, Key='etag-%d' % size)
    assert got['ETag'] == md5_etag(body)
    assert got['ContentLength'] == size
    assert got['Body'].read() == body


def test_zero_byte_object(server, s3, bucket):
    r = assert_ok(request(server, 'PUT', kpath(bucket, 'empty'), body=b''))
    assert r.header('ETag') == '"d41d8cd98f00b204e9800998ecf8427e"'
    r = assert_ok(request(server, 'GET', kpath(bucket, 'empty')))
    assert r.body == b''
    assert r.header('Content-Length') == '0'
    h = s3.head_object(Bucket=bucket, Key='empty')
    assert h['ContentLength'] == 0


def test_get_missing_key(server, bucket):
    f = assert_error(request(server, 'GET', kpath(bucket, 'no/such key')),
                     404, 'NoSuchKey')
    assert 'no/such key' in f['Resource'] or 'no/such%20key' in f['Resource']
    assert_error(request(server, 'HEAD', kpath(bucket, 'no/such key')), 404,
                 'NoSuchKey')


def test_request_ids_unique(server, bucket):
    ids = set()
    for _ in range(5):
        r = request(server, 'GET', kpath(bucket, 'nope'))
        ids.add(r.header('x-amz-request-id'))
    assert len(ids) == 5 and None not in ids


# Content-MD5

def test_content_md5(server, bucket):
    path = kpath(bucket, 'md5')
    good = b'the right body'
    r = request(server, 'PUT', path, body=good,
                headers={'Content-MD5': b64md5(good)})
    assert assert_ok(r).header('ETag') == md5_etag(good)

    r = request(server, 'PUT', path, body=b'another body',
                headers={'Content-MD5': b64md5(b'not this one')})
    assert_error(r, 400, 'BadDigest')
    assert get_body(server, bucket, 'md5') == good

    for bad in ('not-base64!!', base64.b64encode(b'x' * 15).decode(),
                base64.b64encode(b'x' * 17).decode(), ''):
        r = request(server, 'PUT', path, body=b'another body',
                    headers={'Content-MD5': bad})
        assert_error(r, 400, 'InvalidDigest')
        assert get_body(server, bucket, 'md5') == good

    r = request(server, 'PUT', kpath(bucket, 'md5-new'), body=b'abc',
                headers={'Content-MD5': b64md5(b'abd')})
    assert_error(r, 400, 'BadDigest')
    assert get_body(server, bucket, 'md5-new') == 404


def test_content_md5_boto(s3, bucket):
    body = b'boto with md5'
    s3.put_object(Bucket=bucket, Key='md5b', Body=body,
                  ContentMD5=b64md5(body))
    with client_error(400, 'BadDigest'):
        s3.put_object(Bucket=bucket, Key='md5b', Body=b'changed',
                      ContentMD5=b64md5(b'other'))
    assert s3.get_object(Bucket=bucket, Key='md5b')['Body'].read() == body


# keys

def test_key_length(server, bucket):
    for key in ('k' * 1024, '\u00e9' * 512, 'd/' * 512):
        assert len(key.encode()) == 1024
        assert_ok(request(server, 'PUT', kpath(bucket, key), body=b'long'))
        assert get_body(server, bucket, key) == b'long'
    for key in ('k' * 1025, '\u00e9' * 512 + 'a', 'k' * 2000):
        r = request(server, 'PUT', kpath(bucket, key), body=b'too long')
        assert_error(r, 400, 'KeyTooLongError')


@pytest.mark.parametrize('raw', ['/bad%FFkey', '/%C3%28', '/over%C0%AFlong',
                                 '/sur%ED%A0%80rogate', '/trunc%E6%97'])
def test_invalid_utf8_key(server, bucket, raw):
    path = '/' + bucket + raw
    r = request(server, 'PUT', path, body=b'x')
    # AWS answers 400 InvalidURI "Couldn't parse the specified URI." for a
    # key that is not UTF-8
    assert_error(r, 400, 'InvalidURI')
    assert_error(request(server, 'GET', path), 400, 'InvalidURI')
    r = assert_ok(request(server, 'GET', '/' + bucket,
                          query=[('list-type', '2')]))
    r.xml()   # still parses: no invalid UTF-8 stored


KEYS = [
    'plain',
    'sp ace and  two',
    'plus+sign',
    'percent%20literal',
    'percent%',
    'a//double//slash',
    '/leading-slash',
    'trailing/',
    'dir/sub/file.txt',
    '\u00fcn\u00efc\u00f6d\u00e9/\u65e5\u672c\u8a9e/\U0001f600',
    'q?mark',
    'hash#tag',
    'amp&eq=semi;colon',
    'tilde~star*paren()',
    'quote\'dq"',
    '<xml>&amp;</xml>',
    'comma,at@dollar$',
    'back\\slash',
    'tab\there',
    'ctl\x01\x1fchars',
]


@pytest.mark.parametrize('key', KEYS)
def test_key_roundtrip(s3, bucket, key):
    body = ('body of %r' % key).encode()
    s3.put_object(Bucket=bucket, Key=key, Body=body)
    assert s3.get_object(Bucket=bucket, Key=key)['Body'].read() == body
    assert s3.head_object(Bucket=bucket, Key=key)['ContentLength'] \
        == len(body)
    listed = s3.list_objects_v2(Bucket=bucket, Prefix=key)
    assert [c['Key'] for c in listed.get('Contents', [])][:1] == [key]
    s3.delete_object(Bucket=bucket, Key=key)
    with client_error(404, 'NoSuchKey'):
        s3.get_object(Bucket=bucket, Key=key)


@pytest.mark.parametrize('key', ['a/./b', 'a/../b', './x', '../y', 'z/.',
                                 'z/..'])
def test_key_dot_segments(s3, bucket, key):
    """S3 keys are not file paths: dot segments are kept as they are."""

    body = ('dots %r' % key).encode()
    s3.put_object(Bucket=bucket, Key=key, Body=body)
    assert s3.get_object(Bucket=bucket, Key=key)['Body'].read() == body
    keys = [c['Key'] for c in
            s3.list_objects_v2(Bucket=bucket).get('Contents', [])]
    assert key in keys
    s3.delete_object(Bucket=bucket, Key=key)


# bodies: chunked, 100-continue, truncated

def test_chunked_put_unsigned(server, bucket):
    chunks = [b'a' * 10, b'b' * 70000, b'c', b'd' * 1000]
    body = b''.join(chunks)
    r = request(server, 'PUT', kpath(bucket, 'chunked'), chunks=chunks,
                payload_hash=sigv4.UNSIGNED)
    assert assert_ok(r).header('ETag') == md5_etag(body)
    assert get_body(server, bucket, 'chunked') == body


def test_chunked_put_signed(server, bucket):
    chunks = [b'x' * 5000, b'y' * 3]
    body = b''.join(chunks)
    r = request(server, 'PUT', kpath(bucket, 'chunked-signed'),
                chunks=chunks)
    assert assert_ok(r).header('ETag') == md5_etag(body)
    assert get_body(server, bucket, 'chunked-signed') == body

    r = request(server, 'PUT', kpath(bucket, 'chunked-signed'),
                chunks=[b'changed'],
                payload_hash=hashlib.sha256(b'other').hexdigest())
    assert_error(r, 400, 'XAmzContentSHA256Mismatch')
    assert get_body(server, bucket, 'chunked-signed') == body


def _connect(server):
    return socket.create_connection(('127.0.0.1', server.port), timeout=10)


def _head_bytes(method, path, host, headers):
    lines = ['%s %s HTTP/1.1' % (method, path), 'Host: %s' % host]
    lines += ['%s: %s' % kv for kv in headers.items()]
    return ('\r\n'.join(lines) + '\r\n\r\n').encode()


def test_expect_100_continue(server, bucket):
    body = b'sent after 100 Continue\n' * 1000
    path = kpath(bucket, 'expect')
    h = sigv4.sign_headers('PUT', server.host, path, [],
                           {'Content-Length': str(len(body))}, body,
                           server.access_key, server.secret_key)
    h['Expect'] = '100-continue'
    s = _connect(server)
    try:
        s.sendall(_head_bytes('PUT', path, server.host, h))
        interim = b''
        while not interim.endswith(b'\r\n\r\n'):
            c = s.recv(1)
            assert c, 'connection closed before 100 Continue: %r' % interim
            interim += c
        assert interim.startswith(b'HTTP/1.1 100 '), interim
        s.sendall(body)
        r = http.client.HTTPResponse(s, method='PUT')
        r.begin()
        assert r.status == 200, (r.status, r.read())
        assert r.getheader('ETag') == md5_etag(body)
        r.read()
    finally:
        s.close()
    assert get_body(server, bucket, 'expect') == body


@pytest.mark.parametrize('signed', [False, True])
def test_truncated_body(server, bucket, signed):
    old = b'old body, must survive'
    key = 'trunc-%s' % signed
    assert_ok(request(server, 'PUT', kpath(bucket, key), body=old))

    for k in (key, key + '-new'):
        path = kpath(bucket, k)
        full = b'n' * 100000
        h = sigv4.sign_headers(
            'PUT', server.host, path, [], {'Content-Length': str(len(full))},
            full, server.access_key, server.secret_key,
            payload_hash=None if signed else sigv4.UNSIGNED)
        s = _connect(server)
        s.sendall(_head_bytes('PUT', path, server.host, h))
        s.sendall(full[:5000])
        time.sleep(0.2)
        s.close()

    for _ in range(10):
        assert get_body(server, bucket, key) == old
        assert get_body(server, bucket, key + '-new') == 404
        time.sleep(0.1)


# overwrite and delete

def test_overwrite_keeps_one_version(s3, bucket):
    s3.put_object(Bucket=bucket, Key='ow', Body=b'first version')
    s3.put_object(Bucket=bucket, Key='ow', Body=b'second')
    got = s3.get_object(Bucket=bucket, Key='ow')
    assert got['Body'].read() == b'second'
    assert got['ETag'] == md5_etag(b'second')
    listed = s3.list_objects_v2(Bucket=bucket, Prefix='ow')['Contents']
    assert [(c['Key'], c['Size']) for c in listed] == [('ow', 6)]
    vers = s3.list_object_versions(Bucket=bucket, Prefix='ow')
    assert [(v['Key'], v['VersionId']) for v in vers['Versions']] \
        == [('ow', 'null')]
    assert not vers.get('DeleteMarkers')


def test_delete(server, s3, bucket):
    s3.put_object(Bucket=bucket, Key='del', Body=b'x')
    r = assert_ok(request(server, 'DELETE', kpath(bucket, 'del')), 204)
    assert r.body == b''
    assert_error(request(server, 'GET', kpath(bucket, 'del')), 404,
                 'NoSuchKey')
    assert_ok(request(server, 'DELETE', kpath(bucket, 'del')), 204)
    assert_ok(request(server, 'DELETE', kpath(bucket, 'never-was')), 204)


# ranges

RANGE_BODY = bytes(i % 251 for i in range(1000))


@pytest.fixture(scope='module')
def ranged(s3):
    from conftest import new_bucket_name
    name = new_bucket_name('ranges')
    s3.create_bucket(Bucket=name)
    s3.put_object(Bucket=name, Key='r', Body=RANGE_BODY)
    return name


@pytest.mark.parametrize('rng,first,last', [
    ('bytes=0-0', 0, 0),
    ('bytes=10-19', 10, 19),
    ('bytes=990-', 990, 999),
    ('bytes=0-', 0, 999),
    ('bytes=-10', 990, 999),
    ('bytes=-1000', 0, 999),
    ('bytes=-5000', 0, 999),
    ('bytes=990-5000', 990, 999),
    ('bytes=999-999', 999, 999),
])
def test_range(server, ranged, rng, first, last):
    for method in ('GET', 'HEAD'):
        r = request(server, method, kpath(ranged, 'r'),
                    headers={'Range': rng})
        assert_ok(r, 206)
        assert r.header('Content-Range') == 'bytes %d-%d/1000' % (first,
                                                                  last)
        assert r.header('Content-Length') == str(last - first + 1)
        assert r.header('ETag') == md5_etag(RANGE_BODY)
        if method == 'GET':
            assert r.body == RANGE_BODY[first:last + 1]


@pytest.mark.parametrize('rng', ['bytes=1000-', 'bytes=999999-',
                                 'bytes=1000-2000'])
def test_range_unsatisfiable(server, ranged, rng):
    r = request(server, 'GET', kpath(ranged, 'r'), headers={'Range': rng})
    assert_error(r, 416, 'InvalidRange')


@pytest.mark.parametrize('rng', ['bytes=abc', 'bytes=5-2', 'items=0-1'])
def test_range_ignored_when_invalid(server, ranged, rng):
    # RFC 9110: a Range that does not parse is ignored: 200, whole body
    r = assert_ok(request(server, 'GET', kpath(ranged, 'r'),
                          headers={'Range': rng}))
    assert r.body == RANGE_BODY


def test_range_boto(s3, ranged):
    got = s3.get_object(Bucket=ranged, Key='r', Range='bytes=100-199')
    assert got['ContentRange'] == 'bytes 100-199/1000'
    assert got['Body'].read() == RANGE_BODY[100:200]
    assert got['ResponseMetadata']['HTTPStatusCode'] == 206
    with client_error(416, 'InvalidRange'):
        s3.get_object(Bucket=ranged, Key='r', Range='bytes=999999-')


# conditionals

def _http_date(dt):
    return email.utils.format_datetime(dt.astimezone(datetime.timezone.utc),
                                       usegmt=True)


def test_conditionals(server, s3, ranged):
    path = kpath(ranged, 'r')
    head = s3.head_object(Bucket=ranged, Key='r')
    etag = head['ETag']
    lm = head['LastModified']
    before = _http_date(lm - datetime.timedelta(hours=1))
    at = _http_date(lm)
    after = _http_date(lm + datetime.timedelta(hours=1))

    cases = [
        ({'If-Match': etag}, 200),
        ({'If-Match': '*'}, 200),
        ({'If-Match': '"0123456789abcdef0123456789abcdef"'}, 412),
        ({'If-None-Match': etag}, 304),
        ({'If-None-Match': '*'}, 304),
        ({'If-None-Match': '"0123456789abcdef0123456789abcdef"'}, 200),
        ({'If-Modified-Since': before}, 200),
        ({'If-Modified-Since': at}, 304),
        ({'If-Modified-Since': after}, 304),
        ({'If-Unmodified-Since': before}, 412),
        ({'If-Unmodified-Since': at}, 200),
        ({'If-Unmodified-Since': after}, 200),
        # S3 (and RFC 9110): If-Match true wins over If-Unmodified-Since
        ({'If-Match': etag, 'If-Unmodified-Since': before}, 200),
        # If-None-Match false wins over If-Modified-Since true
        ({'If-None-Match': etag, 'If-Modified-Since': before}, 304),
        ({'If-Match': '"0123456789abcdef0123456789abcdef"',
          'If-None-Match': etag}, 412),
    ]
    for method in ('GET', 'HEAD'):
        for headers, want in cases:
            r = request(server, method, path, headers=headers)
            if want == 200:
                assert_ok(r)
                if method == 'GET':
                    assert r.body == RANGE_BODY
            elif want == 304:
                assert r.status == 304, (headers, r)
                assert r.body == b''
                assert r.header('ETag') == etag, (headers, r)
                assert r.header('x-amz-request-id')
            else:
                assert_error(r, 412, 'PreconditionFailed')


def test_conditionals_boto(s3, ranged):
    etag = s3.head_object(Bucket=ranged, Key='r')['ETag']
    assert s3.get_object(Bucket=ranged, Key='r', IfMatch=etag)['Body'] \
        .read() == RANGE_BODY
    with client_error(412, 'PreconditionFailed'):
        s3.get_object(Bucket=ranged, Key='r', IfMatch='"nomatch"')
    with client_error(304, '304'):
        s3.get_object(Bucket=ranged, Key='r', IfNoneMatch=etag)


# response-* overrides

def test_response_overrides(server, s3, ranged):
    got = s3.get_object(
        Bucket=ranged, Key='r',
        ResponseContentType='application/x-override',
        ResponseContentLanguage='fr',
        ResponseExpires=datetime.datetime(2030, 1, 2, 3, 4, 5,
                                          tzinfo=datetime.timezone.utc),
        ResponseCacheControl='no-cache',
        ResponseContentDisposition='inline; filename="o.bin"',
        ResponseContentEncoding='x-enc')
    assert got['ContentType'] == 'application/x-override'
    assert got['ContentLanguage'] == 'fr'
    assert got['CacheControl'] == 'no-cache'
    assert got['ContentDisposition'] == 'inline; filename="o.bin"'
    assert got['ContentEncoding'] == 'x-enc'
    assert got['Expires'] == datetime.datetime(2030, 1, 2, 3, 4, 5,
                                               tzinfo=datetime.timezone.utc)
    assert got['Body'].read() == RANGE_BODY

    # the object itself is unchanged
    h = s3.head_object(Bucket=ranged, Key='r')
    assert h['ContentType'] != 'application/x-override'


# not implemented here: a clear 501, never a silent success

@pytest.mark.parametrize('method,sub,headers,body', [
])
def test_object_not_implemented(server, bucket, method, sub, headers, body):
    path = kpath(bucket, 'ni')
    r = request(server, method, path, query=[(sub, '')], headers=headers,
                body=body)
    assert_error(r, 501, 'NotImplemented')
    assert get_body(server, bucket, 'ni') == 404


@pytest.mark.parametrize('method,sub,body', [
    ('GET', 'website', b''),
    ('GET', 'lifecycle', b''),
])
def test_bucket_not_implemented(server, bucket, method, sub, body):
    r = request(server, method, '/' + bucket, query=[(sub, '')], body=body)
    assert_error(r, 501, 'NotImplemented')


def test_sse_kms_not_implemented(server, bucket):
    r = request(server, 'PUT', kpath(bucket, 'kms'), body=b'secret',
                headers={'x-amz-server-side-encryption': 'aws:kms'})
    assert_error(r, 501, 'NotImplemented')
    assert get_body(server, bucket, 'kms') == 404


def test_streaming_payload_bad_chunk_signature(server, bucket):
    """aws-chunked with a wrong chunk signature (more in
    test_checksums.py): refused, nothing stored."""

    r = request(server, 'PUT', kpath(bucket, 'streaming'),
                body=b'0;chunk-signature=' + b'0' * 64 + b'\r\n\r\n',
                headers={'Content-Encoding': 'aws-chunked',
                         'x-amz-decoded-content-length': '0'},
                payload_hash='STREAMING-AWS4-HMAC-SHA256-PAYLOAD')
    assert_error(r, 403, 'SignatureDoesNotMatch')
    assert get_body(server, bucket, 'streaming') == 404


def test_concurrent_overwrites_are_atomic(server, bucket):
    """Writers race on one key; every read sees one whole body whose ETag
    matches it, and the last state is one of the bodies written."""

    import threading
    bodies = [(b'%02d' % i) * (1000 + 997 * i) for i in range(8)]
    etags = {md5_etag(b): b for b in bodies}
    path = kpath(bucket, 'race')
    assert_ok(request(server, 'PUT', path, body=bodies[0]))
    bad = []
    stop = threading.Event()

    def writer(i):
        for _ in range(6):
            r = request(server, 'PUT', path, body=bodies[i])
            if r.status != 200 or r.header('ETag') != md5_etag(bodies[i]):
                bad.append(('PUT', i, r))

    def reader():
        while not stop.is_set():
            r = request(server, 'GET', path)
            if r.status != 200 or etags.get(r.header('ETag')) != r.body:
                bad.append(('GET', r.status, r.header('ETag'), len(r.body)))

    ws = [threading.Thread(target=writer, args=(i,)) for i in range(8)]
    rs = [threading.Thread(target=reader) for _ in range(2)]
    for t in ws + rs:
        t.start()
    for t in ws:
        t.join()
    stop.set()
    for t in rs:
        t.join()
    assert bad == []
    r = assert_ok(request(server, 'GET', path))
    assert etags[r.header('ETag')] == r.body


def test_user_metadata_bytes_round_trip(server, s3, bucket, monkeypatch):
    """x-amz-meta-* values come back byte for byte: a Latin-1 byte (0xE9)
    stays one byte, UTF-8 stays UTF-8, on GET and HEAD."""

    import http.client
    import hashlib
    import sigv4

    # http.client sends str header values as Latin-1: sign those bytes
    def sts(amz_date, scope, creq):
        return '\n'.join([sigv4.ALGORITHM, amz_date, scope,
                          hashlib.sha256(creq.encode('latin-1'))
                          .hexdigest()])
    monkeypatch.setattr(sigv4, 'string_to_sign', sts)

    values = {'latin': b'caf\xe9', 'utf8': 'café ✓'.encode('utf-8'),
              'ctl': b'a\tb'}
    hdrs = {'x-amz-meta-' + k: v.decode('latin-1')
            for k, v in values.items()}
    path = '/%s/meta-bytes' % bucket
    for method in ('PUT', 'GET', 'HEAD'):
        h = sigv4.sign_headers(method, server.host, path, [],
                               hdrs if method == 'PUT' else {},
                               b'x' if method == 'PUT' else b'',
                               server.access_key, server.secret_key,
                               server.region)
        c = http.client.HTTPConnection('127.0.0.1', server.port, timeout=10)
        c.putrequest(method, path, skip_host=True, skip_accept_encoding=True)
        c.putheader('Host', server.host)
        for k, v in h.items():
            c.putheader(k, v)
        if method == 'PUT':
            c.putheader('Content-Length', '1')
        c.endheaders()
        if method == 'PUT':
            c.send(b'x')
        r = c.getresponse()
        r.read()
        c.close()
        assert r.status == 200, (method, r.status)
        if method != 'PUT':
            for k, v in values.items():
                got = r.headers.get('x-amz-meta-' + k).encode('latin-1')
                assert got == v, (method, k, got, v)
