// `veritydb/verify` against the native `veritydb-verify` CLI: every case of
// testdata/vectors/manifest.json gets the verdict the manifest expects and the very report the
// CLI prints with --json, field by field; every row of the Ed25519 verdict table gets the
// native verdict; any chunking of an export gives the whole-buffer report.

import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';

import {
  ExportVerifier,
  ed25519Verify,
  parseTrustedKeys,
  sqlValue,
  verifyCheckpoint,
  verifyCheckpointConsistency,
  verifyConsistency,
  verifyExport,
  verifyExportFile,
  verifyInclusion,
  verifyNote,
  verifyReceipt,
} from 'veritydb/verify';

import { assertSameReport, manifest, rejectsWith, runCli, tempDir, throwsWith, vector, vectors } from './support.mjs';

const { cases, reasons } = manifest();
const KEY = 'vectors.veritydb.example/clinic+bb771156+AdBKsjJ0K7SrOhNovUYV5ObQIkq3GgFrr4UgozLJd4c3';

/** The binding's report for a manifest case, the way a user would call the package. */
async function nodeReport(c) {
  switch (c.kind) {
    case 'export': {
      const report = verifyExport(vector(c.file), c.trusted_keys);
      assertSameReport(assert, await verifyExportFile(path.join(vectors, c.file), c.trusted_keys), report, `${c.name} from the file`);
      return report;
    }
    case 'receipt':
      return verifyReceipt(vector(c.file).toString('utf8'), c.trusted_keys);
    case 'checkpoint':
      return verifyCheckpoint(vector(c.file).toString('utf8'), c.trusted_keys, c.origin ?? undefined);
    case 'note':
      return verifyNote(vector(c.file), c.trusted_keys);
    case 'consistency':
      return verifyCheckpointConsistency(vector(c.old), vector(c.new), c.proof, c.trusted_keys);
    default:
      throw new Error(`unknown manifest kind ${c.kind}`);
  }
}

/** The native CLI's arguments for the same case. */
function cliArgs(c) {
  const file = (relative) => path.join(vectors, relative);
  const trust = c.trusted_keys.flatMap((key) => ['--trust-key', key]);
  switch (c.kind) {
    case 'export':
    case 'receipt':
    case 'note':
      return [c.kind, file(c.file), ...trust];
    case 'checkpoint':
      return ['checkpoint', file(c.file), ...trust, ...(c.origin ? ['--origin', c.origin] : [])];
    case 'consistency':
      return ['checkpoints', file(c.old), file(c.new), '--proof', (c.proof ?? []).join(','), ...trust];
    default:
      throw new Error(`unknown manifest kind ${c.kind}`);
  }
}

test('the manifest covers every kind and every reason code', () => {
  const kinds = new Set(cases.map((c) => c.kind));
  assert.deepEqual([...kinds].sort(), ['checkpoint', 'consistency', 'export', 'note', 'receipt']);
  const seen = new Set(cases.map((c) => c.expect.reason));
  for (const [name] of reasons) assert.ok(seen.has(name), `no case expects ${name}`);
  assert.ok(cases.length >= 60, `only ${cases.length} cases`);
});

test('every manifest case: the expected verdict, and the native CLI report field by field', async (t) => {
  let compared = 0;
  for (const c of cases) {
    await t.test(`${c.name}: ${c.expect.reason}`, async () => {
      const report = await nodeReport(c);
      assert.equal(report.ok, c.expect.ok, report.message);
      assert.equal(report.reason, c.expect.reason, report.message);
      assert.equal(report.reason_code, c.expect.reason_code);
      assert.equal(report.position, c.expect.position);
      assert.equal(report.kind, c.kind);
      const native = runCli(cliArgs(c));
      assert.equal(native.status, c.expect.ok ? 0 : 1, `native exit status for ${c.name}`);
      assertSameReport(assert, report, native.report, c.name);
      compared++;
    });
  }
  assert.equal(compared, cases.length);
});

