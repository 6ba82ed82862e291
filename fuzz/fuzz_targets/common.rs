//! The key the fuzz seeds are signed with: the test signer `Signer::new(ORIGIN, 1)` of
//! `verifier/tests/common`, so seeded inputs reach the checks after the signature.

use veritydb_verify::TrustedKeys;

#[allow(dead_code)] // used by some targets only
pub const ORIGIN: &str = "audit.example.com/node1/acme";
pub const VKEY: &str = "audit.example.com/node1/acme+0928843e+AYqI4910CfGV/VLbLTy6XXLKZwm/HZQSG/N0iAG0D29c";

pub fn keys() -> TrustedKeys {
    TrustedKeys::parse([VKEY]).expect("the fuzz vkey is valid")
}
