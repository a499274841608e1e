"""`S3_TLS=1 make run`: scripts/run.sh with a private S3_DATA and a free
port serves HTTPS and HTTP/2 on one port with a certificate it makes once
(signed by an authority of its own, kept in $S3_DATA/tls); the aws CLI,
boto3 and rclone trust it through what run.sh prints (AWS_CA_BUNDLE,
--ca-bundle, --ca-cert) for a round trip each, curl speaks HTTP/2, the
wildcard of S3_DOMAIN covers virtual-hosted names; a second start reuses
the certificate; the web console is served at /_console/; stopped at the
end."""

import hashlib
import os
import shutil
import signal
import ssl
import subprocess
import tempfile
import time
import urllib.request

import boto3
import pytest

import s3server
from conftest import new_bucket_name

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RUN = os.path.join(TOP, 'scripts', 'run.sh')
AWS = shutil.which('aws')
RCLONE = shutil.which('rclone')
CURL = shutil.which('curl')
OPENSSL = shutil.which('openssl')

pytestmark = pytest.mark.skipif(
    None in (AWS, RCLONE, CURL, OPENSSL),
    reason='aws CLI, rclone, curl or openssl missing')


def run(env, *args, timeout=60):
    p = subprocess.run([RUN] + list(args), env=env, capture_output=True,
                       timeout=timeout, stdin=subprocess.DEVNULL)
    return (p.returncode, p.stdout.decode('utf-8', 'replace'),
            p.stderr.decode('utf-8', 'replace'))


def fingerprint(path):
    with open(path, 'rb') as f:
        return hashlib.sha256(f.read()).hexdigest()


@pytest.fixture(params=['1'])
def tls_run(request):
    data = tempfile.mkdtemp(prefix='ngx_s3_runtls_')
    port = s3server.free_port()
    env = {
        'PATH': '/usr/sbin:/usr/bin:/sbin:/bin',
        'HOME': data,
        'LANG': 'C.UTF-8',
        'S3_TLS': request.param,
        'S3_DATA': data,
        'S3_LISTEN': '127.0.0.1:%d' % port,
    }
    ctx = {'data': data, 'port': port, 'env': env}
    try:
        yield ctx
    finally:
        run(env, 'stop')
        pidfile = os.path.join(data, 'nginx', 'nginx.pid')
        if os.path.exists(pidfile):        # it did not stop: ours, kill it
            try:
                os.kill(int(open(pidfile).read()), signal.SIGKILL)
            except (OSError, ValueError):
                pass
        log = os.path.join(data, 'nginx', 'logs', 'error.log')
        text = open(log).read() if os.path.exists(log) else ''
        shutil.rmtree(data, ignore_errors=True)
        bad = [ln for ln in text.splitlines()
               if '[alert]' in ln or '[emerg]' in ln]
        assert not bad, bad


def credentials(data):
    out = {}
    with open(os.path.join(data, 'credentials')) as f:
        for line in f:
            k, v = line.strip()[len('export '):].split('=', 1)
            out[k] = v
    return out


