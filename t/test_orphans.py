"""The orphan sweep of the metadata process: at start and then every
s3_orphan_grace it walks <data>/objects in steps and removes the body files
that no R record counts and that are older than the grace; young files (an
upload whose record is not committed yet) and files that are not body
files stay.  After a kill -9 of the metadata process in the middle of
overwrites, deletes and copies, no orphan is left once the sweep ran."""

import os
import re
import threading
import time
import uuid

import pytest

import s3store
from conftest import boto_client, new_bucket_name
from s3raw import assert_ok, request
from sigv4 import key_path

pytestmark = pytest.mark.skipif(s3store.plyvel is None,
                                reason='python3-plyvel is missing')

GRACE = 5


def conf(grace=GRACE):
    # the sweep must not take a PUT waiting for its commit: the grace is
    # longer than the metadata timeout
    return 's3_orphan_grace %ds;\n    s3_meta_timeout 2s;' % grace


def sweeps(srv):
    """The "orphan sweep" lines of the error log: (files, removed)."""

    text = open(srv.error_log, errors='replace').read()
    return [(int(a), int(b)) for a, b in re.findall(
        r'orphan sweep: (\d+) body files, (\d+) removed', text)]


def wait_sweeps(srv, n, timeout):
    deadline = time.time() + timeout
    while time.time() < deadline:
        got = sweeps(srv)
        if len(got) >= n:
            return got
        time.sleep(0.1)
    raise AssertionError('%d sweeps after %ds, want %d: %r'
                         % (len(sweeps(srv)), timeout, n, sweeps(srv)))


def plant(srv, name=None, age=0, directory=None):
    """A file under objects/, as a crash would leave one."""

    name = name or uuid.uuid4().hex
    directory = directory or os.path.join(srv.data, 'objects', name[:2],
                                          name[2:4])
    os.makedirs(directory, exist_ok=True)
    path = os.path.join(directory, name)
    with open(path, 'wb') as f:
        f.write(b'orphan ' + name.encode())
    t = time.time() - age
    os.utime(path, (t, t))
    return path


def setup_objects(srv):
    s3 = boto_client(srv)
    b = new_bucket_name('orphans')
    s3.create_bucket(Bucket=b)
    for i in range(5):
        assert_ok(request(srv, 'PUT', key_path(b, 'k%d' % i),
                          body=b'%d' % i * 100))
    assert_ok(request(srv, 'PUT', key_path(b, 'copy'),
                      headers={'x-amz-copy-source': '%s/k0' % b}))
    return b


def test_old_orphans_go_young_ones_and_others_stay(make_server):
    srv = make_server(http_extra=conf())
    b = setup_objects(srv)
    named = s3store.body_ids(srv)
    # an old body file that is named stays, whatever its age
    for path in named:
        full = os.path.join(srv.data, 'objects', path[:2], path[2:4], path)
        os.utime(full, (time.time() - 86400,) * 2)
    srv.stop()

    old = plant(srv, age=3600)
    old2 = plant(srv, age=3600)
    young = plant(srv, age=0)
    # not body files: another name, a body id in the wrong directory, a
    # file directly under objects/ and in a directory of another name
    other = plant(srv, name='notes.txt', age=3600,
                  directory=os.path.dirname(old))
    misplaced = plant(srv, name='ab' + uuid.uuid4().hex[2:], age=3600,
                      directory=os.path.join(srv.data, 'objects', 'cd',
                                             'ef'))
    top = plant(srv, name=uuid.uuid4().hex, age=3600,
                directory=os.path.join(srv.data, 'objects'))
    foreign = plant(srv, name=uuid.uuid4().hex, age=3600,
                    directory=os.path.join(srv.data, 'objects', 'XY',
                                           'zz'))

    n = len(sweeps(srv))
    srv.start()
    got = wait_sweeps(srv, n + 1, 10)

    # the pass at start: the old orphans went, nothing else
    assert got[n] == (len(named) + 3, 2), got
    assert not os.path.exists(old) and not os.path.exists(old2)
    for path in (young, other, misplaced, top, foreign):
        assert os.path.exists(path), path
    assert s3store.body_ids(srv) >= named
    for i in range(5):
        r = assert_ok(request(srv, 'GET', key_path(b, 'k%d' % i)))
        assert r.body == b'%d' % i * 100
    log = open(srv.error_log).read()
    assert os.path.basename(old) in log and 'orphan body file' in log

    # a pass later, the young one is old enough
    got = wait_sweeps(srv, n + 2, GRACE + 10)
    assert got[n + 1][1] == 1, got
    assert not os.path.exists(young)
    for path in (other, misplaced, top, foreign):
        assert os.path.exists(path), path
    for path in (other, misplaced, top, foreign):
        os.unlink(path)                 # check_consistent counts them
    s3store.check_consistent(srv)


