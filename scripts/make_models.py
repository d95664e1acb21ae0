#!/usr/bin/python3
"""Generate cdl's test models and their reference outputs.

    /usr/bin/python3 scripts/make_models.py [--out DIR] [--digits-dir DIR] [--only NAME ...]

Models (names for --only):
  digits              small CNN trained on sklearn's bundled 8x8 digits; written to
                      --digits-dir (default models/digits, committed to the repo)
  mobilenet_v2, resnet18, squeezenet1_1, shufflenet_v2_x1_0, mobilenet_v3_small
                      torchvision nets with random weights (weights=None) and
                      calibrated BatchNorm statistics; written to --out
                      (default models/cache, git-ignored)

Each model directory is in ONNX backend-test layout:
    <dir>/model.onnx
    <dir>/test_data_set_0/input_0.pb     TensorProto
    <dir>/test_data_set_0/output_0.pb    TensorProto, computed by ONNX Runtime
                                         (scripts/ort_run.js, 1 thread)

Needs Debian's /usr/bin/python3 (torch 1.13, torchvision 0.14, onnx, sklearn)
and node + onnxruntime-node (scripts/setup.sh). Deterministic: fixed seeds, one
torch thread, deterministic algorithms. Fails (exit 1) if a reference output is
degenerate (constant, all zeros, no clear top-1) or if ONNX Runtime disagrees
with torch.
"""
import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
import zlib
import struct

import numpy as np
import onnx
from onnx import numpy_helper
import torch
import torch.nn as nn

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ORT_RUN = os.path.join(REPO, "scripts", "ort_run.js")
OPSET = 13

TORCHVISION_NETS = ["mobilenet_v2", "resnet18", "squeezenet1_1",
                    "shufflenet_v2_x1_0", "mobilenet_v3_small"]
ALL = ["digits"] + TORCHVISION_NETS

DIGITS_SEED = 1234
DIGITS_TEST = 360          # held-back images
DIGITS_EPOCHS = 40
TV_SEED = 2024             # torchvision weights: torch.manual_seed(TV_SEED + index)
TV_CALIB_PASSES = 10
TV_CALIB_BATCH = 8


class Fail(Exception):
    pass


def log(msg):
    print(msg, flush=True)


# --------------------------------------------------------------- helpers ----

def setup_torch():
    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)


def export_onnx(model, example, path, input_name, output_name, dynamic_batch=False):
    model.eval()
    kw = {}
    if dynamic_batch:
        kw["dynamic_axes"] = {input_name: {0: "N"}, output_name: {0: "N"}}
    with torch.no_grad():
        torch.onnx.export(model, example, path, opset_version=OPSET,
                          do_constant_folding=True, export_params=True,
                          input_names=[input_name], output_names=[output_name], **kw)
    m = onnx.load(path)
    onnx.checker.check_model(m)
    return m


def save_pb(arr, path, name=""):
    t = numpy_helper.from_array(np.ascontiguousarray(arr), name)
    with open(path, "wb") as f:
        f.write(t.SerializeToString())


def load_pb(path):
    t = onnx.TensorProto()
    with open(path, "rb") as f:
        t.ParseFromString(f.read())
    return numpy_helper.to_array(t)


def ort_run(model_path, input_pbs, out_dir):
    """Run ONNX Runtime through scripts/ort_run.js; returns the output arrays."""
    if shutil.which("node") is None:
        raise Fail("node not found (needed for ONNX Runtime); run scripts/setup.sh")
    cmd = ["node", ORT_RUN, model_path] + list(input_pbs) + ["--out-dir", out_dir]
    r = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True)
    if r.returncode != 0:
        raise Fail(f"ort_run.js failed ({r.returncode}): {r.stderr.strip()}")
    outs = []
    k = 0
    while os.path.exists(os.path.join(out_dir, f"output_{k}.pb")):
        outs.append(load_pb(os.path.join(out_dir, f"output_{k}.pb")))
        k += 1
    if not outs:
        raise Fail("ort_run.js wrote no outputs")
    return outs


def write_case(model_path, case_dir, x, input_name):
    """input_0.pb from x, output_0.pb from ONNX Runtime. Returns ORT output."""
    os.makedirs(case_dir, exist_ok=True)
    for f in os.listdir(case_dir):
        if f.endswith(".pb"):
            os.remove(os.path.join(case_dir, f))
    in_pb = os.path.join(case_dir, "input_0.pb")
    save_pb(x, in_pb, input_name)
    outs = ort_run(model_path, [in_pb], case_dir)
    return outs[0]


