"""`make deb`: the Debian package libnginx-mod-http-s3 is built
(scripts/deb.sh, debhelper and dh_nginx), installed with `apt install
./...deb` (root only: it changes the machine, and is removed at the end),
loads through /etc/nginx/modules-enabled; Debian's /usr/sbin/nginx runs
the packaged example server block on a free port with a temporary data
directory and does a boto3 round trip and serves the packaged web
console; `apt remove` leaves nginx working
(nginx -t), and a purge leaves no trace."""

import os
import shutil
import signal
import subprocess
import tempfile
import time
import urllib.request

import pytest

import s3server
from conftest import new_bucket_name

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PKG = 'libnginx-mod-http-s3'
NGINX = '/usr/sbin/nginx'
ENABLED = '/etc/nginx/modules-enabled/50-mod-http-s3.conf'
EXAMPLE = '/usr/share/doc/%s/examples/s3.conf' % PKG

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(os.geteuid() != 0, reason='installs a package: root'),
    pytest.mark.skipif(shutil.which('dpkg-buildpackage') is None
                       or shutil.which('dh_nginx') is None,
                       reason='debhelper, dpkg-dev or nginx-dev missing'),
]


def sh(*args, check=True, timeout=300):
    env = dict(os.environ, DEBIAN_FRONTEND='noninteractive')
    p = subprocess.run(list(args), capture_output=True, text=True,
                       timeout=timeout, env=env, stdin=subprocess.DEVNULL)
    if check:
        assert p.returncode == 0, (args, p.stdout[-3000:], p.stderr[-3000:])
    return p


def installed():
    p = sh('dpkg-query', '-W', '-f', '${Status}', PKG, check=False)
    return 'install ok installed' in p.stdout


APT = ('apt-get', '-y', '-q', '-o', 'DPkg::Lock::Timeout=120')


