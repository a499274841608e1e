"""GetObjectAttributes (GET ?attributes): ETag, Checksum, ObjectParts
(paged with x-amz-max-parts and x-amz-part-number-marker), StorageClass
and ObjectSize from the object's record alone: no body file is read."""

import base64
import hashlib
import os
import struct
import zlib

import pytest

import s3store
from conftest import boto_client, new_bucket_name
from s3raw import KeepAlive, assert_error, assert_ok, client_error, request
from sigv4 import key_path
from test_checksums import checksum

ALL = ['ETag', 'Checksum', 'ObjectParts', 'StorageClass', 'ObjectSize']


def attrs(server, bucket, key, names='ETag,ObjectSize', headers=None,
          query=()):
    h = {'x-amz-object-attributes': names}
    h.update(headers or {})
    return request(server, 'GET', key_path(bucket, key),
                   query=[('attributes', '')] + list(query), headers=h)


def test_single_part_object(server, s3, bucket):
    data = b'attributes\n' * 100
    s3.put_object(Bucket=bucket, Key='one', Body=data,
                  ChecksumAlgorithm='CRC32')
    r = s3.get_object_attributes(Bucket=bucket, Key='one',
                                 ObjectAttributes=ALL)
    assert r['ETag'] == hashlib.md5(data).hexdigest()
    assert r['ObjectSize'] == len(data)
    assert r['StorageClass'] == 'STANDARD'
    assert r['Checksum']['ChecksumCRC32'] == checksum('crc32', data)
    assert 'ObjectParts' not in r
    assert r['LastModified'] == s3.head_object(Bucket=bucket,
                                               Key='one')['LastModified']

    # only what is asked for; several header values
    r = assert_ok(attrs(server, bucket, 'one', 'ObjectSize'))
    root = r.xml()
    assert root.tag == 'GetObjectAttributesResponse'
    assert [el.tag for el in root] == ['ObjectSize']
    assert root[0].text == str(len(data))
    r = assert_ok(attrs(server, bucket, 'one', ' ETag , StorageClass,'))
    assert [el.tag for el in r.xml()] == ['ETag', 'StorageClass']

    # no checksum stored: no Checksum element
    s3.put_object(Bucket=bucket, Key='plain', Body=b'x')
    r = s3.get_object_attributes(Bucket=bucket, Key='plain',
                                 ObjectAttributes=['Checksum', 'ETag'])
    assert 'Checksum' not in r and r['ETag'] == hashlib.md5(b'x').hexdigest()


def test_errors(server, s3, bucket):
    s3.put_object(Bucket=bucket, Key='e', Body=b'e')

    with KeepAlive(server) as ka:
        def check(headers, query, status, code):
            r = ka.request('GET', key_path(bucket, 'e'),
                           query=[('attributes', '')] + query,
                           headers=headers)
            f = assert_error(r, status, code)
            r = ka.request('GET', key_path(bucket, 'e'))
            assert r.status == 200 and r.body == b'e'
            return f

        f = check({}, [], 400, 'InvalidRequest')
        assert 'x-amz-object-attributes' in f['Message']
        check({'x-amz-object-attributes': ''}, [], 400, 'InvalidRequest')
        check({'x-amz-object-attributes': ' , '}, [], 400, 'InvalidRequest')
        for bad in ('ETags', 'etag', 'ETag,Dummy'):
            f = check({'x-amz-object-attributes': bad}, [], 400,
                      'InvalidArgument')
            assert f['Message'] == 'Invalid attribute name specified.'
            assert f['ArgumentName'] == 'x-amz-object-attributes'
            assert f['ArgumentValue'] in ('ETags', 'etag', 'Dummy')
        check({'x-amz-object-attributes': 'ETag'}, [('versionId', 'abc')],
              400, 'InvalidArgument')

        r = ka.request('GET', key_path(bucket, 'missing'),
                       query=[('attributes', '')],
                       headers={'x-amz-object-attributes': 'ETag'})
        assert_error(r, 404, 'NoSuchKey')
        r = ka.request('GET', key_path('no-such-bucket-a77', 'k'),
                       query=[('attributes', '')],
                       headers={'x-amz-object-attributes': 'ETag'})
        assert_error(r, 404, 'NoSuchBucket')

    r = assert_ok(attrs(server, bucket, 'e', 'ETag',
                        query=[('versionId', 'null')]))
    assert r.xml()[0].text == hashlib.md5(b'e').hexdigest()

    with client_error(404, 'NoSuchKey'):
        s3.get_object_attributes(Bucket=bucket, Key='nope',
                                 ObjectAttributes=['ETag'])


def _md5(d):
    return hashlib.md5(d).digest()


def _crc(d):
    return zlib.crc32(d).to_bytes(4, 'big')


needs_plyvel = pytest.mark.skipif(s3store.plyvel is None,
                                  reason='python3-plyvel is missing')


