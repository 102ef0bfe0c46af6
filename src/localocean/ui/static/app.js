// LocalOcean's dashboard: hand-written, no framework. Views are drawn from the dashboard's JSON
// (/_localocean/ui/api/...), changes go through the control API (/_localocean/ui/control/...),
// and a server-sent event stream says when to draw the current view again.
"use strict";

const UI = window.LOCALOCEAN_UI;
const main = document.getElementById("main");
const clock = { now: 0, at: performance.now(), timing: "" };
let model = null;
let view = null; // {refresh: async () => void}
let generation = 0;

// ---- helpers -------------------------------------------------------------------------------

function esc(value) {
  return String(value ?? "").replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);
}

async function api(path, options = {}) {
  const headers = { "x-localocean-ui": "1", ...(options.headers || {}) };
  if (options.json !== undefined) {
    headers["content-type"] = "application/json";
    options.body = JSON.stringify(options.json);
  }
  const response = await fetch(UI + path, { ...options, headers, credentials: "same-origin" });
  const text = await response.text();
  let body = null;
  try { body = text ? JSON.parse(text) : null; } catch (e) { body = text; }
  if (!response.ok) {
    const message = body && body.message ? body.message : `${response.status} ${response.statusText}`;
    throw new Error(message);
  }
  if (body && typeof body.now === "number") setClock(body.now, body.timing);
  return body;
}

const control = (path, options) => api("/control" + path, options);

function setClock(now, timing) {
  clock.now = now;
  clock.at = performance.now();
  if (timing) clock.timing = timing;
}

function clockNow() {
  if (clock.timing === "manual") return clock.now;
  return clock.now + (performance.now() - clock.at) / 1000;
}

function epoch(value) {
  if (typeof value === "number") return value;
  const parsed = Date.parse(value);
  return Number.isNaN(parsed) ? null : parsed / 1000;
}

function relative(seconds) {
  const delta = seconds - clockNow();
  const size = Math.abs(delta);
  let text;
  if (size < 1) return "now";
  if (size < 60) text = `${Math.round(size)}s`;
  else if (size < 3600) text = `${Math.round(size / 60)}m`;
  else if (size < 86400) text = `${Math.round(size / 3600)}h`;
  else text = `${Math.round(size / 86400)}d`;
  return delta > 0 ? `in ${text}` : `${text} ago`;
}

function when(value) {
  const seconds = epoch(value);
  if (seconds === null) return esc(value);
  const iso = new Date(seconds * 1000).toISOString().replace(".000", "");
  return `<time data-t="${seconds}" title="${iso}">${relative(seconds)}</time>`;
}

const GOOD = ["active", "running", "available", "completed", "ready", "ok", "succeeded", "true", "assigned"];
const BUSY = ["new", "pending", "provisioning", "in-progress", "upgrading", "degraded", "creating", "deleting", "importing", "waiting"];
const BAD = ["off", "errored", "error", "deleted", "failed", "invalid", "archive", "false", "unavailable"];

function badge(value) {
  const key = String(value).toLowerCase();
  const kind = GOOD.includes(key) ? "good" : BUSY.includes(key) ? "busy" : BAD.includes(key) ? "bad" : "";
  return `<span class="status ${kind}">${esc(value)}</span>`;
}

const TIME_KEY = /(^|_)(at|time|date)$|created|updated|started|completed|expires|due/;
const STATUS_KEY = /^(status|state|phase)$/;

function cell(key, value) {
  if (value === null || value === undefined || value === "") return '<span class="muted">—</span>';
  if (typeof value === "object" && !Array.isArray(value)) {
    if ("state" in value && STATUS_KEY.test(key)) return badge(value.state);
    if ("slug" in value) return esc(value.slug);
    if ("name" in value) return esc(value.name);
    return `<code>${esc(JSON.stringify(value).slice(0, 80))}</code>`;
  }
  if (Array.isArray(value)) {
    if (value.every((item) => typeof item !== "object")) return esc(value.join(", "));
    return `${value.length}`;
  }
  if (STATUS_KEY.test(key)) return badge(value);
  if (typeof value === "string" && TIME_KEY.test(key)) return when(value);
  return esc(value);
}

