// The inspector page of `agentprep serve`: plain JavaScript, no framework, no build step.
// It polls the runtime's snapshot every second, talks to agents through the same data-plane
// API the AWS SDKs use (InvokeAgentRuntime, StopRuntimeSession), and builds every element with
// textContent, never HTML from data, so nothing an agent says can become markup. A module
// (strict by itself): answers are read by answer_text.mjs, the rule `agentprep invoke` follows.

import { bodyText, eventView } from "./answer_text.mjs";

const SESSION_HEADER = "X-Amzn-Bedrock-AgentCore-Runtime-Session-Id";
// serve refuses state-changing requests from a browser without it (see guards.rs).
const INSPECTOR_HEADER = "X-Agentprep-Inspector";
const POLL_MS = 1000;
const DETAIL_MS = 2000;
// Indentation stops growing here, as in trace_tree.rs.
const MAX_DEPTH = 24;

const byId = (id) => document.getElementById(id);

const view = {
  snapshot: null,
  fetchedAt: 0, // performance.now() when the snapshot arrived: the countdowns tick from it
  agents: new Map(), // name -> agent
  rows: new Map(), // "agent\u0000id" -> { tr, cells, session }
  chat: { agent: null, session: null },
  transcripts: new Map(), // session id -> [message element]
  selected: null, // { agent, id }
  // The selected session's spans so far, and the offset in its spans file to read on from.
  spans: { key: null, list: [], next: 0 },
  tab: "traces",
  stopping: new Set(),
};

// ---- small DOM helpers -------------------------------------------------------------------

function el(tag, options = {}, children = []) {
  const node = document.createElement(tag);
  if (options.className) node.className = options.className;
  if (options.text !== undefined) node.textContent = options.text;
  if (options.title) node.title = options.title;
  if (options.testid) node.dataset.testid = options.testid;
  for (const child of children) node.append(child);
  return node;
}

function clock(seconds) {
  if (seconds === null || seconds === undefined || Number.isNaN(seconds)) return "—";
  const total = Math.max(0, Math.floor(seconds));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  const two = (n) => String(n).padStart(2, "0");
  return h > 0 ? `${h}:${two(m)}:${two(s)}` : `${m}:${two(s)}`;
}

function milliseconds(ms) {
  if (ms >= 1000) return `${(ms / 1000).toFixed(2)} s`;
  if (ms >= 10) return `${Math.round(ms)} ms`;
  return `${ms.toFixed(1)} ms`;
}

function newSessionId() {
  const uuid = crypto.randomUUID
    ? crypto.randomUUID()
    : Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, "0")).join("");
  // AgentCore takes 33 to 256 characters.
  return `inspector-${uuid}`;
}

function runtimePath(arn, operation) {
  return `/runtimes/${encodeURIComponent(arn)}/${operation}?qualifier=DEFAULT`;
}

async function errorMessage(response) {
  const body = await response.text();
  try {
    const parsed = JSON.parse(body);
    if (parsed && typeof parsed.message === "string") return `${response.status}: ${parsed.message}`;
  } catch (_) { /* not JSON */ }
  return `${response.status}: ${body || response.statusText}`;
}

// ---- the snapshot ------------------------------------------------------------------------

async function poll() {
  try {
    const response = await fetch("/ui/api/state", { cache: "no-store" });
    if (!response.ok) throw new Error(await errorMessage(response));
    view.snapshot = await response.json();
    view.fetchedAt = performance.now();
    setConnection(true, "live");
    render();
  } catch (error) {
    setConnection(false, `disconnected: ${error.message}`);
  } finally {
    setTimeout(poll, POLL_MS);
  }
}

function setConnection(ok, text) {
  const pill = byId("connection");
  pill.textContent = ok ? "● live" : `● ${text}`;
  pill.classList.toggle("down", !ok);
}

function render() {
  const snapshot = view.snapshot;
  renderLimits(snapshot.limits);
  renderAgents(snapshot.agents || []);
  renderSessions(snapshot.sessions || []);
  renderReloads(snapshot.reloads || []);
  tick();
}

