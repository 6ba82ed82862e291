#!/usr/bin/env node
// Export verification throughput: the WASM package in Node against the native CLI, on the same
// file, in the same run.
//
//     bindings/wasm/build.sh && node bindings/wasm/bench/bench.mjs [--entries N] [--rounds R]
//
// Builds the release CLI and the `large_export` example (testdata crate), writes an export of N
// entries (default 200000, about 93 MB) to a temp dir, then times R rounds (default 5) of
//   - native: `veritydb-verify export FILE --json` (the CLI streams 1 MiB chunks), with its
//     default threads (one per CPU) and with `--threads 1` (one core, like the WASM runs);
//   - wasm stream: ExportVerifier fed 1 MiB chunks read from the file, as the CLI does;
//   - wasm whole: verifyExport on the file read into memory (reading not timed);
// and prints the best round of each (MB/s, entries/s) and the WASM/native ratios. Also writes
// them to artifacts/bench/wasm.json.

import { execFileSync, spawnSync } from 'node:child_process';
import { closeSync, mkdirSync, mkdtempSync, openSync, readFileSync, readSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { ExportVerifier, verifyExport } from 'veritydb-verify';

const repo = fileURLToPath(new URL('../../..', import.meta.url));
const CHUNK_BYTES = 1 << 20;

function option(name, fallback) {
  const index = process.argv.indexOf(name);
  return index === -1 ? fallback : Number(process.argv[index + 1]);
}

const entries = option('--entries', 200_000);
const rounds = option('--rounds', 5);

function cargoExecutable(args, target) {
  const output = execFileSync('cargo', [...args, '--quiet', '--locked', '--release', '--message-format=json'], {
    cwd: repo, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 64 << 20,
  });
  for (const line of output.split('\n')) {
    if (!line.startsWith('{')) continue;
    const message = JSON.parse(line);
    if (message.reason === 'compiler-artifact' && message.executable && message.target.name === target) return message.executable;
  }
  throw new Error(`cargo named no executable for ${target}`);
}

function best(label, run) {
  let fastest = Infinity;
  let report;
  for (let round = 0; round < rounds; round++) {
    const started = process.hrtime.bigint();
    report = run();
    fastest = Math.min(fastest, Number(process.hrtime.bigint() - started) / 1e9);
  }
  if (!report.ok) throw new Error(`${label}: ${report.reason} ${report.message}`);
  return { seconds: fastest, report };
}

const cli = cargoExecutable(['build', '-p', 'veritydb-verify', '--bin', 'veritydb-verify'], 'veritydb-verify');
const generator = cargoExecutable(['build', '-p', 'veritydb-testdata', '--example', 'large_export'], 'large_export');
const scratch = mkdtempSync(path.join(os.tmpdir(), 'veritydb-bench-'));
try {
  const file = path.join(scratch, 'bench.vdbx');
  const vkey = execFileSync(generator, [String(entries), file], { encoding: 'utf8' }).trim();
  const bytes = statSync(file).size;

  const nativeRun = (extra) => () => {
    const result = spawnSync(cli, ['export', file, '--trust-key', vkey, '--json', ...extra], { encoding: 'utf8' });
    if (result.status !== 0) throw new Error(`veritydb-verify exited ${result.status}: ${result.stderr}`);
    return JSON.parse(result.stdout);
  };
  const native = best('native', nativeRun([]));
  const threadsOption = spawnSync(cli, ['export', '--help'], { encoding: 'utf8' }).stdout.includes('--threads');
  const nativeOneThread = threadsOption ? best('native --threads 1', nativeRun(['--threads', '1'])) : native;
  const stream = best('wasm stream', () => {
    const verifier = new ExportVerifier([vkey]);
    const chunk = Buffer.allocUnsafe(CHUNK_BYTES);
    const fd = openSync(file, 'r');
    try {
      for (let read; (read = readSync(fd, chunk, 0, CHUNK_BYTES, null)) > 0 && !verifier.hasFailed(); ) {
        verifier.update(chunk.subarray(0, read));
      }
    } finally {
      closeSync(fd);
    }
    return verifier.finish();
  });
  const whole = readFileSync(file);
  const inMemory = best('wasm whole', () => verifyExport(whole, [vkey]));

  const row = ({ seconds }) => ({ seconds, mb_per_s: bytes / 1e6 / seconds, entries_per_s: entries / seconds });
  const results = {
    entries,
    bytes,
    rounds,
    node: process.version,
    native_cli: row(native),
    native_cli_one_thread: row(nativeOneThread),
    wasm_stream: row(stream),
    wasm_whole: row(inMemory),
    ratio_stream_vs_one_thread: nativeOneThread.seconds / stream.seconds,
    ratio_whole_vs_one_thread: nativeOneThread.seconds / inMemory.seconds,
    ratio_stream_vs_default_threads: native.seconds / stream.seconds,
    wasm_bytes: statSync(path.join(repo, 'bindings/wasm/pkg/node/veritydb_verify_bg.wasm')).size,
  };
  console.log(`export of ${entries} entries, ${(bytes / 1e6).toFixed(1)} MB; best of ${rounds} rounds`);
  const rows = [
    [`native CLI (${os.availableParallelism()} CPUs)`, results.native_cli],
    ['native --threads 1', results.native_cli_one_thread],
    ['WASM stream (1 MiB)', results.wasm_stream],
    ['WASM whole buffer', results.wasm_whole],
  ];
  for (const [name, value] of rows) {
    console.log(`  ${name.padEnd(22)} ${value.seconds.toFixed(3)} s  ${value.mb_per_s.toFixed(1)} MB/s  ${Math.round(value.entries_per_s)} entries/s`);
  }
  const percent = (ratio) => `${(ratio * 100).toFixed(1)}%`;
  console.log(`  WASM/native, one core each: ${percent(results.ratio_stream_vs_one_thread)} streaming, ${percent(results.ratio_whole_vs_one_thread)} whole buffer (goal >= 40%)`);
  console.log(`  WASM streaming / native on all CPUs: ${percent(results.ratio_stream_vs_default_threads)}`);
  console.log(`  .wasm after wasm-opt: ${results.wasm_bytes} bytes (${(results.wasm_bytes / 1024).toFixed(1)} KiB; goal <= 250 KB)`);
  const out = path.join(repo, 'artifacts', 'bench');
  mkdirSync(out, { recursive: true });
  writeFileSync(path.join(out, 'wasm.json'), `${JSON.stringify(results, null, 2)}\n`);
} finally {
  rmSync(scratch, { recursive: true, force: true });
}
