// The dashboard's only static files, served from memory under /ui/assets/: one stylesheet and
// the live view's script. Nothing is fetched from elsewhere, so the dashboard works offline, and
// the pages' Content-Security-Policy allows styles and scripts from these files alone.

const STYLESHEET = `
:root { color-scheme: light dark; --fg: #1b1f24; --bg: #fff; --muted: #59636e; --line: #d1d9e0; --accent: #0b5cad; --warn: #9a3412; --ok: #166534; --panel: #f6f8fa; }
@media (prefers-color-scheme: dark) { :root { --fg: #e6edf3; --bg: #0d1117; --muted: #9198a1; --line: #3d444d; --accent: #58a6ff; --warn: #f0883e; --ok: #3fb950; --panel: #151b23; } }
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--fg); background: var(--bg); }
a { color: var(--accent); }
a:focus-visible, button:focus-visible, input:focus-visible, select:focus-visible, summary:focus-visible { outline: 3px solid var(--accent); outline-offset: 2px; }
.skip { position: absolute; left: -9999px; }
.skip:focus { left: 8px; top: 8px; background: var(--bg); padding: 4px 8px; z-index: 1; }
header { display: flex; flex-wrap: wrap; align-items: center; gap: 4px 20px; padding: 10px 20px; border-bottom: 1px solid var(--line); background: var(--panel); }
header .brand { font-weight: 700; font-size: 17px; color: var(--fg); text-decoration: none; }
nav ul { display: flex; flex-wrap: wrap; gap: 4px 16px; list-style: none; margin: 0; padding: 0; }
nav a[aria-current="page"] { font-weight: 700; text-decoration: none; color: var(--fg); }
header form { margin-left: auto; }
main { max-width: 1200px; margin: 0 auto; padding: 16px 20px 40px; }
h1 { font-size: 22px; margin: 8px 0 12px; overflow-wrap: anywhere; }
h2 { font-size: 17px; margin: 24px 0 8px; }
.muted { color: var(--muted); }
.notice { padding: 8px 12px; border: 1px solid var(--line); border-left: 4px solid var(--ok); background: var(--panel); margin: 8px 0 16px; }
.error { border-left-color: var(--warn); }
.table-wrap { overflow-x: auto; max-width: 100%; }
table { border-collapse: collapse; width: 100%; font-variant-numeric: tabular-nums; }
th, td { text-align: left; padding: 6px 10px; border-bottom: 1px solid var(--line); vertical-align: top; }
th { font-size: 13px; color: var(--muted); font-weight: 600; }
td.num, th.num { text-align: right; }
td.name { overflow-wrap: anywhere; min-width: 8em; }
.state { display: inline-block; padding: 0 8px; border-radius: 10px; font-size: 13px; border: 1px solid var(--line); }
.state-failed, .state-failing { color: var(--warn); border-color: var(--warn); }
.state-active, .state-completed { color: var(--ok); border-color: var(--ok); }
form.inline { display: inline; }
.filters { display: flex; flex-wrap: wrap; gap: 8px 12px; align-items: end; margin: 0 0 12px; }
.filters label { display: flex; flex-direction: column; font-size: 13px; color: var(--muted); }
input, select, button { font: inherit; }
input[type="text"], input[type="search"], input[type="password"], select { padding: 4px 8px; border: 1px solid var(--line); border-radius: 6px; background: var(--bg); color: var(--fg); max-width: 100%; }
button { padding: 5px 14px; border-radius: 6px; border: 1px solid var(--line); background: var(--panel); color: var(--fg); cursor: pointer; }
button.danger { color: #fff; background: #b42318; border-color: #b42318; }
.actions { display: flex; flex-wrap: wrap; gap: 8px; margin: 8px 0 16px; }
.actions a.button { padding: 5px 14px; border-radius: 6px; border: 1px solid #b42318; color: #b42318; text-decoration: none; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: 4px 16px; margin: 0; }
dl.facts dt { color: var(--muted); }
dl.facts dd { margin: 0; overflow-wrap: anywhere; }
pre { background: var(--panel); border: 1px solid var(--line); padding: 10px; overflow-x: auto; max-width: 100%; font-size: 13px; white-space: pre-wrap; overflow-wrap: anywhere; }
.pager { display: flex; gap: 16px; margin-top: 12px; }
.cards { display: flex; flex-wrap: wrap; gap: 12px; margin: 8px 0; }
.card { border: 1px solid var(--line); border-radius: 8px; padding: 10px 16px; background: var(--panel); min-width: 140px; }
.card .value { font-size: 26px; font-weight: 700; font-variant-numeric: tabular-nums; }
progress { width: 100%; min-width: 60px; height: 14px; }
td.bar { width: 55%; }
@media (max-width: 600px) {
  main { padding: 12px; }
  header { padding: 8px 12px; }
  header form { margin-left: 0; }
  th, td { padding: 5px 6px; }
  .hide-narrow { display: none; }
}
`;

