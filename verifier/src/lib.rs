//! `veritydb-verify`: an independent implementation of `docs/spec/`. Bytes in, verdict out.