function renderLimits(limits) {
  if (!limits) return;
  byId("limits").textContent =
    `idle timeout ${clock(limits.idle_timeout_s)} · max lifetime ${clock(limits.max_lifetime_s)}`;
}

function renderAgents(agents) {
  const box = byId("agents");
  const names = agents.map((agent) => agent.name).join("\u0000");
  const generations = agents.map((agent) => agent.generation).join(",");
  if (box.dataset.names === names && box.dataset.generations === generations) return;
  box.dataset.names = names;
  box.dataset.generations = generations;
  view.agents = new Map(agents.map((agent) => [agent.name, agent]));
  box.replaceChildren(...agents.map((agent) => {
    const card = el("article", { className: "agent", testid: "agent" }, [
      el("div", { className: "agent-line" }, [
        el("strong", { className: "agent-name", text: agent.name, testid: "agent-name" }),
        el("span", { className: `badge protocol ${String(agent.protocol).toLowerCase()}`, text: agent.protocol, testid: "agent-protocol" }),
        el("span", { className: "generation", text: `generation ${agent.generation}`, testid: "agent-generation", title: "bumped by each serve --watch reload" }),
        ...(agent.authorizer
          ? [el("span", { className: "badge authorizer", text: "JWT", testid: "agent-authorizer", title: `takes bearer tokens from ${agent.authorizer}: paste one under Chat` })]
          : []),
      ]),
      el("code", { className: "arn", text: agent.arn, title: agent.arn, testid: "agent-arn" }),
    ]);
    card.dataset.agent = agent.name;
    return card;
  }));
  const select = byId("chat-agent");
  const chosen = select.value;
  select.replaceChildren(...agents.map((agent) => {
    const option = el("option", { text: agent.name });
    option.value = agent.name;
    return option;
  }));
  if (view.agents.has(chosen)) select.value = chosen;
  if (!view.chat.agent || !view.agents.has(view.chat.agent)) view.chat.agent = select.value || null;
}

function renderSessions(sessions) {
  const body = byId("session-rows");
  const seen = new Set();
  for (const session of sessions) {
    const key = `${session.agent}\u0000${session.id}`;
    seen.add(key);
    let row = view.rows.get(key);
    if (!row) {
      row = sessionRow(session);
      view.rows.set(key, row);
      body.append(row.tr);
    }
    row.session = session;
    row.cells.pid.textContent = session.worker_pid === null || session.worker_pid === undefined ? "—" : String(session.worker_pid);
    const state = session.state === "healthy_busy" ? "HealthyBusy" : session.state;
    row.cells.state.textContent = state;
    row.cells.state.className = `badge state ${session.state}`;
    row.tr.dataset.state = session.state;
    row.tr.classList.toggle("selected", isSelected(session));
  }
  for (const [key, row] of view.rows) {
    if (!seen.has(key)) {
      row.tr.remove();
      view.rows.delete(key);
      view.stopping.delete(key);
    }
  }
  byId("session-count").textContent = String(sessions.length);
  byId("no-sessions").hidden = sessions.length > 0;
  byId("sessions").hidden = sessions.length === 0;
}

function sessionRow(session) {
  const key = `${session.agent}\u0000${session.id}`;
  const countdown = (testid) => {
    const text = el("span", { className: "countdown-text", testid });
    const fill = el("span", { className: "meter-fill" });
    const cell = el("td", { className: "countdown" }, [text, el("span", { className: "meter" }, [fill])]);
    return { cell, text, fill };
  };
  const idle = countdown("session-idle");
  const lifetime = countdown("session-lifetime");
  const stop = el("button", { className: "stop", text: "Stop", testid: "stop-session", title: "StopRuntimeSession" });
  stop.type = "button";
  const cells = {
    agent: el("td", { className: "agent-cell", text: session.agent, title: session.agent, testid: "session-agent" }),
    id: el("td", { className: "id" }, [el("code", { text: session.id, title: session.id, testid: "session-id" })]),
    pid: el("td", { className: "pid", testid: "session-pid" }),
    state: el("span", { testid: "session-state" }),
    idle,
    lifetime,
  };
  const tr = el("tr", { testid: "session-row" }, [
    cells.agent,
    cells.id,
    cells.pid,
    el("td", {}, [cells.state]),
    idle.cell,
    lifetime.cell,
    el("td", { className: "actions" }, [stop]),
  ]);
  tr.dataset.sessionId = session.id;
  tr.dataset.agent = session.agent;
  tr.title = "Show this session's chat, traces and logs";
  tr.addEventListener("click", () => select(session.agent, session.id));
  stop.addEventListener("click", (event) => {
    event.stopPropagation();
    stopSession(key, stop);
  });
  return { tr, cells, session };
}

