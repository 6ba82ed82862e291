//! Trusted verifier keys (C2SP vkeys, `docs/spec/checkpoint.md` §4).
//!
//! Keys come only from the auditor, never from the data being verified. An unusable vkey is a
//! `KeyError` ("could not check"), not a verdict.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;

use crate::hash;
use crate::limits::TRUSTED_KEYS_MAX;

/// The signature type byte of Ed25519 in C2SP signed notes.
const ED25519_TYPE: u8 = 0x01;

/// One trusted Ed25519 key: its name, C2SP key id and public key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TrustedKey {
    name: String,
    id: u32,
    public_key: [u8; 32],
}

impl TrustedKey {
    /// Parses one vkey: `<key name>+<8 lowercase hex digits of key id>+<base64(0x01 || key)>`.
    pub fn parse(vkey: &str) -> Result<TrustedKey, KeyError> {
        let invalid = |why: &'static str| KeyError::Invalid {
            vkey: shorten(vkey),
            why,
        };
        // Key names hold no '+' and the id is hex, so the first two '+' separate the parts;
        // the standard base64 key itself may contain '+' (as Go's golang.org/x/mod/sumdb/note
        // parses it).
        let mut parts = vkey.splitn(3, '+');
        let (Some(name), Some(id_hex), Some(key_b64)) = (parts.next(), parts.next(), parts.next())
        else {
            return Err(invalid("a vkey has three parts separated by '+'"));
        };
        if !is_valid_key_name(name) {
            return Err(invalid(
                "the key name is empty or has spaces or control characters",
            ));
        }
        let id = parse_key_id(id_hex)
            .ok_or_else(|| invalid("the key id is not 8 lowercase hex digits"))?;
        let key_bytes = BASE64
            .decode(key_b64)
            .map_err(|_| invalid("the key is not valid base64"))?;
        let (&key_type, public_key) = key_bytes
            .split_first()
            .ok_or_else(|| invalid("the key is empty"))?;
        if key_type != ED25519_TYPE {
            return Err(invalid("the key type is not 0x01 (Ed25519)"));
        }
        let public_key: [u8; 32] = public_key
            .try_into()
            .map_err(|_| invalid("an Ed25519 key is 32 bytes"))?;
        if key_id(name, &public_key) != id {
            return Err(invalid("the key id does not match the key name and key"));
        }
        Ok(TrustedKey {
            name: name.to_owned(),
            id,
            public_key,
        })
    }

    /// The key name (for VerityDB checkpoint keys, the origin of the log).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The C2SP key id.
    pub fn id(&self) -> u32 {
        self.id
    }

    /// The Ed25519 public key.
    pub fn public_key(&self) -> &[u8; 32] {
        &self.public_key
    }
}

/// The set of keys an auditor trusts for one verification (at most `TRUSTED_KEYS_MAX`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TrustedKeys {
    keys: Vec<TrustedKey>,
}

impl TrustedKeys {
    /// Parses vkeys, one per item. Identical vkeys count once; two different keys with the same
    /// name and id are refused, since a signature line could not tell them apart.
    pub fn parse<I, S>(vkeys: I) -> Result<TrustedKeys, KeyError>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let mut keys: Vec<TrustedKey> = Vec::new();
        for (count, vkey) in vkeys.into_iter().enumerate() {
            if count >= TRUSTED_KEYS_MAX {
                return Err(KeyError::TooMany {
                    max: TRUSTED_KEYS_MAX,
                });
            }
            let key = TrustedKey::parse(vkey.as_ref())?;
            match keys
                .iter()
                .find(|known| known.name == key.name && known.id == key.id)
            {
                Some(known) if known.public_key == key.public_key => {}
                Some(_) => {
                    return Err(KeyError::Ambiguous {
                        name: key.name,
                        id: key.id,
                    });
                }
                None => keys.push(key),
            }
        }
        Ok(TrustedKeys { keys })
    }

    /// Parses a text with one vkey per line; blank lines and lines starting with `#` are
    /// ignored, and spaces around each line are trimmed.
    pub fn parse_lines(text: &str) -> Result<TrustedKeys, KeyError> {
        TrustedKeys::parse(
            text.lines()
                .map(str::trim)
                .filter(|line| !line.is_empty() && !line.starts_with('#')),
        )
    }

    /// The trusted keys, in the order given (duplicates removed).
    pub fn keys(&self) -> &[TrustedKey] {
        &self.keys
    }

    /// The number of trusted keys.
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// Whether no key is trusted (then nothing can verify: every note is `untrusted_key`).
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// The key with this name and id, if trusted.
    pub(crate) fn find(&self, name: &str, id: u32) -> Option<&TrustedKey> {
        self.keys
            .iter()
            .find(|key| key.id == id && key.name == name)
    }
}

