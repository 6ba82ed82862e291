//! Reason codes of `docs/spec/verdicts.md` §1, with their fixed numeric values.
//!
//! The numbers are fixed forever; a new reason gets a new number. `Reason::ALL` lists them in
//! code order and a test checks that `code()` equals the index.

use core::fmt;
use core::str::FromStr;

/// Why a verification was rejected, or `Ok`. The discriminant is the stable numeric code.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u16)]
#[non_exhaustive]
pub enum Reason {
    /// Verified.
    Ok = 0,
    /// Export framing is broken: bad magic, unknown frame type, frame out of place, a frame body
    /// of the wrong length.
    MalformedFrame = 1,
    /// The input ended before it was complete (inside a frame, or before the trailer).
    Truncated = 2,
    /// A format version this verifier does not know.
    UnsupportedVersion = 3,
    /// A stated chain hash differs from the recomputed one.
    ChainBreak = 4,
    /// A stated leaf differs from the one recomputed from header and commitment.
    LeafMismatch = 5,
    /// A disclosed field does not match its field commitment.
    CommitmentMismatch = 6,
    /// A root recomputed from entries and proofs differs from the signed root.
    RootMismatch = 7,
    /// A signature by a trusted key does not verify.
    BadSignature = 8,
    /// No trusted key (with a name equal to the origin, for checkpoints) signed it.
    UntrustedKey = 9,
    /// Two signed checkpoints of one log cannot both be true.
    InconsistentCheckpoints = 10,
    /// A proof has the wrong shape for its sizes (hash count, index beyond size, sizes out of
    /// order).
    BadProof = 11,
    /// An entry is not at the next expected position.
    PositionGap = 12,
    /// An entry's timestamp is earlier than the previous entry's.
    TimestampRegression = 13,
    /// An entry's tenant differs from the log's, or the origin does not name the tenant.
    TenantMismatch = 14,
    /// A checkpoint's origin differs from the export's, or from the origin the auditor required.
    OriginMismatch = 15,
    /// A checkpoint whose size does not match where it stands in the export.
    MisplacedCheckpoint = 16,
    /// No checkpoint of size `>= to` covers the export.
    Uncovered = 17,
    /// Not a valid signed note or checkpoint.
    MalformedNote = 18,
    /// Not a valid tlog-proof receipt.
    MalformedReceipt = 19,
    /// A receipt's index differs from its entry's position, or is not below the tree size.
    IndexMismatch = 20,
    /// Bytes after the end (after the export trailer).
    TrailingData = 21,
    /// A named limit (`docs/spec/limits.md`) was exceeded.
    LimitExceeded = 22,
    /// An entry record or canonical header is invalid.
    MalformedEntry = 23,
    /// The trailer came before all entries `[from, to)` were seen.
    MissingEntries = 24,
}

impl Reason {
    /// Every reason, in code order (`Reason::ALL[i].code() == i`).
    pub const ALL: [Reason; 25] = [
        Reason::Ok,
        Reason::MalformedFrame,
        Reason::Truncated,
        Reason::UnsupportedVersion,
        Reason::ChainBreak,
        Reason::LeafMismatch,
        Reason::CommitmentMismatch,
        Reason::RootMismatch,
        Reason::BadSignature,
        Reason::UntrustedKey,
        Reason::InconsistentCheckpoints,
        Reason::BadProof,
        Reason::PositionGap,
        Reason::TimestampRegression,
        Reason::TenantMismatch,
        Reason::OriginMismatch,
        Reason::MisplacedCheckpoint,
        Reason::Uncovered,
        Reason::MalformedNote,
        Reason::MalformedReceipt,
        Reason::IndexMismatch,
        Reason::TrailingData,
        Reason::LimitExceeded,
        Reason::MalformedEntry,
        Reason::MissingEntries,
    ];

    /// The fixed numeric code of verdicts.md §1.
    pub fn code(self) -> u16 {
        self as u16
    }

    /// The stable snake_case name of verdicts.md §1.
    pub fn name(self) -> &'static str {
        match self {
            Reason::Ok => "ok",
            Reason::MalformedFrame => "malformed_frame",
            Reason::Truncated => "truncated",
            Reason::UnsupportedVersion => "unsupported_version",
            Reason::ChainBreak => "chain_break",
            Reason::LeafMismatch => "leaf_mismatch",
            Reason::CommitmentMismatch => "commitment_mismatch",
            Reason::RootMismatch => "root_mismatch",
            Reason::BadSignature => "bad_signature",
            Reason::UntrustedKey => "untrusted_key",
            Reason::InconsistentCheckpoints => "inconsistent_checkpoints",
            Reason::BadProof => "bad_proof",
            Reason::PositionGap => "position_gap",
            Reason::TimestampRegression => "timestamp_regression",
            Reason::TenantMismatch => "tenant_mismatch",
            Reason::OriginMismatch => "origin_mismatch",
            Reason::MisplacedCheckpoint => "misplaced_checkpoint",
            Reason::Uncovered => "uncovered",
            Reason::MalformedNote => "malformed_note",
            Reason::MalformedReceipt => "malformed_receipt",
            Reason::IndexMismatch => "index_mismatch",
            Reason::TrailingData => "trailing_data",
            Reason::LimitExceeded => "limit_exceeded",
            Reason::MalformedEntry => "malformed_entry",
            Reason::MissingEntries => "missing_entries",
        }
    }

    /// The reason with this numeric code, if there is one.
    pub fn from_code(code: u16) -> Option<Reason> {
        Reason::ALL.get(usize::from(code)).copied()
    }

    /// The reason with this name (as printed by `name()`), if there is one.
    pub fn from_name(name: &str) -> Option<Reason> {
        Reason::ALL.into_iter().find(|reason| reason.name() == name)
    }
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The name given to `Reason::from_str` is not a reason of verdicts.md §1.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("unknown reason name {0:?}")]
pub struct UnknownReason(pub String);

impl FromStr for Reason {
    type Err = UnknownReason;

    fn from_str(name: &str) -> Result<Self, Self::Err> {
        Reason::from_name(name).ok_or_else(|| UnknownReason(name.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_indices_and_names_round_trip() {
        for (index, reason) in Reason::ALL.into_iter().enumerate() {
            assert_eq!(usize::from(reason.code()), index);
            assert_eq!(Reason::from_name(reason.name()), Some(reason));
            assert_eq!(reason.name().parse::<Reason>(), Ok(reason));
            assert_eq!(Reason::from_code(reason.code()), Some(reason));
        }
        assert_eq!(Reason::from_code(25), None);
        assert!("no_such_reason".parse::<Reason>().is_err());
    }
}
