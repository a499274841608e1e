"""Multipart uploads: CreateMultipartUpload, UploadPart, Complete, Abort,
ListParts, ListMultipartUploads; the object made of the parts' bodies
(read whole, by range across parts, by part); every error with its
status and Code, the stored data unchanged and the connection still in
step; checksums of both types; no body file left that no record names."""

import base64
import hashlib
import http.client
import os
import re
import xml.etree.ElementTree as ET
import zlib

import pytest

import s3store
import sigv4
from conftest import boto_client, new_bucket_name
from s3raw import Resp, assert_error, assert_ok, request, strip_ns

MiB = 1024 * 1024


def data_of(n, seed=1):
    """n bytes, cheap and different per seed."""

    block = hashlib.sha256(b'%d' % seed).digest() * 2048       # 64 KiB
    out = block * (n // len(block) + 1)
    return out[:n]


def md5(data):
    return hashlib.md5(data).digest()


def mp_etag(parts):
    return '"%s-%d"' % (hashlib.md5(b''.join(md5(p) for p in parts))
                        .hexdigest(), len(parts))


def b64(raw):
    return base64.b64encode(raw).decode()


def crc32(data):
    return zlib.crc32(data).to_bytes(4, 'big')


class Conn:
    """Signed requests on one keep-alive connection."""

    def __init__(self, server):
        self.server = server
        self.c = http.client.HTTPConnection('127.0.0.1', server.port,
                                            timeout=30)

    def req(self, method, path, query=(), body=b'', headers=None):
        srv = self.server
        h = sigv4.sign_headers(method, srv.host, path, list(query),
                               dict(headers or {}), body, srv.access_key,
                               srv.secret_key, srv.region)
        url = path + ('?' + sigv4.wire_query(list(query)) if query else '')
        self.c.putrequest(method, url, skip_host=True,
                          skip_accept_encoding=True)
        self.c.putheader('Host', srv.host)
        for k, v in h.items():
            self.c.putheader(k, v)
        if body or method in ('PUT', 'POST'):
            self.c.putheader('Content-Length', str(len(body)))
        self.c.endheaders()
        if body:
            self.c.send(body)
        r = self.c.getresponse()
        return Resp(r.status, r.reason, r.headers, r.read(), method)

    def close(self):
        self.c.close()


@pytest.fixture
def conn(server):
    c = Conn(server)
    yield c
    c.close()


def kp(bucket, key):
    return sigv4.key_path(bucket, key)


def create(c, bucket, key, headers=None):
    r = assert_ok(c.req('POST', kp(bucket, key), [('uploads', '')],
                        headers=headers))
    x = strip_ns(ET.fromstring(r.body))
    assert x.tag == 'InitiateMultipartUploadResult'
    assert x.find('Bucket').text == bucket and x.find('Key').text == key
    uid = x.find('UploadId').text
    assert re.fullmatch(r'[0-9a-f]{32}', uid)
    return uid, r


def upload(c, bucket, key, uid, n, data, headers=None):
    return c.req('PUT', kp(bucket, key),
                 [('partNumber', str(n)), ('uploadId', uid)], body=data,
                 headers=headers)


def complete_xml(parts, checksums=None):
    """parts: [(number, etag)]; checksums: {number: (name, value)}."""

    out = ['<CompleteMultipartUpload>']
    for n, etag in parts:
        extra = ''
        if checksums and n in checksums:
            name, value = checksums[n]
            extra = '<Checksum%s>%s</Checksum%s>' % (name, value, name)
        out.append('<Part><PartNumber>%d</PartNumber><ETag>%s</ETag>%s'
                   '</Part>' % (n, etag, extra))
    out.append('</CompleteMultipartUpload>')
    return ''.join(out).encode()


def complete(c, bucket, key, uid, parts, checksums=None, headers=None,
             body=None):
    if body is None:
        body = complete_xml(parts, checksums)
    return c.req('POST', kp(bucket, key), [('uploadId', uid)], body=body,
                 headers=headers)


def still_ok(c, bucket):
    """The connection is still in step after an error."""

    r = c.req('GET', '/' + bucket, [('list-type', '2'), ('max-keys', '1')])
    assert r.status == 200 and b'ListBucketResult' in r.body, r


def xml_of(r):
    return strip_ns(ET.fromstring(r.body))


def test_round_trip(server, s3, bucket, conn):
    c = conn
    uid, _ = create(c, bucket, 'big/obj', headers={
        'Content-Type': 'text/x-parts', 'x-amz-meta-color': 'blue',
        'Cache-Control': 'no-cache', 'x-amz-tagging': 'a=b'})

    parts = [data_of(5 * MiB, 1), data_of(5 * MiB + 7, 2), b'tail' * 300]
    etags = []
    for i, d in enumerate(parts, 1):
        r = assert_ok(upload(c, bucket, 'big/obj', uid, i, d))
        assert r.header('ETag') == '"%s"' % md5(d).hex()
        etags.append(r.header('ETag'))

    # a part uploaded again replaces the one before
    assert_ok(upload(c, bucket, 'big/obj', uid, 2, b'x' * 100))
    r = assert_ok(upload(c, bucket, 'big/obj', uid, 2, parts[1]))
    assert r.header('ETag') == etags[1]

    lp = s3.list_parts(Bucket=bucket, Key='big/obj', UploadId=uid)
    assert [(p['PartNumber'], p['Size'], p['ETag']) for p in lp['Parts']] \
        == [(i + 1, len(d), etags[i]) for i, d in enumerate(parts)]
    assert lp['IsTruncated'] is False
    assert lp['Initiator']['ID'] == server.access_key
    assert lp['StorageClass'] == 'STANDARD'

    ups = s3.list_multipart_uploads(Bucket=bucket)['Uploads']
    assert [(u['Key'], u['UploadId']) for u in ups] == [('big/obj', uid)]

    r = assert_ok(complete(c, bucket, 'big/obj', uid,
                           list(zip((1, 2, 3), etags))))
    x = xml_of(r)
    assert x.tag == 'CompleteMultipartUploadResult'
    assert x.find('ETag').text == mp_etag(parts)
    assert x.find('Bucket').text == bucket
    assert x.find('Key').text == 'big/obj'
    assert x.find('Location').text == 'http://%s/%s/big/obj' % (server.host,
                                                                 bucket)

    whole = b''.join(parts)
    g = s3.get_object(Bucket=bucket, Key='big/obj')
    assert g['Body'].read() == whole
    assert g['ETag'] == mp_etag(parts)
    assert g['ContentType'] == 'text/x-parts'
    assert g['Metadata'] == {'color': 'blue'}
    assert g['CacheControl'] == 'no-cache'
    assert g['ContentLength'] == len(whole)

    # ranges across part boundaries, and parts
    for first, last in ((5 * MiB - 10, 5 * MiB + 9),
                        (5 * MiB - 1, 10 * MiB + 8), (0, len(whole) - 1),
                        (10 * MiB + 6, 10 * MiB + 20)):
        r = s3.get_object(Bucket=bucket, Key='big/obj',
                          Range='bytes=%d-%d' % (first, last))
        assert r['Body'].read() == whole[first:last + 1]
        assert r['ContentRange'] == 'bytes %d-%d/%d' % (first, last,
                                                         len(whole))
    off = 0
    for i, d in enumerate(parts, 1):
        r = s3.get_object(Bucket=bucket, Key='big/obj', PartNumber=i)
        assert r['Body'].read() == d
        assert r['PartsCount'] == 3
        assert r['ContentRange'] == 'bytes %d-%d/%d' % (off, off + len(d) - 1,
                                                         len(whole))
        off += len(d)
        h = s3.head_object(Bucket=bucket, Key='big/obj', PartNumber=i)
        assert h['ContentLength'] == len(d) and h['PartsCount'] == 3

    listed = s3.list_objects_v2(Bucket=bucket)['Contents']
    assert [(o['Key'], o['Size'], o['ETag']) for o in listed] == \
        [('big/obj', len(whole), mp_etag(parts))]

    # a complete sent again (a lost answer) is answered as it was
    r = assert_ok(complete(c, bucket, 'big/obj', uid,
                           list(zip((1, 2, 3), etags))))
    assert xml_of(r).find('ETag').text == mp_etag(parts)
    assert s3.list_multipart_uploads(Bucket=bucket).get('Uploads') is None

    # another upload id of the same key is not that one
    uid2, _ = create(c, bucket, 'big/obj')
    other = uid[:-1] + ('0' if uid[-1] != '0' else '1')
    assert_error(complete(c, bucket, 'big/obj', other, [(1, etags[0])]),
                 404, 'NoSuchUpload')
    still_ok(c, bucket)
    assert_ok(c.req('DELETE', kp(bucket, 'big/obj'), [('uploadId', uid2)]),
              204)


def test_upload_part_errors(server, s3, bucket, conn):
    c = conn
    uid, _ = create(c, bucket, 'k')
    other, _ = create(c, bucket, 'other')
    body = b'p' * 300000

    for bad in (('0',), ('10001',), ('x',), ('',), ('-1',)):
        r = c.req('PUT', kp(bucket, 'k'),
                  [('partNumber', bad[0]), ('uploadId', uid)], body=body)
        assert_error(r, 400, 'InvalidArgument')
        still_ok(c, bucket)

    for u, key in ((uid[:-1] + ('0' if uid[-1] != '0' else '1'), 'k'),
                   (other, 'k'),            # another key's upload
                   (uid, 'k2'),
                   ('nothex' * 5 + 'ab', 'k'), ('', 'k'), ('../x', 'k')):
        r = upload(c, bucket, key, u, 1, body)
        assert_error(r, 404, 'NoSuchUpload')
        still_ok(c, bucket)

    r = upload(c, new_bucket_name('nob'), 'k', uid, 1, body)
    assert_error(r, 404, 'NoSuchBucket')
    still_ok(c, bucket)

    r = upload(c, bucket, 'k', uid, 1, body,
               headers={'Content-MD5': b64(md5(b'other'))})
    assert_error(r, 400, 'BadDigest')
    still_ok(c, bucket)

    # UploadPartCopy (t/test_copy.py) of a source that does not exist
    r = upload(c, bucket, 'k', uid, 1, body,
               headers={'x-amz-copy-source': '/%s/src' % bucket})
    assert_error(r, 404, 'NoSuchKey')
    still_ok(c, bucket)

    # nothing of that was stored
    lp = s3.list_parts(Bucket=bucket, Key='k', UploadId=uid)
    assert lp.get('Parts') is None
    assert len(s3.list_multipart_uploads(Bucket=bucket)['Uploads']) == 2


def test_complete_errors(server, s3, bucket, conn):
    c = conn
    key = 'obj'
    assert_ok(c.req('PUT', kp(bucket, key), body=b'the old object'))
    uid, _ = create(c, bucket, key)
    p1 = data_of(5 * MiB, 3)
    p2 = b'second'
    e1 = assert_ok(upload(c, bucket, key, uid, 1, p1)).header('ETag')
    e2 = assert_ok(upload(c, bucket, key, uid, 2, p2)).header('ETag')
    e3 = assert_ok(upload(c, bucket, key, uid, 3, b'third')).header('ETag')

    cases = [
        (b'not xml', 400, 'MalformedXML'),
        (b'<CompleteMultipartUpload/>', 400, 'MalformedXML'),
        (b'<CompleteMultipartUpload><Part><ETag>x</ETag></Part>'
         b'</CompleteMultipartUpload>', 400, 'MalformedXML'),
        (b'', 400, 'MalformedXML'),
        (complete_xml([(2, e2), (1, e1)]), 400, 'InvalidPartOrder'),
        (complete_xml([(1, e1), (1, e1)]), 400, 'InvalidPartOrder'),
        (complete_xml([(0, e1)]), 400, 'InvalidArgument'),
        (complete_xml([(10001, e1)]), 400, 'InvalidArgument'),
        (complete_xml([(1, e1), (4, e2)]), 400, 'InvalidPart'),
        (complete_xml([(1, e2)]), 400, 'InvalidPart'),
        (complete_xml([(1, '"%s"' % ('0' * 32))]), 400, 'InvalidPart'),
        (complete_xml([(2, e2), (3, e3)]), 400, 'EntityTooSmall'),
    ]
    for body, status, code in cases:
        r = complete(c, bucket, key, uid, None, body=body)
        f = assert_error(r, status, code)
        if code == 'InvalidPart':
            assert f['UploadId'] == uid and 'PartNumber' in f
        if code == 'EntityTooSmall':
            assert f['ProposedSize'] == str(len(p2))
            assert f['MinSizeAllowed'] == str(5 * MiB)
            assert f['PartNumber'] == '2'
        still_ok(c, bucket)

    r = complete(c, bucket, key, uid, None, body=b'<CompleteMultipartUpload>'
                 + b'<Part><PartNumber>1</PartNumber><ETag>a</ETag></Part>'
                 * 10001 + b'</CompleteMultipartUpload>')
    assert_error(r, 400, 'MalformedXML')
    still_ok(c, bucket)

    for u, k in (('f' * 32, key), (uid, 'other'), ('short', key)):
        assert_error(complete(c, bucket, k, u, [(1, e1)]), 404,
                     'NoSuchUpload')
        still_ok(c, bucket)
    assert_error(complete(c, new_bucket_name('nob'), key, uid, [(1, e1)]),
                 404, 'NoSuchBucket')
    still_ok(c, bucket)

    # the old object is there, the upload with its three parts too
    assert c.req('GET', kp(bucket, key)).body == b'the old object'
    lp = s3.list_parts(Bucket=bucket, Key=key, UploadId=uid)
    assert [p['PartNumber'] for p in lp['Parts']] == [1, 2, 3]

    # a subset completes: the parts left out go
    r = assert_ok(complete(c, bucket, key, uid, [(1, e1), (3, e3)]))
    assert xml_of(r).find('ETag').text == mp_etag([p1, b'third'])
    assert c.req('GET', kp(bucket, key)).body == p1 + b'third'


def test_conditional_complete(server, s3, bucket, conn):
    c = conn
    old = assert_ok(c.req('PUT', kp(bucket, 'c'), body=b'old'))
    uid, _ = create(c, bucket, 'c')
    e = assert_ok(upload(c, bucket, 'c', uid, 1, b'new')).header('ETag')

    r = complete(c, bucket, 'c', uid, [(1, e)], headers={'If-None-Match': '*'})
    assert_error(r, 412, 'PreconditionFailed')
    still_ok(c, bucket)
    r = complete(c, bucket, 'c', uid, [(1, e)],
                 headers={'If-Match': '"%s"' % ('0' * 32)})
    assert_error(r, 412, 'PreconditionFailed')
    still_ok(c, bucket)
    assert c.req('GET', kp(bucket, 'c')).body == b'old'

    uid2, _ = create(c, bucket, 'missing')
    e2 = assert_ok(upload(c, bucket, 'missing', uid2, 1, b'm')).header('ETag')
    r = complete(c, bucket, 'missing', uid2, [(1, e2)],
                 headers={'If-Match': old.header('ETag')})
    assert_error(r, 404, 'NoSuchKey')
    still_ok(c, bucket)
    assert_ok(complete(c, bucket, 'missing', uid2, [(1, e2)],
                       headers={'If-None-Match': '*'}))

    assert_ok(complete(c, bucket, 'c', uid, [(1, e)],
                       headers={'If-Match': old.header('ETag')}))
    assert c.req('GET', kp(bucket, 'c')).body == b'new'


def test_abort(server, s3, bucket, conn):
    c = conn
    uid, _ = create(c, bucket, 'a')
    for i in (1, 2):
        assert_ok(upload(c, bucket, 'a', uid, i, b'%d' % i * 1000))
    assert_ok(c.req('DELETE', kp(bucket, 'a'), [('uploadId', uid)]), 204)
    assert_error(c.req('DELETE', kp(bucket, 'a'), [('uploadId', uid)]), 404,
                 'NoSuchUpload')
    still_ok(c, bucket)
    assert_error(c.req('GET', kp(bucket, 'a'), [('uploadId', uid)]), 404,
                 'NoSuchUpload')
    still_ok(c, bucket)
    assert_error(upload(c, bucket, 'a', uid, 3, b'late'), 404,
                 'NoSuchUpload')
    still_ok(c, bucket)
    assert_error(complete(c, bucket, 'a', uid, [(1, '"x"')]), 404,
                 'NoSuchUpload')
    still_ok(c, bucket)
    assert s3.list_multipart_uploads(Bucket=bucket).get('Uploads') is None
    assert_error(c.req('GET', kp(bucket, 'a')), 404, 'NoSuchKey')


def test_create_errors(server, s3, bucket, conn):
    c = conn
    missing = new_bucket_name('nob')
    assert_error(c.req('POST', kp(missing, 'k'), [('uploads', '')]), 404,
                 'NoSuchBucket')
    still_ok(c, bucket)
    for headers, msg in [
            ({'x-amz-checksum-algorithm': 'MD4'}, 'unsupported'),
            ({'x-amz-checksum-algorithm': 'CRC32,CRC32C'}, 'Invalid types'),
            ({'x-amz-checksum-type': 'FULL_OBJECT'}, 'can only be used'),
            ({'x-amz-checksum-algorithm': 'CRC32',
              'x-amz-checksum-type': 'TEST'}, 'x-amz-checksum-type'),
            ({'x-amz-checksum-algorithm': 'SHA1',
              'x-amz-checksum-type': 'FULL_OBJECT'},
             'The FULL_OBJECT checksum type cannot be used with the sha1 '
             'checksum algorithm.'),
            ({'x-amz-checksum-algorithm': 'CRC64NVME',
              'x-amz-checksum-type': 'COMPOSITE'},
             'The COMPOSITE checksum type cannot be used with the crc64nvme '
             'checksum algorithm.')]:
        f = assert_error(c.req('POST', kp(bucket, 'k'), [('uploads', '')],
                               headers=headers), 400, 'InvalidRequest')
        assert msg in f['Message'], f
        still_ok(c, bucket)
    f = assert_error(c.req('POST', kp(bucket, 'k'), [('uploads', '')],
                           headers={'x-amz-storage-class': 'GLACIER'}),
                     400, 'InvalidStorageClass')
    still_ok(c, bucket)
    assert s3.list_multipart_uploads(Bucket=bucket).get('Uploads') is None


def _upload_with(c, bucket, key, create_headers, parts, part_headers):
    uid, r = create(c, bucket, key, headers=create_headers)
    etags = []
    for i, (d, h) in enumerate(zip(parts, part_headers), 1):
        etags.append(assert_ok(upload(c, bucket, key, uid, i, d,
                                      headers=h)).header('ETag'))
    return uid, r, etags


def test_checksum_composite(server, s3, bucket, conn):
    c = conn
    parts = [data_of(5 * MiB, 4), b'last part']
    digests = [hashlib.sha256(p).digest() for p in parts]
    uid, r, etags = _upload_with(
        c, bucket, 'sha', {'x-amz-checksum-algorithm': 'SHA256'}, parts,
        [{'x-amz-checksum-sha256': b64(d)} for d in digests])
    assert r.header('x-amz-checksum-algorithm') == 'SHA256'
    assert r.header('x-amz-checksum-type') == 'COMPOSITE'

    lp = s3.list_parts(Bucket=bucket, Key='sha', UploadId=uid)
    assert [p['ChecksumSHA256'] for p in lp['Parts']] == \
        [b64(d) for d in digests]
    assert lp['ChecksumAlgorithm'] == 'SHA256'

    want = b64(hashlib.sha256(b''.join(digests)).digest()) + '-2'
    checks = {1: ('SHA256', b64(digests[0])), 2: ('SHA256', b64(digests[1]))}

    # a COMPOSITE upload needs every part's checksum in the complete
    f = assert_error(complete(c, bucket, 'sha', uid, list(zip((1, 2), etags)),
                              {1: checks[1]}), 400, 'InvalidRequest')
    assert f['Message'] == ('The upload was created using a sha256 '
                            'checksum. The complete request must include '
                            'the checksum for each part. It was missing for '
                            'part 2 in the request.')
    still_ok(c, bucket)
    f = assert_error(complete(c, bucket, 'sha', uid, list(zip((1, 2), etags)),
                              {1: checks[1], 2: ('SHA256', b64(digests[0]))}),
                     400, 'InvalidPart')
    still_ok(c, bucket)
    f = assert_error(complete(c, bucket, 'sha', uid, list(zip((1, 2), etags)),
                              {1: checks[1], 2: ('CRC32', b64(crc32(b'')))}),
                     400, 'InvalidPart')
    still_ok(c, bucket)
    f = assert_error(complete(c, bucket, 'sha', uid, list(zip((1, 2), etags)),
                              {1: checks[1], 2: ('SHA256', 'notbase64')}),
                     400, 'InvalidArgument')
    assert f['ArgumentValue'] == 'SHA256:notbase64;'
    still_ok(c, bucket)
    f = assert_error(complete(c, bucket, 'sha', uid, list(zip((1, 2), etags)),
                              checks,
                              headers={'x-amz-checksum-sha256':
                                       b64(digests[0])}),
                     400, 'BadDigest')
    assert f['Message'] == ('The sha256 you specified did not match the '
                            'calculated checksum.')
    still_ok(c, bucket)
    f = assert_error(complete(c, bucket, 'sha', uid, list(zip((1, 2), etags)),
                              checks,
                              headers={'x-amz-checksum-type': 'FULL_OBJECT'}),
                     400, 'InvalidRequest')
    still_ok(c, bucket)

    r = assert_ok(complete(c, bucket, 'sha', uid, list(zip((1, 2), etags)),
                           checks, headers={'x-amz-checksum-sha256': want}))
    x = xml_of(r)
    assert x.find('ChecksumSHA256').text == want
    assert x.find('ChecksumType').text == 'COMPOSITE'

    h = s3.head_object(Bucket=bucket, Key='sha', ChecksumMode='ENABLED')
    assert h['ChecksumSHA256'] == want
    assert h['ResponseMetadata']['HTTPHeaders']['x-amz-checksum-type'] == \
        'COMPOSITE'
    h = s3.head_object(Bucket=bucket, Key='sha', ChecksumMode='ENABLED',
                       PartNumber=1)
    assert h['ChecksumSHA256'] == b64(digests[0])
    assert s3.get_object(Bucket=bucket, Key='sha')['Body'].read() == \
        b''.join(parts)


def test_checksum_part_errors(server, s3, bucket, conn):
    c = conn
    uid, _ = create(c, bucket, 'k', headers={
        'x-amz-checksum-algorithm': 'CRC32C'})
    d = b'part data'
    f = assert_error(upload(c, bucket, 'k', uid, 1, d,
                            headers={'x-amz-checksum-crc32': b64(crc32(d))}),
                     400, 'InvalidRequest')
    assert f['Message'] == ('Checksum Type mismatch occurred, expected '
                            'checksum Type: crc32c, actual checksum Type: '
                            'crc32')
    still_ok(c, bucket)
    f = assert_error(upload(c, bucket, 'k', uid, 1, d), 400,
                     'InvalidRequest')
    assert f['Message'].endswith('actual checksum Type: null')
    still_ok(c, bucket)
    f = assert_error(upload(c, bucket, 'k', uid, 1, d,
                            headers={'x-amz-checksum-crc32c': 'AAAAAA=='}),
                     400, 'BadDigest')
    still_ok(c, bucket)
    f = assert_error(upload(c, bucket, 'k', uid, 1, d,
                            headers={'x-amz-checksum-crc32c': 'short'}),
                     400, 'InvalidRequest')
    still_ok(c, bucket)
    assert s3.list_parts(Bucket=bucket, Key='k', UploadId=uid) \
        .get('Parts') is None


def test_checksum_full_object(server, s3, bucket, conn):
    """FULL_OBJECT: the parts' CRCs combined, none read again; a part
    without a checksum gets one computed."""

    c = conn
    parts = [data_of(5 * MiB, 5), data_of(5 * MiB + 1, 6), b'end']
    whole = b''.join(parts)
    for alg in ('CRC32', 'CRC32C', 'CRC64NVME'):
        key = 'full-' + alg
        # what the object's checksum must be: a PutObject computes it
        assert_ok(c.req('PUT', kp(bucket, key + '-ref'), body=whole,
                        headers={'x-amz-sdk-checksum-algorithm': alg}))
        hname = 'x-amz-checksum-' + alg.lower()
        want = assert_ok(c.req('HEAD', kp(bucket, key + '-ref'), headers={
            'x-amz-checksum-mode': 'ENABLED'})).header(hname)
        assert want

        ph = [{}, {}, {}]
        if alg == 'CRC32':
            ph[0] = {'x-amz-checksum-crc32': b64(crc32(parts[0]))}
        uid, r, etags = _upload_with(
            c, bucket, key, {'x-amz-checksum-algorithm': alg,
                             'x-amz-checksum-type': 'FULL_OBJECT'},
            parts, ph)
        assert r.header('x-amz-checksum-type') == 'FULL_OBJECT'

        if alg == 'CRC32':
            f = assert_error(complete(c, bucket, key, uid,
                                      list(zip((1, 2, 3), etags)),
                                      headers={'x-amz-checksum-crc32':
                                               b64(crc32(b'x'))}),
                             400, 'BadDigest')
            still_ok(c, bucket)
            f = assert_error(complete(c, bucket, key, uid,
                                      list(zip((1, 2, 3), etags)),
                                      headers={'x-amz-checksum-crc32':
                                               want + '-a'}),
                             400, 'InvalidRequest')
            assert f['Message'] == \
                'Value for x-amz-checksum-crc32 header is invalid.'
            still_ok(c, bucket)
            hdr = {'x-amz-checksum-crc32': want}
        else:
            hdr = {}

        r = assert_ok(complete(c, bucket, key, uid,
                               list(zip((1, 2, 3), etags)), headers=hdr))
        x = xml_of(r)
        assert x.find('Checksum' + alg).text == want
        assert x.find('ChecksumType').text == 'FULL_OBJECT'
        h = assert_ok(c.req('HEAD', kp(bucket, key), headers={
            'x-amz-checksum-mode': 'ENABLED'}))
        assert h.header(hname) == want
        assert h.header('x-amz-checksum-type') == 'FULL_OBJECT'
        assert s3.get_object(Bucket=bucket, Key=key)['Body'].read() == whole


def test_list_parts_paging(server, s3, bucket, conn):
    c = conn
    uid, _ = create(c, bucket, 'lp')
    for n in (1, 2, 5, 7, 9):
        assert_ok(upload(c, bucket, 'lp', uid, n, b'%d' % n))
    got = []
    marker = 0
    while True:
        r = s3.list_parts(Bucket=bucket, Key='lp', UploadId=uid, MaxParts=2,
                          PartNumberMarker=marker)
        got += [p['PartNumber'] for p in r['Parts']]
        assert r['MaxParts'] == 2
        if not r['IsTruncated']:
            break
        marker = r['NextPartNumberMarker']
        assert marker == got[-1]
    assert got == [1, 2, 5, 7, 9]
    r = s3.list_parts(Bucket=bucket, Key='lp', UploadId=uid,
                      PartNumberMarker=7)
    assert [p['PartNumber'] for p in r['Parts']] == [9]
    r = s3.list_parts(Bucket=bucket, Key='lp', UploadId=uid, MaxParts=0)
    assert r.get('Parts') is None and r['IsTruncated'] is False
    for arg in ('max-parts', 'part-number-marker'):
        assert_error(c.req('GET', kp(bucket, 'lp'),
                           [('uploadId', uid), (arg, '-1')]),
                     400, 'InvalidArgument')
        still_ok(c, bucket)


def test_list_uploads(server, s3, conn):
    c = conn
    b = new_bucket_name('lu')
    s3.create_bucket(Bucket=b)
    keys = ['a/1', 'a/2', 'b', 'c d+%', 'z/x/y']
    ids = {}
    for k in keys:
        ids[k] = [create(c, b, k)[0] for _ in range(2)]

    r = s3.list_multipart_uploads(Bucket=b)
    got = [(u['Key'], u['UploadId']) for u in r['Uploads']]
    # by key, then by initiation (uploads of the same millisecond by id)
    assert got == [(k, i) for k in keys for i in sorted(ids[k])]
    assert r['IsTruncated'] is False
    assert r['Uploads'][0]['Initiated'] is not None

    # paging by key-marker and upload-id-marker
    pages = []
    kw = {}
    while True:
        r = s3.list_multipart_uploads(Bucket=b, MaxUploads=3, **kw)
        pages.append([(u['Key'], u['UploadId']) for u in r['Uploads']])
        if not r['IsTruncated']:
            break
        kw = {'KeyMarker': r['NextKeyMarker'],
              'UploadIdMarker': r['NextUploadIdMarker']}
    assert [x for p in pages for x in p] == got
    assert [len(p) for p in pages] == [3, 3, 3, 1]

    r = s3.list_multipart_uploads(Bucket=b, KeyMarker='b')
    assert [u['Key'] for u in r['Uploads']] == ['c d+%'] * 2 + ['z/x/y'] * 2

    r = s3.list_multipart_uploads(Bucket=b, Delimiter='/')
    assert [u['Key'] for u in r['Uploads']] == ['b', 'b', 'c d+%', 'c d+%']
    assert [p['Prefix'] for p in r['CommonPrefixes']] == ['a/', 'z/']

    r = s3.list_multipart_uploads(Bucket=b, Prefix='z/', Delimiter='/')
    assert r.get('Uploads') is None
    assert [p['Prefix'] for p in r['CommonPrefixes']] == ['z/x/']

    r = c.req('GET', '/' + b, [('uploads', ''), ('prefix', 'c'),
                               ('encoding-type', 'url')])
    x = xml_of(assert_ok(r))
    assert [u.find('Key').text for u in x.findall('Upload')] == \
        ['c+d%2B%25'] * 2
    assert x.find('EncodingType').text == 'url'

    assert_error(c.req('GET', '/' + b, [('uploads', ''),
                                        ('max-uploads', 'x')]),
                 400, 'InvalidArgument')
    still_ok(c, b)
    assert_error(c.req('GET', '/' + new_bucket_name('nob'),
                       [('uploads', '')]), 404, 'NoSuchBucket')
    still_ok(c, b)


def test_empty_part(server, s3, bucket, conn):
    c = conn
    uid, _ = create(c, bucket, 'empty')
    e = assert_ok(upload(c, bucket, 'empty', uid, 1, b'')).header('ETag')
    assert_ok(complete(c, bucket, 'empty', uid, [(1, e)]))
    r = assert_ok(c.req('GET', kp(bucket, 'empty')))
    assert r.body == b'' and r.header('Content-Length') == '0'
    assert r.header('ETag') == mp_etag([b''])


def test_body_files(make_server):
    """No body file that no record names, and none missing, after every
    step (the database read back with nginx stopped)."""

    srv = make_server()
    s3 = boto_client(srv)
    c = Conn(srv)
    b = new_bucket_name('files')
    s3.create_bucket(Bucket=b)
    try:
        assert_ok(c.req('PUT', kp(b, 'plain'), body=b'plain'))

        # abort
        uid, _ = create(c, b, 'ab')
        for i in (1, 2):
            assert_ok(upload(c, b, 'ab', uid, i, b'x' * 1000))
        assert_ok(c.req('DELETE', kp(b, 'ab'), [('uploadId', uid)]), 204)
        named = s3store.check_consistent(srv)
        assert len(named) == 1
        c.close()
        c = Conn(srv)

        # complete with parts left out, one part uploaded twice
        uid, _ = create(c, b, 'mp')
        p1 = data_of(5 * MiB, 7)
        e1 = assert_ok(upload(c, b, 'mp', uid, 1, b'first try')).header('ETag')
        e1 = assert_ok(upload(c, b, 'mp', uid, 1, p1)).header('ETag')
        assert_ok(upload(c, b, 'mp', uid, 2, b'unused'))
        e3 = assert_ok(upload(c, b, 'mp', uid, 3, b'end')).header('ETag')
        named = s3store.check_consistent(srv)
        assert len(named) == 4          # plain, and three parts
        c.close()
        c = Conn(srv)
        assert_ok(complete(c, b, 'mp', uid, [(1, e1), (3, e3)]))
        named = s3store.check_consistent(srv)
        assert len(named) == 3 and set(named.values()) == {1}
        c.close()
        c = Conn(srv)
        assert c.req('GET', kp(b, 'mp')).body == p1 + b'end'

        # the object replaced, then deleted; a bucket with an upload
        assert_ok(c.req('PUT', kp(b, 'mp'), body=b'replaced'))
        assert_ok(c.req('DELETE', kp(b, 'mp')), 204)
        uid, _ = create(c, b, 'left')
        assert_ok(upload(c, b, 'left', uid, 1, b'in progress'))
        assert_ok(c.req('DELETE', kp(b, 'plain')), 204)
        assert_ok(c.req('DELETE', '/' + b), 204)
        named = s3store.check_consistent(srv)
        assert named == {}
        c.close()
        c = Conn(srv)
        s3.create_bucket(Bucket=b)
        assert s3.list_multipart_uploads(Bucket=b).get('Uploads') is None
    finally:
        c.close()


def test_keepalive_large_part_refused(server, bucket, conn):
    """An UploadPart refused before its body is read (unknown upload) must
    leave the connection in step, also with a body of some MiB."""

    c = conn
    body = data_of(3 * MiB, 9)
    for _ in range(3):
        r = upload(c, bucket, 'k', 'f' * 32, 1, body)
        assert_error(r, 404, 'NoSuchUpload')
        still_ok(c, bucket)


# interop: every client's own multipart upload, read back byte for byte

def _parts_of(path, chunk):
    out = []
    with open(path, 'rb') as f:
        while True:
            b = f.read(chunk)
            if not b:
                return out
            out.append(b)


def test_interop_boto3(server, s3, payloads, tmp_path):
    from boto3.s3.transfer import TransferConfig
    from conftest import same_file

    b = new_bucket_name('mp-boto3')
    s3.create_bucket(Bucket=b)
    big = str(payloads['big'])
    cfg = TransferConfig(multipart_threshold=5 * MiB,
                         multipart_chunksize=5 * MiB, max_concurrency=4)
    s3.upload_file(big, b, 'big.bin', Config=cfg,
                   ExtraArgs={'Metadata': {'k': 'v'}})
    parts = _parts_of(big, 5 * MiB)
    h = s3.head_object(Bucket=b, Key='big.bin')
    assert h['ETag'] == mp_etag(parts)
    assert h['Metadata'] == {'k': 'v'}
    out = tmp_path / 'back.bin'
    s3.download_file(b, 'big.bin', str(out), Config=cfg)
    assert same_file(big, out)
    h = s3.head_object(Bucket=b, Key='big.bin', PartNumber=len(parts))
    assert h['PartsCount'] == len(parts)
    assert h['ContentLength'] == len(parts[-1])


def test_interop_awscli_200mib(server, tmp_path):
    """Debian's aws CLI with its default settings (multipart above 8 MiB,
    8 MiB parts, 10 at a time), 200 MiB up and down."""

    from conftest import same_file
    from test_interop_awscli import AWS, Aws

    if not os.path.exists(AWS):
        pytest.skip('%s not installed' % AWS)
    aws = Aws(server, tmp_path)
    aws.config.write_text('[default]\nregion = %s\ns3 =\n'
                          '    addressing_style = path\n' % server.region)
    src = tmp_path / 'src.bin'
    with open(src, 'wb') as f:
        for i in range(25):
            f.write(os.urandom(8 * MiB))
    b = new_bucket_name('mp-awscli')
    aws('s3', 'mb', 's3://' + b)
    try:
        aws('s3', 'cp', str(src), 's3://%s/dir/big file.bin' % b)
        head = aws.json('s3api', 'head-object', '--bucket', b, '--key',
                        'dir/big file.bin')
        assert head['ContentLength'] == 200 * MiB
        assert head['ETag'].endswith('-25"'), head
        out = tmp_path / 'back.bin'
        aws('s3', 'cp', 's3://%s/dir/big file.bin' % b, str(out))
        assert same_file(src, out)
        out.unlink()
    finally:
        src.unlink()
        aws('s3', 'rb', '--force', 's3://' + b)


def test_interop_s3cmd(server, s3, payloads, tmp_path):
    from conftest import same_file
    from test_interop_s3cmd import S3CMD, S3cmd

    if not os.path.exists(S3CMD):
        pytest.skip('%s not installed' % S3CMD)
    s3cmd = S3cmd(server, tmp_path)
    b = new_bucket_name('mp-s3cmd')
    big = str(payloads['big'])
    s3cmd('mb', 's3://' + b)
    s3cmd('put', '--multipart-chunk-size-mb=5', big, 's3://%s/big.bin' % b)
    parts = _parts_of(big, 5 * MiB)
    assert s3.head_object(Bucket=b, Key='big.bin')['ETag'] == mp_etag(parts)
    out = tmp_path / 'back.bin'
    s3cmd('get', 's3://%s/big.bin' % b, str(out))
    assert same_file(big, out)
    assert s3.list_multipart_uploads(Bucket=b).get('Uploads') is None


def test_interop_rclone(server, s3, payloads, tmp_path):
    from conftest import same_file
    from test_interop_rclone import RCLONE, Rclone

    if not os.path.exists(RCLONE):
        pytest.skip('%s not installed' % RCLONE)
    rclone = Rclone(server, tmp_path)
    b = new_bucket_name('mp-rclone')
    s3.create_bucket(Bucket=b)
    big = str(payloads['big'])
    rclone('copy', '--s3-upload-cutoff', '5M', '--s3-chunk-size', '5M',
           big, 't:%s/dir' % b)
    h = s3.head_object(Bucket=b, Key='dir/big.bin')
    assert h['ETag'] == mp_etag(_parts_of(big, 5 * MiB))
    out = tmp_path / 'back'
    rclone('copy', 't:%s/dir/big.bin' % b, str(out))
    assert same_file(big, out / 'big.bin')
    rclone('check', '--one-way', big, 't:%s/dir' % b, check=True)


@pytest.mark.parametrize('checksums', ['default', 'required'])
def test_interop_js_lib_storage(server, payloads, checksums):
    import shutil
    import subprocess

    js = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'js')
    node = shutil.which('node', path='/usr/bin:/usr/local/bin')
    if node is None:
        pytest.skip('node not installed')
    if not os.path.isdir(os.path.join(js, 'node_modules', '@aws-sdk',
                                      'lib-storage')):
        pytest.fail('t/js/node_modules missing: scripts/install-deps.sh test',
                    pytrace=False)
    env = {
        'PATH': '/usr/bin:/bin',
        'HOME': os.path.join(str(payloads['dir']), 'home'),
        'S3_ENDPOINT': server.endpoint,
        'S3_ACCESS_KEY': server.access_key,
        'S3_SECRET_KEY': server.secret_key,
        'S3_REGION': server.region,
        'S3_BUCKET': new_bucket_name('mp-js-' + checksums),
        'S3_BIG_FILE': str(payloads['big']),
        'S3_CHECKSUMS': checksums,
        'AWS_CONFIG_FILE': '/dev/null',
        'AWS_SHARED_CREDENTIALS_FILE': '/dev/null',
        'AWS_EC2_METADATA_DISABLED': 'true',
    }
    p = subprocess.run([node, os.path.join(js, 'multipart.mjs')], env=env,
                       capture_output=True, timeout=120,
                       stdin=subprocess.DEVNULL)
    out = p.stdout.decode('utf-8', 'replace')
    err = p.stderr.decode('utf-8', 'replace')
    assert p.returncode == 0 and out.strip().endswith('ok'), \
        'node multipart.mjs: exit %d\n%s\n%s' % (p.returncode, out, err)
