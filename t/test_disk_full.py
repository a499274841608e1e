"""A full disk, for real: the data directory is a small tmpfs.

- With the default reserve (s3_min_free): PUTs that would eat into it are
  refused cleanly (503 ServiceUnavailable, Retry-After), earlier objects
  stay intact, deleting frees the space within a few seconds on an idle
  server even with open_file_cache configured, and PUTs work again.
- Without a reserve, filled to the last page: LevelDB's own writes fail
  (500 InternalError, logged with the reason), reads go on, and once space
  is freed the metadata process reopens the database and serves writes
  again; nothing acknowledged is lost and no body is left behind.

Needs root (mount); skipped only when the mount fails.
"""

import hashlib
import os
import re
import subprocess
import time

import pytest

import s3server
from s3raw import error_fields, request

MiB = 1024 * 1024


def _mount(path, size):
    os.makedirs(path, exist_ok=True)
    p = subprocess.run(['mount', '-t', 'tmpfs', '-o', 'size=%s' % size,
                        'tmpfs', path], stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT)
    if p.returncode != 0:
        pytest.skip('cannot mount a tmpfs (%s): %s'
                    % (path, p.stdout.decode().strip()))


def _umount(path):
    subprocess.run(['umount', '-l', path], stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)


@pytest.fixture
def small_disk(request):
    """make(size, http_extra): a started server whose s3_data is a tmpfs."""

    made = []

    def make(size, http_extra=''):
        srv = s3server.S3Server(name=request.node.name[:20],
                                http_extra=http_extra)
        made.append(srv)
        _mount(srv.data, size)
        srv.mounted = True
        return srv.start()

    yield make

    for srv in made:
        try:
            srv.stop()
        finally:
            if getattr(srv, 'mounted', False):
                _umount(srv.data)
        srv.teardown()


def _free(path):
    st = os.statvfs(path)
    return st.f_bavail * st.f_frsize


def _bodies(srv):
    out = []
    for d, _, files in os.walk(os.path.join(srv.data, 'objects')):
        out += [os.path.join(d, n) for n in files]
    return out


def _held_deleted_bodies(srv):
    """Body files that were unlinked but some nginx process holds open."""

    held = []
    for pid in list(srv.children()) + [srv.master_pid]:
        fd_dir = '/proc/%d/fd' % pid
        try:
            fds = os.listdir(fd_dir)
        except OSError:
            continue
        for fd in fds:
            try:
                target = os.readlink(os.path.join(fd_dir, fd))
            except OSError:
                continue
            if '/objects/' in target and target.endswith('(deleted)'):
                held.append((pid, target))
    return held


def _put(srv, bucket, key, body):
    return request(srv, 'PUT', '/%s/%s' % (bucket, key), body=body,
                   payload_hash='UNSIGNED-PAYLOAD')


def _check_objects(srv, bucket, objects):
    for key, digest in objects.items():
        r = request(srv, 'GET', '/%s/%s' % (bucket, key))
        assert r.status == 200, (key, r)
        assert hashlib.md5(r.body).hexdigest() == digest, key


def _wait(cond, timeout, what):
    """what: the failure message, or a function that makes it"""

    deadline = time.time() + timeout
    while not cond():
        assert time.time() < deadline, what() if callable(what) else what
        time.sleep(0.05)


