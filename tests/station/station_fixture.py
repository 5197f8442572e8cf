"""station_fixture.py - a private clinic for the nurse station's tests.

Starts, on 127.0.0.1 and free ports only, a Mosquitto of its own, the room
controller (haven-room) and the nurse station (haven-station) on a temporary
haven.cfg (a random prefix, rooms chair-1..chair-4, groups nurses/charge, short
escalation timers like tests/integration/room_fixture.c), with two accounts:

    sam   (nurse)  password "sam-password-1"
    alex  (charge) password "alex-password-1"

Every wait is on an event with a timeout (a retained status, a port that
answers, a message, an SSE event), never a fixed sleep.  Use it as a context
manager; on an exception it prints the station's, the controller's and the
broker's logs:

    from station_fixture import Clinic
    with Clinic() as c:
        s = c.login("sam")                     # an HTTP session (cookie + csrf)
        events = s.events()                    # an SSE reader (thread)
        events.wait("snapshot")
        c.kiosk_call("chair-1", "k-1")         # as the chair's kiosk would
        ev = events.wait("room", lambda d: d["id"] == "chair-1" and d["call"])
        status, body = s.action({"action": "ack", "room": "chair-1", "call": "k-1"})
        c.wait_message(c.topic("call/chair-1"), lambda m: m.get("state") == "acknowledged")

Binaries: $HAVEN_STATION_BIN, $HAVEN_ROOM_BIN, $HAVEN_MOSQUITTO (else
build/station/haven-station, build/room/haven-room, /usr/sbin/mosquitto).
Needs python3-paho-mqtt (Debian's, for /usr/bin/python3).
"""

import http.client
import json
import os
import queue
import random
import shutil
import signal
import socket
import string
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse

import paho.mqtt.client as mqtt

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))

USERS = {"sam": ("nurse", "sam-password-1"), "alex": ("charge", "alex-password-1")}
ROOMS = ["chair-1", "chair-2", "chair-3", "chair-4"]

DEFAULT_TIMEOUT = 10.0


def _bin(env, fallback):
    return os.environ.get(env) or fallback


