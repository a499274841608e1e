// A small S3 client for the console: path-style requests signed in the
// browser (sigv4.js), fetch() for small requests, XMLHttpRequest where
// upload progress matters.  Errors are S3Error with S3's Code.

import * as sigv4 from './sigv4.js';

export class S3Error extends Error {
    constructor(status, code, message, extra = {}) {
        super(message || code || ('HTTP ' + status));
        this.name = 'S3Error';
        this.status = status;
        this.code = code || (status ? 'HTTP' + status : 'NetworkError');
        this.extra = extra;
    }
}

// a network failure (no HTTP answer), a 5xx, 408 or 429: worth a retry
export function retryable(err) {
    return err instanceof S3Error
        && (err.status === 0 || err.status >= 500 || err.status === 408
            || err.status === 429);
}

const XMLNS = 'http://s3.amazonaws.com/doc/2006-03-01/';

function children(el, name) {
    return Array.from(el ? el.children : []).filter((c) =>
        c.localName === name);
}

function child(el, name) {
    return children(el, name)[0] || null;
}

function text(el, name, dflt = '') {
    const c = child(el, name);
    return c ? c.textContent : dflt;
}

export function parseXml(s) {
    const doc = new DOMParser().parseFromString(s, 'application/xml');
    if (doc.getElementsByTagName('parsererror').length) {
        throw new S3Error(0, 'BadXml', 'the server sent a document that is '
                          + 'not XML');
    }
    return doc.documentElement;
}

function errorFrom(status, body, statusText) {
    let code = '';
    let message = '';
    const extra = {};
    if (body && body.trim().startsWith('<')) {
        try {
            const root = parseXml(body);
            if (root.localName === 'Error') {
                for (const c of Array.from(root.children)) {
                    extra[c.localName] = c.textContent;
                }
                code = extra.Code || '';
                message = extra.Message || '';
            }
        } catch (e) {
            /* not an S3 error document */
        }
    }
    return new S3Error(status, code, message || statusText
                       || ('HTTP ' + status), extra);
}

function esc(s) {
    return String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;')
        .replace(/>/g, '&gt;');
}

export class S3 {
    // {endpoint: 'http://host:port' (no path), region, accessKey,
    //  secretKey}
    constructor(cfg) {
        this.endpoint = cfg.endpoint.replace(/\/+$/, '');
        this.host = new URL(this.endpoint).host;
        this.cred = { accessKey: cfg.accessKey, secretKey: cfg.secretKey,
                      region: cfg.region || 'us-east-1' };
        this.skew = 0;          // server time - our clock, ms
    }

    now() {
        return new Date(Date.now() + this.skew);
    }

    // the clock of the server from an answer (RequestTimeTooSkewed)
    learnClock(dateHeader, err) {
        const t = Date.parse((err && err.extra.ServerTime) || dateHeader
                             || '');
        if (!isNaN(t)) {
            this.skew = t - Date.now();
            return true;
        }
        return false;
    }

    async sign(method, bucket, key, query, headers, payloadHash) {
        const path = sigv4.s3Path(bucket, key);
        const h = await sigv4.signHeaders(this.cred, {
            method, host: this.host, path, query, headers, payloadHash,
            date: this.now() });
        const qs = sigv4.wireQuery(query || []);
        return { url: this.endpoint + path + (qs ? '?' + qs : ''),
                 headers: h };
    }

    // one request with fetch(); body: a string (hashed) or null.  Returns
    // {status, headers, text}; an S3 error answer throws S3Error.
    async request(method, bucket, key, opts = {}) {
        for (let attempt = 0; ; attempt++) {
            const body = opts.body === undefined ? null : opts.body;
            const payload = body === null ? sigv4.EMPTY_SHA256
                : await sigv4.sha256Hex(body);
            const s = await this.sign(method, bucket, key, opts.query,
                                      opts.headers, payload);
            let res;
            try {
                // no cached listings; but not on a write: the browser
                // then sends Cache-Control: no-cache, which S3 would
                // store with a new object (CreateMultipartUpload)
                const read = method === 'GET' || method === 'HEAD';
                res = await fetch(s.url, { method, headers: s.headers,
                                           body, signal: opts.signal,
                                           cache: read ? 'no-store'
                                                       : 'default',
                                           credentials: 'omit' });
            } catch (e) {
                if (e.name === 'AbortError') {
                    throw e;
                }
                throw new S3Error(0, 'NetworkError',
                                  'no answer from ' + this.endpoint
                                  + ' (' + e.message + ')');
            }
            const t = method === 'HEAD' ? '' : await res.text();
            if (res.ok) {
                return { status: res.status, headers: res.headers, text: t };
            }
            const err = errorFrom(res.status, t, res.statusText);
            if (err.code === 'RequestTimeTooSkewed' && attempt === 0
                && this.learnClock(res.headers.get('date'), err))
            {
                continue;
            }
            throw err;
        }
    }

