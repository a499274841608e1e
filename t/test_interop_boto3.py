"""Round trip with boto3 (Debian's python3-boto3), single PUTs only."""

import os

from boto3.s3.transfer import TransferConfig

from conftest import boto_client, file_md5, new_bucket_name, same_file
from s3raw import client_error

NO_MULTIPART = TransferConfig(multipart_threshold=5 * 1024 ** 3)
PARALLEL_GET = TransferConfig(multipart_threshold=5 * 1024 ** 3,
                              multipart_chunksize=4 * 1024 * 1024,
                              max_concurrency=4)


def test_boto3_round_trip(server, payloads, tmp_path):
    s3 = boto_client(server)
    b = new_bucket_name('boto3')
    small, big = str(payloads['small']), str(payloads['big'])
    big_size = os.path.getsize(big)
    small_bytes = payloads['small'].read_bytes()

    r = s3.create_bucket(Bucket=b)
    assert r['ResponseMetadata']['RequestId']
    assert b in [x['Name'] for x in s3.list_buckets()['Buckets']]

    r = s3.put_object(Bucket=b, Key='small.txt', Body=small_bytes,
                      ContentType='text/plain')
    assert r['ETag'] == '"%s"' % file_md5(small)
    with open(big, 'rb') as f:
        r = s3.put_object(Bucket=b, Key='dir/big.bin', Body=f)
    assert r['ETag'] == '"%s"' % file_md5(big)
    s3.upload_file(big, b, 'dir/big-upload.bin', Config=NO_MULTIPART)

    listed = s3.list_objects_v2(Bucket=b)
    assert [(c['Key'], c['Size']) for c in listed['Contents']] == [
        ('dir/big-upload.bin', big_size), ('dir/big.bin', big_size),
        ('small.txt', len(small_bytes))]
    listed = s3.list_objects_v2(Bucket=b, Delimiter='/')
    assert [p['Prefix'] for p in listed['CommonPrefixes']] == ['dir/']

    got = s3.get_object(Bucket=b, Key='small.txt')
    assert got['Body'].read() == small_bytes
    assert got['ContentType'] == 'text/plain'

    out1 = tmp_path / 'out1'
    s3.download_file(b, 'dir/big.bin', str(out1), Config=NO_MULTIPART)
    assert same_file(out1, big)
    out2 = tmp_path / 'out2'
    s3.download_file(b, 'dir/big-upload.bin', str(out2), Config=PARALLEL_GET)
    assert same_file(out2, big)

    got = s3.get_object(Bucket=b, Key='dir/big.bin',
                        Range='bytes=%d-' % (big_size - 100))
    assert got['ContentRange'] == 'bytes %d-%d/%d' % (big_size - 100,
                                                      big_size - 1, big_size)
    with open(big, 'rb') as f:
        f.seek(big_size - 100)
        assert got['Body'].read() == f.read()

    paginator = s3.get_paginator('list_objects_v2')
    keys = [c['Key'] for p in paginator.paginate(Bucket=b, PaginationConfig={
        'PageSize': 1}) for c in p.get('Contents', [])]
    assert keys == ['dir/big-upload.bin', 'dir/big.bin', 'small.txt']

    s3.delete_object(Bucket=b, Key='small.txt')
    with client_error(404, 'NoSuchKey'):
        s3.get_object(Bucket=b, Key='small.txt')
    r = s3.delete_objects(Bucket=b, Delete={'Objects': [
        {'Key': 'dir/big.bin'}, {'Key': 'dir/big-upload.bin'}]})
    assert len(r['Deleted']) == 2
    s3.delete_bucket(Bucket=b)
    with client_error(404, '404'):
        s3.head_bucket(Bucket=b)


def test_boto3_resource_api(server):
    import boto3
    res = boto3.session.Session().resource(
        's3', endpoint_url=server.endpoint,
        aws_access_key_id=server.access_key,
        aws_secret_access_key=server.secret_key,
        config=boto_client(server).meta.config)
    b = res.Bucket(new_bucket_name('resource'))
    b.create()
    for i in range(5):
        b.put_object(Key='k%d' % i, Body=b'v%d' % i)
    assert sorted(o.key for o in b.objects.filter(Prefix='k')) \
        == ['k%d' % i for i in range(5)]
    b.objects.all().delete()
    b.delete()
