//! The node file: the node's name and Ed25519 signing key, created once with the database.
//! Sealed with BLAKE3 (internal integrity) and replaced atomically; readable only by the
//! owner (mode 0600 on disk).

use crate::checkpoint::NodeKey;
use crate::entry::{self, Reader};
use crate::error::{Corruption, OpenError};
use crate::storage::Storage;

const MAGIC: [u8; 8] = *b"VDBNODE\x01";
const PATH: &str = "node";

/// Reads the node file, or creates it from `name` and `key` (each defaulted) if missing.
pub(crate) fn load_or_create(
    storage: &dyn Storage,
    name: Option<&str>,
    key: Option<&NodeKey>,
) -> Result<(String, NodeKey), OpenError> {
    if storage.exists(PATH)? {
        let (stored_name, stored_key) = read(storage)?;
        if let Some(requested) = name
            && requested != stored_name
        {
            return Err(OpenError::NodeMismatch {
                stored: stored_name,
                requested: requested.to_owned(),
            });
        }
        if let Some(requested) = key
            && requested.public_key() != stored_key.public_key()
        {
            return Err(OpenError::NodeMismatch {
                stored: format!("{stored_name} (its stored key)"),
                requested: "another signing key".to_owned(),
            });
        }
        return Ok((stored_name, stored_key));
    }
    let key = match key {
        Some(key) => key.clone(),
        None => NodeKey::generate().map_err(|e| OpenError::Random(e.to_string()))?,
    };
    let name = match name {
        Some(name) => name.to_owned(),
        None => default_name(&key),
    };
    entry::validate_node_name(&name)?;
    write(storage, &name, &key)?;
    Ok((name, key))
}

/// `veritydb.local/<8 hex digits of the public key's hash>`: unique per key, so two nodes
/// created with defaults never share an origin.
fn default_name(key: &NodeKey) -> String {
    let digest = blake3::hash(&key.public_key());
    let hex: String = digest.as_bytes()[..4]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    format!("veritydb.local/{hex}")
}

fn write(storage: &dyn Storage, name: &str, key: &NodeKey) -> Result<(), OpenError> {
    let mut bytes = Vec::new();
    bytes.extend_from_slice(&MAGIC);
    bytes.push(u8::try_from(name.len()).expect("node names are validated to 128 bytes"));
    bytes.extend_from_slice(name.as_bytes());
    bytes.extend_from_slice(&key.seed());
    let seal = blake3::hash(&bytes);
    bytes.extend_from_slice(seal.as_bytes());
    let tmp = storage.open("node.tmp")?;
    tmp.set_len(0)?;
    tmp.write_all_at(&bytes, 0)?;
    tmp.sync()?;
    storage.rename("node.tmp", PATH)?;
    storage.sync_dir("")?;
    bytes.fill(0);
    Ok(())
}

fn read(storage: &dyn Storage) -> Result<(String, NodeKey), OpenError> {
    let file = storage.open(PATH)?;
    let len = file.size_bytes()?;
    let corrupt = || Corruption::new(PATH, "unreadable node file (name and signing key)");
    if len > 4096 {
        return Err(corrupt().into());
    }
    let mut bytes = vec![0u8; len as usize];
    file.read_exact_at(&mut bytes, 0)?;
    let (body, seal) = bytes
        .split_at_checked(bytes.len().saturating_sub(32))
        .ok_or_else(corrupt)?;
    if blake3::hash(body).as_bytes() != seal {
        return Err(corrupt().into());
    }
    let mut r = Reader::new(body);
    if r.array::<8>() != Some(MAGIC) {
        return Err(corrupt().into());
    }
    let name_len = usize::from(r.u8().ok_or_else(corrupt)?);
    let name = r
        .take(name_len)
        .and_then(|n| std::str::from_utf8(n).ok())
        .ok_or_else(corrupt)?
        .to_owned();
    let seed: [u8; 32] = r.array().ok_or_else(corrupt)?;
    if !r.is_empty() {
        return Err(corrupt().into());
    }
    entry::validate_node_name(&name).map_err(|_| corrupt())?;
    let key = NodeKey::from_seed(&seed);
    bytes.fill(0);
    Ok((name, key))
}
