//! Bearer tokens as text: `vdb_` then base64url (no padding) of an 8-byte id and a 32-byte
//! secret from the operating system. The id is public (logs, listings, actors); only
//! SHA-256(secret) is stored, and it is compared in constant time.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// The prefix of every token.
pub(crate) const TOKEN_PREFIX: &str = "vdb_";
/// Bytes of a token's public id.
pub(crate) const TOKEN_ID_BYTES: usize = 8;
/// Bytes of a token's secret: 256 bits, so a plain SHA-256 is a sufficient stored hash.
pub(crate) const TOKEN_SECRET_BYTES: usize = 32;

/// A token's public id.
pub(crate) type TokenId = [u8; TOKEN_ID_BYTES];

/// A freshly made token: its id, the text shown once, and the hash that is stored.
pub(crate) struct NewToken {
    pub(crate) id: TokenId,
    pub(crate) text: String,
    pub(crate) secret_sha256: [u8; 32],
}

/// Makes a token from the operating system's random source.
pub(crate) fn generate() -> Result<NewToken, String> {
    let mut raw = [0u8; TOKEN_ID_BYTES + TOKEN_SECRET_BYTES];
    getrandom::fill(&mut raw).map_err(|e| format!("no randomness available: {e}"))?;
    let id: TokenId = raw[..TOKEN_ID_BYTES]
        .try_into()
        .expect("the slice is TOKEN_ID_BYTES long");
    Ok(NewToken {
        id,
        text: format!("{TOKEN_PREFIX}{}", URL_SAFE_NO_PAD.encode(raw)),
        secret_sha256: Sha256::digest(&raw[TOKEN_ID_BYTES..]).into(),
    })
}

/// Splits a token's text into its id and the SHA-256 of its secret; `None` if it is not in
/// the token format.
pub(crate) fn parse(text: &str) -> Option<(TokenId, [u8; 32])> {
    let encoded = text.strip_prefix(TOKEN_PREFIX)?;
    if encoded.len() != 54 {
        return None;
    }
    let raw = URL_SAFE_NO_PAD.decode(encoded).ok()?;
    let raw: [u8; TOKEN_ID_BYTES + TOKEN_SECRET_BYTES] = raw.try_into().ok()?;
    let id = raw[..TOKEN_ID_BYTES].try_into().ok()?;
    Some((id, Sha256::digest(&raw[TOKEN_ID_BYTES..]).into()))
}

/// Whether two secret hashes are equal, in time independent of where they differ.
pub(crate) fn hashes_equal(a: &[u8; 32], b: &[u8; 32]) -> bool {
    a.ct_eq(b).into()
}

/// A token id as 16 lower-case hex digits.
pub(crate) fn id_text(id: &TokenId) -> String {
    id.iter().map(|b| format!("{b:02x}")).collect()
}

/// Parses 16 hex digits.
pub(crate) fn parse_id(text: &str) -> Option<TokenId> {
    if text.len() != TOKEN_ID_BYTES * 2 || !text.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    let mut id = [0u8; TOKEN_ID_BYTES];
    for (i, byte) in id.iter_mut().enumerate() {
        *byte = u8::from_str_radix(&text[2 * i..2 * i + 2], 16).ok()?;
    }
    Some(id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_round_trip_and_reject_tampering() {
        let token = generate().expect("random");
        assert!(token.text.starts_with("vdb_"));
        assert_eq!(token.text.len(), 58);
        let (id, hash) = parse(&token.text).expect("valid");
        assert_eq!(id, token.id);
        assert!(hashes_equal(&hash, &token.secret_sha256));
        let mut tampered = token.text.clone().into_bytes();
        let last = tampered.len() - 2;
        tampered[last] = if tampered[last] == b'A' { b'B' } else { b'A' };
        let (_, other) = parse(std::str::from_utf8(&tampered).expect("ascii")).expect("format");
        assert!(!hashes_equal(&other, &token.secret_sha256));
        for bad in ["", "vdb_", "vdb_!!!", "xyz_AAAA", &token.text[1..]] {
            assert!(parse(bad).is_none(), "{bad}");
        }
        assert_eq!(parse_id(&id_text(&token.id)), Some(token.id));
        assert_eq!(parse_id("xyz"), None);
    }
}
