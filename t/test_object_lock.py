"""Object lock (WORM): CreateBucket with x-amz-bucket-object-lock-enabled,
Put/GetObjectLockConfiguration, x-amz-object-lock-* on PutObject,
CopyObject and CreateMultipartUpload (the bucket's default retention
otherwise), Get/PutObjectRetention and Get/PutObjectLegalHold, and the
protection of locked versions against deletion and replacement, decided
by the metadata process.  Every error: status, Code, the stored data
unchanged, and a request after it on the same connection."""

import base64
import datetime
import hashlib
import json
import os
import subprocess
import time
import zlib

import pytest

import s3server
from conftest import boto_client, new_bucket_name
from s3admin import admin_kwargs, cli_ok, new_user_key, write_key_file
from s3raw import KeepAlive, assert_error, assert_ok, client_error, request

AWS = '/usr/bin/aws'


@pytest.fixture(scope='module')
def lserver(tmp_path_factory):
    d = tmp_path_factory.mktemp('keyfile')
    kf = write_key_file(str(d / 's3.key'), [os.urandom(32)])
    srv = s3server.S3Server(name='object_lock', **admin_kwargs(kf))
    srv.start()
    yield srv
    srv.teardown()


@pytest.fixture(scope='module')
def s3(lserver):
    return boto_client(lserver)


@pytest.fixture
def lbucket(s3):
    name = new_bucket_name('lock')
    s3.create_bucket(Bucket=name, ObjectLockEnabledForBucket=True)
    return name


@pytest.fixture
def plain(s3):
    name = new_bucket_name('plain')
    s3.create_bucket(Bucket=name)
    return name


def utc(seconds):
    return (datetime.datetime.now(datetime.timezone.utc)
            + datetime.timedelta(seconds=seconds)).replace(microsecond=0)


def iso(dt):
    return dt.strftime('%Y-%m-%dT%H:%M:%SZ')


def md5b64(data):
    return base64.b64encode(hashlib.md5(data).digest()).decode()


def put(s3, bucket, key, body=b'data', **kw):
    return s3.put_object(Bucket=bucket, Key=key, Body=body,
                         ContentMD5=md5b64(body), **kw)


def error_then_ok(server, method, path, query=(), headers=None, body=b'',
                  status=400, code=None, access_key=None, secret=None):
    """The error, then a request on the same connection that succeeds."""

    with KeepAlive(server) as ka:
        r = ka.request(method, path, query, headers, body,
                       access_key=access_key, secret=secret)
        f = assert_error(r, status, code)
        r = ka.request('GET', '/')
        assert_ok(r)
    return f


def retention(s3, bucket, key):
    return s3.get_object_retention(Bucket=bucket, Key=key)['Retention']


# the bucket's configuration


def test_create_bucket_with_lock(s3, lbucket, plain, lserver):
    c = s3.get_object_lock_configuration(Bucket=lbucket)
    assert c['ObjectLockConfiguration'] == {'ObjectLockEnabled': 'Enabled'}
    assert s3.get_bucket_versioning(Bucket=lbucket)['Status'] == 'Enabled'

    with client_error(404, 'ObjectLockConfigurationNotFoundError'):
        s3.get_object_lock_configuration(Bucket=plain)
    assert 'Status' not in s3.get_bucket_versioning(Bucket=plain)

    name = new_bucket_name('badlock')
    error_then_ok(lserver, 'PUT', '/' + name,
                  headers={'x-amz-bucket-object-lock-enabled': 'yes'},
                  status=400, code='InvalidArgument')
    with client_error(404, 'NoSuchBucket'):
        s3.list_objects_v2(Bucket=name)

    # "false" is a bucket without lock
    assert_ok(request(lserver, 'PUT', '/' + name,
                      headers={'x-amz-bucket-object-lock-enabled': 'false'}))
    with client_error(404, 'ObjectLockConfigurationNotFoundError'):
        s3.get_object_lock_configuration(Bucket=name)


def test_lock_configuration(s3, lbucket):
    for rule in ({'Mode': 'GOVERNANCE', 'Days': 1},
                 {'Mode': 'COMPLIANCE', 'Years': 2}):
        s3.put_object_lock_configuration(
            Bucket=lbucket, ObjectLockConfiguration={
                'ObjectLockEnabled': 'Enabled',
                'Rule': {'DefaultRetention': rule}})
        c = s3.get_object_lock_configuration(Bucket=lbucket)
        assert c['ObjectLockConfiguration'] == {
            'ObjectLockEnabled': 'Enabled',
            'Rule': {'DefaultRetention': rule}}

    # without a rule: no default retention any more
    s3.put_object_lock_configuration(
        Bucket=lbucket,
        ObjectLockConfiguration={'ObjectLockEnabled': 'Enabled'})
    c = s3.get_object_lock_configuration(Bucket=lbucket)
    assert c['ObjectLockConfiguration'] == {'ObjectLockEnabled': 'Enabled'}


