#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""A second, independent implementation of docs/package-format.md.

Written from the document, not from src/format, with python3-cryptography:
if the C code and this file agree, the document says enough to write a
reader (and a writer). Used by the CTest format.second_reader:

  second_reader.py read  PKG DEVICE_KEY.pem PLAN   decrypt PKG, compare with PLAN
  second_reader.py write PKG DEVICE_PUB.pem PROVIDER_KEY.pem PLAN
                                                   write a package of PLAN
"""
import hashlib
import os
import struct
import sys

from cryptography.exceptions import InvalidSignature, InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import (decode_dss_signature,
                                                             encode_dss_signature)
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

MAGIC = b"\x89CDLM\r\n\x1a"
FIXED = 250


def sha256(b):
    return hashlib.sha256(b).digest()


def point(key):
    return key.public_bytes(serialization.Encoding.X962,
                            serialization.PublicFormat.UncompressedPoint)


def le32(i):
    return struct.pack("<I", i)


def kek(z, model_id, h_kdf):
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=model_id,
                info=b"cdl-kek-v1" + h_kdf).derive(z)


def fail(what):
    sys.exit("second_reader: " + what)


def parse_tensor(h, pos):
    (name_len,) = struct.unpack_from("<H", h, pos)
    name = h[pos + 2:pos + 2 + name_len]
    if not 1 <= name_len <= 127 or any(c < 0x20 or c > 0x7E for c in name):
        fail("bad tensor name")
    pos += 2 + name_len
    dtype, rank = h[pos], h[pos + 1]
    if dtype == 0 or rank > 8:
        fail("bad dtype or rank")
    dims = struct.unpack_from("<%dq" % rank, h, pos + 2)
    if any(d < 0 or d > 0xFFFFFFFF for d in dims):
        fail("bad dim")
    return (name.decode(), dtype, dims), pos + 2 + 8 * rank


def read(pkg_path, key_path, plan_path):
    pkg = open(pkg_path, "rb").read()
    device = serialization.load_pem_private_key(open(key_path, "rb").read(), None)
    plan = open(plan_path, "rb").read()

    if pkg[:8] != MAGIC:
        fail("magic")
    major, _minor, header_len, S, N, L = struct.unpack_from("<HHIIIQ", pkg, 8)
    if major != 1:
        fail("version")
    if not (298 <= header_len <= 16384 and S % 4096 == 0 and 4096 <= S <= 16 << 20
            and 1 <= N <= 1 << 24 and (N - 1) * S < L <= N * S):
        fail("sizes")
    if len(pkg) != header_len + N * (S + 16) + 64:
        fail("file length")
    header = pkg[:header_len]
    tags = pkg[header_len:header_len + 16 * N]
    blocks = pkg[header_len + 16 * N:header_len + 16 * N + S * N]
    sig = pkg[-64:]

    provider = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(),
                                                            header[120:185])
    der = encode_dss_signature(int.from_bytes(sig[:32], "big"),
                               int.from_bytes(sig[32:], "big"))
    try:
        provider.verify(der, header + tags, ec.ECDSA(hashes.SHA256()))
    except InvalidSignature:
        fail("signature")

    model_id, nonce = header[32:48], header[48:56]
    mode, res0, topk, max_queries, expiry = struct.unpack_from("<HHIQQ", header, 56)
    n_in, n_out, n_ext, res1 = struct.unpack_from("<HHHH", header, 80)
    if res0 or res1 or mode > 2 or (mode == 1) != (topk != 0) or topk > 65535:
        fail("policy")
    if not (1 <= n_in <= 16 and 1 <= n_out <= 16 and n_ext <= 16):
        fail("counts")
    pos, tensors = FIXED, []
    for _ in range(n_in + n_out):
        t, pos = parse_tensor(header, pos)
        tensors.append(t)
    for _ in range(n_ext):
        typ, flags, length = struct.unpack_from("<HHI", header, pos)
        if typ == 0 or flags & ~1:
            fail("extension")
        if typ != 1 and flags & 1:
            fail("unknown critical extension")
        pos += 8 + length
    if pos != header_len - 48:
        fail("records do not end at the wrapped key")

    if header[88:120] != sha256(point(device.public_key())):
        fail("not for this device")
    h_kdf = sha256(header[:header_len - 48])
    eph = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), header[185:250])
    z = device.exchange(ec.ECDH(), eph)
    try:
        content_key = AESGCM(kek(z, model_id, h_kdf)).decrypt(
            bytes(12), header[header_len - 48:], h_kdf)
    except InvalidTag:
        fail("content key does not unwrap")

    h_hdr = sha256(header)
    gcm = AESGCM(content_key)
    stream = bytearray()
    for i in range(N):
        ct = blocks[i * S:(i + 1) * S] + tags[16 * i:16 * i + 16]
        try:
            stream += gcm.decrypt(nonce + le32(i), ct, h_hdr + le32(i))
        except InvalidTag:
            fail("block %d" % i)
    if any(stream[L:]):
        fail("padding")
    if bytes(stream[:L]) != plan:
        fail("plaintext differs from %s" % plan_path)
    print("second_reader: read %s: %d blocks of %d, %d tensors, policy mode %d, ok"
          % (pkg_path, N, S, len(tensors), mode))


def write(pkg_path, device_pub_path, provider_key_path, plan_path):
    device = serialization.load_pem_public_key(open(device_pub_path, "rb").read())
    provider = serialization.load_pem_private_key(open(provider_key_path, "rb").read(), None)
    plan = open(plan_path, "rb").read()
    S = 8192
    N = (len(plan) + S - 1) // S
    eph = ec.generate_private_key(ec.SECP256R1())
    model_id, nonce = os.urandom(16), os.urandom(8)

    def tensor(name, dtype, dims):
        return (struct.pack("<H", len(name)) + name + bytes([dtype, len(dims)])
                + struct.pack("<%dq" % len(dims), *dims))

    records = tensor(b"x", 1, (1, 3, 8, 8)) + tensor(b"y", 1, (1, 10))
    ext = struct.pack("<HHI", 999, 0, 4) + b"abcd"      # unknown, non-critical
    header_len = FIXED + len(records) + len(ext) + 48
    fixed = (MAGIC + struct.pack("<HHIIIQ", 1, 0, header_len, S, N, len(plan))
             + model_id + nonce
             + struct.pack("<HHIQQ", 2, 0, 0, 7, 0)        # label, 7 queries
             + struct.pack("<HHHH", 1, 1, 1, 0)
             + sha256(point(device)) + point(provider.public_key()) + point(eph.public_key()))
    assert len(fixed) == FIXED
    body = fixed + records + ext
    h_kdf = sha256(body)
    content_key = os.urandom(32)
    wrapped = AESGCM(kek(eph.exchange(ec.ECDH(), device), model_id, h_kdf)).encrypt(
        bytes(12), content_key, h_kdf)
    header = body + wrapped
    h_hdr = sha256(header)
    padded = plan + bytes(N * S - len(plan))
    gcm = AESGCM(content_key)
    tags, blocks = b"", b""
    for i in range(N):
        out = gcm.encrypt(nonce + le32(i), padded[i * S:(i + 1) * S], h_hdr + le32(i))
        blocks += out[:-16]
        tags += out[-16:]
    r, s = decode_dss_signature(provider.sign(header + tags, ec.ECDSA(hashes.SHA256())))
    with open(pkg_path, "wb") as f:
        f.write(header + tags + blocks + r.to_bytes(32, "big") + s.to_bytes(32, "big"))
    print("second_reader: wrote %s" % pkg_path)


if __name__ == "__main__":
    if len(sys.argv) == 5 and sys.argv[1] == "read":
        read(*sys.argv[2:])
    elif len(sys.argv) == 6 and sys.argv[1] == "write":
        write(*sys.argv[2:])
    else:
        sys.exit(__doc__)
