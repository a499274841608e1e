"""CORS: Put/Get/DeleteBucketCors, preflight OPTIONS, the Access-Control-*
headers of actual requests (errors, 206 and 304 included), and the
s3_cors_default directive."""

import os
import time

from conftest import boto_client, new_bucket_name
from s3raw import (KeepAlive, assert_error, assert_ok, client_error,
                   error_fields, request)

ORIGIN = 'http://app.example'

RULES = {'CORSRules': [
    {'ID': 'app', 'AllowedOrigins': [ORIGIN, 'https://*.app.example'],
     'AllowedMethods': ['GET', 'PUT', 'HEAD'],
     'AllowedHeaders': ['x-amz-*', 'Content-Type', 'Range'],
     'ExposeHeaders': ['ETag', 'x-amz-request-id'], 'MaxAgeSeconds': 600},
    {'AllowedOrigins': ['*'], 'AllowedMethods': ['GET']},
]}

XML_RULE = ('<CORSRule><AllowedOrigin>%s</AllowedOrigin>'
            '<AllowedMethod>%s</AllowedMethod></CORSRule>')


def cors_xml(*rules):
    return ('<CORSConfiguration>%s</CORSConfiguration>'
            % ''.join(rules)).encode()


def preflight(server, path, origin=ORIGIN, method='GET', headers=None):
    h = {}
    if origin is not None:
        h['Origin'] = origin
    if method is not None:
        h['Access-Control-Request-Method'] = method
    if headers is not None:
        h['Access-Control-Request-Headers'] = headers
    return request(server, 'OPTIONS', path, headers=h, sign=False)


def test_put_get_delete(s3, bucket):
    with client_error(404, 'NoSuchCORSConfiguration'):
        s3.get_bucket_cors(Bucket=bucket)

    s3.put_bucket_cors(Bucket=bucket, CORSConfiguration=RULES)
    got = s3.get_bucket_cors(Bucket=bucket)['CORSRules']
    assert got[0]['ID'] == 'app'
    assert got[0]['AllowedOrigins'] == RULES['CORSRules'][0]['AllowedOrigins']
    assert got[0]['AllowedMethods'] == ['GET', 'PUT', 'HEAD']
    assert got[0]['AllowedHeaders'] == ['x-amz-*', 'content-type', 'range']
    assert got[0]['ExposeHeaders'] == ['ETag', 'x-amz-request-id']
    assert got[0]['MaxAgeSeconds'] == 600
    assert got[1] == {'AllowedOrigins': ['*'], 'AllowedMethods': ['GET']}

    s3.delete_bucket_cors(Bucket=bucket)
    with client_error(404, 'NoSuchCORSConfiguration'):
        s3.get_bucket_cors(Bucket=bucket)

    with client_error(404, 'NoSuchBucket'):
        s3.get_bucket_cors(Bucket=bucket + '-none')
    with client_error(404, 'NoSuchBucket'):
        s3.put_bucket_cors(Bucket=bucket + '-none', CORSConfiguration=RULES)


def test_bad_configurations(server, s3, bucket):
    s3.put_bucket_cors(Bucket=bucket, CORSConfiguration=RULES)
    before = s3.get_bucket_cors(Bucket=bucket)['CORSRules']

    cases = [
        (b'<CORSConfiguration><CORSRule>', 400, 'MalformedXML', None),
        (cors_xml(), 400, 'MalformedXML', None),
        (cors_xml('<CORSRule><AllowedMethod>GET</AllowedMethod></CORSRule>'),
         400, 'MalformedXML', None),
        (cors_xml(XML_RULE % ('*', 'PATCH')), 400, 'InvalidRequest',
         'Found unsupported HTTP method in CORS config. Unsupported method '
         'is PATCH'),
        (cors_xml(XML_RULE % ('http://*.*.example', 'GET')), 400,
         'InvalidRequest', 'AllowedOrigin "http://*.*.example" can not have '
         'more than one wildcard.'),
        (cors_xml(*[XML_RULE % ('*', 'GET')] * 101), 400, 'MalformedXML',
         None),
    ]
    with KeepAlive(server) as ka:
        for body, status, code, message in cases:
            r = ka.request('PUT', '/' + bucket, query=[('cors', '')],
                           body=body)
            f = assert_error(r, status, code)
            if message:
                assert f['Message'] == message
            # the same connection goes on
            assert_ok(ka.request('GET', '/' + bucket, query=[('cors', '')]))

    assert s3.get_bucket_cors(Bucket=bucket)['CORSRules'] == before

    # 100 rules are fine
    r = request(server, 'PUT', '/' + bucket, query=[('cors', '')],
                body=cors_xml(*[XML_RULE % ('*', 'GET')] * 100))
    assert_ok(r)
    assert len(s3.get_bucket_cors(Bucket=bucket)['CORSRules']) == 100


