#!/usr/bin/python3
"""ListObjectsV2 page time of a versioned bucket against a plain one.

Starts its own nginx with the module (t/lib/s3server.py, in a temporary
directory, s3_fsync off while populating) and fills two buckets through
the S3 API, with many parallel keep-alive connections:

    plain      KEYS keys, one version each
    versioned  KEYS keys (versioning enabled): half have 10 versions, and
               a quarter (of all keys, among those) end in a delete
               marker, so a listing shows 3/4 of the keys

Every version is a CopyObject of one small source object (a version that
names the source's body: no body file per version, the metadata is what
is measured).  Then it times ListObjectsV2 pages of 1000 keys (boto3's
wire format over one keep-alive connection, SigV4-signed), the two buckets
alternating, at several places of the key space (start-after), and
prints the median and 95th percentile per bucket and the ratio; and the
same for ListObjectVersions pages, for information.

    scripts/bench-versions.py [--keys N] [--runs N] [--conns N]

Defaults: 100000 keys, 200 pages per bucket, 16 connections.  Not part of
the test suite; populating 100,000 keys takes minutes on a small machine.
Environment: S3_MODULE (default build/ngx_http_s3_module.so), BENCH_TMP.
"""

import argparse
import http.client
import os
import statistics
import sys
import tempfile
import threading
import time

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(TOP, 't', 'lib'))

import s3server                  # noqa: E402
import sigv4                     # noqa: E402


class Conn:
    """One keep-alive connection; requests signed with the root key."""

    def __init__(self, srv):
        self.srv = srv
        self.c = http.client.HTTPConnection('127.0.0.1', srv.port,
                                            timeout=120)

    def do(self, method, path, query=(), headers=None, body=b''):
        h = sigv4.sign_headers(method, self.srv.host, path, list(query),
                               dict(headers or {}), body,
                               self.srv.access_key, self.srv.secret_key,
                               self.srv.region)
        url = path
        if query:
            url += '?' + sigv4.wire_query(list(query))
        try:
            self.c.request(method, url, body=body, headers=h)
            r = self.c.getresponse()
        except (http.client.RemoteDisconnected, ConnectionError):
            # idle longer than keepalive_timeout: a new connection
            self.c.close()
            self.c = http.client.HTTPConnection('127.0.0.1', self.srv.port,
                                                timeout=120)
            self.c.request(method, url, body=body, headers=h)
            r = self.c.getresponse()
        data = r.read()
        if r.status >= 300:
            raise RuntimeError('%s %s: %d %r' % (method, url, r.status,
                                                 data[:300]))
        return data


def key_name(i):
    return 'data/part-%06d/file.bin' % i


def populate(srv, bucket, keys, versioned, conns):
    """Versions by CopyObject of bucket/src, in parallel."""

    c = Conn(srv)
    c.do('PUT', '/' + bucket)
    c.do('PUT', '/%s/src' % bucket, body=b'x' * 100)
    if versioned:
        c.do('PUT', '/' + bucket, query=[('versioning', '')],
             body=b'<VersioningConfiguration><Status>Enabled</Status>'
                  b'</VersioningConfiguration>')

    work = []
    for i in range(keys):
        n = 1
        marker = False
        if versioned and i % 2 == 0:
            n = 10
            marker = (i % 4 == 0)
        work.append((i, n, marker))

    lock = threading.Lock()
    errors = []
    done = [0]

    def run(part):
        cn = Conn(srv)
        src = {'x-amz-copy-source': '/%s/src' % bucket}
        try:
            for i, n, marker in part:
                path = '/%s/%s' % (bucket, key_name(i))
                for v in range(n):
                    if marker and v == n - 1:
                        cn.do('DELETE', path)
                    else:
                        cn.do('PUT', path, headers=src)
                with lock:
                    done[0] += 1
        except Exception as e:      # noqa: BLE001 (reported)
            errors.append(e)

    threads = [threading.Thread(target=run, args=(work[k::conns],))
               for k in range(conns)]
    t0 = time.time()
    for t in threads:
        t.start()
    while any(t.is_alive() for t in threads):
        time.sleep(5)
        print('  %s: %d/%d keys, %.0f s' % (bucket, done[0], keys,
                                           time.time() - t0), flush=True)
    for t in threads:
        t.join()
    if errors:
        raise errors[0]
    # the source goes: listings show the keys only
    c.do('DELETE', '/%s/src' % bucket)
    return time.time() - t0


def ms(samples):
    s = sorted(samples)
    p95 = s[min(len(s) - 1, int(len(s) * 0.95))]
    return statistics.median(s) * 1000, p95 * 1000


def time_pages(srv, buckets, keys, runs, versions):
    c = Conn(srv)
    starts = [None] + [key_name(int(keys * f)) for f in
                       (0.1, 0.25, 0.5, 0.75, 0.9)]
    out = {b: [] for b in buckets}
    entries = {b: 0 for b in buckets}
    for r in range(runs):
        start = starts[r % len(starts)]
        for b in (buckets if r % 2 == 0 else buckets[::-1]):
            if versions:
                q = [('versions', ''), ('max-keys', '1000')]
                if start:
                    q.append(('key-marker', start))
            else:
                q = [('list-type', '2'), ('max-keys', '1000')]
                if start:
                    q.append(('start-after', start))
            t0 = time.perf_counter()
            body = c.do('GET', '/' + b, query=q)
            out[b].append(time.perf_counter() - t0)
            if r == 0:
                entries[b] = body.count(b'<Key>')
    return out, entries


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--keys', type=int, default=100000)
    ap.add_argument('--runs', type=int, default=200)
    ap.add_argument('--conns', type=int, default=16)
    a = ap.parse_args()

    if os.environ.get('BENCH_TMP'):
        tempfile.tempdir = os.environ['BENCH_TMP']
    srv = s3server.S3Server(name='bench-versions', fsync='off',
                            log_level='notice').start()
    try:
        print('populating %d keys per bucket (%d connections)'
              % (a.keys, a.conns), flush=True)
        tp = populate(srv, 'plain', a.keys, False, a.conns)
        tv = populate(srv, 'versioned', a.keys, True, a.conns)
        nv = a.keys // 2 * 10 + (a.keys - a.keys // 2)
        print('plain: %d writes in %.0f s; versioned: %d writes '
              '(%d delete markers) in %.0f s'
              % (a.keys, tp, nv, (a.keys + 3) // 4, tv))

        buckets = ['plain', 'versioned']
        for versions, name in ((False, 'ListObjectsV2'),
                               (True, 'ListObjectVersions')):
            t, n = time_pages(srv, buckets, a.keys, a.runs, versions)
            print()
            print('%s, max-keys 1000, %d pages per bucket (ms)'
                  % (name, a.runs))
            print('%-10s %8s %8s %8s' % ('bucket', 'median', 'p95',
                                         'entries'))
            for b in buckets:
                med, p95 = ms(t[b])
                print('%-10s %8.2f %8.2f %8d' % (b, med, p95, n[b]))
            print('ratio versioned/plain (median): %.2f'
                  % (ms(t['versioned'])[0] / ms(t['plain'])[0]))
    finally:
        srv.teardown()


if __name__ == '__main__':
    main()
