"""The record cache (s3_record_cache): a worker answers GET and HEAD of a
hot key from its copy of the record, and never from a copy older than a
write acknowledged before the GET began, whichever worker took the write.

The server listens a second time with reuseport, so that connections spread
over the two workers; each response names its worker ($pid), and the tests
pick a writer and a reader connection on different workers.
"""

import os
import signal
import time
import urllib.parse

import pytest

from conftest import new_bucket_name
import s3raw
import s3server


WORKER = 'X-Test-Worker'

EXTRA = """
    s3_meta_timeout 2s;
    keepalive_requests 1000000;
    add_header %s $pid always;

    server {
        listen 127.0.0.1:%d reuseport;
        location / {
            s3;
        }
    }
"""


class Conn(s3raw.KeepAlive):
    """A keep-alive connection to the reuseport listener, signed for the
    server's usual Host."""

    def __init__(self, server, timeout=10):
        self.server = server
        self.sock = s3raw.socket.create_connection(
            ('127.0.0.1', server.port2), timeout=timeout)
        self.buf = b''
        self.worker = None

    def request(self, method, path, query=(), headers=None, body=b'',
                sign=True, access_key=None, secret=None):
        r = super().request(method, path, query, headers, body, sign,
                            access_key, secret)
        self.worker = r.header(WORKER)
        return r


def _server(make_server, extra=''):
    port2 = s3server.free_port()
    srv = make_server(http_extra=EXTRA % (WORKER, port2) + extra)
    srv.port2 = port2
    return srv


def _pair(srv, path):
    """A writer and a reader connection that reach different workers."""

    conns = []
    for _ in range(40):
        c = Conn(srv)
        assert c.request('HEAD', path).status in (200, 404)
        for o in conns:
            if o.worker != c.worker:
                for x in conns:
                    if x is not o:
                        x.close()
                return o, c
        conns.append(c)
    pytest.fail('40 connections, all on worker %s' % conns[0].worker)


def _tagging(n):
    tags = ''.join('<Tag><Key>k%d</Key><Value>v</Value></Tag>' % i
                   for i in range(n))
    return ('<Tagging><TagSet>%s</TagSet></Tagging>' % tags).encode()


def _tag_count(resp):
    return int(resp.header('x-amz-tagging-count') or 0)


def _multipart(conn, key, body):
    resp = conn.request('POST', key, query=[('uploads', '')])
    assert resp.status == 200, resp
    upload = resp.xml().find('UploadId').text
    resp = conn.request('PUT', key, query=[('partNumber', '1'),
                                           ('uploadId', upload)], body=body)
    assert resp.status == 200, resp
    done = ('<CompleteMultipartUpload><Part><PartNumber>1</PartNumber>'
            '<ETag>%s</ETag></Part></CompleteMultipartUpload>'
            % resp.header('ETag')).encode()
    resp = conn.request('POST', key, query=[('uploadId', upload)],
                        body=done)
    assert resp.status == 200 and b'<Error>' not in resp.body, resp


def _write_read_loop(srv, bucket, seconds):
    """Writes on one connection, each acknowledged write read at once on
    another (another worker) and on the writer's: the reads must see it.
    Returns the number of writes."""

    key = '/%s/hot' % bucket
    assert s3raw.request(srv, 'PUT', '/%s/src' % bucket,
                         body=b'source').status == 200
    w, r = _pair(srv, key)
    assert w.worker != r.worker

    try:
        i = 0
        tags = 0
        deadline = time.time() + seconds
        while time.time() < deadline:
            i += 1

            # the reader's worker holds a copy of the current record
            assert r.request('GET', key).status in (200, 404)

            if i % 11 == 0:
                resp = w.request('DELETE', key)
                assert resp.status == 204, resp
                for c in (r, w):
                    got = c.request('GET', key)
                    assert got.status == 404, \
                        'write %d: a GET on worker %s after an acknowledged ' \
                        'DELETE: %r' % (i, c.worker, got)
                    got = c.request('HEAD', key)
                    assert got.status == 404, (i, c.worker, got)
                tags = 0
                continue

            if i % 13 == 0:
                # CopyObject onto the key, with metadata of its own
                resp = w.request('PUT', key, headers={
                    'x-amz-copy-source': '/%s/src' % bucket,
                    'x-amz-metadata-directive': 'REPLACE',
                    'x-amz-meta-n': str(i)})
                assert resp.status == 200, resp
                tags = 0
                for c in (r, w):
                    got = c.request('GET', key)
                    assert got.status == 200 and got.body == b'source' \
                        and got.header('x-amz-meta-n') == str(i), \
                        'copy %d: GET on worker %s: %r' % (i, c.worker, got)
                continue

            if i % 17 == 0:
                # CompleteMultipartUpload onto the key
                body = b'mp%d' % i
                _multipart(w, key, body)
                tags = 0
                for c in (r, w):
                    got = c.request('GET', key)
                    assert got.status == 200 and got.body == body, \
                        'complete %d: GET on worker %s: %r' % (i, c.worker,
                                                               got)
                continue

            if i % 7 == 0:
                tags = tags % 3 + 1
                resp = w.request('PUT', key, query=[('tagging', '')],
                                 body=_tagging(tags))
                if resp.status == 404:
                    continue
                assert resp.status == 200, resp
                for c in (r, w):
                    got = c.request('HEAD', key)
                    assert got.status == 200 and _tag_count(got) == tags, \
                        'tagging %d: HEAD on worker %s: %r' % (tags,
                                                               c.worker, got)
                continue

            body = b'%d' % i
            resp = w.request('PUT', key, body=body)
            assert resp.status == 200, resp
            tags = 0
            for c in (r, w):
                got = c.request('GET', key)
                assert got.status == 200 and got.body == body, \
                    'write %d acknowledged, then a GET on worker %s ' \
                    'read %r' % (i, c.worker, (got.status, got.body))
                got = c.request('HEAD', key)
                assert got.status == 200 and \
                    got.header('Content-Length') == str(len(body)), \
                    (i, c.worker, got)
        return i
    finally:
        w.close()
        r.close()


