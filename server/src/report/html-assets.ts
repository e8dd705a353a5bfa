/**
 * The inline style and script of the HTML report. The script reads the report data from a
 * `<script type="application/json">` block and builds every element with `textContent`, never with markup, so
 * that file names and source text from the linted tree can only ever render as text.
 */

export const HTML_STYLE = `
:root { --error: #b71c1c; --warning: #e65100; --note: #0d47a1; --muted: #5f6368; --line: #dadce0; }
* { box-sizing: border-box; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 0; color: #202124; background: #fff; }
header { padding: 16px 24px; border-bottom: 1px solid var(--line); background: #f8f9fa; }
header h1 { margin: 0 0 4px; font-size: 20px; }
header .meta { color: var(--muted); font-size: 12px; word-break: break-all; }
main { padding: 16px 24px; max-width: 1400px; }
h2 { font-size: 16px; margin: 24px 0 8px; }
.cards { display: flex; flex-wrap: wrap; gap: 8px; }
.card { border: 1px solid var(--line); border-radius: 6px; padding: 8px 12px; min-width: 110px; }
.card .n { font-size: 22px; font-weight: 600; display: block; }
.card .l { color: var(--muted); font-size: 12px; }
.card.error .n { color: var(--error); } .card.warning .n { color: var(--warning); } .card.note .n { color: var(--note); }
.split { display: flex; flex-wrap: wrap; gap: 24px; align-items: flex-start; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: 4px 8px; border-bottom: 1px solid var(--line); vertical-align: top; }
th { background: #f1f3f4; font-weight: 600; white-space: nowrap; }
th.sortable { cursor: pointer; user-select: none; }
th.sortable[aria-sort="ascending"]::after { content: " \\25B2"; }
th.sortable[aria-sort="descending"]::after { content: " \\25BC"; }
table.small { width: auto; min-width: 280px; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
.sev { font-weight: 600; text-transform: uppercase; font-size: 11px; }
.sev.error { color: var(--error); } .sev.warning { color: var(--warning); } .sev.note { color: var(--note); }
.status { font-size: 11px; color: var(--muted); }
.filters { display: flex; flex-wrap: wrap; gap: 12px; align-items: center; margin: 8px 0; }
.filters label { font-size: 12px; color: var(--muted); }
.file { font-family: ui-monospace, "Cascadia Mono", Consolas, monospace; font-size: 12px; word-break: break-all; }
tr.finding { cursor: pointer; }
tr.finding:hover { background: #f8f9fa; }
tr.details > td { background: #fbfbfb; padding: 8px 16px 16px; }
pre.code { margin: 4px 0; padding: 6px 0; background: #f6f8fa; border: 1px solid var(--line); border-radius: 4px; overflow-x: auto; font: 12px/1.5 ui-monospace, Consolas, monospace; }
pre.code span.ln { display: inline-block; width: 5em; padding-right: 8px; text-align: right; color: var(--muted); user-select: none; }
pre.code div.marked { background: #fff3cd; }
ol.path, ul.path { margin: 4px 0; padding-left: 20px; }
.doc { white-space: pre-wrap; margin: 4px 0 8px; }
.doc-title { font-weight: 600; margin-top: 8px; }
.empty { color: var(--muted); font-style: italic; }
footer { padding: 16px 24px; color: var(--muted); font-size: 12px; }
`;