CONF = ('<ObjectLockConfiguration '
        'xmlns="http://s3.amazonaws.com/doc/2006-03-01/">%s'
        '</ObjectLockConfiguration>')


@pytest.mark.parametrize('inner,code', [
    ('', 'MalformedXML'),
    ('<ObjectLockEnabled>Disabled</ObjectLockEnabled>', 'MalformedXML'),
    ('<ObjectLockEnabled>Enabled</ObjectLockEnabled><Rule></Rule>',
     'MalformedXML'),
    ('<ObjectLockEnabled>Enabled</ObjectLockEnabled><Rule><DefaultRetention>'
     '<Days>1</Days></DefaultRetention></Rule>', 'MalformedXML'),
    ('<ObjectLockEnabled>Enabled</ObjectLockEnabled><Rule><DefaultRetention>'
     '<Mode>SOMETIMES</Mode><Days>1</Days></DefaultRetention></Rule>',
     'MalformedXML'),
    ('<ObjectLockEnabled>Enabled</ObjectLockEnabled><Rule><DefaultRetention>'
     '<Mode>GOVERNANCE</Mode><Days>1</Days><Years>1</Years>'
     '</DefaultRetention></Rule>', 'MalformedXML'),
    ('<ObjectLockEnabled>Enabled</ObjectLockEnabled><Rule><DefaultRetention>'
     '<Mode>GOVERNANCE</Mode></DefaultRetention></Rule>', 'MalformedXML'),
    ('<ObjectLockEnabled>Enabled</ObjectLockEnabled><Rule><DefaultRetention>'
     '<Mode>GOVERNANCE</Mode><Days>0</Days></DefaultRetention></Rule>',
     'InvalidArgument'),
    ('<ObjectLockEnabled>Enabled</ObjectLockEnabled><Rule><DefaultRetention>'
     '<Mode>GOVERNANCE</Mode><Days>-3</Days></DefaultRetention></Rule>',
     'InvalidArgument'),
    ('<ObjectLockEnabled>Enabled</ObjectLockEnabled><Rule><DefaultRetention>'
     '<Mode>COMPLIANCE</Mode><Years>many</Years></DefaultRetention></Rule>',
     'InvalidArgument'),
])
def test_lock_configuration_errors(s3, lserver, lbucket, inner, code):
    s3.put_object_lock_configuration(
        Bucket=lbucket, ObjectLockConfiguration={
            'ObjectLockEnabled': 'Enabled',
            'Rule': {'DefaultRetention': {'Mode': 'GOVERNANCE',
                                          'Days': 3}}})
    before = s3.get_object_lock_configuration(Bucket=lbucket)[
        'ObjectLockConfiguration']
    body = (CONF % inner).encode()
    error_then_ok(lserver, 'PUT', '/' + lbucket, [('object-lock', '')],
                  {'Content-MD5': md5b64(body)}, body, 400, code)
    assert s3.get_object_lock_configuration(Bucket=lbucket)[
        'ObjectLockConfiguration'] == before


def test_enable_lock_needs_versioning(s3, lserver, plain):
    # PutBucketVersioning is the versioning branch's: here a bucket's
    # versioning was never enabled, so lock cannot be
    body = (CONF % '<ObjectLockEnabled>Enabled</ObjectLockEnabled>').encode()
    f = error_then_ok(lserver, 'PUT', '/' + plain, [('object-lock', '')],
                      {'Content-MD5': md5b64(body)}, body, 409,
                      'InvalidBucketState')
    assert 'Versioning' in f['Message']
    with client_error(404, 'ObjectLockConfigurationNotFoundError'):
        s3.get_object_lock_configuration(Bucket=plain)
    # and objects of the bucket take no lock
    with client_error(400, 'InvalidRequest'):
        put(s3, plain, 'k', ObjectLockMode='GOVERNANCE',
            ObjectLockRetainUntilDate=utc(60))
    with client_error(404, 'NoSuchKey'):
        s3.get_object(Bucket=plain, Key='k')


