"""The web console (console/, docs/console.md) in a real browser.

nginx serves the module at / and the console's static files at /_console/
(s3server's console=True, the location scripts/run.sh writes). Debian's
chromium, driven by puppeteer-core (t/js/console.mjs), signs in, creates a
bucket, uploads a 30 MiB file (multipart, the progress bar moving), lists,
opens its details, downloads it through a presigned GET, pages through a
folder, deletes the object and the bucket, and signs out. Screenshots of
each step go to $S3_ARTEFACTS/console (or the test's tmp directory): the
test prints where.

The console's SigV4 signer is checked against AWS's published examples
under node (t/js/sigv4_vectors.mjs).

Cross-origin (t/js/cors.mjs): a page served by a second server block on
another port fetches an object with a presigned GET, uploads with a
presigned PUT (preflighted) and with a POST form from boto3's
generate_presigned_post (SigV4), the bytes read back equal; a request
whose preflight no CORS rule allows is refused in the browser and logged
by the server.
"""

import hashlib
import json
import os
import re
import shutil
import subprocess
import time
import urllib.error
import urllib.request

import pytest

import s3server
from conftest import boto_client, new_bucket_name

JS = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'js')
NODE = shutil.which('node', path='/usr/bin:/usr/local/bin')
CHROMIUM = shutil.which('chromium', path='/usr/bin:/usr/local/bin')
MiB = 1024 * 1024


def node_env(tmp_path, **extra):
    home = tmp_path / 'home'
    home.mkdir(exist_ok=True)
    env = {'PATH': '/usr/bin:/bin', 'HOME': str(home)}
    env.update({k: str(v) for k, v in extra.items()})
    return env


def need_node_modules():
    if NODE is None:
        pytest.fail('node is missing: run scripts/install-deps.sh test',
                    pytrace=False)
    if not os.path.isdir(os.path.join(JS, 'node_modules', 'puppeteer-core')):
        pytest.fail('t/js/node_modules/puppeteer-core is missing: run '
                    'scripts/install-deps.sh test', pytrace=False)
    if CHROMIUM is None:
        pytest.fail('chromium is missing: run scripts/install-deps.sh test',
                    pytrace=False)


def artefacts(tmp_path, name):
    base = os.environ.get('S3_ARTEFACTS')
    d = os.path.join(base, name) if base else str(tmp_path / 'artefacts')
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d)
    print('\nscreenshots of %s: %s' % (name, d))
    return d


def md5_file(path):
    h = hashlib.md5()
    with open(path, 'rb') as f:
        for chunk in iter(lambda: f.read(MiB), b''):
            h.update(chunk)
    return h.hexdigest()


def http_get(url, method='GET'):
    req = urllib.request.Request(url, method=method)
    opener = urllib.request.build_opener(NoRedirect)
    try:
        with opener.open(req, timeout=10) as r:
            return r.status, dict(r.headers), r.read()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read()


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kw):
        return None


# another origin: a second server block on its own port serving a small
# page, from which the browser calls S3 through CORS
OTHER_ORIGIN = '''
    server {{
        listen 127.0.0.1:{port};
        root {root};
        types {{
            text/html html;
        }}
    }}
'''

PAGE = '''<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>another origin</title>
<link rel="icon" href="data:,"></head>
<body><h1>A page on another origin</h1></body></html>
'''


@pytest.fixture(scope='module')
def console_server(tmp_path_factory):
    root = tmp_path_factory.mktemp('other_origin')
    (root / 'index.html').write_text(PAGE)
    port = s3server.free_port()
    srv = s3server.S3Server(name='console', console=True,
                            http_extra=OTHER_ORIGIN.format(port=port,
                                                           root=root))
    srv.start()
    srv.page_url = 'http://127.0.0.1:%d/' % port
    srv.page_origin = 'http://127.0.0.1:%d' % port
    yield srv
    srv.teardown()


def test_sigv4_vectors(tmp_path):
    """console/sigv4.js against AWS's published S3 SigV4 examples."""

    if NODE is None:
        pytest.fail('node is missing: run scripts/install-deps.sh test',
                    pytrace=False)
    p = subprocess.run([NODE, os.path.join(JS, 'sigv4_vectors.mjs')],
                       env=node_env(tmp_path), capture_output=True,
                       timeout=30, stdin=subprocess.DEVNULL)
    out = p.stdout.decode()
    assert p.returncode == 0 and 'not ok' not in out \
        and re.search(r'^1\.\.\d+$', out, re.M), \
        out + p.stderr.decode()