def test_preflight(server, s3, bucket):
    s3.put_bucket_cors(Bucket=bucket, CORSConfiguration=RULES)

    for path in ('/' + bucket, '/' + bucket + '/some/key'):
        r = preflight(server, path, method='PUT',
                      headers='X-Amz-Date, content-type,x-amz-meta-a')
        assert_ok(r)
        assert r.header('Access-Control-Allow-Origin') == ORIGIN
        assert r.header('Access-Control-Allow-Credentials') == 'true'
        assert r.header('Access-Control-Allow-Methods') == 'GET, PUT, HEAD'
        assert r.header('Access-Control-Allow-Headers') == \
            'x-amz-date, content-type,x-amz-meta-a'
        assert r.header('Access-Control-Expose-Headers') == \
            'ETag, x-amz-request-id'
        assert r.header('Access-Control-Max-Age') == '600'
        assert 'Origin' in r.header('Vary')

    # the wildcard origin of a rule
    r = preflight(server, '/' + bucket + '/k', origin='https://a.app.example',
                  method='HEAD')
    assert_ok(r)
    assert r.header('Access-Control-Allow-Origin') == 'https://a.app.example'

    # the second rule: any origin, GET only, no headers
    r = preflight(server, '/' + bucket + '/k', origin='http://other.example')
    assert_ok(r)
    assert r.header('Access-Control-Allow-Origin') == '*'
    assert r.header('Access-Control-Allow-Credentials') is None
    assert r.header('Access-Control-Max-Age') is None


def test_preflight_refused(server, s3, bucket):
    s3.put_bucket_cors(Bucket=bucket, CORSConfiguration=RULES)
    key = '/' + bucket + '/k'

    with KeepAlive(server) as ka:
        def opts(headers):
            return ka.request('OPTIONS', key, headers=headers, sign=False)

        cases = [
            ({'Origin': 'http://other.example',
              'Access-Control-Request-Method': 'PUT'}, 403,
             'AccessForbidden'),
            ({'Origin': ORIGIN, 'Access-Control-Request-Method': 'DELETE'},
             403, 'AccessForbidden'),
            ({'Origin': ORIGIN, 'Access-Control-Request-Method': 'PUT',
              'Access-Control-Request-Headers': 'authorization'}, 403,
             'AccessForbidden'),
            ({'Origin': ORIGIN, 'Access-Control-Request-Method': 'get'},
             403, 'AccessForbidden'),
            ({'Access-Control-Request-Method': 'GET'}, 400, 'BadRequest'),
            ({'Origin': ORIGIN}, 400, 'BadRequest'),
        ]
        for headers, status, code in cases:
            r = opts(headers)
            f = assert_error(r, status, code)
            assert r.header('Access-Control-Allow-Origin') is None
            if code == 'AccessForbidden':
                assert f['Message'].startswith(
                    'CORSResponse: This CORS request is not allowed.')
                assert f['ResourceType'] == 'OBJECT'
            assert_ok(ka.request('HEAD', '/' + bucket))

    # the refusal is in the error log, at info
    deadline = time.time() + 5
    while time.time() < deadline:
        with open(server.error_log, errors='replace') as f:
            log = f.read()
        if 'preflight from "http://other.example" for PUT' in log:
            break
        time.sleep(0.1)
    assert 'refused: no rule allows it' in log

    # a bucket without CORS
    other = new_bucket_name('nocors')
    s3.create_bucket(Bucket=other)
    r = preflight(server, '/' + other)
    f = assert_error(r, 403, 'AccessForbidden')
    assert f['Message'] == 'CORSResponse: CORS is not enabled for this ' \
                           'bucket.'
    assert f['ResourceType'] == 'BUCKET'
    assert_error(preflight(server, '/' + other + '-none'), 403,
                 'AccessForbidden')


