// "Could not check" throws an Error with a documented, stable `code`; verdicts never throw.
// Also: the TypeScript declarations name exactly the reason codes the manifest lists.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { test } from 'node:test';

import {
  ExportVerifier,
  ed25519Verify,
  parseTrustedKeys,
  verifyCheckpoint,
  verifyCheckpointConsistency,
  verifyConsistency,
  verifyExport,
  verifyInclusion,
  verifyNote,
  verifyReceipt,
} from 'veritydb-verify';

import { manifest, vector } from './support.mjs';

const KEY = 'vectors.veritydb.example/clinic+bb771156+AdBKsjJ0K7SrOhNovUYV5ObQIkq3GgFrr4UgozLJd4c3';
const HASH = Buffer.alloc(32, 7).toString('base64');
const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
const declarations = readFileSync(new URL('../pkg/node/veritydb_verify.d.ts', import.meta.url), 'utf8');

/** Asserts that `fn` throws an Error whose code is `code`, and that the README documents it. */
function throwsCode(fn, code) {
  assert.throws(fn, (error) => {
    assert.ok(error instanceof Error, 'an Error instance');
    assert.equal(error.code, code, error.message);
    assert.ok(error.message.length > 0);
    return true;
  });
  assert.ok(readme.includes(code), `${code} is not documented in README.md`);
}

test('invalid, too many, or no trusted keys', () => {
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
    throwsCode(() => call(['not a vkey']), 'VERITYDB_INVALID_KEY');
    throwsCode(() => call(KEY.replace('bb771156', 'bb771157')), 'VERITYDB_INVALID_KEY');
    throwsCode(() => call(`${KEY}\nexample.com+12345678+AAAA`), 'VERITYDB_INVALID_KEY');
    throwsCode(() => call(Array(257).fill(KEY)), 'VERITYDB_TOO_MANY_KEYS');
    throwsCode(() => call([]), 'VERITYDB_NO_TRUSTED_KEY');
    throwsCode(() => call('# only a comment\n\n'), 'VERITYDB_NO_TRUSTED_KEY');
    throwsCode(() => call(undefined), 'VERITYDB_INVALID_ARGUMENT');
    throwsCode(() => call(42), 'VERITYDB_INVALID_ARGUMENT');
    throwsCode(() => call([KEY, 42]), 'VERITYDB_INVALID_ARGUMENT');
  }
});

test('keys: an array or one string per line, trimmed, duplicates once', () => {
  const expected = [{ name: 'vectors.veritydb.example/clinic', keyId: 'bb771156' }];
  assert.deepEqual(parseTrustedKeys([KEY]), expected);
  assert.deepEqual(parseTrustedKeys(`# pinned\n  ${KEY}  \n\n${KEY}\n`), expected);
  assert.deepEqual(parseTrustedKeys([` ${KEY}\n`, KEY]), expected);
});

test('arguments of the wrong type', () => {
  const code = 'VERITYDB_INVALID_ARGUMENT';
  for (const bad of [undefined, null, 42, {}, [1, 2], new Uint16Array(4)]) {
    throwsCode(() => verifyReceipt(bad, [KEY]), code);
    throwsCode(() => verifyNote(bad, [KEY]), code);
    throwsCode(() => verifyCheckpoint(bad, [KEY]), code);
    throwsCode(() => verifyExport(bad, [KEY]), code);
    throwsCode(() => verifyExport('a string is not bytes', [KEY]), code);
    throwsCode(() => new ExportVerifier([KEY]).update(bad), code);
  }
  throwsCode(() => verifyCheckpoint('x', [KEY], 42), code);
  for (const bad of [-1, 1.5, NaN, Infinity, 2 ** 53, -1n, 2n ** 64n, '', '12a', '-3', ' 1', null, {}]) {
    throwsCode(() => verifyInclusion(HASH, bad, 1, [], HASH), code);
    throwsCode(() => verifyConsistency(1, bad, HASH, HASH, []), code);
  }
  throwsCode(() => verifyInclusion(42, 0, 1, [], HASH), code);
  throwsCode(() => verifyInclusion(HASH, 0, 1, 'not an array', HASH), code);
  throwsCode(() => verifyInclusion(HASH, 0, 1, [42], HASH), code);
  throwsCode(() => ed25519Verify('key', new Uint8Array(), new Uint8Array(64)), code);
  throwsCode(() => ed25519Verify(new Uint8Array(32), 'message', new Uint8Array(64)), code);
  throwsCode(() => ed25519Verify(new Uint8Array(32), new Uint8Array(), [1, 2]), code);
});

