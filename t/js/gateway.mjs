// The AWS SDK for JavaScript v3 through ngx_s3 in gateway mode, driven by
// t/test_gateway_interop.py, which runs it twice: through the gateway
// with the SDK's default checksums (CRC32 in a header for Buffer bodies,
// aws-chunked with a CRC32 trailer for stream bodies, a CRC32 per part
// with lib-storage's Upload), and against RGW directly with checksums
// only where required (RGW 16 refuses the unsigned-trailer bodies), then
// compares the two outputs.
// Environment: S3_ENDPOINT, S3_ACCESS_KEY, S3_SECRET_KEY, S3_REGION,
// S3_BUCKET (exists, empty), S3_BIG_FILE, S3_DIR (a directory to write
// files in), S3_CHECKSUMS ("default" or "required"), S3_BODIES ("buffer",
// "stream" or both, comma-separated: the PutObject bodies), S3_UPLOAD
// ("0": no lib-storage Upload).
// Prints one line of JSON: what was sent and what came back.

import { createReadStream, readFileSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import assert from 'node:assert/strict';
import {
    S3Client, PutObjectCommand, GetObjectCommand, HeadObjectCommand,
    ListObjectsV2Command, ListMultipartUploadsCommand,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';

const env = process.env;
const bucket = env.S3_BUCKET;
const MiB = 1024 * 1024;
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

// the headers of each PutObject, by key
const wire = {};
s3.middlewareStack.add((next) => async (args) => {
    const req = args.request;
    const key = decodeURIComponent(req.path.split('/').slice(2).join('/'));
    if (req.method === 'PUT' && key && !req.query?.uploadId) {
        const h = {};
        for (const [k, v] of Object.entries(req.headers)) {
            h[k.toLowerCase()] = v;
        }
        wire[key] = h;
    }
    return next(args);
}, { step: 'finalizeRequest', name: 'recordHeaders', priority: 'low' });

const md5 = (b) => createHash('md5').update(b).digest('hex');

async function bytes(out) {
    return Buffer.from(await out.Body.transformToByteArray());
}

function file(name, data) {
    const path = join(env.S3_DIR, name);
    writeFileSync(path, data);
    return path;
}

const big = readFileSync(env.S3_BIG_FILE);
const small = big.subarray(0, 3000);
const multi = big.subarray(100, 100 + 6 * MiB + 123);

const kinds = (env.S3_BODIES || 'buffer,stream').split(',');
const bodies = Object.fromEntries(Object.entries({
    'buffer-small': small,
    'buffer-multi': multi,
    'stream-small': small,
    'stream-multi': multi,
    'stream-empty': Buffer.alloc(0),
}).filter(([key]) => kinds.includes(key.split('-')[0])));
const puts = {};
for (const [key, data] of Object.entries(bodies)) {
    const body = key.startsWith('stream')
        ? createReadStream(file(key, data)) : data;
    const res = await s3.send(new PutObjectCommand({
        Bucket: bucket, Key: key, Body: body,
        ContentType: 'application/x-js', Metadata: { from: 'js', key },
    }));
    assert.equal(res.ETag, `"${md5(data)}"`, key);
    puts[key] = res.ETag;
}

const gets = {};
for (const [key, data] of Object.entries(bodies)) {
    const got = await s3.send(new GetObjectCommand({
        Bucket: bucket, Key: key }));
    const b = await bytes(got);
    assert.ok(b.equals(data), `${key}: the object differs`);
    gets[key] = {
        md5: md5(b), length: got.ContentLength, etag: got.ETag,
        type: got.ContentType, meta: got.Metadata,
    };
    if (data.length > 2000) {
        const r = await s3.send(new GetObjectCommand({
            Bucket: bucket, Key: key, Range: 'bytes=1000-1999' }));
        const rb = await bytes(r);
        assert.ok(rb.equals(data.subarray(1000, 2000)), `${key}: range`);
        gets[key].range = [r.ContentRange, md5(rb)];
    }
}

// lib-storage: 5 MiB parts from a stream, 5 parts
let upload = null;
if (env.S3_UPLOAD !== '0') {
    const up = new Upload({
        client: s3,
        params: {
            Bucket: bucket, Key: 'lib-storage/big.bin',
            Body: createReadStream(env.S3_BIG_FILE),
            ContentType: 'application/x-test', Metadata: { from: 'upload' },
        },
        partSize: 5 * MiB, queueSize: 4, leavePartsOnError: false,
    });
    await up.done();
    const head = await s3.send(new HeadObjectCommand({
        Bucket: bucket, Key: 'lib-storage/big.bin' }));
    const got = await s3.send(new GetObjectCommand({
        Bucket: bucket, Key: 'lib-storage/big.bin' }));
    const gb = await bytes(got);
    assert.ok(gb.equals(big), 'lib-storage/big.bin differs');
    upload = {
        etag: head.ETag, length: head.ContentLength, type: head.ContentType,
        meta: head.Metadata, md5: md5(gb),
    };
    const ups = await s3.send(new ListMultipartUploadsCommand({
        Bucket: bucket }));
    assert.equal(ups.Uploads, undefined);
}

const listed = await s3.send(new ListObjectsV2Command({ Bucket: bucket }));
const list = listed.Contents.map((c) => [c.Key, c.Size, c.ETag]);

console.log(JSON.stringify({ puts, gets, upload, list, wire }));
