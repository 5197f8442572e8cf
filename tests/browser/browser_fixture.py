"""browser_fixture.py - what the browser tests (and bench/bench_station.py) run against:
tests/station/station_fixture.py's Clinic (a real Mosquitto on a free 127.0.0.1 port, the
real haven-room and the real haven-station, each with its own config, call log, users
file and audit log in a temporary directory) with the browser tests' clinic: N rooms with
long escalation timers, the scenes, the kiosks online, the accounts the test names.  This
file only shapes it; starting, waiting and MQTT live once, in station_fixture.

Binaries come from the environment (set by tests/browser/CMakeLists.txt):
HAVEN_STATION_BIN, HAVEN_ROOM_BIN, HAVEN_MOSQUITTO.  HAVEN_KEEP=1 keeps the directory.
"""
import atexit
import json
import os
import signal
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                                'station'))
import station_fixture as sf  # noqa: E402
from station_fixture import free_port, rfc3339  # noqa: E402,F401  (the old names)

import browser_kit  # noqa: E402

START_WAIT_S = 60      # generous: only decides when to give up on a loaded machine
EXPECT_WAIT_S = 20


class Mqtt(sf.Mqtt):
    """station_fixture's client, following only what subscribe() names; expect() waits."""

    def __init__(self, port, client_id):
        super().__init__(port, None, client_id, subscribe_all=False, timeout=EXPECT_WAIT_S)


class Fixture:
    def __init__(self, name, rooms=4, extra_cfg='', users=()):
        self.users = list(users)        # (name, password, role): added before the station starts
        self.name = name
        self.rooms = ['chair-%d' % (i + 1) for i in range(rooms)]
        self.extra_cfg = extra_cfg
        self.clients = []
        self.login = 'station'
        self.kiosk = None
        self.clinic = sf.Clinic(config=self.config_text, start_station=False,
                                users={u[0]: (u[2] if len(u) > 2 else 'nurse', u[1]) for u in self.users},
                                keep=os.environ.get('HAVEN_KEEP') == '1', start_timeout=START_WAIT_S)
        self.dir = self.clinic.tmp
        self.prefix = self.clinic.prefix
        self.mport = self.clinic.broker_port
        self.hport = self.clinic.http_port
        self.base = 'http://127.0.0.1:%d' % self.hport
        self.station_bin = self.clinic.station_bin

    def path(self, name):
        return os.path.join(self.dir, name)

    def topic(self, rest):
        return self.clinic.topic(rest)

    def config_text(self, c):
        rooms = ',\n  '.join('{ id = "%s"; label = "Chair %s"; }' % (r, r.split('-')[1]) for r in self.rooms)
        return '''prefix = "%(prefix)s";
controller = { id = "%(ctl)s"; database = "%(t)s/calls.db"; };
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
  record = "%(t)s/station-record.db";
  phone_idle = 900;
  board_max = 43200;
};
%(extra)s
''' % dict(prefix=c.prefix, ctl=c.controller_id, t=c.tmp, mport=c.broker_port, hport=c.http_port,
           rooms=rooms, users=c.users_path, audit=c.audit_path, extra=self.extra_cfg)

    # ---------------------------------------------------------------- processes
    def start(self):
        atexit.register(self.stop)
        browser_kit.on_failure.append(self.dump_logs)
        self.clinic.start()                       # broker, accounts, controller
        self.obs = self.mqtt('fx-obs')
        self.obs.subscribe(self.topic('controller/+/status'))
        self.obs.subscribe(self.topic('station/+/status'))
        self.kiosk = self.mqtt('fx-kiosk')
        for r in self.rooms:
            self.kiosk_status(r, 'idle', None)
        self.start_station()

    def start_station(self):
        self.obs.drain()
        self.clinic.start_station()               # waits for "serving" and its status online
        self.obs.expect(self.topic('station/+/status'), lambda p: '"online":true' in p,
                        what='the station online', timeout=START_WAIT_S)
        self.station_pid = self.clinic.station.p.pid

    def kill_station(self):
        self.clinic.kill_station()

    def kill_broker(self):
        self.clinic.stop_broker(signal.SIGKILL)

    def restart_broker(self):
        """A new broker on the same port; returns once the fixture's clients are back on it."""
        counts = [(c, c.connect_count()) for c in self.clients + [self.clinic.mq]]
        self.clinic.restart_broker()
        for c, n in counts:
            c.wait_reconnected(n, START_WAIT_S)

    def user_add(self, name, password, role='nurse'):
        self.clinic.add_user(name, role, password)

    def log_of(self, key):
        for p in self.clinic.procs:
            if p.name in (key, 'haven-' + key):
                return p.text()[-4000:]
        return ''

    def dump_logs(self):
        self.clinic.dump_logs()

    # ---------------------------------------------------------------- MQTT
    def mqtt(self, name):
        c = Mqtt(self.mport, '%s-%s' % (self.prefix, name))
        self.clients.append(c)
        return c

    def kiosk_call(self, room, cid, reason, priority=None):
        self.clinic.kiosk_call(room, cid, reason, priority=priority)

    def kiosk_status(self, room, phase, visit, online=True):
        self.clinic.kiosk_status(room, phase, visit, online)

    def kiosk_clear(self, room, cid, by=None):
        self.clinic.kiosk_clear(room, cid, by)

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
        if self.dump_logs in browser_kit.on_failure:
            browser_kit.on_failure.remove(self.dump_logs)
        for c in self.clients:
            try:
                c.close()
            except Exception:
                pass
        self.clinic.close()
