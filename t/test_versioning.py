"""Object versioning: Put/GetBucketVersioning, versions of PUT, copy and
multipart, delete markers, versionId on GET/HEAD/DELETE/copy,
ListObjectVersions and its paging, the suspended state's null version,
objects written before versioning, DeleteObjects with versions; a
concurrency test, a kill -9 test; the aws CLI as a second client."""

import json
import os
import random
import shutil
import subprocess
import threading
import time

import pytest

import s3store
from conftest import boto_client, new_bucket_name
from s3admin import admin_kwargs, cli_ok, new_user_key, write_key_file
from s3raw import KeepAlive, assert_error, assert_ok, client_error, request
from sigv4 import key_path

VCONF = ('<VersioningConfiguration xmlns="http://s3.amazonaws.com/doc/'
         '2006-03-01/"><Status>%s</Status></VersioningConfiguration>')


def enable(s3, bucket, status='Enabled'):
    s3.put_bucket_versioning(Bucket=bucket,
                             VersioningConfiguration={'Status': status})


@pytest.fixture
def vbucket(request, s3):
    name = new_bucket_name(request.node.name)
    s3.create_bucket(Bucket=name)
    enable(s3, name)
    return name


def versions(server, s3, bucket, **kw):
    """Every version and marker, in the server's order (by key, newest
    first): [(key, version id, is latest, is marker)]; boto3's paginator
    (versions and markers in two lists) must see the same."""

    out = raw_pages(server, bucket, 1000,
                    **{k.lower(): v for k, v in kw.items()})
    seen = set()
    for page in s3.get_paginator('list_object_versions').paginate(
            Bucket=bucket, **kw):
        seen |= {(v['Key'], v['VersionId'], v['IsLatest'], False)
                 for v in page.get('Versions', [])}
        seen |= {(v['Key'], v['VersionId'], v['IsLatest'], True)
                 for v in page.get('DeleteMarkers', [])}
    assert seen == set(out) and len(out) == len(set(out))
    return out


def keys(s3, bucket, v1=False):
    if v1:
        return [c['Key'] for c in
                s3.list_objects(Bucket=bucket).get('Contents', [])]
    out = []
    for page in s3.get_paginator('list_objects_v2').paginate(Bucket=bucket):
        out += [c['Key'] for c in page.get('Contents', [])]
    return out


def body(s3, bucket, key, vid=None):
    kw = {'VersionId': vid} if vid else {}
    return s3.get_object(Bucket=bucket, Key=key, **kw)['Body'].read()


# Put/GetBucketVersioning

def test_bucket_versioning_states(server, s3, bucket):
    assert 'Status' not in s3.get_bucket_versioning(Bucket=bucket)
    enable(s3, bucket)
    assert s3.get_bucket_versioning(Bucket=bucket)['Status'] == 'Enabled'
    enable(s3, bucket, 'Suspended')
    assert s3.get_bucket_versioning(Bucket=bucket)['Status'] == 'Suspended'
    enable(s3, bucket, 'Enabled')
    assert s3.get_bucket_versioning(Bucket=bucket)['Status'] == 'Enabled'

    # never back to unversioned, nor anything S3 does not know
    with KeepAlive(server) as ka:
        for doc in [VCONF % 'Disabled', VCONF % 'enabled', VCONF % '',
                    '<VersioningConfiguration/>', 'not xml',
                    '<Foo><Status>Enabled</Status></Foo>',
                    (VCONF % 'Enabled').replace(
                        '</VersioningConfiguration>',
                        '<Status>Enabled</Status>'
                        '</VersioningConfiguration>'),
                    (VCONF % 'Enabled').replace(
                        '</VersioningConfiguration>',
                        '<Other/></VersioningConfiguration>')]:
            r = ka.request('PUT', '/' + bucket, query=[('versioning', '')],
                           body=doc.encode())
            assert_error(r, 400, 'MalformedXML')
            r = ka.request('GET', '/' + bucket, query=[('versioning', '')])
            assert_ok(r)
            assert b'<Status>Enabled</Status>' in r.body

        r = ka.request('PUT', '/' + new_bucket_name('none'),
                       query=[('versioning', '')],
                       body=(VCONF % 'Enabled').encode())
        assert_error(r, 404, 'NoSuchBucket')
        assert_ok(ka.request('GET', '/' + bucket, query=[('versioning', '')]))


# versions of PUT, GET and HEAD by id, delete markers

def test_put_makes_versions(server, s3, vbucket):
    ids = []
    for i in range(3):
        r = s3.put_object(Bucket=vbucket, Key='k', Body=b'v%d' % i)
        ids.append(r['VersionId'])
    assert len(set(ids)) == 3 and 'null' not in ids
    assert body(s3, vbucket, 'k') == b'v2'
    for i, vid in enumerate(ids):
        assert body(s3, vbucket, 'k', vid) == b'v%d' % i
        h = s3.head_object(Bucket=vbucket, Key='k', VersionId=vid)
        assert h['VersionId'] == vid and h['ContentLength'] == 2
    g = s3.get_object(Bucket=vbucket, Key='k')
    assert g['VersionId'] == ids[2]
    assert versions(server, s3, vbucket) == [('k', ids[2], True, False),
                                     ('k', ids[1], False, False),
                                     ('k', ids[0], False, False)]
    assert keys(s3, vbucket) == ['k']


