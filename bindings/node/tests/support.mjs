// Shared by the tests of the built package: paths, the test vectors, the native binaries (the
// `veritydb-verify` CLI whose `--json` reports the verifier binding must equal, and the
// `veritydb` server the remote tests start), and the two backends every API test runs on.

import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

import { connect, open } from 'veritydb';

/** The repository root. */
export const repo = fileURLToPath(new URL('../../..', import.meta.url));
/** testdata/vectors: the manifest and its files. */
export const vectors = path.join(repo, 'testdata', 'vectors');

/** The manifest of testdata/vectors (cases with the verdict each must get). */
export function manifest() {
  return JSON.parse(readFileSync(path.join(vectors, 'manifest.json'), 'utf8'));
}

/** Reads a vector file by its manifest path. */
export function vector(relative) {
  return readFileSync(path.join(vectors, relative));
}

/** A fresh temporary directory, removed by `cleanup()`. */
export function tempDir(prefix = 'veritydb-node-') {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

const built = new Map();

/**
 * A binary of the workspace: `$<env>` if set, else what `cargo build -p <pkg> --bin <bin>`
 * writes (in whatever target directory cargo uses, CARGO_TARGET_DIR included).
 */
function binary(pkg, bin, env) {
  if (process.env[env]) return process.env[env];
  if (built.has(bin)) return built.get(bin);
  const messages = execFileSync(
    'cargo',
    ['build', '--quiet', '--locked', '-p', pkg, '--bin', bin, '--message-format=json'],
    { cwd: repo, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 64 << 20 },
  );
  for (const line of messages.split('\n')) {
    if (!line.startsWith('{')) continue;
    const message = JSON.parse(line);
    if (message.reason === 'compiler-artifact' && message.executable && message.target.name === bin) {
      built.set(bin, message.executable);
    }
  }
  if (!built.has(bin)) throw new Error(`cargo build -p ${pkg} named no executable ${bin}`);
  return built.get(bin);
}

/** The native verifier CLI. */
export const nativeCli = () => binary('veritydb-verify', 'veritydb-verify', 'VERITYDB_VERIFY_BIN');
/** The server binary. */
export const serverBin = () => binary('veritydb-server', 'veritydb', 'VERITYDB_BIN');

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

/** Asserts two reports equal field by field, naming the first field that differs. */
export function assertSameReport(assert, actual, expected, what) {
  assert.deepStrictEqual(Object.keys(actual).sort(), Object.keys(expected).sort(), `${what}: report fields`);
  for (const field of Object.keys(expected)) {
    assert.deepStrictEqual(actual[field], expected[field], `${what}: field ${field}`);
  }
}

/** Runs the `veritydb` CLI; returns its standard output, throws with its error output. */
function cli(args) {
  const result = spawnSync(serverBin(), args, { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`veritydb ${args.join(' ')} failed: ${result.stderr}`);
  return result.stdout;
}

/** Makes a test CA and a certificate for `localhost` with openssl; returns the PEM paths. */
function makeCerts(dir) {
  const run = (args) => execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
  run(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '2',
    '-subj', '/CN=veritydb test CA', '-keyout', 'ca.key', '-out', 'ca.pem',
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign']);
  run(['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-subj', '/CN=localhost',
    '-keyout', 'server.key', '-out', 'server.csr']);
  writeFileSync(path.join(dir, 'ext.cnf'), 'subjectAltName=DNS:localhost\nbasicConstraints=CA:FALSE\n');
  run(['x509', '-req', '-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial',
    '-days', '2', '-extfile', 'ext.cnf', '-out', 'server.pem']);
  return { ca: path.join(dir, 'ca.pem'), cert: path.join(dir, 'server.pem'), key: path.join(dir, 'server.key') };
}

/**
 * Starts a real `veritydb serve` on 127.0.0.1 (port chosen by the OS) in a fresh data
 * directory, with an admin token from `init` and a reader token of tenant `clinic`. With
 * `tls`, it serves `vdbs://localhost:PORT` with a certificate from a test CA (`server.caPem`).
 */
export async function startServer({ tls = false } = {}) {
  const { dir, cleanup } = tempDir('veritydb-server-');
  const data = path.join(dir, 'data');
  const adminToken = cli(['init', '--data', data, '--node-name', 'node.test'])
    .split('\n')
    .map((line) => line.trim())
    .find((line) => line.startsWith('vdb_'));
  cli(['tenant', 'create', 'clinic', '--data', data]);
  const readerToken = cli(['token', 'create', '--tenant', 'clinic', '--role', 'reader', '--data', data])
    .split('\n')
    .find((line) => line.startsWith('vdb_'));
  const certs = tls ? makeCerts(dir) : null;
  const args = ['serve', '--data', data, '--listen', '127.0.0.1:0', '--log-level', 'warn'];
  if (certs) args.push('--tls-cert', certs.cert, '--tls-key', certs.key);
  const child = spawn(serverBin(), args, { stdio: ['ignore', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout });
  const first = await new Promise((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`veritydb serve exited ${code}`)));
    lines.once('line', resolve);
  });
  const url = first.trim().replace(/^listening on /, '');
  const port = url.split(':').pop();
  return {
    url: certs ? `vdbs://localhost:${port}` : url,
    adminToken,
    readerToken,
    caPem: certs ? readFileSync(certs.ca) : null,
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGTERM');
        await exited;
      }
      cleanup();
    },
  };
}

let unique = 0;
/** A tenant name no other test uses. */
export const tenantName = (prefix = 't') => `${prefix}-${process.pid}-${++unique}`;

/**
 * The two ways to reach a database, for tests that run on both: `setup()` resolves to
 * `{ db, tenant(name), teardown() }`, where `tenant(name)` creates a fresh tenant.
 */
export const backends = [
  {
    name: 'embedded',
    async setup() {
      const { dir, cleanup } = tempDir();
      const db = await open(path.join(dir, 'db'));
      return {
        db,
        dir,
        tenant: (name = tenantName()) => db.createTenant(name),
        async teardown() {
          await db.close();
          cleanup();
        },
      };
    },
  },
  {
    name: 'remote',
    async setup() {
      const server = await startServer();
      const db = await connect(server.url, { token: server.adminToken });
      const { dir, cleanup } = tempDir();
      return {
        db,
        dir,
        server,
        tenant: (name = tenantName()) => db.createTenant(name),
        async teardown() {
          await db.close();
          await server.stop();
          cleanup();
        },
      };
    },
  },
];

/** Asserts that `promise` rejects with an Error whose code is `code`. */
export async function rejectsWith(assert, promise, code, what = code) {
  await assert.rejects(promise, (error) => {
    assert.ok(error instanceof Error, `${what}: an Error instance`);
    assert.equal(error.code, code, `${what}: ${error.message}`);
    assert.ok(error.message.length > 0, `${what}: a message`);
    return true;
  });
}

/** Asserts that `fn` throws an Error whose code is `code`. */
export function throwsWith(assert, fn, code, what = code) {
  assert.throws(fn, (error) => {
    assert.ok(error instanceof Error, `${what}: an Error instance`);
    assert.equal(error.code, code, `${what}: ${error.message}`);
    return true;
  });
}
