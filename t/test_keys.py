"""Users and access keys managed live with scripts/s3-admin: the admin API,
keys that work, stop and come back on every worker within a second without
a reload, and secrets that are never stored or listed in the clear."""

import os
import shutil
import subprocess
import time

import pytest

import s3server
import sigv4
from conftest import boto_client, new_bucket_name
from s3admin import (CLI, admin_kwargs, admin_url, cli, cli_ok,
                     fresh_requests, new_user_key, within, write_key_file)
from s3raw import assert_error, assert_ok, request, url_request
from test_sigv2 import v2_client


@pytest.fixture(scope='module')
def kserver(tmp_path_factory):
    d = tmp_path_factory.mktemp('keyfile')
    kf = write_key_file(str(d / 's3.key'), [os.urandom(32)])
    srv = s3server.S3Server(name='keys', **admin_kwargs(kf))
    srv.key_file = kf
    srv.start()
    yield srv
    srv.teardown()


def uid(hint):
    return new_bucket_name(hint)[:40]


def signed(server, ak, sk, method='GET', path='/', **kw):
    return request(server, method, path, access_key=ak, secret=sk, **kw)


# the admin API and the CLI

def test_users_create_list_delete(kserver):
    a, b = uid('alice'), uid('bob')
    doc = cli_ok(kserver, 'user', 'create', a, '--name', 'Alice Ä. "A"')
    assert doc['user']['id'] == a
    assert doc['user']['name'] == 'Alice Ä. "A"'
    cli_ok(kserver, 'user', 'create', b)

    users = {u['id']: u for u in cli_ok(kserver, 'user', 'list')['users']}
    assert users[a]['name'] == 'Alice Ä. "A"'
    assert users[b]['name'] == b
    assert users[a]['keys'] == 0 and users[a]['buckets'] == 0
    assert users[a]['created'].endswith('Z')

    rc, doc = cli(kserver, 'user', 'create', a)
    assert rc == 1 and doc['code'] == 'UserAlreadyExists'
    assert doc['status'] == 409

    for bad in ('Upper', '_under', 'x' * 65, 'a/b', 'sp ace'):
        rc, doc = cli(kserver, 'user', 'create', bad)
        assert rc == 1 and doc['status'] in (400, 404), (bad, doc)

    cli_ok(kserver, 'user', 'delete', b)
    rc, doc = cli(kserver, 'user', 'delete', b)
    assert rc == 1 and doc['code'] == 'NoSuchUser' and doc['status'] == 404
    ids = [u['id'] for u in cli_ok(kserver, 'user', 'list')['users']]
    assert a in ids and b not in ids


def test_cli_table_output(kserver):
    a = uid('table')
    cli_ok(kserver, 'user', 'create', a, '--name', 'Table User')
    ak, _ = new_user_key(kserver, a)
    env = dict(os.environ, S3_ADMIN_ENDPOINT=admin_url(kserver),
               S3_ADMIN_ACCESS_KEY=kserver.access_key,
               S3_ADMIN_SECRET_KEY=kserver.secret_key)
    p = subprocess.run(['/usr/bin/python3', CLI, 'user', 'list'], env=env,
                       capture_output=True, text=True, check=True)
    lines = p.stdout.splitlines()
    assert lines[0].split() == ['USER', 'NAME', 'KEYS', 'BUCKETS', 'CREATED']
    row = [ln for ln in lines if ln.startswith(a + ' ')]
    assert row and 'Table User' in row[0]

    p = subprocess.run(['/usr/bin/python3', CLI, 'key', 'list', a], env=env,
                       capture_output=True, text=True, check=True)
    assert p.stdout.split('\n')[0].split() == ['ACCESS', 'KEY', 'USER',
                                               'STATUS', 'CREATED']
    assert ak in p.stdout and 'enabled' in p.stdout

    p = subprocess.run(['/usr/bin/python3', CLI, 'key', 'create', a],
                       env=env, capture_output=True, text=True, check=True)
    assert 'secret key: ' in p.stdout and 'this once' in p.stdout

    # refused: a message and status 1; no credentials: usage, status 2
    p = subprocess.run(['/usr/bin/python3', CLI, 'user', 'delete', 'nobody'],
                       env=env, capture_output=True, text=True)
    assert p.returncode == 1 and 'NoSuchUser' in p.stderr
    p = subprocess.run(['/usr/bin/python3', CLI, 'user', 'list'],
                       env={'PATH': os.environ['PATH']},
                       capture_output=True, text=True)
    assert p.returncode == 2