def test_enable_lock_on_a_versioned_bucket(s3, lserver):
    """Lock on an existing bucket once its versioning is Enabled; from
    then on versioning cannot be suspended (409 InvalidBucketState)."""

    b = new_bucket_name('late-lock')
    s3.create_bucket(Bucket=b)
    put(s3, b, 'before', b'before lock')
    s3.put_bucket_versioning(Bucket=b,
                             VersioningConfiguration={'Status': 'Enabled'})
    s3.put_object_lock_configuration(
        Bucket=b, ObjectLockConfiguration={
            'ObjectLockEnabled': 'Enabled',
            'Rule': {'DefaultRetention': {'Mode': 'GOVERNANCE',
                                          'Days': 1}}})
    conf = s3.get_object_lock_configuration(Bucket=b)[
        'ObjectLockConfiguration']
    assert conf['Rule']['DefaultRetention'] == {'Mode': 'GOVERNANCE',
                                                'Days': 1}
    body = (b'<VersioningConfiguration xmlns="http://s3.amazonaws.com/doc/'
            b'2006-03-01/"><Status>Suspended</Status>'
            b'</VersioningConfiguration>')
    f = error_then_ok(lserver, 'PUT', '/' + b, [('versioning', '')],
                      {'Content-MD5': md5b64(body)}, body, 409,
                      'InvalidBucketState')
    assert 'Object Lock' in f['Message']
    assert s3.get_bucket_versioning(Bucket=b)['Status'] == 'Enabled'
    # a new version takes the default retention; the old object none
    put(s3, b, 'after', b'after lock')
    assert retention(s3, b, 'after')['Mode'] == 'GOVERNANCE'
    with client_error(404, 'NoSuchObjectLockConfiguration'):
        s3.get_object_retention(Bucket=b, Key='before')


# locks of objects


def test_put_with_lock_headers(s3, lbucket):
    until = utc(3600)
    put(s3, lbucket, 'g', ObjectLockMode='GOVERNANCE',
        ObjectLockRetainUntilDate=until, ObjectLockLegalHoldStatus='OFF')
    for h in (s3.head_object(Bucket=lbucket, Key='g'),
              s3.get_object(Bucket=lbucket, Key='g')):
        assert h['ObjectLockMode'] == 'GOVERNANCE'
        assert h['ObjectLockRetainUntilDate'] == until
        assert h['ObjectLockLegalHoldStatus'] == 'OFF'
    assert retention(s3, lbucket, 'g') == {'Mode': 'GOVERNANCE',
                                           'RetainUntilDate': until}
    assert s3.get_object_legal_hold(Bucket=lbucket, Key='g')[
        'LegalHold'] == {'Status': 'OFF'}

    # no lock at all: no headers, and no configuration to get
    put(s3, lbucket, 'n')
    h = s3.head_object(Bucket=lbucket, Key='n')
    assert 'ObjectLockMode' not in h and 'ObjectLockLegalHoldStatus' not in h
    with client_error(404, 'NoSuchObjectLockConfiguration'):
        s3.get_object_retention(Bucket=lbucket, Key='n')
    with client_error(404, 'NoSuchObjectLockConfiguration'):
        s3.get_object_legal_hold(Bucket=lbucket, Key='n')
    with client_error(404, 'NoSuchKey'):
        s3.get_object_retention(Bucket=lbucket, Key='missing')


def test_lock_requests_on_a_bucket_without_lock(s3, lserver, plain):
    put(s3, plain, 'k')
    for q in ('retention', 'legal-hold'):
        f = error_then_ok(lserver, 'GET', '/%s/k' % plain, [(q, '')],
                          status=400, code='InvalidRequest')
        assert f['Message'] == 'Bucket is missing Object Lock Configuration'
    body = b'<LegalHold><Status>ON</Status></LegalHold>'
    error_then_ok(lserver, 'PUT', '/%s/k' % plain, [('legal-hold', '')],
                  {'Content-MD5': md5b64(body)}, body, 400, 'InvalidRequest')
    f = error_then_ok(lserver, 'PUT', '/%s/k2' % plain,
                      headers={'x-amz-object-lock-legal-hold': 'ON',
                               'Content-MD5': md5b64(b'x')},
                      body=b'x', status=400, code='InvalidRequest')
    assert f['Message'] == 'Bucket is missing ObjectLockConfiguration'
    with client_error(404, 'NoSuchKey'):
        s3.get_object(Bucket=plain, Key='k2')


