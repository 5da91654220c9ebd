// Rules: the scenario rules and the fault rules, listed, added from a form, deleted.

import { fill, h, table } from "./dom.js";

const KINDS = [
  {
    name: "scenarios",
    title: "Scenarios",
    what: "scenario rule",
    help: "How the next matching tasks end and how long they take; tried in order, first match wins.",
    example: { match: { prompt_contains: "jazz" }, outcome: "FAILED", times: 1 },
  },
  {
    name: "faults",
    title: "Faults",
    what: "fault rule",
    help: "How the next matching vendor and result-file requests misbehave.",
    example: { match: { method: "GET", path: "/v1/*" }, status: 429, retry_after: 3, times: 1 },
  },
];

function ruleText(rule) {
  const { id, ...rest } = rule;
  return JSON.stringify(rest);
}

function kindPanel(kind, context) {
  const list = h("div");
  const message = h("p", { id: `${kind.name}-message`, class: "form-message", role: "alert" });
  const source = h("textarea", {
    id: `${kind.name}-json`,
    name: "rule",
    rows: 7,
    spellcheck: "false",
  });
  source.value = JSON.stringify(kind.example, null, 2);
  const add = async (event) => {
    event.preventDefault();
    message.textContent = "";
    try {
      // Sent as typed: the control API says what is wrong with it, JSON syntax included.
      const rule = await context.call("POST", `/_mock/${kind.name}`, source.value, { raw: true });
      message.textContent = `Added ${rule.id}.`;
    } catch (error) {
      message.textContent = error.message;
    }
    context.refresh();
  };
  const remove = (rule) => async () => {
    message.textContent = "";
    try {
      await context.call("DELETE", `/_mock/${kind.name}/${encodeURIComponent(rule.id)}`);
      message.textContent = `Deleted ${rule.id}.`;
    } catch (error) {
      message.textContent = error.message;
    }
    context.refresh();
  };
  const panel = h(
    "section",
    { class: "panel", "aria-labelledby": `${kind.name}-title` },
    h("h3", { id: `${kind.name}-title` }, kind.title),
    h("p", {}, kind.help),
    list,
    h(
      "form",
      { id: `${kind.name}-form`, novalidate: true, onsubmit: add },
      h("label", { for: `${kind.name}-json` }, `New ${kind.what} (JSON)`),
      source,
      h("button", { type: "submit" }, `Add ${kind.what}`),
      message,
    ),
  );
  const update = (rules) => {
    fill(
      list,
      table({
        caption: kind.title,
        columns: ["Id", "Rule", ""],
        empty: `No ${kind.what}.`,
        rows: rules.map((rule) => ({
          attributes: { dataset: { ruleId: rule.id } },
          cells: [
            h("code", {}, rule.id),
            h("code", { class: "rule" }, ruleText(rule)),
            h(
              "button",
              {
                type: "button",
                class: "danger",
                onclick: remove(rule),
                "aria-label": `Delete ${rule.id}`,
                dataset: { focusKey: `delete-${rule.id}` },
              },
              "Delete",
            ),
          ],
        })),
      }),
    );
  };
  return { panel, update };
}

export const rulesSection = {
  mount(main, _id, context) {
    const panels = KINDS.map((kind) => kindPanel(kind, context));
    main.append(h("h2", {}, "Rules"), ...panels.map((p) => p.panel));
    return {
      title: "Rules",
      async load() {
        const answers = await Promise.all(
          KINDS.map((kind) => context.read(`/_mock/${kind.name}`)),
        );
        return answers.map((answer) => answer.data);
      },
      update(data) {
        panels.forEach((panel, index) => panel.update(data[index]));
      },
    };
  },
};
