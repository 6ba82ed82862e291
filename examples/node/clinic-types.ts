// The clinic scenario in TypeScript, against the declarations `napi build` generates
// (bindings/node/index.d.ts): checked with `tsc --noEmit --strict` in CI. The
// `@ts-expect-error` lines are misuses the types must refuse.

import { Writable } from 'node:stream';

import {
  open,
  connect,
  type At,
  type Database,
  type ExecResult,
  type QueryResult,
  type Receipt,
  type Row,
  type StreamEvent,
  type Tenant,
  type Value,
  type VerityDbError,
} from 'veritydb';
import { verifyReceipt, verifyExportFile, sqlValue, type Report } from 'veritydb/verify';

interface Visit extends Row {
  id: bigint;
  patient: string;
  reason: string | null;
}

export async function clinicApp(path: string): Promise<Report> {
  await using db: Database = await open(path, { nodeName: 'clinic.example' });
  const clinic: Tenant = await db.tenant('clinic');
  await clinic.execute('CREATE TABLE visits (id INTEGER PRIMARY KEY, patient TEXT NOT NULL, reason TEXT, seen_at TIMESTAMP)');
  const inserted: ExecResult = await clinic.batch((tx) => {
    tx.execute('INSERT INTO visits VALUES (?, ?, ?, ?)', [1, 'Ann Lee', 'checkup', new Date()]);
    tx.execute('INSERT INTO visits VALUES (?, ?, ?, ?)', [2n, 'Bo Chen', null, null]);
  });
  const position: bigint = inserted.position;
  await clinic.execute('UPDATE visits SET reason = ? WHERE id = ?', ['annual checkup', 1]);

  const now: QueryResult<Visit> = await clinic.query<Visit>('SELECT id, patient, reason FROM visits');
  const reasons: (string | null)[] = now.rows.map((row) => row.reason);
  const at: At = { position };
  const then = await clinic.queryAt<[bigint, string]>('SELECT id, patient FROM visits', [], at, { rowMode: 'array' });
  const firstId: bigint = then.rows[0][0];
  const byTime = await clinic.queryAt('SELECT * FROM visits', null, { timestamp: new Date() });
  const cell: Value = byTime.rows[0]['seen_at'];
  const columnTypes: (string | null)[] = now.columns.map((c) => c.type);

  const get = await clinic.prepare('SELECT patient FROM visits WHERE id = ?');
  const one = await get.query([firstId]);
  const paramCount: number = get.paramCount;

  const eventPosition: bigint = await clinic.append('visits-log', { patient: 1, note: 'called back' });
  const events: StreamEvent[] = await clinic.read('visits-log', 0n);
  const when: Date = events[0].timestamp;

  const receipt: Receipt = await clinic.receipt(position, { disclose: ['table', 'c.patient'] });
  const report: Report = verifyReceipt(receipt.text, [await clinic.verifierKey()]);
  if (report.ok && report.receipt) {
    const patient: Value = sqlValue(report.receipt.disclosed[1].value_base64);
    console.log(patient, reasons, cell, columnTypes, one.rows, paramCount, eventPosition, when);
  }

  const chunks: Buffer[] = [];
  await clinic.export(new Writable({ write: (chunk: Buffer, _e, done) => (chunks.push(chunk), done()) }), { start: 0, end: position + 1n });
  const summary = await clinic.export(`${path}.vdbx`, { withhold: ['c.patient'] });
  const bytes: number = summary.bytes;
  console.log(bytes, chunks.length);

  try {
    await clinic.execute('INSERT INTO visits (id, patient) VALUES (1, ?)', ['dup']);
  } catch (error) {
    const code = (error as VerityDbError).code;
    if (code === 'VERITYDB_CONSTRAINT') console.log('duplicate visit refused');
  }

  // @ts-expect-error: SQL text must be a string
  await clinic.query(42);
  // @ts-expect-error: a Symbol is not a SQL parameter
  await clinic.execute('SELECT 1', [Symbol('x')]);
  // @ts-expect-error: time travel needs { position } or { timestamp }
  await clinic.queryAt('SELECT 1', [], { when: 1 });
  // @ts-expect-error: positions are bigints, not strings
  const wrong: string = inserted.position;
  void wrong;

  return verifyExportFile(`${path}.vdbx`, await clinic.verifierKey());
}

export async function remote(url: string, token: string, ca: Buffer): Promise<bigint> {
  const db = await connect(url, { token, tls: { ca }, connectTimeoutMs: 5_000 });
  try {
    return await (await db.tenant('clinic')).size();
  } finally {
    await db.close();
  }
}