def test_delete_markers(server, s3, vbucket):
    v1 = s3.put_object(Bucket=vbucket, Key='k', Body=b'one')['VersionId']
    v2 = s3.put_object(Bucket=vbucket, Key='k', Body=b'two')['VersionId']
    d = s3.delete_object(Bucket=vbucket, Key='k')
    assert d['DeleteMarker'] is True
    m1 = d['VersionId']
    assert m1 not in (v1, v2, 'null')

    # the latest is a marker: 404 saying so, the key is not listed
    r = request(server, 'GET', key_path(vbucket, 'k'))
    assert_error(r, 404, 'NoSuchKey')
    assert r.header('x-amz-delete-marker') == 'true'
    assert r.header('x-amz-version-id') == m1
    r = request(server, 'HEAD', key_path(vbucket, 'k'))
    assert r.status == 404 and r.header('x-amz-delete-marker') == 'true'
    assert keys(s3, vbucket) == [] and keys(s3, vbucket, v1=True) == []

    # a marker by its id: 405, with the marker's headers
    for method in ('GET', 'HEAD'):
        r = request(server, method, key_path(vbucket, 'k'),
                    query=[('versionId', m1)])
        assert_error(r, 405, 'MethodNotAllowed')
        assert r.header('x-amz-delete-marker') == 'true'
        assert r.header('x-amz-version-id') == m1
    assert body(s3, vbucket, 'k', v1) == b'one'

    # a second marker, then both go: the key is back
    m2 = s3.delete_object(Bucket=vbucket, Key='k')['VersionId']
    assert versions(server, s3, vbucket) == [('k', m2, True, True),
                                     ('k', m1, False, True),
                                     ('k', v2, False, False),
                                     ('k', v1, False, False)]
    d = s3.delete_object(Bucket=vbucket, Key='k', VersionId=m2)
    assert d['DeleteMarker'] is True and d['VersionId'] == m2
    assert keys(s3, vbucket) == []
    s3.delete_object(Bucket=vbucket, Key='k', VersionId=m1)
    assert keys(s3, vbucket) == ['k'] and body(s3, vbucket, 'k') == b'two'

    # deleting the current version: the one before is current
    d = s3.delete_object(Bucket=vbucket, Key='k', VersionId=v2)
    assert d['VersionId'] == v2 and 'DeleteMarker' not in d
    assert body(s3, vbucket, 'k') == b'one'
    assert versions(server, s3, vbucket) == [('k', v1, True, False)]

    # a non-current version goes without touching the current one
    v3 = s3.put_object(Bucket=vbucket, Key='k', Body=b'three')['VersionId']
    s3.delete_object(Bucket=vbucket, Key='k', VersionId=v1)
    assert versions(server, s3, vbucket) == [('k', v3, True, False)]

    # the latest version is deleted and a marker is below: no key
    m3 = s3.delete_object(Bucket=vbucket, Key='k')['VersionId']
    v4 = s3.put_object(Bucket=vbucket, Key='k', Body=b'four')['VersionId']
    s3.delete_object(Bucket=vbucket, Key='k', VersionId=v4)
    assert keys(s3, vbucket) == []
    with client_error(404, 'NoSuchKey'):
        s3.get_object(Bucket=vbucket, Key='k')
    assert versions(server, s3, vbucket) == [('k', m3, True, True),
                                     ('k', v3, False, False)]

    # a marker on a key that never existed, and deleting it again
    m = s3.delete_object(Bucket=vbucket, Key='never')
    assert m['DeleteMarker'] is True
    s3.delete_object(Bucket=vbucket, Key='never', VersionId=m['VersionId'])
    assert [v for v in versions(server, s3, vbucket) if v[0] == 'never'] == []


