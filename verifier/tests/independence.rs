//! The verifier shares no code with the database: neither its manifest nor its resolved
//! dependency graph (all kinds, from the workspace's Cargo.lock) contains the `veritydb` crate.
//! This is what `cargo tree -p veritydb-verify` shows, without running cargo from a test.
#![allow(clippy::unwrap_used)] // test code: a failed unwrap is a failed test

use std::collections::{BTreeSet, HashMap};
use std::path::Path;

#[test]
fn the_manifest_names_no_core_crate() {
    let manifest =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/Cargo.toml")).unwrap();
    for line in manifest.lines().map(str::trim) {
        assert!(
            !line.starts_with("veritydb ") && !line.starts_with("veritydb="),
            "{line}"
        );
        assert!(!line.contains("../core"), "{line}");
    }
}

#[test]
fn the_resolved_dependency_graph_has_no_veritydb() {
    let lock_path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../Cargo.lock");
    let lock = std::fs::read_to_string(lock_path).unwrap();
    // name -> dependency names, from the [[package]] tables of Cargo.lock.
    let mut graph: HashMap<String, Vec<String>> = HashMap::new();
    for package in lock.split("[[package]]").skip(1) {
        let name = package
            .lines()
            .find_map(|line| line.strip_prefix("name = "))
            .unwrap()
            .trim_matches('"')
            .to_owned();
        let dependencies: Vec<String> = package
            .split("dependencies = [")
            .nth(1)
            .map(|list| {
                list.split(']')
                    .next()
                    .unwrap()
                    .split(',')
                    .filter_map(|item| {
                        let item = item.trim().trim_matches('"');
                        item.split(' ')
                            .next()
                            .filter(|name| !name.is_empty())
                            .map(str::to_owned)
                    })
                    .collect()
            })
            .unwrap_or_default();
        graph.entry(name).or_default().extend(dependencies);
    }
    let mut seen = BTreeSet::new();
    let mut stack = vec!["veritydb-verify".to_owned()];
    while let Some(name) = stack.pop() {
        if seen.insert(name.clone()) {
            stack.extend(graph.get(&name).into_iter().flatten().cloned());
        }
    }
    assert!(
        seen.contains("sha2") && seen.contains("ed25519-dalek"),
        "{seen:?}"
    );
    assert!(
        !seen.contains("veritydb"),
        "veritydb-verify depends on the database crate"
    );
}
