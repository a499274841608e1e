"""Listing: ListObjectsV2, ListObjects (v1), ListObjectVersions."""

import concurrent.futures
import urllib.parse

import pytest

from conftest import new_bucket_name
from s3raw import KeepAlive, assert_error, assert_ok, client_error, request

TREE = ['a', 'b/1', 'b/2', 'b/c/3', 'c', 'd/', 'd/x', 'e f/g', 'x&<y>',
        '\u00fc/1']

PAGE_KEYS = sorted(['page/%04d' % i for i in range(240)]
                   + ['page/' + s for s in ('A', 'Z', 'a', 'z', '\u00e9',
                                            '\u65e5\u672c', '~', '-', '.',
                                            '_')],
                   key=lambda k: k.encode())

GROUP_KEYS = (['grp/%02d/%d' % (i, j) for i in range(25) for j in range(2)]
              + ['grp/k%02d' % i for i in range(10)])


def _put_all(s3, bucket, keys):
    with concurrent.futures.ThreadPoolExecutor(8) as ex:
        list(ex.map(lambda k: s3.put_object(Bucket=bucket, Key=k,
                                            Body=k.encode()), keys))


@pytest.fixture(scope='module')
def tree(s3):
    name = new_bucket_name('tree')
    s3.create_bucket(Bucket=name)
    _put_all(s3, name, TREE)
    return name


@pytest.fixture(scope='module')
def paged(s3):
    name = new_bucket_name('paged')
    s3.create_bucket(Bucket=name)
    _put_all(s3, name, PAGE_KEYS + GROUP_KEYS)
    return name


def byte_sorted(keys):
    return sorted(keys, key=lambda k: k.encode())


def test_list_v2_all(s3, tree):
    r = s3.list_objects_v2(Bucket=tree)
    assert [c['Key'] for c in r['Contents']] == byte_sorted(TREE)
    assert r['KeyCount'] == len(TREE)
    assert r['IsTruncated'] is False
    assert r['Name'] == tree
    assert r['MaxKeys'] == 1000
    for c in r['Contents']:
        assert c['Size'] == len(c['Key'].encode())
        assert c['ETag'].startswith('"') and len(c['ETag']) == 34
        assert c['StorageClass'] == 'STANDARD'
        assert c['LastModified']
        assert 'Owner' not in c


def test_list_v2_fetch_owner(s3, tree):
    r = s3.list_objects_v2(Bucket=tree, FetchOwner=True, MaxKeys=2)
    assert all(c['Owner'].get('ID') for c in r['Contents'])


def test_list_v1_all(s3, tree):
    r = s3.list_objects(Bucket=tree)
    assert [c['Key'] for c in r['Contents']] == byte_sorted(TREE)
    assert r['IsTruncated'] is False
    assert all(c['Owner'].get('ID') for c in r['Contents'])


def test_list_prefix(s3, tree):
    for fn in (s3.list_objects_v2, s3.list_objects):
        r = fn(Bucket=tree, Prefix='b/')
        assert [c['Key'] for c in r['Contents']] == ['b/1', 'b/2', 'b/c/3']
        assert r['Prefix'] == 'b/'
        r = fn(Bucket=tree, Prefix='nothing')
        assert 'Contents' not in r


def test_list_delimiter(s3, tree):
    for fn in (s3.list_objects_v2, s3.list_objects):
        r = fn(Bucket=tree, Delimiter='/')
        assert [c['Key'] for c in r['Contents']] == ['a', 'c', 'x&<y>']
        assert [p['Prefix'] for p in r['CommonPrefixes']] \
            == byte_sorted(['b/', 'd/', 'e f/', '\u00fc/'])
        assert r['Delimiter'] == '/'
        if fn == s3.list_objects_v2:
            assert r['KeyCount'] == 7

        r = fn(Bucket=tree, Prefix='b/', Delimiter='/')
        assert [c['Key'] for c in r['Contents']] == ['b/1', 'b/2']
        assert [p['Prefix'] for p in r['CommonPrefixes']] == ['b/c/']

        r = fn(Bucket=tree, Prefix='d/', Delimiter='/')
        assert [c['Key'] for c in r['Contents']] == ['d/', 'd/x']
        assert 'CommonPrefixes' not in r

        # a delimiter other than /
        r = fn(Bucket=tree, Delimiter='1')
        assert [p['Prefix'] for p in r['CommonPrefixes']] \
            == byte_sorted(['b/1', '\u00fc/1'])


