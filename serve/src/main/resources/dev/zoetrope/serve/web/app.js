// Zoetrope web page: submits prompts, follows progress over Server-Sent Events, plays results, lists past jobs.
// The API key is pasted once and kept in this browser's localStorage; it is sent as a Bearer header. Videos and
// event streams are opened through signed links from the job's "links", since <video> and EventSource cannot
// send headers.
"use strict";

const KEY_STORE = "zoetrope.apiKey";
const $ = (id) => document.getElementById(id);
let apiKey = localStorage.getItem(KEY_STORE) || "";
let current = null;       // {id, source}
let galleryCursor = null;

function headers(json) {
  const h = { "Authorization": "Bearer " + apiKey };
  if (json) h["Content-Type"] = "application/json";
  return h;
}

async function api(method, path, body) {
  const res = await fetch(path, { method, headers: headers(body !== undefined),
    body: body === undefined ? undefined : JSON.stringify(body) });
  let data = null;
  try { data = await res.json(); } catch (e) { data = null; }
  return { status: res.status, data };
}

function showKeyState() {
  $("keystate").textContent = apiKey ? "key saved" : "paste a key from `zoetrope serve keys add`";
  $("apikey").value = apiKey ? "••••••••" : "";
}

$("keyform").addEventListener("submit", (ev) => {
  ev.preventDefault();
  const v = $("apikey").value.trim();
  if (v && !v.startsWith("•")) {
    apiKey = v;
    localStorage.setItem(KEY_STORE, v);
  }
  showKeyState();
  loadGallery(true);
});

async function loadCapabilities() {
  const res = await fetch("/v1/capabilities");
  const caps = await res.json();
  $("model").textContent = "model: " + caps.family;
  const sel = $("resolution");
  for (const [name, wh] of Object.entries(caps.resolutions)) {
    const o = document.createElement("option");
    o.value = name;
    o.textContent = `${name} · ${wh[0]}×${wh[1]}`;
    if (name === caps.default_resolution) o.selected = true;
    sel.appendChild(o);
  }
  for (const f of ["duration", "steps", "cfg"]) {
    $(f).min = caps[f].min; $(f).max = caps[f].max; $(f).placeholder = caps[f].default;
  }
  $("seed").placeholder = caps.default_seed;
  $("negative_prompt").placeholder = caps.default_negative_prompt || "";
  $("prompt").maxLength = caps.max_prompt_chars;
}

function clearErrors() {
  document.querySelectorAll(".err").forEach((e) => { e.textContent = ""; });
}

function showErrors(errors) {
  for (const e of errors) {
    const slot = document.querySelector(`.err[data-for="${CSS.escape(e.field)}"]`) || document.querySelector('.err[data-for="body"]');
    slot.textContent = (slot.textContent ? slot.textContent + " " : "") + (slot.dataset.for === e.field ? "" : e.field + ": ") + e.message;
  }
}

$("genform").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  clearErrors();
  if (!apiKey) { showErrors([{ field: "body", message: "Save an API key first (top right)." }]); return; }
  const body = { prompt: $("prompt").value };
  const neg = $("negative_prompt").value;
  if (neg) body.negative_prompt = neg;
  body.resolution = $("resolution").value;
  for (const f of ["duration", "cfg"]) if ($(f).value !== "") body[f] = Number($(f).value);
  if ($("steps").value !== "") body.steps = Number($("steps").value);
  const seed = $("seed").value.trim();
  if (seed !== "") body.seed = seed; // as a string: JS numbers lose digits beyond 2^53
  $("submit").disabled = true;
  $("formstate").textContent = "submitting…";
  try {
    const r = await api("POST", "/v1/videos", body);
    if (r.status === 202) {
      $("formstate").textContent = "submitted as job " + r.data.id;
      follow(r.data.id, r.data.links.events);
      loadGallery(true);
    } else if (r.data && r.data.errors) {
      showErrors(r.data.errors);
      $("formstate").textContent = "";
    } else {
      showErrors([{ field: "body", message: (r.data && r.data.error) || ("HTTP " + r.status) }]);
      $("formstate").textContent = "";
    }
  } catch (e) {
    showErrors([{ field: "body", message: "cannot reach the server: " + e }]);
  } finally {
    $("submit").disabled = false;
  }
});

function setProgress(job) {
  const p = job.progress || 0;
  $("progress").value = p;
  $("percent").textContent = Math.round(p * 100) + "%";
  $("eta").textContent = job.status === "running" && job.eta_seconds != null ? `ETA ${Math.ceil(job.eta_seconds)} s` : "";
  let text = `Job ${job.id}: ${job.status}`;
  if (job.stage) text += ` (${job.stage})`;
  if (job.queue_position) text += ` (${job.queue_position === 1 ? "next" : "number " + job.queue_position + " in line"})`;
  if (job.error) text += ` — ${job.error}`;
  $("status").textContent = text;
  $("status").dataset.status = job.status;
  $("cancel").hidden = !(job.status === "queued" || job.status === "running");
}

