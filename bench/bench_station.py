#!/usr/bin/env python3
"""bench_station.py - what the nurse station adds to a call, and what it costs.

Run by hand (not a ctest entry; Debian's python3 has selenium and paho):

    /usr/bin/python3 bench/bench_station.py [--build build] [--calls 1000] [--rooms 1000]
                                            [--streams 200] [--events 400]

against the real Mosquitto, haven-room and haven-station (started by
tests/browser/browser_fixture.py on free 127.0.0.1 ports) and a real headless
Chromium showing the board.

1. Latency.  --calls kiosk calls, one after another, each on its own room
   (round robin), each cleared at the bedside before the next.  For each call:
   the kiosk's publish time (time.time() just before publishing), the moment a
   paho subscriber on P/page/nurses receives the page, and the moment the board
   page receives the "room" event (performance.timeOrigin + performance.now(),
   taken in the page's event handler).  Same machine, same clock.  Prints p50,
   p99 and max of call -> page and call -> board, and the ratio of their p99s;
   the board's own addition is call -> board minus call -> page, per call.
2. Cost.  --streams event streams (python threads, plain HTTP, one session),
   the board still open, the config's --rooms rooms: the station's VmRSS
   (/proc/PID/status) idle with the streams connected, and the CPU time
   (utime + stime from /proc/PID/stat) over --events room events (calls and
   bedside clears), per event and per event delivered to a stream.
"""
import argparse
import http.client
import json
import os
import statistics
import sys
import threading
import time
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', 'tests', 'browser'))


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


def proc_rss_kb(pid):
    with open('/proc/%d/status' % pid) as f:
        for line in f:
            if line.startswith('VmRSS:'):
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


class Stream(threading.Thread):
    """One plain-HTTP event stream, counting the events it receives."""

    def __init__(self, port, cookie):
        super().__init__(daemon=True)
        self.port, self.cookie = port, cookie
        self.events = 0
        self.connected = threading.Event()
        self.error = None
        self.stop = False

    def run(self):
        try:
            c = http.client.HTTPConnection('127.0.0.1', self.port, timeout=60)
            c.request('GET', '/events', headers={'Cookie': self.cookie, 'Accept': 'text/event-stream'})
            r = c.getresponse()
            if r.status != 200:
                self.error = 'HTTP %d' % r.status
                self.connected.set()
                return
            while not self.stop:
                line = r.fp.readline()
                if not line:
                    self.error = 'closed'
                    break
                if line.startswith(b'event: snapshot'):
                    self.connected.set()
                elif line.startswith(b'event: room'):
                    self.events += 1
        except Exception as e:  # counted and printed
            self.error = str(e)
        finally:
            self.connected.set()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--build', default=os.path.join(HERE, '..', 'build'))
    ap.add_argument('--calls', type=int, default=1000)
    ap.add_argument('--rooms', type=int, default=1000)
    ap.add_argument('--streams', type=int, default=200)
    ap.add_argument('--events', type=int, default=400)
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
    d.execute_script('''
        window.benchSeen = {};
        window.havenOnRoom = function (e) { if (e.call && !(e.call in window.benchSeen))
                                               window.benchSeen[e.call] = e.t; };''')
    m.drain()

    # ---- 1. latency -------------------------------------------------------------------
    pub, page = {}, {}
    for i in range(a.calls):
        room = fx.rooms[i % len(fx.rooms)]
        cid = 'bench-%d' % i
        pub[cid] = time.time()
        fx.kiosk_call(room, cid, 'help')
        _, at = m.expect(fx.topic('page/nurses'), lambda p: json.loads(p).get('id') == cid,
                         what='the page of ' + cid, with_time=True)
        page[cid] = at
        fx.kiosk_clear(room, cid)
        m.expect(fx.topic('call/' + room), lambda p: p == '', what='the clear of ' + cid)
    bk.wait(d, lambda d: d.execute_script('return Object.keys(window.benchSeen).length') >= a.calls,
            'the board to see every call', timeout=60)
    seen = d.execute_script('return window.benchSeen')
    to_page = [(page[c] - pub[c]) * 1000 for c in pub]
    to_board = [seen[c] - pub[c] * 1000 for c in pub]
    added = [seen[c] - page[c] * 1000 for c in pub]
    print('\n%d calls, one at a time, %d rooms:' % (a.calls, a.rooms))
    for name, xs in (('call -> page (P/page/nurses)', to_page), ('call -> board (browser event)', to_board),
                     ('board - page, per call', added)):
        print('  %-32s p50 %7.2f ms  p99 %7.2f ms  max %7.2f ms' % (name, pct(xs, 50), pct(xs, 99), max(xs)))
    print('  ratio call->board / call->page: p50 %.2f  p99 %.2f' %
          (pct(to_board, 50) / pct(to_page, 50), pct(to_board, 99) / pct(to_page, 99)))
    print('  the board adds at p99: %.2f ms (p99 of call->board minus p99 of call->page)' %
          (pct(to_board, 99) - pct(to_page, 99)))

    # ---- 2. cost with many streams ----------------------------------------------------
    pid = fx.station_pid
    rss0 = proc_rss_kb(pid)
    cookie = http_login(fx.hport, 'bench', 'bench password 1')
    streams = [Stream(fx.hport, cookie) for _ in range(a.streams)]
    for s in streams:
        s.start()
    for s in streams:
        s.connected.wait(60)
    bad = [s.error for s in streams if s.error]
    assert not bad, 'streams failed: %r' % bad[:5]
    st = fx.obs.expect(fx.topic('station/+/status'),
                       lambda p: json.loads(p).get('boards', 0) >= a.streams, what='boards >= streams',
                       timeout=30)
    print('\n%d event streams connected (+1 browser); station status %s' % (a.streams, st))
    rss1 = proc_rss_kb(pid)
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
    end = time.time() + 60
    while time.time() < end and any(s.events < w for s, w in zip(streams, want)):
        time.sleep(0.05)   # the streams are other threads: poll their counters
    cpu1 = proc_cpu_s(pid)
    got = sum(s.events - b for s, b in zip(streams, base))
    rss2 = proc_rss_kb(pid)
    print('  station VmRSS: %d kB before the streams, %d kB with them, %d kB after %d events' %
          (rss0, rss1, rss2, n))
    print('  %d room events in %.2f s, %d delivered to the %d streams (%d expected)' %
          (n, time.time() - t, got, a.streams, n * a.streams))
    print('  station CPU: %.3f s over %d events = %.3f ms per event, %.1f us per event per stream' %
          (cpu1 - cpu0, n, (cpu1 - cpu0) * 1000 / n, (cpu1 - cpu0) * 1e6 / max(1, got)))
    for s in streams:
        s.stop = True
    bk.quit_all()
    fx.stop()


if __name__ == '__main__':
    main()
