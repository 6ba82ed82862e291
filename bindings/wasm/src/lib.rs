//! The wasm binding. Not built yet: see docs/status.md.
