"""CopyObject: a PUT with x-amz-copy-source makes a record that names the
source's body or extents (no byte is copied; the bodies' reference counts
rise), within and across buckets; x-amz-metadata-directive COPY/REPLACE,
the copy onto itself, the copy-source conditions and the target's
conditional write decided in the metadata process, percent-encoded
sources, checksums (kept, or computed from the source's bytes for
x-amz-checksum-algorithm), replays, and the copy with the aws CLI, boto3,
rclone and s3cmd.  Every error leaves the stored objects as they were and
the connection usable."""

import base64
import email.utils
import hashlib
import os
import socket
import struct
import time
import zlib

import pytest

import s3store
from conftest import boto_client, new_bucket_name
from s3raw import KeepAlive, assert_error, assert_ok, client_error, request
from sigv4 import key_path
from test_checksums import checksum

needs_plyvel = pytest.mark.skipif(s3store.plyvel is None,
                                  reason='python3-plyvel is missing')

SELF_COPY = ('This copy request is illegal because it is trying to copy an '
             'object to itself without changing the object\'s metadata, '
             'storage class, website redirect location or encryption '
             'attributes.')


def put(server, bucket, key, body, headers=None):
    return assert_ok(request(server, 'PUT', key_path(bucket, key),
                             body=body, headers=headers))


def get(server, bucket, key, headers=None, query=(), method='GET'):
    return request(server, method, key_path(bucket, key), query=query,
                   headers=headers)


def copy(server, bucket, key, source, headers=None):
    h = {'x-amz-copy-source': source}
    h.update(headers or {})
    return request(server, 'PUT', key_path(bucket, key), headers=h)


def http_date(t):
    return email.utils.formatdate(t, usegmt=True)


def mtime_of(server, bucket, key):
    r = assert_ok(get(server, bucket, key, method='HEAD'))
    return email.utils.parsedate_to_datetime(
        r.header('Last-Modified')).timestamp()


def new_buckets(server, n=2):
    s3 = boto_client(server)
    names = [new_bucket_name('copy') for _ in range(n)]
    for b in names:
        s3.create_bucket(Bucket=b)
    return names


@pytest.fixture(scope='module')
def two(server):
    return new_buckets(server)


# the operation

def test_copy_within_and_across_buckets(server, s3, two):
    a, b = two
    data = os.urandom(100000)
    src = s3.put_object(Bucket=a, Key='src', Body=data,
                        ContentType='text/x-test', ContentLanguage='fr',
                        CacheControl='no-cache',
                        ContentDisposition='attachment',
                        Metadata={'color': 'blue', 'n': '1'})
    time.sleep(1.1)      # LastModified is the copy's, in seconds on HEAD

    for bucket, key in ((a, 'same-bucket'), (b, 'other/bucket')):
        r = s3.copy_object(Bucket=bucket, Key=key,
                           CopySource={'Bucket': a, 'Key': 'src'})
        res = r['CopyObjectResult']
        assert res['ETag'] == src['ETag']
        g = s3.get_object(Bucket=bucket, Key=key)
        assert g['Body'].read() == data
        assert g['ETag'] == src['ETag']
        assert g['ContentType'] == 'text/x-test'
        assert g['ContentLanguage'] == 'fr'
        assert g['CacheControl'] == 'no-cache'
        assert g['ContentDisposition'] == 'attachment'
        assert g['Metadata'] == {'color': 'blue', 'n': '1'}
        assert g['LastModified'] == res['LastModified'].replace(
            microsecond=0)
        assert g['LastModified'] > s3.head_object(
            Bucket=a, Key='src')['LastModified']

    # the source is untouched
    assert s3.get_object(Bucket=a, Key='src')['Body'].read() == data


def test_copy_result_xml(server, two):
    a, b = two
    put(server, a, 'x', b'xml')
    r = assert_ok(copy(server, b, 'x', '%s/x' % a))
    assert r.header('Content-Type') == 'application/xml'
    root = r.xml()
    assert root.tag == 'CopyObjectResult'
    assert r.body.startswith(b'<?xml')
    assert b'xmlns="http://s3.amazonaws.com/doc/2006-03-01/"' in r.body
    f = {el.tag: el.text for el in root}
    assert f['ETag'] == '"%s"' % hashlib.md5(b'xml').hexdigest()
    assert f['LastModified'].endswith('Z') and len(f['LastModified']) == 24
    assert r.header('x-amz-copy-source-version-id') is None


def test_metadata_directive(server, s3, two):
    a, b = two
    s3.put_object(Bucket=a, Key='m', Body=b'meta', ContentType='text/a',
                  ContentEncoding='gzip', Metadata={'old': '1'})

    # COPY (the default) ignores what the request says
    assert_ok(copy(server, b, 'c1', '%s/m' % a,
                   headers={'Content-Type': 'text/b', 'x-amz-meta-new': '2'}))
    h = s3.head_object(Bucket=b, Key='c1')
    assert h['ContentType'] == 'text/a' and h['Metadata'] == {'old': '1'}
    assert h['ContentEncoding'] == 'gzip'

    assert_ok(copy(server, b, 'c2', '%s/m' % a,
                   headers={'x-amz-metadata-directive': 'COPY',
                            'x-amz-meta-new': '2'}))
    assert s3.head_object(Bucket=b, Key='c2')['Metadata'] == {'old': '1'}

    # REPLACE: the content headers and metadata of the request, only
    r = s3.copy_object(Bucket=b, Key='c3', CopySource={'Bucket': a,
                                                       'Key': 'm'},
                       MetadataDirective='REPLACE', ContentType='text/c',
                       Expires='Wed, 21 Oct 2037 07:28:00 GMT',
                       Metadata={'new': '3'})
    h = s3.head_object(Bucket=b, Key='c3')
    assert h['ContentType'] == 'text/c' and h['Metadata'] == {'new': '3'}
    assert 'ContentEncoding' not in h
    assert h['ResponseMetadata']['HTTPHeaders']['expires'] == \
        'Wed, 21 Oct 2037 07:28:00 GMT'
    assert h['ETag'] == r['CopyObjectResult']['ETag']

    # REPLACE with nothing: no content type (the default one), no metadata
    assert_ok(copy(server, b, 'c4', '%s/m' % a,
                   headers={'x-amz-metadata-directive': 'REPLACE'}))
    h = s3.head_object(Bucket=b, Key='c4')
    assert h['ContentType'] == 'binary/octet-stream'
    assert h['Metadata'] == {}


