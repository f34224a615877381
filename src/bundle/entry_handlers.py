"""The wrappers around the agent objects of each framework `invoke.py` drives: the
`@app.entrypoint` handler that runs a Strands agent, a LangGraph graph, an OpenAI Agents SDK
agent, a Pydantic AI agent, a Google ADK agent, a CrewAI crew, a LlamaIndex agent or workflow,
or any other callable with the prompt, keeping the session's conversation where the framework
needs it kept.

Not a module: `src/bundle/invoke_py.rs` copies the section of the agent's framework (from its
`# --- section: NAME ---` line to the next) into the generated `invoke.py`, after the
`answers` section of `entry_runtime.py` (`_prompt_of`, `_answer`, `_stream`), the import of
the agent as `_agent` and `app = BedrockAgentCoreApp()`; a section imports its framework
itself. pytest runs each section the same way, with stand-ins for the agent and the app
(`tests/python/test_entry_handlers.py`).
"""

# --- section: strands ---
@app.entrypoint
async def invoke(payload):
    # Strands streams its events: text deltas as {"data": ...}, with tool and lifecycle events.
    return _stream(_agent.stream_async(_prompt_of(payload)))


# --- section: langgraph ---
@app.entrypoint
async def invoke(payload, context):
    prompt = _prompt_of(payload)
    # The runtime session is the conversation's thread: a graph compiled with a checkpointer
    # keeps each session's history, one without ignores it.
    config = {"configurable": {"thread_id": getattr(context, "session_id", None) or "default"}}
    state = await _agent.ainvoke({"messages": [{"role": "user", "content": prompt}]}, config=config)
    return _last_message_text(state)


def _last_message_text(state):
    """The text of the graph's last message, or the whole state when it has no messages."""
    messages = state.get("messages") if isinstance(state, dict) else None
    if not messages:
        return _answer(state)
    last = messages[-1]
    content = last.get("content") if isinstance(last, dict) else getattr(last, "content", None)
    if isinstance(content, list):
        content = "".join(
            block.get("text", "") if isinstance(block, dict) else str(block) for block in content
        )
    return content if isinstance(content, str) else _answer(content)


# --- section: openai_agents ---
# The OpenAI Agents SDK: `Runner.run(agent, input)`; the session's conversation is the
# input list the last run ends with, kept for the life of the process (one session).
from agents import Runner  # noqa: E402

_turns = []


@app.entrypoint
async def invoke(payload):
    global _turns
    prompt = _prompt_of(payload)
    result = await Runner.run(_agent, _turns + [{"role": "user", "content": prompt}])
    _turns = result.to_input_list()
    return _answer(result.final_output)


# --- section: pydantic_ai ---
# Pydantic AI: `agent.run(prompt, message_history=...)`, the session's messages kept; the
# answer is `output` (`data` in releases before 0.1).
_history = []


@app.entrypoint
async def invoke(payload):
    global _history
    result = await _agent.run(_prompt_of(payload), message_history=_history)
    _history = result.all_messages()
    return _answer(result.output if hasattr(result, "output") else result.data)


# --- section: google_adk ---
# Google ADK: the agent run by ADK's in-memory runner, the runtime session as ADK's session
# (created on its first turn); the answer is the text of the final response.
from google.adk.runners import InMemoryRunner  # noqa: E402
from google.genai import types as _genai_types  # noqa: E402

_APP_NAME = "agentprep"
_USER = "user"
_runner = InMemoryRunner(agent=_agent, app_name=_APP_NAME)


@app.entrypoint
async def invoke(payload, context):
    prompt = _prompt_of(payload)
    session_id = getattr(context, "session_id", None) or "default"
    sessions = _runner.session_service
    if await sessions.get_session(app_name=_APP_NAME, user_id=_USER, session_id=session_id) is None:
        await sessions.create_session(app_name=_APP_NAME, user_id=_USER, session_id=session_id)
    message = _genai_types.Content(role="user", parts=[_genai_types.Part(text=prompt)])
    answer = ""
    async for event in _runner.run_async(user_id=_USER, session_id=session_id, new_message=message):
        if event.is_final_response() and event.content and event.content.parts:
            answer = "".join(part.text or "" for part in event.content.parts)
    return answer


