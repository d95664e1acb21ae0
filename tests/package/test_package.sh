#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# CLI tests for `cdl keygen`, `cdl pack` and `cdl inspect`, one CTest per case:
#   test_package.sh CASE CDL TEST_PACKAGE REPO WORKDIR
# Device keys belong to the TEE (`cdl device-key`); until it exists these
# tests make the device's key pair with `cdl keygen` as a stand-in.
set -u

case_name=$1
CDL=$2
TP=$3
REPO=$4
W=$5
PY=/usr/bin/python3
MODEL=$REPO/models/digits/model.onnx
DATA=$REPO/models/digits/test_data_set_0

failures=0
rm -rf "$W"
mkdir -p "$W"
cd "$W" || exit 1

fail() {
	echo "FAIL [$case_name]: $*" >&2
	failures=$((failures + 1))
}

# run CMD...: stdout in $W/out, stderr in $W/err, status in $rc.
run() {
	"$@" >"$W/out" 2>"$W/err"
	rc=$?
}

# expect_error DESC REGEX: the last run failed with exactly one line on
# stderr matching REGEX, and printed nothing on stdout.
expect_error() {
	local lines
	lines=$(wc -l <"$W/err")
	if [ "$rc" -eq 0 ]; then
		fail "$1: exit status 0, expected a failure"
	elif [ "$lines" -ne 1 ]; then
		fail "$1: $lines lines on stderr, expected one: $(cat "$W/err")"
	elif ! grep -Eq -- "$2" "$W/err"; then
		fail "$1: stderr '$(cat "$W/err")' does not match /$2/"
	elif [ -s "$W/out" ]; then
		fail "$1: printed on stdout: $(cat "$W/out")"
	fi
}

expect_ok() {
	if [ "$rc" -ne 0 ]; then
		fail "$1: exit status $rc: $(cat "$W/err")"
	fi
}

# expect_out DESC FIXED-STRING: the last run's stdout contains the string.
expect_out() {
	if ! grep -Fq -- "$2" "$W/out"; then
		fail "$1: stdout lacks '$2':"$'\n'"$(cat "$W/out")"
	fi
}

# keys NAME...: a key pair per name via cdl keygen; fingerprint in fp_NAME.
keys() {
	local n
	for n in "$@"; do
		run "$CDL" keygen -o "$W/$n"
		[ "$rc" -eq 0 ] || { echo "keygen $n failed: $(cat "$W/err")" >&2; exit 1; }
		printf -v "fp_$n" '%s' "$(sed -n 's/^fingerprint //p' "$W/out")"
	done
}

# pack OUT [OPTIONS...]: the digits model for device, signed by provider.
pack() {
	local out=$1
	shift
	run "$CDL" pack "$MODEL" --to "$W/device.pub" --sign "$W/provider.key" -o "$W/$out" "$@"
	if [ "$rc" -ne 0 ]; then
		echo "pack $out $* failed: $(cat "$W/err")" >&2
		exit 1
	fi
	model_id=$(sed -n 's/.*: model \([0-9a-f]*\),.*/\1/p' "$W/out")
}

# json EXPR: evaluates a Python expression on the JSON in $W/out (as j); prints it.
json() {
	"$PY" -c 'import json,sys; j=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' \
		"$W/out" "$1"
}

# flip FILE OFFSET: xor the byte at OFFSET with 0x01, in a copy named FILE.flipped.
flip() {
	"$PY" - "$1" "$2" <<'EOF'
import sys
b = bytearray(open(sys.argv[1], 'rb').read())
b[int(sys.argv[2])] ^= 1
open(sys.argv[1] + '.flipped', 'wb').write(b)
EOF
}

case $case_name in

