//! Replays every fuzz target's body over its seed corpus (`fuzz/corpus/<target>/*`) on stable,
//! so the corpus (seeds, and any crash reproducer added to it) is a regression test without
//! nightly or libFuzzer. The bodies are the very ones the fuzz binaries run.

#[path = "../../fuzz/bodies.rs"]
mod bodies;
#[path = "../../fuzz/replay.rs"]
mod replay;

#[test]
fn every_fuzz_target_accepts_its_whole_corpus() {
    replay::replay_corpora(&bodies::TARGETS);
}
