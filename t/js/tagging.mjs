// Object and bucket tagging with the AWS SDK for JavaScript v3, driven by
// t/test_tagging.py.  Environment: S3_ENDPOINT, S3_ACCESS_KEY,
// S3_SECRET_KEY, S3_REGION, S3_BUCKET.  Prints "ok" on success; throws
// (exit 1) on the first mismatch.

import assert from 'node:assert/strict';
import {
    S3Client, CreateBucketCommand, PutObjectCommand, GetObjectCommand,
    CopyObjectCommand, GetObjectTaggingCommand,
    PutObjectTaggingCommand, DeleteObjectTaggingCommand,
    GetBucketTaggingCommand, PutBucketTaggingCommand,
    DeleteBucketTaggingCommand,
} from '@aws-sdk/client-s3';

const env = process.env;
const Bucket = env.S3_BUCKET;

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

async function expectError(promise, code, status) {
    try {
        await promise;
    } catch (e) {
        assert.equal(e.name, code, `want ${code}, got ${e.name}: ${e}`);
        assert.equal(e.$metadata.httpStatusCode, status);
        assert.ok(e.$metadata.requestId, 'no request id');
        return;
    }
    assert.fail(`want ${code}, the call succeeded`);
}

const tags = async (Key) =>
    (await s3.send(new GetObjectTaggingCommand({ Bucket, Key }))).TagSet;

await s3.send(new CreateBucketCommand({ Bucket }));

// x-amz-tagging on PutObject, x-amz-tagging-count on GET (TagCount)
await s3.send(new PutObjectCommand({
    Bucket, Key: 'js', Body: 'js body', Tagging: 'a=1&b=x%20y&e=',
}));
assert.deepEqual(await tags('js'), [
    { Key: 'a', Value: '1' }, { Key: 'b', Value: 'x y' },
    { Key: 'e', Value: '' }]);
const got = await s3.send(new GetObjectCommand({ Bucket, Key: 'js' }));
assert.equal(got.TagCount, 3);
assert.equal(await got.Body.transformToString(), 'js body');

// Put, Get, DeleteObjectTagging
const set = [{ Key: 'js', Value: '\u20ac' }, { Key: 'k'.repeat(128),
                                                Value: 'v'.repeat(256) }];
await s3.send(new PutObjectTaggingCommand({
    Bucket, Key: 'js', Tagging: { TagSet: set } }));
assert.deepEqual(await tags('js'), set);
await s3.send(new PutObjectTaggingCommand({
    Bucket, Key: 'js', VersionId: 'null',
    Tagging: { TagSet: [{ Key: 'one', Value: '1' }] } }));
assert.deepEqual(await tags('js'), [{ Key: 'one', Value: '1' }]);

// errors: nothing changes
await expectError(s3.send(new PutObjectTaggingCommand({
    Bucket, Key: 'js', Tagging: { TagSet: Array.from({ length: 11 },
        (_, i) => ({ Key: `k${i}`, Value: 'v' })) } })), 'InvalidTag', 400);
await expectError(s3.send(new PutObjectTaggingCommand({
    Bucket, Key: 'js', Tagging: { TagSet: [{ Key: 'aws:x', Value: 'v' }] },
})), 'InvalidTag', 400);
await expectError(s3.send(new PutObjectTaggingCommand({
    Bucket, Key: 'missing', Tagging: { TagSet: [] } })), 'NoSuchKey', 404);
await expectError(s3.send(new GetObjectTaggingCommand({
    Bucket, Key: 'js', VersionId: 'v2' })), 'NoSuchVersion', 404);
await expectError(s3.send(new PutObjectCommand({
    Bucket, Key: 'js', Body: 'new', Tagging: 'a=1&a=2' })),
    'InvalidArgument', 400);
assert.deepEqual(await tags('js'), [{ Key: 'one', Value: '1' }]);
assert.equal(await (await s3.send(new GetObjectCommand({ Bucket, Key: 'js' })))
             .Body.transformToString(), 'js body');

// a copy: COPY keeps the tags, REPLACE takes the request's
await s3.send(new CopyObjectCommand({
    Bucket, Key: 'js copy', CopySource: `${Bucket}/js` }));
assert.deepEqual(await tags('js copy'), [{ Key: 'one', Value: '1' }]);
await s3.send(new CopyObjectCommand({
    Bucket, Key: 'js copy', CopySource: `${Bucket}/js`,
    TaggingDirective: 'REPLACE', Tagging: 'r=2' }));
assert.deepEqual(await tags('js copy'), [{ Key: 'r', Value: '2' }]);

await s3.send(new DeleteObjectTaggingCommand({ Bucket, Key: 'js' }));
assert.deepEqual(await tags('js'), []);

// bucket tagging
await expectError(s3.send(new GetBucketTaggingCommand({ Bucket })),
                  'NoSuchTagSet', 404);
const bset = Array.from({ length: 50 }, (_, i) => ({ Key: `b${i}`,
                                                     Value: `${i}` }));
await s3.send(new PutBucketTaggingCommand({ Bucket,
                                            Tagging: { TagSet: bset } }));
assert.deepEqual((await s3.send(new GetBucketTaggingCommand({ Bucket })))
                 .TagSet, bset);
await expectError(s3.send(new PutBucketTaggingCommand({ Bucket,
    Tagging: { TagSet: [{ Key: 'd', Value: '1' }, { Key: 'd', Value: '2' }] },
})), 'InvalidTag', 400);
assert.equal((await s3.send(new GetBucketTaggingCommand({ Bucket })))
             .TagSet.length, 50);
await s3.send(new DeleteBucketTaggingCommand({ Bucket }));
await expectError(s3.send(new GetBucketTaggingCommand({ Bucket })),
                  'NoSuchTagSet', 404);

console.log('ok');
