#!/usr/bin/env python3
"""security.test_deploy: the documented deployment starts (issue 12 item 7).

Runs the ```sh deploy-step admin|broker``` blocks of docs/deployment.md, in the
order the document gives them, each with bash -euo pipefail, on a scratch root:

  admin machine   HOME = TMP/admin-home (the CA is made there: ~/haven-ca)
  broker host     HOME = TMP/broker-home, and /etc/, /var/lib/, /run/ and
                  /usr/local/bin/ in the commands (and in the files they install
                  that the test starts from: haven-prod.conf, the unit) moved
                  under TMP/root, which stands in for /.
  both            the cwd is a checkout (scripts/ and config/ of the source
                  tree, build/room/haven-room the binary under test).

The test runs as root, as an installer would with sudo.  What the document's
commands call that would reach outside the scratch root is a shell function:
  sudo CMD        runs CMD (already root)
  scp FILES HOST: copies FILES into the broker host's HOME
  systemctl restart mosquitto   starts mosquitto -c /etc/mosquitto/conf.d/haven.conf
                  as root, as the Debian unit does (it drops to `user mosquitto`
                  itself), its listeners moved to two free loopback ports and
                  its log to a file; waits for both listeners or its exit
  systemctl reload mosquitto    SIGHUP
  systemctl daemon-reload       nothing
  systemctl enable --now haven-room   reads the installed unit's ExecStart and
                  LoadCredential= and runs it as the unit would: the credential
                  copied to /run/credentials/haven-room.service/ (0400, owned by
                  the service user), the program as an unprivileged user
                  (nobody), its state in a dir of its own (--db), on the broker's
                  moved plain port (--broker).
Nothing else is faked: the scripts, mosquitto 2.0 and haven-room are the real
ones, and file ownership is what the commands make it.

Then it checks: the CA key is only on the admin machine; passwd, acl and
broker.key are root:mosquitto 0640, secrets/ root 0700; the broker runs as user
mosquitto; the controller started from the unit published its retained
{"online":true} (read by the station's login); then, the controller stopped, the
controller's login is accepted on the plain listener (its password) and on the
TLS listener (its certificate), a wrong password and a certificate-less TLS
client are refused.

usage: test_deploy.py SOURCE_DIR HAVEN_ROOM_BINARY
"""
import grp
import os
import pwd
import re
import shutil
import signal
import socket
import stat
import subprocess
import sys
import tempfile
import time

DEADLINE = 30.0  # seconds any one awaited event may take on a busy machine

PRELUDE = r'''
sudo() { "$@"; }
scp() {
  local args=("$@") n=$(($# - 1))
  [[ ${args[$n]} == *: ]] || { echo "test_deploy: scp to ${args[$n]}: only HOST: is emulated" >&2; return 1; }
  cp -p "${args[@]:0:$n}" "$HV_BROKER_HOME/"
}
systemctl() {
  python3 "$HV_TEST" --systemctl "$@"
}
'''


def die(msg):
    sys.stdout.flush()
    sys.exit("FAIL: " + msg)


def env():
    return {k: os.environ[k] for k in ("HV_TMP", "HV_SRC", "HV_BIN", "HV_PLAIN", "HV_TLS")}


def moved(text, root):
    """text with /etc/, /var/lib/, /run/, /usr/local/bin/ under root."""
    return re.sub(r"(?<![\w.~/-])/(etc|var/lib|run|usr/local/bin)/", root + r"/\1/", text)


def wait_for(what, cond, alive=None):
    end = time.monotonic() + DEADLINE
    while time.monotonic() < end:
        if cond():
            return
        if alive and not alive():
            die(what + ": the process exited")
        time.sleep(0.02)
    die("timed out waiting for " + what)


def port_open(port):
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
        return True
    except OSError:
        return False


def pid_alive(pidfile):
    def alive():
        try:
            with open(pidfile) as f:
                pid = int(f.read())
            os.kill(pid, 0)
            with open("/proc/%d/stat" % pid) as f:
                return f.read().split(")")[-1].split()[0] != "Z"
        except (OSError, ValueError):
            return False
    return alive


