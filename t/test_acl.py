"""Canned bucket ACLs (private, public-read, public-read-write,
authenticated-read) on CreateBucket and PutBucketAcl, anonymous access
to public buckets, GetBucketAcl describing owner, grants and ACL, and
object ACLs that are the bucket's (AccessControlListNotSupported for
anything else)."""

import os
import xml.etree.ElementTree as ET

import boto3
import botocore
import botocore.config
import pytest

import s3server
from conftest import boto_client, new_bucket_name
from s3admin import admin_kwargs, cli_ok, fresh_requests, new_user_key, \
    write_key_file
from s3raw import (KeepAlive, assert_error, assert_ok, client_error,
                   request, strip_ns)

XSI = '{http://www.w3.org/2001/XMLSchema-instance}type'
ALL_USERS = 'http://acs.amazonaws.com/groups/global/AllUsers'
AUTH_USERS = 'http://acs.amazonaws.com/groups/global/AuthenticatedUsers'


@pytest.fixture(scope='module')
def aserver(tmp_path_factory):
    d = tmp_path_factory.mktemp('keyfile')
    kf = write_key_file(str(d / 's3.key'), [os.urandom(32)])
    srv = s3server.S3Server(name='acl', **admin_kwargs(kf))
    srv.start()
    yield srv
    srv.teardown()


class User:
    def __init__(self, server, name):
        self.name = name
        self.ak, self.sk = new_user_key(server, name)
        self.s3 = boto_client(server, self.ak, self.sk)


@pytest.fixture(scope='module')
def alice(aserver):
    return User(aserver, 'alice')


@pytest.fixture(scope='module')
def bob(aserver):
    return User(aserver, 'bob')


def anonymous_client(server):
    return boto3.session.Session().client(
        's3', endpoint_url=server.endpoint, region_name=server.region,
        config=botocore.config.Config(
            signature_version=botocore.UNSIGNED,
            s3={'addressing_style': 'path'},
            retries={'total_max_attempts': 1, 'mode': 'standard'}))


def anon(server, method, path, body=b'', query=()):
    return request(server, method, path, query=query, body=body, sign=False)


def acl_grants(body):
    root = strip_ns(ET.fromstring(body))
    assert root.tag == 'AccessControlPolicy'
    owner = root.find('Owner/ID').text
    out = []
    for g in root.findall('AccessControlList/Grant'):
        grantee = g.find('Grantee')
        kind = grantee.get(XSI)
        who = (grantee.find('ID').text if kind == 'CanonicalUser'
               else grantee.find('URI').text)
        out.append((kind, who, g.find('Permission').text))
    return owner, out


def make_bucket(user, acl=None, obj=b'public body'):
    name = new_bucket_name(acl or 'private')
    kw = {'ACL': acl} if acl else {}
    user.s3.create_bucket(Bucket=name, **kw)
    user.s3.put_object(Bucket=name, Key='obj', Body=obj)
    return name


def test_public_read(aserver, alice, bob):
    b = make_bucket(alice, 'public-read')
    r = assert_ok(anon(aserver, 'GET', '/%s/obj' % b))
    assert r.body == b'public body'
    assert_ok(anon(aserver, 'HEAD', '/%s/obj' % b))
    assert_ok(anon(aserver, 'HEAD', '/' + b))
    assert b'<Key>obj</Key>' in assert_ok(
        anon(aserver, 'GET', '/' + b, query=[('list-type', '2')])).body

    # reading is all: no writes, no deletes, no ACL, no bucket list
    assert_error(anon(aserver, 'PUT', '/%s/new' % b, b'x'), 403,
                 'AccessDenied')
    assert_error(anon(aserver, 'DELETE', '/%s/obj' % b), 403, 'AccessDenied')
    assert_error(anon(aserver, 'GET', '/' + b, query=[('acl', '')]), 403,
                 'AccessDenied')
    assert_error(anon(aserver, 'GET', '/'), 403, 'AccessDenied')
    assert_error(anon(aserver, 'DELETE', '/' + b), 403, 'AccessDenied')

    # every user reads it too, none writes it
    assert bob.s3.get_object(Bucket=b, Key='obj')['Body'].read() \
        == b'public body'
    with client_error(403, 'AccessDenied'):
        bob.s3.put_object(Bucket=b, Key='bob', Body=b'no')
    # but it is not in bob's list: not his, no grant
    assert b not in [x['Name'] for x in bob.s3.list_buckets()['Buckets']]

    # boto3 without credentials, as a browser of a public bucket would
    a3 = anonymous_client(aserver)
    assert a3.get_object(Bucket=b, Key='obj')['Body'].read() == b'public body'
    assert [o['Key'] for o in a3.list_objects_v2(Bucket=b)['Contents']] \
        == ['obj']


