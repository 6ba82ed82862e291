#![allow(clippy::unwrap_used, missing_docs)]
use veritydb::sql::Value;
fn main() {
    let rows: u64 = std::env::args()
        .nth(1)
        .map_or(200_000, |a| a.parse().unwrap());
    let dir = tempfile::tempdir_in("/work/main").unwrap();
    let db = veritydb::Db::open(dir.path()).unwrap();
    let t = db.tenant("bench").unwrap();
    t.execute(
        "CREATE TABLE visits (id INTEGER PRIMARY KEY, name TEXT NOT NULL, amount REAL)",
        &[],
    )
    .unwrap();
    let ins = t.prepare("INSERT INTO visits VALUES (?, ?, ?)").unwrap();
    let start = std::time::Instant::now();
    let mut i = 0u64;
    while i < rows {
        let mut b = t.batch();
        for _ in 0..1000 {
            b.execute_prepared(
                &ins,
                &[
                    Value::Integer(i as i64),
                    Value::Text(format!("patient-{i:08}")),
                    Value::Real(10.0 + (i % 490) as f64 + 0.25),
                ],
            )
            .unwrap();
            i += 1;
        }
        b.commit().unwrap();
    }
    let s = start.elapsed().as_secs_f64();
    println!(
        "{:.0} rows/s, {:.2} us/row",
        rows as f64 / s,
        s * 1e6 / rows as f64
    );
}
