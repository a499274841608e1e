"""Group commit in the metadata process: the mutations that arrive in one
pass over its sockets share one synced write, and none is acknowledged
before that write; kill -9 of the metadata process loses none of them."""

import os
import signal
import subprocess
import threading
import time

import pytest

from conftest import new_bucket_name
from s3raw import request
from s3server import S3Server

N = 32


def _strace(pid, out):
    """strace every thread of the metadata process: its syncs"""

    tids = os.listdir('/proc/%d/task' % pid)
    args = ['strace', '-f', '-qq', '-e', 'trace=fdatasync,fsync', '-o', out]
    for tid in tids:
        args += ['-p', tid]
    p = subprocess.Popen(args, stdin=subprocess.DEVNULL,
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    # attached when the first sync shows up, or after a moment
    time.sleep(1.0)
    return p


def _concurrent(srv, method, paths, body=None):
    results = [None] * len(paths)
    start = threading.Barrier(len(paths))

    def run(i):
        start.wait()
        results[i] = request(srv, method, paths[i],
                             body=body(i) if body else b'').status

    threads = [threading.Thread(target=run, args=(i,))
               for i in range(len(paths))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


@pytest.fixture
def srv8(request):
    # eight workers: PUTs reach the metadata process together even while
    # a worker still syncs a body in its event loop
    srv = S3Server(workers=8, name='group')
    srv.start()
    yield srv
    srv.teardown()


def test_group_commit(srv8):
    srv = srv8
    if subprocess.run(['strace', '-V'], stdout=subprocess.DEVNULL,
                      stderr=subprocess.DEVNULL).returncode != 0:
        pytest.skip('no strace')

    bucket = new_bucket_name('group')
    assert request(srv, 'PUT', '/' + bucket).status == 200

    keys = ['k%02d' % i for i in range(N)]
    paths = ['/%s/%s' % (bucket, k) for k in keys]

    def body(i):
        return ('body %d ' % i).encode() * 100

    helper = srv.helper_pid()
    out = os.path.join(srv.tmp, 'strace.out')
    tracer = _strace(helper, out)

    try:
        puts = _concurrent(srv, 'PUT', paths, body)
        deletes = _concurrent(srv, 'DELETE', paths[N // 2:])
    finally:
        time.sleep(0.3)
        tracer.send_signal(signal.SIGINT)
        tracer.wait(timeout=10)

    assert puts == [200] * N, puts
    assert deletes == [204] * (N - N // 2), deletes

    with open(out) as f:
        syncs = [line for line in f if 'fdatasync(' in line
                 or 'fsync(' in line]

    mutations = N + N - N // 2
    print('\n%d PUTs and %d DELETEs, %d syncs in the metadata process'
          % (N, N - N // 2, len(syncs)))

    assert 0 < len(syncs) < mutations, syncs

    # every acknowledged write is there after kill -9 of the helper
    srv.kill_helper()

    for i, path in enumerate(paths):
        r = request(srv, 'GET', path)
        if i < N // 2:
            assert r.status == 200, (path, r.status)
            assert r.body == body(i), path
        else:
            assert r.status == 404, (path, r.status)