@needs_plyvel
def test_multipart_objects(make_server):
    """Records as CompleteMultipartUpload writes them: parts with sizes and
    (with an additional checksum) their checksums; the parts are listed
    only for an object with a checksum, as S3 does; paging; and nothing is
    read: the answer comes with the body files gone."""

    # body files (s3_inline_max 0)
    srv = make_server(http_extra=s3store.INLINE_OFF)
    s3 = boto_client(srv)
    b = new_bucket_name('attrs')
    s3.create_bucket(Bucket=b)
    data = os.urandom(6 * 1000)
    s3.put_object(Bucket=b, Key='src', Body=data)
    srv.stop()

    pieces = [data[i * 1000:(i + 1) * 1000] for i in range(6)]
    with s3store.Db(srv) as db:
        body = s3store.bodies_of(db.object(b, 'src'))[0]
        etag = hashlib.md5(b''.join(_md5(p) for p in pieces)).hexdigest()
        etag += '-6'
        base = {
            s3store.TAG_SIZE: s3store.u64(len(data)),
            2: s3store.u64(1700000000000),
            s3store.TAG_ETAG: etag.encode(),
            5: b'null',
            s3store.TAG_EXTENTS: s3store.encode_extents(
                [(body, i * 1000, 1000) for i in range(6)]),
        }
        plain = dict(base)
        plain[s3store.TAG_PARTS] = s3store.encode_parts(
            [(1000, _md5(p), b'') for p in pieces])
        db.put(b'O' + b.encode() + b'\0plain', s3store.encode(plain))
        summed = dict(base)
        summed[s3store.TAG_PARTS] = s3store.encode_parts(
            [(1000, _md5(p), _crc(p)) for p in pieces])
        composite = zlib.crc32(b''.join(_crc(p) for p in pieces))
        summed[s3store.TAG_CHECKSUM] = bytes([1, 1]) + \
            composite.to_bytes(4, 'big')
        db.put(b'O' + b.encode() + b'\0summed', s3store.encode(summed))
        db.put(b'R' + body.encode(), struct.pack('>I', 3))
    srv.start()

    r = s3.get_object_attributes(Bucket=b, Key='plain', ObjectAttributes=ALL)
    assert r['ETag'] == etag and r['ObjectSize'] == len(data)
    assert r['ObjectParts']['TotalPartsCount'] == 6
    assert 'Parts' not in r['ObjectParts']
    assert 'Checksum' not in r

    r = s3.get_object_attributes(Bucket=b, Key='summed',
                                 ObjectAttributes=ALL)
    want = base64.b64encode(composite.to_bytes(4, 'big')).decode() + '-6'
    assert r['Checksum']['ChecksumCRC32'] == want
    op = r['ObjectParts']
    assert op['TotalPartsCount'] == 6 and op['IsTruncated'] is False
    assert [p['PartNumber'] for p in op['Parts']] == [1, 2, 3, 4, 5, 6]
    assert all(p['Size'] == 1000 for p in op['Parts'])
    assert [p['ChecksumCRC32'] for p in op['Parts']] == \
        [base64.b64encode(_crc(p)).decode() for p in pieces]

    # pages
    got, marker = [], 0
    while True:
        r = s3.get_object_attributes(Bucket=b, Key='summed',
                                     ObjectAttributes=['ObjectParts'],
                                     MaxParts=4, PartNumberMarker=marker)
        op = r['ObjectParts']
        assert op['MaxParts'] == 4
        got += [p['PartNumber'] for p in op['Parts']]
        if not op['IsTruncated']:
            break
        marker = op['NextPartNumberMarker']
        assert marker == 4
    assert got == [1, 2, 3, 4, 5, 6]

    r = assert_ok(attrs(srv, b, 'summed', 'ObjectParts',
                        headers={'x-amz-part-number-marker': '6'}))
    parts = r.xml().find('ObjectParts')
    assert parts.find('Part') is None
    assert parts.find('IsTruncated').text == 'false'
    # values that are not numbers are ignored
    r = assert_ok(attrs(srv, b, 'summed', 'ObjectParts',
                        headers={'x-amz-max-parts': 'many',
                                 'x-amz-part-number-marker': '-1'}))
    assert len(r.xml().find('ObjectParts').findall('Part')) == 6

    # a copy has the same parts
    s3.copy_object(Bucket=b, Key='copy', CopySource='%s/summed' % b)
    r = s3.get_object_attributes(Bucket=b, Key='copy', ObjectAttributes=ALL)
    assert r['ETag'] == etag and r['ObjectParts']['TotalPartsCount'] == 6
    assert r['Checksum']['ChecksumCRC32'] == want

    # from the record alone: the body file can be gone
    path = os.path.join(srv.data, 'objects', body[:2], body[2:4], body)
    os.unlink(path)
    r = s3.get_object_attributes(Bucket=b, Key='summed',
                                 ObjectAttributes=ALL)
    assert r['ObjectSize'] == len(data)
    for k in ('src', 'plain', 'summed', 'copy'):
        s3.delete_object(Bucket=b, Key=k)