def test_copy_onto_itself(server, s3, two):
    a, _ = two
    s3.put_object(Bucket=a, Key='self', Body=b'self', ContentType='text/a',
                  Metadata={'v': '1'})
    etag = s3.head_object(Bucket=a, Key='self')['ETag']

    with KeepAlive(server) as ka:
        for extra in ({}, {'x-amz-metadata-directive': 'COPY'},
                      {'x-amz-tagging-directive': 'COPY'},
                      {'Content-Type': 'text/b', 'x-amz-meta-v': '2'}):
            h = {'x-amz-copy-source': '%s/self' % a}
            h.update(extra)
            r = ka.request('PUT', key_path(a, 'self'), headers=h)
            f = assert_error(r, 400, 'InvalidRequest')
            assert f['Message'] == SELF_COPY
            assert ka.request('GET', key_path(a, 'self')).body == b'self'

    h = s3.head_object(Bucket=a, Key='self')
    assert h['ContentType'] == 'text/a' and h['Metadata'] == {'v': '1'}

    # REPLACE changes the metadata in place; the bytes stay
    before = s3store.body_ids(server)
    s3.copy_object(Bucket=a, Key='self', CopySource='%s/self' % a,
                   MetadataDirective='REPLACE', ContentType='text/b',
                   Metadata={'v': '2'})
    g = s3.get_object(Bucket=a, Key='self')
    assert g['Body'].read() == b'self' and g['ETag'] == etag
    assert g['ContentType'] == 'text/b' and g['Metadata'] == {'v': '2'}

    # a storage class, or a new checksum, is a change too
    assert_ok(copy(server, a, 'self', '%s/self' % a,
                   headers={'x-amz-storage-class': 'STANDARD'}))
    assert_ok(copy(server, a, 'self', '%s/self' % a,
                   headers={'x-amz-checksum-algorithm': 'CRC32'}))
    h = s3.head_object(Bucket=a, Key='self', ChecksumMode='ENABLED')
    assert h['ChecksumCRC32'] == checksum('crc32', b'self')
    assert h['Metadata'] == {'v': '2'}

    # no body was written, and this one stays
    after = s3store.body_ids(server)
    assert after <= before
    assert get(server, a, 'self').body == b'self'


def test_copy_source_forms(server, s3, two):
    a, b = two
    keys = ['with space', 'plus+sign', 'percent%25literal', 'q?mark',
            'caf\u00e9/\u65e5\u672c', 'a//b', 'tilde~star*(x)']
    for k in keys:
        s3.put_object(Bucket=a, Key=k, Body=k.encode())

    for k in keys:
        enc = key_path(a, k)[1:]            # bucket/percent-encoded key
        for src in (enc, '/' + enc, enc + '?versionId=null'):
            assert_ok(copy(server, b, 'dst', src))
            assert s3.get_object(Bucket=b, Key='dst')['Body'].read() == \
                k.encode()

    # boto3 encodes the source itself
    for k in keys:
        s3.copy_object(Bucket=b, Key='dst2',
                       CopySource={'Bucket': a, 'Key': k})
        assert s3.get_object(Bucket=b, Key='dst2')['Body'].read() == \
            k.encode()

    # a literal '+' is a '+', never a space; "%2F" stays in the key
    s3.put_object(Bucket=a, Key='x/y', Body=b'slash')
    assert_ok(copy(server, b, 'd3', '%s/plus+sign' % a))
    assert s3.get_object(Bucket=b, Key='d3')['Body'].read() == b'plus+sign'
    assert_ok(copy(server, b, 'd4', '%s/x%%2Fy' % a))
    assert s3.get_object(Bucket=b, Key='d4')['Body'].read() == b'slash'


@pytest.mark.parametrize('source,status,code,message', [
    ('', 400, 'InvalidArgument', 'Invalid copy source object key'),
    ('{a}', 400, 'InvalidArgument', 'Invalid copy source object key'),
    ('{a}/', 400, 'InvalidArgument', 'Invalid copy source object key'),
    ('/', 400, 'InvalidArgument', 'Invalid copy source object key'),
    ('//k', 400, 'InvalidArgument', 'Invalid copy source bucket name'),
    ('Bad_Bucket/k', 400, 'InvalidArgument',
     'Invalid copy source bucket name'),
    ('{a}%2Fx/k', 400, 'InvalidArgument', 'Invalid copy source bucket name'),
    ('{a}/k%zz', 400, 'InvalidArgument', 'Invalid copy source encoding'),
    ('{a}/k%ff', 400, 'InvalidArgument', 'Invalid copy source encoding'),
    ('{a}/' + 'k' * 1025, 400, 'KeyTooLongError', None),
    ('{a}/src?versionId=', 400, 'InvalidArgument',
     'Version id cannot be the empty string'),
    ('{a}/src?versionId=3HL4kqtJvjVBH40Nrjfkd', 400, 'InvalidArgument',
     'Invalid version id specified'),
    ('{a}/missing', 404, 'NoSuchKey', None),
    ('no-such-bucket-8f7a/src', 404, 'NoSuchBucket', None),
])
def test_copy_source_errors(server, two, source, status, code, message):
    a, b = two
    put(server, a, 'src', b'source')
    put(server, b, 'dst', b'before')
    source = source.format(a=a)

    with KeepAlive(server) as ka:
        r = ka.request('PUT', key_path(b, 'dst'),
                       headers={'x-amz-copy-source': source})
        f = assert_error(r, status, code)
        if message:
            assert f['Message'] == message
        if code == 'InvalidArgument' and 'version' not in message:
            assert f['ArgumentName'] == 'x-amz-copy-source'
            assert f['ArgumentValue'] == source
        if code == 'NoSuchKey':
            assert f['Key'] == 'missing'
        if code == 'NoSuchBucket':
            assert f['BucketName'] == 'no-such-bucket-8f7a'
        # the target is unchanged, the connection still works
        r = ka.request('GET', key_path(b, 'dst'))
        assert r.status == 200 and r.body == b'before'


def test_target_errors(server, two):
    a, b = two
    put(server, a, 'src', b'source')

    with KeepAlive(server) as ka:
        r = ka.request('PUT', key_path('no-such-bucket-8f7b', 'k'),
                       headers={'x-amz-copy-source': '%s/src' % a})
        f = assert_error(r, 404, 'NoSuchBucket')
        assert f['BucketName'] == 'no-such-bucket-8f7b'
        r = ka.request('PUT', key_path('Bad_Name', 'k'),
                       headers={'x-amz-copy-source': '%s/src' % a})
        assert_error(r, 400, 'InvalidBucketName')
        r = ka.request('PUT', key_path(b, 'k' * 1025),
                       headers={'x-amz-copy-source': '%s/src' % a})
        assert_error(r, 400, 'KeyTooLongError')
        r = ka.request('PUT', '/%s/bad%%ff' % b,
                       headers={'x-amz-copy-source': '%s/src' % a})
        assert_error(r, 400, 'InvalidURI')
        for name, value, code in (
                ('x-amz-metadata-directive', 'copy', 'InvalidArgument'),
                ('x-amz-metadata-directive', 'MOVE', 'InvalidArgument'),
                ('x-amz-tagging-directive', 'KEEP', 'InvalidArgument'),
                ('x-amz-checksum-algorithm', 'MD5', 'InvalidRequest'),
                ('x-amz-storage-class', 'GLACIER', 'InvalidStorageClass'),
                ('x-amz-server-side-encryption', 'AES256', 'NotImplemented'),
                ('x-amz-website-redirect-location', '/x', 'NotImplemented')):
            r = ka.request('PUT', key_path(b, 'k'),
                           headers={'x-amz-copy-source': '%s/src' % a,
                                    name: value})
            f = assert_error(r, 501 if code == 'NotImplemented' else 400,
                             code)
            if name.endswith('-directive'):
                assert f['ArgumentName'] == name
                assert f['ArgumentValue'] == value
            assert ka.request('GET', key_path(b, 'k')).status == 404

    assert get(server, b, 'k').status == 404


