#!/usr/bin/python3
"""Helper of scripts/bench.sh's gateway section: a throw-away single-node
Ceph cluster with RGW (t/lib/cephcluster.py, the tests' cluster) that
lives as long as this process.

    bench-ceph.py DIR

starts the cluster in DIR (which must exist; the daemons' data, logs and
ceph.conf go there), then writes one line "endpoint access-key
secret-key region seconds-to-start" to DIR/ready (and "name pid" of
each daemon to DIR/pids) and waits: SIGTERM, SIGQUIT or SIGINT stop it
(the daemons are killed, DIR is left to the caller), and so does its
parent's death (PR_SET_PDEATHSIG). On a
failed start it prints the daemons' logs to stderr and exits 1 without
writing DIR/ready.

RGW's beast frontend gets BENCH_RGW_OPTIONS (default "tcp_nodelay=1":
without it RGW writes a small answer's header and body in two segments
and the second waits for the client's delayed ACK, 40 ms, which would
be every 4 KiB GET's latency, direct or through the gateway).

memstore keeps every object in the OSD's memory (BENCH_CEPH_BYTES,
default 4 GiB, is the size it reports: the cluster is full at 95% of
it), so the caller deletes what it wrote and runs `radosgw-admin gc
process --include-all` (deleted tails are otherwise kept for hours).
"""

import ctypes
import os
import signal
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))), 't', 'lib'))

import cephcluster      # noqa: E402


class Cluster(cephcluster.CephCluster):
    def _write_conf(self):
        super()._write_conf()
        opts = os.environ.get('BENCH_RGW_OPTIONS', 'tcp_nodelay=1')
        with open(self.conf) as f:
            text = f.read()
        line = 'rgw frontends = beast endpoint=127.0.0.1:%d' % self.rgw_port
        if line not in text:
            raise cephcluster.CephError('no "%s" in %s' % (line, self.conf))
        with open(self.conf, 'w') as f:
            f.write(text.replace(line, '%s %s' % (line, opts)))


def stop(signum, frame):
    raise SystemExit(0)


def main():
    top = sys.argv[1]
    reason = cephcluster.missing()
    if reason:
        sys.stderr.write('bench: %s\n' % reason)
        return 1
    for s in (signal.SIGTERM, signal.SIGQUIT, signal.SIGINT):
        signal.signal(s, stop)
    ctypes.CDLL(None, use_errno=True).prctl(cephcluster.PR_SET_PDEATHSIG,
                                            signal.SIGTERM, 0, 0, 0)
    size = int(os.environ.get('BENCH_CEPH_BYTES', str(4 << 30)))
    c = Cluster(tmp=os.path.join(top, 'ceph'),
                                memstore_bytes=size)
    os.makedirs(c.tmp, exist_ok=True)
    try:
        try:
            c.start()
        except cephcluster.CephError as e:
            sys.stderr.write('bench: the Ceph cluster did not start: %s\n'
                             % e)
            return 1
        with open(os.path.join(top, 'pids'), 'w') as f:
            for name, pid in sorted(c.pids().items()):
                f.write('%s %d\n' % (name, pid))
        with open(os.path.join(top, 'ready.tmp'), 'w') as f:
            f.write('%s %s %s %s %.1f\n' % (c.endpoint, c.access_key,
                                            c.secret_key, c.region,
                                            c.startup_seconds))
        os.rename(os.path.join(top, 'ready.tmp'),
                  os.path.join(top, 'ready'))
        while True:
            signal.pause()
    finally:
        c.teardown()


if __name__ == '__main__':
    sys.exit(main())
