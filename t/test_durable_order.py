"""The order of syscalls that makes an acknowledged PUT survive a power
cut, read from an strace of a real nginx (one worker, s3_fsync on)
started under `strace -f`: for every PUT answered 200, the body file and
its directory were synced before the metadata request naming the body
was sent (or the body is inline in the record), the metadata process
synced the LevelDB log after writing the record and before sending its
reply, and the worker wrote the 200 after reading that reply.

The checker (t/lib/syscall_trace.py) accepts fsyncs on other threads
(thread pools), one log sync for several requests (group commit) and
bodies stored in the record; it is checked itself: with s3_fsync off,
and with the syncs of a good trace moved after the replies, it must
object to every PUT.
"""

import base64
import hashlib
import http.client
import shutil
import stat
import threading
import time

import pytest

import s3server
import sigv4
import syscall_trace

STRACE = shutil.which('strace')

pytestmark = pytest.mark.skipif(STRACE is None,
                                reason='strace missing (scripts/'
                                'install-deps.sh test)')

SMALL = 1024
LARGE = 1024 * 1024


def _body(key, size):
    """Printable (strace prints it as it is, the trace stays small) and
    different for every key."""

    seed = hashlib.sha256(key.encode()).digest()
    out = base64.b64encode(seed * (size // 32 + 1))
    return out[:size]


class Traced:
    """A server whose nginx runs under strace -f (strace -D: nginx stays
    the child the test started, so the server helpers work unchanged)."""

    def __init__(self, make_server, monkeypatch, tmp_path, fsync):
        self.trace = str(tmp_path / 'trace.txt')
        wrapper = tmp_path / 'nginx-strace'
        wrapper.write_text(
            '#!/bin/sh\n'
            'exec %s -D -f -ttt -T -x -s 4194304 -o %s -e trace=%s '
            '-e raw=%s %s "$@"\n' % (STRACE, self.trace,
                                     syscall_trace.SYSCALLS,
                                     syscall_trace.RAW, s3server.NGINX))
        wrapper.chmod(wrapper.stat().st_mode | stat.S_IXUSR)
        monkeypatch.setattr(s3server, 'NGINX', str(wrapper))
        self.srv = make_server(workers=1, fsync=fsync, name='order')
        self.master = self.srv.master_pid

    def stop(self):
        """Stop nginx and wait for strace to write the master's exit."""

        self.srv.stop()
        mark = '%d ' % self.master
        deadline = time.time() + 20
        while time.time() < deadline:
            with open(self.trace, errors='replace') as f:
                for line in f:
                    if line.startswith(mark) and '+++ exited' in line:
                        time.sleep(0.2)
                        with open(self.trace, errors='replace') as g:
                            return g.read()
            time.sleep(0.1)
        raise AssertionError('strace did not finish the trace')


def _put(conn, srv, path, body):
    headers = sigv4.sign_headers('PUT', srv.host, path, [], {}, body,
                                 srv.access_key, srv.secret_key, srv.region)
    conn.putrequest('PUT', path, skip_host=True, skip_accept_encoding=True)
    conn.putheader('Host', srv.host)
    for k, v in headers.items():
        conn.putheader(k, v)
    conn.putheader('Content-Length', str(len(body)))
    conn.endheaders(body)
    r = conn.getresponse()
    r.read()
    return r.status


def _load(srv, bucket, seq_small=8, seq_large=3, threads=4, each=3):
    """PUTs in sequence on one keep-alive connection, then from several
    connections at once (so that group commits can form). Returns the
    acknowledged ones: (key, body, sequential)."""

    acked = []
    conn = http.client.HTTPConnection('127.0.0.1', srv.port, timeout=60)
    assert _put(conn, srv, '/' + bucket, b'') == 200
    n = 0
    for i in range(seq_small + seq_large):
        size = LARGE if i % 3 == 2 and n < seq_large else SMALL
        n += size == LARGE
        key = 'k%04d.%s' % (i, 'large' if size == LARGE else 'small')
        body = _body(key, size)
        if _put(conn, srv, '/%s/%s' % (bucket, key), body) == 200:
            acked.append((key, body, True))
    conn.close()

    lock = threading.Lock()

    def run(t):
        c = http.client.HTTPConnection('127.0.0.1', srv.port, timeout=60)
        for j in range(each):
            size = LARGE if j == each - 1 and t % 2 else SMALL
            key = 'p%02d%02d.%s' % (t, j, 'large' if size == LARGE
                                    else 'small')
            body = _body(key, size)
            if _put(c, srv, '/%s/%s' % (bucket, key), body) == 200:
                with lock:
                    acked.append((key, body, False))
        c.close()

    ts = [threading.Thread(target=run, args=(t,)) for t in range(threads)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    return acked


def _check(text, bucket, acked):
    c = syscall_trace.Checker(syscall_trace.Trace(text))
    return c, {key: c.check_put(bucket, key, body)
               for key, body, _ in acked}


def test_durable_order(make_server, monkeypatch, tmp_path):
    tr = Traced(make_server, monkeypatch, tmp_path, 'on')
    bucket = 'order'
    acked = _load(tr.srv, bucket)
    text = tr.stop()
    assert len(acked) == 8 + 3 + 4 * 3, 'PUTs failed: %d acked' % len(acked)

    checker, bad = _check(text, bucket, acked)
    problems = [p for v in bad.values() for p in v]
    assert problems == [], '\n'.join(problems + ['trace: ' + tr.trace])

    # the checker saw the things it vouches for
    assert checker.logs, 'no LevelDB log record in the trace'
    assert [s for s in checker.t.syncs
            if (s.obj.path or '').endswith('.log')], 'no log sync seen'

    # and objects to a trace whose syncs come too late: each sequential
    # PUT waits for its own sync, so each is caught
    seq = [(k, b) for k, b, s in acked if s]
    for kind, keys in (('log', seq),
                       ('body', [(k, b) for k, b in seq
                                 if k.endswith('large')])):
        late = syscall_trace.Checker(syscall_trace.Trace(text))
        late.delay_syncs(kind)
        missed = [k for k, b in keys if not late.check_put(bucket, k, b)]
        assert missed == [], \
            'syncs of the %s moved after the replies, not caught: %s' % (
                kind, missed)


def test_durable_order_fsync_off(make_server, monkeypatch, tmp_path):
    """s3_fsync off: no sync at all, and the checker says so for every
    PUT (it would not pass a build that dropped them)."""

    tr = Traced(make_server, monkeypatch, tmp_path, 'off')
    bucket = 'order'
    acked = _load(tr.srv, bucket, seq_small=4, seq_large=2, threads=2,
                  each=2)
    text = tr.stop()
    _, bad = _check(text, bucket, acked)
    passed = [k for k, v in bad.items() if not v]
    assert acked and passed == [], \
        'PUTs passed without any sync: %s' % passed
    assert all('synced' in ' '.join(v) for v in bad.values()), bad


# a worker (100) and a thread of its pool (101): strace prints a call's
# entry and its return on two lines when another thread's line comes
# between them, and the effects fall between the two
_CLONE = ('100 1.000001 clone(child_stack=0x7f0000000000, flags=CLONE_VM|'
          'CLONE_FS|CLONE_FILES|CLONE_SIGHAND|CLONE_THREAD|CLONE_SYSVSEM|'
          'CLONE_SETTLS|CLONE_PARENT_SETTID|CLONE_CHILD_CLEARTID, '
          'parent_tid=[101], tls=0x7f0000000700, '
          'child_tidptr=0x7f00000009d0) = 101 <0.000050>\n')


def _synced(text):
    t = syscall_trace.Trace(_CLONE + text)
    return sorted(s.obj.path for s in t.syncs)


def test_trace_descriptor_reused_by_a_thread():
    """The thread's openat got the number the worker's close was still
    finishing (the close had freed it): its fsync is of the directory,
    as the kernel saw it, not of nothing."""

    assert _synced(
        '100 1.000002 openat(AT_FDCWD, "/d/objects/0b/54/f", O_WRONLY|'
        'O_CREAT|O_EXCL, 0600) = 17 <0.000010>\n'
        '100 1.000003 openat(AT_FDCWD, "/d/objects/d7/98/g", O_WRONLY|'
        'O_CREAT|O_EXCL, 0600) = 13 <0.000010>\n'
        '101 1.000004 fsync(17) = 0 <0.000010>\n'
        '101 1.000005 openat(AT_FDCWD, "/d/objects/0b/54", O_RDONLY '
        '<unfinished ...>\n'
        '100 1.000006 close(13 <unfinished ...>\n'
        '101 1.000007 <... openat resumed>) = 13 <0.000010>\n'
        '100 1.000008 <... close resumed>) = 0 <0.000010>\n'
        '101 1.000009 fsync(13) = 0 <0.000010>\n') == \
        ['/d/objects/0b/54', '/d/objects/0b/54/f']


def test_trace_descriptor_reused_during_fsync():
    """An fsync that began before its descriptor was closed and given to
    another file synced the first file: the second one is not synced."""

    assert _synced(
        '100 1.000002 openat(AT_FDCWD, "/d/objects/0b/54/f", O_WRONLY|'
        'O_CREAT|O_EXCL, 0600) = 13 <0.000010>\n'
        '101 1.000003 fsync(13 <unfinished ...>\n'
        '100 1.000004 close(13) = 0 <0.000010>\n'
        '100 1.000005 openat(AT_FDCWD, "/d/objects/d7/98/g", O_WRONLY|'
        'O_CREAT|O_EXCL, 0600) = 13 <0.000010>\n'
        '101 1.000006 <... fsync resumed>) = 0 <0.000010>\n') == \
        ['/d/objects/0b/54/f']
