#!/usr/bin/env python3
"""Checks that every target's declared dependencies are exactly the modules its sources import.

usage: scripts/check_imports.py   (from the repository root; reads `swift package dump-package`)

System modules (Foundation, Dispatch, Glibc, Darwin, XCTest) are left out. A declared dependency
that no source imports, or an import of a package module that is not declared, is an error; each
is printed on one line and the exit status is 1.
"""
import json, os, re, subprocess, sys

SYSTEM = {"Foundation", "Dispatch", "Glibc", "Darwin", "XCTest", "FoundationEssentials", "Synchronization"}
# A Swift import names one module (optionally a declaration kind and a member path) and nothing
# else on its line, so Python or shell text inside a string literal ("import struct, sys") is not
# taken for one.
IMPORT = re.compile(r"^\s*(?:@_exported\s+|@testable\s+)?import\s+(?:(?:struct|class|enum|protocol|func|var|let|typealias)\s+)?"
                    r"([A-Za-z_][A-Za-z0-9_]*)(?:\.[A-Za-z_][A-Za-z0-9_]*)*\s*(?://.*)?$", re.M)

# Product names that import as a different module name.
PRODUCT_MODULES = {"ArgumentParser": "ArgumentParser"}


def main():
    package = json.loads(subprocess.run(["swift", "package", "dump-package"], check=True,
                                        capture_output=True, text=True).stdout)
    problems = []
    for target in package["targets"]:
        if target["type"] == "system":
            continue
        name = target["name"]
        folder = target.get("path") or os.path.join("Tests" if target["type"] == "test" else "Sources", name)
        declared = set()
        for dependency in target.get("dependencies", []):
            kind, value = next(iter(dependency.items()))
            declared.add(PRODUCT_MODULES.get(value[0], value[0]))
        imported = set()
        for root, _, files in os.walk(folder):
            for file in files:
                if file.endswith(".swift"):
                    with open(os.path.join(root, file), encoding="utf-8") as f:
                        imported.update(IMPORT.findall(f.read()))
                elif file.endswith((".c", ".h")):
                    imported.add("__c__")
        imported -= SYSTEM | {"__c__"}
        for module in sorted(declared - imported):
            problems.append(f"{name}: declares {module} but no source imports it")
        for module in sorted(imported - declared - {name}):
            problems.append(f"{name}: imports {module} but does not declare it")
    for line in problems:
        print(f"check_imports: {line}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
