#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""The cdl TA's worst-case stack depth, from GCC's own numbers.

Reads what `gcc -fstack-usage -fcallgraph-info=su -ffunction-sections`
wrote beside each object (FILE.ci: every function's frame size and its
direct calls) and the objects' relocations (`readelf -rW`), and computes the
deepest call chain from the TA entry points:

  depth(f) = frame(f) + max over callees c of depth(c)

- Direct calls come from the .ci call graph.
- Indirect calls (function pointers: op tables, GEMM micro-kernels and
  packing callbacks, the package reader's crypto callbacks, the TA's weight
  fetch) are resolved conservatively: an indirect call may reach any function
  whose address is taken anywhere in the TA (a relocation that is not a
  direct branch), except one already on the chain (no recursion through
  pointers in cdl's code: checked below for direct calls).
- A function outside the TA (GP API in libutee, libutils) counts as
  --external-frame bytes: libutee's wrappers are thin system-call stubs.
- Recursion among direct calls is reported and fails the run: its depth has
  no bound.

Prints the worst chain per entry point and a last line
`max_stack_bytes N` (N includes --entry-overhead for libutee's own frames
between the TA's entry and the TA_*EntryPoint function). With --limit L,
exits 1 when N > L.
"""
import argparse
import glob
import os
import re
import subprocess
import sys

ENTRY_POINTS = [
    "TA_CreateEntryPoint",
    "TA_DestroyEntryPoint",
    "TA_OpenSessionEntryPoint",
    "TA_CloseSessionEntryPoint",
    "TA_InvokeCommandEntryPoint",
]
INDIRECT = "__indirect_call"

NODE_RE = re.compile(r'^node: \{ title: "([^"]+)" label: "([^"]*)"')
EDGE_RE = re.compile(r'^edge: \{ sourcename: "([^"]+)" targetname: "([^"]+)"')
FRAME_RE = re.compile(r"\\n(\d+) bytes \((static|dynamic|dynamic,bounded)\)")


def base_name(title):
    """'src/x.c:f.isra.0' -> 'f'; 'g' -> 'g'."""
    name = title.rsplit(":", 1)[-1]
    return name.split(".", 1)[0]


def parse_ci(paths):
    frames = {}  # title -> bytes, for functions defined in the TA
    dynamic = []
    calls = {}  # title -> set of callee titles
    file_of = {}  # title -> source file it is defined in
    for path in paths:
        with open(path, encoding="utf-8") as f:
            src = None
            for line in f:
                if line.startswith("graph:"):
                    src = line.split('"')[1]
                m = NODE_RE.match(line)
                if m:
                    title, label = m.groups()
                    fm = FRAME_RE.search(label)
                    if fm:
                        frames[title] = int(fm.group(1))
                        file_of[title] = src
                        if fm.group(2) != "static":
                            dynamic.append(title)
                    continue
                m = EDGE_RE.match(line)
                if m:
                    calls.setdefault(m.group(1), set()).add(m.group(2))
    return frames, dynamic, calls, file_of


def address_taken(objects, readelf, frames, file_of):
    """Titles of TA functions referenced other than by a direct branch."""
    by_file_name = {}
    for title in frames:
        key = (file_of.get(title), title.rsplit(":", 1)[-1])
        by_file_name[key] = title
        if ":" not in title:  # global: reachable from any file
            by_file_name[(None, title)] = title
    taken = set()
    for obj, src in objects:
        out = subprocess.run([readelf, "-rW", obj], check=True, capture_output=True,
                             text=True).stdout
        section = ""
        for line in out.splitlines():
            if line.startswith("Relocation section"):
                section = line.split("'")[1]
                continue
            # Unwind tables and debug info name every function: not a use.
            if section.startswith((".rela.eh_frame", ".rela.debug")):
                continue
            parts = line.split()
            if len(parts) < 5 or not parts[2].startswith("R_AARCH64_"):
                continue
            if parts[2] in ("R_AARCH64_CALL26", "R_AARCH64_JUMP26"):
                continue
            sym = parts[4]
            if sym.startswith(".text."):
                sym = sym[len(".text."):]
            for key in ((src, sym), (None, sym)):
                if key in by_file_name:
                    taken.add(by_file_name[key])
    return taken


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("dir", help="directory holding the objects and their .ci files")
    ap.add_argument("--readelf", default="aarch64-linux-gnu-readelf")
    ap.add_argument("--external-frame", type=int, default=512,
                    help="bytes charged for a call into libutee/libutils")
    ap.add_argument("--entry-overhead", type=int, default=2048,
                    help="bytes of libutee's entry path above TA_*EntryPoint")
    ap.add_argument("--limit", type=int, help="fail when the worst depth exceeds this")
    ap.add_argument("--top", type=int, default=12, help="frames listed per chain")
    ap.add_argument("--indirect-levels", type=int, default=3,
                    help="nested indirect calls followed (cdl has 2: an op, then its "
                         "kernel or callback)")
    args = ap.parse_args()

    cis = sorted(glob.glob(os.path.join(args.dir, "*.ci")))
    if not cis:
        sys.exit(f"stack_usage: no .ci files in {args.dir}")
    frames, dynamic, calls, file_of = parse_ci(cis)
    objects = []
    for ci in cis:
        obj = ci[: -len(".ci")] + ".o"
        with open(ci, encoding="utf-8") as f:
            src = f.readline().split('"')[1]
        if os.path.exists(obj):
            objects.append((obj, src))
    taken = address_taken(objects, args.readelf, frames, file_of)
    if dynamic:
        print("functions with a dynamic stack frame (VLA/alloca):", " ".join(sorted(dynamic)))

    # Recursion among direct calls: its depth has no bound.
    recursion = []
    state = {}

    def visit(title, path):
        state[title] = 1
        for callee in calls.get(title, ()):
            if callee == INDIRECT or callee not in frames:
                continue
            if state.get(callee) == 1:
                recursion.append(" -> ".join(path[path.index(callee):] + [callee]))
            elif callee not in state:
                visit(callee, path + [callee])
        state[title] = 2

    sys.setrecursionlimit(10000)
    for title in frames:
        if title not in state:
            visit(title, [title])

    memo = {}

    def depth(title, level):
        """(bytes, chain) of the deepest call chain from title, following at
        most `level` more indirect calls (one frame past the last)."""
        key = (title, level)
        if key in memo:
            return memo[key]
        if title not in frames:
            return (args.external_frame, [title + " (external)"])
        memo[key] = (frames[title], [title])  # cuts recursion, reported above
        best = (0, [])
        for callee in calls.get(title, ()):
            if callee == INDIRECT:
                for target in taken:
                    d = (depth(target, level - 1) if level > 0
                         else (frames[target], [target]))
                    if d[0] > best[0]:
                        best = (d[0], ["(indirect)"] + d[1])
                continue
            d = depth(callee, level)
            if d[0] > best[0]:
                best = d
        res = (frames[title] + best[0], [f"{title} [{frames[title]}]"] + best[1])
        memo[key] = res
        return res

    worst = 0
    for ep in ENTRY_POINTS:
        if ep not in frames:
            print(f"{ep}: not defined in these objects")
            continue
        d, path = depth(ep, args.indirect_levels)
        worst = max(worst, d)
        print(f"{ep}: {d} bytes")
        for p in path[: args.top]:
            print(f"    {p}")
        if len(path) > args.top:
            print(f"    ... {len(path) - args.top} more")
    print(f"address-taken functions (indirect-call targets): {len(taken)}")
    if recursion:
        print("recursion (unbounded stack):")
        for r in sorted(set(recursion))[:10]:
            print("   ", r)
    total = worst + args.entry_overhead
    print(f"max_stack_bytes {total}")
    if recursion:
        return 1
    if args.limit is not None and total > args.limit:
        print(f"stack_usage: {total} bytes exceed the limit of {args.limit}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
