// A clinic's records on VerityDB: create a table, insert and update patients' visits, look at
// the table as it was before the update, prove one record with a receipt and verify it like an
// outside auditor would, then hand the auditor an export of the whole log.
//
//     node clinic.mjs [OUTPUT_DIR]
//
// OUTPUT_DIR (default: a temporary directory) receives the database, `clinic.vdbx` (the export)
// and `clinic.vkey` (the key the auditor pins); `node auditor.mjs OUTPUT_DIR` checks them.
// The same scenario as examples/python/clinic.py.

import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { open } from 'veritydb';
import { sqlValue, verifyReceipt } from 'veritydb/verify';

async function main(out) {
  const db = await open(path.join(out, 'clinic-db'));
  try {
    await record(db, out);
  } finally {
    await db.close();
  }
}

async function record(db, out) {
  const clinic = await db.tenant('clinic');
  await clinic.execute(
    'CREATE TABLE IF NOT EXISTS visits (id INTEGER PRIMARY KEY, patient TEXT NOT NULL, reason TEXT, seen_at TIMESTAMP, fee REAL)',
  );

  // Three visits in one atomic batch.
  const inserted = await clinic.batch((tx) => {
    for (const [id, patient, reason, hour, fee] of [
      [1, 'Ann Lee', 'checkup', 9, 40.0],
      [2, 'Bo Chen', 'flu shot', 10, 25.0],
      [3, 'Cy Diaz', 'sprained ankle', 11, 90.0],
    ]) {
      const seen = new Date(Date.UTC(2026, 0, 5, hour));
      tx.execute('INSERT INTO visits VALUES (?, ?, ?, ?, ?)', [id, patient, reason, seen, fee]);
    }
  });
  const beforeUpdate = inserted.position;
  console.log(`inserted ${inserted.rowsAffected} visits at log position ${beforeUpdate}`);

  // A correction: the update is a new entry; the old value stays provable.
  const update = await clinic.execute('UPDATE visits SET reason = ? WHERE id = ?', ['annual checkup', 1]);
  const get = await clinic.prepare('SELECT patient, reason FROM visits WHERE id = ?');
  const [now] = (await get.query([1], { rowMode: 'array' })).rows;
  const [then] = (await get.queryAt([1], { position: beforeUpdate }, { rowMode: 'array' })).rows;
  console.log(`now:  ${JSON.stringify(now)}`);
  console.log(`then: ${JSON.stringify(then)}  (as of position ${beforeUpdate})`);
  assert.ok(now[1] === 'annual checkup' && then[1] === 'checkup');

  // A receipt for the corrected record, disclosing the patient and reason only.
  const receipt = await clinic.receipt(update.position, { disclose: ['table', 'op', 'c.patient', 'c.reason'] });
  const vkey = await clinic.verifierKey();
  const report = verifyReceipt(receipt.text, [vkey]);
  console.log(`receipt for position ${receipt.position}: ${report.reason} (${report.message})`);
  assert.ok(report.ok && report.receipt !== null);
  for (const field of report.receipt.disclosed) {
    const raw = Buffer.from(field.value_base64, 'base64');
    const value = field.name.startsWith('c.') ? sqlValue(raw) : raw.toString();
    console.log(`  disclosed ${field.name} = ${JSON.stringify(value)}`);
  }
  const withheld = report.receipt.field_count - report.receipt.disclosed.length;
  console.log(`  ${withheld} fields withheld (their values stay secret, their commitments are proven)`);

  // The whole log for the auditor, and the key to pin.
  const exportPath = path.join(out, 'clinic.vdbx');
  const summary = await clinic.export(exportPath);
  writeFileSync(path.join(out, 'clinic.vkey'), `${vkey}\n`);
  console.log(`exported ${summary.entries} entries (${summary.bytes} bytes) to ${exportPath}`);
}

if (process.argv[2]) {
  mkdirSync(process.argv[2], { recursive: true });
  await main(process.argv[2]);
} else {
  const dir = mkdtempSync(path.join(tmpdir(), 'clinic-'));
  try {
    await main(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
