// PutObject as the AWS SDK for JavaScript v3 sends it by default, driven by
// t/test_js_sdk.py.  A stream body (a file) goes aws-chunked
// (STREAMING-UNSIGNED-PAYLOAD-TRAILER) with its CRC32 in the trailer; a
// Buffer body carries x-amz-checksum-crc32 in a header.  Objects come back
// with ChecksumMode ENABLED, so the SDK also checks what the server
// returns.  Environment: S3_ENDPOINT, S3_ACCESS_KEY, S3_SECRET_KEY,
// S3_REGION, S3_BUCKET, S3_DIR (a directory to write files in), S3_KEEP
// (set: the objects and the bucket are left).
// Prints one line "ok" on success; throws (exit 1) on the first mismatch.

import { createReadStream, writeFileSync } from 'node:fs';
import { createHash, randomBytes } from 'node:crypto';
import { join } from 'node:path';
import assert from 'node:assert/strict';
import {
    S3Client, CreateBucketCommand, PutObjectCommand, GetObjectCommand,
    HeadObjectCommand, ListObjectsV2Command, DeleteObjectCommand,
    DeleteBucketCommand,
} from '@aws-sdk/client-s3';

const env = process.env;
const bucket = env.S3_BUCKET;

// the SDK's defaults, except retries: a failure must show
const s3 = new S3Client({
    endpoint: env.S3_ENDPOINT,
    region: env.S3_REGION,
    forcePathStyle: true,
    maxAttempts: 1,
    credentials: {
        accessKeyId: env.S3_ACCESS_KEY,
        secretAccessKey: env.S3_SECRET_KEY,
    },
});

// what went on the wire, per object key
const sent = new Map();
s3.middlewareStack.add((next) => async (args) => {
    const h = args.request.headers;
    const key = decodeURIComponent(args.request.path.split('/').slice(2)
                                   .join('/'));
    if (args.request.method === 'PUT' && key) {
        sent.set(key, { ...h });
    }
    return next(args);
}, { step: 'finalizeRequest', name: 'recordHeaders', priority: 'low' });

const md5 = (b) => createHash('md5').update(b).digest('hex');
const sha256 = (b) => createHash('sha256').update(b).digest('base64');

async function bytes(out) {
    return Buffer.from(await out.Body.transformToByteArray());
}

async function expectError(promise, name, status) {
    try {
        await promise;
    } catch (e) {
        assert.equal(e.name, name, `want ${name}, got ${e.name}: ${e}`);
        assert.equal(e.$metadata.httpStatusCode, status);
        assert.ok(e.$metadata.requestId, 'no request id');
        return;
    }
    assert.fail(`want ${name}, the call succeeded`);
}

function file(name, data) {
    const path = join(env.S3_DIR, name);
    writeFileSync(path, data);
    return path;
}

function header(key, name) {
    const h = sent.get(key);
    assert.ok(h, `no PUT of ${key} recorded`);
    for (const [k, v] of Object.entries(h)) {
        if (k.toLowerCase() === name) {
            return v;
        }
    }
    return undefined;
}

function assertChunked(key, trailer) {
    assert.equal(header(key, 'x-amz-content-sha256'),
                 'STREAMING-UNSIGNED-PAYLOAD-TRAILER', `${key}: not streamed`);
    assert.match(header(key, 'content-encoding'), /aws-chunked/);
    assert.equal(header(key, 'x-amz-trailer'), trailer);
}

const small = Buffer.from('hello from the JS SDK v3, aws-chunked\n'.repeat(30));
const big = randomBytes(5 * 1024 * 1024 + 4321);

await s3.send(new CreateBucketCommand({ Bucket: bucket }));

// the defaults with a stream: aws-chunked, CRC32 in the trailer