// The countdowns tick every second between snapshots; the idle one stands still while the
// session is busy (AgentCore's idle timer starts when the last request ends).
function tick() {
  const limits = (view.snapshot && view.snapshot.limits) || {};
  const elapsed = (performance.now() - view.fetchedAt) / 1000;
  for (const row of view.rows.values()) {
    const session = row.session;
    const idleRuns = session.state === "idle";
    const idle = idleRuns ? session.idle_remaining_s - elapsed : session.idle_remaining_s;
    const lifetime = session.lifetime_remaining_s - elapsed;
    row.cells.idle.text.textContent = clock(idle);
    row.cells.idle.cell.classList.toggle("paused", !idleRuns);
    row.cells.idle.cell.title = idleRuns ? "until the idle timeout stops this session" : "paused while the session works";
    row.cells.lifetime.text.textContent = clock(lifetime);
    meter(row.cells.idle.fill, idle, limits.idle_timeout_s);
    meter(row.cells.lifetime.fill, lifetime, limits.max_lifetime_s);
  }
}

function meter(fill, remaining, limit) {
  const share = limit > 0 ? Math.min(1, Math.max(0, remaining / limit)) : 0;
  fill.style.width = `${(share * 100).toFixed(1)}%`;
  fill.classList.toggle("low", share < 0.15);
}

function renderReloads(reloads) {
  const list = byId("reloads");
  byId("no-reloads").hidden = reloads.length > 0;
  // A bounded list: its newest entry and length say whether it changed.
  const signature = `${reloads.length}:${reloads.length ? reloads[0].at_unix_ms : ""}`;
  if (list.dataset.signature === signature) return;
  list.dataset.signature = signature;
  // The snapshot lists them newest first.
  list.replaceChildren(...reloads.map((reload) => el("li", { className: reload.ok ? "ok" : "failed", testid: "reload" }, [
    el("time", { text: new Date(reload.at_unix_ms).toLocaleTimeString() }),
    el("strong", { text: reload.agent }),
    el("span", { className: "badge", text: reload.ok ? "reloaded" : "failed" }),
    el("span", { className: "reload-message", text: reload.message || "" }),
  ])));
}

async function stopSession(key, button) {
  const row = view.rows.get(key);
  if (!row || view.stopping.has(key)) return;
  const agent = view.agents.get(row.session.agent);
  if (!agent) return;
  view.stopping.add(key);
  button.disabled = true;
  button.textContent = "Stopping…";
  try {
    const response = await fetch(runtimePath(agent.arn, "stopruntimesession"), {
      method: "POST",
      headers: {
        "Content-Type": "application/json",
        [SESSION_HEADER]: row.session.id,
        [INSPECTOR_HEADER]: "1",
        ...callerCredentials(),
      },
      body: "{}",
    });
    if (!response.ok) throw new Error(await errorMessage(response));
  } catch (error) {
    view.stopping.delete(key);
    button.disabled = false;
    button.textContent = "Stop";
    button.title = `could not stop: ${error.message}`;
  }
}

// ---- chat --------------------------------------------------------------------------------

// The pasted token, sent as AgentCore's callers send it to a runtime with a JWT authorizer.
// It stays in the field: never stored, never sent anywhere but this runtime's data plane.
function callerCredentials() {
  const token = byId("chat-token").value.trim().replace(/^Bearer\s+/i, "");
  return token ? { Authorization: `Bearer ${token}` } : {};
}

function transcript(session) {
  if (!view.transcripts.has(session)) view.transcripts.set(session, []);
  return view.transcripts.get(session);
}

