// Tasks: the newest tasks of every key, filtered by the server, kept live by reading only what
// changed; and one task's own page.

import { ApiError, withQuery } from "./api.js";
import { messageList } from "./deliveries.js";
import { journalList } from "./journal.js";
import { badge, duration, fill, h, instant, table } from "./dom.js";

const STATUSES = ["CREATED", "IN_PROGRESS", "COMPLETED", "FAILED"];
const RUNNING = new Set(["CREATED", "IN_PROGRESS"]);
const VENDOR_PATH = "/v1/ai/music-generation";

function createdAt(task) {
  return task.timeline.length ? task.timeline[0].elapsed_seconds : 0;
}

function taskLink(task) {
  return h(
    "a",
    { href: `#/tasks/${encodeURIComponent(task.task_id)}`, dataset: { focusKey: `task-${task.task_id}` } },
    task.task_id,
  );
}

function field(id, text, control) {
  return h("div", { class: "field" }, h("label", { for: id }, text), control);
}

/** How many tasks the list shows: the newest ones that match the filters. */
const PAGE = 200;

/** Whether ``task`` passes the filters as the server applies them (``status``, ``q``). */
function matches(task, filters) {
  if (filters.status && task.status !== filters.status) {
    return false;
  }
  const needle = filters.q.toLowerCase();
  return !needle || task.prompt.toLowerCase().includes(needle) || task.task_id.includes(needle);
}

/**
 * The tasks in ``changed`` the page does not show yet but should now, oldest first; null when
 * where they go is not certain (the page reads the list afresh then). A task made after every
 * task shown goes on top; creation instants tie (a manual clock that stood still), or an older
 * task now matches the filters: only the server knows the order.
 */
function arrivals(shown, changed, filters) {
  const known = new Set(shown.map((task) => task.task_id));
  const fresh = changed
    .filter((task) => !known.has(task.task_id) && matches(task, filters))
    .sort((a, b) => createdAt(a) - createdAt(b));
  const top = shown.length ? createdAt(shown[0]) : -Infinity;
  for (const [index, task] of fresh.entries()) {
    const before = index ? createdAt(fresh[index - 1]) : top;
    if (createdAt(task) <= before) {
      return null;
    }
  }
  return fresh;
}

/**
 * ``shown`` (newest first) with the tasks that changed: a shown one is replaced, or leaves when
 * it no longer matches; the ``arriving`` ones go on top; at most PAGE are kept.
 */
function merge(shown, changed, arriving, filters) {
  const byId = new Map(changed.map((task) => [task.task_id, task]));
  const kept = shown
    .map((task) => byId.get(task.task_id) ?? task)
    .filter((task) => matches(task, filters));
  return [...[...arriving].reverse(), ...kept].slice(0, PAGE);
}

function numberText(value) {
  return value.toLocaleString("en-US");
}

