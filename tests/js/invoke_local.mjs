// Invoke an agent on the local runtime with the AWS SDK for JavaScript, as a user would with an
// endpoint override, and print the content type, the session id and the answer's text.
// Usage: node invoke_local.mjs ENDPOINT AGENT_RUNTIME_ARN PROMPT
import { BedrockAgentCoreClient, InvokeAgentRuntimeCommand } from "@aws-sdk/client-bedrock-agentcore";

const [endpoint, arn, prompt] = process.argv.slice(2);
const client = new BedrockAgentCoreClient({
  endpoint,
  region: "us-east-1",
  credentials: { accessKeyId: "local", secretAccessKey: "local" },
});
const answer = await client.send(
  new InvokeAgentRuntimeCommand({
    agentRuntimeArn: arn,
    runtimeSessionId: "javascript-sdk-session-" + "0".repeat(20),
    payload: new TextEncoder().encode(JSON.stringify({ prompt })),
  }),
);
const body = await answer.response.transformToString();
const text = body
  .split("\n")
  .filter((line) => line.startsWith("data: "))
  .map((line) => JSON.parse(line.slice(6)))
  .join("");
console.log(answer.contentType, answer.runtimeSessionId);
console.log(text);
