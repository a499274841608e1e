// The ngx_s3 web console: plain ES modules, no build step.  The person's
// key lives in sessionStorage (this tab only); every request is signed
// here (sigv4.js) and sent to the endpoint, by default this page's own
// origin (the same nginx: no CORS needed).

import { S3, S3Error } from './s3.js';
import { Upload, Queue, config as uploadConfig } from './upload.js';

const SESSION = 'ngx_s3_console.session';
const $ = (id) => document.getElementById(id);
const params = new URLSearchParams(location.search);
const pageSize = Math.min(1000, Math.max(1, Number(params.get('max-keys'))
                                         || 1000));

let s3 = null;
let where = { bucket: '', prefix: '' };
let nextToken = null;
let current = null;                 // the object of the details dialog
const queue = new Queue(2);

// -- helpers

function el(tag, attrs = {}, ...kids) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs)) {
        if (k === 'class') {
            e.className = v;
        } else if (k.startsWith('on')) {
            e.addEventListener(k.slice(2), v);
        } else if (v !== undefined && v !== null && v !== false) {
            e.setAttribute(k, v === true ? '' : v);
        }
    }
    for (const k of kids) {
        e.append(k);
    }
    return e;
}

export function humanSize(n) {
    if (n < 1024) {
        return n + ' B';
    }
    const u = ['KiB', 'MiB', 'GiB', 'TiB'];
    let i = -1;
    do {
        n /= 1024;
        i++;
    } while (n >= 1024 && i < u.length - 1);
    return n.toFixed(n < 10 ? 1 : 0) + ' ' + u[i];
}

function when(iso) {
    const d = new Date(iso);
    return isNaN(d) ? iso : d.toLocaleString();
}

function announce(msg) {
    const s = $('status');
    s.textContent = '';
    // a new text node is read even when the text repeats
    setTimeout(() => { s.textContent = msg; }, 30);
}

function showError(e, what) {
    if (e && e.name === 'AbortError') {
        return;
    }
    const msg = (what ? what + ': ' : '')
        + (e instanceof S3Error ? e.code + ': ' + e.message : String(e));
    $('error-text').textContent = msg;
    $('error').hidden = false;
    console.error(msg);
}

function clearError() {
    $('error').hidden = true;
    $('error-text').textContent = '';
}

function busy(button, fn) {
    return async (ev) => {
        if (ev) {
            ev.preventDefault();
        }
        button.disabled = true;
        button.setAttribute('aria-busy', 'true');
        try {
            await fn(ev);
        } finally {
            button.disabled = false;
            button.removeAttribute('aria-busy');
        }
    };
}

function baseName(key) {
    const k = key.endsWith('/') ? key.slice(0, -1) : key;
    return k.slice(k.lastIndexOf('/') + 1) + (key.endsWith('/') ? '/' : '');
}

// #/bucket/prefix/ <-> {bucket, prefix}

function hashFor(bucket, prefix = '') {
    if (!bucket) {
        return '#/';
    }
    return '#/' + encodeURIComponent(bucket) + '/'
        + prefix.split('/').map(encodeURIComponent).join('/');
}

function parseHash() {
    const h = location.hash.replace(/^#\/?/, '');
    const i = h.indexOf('/');
    const bucket = decodeURIComponent(i < 0 ? h : h.slice(0, i));
    let prefix = i < 0 ? '' : h.slice(i + 1);
    try {
        prefix = prefix.split('/').map(decodeURIComponent).join('/');
    } catch (e) {
        prefix = '';
    }
    return { bucket, prefix };
}

// -- session

function loadSession() {
    try {
        return JSON.parse(sessionStorage.getItem(SESSION) || 'null');
    } catch (e) {
        return null;
    }
}

async function login(cfg) {
    const client = new S3(cfg);
    let buckets;
    try {
        buckets = await client.listBuckets();
    } catch (e) {
        // signed for another region than the server's: it says which
        // (S3 in a Region element, ngx_s3 in the message)
        if (e instanceof S3Error && e.code === 'AuthorizationHeaderMalformed')
        {
            const m = /expecting '([^']+)'/.exec(e.message);
            const region = e.extra.Region || (m && m[1]);
            if (region && region !== cfg.region && !cfg.regionTried) {
                cfg.region = region;
                cfg.regionTried = true;
                return login(cfg);
            }
        }
        throw e;
    }
    delete cfg.regionTried;
    sessionStorage.setItem(SESSION, JSON.stringify(cfg));
    $('region').value = cfg.region;
    s3 = client;
    $('who-key').textContent = cfg.accessKey;
    $('who-endpoint').textContent = cfg.endpoint + ' (' + cfg.region + ')';
    $('who').hidden = false;
    $('login').hidden = true;
    $('app').hidden = false;
    showBuckets(buckets);
    return buckets;
}

