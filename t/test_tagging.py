"""GetObjectTagging: the tags an object was written with (x-amz-tagging
of CreateMultipartUpload, a copy's tagging directive), an empty TagSet
when there are none; the aws CLI asks it before a managed copy."""

import pytest

from conftest import new_bucket_name
from s3raw import KeepAlive, assert_error, client_error


@pytest.fixture(scope='module')
def tb(s3):
    name = new_bucket_name('tagging')
    s3.create_bucket(Bucket=name)
    return name


def test_no_tags_is_an_empty_tagset(s3, tb):
    s3.put_object(Bucket=tb, Key='plain', Body=b'x')
    r = s3.get_object_tagging(Bucket=tb, Key='plain')
    assert r['TagSet'] == []


def test_tags_given_at_create_multipart_upload(s3, tb):
    mp = s3.create_multipart_upload(Bucket=tb, Key='mp',
                                    Tagging='project=llm&stage=a+b%2Fc'
                                            '&empty=')
    uid = mp['UploadId']
    p = s3.upload_part(Bucket=tb, Key='mp', UploadId=uid, PartNumber=1,
                       Body=b'y' * 100)
    s3.complete_multipart_upload(
        Bucket=tb, Key='mp', UploadId=uid,
        MultipartUpload={'Parts': [{'PartNumber': 1, 'ETag': p['ETag']}]})
    r = s3.get_object_tagging(Bucket=tb, Key='mp')
    assert r['TagSet'] == [{'Key': 'project', 'Value': 'llm'},
                           {'Key': 'stage', 'Value': 'a b/c'},
                           {'Key': 'empty', 'Value': ''}]
    # a copy takes them along (x-amz-tagging-directive COPY)
    s3.copy_object(Bucket=tb, Key='mp copy',
                   CopySource={'Bucket': tb, 'Key': 'mp'})
    assert s3.get_object_tagging(Bucket=tb, Key='mp copy')['TagSet'] == \
        r['TagSet']


def test_errors_then_same_connection(server, s3, tb):
    with client_error(404, 'NoSuchKey'):
        s3.get_object_tagging(Bucket=tb, Key='missing')
    with client_error(404, 'NoSuchBucket'):
        s3.get_object_tagging(Bucket=new_bucket_name('gone'), Key='k')
    conn = KeepAlive(server)
    try:
        conn.send(conn.head('GET', '/%s/missing' % tb,
                            query=[('tagging', '')]))
        assert_error(conn.response(), 404, 'NoSuchKey')
        conn.send(conn.head('GET', '/%s/plain' % tb,
                            query=[('tagging', ''), ('versionId', 'v2')]))
        assert_error(conn.response(), 404, 'NoSuchVersion')
        conn.send(conn.head('GET', '/%s/plain' % tb,
                            query=[('tagging', '')]))
        r = conn.response()
        assert r.status == 200 and b'<TagSet></TagSet>' in r.body, r
    finally:
        conn.close()