def test_run_tls_round_trips(tls_run, tmp_path):
    data, port, env = tls_run['data'], tls_run['port'], tls_run['env']
    rc, out, err = run(env, 'start')
    assert rc == 0, out + err
    endpoint = 'https://127.0.0.1:%d' % port
    ca = os.path.join(data, 'tls', 'ca.pem')
    assert endpoint in out, out
    for hint in ('AWS_CA_BUNDLE=' + ca, '--ca-bundle', '--ca-cert'):
        assert hint in out, out
    cred = credentials(data)
    assert cred['AWS_ENDPOINT_URL'] == endpoint
    assert cred['AWS_CA_BUNDLE'] == ca

    # the web console beside S3 (docs/console.md), its files a copy that
    # the workers may read
    assert endpoint + '/_console/' in out, out
    ctx = ssl.create_default_context(cafile=ca)
    with urllib.request.urlopen(endpoint + '/_console/', context=ctx,
                                timeout=10) as r:
        assert r.status == 200
        assert r.headers['Content-Type'].startswith('text/html')
        assert b'ngx_s3 console' in r.read()
    with urllib.request.urlopen(endpoint + '/_console/sigv4.js',
                                context=ctx, timeout=10) as r:
        assert r.headers['Content-Type'] == 'text/javascript'

    # the certificate: signed by the authority, for the names it needs
    v = subprocess.run([OPENSSL, 'verify', '-CAfile', ca,
                        os.path.join(data, 'tls', 'cert.pem')],
                       capture_output=True, text=True)
    assert v.returncode == 0, v.stdout + v.stderr
    text = subprocess.run([OPENSSL, 'x509', '-noout', '-ext',
                           'subjectAltName', '-in',
                           os.path.join(data, 'tls', 'cert.pem')],
                          capture_output=True, text=True).stdout
    for name in ('IP Address:127.0.0.1', 'DNS:localhost',
                 'DNS:s3.localhost', 'DNS:*.s3.localhost'):
        assert name in text, text
    assert oct(os.stat(os.path.join(data, 'tls', 'key.pem')).st_mode
               & 0o777) == '0o600'
    assert oct(os.stat(os.path.join(data, 'tls', 'ca.key')).st_mode
               & 0o777) == '0o600'

    body = os.urandom(300 * 1024 + 7)
    src = tmp_path / 'src.bin'
    src.write_bytes(body)

    # boto3, trusting the authority by AWS_CA_BUNDLE's file
    import botocore.config
    s3 = boto3.session.Session().client(
        's3', endpoint_url=endpoint, verify=ca,
        aws_access_key_id=cred['AWS_ACCESS_KEY_ID'],
        aws_secret_access_key=cred['AWS_SECRET_ACCESS_KEY'],
        config=botocore.config.Config(
            region_name=cred['AWS_DEFAULT_REGION'],
            signature_version='s3v4', s3={'addressing_style': 'path'},
            retries={'total_max_attempts': 1}))
    b1 = new_bucket_name('runtls-boto3')
    s3.create_bucket(Bucket=b1)
    s3.put_object(Bucket=b1, Key='k', Body=body)
    assert s3.get_object(Bucket=b1, Key='k')['Body'].read() == body
    s3.delete_object(Bucket=b1, Key='k')
    s3.delete_bucket(Bucket=b1)

    # the aws CLI: AWS_CA_BUNDLE from the credentials file, and --ca-bundle
    (tmp_path / 'home').mkdir()
    aws_env = {
        'PATH': '/usr/bin:/bin', 'HOME': str(tmp_path / 'home'),
        'LANG': 'C.UTF-8', 'AWS_CONFIG_FILE': str(tmp_path / 'awsconfig'),
        'AWS_SHARED_CREDENTIALS_FILE': str(tmp_path / 'none'),
        'AWS_PAGER': '',
    }
    (tmp_path / 'awsconfig').write_text(
        '[default]\ns3 =\n    addressing_style = path\n')
    aws_env.update({k: v for k, v in cred.items()
                    if k != 'AWS_ENDPOINT_URL'})

    def aws(*args, ca_env=True):
        e = dict(aws_env)
        if not ca_env:
            del e['AWS_CA_BUNDLE']
        p = subprocess.run([AWS, '--endpoint-url', endpoint] + list(args),
                           env=e, capture_output=True, text=True,
                           timeout=120, stdin=subprocess.DEVNULL)
        assert p.returncode == 0, (args, p.stdout, p.stderr)
        return p.stdout

    b2 = new_bucket_name('runtls-aws')
    s3.create_bucket(Bucket=b2)
    aws('s3', 'cp', str(src), 's3://%s/dir/obj' % b2)
    aws('--ca-bundle', ca, 's3', 'cp', 's3://%s/dir/obj' % b2,
        str(tmp_path / 'aws.out'), ca_env=False)
    assert (tmp_path / 'aws.out').read_bytes() == body
    # without the authority the CLI refuses the certificate
    p = subprocess.run([AWS, '--endpoint-url', endpoint, 's3', 'ls'],
                       env={k: v for k, v in aws_env.items()
                            if k != 'AWS_CA_BUNDLE'},
                       capture_output=True, text=True, timeout=60)
    assert p.returncode != 0 and 'SSL' in p.stderr + p.stdout, p.stderr

    # rclone with --ca-cert
    conf = tmp_path / 'rclone.conf'
    conf.write_text('')
    rc_env = {
        'PATH': '/usr/bin:/bin', 'HOME': str(tmp_path / 'home'),
        'LANG': 'C.UTF-8', 'RCLONE_CONFIG': str(conf),
        'RCLONE_CONFIG_T_TYPE': 's3', 'RCLONE_CONFIG_T_PROVIDER': 'Other',
        'RCLONE_CONFIG_T_ACCESS_KEY_ID': cred['AWS_ACCESS_KEY_ID'],
        'RCLONE_CONFIG_T_SECRET_ACCESS_KEY': cred['AWS_SECRET_ACCESS_KEY'],
        'RCLONE_CONFIG_T_ENDPOINT': endpoint,
        'RCLONE_CONFIG_T_REGION': cred['AWS_DEFAULT_REGION'],
        'RCLONE_CONFIG_T_FORCE_PATH_STYLE': 'true',
    }

    def rclone(*args):
        p = subprocess.run([RCLONE, '--ca-cert', ca, '--retries', '1',
                            '--low-level-retries', '1'] + list(args),
                           env=rc_env, capture_output=True, text=True,
                           timeout=120, stdin=subprocess.DEVNULL)
        assert p.returncode == 0, (args, p.stdout, p.stderr)
        return p.stdout

    b3 = new_bucket_name('runtls-rclone')
    rclone('mkdir', 't:' + b3)
    rclone('copyto', str(src), 't:%s/a/b.bin' % b3)
    rclone('copyto', 't:%s/a/b.bin' % b3, str(tmp_path / 'rclone.out'))
    assert (tmp_path / 'rclone.out').read_bytes() == body

    # curl over HTTP/2, and a virtual-hosted name under the wildcard
    for url, extra in ((endpoint + '/', []),
                       ('https://bkt.s3.localhost:%d/' % port,
                        ['--resolve', 'bkt.s3.localhost:%d:127.0.0.1'
                         % port])):
        p = subprocess.run([CURL, '-sS', '--http2', '--cacert', ca,
                            '-o', '/dev/null', '-w',
                            '%{http_version} %{http_code}', url] + extra,
                           capture_output=True, text=True, timeout=30)
        assert p.stdout == '2 403', (url, p.stdout, p.stderr)
    # plain HTTP is not served on the TLS port
    p = subprocess.run([CURL, '-sS', '-o', '/dev/null', '-w', '%{http_code}',
                        'http://127.0.0.1:%d/' % port],
                       capture_output=True, text=True, timeout=30)
    assert p.stdout == '400', p.stdout

    # made once: a second start (a reload) keeps the certificate
    before = (fingerprint(ca), fingerprint(os.path.join(data, 'tls',
                                                         'cert.pem')))
    time.sleep(1)
    rc, out, err = run(env, 'start')
    assert rc == 0 and 'reloaded' in out, out + err
    assert before == (fingerprint(ca), fingerprint(
        os.path.join(data, 'tls', 'cert.pem')))
    assert s3.list_buckets()['ResponseMetadata']['HTTPStatusCode'] == 200