def test_version_errors(server, s3, vbucket):
    v1 = s3.put_object(Bucket=vbucket, Key='k', Body=b'one')['VersionId']
    gone = s3.put_object(Bucket=vbucket, Key='k', Body=b'x')['VersionId']
    s3.delete_object(Bucket=vbucket, Key='k', VersionId=gone)
    before = versions(server, s3, vbucket)
    path = key_path(vbucket, 'k')

    with KeepAlive(server) as ka:
        for method in ('GET', 'HEAD', 'DELETE'):
            for bad in ('', 'xyz', v1.upper(), v1 + '0', '0' * 16):
                r = ka.request(method, path, query=[('versionId', bad)])
                assert_error(r, 400, 'InvalidArgument')
                assert_ok(ka.request('GET', path))
        for method in ('GET', 'HEAD'):
            r = ka.request(method, path, query=[('versionId', gone)])
            assert_error(r, 404, 'NoSuchVersion')
            assert_ok(ka.request('GET', path))
            r = ka.request(method, path, query=[('versionId', v1)])
            assert_ok(r)
            assert r.header('x-amz-version-id') == v1
        # a version that does not exist, deleted: 204 as S3 answers
        r = ka.request('DELETE', path, query=[('versionId', gone)])
        assert_ok(r, 204)
        assert r.header('x-amz-version-id') == gone
        r = ka.request('GET', '/' + vbucket, query=[
            ('versions', ''), ('key-marker', 'k'),
            ('version-id-marker', 'bad')])
        assert_error(r, 400, 'InvalidArgument')
        r = ka.request('GET', '/' + vbucket, query=[
            ('versions', ''), ('version-id-marker', v1)])
        assert_error(r, 400, 'InvalidArgument')
        assert_ok(ka.request('GET', path))

    assert versions(server, s3, vbucket) == before
    assert body(s3, vbucket, 'k') == b'one'

    # a version id of another key is no version of this one
    with client_error(404, 'NoSuchVersion'):
        s3.get_object(Bucket=vbucket, Key='other', VersionId=v1)
    # in an unversioned bucket only "null" exists
    b = new_bucket_name('plain')
    s3.create_bucket(Bucket=b)
    s3.put_object(Bucket=b, Key='k', Body=b'plain')
    assert body(s3, b, 'k', 'null') == b'plain'
    with client_error(404, 'NoSuchVersion'):
        s3.get_object(Bucket=b, Key='k', VersionId=v1)
    r = request(server, 'PUT', key_path(b, 'k'), body=b'x')
    assert r.header('x-amz-version-id') is None


def test_objects_before_versioning(server, s3, bucket):
    """The null version of an object written while the bucket was
    unversioned stays a version of its key."""

    s3.put_object(Bucket=bucket, Key='old', Body=b'old')
    s3.put_object(Bucket=bucket, Key='old2', Body=b'old2')
    s3.put_object(Bucket=bucket, Key='old3', Body=b'old3')
    enable(s3, bucket)
    assert versions(server, s3, bucket) == [('old', 'null', True, False),
                                    ('old2', 'null', True, False),
                                    ('old3', 'null', True, False)]
    assert body(s3, bucket, 'old', 'null') == b'old'

    v = s3.put_object(Bucket=bucket, Key='old', Body=b'new')['VersionId']
    m = s3.delete_object(Bucket=bucket, Key='old2')['VersionId']
    assert versions(server, s3, bucket) == [('old', v, True, False),
                                    ('old', 'null', False, False),
                                    ('old2', m, True, True),
                                    ('old2', 'null', False, False),
                                    ('old3', 'null', True, False)]
    assert body(s3, bucket, 'old', 'null') == b'old'
    assert body(s3, bucket, 'old2', 'null') == b'old2'
    assert keys(s3, bucket) == ['old', 'old3']

    # the null version deleted by its id, where it is
    s3.delete_object(Bucket=bucket, Key='old', VersionId='null')
    s3.delete_object(Bucket=bucket, Key='old3', VersionId='null')
    assert versions(server, s3, bucket) == [('old', v, True, False),
                                    ('old2', m, True, True),
                                    ('old2', 'null', False, False)]
    assert keys(s3, bucket) == ['old']
    with client_error(404, 'NoSuchVersion'):
        s3.get_object(Bucket=bucket, Key='old', VersionId='null')


def test_suspended_null_version(server, s3, vbucket):
    v1 = s3.put_object(Bucket=vbucket, Key='k', Body=b'one')['VersionId']
    enable(s3, vbucket, 'Suspended')

    r = request(server, 'PUT', key_path(vbucket, 'k'), body=b'n1')
    assert_ok(r)
    assert r.header('x-amz-version-id') == 'null'
    assert versions(server, s3, vbucket) == [('k', 'null', True, False),
                                     ('k', v1, False, False)]
    # a write replaces the null version
    s3.put_object(Bucket=vbucket, Key='k', Body=b'n2')
    assert versions(server, s3, vbucket) == [('k', 'null', True, False),
                                     ('k', v1, False, False)]
    assert body(s3, vbucket, 'k', 'null') == b'n2'

    # a null version below newer ones is found and replaced too
    enable(s3, vbucket)
    v2 = s3.put_object(Bucket=vbucket, Key='k', Body=b'two')['VersionId']
    for i in range(5):
        s3.put_object(Bucket=vbucket, Key='k', Body=b'more')
    enable(s3, vbucket, 'Suspended')
    d = s3.delete_object(Bucket=vbucket, Key='k')
    assert d['DeleteMarker'] is True and d['VersionId'] == 'null'
    vs = versions(server, s3, vbucket)
    assert vs[0] == ('k', 'null', True, True)
    assert [v for v in vs if v[1] == 'null'] == [('k', 'null', True, True)]
    assert len(vs) == 1 + 5 + 2
    assert ('k', v2, False, False) in vs and vs[-1] == ('k', v1, False,
                                                         False)
    r = request(server, 'GET', key_path(vbucket, 'k'))
    assert_error(r, 404, 'NoSuchKey')
    assert r.header('x-amz-version-id') == 'null'
    s3.delete_object(Bucket=vbucket, Key='k', VersionId='null')
    assert body(s3, vbucket, 'k') == b'more'


# copies, multipart, DeleteObjects

