"""Tagging: Put/Get/DeleteObjectTagging on a version, x-amz-tagging on
PutObject, CreateMultipartUpload and CopyObject (x-amz-tagging-directive),
x-amz-tagging-count on GET/HEAD, Put/Get/DeleteBucketTagging; every
error with its status and Code, the stored tags unchanged and the
keep-alive connection still usable; the IAM actions of bucket policies
and grants; concurrent PutObjectTagging ends in one whole set; the same
with the aws CLI and the JS SDK (t/js/tagging.mjs)."""

import json
import os
import subprocess
import threading
from xml.sax.saxutils import escape

import pytest

import s3server
from conftest import boto_client, new_bucket_name
from s3admin import admin_kwargs, cli_ok, new_user_key, write_key_file
from s3raw import KeepAlive, assert_error, client_error, request

AWS = '/usr/bin/aws'


@pytest.fixture(scope='module')
def tb(s3):
    name = new_bucket_name('tagging')
    s3.create_bucket(Bucket=name)
    return name


def tagset(pairs):
    return [{'Key': k, 'Value': v} for k, v in pairs]


def tagging_xml(pairs):
    return ('<Tagging><TagSet>%s</TagSet></Tagging>' % ''.join(
        '<Tag><Key>%s</Key><Value>%s</Value></Tag>' % (escape(k), escape(v))
        for k, v in pairs)).encode('utf-8')


def headers_of(resp):
    return resp['ResponseMetadata']['HTTPHeaders']


def get_tags(s3, bucket, key):
    return s3.get_object_tagging(Bucket=bucket, Key=key)['TagSet']


def get_bucket_tags(s3, bucket):
    try:
        return s3.get_bucket_tagging(Bucket=bucket)['TagSet']
    except s3.exceptions.ClientError as e:
        assert e.response['Error']['Code'] == 'NoSuchTagSet', e.response
        return None


# object tagging

def test_no_tags_is_an_empty_tagset(s3, tb):
    s3.put_object(Bucket=tb, Key='plain', Body=b'x')
    assert get_tags(s3, tb, 'plain') == []
    assert 'x-amz-tagging-count' not in headers_of(
        s3.head_object(Bucket=tb, Key='plain'))


def test_object_tagging_round_trip(s3, tb):
    put = s3.put_object(Bucket=tb, Key='rt', Body=b'body',
                        Metadata={'m': 'v'}, ContentType='text/x-rt')
    before = s3.head_object(Bucket=tb, Key='rt')
    pairs = [('project', 'llm'), ('with space', 'a b/c+d=e&f'),
             ('empty', ''), ('\u00e9t\u00e9', '\u20ac' * 256),
             ('k' * 128, 'v' * 256)] + [('n%d' % i, str(i)) for i in range(5)]
    r = s3.put_object_tagging(Bucket=tb, Key='rt',
                              Tagging={'TagSet': tagset(pairs)})
    assert r['ResponseMetadata']['HTTPStatusCode'] == 200
    # unversioned: no x-amz-version-id
    assert 'x-amz-version-id' not in headers_of(r)
    assert get_tags(s3, tb, 'rt') == tagset(pairs)

    h = s3.head_object(Bucket=tb, Key='rt')
    assert headers_of(h)['x-amz-tagging-count'] == '10'
    g = s3.get_object(Bucket=tb, Key='rt')
    assert g['TagCount'] == 10 and g['Body'].read() == b'body'
    # the object is the same: body, ETag, date, headers, metadata
    assert h['ETag'] == put['ETag'] == before['ETag']
    assert h['LastModified'] == before['LastModified']
    assert h['Metadata'] == {'m': 'v'} and h['ContentType'] == 'text/x-rt'

    # the same set again (a replay) is fine; a new set replaces it whole
    s3.put_object_tagging(Bucket=tb, Key='rt',
                          Tagging={'TagSet': tagset(pairs)})
    s3.put_object_tagging(Bucket=tb, Key='rt',
                          Tagging={'TagSet': tagset([('one', '1')])})
    assert get_tags(s3, tb, 'rt') == tagset([('one', '1')])
    assert headers_of(s3.head_object(Bucket=tb,
                                     Key='rt'))['x-amz-tagging-count'] == '1'

    # an empty set: no tags
    s3.put_object_tagging(Bucket=tb, Key='rt', Tagging={'TagSet': []})
    assert get_tags(s3, tb, 'rt') == []

    s3.put_object_tagging(Bucket=tb, Key='rt',
                          Tagging={'TagSet': tagset([('a', 'b')])})
    d = s3.delete_object_tagging(Bucket=tb, Key='rt')
    assert d['ResponseMetadata']['HTTPStatusCode'] == 204
    assert get_tags(s3, tb, 'rt') == []
    assert 'x-amz-tagging-count' not in headers_of(
        s3.head_object(Bucket=tb, Key='rt'))
    # deleting no tags is fine too
    s3.delete_object_tagging(Bucket=tb, Key='rt')
    assert s3.get_object(Bucket=tb, Key='rt')['Body'].read() == b'body'


