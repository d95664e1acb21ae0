#!/usr/bin/env bash
# bench/run.sh: reproduces docs/BENCHMARKS.md (the part between its run.sh
# markers) and docs/benchmarks.png.
#
#   bench/run.sh                 # everything, 20 runs per configuration
#   RUNS=5 bench/run.sh          # quicker, noisier
#   BUILD=build-x bench/run.sh   # another build directory
#
# For digits and the five torchvision nets it builds cdl, generates the
# models if missing, makes a device key (the host TEE's, state in
# $BUILD/bench-run/tee-state) and a provider key, packs each model for the
# device, and runs `cdl bench --json` on it: the plain engine, the TEE in
# resident mode (secure heap $RESIDENT_HEAP, enough for resnet18's weights)
# and in stream mode (heap $STREAM_HEAP; a model whose activations alone do
# not fit is measured again at the smallest heap in whole MiB that holds
# them, and the table says so), and ONNX Runtime (1 thread) on the same
# input. Then $THREAD_MODELS again with $THREADS threads per inference
# (default: the CPU count, at least 2) in every configuration but stream,
# then bench_kernels (one line per kernel variant), the machine, and the
# plot. A benchmark reports figures: nothing here fails on a target.
set -euo pipefail
cd "$(dirname "$0")/.."

BUILD=${BUILD:-build}
RUNS=${RUNS:-20}
RESIDENT_HEAP=${RESIDENT_HEAP:-96M}
STREAM_HEAP=${STREAM_HEAP:-4M}
MODELS=${MODELS:-"digits mobilenet_v2 resnet18 squeezenet1_1 shufflenet_v2_x1_0 mobilenet_v3_small"}
THREAD_MODELS=${THREAD_MODELS:-"resnet18 mobilenet_v2"}
THREADS=${THREADS:-$(nproc)}
[ "$THREADS" -ge 2 ] || THREADS=2
DOC=docs/BENCHMARKS.md
PNG=docs/benchmarks.png
W=$BUILD/bench-run
CDL=$BUILD/cdl

say() { printf '%s\n' "$*" >&2; }

say "== build ($BUILD)"
cmake -S . -B "$BUILD" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$BUILD" -j"$(nproc)" --target cdl cdl-tee bench_kernels >/dev/null

say "== models"
/usr/bin/python3 scripts/make_models.py --if-missing >&2

mkdir -p "$W"
export CDL_TEE_DIR=$PWD/$W/tee-state
mkdir -p "$CDL_TEE_DIR" && chmod 700 "$CDL_TEE_DIR"
unset CDL_TEE_SOCKET
"$CDL" device-key -o "$W/device.pub" 2>/dev/null
[ -f "$W/provider.key" ] || "$CDL" keygen -o "$W/provider" >/dev/null

# The resident runs use a long-lived `cdl-tee --listen` service, as a device
# runs its TEE: its secure heap is faulted in once when it starts, not by the
# first model load (src/tee/host/heap.c); stream and thread runs spawn theirs.
SOCK=$PWD/$W/tee.sock
rm -f "$SOCK"
"$BUILD/cdl-tee" --listen "$SOCK" --heap-size "$RESIDENT_HEAP" &
TEE_PID=$!
trap 'kill $TEE_PID 2>/dev/null || true' EXIT
for _ in $(seq 100); do [ -S "$SOCK" ] && break; sleep 0.1; done

onnx_of() {
	if [ "$1" = digits ]; then echo models/digits/model.onnx; else echo "models/cache/$1/model.onnx"; fi
}

