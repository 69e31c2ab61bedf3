// The dashboard: plain DOM and fetch, no framework, no build step. Everything it shows comes
// from the control API (/_emulator/...), which it polls; with --admin-token it asks for the
// token once (kept in sessionStorage for this tab) and sends it as a Bearer token on each call.

const token_key = "healthimaging-local.admin-token";
const journal_kept = 1000;  // entries the page keeps; the server's ring may hold more

const $ = (id) => document.getElementById(id);

// --- small DOM helpers: text only, never HTML from data ---
function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (name === "class") node.className = value;
    else if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
    else node.setAttribute(name, value === true ? "" : String(value));
  }
  for (const child of children.flat()) {
    if (child === undefined || child === null) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

function fill_body(table, rows, columns, empty_text) {
  const body = table.tBodies[0];
  if (rows.length === 0) rows = [el("tr", {}, el("td", { colspan: columns, class: "empty" }, empty_text))];
  body.replaceChildren(...rows);
}

const time_text = (seconds) =>
  seconds === undefined || seconds === null ? "" : new Date(seconds * 1000).toISOString().replace("T", " ").replace(/\.\d+Z$|Z$/, "Z");

const status_cell = (status) => el("td", {}, el("span", { class: `status ${status}` }, status));

function notice(text, kind = "bad") {
  const n = $("notice");
  n.textContent = text;
  n.className = kind;
  n.hidden = !text;
}

// --- the control API, with the admin token ---
class http_error extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

let token_wanted = null;  // the pending "ask for the token" promise, shared by concurrent calls

function ask_token(refused) {
  if (token_wanted) return token_wanted;
  const dialog = $("token-dialog");
  $("token-error").hidden = !refused;
  token_wanted = new Promise((resolve) => {
    const form = $("token-form");
    form.onsubmit = (event) => {
      event.preventDefault();
      const token = form.elements.token.value;
      sessionStorage.setItem(token_key, token);
      form.reset();
      dialog.close();
      token_wanted = null;
      resolve(token);
    };
    dialog.oncancel = (event) => event.preventDefault();  // nothing works without it
  });
  dialog.showModal();
  return token_wanted;
}

async function api(path, { method = "GET", body, text = false } = {}) {
  for (let attempt = 0; ; ++attempt) {
    const headers = {};
    const token = sessionStorage.getItem(token_key);
    if (token) headers.Authorization = `Bearer ${token}`;
    if (body !== undefined) headers["Content-Type"] = "application/json";
    const res = await fetch(path, { method, headers, body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body), cache: "no-store" });
    if (res.status === 401 && attempt < 5) {
      sessionStorage.removeItem(token_key);
      await ask_token(attempt > 0 || Boolean(token));
      continue;
    }
    const payload = await res.text();
    if (!res.ok) {
      let message = payload;
      try { message = JSON.parse(payload).message ?? payload; } catch { /* not JSON: the text itself */ }
      throw new http_error(res.status, `${method} ${path}: ${res.status} ${res.headers.get("x-amzn-ErrorType") ?? ""} ${message}`.trim());
    }
    return text ? payload : JSON.parse(payload);
  }
}

function confirm_dialog(text) {
  const dialog = $("confirm-dialog");
  $("confirm-text").textContent = text;
  dialog.returnValue = "";
  dialog.showModal();
  return new Promise((resolve) => dialog.addEventListener("close", () => resolve(dialog.returnValue === "yes"), { once: true }));
}

// --- health (the header line) ---
async function refresh_health() {
  const h = await api("/_emulator/health");
  $("health").textContent = `v${h.version} · ${h.datastores} datastores · ${h.jobs} jobs · ${h.imageSets} image sets · ${h.faults} fault rules`;
  return h;
}

// --- datastores and jobs (GET /_emulator/state) ---
let last_state = null;
let last_state_text = "";

