"""Storage failures never turn into wrong answers.

The module built with its fault injection points (scripts/faults.sh,
build-faults/) fails the n-th LevelDB read, write or iterator step, or the
n-th body file create, write or fsync, as <s3_data>/faults says.  Every
operation is run under every fault at every n that it reaches (n = 1, 2,
... until the operation no longer reaches the n-th call and succeeds), on
one keep-alive connection of one server, and each time:

- the answer is a 5xx S3 error: 500 InternalError, or 503
  ServiceUnavailable with Retry-After for a full disk (DeleteObjects: 200
  with the failed keys as <Error> InternalError, as S3 does);
- the failure is in error.log at crit with the operation and the reason;
- the stored data is unchanged (every object reads back identically, the
  listings and buckets are as before): no acknowledged write lost, no half
  written object visible;
- no body file is left behind by the failed request;
- once the fault is cleared the next request on the same connection works,
  and writes work again (after a failed write the metadata process reopens
  the database).

The counts are printed at the end (docs/testing.md has them).
"""

import hashlib
import http.client
import os
import re
import subprocess
import time
import xml.etree.ElementTree as ET

import pytest

import s3server
import sigv4
from s3raw import error_fields, strip_ns

TOP = s3server.TOP

FAULTS = [
    ('engine.read', 'eio'),
    ('engine.read', 'corruption'),
    ('engine.write', 'eio'),
    ('engine.write', 'enospc'),
    ('engine.iter', 'eio'),
    ('engine.iter', 'corruption'),
    ('store.create', 'eio'),
    ('store.create', 'enospc'),
    ('store.write', 'eio'),
    ('store.write', 'enospc'),
    ('store.fsync', 'eio'),
]

BUCKET = 'faults-data'
EMPTY = 'faults-empty'
NEWB = 'faults-new'
PROBE = 'faults-probe'

# the canonical state every case starts from and must find again
OBJECTS = {
    'k1': hashlib.sha256(b'k1').digest() * 700,         # 22400 bytes
    'k2': b'second object',
    'sub/k3': b'',
}
NEW_BODY = os.urandom(40000)           # over s3_inline_max: a body file
# the canonical objects that have body files (smaller ones are inline)
INLINE_MAX = 32 * 1024
FILES = sum(len(b) > INLINE_MAX for b in OBJECTS.values())


def _module():
    path = os.environ.get('S3_FAULTS_MODULE')
    if path:
        return path
    if not os.path.isfile('/usr/share/nginx/src/conf_flags'):
        pytest.skip('the fault build needs nginx-dev '
                    '(/usr/share/nginx/src): apt-get install nginx-dev')
    p = subprocess.run([os.path.join(TOP, 'scripts', 'faults.sh')],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       timeout=900)
    if p.returncode != 0:
        pytest.fail('scripts/faults.sh failed:\n%s'
                    % p.stderr.decode()[-4000:], pytrace=False)
    return p.stdout.decode().strip().splitlines()[-1]


class Conn:
    """One keep-alive connection, signed requests."""

    def __init__(self, srv):
        self.srv = srv
        self.c = None
        self.reconnects = 0
        self.open()

    def open(self):
        self.c = http.client.HTTPConnection('127.0.0.1', self.srv.port,
                                            timeout=30)

    def close(self):
        self.c.close()

    def req(self, method, path, query=(), body=b'', headers=None):
        h = sigv4.sign_headers(method, self.srv.host, path, list(query),
                               dict(headers or {}), body,
                               self.srv.access_key, self.srv.secret_key,
                               self.srv.region)
        h['Host'] = self.srv.host
        if body or method in ('PUT', 'POST'):
            h['Content-Length'] = str(len(body))
        url = path
        if query:
            url += '?' + sigv4.wire_query(list(query))
        self.c.request(method, url, body=body or None, headers=h)
        r = self.c.getresponse()
        data = r.read()
        if r.will_close:
            self.c.close()
            self.open()
            self.reconnects += 1
        return r.status, dict((k.lower(), v) for k, v in r.getheaders()), \
            data


class Faults:
    def __init__(self, srv):
        self.srv = srv
        self.path = os.path.join(srv.data, 'faults')
        self.seq = 0
        self.log_at = 0

    def arm(self, spec):
        self.seq += 1
        tmp = self.path + '.tmp'
        with open(tmp, 'w') as f:
            f.write('# %d\n%s\n' % (self.seq, spec))
        os.rename(tmp, self.path)
        self.log_at = os.path.getsize(self.srv.error_log)

    def clear(self):
        try:
            os.unlink(self.path)
        except FileNotFoundError:
            pass

    def log(self):
        with open(self.srv.error_log, 'rb') as f:
            f.seek(self.log_at)
            return f.read().decode('utf-8', 'replace')


