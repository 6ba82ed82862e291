// Every case of testdata/vectors/manifest.json through the built package: the verdict the
// manifest expects, and the very report the native CLI prints with --json, field by field.

import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';

import {
  verifyCheckpoint,
  verifyCheckpointConsistency,
  verifyExport,
  verifyNote,
  verifyReceipt,
  ExportVerifier,
} from 'veritydb-verify';

import { assertSameReport, manifest, proofArg, runCli, trustArgs, vector, vectors } from './support.mjs';

const { cases, reasons } = manifest();

/** The WASM report for a manifest case, the way a user would call the package. */
function wasmReport(c) {
  switch (c.kind) {
    case 'export':
      return verifyExport(vector(c.file), c.trusted_keys);
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
  const trust = trustArgs(c.trusted_keys);
  switch (c.kind) {
    case 'export':
    case 'receipt':
    case 'note':
      return [c.kind, file(c.file), ...trust];
    case 'checkpoint':
      return ['checkpoint', file(c.file), ...trust, ...(c.origin ? ['--origin', c.origin] : [])];
    case 'consistency':
      return ['checkpoints', file(c.old), file(c.new), '--proof', proofArg(c.proof), ...trust];
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

for (const c of cases) {
  test(`${c.name}: ${c.expect.reason}`, () => {
    const report = wasmReport(c);
    assert.equal(report.ok, c.expect.ok, report.message);
    assert.equal(report.reason, c.expect.reason, report.message);
    assert.equal(report.reason_code, c.expect.reason_code);
    assert.equal(report.position, c.expect.position);
    assert.equal(report.kind, c.kind);

    const native = runCli(cliArgs(c));
    assert.equal(native.status, c.expect.ok ? 0 : 1, `native exit status for ${c.name}`);
    assertSameReport(assert, report, native.report, c.name);

    if (c.kind === 'export') {
      // One byte at a time: the most extreme chunking gives the same report too.
      const bytes = vector(c.file);
      if (bytes.length <= 64 * 1024) {
        const verifier = new ExportVerifier(c.trusted_keys);
        for (let i = 0; i < bytes.length; i++) verifier.update(bytes.subarray(i, i + 1));
        assertSameReport(assert, verifier.finish(), native.report, `${c.name} byte by byte`);
      }
    }
  });
}
