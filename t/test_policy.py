"""Bucket policies: Put/Get/DeleteBucketPolicy, a table of policies and
requests (each element, condition and deny-wins) with the expected allow
or AccessDenied, MalformedPolicy for each malformed or unsupported
element, DeleteObjects decided key by key, changes on every worker."""

import json
import os
import xml.etree.ElementTree as ET

import pytest

import s3server
import sigv4
from conftest import boto_client, new_bucket_name
from s3admin import (admin_kwargs, cli_ok, fresh_requests, new_user_key,
                     write_key_file)
from s3raw import (KeepAlive, assert_error, assert_ok, client_error,
                   request, strip_ns, url_request)


@pytest.fixture(scope='module')
def pserver(tmp_path_factory):
    d = tmp_path_factory.mktemp('keyfile')
    kf = write_key_file(str(d / 's3.key'), [os.urandom(32)])
    srv = s3server.S3Server(name='policy', **admin_kwargs(kf))
    srv.start()
    yield srv
    srv.teardown()


class User:
    def __init__(self, server, name):
        self.name = name
        self.ak, self.sk = new_user_key(server, name)
        self.s3 = boto_client(server, self.ak, self.sk)


@pytest.fixture(scope='module')
def users(pserver):
    return {n: User(pserver, n) for n in ('alice', 'bob', 'carol')}


@pytest.fixture(scope='module')
def pbucket(pserver, users):
    """alice's bucket with pub/a, priv/b, home/bob/c"""

    name = new_bucket_name('policy')
    s3 = users['alice'].s3
    s3.create_bucket(Bucket=name)
    for k in ('pub/a', 'priv/b', 'home/bob/c'):
        s3.put_object(Bucket=name, Key=k, Body=k.encode())
    return name


def policy(bucket, *statements):
    out = []
    for st in statements:
        st = dict(st)
        res = st.get('Resource', '')
        if isinstance(res, str):
            res = [res]
        st['Resource'] = ['arn:aws:s3:::' + r.replace('B', bucket, 1)
                          for r in res]
        out.append(st)
    return json.dumps({'Version': '2012-10-17', 'Statement': out})


def allow(principal, action, resource, **cond):
    st = {'Effect': 'Allow', 'Principal': principal, 'Action': action,
          'Resource': resource}
    if cond:
        st['Condition'] = cond
    return st


def deny(principal, action, resource, **cond):
    st = allow(principal, action, resource, **cond)
    st['Effect'] = 'Deny'
    return st


def user(name):
    return {'AWS': 'arn:aws:iam::000000000000:user/%s' % name}


def do(server, users, who, method, path, query=()):
    if who == 'anon':
        return request(server, method, path, query=query, sign=False,
                       body=b'x' if method == 'PUT' else b'')
    u = users[who]
    return request(server, method, path, query=query, access_key=u.ak,
                   secret=u.sk, body=b'x' if method == 'PUT' else b'')


# (statements, [(who, method, key or None, query, allowed)]); B = bucket