def test_copy_source_conditions(server, two):
    a, b = two
    put(server, a, 'c', b'conditional')
    etag = '"%s"' % hashlib.md5(b'conditional').hexdigest()
    t = mtime_of(server, a, 'c')
    past, future = http_date(t - 3600), http_date(t + 3600)
    now = http_date(t)

    ok = [
        {'x-amz-copy-source-if-match': etag},
        {'x-amz-copy-source-if-match': etag.strip('"')},
        {'x-amz-copy-source-if-match': '"x", %s' % etag},
        {'x-amz-copy-source-if-match': '*'},
        {'x-amz-copy-source-if-none-match': '"other"'},
        {'x-amz-copy-source-if-unmodified-since': future},
        {'x-amz-copy-source-if-unmodified-since': now},
        {'x-amz-copy-source-if-modified-since': past},
        # a date in the future, or no date, is ignored (RFC 9110)
        {'x-amz-copy-source-if-modified-since': http_date(time.time()
                                                           + 86400)},
        {'x-amz-copy-source-if-modified-since': 'yesterday'},
        # if-match true decides; if-unmodified-since false does not count
        {'x-amz-copy-source-if-match': etag,
         'x-amz-copy-source-if-unmodified-since': past},
        # if-none-match true decides; if-modified-since false does not
        {'x-amz-copy-source-if-none-match': '"other"',
         'x-amz-copy-source-if-modified-since': now},
    ]
    failed = [
        {'x-amz-copy-source-if-match': '"other"'},
        {'x-amz-copy-source-if-none-match': etag},
        {'x-amz-copy-source-if-none-match': '*'},
        {'x-amz-copy-source-if-unmodified-since': past},
        {'x-amz-copy-source-if-modified-since': now},
        # if-none-match false and if-modified-since true: 412
        {'x-amz-copy-source-if-none-match': etag,
         'x-amz-copy-source-if-modified-since': past},
        {'x-amz-copy-source-if-match': '"other"',
         'x-amz-copy-source-if-unmodified-since': future},
    ]

    with KeepAlive(server) as ka:
        for i, h in enumerate(failed):
            h = dict(h, **{'x-amz-copy-source': '%s/c' % a})
            r = ka.request('PUT', key_path(b, 'f%d' % i), headers=h)
            assert_error(r, 412, 'PreconditionFailed')
            assert ka.request('GET', key_path(b, 'f%d' % i)).status == 404

        for i, h in enumerate(ok):
            h = dict(h, **{'x-amz-copy-source': '%s/c' % a})
            r = ka.request('PUT', key_path(b, 'o%d' % i), headers=h)
            assert r.status == 200, (h, r)
            r = ka.request('GET', key_path(b, 'o%d' % i))
            assert r.body == b'conditional'


def test_target_conditions(server, two):
    a, b = two
    put(server, a, 's', b'new')
    put(server, b, 'exists', b'old')
    old = '"%s"' % hashlib.md5(b'old').hexdigest()
    src = {'x-amz-copy-source': '%s/s' % a}

    with KeepAlive(server) as ka:
        for key, h, status, code in (
                ('exists', {'If-None-Match': '*'}, 412,
                 'PreconditionFailed'),
                ('exists', {'If-Match': '"nope"'}, 412,
                 'PreconditionFailed'),
                ('absent', {'If-Match': old}, 404, 'NoSuchKey')):
            r = ka.request('PUT', key_path(b, key), headers=dict(h, **src))
            assert_error(r, status, code)
            r = ka.request('GET', key_path(b, 'exists'))
            assert r.body == b'old'
        assert ka.request('GET', key_path(b, 'absent')).status == 404

        r = ka.request('PUT', key_path(b, 'absent'),
                       headers=dict(src, **{'If-None-Match': '*'}))
        assert r.status == 200
        r = ka.request('PUT', key_path(b, 'exists'),
                       headers=dict(src, **{'If-Match': old}))
        assert r.status == 200
        assert ka.request('GET', key_path(b, 'exists')).body == b'new'


def test_checksums(server, s3, two):
    a, b = two
    data = b'checksummed data\n' * 1000

    # a stored checksum follows the object
    s3.put_object(Bucket=a, Key='ck', Body=data, ChecksumAlgorithm='SHA256')
    r = s3.copy_object(Bucket=b, Key='ck', CopySource='%s/ck' % a)
    assert r['CopyObjectResult']['ChecksumSHA256'] == \
        checksum('sha256', data)
    h = s3.head_object(Bucket=b, Key='ck', ChecksumMode='ENABLED')
    assert h['ChecksumSHA256'] == checksum('sha256', data)

    # another algorithm: computed from the source's bytes
    for alg in ('crc32', 'crc32c', 'crc64nvme', 'sha1', 'sha256'):
        r = assert_ok(copy(server, b, 'ck-' + alg, '%s/ck' % a,
                           headers={'x-amz-checksum-algorithm':
                                    alg.upper()}))
        name = 'Checksum' + alg.upper()
        f = {el.tag: el.text for el in r.xml()}
        assert f[name] == checksum(alg, data), alg
        assert f['ChecksumType'] == 'FULL_OBJECT'
        r = assert_ok(get(server, b, 'ck-' + alg, method='HEAD',
                          headers={'x-amz-checksum-mode': 'ENABLED'}))
        assert r.header('x-amz-checksum-' + alg) == checksum(alg, data)

    # a source without a checksum gets one; none asked, none made
    s3.put_object(Bucket=a, Key='plain', Body=data)
    r = s3.copy_object(Bucket=b, Key='plain', CopySource='%s/plain' % a)
    assert 'ChecksumCRC32' not in r['CopyObjectResult']
    r = s3.copy_object(Bucket=b, Key='plain', CopySource='%s/plain' % a,
                       ChecksumAlgorithm='CRC32')
    assert r['CopyObjectResult']['ChecksumCRC32'] == checksum('crc32', data)

    # several read steps (4 MiB each), an empty source
    big = os.urandom(9 * 1024 * 1024 + 77)
    s3.put_object(Bucket=a, Key='big', Body=big)
    r = s3.copy_object(Bucket=b, Key='big', CopySource='%s/big' % a,
                       ChecksumAlgorithm='SHA256')
    assert r['CopyObjectResult']['ChecksumSHA256'] == \
        base64.b64encode(hashlib.sha256(big).digest()).decode()
    s3.put_object(Bucket=a, Key='empty', Body=b'')
    r = s3.copy_object(Bucket=b, Key='empty', CopySource='%s/empty' % a,
                       ChecksumAlgorithm='CRC32')
    assert r['CopyObjectResult']['ChecksumCRC32'] == 'AAAAAA=='
    assert s3.get_object(Bucket=b, Key='empty')['Body'].read() == b''

    # the checksum of a precondition that fails is never computed
    r = copy(server, b, 'never', '%s/big' % a,
             headers={'x-amz-checksum-algorithm': 'SHA256',
                      'x-amz-copy-source-if-match': '"x"'})
    assert_error(r, 412, 'PreconditionFailed')
    r = copy(server, b, 'never', '%s/nothing' % a,
             headers={'x-amz-checksum-algorithm': 'SHA256'})
    assert_error(r, 404, 'NoSuchKey')
    assert get(server, b, 'never').status == 404


