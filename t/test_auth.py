"""SigV4: header auth, payload hashes, clock skew, presigned URLs."""

import hashlib
import time
import urllib.parse

import pytest
from botocore.auth import S3SigV4Auth, S3SigV4QueryAuth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

import sigv4
from conftest import boto_client, new_bucket_name
from s3raw import (assert_error, assert_ok, client_error, request,
                   url_request)

ORIGINAL = b'original body of obj\n'


@pytest.fixture(scope='module')
def bkt(s3):
    name = new_bucket_name('auth')
    s3.create_bucket(Bucket=name)
    s3.put_object(Bucket=name, Key='obj', Body=ORIGINAL)
    return name


def _get_body(s3, bucket, key):
    return s3.get_object(Bucket=bucket, Key=key)['Body'].read()


def _split(url):
    u = urllib.parse.urlsplit(url)
    return u.path + ('?' + u.query if u.query else '')


# the signer the other tests rely on, checked against botocore's

SIGNER_CASES = [
    ('GET', '/', [], {}, b''),
    ('GET', '/bkt', [('list-type', '2'), ('prefix', 'a b/c+d'),
                     ('delimiter', '/')], {}, b''),
    ('PUT', '/bkt/k%20ey/%E6%97%A5%2B', [], {'Content-Type': 'text/plain',
                                           'x-amz-meta-a': '  x  y '},
     b'hello'),
    ('POST', '/bkt', [('delete', '')], {'Content-MD5': 'abc='}, b'<x/>'),
    ('HEAD', '/bkt/a//b', [], {}, b''),
]


@pytest.mark.parametrize('method,path,query,headers,body', SIGNER_CASES)
def test_signer_matches_botocore(method, path, query, headers, body):
    creds = Credentials('AKIDEXAMPLE', 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLE')
    url = 'http://127.0.0.1:9' + path
    if query:
        url += '?' + sigv4.wire_query(query)
    req = AWSRequest(method=method, url=url, headers=dict(headers),
                     data=body)
    S3SigV4Auth(creds, 's3', 'us-east-1').add_auth(req)
    auth = req.headers['Authorization']
    signed = auth.split('SignedHeaders=')[1].split(',')[0].split(';')
    mine = sigv4.sign_headers(method, '127.0.0.1:9', path, query, headers,
                              body, creds.access_key, creds.secret_key,
                              'us-east-1', amz_date=req.headers['X-Amz-Date'],
                              signed_headers=signed)
    assert mine['Authorization'] == auth

    req = AWSRequest(method=method, url=url, headers={}, data=b'')
    S3SigV4QueryAuth(creds, 's3', 'us-east-1', expires=600).add_auth(req)
    q = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(req.url).query,
                                    keep_blank_values=True))
    pairs = sigv4.presign(method, '127.0.0.1:9', path, query,
                          creds.access_key, creds.secret_key, 'us-east-1',
                          expires=600, amz_date=q['X-Amz-Date'])
    assert dict(pairs)['X-Amz-Signature'] == q['X-Amz-Signature']


# header auth

def test_signed_get_works(server, bkt):
    r = assert_ok(request(server, 'GET', '/%s/obj' % bkt))
    assert r.body == ORIGINAL


def test_bad_signature(server, bkt):
    h = sigv4.sign_headers('GET', server.host, '/%s/obj' % bkt, [], {}, b'',
                           server.access_key, server.secret_key)
    a = h['Authorization']
    h['Authorization'] = a[:-1] + ('0' if a[-1] != '0' else '1')
    r = request(server, 'GET', '/%s/obj' % bkt, headers=h, sign=False)
    assert_error(r, 403, 'SignatureDoesNotMatch')


def test_wrong_secret(server, bkt):
    c = boto_client(server, secret='x' * 40)
    with client_error(403, 'SignatureDoesNotMatch'):
        c.get_object(Bucket=bkt, Key='obj')
    with client_error(403, 'SignatureDoesNotMatch'):
        c.put_object(Bucket=bkt, Key='obj', Body=b'overwritten')
    assert _get_body(boto_client(server), bkt, 'obj') == ORIGINAL


def test_signed_header_changed_after_signing(server, bkt):
    h = sigv4.sign_headers('PUT', server.host, '/%s/obj' % bkt, [],
                           {'x-amz-meta-a': '1'}, b'changed',
                           server.access_key, server.secret_key)
    h['x-amz-meta-a'] = '2'
    r = request(server, 'PUT', '/%s/obj' % bkt, headers=h, body=b'changed',
                sign=False)
    assert_error(r, 403, 'SignatureDoesNotMatch')
    assert request(server, 'GET', '/%s/obj' % bkt).body == ORIGINAL


def test_path_changed_after_signing(server, bkt):
    h = sigv4.sign_headers('GET', server.host, '/%s/other' % bkt, [], {},
                           b'', server.access_key, server.secret_key)
    r = request(server, 'GET', '/%s/obj' % bkt, headers=h, sign=False)
    assert_error(r, 403, 'SignatureDoesNotMatch')


