// Drive the mock from JavaScript: create a task, move the manual clock, poll until COMPLETED,
// download the MP3 and check that it is one. Plain Node 18+ (global fetch), no npm packages.
//
//   freepik-mock serve --clock manual &
//   FREEPIK_MOCK_URL=http://127.0.0.1:8080 node examples/node/integration.mjs
//
// FREEPIK_API_KEY is the key sent (the mock accepts any without --api-key);
// FREEPIK_MOCK_ADMIN_TOKEN is sent to the control API when the mock has an admin token.

const MOCK = (process.env.FREEPIK_MOCK_URL ?? "http://127.0.0.1:8080").replace(/\/+$/, "");
const KEY = process.env.FREEPIK_API_KEY ?? "my-key-0001";
const ADMIN_TOKEN = process.env.FREEPIK_MOCK_ADMIN_TOKEN;
const MAX_POLLS = 20;

async function call(method, path, { body, headers = {} } = {}) {
  const response = await fetch(MOCK + path, {
    method,
    headers: { "Content-Type": "application/json", ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  if (!response.ok) {
    throw new Error(`${method} ${path} answered ${response.status}: ${text}`);
  }
  return text ? JSON.parse(text) : null;
}

// The vendor API, as your code would call https://api.freepik.com.
const vendor = (method, path, body) =>
  call(method, path, { body, headers: { "x-freepik-api-key": KEY } });

// The mock's control API (/_mock); its document is GET /_mock/control-openapi.yaml.
const control = (method, path, body) =>
  call(method, `/_mock${path}`, {
    body,
    headers: ADMIN_TOKEN ? { Authorization: `Bearer ${ADMIN_TOKEN}` } : {},
  });

const clock = await control("GET", "/clock");
if (clock.mode !== "manual") {
  throw new Error(`this example needs the manual clock (freepik-mock serve --clock manual)`);
}

const created = await vendor("POST", "/v1/ai/music-generation", {
  prompt: "Upbeat synth pop, 120bpm",
  music_length_seconds: 10,
});
const taskId = created.data.task_id;
console.log(`created ${taskId}: ${created.data.status}`);

let task = created.data;
for (let poll = 0; task.status !== "COMPLETED"; poll++) {
  if (task.status === "FAILED" || poll === MAX_POLLS) {
    throw new Error(`task ${taskId} did not complete: ${JSON.stringify(task)}`);
  }
  await control("POST", "/clock/advance", { seconds: 2 }); // two mock seconds pass, at once
  task = (await vendor("GET", `/v1/ai/music-generation/${taskId}`)).data;
  console.log(`polled: ${task.status}`);
}

const download = await fetch(task.generated[0]); // public, like the real result URLs
if (!download.ok) {
  throw new Error(`download answered ${download.status}`);
}
const bytes = new Uint8Array(await download.arrayBuffer());
// An MP3 starts with an ID3 tag or an MPEG frame sync (eleven set bits).
const id3 = bytes[0] === 0x49 && bytes[1] === 0x44 && bytes[2] === 0x33;
const frameSync = bytes[0] === 0xff && (bytes[1] & 0xe0) === 0xe0;
if (!id3 && !frameSync) {
  throw new Error(`not an MP3: starts with ${Array.from(bytes.slice(0, 4))}`);
}
console.log(`downloaded ${bytes.length} bytes of ${download.headers.get("content-type")}: MP3 ok`);
