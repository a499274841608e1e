"""Small bodies stored inline (s3_inline_max): the bytes are "I<body id>"
in the database, written with the record, no body file; GET, HEAD,
ranges, conditions, copies, versions and deletes work as for files, and
a body whose last record goes takes its I record with it."""

import base64
import hashlib
import os
import shutil
import struct
import subprocess
import time
import zlib

import pytest

import s3store
from conftest import boto_client, new_bucket_name
from s3raw import assert_error, assert_ok, request
from sigv4 import key_path

pytestmark = pytest.mark.skipif(s3store.plyvel is None,
                                reason='python3-plyvel is missing')

FLAG_INLINE = 0x02
TAG_FLAGS = 14


def put(srv, bucket, key, body, headers=None):
    return assert_ok(request(srv, 'PUT', key_path(bucket, key), body=body,
                             headers=headers))


def get(srv, bucket, key, headers=None, query=(), method='GET'):
    return request(srv, method, key_path(bucket, key), query=query,
                   headers=headers)


def new_bucket(srv, versioning=False):
    s3 = boto_client(srv)
    b = new_bucket_name('inl')
    s3.create_bucket(Bucket=b)
    if versioning:
        s3.put_bucket_versioning(Bucket=b, VersioningConfiguration={
            'Status': 'Enabled'})
    return s3, b


def body_of(data):
    """{'id', 'inline'} of an object record."""

    f = s3store.decode(data)
    flags = int.from_bytes(f.get(TAG_FLAGS, b'\0'), 'big')
    return f[s3store.TAG_BODY].decode(), bool(flags & FLAG_INLINE)


def stored(srv, bucket, keys):
    """Stop, read each key's current body and the I records, start."""

    srv.stop()
    try:
        with s3store.Db(srv) as db:
            out = {k: body_of(db.object(bucket, k)) for k in keys}
            inline = db.inline()
    finally:
        srv.start()
    return out, inline


def test_put_get_head_inline(make_server):
    srv = make_server()
    s3, b = new_bucket(srv)
    data = os.urandom(5000)
    etag = '"%s"' % hashlib.md5(data).hexdigest()

    s3.put_object(Bucket=b, Key='small', Body=data, ContentType='x/y',
                  Metadata={'m': '1'}, ChecksumAlgorithm='CRC32')

    # no body file: the bytes are in the database, with the record
    assert s3store.body_ids(srv) == set()
    (bid, inl), = stored(srv, b, ['small'])[0].values()
    assert inl
    assert stored(srv, b, [])[1] == {bid: data}

    s3 = boto_client(srv)
    got = s3.get_object(Bucket=b, Key='small', ChecksumMode='ENABLED')
    assert got['Body'].read() == data
    assert got['ETag'] == etag
    assert got['ContentType'] == 'x/y'
    assert got['Metadata'] == {'m': '1'}
    crc = base64.b64encode(zlib.crc32(data).to_bytes(4, 'big')).decode()
    assert got['ChecksumCRC32'] == crc

    head = s3.head_object(Bucket=b, Key='small')
    assert head['ContentLength'] == 5000 and head['ETag'] == etag

    r = assert_ok(get(srv, b, 'small', method='HEAD'))
    assert r.body == b'' and r.headers['Content-Length'] == '5000'

    # ranges
    r = assert_ok(get(srv, b, 'small', {'Range': 'bytes=100-199'}), 206)
    assert r.body == data[100:200]
    assert r.headers['Content-Range'] == 'bytes 100-199/5000'
    r = assert_ok(get(srv, b, 'small', {'Range': 'bytes=-10'}), 206)
    assert r.body == data[-10:]
    assert_error(get(srv, b, 'small', {'Range': 'bytes=6000-'}), 416,
                 'InvalidRange')

    # conditions, partNumber, response overrides
    r = get(srv, b, 'small', {'If-None-Match': etag})
    assert r.status == 304 and r.body == b''
    assert_error(get(srv, b, 'small', {'If-Match': '"nope"'}), 412,
                 'PreconditionFailed')
    r = assert_ok(get(srv, b, 'small', query=[('partNumber', '1')]), 206)
    assert r.body == data
    r = assert_ok(get(srv, b, 'small',
                      query=[('response-content-type', 'a/b')]))
    assert r.headers['Content-Type'] == 'a/b' and r.body == data

    # listing does not read the bytes but shows the object
    lst = s3.list_objects_v2(Bucket=b)['Contents']
    assert [(c['Key'], c['Size'], c['ETag']) for c in lst] == \
        [('small', 5000, etag)]

    # an empty object is inline too
    s3.put_object(Bucket=b, Key='empty', Body=b'')
    assert s3.get_object(Bucket=b, Key='empty')['Body'].read() == b''
    assert s3store.body_ids(srv) == set()

    assert_ok(request(srv, 'DELETE', key_path(b, 'small')), 204)
    assert_ok(request(srv, 'DELETE', key_path(b, 'empty')), 204)
    assert s3store.check_consistent(srv) == {}
    assert stored(srv, b, [])[1] == {}


