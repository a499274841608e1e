"""Gateway mode when things go wrong (docs/gateway.md): RGW stopped while
the gateway reads and writes, and aws-chunked uploads that fail their
signatures or checksums; nothing half-written ever commits upstream.

RGW is the session's Ceph cluster's: a test that stops it restarts it in
a finally, for the tests after it.
"""

import hashlib
import os
import socket
import time

import botocore.exceptions
import pytest

import gwlog
import sigv4
from conftest import boto_client
from gwlog import CacheLog, upstream_error
from s3raw import KeepAlive, assert_error, error_fields
from sigv4 import key_path
from test_checksums import (STREAMING, STREAMING_TRAILER, UNSIGNED_TRAILER,
                            Chunked, checksum, wrong)

KiB = 1024
MiB = 1024 * 1024


@pytest.fixture
def fgw(make_gateway):
    return make_gateway(valid='1s', http_extra=gwlog.HTTP_EXTRA)


def rgw_missing(rgw, bucket, key):
    with pytest.raises(botocore.exceptions.ClientError) as e:
        rgw.head_object(Bucket=bucket, Key=key)
    assert e.value.response['Error']['Code'] == '404'


def rgw_body(rgw, bucket, key):
    return rgw.get_object(Bucket=bucket, Key=key)['Body'].read()


def get_ok(conn, bucket, key, body, what=''):
    r = conn.request('GET', key_path(bucket, key))
    assert (r.status, r.header('Content-Length')) == (200, str(len(body))), \
        (what, key, r)
    assert r.body == body, (what, key)
    return r


# RGW stopped

def test_rgw_down_cached_served_uncached_503(ceph, rgw, fgw, gbucket):
    """Objects read before RGW stops keep being served (GET, HEAD and
    ranges), fresh and then stale (s3_gateway_cache_valid 1s); one
    never read gets 503 ServiceUnavailable as S3 XML, GET, HEAD and
    PUT, and the same keep-alive connection serves the next request."""

    srv = fgw
    log = CacheLog(srv)
    s3 = boto_client(srv)
    objs = {'big': os.urandom(5 * MiB // 2 + 1), 'small': os.urandom(4 * KiB),
            'cold': os.urandom(10 * KiB)}
    for k, v in objs.items():
        s3.put_object(Bucket=gbucket, Key=k, Body=v)
    conn = KeepAlive(srv, timeout=20)
    try:
        for k in ('big', 'small'):
            get_ok(conn, gbucket, k, objs[k], 'warm')
        ceph.stop_rgw()
        try:
            m = log.mark()
            for k in ('big', 'small'):
                get_ok(conn, gbucket, k, objs[k], 'RGW down')
            st = set(ln.cache for ln in log.since(m, want=4))
            assert st <= {'HIT', 'STALE', 'UPDATING'}, st

            r = conn.request('HEAD', key_path(gbucket, 'big'))
            assert (r.status, r.header('Content-Length')) \
                == (200, str(len(objs['big']))), r
            r = conn.request('GET', key_path(gbucket, 'big'), headers={
                'Range': 'bytes=%d-%d' % (MiB - 3, MiB + 2)})
            assert (r.status, r.body) \
                == (206, objs['big'][MiB - 3:MiB + 3]), r

            r = conn.request('GET', key_path(gbucket, 'cold'))
            assert_error(r, 503, 'ServiceUnavailable')
            get_ok(conn, gbucket, 'small', objs['small'], 'after a 503')
            r = conn.request('HEAD', key_path(gbucket, 'cold'))
            assert (r.status, r.body) == (503, b''), r
            r = conn.request('PUT', key_path(gbucket, 'new'),
                             body=b'n' * 1000)
            assert_error(r, 503, 'ServiceUnavailable')
            get_ok(conn, gbucket, 'small', objs['small'], 'after a PUT')

            # past the valid time: stale copies, RGW still down
            time.sleep(1.3)
            m = log.mark()
            for k in ('big', 'small'):
                get_ok(conn, gbucket, k, objs[k], 'stale')
            st = set(ln.cache for ln in log.since(m, want=4))
            assert st <= {'STALE', 'UPDATING', 'HIT'}, st
        finally:
            ceph.start_rgw()
        # RGW back: the same connection reaches it
        get_ok(conn, gbucket, 'cold', objs['cold'], 'RGW back')
    finally:
        conn.close()
    rgw_missing(rgw, gbucket, 'new')


def _slow_read_killing_rgw(ceph, srv, path):
    """GET path with a slow client (a 16 KiB receive buffer: nginx
    fetches the next slice once the last one went out), kill RGW after
    64 KiB came, read what else comes: the bytes after the header.  RGW
    is left stopped."""

    h = sigv4.sign_headers('GET', srv.host, path, [], {}, b'',
                           srv.access_key, srv.secret_key, srv.region)
    head = 'GET %s HTTP/1.1\r\nHost: %s\r\n' % (path, srv.host)
    head += ''.join('%s: %s\r\n' % kv for kv in h.items()) + '\r\n'
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 16 * KiB)
    sock.settimeout(20)
    got = b''
    try:
        sock.connect(('127.0.0.1', srv.port))
        sock.sendall(head.encode())
        while b'\r\n\r\n' not in got:
            got += sock.recv(4096)
        hdr, got = got.split(b'\r\n\r\n', 1)
        assert hdr.startswith(b'HTTP/1.1 200'), hdr
        while len(got) < 64 * KiB:
            got += sock.recv(4096)
        ceph.stop_rgw()
        while True:
            try:
                b = sock.recv(65536)
            except (socket.timeout, ConnectionError):
                break
            if not b:
                break
            got += b
    finally:
        sock.close()
    return got


