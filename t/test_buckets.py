"""Buckets: create, head, list, delete, names, location, addressing."""

import pytest

from conftest import boto_client, new_bucket_name
from s3raw import assert_error, assert_ok, client_error, request

LOC = ('<CreateBucketConfiguration '
       'xmlns="http://s3.amazonaws.com/doc/2006-03-01/">'
       '<LocationConstraint>%s</LocationConstraint>'
       '</CreateBucketConfiguration>')


def _exists(server, name):
    r = request(server, 'HEAD', '/' + name)
    assert r.status in (200, 404), r
    return r.status == 200


def test_create_head_list_delete(server, s3):
    name = new_bucket_name('life')
    r = s3.create_bucket(Bucket=name)
    assert r['ResponseMetadata']['HTTPStatusCode'] == 200
    assert r['ResponseMetadata']['HTTPHeaders'].get('x-amz-request-id')
    s3.head_bucket(Bucket=name)
    got = s3.list_buckets()
    names = [b['Name'] for b in got['Buckets']]
    assert name in names
    assert names == sorted(names)
    b = [b for b in got['Buckets'] if b['Name'] == name][0]
    assert b['CreationDate'].year >= 2024
    assert got['Owner'].get('ID')

    r = s3.delete_bucket(Bucket=name)
    assert r['ResponseMetadata']['HTTPStatusCode'] == 204
    with client_error(404, '404'):
        s3.head_bucket(Bucket=name)
    assert name not in [b['Name'] for b in s3.list_buckets()['Buckets']]


INVALID_NAMES = [
    'ab',                       # too short
    'a' * 64,                   # too long
    'Upper-case',               # uppercase
    'under_score',              # underscore
    '-leading',                 # leading hyphen
    'trailing-',                # trailing hyphen
    'a--b',                     # consecutive hyphens
    '192.168.5.4',              # IP address
    'with.dot',                 # only letters, digits, hyphens
    'sp%20ace',                 # space
]


@pytest.mark.parametrize('name', INVALID_NAMES)
def test_invalid_bucket_name(server, name):
    r = request(server, 'PUT', '/' + name)
    assert_error(r, 400, 'InvalidBucketName')
    r = request(server, 'GET', '/')
    assert ('<Name>%s</Name>' % name).encode() not in r.body


@pytest.mark.parametrize('name', ['abc', 'a' * 63, '0ab', 'a-b-c1', '123'])
def test_valid_bucket_name_edges(server, s3, name):
    if len(name) == 63:
        name = new_bucket_name('a' * 60)
        assert len(name) == 63
    assert_ok(request(server, 'PUT', '/' + name))
    assert _exists(server, name)
    assert_ok(request(server, 'DELETE', '/' + name), 204)
    assert not _exists(server, name)


def test_location_constraint_matching(server, s3):
    name = new_bucket_name('loc-ok')
    r = request(server, 'PUT', '/' + name,
                body=(LOC % server.region).encode())
    assert_ok(r)
    loc = s3.get_bucket_location(Bucket=name)['LocationConstraint']
    # AWS answers an empty LocationConstraint for us-east-1
    assert loc in (None, '', server.region)


def test_location_constraint_wrong_region(server):
    name = new_bucket_name('loc-bad')
    r = request(server, 'PUT', '/' + name, body=(LOC % 'eu-west-1').encode())
    # AWS: a constraint for another region than the endpoint's is
    # IllegalLocationConstraintException ("The eu-west-1 location constraint
    # is incompatible for the region specific endpoint this request was
    # sent to."), 400; InvalidLocationConstraint is for names that are no
    # region at all.
    assert_error(r, 400, 'IllegalLocationConstraintException')
    assert not _exists(server, name)


def test_create_bucket_malformed_xml(server):
    name = new_bucket_name('xml-bad')
    for body in (b'<CreateBucketConfiguration><LocationConstraint>',
                 b'not xml at all',
                 b'<?xml version="1.0"?><Other/>x'):
        r = request(server, 'PUT', '/' + name, body=body)
        assert_error(r, 400, 'MalformedXML')
        assert not _exists(server, name)


def test_create_bucket_oversized_body(server):
    name = new_bucket_name('xml-big')
    body = (b'<CreateBucketConfiguration><LocationConstraint>us-east-1'
            b'</LocationConstraint>' + b' ' * (3 << 20)
            + b'</CreateBucketConfiguration>')
    r = request(server, 'PUT', '/' + name, body=body)
    assert_error(r, 400, 'MaxMessageLengthExceeded')
    assert not _exists(server, name)


def test_create_twice(server, s3):
    name = new_bucket_name('twice')
    s3.create_bucket(Bucket=name)
    s3.put_object(Bucket=name, Key='k', Body=b'kept')
    # AWS us-east-1 answers 200 here for legacy reasons; every other region
    # and the contract of this server: 409 BucketAlreadyOwnedByYou
    assert_error(request(server, 'PUT', '/' + name), 409,
                 'BucketAlreadyOwnedByYou')
    assert s3.get_object(Bucket=name, Key='k')['Body'].read() == b'kept'


