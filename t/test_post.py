"""POST Object: browser form uploads with a signed POST policy (SigV4 and
the SigV2 form of boto3's generate_presigned_post), every policy
violation as S3 answers it with nothing stored and the connection kept,
and a 64 MiB upload streamed with constant worker memory."""

import base64
import datetime
import hashlib
import hmac
import http.client
import json
import os
import re
import threading
import time
import uuid
import zlib

import boto3
import botocore.config
import pytest

import s3server
from conftest import boto_client, new_bucket_name
from s3admin import admin_kwargs, cli_ok, new_user_key, write_key_file
from s3raw import KeepAlive, assert_error, assert_ok, error_fields


def form_body(fields, content=b'data', filename='a.txt', after=(),
              boundary=None, file_type='application/octet-stream'):
    """multipart/form-data: fields, the file, then `after` fields."""

    boundary = boundary or '----form' + uuid.uuid4().hex
    out = []

    def field(name, value):
        out.append(('--%s\r\nContent-Disposition: form-data; name="%s"'
                    '\r\n\r\n' % (boundary, name)).encode())
        out.append(value.encode() if isinstance(value, str) else value)
        out.append(b'\r\n')

    for k, v in fields:
        field(k, v)
    if content is not None:
        out.append(('--%s\r\nContent-Disposition: form-data; name="file"; '
                    'filename="%s"\r\nContent-Type: %s\r\n\r\n'
                    % (boundary, filename, file_type)).encode())
        out.append(content)
        out.append(b'\r\n')
    for k, v in after:
        field(k, v)
    out.append(('--%s--\r\n' % boundary).encode())
    return b''.join(out), 'multipart/form-data; boundary=%s' % boundary


def post(server, bucket, fields, ka=None, **kw):
    body, ctype = form_body(list(fields.items()) if isinstance(fields, dict)
                            else fields, **kw)
    headers = {'Content-Type': ctype}
    if ka is not None:
        return ka.request('POST', '/' + bucket, headers=headers, body=body,
                          sign=False)
    conn = http.client.HTTPConnection('127.0.0.1', server.port, timeout=60)
    try:
        conn.request('POST', '/' + bucket, body=body, headers=headers)
        r = conn.getresponse()
        from s3raw import Resp
        return Resp(r.status, r.reason, r.headers, r.read(), 'POST')
    finally:
        conn.close()


def v4_fields(server, bucket, key, conditions=None, fields=None,
              expires=600):
    s3 = boto_client(server)
    p = s3.generate_presigned_post(bucket, key, Fields=fields,
                                   Conditions=conditions,
                                   ExpiresIn=expires)
    assert 'x-amz-signature' in p['fields']
    return p['fields']


def sign_v4(server, policy_doc):
    """Fields of a policy signed by hand (for documents boto3 won't make)."""

    now = datetime.datetime.utcnow()
    date = now.strftime('%Y%m%d')
    amz_date = now.strftime('%Y%m%dT%H%M%SZ')
    cred = '%s/%s/%s/s3/aws4_request' % (server.access_key, date,
                                         server.region)
    b64 = base64.b64encode(policy_doc.encode()
                           if isinstance(policy_doc, str)
                           else policy_doc).decode()
    k = ('AWS4' + server.secret_key).encode()
    for part in (date, server.region, 's3', 'aws4_request'):
        k = hmac.new(k, part.encode(), hashlib.sha256).digest()
    sig = hmac.new(k, b64.encode(), hashlib.sha256).hexdigest()
    return {'x-amz-algorithm': 'AWS4-HMAC-SHA256', 'x-amz-credential': cred,
            'x-amz-date': amz_date, 'policy': b64, 'x-amz-signature': sig}


def policy_doc(server, conditions, expiration=None):
    now = datetime.datetime.utcnow()
    date = now.strftime('%Y%m%d')
    cred = '%s/%s/%s/s3/aws4_request' % (server.access_key, date,
                                         server.region)
    exp = expiration or (now + datetime.timedelta(minutes=10))
    return json.dumps({
        'expiration': exp.strftime('%Y-%m-%dT%H:%M:%S.000Z'),
        'conditions': conditions + [
            {'x-amz-algorithm': 'AWS4-HMAC-SHA256'},
            {'x-amz-credential': cred},
            {'x-amz-date': now.strftime('%Y%m%dT%H%M%SZ')}]})