def test_tagging_directive(server, s3, two):
    a, b = two
    put(server, a, 'tg', b'tags')
    assert_ok(copy(server, b, 'tg', '%s/tg' % a,
                   headers={'x-amz-tagging-directive': 'REPLACE',
                            'x-amz-tagging': 'k=v&x=y'}))
    # a tagging REPLACE onto itself is a change
    assert_ok(copy(server, a, 'tg', '%s/tg' % a,
                   headers={'x-amz-tagging-directive': 'REPLACE',
                            'x-amz-tagging': 'a=b'}))
    assert get(server, a, 'tg').body == b'tags'


def test_boto3_managed_copy(server, s3, two):
    a, b = two
    data = os.urandom(3 * 1024 * 1024)
    s3.put_object(Bucket=a, Key='managed', Body=data)
    s3.copy({'Bucket': a, 'Key': 'managed'}, b, 'managed-copy')
    assert s3.get_object(Bucket=b, Key='managed-copy')['Body'].read() == data


def test_awscli_copy(server, two, tmp_path):
    from test_interop_awscli import AWS, Aws
    if not os.path.exists(AWS):
        pytest.skip('aws CLI missing')
    a, b = two
    data = os.urandom(200000)
    put(server, a, 'cli src', data)
    before = s3store.body_ids(server)
    aws = Aws(server, tmp_path)
    aws('s3', 'cp', 's3://%s/cli src' % a, 's3://%s/cli dst' % b)
    aws('s3api', 'copy-object', '--bucket', b, '--key', 'api dst',
        '--copy-source', '%s/cli src' % a)
    for k in ('cli dst', 'api dst'):
        assert get(server, b, k).body == data
    # server side: no new body file
    assert s3store.body_ids(server) <= before


def test_rclone_server_side_copy(server, two, tmp_path):
    from test_interop_rclone import RCLONE, Rclone
    if not os.path.exists(RCLONE):
        pytest.skip('rclone missing')
    a, b = two
    data = os.urandom(300000)
    put(server, a, 'rc/src.bin', data)
    before = s3store.body_ids(server)
    rclone = Rclone(server, tmp_path)
    rclone('copyto', 't:%s/rc/src.bin' % a, 't:%s/rc/dst.bin' % b)
    rclone('copyto', 't:%s/rc/src.bin' % a, 't:%s/rc/same.bin' % a)
    assert get(server, b, 'rc/dst.bin').body == data
    assert get(server, a, 'rc/same.bin').body == data
    assert s3store.body_ids(server) <= before


def test_s3cmd_copy(server, two, tmp_path):
    from test_interop_s3cmd import S3CMD, S3cmd
    if not os.path.exists(S3CMD):
        pytest.skip('s3cmd missing')
    a, b = two
    data = os.urandom(150000)
    put(server, a, 's3cmd src', data, headers={'Content-Type': 'text/x'})
    before = s3store.body_ids(server)
    s3cmd = S3cmd(server, tmp_path)
    s3cmd('cp', 's3://%s/s3cmd src' % a, 's3://%s/s3cmd dst' % b)
    assert get(server, b, 's3cmd dst').body == data
    # modify: a copy onto itself with new headers
    s3cmd('modify', '--add-header=Cache-Control:max-age=60',
          's3://%s/s3cmd dst' % b)
    r = get(server, b, 's3cmd dst')
    assert r.body == data and r.header('Cache-Control') == 'max-age=60'
    assert s3store.body_ids(server) <= before


# bodies: shared, never copied, unlinked with their last name

@needs_plyvel
def test_bodies_are_shared_and_go_with_the_last_copy(make_server):
    # body files (s3_inline_max 0)
    srv = make_server(http_extra=s3store.INLINE_OFF)
    a, b = new_buckets(srv)
    put(srv, a, 'orig', b'shared bytes')
    files = s3store.body_ids(srv)
    assert len(files) == 1
    body = next(iter(files))

    assert_ok(copy(srv, a, 'c1', '%s/orig' % a))
    assert_ok(copy(srv, b, 'c2', '%s/c1' % a))
    assert_ok(copy(srv, b, 'c3', '%s/orig' % a,
                   headers={'x-amz-metadata-directive': 'REPLACE'}))
    assert s3store.body_ids(srv) == files

    named = s3store.check_consistent(srv)
    assert named == {body: 4}

    # a copy over an object: the target's old body goes
    put(srv, b, 'over', b'old target')
    old = s3store.body_ids(srv) - files
    assert_ok(copy(srv, b, 'over', '%s/orig' % a))
    assert s3store.wait_body_ids(srv, files, timeout=4) == files
    assert get(srv, b, 'over').body == b'shared bytes'
    assert not (old & s3store.body_ids(srv))

    for bucket, key in ((a, 'orig'), (a, 'c1'), (b, 'c2'), (b, 'c3')):
        assert_ok(request(srv, 'DELETE', key_path(bucket, key)), 204)
        assert s3store.wait_body_ids(srv, files, timeout=2.5) == files
    assert get(srv, b, 'over').body == b'shared bytes'
    assert_ok(request(srv, 'DELETE', key_path(b, 'over')), 204)
    assert s3store.wait_body_ids(srv, set(), timeout=4) == set()
    s3store.check_consistent(srv)


def _md5(data):
    return hashlib.md5(data).digest()