@pytest.mark.parametrize('headers,code,message', [
    ({'x-amz-object-lock-mode': 'GOVERNANCE'}, 'InvalidArgument',
     'must both be supplied'),
    ({'x-amz-object-lock-retain-until-date': 'FUTURE'}, 'InvalidArgument',
     'must both be supplied'),
    ({'x-amz-object-lock-mode': 'governance',
      'x-amz-object-lock-retain-until-date': 'FUTURE'}, 'InvalidArgument',
     'Unknown wormMode directive.'),
    ({'x-amz-object-lock-mode': 'COMPLIANCE',
      'x-amz-object-lock-retain-until-date': '2030-13-01T00:00:00Z'},
     'InvalidArgument', 'ISO 8601'),
    ({'x-amz-object-lock-mode': 'COMPLIANCE',
      'x-amz-object-lock-retain-until-date': 'PAST'}, 'InvalidArgument',
     'must be in the future'),
    ({'x-amz-object-lock-legal-hold': 'on'}, 'InvalidArgument',
     "either of 'ON' or 'OFF'"),
    ({'x-amz-object-lock-legal-hold': 'ON', 'Content-MD5': None},
     'InvalidRequest', 'Content-MD5 OR x-amz-checksum-'),
])
def test_put_lock_header_errors(s3, lserver, lbucket, headers, code,
                                message):
    put(s3, lbucket, 'k', b'before')
    body = b'after'
    h = {'Content-MD5': md5b64(body)}
    for k, v in headers.items():
        if v == 'FUTURE':
            v = iso(utc(600))
        elif v == 'PAST':
            v = iso(utc(-600))
        if v is None:
            del h[k]
        else:
            h[k] = v
    f = error_then_ok(lserver, 'PUT', '/%s/k' % lbucket, headers=h,
                      body=body, status=400, code=code)
    assert message in f['Message']
    assert s3.get_object(Bucket=lbucket, Key='k')['Body'].read() == b'before'
    with client_error(404, 'NoSuchObjectLockConfiguration'):
        s3.get_object_retention(Bucket=lbucket, Key='k')


def test_default_retention(s3, lserver, lbucket):
    # without a default retention a PUT needs no checksum
    assert_ok(request(lserver, 'PUT', '/%s/plain' % lbucket, body=b'x'))

    s3.put_object_lock_configuration(
        Bucket=lbucket, ObjectLockConfiguration={
            'ObjectLockEnabled': 'Enabled',
            'Rule': {'DefaultRetention': {'Mode': 'GOVERNANCE',
                                          'Days': 2}}})
    t0 = time.time()
    put(s3, lbucket, 'd')
    r = retention(s3, lbucket, 'd')
    assert r['Mode'] == 'GOVERNANCE'
    left = r['RetainUntilDate'].timestamp() - t0
    assert 2 * 86400 - 60 < left < 2 * 86400 + 60

    # a request's own retention wins
    until = utc(120)
    put(s3, lbucket, 'own', ObjectLockMode='COMPLIANCE',
        ObjectLockRetainUntilDate=until)
    assert retention(s3, lbucket, 'own') == {'Mode': 'COMPLIANCE',
                                             'RetainUntilDate': until}

    # Content-MD5 or a checksum is needed now
    f = error_then_ok(lserver, 'PUT', '/%s/nomd5' % lbucket, body=b'x',
                      status=400, code='InvalidRequest')
    assert 'Content-MD5' in f['Message']
    with client_error(404, 'NoSuchKey'):
        s3.get_object(Bucket=lbucket, Key='nomd5')
    crc = base64.b64encode(zlib.crc32(b'x').to_bytes(4, 'big')).decode()
    assert_ok(request(lserver, 'PUT', '/%s/crc' % lbucket, body=b'x',
                      headers={'x-amz-checksum-crc32': crc}))
    assert retention(s3, lbucket, 'crc')['Mode'] == 'GOVERNANCE'


# what a lock protects


def test_governance_protects_until_bypass(s3, lserver, lbucket):
    v = put(s3, lbucket, 'g', b'kept', ObjectLockMode='GOVERNANCE',
            ObjectLockRetainUntilDate=utc(3600))['VersionId']
    q = [('versionId', v)]

    f = error_then_ok(lserver, 'DELETE', '/%s/g' % lbucket, q, status=403,
                      code='AccessDenied')
    assert 'object lock' in f['Message']
    error_then_ok(lserver, 'DELETE', '/%s/g' % lbucket, q,
                  headers={'x-amz-bypass-governance-retention': 'false'},
                  status=403, code='AccessDenied')
    # a write or a plain DELETE makes a new version, the locked one stays
    put(s3, lbucket, 'g', b'new')
    assert s3.delete_object(Bucket=lbucket, Key='g')['DeleteMarker']
    assert s3.get_object(Bucket=lbucket, Key='g', VersionId=v)[
        'Body'].read() == b'kept'

    # the root key may bypass a governance retention
    s3.delete_object(Bucket=lbucket, Key='g', VersionId=v,
                     BypassGovernanceRetention=True)
    with client_error(404, 'NoSuchVersion'):
        s3.get_object(Bucket=lbucket, Key='g', VersionId=v)


def test_compliance_protects_even_from_root(s3, lserver, lbucket):
    v = put(s3, lbucket, 'c', b'kept', ObjectLockMode='COMPLIANCE',
            ObjectLockRetainUntilDate=utc(3600))['VersionId']
    error_then_ok(lserver, 'DELETE', '/%s/c' % lbucket, [('versionId', v)],
                  headers={'x-amz-bypass-governance-retention': 'true'},
                  status=403, code='AccessDenied')
    # a copy onto it is a new version
    s3.copy_object(Bucket=lbucket, Key='c',
                   CopySource={'Bucket': lbucket, 'Key': 'c'},
                   MetadataDirective='REPLACE')
    assert s3.get_object(Bucket=lbucket, Key='c', VersionId=v)[
        'Body'].read() == b'kept'


