"""A metadata database that cannot be opened is reported loudly (emerg or
alert, with the path and the reason), and requests get a prompt S3 error
instead of hanging."""

import os
import re
import shutil
import signal
import time

from s3raw import error_fields, request


def _loud_lines(srv, path):
    text = srv._read(srv.error_log)
    return [line for line in text.splitlines()
            if re.search(r'\[(emerg|alert)\]', line) and path in line]


def _check_broken(srv, what):
    db = os.path.join(srv.data, 'db')
    srv.allow_log(r'\[(emerg|alert)\].*' + re.escape(db))
    srv.start(ready=False)

    deadline = time.time() + 10
    while time.time() < deadline and not _loud_lines(srv, db):
        time.sleep(0.1)
    loud = _loud_lines(srv, db)
    assert loud, '%s: no [emerg]/[alert] naming %s in error.log:\n%s' % (
        what, db, srv.log_tail())

    t = time.time()
    r = request(srv, 'GET', '/', timeout=40)
    took = time.time() - t
    assert r.status in (500, 503), (what, r)
    f = error_fields(r.body)
    assert f['Code'] in ('InternalError', 'ServiceUnavailable'), (what, r)
    assert r.header('x-amz-request-id')
    assert took < 10, '%s: the error took %.1fs' % (what, took)
    return loud


def test_corrupt_database(fresh_server):
    srv = fresh_server
    srv.stop()
    db = os.path.join(srv.data, 'db')
    with open(os.path.join(db, 'CURRENT'), 'w') as f:
        f.write('MANIFEST-999999\n')
    loud = _check_broken(srv, 'corrupt CURRENT')
    assert any('MANIFEST-999999' in line or 'orrupt' in line
               for line in loud), loud


def test_database_path_not_a_directory(fresh_server):
    """As root, permissions cannot be taken away; a file where the database
    directory should be makes the same kind of open error."""

    srv = fresh_server
    srv.stop()
    db = os.path.join(srv.data, 'db')
    shutil.rmtree(db)
    with open(db, 'w') as f:
        f.write('not a database\n')
    _check_broken(srv, 'db is a file')


def test_database_of_another_user(fresh_server):
    """db/ must belong to nginx's user (after running nginx as another
    user, chown -R the data directory): said loudly, with the fix."""

    srv = fresh_server
    srv.stop()
    db = os.path.join(srv.data, 'db')
    os.chown(db, 65534, 65534)
    loud = _check_broken(srv, 'db of another user')
    assert any('belongs to uid 65534' in line and 'chown' in line
               for line in loud), loud


def test_metadata_timeout_is_503_with_retry_after(make_server):
    """A metadata process that does not answer in s3_meta_timeout: 503
    ServiceUnavailable with Retry-After, and service when it is back."""

    srv = make_server(http_extra='    s3_meta_timeout 1s;')
    assert request(srv, 'PUT', '/stalled').status == 200
    pid = srv.helper_pid()
    os.kill(pid, signal.SIGSTOP)
    try:
        r = request(srv, 'GET', '/stalled', query=[('list-type', '2')])
    finally:
        os.kill(pid, signal.SIGCONT)
    assert r.status == 503, r
    assert error_fields(r.body)['Code'] == 'ServiceUnavailable', r
    assert r.header('Retry-After') == '1', r
    assert r.header('x-amz-request-id')
    r = request(srv, 'GET', '/stalled', query=[('list-type', '2')])
    assert r.status == 200, r
