"""Bucket usage and quotas: the metadata process keeps each bucket's
objects and bytes (and its uploads' parts) exact in the batch of every
change; `s3-admin bucket stats` reads it in O(1).  Checked against a full
recount through the S3 API after a mixed workload with overwrites,
deletes, copies, multipart uploads and a kill -9 of the metadata process;
an s3_quota refuses the write that would pass it and no other."""

import concurrent.futures
import os
import shutil
import subprocess

import pytest

from conftest import boto_client, new_bucket_name
from s3admin import admin_kwargs, cli, cli_ok
from s3raw import KeepAlive, assert_error, assert_ok

MIB = 1024 * 1024
QUOTA_OBJ = new_bucket_name('quota-obj')
QUOTA_SIZE = new_bucket_name('quota-size')


@pytest.fixture(scope='module')
def usrv(tmp_path_factory):
    import s3server
    extra = ('    s3_quota %s max_objects=3;\n'
             '    s3_quota %s max_size=%d;\n'
             % (QUOTA_OBJ, QUOTA_SIZE, 12 * MIB))
    srv = s3server.S3Server(name='usage', **admin_kwargs(None,
                                                         http_extra=extra))
    srv.start()
    yield srv
    srv.teardown()


def stats(srv, bucket):
    doc = cli_ok(srv, 'bucket', 'stats', bucket)
    return {k: doc[k] for k in ('objects', 'bytes', 'versions',
                                'version_bytes', 'parts', 'part_bytes')}


def recount(s3, bucket):
    """What the usage must be, from the S3 API."""

    objects = size = parts = part_bytes = 0
    for page in s3.get_paginator('list_objects_v2').paginate(Bucket=bucket):
        for o in page.get('Contents', []):
            objects += 1
            size += o['Size']
    ups = s3.list_multipart_uploads(Bucket=bucket).get('Uploads', [])
    for u in ups:
        for p in s3.list_parts(Bucket=bucket, Key=u['Key'],
                               UploadId=u['UploadId']).get('Parts', []):
            parts += 1
            part_bytes += p['Size']
    return {'objects': objects, 'bytes': size, 'versions': 0,
            'version_bytes': 0, 'parts': parts, 'part_bytes': part_bytes}


def mixed_workload(s3, bkt, tag):
    s3.put_object(Bucket=bkt, Key=tag + 'a', Body=os.urandom(1000))
    s3.put_object(Bucket=bkt, Key=tag + 'a', Body=os.urandom(3000))  # over
    s3.put_object(Bucket=bkt, Key=tag + 'b', Body=os.urandom(500))
    s3.delete_object(Bucket=bkt, Key=tag + 'b')
    s3.delete_object(Bucket=bkt, Key=tag + 'never')                  # none
    s3.copy_object(Bucket=bkt, Key=tag + 'c',
                   CopySource={'Bucket': bkt, 'Key': tag + 'a'})
    s3.copy_object(Bucket=bkt, Key=tag + 'a',                        # over
                   CopySource={'Bucket': bkt, 'Key': tag + 'c'},
                   MetadataDirective='REPLACE', Metadata={'x': 'y'})
    # a completed upload (one part sent twice), an aborted one, an open one
    up = s3.create_multipart_upload(Bucket=bkt, Key=tag + 'mp')
    uid = up['UploadId']
    s3.upload_part(Bucket=bkt, Key=tag + 'mp', UploadId=uid, PartNumber=1,
                   Body=os.urandom(5 * MIB))
    e1 = s3.upload_part(Bucket=bkt, Key=tag + 'mp', UploadId=uid,
                        PartNumber=1, Body=os.urandom(5 * MIB + 7))['ETag']
    e2 = s3.upload_part(Bucket=bkt, Key=tag + 'mp', UploadId=uid,
                        PartNumber=2, Body=os.urandom(100))['ETag']
    s3.upload_part(Bucket=bkt, Key=tag + 'mp', UploadId=uid, PartNumber=3,
                   Body=os.urandom(200))                    # left out
    s3.complete_multipart_upload(
        Bucket=bkt, Key=tag + 'mp', UploadId=uid,
        MultipartUpload={'Parts': [{'PartNumber': 1, 'ETag': e1},
                                   {'PartNumber': 2, 'ETag': e2}]})
    up = s3.create_multipart_upload(Bucket=bkt, Key=tag + 'ab')
    s3.upload_part(Bucket=bkt, Key=tag + 'ab', UploadId=up['UploadId'],
                   PartNumber=1, Body=os.urandom(1234))
    s3.abort_multipart_upload(Bucket=bkt, Key=tag + 'ab',
                              UploadId=up['UploadId'])
    up = s3.create_multipart_upload(Bucket=bkt, Key=tag + 'open')
    s3.upload_part(Bucket=bkt, Key=tag + 'open', UploadId=up['UploadId'],
                   PartNumber=1, Body=os.urandom(4321))
    s3.upload_part_copy(Bucket=bkt, Key=tag + 'open',
                        UploadId=up['UploadId'], PartNumber=2,
                        CopySource={'Bucket': bkt, 'Key': tag + 'a'})


