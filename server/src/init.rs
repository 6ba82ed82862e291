//! `veritydb init`: creates a node's data directory — its signing key (made by core on first
//! open), the master key file, the registry in the `system` tenant's log and the first admin
//! token — and prints the public keys auditors pin.

use std::io::Write as _;
use std::os::unix::fs::OpenOptionsExt as _;
use std::path::{Path, PathBuf};

use base64::Engine as _;
use clap::Args;
use veritydb::protocol::{ALL_TENANTS, Role};
use veritydb::{Db, Options};

use crate::auth::{Registry, SYSTEM_TENANT};

/// Bytes of the master key.
const MASTER_KEY_BYTES: usize = 32;

#[derive(Debug, Args)]
pub(crate) struct InitArgs {
    /// The data directory to create (or an empty one to use).
    #[arg(long)]
    data: PathBuf,
    /// The node's name, fixed for the node's life: it begins every tenant's origin and so
    /// every verifier key (for example db1.example.com). Default: veritydb.local/<key id>.
    #[arg(long)]
    node_name: Option<String>,
    /// Where to write the master key: 32 random bytes, mode 0600. It is reserved for sealing
    /// the tenants' data keys (encryption at rest, a later release); back it up outside the
    /// data directory. Default: DATA/master.key.
    #[arg(long)]
    master_key: Option<PathBuf>,
}

pub(crate) fn run(args: &InitArgs) -> Result<(), String> {
    std::fs::create_dir_all(&args.data)
        .map_err(|e| format!("cannot create {}: {e}", args.data.display()))?;
    let mut options = Options::default();
    if let Some(name) = &args.node_name {
        options = options.node_name(name.clone());
    }
    let db = Db::open_with(&args.data, options)
        .map_err(|e| format!("cannot open {}: {e}", args.data.display()))?;
    let registry = Registry::open(&db)?;
    if registry.has_tokens() {
        return Err(format!(
            "{} is already initialized (it has tokens); create more with `veritydb token create`",
            args.data.display()
        ));
    }
    let master_key = args
        .master_key
        .clone()
        .unwrap_or_else(|| args.data.join("master.key"));
    write_master_key(&master_key)?;
    let (info, secret) = registry
        .create_token(
            "cli:init",
            ALL_TENANTS,
            Role::Admin,
            &[],
            None,
            "first admin (veritydb init)",
        )
        .map_err(|e| format!("cannot create the first admin token: {}", e.message))?;
    let system = db
        .existing_tenant(SYSTEM_TENANT)
        .ok_or("the system tenant is missing")?;
    let public_key = base64::engine::general_purpose::STANDARD.encode(db.public_key());
    println!(
        "Initialized VerityDB node {} in {}",
        db.node_name(),
        args.data.display()
    );
    println!("  node public key (Ed25519, base64): {public_key}");
    println!(
        "  verifier key of the registry (tenant {SYSTEM_TENANT}): {}",
        system.verifier_key()
    );
    println!(
        "  master key: {} (mode 0600; reserved for sealing data keys: back it up elsewhere)",
        master_key.display()
    );
    println!();
    println!(
        "First admin token (node-wide, id {}). It is shown only now: store it safely.",
        info.id
    );
    println!("  {secret}");
    println!();
    println!("Next: veritydb serve --data {}", args.data.display());
    println!(
        "      veritydb tenant create NAME --url vdb://127.0.0.1:7878 --token <the token above>"
    );
    println!("Each tenant's verifier key is printed by `tenant create` and `tenant list`.");
    Ok(())
}

/// Writes a fresh random key with mode 0600; refuses to overwrite an existing file.
fn write_master_key(path: &Path) -> Result<(), String> {
    let mut key = [0u8; MASTER_KEY_BYTES];
    getrandom::fill(&mut key).map_err(|e| format!("no randomness available: {e}"))?;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .map_err(|e| format!("cannot create the master key {}: {e}", path.display()))?;
    file.write_all(&key)
        .and_then(|()| file.sync_all())
        .map_err(|e| format!("cannot write the master key {}: {e}", path.display()))
}
