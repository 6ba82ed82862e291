// An auditor's check of a VerityDB export, independent of the database that wrote it: the
// verifier library (crate veritydb-verify) recomputes every hash, the Merkle tree and the
// signatures against the key the auditor pinned.
//
//     node auditor.mjs EXPORT_DIR          # checks EXPORT_DIR/clinic.vdbx with clinic.vkey
//     node auditor.mjs EXPORT.vdbx VKEY    # any export and verifier key file
//
// Exit status 0 when the export verifies (and a tampered copy is rejected), 1 otherwise.
// The same scenario as examples/python/auditor.py.

import { readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';

import { verifyExportFile } from 'veritydb/verify';

async function audit(exportPath, vkey) {
  const report = await verifyExportFile(exportPath, vkey);
  const name = path.basename(exportPath);
  if (report.ok) {
    console.log(
      `VERIFIED ${name}: entries [${report.range.from}, ${report.range.to}) of ${report.origin}, ` +
        `${report.checkpoints} checkpoints, tree size ${report.tree_size}, signed by ${report.keys.join(', ')}`,
    );
  } else {
    console.log(`REJECTED ${name}: ${report.reason} (code ${report.reason_code}) at position ${report.position}: ${report.message}`);
  }
  return report.ok;
}

async function main(args) {
  let exportPath;
  let vkey;
  if (args.length === 1) {
    exportPath = path.join(args[0], 'clinic.vdbx');
    vkey = readFileSync(path.join(args[0], 'clinic.vkey'), 'utf8').trim();
  } else if (args.length === 2) {
    exportPath = args[0];
    vkey = readFileSync(args[1], 'utf8').trim();
  } else {
    console.error('usage: node auditor.mjs EXPORT_DIR | EXPORT.vdbx VKEY_FILE');
    return 2;
  }
  const ok = await audit(exportPath, vkey);
  // A tampered copy must be rejected: flip one byte in the middle and check again.
  const data = readFileSync(exportPath);
  data[Math.floor(data.length / 2)] ^= 0x01;
  const tampered = path.join(path.dirname(exportPath), `tampered-${path.basename(exportPath)}`);
  writeFileSync(tampered, data);
  const rejected = !(await audit(tampered, vkey));
  unlinkSync(tampered);
  return ok && rejected ? 0 : 1;
}

process.exitCode = await main(process.argv.slice(2));
