//! Verifier keys: no panic on any text, one vkey or a list.
#![no_main]

use libfuzzer_sys::fuzz_target;
use veritydb_verify::{TrustedKey, TrustedKeys};

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let _ = TrustedKey::parse(&text);
    let _ = TrustedKeys::parse_lines(&text);
    let _ = TrustedKeys::parse(text.split(','));
});
