"""PutObject with the AWS SDK for JavaScript v3 as it is by default:
aws-chunked bodies with a CRC32 trailer (t/js/checksums.mjs, installed by
scripts/install-deps.sh test into t/js/node_modules)."""

import os
import shutil
import subprocess

import pytest

from conftest import new_bucket_name

JS = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'js')
NODE = shutil.which('node', path='/usr/bin:/usr/local/bin')

pytestmark = pytest.mark.skipif(NODE is None, reason='node not installed')


def test_js_sdk_default_checksums(server, tmp_path):
    if not os.path.isdir(os.path.join(JS, 'node_modules', '@aws-sdk',
                                      'client-s3')):
        pytest.fail('t/js/node_modules missing: run '
                    'scripts/install-deps.sh test', pytrace=False)
    home = tmp_path / 'home'
    home.mkdir()
    env = {
        'PATH': '/usr/bin:/bin',
        'HOME': str(home),
        'S3_ENDPOINT': server.endpoint,
        'S3_ACCESS_KEY': server.access_key,
        'S3_SECRET_KEY': server.secret_key,
        'S3_REGION': server.region,
        'S3_BUCKET': new_bucket_name('js-chunked'),
        'S3_DIR': str(tmp_path),
        'AWS_CONFIG_FILE': '/dev/null',
        'AWS_SHARED_CREDENTIALS_FILE': '/dev/null',
        'AWS_EC2_METADATA_DISABLED': 'true',
    }
    p = subprocess.run([NODE, os.path.join(JS, 'checksums.mjs')], env=env,
                       capture_output=True, timeout=120,
                       stdin=subprocess.DEVNULL)
    out = p.stdout.decode('utf-8', 'replace')
    err = p.stderr.decode('utf-8', 'replace')
    assert p.returncode == 0 and out.strip().endswith('ok'), \
        'node checksums.mjs: exit %d\n%s\n%s' % (p.returncode, out, err)
