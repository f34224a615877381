"""Which of the modules an agent imports its Python environment cannot find.

`serve` runs this with the interpreter of the environment it built for a deployment, before any
worker starts: a module the requirements did not bring is then named, with the file that
imports it, instead of killing every worker with `ModuleNotFoundError`. It reads a JSON list of
dotted modules (as `prepare` recorded them in the manifest) on stdin and prints a JSON object
mapping each missing one to the part that is missing (`google.adk` for `google.adk.agents` when
`google` is there but `google.adk` is not).

Nothing the agent ships is imported: only the environment's own metadata is read, through
`importlib.util.find_spec`. A regular package is not looked into, since finding a module inside
it would run the package's `__init__`; a namespace package (no code of its own, such as
`google`) is, part by part.
"""

import importlib.util
import json
import sys


def missing_part(dotted):
    """The first part of `dotted` the environment cannot find, or None."""
    parts = dotted.split(".")
    for length in range(1, len(parts) + 1):
        name = ".".join(parts[:length])
        try:
            spec = importlib.util.find_spec(name)
        except (ImportError, ValueError):
            return name
        if spec is None:
            return name
        namespace = spec.origin is None and spec.submodule_search_locations is not None
        if not namespace:
            return None
    return None


def main():
    modules = json.load(sys.stdin)
    missing = {}
    for dotted in modules:
        part = missing_part(dotted)
        if part is not None:
            missing[dotted] = part
    json.dump(missing, sys.stdout)


if __name__ == "__main__":
    main()
