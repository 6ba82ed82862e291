//! Receipts: no panic on any bytes.
#![no_main]

mod common;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let report = veritydb_verify::verify_receipt(data, &common::keys());
    let _ = report.to_json();
});
