'use strict'
// `veritydb/verify` (CommonJS): the independent verifier (crate `veritydb-verify`, which shares
// no code with the database), with the API of the `veritydb-verify` WASM package.

const native = require('./binding.js')

module.exports = {
  verifyReceipt: native.verifyReceipt,
  verifyExport: native.verifyExport,
  verifyExportFile: native.verifyExportFile,
  ExportVerifier: native.ExportVerifier,
  verifyCheckpoint: native.verifyCheckpoint,
  verifyNote: native.verifyNote,
  verifyCheckpointConsistency: native.verifyCheckpointConsistency,
  verifyInclusion: native.verifyInclusion,
  verifyConsistency: native.verifyConsistency,
  ed25519Verify: native.ed25519Verify,
  parseTrustedKeys: native.parseTrustedKeys,
  sqlValue: native.sqlValue,
}
