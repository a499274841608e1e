// A page on another origin uses the S3 API through CORS, in headless
// Chromium (puppeteer-core), run by t/test_console.py.
//
// env: S3_PAGE_URL (the other origin's page), S3_CASES (a JSON file:
// get: {url}, put: {url, size}, post: {url, fields, size},
// refused: {url, method}), S3_ARTEFACTS, CHROMIUM.
// Prints one JSON object: what the page saw for each case.

import fs from 'node:fs';
import path from 'node:path';
import puppeteer from 'puppeteer-core';

const env = process.env;
const cases = JSON.parse(fs.readFileSync(env.S3_CASES, 'utf8'));

const browser = await puppeteer.launch({
    executablePath: env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage',
           '--no-first-run', '--no-default-browser-check'],
    defaultViewport: { width: 1024, height: 600 },
});
const console_ = [];

try {
    const page = await browser.newPage();
    page.on('console', (m) => console_.push(m.type() + ': ' + m.text()));
    await page.goto(env.S3_PAGE_URL, { waitUntil: 'load' });

    const seen = await page.evaluate(async (c) => {
        const hex = (b) => Array.from(new Uint8Array(b),
            (x) => x.toString(16).padStart(2, '0')).join('');
        const sha = async (b) => hex(await crypto.subtle.digest('SHA-256',
                                                                 b));
        const random = (n) => {
            const b = new Uint8Array(n);
            for (let i = 0; i < n; i += 65536) {
                crypto.getRandomValues(b.subarray(i, Math.min(n, i + 65536)));
            }
            return b;
        };
        const out = { origin: location.origin };

        // a presigned GET: a simple request, no preflight
        if (c.get) {
            try {
                const r = await fetch(c.get.url);
                const body = await r.arrayBuffer();
                out.get = { status: r.status, sha: await sha(body),
                            size: body.byteLength };
            } catch (e) {
                out.get = { error: String(e) };
            }
        }

        // a presigned PUT with a Content-Type: preflighted
        if (c.put) {
            const body = random(c.put.size);
            try {
                const r = await fetch(c.put.url, {
                    method: 'PUT', body,
                    headers: { 'content-type': 'application/octet-stream' },
                });
                out.put = { status: r.status, sha: await sha(body),
                            etag: r.headers.get('etag'),
                            text: await r.text() };
            } catch (e) {
                out.put = { error: String(e) };
            }
        }

        // a POST form as boto3's generate_presigned_post built it
        if (c.post) {
            const body = random(c.post.size);
            const fd = new FormData();
            for (const [k, v] of Object.entries(c.post.fields)) {
                fd.append(k, v);
            }
            fd.append('file', new Blob([body],
                                       { type: 'application/octet-stream' }),
                      'form.bin');
            try {
                const r = await fetch(c.post.url, { method: 'POST',
                                                    body: fd });
                out.post = { status: r.status, sha: await sha(body),
                             text: await r.text() };
            } catch (e) {
                out.post = { error: String(e) };
            }
        }

        // a request whose preflight no rule allows: the fetch rejects
        if (c.refused) {
            try {
                const r = await fetch(c.refused.url, {
                    method: c.refused.method,
                    headers: c.refused.headers || {} });
                out.refused = { rejected: false, status: r.status };
            } catch (e) {
                out.refused = { rejected: true, error: String(e) };
            }
        }
        return out;
    }, cases);

    if (env.S3_ARTEFACTS) {
        await page.evaluate((s) => {
            document.body.append(Object.assign(
                document.createElement('pre'),
                { textContent: JSON.stringify(s, null, 2) }));
        }, seen);
        await page.screenshot({ path: path.join(env.S3_ARTEFACTS,
                                                'cross-origin.png'),
                                fullPage: true });
    }
    console.log(JSON.stringify({ seen, console: console_ }));
} catch (e) {
    console.log(JSON.stringify({ error: String(e && e.stack || e),
                                 console: console_ }));
    process.exitCode = 1;
} finally {
    // Chromium may take many seconds to exit after a download: not waited
    // for
    const proc = browser.process();
    await Promise.race([browser.close().catch(() => null),
                        new Promise((r) => setTimeout(r, 2000))]);
    if (proc && proc.exitCode === null) {
        proc.kill('SIGKILL');
    }
}
