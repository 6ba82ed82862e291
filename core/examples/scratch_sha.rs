#![allow(clippy::unwrap_used, missing_docs)]
use sha2::{Digest, Sha256};
use std::hint::black_box;
const IV: [u32; 8] = [
    0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
];
fn oneshot(parts: &[&[u8]]) -> [u8; 32] {
    let len: usize = parts.iter().map(|p| p.len()).sum();
    let mut buf = [0u8; 256];
    let mut at = 0;
    for p in parts {
        buf[at..at + p.len()].copy_from_slice(p);
        at += p.len();
    }
    buf[at] = 0x80;
    let blocks = (len + 9).div_ceil(64);
    buf[blocks * 64 - 8..blocks * 64].copy_from_slice(&((len as u64) * 8).to_be_bytes());
    let mut state = IV;
    let (chunks, _) = buf[..blocks * 64].as_chunks::<64>();
    sha2::block_api::compress256(&mut state, chunks);
    let mut out = [0u8; 32];
    for (o, s) in out.chunks_exact_mut(4).zip(state) {
        o.copy_from_slice(&s.to_be_bytes());
    }
    out
}
fn main() {
    let tag = b"veritydb-salt-v1\0";
    let salt = [7u8; 32];
    let n = 5_000_000u32;
    for sz in [53usize, 78, 150] {
        let extra = vec![3u8; sz - 53];
        let t = std::time::Instant::now();
        let mut acc = 0u8;
        for i in 0..n {
            let h = Sha256::new()
                .chain_update(tag)
                .chain_update(salt)
                .chain_update(i.to_be_bytes())
                .chain_update(&extra)
                .finalize();
            acc ^= h[0];
        }
        let a = t.elapsed().as_nanos() as f64 / n as f64;
        let t = std::time::Instant::now();
        for i in 0..n {
            let h = oneshot(&[tag, &salt, &i.to_be_bytes(), &extra]);
            acc ^= h[0];
        }
        let b = t.elapsed().as_nanos() as f64 / n as f64;
        let x = Sha256::new()
            .chain_update(tag)
            .chain_update(salt)
            .chain_update(9u32.to_be_bytes())
            .chain_update(&extra)
            .finalize();
        assert_eq!(
            x.as_slice(),
            &oneshot(&[tag, &salt, &9u32.to_be_bytes(), &extra])
        );
        println!(
            "{sz} bytes: digest {a:.1} ns, compress256 {b:.1} ns {}",
            black_box(acc)
        );
    }
}
