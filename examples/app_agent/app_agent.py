"""An agent that already defines its own AgentCore Runtime app.

agentprep should recognise the existing BedrockAgentCoreApp and entrypoint
and leave them in charge instead of generating a second wrapper.
"""

from bedrock_agentcore.runtime import BedrockAgentCoreApp

app = BedrockAgentCoreApp()


@app.entrypoint
def invoke(payload, context):
    # The runtime only passes the request context when the second parameter
    # is literally named "context", so the name matters here.
    # The body is arbitrary JSON, so do not assume it is an object.
    prompt = payload.get("prompt") if isinstance(payload, dict) else None
    if not isinstance(prompt, str) or not prompt.strip():
        # Answering with an error object (rather than raising) gives callers
        # a readable message instead of a bare HTTP 500.
        return {"error": 'Missing "prompt": send a JSON body like {"prompt": "Hello"}.'}
    return {
        "answer": f"app_agent received your prompt: {prompt.strip()}",
        # Echoed back so callers can see which runtime session served them.
        "session_id": context.session_id,
    }


if __name__ == "__main__":
    # Serves POST /invocations and GET /ping on port 8080, as the runtime expects.
    app.run()
