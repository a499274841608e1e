#!/usr/bin/python3
"""Where inline bodies stop paying (s3_inline_max, docs/performance.md):
PUT and GET throughput of objects of 4, 16, 64, 128, 256 KiB stored
inline (s3_inline_max 1m) and in files (s3_inline_max 0), s3_fsync on,
two servers started here from the same build (t/lib/s3server.py).

    scripts/bench-inline.py [SIZE_KIB...]

Environment: BENCH_PUTS (PUTs per cell, default 600), BENCH_PUT_CONNS
(parallel PUTs, default 16), BENCH_DURATION (seconds of wrk per GET
cell, default 5), BENCH_CONNS (GET connections, default 16), S3_MODULE.

PUT: scripts/bench-put.py over presigned URLs of new keys (keep-alive,
sendfile), objects/s; GET: wrk on a presigned URL of one object, req/s.
ratio = inline / file.
"""

import os
import re
import subprocess
import sys
import tempfile

import boto3
import botocore.config

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', 't', 'lib'))

import s3server                                     # noqa: E402


def client(srv):
    return boto3.session.Session().client(
        's3', endpoint_url=srv.endpoint, aws_access_key_id=srv.access_key,
        aws_secret_access_key=srv.secret_key,
        config=botocore.config.Config(
            region_name=srv.region, signature_version='s3v4',
            s3={'addressing_style': 'path'}))


def put_rate(srv, s3, bucket, path, kib, n, conns, tmp):
    urls = [s3.generate_presigned_url(
        'put_object', Params={'Bucket': bucket, 'Key': 'p%d-%d' % (kib, i)},
        ExpiresIn=3600) for i in range(n)]
    urlfile = os.path.join(tmp, 'urls')
    with open(urlfile, 'w') as f:
        f.write('\n'.join(urls) + '\n')
    out = subprocess.run([sys.executable, os.path.join(HERE, 'bench-put.py'),
                          path, str(conns), urlfile], capture_output=True,
                         check=True).stdout.decode().split()
    secs, failed = float(out[0]), int(out[1])
    if failed:
        raise RuntimeError('%d PUTs failed' % failed)
    return n / secs


def get_rate(s3, bucket, key, conns, duration):
    url = s3.generate_presigned_url(
        'get_object', Params={'Bucket': bucket, 'Key': key}, ExpiresIn=3600)
    out = subprocess.run(['wrk', '-t2', '-c%d' % conns, '-d%ds' % duration,
                          url], capture_output=True, check=True
                         ).stdout.decode()
    if 'Non-2xx' in out:
        raise RuntimeError('GET failed: ' + out)
    return float(re.search(r'Requests/sec:\s+([\d.]+)', out).group(1))


def main():
    sizes = [int(a) for a in sys.argv[1:]] or [4, 16, 64, 128, 256]
    n = int(os.environ.get('BENCH_PUTS', '600'))
    pconns = int(os.environ.get('BENCH_PUT_CONNS', '16'))
    duration = int(os.environ.get('BENCH_DURATION', '5'))
    gconns = int(os.environ.get('BENCH_CONNS', '16'))
    tmp = tempfile.mkdtemp(prefix='bench_inline_')

    servers = {}
    for mode, limit in (('inline', '1m'), ('file', '0')):
        srv = s3server.S3Server(http_extra='s3_inline_max %s;' % limit,
                                log_level='error', name='bench_' + mode)
        servers[mode] = srv.start()

    try:
        results = {}
        for mode, srv in servers.items():
            s3 = client(srv)
            s3.create_bucket(Bucket='bench')
            for kib in sizes:
                path = os.path.join(tmp, '%dk' % kib)
                with open(path, 'wb') as f:
                    f.write(os.urandom(kib * 1024))
                s3.put_object(Bucket='bench', Key='g%d' % kib,
                              Body=open(path, 'rb').read())
                put = put_rate(srv, s3, 'bench', path, kib, n, pconns, tmp)
                get = get_rate(s3, 'bench', 'g%d' % kib, gconns, duration)
                results[mode, kib] = (put, get)

        print('inline vs file bodies, s3_fsync on: PUT %d new keys at %d '
              'parallel (objects/s), GET wrk -c%d %ds (req/s)'
              % (n, pconns, gconns, duration))
        print('%6s %10s %10s %6s %10s %10s %6s' % (
            'size', 'PUT inl', 'PUT file', 'ratio', 'GET inl', 'GET file',
            'ratio'))
        for kib in sizes:
            pi, gi = results['inline', kib]
            pf, gf = results['file', kib]
            print('%5dk %10.0f %10.0f %6.2f %10.0f %10.0f %6.2f'
                  % (kib, pi, pf, pi / pf, gi, gf, gi / gf))
    finally:
        for srv in servers.values():
            srv.teardown()


if __name__ == '__main__':
    main()
