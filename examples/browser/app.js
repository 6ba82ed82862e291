// The proof-checking page: pin trusted keys, check a receipt, export or checkpoint with the
// `veritydb-verify` WebAssembly package, and say in plain words what was proven.
//
// Everything runs in this tab. Exports are streamed from the File in chunks through
// ExportVerifier (constant memory for any size), yielding to the event loop so the progress bar
// moves and the page stays responsive. All text from files goes into the DOM as textContent.

import init, {
  ExportVerifier,
  parseTrustedKeys,
  verifyCheckpoint,
  verifyReceipt,
} from './pkg/veritydb_verify.js';

const STORAGE_KEY = 'veritydb-verify.trusted-keys.v1';
/** `receipt_bytes_max` (docs/spec/limits.md): more is never read, one byte more is refused. */
const RECEIPT_BYTES_MAX = 4_194_304;
/** The export file magic, `0x89 'V' 'D' 'B' 'E' 'X' 'P' 0x0A`. */
const EXPORT_MAGIC = [0x89, 0x56, 0x44, 0x42, 0x45, 0x58, 0x50, 0x0a];
/** Yield to the event loop (progress bar, input) at least this often while streaming. */
const YIELD_EVERY_MS = 30;

const $ = (id) => document.getElementById(id);
const ui = {
  loading: $('loading'),
  keyForm: $('key-form'),
  keyInput: $('key-input'),
  keyStatus: $('key-status'),
  keyList: $('key-list'),
  noKeys: $('no-keys'),
  dropZone: $('drop-zone'),
  fileInput: $('file-input'),
  kindSelect: $('kind-select'),
  pasteForm: $('paste-form'),
  pasteInput: $('paste-input'),
  progressBox: $('progress-box'),
  progress: $('progress'),
  progressText: $('progress-text'),
  cancel: $('cancel'),
  verdict: $('verdict'),
  details: $('details'),
};

let trustedKeys = loadKeys();
let busy = false;
let cancelRequested = false;

main();

async function main() {
  try {
    await init();
  } catch (error) {
    ui.loading.textContent = `The verifier could not be loaded: ${error.message}`;
    ui.loading.classList.add('error');
    return;
  }
  wireEvents();
  renderKeys();
  for (const control of document.querySelectorAll('input, select, textarea, button')) control.disabled = false;
  ui.loading.textContent = 'Verifier ready.';
  document.body.dataset.ready = 'true';
}

function wireEvents() {
  ui.keyForm.addEventListener('submit', (event) => {
    event.preventDefault();
    pinKeys(ui.keyInput.value);
  });
  ui.fileInput.addEventListener('change', () => {
    const [file] = ui.fileInput.files;
    if (file) checkFile(file);
  });
  ui.dropZone.addEventListener('dragover', (event) => {
    event.preventDefault();
    ui.dropZone.classList.add('dragging');
  });
  ui.dropZone.addEventListener('dragleave', () => ui.dropZone.classList.remove('dragging'));
  ui.dropZone.addEventListener('drop', (event) => {
    event.preventDefault();
    ui.dropZone.classList.remove('dragging');
    const [file] = event.dataTransfer?.files ?? [];
    if (file) checkFile(file);
  });
  ui.pasteForm.addEventListener('submit', (event) => {
    event.preventDefault();
    checkPasted(ui.pasteInput.value);
  });
  ui.cancel.addEventListener('click', () => {
    cancelRequested = true;
  });
}

// ---- Trusted keys ---------------------------------------------------------------------------

function loadKeys() {
  try {
    const stored = JSON.parse(localStorage.getItem(STORAGE_KEY) ?? '[]');
    return Array.isArray(stored) ? stored.filter((key) => typeof key === 'string') : [];
  } catch {
    return [];
  }
}

function saveKeys() {
  try {
    localStorage.setItem(STORAGE_KEY, JSON.stringify(trustedKeys));
  } catch {
    // Storage may be disabled (private mode): the keys still work until the page is closed.
  }
}