def _bodies(srv):
    out = set()
    for d, _, files in os.walk(os.path.join(srv.data, 'objects')):
        for n in files:
            out.add(os.path.join(d, n))
    return out


def _keys(body):
    root = strip_ns(ET.fromstring(body))
    keys = [e.findtext('Key') for e in root.findall('Contents')]
    prefixes = [e.findtext('Prefix') for e in root.findall('CommonPrefixes')]
    return keys, prefixes


def _buckets(body):
    root = strip_ns(ET.fromstring(body))
    return sorted(e.findtext('Name') for e in root.iter('Bucket'))


def _delete_xml(keys):
    return ('<Delete>%s</Delete>' % ''.join(
        '<Object><Key>%s</Key></Object>' % k for k in keys)).encode()


# the operations: (name, run(conn) -> (status, headers, body), ok(resp)
# checks a success, undo(conn) brings the canonical state back after one)

def _put_over(c):
    return c.req('PUT', '/%s/k1' % BUCKET, body=NEW_BODY)


def _put_new(c):
    return c.req('PUT', '/%s/new' % BUCKET, body=NEW_BODY)


def _get(c):
    return c.req('GET', '/%s/k1' % BUCKET)


def _head(c):
    return c.req('HEAD', '/%s/k1' % BUCKET)


def _delete(c):
    return c.req('DELETE', '/%s/k2' % BUCKET)


def _delete_objects(c):
    body = _delete_xml(['k2', 'sub/k3'])
    return c.req('POST', '/%s' % BUCKET, query=[('delete', '')], body=body)


def _create_bucket(c):
    return c.req('PUT', '/%s' % NEWB)


def _delete_bucket(c):
    return c.req('DELETE', '/%s' % EMPTY)


def _list_v2(c):
    return c.req('GET', '/%s' % BUCKET, query=[('list-type', '2')])


def _list_v2_delim(c):
    return c.req('GET', '/%s' % BUCKET,
                 query=[('delimiter', '/'), ('list-type', '2')])


def _list_buckets(c):
    return c.req('GET', '/')


# multipart: one upload in progress (its id in MP), parts put and dropped

MP = {}


def _mp_new(c):
    st, _, data = c.req('POST', '/%s/mp' % BUCKET, query=[('uploads', '')])
    assert st == 200, (st, data)
    MP['id'] = strip_ns(ET.fromstring(data)).findtext('UploadId')


def _mp_renew(c):
    st, _, data = c.req('DELETE', '/%s/mp' % BUCKET,
                        query=[('uploadId', MP['id'])])
    assert st == 204, (st, data)
    _mp_new(c)


def _upload_part(c):
    return c.req('PUT', '/%s/mp' % BUCKET,
                 query=[('partNumber', '1'), ('uploadId', MP['id'])],
                 body=NEW_BODY)


def _create_upload(c):
    return c.req('POST', '/%s/mp2' % BUCKET, query=[('uploads', '')])


def _abort_others(c):
    st, _, data = c.req('GET', '/%s' % BUCKET, query=[('uploads', '')])
    assert st == 200, (st, data)
    for u in strip_ns(ET.fromstring(data)).findall('Upload'):
        if u.findtext('UploadId') != MP['id']:
            st, _, _ = c.req('DELETE', '/%s/%s' % (BUCKET, u.findtext('Key')),
                             query=[('uploadId', u.findtext('UploadId'))])
            assert st == 204


def _list_parts(c):
    return c.req('GET', '/%s/mp' % BUCKET, query=[('uploadId', MP['id'])])


def _list_uploads(c):
    return c.req('GET', '/%s' % BUCKET, query=[('uploads', '')])


def _copy_new(c):
    return c.req('PUT', '/%s/copied' % BUCKET,
                 headers={'x-amz-copy-source': '%s/k1' % BUCKET})


def _copy_over(c):
    return c.req('PUT', '/%s/k2' % BUCKET,
                 headers={'x-amz-copy-source': '%s/k1' % BUCKET})


def _copy_checksum(c):
    return c.req('PUT', '/%s/copied' % BUCKET,
                 headers={'x-amz-copy-source': '%s/k1' % BUCKET,
                          'x-amz-checksum-algorithm': 'SHA256'})


