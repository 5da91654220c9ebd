// The dashboard: a router over the sections, the clock, the admin token, and polling.
//
// Polling has a bounded cost: one round of calls at a time (the next is planned only when the
// last one ended), every POLL_MS, only while the tab is visible, and only the calls the open
// section needs. A section is redrawn only when its data changed.

import { ApiError, adminToken, call, read, setAdminToken } from "./api.js";
import { duration, fill, instant } from "./dom.js";
import { sections } from "./sections.js";

const POLL_MS = 1500;
const PAUSED = "Paused while the tab is hidden";

const page = {
  main: document.getElementById("main"),
  live: document.getElementById("live"),
  updated: document.getElementById("updated"),
  notice: document.getElementById("notice"),
  tokenForm: document.getElementById("token-form"),
  tokenInput: document.getElementById("token-input"),
  tokenReason: document.getElementById("token-reason"),
  clockMode: document.getElementById("clock-mode"),
  clockNow: document.getElementById("clock-now"),
  clockElapsed: document.getElementById("clock-elapsed"),
  clockMessage: document.getElementById("clock-message"),
};

let current = null; // {key, section, view, fingerprint}
let timer = null;
let polling = false;
let pollAgain = false;
let locked = false; // waiting for an admin token

function route() {
  const hash = location.hash.startsWith("#/") ? location.hash.slice(2) : "tasks";
  const [name, ...rest] = hash.split("/");
  const section = sections[name] ? name : "tasks";
  const id = rest.length ? decodeURIComponent(rest.join("/")) : null;
  return { name: section, id, key: `${section}/${id ?? ""}` };
}

// Live regions are written only when what they say changes: a screen reader announces each write.
function say(element, text) {
  if (element.textContent !== text) {
    element.textContent = text;
  }
}

function showNotice(message) {
  page.notice.hidden = !message;
  say(page.notice, message || "");
}

function lock(message) {
  locked = true;
  page.tokenReason.textContent =
    `${message}. This mock runs with an admin token: the dashboard needs it to read and ` +
    "change the mock. It is kept in this tab only (session storage).";
  page.tokenForm.hidden = false;
  say(page.live, "Waiting for the admin token");
  page.tokenInput.focus();
}

/** What a section's actions use: the API, and a way to poll again at once. */
const context = {
  call,
  read,
  refresh: () => poll(),
};

function mount() {
  const where = route();
  if (current && current.key === where.key) {
    return current;
  }
  const section = sections[where.name];
  for (const link of document.querySelectorAll("nav a")) {
    if (link.dataset.section === where.name) {
      link.setAttribute("aria-current", "page");
    } else {
      link.removeAttribute("aria-current");
    }
  }
  fill(page.main);
  current = { key: where.key, id: where.id, view: section.mount(page.main, where.id, context) };
  current.fingerprint = null;
  document.title = `${current.view.title} · freepik-mock`;
  return current;
}

function showClock(clock) {
  page.clockMode.textContent = clock.mode;
  page.clockNow.textContent = instant(clock.now);
  page.clockElapsed.textContent = `${clock.elapsed_seconds.toFixed(1)} s (${duration(clock.elapsed_seconds)})`;
}

/** The section's element that had the focus, found again after a redraw. */
function focusKey() {
  const active = document.activeElement;
  return active && page.main.contains(active) ? active.dataset.focusKey : undefined;
}

async function poll() {
  if (polling) {
    pollAgain = true;
    return;
  }
  polling = true;
  clearTimeout(timer);
  try {
    const shown = mount();
    const [clock, data] = await Promise.all([read("/_mock/clock"), shown.view.load()]);
    showClock(clock);
    if (shown !== current) {
      return; // the section changed while its data was on the way
    }
    const fingerprint = JSON.stringify([clock.elapsed_seconds, data]);
    if (fingerprint !== shown.fingerprint) {
      shown.fingerprint = fingerprint;
      const key = focusKey();
      shown.view.update(data, clock);
      if (key) {
        page.main.querySelector(`[data-focus-key="${CSS.escape(key)}"]`)?.focus();
      }
    }
    showNotice("");
    // A round that ended after the tab was hidden must not say "Live": none follows it.
    say(page.live, document.visibilityState === "visible" ? "Live" : PAUSED);
    page.updated.textContent = `· updated ${new Date().toLocaleTimeString()}`;
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) {
      lock(error.message);
    } else if (error instanceof ApiError) {
      if (error.status === 404 && current?.view.forget) {
        // What the section showed is of something gone: drop it, and redraw in full should it
        // come back (even with the same data).
        current.view.forget();
        current.fingerprint = null;
      }
      showNotice(error.message);
    } else {
      showNotice(`Cannot reach the mock (${error.message}); trying again.`);
      say(page.live, "Offline");
    }
  } finally {
    polling = false;
    if (pollAgain) {
      pollAgain = false;
      poll();
    } else {
      plan();
    }
  }
}

function plan() {
  clearTimeout(timer);
  if (!locked && document.visibilityState === "visible") {
    timer = setTimeout(poll, POLL_MS);
  }
}

document.addEventListener("visibilitychange", () => {
  if (document.visibilityState === "visible") {
    if (!locked) {
      poll();
    }
  } else {
    clearTimeout(timer);
    say(page.live, PAUSED);
  }
});

window.addEventListener("hashchange", () => {
  poll();
  page.main.focus();
});

page.tokenForm.addEventListener("submit", (event) => {
  event.preventDefault();
  setAdminToken(page.tokenInput.value.trim());
  page.tokenInput.value = "";
  page.tokenForm.hidden = true;
  locked = false;
  poll();
});

document.getElementById("advance-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const input = event.target.elements.seconds;
  // The raw text when it is no number, so that the control API says what is wrong with it.
  const seconds = Number.isFinite(input.valueAsNumber) ? input.valueAsNumber : input.value;
  page.clockMessage.textContent = "";
  try {
    const clock = await call("POST", "/_mock/clock/advance", { seconds });
    showClock(clock);
  } catch (error) {
    page.clockMessage.textContent = error.message;
  }
  poll();
});

document.getElementById("reset-button").addEventListener("click", async () => {
  const sure = window.confirm(
    "Reset the mock? Tasks, deliveries and the journal are forgotten, rules go back to the " +
      "start-up ones and the clock starts again.",
  );
  if (!sure) {
    return;
  }
  page.clockMessage.textContent = "";
  try {
    const answer = await call("POST", "/_mock/reset");
    showClock(answer.clock);
  } catch (error) {
    page.clockMessage.textContent = error.message;
  }
  poll();
});

if (!adminToken()) {
  page.tokenForm.hidden = true;
}
poll();