/** Pins every vkey of `text` (one per line), after checking each with the verifier. */
function pinKeys(text) {
  const lines = text.split('\n').map((line) => line.trim()).filter((line) => line && !line.startsWith('#'));
  if (lines.length === 0) return keyStatus('Paste a verifier key first.', true);
  const added = [];
  for (const vkey of lines) {
    try {
      const [info] = parseTrustedKeys([vkey]);
      if (!trustedKeys.includes(vkey)) {
        trustedKeys.push(vkey);
        added.push(info.name);
      }
    } catch (error) {
      return keyStatus(`Not pinned: ${error.message} (${error.code ?? 'error'})`, true);
    }
  }
  saveKeys();
  renderKeys();
  ui.keyInput.value = '';
  keyStatus(added.length ? `Pinned the key for ${added.join(', ')}.` : 'That key is already pinned.', false);
}

function removeKey(vkey) {
  trustedKeys = trustedKeys.filter((key) => key !== vkey);
  saveKeys();
  renderKeys();
  keyStatus('Key removed.', false);
  ui.keyInput.focus();
}

function keyStatus(text, isError) {
  ui.keyStatus.textContent = text;
  ui.keyStatus.classList.toggle('error', isError);
}

function renderKeys() {
  ui.keyList.replaceChildren();
  for (const vkey of trustedKeys) {
    let info;
    try {
      [info] = parseTrustedKeys([vkey]);
    } catch {
      continue; // A stored key that no longer parses is skipped, never trusted.
    }
    const remove = el('button', { type: 'button', class: 'secondary', 'aria-label': `Remove the key for ${info.name}` }, 'Remove');
    remove.addEventListener('click', () => removeKey(vkey));
    ui.keyList.append(
      el('li', {},
        el('span', {},
          el('span', { class: 'key-name' }, info.name),
          ` (key id ${info.keyId})`,
          el('code', { class: 'key-text' }, vkey)),
        remove),
    );
  }
  ui.noKeys.hidden = trustedKeys.length > 0;
}

// ---- Checking -------------------------------------------------------------------------------

async function checkFile(file) {
  if (!ready()) return;
  busy = true;
  try {
    const kind = ui.kindSelect.value === 'auto' ? await detectKind(file) : ui.kindSelect.value;
    if (kind === 'export') {
      await checkExport(file);
    } else {
      const bytes = new Uint8Array(await file.slice(0, RECEIPT_BYTES_MAX + 1).arrayBuffer());
      checkText(bytes, kind, file.name);
    }
  } catch (error) {
    showCannotCheck(error);
  } finally {
    busy = false;
    ui.fileInput.value = '';
  }
}

function checkPasted(text) {
  if (!ready()) return;
  if (!text.trim()) return showCannotCheck(new Error('Paste a receipt into the box first.'));
  const kind = ui.kindSelect.value === 'auto' ? kindOfText(text) : ui.kindSelect.value;
  if (kind === 'export') return showCannotCheck(new Error('An export is a binary file: choose or drop it instead.'));
  try {
    checkText(text, kind, 'pasted text');
  } catch (error) {
    showCannotCheck(error);
  }
}

/** Whether a check can start now; explains why not in the verdict region. */
function ready() {
  if (busy) return false;
  if (trustedKeys.length === 0) {
    showCannotCheck(new Error('Pin the verifier key of the log first (step 1): only signatures by keys you trust count.'));
    ui.keyInput.focus();
    return false;
  }
  return true;
}

function checkText(input, kind, source) {
  ui.progressBox.hidden = true;
  const started = performance.now();
  const report = kind === 'checkpoint' ? verifyCheckpoint(input, trustedKeys) : verifyReceipt(input, trustedKeys);
  showReport(report, performance.now() - started, source);
}

async function checkExport(file) {
  const verifier = new ExportVerifier(trustedKeys);
  const reader = file.stream().getReader();
  cancelRequested = false;
  showProgress(file, { bytes: 0, entries: 0 });
  ui.progressBox.hidden = false;
  ui.cancel.hidden = false;
  ui.cancel.focus();
  const started = performance.now();
  let lastYield = started;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      verifier.update(value);
      if (verifier.hasFailed() || cancelRequested) break;
      if (performance.now() - lastYield >= YIELD_EVERY_MS) {
        showProgress(file, verifier.progress());
        await yieldToEventLoop();
        lastYield = performance.now();
      }
    }
    await reader.cancel().catch(() => {});
    showProgress(file, verifier.progress());
    if (cancelRequested) {
      showCannotCheck(new Error(`Stopped after ${formatBytes(verifier.progress().bytes)}: nothing was decided.`));
      return;
    }
    const report = verifier.finish();
    showReport(report, performance.now() - started, file.name);
  } finally {
    verifier.free();
    ui.cancel.hidden = true;
    ui.fileInput.focus();
  }
}

