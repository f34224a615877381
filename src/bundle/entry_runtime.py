"""The part of every generated `invoke.py` that is the same for every agent: the guard that keeps
a server the agent's module starts while it is imported from starting, the prompt check, the
encoding of answers and streamed events as JSON, and the code that starts the runtime's server.

AgentCore Runtime runs `python invoke.py` with nothing beside it but the agent's package, so the
generated file is one self-contained file and does not import this module:
`src/bundle/invoke_py.rs` copies into it the sections an entry needs, each starting at its
`# --- section: NAME ---` line, around the part it writes for the agent (its header, the import
of the agent, the call of its function) and the wrapper of its framework (`entry_handlers.py`).
Kept as a real module, the sections are tested as Python, with pytest
(`tests/python/test_entry_runtime.py`).

What comes before the first section is never copied: it stands in for the generated file's
header and for the names it defines from the agent, so that this module imports on its own.
"""

import os
import sys

_HERE = os.path.dirname(os.path.abspath(__file__))
# The generated file defines these from the agent: its `BedrockAgentCoreApp` (or ASGI app), the
# protocol server it serves, and whether MCP sessions are kept. Tests put their stand-ins here.
app = None
_server = None
_STATELESS = True

# --- section: server_guard ---
# While the agent's module is imported, a server it starts does nothing: an `app.run()` or
# `uvicorn.run(...)` outside `if __name__ == "__main__":`, under any other condition
# (`if os.getenv("LOCAL"):`), or deep in `asyncio.run(main())`, would bind the port the
# runtime's own server needs (or block the import forever). Every server the Python agent
# frameworks start goes through uvicorn (`BedrockAgentCoreApp.run`, Strands' `A2AServer`,
# FastMCP's HTTP transports), so uvicorn's three ways in are the ones replaced, and only for
# the length of the import; each call is reported on stderr with the agent's line.
import contextlib  # noqa: E402


@contextlib.contextmanager
def _servers_kept_from_starting():
    """Servers started while the agent's module is imported do nothing (each one said on
    stderr): the runtime's server starts once, below, on the port it is given. How long the
    import took is said too (a local runtime tells a slow import from a hung server by it)."""
    import time

    started = time.monotonic()
    with _uvicorn_kept_from_serving():
        yield
    print(
        f"agentprep: the agent was imported in {time.monotonic() - started:.1f} s",
        file=sys.stderr,
        flush=True,
    )


@contextlib.contextmanager
def _uvicorn_kept_from_serving():
    try:
        import uvicorn
    except ImportError:
        yield
        return

    def report(what):
        import traceback

        here = os.path.join(_HERE, "")
        where = "while the agent was imported"
        for frame in reversed(traceback.extract_stack()[:-2]):
            if frame.filename.startswith(here) and os.path.basename(frame.filename) != "invoke.py":
                # Named as `prepare` names the agent's files: from the source's folder.
                path = os.path.relpath(frame.filename, _HERE).split(os.sep, 1)[-1]
                where = f"at `{path}:{frame.lineno}`"
                break
        print(
            f"agentprep: {what} {where} did nothing: the agent's module was being imported, "
            "and the runtime starts the server itself",
            file=sys.stderr,
            flush=True,
        )

    def run(*args, **kwargs):
        report("`uvicorn.run(...)`")

    def server_run(self, *args, **kwargs):
        report("`uvicorn.Server.run()`")

    async def server_serve(self, *args, **kwargs):
        report("`uvicorn.Server.serve()`")

    replaced = [
        (uvicorn, "run", run),
        (uvicorn.Server, "run", server_run),
        (uvicorn.Server, "serve", server_serve),
    ]
    originals = [(owner, name, getattr(owner, name)) for owner, name, _ in replaced]
    for owner, name, stand_in in replaced:
        setattr(owner, name, stand_in)
    try:
        yield
    finally:
        for owner, name, original in originals:
            setattr(owner, name, original)


