"""The data directory as docs/on-disk-format.md describes it: body files
under objects/, LevelDB records (read with Debian's python3-plyvel while
nginx is stopped: LevelDB allows one process at a time).

    body_ids(server)            ids of the body files on disk
    INLINE_OFF                  http_extra for a server whose bodies are
                                all files (s3_inline_max 0)
    Db(server)                  the database, as a context manager
    decode(rec) / encode(fields) records: {tag: bytes} (tags of the format)
"""

import os
import struct
import time

try:
    import plyvel
except ImportError:                 # the tests that need it skip
    plyvel = None

INLINE_OFF = 's3_inline_max 0;'

TAG_SIZE = 1
TAG_ETAG = 3
TAG_BODY = 4
TAG_CHECKSUM = 15
TAG_EXTENTS = 16
TAG_PARTS = 17
TAG_UPLOAD_ID = 18


def body_ids(server):
    """Every body file under <data>/objects, by id."""

    out = set()
    for _, _, files in os.walk(os.path.join(server.data, 'objects')):
        out.update(files)
    return out


def wait_body_ids(server, want, timeout=5):
    """The delayed unlink takes 2 s: wait until the set is want."""

    deadline = time.time() + timeout
    while True:
        got = body_ids(server)
        if got == want or time.time() > deadline:
            return got
        time.sleep(0.1)


def decode(rec):
    """{tag: value}, the last value of a repeated tag."""

    out = {}
    pos = 0
    while pos < len(rec):
        tag = rec[pos]
        n, = struct.unpack('>I', rec[pos + 1:pos + 5])
        out[tag] = rec[pos + 5:pos + 5 + n]
        pos += 5 + n
    return out


def encode(fields):
    return b''.join(bytes([t]) + struct.pack('>I', len(v)) + v
                    for t, v in fields.items())


def u64(n):
    return struct.pack('>Q', n)


def extents(value):
    """[(body id, offset, length)] of tag 16."""

    out = []
    for i in range(0, len(value), 48):
        off, ln = struct.unpack('>QQ', value[i + 32:i + 48])
        out.append((value[i:i + 32].decode(), off, ln))
    return out


def encode_extents(items):
    return b''.join(b.encode() + struct.pack('>QQ', o, n)
                    for b, o, n in items)


def encode_parts(items):
    """[(size, md5 bytes, checksum bytes)] as tag 17."""

    return b''.join(struct.pack('>Q', s) + m + bytes([len(c)]) + c
                    for s, m, c in items)


def bodies_of(rec):
    """Body ids a record names, one per appearance."""

    f = decode(rec)
    if TAG_EXTENTS in f:
        return [b for b, _, _ in extents(f[TAG_EXTENTS])]
    if TAG_BODY in f:
        return [f[TAG_BODY].decode()]
    return []


class Db:
    """with Db(server) as db: ... (the server must be stopped)."""

    def __init__(self, server):
        if plyvel is None:
            raise RuntimeError('python3-plyvel is missing')
        self.path = os.path.join(server.data, 'db')
        self.db = None

    def __enter__(self):
        self.db = plyvel.DB(self.path)
        return self

    def __exit__(self, *exc):
        self.db.close()

    def get(self, key):
        return self.db.get(key)

    def put(self, key, value):
        self.db.put(key, value)

    def delete(self, key):
        self.db.delete(key)

    def prefix(self, p):
        return list(self.db.iterator(prefix=p))

    def refs(self):
        """{body id: count} of the R records."""

        return {k[1:].decode(): struct.unpack('>I', v)[0]
                for k, v in self.prefix(b'R')}

    def inline(self):
        """{body id: bytes} of the inline bodies (I records)."""

        return {k[1:].decode(): v for k, v in self.prefix(b'I')}

    def named(self):
        """{body id: appearances} in object and part records."""

        out = {}
        for p in (b'O', b'V', b'P'):
            for _, v in self.prefix(p):
                for b in bodies_of(v):
                    out[b] = out.get(b, 0) + 1
        return out

    def object(self, bucket, key):
        return self.get(b'O' + bucket.encode() + b'\0' + key.encode())


def check_consistent(server):
    """Stop the server, compare disk, records and counts, start it again:
    every body file is named by a record, every named body exists, and
    each count is the number of names."""

    server.stop()
    try:
        with Db(server) as db:
            named = db.named()
            refs = db.refs()
            inline = db.inline()
        files = body_ids(server)
    finally:
        server.start()
    assert refs == named, 'counts %r, names %r' % (refs, named)
    assert not (files & set(inline)), 'bodies both inline and files'
    assert set(inline) <= set(named), \
        'inline bodies no record names: %r' % (set(inline) - set(named))
    assert files | set(inline) == set(named), \
        'files no record names: %r; names without a file: %r' % (
            files - set(named), set(named) - files - set(inline))
    return named