def _create_bucket(srv, name, versioning=False):
    assert s3raw.request(srv, 'PUT', '/' + name).status == 200
    if versioning:
        body = (b'<VersioningConfiguration><Status>Enabled</Status>'
                b'</VersioningConfiguration>')
        assert s3raw.request(srv, 'PUT', '/' + name,
                             query=[('versioning', '')],
                             body=body).status == 200


def test_consistent_across_workers(make_server):
    srv = _server(make_server)
    bucket = new_bucket_name('rc')
    _create_bucket(srv, bucket)
    n = _write_read_loop(srv, bucket, float(os.environ.get(
        'S3_RCACHE_SECONDS', '4')))
    print('writes checked: %d' % n)
    assert n > 100, 'too few writes: %d' % n


def test_consistent_versioned(make_server):
    srv = _server(make_server)
    bucket = new_bucket_name('rcv')
    _create_bucket(srv, bucket, versioning=True)
    n = _write_read_loop(srv, bucket, 2)
    assert n > 50, 'too few writes: %d' % n


def test_versions_by_id(make_server):
    """versionId reads are cached too: a version deleted by its id is
    gone for the reader on the other worker at once."""

    srv = _server(make_server)
    bucket = new_bucket_name('rcid')
    _create_bucket(srv, bucket, versioning=True)
    key = '/%s/v' % bucket
    w, r = _pair(srv, key)
    try:
        ids = []
        for i in range(3):
            resp = w.request('PUT', key, body=b'v%d' % i)
            assert resp.status == 200
            ids.append(resp.header('x-amz-version-id'))
        for _ in range(2):
            for i, vid in enumerate(ids):
                got = r.request('GET', key, query=[('versionId', vid)])
                assert got.status == 200 and got.body == b'v%d' % i
        resp = w.request('DELETE', key, query=[('versionId', ids[2])])
        assert resp.status == 204
        got = r.request('GET', key, query=[('versionId', ids[2])])
        assert got.status == 404, got
        got = r.request('GET', key)
        assert got.status == 200 and got.body == b'v1', got
        resp = w.request('DELETE', key)
        assert resp.status == 204
        got = r.request('GET', key)
        assert got.status == 404, got
        assert got.header('x-amz-delete-marker') == 'true', got
        got = r.request('GET', key, query=[('versionId', ids[0])])
        assert got.status == 200 and got.body == b'v0', got
    finally:
        w.close()
        r.close()


def test_bucket_deleted(make_server):
    """A cached 404 NoSuchKey becomes NoSuchBucket once the bucket goes,
    and a record cached before is not served once it is recreated."""

    srv = _server(make_server)
    bucket = new_bucket_name('rcb')
    _create_bucket(srv, bucket)
    key = '/%s/k' % bucket
    w, r = _pair(srv, key)
    try:
        for _ in range(2):
            s3raw.assert_error(r.request('GET', key), 404, 'NoSuchKey')
        assert w.request('PUT', key, body=b'x').status == 200
        for _ in range(2):
            assert r.request('GET', key).body == b'x'
        assert w.request('DELETE', key).status == 204
        for _ in range(2):
            s3raw.assert_error(r.request('GET', key), 404, 'NoSuchKey')
        assert w.request('DELETE', '/' + bucket).status == 204
        s3raw.assert_error(r.request('GET', key), 404, 'NoSuchBucket')
        assert w.request('PUT', '/' + bucket).status == 200
        s3raw.assert_error(r.request('GET', key), 404, 'NoSuchKey')
    finally:
        w.close()
        r.close()


