"""A real nginx with the S3 module, for one test or one test file.

In the spirit of nginx-tests' Test::Nginx: the config comes from a template
(tests add directives), ports are picked free, nginx runs with a master
process (so the metadata helper exists) and two workers, and the error log
is checked on teardown for [alert], [emerg] and sanitizer reports.

Core Python only.
"""

import atexit
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.request

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(
    __file__))))

NGINX = os.environ.get('S3_TEST_NGINX', '/usr/sbin/nginx')

ACCESS_KEY = 'AKIDTEST0000000000'
SECRET_KEY = 'SECRETtest0000000000000000000000000000000'
REGION = 'us-east-1'
DOMAIN = 's3.localhost'

# a second key pair, configured by every server: tests use it to check that
# s3_access_key may repeat
ACCESS_KEY2 = 'AKIDTEST0000000002'
SECRET_KEY2 = 'SECRETtest0000000000000000000000000000002'

BAD_LOG = [
    r'\[alert\]',
    r'\[emerg\]',
    r'ERROR: AddressSanitizer',
    r'ERROR: LeakSanitizer',
    r'WARNING: ThreadSanitizer',
    r'runtime error:',
]

CONF = """\
load_module {module};
{user}
worker_processes {workers};
master_process on;
daemon off;
error_log {tmp}/error.log {log_level};
pid {tmp}/nginx.pid;
{main_extra}

events {{
    worker_connections 1024;
}}

http {{
    access_log {tmp}/access.log;
    client_body_temp_path {tmp}/client_body;
    proxy_temp_path {tmp}/proxy;
    fastcgi_temp_path {tmp}/fastcgi;
    uwsgi_temp_path {tmp}/uwsgi;
    scgi_temp_path {tmp}/scgi;

    s3_data {data};
    s3_region {region};
    s3_access_key {access_key} {secret_key};
    s3_access_key {access_key2} {secret_key2};
    s3_fsync {fsync};
    client_max_body_size 0;
{http_extra}

    server {{
        listen 127.0.0.1:{port};
        s3_domain {domain};

        # the README's snippet: what nginx refuses before the module runs
        # is answered as S3 XML errors by the s3 location
        error_page 400 403 405 411 413 414 500 501 503 /.s3-error;
        error_page 494 =494 /.s3-error;
{server_extra}
        location / {{
            s3;
        }}
    }}
}}
"""

# the web console (console/, docs/console.md) as scripts/run.sh serves it:
# /_console/ cannot be a path-style bucket (no '_' in bucket names)
CONSOLE_DIR = os.path.join(TOP, 'console')
CONSOLE_LOCATION = """
        location = /_console {{
            return 301 /_console/;
        }}
        location /_console/ {{
            alias {dir}/;
            include {dir}/location.conf;
        }}
"""

_live = []


def module_path():
    """The module under test: $S3_MODULE or <repo>/build/..."""

    path = os.environ.get('S3_MODULE') or os.environ.get('S3_TEST_MODULE') \
        or os.path.join(TOP, 'build', 'ngx_http_s3_module.so')
    if not os.path.isfile(path):
        raise RuntimeError(
            'module not found: %s (build it first: scripts/build.sh, '
            'or set S3_MODULE)' % path)
    return os.path.abspath(path)


def _sanitizer_env(env, tag):
    """Sanitizer runtimes for nginx only ($S3_NGINX_PRELOAD), their reports
    under $S3_SANITIZER_DIR with a prefix naming this server."""

    preload = os.environ.get('S3_NGINX_PRELOAD', '').split()
    if preload:
        env['LD_PRELOAD'] = ' '.join(preload)
    sdir = os.environ.get('S3_SANITIZER_DIR')
    if not sdir:
        return None
    for var, name in (('ASAN_OPTIONS', 'asan'), ('UBSAN_OPTIONS', 'ubsan')):
        opts = [o for o in env.get(var, '').split(':')
                if o and not o.startswith('log_path=')]
        opts.append('log_path=%s/%s.%s' % (sdir, tag, name))
        env[var] = ':'.join(opts)
    return sdir


def free_port():
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]
    finally:
        s.close()


