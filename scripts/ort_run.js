#!/usr/bin/env node
// Reference runner: ONNX Runtime (onnxruntime-node) on TensorProto (.pb) inputs.
//
//   node scripts/ort_run.js MODEL.onnx IN.pb [IN2.pb ...] --out-dir DIR
//       writes DIR/output_0.pb, output_1.pb, ... (TensorProto, raw_data), in the
//       order of the model's graph outputs; each tensor's name is the output name.
//   node scripts/ort_run.js MODEL.onnx IN.pb [...] --bench N
//       3 warm-up runs, then N timed runs; prints
//       {"median_ms":..,"min_ms":..,"max_ms":..,"runs":N} on stdout.
//   (--out-dir and --bench may be combined.)
//
// Inputs are matched to the model's inputs by TensorProto name when the name is
// one of the model's inputs, otherwise by position. Session: 1 intra-op thread
// (--threads N: N), 1 inter-op thread, graphOptimizationLevel 'all', CPU
// execution provider.
//
// Only a minimal TensorProto codec is implemented (no external data, no
// segments, no strings): dims, data_type, name, raw_data and the typed
// *_data fields on input; dims, data_type, name, raw_data on output.
'use strict';
const fs = require('fs');
const path = require('path');

function die(msg) {
  process.stderr.write(`ort_run: ${msg}\n`);
  process.exit(1);
}

let ort;
try {
  ort = require('onnxruntime-node');
} catch (e) {
  try {
    ort = require(path.join(__dirname, '..', 'node_modules', 'onnxruntime-node'));
  } catch (e2) {
    die(`cannot load onnxruntime-node (${e2.message}); run scripts/setup.sh`);
  }
}

// ONNX TensorProto.DataType -> [ort type, bytes per element, TypedArray]
const DTYPES = {
  1: ['float32', 4, Float32Array],
  2: ['uint8', 1, Uint8Array],
  3: ['int8', 1, Int8Array],
  4: ['uint16', 2, Uint16Array],
  5: ['int16', 2, Int16Array],
  6: ['int32', 4, Int32Array],
  7: ['int64', 8, BigInt64Array],
  9: ['bool', 1, Uint8Array],
  10: ['float16', 2, Uint16Array],
  11: ['float64', 8, Float64Array],
  12: ['uint32', 4, Uint32Array],
  13: ['uint64', 8, BigUint64Array],
};
const ORT_TO_ONNX = {};
for (const [k, v] of Object.entries(DTYPES)) ORT_TO_ONNX[v[0]] = Number(k);

// ---------------------------------------------------------------- protobuf --
class Reader {
  constructor(buf) { this.buf = buf; this.pos = 0; }
  eof() { return this.pos >= this.buf.length; }
  varint() { // returns BigInt
    let result = 0n, shift = 0n;
    for (;;) {
      if (this.pos >= this.buf.length) throw new Error('truncated varint');
      const b = this.buf[this.pos++];
      result |= BigInt(b & 0x7f) << shift;
      if (!(b & 0x80)) break;
      shift += 7n;
      if (shift > 70n) throw new Error('varint too long');
    }
    return result;
  }
  bytes(n) {
    if (this.pos + n > this.buf.length) throw new Error('truncated field');
    const b = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return b;
  }
  skip(wire) {
    if (wire === 0) this.varint();
    else if (wire === 1) this.bytes(8);
    else if (wire === 2) this.bytes(Number(this.varint()));
    else if (wire === 5) this.bytes(4);
    else throw new Error(`unsupported wire type ${wire}`);
  }
}

const toSigned64 = (v) => BigInt.asIntN(64, v);

function decodeTensor(buf) {
  const r = new Reader(buf);
  const t = { dims: [], dataType: 0, name: '', raw: null, f32: [], i32: [], i64: [], f64: [], u64: [] };
  // repeated scalar fields may be packed (wire 2) or not.
  const rep = (wire, out, one) => {
    if (wire === 2) {
      const sub = new Reader(r.bytes(Number(r.varint())));
      while (!sub.eof()) out.push(one(sub));
    } else out.push(one(r));
  };
  while (!r.eof()) {
    const key = Number(r.varint());
    const field = key >>> 3, wire = key & 7;
    switch (field) {
      case 1: rep(wire, t.dims, (s) => Number(toSigned64(s.varint()))); break;
      case 2: t.dataType = Number(r.varint()); break;
      case 4: rep(wire, t.f32, (s) => Buffer.from(s.bytes(4)).readFloatLE(0)); break;
      case 5: rep(wire, t.i32, (s) => Number(BigInt.asIntN(32, s.varint()))); break;
      case 7: rep(wire, t.i64, (s) => toSigned64(s.varint())); break;
      case 8: t.name = Buffer.from(r.bytes(Number(r.varint()))).toString('utf8'); break;
      case 9: t.raw = r.bytes(Number(r.varint())); break;
      case 10: rep(wire, t.f64, (s) => Buffer.from(s.bytes(8)).readDoubleLE(0)); break;
      case 11: rep(wire, t.u64, (s) => BigInt.asUintN(64, s.varint())); break;
      case 13: die('TensorProto with external data is not supported');
      // falls through
      default: r.skip(wire);
    }
  }
  return t;
}