def body_files(server):
    objs = os.path.join(server.data, 'objects')
    return sorted(f for _, _, fs in os.walk(objs) for f in fs)


def keys(s3, bucket):
    return [o['Key'] for o in
            s3.list_objects_v2(Bucket=bucket).get('Contents', [])]


def test_sigv4_presigned_post(server, s3, bucket):
    fields = v4_fields(server, bucket, 'up/${filename}',
                       conditions=[['starts-with', '$key', 'up/'],
                                   ['content-length-range', 1, 1 << 20],
                                   ['starts-with', '$Content-Type', 'text/'],
                                   {'x-amz-meta-who': 'me'}],
                       fields={'Content-Type': 'text/plain',
                               'x-amz-meta-who': 'me'})
    data = os.urandom(5000)
    r = post(server, bucket, fields, content=data,
             filename='C:\\Users\\x\\photo.jpg')
    assert_ok(r, 204)
    assert r.header('ETag') == '"%s"' % hashlib.md5(data).hexdigest()
    assert r.header('Location').endswith('/%s/up/photo.jpg' % bucket)

    o = s3.get_object(Bucket=bucket, Key='up/photo.jpg')
    assert o['Body'].read() == data
    assert o['ContentType'] == 'text/plain'
    assert o['Metadata'] == {'who': 'me'}


def test_sigv2_presigned_post(server, s3, bucket):
    v2 = boto3.session.Session().client(
        's3', endpoint_url=server.endpoint, region_name='us-east-1',
        aws_access_key_id=server.access_key,
        aws_secret_access_key=server.secret_key,
        config=botocore.config.Config(signature_version='s3',
                                      s3={'addressing_style': 'path'}))
    p = v2.generate_presigned_post(bucket, 'v2/${filename}')
    assert 'AWSAccessKeyId' in p['fields'] and 'signature' in p['fields']
    r = post(server, bucket, p['fields'], content=b'hello v2',
             filename='f.bin')
    assert_ok(r, 204)
    assert s3.get_object(Bucket=bucket, Key='v2/f.bin')['Body'].read() == \
        b'hello v2'

    # boto3's own default in us-east-1, whichever form it makes
    d = boto3.session.Session().client(
        's3', endpoint_url=server.endpoint, region_name='us-east-1',
        aws_access_key_id=server.access_key,
        aws_secret_access_key=server.secret_key)
    p = d.generate_presigned_post(bucket, 'default')
    assert_ok(post(server, bucket, p['fields'], content=b'dflt'), 204)
    assert s3.get_object(Bucket=bucket, Key='default')['Body'].read() == \
        b'dflt'


def test_success_actions(server, s3, bucket):
    fields = v4_fields(server, bucket, 'k201',
                       fields={'success_action_status': '201'},
                       conditions=[{'success_action_status': '201'}])
    r = post(server, bucket, fields, content=b'x')
    assert_ok(r, 201)
    doc = r.xml()
    assert doc.tag == 'PostResponse'
    assert doc.find('Bucket').text == bucket
    assert doc.find('Key').text == 'k201'
    assert doc.find('ETag').text == '"%s"' % hashlib.md5(b'x').hexdigest()
    assert doc.find('Location').text.endswith('/%s/k201' % bucket)

    fields = v4_fields(server, bucket, 'k200',
                       fields={'success_action_status': '200'},
                       conditions=[{'success_action_status': '200'}])
    r = post(server, bucket, fields, content=b'x')
    assert_ok(r, 200)
    assert r.body == b''

    red = 'https://app.example/done?x=1'
    fields = v4_fields(server, bucket, 'a b/c',
                       fields={'success_action_redirect': red},
                       conditions=[{'success_action_redirect': red}])
    r = post(server, bucket, fields, content=b'y')
    assert r.status == 303, r
    loc = r.header('Location')
    assert loc == ('%s&bucket=%s&key=a%%20b%%2Fc&etag=%%22%s%%22'
                   % (red, bucket, hashlib.md5(b'y').hexdigest()))
    assert s3.get_object(Bucket=bucket, Key='a b/c')['Body'].read() == b'y'