export const tasksSection = {
  mount(main, _id, context) {
    const status = h(
      "select",
      { id: "filter-status" },
      h("option", { value: "" }, "Any status"),
      STATUSES.map((value) => h("option", { value }, value)),
    );
    const key = h("select", { id: "filter-key" }, h("option", { value: "" }, "Any key"));
    const text = h("input", { id: "filter-text", type: "search", placeholder: "prompt or task id" });
    const count = h("p", { id: "tasks-count", class: "count", role: "status" });
    const holder = h("div");
    // What is shown (newest first), for which filters, and the cursor it is current to.
    let tasks = [];
    let shownFor = null;
    let cursor = null;
    let total = 0;
    let clock = null;
    const keysSeen = new Set();
    let keys = "";

    // Status and text are filtered by the server; the key here, among the tasks read: the page
    // shows keys masked, and the control API filters by a key in clear.
    const filters = () => ({ status: status.value, q: text.value.trim() });

    const showKeys = () => {
      for (const task of tasks) {
        keysSeen.add(task.api_key);
      }
      const present = [...keysSeen].sort();
      if (present.join("\n") === keys) {
        return;
      }
      keys = present.join("\n");
      const chosen = key.value;
      fill(key, h("option", { value: "" }, "Any key"), present.map((k) => h("option", { value: k }, k)));
      key.value = present.includes(chosen) ? chosen : "";
    };

    const draw = () => {
      // "200 of 12,345 tasks": the page holds the newest ones that match; the total is every
      // task (of the key chosen), whatever the status and text filters keep.
      const shown = key.value ? tasks.filter((task) => task.api_key === key.value) : tasks;
      count.textContent = `${numberText(shown.length)} of ${numberText(total)} tasks, newest first`;
      fill(
        holder,
        table({
          caption: "Tasks",
          columns: ["Task", "Status", "Prompt", "Length", "Key", "Age"],
          empty: total ? "No task matches the filters." : "No task yet.",
          rows: shown.map((task) => ({
            attributes: { dataset: { taskId: task.task_id } },
            cells: [
              taskLink(task),
              badge(task.status),
              h("span", { class: "prompt" }, task.prompt),
              `${task.music_length_seconds} s`,
              h("code", {}, task.api_key),
              clock ? duration(clock.elapsed_seconds - createdAt(task)) : "–",
            ],
          })),
        }),
      );
    };

    // Status and text are applied by the server: the next poll reads the list afresh.
    for (const control of [status, text]) {
      control.addEventListener("input", () => context.refresh());
    }
    key.addEventListener("input", draw);
    main.append(
      h("h2", {}, "Tasks"),
      h(
        "form",
        { class: "filters", role: "search", onsubmit: (event) => event.preventDefault() },
        field("filter-status", "Status", status),
        field("filter-key", "Key", key),
        field("filter-text", "Text", text),
      ),
      count,
      holder,
    );
    return {
      title: "Tasks",
      // The first read, and one after a filter changed, is the newest page; later polls read
      // only what changed since, unfiltered: the filters are applied here to the changes, so
      // that a task leaving them is seen to leave.
      async load() {
        const wanted = filters();
        const asked = JSON.stringify(wanted);
        if (cursor !== null && asked === shownFor) {
          const changes = await context.read(
            withQuery("/_mock/tasks", { since: cursor, limit: PAGE }),
          );
          const arriving = changes.has_more || changes.restarted ? null : arrivals(tasks, changes.data, wanted);
          if (arriving) {
            return { fresh: false, asked, wanted, answer: changes, arriving };
          }
        }
        const answer = await context.read(withQuery("/_mock/tasks", { ...wanted, limit: PAGE }));
        return { fresh: true, asked, wanted, answer };
      },
      update({ fresh, asked, wanted, answer, arriving }, now) {
        tasks = fresh ? [...answer.data].reverse() : merge(tasks, answer.data, arriving, wanted);
        shownFor = asked;
        cursor = answer.cursor;
        total = answer.total;
        clock = now;
        showKeys();
        draw();
      },
    };
  },
};

function fact(name, value) {
  return h("div", {}, h("dt", {}, name), h("dd", {}, value ?? "–"));
}

/** Whether a journaled request is about ``taskId``: its GET, its download, or its creation. */
function concerns(entry, taskId) {
  if (entry.path === `${VENDOR_PATH}/${taskId}` || entry.path === `/results/${taskId}.mp3`) {
    return true;
  }
  const answer = entry.answer_body;
  return entry.method === "POST" && answer?.data?.task_id === taskId;
}