def stop(pidfile):
    try:
        with open(pidfile) as f:
            pid = int(f.read())
    except (OSError, ValueError):
        return
    try:
        os.kill(pid, signal.SIGTERM)
        end = time.monotonic() + DEADLINE
        while time.monotonic() < end:
            if os.waitpid(pid, os.WNOHANG)[0] == pid:
                break
            time.sleep(0.02)
        else:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
    except ChildProcessError:  # not our child (another systemctl call started it)
        end = time.monotonic() + DEADLINE
        while pid_alive(pidfile)() and time.monotonic() < end:
            time.sleep(0.02)
        if pid_alive(pidfile)():
            os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    os.unlink(pidfile)


def systemctl(args):
    """The few systemctl calls of the walkthrough (see the header)."""
    e = env()
    tmp = e["HV_TMP"]
    root = os.path.join(tmp, "root")
    words = " ".join(args)
    if words == "daemon-reload":
        return 0
    if words == "restart mosquitto":
        pidfile = os.path.join(tmp, "mosquitto.pid")
        stop(pidfile)
        with open(os.path.join(root, "etc/mosquitto/conf.d/haven.conf")) as f:
            conf = moved(f.read(), root)
        conf = re.sub(r"(?m)^listener 1883 127\.0\.0\.1$", "listener %s 127.0.0.1" % e["HV_PLAIN"],
                      conf)
        conf = re.sub(r"(?m)^listener 8883$", "listener %s 127.0.0.1" % e["HV_TLS"], conf)
        conf = re.sub(r"(?m)^log_dest .*$", "log_dest stderr", conf)
        if conf.count("127.0.0.1\n") != 2:
            die("haven-prod.conf: the two listeners were not found to move")
        path = os.path.join(tmp, "mosquitto.conf")
        with open(path, "w") as f:
            f.write(conf)
        log = open(os.path.join(tmp, "mosquitto.log"), "ab")
        p = subprocess.Popen(["mosquitto", "-c", path], stdout=log, stderr=log,
                             start_new_session=True)
        with open(pidfile, "w") as f:
            f.write(str(p.pid))
        alive = lambda: p.poll() is None
        wait_for("the broker's plain listener", lambda: port_open(int(e["HV_PLAIN"])), alive)
        wait_for("the broker's TLS listener", lambda: port_open(int(e["HV_TLS"])), alive)
        return 0
    if words == "reload mosquitto":
        with open(os.path.join(tmp, "mosquitto.pid")) as f:
            os.kill(int(f.read()), signal.SIGHUP)
        return 0
    if words == "enable --now haven-room":
        with open(os.path.join(root, "etc/systemd/system/haven-room.service")) as f:
            unit = f.read()
        exec_start = re.search(r"(?m)^ExecStart=(.*)$", unit).group(1).split()
        cred = re.search(r"(?m)^LoadCredential=([^:\n]+):(.*)$", unit)
        if not cred:
            die("the installed haven-room.service has no LoadCredential=")
        cdir = os.path.join(root, "run/credentials/haven-room.service")
        os.makedirs(cdir, exist_ok=True)
        cfile = os.path.join(cdir, cred.group(1))
        shutil.copyfile(moved(cred.group(2), root), cfile)
        nobody = pwd.getpwnam("nobody")
        os.chown(cfile, nobody.pw_uid, nobody.pw_gid)
        os.chmod(cfile, 0o400)
        state = os.path.join(tmp, "state-haven")
        os.makedirs(state, exist_ok=True)
        os.chown(state, nobody.pw_uid, nobody.pw_gid)
        argv = [moved(a, root) for a in exec_start]
        argv += ["--broker", "127.0.0.1:" + e["HV_PLAIN"], "--db", os.path.join(state, "calls.db")]
        log = open(os.path.join(tmp, "haven-room.log"), "ab")
        p = subprocess.Popen(["setpriv", "--reuid", str(nobody.pw_uid), "--regid",
                              str(nobody.pw_gid), "--clear-groups", "--"] + argv,
                             stdout=log, stderr=log, start_new_session=True, cwd=state)
        with open(os.path.join(tmp, "haven-room.pid"), "w") as f:
            f.write(str(p.pid))
        return 0
    print("test_deploy: systemctl %s is not in the walkthrough's vocabulary" % words,
          file=sys.stderr)
    return 1


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def steps(doc):
    """[(host, commands)] of the deploy-step blocks, in order."""
    with open(doc) as f:
        text = f.read()
    found = re.findall(r"(?ms)^```sh deploy-step (admin|broker)\n(.*?)^```$", text)
    marks = len(re.findall(r"deploy-step", text))
    # Every block is taken (the header's mention of the marker is the only other one).
    if not found or marks != len(found) + 1:
        die("docs/deployment.md: %d deploy-step blocks parsed, %d marks" % (len(found), marks))
    return found