def test_many_orphans_in_steps(make_server):
    srv = make_server(http_extra=conf(3600))
    b = setup_objects(srv)
    named = s3store.body_ids(srv)
    srv.stop()
    planted = [plant(srv, age=7200) for _ in range(1500)]
    n = len(sweeps(srv))
    srv.start()
    # requests are served while it walks
    for i in range(20):
        assert_ok(request(srv, 'GET', key_path(b, 'k%d' % (i % 5))))
    got = wait_sweeps(srv, n + 1, 30)
    assert got[n] == (len(named) + 1500, 1500)
    assert not any(os.path.exists(p) for p in planted)
    assert s3store.body_ids(srv) == named


def test_grace_0_is_no_sweep(make_server):
    srv = make_server(http_extra='s3_orphan_grace 0;')
    setup_objects(srv)
    srv.stop()
    old = plant(srv, age=7200)
    srv.start()
    time.sleep(1)
    assert sweeps(srv) == []
    assert os.path.exists(old)
    os.unlink(old)


def test_no_orphan_after_kill_9(make_server):
    """Overwrites, deletes and copies while the metadata process is killed:
    the bodies it was to unlink 2 s later are orphans; the sweep of its
    successor removes them once they are older than the grace."""

    srv = make_server(http_extra=conf() + s3store.INLINE_OFF)
    s3 = boto_client(srv)
    b = new_bucket_name('kill')
    s3.create_bucket(Bucket=b)
    stop = threading.Event()
    errors = []

    def load(n):
        i = 0
        while not stop.is_set():
            k = 'k%d-%d' % (n, i % 7)
            try:
                request(srv, 'PUT', key_path(b, k), body=os.urandom(2000),
                        timeout=10)
                if i % 3 == 0:
                    request(srv, 'PUT', key_path(b, k + '-copy'),
                            headers={'x-amz-copy-source': '%s/%s' % (b, k)},
                            timeout=10)
                if i % 5 == 0:
                    request(srv, 'DELETE', key_path(b, k), timeout=10)
            except OSError as e:
                errors.append(e)
            i += 1

    threads = [threading.Thread(target=load, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    try:
        time.sleep(1.5)
        srv.kill_helper()
        time.sleep(1.0)
    finally:
        stop.set()
        for t in threads:
            t.join()
    assert not errors, errors[:3]

    # the successor's sweeps: at start (every orphan is younger than the
    # grace then), and a grace later: that one removes them all, as
    # every orphan was made before the kill
    deadline = time.time() + 2 * GRACE + 10
    while sum(removed for _, removed in sweeps(srv)) == 0:
        assert time.time() < deadline, sweeps(srv)
        time.sleep(0.2)
    s3store.check_consistent(srv)


# stale multipart uploads

def expiries(srv):
    text = open(srv.error_log, errors='replace').read()
    return [(int(a), int(b)) for a, b in re.findall(
        r'multipart expiry: (\d+) uploads, (\d+) expired', text)]


def test_stale_uploads_expire(make_server):
    """An upload initiated more than s3_multipart_expiry ago goes with its
    parts (uploaded or copied), at start and then periodically; their
    bodies go with their last name; a young upload stays."""

    srv = make_server(http_extra='s3_multipart_expiry 1h;'
                      + s3store.INLINE_OFF)
    s3 = boto_client(srv)
    b = new_bucket_name('expiry')
    s3.create_bucket(Bucket=b)
    s3.put_object(Bucket=b, Key='src', Body=b'source' * 1000)
    src_body = s3store.body_ids(srv)

    old = s3.create_multipart_upload(Bucket=b, Key='old')['UploadId']
    s3.upload_part(Bucket=b, Key='old', UploadId=old, PartNumber=1,
                   Body=b'uploaded part')
    s3.upload_part_copy(Bucket=b, Key='old', UploadId=old, PartNumber=2,
                        CopySource='%s/src' % b)
    young = s3.create_multipart_upload(Bucket=b, Key='young')['UploadId']
    s3.upload_part(Bucket=b, Key='young', UploadId=young, PartNumber=1,
                   Body=b'young part')
    files = s3store.body_ids(srv)
    assert len(files) == 3

    # the old one was initiated two hours ago
    srv.stop()
    with s3store.Db(srv) as db:
        k = b'U' + b.encode() + b'\0old\0' + old.encode()
        f = s3store.decode(db.get(k))
        f[2] = s3store.u64(int((time.time() - 7200) * 1000))
        db.put(k, s3store.encode(f))
    n = len(expiries(srv))
    srv.start()

    got = wait_expiries(srv, n + 1, 10)
    assert got[n] == (2, 1), got
    assert re.search(r'multipart upload "%s" in bucket "%s" expired '
                     r'\(initiated 7[12]\d\d s ago\), 2 parts removed'
                     % (old, b), open(srv.error_log).read())
    ups = s3.list_multipart_uploads(Bucket=b).get('Uploads', [])
    assert [u['UploadId'] for u in ups] == [young]
    r = request(srv, 'GET', key_path(b, 'old'), query=[('uploadId', old)])
    assert r.status == 404
    # the uploaded part's body goes; the copied part's was the source's
    left = s3store.wait_body_ids(srv, None, timeout=3)
    assert src_body <= left and len(left) == 2
    s3store.check_consistent(srv)


def test_expiry_runs_periodically(make_server):
    srv = make_server(http_extra='s3_multipart_expiry 2s;')
    s3 = boto_client(srv)
    b = new_bucket_name('expiry2')
    s3.create_bucket(Bucket=b)
    uid = s3.create_multipart_upload(Bucket=b, Key='k')['UploadId']
    s3.upload_part(Bucket=b, Key='k', UploadId=uid, PartNumber=1,
                   Body=b'part')
    deadline = time.time() + 12
    while s3.list_multipart_uploads(Bucket=b).get('Uploads'):
        assert time.time() < deadline, expiries(srv)
        time.sleep(0.2)
    assert s3store.wait_body_ids(srv, set(), timeout=4) == set()


def test_expiry_0_is_never(make_server):
    srv = make_server(http_extra='s3_multipart_expiry 0;')
    setup_objects(srv)
    time.sleep(0.5)
    assert expiries(srv) == []


def wait_expiries(srv, n, timeout):
    deadline = time.time() + timeout
    while time.time() < deadline:
        got = expiries(srv)
        if len(got) >= n:
            return got
        time.sleep(0.1)
    raise AssertionError('%d expiry passes, want %d' % (len(expiries(srv)),
                                                        n))


def test_single_process_sweeps_and_copies():
    """master_process off: the one process sweeps too."""

    from test_single_process import SingleProcess
    srv = SingleProcess(name='single-sweep', http_extra=conf())
    srv.start()
    try:
        b = setup_objects(srv)
        named = s3store.body_ids(srv)
        srv.stop()
        old = plant(srv, age=3600)
        n = len(sweeps(srv))
        srv.start()
        got = wait_sweeps(srv, n + 1, 10)
        assert got[n][1] == 1 and not os.path.exists(old)
        assert s3store.body_ids(srv) == named
        r = request(srv, 'PUT', key_path(b, 'copy2'),
                    headers={'x-amz-copy-source': '%s/k1' % b})
        assert_ok(r)
        assert request(srv, 'GET', key_path(b, 'copy2')).body == b'1' * 100
    finally:
        srv.teardown()
