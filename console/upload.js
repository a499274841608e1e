// Uploads: one PUT for small files, a multipart upload with parallel parts
// for big ones.  A failed request is retried (network errors, 5xx); an
// upload that still fails keeps its UploadId in sessionStorage, and
// resuming it (the same File, or the same file chosen again in this tab)
// asks ListParts which parts the server has and sends only the others.

import { S3Error, retryable } from './s3.js';

const MiB = 1024 * 1024;

export const config = {
    partSize: 8 * MiB,          // at least S3's 5 MiB
    threshold: 16 * MiB,        // multipart above this size
    parallel: 4,                // parts in flight
    attempts: 5,                // tries of one request
    backoff: 500,               // ms before the 2nd try, doubling
};

const STORE = 'ngx_s3_console.multipart';

function sleep(ms, signal) {
    return new Promise((resolve, reject) => {
        const t = setTimeout(resolve, ms);
        if (signal) {
            signal.addEventListener('abort', () => {
                clearTimeout(t);
                reject(new DOMException('aborted', 'AbortError'));
            }, { once: true });
        }
    });
}

function fileId(bucket, key, file) {
    return [bucket, key, file.size, file.lastModified || 0].join('\n');
}

function saved() {
    try {
        return JSON.parse(sessionStorage.getItem(STORE) || '{}');
    } catch (e) {
        return {};
    }
}

function save(id, value) {
    const all = saved();
    if (value) {
        all[id] = value;
    } else {
        delete all[id];
    }
    sessionStorage.setItem(STORE, JSON.stringify(all));
}

function partSizeFor(size) {
    // S3 allows 10000 parts: bigger parts for files over 78 GiB
    let ps = config.partSize;
    while (Math.ceil(size / ps) > 10000) {
        ps *= 2;
    }
    return ps;
}

// events: 'progress' (detail: {loaded, total}), 'state' (detail: state)
export class Upload extends EventTarget {
    constructor(s3, bucket, key, file) {
        super();
        this.s3 = s3;
        this.bucket = bucket;
        this.key = key;
        this.file = file;
        this.total = file.size;
        this.loaded = 0;
        this.state = 'queued';
        this.error = null;
        this.multipart = file.size > config.threshold;
        this.uploadId = null;
        this.resumed = 0;           // parts found on the server
        this.retries = 0;
        this.controller = null;
    }

    setState(s, err = null) {
        this.state = s;
        this.error = err;
        this.dispatchEvent(new CustomEvent('state', { detail: s }));
    }

    progress(loaded) {
        this.loaded = Math.min(loaded, this.total);
        this.dispatchEvent(new CustomEvent('progress', {
            detail: { loaded: this.loaded, total: this.total } }));
    }

    // run fn() until it succeeds, a non-retryable error, or attempts
    async retry(fn, signal) {
        for (let i = 1; ; i++) {
            try {
                return await fn();
            } catch (e) {
                if (e.name === 'AbortError' || !retryable(e)
                    || i >= config.attempts)
                {
                    throw e;
                }
                this.retries++;
                await sleep(config.backoff * 2 ** (i - 1), signal);
            }
        }
    }

    async start() {
        if (this.state === 'uploading' || this.state === 'done') {
            return;
        }
        this.controller = new AbortController();
        const signal = this.controller.signal;
        this.setState('uploading');
        try {
            if (this.multipart) {
                await this.runMultipart(signal);
            } else {
                await this.retry(() => this.s3.xhrPut(
                    this.bucket, this.key, this.file, {
                        headers: this.file.type
                            ? { 'content-type': this.file.type } : {},
                        onprogress: (n) => this.progress(n), signal,
                    }), signal);
            }
            this.progress(this.total);
            this.setState('done');
        } catch (e) {
            if (e.name === 'AbortError') {
                this.setState('cancelled');
            } else {
                this.setState('failed', e);
            }
        }
    }

