"""browser_fixture.py - what the browser tests run against: a real Mosquitto on a free
127.0.0.1 port, the real haven-room controller and the real haven-station, each with its
own config, call log, users file and audit log in a temporary directory, plus a paho
client for playing the kiosks and watching the contract's topics.

Binaries come from the environment (set by tests/browser/CMakeLists.txt):
HAVEN_STATION_BIN, HAVEN_ROOM_BIN, HAVEN_MOSQUITTO.
"""
import atexit
import json
import os
import queue
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
import uuid

import paho.mqtt.client as mqtt

from browser_kit import log

START_WAIT_S = 60      # generous: only decides when to give up on a loaded machine
EXPECT_WAIT_S = 20


def free_port():
    s = socket.socket()
    s.bind(('127.0.0.1', 0))
    p = s.getsockname()[1]
    s.close()
    return p


def rfc3339(t=None):
    t = time.time() if t is None else t
    return time.strftime('%Y-%m-%dT%H:%M:%S', time.gmtime(t)) + '.%03dZ' % int((t % 1) * 1000)


class Mqtt:
    """A paho client whose messages land in a queue; expect() waits on them."""

    def __init__(self, port, client_id):
        self.q = queue.Queue()
        self.c = mqtt.Client(client_id=client_id, clean_session=True)
        self.c.on_message = lambda c, u, msg: self.q.put((msg.topic, msg.payload.decode('utf-8', 'replace'),
                                                          time.time()))
        connected = queue.Queue()
        self.c.on_connect = lambda c, u, f, rc: connected.put(rc)
        self.c.connect('127.0.0.1', port, keepalive=30)
        self.c.loop_start()
        rc = connected.get(timeout=START_WAIT_S)
        assert rc == 0, 'mqtt connect rc %d' % rc
        self.last = {}

    def subscribe(self, topic):
        done = queue.Queue()
        self.c.on_subscribe = lambda c, u, mid, q: done.put(mid)
        r, mid = self.c.subscribe(topic, qos=1)
        assert r == 0
        done.get(timeout=START_WAIT_S)

    def publish(self, topic, payload, retain=False):
        if not isinstance(payload, (str, bytes)):
            payload = json.dumps(payload)
        info = self.c.publish(topic, payload, qos=1, retain=retain)
        info.wait_for_publish(timeout=START_WAIT_S)

    def drain(self):
        while True:
            try:
                t, p, _ = self.q.get_nowait()
                self.last[t] = p
            except queue.Empty:
                return

    def expect(self, topic, pred=lambda p: True, what=None, timeout=EXPECT_WAIT_S, with_time=False):
        """Waits for a message on topic (MQTT wildcards allowed) whose payload satisfies pred."""
        end = time.time() + timeout
        while True:
            left = end - time.time()
            if left <= 0:
                raise AssertionError('timed out after %s s waiting for %s on %s' % (timeout, what or 'a message',
                                                                                  topic))
            try:
                t, p, at = self.q.get(timeout=left)
            except queue.Empty:
                continue
            self.last[t] = p
            if mqtt.topic_matches_sub(topic, t) and pred(p):
                return (p, at) if with_time else p

    def close(self):
        self.c.loop_stop()
        self.c.disconnect()