def test_list_start_after(s3, tree):
    r = s3.list_objects_v2(Bucket=tree, StartAfter='b/2')
    assert [c['Key'] for c in r['Contents']] \
        == [k for k in byte_sorted(TREE) if k.encode() > b'b/2']
    assert r['StartAfter'] == 'b/2'
    r = s3.list_objects(Bucket=tree, Marker='b/2')
    assert [c['Key'] for c in r['Contents']] \
        == [k for k in byte_sorted(TREE) if k.encode() > b'b/2']


def test_list_v2_paging(s3, paged):
    seen = []
    pages = 0
    kw = {'Bucket': paged, 'Prefix': 'page/', 'MaxKeys': 7}
    while True:
        r = s3.list_objects_v2(**kw)
        pages += 1
        got = [c['Key'] for c in r.get('Contents', [])]
        assert len(got) <= 7 and r['KeyCount'] == len(got)
        assert r['MaxKeys'] == 7
        seen += got
        if not r['IsTruncated']:
            assert 'NextContinuationToken' not in r
            break
        assert len(got) == 7
        kw['ContinuationToken'] = r['NextContinuationToken']
        assert pages < 100
    assert seen == PAGE_KEYS
    assert pages == (len(PAGE_KEYS) + 6) // 7


def test_list_v2_paging_start_after(s3, paged):
    start = PAGE_KEYS[100]
    seen = []
    kw = {'Bucket': paged, 'Prefix': 'page/', 'MaxKeys': 7,
          'StartAfter': start}
    while True:
        r = s3.list_objects_v2(**kw)
        seen += [c['Key'] for c in r.get('Contents', [])]
        if not r['IsTruncated']:
            break
        kw['ContinuationToken'] = r['NextContinuationToken']
    assert seen == PAGE_KEYS[101:]


def test_list_v1_paging(s3, paged):
    seen = []
    kw = {'Bucket': paged, 'Prefix': 'page/', 'MaxKeys': 7}
    while True:
        r = s3.list_objects(**kw)
        got = [c['Key'] for c in r.get('Contents', [])]
        seen += got
        if not r['IsTruncated']:
            break
        # without a delimiter the next marker is the last key
        kw['Marker'] = r.get('NextMarker', got[-1])
    assert seen == PAGE_KEYS


def test_list_paging_with_delimiter(s3, paged):
    want = ['grp/%02d/' % i for i in range(25)] \
        + ['grp/k%02d' % i for i in range(10)]
    for v in (1, 2):
        seen = []
        kw = {'Bucket': paged, 'Prefix': 'grp/', 'Delimiter': '/',
              'MaxKeys': 7}
        for _ in range(50):
            r = (s3.list_objects_v2 if v == 2 else s3.list_objects)(**kw)
            got = [p['Prefix'] for p in r.get('CommonPrefixes', [])] \
                + [c['Key'] for c in r.get('Contents', [])]
            assert len(got) <= 7
            if v == 2:
                assert r['KeyCount'] == len(got)
            seen += got
            if not r['IsTruncated']:
                break
            if v == 2:
                kw['ContinuationToken'] = r['NextContinuationToken']
            else:
                # with a delimiter, v1 answers NextMarker
                kw['Marker'] = r['NextMarker']
        assert byte_sorted(seen) == byte_sorted(want), 'v%d' % v
        assert len(seen) == len(set(seen)), 'v%d repeats' % v