def _attributes(c):
    return c.req('GET', '/%s/k1' % BUCKET, query=[('attributes', '')],
                 headers={'x-amz-object-attributes': 'ETag,ObjectSize'})


def _upload_part_copy(c):
    return c.req('PUT', '/%s/mp' % BUCKET,
                 query=[('partNumber', '2'), ('uploadId', MP['id'])],
                 headers={'x-amz-copy-source': '%s/k1' % BUCKET})


OPS = [
    ('PutObject (overwrite)', _put_over,
     lambda r: r[0] == 200,
     lambda c: c.req('PUT', '/%s/k1' % BUCKET, body=OBJECTS['k1'])),
    ('PutObject (new key)', _put_new,
     lambda r: r[0] == 200,
     lambda c: c.req('DELETE', '/%s/new' % BUCKET)),
    ('GetObject', _get,
     lambda r: r[0] == 200 and r[2] == OBJECTS['k1'], None),
    ('HeadObject', _head,
     lambda r: r[0] == 200
     and r[1]['content-length'] == str(len(OBJECTS['k1'])), None),
    ('DeleteObject', _delete,
     lambda r: r[0] == 204,
     lambda c: c.req('PUT', '/%s/k2' % BUCKET, body=OBJECTS['k2'])),
    ('DeleteObjects', _delete_objects,
     lambda r: r[0] == 200 and b'<Error>' not in r[2],
     lambda c: [c.req('PUT', '/%s/%s' % (BUCKET, k), body=OBJECTS[k])
                for k in ('k2', 'sub/k3')]),
    ('CreateBucket', _create_bucket,
     lambda r: r[0] == 200,
     lambda c: c.req('DELETE', '/%s' % NEWB)),
    ('DeleteBucket', _delete_bucket,
     lambda r: r[0] == 204,
     lambda c: c.req('PUT', '/%s' % EMPTY)),
    ('ListObjectsV2', _list_v2,
     lambda r: r[0] == 200
     and _keys(r[2]) == (sorted(OBJECTS), []), None),
    ('ListObjectsV2 (delimiter)', _list_v2_delim,
     lambda r: r[0] == 200
     and _keys(r[2]) == (['k1', 'k2'], ['sub/']), None),
    ('ListBuckets', _list_buckets,
     lambda r: r[0] == 200
     and _buckets(r[2]) == sorted([BUCKET, EMPTY]), None),
    ('CreateMultipartUpload', _create_upload,
     lambda r: r[0] == 200 and b'<UploadId>' in r[2], _abort_others),
    ('UploadPart', _upload_part,
     lambda r: r[0] == 200, _mp_renew),
    ('ListParts', _list_parts,
     lambda r: r[0] == 200 and b'ListPartsResult' in r[2], None),
    ('ListMultipartUploads', _list_uploads,
     lambda r: r[0] == 200 and MP['id'].encode() in r[2], None),
    ('CopyObject (new key)', _copy_new,
     lambda r: r[0] == 200 and b'CopyObjectResult' in r[2],
     lambda c: c.req('DELETE', '/%s/copied' % BUCKET)),
    ('CopyObject (overwrite)', _copy_over,
     lambda r: r[0] == 200 and b'CopyObjectResult' in r[2],
     lambda c: c.req('PUT', '/%s/k2' % BUCKET, body=OBJECTS['k2'])),
    ('CopyObject (new checksum: reads the source)', _copy_checksum,
     lambda r: r[0] == 200 and b'ChecksumSHA256' in r[2],
     lambda c: c.req('DELETE', '/%s/copied' % BUCKET)),
    ('GetObjectAttributes', _attributes,
     lambda r: r[0] == 200
     and str(len(OBJECTS['k1'])).encode() in r[2], None),
    ('UploadPartCopy', _upload_part_copy,
     lambda r: r[0] == 200 and b'CopyPartResult' in r[2], _mp_renew),
]


def _check_state(c):
    """The canonical state, read back through the API."""

    for k, v in OBJECTS.items():
        st, _, data = c.req('GET', '/%s/%s' % (BUCKET, k))
        assert (st, data == v) == (200, True), \
            'object %s: %d, %d bytes' % (k, st, len(data))
    st, _, data = c.req('GET', '/%s/new' % BUCKET)
    assert st == 404, 'a failed PUT of a new key is visible: %d' % st
    st, _, data = _list_v2(c)
    assert st == 200 and _keys(data) == (sorted(OBJECTS), []), data
    st, _, data = _list_buckets(c)
    assert st == 200 and _buckets(data) == sorted([BUCKET, EMPTY]), data


