// Multipart upload with @aws-sdk/lib-storage's Upload, driven by
// t/test_multipart.py.  Environment: S3_ENDPOINT, S3_ACCESS_KEY,
// S3_SECRET_KEY, S3_REGION, S3_BUCKET, S3_BIG_FILE, S3_CHECKSUMS
// ("default": the SDK's defaults, a CRC32 per part and a COMPOSITE
// object checksum; "required": none).
// Prints one line "ok" on success; throws (exit 1) on the first mismatch.

import { createReadStream, readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import assert from 'node:assert/strict';
import {
    S3Client, CreateBucketCommand, GetObjectCommand, HeadObjectCommand,
    ListMultipartUploadsCommand,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';

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
const MiB = 1024 * 1024;

const md5 = (b) => createHash('md5').update(b).digest();

async function bytes(out) {
    return Buffer.from(await out.Body.transformToByteArray());
}

await s3.send(new CreateBucketCommand({ Bucket: bucket }));

const big = readFileSync(env.S3_BIG_FILE);
const partSize = 5 * MiB;

const up = new Upload({
    client: s3,
    params: {
        Bucket: bucket, Key: 'lib-storage/big.bin',
        Body: createReadStream(env.S3_BIG_FILE),
        ContentType: 'application/x-test', Metadata: { from: 'js' },
    },
    partSize, queueSize: 4, leavePartsOnError: false,
});
const res = await up.done();

const n = Math.ceil(big.length / partSize);
const parts = [];
for (let i = 0; i < n; i++) {
    parts.push(big.subarray(i * partSize, (i + 1) * partSize));
}
const etag = '"' + createHash('md5')
    .update(Buffer.concat(parts.map(md5))).digest('hex') + '-' + n + '"';
assert.equal(res.ETag, etag);

const got = await s3.send(new GetObjectCommand({
    Bucket: bucket, Key: 'lib-storage/big.bin' }));
assert.equal(got.ContentType, 'application/x-test');
assert.deepEqual(got.Metadata, { from: 'js' });
assert.ok((await bytes(got)).equals(big), 'the object differs');

// a range across the first part boundary, and a part
const r = await s3.send(new GetObjectCommand({
    Bucket: bucket, Key: 'lib-storage/big.bin',
    Range: `bytes=${partSize - 100}-${partSize + 99}` }));
assert.ok((await bytes(r)).equals(big.subarray(partSize - 100,
                                               partSize + 100)));
const p2 = await s3.send(new GetObjectCommand({
    Bucket: bucket, Key: 'lib-storage/big.bin', PartNumber: 2 }));
assert.equal(p2.PartsCount, n);
assert.ok((await bytes(p2)).equals(parts[1]));

const h = await s3.send(new HeadObjectCommand({
    Bucket: bucket, Key: 'lib-storage/big.bin', ChecksumMode: 'ENABLED' }));
if (env.S3_CHECKSUMS === 'default') {
    // CRC32 of the parts' CRC32s, as lib-storage asked for
    assert.match(h.ChecksumCRC32, new RegExp(`^[A-Za-z0-9+/]{6}==-${n}$`));
    assert.equal(h.ChecksumType, 'COMPOSITE');
    assert.equal(res.ChecksumCRC32, h.ChecksumCRC32);
} else {
    assert.equal(h.ChecksumCRC32, undefined);
}

// a small body goes in one PutObject
const small = await new Upload({
    client: s3,
    params: { Bucket: bucket, Key: 'lib-storage/small',
              Body: Buffer.from('small body') },
}).done();
assert.equal(small.ETag, '"' + md5(Buffer.from('small body')).toString('hex')
             + '"');

const ups = await s3.send(new ListMultipartUploadsCommand({
    Bucket: bucket }));
assert.equal(ups.Uploads, undefined);

console.log('ok');
