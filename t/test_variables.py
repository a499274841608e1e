"""The $s3_* variables: an access log written with them names the
operation, bucket, key, access key, error code and object size of each
request of a known workload (found by its x-amz-request-id); limit_req
keyed on $s3_access_key throttles one key with S3's SlowDown while
another key's requests pass (docs/directives.md has both examples)."""

import os
import time

import pytest

import sigv2
import sigv4
from conftest import boto_client, new_bucket_name
from s3raw import (KeepAlive, assert_error, assert_ok, error_fields,
                   request, url_request)

FIELDS = ('rid', 'op', 'bucket', 'key', 'ak', 'err', 'size', 'status')

LOG_FORMAT = ('    log_format s3vars \'$s3_request_id\\t$s3_operation\\t'
              '$s3_bucket\\t$s3_key\\t$s3_access_key\\t$s3_error_code\\t'
              '$s3_object_size\\t$status\';')


@pytest.fixture(scope='module')
def logsrv(request):
    import s3server
    srv = s3server.S3Server(name='variables', http_extra=LOG_FORMAT)
    srv.server_extra = (
        '        access_log %s/s3vars.log s3vars;\n'
        '        location /small- { client_max_body_size 10; s3; }\n'
        % srv.tmp)
    srv.start()
    yield srv
    srv.teardown()


def read_log(srv):
    path = os.path.join(srv.tmp, 's3vars.log')
    try:
        with open(path, 'rb') as f:
            text = f.read().decode('ascii')
    except OSError:
        return {}
    out = {}
    for line in text.splitlines():
        rec = dict(zip(FIELDS, line.split('\t')))
        out[rec['rid']] = rec
    return out


def wait_lines(srv, rids, timeout=5):
    """The log lines of these request ids (a worker writes its line
    right after the response)."""

    deadline = time.time() + timeout
    while True:
        log = read_log(srv)
        if all(r in log for r in rids) or time.time() > deadline:
            missing = [r for r in rids if r not in log]
            assert not missing, 'no log line for %s' % missing
            return log
        time.sleep(0.05)


def rid_of(resp):
    if isinstance(resp, dict):
        return resp['ResponseMetadata']['HTTPHeaders']['x-amz-request-id']
    return resp.header('x-amz-request-id')


def rid_of_error(call):
    import botocore.exceptions
    try:
        call()
    except botocore.exceptions.ClientError as e:
        return e.response['ResponseMetadata']['HTTPHeaders'][
            'x-amz-request-id']
    raise AssertionError('the call succeeded')


def esc(s):
    """nginx's escape=default for a log value: bytes above 0x7e as \\xXX"""

    out = ''
    for b in s.encode('utf-8'):
        if b < 0x20 or b > 0x7e or b in (0x22, 0x5c):
            out += '\\x%02X' % b
        else:
            out += chr(b)
    return out


