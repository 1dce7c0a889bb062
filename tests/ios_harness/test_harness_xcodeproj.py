"""The committed Xcode project, read with the `pbxproj` package (no Xcode here).

Every Swift file is compiled by the right target, iOS 16.0 everywhere, the
settings the README relies on (bundle id, automatic signing with the team left
to the user, hosted XCTest target), the golden examples referenced in place, a
shared scheme whose test action points at the test target, and the project is
exactly what tools/generate_xcodeproj.py writes.
"""

from __future__ import annotations

import importlib.util
import re
import shutil
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

# Importable under any pytest import mode (prepend, importlib) and layout.
sys.path.insert(0, str(Path(__file__).resolve().parent))
import harness_checks as hc  # noqa: E402
from mobench.devices.iphone import constants

PBXPROJ = hc.PROJECT / "project.pbxproj"
SCHEME = hc.PROJECT / "xcshareddata" / "xcschemes" / "MobenchHarness.xcscheme"


@pytest.fixture(scope="module")
def project():
    from pbxproj import XcodeProject

    return XcodeProject.load(str(PBXPROJ))


def _targets(project):
    return {t.name: t for t in project.objects.get_targets()}


def _settings(project, target):
    objects = project.objects
    return {objects[c].name: objects[c].buildSettings
            for c in objects[target.buildConfigurationList].buildConfigurations}


def test_every_swift_file_is_in_its_targets_sources_and_ios16():
    assert hc.project_problems(PBXPROJ) == []


def test_checker_flags_a_file_left_out_of_the_build(tmp_path):
    text = PBXPROJ.read_text()
    # Drop Statistics.swift from the app's Sources phase (the build file entry stays).
    phase_line = re.search(r"\n\t+\w{24} /\* Statistics\.swift in Sources \*/,", text)
    assert phase_line
    broken = tmp_path / "project.pbxproj"
    broken.write_text(text.replace(phase_line.group(0), "", 1))
    problems = hc.project_problems(broken)
    assert "Sources/Core/Statistics.swift is not in the Sources phase of MobenchHarness" in problems


def test_checker_flags_a_wrong_deployment_target(tmp_path):
    broken = tmp_path / "project.pbxproj"
    broken.write_text(PBXPROJ.read_text().replace("IPHONEOS_DEPLOYMENT_TARGET = 16.0;", "IPHONEOS_DEPLOYMENT_TARGET = 15.0;"))
    problems = hc.project_problems(broken)
    assert any("15.0" in p for p in problems)


def test_checker_flags_a_new_swift_file_not_in_the_project(tmp_path):
    harness = tmp_path / "ios_harness"
    shutil.copytree(hc.SOURCES, harness / "Sources")
    shutil.copytree(hc.TESTS, harness / "Tests" / "MobenchHarnessTests")
    shutil.copytree(hc.CORE_TESTS, harness / "Tests" / "CoreTests")
    (harness / "Package.swift").write_text("// swift-tools-version:6.0\n")   # the package manifest is no app source
    (harness / "Sources" / "Core" / "Extra.swift").write_text("struct Extra {}\n")
    problems = hc.project_problems(PBXPROJ, harness_root=harness)
    assert problems == ["Sources/Core/Extra.swift is not in the Sources phase of MobenchHarness"]


def test_app_target_settings(project):
    targets = _targets(project)
    assert set(targets) == {"MobenchHarness", "MobenchHarnessTests"}
    app = targets["MobenchHarness"]
    assert app.productType == "com.apple.product-type.application"
    for name, settings in _settings(project, app).items():
        assert settings["PRODUCT_BUNDLE_IDENTIFIER"] == constants.BUNDLE_ID, name
        assert settings["CODE_SIGN_STYLE"] == "Automatic", name
        assert settings["DEVELOPMENT_TEAM"] == "", name          # the user sets their team
        assert (hc.HARNESS / settings["INFOPLIST_FILE"]).is_file(), name
        assert settings["GENERATE_INFOPLIST_FILE"] == "NO", name


def test_test_target_is_hosted_by_the_app(project):
    objects = project.objects
    targets = _targets(project)
    tests = targets["MobenchHarnessTests"]
    assert tests.productType == "com.apple.product-type.bundle.unit-test"
    for name, settings in _settings(project, tests).items():
        assert settings["TEST_HOST"].endswith("/MobenchHarness.app/$(BUNDLE_EXECUTABLE_FOLDER_PATH)/MobenchHarness"), name
        assert settings["BUNDLE_LOADER"] == "$(TEST_HOST)", name
    dependencies = [objects[d].target for d in tests.dependencies]
    assert dependencies == [targets["MobenchHarness"].get_id()]


def test_test_bundle_resources_are_the_golden_examples_and_fixtures(project):
    objects = project.objects
    tests = _targets(project)["MobenchHarnessTests"]
    resources = {}
    for phase_id in tests.buildPhases:
        phase = objects[phase_id]
        if phase.isa == "PBXResourcesBuildPhase":
            for build_file in phase.files:
                ref = objects[objects[build_file].fileRef]
                resources[ref["name"] if "name" in ref else ref.path] = ref
    schemas = ("plan.schema.json", "progress.schema.json", "report.schema.json")
    assert set(resources) == {"plan.json", "report.json", *schemas, "Fixtures", "FarmPlan"}
    for name in ("plan.json", "report.json", *schemas):
        ref = resources[name]
        assert ref.sourceTree == "SOURCE_ROOT"
        # Referenced in place: the XCTest target reads the very files the host validates.
        where = hc.SCHEMA_DIR / ("" if name in schemas else "examples") / name
        assert (hc.HARNESS / ref.path).resolve() == where.resolve()
        assert (hc.HARNESS / ref.path).is_file()
    assert resources["Fixtures"].lastKnownFileType == "folder"
    assert (hc.HARNESS / "Tests" / "Fixtures" / "plan.json").is_file()
    assert (hc.HARNESS / "FarmPlan").is_dir()


def test_shared_scheme_tests_the_test_target(project):
    targets = _targets(project)
    ids = {t.get_id(): name for name, t in targets.items()}
    scheme = ET.parse(SCHEME).getroot()
    testables = scheme.findall("./TestAction/Testables/TestableReference/BuildableReference")
    assert [(r.get("BlueprintIdentifier"), r.get("BuildableName")) for r in testables] == [
        (targets["MobenchHarnessTests"].get_id(), "MobenchHarnessTests.xctest")
    ]
    for ref in scheme.iter("BuildableReference"):
        assert ids[ref.get("BlueprintIdentifier")] == ref.get("BlueprintName")
        assert ref.get("ReferencedContainer") == "container:MobenchHarness.xcodeproj"


def test_project_is_what_the_generator_writes():
    spec = importlib.util.spec_from_file_location("generate_xcodeproj", hc.HARNESS / "tools" / "generate_xcodeproj.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    generated = module.build()
    for rel, text in generated.items():
        assert (hc.PROJECT / rel).read_text() == text, f"{rel} is stale: run python ios_harness/tools/generate_xcodeproj.py"
