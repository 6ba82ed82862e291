// Every row of testdata/vectors/ed25519-verdicts.json (C2SP CCTV and Wycheproof): the WASM
// build gives the verdict the native library recorded (docs/spec/checkpoint.md §6).

import assert from 'node:assert/strict';
import { test } from 'node:test';

import { ed25519Verify } from 'veritydb-verify';

import { vector } from './support.mjs';

const { cases } = JSON.parse(vector('ed25519-verdicts.json').toString('utf8'));
const bytes = (hex) => Uint8Array.from(Buffer.from(hex, 'hex'));

test('every Ed25519 verdict matches the native one', () => {
  assert.equal(cases.length, 914 + 151);
  let rejected = 0;
  for (const c of cases) {
    const valid = ed25519Verify(bytes(c.key), bytes(c.msg), bytes(c.sig));
    assert.equal(valid, c.valid, `${c.source} case ${c.id} (${c.flags.join(', ')})`);
    if (!valid) rejected++;
  }
  assert.equal(rejected, 871 + 63);
});
