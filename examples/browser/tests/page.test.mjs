// The proof-checking page in headless Chromium (Debian's /usr/bin/chromium driven by
// playwright-core), served from 127.0.0.1 by serve.mjs: pin a key by keyboard, drop a valid
// receipt (green), a tampered one (red, with its reason code), paste one, stream a large export
// with a progress bar to 100%, time receipt verification, remove a key. Every verdict shown is
// compared with the native CLI's --json report on the same file. Screenshots and timings go to
// artifacts/browser/.

import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';

import { chromium } from 'playwright-core';

import { runCli } from '../../../bindings/wasm/tests/support.mjs';

const here = fileURLToPath(new URL('..', import.meta.url));
const repo = path.resolve(here, '../..');
const vectors = path.join(repo, 'testdata', 'vectors');
const artifacts = path.join(repo, 'artifacts', 'browser');
const CLINIC_KEY = 'vectors.veritydb.example/clinic+bb771156+AdBKsjJ0K7SrOhNovUYV5ObQIkq3GgFrr4UgozLJd4c3';
const VALID_RECEIPT = path.join(vectors, 'receipts/clinic-3-disclosed.tlog-proof');
const TAMPERED_RECEIPT = path.join(vectors, 'receipts/tampered/value-flipped.tlog-proof');
const LARGE_EXPORT_ENTRIES = 30_000;
/** Flags from TOOLCHAIN.md for Chromium as root in tests (the profile is a fresh temp dir). */
const CHROMIUM_FLAGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
];

let server;
let baseUrl;
let scratch;
let context;
let page;
let largeExport;
const requests = [];
const pageErrors = [];

before(async () => {
  assert.ok(
    existsSync(path.join(repo, 'bindings/wasm/pkg/web/veritydb_verify.js')),
    'the web package is not built: run bindings/wasm/build.sh',
  );
  mkdirSync(artifacts, { recursive: true });
  scratch = mkdtempSync(path.join(os.tmpdir(), 'veritydb-browser-'));
  largeExport = writeLargeExport(path.join(scratch, 'large.vdbx'));
  ({ server, baseUrl } = await startServer());
  context = await chromium.launchPersistentContext(path.join(scratch, 'profile'), {
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: CHROMIUM_FLAGS,
    viewport: { width: 1100, height: 900 },
  });
  context.on('request', (request) => requests.push(request.url()));
  page = context.pages()[0] ?? (await context.newPage());
  page.on('pageerror', (error) => pageErrors.push(String(error)));
  page.on('console', (message) => {
    if (message.type() === 'error') pageErrors.push(message.text());
  });
  await page.goto(baseUrl);
  await page.waitForSelector('body[data-ready="true"]');
});

after(async () => {
  await context?.close();
  server?.kill();
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

/** Writes a valid export of LARGE_EXPORT_ENTRIES entries with the testdata crate's example. */
function writeLargeExport(file) {
  const vkey = execFileSync(
    'cargo',
    ['run', '--quiet', '--locked', '-p', 'veritydb-testdata', '--example', 'large_export', '--',
      String(LARGE_EXPORT_ENTRIES), file],
    { cwd: repo, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] },
  ).trim();
  return { file, vkey, bytes: readFileSync(file).length };
}

/** Starts serve.mjs on a free port of 127.0.0.1 and reads the URL it prints. */
function startServer() {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(here, 'serve.mjs'), '0'], { stdio: ['ignore', 'pipe', 'inherit'] });
    let output = '';
    child.on('error', reject);
    child.on('exit', (code) => reject(new Error(`serve.mjs exited with ${code}`)));
    child.stdout.on('data', (data) => {
      output += data;
      const match = output.match(/http:\/\/127\.0\.0\.1:\d+\//);
      if (match) resolve({ server: child, baseUrl: match[0] });
    });
  });
}

async function verdict() {
  const box = page.locator('#verdict');
  return { state: await box.getAttribute('data-verdict'), text: await box.innerText() };
}

/** Waits for a verdict other than `previous` and returns it. */
async function nextVerdict(previousText, timeout = 30_000) {
  await page.waitForFunction(
    (previous) => {
      const box = document.getElementById('verdict');
      return box.dataset.verdict !== 'none' && box.innerText !== previous;
    },
    previousText,
    { timeout },
  );
  return verdict();
}

/** The report the page shows in full (its JSON details), equal to the native CLI's. */
async function shownReport() {
  return JSON.parse(await page.locator('#details pre').textContent());
}