function logout() {
    sessionStorage.removeItem(SESSION);
    s3 = null;
    $('sk').value = '';
    $('who').hidden = true;
    $('app').hidden = true;
    $('login').hidden = false;
    $('rows').replaceChildren();
    $('bucket-list').replaceChildren();
    $('upload-list').replaceChildren();
    location.hash = '';
    $('ak').focus();
    announce('Signed out');
}

// -- buckets

function showBuckets(buckets) {
    const ul = $('bucket-list');
    ul.replaceChildren(...buckets.map((b) => el('li', {},
        el('a', { href: hashFor(b.name),
                  'aria-current': b.name === where.bucket ? 'page' : null,
                  'data-bucket': b.name }, b.name))));
    if (!buckets.length) {
        ul.append(el('li', { class: 'help' }, 'No buckets yet.'));
    }
}

async function refreshBuckets() {
    showBuckets(await s3.listBuckets());
}

async function createBucket() {
    const input = $('new-bucket');
    const name = input.value.trim();
    if (!input.checkValidity()) {
        input.reportValidity();
        return;
    }
    try {
        await s3.createBucket(name);
    } catch (e) {
        showError(e, 'Create bucket ' + name);
        return;
    }
    clearError();
    input.value = '';
    await refreshBuckets();
    announce('Bucket ' + name + ' created');
    location.hash = hashFor(name);
}

async function deleteBucket() {
    const b = where.bucket;
    if (!confirm('Delete the bucket ' + b + '? It must be empty.')) {
        return;
    }
    try {
        await s3.deleteBucket(b);
    } catch (e) {
        showError(e, 'Delete bucket ' + b);
        return;
    }
    clearError();
    announce('Bucket ' + b + ' deleted');
    location.hash = '#/';
    await refreshBuckets();
    $('buckets-h').focus();
}

// -- listing

function crumbs() {
    const c = $('crumbs');
    c.replaceChildren();
    if (!where.bucket) {
        c.append('Buckets');
        return;
    }
    c.append(el('a', { href: hashFor(where.bucket) }, where.bucket));
    let p = '';
    for (const part of where.prefix.split('/').filter((x) => x !== '')) {
        p += part + '/';
        c.append(' / ', el('a', { href: hashFor(where.bucket, p) }, part));
    }
}

function objectRow(o) {
    const name = baseName(o.key);
    return el('tr', { 'data-key': o.key },
        el('th', { scope: 'row' },
           el('button', { type: 'button', class: 'link name',
                          title: 'Details of ' + o.key,
                          onclick: () => openDetails(o) }, name)),
        el('td', { class: 'num' }, humanSize(o.size)),
        el('td', {}, when(o.modified)),
        el('td', { class: 'actions' },
           el('button', { type: 'button', class: 'download',
                          'aria-label': 'Download ' + name,
                          onclick: () => download(where.bucket, o.key) },
              'Download'),
           el('button', { type: 'button', class: 'delete danger',
                          'aria-label': 'Delete ' + name,
                          onclick: (ev) => deleteObject(o.key,
                                                        ev.target) },
              'Delete')));
}

function folderRow(prefix) {
    return el('tr', { 'data-prefix': prefix, class: 'folder' },
        el('th', { scope: 'row' },
           el('a', { href: hashFor(where.bucket, prefix), class: 'name' },
              baseName(prefix))),
        el('td', { class: 'num' }, el('span', { class: 'sr-only' },
                                      'folder')),
        el('td', {}, ''), el('td', {}, ''));
}