def test_public_read_write(aserver, alice):
    b = make_bucket(alice, 'public-read-write')
    assert_ok(anon(aserver, 'PUT', '/%s/anon' % b, b'from nobody'))
    assert alice.s3.get_object(Bucket=b, Key='anon')['Body'].read() \
        == b'from nobody'
    assert_ok(anon(aserver, 'DELETE', '/%s/anon' % b), 204)
    # the bucket and its ACL stay the owner's
    assert_error(anon(aserver, 'DELETE', '/' + b), 403, 'AccessDenied')
    assert_error(anon(aserver, 'PUT', '/' + b, query=[('acl', '')]), 403,
                 'AccessDenied')


def test_authenticated_read(aserver, alice, bob):
    b = make_bucket(alice, 'authenticated-read')
    assert_error(anon(aserver, 'GET', '/%s/obj' % b), 403, 'AccessDenied')
    assert bob.s3.get_object(Bucket=b, Key='obj')['Body'].read() \
        == b'public body'
    with client_error(403, 'AccessDenied'):
        bob.s3.put_object(Bucket=b, Key='bob', Body=b'no')


def test_private_and_missing(aserver, alice):
    b = make_bucket(alice)
    with KeepAlive(aserver) as c:
        assert_error(c.request('GET', '/%s/obj' % b, sign=False), 403,
                     'AccessDenied')
        assert_error(c.request('GET', '/' + new_bucket_name('none'),
                               sign=False), 403, 'AccessDenied')
        assert_error(c.request('GET', '/%s/obj' % b, sign=False,
                               query=[('tagging', '')]), 403, 'AccessDenied')
        # the same connection serves a signed request after each
        assert_ok(c.request('GET', '/%s/obj' % b))


def test_put_bucket_acl_reaches_every_worker(aserver, alice):
    b = make_bucket(alice)
    path = '/%s/obj' % b
    for r in fresh_requests(aserver, 'GET', path, None, None):
        assert_error(r, 403, 'AccessDenied')
    alice.s3.put_bucket_acl(Bucket=b, ACL='public-read')
    for r in fresh_requests(aserver, 'GET', path, None, None):
        assert_ok(r)
    alice.s3.put_bucket_acl(Bucket=b, ACL='private')
    for r in fresh_requests(aserver, 'GET', path, None, None):
        assert_error(r, 403, 'AccessDenied')


def test_get_bucket_acl_describes_everything(aserver, alice, bob):
    b = make_bucket(alice)
    r = request(aserver, 'GET', '/' + b, query=[('acl', '')],
                access_key=alice.ak, secret=alice.sk)
    owner, grants = acl_grants(assert_ok(r).body)
    assert owner == 'alice'
    assert grants == [('CanonicalUser', 'alice', 'FULL_CONTROL')]

    cli_ok(aserver, 'grant', b, 'bob', 'write')
    alice.s3.put_bucket_acl(Bucket=b, ACL='public-read')
    got = alice.s3.get_bucket_acl(Bucket=b)
    assert got['Owner']['ID'] == 'alice'
    assert [(g['Grantee'].get('ID') or g['Grantee'].get('URI'),
             g['Permission']) for g in got['Grants']] == [
        ('alice', 'FULL_CONTROL'), ('bob', 'READ'), ('bob', 'WRITE'),
        (ALL_USERS, 'READ')]

    alice.s3.put_bucket_acl(Bucket=b, ACL='authenticated-read')
    cli_ok(aserver, 'grant', b, 'bob', 'read')
    owner, grants = acl_grants(request(
        aserver, 'GET', '/' + b, query=[('acl', '')],
        access_key=alice.ak, secret=alice.sk).body)
    assert grants == [('CanonicalUser', 'alice', 'FULL_CONTROL'),
                      ('CanonicalUser', 'bob', 'READ'),
                      ('Group', AUTH_USERS, 'READ')]

    # the ACL is the owner's to read and change; the operator may too
    with client_error(403, 'AccessDenied'):
        bob.s3.get_bucket_acl(Bucket=b)
    with client_error(403, 'AccessDenied'):
        bob.s3.put_bucket_acl(Bucket=b, ACL='public-read-write')
    root = boto_client(aserver)
    root.put_bucket_acl(Bucket=b, ACL='private')
    assert root.get_bucket_acl(Bucket=b)['Owner']['ID'] == 'alice'
    with client_error(404, 'NoSuchBucket'):
        root.get_bucket_acl(Bucket=new_bucket_name('none'))