test('without a pinned key the page asks for one; keys are pinned by keyboard and kept', async () => {
  assert.equal(await page.locator('#key-list li').count(), 0);
  await page.locator('#paste-input').fill(readFileSync(VALID_RECEIPT, 'utf8'));
  await page.locator('#paste-verify').click();
  const refused = await nextVerdict('Nothing checked yet.');
  assert.equal(refused.state, 'cannot-check');
  assert.match(refused.text, /Pin the verifier key/);

  await page.locator('#key-input').focus();
  await page.keyboard.type('not a key');
  await page.keyboard.press('Enter');
  await page.waitForFunction(() => document.getElementById('key-status').textContent.includes('VERITYDB_INVALID_KEY'));
  assert.equal(await page.locator('#key-list li').count(), 0);

  await page.locator('#key-input').fill('');
  await page.keyboard.type(CLINIC_KEY);
  await page.keyboard.press('Enter');
  await page.waitForFunction(() => document.querySelectorAll('#key-list li').length === 1);
  assert.match(await page.locator('#key-status').textContent(), /Pinned the key for vectors\.veritydb\.example\/clinic/);

  await page.reload();
  await page.waitForSelector('body[data-ready="true"]');
  assert.equal(await page.locator('#key-list li').count(), 1, 'the pinned key survives a reload (localStorage)');
  assert.match(await page.locator('#key-list').innerText(), /key id bb771156/);
});

test('a dropped valid receipt gets a green verdict saying what it proves', async () => {
  await page.locator('#drop-zone').drop({ files: VALID_RECEIPT });
  const shown = await nextVerdict('Nothing checked yet.');
  assert.equal(shown.state, 'ok');
  assert.match(shown.text, /✓ Verified receipt/);
  assert.match(shown.text, /at position 3 in the log of tenant “clinic” \(origin vectors\.veritydb\.example\/clinic\)/);
  assert.match(shown.text, /tree of 20 entries with root qVhV2GZjtFWr5qj5\/QdpJ907HBY\/obPKZNtzALX6Am8=/);
  assert.match(shown.text, /signed by the trusted key vectors\.veritydb\.example\/clinic/);
  const color = await page.locator('#verdict').evaluate((node) => getComputedStyle(node).backgroundColor);
  assert.equal(color, 'rgb(230, 244, 234)');
  assert.equal(await page.locator('#progress-box').isVisible(), false, 'no progress bar for a receipt');

  const native = runCli(['receipt', VALID_RECEIPT, '--trust-key', CLINIC_KEY]);
  assert.deepEqual(await shownReport(), native.report);
  const details = await page.locator('#details').innerText();
  assert.ok(details.includes(native.report.receipt.leaf_hash), 'the leaf hash is shown');
  for (const hash of native.report.receipt.proof) assert.ok(details.includes(hash), 'every proof hash is shown');
  for (const field of native.report.receipt.disclosed) assert.ok(details.includes(field.name), `field ${field.name} is shown`);
  await page.screenshot({ path: path.join(artifacts, 'receipt-verified.png'), fullPage: true });
});

test('a tampered receipt gets a red verdict with its reason code', async () => {
  const previous = (await verdict()).text;
  await page.locator('#file-input').setInputFiles(TAMPERED_RECEIPT);
  const shown = await nextVerdict(previous);
  const native = runCli(['receipt', TAMPERED_RECEIPT, '--trust-key', CLINIC_KEY]);
  assert.equal(native.report.reason, 'commitment_mismatch');
  assert.equal(shown.state, 'rejected');
  assert.match(shown.text, /✗ Not verified: commitment_mismatch \(reason code 6\)/);
  assert.match(shown.text, /log position 3/);
  const color = await page.locator('#verdict').evaluate((node) => getComputedStyle(node).backgroundColor);
  assert.equal(color, 'rgb(253, 236, 234)');
  assert.deepEqual(await shownReport(), native.report);
  await page.screenshot({ path: path.join(artifacts, 'receipt-tampered.png'), fullPage: true });
});

test('a pasted receipt is checked from the keyboard', async () => {
  const previous = (await verdict()).text;
  await page.locator('#paste-input').fill(readFileSync(VALID_RECEIPT, 'utf8'));
  await page.locator('#paste-verify').focus();
  await page.keyboard.press('Enter');
  const shown = await nextVerdict(previous);
  assert.equal(shown.state, 'ok');
  assert.match(shown.text, /pasted text/);
});