// The status a resource has reached along its progression, and what comes next.
function lifecycle(resource, status_member) {
  const steps = resource.progression ?? [];
  const progress = resource.progress ?? { polls: 0, stepsReached: 0 };
  const reached = Math.min(progress.stepsReached ?? 0, steps.length);
  const status = reached > 0 ? steps[reached - 1][status_member] : resource[status_member];
  if (steps.length === 0) return { status, stands: "" };
  const polls = progress.polls ?? 0;
  let stands = `step ${reached} of ${steps.length}, polled ${polls} time${polls === 1 ? "" : "s"}`;
  if (reached < steps.length) {
    const next = steps[reached];
    if (next.afterPolls !== undefined) {
      const left = Math.max(0, next.afterPolls - polls);
      stands += `; ${next[status_member]} after ${left} more poll${left === 1 ? "" : "s"}`;
    } else if (next.afterSeconds !== undefined && progress.startedAt !== undefined) {
      const left = Math.max(0, progress.startedAt + next.afterSeconds - Date.now() / 1000);
      stands += `; ${next[status_member]} in ${left.toFixed(1)} s`;
    }
  } else {
    stands += "; done";
  }
  return { status, stands };
}

async function refresh_overview() {
  const text = await api("/_emulator/state", { text: true });
  if (text === last_state_text) return;
  last_state_text = text;
  last_state = JSON.parse(text);
  const datastores = last_state.datastores ?? [];
  const jobs = last_state.jobs ?? [];
  const names = new Map(datastores.map((d) => [d.datastoreId, d.datastoreName]));
  fill_body($("datastores"), datastores.map((d) => {
    const { status, stands } = lifecycle(d, "datastoreStatus");
    return el("tr", {},
      el("th", { scope: "row" }, d.datastoreName),
      el("td", { class: "id" }, d.datastoreId),
      el("td", {}, el("span", { class: `status ${status}` }, status), stands ? el("div", { class: "hint" }, stands) : null),
      el("td", {}, `${d.accountId ?? ""} ${d.region ?? ""}`),
      el("td", {}, time_text(d.createdAt)),
      el("td", {}, String(jobs.filter((j) => j.datastoreId === d.datastoreId).length)));
  }), 6, "No datastore.");
  fill_body($("jobs"), jobs.map((j) => {
    const { status, stands } = lifecycle(j, "jobStatus");
    // No steps: it stays as it is, unless an import is reading its files (--s3-dir).
    const unscripted = !j.progression && (status === "SUBMITTED" || status === "IN_PROGRESS") ? "no scripted steps" : "";
    return el("tr", {},
      el("th", { scope: "row" }, j.jobName ?? "(no name)"),
      el("td", { class: "id" }, j.jobId),
      el("td", {}, names.get(j.datastoreId) ?? j.datastoreId),
      status_cell(status),
      el("td", {}, stands || unscripted),
      el("td", {}, time_text(j.submittedAt)),
      el("td", {}, time_text(j.endedAt)),
      el("td", {}, j.message ?? ""));
  }), 8, "No import job.");
}

// --- image sets (GET /_emulator/image-sets) ---
let image_sets_text = "";
let open_image_set = null;  // {datastoreId, imageSetId}

async function refresh_image_sets() {
  await refresh_overview();  // the datastores as they are now: one made since the last look has image sets too
  const datastores = (last_state.datastores ?? []).filter((d) => lifecycle(d, "datastoreStatus").status !== "DELETED");
  const lists = await Promise.all(datastores.map(async (d) => {
    const { imageSets } = await api(`/_emulator/image-sets?datastoreId=${encodeURIComponent(d.datastoreId)}`);
    return imageSets.map((i) => ({ ...i, datastoreName: d.datastoreName }));
  }));
  const all = lists.flat();
  const text = JSON.stringify(all);
  if (text === image_sets_text) return;
  image_sets_text = text;
  $("image-sets-empty").hidden = all.length > 0;
  fill_body($("image-sets"), all.map((i) => {
    const t = i.DICOMTags ?? {};
    return el("tr", {},
      el("th", { scope: "row" }, el("button", { type: "button", class: "link id", "aria-label": `Open image set ${i.imageSetId}`,
        onclick: () => show_image_set(i.datastoreId, i.imageSetId) }, i.imageSetId)),
      el("td", {}, i.datastoreName),
      el("td", {}, i.versionId),
      status_cell(i.imageSetState),
      el("td", {}, [t.DICOMPatientName, t.DICOMPatientId].filter(Boolean).join(" · ")),
      el("td", {}, t.DICOMStudyDescription || t.DICOMStudyInstanceUID || ""),
      el("td", {}, [t.DICOMSeriesModality, t.DICOMSeriesInstanceUID].filter(Boolean).join(" · ")),
      el("td", {}, time_text(i.updatedAt)));
  }), 8, "No image set.");
  // Only when the list changed (the early return above), so an open study is not fetched again and again.
  if (open_image_set) await show_image_set(open_image_set.datastoreId, open_image_set.imageSetId, false);
}