def test_copy_from_version(server, s3, vbucket):
    v1 = s3.put_object(Bucket=vbucket, Key='src', Body=b'first')['VersionId']
    s3.put_object(Bucket=vbucket, Key='src', Body=b'second')
    r = s3.copy_object(Bucket=vbucket, Key='dst', CopySource={
        'Bucket': vbucket, 'Key': 'src', 'VersionId': v1})
    assert r['CopySourceVersionId'] == v1
    assert r['VersionId'] not in (v1, 'null')
    assert body(s3, vbucket, 'dst') == b'first'
    assert body(s3, vbucket, 'dst', r['VersionId']) == b'first'

    # the current source: its version id is said too
    r2 = s3.copy_object(Bucket=vbucket, Key='dst', CopySource={
        'Bucket': vbucket, 'Key': 'src'})
    assert r2['CopySourceVersionId'] != v1
    assert body(s3, vbucket, 'dst') == b'second'
    assert [v[1] for v in versions(server, s3, vbucket, Prefix='dst')] \
        == [r2['VersionId'], r['VersionId']]

    m = s3.delete_object(Bucket=vbucket, Key='src')['VersionId']
    gone = s3.put_object(Bucket=vbucket, Key='x', Body=b'x')['VersionId']
    s3.delete_object(Bucket=vbucket, Key='x', VersionId=gone)
    before = versions(server, s3, vbucket)
    with KeepAlive(server) as ka:
        for src, status, code in [
                ('%s/src?versionId=%s' % (vbucket, m), 400,
                 'InvalidRequest'),
                ('%s/src?versionId=%s' % (vbucket, gone), 404,
                 'NoSuchVersion'),
                ('%s/src?versionId=bad' % vbucket, 400, 'InvalidArgument'),
                ('%s/src' % vbucket, 404, 'NoSuchKey')]:
            r = ka.request('PUT', key_path(vbucket, 'dst2'),
                           headers={'x-amz-copy-source': src})
            assert_error(r, status, code)
            assert_ok(ka.request('GET', key_path(vbucket, 'dst')))
    assert versions(server, s3, vbucket) == before

    # UploadPartCopy from a version
    up = s3.create_multipart_upload(Bucket=vbucket, Key='mp')
    pc = s3.upload_part_copy(Bucket=vbucket, Key='mp', PartNumber=1,
                             UploadId=up['UploadId'], CopySource={
                                 'Bucket': vbucket, 'Key': 'src',
                                 'VersionId': v1})
    assert pc['CopySourceVersionId'] == v1
    c = s3.complete_multipart_upload(
        Bucket=vbucket, Key='mp', UploadId=up['UploadId'],
        MultipartUpload={'Parts': [{'PartNumber': 1, 'ETag':
                                    pc['CopyPartResult']['ETag']}]})
    assert c['VersionId'] not in (None, 'null')
    assert body(s3, vbucket, 'mp', c['VersionId']) == b'first'


def test_multipart_versions(server, s3, vbucket):
    old = s3.put_object(Bucket=vbucket, Key='mp', Body=b'old')['VersionId']
    part = os.urandom(5 * 1024 * 1024)
    up = s3.create_multipart_upload(Bucket=vbucket, Key='mp')
    etags = []
    for n in (1, 2):
        etags.append(s3.upload_part(Bucket=vbucket, Key='mp', PartNumber=n,
                                    UploadId=up['UploadId'],
                                    Body=part[:1000] if n == 2 else part)
                     ['ETag'])
    c = s3.complete_multipart_upload(
        Bucket=vbucket, Key='mp', UploadId=up['UploadId'],
        MultipartUpload={'Parts': [{'PartNumber': n + 1, 'ETag': e}
                                   for n, e in enumerate(etags)]})
    vid = c['VersionId']
    assert vid not in (old, 'null')
    assert versions(server, s3, vbucket) == [('mp', vid, True, False),
                                     ('mp', old, False, False)]
    g = s3.get_object(Bucket=vbucket, Key='mp', VersionId=vid, PartNumber=2)
    assert g['Body'].read() == part[:1000] and g['PartsCount'] == 2
    assert g['VersionId'] == vid
    assert body(s3, vbucket, 'mp', old) == b'old'
    s3.delete_object(Bucket=vbucket, Key='mp', VersionId=vid)
    assert body(s3, vbucket, 'mp') == b'old'


def test_conditional_put_on_current_version(server, s3, vbucket):
    e1 = s3.put_object(Bucket=vbucket, Key='k', Body=b'one')['ETag']
    path = key_path(vbucket, 'k')
    with KeepAlive(server) as ka:
        r = ka.request('PUT', path, headers={'If-None-Match': '*'},
                       body=b'no')
        assert_error(r, 412, 'PreconditionFailed')
        assert_ok(ka.request('GET', path))
    r = request(server, 'PUT', path, headers={'If-Match': e1}, body=b'two')
    assert_ok(r)
    assert len(versions(server, s3, vbucket)) == 2

    # the latest is a marker: no current object
    s3.delete_object(Bucket=vbucket, Key='k')
    assert_error(request(server, 'PUT', path, headers={'If-Match': e1},
                         body=b'x'), 404, 'NoSuchKey')
    assert_ok(request(server, 'PUT', path, headers={'If-None-Match': '*'},
                      body=b'three'))
    assert body(s3, vbucket, 'k') == b'three'
    assert len(versions(server, s3, vbucket)) == 4


