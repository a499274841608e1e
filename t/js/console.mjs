// The web console in headless Chromium (Debian's chromium, driven by
// puppeteer-core), run by t/test_console.py against a real nginx serving
// the module and the console at /_console/.
//
// env: S3_CONSOLE_URL, S3_ACCESS_KEY, S3_SECRET_KEY, S3_BUCKET, S3_FILE
// (the file to upload), S3_FILE2 (one whose upload fails and is resumed),
// S3_ARTEFACTS (screenshots), S3_DOWNLOADS,
// S3_PAGING (bucket/prefix/ of a folder the test filled with 5 objects
// and a subfolder), CHROMIUM.
// Prints one JSON object per step on stdout; exits non-zero on failure.

import fs from 'node:fs';
import path from 'node:path';
import puppeteer from 'puppeteer-core';

const env = process.env;
const base = env.S3_CONSOLE_URL;
const bucket = env.S3_BUCKET;
const file = env.S3_FILE;
const fileName = path.basename(file);
const shots = env.S3_ARTEFACTS;
const downloads = env.S3_DOWNLOADS;
const T = 20000;
let shot = 0;

const start = Date.now();

function out(step, data = {}) {
    console.log(JSON.stringify({ step, ms: Date.now() - start, ...data }));
}

const browser = await puppeteer.launch({
    executablePath: env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    // as root (CI) Chromium refuses to run with its sandbox
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage',
           '--no-first-run', '--no-default-browser-check'],
    defaultViewport: { width: 1366, height: 768 },
});

const page = await browser.newPage();
const problems = [];
page.on('pageerror', (e) => problems.push('page error: ' + e.message));
page.on('console', (m) => {
    if (m.type() === 'error') {
        problems.push('console: ' + m.text());
    }
});
page.on('dialog', (d) => d.type() === 'prompt' ? d.accept('sub')
                                               : d.accept());

async function snap(name) {
    shot++;
    const p = path.join(shots, String(shot).padStart(2, '0') + '-' + name
                        + '.png');
    await page.screenshot({ path: p, fullPage: true });
    return p;
}

async function visible(sel) {
    await page.waitForSelector(sel, { visible: true, timeout: T });
}