WARM = 8 * MiB


def test_rgw_down_while_warming(ceph, rgw, fgw, gbucket):
    """A slow client reads an uncached 8 MiB object and RGW is killed
    meanwhile: the client gets the object's first slices and nothing
    else, then the connection closes (the header is out); the slices fetched keep being
    served while RGW is down, the next is 503 on the same connection;
    after RGW is back the object reads whole."""

    srv = fgw
    body = os.urandom(WARM)
    rgw.put_object(Bucket=gbucket, Key='w', Body=body)
    path = key_path(gbucket, 'w')
    try:
        got = _slow_read_killing_rgw(ceph, srv, path)
        cached = len(got) // MiB
        print('\nRGW killed while warming: got %d of %d bytes'
              % (len(got), WARM))
        assert 0 < cached < WARM // MiB - 1, len(got)
        # the object's bytes only (once the S3 error of the failed slice
        # came after them, fixed by 08acc31)
        assert body.startswith(got), \
            'after %d bytes of the object: %r' % (
                cached * MiB, got[cached * MiB:][:300])
        conn = KeepAlive(srv, timeout=20)
        try:
            for n in range(cached):
                a = n * MiB + 10
                r = conn.request('GET', path, headers={
                    'Range': 'bytes=%d-%d' % (a, a + 99)})
                assert (r.status, r.body) == (206, body[a:a + 100]), r
            a = cached * MiB + 10
            r = conn.request('GET', path, headers={
                'Range': 'bytes=%d-%d' % (a, a + 99)})
            assert_error(r, 503, 'ServiceUnavailable')
            r = conn.request('GET', path, headers={'Range': 'bytes=0-9'})
            assert (r.status, r.body) == (206, body[:10]), r
        finally:
            conn.close()
    finally:
        ceph.start_rgw()
    conn = KeepAlive(srv, timeout=20)
    try:
        get_ok(conn, gbucket, 'w', body, 'RGW back')
    finally:
        conn.close()


def _read_answer(sock, timeout):
    """The status and body of what the server answered, or None if it
    closed (or reset) the connection without an answer."""

    sock.settimeout(timeout)
    data = b''
    try:
        while True:
            b = sock.recv(65536)
            if not b:
                break
            data += b
            if b'\r\n\r\n' in data:
                head, rest = data.split(b'\r\n\r\n', 1)
                length = 0
                for ln in head.split(b'\r\n')[1:]:
                    k, _, v = ln.partition(b':')
                    if k.strip().lower() == b'content-length':
                        length = int(v)
                if len(rest) >= length:
                    break
    except (socket.timeout, ConnectionError):
        pass
    if b'\r\n\r\n' not in data:
        return None
    head, rest = data.split(b'\r\n\r\n', 1)
    return int(head.split()[1]), head, rest