def test_delete_objects_versions(server, s3, vbucket):
    a1 = s3.put_object(Bucket=vbucket, Key='a', Body=b'a1')['VersionId']
    a2 = s3.put_object(Bucket=vbucket, Key='a', Body=b'a2')['VersionId']
    s3.put_object(Bucket=vbucket, Key='b', Body=b'b')
    mc = s3.delete_object(Bucket=vbucket, Key='c')['VersionId']
    r = s3.delete_objects(Bucket=vbucket, Delete={'Objects': [
        {'Key': 'a', 'VersionId': a1},
        {'Key': 'b'},
        {'Key': 'c', 'VersionId': mc},
        {'Key': 'd', 'VersionId': 'not-an-id'}]})
    got = {d['Key']: d for d in r['Deleted']}
    assert got['a']['VersionId'] == a1 and 'DeleteMarker' not in got['a']
    assert got['b']['DeleteMarker'] is True
    mb = got['b']['DeleteMarkerVersionId']
    assert got['c']['VersionId'] == mc and got['c']['DeleteMarker'] is True
    assert [(e['Key'], e['Code']) for e in r['Errors']] \
        == [('d', 'InvalidArgument')]
    assert versions(server, s3, vbucket) == [('a', a2, True, False),
                                     ('b', mb, True, True),
                                     ('b', versions(server, s3, vbucket)[2][1],
                                      False, False)]
    assert keys(s3, vbucket) == ['a']


def test_delete_bucket_with_versions(server, s3, vbucket):
    v = s3.put_object(Bucket=vbucket, Key='k', Body=b'x')['VersionId']
    m = s3.delete_object(Bucket=vbucket, Key='k')['VersionId']
    with client_error(409, 'BucketNotEmpty'):
        s3.delete_bucket(Bucket=vbucket)
    s3.delete_object(Bucket=vbucket, Key='k', VersionId=v)
    with client_error(409, 'BucketNotEmpty'):
        s3.delete_bucket(Bucket=vbucket)
    s3.delete_object(Bucket=vbucket, Key='k', VersionId=m)
    s3.delete_bucket(Bucket=vbucket)


# ListObjectVersions

def fill_history(s3, bucket, nkeys=12, seed=7):
    """Keys with several versions and markers; the expected listing."""

    rnd = random.Random(seed)
    expect = {}
    for i in range(nkeys):
        k = 'dir%d/key%02d' % (i % 3, i) if i % 4 else 'top%02d' % i
        hist = []
        for _ in range(rnd.randint(1, 6)):
            if rnd.random() < 0.3:
                hist.append((s3.delete_object(Bucket=bucket, Key=k)
                             ['VersionId'], True))
            else:
                hist.append((s3.put_object(Bucket=bucket, Key=k,
                                           Body=os.urandom(10))
                             ['VersionId'], False))
        expect[k] = hist
    full = []
    for k in sorted(expect):
        for n, (vid, marker) in enumerate(reversed(expect[k])):
            full.append((k, vid, n == 0, marker))
    return full


def raw_pages(server, bucket, max_keys, **args):
    """The entries of every page, in document order, with the markers."""

    out = []
    seen = set()
    km = vm = None
    while True:
        q = [('versions', ''), ('max-keys', str(max_keys))]
        q += [(k.replace('_', '-'), v) for k, v in args.items()]
        if km is not None:
            q.append(('key-marker', km))
            if vm is not None:
                q.append(('version-id-marker', vm))
        root = assert_ok(request(server, 'GET', '/' + bucket,
                                 query=q)).xml()
        n = 0
        for el in root:
            if el.tag in ('Version', 'DeleteMarker'):
                e = (el.find('Key').text, el.find('VersionId').text,
                     el.find('IsLatest').text == 'true',
                     el.tag == 'DeleteMarker')
                out.append(e)
                n += 1
            elif el.tag == 'CommonPrefixes':
                out.append(('prefix', el.find('Prefix').text))
                n += 1
        assert n <= max_keys
        if root.find('IsTruncated').text != 'true':
            break
        km = root.find('NextKeyMarker').text
        nv = root.find('NextVersionIdMarker')
        vm = nv.text if nv is not None else None
        assert (km, vm) not in seen, 'paging repeats at %r' % ((km, vm),)
        seen.add((km, vm))
    return out


def test_list_versions_paging(server, s3, vbucket):
    full = fill_history(s3, vbucket)
    assert versions(server, s3, vbucket) == full
    for mk in (1, 2, 3, 5, 7, 1000):
        assert raw_pages(server, vbucket, mk) == full, mk

    # prefix, delimiter
    want = [e for e in full if e[0].startswith('dir1/')]
    for mk in (1, 2, 4):
        assert raw_pages(server, vbucket, mk, prefix='dir1/') == want
    tops = [e for e in full if e[0].startswith('top')]
    want = [('prefix', 'dir0/'), ('prefix', 'dir1/'), ('prefix', 'dir2/')]
    for mk in (1, 2, 3, 1000):
        got = raw_pages(server, vbucket, mk, delimiter='/')
        assert [e for e in got if e[0] == 'prefix'] == want
        assert [e for e in got if e[0] != 'prefix'] == tops

    # ListObjects hides markers and non-current versions
    live = sorted(k for k, _, latest, marker in full
                  if latest and not marker)
    assert keys(s3, vbucket) == live and keys(s3, vbucket, v1=True) == live