def free_port():
    """A port nobody listens on right now (127.0.0.1)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(pred, timeout, what, step=0.02):
    """Polls pred (a cheap check of an event: a port answering, a process gone) until true."""
    deadline = time.monotonic() + timeout
    while True:
        v = pred()
        if v:
            return v
        if time.monotonic() > deadline:
            raise TimeoutError("timed out after %.1f s waiting for %s" % (timeout, what))
        time.sleep(step)


class Proc:
    """A child process with its output in a log file."""

    def __init__(self, name, argv, log_path, stdin_text=None, env=None):
        self.name, self.argv, self.log_path = name, argv, log_path
        self.log = open(log_path, "ab")
        self.p = subprocess.Popen(argv, stdout=self.log, stderr=subprocess.STDOUT,
                                  stdin=subprocess.PIPE if stdin_text is not None else subprocess.DEVNULL,
                                  env=env)
        if stdin_text is not None:
            self.p.stdin.write(stdin_text.encode())
            self.p.stdin.close()

    def alive(self):
        return self.p.poll() is None

    def stop(self, sig=signal.SIGTERM, timeout=10):
        if self.p.poll() is None:
            self.p.send_signal(sig)
            try:
                self.p.wait(timeout)
            except subprocess.TimeoutExpired:
                self.p.kill()
                self.p.wait()
        self.log.close()
        return self.p.returncode

    def text(self):
        try:
            with open(self.log_path, "rb") as f:
                return f.read().decode(errors="replace")
        except OSError:
            return ""


class Mqtt:
    """A paho client subscribed to everything under the prefix; messages are queued for waits."""

    def __init__(self, port, prefix, client_id):
        self.prefix = prefix
        self.cond = threading.Condition()
        self.msgs = []              # (topic, payload bytes, retained, time)
        self.connected = threading.Event()
        self.c = mqtt.Client(client_id=client_id, clean_session=True)
        self.c.on_connect = self._on_connect
        self.c.on_message = self._on_message
        self.c.connect("127.0.0.1", port, keepalive=10)
        self.c.loop_start()
        if not self.connected.wait(DEFAULT_TIMEOUT):
            raise TimeoutError("test MQTT client: no CONNACK from the broker")

    def _on_connect(self, c, userdata, flags, rc):
        c.subscribe(self.prefix + "/#", qos=1)
        self.connected.set()

    def _on_message(self, c, userdata, m):
        with self.cond:
            self.msgs.append((m.topic, m.payload, bool(m.retain), time.monotonic()))
            self.cond.notify_all()

    def publish(self, topic, payload, retain=False, qos=1):
        if isinstance(payload, (dict, list)):
            payload = json.dumps(payload)
        info = self.c.publish(topic, payload, qos=qos, retain=retain)
        info.wait_for_publish(DEFAULT_TIMEOUT)

    def mark(self):
        """The position to wait from (messages before it are ignored)."""
        with self.cond:
            return len(self.msgs)

    def wait(self, topic, pred=None, timeout=DEFAULT_TIMEOUT, since=0):
        """The first message on topic at or after since for which pred(json or bytes) is true."""
        deadline = time.monotonic() + timeout
        i = since
        with self.cond:
            while True:
                while i < len(self.msgs):
                    t, p, r, ts = self.msgs[i]
                    i += 1
                    if t != topic:
                        continue
                    try:
                        v = json.loads(p) if p else None
                    except ValueError:
                        v = p
                    if pred is None or pred(v):
                        return v
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError("no matching message on %s in %.1f s" % (topic, timeout))
                self.cond.wait(left)

    def none_on(self, topic, since):
        """True when nothing came on topic since the mark."""
        with self.cond:
            return all(t != topic for t, _, _, _ in self.msgs[since:])

    def close(self):
        self.c.loop_stop()
        self.c.disconnect()


class HttpResult:
    def __init__(self, status, headers, body):
        self.status, self.headers, self.body = status, headers, body

    def json(self):
        return json.loads(self.body)

    def header(self, name):
        return self.headers.get(name.lower())

    def cookies(self):
        return [v for k, v in self.raw if k.lower() == "set-cookie"]


def http_request(port, method, path, body=None, headers=None, timeout=DEFAULT_TIMEOUT):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        if isinstance(body, (dict, list)):
            body = json.dumps(body)
        conn.request(method, path, body=body, headers=headers or {})
        r = conn.getresponse()
        data = r.read()
        res = HttpResult(r.status, {k.lower(): v for k, v in r.getheaders()}, data)
        res.raw = r.getheaders()
        return res
    finally:
        conn.close()


class Session:
    """A logged-in browser: its cookie and CSRF token."""

    def __init__(self, clinic, user, token, me):
        self.clinic, self.user, self.token, self.me = clinic, user, token, me
        self.csrf = me["csrf"] if me else None

    def headers(self, extra=None):
        h = {"Cookie": "haven_session=" + self.token}
        h.update(extra or {})
        return h

    def get(self, path):
        return http_request(self.clinic.http_port, "GET", path, headers=self.headers())

    def action(self, body, csrf=True, raw=None):
        """POST /api/action; returns (status, decoded JSON reply)."""
        h = {"Content-Type": "application/json"}
        if csrf is True:
            h["X-CSRF-Token"] = self.csrf
        elif csrf:
            h["X-CSRF-Token"] = csrf
        r = http_request(self.clinic.http_port, "POST", "/api/action",
                         body=raw if raw is not None else json.dumps(body), headers=self.headers(h))
        try:
            return r.status, r.json()
        except ValueError:
            return r.status, None

    def events(self, last=None, last_header=None):
        return SseReader(self.clinic.http_port, self.token, last=last, last_header=last_header)


class SseReader(threading.Thread):
    """Reads GET /events in a thread; events (name, id, data) are queued for wait()."""

    def __init__(self, port, token, last=None, last_header=None, start=True):
        super().__init__(daemon=True)
        self.port, self.token = port, token
        self.path = "/events" + ("?last=%d" % last if last is not None else "")
        self.last_header = last_header
        self.cond = threading.Condition()
        self.events = []          # dicts: event, id, data (decoded JSON), raw, t
        self.status = None
        self.headers = {}
        self.closed = False
        self.error = None
        self.opened = threading.Event()
        self.sock = None
        self.retry = None
        if start:
            self.start()

    def run(self):
        try:
            self.sock = socket.create_connection(("127.0.0.1", self.port), timeout=30)
            req = "GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n" \
                  "Cookie: haven_session=%s\r\n" % (self.path, self.token)
            if self.last_header is not None:
                req += "Last-Event-ID: %s\r\n" % self.last_header
            self.sock.sendall((req + "\r\n").encode())
            self.f = self.sock.makefile("rb")
            r = http.client.HTTPResponse(self.sock, method="GET")
            r.begin()
            self.status = r.status
            self.headers = {k.lower(): v for k, v in r.getheaders()}
            self.opened.set()
            if r.status != 200:
                r.read()
                return
            ev = {}
            while True:
                line = r.readline()
                if not line:
                    break
                line = line.decode().rstrip("\r\n")
                if line == "":
                    if ev:
                        self._dispatch(ev)
                    ev = {}
                    continue
                k, _, v = line.partition(":")
                v = v[1:] if v.startswith(" ") else v
                if k == "data":
                    ev["data"] = ev["data"] + "\n" + v if "data" in ev else v
                elif k in ("event", "id", "retry"):
                    ev[k] = v
        except Exception as e:   # closed by close(), or the station went away
            self.error = e
        finally:
            self.opened.set()
            with self.cond:
                self.closed = True
                self.cond.notify_all()

    def _dispatch(self, ev):
        if "retry" in ev and "data" not in ev:
            self.retry = int(ev["retry"])
            return
        raw = ev.get("data", "")
        try:
            data = json.loads(raw)
        except ValueError:
            data = raw
        with self.cond:
            self.events.append({"event": ev.get("event", "message"), "id": ev.get("id"),
                                "data": data, "raw": raw, "t": time.monotonic()})
            self.cond.notify_all()

    def mark(self):
        with self.cond:
            return len(self.events)

    def wait(self, event, pred=None, timeout=DEFAULT_TIMEOUT, since=0):
        """The first event named event (at or after since) for which pred(data) is true."""
        deadline = time.monotonic() + timeout
        i = since
        with self.cond:
            while True:
                while i < len(self.events):
                    e = self.events[i]
                    i += 1
                    if e["event"] == event and (pred is None or pred(e["data"])):
                        return e
                if self.closed:
                    raise EOFError("event stream closed (status %s, %s) before a %s event"
                                   % (self.status, self.error, event))
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError("no %s event in %.1f s" % (event, timeout))
                self.cond.wait(left)

    def wait_any(self, pred, timeout=DEFAULT_TIMEOUT, since=0):
        """The first event (the whole dict: event, id, data, raw, t) for which pred is true."""
        deadline = time.monotonic() + timeout
        i = since
        with self.cond:
            while True:
                while i < len(self.events):
                    e = self.events[i]
                    i += 1
                    if pred(e):
                        return e
                if self.closed:
                    raise EOFError("event stream closed (status %s, %s)" % (self.status, self.error))
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError("no matching event in %.1f s" % timeout)
                self.cond.wait(left)

    def wait_closed(self, timeout=DEFAULT_TIMEOUT):
        with self.cond:
            if not self.cond.wait_for(lambda: self.closed, timeout):
                raise TimeoutError("event stream still open after %.1f s" % timeout)

    def stream_id(self):
        e = self.wait("stream")
        return e["data"]["stream"]

    def close(self):
        try:
            if self.sock:
                self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.join(DEFAULT_TIMEOUT)
        for f in (getattr(self, "f", None), self.sock):
            try:
                if f:
                    f.close()
            except OSError:
                pass


def default_config(prefix, station_port, tmp, station_extra=""):
    return """prefix = "%(p)s";
