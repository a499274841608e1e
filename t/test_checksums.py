"""PutObject integrity as modern SDKs send it: aws-chunked bodies
(STREAMING-AWS4-HMAC-SHA256-PAYLOAD[-TRAILER], STREAMING-UNSIGNED-PAYLOAD-
TRAILER, chunk signatures computed here with the real algorithm) and
x-amz-checksum-crc32|crc32c|crc64nvme|sha1|sha256 in headers or trailers;
every failure is an S3 error that leaves the stored object unchanged and no
body file behind.  The checksum comes back on GET/HEAD with
x-amz-checksum-mode: ENABLED."""

import base64
import hashlib
import hmac
import os
import zlib

import pytest

import sigv4
from s3raw import assert_error, assert_ok, request

STREAMING = 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD'
STREAMING_TRAILER = 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER'
UNSIGNED_TRAILER = 'STREAMING-UNSIGNED-PAYLOAD-TRAILER'


# checksums, in Python: CRC-32C and CRC-64/NVME byte by byte from their
# polynomials (checked against the catalogue below), independent of the
# module's eight-byte tables

_TABLES = {}


def _crc_reflected(data, poly, bits):
    t = _TABLES.get(poly)
    if t is None:
        t = []
        for i in range(256):
            c = i
            for _ in range(8):
                c = (c >> 1) ^ poly if c & 1 else c >> 1
            t.append(c)
        _TABLES[poly] = t
    mask = (1 << bits) - 1
    crc = mask
    for b in data:
        crc = t[(crc ^ b) & 0xff] ^ (crc >> 8)
    return crc ^ mask


_CRC_CACHE = {}


def checksum(alg, data):
    """base64 of the digest S3 computes for alg over data."""

    key = (alg, hashlib.sha256(data).digest())
    if key in _CRC_CACHE:
        return _CRC_CACHE[key]
    if alg == 'crc32':
        d = zlib.crc32(data).to_bytes(4, 'big')
    elif alg == 'crc32c':
        d = _crc_reflected(data, 0x82f63b78, 32).to_bytes(4, 'big')
    elif alg == 'crc64nvme':
        d = _crc_reflected(data, 0x9a6c9329ac4bc9b5, 64).to_bytes(8, 'big')
    elif alg == 'sha1':
        d = hashlib.sha1(data).digest()
    elif alg == 'sha256':
        d = hashlib.sha256(data).digest()
    else:
        raise ValueError(alg)
    v = base64.b64encode(d).decode()
    _CRC_CACHE[key] = v
    return v


def test_python_checksums_match_the_catalogue():
    """The reference values the rest of this file relies on."""

    assert _crc_reflected(b'123456789', 0x82f63b78, 32) == 0xe3069283
    assert _crc_reflected(b'123456789', 0x9a6c9329ac4bc9b5, 64) \
        == 0xae8b14860a799888
    assert checksum('crc32', b'hello\n') == 'NjowIA=='


def wrong(value):
    """A well-formed checksum of the same size that is not value."""

    raw = bytearray(base64.b64decode(value))
    raw[0] ^= 0xff
    return base64.b64encode(bytes(raw)).decode()


# aws-chunked encoders, after AWS's "Signature Calculations for the
# Authorization Header: Transferring Payload in Multiple Chunks" and
# "... Including Trailing Headers"

def _hmac_hex(key, text):
    return hmac.new(key, text.encode(), hashlib.sha256).hexdigest()


