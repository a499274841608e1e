"""Gateway mode (docs/gateway.md): who may do what on a bucket of the
upstream's.  Clients sign with ngx_s3's keys, never the upstream's; root
keys may do everything; a managed key gets what the bucket's local record
(made by the operator's CreateBucket through the gateway) grants it: its
bucket policy and ACL stay ngx_s3's."""

import json
import os

import botocore.exceptions
import pytest

from conftest import boto_client, new_bucket_name
import gateway as gatewaylib
from s3admin import admin_kwargs, new_user_key, write_key_file
from s3raw import KeepAlive, assert_ok


@pytest.fixture(scope='module')
def agw(ceph, tmp_path_factory):
    """A gateway with the admin API, for managed keys."""

    d = tmp_path_factory.mktemp('gwkeys')
    kf = write_key_file(str(d / 's3.key'), [os.urandom(32)])
    kw = admin_kwargs(kf)
    srv = gatewaylib.start_gateway(ceph, name='gwaccess',
                                   http_extra=kw['http_extra'],
                                   server_extra=kw['server_extra'])
    yield srv
    srv.teardown()


def code_of(e):
    return e.response['Error']['Code']


def test_upstream_keys_are_not_ngx_s3_keys(agw, ceph):
    """The upstream's credentials do not open the gateway."""

    c = boto_client(agw, ceph.access_key, ceph.secret_key)
    with pytest.raises(botocore.exceptions.ClientError) as e:
        c.list_buckets()
    assert code_of(e.value) == 'InvalidAccessKeyId'


def test_managed_key_by_bucket_policy(agw, rgw):
    root = boto_client(agw)
    name = new_bucket_name('gwacc')
    root.create_bucket(Bucket=name)
    root.put_object(Bucket=name, Key='pub/a', Body=b'public a')
    root.put_object(Bucket=name, Key='priv/b', Body=b'private b')
    # the upstream has the bucket and the objects
    assert rgw.get_object(Bucket=name, Key='pub/a')['Body'].read() \
        == b'public a'

    ak, sk = new_user_key(agw, 'gwalice')
    alice = boto_client(agw, ak, sk)

    # nothing granted yet
    for call in (lambda: alice.get_object(Bucket=name, Key='pub/a'),
                 lambda: alice.list_objects_v2(Bucket=name),
                 lambda: alice.put_object(Bucket=name, Key='x', Body=b'x'),
                 lambda: alice.create_bucket(Bucket=new_bucket_name('no')),
                 lambda: alice.list_buckets()):
        with pytest.raises(botocore.exceptions.ClientError) as e:
            call()
        assert code_of(e.value) == 'AccessDenied'

    # the policy is ngx_s3's, on the local record, not the upstream's
    pol = {'Version': '2012-10-17', 'Statement': [{
        'Effect': 'Allow',
        'Principal': {'AWS': 'arn:aws:iam::000000000000:user/gwalice'},
        'Action': ['s3:GetObject'],
        'Resource': ['arn:aws:s3:::%s/pub/*' % name]}]}
    root.put_bucket_policy(Bucket=name, Policy=json.dumps(pol))
    assert json.loads(root.get_bucket_policy(Bucket=name)['Policy']) == pol
    with pytest.raises(botocore.exceptions.ClientError) as e:
        rgw.get_bucket_policy(Bucket=name)
    assert code_of(e.value) == 'NoSuchBucketPolicy'

    assert alice.get_object(Bucket=name, Key='pub/a')['Body'].read() \
        == b'public a'
    for call in (lambda: alice.get_object(Bucket=name, Key='priv/b'),
                 lambda: alice.put_object(Bucket=name, Key='pub/x',
                                          Body=b'x'),
                 lambda: alice.delete_object(Bucket=name, Key='pub/a'),
                 lambda: alice.copy_object(
                     Bucket=name, Key='pub/c',
                     CopySource={'Bucket': name, 'Key': 'priv/b'})):
        with pytest.raises(botocore.exceptions.ClientError) as e:
            call()
        assert code_of(e.value) == 'AccessDenied'
    # nothing changed upstream
    keys = [o['Key'] for o in rgw.list_objects_v2(Bucket=name)['Contents']]
    assert sorted(keys) == ['priv/b', 'pub/a']


def test_bucket_made_upstream_only_is_root_only(agw, rgw):
    """A bucket made at the upstream directly has no local record: only
    root keys reach it."""

    name = new_bucket_name('gwdirect')
    rgw.create_bucket(Bucket=name)
    rgw.put_object(Bucket=name, Key='k', Body=b'direct')
    root = boto_client(agw)
    assert root.get_object(Bucket=name, Key='k')['Body'].read() == b'direct'
    ak, sk = new_user_key(agw, 'gwbob')
    bob = boto_client(agw, ak, sk)
    with pytest.raises(botocore.exceptions.ClientError) as e:
        bob.get_object(Bucket=name, Key='k')
    assert code_of(e.value) == 'AccessDenied'


