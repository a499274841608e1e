"""A small AWS Signature Version 4 signer for S3, core Python only.

Tests use it to craft requests that real clients will not send (bad
signatures, skewed dates, mismatched payload hashes, odd paths). Paths are
passed as they go on the wire (already percent-encoded): S3 signs the path
as sent, without normalising it. test_auth.py checks this signer against
botocore's.
"""

import datetime
import hashlib
import hmac
import urllib.parse

ALGORITHM = 'AWS4-HMAC-SHA256'
EMPTY_SHA256 = hashlib.sha256(b'').hexdigest()
UNSIGNED = 'UNSIGNED-PAYLOAD'


def amz_now(delta=0):
    """X-Amz-Date for now + delta seconds."""

    t = datetime.datetime.now(datetime.timezone.utc) \
        + datetime.timedelta(seconds=delta)
    return t.strftime('%Y%m%dT%H%M%SZ')


def uri_encode(s, slash=True):
    """S3's UriEncode: unreserved characters kept, the rest %XX upper."""

    if isinstance(s, str):
        s = s.encode('utf-8')
    return urllib.parse.quote(s, safe='-_.~' + ('/' if not slash else ''))


def key_path(bucket, key=None):
    """The wire path of a path-style request for bucket/key."""

    p = '/' + bucket
    if key is not None:
        p += '/' + urllib.parse.quote(key.encode('utf-8')
                                      if isinstance(key, str) else key,
                                      safe='/-_.~')
    return p


def canonical_query(pairs):
    enc = sorted((uri_encode(k), uri_encode(v)) for k, v in pairs)
    return '&'.join('%s=%s' % kv for kv in enc)


def wire_query(pairs):
    """The query string as sent: a pair with an empty value goes as the
    bare name (?delete, ?uploads), as the SDKs send sub-resources."""

    return '&'.join('%s=%s' % (uri_encode(k), uri_encode(v)) if v != ''
                    else uri_encode(k) for k, v in pairs)


def _hmac(key, msg):
    return hmac.new(key, msg.encode('utf-8'), hashlib.sha256).digest()


def signing_key(secret, date, region, service='s3'):
    k = _hmac(('AWS4' + secret).encode('utf-8'), date)
    k = _hmac(k, region)
    k = _hmac(k, service)
    return _hmac(k, 'aws4_request')


def _canon_value(v):
    return ' '.join(str(v).strip().split())


def canonical_request(method, path, query_pairs, headers, signed,
                      payload_hash):
    lower = {}
    for k, v in headers.items():
        lower[k.lower()] = _canon_value(v)
    canon_headers = ''.join('%s:%s\n' % (h, lower[h]) for h in signed)
    return '\n'.join([method, path, canonical_query(query_pairs),
                      canon_headers, ';'.join(signed), payload_hash])


def string_to_sign(amz_date, scope, creq):
    return '\n'.join([ALGORITHM, amz_date, scope,
                      hashlib.sha256(creq.encode('utf-8')).hexdigest()])


def sign_headers(method, host, path, query_pairs, headers, body,
                 access_key, secret, region='us-east-1', amz_date=None,
                 payload_hash=None, signed_headers=None, service='s3'):
    """Headers to send (the given ones plus x-amz-date,
    x-amz-content-sha256 and Authorization; Host is signed and must be sent
    as given).

    payload_hash: None computes the SHA-256 of body; a string is sent as
    is (UNSIGNED-PAYLOAD, or a deliberately wrong hash).
    signed_headers: names to sign (default: host, x-amz-*, content-md5,
    content-type and every header given).
    """

    amz_date = amz_date or amz_now()
    if payload_hash is None:
        payload_hash = hashlib.sha256(body or b'').hexdigest()
    out = dict(headers)
    out['x-amz-date'] = amz_date
    out['x-amz-content-sha256'] = payload_hash
    allh = {k.lower(): v for k, v in out.items()}
    allh['host'] = host
    if signed_headers is None:
        signed = sorted(allh)
    else:
        signed = sorted(h.lower() for h in signed_headers)
    creq = canonical_request(method, path, query_pairs, allh, signed,
                             payload_hash)
    date = amz_date[:8]
    scope = '%s/%s/%s/aws4_request' % (date, region, service)
    sts = string_to_sign(amz_date, scope, creq)
    sig = hmac.new(signing_key(secret, date, region, service),
                   sts.encode('utf-8'), hashlib.sha256).hexdigest()
    out['Authorization'] = (
        '%s Credential=%s/%s, SignedHeaders=%s, Signature=%s'
        % (ALGORITHM, access_key, scope, ';'.join(signed), sig))
    return out


def presign(method, host, path, query_pairs, access_key, secret,
            region='us-east-1', expires=3600, amz_date=None,
            extra_signed=None, service='s3'):
    """Query pairs of a presigned URL (the given pairs plus X-Amz-*)."""

    amz_date = amz_date or amz_now()
    date = amz_date[:8]
    scope = '%s/%s/%s/aws4_request' % (date, region, service)
    headers = {'host': host}
    headers.update({k.lower(): v for k, v in (extra_signed or {}).items()})
    signed = sorted(headers)
    pairs = list(query_pairs) + [
        ('X-Amz-Algorithm', ALGORITHM),
        ('X-Amz-Credential', '%s/%s' % (access_key, scope)),
        ('X-Amz-Date', amz_date),
        ('X-Amz-Expires', str(expires)),
        ('X-Amz-SignedHeaders', ';'.join(signed)),
    ]
    creq = canonical_request(method, path, pairs, headers, signed, UNSIGNED)
    sts = string_to_sign(amz_date, scope, creq)
    sig = hmac.new(signing_key(secret, date, region, service),
                   sts.encode('utf-8'), hashlib.sha256).hexdigest()
    return pairs + [('X-Amz-Signature', sig)]