def test_limit_exact_and_one_over(make_server):
    srv = make_server(http_extra='s3_inline_max 1000;')
    _, b = new_bucket(srv)
    at, over = os.urandom(1000), os.urandom(1001)
    put(srv, b, 'at', at)
    put(srv, b, 'over', over)

    bodies, inline = stored(srv, b, ['at', 'over'])
    assert bodies['at'][1] and not bodies['over'][1]
    assert inline == {bodies['at'][0]: at}
    assert s3store.body_ids(srv) == {bodies['over'][0]}
    assert get(srv, b, 'at').body == at
    assert get(srv, b, 'over').body == over
    s3store.check_consistent(srv)


def test_inline_max_0_stores_files(make_server):
    srv = make_server(http_extra=s3store.INLINE_OFF)
    _, b = new_bucket(srv)
    put(srv, b, 'k', b'tiny')
    put(srv, b, 'e', b'')
    bodies, inline = stored(srv, b, ['k', 'e'])
    assert inline == {}
    assert not bodies['k'][1] and not bodies['e'][1]
    assert s3store.body_ids(srv) == {bodies['k'][0], bodies['e'][0]}
    assert get(srv, b, 'k').body == b'tiny'


def test_overwrite_inline_and_file(make_server):
    srv = make_server(http_extra='s3_inline_max 4k;')
    _, b = new_bucket(srv)
    small, big = b's' * 4096, b'B' * 4097

    put(srv, b, 'k', small)
    first = stored(srv, b, ['k'])[0]['k'][0]

    # inline -> file: the I record goes in the batch, at once
    put(srv, b, 'k', big)
    bodies, inline = stored(srv, b, ['k'])
    assert inline == {} and not bodies['k'][1]
    assert s3store.body_ids(srv) == {bodies['k'][0]}
    assert get(srv, b, 'k').body == big

    # file -> inline: the file goes after the delayed unlink
    put(srv, b, 'k', small)
    bodies, inline = stored(srv, b, ['k'])
    assert bodies['k'][1] and bodies['k'][0] != first
    assert inline == {bodies['k'][0]: small}
    assert s3store.wait_body_ids(srv, set(), timeout=5) == set()
    assert get(srv, b, 'k').body == small

    # conditional overwrite of an inline object
    etag = '"%s"' % hashlib.md5(small).hexdigest()
    assert_error(request(srv, 'PUT', key_path(b, 'k'), body=b'x',
                         headers={'If-None-Match': '*'}), 412,
                 'PreconditionFailed')
    put(srv, b, 'k', b'x', headers={'If-Match': etag})
    assert get(srv, b, 'k').body == b'x'
    s3store.check_consistent(srv)