def test_legal_hold_protects(s3, lserver, lbucket):
    v = put(s3, lbucket, 'h', b'kept',
            ObjectLockLegalHoldStatus='ON')['VersionId']
    error_then_ok(lserver, 'DELETE', '/%s/h' % lbucket, [('versionId', v)],
                  headers={'x-amz-bypass-governance-retention': 'true'},
                  status=403, code='AccessDenied')
    assert s3.get_object(Bucket=lbucket, Key='h')['Body'].read() == b'kept'
    s3.put_object_legal_hold(Bucket=lbucket, Key='h',
                             LegalHold={'Status': 'OFF'})
    assert s3.get_object_legal_hold(Bucket=lbucket, Key='h')[
        'LegalHold'] == {'Status': 'OFF'}
    s3.delete_object(Bucket=lbucket, Key='h', VersionId=v)
    with client_error(404, 'NoSuchKey'):
        s3.get_object(Bucket=lbucket, Key='h')


def test_retention_expires(s3, lbucket):
    v = put(s3, lbucket, 'e', ObjectLockMode='COMPLIANCE',
            ObjectLockRetainUntilDate=utc(2))['VersionId']
    with client_error(403, 'AccessDenied'):
        s3.delete_object(Bucket=lbucket, Key='e', VersionId=v)
    time.sleep(2.5)
    s3.delete_object(Bucket=lbucket, Key='e', VersionId=v)
    with client_error(404, 'NoSuchKey'):
        s3.get_object(Bucket=lbucket, Key='e')


def test_delete_objects_per_key(s3, lbucket):
    vids = {'free': put(s3, lbucket, 'free')['VersionId']}
    vids['gov'] = put(s3, lbucket, 'gov', ObjectLockMode='GOVERNANCE',
                      ObjectLockRetainUntilDate=utc(3600))['VersionId']
    vids['comp'] = put(s3, lbucket, 'comp', ObjectLockMode='COMPLIANCE',
                       ObjectLockRetainUntilDate=utc(3600))['VersionId']
    objs = [{'Key': k, 'VersionId': vids[k]}
            for k in ('free', 'gov', 'comp')]
    r = s3.delete_objects(Bucket=lbucket, Delete={'Objects': objs})
    assert [d['Key'] for d in r['Deleted']] == ['free']
    assert sorted((e['Key'], e['Code']) for e in r['Errors']) == [
        ('comp', 'AccessDenied'), ('gov', 'AccessDenied')]
    s3.head_object(Bucket=lbucket, Key='gov')

    r = s3.delete_objects(Bucket=lbucket, Delete={'Objects': objs[1:]},
                          BypassGovernanceRetention=True)
    assert sorted(d['Key'] for d in r['Deleted']) == ['gov']
    assert [(e['Key'], e['Code']) for e in r['Errors']] == [
        ('comp', 'AccessDenied')]
    s3.head_object(Bucket=lbucket, Key='comp')
    with client_error(404, 'NoSuchKey'):
        s3.get_object(Bucket=lbucket, Key='gov')


# changing a retention


RET = ('<Retention xmlns="http://s3.amazonaws.com/doc/2006-03-01/">'
       '<Mode>%s</Mode><RetainUntilDate>%s</RetainUntilDate></Retention>')


def test_compliance_is_never_weakened(s3, lserver, lbucket):
    until = utc(3600)
    put(s3, lbucket, 'c', ObjectLockMode='COMPLIANCE',
        ObjectLockRetainUntilDate=until)

    later = utc(7200)
    s3.put_object_retention(Bucket=lbucket, Key='c', Retention={
        'Mode': 'COMPLIANCE', 'RetainUntilDate': later})
    assert retention(s3, lbucket, 'c')['RetainUntilDate'] == later

    byp = {'x-amz-bypass-governance-retention': 'true'}
    for mode, date in (('COMPLIANCE', until), ('GOVERNANCE', later),
                       ('GOVERNANCE', utc(9000))):
        body = (RET % (mode, iso(date))).encode()
        h = dict(byp, **{'Content-MD5': md5b64(body)})
        error_then_ok(lserver, 'PUT', '/%s/c' % lbucket, [('retention', '')],
                      h, body, 403, 'AccessDenied')
    # nor removed
    body = b'<Retention/>'
    error_then_ok(lserver, 'PUT', '/%s/c' % lbucket, [('retention', '')],
                  dict(byp, **{'Content-MD5': md5b64(body)}), body, 403,
                  'AccessDenied')
    assert retention(s3, lbucket, 'c') == {'Mode': 'COMPLIANCE',
                                           'RetainUntilDate': later}


