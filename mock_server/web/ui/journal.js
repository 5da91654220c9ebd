// The journal: the newest requests to the vendor and result-file URLs, newest first, expandable;
// kept live by reading only what came since the last poll.

import { withQuery } from "./api.js";
import { fill, h, instant, pretty, table } from "./dom.js";

/** How many requests the page shows: the newest ones. */
const PAGE = 200;

const METHODS = ["GET", "POST", "HEAD", "PUT", "PATCH", "DELETE", "OPTIONS"];

function entryKey(entry) {
  return `${entry.time}|${entry.method}|${entry.path}|${entry.duration_ms}`;
}

function queryText(query) {
  const pairs = [];
  for (const [name, values] of Object.entries(query || {})) {
    for (const value of values) {
      pairs.push(`${encodeURIComponent(name)}=${encodeURIComponent(value)}`);
    }
  }
  return pairs.length ? `?${pairs.join("&")}` : "";
}

/** One request as an expandable line; ``opened`` keeps which ones a person opened. */
export function journalEntry(entry, opened) {
  const key = entryKey(entry);
  const answer = entry.dropped ? "dropped" : String(entry.status ?? "–");
  const details = h(
    "details",
    { class: "entry", open: opened.has(key) },
    h(
      "summary",
      { dataset: { focusKey: `entry-${key}` } },
      h("span", { class: "time" }, instant(entry.time)),
      h("span", { class: "method" }, entry.method),
      h("span", { class: "path" }, entry.path + queryText(entry.query)),
      h("span", { class: `code code-${answer.charAt(0)}` }, answer),
      h("span", { class: "ms" }, `${entry.duration_ms.toFixed(1)} ms`),
      entry.fault ? h("span", { class: "fault" }, `fault ${entry.fault}`) : null,
    ),
    h("p", {}, `Mock time: ${instant(entry.mock_time)}`),
    table({
      caption: "Headers (keys masked)",
      columns: ["Header", "Value"],
      empty: "No header.",
      rows: Object.entries(entry.headers || {}).map(([name, value]) => ({ cells: [name, value] })),
    }),
    h("h4", {}, "Body"),
    h("pre", {}, pretty(entry.body)),
    h("h4", {}, "Answer"),
    h("pre", {}, pretty(entry.answer_body)),
  );
  details.addEventListener("toggle", () => {
    if (details.open) {
      opened.add(key);
    } else {
      opened.delete(key);
    }
  });
  return details;
}

/** The entries, newest first. */
export function journalList(entries, opened, empty) {
  if (!entries.length) {
    return h("p", { class: "empty" }, empty);
  }
  return entries.map((entry) => journalEntry(entry, opened));
}

export const journalSection = {
  mount(main, _id, context) {
    const opened = new Set();
    const method = h(
      "select",
      { id: "journal-method" },
      h("option", { value: "" }, "Any method"),
      METHODS.map((value) => h("option", { value }, value)),
    );
    const path = h("input", {
      id: "journal-path",
      type: "search",
      placeholder: "/v1/ai/music-generation*",
    });
    const count = h("p", { class: "count", role: "status" });
    const holder = h("div", { class: "entries" });
    let filters = {};
    let newest = []; // the newest entries, newest first
    let shownFor = null;
    let cursor = null;
    let total = 0;
    const apply = (event) => {
      event.preventDefault();
      filters = { method: method.value, path: path.value.trim() };
      context.refresh();
    };
    main.append(
      h("h2", {}, "Journal"),
      h(
        "form",
        { class: "filters", role: "search", onsubmit: apply },
        h("div", { class: "field" }, h("label", { for: "journal-method" }, "Method"), method),
        h(
          "div",
          { class: "field" },
          h("label", { for: "journal-path" }, "Path (exact, or a prefix ending in *)"),
          path,
        ),
        h("button", { type: "submit" }, "Filter"),
      ),
      count,
      holder,
    );
    return {
      title: "Journal",
      // The newest page first (again when the filters change); then only the requests
      // journaled since the last poll, filtered by the server (an entry never changes).
      async load() {
        const asked = JSON.stringify(filters);
        if (cursor !== null && asked === shownFor) {
          const since = withQuery("/_mock/requests", { ...filters, since: cursor, limit: PAGE });
          const changes = await context.read(since);
          if (!changes.has_more && !changes.restarted) {
            return { fresh: false, asked, answer: changes };
          }
        }
        const page = withQuery("/_mock/requests", { ...filters, limit: PAGE });
        return { fresh: true, asked, answer: await context.read(page) };
      },
      update({ fresh, asked, answer }) {
        const added = [...answer.data].reverse();
        newest = (fresh ? added : [...added, ...newest]).slice(0, PAGE);
        shownFor = asked;
        total = answer.total;
        // Fewer requests journaled than shown: old ones were dropped; read it afresh.
        cursor = total < newest.length ? null : answer.cursor;
        count.textContent = `${newest.length.toLocaleString("en-US")} of ${total.toLocaleString("en-US")} requests, newest first`;
        fill(holder, journalList(newest, opened, "No request yet."));
      },
    };
  },
};