def test_rgw_down_during_upload(ceph, rgw, fgw, gbucket):
    """A 6 MiB PUT sent slowly; RGW is killed after the first 2 MiB went
    through: the client gets an S3 error or a closed connection, never a
    200, and nothing is committed upstream."""

    srv = fgw
    size = 6 * MiB
    body = os.urandom(size)
    path = key_path(gbucket, 'up')
    h = sigv4.sign_headers('PUT', srv.host, path, [],
                           {'Content-Length': str(size)}, b'',
                           srv.access_key, srv.secret_key, srv.region,
                           payload_hash=hashlib.sha256(body).hexdigest())
    head = 'PUT %s HTTP/1.1\r\nHost: %s\r\n' % (path, srv.host)
    head += ''.join('%s: %s\r\n' % kv for kv in h.items()) + '\r\n'
    sock = socket.create_connection(('127.0.0.1', srv.port), timeout=20)
    answer = None
    try:
        sock.sendall(head.encode())
        for i in range(0, 2 * MiB, 256 * KiB):
            sock.sendall(body[i:i + 256 * KiB])
            time.sleep(0.02)
        time.sleep(0.3)
        ceph.stop_rgw()
        try:
            time.sleep(0.2)
            try:
                for i in range(2 * MiB, size, 256 * KiB):
                    sock.sendall(body[i:i + 256 * KiB])
            except OSError:
                pass
            answer = _read_answer(sock, 10)
        finally:
            ceph.start_rgw()
    finally:
        sock.close()
    print('\nanswer: %r' % (answer and answer[:2],))
    if answer is not None:
        status, _, rest = answer
        assert status >= 500, answer
        assert error_fields(rest)['Code'] in ('ServiceUnavailable',
                                              'InternalError'), answer
    rgw_missing(rgw, gbucket, 'up')
    # and the gateway goes on
    conn = KeepAlive(srv)
    try:
        r = conn.request('PUT', path, body=b'after')
        assert r.status == 200, r
        get_ok(conn, gbucket, 'up', b'after')
    finally:
        conn.close()


# aws-chunked uploads through the gateway

def chunked_put(conn, c, tamper=None, body_edit=None):
    """Send Chunked c's PUT on a KeepAlive connection; its answer."""

    srv = c.server
    length = len(c.encode('0' * 64))
    h = dict(c.extra)
    h['Content-Length'] = str(length)
    signed = sigv4.sign_headers(
        'PUT', srv.host, c.path, [], h, b'', srv.access_key,
        srv.secret_key, srv.region, amz_date=c.amz_date,
        payload_hash=c.mode)
    seed = signed['Authorization'].rsplit('Signature=', 1)[1]
    body = c.encode(seed, tamper=tamper)
    if body_edit:
        body = body_edit(body)
    assert len(body) == length
    head = 'PUT %s HTTP/1.1\r\nHost: %s\r\n' % (c.path, srv.host)
    head += ''.join('%s: %s\r\n' % kv for kv in signed.items()) + '\r\n'
    conn.send(head.encode() + body)
    return conn.response('PUT')


def flip_in_chunk(c, index):
    """A body edit: one byte of chunk `index`'s data altered."""

    def edit(body):
        pos = 0
        for i, piece in enumerate(c.pieces()):
            line = b'%x;chunk-signature=%s\r\n' % (len(piece), b'0' * 64)
            pos += len(line)
            if i == index:
                at = pos + len(piece) // 2
                return body[:at] + bytes([body[at] ^ 1]) + body[at + 1:]
            pos += len(piece) + 2
        raise AssertionError('no chunk %d' % index)

    return edit


DATA = os.urandom(300 * KiB + 7)      # 5 chunks of 64 KiB and a sixth


def _tampered(srv, path, case):
    """(Chunked, tamper, body_edit, status, code) of one tampered upload."""

    if case == 'middle-chunk-byte':
        c = Chunked(srv, path, DATA, STREAMING)
        return c, None, flip_in_chunk(c, 2), 403, 'SignatureDoesNotMatch'
    if case == 'final-chunk-signature':
        c = Chunked(srv, path, DATA, STREAMING)
        return c, len(c.pieces()), None, 403, 'SignatureDoesNotMatch'
    if case == 'trailer-signature':
        c = Chunked(srv, path, DATA, STREAMING_TRAILER,
                    trailer=('x-amz-checksum-crc32', checksum('crc32', DATA)))
        return c, 'trailer', None, 403, 'SignatureDoesNotMatch'
    if case == 'unsigned-trailer-crc32':
        c = Chunked(srv, path, DATA, UNSIGNED_TRAILER,
                    trailer=('x-amz-checksum-crc32',
                             wrong(checksum('crc32', DATA))))
        return c, None, None, 400, 'BadDigest'
    raise ValueError(case)


