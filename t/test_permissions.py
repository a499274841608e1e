"""Bucket ownership and per-bucket grants: each user sees and uses its own
buckets; the owner or the operator grants another user read or write with
scripts/s3-admin; every S3 operation family is checked against the grant,
on every worker, from the next request on."""

import json
import os
import subprocess

import pytest

import s3server
import sigv4
from conftest import boto_client, new_bucket_name
from s3admin import (admin_kwargs, cli, cli_ok, fresh_requests,
                     new_user_key, write_key_file)
from s3raw import (assert_error, assert_ok, client_error, request,
                   url_request)

AWS = '/usr/bin/aws'


@pytest.fixture(scope='module')
def pserver(tmp_path_factory):
    d = tmp_path_factory.mktemp('keyfile')
    kf = write_key_file(str(d / 's3.key'), [os.urandom(32)])
    srv = s3server.S3Server(name='perms', **admin_kwargs(kf))
    srv.start()
    yield srv
    srv.teardown()


class User:
    def __init__(self, server, name):
        self.name = name
        self.ak, self.sk = new_user_key(server, name)
        self.s3 = boto_client(server, self.ak, self.sk)


@pytest.fixture(scope='module')
def alice(pserver):
    return User(pserver, 'alice')


@pytest.fixture(scope='module')
def bob(pserver):
    return User(pserver, 'bob')


def names(s3):
    return sorted(b['Name'] for b in s3.list_buckets()['Buckets'])


def test_each_user_sees_its_own_buckets(pserver, alice, bob):
    root = boto_client(pserver)
    a = new_bucket_name('alice-own')
    b = new_bucket_name('bob-own')
    alice.s3.create_bucket(Bucket=a)
    bob.s3.create_bucket(Bucket=b)

    assert a in names(alice.s3) and b not in names(alice.s3)
    assert b in names(bob.s3) and a not in names(bob.s3)
    assert a in names(root) and b in names(root)

    owner = alice.s3.list_buckets()['Owner']
    assert owner == {'ID': 'alice', 'DisplayName': 'alice'}

    # a name another user owns, and one's own again
    with client_error(409, 'BucketAlreadyExists'):
        bob.s3.create_bucket(Bucket=a)
    with client_error(409, 'BucketAlreadyOwnedByYou'):
        alice.s3.create_bucket(Bucket=a)
    with client_error(409, 'BucketAlreadyExists'):
        root.create_bucket(Bucket=a)

    buckets = {x['name']: x for x in cli_ok(pserver, 'bucket', 'list')
               ['buckets']}
    assert buckets[a]['owner'] == 'alice' and buckets[a]['grants'] == []
    assert buckets[b]['owner'] == 'bob'

    # a bucket that does not exist is NoSuchBucket, as for its owner
    with client_error(404, 'NoSuchBucket'):
        bob.s3.list_objects_v2(Bucket=new_bucket_name('nobody'))


# every operation family: what no grant, read, write and the owner may do

def _ops(s3, bucket):
    """name -> a call that succeeds for someone who may do it"""

    return {
        'ListObjectsV2': lambda: s3.list_objects_v2(Bucket=bucket),
        'ListObjects': lambda: s3.list_objects(Bucket=bucket),
        'ListObjectVersions': lambda: s3.list_object_versions(Bucket=bucket),
        'HeadBucket': lambda: s3.head_bucket(Bucket=bucket),
        'GetBucketLocation': lambda: s3.get_bucket_location(Bucket=bucket),
        'GetBucketVersioning':
            lambda: s3.get_bucket_versioning(Bucket=bucket),
        'GetObject': lambda: s3.get_object(Bucket=bucket, Key='obj'),
        'HeadObject': lambda: s3.head_object(Bucket=bucket, Key='obj'),
        'PutObject': lambda: s3.put_object(Bucket=bucket, Key='new',
                                           Body=b'new'),
        'DeleteObject': lambda: s3.delete_object(Bucket=bucket, Key='new'),
        'DeleteObjects': lambda: s3.delete_objects(
            Bucket=bucket, Delete={'Objects': [{'Key': 'gone'}]}),
    }


READ = {'ListObjectsV2', 'ListObjects', 'ListObjectVersions', 'HeadBucket',
        'GetBucketLocation', 'GetBucketVersioning', 'GetObject',
        'HeadObject'}
WRITE = READ | {'PutObject', 'DeleteObject', 'DeleteObjects'}