def test_checksum_field(server, s3, bucket):
    data = b'checksummed'
    crc = base64.b64encode(zlib.crc32(data).to_bytes(4, 'big')).decode()
    fields = v4_fields(server, bucket, 'ck',
                       fields={'x-amz-checksum-crc32': crc},
                       conditions=[{'x-amz-checksum-crc32': crc}])
    r = post(server, bucket, fields, content=data)
    assert_ok(r, 204)
    assert r.header('x-amz-checksum-crc32') == crc
    h = s3.head_object(Bucket=bucket, Key='ck', ChecksumMode='ENABLED')
    assert h['ChecksumCRC32'] == crc

    r = post(server, bucket, fields, content=data + b'!')
    assert_error(r, 400, 'BadDigest')


def test_fields_after_the_file_are_ignored(server, s3, bucket):
    fields = v4_fields(server, bucket, 'after')
    body, ctype = form_body(list(fields.items()), content=b'A',
                            after=[('x-amz-meta-late', 'no'),
                                   ('file', 'second file')])
    conn = http.client.HTTPConnection('127.0.0.1', server.port)
    conn.request('POST', '/' + bucket, body=body,
                 headers={'Content-Type': ctype})
    assert conn.getresponse().status == 204
    conn.close()
    o = s3.get_object(Bucket=bucket, Key='after')
    assert o['Body'].read() == b'A' and o['Metadata'] == {}


