#!/usr/bin/env python3
"""bench_station.py - what the nurse station adds to a call, and what it costs.

Run by hand (not a ctest entry; Debian's python3 has selenium and paho):

    /usr/bin/python3 bench/bench_station.py [--build build] [--calls 1000] [--rooms 1000]
                                            [--streams 200] [--events 400]

against the real Mosquitto, haven-room and haven-station (started by
tests/browser/browser_fixture.py on free 127.0.0.1 ports) and a real headless
Chromium showing the board.

1. Latency.  --calls kiosk calls, strictly one at a time, each on its own room
   (round robin).  For call i the bench publishes the kiosk's call (time.time()
   just before), waits for the page on P/page/nurses (a paho subscriber), then
   waits for the board page to receive the "room" event that carries call i
   (the page's own timestamp, performance.timeOrigin + performance.now(), taken
   in its event handler), clears the call at the bedside and waits for the
   board to see the clear too -- only then does call i+1 go out, so no call
   queues behind another.  Same machine, same clock.  Per call it keeps:
     call -> page     the paho subscriber's receive time
     call -> board    the page's event timestamp
     handler          the page's own time in its "room" handler (havenLastRoomEvent.js)
     -> next task     event -> the first task queued in the handler runs (measured by the
                      bench's hook alone, so it works on any app.js: the handler's time
                      and any forced layout in it)
     -> painted       event -> the first frame after the event was drawn
                      (havenLastRoomEvent.painted: requestAnimationFrame, then a task)
   and prints p50, p99 and max, the ratios and what the board adds at p99.
2. Cost.  --streams event streams (python threads, plain HTTP, one session),
   the board still open, the config's --rooms rooms: the station's VmRSS
   (/proc/PID/status) before and with the streams, and its CPU time (utime +
   stime from /proc/PID/stat) idle for a few seconds (heartbeats only) and over
   --events room events (calls and bedside clears), waiting until every stream
   has every event; CPU per event is given gross and net of the idle rate.
"""
import argparse
import http.client
import json
import os
import sys
import threading
import time
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', 'tests', 'browser'))

BOARD_WAIT_S = 10      # only decides when to give up: a board event takes milliseconds

# The page side: app.js calls window.havenOnRoom(e) in its "room" handler with
# e = {t, id, room, call}; its havenLastRoomEvent gets .js and .painted later.
# We keep every event per room, and resolve the waiter of the one we want.
PAGE_HOOK = r'''
window.benchEv = {};          // call id -> the event object (the page fills in js, painted)
window.benchClear = {};       // room -> the last event object without a call
window.benchWaiter = null;    // {key, cb}
window.benchChan = new MessageChannel();
window.benchPosted = [];
window.benchChan.port1.onmessage = function () {   // the first task after the handler's
  var e = window.benchPosted.shift();
  if (e) e.after = performance.timeOrigin + performance.now();
};
window.havenOnRoom = function (e) {
  var key;
  window.benchPosted.push(e);
  window.benchChan.port2.postMessage(0);
  if (e.call) { if (!(e.call in window.benchEv)) window.benchEv[e.call] = e; key = 'call:' + e.call; }
  else { window.benchClear[e.room] = e; key = 'clear:' + e.room; }
  var w = window.benchWaiter;
  if (w && w.key === key) { window.benchWaiter = null; w.cb(true); }
};
'''
# arguments: key; resolves true at once if already seen, else when it is.
WAIT_SCRIPT = r'''
var key = arguments[0], cb = arguments[arguments.length - 1];
if (key.indexOf('call:') === 0 ? (key.slice(5) in window.benchEv) : window.benchClear[key.slice(6)]) cb(true);
else window.benchWaiter = {key: key, cb: cb};
'''


def pct(xs, p):
    xs = sorted(xs)
    if not xs:
        return float('nan')
    k = (len(xs) - 1) * p / 100.0
    lo = int(k)
    hi = min(lo + 1, len(xs) - 1)
    return xs[lo] + (xs[hi] - xs[lo]) * (k - lo)


def proc_cpu_s(pid):
    with open('/proc/%d/stat' % pid) as f:
        fields = f.read().rsplit(')', 1)[1].split()
    # fields[0] is state (field 3); utime is field 14, stime 15
    return (int(fields[11]) + int(fields[12])) / os.sysconf('SC_CLK_TCK')


def proc_status(pid, key):
    with open('/proc/%d/status' % pid) as f:
        for line in f:
            if line.startswith(key + ':'):
                return int(line.split()[1])
    return -1


def http_login(port, user, password):
    c = http.client.HTTPConnection('127.0.0.1', port, timeout=30)
    body = urllib.parse.urlencode({'user': user, 'password': password, 'view': 'board'})
    c.request('POST', '/login', body, {'Content-Type': 'application/x-www-form-urlencoded'})
    r = c.getresponse()
    r.read()
    cookie = r.getheader('Set-Cookie') or ''
    c.close()
    assert r.status == 303 and 'haven_session=' in cookie, 'login: %s %s' % (r.status, cookie)
    return cookie.split(';', 1)[0]