def _check_ops(s3, bucket, allowed):
    import botocore.exceptions
    got = {}
    for name, call in _ops(s3, bucket).items():
        try:
            call()
            got[name] = 'ok'
        except botocore.exceptions.ClientError as e:
            r = e.response
            got[name] = (r['ResponseMetadata']['HTTPStatusCode'],
                         r['Error']['Code'])
    want = {n: ('ok' if n in allowed else
                (403, 'AccessDenied') if not n.startswith('Head')
                else (403, '403'))
            for n in got}
    assert got == want


def test_operation_families_follow_the_grant(pserver, alice, bob):
    bucket = new_bucket_name('families')
    alice.s3.create_bucket(Bucket=bucket)
    alice.s3.put_object(Bucket=bucket, Key='obj', Body=b'alice data')

    _check_ops(bob.s3, bucket, set())

    cli_ok(pserver, 'grant', bucket, 'bob', 'read')
    _check_ops(bob.s3, bucket, READ)
    assert bob.s3.get_object(Bucket=bucket, Key='obj')['Body'].read() \
        == b'alice data'
    assert bucket in names(bob.s3)

    cli_ok(pserver, 'grant', bucket, 'bob', 'write')
    _check_ops(bob.s3, bucket, WRITE)
    doc = cli_ok(pserver, 'bucket', 'list')
    b = [x for x in doc['buckets'] if x['name'] == bucket][0]
    assert b['grants'] == [{'user': 'bob', 'permission': 'write'}]

    # write is not ownership: the bucket itself stays alice's
    with client_error(403, 'AccessDenied'):
        bob.s3.delete_bucket(Bucket=bucket)

    cli_ok(pserver, 'revoke', bucket, 'bob')
    _check_ops(bob.s3, bucket, set())
    assert bucket not in names(bob.s3)

    # the owner may do all of it, and the data is alice's as she left it
    _check_ops(alice.s3, bucket, WRITE)
    assert alice.s3.get_object(Bucket=bucket, Key='obj')['Body'].read() \
        == b'alice data'


def test_grants_reach_every_worker(pserver, alice, bob):
    bucket = new_bucket_name('workers')
    alice.s3.create_bucket(Bucket=bucket)
    alice.s3.put_object(Bucket=bucket, Key='obj', Body=b'x')
    path = '/%s/obj' % bucket

    for r in fresh_requests(pserver, 'GET', path, bob.ak, bob.sk):
        assert_error(r, 403, 'AccessDenied')
    cli_ok(pserver, 'grant', bucket, 'bob', 'read')
    for r in fresh_requests(pserver, 'GET', path, bob.ak, bob.sk):
        assert_ok(r)
    for r in fresh_requests(pserver, 'PUT', path, bob.ak, bob.sk,
                            body=b'no'):
        assert_error(r, 403, 'AccessDenied')
    cli_ok(pserver, 'grant', bucket, 'bob', 'write')
    for r in fresh_requests(pserver, 'PUT', path, bob.ak, bob.sk,
                            body=b'yes'):
        assert_ok(r)
    cli_ok(pserver, 'revoke', bucket, 'bob')
    for r in fresh_requests(pserver, 'GET', path, bob.ak, bob.sk):
        assert_error(r, 403, 'AccessDenied')
    # what was written under the grant stays
    assert alice.s3.get_object(Bucket=bucket, Key='obj')['Body'].read() \
        == b'yes'


def test_presigned_urls_carry_the_signers_rights(pserver, alice, bob):
    bucket = new_bucket_name('presigned')
    alice.s3.create_bucket(Bucket=bucket)
    alice.s3.put_object(Bucket=bucket, Key='obj', Body=b'shared')
    path = '/%s/obj' % bucket

    def url(user):
        pairs = sigv4.presign('GET', pserver.host, path, [], user.ak,
                              user.sk)
        return path + '?' + sigv4.wire_query(pairs)

    assert url_request(pserver, 'GET', url(alice)).body == b'shared'
    bob_url = url(bob)
    assert_error(url_request(pserver, 'GET', bob_url), 403, 'AccessDenied')
    cli_ok(pserver, 'grant', bucket, 'bob', 'read')
    assert url_request(pserver, 'GET', bob_url).body == b'shared'
    # boto3's own presigned URL (SigV2 query for us-east-1 in boto3 1.26)
    u = bob.s3.generate_presigned_url('get_object',
                                      Params={'Bucket': bucket, 'Key': 'obj'})
    path_query = u.split(pserver.host, 1)[1]
    assert url_request(pserver, 'GET', path_query).body == b'shared'
    cli_ok(pserver, 'revoke', bucket, 'bob')
    assert_error(url_request(pserver, 'GET', bob_url), 403, 'AccessDenied')
    assert_error(url_request(pserver, 'GET', path_query), 403,
                 'AccessDenied')


