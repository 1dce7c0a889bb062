"""ios_harness/tools/apple-typecheck: the Linux type-check of the Apple-only Swift.

`scripts/swift_test.sh` builds it (the compiler is the real check); these tests
keep its inputs honest: it compiles the real sources (symlinks, not copies), in
both module shapes, every Apple framework the sources import has a stand-in,
and every stand-in declaration cites its Apple documentation page.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

# Importable under any pytest import mode (prepend, importlib) and layout.
sys.path.insert(0, str(Path(__file__).resolve().parent))
import harness_checks as hc  # noqa: E402
from swift_toolchain import find_swift  # noqa: E402

TYPECHECK = hc.HARNESS / "tools" / "apple-typecheck"
STAND_INS = TYPECHECK / "StandIns"
# Frameworks that exist only in Apple's SDKs; the rest the sources import exist on Linux
# (Foundation, Dispatch, XCTest) or sit behind `#if canImport` with a Linux branch
# (CryptoKit, Darwin, Glibc, Musl, FoundationNetworking).
APPLE_ONLY = {"CoreML", "CoreVideo", "SwiftUI", "UIKit", "Combine"}
_DECL = re.compile(r"^(final )?(public|open) (final )?(class|struct|enum|protocol|func|var|let|typealias) ")


def test_the_targets_are_symlinks_to_the_real_sources():
    links = {
        "Targets/PackageCore": hc.HARNESS / "Sources" / "Core",
        "Targets/CoreTests": hc.HARNESS / "Tests" / "CoreTests",
        "Targets/AppModule/Core": hc.HARNESS / "Sources" / "Core",
        "Targets/AppModule/App": hc.HARNESS / "Sources" / "App",
    }
    for rel, target in links.items():
        path = TYPECHECK / rel
        assert path.is_symlink(), rel
        assert path.resolve() == target.resolve(), rel


def test_the_package_builds_both_module_shapes_in_swift_6_with_warnings_as_errors():
    text = (TYPECHECK / "Package.swift").read_text()
    assert 'name: "MobenchHarnessCore", dependencies: ["CoreML", "CoreVideo"], path: "Targets/PackageCore"' in text
    assert 'name: "MobenchHarness"' in text and 'path: "Targets/AppModule"' in text
    assert "swiftLanguageModes: [.v6]" in text and '"-warnings-as-errors"' in text
    assert text.count("swiftSettings: strict") == 3


def test_every_apple_only_framework_the_sources_import_has_a_stand_in():
    imported = set()
    for path in hc.swift_files():
        imported |= set(re.findall(r"^\s*(?:@\w+\s+)?import\s+(\w+)", path.read_text(), flags=re.M))
    stand_ins = {p.name for p in STAND_INS.iterdir() if p.is_dir()}
    assert {"CoreML", "CoreVideo", "SwiftUI", "UIKit"} <= imported
    assert imported & APPLE_ONLY <= stand_ins
    assert stand_ins <= APPLE_ONLY


def undocumented(text: str) -> list[str]:
    lines = text.splitlines()
    out = []
    for i, line in enumerate(lines):
        if _DECL.match(line) and not re.search(r"\b_\w", line):
            if "https://developer.apple.com/documentation/" not in "\n".join(lines[max(0, i - 6) : i]):
                out.append(f"{i + 1}: {line.strip()}")
    return out


def test_every_stand_in_declaration_cites_its_documentation_page():
    files = sorted(STAND_INS.rglob("*.swift"))
    assert len(files) >= 5
    for path in files:
        text = path.read_text()
        assert undocumented(text) == [], path.relative_to(TYPECHECK)
        assert re.search(r"\{\s*fatalError\(\)\s*\}", text), path.name  # declarations only


def test_the_documentation_check_can_fail():
    assert undocumented("/// a comment without a link\npublic func f() { fatalError() }\n") == [
        "2: public func f() { fatalError() }"
    ]


@pytest.mark.slow
def test_the_app_shaped_build_fails_when_a_core_name_hides_a_swiftui_name(tmp_path):
    """The check can fail: a Core type named `Text` (what hid SwiftUI.Text in the Xcode app
    target) breaks the app-shaped module, while the package-shaped one still builds."""
    swift = find_swift()
    if swift is None:
        pytest.skip("no Swift toolchain (swift on PATH or /opt/swift/usr/bin/swift)")
    copy = tmp_path / "ios_harness"
    shutil.copytree(hc.HARNESS, copy, symlinks=True, ignore=shutil.ignore_patterns(".build", "build"))
    (copy / "Sources" / "Core" / "ShadowText.swift").write_text("enum Text {\n    static let limit = 1\n}\n")
    package = copy / "tools" / "apple-typecheck"

    def build(target: str) -> subprocess.CompletedProcess[str]:
        argv = [swift, "build", "--package-path", str(package), "--target", target]
        return subprocess.run(argv, capture_output=True, text=True, timeout=1500)

    assert build("MobenchHarnessCore").returncode == 0
    app = build("MobenchHarness")
    assert app.returncode != 0
    assert "'Text' cannot be constructed because it has no accessible initializers" in app.stdout + app.stderr