// A JSON value as a tree of <details>: children are built when first opened, so a big
// document costs nothing until it is explored.
function tree_node(key, value, open) {
  if (value === null || typeof value !== "object") {
    return el("div", { class: "leaf" }, el("span", { class: "key" }, key), ": ", el("span", { class: "value" }, JSON.stringify(value)));
  }
  const entries = Array.isArray(value) ? value.map((v, i) => [String(i), v]) : Object.entries(value);
  const details = el("details", {}, el("summary", {}, el("span", { class: "key" }, key), ` (${entries.length} ${Array.isArray(value) ? "items" : "members"})`));
  let built = false;
  const build = () => {
    if (built) return;
    built = true;
    details.append(...entries.map(([k, v]) => tree_node(k, v, false)));
  };
  details.addEventListener("toggle", build);
  if (open) {
    build();
    details.open = true;
  }
  return details;
}

async function show_image_set(datastore_id, image_set_id, focus = true) {
  open_image_set = { datastoreId: datastore_id, imageSetId: image_set_id };
  const detail = await api(`/_emulator/image-sets/${encodeURIComponent(datastore_id)}/${encodeURIComponent(image_set_id)}`);
  const p = detail.imageSet;
  $("image-set-detail-title").textContent = `Image set ${p.imageSetId}`;
  $("image-set-properties").replaceChildren(...[
    ["Datastore", p.datastoreId], ["Version", p.versionId], ["State", p.imageSetState],
    ["Workflow", p.imageSetWorkflowStatus], ["ARN", p.imageSetArn], ["Created", time_text(p.createdAt)],
    ["Updated", time_text(p.updatedAt)], ["Message", p.message ?? ""],
  ].flatMap(([k, v]) => [el("dt", {}, k), el("dd", {}, v)]));
  fill_body($("image-set-versions"), detail.versions.imageSetPropertiesList.map((v) => el("tr", {},
    el("th", { scope: "row" }, v.versionId), status_cell(v.imageSetState), el("td", {}, v.ImageSetWorkflowStatus ?? ""),
    el("td", {}, time_text(v.createdAt)), el("td", {}, time_text(v.updatedAt)), el("td", {}, v.message ?? ""))), 6, "No version.");
  const frames = [];
  for (const [series_uid, series] of Object.entries(detail.metadata?.Study?.Series ?? {})) {
    for (const [instance_uid, instance] of Object.entries(series.Instances ?? {})) {
      for (const f of instance.ImageFrames ?? []) {
        // The full resolution is the last level: its size and CRC32.
        const full = (f.PixelDataChecksumFromBaseToFullResolution ?? []).at(-1);
        frames.push(el("tr", {}, el("td", { class: "id" }, series_uid), el("td", { class: "id" }, instance_uid),
          el("th", { scope: "row", class: "id" }, f.ID),
          el("td", {}, full ? `${full.Width} × ${full.Height}` : ""), el("td", { class: "id" }, full?.Checksum ?? "")));
      }
    }
  }
  fill_body($("image-set-frames"), frames, 5, "No frame.");
  $("image-set-metadata").replaceChildren(tree_node("metadata", detail.metadata, true));
  const article = $("image-set-detail");
  article.hidden = false;
  if (focus) {
    article.setAttribute("tabindex", "-1");
    article.focus();
  }
}

// --- fault rules (GET/POST/PUT/DELETE /_emulator/faults) ---
const match_members = ["operation", "datastoreId", "jobId", "resourceArn", "accessKeyId", "accountId", "region"];
const form_members = ["id", "operation", "datastoreId", "jobId", "accessKeyId", "error", "message", "retryAfter", "delayMs",
  "dropConnection", "times", "after", "probability", "seed"];
const number_members = new Set(["retryAfter", "delayMs", "times", "after", "probability", "seed"]);
let faults_text = "";
let editing_fault = null;  // the rule being edited, or null when adding

