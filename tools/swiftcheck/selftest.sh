#!/usr/bin/env bash
# Self-test for the Swift syntax checker: good.swift must pass, bad.swift must
# fail with at least one error per marked line, and unescaped reserved words
# must be caught. Prints "N passed, N failed".
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
check="$here/check.sh"
td="$here/testdata"
pass=0
fail=0
ok()  { echo "PASS: $1"; pass=$((pass + 1)); }
bad() { echo "FAIL: $1"; fail=$((fail + 1)); }

# 1. good.swift parses cleanly (this also performs the install on first run).
if out="$("$check" "$td/good.swift")" && [ "$out" = "ok: 1 files parsed" ]; then
  ok "good.swift parses cleanly"
else
  bad "good.swift: $out"
fi

# 2. bad.swift fails with exit 1 and reports each marked error line.
set +e
out="$("$check" "$td/bad.swift" 2>&1)"
rc=$?
set -e
if [ "$rc" -eq 1 ]; then ok "bad.swift exits 1"; else bad "bad.swift exit code $rc (want 1): $out"; fi
for line in 6 7 9 14 16 20 25; do
  if grep -q "bad.swift:$line:[0-9]*: syntax error near " <<<"$out"; then
    ok "bad.swift error reported on line $line"
  else
    bad "bad.swift: no error reported on line $line"
  fi
done

# 3. Paths are resolved relative to the caller's cwd and echoed as given.
if out="$(cd "$td" && "$check" good.swift 2>&1)" && [ "$out" = "ok: 1 files parsed" ]; then
  ok "relative path from caller cwd"
else
  bad "relative path: $out"
fi

# 4. Several files: one bad file makes the whole run fail; counts are right.
set +e
out="$("$check" "$td/good.swift" "$td/bad.swift" 2>&1)"
rc=$?
set -e
if [ "$rc" -eq 1 ] && grep -q "in 1 of 2 file(s)" <<<"$out"; then ok "mixed good+bad fails"; else bad "mixed run rc=$rc: $out"; fi

# 5. Reserved words used unescaped as identifiers (tree-sitter accepts these,
#    swiftc does not) are reported; escaped ones and bare labels are fine.
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
printf 'struct S {\n    let protocol: Int\n}\nenum K: String, CodingKey { case default }\n' >"$tmp/kw.swift"
set +e
out="$("$check" "$tmp/kw.swift" 2>&1)"
rc=$?
set -e
if [ "$rc" -eq 1 ] && grep -q "kw.swift:2:9: .*write \`protocol\`" <<<"$out" \
   && grep -q "kw.swift:4:34: .*write \`default\`" <<<"$out"; then
  ok "unescaped reserved words reported"
else
  bad "reserved words: rc=$rc $out"
fi
printf 'struct S {\n    let `protocol`: Int\n    init(in: Int, default d: Int) { self.protocol = `in` + d }\n}\nlet x = f(default: .default)\n' >"$tmp/kwok.swift"
if out="$("$check" "$tmp/kwok.swift" 2>&1)"; then ok "escaped reserved words and labels accepted"; else bad "kwok: $out"; fi

# 6. Missing file is a usage/IO error (exit 2), not a crash.
set +e
out="$("$check" "$tmp/does-not-exist.swift" 2>&1)"
rc=$?
set -e
if [ "$rc" -eq 2 ]; then ok "missing file exits 2"; else bad "missing file rc=$rc: $out"; fi

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
