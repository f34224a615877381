#!/usr/bin/env python3
"""Which distribution provides which import, read from real installed metadata.

Why: `prepare` turns an agent's imports into requirements, and `import fitz` needs `pymupdf`,
`import cv2` needs `opencv-python-headless` (or another OpenCV build), `opentelemetry.semconv` is
`opentelemetry-semantic-conventions`. A table written by hand gets such names wrong and falls
behind; this one is generated from the RECORD files of every distribution installed in the
pinned test environments (`tests/python/*.lock`), which hold the frameworks and tool libraries
agents use. To teach `prepare` a new library, add it to one of those environments (for instance
`tests/python/frameworks.in`, then its lock) and run this script again; do not edit the output.

It writes two files, both sorted and deterministic:

- `src/python/import_distributions.tsv`: `module<TAB>distribution` lines. A module is the
  shortest dotted name that only one installed distribution provides files under (`fitz`,
  `google.adk`, `opentelemetry.semconv`); a namespace package (no `__init__.py`: `google`,
  `llama_index`) or a package that several distributions extend (`langgraph`) is split by its
  next parts instead, and the distribution whose own `__init__.py` a shared package is gets a
  line of its own for it. The same lines read backwards say which imports a distribution
  provides. A third column marks a distribution that installs the module through another it
  requires: a wrapper with no modules of its own (`fastmcp  fastmcp  fastmcp-slim`), or a
  package whose parts, named after it, fill its own package (`langgraph.prebuilt  langgraph
  langgraph-prebuilt`). Listing either provides the import, and the first is the one people
  install (the part alone may not even work).
- `src/python/distribution_extras.tsv`: `distribution<TAB>extra<TAB>distribution it requires`,
  for the distributions of the first file (`strands-agents  otel
  opentelemetry-exporter-otlp-proto-http`): what listing a distribution with an extra brings.
  Development extras (`dev`, `test`, `docs`, ...) are left out: they are never deployed.

Left out: `pip`, `setuptools` and `wheel` (a venv gets them from the Python that made it, not
from a lock), private top-level modules (`_cffi_backend`), the `tests`, `docs`, `tools` and
`examples` folders some distributions install at the top level by mistake (the names are an
agent's own folders far more often), and files that are not importable modules (scripts, data,
`.dist-info`, stubs).

Usage, with the interpreters of the pinned environments (scripts/import-map.sh finds them):

    scripts/import-map.py PYTHON [PYTHON...]          # rewrite the two files
    scripts/import-map.py --check PYTHON [PYTHON...]  # exit 1 if they are out of date

Each interpreter runs this file with `--collect`, which prints its environment's metadata as
JSON; no network is used.
"""

import json
import os
import re
import subprocess
import sys
from collections import defaultdict

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
IMPORTS_FILE = os.path.join(REPO, "src", "python", "import_distributions.tsv")
EXTRAS_FILE = os.path.join(REPO, "src", "python", "distribution_extras.tsv")

# The installers every venv holds, in the version its Python came with.
BOOTSTRAP = {"pip", "setuptools", "wheel", "distribute"}

# Folders a few distributions install at the top level by mistake (`tools` by
# strands-agents-builder, `dist` by boto3-stubs): names an agent's own folders bear far more
# often, which the table must not take for a library.
STRAY_TOP_LEVEL = {
    "benchmarks", "dist", "doc", "docs", "example", "examples", "samples", "scripts", "src",
    "test", "testing", "tests", "tools",
}

# Extras for developing a distribution, never for running it.
DEVELOPMENT_EXTRAS = {
    "benchmark", "benchmarks", "dev", "develop", "development", "doc", "docs", "lint",
    "linting", "test", "testing", "tests", "type-check", "typing",
}

EXTRA_MARKER = re.compile(r"""extra\s*==\s*['"]([^'"]+)['"]""")
REQUIREMENT_NAME = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*(\[[^\]]*\])?")


def normalized(name):
    """PEP 503: `Strands_Agents` and `strands-agents` are one distribution."""
    return re.sub(r"[-_.]+", "-", name).lower()