function showChat(agent, session) {
  view.chat = { agent, session };
  if (agent && view.agents.has(agent)) byId("chat-agent").value = agent;
  byId("chat-session").textContent = session || "none yet: Send starts one";
  byId("chat-log").replaceChildren(...(session ? transcript(session) : []));
}

function addMessage(session, role, text) {
  const bubble = el("div", { className: `message from-${role}`, testid: role === "user" ? "chat-prompt" : "chat-answer" }, [
    el("div", { className: "who", text: role === "user" ? "You" : view.chat.agent || "agent" }),
    el("div", { className: "body", text }),
  ]);
  bubble.dataset.chunks = "0";
  transcript(session).push(bubble);
  if (view.chat.session === session) {
    const log = byId("chat-log");
    log.append(bubble);
    log.scrollTop = log.scrollHeight;
  }
  return bubble;
}

function appendToAnswer(bubble, piece) {
  const body = bubble.querySelector(".body");
  body.textContent += piece;
  bubble.dataset.chunks = String(Number(bubble.dataset.chunks) + 1);
  const log = byId("chat-log");
  if (bubble.isConnected) log.scrollTop = log.scrollHeight;
}

async function sendPrompt() {
  const input = byId("chat-input");
  const text = input.value.trim();
  if (!text) return;
  const agentName = byId("chat-agent").value;
  const agent = view.agents.get(agentName);
  if (!agent) return;
  if (!view.chat.session || view.chat.agent !== agentName) showChat(agentName, newSessionId());
  const session = view.chat.session;
  input.value = "";
  addMessage(session, "user", text);
  const answer = addMessage(session, "agent", "");
  answer.classList.add("streaming");
  const send = byId("chat-send");
  send.disabled = true;
  try {
    const response = await fetch(runtimePath(agent.arn, "invocations"), {
      method: "POST",
      headers: {
        "Content-Type": "application/json",
        [SESSION_HEADER]: session,
        [INSPECTOR_HEADER]: "1",
        ...callerCredentials(),
      },
      body: JSON.stringify({ prompt: text }),
    });
    if (!response.ok) throw new Error(await errorMessage(response));
    const replaced = response.headers.get("x-agentprep-worker-replaced");
    if (replaced) addNotice(session, replaced);
    await readAnswer(response, (piece) => appendToAnswer(answer, piece), (message) => {
      // An error the agent streamed: shown on a line of its own, the answer marked failed.
      answer.classList.add("error");
      const shown = answer.querySelector(".body").textContent;
      appendToAnswer(answer, shown && !shown.endsWith("\n") ? `\n${message}` : message);
    });
  } catch (error) {
    answer.classList.add("error");
    appendToAnswer(answer, error.message);
  } finally {
    answer.classList.remove("streaming");
    answer.dataset.done = "true";
    send.disabled = false;
    if (!view.selected || view.selected.id !== session) select(agentName, session);
  }
}

function addNotice(session, text) {
  const notice = el("div", { className: "notice", text });
  const messages = transcript(session);
  messages.splice(messages.length - 1, 0, notice);
  if (view.chat.session === session) showChat(view.chat.agent, session);
}

// Streams the answer as it arrives: SSE events one by one, each read as `agentprep invoke`
// reads it (its text, an error, or a framework's bookkeeping left out), plain text chunk by
// chunk; a JSON answer is whole before it is shown.
async function readAnswer(response, append, reportError) {
  const type = response.headers.get("content-type") || "";
  const events = type.includes("text/event-stream");
  if (!events && type.includes("json")) {
    append(bodyText(await response.text()));
    return;
  }
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  if (events) {
    const show = (event) => {
      const data = eventData(event);
      if (data === null) return;
      const view = eventView(data);
      if (view.error !== undefined) reportError(view.error);
      else if (view.text) append(view.text);
    };
    let buffer = "";
    for (;;) {
      const { value, done } = await reader.read();
      buffer += decoder.decode(value || new Uint8Array(), { stream: !done });
      let boundary;
      while ((boundary = buffer.search(/\r?\n\r?\n/)) >= 0) {
        const separator = buffer.slice(boundary).match(/^\r?\n\r?\n/)[0];
        show(buffer.slice(0, boundary));
        buffer = buffer.slice(boundary + separator.length);
      }
      if (done) {
        show(buffer);
        return;
      }
    }
  }
  for (;;) {
    const { value, done } = await reader.read();
    const text = decoder.decode(value || new Uint8Array(), { stream: !done });
    if (text) append(text);
    if (done) return;
  }
}

