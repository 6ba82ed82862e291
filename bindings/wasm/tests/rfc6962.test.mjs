// The RFC 6962 inclusion and consistency vectors of transparency-dev/merkle
// (../shared/vectors/rfc6962): `wantErr` cases rejected, the others accepted, and every report
// equal to the native CLI's `inclusion` / `consistency` --json report.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';

import { verifyConsistency, verifyInclusion } from 'veritydb-verify';

import { assertSameReport, jsonFiles, parseJsonExact, proofArg, runCli, sharedVectors } from './support.mjs';

const root = path.join(sharedVectors, 'rfc6962');
const load = (file) => parseJsonExact(readFileSync(file, 'utf8'));
/** Sizes and indices as the package takes them: numbers when exact, else bigints. */
const size = (value) => (typeof value === 'string' ? BigInt(value) : value);

/**
 * Whether the CLI's `--proof` can carry this proof: it splits on commas and reads an empty
 * value as the empty proof, so a proof of one empty hash (`[""]`, "preceding garbage") has no
 * command-line spelling. Those vectors are checked against `wantErr` only.
 */
function cliCanSpell(proof) {
  const arg = proofArg(proof);
  const parsed = arg.trim() === '' ? [] : arg.split(',');
  return JSON.stringify(parsed) === JSON.stringify(proof ?? []);
}

test('inclusion vectors', (t) => {
  const files = jsonFiles(path.join(root, 'inclusion'));
  assert.ok(files.length > 50, `only ${files.length} inclusion vectors`);
  let accepted = 0;
  for (const file of files) {
    const c = load(file);
    const what = path.relative(root, file);
    const report = verifyInclusion(c.leafHash, size(c.leafIdx), size(c.treeSize), c.proof, c.root);
    assert.equal(report.ok, !c.wantErr, `${what}: ${report.reason} ${report.message}`);
    assert.ok(['ok', 'bad_proof', 'root_mismatch'].includes(report.reason), `${what}: ${report.reason}`);
    if (report.ok) accepted++;
    if (!cliCanSpell(c.proof)) {
      t.diagnostic(`${what}: proof ${JSON.stringify(c.proof)} has no CLI spelling; checked against wantErr only`);
      continue;
    }
    const native = runCli([
      'inclusion', '--leaf-hash', c.leafHash, '--index', String(c.leafIdx), '--size', String(c.treeSize),
      '--root', c.root, '--proof', proofArg(c.proof),
    ]);
    assertSameReport(assert, report, native.report, what);
  }
  assert.ok(accepted >= 6, `only ${accepted} accepted`);
});

test('consistency vectors', (t) => {
  const files = jsonFiles(path.join(root, 'consistency'));
  assert.ok(files.length > 50, `only ${files.length} consistency vectors`);
  for (const file of files) {
    const c = load(file);
    const what = path.relative(root, file);
    const report = verifyConsistency(size(c.size1), size(c.size2), c.root1, c.root2, c.proof);
    assert.equal(report.ok, !c.wantErr, `${what}: ${report.reason} ${report.message}`);
    assert.ok(['ok', 'bad_proof', 'root_mismatch'].includes(report.reason), `${what}: ${report.reason}`);
    if (!cliCanSpell(c.proof)) {
      t.diagnostic(`${what}: proof ${JSON.stringify(c.proof)} has no CLI spelling; checked against wantErr only`);
      continue;
    }
    const native = runCli([
      'consistency', '--old-size', String(c.size1), '--new-size', String(c.size2),
      '--old-root', c.root1, '--new-root', c.root2, '--proof', proofArg(c.proof),
    ]);
    assertSameReport(assert, report, native.report, what);
  }
});