function toast(message, bad = false) {
  let element = document.getElementById("toast");
  if (!element) {
    element = document.createElement("div");
    element.id = "toast";
    document.body.appendChild(element);
  }
  element.textContent = message;
  element.style.background = bad ? "var(--red)" : "#031b4e";
  element.style.display = "block";
  clearTimeout(element.timer);
  element.timer = setTimeout(() => { element.style.display = "none"; }, 4000);
}

function download(name, text, type = "application/octet-stream") {
  const link = document.createElement("a");
  link.href = URL.createObjectURL(new Blob([text], { type }));
  link.download = name;
  document.body.appendChild(link);
  link.click();
  setTimeout(() => { URL.revokeObjectURL(link.href); link.remove(); }, 1000);
}

function firstList(result) {
  if (Array.isArray(result)) return result;
  for (const value of Object.values(result || {})) if (Array.isArray(value)) return value;
  return null;
}

function firstObject(result) {
  for (const [key, value] of Object.entries(result || {}))
    if (value && typeof value === "object" && !Array.isArray(value) && key !== "links" && key !== "meta") return value;
  return result;
}

function identifier(item) {
  for (const key of ["id", "uuid", "ip", "name", "slug", "fingerprint"]) if (item[key] !== undefined && item[key] !== null) return item[key];
  return null;
}

function collectionOf(path) {
  // the collection whose detail operation serves this concrete path
  for (const collection of model.collections) {
    const pattern = new RegExp("^" + collection.detail.replace(/\{[^}]+\}/g, "[^/]+") + "$");
    if (pattern.test(path)) return collection;
  }
  return null;
}

const REFERENCES = { droplet: "droplets", vpc: "vpcs", image: "images", cluster: "kubernetes/clusters", volume: "volumes", tag: "tags", action: "actions" };

function reference(account, key, value) {
  const match = /^(.*?)_(id|uuid|ids)$/.exec(key);
  if (!match || value === null || value === undefined || value === "") return null;
  const name = REFERENCES[match[1]];
  if (!name || !model.collections.some((c) => c.name === name)) return null;
  const values = Array.isArray(value) ? value : [value];
  return values.map((v) => `<a href="#/a/${encodeURIComponent(account)}/r/${name}/${encodeURIComponent(v)}">${esc(v)}</a>`).join(", ");
}

const PREFERRED = ["id", "name", "ip", "status", "state", "region", "size_slug", "type", "distribution", "version", "ip_range", "count", "droplet", "resource_type", "created_at"];

function columns(items) {
  const present = new Set();
  for (const item of items.slice(0, 20)) for (const key of Object.keys(item)) present.add(key);
  const chosen = PREFERRED.filter((key) => present.has(key));
  for (const key of present) {
    if (chosen.length >= 7) break;
    const sample = items[0][key];
    if (!chosen.includes(key) && (sample === null || typeof sample !== "object")) chosen.push(key);
  }
  return chosen.slice(0, 8);
}

function table(account, items, linkTo) {
  if (!items.length) return '<p class="muted">None.</p>';
  const keys = columns(items);
  const head = keys.map((key) => `<th>${esc(key.replaceAll("_", " "))}</th>`).join("");
  const rows = items.map((item) => {
    const id = identifier(item);
    const cells = keys.map((key, index) => {
      const shown = reference(account, key, item[key]) ?? cell(key, item[key]);
      return index === 0 && linkTo && id !== null
        ? `<td><a href="#/a/${encodeURIComponent(account)}/r/${linkTo}/${encodeURIComponent(id)}">${shown}</a></td>`
        : `<td>${shown}</td>`;
    }).join("");
    return `<tr>${cells}</tr>`;
  }).join("");
  return `<table><thead><tr>${head}</tr></thead><tbody>${rows}</tbody></table>`;
}

