//! Exports to a file, or as a stream of chunks for a Node writable stream.
//!
//! A file export runs as one job: the file is written, synced, and removed again if the export
//! fails, so a path holds a whole export or nothing. A stream export runs core's export on a
//! thread of its own that hands chunks to JS through a bounded channel: `read()` takes the next
//! chunk off the JS thread, so a slow writable holds the exporter back (backpressure) instead of
//! filling memory, and an abandoned stream (`cancel()`, or its object collected) makes the
//! exporter's next write fail and stop.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, SyncSender, TrySendError, sync_channel};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use napi::Env;
use napi::bindgen_prelude::{AsyncTask, Buffer, Null, ToNapiValue, Unknown};
use napi_derive::napi;
use veritydb::ExportOptions;

use crate::errors::{BindingError, ErrorCode};
use crate::job::Job;
use crate::session::Session;
use crate::types::ExportSummary;

/// Bytes handed to JS per chunk.
const CHUNK_BYTES: usize = 256 * 1024;
/// Chunks buffered between the exporter and JS: at most this many times `CHUNK_BYTES` in memory.
const CHUNKS_BUFFERED_MAX: usize = 4;
/// How often an exporter waiting for JS to take a chunk checks whether it was cancelled.
const CANCEL_POLL: Duration = Duration::from_millis(2);

/// Exports tenant `name` into the file at `path`.
pub(crate) fn to_file(
    session: &Session,
    name: &str,
    path: &str,
    options: &ExportOptions,
) -> Result<veritydb::ExportSummary, BindingError> {
    let file = File::create(path).map_err(|e| {
        BindingError::new(
            ErrorCode::Io,
            format!("cannot create the export file {path}: {e}"),
        )
    })?;
    let mut out = BufWriter::new(file);
    let written = session
        .with_tenant(name, |t| t.export(&mut out, options))
        .and_then(|summary| {
            let file = out.into_inner().map_err(|e| e.into_error())?;
            file.sync_all()?;
            Ok(summary)
        })
        .map_err(|e: BindingError| e);
    if written.is_err() {
        // Best effort: a partial export must not look like one.
        let _ = std::fs::remove_file(path);
    }
    written
}

impl From<std::io::Error> for BindingError {
    fn from(e: std::io::Error) -> BindingError {
        BindingError::new(ErrorCode::Io, format!("writing the export failed: {e}"))
    }
}

/// What the exporter thread sends.
enum Piece {
    Chunk(Vec<u8>),
    Done(Result<veritydb::ExportSummary, BindingError>),
}

/// An export being produced, read chunk by chunk: `tenant.exportStream(options)`.
/// `tenant.export(writable)` reads it into a writable stream; use it directly to send an
/// export anywhere else.
#[napi]
pub struct ExportStream {
    /// `None` once the export ended or was cancelled.
    receiver: Arc<Mutex<Option<Receiver<Piece>>>>,
    /// Set when the export completed.
    summary: Arc<Mutex<Option<veritydb::ExportSummary>>>,
    /// Set by `cancel()` or when the object is collected: the exporter stops.
    cancelled: Arc<AtomicBool>,
    /// The database: its closing also stops the exporter.
    session: Arc<Session>,
}

impl Drop for ExportStream {
    fn drop(&mut self) {
        self.cancelled.store(true, Ordering::Relaxed);
    }
}

impl ExportStream {
    /// Starts the exporter thread.
    pub(crate) fn start(
        session: Arc<Session>,
        name: String,
        options: ExportOptions,
    ) -> ExportStream {
        let (sender, receiver) = sync_channel(CHUNKS_BUFFERED_MAX);
        let done = sender.clone();
        let cancelled = Arc::new(AtomicBool::new(false));
        let stop = Arc::clone(&cancelled);
        let exporting = Arc::clone(&session);
        let spawned = std::thread::Builder::new()
            .name("veritydb-export".into())
            .spawn(move || {
                let mut out = ChannelWriter {
                    sender,
                    pending: Vec::with_capacity(CHUNK_BYTES),
                    cancelled: stop,
                    session: Arc::clone(&exporting),
                };
                let result = exporting.with_tenant(&name, |t| t.export(&mut out, &options));
                // The reader may be gone: then nobody wants the outcome.
                let _ = out.offer(Piece::Done(result));
            });
        if let Err(e) = spawned {
            let refused = BindingError::new(
                ErrorCode::Io,
                format!("cannot start the export thread: {e}"),
            );
            let _ = done.try_send(Piece::Done(Err(refused)));
        }
        ExportStream {
            receiver: Arc::new(Mutex::new(Some(receiver))),
            summary: Arc::new(Mutex::new(None)),
            cancelled,
            session,
        }
    }
}

