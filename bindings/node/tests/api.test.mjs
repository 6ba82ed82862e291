// The whole API through the built package, on an embedded database and against a real
// `veritydb serve`: the same test bodies, the same results.

import assert from 'node:assert/strict';
import { readFileSync, createWriteStream } from 'node:fs';
import path from 'node:path';
import { PassThrough, Writable } from 'node:stream';
import { after, before, describe, test } from 'node:test';

import { Batch, Database, Statement, Tenant } from 'veritydb';
import { sqlValue, verifyExport, verifyExportFile, verifyReceipt, verifyCheckpoint } from 'veritydb/verify';

import { backends, rejectsWith, throwsWith } from './support.mjs';

const PATIENTS =
  'CREATE TABLE patients (id INTEGER PRIMARY KEY, name TEXT NOT NULL, born TIMESTAMP, photo BYTES, weight REAL, active BOOLEAN, ward VARCHAR(20))';

for (const backend of backends) {
  describe(`${backend.name} database`, () => {
    let env;
    before(async () => {
      env = await backend.setup();
    });
    after(async () => {
      await env?.teardown();
    });

    test('open/connect give a Database; tenant() a Tenant', async () => {
      assert.ok(env.db instanceof Database);
      assert.equal(env.db.remote, backend.name === 'remote');
      assert.equal(env.db.closed, false);
      assert.ok(env.db.nodeName.length > 0);
      const t = await env.tenant();
      assert.ok(t instanceof Tenant);
      assert.ok((await env.db.tenants()).includes(t.name));
      assert.equal(await t.origin(), `${env.db.nodeName}/${t.name}`);
      assert.match(await t.verifierKey(), new RegExp(`^${env.db.nodeName}/${t.name}\\+[0-9a-f]{8}\\+`));
      assert.equal(await t.size(), 0n);
      const again = await env.db.tenant(t.name);
      assert.equal(again.name, t.name);
    });

    test('every SQL type goes in and comes back', async () => {
      const t = await env.tenant();
      assert.deepEqual(await t.execute(PATIENTS), { position: 0n, rowsAffected: 0 });
      const born = new Date('1990-01-02T03:04:05.678Z');
      const inserted = await t.execute('INSERT INTO patients VALUES (?, ?, ?, ?, ?, ?, ?)', [
        1, 'Ada', born, Buffer.from([0, 1, 255]), 61.5, true, 'cardiology',
      ]);
      assert.deepEqual(inserted, { position: 1n, rowsAffected: 1 });
      await t.execute('INSERT INTO patients (id, name, photo) VALUES (?, ?, ?)', [
        9007199254740993n, 'Big', new Uint8Array([7]),
      ]);
      await t.execute('INSERT INTO patients (id, name, weight, active) VALUES ($1, $2, $3, $4)', [-3, 'Neg', null, false]);
      const result = await t.query('SELECT * FROM patients ORDER BY id');
      assert.deepEqual(result.columns, [
        { name: 'id', type: 'integer' },
        { name: 'name', type: 'text' },
        { name: 'born', type: 'timestamp' },
        { name: 'photo', type: 'bytes' },
        { name: 'weight', type: 'real' },
        { name: 'active', type: 'boolean' },
        { name: 'ward', type: 'varchar(20)' },
      ]);
      assert.deepEqual(result.rows, [
        { id: -3n, name: 'Neg', born: null, photo: null, weight: null, active: false, ward: null },
        { id: 1n, name: 'Ada', born, photo: Buffer.from([0, 1, 255]), weight: 61.5, active: true, ward: 'cardiology' },
        { id: 9007199254740993n, name: 'Big', born: null, photo: Buffer.from([7]), weight: null, active: null, ward: null },
      ]);
      assert.equal(result.versions.length, 3);
      assert.ok(result.versions.every((v) => typeof v === 'bigint'));
      assert.ok(Buffer.isBuffer(result.rows[1].photo));
      const arrays = await t.query('SELECT id, name FROM patients WHERE id = ?', [1n], { rowMode: 'array' });
      assert.deepEqual(arrays.rows, [[1n, 'Ada']]);
      const count = await t.query('SELECT COUNT(*) FROM patients');
      assert.deepEqual(count.rows, [{ 'COUNT(*)': 3n }]);
      assert.deepEqual(count.columns, [{ name: 'COUNT(*)', type: 'integer' }]);
      // A number that is not whole binds as a real; a whole one as an integer.
      const heavy = await t.query('SELECT name FROM patients WHERE weight > ?', [61.25]);
      assert.deepEqual(heavy.rows, [{ name: 'Ada' }]);
    });

    test('time travel by position and by timestamp', async () => {
      const t = await env.tenant();
      await t.execute(PATIENTS);
      const { position } = await t.execute("INSERT INTO patients (id, name, ward) VALUES (1, 'Ada', 'cardiology')");
      const [marker] = await insertMarker(t);
      await sleep(3);
      const between = new Date();
      await sleep(3);
      await t.execute('UPDATE patients SET ward = ? WHERE id = ?', ['oncology', 1]);
      const sql = 'SELECT ward FROM patients WHERE id = ?';
      assert.deepEqual((await t.query(sql, [1])).rows, [{ ward: 'oncology' }]);
      assert.deepEqual((await t.queryAt(sql, [1], { position })).rows, [{ ward: 'cardiology' }]);
      assert.deepEqual((await t.queryAt(sql, [1], { position: Number(position) })).rows, [{ ward: 'cardiology' }]);
      assert.deepEqual((await t.queryAt(sql, [1], { timestamp: between })).rows, [{ ward: 'cardiology' }]);
      assert.deepEqual((await t.queryAt(sql, [1], { timestamp: marker.timestampUs })).rows, [{ ward: 'cardiology' }]);
      await sleep(3);
      assert.deepEqual((await t.queryAt(sql, [1], { timestamp: new Date() })).rows, [{ ward: 'oncology' }]);
      assert.deepEqual((await t.queryAt(sql, [1], { position: 0n })).rows, []);
      await rejectsWith(assert, t.queryAt(sql, [1], { position: 1000n }), 'VERITYDB_OUT_OF_RANGE');
      const statement = await t.prepare(sql);
      assert.deepEqual((await statement.queryAt([1], { position }, { rowMode: 'array' })).rows, [['cardiology']]);
    });

    test('prepared statements run many times', async () => {
      const t = await env.tenant();
      await t.execute(PATIENTS);
      const insert = await t.prepare('INSERT INTO patients (id, name) VALUES (?, ?)');
      assert.ok(insert instanceof Statement);
      assert.equal(insert.paramCount, 2);
      assert.equal(insert.isQuery, false);
      assert.equal(insert.sql, 'INSERT INTO patients (id, name) VALUES (?, ?)');
      for (let id = 1; id <= 20; id++) await insert.execute([id, `p${id}`]);
      const get = await t.prepare('SELECT name FROM patients WHERE id = ?');
      assert.equal(get.isQuery, true);
      for (const id of [1, 7, 20]) assert.deepEqual((await get.query([id])).rows, [{ name: `p${id}` }]);
      assert.deepEqual((await get.query([21])).rows, []);
      await rejectsWith(assert, get.query([]), 'VERITYDB_INVALID');
      await rejectsWith(assert, get.execute([1]), 'VERITYDB_INVALID');
    });

    test('a batch commits atomically, or writes nothing', async () => {
      const t = await env.tenant();
      await t.execute(PATIENTS);
      const insert = await t.prepare('INSERT INTO patients (id, name) VALUES (?, ?)');
      const result = await t.batch(async (tx) => {
        assert.ok(tx instanceof Batch);
        tx.execute('INSERT INTO patients (id, name) VALUES (?, ?)', [1, 'Ada']);
        await new Promise((resolve) => setImmediate(resolve));
        tx.execute(insert, [2, 'Bo']);
        tx.execute('UPDATE patients SET ward = ? WHERE id = ?', ['icu', 1]);
        assert.equal(tx.length, 3);
      });
      assert.equal(result.rowsAffected, 3);
      const size = await t.size();
      assert.equal(result.position, size - 1n);

      // The callback throws: nothing is written, the error is the callback's.
      await assert.rejects(
        t.batch(async (tx) => {
          tx.execute('INSERT INTO patients (id, name) VALUES (?, ?)', [3, 'Cy']);
          throw new Error('changed my mind');
        }),
        /changed my mind/,
      );
      // A statement fails at commit: nothing is written.
      await rejectsWith(
        assert,
        t.batch((tx) => {
          tx.execute('INSERT INTO patients (id, name) VALUES (?, ?)', [4, 'Di']);
          tx.execute('INSERT INTO patients (id, name) VALUES (?, ?)', [1, 'duplicate']);
        }),
        'VERITYDB_CONSTRAINT',
      );
      await rejectsWith(
        assert,
        t.batch((tx) => {
          tx.execute('INSERT INTO patients (id, name) VALUES (?, ?)', [5, 'Ed']);
          tx.execute('INSERT INTO nowhere VALUES (1)');
        }),
        'VERITYDB_INVALID',
      );
      assert.equal(await t.size(), size);
      assert.deepEqual((await t.query('SELECT id FROM patients ORDER BY id', [], { rowMode: 'array' })).rows, [[1n], [2n]]);

      // Optimistic concurrency: a version that moved on is a conflict.
      const { versions } = await t.query('SELECT id FROM patients WHERE id = 1');
      await t.batch((tx) => {
        tx.expectVersion('patients', [1], versions[0]);
        tx.expectVersion('patients', [99], null);
        tx.execute('UPDATE patients SET name = ? WHERE id = ?', ['Ada L.', 1]);
      });
      await rejectsWith(
        assert,
        t.batch((tx) => {
          tx.expectVersion('patients', [1], versions[0]);
          tx.execute('UPDATE patients SET name = ? WHERE id = ?', ['stale', 1]);
        }),
        'VERITYDB_CONFLICT',
      );
      assert.deepEqual((await t.query('SELECT name FROM patients WHERE id = 1')).rows, [{ name: 'Ada L.' }]);

      // newBatch() / commit() directly; a batch commits once.
      const tx = t.newBatch();
      tx.execute('DELETE FROM patients WHERE id = ?', [2]);
      assert.equal((await tx.commit()).rowsAffected, 1);
      throwsWith(assert, () => tx.execute('DELETE FROM patients'), 'VERITYDB_CLOSED');
      await rejectsWith(assert, tx.commit(), 'VERITYDB_CLOSED');
    });

    test('events: append, read, receipt, verify', async () => {
      const t = await env.tenant();
      const first = await t.append('visits', { patient: 17, reason: 'checkup' });
      const second = await t.append('visits', ['an', 'array', 1.5, null]);
      await t.append('other', 'a string event');
      assert.equal(typeof first, 'bigint');
      assert.equal(second, first + 1n);
      const events = await t.read('visits');
      assert.equal(events.length, 2);
      assert.deepEqual(events.map((e) => e.data), [{ patient: 17, reason: 'checkup' }, ['an', 'array', 1.5, null]]);
      assert.equal(events[0].position, first);
      assert.equal(events[0].stream, 'visits');
      assert.ok(events[0].timestamp instanceof Date);
      assert.equal(BigInt(events[0].timestamp.getTime()), events[0].timestampUs / 1000n);
      assert.deepEqual((await t.read('visits', second)).map((e) => e.position), [second]);
      assert.deepEqual((await t.read('visits', 0, second)).map((e) => e.position), [first]);
      assert.deepEqual((await t.read('other', 0n, 100n)).map((e) => e.data), ['a string event']);

      const key = await t.verifierKey();
      const receipt = await t.receipt(first, { disclose: ['stream', 'event'] });
      assert.equal(receipt.position, first);
      assert.ok(receipt.checkpoint.size > first);
      const report = verifyReceipt(receipt.text, [key]);
      assert.equal(report.ok, true, report.message);
      assert.equal(report.receipt.position, Number(first));
      assert.deepEqual(
        report.receipt.disclosed.map((f) => [f.name, f.value_text]),
        [['stream', 'visits'], ['event', '{"patient":17,"reason":"checkup"}']],
      );
      const withheld = verifyReceipt((await t.receipt(first)).text, key);
      assert.equal(withheld.ok, true);
      assert.deepEqual(withheld.receipt.disclosed, []);
      const checkpoint = await t.checkpoint();
      assert.equal(checkpoint.size, await t.size());
      assert.equal(checkpoint.origin, await t.origin());
      const verdict = verifyCheckpoint(checkpoint.note, [key], checkpoint.origin);
      assert.equal(verdict.ok, true);
      assert.equal(verdict.root, checkpoint.root);
    });

    test('a receipt of a row discloses the chosen columns', async () => {
      const t = await env.tenant();
      await t.execute(PATIENTS);
      const born = new Date('1990-01-02T03:04:05.678Z');
      const { position } = await t.execute('INSERT INTO patients (id, name, born, weight) VALUES (?, ?, ?, ?)', [
        5, 'Ada', born, 60.25,
      ]);
      const receipt = await t.receipt(position, { disclose: ['table', 'op', 'c.name', 'c.born', 'c.weight', 'c.id'] });
      const report = verifyReceipt(receipt.text, [await t.verifierKey()]);
      assert.equal(report.ok, true, report.message);
      const disclosed = Object.fromEntries(report.receipt.disclosed.map((f) => [f.name, f.value_base64]));
      assert.deepEqual(Buffer.from(disclosed.table, 'base64').toString(), 'patients');
      assert.equal(sqlValue(disclosed['c.name']), 'Ada');
      assert.deepEqual(sqlValue(disclosed['c.born']), born);
      assert.equal(sqlValue(Buffer.from(disclosed['c.weight'], 'base64')), 60.25);
      assert.equal(sqlValue(disclosed['c.id']), 5n);
      assert.equal(report.receipt.field_count - report.receipt.disclosed.length, 4); // key, c.photo, c.active, c.ward
      await rejectsWith(assert, t.receipt(position, { disclose: ['c.nope'] }), 'VERITYDB_INVALID');
    });

    test('exports to a file and to a writable stream verify', async () => {
      const t = await env.tenant();
      await t.execute(PATIENTS);
      await t.batch((tx) => {
        for (let id = 1; id <= 200; id++) tx.execute('INSERT INTO patients (id, name) VALUES (?, ?)', [id, `p${id}`]);
      });
      for (let i = 0; i < 50; i++) await t.append('visits', { i });
      const key = await t.verifierKey();
      const size = await t.size();

      const file = path.join(env.dir, `${t.name}.vdbx`);
      const summary = await t.export(file);
      assert.deepEqual([summary.start, summary.end, summary.entries], [0n, size, Number(size)]);
      const bytes = readFileSync(file);
      assert.equal(summary.bytes, bytes.length);
      const report = verifyExport(bytes, [key]);
      assert.equal(report.ok, true, report.message);
      assert.deepEqual(report.range, { from: 0, to: Number(size) });
      assert.deepEqual(await verifyExportFile(file, [key]), report);

      // A slice, into a slow writable stream: backpressure, same bytes as a file of the slice.
      const chunks = [];
      const slow = new Writable({
        highWaterMark: 1024,
        write(chunk, _encoding, callback) {
          chunks.push(chunk);
          setTimeout(callback, 1);
        },
      });
      const sliced = await t.export(slow, { start: 10, end: 150n, withhold: ['c.name'] });
      assert.deepEqual([sliced.start, sliced.end, sliced.entries], [10n, 150n, 140]);
      const streamed = Buffer.concat(chunks);
      assert.equal(streamed.length, sliced.bytes);
      const sliceReport = verifyExport(streamed, [key]);
      assert.equal(sliceReport.ok, true, sliceReport.message);
      assert.deepEqual(sliceReport.range, { from: 10, to: 150 });

      // A file stream works too (the caller ends it).
      const viaStream = path.join(env.dir, `${t.name}-stream.vdbx`);
      const out = createWriteStream(viaStream);
      await t.export(out);
      await new Promise((resolve) => out.end(resolve));
      assert.equal((await verifyExportFile(viaStream, key)).ok, true);

      // ExportStream by hand.
      const stream = t.exportStream({ end: 5 });
      assert.equal(stream.summary, null);
      let total = 0;
      for (let chunk = await stream.read(); chunk !== null; chunk = await stream.read()) total += chunk.length;
      assert.equal(stream.summary.bytes, total);
      assert.equal(await stream.read(), null);

      // A stream that fails mid-export rejects with VERITYDB_IO, and the database goes on.
      const broken = new PassThrough({ highWaterMark: 16 });
      setImmediate(() => broken.destroy(new Error('disk unplugged')));
      await rejectsWith(assert, t.export(broken), 'VERITYDB_IO');
      await rejectsWith(assert, t.export(path.join(env.dir, 'no', 'such', 'dir', 'x.vdbx')), 'VERITYDB_IO');
      await rejectsWith(assert, t.export(file, { start: 5, end: 2 }), 'VERITYDB_OUT_OF_RANGE');
      assert.equal(await t.size(), size);
    });

    test('close() releases everything; later calls reject with VERITYDB_CLOSED', async () => {
      const other = await backend.setup();
      try {
        const t = await other.tenant();
        await t.execute('CREATE TABLE x (id INTEGER PRIMARY KEY)');
        const statement = await t.prepare('SELECT id FROM x');
        const tx = t.newBatch();
        tx.execute('INSERT INTO x VALUES (1)');
        // An export stream nobody reads must not hold close() up.
        const big = await other.tenant();
        await big.execute('CREATE TABLE y (id INTEGER PRIMARY KEY, v TEXT)');
        await big.batch((b) => {
          for (let i = 0; i < 3000; i++) b.execute('INSERT INTO y VALUES (?, ?)', [i, 'v'.repeat(1000)]);
        });
        const abandoned = big.exportStream();
        assert.ok((await abandoned.read()).length > 0);
        await Promise.all([other.db.close(), other.db.close()]);
        let ended = 'complete';
        try {
          while ((await abandoned.read()) !== null);
        } catch (error) {
          ended = error.code;
        }
        assert.ok(['VERITYDB_IO', 'VERITYDB_CLOSED'].includes(ended), `the abandoned export ended: ${ended}`);
        assert.equal(other.db.closed, true);
        for (const [what, call] of [
          ['tenant', () => other.db.tenant(t.name)],
          ['tenants', () => other.db.tenants()],
          ['execute', () => t.execute('INSERT INTO x VALUES (2)')],
          ['query', () => t.query('SELECT id FROM x')],
          ['append', () => t.append('s', {})],
          ['read', () => t.read('s')],
          ['checkpoint', () => t.checkpoint()],
          ['receipt', () => t.receipt(0)],
          ['export', () => t.export(path.join(other.dir, 'closed.vdbx'))],
          ['statement', () => statement.query()],
          ['batch', () => tx.commit()],
          ['prepare', () => t.prepare('SELECT id FROM x')],
          ['size', () => t.size()],
        ]) {
          await rejectsWith(assert, call(), 'VERITYDB_CLOSED', what);
        }
        const stream = t.exportStream();
        await rejectsWith(assert, stream.read(), 'VERITYDB_CLOSED', 'exportStream');
      } finally {
        await other.teardown();
      }
    });
  });
}