function fields(account, object) {
  const rows = Object.entries(object).map(([key, value]) => {
    let shown = reference(account, key, value);
    if (shown === null) {
      const scalars = Array.isArray(value) && value.every((item) => item === null || typeof item !== "object");
      if (value && typeof value === "object" && !scalars && !(STATUS_KEY.test(key) && "state" in value)) {
        const short = JSON.stringify(value);
        shown = short.length <= 110 ? `<code>${esc(short)}</code>`
          : `<details><summary class="muted">${Array.isArray(value) ? `${value.length} items` : `${Object.keys(value).length} fields`}</summary><pre>${esc(JSON.stringify(value, null, 2))}</pre></details>`;
      } else shown = scalars && !value.length ? '<span class="muted">—</span>' : cell(key, value);
    }
    return `<dt>${esc(key)}</dt><dd>${shown}</dd>`;
  }).join("");
  return `<dl class="fields">${rows}</dl>`;
}

// ---- views ---------------------------------------------------------------------------------

async function overview(container) {
  const data = await api("/api/accounts");
  const cards = data.accounts.map((account) => {
    const counts = Object.entries(account.counts).filter(([, n]) => n > 0)
      .map(([kind, n]) => `<span class="count">${esc(kind)}<b>${n}</b></span>`).join("") || '<span class="muted">nothing yet</span>';
    const tokens = account.tokens.map((t) => `<li><code>${esc(t.token)}</code> <span class="muted">${esc(t.scopes.join(" "))}</span></li>`).join("");
    return `<div class="panel account" data-account="${esc(account.slug)}">
      <h2><a href="#/a/${encodeURIComponent(account.slug)}">${esc(account.slug)}</a></h2>
      <div class="muted">${esc(account.email)} · #${account.number} · created ${when(account.created_at)}${account.pending ? ` · ${account.pending} change(s) scheduled` : ""}</div>
      <ul class="tokens">${tokens || '<li class="muted">no tokens</li>'}</ul>
      <div class="counts">${counts}</div></div>`;
  }).join("");
  container.innerHTML = `<h1>Accounts <span class="muted">(${data.total})</span></h1>
    ${data.total ? `<div class="cards">${cards}</div>` : '<p class="muted">No accounts yet: the first request with a new token (open mode) or a seed makes one.</p>'}`;
}

async function accountView(container, account) {
  const data = await api(`/api/accounts/${encodeURIComponent(account)}`);
  const rows = model.collections.map((collection) => {
    const count = data.counts[collection.path];
    return `<tr><td><a href="#/a/${encodeURIComponent(account)}/c/${collection.name}">${esc(collection.name)}</a></td><td class="count-cell">${count ?? "?"}</td></tr>`;
  }).join("");
  const tokens = data.account.tokens.map((t) => `<li><code>${esc(t.token)}</code> · ${esc(t.scopes.join(" "))} · ${when(t.created_at)}</li>`).join("");
  container.innerHTML = `<div class="crumbs"><a href="#/">Accounts</a></div>
    <h1>${esc(data.account.slug)}</h1>
    <div class="panel"><div class="muted">${esc(data.account.email)} · uuid <code>${esc(data.account.id)}</code></div>
    <ul>${tokens}</ul></div>
    <table class="collections"><thead><tr><th>Resources</th><th>Count</th></tr></thead><tbody>${rows}</tbody></table>`;
}

async function listView(container, account, name, page) {
  const collection = model.collections.find((c) => c.name === name);
  if (!collection) throw new Error(`no collection ${name}`);
  const perPage = 25;
  const data = await api(`/api/do/${encodeURIComponent(account)}${collection.path}?page=${page}&per_page=${perPage}`);
  const items = firstList(data.result) || [];
  const total = data.result.meta ? data.result.meta.total : items.length;
  const pages = Math.max(1, Math.ceil(total / perPage));
  const base = `#/a/${encodeURIComponent(account)}/c/${name}`;
  const pager = `<div class="pager">${page > 1 ? `<a href="${base}?page=${page - 1}">← previous</a>` : ""}
    <span class="muted">page ${page} of ${pages} · ${total} in all</span>
    ${page < pages ? `<a href="${base}?page=${page + 1}">next →</a>` : ""}</div>`;
  container.innerHTML = `<div class="crumbs"><a href="#/">Accounts</a> / <a href="#/a/${encodeURIComponent(account)}">${esc(account)}</a></div>
    <h1>${esc(name)}</h1>${pager}${table(account, items, name)}`;
}

