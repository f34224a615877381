"""The Python every generated `invoke.py` holds (`src/bundle/entry_runtime.py`), tested as
Python: the prompt check, answers and streamed events made JSON, the guard that keeps a server
the agent's module starts while it is imported from starting (and what it says on stderr, which
`serve` reads), how it behaves when a signal arrives during that import, and where the protocol
servers listen and how they are built.

`scripts/test.sh` runs these with the pinned test environment's Python
(`tests/python/requirements.lock` holds pytest); the Rust tests check that the generated file
holds these sections, and the integration tests run them under the real SDKs.
"""

import asyncio
import importlib
import inspect
import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest

from entry_sections import RUNTIME, load_runtime


@pytest.fixture
def runtime():
    return load_runtime()


# ---- the prompt -----------------------------------------------------------------------------


def test_the_prompt_is_read_from_the_payload(runtime):
    assert runtime._prompt_of({"prompt": "Hello", "other": 1}) == "Hello"


@pytest.mark.parametrize(
    "payload",
    [{}, {"text": "hi"}, {"prompt": ""}, {"prompt": "   "}, {"prompt": 3}, [1, 2], "hi", None],
)
def test_a_payload_without_a_prompt_string_is_the_callers_error(runtime, payload):
    from starlette.exceptions import HTTPException

    with pytest.raises(HTTPException) as refused:
        runtime._prompt_of(payload)
    assert refused.value.status_code == 400
    assert '{"prompt": "Hello"}' in refused.value.detail


# ---- answers and events as JSON -------------------------------------------------------------


class LiveObject:
    """Stands for what framework events carry besides data: an agent, a span, a trace."""


class Described:
    def __str__(self):
        return "described"


def test_live_objects_are_left_out_of_an_event_and_the_rest_kept(runtime):
    event = {"data": "Hel", "agent": LiveObject(), "delta": {"text": "Hel"}, 7: (1, 2)}
    assert runtime._jsonable(event) == {"data": "Hel", "delta": {"text": "Hel"}, "7": [1, 2]}


def test_values_json_cannot_carry_are_converted_as_json_would_want_them(runtime):
    from pydantic import BaseModel

    class Usage(BaseModel):
        tokens: int
        cost: float

    assert runtime._jsonable(Usage(tokens=3, cost=0.5)) == {"tokens": 3, "cost": 0.5}
    assert runtime._jsonable({"at": Described()}) == {"at": "described"}
    assert runtime._jsonable(frozenset(["only"])) == ["only"]
    for kept in [None, True, 0, 1.5, "text"]:
        assert runtime._jsonable(kept) == kept


def test_a_model_that_cannot_dump_itself_is_left_out(runtime):
    class Broken:
        def model_dump(self, mode):
            raise RuntimeError("cannot")

    assert runtime._jsonable({"broken": Broken(), "kept": 1}) == {"kept": 1}


def test_deep_and_circular_values_end_at_a_depth_limit(runtime):
    deep = leaf = {}
    for _ in range(40):
        leaf["next"] = {}
        leaf = leaf["next"]
    encoded, depth = runtime._jsonable(deep), 0
    while encoded:
        encoded, depth = encoded["next"], depth + 1
    assert depth == 32, "dictionaries nested deeper than 32 are left out"

    circular = []
    circular.append(circular)
    assert isinstance(runtime._jsonable(circular), list)


def test_a_whole_answer_is_json_or_else_its_text(runtime):
    assert runtime._answer({"n": 1, "agent": LiveObject()}) == {"n": 1}
    live = LiveObject()
    assert runtime._answer(live) == str(live)


def test_a_sync_stream_stays_sync_its_events_encoded_and_empty_ones_dropped(runtime):
    def agent_events():
        yield {"data": "Hel", "agent": LiveObject()}
        yield LiveObject()  # nothing JSON can carry: not sent at all
        yield "lo"

    events = runtime._stream(agent_events())
    assert inspect.isgenerator(events), "the SDK runs a sync generator off the event loop"
    assert list(events) == [{"data": "Hel"}, "lo"]


