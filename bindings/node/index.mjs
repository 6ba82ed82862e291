// The `veritydb` package as an ES module: the same exports as index.js (a test checks that
// both list the same names).
import veritydb from './index.js'

export const {
  open,
  connect,
  Database,
  Tenant,
  Statement,
  Batch,
  ExportStream,
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
  __napiBindingTarget,
} = veritydb
export default veritydb