def plant_multipart(srv, bucket, key, pieces, checksums=None):
    """An object record made of extents of the bodies of other objects,
    as CompleteMultipartUpload writes it (srv stopped). pieces:
    [(body id, offset, data)]. Returns the ETag."""

    etag = hashlib.md5(b''.join(_md5(d) for _, _, d in pieces)).hexdigest()
    etag += '-%d' % len(pieces)
    size = sum(len(d) for _, _, d in pieces)
    fields = {
        s3store.TAG_SIZE: s3store.u64(size),
        2: s3store.u64(1700000000000),
        s3store.TAG_ETAG: etag.encode(),
        5: b'null',
        s3store.TAG_EXTENTS: s3store.encode_extents(
            [(b, o, len(d)) for b, o, d in pieces]),
        s3store.TAG_PARTS: s3store.encode_parts(
            [(len(d), _md5(d), (checksums or {}).get(i, b''))
             for i, (_, _, d) in enumerate(pieces)]),
    }
    if checksums:
        fields[s3store.TAG_CHECKSUM] = checksums['object']
    with s3store.Db(srv) as db:
        db.put(b'O' + bucket.encode() + b'\0' + key.encode(),
               s3store.encode(fields))
        for b, _, _ in pieces:
            k = b'R' + b.encode()
            n = struct.unpack('>I', db.get(k))[0] if db.get(k) else 0
            db.put(k, struct.pack('>I', n + 1))
    return etag


@needs_plyvel
def test_copy_of_a_multipart_object(make_server):
    """The copy names the same extents: its ETag (md5-of-md5s-N) and parts
    table follow, so partNumber reads work on it; a new checksum is
    computed over the extents."""

    srv = make_server()
    a, b = new_buckets(srv)
    x = os.urandom(300 * 1024 + 5)
    y = os.urandom(100 * 1024 + 9)
    put(srv, a, 'x', x)
    put(srv, a, 'y', y)
    srv.stop()
    with s3store.Db(srv) as db:
        xb = s3store.bodies_of(db.object(a, 'x'))[0]
        yb = s3store.bodies_of(db.object(a, 'y'))[0]
    p1, p2 = x[7:7 + 200000], y
    etag = plant_multipart(srv, a, 'mp', [(xb, 7, p1), (yb, 0, p2)])
    srv.start()

    files = s3store.body_ids(srv)
    r = assert_ok(copy(srv, b, 'mp-copy', '%s/mp' % a))
    assert {el.tag: el.text for el in r.xml()}['ETag'] == '"%s"' % etag
    assert s3store.body_ids(srv) == files

    r = assert_ok(get(srv, b, 'mp-copy'))
    assert r.body == p1 + p2 and r.header('ETag') == '"%s"' % etag
    r = get(srv, b, 'mp-copy', query=[('partNumber', '2')])
    assert r.status == 206 and r.body == p2
    assert r.header('x-amz-mp-parts-count') == '2'
    r = get(srv, b, 'mp-copy', headers={'Range': 'bytes=199990-200009'})
    assert r.body == (p1 + p2)[199990:200010]

    r = assert_ok(copy(srv, b, 'mp-sum', '%s/mp' % a,
                       headers={'x-amz-checksum-algorithm': 'SHA256'}))
    f = {el.tag: el.text for el in r.xml()}
    assert f['ChecksumSHA256'] == checksum('sha256', p1 + p2)
    r = get(srv, b, 'mp-sum', query=[('partNumber', '1')])
    assert r.body == p1

    named = s3store.check_consistent(srv)
    assert named[xb] == 4 and named[yb] == 4


@needs_plyvel
def test_copy_source_larger_than_5_gib(make_server):
    # a body file (s3_inline_max 0)
    srv = make_server(http_extra=s3store.INLINE_OFF)
    a, b = new_buckets(srv)
    put(srv, a, 'huge', b'placeholder')
    srv.stop()
    size = 5 * 1024 ** 3 + 1
    with s3store.Db(srv) as db:
        k = b'O' + a.encode() + b'\0huge'
        f = s3store.decode(db.get(k))
        f[s3store.TAG_SIZE] = s3store.u64(size)
        db.put(k, s3store.encode(f))
        body = f[s3store.TAG_BODY].decode()
    path = os.path.join(srv.data, 'objects', body[:2], body[2:4], body)
    with open(path, 'r+b') as fh:
        fh.truncate(size)           # sparse
    srv.start()

    with KeepAlive(srv) as ka:
        r = ka.request('PUT', key_path(b, 'k'),
                       headers={'x-amz-copy-source': '%s/huge' % a})
        f = assert_error(r, 400, 'InvalidRequest')
        assert '5368709120' in f['Message']
        assert ka.request('GET', key_path(b, 'k')).status == 404
        r = ka.request('PUT', key_path(b, 'k'),
                       headers={'x-amz-copy-source': '%s/huge' % a,
                                'x-amz-checksum-algorithm': 'CRC32'})
        assert_error(r, 400, 'InvalidRequest')
        assert ka.request('GET', key_path(b, 'k')).status == 404
    assert_ok(request(srv, 'DELETE', key_path(a, 'huge')), 204)


# the metadata protocol: replays are idempotent

OP_OBJECT_COPY = 18
ST_OK, ST_PRECONDITION, ST_CHANGED = 0, 5, 16


def _wstr(b):
    return struct.pack('>I', len(b)) + b


class Meta:
    """A raw client of the metadata socket, as a worker speaks to it."""

    def __init__(self, srv):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(10)
        self.sock.connect(os.path.join(srv.data, 'run', 'meta.sock'))
        self.id = 0

    def call(self, op, body):
        self.id += 1
        self.sock.sendall(struct.pack('>IIB', 5 + len(body), self.id, op)
                          + body)
        head = b''
        while len(head) < 9:
            head += self.sock.recv(9 - len(head))
        n, rid, status = struct.unpack('>IIB', head)
        assert rid == self.id
        data = b''
        while len(data) < n - 5:
            data += self.sock.recv(n - 5 - len(data))
        return status, data

    def close(self):
        self.sock.close()


def copy_frame(sb, sk, b, k, mtime, directives=0, tpl_extra=None,
               src_cond=0, unmodified=0, expect=b''):
    tpl = {2: s3store.u64(mtime), 5: b'null', 12: b'AKIDTEST0000000000'}
    tpl.update(tpl_extra or {})
    return (_wstr(sb) + _wstr(sk) + _wstr(b) + _wstr(k)
            + bytes([directives]) + _wstr(s3store.encode(tpl))
            + bytes([src_cond]) + _wstr(b'') + _wstr(b'')
            + s3store.u64(unmodified) + s3store.u64(0)
            + bytes([0]) + _wstr(b'') + _wstr(expect))


