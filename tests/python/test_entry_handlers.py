"""The wrappers `invoke.py` puts around the agent objects of each framework
(`src/bundle/entry_handlers.py`), run as the generated file runs them, with stand-ins for the
agents: what each passes the agent, what it answers, and the conversation it keeps between the
turns of a session. The real frameworks run them in the integration tests (`serve` with the
fixture agents); here each one's own logic is pinned, framework by framework.
"""

import asyncio
import sys
import types

import pytest

from entry_sections import handler_of


def run(awaitable):
    return asyncio.run(awaitable)


async def collect(events):
    return [event async for event in events]


class LiveObject:
    """What framework events carry besides data (the agent, a span)."""


def context(session_id):
    return types.SimpleNamespace(session_id=session_id)


def test_a_strands_agent_streams_its_events_as_json():
    class StrandsAgent:
        def __init__(self):
            self.prompts = []

        async def stream_async(self, prompt):
            self.prompts.append(prompt)
            yield {"data": "Hel", "agent": LiveObject()}
            yield {"data": "lo"}

    agent = StrandsAgent()
    invoke, _ = handler_of("strands", agent)
    events = run(invoke({"prompt": "hi"}))
    assert run(collect(events)) == [{"data": "Hel"}, {"data": "lo"}]
    assert agent.prompts == ["hi"]


def test_a_missing_prompt_is_refused_before_the_agent_is_called():
    from starlette.exceptions import HTTPException

    class Untouchable:
        def stream_async(self, prompt):
            raise AssertionError("the agent was called")

    invoke, _ = handler_of("strands", Untouchable())
    with pytest.raises(HTTPException):
        run(invoke({"text": "hi"}))


class Graph:
    def __init__(self, state):
        self.state = state
        self.calls = []

    async def ainvoke(self, state, config):
        self.calls.append((state, config))
        return self.state


def test_a_langgraph_graph_runs_in_the_sessions_thread_and_answers_its_last_message():
    graph = Graph({"messages": [{"role": "user", "content": "hi"}, {"role": "ai", "content": [{"text": "Hel"}, {"text": "lo"}]}]})
    invoke, _ = handler_of("langgraph", graph)
    assert run(invoke({"prompt": "hi"}, context("session-1"))) == "Hello"
    state, config = graph.calls[0]
    assert state == {"messages": [{"role": "user", "content": "hi"}]}
    assert config == {"configurable": {"thread_id": "session-1"}}
    run(invoke({"prompt": "hi"}, None))
    assert graph.calls[1][1] == {"configurable": {"thread_id": "default"}}


def test_a_langgraph_state_without_messages_is_answered_whole():
    invoke, _ = handler_of("langgraph", Graph({"answer": 42, "graph": LiveObject()}))
    assert run(invoke({"prompt": "hi"}, context("s"))) == {"answer": 42}
    message = types.SimpleNamespace(content="as an object")
    invoke, _ = handler_of("langgraph", Graph({"messages": [message]}))
    assert run(invoke({"prompt": "hi"}, context("s"))) == "as an object"


def test_a_pydantic_ai_agent_is_given_the_sessions_messages_so_far():
    class Result:
        def __init__(self, output, messages):
            self.output = output
            self._messages = messages

        def all_messages(self):
            return self._messages

    class PydanticAgent:
        def __init__(self):
            self.histories = []

        async def run(self, prompt, message_history):
            self.histories.append(list(message_history))
            return Result(f"answer to {prompt}", message_history + [prompt])

    agent = PydanticAgent()
    invoke, _ = handler_of("pydantic_ai", agent)
    assert run(invoke({"prompt": "one"})) == "answer to one"
    assert run(invoke({"prompt": "two"})) == "answer to two"
    assert agent.histories == [[], ["one"]]


