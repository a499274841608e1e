// The console's SigV4 signer (console/sigv4.js) against AWS's published
// S3 examples (S3 API reference: "Signature Calculations for the
// Authorization Header: Transferring Payload in a Single Chunk" and
// "Authenticating Requests: Using Query Parameters"), the same examples
// t/unit/test_sigv4.c checks the module with.  TAP on stdout; run by
// t/test_console.py (node >= 20: WebCrypto is global).

import * as sigv4 from '../../console/sigv4.js';

const AK = 'AKIAIOSFODNN7EXAMPLE';
const cred = {
    accessKey: AK,
    secretKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
    region: 'us-east-1',
};
const HOST = 'examplebucket.s3.amazonaws.com';
const STAMP = '20130524T000000Z';
const EMPTY = sigv4.EMPTY_SHA256;
const SCOPE = AK + '/20130524/us-east-1/s3/aws4_request';

let n = 0;
let failed = 0;

function ok(cond, name, got, want) {
    n++;
    if (cond) {
        console.log('ok ' + n + ' - ' + name);
    } else {
        failed++;
        console.log('not ok ' + n + ' - ' + name);
        console.log('# got:  ' + JSON.stringify(got));
        console.log('# want: ' + JSON.stringify(want));
    }
}

function is(got, want, name) {
    ok(got === want, name, got, want);
}

function auth(signed, sig) {
    return 'AWS4-HMAC-SHA256 Credential=' + SCOPE + ', SignedHeaders='
        + signed + ', Signature=' + sig;
}

// GET Object, Range bytes=0-9

let cr = sigv4.canonicalRequest('GET', '/test.txt', [], {
    Host: HOST, Range: 'bytes=0-9', 'x-amz-content-sha256': EMPTY,
    'x-amz-date': STAMP }, EMPTY);
is(cr.text, 'GET\n/test.txt\n\nhost:' + HOST + '\nrange:bytes=0-9\n'
   + 'x-amz-content-sha256:' + EMPTY + '\nx-amz-date:' + STAMP + '\n\n'
   + 'host;range;x-amz-content-sha256;x-amz-date\n' + EMPTY,
   'GET Object: canonical request');
is(await sigv4.stringToSign(STAMP, '20130524/us-east-1/s3/aws4_request',
                            cr.text),
   'AWS4-HMAC-SHA256\n' + STAMP + '\n20130524/us-east-1/s3/aws4_request\n'
   + '7344ae5b7ee6c3e7e6b0fe0640412a37625d1fbfff95c48bbb2dc43964946972',
   'GET Object: string to sign');

let h = await sigv4.signHeaders(cred, {
    method: 'GET', host: HOST, path: '/test.txt',
    headers: { Range: 'bytes=0-9' }, payloadHash: EMPTY, amzDate: STAMP });
is(h.authorization, auth('host;range;x-amz-content-sha256;x-amz-date',
   'f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41'),
   'GET Object: Authorization');
is(h['x-amz-date'], STAMP, 'GET Object: x-amz-date');
is(h['x-amz-content-sha256'], EMPTY, 'GET Object: x-amz-content-sha256');

// PUT Object "test$file.text", REDUCED_REDUNDANCY, "Welcome to Amazon S3."

const body = 'Welcome to Amazon S3.';
const putSha = await sigv4.sha256Hex(body);
is(putSha,
   '44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072',
   'PUT Object: payload hash');
is(sigv4.s3Path('examplebucket', 'test$file.text'),
   '/examplebucket/test%24file.text', 'PUT Object: path encoding');
h = await sigv4.signHeaders(cred, {
    method: 'PUT', host: HOST, path: '/test%24file.text',
    headers: { Date: 'Fri, 24 May 2013 00:00:00 GMT',
               'x-amz-storage-class': 'REDUCED_REDUNDANCY' },
    payloadHash: putSha, amzDate: STAMP });
is(h.authorization, auth(
   'date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class',
   '98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd'),
   'PUT Object: Authorization');

// GET Bucket Lifecycle: ?lifecycle

h = await sigv4.signHeaders(cred, {
    method: 'GET', host: HOST, path: '/', query: [['lifecycle', '']],
    payloadHash: EMPTY, amzDate: STAMP });
is(h.authorization, auth('host;x-amz-content-sha256;x-amz-date',
   'fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543'),
   'GET Bucket Lifecycle: Authorization');

// GET Bucket (List Objects): ?max-keys=2&prefix=J, in that order

h = await sigv4.signHeaders(cred, {
    method: 'GET', host: HOST, path: '/',
    query: { 'max-keys': '2', prefix: 'J' },
    payloadHash: EMPTY, amzDate: STAMP });
is(h.authorization, auth('host;x-amz-content-sha256;x-amz-date',
   '34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7'),
   'List Objects: Authorization (query sorted)');
is(sigv4.canonicalQuery({ 'max-keys': '2', prefix: 'J' }),
   'max-keys=2&prefix=J', 'List Objects: canonical query');

// the presigned GET of test.txt for 86400 s

const url = await sigv4.presign(cred, {
    method: 'GET', endpoint: 'https://' + HOST, path: '/test.txt',
    expires: 86400, amzDate: STAMP });
is(url, 'https://' + HOST + '/test.txt?X-Amz-Algorithm=AWS4-HMAC-SHA256'
   + '&X-Amz-Credential=' + AK + '%2F20130524%2Fus-east-1%2Fs3%2F'
   + 'aws4_request&X-Amz-Date=' + STAMP + '&X-Amz-Expires=86400'
   + '&X-Amz-SignedHeaders=host&X-Amz-Signature='
   + 'aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404',
   'presigned GET: URL');

let threw = false;
try {
    await sigv4.presign(cred, { endpoint: 'https://' + HOST, path: '/x',
                                expires: 604801 });
} catch (e) {
    threw = e instanceof RangeError;
}
ok(threw, 'presign: more than 7 days refused');

// encoding details

is(sigv4.uriEncode('a b+c/d~e_f.g-h*é'),
   'a%20b%2Bc%2Fd~e_f.g-h%2A%C3%A9', 'uriEncode: slash encoded');
is(sigv4.s3Path('b', 'dir/a b+%.txt'), '/b/dir/a%20b%2B%25.txt',
   's3Path: key slashes kept');
is(sigv4.s3Path('', undefined), '/', 's3Path: the service');
is(sigv4.amzDate(new Date(Date.UTC(2013, 4, 24, 1, 2, 3, 456))),
   '20130524T010203Z', 'amzDate');
is(sigv4.canonicalQuery([['uploads', ''], ['b', '2'], ['a', 'x y']]),
   'a=x%20y&b=2&uploads=', 'canonicalQuery: sorted, bare name as name=');

console.log('1..' + n);
process.exit(failed ? 1 : 0);
