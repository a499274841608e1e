"""A small AWS Signature Version 2 signer for S3, core Python only.

    StringToSign = Method \\n Content-MD5 \\n Content-Type \\n Date \\n
                   CanonicalizedAmzHeaders CanonicalizedResource

Tests use it to craft requests that real clients will not send (skewed
dates, expired URLs, tampered signatures). Paths are passed as they go on
the wire (already percent-encoded): SigV2 signs the path as sent.
test_sigv2.py checks this signer against botocore's HmacV1Auth.
"""

import base64
import email.utils
import hashlib
import hmac
import time
import urllib.parse

# the sub-resources the server signs (ngx_http_s3_sigv2.c)
SUBRESOURCES = {
    'accelerate', 'acl', 'analytics', 'cors', 'delete', 'encryption',
    'intelligent-tiering', 'inventory', 'legal-hold', 'lifecycle',
    'location', 'logging', 'metrics', 'notification', 'object-lock',
    'ownershipControls', 'partNumber', 'policy', 'policyStatus',
    'publicAccessBlock', 'replication', 'requestPayment',
    'response-cache-control', 'response-content-disposition',
    'response-content-encoding', 'response-content-language',
    'response-content-type', 'response-expires', 'restore', 'retention',
    'select', 'select-type', 'tagging', 'torrent', 'uploadId', 'uploads',
    'versionId', 'versioning', 'versions', 'website',
}


def http_date(delta=0):
    """An RFC 1123 date for now + delta seconds."""

    return email.utils.formatdate(time.time() + delta, usegmt=True)


def canonical_resource(path, query_pairs=(), bucket=None):
    """["/" bucket] path ["?" sub-resources sorted, values not encoded].
    query_pairs are (name, value) not encoded; value None: the bare
    name."""

    res = ('/' + bucket if bucket else '') + path
    subs = sorted(((k, v) for k, v in query_pairs if k in SUBRESOURCES),
                  key=lambda kv: kv[0])
    if subs:
        res += '?' + '&'.join(k if not v else '%s=%s' % (k, v)
                              for k, v in subs)
    return res


def canonical_amz_headers(headers):
    amz = {}
    for k, v in headers.items():
        lk = k.lower()
        if lk.startswith('x-amz-'):
            amz.setdefault(lk, []).append(v.strip())
    return ''.join('%s:%s\n' % (k, ','.join(amz[k])) for k in sorted(amz))


def string_to_sign(method, path, query_pairs, headers, date_line,
                   bucket=None):
    low = {k.lower(): v for k, v in headers.items()}
    return '%s\n%s\n%s\n%s\n%s%s' % (
        method, low.get('content-md5', ''), low.get('content-type', ''),
        date_line, canonical_amz_headers(headers),
        canonical_resource(path, query_pairs, bucket))


def sign(secret, sts):
    mac = hmac.new(secret.encode(), sts.encode('utf-8'), hashlib.sha1)
    return base64.b64encode(mac.digest()).decode()


def sign_headers(method, path, query_pairs, headers, access_key, secret,
                 date=None, bucket=None):
    """headers plus Date (unless x-amz-date is given, or date is False)
    and Authorization: AWS AK:signature."""

    headers = dict(headers or {})
    amz_date = any(k.lower() == 'x-amz-date' for k in headers)
    if date is None and not amz_date:
        date = http_date()
    if date:
        headers['Date'] = date
    date_line = '' if amz_date else (date or '')
    sts = string_to_sign(method, path, query_pairs, headers, date_line,
                         bucket)
    headers['Authorization'] = 'AWS %s:%s' % (access_key, sign(secret, sts))
    return headers


def presign(method, path, query_pairs, access_key, secret, expires,
            headers=None, bucket=None):
    """The query pairs of a presigned URL; expires: epoch seconds."""

    sts = string_to_sign(method, path, query_pairs, headers or {},
                         str(expires), bucket)
    return list(query_pairs) + [('AWSAccessKeyId', access_key),
                                ('Expires', str(expires)),
                                ('Signature', sign(secret, sts))]


def wire_query(pairs):
    """The query string as sent (bare names for an empty value)."""

    q = urllib.parse.quote
    return '&'.join('%s=%s' % (q(k, safe='-_.~'), q(v, safe='-_.~'))
                    if v else q(k, safe='-_.~') for k, v in pairs)