// An SSE event's data: its `data:` lines joined with newlines, or null when it has none (a
// comment, a keep-alive).
function eventData(event) {
  const lines = event
    .split(/\r?\n/)
    .filter((line) => line.startsWith("data:"))
    .map((line) => line.slice(5).replace(/^ /, ""));
  return lines.length > 0 ? lines.join("\n") : null;
}

// ---- one session: traces and logs --------------------------------------------------------

function isSelected(session) {
  return view.selected && view.selected.agent === session.agent && view.selected.id === session.id;
}

function select(agent, id) {
  view.selected = { agent, id };
  byId("detail-session").textContent = id;
  byId("detail-session").title = `${agent} / ${id}`;
  for (const row of view.rows.values()) row.tr.classList.toggle("selected", isSelected(row.session));
  if (view.chat.session !== id) showChat(agent, id);
  refreshDetail();
}

function showTab(tab) {
  view.tab = tab;
  byId("tab-traces").classList.toggle("active", tab === "traces");
  byId("tab-logs").classList.toggle("active", tab === "logs");
  byId("traces").hidden = tab !== "traces";
  byId("logs").hidden = tab !== "logs";
  refreshDetail();
}

async function refreshDetail() {
  const selected = view.selected;
  if (!selected) return;
  const base = `/ui/api/sessions/${encodeURIComponent(selected.agent)}/${encodeURIComponent(selected.id)}`;
  try {
    if (view.tab === "traces") {
      const key = `${selected.agent}\u0000${selected.id}`;
      if (view.spans.key !== key) view.spans = { key, list: [], next: 0 };
      const spans = view.spans;
      const from = spans.next;
      // Only what the session's spans file gained since the last poll.
      const response = await fetch(`${base}/traces?from=${from}`, { cache: "no-store" });
      if (!response.ok) throw new Error(await errorMessage(response));
      const added = await response.json();
      // Another poll may have read from the same offset first, or another session been chosen.
      if (view.spans !== spans || spans.next !== from) return;
      for (const span of added.spans) spans.list.push(span);
      spans.next = added.next;
      if (view.selected === selected) renderTraces(key, spans.list);
    } else {
      const response = await fetch(`${base}/logs`, { cache: "no-store" });
      if (!response.ok) throw new Error(await errorMessage(response));
      const tail = await response.json();
      if (view.selected === selected) renderLogs(tail);
    }
  } catch (error) {
    const box = view.tab === "traces" ? byId("traces") : byId("logs");
    box.replaceChildren(el("p", { className: "empty error", text: error.message }));
    delete box.dataset.signature;
  }
}

function renderTraces(key, spans) {
  const box = byId("traces");
  // Spans are only ever added to a session's list: its length says whether the trees changed.
  const signature = `${key}\u0000${spans.length}`;
  if (box.dataset.signature === signature) return;
  box.dataset.signature = signature;
  if (spans.length === 0) {
    box.replaceChildren(el("p", { className: "empty", text: "No spans yet. An agent instrumented with OpenTelemetry reports them here." }));
    return;
  }
  const traces = new Map();
  for (const span of spans) {
    if (!traces.has(span.trace_id)) traces.set(span.trace_id, []);
    traces.get(span.trace_id).push(span);
  }
  const blocks = [];
  const ordered = [...traces.values()].sort((a, b) => start(a[0]) - start(b[0]));
  for (const trace of ordered) blocks.push(traceBlock(trace));
  box.replaceChildren(...blocks.reverse()); // newest trace first
}

function start(span) { return Number(span.start_unix_nano); }
function end(span) { return Number(span.end_unix_nano); }

