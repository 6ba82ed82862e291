// The event loop stays responsive: a timer firing every 5 ms is measured while a large batch, a
// large export (to a file and to a writable stream) and a large verification run. Those calls
// run off the JS thread, so the timer's lateness stays small; the same verification done
// synchronously on the JS thread shows what blocking would look like.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Writable } from 'node:stream';
import { after, before, test } from 'node:test';
import { performance } from 'node:perf_hooks';

import { open } from 'veritydb';
import { verifyExport, verifyExportFile } from 'veritydb/verify';

import { tempDir } from './support.mjs';

const TICK_MS = 5;
/** The most a timer may be late while work runs off the JS thread. */
const DRIFT_MS_MAX = 50;
const ROWS = 40_000;

let db;
let clinic;
let key;
let dir;
let cleanup;

before(async () => {
  ({ dir, cleanup } = tempDir());
  db = await open(path.join(dir, 'db'));
  clinic = await db.tenant('clinic');
  await clinic.execute('CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT NOT NULL)');
  key = await clinic.verifierKey();
});

after(async () => {
  await db?.close();
  cleanup?.();
});

/** Runs `work` while a timer ticks every TICK_MS; returns the timer's worst lateness. */
async function drift(work) {
  let last = performance.now();
  let worst = 0;
  let ticks = 0;
  const timer = setInterval(() => {
    const now = performance.now();
    worst = Math.max(worst, now - last - TICK_MS);
    last = now;
    ticks++;
  }, TICK_MS);
  const started = performance.now();
  const result = await work();
  const ended = performance.now();
  clearInterval(timer);
  // A timer that never got to fire is late by the time since its last chance.
  worst = Math.max(worst, ended - last - TICK_MS);
  const elapsed = ended - started;
  return { worst: Math.round(worst * 10) / 10, ticks, elapsed: Math.round(elapsed), result };
}

function report(t, what, measured) {
  t.diagnostic(`${what}: ${measured.elapsed} ms of work, ${measured.ticks} ticks, worst timer lateness ${measured.worst} ms`);
}

test('a large batch does not block the event loop', async (t) => {
  const insert = await clinic.prepare('INSERT INTO notes VALUES (?, ?)');
  const body = 'n'.repeat(200);
  let id = 0;
  const measured = await drift(async () => {
    for (let batch = 0; batch < ROWS / 10_000; batch++) {
      await clinic.batch((tx) => {
        for (let i = 0; i < 10_000; i++) tx.execute(insert, [++id, body]);
      });
    }
  });
  report(t, `${ROWS} inserts in batches of 10,000`, measured);
  assert.equal((await clinic.query('SELECT COUNT(*) FROM notes')).rows[0]['COUNT(*)'], BigInt(ROWS));
  // Queueing 10,000 statements is JS work; committing them is not.
  assert.ok(measured.worst < DRIFT_MS_MAX * 2, `timer late by ${measured.worst} ms`);
});

test('a large export, to a file and to a stream, does not block the event loop', async (t) => {
  const file = path.join(dir, 'clinic.vdbx');
  const toFile = await drift(() => clinic.export(file));
  report(t, `export of ${toFile.result.entries} entries (${toFile.result.bytes} bytes) to a file`, toFile);
  assert.ok(toFile.result.bytes > 10_000_000, `only ${toFile.result.bytes} bytes`);
  assert.ok(toFile.elapsed > 4 * TICK_MS, 'the export is long enough to measure');
  assert.ok(toFile.worst < DRIFT_MS_MAX, `timer late by ${toFile.worst} ms`);

  let received = 0;
  const sink = new Writable({
    write(chunk, _encoding, callback) {
      received += chunk.length;
      callback();
    },
  });
  const toStream = await drift(() => clinic.export(sink));
  report(t, 'the same export to a writable stream', toStream);
  assert.equal(received, toFile.result.bytes);
  assert.ok(toStream.worst < DRIFT_MS_MAX, `timer late by ${toStream.worst} ms`);

  const verified = await drift(() => verifyExportFile(file, [key]));
  report(t, 'verifyExportFile of it', verified);
  assert.equal(verified.result.ok, true, verified.result.message);
  assert.ok(verified.worst < DRIFT_MS_MAX, `timer late by ${verified.worst} ms`);

  // For contrast, the in-memory verifier on the JS thread: the timer waits for all of it.
  const bytes = readFileSync(file);
  const blocking = await drift(async () => verifyExport(bytes, [key]));
  report(t, 'verifyExport of the same bytes on the JS thread (blocking, for contrast)', blocking);
  assert.equal(blocking.result.ok, true);
  assert.ok(blocking.worst > verified.worst, 'blocking the JS thread delays the timer');
});