def test_usage_equals_a_recount(usrv):
    s3 = boto_client(usrv)
    bkt = new_bucket_name('usage')
    s3.create_bucket(Bucket=bkt)
    assert stats(usrv, bkt) == recount(s3, bkt)

    mixed_workload(s3, bkt, 'x/')
    want = recount(s3, bkt)
    assert want['objects'] == 3 and want['parts'] == 2
    assert stats(usrv, bkt) == want

    # all buckets at once, and the table form
    doc = cli_ok(usrv, 'bucket', 'stats')
    row = [b for b in doc['buckets'] if b['name'] == bkt][0]
    assert row['bytes'] == want['bytes']
    rc, _ = cli(usrv, 'bucket', 'stats', new_bucket_name('missing'))
    assert rc == 1

    # parallel writers of one bucket: still exact
    def one(i):
        c = boto_client(usrv)
        for j in range(5):
            c.put_object(Bucket=bkt, Key='p/%d' % (j % 3),
                         Body=os.urandom(100 * i + j))
            if j == 3:
                c.delete_object(Bucket=bkt, Key='p/%d' % ((i + j) % 3))

    with concurrent.futures.ThreadPoolExecutor(6) as ex:
        list(ex.map(one, range(6)))
    assert stats(usrv, bkt) == recount(s3, bkt)

    # kill -9 of the metadata process between and during writes
    usrv.kill_helper()
    mixed_workload(s3, bkt, 'y/')

    def writes(i):
        c = boto_client(usrv)
        for j in range(20):
            try:
                c.put_object(Bucket=bkt, Key='k/%d/%d' % (i, j % 4),
                             Body=os.urandom(j * 10))
            except Exception:                       # noqa: BLE001
                pass

    with concurrent.futures.ThreadPoolExecutor(4) as ex:
        futs = [ex.submit(writes, i) for i in range(4)]
        usrv.kill_helper(wait=False)
        for f in futs:
            f.result()
    s3.list_buckets()                               # served again
    assert stats(usrv, bkt) == recount(s3, bkt)

    # an empty bucket goes with its usage; one made again starts at 0
    for page in s3.get_paginator('list_objects_v2').paginate(Bucket=bkt):
        for o in page.get('Contents', []):
            s3.delete_object(Bucket=bkt, Key=o['Key'])
    s3.delete_bucket(Bucket=bkt)
    s3.create_bucket(Bucket=bkt)
    assert stats(usrv, bkt) == recount(s3, bkt)
    assert stats(usrv, bkt)['objects'] == 0
    s3.delete_bucket(Bucket=bkt)


def test_quota_objects(usrv):
    s3 = boto_client(usrv)
    bkt = QUOTA_OBJ
    s3.create_bucket(Bucket=bkt)
    for i in range(3):
        s3.put_object(Bucket=bkt, Key='k%d' % i, Body=b'x' * i)

    ka = KeepAlive(usrv)
    r = ka.request('PUT', '/%s/k3' % bkt, body=b'four')
    assert_error(r, 403, 'QuotaExceeded')
    assert_ok(ka.request('GET', '/%s/k2' % bkt))        # same connection
    # as clients send it: Expect, then the body after the 100
    ka.send(ka.head('PUT', '/%s/k3' % bkt, body=b'four',
                    headers={'Expect': '100-continue'}))
    assert ka.response('PUT').status == 100
    ka.send(b'four')
    assert_error(ka.response('PUT'), 403, 'QuotaExceeded')
    assert_ok(ka.request('GET', '/%s/k2' % bkt))
    ka.close()

    # a copy and an upload's completion are writes too
    with pytest.raises(Exception) as e:
        s3.copy_object(Bucket=bkt, Key='k4',
                       CopySource={'Bucket': bkt, 'Key': 'k1'})
    assert e.value.response['Error']['Code'] == 'QuotaExceeded'
    up = s3.create_multipart_upload(Bucket=bkt, Key='mp')
    etag = s3.upload_part(Bucket=bkt, Key='mp', UploadId=up['UploadId'],
                          PartNumber=1, Body=b'part')['ETag']
    with pytest.raises(Exception) as e:
        s3.complete_multipart_upload(
            Bucket=bkt, Key='mp', UploadId=up['UploadId'],
            MultipartUpload={'Parts': [{'PartNumber': 1, 'ETag': etag}]})
    assert e.value.response['Error']['Code'] == 'QuotaExceeded'
    s3.abort_multipart_upload(Bucket=bkt, Key='mp', UploadId=up['UploadId'])

    # nothing changed; an overwrite adds no object and passes
    assert sorted(o['Key'] for o in
                  s3.list_objects_v2(Bucket=bkt)['Contents']) == \
        ['k0', 'k1', 'k2']
    s3.put_object(Bucket=bkt, Key='k1', Body=b'again')
    assert s3.get_object(Bucket=bkt, Key='k1')['Body'].read() == b'again'
    assert stats(usrv, bkt) == recount(s3, bkt)

    # a delete makes room for exactly one
    s3.delete_object(Bucket=bkt, Key='k0')
    s3.put_object(Bucket=bkt, Key='k5', Body=b'five')
    with pytest.raises(Exception) as e:
        s3.put_object(Bucket=bkt, Key='k6', Body=b'six')
    assert e.value.response['Error']['Code'] == 'QuotaExceeded'
    for k in ('k1', 'k2', 'k5'):
        s3.delete_object(Bucket=bkt, Key=k)
    s3.delete_bucket(Bucket=bkt)


