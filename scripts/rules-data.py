#!/usr/bin/python3
"""Regenerate src/rules/data/*.json from the sources PyPI itself uses.

    python3 scripts/rules-data.py [--site DIR]      (npm run rules-data)

DIR holds the exported source trees (default: ../shared/warehouse/site): trove_classifiers
(the classifiers and the deprecated map), packaging/licenses/_spdx.py (the SPDX license and
exception ids, as packaging validates License-Expression), stdlib_list (standard-library names,
reduced the way Warehouse's ProjectService does), warehouse/forklift/legacy.py (the wheel
platform-tag rules) and warehouse/forklift/metadata.py (metadata versions, Dynamic fields).
Warehouse modules are read with `ast` (never imported); the others are plain data modules.
"""
import ast
import json
import os
import re
import sys
from itertools import chain

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "src", "rules", "data")


def site_dir(argv):
    if len(argv) > 2 and argv[1] == "--site":
        return os.path.abspath(argv[2])
    for candidate in (os.environ.get("PKGPUSH_SHARED_DIR"), os.path.join(ROOT, "..", "shared"),
                      "/work/shared"):
        if candidate and os.path.isdir(os.path.join(candidate, "warehouse", "site")):
            return os.path.join(candidate, "warehouse", "site")
    sys.exit("rules-data.py: no source trees; pass --site DIR (see ../shared/warehouse/README.md)")


def source_commits(site):
    """Commit of each source from SOURCES.tsv next to the site folder, when present."""
    tsv = os.path.join(os.path.dirname(site), "SOURCES.tsv")
    out = {}
    if os.path.exists(tsv):
        for line in open(tsv, encoding="utf-8"):
            parts = line.rstrip("\n").split("\t")
            if len(parts) == 4:
                out[parts[0]] = f"{parts[1]}@{parts[2]} ({parts[3][:12]})"
    return out


def module_constants(path, names):
    """The literal values of module-level assignments in a Python file (no import)."""
    source = open(path, encoding="utf-8").read()
    # Warehouse runs Python 3.14: `except A, B:` (PEP 758) means `except (A, B):` to older parsers.
    source = re.sub(r"^([ \t]*)except[ \t]+([^\n():#*]+,[^\n():#]+):",
                    lambda m: f"{m[1]}except ({m[2].strip()}):", source, flags=re.MULTILINE)
    tree = ast.parse(source)
    found = {}
    for node in tree.body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            target = node.targets[0]
            if isinstance(target, ast.Name) and target.id in names:
                found[target.id] = node.value
    return found


def literal(node, env):
    """A literal, a set union (`a | {...}`) of known names, or re.compile(r"...")."""
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
        return sorted(set(literal(node.left, env)) | set(literal(node.right, env)))
    if isinstance(node, ast.Name):
        return env[node.id]
    if isinstance(node, ast.Call) and getattr(node.func, "attr", "") == "compile":
        return ast.literal_eval(node.args[0])
    value = ast.literal_eval(node)
    return sorted(value) if isinstance(value, (set, frozenset)) else value


def platform_rules(site):
    names = ["_allowed_platforms", "_macosx_platform_re", "_macosx_arches",
             "_macosx_major_versions", "_ios_platform_re", "_ios_arches",
             "_android_platform_re", "_android_arches", "_linux_platform_re",
             "_jointlinux_arches", "_manylinux_arches", "_musllinux_arches",
             "_pyemscripten_platform_re"]
    nodes = module_constants(os.path.join(site, "warehouse/forklift/legacy.py"), names)
    env = {}
    for name in names:
        if name not in nodes:
            sys.exit(f"rules-data.py: {name} not found in legacy.py; the rules changed shape")
        env[name] = literal(nodes[name], env)
    # Python's named groups become JavaScript's (same syntax minus the P).
    return {name.lstrip("_"): (re.sub(r"\(\?P<", "(?<", v) if isinstance(v, str) else v)
            for name, v in env.items()}