TABLE = [
    ('principal *, an object prefix',
     [allow('*', 's3:GetObject', 'B/pub/*')],
     [('anon', 'GET', 'pub/a', (), True),
      ('anon', 'GET', 'priv/b', (), False),
      ('anon', 'PUT', 'pub/a', (), False),
      ('anon', 'GET', None, (), False),
      ('carol', 'GET', 'pub/a', (), True)]),
    ('principal {"AWS": "*"} and a bucket resource',
     [allow({'AWS': '*'}, 's3:ListBucket', 'B')],
     [('anon', 'GET', None, (), True),
      ('anon', 'GET', 'pub/a', (), False)]),
    ('a user principal, s3:* on bucket and objects',
     [allow(user('bob'), 's3:*', ['B', 'B/*'])],
     [('bob', 'PUT', 'new', (), True),
      ('bob', 'GET', None, (), True),
      ('bob', 'DELETE', 'new', (), True),
      ('carol', 'GET', 'pub/a', (), False),
      ('anon', 'GET', 'pub/a', (), False)]),
    ('CanonicalUser, a list of principals',
     [allow({'CanonicalUser': ['carol', 'bob']}, 's3:GetObject', 'B/*')],
     [('carol', 'GET', 'priv/b', (), True),
      ('bob', 'GET', 'priv/b', (), True),
      ('anon', 'GET', 'priv/b', (), False)]),
    ('action wildcards, any case',
     [allow('*', ['S3:GET*', 's3:List?ucket'], ['B', 'B/*'])],
     [('anon', 'GET', 'priv/b', (), True),
      ('anon', 'HEAD', 'priv/b', (), True),
      ('anon', 'GET', None, (), True),
      ('anon', 'PUT', 'x', (), False)]),
    ('resource wildcards: ? and * inside',
     [allow('*', 's3:GetObject', 'B/p?b/*'),
      allow('*', 's3:GetObject', 'B/home/*/c')],
     [('anon', 'GET', 'pub/a', (), True),
      ('anon', 'GET', 'home/bob/c', (), True),
      ('anon', 'GET', 'priv/b', (), False)]),
    ('deny wins over allow',
     [allow('*', 's3:GetObject', 'B/*'),
      deny('*', 's3:GetObject', 'B/priv/*')],
     [('anon', 'GET', 'pub/a', (), True),
      ('anon', 'GET', 'priv/b', (), False),
      ('bob', 'GET', 'priv/b', (), False)]),
    ('deny wins over the owner and grants',
     [deny(user('alice'), 's3:DeleteObject', 'B/*'),
      deny(user('bob'), 's3:PutObject', 'B/*')],
     [('alice', 'DELETE', 'nothing', (), False),
      ('alice', 'GET', 'pub/a', (), True),
      ('bob', 'PUT', 'x', (), False)]),
    ('StringEquals s3:prefix',
     [allow('*', 's3:ListBucket', 'B', StringEquals={'s3:prefix': 'pub/'})],
     [('anon', 'GET', None, [('prefix', 'pub/')], True),
      ('anon', 'GET', None, [('prefix', 'priv/')], False),
      ('anon', 'GET', None, (), False)]),
    ('StringLike s3:prefix, StringNotEquals s3:delimiter',
     [allow('*', 's3:ListBucket', 'B',
            StringLike={'s3:prefix': 'home/*'},
            StringNotEquals={'s3:delimiter': '|'})],
     [('anon', 'GET', None, [('prefix', 'home/bob/')], True),
      ('anon', 'GET', None, [('prefix', 'home/'), ('delimiter', '/')],
       True),
      ('anon', 'GET', None, [('prefix', 'home/'), ('delimiter', '|')],
       False),
      ('anon', 'GET', None, [('prefix', 'pub/')], False)]),
    ('NumericLessThanEquals s3:max-keys',
     [allow('*', 's3:ListBucket', 'B',
            NumericLessThanEquals={'s3:max-keys': 10})],
     [('anon', 'GET', None, [('max-keys', '5')], True),
      ('anon', 'GET', None, [('max-keys', '50')], False),
      ('anon', 'GET', None, (), False)]),
    ('IpAddress aws:SourceIp, a list with this client',
     [allow('*', 's3:GetObject', 'B/*',
            IpAddress={'aws:SourceIp': ['10.0.0.0/8', '127.0.0.0/8']})],
     [('anon', 'GET', 'pub/a', (), True)]),
    ('IpAddress aws:SourceIp without this client',
     [allow('*', 's3:GetObject', 'B/*',
            IpAddress={'aws:SourceIp': '10.0.0.0/8'})],
     [('anon', 'GET', 'pub/a', (), False)]),
    ('NotIpAddress deny: everyone elsewhere',
     [allow('*', 's3:GetObject', 'B/*'),
      deny('*', 's3:GetObject', 'B/*',
           NotIpAddress={'aws:SourceIp': '127.0.0.1/32'})],
     [('anon', 'GET', 'pub/a', (), True)]),
    ('Bool aws:SecureTransport: no plain HTTP',
     [allow('*', 's3:GetObject', 'B/*'),
      deny('*', 's3:*', 'B/*', Bool={'aws:SecureTransport': 'false'})],
     [('anon', 'GET', 'pub/a', (), False),
      ('alice', 'GET', 'pub/a', (), False)]),
    ('StringEquals s3:x-amz-acl on PutObject',
     [allow(user('carol'), 's3:PutObject', 'B/*',
            StringEquals={'s3:x-amz-acl': 'bucket-owner-full-control'})],
     [('carol', 'PUT', 'x', (), False)]),
]


@pytest.mark.parametrize('name,statements,checks', TABLE,
                         ids=[t[0] for t in TABLE])
