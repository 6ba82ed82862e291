//! Small parsers for the text formats (notes, checkpoints, receipts): decimal numbers without
//! leading zeros and strict base64 (standard alphabet, canonical padding, RFC 4648 §4).

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;

use crate::hash::Hash;

/// An ASCII decimal with no leading zeros (`0` itself is allowed) of at most `digits_max`
/// digits that fits a u64.
pub(crate) fn parse_decimal(text: &str, digits_max: usize) -> Option<u64> {
    let bytes = text.as_bytes();
    if bytes.is_empty() || bytes.len() > digits_max || !bytes.iter().all(u8::is_ascii_digit) {
        return None;
    }
    if bytes.len() > 1 && bytes[0] == b'0' {
        return None;
    }
    text.parse().ok()
}

/// Strict base64 of any length.
pub(crate) fn decode_base64(text: &str) -> Option<Vec<u8>> {
    BASE64.decode(text).ok()
}

/// Strict base64 of exactly 32 bytes.
pub(crate) fn decode_hash(text: &str) -> Option<Hash> {
    // 32 bytes are 44 base64 characters; refuse anything else before decoding.
    if text.len() != 44 {
        return None;
    }
    let mut hash = [0u8; 32];
    match BASE64.decode_slice(text, &mut hash) {
        Ok(32) => Some(hash),
        _ => None,
    }
}

/// Standard base64 with padding.
pub(crate) fn encode_base64(bytes: &[u8]) -> String {
    BASE64.encode(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimals() {
        assert_eq!(parse_decimal("0", 15), Some(0));
        assert_eq!(parse_decimal("10", 15), Some(10));
        assert_eq!(parse_decimal("010", 15), None);
        assert_eq!(parse_decimal("", 15), None);
        assert_eq!(parse_decimal("+1", 15), None);
        assert_eq!(parse_decimal("1 ", 15), None);
        assert_eq!(parse_decimal("1234567890123456", 15), None);
        assert_eq!(parse_decimal("18446744073709551615", 20), Some(u64::MAX));
        assert_eq!(parse_decimal("18446744073709551616", 20), None);
    }

    #[test]
    fn hashes() {
        let text = encode_base64(&[7u8; 32]);
        assert_eq!(decode_hash(&text), Some([7u8; 32]));
        assert_eq!(decode_hash(&text[..43]), None);
        assert_eq!(decode_hash(&encode_base64(&[7u8; 31])), None);
        // Non-zero trailing bits are not canonical.
        let mut bytes = text.into_bytes();
        bytes[42] = b'B';
        assert_eq!(decode_hash(core::str::from_utf8(&bytes).unwrap()), None);
    }
}