def metadata_rules(site):
    nodes = module_constants(os.path.join(site, "warehouse/forklift/metadata.py"),
                             ["SUPPORTED_METADATA_VERSIONS", "DYNAMIC_FIELDS", "_LENGTH_LIMITS"])
    return {k: literal(v, {}) for k, v in nodes.items()}


def yara_rules(site):
    """Warehouse's YARA rules (utils/scanner_rules/*.yar, in the scanner's sorted order): each
    one's message, its literal strings and whether any or all of them must occur. The rules are
    plain string matches; anything else would need a YARA engine and stops the generator."""
    folder = os.path.join(site, "warehouse/utils/scanner_rules")
    rules = []
    for name in sorted(os.listdir(folder)):
        if not name.endswith(".yar"):
            continue
        text = open(os.path.join(folder, name), encoding="utf-8").read()
        text = re.sub(r"^\s*//[^\n]*", "", text, flags=re.MULTILINE)
        rule = re.search(r"rule\s+(\w+)", text)[1]
        message = re.search(r'message\s*=\s*"((?:[^"\\]|\\.)*)"', text)[1]
        strings = re.findall(r'\$\w+\s*=\s*"((?:[^"\\]|\\.)*)"\s*$', text, re.MULTILINE)
        condition = re.search(r"condition:\s*(.*?)\s*}", text, re.DOTALL)[1].strip()
        if condition not in ("any of them", "all of them") or not strings:
            sys.exit(f"rules-data.py: {name}: condition {condition!r} is not a plain string match")
        rules.append({"rule": rule, "message": message, "strings": strings,
                      "all": condition == "all of them"})
    return rules


def main(argv):
    site = site_dir(argv)
    sys.path.insert(0, site)
    import trove_classifiers
    import stdlib_list
    from packaging.licenses import _spdx
    from packaging.utils import canonicalize_name

    commits = source_commits(site)
    os.makedirs(OUT, exist_ok=True)

    def write(name, source, data):
        data = {"source": source, **data}
        with open(os.path.join(OUT, name), "w", encoding="utf-8") as f:
            json.dump(data, f, indent=0, ensure_ascii=False, sort_keys=False)
            f.write("\n")
        print(f"rules-data.py: wrote src/rules/data/{name}")

    write("classifiers.json", commits.get("trove_classifiers", "trove_classifiers"), {
        "classifiers": sorted(trove_classifiers.all_classifiers),
        "deprecated": {k: list(v) for k, v in sorted(trove_classifiers.deprecated_classifiers.items())},
    })
    write("spdx.json", f"{commits.get('packaging', 'packaging')} licenses/_spdx.py, SPDX {_spdx.VERSION}", {
        "licenses": {k: v["id"] for k, v in sorted(_spdx.LICENSES.items())},
        "exceptions": {k: v["id"] for k, v in sorted(_spdx.EXCEPTIONS.items())},
    })

    # warehouse/packaging/services.py: every dotted prefix of every module of every version.
    def prefixes(modules):
        for module in modules:
            parts = module.split(".")
            for i in range(len(parts)):
                yield ".".join(parts[: i + 1])

    stdlib = {
        canonicalize_name(s.rstrip("-_.").lstrip("-_."))
        for s in chain.from_iterable(prefixes(stdlib_list.stdlib_list(v))
                                     for v in stdlib_list.short_versions)
    }
    write("stdlib.json", commits.get("stdlib_list", "stdlib_list"), {"names": sorted(stdlib)})
    write("warehouse.json", commits.get("warehouse/forklift", "warehouse"), {
        "platforms": platform_rules(site),
        "metadata": metadata_rules(site),
        "yara": yara_rules(site),
        "scan_extensions": sorted(literal(module_constants(
            os.path.join(site, "warehouse/utils/scanner.py"), ["_SCAN_EXTENSIONS"]
        )["_SCAN_EXTENSIONS"], {})),
    })
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