def test_governance_changes(s3, lserver, lbucket):
    until = utc(3600)
    put(s3, lbucket, 'g', ObjectLockMode='GOVERNANCE',
        ObjectLockRetainUntilDate=until)
    shorter = utc(1800)
    body = (RET % ('GOVERNANCE', iso(shorter))).encode()
    error_then_ok(lserver, 'PUT', '/%s/g' % lbucket, [('retention', '')],
                  {'Content-MD5': md5b64(body)}, body, 403, 'AccessDenied')
    assert retention(s3, lbucket, 'g')['RetainUntilDate'] == until

    s3.put_object_retention(Bucket=lbucket, Key='g', Retention={
        'Mode': 'GOVERNANCE', 'RetainUntilDate': shorter},
        BypassGovernanceRetention=True)
    assert retention(s3, lbucket, 'g')['RetainUntilDate'] == shorter

    # to compliance only with a bypass too; then for good
    s3.put_object_retention(Bucket=lbucket, Key='g', Retention={
        'Mode': 'COMPLIANCE', 'RetainUntilDate': until},
        BypassGovernanceRetention=True)
    assert retention(s3, lbucket, 'g')['Mode'] == 'COMPLIANCE'

    # removed with a bypass
    put(s3, lbucket, 'r', ObjectLockMode='GOVERNANCE',
        ObjectLockRetainUntilDate=until)
    s3.put_object_retention(Bucket=lbucket, Key='r', Retention={},
                            BypassGovernanceRetention=True)
    with client_error(404, 'NoSuchObjectLockConfiguration'):
        s3.get_object_retention(Bucket=lbucket, Key='r')
    s3.delete_object(Bucket=lbucket, Key='r')


@pytest.mark.parametrize('body,status,code', [
    (RET % ('GOVERNANCE', 'PAST'), 400, 'InvalidArgument'),
    (RET % ('SOMETIMES', 'FUTURE'), 400, 'MalformedXML'),
    (RET % ('GOVERNANCE', 'tomorrow'), 400, 'MalformedXML'),
    ('<Retention><Mode>GOVERNANCE</Mode></Retention>', 400, 'MalformedXML'),
    ('<Retention', 400, 'MalformedXML'),
    ('<LegalHold><Status>ON</Status></LegalHold>', 400, 'MalformedXML'),
])
def test_put_retention_errors(s3, lserver, lbucket, body, status, code):
    until = utc(3600)
    put(s3, lbucket, 'k', ObjectLockMode='GOVERNANCE',
        ObjectLockRetainUntilDate=until)
    body = body.replace('PAST', iso(utc(-60))).replace(
        'FUTURE', iso(utc(600))).encode()
    error_then_ok(lserver, 'PUT', '/%s/k' % lbucket, [('retention', '')],
                  {'Content-MD5': md5b64(body)}, body, status, code)
    assert retention(s3, lbucket, 'k') == {'Mode': 'GOVERNANCE',
                                           'RetainUntilDate': until}


@pytest.mark.parametrize('body', [
    '<LegalHold><Status>on</Status></LegalHold>',
    '<LegalHold></LegalHold>',
    '<LegalHold><Status>ON</Status><Status>OFF</Status></LegalHold>',
])
def test_put_legal_hold_errors(s3, lserver, lbucket, body):
    put(s3, lbucket, 'k', ObjectLockLegalHoldStatus='OFF')
    body = body.encode()
    error_then_ok(lserver, 'PUT', '/%s/k' % lbucket, [('legal-hold', '')],
                  {'Content-MD5': md5b64(body)}, body, 400, 'MalformedXML')
    assert s3.get_object_legal_hold(Bucket=lbucket, Key='k')[
        'LegalHold'] == {'Status': 'OFF'}


def test_retention_of_missing_object_and_version(s3, lserver, lbucket):
    with client_error(404, 'NoSuchKey'):
        s3.put_object_retention(Bucket=lbucket, Key='none', Retention={
            'Mode': 'GOVERNANCE', 'RetainUntilDate': utc(60)})
    put(s3, lbucket, 'k')
    body = (RET % ('GOVERNANCE', iso(utc(60)))).encode()
    error_then_ok(lserver, 'PUT', '/%s/k' % lbucket,
                  [('retention', ''), ('versionId', 'v1')],
                  {'Content-MD5': md5b64(body)}, body, 404, 'NoSuchVersion')
    with client_error(404, 'NoSuchObjectLockConfiguration'):
        s3.get_object_retention(Bucket=lbucket, Key='k')
    s3.put_object_retention(Bucket=lbucket, Key='k',
                            VersionId=s3.head_object(Bucket=lbucket,
                                                     Key='k')['VersionId'],
                            Retention={'Mode': 'GOVERNANCE',
                                       'RetainUntilDate': utc(60)})
    assert retention(s3, lbucket, 'k')['Mode'] == 'GOVERNANCE'