def _children(ppid):
    """{pid: cmdline} of the live children of ppid."""

    out = {}
    for d in os.listdir('/proc'):
        if not d.isdigit():
            continue
        try:
            with open('/proc/%s/stat' % d) as f:
                stat = f.read()
            # pid (comm) state ppid ...: comm may hold spaces and parens
            fields = stat[stat.rindex(')') + 2:].split()
            if fields[0] == 'Z' or int(fields[1]) != ppid:
                continue
            with open('/proc/%s/cmdline' % d, 'rb') as f:
                cmd = f.read().replace(b'\0', b' ').decode('utf-8',
                                                            'replace')
            out[int(d)] = cmd.strip()
        except (OSError, ValueError, IndexError):
            continue
    return out


def _alive(pid):
    try:
        with open('/proc/%d/stat' % pid) as f:
            stat = f.read()
        return stat[stat.rindex(')') + 2] != 'Z'
    except OSError:
        return False


class ServerError(Exception):
    pass


class S3Server:
    """One nginx with the module in its own temporary directory.

    extra directives: main_extra (main context), http_extra, server_extra.
    module: another build of the module (the fault build, for example).
    console: serve the web console at /_console/ beside the s3 location.
    user: the `user` of the workers and the metadata process when the
    tests run as root (default: root, so that tests read the data
    directory as the workers' own user); another user, for example
    'www-data', gets a temporary directory it can traverse.
    """

    def __init__(self, main_extra='', http_extra='', server_extra='',
                 region=REGION, fsync='on', workers=2,
                 log_level=os.environ.get('S3_TEST_LOG_LEVEL', 'info'),
                 tmp=None, name='s3', user=None, module=None,
                 console=False):
        self.module = module or module_path()
        self.region = region
        self.access_key = ACCESS_KEY
        self.secret_key = SECRET_KEY
        self.access_key2 = ACCESS_KEY2
        self.secret_key2 = SECRET_KEY2
        self.domain = DOMAIN
        self.main_extra = main_extra
        self.http_extra = http_extra
        self.server_extra = server_extra
        if console:
            self.server_extra += CONSOLE_LOCATION.format(dir=CONSOLE_DIR)
        self.fsync = fsync
        self.workers = workers
        self.log_level = log_level
        self.user = user
        self.own_tmp = tmp is None
        self.tmp = tmp or tempfile.mkdtemp(prefix='ngx_s3_%s_' % name)
        self.tag = os.path.basename(self.tmp.rstrip('/'))
        # a private copy: a rebuild that rewrites build/*.so in place while
        # this nginx runs must not crash it
        copy = os.path.join(self.tmp, os.path.basename(self.module))
        if not os.path.exists(copy):
            shutil.copy2(self.module, copy + '.tmp')
            os.rename(copy + '.tmp', copy)
        self.module_source, self.module = self.module, copy
        self.sanitizer_dir = None
        self.data = os.path.join(self.tmp, 'data')
        self.conf = os.path.join(self.tmp, 'nginx.conf')
        self.error_log = os.path.join(self.tmp, 'error.log')
        self.stderr_log = os.path.join(self.tmp, 'stderr.log')
        self.port = None
        self.proc = None
        self.allowed_log = []
        self._log_checked = {}
        _live.append(self)

    # addresses

    @property
    def endpoint(self):
        return 'http://127.0.0.1:%d' % self.port

    @property
    def host(self):
        return '127.0.0.1:%d' % self.port

    # config and process

    def write_conf(self):
        user = ''
        if os.geteuid() == 0:
            user = 'user %s;' % (self.user or 'root root')
            if self.user:
                # the workers reach <tmp>/data (nginx makes it theirs)
                os.chmod(self.tmp, 0o711)
        text = CONF.format(
            module=self.module, user=user, workers=self.workers,
            tmp=self.tmp, log_level=self.log_level,
            main_extra=self.main_extra, http_extra=self.http_extra,
            server_extra=self.server_extra, data=self.data,
            region=self.region, access_key=self.access_key,
            secret_key=self.secret_key, access_key2=self.access_key2,
            secret_key2=self.secret_key2, fsync=self.fsync,
            port=self.port, domain=self.domain)
        with open(self.conf, 'w') as f:
            f.write(text)

    def start(self, timeout=15, ready=True):
        """Start nginx, retrying on a port taken meanwhile by another run.

        ready: wait until a signed ListBuckets answers 200; with
        ready=False only until the workers accept connections (for tests
        of a server that cannot work)."""

        last = None
        for _ in range(5):
            if self.port is None or last == 'port':
                self.port = free_port()
            self.write_conf()
            last = self._start_once(timeout, ready)
            if last is None:
                return self
        raise ServerError('nginx did not start: port races')

    def _listening(self):
        if len(self.workers_pids()) < self.workers:
            return False
        try:
            socket.create_connection(('127.0.0.1', self.port), 1).close()
        except OSError:
            return False
        return True

    def _start_once(self, timeout, ready=True):
        log_size = self._size(self.error_log)
        env = dict(os.environ)
        self.sanitizer_dir = _sanitizer_env(env, self.tag)
        stderr = open(self.stderr_log, 'ab')
        try:
            self.proc = subprocess.Popen(
                [NGINX, '-p', self.tmp + '/', '-c', self.conf,
                 '-e', self.error_log],
                stdin=subprocess.DEVNULL, stdout=stderr, stderr=stderr,
                close_fds=True, env=env)
        finally:
            stderr.close()

        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.proc.poll() is not None:
                text = self._read(self.error_log, log_size)
                if 'Address already in use' in text:
                    self.proc = None
                    return 'port'
                raise ServerError(
                    'nginx exited with %d at startup:\n%s%s' % (
                        self.proc.returncode, text,
                        self._read(self.stderr_log)[-4000:]))
            if self._ready() if ready else self._listening():
                return None
            time.sleep(0.05)

        text = self._read(self.error_log, log_size)
        self.kill_all()
        raise ServerError('nginx did not answer within %ds; error.log:\n%s'
                          % (timeout, text[-6000:]))

    def _ready(self):
        """A worker and the helper run, and a signed ListBuckets works."""

        if len(self.workers_pids()) < self.workers:
            return False
        if self.helper_pid() is None:
            return False
        try:
            status = self.signed_get('/')
        except OSError:
            return False
        return status == 200

    def signed_get(self, path, timeout=2):
        # late import: the signer lives beside this file
        from sigv4 import sign_headers
        headers = sign_headers('GET', self.host, path, [], {}, b'',
                               self.access_key, self.secret_key,
                               self.region)
        req = urllib.request.Request(self.endpoint + path, headers=headers)
        try:
            with urllib.request.urlopen(req, timeout=timeout) as r:
                r.read()
                return r.status
        except urllib.error.HTTPError as e:
            e.read()
            return e.code

    def wait_ready(self, timeout=15):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self._ready():
                return
            time.sleep(0.05)
        raise ServerError('server not ready within %ds' % timeout)

    @property
    def master_pid(self):
        return self.proc.pid if self.proc else None

    def children(self):
        if self.proc is None:
            return {}
        return _children(self.proc.pid)

    def workers_pids(self, shutting_down=False):
        out = []
        for pid, cmd in self.children().items():
            if not cmd.startswith('nginx: worker process'):
                continue
            if 'shutting down' in cmd and not shutting_down:
                continue
            out.append(pid)
        return sorted(out)

    def helper_pid(self):
        """The metadata helper: nginx's cache manager process."""

        for pid, cmd in self.children().items():
            if 'cache manager' in cmd:
                return pid
        return None

    def reload(self, wait=True, timeout=10):
        """nginx -s reload; wait for a new set of workers and a helper."""

        old = set(self.workers_pids())
        env = dict(os.environ)
        _sanitizer_env(env, self.tag)       # the signal process loads it too
        subprocess.run([NGINX, '-p', self.tmp + '/', '-c', self.conf,
                        '-e', self.error_log, '-s', 'reload'],
                       check=True, stdin=subprocess.DEVNULL, env=env,
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        if not wait:
            return
        deadline = time.time() + timeout
        while time.time() < deadline:
            new = set(self.workers_pids())
            if len(new) >= self.workers and not (new & old) \
               and self.helper_pid() is not None:
                return
            time.sleep(0.02)
        raise ServerError('no new workers after reload: old %s now %s'
                          % (sorted(old), self.children()))

    def kill_helper(self, wait=True, timeout=10):
        """kill -9 the metadata helper; wait for the master to respawn it."""

        self.allow_log(r'cache manager process \d+ exited on signal 9')
        pid = self.helper_pid()
        if pid is None:
            raise ServerError('no helper process: %s' % self.children())
        os.kill(pid, signal.SIGKILL)
        if wait:
            self._wait_new(lambda: self.helper_pid(), pid, timeout,
                           'helper')
        return pid

    def kill_worker(self, pid=None, wait=True, timeout=10):
        """kill -9 a worker; wait for the master to respawn one."""

        self.allow_log(r'worker process \d+ exited on signal 9')
        if pid is None:
            pids = self.workers_pids()
            if not pids:
                raise ServerError('no worker: %s' % self.children())
            pid = pids[0]
        os.kill(pid, signal.SIGKILL)
        if wait:
            deadline = time.time() + timeout
            while time.time() < deadline:
                pids = self.workers_pids()
                if pid not in pids and len(pids) >= self.workers:
                    return pid
                time.sleep(0.02)
            raise ServerError('worker %d not replaced: %s'
                              % (pid, self.children()))
        return pid

    def _wait_new(self, get, old, timeout, what):
        deadline = time.time() + timeout
        while time.time() < deadline:
            pid = get()
            if pid is not None and pid != old:
                return pid
            time.sleep(0.02)
        raise ServerError('%s %d not respawned within %ds: %s'
                          % (what, old, timeout, self.children()))

    def stop(self, timeout=15):
        """Graceful stop (SIGQUIT), then SIGKILL whatever is left."""

        if self.proc is None:
            return
        kids = list(self.children())
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGQUIT)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.kill_all()
                raise ServerError('nginx did not stop within %ds' % timeout)
        self._reap(kids)
        self.proc = None

    def kill_all(self):
        """kill -9 the master and every child."""

        if self.proc is None:
            return
        kids = list(self.children())
        if self.proc.poll() is None:
            self.proc.kill()
        for pid in kids:
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            pass
        self._reap(kids)
        self.proc = None

    def crash(self):
        """kill -9 the master and every child, as a power cut would leave
        the data directory; the log is checked up to here."""

        self.check_log()
        self.kill_all()
        for path in self.log_paths():
            self._log_checked[path] = self._size(path)

    def _reap(self, pids, timeout=5):
        deadline = time.time() + timeout
        for pid in pids:
            while _alive(pid) and time.time() < deadline:
                time.sleep(0.02)
            if _alive(pid):
                try:
                    os.kill(pid, signal.SIGKILL)
                except OSError:
                    pass

    def restart(self):
        self.stop()
        return self.start()

    # logs

    def allow_log(self, pattern):
        """A test that causes an alert declares it here."""

        if pattern not in self.allowed_log:
            self.allowed_log.append(pattern)

    @staticmethod
    def _size(path):
        try:
            return os.path.getsize(path)
        except OSError:
            return 0

    @staticmethod
    def _read(path, offset=0):
        try:
            with open(path, 'rb') as f:
                f.seek(offset)
                return f.read().decode('utf-8', 'replace')
        except OSError:
            return ''

    def log_paths(self):
        paths = [self.error_log, self.stderr_log]
        if self.sanitizer_dir:
            try:
                names = sorted(os.listdir(self.sanitizer_dir))
            except OSError:
                names = []
            paths += [os.path.join(self.sanitizer_dir, n) for n in names
                      if n.startswith(self.tag + '.')]
        return paths

    def bad_log_lines(self):
        bad = []
        for path in self.log_paths():
            text = self._read(path, self._log_checked.get(path, 0))
            for line in text.splitlines():
                if not any(re.search(p, line) for p in BAD_LOG):
                    continue
                if any(re.search(p, line) for p in self.allowed_log):
                    continue
                bad.append(line)
        return bad

    def check_log(self):
        bad = self.bad_log_lines()
        for path in self.log_paths():
            self._log_checked[path] = self._size(path)
        if bad:
            raise AssertionError(
                'error log of %s has %d bad line(s):\n%s'
                % (self.tmp, len(bad), '\n'.join(bad[:40])))

    def log_tail(self, lines=40):
        text = self._read(self.error_log)
        return '\n'.join(text.splitlines()[-lines:])

    def teardown(self):
        """Stop, check the logs, remove the directory (kept on failure or
        with S3_TEST_KEEP=1)."""

        try:
            self.stop()
        finally:
            if self in _live:
                _live.remove(self)
        try:
            self.check_log()
        except AssertionError:
            print('kept %s' % self.tmp)
            raise
        if self.own_tmp and not os.environ.get('S3_TEST_KEEP'):
            shutil.rmtree(self.tmp, ignore_errors=True)


@atexit.register
def _kill_leftovers():
    for s in list(_live):
        try:
            s.kill_all()
        except Exception:
            pass