test('an embedded database reopens after close(), with its data', async () => {
  const { open } = await import('veritydb');
  const { tempDir } = await import('./support.mjs');
  const { dir, cleanup } = tempDir();
  try {
    const db = await open(dir, { nodeName: 'clinic.example' });
    const t = await db.tenant('clinic');
    await t.execute('CREATE TABLE x (id INTEGER PRIMARY KEY)');
    await t.execute('INSERT INTO x VALUES (1)');
    await rejectsWith(assert, open(dir), 'VERITYDB_IN_USE');
    await db.close();
    const again = await open(dir);
    assert.equal(again.nodeName, 'clinic.example');
    const t2 = await again.tenant('clinic');
    assert.deepEqual((await t2.query('SELECT id FROM x')).rows, [{ id: 1n }]);
    assert.equal(await t2.origin(), 'clinic.example/clinic');
    await again.close();
  } finally {
    cleanup();
  }
});

test('a database nobody closed is released when it is garbage-collected', async () => {
  const { spawnSync } = await import('node:child_process');
  const { tempDir } = await import('./support.mjs');
  const { dir, cleanup } = tempDir();
  try {
    const script = new URL('./fixtures/forgotten.mjs', import.meta.url);
    const result = spawnSync(process.execPath, ['--expose-gc', script.pathname, dir], { encoding: 'utf8', timeout: 60_000 });
    assert.equal(result.status, 0, result.stdout + result.stderr);
    assert.match(result.stdout, /^reopened after \d+ collections: 42\n$/);
  } finally {
    cleanup();
  }
});

test('Symbol.asyncDispose closes the database', async () => {
  const { open } = await import('veritydb');
  const db = await open(':memory:');
  assert.equal(typeof db[Symbol.asyncDispose], 'function');
  await db[Symbol.asyncDispose]();
  assert.equal(db.closed, true);
});

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Appends an event and returns it read back (its timestamp is after the previous writes). */
async function insertMarker(t) {
  const position = await t.append('markers', { at: 'before update' });
  return t.read('markers', position, position + 1n);
}