def test_version_null_is_the_unversioned_object(s3, tb):
    s3.put_object(Bucket=tb, Key='vn', Body=b'x')
    s3.put_object_tagging(Bucket=tb, Key='vn', VersionId='null',
                          Tagging={'TagSet': tagset([('v', 'null')])})
    assert s3.get_object_tagging(Bucket=tb, Key='vn',
                                 VersionId='null')['TagSet'] == \
        tagset([('v', 'null')])
    s3.delete_object_tagging(Bucket=tb, Key='vn', VersionId='null')
    assert get_tags(s3, tb, 'vn') == []


def test_tags_given_at_put_object(s3, tb):
    s3.put_object(Bucket=tb, Key='hdr', Body=b'x',
                  Tagging='a=1&b=two+words%2Fx&empty=&bare&%C3%A9=%E2%82%AC')
    assert get_tags(s3, tb, 'hdr') == tagset([
        ('a', '1'), ('b', 'two words/x'), ('empty', ''), ('bare', ''),
        ('\u00e9', '\u20ac')])
    assert s3.get_object(Bucket=tb, Key='hdr')['TagCount'] == 5
    # an overwrite without tags has none
    s3.put_object(Bucket=tb, Key='hdr', Body=b'y')
    assert get_tags(s3, tb, 'hdr') == []


def test_tags_given_at_create_multipart_upload(s3, tb):
    mp = s3.create_multipart_upload(Bucket=tb, Key='mp',
                                    Tagging='project=llm&stage=a+b%2Fc'
                                            '&empty=')
    uid = mp['UploadId']
    p = s3.upload_part(Bucket=tb, Key='mp', UploadId=uid, PartNumber=1,
                       Body=b'y' * 100)
    s3.complete_multipart_upload(
        Bucket=tb, Key='mp', UploadId=uid,
        MultipartUpload={'Parts': [{'PartNumber': 1, 'ETag': p['ETag']}]})
    r = s3.get_object_tagging(Bucket=tb, Key='mp')
    assert r['TagSet'] == [{'Key': 'project', 'Value': 'llm'},
                           {'Key': 'stage', 'Value': 'a b/c'},
                           {'Key': 'empty', 'Value': ''}]
    assert headers_of(s3.head_object(Bucket=tb,
                                     Key='mp'))['x-amz-tagging-count'] == '3'
    # a copy takes them along (x-amz-tagging-directive COPY)
    s3.copy_object(Bucket=tb, Key='mp copy',
                   CopySource={'Bucket': tb, 'Key': 'mp'})
    assert s3.get_object_tagging(Bucket=tb, Key='mp copy')['TagSet'] == \
        r['TagSet']


def test_copy_tagging_directive(s3, tb):
    s3.put_object(Bucket=tb, Key='src', Body=b'src')
    s3.put_object_tagging(Bucket=tb, Key='src',
                          Tagging={'TagSet': tagset([('from', 'src')])})
    # COPY, the default, even with x-amz-tagging: the source's tags
    s3.copy_object(Bucket=tb, Key='c1', CopySource={'Bucket': tb,
                                                    'Key': 'src'})
    assert get_tags(s3, tb, 'c1') == tagset([('from', 'src')])
    s3.copy_object(Bucket=tb, Key='c2', CopySource={'Bucket': tb,
                                                    'Key': 'src'},
                   TaggingDirective='COPY', Tagging='ignored=1')
    assert get_tags(s3, tb, 'c2') == tagset([('from', 'src')])
    # REPLACE: the request's tags, or none
    s3.copy_object(Bucket=tb, Key='c3', CopySource={'Bucket': tb,
                                                    'Key': 'src'},
                   TaggingDirective='REPLACE', Tagging='new=1&n2=2')
    assert get_tags(s3, tb, 'c3') == tagset([('new', '1'), ('n2', '2')])
    s3.copy_object(Bucket=tb, Key='c4', CopySource={'Bucket': tb,
                                                    'Key': 'src'},
                   TaggingDirective='REPLACE')
    assert get_tags(s3, tb, 'c4') == []
    # the copies' tags are their own
    s3.delete_object_tagging(Bucket=tb, Key='c1')
    assert get_tags(s3, tb, 'src') == tagset([('from', 'src')])