@needs_plyvel
def test_replayed_copy_is_answered_ok(make_server):
    srv = make_server()
    a, b = new_buckets(srv)
    put(srv, a, 'src', b'replayed')
    t = int(time.time() * 1000)

    m = Meta(srv)
    try:
        frame = copy_frame(a.encode(), b'src', b.encode(), b'dst', t)
        st1, rec1 = m.call(OP_OBJECT_COPY, frame)
        st2, rec2 = m.call(OP_OBJECT_COPY, frame)
        assert (st1, st2) == (ST_OK, ST_OK) and rec1 == rec2

        # onto itself with REPLACE and a condition that the committed
        # copy no longer meets (its mtime is later): the replay is OK
        src_t = int(mtime_of(srv, a, 'src'))
        frame = copy_frame(a.encode(), b'src', a.encode(), b'src',
                           (src_t + 10) * 1000, directives=1,
                           tpl_extra={6: b'text/replaced'}, src_cond=4,
                           unmodified=src_t)
        assert m.call(OP_OBJECT_COPY, frame)[0] == ST_OK
        assert m.call(OP_OBJECT_COPY, frame)[0] == ST_OK
        # the same request but a new one (another mtime): 412
        frame = copy_frame(a.encode(), b'src', a.encode(), b'src',
                           (src_t + 20) * 1000, directives=1, src_cond=4,
                           unmodified=src_t)
        st, data = m.call(OP_OBJECT_COPY, frame)
        assert st == ST_PRECONDITION and data == b'\x01'

        # a copy made for another version of the source is refused
        frame = copy_frame(a.encode(), b'src', b.encode(), b'x', t,
                           expect=b'not the record')
        assert m.call(OP_OBJECT_COPY, frame)[0] == ST_CHANGED
    finally:
        m.close()

    r = assert_ok(get(srv, a, 'src'))
    assert r.body == b'replayed'
    assert r.header('Content-Type') == 'text/replaced'
    assert get(srv, b, 'dst').body == b'replayed'
    assert get(srv, b, 'x').status == 404
    named = s3store.check_consistent(srv)
    assert list(named.values()) == [2]


# UploadPartCopy: parts that name a range of another object's bytes

MiB = 1024 * 1024


def _mp_etag(pieces):
    return '"%s-%d"' % (hashlib.md5(b''.join(_md5(p) for p in pieces))
                        .hexdigest(), len(pieces))


def _crc32(data):
    return zlib.crc32(data).to_bytes(4, 'big')


def _multipart(s3, bucket, key, pieces, **create):
    u = s3.create_multipart_upload(Bucket=bucket, Key=key, **create)
    parts = []
    for i, p in enumerate(pieces, 1):
        kw = {}
        if create.get('ChecksumAlgorithm') == 'CRC32':
            kw['ChecksumCRC32'] = base64.b64encode(_crc32(p)).decode()
        r = s3.upload_part(Bucket=bucket, Key=key, UploadId=u['UploadId'],
                           PartNumber=i, Body=p, **kw)
        part = {'PartNumber': i, 'ETag': r['ETag']}
        if kw:
            part['ChecksumCRC32'] = r['ChecksumCRC32']
        parts.append(part)
    return s3.complete_multipart_upload(
        Bucket=bucket, Key=key, UploadId=u['UploadId'],
        MultipartUpload={'Parts': parts})


def test_boto3_managed_multipart_copy(server, s3, two):
    """boto3's copy() above its threshold: CreateMultipartUpload, one
    UploadPartCopy per chunk, Complete; no byte is copied."""

    from boto3.s3.transfer import TransferConfig
    a, b = two
    data = os.urandom(23 * MiB + 11)
    s3.put_object(Bucket=a, Key='big src', Body=data)
    before = s3store.body_ids(server)
    cfg = TransferConfig(multipart_threshold=5 * MiB,
                         multipart_chunksize=5 * MiB)
    s3.copy({'Bucket': a, 'Key': 'big src'}, b, 'big copy', Config=cfg)
    g = s3.get_object(Bucket=b, Key='big copy')
    assert g['Body'].read() == data
    assert g['ETag'].endswith('-5"')
    r = get(server, b, 'big copy', query=[('partNumber', '5')])
    assert r.status == 206 and r.body == data[20 * MiB:]
    assert s3store.body_ids(server) <= before

    # a multipart source copied in parts of its own size: each range is
    # one of its parts, whose MD5 is known: the copy has its ETag
    pieces = [os.urandom(5 * MiB), os.urandom(5 * MiB), os.urandom(MiB)]
    src = _multipart(s3, a, 'mp src', pieces)
    assert src['ETag'] == _mp_etag(pieces)
    s3.copy({'Bucket': a, 'Key': 'mp src'}, b, 'mp copy', Config=cfg)
    g = s3.get_object(Bucket=b, Key='mp copy')
    assert g['Body'].read() == b''.join(pieces)
    assert g['ETag'] == src['ETag']


def test_upload_part_copy_ranges(server, s3, two):
    a, b = two
    x = os.urandom(7 * MiB + 3)
    pieces = [os.urandom(5 * MiB), os.urandom(5 * MiB + 1)]
    s3.put_object(Bucket=a, Key='x', Body=x)
    _multipart(s3, a, 'y', pieces)
    y = b''.join(pieces)

    u = s3.create_multipart_upload(Bucket=b, Key='ranges')
    uid = u['UploadId']
    want = [
        ('x', 0, 5 * MiB - 1, x[:5 * MiB]),
        # across the two parts (extents) of y
        ('y', 4 * MiB, 9 * MiB, y[4 * MiB:9 * MiB + 1]),
        # the whole of x: its MD5 is its ETag
        ('x', None, None, x),
        ('y', 5 * MiB, 7 * MiB, y[5 * MiB:7 * MiB + 1]),
    ]
    parts = []
    for n, (key, first, last, data) in enumerate(want, 1):
        kw = {}
        if first is not None:
            kw['CopySourceRange'] = 'bytes=%d-%d' % (first, last)
        r = s3.upload_part_copy(Bucket=b, Key='ranges', UploadId=uid,
                                PartNumber=n,
                                CopySource={'Bucket': a, 'Key': key}, **kw)
        etag = r['CopyPartResult']['ETag']
        parts.append({'PartNumber': n, 'ETag': etag})
        if n == 3:
            # the whole of a single-part source: its ETag is the MD5
            assert etag == '"%s"' % hashlib.md5(data).hexdigest()
        else:
            # a range: not read, an ETag made of the source's and the range
            assert etag != '"%s"' % hashlib.md5(data).hexdigest()
            assert len(etag) == 34

    # ListParts shows them; a part copied again replaces the one before
    lp = s3.list_parts(Bucket=b, Key='ranges', UploadId=uid)
    assert [p['Size'] for p in lp['Parts']] == [len(d) for *_, d in want]
    r = s3.upload_part_copy(Bucket=b, Key='ranges', UploadId=uid,
                            PartNumber=4, CopySource='%s/x' % a,
                            CopySourceRange='bytes=10-20')
    parts[3]['ETag'] = r['CopyPartResult']['ETag']
    want[3] = ('x', 10, 20, x[10:21])

    s3.complete_multipart_upload(Bucket=b, Key='ranges', UploadId=uid,
                                 MultipartUpload={'Parts': parts})
    g = s3.get_object(Bucket=b, Key='ranges')
    assert g['Body'].read() == b''.join(d for *_, d in want)
    r = get(server, b, 'ranges', query=[('partNumber', '2')])
    assert r.body == want[1][3]