function tensorFromProto(t, file) {
  const dt = DTYPES[t.dataType];
  if (!dt) die(`${file}: unsupported TensorProto data_type ${t.dataType}`);
  const [type, size, Arr] = dt;
  const count = t.dims.reduce((a, b) => a * b, 1);
  let data;
  if (t.raw) {
    if (t.raw.length !== count * size) die(`${file}: raw_data has ${t.raw.length} bytes, expected ${count * size}`);
    const copy = new Uint8Array(t.raw); // aligned copy
    data = new Arr(copy.buffer, 0, count);
  } else {
    let src;
    if (type === 'float32') src = t.f32;
    else if (type === 'float64') src = t.f64;
    else if (type === 'int64') src = t.i64;
    else if (type === 'uint32' || type === 'uint64') src = t.u64.map((v) => (type === 'uint64' ? v : Number(v)));
    else src = t.i32; // int8/16/32, uint8/16, bool, float16 (bits)
    if (src.length !== count) die(`${file}: ${src.length} elements, expected ${count}`);
    data = Arr.from(src);
  }
  if (type === 'bool') data = Uint8Array.from(data, (v) => (v ? 1 : 0));
  return new ort.Tensor(type, data, t.dims);
}

function encodeVarint(v, out) { // v: BigInt (two's complement for negatives)
  v = BigInt.asUintN(64, BigInt(v));
  do {
    let b = Number(v & 0x7fn);
    v >>= 7n;
    if (v) b |= 0x80;
    out.push(b);
  } while (v);
}

function encodeTensor(tensor, name) {
  const out = [];
  const onnxType = ORT_TO_ONNX[tensor.type];
  if (!onnxType) die(`output '${name}': unsupported tensor type ${tensor.type}`);
  const dims = [];
  for (const d of tensor.dims) encodeVarint(BigInt(d), dims);
  if (tensor.dims.length) { out.push(0x0a); encodeVarint(BigInt(dims.length), out); out.push(...dims); }
  out.push(0x10); encodeVarint(BigInt(onnxType), out);
  const nameBytes = Buffer.from(name, 'utf8');
  out.push(0x42); encodeVarint(BigInt(nameBytes.length), out);
  const data = tensor.data;
  let raw;
  if (tensor.type === 'bool') raw = Buffer.from(Uint8Array.from(data, (v) => (v ? 1 : 0)));
  else raw = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  const rawHdr = [0x4a];
  encodeVarint(BigInt(raw.length), rawHdr);
  return Buffer.concat([Buffer.from(out), nameBytes, Buffer.from(rawHdr), raw]);
}

// -------------------------------------------------------------------- main --
async function main() {
  const argv = process.argv.slice(2);
  let outDir = null, bench = 0, threads = 1;
  const pos = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--out-dir') outDir = argv[++i];
    else if (a === '--bench') bench = parseInt(argv[++i], 10);
    else if (a === '--threads') threads = parseInt(argv[++i], 10);
    else if (a === '-h' || a === '--help') {
      process.stdout.write('usage: node scripts/ort_run.js MODEL.onnx IN.pb [IN2.pb ...] [--out-dir DIR] [--bench N] [--threads N]\n');
      return;
    } else if (a.startsWith('--')) die(`unknown option ${a}`);
    else pos.push(a);
  }
  if (pos.length < 1) die('usage: node scripts/ort_run.js MODEL.onnx IN.pb [IN2.pb ...] [--out-dir DIR] [--bench N] [--threads N]');
  if (!outDir && !bench) die('nothing to do: give --out-dir DIR and/or --bench N');
  if (outDir === undefined || (bench !== 0 && !(bench > 0)) || !(threads >= 1)) die('bad option value');
  const [modelPath, ...inPaths] = pos;

  const session = await ort.InferenceSession.create(modelPath, {
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    graphOptimizationLevel: 'all',
    executionProviders: ['cpu'],
  });
  const inputNames = session.inputNames;
  const outputNames = session.outputNames; // graph output order
  if (inPaths.length !== inputNames.length) {
    die(`model has ${inputNames.length} input(s) (${inputNames.join(', ')}), got ${inPaths.length} file(s)`);
  }
  const protos = inPaths.map((p) => decodeTensor(fs.readFileSync(p)));
  const byName = protos.every((t) => inputNames.includes(t.name)) &&
    new Set(protos.map((t) => t.name)).size === protos.length;
  const feeds = {};
  protos.forEach((t, i) => { feeds[byName ? t.name : inputNames[i]] = tensorFromProto(t, inPaths[i]); });

  let results = null;
  if (bench) {
    for (let i = 0; i < 3; i++) await session.run(feeds);
    const times = [];
    for (let i = 0; i < bench; i++) {
      const t0 = process.hrtime.bigint();
      results = await session.run(feeds);
      times.push(Number(process.hrtime.bigint() - t0) / 1e6);
    }
    const s = [...times].sort((a, b) => a - b);
    const mid = s.length >> 1;
    const median = s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
    const r3 = (x) => Math.round(x * 1e4) / 1e4;
    process.stdout.write(JSON.stringify({ median_ms: r3(median), min_ms: r3(s[0]), max_ms: r3(s[s.length - 1]), runs: bench }) + '\n');
  }
  if (outDir) {
    if (!results) results = await session.run(feeds);
    fs.mkdirSync(outDir, { recursive: true });
    outputNames.forEach((name, k) => {
      fs.writeFileSync(path.join(outDir, `output_${k}.pb`), encodeTensor(results[name], name));
    });
  }
  if (session.release) await session.release();
}

main().catch((e) => die(e && e.message ? e.message : String(e)));
