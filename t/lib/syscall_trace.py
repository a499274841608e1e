"""Parse an `strace -f` trace of nginx and check the order of the syscalls
that make an acknowledged PUT survive a power cut.

The trace is written by strace -f -ttt -T -x -s <large> with
SYSCALLS (see below) and `-e raw=` for the body writes. Each syscall
becomes an Event with two positions: where it was entered and where it
returned (the line number of its "<unfinished ...>" and of its
"resumed" line, or the one line of a syscall nothing interrupted).
strace stops a traced thread at each syscall entry and exit and prints
it before letting the thread go on, so a syscall that returned before
another one was entered (on any thread of any process) has a smaller
exit position than that one's entry position: the order of the lines is
the order of the events that caused one another.

A call's effect falls between its two positions, and so the descriptor
tables are replayed by them: a descriptor is given its file or socket
at the exit of the call that made it (openat, accept, connect, bind) and
freed, or looked up by a call that uses it, at that call's entry.  A
close frees the number early in the call: a pool thread's openat may
return that number before the close on the event loop has returned, and
the thread's fsync of it is still the directory's.

Byte streams are rebuilt per socket (the HTTP connections the workers
accepted, the metadata connections: the worker's end connected to
<s3_data>/run/meta.sock, the metadata process's end accepted on it) and
per LevelDB log file (<s3_data>/db/NNNNNN.log, split into LevelDB's log
records). Metadata frames are u32 length, u32 id, u8 op or status, body
(ngx_http_s3_wire.h).

check_put() then demands, for one PUT answered 200:

  - the metadata process wrote a LevelDB log record holding the key,
    after it had received a request frame holding the key, and synced
    that log file (fsync or fdatasync entered after the write returned)
    before it began to send the reply frame of that request id;
  - the worker had that reply before it began to write the 200;
  - the body: either files named by the request frame (a body id, 32 hex
    characters, that is the name of a file created under objects/ in the
    trace), each synced after its last write and its directory synced
    after the file was created, both before the request frame's first
    byte was sent, and so were the parents of directories made for it
    (mkdir in the trace: the fan-out); or, with no body file, the body's
    bytes are in a log record written before that log sync (an object
    stored inline).

Which thread does what is not assumed: fsyncs may run on thread-pool
threads, the metadata process may answer from a thread and sync once for
several requests (group commit), small bodies may live in the record.
"""

import os
import re
import struct

SYSCALLS = ('fsync,fdatasync,write,writev,pwrite64,pwritev,pwritev2,'
            'sendto,sendmsg,sendfile,read,readv,recvfrom,recvmsg,openat,'
            'close,accept4,accept,connect,bind,clone,clone3,fork,vfork,'
            'mkdir,mkdirat')
RAW = 'pwrite64,pwritev,pwritev2'

_LINE = re.compile(r'^(\d+) +(\d+\.\d+) (.*)$')
_RESUMED = re.compile(r'^<\.\.\. (\w+) resumed>(.*)$')
_CALL = re.compile(r'^(\w+)\((.*)$')
_STR = re.compile(r'"((?:[^"\\]|\\.)*)"(\.\.\.)?')
_ESC = {'n': 10, 't': 9, 'r': 13, 'v': 11, 'f': 12, 'a': 7, 'b': 8,
        '"': 34, '\\': 92, "'": 39, '?': 63}

BLOCK = 32768                          # LevelDB log block


def unescape(s):
    """strace's C-style string to bytes."""

    out = bytearray()
    i = 0
    n = len(s)
    while i < n:
        c = s[i]
        if c != '\\':
            out += c.encode('utf-8', 'surrogateescape')
            i += 1
            continue
        e = s[i + 1]
        if e == 'x':
            out.append(int(s[i + 2:i + 4], 16))
            i += 4
        elif e in '01234567':
            j = i + 1
            while j < n and j < i + 4 and s[j] in '01234567':
                j += 1
            out.append(int(s[i + 1:j], 8) & 0xff)
            i = j
        else:
            out.append(_ESC[e])
            i += 2
    return bytes(out)


