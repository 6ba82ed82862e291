//! `veritydb demo`: the quickest look at VerityDB. Opens (or creates) an embedded database,
//! appends a few events for a tenant, signs a checkpoint, and writes a receipt and an export
//! with the commands that verify them independently.

use std::fs;
use std::path::PathBuf;

use clap::Args;

#[derive(Debug, Args)]
pub(crate) struct DemoArgs {
    /// Where the database and the files it writes live.
    #[arg(long, default_value = "veritydb-demo")]
    dir: PathBuf,
}

pub(crate) fn run(args: &DemoArgs) -> Result<(), String> {
    let db = veritydb::Db::open(args.dir.join("data")).map_err(|e| e.to_string())?;
    let clinic = db.tenant("clinic").map_err(|e| e.to_string())?;
    let visits = [
        r#"{"patient": 17, "reason": "checkup", "doctor": "Ada"}"#,
        r#"{"patient": 23, "reason": "flu", "doctor": "Grace"}"#,
        r#"{"patient": 17, "reason": "follow-up", "doctor": "Ada"}"#,
    ];
    let batch: Vec<(&str, &str)> = visits.iter().map(|v| ("visits", *v)).collect();
    let positions = clinic.append_batch(&batch).map_err(|e| e.to_string())?;
    let checkpoint = clinic.checkpoint().map_err(|e| e.to_string())?;
    let receipt = clinic
        .receipt(positions.start, &["stream", "event"])
        .map_err(|e| e.to_string())?;
    let receipt_path = args.dir.join("visit.tlog-proof");
    fs::write(&receipt_path, &receipt.text).map_err(|e| e.to_string())?;
    let export_path = args.dir.join("clinic.vdbx");
    let file = fs::File::create(&export_path).map_err(|e| e.to_string())?;
    let summary = clinic
        .export(file, &veritydb::ExportOptions::default(), |_, _| {})
        .map_err(|e| e.to_string())?;
    let vkey = clinic.verifier_key();
    println!(
        "Appended visits at positions {}..{} of tenant 'clinic' ({} entries in its log).",
        positions.start,
        positions.end,
        clinic.size()
    );
    println!(
        "Signed checkpoint (tree size {}):\n\n{}",
        checkpoint.size, checkpoint.note
    );
    println!(
        "Receipt for position {}: {}",
        positions.start,
        receipt_path.display()
    );
    println!(
        "Export of {} entries, {} checkpoints: {}",
        summary.entries,
        summary.checkpoints,
        export_path.display()
    );
    println!("\nThe tenant's verifier key, to pin:\n  {vkey}\n");
    println!("Check them without trusting this database:");
    println!(
        "  cargo run -p veritydb-verify -- receipt {} --trust-key '{vkey}'",
        receipt_path.display()
    );
    println!(
        "  cargo run -p veritydb-verify -- export {} --trust-key '{vkey}'",
        export_path.display()
    );
    Ok(())
}
