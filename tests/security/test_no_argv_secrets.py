#!/usr/bin/env python3
"""security.test_no_argv_secrets: no secret ever appears on a command line (issue 12 item 2).

Any local user may read every process's /proc/PID/cmdline, so a password given
to a program as an argument (`mosquitto_passwd -b FILE USER PASSWORD`) is
public while that program runs.  This test runs scripts/make-credentials for a
clinic of many devices (60 rooms, a Tasmota dome light in every other one,
so 30 light-bridge logins, plus extra pagers and stations: ~135 logins),
three times (a first run, then two --rotate runs: three sets of passwords),
and scripts/make-certs for a CA and a few devices, while a sampler thread
reads every /proc/*/cmdline and /proc/*/environ as fast as it can.  Then it
reads every secret the scripts made (each secrets/USER.pass, and the body
lines of every private key) and asserts that none of them was ever seen in
any sample.

It is not vacuous: it prints how many /proc scans and distinct command lines
the sampler saw, and it asserts that the sampler saw the scripts' own
processes (bash running make-credentials and make-certs, the python3 child
that hashes the passwords, openssl) — so it was sampling while the secrets
existed.  A make-credentials that calls `mosquitto_passwd -b` fails it.

usage: test_no_argv_secrets.py SOURCE_DIR HAVEN_ROOM_BINARY
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading

ROOMS = 60


def clinic_config(src):
    """The shipped haven.cfg with its rooms replaced by ROOMS rooms."""
    with open(os.path.join(src, "config", "haven.cfg")) as f:
        text = f.read()
    start = text.index("\nrooms = (") + 1
    end = text.index("\n);", start) + 3
    rooms = []
    for i in range(1, ROOMS + 1):
        dome = ' dome = { driver = "tasmota"; topic = "dome-%d"; };' % i if i % 2 else ""
        rooms.append('  { id = "chair-%d"; label = "Chair %d";%s }' % (i, i, dome))
    return text[:start] + "rooms = (\n" + ",\n".join(rooms) + "\n);" + text[end:]


class Sampler(threading.Thread):
    """Reads every /proc/*/cmdline and /proc/*/environ until stopped."""

    def __init__(self):
        super().__init__(daemon=True)
        self.stop = threading.Event()
        self.scans = 0
        self.reads = 0
        self.seen = set()  # distinct raw cmdline / environ contents (bytes)
        self.cmdlines = set()  # distinct cmdlines, NULs as spaces, for the report
        self.me = str(os.getpid())

    def run(self):
        while not self.stop.is_set():
            try:
                pids = [p for p in os.listdir("/proc") if p.isdigit() and p != self.me]
            except OSError:
                continue
            for pid in pids:
                for name in ("cmdline", "environ"):
                    try:
                        with open("/proc/%s/%s" % (pid, name), "rb") as f:
                            data = f.read()
                    except OSError:  # gone already, or not ours to read
                        continue
                    self.reads += 1
                    if data and data not in self.seen:
                        self.seen.add(data)
                        if name == "cmdline":
                            self.cmdlines.add(data.replace(b"\0", b" ").decode("utf-8", "replace"))
            self.scans += 1


def run(argv, cwd):
    p = subprocess.run(argv, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    if p.returncode != 0:
        sys.stdout.write(p.stdout.decode("utf-8", "replace"))
        sys.exit("FAIL: %s exited %d" % (" ".join(argv), p.returncode))


def secrets_of(out):
    """Every password make-credentials made, and the passwd file's hashes."""
    found = []
    sdir = os.path.join(out, "secrets")
    for name in sorted(os.listdir(sdir)):
        with open(os.path.join(sdir, name), "rb") as f:
            pw = f.readline().rstrip(b"\r\n")
        assert len(pw) >= 20, "%s: a short password (%r)" % (name, pw)
        found.append((name, pw))
    return found


