//! Signed checkpoints (`docs/spec/checkpoint.md`): C2SP tlog-checkpoint text in a C2SP signed
//! note, Ed25519 keys, key ids and verifier-key strings.
//!
//! Invariant: a `Checkpoint` always carries a note whose text is exactly
//! `checkpoint_text(origin, size, root)` followed by at least one signature line.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use ed25519_dalek::Signer as _;
use sha2::{Digest, Sha256};

use crate::entry::Hash;

/// The C2SP signature type byte of Ed25519.
const SIGNATURE_TYPE_ED25519: u8 = 0x01;

/// The node's Ed25519 signing key. Its secret is zeroized when dropped.
#[derive(Clone)]
pub struct NodeKey {
    key: ed25519_dalek::SigningKey,
}

impl std::fmt::Debug for NodeKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NodeKey")
            .field("public_key", &hex(&self.public_key()))
            .finish()
    }
}

impl NodeKey {
    /// A key from a 32-byte secret seed (RFC 8032).
    pub fn from_seed(seed: &[u8; 32]) -> NodeKey {
        NodeKey {
            key: ed25519_dalek::SigningKey::from_bytes(seed),
        }
    }

    /// A fresh key from the operating system's random source.
    pub fn generate() -> Result<NodeKey, getrandom::Error> {
        let mut seed = [0u8; 32];
        getrandom::fill(&mut seed)?;
        let key = NodeKey::from_seed(&seed);
        seed.fill(0);
        Ok(key)
    }

    /// The secret seed, for storing the key.
    pub fn seed(&self) -> [u8; 32] {
        self.key.to_bytes()
    }

    /// The 32-byte public key.
    pub fn public_key(&self) -> [u8; 32] {
        self.key.verifying_key().to_bytes()
    }

    /// The C2SP verifier key of this key under `name`.
    pub fn verifier_key(&self, name: &str) -> String {
        verifier_key(name, &self.public_key())
    }

    /// A signature line `— name base64(key id || signature)\n` over `text`.
    pub fn signature_line(&self, name: &str, text: &str) -> String {
        let signature = self.key.sign(text.as_bytes()).to_bytes();
        let mut payload = Vec::with_capacity(4 + 64);
        payload.extend_from_slice(&key_id(name, &self.public_key()).to_be_bytes());
        payload.extend_from_slice(&signature);
        format!("\u{2014} {name} {}\n", BASE64.encode(payload))
    }
}

/// `SHA-256(name || 0x0A || 0x01 || public key)[:4]` as a big-endian u32.
pub fn key_id(name: &str, public_key: &[u8; 32]) -> u32 {
    let mut h = Sha256::new();
    h.update(name.as_bytes());
    h.update([0x0A, SIGNATURE_TYPE_ED25519]);
    h.update(public_key);
    let digest = h.finalize();
    u32::from_be_bytes([digest[0], digest[1], digest[2], digest[3]])
}

/// `<name>+<hex key id>+<base64(0x01 || public key)>`.
pub fn verifier_key(name: &str, public_key: &[u8; 32]) -> String {
    let mut material = Vec::with_capacity(33);
    material.push(SIGNATURE_TYPE_ED25519);
    material.extend_from_slice(public_key);
    format!(
        "{name}+{:08x}+{}",
        key_id(name, public_key),
        BASE64.encode(material)
    )
}

/// The checkpoint note text: origin, size and base64 root, each on its own line.
pub fn checkpoint_text(origin: &str, size: u64, root: &Hash) -> String {
    format!("{origin}\n{size}\n{}\n", BASE64.encode(root))
}

/// A signed checkpoint of one tenant's log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkpoint {
    /// The log's origin, `node_name/tenant`.
    pub origin: String,
    /// The tree size.
    pub size: u64,
    /// The tree root at `size`.
    pub root: Hash,
    /// The whole signed note, as handed to verifiers.
    pub note: String,
}

impl Checkpoint {
    /// Signs a checkpoint with each key, each under the key name `origin`.
    pub fn sign(origin: &str, size: u64, root: Hash, keys: &[&NodeKey]) -> Checkpoint {
        assert!(
            !keys.is_empty(),
            "a checkpoint needs at least one signature"
        );
        let text = checkpoint_text(origin, size, &root);
        let mut note = text.clone();
        note.push('\n');
        for key in keys {
            note.push_str(&key.signature_line(origin, &text));
        }
        Checkpoint {
            origin: origin.to_owned(),
            size,
            root,
            note,
        }
    }

    /// Reads back a note this node signed and stored (`None` if it is not one).
    pub fn from_note(note: &str) -> Option<Checkpoint> {
        let (text, _signatures) = note.rsplit_once("\n\n")?;
        let mut lines = text.split('\n');
        let origin = lines.next()?.to_owned();
        let size = lines.next()?.parse().ok()?;
        let root = BASE64.decode(lines.next()?).ok()?.try_into().ok()?;
        Some(Checkpoint {
            origin,
            size,
            root,
            note: note.to_owned(),
        })
    }

    /// The note text that the signatures cover.
    pub fn text(&self) -> String {
        checkpoint_text(&self.origin, self.size, &self.root)
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use ed25519_dalek::Verifier as _;

    #[test]
    fn the_c2sp_example_key_id_is_reproduced() {
        // From c2sp.org/signed-note: example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k
        let material = BASE64
            .decode("AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k")
            .unwrap();
        let public_key: [u8; 32] = material[1..].try_into().unwrap();
        assert_eq!(key_id("example.com/foo", &public_key), 0x530d903a);
        assert_eq!(
            verifier_key("example.com/foo", &public_key),
            "example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k"
        );
    }

    #[test]
    fn checkpoints_are_signed_notes_that_verify() {
        let key = NodeKey::from_seed(&[9; 32]);
        let cp = Checkpoint::sign("node.example/acme", 5, [3; 32], &[&key]);
        let (text, signatures) = cp.note.rsplit_once("\n\n").unwrap();
        let text = format!("{text}\n");
        assert_eq!(text, cp.text());
        let line = signatures.strip_suffix('\n').unwrap();
        let (name, payload) = line
            .strip_prefix("\u{2014} ")
            .unwrap()
            .split_once(' ')
            .unwrap();
        assert_eq!(name, "node.example/acme");
        let payload = BASE64.decode(payload).unwrap();
        assert_eq!(
            u32::from_be_bytes(payload[..4].try_into().unwrap()),
            key_id(name, &key.public_key())
        );
        let signature = ed25519_dalek::Signature::from_slice(&payload[4..]).unwrap();
        let verifying = ed25519_dalek::VerifyingKey::from_bytes(&key.public_key()).unwrap();
        assert!(verifying.verify(text.as_bytes(), &signature).is_ok());
        assert_eq!(Checkpoint::from_note(&cp.note), Some(cp));
    }
}
