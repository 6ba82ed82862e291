//! Reading what the commands check: files or stdin (`-`), trusted keys, base64 hashes.
//!
//! Failures here are "could not check" (exit 2): the input or the auditor's configuration could
//! not be used, so no verdict was reached.

use std::fs::File;
use std::io::{self, Read};
use std::path::{Path, PathBuf};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use veritydb_verify::{KeyError, TrustedKeys};

/// Why a command could not check its input.
#[derive(Debug, thiserror::Error)]
pub(crate) enum CannotCheck {
    #[error("cannot read {path}: {source}")]
    Read { path: String, source: io::Error },
    #[error(transparent)]
    Key(#[from] KeyError),
    #[error("no trusted key: give --trust-key VKEY or --trust-keys FILE")]
    NoTrustedKey,
    #[error("{what} is not valid base64: {text:?}")]
    Base64 { what: &'static str, text: String },
}

/// The options every signature-checking command shares.
#[derive(clap::Args, Debug)]
pub(crate) struct TrustArgs {
    /// A trusted verifier key (C2SP vkey `<name>+<id>+<base64 key>`); repeat for several.
    #[arg(long = "trust-key", value_name = "VKEY")]
    trust_key: Vec<String>,
    /// A file of trusted vkeys, one per line (blank lines and `#` comments ignored); `-` is
    /// stdin.
    #[arg(long = "trust-keys", value_name = "FILE")]
    trust_keys: Vec<PathBuf>,
}

impl TrustArgs {
    /// The keys of `--trust-key` and every `--trust-keys` file, at least one.
    pub(crate) fn load(&self) -> Result<TrustedKeys, CannotCheck> {
        // One text of vkey lines; the library skips blank lines and `#` comments.
        let mut lines = self.trust_key.join("\n");
        for path in &self.trust_keys {
            let bytes = read_bounded(path, KEY_FILE_BYTES_MAX)?;
            lines.push('\n');
            lines.push_str(&String::from_utf8_lossy(&bytes));
        }
        let keys = TrustedKeys::parse_lines(&lines)?;
        if keys.is_empty() {
            return Err(CannotCheck::NoTrustedKey);
        }
        Ok(keys)
    }
}

/// A key file holds at most `trusted_keys_max` vkeys of a few hundred bytes plus comments.
const KEY_FILE_BYTES_MAX: usize = 1 << 20;

/// A file (or stdin for `-`) to stream.
pub(crate) fn open(path: &Path) -> Result<(Box<dyn Read>, Option<u64>), CannotCheck> {
    if path == Path::new("-") {
        return Ok((Box::new(io::stdin().lock()), None));
    }
    let file = File::open(path).map_err(|source| read_error(path, source))?;
    let len = file.metadata().ok().map(|meta| meta.len());
    Ok((Box::new(file), len))
}

/// Reads at most `limit + 1` bytes: enough for the library to see that a longer input exceeds
/// its limit, never an unbounded amount.
pub(crate) fn read_bounded(path: &Path, limit: usize) -> Result<Vec<u8>, CannotCheck> {
    let (reader, _) = open(path)?;
    let mut bytes = Vec::new();
    reader
        .take(limit as u64 + 1)
        .read_to_end(&mut bytes)
        .map_err(|source| read_error(path, source))?;
    Ok(bytes)
}

pub(crate) fn read_error(path: &Path, source: io::Error) -> CannotCheck {
    CannotCheck::Read {
        path: path.display().to_string(),
        source,
    }
}

/// One base64 value of any length (the library judges lengths).
pub(crate) fn base64(what: &'static str, text: &str) -> Result<Vec<u8>, CannotCheck> {
    BASE64.decode(text.trim()).map_err(|_| CannotCheck::Base64 {
        what,
        text: text.to_owned(),
    })
}

/// A comma-separated list of base64 hashes; the empty string is the empty proof.
pub(crate) fn proof(text: &str) -> Result<Vec<Vec<u8>>, CannotCheck> {
    if text.trim().is_empty() {
        return Ok(Vec::new());
    }
    text.split(',')
        .map(|hash| base64("a proof hash", hash))
        .collect()
}
