"""A throw-away single-node Ceph cluster with RGW, the S3 reference and
upstream of the gateway tests: the `ceph` fixture of t/conftest.py
(docs/testing.md, "The Ceph cluster").

Debian 12's Ceph 16.2 (scripts/install-deps.sh ceph), run as the current
user in a temporary directory: one monitor, one OSD on memstore (objects
in the OSD's memory: nothing is written to disk, it starts in seconds),
no manager, cephx off, RGW with the beast frontend on a free port of
127.0.0.1, and an S3 user with known keys made with radosgw-admin.

    cluster = CephCluster().start()     # raises CephError with the logs
    cluster.endpoint, .access_key, .secret_key, .region
    cluster.admin('bucket', 'list')     # radosgw-admin, JSON decoded
    cluster.usage(bucket)               # RGW's byte counters of a bucket
    cluster.stop_rgw(); cluster.start_rgw()
    cluster.teardown()                  # kill -9 the daemons, rm -r

The daemons run in their own process group and are killed with SIGKILL
at teardown (a memstore OSD stopped gracefully would write every object
to its directory first), at exit, and by the kernel if the test process
dies (PR_SET_PDEATHSIG).

Core Python only (and free_port of s3server.py, beside it).
"""

import atexit
import ctypes
import json
import os
import shutil
import signal
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
import uuid

from s3server import free_port

ACCESS_KEY = 'CEPHTEST000000000000'
SECRET_KEY = 'CEPHtestSECRET00000000000000000000000000'
USER = 'ngx-s3-test'
REGION = 'us-east-1'
DNS_NAME = 'localhost'

BINARIES = ('ceph-mon', 'ceph-osd', 'radosgw', 'radosgw-admin',
            'monmaptool', 'ceph', 'rados')

# mon_host, ports and directories are filled in; $name is Ceph's own
# metavariable (mon.a, osd.0, client.rgw.a)
CONF = """\
[global]
fsid = {fsid}
mon host = [v2:127.0.0.1:{mon_port}]
public addr = 127.0.0.1
ms bind msgr1 = false
ms bind ipv6 = false
auth cluster required = none
auth service required = none
auth client required = none
# no cephx, no keys for secure mode (radosgw asks for it with the monitor)
ms cluster mode = crc
ms service mode = crc
ms client mode = crc
ms mon cluster mode = crc
ms mon service mode = crc
ms mon client mode = crc

run dir = {tmp}
admin socket = {tmp}/$name.asok
pid file = {tmp}/$name.pid
log file = {tmp}/$name.log
log to stderr = false
err to stderr = true
crash dir = {tmp}/crash
keyring = {tmp}/keyring
mon cluster log file = {tmp}/cluster.log

# one OSD: every pool has one replica, on it
osd pool default size = 1
osd pool default min size = 1
osd pool default pg num = 8
osd pool default pgp num = 8
osd pool default pg autoscale mode = off
osd crush chooseleaf type = 0
mon allow pool size one = true
mon allow pool delete = true
mon warn on pool no redundancy = false
mon data avail crit = 1
mon data avail warn = 2
# each pool RGW makes at its first start is a few map changes: commit
# them at once, not after a second each
paxos propose interval = 0.05
paxos min wait = 0.01

# a small footprint on a machine that runs other tests
ms async op threads = 2
osd op num shards = 2
osd op num threads per shard = 1
osd recovery sleep = 0

[mon]
mon data = {tmp}/$name

[osd]
osd data = {tmp}/$name
osd objectstore = memstore
memstore device bytes = {memstore_bytes}

[client.rgw.a]
rgw frontends = beast endpoint=127.0.0.1:{rgw_port}
rgw dns name = {dns_name}
rgw data = {tmp}/rgw
rgw thread pool size = 32
rgw crypt require ssl = false
# the usage log: bytes and requests by bucket, written every second
rgw enable usage log = true
rgw usage log tick interval = 1
rgw usage log flush threshold = 1
"""

_live = []

PR_SET_PDEATHSIG = 1


def _die_with_parent():
    """In the child: SIGKILL when the test process dies, even by kill -9
    (no daemon outlives an interrupted run)."""

    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)


def missing():
    """A reason to skip when a Ceph binary is not installed, else None."""

    gone = [b for b in BINARIES if shutil.which(b) is None]
    if gone:
        return ('Ceph is not installed (%s): scripts/install-deps.sh ceph'
                % ' '.join(gone))
    return None