def test_an_async_stream_stays_async_its_events_encoded_and_empty_ones_dropped(runtime):
    async def agent_events():
        yield {"data": "Hel", "span": LiveObject()}
        yield LiveObject()
        yield {"data": "lo"}

    events = runtime._stream(agent_events())
    assert inspect.isasyncgen(events)

    async def collect():
        return [event async for event in events]

    assert asyncio.run(collect()) == [{"data": "Hel"}, {"data": "lo"}]


def test_a_stream_is_read_only_as_it_is_sent(runtime):
    pulled = []

    def agent_events():
        for piece in ["a", "b"]:
            pulled.append(piece)
            yield piece

    events = runtime._stream(agent_events())
    assert pulled == []
    assert next(events) == "a" and pulled == ["a"]


# ---- servers kept from starting while the agent is imported ---------------------------------


def agent_package(root, name, source):
    """`<root>/pkg/<name>.py` holding `source`, importable as `<name>` (as a deployment's
    package folder is on the path of `invoke.py`)."""
    package = root / "pkg"
    package.mkdir(exist_ok=True)
    (package / f"{name}.py").write_text(textwrap.dedent(source))
    importlib.invalidate_caches()  # the folder may be on the path since before it existed
    return package


@pytest.fixture
def agent_dir(tmp_path, monkeypatch, runtime):
    monkeypatch.setattr(runtime, "_HERE", str(tmp_path))
    monkeypatch.syspath_prepend(str(tmp_path / "pkg"))
    return tmp_path


def test_servers_the_agent_starts_while_imported_do_nothing_and_are_named_with_their_line(
    runtime, agent_dir, capsys
):
    import uvicorn

    originals = (uvicorn.run, uvicorn.Server.run, uvicorn.Server.serve)
    agent_package(
        agent_dir,
        "guarded_agent",
        """\
        import asyncio
        import uvicorn

        app = "no_such_module_anywhere:app"  # a server that did start would exit, not hang
        uvicorn.run(app, port=8080)
        server = uvicorn.Server(uvicorn.Config(app))
        server.run()
        asyncio.run(server.serve())
        """,
    )
    with runtime._servers_kept_from_starting():
        import guarded_agent  # noqa: F401

    said = capsys.readouterr().err
    for what, line in [
        ("`uvicorn.run(...)`", 5),
        ("`uvicorn.Server.run()`", 7),
        ("`uvicorn.Server.serve()`", 8),
    ]:
        assert f"agentprep: {what} at `guarded_agent.py:{line}` did nothing" in said, said
    assert "agentprep: the agent was imported in " in said
    assert (uvicorn.run, uvicorn.Server.run, uvicorn.Server.serve) == originals, (
        "uvicorn is put back once the import is over"
    )


def test_a_server_started_from_outside_the_agents_files_is_still_kept_from_starting(
    runtime, capsys
):
    import uvicorn

    with runtime._servers_kept_from_starting():
        uvicorn.run("no_such_module_anywhere:app")
    said = capsys.readouterr().err
    assert "`uvicorn.run(...)` while the agent was imported did nothing" in said


def test_a_failed_import_puts_uvicorn_back_and_does_not_say_it_was_imported(
    runtime, agent_dir, capsys
):
    import uvicorn

    original = uvicorn.run
    agent_package(agent_dir, "failing_agent", "raise ValueError('no credentials')\n")
    with pytest.raises(ValueError, match="no credentials"):
        with runtime._servers_kept_from_starting():
            import failing_agent  # noqa: F401
    assert uvicorn.run is original
    # serve takes this line as the end of the import: after a failure it must not appear.
    assert "was imported in" not in capsys.readouterr().err


