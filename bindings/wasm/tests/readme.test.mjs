// The README's example runs as written, on a vector receipt with the vectors' key (only the
// file name and the key are substituted).

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

import { vectors } from './support.mjs';

const KEY = 'vectors.veritydb.example/clinic+bb771156+AdBKsjJ0K7SrOhNovUYV5ObQIkq3GgFrr4UgozLJd4c3';
const packageDir = fileURLToPath(new URL('..', import.meta.url));

function runExample(receipt) {
  const readme = readFileSync(path.join(packageDir, 'README.md'), 'utf8');
  const example = readme.match(/```js\n([\s\S]*?)```/)[1];
  assert.ok(example.split('\n').filter(Boolean).length <= 10, 'the README example is at most 10 lines');
  const code = example
    .replace("'entry-42.tlog-proof'", JSON.stringify(path.join(vectors, receipt)))
    .replace(/'audit\.example\.com\/node1\/acme\+[^']+'/, JSON.stringify(KEY));
  // Inside the package directory, so that `import 'veritydb-verify'` resolves to this package.
  const dir = mkdtempSync(path.join(packageDir, 'tests', '.readme-'));
  try {
    const file = path.join(dir, 'example.mjs');
    writeFileSync(file, code);
    return execFileSync(process.execPath, [file], { encoding: 'utf8' });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('the README example verifies a receipt and explains a rejection', () => {
  assert.equal(
    runExample('receipts/clinic-3-disclosed.tlog-proof'),
    'entry 3 of vectors.veritydb.example/clinic is in the signed tree of size 20\n',
  );
  assert.equal(
    runExample('receipts/tampered/value-flipped.tlog-proof'),
    'rejected: commitment_mismatch (code 6) at position 3\n',
  );
});