def test_list_encoding_type_url(server, tree):
    r = assert_ok(request(server, 'GET', '/' + tree,
                          query=[('list-type', '2'), ('encoding-type', 'url'),
                                 ('delimiter', '/')]))
    root = r.xml()
    assert root.find('EncodingType').text == 'url'
    keys = [urllib.parse.unquote_plus(k.text) for k in root.iter('Key')]
    assert keys == ['a', 'c', 'x&<y>']
    raw = [k.text for k in root.iter('Key')]
    assert 'x&<y>' not in raw
    prefixes = [urllib.parse.unquote_plus(p.find('Prefix').text)
                for p in root.findall('CommonPrefixes')]
    assert prefixes == byte_sorted(['b/', 'd/', 'e f/', '\u00fc/'])
    assert all('%' in p.find('Prefix').text or ' ' not in
               p.find('Prefix').text for p in root.findall('CommonPrefixes'))

    r = assert_ok(request(server, 'GET', '/' + tree,
                          query=[('encoding-type', 'url'),
                                 ('prefix', 'e f/')]))
    root = r.xml()
    # S3 writes a space as '+' (form encoding), and a '+' as %2B
    assert [k.text for k in root.iter('Key')] == ['e+f/g']
    assert root.find('Prefix').text == 'e+f/'


def test_list_xml_escaping(server, tree):
    """Without encoding-type the keys are XML-escaped, and still parse."""

    r = assert_ok(request(server, 'GET', '/' + tree,
                          query=[('list-type', '2')]))
    keys = [k.text for k in r.xml().iter('Key')]
    assert keys == byte_sorted(TREE)
    r = assert_ok(request(server, 'GET', '/' + tree))
    keys = [k.text for k in r.xml().iter('Key')]
    assert keys == byte_sorted(TREE)


@pytest.mark.parametrize('query', [
    [('list-type', '2'), ('max-keys', '-1')],
    [('list-type', '2'), ('max-keys', 'abc')],
    [('max-keys', '-5')],
    [('list-type', '2'), ('continuation-token', 'not-a-token-!')],
    [('list-type', '2'), ('encoding-type', 'bogus')],
])
def test_list_bad_arguments(server, tree, query):
    r = request(server, 'GET', '/' + tree, query=query)
    assert_error(r, 400, 'InvalidArgument')


def test_list_empty_bucket(s3, bucket):
    r = s3.list_objects_v2(Bucket=bucket)
    assert r['KeyCount'] == 0
    assert 'Contents' not in r
    assert r['IsTruncated'] is False
    r = s3.list_object_versions(Bucket=bucket)
    assert 'Versions' not in r


def test_list_versions_unversioned(s3, tree):
    r = s3.list_object_versions(Bucket=tree)
    vs = r['Versions']
    assert [v['Key'] for v in vs] == byte_sorted(TREE)
    for v in vs:
        assert v['VersionId'] == 'null'
        assert v['IsLatest'] is True
        assert v['Size'] == len(v['Key'].encode())
        assert v['ETag'].startswith('"')
    assert not r.get('DeleteMarkers')
    assert r['IsTruncated'] is False

    r = s3.list_object_versions(Bucket=tree, Prefix='b/', Delimiter='/')
    assert [v['Key'] for v in r['Versions']] == ['b/1', 'b/2']
    assert [p['Prefix'] for p in r['CommonPrefixes']] == ['b/c/']


def test_list_versions_paging(s3, paged):
    seen = []
    kw = {'Bucket': paged, 'Prefix': 'page/', 'MaxKeys': 7}
    for _ in range(100):
        r = s3.list_object_versions(**kw)
        got = r.get('Versions', [])
        assert len(got) <= 7
        assert all(v['VersionId'] == 'null' and v['IsLatest'] for v in got)
        seen += [v['Key'] for v in got]
        if not r['IsTruncated']:
            break
        assert r['NextKeyMarker'] == got[-1]['Key']
        kw['KeyMarker'] = r['NextKeyMarker']
        if 'NextVersionIdMarker' in r:
            assert r['NextVersionIdMarker'] == 'null'
            kw['VersionIdMarker'] = r['NextVersionIdMarker']
    assert seen == PAGE_KEYS


def test_list_missing_bucket(s3):
    with client_error(404, 'NoSuchBucket'):
        s3.list_object_versions(Bucket=new_bucket_name('none'))
    with client_error(404, 'NoSuchBucket'):
        s3.list_objects(Bucket=new_bucket_name('none'))


