#!/usr/bin/python3
"""Helper of scripts/bench.sh (section "multipart"): multipart uploads
through presigned URLs, bodies sent with sendfile() from one file, each
thread on its own keep-alive connection, so that the client costs little
next to the server.

    bench-multipart.py complete ENDPOINT ACCESS SECRET REGION BUCKET \\
        FILE PARTS RUNS
        PARTS parts, each the whole FILE, then CompleteMultipartUpload,
        RUNS times; prints "<parts> <object bytes> <seconds of the
        complete request, median>"

    bench-multipart.py upload ENDPOINT ACCESS SECRET REGION BUCKET \\
        FILE PART_SIZE PARALLEL KEY
        FILE in parts of PART_SIZE, PARALLEL at a time; prints
        "<seconds from create to the end of complete> <failed>"

    bench-multipart.py dav URL FILE PART_SIZE PARALLEL
        the same byte ranges PUT to URL-<n> (plain nginx, dav_methods
        PUT); prints "<seconds> <failed>"

    bench-multipart.py get ENDPOINT ACCESS SECRET REGION BUCKET KEY
        prints a presigned GET URL of KEY
"""

import os
import socket
import statistics
import sys
import threading
import time
import urllib.parse

import boto3
import botocore.config


def client(endpoint, access, secret, region):
    return boto3.session.Session().client(
        's3', endpoint_url=endpoint, aws_access_key_id=access,
        aws_secret_access_key=secret,
        config=botocore.config.Config(
            region_name=region, signature_version='s3v4',
            s3={'addressing_style': 'path'},
            retries={'total_max_attempts': 1, 'mode': 'standard'},
            max_pool_connections=64))


class Conn:
    """One keep-alive connection; requests with a body from a file."""

    def __init__(self, url):
        u = urllib.parse.urlsplit(url)
        self.s = socket.create_connection((u.hostname, u.port))
        self.s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.rf = self.s.makefile('rb')

    def request(self, method, url, fd=None, offset=0, size=0, body=b''):
        u = urllib.parse.urlsplit(url)
        target = u.path + ('?' + u.query if u.query else '')
        n = size if fd is not None else len(body)
        self.s.sendall(('%s %s HTTP/1.1\r\nHost: %s\r\n'
                        'Content-Length: %d\r\n\r\n'
                        % (method, target, u.netloc, n)).encode() + body)
        sent = 0
        while fd is not None and sent < size:
            sent += os.sendfile(self.s.fileno(), fd, offset + sent,
                                size - sent)
        status = int(self.rf.readline().split()[1])
        headers = {}
        while True:
            line = self.rf.readline()
            if line in (b'\r\n', b''):
                break
            name, _, value = line.partition(b':')
            headers[name.strip().lower()] = value.strip()
        data = self.rf.read(int(headers.get(b'content-length', 0)))
        return status, headers, data

    def close(self):
        self.s.close()


def put_ranges(path, jobs, parallel):
    """jobs: [(url, offset, size)]; returns ({url: etag}, failed)."""

    etags = {}
    failed = []
    lock = threading.Lock()

    def run(mine):
        c = Conn(mine[0][0])
        with open(path, 'rb') as f:
            for url, off, size in mine:
                st, h, _ = c.request('PUT', url, f.fileno(), off, size)
                with lock:
                    if st in (200, 201):
                        etags[url] = h.get(b'etag', b'').decode()
                    else:
                        failed.append(url)
        c.close()

    threads = [threading.Thread(target=run, args=(jobs[i::parallel],))
               for i in range(parallel) if jobs[i::parallel]]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return etags, len(failed)


def complete_body(etags):
    return ('<CompleteMultipartUpload>%s</CompleteMultipartUpload>' % ''.join(
        '<Part><PartNumber>%d</PartNumber><ETag>%s</ETag></Part>' % (n, e)
        for n, e in etags)).encode()


def upload(s3, bucket, key, path, part_size, parallel, offsets=None):
    """One multipart upload; returns (seconds of the complete, failed)."""

    size = os.path.getsize(path)
    uid = s3.create_multipart_upload(Bucket=bucket, Key=key)['UploadId']
    if offsets is None:
        offsets = [(o, min(part_size, size - o))
                   for o in range(0, size, part_size)]
    jobs = []
    for n, (off, ln) in enumerate(offsets, 1):
        jobs.append((s3.generate_presigned_url(
            'upload_part', Params={'Bucket': bucket, 'Key': key,
                                   'UploadId': uid, 'PartNumber': n},
            ExpiresIn=3600), off, ln))
    etags, failed = put_ranges(path, jobs, parallel)
    body = complete_body([(n, etags.get(u, '"missing"'))
                          for n, (u, _, _) in enumerate(jobs, 1)])
    url = s3.generate_presigned_url(
        'complete_multipart_upload', Params={'Bucket': bucket, 'Key': key,
                                             'UploadId': uid},
        ExpiresIn=3600)
    c = Conn(url)
    t0 = time.monotonic()
    st, _, data = c.request('POST', url, body=body)
    t1 = time.monotonic()
    c.close()
    if st != 200 or b'<ETag>' not in data:
        failed += 1
        sys.stderr.write('complete: %d %r\n' % (st, data[:300]))
    return t1 - t0, failed


def main():
    cmd = sys.argv[1]
    args = sys.argv[2:]

    if cmd == 'dav':
        url, path, part_size, parallel = args[0], args[1], int(args[2]), \
            int(args[3])
        size = os.path.getsize(path)
        jobs = [('%s-%d' % (url, n), o, min(part_size, size - o))
                for n, o in enumerate(range(0, size, part_size))]
        t0 = time.monotonic()
        _, failed = put_ranges(path, jobs, parallel)
        print('%.3f %d' % (time.monotonic() - t0, failed))
        return

    s3 = client(*args[:4])
    bucket = args[4]

    if cmd == 'get':
        print(s3.generate_presigned_url(
            'get_object', Params={'Bucket': bucket, 'Key': args[5]},
            ExpiresIn=604800))
        return

    if cmd == 'complete':
        path, parts, runs = args[5], int(args[6]), int(args[7])
        size = os.path.getsize(path)
        times = []
        failed = 0
        for i in range(runs):
            key = 'complete-%d-%d' % (parts, i)
            t, f = upload(s3, bucket, key, path, size, 4,
                          offsets=[(0, size)] * parts)
            times.append(t)
            failed += f
            s3.delete_object(Bucket=bucket, Key=key)
        print('%d %d %.4f %d' % (parts, parts * size,
                                 statistics.median(times), failed))
        return

    if cmd == 'upload':
        path, part_size, parallel, key = args[5], int(args[6]), \
            int(args[7]), args[8]
        t0 = time.monotonic()
        _, failed = upload(s3, bucket, key, path, part_size, parallel)
        print('%.3f %d' % (time.monotonic() - t0, failed))
        return

    raise SystemExit('bench-multipart.py: unknown command %r' % cmd)


if __name__ == '__main__':
    for v in list(os.environ):
        if v.startswith('AWS_'):
            del os.environ[v]
    os.environ['AWS_CONFIG_FILE'] = '/dev/null'
    os.environ['AWS_SHARED_CREDENTIALS_FILE'] = '/dev/null'
    main()