class Chunked:
    """Headers and body of one aws-chunked PUT.

    mode: STREAMING, STREAMING_TRAILER or UNSIGNED_TRAILER.
    trailer: (name, value) sent after the last chunk, or None.
    """

    def __init__(self, server, path, data, mode, chunk=65536,
                 trailer=None, headers=None, decoded_length=None,
                 declare_trailer=True):
        self.server = server
        self.path = path
        self.data = data
        self.mode = mode
        self.chunk = chunk
        self.trailer = trailer
        self.amz_date = sigv4.amz_now()
        date = self.amz_date[:8]
        self.scope = '%s/%s/s3/aws4_request' % (date, server.region)
        self.key = sigv4.signing_key(server.secret_key, date, server.region)

        h = {'Content-Encoding': 'aws-chunked'}
        h['x-amz-decoded-content-length'] = str(
            len(data) if decoded_length is None else decoded_length)
        if trailer and declare_trailer:
            h['x-amz-trailer'] = trailer[0]
        h.update(headers or {})
        self.extra = h

    def pieces(self):
        return [self.data[i:i + self.chunk]
                for i in range(0, len(self.data), self.chunk)]

    def encode(self, seed, tamper=None, drop_final=False):
        """The body; tamper: index of a chunk whose signature is wrong."""

        out = []
        prev = seed
        signed = self.mode != UNSIGNED_TRAILER
        for i, piece in enumerate(self.pieces() + [b'']):
            if drop_final and piece == b'':
                break
            if signed:
                sts = '\n'.join(['AWS4-HMAC-SHA256-PAYLOAD', self.amz_date,
                                 self.scope, prev, sigv4.EMPTY_SHA256,
                                 hashlib.sha256(piece).hexdigest()])
                sig = _hmac_hex(self.key, sts)
                if tamper == i:
                    sig = ('0' if sig[0] != '0' else '1') + sig[1:]
                prev = sig
                out.append(b'%x;chunk-signature=%s\r\n' % (len(piece),
                                                           sig.encode()))
            else:
                out.append(b'%x\r\n' % len(piece))
            if piece:
                out.append(piece + b'\r\n')
        if drop_final:
            return b''.join(out)
        if self.trailer:
            line = ('%s:%s' % self.trailer).encode()
            out.append(line + b'\r\n')
            if self.mode == STREAMING_TRAILER:
                sts = '\n'.join(['AWS4-HMAC-SHA256-TRAILER', self.amz_date,
                                 self.scope, prev,
                                 hashlib.sha256(line + b'\n').hexdigest()])
                sig = _hmac_hex(self.key, sts)
                if tamper == 'trailer':
                    sig = ('0' if sig[0] != '0' else '1') + sig[1:]
                out.append(b'x-amz-trailer-signature:%s\r\n' % sig.encode())
        out.append(b'\r\n')
        return b''.join(out)

    def send(self, tamper=None, drop_final=False, body_edit=None):
        # the length of the encoding does not depend on the signatures
        length = len(self.encode('0' * 64, drop_final=drop_final))
        if body_edit:
            length = len(body_edit(self.encode('0' * 64,
                                               drop_final=drop_final)))
        h = dict(self.extra)
        h['Content-Length'] = str(length)
        signed = sigv4.sign_headers(
            'PUT', self.server.host, self.path, [], h, b'',
            self.server.access_key, self.server.secret_key,
            self.server.region, amz_date=self.amz_date,
            payload_hash=self.mode)
        seed = signed['Authorization'].rsplit('Signature=', 1)[1]
        body = self.encode(seed, tamper=tamper, drop_final=drop_final)
        if body_edit:
            body = body_edit(body)
        assert len(body) == length
        return request(self.server, 'PUT', self.path, headers=signed,
                       body=body, sign=False, content_length=False)


# helpers

def kpath(bucket, key):
    return sigv4.key_path(bucket, key)


def md5_etag(data):
    return '"%s"' % hashlib.md5(data).hexdigest()


def get(server, bucket, key, headers=None, method='GET'):
    return request(server, method, kpath(bucket, key), headers=headers)


def body_files(server):
    n = 0
    for _, _, files in os.walk(os.path.join(server.data, 'objects')):
        n += len(files)
    return n


def put_old(server, bucket, key):
    """The object a failing PUT must leave as it is."""

    old = b'the old body of ' + key.encode() + b'\n'
    assert_ok(request(server, 'PUT', kpath(bucket, key), body=old))
    return old, body_files(server)


def assert_unchanged(server, bucket, key, old, files):
    r = get(server, bucket, key)
    assert r.status == 200 and r.body == old, r
    assert r.header('ETag') == md5_etag(old)
    assert body_files(server) == files, 'a body file was left behind'


def data_of(n, seed=1):
    out = bytearray()
    h = hashlib.sha256(b'%d' % seed).digest()
    while len(out) < n:
        h = hashlib.sha256(h).digest()
        out += h
    return bytes(out[:n])


# aws-chunked, signed chunks

@pytest.mark.parametrize('size', [0, 1, 65536, 200 * 1024 + 17])
def test_signed_chunks(server, bucket, size):
    data = data_of(size)
    c = Chunked(server, kpath(bucket, 'signed'), data, STREAMING)
    r = assert_ok(c.send())
    assert r.header('ETag') == md5_etag(data)

    r = get(server, bucket, 'signed')
    assert r.status == 200 and r.body == data
    assert r.header('Content-Length') == str(size)
    # aws-chunked was how the body travelled, not how the object is encoded
    assert r.header('Content-Encoding') is None


