// Tasks: every task of every key, newest first, with filters; and one task's own page.

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
    let tasks = [];
    let clock = null;
    let keys = "";

    const showKeys = () => {
      const present = [...new Set(tasks.map((task) => task.api_key))].sort();
      if (present.join("\n") === keys) {
        return;
      }
      keys = present.join("\n");
      const chosen = key.value;
      fill(key, h("option", { value: "" }, "Any key"), present.map((k) => h("option", { value: k }, k)));
      key.value = present.includes(chosen) ? chosen : "";
    };

    const draw = () => {
      const needle = text.value.trim().toLowerCase();
      const shown = [...tasks]
        .reverse()
        .filter((task) => !status.value || task.status === status.value)
        .filter((task) => !key.value || task.api_key === key.value)
        .filter(
          (task) =>
            !needle ||
            task.prompt.toLowerCase().includes(needle) ||
            task.task_id.toLowerCase().includes(needle),
        );
      count.textContent = `${shown.length} of ${tasks.length} tasks, newest first`;
      fill(
        holder,
        table({
          caption: "Tasks",
          columns: ["Task", "Status", "Prompt", "Length", "Key", "Age"],
          empty: tasks.length ? "No task matches the filters." : "No task yet.",
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

    for (const control of [status, key, text]) {
      control.addEventListener("input", draw);
    }
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
      load: () => context.read("/_mock/tasks").then((answer) => answer.data),
      update(data, now) {
        tasks = data;
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

    main.append(
      h("p", {}, h("a", { href: "#/tasks" }, "← All tasks")),
      heading,
      facts,
      actions,
      actionMessage,
      h("section", {}, h("h3", {}, "Timeline"), timeline),
      h("section", {}, h("h3", {}, "Track"), player),
      h("section", {}, h("h3", {}, "Webhook messages"), messageStatus, messages),
      h("section", {}, h("h3", {}, "Requests from the journal"), requests),
    );

    return {
      title: `Task ${taskId}`,
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
