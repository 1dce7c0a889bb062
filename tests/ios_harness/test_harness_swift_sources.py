"""The Swift sources of ios_harness/, checked beside the compiler.

`swift build` compiles the package here (test_harness_swift_e2e.py, `make
test`), but not the Apple-only files (Core ML engine, SwiftUI shell). So:
syntax of every file through tree-sitter-swift, layering (Core free of
UIKit/SwiftUI), timing only with a monotonic clock, only the prediction inside
the timed region, and the names shared with the host side. Every checker is
also run on a deliberately broken snippet, to show it can fail.
"""

from __future__ import annotations

import plistlib
import re
import sys
from pathlib import Path

import pytest

# Importable under any pytest import mode (prepend, importlib) and layout.
sys.path.insert(0, str(Path(__file__).resolve().parent))
import harness_checks as hc  # noqa: E402
from mobench.devices.iphone import constants

SWIFT_FILES = hc.swift_files()


def test_the_harness_has_swift_sources():
    names = {p.name for p in SWIFT_FILES}
    assert {"BenchmarkRunner.swift", "Plan.swift", "Report.swift", "MobenchHarnessApp.swift", "CoreMLEngine.swift",
            "KnownCostEngine.swift", "main.swift", "PlanRunTests.swift", "LoopTests.swift"} <= names
    assert all(".build" not in p.parts for p in SWIFT_FILES)


@pytest.mark.parametrize("path", SWIFT_FILES, ids=lambda p: p.relative_to(hc.HARNESS).as_posix())
def test_swift_file_parses_without_errors(path):
    assert hc.syntax_problems(path.read_text()) == []


@pytest.mark.parametrize("snippet", [
    "struct A { let x: Int = }",
    "func f( { return 1 }",
    "enum E: String { case a = }",
    "let s = \"unterminated\n",
])
def test_syntax_checker_flags_broken_swift(snippet):
    assert hc.syntax_problems(snippet)


def test_core_imports_neither_uikit_nor_swiftui():
    assert hc.import_problems(hc.read_sources(hc.CORE)) == []


def test_import_checker_sees_ui_imports():
    # Positive control: the App layer does import SwiftUI, and a bad Core file is caught.
    assert hc.import_problems(hc.read_sources(hc.APP))
    assert hc.import_problems({"Bad.swift": "import Foundation\nimport UIKit\nstruct A {}\n"}) == [
        "Bad.swift: imports UIKit"
    ]


def test_core_times_only_with_a_monotonic_clock():
    assert hc.clock_problems(hc.read_sources(hc.CORE)) == []


@pytest.mark.parametrize("sources, expected", [
    ({"Runner.swift": "let start = Date()\n", "Timing.swift": "let c = ContinuousClock()\n"}, "uses Date()"),
    ({"Runner.swift": "let d = Date.now.timeIntervalSince(t)\n", "Timing.swift": "let c = ContinuousClock()\n"},
     "wall-clock API Date outside"),
    ({"WallClock.swift": "let d = Date.now.timeIntervalSince1970\n", "Timing.swift": "let c = ContinuousClock()\n"},
     "computes an interval"),
    ({"Timing.swift": "let t = CFAbsoluteTimeGetCurrent()\n"}, "uses none of"),
])
def test_clock_checker_flags_wall_clock_timing(sources, expected):
    problems = hc.clock_problems(sources)
    assert any(expected in p for p in problems), problems


def test_clock_checker_ignores_comments():
    sources = {"Timing.swift": "// never Date() here\nlet c = ContinuousClock()\n"}
    assert hc.clock_problems(sources) == []


TIMED_REGION = re.compile(
    r"let start = Timing\.now\(\)\n(?P<body>(?:.*\n)*?)\s*(?P<end>.*Timing\.milliseconds\(since: start\).*)"
)
PREDICTION_ONLY = re.compile(r"^\s*let output = try \w+\.predict\(\w+\)\s*$")


def timed_region_problems(source: str) -> list[str]:
    """Every `let start = Timing.now()` ... `Timing.milliseconds(since: start)` pair in
    the runner must enclose exactly one engine `predict` call, whose output is
    bound (so it is released after the clock read), and nothing else."""
    problems, regions = [], list(TIMED_REGION.finditer(source))
    if not regions:
        return ["no timed region found"]
    for region in regions:
        lines = [line for line in region.group("body").splitlines() if line.strip()]
        if len(lines) != 1 or not PREDICTION_ONLY.match(lines[0]):
            problems.append(f"timed region encloses {lines!r}")
    return problems


def test_runner_times_prediction_calls_only():
    source = (hc.CORE / "BenchmarkRunner.swift").read_text()
    assert timed_region_problems(source) == []
    # first prediction, warm-up and steady state all go through the one timed region
    assert len(TIMED_REGION.findall(source)) == 1
    assert len(re.findall(r"\.predict\(", source)) == 1
    assert len(re.findall(r"try timedPrediction\(", source)) == 3
    # the output is kept alive past the clock read
    assert re.search(r"let elapsed = Timing\.milliseconds\(since: start\)\n\s*sink\.keep\(output\)", source)


