// Bad input — wrong types, closed handles, bad SQL, bad files, bad tokens — rejects with the
// documented `code` on both backends, and nothing crashes the process.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';

import { connect, open } from 'veritydb';

import { backends, rejectsWith, startServer, tempDir, tenantName, throwsWith } from './support.mjs';

const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');

/** Every code a test below expects must be documented. */
function documented(code) {
  assert.ok(readme.includes(`\`${code}\``), `${code} is not in the README`);
  return code;
}

const WRONG_VALUES = [Symbol('s'), () => 1, { an: 'object' }, [1, 2], new Float64Array(2), NaN, Infinity, 2n ** 64n];

for (const backend of backends) {
  describe(`${backend.name}: bad input rejects with its code`, () => {
    let env;
    let t;
    before(async () => {
      env = await backend.setup();
      t = await env.tenant();
      await t.execute('CREATE TABLE p (id INTEGER PRIMARY KEY, name VARCHAR(5) NOT NULL, at TIMESTAMP)');
      await t.execute("INSERT INTO p VALUES (1, 'Ada', NULL)");
    });
    after(async () => {
      await env?.teardown();
    });

    test('arguments of the wrong type reject with VERITYDB_INVALID_ARGUMENT', async () => {
      const code = documented('VERITYDB_INVALID_ARGUMENT');
      for (const [what, call] of [
        ['tenant(42)', () => env.db.tenant(42)],
        ['createTenant(null)', () => env.db.createTenant(null)],
        ['execute(undefined)', () => t.execute()],
        ['execute(sql, "params")', () => t.execute('SELECT 1', 'params')],
        ['query(sql, [], 5)', () => t.query('SELECT id FROM p', [], 5)],
        ['rowMode', () => t.query('SELECT id FROM p', [], { rowMode: 'columns' })],
        ['queryAt without at', () => t.queryAt('SELECT id FROM p', [])],
        ['queryAt both', () => t.queryAt('SELECT id FROM p', [], { position: 0, timestamp: new Date() })],
        ['queryAt negative', () => t.queryAt('SELECT id FROM p', [], { position: -1 })],
        ['queryAt fraction', () => t.queryAt('SELECT id FROM p', [], { position: 1.5 })],
        ['queryAt string', () => t.queryAt('SELECT id FROM p', [], { position: '1' })],
        ['queryAt bad date', () => t.queryAt('SELECT id FROM p', [], { timestamp: new Date('nope') })],
        ['prepare({})', () => t.prepare({})],
        ['append(1, {})', () => t.append(1, {})],
        ['append bigint event', () => t.append('s', { n: 1n })],
        ['append undefined event', () => t.append('s', undefined)],
        ['append function event', () => t.append('s', () => 1)],
        ['read(stream, "0")', () => t.read('s', '0')],
        ['receipt("0")', () => t.receipt('0')],
        ['receipt(0, { disclose: "x" })', () => t.receipt(0, { disclose: 'x' })],
        ['receipt(0, { disclose: [1] })', () => t.receipt(0, { disclose: [1] })],
        ['export(42)', () => t.export(42)],
        ['export(path, { start: -1 })', () => t.export(path.join(env.dir, 'x'), { start: -1 })],
        ['export(path, "options")', () => t.export(path.join(env.dir, 'x'), 'options')],
      ]) {
        await rejectsWith(assert, call(), code, what);
      }
      for (const value of WRONG_VALUES) {
        await rejectsWith(assert, t.execute('INSERT INTO p (id, name) VALUES (?, ?)', [7, value]), code, String(typeof value));
        await rejectsWith(assert, t.query('SELECT id FROM p WHERE id = ?', [value]), code, String(typeof value));
      }
      const statement = await t.prepare('SELECT id FROM p WHERE id = ?');
      await rejectsWith(assert, statement.query([Symbol('x')]), code, 'statement.query');
      await rejectsWith(assert, statement.execute('x'), code, 'statement.execute');
      const tx = t.newBatch();
      throwsWith(assert, () => tx.execute(42), code, 'tx.execute(42)');
      throwsWith(assert, () => tx.execute({}), code, 'tx.execute({})');
      throwsWith(assert, () => tx.execute('INSERT INTO p VALUES (?)', [Symbol('x')]), code, 'tx param');
      throwsWith(assert, () => tx.expectVersion('p', [1], 'v1'), code, 'expectVersion');
      throwsWith(assert, () => t.exportStream(7), code, 'exportStream(7)');
      await rejectsWith(assert, t.batch('not a function'), code, 'batch("...")');
      const thrown = await t.batch(() => t.newBatch().execute(1)).catch((e) => e);
      assert.equal(thrown.code, code);
    });

    test('bad SQL rejects with its class', async () => {
      for (const [sql, params, code] of [
        ['SELEC 1', [], 'VERITYDB_SYNTAX'],
        ["INSERT INTO p VALUES (1, 'x'", [], 'VERITYDB_SYNTAX'],
        ['SELECT id FROM p JOIN p AS q ON p.id = q.id', [], 'VERITYDB_UNSUPPORTED_SQL'],
        ['SELECT nope FROM p', [], 'VERITYDB_INVALID'],
        ['SELECT id FROM nowhere', [], 'VERITYDB_INVALID'],
        ['SELECT id FROM p WHERE id = ?', [], 'VERITYDB_INVALID'],
        ["INSERT INTO p VALUES (1, 'dup', NULL)", [], 'VERITYDB_CONSTRAINT'],
        ['INSERT INTO p (id, name) VALUES (?, ?)', [2, 'toolong'], 'VERITYDB_CONSTRAINT'],
        ['INSERT INTO p (id) VALUES (?)', [3], 'VERITYDB_CONSTRAINT'],
        ["INSERT INTO p (id, name) VALUES ('two', 'x')", [], 'VERITYDB_INVALID'],
      ]) {
        const call = sql.startsWith('SELECT') ? t.query(sql, params) : t.execute(sql, params);
        await rejectsWith(assert, call, documented(code), sql);
      }
      await rejectsWith(assert, t.prepare('DROP EVERYTHING'), 'VERITYDB_SYNTAX');
      await rejectsWith(assert, t.query('INSERT INTO p VALUES (9, ?, NULL)', ['x']), 'VERITYDB_INVALID');
      await rejectsWith(assert, t.execute('SELECT id FROM p'), 'VERITYDB_INVALID');
      await rejectsWith(assert, t.query(`SELECT id FROM p WHERE id IN (${'1,'.repeat(20000)}1)`), documented('VERITYDB_LIMIT'));
      await rejectsWith(assert, t.query('SELECT id FROM p WHERE id = ?', new Array(5000).fill(1)), 'VERITYDB_LIMIT');
      await rejectsWith(assert, t.receipt(0, { disclose: new Array(2000).fill('x') }), 'VERITYDB_LIMIT');
      assert.deepEqual((await t.query('SELECT name FROM p')).rows, [{ name: 'Ada' }]);
    });

    test('bad names, ranges and files reject with their codes', async () => {
      await rejectsWith(assert, env.db.tenant('Not A Tenant'), documented('VERITYDB_INVALID'));
      await rejectsWith(assert, t.append('', {}), 'VERITYDB_INVALID');
      await rejectsWith(assert, t.read(''), 'VERITYDB_INVALID');
      await rejectsWith(assert, t.receipt(10_000), documented('VERITYDB_OUT_OF_RANGE'));
      await rejectsWith(assert, t.receipt(0, { disclose: ['no such field'] }), 'VERITYDB_INVALID');
      await rejectsWith(assert, t.export(path.join(env.dir, 'x'), { end: 10_000 }), 'VERITYDB_OUT_OF_RANGE');
      await rejectsWith(assert, t.export(path.join(env.dir, 'missing', 'x.vdbx')), documented('VERITYDB_IO'));
      await rejectsWith(assert, t.export(env.dir), 'VERITYDB_IO');
    });
  });
}