def test_without_uvicorn_installed_the_import_runs_as_it_is(runtime, monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "uvicorn", None)  # `import uvicorn` raises ImportError
    ran = []
    with runtime._servers_kept_from_starting():
        ran.append("imported")
    assert ran == ["imported"]
    assert "agentprep: the agent was imported in " in capsys.readouterr().err


# ---- signals during the agent's import ------------------------------------------------------


def test_ctrl_c_during_the_import_ends_it_with_uvicorn_put_back_and_no_import_line(
    runtime, capsys
):
    import uvicorn

    original = uvicorn.run
    with pytest.raises(KeyboardInterrupt):
        with runtime._servers_kept_from_starting():
            signal.raise_signal(signal.SIGINT)
    assert uvicorn.run is original
    assert "was imported in" not in capsys.readouterr().err


def test_sigterm_ends_a_worker_whose_agent_hangs_while_imported(tmp_path):
    """serve stops a worker with SIGTERM (then SIGKILL after a grace): the guard must not keep a
    process whose agent hangs in its import from ending at once."""
    agent_package(tmp_path, "hanging_agent", "import time\nprint('importing', flush=True)\ntime.sleep(60)\n")
    program = textwrap.dedent(
        f"""\
        import importlib.util, sys
        sys.dont_write_bytecode = True
        sys.path.insert(0, {str(tmp_path / "pkg")!r})
        spec = importlib.util.spec_from_file_location("entry_runtime", {str(RUNTIME)!r})
        runtime = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(runtime)
        with runtime._servers_kept_from_starting():
            import hanging_agent
        """
    )
    worker = subprocess.Popen(
        [sys.executable, "-c", program],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert worker.stdout.readline() == "importing\n"
        started = time.monotonic()
        worker.send_signal(signal.SIGTERM)
        worker.wait(timeout=10)
        assert time.monotonic() - started < 10
        assert worker.returncode == -signal.SIGTERM
        assert "was imported in" not in worker.stderr.read()
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.wait()


# ---- where protocol servers listen, and how they are built ----------------------------------


def test_a_protocol_server_listens_on_loopback_unless_in_a_container_or_told(
    runtime, monkeypatch
):
    monkeypatch.delenv("AGENTPREP_HOST", raising=False)
    monkeypatch.delenv("DOCKER_CONTAINER", raising=False)
    real_exists = os.path.exists
    monkeypatch.setattr(os.path, "exists", lambda path: False if path == "/.dockerenv" else real_exists(path))
    assert runtime._host() == "127.0.0.1"
    monkeypatch.setenv("DOCKER_CONTAINER", "1")
    assert runtime._host() == "0.0.0.0"
    monkeypatch.setenv("AGENTPREP_HOST", "::1")
    assert runtime._host() == "::1"


class StrandsLikeA2aServer:
    """Strands' `A2AServer`: mounted at its URL's path, which AgentCore does not post to."""

    def __init__(self, explicit_url):
        self.mount_path = "/agent"
        self.http_url = "http://127.0.0.1:9000/agent/"
        self._http_url_explicit = explicit_url

    def to_starlette_app(self):
        return ("starlette app", self.mount_path, self.http_url)


def test_an_a2a_server_is_served_at_the_root_its_card_naming_the_runtime_url(
    runtime, monkeypatch
):
    monkeypatch.setenv("AGENTCORE_RUNTIME_URL", "https://runtime.example/invocations")
    runtime._server = StrandsLikeA2aServer(explicit_url=False)
    assert runtime._a2a_app() == ("starlette app", "", "https://runtime.example/invocations/")
    runtime._server = StrandsLikeA2aServer(explicit_url=True)
    assert runtime._a2a_app() == ("starlette app", "", "http://127.0.0.1:9000/agent/")


class Card:
    def __init__(self, url):
        self.url = url


class SdkA2aApplication:
    def __init__(self, url):
        self.agent_card = Card(url)

    def build(self):
        return ("built", self.agent_card.url)


def test_an_a2a_sdk_card_on_a_loopback_default_names_the_runtime_url(runtime, monkeypatch):
    monkeypatch.setenv("AGENTCORE_RUNTIME_URL", "https://runtime.example/")
    runtime._server = SdkA2aApplication("http://localhost:9999/")
    assert runtime._a2a_app() == ("built", "https://runtime.example/")
    runtime._server = SdkA2aApplication("https://agents.example.org/a2a")
    assert runtime._a2a_app() == ("built", "https://agents.example.org/a2a"), "a real URL is kept"
    monkeypatch.delenv("AGENTCORE_RUNTIME_URL")
    runtime._server = SdkA2aApplication("http://localhost:9999/")
    assert runtime._a2a_app() == ("built", "http://localhost:9999/")


def test_an_asgi_a2a_app_is_served_as_it_is(runtime):
    runtime._server = app = object()
    assert runtime._a2a_app() is app


class FastMcpPackageServer:
    def http_app(self, **options):
        return ("fastmcp", options)


class Mcp2Server:
    def streamable_http_app(self, streamable_http_path, stateless_http, host):
        return ("mcp 2", streamable_http_path, stateless_http, host)


class Mcp1Settings:
    streamable_http_path = "/"
    stateless_http = False
    transport_security = "host checks"


class Mcp1FastMcp:
    def __init__(self):
        self.settings = Mcp1Settings()

    def streamable_http_app(self):
        settings = self.settings
        return ("mcp 1", settings.streamable_http_path, settings.stateless_http, settings.transport_security)


def test_each_mcp_server_api_is_served_at_mcp_with_the_sessions_the_source_asks_for(runtime):
    runtime._STATELESS = True
    runtime._server = FastMcpPackageServer()
    assert runtime._streamable_http_app("127.0.0.1") == (
        "fastmcp",
        {"path": "/mcp", "stateless_http": True, "transport": "http"},
    )
    runtime._STATELESS = False
    runtime._server = Mcp2Server()
    assert runtime._streamable_http_app("0.0.0.0") == ("mcp 2", "/mcp", False, "0.0.0.0")


def test_an_mcp_1x_server_keeps_its_host_checks_only_on_loopback(runtime):
    runtime._STATELESS = True
    runtime._server = Mcp1FastMcp()
    assert runtime._streamable_http_app("127.0.0.1") == ("mcp 1", "/mcp", True, "host checks")
    runtime._server = Mcp1FastMcp()
    assert runtime._streamable_http_app("0.0.0.0") == ("mcp 1", "/mcp", True, None), (
        "behind AgentCore the Host is the platform's"
    )


def test_without_a_socket_from_serve_uvicorn_binds_the_port_itself(runtime, monkeypatch):
    monkeypatch.delenv("AGENTPREP_LISTEN_FD", raising=False)
    assert runtime._inherited_socket() == {}


def test_the_socket_serve_bound_is_handed_to_uvicorn_once_and_not_to_children(
    runtime, monkeypatch
):
    import socket

    with socket.socket() as bound:
        bound.bind(("127.0.0.1", 0))
        os.set_inheritable(bound.fileno(), True)
        monkeypatch.setenv("AGENTPREP_LISTEN_FD", str(bound.fileno()))

        def run(port=None, host=None, **kwargs):
            pass

        assert runtime._inherited_socket(run) == {"fd": bound.fileno()}
        assert "AGENTPREP_LISTEN_FD" not in os.environ
        assert not os.get_inheritable(bound.fileno())
        # Asked again (nothing left to hand), uvicorn binds the port itself.
        assert runtime._inherited_socket(run) == {}


def test_an_sdk_run_that_passes_no_arguments_on_binds_the_port_itself(runtime, monkeypatch):
    import socket

    with socket.socket() as bound:
        bound.bind(("127.0.0.1", 0))
        monkeypatch.setenv("AGENTPREP_LISTEN_FD", str(bound.fileno()))

        def run(port=None, host=None):
            pass

        assert runtime._inherited_socket(run) == {}