// The live view: reads /ui/live/stats every second and shows the attempts per second and the
// lateness histogram of the last minute (the difference between the newest reading and the
// oldest one kept). Bounded: at most 61 readings are kept.
const LIVE_SCRIPT = `
(function () {
  'use strict';
  var root = document.getElementById('live');
  if (!root) return;
  var readings = [];
  var rate = document.getElementById('rate');
  var window60 = document.getElementById('window');
  var status = document.getElementById('live-status');
  function text(el, value) { if (el) el.textContent = value; }
  function render() {
    var newest = readings[readings.length - 1];
    var previous = readings[readings.length - 2];
    if (previous) {
      var seconds = (newest.at - previous.at) / 1000;
      text(rate, seconds > 0 ? ((newest.totalAttempts - previous.totalAttempts) / seconds).toFixed(1) : '0.0');
    }
    var oldest = readings[0];
    text(window60, Math.round((newest.at - oldest.at) / 1000) + ' s');
    var outcomes = Object.keys(newest.attempts);
    for (var i = 0; i < outcomes.length; i++) {
      var cell = document.getElementById('outcome-' + outcomes[i]);
      if (cell) text(cell, String(newest.attempts[outcomes[i]] - (oldest.attempts[outcomes[i]] || 0)));
    }
    var buckets = newest.lateness.buckets;
    var counts = [];
    var max = 0;
    for (var b = 0; b < buckets.length; b++) {
      var now = buckets[b].cumulative - (b > 0 ? buckets[b - 1].cumulative : 0);
      var then = oldest.lateness.buckets[b] ? oldest.lateness.buckets[b].cumulative - (b > 0 ? oldest.lateness.buckets[b - 1].cumulative : 0) : 0;
      counts.push(Math.max(0, now - then));
      if (counts[b] > max) max = counts[b];
    }
    for (var k = 0; k < counts.length; k++) {
      var bar = document.getElementById('bucket-' + k);
      var label = document.getElementById('bucket-count-' + k);
      if (bar) { bar.max = Math.max(1, max); bar.value = counts[k]; }
      text(label, String(counts[k]));
    }
  }
  function poll() {
    fetch('/ui/live/stats', { headers: { accept: 'application/json' }, credentials: 'same-origin' })
      .then(function (response) {
        if (!response.ok) throw new Error('HTTP ' + response.status);
        return response.json();
      })
      .then(function (reading) {
        readings.push(reading);
        while (readings.length > 61) readings.shift();
        render();
        text(status, 'updated ' + new Date(reading.at).toLocaleTimeString());
      })
      .catch(function (error) { text(status, 'not updated: ' + error.message); })
      .finally(function () { setTimeout(poll, 1000); });
  }
  poll();
})();
`;

export const ASSETS: Record<string, { type: string; body: string }> = {
  'dashboard.css': { type: 'text/css; charset=utf-8', body: STYLESHEET },
  'live.js': { type: 'text/javascript; charset=utf-8', body: LIVE_SCRIPT },
  // Served so that browsers asking for an icon get one rather than a 404 in the console.
  'icon.svg': { type: 'image/svg+xml', body: '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 16 16"><circle cx="8" cy="8" r="7" fill="#0b5cad"/><path d="M8 4v4l3 2" stroke="#fff" stroke-width="1.6" fill="none"/></svg>' },
};
