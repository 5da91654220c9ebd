// Building the page's elements. Text always goes in as text (never as HTML): prompts, URLs,
// headers and bodies come from clients of the mock.

/**
 * ``h("a", {href: "#/x", class: "link"}, "text", child)``: an element with attributes,
 * ``on<event>`` listeners, ``dataset`` entries and children (strings become text).
 */
export function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === null || value === false) {
      continue;
    }
    if (name.startsWith("on") && typeof value === "function") {
      element.addEventListener(name.slice(2), value);
    } else if (name === "dataset") {
      Object.assign(element.dataset, value);
    } else if (name === "class") {
      element.className = value;
    } else if (name in element && typeof value !== "string") {
      element[name] = value;
    } else {
      element.setAttribute(name, value === true ? "" : String(value));
    }
  }
  append(element, children);
  return element;
}

function append(element, children) {
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) {
      continue;
    }
    element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

/** Replace what ``element`` holds with ``children``. */
export function fill(element, ...children) {
  element.replaceChildren();
  append(element, children);
  return element;
}

/** A status or state as a labelled badge (the word is always there, not just a colour). */
export function badge(value) {
  const text = value ?? "none";
  return h("span", { class: `badge badge-${String(text).toLowerCase()}` }, text);
}

/** A table whose cells are labelled by their column in a narrow window (see the CSS). */
export function table({ caption, columns, rows, empty }) {
  const body = h("tbody");
  for (const row of rows) {
    body.append(
      h(
        "tr",
        row.attributes || {},
        row.cells.map((cell, index) => h("td", { "data-label": columns[index] || undefined }, cell)),
      ),
    );
  }
  if (!rows.length) {
    body.append(h("tr", {}, h("td", { colspan: columns.length, class: "empty" }, empty)));
  }
  return h(
    "table",
    { class: "cards" },
    h("caption", {}, caption),
    h("thead", {}, h("tr", {}, columns.map((name) => h("th", { scope: "col" }, name)))),
    body,
  );
}

/** Mock seconds as a person reads them: "42 s", "3 min 4 s", "2 h 5 min". */
export function duration(seconds) {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds)) {
    return "–";
  }
  const whole = Math.max(0, Math.floor(seconds));
  if (whole < 60) {
    return `${whole} s`;
  }
  if (whole < 3600) {
    return `${Math.floor(whole / 60)} min ${whole % 60} s`;
  }
  return `${Math.floor(whole / 3600)} h ${Math.floor((whole % 3600) / 60)} min`;
}

/** An ISO instant as "2026-01-01 12:00:00.123 UTC" (milliseconds at most). */
export function instant(iso) {
  if (!iso) {
    return "–";
  }
  return iso.replace("T", " ").replace(/(?:(\.\d{1,3})\d*)?Z$/, (_, ms) => `${ms ?? ""} UTC`);
}

/** JSON (or text) for a <pre>. */
export function pretty(value) {
  if (value === null || value === undefined) {
    return "(none)";
  }
  return typeof value === "string" ? value : JSON.stringify(value, null, 2);
}