function showProgress(file, progress) {
  const percent = file.size === 0 ? 100 : Math.floor((progress.bytes / file.size) * 100);
  ui.progress.value = percent;
  ui.progress.textContent = `${percent}%`;
  ui.progressText.textContent = `${percent}% — ${formatBytes(progress.bytes)} of ${formatBytes(file.size)}, ${progress.entries.toLocaleString('en')} entries verified`;
}

/** A macrotask boundary that background-tab timer throttling does not slow down. */
function yieldToEventLoop() {
  return new Promise((resolve) => {
    const channel = new MessageChannel();
    channel.port1.onmessage = () => resolve();
    channel.port2.postMessage(null);
  });
}

async function detectKind(file) {
  const head = new Uint8Array(await file.slice(0, 64).arrayBuffer());
  if (EXPORT_MAGIC.every((byte, i) => head[i] === byte) || /\.(vdbx|export)$/i.test(file.name)) return 'export';
  if (/\.(checkpoint|note)$/i.test(file.name)) return 'checkpoint';
  return kindOfText(new TextDecoder().decode(head));
}

function kindOfText(text) {
  if (text.startsWith('c2sp.org/tlog-proof@')) return 'receipt';
  // A checkpoint is a signed note: text, a blank line, "— name signature" lines.
  if (/\n\n\u2014 /.test(text)) return 'checkpoint';
  return 'receipt';
}

// ---- Verdicts -------------------------------------------------------------------------------

function showReport(report, elapsedMs, source) {
  ui.verdict.dataset.verdict = report.ok ? 'ok' : 'rejected';
  ui.verdict.dataset.reason = report.reason;
  const headline = report.ok
    ? `✓ Verified ${report.kind}`
    : `✗ Not verified: ${report.reason} (reason code ${report.reason_code})`;
  const paragraphs = report.ok ? provenSentences(report) : rejectionSentences(report);
  ui.verdict.replaceChildren(
    el('p', { class: 'headline' }, headline),
    ...paragraphs.map((text) => el('p', {}, text)),
    el('p', { class: 'timing' }, `Checked ${source} (${formatBytes(report.bytes)}) in ${formatMs(elapsedMs)} in this browser.`),
  );
  ui.details.replaceChildren(...detailElements(report));
}

function showCannotCheck(error) {
  ui.verdict.dataset.verdict = 'cannot-check';
  ui.verdict.dataset.reason = error.code ?? '';
  ui.verdict.replaceChildren(
    el('p', { class: 'headline' }, 'Could not check'),
    el('p', {}, error.code ? `${error.message} (${error.code})` : error.message),
  );
  ui.details.replaceChildren();
}

/** What a verified report proves, in plain words. */
function provenSentences(report) {
  const signers = listOf(report.keys);
  if (report.kind === 'receipt' && report.receipt) {
    const r = report.receipt;
    const kind = r.entry_kind_name ? `${r.entry_kind_name} entry` : `entry of kind ${r.entry_kind}`;
    const fields = r.disclosed.length === r.field_count
      ? `All ${r.field_count} of its fields are disclosed and match their commitments.`
      : `${r.disclosed.length} of its ${r.field_count} fields are disclosed and match their commitments; the others are withheld.`;
    return [
      `This ${kind}, recorded by “${r.actor}” at ${formatTime(r.timestamp_us)}, is at position ${r.position} in the log of tenant “${r.tenant}” (origin ${r.origin}).`,
      `It is included in the log’s tree of ${r.tree_size.toLocaleString('en')} entries with root ${r.root}, and that checkpoint is signed by the trusted key ${listOf(r.keys)}.`,
      fields,
    ];
  }
  if (report.kind === 'export' && report.range) {
    const { from, to } = report.range;
    const span = to > from ? `Entries ${from.toLocaleString('en')} to ${(to - 1).toLocaleString('en')} (${report.entries.toLocaleString('en')} entries)` : 'The empty range of entries';
    return [
      `${span} of the log ${report.origin} are complete, in order, with non-decreasing timestamps, and unaltered: every leaf, the hash chain and every checkpoint root were recomputed from them.`,
      `They are covered by ${report.checkpoints} checkpoint(s) signed by the trusted key ${signers}; the largest is of ${report.tree_size.toLocaleString('en')} entries with root ${report.root}.`,
    ];
  }
  if (report.kind === 'checkpoint') {
    return [`The log ${report.origin} had ${report.tree_size.toLocaleString('en')} entries with root ${report.root}, as signed by the trusted key ${signers}.`];
  }
  return [report.message];
}