    async xml(method, bucket, key, opts) {
        const r = await this.request(method, bucket, key, opts);
        return parseXml(r.text);
    }

    // ListBuckets: [{name, created}]
    async listBuckets() {
        const root = await this.xml('GET', '', null);
        return children(child(root, 'Buckets'), 'Bucket').map((b) => ({
            name: text(b, 'Name'), created: text(b, 'CreationDate') }));
    }

    async createBucket(name) {
        let body = null;
        if (this.cred.region !== 'us-east-1') {
            body = '<CreateBucketConfiguration xmlns="' + XMLNS + '">'
                + '<LocationConstraint>' + esc(this.cred.region)
                + '</LocationConstraint></CreateBucketConfiguration>';
        }
        await this.request('PUT', name, null, { body });
    }

    async deleteBucket(name) {
        await this.request('DELETE', name, null);
    }

    // ListObjectsV2, one page: {folders: [prefix], objects: [{key, size,
    // modified, etag}], next: continuation token or null}
    async list(bucket, prefix, token, maxKeys = 1000, delimiter = '/') {
        const q = [['list-type', '2'], ['prefix', prefix || ''],
                   ['max-keys', String(maxKeys)], ['encoding-type', 'url']];
        if (delimiter) {
            q.push(['delimiter', delimiter]);
        }
        if (token) {
            q.push(['continuation-token', token]);
        }
        const root = await this.xml('GET', bucket, null, { query: q });
        const url = text(root, 'EncodingType') === 'url';
        const dec = (s) => (url ? decodeURIComponent(s.replace(/\+/g,
                                                               ' ')) : s);
        return {
            folders: children(root, 'CommonPrefixes').map((p) =>
                dec(text(p, 'Prefix'))),
            objects: children(root, 'Contents').map((c) => ({
                key: dec(text(c, 'Key')),
                size: Number(text(c, 'Size', '0')),
                modified: text(c, 'LastModified'),
                etag: text(c, 'ETag'),
            })),
            next: text(root, 'IsTruncated') === 'true'
                ? text(root, 'NextContinuationToken') || null : null,
        };
    }

    // HeadObject: [[name, value], ...] of the answer's headers
    async head(bucket, key) {
        const r = await this.request('HEAD', bucket, key);
        const out = [];
        r.headers.forEach((v, k) => out.push([k, v]));
        return out;
    }

    // GetObjectTagging: [{key, value}]
    async tags(bucket, key) {
        const root = await this.xml('GET', bucket, key,
                                    { query: [['tagging', '']] });
        return children(child(root, 'TagSet'), 'Tag').map((t) => ({
            key: text(t, 'Key'), value: text(t, 'Value') }));
    }

    // ListObjectVersions of one key: [{versionId, latest, modified, size,
    // deleteMarker, etag}]
    async versions(bucket, key) {
        const out = [];
        let km = null;
        let vm = null;
        for (let page = 0; page < 20; page++) {
            const q = [['versions', ''], ['prefix', key]];
            if (km !== null) {
                q.push(['key-marker', km], ['version-id-marker', vm]);
            }
            const root = await this.xml('GET', bucket, null, { query: q });
            for (const v of Array.from(root.children)) {
                if ((v.localName === 'Version'
                     || v.localName === 'DeleteMarker')
                    && text(v, 'Key') === key)
                {
                    out.push({
                        versionId: text(v, 'VersionId'),
                        latest: text(v, 'IsLatest') === 'true',
                        modified: text(v, 'LastModified'),
                        size: Number(text(v, 'Size', '0')),
                        etag: text(v, 'ETag'),
                        deleteMarker: v.localName === 'DeleteMarker',
                    });
                }
            }
            if (text(root, 'IsTruncated') !== 'true') {
                break;
            }
            km = text(root, 'NextKeyMarker');
            vm = text(root, 'NextVersionIdMarker');
            if (km > key) {
                break;
            }
        }
        return out;
    }

