#!/usr/bin/env bash
# Build the Swift harness package (ios_harness/Package.swift) and run its tests.
#
# The toolchain: $SWIFT, else `swift` on PATH, else /opt/swift/usr/bin/swift
# (where this project's Linux machines install it, off PATH). Without one the
# Swift tests are skipped with the reason, exit 0 (a user's Linux box without
# Swift), unless MOBENCH_REQUIRE_SWIFT is set (CI); with one, any build warning
# or failing test makes this fail.
set -euo pipefail
cd "$(dirname "$0")/../ios_harness"

SWIFT="${SWIFT:-}"
if [ -z "$SWIFT" ]; then
    SWIFT="$(command -v swift || true)"
fi
if [ -z "$SWIFT" ] && [ -x /opt/swift/usr/bin/swift ]; then
    SWIFT=/opt/swift/usr/bin/swift
fi
if [ -z "$SWIFT" ] || [ ! -x "$SWIFT" ]; then
    reason="no Swift toolchain (swift is not on PATH nor at /opt/swift/usr/bin/swift; set SWIFT=/path/to/swift)"
    if [ -n "${MOBENCH_REQUIRE_SWIFT:-}" ]; then   # CI: the Swift tests must run
        echo "swift test: FAILED - $reason, and MOBENCH_REQUIRE_SWIFT is set"
        exit 1
    fi
    echo "swift test: SKIPPED - $reason. Install Swift 6 to build and test ios_harness/."
    exit 0
fi

start=$(date +%s)
echo "== swift build (ios_harness, Swift 6 language mode, warnings are errors) with $("$SWIFT" --version 2>/dev/null | head -1)"
# The same flags as tests/ios_harness/swift_toolchain.py, so one build serves pytest and swift test.
"$SWIFT" build --build-tests -Xswiftc -warnings-as-errors
log="$(mktemp)"
trap 'rm -f "$log"' EXIT
set +e
"$SWIFT" test --skip-build --disable-swift-testing 2>&1 | tee "$log"
rc=${PIPESTATUS[0]}
set -e
# XCTest's last summary line: "Executed N tests, with [S tests skipped and ]F failures ...".
summary="$(grep -E "Executed [0-9]+ tests?, with ([0-9]+ tests? skipped and )?[0-9]+ failures?" "$log" | tail -1)"
executed="$(echo "$summary" | sed -E 's/.*Executed ([0-9]+) tests?.*/\1/')"
failures="$(echo "$summary" | sed -E 's/.* ([0-9]+) failures?.*/\1/')"
skipped=0
if echo "$summary" | grep -qE "[0-9]+ tests? skipped"; then
    skipped="$(echo "$summary" | sed -E 's/.* ([0-9]+) tests? skipped.*/\1/')"
fi
if [ -z "$summary" ]; then
    echo "swift test: no XCTest summary (exit code $rc)"
    exit $(( rc == 0 ? 1 : rc ))
fi
echo "swift test took $(( $(date +%s) - start )) s (build + tests)"
# XCTest counts failed assertions; count the failed tests themselves.
failed_tests="$(grep -cE "^Test Case '.*' failed" "$log" || true)"
echo "swift: $(( executed - failed_tests - skipped )) passed, $skipped skipped, $failed_tests failed ($failures failed assertions)"

# Linux has no Core ML, UIKit or SwiftUI: type-check the Apple-only files
# (Core ML engine, input synthesis, compute plan, the SwiftUI shell, the
# package's tests with Core ML compiled in) against stand-ins of those
# frameworks, as the package builds them and as the Xcode app target does
# (tools/apple-typecheck/Package.swift; warnings are errors there too).
# It runs whatever swift test said; either failing fails this script.
if [ "$(uname -s)" = "Linux" ]; then
    echo "== type-check of the Apple-only Swift against stand-in SDK modules (tools/apple-typecheck)"
    if "$SWIFT" build --package-path tools/apple-typecheck --build-tests; then
        echo "apple type-check: passed (Sources/Core + Tests/CoreTests as the package builds them; Sources/Core + Sources/App as the Xcode app target does)"
    else
        echo "apple type-check: FAILED (see tools/apple-typecheck/README.md: a new Apple API needs its stand-in declaration)"
        rc=1
    fi
fi
exit "$rc"
