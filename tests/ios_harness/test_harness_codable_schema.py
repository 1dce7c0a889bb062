"""The Swift Codable types mirror the JSON Schemas key for key.

For Plan, Report, RunLine and ProgressMarker the explicit `CodingKeys` raw values
must equal the schema's `properties` of every object reached from the root,
Swift enums must carry exactly the schema's enum values, required keys must not
be optional in Swift, and required-but-nullable keys must be encoded as an
explicit null. The checker is also shown broken input to prove it can fail.
"""

from __future__ import annotations

import copy
import sys
from pathlib import Path

import pytest

# Importable under any pytest import mode (prepend, importlib) and layout.
sys.path.insert(0, str(Path(__file__).resolve().parent))
import harness_checks as hc  # noqa: E402


@pytest.fixture(scope="module")
def core_sources():
    return hc.read_sources(hc.CORE)


@pytest.fixture(scope="module")
def schemas():
    return {name: hc.load_schema(name) for name in ("plan", "report", "progress")}


def test_codable_types_match_the_schemas(core_sources, schemas):
    assert hc.all_codable_problems(hc.swift_types(core_sources), schemas) == []


def test_every_schema_object_is_checked(core_sources, schemas):
    """The walk reaches every object of the report (so a new nested object can't slip by)."""
    types = hc.swift_types(core_sources)
    visited = []
    original = hc.codable_problems

    def spy(types_, type_name, *args, **kwargs):
        visited.append(type_name)
        return original(types_, type_name, *args, **kwargs)

    hc.codable_problems = spy
    try:
        hc.all_codable_problems(types, schemas)
    finally:
        hc.codable_problems = original
    assert {"Plan", "MeasurementProtocol", "PlanRun", "Report", "DeviceDescription", "RunResult",
            "RoundInfo", "MemoryUsage", "InputDescription", "ComputePlanSummary", "OpsByDevice",
            "RunLine", "ProgressMarker"} <= set(visited)


def _mutated(sources, file, old, new):
    assert old in sources[file], f"{old!r} not in {file}"
    changed = dict(sources)
    changed[file] = sources[file].replace(old, new, 1)
    return hc.swift_types(changed)


def test_checker_flags_a_renamed_key(core_sources, schemas):
    types = _mutated(core_sources, "Report.swift", 'case runId = "run_id"', 'case runId = "runid"')
    problems = hc.all_codable_problems(types, schemas)
    assert any("'run_id' has no CodingKeys case" in p for p in problems)
    assert any("'runid' is not in the schema" in p for p in problems)


def test_checker_flags_a_new_schema_key(core_sources, schemas):
    changed = copy.deepcopy(schemas)
    changed["plan"]["$defs"]["plan_run"]["properties"]["precision"] = {"type": "string"}
    problems = hc.all_codable_problems(hc.swift_types(core_sources), changed)
    assert any("'precision' has no CodingKeys case in PlanRun" in p for p in problems)


def test_checker_flags_an_optional_required_key(core_sources, schemas):
    types = _mutated(core_sources, "Plan.swift", "var planId: String\n", "var planId: String?\n")
    problems = hc.all_codable_problems(types, schemas)
    assert any("plan_id: required and never null" in p for p in problems)


def test_checker_flags_a_required_null_key_that_would_be_omitted(core_sources, schemas):
    types = _mutated(core_sources, "Report.swift",
                     "try container.encode(error, forKey: .error)",
                     "try container.encodeIfPresent(error, forKey: .error)")
    problems = hc.all_codable_problems(types, schemas)
    assert any(".error: required (may be null)" in p for p in problems)


def test_checker_flags_enum_drift(core_sources, schemas):
    changed = copy.deepcopy(schemas)
    changed["report"]["$defs"]["thermal_state"]["enum"].append("unknown")
    problems = hc.all_codable_problems(hc.swift_types(core_sources), changed)
    assert any("ThermalState raw values" in p for p in problems)


def test_checker_flags_a_property_missing_from_coding_keys(core_sources, schemas):
    types = _mutated(core_sources, "Report.swift", "    var durationMs: Double?\n",
                     "    var durationMs: Double?\n    var note: String?\n")
    problems = hc.all_codable_problems(types, schemas)
    assert any("RoundInfo.note is stored but not in CodingKeys" in p for p in problems)