def test_quota_size(usrv):
    s3 = boto_client(usrv)
    bkt = QUOTA_SIZE
    s3.create_bucket(Bucket=bkt)
    s3.put_object(Bucket=bkt, Key='a', Body=b'a' * (6 * MIB))

    # parts of an upload in progress count
    up = s3.create_multipart_upload(Bucket=bkt, Key='mp')
    uid = up['UploadId']
    e1 = s3.upload_part(Bucket=bkt, Key='mp', UploadId=uid, PartNumber=1,
                        Body=b'p' * (5 * MIB))['ETag']
    # 11 MiB stored: 1 MiB + 1 byte more would pass 12 MiB
    ka = KeepAlive(usrv)
    r = ka.request('PUT', '/%s/b' % bkt, body=b'b' * (MIB + 1))
    assert_error(r, 403, 'QuotaExceeded')
    r = ka.request('PUT', '/%s/mp' % bkt,
                   query=[('partNumber', '2'), ('uploadId', uid)],
                   body=b'q' * (MIB + 1))
    assert_error(r, 403, 'QuotaExceeded')
    assert_ok(ka.request('HEAD', '/%s/a' % bkt))
    ka.close()
    with pytest.raises(Exception) as e:
        s3.copy_object(Bucket=bkt, Key='c',
                       CopySource={'Bucket': bkt, 'Key': 'a'})
    assert e.value.response['Error']['Code'] == 'QuotaExceeded'
    assert [o['Key'] for o in
            s3.list_objects_v2(Bucket=bkt)['Contents']] == ['a']
    assert stats(usrv, bkt) == recount(s3, bkt)

    # exactly up to the quota passes
    s3.put_object(Bucket=bkt, Key='b', Body=b'b' * MIB)
    assert stats(usrv, bkt)['bytes'] + stats(usrv, bkt)['part_bytes'] == \
        12 * MIB
    # completing turns parts into an object: no new bytes, it passes
    s3.complete_multipart_upload(
        Bucket=bkt, Key='mp', UploadId=uid,
        MultipartUpload={'Parts': [{'PartNumber': 1, 'ETag': e1}]})
    # an overwrite by something smaller passes at the limit
    s3.put_object(Bucket=bkt, Key='a', Body=b'small')
    assert stats(usrv, bkt) == recount(s3, bkt)
    for k in ('a', 'b', 'mp'):
        s3.delete_object(Bucket=bkt, Key=k)
    assert stats(usrv, bkt)['bytes'] == 0
    s3.delete_bucket(Bucket=bkt)


def test_quota_directive_checked():
    import s3server
    for bad in ('s3_quota b;', 's3_quota b max_size=x;',
                's3_quota b max_objects=1 color=red;',
                's3_quota b max_objects=1; s3_quota b max_size=1m;'):
        srv = s3server.S3Server(name='quota-bad', http_extra='    ' + bad)
        try:
            srv.port = s3server.free_port()
            srv.write_conf()
            env = dict(os.environ)
            s3server._sanitizer_env(env, srv.tag)     # an ASan build
            p = subprocess.run([s3server.NGINX, '-t', '-p', srv.tmp + '/',
                                '-c', srv.conf, '-e', srv.error_log],
                               capture_output=True, text=True, timeout=30,
                               env=env)
            assert p.returncode != 0, bad
            assert '"s3_quota"' in p.stderr or 'parameter' in p.stderr, \
                p.stderr
        finally:
            shutil.rmtree(srv.tmp, ignore_errors=True)


@pytest.mark.skipif(__import__('s3store').plyvel is None,
                    reason='python3-plyvel is missing')
def test_old_database_counted_at_open(make_server):
    """A database written before usage existed (no N records, no marker)
    is counted once when the metadata process opens it; a stale record
    left by an interrupted count goes."""

    import s3store
    srv = make_server(**admin_kwargs(None))
    s3 = boto_client(srv)
    bkt = new_bucket_name('old')
    s3.create_bucket(Bucket=bkt)
    mixed_workload(s3, bkt, 'o/')
    want = recount(s3, bkt)
    assert stats(srv, bkt) == want
    srv.stop()
    with s3store.Db(srv) as db:
        assert db.get(b'C') is not None
        for k, _ in list(db.prefix(b'C')):
            db.delete(k)
        db.put(b'C' + b'gone-bucket', b'\x3c\0\0\0\x08' + b'\0' * 7 + b'\x05')
    srv.start()
    assert stats(srv, bkt) == want
    assert 'usage counted' in open(srv.error_log).read()
    srv.stop()
    with s3store.Db(srv) as db:
        assert db.get(b'Cgone-bucket') is None
    srv.start()