    async runMultipart(signal) {
        const id = fileId(this.bucket, this.key, this.file);
        const ps = partSizeFor(this.total);
        const count = Math.max(1, Math.ceil(this.total / ps));
        const done = new Map();             // partNumber -> etag
        const prev = saved()[id];

        if (prev && prev.partSize === ps) {
            try {
                const parts = await this.retry(() => this.s3.listParts(
                    this.bucket, this.key, prev.uploadId), signal);
                this.uploadId = prev.uploadId;
                for (const p of parts) {
                    const want = Math.min(ps, this.total
                                          - (p.partNumber - 1) * ps);
                    if (p.partNumber <= count && p.size === want) {
                        done.set(p.partNumber, p.etag);
                    }
                }
                this.resumed = done.size;
            } catch (e) {
                if (!(e instanceof S3Error) || e.code !== 'NoSuchUpload') {
                    throw e;
                }
                save(id, null);
            }
        }
        if (!this.uploadId) {
            this.uploadId = await this.retry(() => this.s3.createMultipart(
                this.bucket, this.key, this.file.type), signal);
            save(id, { uploadId: this.uploadId, partSize: ps });
        }

        const inflight = new Map();         // partNumber -> bytes sent
        let base = 0;
        for (const n of done.keys()) {
            base += Math.min(ps, this.total - (n - 1) * ps);
        }
        const report = () => {
            let s = base;
            for (const v of inflight.values()) {
                s += v;
            }
            this.progress(s);
        };
        report();

        const todo = [];
        for (let n = 1; n <= count; n++) {
            if (!done.has(n)) {
                todo.push(n);
            }
        }
        let failure = null;
        const worker = async () => {
            while (todo.length && !failure) {
                const n = todo.shift();
                const blob = this.file.slice((n - 1) * ps,
                                             Math.min(n * ps, this.total));
                try {
                    const r = await this.retry(() => {
                        inflight.set(n, 0);
                        report();
                        return this.s3.xhrPut(this.bucket, this.key, blob, {
                            query: [['partNumber', String(n)],
                                    ['uploadId', this.uploadId]],
                            onprogress: (b) => {
                                inflight.set(n, b);
                                report();
                            },
                            signal });
                    }, signal);
                    inflight.delete(n);
                    base += blob.size;
                    done.set(n, r.etag);
                    report();
                } catch (e) {
                    inflight.delete(n);
                    report();
                    failure = failure || e;
                }
            }
        };
        await Promise.all(Array.from({ length: Math.min(config.parallel,
                                                        todo.length) },
                                     worker));
        if (failure) {
            throw failure;
        }

        const parts = Array.from(done.entries())
            .sort((a, b) => a[0] - b[0])
            .map(([partNumber, etag]) => ({ partNumber, etag }));
        await this.retry(() => this.s3.completeMultipart(
            this.bucket, this.key, this.uploadId, parts), signal);
        save(id, null);
    }

    // stop; a multipart upload is aborted on the server too
    async cancel() {
        const wasFailed = this.state === 'failed';
        if (this.controller) {
            this.controller.abort();
        }
        if (this.uploadId) {
            save(fileId(this.bucket, this.key, this.file), null);
            try {
                await this.s3.abortMultipart(this.bucket, this.key,
                                             this.uploadId);
            } catch (e) {
                /* gone already */
            }
            this.uploadId = null;
        }
        if (wasFailed || this.state === 'queued') {
            this.setState('cancelled');
        }
    }

    // after a failure: ListParts, then the parts that are missing
    resume() {
        if (this.state !== 'failed') {
            return Promise.resolve();
        }
        this.uploadId = null;
        return this.start();
    }
}

// uploads of many files, a few at a time
export class Queue {
    constructor(parallel = 2) {
        this.parallel = parallel;
        this.waiting = [];
        this.running = 0;
    }

    add(upload) {
        this.waiting.push(upload);
        this.pump();
    }

    pump() {
        while (this.running < this.parallel && this.waiting.length) {
            const u = this.waiting.shift();
            if (u.state !== 'queued') {
                continue;
            }
            this.running++;
            u.start().finally(() => {
                this.running--;
                this.pump();
            });
        }
    }
}