# edge cases: empty arguments, control characters

CTL_KEYS = ['c\x01/a', 'c\x01/b', 'c\x01x', 'n\nl/1', 't\tb', 'r\rc',
            'sp ace', 'plus+', 'pct%', 'star*~', 'z\x1f']


def s3_form(s):
    """What S3 writes for encoding-type=url: Java's URLEncoder form
    encoding, '/' kept (A-Za-z0-9 - . _ * kept, space as '+')."""

    out = []
    for b in s.encode('utf-8'):
        c = chr(b)
        if c.isascii() and (c.isalnum() or c in '-._*/'):
            out.append(c)
        elif c == ' ':
            out.append('+')
        else:
            out.append('%%%02X' % b)
    return ''.join(out)


@pytest.fixture(scope='module')
def ctl(s3):
    name = new_bucket_name('ctl')
    s3.create_bucket(Bucket=name)
    _put_all(s3, name, CTL_KEYS)
    return name


LISTS = [
    ('v1', []),
    ('v2', [('list-type', '2')]),
    ('versions', [('versions', '')]),
]


@pytest.mark.parametrize('flavour,query', LISTS)
def test_list_empty_delimiter(server, tree, flavour, query):
    """delimiter= is no delimiter: no <Delimiter>, every key, no
    CommonPrefixes; the connection stays usable."""

    with KeepAlive(server) as c:
        r = assert_ok(c.request('GET', '/' + tree,
                                query=query + [('delimiter', '')]))
        root = r.xml()
        assert root.find('Delimiter') is None, r.body
        assert root.find('CommonPrefixes') is None, r.body
        assert [k.text for k in root.iter('Key')] == byte_sorted(TREE)

        r = assert_ok(c.request('GET', '/' + tree,
                                query=query + [('delimiter', '/')]))
        assert r.xml().find('Delimiter').text == '/'


def test_list_empty_continuation_token(server, tree, s3):
    """continuation-token= is no token: the listing starts at the top (or
    at start-after), and no <ContinuationToken> is echoed."""

    with KeepAlive(server) as c:
        r = assert_ok(c.request('GET', '/' + tree,
                                query=[('list-type', '2'),
                                       ('continuation-token', '')]))
        root = r.xml()
        assert root.find('ContinuationToken') is None, r.body
        assert [k.text for k in root.iter('Key')] == byte_sorted(TREE)

        r = assert_ok(c.request('GET', '/' + tree,
                                query=[('list-type', '2'),
                                       ('continuation-token', ''),
                                       ('start-after', 'b/2'),
                                       ('max-keys', '2')]))
        root = r.xml()
        assert [k.text for k in root.iter('Key')] == ['b/c/3', 'c']
        token = root.find('NextContinuationToken').text

        # the token still wins over start-after
        r = assert_ok(c.request('GET', '/' + tree,
                                query=[('list-type', '2'),
                                       ('continuation-token', token),
                                       ('start-after', 'b/2')]))
        root = r.xml()
        assert root.find('ContinuationToken').text == token
        assert [k.text for k in root.iter('Key')][:1] == ['d/']

        r = c.request('GET', '/' + tree, query=[('list-type', '2'),
                                                ('continuation-token', '!')])
        assert_error(r, 400, 'InvalidArgument')
        assert_ok(c.request('GET', '/' + tree, query=[('list-type', '2')]))
    assert s3.list_objects_v2(Bucket=tree)['KeyCount'] == len(TREE)


def _texts(root, path):
    return [el.text or '' for el in root.iterfind(path)]


