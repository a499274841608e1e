"""Gateway mode (docs/gateway.md): who may do what on a bucket of the
upstream's.  Clients sign with ngx_s3's keys, never the upstream's; root
keys may do everything; a managed key gets what the bucket's local record
(made by the operator's CreateBucket through the gateway) grants it: its
bucket policy and ACL stay ngx_s3's."""

import json
import os

import botocore.exceptions
import pytest

from conftest import boto_client, new_bucket_name
import gateway as gatewaylib
from s3admin import admin_kwargs, new_user_key, write_key_file
from s3raw import KeepAlive, assert_error, assert_ok


@pytest.fixture(scope='module')
def agw(ceph, tmp_path_factory):
    """A gateway with the admin API, for managed keys."""

    d = tmp_path_factory.mktemp('gwkeys')
    kf = write_key_file(str(d / 's3.key'), [os.urandom(32)])
    kw = admin_kwargs(kf)
    srv = gatewaylib.start_gateway(ceph, name='gwaccess',
                                   http_extra=kw['http_extra'],
                                   server_extra=kw['server_extra'])
    yield srv
    srv.teardown()


def code_of(e):
    return e.response['Error']['Code']


def test_upstream_keys_are_not_ngx_s3_keys(agw, ceph):
    """The upstream's credentials do not open the gateway."""

    c = boto_client(agw, ceph.access_key, ceph.secret_key)
    with pytest.raises(botocore.exceptions.ClientError) as e:
        c.list_buckets()
    assert code_of(e.value) == 'InvalidAccessKeyId'


def test_managed_key_by_bucket_policy(agw, rgw):
    root = boto_client(agw)
    name = new_bucket_name('gwacc')
    root.create_bucket(Bucket=name)
    root.put_object(Bucket=name, Key='pub/a', Body=b'public a')
    root.put_object(Bucket=name, Key='priv/b', Body=b'private b')
    # the upstream has the bucket and the objects
    assert rgw.get_object(Bucket=name, Key='pub/a')['Body'].read() \
        == b'public a'

    ak, sk = new_user_key(agw, 'gwalice')
    alice = boto_client(agw, ak, sk)

    # nothing granted yet
    for call in (lambda: alice.get_object(Bucket=name, Key='pub/a'),
                 lambda: alice.list_objects_v2(Bucket=name),
                 lambda: alice.put_object(Bucket=name, Key='x', Body=b'x'),
                 lambda: alice.create_bucket(Bucket=new_bucket_name('no')),
                 lambda: alice.list_buckets()):
        with pytest.raises(botocore.exceptions.ClientError) as e:
            call()
        assert code_of(e.value) == 'AccessDenied'

    # the policy is ngx_s3's, on the local record, not the upstream's
    pol = {'Version': '2012-10-17', 'Statement': [{
        'Effect': 'Allow',
        'Principal': {'AWS': 'arn:aws:iam::000000000000:user/gwalice'},
        'Action': ['s3:GetObject'],
        'Resource': ['arn:aws:s3:::%s/pub/*' % name]}]}
    root.put_bucket_policy(Bucket=name, Policy=json.dumps(pol))
    assert json.loads(root.get_bucket_policy(Bucket=name)['Policy']) == pol
    with pytest.raises(botocore.exceptions.ClientError) as e:
        rgw.get_bucket_policy(Bucket=name)
    assert code_of(e.value) == 'NoSuchBucketPolicy'

    assert alice.get_object(Bucket=name, Key='pub/a')['Body'].read() \
        == b'public a'
    for call in (lambda: alice.get_object(Bucket=name, Key='priv/b'),
                 lambda: alice.put_object(Bucket=name, Key='pub/x',
                                          Body=b'x'),
                 lambda: alice.delete_object(Bucket=name, Key='pub/a'),
                 lambda: alice.copy_object(
                     Bucket=name, Key='pub/c',
                     CopySource={'Bucket': name, 'Key': 'priv/b'})):
        with pytest.raises(botocore.exceptions.ClientError) as e:
            call()
        assert code_of(e.value) == 'AccessDenied'
    # nothing changed upstream
    keys = [o['Key'] for o in rgw.list_objects_v2(Bucket=name)['Contents']]
    assert sorted(keys) == ['priv/b', 'pub/a']


