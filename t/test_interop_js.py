"""Round trip with the AWS SDK for JavaScript v3 (t/js, installed with
`npm ci --prefix t/js`)."""

import os
import shutil
import subprocess

import pytest

from conftest import new_bucket_name

JS = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'js')
NODE = shutil.which('node', path='/usr/bin:/usr/local/bin')

pytestmark = pytest.mark.skipif(NODE is None, reason='node not installed')


def run_js(server, payloads, checksums):
    if not os.path.isdir(os.path.join(JS, 'node_modules', '@aws-sdk',
                                      'client-s3')):
        pytest.fail('t/js/node_modules missing: run npm ci --prefix t/js',
                    pytrace=False)
    env = {
        'PATH': '/usr/bin:/bin',
        'HOME': os.path.join(str(payloads['dir']), 'home'),
        'S3_ENDPOINT': server.endpoint,
        'S3_ACCESS_KEY': server.access_key,
        'S3_SECRET_KEY': server.secret_key,
        'S3_REGION': server.region,
        'S3_BUCKET': new_bucket_name('js-' + checksums),
        'S3_BIG_FILE': str(payloads['big']),
        'S3_CHECKSUMS': checksums,
        'AWS_CONFIG_FILE': '/dev/null',
        'AWS_SHARED_CREDENTIALS_FILE': '/dev/null',
        'AWS_EC2_METADATA_DISABLED': 'true',
    }
    p = subprocess.run([NODE, os.path.join(JS, 'roundtrip.mjs')], env=env,
                       capture_output=True, timeout=120,
                       stdin=subprocess.DEVNULL)
    out = p.stdout.decode('utf-8', 'replace')
    err = p.stderr.decode('utf-8', 'replace')
    assert p.returncode == 0 and out.strip().endswith('ok'), \
        'node roundtrip.mjs: exit %d\n%s\n%s' % (p.returncode, out, err)


def test_js_sdk_round_trip(server, payloads):
    """Checksums only where required: what this server supports now."""

    run_js(server, payloads, 'required')


def test_js_sdk_default_checksums(server, payloads):
    """The SDK's defaults: with Buffer bodies it sends x-amz-checksum-crc32
    in a header (stream bodies use aws-chunked trailers: test_js_sdk.py)."""

    run_js(server, payloads, 'default')
