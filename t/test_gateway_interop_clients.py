"""Interop round trips through ngx_s3 in gateway mode with real clients:
the aws CLI, rclone, s3cmd and the AWS SDK for JavaScript v3 with its
default checksums (t/js/gateway.mjs), each compared with the same
operations against the Ceph RGW directly (t/lib/gwinterop.py).  One
20 MiB file per client, up to both sides and down from the gateway.
"""

import concurrent.futures
import hashlib
import json
import os
import shutil
import subprocess

import pytest

from conftest import file_md5, same_file
from gwinterop import (MiB, bucket_pair, get_view, listing_view, on_both,
                       same)

JS = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'js')
NODE = shutil.which('node', path='/usr/bin:/usr/local/bin')
AWS = '/usr/bin/aws'
RCLONE = '/usr/bin/rclone'
S3CMD = '/usr/bin/s3cmd'


@pytest.fixture
def pair(request, gateway, ceph, rgw):
    yield from bucket_pair(request, gateway, ceph, rgw)


# the aws CLI, rclone, s3cmd

def cli_env(tmp, extra):
    home = tmp / 'home'
    home.mkdir(exist_ok=True)
    env = {'PATH': '/usr/bin:/bin', 'HOME': str(home), 'LANG': 'C.UTF-8'}
    env.update(extra)
    return env


def run(argv, env, what):
    p = subprocess.run(argv, env=env, capture_output=True, timeout=180,
                       stdin=subprocess.DEVNULL)
    out = p.stdout.decode('utf-8', 'replace')
    err = p.stderr.decode('utf-8', 'replace')
    assert p.returncode == 0, '%s %s: exit %d\n%s\n%s' % (
        what, ' '.join(argv[1:]), p.returncode, out, err)
    return out


def aws(side, tmp, *args):
    """The aws CLI with its default transfer settings (8 MiB multipart)."""

    d = tmp / ('aws-' + side.name)
    d.mkdir(exist_ok=True)
    config = d / 'config'
    config.write_text('[default]\nregion = %s\ns3 =\n'
                      '    addressing_style = path\n' % side.region)
    env = cli_env(d, {
        'AWS_ACCESS_KEY_ID': side.access_key,
        'AWS_SECRET_ACCESS_KEY': side.secret_key,
        'AWS_DEFAULT_REGION': side.region,
        'AWS_CONFIG_FILE': str(config),
        'AWS_SHARED_CREDENTIALS_FILE': str(d / 'no-credentials'),
        'AWS_PAGER': '',
        'AWS_EC2_METADATA_DISABLED': 'true',
    })
    return run([AWS, '--endpoint-url', side.endpoint] + list(args), env,
               'aws')