def test_unknown_access_key(server, bkt):
    c = boto_client(server, access_key='AKIDUNKNOWN000000000')
    with client_error(403, 'InvalidAccessKeyId'):
        c.get_object(Bucket=bkt, Key='obj')
    with client_error(403, 'InvalidAccessKeyId'):
        c.list_buckets()


def test_second_configured_key(server, bkt):
    """s3_access_key may repeat: the second pair works too."""

    c = boto_client(server, server.access_key2, server.secret_key2)
    assert _get_body(c, bkt, 'obj') == ORIGINAL
    names = [b['Name'] for b in c.list_buckets()['Buckets']]
    assert bkt in names


def test_anonymous(server, bkt):
    assert_error(request(server, 'GET', '/', sign=False), 403,
                 'AccessDenied')
    assert_error(request(server, 'GET', '/%s' % bkt, sign=False), 403,
                 'AccessDenied')
    assert_error(request(server, 'GET', '/%s/obj' % bkt, sign=False), 403,
                 'AccessDenied')
    assert_error(request(server, 'HEAD', '/%s/obj' % bkt, sign=False), 403,
                 'AccessDenied')
    r = request(server, 'PUT', '/%s/anon' % bkt, body=b'anon', sign=False)
    assert_error(r, 403, 'AccessDenied')
    r = request(server, 'DELETE', '/%s/obj' % bkt, sign=False)
    assert_error(r, 403, 'AccessDenied')
    assert_error(request(server, 'GET', '/%s/anon' % bkt), 404, 'NoSuchKey')
    assert request(server, 'GET', '/%s/obj' % bkt).body == ORIGINAL


@pytest.mark.parametrize('skew', [-20 * 60, 20 * 60])
def test_clock_skew(server, bkt, skew):
    r = request(server, 'GET', '/%s/obj' % bkt, amz_date=sigv4.amz_now(skew))
    assert_error(r, 403, 'RequestTimeTooSkewed')
    r = request(server, 'PUT', '/%s/obj' % bkt, body=b'skewed',
                amz_date=sigv4.amz_now(skew))
    assert_error(r, 403, 'RequestTimeTooSkewed')
    assert request(server, 'GET', '/%s/obj' % bkt).body == ORIGINAL


@pytest.mark.parametrize('skew', [-10 * 60, 10 * 60])
def test_clock_skew_within_15_minutes(server, bkt, skew):
    r = request(server, 'GET', '/%s/obj' % bkt, amz_date=sigv4.amz_now(skew))
    assert_ok(r)


def test_payload_sha256_mismatch(server, bkt):
    wrong = hashlib.sha256(b'some other body').hexdigest()
    r = request(server, 'PUT', '/%s/obj' % bkt, body=b'new body',
                payload_hash=wrong)
    assert_error(r, 400, 'XAmzContentSHA256Mismatch')
    assert request(server, 'GET', '/%s/obj' % bkt).body == ORIGINAL

    r = request(server, 'PUT', '/%s/sha-new' % bkt, body=b'x' * 100000,
                payload_hash=wrong)
    assert_error(r, 400, 'XAmzContentSHA256Mismatch')
    assert_error(request(server, 'GET', '/%s/sha-new' % bkt), 404,
                 'NoSuchKey')


def test_payload_sha256_mismatch_empty_body(server, bkt):
    wrong = hashlib.sha256(b'not empty').hexdigest()
    r = request(server, 'PUT', '/%s/sha-empty' % bkt, body=b'',
                payload_hash=wrong)
    assert_error(r, 400, 'XAmzContentSHA256Mismatch')
    assert_error(request(server, 'GET', '/%s/sha-empty' % bkt), 404,
                 'NoSuchKey')


def test_unsigned_payload(server, bkt):
    body = b'unsigned payload body' * 1000
    r = request(server, 'PUT', '/%s/unsigned' % bkt, body=body,
                payload_hash=sigv4.UNSIGNED)
    assert_ok(r)
    assert r.header('ETag') == '"%s"' % hashlib.md5(body).hexdigest()
    assert request(server, 'GET', '/%s/unsigned' % bkt).body == body


def test_authorization_header_malformed(server, bkt):
    h = {'Authorization': 'AWS4-HMAC-SHA256 Credential=garbage, '
                          'SignedHeaders=host, Signature=00',
         'x-amz-date': sigv4.amz_now(),
         'x-amz-content-sha256': sigv4.EMPTY_SHA256}
    r = request(server, 'GET', '/%s/obj' % bkt, headers=h, sign=False)
    # AWS: 400 AuthorizationHeaderMalformed "the Credential is mal-formed"
    assert_error(r, 400, 'AuthorizationHeaderMalformed')


def test_wrong_region_in_scope(server, bkt):
    r = request(server, 'GET', '/%s/obj' % bkt, region='eu-west-1')
    # AWS: 400 AuthorizationHeaderMalformed "the region 'eu-west-1' is
    # wrong; expecting 'us-east-1'"
    assert_error(r, 400, 'AuthorizationHeaderMalformed')


# presigned URLs