def test_an_openai_agents_sdk_agent_is_run_with_the_sessions_conversation(monkeypatch):
    runs = []

    class Result:
        def __init__(self, given):
            self.final_output = f"answer {len(given)}"
            self._given = given

        def to_input_list(self):
            return self._given + [{"role": "assistant", "content": self.final_output}]

    class Runner:
        @staticmethod
        async def run(agent, given):
            runs.append(given)
            return Result(given)

    monkeypatch.setitem(sys.modules, "agents", types.SimpleNamespace(Runner=Runner))
    invoke, _ = handler_of("openai_agents", object())
    assert run(invoke({"prompt": "one"})) == "answer 1"
    assert run(invoke({"prompt": "two"})) == "answer 3"
    assert runs[1] == [
        {"role": "user", "content": "one"},
        {"role": "assistant", "content": "answer 1"},
        {"role": "user", "content": "two"},
    ]


class Crew:
    def __init__(self, tasks=(), agents=()):
        self.tasks = list(tasks)
        self.agents = list(agents)
        self.inputs = []

    def kickoff(self, inputs):
        self.inputs.append(inputs)
        return types.SimpleNamespace(raw="the crew's answer")


def test_a_crew_gets_the_prompt_under_every_placeholder_its_templates_name():
    task = types.SimpleNamespace(
        description="Research {topic} for {audience}",
        _original_description=None,
        expected_output="A report on {topic}",
    )
    # After a kickoff the description is interpolated: the template is read from `_original_`.
    writer = types.SimpleNamespace(role="Writer", _original_goal="Write for {audience}", goal="Write for you", backstory="")
    crew = Crew(tasks=[task], agents=[writer])
    invoke, namespace = handler_of("crewai", crew)
    assert namespace["_INPUT_NAMES"] == ["audience", "topic"]
    assert run(invoke({"prompt": "agents"})) == "the crew's answer"
    assert crew.inputs == [{"audience": "agents", "topic": "agents"}]


def test_a_crew_without_placeholders_gets_the_prompt_as_prompt():
    crew = Crew(tasks=[types.SimpleNamespace(description="Say hello", expected_output="A greeting")])
    invoke, _ = handler_of("crewai", crew)
    run(invoke({"prompt": "hi"}))
    assert crew.inputs == [{"prompt": "hi"}]


def test_a_llama_index_workflow_keeps_one_context_and_gets_the_prompt_in_its_text_fields(monkeypatch):
    class Context:
        made = 0

        def __init__(self, workflow):
            Context.made += 1

    monkeypatch.setitem(sys.modules, "workflows", types.SimpleNamespace(Context=Context))

    class StartEvent:
        model_fields = {
            "topic": types.SimpleNamespace(annotation=str),
            "count": types.SimpleNamespace(annotation=int),
        }

    class Workflow:
        start_event_class = StartEvent

        def __init__(self):
            self.runs = []

        async def run(self, ctx, **arguments):
            self.runs.append((ctx, arguments))
            return types.SimpleNamespace(response=types.SimpleNamespace(content="done"))

    workflow = Workflow()
    invoke, _ = handler_of("llama_index", workflow)
    assert run(invoke({"prompt": "tea"})) == "done"
    run(invoke({"prompt": "more"}))
    assert workflow.runs[0][1] == {"user_msg": "tea", "topic": "tea"}
    assert workflow.runs[0][0] is workflow.runs[1][0] and Context.made == 1


def test_a_plain_callable_is_called_off_the_event_loop_and_its_answer_made_json():
    def reply(prompt):
        return {"echo": prompt, "live": LiveObject()}

    invoke, _ = handler_of("callable", reply)
    assert run(invoke({"prompt": "hi"}, context("s"))) == {"echo": "hi"}


def test_a_callable_that_returns_a_generator_or_a_coroutine_is_streamed_or_awaited():
    def words(prompt):
        yield from prompt.split()

    invoke, _ = handler_of("callable", words)
    assert list(run(invoke({"prompt": "one two"}, context("s")))) == ["one", "two"]

    async def later(prompt):
        return f"later {prompt}"

    invoke, _ = handler_of("callable", later)
    assert run(invoke({"prompt": "hi"}, context("s"))) == "later hi"


def test_an_object_that_cannot_take_a_prompt_fails_as_the_worker_starts():
    with pytest.raises(TypeError, match="cannot be called with a prompt"):
        handler_of("callable", object())