class Fixture:
    def __init__(self, name, rooms=4, extra_cfg='', users=()):
        self.users = list(users)        # (name, password, role): added before the station starts
        self.name = name
        self.dir = tempfile.mkdtemp(prefix='haven-browser-%s-' % name)
        self.prefix = 'bt%s' % uuid.uuid4().hex[:8]
        self.rooms = ['chair-%d' % (i + 1) for i in range(rooms)]
        self.extra_cfg = extra_cfg
        self.procs = {}
        self.clients = []
        self.station_bin = os.environ['HAVEN_STATION_BIN']
        self.room_bin = os.environ['HAVEN_ROOM_BIN']
        self.mosquitto = os.environ.get('HAVEN_MOSQUITTO', '/usr/sbin/mosquitto')
        self.login = 'station'
        self.kiosk = None

    def path(self, name):
        return os.path.join(self.dir, name)

    def topic(self, rest):
        return '%s/%s' % (self.prefix, rest)

    # ---------------------------------------------------------------- processes
    def _spawn(self, key, argv, stdin=None):
        out = open(self.path(key + '.log'), 'ab')
        p = subprocess.Popen(argv, stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL,
                             stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
        if stdin is not None:
            p.stdin.write(stdin.encode())
            p.stdin.close()
        self.procs[key] = p
        return p

    def _wait_port(self, port, proc, what):
        end = time.time() + START_WAIT_S
        while time.time() < end:
            if proc.poll() is not None:
                raise AssertionError('%s exited (%s) before listening; log:\n%s' % (what, proc.returncode,
                                                                                    self.log_of(what)))
            try:
                socket.create_connection(('127.0.0.1', port), timeout=0.5).close()
                return
            except OSError:
                time.sleep(0.02)   # polling a port that is not open yet: no event to wait on
        raise AssertionError('%s did not listen on %d' % (what, port))

    def log_of(self, key):
        try:
            with open(self.path(key + '.log'), 'rb') as f:
                return f.read()[-4000:].decode('utf-8', 'replace')
        except OSError:
            return ''

    def config_text(self):
        rooms = ',\n  '.join('{ id = "%s"; label = "Chair %s"; }' % (r, r.split('-')[1]) for r in self.rooms)
        return '''prefix = "%(prefix)s";
controller = { id = "ctl-%(prefix)s"; database = "%(db)s"; };
broker = { host = "127.0.0.1"; port = %(mport)d; keepalive = 10; };
groups = [ "nurses", "charge" ];
priorities = {
  routine = { chain = ( { group = "nurses"; after = 0; }, { group = "charge"; after = 600; } ); repeat = 600; ack_timeout = 1800; };
  assist  = { chain = ( { group = "nurses"; after = 0; }, { group = "charge"; after = 120; } ); repeat = 120; ack_timeout = 900; };
  urgent  = { chain = ( { group = "nurses"; after = 0; }, { group = "charge"; after = 30; } ); repeat = 30; ack_timeout = 300; };
};
scenes = {
  idle = { brightness = 70; kelvin = 3000; };      intake = { brightness = 60; kelvin = 3000; };
  infusion = { brightness = 12; kelvin = 2200; };  recovery = { brightness = 30; kelvin = 2500; };
  discharge = { brightness = 65; kelvin = 3000; }; care = { brightness = 100; kelvin = 4000; };
  bright = { brightness = 100; kelvin = 4500; };
};
rooms = (
  %(rooms)s
);
station = {
  listen = "127.0.0.1:%(hport)d";
  users = "%(users)s";
  audit = "%(audit)s";
  phone_idle = 900;
  board_max = 43200;
};
%(extra)s
''' % dict(prefix=self.prefix, db=self.path('calls.db'), mport=self.mport, hport=self.hport,
           rooms=rooms, users=self.path('users'), audit=self.path('audit.log'), extra=self.extra_cfg)

    def start(self):
        atexit.register(self.stop)
        self.mport = free_port()
        self.hport = free_port()
        with open(self.path('mosquitto.conf'), 'w') as f:
            f.write('listener %d 127.0.0.1\nallow_anonymous true\npersistence false\n' % self.mport)
        p = self._spawn('mosquitto', [self.mosquitto, '-c', self.path('mosquitto.conf')])
        self._wait_port(self.mport, p, 'mosquitto')
        with open(self.path('haven.cfg'), 'w') as f:
            f.write(self.config_text())
        self.obs = self.mqtt('fx-obs')
        self.obs.subscribe(self.topic('controller/+/status'))
        self.obs.subscribe(self.topic('station/+/status'))
        self._spawn('room', [self.room_bin, '--config', self.path('haven.cfg'), '--broker',
                             '127.0.0.1:%d' % self.mport, '--db', self.path('calls.db')])
        self.obs.expect(self.topic('controller/+/status'), lambda p: '"online":true' in p,
                        what='the controller online', timeout=START_WAIT_S)
        self.kiosk = self.mqtt('fx-kiosk')
        for r in self.rooms:
            self.kiosk.publish(self.topic('room/%s/kiosk/status' % r),
                               {'online': True, 'phase': 'idle', 'visit': None, 'ts': rfc3339()}, retain=True)
        for u in self.users:
            self.user_add(*u)
        self.start_station()
        self.base = 'http://127.0.0.1:%d' % self.hport

    def start_station(self):
        self.obs.drain()
        p = self._spawn('station', [self.station_bin, '--config', self.path('haven.cfg'),
                                    '--listen', '127.0.0.1:%d' % self.hport,
                                    '--broker', '127.0.0.1:%d' % self.mport,
                                    '--users', self.path('users'), '--audit', self.path('audit.log')])
        self._wait_port(self.hport, p, 'station')
        self.obs.expect(self.topic('station/+/status'), lambda p: '"online":true' in p,
                        what='the station online', timeout=START_WAIT_S)
        self.station_pid = p.pid

    def kill_station(self):
        p = self.procs['station']
        os.kill(p.pid, signal.SIGKILL)
        p.wait()

    def kill_broker(self):
        p = self.procs['mosquitto']
        os.kill(p.pid, signal.SIGKILL)
        p.wait()

    def user_add(self, name, password, role='nurse'):
        r = subprocess.run([self.station_bin, 'user', 'add', '--users', self.path('users'), '--role', role, name],
                           input=(password + '\n').encode(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           timeout=START_WAIT_S)
        assert r.returncode == 0, 'user add %s: %s' % (name, r.stdout.decode())

    # ---------------------------------------------------------------- MQTT
    def mqtt(self, name):
        c = Mqtt(self.mport, '%s-%s' % (self.prefix, name))
        self.clients.append(c)
        return c

    def kiosk_call(self, room, cid, reason, priority=None):
        j = {'id': cid, 'reason': reason, 'ts': rfc3339()}
        if priority:
            j['priority'] = priority
        self.kiosk.publish(self.topic('room/%s/kiosk/call' % room), j)

    def kiosk_status(self, room, phase, visit, online=True):
        self.kiosk.publish(self.topic('room/%s/kiosk/status' % room),
                           {'online': online, 'phase': phase, 'visit': visit, 'ts': rfc3339()}, retain=True)

    def kiosk_clear(self, room, cid, by=None):
        self.kiosk.publish(self.topic('room/%s/kiosk/clear' % room), {'id': cid, 'by': by, 'ts': rfc3339()})

    def call_id(self, m, room):
        """The id of room's call, from the retained P/call/R m has seen."""
        m.drain()
        p = m.last.get(self.topic('call/' + room))
        assert p, 'no P/call/%s seen' % room
        return json.loads(p)['id']

    def stop(self):
        if getattr(self, 'stopped', False):
            return
        self.stopped = True
        for c in self.clients:
            try:
                c.close()
            except Exception:
                pass
        for key in ('station', 'room', 'mosquitto'):
            p = self.procs.get(key)
            if p and p.poll() is None:
                p.terminate()
                try:
                    p.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait()
        if os.environ.get('HAVEN_KEEP') != '1':
            shutil.rmtree(self.dir, ignore_errors=True)