    async deleteObject(bucket, key) {
        await this.request('DELETE', bucket, key);
    }

    // a zero-byte "folder/" object
    async putEmpty(bucket, key) {
        await this.request('PUT', bucket, key, { body: '' });
    }

    async presign(bucket, key, expires, query = [], method = 'GET') {
        return sigv4.presign(this.cred, {
            method, endpoint: this.endpoint, path: sigv4.s3Path(bucket, key),
            query, expires, date: this.now() });
    }

    // PUT of a body with XMLHttpRequest (upload progress).
    //   opts: {query, headers, onprogress(loaded), signal}
    // Resolves {status, etag}; rejects S3Error (status 0: network).
    async xhrPut(bucket, key, body, opts = {}) {
        const s = await this.sign('PUT', bucket, key, opts.query,
                                  opts.headers, sigv4.UNSIGNED);
        return new Promise((resolve, reject) => {
            const x = new XMLHttpRequest();
            const abort = () => x.abort();
            x.open('PUT', s.url);
            for (const [k, v] of Object.entries(s.headers)) {
                x.setRequestHeader(k, v);
            }
            if (opts.onprogress) {
                x.upload.onprogress = (e) => opts.onprogress(e.loaded);
            }
            x.onload = () => {
                if (opts.signal) {
                    opts.signal.removeEventListener('abort', abort);
                }
                if (x.status >= 200 && x.status < 300) {
                    resolve({ status: x.status,
                              etag: x.getResponseHeader('ETag') });
                } else {
                    reject(errorFrom(x.status, x.responseText,
                                     x.statusText));
                }
            };
            x.onerror = () => reject(new S3Error(0, 'NetworkError',
                                                 'the connection failed'));
            x.ontimeout = x.onerror;
            x.onabort = () => reject(new DOMException('aborted',
                                                      'AbortError'));
            if (opts.signal) {
                if (opts.signal.aborted) {
                    reject(new DOMException('aborted', 'AbortError'));
                    return;
                }
                opts.signal.addEventListener('abort', abort);
            }
            x.send(body);
        });
    }

    async createMultipart(bucket, key, contentType) {
        const headers = contentType ? { 'content-type': contentType } : {};
        const root = await this.xml('POST', bucket, key,
                                    { query: [['uploads', '']], headers });
        return text(root, 'UploadId');
    }

    // ListParts, every page: [{partNumber, etag, size}]
    async listParts(bucket, key, uploadId) {
        const out = [];
        let marker = null;
        for (;;) {
            const q = [['uploadId', uploadId]];
            if (marker !== null) {
                q.push(['part-number-marker', marker]);
            }
            const root = await this.xml('GET', bucket, key, { query: q });
            for (const p of children(root, 'Part')) {
                out.push({ partNumber: Number(text(p, 'PartNumber')),
                           etag: text(p, 'ETag'),
                           size: Number(text(p, 'Size')) });
            }
            if (text(root, 'IsTruncated') !== 'true') {
                return out;
            }
            marker = text(root, 'NextPartNumberMarker');
        }
    }

    async completeMultipart(bucket, key, uploadId, parts) {
        const body = '<CompleteMultipartUpload xmlns="' + XMLNS + '">'
            + parts.map((p) => '<Part><PartNumber>' + p.partNumber
                        + '</PartNumber><ETag>' + esc(p.etag)
                        + '</ETag></Part>').join('')
            + '</CompleteMultipartUpload>';
        const r = await this.request('POST', bucket, key, {
            query: [['uploadId', uploadId]], body,
            headers: { 'content-type': 'application/xml' } });
        // an error may come with 200 once the body has started
        const root = parseXml(r.text);
        if (root.localName === 'Error') {
            throw errorFrom(200, r.text, '');
        }
        return text(root, 'ETag');
    }

    async abortMultipart(bucket, key, uploadId) {
        await this.request('DELETE', bucket, key,
                           { query: [['uploadId', uploadId]] });
    }
}
