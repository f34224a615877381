// The inspector page's reading of answers (src/inspector/assets/answer_text.mjs) against the
// table of cases src/invoke/answer_text.rs is tested with too: the page shows an answer as
// `agentprep invoke` prints it. Run by scripts/test.sh as `node --test tests/js/*.test.mjs`.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";

import { FRAMEWORK_EVENT_KEYS, bodyText, eventView } from "../../src/inspector/assets/answer_text.mjs";

const table = JSON.parse(
  readFileSync(new URL("../fixtures/answer_text_cases.json", import.meta.url), "utf8"),
);

// A case's expected view, in eventView's shape.
function expected(testCase) {
  if (testCase.hidden === true) return { hidden: true };
  if (typeof testCase.error === "string") return { error: testCase.error };
  if (typeof testCase.text === "string") return { text: testCase.text };
  throw new Error(`a case needs \`text\`, \`error\` or \`hidden\`: ${JSON.stringify(testCase)}`);
}

test("the table has cases of both kinds", () => {
  assert.ok(table.events.length > 0 && table.bodies.length > 0);
});

test("the events hidden are those of the table's framework keys, as in answer_text.rs", () => {
  assert.deepEqual([...FRAMEWORK_EVENT_KEYS], table.framework_event_keys);
  const onlyBookkeeping = Object.fromEntries(table.framework_event_keys.map((key) => [key, true]));
  assert.deepEqual(eventView(JSON.stringify(onlyBookkeeping)), { hidden: true });
});

for (const testCase of table.events) {
  const data = typeof testCase.data === "string" ? testCase.data : JSON.stringify(testCase.event);
  test(`the event ${data} reads as ${JSON.stringify(expected(testCase))}`, () => {
    assert.deepEqual(eventView(data), expected(testCase));
  });
}

for (const testCase of table.bodies) {
  test(`the body ${testCase.body} reads as ${JSON.stringify(testCase.text)}`, () => {
    assert.equal(bodyText(testCase.body), testCase.text);
  });
}
