/// The dashboard's script: no framework, no build step. It reads the API
/// with the token from `sessionStorage` in an `Authorization` header, and
/// follows runs through `GET /api/events` read with `fetch` (an
/// `EventSource` cannot send a header, and the token never goes in a URL).
enum DashboardScript {
    static let javascript = #"""
"use strict";
(() => {
  const key = "railyard.token";
  const $ = (id) => document.getElementById(id);
  const state = { token: sessionStorage.getItem(key), migrations: [], filter: "all", run: null, stream: null, refresh: null, drift: "unknown" };

  function el(tag, text, className) {
    const node = document.createElement(tag);
    if (text !== undefined && text !== null) node.textContent = String(text);
    if (className) node.className = className;
    return node;
  }

  async function api(method, path, body) {
    const headers = { Accept: "application/json" };
    if (state.token) headers.Authorization = "Bearer " + state.token;
    if (body !== undefined) headers["Content-Type"] = "application/json";
    const response = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), cache: "no-store" });
    let data = null;
    const type = response.headers.get("Content-Type") || "";
    if (type.includes("json")) data = await response.json();
    if (response.status === 401 && path !== "/api/health") { signOut("The token was refused (401): check it and connect again."); throw new Error("refused"); }
    return { status: response.status, data };
  }

  function problem(reply) {
    return (reply.data && (reply.data.detail || reply.data.title)) || ("HTTP " + reply.status);
  }

  // Health needs no token.
  async function loadHealth() {
    const pill = $("health");
    try {
      const reply = await api("GET", "/api/health");
      const health = reply.data || {};
      const words = [health.status === "ok" ? "healthy" : (health.status || "unhealthy"), "database " + (health.database || "?")];
      if (health.migrations) {
        const m = health.migrations;
        words.push(m.up_to_date ? "up to date" : [m.pending && m.pending + " pending", m.failed && m.failed + " failed", m.changed && m.changed + " changed", m.missing && m.missing + " missing"].filter(Boolean).join(", ") || "not up to date");
      }
      if (health.version) words.push("v" + health.version);
      pill.textContent = words.join(" · ");
      pill.className = "pill " + (health.status === "ok" ? "ok" : "bad");
    } catch (error) {
      pill.textContent = "server unreachable";
      pill.className = "pill bad";
    }
  }

  async function connect(token) {
    state.token = token;
    const reply = await fetch("/api/migrations", { headers: { Authorization: "Bearer " + token, Accept: "application/json" }, cache: "no-store" });
    if (reply.status === 401) {
      state.token = null;
      sessionStorage.removeItem(key);
      showLogin("The token was refused (401): check it and try again.");
      return;
    }
    sessionStorage.setItem(key, token);
    $("login").hidden = true;
    $("app").hidden = false;
    $("sign-out").hidden = false;
    await Promise.all([loadMigrations(), loadRuns()]);
    follow();
    clearInterval(state.refresh);
    state.refresh = setInterval(() => { loadHealth(); loadMigrations(); }, 15000);
  }

  function showLogin(message) {
    $("app").hidden = true;
    $("login").hidden = false;
    $("sign-out").hidden = true;
    const error = $("login-error");
    error.hidden = !message;
    error.textContent = message || "";
    $("token").value = "";
    $("token").focus();
  }

  function signOut(message) {
    sessionStorage.removeItem(key);
    state.token = null;
    if (state.stream) state.stream.abort();
    state.stream = null;
    clearInterval(state.refresh);
    showLogin(message);
  }

  // Migrations, filtered by status; lint findings fetched per file when asked.
  async function loadMigrations() {
    const reply = await api("GET", "/api/migrations");
    if (reply.status !== 200) { $("migrations-summary").textContent = "Cannot list migrations: " + problem(reply); return; }
    state.migrations = reply.data.migrations || [];
    const summary = reply.data.summary || {};
    const parts = ["total", "applied", "pending", "failed", "changed", "missing", "ahead", "renamed"].filter((k) => k === "total" || summary[k]).map((k) => summary[k] + " " + k);
    $("migrations-summary").textContent = parts.join(", ");
    renderFilters(summary);
    renderMigrations();
    if (summary.drift !== state.drift) { state.drift = summary.drift; loadDrift(); }
  }

  function renderFilters(summary) {
    const box = $("filters");
    box.replaceChildren();
    for (const status of ["all", "applied", "pending", "failed", "changed", "missing", "ahead", "renamed"]) {
      const count = status === "all" ? summary.total : summary[status];
      if (status !== "all" && !count && state.filter !== status) continue;
      const button = el("button", status + " (" + (count || 0) + ")");
      button.type = "button";
      button.dataset.filter = status;
      button.setAttribute("aria-pressed", String(state.filter === status));
      button.addEventListener("click", () => { state.filter = status; renderFilters(summary); renderMigrations(); });
      box.append(button);
    }
  }

  function renderMigrations() {
    const body = $("migrations").tBodies[0];
    body.replaceChildren();
    for (const m of state.migrations) {
      if (state.filter !== "all" && m.status !== state.filter) continue;
      const row = el("tr");
      row.dataset.status = m.status;
      row.dataset.version = m.version;
      row.append(el("td", m.version), el("td", m.name || m.filename, "wrap"), el("td", m.status, "status-" + m.status),
                 el("td", m.applied_at ? new Date(m.applied_at).toLocaleString() : ""), el("td", m.execution_ms ?? ""));
      const cell = el("td");
      const button = el("button", "Show");
      button.type = "button";
      button.setAttribute("aria-label", "Lint findings of " + m.filename);
      button.addEventListener("click", () => showLint(m, row, button));
      cell.append(button);
      row.append(cell);
      if (m.error) row.children[2].title = m.error;
      body.append(row);
    }
  }

  async function showLint(m, row, button) {
    const next = row.nextElementSibling;
    if (next && next.classList.contains("lint-row")) { next.remove(); button.textContent = "Show"; return; }
    const reply = await api("GET", "/api/migrations/" + encodeURIComponent(m.id || m.version));
    const line = el("tr", null, "lint-row");
    const cell = el("td");
    cell.colSpan = 6;
    cell.className = "wrap";
    const findings = (reply.data && reply.data.lint) || [];
    if (reply.status !== 200) cell.append(el("p", problem(reply), "error"));
    else if (!findings.length) cell.append(el("p", "No lint findings.", "note"));
    else {
      const list = el("ul", null, "findings");
      for (const f of findings) list.append(el("li", f.file + ":" + f.line + ":" + f.column + ": " + f.severity + "[" + f.rule + "]: " + f.message + (f.hint ? " (hint: " + f.hint + ")" : "")));
      cell.append(list);
    }
    line.append(cell);
    row.after(line);
    button.textContent = "Hide";
  }

  async function loadRuns() {
    const reply = await api("GET", "/api/runs?limit=20");
    const body = $("runs").tBodies[0];
    body.replaceChildren();
    for (const run of (reply.data && reply.data.runs) || []) {
      const applied = (run.steps || []).filter((s) => s.status === "applied").length;
      const row = el("tr");
      row.dataset.id = run.id;
      row.dataset.status = run.status;
      row.append(el("td", new Date(run.started_at).toLocaleString()), el("td", run.trigger + (run.dry_run ? " (dry run)" : "")),
                 el("td", run.requested_by || ""), el("td", run.status, "status-" + run.status),
                 el("td", applied + "/" + (run.steps || []).length), el("td", run.error ? where(run.error) : "", "error wrap"));
      body.append(row);
    }
    // With no run followed yet, the live panel shows the latest one, as it ended.
    const latest = reply.data && reply.data.runs && reply.data.runs[0];
    if (latest && !state.run) {
      state.run = Object.assign({}, latest, { log: [] });
      renderRun();
    }
  }

  // The listing's summary says whether there is a schema file to compare with (and how many objects differ).
  async function loadDrift() {
    const box = $("drift");
    if (state.drift === undefined || state.drift === null) {
      box.replaceChildren(el("p", "No schema.sql next to the migrations: drift is not checked.", "note"));
      return;
    }
    const reply = await api("GET", "/api/schema/drift");
    box.replaceChildren();
    if (reply.status !== 200) { box.append(el("p", "Cannot check drift: " + problem(reply), "error")); return; }
    if (!reply.data.drift) { box.append(el("p", "The database matches " + reply.data.schema_file + ".", "status-applied")); return; }
    box.append(el("p", reply.data.objects.length + " object(s) differ from " + reply.data.schema_file + ":", "error"));
    const list = el("ul");
    for (const o of reply.data.objects) list.append(el("li", o.change + " " + o.kind + " " + o.name));
    box.append(list, el("pre", reply.data.diff));
  }

  function where(error) {
    let text = "";
    if (error.filename && error.line) text += error.filename + ":" + error.line + ":" + error.column + ": ";
    if (error.sqlstate) text += "ERROR " + error.sqlstate + ": ";
    return text + error.message;
  }

  // The live run, from the stream of every run's events.
  function apply(event) {
    if (!state.run || state.run.id !== event.run_id) {
      if (event.type !== "run" && event.type !== "plan" && !event.run) return;
      state.run = { id: event.run_id, steps: [], status: "running", wait: null, error: null, log: [] };
      $("live-log").replaceChildren();
    }
    const run = state.run;
    if (event.run) Object.assign(run, event.run, { steps: event.run.steps && event.run.steps.length ? event.run.steps : run.steps, log: run.log });
    if (event.type === "step" && event.step && event.position !== undefined) run.steps[event.position] = event.step;
    if (event.type === "wait") run.wait = event.wait;
    if (event.type === "log" || event.type === "wait") $("live-log").append(el("li", event.message));
    if (event.type === "end") { run.wait = null; loadRuns(); loadHealth(); state.drift = "stale"; loadMigrations(); }
    renderRun();
  }

  function renderRun() {
    const run = state.run;
    const box = $("live-run");
    box.dataset.status = run.status;
    box.dataset.id = run.id;
    const done = run.steps.filter((s) => s.status === "applied" || s.status === "failed" || s.status === "skipped").length;
    $("live-summary").textContent = "Run " + run.id.slice(0, 8) + (run.dry_run ? " (dry run)" : "") + ": " + run.status + ", " + done + "/" + run.steps.length + " steps";
    $("live-summary").className = "status-" + run.status;
    const steps = $("live-steps");
    steps.replaceChildren();
    for (const step of run.steps) {
      const item = el("li", step.filename + ": " + step.status + (step.duration_ms !== undefined && step.duration_ms !== null ? " (" + step.duration_ms + " ms)" : ""), "status-" + step.status);
      item.dataset.status = step.status;
      steps.append(item);
    }
    const wait = $("live-wait");
    wait.hidden = !run.wait;
    wait.textContent = run.wait ? "Waiting: " + run.wait.kind.replace("_", " ") + (run.wait.filename ? " (" + run.wait.filename + ")" : "") + (run.wait.holder ? ", held by " + run.wait.holder : "") : "";
    const error = $("live-error");
    error.hidden = !run.error;
    error.textContent = run.error ? where(run.error) + (run.error.detail ? "\nDETAIL: " + run.error.detail : "") + (run.error.hint ? "\nHINT: " + run.error.hint : "") : "";
    $("cancel-run").disabled = run.status !== "running";
  }

  async function follow() {
    if (state.stream) state.stream.abort();
    const controller = new AbortController();
    state.stream = controller;
    let lastId = null;
    while (!controller.signal.aborted) {
      try {
        const headers = { Authorization: "Bearer " + state.token, Accept: "text/event-stream" };
        if (lastId) headers["Last-Event-ID"] = lastId;
        const response = await fetch("/api/events", { headers, signal: controller.signal, cache: "no-store" });
        if (response.status === 401) { signOut("The token was refused (401): check it and connect again."); return; }
        if (!response.ok || !response.body) throw new Error("HTTP " + response.status);
        const reader = response.body.getReader();
        const decoder = new TextDecoder();
        let buffer = "";
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          buffer += decoder.decode(value, { stream: true }).replace(/\r\n?/g, "\n");
          let end;
          while ((end = buffer.indexOf("\n\n")) >= 0) {
            const block = buffer.slice(0, end);
            buffer = buffer.slice(end + 2);
            let id = null, data = [];
            for (const line of block.split("\n")) {
              if (line.startsWith("id:")) id = line.slice(3).trim();
              else if (line.startsWith("data:")) data.push(line.slice(5).replace(/^ /, ""));
            }
            if (id) lastId = id;
            if (data.length) apply(JSON.parse(data.join("\n")));
          }
        }
      } catch (error) {
        if (controller.signal.aborted) return;
      }
      await new Promise((resolve) => setTimeout(resolve, 2000));
    }
  }

  async function startRun(dryRun) {
    const message = $("action-message");
    message.textContent = "";
    const reply = await api("POST", "/api/runs", { dry_run: dryRun });
    if (reply.status === 202) message.textContent = (dryRun ? "Dry run " : "Run ") + reply.data.id.slice(0, 8) + " started.";
    else if (reply.status === 403) message.textContent = "Starting a run needs the admin token.";
    else message.textContent = "Not started: " + problem(reply);
  }

  async function cancelRun() {
    if (!state.run) return;
    const reply = await api("POST", "/api/runs/" + state.run.id + "/cancel");
    $("action-message").textContent = reply.status === 202 ? "Cancelling: the migration in progress rolls back." : reply.status === 403 ? "Cancelling needs the admin token." : "Not cancelled: " + problem(reply);
  }

  document.addEventListener("DOMContentLoaded", () => {
    $("login-form").addEventListener("submit", (event) => { event.preventDefault(); connect($("token").value.trim()); });
    $("sign-out").addEventListener("click", () => signOut(""));
    $("start-run").addEventListener("click", () => startRun(false));
    $("dry-run").addEventListener("click", () => startRun(true));
    $("cancel-run").addEventListener("click", cancelRun);
    loadHealth();
    if (state.token) connect(state.token); else showLogin("");
  });
})();
"""#
}
