"""PutObject and multipart uploads with a boto3 new enough (botocore >=
1.36) to send checksums by default: over TLS a CRC32 in an aws-chunked
trailer (STREAMING-UNSIGNED-PAYLOAD-TRAILER), over plain HTTP in a
header; upload_file in parts with its default (CRC32, COMPOSITE) and with
a whole-object CRC32 (FULL_OBJECT).

Debian's boto3 (which the suite runs on) is older; this runs the
`python3` found on PATH in a subprocess when it is another interpreter
with botocore >= 1.36, and is skipped otherwise."""

import os
import shutil
import subprocess
import sys

import pytest

import s3server
from conftest import new_bucket_name


def _new_python():
    """The python3 on PATH, if it is not this one's and has a new boto3."""

    py = shutil.which('python3')
    if py is None:
        return None, 'no python3 on PATH'
    try:
        p = subprocess.run(
            [py, '-c', 'import sys, botocore, boto3; '
                       'print(sys.executable); print(botocore.__version__)'],
            capture_output=True, timeout=60, stdin=subprocess.DEVNULL)
    except (OSError, subprocess.TimeoutExpired) as e:
        return None, 'python3 on PATH: %s' % e
    if p.returncode != 0:
        return None, 'python3 on PATH has no boto3'
    exe, version = p.stdout.decode().split()[:2]
    if os.path.realpath(exe) in (os.path.realpath(sys.executable),
                                 os.path.realpath('/usr/bin/python3')):
        return None, 'python3 on PATH is Debian\'s'
    if tuple(int(x) for x in version.split('.')[:2]) < (1, 36):
        return None, 'botocore %s on PATH is older than 1.36' % version
    return exe, version


PYTHON, WHY = _new_python()
OPENSSL = shutil.which('openssl')

pytestmark = [
    pytest.mark.skipif(PYTHON is None, reason=str(WHY)),
    pytest.mark.skipif(OPENSSL is None, reason='openssl missing'),
]


SCRIPT = r'''
import base64, hashlib, os, sys, zlib
import boto3, botocore.config, botocore.exceptions

endpoint, bucket, tmp, tls = sys.argv[1:5]
tls = tls == 'tls'
cfg = botocore.config.Config(
    region_name=os.environ['S3_REGION'], signature_version='s3v4',
    s3={'addressing_style': 'path'},
    retries={'total_max_attempts': 1, 'mode': 'standard'})
s3 = boto3.session.Session().client(
    's3', endpoint_url=endpoint, config=cfg,
    verify=os.environ.get('S3_CA') or None,
    aws_access_key_id=os.environ['S3_ACCESS_KEY'],
    aws_secret_access_key=os.environ['S3_SECRET_KEY'])

sent = {}

def record(request, **kw):
    if request.method == 'PUT':
        sent[request.url.split('?')[0].rsplit('/', 1)[-1]] = \
            dict(request.headers.items())

s3.meta.events.register('before-send.s3', record)

def crc32(b):
    return base64.b64encode(zlib.crc32(b).to_bytes(4, 'big')).decode()

def sha256(b):
    return base64.b64encode(hashlib.sha256(b).digest()).decode()

def h(key, name):
    for k, v in sent[key].items():
        if k.lower() == name:
            return v.decode() if isinstance(v, bytes) else v
    return None

def check_sent(key, trailer):
    mode = h(key, 'x-amz-content-sha256')
    if tls:
        assert mode == 'STREAMING-UNSIGNED-PAYLOAD-TRAILER', (key, mode)
        assert 'aws-chunked' in h(key, 'content-encoding'), key
        assert h(key, 'x-amz-trailer') == trailer, key
    else:
        assert h(key, trailer) is not None, (key, sent[key])

s3.create_bucket(Bucket=bucket)

small = b'hello from a new boto3\n' * 40
r = s3.put_object(Bucket=bucket, Key='small', Body=small)
check_sent('small', 'x-amz-checksum-crc32')
assert r['ETag'] == '"%s"' % hashlib.md5(small).hexdigest(), r
assert r.get('ChecksumCRC32') == crc32(small), r

big = os.urandom(6 * 1024 * 1024 + 333)
path = os.path.join(tmp, 'big.bin')
with open(path, 'wb') as f:
    f.write(big)
s3.upload_file(path, bucket, 'big')         # under the multipart threshold
check_sent('big', 'x-amz-checksum-crc32')

r = s3.put_object(Bucket=bucket, Key='sha', Body=big[:100000],
                  ChecksumAlgorithm='SHA256')
check_sent('sha', 'x-amz-checksum-sha256')
assert r.get('ChecksumSHA256') == sha256(big[:100000]), r

try:
    s3.put_object(Bucket=bucket, Key='bad', Body=small,
                  ChecksumCRC32='AAAAAA==')
except botocore.exceptions.ClientError as e:
    assert e.response['Error']['Code'] == 'BadDigest', e.response
    assert e.response['ResponseMetadata']['HTTPStatusCode'] == 400
else:
    raise AssertionError('a wrong CRC32 was accepted')

# back: botocore validates the checksums it gets
got = s3.get_object(Bucket=bucket, Key='small', ChecksumMode='ENABLED')
assert got['Body'].read() == small
assert got.get('ChecksumCRC32') == crc32(small), got
assert 'ContentEncoding' not in got, got

got = s3.get_object(Bucket=bucket, Key='big', ChecksumMode='ENABLED')
assert got['Body'].read() == big
assert got.get('ChecksumCRC32') == crc32(big), got

dl = os.path.join(tmp, 'big.down')
s3.download_file(bucket, 'big', dl)
with open(dl, 'rb') as f:
    assert f.read() == big

got = s3.head_object(Bucket=bucket, Key='sha', ChecksumMode='ENABLED')
assert got.get('ChecksumSHA256') == sha256(big[:100000]), got

# multipart: the default CRC32 of every part, a COMPOSITE object checksum
from boto3.s3.transfer import TransferConfig
mcfg = TransferConfig(multipart_threshold=5 * 1024 * 1024,
                      multipart_chunksize=5 * 1024 * 1024, max_concurrency=4)
mbig = os.urandom(11 * 1024 * 1024 + 5)
mpath = os.path.join(tmp, 'mp.bin')
with open(mpath, 'wb') as f:
    f.write(mbig)
s3.upload_file(mpath, bucket, 'mp', Config=mcfg)
got = s3.head_object(Bucket=bucket, Key='mp', ChecksumMode='ENABLED')
assert got['ETag'].endswith('-3"'), got
assert got.get('ChecksumType') == 'COMPOSITE', got
assert got.get('ChecksumCRC32', '').endswith('-3'), got
got = s3.get_object(Bucket=bucket, Key='mp', ChecksumMode='ENABLED')
assert got['Body'].read() == mbig
dl = os.path.join(tmp, 'mp.down')
s3.download_file(bucket, 'mp', dl, Config=mcfg)
with open(dl, 'rb') as f:
    assert f.read() == mbig

# a whole-object CRC32 given: FULL_OBJECT, combined from the parts' CRCs
s3.upload_file(mpath, bucket, 'mpfull', Config=mcfg,
               ExtraArgs={'ChecksumCRC32': crc32(mbig)})
got = s3.head_object(Bucket=bucket, Key='mpfull', ChecksumMode='ENABLED')
assert got.get('ChecksumType') == 'FULL_OBJECT', got
assert got.get('ChecksumCRC32') == crc32(mbig), got
got = s3.get_object(Bucket=bucket, Key='mpfull', ChecksumMode='ENABLED')
assert got['Body'].read() == mbig

try:
    s3.upload_file(mpath, bucket, 'mpbad', Config=mcfg,
                   ExtraArgs={'ChecksumCRC32': crc32(b'other')})
except Exception as e:
    assert 'BadDigest' in str(e), e
else:
    raise AssertionError('a wrong full-object CRC32 was accepted')

keys = [o['Key'] for o in s3.list_objects_v2(Bucket=bucket)['Contents']]
assert keys == ['big', 'mp', 'mpfull', 'sha', 'small'], keys
for u in s3.list_multipart_uploads(Bucket=bucket).get('Uploads', []):
    s3.abort_multipart_upload(Bucket=bucket, Key=u['Key'],
                              UploadId=u['UploadId'])
s3.delete_objects(Bucket=bucket,
                  Delete={'Objects': [{'Key': k} for k in keys]})
s3.delete_bucket(Bucket=bucket)
print('ok')
'''