controller = { id = "ctl-%(p)s"; realert_min = 0; database = "%(t)s/calls.db"; };
groups = [ "nurses", "charge" ];
priorities = {
  routine = { chain = ( { group = "nurses"; after = 0; }, { group = "charge"; after = 4; } );
              repeat = 4; ack_timeout = 4; };
  assist  = { chain = ( { group = "nurses"; after = 0; }, { group = "charge"; after = 2; } );
              repeat = 2; ack_timeout = 3; };
  urgent  = { chain = ( { group = "nurses"; after = 0; }, { group = "charge"; after = 1; } );
              repeat = 1; ack_timeout = 2; };
};
rooms = ( { id = "chair-1"; label = "Chair 1"; }, { id = "chair-2"; label = "Chair 2"; },
          { id = "chair-3"; label = "Chair 3"; }, { id = "chair-4"; label = "Chair 4"; } );
station = {
  listen = "127.0.0.1:%(port)d";
  users = "%(t)s/station-users";
  audit = "%(t)s/station-audit.log";
  %(extra)s
};
""" % {"p": prefix, "t": tmp, "port": station_port, "extra": station_extra}


class Clinic:
    """Broker + controller + station on free 127.0.0.1 ports, torn down on exit."""

    def __init__(self, station_extra="", config=None, start_room=True, start_station=True,
                 keep=False):
        self.station_bin = _bin("HAVEN_STATION_BIN", os.path.join(REPO, "build/station/haven-station"))
        self.room_bin = _bin("HAVEN_ROOM_BIN", os.path.join(REPO, "build/room/haven-room"))
        self.mosquitto_bin = _bin("HAVEN_MOSQUITTO", "/usr/sbin/mosquitto")
        self.tmp = tempfile.mkdtemp(prefix="haven-station-test-")
        self.prefix = "t" + "".join(random.choice(string.ascii_lowercase + string.digits)
                                    for _ in range(10))
        self.broker_port = free_port()
        self.http_port = free_port()
        self.cfg_path = os.path.join(self.tmp, "haven.cfg")
        self.users_path = os.path.join(self.tmp, "station-users")
        self.audit_path = os.path.join(self.tmp, "station-audit.log")
        self.station_login = "station"
        self.controller_id = "ctl-" + self.prefix
        self.keep = keep
        self.broker = self.room = self.station = None
        self.mq = None
        self._start_room, self._start_station = start_room, start_station
        self._config = config
        self._station_extra = station_extra
        self.procs = []

    # ---- life cycle ----

    def __enter__(self):
        try:
            self.start()
        except BaseException:
            self.dump_logs()
            self.close()
            raise
        return self

    def __exit__(self, et, ev, tb):
        if et is not None:
            self.dump_logs()
        self.close()
        return False

    def start(self):
        text = self._config(self) if callable(self._config) else \
            default_config(self.prefix, self.http_port, self.tmp, self._station_extra)
        with open(self.cfg_path, "w") as f:
            f.write(text)
        self.start_broker()
        self.mq = Mqtt(self.broker_port, self.prefix, self.prefix + "-observer")
        for name, (role, pw) in USERS.items():
            self.add_user(name, role, pw)
        if self._start_room:
            self.start_room()
        if self._start_station:
            self.start_station()

    def topic(self, rest):
        return "%s/%s" % (self.prefix, rest)

    def start_broker(self):
        conf = os.path.join(self.tmp, "mosquitto.conf")
        with open(conf, "w") as f:
            f.write("listener %d 127.0.0.1\nallow_anonymous true\npersistence false\n"
                    % self.broker_port)
        self.broker = Proc("mosquitto", [self.mosquitto_bin, "-c", conf],
                           os.path.join(self.tmp, "mosquitto.log"))
        self.procs.append(self.broker)

        def accepts():
            if not self.broker.alive():
                raise RuntimeError("mosquitto exited:\n" + self.broker.text())
            try:
                socket.create_connection(("127.0.0.1", self.broker_port), timeout=1).close()
                return True
            except OSError:
                return False
        wait_until(accepts, DEFAULT_TIMEOUT, "mosquitto to accept connections")

    def stop_broker(self):
        self.broker.stop()

    def add_user(self, name, role, password):
        r = subprocess.run([self.station_bin, "user", "add", "--users", self.users_path,
                            "--role", role, name], input=(password + "\n").encode(),
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=60)
        if r.returncode != 0:
            raise RuntimeError("haven-station user add %s failed: %s" % (name, r.stdout.decode()))

    def start_room(self):
        mark = self.mq.mark()
        self.room = Proc("haven-room", [self.room_bin, "run", "--config", self.cfg_path,
                                        "--broker", "127.0.0.1:%d" % self.broker_port],
                         os.path.join(self.tmp, "room.log"))
        self.procs.append(self.room)
        self.mq.wait(self.topic("controller/%s/status" % self.controller_id),
                     lambda m: isinstance(m, dict) and m.get("online") is True, since=mark)

    def start_station(self, extra_args=()):
        mark = self.mq.mark()
        self.station = Proc("haven-station", [self.station_bin, "--config", self.cfg_path,
                                              "--broker", "127.0.0.1:%d" % self.broker_port]
                            + list(extra_args), os.path.join(self.tmp, "station.log"))
        self.procs.append(self.station)
        self.mq.wait(self.topic("station/%s/status" % self.station_login),
                     lambda m: isinstance(m, dict) and m.get("online") is True, since=mark)

        def answers():
            if not self.station.alive():
                raise RuntimeError("haven-station exited:\n" + self.station.text())
            try:
                return http_request(self.http_port, "GET", "/login", timeout=2).status == 200
            except OSError:
                return False
        wait_until(answers, DEFAULT_TIMEOUT, "the station's HTTP port")

    def kill_station(self):
        """SIGKILL: the broker publishes the station's will."""
        return self.station.stop(signal.SIGKILL)

    def stop_station(self):
        return self.station.stop(signal.SIGTERM)

    def close(self):
        if self.mq:
            try:
                self.mq.close()
            except Exception:
                pass
        for p in reversed(self.procs):
            try:
                p.stop()
            except Exception:
                pass
        if not self.keep:
            shutil.rmtree(self.tmp, ignore_errors=True)

    def dump_logs(self):
        for p in self.procs:
            sys.stderr.write("\n----- %s log (%s) -----\n%s\n" % (p.name, p.log_path, p.text()))

    # ---- the kiosk's side (paho) ----

    def kiosk_call(self, room, call_id, reason="help", detail=None, priority=None):
        m = {"id": call_id, "reason": reason, "ts": _rfc3339()}
        if detail:
            m["detail"] = detail
        if priority:
            m["priority"] = priority
        self.mq.publish(self.topic("room/%s/kiosk/call" % room), m)

    def kiosk_status(self, room, phase="idle", visit=None, online=True):
        m = {"online": online, "phase": phase, "visit": visit, "ts": _rfc3339()}
        self.mq.publish(self.topic("room/%s/kiosk/status" % room), m, retain=True)

    def kiosk_clear(self, room, call_id, by=None):
        self.mq.publish(self.topic("room/%s/kiosk/clear" % room),
                        {"id": call_id, "by": by, "ts": _rfc3339()})

    def wait_message(self, topic, pred=None, timeout=DEFAULT_TIMEOUT, since=0):
        return self.mq.wait(topic, pred, timeout, since)

    # ---- HTTP ----

    def request(self, method, path, body=None, headers=None):
        return http_request(self.http_port, method, path, body, headers)

    def login_raw(self, user, password, view="board"):
        body = urllib.parse.urlencode({"user": user, "password": password, "view": view})
        return self.request("POST", "/login", body,
                            {"Content-Type": "application/x-www-form-urlencoded"})

    def login(self, user, password=None, view="board"):
        """An HTTP session for user (password from USERS by default)."""
        r = self.login_raw(user, password or USERS[user][1], view)
        if r.status != 303 or r.header("location") != "/":
            raise AssertionError("login as %s: %d %s" % (user, r.status, r.header("location")))
        token = None
        for c in r.cookies():
            k, _, v = c.split(";")[0].partition("=")
            if k.strip() == "haven_session":
                token = v.strip()
        me = http_request(self.http_port, "GET", "/api/me",
                          headers={"Cookie": "haven_session=" + token})
        if me.status != 200:
            raise AssertionError("/api/me after login: %d" % me.status)
        return Session(self, user, token, me.json())

    def audit_lines(self):
        try:
            with open(self.audit_path) as f:
                return [json.loads(l) for l in f if l.strip()]
        except OSError:
            return []


def _rfc3339():
    t = time.time()
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(t)) + ".%03dZ" % int((t % 1) * 1000)