@pytest.mark.skipif(not os.path.exists(AWS), reason='aws not installed')
def test_awscli(pair, payloads, tmp_path):
    """The aws CLI's defaults: the 20 MiB file in 8 MiB parts up, ranged
    GETs in parallel down."""

    small, big = str(payloads['small']), str(payloads['big'])
    tree = tmp_path / 'tree'
    (tree / 'sub').mkdir(parents=True)
    for i in range(4):
        (tree / ('f %d' % i)).write_bytes(b'f%d' % i * (i + 1))
        (tree / 'sub' / ('g+%d' % i)).write_bytes(b'g%d' % i)

    # the same tree for RGW in one sync (the CLI is slow to start)
    ref = tmp_path / 'ref'
    (ref / 'dir').mkdir(parents=True)
    shutil.copy(small, ref / 'small.txt')
    shutil.copy(big, ref / 'dir' / 'big file.bin')
    shutil.copytree(tree, ref / 'tree')

    def up(s):
        u = 's3://' + s.bucket
        if s.name == 'rgw':
            aws(s, tmp_path, 's3', 'sync', str(ref), u)
            return
        aws(s, tmp_path, 's3', 'cp', small, u + '/small.txt')
        aws(s, tmp_path, 's3', 'cp', big, u + '/dir/big file.bin')
        aws(s, tmp_path, 's3', 'sync', str(tree), u + '/tree')

    on_both(pair, up, parallel=True)
    g, r = pair
    listed = [(c['Key'], c['Size'], c['ETag']) for c in json.loads(aws(
        g, tmp_path, 's3api', 'list-objects-v2', '--bucket', g.bucket,
        '--output', 'json'))['Contents']]
    assert listed == listing_view(r.s3.list_objects_v2(
        Bucket=r.bucket))['Contents']
    assert len(listed) == 10
    assert ('dir/big file.bin', os.path.getsize(big)) \
        in [c[:2] for c in listed]
    assert [c[2] for c in listed if c[0] == 'dir/big file.bin'][0] \
        .endswith('-3"')

    u = 's3://' + g.bucket
    out = tmp_path / 'big.out'
    aws(g, tmp_path, 's3', 'cp', u + '/dir/big file.bin', str(out))
    assert same_file(out, big)
    down = tmp_path / 'down'
    aws(g, tmp_path, 's3', 'sync', u, str(down))
    assert same_file(down / 'small.txt', small)
    assert same_file(down / 'dir' / 'big file.bin', big)
    for p in tree.rglob('*'):
        if p.is_file():
            assert same_file(p, down / 'tree' / p.relative_to(tree)), p
    # a second sync finds nothing to do (sizes and dates listed)
    assert aws(g, tmp_path, 's3', 'sync', str(tree), u + '/tree').strip() \
        == ''


def rclone(side, tmp, *args):
    d = tmp / ('rclone-' + side.name)
    d.mkdir(exist_ok=True)
    (d / 'rclone.conf').write_text('')
    env = cli_env(d, {
        'RCLONE_CONFIG': str(d / 'rclone.conf'),
        'RCLONE_CONFIG_T_TYPE': 's3',
        'RCLONE_CONFIG_T_PROVIDER': 'Other',
        'RCLONE_CONFIG_T_ACCESS_KEY_ID': side.access_key,
        'RCLONE_CONFIG_T_SECRET_ACCESS_KEY': side.secret_key,
        'RCLONE_CONFIG_T_ENDPOINT': side.endpoint,
        'RCLONE_CONFIG_T_REGION': side.region,
        'RCLONE_CONFIG_T_FORCE_PATH_STYLE': 'true',
    })
    return run([RCLONE, '--low-level-retries', '1', '--retries', '1',
                '--contimeout', '5s', '--timeout', '60s'] + list(args),
               env, 'rclone')


@pytest.mark.skipif(not os.path.exists(RCLONE), reason='rclone not installed')
def test_rclone(pair, payloads, tmp_path):
    """rclone's defaults: multipart above 200 MiB, so single PUTs here."""

    small, big = str(payloads['small']), str(payloads['big'])
    def up(s):
        t = 't:' + s.bucket
        rclone(s, tmp_path, 'copyto', small, t + '/small.txt')
        rclone(s, tmp_path, 'copyto', big, t + '/dir/big file.bin')

    same(pair, up, parallel=True)
    listed = same(pair, lambda s: sorted(
        (e['Path'], e['Size']) for e in json.loads(rclone(
            s, tmp_path, 'lsjson', '-R', '--files-only',
            't:' + s.bucket))), parallel=True)
    assert listed == [('dir/big file.bin', os.path.getsize(big)),
                      ('small.txt', os.path.getsize(small))]
    sums = same(pair, lambda s: sorted(rclone(
        s, tmp_path, 'md5sum', 't:' + s.bucket).splitlines()),
        parallel=True)
    assert '%s  dir/big file.bin' % file_md5(big) in sums
    assert '%s  small.txt' % file_md5(small) in sums

    g = pair[0]
    t = 't:' + g.bucket
    out = tmp_path / 'big.out'
    rclone(g, tmp_path, 'copyto', t + '/dir/big file.bin', str(out))
    assert same_file(out, big)
    out = tmp_path / 'big.mt'
    rclone(g, tmp_path, 'copyto', '--multi-thread-cutoff', '4M',
           '--multi-thread-streams', '4', t + '/dir/big file.bin', str(out))
    assert same_file(out, big)
    assert same(pair, lambda s: rclone(
        s, tmp_path, 'cat', '--offset', '100', '--count', '50',
        't:%s/small.txt' % s.bucket), parallel=True) \
        == payloads['small'].read_text()[100:150]
    rclone(g, tmp_path, 'check', str(payloads['dir']), t, '--include',
           'small.txt')
    rclone(g, tmp_path, 'delete', t)
    assert g.s3.list_objects_v2(Bucket=g.bucket)['KeyCount'] == 0


