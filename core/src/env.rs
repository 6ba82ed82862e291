//! What the log takes from its environment — time and randomness — behind small traits, so
//! tests and the vector generator can inject fixed values and replay runs exactly.

use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use rand_chacha::ChaCha20Rng;
use rand_chacha::rand_core::{Rng as _, SeedableRng as _};

use crate::entry::Hash;

/// A source of wall-clock time in microseconds since the Unix epoch.
pub trait Clock: Send + Sync + std::fmt::Debug {
    /// The current time.
    fn now_us(&self) -> u64;
}

/// The system clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now_us(&self) -> u64 {
        let since_epoch = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default();
        u64::try_from(since_epoch.as_micros()).unwrap_or(u64::MAX)
    }
}

/// A clock that starts at a fixed time and advances by a fixed step on every reading.
#[derive(Debug)]
pub struct SteppingClock {
    next_us: AtomicU64,
    step_us: u64,
}

impl SteppingClock {
    /// Starts at `start_us`, advancing `step_us` per reading.
    pub fn new(start_us: u64, step_us: u64) -> SteppingClock {
        SteppingClock {
            next_us: AtomicU64::new(start_us),
            step_us,
        }
    }

    /// Moves the clock (backwards too, to test timestamp monotonicity).
    pub fn set(&self, now_us: u64) {
        self.next_us.store(now_us, Ordering::SeqCst);
    }
}

impl Clock for SteppingClock {
    fn now_us(&self) -> u64 {
        self.next_us.fetch_add(self.step_us, Ordering::SeqCst)
    }
}

/// A source of record salts: 32 bytes of cryptographically secure randomness per entry.
pub trait SaltSource: Send + Sync + std::fmt::Debug {
    /// Fills `salts` with fresh salts.
    fn fill(&self, salts: &mut [Hash]);
}

/// Salts from ChaCha20: seeded from the operating system (the default), or from a fixed
/// seed for test vectors and simulations.
#[derive(Debug)]
pub struct ChaChaSalts {
    rng: Mutex<ChaCha20Rng>,
}

/// The default salt source.
pub type OsSalts = ChaChaSalts;

impl ChaChaSalts {
    /// A generator seeded from the operating system.
    pub fn new() -> Result<ChaChaSalts, getrandom::Error> {
        let mut seed = [0u8; 32];
        getrandom::fill(&mut seed)?;
        let salts = ChaChaSalts {
            rng: Mutex::new(ChaCha20Rng::from_seed(seed)),
        };
        seed.fill(0);
        Ok(salts)
    }

    /// Deterministic salts from `seed`: for test vectors and simulations only, never
    /// production (a predictable salt lets anyone guess withheld low-entropy fields).
    pub fn insecure_from_seed(seed: u64) -> ChaChaSalts {
        ChaChaSalts {
            rng: Mutex::new(ChaCha20Rng::seed_from_u64(seed)),
        }
    }
}

impl SaltSource for ChaChaSalts {
    fn fill(&self, salts: &mut [Hash]) {
        // The generator has no invariant a panicking holder could break.
        let mut rng = self
            .rng
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        for salt in salts {
            rng.fill_bytes(salt);
        }
    }
}

/// Deterministic salts (see [`ChaChaSalts::insecure_from_seed`]).
pub type SeededSalts = ChaChaSalts;
