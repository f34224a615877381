// What an agent's answer looks like to a person on the inspector page: the rule of
// src/invoke/answer_text.rs (what `agentprep invoke` prints), kept the same here so that the
// page and the terminal show one answer alike. Both are run against one table of cases,
// tests/fixtures/answer_text_cases.json: by `cargo test` and by `node --test` (tests/js/).
// A module of its own, so node can import it without the page's DOM.
//
// Frameworks stream more than text. Strands, for one, sends each text delta as
// `{"data": "..."}` among lifecycle events (`{"start": true}`, `{"event": {...}}`,
// `{"message": {...}}`) that repeat what the deltas said; those are hidden. An event that
// reports an error (`{"error": ...}`, as the SDK sends when a stream breaks) is told apart.
// One difference is left: JSON shown as it is (an event of no known shape) is written by
// JavaScript, so a number such as 1.0 reads `1` here and `1.0` in the terminal.

// Keys of the events agent frameworks stream around their text (Strands' event loop,
// callbacks and results); an event holding only these says nothing the text does not.
// The list is answer_text.rs's FRAMEWORK_EVENT_KEYS: the tests hold both to the table's.
export const FRAMEWORK_EVENT_KEYS = new Set([
  "agent",
  "callback",
  "complete",
  "current_tool_use",
  "delta",
  "event",
  "event_loop_cycle_id",
  "event_loop_cycle_span",
  "event_loop_cycle_trace",
  "event_loop_parent_cycle_id",
  "event_loop_parent_span",
  "force_stop",
  "force_stop_reason",
  "init_event_loop",
  "invocation_state",
  "message",
  "reasoning",
  "reasoningText",
  "reasoning_signature",
  "request_state",
  "result",
  "start",
  "start_event_loop",
  "tool_result",
  "tool_stream_event",
  "tool_use_stream",
  "type",
]);

// What the SDK puts beside an error's own text; never the message worth showing.
const GENERIC_STREAM_ERROR = "An error occurred during streaming";

const isObject = (value) => value !== null && typeof value === "object" && !Array.isArray(value);

// How one streamed event's data (its `data:` lines joined) reads: `{ text }`, the answer's
// text to show as it comes; `{ error }`, the agent reported an error; `{ hidden: true }`,
// bookkeeping of a framework.
export function eventView(data) {
  let value;
  try {
    value = JSON.parse(data);
  } catch (_) {
    return { text: data };
  }
  if (typeof value === "string") return { text: value };
  if (isObject(value)) return objectView(value);
  return { text: `${JSON.stringify(value)}\n` };
}

function objectView(object) {
  if (isTruthy(object.error)) {
    const error = object.error;
    const text = ["data", "message", "detail"]
      .map((key) => object[key])
      .find((text) => typeof text === "string" && text !== "" && text !== GENERIC_STREAM_ERROR);
    if (typeof error === "string") {
      const kind = object.error_type;
      return { error: typeof kind === "string" ? `${kind}: ${error}` : error };
    }
    return { error: text !== undefined ? text : JSON.stringify(error) };
  }
  const text = ["data", "text"].map((key) => object[key]).find((text) => typeof text === "string");
  if (text !== undefined) return { text };
  if (Object.keys(object).every((key) => FRAMEWORK_EVENT_KEYS.has(key))) return { hidden: true };
  return { text: `${JSON.stringify(object)}\n` };
}

// As answer_text.rs reads JSON's truth: null, false, "", {} and [] are false; any number,
// 0 included, is true.
function isTruthy(value) {
  if (value === undefined || value === null) return false;
  if (typeof value === "boolean") return value;
  if (typeof value === "string") return value !== "";
  if (Array.isArray(value)) return value.length > 0;
  if (typeof value === "object") return Object.keys(value).length > 0;
  return true;
}

// A whole (not streamed) answer body: a JSON string unquoted, other JSON pretty-printed, any
// other body as it is.
export function bodyText(body) {
  let value;
  try {
    value = JSON.parse(body);
  } catch (_) {
    return body;
  }
  return typeof value === "string" ? value : JSON.stringify(value, null, 2);
}