try {
    // 1. the login page, then sign in

    const res = await page.goto(base, { waitUntil: 'load' });
    out('page', { status: res.status(),
                  type: res.headers()['content-type'],
                  csp: res.headers()['content-security-policy'] || '' });
    await visible('#login-form');
    const endpoint = await page.$eval('#endpoint', (e) => e.value);
    await snap('login');

    // a wrong region: the server's error names the right one
    await page.$eval('#region', (e) => { e.value = 'eu-north-7'; });
    await page.type('#ak', env.S3_ACCESS_KEY);
    await page.type('#sk', env.S3_SECRET_KEY);
    await page.click('#login-submit');
    await visible('#app');
    // focus moves to the bucket list
    await page.waitForFunction(() =>
        document.activeElement.id === 'buckets-h', { timeout: T })
        .catch(() => null);
    const stored = await page.evaluate(() => ({
        session: Object.keys(sessionStorage),
        local: Object.keys(localStorage),
        cookies: document.cookie,
    }));
    // the browser logs the wrong region's 400 as a failed load
    out('login', { endpoint, stored, problems: problems.splice(0),
                   who: await page.$eval('#who-endpoint',
                                         (e) => e.textContent),
                   focused: await page.evaluate(() =>
                       document.activeElement.id) });
    await snap('signed-in');

    // 2. create a bucket, with the keyboard

    await page.focus('#new-bucket');
    await page.keyboard.type(bucket);
    await page.keyboard.press('Enter');
    await page.waitForFunction((b) => location.hash === '#/' + b + '/',
                               { timeout: T }, bucket);
    await visible('#empty');
    await page.waitForSelector(`#bucket-list a[data-bucket="${bucket}"]`,
                               { timeout: T });
    out('create-bucket', { hash: await page.evaluate(() => location.hash) });
    await snap('bucket-created');

    // 3. upload: every value the progress bar takes is recorded

    await page.evaluate(() => {
        window.seen = [];
        new MutationObserver((ms) => {
            for (const m of ms) {
                if (m.target.localName === 'progress') {
                    window.seen.push(Number(m.target.getAttribute('value')));
                }
            }
        }).observe(document.body, { subtree: true, attributes: true,
                                    attributeFilter: ['value'] });
    });
    // a network of about 40 MB/s: the upload lasts long enough to be seen
    const cdp = await page.createCDPSession();
    await cdp.send('Network.enable');
    await cdp.send('Network.emulateNetworkConditions', {
        offline: false, latency: 0, downloadThroughput: -1,
        uploadThroughput: 40 * 1000 * 1000 });
    const t0 = Date.now();
    const input = await page.$('#files');
    await input.uploadFile(file);
    await page.waitForFunction(() => {
        const p = document.querySelector('#upload-list progress');
        return p && p.value >= 20 && p.value < 100;
    }, { timeout: T, polling: 10 }).then(() => snap('uploading'),
                                         () => null);
    await page.waitForSelector(
        `#upload-list li[data-key="${fileName}"]`
        + ':is([data-state="done"], [data-state="failed"])',
        { timeout: 60000 });
    await cdp.send('Network.emulateNetworkConditions', {
        offline: false, latency: 0, downloadThroughput: -1,
        uploadThroughput: -1 });
    const up = await page.evaluate(() => {
        const li = document.querySelector('#upload-list li');
        return { state: li.dataset.state,
                 info: li.querySelector('.info').textContent,
                 seen: window.seen,
                 live: document.getElementById('status')
                     .getAttribute('aria-live') };
    });
    out('upload', { ...up, upload_ms: Date.now() - t0 });
    if (up.state !== 'done') {
        throw new Error('upload ' + up.state + ': ' + up.info);
    }

    // 3b. retried and resumed: in the network, the first try of part 3
    // and both tries of part 2 fail (2 tries here); Resume asks ListParts
    // and sends what the server lacks

    if (env.S3_FILE2) {
        const name2 = path.basename(env.S3_FILE2);
        await page.evaluate(() => {
            const c = window.ngxS3Console.uploadConfig;
            c.attempts = 2;
            c.backoff = 50;
        });
        const fails = {};
        let failing = true;
        await page.setRequestInterception(true);
        const onRequest = (req) => {
            if (req.isInterceptResolutionHandled()) {
                return;
            }
            const m = /[?&]partNumber=(\d+)/.exec(req.url());
            if (failing && m && req.method() === 'PUT'
                && req.url().includes('/' + name2 + '?'))
            {
                const n = m[1];
                fails[n] = fails[n] || 0;
                if (n === '2' || (n === '3' && fails[n] === 0)) {
                    fails[n]++;
                    req.abort('connectionreset');
                    return;
                }
            }
            req.continue();
        };
        page.on('request', onRequest);
        await (await page.$('#files')).uploadFile(env.S3_FILE2);
        const li = `#upload-list li[data-key="${name2}"]`;
        await page.waitForSelector(li + '[data-state="failed"]',
                                   { timeout: T });
        out('resume-failed');
        const failed = await page.$eval(li + ' .info',
                                        (e) => e.textContent);
        const resumeFocused = await page.evaluate(() =>
            document.activeElement.classList.contains('resume'));
        await snap('upload-failed');
        failing = false;
        await page.click(li + ' button.resume');
        await page.waitForSelector(li + '[data-state="done"]',
                                   { timeout: T });
        page.off('request', onRequest);
        await page.setRequestInterception(false);
        const info = await page.$eval(li + ' .info', (e) => e.textContent);
        const head = await page.evaluate((b, k) =>
            window.ngxS3Console.s3.head(b, k), bucket, name2);
        out('resume', { failed, resumeFocused, info, fails,
                        etag: Object.fromEntries(head).etag });
        await snap('upload-resumed');
        await page.waitForSelector(`#rows tr[data-key="${name2}"]`,
                                   { timeout: T });
        await page.click(`#rows tr[data-key="${name2}"] button.delete`);
        await page.waitForSelector(`#rows tr[data-key="${name2}"]`,
                                   { hidden: true, timeout: T });
        problems.splice(0, problems.length, ...problems.filter((p) =>
            !/ERR_CONNECTION_RESET/.test(p)));
    }

    // 4. the listing shows it

    await page.waitForSelector(`#rows tr[data-key="${fileName}"]`,
                               { timeout: T });
    const row = await page.$eval(`#rows tr[data-key="${fileName}"]`,
                                 (tr) => Array.from(tr.children)
                                     .map((c) => c.textContent.trim()));
    out('list', { row });
    await snap('listed');

    // 5. details: metadata, tags, versions, a presigned link

    await page.click(`#rows tr[data-key="${fileName}"] button.name`);
    await visible('#details');
    await page.waitForFunction(() =>
        !/Loading/.test(document.getElementById('meta').textContent)
        && !/Loading/.test(document.getElementById('tags').textContent)
        && !/Loading/.test(document.getElementById('versions').textContent),
    { timeout: T });
    await page.select('#expiry', '86400');
    await page.click('#make-link');
    await visible('#link-row');
    const details = await page.evaluate(() => ({
        title: document.getElementById('details-h').textContent,
        meta: Array.from(document.querySelectorAll('#meta dt')).map((dt) =>
            [dt.textContent, dt.nextElementSibling.textContent]),
        tags: document.getElementById('tags').textContent,
        versions: document.getElementById('versions').textContent,
        link: document.getElementById('link').value,
    }));
    out('details', details);
    await snap('details');
    await page.keyboard.press('Escape');
    await page.waitForSelector('#details', { hidden: true, timeout: T });

    // 6. download through the presigned GET into S3_DOWNLOADS

    await cdp.send('Browser.setDownloadBehavior', {
        behavior: 'allow', downloadPath: downloads, eventsEnabled: true });
    const done = new Promise((resolve, reject) => {
        cdp.on('Browser.downloadProgress', (e) => {
            if (e.state === 'completed') {
                resolve(e);
            } else if (e.state === 'canceled') {
                reject(new Error('download canceled'));
            }
        });
        setTimeout(() => reject(new Error('download timed out')), T)
            .unref();
    });
    await page.click(`#rows tr[data-key="${fileName}"] button.download`);
    await done;
    out('download', { files: fs.readdirSync(downloads) });

    // 7. paging: a folder of 5 objects and a subfolder, 2 a page
    // (?max-keys=2); signed in still (sessionStorage survives a reload)

    if (env.S3_PAGING) {
        await page.goto(base + '?max-keys=2#/' + env.S3_PAGING,
                        { waitUntil: 'load' });
        await visible('#app');
        await page.waitForSelector('#rows tr', { timeout: T });
        const pages = [await page.$$eval('#rows tr', (r) => r.length)];
        while (await page.$eval('#more', (b) => !b.hidden)) {
            const n = pages[pages.length - 1];
            await page.click('#more');
            await page.waitForFunction((k) =>
                document.querySelectorAll('#rows tr').length > k,
            { timeout: T }, n);
            pages.push(await page.$$eval('#rows tr', (r) => r.length));
        }
        const keys = await page.$$eval('#rows tr', (rs) => rs.map((r) =>
            r.dataset.key || r.dataset.prefix));
        // a key that needs encoding: HEAD and a presigned GET of it
        const odd = keys.find((k) => k && k.includes(' '));
        const [pb] = env.S3_PAGING.split('/');
        const oddSeen = await page.evaluate(async (b, k) => {
            const c = window.ngxS3Console.s3;
            const h = Object.fromEntries(await c.head(b, k));
            const r = await fetch(await c.presign(b, k, 60));
            return { length: h['content-length'], status: r.status,
                     text: await r.text() };
        }, pb, odd);
        out('paging', { pages, keys, odd, oddSeen });
        await snap('paging');
        await page.goto(base + '#/' + bucket + '/', { waitUntil: 'load' });
        await page.waitForSelector(`#rows tr[data-key="${fileName}"]`,
                                   { timeout: T });
    }

    // 8. delete the object (confirm() accepted), then the bucket

    await page.click(`#rows tr[data-key="${fileName}"] button.delete`);
    await page.waitForSelector(`#rows tr[data-key="${fileName}"]`,
                               { hidden: true, timeout: T });
    out('delete', { rows: await page.$$eval('#rows tr', (r) => r.length) });
    await snap('deleted');

    await page.click('#delete-bucket');
    await page.waitForFunction((b) => location.hash === '#/'
        && !document.querySelector(`#bucket-list a[data-bucket="${b}"]`),
    { timeout: T }, bucket);
    out('delete-bucket', {});
    await snap('bucket-deleted');

    // 9. sign out: the key leaves sessionStorage

    await page.click('#logout');
    await visible('#login-form');
    out('logout', { session: await page.evaluate(() =>
        Object.keys(sessionStorage)) });
    out('problems', { problems });
    out('ok');
} catch (e) {
    await snap('failure').catch(() => null);
    out('error', { message: String(e && e.stack || e), problems });
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