def test_policy_table(pserver, users, pbucket, name, statements, checks):
    alice = users['alice'].s3
    alice.put_bucket_policy(Bucket=pbucket,
                            Policy=policy(pbucket, *statements))
    try:
        for who, method, key, query, allowed in checks:
            path = '/' + pbucket + ('/' + key if key else '')
            r = do(pserver, users, who, method, path, query)
            if allowed:
                assert r.status in (200, 204), (who, method, key, query, r)
            else:
                assert_error(r, 403, 'AccessDenied')
    finally:
        alice.delete_bucket_policy(Bucket=pbucket)


def test_deny_wins_over_a_grant(pserver, users, pbucket):
    bob = users['bob']
    cli_ok(pserver, 'grant', pbucket, 'bob', 'write')
    users['alice'].s3.put_bucket_policy(Bucket=pbucket, Policy=policy(
        pbucket, deny(user('bob'), 's3:PutObject', 'B/priv/*')))
    try:
        bob.s3.put_object(Bucket=pbucket, Key='pub/bob', Body=b'ok')
        with client_error(403, 'AccessDenied'):
            bob.s3.put_object(Bucket=pbucket, Key='priv/bob', Body=b'no')
        assert bob.s3.get_object(Bucket=pbucket, Key='priv/b')['Body'] \
            .read() == b'priv/b'
    finally:
        users['alice'].s3.delete_bucket_policy(Bucket=pbucket)
        cli_ok(pserver, 'revoke', pbucket, 'bob')


def test_x_amz_acl_condition_allows(pserver, users, pbucket):
    carol = users['carol']
    users['alice'].s3.put_bucket_policy(Bucket=pbucket, Policy=policy(
        pbucket, allow(user('carol'), 's3:PutObject', 'B/*', StringEquals={
            's3:x-amz-acl': 'bucket-owner-full-control'})))
    try:
        carol.s3.put_object(Bucket=pbucket, Key='from-carol', Body=b'c',
                            ACL='bucket-owner-full-control')
        with client_error(403, 'AccessDenied'):
            carol.s3.put_object(Bucket=pbucket, Key='from-carol', Body=b'c')
    finally:
        users['alice'].s3.delete_bucket_policy(Bucket=pbucket)


def test_operator_is_never_denied(pserver, users, pbucket):
    users['alice'].s3.put_bucket_policy(Bucket=pbucket, Policy=policy(
        pbucket, deny('*', 's3:*', ['B', 'B/*'])))
    root = boto_client(pserver)
    try:
        with client_error(403, 'AccessDenied'):
            users['alice'].s3.get_object(Bucket=pbucket, Key='pub/a')
        with client_error(403, 'AccessDenied'):
            users['alice'].s3.delete_bucket_policy(Bucket=pbucket)
        assert root.get_object(Bucket=pbucket, Key='pub/a')['Body'].read() \
            == b'pub/a'
    finally:
        root.delete_bucket_policy(Bucket=pbucket)
    users['alice'].s3.get_object(Bucket=pbucket, Key='pub/a')


def test_get_put_delete_policy(pserver, users, pbucket):
    alice, bob = users['alice'].s3, users['bob'].s3
    with client_error(404, 'NoSuchBucketPolicy'):
        alice.get_bucket_policy(Bucket=pbucket)
    text = policy(pbucket, allow('*', 's3:GetObject', 'B/pub/*'))
    alice.put_bucket_policy(Bucket=pbucket, Policy=text)
    assert alice.get_bucket_policy(Bucket=pbucket)['Policy'] == text
    r = request(pserver, 'GET', '/' + pbucket, query=[('policy', '')])
    assert_ok(r)
    assert r.header('Content-Type') == 'application/json'
    assert json.loads(r.body) == json.loads(text)

    def listed():
        return [b['policy'] for b in cli_ok(pserver, 'bucket', 'list')
                ['buckets'] if b['name'] == pbucket][0]

    assert listed() is True

    # the owner's (and the operator's) alone, whatever the grants
    cli_ok(pserver, 'grant', pbucket, 'bob', 'write')
    try:
        with client_error(403, 'AccessDenied'):
            bob.get_bucket_policy(Bucket=pbucket)
        with client_error(403, 'AccessDenied'):
            bob.put_bucket_policy(Bucket=pbucket, Policy=text)
        with client_error(403, 'AccessDenied'):
            bob.delete_bucket_policy(Bucket=pbucket)
    finally:
        cli_ok(pserver, 'revoke', pbucket, 'bob')

    r = request(pserver, 'DELETE', '/' + pbucket, query=[('policy', '')])
    assert_ok(r, 204)
    assert_ok(request(pserver, 'DELETE', '/' + pbucket,
                      query=[('policy', '')]), 204)
    with client_error(404, 'NoSuchBucketPolicy'):
        alice.get_bucket_policy(Bucket=pbucket)
    assert listed() is False
    with client_error(404, 'NoSuchBucket'):
        boto_client(pserver).get_bucket_policy(
            Bucket=new_bucket_name('none'))


