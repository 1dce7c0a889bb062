"""Write MobenchHarness.xcodeproj (project.pbxproj, shared scheme, workspace stub).

The project is committed, so Xcode opens and builds it with no extra tool; this
script only exists so that adding a Swift file is one command instead of a
hand edit of project.pbxproj. Object IDs are derived from stable names (24 hex
digits of an md5), so regenerating an unchanged tree gives identical files.

    python ios_harness/tools/generate_xcodeproj.py          # rewrite
    python ios_harness/tools/generate_xcodeproj.py --check  # exit 1 if out of date

Layout it encodes (the app builds on the Swift package's own sources,
ios_harness/Package.swift, so the Swift the phone runs is the Swift that
`swift test` tests):
  - target MobenchHarness (SwiftUI app, org.mobench.harness, iOS 16.0, Swift 6):
    every .swift under Sources/Core (the package's MobenchHarnessCore target)
    and Sources/App (the shell), Info.plist at Sources/App/Info.plist;
    Sources/CLI (the package's command-line executable) is not part of the app;
  - target MobenchHarnessTests (XCTest bundle hosted by the app): every .swift
    under Tests/CoreTests (the package's test target, also run by `swift test`)
    and Tests/MobenchHarnessTests (Core ML on the device), resources = the golden
    examples and the JSON Schemas referenced in place from
    ../mobench/devices/iphone/schema/, the Tests/Fixtures folder and the FarmPlan
    folder (folder references, copied as they are).
"""

from __future__ import annotations

import argparse
import hashlib
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent          # ios_harness/
PROJECT = ROOT / "MobenchHarness.xcodeproj"
APP = "MobenchHarness"
TESTS = "MobenchHarnessTests"
BUNDLE_ID = "org.mobench.harness"
DEPLOYMENT_TARGET = "16.0"
GOLDEN_DIR = "../mobench/devices/iphone/schema/examples"
GOLDEN_FILES = ("plan.json", "report.json")
SCHEMA_DIR = "../mobench/devices/iphone/schema"
SCHEMA_FILES = ("plan.schema.json", "progress.schema.json", "report.schema.json")
APP_SOURCE_DIRS = ("Sources/App", "Sources/Core")
TEST_SOURCE_DIRS = ("Tests/CoreTests", "Tests/MobenchHarnessTests")
FOLDER_RESOURCES = (("Tests/Fixtures", "Fixtures"), ("FarmPlan", "FarmPlan"))


def oid(*parts: str) -> str:
    return hashlib.md5(("mobench-harness:" + "/".join(parts)).encode()).hexdigest()[:24].upper()


_BARE = re.compile(r"^[A-Za-z0-9_$/:.]+$")


def q(value: str) -> str:
    """A pbxproj string: bare when safe, else quoted."""
    if _BARE.match(value) and not value.startswith("//"):
        return value
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def swift_files(folder: str) -> list[str]:
    base = ROOT / folder
    return sorted(p.relative_to(ROOT).as_posix() for p in base.rglob("*.swift"))


def settings_block(settings: dict[str, object], indent: str) -> str:
    lines = []
    for key in sorted(settings):
        value = settings[key]
        if isinstance(value, (list, tuple)):
            inner = "".join(f"{indent}\t{q(v)},\n" for v in value)
            lines.append(f"{indent}{q(key)} = (\n{inner}{indent});")
        else:
            lines.append(f"{indent}{q(key)} = {q(str(value))};")
    return "\n".join(lines)