class Counter:
    """The streams' shared tally: every stream thread notifies, the main thread waits."""

    def __init__(self):
        self.cond = threading.Condition()
        self.connected = 0
        self.failed = []

    def wait_for(self, pred, timeout):
        with self.cond:
            return self.cond.wait_for(pred, timeout)


class Stream(threading.Thread):
    """One plain-HTTP event stream, counting the room events it receives."""

    def __init__(self, port, cookie, tally):
        super().__init__(daemon=True)
        self.port, self.cookie, self.tally = port, cookie, tally
        self.events = 0
        self.stop = False

    def run(self):
        err = None
        try:
            c = http.client.HTTPConnection('127.0.0.1', self.port, timeout=60)
            c.request('GET', '/events', headers={'Cookie': self.cookie, 'Accept': 'text/event-stream'})
            r = c.getresponse()
            if r.status != 200:
                err = 'HTTP %d' % r.status
                return
            while not self.stop:
                line = r.fp.readline()
                if not line:
                    err = 'closed'
                    break
                if line.startswith(b'event: snapshot'):
                    with self.tally.cond:
                        self.tally.connected += 1
                        self.tally.cond.notify_all()
                elif line.startswith(b'event: room'):
                    with self.tally.cond:
                        self.events += 1
                        self.tally.cond.notify_all()
        except Exception as e:  # counted and printed
            err = str(e)
        finally:
            if err and not self.stop:
                with self.tally.cond:
                    self.tally.failed.append(err)
                    self.tally.cond.notify_all()


def row(name, xs, unit='ms'):
    print('  %-34s p50 %8.2f %s  p99 %8.2f %s  max %8.2f %s' % (name, pct(xs, 50), unit, pct(xs, 99), unit,
                                                             max(xs), unit))