test('every Ed25519 verdict matches the native one', () => {
  const table = JSON.parse(vector('ed25519-verdicts.json').toString('utf8'));
  const bytes = (hex) => Uint8Array.from(Buffer.from(hex, 'hex'));
  assert.equal(table.cases.length, 914 + 151);
  let rejected = 0;
  for (const c of table.cases) {
    const valid = ed25519Verify(bytes(c.key), bytes(c.msg), bytes(c.sig));
    assert.equal(valid, c.valid, `${c.source} case ${c.id} (${c.flags.join(', ')})`);
    if (!valid) rejected++;
  }
  assert.equal(rejected, 871 + 63);
  assert.equal(ed25519Verify(new Uint8Array(31), new Uint8Array(), new Uint8Array(64)), false);
});

test('any chunking of an export gives the whole-buffer report', () => {
  for (const c of cases.filter((e) => e.kind === 'export')) {
    const bytes = vector(c.file);
    const whole = verifyExport(bytes, c.trusted_keys);
    for (const size of [1, 7, 4096]) {
      if (size === 1 && bytes.length > 64 * 1024) continue;
      const verifier = new ExportVerifier(c.trusted_keys);
      for (let at = 0; at < bytes.length; at += size) verifier.update(bytes.subarray(at, at + size));
      const progress = verifier.progress();
      const report = verifier.finish();
      assert.equal(progress.entries, report.entries);
      assertSameReport(assert, report, whole, `${c.name} in chunks of ${size}`);
    }
    assertSameReport(assert, verifyExport(new Uint8Array(bytes).buffer, c.trusted_keys), whole, `${c.name} as an ArrayBuffer`);
  }
});

test('raw proofs, trusted keys and SQL values', () => {
  const leaf = Buffer.alloc(32, 7);
  assert.equal(verifyInclusion(leaf, 0, 1, null, leaf.toString('base64')).ok, true);
  assert.equal(verifyInclusion(leaf, '0', 1n, [], leaf).ok, true);
  assert.equal(verifyInclusion(leaf, 0, 2, [], leaf).reason, 'bad_proof');
  assert.equal(verifyConsistency(1, 1, leaf, leaf, []).ok, true);
  assert.deepEqual(parseTrustedKeys([KEY]), [{ name: 'vectors.veritydb.example/clinic', keyId: 'bb771156' }]);
  assert.deepEqual(parseTrustedKeys(`# pinned\n${KEY}\n`), parseTrustedKeys([KEY]));
  const encoded = (tag, payload) => Buffer.concat([Buffer.from([tag]), payload]);
  const be64 = (n) => {
    const b = Buffer.alloc(8);
    b.writeBigInt64BE(n);
    return b;
  };
  const real = Buffer.alloc(8);
  real.writeDoubleBE(1.5);
  assert.equal(sqlValue(encoded(0, Buffer.alloc(0))), null);
  assert.equal(sqlValue(encoded(1, be64(-2n))), -2n);
  assert.equal(sqlValue(encoded(2, real)), 1.5);
  assert.equal(sqlValue(encoded(3, Buffer.from('Ada'))), 'Ada');
  assert.equal(sqlValue(encoded(4, Buffer.from([1]))), true);
  assert.deepEqual(sqlValue(encoded(5, Buffer.from([9]))), Buffer.from([9]));
  assert.deepEqual(sqlValue(encoded(6, be64(1_500_000n))), new Date(1500));
  const nan = Buffer.alloc(8);
  nan.writeDoubleBE(NaN);
  const negativeZero = Buffer.alloc(8);
  negativeZero.writeDoubleBE(-0);
  const notUtf8 = encoded(3, Buffer.from([0xff]));
  for (const bad of [Buffer.alloc(0), encoded(4, Buffer.from([2])), encoded(1, Buffer.alloc(3)), encoded(9, Buffer.alloc(0)), encoded(2, nan), encoded(2, negativeZero), notUtf8]) {
    throwsWith(assert, () => sqlValue(bad), 'VERITYDB_INVALID');
  }
});