function follow(id, eventsUrl) {
  if (current && current.source) current.source.close();
  const source = new EventSource(eventsUrl);
  current = { id, source };
  $("download").hidden = true;
  const onEvent = (ev) => {
    const job = JSON.parse(ev.data);
    setProgress(job);
    const tile = document.querySelector(`.item[data-job="${CSS.escape(job.id)}"] .placeholder`);
    if (tile) tile.textContent = job.status === "running" ? Math.round(job.progress * 100) + "%" : job.status;
    if (ev.type !== "progress") {
      source.close();
      $("formstate").textContent = "";
      if (job.status === "done") play(job);
      loadGallery(true);
    }
  };
  for (const t of ["progress", "done", "failed", "cancelled"]) source.addEventListener(t, onEvent);
}

function describe(job) {
  const p = job.params;
  return `${p.resolution} · ${p.duration} s · ${p.steps} steps · cfg ${p.cfg} · seed ${p.seed}`;
}

function play(job) {
  const player = $("player");
  player.src = job.links.content;
  player.dataset.job = job.id;
  player.play().catch(() => { /* autoplay may be refused; the controls remain */ });
  $("playerinfo").textContent = `“${job.params.prompt}” — ${describe(job)}`;
  const dl = $("download");
  dl.href = job.links.download;
  dl.hidden = false;
}

$("cancel").addEventListener("click", async () => {
  if (!current) return;
  const r = await api("DELETE", "/v1/videos/" + current.id);
  if (r.data && r.data.status) setProgress(r.data);
});

function galleryItem(job) {
  const item = document.createElement("div");
  item.className = "item";
  item.dataset.job = job.id;
  if (job.status === "done") {
    const v = document.createElement("video");
    v.src = job.links.content;
    v.preload = "metadata";
    v.muted = true;
    v.title = "Play in the player";
    v.addEventListener("click", () => { play(job); setProgress(job); });
    item.appendChild(v);
  } else {
    const ph = document.createElement("div");
    ph.className = "placeholder";
    ph.textContent = job.status === "running" ? Math.round(job.progress * 100) + "%" : job.status;
    item.appendChild(ph);
  }
  const prompt = document.createElement("div");
  prompt.className = "prompt";
  prompt.textContent = job.params.prompt;
  item.appendChild(prompt);
  const params = document.createElement("div");
  params.className = "params";
  params.textContent = describe(job) + " · " + new Date(job.created_at).toLocaleString();
  item.appendChild(params);
  const line = document.createElement("div");
  const badge = document.createElement("span");
  badge.className = "badge " + job.status;
  badge.textContent = job.status;
  line.appendChild(badge);
  if (job.status === "done") {
    const a = document.createElement("a");
    a.href = job.links.download;
    a.textContent = " download mp4";
    a.className = "dl";
    line.appendChild(a);
  } else if (job.status === "queued" || job.status === "running") {
    const b = document.createElement("button");
    b.type = "button";
    b.textContent = "follow";
    b.addEventListener("click", () => follow(job.id, job.links.events));
    line.appendChild(b);
  }
  item.appendChild(line);
  if (job.error) {
    const e = document.createElement("div");
    e.className = "err";
    e.textContent = job.error;
    item.appendChild(e);
  }
  return item;
}

async function loadGallery(reset) {
  if (!apiKey) { $("galleryempty").textContent = "Save an API key to see your videos."; return; }
  if (reset) galleryCursor = null;
  const q = "/v1/videos?limit=12" + (galleryCursor ? "&cursor=" + encodeURIComponent(galleryCursor) : "");
  const r = await api("GET", q);
  if (r.status !== 200) {
    $("galleryempty").textContent = r.status === 401 ? "The saved API key is not valid." : "Cannot load videos (HTTP " + r.status + ").";
    $("galleryempty").hidden = false;
    if (reset) $("gallery").replaceChildren();
    return;
  }
  const items = r.data.items.map(galleryItem);
  if (reset) $("gallery").replaceChildren(...items); else $("gallery").append(...items);
  galleryCursor = r.data.next_cursor;
  // After a reload, pick up the newest unfinished job so its progress keeps showing.
  const unfinished = r.data.items.find((j) => j.status === "queued" || j.status === "running");
  if (reset && !current && unfinished) { setProgress(unfinished); follow(unfinished.id, unfinished.links.events); }
  $("more").hidden = !galleryCursor;
  $("galleryempty").textContent = "No videos yet.";
  $("galleryempty").hidden = $("gallery").children.length > 0;
}

$("refresh").addEventListener("click", () => loadGallery(true));
$("more").addEventListener("click", () => loadGallery(false));

showKeyState();
loadCapabilities().catch((e) => { $("model").textContent = "cannot load model capabilities: " + e; });
loadGallery(true);
