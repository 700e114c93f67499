/// The dashboard's page. Everything it loads comes from this server: the
/// page, `dashboard.css` and `dashboard.js`; its data from the API, with
/// the token typed into it (kept in `sessionStorage`, sent as a header).
enum DashboardPage {
    static let icon = ##"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 16 16"><rect width="16" height="16" rx="3" fill="#0969da"/><path d="M3 11h10M3 5h10M5 3v10M11 3v10" stroke="#fff" stroke-width="1.5"/></svg>"##

    static let html = #"""
<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Railyard</title>
<link rel="icon" href="/favicon.svg" type="image/svg+xml">
<link rel="stylesheet" href="/dashboard.css">
<script src="/dashboard.js" defer></script>
</head>
<body>
<header class="top">
  <h1>Railyard</h1>
  <p id="health" class="pill" role="status" aria-live="polite">checking health…</p>
  <button id="sign-out" type="button" hidden>Forget token</button>
</header>

<main>
<section id="login" aria-labelledby="login-title">
  <h2 id="login-title">Connect</h2>
  <form id="login-form">
    <label for="token">API token (read or admin)</label>
    <input id="token" name="token" type="password" autocomplete="off" required>
    <button id="connect" type="submit">Connect</button>
    <p id="login-error" class="error" role="alert" hidden></p>
    <p class="note">The token stays in this tab (sessionStorage) and is sent only to this server, in a header.</p>
  </form>
</section>

<div id="app" hidden>
<section id="live" aria-labelledby="live-title">
  <h2 id="live-title">Run</h2>
  <div class="actions">
    <button id="start-run" type="button">Migrate</button>
    <button id="dry-run" type="button">Dry run</button>
    <button id="cancel-run" type="button" disabled>Cancel run</button>
  </div>
  <p id="action-message" role="status" aria-live="polite"></p>
  <div id="live-run" data-status="none">
    <p id="live-summary">No run in progress.</p>
    <p id="live-wait" class="wait" hidden></p>
    <ol id="live-steps"></ol>
    <pre id="live-error" class="error" hidden></pre>
    <h3>Log</h3>
    <ol id="live-log" class="log" aria-live="polite"></ol>
  </div>
</section>

<section id="migrations-section" aria-labelledby="migrations-title">
  <h2 id="migrations-title">Migrations</h2>
  <p id="migrations-summary"></p>
  <div id="filters" role="group" aria-label="Filter by status"></div>
  <div class="scroll">
    <table id="migrations">
      <thead><tr><th scope="col">Version</th><th scope="col">Name</th><th scope="col">Status</th><th scope="col">Applied</th><th scope="col">ms</th><th scope="col">Lint</th></tr></thead>
      <tbody></tbody>
    </table>
  </div>
</section>

<section id="drift-section" aria-labelledby="drift-title">
  <h2 id="drift-title">Drift</h2>
  <div id="drift"><p>Not checked yet.</p></div>
</section>

<section id="runs-section" aria-labelledby="runs-title">
  <h2 id="runs-title">Run history</h2>
  <div class="scroll">
    <table id="runs">
      <thead><tr><th scope="col">Started</th><th scope="col">Trigger</th><th scope="col">By</th><th scope="col">Result</th><th scope="col">Steps</th><th scope="col">Error</th></tr></thead>
      <tbody></tbody>
    </table>
  </div>
</section>
</div>
</main>
</body>
</html>
"""#
}
