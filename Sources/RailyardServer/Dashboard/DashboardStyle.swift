/// The dashboard's style sheet: one column on a phone, every table scrolls
/// inside its own box, focus always visible.
enum DashboardStyle {
    static let css = #"""
:root { --fg: #1b1f24; --muted: #59636e; --line: #d1d9e0; --bg: #f6f8fa; --ok: #1a7f37; --bad: #cf222e; --warn: #9a6700; --accent: #0969da; }
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: var(--fg); background: var(--bg); }
.top { display: flex; flex-wrap: wrap; gap: .5rem 1rem; align-items: center; padding: .75rem 1rem; background: #fff; border-bottom: 1px solid var(--line); }
.top h1 { margin: 0; font-size: 1.25rem; }
main { max-width: 72rem; margin: 0 auto; padding: 1rem; }
section { background: #fff; border: 1px solid var(--line); border-radius: 6px; padding: .75rem 1rem; margin-bottom: 1rem; min-width: 0; }
h2 { margin: 0 0 .5rem; font-size: 1.1rem; }
h3 { margin: .75rem 0 .25rem; font-size: .95rem; }
label { display: block; margin-bottom: .25rem; }
input[type=password] { width: 100%; max-width: 28rem; padding: .45rem; font: inherit; border: 1px solid var(--line); border-radius: 4px; }
button { font: inherit; padding: .4rem .8rem; border: 1px solid var(--line); border-radius: 4px; background: #fff; color: var(--fg); cursor: pointer; min-height: 2.25rem; }
button[aria-pressed=true] { background: var(--accent); border-color: var(--accent); color: #fff; }
button:disabled { opacity: .5; cursor: default; }
:focus-visible { outline: 3px solid var(--accent); outline-offset: 2px; }
.actions, #filters { display: flex; flex-wrap: wrap; gap: .5rem; margin: .5rem 0; }
.pill { margin: 0; padding: .15rem .6rem; border-radius: 999px; background: var(--bg); border: 1px solid var(--line); overflow-wrap: anywhere; }
.pill.ok { color: var(--ok); border-color: var(--ok); }
.pill.bad { color: var(--bad); border-color: var(--bad); }
.error { color: var(--bad); white-space: pre-wrap; overflow-wrap: anywhere; }
.wait { color: var(--warn); }
.note { color: var(--muted); font-size: .9rem; }
.scroll { overflow-x: auto; max-width: 100%; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: .35rem .5rem; border-bottom: 1px solid var(--line); vertical-align: top; }
td { white-space: nowrap; }
td.wrap { white-space: normal; overflow-wrap: anywhere; min-width: 9rem; }
th { color: var(--muted); font-weight: 600; white-space: nowrap; }
.status-applied, .status-succeeded { color: var(--ok); }
.status-failed, .status-changed, .status-missing { color: var(--bad); }
.status-pending, .status-running { color: var(--warn); }
#live-steps { padding-left: 1.5rem; }
#live-steps li { margin: .1rem 0; overflow-wrap: anywhere; }
#live-steps li::marker { color: var(--muted); }
.log { font: 13px/1.4 ui-monospace, SFMono-Regular, Menlo, monospace; max-height: 14rem; overflow: auto; padding-left: 1.5rem; }
.log li { white-space: pre-wrap; overflow-wrap: anywhere; }
.findings { margin: 0; padding-left: 1.2rem; font-size: .9rem; }
pre { margin: .5rem 0; overflow-x: auto; }
@media (max-width: 40rem) {
  main { padding: .5rem; }
  section { padding: .6rem; }
  th, td { padding: .3rem; font-size: .9rem; }
}
"""#
}