def test_signed_chunks_small_chunks(server, bucket):
    """Many chunks, and chunks cut anywhere by the network."""

    data = data_of(10000, 2)
    c = Chunked(server, kpath(bucket, 'small'), data, STREAMING, chunk=1000)
    assert_ok(c.send())
    assert get(server, bucket, 'small').body == data


def test_other_content_encodings_are_kept(server, bucket):
    data = b'pretend this is gzip\n' * 50
    c = Chunked(server, kpath(bucket, 'gz'), data, STREAMING,
                headers={'Content-Encoding': 'aws-chunked, gzip'})
    assert_ok(c.send())
    r = get(server, bucket, 'gz', method='HEAD')
    assert r.header('Content-Encoding') == 'gzip'


def test_bad_chunk_signature(server, bucket):
    """A wrong signature on any chunk: 403, the old object stays, and the
    body written so far is removed."""

    old, files = put_old(server, bucket, 'k')
    data = data_of(150000, 3)
    for tamper in (0, 1, 2, 3):        # 3: the final, empty chunk
        c = Chunked(server, kpath(bucket, 'k'), data, STREAMING)
        r = c.send(tamper=tamper)
        assert_error(r, 403, 'SignatureDoesNotMatch')
        assert_unchanged(server, bucket, 'k', old, files)


def test_seed_from_another_request(server, bucket):
    """Chunks chained from a signature that is not this request's."""

    old, files = put_old(server, bucket, 'k')
    data = b'x' * 1000
    c = Chunked(server, kpath(bucket, 'k'), data, STREAMING)
    h = dict(c.extra)
    h['Content-Length'] = str(len(c.encode('0' * 64)))
    signed = sigv4.sign_headers(
        'PUT', server.host, c.path, [], h, b'', server.access_key,
        server.secret_key, server.region, amz_date=c.amz_date,
        payload_hash=STREAMING)
    body = c.encode('1' * 64)
    r = request(server, 'PUT', c.path, headers=signed, body=body,
                sign=False, content_length=False)
    assert_error(r, 403, 'SignatureDoesNotMatch')
    assert_unchanged(server, bucket, 'k', old, files)


def test_truncated_body(server, bucket):
    """The encoding stops before its final chunk (Content-Length says so
    too): IncompleteBody, nothing stored."""

    old, files = put_old(server, bucket, 'k')
    data = data_of(100000, 4)
    for mode in (STREAMING, UNSIGNED_TRAILER):
        c = Chunked(server, kpath(bucket, 'k'), data, mode)
        r = c.send(drop_final=True)
        assert_error(r, 400, 'IncompleteBody')
        assert_unchanged(server, bucket, 'k', old, files)

    # cut inside a chunk's data
    c = Chunked(server, kpath(bucket, 'k'), data, STREAMING)
    r = c.send(body_edit=lambda b: b[:70000])
    assert_error(r, 400, 'IncompleteBody')
    assert_unchanged(server, bucket, 'k', old, files)


def test_malformed_encoding(server, bucket):
    old, files = put_old(server, bucket, 'k')
    data = b'y' * 100
    edits = [
        lambda b: b.replace(b';chunk-signature=', b';chunk-signatur=', 1),
        lambda b: b.replace(b'\r\n', b'\n', 1),
        lambda b: b'zz' + b[2:],
        lambda b: b + b'junk',
    ]
    for edit in edits:
        c = Chunked(server, kpath(bucket, 'k'), data, STREAMING)
        r = c.send(body_edit=edit)
        assert_error(r, 400, 'IncompleteBody')
        assert_unchanged(server, bucket, 'k', old, files)


def test_decoded_length_mismatch(server, bucket):
    old, files = put_old(server, bucket, 'k')
    data = b'z' * 5000
    c = Chunked(server, kpath(bucket, 'k'), data, STREAMING,
                decoded_length=len(data) + 1)
    f = assert_error(c.send(), 400, 'IncompleteBody')
    assert f.get('NumberBytesExpected') == str(len(data) + 1)
    assert f.get('NumberBytesProvided') == str(len(data))
    assert_unchanged(server, bucket, 'k', old, files)

    c = Chunked(server, kpath(bucket, 'k'), data, STREAMING,
                decoded_length=len(data) - 1)
    assert_error(c.send(), 400, 'IncompleteBody')
    assert_unchanged(server, bucket, 'k', old, files)