def test_deleted_bucket_takes_its_grants(pserver, alice, bob):
    bucket = new_bucket_name('reborn')
    alice.s3.create_bucket(Bucket=bucket)
    cli_ok(pserver, 'grant', bucket, 'bob', 'write')
    alice.s3.delete_bucket(Bucket=bucket)

    # the name is free; bob's bucket of that name is bob's alone
    bob.s3.create_bucket(Bucket=bucket)
    with client_error(403, 'AccessDenied'):
        alice.s3.list_objects_v2(Bucket=bucket)
    doc = cli_ok(pserver, 'bucket', 'list')
    b = [x for x in doc['buckets'] if x['name'] == bucket][0]
    assert b['owner'] == 'bob' and b['grants'] == []


def test_user_delete_takes_its_grants(pserver, alice):
    bucket = new_bucket_name('leaver')
    alice.s3.create_bucket(Bucket=bucket)
    carol = User(pserver, 'carol')
    cli_ok(pserver, 'grant', bucket, 'carol', 'read')
    carol.s3.list_objects_v2(Bucket=bucket)
    cli_ok(pserver, 'user', 'delete', 'carol')

    # a new carol is someone else: no grant of the old one
    carol2 = User(pserver, 'carol')
    with client_error(403, 'AccessDenied'):
        carol2.s3.list_objects_v2(Bucket=bucket)
    doc = cli_ok(pserver, 'bucket', 'list')
    b = [x for x in doc['buckets'] if x['name'] == bucket][0]
    assert b['grants'] == []


def test_grant_errors(pserver, alice):
    bucket = new_bucket_name('granterr')
    alice.s3.create_bucket(Bucket=bucket)
    rc, doc = cli(pserver, 'grant', new_bucket_name('none'), 'alice', 'read')
    assert rc == 1 and doc['code'] == 'NoSuchBucket'
    rc, doc = cli(pserver, 'grant', bucket, 'nobody', 'read')
    assert rc == 1 and doc['code'] == 'NoSuchUser'
    r = request(pserver, 'PUT', '/.s3-admin/grants/%s/alice' % bucket,
                query=[('permission', 'all')])
    assert r.status == 400 and b'InvalidArgument' in r.body
    r = request(pserver, 'PUT', '/.s3-admin/grants/%s' % bucket)
    assert r.status == 404 and b'NoSuchResource' in r.body
    # revoking what was never granted changes nothing
    cli_ok(pserver, 'revoke', bucket, 'alice')


def test_aws_cli_follows_the_grant(pserver, alice, bob, tmp_path):
    bucket = new_bucket_name('awscli')
    alice.s3.create_bucket(Bucket=bucket)
    alice.s3.put_object(Bucket=bucket, Key='obj', Body=b'for the cli')
    env = dict(os.environ, AWS_ACCESS_KEY_ID=bob.ak,
               AWS_SECRET_ACCESS_KEY=bob.sk, AWS_DEFAULT_REGION='us-east-1',
               AWS_CONFIG_FILE='/dev/null',
               AWS_SHARED_CREDENTIALS_FILE='/dev/null')
    up = tmp_path / 'up.txt'
    up.write_bytes(b'from bob')

    def aws(*args):
        return subprocess.run([AWS, '--endpoint-url', pserver.endpoint,
                               's3'] + list(args), env=env,
                              capture_output=True, timeout=60)

    ls = aws('ls', 's3://%s/' % bucket)
    assert ls.returncode != 0 and b'AccessDenied' in ls.stderr

    cli_ok(pserver, 'grant', bucket, 'bob', 'read')
    get = aws('cp', 's3://%s/obj' % bucket, str(tmp_path / 'down'))
    assert get.returncode == 0, get.stderr
    assert (tmp_path / 'down').read_bytes() == b'for the cli'
    put = aws('cp', str(up), 's3://%s/up.txt' % bucket)
    assert put.returncode != 0 and b'AccessDenied' in put.stderr

    cli_ok(pserver, 'grant', bucket, 'bob', 'write')
    put = aws('cp', str(up), 's3://%s/up.txt' % bucket)
    assert put.returncode == 0, put.stderr
    assert alice.s3.get_object(Bucket=bucket, Key='up.txt')['Body'].read() \
        == b'from bob'