def spread_stats(y):
    y = np.asarray(y, dtype=np.float64).ravel()
    s = np.sort(y)
    return {
        "std": float(y.std()),
        "min": float(s[0]),
        "max": float(s[-1]),
        "argmax": int(np.argmax(y)),
        "top1_margin": float(s[-1] - s[-2]) if y.size > 1 else float("inf"),
        "distinct": int(np.unique(y).size),
    }


def check_spread(name, y):
    st = spread_stats(y)
    problems = []
    if not np.all(np.isfinite(y)):
        problems.append("non-finite values")
    if st["std"] <= 1e-3:
        problems.append(f"std {st['std']:.3g} <= 1e-3")
    if st["distinct"] < max(2, y.size // 2):
        problems.append(f"only {st['distinct']} distinct values of {y.size}")
    # top-1 must be clear, otherwise comparing argmax with another engine is luck
    if st["top1_margin"] <= max(1e-4, 1e-3 * st["std"]):
        problems.append(f"top-1 margin {st['top1_margin']:.3g} too small")
    if problems:
        raise Fail(f"{name}: degenerate reference output: " + "; ".join(problems))
    return st


def compare(name, ref, got, rtol=1e-3):
    ref = np.asarray(ref, np.float64)
    got = np.asarray(got, np.float64)
    if ref.shape != got.shape:
        raise Fail(f"{name}: shape {got.shape} != {ref.shape}")
    err = float(np.max(np.abs(ref - got)))
    scale = float(np.max(np.abs(ref))) + 1e-12
    if err > rtol * scale + 1e-5:
        raise Fail(f"{name}: ONNX Runtime vs torch max abs diff {err:.3g} (scale {scale:.3g})")
    return err


def write_png_gray(path, img_u8):
    """Minimal 8-bit grayscale PNG writer (no dependencies)."""
    img = np.asarray(img_u8, np.uint8)
    h, w = img.shape
    raw = b"".join(b"\x00" + img[r].tobytes() for r in range(h))

    def chunk(tag, data):
        c = struct.pack(">I", len(data)) + tag + data
        return c + struct.pack(">I", zlib.crc32(tag + data) & 0xFFFFFFFF)

    png = b"\x89PNG\r\n\x1a\n"
    png += chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 0, 0, 0, 0))
    png += chunk(b"IDAT", zlib.compress(raw, 9))
    png += chunk(b"IEND", b"")
    with open(path, "wb") as f:
        f.write(png)


# ---------------------------------------------------------------- digits ----

class DigitsNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 16, 3, padding=1), nn.BatchNorm2d(16), nn.ReLU(),
            nn.MaxPool2d(2),                                   # 16x4x4
            nn.Conv2d(16, 32, 3, padding=1), nn.BatchNorm2d(32), nn.ReLU(),
            nn.MaxPool2d(2),                                   # 32x2x2
        )
        self.fc = nn.Linear(32 * 2 * 2, 10)

    def forward(self, x):
        x = self.features(x)
        x = torch.flatten(x, 1)
        return self.fc(x)


def digits_split():
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split
    d = load_digits()
    x = (d.images.astype(np.float32) / 16.0).reshape(-1, 1, 8, 8)
    y = d.target.astype(np.int64)
    xtr, xte, ytr, yte = train_test_split(x, y, test_size=DIGITS_TEST,
                                          random_state=DIGITS_SEED, stratify=y)
    return xtr, xte, ytr, yte