@pytest.mark.parametrize('tls_run', ['0'], indirect=True)
def test_run_plain_unchanged(tls_run):
    """Without S3_TLS: plain HTTP as before, no certificate made."""

    data, port, env = tls_run['data'], tls_run['port'], tls_run['env']
    rc, out, err = run(env, 'start')
    assert rc == 0, out + err
    endpoint = 'http://127.0.0.1:%d' % port
    assert endpoint in out and 'TLS' not in out, out
    assert not os.path.exists(os.path.join(data, 'tls'))
    cred = credentials(data)
    assert cred['AWS_ENDPOINT_URL'] == endpoint
    assert 'AWS_CA_BUNDLE' not in cred
    p = subprocess.run([CURL, '-sS', '-o', '/dev/null', '-w', '%{http_code}',
                        endpoint + '/'], capture_output=True, text=True,
                       timeout=30)
    assert p.stdout == '403', p.stdout
    p = subprocess.run([CURL, '-sS', '-o', '/dev/null', '-w', '%{http_code}',
                        endpoint + '/_console/'], capture_output=True,
                       text=True, timeout=30)
    assert p.stdout == '200', p.stdout

    # the embedded configuration's access log names who did what
    s3 = boto3.client('s3', endpoint_url=endpoint,
                      aws_access_key_id=cred['AWS_ACCESS_KEY_ID'],
                      aws_secret_access_key=cred['AWS_SECRET_ACCESS_KEY'],
                      region_name='us-east-1')
    rid = s3.list_buckets()['ResponseMetadata']['HTTPHeaders'][
        'x-amz-request-id']
    log = os.path.join(data, 'nginx', 'logs', 'access.log')
    deadline = time.time() + 5
    line = None
    while line is None and time.time() < deadline:
        time.sleep(0.2)
        with open(log) as f:
            line = next((x for x in f if rid in x), None)
    assert line is not None
    assert (' %s (operator) ListBuckets "-" "-" 200 - ' %
            cred['AWS_ACCESS_KEY_ID']) in line, line
