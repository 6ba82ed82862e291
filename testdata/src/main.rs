//! Writes `testdata/vectors/` (default) or checks that it is unchanged (`--check`).

use std::path::{Path, PathBuf};
use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let check = match args.as_slice() {
        [] => false,
        [flag] if flag == "--check" => true,
        _ => {
            eprintln!(
                "usage: veritydb-testdata [--check]\n  writes testdata/vectors/, or with --check verifies it is unchanged"
            );
            return ExitCode::from(2);
        }
    };
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("vectors");
    let files = veritydb_testdata::generate();
    let result = if check {
        compare(&dir, &files)
    } else {
        write(&dir, &files)
    };
    match result {
        Ok(message) => {
            println!("{message}");
            ExitCode::SUCCESS
        }
        Err(message) => {
            eprintln!("{message}");
            ExitCode::FAILURE
        }
    }
}

fn write(dir: &Path, files: &veritydb_testdata::Files) -> Result<String, String> {
    for (path, bytes) in files {
        let full = dir.join(path);
        if let Some(parent) = full.parent() {
            std::fs::create_dir_all(parent).map_err(|e| format!("{}: {e}", parent.display()))?;
        }
        std::fs::write(&full, bytes).map_err(|e| format!("{}: {e}", full.display()))?;
    }
    Ok(format!("wrote {} files to {}", files.len(), dir.display()))
}

fn compare(dir: &Path, files: &veritydb_testdata::Files) -> Result<String, String> {
    let mut changed = Vec::new();
    for (path, bytes) in files {
        match std::fs::read(dir.join(path)) {
            Ok(existing) if &existing == bytes => {}
            Ok(_) => changed.push(format!("changed: {path}")),
            Err(_) => changed.push(format!("missing: {path}")),
        }
    }
    if changed.is_empty() {
        Ok(format!("{} vector files are unchanged", files.len()))
    } else {
        Err(format!(
            "testdata/vectors differs from what the generator writes:\n  {}\nIf the format changed on purpose, regenerate with `cargo run -p veritydb-testdata` and bump the spec version.",
            changed.join("\n  ")
        ))
    }
}