async function listPage(append) {
    const { bucket, prefix } = where;
    const page = await s3.list(bucket, prefix, append ? nextToken : null,
                               pageSize);
    if (bucket !== where.bucket || prefix !== where.prefix) {
        return;                     // navigated away meanwhile
    }
    const rows = $('rows');
    if (!append) {
        rows.replaceChildren();
    }
    // folders and objects in S3's order (each page is a slice of it)
    const entries = page.folders.map((f) => ({ name: f, folder: true }))
        .concat(page.objects.filter((o) => o.key !== prefix)  // "dir/"
                .map((o) => ({ name: o.key, o })));
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1
                            : 0));
    for (const e of entries) {
        rows.append(e.folder ? folderRow(e.name) : objectRow(e.o));
    }
    nextToken = page.next;
    $('more').hidden = !nextToken;
    $('empty').hidden = rows.children.length > 0 || !!nextToken;
}

async function show(focus = true) {
    where = parseHash();
    nextToken = null;
    crumbs();
    for (const a of document.querySelectorAll('#bucket-list a')) {
        if (a.dataset.bucket === where.bucket) {
            a.setAttribute('aria-current', 'page');
        } else {
            a.removeAttribute('aria-current');
        }
    }
    const has = !!where.bucket;
    $('toolbar').hidden = !has;
    $('drop').hidden = !has;
    $('pick').hidden = has;
    if (!has) {
        return;
    }
    $('rows').replaceChildren();
    try {
        await listPage(false);
        clearError();
    } catch (e) {
        showError(e, 'List ' + where.bucket + '/' + where.prefix);
    }
    if (focus) {
        $('where-h').focus();
    }
}

// -- objects

async function download(bucket, key) {
    try {
        const name = baseName(key);
        const url = await s3.presign(bucket, key, 3600, [
            ['response-content-disposition', 'attachment; filename*=UTF-8\'\''
             + encodeURIComponent(name)]]);
        const a = el('a', { href: url, download: name, hidden: true });
        document.body.append(a);
        a.click();
        a.remove();
        announce('Downloading ' + name);
    } catch (e) {
        showError(e, 'Download ' + key);
    }
}

async function deleteObject(key, button) {
    if (!confirm('Delete ' + key + '?')) {
        return;
    }
    try {
        await s3.deleteObject(where.bucket, key);
    } catch (e) {
        showError(e, 'Delete ' + key);
        return;
    }
    clearError();
    const row = button.closest('tr');
    const next = row.nextElementSibling || row.previousElementSibling;
    row.remove();
    $('empty').hidden = $('rows').children.length > 0 || !!nextToken;
    announce(key + ' deleted');
    const f = next && next.querySelector('button, a');
    (f || $('where-h')).focus();
}

async function newFolder() {
    const name = prompt('Folder name');
    if (!name) {
        return;
    }
    const key = where.prefix + name.replace(/^\/+|\/+$/g, '') + '/';
    try {
        await s3.putEmpty(where.bucket, key);
    } catch (e) {
        showError(e, 'New folder ' + key);
        return;
    }
    location.hash = hashFor(where.bucket, key);
}

// -- details dialog

function dlRows(dl, pairs) {
    dl.replaceChildren();
    for (const [k, v] of pairs) {
        dl.append(el('dt', {}, k), el('dd', {}, v));
    }
}