load_start=$(cut -d' ' -f1-3 /proc/loadavg)
for m in $MODELS; do
	onnx=$(onnx_of "$m")
	say "== $m"
	"$CDL" pack "$onnx" --to "$W/device.pub" --sign "$W/provider.key" -o "$W/$m.cdlm" --quiet
	# plain and resident interleaved; stream mode in a run of its own: its
	# per-inference decryption would evict the resident runs' weights from
	# the caches between their rounds
	"$CDL" bench "$W/$m.cdlm" --baseline "$onnx" -n "$RUNS" --tee "$SOCK" \
		--configs plain,tee_resident,onnxruntime --json >"$W/$m.json" || true
	"$CDL" bench "$W/$m.cdlm" --baseline "$onnx" -n "$RUNS" --configs tee_stream \
		--stream-heap "$STREAM_HEAP" --json >"$W/$m.stream.json" || true
	# activations alone larger than the stream heap: again at the least heap
	# in whole MiB that holds them (the TA's message says how much it needs)
	src=$W/$m.stream.json
	prev=0
	for try in 1 2 3 4 5 6; do
		need=$(/usr/bin/python3 - "$src" "$prev" <<'PY'
import json, math, re, sys
d = json.load(open(sys.argv[1]))
prev = int(sys.argv[2])
err = d.get("errors", {}).get("tee_stream", "")
m = re.search(r"needs (?:at least )?([0-9.]+) MiB", err)
if m and d["results"]["tee_stream"] is None:
    print(max(math.ceil(float(m.group(1))), prev + 1))
PY
)
		[ -n "$need" ] || break
		say "   stream mode does not fit: again at ${need}M"
		"$CDL" bench "$W/$m.cdlm" --baseline "$onnx" -n "$RUNS" --configs tee_stream \
			--stream-heap "${need}M" --json >"$W/$m.stream.json" || true
		src=$W/$m.stream.json
		prev=$need
	done
done
for m in $THREAD_MODELS; do
	onnx=$(onnx_of "$m")
	say "== $m, $THREADS threads"
	[ -f "$W/$m.cdlm" ] || "$CDL" pack "$onnx" --to "$W/device.pub" --sign "$W/provider.key" \
		-o "$W/$m.cdlm" --quiet
	CDL_TEE_HEAP=$RESIDENT_HEAP "$CDL" bench "$W/$m.cdlm" --baseline "$onnx" -n "$RUNS" \
		--threads "$THREADS" --configs plain,tee_resident,onnxruntime --json \
		>"$W/$m.threads.json" || true
done
load_end=$(cut -d' ' -f1-3 /proc/loadavg)

say "== kernels"
"$BUILD/bench_kernels" >"$W/kernels.txt"

say "== report"
cpu=$(lscpu | sed -n 's/^Model name:[ \t]*//p' | head -n1)
cores=$(nproc)
kernel=$(uname -sr)
ort=$(node -e "console.log(require('onnxruntime-node/package.json').version)" 2>/dev/null || echo "?")
/usr/bin/python3 - "$W" "$DOC" "$PNG" "$cpu" "$cores" "$kernel" "$load_start" "$load_end" \
	"$RUNS" "$RESIDENT_HEAP" "$STREAM_HEAP" "$ort" "$MODELS" "$THREADS" "$THREAD_MODELS" <<'PY'
import datetime, json, os, subprocess, sys

(w, doc, png, cpu, cores, kernel, load0, load1, runs, rheap, sheap, ort,
 models, threads, thread_models) = sys.argv[1:16]
models = models.split()
rows = []
for m in models:
    d = json.load(open(os.path.join(w, m + ".json")))
    r = dict(d["results"])
    err = dict(d.get("errors", {}))
    heap = sheap
    sp = os.path.join(w, m + ".stream.json")
    if os.path.exists(sp):
        s = json.load(open(sp))
        r["tee_stream"] = s["results"]["tee_stream"]
        if r["tee_stream"] is None:
            err["tee_stream"] = s.get("errors", {}).get("tee_stream", "failed")
        else:
            err.pop("tee_stream", None)
        heap = s["tee"]["stream"].get("heap", "?")
    tee = d["tee"]["resident"]
    open_gbs = None
    if tee.get("load_ms") and tee.get("package_bytes"):
        open_gbs = tee["package_bytes"] / (tee["load_ms"] / 1e3) / 1e9
    rows.append((m, r, err, heap, open_gbs, d.get("check", {})))

def ms(v):
    if v is None:
        return "—"
    x = v["median_ms"]
    return "%.3f" % x if x < 1 else "%.2f" % x if x < 100 else "%.1f" % x

def ratio(a, b, key="median_ms"):
    if a is None or b is None or not b[key]:
        return "—"
    return "%.2f×" % (a[key] / b[key])

out = []
out.append("Measured %s UTC by `bench/run.sh` (RUNS=%s): median of %s runs per configuration, "
           "2 warm-up runs first (ONNX Runtime: 3), single thread, batch 1, the same input "
           "for every configuration." % (
               datetime.datetime.utcnow().strftime("%Y-%m-%d %H:%M"), runs, runs))
