"""Body files are reference counted (format 2): every record that names a
body counts, a body is unlinked when its count reaches 0; a format 1
database gets its counts when it is opened; an object made of extents of
other bodies reads back from them, by range and by part."""

import hashlib
import os

import pytest

import s3store
from conftest import boto_client, new_bucket_name
from s3raw import assert_error, assert_ok, request
from sigv4 import key_path

pytestmark = pytest.mark.skipif(s3store.plyvel is None,
                                reason='python3-plyvel is missing')


def put(server, bucket, key, body):
    return assert_ok(request(server, 'PUT', key_path(bucket, key), body=body))


def get(server, bucket, key, headers=None, query=(), method='GET'):
    return request(server, method, key_path(bucket, key), query=query,
                   headers=headers)


def setup_bucket(server):
    s3 = boto_client(server)
    b = new_bucket_name('refs')
    s3.create_bucket(Bucket=b)
    return b


def test_counts_follow_puts_and_deletes(make_server):
    srv = make_server()
    b = setup_bucket(srv)
    put(srv, b, 'x', b'x' * 100)
    put(srv, b, 'y', b'y1')
    put(srv, b, 'y', b'y2')                 # the first body of y goes
    put(srv, b, 'z', b'z')
    assert_ok(request(srv, 'DELETE', key_path(b, 'z')), 204)

    named = s3store.check_consistent(srv)
    assert len(named) == 2 and set(named.values()) == {1}

    srv.stop()
    with s3store.Db(srv) as db:
        assert db.get(b'F') == b'2'
    srv.start()


def test_format_1_gets_counts(make_server):
    # format 1 had body files only
    srv = make_server(http_extra=s3store.INLINE_OFF)
    b = setup_bucket(srv)
    for i in range(5):
        put(srv, b, 'k%d' % i, b'%d' % i * 1000)
    put(srv, b, 'k0', b'new')
    srv.stop()

    # what a format 1 database looks like: no counts
    with s3store.Db(srv) as db:
        want = db.refs()
        assert len(want) == 5
        for k, _ in db.prefix(b'R'):
            db.delete(k)
        # and a count left by an interrupted rebuild, which must go
        db.put(b'R' + b'0' * 32, b'\0\0\0\x07')
        db.put(b'F', b'1')

    srv.start()
    srv.stop()
    with s3store.Db(srv) as db:
        assert db.get(b'F') == b'2'
        assert db.refs() == want
    srv.start()

    assert 'format 1 becomes format 2' in open(srv.error_log).read()

    # the rebuilt counts work: a delete and an overwrite unlink
    files = s3store.body_ids(srv)
    assert_ok(request(srv, 'DELETE', key_path(b, 'k1')), 204)
    put(srv, b, 'k2', b'again')
    got = s3store.wait_body_ids(srv, None, timeout=3)
    assert len(got) == len(files) - 1
    s3store.check_consistent(srv)


def test_newer_format_refused(make_server):
    srv = make_server()
    setup_bucket(srv)
    srv.stop()
    with s3store.Db(srv) as db:
        db.put(b'F', b'3')
    srv.allow_log(r'has format "3", this module reads formats')
    srv.start(ready=False)
    r = request(srv, 'GET', '/')
    assert_error(r, 500, 'InternalError')
    srv.stop()
    with s3store.Db(srv) as db:
        assert db.get(b'F') == b'3'


def _md5(data):
    return hashlib.md5(data).digest()