def board_wait(d, key, what):
    from selenium.common.exceptions import TimeoutException
    try:
        d.execute_async_script(WAIT_SCRIPT, key)
    except TimeoutException:
        raise AssertionError('the board did not receive %s within %d s' % (what, BOARD_WAIT_S))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--build', default=os.path.join(HERE, '..', 'build'))
    ap.add_argument('--calls', type=int, default=1000)
    ap.add_argument('--rooms', type=int, default=1000)
    ap.add_argument('--streams', type=int, default=200)
    ap.add_argument('--events', type=int, default=400)
    ap.add_argument('--idle', type=float, default=5.0, help='seconds of idle CPU with the streams')
    a = ap.parse_args()
    os.environ.setdefault('HAVEN_STATION_BIN', os.path.join(a.build, 'station', 'haven-station'))
    os.environ.setdefault('HAVEN_ROOM_BIN', os.path.join(a.build, 'room', 'haven-room'))
    os.environ.setdefault('HAVEN_MOSQUITTO', '/usr/sbin/mosquitto')

    import browser_kit as bk
    from browser_fixture import Fixture

    fx = Fixture('bench', rooms=a.rooms, users=[('bench', 'bench password 1', 'nurse')])
    t = time.time()
    fx.start()
    print('started broker, controller, station with %d rooms in %.1f s' % (a.rooms, time.time() - t))
    m = fx.mqtt('bench-obs')
    m.subscribe(fx.topic('page/nurses'))
    m.subscribe(fx.topic('call/+'))
    d = bk.browser(1920, 1080)
    bk.login(d, fx.base, 'bench', 'bench password 1')
    bk.wait_body(d, 'link', 'ok')
    bk.wait(d, lambda d: d.execute_script('return document.querySelectorAll(".tile").length') == a.rooms,
            'the board to show %d tiles' % a.rooms)
    d.execute_script(PAGE_HOOK)
    d.set_script_timeout(BOARD_WAIT_S)
    m.drain()

    # ---- 1. latency: one call at a time ----------------------------------------------
    pub, page = {}, {}
    t = time.time()
    for i in range(a.calls):
        room = fx.rooms[i % len(fx.rooms)]
        cid = 'bench-%d' % i
        pub[cid] = time.time()
        fx.kiosk_call(room, cid, 'help')
        _, at = m.expect(fx.topic('page/nurses'), lambda p: json.loads(p).get('id') == cid,
                         what='the page of ' + cid, with_time=True)
        page[cid] = at
        board_wait(d, 'call:' + cid, 'the room event of ' + cid)
        fx.kiosk_clear(room, cid)
        m.expect(fx.topic('call/' + room), lambda p: p == '', what='the clear of ' + cid)
        board_wait(d, 'clear:' + room, 'the clear of ' + cid)
        d.execute_script('delete window.benchClear[arguments[0]]', room)
    took = time.time() - t
    # the last call's frame: wait until its painted time is in
    bk.wait(d, lambda d: d.execute_script('var e = window.benchEv[arguments[0]]; return !!(e && e.after)',
                                          'bench-%d' % (a.calls - 1)), 'the last call\'s next task', timeout=5)
    seen = d.execute_script('return window.benchEv')
    to_page = [(page[c] - pub[c]) * 1000 for c in pub]
    to_board = [seen[c]['t'] - pub[c] * 1000 for c in pub]
    added = [seen[c]['t'] - page[c] * 1000 for c in pub]
    js = [seen[c]['js'] for c in pub if seen[c].get('js') is not None]
    after = [seen[c]['after'] - seen[c]['t'] for c in pub if seen[c].get('after')]
    painted = [seen[c]['painted'] - seen[c]['t'] for c in pub if seen[c].get('painted')]
    print('\n%d calls, strictly one at a time (each waited for on the board, cleared, clear seen), '
          '%d rooms, %.1f s:' % (a.calls, a.rooms, took))
    row('call -> page (P/page/nurses)', to_page)
    row('call -> board (page event time)', to_board)
    row('board - page, per call', added)
    if js:
        row('page: "room" handler (JS)', js)
    if after:
        row('page: event -> next task', after)
    if painted:
        row('page: event -> next frame drawn', painted)
    print('  ratio call->board / call->page: p50 %.3f  p99 %.3f' %
          (pct(to_board, 50) / pct(to_page, 50), pct(to_board, 99) / pct(to_page, 99)))
    print('  the board adds at p99: %.2f ms (p99 of call->board minus p99 of call->page); '
          'p99 of the per-call difference %.2f ms' % (pct(to_board, 99) - pct(to_page, 99), pct(added, 99)))

    # ---- 2. cost with many streams ----------------------------------------------------
    pid = fx.station_pid
    rss0 = proc_status(pid, 'VmRSS')
    cookie = http_login(fx.hport, 'bench', 'bench password 1')
    tally = Counter()
    streams = [Stream(fx.hport, cookie, tally) for _ in range(a.streams)]
    for s in streams:
        s.start()
    ok = tally.wait_for(lambda: tally.connected + len(tally.failed) >= a.streams, 60)
    assert ok and not tally.failed, 'streams: %d connected, failed: %r' % (tally.connected, tally.failed[:5])
    st = fx.obs.expect(fx.topic('station/+/status'),
                       lambda p: json.loads(p).get('boards', 0) >= a.streams, what='boards >= streams',
                       timeout=30)
    print('\n%d event streams connected (+1 browser); station status %s' % (a.streams, st))
    rss1 = proc_status(pid, 'VmRSS')
    # idle: heartbeats only (one per stream per second)
    cpu0, t0 = proc_cpu_s(pid), time.time()
    stop_idle = threading.Event()
    stop_idle.wait(a.idle)          # nothing to wait on: the idle time is the measurement
    idle_rate = (proc_cpu_s(pid) - cpu0) / (time.time() - t0)
    base = [s.events for s in streams]
    cpu0 = proc_cpu_s(pid)
    n = 0
    t = time.time()
    for i in range(a.events // 2):
        room = fx.rooms[i % len(fx.rooms)]
        cid = 'cost-%d' % i
        fx.kiosk_call(room, cid, 'help')
        m.expect(fx.topic('call/' + room), lambda p: p and json.loads(p).get('id') == cid, what=cid)
        fx.kiosk_clear(room, cid)
        m.expect(fx.topic('call/' + room), lambda p: p == '', what='clear ' + cid)
        n += 2
    want = [b + n for b in base]
    all_in = tally.wait_for(lambda: all(s.events >= w for s, w in zip(streams, want)) or tally.failed, 60)
    dt = time.time() - t
    cpu = proc_cpu_s(pid) - cpu0
    got = sum(s.events - b for s, b in zip(streams, base))
    rss2 = proc_status(pid, 'VmRSS')
    print('  station VmRSS: %d kB before the streams, %d kB with them (%.1f kB per stream), '
          '%d kB after %d events; %d threads' % (rss0, rss1, (rss1 - rss0) / max(1, a.streams), rss2, n,
                                                 proc_status(pid, 'Threads')))
    print('  %d room events in %.2f s, %d delivered to the %d streams (%d expected)%s' %
          (n, dt, got, a.streams, n * a.streams, '' if all_in and not tally.failed else
           ': MISSING (failed: %r)' % tally.failed[:3]))
    print('  station CPU idle with the streams (heartbeats): %.2f ms/s' % (idle_rate * 1000))
    net = cpu - idle_rate * dt
    print('  station CPU: %.3f s over %d events = %.3f ms per event gross, %.3f ms net of idle; '
          '%.1f us per event per stream net' % (cpu, n, cpu * 1000 / n, net * 1000 / n,
                                                net * 1e6 / max(1, got)))
    for s in streams:
        s.stop = True
    bk.quit_all()
    fx.stop()


if __name__ == '__main__':
    main()