test('hashes that are not base64', () => {
  throwsCode(() => verifyInclusion('not base64!', 0, 1, [], HASH), 'VERITYDB_INVALID_BASE64');
  throwsCode(() => verifyConsistency(1, 2, HASH, HASH, ['%%%']), 'VERITYDB_INVALID_BASE64');
  throwsCode(() => verifyCheckpointConsistency('x', 'y', ['AAA'], [KEY]), 'VERITYDB_INVALID_BASE64');
});

test('a streaming verifier used after finish()', () => {
  const verifier = new ExportVerifier([KEY]);
  verifier.update(new Uint8Array([0x89]));
  assert.equal(verifier.finish().reason, 'truncated');
  throwsCode(() => verifier.update(new Uint8Array(1)), 'VERITYDB_VERIFIER_FINISHED');
  throwsCode(() => verifier.progress(), 'VERITYDB_VERIFIER_FINISHED');
  throwsCode(() => verifier.hasFailed(), 'VERITYDB_VERIFIER_FINISHED');
  throwsCode(() => verifier.finish(), 'VERITYDB_VERIFIER_FINISHED');
});

test('rejections are verdicts, not exceptions', () => {
  assert.equal(verifyReceipt('garbage', [KEY]).reason, 'malformed_receipt');
  assert.equal(verifyNote('', KEY).reason, 'malformed_note');
  assert.equal(verifyExport(new ArrayBuffer(0), KEY).reason, 'truncated');
  assert.equal(verifyInclusion(HASH, 5, 1, null, HASH).reason, 'bad_proof');
  assert.equal(verifyInclusion(HASH, 0n, '1', undefined, Buffer.alloc(32, 8)).reason, 'root_mismatch');
  assert.equal(verifyInclusion(Buffer.alloc(32, 7), 0, 1, [], HASH).ok, true);
  assert.equal(ed25519Verify(new Uint8Array(31), new Uint8Array(), new Uint8Array(64)), false);
  assert.equal(ed25519Verify(new Uint8Array(32), new Uint8Array(), new Uint8Array(63)), false);
  // A receipt far over receipt_bytes_max is read only up to the limit, like the CLI reads files.
  const huge = verifyReceipt(new Uint8Array(5 << 20), [KEY]);
  assert.equal(huge.ok, false);
  assert.equal(huge.bytes, 4_194_304 + 1);
});

test('a valid receipt given as a string, bytes or ArrayBuffer gives one report', () => {
  const bytes = vector('receipts/clinic-3-disclosed.tlog-proof');
  const fromString = verifyReceipt(bytes.toString('utf8'), [KEY]);
  assert.equal(fromString.ok, true);
  assert.deepEqual(verifyReceipt(bytes, [KEY]), fromString);
  assert.deepEqual(verifyReceipt(new Uint8Array(bytes).buffer, KEY), fromString);
});

test('the TypeScript declarations name every reason and error code', () => {
  const { reasons } = manifest();
  const union = declarations.match(/export type ReasonName =([^;]*);/);
  assert.ok(union, 'ReasonName is declared');
  const declared = [...union[1].matchAll(/"([a-z_]+)"/g)].map((m) => m[1]);
  assert.deepEqual(declared, reasons.map(([name]) => name));
  const codes = declarations.match(/export type ErrorCode =([^;]*);/);
  assert.ok(codes, 'ErrorCode is declared');
  for (const [, code] of codes[1].matchAll(/"([A-Z_]+)"/g)) assert.ok(readme.includes(code), code);
  for (const name of ['verifyReceipt', 'verifyCheckpoint', 'verifyNote', 'verifyExport', 'verifyInclusion',
    'verifyConsistency', 'verifyCheckpointConsistency', 'ed25519Verify', 'parseTrustedKeys']) {
    assert.match(declarations, new RegExp(`\\*/\\nexport function ${name}\\(`), `${name} has a doc comment`);
  }
  assert.match(declarations, /\*\/\nexport class ExportVerifier \{/);
});

test('require() gives the Node build too', () => {
  const require = createRequire(import.meta.url);
  const cjs = require('veritydb-verify');
  assert.equal(typeof cjs.verifyReceipt, 'function');
  assert.equal(cjs.verifyReceipt, verifyReceipt);
});
