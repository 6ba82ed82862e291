//! The `veritydb` command.
fn main() {}