def test_denied_then_same_connection(agw):
    """An error, then another request on the same keep-alive connection."""

    root = boto_client(agw)
    name = new_bucket_name('gwka')
    root.create_bucket(Bucket=name)
    with KeepAlive(agw) as ka:
        # the upstream's error, as it sent it
        r = ka.request('GET', '/%s/missing' % name)
        assert r.status == 404 and b'<Code>NoSuchKey</Code>' in r.body
        r = ka.request('PUT', '/%s/k' % name, body=b'v')
        assert_ok(r)
        r = ka.request('GET', '/%s/k' % name)
        assert_ok(r)
        assert r.body == b'v'
        r = ka.request('GET', '/%s/k' % name,
                       headers={'Authorization': 'AWS4-HMAC-SHA256 bad'},
                       sign=False)
        assert r.status in (400, 403)
        r = ka.request('GET', '/%s/k' % name)
        assert_ok(r)
        assert r.body == b'v'


def test_run_sh_gateway_mode(ceph, rgw):
    """`S3_GATEWAY=... make run`: scripts/run.sh in gateway mode, with its
    own keys, in front of the Ceph cluster; a round trip with boto3."""

    import shutil
    import subprocess
    import tempfile
    import urllib.parse

    import s3server

    run_sh = os.path.join(os.path.dirname(os.path.dirname(
        os.path.abspath(__file__))), 'scripts', 'run.sh')
    data = tempfile.mkdtemp(prefix='ngx_s3_rungw_')
    port = s3server.free_port()
    env = {
        'PATH': '/usr/sbin:/usr/bin:/sbin:/bin', 'HOME': data,
        'LANG': 'C.UTF-8', 'S3_DATA': data,
        'S3_LISTEN': '127.0.0.1:%d' % port,
        'S3_GATEWAY': urllib.parse.urlparse(ceph.endpoint).netloc,
        'S3_GATEWAY_ACCESS_KEY': ceph.access_key,
        'S3_GATEWAY_SECRET_KEY': ceph.secret_key,
    }
    try:
        p = subprocess.run([run_sh], env=env, capture_output=True,
                           timeout=60, stdin=subprocess.DEVNULL)
        assert p.returncode == 0, p.stderr.decode()
        creds = {}
        for line in open(os.path.join(data, 'credentials')):
            k, v = line.split(' ', 1)[1].strip().split('=', 1)
            creds[k] = v
        import boto3
        import botocore.config
        c = boto3.client(
            's3', endpoint_url=creds['AWS_ENDPOINT_URL'],
            aws_access_key_id=creds['AWS_ACCESS_KEY_ID'],
            aws_secret_access_key=creds['AWS_SECRET_ACCESS_KEY'],
            region_name='us-east-1',
            config=botocore.config.Config(s3={'addressing_style': 'path'}))
        name = new_bucket_name('rungw')
        c.create_bucket(Bucket=name)
        c.put_object(Bucket=name, Key='k', Body=b'through run.sh')
        assert rgw.get_object(Bucket=name, Key='k')['Body'].read() \
            == b'through run.sh'
        assert c.get_object(Bucket=name, Key='k')['Body'].read() \
            == b'through run.sh'
    finally:
        subprocess.run([run_sh, 'stop'], env=env, capture_output=True,
                       timeout=60, stdin=subprocess.DEVNULL)
        log = os.path.join(data, 'nginx', 'logs', 'error.log')
        text = open(log).read() if os.path.exists(log) else ''
        shutil.rmtree(data, ignore_errors=True)
    bad = [ln for ln in text.splitlines()
           if '[alert]' in ln or '[emerg]' in ln or '[crit]' in ln]
    assert not bad, bad


HOP = """
    log_format hop '$request_uri|$http_authorization|$http_x_amz_date|'
                   '$http_x_amz_content_sha256|$http_x_amz_security_token|'
                   '$http_x_amz_decoded_content_length|$http_content_encoding|'
                   '$http_x_amz_meta_color|$http_x_amz_trailer';
    server {
        listen 127.0.0.1:%(port)d;
        access_log %(log)s hop;
        location / {
            proxy_pass http://%(rgw)s;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host $http_host;
            proxy_request_buffering off;
            proxy_buffering off;
        }
    }
"""