@pytest.mark.parametrize('value', [None, '', 'abc', '-1', '1e3'])
def test_decoded_length_missing_or_invalid(server, bucket, value):
    old, files = put_old(server, bucket, 'k')
    c = Chunked(server, kpath(bucket, 'k'), b'q' * 10, UNSIGNED_TRAILER)
    if value is None:
        del c.extra['x-amz-decoded-content-length']
    else:
        c.extra['x-amz-decoded-content-length'] = value
    assert_error(c.send(), 411, 'MissingContentLength')
    assert_unchanged(server, bucket, 'k', old, files)


def test_decoded_length_too_large(server, bucket):
    c = Chunked(server, kpath(bucket, 'big'), b'q' * 10, UNSIGNED_TRAILER,
                decoded_length=5 * 1024 ** 3 + 1)
    assert_error(c.send(), 400, 'EntityTooLarge')


# aws-chunked with trailers

@pytest.mark.parametrize('alg', ['crc32', 'crc32c', 'crc64nvme', 'sha1',
                                 'sha256'])
def test_unsigned_trailer(server, bucket, alg):
    """What boto3 >= 1.36 and the JS SDK send by default."""

    data = data_of(140000, 5)
    name = 'x-amz-checksum-' + alg
    c = Chunked(server, kpath(bucket, alg), data, UNSIGNED_TRAILER,
                trailer=(name, checksum(alg, data)),
                headers={'x-amz-sdk-checksum-algorithm': alg.upper()})
    r = assert_ok(c.send())
    assert r.header('ETag') == md5_etag(data)
    assert r.header(name) == checksum(alg, data)

    r = get(server, bucket, alg, headers={'x-amz-checksum-mode': 'ENABLED'})
    assert r.body == data
    assert r.header(name) == checksum(alg, data)
    assert r.header('x-amz-checksum-type') == 'FULL_OBJECT'


def test_unsigned_trailer_bad_checksum(server, bucket):
    old, files = put_old(server, bucket, 'k')
    data = data_of(70000, 6)
    for alg, label in (('crc32', 'CRC32'), ('crc64nvme', 'CRC64NVME')):
        c = Chunked(server, kpath(bucket, 'k'), data, UNSIGNED_TRAILER,
                    trailer=('x-amz-checksum-' + alg,
                             wrong(checksum(alg, data))))
        f = assert_error(c.send(), 400, 'BadDigest')
        assert f['Message'] == ('The %s you specified did not match the '
                                'calculated checksum.' % label)
        assert_unchanged(server, bucket, 'k', old, files)


def test_unsigned_trailer_malformed_value(server, bucket):
    old, files = put_old(server, bucket, 'k')
    c = Chunked(server, kpath(bucket, 'k'), b'hello', UNSIGNED_TRAILER,
                trailer=('x-amz-checksum-crc64nvme', 'M3eFcAZSQlcb'))
    f = assert_error(c.send(), 400, 'InvalidRequest')
    assert f['Message'] == ('Value for x-amz-checksum-crc64nvme trailing '
                            'header is invalid.')
    assert_unchanged(server, bucket, 'k', old, files)


def test_unsigned_trailer_missing(server, bucket):
    """Declared in x-amz-trailer, never sent."""

    old, files = put_old(server, bucket, 'k')
    c = Chunked(server, kpath(bucket, 'k'), b'hello', UNSIGNED_TRAILER,
                headers={'x-amz-trailer': 'x-amz-checksum-crc32'})
    assert_error(c.send(), 400, 'MalformedTrailerError')
    assert_unchanged(server, bucket, 'k', old, files)


def test_trailer_not_supported(server, bucket):
    c = Chunked(server, kpath(bucket, 'k'), b'hello', UNSIGNED_TRAILER,
                trailer=('x-amz-checksum-sha10', 'AAAA'))
    f = assert_error(c.send(), 400, 'InvalidRequest')
    assert 'x-amz-trailer' in f['Message']


def test_signed_trailer(server, bucket):
    data = data_of(100000, 7)
    c = Chunked(server, kpath(bucket, 'st'), data, STREAMING_TRAILER,
                trailer=('x-amz-checksum-crc32c', checksum('crc32c', data)))
    r = assert_ok(c.send())
    assert r.header('x-amz-checksum-crc32c') == checksum('crc32c', data)
    assert get(server, bucket, 'st').body == data


