#!/usr/bin/python3
"""Helper of scripts/bench.sh: upload files through the S3 API and print
presigned URLs (valid 7 days, so the load generators need no signer).

    bench-prep.py ENDPOINT ACCESS SECRET REGION BUCKET FILE...

prints one line per file: get <basename> <size> <GET url>, then one line
head <basename> <size> <HEAD url> for the first file.

    bench-prep.py ENDPOINT ACCESS SECRET REGION BUCKET --put PREFIX N

prints N presigned PUT URLs of new keys PREFIX-0 ... PREFIX-<N-1>
(signed by the tests' signer, t/lib/sigv4.py: some 30 us a URL, where
boto3 takes ten times that; the 4 KiB PUT runs use tens of thousands).

    bench-prep.py ENDPOINT ACCESS SECRET REGION BUCKET --get NAME

prints the presigned GET URL of an object that exists (signed by ACCESS:
another key than the uploader's).

    bench-prep.py ENDPOINT ACCESS SECRET REGION BUCKET --policy FILE USER

makes BUCKET, uploads FILE and gives it a bucket policy of 10 statements
of which the last lets USER get objects (the others do not match that
request, so every one is evaluated).

    bench-prep.py ENDPOINT ACCESS SECRET REGION BUCKET --delete PREFIX

deletes every key under PREFIX and prints how many.
"""

import json
import os
import sys
import urllib.parse

import boto3
import botocore.config


def main():
    endpoint, access, secret, region, bucket = sys.argv[1:6]
    args = sys.argv[6:]
    s3 = boto3.session.Session().client(
        's3', endpoint_url=endpoint, aws_access_key_id=access,
        aws_secret_access_key=secret,
        config=botocore.config.Config(
            region_name=region, signature_version='s3v4',
            s3={'addressing_style': 'path'},
            retries={'total_max_attempts': 1, 'mode': 'standard'}))

    if args[0] == '--policy':
        path, user = args[1], args[2]
        s3.create_bucket(Bucket=bucket)
        with open(path, 'rb') as f:
            s3.put_object(Bucket=bucket, Key=os.path.basename(path), Body=f)
        arn = 'arn:aws:s3:::' + bucket
        other = {'AWS': 'arn:aws:iam:::user/nobody'}
        statements = [
            {'Effect': 'Deny', 'Principal': '*', 'Action': 's3:*',
             'Resource': arn + '/private/%d/*' % i} for i in range(4)]
        statements += [
            {'Effect': 'Allow', 'Principal': other,
             'Action': ['s3:GetObject', 's3:PutObject'],
             'Resource': arn + '/*'},
            {'Effect': 'Allow', 'Principal': '*', 'Action': 's3:ListBucket',
             'Resource': arn,
             'Condition': {'StringLike': {'s3:prefix': 'public/*'}}},
            {'Effect': 'Deny', 'Principal': '*', 'Action': 's3:PutObject',
             'Resource': arn + '/*',
             'Condition': {'NotIpAddress': {'aws:SourceIp': '127.0.0.0/8'}}},
            {'Effect': 'Allow', 'Principal': '*', 'Action': 's3:GetObject',
             'Resource': arn + '/public/*'},
            {'Effect': 'Deny', 'Principal': '*', 'Action': 's3:DeleteObject',
             'Resource': arn + '/*'},
            {'Effect': 'Allow',
             'Principal': {'AWS': 'arn:aws:iam:::user/' + user},
             'Action': 's3:Get*', 'Resource': arn + '/*',
             'Condition': {'IpAddress': {'aws:SourceIp': '127.0.0.0/8'}}},
        ]
        s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps(
            {'Version': '2012-10-17', 'Statement': statements}))
        return

    if args[0] == '--delete':
        n = 0
        pages = s3.get_paginator('list_objects_v2').paginate(
            Bucket=bucket, Prefix=args[1])
        for page in pages:
            keys = [{'Key': o['Key']} for o in page.get('Contents', [])]
            if keys:
                s3.delete_objects(Bucket=bucket,
                                  Delete={'Objects': keys, 'Quiet': True})
                n += len(keys)
        print(n)
        return

    if args[0] == '--get':
        print(s3.generate_presigned_url(
            'get_object', Params={'Bucket': bucket, 'Key': args[1]},
            ExpiresIn=604800))
        return

    if args[0] == '--put':
        sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(
            os.path.abspath(__file__))), 't', 'lib'))
        import sigv4
        prefix, n = args[1], int(args[2])
        host = urllib.parse.urlsplit(endpoint).netloc
        date = sigv4.amz_now()
        out = []
        for i in range(n):
            path = sigv4.key_path(bucket, '%s-%d' % (prefix, i))
            q = sigv4.presign('PUT', host, path, [], access, secret, region,
                              expires=604800, amz_date=date)
            out.append('%s%s?%s\n' % (endpoint, path, sigv4.wire_query(q)))
        sys.stdout.write(''.join(out))
        return

    s3.create_bucket(Bucket=bucket)
    for path in args:
        name = os.path.basename(path)
        with open(path, 'rb') as f:
            s3.put_object(Bucket=bucket, Key=name, Body=f)
        url = s3.generate_presigned_url(
            'get_object', Params={'Bucket': bucket, 'Key': name},
            ExpiresIn=604800)
        print('get', name, os.path.getsize(path), url)
    name = os.path.basename(args[0])
    url = s3.generate_presigned_url(
        'head_object', Params={'Bucket': bucket, 'Key': name},
        ExpiresIn=604800)
    print('head', name, os.path.getsize(args[0]), url)


if __name__ == '__main__':
    for v in list(os.environ):
        if v.startswith('AWS_'):
            del os.environ[v]
    os.environ['AWS_CONFIG_FILE'] = '/dev/null'
    os.environ['AWS_SHARED_CREDENTIALS_FILE'] = '/dev/null'
    main()
