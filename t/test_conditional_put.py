"""Conditional writes (PutObject): If-Match and If-None-Match with "*" or
entity tags, decided in the metadata process in the same step as the
commit, so concurrent writers cannot both win."""

import concurrent.futures
import hashlib

import pytest

from conftest import new_bucket_name
from s3raw import KeepAlive, assert_error, request


def _etag(data):
    return '"%s"' % hashlib.md5(data).hexdigest()


@pytest.fixture(scope='module')
def cb(s3):
    name = new_bucket_name('condput')
    s3.create_bucket(Bucket=name)
    return name


def _put(conn, bucket, key, data, headers):
    conn.send(conn.head('PUT', '/%s/%s' % (bucket, key), headers=headers,
                        body=data) + data)
    return conn.response('PUT')


def _get(conn, bucket, key):
    conn.send(conn.head('GET', '/%s/%s' % (bucket, key)))
    return conn.response()


CASES = [
    # (headers, exists, status, code)
    ({'If-None-Match': '*'}, False, 200, None),
    ({'If-None-Match': '*'}, True, 412, 'PreconditionFailed'),
    ({'If-None-Match': 'ETAG'}, True, 412, 'PreconditionFailed'),
    ({'If-None-Match': '"0123456789abcdef0123456789abcdef"'}, True, 200,
     None),
    ({'If-None-Match': 'ETAG'}, False, 200, None),
    ({'If-Match': '*'}, True, 200, None),
    ({'If-Match': '*'}, False, 404, 'NoSuchKey'),
    ({'If-Match': 'ETAG'}, True, 200, None),
    ({'If-Match': 'ETAG-UNQUOTED'}, True, 200, None),
    ({'If-Match': '"0123456789abcdef0123456789abcdef"'}, True, 412,
     'PreconditionFailed'),
    ({'If-Match': '"0123456789abcdef0123456789abcdef"'}, False, 404,
     'NoSuchKey'),
    ({'If-Match': '"aa", ETAG'}, True, 200, None),
    ({'If-Match': 'ETAG', 'If-None-Match': 'ETAG'}, True, 412,
     'PreconditionFailed'),
]


@pytest.mark.parametrize('i', range(len(CASES)))
def test_conditional_put(server, s3, cb, i):
    headers, exists, status, code = CASES[i]
    key = 'c%d' % i
    old = b'old contents %d' % i
    if exists:
        s3.put_object(Bucket=cb, Key=key, Body=old)
    h = {}
    for k, v in headers.items():
        v = v.replace('ETAG-UNQUOTED', _etag(old).strip('"'))
        h[k] = v.replace('ETAG', _etag(old))
    new = b'new contents %d' % i
    conn = KeepAlive(server)
    try:
        r = _put(conn, cb, key, new, h)
        if code is None:
            assert r.status == status, r
            assert r.header('ETag') == _etag(new)
        else:
            assert_error(r, status, code)
        # the same connection goes on, and the object is as it must be
        g = _get(conn, cb, key)
        if code is None:
            assert g.status == 200 and g.body == new, g
        elif exists:
            assert g.status == 200 and g.body == old, g
        else:
            assert g.status == 404, g
    finally:
        conn.close()


def test_if_none_match_star_one_winner(server, cb):
    """Eight writers race to create one key: exactly one wins."""

    def put(n):
        return request(server, 'PUT', '/%s/race' % cb,
                       headers={'If-None-Match': '*'},
                       body=b'writer %d' % n).status

    with concurrent.futures.ThreadPoolExecutor(8) as ex:
        got = list(ex.map(put, range(8)))
    assert sorted(got) == [200] + [412] * 7, got


def test_if_match_etag_one_winner(server, s3, cb):
    """Compare-and-swap: eight writers start from the same ETag."""

    s3.put_object(Bucket=cb, Key='cas', Body=b'base')
    base = _etag(b'base')

    def put(n):
        return request(server, 'PUT', '/%s/cas' % cb,
                       headers={'If-Match': base},
                       body=b'writer %d' % n).status

    with concurrent.futures.ThreadPoolExecutor(8) as ex:
        got = list(ex.map(put, range(8)))
    assert sorted(got) == [200] + [412] * 7, got
