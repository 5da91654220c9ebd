// Deliveries: the newest webhook messages with each attempt (kept live by reading only what
// changed), a replay button, and an ad-hoc send form.

import { withQuery } from "./api.js";
import { badge, fill, h, instant, table } from "./dom.js";

/** How many messages the page shows: the newest ones. */
const PAGE = 200;

const STATES = ["pending", "delivered", "failed", "blocked"];
const STATUSES = ["CREATED", "IN_PROGRESS", "COMPLETED", "FAILED"];

function attemptResult(attempt) {
  if (attempt.status_code !== null && attempt.status_code !== undefined) {
    return `HTTP ${attempt.status_code}`;
  }
  return attempt.error || "–";
}

function attemptsTable(message) {
  return table({
    caption: `Attempts of ${message.webhook_id}`,
    columns: ["#", "Time (mock)", "Trigger", "Answer or error", "Duration", "Next attempt"],
    empty: "No attempt yet.",
    rows: message.attempts.map((attempt, index) => ({
      attributes: { class: "attempt" },
      cells: [
        String(index + 1),
        instant(attempt.at),
        attempt.trigger,
        attemptResult(attempt),
        attempt.duration_ms === null ? "–" : `${attempt.duration_ms.toFixed(1)} ms`,
        instant(attempt.next_attempt_at),
      ],
    })),
  });
}

/** One message as a card: what was sent where, its state, its attempts and a replay button. */
export function messageCard(message, { context, say }) {
  const replay = async () => {
    say("");
    try {
      await context.call("POST", `/_mock/webhooks/${encodeURIComponent(message.webhook_id)}/replay`);
      say(`Replayed ${message.webhook_id}.`);
    } catch (error) {
      say(error.message);
    }
    context.refresh();
  };
  return h(
    "article",
    { class: "message", dataset: { webhookId: message.webhook_id } },
    h(
      "h4",
      {},
      badge(message.state),
      " ",
      h("span", { class: "message-status" }, message.status),
      " → ",
      h("span", { class: "url" }, message.url),
    ),
    message.blocked_reason
      ? h("p", { class: "reason" }, "Blocked: ", message.blocked_reason)
      : null,
    h(
      "dl",
      { class: "facts" },
      h("div", {}, h("dt", {}, "Webhook id"), h("dd", {}, message.webhook_id)),
      h(
        "div",
        {},
        h("dt", {}, "Task"),
        h(
          "dd",
          {},
          message.origin === "task"
            ? h("a", { href: `#/tasks/${encodeURIComponent(message.task_id)}` }, message.task_id)
            : `${message.task_id} (ad-hoc)`,
        ),
      ),
      h("div", {}, h("dt", {}, "Created"), h("dd", {}, instant(message.created_at))),
      h("div", {}, h("dt", {}, "Next attempt"), h("dd", {}, instant(message.next_attempt_at))),
    ),
    attemptsTable(message),
    h(
      "button",
      {
        type: "button",
        onclick: replay,
        dataset: { focusKey: `replay-${message.webhook_id}` },
        "aria-label": `Replay ${message.webhook_id}`,
      },
      "Replay",
    ),
  );
}

/** The messages, newest first, or a line saying there are none. */
export function messageList(messages, options) {
  if (!messages.length) {
    return h("p", { class: "empty" }, options.empty || "No webhook message yet.");
  }
  return [...messages].reverse().map((message) => messageCard(message, options));
}

/**
 * ``known`` (oldest first) with the messages that changed: a known one is replaced where it is,
 * a new one goes after those made no later; the newest PAGE are kept.
 */
function mergeMessages(known, changed) {
  const messages = [...known];
  for (const message of changed) {
    const at = messages.findIndex((m) => m.webhook_id === message.webhook_id);
    if (at >= 0) {
      messages[at] = message;
      continue;
    }
    const made = Date.parse(message.created_at);
    let place = messages.length;
    while (place > 0 && Date.parse(messages[place - 1].created_at) > made) {
      place -= 1;
    }
    messages.splice(place, 0, message);
  }
  return messages.slice(-PAGE);
}

function field(id, text, control) {
  return h("div", { class: "field" }, h("label", { for: id }, text), control);
}

export const deliveriesSection = {
  mount(main, _id, context) {
    const status = h("p", { class: "form-message", role: "status" });
    const say = (text) => {
      status.textContent = text;
    };
    const sendMessage = h("p", { id: "send-message", class: "form-message", role: "alert" });
    const url = h("input", { id: "send-url", name: "url", type: "text", inputmode: "url" });
    const taskId = h("input", { id: "send-task", name: "task_id", type: "text" });
    const statusChoice = h(
      "select",
      { id: "send-status", name: "status" },
      h("option", { value: "" }, "the task's status"),
      STATUSES.map((value) => h("option", { value }, value)),
    );
    const send = async (event) => {
      event.preventDefault();
      sendMessage.textContent = "";
      const body = { url: url.value };
      if (taskId.value.trim()) {
        body.task_id = taskId.value.trim();
      }
      if (statusChoice.value) {
        body.status = statusChoice.value;
      }
      try {
        const sent = await context.call("POST", "/_mock/webhooks/send", body);
        sendMessage.textContent = `Sent ${sent.webhook_id}: ${sent.state}.`;
      } catch (error) {
        sendMessage.textContent = error.message;
      }
      context.refresh();
    };
    const stateFilter = h(
      "select",
      { id: "filter-state" },
      h("option", { value: "" }, "Any state"),
      STATES.map((value) => h("option", { value }, value)),
    );
    const count = h("p", { class: "count", role: "status" });
    const holder = h("div", { class: "messages" });
    let last = []; // the newest messages, oldest first (as the log lists them)
    let cursor = null;
    let total = 0;
    const draw = () => {
      const shown = last.filter((m) => !stateFilter.value || m.state === stateFilter.value);
      count.textContent = `${shown.length.toLocaleString("en-US")} of ${total.toLocaleString("en-US")} messages`;
      fill(holder, messageList(shown, { context, say }));
    };
    stateFilter.addEventListener("input", draw);
    main.append(
      h("h2", {}, "Deliveries"),
      h(
        "form",
        { id: "send-form", class: "panel", novalidate: true, onsubmit: send },
        h("h3", {}, "Send an ad-hoc message"),
        field("send-url", "Receiver URL", url),
        field("send-task", "Task id (optional)", taskId),
        field("send-status", "Status", statusChoice),
        h("button", { type: "submit" }, "Send"),
        sendMessage,
      ),
      h(
        "form",
        { class: "filters", role: "search", onsubmit: (event) => event.preventDefault() },
        field("filter-state", "State", stateFilter),
      ),
      count,
      status,
      holder,
    );
    return {
      title: "Deliveries",
      // The newest page first; then only the messages logged or changed since the last poll.
      async load() {
        if (cursor !== null) {
          const changes = await context.read(
            withQuery("/_mock/webhooks", { since: cursor, limit: PAGE }),
          );
          if (!changes.has_more && !changes.restarted) {
            return { fresh: false, answer: changes };
          }
        }
        return { fresh: true, answer: await context.read(withQuery("/_mock/webhooks", { limit: PAGE })) };
      },
      update({ fresh, answer }) {
        last = fresh ? answer.data : mergeMessages(last, answer.data);
        total = answer.total;
        // Fewer messages in the log than shown: finished ones were dropped; read it afresh.
        cursor = total < last.length ? null : answer.cursor;
        draw();
      },
    };
  },
};