MALFORMED = [
    (b'not json', "valid JSON"),
    (b'[]', "valid JSON"),
    (b'', "valid JSON"),
    (b'{"Version": "2012-10-17"}', 'Statement'),
    (b'{"Version": "2001-01-01", "Statement": []}', 'version'),
    (b'{"Statement": [{"Effect": "Maybe"}]}', 'Invalid effect: Maybe'),
    ('{"Statement": [{"Effect": "Allow", "Principal": "*", '
     '"Resource": "arn:aws:s3:::B/*"}]}', 'Action'),
    ('{"Statement": [{"Effect": "Allow", "NotPrincipal": "*", '
     '"Action": "s3:GetObject", "Resource": "arn:aws:s3:::B/*"}]}',
     'NotPrincipal is not supported'),
    ('{"Statement": [{"Effect": "Allow", "Principal": {"AWS": '
     '"arn:aws:iam::1:role/admin"}, "Action": "s3:GetObject", '
     '"Resource": "arn:aws:s3:::B/*"}]}', 'Invalid principal'),
    ('{"Statement": [{"Effect": "Allow", "Principal": "*", '
     '"Action": "iam:PassRole", "Resource": "arn:aws:s3:::B/*"}]}',
     'invalid action'),
    ('{"Statement": [{"Effect": "Allow", "Principal": "*", '
     '"Action": "s3:GetObject", "Resource": "arn:aws:s3:::other/*"}]}',
     'invalid resource'),
    ('{"Statement": [{"Effect": "Allow", "Principal": "*", '
     '"Action": "s3:GetObject", "Resource": "arn:aws:s3:::B/*", '
     '"Condition": {"DateLessThan": {"aws:CurrentTime": "2030"}}}]}',
     'Invalid Condition type : DateLessThan'),
    ('{"Statement": [{"Effect": "Allow", "Principal": "*", '
     '"Action": "s3:GetObject", "Resource": "arn:aws:s3:::B/*", '
     '"Condition": {"StringEquals": {"s3:ExistingObjectTag/team": '
     '"x"}}}]}', 's3:ExistingObjectTag/team is not supported'),
    ('{"Statement": [{"Effect": "Allow", "Principal": "*", '
     '"Action": "s3:GetObject", "Resource": "arn:aws:s3:::B/*", '
     '"Condition": {"IpAddress": {"aws:SourceIp": "10.0.0.0/40"}}}]}',
     'Invalid IP address'),
    ('{"Statement": [{"Effect": "Allow", "Principal": "*", '
     '"Action": "s3:GetObject", "Resource": "arn:aws:s3:::B/*", '
     '"Foo": 1}]}', 'Unknown field Foo'),
    (b'{"Statement": [], "x": "' + b'y' * 21000 + b'"}', '20 KB'),
]


def test_malformed_policies(pserver, users, pbucket):
    """Each refused with MalformedPolicy naming what is wrong, nothing
    stored, and the connection goes on."""

    alice = users['alice']
    good = policy(pbucket, allow('*', 's3:GetObject', 'B/pub/*'))
    alice.s3.put_bucket_policy(Bucket=pbucket, Policy=good)
    try:
        for body, want in MALFORMED:
            if isinstance(body, str):
                body = body.replace('arn:aws:s3:::B', 'arn:aws:s3:::'
                                    + pbucket).encode()
            r = request(pserver, 'PUT', '/' + pbucket,
                        query=[('policy', '')], body=body,
                        access_key=alice.ak, secret=alice.sk)
            f = assert_error(r, 400, 'MalformedPolicy')
            assert want in f['Message'], (body[:80], f['Message'])
        assert alice.s3.get_bucket_policy(Bucket=pbucket)['Policy'] == good
        with KeepAlive(pserver) as c:
            r = c.request('PUT', '/' + pbucket, query=[('policy', '')],
                          body=b'{"Statement": 1}')
            assert_error(r, 400, 'MalformedPolicy')
            assert_ok(c.request('GET', '/' + pbucket,
                                query=[('policy', '')]))
    finally:
        alice.s3.delete_bucket_policy(Bucket=pbucket)


