#!/usr/bin/python3
"""CopyObject of a 1 MiB and of a 1 GiB object: a copy names the source's
body instead of copying it, so both should take the time of a metadata
write.  Starts its own nginx with the module (t/lib/s3server.py, s3_fsync
on, in a temporary directory), uploads the two sources, then times RUNS
copies of each, one at a time on one keep-alive connection, alternating
the sizes; UploadPartCopy of a 1 MiB and a 1 GiB range, and boto3's
managed copy of the 1 GiB object in 8 MiB parts; and, for comparison,
the one copy that reads the source: with x-amz-checksum-algorithm (a
checksum the source lacks), a few runs each.

    scripts/bench-copy.py [RUNS]        (default 200)

Environment: S3_MODULE (default build/ngx_http_s3_module.so),
BENCH_TMP (where the data directory goes, default /tmp: the 1 GiB body
is written there).  Prints a table of median and 95th percentile
latencies in milliseconds, and the body files on disk before and after
(the copies add none).
"""

import os
import statistics
import sys
import tempfile
import time

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(TOP, 't', 'lib'))

import boto3                     # noqa: E402
import botocore.config           # noqa: E402
from boto3.s3.transfer import TransferConfig  # noqa: E402

import s3server                  # noqa: E402
import s3store                   # noqa: E402

SIZES = (('1 MiB', 1 << 20), ('1 GiB', 1 << 30))


def client(srv):
    return boto3.session.Session().client(
        's3', endpoint_url=srv.endpoint, aws_access_key_id=srv.access_key,
        aws_secret_access_key=srv.secret_key,
        config=botocore.config.Config(
            region_name=srv.region, signature_version='s3v4',
            s3={'addressing_style': 'path'},
            retries={'total_max_attempts': 1, 'mode': 'standard'},
            read_timeout=600))


def source_file(tmp, size):
    path = os.path.join(tmp, 'src-%d' % size)
    chunk = os.urandom(1 << 20)
    with open(path, 'wb') as f:
        for _ in range(size >> 20):
            f.write(chunk)
    return path


def ms(samples):
    s = sorted(samples)
    p95 = s[min(len(s) - 1, int(len(s) * 0.95))]
    return '%8.2f %8.2f' % (statistics.median(s) * 1000, p95 * 1000)


def main():
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    if os.environ.get('BENCH_TMP'):
        tempfile.tempdir = os.environ['BENCH_TMP']
    srv = s3server.S3Server(name='bench-copy').start()
    tmp = srv.tmp
    try:
        s3 = client(srv)
        s3.create_bucket(Bucket='src')
        s3.create_bucket(Bucket='dst')
        for name, size in SIZES:
            path = source_file(tmp, size)
            with open(path, 'rb') as f:
                s3.put_object(Bucket='src', Key=name, Body=f)
            os.unlink(path)
        before = len(s3store.body_ids(srv))

        times = {name: [] for name, _ in SIZES}
        for i in range(runs):
            for name, _ in SIZES:
                t = time.monotonic()
                s3.copy_object(Bucket='dst', Key='%s-%d' % (name, i % 20),
                               CopySource={'Bucket': 'src', 'Key': name})
                times[name].append(time.monotonic() - t)
        after = len(s3store.body_ids(srv))

        # UploadPartCopy: one part naming a 1 MiB or a 1 GiB range
        uid = s3.create_multipart_upload(Bucket='dst', Key='parts')[
            'UploadId']
        ranged = {name: [] for name, _ in SIZES}
        for i in range(runs):
            for name, size in SIZES:
                t = time.monotonic()
                s3.upload_part_copy(
                    Bucket='dst', Key='parts', UploadId=uid,
                    PartNumber=1 + i % 100,
                    CopySource={'Bucket': 'src', 'Key': '1 GiB'},
                    CopySourceRange='bytes=0-%d' % (size - 1))
                ranged[name].append(time.monotonic() - t)
        s3.abort_multipart_upload(Bucket='dst', Key='parts', UploadId=uid)

        # boto3's managed copy of the 1 GiB object in 8 MiB parts
        managed = []
        cfg = TransferConfig(multipart_threshold=8 << 20,
                             multipart_chunksize=8 << 20, max_concurrency=4)
        for i in range(3):
            t = time.monotonic()
            s3.copy({'Bucket': 'src', 'Key': '1 GiB'}, 'dst', 'managed',
                    Config=cfg)
            managed.append(time.monotonic() - t)

        summed = {name: [] for name, _ in SIZES}
        for i in range(3):
            for name, _ in SIZES:
                t = time.monotonic()
                s3.copy_object(Bucket='dst', Key='%s-sum' % name,
                               CopySource={'Bucket': 'src', 'Key': name},
                               ChecksumAlgorithm='SHA256')
                summed[name].append(time.monotonic() - t)

        print('CopyObject, %d runs each, one connection, s3_fsync on'
              % runs)
        print('%-34s %8s %8s' % ('', 'median', 'p95'))
        for name, _ in SIZES:
            print('%-34s %s' % ('copy of %s' % name, ms(times[name])))
        for name, _ in SIZES:
            print('%-34s %s' % ('copy of %s, new SHA256 (reads)' % name,
                                ms(summed[name])))
        for name, _ in SIZES:
            print('%-34s %s' % ('UploadPartCopy of a %s range' % name,
                                ms(ranged[name])))
        print('%-34s %s' % ('managed copy of 1 GiB, 8 MiB parts',
                            ms(managed)))
        print('ratio 1 GiB / 1 MiB (median): %.2f'
              % (statistics.median(times['1 GiB'])
                 / statistics.median(times['1 MiB'])))
        print('body files: %d before the copies, %d after' % (before,
                                                                after))
    finally:
        srv.teardown()


if __name__ == '__main__':
    main()