def test_object_of_extents(make_server):
    """An object record with extents (as CompleteMultipartUpload writes
    them) reads back from the bodies of two other objects."""

    srv = make_server()
    b = setup_bucket(srv)
    a_data = os.urandom(300 * 1024 + 17)
    b_data = os.urandom(200 * 1024 + 3)
    put(srv, b, 'a', a_data)
    put(srv, b, 'b', b_data)
    srv.stop()

    part1 = a_data[10:10 + 150000]
    want = part1 + b_data
    with s3store.Db(srv) as db:
        a_body = s3store.bodies_of(db.object(b, 'a'))[0]
        b_body = s3store.bodies_of(db.object(b, 'b'))[0]
        etag = hashlib.md5(_md5(part1) + _md5(b_data)).hexdigest() + '-2'
        rec = s3store.encode({
            s3store.TAG_SIZE: s3store.u64(len(want)),
            2: s3store.u64(1700000000000),
            s3store.TAG_ETAG: etag.encode(),
            5: b'null',
            s3store.TAG_EXTENTS: s3store.encode_extents(
                [(a_body, 10, len(part1)), (b_body, 0, len(b_data))]),
            s3store.TAG_PARTS: s3store.encode_parts(
                [(len(part1), _md5(part1), b''),
                 (len(b_data), _md5(b_data), b'')]),
        })
        db.put(b'O' + b.encode() + b'\0c', rec)
        db.put(b'R' + a_body.encode(), b'\0\0\0\x02')
        db.put(b'R' + b_body.encode(), b'\0\0\0\x02')
    srv.start()

    r = assert_ok(get(srv, b, 'c'))
    assert r.body == want
    assert r.header('ETag') == '"%s"' % etag
    assert r.header('x-amz-mp-parts-count') is None

    # ranges within and across the extents
    n = len(want)
    for first, last in ((0, 0), (149990, 150009), (100, n - 1),
                        (150000, 150000), (n - 5, n - 1)):
        r = get(srv, b, 'c', headers={'Range': 'bytes=%d-%d'
                                      % (first, last)})
        assert r.status == 206, r
        assert r.body == want[first:last + 1]
        assert r.header('Content-Range') == 'bytes %d-%d/%d' % (first, last,
                                                                n)
    r = get(srv, b, 'c', headers={'Range': 'bytes=-7'})
    assert r.status == 206 and r.body == want[-7:]
    r = get(srv, b, 'c', headers={'Range': 'bytes=%d-' % n})
    assert_error(r, 416, 'InvalidRange')

    # parts
    r = get(srv, b, 'c', query=[('partNumber', '1')])
    assert r.status == 206 and r.body == part1, r
    assert r.header('Content-Range') == 'bytes 0-%d/%d' % (len(part1) - 1, n)
    assert r.header('x-amz-mp-parts-count') == '2'
    assert r.header('ETag') == '"%s"' % etag
    r = get(srv, b, 'c', query=[('partNumber', '2')])
    assert r.status == 206 and r.body == b_data
    assert r.header('Content-Range') == 'bytes %d-%d/%d' % (len(part1),
                                                            n - 1, n)
    r = get(srv, b, 'c', query=[('partNumber', '2')], method='HEAD')
    assert r.status == 206 and r.body == b''
    assert r.header('Content-Length') == str(len(b_data))
    assert r.header('x-amz-mp-parts-count') == '2'
    assert_error(get(srv, b, 'c', query=[('partNumber', '3')]), 416,
                 'InvalidPartNumber')
    for bad in ('0', '10001', 'x', '', '-1'):
        assert_error(get(srv, b, 'c', query=[('partNumber', bad)]), 400,
                     'InvalidArgument')
    assert_error(get(srv, b, 'c', query=[('partNumber', '1')],
                     headers={'Range': 'bytes=0-1'}), 400, 'InvalidRequest')

    # an object of one piece is its own part 1
    r = get(srv, b, 'a', query=[('partNumber', '1')])
    assert r.status == 206 and r.body == a_data
    assert r.header('x-amz-mp-parts-count') is None
    assert_error(get(srv, b, 'a', query=[('partNumber', '2')]), 416,
                 'InvalidPartNumber')

    s3store.check_consistent(srv)

    # the shared bodies stay until the last name goes
    before = s3store.body_ids(srv)
    assert_ok(request(srv, 'DELETE', key_path(b, 'c')), 204)
    assert s3store.wait_body_ids(srv, None, timeout=2.5) == before
    assert assert_ok(get(srv, b, 'a')).body == a_data
    assert_ok(request(srv, 'DELETE', key_path(b, 'a')), 204)
    put(srv, b, 'b', b'replaced')
    got = s3store.wait_body_ids(srv, before - {a_body, b_body}, timeout=4)
    assert a_body not in got and b_body not in got
    s3store.check_consistent(srv)


def test_out_of_descriptors(make_server):
    """A GET holds one descriptor per extent: past worker_rlimit_nofile it
    is 503 SlowDown (a client retries), never a torn response; a range
    needing fewer is served."""

    srv = make_server(main_extra='worker_rlimit_nofile 64;',
                      http_extra=s3store.INLINE_OFF)
    b = setup_bucket(srv)
    data = os.urandom(300)
    put(srv, b, 'a', data)
    srv.stop()
    with s3store.Db(srv) as db:
        body = s3store.bodies_of(db.object(b, 'a'))[0]
        for key, n in (('few', 20), ('many', 200)):
            db.put(b'O' + b.encode() + b'\0' + key.encode(), s3store.encode({
                s3store.TAG_SIZE: s3store.u64(n),
                s3store.TAG_ETAG: b'0' * 32 + b'-1',
                s3store.TAG_EXTENTS: s3store.encode_extents(
                    [(body, i, 1) for i in range(n)])}))
        db.put(b'R' + body.encode(), (1 + 20 + 200).to_bytes(4, 'big'))
    srv.allow_log(r'raise worker_rlimit_nofile')
    srv.start()

    r = assert_ok(get(srv, b, 'few'))
    assert r.body == data[:20]
    r = get(srv, b, 'many')
    assert_error(r, 503, 'SlowDown')
    assert 'raise worker_rlimit_nofile' in open(srv.error_log).read()
    r = get(srv, b, 'many', headers={'Range': 'bytes=0-9'})
    assert r.status == 206 and r.body == data[:10]
    assert assert_ok(get(srv, b, 'few')).body == data[:20]