# copies and multipart uploads


def test_copy_and_multipart(s3, lserver, lbucket):
    put(s3, lbucket, 'src', b'source', ObjectLockMode='COMPLIANCE',
        ObjectLockRetainUntilDate=utc(3600))
    # a copy's lock is its request's, not the source's
    s3.copy_object(Bucket=lbucket, Key='cp',
                   CopySource={'Bucket': lbucket, 'Key': 'src'})
    with client_error(404, 'NoSuchObjectLockConfiguration'):
        s3.get_object_retention(Bucket=lbucket, Key='cp')
    until = utc(600)
    s3.copy_object(Bucket=lbucket, Key='cp2',
                   CopySource={'Bucket': lbucket, 'Key': 'src'},
                   ObjectLockMode='GOVERNANCE',
                   ObjectLockRetainUntilDate=until,
                   ObjectLockLegalHoldStatus='ON')
    assert retention(s3, lbucket, 'cp2') == {'Mode': 'GOVERNANCE',
                                             'RetainUntilDate': until}
    assert s3.get_object(Bucket=lbucket, Key='cp2')['Body'].read() == \
        b'source'

    up = s3.create_multipart_upload(Bucket=lbucket, Key='mp',
                                    ObjectLockMode='GOVERNANCE',
                                    ObjectLockRetainUntilDate=until)
    part = b'p' * 100
    e = s3.upload_part(Bucket=lbucket, Key='mp', UploadId=up['UploadId'],
                       PartNumber=1, Body=part,
                       ContentMD5=md5b64(part))['ETag']
    v = s3.complete_multipart_upload(
        Bucket=lbucket, Key='mp', UploadId=up['UploadId'],
        MultipartUpload={'Parts': [{'PartNumber': 1, 'ETag': e}]})[
        'VersionId']
    assert retention(s3, lbucket, 'mp') == {'Mode': 'GOVERNANCE',
                                            'RetainUntilDate': until}
    with client_error(403, 'AccessDenied'):
        s3.delete_object(Bucket=lbucket, Key='mp', VersionId=v)

    error_then_ok(lserver, 'POST', '/%s/mp2' % lbucket, [('uploads', '')],
                  {'x-amz-object-lock-mode': 'GOVERNANCE'}, b'', 400,
                  'InvalidArgument')

    # a part of an upload with a lock needs Content-MD5 or a checksum
    up = s3.create_multipart_upload(Bucket=lbucket, Key='mp3',
                                    ObjectLockLegalHoldStatus='ON')
    q = [('partNumber', '1'), ('uploadId', up['UploadId'])]
    f = error_then_ok(lserver, 'PUT', '/%s/mp3' % lbucket, q, body=part,
                      status=400, code='InvalidRequest')
    assert 'Put Part requests with Object Lock parameters' in f['Message']
    assert s3.list_parts(Bucket=lbucket, Key='mp3',
                         UploadId=up['UploadId']).get('Parts', []) == []
    assert_ok(request(lserver, 'PUT', '/%s/mp3' % lbucket, q, body=part,
                      headers={'Content-MD5': md5b64(part)}))


# who may bypass a governance retention


def test_bypass_needs_permission(s3, lserver, lbucket):
    ak, sk = new_user_key(lserver, 'bob-lock')
    bob = boto_client(lserver, ak, sk)
    cli_ok(lserver, 'grant', lbucket, 'bob-lock', 'write')
    v = put(s3, lbucket, 'g', b'kept', ObjectLockMode='GOVERNANCE',
            ObjectLockRetainUntilDate=utc(3600))['VersionId']

    # a write grant does not bypass
    error_then_ok(lserver, 'DELETE', '/%s/g' % lbucket, [('versionId', v)],
                  headers={'x-amz-bypass-governance-retention': 'true'},
                  status=403, code='AccessDenied', access_key=ak, secret=sk)
    with client_error(403, 'AccessDenied'):
        bob.put_object_retention(Bucket=lbucket, Key='g', Retention={
            'Mode': 'GOVERNANCE', 'RetainUntilDate': utc(60)},
            BypassGovernanceRetention=True)
    assert s3.get_object(Bucket=lbucket, Key='g')['Body'].read() == b'kept'

    # the bucket policy grants s3:BypassGovernanceRetention
    s3.put_bucket_policy(Bucket=lbucket, Policy=json.dumps({
        'Version': '2012-10-17',
        'Statement': [{
            'Effect': 'Allow', 'Principal': {
                'AWS': 'arn:aws:iam::000000000000:user/bob-lock'},
            'Action': ['s3:BypassGovernanceRetention'],
            'Resource': 'arn:aws:s3:::%s/*' % lbucket}]}))
    bob.put_object_retention(Bucket=lbucket, Key='g', Retention={
        'Mode': 'GOVERNANCE', 'RetainUntilDate': utc(60)},
        BypassGovernanceRetention=True)
    bob.delete_object(Bucket=lbucket, Key='g', VersionId=v,
                      BypassGovernanceRetention=True)
    with client_error(404, 'NoSuchVersion'):
        s3.get_object(Bucket=lbucket, Key='g', VersionId=v)


