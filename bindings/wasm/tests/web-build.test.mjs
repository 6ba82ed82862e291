// The `--target web` build (what browsers and bundlers load), initialised from bytes in Node,
// gives the same reports as the Node build.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';

import * as node from 'veritydb-verify';
import init, { initSync, verifyExport, verifyReceipt } from 'veritydb-verify/web';

import { manifest, vector } from './support.mjs';

test('the web build verifies like the Node build', () => {
  assert.equal(typeof init, 'function');
  const module = readFileSync(new URL('../pkg/web/veritydb_verify_bg.wasm', import.meta.url));
  initSync({ module });
  let checked = 0;
  for (const c of manifest().cases) {
    if (c.kind === 'receipt') {
      const text = vector(c.file).toString('utf8');
      assert.deepEqual(verifyReceipt(text, c.trusted_keys), node.verifyReceipt(text, c.trusted_keys), c.name);
      checked++;
    } else if (c.kind === 'export') {
      const bytes = vector(c.file);
      assert.deepEqual(verifyExport(bytes, c.trusted_keys), node.verifyExport(bytes, c.trusted_keys), c.name);
      checked++;
    }
  }
  assert.ok(checked >= 40);
});