# --- section: inherited_socket ---
# The socket `agentprep serve` bound for this worker, handed to uvicorn (`fd=`): the port stays
# the worker's from `serve`'s choice to the server's start. Nothing is passed on AgentCore, nor
# to an SDK whose `run` passes no arguments on to uvicorn (the server binds `PORT` then).
def _inherited_socket(run=None):
    """`fd=` for uvicorn when `agentprep serve` handed this process its bound socket
    (AGENTPREP_LISTEN_FD), else nothing."""
    import inspect

    fd = os.environ.pop("AGENTPREP_LISTEN_FD", None)
    if fd is None:
        return {}
    # Not passed on to programs the agent starts.
    os.set_inheritable(int(fd), False)
    try:
        passed_on = run is None or any(
            parameter.kind is inspect.Parameter.VAR_KEYWORD
            for parameter in inspect.signature(run).parameters.values()
        )
    except (TypeError, ValueError):
        passed_on = False
    return {"fd": int(fd)} if passed_on else {}


# --- section: answers ---
# What the wrappers around an agent object, class or function share: the prompt taken from the
# payload, and answers and streamed events made JSON (framework events carry live objects that
# would otherwise arrive as their Python repr).
from starlette.exceptions import HTTPException  # noqa: E402

_OMIT = object()


def _prompt_of(payload):
    """The prompt of `{"prompt": "..."}`; any other payload is the caller's error (400)."""
    prompt = payload.get("prompt") if isinstance(payload, dict) else None
    if not isinstance(prompt, str) or not prompt.strip():
        raise HTTPException(status_code=400, detail='the payload needs a "prompt" string, e.g. {"prompt": "Hello"}')
    return prompt


def _jsonable(value, depth=0):
    """What JSON can carry of `value`. Framework events hold live objects (the agent, traces,
    spans): those are left out, so each event arrives as JSON rather than as a Python repr."""
    if value is None or isinstance(value, (str, bool, int, float)):
        return value
    if depth > 32:
        return _OMIT
    if isinstance(value, dict):
        kept = ((str(key), _jsonable(item, depth + 1)) for key, item in value.items())
        return {key: item for key, item in kept if item is not _OMIT}
    if isinstance(value, (list, tuple, set, frozenset)):
        kept = (_jsonable(item, depth + 1) for item in value)
        return [item for item in kept if item is not _OMIT]
    dump = getattr(value, "model_dump", None)
    if callable(dump):
        try:
            return _jsonable(dump(mode="json"), depth + 1)
        except Exception:
            return _OMIT
    if type(value).__str__ is not object.__str__:
        return str(value)
    return _OMIT


def _answer(value):
    """A whole answer as JSON, or its text when JSON cannot carry it."""
    kept = _jsonable(value)
    return str(value) if kept is _OMIT else kept


def _stream(stream):
    """A generator's events as JSON, async or not (a sync one stays sync, so the SDK runs it
    off the event loop)."""
    if hasattr(stream, "__aiter__"):
        async def events():
            async for event in stream:
                event = _jsonable(event)
                if event is not _OMIT:
                    yield event

        return events()

    def sync_events():
        for event in stream:
            event = _jsonable(event)
            if event is not _OMIT:
                yield event

    return sync_events()


# --- section: run_app ---
if __name__ == "__main__":
    # In AgentCore's container the SDK binds 0.0.0.0 by itself; elsewhere it binds 127.0.0.1.
    # AGENTPREP_HOST overrides that choice, PORT chooses the port.
    app.run(
        port=int(os.environ.get("PORT", "8080")),
        host=os.environ.get("AGENTPREP_HOST") or None,
        **_inherited_socket(app.run),
    )


# --- section: host ---
def _host():
    """The address BedrockAgentCoreApp would choose: 0.0.0.0 in AgentCore's container, else
    127.0.0.1. AGENTPREP_HOST overrides that choice."""
    in_container = os.path.exists("/.dockerenv") or os.environ.get("DOCKER_CONTAINER")
    return os.environ.get("AGENTPREP_HOST") or ("0.0.0.0" if in_container else "127.0.0.1")


# --- section: run_uvicorn ---
if __name__ == "__main__":
    import uvicorn

    # PORT chooses the port.
    uvicorn.run(app, host=_host(), port=int(os.environ.get("PORT", "8080")), **_inherited_socket())


