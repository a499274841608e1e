"""Body fsyncs run in a thread pool, not in the worker's event loop.

With `s3_fsync on` a PUT's body file and its directory are fsynced before
the record is committed; those fsyncs are tasks of nginx's thread pool
(s3_thread_pool), so that a worker keeps serving other requests while a
PUT waits for the disk.  The fault build (scripts/faults.sh) makes the
fsync slow on purpose ("store.fsync=1:delay": one second late), which
makes the proof independent of the disk's speed:

- with one worker, small GETs on another connection complete quickly all
  through a 64 MiB PUT's fsync, and the PUT itself is answered after it
  with its body intact;
- a client that goes away while its fsync is in flight (HTTP/2, where
  nginx sees the stream go) leaves no body file and no record; over
  HTTP/1.1 (where nginx cannot see it until it answers) the object is
  either stored whole or not at all, and no file is left without a
  record; nothing crashes either way.
"""

import hashlib
import http.client
import os
import socket
import subprocess
import threading
import time

import pytest

import s3server
import sigv4

TOP = s3server.TOP
CURL = '/usr/bin/curl'
DELAY = 1.0          # NGX_HTTP_S3_FAULT_DELAY_MSEC


def _faults_module():
    path = os.environ.get('S3_FAULTS_MODULE')
    if path:
        return path
    if not os.path.isfile('/usr/share/nginx/src/conf_flags'):
        pytest.skip('the fault build needs nginx-dev')
    p = subprocess.run([os.path.join(TOP, 'scripts', 'faults.sh')],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       timeout=900)
    if p.returncode != 0:
        pytest.fail('scripts/faults.sh failed:\n%s'
                    % p.stderr.decode()[-4000:], pytrace=False)
    return p.stdout.decode().strip().splitlines()[-1]


@pytest.fixture(scope='module')
def srv():
    h2port = s3server.free_port()
    s = s3server.S3Server(name='fsync', workers=1, fsync='on',
                          module=_faults_module(),
                          server_extra='        listen 127.0.0.1:%d http2;\n'
                          % h2port)
    s.h2port = h2port
    s.start()
    yield s
    s.teardown()


def _request(srv, c, method, path, body=b'', unsigned=False):
    h = sigv4.sign_headers(method, srv.host, path, [], {}, body,
                           srv.access_key, srv.secret_key, srv.region,
                           payload_hash='UNSIGNED-PAYLOAD' if unsigned
                           else None)
    h['Host'] = srv.host
    if method in ('PUT', 'POST'):
        h['Content-Length'] = str(len(body))
    c.request(method, path, body=body or None, headers=h)
    r = c.getresponse()
    return r.status, dict((k.lower(), v) for k, v in r.getheaders()), \
        r.read()


def _conn(srv):
    return http.client.HTTPConnection('127.0.0.1', srv.port, timeout=30)


def _arm(srv, spec):
    path = os.path.join(srv.data, 'faults')
    with open(path + '.tmp', 'w') as f:
        f.write('# %f\n%s\n' % (time.time(), spec))
    os.rename(path + '.tmp', path)


def _clear(srv):
    try:
        os.unlink(os.path.join(srv.data, 'faults'))
    except FileNotFoundError:
        pass


def _bodies(srv):
    out = set()
    for d, _, files in os.walk(os.path.join(srv.data, 'objects')):
        out.update(os.path.join(d, f) for f in files)
    return out


def _log(srv):
    with open(srv.error_log, errors='replace') as f:
        return f.read()


