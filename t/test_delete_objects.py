"""DeleteObjects: POST /bucket?delete with an XML body."""

import base64
import hashlib
from xml.sax.saxutils import escape

from conftest import new_bucket_name
from s3raw import assert_error, assert_ok, client_error, request


def delete_xml(keys, quiet=False):
    objs = ''.join('<Object><Key>%s</Key></Object>' % escape(k)
                   for k in keys)
    q = '<Quiet>true</Quiet>' if quiet else ''
    return ('<?xml version="1.0" encoding="UTF-8"?>'
            '<Delete xmlns="http://s3.amazonaws.com/doc/2006-03-01/">'
            '%s%s</Delete>' % (q, objs)).encode()


def md5b64(b):
    return base64.b64encode(hashlib.md5(b).digest()).decode()


def keys_of(s3, bucket):
    return sorted(c['Key'] for c in
                  s3.list_objects_v2(Bucket=bucket).get('Contents', []))


def fill(s3, bucket, keys):
    for k in keys:
        s3.put_object(Bucket=bucket, Key=k, Body=k.encode())


def test_delete_objects_boto(s3, bucket):
    fill(s3, bucket, ['a', 'b', 'c', 'x & <y>'])
    r = s3.delete_objects(Bucket=bucket, Delete={'Objects': [
        {'Key': 'a'}, {'Key': 'b'}, {'Key': 'missing'}, {'Key': 'x & <y>'}]})
    assert sorted(d['Key'] for d in r['Deleted']) \
        == ['a', 'b', 'missing', 'x & <y>']
    assert not r.get('Errors')
    assert r['ResponseMetadata']['HTTPHeaders'].get('x-amz-request-id')
    assert keys_of(s3, bucket) == ['c']


def test_delete_objects_quiet(server, s3, bucket):
    fill(s3, bucket, ['q1', 'q2', 'keep'])
    r = s3.delete_objects(Bucket=bucket, Delete={
        'Objects': [{'Key': 'q1'}, {'Key': 'q2'}, {'Key': 'nope'}],
        'Quiet': True})
    assert not r.get('Deleted')
    assert not r.get('Errors')
    assert keys_of(s3, bucket) == ['keep']

    body = delete_xml(['keep'], quiet=True)
    r = assert_ok(request(server, 'POST', '/' + bucket,
                          query=[('delete', '')], body=body))
    root = r.xml()
    assert root.tag == 'DeleteResult'
    assert root.find('Deleted') is None
    assert keys_of(s3, bucket) == []


def test_delete_objects_without_content_md5(server, s3, bucket):
    """Newer SDKs send a CRC checksum or nothing instead of Content-MD5."""

    fill(s3, bucket, ['m1', 'm2'])
    body = delete_xml(['m1', 'm2', 'm3'])
    r = assert_ok(request(server, 'POST', '/' + bucket,
                          query=[('delete', '')], body=body))
    root = r.xml()
    assert sorted(d.find('Key').text for d in root.findall('Deleted')) \
        == ['m1', 'm2', 'm3']
    assert keys_of(s3, bucket) == []


def test_delete_objects_content_md5(server, s3, bucket):
    fill(s3, bucket, ['d1', 'd2'])
    body = delete_xml(['d1'])
    r = request(server, 'POST', '/' + bucket, query=[('delete', '')],
                body=body, headers={'Content-MD5': md5b64(b'other')})
    assert_error(r, 400, 'BadDigest')
    assert keys_of(s3, bucket) == ['d1', 'd2']
    r = request(server, 'POST', '/' + bucket, query=[('delete', '')],
                body=body, headers={'Content-MD5': 'garbage!'})
    assert_error(r, 400, 'InvalidDigest')
    assert keys_of(s3, bucket) == ['d1', 'd2']
    r = request(server, 'POST', '/' + bucket, query=[('delete', '')],
                body=body, headers={'Content-MD5': md5b64(body)})
    assert_ok(r)
    assert keys_of(s3, bucket) == ['d2']


def test_delete_objects_limit(server, s3, bucket):
    fill(s3, bucket, ['k0', 'k1'])
    keys = ['k%d' % i for i in range(1001)]
    r = request(server, 'POST', '/' + bucket, query=[('delete', '')],
                body=delete_xml(keys))
    # AWS: more than 1000 keys is MalformedXML
    assert_error(r, 400, 'MalformedXML')
    assert keys_of(s3, bucket) == ['k0', 'k1']

    r = assert_ok(request(server, 'POST', '/' + bucket,
                          query=[('delete', '')], body=delete_xml(keys[:1000])))
    assert len(r.xml().findall('Deleted')) == 1000
    assert keys_of(s3, bucket) == []


def test_delete_objects_malformed(server, s3, bucket):
    fill(s3, bucket, ['m'])
    for body in (b'<Delete><Object><Key>m</Key></Object>',
                 b'not xml',
                 b'<Other><Object><Key>m</Key></Object></Other>',
                 b'<Delete></Delete>',
                 b''):
        r = request(server, 'POST', '/' + bucket, query=[('delete', '')],
                    body=body)
        assert_error(r, 400, 'MalformedXML')
    assert keys_of(s3, bucket) == ['m']


def test_delete_objects_entities_refused(server, s3, bucket):
    """No DTDs, no entity expansion (billion laughs, external files)."""

    fill(s3, bucket, ['e'])
    body = (b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY x SYSTEM '
            b'"file:///etc/os-release">]><Delete><Object><Key>&x;</Key>'
            b'</Object></Delete>')
    r = request(server, 'POST', '/' + bucket, query=[('delete', '')],
                body=body)
    assert r.status in (200, 400), r
    if r.status == 200:
        assert b'PRETTY_NAME' not in r.body and b'ID=' not in r.body
    assert keys_of(s3, bucket) == ['e']


def test_delete_objects_missing_bucket(s3):
    with client_error(404, 'NoSuchBucket'):
        s3.delete_objects(Bucket=new_bucket_name('gone'),
                          Delete={'Objects': [{'Key': 'a'}]})


def test_delete_objects_oversized_body(server, s3, bucket):
    """An XML body over 2 MiB: 400 MaxMessageLengthExceeded, whether the
    size is announced (Content-Length) or only found while reading
    (chunked), and nothing is deleted."""

    fill(s3, bucket, ['keep'])
    body = delete_xml(['keep'] * 80000)
    assert len(body) > 2 * 1024 * 1024
    r = request(server, 'POST', '/' + bucket, query=[('delete', '')],
                body=body)
    assert_error(r, 400, 'MaxMessageLengthExceeded')
    step = 64 * 1024
    r = request(server, 'POST', '/' + bucket, query=[('delete', '')],
                body=body, payload_hash='UNSIGNED-PAYLOAD',
                chunks=[body[i:i + step] for i in range(0, len(body), step)])
    assert_error(r, 400, 'MaxMessageLengthExceeded')
    assert keys_of(s3, bucket) == ['keep']