def test_multipart_follows_the_grant(pserver, alice, bob):
    """Multipart uploads are writes (listing uploads and parts: reads)."""

    bucket = new_bucket_name('mpu')
    alice.s3.create_bucket(Bucket=bucket)
    part = b'p' * (5 * 1024 * 1024)

    def upload(s3):
        up = s3.create_multipart_upload(Bucket=bucket, Key='big')
        uid = up['UploadId']
        etag = s3.upload_part(Bucket=bucket, Key='big', UploadId=uid,
                              PartNumber=1, Body=part)['ETag']
        s3.list_parts(Bucket=bucket, Key='big', UploadId=uid)
        s3.list_multipart_uploads(Bucket=bucket)
        s3.complete_multipart_upload(
            Bucket=bucket, Key='big', UploadId=uid,
            MultipartUpload={'Parts': [{'PartNumber': 1, 'ETag': etag}]})

    with client_error(403, 'AccessDenied'):
        bob.s3.create_multipart_upload(Bucket=bucket, Key='big')

    # alice's upload in progress: bob may list it with read, not abort it
    up = alice.s3.create_multipart_upload(Bucket=bucket, Key='left')
    with client_error(403, 'AccessDenied'):
        bob.s3.list_multipart_uploads(Bucket=bucket)
    cli_ok(pserver, 'grant', bucket, 'bob', 'read')
    assert [u['Key'] for u in bob.s3.list_multipart_uploads(
        Bucket=bucket)['Uploads']] == ['left']
    bob.s3.list_parts(Bucket=bucket, Key='left', UploadId=up['UploadId'])
    with client_error(403, 'AccessDenied'):
        bob.s3.abort_multipart_upload(Bucket=bucket, Key='left',
                                      UploadId=up['UploadId'])
    with client_error(403, 'AccessDenied'):
        bob.s3.create_multipart_upload(Bucket=bucket, Key='big')

    cli_ok(pserver, 'grant', bucket, 'bob', 'write')
    upload(bob.s3)
    assert alice.s3.head_object(Bucket=bucket, Key='big')['ContentLength'] \
        == len(part)
    bob.s3.abort_multipart_upload(Bucket=bucket, Key='left',
                                  UploadId=up['UploadId'])


def test_copy_reads_the_source_and_writes_the_target(pserver, alice, bob):
    src = new_bucket_name('copysrc')
    dst = new_bucket_name('copydst')
    alice.s3.create_bucket(Bucket=src)
    alice.s3.put_object(Bucket=src, Key='obj', Body=b'to copy')
    bob.s3.create_bucket(Bucket=dst)
    source = {'Bucket': src, 'Key': 'obj'}

    # no right on the source: refused, nothing written
    with client_error(403, 'AccessDenied'):
        bob.s3.copy_object(Bucket=dst, Key='copy', CopySource=source)
    with client_error(404, '404'):
        bob.s3.head_object(Bucket=dst, Key='copy')

    cli_ok(pserver, 'grant', src, 'bob', 'read')
    bob.s3.copy_object(Bucket=dst, Key='copy', CopySource=source)
    assert bob.s3.get_object(Bucket=dst, Key='copy')['Body'].read() \
        == b'to copy'

    # reading the source is not writing it: no copy into alice's bucket
    with client_error(403, 'AccessDenied'):
        bob.s3.copy_object(Bucket=src, Key='copy',
                           CopySource={'Bucket': dst, 'Key': 'copy'})

    # UploadPartCopy reads its source the same way
    up = bob.s3.create_multipart_upload(Bucket=dst, Key='mp')
    bob.s3.upload_part_copy(Bucket=dst, Key='mp', UploadId=up['UploadId'],
                            PartNumber=1, CopySource=source)
    cli_ok(pserver, 'revoke', src, 'bob')
    with client_error(403, 'AccessDenied'):
        bob.s3.upload_part_copy(Bucket=dst, Key='mp',
                                UploadId=up['UploadId'], PartNumber=2,
                                CopySource=source)
    bob.s3.abort_multipart_upload(Bucket=dst, Key='mp',
                                  UploadId=up['UploadId'])

    # a policy on the source decides too: a prefix allowed to bob
    alice.s3.put_object(Bucket=src, Key='shared/x', Body=b'shared')
    alice.s3.put_bucket_policy(Bucket=src, Policy=json.dumps({
        'Version': '2012-10-17', 'Statement': [{
            'Effect': 'Allow',
            'Principal': {'AWS': 'arn:aws:iam:::user/bob'},
            'Action': 's3:GetObject',
            'Resource': 'arn:aws:s3:::%s/shared/*' % src}]}))
    bob.s3.copy_object(Bucket=dst, Key='x',
                       CopySource={'Bucket': src, 'Key': 'shared/x'})
    with client_error(403, 'AccessDenied'):
        bob.s3.copy_object(Bucket=dst, Key='y', CopySource=source)