def test_access_log_names_each_request(logsrv):
    srv = logsrv
    s3 = boto_client(srv)
    s3b = boto_client(srv, access_key=srv.access_key2,
                      secret=srv.secret_key2)
    bkt = new_bucket_name('vars')
    key = 'dir/a b \u00fc.txt'
    body = os.urandom(1234)
    AK, AK2 = srv.access_key, srv.access_key2
    want = []                       # (rid, op, bucket, key, ak, err, size,
                                    #  status)

    r = s3.create_bucket(Bucket=bkt)
    want.append((rid_of(r), 'CreateBucket', bkt, '-', AK, '-', '-', '200'))

    r = s3.put_object(Bucket=bkt, Key=key, Body=body)
    want.append((rid_of(r), 'PutObject', bkt, esc(key), AK, '-', '1234',
                 '200'))

    r = s3.get_object(Bucket=bkt, Key=key)
    assert r['Body'].read() == body
    want.append((rid_of(r), 'GetObject', bkt, esc(key), AK, '-', '1234',
                 '200'))

    r = s3.head_object(Bucket=bkt, Key=key)
    want.append((rid_of(r), 'HeadObject', bkt, esc(key), AK, '-', '1234',
                 '200'))

    r = s3.get_object(Bucket=bkt, Key=key, Range='bytes=0-9')
    want.append((rid_of(r), 'GetObject', bkt, esc(key), AK, '-', '1234',
                 '206'))

    rid = rid_of_error(lambda: s3.get_object(Bucket=bkt, Key='missing'))
    want.append((rid, 'GetObject', bkt, 'missing', AK, 'NoSuchKey', '-',
                 '404'))

    r = s3.list_objects_v2(Bucket=bkt)
    want.append((rid_of(r), 'ListObjectsV2', bkt, '-', AK, '-', '-', '200'))

    r = s3b.list_buckets()
    want.append((rid_of(r), 'ListBuckets', '-', '-', AK2, '-', '-', '200'))

    # a wrong secret: the key the request names, the error S3 sent
    bad = boto_client(srv, access_key=AK2, secret='x' * 40)
    rid = rid_of_error(lambda: bad.head_bucket(Bucket=bkt))
    want.append((rid, 'HeadBucket', bkt, '-', AK2, 'SignatureDoesNotMatch',
                 '-', '403'))

    # an unknown key
    rid = rid_of_error(lambda: boto_client(
        srv, access_key='AKIDNOSUCHKEY0000', secret='y' * 40)
        .delete_object(Bucket=bkt, Key='k'))
    want.append((rid, 'DeleteObject', bkt, 'k', 'AKIDNOSUCHKEY0000',
                 'InvalidAccessKeyId', '-', '403'))

    # anonymous: no access key
    path = sigv4.key_path(bkt, key)
    r = request(srv, 'GET', path, sign=False)
    assert_error(r, 403, 'AccessDenied')
    want.append((rid_of(r), 'GetObject', bkt, esc(key), '-', 'AccessDenied',
                 '-', '403'))

    # presigned, SigV4 and SigV2: the key from the query
    q = sigv4.presign('GET', srv.host, path, [], AK2, srv.secret_key2)
    r = url_request(srv, 'GET', path + '?' + sigv4.wire_query(q))
    assert_ok(r)
    want.append((rid_of(r), 'GetObject', bkt, esc(key), AK2, '-', '1234',
                 '200'))
    q = sigv2.presign('GET', path, [], AK, srv.secret_key,
                      int(time.time()) + 300)
    r = url_request(srv, 'GET', path + '?' + sigv2.wire_query(q))
    assert_ok(r)
    want.append((rid_of(r), 'GetObject', bkt, esc(key), AK, '-', '1234',
                 '200'))

    # SigV2 header
    h = sigv2.sign_headers('GET', '/' + bkt, [('location', '')], {},
                           AK2, srv.secret_key2)
    r = request(srv, 'GET', '/' + bkt, query=[('location', '')], headers=h,
                sign=False)
    assert_ok(r)
    want.append((rid_of(r), 'GetBucketLocation', bkt, '-', AK2, '-', '-',
                 '200'))

    # a sub-resource the module does not implement: no operation
    r = request(srv, 'GET', '/' + bkt, query=[('website', '')])
    assert_error(r, 501, 'NotImplemented')
    want.append((rid_of(r), '-', bkt, '-', AK, 'NotImplemented', '-',
                 '501'))

    # refused by nginx in the request line (error_page): a bad escape;
    # nginx read no header
    r = request(srv, 'GET', '/%s/%%zz' % bkt)
    assert_error(r, 400, 'InvalidURI')
    want.append((rid_of(r), '-', '-', '-', '-', 'InvalidURI', '-', '400'))

    # refused by nginx (client_max_body_size): the operation is named
    r = request(srv, 'PUT', '/small-%s/big' % bkt[:20], body=b'x' * 100)
    assert_error(r, 400, 'EntityTooLarge')
    want.append((rid_of(r), 'PutObject', 'small-' + bkt[:20], 'big', AK,
                 'EntityTooLarge', '-', '400'))

    # multipart and copy: their names; a part's size
    r = s3.create_multipart_upload(Bucket=bkt, Key='mp')
    uid = r['UploadId']
    want.append((rid_of(r), 'CreateMultipartUpload', bkt, 'mp', AK, '-',
                 '-', '200'))
    r = s3.upload_part(Bucket=bkt, Key='mp', UploadId=uid, PartNumber=1,
                       Body=b'p' * 100)
    want.append((rid_of(r), 'UploadPart', bkt, 'mp', AK, '-', '100',
                 '200'))
    r = s3.abort_multipart_upload(Bucket=bkt, Key='mp', UploadId=uid)
    want.append((rid_of(r), 'AbortMultipartUpload', bkt, 'mp', AK, '-',
                 '-', '204'))
    r = s3.copy_object(Bucket=bkt, Key='copy',
                       CopySource={'Bucket': bkt, 'Key': key})
    want.append((rid_of(r), 'CopyObject', bkt, 'copy', AK, '-', '-',
                 '200'))

    r = s3.delete_object(Bucket=bkt, Key=key)
    want.append((rid_of(r), 'DeleteObject', bkt, esc(key), AK, '-', '-',
                 '204'))

    # a conditional GET answered 304: no Code is sent
    r = s3.put_object(Bucket=bkt, Key='c', Body=b'abc')
    etag = r['ETag']
    want.append((rid_of(r), 'PutObject', bkt, 'c', AK, '-', '3', '200'))
    r = request(srv, 'GET', '/%s/c' % bkt, headers={'If-None-Match': etag})
    assert r.status == 304
    want.append((rid_of(r), 'GetObject', bkt, 'c', AK, '-', '3', '304'))

    log = wait_lines(srv, [w[0] for w in want])
    for w in want:
        got = tuple(log[w[0]][f] for f in FIELDS)
        assert got == w, 'log line %r, want %r' % (got, w)


