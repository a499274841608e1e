"""Tests' side of the admin API: a server with s3_key_file and an s3_admin
location, and the CLI (scripts/s3-admin) called in process.

    admin_server(make_server, tmp)  ->  server with .key_file, .admin_url
    cli(server, 'user', 'create', 'alice')  ->  (exit status, JSON doc)
    fresh_requests(server, ...)  ->  answers from both workers
"""

import importlib.machinery
import importlib.util
import io
import json
import os
import time

from s3raw import request

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(
    __file__))))
CLI = os.path.join(TOP, 'scripts', 's3-admin')
ADMIN_PATH = '/.s3-admin'

ADMIN_LOCATION = """
        location /.s3-admin/ {
            s3_admin;
        }
"""


def _load_cli():
    loader = importlib.machinery.SourceFileLoader('s3_admin_cli', CLI)
    spec = importlib.util.spec_from_loader('s3_admin_cli', loader)
    mod = importlib.util.module_from_spec(spec)
    loader.exec_module(mod)
    return mod


cli_module = _load_cli()


def write_key_file(path, keys):
    with open(path, 'w') as f:
        f.write('# s3_key_file: the first key is the current one\n')
        for k in keys:
            f.write(k.hex() + '\n')
    os.chmod(path, 0o600)
    return path


def admin_kwargs(key_file, http_extra='', server_extra=''):
    """make_server() arguments of a server with keys and the admin API."""

    extra = http_extra
    if key_file:
        extra += '\n    s3_key_file %s;\n' % key_file
    return {'http_extra': extra,
            'server_extra': server_extra + ADMIN_LOCATION}


def admin_url(server):
    return server.endpoint + ADMIN_PATH


def cli(server, *args, access_key=None, secret=None):
    """Run the CLI with --json: (exit status, the JSON it printed)."""

    out = io.StringIO()
    argv = ['--endpoint', admin_url(server),
            '--access-key', access_key or server.access_key,
            '--secret-key', secret or server.secret_key,
            '--region', server.region, '--json'] + list(args)
    rc = cli_module.main(argv, out)
    text = out.getvalue()
    return rc, (json.loads(text) if text.strip() else None)


def cli_ok(server, *args):
    rc, doc = cli(server, *args)
    assert rc == 0, 's3-admin %s: %r' % (' '.join(args), doc)
    return doc


def new_user_key(server, user, name=None):
    """A user (made if missing) and a new key of it: (access, secret)."""

    args = ['user', 'create', user] + (['--name', name] if name else [])
    rc, doc = cli(server, *args)
    assert rc == 0 or doc['code'] == 'UserAlreadyExists', doc
    k = cli_ok(server, 'key', 'create', user)['key']
    return k['access_key'], k['secret_key']


def worker_of(resp):
    """The worker that answered: x-amz-request-id starts with its pid."""

    rid = resp.header('x-amz-request-id') or ''
    return int(rid[:8], 16) if len(rid) >= 8 else None


def fresh_requests(server, method, path, access_key, secret, query=(),
                   body=b'', headers=None, want_workers=2, limit=60):
    """The same request on new connections until want_workers workers
    answered (at most limit times): the answers, each with .worker.
    access_key None: anonymous."""

    out = []
    seen = set()
    for _ in range(limit):
        r = request(server, method, path, query=query, body=body,
                    headers=headers, access_key=access_key, secret=secret,
                    sign=access_key is not None)
        r.worker = worker_of(r)
        out.append(r)
        seen.add(r.worker)
        if len(seen) >= want_workers and len(out) >= 4:
            break
    assert len(seen) >= want_workers, 'answers came from %s only' % seen
    return out


def within(seconds, check, interval=0.02):
    """Call check() until it returns true, at most for seconds; returns
    how long it took.  The last call's exception is raised."""

    start = time.time()
    while True:
        try:
            if check():
                return time.time() - start
        except AssertionError:
            if time.time() - start > seconds:
                raise
        if time.time() - start > seconds:
            raise AssertionError('not within %.1f s' % seconds)
        time.sleep(interval)