def _check_partial_delete(c, resp):
    """Each key reported deleted is gone, each one that failed is intact;
    then the deleted ones are put back."""

    root = strip_ns(ET.fromstring(resp[2]))
    for e in root.findall('Deleted'):
        k = e.findtext('Key')
        st, _, _ = c.req('GET', '/%s/%s' % (BUCKET, k))
        assert st == 404, 'deleted %s still there' % k
        st, _, data = c.req('PUT', '/%s/%s' % (BUCKET, k), body=OBJECTS[k])
        assert st == 200, (st, data)
    for e in root.findall('Error'):
        k = e.findtext('Key')
        st, _, data = c.req('GET', '/%s/%s' % (BUCKET, k))
        assert (st, data) == (200, OBJECTS[k]), \
            'a key that failed to delete changed: %s %d' % (k, st)


def _wait_writable(c, timeout=10):
    """A write works again (after a failed write, once reopened)."""

    deadline = time.time() + timeout
    while True:
        st, _, data = c.req('PUT', '/%s' % PROBE)
        if st == 200:
            st, _, data = c.req('DELETE', '/%s' % PROBE)
            assert st == 204, (st, data)
            return
        assert st == 500, (st, data)
        assert time.time() < deadline, 'writes fail %ds after the fault ' \
            'was cleared: %r' % (timeout, data)
        time.sleep(0.05)


def _wait_no_new_bodies(srv, before, timeout=5):
    deadline = time.time() + timeout
    while True:
        extra = _bodies(srv) - before
        if not extra:
            return
        assert time.time() < deadline, \
            'body files left by a failed request: %s' % sorted(extra)
        time.sleep(0.05)


def _wait_bodies(srv, n, timeout=5):
    """n body files, once the delayed unlinks ran (2 s)."""

    deadline = time.time() + timeout
    while len(_bodies(srv)) != n and time.time() < deadline:
        time.sleep(0.1)
    assert len(_bodies(srv)) == n, sorted(_bodies(srv))


def _expected_error(point, error):
    if point.startswith('store.') and error == 'enospc':
        return 503, 'ServiceUnavailable'
    return 500, 'InternalError'


def _check_failure(name, point, error, resp, log):
    st, headers, body = resp
    want_st, want_code = _expected_error(point, error)

    if name == 'DeleteObjects':
        # S3 answers 200 and reports each key that failed
        assert st == 200, resp
        root = strip_ns(ET.fromstring(body))
        errs = root.findall('Error')
        assert errs, 'a fault fired and no key failed: %r' % body
        for e in errs:
            assert e.findtext('Code') == want_code, body
    else:
        assert st == want_st, resp
        assert headers.get('x-amz-request-id'), resp
        if st == 503:
            assert headers.get('retry-after') == '1', resp
        if name != 'HeadObject':
            assert error_fields(body)['Code'] == want_code, resp

    # the failure itself is logged at crit or higher, with its reason
    if point.startswith('engine.'):
        pat = r'\[crit\].*s3 metadata (read|write|scan) failed \(.+\): ' \
              r'.*\(injected\)'
    else:
        pat = r'\[crit\].*failed \((5|28): '
    assert re.search(pat, log), 'no log line %r in:\n%s' % (pat, log)


@pytest.fixture(scope='module')
def fsrv():
    module = _module()
    srv = s3server.S3Server(name='faults', workers=1, module=module)
    srv.allow_log(r's3 body .* left behind')
    srv.start()
    yield srv
    srv.teardown()


def _setup(c):
    assert c.req('PUT', '/%s' % BUCKET)[0] == 200
    assert c.req('PUT', '/%s' % EMPTY)[0] == 200
    for k, v in OBJECTS.items():
        assert c.req('PUT', '/%s/%s' % (BUCKET, k), body=v)[0] == 200
    _mp_new(c)