let put = await s3.send(new PutObjectCommand({
    Bucket: bucket, Key: 'small.txt', ContentType: 'text/plain',
    Body: createReadStream(file('small.txt', small)),
}));
assertChunked('small.txt', 'x-amz-checksum-crc32');
assert.equal(put.ETag, `"${md5(small)}"`);
assert.ok(put.ChecksumCRC32, 'no x-amz-checksum-crc32 in the reply');
const smallCrc = put.ChecksumCRC32;

put = await s3.send(new PutObjectCommand({
    Bucket: bucket, Key: 'dir/big.bin',
    Body: createReadStream(file('big.bin', big)),
}));
assertChunked('dir/big.bin', 'x-amz-checksum-crc32');
assert.equal(put.ETag, `"${md5(big)}"`);

// SHA256 asked for: in the trailer too

put = await s3.send(new PutObjectCommand({
    Bucket: bucket, Key: 'sha256.bin', ChecksumAlgorithm: 'SHA256',
    Body: createReadStream(file('sha256.bin', big.subarray(0, 300000))),
}));
assertChunked('sha256.bin', 'x-amz-checksum-sha256');
assert.equal(put.ChecksumSHA256, sha256(big.subarray(0, 300000)));

// a Buffer: the checksum in a header; CRC32C asked for

put = await s3.send(new PutObjectCommand({
    Bucket: bucket, Key: 'crc32c.txt', ChecksumAlgorithm: 'CRC32C',
    Body: small,
}));
assert.ok(header('crc32c.txt', 'x-amz-checksum-crc32c'));
assert.equal(put.ETag, `"${md5(small)}"`);

// a checksum that does not match: refused, nothing stored

await expectError(s3.send(new PutObjectCommand({
    Bucket: bucket, Key: 'bad.txt', Body: small,
    ChecksumCRC32: 'AAAAAA==',
})), 'BadDigest', 400);
await expectError(s3.send(new HeadObjectCommand({
    Bucket: bucket, Key: 'bad.txt' })), 'NotFound', 404);

// back, with the checksums: the SDK validates them as it reads

let got = await s3.send(new GetObjectCommand({
    Bucket: bucket, Key: 'small.txt', ChecksumMode: 'ENABLED' }));
assert.equal(got.ChecksumCRC32, smallCrc);
assert.equal(got.ContentType, 'text/plain');
assert.equal(got.ContentEncoding, undefined, 'aws-chunked was stored');
assert.ok((await bytes(got)).equals(small), 'small object differs');

got = await s3.send(new GetObjectCommand({
    Bucket: bucket, Key: 'dir/big.bin', ChecksumMode: 'ENABLED' }));
assert.ok(got.ChecksumCRC32);
assert.ok((await bytes(got)).equals(big), 'big object differs');

got = await s3.send(new GetObjectCommand({
    Bucket: bucket, Key: 'sha256.bin', ChecksumMode: 'ENABLED' }));
assert.equal(got.ChecksumSHA256, sha256(big.subarray(0, 300000)));
assert.ok((await bytes(got)).equals(big.subarray(0, 300000)));

const head = await s3.send(new HeadObjectCommand({
    Bucket: bucket, Key: 'crc32c.txt', ChecksumMode: 'ENABLED' }));
assert.equal(head.ContentLength, small.length);
assert.ok(head.ChecksumCRC32C);

const list = await s3.send(new ListObjectsV2Command({ Bucket: bucket }));
assert.deepEqual(list.Contents.map((c) => [c.Key, c.Size]),
                 [['crc32c.txt', small.length], ['dir/big.bin', big.length],
                  ['sha256.bin', 300000], ['small.txt', small.length]]);

// S3_KEEP: the caller looks at how they were stored (t/test_inline.py)
if (!env.S3_KEEP) {
    for (const c of list.Contents) {
        await s3.send(new DeleteObjectCommand({ Bucket: bucket,
                                                Key: c.Key }));
    }
    await s3.send(new DeleteBucketCommand({ Bucket: bucket }));
}

console.log('ok');