def module_of(path):
    """The dotted module a file of a distribution is, or None (scripts, data, stubs)."""
    parts = path.replace("\\", "/").split("/")
    if not parts or parts[0] in ("..", "") or "__pycache__" in parts:
        return None
    *folders, file = parts
    if file.endswith(".py"):
        stem = file[: -len(".py")]
    elif file.endswith((".so", ".pyd")):
        # `_speedups.cpython-311-x86_64-linux-gnu.so`, `cv2.abi3.so`
        stem = file.split(".", 1)[0]
    else:
        return None
    names = folders if stem == "__init__" else folders + [stem]
    if not names or not all(name.isidentifier() for name in names):
        return None
    if names[0].startswith("_") or names[0] in STRAY_TOP_LEVEL:
        return None
    return ".".join(names)


def collect():
    """This interpreter's distributions: the modules each provides, and its extras."""
    import importlib.metadata as metadata

    found = {}
    for dist in metadata.distributions():
        name = dist.metadata["Name"]
        if not name or normalized(name) in BOOTSTRAP:
            continue
        modules = set()
        stubs = False
        for file in dist.files or []:
            module = module_of(str(file))
            if module:
                modules.add(module)
            stubs = stubs or str(file).endswith(".pyi")
        if not modules:
            # No RECORD: the top-level names the distribution declares.
            for line in (dist.read_text("top_level.txt") or "").split():
                if line.isidentifier() and not line.startswith("_") and line not in STRAY_TOP_LEVEL:
                    modules.add(line)
        extras = defaultdict(set)
        always = set()
        for requirement in dist.requires or []:
            if ";" not in requirement:
                named = REQUIREMENT_NAME.match(requirement)
                if named:
                    always.add(normalized(named.group(1)))
                continue
            head, marker = requirement.split(";", 1)
            extra = EXTRA_MARKER.search(marker)
            named = REQUIREMENT_NAME.match(head)
            if extra and named:
                extras[normalized(extra.group(1))].add(normalized(named.group(1)))
        found[normalized(name)] = {
            "name": name,
            "modules": sorted(modules),
            "extras": {extra: sorted(required) for extra, required in extras.items()},
            "requires": sorted(always),
            "stubs": stubs,
        }
    json.dump(found, sys.stdout, sort_keys=True)


def gather(pythons):
    """Every environment's distributions, merged by normalised name."""
    merged = {}
    for python in pythons:
        output = subprocess.run(
            [python, os.path.abspath(__file__), "--collect"],
            check=True,
            capture_output=True,
            text=True,
            timeout=300,
        ).stdout
        for key, dist in json.loads(output).items():
            known = merged.setdefault(
                key,
                {
                    "names": set(),
                    "modules": set(),
                    "extras": defaultdict(set),
                    "requires": set(),
                    "stubs": False,
                },
            )
            known["stubs"] = known["stubs"] or dist["stubs"]
            known["names"].add(dist["name"])
            known["modules"].update(dist["modules"])
            known["requires"].update(dist["requires"])
            for extra, required in dist["extras"].items():
                known["extras"][extra].update(required)
    return merged