function fault_does(f) {
  const parts = [];
  if (f.error) parts.push(f.message ? `${f.error} ("${f.message}")` : f.error);
  if (f.retryAfter !== undefined) parts.push(`Retry-After ${f.retryAfter} s`);
  if (f.delayMs) parts.push(`delay ${f.delayMs} ms`);
  if (f.dropConnection) parts.push("drop the connection");
  return parts.join(", ");
}

function fault_budget(f) {
  const parts = [];
  if (f.after) parts.push(`lets ${f.after} more through first`);
  parts.push(f.times === undefined ? "no limit" : `${f.times} time${f.times === 1 ? "" : "s"} left`);
  if (f.probability !== undefined) parts.push(`probability ${f.probability}${f.seed !== undefined ? ` (seed ${f.seed})` : ""}`);
  return parts.join(", ");
}

async function refresh_faults() {
  const text = await api("/_emulator/faults", { text: true });
  if (text === faults_text) return;
  faults_text = text;
  const { faults } = JSON.parse(text);
  fill_body($("faults"), faults.map((f) => el("tr", {},
    el("th", { scope: "row", class: "id" }, f.id),
    el("td", {}, match_members.filter((m) => f[m] !== undefined).map((m) => `${m} = ${f[m]}`).join(", ") || "every API call"),
    el("td", {}, fault_does(f)),
    el("td", {}, fault_budget(f)),
    el("td", {}, String(f.fired ?? 0)),
    el("td", {},
      el("button", { type: "button", "aria-label": `Edit fault rule ${f.id}`, onclick: () => open_fault_form(f) }, "Edit"), " ",
      el("button", { type: "button", "aria-label": `Delete fault rule ${f.id}`, onclick: () => delete_fault(f.id) }, "Delete")))),
  6, "No fault rule: every call is served normally.");
}

function open_fault_form(rule) {
  editing_fault = rule;
  const form = $("fault-form");
  form.reset();
  $("fault-error").hidden = true;
  $("fault-dialog-title").textContent = rule ? `Edit fault rule ${rule.id}` : "Add a fault rule";
  for (const name of form_members) {
    const input = form.elements[name];
    const value = rule?.[name];
    if (input.type === "checkbox") input.checked = Boolean(value);
    else input.value = value === undefined ? "" : String(value);
  }
  form.elements.id.readOnly = Boolean(rule);
  $("fault-dialog").showModal();
}

function rule_from_form() {
  const form = $("fault-form");
  // Members the form does not show (resourceArn, the namespace) stay as they were.
  const rule = {};
  for (const [k, v] of Object.entries(editing_fault ?? {})) {
    if (!form_members.includes(k)) rule[k] = v;
  }
  for (const name of form_members) {
    const input = form.elements[name];
    if (input.type === "checkbox") {
      if (input.checked) rule[name] = true;
    } else if (input.value.trim() !== "") {
      rule[name] = number_members.has(name) ? Number(input.value) : input.value.trim();
    }
  }
  return rule;
}

async function save_fault(event) {
  event.preventDefault();
  const rule = rule_from_form();
  try {
    if (editing_fault) {
      await api(`/_emulator/faults/${encodeURIComponent(editing_fault.id)}`, { method: "PUT", body: rule });
    } else {
      await api("/_emulator/faults", { method: "POST", body: rule });
    }
    $("fault-dialog").close();
    await refresh_faults();
  } catch (e) {
    $("fault-error").textContent = e.message;
    $("fault-error").hidden = false;
  }
}

async function delete_fault(id) {
  if (!(await confirm_dialog(`Delete fault rule ${id}?`))) return;
  await api(`/_emulator/faults/${encodeURIComponent(id)}`, { method: "DELETE" });
  await refresh_faults();
}

// --- the request journal (GET /_emulator/requests?after=N: a cursor, polled) ---
let journal = [];         // oldest first
let journal_shown = "";   // what the table shows, to redraw only on a change
let journal_polls = 0;

async function refresh_journal() {
  if ($("journal-filter").elements.paused.checked) return;
  // Every tenth poll reloads the newest entries whole: a reset or an empty journal made elsewhere shows.
  const whole = journal.length === 0 || journal_polls++ % 10 === 0;
  const after = whole ? "" : `&after=${journal[journal.length - 1].sequence}`;
  const { requests } = await api(`/_emulator/requests?limit=${journal_kept}${after}`);
  journal = whole ? requests : journal.concat(requests).slice(-journal_kept);
  render_journal();
}