// One trace as a tree, children under their parent in the order they started. Guarded as
// trace_tree.rs is: a span that names itself as its parent is a root, and spans in a parent
// cycle (reached from no root) are shown as roots of their own, never lost.
function traceBlock(spans) {
  const ids = new Set(spans.map((span) => span.span_id));
  const children = new Map();
  const roots = [];
  const byStart = spans.slice().sort((a, b) => start(a) - start(b));
  for (const span of byStart) {
    const parent = span.parent_span_id;
    if (parent && parent !== span.span_id && ids.has(parent)) {
      if (!children.has(parent)) children.set(parent, []);
      children.get(parent).push(span);
    } else {
      // A root, or a span whose parent was not received (yet).
      roots.push(span);
    }
  }
  const first = Math.min(...spans.map(start));
  const last = Math.max(...spans.map(end));
  const range = Math.max(1, last - first);
  const rows = [];
  const shown = new Set();
  const show = (top) => {
    const stack = [[top, 0]];
    while (stack.length > 0) {
      const [span, depth] = stack.pop();
      if (shown.has(span)) continue;
      shown.add(span);
      rows.push(spanRow(span, depth, first, range));
      const kids = children.get(span.span_id) || [];
      for (let i = kids.length - 1; i >= 0; i -= 1) stack.push([kids[i], depth + 1]);
    }
  };
  for (const root of roots) show(root);
  for (const span of byStart) show(span);
  const head = el("div", { className: "trace-head" }, [
    el("span", { text: `trace ${String(spans[0].trace_id).slice(0, 12)}…`, title: spans[0].trace_id }),
    el("span", { text: `${spans.length} span${spans.length === 1 ? "" : "s"} · ${milliseconds((last - first) / 1e6)}` }),
  ]);
  return el("div", { className: "trace", testid: "trace" }, [head, ...rows]);
}

// A span as SpanRecord serialises it (records.rs): `status` is `{code, message?}` with a
// lowercase code, `duration_ms` a number.
function spanRow(span, depth, first, range) {
  const failed = span.status.code === "error";
  const name = el("span", { className: "span-name", text: span.name, testid: "span-name" });
  name.style.paddingLeft = `${Math.min(depth, MAX_DEPTH) * 16}px`;
  const bar = el("span", { className: "bar" });
  bar.style.left = `${(((start(span) - first) / range) * 100).toFixed(2)}%`;
  bar.style.width = `${Math.max(0.5, ((end(span) - start(span)) / range) * 100).toFixed(2)}%`;
  const details = { ...(span.attributes || {}) };
  if (span.status.message) details["status.message"] = span.status.message;
  const attributes = el("pre", { className: "attributes", text: JSON.stringify(details, null, 2) });
  attributes.hidden = true;
  const row = el("div", { className: `span${failed ? " error" : ""}`, testid: "span" }, [
    el("div", { className: "span-line" }, [
      name,
      el("span", { className: "track" }, [bar]),
      el("span", { className: "duration", text: milliseconds(span.duration_ms), testid: "span-duration" }),
    ]),
    attributes,
  ]);
  row.dataset.depth = String(depth);
  row.title = "Show the span's attributes";
  row.addEventListener("click", () => { attributes.hidden = !attributes.hidden; });
  return row;
}

function renderLogs(tail) {
  const box = byId("logs");
  const atBottom = box.scrollHeight - box.scrollTop - box.clientHeight < 24;
  const cut = tail.truncated ? `… (the first ${tail.size - tail.text.length} bytes are not shown)\n` : "";
  box.textContent = cut + (tail.text || "(nothing logged yet)");
  if (atBottom) box.scrollTop = box.scrollHeight;
}

// ---- start -------------------------------------------------------------------------------

function startPage() {
  byId("new-session").addEventListener("click", () => {
    showChat(byId("chat-agent").value, newSessionId());
    byId("chat-input").focus();
  });
  byId("chat-agent").addEventListener("change", (event) => showChat(event.target.value, null));
  byId("chat-send").addEventListener("click", sendPrompt);
  byId("chat-input").addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey) {
      event.preventDefault();
      sendPrompt();
    }
  });
  byId("tab-traces").addEventListener("click", () => showTab("traces"));
  byId("tab-logs").addEventListener("click", () => showTab("logs"));
  setInterval(tick, 1000);
  setInterval(refreshDetail, DETAIL_MS);
  poll();
}

startPage();