async function detailView(container, account, path) {
  const collection = collectionOf(path);
  const data = await api(`/api/do/${encodeURIComponent(account)}${path}`);
  const resource = firstObject(data.result);
  const title = resource.name || identifier(resource) || path;
  const scheduled = data.transitions.map((t) => `<li>${esc(t.kind)} → ${badge(t.target)} ${when(t.due_at)}</li>`).join("");
  const extras = [];
  if (collection && collection.name === "kubernetes/clusters") {
    extras.push(`<div class="panel"><button id="kubeconfig">Download kubeconfig</button>
      <h2>Kubernetes nodes and pods</h2><div id="kube" class="muted">…</div></div>`);
  }
  if (collection && collection.name === "tags") extras.push('<div class="panel"><h2>Tagged resources</h2><div id="tagged">…</div></div>');
  const subs = (collection ? collection.subs : []).map((sub) => {
    const concrete = path + sub.path.slice(collection.detail.length);
    const open = sub.open || openSubs.has(concrete);
    return `<details class="sub" data-path="${esc(concrete)}" data-name="${esc(sub.name)}" ${open ? "open" : ""}><summary>${esc(sub.name)}</summary><div class="sub-body muted">…</div></details>`;
  }).join("");
  container.innerHTML = `<div class="crumbs"><a href="#/">Accounts</a> / <a href="#/a/${encodeURIComponent(account)}">${esc(account)}</a>
    ${collection ? ` / <a href="#/a/${encodeURIComponent(account)}/c/${collection.name}">${esc(collection.name)}</a>` : ""}</div>
    <h1>${esc(title)}</h1>
    ${scheduled ? `<div class="panel"><h2>Scheduled</h2><ul class="scheduled">${scheduled}</ul></div>` : ""}
    ${extras.join("")}
    <div class="panel resource">${fields(account, resource)}</div>${subs}`;
  const kubeconfig = document.getElementById("kubeconfig");
  if (kubeconfig) {
    kubeconfig.onclick = async () => {
      try {
        const answer = await api(`/api/do/${encodeURIComponent(account)}${path}/kubeconfig`);
        download(`${resource.name || resource.id}-kubeconfig.yaml`, answer.raw, "application/yaml");
      } catch (error) { toast(error.message, true); }
    };
    const kube = await api(`/api/kube/${encodeURIComponent(resource.id)}`);
    document.getElementById("kube").innerHTML = kubePanel(account, kube);
  }
  const taggedBox = document.getElementById("tagged");
  if (taggedBox) {
    const found = await api(`/api/tagged/${encodeURIComponent(account)}/${encodeURIComponent(resource.name)}`);
    taggedBox.innerHTML = found.resources.length ? `<ul>${found.resources.map((r) => {
      const name = REFERENCES[r.type] || (r.type + "s");
      const known = model.collections.some((c) => c.name === name);
      return `<li>${esc(r.type)} ${known ? `<a href="#/a/${encodeURIComponent(account)}/r/${name}/${encodeURIComponent(r.id)}">${esc(r.id)}</a>` : esc(r.id)}</li>`;
    }).join("")}</ul>` : '<p class="muted">Nothing carries this tag.</p>';
  }
  for (const details of container.querySelectorAll("details.sub")) {
    const load = () => loadSub(account, details);
    details.addEventListener("toggle", () => {
      if (details.open) { openSubs.add(details.dataset.path); load(); } else openSubs.delete(details.dataset.path);
    });
    if (details.open) await load();
  }
}

const openSubs = new Set();