function journal_matches(e, filter) {
  if (filter.operation && !(e.operation ?? "").toLowerCase().includes(filter.operation.toLowerCase())) return false;
  if (filter.status && !String(e.status).startsWith(filter.status)) return false;
  if (filter.id) {
    const ids = [e.requestId, e.datastoreId, e.jobId, e.imageSetId, e.resourceArn, e.path, e.faultId];
    if (!ids.some((v) => v && v.includes(filter.id))) return false;
  }
  return true;
}

function render_journal() {
  const form = $("journal-filter");
  const filter = { operation: form.elements.operation.value.trim(), status: form.elements.status.value.trim(), id: form.elements.id.value.trim() };
  const shown = journal.filter((e) => journal_matches(e, filter)).reverse();
  const key = JSON.stringify([filter, shown.length, shown[0]?.sequence, journal.length]);
  if (key === journal_shown) return;
  journal_shown = key;
  const operations = [...new Set(journal.map((e) => e.operation).filter(Boolean))].sort();
  $("journal-operations").replaceChildren(...operations.map((o) => el("option", { value: o })));
  $("journal-count").textContent = `(${shown.length} of ${journal.length} shown)`;
  fill_body($("journal"), shown.map((e) => el("tr", {},
    el("th", { scope: "row" }, el("button", { type: "button", class: "link", "aria-label": `Open request ${e.sequence} ${e.operation ?? e.path}`,
      onclick: () => show_request(e.sequence) }, `#${e.sequence}`)),
    el("td", {}, time_text(e.time)),
    el("td", {}, e.operation ?? "(no operation)"),
    el("td", { class: "id" }, `${e.method} ${e.path}`),
    el("td", {}, el("span", { class: `status ${e.status === 0 ? "bad" : e.status < 400 ? "ok" : e.status < 500 ? "warn" : "bad"}` }, e.dropped ? "dropped" : e.status)),
    el("td", {}, e.errorType ?? ""),
    el("td", { class: "id" }, e.faultId ?? ""),
    el("td", {}, e.latencyMs.toFixed(1)))), 8, "No API call yet (or none matches the filter).");
}

function body_text(m) {
  if (!m) return "";
  if (m.bodyBinary) return `(${m.bodySize} bytes, binary or compressed: not kept)`;
  if (!m.body) return "";
  let text = m.body;
  if (!m.bodyTruncated) {
    try { text = JSON.stringify(JSON.parse(m.body), null, 2); } catch { /* not JSON: as it came */ }
  }
  return m.bodyTruncated ? `${text}\n… (the first ${m.body.length} of ${m.bodySize} bytes)` : text;
}

async function show_request(sequence) {
  const e = await api(`/_emulator/requests/${sequence}`);
  $("request-title").textContent = `Request #${e.sequence}: ${e.operation ?? e.path}`;
  const summary = [["Request ID", e.requestId], ["Time", time_text(e.time)], ["Status", e.dropped ? "dropped" : e.status],
    ["Error", e.errorType], ["Fault rule", e.faultId], ["Caller", [e.accessKeyId, e.accountId, e.region].filter(Boolean).join(" · ")],
    ["Latency", `${e.latencyMs} ms`]].filter(([, v]) => v !== undefined && v !== "");
  $("request-summary").replaceChildren(...summary.flatMap(([k, v]) => [el("dt", {}, k), el("dd", {}, String(v))]));
  $("request-head").textContent = e.request?.head ?? "";
  $("request-body").textContent = body_text(e.request);
  $("response-head").textContent = e.response?.head ?? (e.dropped ? "(the connection was closed without an answer)" : "");
  $("response-body").textContent = body_text(e.response);
  $("request-dialog").showModal();
  // Start at the top (the summary), not at the Close button the dialog would focus.
  const title = $("request-title");
  title.setAttribute("tabindex", "-1");
  title.focus();
}

// --- views and the polling loop ---
const views = {
  overview: { refresh: refresh_overview, every: 2 },
  "image-sets": { refresh: refresh_image_sets, every: 3 },
  faults: { refresh: refresh_faults, every: 2 },
  journal: { refresh: refresh_journal, every: 1 },
};
let current = "overview";
let tick = 0;
let busy = false;