def test_list_versions_mixed_paging(server, s3, bucket):
    """Keys written before versioning (their only version "null", listed
    from their current record) between keys with versions, paged."""

    for i in range(16):
        s3.put_object(Bucket=bucket, Key='k%02d' % i, Body=b'old')
    enable(s3, bucket)
    want = []
    for i in range(16):
        k = 'k%02d' % i
        if i % 3 == 0:
            hist = []
            for j in range(i % 4 + 1):
                if j == 1:
                    hist.append((s3.delete_object(Bucket=bucket, Key=k)
                                 ['VersionId'], True))
                else:
                    hist.append((s3.put_object(Bucket=bucket, Key=k,
                                               Body=b'new')['VersionId'],
                                 False))
            want += [(k, vid, n == 0, marker)
                     for n, (vid, marker) in enumerate(reversed(hist))]
            want.append((k, 'null', False, False))
        else:
            want.append((k, 'null', True, False))
    assert versions(server, s3, bucket) == want
    for mk in (1, 2, 3, 5):
        assert raw_pages(server, bucket, mk) == want, mk
    assert raw_pages(server, bucket, 2, prefix='k1') == \
        [e for e in want if e[0].startswith('k1')]


def test_list_versions_encoding(server, s3, vbucket):
    k = 'a b&c/\u00e9'
    vid = s3.put_object(Bucket=vbucket, Key=k, Body=b'x')['VersionId']
    s3.delete_object(Bucket=vbucket, Key=k)
    root = assert_ok(request(server, 'GET', '/' + vbucket, query=[
        ('versions', ''), ('encoding-type', 'url'),
        ('max-keys', '1')])).xml()
    assert root.find('DeleteMarker/Key').text == 'a+b%26c/%C3%A9'
    assert root.find('IsTruncated').text == 'true'
    assert root.find('NextKeyMarker').text == 'a+b%26c/%C3%A9'
    r = s3.list_object_versions(Bucket=vbucket, KeyMarker=k,
                                VersionIdMarker=root.find(
                                    'NextVersionIdMarker').text)
    assert [v['VersionId'] for v in r['Versions']] == [vid]
    assert not r['Versions'][0]['IsLatest']


# permissions: S3's actions for versions

def test_version_actions(make_server, tmp_path):
    """A bucket policy that allows s3:GetObject and s3:DeleteObject lets
    a user read and delete current objects, not versions by id
    (s3:GetObjectVersion, s3:DeleteObjectVersion); PutBucketVersioning is
    the owner's."""

    kf = write_key_file(str(tmp_path / 's3.key'), [os.urandom(32)])
    srv = make_server(**admin_kwargs(kf))
    owner = boto_client(srv, *new_user_key(srv, 'vowner'))
    ak, sk = new_user_key(srv, 'vother')
    other = boto_client(srv, ak, sk)
    b = new_bucket_name('vperm')
    owner.create_bucket(Bucket=b)
    enable(owner, b)
    v1 = owner.put_object(Bucket=b, Key='k', Body=b'1')['VersionId']
    owner.put_object(Bucket=b, Key='k', Body=b'2')
    doc = {'Version': '2012-10-17', 'Statement': [{
        'Effect': 'Allow',
        'Principal': {'AWS': 'arn:aws:iam::000000000000:user/vother'},
        'Action': ['s3:GetObject', 's3:DeleteObject', 's3:PutObject'],
        'Resource': 'arn:aws:s3:::%s/*' % b}]}
    owner.put_bucket_policy(Bucket=b, Policy=json.dumps(doc))

    def attempt(f):
        deadline = time.time() + 5        # every worker's access cache
        while True:
            try:
                return f()
            except Exception:             # noqa: BLE001 (retried, raised)
                if time.time() > deadline:
                    raise
                time.sleep(0.2)

    assert attempt(lambda: body(other, b, 'k')) == b'2'
    for _ in range(4):
        with client_error(403, 'AccessDenied'):
            other.get_object(Bucket=b, Key='k', VersionId=v1)
        with client_error(403, 'AccessDenied'):
            other.delete_object(Bucket=b, Key='k', VersionId=v1)
        with client_error(403, 'AccessDenied'):
            other.copy_object(Bucket=b, Key='c', CopySource={
                'Bucket': b, 'Key': 'k', 'VersionId': v1})
        with client_error(403, 'AccessDenied'):
            enable(other, b, 'Suspended')
    r = other.delete_objects(Bucket=b, Delete={'Objects': [
        {'Key': 'k', 'VersionId': v1}]})
    assert [e['Code'] for e in r['Errors']] == ['AccessDenied']
    assert body(owner, b, 'k', v1) == b'1'

    doc['Statement'][0]['Action'] += ['s3:GetObjectVersion',
                                      's3:DeleteObjectVersion']
    owner.put_bucket_policy(Bucket=b, Policy=json.dumps(doc))
    assert attempt(lambda: body(other, b, 'k', v1)) == b'1'
    attempt(lambda: other.delete_object(Bucket=b, Key='k', VersionId=v1))
    assert owner.get_bucket_versioning(Bucket=b)['Status'] == 'Enabled'


