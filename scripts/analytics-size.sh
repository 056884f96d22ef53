#!/usr/bin/env bash
# The analytics client's download beside a named peer, measured in one run (BENCHMARKS.md,
# "Analytics"): what `Vitrine.track` makes a page fetch (analytics.js, the wasm-bindgen glue and
# the analytics WASM) and the loader's share, vs Amplitude's browser SDK bundle
# (@amplitude/analytics-browser 2.48.1, lib/scripts/amplitude-min.js, from the npm registry).
# Needs `cargo xtask build-widget` first. gzip -9 sizes.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
gz() { gzip -9 -c "$1" | wc -c; }
peer="$(mktemp -d)"
trap 'rm -rf "$peer"' EXIT
(cd "$peer" && npm pack --silent @amplitude/analytics-browser@2.48.1 >/dev/null && tar xzf ./*.tgz)
ours=0
printf '| file | bytes | gzipped |\n|---|---:|---:|\n'
for f in www/analytics.js pkg/vitrine_analytics.js pkg/vitrine_analytics_bg.wasm; do
  b=$(wc -c < "$root/$f"); g=$(gz "$root/$f"); ours=$((ours + g))
  printf '| `%s` | %d | %d |\n' "$f" "$b" "$g"
done
amp="$peer/package/lib/scripts/amplitude-min.js"
printf '| **Vitrine analytics, total** | | **%d** |\n' "$ours"
printf '| Amplitude browser SDK 2.48.1 (`amplitude-min.js`) | %d | %d |\n' "$(wc -c < "$amp")" "$(gz "$amp")"
printf '\nratio (ours / Amplitude, gzipped): %.2f\n' "$(echo "$ours / $(gz "$amp")" | bc -l)"
# The loader's analytics lines (track, setConsent, the lazy import), measured by removing them.
without="$(mktemp)"
grep -v -E 'analytics|const use =|const changed =|setConsent|config.consent|vitrine.aid|changed\(\);|track: \(name|const at = Date.now|use\(\(a\) => a.track' "$root/www/vitrine.js" > "$without"
printf 'loader: %d B gzipped, of which analytics about %d B\n' "$(gz "$root/www/vitrine.js")" "$(( $(gz "$root/www/vitrine.js") - $(gz "$without") ))"
rm -f "$without"