keygen)
	run "$CDL" keygen -o "$W/provider"
	expect_ok "keygen"
	fp=$(sed -n 's/^fingerprint \([0-9a-f]\{64\}\)$/\1/p' "$W/out")
	[ -n "$fp" ] || fail "keygen prints no fingerprint: $(cat "$W/out")"
	[ -f provider.key ] && [ -f provider.pub ] || fail "provider.key/.pub not written"
	[ "$(stat -c %a provider.key)" = 600 ] || fail "provider.key has mode $(stat -c %a provider.key), not 600"
	[ "$(stat -c %a provider.pub)" = 644 ] || fail "provider.pub has mode $(stat -c %a provider.pub), not 644"
	grep -q -- '-----BEGIN PRIVATE KEY-----' provider.key || fail "provider.key is not a PKCS#8 PEM"
	grep -q -- '-----BEGIN PUBLIC KEY-----' provider.pub || fail "provider.pub is not a PEM public key"
	if command -v openssl >/dev/null; then
		# An independent check: the curve, and the fingerprint as SHA-256 of
		# the uncompressed point (the last 65 bytes of the DER public key).
		openssl pkey -in provider.key -noout -text 2>/dev/null | grep -Eq 'prime256v1|P-256' ||
			fail "provider.key is not a P-256 key"
		want=$(openssl pkey -pubin -in provider.pub -outform DER | tail -c 65 | sha256sum | cut -c1-64)
		[ "$fp" = "$want" ] || fail "fingerprint $fp, openssl says $want"
		openssl pkey -in provider.key -pubout | cmp -s - provider.pub ||
			fail "provider.pub is not the public half of provider.key"
	fi

	# Never overwrite: the second run fails and both files stay as they were.
	before=$(sha256sum provider.key provider.pub)
	run "$CDL" keygen -o "$W/provider"
	expect_error "keygen over an existing pair" 'provider\.key.*(exist|overwrite)'
	[ "$before" = "$(sha256sum provider.key provider.pub)" ] || fail "keygen changed an existing key"

	# Only NAME.pub exists: still refused, and no NAME.key left behind.
	echo "not a key" >half.pub
	run "$CDL" keygen -o "$W/half"
	expect_error "keygen over an existing .pub" 'half\.pub.*(exist|overwrite)'
	[ ! -e half.key ] || fail "keygen left half.key behind"
	[ "$(cat half.pub)" = "not a key" ] || fail "keygen changed half.pub"

	# "-o NAME.key" names the pair NAME.
	run "$CDL" keygen -o "$W/other.key"
	expect_ok "keygen -o other.key"
	[ -f other.key ] && [ -f other.pub ] && [ ! -e other.key.key ] || fail "-o other.key wrote $(ls)"
	fp2=$(sed -n 's/^fingerprint //p' "$W/out")
	[ "$fp2" != "$fp" ] || fail "two keygens gave the same key"

	run "$CDL" keygen
	expect_error "keygen without -o" 'missing -o'
	run "$CDL" keygen -o "$W/no/such/dir/k"
	expect_error "keygen into a missing directory" 'no/such/dir/k\.key'
	;;

roundtrip | roundtrip_4k)
	keys provider device
	if [ "$case_name" = roundtrip ]; then
		pack m.cdlm
	else
		pack m.cdlm --block-size 4K
		grep -Eq ' [0-9]+ blocks x 4 KiB' "$W/out" || fail "summary: $(cat "$W/out")"
	fi
	run "$TP" roundtrip "$W/m.cdlm" "$W/device.key" "$MODEL" "$DATA/input_0.pb" "$DATA/output_0.pb"
	cat "$W/out"
	expect_ok "round trip"
	grep -q 'decrypted == compiled: yes' "$W/out" || fail "round trip: $(cat "$W/out")"
	;;