async function openDetails(o) {
    current = { bucket: where.bucket, key: o.key };
    const d = $('details');
    $('details-h').textContent = o.key;
    $('link-row').hidden = true;
    $('link').value = '';
    dlRows($('meta'), [['Loading', '…']]);
    $('tags').textContent = 'Loading…';
    $('versions').textContent = 'Loading…';
    d.showModal();
    const { bucket, key } = current;

    s3.head(bucket, key).then((h) => {
        const keep = new RegExp('^(content-|etag|last-modified|'
            + 'cache-control|expires|x-amz-(meta-|version-id|storage-class|'
            + 'checksum|object-lock|server-side|tagging-count|'
            + 'mp-parts-count))');
        dlRows($('meta'), h.filter(([k]) => keep.test(k)));
    }, (e) => dlRows($('meta'), [['Error', e.code || String(e)]]));

    s3.tags(bucket, key).then((tags) => {
        const t = $('tags');
        if (!tags.length) {
            t.textContent = 'No tags.';
            return;
        }
        const dl = el('dl');
        dlRows(dl, tags.map((x) => [x.key, x.value]));
        t.replaceChildren(dl);
    }, (e) => {
        $('tags').textContent = e.code === 'NotImplemented'
            ? 'Tagging is not supported by this server.'
            : 'Tags unavailable (' + (e.code || e) + ').';
    });

    s3.versions(bucket, key).then((vs) => {
        const v = $('versions');
        const real = vs.filter((x) => x.versionId && x.versionId !== 'null');
        if (!real.length) {
            v.textContent = 'Versioning is off for this object (one '
                + 'version).';
            return;
        }
        const tb = el('tbody');
        for (const x of vs) {
            tb.append(el('tr', {},
                el('td', {}, x.versionId + (x.latest ? ' (latest)' : '')),
                el('td', {}, x.deleteMarker ? 'delete marker'
                   : humanSize(x.size)),
                el('td', {}, when(x.modified))));
        }
        v.replaceChildren(el('table', {},
            el('caption', { class: 'sr-only' }, 'Versions of ' + key),
            el('thead', {}, el('tr', {}, el('th', { scope: 'col' }, 'Version'),
                               el('th', { scope: 'col' }, 'Size'),
                               el('th', { scope: 'col' }, 'Modified'))),
            tb));
    }, (e) => {
        $('versions').textContent = e.code === 'NotImplemented'
            ? 'Versions are not supported by this server.'
            : 'Versions unavailable (' + (e.code || e) + ').';
    });
}

async function makeLink() {
    const secs = Number($('expiry').value);
    try {
        const url = await s3.presign(current.bucket, current.key, secs);
        $('link').value = url;
        $('link-row').hidden = false;
        $('link').select();
        announce('Link created, valid for '
                 + $('expiry').selectedOptions[0].textContent);
    } catch (e) {
        showError(e, 'Link');
    }
}

async function copyLink() {
    const url = $('link').value;
    try {
        await navigator.clipboard.writeText(url);
        announce('Link copied');
    } catch (e) {
        // no clipboard permission (http://, an older browser): selected
        $('link').select();
        announce('Press Ctrl+C to copy the selected link');
    }
}

// -- uploads

function uploadItem(u) {
    const name = u.key;
    const bar = el('progress', { max: '100', value: '0',
                                 'aria-label': 'Upload of ' + name,
                                 'data-key': name });
    const info = el('span', { class: 'info' }, 'queued');
    const resume = el('button', { type: 'button', hidden: true,
                                  class: 'resume',
                                  'aria-label': 'Resume the upload of '
                                      + name,
                                  onclick: () => u.resume() }, 'Resume');
    const cancel = el('button', { type: 'button', class: 'cancel',
                                  'aria-label': 'Cancel the upload of '
                                      + name,
                                  onclick: () => u.cancel() }, 'Cancel');
    const li = el('li', { class: 'upload', 'data-key': name },
                  el('span', { class: 'name' }, name), bar, info,
                  resume, cancel);
    let said = 0;
    u.addEventListener('progress', (e) => {
        const { loaded, total } = e.detail;
        const pct = total ? Math.floor(loaded * 100 / total) : 100;
        bar.value = pct;
        bar.setAttribute('value', String(pct));
        info.textContent = humanSize(loaded) + ' of ' + humanSize(total)
            + ' (' + pct + '%)' + (u.multipart ? ', in parts' : '');
        if (pct >= said + 25 && pct < 100) {
            said = pct - pct % 25;
            announce(name + ': ' + said + '%');
        }
    });
    u.addEventListener('state', () => {
        li.dataset.state = u.state;
        resume.hidden = u.state !== 'failed';
        cancel.hidden = u.state === 'done' || u.state === 'cancelled';
        if (u.state === 'done') {
            info.textContent = 'done, ' + humanSize(u.total)
                + (u.multipart ? ' in parts' : '')
                + (u.resumed ? ', ' + u.resumed + ' part(s) resumed' : '');
            announce(name + ' uploaded');
            if (u.bucket === where.bucket) {
                listPage(false).catch((e) => showError(e, 'List'));
            }
        } else if (u.state === 'failed') {
            info.textContent = 'failed: ' + (u.error.code || '') + ' '
                + u.error.message;
            announce('Upload of ' + name + ' failed');
            resume.focus();
        } else if (u.state === 'cancelled') {
            info.textContent = 'cancelled';
            announce('Upload of ' + name + ' cancelled');
        } else if (u.state === 'uploading') {
            announce('Uploading ' + name);
        }
    });
    return li;
}