async function loadSub(account, details) {
  const body = details.querySelector(".sub-body");
  try {
    const data = await api(`/api/do/${encodeURIComponent(account)}${details.dataset.path}`);
    if (data.raw !== undefined) { body.innerHTML = `<pre>${esc(data.raw)}</pre>`; return; }
    const items = firstList(data.result);
    const name = details.dataset.name;
    body.classList.remove("muted");
    if (name === "node_pools" && items) body.innerHTML = items.map((pool) => nodePool(account, pool)).join("");
    else if (items) body.innerHTML = table(account, items, model.collections.some((c) => c.name === name) ? name : null);
    else body.innerHTML = fields(account, firstObject(data.result) || {});
  } catch (error) {
    body.innerHTML = `<span class="muted">${esc(error.message)}</span>`;
  }
}

function nodePool(account, pool) {
  const nodes = (pool.nodes || []).map((node) => `<tr><td>${esc(node.name)}</td><td>${badge(node.status ? node.status.state : "")}</td>
    <td>${reference(account, "droplet_id", node.droplet_id) ?? '<span class="muted">—</span>'}</td><td>${when(node.created_at)}</td></tr>`).join("");
  return `<div class="node"><b>${esc(pool.name)}</b> <span class="muted">${esc(pool.size)} · ${pool.count} node(s)${pool.auto_scale ? ` · autoscale ${pool.min_nodes}-${pool.max_nodes}` : ""}</span>
    <table><thead><tr><th>node</th><th>status</th><th>droplet</th><th>created</th></tr></thead><tbody>${nodes}</tbody></table></div>`;
}

function kubePanel(account, kube) {
  if (!kube.available) return '<p class="muted">The cluster\'s Kubernetes API holds no nodes yet.</p>';
  const pods = (list) => list.map((pod) => `<li>${esc(pod.namespace)}/${esc(pod.name)} ${badge(pod.phase || "Pending")}</li>`).join("");
  const nodes = kube.nodes.map((node) => `<div class="node kube-node"><b>${esc(node.name)}</b> ${badge(node.ready ? "ready" : "not ready")}
    <span class="muted">${esc(node.pool)} · droplet ${reference(account, "droplet_id", node.droplet_id) ?? esc(node.droplet_id)} · ${node.pods.length} pod(s)</span>
    <ul>${pods(node.pods)}</ul></div>`).join("");
  const waiting = kube.unscheduled.length ? `<div class="node"><b>Not scheduled</b><ul>${pods(kube.unscheduled)}</ul></div>` : "";
  return nodes + waiting;
}

// The journal: filters stay as typed, opened entries stay open across live updates.
const opened = new Map(); // request id -> entry (with bodies)

function journalSkeleton(container) {
  container.innerHTML = `<h1>Request journal</h1>
    <form class="inline panel" id="journal-filter">
      <label>Method <select name="method"><option value="">any</option><option>GET</option><option>POST</option><option>PUT</option><option>PATCH</option><option>DELETE</option></select></label>
      <label>Path (glob) <input name="path" placeholder="/v2/droplets*"></label>
      <label>Status <input name="status" placeholder="4xx" size="5"></label>
      <label>Account <input name="account" placeholder="name or uuid"></label>
      <button class="secondary" type="button" id="journal-clear">Empty the journal</button>
    </form><div id="journal"></div>`;
  const form = document.getElementById("journal-filter");
  form.addEventListener("input", () => refreshSoon());
  form.addEventListener("submit", (event) => { event.preventDefault(); refreshSoon(); });
  document.getElementById("journal-clear").onclick = async () => {
    await control("/requests", { method: "DELETE" });
    opened.clear();
    refreshSoon();
  };
}