def make_digits(out_dir):
    t0 = time.time()
    torch.manual_seed(DIGITS_SEED)
    np.random.seed(DIGITS_SEED)
    xtr, xte, ytr, yte = digits_split()
    model = DigitsNet()
    opt = torch.optim.Adam(model.parameters(), lr=3e-3, weight_decay=1e-4)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, DIGITS_EPOCHS)
    loss_fn = nn.CrossEntropyLoss()
    Xtr, Ytr = torch.from_numpy(xtr), torch.from_numpy(ytr)
    g = torch.Generator().manual_seed(DIGITS_SEED)
    for _ in range(DIGITS_EPOCHS):
        model.train()
        perm = torch.randperm(len(Xtr), generator=g)
        for i in range(0, len(Xtr), 32):
            idx = perm[i:i + 32]
            opt.zero_grad()
            loss = loss_fn(model(Xtr[idx]), Ytr[idx])
            loss.backward()
            opt.step()
        sched.step()
    model.eval()
    with torch.no_grad():
        logits_te = model(torch.from_numpy(xte)).numpy()
        train_acc = float((model(Xtr).argmax(1).numpy() == ytr).mean())
    test_acc = float((logits_te.argmax(1) == yte).mean())
    if test_acc < 0.95:
        raise Fail(f"digits: test accuracy {test_acc:.4f} < 0.95")

    os.makedirs(out_dir, exist_ok=True)
    model_path = os.path.join(out_dir, "model.onnx")
    export_onnx(model, torch.zeros(1, 1, 8, 8), model_path, "input", "logits")
    np.save(os.path.join(out_dir, "test_images.npy"), xte.astype(np.float32))
    np.save(os.path.join(out_dir, "test_labels.npy"), yte.astype(np.int64))
    with open(os.path.join(out_dir, "labels.txt"), "w") as f:
        f.write("".join(f"{i}\n" for i in range(10)))

    # ONNX Runtime on the whole held-back set, via a temporary batch-N export
    with tempfile.TemporaryDirectory() as tmp:
        batch_model = os.path.join(tmp, "model_batch.onnx")
        export_onnx(model, torch.zeros(1, 1, 8, 8), batch_model, "input", "logits",
                    dynamic_batch=True)
        in_pb = os.path.join(tmp, "input_0.pb")
        save_pb(xte, in_pb, "input")
        ort_logits = ort_run(batch_model, [in_pb], tmp)[0]
    compare("digits (test set)", logits_te, ort_logits)
    ort_acc = float((ort_logits.argmax(1) == yte).mean())

    # backend test case: first test image
    case = os.path.join(out_dir, "test_data_set_0")
    y0 = write_case(model_path, case, xte[:1], "input")
    compare("digits", logits_te[:1], y0)
    st = check_spread("digits", y0)
    if st["argmax"] != int(yte[0]):
        raise Fail("digits: test_data_set_0 image is misclassified")

    # PNG samples: one correctly classified test image per class, 8x8 as-is,
    # pixel = round(v * 255) with v in [0, 1]; must still classify correctly
    # after this 8-bit quantization (model input = pixel / 255).
    sdir = os.path.join(out_dir, "samples")
    if os.path.isdir(sdir):
        shutil.rmtree(sdir)
    os.makedirs(sdir)
    q = np.round(xte * 255.0).astype(np.uint8)
    with torch.no_grad():
        qpred = model(torch.from_numpy(q.astype(np.float32) / 255.0)).argmax(1).numpy()
    samples = []
    for label in range(10):
        for i in np.nonzero(yte == label)[0]:
            if qpred[i] == label and logits_te[i].argmax() == label:
                name = f"digit_{label}_{i}.png"
                write_png_gray(os.path.join(sdir, name), q[i, 0])
                samples.append(name)
                break

    nparams = sum(p.numel() for p in model.parameters())
    with open(os.path.join(out_dir, "README.md"), "w") as f:
        f.write(DIGITS_README.format(
            test_acc=100 * test_acc, ort_acc=100 * ort_acc, train_acc=100 * train_acc,
            ntest=len(yte), ntrain=len(ytr), correct=int((logits_te.argmax(1) == yte).sum()),
            epochs=DIGITS_EPOCHS, seed=DIGITS_SEED, nparams=nparams, opset=OPSET,
            samples="\n".join(f"- `samples/{s}`" for s in samples),
            torch=torch.__version__.split("+")[0], label0=int(yte[0])))
    size = sum(os.path.getsize(os.path.join(r, fn)) for r, _, fs in os.walk(out_dir) for fn in fs)
    log(f"[make_models] digits: test acc {100 * test_acc:.2f}% (ORT {100 * ort_acc:.2f}%, "
        f"train {100 * train_acc:.2f}%), logits std {st['std']:.3f} "
        f"top1 margin {st['top1_margin']:.3f}, dir {size / 1024:.0f} KiB, "
        f"{time.time() - t0:.1f}s -> {os.path.relpath(out_dir, REPO)}")
    return st


DIGITS_README = """# digits: small CNN on sklearn's 8x8 digits

Generated by `scripts/make_models.py` — do not edit by hand. Regenerate with

    /usr/bin/python3 scripts/make_models.py --only digits

(torch {torch}, seed {seed}, one thread, deterministic algorithms.)

- Data: `sklearn.datasets.load_digits` (bundled with scikit-learn, 1797 images of
  8x8, pixel values 0..16), scaled to [0, 1] by /16. Fixed split:
  `train_test_split(test_size={ntest}, random_state={seed}, stratify=labels)` —
  {ntrain} training images, {ntest} held back.
- Network (`DigitsNet`, {nparams} parameters): Conv3x3(1→16)-BN-ReLU-MaxPool2 →
  Conv3x3(16→32)-BN-ReLU-MaxPool2 → Flatten → Gemm(128→10).
  Adam (lr 3e-3, weight decay 1e-4, cosine schedule), batch 32, {epochs} epochs.
- ONNX: opset {opset}, input `input` float32 [1,1,8,8], output `logits` float32
  [1,10] (static batch 1; BatchNorm folded into the convolutions by export).

## Accuracy on the {ntest} held-back images

| runtime | top-1 accuracy |
|---|---|
| torch (eval) | {test_acc:.2f}% ({correct}/{ntest}) |
| ONNX Runtime 1 thread (`scripts/ort_run.js`) | {ort_acc:.2f}% |

Training-set accuracy: {train_acc:.2f}%.

## Files

- `model.onnx` — the network.
- `test_images.npy` — float32 [{ntest},1,8,8], the held-back images in [0, 1].
- `test_labels.npy` — int64 [{ntest}], their labels.
- `labels.txt` — class names `0`..`9`, one per line (line i = class i).
- `test_data_set_0/input_0.pb`, `output_0.pb` — ONNX backend-test case:
  `test_images.npy[0]` (label {label0}) and the logits from ONNX Runtime.
- `samples/digit_<label>_<index>.png` — 8x8 8-bit grayscale PNGs of held-back
  images (`index` into `test_images.npy`), pixel = round(255·v); feed as
  pixel/255. Each is classified correctly after this quantization.
{samples}
"""


