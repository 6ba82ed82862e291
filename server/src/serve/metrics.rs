//! Server metrics in the Prometheus text format, served on `--metrics ADDR` by a small thread
//! of its own (plain HTTP/1.0, any path).
//!
//! Everything is a relaxed atomic counter: updating a metric never blocks a request. The
//! group-commit histogram counts, at each fsync of a log segment, the write requests the
//! server acknowledged since the previous segment fsync (each acknowledged write was made
//! durable by the fsync just before its acknowledgement, so in steady state this is the number
//! of writes one fsync covered).

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::Duration;

use veritydb::protocol::{ErrorClass, type_name};

use crate::limits::METRICS_REQUEST_BYTES_MAX;

/// Upper bounds of the latency buckets, in seconds.
const LATENCY_BUCKETS_S: [f64; 14] = [
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
];
/// Upper bounds of the group-size buckets, in writes.
const GROUP_BUCKETS: [f64; 12] = [
    1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0, 256.0, 512.0, 1024.0, 4096.0,
];

/// A cumulative histogram with fixed buckets.
pub(crate) struct Histogram {
    bounds: &'static [f64],
    counts: Vec<AtomicU64>,
    sum_micros: AtomicU64,
    count: AtomicU64,
}

impl Histogram {
    fn new(bounds: &'static [f64]) -> Histogram {
        Histogram {
            bounds,
            counts: (0..=bounds.len()).map(|_| AtomicU64::new(0)).collect(),
            sum_micros: AtomicU64::new(0),
            count: AtomicU64::new(0),
        }
    }

    /// Records one observation.
    pub(crate) fn observe(&self, value: f64) {
        let bucket = self
            .bounds
            .iter()
            .position(|b| value <= *b)
            .unwrap_or(self.bounds.len());
        self.counts[bucket].fetch_add(1, Relaxed);
        self.sum_micros
            .fetch_add((value * 1e6).round() as u64, Relaxed);
        self.count.fetch_add(1, Relaxed);
    }

    fn render(&self, name: &str, help: &str, out: &mut String) {
        out.push_str(&format!("# HELP {name} {help}\n# TYPE {name} histogram\n"));
        let mut cumulative = 0;
        for (i, bound) in self.bounds.iter().enumerate() {
            cumulative += self.counts[i].load(Relaxed);
            out.push_str(&format!("{name}_bucket{{le=\"{bound}\"}} {cumulative}\n"));
        }
        cumulative += self.counts[self.bounds.len()].load(Relaxed);
        out.push_str(&format!("{name}_bucket{{le=\"+Inf\"}} {cumulative}\n"));
        let sum = self.sum_micros.load(Relaxed) as f64 / 1e6;
        out.push_str(&format!(
            "{name}_sum {sum}\n{name}_count {}\n",
            self.count.load(Relaxed)
        ));
    }
}

/// Every metric of one server.
pub(crate) struct Metrics {
    requests: Vec<AtomicU64>,
    errors: Vec<AtomicU64>,
    pub(crate) commit_latency: Histogram,
    pub(crate) fsync_latency: Histogram,
    pub(crate) group_commit_writes: Histogram,
    /// Writes acknowledged since the last segment fsync.
    pub(crate) writes_since_fsync: AtomicU64,
    pub(crate) connections_open: AtomicU64,
    pub(crate) connections_total: AtomicU64,
    pub(crate) connections_rejected: AtomicU64,
    pub(crate) bytes_received: AtomicU64,
    pub(crate) bytes_sent: AtomicU64,
}

impl Metrics {
    pub(crate) fn new() -> Metrics {
        Metrics {
            requests: (0..256).map(|_| AtomicU64::new(0)).collect(),
            errors: (0..256).map(|_| AtomicU64::new(0)).collect(),
            commit_latency: Histogram::new(&LATENCY_BUCKETS_S),
            fsync_latency: Histogram::new(&LATENCY_BUCKETS_S),
            group_commit_writes: Histogram::new(&GROUP_BUCKETS),
            writes_since_fsync: AtomicU64::new(0),
            connections_open: AtomicU64::new(0),
            connections_total: AtomicU64::new(0),
            connections_rejected: AtomicU64::new(0),
            bytes_received: AtomicU64::new(0),
            bytes_sent: AtomicU64::new(0),
        }
    }

