//! Replays every server fuzz target's body over its seed corpus (`fuzz/corpus/<target>/*`) on stable,
//! so the corpus (seeds, and any crash reproducer added to it) is a regression test without
//! nightly or libFuzzer. The bodies are the very ones the fuzz binaries run.
#![allow(clippy::unwrap_used)]

#[path = "../../fuzz/server_bodies.rs"]
mod server_bodies;

use std::path::PathBuf;

#[test]
fn every_server_fuzz_target_accepts_its_whole_corpus() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../fuzz/corpus");
    let mut replayed = 0usize;
    for (target, body) in server_bodies::TARGETS {
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
}