def test_operator_bucket_acl(aserver):
    root = boto_client(aserver)
    b = new_bucket_name('opacl')
    root.create_bucket(Bucket=b, ACL='public-read')
    got = root.get_bucket_acl(Bucket=b)
    assert got['Owner']['ID'] == aserver.access_key
    assert (ALL_USERS, 'READ') in [(g['Grantee'].get('URI'),
                                    g['Permission']) for g in got['Grants']]


def test_put_bucket_acl_refusals(aserver, alice):
    b = make_bucket(alice)
    with KeepAlive(aserver) as c:
        for headers, body, status, code in [
            ({'x-amz-grant-read': 'uri="%s"' % ALL_USERS}, b'', 501,
             'NotImplemented'),
            ({}, b'<AccessControlPolicy/>', 400, 'MalformedXML'),
            ({}, b'<AccessControlPolicy><AccessControlList><Grant>'
                 b'<Grantee><EmailAddress>a@b.c</EmailAddress></Grantee>'
                 b'<Permission>READ</Permission></Grant>'
                 b'</AccessControlList></AccessControlPolicy>', 501,
             'NotImplemented'),
            ({}, b'', 400, 'MissingSecurityHeader'),
            ({'x-amz-acl': 'aws-exec-read'}, b'', 501, 'NotImplemented'),
            ({'x-amz-acl': 'bogus'}, b'', 400, 'InvalidArgument'),
        ]:
            r = c.request('PUT', '/' + b, query=[('acl', '')],
                          headers=headers, body=body)
            assert_error(r, status, code)
            assert_ok(c.request('HEAD', '/' + b))
    acl = alice.s3.get_bucket_acl(Bucket=b)
    assert len(acl['Grants']) == 1