def test_concurrent_put_object_tagging_ends_in_one_set(server, tb):
    """Writers race on one object's tags: the tags afterwards are exactly
    one of the sets written, never a mix."""

    s3 = boto_client(server)
    s3.put_object(Bucket=tb, Key='race', Body=b'r')
    sets = [tagset([('w', str(i))] + [('k%d' % j, '%d-%d' % (i, j))
                                      for j in range(i % 9 + 1)])
            for i in range(8)]
    errors = []

    def writer(i):
        c = boto_client(server)
        try:
            for _ in range(10):
                c.put_object_tagging(Bucket=tb, Key='race',
                                     Tagging={'TagSet': sets[i]})
        except Exception as e:        # noqa: BLE001 - reported below
            errors.append(e)

    threads = [threading.Thread(target=writer, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    got = get_tags(s3, tb, 'race')
    assert got in sets, got
    assert headers_of(s3.head_object(Bucket=tb, Key='race'))[
        'x-amz-tagging-count'] == str(len(got))


# object tagging errors: status, Code, nothing changed, the connection
# still answers

def too_many(n):
    return [('k%02d' % i, 'v') for i in range(n)]


OBJECT_TAG_ERRORS = [
    ('11 tags', tagging_xml(too_many(11)), 'InvalidTag'),
    ('a 129-char key', tagging_xml([('k' * 129, 'v')]), 'InvalidTag'),
    ('a 257-char value', tagging_xml([('k', 'v' * 257)]), 'InvalidTag'),
    ('a key twice', tagging_xml([('k', '1'), ('k', '2')]), 'InvalidTag'),
    ('aws: prefix', tagging_xml([('aws:cloudformation', 'x')]),
     'InvalidTag'),
    ('an empty key', tagging_xml([('', 'x')]), 'InvalidTag'),
    ('not XML', b'<Tagging><TagSet>', 'MalformedXML'),
    ('no TagSet', b'<Tagging></Tagging>', 'MalformedXML'),
    ('a Tag without Value',
     b'<Tagging><TagSet><Tag><Key>k</Key></Tag></TagSet></Tagging>',
     'MalformedXML'),
    ('another root', b'<TagSet><Tag><Key>k</Key><Value/></Tag></TagSet>',
     'MalformedXML'),
    ('an empty body', b'', 'MalformedXML'),
]


@pytest.mark.parametrize('what,body,code', OBJECT_TAG_ERRORS,
                         ids=[e[0] for e in OBJECT_TAG_ERRORS])
def test_put_object_tagging_errors(server, s3, tb, what, body, code):
    key = 'err-' + what.replace(' ', '-')
    s3.put_object(Bucket=tb, Key=key, Body=b'e', Tagging='keep=me')
    path = '/%s/%s' % (tb, key)
    with KeepAlive(server) as c:
        r = c.request('PUT', path, query=[('tagging', '')], body=body)
        assert_error(r, 400, code)
        r = c.request('GET', path, query=[('tagging', '')])
        assert r.status == 200 and b'<Key>keep</Key><Value>me</Value>' \
            in r.body, r
    assert get_tags(s3, tb, key) == tagset([('keep', 'me')])


def test_object_tagging_not_found(server, s3, tb):
    s3.put_object(Bucket=tb, Key='nf', Body=b'x', Tagging='keep=me')
    gone = new_bucket_name('gone')
    body = tagging_xml([('a', 'b')])
    cases = [
        # (method, path, query, status, code)
        ('PUT', '/%s/missing' % tb, [], 404, 'NoSuchKey'),
        ('GET', '/%s/missing' % tb, [], 404, 'NoSuchKey'),
        ('DELETE', '/%s/missing' % tb, [], 404, 'NoSuchKey'),
        ('PUT', '/%s/k' % gone, [], 404, 'NoSuchBucket'),
        ('GET', '/%s/k' % gone, [], 404, 'NoSuchBucket'),
        ('DELETE', '/%s/k' % gone, [], 404, 'NoSuchBucket'),
        ('PUT', '/%s/nf' % tb, [('versionId', 'v2')], 404, 'NoSuchVersion'),
        ('GET', '/%s/nf' % tb, [('versionId', 'v2')], 404, 'NoSuchVersion'),
        ('DELETE', '/%s/nf' % tb, [('versionId', 'v2')], 404,
         'NoSuchVersion'),
        ('PUT', '/%s/nf' % tb, [('versionId', '')], 400, 'InvalidArgument'),
        ('GET', '/%s/nf' % tb, [('versionId', '')], 400, 'InvalidArgument'),
        ('DELETE', '/%s/nf' % tb, [('versionId', '')], 400,
         'InvalidArgument'),
    ]
    with KeepAlive(server) as c:
        for method, path, query, status, code in cases:
            r = c.request(method, path, query=[('tagging', '')] + query,
                          body=body if method == 'PUT' else b'')
            assert_error(r, status, code)
            r = c.request('GET', '/%s/nf' % tb, query=[('tagging', '')])
            assert r.status == 200 and b'<Key>keep</Key>' in r.body, r
    assert get_tags(s3, tb, 'nf') == tagset([('keep', 'me')])
    with client_error(404, 'NoSuchKey'):
        s3.put_object_tagging(Bucket=tb, Key='missing',
                              Tagging={'TagSet': tagset([('a', 'b')])})
    with client_error(404, 'NoSuchVersion'):
        s3.get_object_tagging(Bucket=tb, Key='nf', VersionId='v2')
    with client_error(404, 'NoSuchBucket'):
        s3.get_object_tagging(Bucket=gone, Key='k')


# x-amz-tagging of a write: checked before any byte is stored

HEADER_ERRORS = [
    ('11 tags', '&'.join('k%d=v' % i for i in range(11)), 400,
     'InvalidTag'),
    ('a 129-char key', 'k' * 129 + '=v', 400, 'InvalidTag'),
    ('a 257-char value', 'k=' + 'v' * 257, 400, 'InvalidTag'),
    ('aws: prefix', 'aws%3Ax=1', 400, 'InvalidTag'),
    ('an empty key', '=v', 400, 'InvalidTag'),
    ('a key twice', 'a=1&a=2', 400, 'InvalidArgument'),
    ('a bad escape', 'a=%zz', 400, 'InvalidArgument'),
    ('not UTF-8', 'a=%ff', 400, 'InvalidArgument'),
]


@pytest.mark.parametrize('what,value,status,code', HEADER_ERRORS,
                         ids=[e[0] for e in HEADER_ERRORS])
def test_put_object_tagging_header_errors(server, s3, tb, what, value,
                                          status, code):
    key = 'hdr-err-' + what.replace(' ', '-')
    s3.put_object(Bucket=tb, Key=key, Body=b'old', Tagging='keep=me')
    path = '/%s/%s' % (tb, key)
    with KeepAlive(server) as c:
        # PutObject: the object stays as it was
        r = c.request('PUT', path, headers={'x-amz-tagging': value},
                      body=b'new body')
        assert_error(r, status, code)
        r = c.request('GET', path)
        assert r.status == 200 and r.body == b'old', r
        # CreateMultipartUpload: no upload
        r = c.request('POST', path, query=[('uploads', '')],
                      headers={'x-amz-tagging': value})
        assert_error(r, status, code)
        r = c.request('GET', '/' + tb, query=[('uploads', ''),
                                              ('prefix', key)])
        assert r.status == 200 and b'<Upload>' not in r.body, r
        # CopyObject REPLACE: the target stays as it was
        r = c.request('PUT', path, headers={
            'x-amz-copy-source': '/%s/plain' % tb,
            'x-amz-tagging-directive': 'REPLACE',
            'x-amz-tagging': value})
        assert_error(r, status, code)
        r = c.request('GET', path, query=[('tagging', '')])
        assert r.status == 200 and b'<Key>keep</Key>' in r.body, r
    assert s3.get_object(Bucket=tb, Key=key)['Body'].read() == b'old'
    assert get_tags(s3, tb, key) == tagset([('keep', 'me')])


def test_copy_bad_tagging_directive(server, s3, tb):
    s3.put_object(Bucket=tb, Key='dir-target', Body=b'old',
                  Tagging='keep=me')
    path = '/%s/dir-target' % tb
    with KeepAlive(server) as c:
        r = c.request('PUT', path, headers={
            'x-amz-copy-source': '/%s/plain' % tb,
            'x-amz-tagging-directive': 'KEEP'})
        f = assert_error(r, 400, 'InvalidArgument')
        assert f.get('ArgumentName') == 'x-amz-tagging-directive'
        r = c.request('GET', path)
        assert r.status == 200 and r.body == b'old', r
    assert get_tags(s3, tb, 'dir-target') == tagset([('keep', 'me')])


# bucket tagging

def test_bucket_tagging_round_trip(s3):
    b = new_bucket_name('btag')
    s3.create_bucket(Bucket=b)
    with client_error(404, 'NoSuchTagSet'):
        s3.get_bucket_tagging(Bucket=b)
    pairs = [('k%02d' % i, 'v%d' % i) for i in range(48)] + [
        ('k' * 128, 'v' * 256), ('\u00e9 space', '')]
    r = s3.put_bucket_tagging(Bucket=b, Tagging={'TagSet': tagset(pairs)})
    assert r['ResponseMetadata']['HTTPStatusCode'] == 204
    assert s3.get_bucket_tagging(Bucket=b)['TagSet'] == tagset(pairs)
    # replaced whole
    s3.put_bucket_tagging(Bucket=b, Tagging={'TagSet': tagset([('a', 'b')])})
    assert s3.get_bucket_tagging(Bucket=b)['TagSet'] == tagset([('a', 'b')])
    r = s3.delete_bucket_tagging(Bucket=b)
    assert r['ResponseMetadata']['HTTPStatusCode'] == 204
    with client_error(404, 'NoSuchTagSet'):
        s3.get_bucket_tagging(Bucket=b)
    s3.delete_bucket_tagging(Bucket=b)
    # an empty set is no set
    s3.put_bucket_tagging(Bucket=b, Tagging={'TagSet': []})
    assert get_bucket_tags(s3, b) is None
    # the tags go with the bucket
    s3.put_bucket_tagging(Bucket=b, Tagging={'TagSet': tagset([('a', 'b')])})
    s3.delete_bucket(Bucket=b)
    with client_error(404, 'NoSuchBucket'):
        s3.get_bucket_tagging(Bucket=b)
    s3.create_bucket(Bucket=b)
    assert get_bucket_tags(s3, b) is None


BUCKET_TAG_ERRORS = [
    ('51 tags', tagging_xml(too_many(51)), 'InvalidTag'),
    ('a 129-char key', tagging_xml([('k' * 129, 'v')]), 'InvalidTag'),
    ('a 257-char value', tagging_xml([('k', 'v' * 257)]), 'InvalidTag'),
    ('a key twice', tagging_xml([('k', '1'), ('k', '2')]), 'InvalidTag'),
    ('aws: prefix', tagging_xml([('aws:x', '1')]), 'InvalidTag'),
    ('not XML', b'<Tagging><TagSet><Tag>', 'MalformedXML'),
    ('no TagSet', b'<Tagging/>', 'MalformedXML'),
    ('a Tag without Key',
     b'<Tagging><TagSet><Tag><Value>v</Value></Tag></TagSet></Tagging>',
     'MalformedXML'),
]


@pytest.fixture(scope='module')
def tagged_bucket(s3):
    name = new_bucket_name('btag-err')
    s3.create_bucket(Bucket=name)
    s3.put_bucket_tagging(Bucket=name,
                          Tagging={'TagSet': tagset([('keep', 'me')])})
    return name


@pytest.mark.parametrize('what,body,code', BUCKET_TAG_ERRORS,
                         ids=[e[0] for e in BUCKET_TAG_ERRORS])
def test_put_bucket_tagging_errors(server, s3, tagged_bucket, what, body,
                                   code):
    path = '/' + tagged_bucket
    with KeepAlive(server) as c:
        r = c.request('PUT', path, query=[('tagging', '')], body=body)
        assert_error(r, 400, code)
        r = c.request('GET', path, query=[('tagging', '')])
        assert r.status == 200 and b'<Key>keep</Key><Value>me</Value>' \
            in r.body, r
    assert s3.get_bucket_tagging(Bucket=tagged_bucket)['TagSet'] == \
        tagset([('keep', 'me')])


def test_bucket_tagging_not_found(server, s3, tagged_bucket):
    gone = new_bucket_name('gone')
    with KeepAlive(server) as c:
        for method in ('GET', 'PUT', 'DELETE'):
            r = c.request(method, '/' + gone, query=[('tagging', '')],
                          body=tagging_xml([('a', 'b')])
                          if method == 'PUT' else b'')
            assert_error(r, 404, 'NoSuchBucket')
            r = c.request('GET', '/' + tagged_bucket,
                          query=[('tagging', '')])
            assert r.status == 200, r
    with client_error(404, 'NoSuchBucket'):
        s3.put_bucket_tagging(Bucket=gone,
                              Tagging={'TagSet': tagset([('a', 'b')])})


def test_no_tag_set_then_same_connection(server, s3):
    b = new_bucket_name('btag-none')
    s3.create_bucket(Bucket=b)
    with KeepAlive(server) as c:
        r = c.request('GET', '/' + b, query=[('tagging', '')])
        assert_error(r, 404, 'NoSuchTagSet')
        r = c.request('GET', '/' + b, query=[('location', '')])
        assert r.status == 200, r


# who may: the IAM actions of each operation

@pytest.fixture(scope='module')
def pserver(tmp_path_factory):
    d = tmp_path_factory.mktemp('keyfile')
    kf = write_key_file(str(d / 's3.key'), [os.urandom(32)])
    srv = s3server.S3Server(name='tagging-policy', **admin_kwargs(kf))
    srv.start()
    yield srv
    srv.teardown()


def user_arn(name):
    return {'AWS': 'arn:aws:iam::000000000000:user/%s' % name}


def test_actions_of_policies_and_grants(pserver):
    alice = boto_client(pserver, *new_user_key(pserver, 'alice'))
    bob = boto_client(pserver, *new_user_key(pserver, 'bob'))
    b = new_bucket_name('tag-acl')
    alice.create_bucket(Bucket=b)
    alice.put_object(Bucket=b, Key='o', Body=b'o', Tagging='a=1')
    alice.put_bucket_tagging(Bucket=b,
                             Tagging={'TagSet': tagset([('b', '1')])})
    ts = {'TagSet': tagset([('bob', 'was here')])}

    # no grant: nothing
    with client_error(403, 'AccessDenied'):
        bob.get_object_tagging(Bucket=b, Key='o')
    with client_error(403, 'AccessDenied'):
        bob.get_bucket_tagging(Bucket=b)

    # read: reads the tags, writes none
    cli_ok(pserver, 'grant', b, 'bob', 'read')
    assert get_tags(bob, b, 'o') == tagset([('a', '1')])
    assert bob.get_bucket_tagging(Bucket=b)['TagSet'] == tagset([('b', '1')])
    with client_error(403, 'AccessDenied'):
        bob.put_object_tagging(Bucket=b, Key='o', Tagging=ts)
    with client_error(403, 'AccessDenied'):
        bob.delete_object_tagging(Bucket=b, Key='o')

    # write: object tags, not the bucket's (the owner's)
    cli_ok(pserver, 'grant', b, 'bob', 'write')
    bob.put_object_tagging(Bucket=b, Key='o', Tagging=ts)
    bob.delete_object_tagging(Bucket=b, Key='o')
    with client_error(403, 'AccessDenied'):
        bob.put_bucket_tagging(Bucket=b, Tagging=ts)
    with client_error(403, 'AccessDenied'):
        bob.delete_bucket_tagging(Bucket=b)
    assert alice.get_bucket_tagging(Bucket=b)['TagSet'] == \
        tagset([('b', '1')])

    # a policy: s3:PutBucketTagging covers DeleteBucketTagging too;
    # s3:DeleteObjectTagging is not s3:PutObjectTagging
    cli_ok(pserver, 'revoke', b, 'bob')
    alice.put_bucket_policy(Bucket=b, Policy=json.dumps({
        'Version': '2012-10-17', 'Statement': [
            {'Effect': 'Allow', 'Principal': user_arn('bob'),
             'Action': ['s3:PutBucketTagging', 's3:GetBucketTagging'],
             'Resource': 'arn:aws:s3:::' + b},
            {'Effect': 'Allow', 'Principal': user_arn('bob'),
             'Action': ['s3:GetObjectTagging', 's3:DeleteObjectTagging'],
             'Resource': 'arn:aws:s3:::%s/*' % b}]}))
    bob.put_bucket_tagging(Bucket=b, Tagging=ts)
    assert bob.get_bucket_tagging(Bucket=b)['TagSet'] == ts['TagSet']
    bob.delete_bucket_tagging(Bucket=b)
    assert get_bucket_tags(alice, b) is None
    bob.delete_object_tagging(Bucket=b, Key='o')
    assert get_tags(bob, b, 'o') == []
    with client_error(403, 'AccessDenied'):
        bob.put_object_tagging(Bucket=b, Key='o', Tagging=ts)
    with client_error(403, 'AccessDenied'):
        bob.get_object(Bucket=b, Key='o')


# the aws CLI

def aws_env(server, tmp):
    cfg = tmp / 'config'
    cfg.write_text('[default]\nregion = %s\ns3 =\n'
                   '    addressing_style = path\n' % server.region)
    (tmp / 'home').mkdir(exist_ok=True)
    return {
        'PATH': '/usr/bin:/bin', 'HOME': str(tmp / 'home'),
        'LANG': 'C.UTF-8',
        'AWS_ACCESS_KEY_ID': server.access_key,
        'AWS_SECRET_ACCESS_KEY': server.secret_key,
        'AWS_DEFAULT_REGION': server.region,
        'AWS_CONFIG_FILE': str(cfg),
        'AWS_SHARED_CREDENTIALS_FILE': str(tmp / 'no-credentials'),
        'AWS_PAGER': '', 'AWS_EC2_METADATA_DISABLED': 'true',
    }


@pytest.mark.skipif(not os.path.exists(AWS), reason='aws CLI missing')
def test_awscli(server, tmp_path):
    env = aws_env(server, tmp_path)

    def aws(*args, ok=True):
        p = subprocess.run([AWS, '--endpoint-url', server.endpoint,
                            '--output', 'json'] + list(args), env=env,
                           capture_output=True, timeout=120,
                           stdin=subprocess.DEVNULL)
        out = p.stdout.decode('utf-8', 'replace')
        err = p.stderr.decode('utf-8', 'replace')
        assert (p.returncode == 0) == ok, 'aws %s: exit %d\n%s\n%s' % (
            ' '.join(args), p.returncode, out, err)
        return json.loads(out) if ok and out.strip() else err

    b = new_bucket_name('awscli-tag')
    aws('s3api', 'create-bucket', '--bucket', b)
    body = tmp_path / 'body'
    body.write_bytes(b'cli body')
    aws('s3api', 'put-object', '--bucket', b, '--key', 'o', '--body',
        str(body), '--tagging', 'a=1&b=x%20y')
    assert aws('s3api', 'get-object-tagging', '--bucket', b, '--key',
               'o')['TagSet'] == tagset([('a', '1'), ('b', 'x y')])
    out = aws('s3api', 'get-object', '--bucket', b, '--key', 'o',
              str(tmp_path / 'got'))
    assert out['TagCount'] == 2
    assert (tmp_path / 'got').read_bytes() == b'cli body'

    ts = json.dumps({'TagSet': tagset([('cli', 'yes'), ('e', '')])})
    aws('s3api', 'put-object-tagging', '--bucket', b, '--key', 'o',
        '--tagging', ts)
    assert aws('s3api', 'get-object-tagging', '--bucket', b, '--key', 'o',
               '--version-id', 'null')['TagSet'] == \
        tagset([('cli', 'yes'), ('e', '')])
    aws('s3api', 'delete-object-tagging', '--bucket', b, '--key', 'o')
    assert aws('s3api', 'get-object-tagging', '--bucket', b, '--key',
               'o')['TagSet'] == []

    # copy with REPLACE
    aws('s3api', 'copy-object', '--bucket', b, '--key', 'c',
        '--copy-source', '%s/o' % b, '--tagging-directive', 'REPLACE',
        '--tagging', 'r=1')
    assert aws('s3api', 'get-object-tagging', '--bucket', b, '--key',
               'c')['TagSet'] == tagset([('r', '1')])

    err = aws('s3api', 'get-bucket-tagging', '--bucket', b, ok=False)
    assert 'NoSuchTagSet' in err
    aws('s3api', 'put-bucket-tagging', '--bucket', b, '--tagging', ts)
    assert aws('s3api', 'get-bucket-tagging', '--bucket',
               b)['TagSet'] == tagset([('cli', 'yes'), ('e', '')])
    aws('s3api', 'delete-bucket-tagging', '--bucket', b)
    assert 'NoSuchTagSet' in aws('s3api', 'get-bucket-tagging', '--bucket',
                                 b, ok=False)

    # errors, and nothing changed
    aws('s3api', 'put-object-tagging', '--bucket', b, '--key', 'o',
        '--tagging', json.dumps({'TagSet': tagset([('keep', 'me')])}))
    many = json.dumps({'TagSet': tagset(too_many(11))})
    assert 'InvalidTag' in aws('s3api', 'put-object-tagging', '--bucket',
                               b, '--key', 'o', '--tagging', many,
                               ok=False)
    dup = json.dumps({'TagSet': tagset([('k', '1'), ('k', '2')])})
    assert 'InvalidTag' in aws('s3api', 'put-bucket-tagging', '--bucket',
                               b, '--tagging', dup, ok=False)
    assert 'InvalidArgument' in aws('s3api', 'put-object', '--bucket', b,
                                    '--key', 'o', '--body', str(body),
                                    '--tagging', 'a=1&a=2', ok=False)
    assert 'NoSuchKey' in aws('s3api', 'get-object-tagging', '--bucket', b,
                              '--key', 'missing', ok=False)
    assert aws('s3api', 'get-object-tagging', '--bucket', b, '--key',
               'o')['TagSet'] == tagset([('keep', 'me')])
    assert 'NoSuchTagSet' in aws('s3api', 'get-bucket-tagging', '--bucket',
                                 b, ok=False)


def test_raw_request_helpers_agree(server, tb):
    """The raw requests above are what boto3 sends: a Tagging document
    in a PUT, 200 with an empty body back."""

    r = request(server, 'PUT', '/%s/plain' % tb, query=[('tagging', '')],
                body=tagging_xml([('raw', '1')]))
    assert r.status == 200 and r.body == b'', r
    r = request(server, 'DELETE', '/%s/plain' % tb, query=[('tagging', '')])
    assert r.status == 204, r


JS = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'js')
NODE = '/usr/bin/node'


@pytest.mark.skipif(not os.path.exists(NODE), reason='node missing')
def test_js_sdk(server, tmp_path):
    if not os.path.isdir(os.path.join(JS, 'node_modules', '@aws-sdk',
                                      'client-s3')):
        pytest.fail('t/js/node_modules missing: run '
                    'scripts/install-deps.sh test', pytrace=False)
    (tmp_path / 'home').mkdir()
    env = {
        'PATH': '/usr/bin:/bin', 'HOME': str(tmp_path / 'home'),
        'S3_ENDPOINT': server.endpoint,
        'S3_ACCESS_KEY': server.access_key,
        'S3_SECRET_KEY': server.secret_key,
        'S3_REGION': server.region,
        'S3_BUCKET': new_bucket_name('js-tagging'),
        'AWS_CONFIG_FILE': '/dev/null',
        'AWS_SHARED_CREDENTIALS_FILE': '/dev/null',
        'AWS_EC2_METADATA_DISABLED': 'true',
    }
    p = subprocess.run([NODE, os.path.join(JS, 'tagging.mjs')], env=env,
                       capture_output=True, timeout=120,
                       stdin=subprocess.DEVNULL)
    out = p.stdout.decode('utf-8', 'replace')
    err = p.stderr.decode('utf-8', 'replace')
    assert p.returncode == 0 and out.strip().endswith('ok'), \
        'node tagging.mjs: exit %d\n%s\n%s' % (p.returncode, out, err)