# another client: the aws CLI


class Aws:
    def __init__(self, server, tmp):
        self.server = server
        self.config = tmp / 'config'
        self.config.write_text('[default]\nregion = %s\ns3 =\n'
                               '    addressing_style = path\n'
                               % server.region)
        self.home = tmp / 'home'
        self.home.mkdir()

    def __call__(self, *args, check=True):
        env = {
            'PATH': '/usr/bin:/bin', 'HOME': str(self.home),
            'LANG': 'C.UTF-8',
            'AWS_ACCESS_KEY_ID': self.server.access_key,
            'AWS_SECRET_ACCESS_KEY': self.server.secret_key,
            'AWS_DEFAULT_REGION': self.server.region,
            'AWS_CONFIG_FILE': str(self.config),
            'AWS_SHARED_CREDENTIALS_FILE': '/dev/null',
            'AWS_PAGER': '', 'AWS_EC2_METADATA_DISABLED': 'true'}
        p = subprocess.run([AWS, '--endpoint-url', self.server.endpoint,
                            '--output', 'json'] + list(args), env=env,
                           capture_output=True, timeout=120,
                           stdin=subprocess.DEVNULL)
        out = p.stdout.decode()
        err = p.stderr.decode()
        if check:
            assert p.returncode == 0, 'aws %s: %s %s' % (args, out, err)
            return json.loads(out) if out.strip() else None
        return p.returncode, err


@pytest.mark.skipif(not os.path.exists(AWS), reason='no aws CLI')
def test_awscli(lserver, s3, tmp_path):
    aws = Aws(lserver, tmp_path)
    name = new_bucket_name('lockcli')
    aws('s3api', 'create-bucket', '--bucket', name,
        '--object-lock-enabled-for-bucket')
    c = aws('s3api', 'get-object-lock-configuration', '--bucket', name)
    assert c['ObjectLockConfiguration'] == {'ObjectLockEnabled': 'Enabled'}
    aws('s3api', 'put-object-lock-configuration', '--bucket', name,
        '--object-lock-configuration',
        '{"ObjectLockEnabled": "Enabled", "Rule": {"DefaultRetention": '
        '{"Mode": "COMPLIANCE", "Days": 1}}}')
    c = aws('s3api', 'get-object-lock-configuration', '--bucket', name)
    assert c['ObjectLockConfiguration']['Rule'] == {
        'DefaultRetention': {'Mode': 'COMPLIANCE', 'Days': 1}}

    f = tmp_path / 'body'
    f.write_bytes(b'cli body')
    aws('s3api', 'put-object', '--bucket', name, '--key', 'k', '--body',
        str(f), '--content-md5', md5b64(b'cli body'))
    r = aws('s3api', 'get-object-retention', '--bucket', name, '--key', 'k')
    assert r['Retention']['Mode'] == 'COMPLIANCE'

    later = iso(utc(3 * 86400))
    aws('s3api', 'put-object-retention', '--bucket', name, '--key', 'k',
        '--retention', '{"Mode": "COMPLIANCE", "RetainUntilDate": "%s"}'
        % later)
    r = aws('s3api', 'get-object-retention', '--bucket', name, '--key', 'k')
    assert r['Retention']['RetainUntilDate'].startswith(later[:19])

    rc, err = aws('s3api', 'put-object-retention', '--bucket', name,
                  '--key', 'k', '--bypass-governance-retention',
                  '--retention', '{"Mode": "GOVERNANCE", '
                  '"RetainUntilDate": "%s"}' % later, check=False)
    assert rc != 0 and 'AccessDenied' in err
    vid = aws('s3api', 'head-object', '--bucket', name,
              '--key', 'k')['VersionId']
    rc, err = aws('s3api', 'delete-object', '--bucket', name, '--key', 'k',
                  '--version-id', vid, check=False)
    assert rc != 0 and 'AccessDenied' in err
    aws('s3api', 'put-object-legal-hold', '--bucket', name, '--key', 'k',
        '--legal-hold', 'Status=ON')
    r = aws('s3api', 'get-object-legal-hold', '--bucket', name, '--key', 'k')
    assert r['LegalHold'] == {'Status': 'ON'}
    h = aws('s3api', 'head-object', '--bucket', name, '--key', 'k')
    assert h['ObjectLockMode'] == 'COMPLIANCE'
    assert h['ObjectLockLegalHoldStatus'] == 'ON'
