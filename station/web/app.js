/*
 * app.js - Haven's nurse-station board and phone view (and the login page's
 * few lines).  Plain JS, no framework, nothing from outside the station: the
 * page is served under "default-src 'self'", so nothing here is inline.
 *
 * The picture comes from GET /events (Server-Sent Events): a snapshot, then
 * one "room" event per changed tile and "station" events for the station's
 * own links, and an "hb" heartbeat every second.  No heartbeat for 3 s, or a
 * station event saying broker:false, and the board says it cannot see the
 * chairs (body[data-link=lost]) and sounds a trouble tone.  EventSource
 * resumes after a reconnect with Last-Event-ID, so no event is lost.
 *
 * Actions are POSTs to /api/action with the session's CSRF token.  The board
 * never changes a tile by itself: it waits for the event that the controller's
 * answer causes, so what it shows is what the chairs see.
 */
'use strict';

(function () {
  var PRIO = {
    urgent:  { rank: 0, word: 'Urgent',  shape: '\u25B2' },   /* ▲ */
    assist:  { rank: 1, word: 'Assist',  shape: '\u25C6' },   /* ◆ */
    routine: { rank: 2, word: 'Routine', shape: '\u25CF' }    /* ● */
  };
  var REASONS = {
    help: 'Asked for help', unwell: 'Feeling unwell', safety: 'Safety',
    ready: 'Ready for discharge review', kiosk_offline: 'Chair screen offline',
    no_board: 'No board has sound on'
  };
  var PHASES = ['idle', 'intake', 'infusion', 'recovery', 'discharge'];
  var PHASE_WORD = { idle: 'Idle', intake: 'Intake', infusion: 'Infusion',
                     recovery: 'Recovery', discharge: 'Discharge' };
  /* The clinic's light scenes and each priority's chain of groups: from the snapshot
   * (haven.cfg scenes { } and priorities { }), never a list of our own. */
  var SCENES = [];
  var CHAINS = {};

  /* The phone view shows "my group's calls" (docs/station.md "Groups"): urgent always; every
   * call for a charge nurse or an account with no group; else a call once its escalation has
   * paged the account's group (step min(escalation, last) of the priority's chain, or earlier). */
  function mine(c) {
    if (!c || c.priority === 'urgent' || !me || me.role === 'charge' || !me.group) return true;
    var chain = CHAINS[c.priority];
    if (!chain || !chain.length) return true;
    var last = Math.min(c.escalation || 0, chain.length - 1);
    for (var i = 0; i <= last; i++) if (chain[i] === me.group) return true;
    return false;
  }
  var HB_LOST_MS = 3000, HB_CHECK_MS = 500, MUTE_MS = 30000, TOUCH_EVERY_MS = 30000;

  /* ---------------------------------------------------------------- helpers */

  function $(id) { return document.getElementById(id); }

  /* h('div', {class: 'x', 'data-room': r}, child, 'text', ...) */
  function h(tag, attrs) {
    var el = document.createElement(tag);
    if (attrs) {
      Object.keys(attrs).forEach(function (k) {
        var v = attrs[k];
        if (v === null || v === undefined || v === false) return;
        if (k === 'text') el.textContent = v;
        else if (k === 'on') Object.keys(v).forEach(function (ev) { el.addEventListener(ev, v[ev]); });
        else el.setAttribute(k, v === true ? '' : String(v));
      });
    }
    for (var i = 2; i < arguments.length; i++) {
      var c = arguments[i];
      if (c === null || c === undefined || c === false) continue;
      el.appendChild(typeof c === 'string' ? document.createTextNode(c) : c);
    }
    return el;
  }

  /* Attribute and text writes that touch the DOM only when the value changes: a board
   * of 1,000 tiles must not invalidate style and layout for what did not change. */
  function setAttr(el, k, v) {
    if (el.getAttribute(k) !== v) el.setAttribute(k, v);
  }

  function setText(el, v) {
    if (el.textContent !== v) el.textContent = v;
  }

  function pad2(n) { return (n < 10 ? '0' : '') + n; }

  /* 75 s -> "1:15", 3725 s -> "1:02:05" */
  function mmss(s) {
    s = Math.max(0, Math.floor(s));
    var hh = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), ss = s % 60;
    return hh > 0 ? hh + ':' + pad2(m) + ':' + pad2(ss) : m + ':' + pad2(ss);
  }

  /* ---------------------------------------------------------------- login page */

  function loginPage() {
    var narrow = window.matchMedia('(max-width: 699px)').matches;
    $('view').value = narrow ? 'phone' : 'board';
    document.body.setAttribute('data-view', narrow ? 'phone' : 'board');
    var q = new URLSearchParams(location.search);
    var err = $('login-error'), submit = $('login-submit');
    if (q.get('e') === '1') {
      err.textContent = 'Wrong name or password';
      err.hidden = false;
    } else if (q.get('e') === 'wait') {
      var left = parseInt(q.get('s'), 10);
      if (!(left > 0)) left = 1;
      if (left > 3600) left = 3600;
      var until = Date.now() + left * 1000;
      var show = function () {
        var s = Math.ceil((until - Date.now()) / 1000);
        if (s > 0) {
          err.textContent = 'Too many tries. Wait ' + s + (s === 1 ? ' second.' : ' seconds.');
          submit.disabled = true;
          setTimeout(show, 250);
        } else {
          err.textContent = 'Too many tries. You may try again now.';
          submit.disabled = false;
        }
      };
      err.hidden = false;
      show();
    }
  }

  /* ---------------------------------------------------------------- board state */

  var me = null;              /* {user, role, view, csrf} */
  var rooms = {};             /* id -> tile JSON */
  var order = [];             /* room ids in the config's order */
  var station = null;         /* the last station event */
  var offset = 0;             /* station clock - our clock, ms */
  var streamId = null;        /* this page's event stream, for the sound report */
  var lastId = null;          /* the last event id seen */
  var lastHb = 0;             /* performance.now() of the last event of any kind */
  var es = null;
  var streamFresh = false;    /* this connection has told us its stream id */
  var linkLost = false, linkWhy = null;
  var phoneView = false;
  var seenOpen = {};          /* call id -> true: calls we have vibrated for */
  var tileEls = {};           /* id -> {root, parts..., actionsKey} */

  function serverNow() { return Date.now() + offset; }

  function post(body) {
    if (!me) return Promise.reject(new Error('not signed in'));
    return fetch('/api/action', {
      method: 'POST', credentials: 'same-origin', cache: 'no-store',
      headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': me.csrf },
      body: JSON.stringify(body)
    }).then(function (r) {
      if (r.status === 401) { location.href = '/login'; throw new Error('signed out'); }
      return r.json().catch(function () { return {}; }).then(function (j) {
        if (!r.ok) {
          var msg = j && j.error ? j.error : 'HTTP ' + r.status;
          if (r.status === 503) msg = 'The station is not connected to the chairs: NOT sent. ' +
                                      'Go to the chair.';
          var e = new Error(msg);
          e.status = r.status;
          throw e;
        }
        return j;
      });
    });
  }

  var toastTimer = null;
  function toast(msg, bad) {
    var t = $('toast');
    t.textContent = msg;
    t.className = 'toast' + (bad ? ' toast-bad' : '');
    t.hidden = false;
    clearTimeout(toastTimer);
    toastTimer = setTimeout(function () { t.hidden = true; }, bad ? 8000 : 3000);
  }

  function act(body, btn) {
    if (btn) { btn.disabled = true; btn.setAttribute('data-busy', '1'); }
    return post(body).then(function () {
      if (btn) { btn.removeAttribute('data-busy'); btn.disabled = false; }
    }, function (e) {
      if (btn) { btn.removeAttribute('data-busy'); btn.disabled = false; }
      toast(e.message, true);
    });
  }

  /* ---------------------------------------------------------------- tiles */

  function callWord(c) {
    if (!c) return '';
    if (c.state === 'acknowledged') return (c.by || 'Someone') + ' is on the way';
    return 'Open';
  }

  function reasonWord(c) {
    var r = REASONS[c.reason] || c.reason || '';
    return c.detail ? r + ' — ' + c.detail : r;
  }

  /* Every concern raised on the call (issue 14), when there is more than the one that
   * opened it: the nurse sees each, not only the headline. */
  function concernList(c) {
    var ks = c.concerns || [], more = c.concerns_more || 0;
    if (ks.length < 2 && !more) return null;
    var ul = h('ul', { class: 'concerns', 'aria-label': 'Concerns raised' });
    ks.forEach(function (k) {
      var pr = PRIO[k.priority] || PRIO.assist;
      ul.appendChild(h('li', { 'data-priority': k.priority, text: pr.word + ': ' + reasonWord(k) }));
    });
    if (more) ul.appendChild(h('li', { class: 'more', text: '+' + more + ' more' }));
    return ul;
  }

  function actionsKey(t) {
    var c = t.call;
    return [c ? c.id + '/' + c.state + '/' + c.priority : '-', t.visit || '-', t.phase || '-',
            me ? me.role : '-', SCENES.join(',')].join('|');
  }

  function buildActions(t) {
    var box = h('div', { class: 'actions' });
    var c = t.call;
    if (c) {
      if (c.state === 'open')
        box.appendChild(h('button', { type: 'button', class: 'big act-ack', 'data-action': 'ack',
          text: 'Acknowledge', on: { click: function (ev) {
            act({ action: 'ack', room: t.id, call: c.id }, ev.currentTarget); } } }));
      if (c.priority !== 'urgent')
        box.appendChild(h('button', { type: 'button', class: 'act-clear', 'data-action': 'clear',
          text: 'Clear', on: { click: function (ev) {
            act({ action: 'clear', room: t.id, call: c.id }, ev.currentTarget); } } }));
      else
        box.appendChild(h('span', { class: 'note', text: 'Urgent: clear at the chair' }));
    }
    var visit = h('div', { class: 'visit' });
    if (!t.visit) {
      var vin = h('input', { type: 'text', 'data-field': 'visit', placeholder: 'Visit V-…',
                             maxlength: 32, 'aria-label': 'Visit number' });
      var lang = h('select', { 'data-field': 'lang', 'aria-label': 'Language' },
                   h('option', { value: 'en', text: 'EN' }), h('option', { value: 'es', text: 'ES' }));
      /* The clinic's pseudonymous patient key (issue 14), never a name: the station
       * refuses anything else, with the reason, shown as the toast. */
      var pin = h('input', { type: 'text', 'data-field': 'patient', placeholder: 'Patient key',
                             maxlength: 63, autocomplete: 'off', spellcheck: 'false',
                             'aria-label': 'Patient key (the clinic\'s code, never a name)' });
      visit.appendChild(vin);
      visit.appendChild(pin);
      visit.appendChild(lang);
      visit.appendChild(h('button', { type: 'button', 'data-action': 'begin_visit',
        text: 'Begin visit', on: { click: function (ev) {
          var v = vin.value.trim();
          if (!v) v = 'V-' + Date.now().toString(36).toUpperCase();
          else if (!/^V-/.test(v)) v = 'V-' + v;
          var body = { action: 'begin_visit', room: t.id, visit: v, lang: lang.value };
          if (pin.value !== '') body.patient = pin.value;
          act(body, ev.currentTarget);
        } } }));
    } else {
      var sel = h('select', { 'data-action': 'phase', 'aria-label': 'Phase' });
      PHASES.forEach(function (p) {
        sel.appendChild(h('option', { value: p, text: PHASE_WORD[p], selected: p === t.phase }));
      });
      sel.addEventListener('change', function () {
        act({ action: 'phase', room: t.id, phase: sel.value }, sel);
      });
      visit.appendChild(sel);
      visit.appendChild(h('button', { type: 'button', 'data-action': 'end_visit', text: 'End visit',
        on: { click: function (ev) { act({ action: 'end_visit', room: t.id }, ev.currentTarget); } } }));
    }
    box.appendChild(visit);
    if (me && me.role === 'charge') {
      var light = h('div', { class: 'light' });
      var ls = h('select', { 'data-action': 'light', 'aria-label': 'Light override' },
                 h('option', { value: '', text: 'Light…' }));
      SCENES.forEach(function (s) { ls.appendChild(h('option', { value: s, text: s })); });
      ls.addEventListener('change', function () {
        if (ls.value) act({ action: 'light', room: t.id, scene: ls.value }, ls);
      });
      light.appendChild(ls);
      light.appendChild(h('button', { type: 'button', 'data-action': 'light_release',
        text: 'Release light', on: { click: function (ev) {
          act({ action: 'light_release', room: t.id }, ev.currentTarget); } } }));
      box.appendChild(light);
    }
    return box;
  }

  function tileParts(id) {
    var p = tileEls[id];
    if (p) return p;
    p = {};
    p.root = h('section', { class: 'tile', 'data-room': id, 'data-call': 'none', 'data-priority': '' });
    p.head = h('header', { class: 'tile-head' });
    p.label = h('h3', { class: 'label' });
    p.kiosk = h('span', { class: 'kiosk' });
    p.head.appendChild(p.label);
    p.head.appendChild(p.kiosk);
    p.status = h('div', { class: 'status' });
    p.phase = h('span', { class: 'phase' });
    p.observe = h('span', { class: 'observe' });
    p.scene = h('span', { class: 'scene' });
    p.status.appendChild(p.phase);
    p.status.appendChild(p.observe);
    p.status.appendChild(p.scene);
    p.call = h('div', { class: 'call' });
    p.actions = null;
    p.actionsKey = null;
    p.root.appendChild(p.head);
    p.root.appendChild(p.status);
    p.root.appendChild(p.call);
    tileEls[id] = p;
    return p;
  }

  /* Everything a call block shows, but its timers. */
  function callKey(c) {
    return c ? [c.id, c.state, c.priority, c.reason, c.detail || '', c.by || '', c.raised,
                c.escalation || 0, c.next_tier_at || '', c.next_group || '',
                (c.concerns || []).length, c.concerns_more || 0].join('|') : '';
  }

  function callBlock(c, withAck, roomId) {
    var pr = PRIO[c.priority] || PRIO.assist;
    var box = h('div', { class: 'call-box', 'data-priority': c.priority, 'data-state': c.state });
    box.appendChild(h('div', { class: 'call-prio' },
      h('span', { class: 'shape', 'aria-hidden': 'true', text: pr.shape }),
      h('span', { class: 'pword', text: pr.word })));
    box.appendChild(h('div', { class: 'reason', text: reasonWord(c) }));
    var ks = concernList(c);
    if (ks) box.appendChild(ks);
    box.appendChild(h('div', { class: 'call-line' },
      h('span', { class: 'age', 'data-since': c.raised }),
      h('span', { class: 'state', text: callWord(c) })));
    box.appendChild(h('div', { class: 'tier', 'data-tier-at': c.next_tier_at || '',
                               'data-escalation': c.escalation || 0,
                               'data-next-group': c.next_group || '' }));
    if (withAck && c.state === 'open')
      box.appendChild(h('button', { type: 'button', class: 'big act-ack', 'data-action': 'ack',
        text: 'Acknowledge', on: { click: function (ev) {
          act({ action: 'ack', room: roomId, call: c.id }, ev.currentTarget); } } }));
    return box;
  }

  function renderTile(t) {
    var p = tileParts(t.id);
    var c = t.call;
    setAttr(p.root, 'data-call', c ? (c.state === 'acknowledged' ? 'acknowledged' : 'open') : 'none');
    setAttr(p.root, 'data-priority', c ? c.priority : '');
    setAttr(p.root, 'data-kiosk', t.kiosk || 'unknown');
    setText(p.label, t.label || t.id);
    setText(p.kiosk, t.kiosk === 'online' ? 'Kiosk online' :
                     t.kiosk === 'offline' ? 'Kiosk OFFLINE' : 'Kiosk ?');
    setAttr(p.kiosk, 'data-state', t.kiosk || 'unknown');
    setAttr(p.phase, 'data-since', String(t.phase_since || ''));
    setAttr(p.phase, 'data-phase', t.phase || '');
    setAttr(p.observe, 'data-until', String(t.observe_until || ''));
    setText(p.scene, t.scene ? 'Light: ' + t.scene : '');
    var ck = callKey(c);
    if (ck !== p.callKey) {
      p.call.textContent = '';
      if (c) {
        p.call.appendChild(callBlock(c, false, t.id));
        tickCall(p.call, serverNow());
      }
      p.callKey = ck;
    }
    tickTile(p, serverNow());
    var key = actionsKey(t);
    if (key !== p.actionsKey) {
      var a = buildActions(t);
      if (p.actions) p.root.replaceChild(a, p.actions); else p.root.appendChild(a);
      p.actions = a;
      p.actionsKey = key;
    }
    if (c && c.state === 'open' && !seenOpen[c.id] && (!phoneView || mine(c))) {
      seenOpen[c.id] = true;
      if (phoneView && navigator.vibrate) {
        try { navigator.vibrate(c.priority === 'urgent' ? [300, 100, 300, 100, 300] : [250, 150, 250]); }
        catch (e) { /* not allowed before a touch: fine */ }
      }
    }
  }

  function openCalls() {
    var list = [];
    order.forEach(function (id) { if (rooms[id] && rooms[id].call) list.push(rooms[id]); });
    list.sort(function (a, b) {
      var pa = (PRIO[a.call.priority] || PRIO.assist).rank, pb = (PRIO[b.call.priority] || PRIO.assist).rank;
      if (pa !== pb) return pa - pb;
      return (a.call.raised || 0) - (b.call.raised || 0);
    });
    return list;
  }

  /*
   * One list (the board's call list or the phone's) brought to calls' order: a row
   * whose call did not change is kept (a nurse's finger on its button stays on it),
   * a changed one is rebuilt, a gone one removed, and rows move only when out of place.
   */
  var listRows = { 'call-list': {}, 'phone-calls': {} };   /* list id -> room -> {el, key} */

  function syncList(listId, cls, calls, now) {
    var list = $(listId), rows = listRows[listId], keep = {};
    calls.forEach(function (t, i) {
      var c = t.call, key = callKey(c) + '|' + (t.label || t.id), r = rows[t.id];
      if (!r || r.key !== key) {
        var li = h('li', { class: cls, 'data-room': t.id, 'data-priority': c.priority,
                           'data-call': c.state === 'acknowledged' ? 'acknowledged' : 'open' },
                   h('div', { class: 'call-room', text: t.label || t.id }), callBlock(c, true, t.id));
        tickCall(li, now);
        if (r) list.replaceChild(li, r.el);
        r = rows[t.id] = { el: li, key: key };
      }
      keep[t.id] = true;
      if (list.children[i] !== r.el) list.insertBefore(r.el, list.children[i] || null);
    });
    Object.keys(rows).forEach(function (id) {
      if (!keep[id]) { list.removeChild(rows[id].el); delete rows[id]; }
    });
  }

  function renderLists() {
    var calls = openCalls(), now = serverNow();
    setText($('call-count'), String(calls.length));
    $('call-none').hidden = calls.length > 0;
    syncList('call-list', 'call-item', calls, now);
    fitCallList(calls);
    /* the phone view: the same order, biggest first, my group's calls only */
    var my = calls.filter(function (t) { return mine(t.call); });
    $('phone-none').hidden = my.length > 0;
    syncList('phone-calls', 'phone-call', my, now);
    updateAlarm();
  }

  /*
   * A "room" event changes its tile at once (cheap: one tile's nodes) and marks the
   * lists; the lists (sorted, fitted: that needs layout) follow once per frame however
   * many events came, so a burst of events never queues layouts of the whole board.
   * A hidden page gets no frames: a timer stands in for them.
   */
  var listsDirty = false, frameSet = false, painting = [];
  var paintChan = typeof MessageChannel === 'function' ? new MessageChannel() : null;
  if (paintChan) paintChan.port1.onmessage = function () {     /* the task after a frame */
    var now = performance.timeOrigin + performance.now();
    painting.splice(0).forEach(function (rec) { rec.painted = now; });
  };

  function frame() {
    if (!frameSet) return;
    frameSet = false;
    if (listsDirty) {
      listsDirty = false;
      renderLists();
    }
    if (painting.length) {
      if (paintChan) paintChan.port2.postMessage(0);
      else painting.length = 0;
    }
  }

  function scheduleFrame() {
    if (frameSet) return;
    frameSet = true;
    if (window.requestAnimationFrame && !document.hidden) requestAnimationFrame(frame);
    setTimeout(frame, 250);
  }

  /* If not every call fits in the list, hide the lowest ones: urgent calls always show. */
  function fitCallList(calls) {
    var list = $('call-list'), more = $('call-more');
    var items = list.children;
    for (var i = 0; i < items.length; i++) items[i].hidden = false;
    more.hidden = true;
    if (phoneView || !items.length) return;
    var box = list.parentNode;
    var avail = box.clientHeight - (list.offsetTop - box.offsetTop) - 48;
    var hidden = 0;
    /* One layout to read every row's bottom; then hide from the end, no layout per row. */
    var bottoms = [], top = list.getBoundingClientRect().top;
    for (var k = 0; k < items.length; k++) bottoms.push(items[k].getBoundingClientRect().bottom - top);
    for (var j = items.length - 1; j >= 0 && bottoms[j] > avail; j--) {
      if (calls[j].call.priority === 'urgent') break;
      hidden++;
    }
    for (var q = items.length - hidden; q < items.length; q++) items[q].hidden = true;
    if (hidden) {
      more.textContent = '+ ' + hidden + ' more call' + (hidden > 1 ? 's' : '') + ' — see the chairs';
      more.hidden = false;
    }
  }

  function renderAll() {
    var box = $('tiles');
    var want = {};
    order.forEach(function (id) { want[id] = true; });
    Object.keys(tileEls).forEach(function (id) {
      if (!want[id]) { box.removeChild(tileEls[id].root); delete tileEls[id]; }
    });
    order.forEach(function (id, i) {
      renderTile(rooms[id]);
      var el = tileEls[id].root;             /* in the config's order */
      if (box.children[i] !== el) box.insertBefore(el, box.children[i] || null);
    });
    listsDirty = false;
    renderLists();
    tick();
  }

  /* A call block's timers (within root: a tile's call, a list row): age and escalation. */
  function tickCall(root, now) {
    var els = root.querySelectorAll('.age[data-since]');
    for (var i = 0; i < els.length; i++) {
      var since = +els[i].getAttribute('data-since');
      var s = since ? (now - since) / 1000 : 0;
      var age = s >= 300 ? '3' : s >= 120 ? '2' : s >= 30 ? '1' : '0';
      setText(els[i], mmss(s));
      setAttr(els[i], 'data-age', age);
      var box = els[i].closest('.call-box');
      if (box) setAttr(box, 'data-age', age);
    }
    els = root.querySelectorAll('.tier');
    for (i = 0; i < els.length; i++) {
      var e = els[i], esc = +e.getAttribute('data-escalation'), at = +e.getAttribute('data-tier-at');
      var grp = e.getAttribute('data-next-group');
      var txt = 'Tier ' + esc + (esc > 0 ? ' (escalated)' : '');
      if (at) txt += ' · next page' + (grp ? ' to ' + grp : '') + ' in ' + mmss((at - now) / 1000);
      setText(e, txt);
      setAttr(e, 'data-tier', String(esc));
    }
  }

  /* A tile's own timers: phase minutes and the observation countdown. */
  function tickTile(p, now) {
    var ph = p.phase.getAttribute('data-phase'), ps = +p.phase.getAttribute('data-since');
    setText(p.phase, ph ? (PHASE_WORD[ph] || ph) + (ps ? ' · ' + Math.max(0, Math.floor((now - ps) / 60000)) + ' min' : '')
                        : 'No phase');
    var ou = +p.observe.getAttribute('data-until');
    if (ou) {
      var left = (ou - now) / 1000;
      setText(p.observe, left > 0 ? 'Observation ' + mmss(left) + ' left' : 'Observation over');
      setAttr(p.observe, 'data-over', left > 0 ? '0' : '1');
    } else {
      setText(p.observe, '');
    }
  }

  /* Timers, once a second: every one is written only when its text changes. */
  function tick() {
    var now = serverNow();
    tickCall(document, now);
    order.forEach(function (id) {
      var p = tileEls[id];
      if (p) tickTile(p, now);
    });
    var d = new Date(serverNow());
    setText($('clock'), pad2(d.getHours()) + ':' + pad2(d.getMinutes()));
  }

  /* ---------------------------------------------------------------- link */

  function setStation(s) {
    station = s;
    renderController();
    checkLink();
  }

  /* The header's controller pill and banner.  While the link is lost the last word
   * from the station may be stale: the controller's state is unknown, never "online". */
  function renderController() {
    var ctl = $('ctl-state');
    if (linkLost || !station) {
      ctl.textContent = linkLost ? 'Controller unknown (link lost)' : 'Controller ?';
      ctl.setAttribute('data-state', 'unknown');
    } else if (station.controller === false) {
      ctl.textContent = 'Controller OFFLINE';
      ctl.setAttribute('data-state', 'bad');
    } else {
      ctl.textContent = 'Controller online';
      ctl.setAttribute('data-state', 'ok');
    }
    $('ctl-banner').hidden = linkLost || !station || station.controller !== false;
  }

  function checkLink() {
    var why = '';
    if (station && station.broker === false) why = 'The station has lost the message broker.';
    else if (performance.now() - lastHb > HB_LOST_MS)
      why = 'No word from the station for ' + Math.floor((performance.now() - lastHb) / 1000) + ' s.';
    var lost = why !== '';
    if (lost !== linkLost || why !== linkWhy) {
      linkLost = lost;
      linkWhy = why;
      document.body.setAttribute('data-link', lost ? 'lost' : 'ok');
      $('link-banner').hidden = !lost;
      $('link-detail').textContent = why;
      var ls = $('link-state');
      ls.textContent = lost ? 'LINK LOST' : 'Live';
      ls.setAttribute('data-state', lost ? 'bad' : 'ok');
      renderController();
      updateAlarm();
    }
  }

  function onEvent(ev) {
    lastHb = performance.now();
    if (ev.lastEventId) lastId = ev.lastEventId;
  }

  function connect() {
    var url = '/events' + (lastId ? '?last=' + encodeURIComponent(lastId) : '');
    es = new EventSource(url);
    es.addEventListener('snapshot', function (ev) {
      onEvent(ev);
      var s = JSON.parse(ev.data);
      if (s.now) offset = s.now - Date.now();
      if (s.stream) setStream(s.stream);
      if (s.scenes) SCENES = s.scenes;
      if (s.chains) CHAINS = s.chains;
      rooms = {};
      order = [];
      (s.rooms || []).forEach(function (t) { rooms[t.id] = t; order.push(t.id); });
      if (s.station) setStation(s.station);
      renderAll();
      window.havenSnapshots = (window.havenSnapshots || 0) + 1;
    });
    es.addEventListener('room', function (ev) {
      var t0 = performance.now();             /* when the event arrived: what the bench reads */
      onEvent(ev);
      var t = JSON.parse(ev.data);
      /* t: arrival; js: this handler's own time (ms); painted: the task after the next
       * frame that drew it (set later; 0 until then). */
      var rec = { t: performance.timeOrigin + t0, id: ev.lastEventId, room: t.id,
                  call: t.call ? t.call.id : null, js: null, painted: 0 };
      window.havenLastRoomEvent = rec;
      if (window.havenOnRoom) window.havenOnRoom(rec);
      if (t.stream) setStream(t.stream);
      var before = rooms[t.id];
      if (!before) order.push(t.id);
      rooms[t.id] = t;
      renderTile(t);
      if (!tileEls[t.id].root.parentNode) $('tiles').appendChild(tileEls[t.id].root);
      if (!before || callKey(before.call) !== callKey(t.call) || before.label !== t.label) {
        listsDirty = true;
        if (t.call && t.call.state === 'open') updateAlarm();   /* a new call's sound: now */
      }
      painting.push(rec);
      scheduleFrame();
      rec.js = performance.now() - t0;
    });
    es.addEventListener('station', function (ev) {
      onEvent(ev);
      var s = JSON.parse(ev.data);
      if (s.stream) setStream(s.stream);
      setStation(s);
    });
    es.addEventListener('stream', function (ev) {       /* a resumed stream's new id, if sent */
      onEvent(ev);
      var s = JSON.parse(ev.data);
      if (s.stream) setStream(s.stream);
    });
    es.addEventListener('hb', function (ev) {
      lastHb = performance.now();
      try {
        var j = JSON.parse(ev.data);
        if (j.ts) offset = j.ts - Date.now();
        if (j.stream) setStream(j.stream);
      } catch (e) { /* a heartbeat is a heartbeat */ }
      checkLink();
    });
    streamFresh = false;
    es.addEventListener('open', function () {
      /* A resumed stream (Last-Event-ID) replays what we missed but may not say its
       * new id; an armed board must report its sound on the new one, so without
       * the id in 3 s it starts over with a snapshot (the whole picture: nothing lost). */
      var mine = es;
      setTimeout(function () {
        if (es === mine && armed && !streamFresh && es.readyState === EventSource.OPEN) {
          es.close();
          lastId = null;
          connect();
        }
      }, 3000);
    });
    es.addEventListener('error', function () {
      streamFresh = false;
      checkLink();
      if (es.readyState === EventSource.CLOSED) {
        /* the server refused the stream (401, 503): find out why, then try again */
        es = null;
        fetch('/api/me', { credentials: 'same-origin', cache: 'no-store' }).then(function (r) {
          if (r.status === 401) location.href = '/login';
          else setTimeout(connect, 2000);
        }, function () { setTimeout(connect, 2000); });
      }
    });
  }

  /* ---------------------------------------------------------------- sound */

  var audio = null;           /* AudioContext, once a person turned sound on */
  var armed = false;
  var mutedUntil = 0;
  var nextAt = { urgent: 0, assist: 0, routine: 0, trouble: 0 };
  var beeps = 0;
  var CADENCE = {             /* tones (Hz, s on, s off), repeated every `every` s */
    urgent:  { every: 2,  notes: [[988, 0.12, 0.08], [988, 0.12, 0.08], [988, 0.12, 0]] },
    assist:  { every: 5,  notes: [[740, 0.2, 0.12], [740, 0.2, 0]] },
    routine: { every: 15, notes: [[523, 0.35, 0]] },
    trouble: { every: 3,  notes: [[392, 0.25, 0.05], [294, 0.45, 0]] }
  };

  function setStream(id) {
    streamFresh = true;
    if (id === streamId) return;
    streamId = id;
    if (armed) reportSound(true);
  }

  function reportSound(on) {
    if (!streamId) return;
    post({ action: 'sound', stream: streamId, armed: on }).catch(function (e) {
      if (e.status !== 401) setTimeout(function () { if (armed === on) reportSound(on); }, 2000);
    });
  }

  function play(kind) {
    if (!audio || audio.state !== 'running') return;
    var t = audio.currentTime + 0.02;
    CADENCE[kind].notes.forEach(function (n) {
      var o = audio.createOscillator(), g = audio.createGain();
      o.type = kind === 'trouble' ? 'square' : 'sine';
      o.frequency.value = n[0];
      g.gain.setValueAtTime(0.0001, t);
      g.gain.exponentialRampToValueAtTime(kind === 'trouble' ? 0.25 : 0.5, t + 0.015);
      g.gain.setValueAtTime(kind === 'trouble' ? 0.25 : 0.5, t + n[1] - 0.03);
      g.gain.exponentialRampToValueAtTime(0.0001, t + n[1]);
      o.connect(g);
      g.connect(audio.destination);
      o.start(t);
      o.stop(t + n[1] + 0.02);
      t += n[1] + n[2];
    });
    beeps++;
    document.body.setAttribute('data-beeps', String(beeps));
    document.body.setAttribute('data-last-tone', kind);
  }

  /* Which cadences should sound now: one per priority with an open,
   * unacknowledged call, and the trouble tone while the link is lost. */
  function wanted() {
    var w = {};
    order.forEach(function (id) {
      var c = rooms[id] && rooms[id].call;
      if (c && c.state === 'open' && CADENCE[c.priority]) w[c.priority] = true;
    });
    if (linkLost) w.trouble = true;
    return w;
  }

  function updateAlarm() {
    var w = wanted();
    var top = w.urgent ? 'urgent' : w.trouble ? 'trouble' : w.assist ? 'assist' : w.routine ? 'routine' : 'none';
    setAttr(document.body, 'data-alarm', top);
    var muted = Date.now() < mutedUntil;
    setAttr(document.body, 'data-muted', muted ? '1' : '0');
    var m = $('mute');
    setText(m, muted ? 'Muted ' + Math.ceil((mutedUntil - Date.now()) / 1000) + ' s' : 'Mute 30 s');
    setAttr(m, 'aria-pressed', muted ? 'true' : 'false');
    var t = performance.now() / 1000;
    ['urgent', 'trouble', 'assist', 'routine'].forEach(function (k) {
      if (!w[k]) { nextAt[k] = 0; return; }
      if (muted && k !== 'urgent') return;
      if (t >= nextAt[k]) {
        play(k);
        nextAt[k] = t + CADENCE[k].every;
      }
    });
  }

  function armSound() {
    try {
      if (!audio) audio = new (window.AudioContext || window.webkitAudioContext)();
    } catch (e) {
      toast('This browser cannot make sound: ' + e.message, true);
      return;
    }
    var done = function () {
      if (audio.state !== 'running') return;
      armed = true;
      document.body.setAttribute('data-sound', 'armed');
      $('sound-banner').hidden = true;
      reportSound(true);
      nextAt = { urgent: 0, assist: 0, routine: 0, trouble: 0 };
      play('routine');                              /* so the nurse hears that it works */
      updateAlarm();
    };
    audio.resume().then(done, done);
    audio.onstatechange = function () {
      if (audio.state !== 'running' && armed) {       /* the browser took sound away */
        armed = false;
        document.body.setAttribute('data-sound', 'off');
        $('sound-banner').hidden = false;
        reportSound(false);
      }
    };
  }

  /* ---------------------------------------------------------------- board page */

  var lastTouch = 0;
  function touched() {
    if (!phoneView || !me) return;
    var now = Date.now();
    if (now - lastTouch < TOUCH_EVERY_MS) return;
    lastTouch = now;
    post({ action: 'touch' }).catch(function () { /* the next touch tries again */ });
  }

  function setView() {
    var narrow = window.matchMedia('(max-width: 699px)').matches;
    var phone = narrow || (me && me.view === 'phone' && window.innerWidth < 1000);
    if (phone !== phoneView) {
      phoneView = phone;
      document.body.setAttribute('data-view', phone ? 'phone' : 'board');
    }
    fitCallList(openCalls());
  }

  function boardPage() {
    $('sound-on').addEventListener('click', armSound);
    $('mute').addEventListener('click', function () {
      mutedUntil = Date.now() + MUTE_MS;
      updateAlarm();
    });
    $('logout').addEventListener('click', function () {
      if (!me) { location.href = '/login'; return; }
      fetch('/logout', { method: 'POST', credentials: 'same-origin',
                         headers: { 'X-CSRF-Token': me.csrf } })
        .then(function () { location.href = '/login'; }, function () { location.href = '/login'; });
    });
    ['pointerdown', 'keydown'].forEach(function (e) { document.addEventListener(e, touched, true); });
    window.addEventListener('resize', setView);
    setView();
    lastHb = performance.now();
    loadMe();
    setInterval(function () { checkLink(); updateAlarm(); }, HB_CHECK_MS);
    setInterval(tick, 1000);
  }

  function loadMe() {
    fetch('/api/me', { credentials: 'same-origin', cache: 'no-store' }).then(function (r) {
      if (r.status === 401) { location.href = '/login'; throw new Error('signed out'); }
      if (!r.ok) throw new Error('HTTP ' + r.status);
      return r.json();
    }).then(function (j) {
      me = j;
      $('me').textContent = j.user + (j.role === 'charge' ? ' (charge)' : '');
      $('report-link').hidden = j.role !== 'charge';
      document.body.setAttribute('data-role', j.role);
      setView();
      connect();
    }).catch(function (e) {
      if (e.message !== 'signed out') { toast('Cannot reach the station: ' + e.message, true);
                                        setTimeout(loadMe, 2000); }
    });
  }

  document.addEventListener('DOMContentLoaded', function () {
    var page = document.body.getAttribute('data-page');
    if (page === 'login') loginPage();
    else if (page === 'board') boardPage();
  });
})();