@pytest.mark.parametrize('case', ['middle-chunk-byte',
                                  'final-chunk-signature',
                                  'trailer-signature',
                                  'unsigned-trailer-crc32'])
def test_tampered_chunked_upload_commits_nothing(rgw, fgw, gbucket, case):
    """A 300 KiB aws-chunked PUT whose middle chunk, final chunk
    signature, trailer signature or trailer checksum is wrong: 403
    SignatureDoesNotMatch (400 BadDigest), on a new key (RGW: 404
    after) and over an existing one (RGW keeps its old bytes), and the
    same connection serves the next request (after a whole body; one
    refused in its middle closes the connection, as for local
    buckets)."""

    srv = fgw
    old = b'the old bytes\n' * 100
    rgw.put_object(Bucket=gbucket, Key='k', Body=old)
    conn = KeepAlive(srv, timeout=20)
    try:
        get_ok(conn, gbucket, 'k', old, 'before')
        for key in ('n', 'k'):
            c, tamper, edit, status, code = _tampered(
                srv, key_path(gbucket, key), case)
            r = chunked_put(conn, c, tamper=tamper, body_edit=edit)
            assert_error(r, status, code)
            if (r.header('Connection') or '').lower() == 'close':
                # an error in the middle of a body closes the connection
                # (ngx_http_s3_body_discard); after a whole body it stays
                # (6849d78)
                assert case == 'middle-chunk-byte', r
                assert conn.closed()
                conn.close()
                conn = KeepAlive(srv, timeout=20)
            get_ok(conn, gbucket, 'k', old, 'after %s to %s' % (case, key))
        r = conn.request('GET', key_path(gbucket, 'n'))
        upstream_error(r, 404, 'NoSuchKey')
    finally:
        conn.close()
    rgw_missing(rgw, gbucket, 'n')
    assert rgw_body(rgw, gbucket, 'k') == old


@pytest.mark.parametrize('case', ['signed', 'signed-trailer',
                                  'unsigned-trailer', 'small-chunks'])
def test_chunked_upload_commits_decoded_bytes(rgw, fgw, gbucket, case):
    """A valid aws-chunked PUT through the gateway: RGW holds exactly the
    decoded bytes (GET at RGW directly), with their MD5 for ETag and no
    aws-chunked Content-Encoding."""

    srv = fgw
    path = key_path(gbucket, 'c')
    data = DATA
    crc = ('x-amz-checksum-crc32', checksum('crc32', data))
    if case == 'signed':
        c = Chunked(srv, path, data, STREAMING)
    elif case == 'signed-trailer':
        c = Chunked(srv, path, data, STREAMING_TRAILER, trailer=crc)
    elif case == 'unsigned-trailer':
        c = Chunked(srv, path, data, UNSIGNED_TRAILER, trailer=crc)
    else:
        c = Chunked(srv, path, data, STREAMING, chunk=1000)
    etag = '"%s"' % hashlib.md5(data).hexdigest()
    conn = KeepAlive(srv, timeout=20)
    try:
        r = chunked_put(conn, c)
        assert r.status == 200, r
        assert r.header('ETag') == etag, r
        get_ok(conn, gbucket, 'c', data, 'through the gateway')
    finally:
        conn.close()
    got = rgw.get_object(Bucket=gbucket, Key='c')
    assert got['Body'].read() == data
    assert got['ETag'] == etag
    assert got['ContentLength'] == len(data)
    assert 'aws-chunked' not in (got.get('ContentEncoding') or '')


def test_chunked_upload_of_nothing(rgw, fgw, gbucket):
    """A signed aws-chunked PUT of 0 bytes: RGW holds a 0-byte object,
    and nginx has nothing to complain about."""

    srv = fgw
    c = Chunked(srv, key_path(gbucket, 'e'), b'', STREAMING)
    conn = KeepAlive(srv, timeout=20)
    try:
        r = chunked_put(conn, c)
        assert r.status == 200, r
        get_ok(conn, gbucket, 'e', b'', 'through the gateway')
    finally:
        conn.close()
    assert rgw_body(rgw, gbucket, 'e') == b''
    # once "[alert] zero size buf in output" (fixed by 49029c7)
    assert not srv.bad_log_lines()
