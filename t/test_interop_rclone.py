"""Round trip with Debian's rclone, configured through the environment."""

import json
import os
import subprocess

import pytest

from conftest import boto_client, file_md5, new_bucket_name, same_file
from s3raw import client_error

RCLONE = '/usr/bin/rclone'

pytestmark = pytest.mark.skipif(not os.path.exists(RCLONE),
                                reason='%s not installed' % RCLONE)


class Rclone:
    def __init__(self, server, tmp):
        self.server = server
        self.tmp = tmp
        self.conf = tmp / 'rclone.conf'
        self.conf.write_text('')
        (tmp / 'home').mkdir()

    def __call__(self, *args, check=True):
        env = {
            'PATH': '/usr/bin:/bin',
            'HOME': str(self.tmp / 'home'),
            'LANG': 'C.UTF-8',
            'RCLONE_CONFIG': str(self.conf),
            'RCLONE_CONFIG_T_TYPE': 's3',
            'RCLONE_CONFIG_T_PROVIDER': 'Other',
            'RCLONE_CONFIG_T_ACCESS_KEY_ID': self.server.access_key,
            'RCLONE_CONFIG_T_SECRET_ACCESS_KEY': self.server.secret_key,
            'RCLONE_CONFIG_T_ENDPOINT': self.server.endpoint,
            'RCLONE_CONFIG_T_REGION': self.server.region,
            'RCLONE_CONFIG_T_FORCE_PATH_STYLE': 'true',
        }
        p = subprocess.run(
            [RCLONE, '--s3-upload-cutoff', '5G', '--low-level-retries', '1',
             '--retries', '1', '--contimeout', '5s', '--timeout', '60s']
            + list(args),
            env=env, capture_output=True, timeout=180,
            stdin=subprocess.DEVNULL)
        out = p.stdout.decode('utf-8', 'replace')
        err = p.stderr.decode('utf-8', 'replace')
        if check:
            assert p.returncode == 0, 'rclone %s: exit %d\n%s\n%s' % (
                ' '.join(args), p.returncode, out, err)
        return out


def test_rclone_round_trip(server, payloads, tmp_path):
    rclone = Rclone(server, tmp_path)
    b = new_bucket_name('rclone')
    r = 't:' + b
    small, big = str(payloads['small']), str(payloads['big'])
    big_size = os.path.getsize(big)

    rclone('mkdir', r)
    assert b in rclone('lsd', 't:')

    rclone('copyto', small, r + '/small.txt')
    rclone('copyto', big, r + '/dir/big file.bin')

    for version in ('1', '2'):
        listed = json.loads(rclone('lsjson', '-R', '--files-only',
                                   '--s3-list-version', version, r))
        assert sorted((e['Path'], e['Size']) for e in listed) == [
            ('dir/big file.bin', big_size),
            ('small.txt', os.path.getsize(small))]
    assert rclone('lsf', r) == 'dir/\nsmall.txt\n'

    sums = rclone('md5sum', r)
    assert '%s  dir/big file.bin' % file_md5(big) in sums

    # ranged GET
    part = rclone('cat', '--offset', '1000', '--count', '1000',
                  r + '/small.txt')
    assert part.encode() == payloads['small'].read_bytes()[1000:2000]

    # one GET, then parallel ranged GETs
    out1 = tmp_path / 'out1'
    rclone('copyto', r + '/dir/big file.bin', str(out1))
    assert same_file(out1, big)
    out2 = tmp_path / 'out2'
    rclone('copyto', '--multi-thread-cutoff', '4M', '--multi-thread-streams',
           '4', r + '/dir/big file.bin', str(out2))
    assert same_file(out2, big)

    rclone('check', str(payloads['dir']), r, '--include', 'small.txt')

    rclone('deletefile', r + '/small.txt')
    assert rclone('lsf', '-R', '--files-only', r) == 'dir/big file.bin\n'
    rclone('purge', r)
    with client_error(404, '404'):
        boto_client(server).head_bucket(Bucket=b)