def test_delete_objects_key_by_key(pserver, users, pbucket):
    alice, bob = users['alice'], users['bob']
    for k in ('keep/x', 'tmp/y'):
        alice.s3.put_object(Bucket=pbucket, Key=k, Body=b'k')
    cli_ok(pserver, 'grant', pbucket, 'bob', 'write')
    alice.s3.put_bucket_policy(Bucket=pbucket, Policy=policy(
        pbucket, deny(user('bob'), 's3:DeleteObject', 'B/keep/*')))
    try:
        got = bob.s3.delete_objects(Bucket=pbucket, Delete={'Objects': [
            {'Key': 'keep/x'}, {'Key': 'tmp/y'}]})
        assert [d['Key'] for d in got.get('Deleted', [])] == ['tmp/y']
        assert [(e['Key'], e['Code']) for e in got['Errors']] == [
            ('keep/x', 'AccessDenied')]
        alice.s3.head_object(Bucket=pbucket, Key='keep/x')

        # a user with no grant at all, let in by the policy key by key
        alice.s3.put_bucket_policy(Bucket=pbucket, Policy=policy(
            pbucket, allow(user('carol'), 's3:DeleteObject', 'B/keep/*')))
        got = users['carol'].s3.delete_objects(
            Bucket=pbucket, Delete={'Objects': [{'Key': 'keep/x'},
                                                {'Key': 'pub/a'}]})
        assert [d['Key'] for d in got.get('Deleted', [])] == ['keep/x']
        assert [(e['Key'], e['Code']) for e in got['Errors']] == [
            ('pub/a', 'AccessDenied')]
    finally:
        alice.s3.delete_bucket_policy(Bucket=pbucket)
        cli_ok(pserver, 'revoke', pbucket, 'bob')


def test_policy_changes_reach_every_worker(pserver, users, pbucket):
    alice = users['alice'].s3
    path = '/%s/pub/a' % pbucket
    for r in fresh_requests(pserver, 'GET', path, None, None):
        assert_error(r, 403, 'AccessDenied')
    alice.put_bucket_policy(Bucket=pbucket, Policy=policy(
        pbucket, allow('*', 's3:GetObject', 'B/pub/*')))
    for r in fresh_requests(pserver, 'GET', path, None, None):
        assert_ok(r)
    alice.put_bucket_policy(Bucket=pbucket, Policy=policy(
        pbucket, allow('*', 's3:GetObject', 'B/priv/*')))
    for r in fresh_requests(pserver, 'GET', path, None, None):
        assert_error(r, 403, 'AccessDenied')
    alice.delete_bucket_policy(Bucket=pbucket)


def test_presigned_url_by_policy(pserver, users, pbucket):
    bob = users['bob']
    path = '/%s/priv/b' % pbucket
    pairs = sigv4.presign('GET', pserver.host, path, [], bob.ak, bob.sk)
    url = path + '?' + sigv4.wire_query(pairs)
    assert_error(url_request(pserver, 'GET', url), 403, 'AccessDenied')
    users['alice'].s3.put_bucket_policy(Bucket=pbucket, Policy=policy(
        pbucket, allow(user('bob'), 's3:GetObject', 'B/priv/*')))
    try:
        assert url_request(pserver, 'GET', url).body == b'priv/b'
    finally:
        users['alice'].s3.delete_bucket_policy(Bucket=pbucket)
    assert_error(url_request(pserver, 'GET', url), 403, 'AccessDenied')


def test_policy_goes_with_its_bucket(pserver, users):
    alice, bob = users['alice'].s3, users['bob'].s3
    name = new_bucket_name('polgone')
    alice.create_bucket(Bucket=name)
    alice.put_bucket_policy(Bucket=name, Policy=policy(
        name, allow('*', 's3:*', ['B', 'B/*'])))
    alice.delete_bucket(Bucket=name)
    bob.create_bucket(Bucket=name)
    with client_error(404, 'NoSuchBucketPolicy'):
        bob.get_bucket_policy(Bucket=name)
    with client_error(403, 'AccessDenied'):
        alice.list_objects_v2(Bucket=name)