def test_signed_trailer_bad(server, bucket):
    old, files = put_old(server, bucket, 'k')
    data = data_of(100000, 8)

    c = Chunked(server, kpath(bucket, 'k'), data, STREAMING_TRAILER,
                trailer=('x-amz-checksum-sha256',
                         wrong(checksum('sha256', data))))
    assert_error(c.send(), 400, 'BadDigest')
    assert_unchanged(server, bucket, 'k', old, files)

    c = Chunked(server, kpath(bucket, 'k'), data, STREAMING_TRAILER,
                trailer=('x-amz-checksum-sha256', checksum('sha256', data)))
    assert_error(c.send(tamper='trailer'), 403, 'SignatureDoesNotMatch')
    assert_unchanged(server, bucket, 'k', old, files)


# checksums in headers (single-chunk payloads)

def put_with(server, bucket, key, data, headers, **kw):
    return request(server, 'PUT', kpath(bucket, key), body=data,
                   headers=headers, **kw)


@pytest.mark.parametrize('alg', ['crc32', 'crc32c', 'crc64nvme', 'sha1',
                                 'sha256'])
def test_header_checksum(server, bucket, alg):
    data = data_of(300000, 9)
    name = 'x-amz-checksum-' + alg
    r = assert_ok(put_with(server, bucket, alg, data,
                           {name: checksum(alg, data)}))
    assert r.header(name) == checksum(alg, data)

    for method in ('GET', 'HEAD'):
        r = get(server, bucket, alg, method=method,
                headers={'x-amz-checksum-mode': 'ENABLED'})
        assert r.status == 200
        assert r.header(name) == checksum(alg, data)
        assert r.header('x-amz-checksum-type') == 'FULL_OBJECT'

    # only when asked for, and never for a part of the object
    assert get(server, bucket, alg).header(name) is None
    r = get(server, bucket, alg, headers={'x-amz-checksum-mode': 'ENABLED',
                                          'Range': 'bytes=0-9'})
    assert r.status == 206 and r.header(name) is None


@pytest.mark.parametrize('alg', ['crc32', 'crc32c', 'sha256'])
def test_header_checksum_bad(server, bucket, alg):
    old, files = put_old(server, bucket, 'k')
    data = data_of(5000, 10)
    r = put_with(server, bucket, 'k', data,
                 {'x-amz-checksum-' + alg: wrong(checksum(alg, data))})
    f = assert_error(r, 400, 'BadDigest')
    assert f['Message'] == ('The %s you specified did not match the '
                            'calculated checksum.' % alg.upper())
    assert_unchanged(server, bucket, 'k', old, files)


def test_header_checksum_unsigned_payload(server, bucket):
    """UNSIGNED-PAYLOAD: the checksum is the only integrity check."""

    old, files = put_old(server, bucket, 'k')
    data = b'unsigned payload\n' * 100
    r = put_with(server, bucket, 'k', data,
                 {'x-amz-checksum-crc32': wrong(checksum('crc32', data))},
                 payload_hash=sigv4.UNSIGNED)
    assert_error(r, 400, 'BadDigest')
    assert_unchanged(server, bucket, 'k', old, files)

    r = put_with(server, bucket, 'k', data,
                 {'x-amz-checksum-crc32': checksum('crc32', data)},
                 payload_hash=sigv4.UNSIGNED)
    assert_ok(r)
    assert get(server, bucket, 'k').body == data


@pytest.mark.parametrize('value', ['bad', '', 'NjowIA=', 'M3eFcAZSQlc=',
                                   'NjowIA==='])
def test_header_checksum_malformed(server, bucket, value):
    old, files = put_old(server, bucket, 'k')
    r = put_with(server, bucket, 'k', b'hello\n',
                 {'x-amz-checksum-crc32': value})
    f = assert_error(r, 400, 'InvalidRequest')
    assert f['Message'] == 'Value for x-amz-checksum-crc32 header is invalid.'
    assert_unchanged(server, bucket, 'k', old, files)


def test_two_checksum_headers(server, bucket):
    data = b'hello\n'
    r = put_with(server, bucket, 'k', data,
                 {'x-amz-checksum-crc32': checksum('crc32', data),
                  'x-amz-checksum-sha1': checksum('sha1', data)})
    assert_error(r, 400, 'InvalidRequest')


