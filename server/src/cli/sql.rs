//! `veritydb sql`: run SQL on a tenant, one-shot (`-c`) or in an interactive shell with
//! history, on a server (`--url`) or embedded on a data directory (`--data`).

use std::path::PathBuf;

use clap::Args;
use rustyline::DefaultEditor;
use rustyline::error::ReadlineError;
use veritydb::client::RemoteTenant;
use veritydb::sql::StatementKind;
use veritydb::{ExecResult, Rows, Tenant};

use super::{LOCAL_ACTOR, Target, TargetArgs, client_error, print_table};

/// Lines one statement may span in the shell; a longer paste is refused, not buffered forever.
const STATEMENT_LINES_MAX: usize = 10_000;

#[derive(Debug, Args)]
pub(crate) struct SqlArgs {
    /// The tenant.
    #[arg(long)]
    tenant: String,
    /// Run this statement and exit (repeat to run several, in order).
    #[arg(short = 'c', long = "command")]
    commands: Vec<String>,
    /// The shell's history file (default: ~/.veritydb_history).
    #[arg(long)]
    history: Option<PathBuf>,
    #[command(flatten)]
    target: TargetArgs,
}

/// A tenant to run SQL on.
enum Engine {
    Remote(RemoteTenant),
    Local(Tenant),
}

enum Outcome {
    Rows(Rows),
    Done(ExecResult),
}

impl Engine {
    fn run(&self, sql: &str) -> Result<Outcome, String> {
        // Text core cannot parse is sent as a write, which answers with core's error.
        let read = veritydb::sql::shape(sql).is_ok_and(|s| s.kind == StatementKind::Read);
        match (self, read) {
            (Engine::Remote(t), true) => t
                .query(sql, &[])
                .map(Outcome::Rows)
                .map_err(|e| client_error(&e)),
            (Engine::Remote(t), false) => t
                .execute(sql, &[])
                .map(Outcome::Done)
                .map_err(|e| client_error(&e)),
            (Engine::Local(t), true) => t
                .query(sql, &[])
                .map(Outcome::Rows)
                .map_err(|e| e.to_string()),
            (Engine::Local(t), false) => t
                .execute(sql, &[])
                .map(Outcome::Done)
                .map_err(|e| e.to_string()),
        }
    }
}

pub(crate) fn run(args: &SqlArgs) -> Result<(), String> {
    let engine = match args.target.open()? {
        Target::Remote(client) => {
            Engine::Remote(client.tenant(&args.tenant).map_err(|e| client_error(&e))?)
        }
        Target::Local(db, _) => {
            let tenant = db.existing_tenant(&args.tenant).ok_or_else(|| {
                format!(
                    "no tenant {}: create it with `veritydb tenant create`",
                    args.tenant
                )
            })?;
            Engine::Local(tenant.with_actor(LOCAL_ACTOR).map_err(|e| e.to_string())?)
        }
    };
    if !args.commands.is_empty() {
        for sql in &args.commands {
            show(engine.run(sql)?);
        }
        return Ok(());
    }
    shell(&engine, &args.tenant, args.history.clone())
}

fn show(outcome: Outcome) {
    match outcome {
        Outcome::Rows(rows) => {
            let header = rows.column_names();
            let cells: Vec<Vec<String>> = rows
                .rows
                .iter()
                .map(|r| r.iter().map(ToString::to_string).collect())
                .collect();
            print_table(&header, &cells);
            println!(
                "({} row{})",
                rows.len(),
                if rows.len() == 1 { "" } else { "s" }
            );
        }
        Outcome::Done(result) => println!(
            "{} row{} affected (position {})",
            result.rows_affected,
            if result.rows_affected == 1 { "" } else { "s" },
            result.position
        ),
    }
}

fn shell(engine: &Engine, tenant: &str, history: Option<PathBuf>) -> Result<(), String> {
    let mut editor = DefaultEditor::new().map_err(|e| format!("cannot start the shell: {e}"))?;
    let history = history.or_else(|| {
        std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".veritydb_history"))
    });
    if let Some(path) = &history {
        let _ = editor.load_history(path);
    }
    println!("VerityDB SQL on tenant {tenant}. End statements with ';'. \\q quits, \\h helps.");
    let mut statement = String::new();
    let mut lines = 0;
    loop {
        let prompt = if statement.is_empty() {
            format!("{tenant}> ")
        } else {
            format!("{}> ", " ".repeat(tenant.len()))
        };
        let line = match editor.readline(&prompt) {
            Ok(line) => line,
            Err(ReadlineError::Interrupted) => {
                statement.clear();
                lines = 0;
                continue;
            }
            Err(ReadlineError::Eof) => break,
            Err(e) => return Err(format!("cannot read input: {e}")),
        };
        let trimmed = line.trim();
        if statement.is_empty() && trimmed.starts_with('\\') {
            let _ = editor.add_history_entry(trimmed);
            match trimmed {
                "\\q" | "\\quit" => break,
                _ => println!(
                    "Type SQL ending with ';' (SELECT, INSERT, UPDATE, DELETE, CREATE TABLE, ...).\n\
                     \\q quits. Ctrl-C clears the statement being typed."
                ),
            }
            continue;
        }
        if trimmed.is_empty() {
            continue;
        }
        statement.push_str(&line);
        statement.push('\n');
        lines += 1;
        if lines > STATEMENT_LINES_MAX {
            eprintln!("error: a statement may span at most {STATEMENT_LINES_MAX} lines");
            statement.clear();
            lines = 0;
            continue;
        }
        if !trimmed.ends_with(';') {
            continue;
        }
        let sql = std::mem::take(&mut statement);
        lines = 0;
        let _ = editor.add_history_entry(sql.trim());
        match engine.run(sql.trim().trim_end_matches(';')) {
            Ok(outcome) => show(outcome),
            Err(e) => eprintln!("error: {e}"),
        }
    }
    if let Some(path) = &history {
        let _ = editor.save_history(path);
    }
    Ok(())
}
