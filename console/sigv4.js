// AWS Signature Version 4 for S3, with WebCrypto (HMAC-SHA256, SHA-256).
//
// No DOM: the same module runs in the browser and under node (>= 20, where
// crypto.subtle is global), and t/js/sigv4_vectors.mjs checks it against
// AWS's published S3 examples.
//
// Paths are S3's: each key segment URI-encoded once (no normalisation, no
// double encoding); query parameters sorted by encoded name, then value.

const enc = new TextEncoder();

export const EMPTY_SHA256 =
    'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';
export const UNSIGNED = 'UNSIGNED-PAYLOAD';
export const ALGORITHM = 'AWS4-HMAC-SHA256';
export const MAX_EXPIRES = 604800;        // 7 days, S3's limit

function subtle() {
    const c = globalThis.crypto;
    if (!c || !c.subtle) {
        throw new Error('WebCrypto is not available: the console needs a ' +
                        'secure context (https://, or http://localhost)');
    }
    return c.subtle;
}

function bytes(data) {
    if (typeof data === 'string') {
        return enc.encode(data);
    }
    if (data instanceof ArrayBuffer) {
        return new Uint8Array(data);
    }
    if (ArrayBuffer.isView(data)) {
        return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    }
    throw new TypeError('sigv4: string or bytes expected');
}

export function hex(buf) {
    const b = new Uint8Array(buf);
    let s = '';
    for (let i = 0; i < b.length; i++) {
        s += b[i].toString(16).padStart(2, '0');
    }
    return s;
}

export async function sha256Hex(data) {
    return hex(await subtle().digest('SHA-256', bytes(data)));
}

async function hmac(key, msg) {
    const k = await subtle().importKey('raw', bytes(key),
                                       { name: 'HMAC', hash: 'SHA-256' },
                                       false, ['sign']);
    return new Uint8Array(await subtle().sign('HMAC', k, bytes(msg)));
}

// S3's UriEncode: A-Z a-z 0-9 - _ . ~ kept, every other UTF-8 byte %XX
// (upper-case hex); '/' kept when slash is false (object key paths)
export function uriEncode(s, slash = true) {
    const b = enc.encode(String(s));
    let out = '';
    for (let i = 0; i < b.length; i++) {
        const c = b[i];
        if ((c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a)
            || (c >= 0x30 && c <= 0x39) || c === 0x2d || c === 0x5f
            || c === 0x2e || c === 0x7e || (c === 0x2f && !slash))
        {
            out += String.fromCharCode(c);
        } else {
            out += '%' + c.toString(16).toUpperCase().padStart(2, '0');
        }
    }
    return out;
}

// the wire (and canonical) path of a path-style request
export function s3Path(bucket, key) {
    let p = '/';
    if (bucket) {
        p += uriEncode(bucket);
        if (key !== undefined && key !== null) {
            p += '/' + uriEncode(key, false);
        }
    }
    return p;
}

// [[name, value], ...] or {name: value}: encoded, sorted pairs
function queryPairs(query) {
    const list = Array.isArray(query) ? query
        : Object.entries(query || {});
    const pairs = list.map(([k, v]) => [uriEncode(k),
                                        uriEncode(v === undefined
                                                  || v === null ? '' : v)]);
    pairs.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1
                          : a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0));
    return pairs;
}

export function canonicalQuery(query) {
    return queryPairs(query).map(([k, v]) => k + '=' + v).join('&');
}

// the query as sent: the canonical form (name= for a bare sub-resource,
// which S3 accepts as ?uploads)
export const wireQuery = canonicalQuery;

function canonValue(v) {
    return String(v).trim().replace(/\s+/g, ' ');
}

// headers: {name: value}; every header given is signed
export function canonicalRequest(method, path, query, headers, payloadHash) {
    const h = {};
    for (const [k, v] of Object.entries(headers)) {
        h[k.toLowerCase()] = canonValue(v);
    }
    const names = Object.keys(h).sort();
    const signed = names.join(';');
    return {
        text: [method, path, canonicalQuery(query),
               names.map((n) => n + ':' + h[n] + '\n').join(''),
               signed, payloadHash].join('\n'),
        signed,
    };
}

export function amzDate(date = new Date()) {
    return date.toISOString().replace(/[-:]/g, '').replace(/\.\d+/, '');
}

export async function signingKey(secret, day, region, service = 's3') {
    let k = await hmac('AWS4' + secret, day);
    k = await hmac(k, region);
    k = await hmac(k, service);
    return hmac(k, 'aws4_request');
}

export async function stringToSign(stamp, scope, canonical) {
    return [ALGORITHM, stamp, scope, await sha256Hex(canonical)].join('\n');
}

async function signature(cred, stamp, canonical) {
    const day = stamp.slice(0, 8);
    const scope = [day, cred.region, cred.service || 's3',
                   'aws4_request'].join('/');
    const sts = await stringToSign(stamp, scope, canonical);
    const key = await signingKey(cred.secretKey, day, cred.region,
                                 cred.service || 's3');
    return { scope, signature: hex(await hmac(key, sts)) };
}

// Sign a request with an Authorization header.
//   cred: {accessKey, secretKey, region}
//   req:  {method, host, path (wire form), query, headers, payloadHash,
//          date}
// Returns the headers to send (the given ones, x-amz-date,
// x-amz-content-sha256 and authorization); host is signed but left out:
// the browser sends it.
export async function signHeaders(cred, req) {
    const stamp = req.amzDate || amzDate(req.date);
    const payload = req.payloadHash || UNSIGNED;
    const headers = { ...(req.headers || {}) };
    const lower = Object.fromEntries(Object.keys(headers)
                                     .map((k) => [k.toLowerCase(), k]));
    if (!lower['x-amz-date']) {
        headers['x-amz-date'] = stamp;
    }
    if (!lower['x-amz-content-sha256']) {
        headers['x-amz-content-sha256'] = payload;
    }
    const cr = canonicalRequest(req.method, req.path, req.query || [],
                                { host: req.host, ...headers }, payload);
    const s = await signature(cred, stamp, cr.text);
    headers.authorization = ALGORITHM + ' Credential=' + cred.accessKey
        + '/' + s.scope + ', SignedHeaders=' + cr.signed
        + ', Signature=' + s.signature;
    return headers;
}

// A presigned URL (query authentication, host signed, UNSIGNED-PAYLOAD).
//   req: {method, endpoint (scheme://host[:port]), path, query, expires,
//         date}
export async function presign(cred, req) {
    const expires = Math.floor(req.expires || 3600);
    if (expires < 1 || expires > MAX_EXPIRES) {
        throw new RangeError('expiry must be 1 to ' + MAX_EXPIRES
                             + ' seconds');
    }
    const stamp = req.amzDate || amzDate(req.date);
    const day = stamp.slice(0, 8);
    const scope = [day, cred.region, 's3', 'aws4_request'].join('/');
    const host = new URL(req.endpoint).host;
    const q = Array.isArray(req.query) ? [...req.query]
        : Object.entries(req.query || {});
    q.push(['X-Amz-Algorithm', ALGORITHM],
           ['X-Amz-Credential', cred.accessKey + '/' + scope],
           ['X-Amz-Date', stamp],
           ['X-Amz-Expires', String(expires)],
           ['X-Amz-SignedHeaders', 'host']);
    const cr = canonicalRequest(req.method || 'GET', req.path, q,
                                { host }, UNSIGNED);
    const s = await signature(cred, stamp, cr.text);
    return req.endpoint.replace(/\/+$/, '') + req.path + '?'
        + canonicalQuery(q) + '&X-Amz-Signature=' + s.signature;
}
