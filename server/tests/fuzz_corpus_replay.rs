//! Replays every server fuzz target's body over its seed corpus (`fuzz/corpus/<target>/*`) on stable,
//! so the corpus (seeds, and any crash reproducer added to it) is a regression test without
//! nightly or libFuzzer. The bodies are the very ones the fuzz binaries run.

#[path = "../../fuzz/replay.rs"]
mod replay;
#[path = "../../fuzz/server_bodies.rs"]
mod server_bodies;

#[test]
fn every_server_fuzz_target_accepts_its_whole_corpus() {
    replay::replay_corpora(&server_bodies::TARGETS);
}
