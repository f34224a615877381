"""The smallest agent agentprep can wrap: one plain function, no classes.

It exists to show (and test) that a module-level function taking a prompt and
returning text is enough for agentprep to generate a runtime entrypoint.
"""


def answer(prompt: str) -> str:
    # Echoing the prompt makes it easy to check, end to end, that the payload
    # actually reached the agent unchanged.
    return f"Hello from minimal_agent! You said: {prompt}"