#[napi]
impl ExportStream {
    /// The next chunk of the export, or `null` once it is complete (then `summary` is set).
    /// Rejects with the export's error if it failed.
    #[napi(ts_return_type = "Promise<Buffer | null>")]
    pub fn read(&self) -> AsyncTask<Job<Option<Vec<u8>>>> {
        let receiver = Arc::clone(&self.receiver);
        let summary = Arc::clone(&self.summary);
        let cancelled = Arc::clone(&self.cancelled);
        let session = Arc::clone(&self.session);
        Job::spawn(
            move || {
                let mut receiver = receiver.lock().unwrap_or_else(PoisonError::into_inner);
                let Some(channel) = receiver.as_ref() else {
                    return Ok(None);
                };
                let piece = channel.recv().unwrap_or_else(|_| {
                    // The exporter stops without a result only when the stream was cancelled
                    // or the database closed.
                    Piece::Done(Err(if cancelled.load(Ordering::Relaxed) {
                        BindingError::closed("this export stream (it was cancelled)")
                    } else if session.is_closing() {
                        BindingError::closed("the database (during the export)")
                    } else {
                        BindingError::new(
                            ErrorCode::Internal,
                            "the export thread ended without a result",
                        )
                    }))
                });
                match piece {
                    Piece::Chunk(bytes) => Ok(Some(bytes)),
                    Piece::Done(result) => {
                        *receiver = None;
                        let done = result?;
                        *summary.lock().unwrap_or_else(PoisonError::into_inner) = Some(done);
                        Ok(None)
                    }
                }
            },
            chunk_to_js,
        )
    }

    /// What the export wrote, once `read()` returned `null`; `null` before.
    #[napi(getter, ts_return_type = "ExportSummary | null")]
    pub fn summary(&self) -> Option<ExportSummary> {
        let summary = self.summary.lock().unwrap_or_else(PoisonError::into_inner);
        summary.map(Into::into)
    }

    /// Stops reading: the exporter stops at its next write. Reading after `cancel()` gives
    /// `null`.
    #[napi]
    pub fn cancel(&self) {
        self.cancelled.store(true, Ordering::Relaxed);
        // A read in progress holds the lock until its chunk arrives; it then gets that chunk.
        if let Ok(mut receiver) = self.receiver.try_lock() {
            *receiver = None;
        }
    }
}

fn chunk_to_js<'env>(
    env: &'env Env,
    chunk: Option<Vec<u8>>,
) -> Result<Unknown<'env>, BindingError> {
    Ok(match chunk {
        Some(bytes) => Buffer::from(bytes).into_unknown(env)?,
        None => Null.into_unknown(env)?,
    })
}

/// Writes into the channel in `CHUNK_BYTES` pieces; fails once the reader is gone or the
/// stream was cancelled.
struct ChannelWriter {
    sender: SyncSender<Piece>,
    pending: Vec<u8>,
    cancelled: Arc<AtomicBool>,
    /// A database closing while JS does not read would otherwise wait for this export.
    session: Arc<Session>,
}

impl ChannelWriter {
    /// Sends `piece`, waiting while the channel is full, unless the stream is cancelled or
    /// the database is closing.
    fn offer(&self, mut piece: Piece) -> std::io::Result<()> {
        let gone = || {
            std::io::Error::new(
                std::io::ErrorKind::BrokenPipe,
                "the export stream was cancelled",
            )
        };
        loop {
            if self.cancelled.load(Ordering::Relaxed) {
                return Err(gone());
            }
            if self.session.is_closing() {
                return Err(std::io::Error::new(
                    std::io::ErrorKind::BrokenPipe,
                    "the database was closed during the export",
                ));
            }
            match self.sender.try_send(piece) {
                Ok(()) => return Ok(()),
                Err(TrySendError::Full(back)) => {
                    piece = back;
                    std::thread::sleep(CANCEL_POLL);
                }
                Err(TrySendError::Disconnected(_)) => return Err(gone()),
            }
        }
    }

    fn send_pending(&mut self) -> std::io::Result<()> {
        if self.pending.is_empty() {
            return Ok(());
        }
        let chunk = std::mem::replace(&mut self.pending, Vec::with_capacity(CHUNK_BYTES));
        self.offer(Piece::Chunk(chunk))
    }
}

impl Write for ChannelWriter {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.pending.extend_from_slice(bytes);
        if self.pending.len() >= CHUNK_BYTES {
            self.send_pending()?;
        }
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.send_pending()
    }
}