# --- section: run_a2a ---
# An A2A server of any of the shapes as an ASGI app, run with uvicorn where AgentCore connects
# (port 9000, JSON-RPC at `/`, the card at `/.well-known/agent-card.json`).
def _a2a_app():
    """The ASGI app that serves the A2A server at `/`, its card naming the URL clients reach it
    at: AGENTCORE_RUNTIME_URL, where the agent left the card on a loopback default."""
    runtime_url = os.environ.get("AGENTCORE_RUNTIME_URL")
    to_starlette_app = getattr(_server, "to_starlette_app", None)
    if to_starlette_app is not None:
        # Strands' A2AServer mounts itself at its URL's path; AgentCore posts to `/`.
        if getattr(_server, "mount_path", ""):
            _server.mount_path = ""
        if runtime_url and not getattr(_server, "_http_url_explicit", True):
            _server.http_url = runtime_url.rstrip("/") + "/"
        return to_starlette_app()
    card = getattr(_server, "agent_card", None)
    if card is not None and hasattr(_server, "build"):
        # An a2a SDK application, not built yet.
        from urllib.parse import urlparse

        if runtime_url and urlparse(getattr(card, "url", "") or "").hostname in (
            None, "127.0.0.1", "localhost", "0.0.0.0"
        ):
            card.url = runtime_url
        return _server.build()
    return _server


if __name__ == "__main__":
    import uvicorn

    # Port 9000 is where AgentCore connects to an A2A server; PORT chooses another. The card's
    # URL comes from AGENTCORE_RUNTIME_URL when the agent reads it, as on AgentCore.
    uvicorn.run(_a2a_app(), host=_host(), port=int(os.environ.get("PORT", "9000")), **_inherited_socket())


# --- section: run_mcp ---
# The Streamable HTTP app of any of the MCP server APIs, run with uvicorn where AgentCore
# connects (port 8000, path `/mcp`) or where `serve` says (`PORT`, `AGENTPREP_HOST`).
_PATH = "/mcp"


def _streamable_http_app(host):
    """The server's Streamable HTTP app at `_PATH`, built the way its API builds it."""
    import inspect

    http_app = getattr(_server, "http_app", None)
    if http_app is not None:
        # The standalone fastmcp package.
        return http_app(path=_PATH, stateless_http=_STATELESS, transport="http")
    make = getattr(_server, "streamable_http_app", None)
    if make is not None and "stateless_http" in inspect.signature(make).parameters:
        # mcp 2.x (MCPServer, or the low-level Server): transport options are arguments.
        return make(streamable_http_path=_PATH, stateless_http=_STATELESS, host=host)
    settings = getattr(_server, "settings", None)
    if make is not None and settings is not None:
        # mcp 1.x FastMCP: transport options are settings of the server.
        settings.streamable_http_path = _PATH
        settings.stateless_http = _STATELESS
        if host not in ("127.0.0.1", "localhost", "::1") and hasattr(settings, "transport_security"):
            # The constructor turns on Host-header checks when it was given no host (they guard
            # a server on a developer's loopback against DNS rebinding); behind AgentCore the
            # Host is the platform's, which they would refuse with 421.
            settings.transport_security = None
        return make()
    return _low_level_app()


def _low_level_app():
    """mcp 1.x low-level Server: its session manager, mounted at `_PATH` by hand."""
    import contextlib

    from mcp.server.streamable_http_manager import StreamableHTTPSessionManager
    from starlette.applications import Starlette
    from starlette.routing import Route

    manager = StreamableHTTPSessionManager(app=_server, stateless=_STATELESS)

    class _Endpoint:
        # An ASGI endpoint, so Starlette passes the request through as it is (a Mount would
        # redirect `/mcp` to `/mcp/`).
        async def __call__(self, scope, receive, send):
            await manager.handle_request(scope, receive, send)

    @contextlib.asynccontextmanager
    async def lifespan(app):
        async with manager.run():
            yield

    return Starlette(routes=[Route(_PATH, endpoint=_Endpoint())], lifespan=lifespan)


if __name__ == "__main__":
    import uvicorn

    # Port 8000 is where AgentCore connects to an MCP server; PORT chooses another.
    _bind = _host()
    uvicorn.run(
        _streamable_http_app(_bind),
        host=_bind,
        port=int(os.environ.get("PORT", "8000")),
        **_inherited_socket(),
    )