/// The auditor's trusted keys cannot be used: verification could not start.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum KeyError {
    /// A vkey is not a valid Ed25519 C2SP verifier key.
    #[error("invalid trusted key {vkey:?}: {why}")]
    Invalid {
        /// The vkey as given (shortened to 100 characters).
        vkey: String,
        /// What is wrong with it.
        why: &'static str,
    },
    /// More keys than `trusted_keys_max`.
    #[error("more than {max} trusted keys")]
    TooMany {
        /// The limit `trusted_keys_max`.
        max: usize,
    },
    /// Two different keys share a key name and key id.
    #[error("two different trusted keys are named {name:?} with key id {id:08x}")]
    Ambiguous {
        /// The shared key name.
        name: String,
        /// The shared key id.
        id: u32,
    },
}

/// `H(key_name || 0x0A || 0x01 || public_key)[:4]` as a big-endian u32.
pub(crate) fn key_id(name: &str, public_key: &[u8; 32]) -> u32 {
    let mut preimage = Vec::with_capacity(name.len() + 2 + 32);
    preimage.extend_from_slice(name.as_bytes());
    preimage.extend_from_slice(&[b'\n', ED25519_TYPE]);
    preimage.extend_from_slice(public_key);
    let digest = hash::sha256(&preimage);
    u32::from_be_bytes([digest[0], digest[1], digest[2], digest[3]])
}

/// A key name is non-empty and has no Unicode spaces, no `+` and no control characters
/// (signed-note).
pub(crate) fn is_valid_key_name(name: &str) -> bool {
    !name.is_empty()
        && !name
            .chars()
            .any(|c| c == '+' || c.is_whitespace() || c.is_control())
}

fn parse_key_id(hex: &str) -> Option<u32> {
    let lowercase_hex = |b: &u8| b.is_ascii_digit() || (b'a'..=b'f').contains(b);
    if hex.len() != 8 || !hex.as_bytes().iter().all(lowercase_hex) {
        return None;
    }
    u32::from_str_radix(hex, 16).ok()
}

fn shorten(text: &str) -> String {
    text.chars().take(100).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const EXAMPLE: &str = "example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k";

    #[test]
    fn parses_the_c2sp_example() {
        let key = TrustedKey::parse(EXAMPLE).unwrap();
        assert_eq!(key.name(), "example.com/foo");
        assert_eq!(key.id(), 0x530d903a);
    }

    #[test]
    fn refuses_bad_vkeys() {
        let bad = [
            "",
            "example.com/foo",
            "example.com/foo+530d903a",
            "example.com/foo+530d903b+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k",
            "example.com/foo+530D903A+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k",
            "example.com/bar+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k",
            "example.com/foo+530d903a+AkyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k",
            "example.com/foo+530d903a+AukyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k",
            "example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k+x",
            "exa mple+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k",
            "+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k",
        ];
        for vkey in bad {
            assert!(TrustedKey::parse(vkey).is_err(), "{vkey:?} parsed");
        }
    }

    #[test]
    fn duplicates_count_once_and_the_limit_holds() {
        let keys = TrustedKeys::parse([EXAMPLE, EXAMPLE]).unwrap();
        assert_eq!(keys.len(), 1);
        let too_many = vec![EXAMPLE; TRUSTED_KEYS_MAX + 1];
        assert_eq!(
            TrustedKeys::parse(too_many),
            Err(KeyError::TooMany {
                max: TRUSTED_KEYS_MAX
            })
        );
        let lines = format!("# pinned\n\n  {EXAMPLE}  \n");
        assert_eq!(TrustedKeys::parse_lines(&lines).unwrap().len(), 1);
    }
}