def _stop_helper(srv):
    pid = srv.helper_pid()
    os.kill(pid, signal.SIGSTOP)
    return pid


def test_hit_needs_no_metadata_process(make_server):
    """With the metadata process stopped, a GET and a HEAD of a key this
    worker has read still answer; a key it has not read waits and gets
    503 (s3_meta_timeout)."""

    srv = _server(make_server)
    srv.allow_log(r's3 metadata request timed out')
    bucket = new_bucket_name('rch')
    _create_bucket(srv, bucket)
    assert s3raw.request(srv, 'PUT', '/%s/hot' % bucket,
                         body=b'hot body').status == 200
    assert s3raw.request(srv, 'PUT', '/%s/cold' % bucket,
                         body=b'cold').status == 200

    c = Conn(srv)
    try:
        assert c.request('GET', '/%s/hot' % bucket).body == b'hot body'
        s3raw.assert_error(c.request('GET', '/%s/none' % bucket), 404,
                           'NoSuchKey')
        pid = _stop_helper(srv)
        try:
            t = time.time()
            for _ in range(20):
                got = c.request('GET', '/%s/hot' % bucket)
                assert got.status == 200 and got.body == b'hot body', got
                got = c.request('HEAD', '/%s/hot' % bucket)
                assert got.status == 200, got
                got = c.request('GET', '/%s/hot' % bucket,
                                headers={'Range': 'bytes=4-'})
                assert got.status == 206 and got.body == b'body', got
                s3raw.assert_error(c.request('GET', '/%s/none' % bucket),
                                   404, 'NoSuchKey')
            assert time.time() - t < 1.5
            t = time.time()
            s3raw.assert_error(c.request('GET', '/%s/cold' % bucket), 503,
                               'ServiceUnavailable')
            assert time.time() - t >= 1.5
        finally:
            os.kill(pid, signal.SIGCONT)
        got = c.request('GET', '/%s/cold' % bucket)
        assert got.status == 200 and got.body == b'cold', got
    finally:
        c.close()


def test_off(make_server):
    """s3_record_cache off: every GET asks the metadata process."""

    srv = _server(make_server, 's3_record_cache off;')
    srv.allow_log(r's3 metadata request timed out')
    bucket = new_bucket_name('rco')
    _create_bucket(srv, bucket)
    assert s3raw.request(srv, 'PUT', '/%s/hot' % bucket,
                         body=b'x').status == 200
    c = Conn(srv)
    try:
        assert c.request('GET', '/%s/hot' % bucket).body == b'x'
        assert c.request('GET', '/%s/hot' % bucket).body == b'x'
        pid = _stop_helper(srv)
        try:
            s3raw.assert_error(c.request('GET', '/%s/hot' % bucket), 503,
                               'ServiceUnavailable')
        finally:
            os.kill(pid, signal.SIGCONT)
    finally:
        c.close()


def test_small_bound(make_server):
    """A cache of 8k holds few records: the others are asked for, and
    every answer is still right."""

    srv = _server(make_server, 's3_record_cache 8k;')
    bucket = new_bucket_name('rcs')
    _create_bucket(srv, bucket)
    c = Conn(srv)
    try:
        for i in range(40):
            assert c.request('PUT', '/%s/k%d' % (bucket, i),
                             body=b'%d' % i).status == 200
        for _ in range(3):
            for i in range(40):
                got = c.request('GET', '/%s/k%d' % (bucket, i))
                assert got.status == 200 and got.body == b'%d' % i
    finally:
        c.close()


def test_helper_restart_and_reload(make_server):
    """Copies made before a kill -9 of the metadata process or a reload
    are not trusted over what was written after."""

    srv = _server(make_server)
    bucket = new_bucket_name('rcr')
    _create_bucket(srv, bucket)
    key = '/%s/k' % bucket
    quoted = urllib.parse.quote(key)

    for step in ('kill', 'reload'):
        assert s3raw.request(srv, 'PUT', quoted, body=b'before').status \
            == 200
        conns = [Conn(srv) for _ in range(6)]
        for c in conns:
            for _ in range(2):
                assert c.request('GET', quoted).body == b'before'
        if step == 'kill':
            srv.kill_helper()
        else:
            srv.reload()
        deadline = time.time() + 10
        while True:
            resp = s3raw.request(srv, 'PUT', quoted, body=b'after-' +
                                 step.encode())
            if resp.status == 200 or time.time() > deadline:
                break
            time.sleep(0.1)
        assert resp.status == 200, resp
        for c in conns:
            if step == 'reload':
                # the old workers close their connections
                c.close()
                c = Conn(srv)
            try:
                got = c.request('GET', quoted)
            except ConnectionError:
                c = Conn(srv)
                got = c.request('GET', quoted)
            assert got.body == b'after-' + step.encode(), (step, got)
            c.close()