def test_static_files(console_server):
    """/_console/ is the console (types, security headers), /_console
    redirects to it, and / is still S3."""

    srv = console_server
    st, h, body = http_get(srv.endpoint + '/_console/')
    assert st == 200 and h['Content-Type'].startswith('text/html')
    assert b'<title>ngx_s3 console</title>' in body
    assert "frame-ancestors 'none'" in h['Content-Security-Policy']
    assert h['X-Content-Type-Options'] == 'nosniff'
    for name, ctype in (('app.js', 'text/javascript'),
                        ('sigv4.js', 'text/javascript'),
                        ('console.css', 'text/css')):
        st, h, _ = http_get(srv.endpoint + '/_console/' + name)
        assert st == 200 and h['Content-Type'] == ctype, name
    st, h, _ = http_get(srv.endpoint + '/_console')
    assert st == 301 and h['Location'].endswith('/_console/')
    st, _, _ = http_get(srv.endpoint + '/_console/missing.js')
    assert st == 404

    # S3 beside it: '_' is not allowed in a bucket name, so no bucket can
    # hide behind the console's path
    s3 = boto_client(srv)
    assert s3.list_buckets()['ResponseMetadata']['HTTPStatusCode'] == 200
    st, _, body = http_get(srv.endpoint + '/')
    assert st == 403 and b'<Code>AccessDenied</Code>' in body


