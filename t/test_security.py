"""Trust boundaries: only the S3 API authenticates, nothing behind it is
reachable around it.

The metadata socket, the database and the body files belong to nginx's
user alone (directories 0700, files 0600); the metadata process refuses a
peer of another uid (SO_PEERCRED) and treats every frame as hostile: a
record whose body id is not 32 lowercase hex characters is refused, so no
frame can make it unlink a file outside the data directory.
"""

import os
import socket
import stat
import struct
import subprocess
import sys
import time

import pytest

from conftest import boto_client

# the metadata protocol (ngx_http_s3_wire.h)
OP_PING = 1
OP_BUCKET_LIST = 5
OP_OBJECT_PUT = 6
OP_OBJECT_GET = 7
OP_OBJECT_DELETE = 8
ST_OK = 0
ST_NO_KEY = 2
ST_BAD_REQUEST = 6
TAG_SIZE = 1
TAG_ETAG = 3
TAG_BODY = 4

ATTACK_ID = '././../../victim///////////t.txt'      # the issue's body id

pytestmark = pytest.mark.skipif(os.geteuid() != 0,
                                reason='needs root (setpriv, other uids)')


def wstr(b):
    if isinstance(b, str):
        b = b.encode()
    return struct.pack('>I', len(b)) + b


def field(tag, value):
    return struct.pack('>B', tag) + wstr(value)


def record(body_id, size=5):
    return (field(TAG_SIZE, struct.pack('>Q', size))
            + field(TAG_ETAG, 'd41d8cd98f00b204e9800998ecf8427e')
            + field(TAG_BODY, body_id))


def frame(op, body=b'', fid=1):
    return struct.pack('>IIB', 5 + len(body), fid, op) + body


def put_body(bucket, key, rec):
    return wstr(bucket) + wstr(key) + wstr(rec) + b'\0' + wstr(b'')


class Wire:
    """A raw client of the metadata socket, as the workers' user."""

    def __init__(self, path):
        self.s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.s.settimeout(5)
        self.s.connect(path)
        self.fid = 0

    def call(self, op, body=b''):
        self.fid += 1
        self.s.sendall(frame(op, body, self.fid))
        head = self._read(9)
        n, fid, status = struct.unpack('>IIB', head)
        assert fid == self.fid
        return status, self._read(n - 5)

    def _read(self, n):
        out = b''
        while len(out) < n:
            b = self.s.recv(n - len(out))
            if not b:
                raise ConnectionError('closed by the metadata process')
            out += b
        return out

    def close(self):
        self.s.close()


def sock_path(srv):
    return os.path.join(srv.data, 'run', 'meta.sock')


def mode(path):
    return stat.S_IMODE(os.stat(path).st_mode)


# a client run as another uid: prints what happened to its connection

CLIENT = r'''
import socket, struct, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.settimeout(5)
try:
    s.connect(sys.argv[1])
except OSError as e:
    print('connect', e.errno)
    sys.exit(0)
try:
    s.sendall(struct.pack('>IIB', 5, 1, %d))
    print('answer', len(s.recv(100)))
except OSError as e:
    print('error', e.errno)
''' % OP_BUCKET_LIST


def run_as(user, group, path):
    out = subprocess.run(
        ['setpriv', '--reuid=%s' % user, '--regid=%s' % group,
         '--clear-groups', sys.executable, '-c', CLIENT, path],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=20,
        check=True, cwd='/')
    return out.stdout.decode().split()


def wait_log(srv, text, timeout=5):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if text in srv._read(srv.error_log):
            return True
        time.sleep(0.05)
    return False


def test_modes(server, s3, bucket):
    """Socket 0600 in a 0700 directory, db/ and objects/ 0700 with 0600
    files; nothing is left at the old socket path."""

    # over s3_inline_max: a body file
    s3.put_object(Bucket=bucket, Key='k', Body=b'hello' * 20000)

    run = os.path.join(server.data, 'run')
    assert mode(run) == 0o700
    st = os.stat(sock_path(server))
    assert stat.S_ISSOCK(st.st_mode)
    assert stat.S_IMODE(st.st_mode) == 0o600
    assert not os.path.exists(os.path.join(server.data, 'meta.sock'))

    for top in ('db', 'objects'):
        top = os.path.join(server.data, top)
        assert mode(top) == 0o700, top
        files = 0
        for d, dirs, names in os.walk(top):
            for n in dirs:
                assert mode(os.path.join(d, n)) == 0o700, (d, n)
            for n in names:
                assert mode(os.path.join(d, n)) == 0o600, (d, n)
                files += 1
        assert files, top


def test_other_uid_cannot_reach_socket(server):
    """nobody cannot enter the socket's directory."""

    assert run_as('nobody', 'nogroup', sock_path(server)) == ['connect', '13']


def test_other_uid_refused_by_peer_check(fresh_server):
    """With the modes loosened by mistake, the metadata process still
    refuses a peer of another uid: closed at once, no answer, logged."""

    srv = fresh_server
    path = sock_path(srv)
    loosen = [(srv.tmp, 0o711), (srv.data, 0o711),
              (os.path.dirname(path), 0o711), (path, 0o666)]
    saved = [(p, mode(p)) for p, _ in loosen]
    try:
        for p, m in loosen:
            os.chmod(p, m)
        got = run_as('nobody', 'nogroup', path)
    finally:
        for p, m in saved:
            os.chmod(p, m)

    # closed at once: at the send (EPIPE), or no answer (EOF, ECONNRESET)
    assert got in (['answer', '0'], ['error', '32'], ['error', '104']), got
    assert wait_log(srv, 'refused a connection from uid 65534'), \
        srv.log_tail()

    # the workers' own connections are unaffected
    assert srv.signed_get('/') == 200