inspect)
	keys provider device
	pack m.cdlm
	# The summary line: model id, blocks x block size, package size, time.
	grep -Eq "^packed .*model\.onnx -> .*m\.cdlm: model [0-9a-f]{32}, 1 block x 64 KiB, package [0-9.]+ KiB \(plan [0-9.]+ KiB\), [0-9.]+ s$" "$W/out" ||
		fail "summary line: $(cat "$W/out")"
	run "$CDL" inspect "$W/m.cdlm"
	cat "$W/out"
	expect_ok "inspect"
	[ -s "$W/err" ] && fail "inspect wrote to stderr: $(cat "$W/err")"
	expect_out "version" "format version   1.0"
	expect_out "model id" "model id         $model_id"
	expect_out "provider" "provider key     $fp_provider (signature valid)"
	expect_out "recipient" "recipient key id $fp_device"
	expect_out "policy" "policy           output full, queries unlimited, expires never"
	expect_out "input" "input  0         input float32 [1, 1, 8, 8]"
	expect_out "output" "output 0         logits float32 [1, 10]"
	expect_out "blocks" "blocks           1 x 65536 bytes"
	expect_out "sizes" "package $(stat -c %s m.cdlm) bytes"
	grep -q preprocessing "$W/out" && fail "preprocessing shown though none was given"
	# Inspect needs no key: it works with every key file gone.
	rm -f ./*.key ./*.pub
	run "$CDL" inspect "$W/m.cdlm"
	expect_ok "inspect without any key file"
	;;

inspect_json)
	keys provider device
	pack m.cdlm
	run "$CDL" inspect --json "$W/m.cdlm"
	expect_ok "inspect --json"
	"$PY" -c 'import json,sys; json.load(sys.stdin)' <"$W/out" || fail "not JSON: $(cat "$W/out")"
	[ "$(wc -l <"$W/out")" -eq 1 ] || fail "--json is not one line"
	[ "$(json 'j["format_version"]')" = 1.0 ] || fail "format_version"
	[ "$(json 'j["model_id"]')" = "$model_id" ] || fail "model_id"
	[ "$(json 'j["provider_key_fingerprint"]')" = "$fp_provider" ] || fail "provider_key_fingerprint"
	[ "$(json 'j["recipient_key_id"]')" = "$fp_device" ] || fail "recipient_key_id"
	[ "$(json 'j["policy"]["output"], j["policy"]["max_queries"], j["policy"]["expiry_unix"]')" = "('full', 0, 0)" ] ||
		fail "policy: $(json 'j["policy"]')"
	[ "$(json 'j["inputs"]')" = "[{'name': 'input', 'dtype': 'float32', 'shape': [1, 1, 8, 8]}]" ] ||
		fail "inputs: $(json 'j["inputs"]')"
	[ "$(json 'j["outputs"]')" = "[{'name': 'logits', 'dtype': 'float32', 'shape': [1, 10]}]" ] ||
		fail "outputs: $(json 'j["outputs"]')"
	[ "$(json 'j["block_size"], j["block_count"], j["package_length"]')" = "(65536, 1, $(stat -c %s m.cdlm))" ] ||
		fail "sizes: $(cat "$W/out")"
	[ "$(json 'j["preprocessing"]')" = None ] || fail "preprocessing: $(json 'j["preprocessing"]')"

	# Names with " and \ come back exactly: the JSON is escaped properly.
	"$TP" model quoted "$W/quoted.onnx" || fail "model quoted"
	run "$CDL" pack "$W/quoted.onnx" --to device.pub --sign provider.key -o "$W/q.cdlm"
	expect_ok "pack quoted"
	run "$CDL" inspect --json "$W/q.cdlm"
	expect_ok "inspect --json quoted"
	[ "$(json 'j["inputs"][0]["name"] == "in\"put\\x" and j["outputs"][0]["name"] == "out \"q\""')" = True ] ||
		fail "quoted names: $(cat "$W/out")"
	;;

policy)
	keys provider device
	pack p.cdlm --policy topk:3 --max-queries 5 --expires 2030-01-01
	run "$CDL" inspect "$W/p.cdlm"
	cat "$W/out"
	expect_ok "inspect"
	expect_out "policy" "policy           output topk (k = 3), max queries 5, expires 2030-01-01T00:00:00Z"
	run "$CDL" inspect --json "$W/p.cdlm"
	want=$(date -u -d 2030-01-01 +%s)
	[ "$(json 'j["policy"]')" = "{'output': 'topk', 'top_k': 3, 'max_queries': 5, 'expires': '2030-01-01T00:00:00Z', 'expiry_unix': $want}" ] ||
		fail "policy JSON: $(json 'j["policy"]')"
	# A leap day, the label mode and a big query budget.
	pack l.cdlm --policy label --expires 2028-02-29 --max-queries 18446744073709551615
	run "$CDL" inspect --json "$W/l.cdlm"
	want=$(date -u -d 2028-02-29 +%s)
	[ "$(json 'j["policy"]')" = "{'output': 'label', 'top_k': 0, 'max_queries': 18446744073709551615, 'expires': '2028-02-29T00:00:00Z', 'expiry_unix': $want}" ] ||
		fail "policy JSON: $(json 'j["policy"]')"
	# K larger than output 0 cannot be enforced: refused at pack time.
	run "$CDL" pack "$MODEL" --to device.pub --sign provider.key -o "$W/x.cdlm" --policy topk:11
	expect_error "topk:11 on 10 logits" "topk:11.*logits.*10 values"
	for bad in topk:0 topk:65536 topk: top3 all; do
		run "$CDL" pack "$MODEL" --to device.pub --sign provider.key -o "$W/x.cdlm" --policy "$bad"
		expect_error "--policy $bad" "--policy $bad"
	done
	for bad in 2030-02-29 2030-13-01 2030-1-1 30-01-01 2030-01-01x 1970-01-01 tomorrow; do
		run "$CDL" pack "$MODEL" --to device.pub --sign provider.key -o "$W/x.cdlm" --expires "$bad"
		expect_error "--expires $bad" "--expires $bad"
	done
	for bad in 0 -1 1e3 12x 18446744073709551616; do
		run "$CDL" pack "$MODEL" --to device.pub --sign provider.key -o "$W/x.cdlm" --max-queries "$bad"
		expect_error "--max-queries $bad" "--max-queries $bad"
	done
	[ ! -e x.cdlm ] || fail "a refused pack wrote x.cdlm"
	;;

preproc)
	keys provider device
	pack g.cdlm --channels gray --size 8x8 --scale 1/255 --mean 0.5 --std 0.25 --resize-short 10
	run "$CDL" inspect --json "$W/g.cdlm"
	expect_ok "inspect"
	[ "$(json 'j["preprocessing"]["input"], j["preprocessing"]["layout"], j["preprocessing"]["height"], j["preprocessing"]["width"], j["preprocessing"]["resize_short"], j["preprocessing"]["mean"], j["preprocessing"]["std"]')" = "('input', 'NCHW', 8, 8, 10, [0.5], [0.25])" ] ||
		fail "preprocessing: $(json 'j["preprocessing"]')"
	[ "$(json 'abs(j["preprocessing"]["scale"] - 1/255) < 1e-9')" = True ] || fail "scale"
	run "$CDL" inspect "$W/g.cdlm"
	expect_out "text" "preprocessing    input input: NCHW"

	# Three channels: per-channel mean/std, BGR, NHWC, via --input-shape.
	"$TP" model symbolic "$W/sym.onnx" || fail "model symbolic"
	run "$CDL" pack "$W/sym.onnx" --to device.pub --sign provider.key -o "$W/c.cdlm" \
		--input-shape x=1,3,4,4 --mean 0.485,0.456,0.406 --std 0.229,0.224,0.225 --channels bgr
	expect_ok "pack 3 channels"
	run "$CDL" inspect --json "$W/c.cdlm"
	[ "$(json 'j["preprocessing"]["channel_order"], [round(v, 6) for v in j["preprocessing"]["mean"]], [round(v, 6) for v in j["preprocessing"]["std"]], j["preprocessing"]["height"]')" = "('BGR', [0.485, 0.456, 0.406], [0.229, 0.224, 0.225], 4)" ] ||
		fail "3-channel preprocessing: $(json 'j["preprocessing"]')"
	run "$CDL" pack "$W/sym.onnx" --to device.pub --sign provider.key -o "$W/n.cdlm" \
		--input-shape x=1,4,4,3 --layout nhwc --size 4x4
	expect_ok "pack nhwc"
	run "$CDL" inspect --json "$W/n.cdlm"
	[ "$(json 'j["preprocessing"]["layout"], len(j["preprocessing"]["mean"]), j["preprocessing"]["mean"], j["preprocessing"]["std"]')" = "('NHWC', 3, [0, 0, 0], [1, 1, 1])" ] ||
		fail "nhwc preprocessing: $(json 'j["preprocessing"]')"

	# Mismatches with the model are one clear line each.
	run "$CDL" pack "$MODEL" --to device.pub --sign provider.key -o "$W/x.cdlm" --mean 1,2
	expect_error "2 means for 1 channel" "--mean has 2 values.*1 channel"
	run "$CDL" pack "$MODEL" --to device.pub --sign provider.key -o "$W/x.cdlm" --channels rgb
	expect_error "rgb on 1 channel" "--channels rgb.*1 channels"
	run "$CDL" pack "$MODEL" --to device.pub --sign provider.key -o "$W/x.cdlm" --size 224x224
	expect_error "--size mismatch" "--size 224x224 does not match input 'input' \[1,1,8,8\]"
	run "$CDL" pack "$MODEL" --to device.pub --sign provider.key -o "$W/x.cdlm" --resize-short 4
	expect_error "--resize-short smaller than the crop" "--resize-short 4"
	run "$CDL" pack "$MODEL" --to device.pub --sign provider.key -o "$W/x.cdlm" --preproc-input nope
	expect_error "--preproc-input unknown" "--preproc-input nope"
	"$TP" model two_inputs "$W/two.onnx" || fail "model two_inputs"
	run "$CDL" pack "$W/two.onnx" --to device.pub --sign provider.key -o "$W/x.cdlm" --mean 0.5
	expect_error "which input" "2 inputs.*--preproc-input"
	run "$CDL" pack "$W/two.onnx" --to device.pub --sign provider.key -o "$W/t.cdlm" --mean 0.5 --preproc-input b
	expect_ok "--preproc-input b"
	run "$CDL" inspect --json "$W/t.cdlm"
	[ "$(json 'j["preprocessing"]["input"], [i["name"] for i in j["inputs"]]')" = "('b', ['a', 'b'])" ] ||
		fail "preproc input b: $(cat "$W/out")"
	for bad in "--std 0" "--std 1,-1,1" "--scale 0" "--scale x" "--layout chw" "--channels rgba" "--size 0x4" "--size 4x" "--mean 1,,2"; do
		# shellcheck disable=SC2086
		run "$CDL" pack "$MODEL" --to device.pub --sign provider.key -o "$W/x.cdlm" $bad
		expect_error "$bad" "${bad%% *}"
	done
	;;

input_shape)
	keys provider device
	"$TP" model symbolic "$W/sym.onnx" || fail "model symbolic"
	run "$CDL" pack "$W/sym.onnx" --to device.pub --sign provider.key -o "$W/s.cdlm"
	expect_error "symbolic dim without --input-shape" "failed to pack .*sym\.onnx: .*'x'"
	run "$CDL" pack "$W/sym.onnx" --to device.pub --sign provider.key -o "$W/s.cdlm" --input-shape x=2,3,4,4
	expect_ok "pack with --input-shape"
	run "$CDL" inspect --json "$W/s.cdlm"
	[ "$(json 'j["inputs"][0]["shape"], j["outputs"][0]["shape"]')" = "([2, 3, 4, 4], [2, 3, 4, 4])" ] ||
		fail "shapes: $(cat "$W/out")"
	run "$CDL" pack "$W/sym.onnx" --to device.pub --sign provider.key -o "$W/s.cdlm" --input-shape nope=1,3,4,4
	expect_error "--input-shape of no input" "nope"
	for bad in "x" "=1,2" "x=" "x=1,,2" "x=1,a" "x=-1,3,4,4" "x=1,2,3,4,5,6,7,8,9"; do
		run "$CDL" pack "$W/sym.onnx" --to device.pub --sign provider.key -o "$W/s.cdlm" --input-shape "$bad"
		expect_error "--input-shape $bad" "--input-shape"
	done
	run "$CDL" pack "$W/sym.onnx" --to device.pub --sign provider.key -o "$W/s.cdlm" --input-shape x=1,3,4,4 --input-shape x=2,3,4,4
	expect_error "--input-shape twice" "twice"
	;;

tamper)
	keys provider device
	pack m.cdlm
	size=$(stat -c %s m.cdlm)
	# header_len (u32 at 12) and block_count (u32 at 20), docs/package-format.md §3.1
	read -r hlen nblk < <("$PY" -c 'import struct,sys; b=open(sys.argv[1],"rb").read(); print(*struct.unpack_from("<I", b, 12), *struct.unpack_from("<I", b, 20))' m.cdlm)
	# Every header field, a tag, the signature: inspect must refuse each.
	for off in 0 7 8 10 12 16 20 24 32 47 48 56 60 64 72 80 82 84 88 119 120 184 185 249 \
		250 260 $((hlen - 49)) $((hlen - 48)) $((hlen - 1)) $hlen $((hlen + 15)) \
		$((size - 64)) $((size - 1)); do
		flip m.cdlm "$off"
		run "$CDL" inspect "$W/m.cdlm.flipped"
		expect_error "byte $off flipped" "^cdl inspect: failed to inspect .*m\.cdlm\.flipped: "
		run "$TP" open "$W/m.cdlm.flipped" "$W/device.key"
		[ "$rc" -ne 0 ] || fail "byte $off flipped: the device opened it"
	done
	# A ciphertext byte: the header and its signature are intact, so inspect
	# (which decrypts nothing) passes, and the device rejects the block.
	blk=$((hlen + 16 * nblk + 1000))
	flip m.cdlm $blk
	run "$CDL" inspect "$W/m.cdlm.flipped"
	expect_ok "block byte flipped: the public header is still valid"
	run "$TP" open "$W/m.cdlm.flipped" "$W/device.key"
	[ "$rc" -ne 0 ] && grep -q integrity "$W/out" || fail "block byte flipped: device says $(cat "$W/out")"
	run "$TP" open "$W/m.cdlm" "$W/device.key"
	expect_ok "control: the untouched package opens"
	# Truncated, extended, empty, not a package, a directory.
	head -c $((size - 1)) m.cdlm >t.cdlm
	run "$CDL" inspect "$W/t.cdlm"
	expect_error "truncated" "failed to inspect .*t\.cdlm"
	{ cat m.cdlm; printf 'x'; } >a.cdlm
	run "$CDL" inspect "$W/a.cdlm"
	expect_error "appended byte" "failed to inspect .*a\.cdlm"
	: >e.cdlm
	run "$CDL" inspect "$W/e.cdlm"
	expect_error "empty file" "e\.cdlm.*empty"
	run "$CDL" inspect "$MODEL"
	expect_error "an ONNX file" "not a cdl package"
	run "$CDL" inspect "$W"
	expect_error "a directory" "not a regular file"
	run "$CDL" inspect "$W/none.cdlm"
	expect_error "no such file" "none\.cdlm.*No such file"
	run "$CDL" inspect --json "$W/t.cdlm"
	expect_error "--json on a bad file" "failed to inspect"
	run "$CDL" inspect
	expect_error "no argument" "missing PACKAGE"
	;;

errors)
	keys provider device
	openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:secp384r1 -out p384.key 2>/dev/null &&
		openssl pkey -in p384.key -pubout -out p384.pub 2>/dev/null ||
		{ echo "openssl cannot make test keys" >&2; exit 77; }
	openssl genpkey -algorithm ED25519 -out ed.key 2>/dev/null
	openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:1024 -out rsa.key 2>/dev/null
	openssl pkey -in provider.key -aes256 -passout pass:secret -out enc.key 2>/dev/null
	echo "garbage" >junk.onnx
	"$TP" model unsupported "$W/det.onnx" || fail "model unsupported"

	# A valid package at the output path: every failure below must leave it alone.
	pack keep.cdlm
	before=$(sha256sum keep.cdlm)

	p() { run "$CDL" pack "$@" -o "$W/keep.cdlm"; }
	p "$MODEL" --to "$W/none.pub" --sign provider.key
	expect_error "missing --to file" "^cdl pack: --to: .*none\.pub: No such file"
	p "$MODEL" --to device.pub --sign "$W/none.key"
	expect_error "missing --sign file" "^cdl pack: --sign: .*none\.key: No such file"
	p "$MODEL" --to device.pub --sign device.pub
	expect_error "--sign with a public key" "device\.pub is a public key"
	p "$MODEL" --to junk.onnx --sign provider.key
	expect_error "--to not a key" "junk\.onnx.*not a PEM public key"
	p "$MODEL" --to p384.pub --sign provider.key
	expect_error "--to on P-384" "p384\.pub is on curve secp384r1: cdl needs P-256"
	p "$MODEL" --to device.pub --sign p384.key
	expect_error "--sign on P-384" "p384\.key is on curve secp384r1: cdl needs P-256"
	p "$MODEL" --to device.pub --sign ed.key
	expect_error "--sign Ed25519" "ed\.key is a(n)? ED25519 key"
	p "$MODEL" --to rsa.key --sign provider.key
	expect_error "--to RSA" "rsa\.key is a(n)? RSA key"
	p "$MODEL" --to device.pub --sign enc.key
	expect_error "--sign encrypted" "enc\.key is a passphrase-protected key"
	p "$W/det.onnx" --to device.pub --sign provider.key
	expect_error "unsupported op" "^cdl pack: failed to pack .*det\.onnx: op Det \(opset 13\) is not supported"
	p "$W/junk.onnx" --to device.pub --sign provider.key
	expect_error "not an ONNX file" "failed to pack .*junk\.onnx: .*ModelProto"
	p "$W/none.onnx" --to device.pub --sign provider.key
	expect_error "missing model" "failed to pack .*none\.onnx: .*No such file"
	p "$MODEL" --to device.pub --sign provider.key --block-size 1000
	expect_error "block size 1000" "--block-size 1000: must be a multiple of 4K"
	p "$MODEL" --to device.pub --sign provider.key --block-size 32M
	expect_error "block size 32M" "--block-size 32M"
	p "$MODEL" --to device.pub --sign provider.key --block-size 64Q
	expect_error "block size 64Q" "--block-size 64Q"
	p "$MODEL" --to device.pub --sign provider.key --frobnicate
	expect_error "unknown option" "unknown option --frobnicate"
	p "$MODEL" --sign provider.key
	expect_error "no --to" "missing --to"
	p "$MODEL" --to device.pub
	expect_error "no --sign" "missing --sign"
	p --to device.pub --sign provider.key
	expect_error "no model" "missing MODEL"
	[ "$before" = "$(sha256sum keep.cdlm)" ] || fail "a failed pack changed the existing output"
	ls | grep -q tmp && fail "temporary files left behind: $(ls)"

	run "$CDL" pack "$MODEL" --to device.pub --sign provider.key
	expect_error "no -o" "missing -o"
	run "$CDL" pack "$MODEL" --to device.pub --sign provider.key -o "$W/no/dir/x.cdlm"
	expect_error "missing output directory" "no/dir"
	cp "$MODEL" m.onnx
	run "$CDL" pack "$W/m.onnx" --to device.pub --sign provider.key -o "$W/./m.onnx"
	expect_error "-o is the model" "the model itself"
	cmp -s m.onnx "$MODEL" || fail "pack overwrote its own input"

	# The device's private key as --to works (its public half is used) but is warned about.
	run "$CDL" pack "$MODEL" --to device.key --sign provider.key -o "$W/w.cdlm"
	expect_ok "--to a private key"
	[ "$(wc -l <"$W/err")" -eq 1 ] && grep -q "warning: --to device\.key is a private key" "$W/err" ||
		fail "--to a private key: stderr '$(cat "$W/err")'"

	# Block sizes with suffixes are accepted.
	for bs in 4096 8K 8KiB 1M; do
		run "$CDL" pack "$MODEL" --to device.pub --sign provider.key -o "$W/bs.cdlm" --block-size $bs
		expect_ok "--block-size $bs"
	done
	# A successful pack replaces the output atomically.
	pack keep.cdlm
	[ "$before" != "$(sha256sum keep.cdlm)" ] || fail "pack did not replace keep.cdlm"
	"$CDL" inspect keep.cdlm >/dev/null || fail "the replaced package does not inspect"
	;;

no_plaintext)
	keys provider device
	for bs in 64K 4K; do
		pack "m$bs.cdlm" --block-size $bs
		run "$TP" windows "$W/m$bs.cdlm" "$MODEL"
		cat "$W/out"
		expect_ok "no plaintext windows (block size $bs)"
		[ -s "$W/err" ] && cat "$W/err" >&2
	done
	;;

progress)
	keys provider device
	# Not a terminal: a summary on stdout, nothing at all on stderr.
	pack m.cdlm
	[ -s "$W/err" ] && fail "pack wrote to a non-terminal stderr: $(od -c "$W/err" | head -5)"
	[ "$(wc -l <"$W/out")" -eq 1 ] || fail "more than a summary line: $(cat "$W/out")"
	run "$CDL" pack "$MODEL" --to device.pub --sign provider.key -o "$W/q.cdlm" --quiet
	[ "$rc" -eq 0 ] && [ ! -s "$W/out" ] && [ ! -s "$W/err" ] || fail "--quiet printed something"
	# A terminal: the progress line is drawn in place and cleared.
	command -v script >/dev/null || { echo "no script(1): terminal case skipped" >&2; exit 77; }
	script -qec "'$CDL' pack '$MODEL' --to device.pub --sign provider.key -o '$W/t.cdlm'" /dev/null >tty.log 2>&1 </dev/null
	grep -q $'\r' tty.log || fail "no carriage return on a terminal: $(od -c tty.log | head)"
	grep -q 'encrypting' tty.log || fail "no progress on a terminal: $(cat -v tty.log)"
	grep -q $'\033\[K' tty.log || fail "the progress line is not erased: $(cat -v tty.log)"
	grep -q '^packed ' <(tr '\r' '\n' <tty.log | sed 's/\x1b\[K//g') || fail "no summary on a terminal"
	;;

*)
	echo "unknown case $case_name" >&2
	exit 2
	;;
esac

if [ "$failures" -ne 0 ]; then
	echo "$case_name: $failures failure(s)" >&2
	exit 1
fi
echo "$case_name: ok"