def s3cmd(side, tmp, *args):
    d = tmp / ('s3cmd-' + side.name)
    d.mkdir(exist_ok=True)
    cfg = d / 's3cfg'
    cfg.write_text(
        '[default]\naccess_key = %s\nsecret_key = %s\nhost_base = %s\n'
        'host_bucket = %s\nbucket_location = %s\nuse_https = False\n'
        'signature_v2 = False\nprogress_meter = False\n'
        % (side.access_key, side.secret_key, side.host, side.host,
           side.region))
    return run([S3CMD, '-c', str(cfg), '--no-progress'] + list(args),
               cli_env(d, {}), 's3cmd')


@pytest.mark.skipif(not os.path.exists(S3CMD), reason='s3cmd not installed')
def test_s3cmd(pair, payloads, tmp_path):
    """s3cmd's defaults: 15 MiB parts, so the 20 MiB file goes in 2."""

    small, big = str(payloads['small']), str(payloads['big'])
    def up(s):
        u = 's3://' + s.bucket
        s3cmd(s, tmp_path, 'put', small, u + '/small.txt')
        s3cmd(s, tmp_path, 'put', big, u + '/dir/big file.bin')

    same(pair, up, parallel=True)

    def listing(s):
        out = s3cmd(s, tmp_path, 'ls', '--recursive', '--list-md5',
                    's3://' + s.bucket)
        # date time size md5 url: the dates differ
        return sorted(ln.split(None, 2)[2].replace(s.bucket, 'B')
                      for ln in out.splitlines() if ln.strip())
    listed = same(pair, listing, parallel=True)
    assert any(file_md5(small) in ln for ln in listed), listed
    heads = same(pair, lambda s: get_view(s.s3.head_object(
        Bucket=s.bucket, Key='dir/big file.bin')))
    assert heads['ETag'].endswith('-2"')
    assert heads['ContentLength'] == os.path.getsize(big)

    g = pair[0]
    u = 's3://' + g.bucket
    out = tmp_path / 'big.out'
    s3cmd(g, tmp_path, 'get', u + '/dir/big file.bin', str(out))
    assert same_file(out, big)
    out = tmp_path / 'small.out'
    s3cmd(g, tmp_path, 'get', u + '/small.txt', str(out))
    assert same_file(out, small)
    # --continue: a ranged GET for the rest
    out = tmp_path / 'cont'
    with open(big, 'rb') as f:
        out.write_bytes(f.read(3 * MiB + 5))
    s3cmd(g, tmp_path, 'get', '--continue', u + '/dir/big file.bin',
          str(out))
    assert same_file(out, big)
    # DeleteObjects from s3cmd
    s3cmd(g, tmp_path, 'del', '--recursive', '--force', u + '/')
    assert g.s3.list_objects_v2(Bucket=g.bucket)['KeyCount'] == 0


# the AWS SDK for JavaScript v3