def mode_of(path):
    st = os.stat(path)
    return (pwd.getpwuid(st.st_uid).pw_name, grp.getgrgid(st.st_gid).gr_name,
            stat.S_IMODE(st.st_mode))


def mqtt(args, **kw):
    """mosquitto_sub with args; (exit code, output)."""
    p = subprocess.run(["mosquitto_sub", "-h", "127.0.0.1"] + args, stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, timeout=DEADLINE + 5, **kw)
    return p.returncode, p.stdout.decode("utf-8", "replace")


def main():
    if len(sys.argv) >= 2 and sys.argv[1] == "--systemctl":
        sys.exit(systemctl(sys.argv[2:]))
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    if os.geteuid() != 0:
        print("SKIP: test_deploy runs the installer's commands as root")
        sys.exit(77)
    try:
        pwd.getpwnam("mosquitto")
        grp.getgrnam("mosquitto")
    except KeyError:
        die("no user mosquitto (scripts/deps installs Debian's mosquitto package, which makes it)")
    src, binary = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
    tmp = tempfile.mkdtemp(prefix="haven-deploy-")
    os.chmod(tmp, 0o755)  # the broker's user must reach TMP/root/etc/mosquitto
    ok = False
    try:
        run_all(src, binary, tmp)
        ok = True
    finally:
        for name in ("haven-room.pid", "mosquitto.pid"):
            stop(os.path.join(tmp, name))
        if ok:
            shutil.rmtree(tmp, ignore_errors=True)
        else:
            for name in ("mosquitto.log", "haven-room.log"):
                path = os.path.join(tmp, name)
                if os.path.exists(path):
                    print("---- %s ----" % name)
                    with open(path, errors="replace") as f:
                        print(f.read()[-4000:])
            print("kept " + tmp)