function rejectionSentences(report) {
  const where = report.position === null ? '' : ` It was found at log position ${report.position}.`;
  return [
    `The first problem found: ${report.message}.${where}`,
    'Do not rely on this file: it is damaged, altered, incomplete, or not signed by a key you trust.',
  ];
}

function detailElements(report) {
  const rows = [
    ['Verdict', `${report.ok ? 'verified' : 'not verified'} — reason ${report.reason} (code ${report.reason_code})`],
    ['What', report.kind],
  ];
  if (report.position !== null) rows.push(['Failure at position', String(report.position)]);
  if (report.origin) rows.push(['Log (origin)', report.origin]);
  if (report.range) rows.push(['Positions', `${report.range.from} to ${report.range.to} (exclusive)`]);
  if (report.kind === 'export') rows.push(['Entries verified', report.entries.toLocaleString('en')], ['Checkpoints verified', String(report.checkpoints)]);
  if (report.tree_size !== null) rows.push(['Tree size', report.tree_size.toLocaleString('en')]);
  if (report.root) rows.push(['Root', mono(report.root)]);
  const r = report.receipt;
  if (r) {
    rows.push(
      ['Tenant', r.tenant],
      ['Entry', `${r.entry_kind_name ?? 'kind'} (${r.entry_kind}), actor “${r.actor}”`],
      ['Time', `${formatTime(r.timestamp_us)} (timestamp_us ${r.timestamp_us})`],
      ['Leaf hash', mono(r.leaf_hash)],
      ['Proof path', r.proof.length ? el('ol', {}, ...r.proof.map((hash) => el('li', {}, mono(hash)))) : 'none (a one-entry tree)'],
    );
  }
  if (report.keys.length) rows.push(['Signed by', report.keys.join(', ')]);
  rows.push(['Bytes read', report.bytes.toLocaleString('en')]);
  const out = [el('h3', {}, 'Details'), el('dl', {}, ...rows.flatMap(([term, value]) => [el('dt', {}, term), el('dd', {}, value)]))];
  if (r) out.push(...disclosedTable(r));
  out.push(el('details', {}, el('summary', {}, 'The full report (JSON, as veritydb-verify --json prints it)'), el('pre', {}, JSON.stringify(report, null, 2))));
  return out;
}

function disclosedTable(receipt) {
  const caption = `Disclosed fields (${receipt.disclosed.length} of ${receipt.field_count})`;
  if (receipt.disclosed.length === 0) return [el('h3', {}, caption), el('p', {}, 'No field is disclosed: the receipt proves the entry exists, not its content.')];
  return [
    el('table', {},
      el('caption', {}, caption),
      el('thead', {}, el('tr', {}, el('th', { scope: 'col' }, 'Field'), el('th', { scope: 'col' }, 'Value'))),
      el('tbody', {}, ...receipt.disclosed.map((field) => el('tr', {},
        el('th', { scope: 'row' }, field.name),
        el('td', {}, field.value_text ?? mono(`base64: ${field.value_base64}`)))))),
  ];
}

// ---- Small helpers --------------------------------------------------------------------------

/** An element with attributes and children (strings become text nodes, never HTML). */
function el(tag, attributes, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, value);
  node.append(...children);
  return node;
}

function mono(text) {
  return el('span', { class: 'mono' }, text);
}

function listOf(items) {
  return items.length ? items.join(', ') : 'none';
}

/** `YYYY-MM-DD hh:mm:ss.uuuuuu UTC` from microseconds since 1970 (exact: below 2^53). */
function formatTime(timestampUs) {
  const iso = new Date(Math.floor(timestampUs / 1000)).toISOString();
  const micros = String(timestampUs % 1_000_000).padStart(6, '0');
  return `${iso.slice(0, 10)} ${iso.slice(11, 19)}.${micros} UTC`;
}

function formatBytes(bytes) {
  if (bytes < 1024) return `${bytes} bytes`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  if (bytes < 1024 ** 3) return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
  return `${(bytes / 1024 ** 3).toFixed(2)} GiB`;
}

function formatMs(ms) {
  return ms < 10 ? `${ms.toFixed(2)} ms` : `${Math.round(ms).toLocaleString('en')} ms`;
}