def run_js(side, payloads, tmp, checksums, bodies, upload):
    d = tmp / ('js-%s-%s' % (side.name, checksums))
    (d / 'home').mkdir(parents=True)
    env = {
        'PATH': '/usr/bin:/bin',
        'HOME': str(d / 'home'),
        'S3_ENDPOINT': side.endpoint,
        'S3_ACCESS_KEY': side.access_key,
        'S3_SECRET_KEY': side.secret_key,
        'S3_REGION': side.region,
        'S3_BUCKET': side.bucket,
        'S3_BIG_FILE': str(payloads['big']),
        'S3_DIR': str(d),
        'S3_CHECKSUMS': checksums,
        'S3_BODIES': bodies,
        'S3_UPLOAD': '1' if upload else '0',
        'AWS_CONFIG_FILE': '/dev/null',
        'AWS_SHARED_CREDENTIALS_FILE': '/dev/null',
        'AWS_EC2_METADATA_DISABLED': 'true',
    }
    p = subprocess.run([NODE, os.path.join(JS, 'gateway.mjs')], env=env,
                       capture_output=True, timeout=180,
                       stdin=subprocess.DEVNULL)
    out = p.stdout.decode('utf-8', 'replace')
    err = p.stderr.decode('utf-8', 'replace')
    assert p.returncode == 0, 'node gateway.mjs (%s, %s): exit %d\n%s\n%s' \
        % (side.name, checksums, p.returncode, out, err)
    return json.loads(out.strip().splitlines()[-1])


def js_compare(pair, payloads, tmp_path, bodies, upload):
    """gateway.mjs through the gateway with the SDK's default checksums,
    and against RGW directly with checksums only where required (RGW 16
    refuses the SDK's aws-chunked unsigned-trailer bodies: 411); the
    bytes, ETags and listings must be the same."""

    if not os.path.isdir(os.path.join(JS, 'node_modules', '@aws-sdk',
                                      'client-s3')):
        pytest.fail('t/js/node_modules missing: run '
                    'scripts/install-deps.sh test', pytrace=False)
    g, r = pair
    with concurrent.futures.ThreadPoolExecutor(2) as ex:
        fg = ex.submit(run_js, g, payloads, tmp_path, 'default', bodies,
                       upload)
        fr = ex.submit(run_js, r, payloads, tmp_path, 'required', bodies,
                       upload)
        got, want = fg.result(), fr.result()
    for k in ('puts', 'gets', 'list', 'upload'):
        assert got[k] == want[k], k
    # and RGW holds the same bytes as the gateway answered
    for key, view in got['gets'].items():
        obj = r.s3.get_object(Bucket=g.bucket, Key=key)
        assert hashlib.md5(obj['Body'].read()).hexdigest() == view['md5']
    return got


@pytest.mark.skipif(NODE is None, reason='node not installed')
def test_js_sdk(pair, payloads, tmp_path):
    """Buffer bodies (CRC32 in a header) and lib-storage's Upload of the
    20 MiB file (5 MiB parts, a CRC32 each)."""

    got = js_compare(pair, payloads, tmp_path, 'buffer', True)
    assert got['wire']['buffer-small']['x-amz-checksum-crc32']
    assert got['upload']['etag'].endswith('-5"')


@pytest.mark.skipif(NODE is None, reason='node not installed')
def test_js_sdk_streams(pair, payloads, tmp_path):
    """Stream bodies: aws-chunked with a CRC32 trailer, sent with
    Transfer-Encoding: chunked (no Content-Length), 0, 3000 bytes and
    6 MiB."""

    got = js_compare(pair, payloads, tmp_path, 'stream', False)
    for key in ('stream-small', 'stream-multi', 'stream-empty'):
        h = got['wire'][key]
        assert h['x-amz-content-sha256'] \
            == 'STREAMING-UNSIGNED-PAYLOAD-TRAILER'
        assert h['x-amz-trailer'] == 'x-amz-checksum-crc32'
        assert h['transfer-encoding'] == 'chunked'