def test_get_served_during_put_fsync(srv):
    """One worker: GETs of a small object on a second connection all
    complete in a fraction of the fsync time while a 64 MiB PUT waits for
    its (one second) fsync; the PUT is answered after it, intact."""

    c = _conn(srv)
    assert _request(srv, c, 'PUT', '/fsync-bucket')[0] == 200
    small = os.urandom(4096)
    assert _request(srv, c, 'PUT', '/fsync-bucket/small', small)[0] == 200

    big = os.urandom(64 * 1024 * 1024)
    done = {}

    def put():
        pc = _conn(srv)
        t0 = time.monotonic()
        st, h, _ = _request(srv, pc, 'PUT', '/fsync-bucket/big', big,
                            unsigned=True)
        done.update(status=st, etag=h.get('etag'), t0=t0,
                    t1=time.monotonic())
        pc.close()

    _arm(srv, 'store.fsync=1:delay')
    th = threading.Thread(target=put)
    th.start()

    gets = []
    while th.is_alive():
        t = time.monotonic()
        st, _, body = _request(srv, c, 'GET', '/fsync-bucket/small')
        gets.append((t, time.monotonic() - t))
        assert st == 200 and body == small
        time.sleep(0.01)
    th.join()
    _clear(srv)

    assert done['status'] == 200
    assert done['etag'] == '"%s"' % hashlib.md5(big).hexdigest()
    assert 's3 fault injected: store.fsync #1: delay' in _log(srv)

    # the PUT waited for its slow fsync...
    assert done['t1'] - done['t0'] >= DELAY
    # ...and GETs went on all through it, quickly (an fsync in the event
    # loop would let one GET start in that second, and take all of it)
    during = sorted(lat for t, lat in gets
                    if done['t1'] - DELAY + 0.1 <= t <= done['t1'] - 0.1)
    assert len(during) >= 5, (len(during), gets[-20:])
    assert during[len(during) // 2] < DELAY / 10, during
    assert during[-1] < DELAY / 2, during

    st, _, body = _request(srv, c, 'GET', '/fsync-bucket/big')
    assert st == 200 and body == big
    c.close()


def test_h2_client_gone_during_fsync(srv, tmp_path):
    """An HTTP/2 client that goes away while its body is being fsynced:
    no record, no body file left, the worker unharmed."""

    c = _conn(srv)
    _request(srv, c, 'PUT', '/fsync-bucket')
    src = tmp_path / 'body'
    src.write_bytes(os.urandom(8 * 1024 * 1024))
    before = _bodies(srv)

    path = '/fsync-bucket/h2-gone'
    q = sigv4.presign('PUT', srv.host, path, [], srv.access_key,
                      srv.secret_key, srv.region)
    url = 'http://127.0.0.1:%d%s?%s' % (srv.h2port, path,
                                        sigv4.wire_query(q))

    _arm(srv, 'store.fsync=1:delay')
    p = subprocess.run([CURL, '-s', '--http2-prior-knowledge',
                        '-H', 'Host: ' + srv.host, '--max-time', '0.5',
                        '-o', '/dev/null', '-w', '%{http_code}',
                        '-T', str(src), url],
                       capture_output=True, text=True)
    assert p.returncode == 28, (p.returncode, p.stdout, p.stderr)

    # the fsync ends, the request with it
    time.sleep(DELAY + 0.5)
    _clear(srv)

    assert 's3 fault injected: store.fsync #1: delay' in _log(srv)
    assert _request(srv, c, 'HEAD', path)[0] == 404
    assert _bodies(srv) == before
    assert _request(srv, c, 'GET', '/fsync-bucket/small')[0] == 200
    c.close()
    srv.check_log()


def test_h1_client_gone_during_fsync(srv):
    """An HTTP/1.1 client that sends its body and closes at once: the
    object is stored whole or not at all, no file is left unnamed."""

    c = _conn(srv)
    _request(srv, c, 'PUT', '/fsync-bucket')
    before = _bodies(srv)
    body = os.urandom(4 * 1024 * 1024)
    path = '/fsync-bucket/h1-gone'

    h = sigv4.sign_headers('PUT', srv.host, path, [], {}, body,
                           srv.access_key, srv.secret_key, srv.region,
                           payload_hash='UNSIGNED-PAYLOAD')
    head = ['PUT %s HTTP/1.1' % path, 'Host: %s' % srv.host,
            'Content-Length: %d' % len(body)]
    head += ['%s: %s' % kv for kv in h.items()]

    _arm(srv, 'store.fsync=1:delay')
    s = socket.create_connection(('127.0.0.1', srv.port))
    s.sendall(('\r\n'.join(head) + '\r\n\r\n').encode() + body)
    time.sleep(0.3)
    s.close()

    time.sleep(DELAY + 0.5)
    _clear(srv)

    st, _, got = _request(srv, c, 'GET', path)
    after = _bodies(srv)
    if st == 200:
        assert got == body
        assert len(after - before) == 1
    else:
        assert st == 404
        assert after == before
    c.close()
    srv.check_log()


def test_reload_during_fsync(srv):
    """A reload while a PUT waits for its fsync: the old worker waits for
    the task and answers the PUT before it exits."""

    c = _conn(srv)
    _request(srv, c, 'PUT', '/fsync-bucket')
    c.close()
    body = os.urandom(1024 * 1024)
    done = {}

    def put():
        pc = _conn(srv)
        done['status'] = _request(srv, pc, 'PUT', '/fsync-bucket/reload',
                                  body, unsigned=True)[0]
        pc.close()

    _arm(srv, 'store.fsync=1:delay')
    th = threading.Thread(target=put)
    th.start()
    time.sleep(0.3)
    srv.reload()
    th.join()
    _clear(srv)

    assert done['status'] == 200
    c = _conn(srv)
    st, _, got = _request(srv, c, 'GET', '/fsync-bucket/reload')
    assert st == 200 and got == body
    c.close()


def test_named_thread_pool():
    """s3_thread_pool names a thread_pool of the configuration: PUTs are
    fsynced there; a name no thread_pool defines is refused at startup."""

    s = s3server.S3Server(name='fsync_pool', workers=1, fsync='on',
                          main_extra='thread_pool s3io threads=2;',
                          http_extra='    s3_thread_pool s3io;')
    try:
        s.start()
        c = _conn(s)
        assert _request(s, c, 'PUT', '/pool-bucket')[0] == 200
        body = os.urandom(100000)
        assert _request(s, c, 'PUT', '/pool-bucket/k', body)[0] == 200
        assert _request(s, c, 'GET', '/pool-bucket/k')[2] == body
        c.close()
    finally:
        s.teardown()

    s = s3server.S3Server(name='fsync_nopool', workers=1, fsync='on',
                          http_extra='    s3_thread_pool nosuch;')
    try:
        s.port = s3server.free_port()
        s.write_conf()
        env = dict(os.environ)
        s3server._sanitizer_env(env, s.tag)
        p = subprocess.run([s3server.NGINX, '-t', '-p', s.tmp + '/',
                            '-c', s.conf, '-e', s.error_log],
                           capture_output=True, text=True, env=env)
        assert p.returncode != 0
        assert 'unknown thread pool "nosuch"' in p.stderr + _log(s)
        s.allow_log(r'unknown thread pool "nosuch"')
    finally:
        s.teardown()