test('"could not check" throws with a documented code; verdicts never throw', async () => {
  const calls = [
    (keys) => verifyReceipt('x', keys),
    (keys) => verifyExport(new Uint8Array(), keys),
    (keys) => verifyCheckpoint('x', keys),
    (keys) => verifyNote('x', keys),
    (keys) => verifyCheckpointConsistency('x', 'y', [], keys),
    (keys) => new ExportVerifier(keys),
    (keys) => parseTrustedKeys(keys),
  ];
  for (const call of calls) {
    throwsWith(assert, () => call(['not a vkey']), 'VERITYDB_INVALID_KEY');
    throwsWith(assert, () => call(KEY.replace('bb771156', 'bb771157')), 'VERITYDB_INVALID_KEY');
    throwsWith(assert, () => call(Array(257).fill(KEY)), 'VERITYDB_TOO_MANY_KEYS');
    throwsWith(assert, () => call([]), 'VERITYDB_NO_TRUSTED_KEY');
    throwsWith(assert, () => call('# only a comment\n'), 'VERITYDB_NO_TRUSTED_KEY');
    throwsWith(assert, () => call(undefined), 'VERITYDB_INVALID_ARGUMENT');
    throwsWith(assert, () => call([KEY, 42]), 'VERITYDB_INVALID_ARGUMENT');
  }
  throwsWith(assert, () => verifyReceipt(42, [KEY]), 'VERITYDB_INVALID_ARGUMENT');
  throwsWith(assert, () => verifyExport('a string', [KEY]), 'VERITYDB_INVALID_ARGUMENT');
  throwsWith(assert, () => verifyExport(new Float64Array(4), [KEY]), 'VERITYDB_INVALID_ARGUMENT');
  throwsWith(assert, () => verifyCheckpoint('x', [KEY], 42), 'VERITYDB_INVALID_ARGUMENT');
  throwsWith(assert, () => verifyInclusion('not base64!', 0, 1, [], 'AA=='), 'VERITYDB_INVALID_BASE64');
  throwsWith(assert, () => verifyInclusion(new Uint8Array(32), -1, 1, [], new Uint8Array(32)), 'VERITYDB_INVALID_ARGUMENT');
  throwsWith(assert, () => verifyInclusion(new Uint8Array(32), 0.5, 1, [], new Uint8Array(32)), 'VERITYDB_INVALID_ARGUMENT');
  throwsWith(assert, () => verifyInclusion(new Uint8Array(32), 0, 1, 'x', new Uint8Array(32)), 'VERITYDB_INVALID_ARGUMENT');
  throwsWith(assert, () => verifyConsistency('1x', 1, 'AA==', 'AA==', []), 'VERITYDB_INVALID_ARGUMENT');
  throwsWith(assert, () => ed25519Verify('key', new Uint8Array(), new Uint8Array(64)), 'VERITYDB_INVALID_ARGUMENT');
  const verifier = new ExportVerifier([KEY]);
  throwsWith(assert, () => verifier.update('text'), 'VERITYDB_INVALID_ARGUMENT');
  assert.equal(verifier.finish().reason, 'truncated');
  throwsWith(assert, () => verifier.finish(), 'VERITYDB_VERIFIER_FINISHED');
  throwsWith(assert, () => verifier.update(new Uint8Array(1)), 'VERITYDB_VERIFIER_FINISHED');
  throwsWith(assert, () => verifier.progress(), 'VERITYDB_VERIFIER_FINISHED');
  throwsWith(assert, () => verifier.hasFailed(), 'VERITYDB_VERIFIER_FINISHED');

  // Bad files: missing ones reject; garbage is a verdict.
  const { dir, cleanup } = tempDir();
  try {
    await rejectsWith(assert, verifyExportFile(path.join(dir, 'missing.vdbx'), [KEY]), 'VERITYDB_IO');
    await rejectsWith(assert, verifyExportFile(dir, [KEY]), 'VERITYDB_IO');
    await rejectsWith(assert, verifyExportFile(42, [KEY]), 'VERITYDB_INVALID_ARGUMENT');
    await rejectsWith(assert, verifyExportFile(path.join(dir, 'x'), []), 'VERITYDB_NO_TRUSTED_KEY');
    const garbage = path.join(dir, 'garbage.vdbx');
    writeFileSync(garbage, Buffer.alloc(5000, 0x42));
    const report = await verifyExportFile(garbage, [KEY]);
    assert.equal(report.ok, false);
    assert.equal(report.reason, 'malformed_frame');
    assert.equal(verifyReceipt('garbage', [KEY]).reason, 'malformed_receipt');
  } finally {
    cleanup();
  }
});