def test_console_in_chromium(console_server, tmp_path):
    need_node_modules()
    srv = console_server
    s3 = boto_client(srv)
    shots = artefacts(tmp_path, 'console')
    downloads = tmp_path / 'downloads'
    downloads.mkdir()

    big = tmp_path / 'big.bin'
    big.write_bytes(os.urandom(30 * MiB))
    resume = tmp_path / 'resume.bin'
    resume.write_bytes(os.urandom(20 * MiB + 5))

    # a folder to page through, 2 keys a page: 5 objects and a subfolder
    paging = new_bucket_name('console-paging')
    s3.create_bucket(Bucket=paging)
    for i in range(5):
        s3.put_object(Bucket=paging, Key='dir/k%d.txt' % i, Body=b'x' * i)
    s3.put_object(Bucket=paging, Key='dir/sub/deep.txt', Body=b'deep')
    odd = 'dir/sp ace+plus%25 \u00e9?#.txt'
    s3.put_object(Bucket=paging, Key=odd, Body=b'odd key')

    bucket = new_bucket_name('console')
    log_size = os.path.getsize(os.path.join(srv.tmp, 'access.log'))
    env = node_env(tmp_path, S3_CONSOLE_URL=srv.endpoint + '/_console/',
                   S3_ACCESS_KEY=srv.access_key,
                   S3_SECRET_KEY=srv.secret_key, S3_BUCKET=bucket,
                   S3_FILE=big, S3_FILE2=resume, S3_ARTEFACTS=shots,
                   S3_DOWNLOADS=downloads,
                   S3_PAGING=paging + '/dir/', CHROMIUM=CHROMIUM)
    t0 = time.time()
    p = subprocess.run([NODE, os.path.join(JS, 'console.mjs')], env=env,
                       capture_output=True, timeout=120, cwd=JS,
                       stdin=subprocess.DEVNULL)
    out = p.stdout.decode('utf-8', 'replace')
    err = p.stderr.decode('utf-8', 'replace')
    steps = {}
    for line in out.splitlines():
        if line.startswith('{'):
            d = json.loads(line)
            steps[d.pop('step')] = d
    print('node: %.1f s' % (time.time() - t0))
    print('console.mjs: ' + ', '.join('%s %d ms' % (k, v.get('ms', 0))
                                      for k, v in steps.items()))
    assert p.returncode == 0 and 'ok' in steps, \
        'console.mjs exit %d (screenshots in %s)\n%s\n%s' % (
            p.returncode, shots, out, err)

    assert steps['page']['status'] == 200
    assert steps['page']['type'].startswith('text/html')

    # signed in against this page's own origin; the key in sessionStorage
    # only, never localStorage or a cookie
    login = steps['login']
    assert login['endpoint'] == srv.endpoint
    # signed first for another region, then for the one the error named
    assert login['who'] == srv.endpoint + ' (us-east-1)', login
    assert len(login['problems']) == 1 \
        and 'status of 400' in login['problems'][0], login
    assert 'ngx_s3_console.session' in login['stored']['session']
    assert login['stored']['local'] == []
    assert login['stored']['cookies'] == ''
    assert login['focused'] == 'buckets-h'

    # the progress bar went through values between 0 and 100, in order,
    # announced politely
    up = steps['upload']
    seen = up['seen']
    assert seen and seen[-1] == 100, up
    assert any(0 < v < 100 for v in seen), up
    assert seen == sorted(seen), up
    assert 'in parts' in up['info'], up
    assert up['live'] == 'polite'

    # multipart: four 8 MiB parts (the last 6 MiB), ETag "<md5>-4"
    with open(os.path.join(srv.tmp, 'access.log'), 'rb') as f:
        f.seek(log_size)
        log = f.read().decode('utf-8', 'replace')
    parts = set(re.findall(r'"PUT /%s/big\.bin\?partNumber=(\d+)&uploadId='
                           r'\S+ HTTP/1\.1" 200' % bucket, log))
    assert parts == {'1', '2', '3', '4'}, log[-3000:]
    assert re.search(r'"POST /%s/big\.bin\?uploads= HTTP' % bucket, log)
    assert re.search(r'"POST /%s/big\.bin\?uploadId=\S+ HTTP/1\.1" 200'
                     % bucket, log)

    # retried and resumed: part 3 retried in the upload, part 2 failed
    # twice, Resume listed the parts and sent part 2 alone; each part
    # stored once, the object whole
    rs = steps['resume']
    assert rs['fails'] == {'1': 0, '2': 2, '3': 1}, rs
    assert 'NetworkError' in rs['failed'], rs
    assert rs['resumeFocused'], rs
    assert re.search(r'done, 20 MiB in parts, [12] part\(s\) resumed',
                     rs['info']), rs
    for n in '123':
        assert len(re.findall(
            r'"PUT /%s/resume\.bin\?partNumber=%s&uploadId=\S+ HTTP/1\.1" '
            r'200' % (bucket, n), log)) == 1, (n, log[-3000:])
    assert len(re.findall(r'"GET /%s/resume\.bin\?uploadId=\S+ HTTP/1\.1" '
                          r'200' % bucket, log)) == 1
    data = resume.read_bytes()
    digests = b''.join(hashlib.md5(data[i:i + 8 * MiB]).digest()
                       for i in range(0, len(data), 8 * MiB))
    assert rs['etag'] == '"%s-3"' % hashlib.md5(digests).hexdigest(), rs

    row = steps['list']['row']
    assert row[0] == 'big.bin' and row[1] == '30 MiB', row

    details = steps['details']
    meta = dict(details['meta'])
    assert re.fullmatch(r'"[0-9a-f]{32}-4"', meta['etag']), meta
    assert meta['content-length'] == str(30 * MiB)
    # nothing of the browser's own request headers stored with it
    assert 'cache-control' not in meta and 'expires' not in meta, meta
    assert details['tags'] == 'No tags.'
    assert 'Version' in details['versions'] or 'version' in \
        details['versions']
    assert details['link'].startswith(srv.endpoint + '/%s/big.bin?'
                                      % bucket)
    assert 'X-Amz-Expires=86400' in details['link']

    # downloaded through the presigned GET: the same bytes
    assert steps['download']['files'] == ['big.bin']
    assert md5_file(downloads / 'big.bin') == md5_file(big)

    # paging: 2 keys a page (the subfolder is a CommonPrefix); a key that
    # needs encoding listed, HEAD and a presigned GET of it
    pg = steps['paging']
    assert pg['pages'] == [2, 4, 6, 7], pg
    assert pg['keys'] == [
        'dir/k0.txt', 'dir/k1.txt', 'dir/k2.txt', 'dir/k3.txt', 'dir/k4.txt',
        odd, 'dir/sub/'], pg
    assert pg['oddSeen'] == {'length': '7', 'status': 200,
                             'text': 'odd key'}, pg

    # deleted, and the bucket with it
    assert 'delete-bucket' in steps
    assert bucket not in [b['Name'] for b in s3.list_buckets()['Buckets']]
    assert re.search(r'"DELETE /%s/big\.bin HTTP/1\.1" 204' % bucket, log)

    assert 'ngx_s3_console.session' not in steps['logout']['session']
    assert steps['problems']['problems'] == []

    names = sorted(os.listdir(shots))
    for want in ('login', 'signed-in', 'bucket-created', 'listed',
                 'details', 'deleted', 'bucket-deleted'):
        assert any(n.endswith('-%s.png' % want) for n in names), names


# cross-origin

def cors_rules(s3, bucket, origin):
    s3.put_bucket_cors(Bucket=bucket, CORSConfiguration={'CORSRules': [{
        'AllowedOrigins': [origin],
        'AllowedMethods': ['GET', 'PUT', 'POST', 'HEAD'],
        'AllowedHeaders': ['*'],
        'ExposeHeaders': ['ETag'],
    }]})