def test_object_acls_are_the_buckets(aserver, alice, bob):
    b = make_bucket(alice, 'public-read')
    got = alice.s3.get_object_acl(Bucket=b, Key='obj')
    assert got['Owner']['ID'] == 'alice'
    assert [(g['Grantee'].get('ID') or g['Grantee'].get('URI'),
             g['Permission']) for g in got['Grants']] == [
        ('alice', 'FULL_CONTROL'), (ALL_USERS, 'READ')]
    # readers of the bucket read it
    bob.s3.get_object_acl(Bucket=b, Key='obj')
    with client_error(404, 'NoSuchKey'):
        alice.s3.get_object_acl(Bucket=b, Key='missing')

    # what changes nothing is accepted; anything else is refused
    alice.s3.put_object_acl(Bucket=b, Key='obj', ACL='private')
    alice.s3.put_object_acl(Bucket=b, Key='obj',
                            ACL='bucket-owner-full-control')
    with client_error(400, 'AccessControlListNotSupported'):
        alice.s3.put_object_acl(Bucket=b, Key='obj', ACL='public-read')
    with client_error(400, 'AccessControlListNotSupported'):
        alice.s3.put_object_acl(Bucket=b, Key='obj',
                                GrantRead='uri="%s"' % ALL_USERS)
    with client_error(404, 'NoSuchKey'):
        alice.s3.put_object_acl(Bucket=b, Key='missing', ACL='private')
    with client_error(403, 'AccessDenied'):
        bob.s3.put_object_acl(Bucket=b, Key='obj', ACL='private')
    with KeepAlive(aserver) as c:
        r = c.request('PUT', '/%s/obj' % b, query=[('acl', '')],
                      body=b'<AccessControlPolicy/>')
        assert_error(r, 400, 'MalformedXML')
        assert_ok(c.request('HEAD', '/%s/obj' % b))

    # a document that gives nobody more than the bucket does: accepted
    # (s3cmd puts the source's ACL on a copy); anything else refused
    doc = request(aserver, 'GET', '/%s/obj' % b, query=[('acl', '')],
                  access_key=alice.ak, secret=alice.sk).body
    assert_ok(request(aserver, 'PUT', '/%s/obj' % b, query=[('acl', '')],
                      body=doc, access_key=alice.ak, secret=alice.sk))
    more = doc.replace(b'</AccessControlList>', (
        b'<Grant><Grantee xmlns:xsi="http://www.w3.org/2001/'
        b'XMLSchema-instance" xsi:type="Group"><URI>%s</URI></Grantee>'
        b'<Permission>WRITE</Permission></Grant></AccessControlList>')
        % ALL_USERS.encode())
    r = request(aserver, 'PUT', '/%s/obj' % b, query=[('acl', '')],
                body=more, access_key=alice.ak, secret=alice.sk)
    assert_error(r, 400, 'AccessControlListNotSupported')

    # PutObject with an ACL: the same rule, nothing stored when refused
    with client_error(400, 'AccessControlListNotSupported'):
        alice.s3.put_object(Bucket=b, Key='obj', Body=b'changed',
                            ACL='public-read-write')
    alice.s3.put_object(Bucket=b, Key='o2', Body=b'ok', ACL='private')
    assert alice.s3.get_object(Bucket=b, Key='obj')['Body'].read() \
        == b'public body'


def test_put_bucket_acl_document(aserver, alice, bob):
    """An AccessControlPolicy document that says a canned ACL sets it; one
    that changes the users' grants is 501 (they are s3-admin's)."""

    b = make_bucket(alice)
    cli_ok(aserver, 'grant', b, 'bob', 'read')

    def get():
        return request(aserver, 'GET', '/' + b, query=[('acl', '')],
                       access_key=alice.ak, secret=alice.sk).body

    def put(doc):
        return request(aserver, 'PUT', '/' + b, query=[('acl', '')],
                       body=doc, access_key=alice.ak, secret=alice.sk)

    group = (b'<Grant><Grantee xmlns:xsi="http://www.w3.org/2001/'
             b'XMLSchema-instance" xsi:type="Group"><URI>%s</URI>'
             b'</Grantee><Permission>READ</Permission></Grant>'
             % ALL_USERS.encode())
    doc = get()
    assert_ok(put(doc.replace(b'</AccessControlList>',
                              group + b'</AccessControlList>')))
    assert_ok(anon(aserver, 'GET', '/%s/obj' % b))
    owner, grants = acl_grants(get())
    assert ('Group', ALL_USERS, 'READ') in grants

    # back to private with the document GetBucketAcl gave first
    assert_ok(put(doc))
    assert_error(anon(aserver, 'GET', '/%s/obj' % b), 403, 'AccessDenied')

    # a user's grant dropped, or added, by a document: not here
    without_bob = doc.replace(b'<ID>bob</ID>', b'<ID>carol</ID>')
    assert_error(put(without_bob), 501, 'NotImplemented')
    assert ('CanonicalUser', 'bob', 'READ') in acl_grants(get())[1]

    # boto3's put_bucket_acl with a policy document
    acl = alice.s3.get_bucket_acl(Bucket=b)
    acl['Grants'].append({'Grantee': {'Type': 'Group', 'URI': ALL_USERS},
                          'Permission': 'READ'})
    alice.s3.put_bucket_acl(Bucket=b, AccessControlPolicy={
        'Grants': acl['Grants'], 'Owner': acl['Owner']})
    assert_ok(anon(aserver, 'GET', '/%s/obj' % b))