def _split_call(text):
    """'args) = ret rest' -> (args, ret, rest): the closing parenthesis
    of the call is found outside quoted strings."""

    depth = 1
    i = 0
    n = len(text)
    while i < n:
        c = text[i]
        if c == '"':
            i += 1
            while i < n and text[i] != '"':
                i += 2 if text[i] == '\\' else 1
        elif c in '([{':
            depth += 1
        elif c in ')]}':
            depth -= 1
            if depth == 0:
                break
        i += 1
    args = text[:i]
    m = re.match(r'\)\s*= (\S+)(.*)$', text[i:])
    if not m:
        return args, None, ''
    ret = m.group(1)
    try:
        ret = int(ret, 0)
    except ValueError:
        ret = None
    return args, ret, m.group(2)


class Event:
    __slots__ = ('entry', 'exit', 'tid', 'tgid', 'name', 'args', 'ret',
                 'rest', 'obj', 'data', 'truncated', 'time')

    def __init__(self, entry, tid, name, time):
        self.entry = entry
        self.exit = entry
        self.tid = tid
        self.tgid = tid
        self.name = name
        self.args = ''
        self.ret = None
        self.rest = ''
        self.obj = None
        self.data = None
        self.truncated = False
        self.time = time

    def fd(self):
        m = re.match(r'\s*(-?\d+)', self.args)
        return int(m.group(1)) if m else None

    def __repr__(self):
        return '<%s tid %d [%s..%s] %s(%s) = %s>' % (
            self.name, self.tid, self.entry, self.exit, self.name,
            self.args[:80], self.ret)


class Obj:
    """An open file or socket: one per open/accept/connect, so that a
    reused descriptor number is another object."""

    _n = 0

    def __init__(self, kind, path=None, flags=''):
        Obj._n += 1
        self.n = Obj._n
        self.kind = kind               # file, dir, http, meta, listen, ...
        self.path = path
        self.flags = flags
        self.out = Stream()            # bytes written / sent
        self.inp = Stream()            # bytes read / received

    def __repr__(self):
        return '<%s %d %s>' % (self.kind, self.n, self.path or '')


class Stream:
    def __init__(self):
        self.data = bytearray()
        self.events = []               # (start offset, end offset, event)
        self.broken = False            # a string cut by strace's -s

    def add(self, ev, data):
        start = len(self.data)
        self.data += data
        self.events.append((start, len(self.data), ev))
        if ev.truncated:
            self.broken = True

    def event_at(self, off):
        for s, e, ev in self.events:
            if s <= off < e:
                return ev
        return None


class Frame:
    __slots__ = ('id', 'code', 'body', 'first', 'last', 'obj')

    def __init__(self, fid, code, body, first, last, obj):
        self.id = fid
        self.code = code
        self.body = body
        self.first = first             # event holding the first byte
        self.last = last               # event holding the last byte
        self.obj = obj


def frames(obj, stream):
    out = []
    d = stream.data
    off = 0
    while off + 9 <= len(d):
        length, fid, code = struct.unpack('>IIB', bytes(d[off:off + 9]))
        end = off + 4 + length
        if length < 5 or end > len(d):
            break
        out.append(Frame(fid, code, bytes(d[off + 9:end]),
                         stream.event_at(off), stream.event_at(end - 1),
                         obj))
        off = end
    return out


def log_records(stream):
    """LevelDB log records of a log file written from its start: (bytes,
    event holding the record's last byte)."""

    d = stream.data
    out = []
    off = 0
    frag = bytearray()
    while off < len(d):
        left = BLOCK - off % BLOCK
        if left < 7:
            off += left
            continue
        if off + 7 > len(d):
            break
        length = d[off + 4] | d[off + 5] << 8
        kind = d[off + 6]
        end = off + 7 + length
        if end > len(d):
            break
        if kind == 0 and length == 0:          # zero padding
            off += left
            continue
        frag += d[off + 7:end]
        if kind in (1, 4):                     # FULL, LAST
            out.append((bytes(frag), stream.event_at(end - 1)))
            frag = bytearray()
        elif kind == 2:                        # FIRST
            frag = bytearray(d[off + 7:end])
        off = end
    return out