def run_all(src, binary, tmp):
    root = os.path.join(tmp, "root")
    admin_home = os.path.join(tmp, "admin-home")
    broker_home = os.path.join(tmp, "broker-home")
    checkout = os.path.join(tmp, "checkout")
    for d in (root, admin_home, broker_home, os.path.join(checkout, "build/room")):
        os.makedirs(d)
    os.chmod(root, 0o755)
    for d in ("etc", "var/lib", "run", "usr/local/bin", "etc/mosquitto/conf.d",
              "etc/systemd/system"):
        os.makedirs(os.path.join(root, d), exist_ok=True)
    os.symlink(os.path.join(src, "scripts"), os.path.join(checkout, "scripts"))
    os.symlink(os.path.join(src, "config"), os.path.join(checkout, "config"))
    os.symlink(binary, os.path.join(checkout, "build/room/haven-room"))
    plain, tls = free_port(), free_port()
    while tls == plain:
        tls = free_port()
    os.environ.update(HV_TMP=tmp, HV_SRC=src, HV_BIN=binary, HV_PLAIN=str(plain),
                      HV_TLS=str(tls), HV_TEST=os.path.abspath(__file__),
                      HV_BROKER_HOME=broker_home)

    blocks = steps(os.path.join(src, "docs/deployment.md"))
    for i, (host, cmds) in enumerate(blocks, 1):
        home = admin_home if host == "admin" else broker_home
        script = PRELUDE + (moved(cmds, root) if host == "broker" else cmds)
        path = os.environ["PATH"]
        if host == "broker":
            path = os.path.join(root, "usr/local/bin") + ":" + path
        print("==== step block %d (%s) ====\n%s" % (i, host, cmds.rstrip()))
        sys.stdout.flush()
        p = subprocess.run(["bash", "-euo", "pipefail", "-c", script], cwd=checkout,
                           env=dict(os.environ, HOME=home, PATH=path))
        if p.returncode != 0:
            die("deploy-step block %d (%s) exited %d" % (i, host, p.returncode))
    print("ran %d deploy-step blocks of docs/deployment.md" % len(blocks))

    # ---- where the files are, and whose ----------------------------------------------
    ca = os.path.join(admin_home, "haven-ca")
    if not os.path.exists(os.path.join(ca, "ca.key")):
        die("no ca.key on the admin machine")
    on_broker = [os.path.join(d, f) for top in (root, broker_home) for d, _, fs in os.walk(top)
                 for f in fs]
    if any(os.path.basename(f) == "ca.key" for f in on_broker):
        die("ca.key reached the broker host")
    creds = os.path.join(root, "etc/mosquitto/haven")
    want = {
        creds: ("root", "mosquitto", 0o750),
        creds + "/passwd": ("root", "mosquitto", 0o640),
        creds + "/acl": ("root", "mosquitto", 0o640),
        creds + "/secrets": ("root", "root", 0o700),
        creds + "/tls": ("root", "mosquitto", 0o750),
        creds + "/tls/broker.key": ("root", "mosquitto", 0o640),
        creds + "/tls/ca.crt": ("root", "root", 0o644),
        creds + "/tls/crl.pem": ("root", "root", 0o644),
        root + "/etc/haven/secrets/controller-room-1.pass": ("root", "root", 0o600),
        root + "/var/lib/mosquitto": ("mosquitto", "mosquitto", 0o700),
    }
    for path, (user, group, mode) in want.items():
        got = mode_of(path)
        if got != (user, group, mode):
            die("%s is %s:%s %04o, the docs say %s:%s %04o" % (path, *got, user, group, mode))
    print("files: ca.key only on the admin machine; %d paths owned as the docs say" % len(want))

    # ---- the broker runs as its own user -------------------------------------------------
    with open(os.path.join(tmp, "mosquitto.pid")) as f:
        bpid = int(f.read())
    with open("/proc/%d/status" % bpid) as f:
        uid = int(re.search(r"(?m)^Uid:\s+(\d+)", f.read()).group(1))
    if uid != pwd.getpwnam("mosquitto").pw_uid:
        die("the broker runs as uid %d, not mosquitto" % uid)
    print("broker: pid %d, user mosquitto, listeners 127.0.0.1:%d (plain) and :%d (TLS)"
          % (bpid, plain, tls))

    def secret(user):
        with open(os.path.join(creds, "secrets", user + ".pass")) as f:
            return f.readline().strip()

    def tls_opts(user):
        return ["-p", str(tls), "--cafile", os.path.join(ca, "ca.crt"), "--cert",
                os.path.join(ca, user + ".crt"), "--key", os.path.join(ca, user + ".key")]

    # ---- the controller the unit started is online -----------------------------------------
    rc, out = mqtt(["-p", str(plain), "-u", "station", "-P", secret("station"), "-t",
                    "haven/controller/room-1/status", "-C", "1", "-W", str(int(DEADLINE))])
    if rc != 0 or '"online":true' not in out.replace(" ", ""):
        die("no online status from the controller the unit started (rc %d): %s" % (rc, out))
    print("controller (from the unit, as nobody, its LoadCredential password): online: "
          + out.strip())
    with open(os.path.join(tmp, "haven-room.pid")) as f:
        cpid = int(f.read())
    os.kill(cpid, 0)
    stop(os.path.join(tmp, "haven-room.pid"))

    # ---- the controller's login on both listeners; and what is refused ---------------------
    topic = ["-t", "haven/controller/room-1/status", "-E"]
    rc, out = mqtt(["-p", str(plain), "-u", "controller-room-1", "-P",
                    secret("controller-room-1")] + topic)
    if rc != 0:
        die("the controller's login on the plain listener: rc %d %s" % (rc, out))
    rc, out = mqtt(tls_opts("controller-room-1") + topic)
    if rc != 0:
        die("the controller's certificate on the TLS listener: rc %d %s" % (rc, out))
    print("controller-room-1: accepted on the plain listener (password) and the TLS listener "
          "(certificate)")
    rc, out = mqtt(["-p", str(plain), "-u", "controller-room-1", "-P", "wrong"] + topic)
    if rc == 0:
        die("a wrong password was accepted")
    rc, out = mqtt(["-p", str(tls), "--cafile", os.path.join(ca, "ca.crt"), "-u",
                    "controller-room-1", "-P", secret("controller-room-1")] + topic)
    if rc == 0:
        die("a TLS client without a certificate was accepted")
    print("refused: a wrong password (plain), a client without a certificate (TLS)")
    print("PASS")


if __name__ == "__main__":
    main()