def test_violations(server, s3, bucket):
    """Each violation: its status and Code, nothing stored, and the
    connection goes on."""

    now = datetime.datetime.utcnow()
    past = now - datetime.timedelta(minutes=1)
    good = v4_fields(server, bucket, 'ok')
    bodies = body_files(server)

    def v4(key, conds, fields=None):
        return v4_fields(server, bucket, key, conditions=conds,
                         fields=fields)

    cases = [
        ('condition', dict(v4('up/x', [['starts-with', '$key', 'up/']]),
                           key='down/x'), {}, 403, 'AccessDenied',
         'Invalid according to Policy: Policy Condition failed: '
         '["starts-with", "$key", "up/"]'),
        ('eq', dict(v4('k', [['eq', '$Content-Type', 'image/png']],
                       {'Content-Type': 'image/png'}),
                    **{'Content-Type': 'text/html'}), {}, 403,
         'AccessDenied', 'Invalid according to Policy: Policy Condition '
         'failed: ["eq", "$content-type", "image/png"]'),
        ('extra field', dict(good, **{'x-amz-meta-x': 'y'}), {}, 403,
         'AccessDenied', 'Invalid according to Policy: Extra input fields: '
         'x-amz-meta-x'),
        ('expired', dict(sign_v4(server, policy_doc(server, [
            {'bucket': bucket}, ['starts-with', '$key', '']],
            expiration=past)), key='k'), {}, 403, 'AccessDenied',
         'Invalid according to Policy: Policy expired.'),
        ('too large', v4('big', [['content-length-range', 1, 10]]),
         {'content': b'x' * 11}, 400, 'EntityTooLarge', None),
        ('too small', v4('small', [['content-length-range', 5, 10]]),
         {'content': b'x'}, 400, 'EntityTooSmall', None),
        ('bad json', dict(sign_v4(server, b'{"expiration": '), key='k'), {},
         400, 'InvalidPolicyDocument', 'Invalid Policy: Invalid JSON.'),
        ('no expiration', dict(sign_v4(server, json.dumps(
            {'conditions': []})), key='k'), {}, 400,
         'InvalidPolicyDocument',
         'Invalid Policy: Policy missing expiration.'),
        ('bad condition', dict(sign_v4(server, json.dumps(
            {'expiration': '2099-01-01T00:00:00Z',
             'conditions': [['lt', '$key', 'a']]})), key='k'), {}, 400,
         'InvalidPolicyDocument', None),
        ('signature', dict(good, **{'x-amz-signature': '0' * 64}), {}, 403,
         'SignatureDoesNotMatch', None),
        ('unknown key', dict(good, **{'x-amz-credential': good[
            'x-amz-credential'].replace(server.access_key, 'AKIDNOSUCHKEY0')}),
         {}, 403, 'InvalidAccessKeyId', None),
        ('no key field', {k: v for k, v in good.items() if k != 'key'}, {},
         400, 'InvalidArgument', None),
        ('no signature', {k: v for k, v in good.items()
                          if k != 'x-amz-signature'}, {}, 400,
         'InvalidArgument', None),
        ('no policy', {k: v for k, v in good.items() if k != 'policy'}, {},
         400, 'InvalidArgument', None),
        ('no file', good, {'content': None}, 400,
         'IncorrectNumberOfFilesInPostRequest', None),
        ('bad checksum field', dict(v4('ck', [{'x-amz-checksum-crc32': 'x'}],
                                       {'x-amz-checksum-crc32': 'x'})), {},
         400, 'InvalidRequest', None),
        ('acl', dict(v4('acl', [{'acl': 'public-read'}],
                        {'acl': 'public-read'})), {}, 400,
         'AccessControlListNotSupported', None),
    ]

    with KeepAlive(server) as ka:
        for name, fields, kw, status, code, message in cases:
            r = post(server, bucket, fields, ka=ka, **kw)
            f = assert_error(r, status, code)
            if message:
                assert f['Message'] == message, (name, f)
            # the connection goes on
            assert_ok(ka.request('HEAD', '/' + bucket))

        # not multipart/form-data
        r = ka.request('POST', '/' + bucket, body=b'a=b', sign=False,
                       headers={'Content-Type':
                                'application/x-www-form-urlencoded'})
        assert_error(r, 412, 'PreconditionFailed')
        assert_ok(ka.request('HEAD', '/' + bucket))

        # not well-formed: no closing delimiter, a part without a name
        body, ctype = form_body(list(good.items()), content=b'x')
        for bad in (body[:-12], body.replace(b'name="key"', b'nam="key"')):
            r = ka.request('POST', '/' + bucket, body=bad, sign=False,
                           headers={'Content-Type': ctype})
            assert_error(r, 400, 'MalformedPOSTRequest')
            assert_ok(ka.request('HEAD', '/' + bucket))

        # too much before the file
        r = post(server, bucket, dict(good, **{'x-ignore-pad': 'p' * 70000}),
                 ka=ka)
        assert_error(r, 400, 'MaxPostPreDataLengthExceeded')
        assert_ok(ka.request('HEAD', '/' + bucket))

    assert keys(s3, bucket) == []
    # no body file was left behind either
    assert body_files(server) == bodies

    # and a good one works
    assert_ok(post(server, bucket, good), 204)
    assert keys(s3, bucket) == ['ok']


def test_anonymous_post(server, s3, bucket):
    # a private bucket: no
    r = post(server, bucket, {'key': 'anon'})
    assert_error(r, 403, 'AccessDenied')
    # a public-read-write one: yes, as S3 does
    s3.put_bucket_acl(Bucket=bucket, ACL='public-read-write')
    assert_ok(post(server, bucket, {'key': 'anon'}), 204)
    assert keys(s3, bucket) == ['anon']
    assert_error(post(server, bucket + '-none', {'key': 'anon'}), 403,
                 'AccessDenied')


@pytest.fixture(scope='module')
def kserver(tmp_path_factory):
    d = tmp_path_factory.mktemp('keyfile')
    kf = write_key_file(str(d / 's3.key'), [os.urandom(32)])
    srv = s3server.S3Server(name='post-perms', **admin_kwargs(kf))
    srv.start()
    yield srv
    srv.teardown()