    pub(crate) fn request(&self, frame_type: u8) {
        self.requests[usize::from(frame_type)].fetch_add(1, Relaxed);
    }

    pub(crate) fn error(&self, class: ErrorClass) {
        self.errors[usize::from(class.code())].fetch_add(1, Relaxed);
    }

    /// Records an acknowledged write and how long its commit took.
    pub(crate) fn write_committed(&self, seconds: f64) {
        self.commit_latency.observe(seconds);
        self.writes_since_fsync.fetch_add(1, Relaxed);
    }

    /// Called after each fsync of a log segment.
    pub(crate) fn segment_synced(&self, seconds: f64) {
        self.fsync_latency.observe(seconds);
        let writes = self.writes_since_fsync.swap(0, Relaxed);
        if writes > 0 {
            self.group_commit_writes.observe(writes as f64);
        }
    }

    /// The Prometheus text exposition.
    pub(crate) fn render(&self) -> String {
        let mut out = String::new();
        out.push_str("# HELP veritydb_requests_total Requests received, by type.\n");
        out.push_str("# TYPE veritydb_requests_total counter\n");
        for (t, n) in self.requests.iter().enumerate() {
            let n = n.load(Relaxed);
            if n > 0 {
                let name = type_name(u8::try_from(t).expect("256 counters"));
                out.push_str(&format!("veritydb_requests_total{{type=\"{name}\"}} {n}\n"));
            }
        }
        out.push_str("# HELP veritydb_errors_total Error responses, by class.\n");
        out.push_str("# TYPE veritydb_errors_total counter\n");
        for code in 0..=15u8 {
            let class = ErrorClass::from_code(code);
            let n = self.errors[usize::from(code)].load(Relaxed);
            out.push_str(&format!(
                "veritydb_errors_total{{class=\"{}\"}} {n}\n",
                class.name()
            ));
        }
        self.commit_latency.render(
            "veritydb_commit_latency_seconds",
            "Time from the start of a write request to its durable commit.",
            &mut out,
        );
        self.fsync_latency.render(
            "veritydb_segment_fsync_seconds",
            "Duration of each fsync of a log segment.",
            &mut out,
        );
        self.group_commit_writes.render(
            "veritydb_group_commit_writes",
            "Write requests acknowledged per log segment fsync (group commit size).",
            &mut out,
        );
        let gauges = [
            (
                "veritydb_connections_open",
                "gauge",
                "Open client connections.",
                &self.connections_open,
            ),
            (
                "veritydb_connections_total",
                "counter",
                "Connections accepted.",
                &self.connections_total,
            ),
            (
                "veritydb_connections_rejected_total",
                "counter",
                "Connections refused at the connection limit.",
                &self.connections_rejected,
            ),
            (
                "veritydb_received_bytes_total",
                "counter",
                "Bytes received from clients.",
                &self.bytes_received,
            ),
            (
                "veritydb_sent_bytes_total",
                "counter",
                "Bytes sent to clients.",
                &self.bytes_sent,
            ),
        ];
        for (name, kind, help, value) in gauges {
            out.push_str(&format!(
                "# HELP {name} {help}\n# TYPE {name} {kind}\n{name} {}\n",
                value.load(Relaxed)
            ));
        }
        out
    }
}

/// Serves the metrics on `addr` from a thread of its own; returns the bound address.
pub(crate) fn serve(addr: SocketAddr, metrics: Arc<Metrics>) -> std::io::Result<SocketAddr> {
    let listener = TcpListener::bind(addr)?;
    let bound = listener.local_addr()?;
    std::thread::Builder::new()
        .name("veritydb-metrics".into())
        .spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { continue };
                let _ = stream.set_read_timeout(Some(Duration::from_secs(2)));
                let _ = stream.set_write_timeout(Some(Duration::from_secs(2)));
                // Read the request head (bounded); the path does not matter.
                let mut head = [0u8; METRICS_REQUEST_BYTES_MAX];
                let _ = stream.read(&mut head);
                let body = metrics.render();
                let response = format!(
                    "HTTP/1.0 200 OK\r\nContent-Type: text/plain; version=0.0.4\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = stream.write_all(response.as_bytes());
            }
        })?;
    Ok(bound)
}