def test_versions_and_deletes(make_server):
    srv = make_server()
    s3, b = new_bucket(srv, versioning=True)
    v1 = s3.put_object(Bucket=b, Key='v', Body=b'one')['VersionId']
    v2 = s3.put_object(Bucket=b, Key='v', Body=b'two')['VersionId']
    s3.delete_object(Bucket=b, Key='v')          # a delete marker

    named = s3store.check_consistent(srv)
    inline = stored(srv, b, [])[1]
    assert sorted(inline.values()) == [b'one', b'two']
    assert set(inline) == set(named)

    got = s3.get_object(Bucket=b, Key='v', VersionId=v1)
    assert got['Body'].read() == b'one'
    r = assert_ok(get(srv, b, 'v', {'Range': 'bytes=1-1'},
                      query=[('versionId', v2)]), 206)
    assert r.body == b'w'
    head = s3.head_object(Bucket=b, Key='v', VersionId=v2)
    assert head['ContentLength'] == 3

    s3.delete_object(Bucket=b, Key='v', VersionId=v1)
    assert sorted(stored(srv, b, [])[1].values()) == [b'two']
    s3.delete_object(Bucket=b, Key='v', VersionId=v2)
    assert stored(srv, b, [])[1] == {}
    assert s3store.check_consistent(srv) == {}


def test_copies_of_inline(make_server):
    srv = make_server()
    s3, b = new_bucket(srv)
    data = os.urandom(3000)
    s3.put_object(Bucket=b, Key='src', Body=data)

    # a copy names the same inline body
    s3.copy_object(Bucket=b, Key='c1', CopySource={'Bucket': b, 'Key': 'src'})
    s3.copy_object(Bucket=b, Key='c2', CopySource={'Bucket': b, 'Key': 'c1'},
                   MetadataDirective='REPLACE', ContentType='t/t')
    bodies, inline = stored(srv, b, ['src', 'c1', 'c2'])
    ids = {v for v in bodies.values()}
    assert len(ids) == 1 and next(iter(ids))[1]
    assert s3store.check_consistent(srv) == {next(iter(ids))[0]: 3}

    # a copy that asks for a new checksum: the bytes are hashed in memory
    s3.copy_object(Bucket=b, Key='c3', CopySource={'Bucket': b, 'Key': 'src'},
                   ChecksumAlgorithm='CRC32C')
    got = s3.get_object(Bucket=b, Key='c3', ChecksumMode='ENABLED')
    assert got['Body'].read() == data and got['ChecksumCRC32C']

    s3.delete_object(Bucket=b, Key='src')
    s3.delete_object(Bucket=b, Key='c1')
    assert s3.get_object(Bucket=b, Key='c2')['Body'].read() == data
    assert s3.get_object(Bucket=b, Key='c2')['ContentType'] == 't/t'

    # UploadPartCopy from an inline source: the range becomes a part file
    big = os.urandom(5 * 1024 * 1024)
    up = s3.create_multipart_upload(Bucket=b, Key='mp',
                                    ChecksumAlgorithm='SHA256')['UploadId']
    p1 = s3.upload_part(Bucket=b, Key='mp', UploadId=up, PartNumber=1,
                        Body=big, ChecksumAlgorithm='SHA256')
    p2 = s3.upload_part_copy(Bucket=b, Key='mp', UploadId=up, PartNumber=2,
                             CopySource={'Bucket': b, 'Key': 'c2'},
                             CopySourceRange='bytes=10-1009')
    cp2 = p2['CopyPartResult']
    assert cp2['ETag'] == '"%s"' % hashlib.md5(data[10:1010]).hexdigest()
    assert cp2['ChecksumSHA256'] == base64.b64encode(
        hashlib.sha256(data[10:1010]).digest()).decode()
    parts = [{'PartNumber': 1, 'ETag': p1['ETag'],
              'ChecksumSHA256': p1['ChecksumSHA256']},
             {'PartNumber': 2, 'ETag': cp2['ETag'],
              'ChecksumSHA256': cp2['ChecksumSHA256']}]
    s3.complete_multipart_upload(Bucket=b, Key='mp', UploadId=up,
                                 MultipartUpload={'Parts': parts})
    whole = big + data[10:1010]
    assert s3.get_object(Bucket=b, Key='mp')['Body'].read() == whole
    r = assert_ok(get(srv, b, 'mp', {'Range': 'bytes=%d-%d'
                                     % (len(big) - 5, len(big) + 4)}), 206)
    assert r.body == whole[len(big) - 5:len(big) + 5]

    # the whole of it, as the one part of another upload
    up = s3.create_multipart_upload(Bucket=b, Key='mp1')['UploadId']
    p = s3.upload_part_copy(Bucket=b, Key='mp1', UploadId=up, PartNumber=1,
                            CopySource={'Bucket': b, 'Key': 'c2'})
    etag = p['CopyPartResult']['ETag']
    assert etag == '"%s"' % hashlib.md5(data).hexdigest()
    s3.complete_multipart_upload(Bucket=b, Key='mp1', UploadId=up,
                                 MultipartUpload={'Parts': [
                                     {'PartNumber': 1, 'ETag': etag}]})
    assert s3.get_object(Bucket=b, Key='mp1')['Body'].read() == data
    s3store.check_consistent(srv)

    for k in ('c2', 'c3', 'mp', 'mp1'):
        s3.delete_object(Bucket=b, Key=k)
    assert s3store.wait_body_ids(srv, set(), timeout=5) == set()
    assert s3store.check_consistent(srv) == {}
    assert stored(srv, b, [])[1] == {}


