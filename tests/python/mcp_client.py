"""The `mcp` SDK's own Streamable HTTP client, pointed at a URL as a user would point it at
AgentCore: `python mcp_client.py URL STEPS_JSON` runs one MCP session (initialize, then each
step: `["list"]` or `["call", name, arguments]`) and prints one JSON line: the tool names and
the text of each call's result. Extra request headers come from `MCP_CLIENT_HEADERS` (JSON)."""

import asyncio
import json
import os
import sys

import httpx2
from mcp.client.session import ClientSession
from mcp.client.streamable_http import streamable_http_client


async def run(url, steps):
    headers = json.loads(os.environ.get("MCP_CLIENT_HEADERS", "{}"))
    results = []
    async with httpx2.AsyncClient(headers=headers, timeout=30) as http:
        async with streamable_http_client(url, http_client=http) as (read, write):
            async with ClientSession(read, write) as session:
                await session.initialize()
                for step in steps:
                    if step[0] == "list":
                        listed = await session.list_tools()
                        results.append(sorted(tool.name for tool in listed.tools))
                    else:
                        called = await session.call_tool(step[1], step[2])
                        text = "".join(getattr(part, "text", "") for part in called.content)
                        results.append({"text": text, "is_error": bool(called.is_error)})
    print(json.dumps(results))


if __name__ == "__main__":
    asyncio.run(asyncio.wait_for(run(sys.argv[1], json.loads(sys.argv[2])), 60))