def test_actual_requests(server, s3, bucket):
    s3.put_bucket_cors(Bucket=bucket, CORSConfiguration=RULES)
    s3.put_object(Bucket=bucket, Key='k', Body=b'0123456789')
    etag = s3.head_object(Bucket=bucket, Key='k')['ETag']
    key = '/' + bucket + '/k'

    def check(r, origin=ORIGIN):
        assert r.header('Access-Control-Allow-Origin') == origin, r
        assert r.header('Access-Control-Expose-Headers') == \
            'ETag, x-amz-request-id'
        assert 'Origin' in (r.header('Vary') or '')

    with KeepAlive(server) as ka:
        r = assert_ok(ka.request('GET', key, headers={'Origin': ORIGIN}))
        assert r.body == b'0123456789'
        check(r)

        r = ka.request('GET', key, headers={'Origin': ORIGIN,
                                            'Range': 'bytes=2-4'})
        assert r.status == 206 and r.body == b'234'
        check(r)

        r = ka.request('GET', key, headers={'Origin': ORIGIN,
                                            'If-None-Match': etag})
        assert r.status == 304
        check(r)

        r = ka.request('GET', key + '-none', headers={'Origin': ORIGIN})
        assert_error(r, 404, 'NoSuchKey')
        check(r)

        # an error before authentication: a bad signature
        r = ka.request('GET', key, headers={'Origin': ORIGIN},
                       secret='wrong' * 8)
        assert_error(r, 403, 'SignatureDoesNotMatch')
        check(r)

        # anonymous, refused
        r = ka.request('GET', key, headers={'Origin': ORIGIN}, sign=False)
        assert_error(r, 403, 'AccessDenied')
        check(r)

        r = assert_ok(ka.request('HEAD', key, headers={'Origin': ORIGIN}))
        check(r)

        # a method no rule of the origin allows: no CORS headers
        r = ka.request('DELETE', key + '-x', headers={'Origin': ORIGIN})
        assert r.status == 204
        assert r.header('Access-Control-Allow-Origin') is None

        # another origin: the wildcard rule, GET only
        r = assert_ok(ka.request('GET', key,
                                 headers={'Origin': 'http://x.example'}))
        assert r.header('Access-Control-Allow-Origin') == '*'
        assert r.header('Access-Control-Allow-Credentials') is None
        r = ka.request('PUT', key, headers={'Origin': 'http://x.example'},
                       body=b'x')
        assert r.status == 200
        assert r.header('Access-Control-Allow-Origin') is None

        # no Origin: nothing
        r = assert_ok(ka.request('GET', key))
        assert r.header('Access-Control-Allow-Origin') is None
        assert r.header('Vary') is None

    # a presigned URL, as a browser fetches it
    url = s3.generate_presigned_url('get_object',
                                    Params={'Bucket': bucket, 'Key': 'k'})
    from s3raw import url_request
    r = url_request(server, 'GET', url.split(str(server.port), 1)[1],
                    headers={'Origin': ORIGIN})
    assert_ok(r)
    check(r)

    # a change is seen at once (the access generation moves)
    s3.delete_bucket_cors(Bucket=bucket)
    r = assert_ok(request(server, 'GET', key, headers={'Origin': ORIGIN}))
    assert r.header('Access-Control-Allow-Origin') is None


def test_default(make_server, tmp_path):
    conf = tmp_path / 'cors.xml'
    conf.write_text('<CORSConfiguration><CORSRule>'
                    '<AllowedOrigin>http://console.example</AllowedOrigin>'
                    '<AllowedMethod>GET</AllowedMethod>'
                    '<AllowedMethod>PUT</AllowedMethod>'
                    '<AllowedHeader>*</AllowedHeader>'
                    '<ExposeHeader>ETag</ExposeHeader>'
                    '</CORSRule></CORSConfiguration>')
    os.chmod(str(tmp_path), 0o755)
    srv = make_server(http_extra='s3_cors_default %s;' % conf)
    s3 = boto_client(srv)
    b1, b2 = new_bucket_name('d1'), new_bucket_name('d2')
    s3.create_bucket(Bucket=b1)
    s3.create_bucket(Bucket=b2)
    s3.put_bucket_cors(Bucket=b2, CORSConfiguration={'CORSRules': [
        {'AllowedOrigins': ['http://own.example'],
         'AllowedMethods': ['GET']}]})

    r = preflight(srv, '/' + b1 + '/k', origin='http://console.example',
                  method='PUT', headers='x-amz-date,authorization')
    assert_ok(r)
    assert r.header('Access-Control-Allow-Headers') == \
        'x-amz-date,authorization'

    # a bucket's own rules replace the default
    assert_error(preflight(srv, '/' + b2, origin='http://console.example'),
                 403, 'AccessForbidden')
    assert_ok(preflight(srv, '/' + b2, origin='http://own.example'))

    # requests naming no bucket: ListBuckets from the console
    r = assert_ok(request(srv, 'GET', '/',
                          headers={'Origin': 'http://console.example'}))
    assert r.header('Access-Control-Allow-Origin') == \
        'http://console.example'
    assert_ok(preflight(srv, '/', origin='http://console.example'))

    # GetBucketCors still says the bucket has none of its own
    with client_error(404, 'NoSuchCORSConfiguration'):
        s3.get_bucket_cors(Bucket=b1)