def test_key_works_and_is_listed_without_secret(kserver):
    user = uid('carol')
    ak, sk = new_user_key(kserver, user)
    assert len(ak) == 20 and ak.startswith('AK') and len(sk) == 40

    s3 = boto_client(kserver, ak, sk)
    s3.list_buckets()
    name = new_bucket_name('carol')
    s3.create_bucket(Bucket=name)
    s3.put_object(Bucket=name, Key='k', Body=b'carol')
    assert s3.get_object(Bucket=name, Key='k')['Body'].read() == b'carol'

    keys = cli_ok(kserver, 'key', 'list', user)['keys']
    assert [k['access_key'] for k in keys] == [ak]
    assert keys[0]['status'] == 'enabled' and keys[0]['user'] == user
    assert 'secret_key' not in keys[0]

    rc, text = cli(kserver, 'key', 'list')
    assert sk not in repr(text)

    users = {u['id']: u for u in cli_ok(kserver, 'user', 'list')['users']}
    assert users[user]['keys'] == 1 and users[user]['buckets'] == 1

    # SigV2 with a managed key
    s3v2 = v2_client(kserver, access_key=ak, secret=sk)
    assert s3v2.get_object(Bucket=name, Key='k')['Body'].read() == b'carol'

    # the bucket's owner is the user: its delete is refused
    rc, doc = cli(kserver, 'user', 'delete', user)
    assert rc == 1 and doc['status'] == 409
    s3.delete_object(Bucket=name, Key='k')
    s3.delete_bucket(Bucket=name)


def test_disable_enable_delete_on_every_worker(kserver):
    """Each change holds on both workers within a second, no reload."""

    user = uid('dave')
    ak, sk = new_user_key(kserver, user)

    # warm both workers' caches with the key
    for r in fresh_requests(kserver, 'GET', '/', ak, sk):
        assert_ok(r)

    cli_ok(kserver, 'key', 'disable', ak)
    t = time.time()
    for r in fresh_requests(kserver, 'GET', '/', ak, sk):
        assert_error(r, 403, 'InvalidAccessKeyId')
    assert time.time() - t < 1.0
    assert cli_ok(kserver, 'key', 'list', user)['keys'][0]['status'] \
        == 'disabled'

    cli_ok(kserver, 'key', 'enable', ak)
    for r in fresh_requests(kserver, 'GET', '/', ak, sk):
        assert_ok(r)

    # presigned URLs carry the key's state too
    path = '/'
    pairs = sigv4.presign('GET', kserver.host, path, [], ak, sk)
    url = path + '?' + sigv4.wire_query(pairs)
    assert_ok(url_request(kserver, 'GET', url))
    cli_ok(kserver, 'key', 'disable', ak)
    for _ in range(6):
        assert_error(url_request(kserver, 'GET', url), 403,
                     'InvalidAccessKeyId')
    cli_ok(kserver, 'key', 'enable', ak)
    assert_ok(url_request(kserver, 'GET', url))

    cli_ok(kserver, 'key', 'delete', ak)
    for r in fresh_requests(kserver, 'GET', '/', ak, sk):
        assert_error(r, 403, 'InvalidAccessKeyId')
    rc, doc = cli(kserver, 'key', 'delete', ak)
    assert rc == 1 and doc['code'] == 'NoSuchAccessKey'
    rc, doc = cli(kserver, 'key', 'enable', ak)
    assert rc == 1 and doc['code'] == 'NoSuchAccessKey'


def test_new_key_works_at_once_everywhere(kserver):
    user = uid('erin')
    cli_ok(kserver, 'user', 'create', user)
    # workers remember unknown keys: a miss before must not stick
    for r in fresh_requests(kserver, 'GET', '/', 'AKNOSUCHKEY000000000',
                            'x' * 40):
        assert_error(r, 403, 'InvalidAccessKeyId')
    k = cli_ok(kserver, 'key', 'create', user)['key']
    for r in fresh_requests(kserver, 'GET', '/', k['access_key'],
                            k['secret_key']):
        assert_ok(r)
    # a wrong secret of a real key
    r = signed(kserver, k['access_key'], 'y' * 40)
    assert_error(r, 403, 'SignatureDoesNotMatch')


def test_user_delete_takes_its_keys(kserver):
    user = uid('frank')
    ak1, sk1 = new_user_key(kserver, user)
    ak2, sk2 = new_user_key(kserver, user)
    assert_ok(signed(kserver, ak1, sk1))
    assert_ok(signed(kserver, ak2, sk2))
    cli_ok(kserver, 'user', 'delete', user)
    within(1.0, lambda: all(
        r.status == 403 for r in
        fresh_requests(kserver, 'GET', '/', ak1, sk1)
        + fresh_requests(kserver, 'GET', '/', ak2, sk2)))
    assert cli(kserver, 'key', 'list', user)[1]['code'] == 'NoSuchUser'
    rc, doc = cli(kserver, 'key', 'create', user)
    assert rc == 1 and doc['code'] == 'NoSuchUser'


