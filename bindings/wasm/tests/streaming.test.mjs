// Streaming: any chunking of an export through ExportVerifier gives the report of the whole
// buffer, progress only grows and ends at the report's counts, and input after a failure is
// ignored.

import assert from 'node:assert/strict';
import { test } from 'node:test';

import { ExportVerifier, verifyExport } from 'veritydb-verify';

import { assertSameReport, manifest, prng, vector } from './support.mjs';

const exports = manifest().cases.filter((c) => c.kind === 'export');

/** Feeds `bytes` in chunks of random sizes (1..maxChunk), checking progress on the way. */
function streamed(bytes, keys, random, maxChunk) {
  const verifier = new ExportVerifier(keys);
  let previous = verifier.progress();
  assert.deepEqual(previous, { bytes: 0, entries: 0 });
  for (let offset = 0; offset < bytes.length; ) {
    const length = 1 + Math.floor(random() * maxChunk);
    verifier.update(bytes.subarray(offset, offset + length));
    offset += length;
    const progress = verifier.progress();
    assert.ok(progress.bytes >= previous.bytes && progress.entries >= previous.entries);
    assert.ok(progress.bytes <= Math.min(offset, bytes.length));
    previous = progress;
  }
  const failed = verifier.hasFailed();
  const last = verifier.progress();
  const report = verifier.finish();
  assert.equal(last.entries, report.entries);
  if (report.ok) assert.equal(last.bytes, bytes.length);
  if (failed) assert.equal(report.ok, false);
  return report;
}

test('random chunkings of every manifest export give the whole-buffer report', () => {
  const random = prng(0x5eed);
  for (const c of exports) {
    const bytes = vector(c.file);
    const whole = verifyExport(bytes, c.trusted_keys);
    for (const maxChunk of [3, 17, 64, 500, 4096]) {
      for (let round = 0; round < 4; round++) {
        assertSameReport(assert, streamed(bytes, c.trusted_keys, random, maxChunk), whole, `${c.name} chunks <= ${maxChunk}`);
      }
    }
  }
});

test('ArrayBuffer, Buffer and Uint8Array views give the same report', () => {
  const c = exports.find((e) => e.expect.ok);
  const buffer = vector(c.file);
  const copy = new Uint8Array(buffer); // a copy, not a view of Node's pool
  const whole = verifyExport(copy, c.trusted_keys);
  assert.equal(whole.ok, true);
  assertSameReport(assert, verifyExport(buffer, c.trusted_keys), whole, 'Buffer');
  assertSameReport(assert, verifyExport(copy.buffer, c.trusted_keys), whole, 'ArrayBuffer');
  const offset = new Uint8Array(copy.length + 7);
  offset.set(copy, 7);
  assertSameReport(assert, verifyExport(offset.subarray(7), c.trusted_keys), whole, 'offset view');
  const verifier = new ExportVerifier(c.trusted_keys.join('\n'));
  verifier.update(copy.buffer.slice(0, 100));
  verifier.update(copy.subarray(100));
  assertSameReport(assert, verifier.finish(), whole, 'ArrayBuffer chunk');
});

test('input after a failure cannot change the report', () => {
  const c = exports.find((e) => e.expect.reason === 'chain_break');
  const bytes = vector(c.file);
  const whole = verifyExport(bytes, c.trusted_keys);
  const verifier = new ExportVerifier(c.trusted_keys);
  verifier.update(bytes);
  assert.equal(verifier.hasFailed(), true);
  const before = verifier.progress();
  verifier.update(new Uint8Array(1000).fill(0xff));
  assert.deepEqual(verifier.progress(), before);
  assertSameReport(assert, verifier.finish(), whole, c.name);
});

test('an empty input is truncated, and a valid export with a byte appended is trailing_data', () => {
  const c = exports.find((e) => e.expect.ok);
  const verifier = new ExportVerifier(c.trusted_keys);
  const empty = verifier.finish();
  assert.equal(empty.reason, 'truncated');
  const bytes = vector(c.file);
  const longer = new Uint8Array(bytes.length + 1);
  longer.set(bytes);
  const report = verifyExport(longer, c.trusted_keys);
  assert.equal(report.reason, 'trailing_data');
  assert.equal(report.reason_code, 21);
});