def test_timed_region_checker_flags_extra_work():
    bad = (
        "let start = Timing.now()\nlet output = try model.predict(input)\n"
        "peak.sample()\nsamples.append(Timing.milliseconds(since: start))\n"
    )
    assert timed_region_problems(bad)
    discarded = "let start = Timing.now()\n_ = try model.predict(input)\nlet t = Timing.milliseconds(since: start)\n"
    assert timed_region_problems(discarded)   # `_ =` releases the output inside the timed region


def test_launch_arguments_match_the_host():
    source = (hc.CORE / "LaunchOptions.swift").read_text()
    cases = set(re.findall(r'case "(--[a-z]+)":', source))
    assert cases == {constants.ARG_PLAN, constants.ARG_REPORT, constants.ARG_SERVER,
                     constants.ARG_TOKEN, constants.ARG_AUTOSTART}
    assert f'var planPath = "{constants.PLAN_FILE}"' in source
    assert f'var reportName = "{constants.REPORT_FILE}"' in source


def test_versions_and_file_names_match_the_host():
    report = (hc.CORE / "Report.swift").read_text()
    plan = (hc.CORE / "Plan.swift").read_text()
    writer = (hc.CORE / "ReportWriter.swift").read_text()
    assert f"let harnessProtocolVersion = {constants.PROTOCOL_VERSION}\n" in report
    assert f"let supportedSchemaVersion = {constants.SCHEMA_VERSION}\n" in plan
    assert f'static let progressFileName = "{constants.PROGRESS_FILE}"' in writer
    assert f'case mobenchRun = "{constants.STDOUT_LINE_KEY}"' in report


def test_info_plist_lets_the_host_reach_documents():
    info = plistlib.loads((hc.APP / "Info.plist").read_bytes())
    assert info["UIFileSharingEnabled"] is True
    assert info["LSSupportsOpeningDocumentsInPlace"] is True
    assert info["CFBundleIdentifier"] == "$(PRODUCT_BUNDLE_IDENTIFIER)"
    assert info["NSAppTransportSecurity"]["NSAllowsLocalNetworking"] is True   # network mode over http
    assert info["NSLocalNetworkUsageDescription"]


@pytest.mark.parametrize("path", SWIFT_FILES, ids=lambda p: p.relative_to(hc.HARNESS).as_posix())
def test_swift_file_has_no_known_compiler_only_errors(path):
    assert hc.lint_problems(path.read_text()) == []


@pytest.mark.parametrize("snippet, expected", [
    ("func f() throws { let a = c ? try g() : try h() }", "to the right of an operator in ternary_expression"),
    ("func f() async { let b = x ?? await g() }", "to the right of an operator in nil_coalescing_expression"),
    ("func f() { if let (p, q) = t() { } }", "tuple destructuring"),
])
def test_lint_flags_compiler_only_errors(snippet, expected):
    problems = hc.lint_problems(snippet)
    assert any(expected in p for p in problems), problems


def test_lint_accepts_valid_forms():
    assert hc.lint_problems("func f() throws { let d = try g() + 1\n let e = foo(try g())\n if let p = t() { } }") == []


@pytest.mark.parametrize("path", SWIFT_FILES, ids=lambda p: p.relative_to(hc.HARNESS).as_posix())
def test_apis_newer_than_ios16_are_availability_guarded(path):
    assert hc.availability_problems(path.read_text()) == []


def test_compute_plan_code_is_checked_for_availability():
    source = (hc.CORE / "ComputePlanInspector.swift").read_text()
    assert "MLComputePlan" in source and hc.availability_problems(source) == []
    # Without its @available attributes the same file is flagged.
    stripped = source.replace("@available(iOS 17.4, macOS 14.4, *)", "")
    assert len(hc.availability_problems(stripped)) >= 3


@pytest.mark.parametrize("snippet, ok", [
    ("func f(u: URL) async throws { let p = try await MLComputePlan.load(contentsOf: u, configuration: c) }", False),
    ("func f(u: URL) async throws {\n guard #available(iOS 17.4, *) else { return }\n"
     " let p = try await MLComputePlan.load(contentsOf: u, configuration: c) }", True),
    ("func f(u: URL) async throws {\n guard #available(iOS 17.0, *) else { return }\n"
     " let p = try await MLComputePlan.load(contentsOf: u, configuration: c) }", False),
    ("func f(u: URL) async throws {\n if #available(iOS 17.4, *) {\n"
     " let p = try await MLComputePlan.load(contentsOf: u, configuration: c) } }", True),
    ("@available(iOS 17.4, *)\nfunc f(s: MLModelStructure) { }", True),
])
def test_availability_checker(snippet, ok):
    assert (hc.availability_problems(snippet) == []) is ok
