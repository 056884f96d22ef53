#!/usr/bin/env bash
# File-to-file metadata removal over the fixture corpus, all tools in the same run:
#   vitrine clean --max-side 100000 (a lossless strip of every fixture)
#   exiftool -all= -o OUTDIR, batched through -stay_open True -@ ARGFILE (its fastest mode)
#   mat2 --inplace on copies (it re-encodes; measured on fewer copies, see MAT2_REPS)
#   cp (the copy floor)
# then, for each tool's output of one copy of the corpus: files where exiftool still finds
# non-structural tags, and files that no longer look like the original as displayed (EXIF
# orientation applied by ImageMagick's -auto-orient, 32×32 grid, mean abs difference).
#
# Usage: scripts/bench-files.sh            (after: cargo build --release -p vitrine-cli)
# Env: FIXTURES, VITRINE, MIN_FILES (default 1000), RUNS (best of, default 3), MAT2_REPS (1).
# Needs: exiftool; optional: mat2, ImageMagick (/usr/bin/convert or magick), python3.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
FIXTURES=${FIXTURES:-$ROOT/../shared/fixtures/photos}
VITRINE=${VITRINE:-$ROOT/target/release/vitrine}
MIN_FILES=${MIN_FILES:-1000}
RUNS=${RUNS:-3}
MAT2_REPS=${MAT2_REPS:-1}

[[ -x $VITRINE ]] || { echo "build first: cargo build --release -p vitrine-cli" >&2; exit 2; }
command -v exiftool >/dev/null || { echo "exiftool is required" >&2; exit 2; }
HAVE_MAT2=0; command -v mat2 >/dev/null && HAVE_MAT2=1
CONVERT=""
for c in magick /usr/bin/convert; do
  if command -v "$c" >/dev/null && "$c" -version 2>/dev/null | grep -q ImageMagick; then CONVERT=$c; break; fi
done

WORK=$(mktemp -d "${TMPDIR:-/tmp}/vitrine-bench.XXXXXX")
trap 'rm -rf "$WORK"' EXIT

mapfile -t ORIGINALS < <(find "$FIXTURES" -maxdepth 1 -type f \
  \( -iname '*.jpg' -o -iname '*.jpeg' -o -iname '*.png' -o -iname '*.webp' \) | sort)
