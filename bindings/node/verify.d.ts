// `veritydb/verify`: the verifier functions and their types, as declared in the generated
// index.d.ts.
export {
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
} from './index'
export type {
  Report,
  ReceiptDetails,
  DisclosedField,
  ReasonName,
  ReportKind,
  Progress,
  TrustedKeyInfo,
  TrustedKeysInput,
  BytesInput,
  TextInput,
  HashInput,
  SizeInput,
  ErrorCode,
  VerityDbError,
  Value,
} from './index'