# ----------------------------------------------------------- torchvision ----

def calibrate_bn(model, seed):
    """Replace BN running stats of a randomly initialised net by the cumulative
    average over random N(0,1) images, so eval-mode outputs are not degenerate."""
    bns = [m for m in model.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]
    for m in bns:
        m.reset_running_stats()
        m.momentum = None
    if bns:
        model.train()
        g = torch.Generator().manual_seed(seed)
        with torch.no_grad():
            for _ in range(TV_CALIB_PASSES):
                model(torch.randn(TV_CALIB_BATCH, 3, 224, 224, generator=g))
    model.eval()
    return len(bns)


def make_torchvision(name, index, out_root):
    import torchvision
    t0 = time.time()
    seed = TV_SEED + index
    torch.manual_seed(seed)
    model = getattr(torchvision.models, name)(weights=None)
    nbn = calibrate_bn(model, seed)

    d = os.path.join(out_root, name)
    os.makedirs(d, exist_ok=True)
    model_path = os.path.join(d, "model.onnx")
    export_onnx(model, torch.zeros(1, 3, 224, 224), model_path, "input", "output")

    x = np.random.RandomState(seed).standard_normal((1, 3, 224, 224)).astype(np.float32)
    with torch.no_grad():
        ref = model(torch.from_numpy(x)).numpy()
        # how many distinct top-1 classes over a few other random images (info)
        xb = torch.from_numpy(np.random.RandomState(seed + 1000)
                              .standard_normal((8, 3, 224, 224)).astype(np.float32))
        n_top1 = len(set(model(xb).argmax(1).tolist()))
    y = write_case(model_path, os.path.join(d, "test_data_set_0"), x, "input")
    err = compare(name, ref, y)
    st = check_spread(name, y)
    mb = os.path.getsize(model_path) / 2**20
    log(f"[make_models] {name}: logits std {st['std']:.4f} range [{st['min']:.3f}, {st['max']:.3f}] "
        f"argmax {st['argmax']} top1 margin {st['top1_margin']:.4f}; "
        f"{n_top1}/8 distinct top-1 on other inputs; |ORT-torch| {err:.2e}; "
        f"{nbn} BN; {mb:.1f} MiB; {time.time() - t0:.1f}s -> {os.path.relpath(d, REPO)}")
    return st


# ------------------------------------------------------------------ main ----

def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default=os.path.join(REPO, "models", "cache"),
                    help="output root for the torchvision nets (default models/cache)")
    ap.add_argument("--digits-dir", default=os.path.join(REPO, "models", "digits"),
                    help="output dir for the digits model (default models/digits)")
    ap.add_argument("--only", nargs="+", choices=ALL, metavar="NAME",
                    help="generate only these (" + ", ".join(ALL) + ")")
    ap.add_argument("--if-missing", action="store_true",
                    help="skip a torchvision net whose test case is already in --out (a cache)")
    args = ap.parse_args()
    names = args.only or ALL
    setup_torch()
    t0 = time.time()
    try:
        for n in ALL:
            if n not in names:
                continue
            if n == "digits":
                make_digits(os.path.abspath(args.digits_dir))
            elif args.if_missing and os.path.exists(os.path.join(
                    args.out, n, "test_data_set_0", "output_0.pb")):
                log(f"[make_models] {n}: cached in {args.out}")
            else:
                make_torchvision(n, TORCHVISION_NETS.index(n), os.path.abspath(args.out))
    except Fail as e:
        print(f"[make_models] FAILED: {e}", file=sys.stderr, flush=True)
        return 1
    log(f"[make_models] done: {len(names)} model(s) in {time.time() - t0:.1f}s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