test('a large export streams through ExportVerifier with the progress bar reaching 100%', async () => {
  await page.locator('#key-input').fill(largeExport.vkey);
  await page.locator('#key-pin').click();
  await page.waitForFunction(() => document.querySelectorAll('#key-list li').length === 2);
  await page.evaluate(() => {
    window.progressSeen = [];
    const bar = document.getElementById('progress');
    new MutationObserver(() => window.progressSeen.push(bar.value)).observe(bar, { attributes: true, childList: true });
  });
  const previous = (await verdict()).text;
  const started = Date.now();
  await page.locator('#file-input').setInputFiles(largeExport.file);
  const shown = await nextVerdict(previous, 300_000);
  const seconds = (Date.now() - started) / 1000;

  assert.equal(shown.state, 'ok', shown.text);
  const last = LARGE_EXPORT_ENTRIES - 1;
  assert.match(shown.text, new RegExp(`Entries 0 to ${last.toLocaleString('en')} \\(${LARGE_EXPORT_ENTRIES.toLocaleString('en')} entries\\) of the log vectors\\.veritydb\\.example/bulk`));
  assert.equal(await page.locator('#progress').evaluate((bar) => bar.value), 100);
  assert.match(await page.locator('#progress-text').textContent(), /^100% /);
  const seen = await page.evaluate(() => window.progressSeen);
  assert.ok(seen.some((value) => value > 0 && value < 100), `intermediate progress was shown: ${seen.join(', ')}`);

  const native = runCli(['export', largeExport.file, '--trust-key', largeExport.vkey]);
  assert.deepEqual(await shownReport(), native.report);
  await page.screenshot({ path: path.join(artifacts, 'export-verified.png'), fullPage: true });
  const megabytes = largeExport.bytes / 1e6;
  writeTiming('export', { entries: LARGE_EXPORT_ENTRIES, bytes: largeExport.bytes, seconds, mb_per_s: megabytes / seconds });
});

test('a large export altered in the middle stops early with a red verdict', async () => {
  const bytes = readFileSync(largeExport.file);
  const altered = Buffer.from(bytes);
  const middle = bytes.length >> 1;
  altered[middle] ^= 0x01;
  const file = path.join(scratch, 'altered.vdbx');
  writeFileSync(file, altered);
  const native = runCli(['export', file, '--trust-key', largeExport.vkey]);
  assert.equal(native.report.ok, false);

  const previous = (await verdict()).text;
  await page.locator('#file-input').setInputFiles(file);
  const shown = await nextVerdict(previous, 300_000);
  assert.equal(shown.state, 'rejected');
  assert.ok(shown.text.includes(`${native.report.reason} (reason code ${native.report.reason_code})`), shown.text);
  assert.ok(shown.text.includes(`log position ${native.report.position}`), shown.text);
  assert.deepEqual(await shownReport(), native.report);
  const percent = await page.locator('#progress').evaluate((bar) => bar.value);
  assert.ok(percent < 100, `reading stopped at the failure (progress ${percent}%)`);
  assert.equal(await page.locator('#cancel').isVisible(), false, 'no Stop button once finished');
  await page.screenshot({ path: path.join(artifacts, 'export-altered.png'), fullPage: true });
});

test('receipt verification takes at most 5 ms in the browser', async () => {
  const receipt = readFileSync(VALID_RECEIPT, 'utf8');
  const timing = await page.evaluate(async ({ receipt, key }) => {
    // The module the page already loaded and initialised.
    const wasm = await import('/pkg/veritydb_verify.js');
    await wasm.default();
    // performance.now() is coarsened (to 0.1 ms here), so time batches and divide.
    const batches = [];
    for (let batch = 0; batch < 15; batch++) {
      const started = performance.now();
      for (let i = 0; i < 20; i++) {
        if (!wasm.verifyReceipt(receipt, [key]).ok) throw new Error('the receipt did not verify');
      }
      batches.push((performance.now() - started) / 20);
    }
    batches.sort((a, b) => a - b);
    return { runs: 15 * 20, median_ms: batches[batches.length >> 1], max_batch_mean_ms: batches[batches.length - 1] };
  }, { receipt, key: CLINIC_KEY });
  writeTiming('receipt', timing);
  assert.ok(timing.median_ms <= 5, `median receipt verification ${timing.median_ms} ms`);
});

test('a pinned key is removed from the keyboard', async () => {
  const remove = page.getByRole('button', { name: 'Remove the key for vectors.veritydb.example/bulk' });
  await remove.focus();
  await page.keyboard.press('Enter');
  await page.waitForFunction(() => document.querySelectorAll('#key-list li').length === 1);
  const stored = await page.evaluate(() => JSON.parse(localStorage.getItem('veritydb-verify.trusted-keys.v1')));
  assert.deepEqual(stored, [CLINIC_KEY]);
});

test('every control has a label, the verdict is a live region, nothing left 127.0.0.1', async () => {
  const unlabelled = await page.evaluate(() =>
    [...document.querySelectorAll('input, select, textarea, button')]
      .filter((control) => !(control.labels?.length || control.getAttribute('aria-label') || control.textContent.trim()))
      .map((control) => control.outerHTML));
  assert.deepEqual(unlabelled, []);
  assert.equal(await page.locator('#verdict').getAttribute('aria-live'), 'polite');
  const foreign = requests.filter((url) => !url.startsWith(baseUrl));
  assert.deepEqual(foreign, [], 'requests to anything but the page server');
  assert.deepEqual(pageErrors, [], 'errors in the page console');
});

function writeTiming(name, values) {
  const file = path.join(artifacts, 'timings.json');
  const all = existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : {};
  all[name] = values;
  writeFileSync(file, `${JSON.stringify(all, null, 2)}\n`);
  console.log(`${name}: ${JSON.stringify(values)}`);
}