def test_presigned_get_head(server, s3, bkt):
    url = s3.generate_presigned_url(
        'get_object', Params={'Bucket': bkt, 'Key': 'obj'}, ExpiresIn=300)
    r = assert_ok(url_request(server, 'GET', _split(url)))
    assert r.body == ORIGINAL
    url = s3.generate_presigned_url(
        'head_object', Params={'Bucket': bkt, 'Key': 'obj'}, ExpiresIn=300)
    r = assert_ok(url_request(server, 'HEAD', _split(url)))
    assert int(r.header('Content-Length')) == len(ORIGINAL)
    assert r.body == b''


def test_presigned_get_with_overrides(server, s3, bkt):
    url = s3.generate_presigned_url(
        'get_object', Params={'Bucket': bkt, 'Key': 'obj',
                              'ResponseContentType': 'text/x-presigned',
                              'ResponseContentDisposition':
                                  'attachment; filename="a b.txt"'},
        ExpiresIn=300)
    r = assert_ok(url_request(server, 'GET', _split(url)))
    assert r.body == ORIGINAL
    assert r.header('Content-Type') == 'text/x-presigned'
    assert r.header('Content-Disposition') == 'attachment; filename="a b.txt"'


def test_presigned_list(server, s3, bkt):
    url = s3.generate_presigned_url(
        'list_objects_v2', Params={'Bucket': bkt}, ExpiresIn=300)
    r = assert_ok(url_request(server, 'GET', _split(url)))
    keys = [k.text for k in r.xml().iter('Key')]
    assert 'obj' in keys


def test_presigned_put_delete(server, s3, bkt):
    body = b'put through a presigned URL\n' * 100
    url = s3.generate_presigned_url(
        'put_object', Params={'Bucket': bkt, 'Key': 'presigned'},
        ExpiresIn=300)
    r = assert_ok(url_request(server, 'PUT', _split(url), body=body))
    assert r.header('ETag') == '"%s"' % hashlib.md5(body).hexdigest()
    assert _get_body(s3, bkt, 'presigned') == body

    url = s3.generate_presigned_url(
        'delete_object', Params={'Bucket': bkt, 'Key': 'presigned'},
        ExpiresIn=300)
    assert_ok(url_request(server, 'DELETE', _split(url)), 204)
    with client_error(404, 'NoSuchKey'):
        s3.get_object(Bucket=bkt, Key='presigned')


def _presigned(server, method, path, **kw):
    pairs = sigv4.presign(method, server.host, path, [], server.access_key,
                          server.secret_key, server.region, **kw)
    return path + '?' + sigv4.wire_query(pairs)


def test_presigned_own_signer(server, bkt):
    r = url_request(server, 'GET', _presigned(server, 'GET',
                                              '/%s/obj' % bkt))
    assert assert_ok(r).body == ORIGINAL


def test_presigned_expired(server, bkt):
    url = _presigned(server, 'GET', '/%s/obj' % bkt, expires=60,
                     amz_date=sigv4.amz_now(-3600))
    assert_error(url_request(server, 'GET', url), 403, 'AccessDenied')

    url = _presigned(server, 'PUT', '/%s/obj' % bkt, expires=60,
                     amz_date=sigv4.amz_now(-3600))
    r = url_request(server, 'PUT', url, body=b'expired put')
    assert_error(r, 403, 'AccessDenied')
    assert request(server, 'GET', '/%s/obj' % bkt).body == ORIGINAL


def test_presigned_expired_boto(server, s3, bkt):
    url = s3.generate_presigned_url(
        'get_object', Params={'Bucket': bkt, 'Key': 'obj'}, ExpiresIn=1)
    time.sleep(2.2)
    assert_error(url_request(server, 'GET', _split(url)), 403,
                 'AccessDenied')


def test_presigned_expires_limit(server, bkt):
    url = _presigned(server, 'GET', '/%s/obj' % bkt, expires=604800)
    assert_ok(url_request(server, 'GET', url))
    url = _presigned(server, 'GET', '/%s/obj' % bkt, expires=604801)
    assert_error(url_request(server, 'GET', url), 400,
                 'AuthorizationQueryParametersError')


def test_presigned_tampered(server, bkt):
    url = _presigned(server, 'GET', '/%s/obj' % bkt)
    bad = url[:-1] + ('0' if url[-1] != '0' else '1')
    assert_error(url_request(server, 'GET', bad), 403,
                 'SignatureDoesNotMatch')
    # the same query on another key
    other = url.replace('/%s/obj?' % bkt, '/%s/other?' % bkt)
    assert_error(url_request(server, 'GET', other), 403,
                 'SignatureDoesNotMatch')
    # a GET URL used for a PUT
    r = url_request(server, 'PUT', url, body=b'tampered')
    assert_error(r, 403, 'SignatureDoesNotMatch')
    assert request(server, 'GET', '/%s/obj' % bkt).body == ORIGINAL


def test_presigned_unknown_key(server, bkt):
    path = '/%s/obj' % bkt
    pairs = sigv4.presign('GET', server.host, path, [],
                          'AKIDUNKNOWN000000000', server.secret_key)
    r = url_request(server, 'GET', path + '?' + sigv4.wire_query(pairs))
    assert_error(r, 403, 'InvalidAccessKeyId')
