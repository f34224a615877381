//! The standby interpreter `serve --watch` keeps beside each agent, so a reload does not wait
//! for Python to start and import the agent's libraries again (`uvicorn --reload` does: it
//! restarts the whole process). A standby is Python running [`BOOTSTRAP`]: it imports the
//! third-party modules the deployment's code imports (never the agent's own modules, which a
//! reload changes), then waits on its standard input. A reload writes the deployment, then
//! [`GO_LINE`]: the standby runs the new `invoke.py` as `python invoke.py` would, with only the
//! agent's own code left to import. Its standard input closing (serve gone) ends it instead.

/// What a reload writes to a standby to start it.
pub const GO_LINE: &str = "go\n";

/// The standby's program (`python -c BOOTSTRAP <invoke.py>`). Import failures are ignored
/// here: the same import, run by the agent's code after the start, reports them as usual.
pub const BOOTSTRAP: &str = r#"
import ast, importlib, os, runpy, sys

entry = os.path.abspath(sys.argv[1])
root = os.path.dirname(entry)
own = set()
for name in os.listdir(root):
    own.add(name[:-3] if name.endswith(".py") else name)
wanted = set()
for folder, subfolders, files in os.walk(root):
    subfolders[:] = [s for s in subfolders if not s.startswith(".") and s != "__pycache__"]
    for file in files:
        if not file.endswith(".py"):
            continue
        try:
            with open(os.path.join(folder, file), "rb") as source:
                tree = ast.parse(source.read())
        except Exception:
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                wanted.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                wanted.add(node.module)
for name in sorted(wanted):
    if name.split(".")[0] in own:
        continue
    try:
        importlib.import_module(name)
    except BaseException:
        pass
if not sys.stdin.readline():
    sys.exit(0)
sys.argv = [entry]
sys.path[0] = root
runpy.run_path(entry, run_name="__main__")
"#;