async function journalRefresh() {
  const form = document.getElementById("journal-filter");
  const query = new URLSearchParams();
  for (const [key, value] of new FormData(form)) if (value) query.set(key, value);
  const data = await api(`/api/journal?${query}`);
  const rows = data.requests.map((entry) => {
    const open = opened.has(entry.request_id);
    const bodies = open ? entryBodies(opened.get(entry.request_id)) : "";
    return `<tr class="entry" data-id="${esc(entry.request_id)}"><td>${when(entry.time)}</td><td>${esc(entry.method)}</td>
      <td class="mono">${esc(entry.path)}${entry.query ? `<span class="muted">?${esc(entry.query)}</span>` : ""}</td>
      <td class="code${String(entry.status)[0]}">${entry.status}</td><td>${esc(entry.account || "")}</td><td>${entry.duration_ms.toFixed(1)} ms</td></tr>
      ${open ? `<tr class="bodies" data-for="${esc(entry.request_id)}"><td colspan="6">${bodies}</td></tr>` : ""}`;
  }).join("");
  document.getElementById("journal").innerHTML = `<table class="journal"><thead><tr><th>time</th><th>method</th><th>path</th><th>status</th><th>account</th><th>duration</th></tr></thead>
    <tbody>${rows || '<tr><td colspan="6" class="muted">No requests match.</td></tr>'}</tbody></table>
    <p class="note">The newest ${data.requests.length} shown; the journal keeps the last ${data.size}.</p>`;
  for (const row of document.querySelectorAll("tr.entry")) {
    row.onclick = async () => {
      const id = row.dataset.id;
      if (opened.has(id)) opened.delete(id);
      else opened.set(id, (await api(`/api/journal/${encodeURIComponent(id)}`)).request);
      await journalRefresh();
    };
  }
}

function entryBodies(entry) {
  const show = (body) => body === null || body === undefined ? '<span class="muted">(no body)</span>'
    : `<pre>${esc(typeof body === "string" ? body : JSON.stringify(body, null, 2))}</pre>`;
  return `<div class="request-body"><b>Request</b> <span class="muted">${esc(entry.request_id)}</span>${show(entry.request_body)}</div>
    <div class="response-body"><b>Response</b>${show(entry.response_body)}</div>`;
}

