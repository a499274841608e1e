"""With `master_process off` there is no helper process: the one nginx
process opens LevelDB itself and serves the same API through the same
asynchronous metadata interface."""

import os

import pytest

import s3server
from conftest import boto_client, new_bucket_name


class SingleProcess(s3server.S3Server):

    def write_conf(self):
        super().write_conf()
        with open(self.conf) as f:
            text = f.read()
        assert 'master_process on;' in text
        with open(self.conf, 'w') as f:
            f.write(text.replace('master_process on;', 'master_process off;'))

    def _ready(self):
        try:
            return self.signed_get('/') == 200
        except OSError:
            return False


@pytest.fixture
def single(request):
    srv = SingleProcess(name='single')
    srv.start()
    yield srv
    srv.teardown()


def test_single_process_round_trip(single):
    assert single.children() == {}          # no workers, no helper
    s3 = boto_client(single)
    bucket = new_bucket_name('single')
    s3.create_bucket(Bucket=bucket)
    body = os.urandom(200000)
    s3.put_object(Bucket=bucket, Key='a/b', Body=body)
    s3.put_object(Bucket=bucket, Key='a/b', Body=body[:10])   # overwrite
    assert s3.get_object(Bucket=bucket, Key='a/b')['Body'].read() == \
        body[:10]
    r = s3.list_objects_v2(Bucket=bucket, Delimiter='/')
    assert [p['Prefix'] for p in r['CommonPrefixes']] == ['a/']
    with pytest.raises(s3.exceptions.ClientError) as e:
        s3.delete_bucket(Bucket=bucket)
    assert e.value.response['Error']['Code'] == 'BucketNotEmpty'
    s3.delete_object(Bucket=bucket, Key='a/b')
    s3.delete_bucket(Bucket=bucket)
    assert os.path.isdir(os.path.join(single.data, 'db'))

    # the data survives a restart of the single process
    s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key='kept', Body=b'kept')
    single.stop()
    single.start()
    s3 = boto_client(single)
    assert s3.get_object(Bucket=bucket, Key='kept')['Body'].read() == b'kept'
