"""What a gateway (t/lib/gateway.py) asked of its upstream: an access log
of every request and slice subrequest with $upstream_cache_status and
the upstream's bytes, for the cache and fault tests; and the helpers
those tests share (RGW as a raw-request target, bucket cleanup, RGW's
usage counters).

    srv = start_gateway(cluster, http_extra=gwlog.HTTP_EXTRA)
    log = gwlog.CacheLog(srv)
    mark = log.mark()
    ... requests ...
    lines = log.since(mark)       # [Line], main requests last
"""

import os
import time
import types
import urllib.parse

from s3raw import error_fields

FORMAT = 'gwcache'

# one line per request and per slice subrequest (log_subrequest), tab
# separated; the path is relative to nginx's prefix (the server's tmp)
HTTP_EXTRA = """
    log_format %s '$msec\\t$request_method\\t$request_uri\\t$status\\t'
                  '$upstream_cache_status\\t$upstream_status\\t'
                  '$upstream_bytes_received\\t$upstream_response_length\\t'
                  '$slice_range\\t$body_bytes_sent';
    access_log gw_cache.log %s;
    log_subrequest on;
""" % (FORMAT, FORMAT)

# $upstream_cache_status of a request that did not use the cache
NO_CACHE = ('-', '', 'BYPASS')


def _sum(v):
    """$upstream_* of several upstream requests: "a, b : c"."""

    n = 0
    for part in v.replace(':', ',').split(','):
        part = part.strip()
        if part and part != '-':
            n += int(part)
    return n


class Line:
    def __init__(self, text):
        f = text.rstrip('\n').split('\t')
        self.text = text
        self.method = f[1]
        self.uri = f[2]
        self.status = int(f[3])
        self.cache = f[4]
        self.upstream_status = f[5]
        self.upstream_bytes = _sum(f[6])      # headers and bodies
        self.upstream_body = _sum(f[7])
        self.slice_range = f[8]
        self.sent = int(f[9])
        path = urllib.parse.urlsplit(self.uri).path
        parts = path.lstrip('/').split('/', 1)
        self.bucket = urllib.parse.unquote(parts[0])
        self.key = urllib.parse.unquote(parts[1]) if len(parts) > 1 else None

    @property
    def upstream_responses(self):
        """How many upstream answers this line counts."""

        if self.upstream_status in ('-', ''):
            return 0
        return len([s for s in
                    self.upstream_status.replace(':', ',').split(',')
                    if s.strip() not in ('', '-')])

    def __repr__(self):
        return '<Line %s>' % self.text.strip().replace('\t', ' | ')


class CacheLog:
    def __init__(self, srv):
        self.path = os.path.join(srv.tmp, 'gw_cache.log')

    def mark(self):
        try:
            return os.path.getsize(self.path)
        except OSError:
            return 0

    def _read(self, mark):
        try:
            with open(self.path, 'rb') as f:
                f.seek(mark)
                text = f.read().decode('utf-8', 'replace')
        except OSError:
            return []
        # a line being written is not a line yet
        return [Line(t) for t in text.splitlines(True) if t.endswith('\n')]

    def since(self, mark, want=1, settle=0.05, timeout=3.0):
        """The lines after mark: at least `want` of them (nginx logs a
        request after its last byte went out), then a short settle for
        lines still on their way."""

        deadline = time.monotonic() + timeout
        lines = self._read(mark)
        while len(lines) < want and time.monotonic() < deadline:
            time.sleep(0.02)
            lines = self._read(mark)
        time.sleep(settle)
        return self._read(mark)


def direct(cluster):
    """RGW as a target of s3raw.request and s3raw.KeepAlive."""

    return types.SimpleNamespace(
        host=cluster.host, port=cluster.rgw_port,
        access_key=cluster.access_key, secret_key=cluster.secret_key,
        region=cluster.region, endpoint=cluster.endpoint)


def rgw_usage(cluster, bucket, category, least, timeout=15.0):
    """RGW's counters of category once they reach `least` bytes_sent (or
    bytes_received for uploads), read again after RGW's flush interval
    (a second), so that what came after counts too."""

    field = 'bytes_received' if category.startswith('put') \
        else 'bytes_sent'
    deadline = time.monotonic() + timeout
    zero = dict.fromkeys(('bytes_sent', 'bytes_received', 'ops',
                          'successful_ops'), 0)
    while True:
        u = cluster.usage(bucket).get(category, zero)
        if u[field] >= least or time.monotonic() > deadline:
            break
        time.sleep(0.3)
    time.sleep(1.5)
    return cluster.usage(bucket).get(category, zero)


def upstream_error(resp, status, code):
    """An error of RGW's passed through the gateway: its status and Code
    (RGW's XML has no <Resource>), with ngx_s3's request id."""

    assert resp.status == status, 'want %d %s: %r' % (status, code, resp)
    assert resp.header('x-amz-request-id'), resp
    if resp.method != 'HEAD':
        assert error_fields(resp.body)['Code'] == code, resp