async function refresh_now() {
  if (busy) return;
  busy = true;
  try {
    if (tick % 3 === 0) await refresh_health();
    await views[current].refresh();
    if ($("notice").classList.contains("stale")) notice("");
  } catch (e) {
    notice(e.message);
    $("notice").classList.add("stale");
  } finally {
    busy = false;
  }
}

function show_view(name, focus) {
  if (!views[name]) name = "overview";
  current = name;
  for (const v of Object.keys(views)) $(`view-${v}`).hidden = v !== name;
  for (const a of document.querySelectorAll("nav a")) {
    if (a.dataset.view === name) a.setAttribute("aria-current", "page");
    else a.removeAttribute("aria-current");
  }
  if (focus) {
    // Keyboard users land on the view's heading, not back at the top of the page.
    const heading = $(`${name}-title`);
    heading.setAttribute("tabindex", "-1");
    heading.focus();
  }
  tick = 0;
  refresh_now();
}

async function reset_all() {
  if (!(await confirm_dialog("Reset the emulator to its start-up state? Data, fault rules, credentials, policies and the journal go back to how they started."))) return;
  const counts = await api("/_emulator/reset", { method: "POST" });
  journal = [];
  last_state_text = faults_text = image_sets_text = journal_shown = "";
  open_image_set = null;
  $("image-set-detail").hidden = true;
  notice(`Reset: ${counts.datastores} datastores, ${counts.jobs} jobs, ${counts.faults} fault rules.`, "ok");
  tick = 0;
  await refresh_now();
}

async function export_state() {
  const text = await api("/_emulator/state", { text: true });
  const link = el("a", { href: URL.createObjectURL(new Blob([text], { type: "application/json" })),
    download: `healthimaging-local-state-${new Date().toISOString().replace(/[:.]/g, "-")}.json` });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(link.href), 10_000);
}

async function import_state(event) {
  const file = event.target.files[0];
  event.target.value = "";
  if (!file) return;
  if (!(await confirm_dialog(`Replace everything with ${file.name}? (POST /_emulator/fixtures?mode=replace)`))) return;
  const loaded = await api("/_emulator/fixtures?mode=replace", { method: "POST", body: await file.text() });
  notice(`Loaded ${loaded.loaded.datastores} datastores, ${loaded.loaded.jobs} jobs, ${loaded.loaded.faults} fault rules.`, "ok");
  last_state_text = faults_text = image_sets_text = "";
  await refresh_now();
}

// An action's failure is shown, never left as an unhandled rejection.
const guarded = (action) => (...args) => action(...args).catch((e) => notice(e.message));

async function start() {
  const health = await refresh_health();
  if (health.adminTokenRequired && !sessionStorage.getItem(token_key)) await ask_token(false);
  $("reset").addEventListener("click", guarded(reset_all));
  $("export").addEventListener("click", guarded(export_state));
  $("import").addEventListener("change", guarded(import_state));
  $("fault-add").addEventListener("click", () => open_fault_form(null));
  $("fault-clear").addEventListener("click", guarded(async () => {
    if (!(await confirm_dialog("Remove every fault rule?"))) return;
    await api("/_emulator/faults", { method: "DELETE" });
    await refresh_faults();
  }));
  $("fault-form").addEventListener("submit", save_fault);
  $("fault-cancel").addEventListener("click", () => $("fault-dialog").close());
  $("journal-filter").addEventListener("input", render_journal);
  $("journal-filter").addEventListener("submit", (event) => event.preventDefault());
  $("journal-clear").addEventListener("click", guarded(async () => {
    if (!(await confirm_dialog("Empty the request journal?"))) return;
    await api("/_emulator/requests", { method: "DELETE" });
    journal = [];
    journal_shown = "";
    await refresh_journal();
  }));
  window.addEventListener("hashchange", () => show_view(location.hash.slice(1), true));
  show_view(location.hash.slice(1), false);
  setInterval(() => {
    ++tick;
    if (document.hidden) return;
    if (tick % views[current].every === 0) refresh_now();
  }, 1000);
  document.body.dataset.ready = "true";
}

start().catch((e) => notice(`The dashboard could not start: ${e.message}`));