def test_admin_api_needs_an_operator_key(kserver):
    user = uid('gina')
    ak, sk = new_user_key(kserver, user)

    # a managed key is no operator: unknown to the admin API
    rc, doc = cli(kserver, 'user', 'list', access_key=ak, secret=sk)
    assert rc == 1 and doc['status'] == 403
    assert doc['code'] == 'InvalidAccessKeyId'

    rc, doc = cli(kserver, 'user', 'list', secret='z' * 40)
    assert rc == 1 and doc['code'] == 'SignatureDoesNotMatch'

    r = request(kserver, 'GET', '/.s3-admin/users', sign=False)
    assert r.status == 403 and b'AccessDenied' in r.body
    assert r.header('Content-Type') == 'application/json'

    r = request(kserver, 'GET', '/.s3-admin/nothing')
    assert r.status == 404 and b'NoSuchResource' in r.body
    r = request(kserver, 'POST', '/.s3-admin/users')
    assert r.status == 405 and b'MethodNotAllowed' in r.body
    r = request(kserver, 'PUT', '/.s3-admin/keys/' + ak,
                query=[('status', 'maybe')])
    assert r.status == 400 and b'InvalidArgument' in r.body
    r = request(kserver, 'POST', '/.s3-admin/keys')
    assert r.status == 400 and b'InvalidUserId' in r.body
    # the same connection goes on after each error
    assert_ok(signed(kserver, ak, sk))


def test_no_key_file_no_keys(make_server):
    srv = make_server(**admin_kwargs(None))
    cli_ok(srv, 'user', 'create', 'harry')
    rc, doc = cli(srv, 'key', 'create', 'harry')
    assert rc == 1 and doc['code'] == 'KeyFileNotConfigured'
    assert doc['status'] == 409


def _files_hold(root, needle):
    hits = []
    for d, _, files in os.walk(root):
        for f in files:
            p = os.path.join(d, f)
            try:
                with open(p, 'rb') as fh:
                    if needle in fh.read():
                        hits.append(p)
            except OSError:
                pass
    return hits


def test_data_copy_holds_no_secret(make_server, tmp_path):
    """A copy of the data directory without the key file gives no usable
    credential: no secret in any file, and no server can use the key."""

    kf = write_key_file(str(tmp_path / 's3.key'), [os.urandom(32)])
    srv = make_server(**admin_kwargs(kf))
    ak, sk = new_user_key(srv, 'ivan')
    assert_ok(signed(srv, ak, sk))
    # more writes, so that the log and a table both exist
    for i in range(3):
        new_user_key(srv, 'ivan')

    home = tmp_path / 'copy'
    home.mkdir()
    copy = str(home / 'data')
    shutil.copytree(srv.data, copy,
                    ignore=shutil.ignore_patterns('*.sock'))
    assert _files_hold(copy, ak.encode()), 'the key id should be there'
    assert not _files_hold(copy, sk.encode())
    assert not _files_hold(srv.data, sk.encode())

    # the copy, served with another key file: the key cannot be used
    other = write_key_file(str(tmp_path / 'other.key'), [os.urandom(32)])
    srv2 = make_server(tmp=str(home), **admin_kwargs(other))
    srv2.allow_log(r'sealed with a key that s3_key_file does not hold')
    assert_error(signed(srv2, ak, sk), 500, 'InternalError')
    users = cli_ok(srv2, 'user', 'list')['users']
    assert [u['keys'] for u in users] == [4]


def test_key_rotation(make_server, tmp_path):
    """s3_key_file with the new key first and the old one after: secrets
    are sealed anew at start; then the old key can go."""

    k1, k2 = os.urandom(32), os.urandom(32)
    kf = write_key_file(str(tmp_path / 's3.key'), [k1])
    srv = make_server(**admin_kwargs(kf))
    ak, sk = new_user_key(srv, 'judy')
    assert_ok(signed(srv, ak, sk))

    write_key_file(kf, [k2, k1])
    srv.allow_log(r'sealed anew')
    srv.reload()
    within(5, lambda: 'sealed anew' in open(srv.error_log).read())
    assert_ok(signed(srv, ak, sk))

    write_key_file(kf, [k2])
    srv.reload()
    for r in fresh_requests(srv, 'GET', '/', ak, sk):
        assert_ok(r)
