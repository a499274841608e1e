"""The module behind nginx's own TLS and HTTP/2: the same S3 API on an
`ssl http2` listener (self-signed certificate made for the test)."""

import hashlib
import os
import shutil
import subprocess

import pytest

import s3server
from conftest import new_bucket_name

OPENSSL = shutil.which('openssl')
CURL = shutil.which('curl')

pytestmark = pytest.mark.skipif(OPENSSL is None or CURL is None,
                                reason='openssl or curl missing')


@pytest.fixture(scope='module')
def tls_server(tmp_path_factory):
    d = tmp_path_factory.mktemp('tls')
    crt, key = str(d / 'cert.pem'), str(d / 'key.pem')
    subprocess.run([OPENSSL, 'req', '-x509', '-newkey', 'rsa:2048',
                    '-nodes', '-days', '1', '-subj', '/CN=s3.localhost',
                    '-addext', 'subjectAltName=DNS:s3.localhost,'
                    'DNS:*.s3.localhost,IP:127.0.0.1',
                    '-keyout', key, '-out', crt],
                   check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)
    port = s3server.free_port()
    srv = s3server.S3Server(
        name='tls',
        http_extra='    sendfile on;\n',
        server_extra=('        listen 127.0.0.1:%d ssl http2;\n'
                      '        ssl_certificate %s;\n'
                      '        ssl_certificate_key %s;\n'
                      % (port, crt, key)))
    srv.start()
    srv.tls_port = port
    srv.tls_endpoint = 'https://127.0.0.1:%d' % port
    yield srv
    srv.teardown()


def _client(srv):
    import boto3
    import botocore.config
    cfg = botocore.config.Config(region_name=srv.region,
                                 signature_version='s3v4',
                                 s3={'addressing_style': 'path'},
                                 retries={'total_max_attempts': 1})
    return boto3.session.Session().client(
        's3', endpoint_url=srv.tls_endpoint, verify=False,
        aws_access_key_id=srv.access_key,
        aws_secret_access_key=srv.secret_key, config=cfg)


def test_boto3_over_tls(tls_server):
    s3 = _client(tls_server)
    bucket = new_bucket_name('tls')
    s3.create_bucket(Bucket=bucket)
    body = os.urandom(3 * 1024 * 1024 + 17)
    s3.put_object(Bucket=bucket, Key='dir/blob', Body=body)
    got = s3.get_object(Bucket=bucket, Key='dir/blob')
    assert got['Body'].read() == body
    assert got['ETag'] == '"%s"' % hashlib.md5(body).hexdigest()
    r = s3.get_object(Bucket=bucket, Key='dir/blob', Range='bytes=100-199')
    assert r['Body'].read() == body[100:200]
    keys = [o['Key'] for o in
            s3.list_objects_v2(Bucket=bucket)['Contents']]
    assert keys == ['dir/blob']
    s3.delete_object(Bucket=bucket, Key='dir/blob')
    s3.delete_bucket(Bucket=bucket)


def test_http2_presigned_get_and_put(tls_server, tmp_path):
    """HTTP/2 (curl --http2 over TLS): presigned PUT of a body, then a
    presigned GET returns the same bytes; HTTP/2 is what was spoken."""

    s3 = _client(tls_server)
    bucket = new_bucket_name('h2')
    s3.create_bucket(Bucket=bucket)
    body = os.urandom(1024 * 1024 + 5)
    src = tmp_path / 'src'
    src.write_bytes(body)
    put = s3.generate_presigned_url('put_object', ExpiresIn=300,
                                    Params={'Bucket': bucket, 'Key': 'h2'})
    get = s3.generate_presigned_url('get_object', ExpiresIn=300,
                                    Params={'Bucket': bucket, 'Key': 'h2'})
    r = subprocess.run([CURL, '-sk', '--http2', '-o', '/dev/null',
                        '-w', '%{http_version} %{http_code}',
                        '-T', str(src), put],
                       capture_output=True, text=True, check=True)
    assert r.stdout == '2 200', r.stdout
    out = tmp_path / 'out'
    r = subprocess.run([CURL, '-sk', '--http2', '-o', str(out),
                        '-w', '%{http_version} %{http_code}', get],
                       capture_output=True, text=True, check=True)
    assert r.stdout == '2 200', r.stdout
    assert out.read_bytes() == body
    # an error over HTTP/2 is S3 XML too
    r = subprocess.run([CURL, '-sk', '--http2', '-w', '\n%{http_code}',
                        tls_server.tls_endpoint + '/' + bucket + '/h2'],
                       capture_output=True, text=True, check=True)
    assert r.stdout.endswith('\n403')
    assert '<Code>AccessDenied</Code>' in r.stdout
