//! Receipts (`docs/spec/receipt.md`): a C2SP tlog-proof for one entry, with the entry's header,
//! field commitments and chosen disclosed fields in `extra`. Core checks every receipt's
//! inclusion proof against the signed root before handing it out.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;

use crate::checkpoint::Checkpoint;
use crate::db::{Tenant, corrupt_proof};
use crate::entry::{self, Disclosure, Hash};
use crate::error::{ReadError, ReceiptError};
use crate::log::StoredEntry;
use crate::merkle;

const EXTRA_MAGIC: &[u8; 4] = b"VDBR";
const EXTRA_VERSION: u8 = 1;

/// A receipt for one entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Receipt {
    /// The entry's position.
    pub position: u64,
    /// The checkpoint the proof leads to.
    pub checkpoint: Checkpoint,
    /// The receipt text (`.tlog-proof`).
    pub text: String,
}

impl Tenant {
    /// A receipt proving entry `position` under the latest checkpoint (signed now if none
    /// covers it), disclosing the named fields and withholding the others.
    pub fn receipt(&self, position: u64, disclose: &[&str]) -> Result<Receipt, ReceiptError> {
        let size = self.size();
        if position >= size {
            return Err(ReadError::OutOfRange {
                requested: position,
                size,
            }
            .into());
        }
        let entry = self.entries(position, position + 1)?.remove(0);
        let disclosures = disclosures(&entry, disclose)?;
        let checkpoint = self.covering_checkpoint(position)?;
        let proof = self.inclusion_proof(position, checkpoint.size)?;
        let leaf = entry.leaf();
        if !merkle::verify_inclusion(&leaf, position, checkpoint.size, &proof, &checkpoint.root) {
            return Err(corrupt_proof(
                self.name(),
                "stored tree nodes do not lead to the signed root",
            )
            .into());
        }
        let mut extra = Vec::new();
        extra.extend_from_slice(EXTRA_MAGIC);
        extra.push(EXTRA_VERSION);
        entry::encode_entry_record(
            &mut extra,
            &entry.header_bytes,
            &entry.field_commitments,
            &disclosures,
            &leaf,
        );
        let text = receipt_text(&extra, position, &proof, &checkpoint.note);
        Ok(Receipt {
            position,
            checkpoint,
            text,
        })
    }
}

/// The disclosed fields of `entry` named in `names`, in field order.
pub(crate) fn disclosures(
    entry: &StoredEntry,
    names: &[&str],
) -> Result<Vec<Disclosure>, ReceiptError> {
    let position = entry.header.position;
    let unknown = |field: &str| ReceiptError::UnknownField {
        position,
        field: field.to_owned(),
    };
    let Some((salt, fields)) = &entry.payload else {
        return match names.first() {
            Some(name) => Err(unknown(name)),
            None => Ok(Vec::new()),
        };
    };
    if let Some(missing) = names.iter().find(|n| !fields.iter().any(|f| f.name == **n)) {
        return Err(unknown(missing));
    }
    Ok(disclose_where(salt, fields, |name| names.contains(&name)))
}

/// Disclosures of the fields for which `keep` holds.
pub(crate) fn disclose_where(
    salt: &Hash,
    fields: &[entry::Field],
    keep: impl Fn(&str) -> bool,
) -> Vec<Disclosure> {
    fields
        .iter()
        .zip(0u16..)
        .filter(|(f, _)| keep(&f.name))
        .map(|(f, i)| Disclosure {
            index: i,
            salt: entry::field_salt(salt, u32::from(i)),
            field: f.clone(),
        })
        .collect()
}

fn receipt_text(extra: &[u8], index: u64, proof: &[Hash], note: &str) -> String {
    let mut text = format!(
        "c2sp.org/tlog-proof@v1\nextra {}\nindex {index}\n",
        BASE64.encode(extra)
    );
    for hash in proof {
        text.push_str(&BASE64.encode(hash));
        text.push('\n');
    }
    text.push('\n');
    text.push_str(note);
    text
}