def build() -> dict[str, str]:
    app_sources = [f for folder in APP_SOURCE_DIRS for f in swift_files(folder)]
    test_sources = [f for folder in TEST_SOURCE_DIRS for f in swift_files(folder)]

    file_refs: list[str] = []
    build_files: list[str] = []
    groups: list[str] = []

    def file_ref(key: str, name: str, path: str, kind: str, tree: str = "<group>", show_name: bool = False) -> str:
        ident = oid("fileref", key)
        name_part = f"name = {q(name)}; " if show_name else ""
        file_refs.append(
            f"\t\t{ident} /* {name} */ = {{isa = PBXFileReference; lastKnownFileType = {q(kind)}; "
            f"{name_part}path = {q(path)}; sourceTree = {q(tree)}; }};"
        )
        return ident

    def build_file(key: str, ref: str, name: str, phase: str) -> str:
        ident = oid("buildfile", phase, key)
        build_files.append(f"\t\t{ident} /* {name} in {phase} */ = {{isa = PBXBuildFile; fileRef = {ref} /* {name} */; }};")
        return ident

    def group(key: str, name: str, children: list[tuple[str, str]], path: str | None = None) -> str:
        ident = oid("group", key)
        kids = "".join(f"\t\t\t\t{c} /* {n} */,\n" for c, n in children)
        where = f"\t\t\tpath = {q(path)};\n" if path else f"\t\t\tname = {q(name)};\n"
        groups.append(
            f"\t\t{ident} /* {name} */ = {{\n\t\t\tisa = PBXGroup;\n\t\t\tchildren = (\n{kids}\t\t\t);\n"
            f"{where}\t\t\tsourceTree = \"<group>\";\n\t\t}};"
        )
        return ident

    # Source files, grouped by folder (Sources/App, Sources/Core, Tests/MobenchHarnessTests).
    app_build, test_build = [], []
    folder_children: dict[str, list[tuple[str, str]]] = {}
    for rel in app_sources + test_sources:
        name = rel.rsplit("/", 1)[1]
        ref = file_ref(rel, name, name, "sourcecode.swift")
        folder_children.setdefault(rel.rsplit("/", 1)[0], []).append((ref, name))
        if rel in app_sources:
            app_build.append((build_file(rel, ref, name, "Sources"), name))
        else:
            test_build.append((build_file(rel, ref, name, "Sources"), name))
    info_ref = file_ref("Sources/App/Info.plist", "Info.plist", "Info.plist", "text.plist.xml")
    folder_children.setdefault("Sources/App", []).append((info_ref, "Info.plist"))

    # Test resources.
    test_resources = []
    golden_children = []
    for name in GOLDEN_FILES:
        ref = file_ref("golden/" + name, name, f"{GOLDEN_DIR}/{name}", "text.json", tree="SOURCE_ROOT", show_name=True)
        golden_children.append((ref, name))
        test_resources.append((build_file("golden/" + name, ref, name, "Resources"), name))
    for name in SCHEMA_FILES:
        ref = file_ref("schema/" + name, name, f"{SCHEMA_DIR}/{name}", "text.json", tree="SOURCE_ROOT", show_name=True)
        golden_children.append((ref, name))
        test_resources.append((build_file("schema/" + name, ref, name, "Resources"), name))
    folder_refs = {}
    for path, name in FOLDER_RESOURCES:
        ref = file_ref("folder/" + path, name, name, "folder")
        folder_refs[path] = (ref, name)
        test_resources.append((build_file("folder/" + path, ref, name, "Resources"), name))

    app_product = oid("product", APP)
    test_product = oid("product", TESTS)
    file_refs.append(
        f"\t\t{app_product} /* {APP}.app */ = {{isa = PBXFileReference; explicitFileType = wrapper.application; "
        f"includeInIndex = 0; path = {APP}.app; sourceTree = BUILT_PRODUCTS_DIR; }};"
    )
    file_refs.append(
        f"\t\t{test_product} /* {TESTS}.xctest */ = {{isa = PBXFileReference; explicitFileType = wrapper.cfbundle; "
        f"includeInIndex = 0; path = {TESTS}.xctest; sourceTree = BUILT_PRODUCTS_DIR; }};"
    )

    g_app = group("Sources/App", "App", folder_children["Sources/App"], path="App")
    g_core = group("Sources/Core", "Core", folder_children["Sources/Core"], path="Core")
    g_sources = group("Sources", "Sources", [(g_app, "App"), (g_core, "Core")], path="Sources")
    g_core_tests = group("Tests/CoreTests", "CoreTests", folder_children["Tests/CoreTests"], path="CoreTests")
    g_test_sources = group("Tests/MobenchHarnessTests", TESTS, folder_children["Tests/MobenchHarnessTests"], path=TESTS)
    g_tests = group("Tests", "Tests", [(g_core_tests, "CoreTests"), (g_test_sources, TESTS), folder_refs["Tests/Fixtures"]],
                    path="Tests")
    g_golden = group("golden", "Golden examples and schemas (mobench/devices/iphone/schema)", golden_children)
    g_products = group("Products", "Products", [(app_product, f"{APP}.app"), (test_product, f"{TESTS}.xctest")])
    g_main = group(
        "main", "MobenchHarness",
        [(g_sources, "Sources"), (g_tests, "Tests"), (g_golden, "Golden examples and schemas"), folder_refs["FarmPlan"],
         (g_products, "Products")],
    )
    # The main group has neither name nor path in Xcode's own projects.
    groups[-1] = groups[-1].replace(f"\t\t\tname = {q('MobenchHarness')};\n", "")

    def phase(kind: str, key: str, files: list[tuple[str, str]], label: str) -> tuple[str, str]:
        ident = oid("phase", key)
        items = "".join(f"\t\t\t\t{b} /* {n} in {label} */,\n" for b, n in files)
        text = (
            f"\t\t{ident} /* {label} */ = {{\n\t\t\tisa = {kind};\n\t\t\tbuildActionMask = 2147483647;\n"
            f"\t\t\tfiles = (\n{items}\t\t\t);\n\t\t\trunOnlyForDeploymentPostprocessing = 0;\n\t\t}};"
        )
        return ident, text

    app_src_id, app_src = phase("PBXSourcesBuildPhase", "app-sources", app_build, "Sources")
    app_fw_id, app_fw = phase("PBXFrameworksBuildPhase", "app-frameworks", [], "Frameworks")
    app_res_id, app_res = phase("PBXResourcesBuildPhase", "app-resources", [], "Resources")
    test_src_id, test_src = phase("PBXSourcesBuildPhase", "test-sources", test_build, "Sources")
    test_fw_id, test_fw = phase("PBXFrameworksBuildPhase", "test-frameworks", [], "Frameworks")
    test_res_id, test_res = phase("PBXResourcesBuildPhase", "test-resources", test_resources, "Resources")

    project_id = oid("project")
    app_target = oid("target", APP)
    test_target = oid("target", TESTS)
    proxy = oid("proxy", TESTS)
    dependency = oid("dependency", TESTS)

    common = {
        "ALWAYS_SEARCH_USER_PATHS": "NO",
        "CLANG_ENABLE_MODULES": "YES",
        "CLANG_ENABLE_OBJC_ARC": "YES",
        "ENABLE_STRICT_OBJC_MSGSEND": "YES",
        "ENABLE_USER_SCRIPT_SANDBOXING": "YES",
        "GCC_C_LANGUAGE_STANDARD": "gnu17",
        "IPHONEOS_DEPLOYMENT_TARGET": DEPLOYMENT_TARGET,
        "SDKROOT": "iphoneos",
        "SWIFT_VERSION": "6.0",
        # Release keeps testability so the farm runs `@testable import` tests
        # against an optimized build (the scheme tests in Release).
        "ENABLE_TESTABILITY": "YES",
    }
    project_debug = dict(common, **{
        "COPY_PHASE_STRIP": "NO",
        "DEBUG_INFORMATION_FORMAT": "dwarf",
        "GCC_OPTIMIZATION_LEVEL": "0",
        "GCC_PREPROCESSOR_DEFINITIONS": ["DEBUG=1", "$(inherited)"],
        "ONLY_ACTIVE_ARCH": "YES",
        "SWIFT_ACTIVE_COMPILATION_CONDITIONS": "DEBUG",
        "SWIFT_OPTIMIZATION_LEVEL": "-Onone",
    })
    project_release = dict(common, **{
        "COPY_PHASE_STRIP": "NO",
        "DEBUG_INFORMATION_FORMAT": "dwarf-with-dsym",
        "ENABLE_NS_ASSERTIONS": "NO",
        "SWIFT_COMPILATION_MODE": "wholemodule",
        "SWIFT_OPTIMIZATION_LEVEL": "-O",
        "VALIDATE_PRODUCT": "YES",
    })
    signing = {
        "CODE_SIGN_STYLE": "Automatic",
        "DEVELOPMENT_TEAM": "",          # set yours in Signing & Capabilities (README)
        "CURRENT_PROJECT_VERSION": "1",
        "MARKETING_VERSION": "1.0",
        "IPHONEOS_DEPLOYMENT_TARGET": DEPLOYMENT_TARGET,
        "SWIFT_VERSION": "6.0",
        "TARGETED_DEVICE_FAMILY": "1,2",
        "PRODUCT_NAME": "$(TARGET_NAME)",
    }
    app_settings = dict(signing, **{
        "GENERATE_INFOPLIST_FILE": "NO",
        "INFOPLIST_FILE": "Sources/App/Info.plist",
        "PRODUCT_BUNDLE_IDENTIFIER": BUNDLE_ID,
        "LD_RUNPATH_SEARCH_PATHS": ["$(inherited)", "@executable_path/Frameworks"],
        "ENABLE_PREVIEWS": "YES",
        "SWIFT_EMIT_LOC_STRINGS": "YES",
    })
    test_settings = dict(signing, **{
        "GENERATE_INFOPLIST_FILE": "YES",
        "PRODUCT_BUNDLE_IDENTIFIER": BUNDLE_ID + ".tests",
        "BUNDLE_LOADER": "$(TEST_HOST)",
        "TEST_HOST": f"$(BUILT_PRODUCTS_DIR)/{APP}.app/$(BUNDLE_EXECUTABLE_FOLDER_PATH)/{APP}",
        "SWIFT_EMIT_LOC_STRINGS": "NO",
    })

    configs: list[str] = []
    lists: list[str] = []

    def config_list(owner: str, label: str, debug: dict, release: dict) -> str:
        ids = []
        for name, settings in (("Debug", debug), ("Release", release)):
            ident = oid("config", owner, name)
            ids.append((ident, name))
            configs.append(
                f"\t\t{ident} /* {name} */ = {{\n\t\t\tisa = XCBuildConfiguration;\n\t\t\tbuildSettings = {{\n"
                f"{settings_block(settings, chr(9) * 4)}\n\t\t\t}};\n\t\t\tname = {name};\n\t\t}};"
            )
        ident = oid("configlist", owner)
        items = "".join(f"\t\t\t\t{i} /* {n} */,\n" for i, n in ids)
        lists.append(
            f"\t\t{ident} /* Build configuration list for {label} */ = {{\n\t\t\tisa = XCConfigurationList;\n"
            f"\t\t\tbuildConfigurations = (\n{items}\t\t\t);\n\t\t\tdefaultConfigurationIsVisible = 0;\n"
            f"\t\t\tdefaultConfigurationName = Release;\n\t\t}};"
        )
        return ident

    project_list = config_list("project", f'PBXProject "{APP}"', project_debug, project_release)
    app_list = config_list(APP, f'PBXNativeTarget "{APP}"', app_settings, app_settings)
    test_list = config_list(TESTS, f'PBXNativeTarget "{TESTS}"', test_settings, test_settings)

    def native_target(ident: str, name: str, build_list: str, phases: tuple[str, str, str], dependencies: str,
                      product: str, product_file: str, product_type: str) -> str:
        src, fw, res = phases
        return f"""\t\t{ident} /* {name} */ = {{
\t\t\tisa = PBXNativeTarget;
\t\t\tbuildConfigurationList = {build_list} /* Build configuration list for PBXNativeTarget "{name}" */;
\t\t\tbuildPhases = (
\t\t\t\t{src} /* Sources */,
\t\t\t\t{fw} /* Frameworks */,
\t\t\t\t{res} /* Resources */,
\t\t\t);
\t\t\tbuildRules = (
\t\t\t);
\t\t\tdependencies = (
{dependencies}\t\t\t);
\t\t\tname = {name};
\t\t\tproductName = {name};
\t\t\tproductReference = {product} /* {product_file} */;
\t\t\tproductType = "{product_type}";
\t\t}};"""

    targets = "\n".join([
        native_target(app_target, APP, app_list, (app_src_id, app_fw_id, app_res_id), "",
                      app_product, f"{APP}.app", "com.apple.product-type.application"),
        native_target(test_target, TESTS, test_list, (test_src_id, test_fw_id, test_res_id),
                      f"\t\t\t\t{dependency} /* PBXTargetDependency */,\n",
                      test_product, f"{TESTS}.xctest", "com.apple.product-type.bundle.unit-test"),
    ])

    project = f"""\t\t{project_id} /* Project object */ = {{
\t\t\tisa = PBXProject;
\t\t\tattributes = {{
\t\t\t\tBuildIndependentTargetsInParallel = 1;
\t\t\t\tLastSwiftUpdateCheck = 1500;
\t\t\t\tLastUpgradeCheck = 1500;
\t\t\t\tTargetAttributes = {{
\t\t\t\t\t{app_target} = {{
\t\t\t\t\t\tCreatedOnToolsVersion = 15.0;
\t\t\t\t\t}};
\t\t\t\t\t{test_target} = {{
\t\t\t\t\t\tCreatedOnToolsVersion = 15.0;
\t\t\t\t\t\tTestTargetID = {app_target};
\t\t\t\t\t}};
\t\t\t\t}};
\t\t\t}};
\t\t\tbuildConfigurationList = {project_list} /* Build configuration list for PBXProject "{APP}" */;
\t\t\tcompatibilityVersion = "Xcode 14.0";
\t\t\tdevelopmentRegion = en;
\t\t\thasScannedForEncodings = 0;
\t\t\tknownRegions = (
\t\t\t\ten,
\t\t\t\tBase,
\t\t\t);
\t\t\tmainGroup = {g_main};
\t\t\tproductRefGroup = {g_products} /* Products */;
\t\t\tprojectDirPath = "";
\t\t\tprojectRoot = "";
\t\t\ttargets = (
\t\t\t\t{app_target} /* {APP} */,
\t\t\t\t{test_target} /* {TESTS} */,
\t\t\t);
\t\t}};"""

    proxy_text = f"""\t\t{proxy} /* PBXContainerItemProxy */ = {{
\t\t\tisa = PBXContainerItemProxy;
\t\t\tcontainerPortal = {project_id} /* Project object */;
\t\t\tproxyType = 1;
\t\t\tremoteGlobalIDString = {app_target};
\t\t\tremoteInfo = {APP};
\t\t}};"""
    dependency_text = f"""\t\t{dependency} /* PBXTargetDependency */ = {{
\t\t\tisa = PBXTargetDependency;
\t\t\ttarget = {app_target} /* {APP} */;
\t\t\ttargetProxy = {proxy} /* PBXContainerItemProxy */;
\t\t}};"""

    def section(name: str, entries: list[str]) -> str:
        return f"\n/* Begin {name} section */\n" + "\n".join(entries) + f"\n/* End {name} section */\n"

    pbxproj = (
        "// !$*UTF8*$!\n{\n\tarchiveVersion = 1;\n\tclasses = {\n\t};\n\tobjectVersion = 56;\n\tobjects = {\n"
        + section("PBXBuildFile", sorted(build_files))
        + section("PBXContainerItemProxy", [proxy_text])
        + section("PBXFileReference", sorted(file_refs))
        + section("PBXFrameworksBuildPhase", [app_fw, test_fw])
        + section("PBXGroup", groups)
        + section("PBXNativeTarget", [targets])
        + section("PBXProject", [project])
        + section("PBXResourcesBuildPhase", [app_res, test_res])
        + section("PBXSourcesBuildPhase", [app_src, test_src])
        + section("PBXTargetDependency", [dependency_text])
        + section("XCBuildConfiguration", configs)
        + section("XCConfigurationList", lists)
        + f"\t}};\n\trootObject = {project_id} /* Project object */;\n}}\n"
    )

    def buildable(target: str, product: str) -> str:
        return (
            f'BuildableIdentifier = "primary"\n               BlueprintIdentifier = "{target}"\n'
            f'               BuildableName = "{product}"\n               BlueprintName = "{product.split(".")[0]}"\n'
            f'               ReferencedContainer = "container:{APP}.xcodeproj"'
        )

    scheme = f"""<?xml version="1.0" encoding="UTF-8"?>
<Scheme
   LastUpgradeVersion = "1500"
   version = "1.7">
   <BuildAction
      parallelizeBuildables = "YES"
      buildImplicitDependencies = "YES">
      <BuildActionEntries>
         <BuildActionEntry
            buildForTesting = "YES"
            buildForRunning = "YES"
            buildForProfiling = "YES"
            buildForArchiving = "YES"
            buildForAnalyzing = "YES">
            <BuildableReference
               {buildable(app_target, APP + ".app")}>
            </BuildableReference>
         </BuildActionEntry>
      </BuildActionEntries>
   </BuildAction>
   <TestAction
      buildConfiguration = "Release"
      selectedDebuggerIdentifier = "Xcode.DebuggerFoundation.Debugger.LLDB"
      selectedLauncherIdentifier = "Xcode.DebuggerFoundation.Launcher.LLDB"
      shouldUseLaunchSchemeArgsEnv = "YES"
      shouldAutocreateTestPlan = "YES">
      <Testables>
         <TestableReference
            skipped = "NO">
            <BuildableReference
               {buildable(test_target, TESTS + ".xctest")}>
            </BuildableReference>
         </TestableReference>
      </Testables>
   </TestAction>
   <LaunchAction
      buildConfiguration = "Release"
      selectedDebuggerIdentifier = "Xcode.DebuggerFoundation.Debugger.LLDB"
      selectedLauncherIdentifier = "Xcode.DebuggerFoundation.Launcher.LLDB"
      launchStyle = "0"
      useCustomWorkingDirectory = "NO"
      ignoresPersistentStateOnLaunch = "NO"
      debugDocumentVersioning = "YES"
      debugServiceExtension = "internal"
      allowLocationSimulation = "YES">
      <BuildableProductRunnable
         runnableDebuggingMode = "0">
         <BuildableReference
            {buildable(app_target, APP + ".app")}>
         </BuildableReference>
      </BuildableProductRunnable>
      <CommandLineArguments>
         <CommandLineArgument
            argument = "--plan plan.json"
            isEnabled = "NO">
         </CommandLineArgument>
         <CommandLineArgument
            argument = "--autostart"
            isEnabled = "NO">
         </CommandLineArgument>
      </CommandLineArguments>
   </LaunchAction>
   <ProfileAction
      buildConfiguration = "Release"
      shouldUseLaunchSchemeArgsEnv = "YES"
      savedToolIdentifier = ""
      useCustomWorkingDirectory = "NO"
      debugDocumentVersioning = "YES">
      <BuildableProductRunnable
         runnableDebuggingMode = "0">
         <BuildableReference
            {buildable(app_target, APP + ".app")}>
         </BuildableReference>
      </BuildableProductRunnable>
   </ProfileAction>
   <AnalyzeAction
      buildConfiguration = "Debug">
   </AnalyzeAction>
   <ArchiveAction
      buildConfiguration = "Release"
      revealArchiveInOrganizer = "YES">
   </ArchiveAction>
</Scheme>
"""
    workspace = (
        '<?xml version="1.0" encoding="UTF-8"?>\n<Workspace\n   version = "1.0">\n'
        '   <FileRef\n      location = "self:">\n   </FileRef>\n</Workspace>\n'
    )
    return {
        "project.pbxproj": pbxproj,
        f"xcshareddata/xcschemes/{APP}.xcscheme": scheme,
        "project.xcworkspace/contents.xcworkspacedata": workspace,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if the committed project differs")
    args = parser.parse_args(argv)
    stale = []
    for rel, text in build().items():
        path = PROJECT / rel
        if args.check:
            if not path.exists() or path.read_text() != text:
                stale.append(rel)
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    if stale:
        print("out of date: " + ", ".join(stale) + "; run python ios_harness/tools/generate_xcodeproj.py", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
