//! Every bound the server keeps on what clients control (the protocol's own limits are in
//! `veritydb::protocol::limits`). Units come last; each limit says why it has its value.

/// Connections served at once by default (`--max-connections`): each costs a socket, a few
/// buffers and at most `OUTBOUND_BYTES_HIGH` + one frame of memory.
pub(crate) const CONNECTIONS_MAX_DEFAULT: usize = 1024;

/// Worker threads by default (`--workers`). Writers wait for fsync inside core, and group
/// commit can only merge writes that are waiting at the same time, so there are as many
/// workers as concurrent writers worth merging; idle workers cost only their stacks.
pub(crate) const WORKERS_DEFAULT: usize = 128;

/// Requests of one connection decoded and waiting to run; beyond this the server stops
/// reading that connection until they run (backpressure instead of an unbounded queue).
pub(crate) const REQUESTS_QUEUED_PER_CONNECTION_MAX: usize = 1024;

/// Requests one job takes from a connection's queue: a pipelined burst runs on one worker
/// without a hand-off per request.
pub(crate) const JOB_REQUESTS_MAX: usize = 256;

/// Unsent response bytes of one connection above which workers producing for it wait and
/// the server stops reading its requests.
pub(crate) const OUTBOUND_BYTES_HIGH: usize = 4 * 1024 * 1024;

/// Response bytes a worker gathers before handing them to the network loop.
pub(crate) const WORKER_OUTPUT_FLUSH_BYTES: usize = 64 * 1024;

/// Default time a new connection has to complete TLS and the hello
/// (`--handshake-timeout-ms`).
pub(crate) const HANDSHAKE_TIMEOUT_MS_DEFAULT: u64 = 10_000;

/// Default time a started frame has to arrive completely (`--frame-timeout-ms`): slow
/// senders (slowloris) hold no buffer forever.
pub(crate) const FRAME_TIMEOUT_MS_DEFAULT: u64 = 30_000;

/// Default idle time after which a connection with nothing in flight is closed
/// (`--idle-timeout-ms`).
pub(crate) const IDLE_TIMEOUT_MS_DEFAULT: u64 = 300_000;

/// Time a connection may keep unsent responses without reading any of them.
pub(crate) const WRITE_STALL_TIMEOUT_MS: u64 = 60_000;

/// Time a graceful shutdown waits for requests in flight before closing connections.
pub(crate) const SHUTDOWN_GRACE_MS: u64 = 30_000;

/// Exports streaming at once; each holds a worker while its client reads.
pub(crate) const EXPORTS_CONCURRENT_MAX: usize = 8;

/// Bytes read from a socket per call.
pub(crate) const READ_CHUNK_BYTES: usize = 64 * 1024;

/// How often timeouts are checked.
pub(crate) const TIMER_TICK_MS: u64 = 100;

/// The metrics endpoint reads at most this much of a request.
pub(crate) const METRICS_REQUEST_BYTES_MAX: usize = 8 * 1024;

const _: () = assert!(JOB_REQUESTS_MAX <= REQUESTS_QUEUED_PER_CONNECTION_MAX);
const _: () = assert!(WORKER_OUTPUT_FLUSH_BYTES < OUTBOUND_BYTES_HIGH);
const _: () = assert!(veritydb::protocol::limits::FRAME_BYTES_MAX <= 2 * OUTBOUND_BYTES_HIGH);