def test_user_permissions(kserver):
    """The key's user needs s3:PutObject on the bucket (a write grant)."""

    ak, sk = new_user_key(kserver, 'poster')
    root = boto_client(kserver)
    b = new_bucket_name('post-perm')
    root.create_bucket(Bucket=b)
    user = boto_client(kserver, ak, sk)
    p = user.generate_presigned_post(b, 'u/${filename}')
    with KeepAlive(kserver) as ka:
        assert_error(post(kserver, b, p['fields'], ka=ka), 403,
                     'AccessDenied')
        cli_ok(kserver, 'grant', b, 'poster', 'read')
        time.sleep(0.05)
        assert_error(post(kserver, b, p['fields'], ka=ka), 403,
                     'AccessDenied')
        cli_ok(kserver, 'grant', b, 'poster', 'write')
        time.sleep(0.05)
        assert_ok(post(kserver, b, p['fields'], ka=ka), 204)
    assert keys(root, b) == ['u/a.txt']
    o = root.head_object(Bucket=b, Key='u/a.txt')
    assert o['ContentLength'] == 4


def _rss(pid):
    try:
        with open('/proc/%d/status' % pid) as f:
            m = re.search(r'VmRSS:\s+(\d+) kB', f.read())
            return int(m.group(1)) if m else 0
    except OSError:
        return 0


def _upload_rss(server, bucket, key, size):
    """Stream a POST of size bytes, sampling the workers' VmRSS: the
    largest growth of any worker (kB)."""

    fields = v4_fields(server, bucket, key)
    head, ctype = form_body(list(fields.items()), content=b'')
    # split at the empty file content: stream the file in between
    marker = b'application/octet-stream\r\n\r\n'
    i = head.index(marker) + len(marker)
    pre, post_ = head[:i], head[i:]
    pids = server.workers_pids()
    base = {p: _rss(p) for p in pids}
    peak = dict(base)
    stop = threading.Event()

    def sample():
        while not stop.is_set():
            for p in pids:
                peak[p] = max(peak[p], _rss(p))
            time.sleep(0.005)

    t = threading.Thread(target=sample)
    t.start()
    conn = http.client.HTTPConnection('127.0.0.1', server.port, timeout=120)
    try:
        conn.putrequest('POST', '/' + bucket)
        conn.putheader('Content-Type', ctype)
        conn.putheader('Content-Length', str(len(pre) + size + len(post_)))
        conn.endheaders()
        conn.send(pre)
        chunk = os.urandom(1 << 20)
        h = hashlib.md5()
        sent = 0
        while sent < size:
            n = min(len(chunk), size - sent)
            conn.send(chunk[:n])
            h.update(chunk[:n])
            sent += n
        conn.send(post_)
        r = conn.getresponse()
        r.read()
        assert r.status == 204, r.status
        assert r.getheader('ETag') == '"%s"' % h.hexdigest()
    finally:
        conn.close()
        stop.set()
        t.join()
    return max(peak[p] - base[p] for p in pids), base


def test_streaming_memory(server, s3, bucket):
    # warm up the workers (pools, buffers) with a small upload first
    _upload_rss(server, bucket, 'warm', 1 << 20)
    small, _ = _upload_rss(server, bucket, 'small', 1 << 20)
    big, base = _upload_rss(server, bucket, 'big', 64 << 20)
    print('\nPOST worker VmRSS growth: 1 MiB upload %d kB, 64 MiB upload '
          '%d kB (workers at %s kB)' % (small, big, sorted(base.values())))
    assert big < small + 4096, (small, big)
    assert s3.head_object(Bucket=bucket, Key='big')['ContentLength'] == \
        64 << 20


def test_cors_on_post(server, s3, bucket):
    """A form posted by a page of another origin reads the answer."""

    s3.put_bucket_cors(Bucket=bucket, CORSConfiguration={'CORSRules': [
        {'AllowedOrigins': ['http://page.example'],
         'AllowedMethods': ['POST'], 'ExposeHeaders': ['ETag']}]})
    fields = v4_fields(server, bucket, 'x')
    body, ctype = form_body(list(fields.items()))
    with KeepAlive(server) as ka:
        for f, status in ((fields, 204),
                          (dict(fields, key='y'), 403)):
            body, ctype = form_body(list(f.items()))
            r = ka.request('POST', '/' + bucket, sign=False, body=body,
                           headers={'Content-Type': ctype,
                                    'Origin': 'http://page.example'})
            assert r.status == status, r
            assert r.header('Access-Control-Allow-Origin') == \
                'http://page.example'
            assert r.header('Access-Control-Expose-Headers') == 'ETag'
