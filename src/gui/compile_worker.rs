//! Compiling and linting a large rule set off the UI thread.
//!
//! A mature rule set (1,000 rules) takes seconds to compile and lint; doing
//! that on every keystroke would freeze the window. One worker thread takes
//! the newest request only ("latest wins"), so typing never queues up work.

use std::sync::mpsc::{Receiver, Sender, channel};
use std::sync::{Arc, Condvar, Mutex};

use super::document::Compiled;
use crate::engine::RuleSet;
use crate::i18n::Lang;

/// Rule sets up to this size compile inline: it takes a few milliseconds and
/// keeps results exact in the same frame.
pub const INLINE_RULES: usize = 300;

/// Generation, rules, batch hits, and the UI language the lint messages are written in.
type Request = (u64, RuleSet, Option<Vec<usize>>, Lang);

/// A background compiler with a one-slot mailbox.
pub struct CompileWorker {
    slot: Arc<(Mutex<Option<Request>>, Condvar)>,
    results: Receiver<Compiled>,
    /// Generation of the newest request not yet answered.
    pub pending: Option<u64>,
}

impl CompileWorker {
    /// Starts the worker thread.
    pub fn start() -> CompileWorker {
        let slot: Arc<(Mutex<Option<Request>>, Condvar)> = Arc::new((Mutex::new(None), Condvar::new()));
        let (tx, results): (Sender<Compiled>, _) = channel();
        let worker_slot = slot.clone();
        std::thread::Builder::new()
            .name("bouncelab-compile".into())
            .spawn(move || {
                loop {
                    let (generation, rules, hits, lang) = {
                        let (lock, cv) = &*worker_slot;
                        let mut guard = lock.lock().unwrap_or_else(|p| p.into_inner());
                        loop {
                            if let Some(req) = guard.take() {
                                break req;
                            }
                            guard = cv.wait(guard).unwrap_or_else(|p| p.into_inner());
                        }
                    };
                    // The language is per thread: lint messages follow the UI's.
                    lang.make_current();
                    let compiled = Compiled::new(&rules, generation, hits.as_deref());
                    if tx.send(compiled).is_err() {
                        return; // The document is gone.
                    }
                }
            })
            .expect("spawning a thread");
        CompileWorker { slot, results, pending: None }
    }

    /// Asks for a compile with messages in `lang`; replaces any request not started yet.
    pub fn request(&mut self, generation: u64, rules: RuleSet, hits: Option<Vec<usize>>, lang: Lang) {
        let (lock, cv) = &*self.slot;
        *lock.lock().unwrap_or_else(|p| p.into_inner()) = Some((generation, rules, hits, lang));
        cv.notify_one();
        self.pending = Some(generation);
    }

    /// The newest finished compile, if one arrived; stale ones are dropped.
    pub fn poll(&mut self) -> Option<Compiled> {
        let c = self.results.try_iter().last()?;
        if self.pending == Some(c.generation) {
            self.pending = None;
        }
        Some(c)
    }
}