# --- section: crewai ---
# CrewAI: the crew kicked off (off the event loop: it blocks) with the prompt under every
# `{placeholder}` its tasks and agents are written with, or as `prompt` when they name none.
import asyncio  # noqa: E402
import re  # noqa: E402


def _placeholders(crew):
    """The `{name}` inputs the crew's tasks and agents interpolate (read from their templates:
    a kickoff writes the interpolated text over `description`)."""
    texts = []
    for task in getattr(crew, "tasks", []) or []:
        for name in ("description", "expected_output"):
            texts.append(getattr(task, f"_original_{name}", None) or getattr(task, name, "") or "")
    for agent in getattr(crew, "agents", []) or []:
        for name in ("role", "goal", "backstory"):
            texts.append(getattr(agent, f"_original_{name}", None) or getattr(agent, name, "") or "")
    return sorted(set(re.findall(r"\{([A-Za-z_][A-Za-z0-9_]*)\}", " ".join(str(t) for t in texts))))


# Read once, before any kickoff.
_INPUT_NAMES = _placeholders(_agent)


@app.entrypoint
async def invoke(payload):
    prompt = _prompt_of(payload)
    inputs = {name: prompt for name in _INPUT_NAMES} or {"prompt": prompt}
    result = await asyncio.to_thread(_agent.kickoff, inputs=inputs)
    return _answer(getattr(result, "raw", result))


# --- section: llama_index ---
# LlamaIndex: an agent or workflow run with the prompt as `user_msg` (and as the start
# event's text fields, for a workflow of its own), in a context kept for the session.
try:
    from workflows import Context as _Context
except ImportError:  # llama-index-core before the workflows package
    from llama_index.core.workflow import Context as _Context

_context = None


def _start_arguments(prompt):
    """`user_msg` for agents; a workflow of the agent's own gets the prompt in every text field
    its start event declares."""
    arguments = {"user_msg": prompt}
    start_event = getattr(_agent, "start_event_class", None) or getattr(_agent, "_start_event_class", None)
    for name, field in (getattr(start_event, "model_fields", None) or {}).items():
        if getattr(field, "annotation", None) in (str, "str"):
            arguments[name] = prompt
    return arguments


@app.entrypoint
async def invoke(payload):
    global _context
    prompt = _prompt_of(payload)
    if _context is None:
        _context = _Context(_agent)
    result = await _agent.run(ctx=_context, **_start_arguments(prompt))
    response = getattr(result, "response", None)
    return _answer(getattr(response, "content", None) or (result if isinstance(result, (dict, list)) else str(result)))


# --- section: callable ---
# Any agent object not recognised from the source (built by a factory, say), called as what it
# turns out to be.
import asyncio  # noqa: E402
import inspect  # noqa: E402

if not (callable(_agent) or hasattr(_agent, "stream_async") or hasattr(_agent, "ainvoke")):
    # Fail as the worker starts, with the reason, rather than on every request.
    raise TypeError(
        f"the entry `{type(_agent).__name__}` cannot be called with a prompt; "
        "write a function that takes the prompt and calls it, and name that with --entrypoint"
    )


@app.entrypoint
async def invoke(payload, context):
    prompt = _prompt_of(payload)
    if hasattr(_agent, "stream_async"):
        # A Strands agent (built by a factory, so not recognised from the source).
        return _stream(_agent.stream_async(prompt))
    if hasattr(_agent, "ainvoke") and hasattr(_agent, "get_graph"):
        # A compiled LangGraph graph: the session is its thread.
        thread = {"configurable": {"thread_id": getattr(context, "session_id", None) or "default"}}
        state = await _agent.ainvoke({"messages": [{"role": "user", "content": prompt}]}, config=thread)
        messages = state.get("messages") if isinstance(state, dict) else None
        return _answer(getattr(messages[-1], "content", messages[-1]) if messages else state)
    # Any other callable: a blocking call runs off the event loop, so `/ping` keeps answering.
    result = await asyncio.to_thread(_agent, prompt)
    if inspect.isawaitable(result):
        result = await result
    if inspect.isgenerator(result) or hasattr(result, "__aiter__"):
        return _stream(result)
    return _answer(result)