export const HTML_SCRIPT = `
(function () {
  'use strict';
  var data = JSON.parse(document.getElementById('kslint-data').textContent);
  var RANK = { error: 2, warning: 1, note: 0 };
  var PAGE = 500;
  var state = { severity: '', rule: '', status: 'active', text: '', sortKey: 'severity', sortDir: -1, open: {}, limit: PAGE };

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  }
  function option(select, value, label) {
    var o = el('option', null, label);
    o.value = value;
    select.appendChild(o);
  }

  var ruleSel = document.getElementById('filter-rule');
  Object.keys(data.rules).sort().forEach(function (id) { option(ruleSel, id, id + ' ' + data.rules[id].name); });

  function matches(f) {
    if (state.severity && f.severity !== state.severity) return false;
    if (state.rule && f.ruleId !== state.rule) return false;
    if (state.status && f.status !== state.status) return false;
    if (state.text) {
      var hay = (f.file + ' ' + f.message + ' ' + f.ruleId + ' ' + (f.functionName || '')).toLowerCase();
      if (hay.indexOf(state.text) < 0) return false;
    }
    return true;
  }
  function compare(a, b) {
    var k = state.sortKey, r = 0;
    if (k === 'severity') r = RANK[a.severity] - RANK[b.severity];
    else if (k === 'line') r = a.line - b.line;
    else r = String(a[k]).localeCompare(String(b[k]));
    if (r === 0 && k !== 'file') r = -state.sortDir * a.file.localeCompare(b.file);
    if (r === 0) r = -state.sortDir * (a.line - b.line);
    return state.sortDir * r;
  }

  function details(f) {
    var td = el('td');
    td.colSpan = 5;
    if (f.functionName) td.appendChild(el('div', 'status', 'In function ' + f.functionName));
    if (f.justification) td.appendChild(el('div', null, (f.status === 'suppressed' ? 'Suppressed: ' : 'Baselined: ') + f.justification));
    if (f.excerpt.length) {
      var pre = el('pre', 'code');
      f.excerpt.forEach(function (l) {
        var row = el('div', l.marked ? 'marked' : null);
        row.appendChild(el('span', 'ln', l.line));
        row.appendChild(document.createTextNode(l.text));
        pre.appendChild(row);
      });
      td.appendChild(pre);
    }
    if (f.path.length) {
      td.appendChild(el('div', 'doc-title', 'Path from source to sink'));
      var ol = el('ol', 'path');
      f.path.forEach(function (s) { ol.appendChild(el('li', null, s.file + ':' + s.line + ':' + s.column + ' ' + s.label)); });
      td.appendChild(ol);
    }
    if (f.related) {
      td.appendChild(el('div', 'doc-title', 'Other places of the same mistake'));
      var ul = el('ul', 'path');
      f.related.forEach(function (s) { ul.appendChild(el('li', null, s.file + ':' + s.line + ':' + s.column + ' ' + s.label)); });
      td.appendChild(ul);
    }
    var rule = data.rules[f.ruleId];
    if (rule) {
      [['Why it matters', rule.why], ['Safer in-kernel fix', rule.saferFix], ['User-mode alternative', rule.userModeAlternative]].forEach(function (p) {
        if (!p[1]) return;
        td.appendChild(el('div', 'doc-title', p[0]));
        td.appendChild(el('div', 'doc', p[1]));
      });
    }
    var tr = el('tr', 'details');
    tr.appendChild(td);
    return tr;
  }

  function render() {
    var body = document.getElementById('findings-body');
    while (body.firstChild) body.removeChild(body.firstChild);
    var shown = data.findings.filter(matches).sort(compare);
    // Large runs: build rows a page at a time so that filtering stays quick.
    shown.slice(0, state.limit).forEach(function (f) {
      var tr = el('tr', 'finding');
      tr.setAttribute('data-index', String(f.index));
      tr.setAttribute('tabindex', '0');
      tr.appendChild(el('td', 'sev ' + f.severity, f.severity));
      tr.appendChild(el('td', null, f.ruleId));
      var loc = el('td', 'file', f.file + ':' + f.line + ':' + f.column);
      tr.appendChild(loc);
      var msg = el('td', null, f.message);
      if (f.status !== 'active') msg.appendChild(el('div', 'status', f.status + (f.baselineState ? ' (baseline: ' + f.baselineState + ')' : '')));
      else if (f.baselineState === 'new') msg.appendChild(el('div', 'status', 'new since the baseline'));
      tr.appendChild(msg);
      tr.appendChild(el('td', 'status', f.failing ? 'fails the run' : ''));
      function toggle() { state.open[f.index] = !state.open[f.index]; render(); }
      tr.addEventListener('click', toggle);
      tr.addEventListener('keydown', function (ev) { if (ev.key === 'Enter') toggle(); });
      body.appendChild(tr);
      if (state.open[f.index]) body.appendChild(details(f));
    });
    if (shown.length > state.limit) {
      var more = el('tr', 'more');
      var td = el('td');
      td.colSpan = 5;
      var button = el('button', null, 'Show ' + Math.min(PAGE, shown.length - state.limit) + ' more of ' + (shown.length - state.limit) + ' not yet listed');
      button.id = 'show-more';
      button.addEventListener('click', function () { state.limit += PAGE; render(); });
      td.appendChild(button);
      more.appendChild(td);
      body.appendChild(more);
    }
    document.getElementById('shown-count').textContent = shown.length + ' of ' + data.findings.length + ' findings match';
    var empty = document.getElementById('findings-empty');
    empty.hidden = shown.length !== 0;
    Array.prototype.forEach.call(document.querySelectorAll('th.sortable'), function (th) {
      th.setAttribute('aria-sort', th.getAttribute('data-key') === state.sortKey ? (state.sortDir > 0 ? 'ascending' : 'descending') : 'none');
    });
  }

  document.getElementById('filter-severity').addEventListener('change', function (e) { state.severity = e.target.value; state.limit = PAGE; render(); });
  ruleSel.addEventListener('change', function (e) { state.rule = e.target.value; state.limit = PAGE; render(); });
  document.getElementById('filter-status').addEventListener('change', function (e) { state.status = e.target.value; state.limit = PAGE; render(); });
  document.getElementById('filter-text').addEventListener('input', function (e) { state.text = e.target.value.toLowerCase(); state.limit = PAGE; render(); });
  Array.prototype.forEach.call(document.querySelectorAll('th.sortable'), function (th) {
    th.addEventListener('click', function () {
      var key = th.getAttribute('data-key');
      if (state.sortKey === key) state.sortDir = -state.sortDir;
      else { state.sortKey = key; state.sortDir = key === 'severity' ? -1 : 1; }
      render();
    });
  });
  render();
})();
`;
