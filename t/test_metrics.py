"""The s3_metrics endpoint: Prometheus' text format (parsed with Debian's
python3-prometheus-client), counters that move by exactly the requests
made, across both workers, nginx's own refusals included; counters that
survive a reload; LevelDB's numbers from the metadata process; Debian's
prometheus server scraping it and answering a request rate through its
query API; every metric the Grafana dashboard in docs/ names is
exported."""

import json
import os
import re
import shutil
import socket
import subprocess
import tempfile
import threading
import time
import urllib.parse
import urllib.request

import pytest
from prometheus_client.parser import text_string_to_metric_families

import sigv4
import s3server
from conftest import boto_client, new_bucket_name
from s3raw import assert_error, assert_ok, request

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

METRICS = '        location = /metrics { s3_metrics; }\n'


@pytest.fixture(scope='module')
def msrv():
    srv = s3server.S3Server(
        name='metrics',
        http_extra='    limit_req_zone $s3_access_key zone=mk:1m '
                   'rate=1r/m;',
        server_extra=METRICS + '        location /slow- { limit_req '
                     'zone=mk; s3; }\n')
    srv.start()
    yield srv
    srv.teardown()


def scrape_text(srv):
    with urllib.request.urlopen(srv.endpoint + '/metrics', timeout=10) as r:
        assert r.status == 200
        ctype = r.headers['Content-Type']
        assert ctype.startswith('text/plain; version=0.0.4'), ctype
        return r.read().decode('utf-8')


def families(text):
    return {f.name: f for f in text_string_to_metric_families(text)}