def test_variables_outside_s3(make_server):
    """A location without s3: every variable is empty ("-")."""

    srv = make_server(
        http_extra=LOG_FORMAT,
        server_extra='        location = /plain { access_log %s s3vars; '
                     'return 200 "$s3_operation|$s3_bucket|$s3_key|'
                     '$s3_access_key|$s3_request_id"; }' % os.devnull)
    r = request(srv, 'GET', '/plain')
    assert r.status == 200 and r.body == b'||||', r


def test_map_sees_operation_before_the_handler(make_server):
    """$s3_operation, $s3_bucket and $s3_access_key have their values in
    the rewrite phase already (map, limit_req), and the request id a
    variable made there is the one sent."""

    srv = make_server(
        http_extra='    map $s3_operation $s3_is_put { PutObject 1; '
                   'default 0; }',
        server_extra='        location /early- { '
                     'set $early "$s3_is_put $s3_bucket $s3_access_key '
                     '$s3_request_id"; '
                     'add_header x-early $early always; s3; }')
    bkt = 'early-' + new_bucket_name('m')[:20]
    assert_ok(request(srv, 'PUT', '/' + bkt))
    r = assert_ok(request(srv, 'PUT', '/%s/k' % bkt, body=b'1'))
    put, b, ak, rid = r.header('x-early').split(' ')
    assert (put, b, ak) == ('1', bkt, srv.access_key)
    assert rid == r.header('x-amz-request-id')
    r = assert_ok(request(srv, 'GET', '/%s/k' % bkt))
    assert r.header('x-early').split(' ')[0] == '0'


LIMIT = ('    limit_req_zone $s3_access_key zone=perkey:1m rate=1r/m;')


def test_limit_req_per_access_key(make_server):
    """Three requests of a key pass (burst=2), the next are 503 SlowDown as
    S3 XML (error_page through the s3 location); the other key's and
    anonymous requests are not limited by them; the keep-alive
    connection goes on after a SlowDown."""

    srv = make_server(
        http_extra=LIMIT,
        server_extra='        location /lim- { limit_req zone=perkey '
                     'burst=2 nodelay; s3; }')
    bkt = 'lim-' + new_bucket_name('k')[:20]
    one = (srv.access_key, srv.secret_key)
    two = (srv.access_key2, srv.secret_key2)

    with KeepAlive(srv) as c:
        def get(creds):
            return c.request('GET', '/' + bkt, access_key=creds[0],
                             secret=creds[1])

        r = get(one)
        assert_error(r, 404, 'NoSuchBucket')
        r = c.request('PUT', '/' + bkt, access_key=one[0], secret=one[1])
        assert_ok(r)
        assert_ok(get(one))
        for _ in range(3):
            r = get(one)
            assert r.status == 503, r
            f = error_fields(r.body)
            assert f['Code'] == 'SlowDown', r
            assert f['RequestId'] == r.header('x-amz-request-id')
            assert r.header('Retry-After') == '1'
        # the other key: its own budget, on the same connection
        for _ in range(3):
            assert_ok(get(two))
        r = get(two)
        assert r.status == 503 and b'SlowDown' in r.body, r
        # anonymous requests have no key: limit_req does not count them
        for _ in range(5):
            r = c.request('GET', '/' + bkt, sign=False)
            assert_error(r, 403, 'AccessDenied')

    # the first key is still throttled on a new connection, others pass
    r = request(srv, 'GET', '/' + bkt)
    assert r.status == 503
    assert_ok(request(srv, 'GET', '/'))             # another location


def test_user_names_who_was_authenticated(make_server, tmp_path):
    """$s3_user: a managed key's user id, "(operator)" for a root key,
    empty for an anonymous request and for one whose signature failed."""

    from s3admin import admin_kwargs, new_user_key, write_key_file

    kf = write_key_file(str(tmp_path / 's3.key'), [os.urandom(32)])
    srv = make_server(**admin_kwargs(
        kf, http_extra='    log_format s3user '
                       '\'$s3_request_id\\t$s3_user\';\n',
        server_extra='        access_log %s/s3user.log s3user;\n'
                     % tmp_path))
    user = new_bucket_name('dave')[:40]
    ak, sk = new_user_key(srv, user)

    s3 = boto_client(srv, ak, sk)
    bkt = new_bucket_name('user')
    want = {}
    want[rid_of(s3.create_bucket(Bucket=bkt))] = user
    want[rid_of(boto_client(srv).list_buckets())] = '(operator)'
    r = request(srv, 'GET', '/' + bkt, sign=False)
    assert_error(r, 403, 'AccessDenied')
    want[rid_of(r)] = '-'
    r = request(srv, 'GET', '/' + bkt, access_key=ak, secret='x' * 40)
    assert_error(r, 403, 'SignatureDoesNotMatch')
    want[rid_of(r)] = '-'

    deadline = time.time() + 5
    while True:
        try:
            with open(str(tmp_path / 's3user.log')) as f:
                got = dict(line.rstrip('\n').split('\t')
                           for line in f if '\t' in line)
        except OSError:
            got = {}
        if all(r in got for r in want) or time.time() > deadline:
            break
        time.sleep(0.05)
    assert {r: got.get(r) for r in want} == want
    s3.delete_bucket(Bucket=bkt)