def test_upload_part_copy_checksums(server, s3, two):
    """An upload with a checksum algorithm: each copied part gets the
    checksum of its range, from the source's record when it has it (a
    part of a source uploaded with CRC32), else computed from the bytes,
    as S3 does; the complete checks them as for uploaded parts."""

    a, b = two
    pieces = [os.urandom(5 * MiB), os.urandom(3 * MiB)]
    _multipart(s3, a, 'crc src', pieces, ChecksumAlgorithm='CRC32')
    plain = os.urandom(6 * MiB)
    s3.put_object(Bucket=a, Key='plain src', Body=plain)

    for ctype in ('COMPOSITE', 'FULL_OBJECT'):
        key = 'ck-' + ctype
        kw = {'ChecksumAlgorithm': 'CRC32'}
        if ctype == 'FULL_OBJECT':
            kw['ChecksumType'] = 'FULL_OBJECT'
        try:
            u = s3.create_multipart_upload(Bucket=b, Key=key, **kw)
        except Exception:               # boto3 too old for ChecksumType
            r = assert_ok(request(server, 'POST', key_path(b, key),
                                  query=[('uploads', '')],
                                  headers={'x-amz-checksum-algorithm':
                                           'CRC32',
                                           'x-amz-checksum-type': ctype}))
            u = {'UploadId': r.xml().find('UploadId').text}
        uid = u['UploadId']
        want = [('crc src', 0, 5 * MiB - 1, pieces[0]),        # a part
                ('plain src', 1, 5 * MiB, plain[1:5 * MiB + 1]),  # read
                ('crc src', 5 * MiB, 8 * MiB - 1, pieces[1])]   # a part
        parts = []
        for n, (src, first, last, data) in enumerate(want, 1):
            r = s3.upload_part_copy(
                Bucket=b, Key=key, UploadId=uid, PartNumber=n,
                CopySource='%s/%s' % (a, src),
                CopySourceRange='bytes=%d-%d' % (first, last))
            res = r['CopyPartResult']
            assert res['ChecksumCRC32'] == \
                base64.b64encode(_crc32(data)).decode()
            assert res['ETag'] == '"%s"' % hashlib.md5(data).hexdigest()
            parts.append({'PartNumber': n, 'ETag': res['ETag'],
                          'ChecksumCRC32': res['ChecksumCRC32']})
        s3.complete_multipart_upload(Bucket=b, Key=key, UploadId=uid,
                                     MultipartUpload={'Parts': parts})
        g = s3.get_object(Bucket=b, Key=key, ChecksumMode='ENABLED')
        body = g['Body'].read()
        assert body == b''.join(d for *_, d in want)
        if ctype == 'FULL_OBJECT':
            assert g['ChecksumCRC32'] == checksum('crc32', body)
        else:
            want_sum = zlib.crc32(b''.join(_crc32(d) for *_, d in want))
            assert g['ChecksumCRC32'] == base64.b64encode(
                want_sum.to_bytes(4, 'big')).decode() + '-3'


def test_upload_part_copy_sources(server, s3, two):
    """Source keys with spaces, '+', '%', '?', unicode, percent-encoded
    or not: the source read is the one named (a percent-encoded source
    key is where Ceph RGW crashed)."""

    a, b = two
    keys = ['a b', 'p+q', '100%', '50%25', 'x?y', '\u00e9t\u00e9/\u2603',
            'tab\tkey']
    for k in keys:
        s3.put_object(Bucket=a, Key=k, Body=k.encode() * 10)
    u = s3.create_multipart_upload(Bucket=b, Key='sources')
    uid = u['UploadId']

    with KeepAlive(server) as ka:
        for n, k in enumerate(keys, 1):
            enc = key_path(a, k)[1:]
            for src in (enc, '/' + enc, enc + '?versionId=null'):
                r = ka.request('PUT', key_path(b, 'sources'),
                               query=[('partNumber', str(n)),
                                      ('uploadId', uid)],
                               headers={'x-amz-copy-source': src})
                assert r.status == 200, (src, r)
                root = r.xml()
                assert root.tag == 'CopyPartResult'
                # the whole source: its MD5, so the key read was this one
                assert root.find('ETag').text == '"%s"' % hashlib.md5(
                    k.encode() * 10).hexdigest()

    lp = s3.list_parts(Bucket=b, Key='sources', UploadId=uid)
    assert [p['Size'] for p in lp['Parts']] == [len(k.encode()) * 10
                                                for k in keys]
    # the same through boto3, which encodes the source itself
    for n, k in enumerate(keys, 1):
        r = s3.upload_part_copy(Bucket=b, Key='sources', UploadId=uid,
                                PartNumber=n,
                                CopySource={'Bucket': a, 'Key': k})
        assert r['CopyPartResult']['ETag'] == '"%s"' % hashlib.md5(
            k.encode() * 10).hexdigest()
    s3.abort_multipart_upload(Bucket=b, Key='sources', UploadId=uid)