export const taskSection = {
  mount(main, taskId, context) {
    const heading = h("h2", {}, "Task ", h("code", {}, taskId));
    const facts = h("dl", { class: "facts" });
    const actions = h("div", { class: "actions" });
    const actionMessage = h("p", { id: "task-message", class: "form-message", role: "alert" });
    const timeline = h("ol", { class: "timeline" });
    const player = h("div", { class: "player" });
    const messages = h("div", { class: "messages" });
    const messageStatus = h("p", { class: "form-message", role: "status" });
    const requests = h("div", { class: "entries" });
    const opened = new Set();
    let audio = null;
    let shownStatus = null;
    let creation; // undefined: not looked for yet; null: not in the journal

    const finish = (how) => async () => {
      actionMessage.textContent = "";
      try {
        const path = `/_mock/tasks/${encodeURIComponent(taskId)}/${how}`;
        const task = await context.call("POST", path);
        actionMessage.textContent = `The task is ${task.status}.`;
      } catch (error) {
        actionMessage.textContent = error.message;
      }
      context.refresh();
    };

    const showActions = (status) => {
      if (status === shownStatus) {
        return;
      }
      shownStatus = status;
      fill(
        actions,
        RUNNING.has(status)
          ? [
              h("button", { type: "button", onclick: finish("complete") }, "Complete now"),
              h("button", { type: "button", class: "danger", onclick: finish("fail") }, "Fail now"),
            ]
          : null,
      );
    };

    // The player is made once per track: redrawing it would stop the music.
    const showPlayer = (task) => {
      if (task.status !== "COMPLETED") {
        audio = null;
        fill(player, h("p", {}, `The track is ready once the task is COMPLETED (it is ${task.status}).`));
        return;
      }
      if (audio && audio.dataset.src === task.result_url) {
        return;
      }
      audio = h("audio", {
        id: "track",
        controls: true,
        preload: "metadata",
        src: task.result_url,
        dataset: { src: task.result_url },
      });
      fill(
        player,
        h("label", { class: "visually-hidden", for: "track" }, "The task's track"),
        audio,
        h("p", {}, h("a", { href: task.result_url, download: `${taskId}.mp3` }, "Download the MP3")),
      );
    };

    const sections = [
      h("section", {}, h("h3", {}, "Timeline"), timeline),
      h("section", {}, h("h3", {}, "Track"), player),
      h("section", {}, h("h3", {}, "Webhook messages"), messageStatus, messages),
      h("section", {}, h("h3", {}, "Requests from the journal"), requests),
    ];
    main.append(
      h("p", {}, h("a", { href: "#/tasks" }, "← All tasks")),
      heading,
      facts,
      actions,
      actionMessage,
      ...sections,
    );

    return {
      title: `Task ${taskId}`,
      // The task is gone (a reset): what was shown of it goes too, the track stops playing.
      forget() {
        if (audio) {
          audio.pause();
          audio = null;
        }
        for (const part of [facts, actions, timeline, player, messages, requests]) {
          fill(part);
        }
        actionMessage.textContent = "";
        messageStatus.textContent = "";
        shownStatus = null;
        creation = undefined; // a task made again under this id (a seeded mock) is looked for anew
        for (const section of sections) {
          section.hidden = true;
        }
      },
      async load() {
        const id = encodeURIComponent(taskId);
        // The request that created the task is looked for once (it is journaled before the
        // task exists, and never changes); polls then read only this task's own paths.
        const creating =
          creation === undefined
            ? context.read(withQuery("/_mock/requests", { method: "POST", path: VENDOR_PATH }))
            : null;
        const [task, sent, polled, downloads, created] = await Promise.all([
          context.read(`/_mock/tasks/${id}`).catch((error) => {
            if (error instanceof ApiError && error.status === 404) {
              throw new ApiError(404, `There is no task ${taskId} (a reset forgets every task).`);
            }
            throw error;
          }),
          context.read(withQuery("/_mock/webhooks", { task_id: taskId })),
          context.read(withQuery("/_mock/requests", { path: `${VENDOR_PATH}/${taskId}` })),
          context.read(withQuery("/_mock/requests", { path: `/results/${taskId}.mp3` })),
          creating,
        ]);
        if (created) {
          creation = created.data.find((entry) => concerns(entry, taskId)) ?? null;
        }
        const related = [...polled.data, ...downloads.data, ...(creation ? [creation] : [])]
          .filter((entry) => concerns(entry, taskId))
          .sort((a, b) => (a.time < b.time ? 1 : a.time > b.time ? -1 : 0));
        return { task, messages: sent.data, requests: related };
      },
      update({ task, messages: sentMessages, requests: related }) {
        for (const section of sections) {
          section.hidden = false;
        }
        fill(
          facts,
          fact("Status", badge(task.status)),
          fact("Prompt", task.prompt),
          fact("Length", `${task.music_length_seconds} s`),
          fact("Key", h("code", {}, task.api_key)),
          fact("Outcome", task.outcome),
          fact("Scenario", task.scenario_id),
          fact("Forced", task.forced ? "yes" : "no"),
          fact("Webhook URL", task.webhook_url),
        );
        showActions(task.status);
        fill(
          timeline,
          task.timeline.map((step) =>
            h(
              "li",
              { class: step.reached ? "reached" : "upcoming" },
              badge(step.status),
              ` ${instant(step.at)} (${step.elapsed_seconds.toFixed(1)} s)`,
              step.reached ? "" : " · upcoming",
            ),
          ),
        );
        showPlayer(task);
        fill(
          messages,
          messageList(sentMessages, {
            context,
            say: (text) => {
              messageStatus.textContent = text;
            },
            empty: task.webhook_url ? "No webhook message yet." : "This task has no webhook URL.",
          }),
        );
        fill(requests, journalList(related, opened, "No request about this task in the journal."));
      },
    };
  },
};
