// Shared by the tests of the built package: paths, the test vectors, and the native
// `veritydb-verify` CLI whose `--json` report every WASM report must equal.

import { spawnSync, execFileSync } from 'node:child_process';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

/** The repository root. */
export const repo = fileURLToPath(new URL('../../..', import.meta.url));
/** testdata/vectors: the manifest and its files. */
export const vectors = path.join(repo, 'testdata', 'vectors');
/** The public vectors shared by every project on this machine (../shared/vectors). */
export const sharedVectors = path.join(repo, '..', 'shared', 'vectors');

/** The manifest of testdata/vectors (cases with the verdict each must get). */
export function manifest() {
  return JSON.parse(readFileSync(path.join(vectors, 'manifest.json'), 'utf8'));
}

/** Reads a vector file by its manifest path. */
export function vector(relative) {
  return readFileSync(path.join(vectors, relative));
}

/** Every `*.json` file under `dir`, sorted. */
export function jsonFiles(dir) {
  const out = [];
  for (const name of readdirSync(dir).sort()) {
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) out.push(...jsonFiles(full));
    else if (name.endsWith('.json')) out.push(full);
  }
  return out;
}

/**
 * Parses JSON whose integers may exceed 2^53 (RFC 6962 vectors hold 2^64 - 1): integers of 16
 * digits or more become decimal strings instead of losing precision.
 */
export function parseJsonExact(text) {
  return JSON.parse(text.replace(/(:\s*)(\d{16,})(\s*[,}\n])/g, '$1"$2"$3'));
}

let cliPath;

/**
 * The native CLI: $VERITYDB_VERIFY_BIN, or the binary `cargo build -p veritydb-verify` writes
 * (in whatever target directory cargo uses, CARGO_TARGET_DIR included).
 */
export function nativeCli() {
  if (cliPath) return cliPath;
  if (process.env.VERITYDB_VERIFY_BIN) return (cliPath = process.env.VERITYDB_VERIFY_BIN);
  const messages = execFileSync(
    'cargo',
    ['build', '--quiet', '--locked', '-p', 'veritydb-verify', '--bin', 'veritydb-verify', '--message-format=json'],
    { cwd: repo, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 64 << 20 },
  );
  for (const line of messages.split('\n')) {
    if (!line.startsWith('{')) continue;
    const message = JSON.parse(line);
    if (message.reason === 'compiler-artifact' && message.executable && message.target.name === 'veritydb-verify') {
      cliPath = message.executable;
    }
  }
  if (!cliPath) throw new Error('cargo build -p veritydb-verify named no executable');
  return cliPath;
}

/**
 * Runs the native CLI with `--json`. Returns `{ status, report }`: status 0 verified, 1
 * rejected, 2 could not check (then `report` is null).
 */
export function runCli(args) {
  const result = spawnSync(nativeCli(), [...args, '--json'], { encoding: 'utf8', maxBuffer: 64 << 20 });
  if (result.error) throw result.error;
  if (result.status === 2) return { status: 2, report: null, stderr: result.stderr };
  if (result.status !== 0 && result.status !== 1) {
    throw new Error(`veritydb-verify ${args.join(' ')} exited ${result.status}: ${result.stderr}`);
  }
  return { status: result.status, report: JSON.parse(result.stdout) };
}

/** `--trust-key K` for each key. */
export function trustArgs(keys) {
  return keys.flatMap((key) => ['--trust-key', key]);
}

/** The CLI's `--proof` value: comma-separated base64 hashes, '' for none. */
export function proofArg(proof) {
  return (proof ?? []).join(',');
}

/** A small seeded PRNG (mulberry32), so random chunkings are reproducible. */
export function prng(seed) {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Asserts two reports equal field by field, naming the first field that differs. */
export function assertSameReport(assert, actual, expected, what) {
  assert.deepStrictEqual(Object.keys(actual).sort(), Object.keys(expected).sort(), `${what}: report fields`);
  for (const field of Object.keys(expected)) {
    assert.deepStrictEqual(actual[field], expected[field], `${what}: field ${field}`);
  }
}
