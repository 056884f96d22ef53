//! The stable replay of the fuzz corpora, shared by `core/tests/fuzz_corpus_replay.rs` (the core's
//! targets, `bodies.rs`) and `server/tests/fuzz_corpus_replay.rs` (the server's,
//! `server_bodies.rs`), which include it with `#[path]` as they include the bodies: so the corpus
//! (seeds, and any crash reproducer added to it) is a regression test without nightly or
//! libFuzzer.
#![allow(clippy::unwrap_used)]

use std::path::PathBuf;

/// A fuzz target: its name (its corpus directory's) and its body.
pub type Target<'a> = (&'a str, fn(&[u8]));

/// Runs each target's body over every file of its corpus (`fuzz/corpus/<target>/*`, in name
/// order); panics naming the target and the file when a body panics, or when a corpus is empty.
/// Returns how many files were replayed.
pub fn replay_corpora(targets: &[Target<'_>]) -> usize {
    // The including test's crate (core/ or server/) sits beside fuzz/.
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../fuzz/corpus");
    let mut replayed = 0usize;
    for &(target, body) in targets {
        let dir = root.join(target);
        let mut entries: Vec<_> = std::fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
            .map(|e| e.expect("entry").path())
            .filter(|p| p.is_file())
            .collect();
        entries.sort();
        assert!(!entries.is_empty(), "{target}: empty corpus");
        for path in entries {
            let data = std::fs::read(&path).expect("read corpus file");
            let outcome = std::panic::catch_unwind(|| body(&data));
            assert!(
                outcome.is_ok(),
                "fuzz target {target} panics on {}",
                path.display()
            );
            replayed += 1;
        }
    }
    eprintln!("replayed {replayed} corpus files");
    replayed
}
