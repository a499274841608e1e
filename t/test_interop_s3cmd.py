"""Round trip with Debian's s3cmd, its config in a temporary file."""

import os
import subprocess

import pytest

from conftest import boto_client, new_bucket_name, same_file
from s3raw import client_error

S3CMD = '/usr/bin/s3cmd'

pytestmark = pytest.mark.skipif(not os.path.exists(S3CMD),
                                reason='%s not installed' % S3CMD)


class S3cmd:
    def __init__(self, server, tmp):
        self.server = server
        self.tmp = tmp
        self.cfg = tmp / 's3cfg'
        # host_bucket without %(bucket)s: path-style requests
        self.cfg.write_text(
            '[default]\n'
            'access_key = %s\n'
            'secret_key = %s\n'
            'host_base = %s\n'
            'host_bucket = %s\n'
            'bucket_location = %s\n'
            'use_https = False\n'
            'signature_v2 = False\n'
            'check_ssl_certificate = False\n'
            'progress_meter = False\n'
            % (server.access_key, server.secret_key, server.host,
               server.host, server.region))
        (tmp / 'home').mkdir()

    def __call__(self, *args, check=True):
        p = subprocess.run(
            [S3CMD, '-c', str(self.cfg), '--no-progress'] + list(args),
            env={'PATH': '/usr/bin:/bin', 'HOME': str(self.tmp / 'home'),
                 'LANG': 'C.UTF-8'},
            capture_output=True, timeout=180, stdin=subprocess.DEVNULL)
        out = p.stdout.decode('utf-8', 'replace')
        err = p.stderr.decode('utf-8', 'replace')
        if check:
            assert p.returncode == 0, 's3cmd %s: exit %d\n%s\n%s' % (
                ' '.join(args), p.returncode, out, err)
        return out + err


def test_s3cmd_round_trip(server, payloads, tmp_path):
    s3cmd = S3cmd(server, tmp_path)
    b = new_bucket_name('s3cmd')
    s3u = 's3://' + b
    small, big = str(payloads['small']), str(payloads['big'])
    big_size = os.path.getsize(big)

    out = s3cmd('mb', s3u)
    assert 'created' in out
    assert s3u in s3cmd('ls')

    s3cmd('put', small, s3u + '/small.txt')
    s3cmd('put', '--disable-multipart', big, s3u + '/dir/big file.bin')

    out = s3cmd('ls', s3u)
    assert 'DIR' in out and s3u + '/dir/' in out
    assert s3u + '/small.txt' in out
    out = s3cmd('ls', '--recursive', s3u)
    assert str(big_size) in out and 'big file.bin' in out
    out = s3cmd('du', s3u)
    assert str(big_size + os.path.getsize(small)) in out

    out1 = tmp_path / 'out1'
    s3cmd('get', s3u + '/dir/big file.bin', str(out1))
    assert same_file(out1, big)

    # --continue resumes a partial download with a ranged GET
    out2 = tmp_path / 'out2'
    with open(big, 'rb') as f:
        out2.write_bytes(f.read(7 * 1024 * 1024 + 3))
    s3cmd('get', '--continue', s3u + '/dir/big file.bin', str(out2))
    assert same_file(out2, big)

    out3 = tmp_path / 'small.out'
    s3cmd('get', s3u + '/small.txt', str(out3))
    assert same_file(out3, small)

    # the stored metadata s3cmd wrote
    h = boto_client(server).head_object(Bucket=b, Key='small.txt')
    assert 's3cmd-attrs' in h['Metadata']

    s3cmd('del', s3u + '/small.txt')
    # several keys: s3cmd sends DeleteObjects
    for i in range(3):
        s3cmd('put', small, s3u + '/many/%d' % i)
    s3cmd('del', '--recursive', '--force', s3u + '/')
    assert s3cmd('ls', '--recursive', s3u).strip() == ''
    s3cmd('rb', s3u)
    with client_error(404, '404'):
        boto_client(server).head_bucket(Bucket=b)