def test_bucket_made_upstream_only_is_root_only(agw, rgw):
    """A bucket made at the upstream directly has no local record: only
    root keys reach it."""

    name = new_bucket_name('gwdirect')
    rgw.create_bucket(Bucket=name)
    rgw.put_object(Bucket=name, Key='k', Body=b'direct')
    root = boto_client(agw)
    assert root.get_object(Bucket=name, Key='k')['Body'].read() == b'direct'
    ak, sk = new_user_key(agw, 'gwbob')
    bob = boto_client(agw, ak, sk)
    with pytest.raises(botocore.exceptions.ClientError) as e:
        bob.get_object(Bucket=name, Key='k')
    assert code_of(e.value) == 'AccessDenied'


def test_denied_then_same_connection(agw):
    """An error, then another request on the same keep-alive connection."""

    root = boto_client(agw)
    name = new_bucket_name('gwka')
    root.create_bucket(Bucket=name)
    with KeepAlive(agw) as ka:
        # the upstream's error, as it sent it
        r = ka.request('GET', '/%s/missing' % name)
        assert r.status == 404 and b'<Code>NoSuchKey</Code>' in r.body
        r = ka.request('PUT', '/%s/k' % name, body=b'v')
        assert_ok(r)
        r = ka.request('GET', '/%s/k' % name)
        assert_ok(r)
        assert r.body == b'v'
        r = ka.request('GET', '/%s/k' % name,
                       headers={'Authorization': 'AWS4-HMAC-SHA256 bad'},
                       sign=False)
        assert r.status in (400, 403)
        r = ka.request('GET', '/%s/k' % name)
        assert_ok(r)
        assert r.body == b'v'


def test_run_sh_gateway_mode(ceph, rgw):
    """`S3_GATEWAY=... make run`: scripts/run.sh in gateway mode, with its
    own keys, in front of the Ceph cluster; a round trip with boto3."""

    import shutil
    import subprocess
    import tempfile
    import urllib.parse

    import s3server

    run_sh = os.path.join(os.path.dirname(os.path.dirname(
        os.path.abspath(__file__))), 'scripts', 'run.sh')
    data = tempfile.mkdtemp(prefix='ngx_s3_rungw_')
    port = s3server.free_port()
    env = {
        'PATH': '/usr/sbin:/usr/bin:/sbin:/bin', 'HOME': data,
        'LANG': 'C.UTF-8', 'S3_DATA': data,
        'S3_LISTEN': '127.0.0.1:%d' % port,
        'S3_GATEWAY': urllib.parse.urlparse(ceph.endpoint).netloc,
        'S3_GATEWAY_ACCESS_KEY': ceph.access_key,
        'S3_GATEWAY_SECRET_KEY': ceph.secret_key,
    }
    try:
        p = subprocess.run([run_sh], env=env, capture_output=True,
                           timeout=60, stdin=subprocess.DEVNULL)
        assert p.returncode == 0, p.stderr.decode()
        creds = {}
        for line in open(os.path.join(data, 'credentials')):
            k, v = line.split(' ', 1)[1].strip().split('=', 1)
            creds[k] = v
        import boto3
        import botocore.config
        c = boto3.client(
            's3', endpoint_url=creds['AWS_ENDPOINT_URL'],
            aws_access_key_id=creds['AWS_ACCESS_KEY_ID'],
            aws_secret_access_key=creds['AWS_SECRET_ACCESS_KEY'],
            region_name='us-east-1',
            config=botocore.config.Config(s3={'addressing_style': 'path'}))
        name = new_bucket_name('rungw')
        c.create_bucket(Bucket=name)
        c.put_object(Bucket=name, Key='k', Body=b'through run.sh')
        assert rgw.get_object(Bucket=name, Key='k')['Body'].read() \
            == b'through run.sh'
        assert c.get_object(Bucket=name, Key='k')['Body'].read() \
            == b'through run.sh'
    finally:
        subprocess.run([run_sh, 'stop'], env=env, capture_output=True,
                       timeout=60, stdin=subprocess.DEVNULL)
        log = os.path.join(data, 'nginx', 'logs', 'error.log')
        text = open(log).read() if os.path.exists(log) else ''
        shutil.rmtree(data, ignore_errors=True)
    bad = [ln for ln in text.splitlines()
           if '[alert]' in ln or '[emerg]' in ln or '[crit]' in ln]
    assert not bad, bad