def import_lines(merged):
    """`(module, distribution)` pairs: each module at the depth where one distribution owns it."""
    # The spelling a project gives itself; several across versions: the first in byte order.
    spelling = {key: sorted(dist["names"])[0] for key, dist in merged.items()}
    below = defaultdict(set)  # module -> distributions with files at or below it
    own = defaultdict(set)  # module -> distributions with that very module
    children = defaultdict(set)
    for key, dist in merged.items():
        for module in dist["modules"]:
            own[module].add(key)
            parts = module.split(".")
            for length in range(1, len(parts) + 1):
                prefix = ".".join(parts[:length])
                below[prefix].add(key)
                if length > 1:
                    children[".".join(parts[: length - 1])].add(prefix)
    lines = set()

    def visit(module):
        providers = below[module]
        owners = own.get(module, set())
        # A top-level namespace package that one distribution fills is split by its next parts
        # (`llama_index.core`, not `llama_index`): others may add theirs beside them.
        if len(providers) == 1 and (owners or "." in module):
            lines.add((module, spelling[next(iter(providers))]))
            return
        for owner in owners:
            lines.add((module, spelling[owner]))
        # Several builds of one package (`mlflow`, `mlflow-skinny`): their lines here say it.
        if owners and providers <= owners:
            return
        for child in children.get(module, ()):
            visit(child)

    for top in {module.split(".")[0] for module in below}:
        visit(top)
    # A distribution that installs another whose modules people import as its own: a wrapper
    # with no modules of its own, around one named after it or the only one it requires
    # (`fastmcp` -> `fastmcp-slim`, `python-Levenshtein` -> `Levenshtein`), or a package split
    # into parts named after it that fill its own package (`langgraph` -> `langgraph-prebuilt`,
    # whose `langgraph.prebuilt` does not work without `langgraph`).
    providing = {normalized(line[1]) for line in lines}
    tops = lambda dist: {module.split(".")[0] for module in dist["modules"]}
    for key, dist in merged.items():
        if dist["stubs"] and not dist["modules"]:
            continue  # type stubs (`types-requests`), not a wrapper
        required = [part for part in sorted(dist["requires"]) if part in providing]
        named = [part for part in required if part.startswith(key + "-")]
        if dist["modules"]:
            parts = [part for part in named if tops(merged[part]) & tops(dist)]
        else:
            parts = named or (required if len(required) == 1 else [])
        for part in parts:
            for line in list(lines):
                if len(line) == 2 and normalized(line[1]) == part:
                    lines.add((line[0], spelling[key], spelling[part]))
    return sorted(lines, key=lambda line: (line[0].encode(), normalized(line[1]), line[2:]))


def extra_lines(merged, providers):
    """`(distribution, extra, required)` for the requirements of extras that provide imports."""
    lines = set()
    for key, dist in merged.items():
        if key not in providers:
            continue
        name = sorted(dist["names"])[0]
        for extra, required in dist["extras"].items():
            if extra in DEVELOPMENT_EXTRAS:
                continue
            for other in required:
                if other in providers and other != key:
                    lines.add((name, extra, sorted(merged[other]["names"])[0]))
    return sorted(lines, key=lambda line: (normalized(line[0]), line[1], normalized(line[2])))


HEADER = """# Generated by scripts/import-map.py from the pinned test environments (tests/python/*.lock).
# Do not edit: add the library to one of those environments and run the script again.
"""


def render(columns, lines):
    text = HEADER + "# " + "\t".join(columns) + "\n"
    return text + "".join("\t".join(line) + "\n" for line in lines)


def main(argv):
    if argv[1:2] == ["--collect"]:
        collect()
        return 0
    check = argv[1:2] == ["--check"]
    pythons = argv[2:] if check else argv[1:]
    if not pythons:
        print(__doc__, file=sys.stderr)
        return 2
    merged = gather(pythons)
    imports = import_lines(merged)
    providers = {normalized(line[1]) for line in imports}
    outputs = {
        IMPORTS_FILE: render(["module", "distribution", "through"], imports),
        EXTRAS_FILE: render(
            ["distribution", "extra", "requires"], extra_lines(merged, providers)
        ),
    }
    stale = []
    for path, text in outputs.items():
        try:
            with open(path, encoding="utf-8") as current:
                same = current.read() == text
        except FileNotFoundError:
            same = False
        if same:
            continue
        stale.append(os.path.relpath(path, REPO))
        if not check:
            with open(path, "w", encoding="utf-8", newline="\n") as out:
                out.write(text)
    if check and stale:
        print(
            "error: out of date: " + ", ".join(stale) + "; run scripts/import-map.sh",
            file=sys.stderr,
        )
        return 1
    for path in outputs:
        print(f"{os.path.relpath(path, REPO)}: {outputs[path].count(chr(10))} lines", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
