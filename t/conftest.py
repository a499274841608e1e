"""Fixtures: a real nginx with the S3 module, and clients for it.

    server        one server per test file (module scope)
    fresh_server  one server per test, for tests that kill or reload
    make_server   factory: make_server(http_extra=..., region=...)
    s3            a boto3 client of `server`: path style, SigV4, no retries
    bucket        a new empty bucket on `server`, named after the test
    new_bucket_name()  a unique valid bucket name
    ceph          a single-node Ceph cluster with RGW (session scope,
                  t/lib/cephcluster.py), skipped if Ceph is not installed
                  unless S3_CEPH_REQUIRED is set
    rgw           a boto3 client of `ceph`'s RGW, as its S3 user

Run with Debian's Python: /usr/bin/python3 -m pytest t/
"""

import os
import re
import sys
import uuid

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                'lib'))

# never read the machine's own AWS settings
for _v in list(os.environ):
    if _v.startswith('AWS_'):
        del os.environ[_v]
os.environ['AWS_CONFIG_FILE'] = '/dev/null'
os.environ['AWS_SHARED_CREDENTIALS_FILE'] = '/dev/null'
os.environ['AWS_EC2_METADATA_DISABLED'] = 'true'

import boto3                     # noqa: E402
import botocore.config           # noqa: E402

import cephcluster               # noqa: E402
import gateway as gatewaylib      # noqa: E402
import s3server                  # noqa: E402


def pytest_configure(config):
    config.addinivalue_line(
        'markers', 'slow: takes most of a minute (the Debian package '
        'build); skip with -m "not slow"')


def boto_client(server, access_key=None, secret=None, addressing='path',
                region=None, **config):
    cfg = botocore.config.Config(
        region_name=region or server.region,
        signature_version='s3v4',
        s3={'addressing_style': addressing},
        retries={'total_max_attempts': 1, 'mode': 'standard'},
        connect_timeout=5, read_timeout=60, max_pool_connections=32,
        **config)
    return boto3.session.Session().client(
        's3', endpoint_url=server.endpoint,
        aws_access_key_id=access_key or server.access_key,
        aws_secret_access_key=secret or server.secret_key,
        config=cfg)


def new_bucket_name(hint='t'):
    """3-63 chars, lowercase, digits and single hyphens."""

    hint = re.sub(r'[^a-z0-9]+', '-', hint.lower()).strip('-')
    tail = uuid.uuid4().hex[:10]
    hint = hint[:63 - len(tail) - 1].strip('-') or 't'
    return '%s-%s' % (hint, tail)


def _start(request, **kw):
    try:
        srv = s3server.S3Server(**kw)
    except RuntimeError as e:          # module missing
        msg = str(e)
    else:
        return srv.start()
    pytest.fail(msg, pytrace=False)


@pytest.fixture(scope='module')
def server(request):
    srv = _start(request, name=request.module.__name__)
    yield srv
    srv.teardown()


@pytest.fixture
def fresh_server(request):
    srv = _start(request, name=request.node.name[:30])
    yield srv
    srv.teardown()


@pytest.fixture
def make_server(request):
    made = []

    def make(**kw):
        kw.setdefault('name', request.node.name[:30])
        srv = _start(request, **kw)
        made.append(srv)
        return srv

    yield make
    errors = []
    for srv in made:
        try:
            srv.teardown()
        except AssertionError as e:
            errors.append(str(e))
    if errors:
        pytest.fail('\n'.join(errors), pytrace=False)


@pytest.fixture(scope='module')
def s3(server):
    return boto_client(server)


@pytest.fixture
def bucket(request, s3):
    name = new_bucket_name(request.node.name)
    s3.create_bucket(Bucket=name)
    return name


@pytest.fixture(scope='session')
def ceph():
    reason = cephcluster.missing()
    if reason:
        if os.environ.get('S3_CEPH_REQUIRED'):
            pytest.fail(reason, pytrace=False)
        pytest.skip(reason)
    cluster = cephcluster.CephCluster()
    try:
        cluster.start()
    except cephcluster.CephError as e:
        pytest.fail('the Ceph cluster did not start: %s' % e, pytrace=False)
    yield cluster
    cluster.teardown()


@pytest.fixture(scope='session')
def rgw(ceph):
    return boto_client(ceph)


@pytest.fixture(scope='module')
def gateway(request, ceph):
    """ngx_s3 with every bucket backed by the Ceph cluster's RGW, with a
    proxy cache (t/lib/gateway.py, docs/gateway.md)."""

    try:
        srv = gatewaylib.start_gateway(ceph, name=request.module.__name__)
    except RuntimeError as e:
        pytest.fail(str(e), pytrace=False)
    yield srv
    srv.teardown()


@pytest.fixture
def make_gateway(request, ceph):
    """Start gateways with other settings: make_gateway(valid='1s')."""

    made = []

    def make(**kw):
        kw.setdefault('name', request.node.name[:30])
        srv = gatewaylib.start_gateway(ceph, **kw)
        made.append(srv)
        return srv

    yield make
    for srv in made:
        srv.teardown()


@pytest.fixture
def gbucket(request, rgw):
    """A bucket made at RGW directly, removed with all it holds."""

    name = new_bucket_name(request.node.name)
    rgw.create_bucket(Bucket=name)
    yield name
    gatewaylib.drop_bucket(rgw, name)


@pytest.fixture(scope='module')
def gw(gateway):
    """boto3 client to the gateway, with ngx_s3's own root key."""
    return boto_client(gateway)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """On a failure, show the tail of every live server's error.log, and
    of the Ceph daemons' logs if the test uses the cluster."""

    outcome = yield
    rep = outcome.get_result()
    if rep.failed:
        for srv in list(s3server._live):
            rep.sections.append(('nginx error.log tail (%s)' % srv.tmp,
                                 srv.log_tail()))
        if 'ceph' in getattr(item, 'fixturenames', ()):
            for cluster in list(cephcluster._live):
                rep.sections.append(('Ceph logs (%s)' % cluster.tmp,
                                     cluster.logs(15)))


@pytest.fixture(scope='session')
def payloads(tmp_path_factory):
    """Files for the interop round trips: small text and 20 MiB binary."""

    d = tmp_path_factory.mktemp('payloads')
    small = d / 'small.txt'
    small.write_bytes(b'hello from ngx_s3 interop\n' * 40)
    big = d / 'big.bin'
    with open(big, 'wb') as f:
        f.write(os.urandom(20 * 1024 * 1024 + 12345))
    return {'small': small, 'big': big, 'dir': d}


def same_file(a, b):
    with open(a, 'rb') as fa, open(b, 'rb') as fb:
        while True:
            x = fa.read(1 << 20)
            y = fb.read(1 << 20)
            if x != y:
                return False
            if not x:
                return True


def file_md5(path):
    import hashlib
    h = hashlib.md5()
    with open(path, 'rb') as f:
        for c in iter(lambda: f.read(1 << 20), b''):
            h.update(c)
    return h.hexdigest()