def test_sdk_algorithm(server, bucket):
    data = b'hello\n'

    # agreeing
    assert_ok(put_with(server, bucket, 'k', data,
                       {'x-amz-sdk-checksum-algorithm': 'CRC32',
                        'x-amz-checksum-crc32': checksum('crc32', data)}))

    # disagreeing, and unknown
    for sdk in ('SHA256', 'MD5'):
        f = assert_error(put_with(
            server, bucket, 'k', data,
            {'x-amz-sdk-checksum-algorithm': sdk,
             'x-amz-checksum-crc32': checksum('crc32', data)}),
            400, 'InvalidRequest')
        assert 'x-amz-sdk-checksum-algorithm' in f['Message']

    # alone: computed and kept
    assert_ok(put_with(server, bucket, 'alone', data,
                       {'x-amz-sdk-checksum-algorithm': 'SHA1'}))
    r = get(server, bucket, 'alone', method='HEAD',
            headers={'x-amz-checksum-mode': 'ENABLED'})
    assert r.header('x-amz-checksum-sha1') == checksum('sha1', data)


def test_checksum_with_content_md5(server, bucket):
    data = b'both\n' * 99
    md5 = base64.b64encode(hashlib.md5(data).digest()).decode()
    assert_ok(put_with(server, bucket, 'k', data,
                       {'Content-MD5': md5,
                        'x-amz-checksum-crc32c': checksum('crc32c', data)}))
    assert_error(put_with(server, bucket, 'k', data,
                          {'Content-MD5': md5,
                           'x-amz-checksum-crc32c':
                               wrong(checksum('crc32c', data))}),
                 400, 'BadDigest')


def test_overwrite_drops_the_checksum(server, bucket):
    data = b'first\n'
    assert_ok(put_with(server, bucket, 'k', data,
                       {'x-amz-checksum-crc32': checksum('crc32', data)}))
    assert_ok(put_with(server, bucket, 'k', b'second\n', {}))
    r = get(server, bucket, 'k', method='HEAD',
            headers={'x-amz-checksum-mode': 'ENABLED'})
    assert r.header('x-amz-checksum-crc32') is None


# an XML body may come aws-chunked too

def test_delete_objects_aws_chunked(server, bucket):
    for k in ('a', 'b'):
        assert_ok(request(server, 'PUT', kpath(bucket, k), body=b'1'))
    xml = (b'<Delete><Object><Key>a</Key></Object>'
           b'<Object><Key>b</Key></Object></Delete>')
    c = Chunked(server, '/' + bucket, xml, UNSIGNED_TRAILER,
                trailer=('x-amz-checksum-crc32', checksum('crc32', xml)))
    # POST ?delete: build it by hand from the same pieces
    h = dict(c.extra)
    body = c.encode('0' * 64)
    h['Content-Length'] = str(len(body))
    signed = sigv4.sign_headers('POST', server.host, c.path,
                                [('delete', '')], h, b'',
                                server.access_key, server.secret_key,
                                server.region, amz_date=c.amz_date,
                                payload_hash=UNSIGNED_TRAILER)
    r = request(server, 'POST', c.path, query=[('delete', '')],
                headers=signed, body=body, sign=False, content_length=False)
    assert_ok(r)
    assert b'<Deleted>' in r.body
    for k in ('a', 'b'):
        assert get(server, bucket, k).status == 404


# memory does not grow with the body

def _rss_kb(pid):
    with open('/proc/%d/status' % pid) as f:
        for line in f:
            if line.startswith('VmRSS:'):
                return int(line.split()[1])
    return 0


def test_large_aws_chunked_memory(server, bucket):
    """64 MiB through aws-chunked with a CRC32 trailer, twice more: the
    workers' memory stays where it was."""

    block = data_of(1 << 20, 11)
    data = block * 64
    crc = checksum('crc32', data)
    pids = server.workers_pids()

    def once(key):
        c = Chunked(server, kpath(bucket, key), data, UNSIGNED_TRAILER,
                    chunk=1 << 20, trailer=('x-amz-checksum-crc32', crc))
        assert_ok(c.send())

    once('big0')
    before = sum(_rss_kb(p) for p in pids)
    once('big1')
    once('big2')
    after = sum(_rss_kb(p) for p in pids)
    assert after - before < 8 * 1024, (before, after)

    r = get(server, bucket, 'big2', method='HEAD',
            headers={'x-amz-checksum-mode': 'ENABLED'})
    assert r.header('Content-Length') == str(len(data))
    assert r.header('x-amz-checksum-crc32') == crc