def test_what_reaches_the_upstream(ceph, make_gateway, tmp_path):
    """Through a logging hop between the gateway and RGW: the upstream sees
    the gateway's credentials with a fresh date and every x-amz-* header
    signed; never the client's signature, presigned parameters, security
    token or aws-chunked framing."""

    import hashlib
    import time
    import urllib.parse
    import urllib.request

    import s3server
    from test_checksums import Chunked, STREAMING, kpath

    port = s3server.free_port()
    log = str(tmp_path / 'hop.log')
    rgw_addr = urllib.parse.urlparse(ceph.endpoint).netloc
    srv = make_gateway(
        upstream_server='127.0.0.1:%d' % port,
        http_extra=HOP % {'port': port, 'log': log, 'rgw': rgw_addr})
    c = boto_client(srv)
    name = new_bucket_name('gwhop')
    c.create_bucket(Bucket=name)
    c.put_object(Bucket=name, Key='m', Body=b'meta', Metadata={'color': 'red'})
    # boto3's default presigning in us-east-1 is SigV2
    import boto3
    v2 = boto3.session.Session().client(
        's3', endpoint_url=srv.endpoint, region_name='us-east-1',
        aws_access_key_id=srv.access_key,
        aws_secret_access_key=srv.secret_key)
    url = v2.generate_presigned_url('get_object',
                                    Params={'Bucket': name, 'Key': 'm'})
    assert 'AWSAccessKeyId' in url
    assert urllib.request.urlopen(url).read() == b'meta'
    url = c.generate_presigned_url('get_object',
                                   Params={'Bucket': name, 'Key': 'm'})
    assert 'X-Amz-Signature' in url
    assert urllib.request.urlopen(url).read() == b'meta'
    data = os.urandom(70000)
    ch = Chunked(srv, kpath(name, 'chunked'), data, STREAMING)
    assert ch.send().status == 200
    time.sleep(1.2)                  # the hop's access log is written

    lines = [ln.rstrip('\n').split('|') for ln in open(log)]
    assert len(lines) >= 5, lines
    for (uri, auth, date, sha, token, decoded, enc, color,
         trailer) in lines:
        assert auth.startswith('AWS4-HMAC-SHA256 Credential=%s/'
                               % ceph.access_key), auth
        assert srv.access_key not in auth
        for bad in ('X-Amz-Signature', 'X-Amz-Credential', 'Signature=',
                    'AWSAccessKeyId', srv.access_key):
            assert bad not in uri, uri
        assert token == '-' and decoded == '-' and trailer == '-'
        assert enc in ('-', ''), enc
        assert abs(time.mktime(time.strptime(date, '%Y%m%dT%H%M%SZ'))
                   - time.mktime(time.gmtime())) < 30, date
        signed = auth.split('SignedHeaders=')[1].split(',')[0].split(';')
        assert {'host', 'x-amz-date', 'x-amz-content-sha256'} <= set(signed)
        if color != '-':
            assert 'x-amz-meta-color' in signed
        if uri.endswith('/chunked'):
            assert sha == 'UNSIGNED-PAYLOAD'
        elif uri.endswith('/m') and color != '-':
            # the client's own hex hash, for the upstream to check
            assert sha == hashlib.sha256(b'meta').hexdigest()
    assert any(ln[0].endswith('/chunked') for ln in lines)
    assert any(ln[7] == 'red' for ln in lines)
    rgw = boto_client(ceph)
    assert rgw.get_object(Bucket=name, Key='chunked')['Body'].read() == data