# calls that give a descriptor a new object (at their exit)
_MAKES_FD = ('openat', 'accept4', 'accept', 'bind', 'connect')

_HEX32 = re.compile(rb'(?<![0-9a-f])[0-9a-f]{32}(?![0-9a-f])')


class Trace:
    """Everything check_put() needs, from the text of one trace."""

    def __init__(self, text):
        self.events = []
        self.problems = []
        self._parse(text)
        self._threads()
        self._objects()

    # parsing

    def _parse(self, text):
        pending = {}
        lines = text.splitlines()
        for idx, line in enumerate(lines):
            m = _LINE.match(line)
            if not m:
                continue
            tid, t, body = int(m.group(1)), float(m.group(2)), m.group(3)
            r = _RESUMED.match(body)
            if r:
                ev = pending.pop(tid, None)
                if ev is None or ev.name != r.group(1):
                    continue
                ev.exit = idx
                args, ev.ret, ev.rest = _split_call(r.group(2))
                ev.args += args
                self.events.append(ev)
                continue
            c = _CALL.match(body)
            if not c:
                continue
            ev = Event(idx, tid, c.group(1), t)
            rest = c.group(2)
            if rest.endswith('<unfinished ...>'):
                ev.args = rest[:-len('<unfinished ...>')].rstrip()
                pending[tid] = ev
                continue
            ev.args, ev.ret, ev.rest = _split_call(rest)
            self.events.append(ev)
        self.events.sort(key=lambda e: e.exit)

    def _threads(self):
        """tid -> thread group (process), from clone's flags."""

        parent = {}
        for ev in self.events:
            if ev.name in ('clone', 'clone3', 'fork', 'vfork') \
               and isinstance(ev.ret, int) and ev.ret > 0:
                parent[ev.ret] = (ev.tid, 'CLONE_THREAD' in ev.args)
        self.parent = parent

        def tgid(t, seen=0):
            p = parent.get(t)
            if p is None or not p[1] or seen > 100:
                return t
            return tgid(p[0], seen + 1)

        for ev in self.events:
            ev.tgid = tgid(ev.tid)

    # descriptors and streams

    def _objects(self):
        fds = {}                         # tgid -> {fd: Obj}
        self.objs = []
        self.syncs = []                  # events of fsync/fdatasync
        self.writes = []                 # file writes
        self.mkdirs = {}                 # directory made -> its event
        meta_listen = set()

        def table(ev):
            t = fds.get(ev.tgid)
            if t is None:
                p = self.parent.get(ev.tgid)
                base = fds.get(self._tgid_of(p[0])) if p else None
                t = dict(base) if base else {}
                fds[ev.tgid] = t
            return t

        def new(kind, path=None, flags=''):
            o = Obj(kind, path, flags)
            self.objs.append(o)
            return o

        # which object each descriptor names, in the order the kernel
        # changed the tables: a descriptor is made when its call returns
        # (exit) and freed, or looked up, as its call begins (entry); in
        # exit order, a pool thread's openat that got the number a close
        # on the event loop was still finishing would be lost to that
        # close, and the fsync of that descriptor with it
        for ev in sorted(self.events, key=lambda e: e.exit
                         if e.name in _MAKES_FD else e.entry):
            t = table(ev)
            name = ev.name
            ok = isinstance(ev.ret, int) and ev.ret >= 0
            if name == 'openat' and ok:
                strs = _STR.findall(ev.args)
                path = unescape(strs[0][0]).decode('utf-8', 'replace') \
                    if strs else ''
                dirfd = ev.args.split(',', 1)[0].strip()
                if not path.startswith('/') and dirfd != 'AT_FDCWD':
                    base = t.get(int(dirfd))
                    if base and base.path:
                        path = os.path.join(base.path, path)
                flags = ev.args.split(',')[2] if ev.args.count(',') >= 2 \
                    else ''
                t[ev.ret] = new('file', os.path.normpath(path),
                                flags.strip())
                ev.obj = t[ev.ret]
                continue
            if name in ('mkdir', 'mkdirat') and ev.ret == 0:
                strs = _STR.findall(ev.args)
                if strs:
                    path = unescape(strs[0][0]).decode('utf-8', 'replace')
                    self.mkdirs.setdefault(os.path.normpath(path), ev)
                continue
            if name in ('accept4', 'accept') and ok:
                lfd = ev.fd()
                if lfd in meta_listen_fds(t, meta_listen):
                    t[ev.ret] = new('meta-server')
                elif 'AF_INET' in ev.args:
                    t[ev.ret] = new('http')
                else:
                    t[ev.ret] = new('socket')
                ev.obj = t[ev.ret]
                continue
            if name == 'bind' and ev.ret == 0:
                if 'meta.sock' in ev.args:
                    o = new('meta-listen')
                    t[ev.fd()] = o
                    meta_listen.add(o)
                continue
            if name == 'connect' and (ev.ret == 0 or 'EINPROGRESS'
                                      in ev.rest):
                if 'meta.sock' in ev.args:
                    t[ev.fd()] = new('meta-client')
                    ev.obj = t[ev.fd()]
                continue
            if name == 'close':
                t.pop(ev.fd(), None)
                continue
            ev.obj = t.get(ev.fd())

        # what was written, read and synced, in the order the calls ended
        for ev in self.events:
            name = ev.name
            ok = isinstance(ev.ret, int) and ev.ret >= 0
            o = ev.obj
            if name in _MAKES_FD or name in ('mkdir', 'mkdirat', 'close'):
                continue
            if name in ('fsync', 'fdatasync'):
                if ev.ret == 0 and o is not None:
                    self.syncs.append(ev)
                continue
            if name in ('pwrite64', 'pwritev', 'pwritev2'):
                if o is not None and ok:
                    self.writes.append(ev)
                continue
            if o is None or not ok:
                continue
            data, truncated = self._data(ev)
            if data is None:
                continue
            ev.truncated = truncated
            if name in ('write', 'writev', 'sendto', 'sendmsg'):
                if o.kind == 'file':
                    self.writes.append(ev)
                o.out.add(ev, data)
            elif name in ('read', 'readv', 'recvfrom', 'recvmsg'):
                o.inp.add(ev, data)

    def _tgid_of(self, tid):
        for ev in self.events:
            if ev.tid == tid:
                return ev.tgid
        return tid

    @staticmethod
    def _data(ev):
        """The bytes a read or write moved (ret of them): strings cut by
        -s are padded with zeros to their length."""

        n = ev.ret
        strs = _STR.findall(ev.args)
        if ev.name in ('writev', 'readv', 'sendmsg', 'recvmsg'):
            strs = [s for s in re.findall(r'iov_base=("(?:[^"\\]|\\.)*"'
                                          r'(?:\.\.\.)?)', ev.args)]
            strs = [_STR.match(s).groups() for s in strs]
        elif strs:
            strs = strs[:1]
        if not strs:
            return (b'\0' * n, True) if n else (b'', False)
        data = b''
        cut = False
        for s, dots in strs:
            data += unescape(s)
            cut = cut or bool(dots)
        if len(data) < n:
            data += b'\0' * (n - len(data))
            cut = True
        return data[:n], cut