def test_delete_non_empty(server, s3):
    name = new_bucket_name('nonempty')
    s3.create_bucket(Bucket=name)
    s3.put_object(Bucket=name, Key='dir/k', Body=b'still here')
    assert_error(request(server, 'DELETE', '/' + name), 409,
                 'BucketNotEmpty')
    assert s3.get_object(Bucket=name, Key='dir/k')['Body'].read() \
        == b'still here'
    s3.delete_object(Bucket=name, Key='dir/k')
    s3.delete_bucket(Bucket=name)
    assert not _exists(server, name)


def test_missing_bucket(server, s3):
    name = new_bucket_name('missing')
    path = '/' + name
    r = request(server, 'HEAD', path)
    assert_error(r, 404, 'NoSuchBucket')
    assert_error(request(server, 'GET', path), 404, 'NoSuchBucket')
    assert_error(request(server, 'GET', path, query=[('list-type', '2')]),
                 404, 'NoSuchBucket')
    assert_error(request(server, 'GET', path, query=[('location', '')]),
                 404, 'NoSuchBucket')
    assert_error(request(server, 'GET', path, query=[('versioning', '')]),
                 404, 'NoSuchBucket')
    assert_error(request(server, 'DELETE', path), 404, 'NoSuchBucket')
    assert_error(request(server, 'GET', path + '/k'), 404, 'NoSuchBucket')
    assert_error(request(server, 'PUT', path + '/k', body=b'x'), 404,
                 'NoSuchBucket')
    assert_error(request(server, 'DELETE', path + '/k'), 404, 'NoSuchBucket')
    with client_error(404, 'NoSuchBucket'):
        s3.list_objects_v2(Bucket=name)
    assert not _exists(server, name)


def test_get_bucket_location(server, s3, bucket):
    r = assert_ok(request(server, 'GET', '/' + bucket,
                          query=[('location', '')]))
    root = r.xml()
    assert root.tag == 'LocationConstraint'
    assert (root.text or '') in ('', server.region)


def test_get_bucket_versioning(server, s3, bucket):
    r = assert_ok(request(server, 'GET', '/' + bucket,
                          query=[('versioning', '')]))
    root = r.xml()
    assert root.tag == 'VersioningConfiguration'
    assert root.find('Status') is None
    got = s3.get_bucket_versioning(Bucket=bucket)
    assert 'Status' not in got


def test_other_region(make_server):
    srv = make_server(region='eu-west-3')
    c = boto_client(srv)
    name = new_bucket_name('paris')
    c.create_bucket(Bucket=name, CreateBucketConfiguration={
        'LocationConstraint': 'eu-west-3'})
    assert c.get_bucket_location(Bucket=name)['LocationConstraint'] \
        == 'eu-west-3'
    c.put_object(Bucket=name, Key='k', Body=b'v')
    assert c.get_object(Bucket=name, Key='k')['Body'].read() == b'v'

    bad = new_bucket_name('paris-bad')
    r = request(srv, 'PUT', '/' + bad, body=(LOC % 'us-west-2').encode())
    assert_error(r, 400, 'IllegalLocationConstraintException')

    # a request signed for another region than the server's
    r = request(srv, 'GET', '/' + name, region='us-east-1')
    assert_error(r, 400, 'AuthorizationHeaderMalformed')


def test_virtual_hosted_style(server, s3):
    name = new_bucket_name('vhost')
    host = '%s.%s:%d' % (name, server.domain, server.port)
    assert_ok(request(server, 'PUT', '/', host=host))
    assert _exists(server, name)

    assert_ok(request(server, 'PUT', '/dir/key%20one', host=host,
                      body=b'virtual'))
    assert_ok(request(server, 'PUT', '/dir/key%20two', host=host,
                      body=b'virtual two'))
    assert s3.get_object(Bucket=name, Key='dir/key two')['Body'].read() \
        == b'virtual two'

    r = assert_ok(request(server, 'GET', '/dir/key%20two', host=host))
    assert r.body == b'virtual two'
    r = assert_ok(request(server, 'HEAD', '/dir/key%20two', host=host))
    assert r.header('Content-Length') == str(len(b'virtual two'))

    r = assert_ok(request(server, 'GET', '/', host=host,
                          query=[('list-type', '2')]))
    keys = [k.text for k in r.xml().iter('Key')]
    assert 'dir/key two' in keys
    assert r.xml().find('Name').text == name

    # no port in Host
    host2 = '%s.%s' % (name, server.domain)
    r = assert_ok(request(server, 'GET', '/dir/key%20two', host=host2))
    assert r.body == b'virtual two'

    # the base domain alone is the service: ListBuckets
    r = assert_ok(request(server, 'GET', '/',
                          host='%s:%d' % (server.domain, server.port)))
    assert ('<Name>%s</Name>' % name).encode() in r.body

    # a missing bucket through its host name
    ghost = '%s.%s:%d' % (new_bucket_name('ghost'), server.domain,
                          server.port)
    assert_error(request(server, 'GET', '/k', host=ghost), 404,
                 'NoSuchBucket')

    for key in ('/dir/key%20one', '/dir/key%20two'):
        assert_ok(request(server, 'DELETE', key, host=host), 204)
    assert_ok(request(server, 'DELETE', '/', host=host), 204)
    assert not _exists(server, name)