def test_http2_tls_edge(make_gateway, ceph, tmp_path):
    """TLS and HTTP/2 at the edge, RGW behind: presigned PUT and GET with
    curl --http2, and an aws-chunked upload over HTTP/2 (the request body
    filter under HTTP/2), each compared with RGW's copy."""

    import shutil
    import subprocess

    import s3server
    import sigv4
    from test_checksums import Chunked, STREAMING, kpath

    curl, openssl = shutil.which('curl'), shutil.which('openssl')
    if not curl or not openssl:
        pytest.skip('curl or openssl missing')
    crt, key = str(tmp_path / 'cert.pem'), str(tmp_path / 'key.pem')
    subprocess.run([openssl, 'req', '-x509', '-newkey', 'rsa:2048', '-nodes',
                    '-days', '1', '-subj', '/CN=127.0.0.1', '-addext',
                    'subjectAltName=IP:127.0.0.1', '-keyout', key, '-out',
                    crt], check=True, capture_output=True)
    port = s3server.free_port()
    srv = make_gateway(server_extra=(
        '        listen 127.0.0.1:%d ssl http2;\n'
        '        ssl_certificate %s;\n        ssl_certificate_key %s;\n'
        % (port, crt, key)))
    tls = 'https://127.0.0.1:%d' % port
    c = boto_client(srv)
    rgw = boto_client(ceph)
    name = new_bucket_name('gwh2')
    c.create_bucket(Bucket=name)

    body = os.urandom(3 * 1024 * 1024 + 11)
    src = tmp_path / 'src'
    src.write_bytes(body)
    import boto3
    import botocore.config
    ct = boto3.session.Session().client(
        's3', endpoint_url=tls, verify=False,
        aws_access_key_id=srv.access_key,
        aws_secret_access_key=srv.secret_key,
        config=botocore.config.Config(region_name=srv.region,
                                      signature_version='s3v4',
                                      s3={'addressing_style': 'path'}))
    put = ct.generate_presigned_url('put_object', ExpiresIn=300,
                                    Params={'Bucket': name, 'Key': 'h2'})
    get = ct.generate_presigned_url('get_object', ExpiresIn=300,
                                    Params={'Bucket': name, 'Key': 'h2'})
    r = subprocess.run([curl, '-sk', '--http2', '-o', '/dev/null', '-w',
                        '%{http_version} %{http_code}', '-T', str(src), put],
                       capture_output=True, text=True, check=True)
    assert r.stdout == '2 200', r.stdout
    assert rgw.get_object(Bucket=name, Key='h2')['Body'].read() == body
    out = tmp_path / 'out'
    for _ in range(2):                 # a miss, then the cache
        r = subprocess.run([curl, '-sk', '--http2', '-o', str(out), '-w',
                            '%{http_version} %{http_code}', get],
                           capture_output=True, text=True, check=True)
        assert r.stdout == '2 200', r.stdout
        assert out.read_bytes() == body

    # aws-chunked over HTTP/2: the signed headers and encoded body of
    # t/test_checksums.py's Chunked, sent by curl
    data = os.urandom(200000)
    ch = Chunked(srv, kpath(name, 'chunked'), data, STREAMING)
    h = dict(ch.extra)
    h['Content-Length'] = str(len(ch.encode('0' * 64)))
    host = '127.0.0.1:%d' % port
    signed = sigv4.sign_headers('PUT', host, ch.path, [], h, b'',
                                srv.access_key, srv.secret_key, srv.region,
                                amz_date=ch.amz_date, payload_hash=STREAMING)
    seed = signed['Authorization'].rsplit('Signature=', 1)[1]
    for tamper, want in ((1, '403'), (None, '200')):
        enc = tmp_path / 'enc'
        enc.write_bytes(ch.encode(seed, tamper=tamper))
        args = [curl, '-sk', '--http2', '-o', str(tmp_path / 'resp'), '-w',
                '%{http_version} %{http_code}', '-X', 'PUT',
                '--data-binary', '@' + str(enc), tls + ch.path,
                '-H', 'Expect:']
        for k, v in signed.items():
            if k.lower() != 'host':
                args += ['-H', '%s: %s' % (k, v)]
        r = subprocess.run(args, capture_output=True, text=True, check=True)
        assert r.stdout == '2 ' + want, (r.stdout,
                                         (tmp_path / 'resp').read_bytes())
        if tamper is not None:
            assert b'SignatureDoesNotMatch' in (tmp_path / 'resp').read_bytes()
            with pytest.raises(botocore.exceptions.ClientError):
                rgw.head_object(Bucket=name, Key='chunked')
    assert rgw.get_object(Bucket=name, Key='chunked')['Body'].read() == data


def test_some_buckets_upstream(make_gateway, ceph):
    """s3_gateway_bucket: the buckets named go upstream, the others stay
    local, side by side on one server."""

    up = new_bucket_name('gwsel-up')
    local = new_bucket_name('gwsel-local')
    srv = make_gateway(buckets=[up])
    c = boto_client(srv)
    rgw = boto_client(ceph)
    c.create_bucket(Bucket=up)
    c.create_bucket(Bucket=local)
    c.put_object(Bucket=up, Key='k', Body=b'upstream')
    c.put_object(Bucket=local, Key='k', Body=b'local')
    assert rgw.get_object(Bucket=up, Key='k')['Body'].read() == b'upstream'
    with pytest.raises(botocore.exceptions.ClientError) as e:
        rgw.head_bucket(Bucket=local)
    assert e.value.response['Error']['Code'] == '404'
    assert c.get_object(Bucket=up, Key='k')['Body'].read() == b'upstream'
    assert c.get_object(Bucket=local, Key='k')['Body'].read() == b'local'
    # ListBuckets is the local one: the operator's record of both
    names = [b['Name'] for b in c.list_buckets()['Buckets']]
    assert local in names and up in names
