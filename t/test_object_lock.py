"""Object lock (WORM): CreateBucket with x-amz-bucket-object-lock-enabled,
Put/GetObjectLockConfiguration, x-amz-object-lock-* on PutObject,
CopyObject and CreateMultipartUpload (the bucket's default retention
otherwise), Get/PutObjectRetention and Get/PutObjectLegalHold, and the
protection of locked versions against deletion and replacement, decided
by the metadata process."""

import base64
import datetime
import hashlib
import time

import pytest

from conftest import boto_client, new_bucket_name
from s3raw import KeepAlive, assert_error, assert_ok, client_error, request


def utc(seconds):
    return (datetime.datetime.now(datetime.timezone.utc)
            + datetime.timedelta(seconds=seconds))


def iso(dt):
    return dt.strftime('%Y-%m-%dT%H:%M:%SZ')


def md5b64(data):
    return base64.b64encode(hashlib.md5(data).digest()).decode()


@pytest.fixture
def lbucket(s3):
    name = new_bucket_name('lock')
    s3.create_bucket(Bucket=name, ObjectLockEnabledForBucket=True)
    return name


def test_create_bucket_with_lock(s3, lbucket):
    c = s3.get_object_lock_configuration(Bucket=lbucket)
    assert c['ObjectLockConfiguration'] == {'ObjectLockEnabled': 'Enabled'}
    assert s3.get_bucket_versioning(Bucket=lbucket)['Status'] == 'Enabled'


def test_smoke(s3, lbucket):
    body = b'hello'
    until = utc(3600)
    s3.put_object(Bucket=lbucket, Key='k', Body=body,
                  ContentMD5=md5b64(body), ObjectLockMode='GOVERNANCE',
                  ObjectLockRetainUntilDate=until,
                  ObjectLockLegalHoldStatus='OFF')
    h = s3.head_object(Bucket=lbucket, Key='k')
    assert h['ObjectLockMode'] == 'GOVERNANCE'
    assert h['ObjectLockLegalHoldStatus'] == 'OFF'
    r = s3.get_object_retention(Bucket=lbucket, Key='k')['Retention']
    assert r['Mode'] == 'GOVERNANCE'
    with client_error(403, 'AccessDenied'):
        s3.delete_object(Bucket=lbucket, Key='k')
    s3.delete_object(Bucket=lbucket, Key='k', BypassGovernanceRetention=True)


def test_smoke_retention(s3, lbucket):
    body = b'x'
    s3.put_object(Bucket=lbucket, Key='c', Body=body, ContentMD5=md5b64(body),
                  ObjectLockMode='COMPLIANCE',
                  ObjectLockRetainUntilDate=utc(3600))
    s3.put_object_retention(Bucket=lbucket, Key='c', Retention={
        'Mode': 'COMPLIANCE', 'RetainUntilDate': utc(7200)})
    with client_error(403, 'AccessDenied'):
        s3.put_object_retention(Bucket=lbucket, Key='c', Retention={
            'Mode': 'COMPLIANCE', 'RetainUntilDate': utc(3600)},
            BypassGovernanceRetention=True)
    s3.put_object_legal_hold(Bucket=lbucket, Key='c',
                             LegalHold={'Status': 'ON'})
    assert s3.get_object_legal_hold(Bucket=lbucket, Key='c')[
        'LegalHold']['Status'] == 'ON'
