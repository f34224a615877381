"""The `websockets` package's client, pointed at a URL as at AgentCore's `/ws`:
`python ws_client.py URL` sends `hello`, the bytes 1 2 3, then `close`, and prints one JSON
line with what came back and the close code and reason. Extra handshake headers come from
`WS_CLIENT_HEADERS` (JSON)."""

import json
import os
import sys

from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

headers = json.loads(os.environ.get("WS_CLIENT_HEADERS", "{}"))
result = {}
with connect(sys.argv[1], additional_headers=headers, open_timeout=30, close_timeout=10) as socket:
    socket.send("hello")
    result["text"] = socket.recv(timeout=30)
    socket.send(bytes([1, 2, 3]))
    result["binary"] = list(socket.recv(timeout=30))
    socket.send("close")
    try:
        socket.recv(timeout=30)
    except ConnectionClosed as closed:
        result["close_code"] = closed.rcvd.code if closed.rcvd else None
        result["close_reason"] = closed.rcvd.reason if closed.rcvd else None
print(json.dumps(result))