def test_replayed_part_copy_of_inline(make_server):
    """The part file made of an inline range is named by the request:
    the same request again (a worker's resend) is a replay, answered with
    the same record, and leaves one part file."""

    from test_copy import Meta, OP_PART_COPY, ST_OK, _wstr

    srv = make_server()
    s3, a = new_bucket(srv)
    s3.put_object(Bucket=a, Key='src', Body=b'replayed part' * 100)
    uid = s3.create_multipart_upload(Bucket=a, Key='k')['UploadId']
    t = int(time.time() * 1000)
    frame = (_wstr(a.encode()) + _wstr(b'src') + _wstr(a.encode())
             + _wstr(b'k') + _wstr(uid.encode()) + struct.pack('>I', 1)
             + s3store.u64(t) + bytes([1]) + s3store.u64(2)
             + s3store.u64(99)
             + bytes([0]) + _wstr(b'') + _wstr(b'') + s3store.u64(0)
             + s3store.u64(0)
             + bytes([0]) + _wstr(b'') + _wstr(b'') + _wstr(b''))
    m = Meta(srv)
    try:
        st1, rec1 = m.call(OP_PART_COPY, frame)
        st2, rec2 = m.call(OP_PART_COPY, frame)
    finally:
        m.close()
    assert (st1, st2) == (ST_OK, ST_OK) and rec1 == rec2
    named = s3store.check_consistent(srv)
    assert sorted(named.values()) == [1, 1]
    assert len(s3store.body_ids(srv)) == 1
    lp = s3.list_parts(Bucket=a, Key='k', UploadId=uid)
    assert [p['Size'] for p in lp['Parts']] == [98]
    assert lp['Parts'][0]['ETag'] == '"%s"' % hashlib.md5(
        (b'replayed part' * 100)[2:100]).hexdigest()


def test_copy_of_file_stays_file(make_server):
    srv = make_server(http_extra='s3_inline_max 100;')
    s3, b = new_bucket(srv)
    s3.put_object(Bucket=b, Key='f', Body=b'F' * 101)
    s3.copy_object(Bucket=b, Key='g', CopySource={'Bucket': b, 'Key': 'f'})
    bodies, inline = stored(srv, b, ['f', 'g'])
    assert bodies['f'] == bodies['g'] and not bodies['g'][1]
    assert inline == {}
    assert s3.get_object(Bucket=b, Key='g')['Body'].read() == b'F' * 101


AWS = '/usr/bin/aws'


