// VerityDB's Node API against SQLite on the same rows in the same run.
//
//     node bench/bench.mjs [--rows N] [--batch B] [--queries Q] [--baseline python]
//
// Measures, for a file-backed database and for an in-memory one:
// - inserts in batches: N rows of (id, name, amount) in atomic batches of B rows through a
//   prepared statement (VerityDB: `tenant.batch(tx => tx.execute(statement, row) ...)`, one
//   durable log append per batch; SQLite: a transaction of `statement.run(row)` per batch,
//   journal_mode=WAL, synchronous=FULL for the file);
// - point queries through a prepared statement: Q primary-key lookups of random ids, awaited
//   one at a time (VerityDB: `statement.query([id])`, each a Promise resolved off the JS
//   thread; SQLite: `statement.get(id)`, synchronous), and for VerityDB also 32 in flight.
//
// The baseline is better-sqlite3 when it is installed (`cd bench && npm install`: node-gyp
// builds it from source here, as no prebuilt binary can be downloaded). Without it, the
// baseline is Python's built-in sqlite3 on the same rows (run as a child process), and the
// output says so. Prints rows/s and the ratio VerityDB / SQLite. Build the addon with
// `--release` first: a debug build measures the Rust debug build.

import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { availableParallelism, tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';

// The built package in the directory above (bench/ is a package of its own, for its baseline).
import veritydb from '../index.js';

const { open } = veritydb;

const { values: args } = parseArgs({
  options: {
    rows: { type: 'string', default: '100000' },
    batch: { type: 'string', default: '1000' },
    queries: { type: 'string', default: '50000' },
    baseline: { type: 'string', default: 'auto' },
  },
});
const ROWS = Number(args.rows);
const BATCH = Number(args.batch);
const QUERIES = Number(args.queries);
const IN_FLIGHT = 32;

/** A small seeded PRNG (mulberry32), so every engine gets the same rows and ids. */
function prng(seed) {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const rowRandom = prng(7);
const data = Array.from({ length: ROWS }, (_, i) => [i, `patient-${String(i).padStart(8, '0')}`, Math.round((10 + rowRandom() * 490) * 100) / 100]);
const idRandom = prng(11);
const ids = Array.from({ length: QUERIES }, () => Math.floor(idRandom() * ROWS));

async function timed(work) {
  const started = performance.now();
  await work();
  return (performance.now() - started) / 1000;
}

async function veritydbRun(location) {
  const db = await open(location);
  try {
    const t = await db.tenant('bench');
    await t.execute('CREATE TABLE visits (id INTEGER PRIMARY KEY, name TEXT NOT NULL, amount REAL)');
    const insert = await t.prepare('INSERT INTO visits VALUES (?, ?, ?)');
    const insertS = await timed(async () => {
      for (let start = 0; start < data.length; start += BATCH) {
        await t.batch((tx) => {
          for (const row of data.slice(start, start + BATCH)) tx.execute(insert, row);
        });
      }
    });
    const get = await t.prepare('SELECT name, amount FROM visits WHERE id = ?');
    const queryS = await timed(async () => {
      for (const id of ids) {
        const found = await get.query([id]);
        if (found.rows.length !== 1) throw new Error(`id ${id} not found`);
      }
    });
    const concurrentS = await timed(async () => {
      let next = 0;
      const worker = async () => {
        while (next < ids.length) {
          const found = await get.query([ids[next++]]);
          if (found.rows.length !== 1) throw new Error('not found');
        }
      };
      await Promise.all(Array.from({ length: IN_FLIGHT }, worker));
    });
    const count = (await t.query('SELECT COUNT(*) FROM visits')).rows[0]['COUNT(*)'];
    if (count !== BigInt(ROWS)) throw new Error(`${count} rows`);
    return { insertS, queryS, concurrentS };
  } finally {
    await db.close();
  }
}

function betterSqlite3() {
  try {
    return createRequire(new URL('./package.json', import.meta.url))('better-sqlite3');
  } catch {
    return null;
  }
}

async function betterSqliteRun(Database, location) {
  const db = new Database(location);
  if (location !== ':memory:') {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
  }
  db.exec('CREATE TABLE visits (id INTEGER PRIMARY KEY, name TEXT NOT NULL, amount REAL)');
  const insert = db.prepare('INSERT INTO visits VALUES (?, ?, ?)');
  const insertBatch = db.transaction((rows) => {
    for (const row of rows) insert.run(row);
  });
  const insertS = await timed(async () => {
    for (let start = 0; start < data.length; start += BATCH) insertBatch(data.slice(start, start + BATCH));
  });
  const get = db.prepare('SELECT name, amount FROM visits WHERE id = ?');
  const queryS = await timed(async () => {
    for (const id of ids) if (get.get(id) === undefined) throw new Error(`id ${id} not found`);
  });
  db.close();
  return { insertS, queryS };
}

/** Python's sqlite3 on the same rows and ids (passed as JSON on standard input). */
function pythonSqliteRun(location) {
  const script = `
import json, sqlite3, sys, time
args = json.load(sys.stdin)
location, rows, ids, batch = args["location"], args["rows"], args["ids"], args["batch"]
con = sqlite3.connect(location)
if location != ":memory:":
    con.execute("PRAGMA journal_mode=WAL"); con.execute("PRAGMA synchronous=FULL")
con.execute("CREATE TABLE visits (id INTEGER PRIMARY KEY, name TEXT NOT NULL, amount REAL)"); con.commit()
start = time.perf_counter()
for i in range(0, len(rows), batch):
    con.executemany("INSERT INTO visits VALUES (?, ?, ?)", rows[i:i + batch]); con.commit()
insert_s = time.perf_counter() - start
cur = con.cursor()
start = time.perf_counter()
for i in ids:
    assert cur.execute("SELECT name, amount FROM visits WHERE id = ?", (i,)).fetchone() is not None
query_s = time.perf_counter() - start
print(json.dumps({"insertS": insert_s, "queryS": query_s}))
`;
  const input = JSON.stringify({ location, rows: data, ids, batch: BATCH });
  return JSON.parse(execFileSync('python3', ['-c', script], { input, encoding: 'utf8', maxBuffer: 1 << 26 }));
}

const Database = args.baseline === 'python' ? null : betterSqlite3();
const baseline = Database ? 'better-sqlite3' : 'python sqlite3';
console.log(`${ROWS} rows in batches of ${BATCH}, ${QUERIES} point queries; node ${process.version}; CPUs: ${availableParallelism()}`);
console.log(
  Database
    ? `baseline: better-sqlite3 ${createRequire(new URL('./package.json', import.meta.url))('better-sqlite3/package.json').version} (SQLite in this Node process)`
    : `baseline: Python sqlite3 on the same rows (${args.baseline === 'python' ? 'asked for' : 'better-sqlite3 is not installed: run \`npm install\` in bench/'})`,
);
const rate = (n, s) => Math.round(n / s).toLocaleString('en-US');
console.log(`${'storage'.padEnd(8)} ${'engine'.padEnd(15)} ${'insert rows/s'.padStart(14)} ${'point queries/s'.padStart(16)} ${`${IN_FLIGHT} in flight/s`.padStart(16)}`);
for (const storage of ['file', 'memory']) {
  const results = {};
  for (const engine of [baseline, 'veritydb']) {
    const dir = mkdtempSync(path.join(tmpdir(), 'veritydb-bench-'));
    try {
      const location = storage === 'memory' ? ':memory:' : path.join(dir, engine.replace(/\W/g, '-'));
      results[engine] =
        engine === 'veritydb'
          ? await veritydbRun(location)
          : Database
            ? await betterSqliteRun(Database, location)
            : pythonSqliteRun(location);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    const r = results[engine];
    const concurrent = r.concurrentS ? rate(QUERIES, r.concurrentS) : '-';
    console.log(`${storage.padEnd(8)} ${engine.padEnd(15)} ${rate(ROWS, r.insertS).padStart(14)} ${rate(QUERIES, r.queryS).padStart(16)} ${concurrent.padStart(16)}`);
  }
  const insertRatio = results[baseline].insertS / results.veritydb.insertS;
  const queryRatio = results[baseline].queryS / results.veritydb.queryS;
  console.log(`${storage.padEnd(8)} ${'ratio'.padEnd(15)} ${`${insertRatio.toFixed(2)}x`.padStart(14)} ${`${queryRatio.toFixed(2)}x`.padStart(16)}  (veritydb / ${baseline})`);
}