N=${#ORIGINALS[@]}
(( N > 0 )) || { echo "no fixtures in $FIXTURES" >&2; exit 2; }
REPS=$(( (MIN_FILES + N - 1) / N ))

mkdir "$WORK/in"
for ((r = 1; r <= REPS; r++)); do
  for f in "${ORIGINALS[@]}"; do cp "$f" "$WORK/in/r${r}__$(basename "$f")"; done
done
FILES=$(find "$WORK/in" -type f | wc -l)
BYTES=$(find "$WORK/in" -type f -printf '%s\n' | awk '{s += $1} END {print s}')

now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.4f", b - a}'; }
best() { printf '%s\n' "$@" | sort -g | head -1; }

run_vitrine() {
  rm -rf "$WORK/out_vitrine"; mkdir "$WORK/out_vitrine"
  local t0; t0=$(now)
  "$VITRINE" clean "$WORK"/in/* -o "$WORK/out_vitrine" --max-side 100000 >/dev/null
  elapsed "$t0" "$(now)"
}

run_exiftool() {
  rm -rf "$WORK/out_exiftool"; mkdir "$WORK/out_exiftool"
  { printf -- '-all=\n-o\n%s/\n' "$WORK/out_exiftool"; printf '%s\n' "$WORK"/in/*
    printf -- '-execute\n-stay_open\nFalse\n'; } > "$WORK/exiftool.args"
  local t0; t0=$(now)
  exiftool -stay_open True -@ "$WORK/exiftool.args" >/dev/null 2>"$WORK/exiftool.err" || true
  elapsed "$t0" "$(now)"
}

run_cp() {
  rm -rf "$WORK/out_cp"; mkdir "$WORK/out_cp"
  local t0; t0=$(now)
  cp "$WORK"/in/* "$WORK/out_cp/"
  elapsed "$t0" "$(now)"
}

MAT2_FILES=0; MAT2_BYTES=0
run_mat2() {
  local t0; t0=$(now)
  mat2 --inplace "$WORK"/out_mat2/* >"$WORK/mat2.log" 2>&1 || true
  elapsed "$t0" "$(now)"
}

echo "corpus: $N fixtures × $REPS = $FILES files, $BYTES bytes; best of $RUNS runs" >&2
# Other work on the machine skews every CPU-bound figure: record it with the results.
LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
declare -A T
for tool in vitrine exiftool cp; do
  times=()
  for ((i = 0; i < RUNS; i++)); do times+=("$("run_$tool")"); done
  T[$tool]=$(best "${times[@]}")
  echo "$tool: ${times[*]} s" >&2
done
if (( HAVE_MAT2 )); then
  rm -rf "$WORK/out_mat2"; mkdir "$WORK/out_mat2"
  for ((r = 1; r <= MAT2_REPS; r++)); do cp "$WORK"/in/r${r}__* "$WORK/out_mat2/"; done
  MAT2_FILES=$(find "$WORK/out_mat2" -type f | wc -l)
  MAT2_BYTES=$(find "$WORK/out_mat2" -type f -printf '%s\n' | awk '{s += $1} END {print s}')
  T[mat2]=$(run_mat2)
  echo "mat2 (1 run, $MAT2_FILES files): ${T[mat2]} s" >&2
fi

LOAD_AFTER=$(cut -d' ' -f1-3 /proc/loadavg)
echo "load average before: $LOAD_BEFORE, after: $LOAD_AFTER ($(nproc) cores)" >&2

# ---- quality of each tool's output, on the first copy of the corpus ----
QUALITY=$(python3 - "$WORK" "$CONVERT" "$HAVE_MAT2" <<'PY'
import json, os, subprocess, sys
work, convert, have_mat2 = sys.argv[1], sys.argv[2], sys.argv[3] == "1"
names = sorted(n[4:] for n in os.listdir(f"{work}/in") if n.startswith("r1__"))

def tags(paths):
    out = subprocess.run(["exiftool", "-j", "-G1", "-a", "-u", "-n", *paths],
                         capture_output=True, text=True).stdout
    return {os.path.basename(r["SourceFile"]): r for r in json.loads(out or "[]")}

def structural(key, orientation):
    group, _, tag = key.partition(":")
    if not tag:
        return key == "SourceFile"
    if group in ("System", "ExifTool"):
        return tag not in ("Warning", "Error")
    allowed = {
        "Composite": {"ImageSize", "Megapixels"},
        "File": {"FileType", "FileTypeExtension", "MIMEType", "ImageWidth", "ImageHeight",
                 "EncodingProcess", "BitsPerSample", "ColorComponents", "YCbCrSubSampling"},
        "JFIF": {"JFIFVersion", "ResolutionUnit", "XResolution", "YResolution"},
        "APP14": {"DCTEncodeVersion", "APP14Flags0", "APP14Flags1", "ColorTransform"},
        "Adobe": {"DCTEncodeVersion", "APP14Flags0", "APP14Flags1", "ColorTransform"},
        "PNG": {"ImageWidth", "ImageHeight", "BitDepth", "ColorType", "Compression", "Filter",
                "Interlace", "Palette", "Transparency"},
        "RIFF": {"VP8Version", "ImageWidth", "ImageHeight", "HorizontalScale", "VerticalScale",
                 "WebP_Flags", "AlphaIsUsed"},
    }
    if group == "File" and tag == "ExifByteOrder":
        return orientation != 1
    if group == "IFD0":
        return tag == "Orientation" and orientation != 1
    return tag in allowed.get(group, set())

def grid(path):
    if not convert:
        return None
    r = subprocess.run([convert, path, "-auto-orient", "-colorspace", "sRGB", "-resize", "32x32!",
                        "-depth", "8", "rgb:-"], capture_output=True)
    return r.stdout if r.returncode == 0 and len(r.stdout) == 32 * 32 * 3 else None

originals = {n: f"{work}/in/r1__{n}" for n in names}
orig_tags = tags(list(originals.values()))
orig_grid = {n: grid(p) for n, p in originals.items()}
rotated = [n for n in names
           if int(orig_tags.get(f"r1__{n}", {}).get("IFD0:Orientation", 1) or 1) not in (0, 1)]
result = {"distinct": len(names), "rotated": len(rotated), "tools": {}}
tools = ["vitrine", "exiftool", "cp"] + (["mat2"] if have_mat2 else [])
for tool in tools:
    outs = {n: f"{work}/out_{tool}/r1__{n}" for n in names}
    present = {n: p for n, p in outs.items() if os.path.exists(p)}
    t = tags(list(present.values()))
    left, wrong, looks_different, missing = [], [], [], sorted(set(names) - set(present))
    for n, p in present.items():
        rec = t.get(f"r1__{n}", {})
        o = int(rec.get("IFD0:Orientation", 1) or 1)
        if any(not structural(k, o) for k in rec):
            left.append(n)
        a, b = orig_grid[n], grid(p)
        if a is not None and b is not None:
            diff = sum(abs(x - y) for x, y in zip(a, b)) / len(a)
            if diff > 12:
                looks_different.append(n)
                if n in rotated:
                    wrong.append(n)
    result["tools"][tool] = {"files": len(present), "missing": missing, "metadata_left": left,
                             "wrongly_oriented": wrong, "looks_different": looks_different,
                             "checked_pixels": bool(convert)}
print(json.dumps(result))
PY
)
echo "$QUALITY" > "$WORK/quality.json"

# ---- the table ----
echo "Load average before the timings: $LOAD_BEFORE, after: $LOAD_AFTER ($(nproc) cores)."
echo
python3 - "$FILES" "$BYTES" "${T[vitrine]}" "${T[exiftool]}" "${T[cp]}" "${T[mat2]:-}" \
  "$MAT2_FILES" "$MAT2_BYTES" "$WORK/quality.json" <<'PY'
import json, sys
files, nbytes = int(sys.argv[1]), int(sys.argv[2])
tv, te, tc = map(float, sys.argv[3:6])
tm = float(sys.argv[6]) if sys.argv[6] else None
mf, mb = int(sys.argv[7]), int(sys.argv[8])
q = json.load(open(sys.argv[9]))
rows = [("vitrine clean --max-side 100000", "vitrine", files, nbytes, tv),
        ("exiftool -all= -o DIR (-stay_open batch)", "exiftool", files, nbytes, te)]
if tm is not None:
    rows.append(("mat2 --inplace (copies)", "mat2", mf, mb, tm))
rows.append(("cp", "cp", files, nbytes, tc))
vit_fps = files / tv
print(f"| tool | files | MB | best time (s) | files/s | MB/s | time per file vs vitrine | metadata left (of {q['distinct']}) | wrongly oriented (of {q['rotated']} rotated) | looks different |")
print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
for label, key, n, b, t in rows:
    fq = q["tools"][key]
    fps = n / t
    print(f"| {label} | {n} | {b/1e6:.1f} | {t:.3f} | {fps:,.0f} | {b/1e6/t:,.1f} | {vit_fps/fps:.2f} | "
          f"{len(fq['metadata_left'])} | {len(fq['wrongly_oriented'])} | {len(fq['looks_different'])} |")
print()
for key, fq in q["tools"].items():
    for what in ("missing", "metadata_left", "wrongly_oriented", "looks_different"):
        if fq[what]:
            print(f"- {key} {what.replace('_', ' ')}: {', '.join(fq[what])}")
    if not fq["checked_pixels"]:
        print(f"- {key}: pixels not compared (ImageMagick missing)")
PY
