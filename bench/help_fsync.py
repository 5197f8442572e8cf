#!/usr/bin/python3
"""help_fsync.py - what a help press costs the kiosk before its call is published.

  bench/help_fsync.py [--runs N] [--kiosk BIN] [--room-bin BIN] [--no-strace]

Real processes: a private Mosquitto on a free loopback port, haven-room and
haven-kiosk (SDL dummy driver, control FIFO) on config/haven.cfg, a fresh state
directory per run.  Once the kiosk's status is online, "tap" on the help button
is written to the FIFO; the figures are
  - fdatasync/fsync calls the kiosk makes (strace -f -tt) between that tap and
    its write of the MQTT PUBLISH of kiosk/call (the first help press: the call
    cannot reach a nurse before these are done);
  - help tap -> call latency: the tap written -> the call received by a client
    subscribed to P/room/chair-1/kiosk/call (with and without strace).
Prints one line per run and the medians.  Not a test: it prints figures.
"""
import argparse, os, re, shutil, signal, socket, statistics, subprocess, sys, tempfile, threading, time
import paho.mqtt.client as mqtt

SRC = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def wait_for(pred, timeout):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if pred():
            return True
        time.sleep(0.005)
    return False


def stop(p, sig):
    """Signals p's whole group when it leads one (the kiosk under strace), else p."""
    try:
        if os.getpgid(p.pid) == p.pid:
            os.killpg(p.pid, sig)
        else:
            p.send_signal(sig)
    except ProcessLookupError:
        pass


def one_run(args, use_strace):
    tmp = tempfile.mkdtemp(prefix="help-fsync-")
    procs = []
    try:
        port = free_port()
        with open(f"{tmp}/mosquitto.conf", "w") as f:
            f.write(f"listener {port} 127.0.0.1\nallow_anonymous true\n")
        procs.append(subprocess.Popen(["mosquitto", "-c", f"{tmp}/mosquitto.conf"],
                                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        got = {}
        ev_status, ev_call = threading.Event(), threading.Event()

        def on_message(c, u, m):
            if m.topic.endswith("/kiosk/call") and "call" not in got:
                got["call"] = time.monotonic()
                got["call_wall"] = time.time()
                ev_call.set()
            elif m.topic.endswith("/kiosk/status") and b'"online":true' in m.payload:
                ev_status.set()

        cl = mqtt.Client()
        cl.on_message = on_message
        def try_connect():
            try:
                return cl.connect("127.0.0.1", port) == 0
            except OSError:
                return False
        if not wait_for(try_connect, 5):
            raise RuntimeError("no broker")
        cl.subscribe([("haven/room/chair-1/kiosk/call", 1), ("haven/room/chair-1/kiosk/status", 1)])
        cl.loop_start()
        broker = f"127.0.0.1:{port}"
        procs.append(subprocess.Popen([args.room_bin, "--config", f"{SRC}/config/haven.cfg",
                                       "--broker", broker, "--db", f"{tmp}/calls.db"],
                                      stdout=subprocess.DEVNULL, stderr=open(f"{tmp}/room.log", "w")))
        state = f"{tmp}/state"
        os.mkdir(state, 0o700)
        pin = subprocess.run([args.kiosk, "hash-pin"], input=b"8642\n", capture_output=True).stdout
        with open(os.open(f"{state}/staff-pins", os.O_WRONLY | os.O_CREAT, 0o600), "wb") as f:
            f.write(b"sam:" + pin.strip() + b"\n")
        fifo = f"{tmp}/control"
        os.mkfifo(fifo)
        env = dict(os.environ, SDL_VIDEODRIVER="dummy", SDL_AUDIODRIVER="dummy",
                   HAVEN_KIOSK_CONTROL=fifo)
        cmd = [args.kiosk, "--config", f"{SRC}/config/haven.cfg", "--room", "chair-1",
               "--broker", broker, "--windowed", "1280x800", "--state", state]
        if use_strace:
            cmd = ["strace", "-f", "-tt", "-s", "200", "-e", "trace=fdatasync,fsync,write,sendto",
                   "-o", f"{tmp}/strace.txt"] + cmd
        # Its own process group: under strace, SIGTERM to strace alone detaches and leaves
        # the kiosk running (found: ten orphaned kiosks at 100 % CPU after two runs).
        procs.append(subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL,
                                      stderr=open(f"{tmp}/kiosk.log", "w"), cwd=SRC,
                                      start_new_session=True))
        if not ev_status.wait(20):
            raise RuntimeError("kiosk never came online: " + open(f"{tmp}/kiosk.log").read()[-2000:])
        time.sleep(1.0)  # the first frame drawn, the kiosk waiting
        ctl = open(fifo, "w")
        t0_wall = time.time()
        t0 = time.monotonic()
        ctl.write("tap 1050 730\n")  # the help button at 1280x800 (ui_help_rect)
        ctl.flush()
        if not ev_call.wait(10):
            raise RuntimeError("no call after the tap")
        latency = (got["call"] - t0) * 1000
        syncs = None
        if use_strace:
            time.sleep(0.3)
            syncs = count_syncs(f"{tmp}/strace.txt", t0_wall)
        ctl.close()
        cl.loop_stop()
        return latency, syncs
    finally:
        for p in reversed(procs):
            try:
                stop(p, signal.SIGTERM)
                p.wait(5)
            except subprocess.TimeoutExpired:
                stop(p, signal.SIGKILL)
                p.wait(5)
            except ProcessLookupError:
                pass
        shutil.rmtree(tmp, ignore_errors=True)


def wall_of(line):
    m = re.match(r"\d+\s+(\d+):(\d+):(\d+\.\d+)", line)
    if not m:
        return None
    lt = time.localtime()
    day = time.mktime((lt.tm_year, lt.tm_mon, lt.tm_mday, 0, 0, 0, 0, 0, -1))
    return day + int(m[1]) * 3600 + int(m[2]) * 60 + float(m[3])


def count_syncs(path, t0_wall):
    """fdatasync/fsync after the tap and before the kiosk writes the PUBLISH of kiosk/call."""
    n = 0
    for line in open(path):
        t = wall_of(line)
        if t is None or t < t0_wall:
            continue
        if re.search(r"\b(fdatasync|fsync)\(", line) and "resumed" not in line:
            n += 1
        elif re.search(r"\b(write|sendto)\(", line) and "kiosk/call" in line and "{\\\"id" in line:
            return n
    return None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--kiosk", default=f"{SRC}/build/kiosk/haven-kiosk")
    ap.add_argument("--room-bin", default=f"{SRC}/build/room/haven-room")
    ap.add_argument("--no-strace", action="store_true")
    args = ap.parse_args()
    lat_s, lat_p, syncs = [], [], []
    for i in range(args.runs):
        if not args.no_strace:
            l, s = one_run(args, True)
            lat_s.append(l)
            syncs.append(s)
        l, _ = one_run(args, False)
        lat_p.append(l)
        print(f"run {i + 1}: fdatasync before the call's PUBLISH {syncs[-1] if syncs else '-'}, "
              f"tap -> call {l:.2f} ms" + (f" ({lat_s[-1]:.2f} ms under strace)" if lat_s else ""),
              flush=True)
    print(f"{args.kiosk}: median fdatasync {statistics.median([s for s in syncs if s is not None]) if syncs else '-'}, "
          f"median tap -> call {statistics.median(lat_p):.2f} ms (min {min(lat_p):.2f}, max {max(lat_p):.2f})"
          + (f", under strace {statistics.median(lat_s):.2f} ms" if lat_s else ""))


if __name__ == "__main__":
    main()
