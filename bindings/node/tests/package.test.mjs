// The package as users load it: CommonJS and ES module entry points export the same names,
// `veritydb/verify` exports the verifier (and only it), the generated declarations declare
// every export with its doc comment, and the README's example runs as written.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

import * as esm from 'veritydb';
import * as esmVerify from 'veritydb/verify';

const require = createRequire(import.meta.url);
const packageDir = fileURLToPath(new URL('..', import.meta.url));
const declarations = readFileSync(path.join(packageDir, 'index.d.ts'), 'utf8');

const VERIFY = [
  'ExportVerifier', 'ed25519Verify', 'parseTrustedKeys', 'sqlValue', 'verifyCheckpoint', 'verifyCheckpointConsistency',
  'verifyConsistency', 'verifyExport', 'verifyExportFile', 'verifyInclusion', 'verifyNote', 'verifyReceipt',
];

test('CommonJS and ES modules export the same names and values', () => {
  const cjs = require('veritydb');
  const names = Object.keys(cjs).sort();
  assert.deepEqual(Object.keys(esm).filter((n) => n !== 'default').sort(), names);
  for (const name of names) assert.equal(esm[name], cjs[name], name);
  assert.equal(esm.default, cjs);
  for (const name of ['open', 'connect', 'Database', 'Tenant', 'Statement', 'Batch', 'ExportStream', ...VERIFY]) {
    assert.ok(names.includes(name), `veritydb exports ${name}`);
  }
});

test('veritydb/verify exports the verifier, in both module systems', () => {
  const cjs = require('veritydb/verify');
  assert.deepEqual(Object.keys(cjs).sort(), VERIFY);
  assert.deepEqual(Object.keys(esmVerify).filter((n) => n !== 'default').sort(), VERIFY);
  for (const name of VERIFY) {
    assert.equal(cjs[name], esmVerify[name], name);
    assert.equal(cjs[name], esm[name], name);
  }
  const verifyTypes = readFileSync(path.join(packageDir, 'verify.d.ts'), 'utf8');
  for (const name of VERIFY) assert.match(verifyTypes, new RegExp(`\\b${name},`), `verify.d.ts re-exports ${name}`);
});

test('the generated declarations declare every export, with doc comments', () => {
  for (const name of Object.keys(require('veritydb'))) {
    const declared = new RegExp(`export declare (?:class|function|const) ${name}\\b`);
    assert.match(declarations, declared, `index.d.ts declares ${name}`);
    const at = declarations.search(declared);
    assert.match(declarations.slice(Math.max(0, at - 400), at), /\*\/\s*$/, `${name} has a doc comment`);
  }
  for (const method of ['execute', 'query', 'queryAt', 'prepare', 'append', 'read', 'checkpoint', 'receipt', 'export']) {
    assert.match(declarations, new RegExp(`\\*/\\n  ${method}(<R = Row>)?\\(`), `Tenant.${method} is documented`);
  }
  assert.match(declarations, /batch\(fn: \(tx: Batch\) => unknown\): Promise<ExecResult>/);
  assert.match(declarations, /\[Symbol\.asyncDispose\]\(\): Promise<void>/);
});

test("the README's example runs as written", () => {
  const readme = readFileSync(path.join(packageDir, 'README.md'), 'utf8');
  const example = readme.match(/```js\n([\s\S]*?)```/)[1];
  assert.ok(example.split('\n').filter(Boolean).length <= 15, 'the README example is at most 15 lines');
  // Inside the package directory, so that `import 'veritydb'` resolves to this package.
  const dir = mkdtempSync(path.join(packageDir, 'tests', '.readme-'));
  try {
    const file = path.join(dir, 'example.mjs');
    writeFileSync(file, example);
    const output = execFileSync(process.execPath, [file], { encoding: 'utf8' });
    assert.equal(output, 'Ada: oncology, was cardiology\nentry 1 is in the signed log\n');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
