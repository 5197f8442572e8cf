/*
 * report.js - the charge nurse's response-time report: GET /api/report?days=N
 * (the controller's reply, station/report.h) as a table and an SVG chart of
 * the time to acknowledge, and a link to the same rows as CSV.
 */
'use strict';

(function () {
  var PCOL = { urgent: '#e0243a', assist: '#f5c242', routine: '#4a90f0' };
  var PRANK = { urgent: 0, assist: 1, routine: 2 };
  var SHAPE = { urgent: '\u25B2', assist: '\u25C6', routine: '\u25CF' };
  var TARGET = { urgent: 60, assist: 180, routine: 600 };

  function $(id) { return document.getElementById(id); }

  var s = window.havenSvg;   /* svg.js */

  function num(v, d) {
    if (v === null || v === undefined || isNaN(v)) return '—';
    return Number(v).toFixed(d === undefined ? 1 : d);
  }

  function table(rows) {
    var tb = $('report-rows');
    tb.textContent = '';
    rows.forEach(function (r) {
      var tr = document.createElement('tr');
      var cells = [r.room, (SHAPE[r.priority] || '') + ' ' + r.priority, r.shift, r.calls, r.acknowledged,
                   r.cleared, num(r.ack_p50_s), num(r.ack_p90_s), num(r.ack_max_s), num(r.clear_p50_s),
                   num(r.clear_p90_s), num(r.clear_max_s),
                   r.within_target_pct === null || r.within_target_pct === undefined ? '—'
                     : num(r.within_target_pct, 0) + ' %'];
      cells.forEach(function (c, i) {
        var td = document.createElement('td');
        td.textContent = String(c);
        if (i === 12 && r.within_target_pct !== null && r.within_target_pct < 90) td.setAttribute('data-miss', '1');
        tr.appendChild(td);
      });
      tb.appendChild(tr);
    });
  }

  /* Bars: one group per room x priority (both shifts together, the worse
   * p90 shown), the p50 solid and the p90 as an outline, and the target as a line. */
  function chart(rows) {
    var groups = {};
    rows.forEach(function (r) {
      var k = r.room + '|' + r.priority;
      var g = groups[k] || (groups[k] = { room: r.room, priority: r.priority, p50: null, p90: null });
      if (r.ack_p50_s !== null && r.ack_p50_s !== undefined) g.p50 = Math.max(g.p50 || 0, r.ack_p50_s);
      if (r.ack_p90_s !== null && r.ack_p90_s !== undefined) g.p90 = Math.max(g.p90 || 0, r.ack_p90_s);
    });
    var list = Object.keys(groups).map(function (k) { return groups[k]; });
    list.sort(function (a, b) {
      return a.room < b.room ? -1 : a.room > b.room ? 1 : PRANK[a.priority] - PRANK[b.priority];
    });
    var box = $('chart');
    box.textContent = '';
    if (!list.length) return false;
    var max = 1;
    list.forEach(function (g) { max = Math.max(max, g.p90 || 0, g.p50 || 0, TARGET[g.priority] || 0); });
    var W = Math.max(600, list.length * 56 + 80), H = 300, L = 60, B = 60, T = 16;
    var y = function (v) { return T + (H - T - B) * (1 - v / max); };
    var svg = s('svg', { viewBox: '0 0 ' + W + ' ' + H, role: 'img',
                         'aria-label': 'Time to acknowledge by chair and priority' });
    for (var i = 0; i <= 4; i++) {
      var v = max * i / 4;
      svg.appendChild(s('line', { x1: L, x2: W - 10, y1: y(v), y2: y(v), stroke: '#3b4757' }));
      svg.appendChild(s('text', { x: L - 8, y: y(v) + 4, 'text-anchor': 'end' }, Math.round(v) + ' s'));
    }
    list.forEach(function (g, j) {
      var x = L + 16 + j * 56, col = PCOL[g.priority] || '#888';
      if (g.p90 !== null)
        svg.appendChild(s('rect', { x: x, y: y(g.p90), width: 36, height: y(0) - y(g.p90), fill: 'none',
                                    stroke: col, 'stroke-width': 2, 'data-kind': 'p90' }));
      if (g.p50 !== null)
        svg.appendChild(s('rect', { x: x + 6, y: y(g.p50), width: 24, height: y(0) - y(g.p50), fill: col,
                                    'data-kind': 'p50' }));
      var tg = TARGET[g.priority];
      if (tg) svg.appendChild(s('line', { x1: x - 4, x2: x + 40, y1: y(tg), y2: y(tg), stroke: '#ffffff',
                                          'stroke-width': 2, 'stroke-dasharray': '4 3' }));
      svg.appendChild(s('text', { x: x + 18, y: H - B + 18, 'text-anchor': 'middle' }, SHAPE[g.priority] || ''));
      svg.appendChild(s('text', { x: x + 18, y: H - B + 36, 'text-anchor': 'middle' }, g.room));
    });
    box.appendChild(svg);
    return true;
  }

  function load() {
    var days = $('days').value;
    $('csv').setAttribute('href', '/report.csv?days=' + encodeURIComponent(days));
    $('report-status').textContent = 'Asking the controller…';
    fetch('/api/report?days=' + encodeURIComponent(days), { credentials: 'same-origin', cache: 'no-store' })
      .then(function (r) {
        if (r.status === 401) { location.href = '/login'; throw new Error('signed out'); }
        if (r.status === 403) throw new Error('Reports are for the charge nurse.');
        if (r.status === 504) throw new Error('The controller did not answer. Try again in a moment.');
        if (r.status === 503) throw new Error('The station is not connected to the controller.');
        if (!r.ok) throw new Error('HTTP ' + r.status);
        return r.json();
      })
      .then(function (j) {
        var rows = (j.rows || []).slice();
        rows.sort(function (a, b) {
          return a.room < b.room ? -1 : a.room > b.room ? 1
               : PRANK[a.priority] - PRANK[b.priority] || (a.shift < b.shift ? -1 : 1);
        });
        table(rows);
        $('report-table').hidden = rows.length === 0;
        $('chart-box').hidden = !chart(rows);
        $('report-status').textContent = rows.length
          ? rows.length + ' rows from ' + (j.controller || 'the controller') + ', ' + (j.since || '') +
            ' to ' + (j.until || '') + '.'
          : 'No calls in this period.';
        document.body.setAttribute('data-loaded', '1');
      })
      .catch(function (e) {
        if (e.message === 'signed out') return;
        $('report-status').textContent = e.message;
        document.body.setAttribute('data-loaded', 'error');
      });
  }

  document.addEventListener('DOMContentLoaded', function () {
    $('days').addEventListener('change', load);
    load();
  });
})();
