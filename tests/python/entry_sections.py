"""How the tests reach the Python agentprep copies into every generated `invoke.py`: the module
`src/bundle/entry_runtime.py`, loaded whole, and the sections of it and of
`src/bundle/entry_handlers.py`, cut at their `# --- section: NAME ---` lines as
`src/bundle/invoke_py.rs` cuts them, to run a framework's handler as the generated file runs it.
"""

import importlib.util
import re
import sys
from pathlib import Path

BUNDLE = Path(__file__).resolve().parents[2] / "src" / "bundle"
RUNTIME = BUNDLE / "entry_runtime.py"
HANDLERS = BUNDLE / "entry_handlers.py"


def load_runtime():
    """A fresh copy of the runtime module, so that what a test sets in it stays in that test.
    No bytecode is written: the module lives in the source tree."""
    sys.dont_write_bytecode = True
    spec = importlib.util.spec_from_file_location("entry_runtime_under_test", RUNTIME)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def section(path, name):
    """The code of the section `name` of `path`, as the generated file holds it."""
    found = re.search(
        rf"^# --- section: {re.escape(name)} ---\n(.*?)(?=^# --- section: |\Z)",
        path.read_text(),
        re.S | re.M,
    )
    assert found, f"{path.name} has no section `{name}`"
    return found.group(1)


class RecordingApp:
    """Stands for `BedrockAgentCoreApp`: keeps the function `@app.entrypoint` marks."""

    def __init__(self):
        self.handler = None

    def entrypoint(self, function):
        self.handler = function
        return function


def handler_of(framework, agent):
    """The `@app.entrypoint` handler of `framework`'s section, run as the generated file runs
    it: after the `answers` section, with `agent` imported as `_agent`; and the namespace it
    lives in (the state it keeps between turns)."""
    app = RecordingApp()
    namespace = {"__name__": "invoke_under_test", "_agent": agent, "app": app}
    exec(compile(section(RUNTIME, "answers"), "answers", "exec"), namespace)
    exec(compile(section(HANDLERS, framework), framework, "exec"), namespace)
    assert app.handler is not None, f"the `{framework}` section marks no entrypoint"
    return app.handler, namespace
