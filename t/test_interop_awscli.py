"""Round trip with Debian's aws CLI (/usr/bin/aws), credentials and config
from environment and temporary files only."""

import json
import os
import subprocess
import urllib.parse

import pytest

from conftest import boto_client, file_md5, new_bucket_name, same_file
from s3raw import client_error, url_request

AWS = '/usr/bin/aws'

pytestmark = pytest.mark.skipif(not os.path.exists(AWS),
                                reason='%s not installed' % AWS)


class Aws:
    def __init__(self, server, tmp):
        self.server = server
        self.tmp = tmp
        # never multipart: uploads are single PUTs in this issue
        self.config = tmp / 'config'
        self.config.write_text(
            '[default]\nregion = %s\ns3 =\n'
            '    multipart_threshold = 5GB\n'
            '    addressing_style = path\n' % server.region)
        # downloads may use parallel ranged GETs
        self.config_dl = tmp / 'config-dl'
        self.config_dl.write_text(
            '[default]\nregion = %s\ns3 =\n'
            '    multipart_threshold = 8MB\n'
            '    multipart_chunksize = 8MB\n'
            '    max_concurrent_requests = 4\n'
            '    addressing_style = path\n' % server.region)
        (tmp / 'home').mkdir()

    def env(self, config):
        return {
            'PATH': '/usr/bin:/bin',
            'HOME': str(self.tmp / 'home'),
            'LANG': 'C.UTF-8',
            'AWS_ACCESS_KEY_ID': self.server.access_key,
            'AWS_SECRET_ACCESS_KEY': self.server.secret_key,
            'AWS_DEFAULT_REGION': self.server.region,
            'AWS_CONFIG_FILE': str(config),
            'AWS_SHARED_CREDENTIALS_FILE': str(self.tmp / 'no-credentials'),
            'AWS_PAGER': '',
            'AWS_EC2_METADATA_DISABLED': 'true',
        }

    def __call__(self, *args, config=None, check=True):
        p = subprocess.run(
            [AWS, '--endpoint-url', self.server.endpoint] + list(args),
            env=self.env(config or self.config), capture_output=True,
            timeout=180, stdin=subprocess.DEVNULL)
        out = p.stdout.decode('utf-8', 'replace')
        err = p.stderr.decode('utf-8', 'replace')
        if check:
            assert p.returncode == 0, 'aws %s: exit %d\n%s\n%s' % (
                ' '.join(args), p.returncode, out, err)
        return out

    def json(self, *args):
        return json.loads(self(*args, '--output', 'json'))


@pytest.fixture
def aws(server, tmp_path):
    return Aws(server, tmp_path)


def test_awscli_round_trip(server, aws, payloads, tmp_path):
    b = new_bucket_name('awscli')
    s3u = 's3://' + b
    small, big = str(payloads['small']), str(payloads['big'])
    big_size = os.path.getsize(big)

    out = aws('s3', 'mb', s3u)
    assert 'make_bucket: ' + b in out
    assert b in aws('s3', 'ls')

    aws('s3', 'cp', small, s3u + '/small.txt')
    aws('s3', 'cp', big, s3u + '/dir/big file.bin')

    out = aws('s3', 'ls', s3u + '/')
    assert 'small.txt' in out and 'PRE dir/' in out
    out = aws('s3', 'ls', '--recursive', s3u)
    assert 'dir/big file.bin' in out and str(big_size) in out

    listed = aws.json('s3api', 'list-objects-v2', '--bucket', b,
                      '--prefix', 'dir/')
    assert [(c['Key'], c['Size']) for c in listed['Contents']] \
        == [('dir/big file.bin', big_size)]

    head = aws.json('s3api', 'head-object', '--bucket', b, '--key',
                    'dir/big file.bin')
    assert head['ContentLength'] == big_size
    assert head['ETag'].strip('"') == file_md5(big)

    # one GET
    out1 = tmp_path / 'out1'
    aws('s3', 'cp', s3u + '/dir/big file.bin', str(out1))
    assert same_file(out1, big)
    # parallel ranged GETs
    out2 = tmp_path / 'out2'
    aws('s3', 'cp', s3u + '/dir/big file.bin', str(out2),
        config=aws.config_dl)
    assert same_file(out2, big)

    # a ranged GET
    part = tmp_path / 'part'
    got = json.loads(aws('s3api', 'get-object', '--bucket', b, '--key',
                         'dir/big file.bin', '--range', 'bytes=1000-1999',
                         str(part), '--output', 'json'))
    assert got['ContentRange'] == 'bytes 1000-1999/%d' % big_size
    with open(big, 'rb') as f:
        f.seek(1000)
        assert part.read_bytes() == f.read(1000)

    out3 = tmp_path / 'small.out'
    aws('s3', 'cp', s3u + '/small.txt', str(out3))
    assert same_file(out3, small)

    # a presigned URL from the CLI
    url = aws('s3', 'presign', s3u + '/small.txt', '--expires-in',
              '300').strip()
    u = urllib.parse.urlsplit(url)
    r = url_request(server, 'GET', u.path + '?' + u.query)
    assert r.status == 200 and r.body == payloads['small'].read_bytes()

    # sync a small tree, then delete it with DeleteObjects
    tree = tmp_path / 'tree'
    (tree / 'sub').mkdir(parents=True)
    for i in range(5):
        (tree / ('f%d' % i)).write_bytes(b'f%d' % i)
        (tree / 'sub' / ('g%d' % i)).write_bytes(b'g%d' % i)
    aws('s3', 'sync', str(tree), s3u + '/tree')
    out = aws('s3', 'ls', '--recursive', s3u + '/tree/')
    assert out.count('tree/') == 10
    objects = {'Objects': [{'Key': 'tree/f%d' % i} for i in range(5)]}
    res = aws.json('s3api', 'delete-objects', '--bucket', b, '--delete',
                   json.dumps(objects))
    assert len(res['Deleted']) == 5
    out = aws('s3', 'ls', '--recursive', s3u + '/tree/')
    assert out.count('tree/') == 5

    aws('s3', 'rm', s3u + '/small.txt')
    out = aws('s3', 'rm', '--recursive', s3u)
    assert 'delete: ' in out
    aws('s3', 'rb', s3u)
    with client_error(404, '404'):
        boto_client(server).head_bucket(Bucket=b)


def test_awscli_errors(server, aws, tmp_path):
    b = new_bucket_name('awscli-err')
    aws('s3', 'mb', 's3://' + b)
    p = subprocess.run(
        [AWS, '--endpoint-url', server.endpoint, 's3api', 'get-object',
         '--bucket', b, '--key', 'missing', str(tmp_path / 'x')],
        env=aws.env(aws.config), capture_output=True, timeout=60)
    assert p.returncode != 0
    assert b'NoSuchKey' in p.stderr
    p = subprocess.run(
        [AWS, '--endpoint-url', server.endpoint, 's3', 'mb', 's3://' + b],
        env=aws.env(aws.config), capture_output=True, timeout=60)
    assert p.returncode != 0
    assert b'BucketAlreadyOwnedByYou' in p.stderr
    aws('s3', 'rb', 's3://' + b)