def key_lines(tls):
    """The base64 body lines of each private key make-certs wrote."""
    found = []
    for name in sorted(os.listdir(tls)):
        if name.endswith(".key"):
            with open(os.path.join(tls, name), "rb") as f:
                for line in f:
                    line = line.strip()
                    if line and not line.startswith(b"-----"):
                        found.append((name, line))
    return found


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    src, room_bin = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
    tmp = tempfile.mkdtemp(prefix="haven-argv-")
    ok = False
    try:
        cfg = os.path.join(tmp, "clinic.cfg")
        with open(cfg, "w") as f:
            f.write(clinic_config(src))
        out = os.path.join(tmp, "creds")
        tls = os.path.join(tmp, "tls")
        creds = [os.path.join(src, "scripts", "make-credentials"), "--config", cfg, "--out", out,
                 "--room-bin", room_bin]
        for i in range(1, 21):
            creds += ["--pager", "pager-%d" % i, "--station", "desk-%d" % i]
        certs = os.path.join(src, "scripts", "make-certs")

        sampler = Sampler()
        sampler.start()
        secrets = []
        for extra in ([], ["--rotate"], ["--rotate"]):
            run(creds + extra, tmp)
            secrets += secrets_of(out)  # each run's passwords (rotated: new ones)
        run([certs, "--out", tls, "ca"], tmp)
        run([certs, "--out", tls, "broker", "broker.clinic.lan"], tmp)
        run([certs, "--out", tls, "device", "controller-room-1", "kiosk-chair-1", "pager-nurses"],
            tmp)
        sampler.stop.set()
        sampler.join()
        keys = key_lines(tls)

        logins = len(os.listdir(os.path.join(out, "secrets")))
        distinct_pw = len({pw for _, pw in secrets})
        print("make-credentials: %d logins, %d distinct passwords over 3 runs; make-certs: %d key "
              "lines" % (logins, distinct_pw, len(keys)))
        print("sampler: %d scans of /proc, %d cmdline/environ reads, %d distinct contents, "
              "%d distinct command lines" % (sampler.scans, sampler.reads, len(sampler.seen),
                                             len(sampler.cmdlines)))
        assert logins >= 130, "only %d logins" % logins
        assert distinct_pw == 3 * logins, "rotate did not make new passwords"

        # The sampler saw the scripts at work (it was sampling while the secrets existed).
        def saw(pattern):
            rx = re.compile(pattern, re.S)
            return [c for c in sampler.cmdlines if rx.search(c)]
        evidence = {
            "bash make-credentials": saw(r"bash .*scripts/make-credentials "),
            "python3 hashing the passwords": saw(r"python3[^ ]* -c .*pbkdf2_hmac"),
            "bash make-certs": saw(r"bash .*scripts/make-certs "),
            "openssl": saw(r"^openssl "),
            "haven-room list": saw(r"haven-room list "),
        }
        for what, lines in evidence.items():
            print("sampler saw %-30s %d distinct command line(s)" % (what + ":", len(lines)))
        for what in ("bash make-credentials", "python3 hashing the passwords", "bash make-certs"):
            assert evidence[what], "the sampler never saw " + what

        leaks = []
        for data in sampler.seen:
            for name, pw in secrets:
                if pw in data:
                    leaks.append("%s's password in %r" % (name, data[:200]))
            for name, line in keys:
                if line in data:
                    leaks.append("a line of %s in %r" % (name, data[:200]))
        for leak in leaks[:10]:
            print("LEAK: " + leak)
        assert not leaks, "%d secret(s) seen on a command line or in an environment" % len(leaks)
        print("PASS: none of %d passwords and %d key lines appeared in any of %d reads of "
              "/proc/*/cmdline and /proc/*/environ" % (len(secrets), len(keys), sampler.reads))
        ok = True
    finally:
        if ok:
            shutil.rmtree(tmp, ignore_errors=True)
        else:
            print("kept " + tmp)


if __name__ == "__main__":
    main()