def samples(text):
    """{(sample name, sorted labels): value}"""

    out = {}
    for f in text_string_to_metric_families(text):
        for s in f.samples:
            out[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return out


def scrape(srv):
    return samples(scrape_text(srv))


def req_counts(smp):
    return {(dict(k[1])['operation'], dict(k[1])['status']): v
            for k, v in smp.items() if k[0] == 's3_requests_total'}


def delta(before, after, name):
    """{labels: after - before} of one sample name, zeros left out."""

    out = {}
    for k, v in after.items():
        if k[0] != name:
            continue
        d = v - before.get(k, 0)
        if d:
            out[k[1]] = d
    return out


def settle(srv, check, timeout=5):
    """Scrape until check(samples) holds: a worker counts a request in
    its log phase, just after the response went out."""

    deadline = time.time() + timeout
    while True:
        smp = scrape(srv)
        if check(smp) or time.time() > deadline:
            return smp
        time.sleep(0.05)


def raw_exchange(srv, data):
    """One request on its own connection: the bytes of the response."""

    s = socket.create_connection(('127.0.0.1', srv.port), timeout=10)
    try:
        s.sendall(data)
        s.shutdown(socket.SHUT_WR)
        out = b''
        while True:
            b = s.recv(65536)
            if not b:
                return out
            out += b
    finally:
        s.close()


def test_format(msrv):
    text = scrape_text(msrv)
    fams = families(text)
    want = {
        's3_requests': 'counter',
        's3_received_bytes': 'counter',
        's3_sent_bytes': 'counter',
        's3_request_duration_seconds': 'histogram',
        's3_metadata_request_duration_seconds': 'histogram',
        's3_metadata_requests_pending': 'gauge',
    }
    for name, typ in want.items():
        assert name in fams, sorted(fams)
        assert fams[name].type == typ, (name, fams[name].type)
        assert fams[name].documentation
    # HELP and TYPE for every family, in that order, once
    for name in re.findall(r'^# TYPE (\S+) ', text, re.M):
        assert text.count('# TYPE %s ' % name) == 1
        assert '# HELP %s ' % name in text
    # an operation for every row of the routing table, and Unknown
    ops = {dict(k[1])['operation'] for k in samples(text)
           if k[0] == 's3_requests_total'}
    assert {'ListBuckets', 'CreateBucket', 'PutObject', 'GetObject',
            'HeadObject', 'ListObjectsV2', 'DeleteObjects',
            'Unknown'} <= ops
    # HEAD: the headers only; other methods are refused
    r = request(msrv, 'HEAD', '/metrics', sign=False)
    assert r.status == 200 and r.body == b''
    r = request(msrv, 'POST', '/metrics', sign=False, body=b'x')
    assert r.status == 405


def test_counters_move_by_the_requests_made(msrv):
    srv = msrv
    s3 = boto_client(srv)
    bkt = new_bucket_name('metrics')
    hb = sigv4.sign_headers('HEAD', srv.host, '/' + bkt, [], {}, b'',
                            srv.access_key, srv.secret_key, srv.region)
    head_req = ('HEAD /%s HTTP/1.1\r\nHost: %s\r\n%s\r\n' % (
        bkt, srv.host, ''.join('%s: %s\r\n' % kv for kv in hb.items()))
    ).encode()

    before = scrape(srv)

    s3.create_bucket(Bucket=bkt)
    for i in range(5):
        s3.put_object(Bucket=bkt, Key='k%d' % i, Body=b'x' * (1000 + i))
    for i in range(3):
        s3.get_object(Bucket=bkt, Key='k%d' % i)['Body'].read()
    for i in range(2):
        with pytest.raises(Exception):
            s3.get_object(Bucket=bkt, Key='missing')
    s3.head_object(Bucket=bkt, Key='k0')
    with pytest.raises(Exception):
        s3.head_object(Bucket=bkt, Key='missing')
    s3.list_objects_v2(Bucket=bkt)
    s3.list_objects_v2(Bucket=bkt, Prefix='k')
    s3.delete_object(Bucket=bkt, Key='k4')
    # anonymous: refused by the module, still GetObject
    assert_error(request(srv, 'GET', '/%s/k0' % bkt, sign=False), 403,
                 'AccessDenied')
    # no operation: an unknown sub-resource, a URI nginx refused
    assert_error(request(srv, 'GET', '/' + bkt, query=[('website', '')]),
                 501, 'NotImplemented')
    assert_error(request(srv, 'GET', '/%s/%%zz' % bkt), 400, 'InvalidURI')
    # limit_req (rate 1r/m): the second is SlowDown, through error_page
    slow = 'slow-' + bkt[:20]
    assert_error(request(srv, 'GET', '/%s/x' % slow), 404, 'NoSuchBucket')
    assert_error(request(srv, 'GET', '/%s/x' % slow), 503, 'SlowDown')
    # raw HeadBucket requests: their bytes in and out are known exactly
    sent_in = sent_out = 0
    for _ in range(3):
        out = raw_exchange(srv, head_req)
        assert out.startswith(b'HTTP/1.1 200 '), out
        sent_in += len(head_req)
        sent_out += len(out)

    want = {
        ('CreateBucket', '2xx'): 1,
        ('PutObject', '2xx'): 5,
        ('GetObject', '2xx'): 3,
        ('GetObject', '4xx'): 2 + 1 + 1,
        ('GetObject', '5xx'): 1,
        ('HeadObject', '2xx'): 1,
        ('HeadObject', '4xx'): 1,
        ('ListObjectsV2', '2xx'): 2,
        ('DeleteObject', '2xx'): 1,
        ('HeadBucket', '2xx'): 3,
        ('Unknown', '4xx'): 1,
        ('Unknown', '5xx'): 1,
    }
    total = sum(want.values())

    def done(smp):
        got = req_counts(smp)
        old = req_counts(before)
        return sum(got.values()) - sum(old.values()) >= total

    after = settle(srv, done)
    time.sleep(0.2)
    after = scrape(srv)

    got = {(dict(k)['operation'], dict(k)['status']): v
           for k, v in delta(before, after, 's3_requests_total').items()}
    assert got == want

    # a histogram observation per request, in every operation
    counts = delta(before, after, 's3_request_duration_seconds_count')
    by_op = {}
    for (op, _), n in want.items():
        by_op[op] = by_op.get(op, 0) + n
    assert {dict(k)['operation']: v for k, v in counts.items()} == by_op
    for op in by_op:
        lab = (('le', '+Inf'), ('operation', op))
        assert after[('s3_request_duration_seconds_bucket', lab)] == \
            after[('s3_request_duration_seconds_count',
                   (('operation', op),))]
        series = sorted(
            (float(dict(k[1])['le']), v) for k, v in after.items()
            if k[0] == 's3_request_duration_seconds_bucket'
            and dict(k[1])['operation'] == op)
        assert [v for _, v in series] == sorted(v for _, v in series)
    assert delta(before, after, 's3_request_duration_seconds_sum')

    # bytes: exact for the raw requests
    rx = delta(before, after, 's3_received_bytes_total')
    tx = delta(before, after, 's3_sent_bytes_total')
    assert rx[(('operation', 'HeadBucket'),)] == sent_in
    assert tx[(('operation', 'HeadBucket'),)] == sent_out
    assert tx[(('operation', 'GetObject'),)] > 3 * 1000
    assert rx[(('operation', 'PutObject'),)] > 5 * 1000

    # the metadata round trips: at least one per request that got that far
    md = delta(before, after, 's3_metadata_request_duration_seconds_count')
    assert md[()] >= 1 + 5 + 3 + 2 + 2 + 2 + 1 + 3 + 1
    assert after[('s3_metadata_requests_pending', ())] == 0


def test_counted_across_workers_concurrently(msrv):
    """Many connections at once, both workers: not one count lost."""

    srv = msrv
    bkt = new_bucket_name('conc')
    s3 = boto_client(srv)
    s3.create_bucket(Bucket=bkt)
    s3.put_object(Bucket=bkt, Key='o', Body=b'y' * 4096)
    key = (('operation', 'GetObject'), ('status', '2xx'))
    before = scrape(srv)
    n_threads, n_each = 8, 25
    errors = []

    def run():
        c = boto_client(srv)
        try:
            for _ in range(n_each):
                c.get_object(Bucket=bkt, Key='o')['Body'].read()
        except Exception as e:                 # noqa: BLE001
            errors.append(e)

    ts = [threading.Thread(target=run) for _ in range(n_threads)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    assert not errors
    want = before[('s3_requests_total', key)] + n_threads * n_each
    after = settle(srv, lambda s: s[('s3_requests_total', key)] >= want)
    time.sleep(0.2)
    after = scrape(srv)
    assert after[('s3_requests_total', key)] == want


def test_survives_reload(make_server):
    srv = make_server(server_extra=METRICS)
    s3 = boto_client(srv)
    bkt = new_bucket_name('reload')
    s3.create_bucket(Bucket=bkt)
    for i in range(4):
        s3.put_object(Bucket=bkt, Key='k%d' % i, Body=b'z')
    key = ('s3_requests_total', (('operation', 'PutObject'),
                                 ('status', '2xx')))
    before = settle(srv, lambda s: s[key] == 4)
    assert before[key] == 4
    srv.reload()
    after = scrape(srv)
    for k, v in before.items():
        if k[0].startswith('s3_leveldb') or k[0].startswith('s3_metadata'):
            continue
        assert after.get(k) == v, k
    s3 = boto_client(srv)
    s3.put_object(Bucket=bkt, Key='k9', Body=b'z')
    after = settle(srv, lambda s: s[key] == 5)
    assert after[key] == 5


def test_leveldb_published(make_server):
    srv = make_server(server_extra=METRICS)
    ts = 's3_leveldb_stats_timestamp_seconds', ()
    first = settle(srv, lambda s: ts in s, timeout=8)
    assert first[ts] > time.time() - 60
    for level in range(7):
        assert ('s3_leveldb_files', (('level', str(level)),)) in first
    assert first[('s3_leveldb_disk_bytes', ())] > 0
    assert first[('s3_leveldb_memory_bytes', ())] > 0
    s3 = boto_client(srv)
    bkt = new_bucket_name('ldb')
    s3.create_bucket(Bucket=bkt)
    for i in range(50):
        s3.put_object(Bucket=bkt, Key='key-%03d' % i, Body=b'v')
    later = settle(srv, lambda s: s[ts] > first[ts], timeout=8)
    assert later[('s3_leveldb_disk_bytes', ())] > \
        first[('s3_leveldb_disk_bytes', ())]


def test_two_locations_one_zone(make_server):
    """Every s3_metrics location shows the same counters."""

    srv = make_server(server_extra=METRICS.replace('/metrics', '/m2')
                      + METRICS)
    boto_client(srv).list_buckets()
    key = ('s3_requests_total', (('operation', 'ListBuckets'),
                                 ('status', '2xx')))
    a = settle(srv, lambda s: s[key] >= 2)
    with urllib.request.urlopen(srv.endpoint + '/m2') as r:
        b = samples(r.read().decode())
    assert a[key] == b[key] >= 2


def dashboard_exprs():
    with open(os.path.join(TOP, 'docs', 'grafana-dashboard.json')) as f:
        dash = json.load(f)
    exprs = []

    def walk(o):
        if isinstance(o, dict):
            for k, v in o.items():
                if k == 'expr' and isinstance(v, str):
                    exprs.append(v)
                else:
                    walk(v)
        elif isinstance(o, list):
            for v in o:
                walk(v)

    walk(dash)
    return exprs


def test_bucket_usage_exported(msrv):
    """Per-bucket usage, read from the metadata process at scrape time:
    exactly the bucket's objects, bytes and open uploads' parts."""

    s3 = boto_client(msrv)
    bkt = new_bucket_name('mbkt')
    s3.create_bucket(Bucket=bkt)

    def usage():
        smp = scrape(msrv)
        return {k[0]: v for k, v in smp.items()
                if k[0].startswith('s3_bucket_') and
                dict(k[1]).get('bucket') == bkt}

    assert usage() == {'s3_bucket_objects': 0, 's3_bucket_bytes': 0,
                       's3_bucket_noncurrent_versions': 0,
                       's3_bucket_noncurrent_bytes': 0,
                       's3_bucket_upload_parts': 0,
                       's3_bucket_upload_bytes': 0}
    s3.put_object(Bucket=bkt, Key='a', Body=b'x' * 1000)
    s3.put_object(Bucket=bkt, Key='b', Body=b'y' * 24)
    s3.put_object(Bucket=bkt, Key='a', Body=b'z' * 10)
    up = s3.create_multipart_upload(Bucket=bkt, Key='mp')
    s3.upload_part(Bucket=bkt, Key='mp', UploadId=up['UploadId'],
                   PartNumber=3, Body=b'p' * 77)
    u = usage()
    assert (u['s3_bucket_objects'], u['s3_bucket_bytes'],
            u['s3_bucket_upload_parts'], u['s3_bucket_upload_bytes']) == \
        (2, 34, 1, 77)
    s3.abort_multipart_upload(Bucket=bkt, Key='mp', UploadId=up['UploadId'])
    s3.delete_object(Bucket=bkt, Key='a')
    u = usage()
    assert (u['s3_bucket_objects'], u['s3_bucket_bytes'],
            u['s3_bucket_upload_bytes']) == (1, 24, 0)
    s3.delete_object(Bucket=bkt, Key='b')
    s3.delete_bucket(Bucket=bkt)
    assert usage() == {}


def test_grafana_dashboard_names_exported_metrics(msrv):
    exprs = dashboard_exprs()
    assert len(exprs) >= 8
    # a bucket, for the per-bucket families
    s3 = boto_client(msrv)
    bkt = new_bucket_name('graf')
    s3.create_bucket(Bucket=bkt)
    # LevelDB's numbers are there once the metadata process published
    ts = ('s3_leveldb_stats_timestamp_seconds', ())
    smp = settle(msrv, lambda s: ts in s, timeout=8)
    names = {k[0] for k in smp}
    used = set()
    for e in exprs:
        for m in re.findall(r'\b(s3_[a-z0-9_]+)\b', e):
            used.add(m)
            assert m in names, 'dashboard query %r names %s, not ' \
                'exported' % (e, m)
    # and the dashboard shows the main families
    for m in ('s3_requests_total', 's3_request_duration_seconds_bucket',
              's3_sent_bytes_total', 's3_received_bytes_total',
              's3_metadata_request_duration_seconds_bucket',
              's3_metadata_requests_pending', 's3_leveldb_disk_bytes',
              's3_bucket_bytes', 's3_bucket_objects'):
        assert m in used, m
    s3.delete_bucket(Bucket=bkt)


PROMETHEUS = shutil.which('prometheus')


@pytest.mark.skipif(PROMETHEUS is None,
                    reason="Debian's prometheus package is not installed")
def test_prometheus_reads_a_request_rate(make_server, tmp_path):
    """Debian's prometheus scrapes the endpoint every 0.5 s; a steady
    stream of GETs is read back as a rate through its query API."""

    srv = make_server(server_extra=METRICS)
    port = s3server.free_port()
    conf = tmp_path / 'prometheus.yml'
    conf.write_text(
        'global:\n'
        '  scrape_interval: 500ms\n'
        '  evaluation_interval: 500ms\n'
        'scrape_configs:\n'
        '  - job_name: s3\n'
        '    metrics_path: /metrics\n'
        '    static_configs:\n'
        '      - targets: ["127.0.0.1:%d"]\n' % srv.port)
    log = open(tmp_path / 'prometheus.log', 'wb')
    proc = subprocess.Popen(
        [PROMETHEUS, '--config.file=%s' % conf,
         '--storage.tsdb.path=%s' % (tmp_path / 'data'),
         '--web.listen-address=127.0.0.1:%d' % port, '--log.level=warn'],
        stdin=subprocess.DEVNULL, stdout=log, stderr=log)
    api = 'http://127.0.0.1:%d/api/v1/query?query=' % port

    def query(q):
        with urllib.request.urlopen(api + urllib.parse.quote(q),
                                    timeout=5) as r:
            d = json.loads(r.read())
        assert d['status'] == 'success', d
        return d['data']['result']

    stop = threading.Event()
    sent = [0]

    def load():
        c = boto_client(srv)
        bkt = new_bucket_name('prom')
        c.create_bucket(Bucket=bkt)
        c.put_object(Bucket=bkt, Key='o', Body=b'p' * 100)
        while not stop.is_set():
            c.get_object(Bucket=bkt, Key='o')['Body'].read()
            sent[0] += 1
            time.sleep(0.01)

    t = threading.Thread(target=load)
    try:
        t.start()
        deadline = time.time() + 30
        rate = None
        while time.time() < deadline:
            time.sleep(0.5)
            try:
                res = query('sum(rate(s3_requests_total{operation='
                            '"GetObject",status="2xx"}[3s]))')
            except OSError:
                continue                    # not listening yet
            if res and float(res[0]['value'][1]) > 0:
                rate = float(res[0]['value'][1])
                break
        assert rate is not None, (tmp_path / 'prometheus.log').read_text()
        # what prometheus saw is what was sent, at most
        res = query('s3_requests_total{operation="GetObject",'
                    'status="2xx"}')
        assert 0 < float(res[0]['value'][1]) <= sent[0]
        # a rate of the order of the load (up to 100/s)
        assert 1 < rate < 200, rate
        res = query('histogram_quantile(0.99, sum by (le) (rate('
                    's3_request_duration_seconds_bucket{operation='
                    '"GetObject"}[3s])))')
        assert res and float(res[0]['value'][1]) > 0
        # every query of the Grafana dashboard is valid PromQL
        for e in dashboard_exprs():
            query(e.replace('$instance', '.*')
                   .replace('$__rate_interval', '3s'))
    finally:
        stop.set()
        t.join()
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


def test_single_process(tmp_path):
    """master_process off: the same counters, LevelDB's numbers from the
    one process."""

    from test_single_process import SingleProcess
    srv = SingleProcess(name='msingle', server_extra=METRICS)
    srv.start()
    try:
        s3 = boto_client(srv)
        bkt = new_bucket_name('single')
        s3.create_bucket(Bucket=bkt)
        s3.put_object(Bucket=bkt, Key='k', Body=b'abc')
        ts = ('s3_leveldb_stats_timestamp_seconds', ())
        smp = settle(srv, lambda s: ts in s)
        assert smp[('s3_requests_total', (('operation', 'PutObject'),
                                          ('status', '2xx')))] == 1
        assert smp[('s3_metadata_request_duration_seconds_count', ())] >= 3
        assert smp[('s3_metadata_requests_pending', ())] == 0
    finally:
        srv.teardown()