# usage and quotas

def test_usage_counts_versions(make_server):
    """A bucket's usage: current objects, non-current versions (delete
    markers are neither), exact after every kind of versioned change;
    s3_quota counts the versions."""

    b = new_bucket_name('vusage')
    q = new_bucket_name('vquota')
    srv = make_server(**admin_kwargs(
        None, http_extra='    s3_quota %s max_objects=3;\n' % q))
    s3 = boto_client(srv)

    def stats(bucket):
        doc = cli_ok(srv, 'bucket', 'stats', bucket)
        return (doc['objects'], doc['bytes'], doc['versions'],
                doc['version_bytes'])

    s3.create_bucket(Bucket=b)
    s3.put_object(Bucket=b, Key='old', Body=b'x' * 10)    # unversioned
    enable(s3, b)
    assert stats(b) == (1, 10, 0, 0)
    v1 = s3.put_object(Bucket=b, Key='k', Body=b'x' * 100)['VersionId']
    s3.put_object(Bucket=b, Key='k', Body=b'x' * 200)
    assert stats(b) == (2, 210, 1, 100)
    s3.put_object(Bucket=b, Key='old', Body=b'x' * 20)    # old: a version
    assert stats(b) == (2, 220, 2, 110)
    m = s3.delete_object(Bucket=b, Key='k')['VersionId']
    assert stats(b) == (1, 20, 3, 310)
    s3.delete_object(Bucket=b, Key='k', VersionId=m)      # 200 is back
    assert stats(b) == (2, 220, 2, 110)
    s3.delete_object(Bucket=b, Key='k', VersionId=v1)
    assert stats(b) == (2, 220, 1, 10)
    s3.copy_object(Bucket=b, Key='c', CopySource={'Bucket': b, 'Key': 'k'})
    enable(s3, b, 'Suspended')
    s3.put_object(Bucket=b, Key='c', Body=b'x' * 5)       # null version
    s3.put_object(Bucket=b, Key='c', Body=b'x' * 7)       # replaces it
    assert stats(b) == (3, 227, 2, 210)
    s3.delete_object(Bucket=b, Key='c')                   # a null marker
    assert stats(b) == (2, 220, 2, 210)

    # a quota of 3: versions count
    s3.create_bucket(Bucket=q)
    enable(s3, q)
    s3.put_object(Bucket=q, Key='k', Body=b'1')
    s3.put_object(Bucket=q, Key='k', Body=b'2')
    s3.delete_object(Bucket=q, Key='k')                   # no object
    s3.put_object(Bucket=q, Key='k', Body=b'3')
    with client_error(403, 'QuotaExceeded'):
        s3.put_object(Bucket=q, Key='k', Body=b'4')
    assert len(versions(srv, s3, q)) == 4


# another client: the aws CLI

def aws(server, *args):
    exe = shutil.which('aws')
    if exe is None:
        pytest.skip('aws CLI not installed')
    env = {'PATH': os.environ.get('PATH', '/usr/bin:/bin'),
           'HOME': '/nonexistent',
           'AWS_ACCESS_KEY_ID': server.access_key,
           'AWS_SECRET_ACCESS_KEY': server.secret_key,
           'AWS_DEFAULT_REGION': server.region,
           'AWS_CONFIG_FILE': '/dev/null',
           'AWS_SHARED_CREDENTIALS_FILE': '/dev/null',
           'AWS_EC2_METADATA_DISABLED': 'true'}
    p = subprocess.run([exe, '--endpoint-url', server.endpoint,
                        '--output', 'json'] + list(args), env=env,
                       capture_output=True, timeout=60,
                       stdin=subprocess.DEVNULL)
    return p.returncode, p.stdout.decode(), p.stderr.decode()


