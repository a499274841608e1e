"""A small bounded load generator for the durability tests.

Each thread PUTs new keys (one connection per request, so a server-side
close of an idle keep-alive connection never counts as a failure) and
GETs back a key it wrote before. Every answer is recorded: acknowledged
PUTs (200 with the right ETag) go to `acked`, anything else to
`failures` with the time the request started.
"""

import hashlib
import random
import threading
import time

import sigv4
from s3raw import request


class Load:
    def __init__(self, server, bucket, threads=4, prefix='load',
                 max_size=32 * 1024, timeout=15):
        self.server = server
        self.bucket = bucket
        self.threads = threads
        self.prefix = prefix
        self.max_size = max_size
        self.timeout = timeout
        self.acked = {}                 # key -> md5 hex
        self.failures = []              # (time, op, key, detail)
        self.ok = []                    # (time, op)
        self.lock = threading.Lock()
        self.stopping = threading.Event()
        self._threads = []

    def _body(self, key, n):
        seed = hashlib.sha256(key.encode()).digest()
        return (seed * (n // len(seed) + 1))[:n]

    def _fail(self, t, op, key, detail):
        with self.lock:
            self.failures.append((t, op, key, detail))

    def _ok(self, op):
        with self.lock:
            self.ok.append((time.time(), op))

    def _run(self, tid):
        rnd = random.Random(tid)
        mine = []
        i = 0
        while not self.stopping.is_set():
            key = '%s/%d/%06d' % (self.prefix, tid, i)
            i += 1
            body = self._body(key, rnd.randint(0, self.max_size))
            md5 = hashlib.md5(body).hexdigest()
            path = sigv4.key_path(self.bucket, key)
            t = time.time()
            try:
                r = request(self.server, 'PUT', path, body=body,
                            timeout=self.timeout)
            except Exception as e:          # noqa: BLE001
                self._fail(t, 'PUT', key, repr(e))
            else:
                if r.status == 200 and r.header('ETag') == '"%s"' % md5:
                    with self.lock:
                        self.acked[key] = md5
                    mine.append(key)
                    self._ok('PUT')
                else:
                    self._fail(t, 'PUT', key,
                               '%d %r' % (r.status, r.body[:300]))

            if not mine:
                continue
            key = rnd.choice(mine)
            t = time.time()
            try:
                r = request(self.server, 'GET',
                            sigv4.key_path(self.bucket, key),
                            timeout=self.timeout)
            except Exception as e:          # noqa: BLE001
                self._fail(t, 'GET', key, repr(e))
            else:
                if r.status == 200 and \
                   hashlib.md5(r.body).hexdigest() == self.acked[key]:
                    self._ok('GET')
                else:
                    self._fail(t, 'GET', key,
                               '%d %r' % (r.status, r.body[:300]))

    def start(self):
        for t in range(self.threads):
            th = threading.Thread(target=self._run, args=(t,), daemon=True)
            th.start()
            self._threads.append(th)
        return self

    def stop(self):
        self.stopping.set()
        for th in self._threads:
            th.join(60)
            assert not th.is_alive(), 'load thread hung'

    def ok_after(self, t, op='PUT'):
        with self.lock:
            return sum(1 for tt, o in self.ok if tt > t and o == op)

    def verify(self, server=None):
        """Every acknowledged PUT reads back with its bytes: the list of
        (key, problem) that do not."""

        server = server or self.server
        bad = []
        lock = threading.Lock()
        keys = sorted(self.acked)

        def check(chunk):
            for key in chunk:
                try:
                    r = request(server, 'GET',
                                sigv4.key_path(self.bucket, key),
                                timeout=self.timeout)
                except Exception as e:      # noqa: BLE001
                    problem = repr(e)
                else:
                    if r.status != 200:
                        problem = '%d %r' % (r.status, r.body[:200])
                    elif hashlib.md5(r.body).hexdigest() != self.acked[key]:
                        problem = 'content differs'
                    else:
                        continue
                with lock:
                    bad.append((key, problem))

        n = 4
        ths = [threading.Thread(target=check, args=(keys[i::n],))
               for i in range(n)]
        for th in ths:
            th.start()
        for th in ths:
            th.join()
        return bad