describe('embedded only', () => {
  test('bad directories and options', async () => {
    const { dir, cleanup } = tempDir();
    try {
      const file = path.join(dir, 'a-file');
      writeFileSync(file, 'not a database');
      await rejectsWith(assert, open(file), 'VERITYDB_IO');
      await rejectsWith(assert, open(dir, { nodeName: '/bad/' }), 'VERITYDB_INVALID');
      await rejectsWith(assert, open(dir, { nodeName: 7 }), 'VERITYDB_INVALID_ARGUMENT');
      await rejectsWith(assert, open(dir, 'options'), 'VERITYDB_INVALID_ARGUMENT');
      await rejectsWith(assert, open(), 'VERITYDB_INVALID_ARGUMENT');
      const db = await open(path.join(dir, 'db'));
      await rejectsWith(assert, open(path.join(dir, 'db')), documented('VERITYDB_IN_USE'));
      await db.close();
    } finally {
      cleanup();
    }
  });
});

describe('remote only', () => {
  let server;
  let tlsServer;
  before(async () => {
    server = await startServer();
    tlsServer = await startServer({ tls: true });
  });
  after(async () => {
    await server?.stop();
    await tlsServer?.stop();
  });

  test('bad tokens, URLs and servers', async () => {
    await rejectsWith(assert, connect(server.url, { token: 'vdb_nope' }), documented('VERITYDB_AUTH'));
    await rejectsWith(assert, connect(server.url, { token: `${server.adminToken.slice(0, -4)}AAAA` }), 'VERITYDB_AUTH');
    await rejectsWith(assert, connect(server.url, {}), 'VERITYDB_INVALID_ARGUMENT');
    await rejectsWith(assert, connect(server.url), 'VERITYDB_INVALID_ARGUMENT');
    await rejectsWith(assert, connect('http://127.0.0.1:1', { token: 'x' }), 'VERITYDB_INVALID');
    await rejectsWith(assert, connect('vdb://127.0.0.1:1', { token: server.adminToken, connectTimeoutMs: 2000 }), documented('VERITYDB_NETWORK'));
  });

  test('a reader may read and may not write; unknown tenants are not found', async () => {
    const admin = await connect(server.url, { token: server.adminToken });
    const clinic = await admin.tenant('clinic');
    await clinic.execute('CREATE TABLE IF NOT EXISTS r (id INTEGER PRIMARY KEY)');
    const reader = await connect(server.url, { token: server.readerToken });
    const readable = await reader.tenant('clinic');
    assert.deepEqual((await readable.query('SELECT id FROM r')).rows, []);
    await rejectsWith(assert, readable.execute('INSERT INTO r VALUES (1)'), documented('VERITYDB_FORBIDDEN'));
    await rejectsWith(assert, readable.append('s', {}), 'VERITYDB_FORBIDDEN');
    await rejectsWith(assert, reader.createTenant(tenantName()), 'VERITYDB_FORBIDDEN');
    const other = await admin.createTenant(tenantName());
    await rejectsWith(assert, (await reader.tenant(other.name)).size(), 'VERITYDB_FORBIDDEN');
    await rejectsWith(assert, (await admin.tenant('never-created')).size(), documented('VERITYDB_NOT_FOUND'));
    await rejectsWith(assert, admin.createTenant(other.name), 'VERITYDB_INVALID');
    await reader.close();
    await admin.close();
  });

  test('TLS: the test CA is trusted when given, and refused otherwise', async () => {
    const db = await connect(tlsServer.url, { token: tlsServer.adminToken, tls: { ca: tlsServer.caPem } });
    const clinic = await db.tenant('clinic');
    assert.equal(typeof (await clinic.size()), 'bigint');
    await db.close();
    const asText = await connect(tlsServer.url, { token: tlsServer.adminToken, tls: { ca: tlsServer.caPem.toString() } });
    await asText.close();
    await rejectsWith(assert, connect(tlsServer.url, { token: tlsServer.adminToken }), 'VERITYDB_NETWORK');
    await rejectsWith(assert, connect(tlsServer.url, { token: tlsServer.adminToken, tls: { ca: 'not a pem' } }), 'VERITYDB_NETWORK');
    await rejectsWith(assert, connect(tlsServer.url, { token: tlsServer.adminToken, tls: { ca: 42 } }), 'VERITYDB_INVALID_ARGUMENT');
  });
});

test('a storm of bad calls in a child process: nothing crashes it', () => {
  const script = fileURLToPath(new URL('./fixtures/storm.mjs', import.meta.url));
  const result = spawnSync(process.execPath, [script], { encoding: 'utf8', timeout: 120_000 });
  assert.equal(result.status, 0, `exit ${result.status} ${result.signal}: ${result.stderr}`);
  assert.match(result.stdout, /^survived \d+ bad calls\n$/);
});