out.append("")
out.append("Machine: %s, %s cores (lscpu), %s; load average %s at the start, %s at the end "
           "(1, 5, 15 min; a shared machine: others were building and testing while this ran). "
           "ONNX Runtime %s (onnxruntime-node, CPU provider, 1 intra-op thread, all graph "
           "optimisations)." % (cpu, cores, kernel, load0, load1, ort))
out.append("")
out.append("| model | plain ms | TEE resident ms | TEE stream ms (heap) | ONNX Runtime ms "
           "| resident / ORT | plain / ORT | resident / plain | stream / resident "
           "| resident / ORT, fastest runs | resident / plain, fastest runs "
           "| package open GB/s |")
out.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
for m, r, err, heap, gbs, chk in rows:
    stream = ms(r["tee_stream"]) + " (%s)" % heap if r["tee_stream"] else "— (%s)" % heap
    out.append("| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |" % (
        m, ms(r["plain"]), ms(r["tee_resident"]), stream, ms(r["onnxruntime"]),
        ratio(r["tee_resident"], r["onnxruntime"]), ratio(r["plain"], r["onnxruntime"]),
        ratio(r["tee_resident"], r["plain"]), ratio(r["tee_stream"], r["tee_resident"]),
        ratio(r["tee_resident"], r["onnxruntime"], "min_ms"),
        ratio(r["tee_resident"], r["plain"], "min_ms"),
        "%.2f" % gbs if gbs else "—"))
out.append("")
out.append("Ratios are of medians, except the two \"fastest runs\" columns: minimum over "
           "minimum, the runs the neighbours disturbed least. On a loaded machine the TEE "
           "configurations also wait for the `cdl-tee` process to be scheduled at each call, "
           "which the medians show and the minima mostly do not.")
out.append("")
notes = [(m, k, e) for m, r, err, heap, gbs, chk in rows for k, e in err.items()]
if notes:
    out.append("Configurations that did not run:")
    out.append("")
    for m, k, e in notes:
        out.append("- %s, %s: %s" % (m, k, e))
    out.append("")
diffs = ["%s %g" % (m, chk["plain_vs_tee_max_abs_diff"]) for m, r, err, heap, gbs, chk in rows
         if "plain_vs_tee_max_abs_diff" in chk]
if diffs:
    out.append("Largest difference between the plain engine's and the TEE's outputs: %s."
               % ", ".join(diffs))
    out.append("")
trows = []
for m in thread_models.split():
    p = os.path.join(w, m + ".threads.json")
    if not os.path.exists(p) or m not in models:
        continue
    t = json.load(open(p))
    one = next(r for mm, r, err, heap, gbs, chk in rows if mm == m)
    trows.append((m, one, t["results"], t["tee"]["resident"].get("workers")))
if trows:
    out.append("With %s threads per inference (`--threads %s`: a worker pool for the plain "
               "engine, `cdl-tee --threads %s`, ONNX Runtime's intra-op threads), the same "
               "run; the one-thread figures are the table's above:" % (threads, threads, threads))
    out.append("")
    out.append("| model | plain ms | TEE resident ms (TA threads) | ONNX Runtime ms "
               "| resident / ORT | TEE speed-up over 1 thread | ORT speed-up over 1 thread |")
    out.append("|---|---:|---:|---:|---:|---:|---:|")
    for m, one, r, workers in trows:
        out.append("| %s | %s | %s (%s) | %s | %s | %s | %s |" % (
            m, ms(r["plain"]), ms(r["tee_resident"]), workers if workers else "?",
            ms(r["onnxruntime"]), ratio(r["tee_resident"], r["onnxruntime"]),
            ratio(one["tee_resident"], r["tee_resident"]),
            ratio(one["onnxruntime"], r["onnxruntime"])))
    out.append("")
out.append("![latency per model and mode, and cdl / ONNX Runtime](benchmarks.png)")
out.append("")
out.append("Kernels (`%s/bench_kernels`: thread CPU time, median of repetitions; peak = "
           "the rate of a calibrated FMA loop on one core):" % os.path.dirname(w))