def test_deb_install_run_remove(tmp_path):
    if installed():
        pytest.skip('%s is installed on this machine: left alone' % PKG)
    sh(NGINX, '-t')                             # the machine's nginx first

    p = sh(os.path.join(TOP, 'scripts', 'deb.sh'), str(tmp_path),
           timeout=600)
    debs = [f for f in os.listdir(tmp_path) if f.endswith('.deb')]
    assert len(debs) == 1, p.stdout
    deb = tmp_path / debs[0]
    fields = sh('dpkg-deb', '-f', str(deb), 'Depends').stdout
    assert 'nginx-abi-' in fields, fields
    abi = [ln for ln in sh('apt-cache', 'show', 'nginx').stdout.splitlines()
           if ln.startswith('Provides:')]
    assert any(d.strip() in abi[0] for d in fields.split(',')
               if 'nginx-abi' in d), (fields, abi)

    tmp = tempfile.mkdtemp(prefix='ngx_s3_deb_')
    os.chmod(tmp, 0o711)
    proc = None
    try:
        sh(*APT, 'install', str(deb))
        assert installed()
        assert os.path.islink(ENABLED)
        assert os.path.realpath(ENABLED) == \
            '/usr/share/nginx/modules-available/mod-http-s3.conf'
        assert os.path.isfile('/usr/lib/nginx/modules/ngx_http_s3_module.so')
        sh(NGINX, '-t')                     # loaded, nothing configured

        # the packaged example, pointed at a free port and temporary paths
        port = s3server.free_port()
        with open(EXAMPLE) as f:
            example = f.read()
        ak, sk = 'AKIDDEBTEST000000000', 'SECRETdebtest00000000000000000000000000'
        with open(os.path.join(tmp, 'keys.conf'), 'w') as f:
            f.write('s3_access_key %s %s;\n' % (ak, sk))
        for old, new in (
                ('listen 127.0.0.1:9000;', 'listen 127.0.0.1:%d;' % port),
                ('s3_data /var/lib/nginx/s3;', 's3_data %s/data;' % tmp),
                ('include /etc/nginx/s3-keys.conf;',
                 'include %s/keys.conf;' % tmp),
                ('access_log /var/log/nginx/s3.access.log s3;',
                 'access_log %s/s3.access.log s3;' % tmp)):
            assert example.count(old) == 1, old
            example = example.replace(old, new)
        with open(os.path.join(tmp, 's3.conf'), 'w') as f:
            f.write(example)
        conf = os.path.join(tmp, 'nginx.conf')
        with open(conf, 'w') as f:
            f.write('''
user www-data;
worker_processes 2;
pid {t}/nginx.pid;
error_log {t}/error.log info;
include /etc/nginx/modules-enabled/*.conf;
events {{ worker_connections 256; }}
http {{
    client_body_temp_path {t}/body;
    proxy_temp_path {t}/proxy;
    fastcgi_temp_path {t}/fastcgi;
    uwsgi_temp_path {t}/uwsgi;
    scgi_temp_path {t}/scgi;
    include {t}/s3.conf;
}}
'''.format(t=tmp))
        sh(NGINX, '-t', '-c', conf)
        proc = subprocess.Popen([NGINX, '-c', conf, '-g', 'daemon off;'],
                                stdin=subprocess.DEVNULL,
                                stdout=subprocess.DEVNULL,
                                stderr=subprocess.PIPE)

        import boto3
        import botocore.config
        s3 = boto3.session.Session().client(
            's3', endpoint_url='http://127.0.0.1:%d' % port,
            aws_access_key_id=ak, aws_secret_access_key=sk,
            config=botocore.config.Config(
                region_name='us-east-1', signature_version='s3v4',
                s3={'addressing_style': 'path'},
                retries={'total_max_attempts': 1}))
        deadline = time.time() + 15
        while True:
            try:
                s3.list_buckets()
                break
            except Exception:                   # noqa: BLE001
                assert proc.poll() is None, proc.stderr.read()
                if time.time() > deadline:
                    raise
                time.sleep(0.1)
        bkt = new_bucket_name('deb')
        body = os.urandom(100000)
        s3.create_bucket(Bucket=bkt)
        s3.put_object(Bucket=bkt, Key='dir/k', Body=body)
        assert s3.get_object(Bucket=bkt, Key='dir/k')['Body'].read() == body
        assert [o['Key'] for o in
                s3.list_objects_v2(Bucket=bkt)['Contents']] == ['dir/k']
        # the packaged CLI, through the example's admin location
        assert os.access('/usr/bin/s3-admin', os.X_OK)
        p = sh('/usr/bin/s3-admin', '--endpoint',
               'http://127.0.0.1:%d/.s3-admin' % port, '--access-key', ak,
               '--secret-key', sk, '--json', 'bucket', 'list')
        assert bkt in p.stdout, p.stdout
        # and the example's access log names who did what
        with open(os.path.join(tmp, 's3.access.log')) as f:
            assert ' %s (operator) PutObject "%s" "dir/k" 200 ' % (ak, bkt) \
                in f.read()
        s3.delete_object(Bucket=bkt, Key='dir/k')
        s3.delete_bucket(Bucket=bkt)
        # the packaged web console, through the example's location
        with urllib.request.urlopen('http://127.0.0.1:%d/_console/' % port,
                                    timeout=10) as r:
            assert r.status == 200 and b'ngx_s3 console' in r.read()
        with urllib.request.urlopen('http://127.0.0.1:%d/_console/app.js'
                                    % port, timeout=10) as r:
            assert r.headers['Content-Type'] == 'text/javascript'
        # the data belongs to the workers' user
        assert os.stat(os.path.join(tmp, 'data', 'db')).st_uid == \
            int(sh('id', '-u', 'www-data').stdout)

        proc.send_signal(signal.SIGQUIT)
        proc.wait(20)
        log = open(os.path.join(tmp, 'error.log')).read()
        assert '[alert]' not in log and '[emerg]' not in log, log[-3000:]
        proc = None

        # removed: the link is set aside, nginx still starts
        sh(*APT, 'remove', PKG)
        assert not installed()
        assert not os.path.exists(ENABLED)
        assert not os.path.exists(
            '/usr/lib/nginx/modules/ngx_http_s3_module.so')
        sh(NGINX, '-t')
    finally:
        if proc is not None and proc.poll() is None:
            proc.kill()
            proc.wait()
        if installed() or sh('dpkg-query', '-W', PKG, check=False) \
                .returncode == 0:
            sh(*APT, 'purge', PKG, check=False)
        shutil.rmtree(tmp, ignore_errors=True)
    # purged: no link left behind either
    assert not os.path.lexists(ENABLED + '.removed')
    sh(NGINX, '-t')
