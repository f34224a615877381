"""The a2a SDK's own client, pointed at a runtime's invocation URL as at AgentCore:
`python a2a_client.py BASE_URL TEXT...` reads the agent card from
`BASE_URL/.well-known/agent-card.json`, then sends each TEXT as a message (streaming when the
card says so) and prints one JSON line: the card's name and URL, and each reply's text.
Extra request headers come from `A2A_CLIENT_HEADERS` (JSON)."""

import asyncio
import json
import os
import sys
import uuid

import httpx
from a2a.client import A2ACardResolver, ClientConfig, ClientFactory
from a2a.types import Message, Part, Role, TextPart


def texts_of(event):
    """The text parts of what the client yields: a message, or (task, update)."""
    if isinstance(event, Message):
        return [part.root.text for part in event.parts if isinstance(part.root, TextPart)]
    task, update = event
    found = []
    for artifact in task.artifacts or []:
        found += [part.root.text for part in artifact.parts if isinstance(part.root, TextPart)]
    if task.status.message:
        found += [part.root.text for part in task.status.message.parts if isinstance(part.root, TextPart)]
    return found


async def main(base_url, texts):
    headers = json.loads(os.environ.get("A2A_CLIENT_HEADERS", "{}"))
    async with httpx.AsyncClient(headers=headers, timeout=30) as http:
        card = await A2ACardResolver(http, base_url).get_agent_card()
        client = ClientFactory(ClientConfig(httpx_client=http, streaming=True)).create(card)
        replies = []
        for text in texts:
            message = Message(
                role=Role.user,
                parts=[Part(root=TextPart(text=text))],
                message_id=str(uuid.uuid4()),
            )
            reply = []
            async for event in client.send_message(message):
                reply += texts_of(event)
            replies.append("".join(reply))
    print(json.dumps({"name": card.name, "url": card.url, "streaming": card.capabilities.streaming, "replies": replies}))


if __name__ == "__main__":
    asyncio.run(asyncio.wait_for(main(sys.argv[1], sys.argv[2:]), 60))