@pytest.fixture(scope='module')
def tls_server(tmp_path_factory):
    d = tmp_path_factory.mktemp('tls')
    crt, key = str(d / 'cert.pem'), str(d / 'key.pem')
    subprocess.run([OPENSSL, 'req', '-x509', '-newkey', 'rsa:2048',
                    '-nodes', '-days', '1', '-subj', '/CN=127.0.0.1',
                    '-addext', 'subjectAltName=IP:127.0.0.1',
                    '-keyout', key, '-out', crt],
                   check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)
    port = s3server.free_port()
    srv = s3server.S3Server(
        name='boto3-ck',
        server_extra=('        listen 127.0.0.1:%d ssl;\n'
                      '        ssl_certificate %s;\n'
                      '        ssl_certificate_key %s;\n'
                      % (port, crt, key)))
    srv.start()
    srv.tls_endpoint = 'https://127.0.0.1:%d' % port
    srv.ca = crt
    yield srv
    srv.teardown()


def run_boto3(srv, endpoint, tls, tmp_path):
    script = tmp_path / 'put.py'
    script.write_text(SCRIPT)
    env = dict(os.environ)
    for k in list(env):
        if k.startswith('AWS_'):
            del env[k]
    env.update({
        'AWS_CONFIG_FILE': '/dev/null',
        'AWS_SHARED_CREDENTIALS_FILE': '/dev/null',
        'AWS_EC2_METADATA_DISABLED': 'true',
        'S3_REGION': srv.region,
        'S3_ACCESS_KEY': srv.access_key,
        'S3_SECRET_KEY': srv.secret_key,
        'S3_CA': srv.ca if tls else '',
    })
    p = subprocess.run([PYTHON, str(script), endpoint,
                        new_bucket_name('boto3-new'), str(tmp_path),
                        'tls' if tls else 'plain'],
                       env=env, capture_output=True, timeout=180,
                       stdin=subprocess.DEVNULL)
    out = p.stdout.decode('utf-8', 'replace')
    err = p.stderr.decode('utf-8', 'replace')
    assert p.returncode == 0 and out.strip().endswith('ok'), \
        '%s (botocore %s): exit %d\n%s\n%s' % (PYTHON, WHY, p.returncode,
                                               out, err)


def test_new_boto3_trailer_checksums_over_tls(tls_server, tmp_path):
    run_boto3(tls_server, tls_server.tls_endpoint, True, tmp_path)


def test_new_boto3_header_checksums_over_http(tls_server, tmp_path):
    run_boto3(tls_server, tls_server.endpoint, False, tmp_path)