// Controls: forms are drawn once; what they act on is drawn again on each update.
function controlsSkeleton(container) {
  container.innerHTML = `<h1>Controls</h1>
  <div class="panel"><h2>Timing and clock</h2>
    <form class="inline" id="timing-form"><label>Timing profile <select name="profile" id="profile">
      <option>instant</option><option>fast</option><option>realistic</option><option>manual</option></select></label>
      <button>Apply</button></form>
    <p>LocalOcean's clock: <b id="clock-now"></b> · <span id="clock-pending"></span> change(s) scheduled</p>
    <form class="inline" id="advance-form"><label>Advance by (seconds) <input name="seconds" type="number" min="0" step="any" value="60"></label>
      <button>Advance</button><button type="button" class="secondary" id="settle">Settle (apply everything scheduled)</button></form></div>
  <div class="panel"><h2>Fault rules</h2>
    <form class="inline" id="fault-form">
      <label>Method <select name="method"><option value="">any</option><option>GET</option><option>POST</option><option>PUT</option><option>PATCH</option><option>DELETE</option></select></label>
      <label>Path (glob) <input name="path" placeholder="/v2/droplets*"></label>
      <label>Operation id <input name="operation" placeholder="droplets_create"></label>
      <label>Token <input name="token" placeholder="any"></label>
      <label>Status <input name="status" type="number" min="400" max="599" placeholder="503"></label>
      <label>Times <input name="times" type="number" min="1" placeholder="for ever"></label>
      <label>Probability <input name="probability" type="number" min="0" max="1" step="any"></label>
      <label>Delay (ms) <input name="delay_ms" type="number" min="0"></label>
      <label>Drop <input name="drop" type="checkbox"></label>
      <button>Arm</button></form>
    <div id="faults"></div></div>
  <div class="panel"><h2>Reset</h2>
    <form class="inline" id="reset-form"><label>Account <select name="account" id="reset-account"></select></label>
      <button class="danger">Reset this account</button>
      <button type="button" class="danger" id="reset-all">Reset everything</button></form></div>
  <div class="panel"><h2>State and seeds</h2>
    <form class="inline"><button type="button" id="export">Download the state</button>
      <label>Load a state document <input type="file" id="import" accept=".json,application/json"></label>
      <label>Seed (YAML or JSON) <input type="file" id="seed" accept=".yaml,.yml,.json"></label></form>
    <p class="note">Loading a state document replaces everything; a seed adds what it describes.</p></div>`;

  const act = (form, handler) => form.addEventListener("submit", async (event) => {
    event.preventDefault();
    try { await handler(new FormData(form)); refreshSoon(); } catch (error) { toast(error.message, true); }
  });
  act(document.getElementById("timing-form"), async (data) => {
    await control("/timing", { method: "PUT", json: { profile: data.get("profile") } });
    toast(`Timing: ${data.get("profile")}`);
  });
  act(document.getElementById("advance-form"), async (data) => {
    const answer = await control("/clock/advance", { method: "POST", json: { seconds: Number(data.get("seconds")) } });
    toast(`Advanced: ${answer.applied} change(s) applied`);
  });
  document.getElementById("settle").onclick = async () => {
    try { const answer = await control("/clock/settle", { method: "POST" }); toast(`Settled: ${answer.applied} change(s) applied`); refreshSoon(); }
    catch (error) { toast(error.message, true); }
  };
  act(document.getElementById("fault-form"), async (data) => {
    const rule = {};
    for (const key of ["method", "path", "operation", "token"]) if (data.get(key)) rule[key] = data.get(key);
    for (const key of ["status", "times", "delay_ms"]) if (data.get(key)) rule[key] = parseInt(data.get(key), 10);
    if (data.get("probability")) rule.probability = Number(data.get("probability"));
    if (data.get("drop")) rule.drop = true;
    const answer = await control("/faults", { method: "POST", json: rule });
    toast(`Fault rule ${answer.fault.id} armed`);
  });
  act(document.getElementById("reset-form"), async (data) => {
    if (!confirm(`Remove every resource of ${data.get("account")}?`)) return;
    await control("/reset", { method: "POST", json: { account: data.get("account") } });
    toast(`Account ${data.get("account")} reset`);
  });
  document.getElementById("reset-all").onclick = async () => {
    if (!confirm("Remove everything: accounts, resources, fault rules, the journal?")) return;
    try { await control("/reset", { method: "POST", json: {} }); toast("Everything reset"); refreshSoon(); } catch (error) { toast(error.message, true); }
  };
  document.getElementById("export").onclick = async () => {
    try { download("localocean-state.json", JSON.stringify(await control("/state")), "application/json"); } catch (error) { toast(error.message, true); }
  };
  const upload = (id, send) => document.getElementById(id).addEventListener("change", async (event) => {
    const file = event.target.files[0];
    if (!file) return;
    try { toast(await send(await file.text(), file.name)); refreshSoon(); } catch (error) { toast(error.message, true); }
    event.target.value = "";
  });
  upload("import", async (text) => {
    const answer = await control("/state", { method: "PUT", body: text, headers: { "content-type": "application/json" } });
    return `State loaded (${Object.values(answer.loaded).reduce((a, b) => a + b, 0)} rows)`;
  });
  upload("seed", async (text) => {
    const parsed = await api("/api/document", { method: "POST", body: text, headers: { "content-type": "text/plain" } });
    const answer = await control("/seed", { method: "POST", json: parsed.document });
    return `Seeded: ${Object.entries(answer.seeded).map(([k, v]) => `${v} ${k}`).join(", ")}`;
  });
}

