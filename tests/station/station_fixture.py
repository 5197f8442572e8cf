"""station_fixture.py - a private clinic for the nurse station's tests.

Starts, on 127.0.0.1 and free ports only, a Mosquitto of its own, the room
controller (haven-room) and the nurse station (haven-station) on a temporary
haven.cfg (a random prefix, rooms chair-1..chair-4, groups nurses/charge, short
escalation timers like tests/integration/room_fixture.c), with two accounts:

    sam   (nurse)  password "sam-password-1"
    alex  (charge) password "alex-password-1"

Every wait is on an event with a timeout (a retained status, a line in a
child's output, a message, an SSE event, a process exit), never a fixed sleep.
With tls=True the station serves HTTPS with a certificate made for the test
by scripts/make-certs (its CA in c.ca_path; c.ssl_context() verifies it).  Use it as a context
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
import ssl
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
    """Polls pred until true: only for a state with no event to wait on (the fixtures and
    tests wait on Proc.wait_text, Mqtt.wait and SseReader.wait instead)."""
    deadline = time.monotonic() + timeout
    while True:
        v = pred()
        if v:
            return v
        if time.monotonic() > deadline:
            raise TimeoutError("timed out after %.1f s waiting for %s" % (timeout, what))
        time.sleep(step)


class Proc:
    """A child process; a thread copies its output (stdout and stderr) to a log file and
    keeps the lines, so a test can wait for a line (Proc.wait_text) as an event."""

    def __init__(self, name, argv, log_path, stdin_text=None, env=None):
        self.name, self.argv, self.log_path = name, argv, log_path
        self.log = open(log_path, "ab")
        self.cond = threading.Condition()
        self.lines = []
        self.eof = False
        self.p = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                  stdin=subprocess.PIPE if stdin_text is not None else subprocess.DEVNULL,
                                  env=env)
        if stdin_text is not None:
            self.p.stdin.write(stdin_text.encode())
            self.p.stdin.close()
        self.reader = threading.Thread(target=self._read, daemon=True, name="log-" + name)
        self.reader.start()

    def _read(self):
        for raw in iter(self.p.stdout.readline, b""):
            try:
                self.log.write(raw)
                self.log.flush()
            except ValueError:      # closed by stop(): keep the lines only
                pass
            with self.cond:
                self.lines.append(raw.decode(errors="replace"))
                self.cond.notify_all()
        self.p.stdout.close()
        with self.cond:
            self.eof = True
            self.cond.notify_all()

    def alive(self):
        return self.p.poll() is None

    def mark(self):
        with self.cond:
            return len(self.lines)

    def wait_text(self, text, timeout=DEFAULT_TIMEOUT, since=0):
        """The first line of output (at or after line since) containing text. Raises
        RuntimeError when the process ends first, TimeoutError after timeout."""
        deadline = time.monotonic() + timeout
        i = since
        with self.cond:
            while True:
                while i < len(self.lines):
                    i += 1
                    if text in self.lines[i - 1]:
                        return self.lines[i - 1]
                if self.eof:
                    raise RuntimeError("%s ended (status %s) before printing %r:\n%s"
                                       % (self.name, self.p.wait(), text, "".join(self.lines)))
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError("%s did not print %r in %.1f s" % (self.name, text, timeout))
                self.cond.wait(left)

    def wait_exit(self, timeout=DEFAULT_TIMEOUT):
        """The exit status once the process ends (subprocess.TimeoutExpired if it does not)."""
        rc = self.p.wait(timeout)
        self.reader.join(timeout)
        return rc

    def stop(self, sig=signal.SIGTERM, timeout=10):
        if self.p.poll() is None:
            self.p.send_signal(sig)
            try:
                self.p.wait(timeout)
            except subprocess.TimeoutExpired:
                self.p.kill()
                self.p.wait()
        self.reader.join(timeout)
        if not self.log.closed:
            self.log.close()
        return self.p.returncode

    def text(self):
        with self.cond:
            return "".join(self.lines)


class Mqtt:
    """A paho client whose messages are kept for waits (a Condition notified by on_message).

    With subscribe_all (the clinic's observer) it follows everything under the prefix and
    is read with wait(topic, pred on the decoded JSON, since=mark()).  Without, it follows
    what subscribe() names, and expect() reads it as a queue: each message is looked at
    once, in order, pred gets the payload as text, topic may hold MQTT wildcards (the
    browser tests' and the bench's way).  It reconnects by itself after a broker restart
    (within about a second) and subscribes again."""

    def __init__(self, port, prefix, client_id, subscribe_all=True, timeout=DEFAULT_TIMEOUT):
        self.prefix = prefix
        self.timeout = timeout
        self.cond = threading.Condition()
        self.msgs = []              # (topic, payload bytes, retained, monotonic time, wall time)
        self.subs = [prefix + "/#"] if subscribe_all else []
        self.acked = set()          # SUBACKed mids
        self.connects = 0
        self.cursor = 0             # expect()/drain()'s position in msgs
        self.last = {}              # topic -> last payload text seen by expect()/drain()
        self.connected = threading.Event()
        self.c = mqtt.Client(client_id=client_id, clean_session=True)
        self.c.reconnect_delay_set(min_delay=1, max_delay=1)
        self.c.on_connect = self._on_connect
        self.c.on_disconnect = self._on_disconnect
        self.c.on_message = self._on_message
        self.c.on_subscribe = self._on_subscribe
        self.c.connect("127.0.0.1", port, keepalive=10)
        self.c.loop_start()
        if not self.connected.wait(timeout):
            raise TimeoutError("test MQTT client: no CONNACK from the broker")

    def _on_connect(self, c, userdata, flags, rc):
        for t in list(self.subs):
            c.subscribe(t, qos=1)
        with self.cond:
            self.connects += 1
            self.connected.set()
            self.cond.notify_all()

    def _on_disconnect(self, c, userdata, rc):
        self.connected.clear()

    def _on_subscribe(self, c, userdata, mid, granted):
        with self.cond:
            self.acked.add(mid)
            self.cond.notify_all()

    def _on_message(self, c, userdata, m):
        with self.cond:
            self.msgs.append((m.topic, m.payload, bool(m.retain), time.monotonic(), time.time()))
            self.cond.notify_all()

    def connect_count(self):
        with self.cond:
            return self.connects

    def wait_reconnected(self, since, timeout=None):
        """Waits until the client has connected more times than since (connect_count())."""
        with self.cond:
            if not self.cond.wait_for(lambda: self.connects > since, timeout or self.timeout):
                raise TimeoutError("test MQTT client did not reconnect")

    def subscribe(self, topic):
        """Subscribes (again after every reconnect) and waits for the SUBACK."""
        self.subs.append(topic)
        r, mid = self.c.subscribe(topic, qos=1)
        assert r == 0, "subscribe %s: %d" % (topic, r)
        with self.cond:
            if not self.cond.wait_for(lambda: mid in self.acked, self.timeout):
                raise TimeoutError("no SUBACK for " + topic)

    def publish(self, topic, payload, retain=False, qos=1):
        if not isinstance(payload, (str, bytes)):
            payload = json.dumps(payload)
        info = self.c.publish(topic, payload, qos=qos, retain=retain)
        info.wait_for_publish(self.timeout)

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
                    t, p = self.msgs[i][:2]
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
            return all(m[0] != topic for m in self.msgs[since:])

    def drain(self):
        """Skips what has come so far (remembering each topic's last payload in .last)."""
        with self.cond:
            for m in self.msgs[self.cursor:]:
                self.last[m[0]] = m[1].decode("utf-8", "replace")
            self.cursor = len(self.msgs)

    def expect(self, topic, pred=lambda p: True, what=None, timeout=None, with_time=False):
        """The next message on topic (wildcards allowed) whose payload text satisfies pred;
        with_time: (payload, time.time() when it arrived)."""
        timeout = self.timeout if timeout is None else timeout
        deadline = time.monotonic() + timeout
        with self.cond:
            while True:
                while self.cursor < len(self.msgs):
                    t, p, _, _, wall = self.msgs[self.cursor]
                    self.cursor += 1
                    text = p.decode("utf-8", "replace")
                    self.last[t] = text
                    if mqtt.topic_matches_sub(topic, t) and pred(text):
                        return (text, wall) if with_time else text
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError("timed out after %s s waiting for %s on %s"
                                         % (timeout, what or "a message", topic))
                self.cond.wait(left)

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


def http_request(port, method, path, body=None, headers=None, timeout=DEFAULT_TIMEOUT,
                 ssl_context=None, host="127.0.0.1"):
    """One request on a fresh connection (HTTPS when ssl_context is given; host is the
    name the certificate is checked against, the connection is always to 127.0.0.1)."""
    if ssl_context is not None:
        conn = http.client.HTTPSConnection(host, port, timeout=timeout, context=ssl_context)
        if host != "127.0.0.1":
            conn._create_connection = \
                lambda addr, *a, **k: socket.create_connection(("127.0.0.1", addr[1]), *a, **k)
    else:
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
        return self.clinic.request("GET", path, headers=self.headers())

    def action(self, body, csrf=True, raw=None):
        """POST /api/action; returns (status, decoded JSON reply)."""
        h = {"Content-Type": "application/json"}
        if csrf is True:
            h["X-CSRF-Token"] = self.csrf
        elif csrf:
            h["X-CSRF-Token"] = csrf
        r = self.clinic.request("POST", "/api/action",
                                body=raw if raw is not None else json.dumps(body),
                                headers=self.headers(h))
        try:
            return r.status, r.json()
        except ValueError:
            return r.status, None

    def events(self, last=None, last_header=None):
        return SseReader(self.clinic.http_port, self.token, last=last, last_header=last_header,
                         ssl_context=self.clinic.ssl_context())


class SseReader(threading.Thread):
    """Reads GET /events in a thread; events (name, id, data) are queued for wait()."""

    def __init__(self, port, token, last=None, last_header=None, start=True, ssl_context=None):
        super().__init__(daemon=True)
        self.ssl_context = ssl_context
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
            sock = socket.create_connection(("127.0.0.1", self.port), timeout=30)
            if self.ssl_context is not None:
                sock = self.ssl_context.wrap_socket(sock, server_hostname="127.0.0.1")
            self.sock = sock
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
  record = "%(t)s/station-record.db";
  %(extra)s
};
kiosk = { questionnaires = { dir = "%(r)s/config/questionnaires";
                             intake = [ "safety-checklist", "phq-9", "gad-7" ];
                             discharge = [ "discharge-checklist" ];
                             crisis_line = { en = "Call or text 988."; es = "Llame al 988."; }; }; };
""" % {"p": prefix, "t": tmp, "port": station_port, "extra": station_extra, "r": REPO}


class Clinic:
    """Broker + controller + station on free 127.0.0.1 ports, torn down on exit."""

    def __init__(self, station_extra="", config=None, start_room=True, start_station=True,
                 keep=False, tls=False, users=None, start_timeout=DEFAULT_TIMEOUT):
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
        self.users = dict(USERS if users is None else users)   # name -> (role, password)
        self.start_timeout = start_timeout
        self.tls = tls
        self.cert_dir = os.path.join(self.tmp, "certs")
        self.ca_path = os.path.join(self.cert_dir, "ca.crt")
        self.cert_path = os.path.join(self.cert_dir, "broker.crt")
        self.key_path = os.path.join(self.cert_dir, "broker.key")
        self._ssl = None

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

    def make_certs(self):
        """A clinic CA and a server certificate for 127.0.0.1 and localhost, made by
        scripts/make-certs (keys unencrypted, mode 600: no secret on a command line)."""
        tool = os.path.join(REPO, "scripts", "make-certs")
        for args in (["ca"], ["broker", "127.0.0.1"]):
            r = subprocess.run([tool, "--out", self.cert_dir] + args, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, timeout=60)
            if r.returncode != 0:
                raise RuntimeError("make-certs %s: %s" % (args[0], r.stdout.decode()))

    def tls_settings(self):
        return 'tls_cert = "%s"; tls_key = "%s";' % (self.cert_path, self.key_path)

    def ssl_context(self):
        """None for plain HTTP; else a client context that trusts only the test CA and
        checks the host name."""
        if not self.tls:
            return None
        if self._ssl is None:
            ctx = ssl.create_default_context(ssl.Purpose.SERVER_AUTH, cafile=self.ca_path)
            ctx.check_hostname = True
            ctx.verify_mode = ssl.CERT_REQUIRED
            self._ssl = ctx
        return self._ssl

    def start(self):
        if self.tls:
            self.make_certs()
            self._station_extra += "\n  " + self.tls_settings()
        text = self._config(self) if callable(self._config) else \
            default_config(self.prefix, self.http_port, self.tmp, self._station_extra)
        with open(self.cfg_path, "w") as f:
            f.write(text)
        self.start_broker()
        self.mq = Mqtt(self.broker_port, self.prefix, self.prefix + "-observer",
                       timeout=self.start_timeout)
        for name, (role, pw) in self.users.items():
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
        # mosquitto prints "... running" once its listeners are open.
        self.broker.wait_text(" running", self.start_timeout)

    def stop_broker(self, sig=signal.SIGTERM):
        return self.broker.stop(sig)

    def restart_broker(self):
        """A new mosquitto on the same port (the stations and clients reconnect to it)."""
        if self.broker.alive():
            self.stop_broker()
        self.start_broker()

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
                     lambda m: isinstance(m, dict) and m.get("online") is True, since=mark,
                     timeout=self.start_timeout)

    def start_station(self, extra_args=()):
        mark = self.mq.mark()
        self.station = Proc("haven-station", [self.station_bin, "--config", self.cfg_path,
                                              "--broker", "127.0.0.1:%d" % self.broker_port]
                            + list(extra_args), os.path.join(self.tmp, "station.log"))
        self.procs.append(self.station)
        # It connects to the broker, then listens and says "serving http(s)://..."
        self.station.wait_text("serving http", self.start_timeout)
        self.mq.wait(self.topic("station/%s/status" % self.station_login),
                     lambda m: isinstance(m, dict) and m.get("online") is True, since=mark,
                     timeout=self.start_timeout)
        r = self.request("GET", "/login")
        if r.status != 200:
            raise RuntimeError("GET /login on a fresh station: %d" % r.status)

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
        # the programs first (the station says goodbye on its broker), the brokers last
        for p in sorted(reversed(self.procs), key=lambda p: p.name == "mosquitto"):
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
        m = {"id": call_id, "reason": reason, "ts": rfc3339()}
        if detail:
            m["detail"] = detail
        if priority:
            m["priority"] = priority
        self.mq.publish(self.topic("room/%s/kiosk/call" % room), m)

    def kiosk_status(self, room, phase="idle", visit=None, online=True):
        m = {"online": online, "phase": phase, "visit": visit, "ts": rfc3339()}
        self.mq.publish(self.topic("room/%s/kiosk/status" % room), m, retain=True)

    def kiosk_clear(self, room, call_id, by=None):
        self.mq.publish(self.topic("room/%s/kiosk/clear" % room),
                        {"id": call_id, "by": by, "ts": rfc3339()})

    def wait_message(self, topic, pred=None, timeout=DEFAULT_TIMEOUT, since=0):
        return self.mq.wait(topic, pred, timeout, since)

    # ---- HTTP ----

    def request(self, method, path, body=None, headers=None):
        return http_request(self.http_port, method, path, body, headers,
                            ssl_context=self.ssl_context())

    def login_raw(self, user, password, view="board"):
        body = urllib.parse.urlencode({"user": user, "password": password, "view": view})
        return self.request("POST", "/login", body,
                            {"Content-Type": "application/x-www-form-urlencoded"})

    def login(self, user, password=None, view="board"):
        """An HTTP session for user (password from USERS by default)."""
        r = self.login_raw(user, password or self.users[user][1], view)
        if r.status != 303 or r.header("location") != "/":
            raise AssertionError("login as %s: %d %s" % (user, r.status, r.header("location")))
        token = None
        for c in r.cookies():
            k, _, v = c.split(";")[0].partition("=")
            if k.strip() == "haven_session":
                token = v.strip()
        me = self.request("GET", "/api/me", headers={"Cookie": "haven_session=" + token})
        if me.status != 200:
            raise AssertionError("/api/me after login: %d" % me.status)
        return Session(self, user, token, me.json())

    def audit_lines(self):
        try:
            with open(self.audit_path) as f:
                return [json.loads(l) for l in f if l.strip()]
        except OSError:
            return []


def rfc3339(t=None):
    t = time.time() if t is None else t
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(t)) + ".%03dZ" % int((t % 1) * 1000)