function uploadFiles(files) {
    if (!where.bucket || !files.length) {
        return;
    }
    $('uploads').hidden = false;
    for (const f of files) {
        const rel = f.webkitRelativePath || f.name;
        const u = new Upload(s3, where.bucket, where.prefix + rel, f);
        $('upload-list').append(uploadItem(u));
        queue.add(u);
    }
}

// -- keyboard: arrows move between rows of the listing

function rowKeys(ev) {
    if (ev.key !== 'ArrowDown' && ev.key !== 'ArrowUp') {
        return;
    }
    const cell = ev.target.closest('th, td');
    const row = ev.target.closest('tr');
    if (!cell || !row) {
        return;
    }
    const to = ev.key === 'ArrowDown' ? row.nextElementSibling
        : row.previousElementSibling;
    if (!to) {
        return;
    }
    const col = Array.from(row.children).indexOf(cell);
    const f = to.children[col] && to.children[col].querySelector('a, button')
        || to.querySelector('a, button');
    if (f) {
        ev.preventDefault();
        f.focus();
    }
}

// -- wiring

function init() {
    $('endpoint').value = location.origin;
    $('login-form').addEventListener('submit', busy($('login-submit'),
        async () => {
            const cfg = {
                endpoint: $('endpoint').value.trim() || location.origin,
                region: $('region').value.trim() || 'us-east-1',
                accessKey: $('ak').value.trim(),
                secretKey: $('sk').value,
            };
            try {
                await login(cfg);
            } catch (e) {
                showError(e, 'Sign in');
                $('sk').focus();
                return;
            }
            $('sk').value = '';
            clearError();
            announce('Signed in');
            await show(false);
            $('buckets-h').focus();
        }));
    $('logout').addEventListener('click', logout);
    $('error-close').addEventListener('click', clearError);
    $('create-bucket').addEventListener('submit',
                                        busy($('create-bucket-submit'),
                                             createBucket));
    $('delete-bucket').addEventListener('click', deleteBucket);
    $('refresh').addEventListener('click', busy($('refresh'), async () => {
        await refreshBuckets();
        await show(false);
    }));
    $('more').addEventListener('click', busy($('more'), async () => {
        try {
            await listPage(true);
        } catch (e) {
            showError(e, 'List');
        }
    }));
    $('new-folder').addEventListener('click', newFolder);
    $('upload-files').addEventListener('click', () => $('files').click());
    $('upload-folder').addEventListener('click', () => $('folder').click());
    for (const id of ['files', 'folder']) {
        $(id).addEventListener('change', (ev) => {
            uploadFiles(Array.from(ev.target.files));
            ev.target.value = '';
        });
    }
    const drop = $('drop');
    drop.addEventListener('dragover', (ev) => {
        ev.preventDefault();
        drop.classList.add('over');
    });
    drop.addEventListener('dragleave', () => drop.classList.remove('over'));
    drop.addEventListener('drop', (ev) => {
        ev.preventDefault();
        drop.classList.remove('over');
        uploadFiles(Array.from(ev.dataTransfer.files));
    });
    $('rows').addEventListener('keydown', rowKeys);
    $('details-close').addEventListener('click', () => $('details').close());
    $('make-link').addEventListener('click', makeLink);
    $('copy-link').addEventListener('click', copyLink);
    $('download').addEventListener('click', () =>
        download(current.bucket, current.key));
    window.addEventListener('hashchange', () => {
        if (s3) {
            show();
        }
    });

    const saved = loadSession();
    if (saved) {
        login(saved).then(() => show(false), (e) => {
            showError(e, 'Sign in');
            sessionStorage.removeItem(SESSION);
        });
    } else {
        $('ak').focus();
    }
}

// for tests and the curious: the console's parts
window.ngxS3Console = { uploadConfig, get s3() { return s3; } };

init();
