/** Dashboard CSS: light and dark via prefers-color-scheme, visible focus, status colours plus text. */
export const dashboardCss = `
:root { --bg:#f7f7f8; --fg:#1b1b1f; --muted:#5c5c66; --card:#fff; --line:#d9d9de; --accent:#3451b2;
  --ok:#1a7f37; --fail:#c62828; --run:#0b63c5; --wait:#8a6d00; --susp:#7b3fb8; --idle:#6e6e78; }
@media (prefers-color-scheme: dark) { :root { --bg:#151518; --fg:#ececf1; --muted:#a3a3ad; --card:#1e1e23; --line:#34343b;
  --accent:#8ea2ff; --ok:#4ac26b; --fail:#ff6b6b; --run:#58a6ff; --wait:#e3b341; --susp:#c297ff; --idle:#8b8b95; } }
* { box-sizing: border-box; }
body { margin:0; font:15px/1.5 system-ui, sans-serif; background:var(--bg); color:var(--fg); }
header { display:flex; gap:2rem; align-items:center; padding:.6rem 1.5rem; border-bottom:1px solid var(--line); background:var(--card); }
.brand { font-weight:700; font-size:1.2rem; }
nav.top a { margin-right:1rem; color:var(--fg); text-decoration:none; padding:.2rem .4rem; border-radius:4px; }
nav.top a[aria-current="page"] { background:var(--accent); color:#fff; }
main { padding:1rem 1.5rem; max-width:1200px; }
a { color:var(--accent); }
:focus-visible { outline:3px solid var(--accent); outline-offset:2px; }
.skip { position:absolute; left:-999px; } .skip:focus { left:1rem; top:.5rem; background:var(--card); padding:.3rem; }
.sr-only { position:absolute; width:1px; height:1px; overflow:hidden; clip:rect(0 0 0 0); white-space:nowrap; }
.card { background:var(--card); border:1px solid var(--line); border-radius:8px; padding:1rem; margin:1rem 0; }
.muted { color:var(--muted); }
.error { color:var(--fail); min-height:1em; margin:.3rem 0; }
button { font:inherit; padding:.35rem .9rem; border-radius:6px; border:1px solid var(--accent); background:var(--accent); color:#fff; cursor:pointer; }
button:disabled { opacity:.45; cursor:not-allowed; }
textarea, input, select { font:13px ui-monospace, monospace; padding:.3rem; border:1px solid var(--line); border-radius:4px; background:var(--bg); color:var(--fg); }
textarea { width:100%; display:block; margin:.3rem 0; }
label { display:block; font-weight:600; margin-top:.4rem; }
.filters { display:flex; gap:1rem; align-items:flex-end; flex-wrap:wrap; }
.actions { display:flex; gap:.6rem; }
table { border-collapse:collapse; width:100%; }
th, td { text-align:left; padding:.35rem .5rem; border-bottom:1px solid var(--line); vertical-align:top; }
caption { text-align:left; font-weight:700; padding:.3rem 0; }
pre.json { background:var(--bg); border:1px solid var(--line); padding:.5rem; border-radius:4px; overflow:auto; max-height:20rem; white-space:pre-wrap; word-break:break-word; }
.badge { display:inline-block; padding:0 .5rem; border-radius:999px; border:1px solid currentColor; font-size:.85em; }
.st-success { color:var(--ok); } .st-failed { color:var(--fail); } .st-running { color:var(--run); }
.st-waiting { color:var(--wait); } .st-suspended { color:var(--susp); } .st-canceled, .st-pending, .st-not-run, .st-idle { color:var(--idle); }
.graph ol.seq { list-style:none; margin:0; padding:0; display:flex; flex-direction:column; align-items:flex-start; gap:.5rem; }
.graph ol.seq > li { position:relative; }
.graph ol.seq > li + li::before { content:"↓"; display:block; color:var(--muted); margin:-.3rem 0 .1rem 1rem; }
.node { display:inline-flex; flex-direction:column; min-width:9rem; padding:.35rem .7rem; border:2px solid currentColor; border-radius:6px; background:var(--card); }
.node.small { min-width:0; border-style:dashed; }
.node .node-id { color:var(--fg); font-weight:600; }
.node .node-status, .node .node-note { font-size:.8em; }
.frame { border:1px dashed var(--line); border-radius:8px; padding:.4rem .6rem; }
.frame.nested { border:2px solid currentColor; }
.frame-label { font-size:.8em; color:var(--muted); margin-bottom:.3rem; }
.row { display:flex; gap:.6rem; flex-wrap:wrap; }
.bar { height:.7rem; border-radius:3px; background:currentColor; }
.pager a { margin-right:1rem; }
details.step-detail { border-bottom:1px solid var(--line); padding:.3rem 0; }
.node[role="button"] { cursor:pointer; }
.node.selected { outline:3px solid var(--accent); outline-offset:2px; }
.st-canceled .node-id { text-decoration:line-through; }
.frame.fork > .row > .lane { position:relative; padding-top:.9rem; }
.frame.fork > .row > .lane::before { content:"↓"; position:absolute; top:-.2rem; left:1rem; color:var(--muted); }
button.secondary { background:transparent; color:var(--accent); }
button.danger { background:var(--fail); border-color:var(--fail); }
button.link { background:none; border:none; color:var(--accent); padding:0; text-decoration:underline; }
.error-box { border-left:4px solid var(--fail); padding:.3rem .8rem; margin:.4rem 0; background:var(--bg); border-radius:4px; }
.error-head { margin:.2rem 0; display:flex; gap:.6rem; align-items:center; }
.error-name { font-weight:700; color:var(--fail); }
.error-code { border:1px solid var(--fail); color:var(--fail); border-radius:4px; padding:0 .35rem; font-size:.85em; }
.error-message { font-size:1.05em; margin:.3rem 0; white-space:pre-wrap; }
pre.stack { font:12px/1.45 ui-monospace, monospace; overflow:auto; max-height:18rem; margin:.3rem 0; }
pre.stack .internal { color:var(--muted); }
.step-panel .panel-head { display:flex; justify-content:space-between; align-items:center; }
dl.facts { display:grid; grid-template-columns:max-content 1fr; gap:.15rem 1rem; margin:.4rem 0; }
dl.facts dt { font-weight:600; color:var(--muted); } dl.facts dd { margin:0; }
table.gantt .gantt-cell { width:45%; }
.gantt-track { position:relative; height:1rem; background:var(--bg); border-radius:3px; }
.gantt-bar { position:absolute; top:.15rem; height:.7rem; border-radius:3px; background:currentColor; }
.gantt-bar.attempt.st-failed { background:repeating-linear-gradient(45deg, var(--fail) 0 4px, transparent 4px 7px); border:1px solid var(--fail); }
.gantt-wait { position:absolute; top:.45rem; height:.1rem; background:var(--susp); }
.history li { margin-bottom:.6rem; } .pair { display:flex; gap:1rem; flex-wrap:wrap; } .pair > div { flex:1; min-width:14rem; }
.chat { list-style:none; padding:0; max-width:46rem; } .chat .msg { border:1px solid var(--line); border-radius:8px; padding:.4rem .7rem; margin:.5rem 0; } .chat .msg p { margin:.2rem 0; white-space:pre-wrap; } .chat .customer { margin-right:6rem; } .chat .agent { margin-left:6rem; } .loop { margin-bottom:1rem; }
.schema-form { display:grid; grid-template-columns:repeat(auto-fill, minmax(14rem, 1fr)); gap:.3rem 1rem; margin:.3rem 0; }
.schema-form input[type="text"], .schema-form input[type="number"], .schema-form select { width:100%; }
.schema-object { grid-column:1 / -1; border:1px solid var(--line); border-radius:6px; }
.hint { font-size:.8em; margin:.1rem 0; }
fieldset.statuses { border:1px solid var(--line); border-radius:6px; display:flex; flex-wrap:wrap; gap:.2rem .6rem; padding:.2rem .6rem; }
label.check { font-weight:400; margin:0; display:inline-flex; align-items:center; }
td.num { text-align:right; font-variant-numeric:tabular-nums; }
.bulk-row { display:flex; flex-wrap:wrap; gap:.5rem; align-items:center; }
.bulk-row label { margin:0; }
.bulk progress { width:100%; height:.8rem; }
dialog.confirm { border:1px solid var(--line); border-radius:8px; background:var(--card); color:var(--fg); max-width:32rem; }
dialog.confirm::backdrop { background:rgba(0,0,0,.35); }
.items details { border-bottom:1px dashed var(--line); }
@media (prefers-reduced-motion: reduce) { * { transition:none !important; animation:none !important; } }
`;