def meta_listen_fds(table, listen):
    return {fd for fd, o in table.items() if o in listen}


class Checker:
    """The PUTs of a trace and their order (check_put)."""

    def __init__(self, trace):
        self.t = trace
        self.http = [o for o in trace.objs if o.kind == 'http']
        self.req_frames = []           # metadata process side
        self.rep_frames = []
        self.sent_frames = []          # worker side
        self.got_frames = []
        for o in trace.objs:
            if o.kind == 'meta-server':
                self.req_frames += frames(o, o.inp)
                self.rep_frames += frames(o, o.out)
            elif o.kind == 'meta-client':
                self.sent_frames += frames(o, o.out)
                self.got_frames += frames(o, o.inp)
        self.logs = []                 # (record, event, obj)
        self.bodies = {}               # body id -> [file Obj]
        for o in trace.objs:
            if o.kind != 'file' or not o.path:
                continue
            if re.search(r'/db/\d+\.log$', o.path):
                if 'O_TRUNC' in o.flags or 'O_CREAT' in o.flags:
                    for rec, ev in log_records(o.out):
                        self.logs.append((rec, ev, o))
            name = os.path.basename(o.path)
            if '/objects/' in o.path and re.fullmatch('[0-9a-f]{32}', name) \
               and 'O_CREAT' in o.flags:
                self.bodies.setdefault(name, []).append(o)
        self.logs.sort(key=lambda x: x[1].exit)
        self.responses = self._http()

    def _http(self):
        """(method, path) -> [(status, event of the response's first
        byte)], over every HTTP connection, requests paired with
        responses in order (no pipelining)."""

        out = {}
        for o in self.http:
            reqs = _messages(o.inp.data, request=True)
            reps = _messages(o.out.data, request=False)
            for (head, _), (rhead, roff) in zip(reqs, reps):
                line = head.split(b'\r\n', 1)[0].split()
                status = int(rhead.split()[1])
                path = line[1].split(b'?', 1)[0].decode('latin-1')
                out.setdefault((line[0].decode(), path), []).append(
                    (status, o.out.event_at(roff)))
        return out

    def check_put(self, bucket, key, body):
        """[] if the PUT of bucket/key was made durable before its 200;
        otherwise what is missing or out of order."""

        what = '%s/%s' % (bucket, key)
        path = '/%s/%s' % (bucket, key)
        answers = [a for a in self.responses.get(('PUT', path), [])
                   if a[0] == 200]
        if not answers:
            return ['%s: no 200 to its PUT in the trace' % what]
        w = answers[0][1]
        kb = key.encode()

        # the log record of the key, written before the 200
        logs = [x for x in self.logs if kb in x[0] and x[1].exit < w.entry]
        if not logs:
            return ['%s: no LevelDB log record holding the key was '
                    'written before the 200' % what]
        rec, lw, log = logs[0]

        # the request frame it came from, and its reply
        reqs = [f for f in self.req_frames
                if kb in f.body and f.last.exit < lw.exit
                and f.last.tgid == lw.tgid]
        if not reqs:
            return ['%s: the log record was written before a request '
                    'naming the key was received' % what]
        req = reqs[-1]
        reps = [f for f in self.rep_frames
                if f.obj is req.obj and f.id == req.id
                and f.first.entry > req.last.exit]
        if not reps:
            return ['%s: no reply to request id %d' % (what, req.id)]
        rep = reps[0]

        bad = []
        syncs = sorted((s for s in self.t.syncs
                        if s.obj is log and s.entry > lw.exit),
                       key=lambda s: s.exit)
        if not syncs:
            bad.append('%s: the log %s was never synced after its record '
                       'was written' % (what, log.path))
        elif syncs[0].exit > rep.first.entry:
            bad.append('%s: the reply to request id %d was sent before the '
                       'log %s was synced' % (what, req.id, log.path))

        # the worker's side: the same frame sent, its reply read, then 200
        sent = [f for f in self.sent_frames
                if f.id == req.id and f.body == req.body
                and f.first.entry < req.last.exit]
        if not sent:
            bad.append('%s: the request frame id %d is not among the '
                       "worker's frames" % (what, req.id))
            return bad
        sent = sent[-1]
        got = [f for f in self.got_frames
               if f.obj is sent.obj and f.id == req.id
               and f.body == rep.body and f.last.exit > rep.first.entry]
        if not got:
            bad.append('%s: the worker did not read the reply id %d'
                       % (what, req.id))
        elif got[0].last.exit > w.entry:
            bad.append('%s: the 200 was written before the reply id %d was '
                       'read' % (what, req.id))
        if syncs and syncs[0].exit > w.entry:
            bad.append('%s: the 200 was written before the log was synced'
                       % what)

        # the body: files named by the request, or inline in the record
        ids = [m.decode() for m in _HEX32.findall(req.body)
               if m.decode() in self.bodies]
        if not ids:
            # inline: in the record, or in another record written before
            # the sync that made the key's record durable
            limit = syncs[0].entry if syncs else lw.exit + 0.5
            if not any(body in r for r, e, _ in self.logs
                       if e.exit < limit):
                bad.append('%s: the request names no body file and the '
                           'body is in no log record synced with the '
                           "key's" % what)
            return bad
        for bid in ids:
            bad += self._body(what, bid, sent.first)
        return bad

    def _body(self, what, bid, sent):
        bad = []
        files = self.bodies[bid]
        path = files[0].path
        created = files[0]
        opened = [e for e in self.t.events if e.obj is created
                  and e.name == 'openat']
        t0 = opened[0].exit if opened else -1
        same = {o for o in self.t.objs if o.path == path}
        writes = [e for e in self.t.writes if e.obj in same]
        last = max([e.exit for e in writes] + [t0])
        if 'O_SYNC' in created.flags or 'O_DSYNC' in created.flags:
            synced = last
        else:
            synced = min([s.exit for s in self.t.syncs
                          if s.obj in same and s.entry > last],
                         default=None)
        if synced is None:
            bad.append('%s: body %s never synced after its last write'
                       % (what, path))
        elif synced > sent.entry:
            bad.append('%s: the request naming body %s was sent before the '
                       'body was synced' % (what, path))
        d = os.path.dirname(path)
        ds = sorted(s.exit for s in self.t.syncs
                    if s.obj is not None and s.obj.path == d and s.entry > t0)
        if not ds:
            bad.append('%s: directory %s never synced after the body was '
                       'created' % (what, d))
        elif ds[0] > sent.entry:
            bad.append('%s: the request naming body %s was sent before its '
                       'directory was synced' % (what, path))

        # a fan-out directory made on the way is durable in its parent
        while '/objects/' in d:
            made = self.t.mkdirs.get(d)
            parent = os.path.dirname(d)
            if made is not None:
                ps = sorted(s.exit for s in self.t.syncs
                            if s.obj is not None and s.obj.path == parent
                            and s.entry > made.exit)
                if not ps or ps[0] > sent.entry:
                    bad.append('%s: directory %s made for body %s was not '
                               'synced in %s before the request was sent'
                               % (what, d, path, parent))
            d = parent
        return bad

    # a check of the checker

    def delay_syncs(self, kind):
        """Move every sync of a LevelDB log (kind 'log') or of a body file
        or body directory (kind 'body') to just after the next frame its
        process began to send on a metadata connection: the order a
        broken build would have. check_put() must then object."""

        sends = sorted((f.first for f in self.rep_frames + self.sent_frames),
                       key=lambda e: e.entry)
        for s in self.t.syncs:
            p = s.obj.path or ''
            if kind == 'log' and not re.search(r'/db/\d+\.log$', p):
                continue
            if kind == 'body' and '/objects/' not in p:
                continue
            nxt = [e for e in sends if e.tgid == s.tgid and e.entry > s.exit]
            if nxt:
                s.entry = s.exit = nxt[0].entry + 0.5


def _messages(data, request):
    """HTTP/1.1 messages of a stream: (head, offset of the head); bodies
    by Content-Length (a response to a PUT, an error or a bucket
    creation always has one)."""

    out = []
    off = 0
    data = bytes(data)
    while off < len(data):
        end = data.find(b'\r\n\r\n', off)
        if end < 0:
            break
        head = data[off:end]
        m = re.search(rb'(?im)^content-length:\s*(\d+)', head)
        n = int(m.group(1)) if m else 0
        if not request and head.split(b' ', 2)[1:2] == [b'100']:
            n = 0
        out.append((head, off))
        off = end + 4 + n
    if not request:
        out = [x for x in out if x[0].split(b' ', 2)[1:2] != [b'100']]
    return out
