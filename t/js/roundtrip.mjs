// Round trip with the AWS SDK for JavaScript v3, driven by
// t/test_interop_js.py.  Environment: S3_ENDPOINT, S3_ACCESS_KEY,
// S3_SECRET_KEY, S3_REGION, S3_BUCKET, S3_BIG_FILE, S3_CHECKSUMS
// ("required": checksums only where an operation requires them, as this
// server supports now; "default": the SDK's defaults).
// Prints one line "ok" on success; throws (exit 1) on the first mismatch.

import { readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import assert from 'node:assert/strict';
import {
    S3Client, CreateBucketCommand, HeadBucketCommand, ListBucketsCommand,
    PutObjectCommand, GetObjectCommand, HeadObjectCommand,
    ListObjectsV2Command, DeleteObjectCommand, DeleteObjectsCommand,
    DeleteBucketCommand,
} from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';

const env = process.env;
const bucket = env.S3_BUCKET;
const opts = {
    endpoint: env.S3_ENDPOINT,
    region: env.S3_REGION,
    forcePathStyle: true,
    maxAttempts: 1,
    credentials: {
        accessKeyId: env.S3_ACCESS_KEY,
        secretAccessKey: env.S3_SECRET_KEY,
    },
};
if (env.S3_CHECKSUMS !== 'default') {
    opts.requestChecksumCalculation = 'WHEN_REQUIRED';
    opts.responseChecksumValidation = 'WHEN_REQUIRED';
}
const s3 = new S3Client(opts);

const md5 = (b) => createHash('md5').update(b).digest('hex');

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

const small = Buffer.from('hello from the JS SDK v3\n'.repeat(20));
const big = readFileSync(env.S3_BIG_FILE);

await s3.send(new CreateBucketCommand({ Bucket: bucket }));
await s3.send(new HeadBucketCommand({ Bucket: bucket }));
const buckets = await s3.send(new ListBucketsCommand({}));
assert.ok(buckets.Buckets.some((b) => b.Name === bucket));

let put = await s3.send(new PutObjectCommand({
    Bucket: bucket, Key: 'small.txt', Body: small,
    ContentType: 'text/plain', Metadata: { origin: 'js' },
}));
assert.equal(put.ETag, `"${md5(small)}"`);
put = await s3.send(new PutObjectCommand({
    Bucket: bucket, Key: 'dir/big file.bin', Body: big,
}));
assert.equal(put.ETag, `"${md5(big)}"`);

const head = await s3.send(new HeadObjectCommand({
    Bucket: bucket, Key: 'small.txt' }));
assert.equal(head.ContentLength, small.length);
assert.equal(head.ContentType, 'text/plain');
assert.deepEqual(head.Metadata, { origin: 'js' });

let list = await s3.send(new ListObjectsV2Command({ Bucket: bucket }));
assert.deepEqual(list.Contents.map((c) => [c.Key, c.Size]),
                 [['dir/big file.bin', big.length], ['small.txt', small.length]]);
list = await s3.send(new ListObjectsV2Command({
    Bucket: bucket, Delimiter: '/' }));
assert.deepEqual(list.CommonPrefixes.map((p) => p.Prefix), ['dir/']);
assert.deepEqual(list.Contents.map((c) => c.Key), ['small.txt']);

let got = await s3.send(new GetObjectCommand({
    Bucket: bucket, Key: 'dir/big file.bin' }));
assert.ok((await bytes(got)).equals(big), 'big object differs');

got = await s3.send(new GetObjectCommand({
    Bucket: bucket, Key: 'dir/big file.bin', Range: 'bytes=1000-1999' }));
assert.equal(got.ContentRange, `bytes 1000-1999/${big.length}`);
assert.ok((await bytes(got)).equals(big.subarray(1000, 2000)));

const url = await getSignedUrl(s3, new GetObjectCommand({
    Bucket: bucket, Key: 'small.txt' }), { expiresIn: 300 });
const res = await fetch(url);
assert.equal(res.status, 200);
assert.ok(Buffer.from(await res.arrayBuffer()).equals(small));

await expectError(s3.send(new GetObjectCommand({
    Bucket: bucket, Key: 'missing' })), 'NoSuchKey', 404);

await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: 'small.txt' }));
const del = await s3.send(new DeleteObjectsCommand({
    Bucket: bucket,
    Delete: { Objects: [{ Key: 'dir/big file.bin' }, { Key: 'nope' }] },
}));
assert.deepEqual(del.Deleted.map((d) => d.Key).sort(),
                 ['dir/big file.bin', 'nope']);
await s3.send(new DeleteBucketCommand({ Bucket: bucket }));
await expectError(s3.send(new DeleteBucketCommand({ Bucket: bucket })),
                  'NoSuchBucket', 404);

console.log('ok');
