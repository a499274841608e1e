"""Reload, kill -9 of the helper or a worker, restart and crash, all under
load: no acknowledged write is ever lost, and a reload fails no request."""

import hashlib
import time

from conftest import boto_client, new_bucket_name
from s3load import Load


def _bucket(server):
    s3 = boto_client(server)
    name = new_bucket_name('dur')
    s3.create_bucket(Bucket=name)
    return s3, name


def _summary(failures, n=10):
    return '\n'.join('%.3f %s %s %s' % f for f in failures[:n])


def _soft(detail):
    """A failure allowed for a request in flight when a process dies: a
    5xx answer or a broken connection; never a 4xx or wrong content."""

    return detail[:1] == '5' or detail.startswith((
        'ConnectionResetError', 'ConnectionRefusedError',
        'RemoteDisconnected', 'BrokenPipeError', 'TimeoutError',
        'timeout', 'IncompleteRead', 'BadStatusLine', 'ConnectionAbortedError'))


def _wait_old_workers_gone(server, timeout=15):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if server.workers_pids(shutting_down=True) == server.workers_pids():
            return
        time.sleep(0.05)
    raise AssertionError('old workers still shutting down after %ds: %s'
                         % (timeout, server.children()))


def test_reload_under_load(fresh_server):
    srv = fresh_server
    _, bucket = _bucket(srv)
    load = Load(srv, bucket, threads=4).start()
    try:
        time.sleep(1.0)
        for _ in range(3):
            srv.reload()
            time.sleep(0.7)
        time.sleep(0.5)
    finally:
        load.stop()
    assert load.failures == [], 'failed during reload:\n' + \
        _summary(load.failures)
    assert len(load.acked) > 50, 'too little load: %d' % len(load.acked)
    assert load.verify() == []
    _wait_old_workers_gone(srv)


def _kill_under_load(srv, kill, times=1):
    _, bucket = _bucket(srv)
    load = Load(srv, bucket, threads=4).start()
    kills = []
    try:
        time.sleep(1.0)
        for _ in range(times):
            kills.append(time.time())
            kill()
            time.sleep(1.5)
        # the service comes back: PUTs succeed again
        deadline = time.time() + 10
        while load.ok_after(time.time() - 0.5) < 5 and \
                time.time() < deadline:
            time.sleep(0.1)
        recovered = load.ok_after(kills[-1] + 1.0)
    finally:
        load.stop()

    hard = [f for f in load.failures if not _soft(f[3])]
    assert hard == [], 'wrong answers, not just broken requests:\n' + \
        _summary(hard)
    late = [f for f in load.failures
            if not any(k - 2 <= f[0] <= k + 5 for k in kills)]
    assert late == [], 'failures long after the kill:\n' + _summary(late)
    assert recovered > 0, 'no PUT succeeded after the kill'
    lost = load.verify()
    assert lost == [], 'acknowledged writes lost: %r' % lost[:10]
    return load


def test_kill_helper_under_load(fresh_server):
    srv = fresh_server
    old = srv.helper_pid()
    load = _kill_under_load(srv, srv.kill_helper, times=2)
    assert srv.helper_pid() not in (None, old)
    assert len(load.acked) > 20
    print('helper kill: %d acked, %d in-flight failures'
          % (len(load.acked), len(load.failures)))


def test_kill_worker_under_load(fresh_server):
    srv = fresh_server
    load = _kill_under_load(srv, srv.kill_worker, times=2)
    assert len(srv.workers_pids()) == 2
    assert len(load.acked) > 20
    print('worker kill: %d acked, %d in-flight failures'
          % (len(load.acked), len(load.failures)))


def test_restart_keeps_data(fresh_server):
    srv = fresh_server
    s3, bucket = _bucket(srv)
    objs = {}
    for i, size in enumerate([0, 1, 4096, 1024 * 1024, 3 * 1024 * 1024]):
        key = 'restart/%d' % i
        body = hashlib.sha256(key.encode()).digest() * (size // 32 + 1)
        objs[key] = body[:size]
        s3.put_object(Bucket=bucket, Key=key, Body=objs[key],
                      Metadata={'i': str(i)}, ContentType='text/x-%d' % i)
    s3.delete_object(Bucket=bucket, Key='restart/0')
    del objs['restart/0']

    srv.restart()
    s3 = boto_client(srv)
    assert bucket in [b['Name'] for b in s3.list_buckets()['Buckets']]
    keys = [c['Key'] for c in s3.list_objects_v2(Bucket=bucket)['Contents']]
    assert keys == sorted(objs)
    for key, body in objs.items():
        got = s3.get_object(Bucket=bucket, Key=key)
        assert got['Body'].read() == body
        assert got['ETag'] == '"%s"' % hashlib.md5(body).hexdigest()
        assert got['Metadata'] == {'i': key[-1]}
        assert got['ContentType'] == 'text/x-' + key[-1]


def test_crash_under_load_keeps_acknowledged(fresh_server):
    """kill -9 of the master and every child mid-load, then a new start on
    the same data directory: every acknowledged PUT is there."""

    srv = fresh_server
    _, bucket = _bucket(srv)
    load = Load(srv, bucket, threads=4).start()
    try:
        time.sleep(1.5)
        srv.crash()
    finally:
        load.stop()
    assert len(load.acked) > 20
    srv.start()
    lost = load.verify()
    assert lost == [], 'acknowledged writes lost: %r' % lost[:10]
    s3 = boto_client(srv)
    s3.put_object(Bucket=bucket, Key='after-crash', Body=b'works')
    assert s3.get_object(Bucket=bucket, Key='after-crash')['Body'].read() \
        == b'works'


def test_graceful_stop_under_load(fresh_server):
    """A graceful stop (nginx -s quit) finishes the requests it accepted."""

    srv = fresh_server
    _, bucket = _bucket(srv)
    load = Load(srv, bucket, threads=4).start()
    try:
        time.sleep(1.0)
        srv.stop()
    finally:
        load.stop()
    hard = [f for f in load.failures if not _soft(f[3])
            and 'Refused' not in f[3]]
    assert hard == [], _summary(hard)
    srv.start()
    assert load.verify() == []
