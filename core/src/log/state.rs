//! The recovery state file: a durable description of the log up to a point in the segments,
//! so that opening a large log replays only what follows that point.
//!
//! It is derived data (it can always be rebuilt by replaying every segment) and internal
//! (nobody outside checks it), so it is sealed with BLAKE3, not SHA-256. It is replaced
//! atomically: written to `state.tmp`, synced, renamed over `state`, directory synced.
//! Invariant: when `state` says tenant T had `size` entries at point P, T's tree, index and
//! checkpoint files hold at least the bytes for that size and were synced before `state`.

use crate::entry::{Hash, Reader};
use crate::limits;

const MAGIC: [u8; 8] = *b"VDBSTATE";
const VERSION: u16 = 1;

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RecoveryState {
    /// Replay starts at this segment and offset; everything before is reflected below.
    pub(crate) segment: u64,
    pub(crate) offset: u64,
    pub(crate) tenants: Vec<TenantSnapshot>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct TenantSnapshot {
    pub(crate) id: u32,
    pub(crate) name: String,
    pub(crate) size: u64,
    pub(crate) chain: Hash,
    pub(crate) last_timestamp_us: u64,
    /// The compact range of `[0, size)`.
    pub(crate) range: Vec<Hash>,
    pub(crate) checkpoints: u64,
}

impl RecoveryState {
    pub(crate) fn encode(&self) -> Vec<u8> {
        let mut out = Vec::new();
        out.extend_from_slice(&MAGIC);
        out.extend_from_slice(&VERSION.to_be_bytes());
        out.extend_from_slice(&self.segment.to_be_bytes());
        out.extend_from_slice(&self.offset.to_be_bytes());
        let count = u32::try_from(self.tenants.len()).expect("tenants are bounded by 4096");
        out.extend_from_slice(&count.to_be_bytes());
        for t in &self.tenants {
            out.extend_from_slice(&t.id.to_be_bytes());
            out.push(u8::try_from(t.name.len()).expect("tenant names are at most 64 bytes"));
            out.extend_from_slice(t.name.as_bytes());
            out.extend_from_slice(&t.size.to_be_bytes());
            out.extend_from_slice(&t.chain);
            out.extend_from_slice(&t.last_timestamp_us.to_be_bytes());
            out.push(u8::try_from(t.range.len()).expect("a compact range has at most 64 hashes"));
            for hash in &t.range {
                out.extend_from_slice(hash);
            }
            out.extend_from_slice(&t.checkpoints.to_be_bytes());
        }
        let seal = blake3::hash(&out);
        out.extend_from_slice(seal.as_bytes());
        out
    }

    /// `None` if the bytes are not a complete, sealed state of this version.
    pub(crate) fn decode(bytes: &[u8]) -> Option<RecoveryState> {
        let (body, seal) = bytes.split_at_checked(bytes.len().checked_sub(32)?)?;
        if blake3::hash(body).as_bytes() != seal {
            return None;
        }
        let mut r = Reader::new(body);
        (r.array::<8>()? == MAGIC && r.u16()? == VERSION).then_some(())?;
        let segment = r.u64()?;
        let offset = r.u64()?;
        let count = usize::try_from(r.u32()?).ok()?;
        if count > limits::TENANTS_PER_NODE_MAX {
            return None;
        }
        let mut tenants = Vec::with_capacity(count);
        for _ in 0..count {
            let id = r.u32()?;
            let name_len = usize::from(r.u8()?);
            let name = std::str::from_utf8(r.take(name_len)?).ok()?.to_owned();
            let size = r.u64()?;
            let chain = r.array()?;
            let last_timestamp_us = r.u64()?;
            let range_len = usize::from(r.u8()?);
            if range_len != size.count_ones() as usize {
                return None;
            }
            let range = (0..range_len)
                .map(|_| r.array())
                .collect::<Option<Vec<Hash>>>()?;
            let checkpoints = r.u64()?;
            tenants.push(TenantSnapshot {
                id,
                name,
                size,
                chain,
                last_timestamp_us,
                range,
                checkpoints,
            });
        }
        r.is_empty().then_some(RecoveryState {
            segment,
            offset,
            tenants,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn state_round_trips_and_rejects_any_flip() {
        let state = RecoveryState {
            segment: 3,
            offset: 4096,
            tenants: vec![TenantSnapshot {
                id: 1,
                name: "acme".into(),
                size: 5,
                chain: [1; 32],
                last_timestamp_us: 99,
                range: vec![[2; 32], [3; 32]],
                checkpoints: 2,
            }],
        };
        let bytes = state.encode();
        assert_eq!(RecoveryState::decode(&bytes), Some(state));
        for i in 0..bytes.len() {
            let mut bad = bytes.clone();
            bad[i] ^= 0x10;
            assert_eq!(RecoveryState::decode(&bad), None, "flip at {i}");
        }
        assert_eq!(RecoveryState::decode(&bytes[..bytes.len() - 1]), None);
    }
}