@pytest.mark.parametrize('flavour,query', LISTS)
def test_list_url_encodes_controls(server, ctl, flavour, query):
    """encoding-type=url: Key, Prefix, Delimiter, markers, CommonPrefixes
    come back form-encoded as S3 writes them: valid XML, every byte
    recoverable."""

    marker = {'v1': 'marker', 'v2': 'start-after',
              'versions': 'key-marker'}[flavour]
    q = query + [('encoding-type', 'url'), ('prefix', 'c\x01'),
                 ('delimiter', '/'), (marker, '\x01')]
    with KeepAlive(server) as c:
        r = assert_ok(c.request('GET', '/' + ctl, query=q))
        root = r.xml()                  # parses: no raw or &#x1; controls
        assert b'&#x' not in r.body
        assert root.find('EncodingType').text == 'url'
        assert root.find('Prefix').text == 'c%01'
        assert root.find('Delimiter').text == '/'
        echoed = {'v1': 'Marker', 'v2': 'StartAfter',
                  'versions': 'KeyMarker'}[flavour]
        assert root.find(echoed).text == '%01'
        assert _texts(root, 'CommonPrefixes/Prefix') == ['c%01/']
        keys = 'Version/Key' if flavour == 'versions' else 'Contents/Key'
        assert _texts(root, keys) == ['c%01x']

        # a control character as the delimiter, and paging markers
        q = query + [('encoding-type', 'url'), ('delimiter', '\x01'),
                     ('max-keys', '1')]
        r = assert_ok(c.request('GET', '/' + ctl, query=q))
        root = r.xml()
        assert root.find('Delimiter').text == '%01'
        assert _texts(root, 'CommonPrefixes/Prefix') == ['c%01']
        assert root.find('IsTruncated').text == 'true'
        if flavour == 'v1':
            assert root.find('NextMarker').text == 'c%01'
        elif flavour == 'versions':
            assert root.find('NextKeyMarker').text == 'c%01'

        # every key, as S3 encodes it
        r = assert_ok(c.request('GET', '/' + ctl,
                                query=query + [('encoding-type', 'url')]))
        root = r.xml()
        got = _texts(root, keys)
        assert got == [s3_form(k) for k in byte_sorted(CTL_KEYS)]
        assert [urllib.parse.unquote_plus(k) for k in got] \
            == byte_sorted(CTL_KEYS)


def test_list_plain_controls_as_s3(server, ctl):
    """Without encoding-type, C0 controls are character references in the
    form S3 writes (&#x1;, lowercase, shortest); tab, LF and CR as
    references too, so a parser gives back the exact key."""

    r = assert_ok(request(server, 'GET', '/' + ctl,
                          query=[('list-type', '2'), ('prefix', 'c\x01'),
                                 ('delimiter', '/')]))
    assert b'<Prefix>c&#x1;</Prefix>' in r.body
    assert b'<Key>c&#x1;x</Key>' in r.body
    assert b'<CommonPrefixes><Prefix>c&#x1;/</Prefix></CommonPrefixes>' \
        in r.body

    r = assert_ok(request(server, 'GET', '/' + ctl,
                          query=[('list-type', '2'), ('prefix', 'n'),
                                 ('delimiter', '\t')]))
    assert b'<Key>n&#xa;l/1</Key>' in r.body
    assert [k.text for k in r.xml().iter('Key')] == ['n\nl/1']

    r = assert_ok(request(server, 'GET', '/' + ctl,
                          query=[('prefix', 'r'), ('marker', '\x1f')]))
    assert b'<Key>r&#xd;c</Key>' in r.body
    assert b'<Marker>&#x1f;</Marker>' in r.body


def test_list_controls_boto3(s3, ctl):
    """boto3 asks for encoding-type=url and decodes: every key exact."""

    for fn, key in ((s3.list_objects_v2, 'Contents'),
                    (s3.list_objects, 'Contents'),
                    (s3.list_object_versions, 'Versions')):
        r = fn(Bucket=ctl)
        assert [c['Key'] for c in r[key]] == byte_sorted(CTL_KEYS)
        r = fn(Bucket=ctl, Prefix='c\x01', Delimiter='/')
        assert [c['Key'] for c in r[key]] == ['c\x01x']
        assert [p['Prefix'] for p in r['CommonPrefixes']] == ['c\x01/']
        # botocore decodes no top-level Prefix of ListObjects (v1): what
        # it gets from S3 as well
        assert r['Prefix'] == ('c%01' if fn == s3.list_objects
                               else 'c\x01')
        r = fn(Bucket=ctl, Delimiter='\t')
        assert [p['Prefix'] for p in r['CommonPrefixes']] == ['t\t']
        assert r['Delimiter'] == '\t'
