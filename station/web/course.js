/*
 * course.js - a patient's course (GET /api/patients, /api/course?patient=KEY,
 * station/course.h): the outcome badges, baseline -> latest, PHQ-9 and GAD-7
 * per infusion as inline SVG charts over the severity bands (a gap where an
 * infusion had no questionnaire), and one row an infusion with item 9 flagged.
 * No framework, nothing from the network but the station.
 */
'use strict';

(function () {
  var BANDS = {
    phq9: { max: 27, bands: [[0, 4, 'minimal'], [5, 9, 'mild'], [10, 14, 'moderate'],
                             [15, 19, 'moderately severe'], [20, 27, 'severe']] },
    gad7: { max: 21, bands: [[0, 4, 'minimal'], [5, 9, 'mild'], [10, 14, 'moderate'],
                             [15, 21, 'severe']] }
  };
  var ITEM9 = ['Not at all', 'Several days', 'More than half the days', 'Nearly every day'];

  function $(id) { return document.getElementById(id); }

  var s = window.havenSvg;   /* svg.js */

  function h(tag, attrs, text) {
    var el = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { el.setAttribute(k, String(attrs[k])); });
    if (text !== undefined) el.textContent = text;
    return el;
  }

  function band(kind, v) {
    var b = BANDS[kind].bands.filter(function (x) { return v >= x[0] && v <= x[1]; })[0];
    return b ? b[2] : '';
  }

  function score(kind, v) { return v === null || v === undefined ? '—' : v + ' (' + band(kind, v) + ')'; }

  function day(iso) { return iso ? iso.slice(0, 10) : '—'; }

  function status(text) {
    $('course-status').textContent = text;
    $('course-status').hidden = !text;
  }

  /* One chart: bands as stripes, a point per infusion, the line broken where one is missing. */
  function chart(kind, c) {
    var cfg = BANDS[kind], n = Math.max(c.infusions.length, 1);
    var W = 660, H = 250, L = 44, R = 170, T = 10, B = 34, pw = W - L - R, ph = H - T - B;
    var svg = s('svg', { viewBox: '0 0 ' + W + ' ' + H, role: 'img', 'class': 'course-chart',
                         'aria-label': kind === 'phq9' ? 'PHQ-9 chart' : 'GAD-7 chart' });
    function x(i) { return L + (n === 1 ? pw / 2 : i * pw / (n - 1)); }
    function y(v) { return T + ph - v * ph / cfg.max; }
    cfg.bands.forEach(function (b, i) {
      var top = y(b[1] + (i === cfg.bands.length - 1 ? 0 : 0.5)), bot = y(Math.max(b[0] - 0.5, 0));
      svg.appendChild(s('rect', { x: L, y: top, width: pw, height: bot - top, 'class': 'band band-' + i }));
      svg.appendChild(s('text', { x: L + pw + 8, y: (top + bot) / 2 + 4, 'class': 'band-label' },
                        b[0] + '–' + b[1] + ' ' + b[2]));
    });
    [0, cfg.max].forEach(function (v) {
      svg.appendChild(s('text', { x: L - 6, y: y(v) + 4, 'text-anchor': 'end', 'class': 'axis' }, v));
    });
    var path = '', pen = false;
    c.infusions.forEach(function (f, i) {
      svg.appendChild(s('text', { x: x(i), y: H - 12, 'text-anchor': 'middle', 'class': 'axis' }, '#' + f.n));
      var v = f[kind];
      if (v === null || v === undefined) { pen = false; return; }
      path += (pen ? ' L' : ' M') + x(i).toFixed(1) + ' ' + y(v).toFixed(1);
      pen = true;
    });
    if (path) svg.appendChild(s('path', { d: path.trim(), 'class': 'trend' }));
    c.infusions.forEach(function (f, i) {
      var v = f[kind];
      if (v === null || v === undefined) {
        svg.appendChild(s('text', { x: x(i), y: T + ph - 6, 'text-anchor': 'middle', 'class': 'gap',
                                    'data-gap': f.n }, 'none'));
        return;
      }
      var pt = s('circle', { cx: x(i), cy: y(v), r: 7, 'class': 'point point-' + kind, 'data-n': f.n,
                             'data-v': v });
      pt.appendChild(s('title', {}, '#' + f.n + ': ' + v + ' (' + band(kind, v) + ')'));
      svg.appendChild(pt);
      svg.appendChild(s('text', { x: x(i), y: y(v) - 12, 'text-anchor': 'middle', 'class': 'point-label' }, v));
    });
    var box = $('chart-' + kind);
    box.textContent = '';
    box.appendChild(svg);
  }

  function badges(c) {
    var list = [
      [c.response, '\u2713 Response', '\u2717 No response', 'PHQ-9 down at least 50 % from baseline'],
      [c.remission, '\u2713 Remission', '\u2717 No remission', 'latest PHQ-9 below 5'],
      [c.dropped_out, '\u26A0 Dropped out', '\u2713 In course', 'no visit in ' + c.dropout_days + ' days']
    ];
    var ul = $('badges');
    ul.textContent = '';
    list.forEach(function (b, i) {
      var li = h('li', { 'class': 'badge', 'data-on': b[0] ? '1' : '0', 'data-kind': ['response', 'remission', 'dropout'][i],
                         title: b[3] }, b[0] ? b[1] : b[2]);
      ul.appendChild(li);
    });
  }

  function change(m) {
    if (m.baseline === null) return 'no score yet';
    var t = m.baseline + ' (' + m.baseline_band + ') \u2192 ' + m.latest + ' (' + m.latest_band + ')';
    if (m.change_pct !== undefined && m.change_pct !== null)
      t += ', ' + (m.change_pct > 0 ? '+' : m.change_pct < 0 ? '\u2212' : '') + Math.abs(m.change_pct) + ' %';
    return t;
  }

  function summary(c) {
    var dl = $('summary');
    dl.textContent = '';
    [['PHQ-9 baseline \u2192 latest', change(c.phq9)], ['GAD-7 baseline \u2192 latest', change(c.gad7)],
     ['Infusions', c.infusions.length + (c.truncated ? ' (the first 64 shown)' : '')],
     ['Item 9 endorsed', c.item9_endorsements ? c.item9_endorsements + ' infusion(s) \u2691' : 'never'],
     ['Without questionnaire', String(c.without_questionnaire)],
     ['Last visit', day(c.last_visit)]].forEach(function (p) {
      var div = h('div');
      div.appendChild(h('dt', {}, p[0]));
      div.appendChild(h('dd', {}, p[1]));
      dl.appendChild(div);
    });
  }

  function rows(c) {
    var tb = $('course-rows');
    tb.textContent = '';
    c.infusions.forEach(function (f) {
      var tr = h('tr', { 'data-n': f.n });
      var item9 = f.item9 === null ? '—' : ITEM9[f.item9] || String(f.item9);
      tr.appendChild(h('td', {}, '#' + f.n));
      tr.appendChild(h('td', {}, day(f.date)));
      tr.appendChild(h('td', {}, score('phq9', f.phq9)));
      tr.appendChild(h('td', {}, score('gad7', f.gad7)));
      var td = h('td', { 'class': 'item9' });
      if (f.item9_endorsed) {
        td.setAttribute('data-endorsed', '1');
        td.appendChild(h('strong', { 'class': 'flag' }, '\u2691 Endorsed'));
        td.appendChild(document.createTextNode(' ' + item9 + ' \u00B7 ' +
                                               (f.acknowledged_by ? 'acknowledged by ' + f.acknowledged_by
                                                                  : 'who acknowledged it: not in the record')));
      } else {
        td.textContent = item9;
      }
      tr.appendChild(td);
      var q = h('td', {}, f.questionnaire ? f.responses + ' response(s)' : 'None');
      if (!f.questionnaire) q.setAttribute('data-none', '1');
      tr.appendChild(q);
      tb.appendChild(tr);
    });
  }

  function show(c) {
    $('course-title').textContent = 'Patient ' + c.patient;
    $('course-sub').textContent = c.infusions.length + ' infusion(s), ' + day(c.infusions[0] && c.infusions[0].date) +
      ' to ' + day(c.last_visit);
    $('dropout-days').textContent = c.dropout_days;
    badges(c);
    summary(c);
    chart('phq9', c);
    chart('gad7', c);
    rows(c);
    $('course').hidden = false;
    document.body.setAttribute('data-loaded', c.patient);
    status('');
  }

  function get(url, ok) {
    var x = new XMLHttpRequest();
    x.open('GET', url);
    x.onload = function () {
      if (x.status === 401) { location.href = '/login'; return; }
      if (x.status !== 200) { status('Cannot load ' + url + ': ' + x.status); return; }
      ok(JSON.parse(x.responseText));
    };
    x.onerror = function () { status('The station does not answer.'); };
    x.send();
  }

  function load(key) {
    $('csv').href = '/api/course.csv?patient=' + encodeURIComponent(key);
    history.replaceState(null, '', '/course?patient=' + encodeURIComponent(key));
    status('Loading ' + key + '…');
    get('/api/course?patient=' + encodeURIComponent(key), show);
  }

  /* The charge nurse's EHR tokens: POST /api/fhir-token (shown once), /api/fhir-token/revoke. */
  function post(url, body, ok) {
    get('/api/me', function (me) {
      var x = new XMLHttpRequest();
      x.open('POST', url);
      x.setRequestHeader('Content-Type', 'application/x-www-form-urlencoded');
      x.setRequestHeader('X-CSRF-Token', me.csrf);
      x.onload = function () {
        var j = {};
        try { j = JSON.parse(x.responseText); } catch (e) { j = {}; }
        ok(x.status, j);
      };
      x.send(body);
    });
  }

  function revoke(label) {
    post('/api/fhir-token/revoke', 'label=' + encodeURIComponent(label), function (st, j) {
      $('fhir-msg').textContent = st === 200 ? 'Revoked ' + label : 'Not revoked: ' + (j.error || st);
      if (st === 200 && $('fhir-label').textContent === label) {
        $('fhir-token').textContent = '';
        $('fhir-token-box').hidden = true;
      }
      tokens();
    });
  }

  function tokens() {
    get('/api/fhir-tokens', function (j) {
      var ul = $('fhir-tokens');
      ul.textContent = '';
      j.tokens.forEach(function (t) {
        var li = h('li', { 'data-label': t.label, 'data-state': t.state },
                   t.label + ' \u00B7 issued by ' + t.issued_by + ' ' + day(t.issued) + ' \u00B7 ' +
                   (t.state === 'live' ? 'until ' + day(t.expires) : t.state) + ' ');
        if (t.state === 'live') {
          var b = h('button', { type: 'button', 'data-revoke': t.label }, 'Revoke');
          b.addEventListener('click', function () { revoke(t.label); });
          li.appendChild(b);
        }
        ul.appendChild(li);
      });
    });
  }

  function fhirAccess() {
    get('/api/me', function (me) {
      if (me.role !== 'charge') return;
      $('fhir-access').hidden = false;
      $('fhir-issue').addEventListener('click', function () {
        post('/api/fhir-token', '', function (st, j) {
          if (st !== 200) { $('fhir-msg').textContent = 'Not issued: ' + (j.error || st); return; }
          $('fhir-token').textContent = j.token;
          $('fhir-label').textContent = j.label;
          $('fhir-expires').textContent = day(j.expires);
          $('fhir-token-box').hidden = false;
          tokens();
        });
      });
      $('fhir-revoke-form').addEventListener('submit', function (ev) {
        ev.preventDefault();
        revoke($('fhir-revoke-label').value.trim());
      });
      tokens();
    });
  }

  function start() {
    fhirAccess();
    var want = new URLSearchParams(location.search).get('patient');
    $('print').addEventListener('click', function () { window.print(); });
    $('patient').addEventListener('change', function () { load($('patient').value); });
    get('/api/patients', function (j) {
      var sel = $('patient');
      if (!j.patients.length) { status('No patient has a course yet.'); return; }
      j.patients.forEach(function (p) {
        sel.appendChild(h('option', { value: p.key }, p.key + ' \u00B7 ' + p.visits + ' visit(s), last ' +
                                      day(p.last_visit) + (p.dropped_out ? ' \u00B7 dropped out' : '')));
      });
      if (want && !j.patients.some(function (p) { return p.key === want; }))
        sel.insertBefore(h('option', { value: want }, want), sel.firstChild);
      sel.value = want || j.patients[0].key;
      load(sel.value);
    });
  }

  document.addEventListener('DOMContentLoaded', start);
})();
