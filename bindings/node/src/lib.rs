//! The node binding. Not built yet: see docs/status.md.