def test_fault_matrix(fsrv):
    srv = fsrv
    faults = Faults(srv)
    c = Conn(srv)
    _setup(c)

    tried = fired = 0
    table = []

    try:
        for name, run, ok, undo in OPS:
            row = []
            for point, error in FAULTS:
                n = 0
                while True:
                    n += 1
                    assert n < 20, '%s %s never succeeds' % (name, point)
                    before = _bodies(srv)
                    faults.arm('%s=%d:%s' % (point, n, error))
                    resp = run(c)
                    log = faults.log()
                    faults.clear()
                    tried += 1
                    what = '%s under %s=%d:%s' % (name, point, n, error)

                    if 's3 fault injected: %s #%d' % (point, n) not in log:
                        # not reached: the operation works as ever
                        assert ok(resp), '%s: %r' % (what, resp)
                        if undo:
                            undo(c)
                        break

                    fired += 1
                    try:
                        _check_failure(name, point, error, resp, log)
                        _wait_writable(c)
                        _wait_no_new_bodies(srv, before)
                        if name == 'DeleteObjects':
                            _check_partial_delete(c, resp)
                        _check_state(c)
                    except AssertionError as e:
                        raise AssertionError('%s: %s' % (what, e))

                row.append(n - 1)
            table.append((name, row))
    finally:
        faults.clear()
        c.close()
        reconnects = c.reconnects

    # nothing left over: one body per object once the delayed unlinks ran
    _wait_bodies(srv, FILES)

    c = Conn(srv)
    _check_state(c)
    c.close()

    print('\nfault matrix: %d operations x %d faults, %d runs, %d faults '
          'fired, 0 wrong answers, 0 acknowledged writes lost, %d '
          'reconnects' % (len(OPS), len(FAULTS), tried, fired, reconnects))
    print('faults fired per operation (the n-th call failed, n = 1..N):')
    print('%-28s %s' % ('', ' '.join('%s:%s' % (p[7:] if p.startswith(
        'engine') else p, e) for p, e in FAULTS)))
    for name, row in table:
        print('%-28s %s' % (name, ' '.join('%d' % x for x in row)))


def test_sticky_faults_then_recovery(fsrv):
    """Every call failing (n+) fails every operation that reaches it; once
    cleared, the same connection serves again at once."""

    srv = fsrv
    faults = Faults(srv)
    c = Conn(srv)
    try:
        for point, error in (('engine.read', 'eio'),
                             ('engine.write', 'enospc'),
                             ('engine.iter', 'corruption'),
                             ('store.write', 'enospc')):
            faults.arm('%s=1+:%s' % (point, error))
            failed = 0
            undos = []
            for name, run, ok, undo in OPS:
                resp = run(c)
                if ok(resp):
                    if undo:
                        undos.append(undo)    # did not reach the point
                    continue
                failed += 1
                st = resp[0]
                assert st in (200, 500, 503), (name, point, resp)
            assert failed, point
            faults.clear()
            _wait_writable(c)
            for undo in undos:
                undo(c)
            _check_state(c)
            _wait_bodies(srv, FILES)
            for name, run, ok, undo in OPS:
                resp = run(c)
                assert ok(resp), (name, point, resp)
                if undo:
                    undo(c)
    finally:
        faults.clear()
        c.close()


def test_group_sync_fault(fsrv):
    """The synced write that ends a group commit fails: the mutation gets
    500 InternalError (never 200), the database is reopened, and whatever
    the reopened database shows is whole: the object is the old one or the
    new one, and no body file is left that no record names."""

    srv = fsrv
    faults = Faults(srv)
    c = Conn(srv)
    bucket = 'faults-sync'
    try:
        assert c.req('PUT', '/' + bucket)[0] == 200
        old = os.urandom(40000)           # body files, not inline
        new = NEW_BODY
        assert c.req('PUT', '/%s/sync' % bucket, body=old)[0] == 200
        time.sleep(2.5)             # earlier tests' delayed unlinks
        before = _bodies(srv)
        faults.arm('engine.sync=1:eio')
        st, _, data = c.req('PUT', '/%s/sync' % bucket, body=new)
        assert st == 500, (st, data)
        assert b'<Code>InternalError</Code>' in data, data
        log = faults.log()
        assert re.search(r'\[crit\].*write failed \(group commit\): IO '
                         r'error', log), log
        faults.clear()
        _wait_writable(c)
        st, _, data = c.req('GET', '/%s/sync' % bucket)
        assert st == 200 and data in (old, new), (st, data[:64])
        # one body for the one record, once the doubt is decided
        _wait_bodies(srv, len(before))
        assert c.req('DELETE', '/%s/sync' % bucket)[0] == 204
        _wait_bodies(srv, len(before) - 1)
        assert c.req('DELETE', '/' + bucket)[0] == 204
    finally:
        faults.clear()
        c.close()
