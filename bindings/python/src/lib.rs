//! The python binding. Not built yet: see docs/status.md.