async function controlsRefresh() {
  const [timing, now, faults, accounts] = await Promise.all([
    control("/timing"), control("/clock"), control("/faults"), api("/api/accounts"),
  ]);
  const profile = document.getElementById("profile");
  if (document.activeElement !== profile) profile.value = timing.profile;
  clock.timing = timing.profile;
  document.getElementById("clock-now").innerHTML = `${esc(now.now)} (${esc(timing.profile)})`;
  document.getElementById("clock-pending").textContent = now.pending;
  const select = document.getElementById("reset-account");
  const chosen = select.value;
  select.innerHTML = accounts.accounts.map((a) => `<option>${esc(a.slug)}</option>`).join("");
  if (chosen) select.value = chosen;
  const rows = faults.faults.map((rule) => {
    const match = ["method", "path", "operation", "token"].filter((k) => rule[k]).map((k) => `${k} <code>${esc(rule[k])}</code>`).join(" · ") || "every request";
    const effect = [rule.status ? `status ${rule.status}` : "", rule.delay_ms ? `delay ${rule.delay_ms} ms` : "", rule.drop ? "drop" : ""].filter(Boolean).join(", ");
    const left = rule.times !== null ? `${rule.times - rule.fired} of ${rule.times} left` : rule.probability !== null ? `p=${rule.probability}` : "until removed";
    return `<tr data-fault="${esc(rule.id)}"><td><code>${esc(rule.id.slice(0, 8))}</code></td><td>${match}</td><td>${esc(effect)}</td><td>${rule.fired}</td><td class="budget">${esc(left)}</td>
      <td><button class="secondary remove-fault" data-id="${esc(rule.id)}">Delete</button></td></tr>`;
  }).join("");
  document.getElementById("faults").innerHTML = faults.faults.length
    ? `<table><thead><tr><th>rule</th><th>matches</th><th>does</th><th>fired</th><th>budget</th><th></th></tr></thead><tbody>${rows}</tbody></table>
       <button class="secondary" id="faults-clear">Delete all</button>`
    : '<p class="muted">No fault rules armed.</p>';
  for (const button of document.querySelectorAll(".remove-fault")) {
    button.onclick = async () => {
      try { await control(`/faults/${button.dataset.id}`, { method: "DELETE" }); refreshSoon(); } catch (error) { toast(error.message, true); }
    };
  }
  const clear = document.getElementById("faults-clear");
  if (clear) clear.onclick = async () => { await control("/faults", { method: "DELETE" }); refreshSoon(); };
}

// ---- navigation and live updates -----------------------------------------------------------

function route() {
  const hash = decodeURIComponent(location.hash.slice(1) || "/");
  const [path, search] = hash.split("?");
  const params = new URLSearchParams(search || "");
  const parts = path.split("/").filter(Boolean);
  if (parts[0] === "journal") return { skeleton: journalSkeleton, refresh: journalRefresh };
  if (parts[0] === "controls") return { skeleton: controlsSkeleton, refresh: controlsRefresh };
  if (parts[0] === "a" && parts.length >= 2) {
    const account = parts[1];
    if (parts[2] === "c") return { refresh: () => listView(main, account, parts.slice(3).join("/"), Math.max(1, parseInt(params.get("page") || "1", 10))) };
    if (parts[2] === "r") return { refresh: () => detailView(main, account, "/v2/" + parts.slice(3).join("/")) };
    return { refresh: () => accountView(main, account) };
  }
  return { refresh: () => overview(main) };
}

let running = null;
let again = false;

async function refresh() {
  if (running) { again = true; return running; }
  const mine = generation;
  running = (async () => {
    try {
      await view.refresh();
      main.dataset.loaded = String(mine);
    } catch (error) {
      if (mine === generation) main.insertAdjacentHTML("afterbegin", `<p class="error">${esc(error.message)}</p>`);
    }
  })();
  await running;
  running = null;
  if (again) { again = false; await refresh(); }
}

let soon = null;
function refreshSoon() {
  clearTimeout(soon);
  soon = setTimeout(refresh, 120);
}

async function navigate() {
  generation += 1;
  view = route();
  if (view.skeleton) view.skeleton(main);
  else main.innerHTML = '<p class="muted">Loading…</p>';
  await refresh();
}

function listen() {
  const live = document.getElementById("live");
  const source = new EventSource(UI + "/events");
  source.onopen = () => { live.textContent = "live"; live.classList.add("on"); };
  source.onerror = () => { live.textContent = "reconnecting"; live.classList.remove("on"); };
  source.onmessage = (event) => {
    const data = JSON.parse(event.data);
    setClock(data.now, data.timing);
    refreshSoon();
  };
}

setInterval(() => {
  for (const element of document.querySelectorAll("time[data-t]")) element.textContent = relative(Number(element.dataset.t));
  if (clock.now) {
    const now = new Date(clockNow() * 1000).toISOString().replace(/\.\d+Z$/, "Z");
    document.getElementById("clock").textContent = `${now} · ${clock.timing}`;
  }
}, 1000);

(async () => {
  model = await api("/api/model");
  window.addEventListener("hashchange", navigate);
  await navigate();
  listen();
})();