class CephError(Exception):
    pass


class CephCluster:
    """One monitor, one memstore OSD, one RGW in their own directory.

    memstore_bytes: the size the OSD reports (memstore keeps the objects
    in memory, as much as is written; the cluster is full at 95% of it).
    timeout: seconds for the whole start before CephError.
    """

    def __init__(self, name='ceph', tmp=None, memstore_bytes=4 << 30,
                 dns_name=DNS_NAME, timeout=None):
        self.own_tmp = tmp is None
        self.tmp = tmp or tempfile.mkdtemp(prefix='ngx_s3_%s_' % name)
        self.conf = os.path.join(self.tmp, 'ceph.conf')
        self.fsid = str(uuid.uuid4())
        self.memstore_bytes = memstore_bytes
        self.dns_name = dns_name
        self.timeout = timeout or float(
            os.environ.get('S3_CEPH_TIMEOUT', '120'))
        self.mon_port = None
        self.rgw_port = None
        self.access_key = ACCESS_KEY
        self.secret_key = SECRET_KEY
        self.user = USER
        self.region = REGION
        self.procs = {}             # name: Popen
        self.startup_seconds = None
        self.deadline = None        # of the start under way
        self.env = dict(os.environ, CEPH_CONF=self.conf)
        self.env.pop('CEPH_ARGS', None)
        _live.append(self)

    # addresses

    @property
    def endpoint(self):
        return 'http://127.0.0.1:%d' % self.rgw_port

    @property
    def host(self):
        return '127.0.0.1:%d' % self.rgw_port

    # start

    def start(self):
        t0 = time.monotonic()
        self.deadline = t0 + self.timeout
        try:
            self._mon()
            self._osd()
            self.start_rgw()
            self._s3_user()
        except BaseException as e:
            self.deadline = None
            logs = self.logs()
            self.kill_all()
            if self in _live:
                _live.remove(self)
            if isinstance(e, CephError):
                raise CephError('%s (%s kept)\n\n%s'
                                % (e, self.tmp, logs)) from None
            raise
        self.deadline = None
        self.startup_seconds = time.monotonic() - t0
        return self

    def _write_conf(self):
        with open(self.conf, 'w') as f:
            f.write(CONF.format(
                fsid=self.fsid, tmp=self.tmp, mon_port=self.mon_port,
                rgw_port=self.rgw_port, dns_name=self.dns_name,
                memstore_bytes=self.memstore_bytes))

    def _mon(self):
        """monmaptool, ceph-mon --mkfs, start; retried on a port race."""

        for _ in range(5):
            self.mon_port = free_port()
            self.rgw_port = self.rgw_port or free_port()
            self._write_conf()
            mon_data = os.path.join(self.tmp, 'mon.a')
            shutil.rmtree(mon_data, ignore_errors=True)
            monmap = os.path.join(self.tmp, 'monmap')
            self.run(['monmaptool', '--create', '--clobber', '--fsid',
                      self.fsid, '--addv', 'a',
                      '[v2:127.0.0.1:%d]' % self.mon_port, monmap])
            self.run(['ceph-mon', '-c', self.conf, '--mkfs', '-i', 'a',
                      '--monmap', monmap])
            seen = len(self.log('mon.a'))
            self.spawn('mon.a', ['ceph-mon', '-f', '-c', self.conf,
                                 '-i', 'a'])
            if self._wait_mon(seen):
                return
            self.kill('mon.a')
        raise CephError('ceph-mon: no free port after 5 tries')

    def _wait_mon(self, seen):
        """True once the monitor leads (its own log says so: a connection
        to the port could reach whoever else took it); False if it could
        not bind its port."""

        while True:
            proc = self.procs['mon.a']
            text = self.log('mon.a')[seen:]
            if 'unable to bind' in text:
                return False
            if proc.poll() is not None:
                raise CephError('ceph-mon exited with %d at startup'
                                % proc.returncode)
            if 'is new leader' in text:
                return True
            self._tick('the monitor to lead')

    def _osd(self):
        """ceph osd new, ceph-osd --mkfs on memstore, start, wait up."""

        osd_uuid = str(uuid.uuid4())
        osd_id = self.ceph('osd', 'new', osd_uuid, json_out=False).strip()
        if osd_id != '0':
            raise CephError('ceph osd new answered %r, not 0' % osd_id)
        os.mkdir(os.path.join(self.tmp, 'osd.0'))
        self.run(['ceph-osd', '-c', self.conf, '-i', '0', '--mkfs',
                  '--osd-uuid', osd_uuid])
        self.spawn('osd.0', ['ceph-osd', '-f', '-c', self.conf, '-i', '0'])
        while True:
            self._check_alive()
            stat = self.ceph('osd', 'stat')
            if stat.get('num_up_osds') == 1 and stat.get('num_in_osds') == 1:
                return
            self._tick('the OSD to be up and in (osd stat: %s)' % stat,
                       0.2)

    def start_rgw(self):
        """Start radosgw (again, after stop_rgw) and wait until it answers
        HTTP on its port."""

        restart = self.deadline is None
        if restart:
            self.deadline = time.monotonic() + self.timeout
        try:
            for _ in range(5):
                seen = len(self.log('client.rgw.a'))
                self.spawn('client.rgw.a', ['radosgw', '-f', '-c', self.conf,
                                            '-n', 'client.rgw.a'])
                try:
                    return self._wait_rgw()
                except CephError:
                    # the first start takes another free port if another
                    # run took this one meanwhile; a restart keeps its own
                    new = self.log('client.rgw.a')[seen:]
                    if restart or 'failed to bind address' not in new:
                        raise
                self.kill('client.rgw.a')
                self.rgw_port = free_port()
                self._write_conf()
            raise CephError('radosgw: no free port after 5 tries')
        except CephError as e:
            if not restart:
                raise
            raise CephError('%s\n\n%s' % (e, self.logs())) from None
        finally:
            if restart:
                self.deadline = None

    def _wait_rgw(self):
        while True:
            self._check_alive()
            try:
                with urllib.request.urlopen(self.endpoint + '/',
                                            timeout=2) as r:
                    r.read()
                return
            except urllib.error.HTTPError as e:
                e.read()
                return
            except OSError:
                pass
            self._tick('radosgw to answer on %s' % self.endpoint, 0.2)

    def stop_rgw(self):
        """kill -9 radosgw (a fault: the gateway loses its upstream).

        The dead instance is blocklisted, which drops its watches on
        RGW's control objects at once: else the OSD keeps them for
        osd_client_watch_timeout (30 s), and the next bucket created or
        deleted waits that long for the dead instance to answer RGW's
        notify."""

        watchers = self._rgw_watchers()
        self.kill('client.rgw.a')
        for addr in watchers:
            self.ceph('osd', 'blocklist', 'add', addr, json_out=False)

    def _rgw_watchers(self):
        """The addresses of the RGW instances watching its control
        objects (notify.0 is watched by each, as every notify.N)."""

        try:
            out = self.run(['rados', '-c', self.conf, '-p',
                            'default.rgw.control', 'listwatchers',
                            'notify.0'])
        except CephError:
            return []
        return sorted({ln.split()[0].split('=', 1)[1]
                       for ln in out.splitlines()
                       if ln.startswith('watcher=')})

    def _s3_user(self):
        self.admin('user', 'create', '--uid', self.user,
                   '--display-name', 'ngx_s3 tests',
                   '--access-key', self.access_key,
                   '--secret-key', self.secret_key)

    def usage(self, bucket):
        """RGW's own counters of one bucket's requests ({category:
        {bytes_sent, bytes_received, ops, successful_ops}}, category as
        get_obj, put_obj...): what the upstream served, for the cache
        tests.  RGW writes them every second: poll."""

        out = {}
        shown = self.admin('usage', 'show', '--uid', self.user) or {}
        for entry in shown.get('entries', []):
            for b in entry['buckets']:
                if b['bucket'] != bucket:
                    continue
                for c in b['categories']:
                    sums = out.setdefault(c['category'], dict.fromkeys(
                        ('bytes_sent', 'bytes_received', 'ops',
                         'successful_ops'), 0))
                    for k in sums:
                        sums[k] += c[k]
        return out

    # commands

    def run(self, argv, timeout=None):
        """Run a Ceph tool; CephError with its output if it fails."""

        if timeout is None:
            timeout = 60 if self.deadline is None \
                else max(self.deadline - time.monotonic(), 5)
        try:
            p = subprocess.run(argv, stdin=subprocess.DEVNULL,
                               stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, env=self.env,
                               cwd=self.tmp, timeout=timeout)
        except subprocess.TimeoutExpired:
            raise CephError('%s: no answer within %ds'
                            % (' '.join(argv), timeout)) from None
        if p.returncode != 0:
            raise CephError('%s exited with %d:\n%s%s' % (
                ' '.join(argv), p.returncode,
                p.stdout.decode('utf-8', 'replace'),
                p.stderr.decode('utf-8', 'replace')))
        return p.stdout.decode('utf-8', 'replace')

    def ceph(self, *args, json_out=True):
        """The ceph CLI against this cluster; its JSON answer decoded."""

        argv = ['ceph', '-c', self.conf, '--connect-timeout', '20']
        if json_out:
            argv += ['-f', 'json']
        out = self.run(argv + list(args))
        return json.loads(out) if json_out and out.strip() else out

    def admin(self, *args):
        """radosgw-admin against this cluster; its JSON answer decoded
        (None if it prints nothing)."""

        out = self.run(['radosgw-admin', '-c', self.conf,
                        '-n', 'client.admin'] + list(args))
        return json.loads(out) if out.strip() else None

    # processes

    def spawn(self, name, argv):
        out = open(os.path.join(self.tmp, '%s.out' % name), 'ab')
        try:
            self.procs[name] = subprocess.Popen(
                argv, stdin=subprocess.DEVNULL, stdout=out, stderr=out,
                env=self.env, cwd=self.tmp, close_fds=True,
                start_new_session=True, preexec_fn=_die_with_parent)
        finally:
            out.close()

    def _check_alive(self):
        for name, proc in self.procs.items():
            if proc.poll() is not None:
                raise CephError('%s exited with %d at startup'
                                % (name, proc.returncode))

    def _tick(self, what, pause=0.1):
        if time.monotonic() > self.deadline:
            raise CephError('timed out after %ds waiting for %s'
                            % (self.timeout, what))
        time.sleep(pause)

    def kill(self, name):
        proc = self.procs.pop(name, None)
        if proc is None:
            return
        if proc.poll() is None:
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        proc.wait()

    def kill_all(self):
        # radosgw first: it would complain about the OSD going away
        for name in ('client.rgw.a', 'osd.0', 'mon.a'):
            self.kill(name)
        for name in list(self.procs):
            self.kill(name)

    def pids(self):
        return {n: p.pid for n, p in self.procs.items() if p.poll() is None}

    # logs

    def log(self, name):
        text = ''
        for suffix in ('.out', '.log'):
            try:
                with open(os.path.join(self.tmp, name + suffix), 'rb') as f:
                    text += f.read().decode('utf-8', 'replace')
            except OSError:
                pass
        return text

    def logs(self, lines=30):
        """The tail of each daemon's log and output."""

        out = []
        for name in ('mon.a', 'osd.0', 'client.rgw.a'):
            for suffix in ('.out', '.log'):
                path = os.path.join(self.tmp, name + suffix)
                try:
                    with open(path, 'rb') as f:
                        text = f.read().decode('utf-8', 'replace')
                except OSError:
                    continue
                if text.strip():
                    tail = text.splitlines()[-lines:]
                    out.append('--- %s (last %d lines)\n%s'
                               % (path, len(tail), '\n'.join(tail)))
        return '\n'.join(out) or '(no daemon logs in %s)' % self.tmp

    def teardown(self):
        """kill -9 the daemons; remove the directory (kept with
        S3_TEST_KEEP=1)."""

        try:
            self.kill_all()
        finally:
            if self in _live:
                _live.remove(self)
        if self.own_tmp and not os.environ.get('S3_TEST_KEEP'):
            shutil.rmtree(self.tmp, ignore_errors=True)


@atexit.register
def _kill_leftovers():
    for c in list(_live):
        try:
            c.kill_all()
        except Exception:
            pass


if __name__ == '__main__':
    # bring a cluster up, print its address and startup time, take it down
    reason = missing()
    if reason:
        raise SystemExit(reason)
    c = CephCluster(tmp=None)
    try:
        c.start()
        print('endpoint %s  user %s  started in %.1f s'
              % (c.endpoint, c.user, c.startup_seconds))
    finally:
        c.teardown()