@pytest.mark.skipif(not os.path.exists(AWS), reason='aws CLI missing')
def test_aws_cli_round_trip(make_server, tmp_path):
    srv = make_server()
    _, b = new_bucket(srv)
    src = tmp_path / 'in.bin'
    data = os.urandom(20000)
    src.write_bytes(data)
    config = tmp_path / 'config'
    config.write_text('[default]\nregion = %s\ns3 =\n'
                      '    addressing_style = path\n' % srv.region)
    env = {'PATH': '/usr/bin:/bin', 'HOME': str(tmp_path),
           'AWS_ACCESS_KEY_ID': srv.access_key,
           'AWS_SECRET_ACCESS_KEY': srv.secret_key,
           'AWS_DEFAULT_REGION': srv.region, 'AWS_CONFIG_FILE': str(config),
           'AWS_SHARED_CREDENTIALS_FILE': str(tmp_path / 'none'),
           'AWS_PAGER': '', 'AWS_EC2_METADATA_DISABLED': 'true'}

    def aws(*args):
        p = subprocess.run([AWS, '--endpoint-url', srv.endpoint] + list(args),
                           env=env, capture_output=True, timeout=120,
                           stdin=subprocess.DEVNULL)
        assert p.returncode == 0, p.stderr.decode('utf-8', 'replace')
        return p.stdout.decode()

    aws('s3', 'cp', str(src), 's3://%s/cli/a.bin' % b)
    aws('s3', 'cp', 's3://%s/cli/a.bin' % b, 's3://%s/cli/b.bin' % b)
    aws('s3', 'cp', 's3://%s/cli/b.bin' % b, str(tmp_path / 'out.bin'))
    assert (tmp_path / 'out.bin').read_bytes() == data
    assert s3store.body_ids(srv) == set()
    bodies, inline = stored(srv, b, ['cli/a.bin', 'cli/b.bin'])
    assert bodies['cli/a.bin'] == bodies['cli/b.bin']
    assert inline == {bodies['cli/a.bin'][0]: data}
    aws('s3', 'rm', '--recursive', 's3://%s/cli/' % b)
    assert stored(srv, b, [])[1] == {}


JS = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'js')
NODE = shutil.which('node', path='/usr/bin:/usr/local/bin')


@pytest.mark.skipif(NODE is None, reason='node not installed')
def test_js_sdk_aws_chunked_inline(make_server, tmp_path):
    """The JS SDK's default PUT (aws-chunked, CRC32 trailer): the small
    objects go inline by x-amz-decoded-content-length, the big ones to
    files, all read back with their checksums."""

    srv = make_server()
    home = tmp_path / 'home'
    home.mkdir()
    bucket = new_bucket_name('js-inline')
    env = {'PATH': '/usr/bin:/bin', 'HOME': str(home),
           'S3_ENDPOINT': srv.endpoint, 'S3_ACCESS_KEY': srv.access_key,
           'S3_SECRET_KEY': srv.secret_key, 'S3_REGION': srv.region,
           'S3_BUCKET': bucket, 'S3_DIR': str(tmp_path), 'S3_KEEP': '1',
           'AWS_CONFIG_FILE': '/dev/null',
           'AWS_SHARED_CREDENTIALS_FILE': '/dev/null',
           'AWS_EC2_METADATA_DISABLED': 'true'}
    p = subprocess.run([NODE, os.path.join(JS, 'checksums.mjs')], env=env,
                       capture_output=True, timeout=120,
                       stdin=subprocess.DEVNULL)
    out = p.stdout.decode('utf-8', 'replace')
    assert p.returncode == 0 and out.strip().endswith('ok'), \
        out + p.stderr.decode('utf-8', 'replace')

    keys = ['small.txt', 'crc32c.txt', 'dir/big.bin', 'sha256.bin']
    bodies, inline = stored(srv, bucket, keys)
    assert bodies['small.txt'][1] and bodies['crc32c.txt'][1]
    assert not bodies['dir/big.bin'][1] and not bodies['sha256.bin'][1]
    s3 = boto_client(srv)
    for k in ('small.txt', 'crc32c.txt'):
        assert inline[bodies[k][0]] == \
            s3.get_object(Bucket=bucket, Key=k)['Body'].read()
    s3store.check_consistent(srv)


def test_kill_helper_during_small_puts(fresh_server):
    """kill -9 of the metadata process during a burst of small (inline)
    PUTs loses no acknowledged object."""

    from test_durability import _kill_under_load

    srv = fresh_server
    load = _kill_under_load(srv, srv.kill_helper, times=2)
    assert len(load.acked) > 20
    named = s3store.check_consistent(srv)
    srv.stop()
    try:
        with s3store.Db(srv) as db:
            inline = db.inline()
    finally:
        srv.start()
    # the load's bodies are up to 32 KiB: inline by default
    assert len(inline) >= len(load.acked) * 0.9
    assert set(inline) <= set(named)
    assert load.verify() == []