@pytest.mark.parametrize('body_id', [
    ATTACK_ID,
    '../../../../../../../../victim/t',       # 32 bytes, not hex
    '0123456789ABCDEF0123456789ABCDEF',      # uppercase
    '0123456789abcdef0123456789abcde',       # 31
    '0123456789abcdef0123456789abcdef0',     # 33
    '0123456789abcdef\x00123456789abcde',    # a NUL in it
    '',
])
def test_hostile_body_id_refused(server, s3, bucket, body_id):
    w = Wire(sock_path(server))
    try:
        st, _ = w.call(OP_OBJECT_PUT,
                       put_body(bucket, 'evil', record(body_id)))
        assert st == ST_BAD_REQUEST
        st, _ = w.call(OP_OBJECT_GET, wstr(bucket) + wstr('evil'))
        assert st == ST_NO_KEY
        # the connection still serves
        assert w.call(OP_PING)[0] == ST_OK
    finally:
        w.close()

    with pytest.raises(s3.exceptions.NoSuchKey):
        s3.get_object(Bucket=bucket, Key='evil')


def test_issue_attack_touches_nothing(server, s3, bucket):
    """The attack of the issue, as the workers' own uid: commit a record
    whose body id climbs out of the data directory, delete it, wait for
    the delayed unlink: the victim file is still there."""

    victim = os.path.join(server.tmp, 'victim', 't.txt')
    os.makedirs(os.path.dirname(victim), exist_ok=True)
    with open(victim, 'w') as f:
        f.write('precious\n')
    # where the unchecked id pointed: <data>/objects/./<< ... >>
    assert os.path.realpath(os.path.join(
        server.data, 'objects', ATTACK_ID[0:2], ATTACK_ID[2:4],
        ATTACK_ID)) == victim

    # a replaced body: its unlink shows when the delay has passed
    known = body_files(server)
    # over s3_inline_max: a body file
    s3.put_object(Bucket=bucket, Key='evil', Body=b'old' * 30000)
    before = body_files(server) - known
    assert len(before) == 1

    w = Wire(sock_path(server))
    try:
        put, _ = w.call(OP_OBJECT_PUT,
                        put_body(bucket, 'evil', record(ATTACK_ID)))
        delete, _ = w.call(OP_OBJECT_DELETE, wstr(bucket) + wstr('evil'))
    finally:
        w.close()

    # the record (the attack's, or the old one if it was refused) is gone
    assert delete == ST_OK
    deadline = time.time() + 10
    while time.time() < deadline and body_files(server) & before:
        time.sleep(0.1)
    time.sleep(0.3)
    assert os.path.exists(victim), 'the victim was unlinked'
    assert put == ST_BAD_REQUEST
    assert not body_files(server) & before, 'the old body was not unlinked'


def body_files(srv):
    out = set()
    for d, _, names in os.walk(os.path.join(srv.data, 'objects')):
        out.update(os.path.join(d, n) for n in names)
    return out


def test_bad_frame_closes_connection(server):
    """A frame whose length is impossible: the connection is closed, the
    process keeps serving."""

    server.allow_log(r'\[alert\].*s3 metadata process got a bad frame')
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(5)
    s.connect(sock_path(server))
    s.sendall(struct.pack('>IIB', 1, 1, OP_PING))
    assert s.recv(100) == b''
    s.close()

    w = Wire(sock_path(server))
    assert w.call(OP_PING)[0] == ST_OK
    w.close()


def test_unprivileged_user(make_server):
    """Workers and the metadata process as www-data: the data directory
    is theirs; root's connection is refused by the peer check."""

    srv = make_server(user='www-data')
    s3 = boto_client(srv)
    s3.create_bucket(Bucket='www')
    s3.put_object(Bucket='www', Key='a/b', Body=b'payload')
    assert s3.get_object(Bucket='www', Key='a/b')['Body'].read() == \
        b'payload'

    uid = int(subprocess.check_output(['id', '-u', 'www-data']))
    for d, dirs, names in os.walk(srv.data):
        for n in dirs + names:
            assert os.lstat(os.path.join(d, n)).st_uid == uid, (d, n)
    assert mode(srv.data) == 0o700

    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(5)
    s.connect(sock_path(srv))           # root passes the modes
    try:
        s.sendall(frame(OP_BUCKET_LIST))
        assert s.recv(100) == b''       # closed: no answer
    except (BrokenPipeError, ConnectionResetError):
        pass
    s.close()
    assert wait_log(srv, 'refused a connection from uid 0')

    s3.delete_object(Bucket='www', Key='a/b')
    s3.delete_bucket(Bucket='www')


def test_loose_modes_tightened(fresh_server):
    """A data directory of an older version (db/ 0755, the socket beside
    it): the metadata process makes its directories 0700 again."""

    srv = fresh_server
    srv.stop()
    for d in ('db', 'objects', 'run'):
        os.chmod(os.path.join(srv.data, d), 0o755)
    srv.start()
    for d in ('db', 'objects', 'run'):
        assert mode(os.path.join(srv.data, d)) == 0o700, d
    assert wait_log(srv, 'was mode 0755, now 0700')