@pytest.mark.parametrize('headers,query,status,code,message', [
    ({'x-amz-copy-source-range': 'bytes=0-9'}, [('partNumber', '0')], 400,
     'InvalidArgument', 'Part number must be an integer between 1 and '
     '10000, inclusive'),
    ({}, [('partNumber', '10001')], 400, 'InvalidArgument', None),
    ({'x-amz-copy-source-range': '0-9'}, [], 400, 'InvalidArgument',
     'The x-amz-copy-source-range value must be of the form bytes=first-last'
     ' where first and last are the zero-based offsets of the first and last'
     ' bytes to copy'),
    ({'x-amz-copy-source-range': 'bytes=5-'}, [], 400, 'InvalidArgument',
     None),
    ({'x-amz-copy-source-range': 'bytes=-5'}, [], 400, 'InvalidArgument',
     None),
    ({'x-amz-copy-source-range': 'bytes=9-5'}, [], 400, 'InvalidArgument',
     None),
    ({'x-amz-copy-source-range': 'bytes=0-1,3-4'}, [], 400,
     'InvalidArgument', None),
    ({'x-amz-copy-source-range': 'bytes=a-b'}, [], 400, 'InvalidArgument',
     None),
    ({'x-amz-copy-source-range': 'bytes=0-100'}, [], 400,
     'InvalidArgument', 'Range specified is not valid for source object of '
     'size: 100'),
    ({'x-amz-copy-source-range': 'bytes=100-100'}, [], 400,
     'InvalidArgument', None),
    ({'x-amz-copy-source': '{a}/missing'}, [], 404, 'NoSuchKey', None),
    ({'x-amz-copy-source': 'no-such-bucket-77e/src'}, [], 404,
     'NoSuchBucket', None),
    ({'x-amz-copy-source': '{a}/src?versionId=1'}, [], 400,
     'InvalidArgument', None),
    ({'x-amz-copy-source': '{a}'}, [], 400, 'InvalidArgument', None),
    ({'x-amz-copy-source-if-match': '"nope"'}, [], 412,
     'PreconditionFailed', None),
    ({'x-amz-copy-source-if-none-match': '*'}, [], 412,
     'PreconditionFailed', None),
    ({}, [('uploadId', '0123456789abcdef0123456789abcdef')], 404,
     'NoSuchUpload', None),
    ({}, [('uploadId', '../../etc')], 404, 'NoSuchUpload', None),
])
def test_upload_part_copy_errors(server, s3, two, headers, query, status,
                                 code, message):
    a, b = two
    s3.put_object(Bucket=a, Key='src', Body=b's' * 100)
    u = s3.create_multipart_upload(Bucket=b, Key='errors')
    uid = u['UploadId']
    q = dict([('partNumber', '1'), ('uploadId', uid)])
    q.update(dict(query))
    h = {'x-amz-copy-source': '%s/src' % a}
    h.update({k: v.format(a=a) for k, v in headers.items()})

    with KeepAlive(server) as ka:
        r = ka.request('PUT', key_path(b, 'errors'),
                       query=list(q.items()), headers=h)
        f = assert_error(r, status, code)
        if message:
            assert f['Message'] == message
        if 'range' in (message or '') and 'form' in message:
            assert f['ArgumentName'] == 'x-amz-copy-source-range'
        # no part was made, the connection still works
        r = ka.request('GET', key_path(b, 'errors'),
                       query=[('uploadId', uid)])
        assert r.status == 200 and r.xml().find('Part') is None
    s3.abort_multipart_upload(Bucket=b, Key='errors', UploadId=uid)


@needs_plyvel
def test_part_copies_share_bodies(make_server):
    """Copied parts name the source's bodies: counted, kept while the
    upload, then the object, names them, gone with the last name; an
    abort gives back what the parts took."""

    srv = make_server()
    s3 = boto_client(srv)
    a, b = new_buckets(srv)
    x = os.urandom(6 * MiB)
    s3.put_object(Bucket=a, Key='x', Body=x)
    files = s3store.body_ids(srv)
    body = next(iter(files))

    u = s3.create_multipart_upload(Bucket=b, Key='aborted')
    for n in (1, 2):
        s3.upload_part_copy(Bucket=b, Key='aborted', UploadId=u['UploadId'],
                            PartNumber=n, CopySource='%s/x' % a,
                            CopySourceRange='bytes=0-99')
    assert s3store.check_consistent(srv) == {body: 3}
    s3.abort_multipart_upload(Bucket=b, Key='aborted',
                              UploadId=u['UploadId'])
    assert s3store.check_consistent(srv) == {body: 1}

    u = s3.create_multipart_upload(Bucket=b, Key='done')
    parts = []
    for n, rng in ((1, 'bytes=0-5242879'), (2, 'bytes=5242880-6291455'),
                   (3, 'bytes=0-10')):
        r = s3.upload_part_copy(Bucket=b, Key='done', UploadId=u['UploadId'],
                                PartNumber=n, CopySource='%s/x' % a,
                                CopySourceRange=rng)
        parts.append({'PartNumber': n,
                      'ETag': r['CopyPartResult']['ETag']})
    # part 3 is left out of the complete: its reference goes
    s3.complete_multipart_upload(Bucket=b, Key='done',
                                 UploadId=u['UploadId'],
                                 MultipartUpload={'Parts': parts[:2]})
    assert s3store.check_consistent(srv) == {body: 3}
    assert s3.get_object(Bucket=b, Key='done')['Body'].read() == x
    assert s3store.body_ids(srv) == files

    s3.delete_object(Bucket=a, Key='x')
    assert s3.get_object(Bucket=b, Key='done')['Body'].read() == x
    s3.delete_object(Bucket=b, Key='done')
    assert s3store.wait_body_ids(srv, set(), timeout=4) == set()
    s3store.check_consistent(srv)


OP_PART_COPY = 19


@needs_plyvel
def test_replayed_part_copy_is_answered_ok(make_server):
    # the part names the source's body file (s3_inline_max 0)
    srv = make_server(http_extra=s3store.INLINE_OFF)
    s3 = boto_client(srv)
    a, b = new_buckets(srv)
    s3.put_object(Bucket=a, Key='src', Body=b'replayed part' * 100)
    uid = s3.create_multipart_upload(Bucket=b, Key='k')['UploadId']
    t = int(time.time() * 1000)
    frame = (_wstr(a.encode()) + _wstr(b'src') + _wstr(b.encode())
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
    assert list(named.values()) == [2]
    lp = s3.list_parts(Bucket=b, Key='k', UploadId=uid)
    assert [p['Size'] for p in lp['Parts']] == [98]


def test_awscli_and_rclone_multipart_copy(server, s3, two, tmp_path):
    from test_interop_awscli import AWS, Aws
    from test_interop_rclone import RCLONE, Rclone
    a, b = two
    data = os.urandom(12 * MiB + 5)
    s3.put_object(Bucket=a, Key='cli big', Body=data)
    before = s3store.body_ids(server)
    if os.path.exists(AWS):
        aws = Aws(server, tmp_path)
        cfg = tmp_path / 'config-copy'
        cfg.write_text('[default]\nregion = %s\ns3 =\n'
                       '    multipart_threshold = 5MB\n'
                       '    multipart_chunksize = 5MB\n'
                       '    addressing_style = path\n' % server.region)
        # the default --copy-props asks GetObjectTagging of the source
        aws('s3', 'cp', 's3://%s/cli big' % a, 's3://%s/cli big' % b,
            config=cfg)
        g = s3.get_object(Bucket=b, Key='cli big')
        assert g['Body'].read() == data and g['ETag'].endswith('-3"')
        aws('s3', 'cp', '--copy-props', 'metadata-directive',
            's3://%s/cli big' % a, 's3://%s/cli big 2' % b, config=cfg)
        g = s3.get_object(Bucket=b, Key='cli big 2')
        assert g['Body'].read() == data and g['ETag'].endswith('-3"')
    if os.path.exists(RCLONE):
        (tmp_path / 'rclone').mkdir()
        rclone = Rclone(server, tmp_path / 'rclone')
        rclone('copyto', '--s3-copy-cutoff', '5M',
               't:%s/cli big' % a, 't:%s/rclone big' % b)
        g = s3.get_object(Bucket=b, Key='rclone big')
        assert g['Body'].read() == data and g['ETag'].endswith('-3"')
    assert s3store.body_ids(server) <= before