def test_disk_full_reserve(small_disk):
    srv = small_disk('64m', http_extra='''
    s3_min_free 8m;
    open_file_cache max=1000 inactive=60s;
    open_file_cache_valid 60s;
    open_file_cache_errors off;''')
    bucket = 'full'
    assert request(srv, 'PUT', '/' + bucket).status == 200

    objects = {}
    refused = None
    for i in range(20):
        body = os.urandom(4 * MiB)
        r = _put(srv, bucket, 'o%d' % i, body)
        if r.status != 200:
            refused = r
            break
        objects['o%d' % i] = hashlib.md5(body).hexdigest()

    assert refused is not None, 'a 64 MiB disk took 80 MiB'
    assert refused.status == 503, refused
    assert error_fields(refused.body)['Code'] == 'ServiceUnavailable'
    assert refused.header('Retry-After') == '1', refused
    assert len(objects) >= 10, len(objects)
    log = srv._read(srv.error_log)
    assert re.search(r'\[error\].*s3 body of \d+ bytes refused: \d+ bytes '
                     r'free', log), log[-2000:]

    # nothing half written, nothing lost; and every worker opens bodies
    assert len(_bodies(srv)) == len(objects)
    for _ in range(3):
        _check_objects(srv, bucket, objects)

    free = _free(srv.data)
    for key in ('o0', 'o1', 'o2'):
        r = request(srv, 'DELETE', '/%s/%s' % (bucket, key))
        assert r.status == 204, r
        del objects[key]

    # idle: the space comes back by itself (the unlink waits 2 s); less
    # a few pages the metadata log grew by meanwhile
    t = time.time()
    _wait(lambda: _free(srv.data) >= free + 12 * MiB - 64 * 1024, 6,
          lambda: 'deleted bodies still use space: %d -> %d bytes free, '
          'held open: %s' % (free, _free(srv.data),
                             _held_deleted_bodies(srv)))
    took = time.time() - t
    assert _held_deleted_bodies(srv) == []

    r = _put(srv, bucket, 'again', os.urandom(4 * MiB))
    assert r.status == 200, r
    _check_objects(srv, bucket, objects)
    print('\nspace of 3 deleted 4 MiB bodies back after %.1f s' % took)


def test_disk_full_database_reopens(small_disk):
    # body files (s3_inline_max 0): one per object
    srv = small_disk('32m', http_extra='    s3_min_free 0; s3_inline_max 0;')
    srv.allow_log(r's3 body .* left behind')
    bucket = 'full'
    assert request(srv, 'PUT', '/' + bucket).status == 200

    # space that another program on the disk will free later
    filler = os.path.join(srv.data, 'filler')
    with open(filler, 'wb') as f:
        f.write(b'\0' * (8 * MiB))

    objects = {}
    n = 0

    def put(size):
        nonlocal n
        n += 1
        body = os.urandom(size)
        r = _put(srv, bucket, 'o%d' % n, body)
        if r.status == 200:
            objects['o%d' % n] = hashlib.md5(body).hexdigest()
        return r

    # fill with smaller and smaller bodies, to the last page
    for size in (MiB, 256 * 1024, 64 * 1024, 16 * 1024, 4096, 1):
        for _ in range(100):
            r = put(size)
            if r.status != 200:
                assert r.status in (500, 503), r
                break

    # then empty bodies: only the database's log still grows
    db_failed = None
    for _ in range(400):
        r = put(0)
        if r.status != 200:
            db_failed = r
            break

    assert db_failed is not None, 'the database never ran out of space'
    assert db_failed.status == 500, db_failed
    assert error_fields(db_failed.body)['Code'] == 'InternalError'
    log = srv._read(srv.error_log)
    assert re.search(r'\[crit\].*s3 metadata write failed \(PutObject\): '
                     r'IO error: .*No space left on device', log), \
        log[-3000:]

    # reads go on; writes wait for room to reopen
    _check_objects(srv, bucket, objects)
    r = request(srv, 'DELETE', '/%s/o1' % bucket)
    assert r.status == 500, r
    _wait(lambda: 'waits for free space to be reopened'
          in srv._read(srv.error_log), 5, 'no "waits for free space"')

    # the other program frees its space: writes work again by themselves
    os.unlink(filler)
    t = time.time()
    deadline = t + 10
    while True:
        r = put(1000)
        if r.status == 200:
            break
        assert r.status == 500, r
        assert time.time() < deadline, 'writes still fail: %r\n%s' % (
            r, srv.log_tail())
        time.sleep(0.1)
    took = time.time() - t
    assert 'reopened after a failed write' in srv._read(srv.error_log)

    # nothing acknowledged lost, no body of a failed PUT left
    _check_objects(srv, bucket, objects)
    _wait(lambda: len(_bodies(srv)) == len(objects), 5,
          lambda: 'bodies %d, objects %d' % (len(_bodies(srv)),
                                             len(objects)))

    # and deleting frees space
    free = _free(srv.data)
    big = sorted(objects)[:4]
    for key in big:
        assert request(srv, 'DELETE', '/%s/%s' % (bucket, key)).status == 204
        del objects[key]
    _wait(lambda: _free(srv.data) > free, 5, 'no space back')
    _check_objects(srv, bucket, objects)
    print('\nwrites back %.1f s after space was freed' % took)