def run_cors(srv, tmp_path, cases):
    need_node_modules()
    path = tmp_path / 'cases.json'
    path.write_text(json.dumps(cases))
    shots = artefacts(tmp_path, 'cross-origin')
    p = subprocess.run(
        [NODE, os.path.join(JS, 'cors.mjs')], cwd=JS,
        env=node_env(tmp_path, S3_PAGE_URL=srv.page_url, S3_CASES=path,
                     S3_ARTEFACTS=shots, CHROMIUM=CHROMIUM),
        capture_output=True, timeout=60, stdin=subprocess.DEVNULL)
    out = p.stdout.decode('utf-8', 'replace')
    assert p.returncode == 0, out + p.stderr.decode('utf-8', 'replace')
    res = json.loads(out.strip().splitlines()[-1])
    assert res['seen']['origin'] == srv.page_origin
    return res['seen'], res['console']


def sha256(b):
    return hashlib.sha256(b).hexdigest()


def test_cross_origin_presigned(console_server, tmp_path):
    srv = console_server
    s3 = boto_client(srv)
    bucket = new_bucket_name('cors-presigned')
    s3.create_bucket(Bucket=bucket)
    cors_rules(s3, bucket, srv.page_origin)
    body = os.urandom(MiB + 3)
    s3.put_object(Bucket=bucket, Key='read.bin', Body=body)

    def url(method, key):
        return s3.generate_presigned_url(
            method, Params={'Bucket': bucket, 'Key': key}, ExpiresIn=600)

    err_size = os.path.getsize(srv.error_log)
    log_size = os.path.getsize(os.path.join(srv.tmp, 'access.log'))
    seen, _ = run_cors(srv, tmp_path, {
        'get': {'url': url('get_object', 'read.bin')},
        'put': {'url': url('put_object', 'put.bin'), 'size': 300001},
        # DELETE is in no rule: the preflight is refused
        'refused': {'url': url('delete_object', 'read.bin'),
                    'method': 'DELETE'},
    })

    # the presigned GET read through CORS: the same bytes
    assert seen['get'].get('status') == 200, seen
    assert seen['get']['sha'] == sha256(body), seen

    # the presigned PUT after its preflight: stored as sent, ETag exposed
    assert seen['put'].get('status') == 200, seen
    got = s3.get_object(Bucket=bucket, Key='put.bin')['Body'].read()
    assert len(got) == 300001 and sha256(got) == seen['put']['sha']
    assert seen['put']['etag'] == '"%s"' % hashlib.md5(got).hexdigest()

    # refused in the browser, logged by the server, nothing deleted
    assert seen['refused']['rejected'], seen
    assert 'Failed to fetch' in seen['refused']['error'], seen
    with open(srv.error_log, 'rb') as f:
        f.seek(err_size)
        text = f.read().decode('utf-8', 'replace')
    assert re.search(r'preflight from "%s" for DELETE .*refused'
                     % re.escape(srv.page_origin), text), text[-3000:]
    with open(os.path.join(srv.tmp, 'access.log'), 'rb') as f:
        f.seek(log_size)
        log = f.read().decode('utf-8', 'replace')
    assert re.search(r'"OPTIONS /%s/read\.bin\?\S+ HTTP/1\.1" 403' % bucket,
                     log), log
    assert not re.search(r'"DELETE /%s/read\.bin' % bucket, log), log
    assert s3.head_object(Bucket=bucket, Key='read.bin')[
        'ContentLength'] == len(body)


def test_cross_origin_post_form(console_server, tmp_path):
    srv = console_server
    s3 = boto_client(srv)
    bucket = new_bucket_name('cors-post')
    s3.create_bucket(Bucket=bucket)
    cors_rules(s3, bucket, srv.page_origin)
    post = s3.generate_presigned_post(
        bucket, 'form/${filename}',
        Fields={'success_action_status': '201'},
        Conditions=[{'success_action_status': '201'},
                    ['starts-with', '$key', 'form/'],
                    ['content-length-range', 1, 4 * MiB]],
        ExpiresIn=600)
    assert post['fields']['x-amz-algorithm'] == 'AWS4-HMAC-SHA256'

    seen, _ = run_cors(srv, tmp_path, {
        'post': {'url': post['url'], 'fields': post['fields'],
                 'size': 2 * MiB + 1}})
    assert seen['post'].get('status') == 201, seen
    assert '<Key>form/form.bin</Key>' in seen['post']['text'], seen
    got = s3.get_object(Bucket=bucket, Key='form/form.bin')['Body'].read()
    assert len(got) == 2 * MiB + 1 and sha256(got) == seen['post']['sha']