out.append("")
out.append("```")
out.extend(open(os.path.join(w, "kernels.txt")).read().rstrip("\n").split("\n"))
out.append("```")
out.append("")
out.append("Commands (what `bench/run.sh` runs, per model M):")
out.append("")
out.append("```")
out.append("/usr/bin/python3 scripts/make_models.py --if-missing")
out.append("export CDL_TEE_DIR=$BUILD/bench-run/tee-state")
out.append("$BUILD/cdl device-key -o device.pub; $BUILD/cdl keygen -o provider")
out.append("$BUILD/cdl pack models/cache/M/model.onnx --to device.pub --sign provider.key -o M.cdlm")
out.append("$BUILD/cdl-tee --listen tee.sock --heap-size %s &" % rheap)
out.append("$BUILD/cdl bench M.cdlm --baseline models/cache/M/model.onnx -n %s --tee tee.sock \\" % runs)
out.append("    --configs plain,tee_resident,onnxruntime --json")
out.append("$BUILD/cdl bench M.cdlm --baseline ... -n %s --configs tee_stream --stream-heap %s --json" % (runs, sheap))
out.append("# stream mode, when the activations need more than %s:" % sheap)
out.append("$BUILD/cdl bench M.cdlm --baseline ... -n %s --configs tee_stream --stream-heap NEEDED --json" % runs)
out.append("# threads: for M in %s" % thread_models)
out.append("CDL_TEE_HEAP=%s $BUILD/cdl bench M.cdlm --baseline ... -n %s --threads %s \\" % (rheap, runs, threads))
out.append("    --configs plain,tee_resident,onnxruntime --json")
out.append("$BUILD/bench_kernels")
out.append("```")
block = "\n".join(out)

begin, end = "<!-- run.sh:begin -->", "<!-- run.sh:end -->"
text = open(doc).read() if os.path.exists(doc) else "# Benchmarks\n\n%s\n%s\n" % (begin, end)
if begin not in text or end not in text:
    text = text.rstrip("\n") + "\n\n%s\n%s\n" % (begin, end)
head, rest = text.split(begin, 1)
_, tail = rest.split(end, 1)
open(doc, "w").write(head + begin + "\n" + block + "\n" + end + tail)

# the plot: latency per model and mode (log scale), then cdl / ORT
dat = os.path.join(w, "plot.dat")
with open(dat, "w") as f:
    f.write("# model plain resident stream ort resident/ort plain/ort\n")
    for m, r, err, heap, gbs, chk in rows:
        g = lambda k: r[k]["median_ms"] if r[k] else float("nan")
        rat = lambda a, b: a / b if a == a and b == b and b else float("nan")
        f.write("%s %g %g %g %g %g %g\n" % (m, g("plain"), g("tee_resident"), g("tee_stream"),
                g("onnxruntime"), rat(g("tee_resident"), g("onnxruntime")),
                rat(g("plain"), g("onnxruntime"))))
gp = """
set terminal png size 1100,900 font ",10" noenhanced
set output '%s'
set multiplot layout 2,1 title "cdl latency, 1 thread, batch 1 (%s)"
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.85 border -1
set boxwidth 0.9
set xtics nomirror rotate by -15
set grid ytics
# keys above the bars: room at the top of each panel, opaque key boxes
set key top left horizontal opaque box
set logscale y
set yrange [0.001:2000]
set ylabel "median latency (ms, log scale)"
plot '%s' using 2:xtic(1) title "plain engine", '' using 3 title "TEE resident", \\
     '' using 4 title "TEE stream (%s or what the activations need)", '' using 5 title "ONNX Runtime"
unset logscale y
set ylabel "latency / ONNX Runtime"
set yrange [0:*]
set key below horizontal
plot '%s' using 6:xtic(1) title "TEE resident / ORT", '' using 7 title "plain / ORT", \\
     1.25 with lines lw 2 dt 2 lc rgb "black" title "target 1.25", \\
     1.0 with lines lw 1 lc rgb "gray" title "1.0"
unset multiplot
""" % (png, cpu.replace('"', ''), dat, sheap, dat)
open(os.path.join(w, "plot.gp"), "w").write(gp)
subprocess.run(["gnuplot", os.path.join(w, "plot.gp")], check=True)
print(block)
PY
say "== wrote $DOC and $PNG"
