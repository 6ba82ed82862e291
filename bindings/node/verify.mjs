// `veritydb/verify` (ES module): the same functions as verify.js.
import verify from './verify.js'

export const {
  verifyReceipt,
  verifyExport,
  verifyExportFile,
  ExportVerifier,
  verifyCheckpoint,
  verifyNote,
  verifyCheckpointConsistency,
  verifyInclusion,
  verifyConsistency,
  ed25519Verify,
  parseTrustedKeys,
  sqlValue,
} = verify
export default verify