def test_awscli(server, s3, bucket, tmp_path):
    rc, out, err = aws(server, 's3api', 'put-bucket-versioning', '--bucket',
                       bucket, '--versioning-configuration',
                       'Status=Enabled')
    assert rc == 0, err
    rc, out, err = aws(server, 's3api', 'get-bucket-versioning', '--bucket',
                       bucket)
    assert rc == 0 and json.loads(out)['Status'] == 'Enabled', err
    src = tmp_path / 'f'
    ids = []
    for i in range(3):
        src.write_bytes(b'cli %d' % i)
        rc, out, err = aws(server, 's3api', 'put-object', '--bucket', bucket,
                           '--key', 'k', '--body', str(src))
        assert rc == 0, err
        ids.append(json.loads(out)['VersionId'])
    rc, out, err = aws(server, 's3api', 'delete-object', '--bucket', bucket,
                       '--key', 'k')
    assert rc == 0, err
    marker = json.loads(out)
    assert marker['DeleteMarker'] is True
    rc, out, err = aws(server, 's3api', 'list-object-versions', '--bucket',
                       bucket, '--page-size', '1')
    assert rc == 0, err
    got = json.loads(out)
    assert [v['VersionId'] for v in got['Versions']] == ids[::-1]
    assert [v['IsLatest'] for v in got['Versions']] == [False] * 3
    assert [(m['VersionId'], m['IsLatest']) for m in got['DeleteMarkers']] \
        == [(marker['VersionId'], True)]
    dst = tmp_path / 'out'
    rc, out, err = aws(server, 's3api', 'get-object', '--bucket', bucket,
                       '--key', 'k', '--version-id', ids[1], str(dst))
    assert rc == 0 and dst.read_bytes() == b'cli 1', err
    rc, out, err = aws(server, 's3api', 'get-object', '--bucket', bucket,
                       '--key', 'k', str(dst))
    assert rc != 0 and 'NoSuchKey' in err


# concurrency and crashes

def test_concurrent_puts_and_deletes(server, s3, vbucket):
    """Many clients PUT and DELETE one key at once: every acknowledged
    version is listed, newest first by when it was acknowledged, and
    readable with its bytes."""

    acked = {}
    lock = threading.Lock()
    errors = []

    def work(n):
        c = boto_client(server)
        for i in range(15):
            try:
                if i % 4 == 3:
                    r = c.delete_object(Bucket=vbucket, Key='hot')
                    with lock:
                        acked[r['VersionId']] = None
                else:
                    data = b'%d-%d-' % (n, i) + os.urandom(64)
                    r = c.put_object(Bucket=vbucket, Key='hot', Body=data)
                    with lock:
                        acked[r['VersionId']] = data
            except Exception as e:   # noqa: BLE001 (reported below)
                errors.append(e)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors[:3]
    assert len(acked) == 8 * 15

    vs = versions(server, s3, vbucket)
    assert sorted(v[1] for v in vs) == sorted(acked)
    assert [v[2] for v in vs] == [True] + [False] * (len(vs) - 1)
    # newest first: the ids are the order of the commits
    assert [v[1] for v in vs] == sorted(acked, reverse=True)
    for vid, data in acked.items():
        if data is None:
            assert [v[3] for v in vs if v[1] == vid] == [True]
        else:
            assert body(s3, vbucket, 'hot', vid) == data
    s3store.plyvel and s3store.check_consistent(server)


@pytest.mark.skipif(s3store.plyvel is None,
                    reason='python3-plyvel is missing')
def test_kill_metadata_process_during_versioned_writes(make_server):
    """kill -9 of the metadata process during a burst of versioned PUTs and
    DELETEs: afterwards every acknowledged version and marker is listed
    and readable, no version was made twice, and no body file is left
    without a record (after the orphan sweep) nor a count wrong."""

    srv = make_server(http_extra='s3_orphan_grace 3s;\n    '
                                 's3_meta_timeout 2s;')
    s3 = boto_client(srv)
    b = new_bucket_name('vkill')
    s3.create_bucket(Bucket=b)
    enable(s3, b)
    stop = threading.Event()
    acked = {}
    lock = threading.Lock()

    def load(n):
        c = boto_client(srv)
        i = 0
        while not stop.is_set():
            k = 'k%d' % (i % 3)
            try:
                if i % 3 == 2:
                    r = c.delete_object(Bucket=b, Key=k)
                    data = None
                else:
                    data = os.urandom(500)
                    r = c.put_object(Bucket=b, Key=k, Body=data)
                with lock:
                    acked[(k, r['VersionId'])] = data
            except Exception:        # noqa: BLE001 (in flight at the kill)
                pass
            i += 1

    threads = [threading.Thread(target=load, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    try:
        time.sleep(1.0)
        srv.kill_helper()
        time.sleep(1.5)
    finally:
        stop.set()
        for t in threads:
            t.join()

    listed = {(k, vid): marker for k, vid, _, marker in versions(srv, s3, b)}
    assert len(listed) == len(versions(srv, s3, b))
    # a PUT resent after the kill made no second version: bodies are
    # random, so no two versions have the same ETag
    etags = [v['ETag'] for page in s3.get_paginator(
        'list_object_versions').paginate(Bucket=b)
        for v in page.get('Versions', [])]
    assert len(etags) == len(set(etags))
    for (k, vid), data in acked.items():
        assert (k, vid) in listed, 'acknowledged %s %s not listed' % (k, vid)
        assert listed[(k, vid)] == (data is None)
        if data is not None:
            assert body(s3, b, k, vid) == data
    # every listed version has a readable body
    for (k, vid), marker in listed.items():
        if not marker:
            s3.head_object(Bucket=b, Key=k, VersionId=vid)

    # the orphans of the kill go with the sweep (older than its grace)
    time.sleep(4)
    deadline = time.time() + 15
    while True:
        try:
            s3store.check_consistent(srv)
            break
        except AssertionError:
            if time.time() > deadline:
                raise
            time.sleep(1)
