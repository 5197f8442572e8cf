/*
 * bench_kiosk.c - how fast the patient's screen comes up, and what the kiosk
 * costs while nothing happens.
 *
 *   bench_kiosk [--seconds N] [--runs N] [--size WxH] [--drivers LIST]
 *
 *   --seconds N     the idle window on the infusion screen (default 60)
 *   --runs N        starts timed to the first frame (default 5)
 *   --size WxH      the kiosk's window (default 1280x800, a 10" chair screen)
 *   --drivers LIST  setups, comma-separated, from dummy, x11, native
 *                   (default: dummy, and x11 when Xvfb is installed)
 *
 * Everything is real: a private Mosquitto broker (as the test harness
 * configures it), haven-room on the test clinic, and haven-kiosk for
 * chair-N, started as systemd would (no test control FIFO).  Per setup:
 *
 *   1. first frame: the kiosk is started --runs times (its state kept from
 *      one start to the next, as across a reboot; the first start is on an
 *      empty state dir).  Two figures per start: the kiosk's own "first frame
 *      after N ms" (from main() to the first present), and the wall time from
 *      just before fork() to that line in its log (seen through inotify), which
 *      adds fork, exec, the dynamic loader and the log write.
 *   2. idle: the last kiosk is given a visit (kiosk/cmd begin_visit, then
 *      phase infusion), left 2 s to settle, then its CPU time is taken over
 *      --seconds as a percentage of one core, two ways: utime + stime from
 *      /proc/PID/stat (clock ticks, what top shows) and the time on a CPU from
 *      each thread's /proc/.../schedstat (nanoseconds).  Each thread's share,
 *      wake-ups (context switches) per second and the system call it sleeps
 *      in say what wakes it.  The broker's CPU over the same window is the
 *      reference (a process that also sits on sockets with nothing to do);
 *      haven-room's, and under x11 the X server's, are printed too.  Then
 *      the visit is ended before the kiosk stops, so the controller pages no
 *      kiosk_offline call through the next setup's window.
 *   3. memory at the end of the window: VmRSS and VmHWM (peak), split into
 *      anonymous memory and mapped files, the PSS, the largest mappings, and
 *      which GL libraries the kiosk has loaded.
 *   4. music: the visit moves to recovery, whose playlist (our own OGG
 *      tracks in assets/audio) plays; after the fade in, the kiosk's CPU over
 *      the same --seconds, per thread, and its ratio to the silent window of
 *      step 2 (the infusion is silent in the bench's config, the audio
 *      device open all the same).  Audio goes to SDL's disk driver writing to
 *      /dev/null in real time, so the mixer and the Vorbis decoder run at the
 *      pace of a sound card.
 *
 * Setups: "dummy" is SDL's dummy driver, as in the tests (software rendering,
 * no display).  SDL 2.26 has no native event wait for it, so
 * SDL_WaitEventTimeout polls with SDL_Delay(1): its idle CPU is SDL's poll,
 * not the kiosk's.  "x11" runs the kiosk on an Xvfb server this program
 * starts (SDL_VIDEODRIVER=x11), where SDL waits on the X connection as it
 * does under X11 or Wayland on a chair, and the kiosk renders as it does
 * there (in software: kiosk/ui/ui.c says why).  "native" uses the display this
 * program runs on, to measure on a chair's own screen.
 *
 * The aims of the kiosk issue (first frame < 300 ms, idle CPU < 1 % of a
 * core, RSS < 60 MB) are printed as met or not; they never fail the run.
 * Exit status: 0 when every measurement could be taken, 1 when not (a kiosk
 * that did not start, a lost status), 2 on a usage error.  ctest runs it
 * short (label bench) so it keeps working.
 */
#include "room_fixture.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>

#ifndef HAVEN_KIOSK_BIN
#error "HAVEN_KIOSK_BIN must name the haven-kiosk binary"
#endif

#define MAX_RUNS      50
#define MAX_THREADS   16
#define MAX_MAPPINGS  256            /* distinct files mapped, for the largest */
#define SETTLE_MS     2000
#define FRAME_WAIT_MS 10000
#define AIM_FRAME_MS  300.0
#define AIM_CPU_PCT   1.0
#define AIM_RSS_KB    (60 * 1024L)

struct options {
    int seconds, runs, w, h;
    const char *drivers;         /* --drivers, or NULL: dummy, and x11 if Xvfb is found */
};

/* ---- /proc ------------------------------------------------------------------- */

/* A process's or thread's CPU time: path is /proc/PID or /proc/PID/task/TID. */
struct cpu {
    long long ticks;             /* utime + stime from stat, in clock ticks; -1 if gone */
    long long ns;                /* time on a CPU from schedstat (exact); -1 if unavailable */
};

/* The first line of a small /proc file, newline stripped; "" if unreadable. */
static void read_line(const char *path, const char *name, char *out, size_t len)
{
    char file[352];
    FILE *f;

    snprintf(file, sizeof file, "%s/%s", path, name);
    out[0] = '\0';
    if ((f = fopen(file, "r"))) {
        if (!fgets(out, (int)len, f))
            out[0] = '\0';
        fclose(f);
    }
    out[strcspn(out, "\n")] = '\0';
}

/* utime + stime of path (/proc/PID or /proc/PID/task/TID), in ticks; -1. */
static long long stat_ticks(const char *path)
{
    unsigned long long ut, st;
    char buf[1024];

    read_line(path, "stat", buf, sizeof buf);
    const char *p = strrchr(buf, ')');  /* comm may hold spaces */
    /* After ")": state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt,
     * then utime stime. */
    if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut, &st) != 2)
        return -1;
    return (long long)(ut + st);
}

/* A thread's time on a CPU in ns (first field of schedstat); -1. */
static long long sched_ns(const char *path)
{
    char buf[128];
    long long ns;

    read_line(path, "schedstat", buf, sizeof buf);
    return sscanf(buf, "%lld", &ns) == 1 ? ns : -1;
}

/* A "Key:   N" line of path/name (kB or a count); -1 if absent. */
static long proc_field(const char *path, const char *name, const char *key)
{
    char file[352], line[256];
    size_t klen = strlen(key);
    long v = -1;
    FILE *f;

    snprintf(file, sizeof file, "%s/%s", path, name);
    if (!(f = fopen(file, "r")))
        return -1;
    while (fgets(line, sizeof line, f))
        if (strncmp(line, key, klen) == 0 && line[klen] == ':') {
            v = strtol(line + klen + 1, NULL, 10);
            break;
        }
    fclose(f);
    return v;
}

static long status_field(const char *path, const char *key)
{
    return proc_field(path, "status", key);
}

/* The name of the system call a thread sleeps in (from /proc/.../syscall). */
static const char *syscall_name(const char *path)
{
    static char buf[32];
    static const struct { long nr; const char *name; } names[] = {
#ifdef SYS_poll
        { SYS_poll, "poll" },
#endif
#ifdef SYS_select
        { SYS_select, "select" },
#endif
        { SYS_ppoll, "ppoll" }, { SYS_pselect6, "pselect6" }, { SYS_futex, "futex" },
        { SYS_rt_sigtimedwait, "rt_sigtimedwait" }, { SYS_nanosleep, "nanosleep" },
        { SYS_clock_nanosleep, "clock_nanosleep" }, { SYS_read, "read" },
        { SYS_epoll_pwait, "epoll_pwait" },
    };
    char line[256];
    long nr;

    read_line(path, "syscall", line, sizeof line);
    if (sscanf(line, "%ld", &nr) != 1)
        return line[0] ? "(running)" : "?";
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (names[i].nr == nr)
            return names[i].name;
    snprintf(buf, sizeof buf, "syscall %ld", nr);
    return buf;
}

/* ---- threads ----------------------------------------------------------------- */

struct thread_sample {
    long tid;
    char comm[32];
    struct cpu cpu;
    long switches;               /* voluntary + involuntary context switches: its wake-ups */
};

/* Samples every thread of pid into t[]; returns how many (at most MAX_THREADS). */
static int sample_threads(pid_t pid, struct thread_sample *t)
{
    char dir[48], path[320];
    struct dirent *e;
    DIR *d;
    int n = 0;

    snprintf(dir, sizeof dir, "/proc/%ld/task", (long)pid);
    if (!(d = opendir(dir)))
        return 0;
    while ((e = readdir(d)) && n < MAX_THREADS) {
        if (!isdigit((unsigned char)e->d_name[0]))
            continue;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        t[n].tid = strtol(e->d_name, NULL, 10);
        read_line(path, "comm", t[n].comm, sizeof t[n].comm);
        t[n].cpu.ticks = stat_ticks(path);
        t[n].cpu.ns = sched_ns(path);
        t[n].switches = status_field(path, "voluntary_ctxt_switches") +
                        status_field(path, "nonvoluntary_ctxt_switches");
        n++;
    }
    closedir(d);
    return n;
}

/* A process's CPU time: ticks from its stat, ns summed over its threads' schedstat. */
static struct cpu proc_cpu(pid_t pid)
{
    struct thread_sample t[MAX_THREADS];
    struct cpu c = { -1, 0 };
    char path[48];
    int n;

    if (pid <= 0)
        return (struct cpu){ -1, -1 };
    snprintf(path, sizeof path, "/proc/%ld", (long)pid);
    c.ticks = stat_ticks(path);
    n = sample_threads(pid, t);
    for (int i = 0; i < n; i++)
        c.ns = t[i].cpu.ns < 0 || c.ns < 0 ? -1 : c.ns + t[i].cpu.ns;
    if (n == 0)
        c.ns = -1;
    return c;
}

/* Percent of one core between two samples over secs: by run time if known, else by ticks. */
static double cpu_pct(struct cpu a, struct cpu b, double secs)
{
    if (a.ns >= 0 && b.ns >= 0)
        return 100.0 * (double)(b.ns - a.ns) / 1e9 / secs;
    if (a.ticks >= 0 && b.ticks >= 0)
        return 100.0 * (double)(b.ticks - a.ticks) / (double)sysconf(_SC_CLK_TCK) / secs;
    return -1;
}

static double ticks_pct(struct cpu a, struct cpu b, double secs)
{
    return 100.0 * (double)(b.ticks - a.ticks) / (double)sysconf(_SC_CLK_TCK) / secs;
}

/* Prints each thread's CPU and wake-ups between the two samples. */
static void print_threads(pid_t pid, const struct thread_sample *a, int na,
                          const struct thread_sample *b, int nb, double secs)
{
    for (int j = 0; j < nb; j++) {
        const struct thread_sample *before = NULL;
        char path[96];
        for (int i = 0; i < na; i++)
            if (a[i].tid == b[j].tid)
                before = &a[i];
        if (!before)
            continue;  /* born during the window */
        snprintf(path, sizeof path, "/proc/%ld/task/%ld", (long)pid, b[j].tid);
        printf("%-18s   thread %-15s cpu %6.3f %%  %7.1f wake-ups/s  sleeps in %s\n", "",
               b[j].tid == pid ? "main (SDL)" : b[j].comm, cpu_pct(before->cpu, b[j].cpu, secs),
               (double)(b[j].switches - before->switches) / secs, syscall_name(path));
    }
}

/* The GL stack the process has mapped (Mesa's driver, LLVM), or "none". */
static void gl_libs(pid_t pid, char *out, size_t len)
{
    static const char *const wanted[] = { "_dri.so", "libLLVM", "libGLX_mesa", "libEGL_mesa",
                                          "libgallium", "libvulkan" };
    char path[48], line[1024];
    size_t o = 0;
    FILE *f;

    snprintf(path, sizeof path, "/proc/%ld/maps", (long)pid);
    out[0] = '\0';
    if (!(f = fopen(path, "r")))
        return;
    while (fgets(line, sizeof line, f)) {
        char *name = strrchr(line, '/');
        if (!name)
            continue;
        name[strcspn(name, "\n")] = '\0';
        for (size_t i = 0; i < sizeof wanted / sizeof wanted[0]; i++)
            if (strstr(name, wanted[i]) && !strstr(out, name + 1) && o + strlen(name) + 2 < len)
                o += (size_t)snprintf(out + o, len - o, "%s%s", o ? ", " : "", name + 1);
    }
    fclose(f);
    if (!out[0])
        snprintf(out, len, "none");
}

/* ---- Xvfb -------------------------------------------------------------------- */

struct xserver {
    hv_proc *proc;
    int display;
    char log[600];
};

static bool x_socket_accepts(int display)
{
    struct sockaddr_un a = { .sun_family = AF_UNIX };
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    bool ok;

    snprintf(a.sun_path, sizeof a.sun_path, "/tmp/.X11-unix/X%d", display);
    ok = fd >= 0 && connect(fd, (struct sockaddr *)&a, sizeof a) == 0;
    if (fd >= 0)
        close(fd);
    return ok;
}

static bool display_taken(int display)
{
    char path[64];
    struct stat st;

    snprintf(path, sizeof path, "/tmp/.X%d-lock", display);
    if (stat(path, &st) == 0)
        return true;
    snprintf(path, sizeof path, "/tmp/.X11-unix/X%d", display);
    return stat(path, &st) == 0;
}

/* Path of Xvfb on PATH, or NULL. */
static const char *xvfb_path(void)
{
    static char found[512];
    const char *path = getenv("PATH");
    char copy[2048], *save = NULL;

    snprintf(copy, sizeof copy, "%s", path ? path : "/usr/bin:/bin");
    for (char *d = strtok_r(copy, ":", &save); d; d = strtok_r(NULL, ":", &save)) {
        snprintf(found, sizeof found, "%s/Xvfb", d);
        if (access(found, X_OK) == 0)
            return found;
    }
    return NULL;
}

/* Starts Xvfb on the first free display from :90, w x h x 24. 0 or -1. */
static int x_start(struct xserver *x, const char *dir, int w, int h)
{
    const char *bin = xvfb_path();
    char disp[16], screen[32];

    memset(x, 0, sizeof *x);
    snprintf(x->log, sizeof x->log, "%s/xvfb.log", dir);
    snprintf(screen, sizeof screen, "%dx%dx24", w, h);
    for (int d = 90; bin && d < 190; d++) {
        if (display_taken(d))
            continue;
        snprintf(disp, sizeof disp, ":%d", d);
        char *const argv[] = { (char *)bin, disp, "-screen", "0", screen, "-nolisten", "tcp",
                               "-noreset", NULL };
        if (!(x->proc = hv_proc_spawn(argv, x->log)))
            return -1;
        for (int64_t end = hv_now_us() + 10000000; hv_now_us() < end; hv_sleep_ms(20)) {
            if (x_socket_accepts(d)) {
                x->display = d;
                return 0;
            }
            if (hv_proc_wait(x->proc, 0) >= 0)
                break;  /* lost a race for the display: try the next */
        }
        hv_proc_free(x->proc);
        x->proc = NULL;
    }
    return -1;
}

static void x_stop(struct xserver *x)
{
    if (x->proc)
        hv_proc_stop(x->proc);
    hv_proc_free(x->proc);
    x->proc = NULL;
}

/* ---- the kiosk --------------------------------------------------------------- */

/* How the kiosk is shown: an SDL video driver. */
struct setup {
    const char *name;            /* as --drivers takes it */
    const char *video;           /* SDL_VIDEODRIVER; NULL: as this program found it (native) */
    const char *note;
};

static const struct setup setups[] = {
    { "dummy", "dummy",
      "SDL's dummy driver, as in the tests: no display, software rendering; SDL 2.26 has no\n"
      "   event wait for it, so SDL_WaitEventTimeout polls (SDL_Delay(1))" },
    { "x11", "x11",
      "a real X server (Xvfb), the kiosk as it ships (software rendering, no GL); SDL waits\n"
      "   on the X connection, as on a chair" },
    { "native", NULL,
      "the display this program runs on (DISPLAY or WAYLAND_DISPLAY, SDL_VIDEODRIVER if set):\n"
      "   run it on a chair's screen to measure its GPU driver; only when asked for" },
};

/* The display this program was started with, for the native setup. */
static const char *orig_display, *orig_wayland, *orig_video;
#define NSETUPS (int)(sizeof setups / sizeof setups[0])

struct kiosk {
    const struct room_fixture *rf;
    const struct setup *setup;
    int display;                 /* for x11 */
    char room[16];
    char state[600], log[600];
    hv_proc *proc;
    double own_ms, wall_ms;      /* first frame of the last start */
};

/* Sets name to value, or unsets it if value is NULL. */
static void put_env(const char *name, const char *value)
{
    if (value)
        setenv(name, value, 1);
    else
        unsetenv(name);
}

/* Sets the environment the kiosk inherits for its setup (as the fixture does). */
static void set_env(const struct kiosk *k)
{
    char disp[16];

    snprintf(disp, sizeof disp, ":%d", k->display);
    setenv("SDL_AUDIODRIVER", "disk", 1);  /* real-time pace, like a sound card */
    setenv("SDL_DISKAUDIOFILE", "/dev/null", 1);
    if (!k->setup->video) {  /* native: as this program found it */
        put_env("SDL_VIDEODRIVER", orig_video);
        put_env("DISPLAY", orig_display);
        put_env("WAYLAND_DISPLAY", orig_wayland);
    } else {
        setenv("SDL_VIDEODRIVER", k->setup->video, 1);
        unsetenv("WAYLAND_DISPLAY");
        if (!strcmp(k->setup->video, "x11"))
            setenv("DISPLAY", disp, 1);
    }
    unsetenv("SDL_RENDER_DRIVER");
    unsetenv("SDL_FRAMEBUFFER_ACCELERATION");
}

/* Starts haven-kiosk as a chair would (no test control FIFO). 0 or -1. */
static int kiosk_spawn(struct kiosk *k, int w, int h)
{
    char broker[64], size[32];

    snprintf(broker, sizeof broker, "127.0.0.1:%d", k->rf->port);
    snprintf(size, sizeof size, "%dx%d", w, h);
    set_env(k);
    char *const argv[] = { HAVEN_KIOSK_BIN, "--config", (char *)k->rf->cfg_path, "--room", k->room,
                           "--broker", broker, "--windowed", size, "--state", k->state, NULL };
    k->proc = hv_proc_spawn(argv, k->log);
    return k->proc ? 0 : -1;
}

/* The kiosk's "first frame after N ms" in text, or -1. */
static double first_frame_in(const char *text)
{
    const char *p = text ? strstr(text, "first frame after ") : NULL;
    return p ? strtod(p + 18, NULL) : -1;
}

/*
 * Starts the kiosk and waits (inotify on its log, so no polling steals the
 * CPU it starts on) for its first-frame line.  Sets own_ms and wall_ms. 0 or -1.
 */
static int kiosk_start_timed(struct kiosk *k, int w, int h)
{
    int in = inotify_init1(IN_CLOEXEC);
    int rc = -1;

    if (in < 0 || hv_write_file(k->log, "") != 0 || inotify_add_watch(in, k->log, IN_MODIFY) < 0)
        goto out;
    int64_t t0 = hv_now_us(), end = t0 + (int64_t)FRAME_WAIT_MS * 1000;
    if (kiosk_spawn(k, w, h) != 0)
        goto out;
    while (hv_now_us() < end && hv_proc_wait(k->proc, 0) < 0) {
        struct pollfd p = { .fd = in, .events = POLLIN };
        char ev[4096], *log;
        if (poll(&p, 1, 100) > 0 && read(in, ev, sizeof ev) < 0 && errno != EAGAIN)
            break;
        int64_t seen = hv_now_us();
        log = hv_read_file(k->log);
        k->own_ms = first_frame_in(log);
        free(log);
        if (k->own_ms >= 0) {
            k->wall_ms = (double)(seen - t0) / 1000.0;
            rc = 0;
            break;
        }
    }
    if (rc != 0)
        fprintf(stderr, "bench_kiosk: no first frame from haven-kiosk (%s) in %d s\n",
                k->setup->name, FRAME_WAIT_MS / 1000);
out:
    if (in >= 0)
        close(in);
    return rc;
}

static void kiosk_stop(struct kiosk *k)
{
    if (k->proc)
        hv_proc_stop(k->proc);
    hv_proc_free(k->proc);
    k->proc = NULL;
}

/* Waits for the kiosk's retained status to say online and contain want. 0 or -1. */
static int wait_status(hv_client *c, const char *topic, const char *want, int timeout_ms)
{
    for (int64_t end = hv_now_us() + (int64_t)timeout_ms * 1000; hv_now_us() < end;) {
        char *m = hv_client_expect(c, topic, 500);
        bool found = m && strstr(m, "\"online\":true") && strstr(m, want);
        free(m);
        if (found)
            return 0;
    }
    return -1;
}

/* A nurse station on the broker following the kiosk's status; fills the topics. Or NULL. */
static hv_client *station(const struct kiosk *k, char *status, char *cmd, size_t len)
{
    hv_client *c = rf_client(k->rf, "bench-station");

    snprintf(status, len, "%s/room/%s/kiosk/status", k->rf->prefix, k->room);
    snprintf(cmd, len, "%s/room/%s/kiosk/cmd", k->rf->prefix, k->room);
    if (c && hv_client_sub(c, status, 1) != 0) {
        hv_client_free(c);
        return NULL;
    }
    return c;
}

/* Waits for the kiosk to be online, then takes it to the infusion phase of a visit. 0 or -1. */
static int kiosk_to_infusion(struct kiosk *k)
{
    char status[128], cmd[128];
    hv_client *c = station(k, status, cmd, sizeof status);
    int rc = -1;

    if (!c || wait_status(c, status, "", 10000) != 0)
        goto out;
    if (hv_client_pub(c, cmd, "{\"cmd\":\"begin_visit\",\"visit\":\"V-BENCH\",\"lang\":\"en\"}", 1,
                      false) != 0 ||
        wait_status(c, status, "\"phase\":\"intake\"", 5000) != 0)
        goto out;
    if (hv_client_pub(c, cmd, "{\"cmd\":\"phase\",\"phase\":\"infusion\"}", 1, false) != 0 ||
        wait_status(c, status, "\"phase\":\"infusion\"", 5000) != 0)
        goto out;
    rc = 0;
out:
    if (rc != 0)
        fprintf(stderr, "bench_kiosk: the kiosk (%s) did not reach the infusion phase\n",
                k->setup->name);
    hv_client_free(c);
    return rc;
}

/* Moves the visit to phase (a kiosk/cmd) and waits for the status to say so. 0 or -1. */
static int kiosk_to_phase(struct kiosk *k, const char *phase)
{
    char status[128], cmd[128], json[96], want[64];
    hv_client *c = station(k, status, cmd, sizeof status);
    int rc;

    snprintf(json, sizeof json, "{\"cmd\":\"phase\",\"phase\":\"%s\"}", phase);
    snprintf(want, sizeof want, "\"phase\":\"%s\"", phase);
    rc = c && hv_client_pub(c, cmd, json, 1, false) == 0 && wait_status(c, status, want, 5000) == 0
             ? 0 : -1;
    hv_client_free(c);
    return rc;
}

/*
 * Ends the visit before the kiosk stops, so the controller does not page a
 * kiosk_offline call (every 2 s on the test clinic) through the next setup's
 * idle window.
 */
static void kiosk_end_visit(struct kiosk *k)
{
    char status[128], cmd[128];
    hv_client *c = station(k, status, cmd, sizeof status);

    if (!c || hv_client_pub(c, cmd, "{\"cmd\":\"end_visit\"}", 1, false) != 0 ||
        wait_status(c, status, "\"phase\":\"idle\"", 5000) != 0)
        fprintf(stderr, "bench_kiosk: the kiosk (%s) did not end its visit\n", k->setup->name);
    hv_client_free(c);
}

/* ---- figures ----------------------------------------------------------------- */

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Prints "label v1 v2 ... ms  median=.. max=.." (nearest-rank median). Returns the max. */
static double print_series(const char *label, const double *v, int n)
{
    double s[MAX_RUNS];

    printf("%-18s %-13s", "", label);
    for (int i = 0; i < n; i++)
        printf(" %.0f", v[i]);
    memcpy(s, v, (size_t)n * sizeof *s);
    qsort(s, (size_t)n, sizeof *s, cmp_double);
    printf(" ms   median=%.0f ms  max=%.0f ms\n", s[(n + 1) / 2 - 1], s[n - 1]);
    return s[n - 1];
}

static const char *met(bool ok)
{
    return ok ? "met" : "NOT met";
}

struct idle_procs {
    pid_t kiosk, broker, room, xserver;  /* xserver: -1 if none */
};

/* The three mappings of pid with the most resident memory, as "name N kB, ...". */
static void largest_mappings(pid_t pid, char *out, size_t len)
{
    struct { char name[96]; long kb; } m[MAX_MAPPINGS] = { 0 }, top[3] = { 0 };
    char path[48], line[1024], cur[96] = "";
    int n = 0;
    FILE *f;

    snprintf(path, sizeof path, "/proc/%ld/smaps", (long)pid);
    out[0] = '\0';
    if (!(f = fopen(path, "r")))
        return;
    while (fgets(line, sizeof line, f)) {
        unsigned long lo, hi;
        char name[512] = "";
        long kb;
        if (sscanf(line, "%lx-%lx %*s %*s %*s %*s %511s", &lo, &hi, name) >= 2) {  /* a mapping */
            const char *base = strrchr(name, '/');
            /* a file name, cut to what the report prints */
            snprintf(cur, sizeof cur, "%.*s", (int)sizeof cur - 1,
                     name[0] ? (base ? base + 1 : name) : "[anon]");
        } else if (sscanf(line, "Rss: %ld kB", &kb) == 1) {
            int i = 0;
            while (i < n && strcmp(m[i].name, cur) != 0)
                i++;
            if (i == n && n < MAX_MAPPINGS)
                snprintf(m[n++].name, sizeof m[0].name, "%s", cur);
            if (i < n)
                m[i].kb += kb;
        }
    }
    fclose(f);
    for (int i = 0; i < n; i++)
        for (int t = 0; t < 3; t++)
            if (m[i].kb > top[t].kb) {
                memmove(&top[t + 1], &top[t], (size_t)(2 - t) * sizeof top[0]);
                top[t] = m[i];
                break;
            }
    for (int t = 0, o = 0; t < 3 && top[t].kb > 0 && (size_t)o < len; t++)
        o += snprintf(out + o, len - (size_t)o, "%s%s %ld kB", t ? ", " : "", top[t].name,
                      top[t].kb);
}

/* Prints the kiosk's memory at the end of the window, and the GL stack it has loaded. */
static void print_memory(pid_t pid)
{
    char path[48], text[512];
    long hwm;

    snprintf(path, sizeof path, "/proc/%ld", (long)pid);
    hwm = status_field(path, "VmHWM");
    printf("%-18s VmRSS %ld kB (anon %ld, files %ld, shmem %ld)  VmHWM %ld kB   aim < %ld MB: %s\n",
           "memory", status_field(path, "VmRSS"), status_field(path, "RssAnon"),
           status_field(path, "RssFile"), status_field(path, "RssShmem"), hwm, AIM_RSS_KB / 1024,
           met(hwm >= 0 && hwm < AIM_RSS_KB));
    largest_mappings(pid, text, sizeof text);
    printf("%-18s PSS %ld kB (shared pages split with the processes sharing them); largest: %s\n",
           "", proc_field(path, "smaps_rollup", "Pss"), text);
    gl_libs(pid, text, sizeof text);
    printf("%-18s %s\n", "gl libs mapped", text);
}

/*
 * Measures the idle window and prints CPU and memory; *pct gets the kiosk's
 * CPU (schedstat, % of a core).  Returns 0, or -1 if the kiosk died.
 */
static int measure_idle(const struct idle_procs *p, int seconds, double *pct)
{
    struct thread_sample ta[MAX_THREADS], tb[MAX_THREADS];

    struct cpu k0 = proc_cpu(p->kiosk), b0 = proc_cpu(p->broker), r0 = proc_cpu(p->room);
    struct cpu x0 = proc_cpu(p->xserver);
    int na = sample_threads(p->kiosk, ta);
    int64_t t0 = hv_now_us();
    hv_sleep_ms(seconds * 1000);
    double secs = (double)(hv_now_us() - t0) / 1e6;
    struct cpu k1 = proc_cpu(p->kiosk), b1 = proc_cpu(p->broker), r1 = proc_cpu(p->room);
    struct cpu x1 = proc_cpu(p->xserver);
    int nb = sample_threads(p->kiosk, tb);
    if (k0.ticks < 0 || k1.ticks < 0)
        return -1;

    double run = cpu_pct(k0, k1, secs), ticks = ticks_pct(k0, k1, secs);
    *pct = run;
    printf("idle %-13.1f kiosk cpu %.3f %% of a core by run time (schedstat); by clock ticks "
           "%.3f %% (%lld)   aim < %.0f %%: %s\n", secs, run, ticks, k1.ticks - k0.ticks,
           AIM_CPU_PCT, met(run < AIM_CPU_PCT && ticks < AIM_CPU_PCT));
    print_threads(p->kiosk, ta, na, tb, nb, secs);
    printf("%-18s reference, same window: broker cpu %.3f %%, haven-room %.3f %%", "",
           cpu_pct(b0, b1, secs), cpu_pct(r0, r1, secs));
    if (p->xserver > 0)
        printf(", Xvfb %.3f %%", cpu_pct(x0, x1, secs));
    printf("\n");
    print_memory(p->kiosk);
    return 0;
}

/*
 * The kiosk's CPU while its music plays (recovery's playlist), over seconds,
 * against the silent window before.  Returns 0, or -1 if the kiosk died.
 */
static int measure_music(const struct idle_procs *p, int seconds, double silent_pct)
{
    struct thread_sample ta[MAX_THREADS], tb[MAX_THREADS];
    struct cpu k0 = proc_cpu(p->kiosk), b0 = proc_cpu(p->broker);
    int na = sample_threads(p->kiosk, ta);
    int64_t t0 = hv_now_us();

    hv_sleep_ms(seconds * 1000);
    double secs = (double)(hv_now_us() - t0) / 1e6;
    struct cpu k1 = proc_cpu(p->kiosk), b1 = proc_cpu(p->broker);
    int nb = sample_threads(p->kiosk, tb);
    if (k0.ticks < 0 || k1.ticks < 0)
        return -1;
    double run = cpu_pct(k0, k1, secs);
    printf("music %-12.1f kiosk cpu %.3f %% of a core by run time (schedstat); by clock ticks "
           "%.3f %%; %.1fx the silent window (%.3f %%)\n", secs, run, ticks_pct(k0, k1, secs),
           silent_pct > 0 ? run / silent_pct : 0, silent_pct);
    print_threads(p->kiosk, ta, na, tb, nb, secs);
    printf("%-18s reference, same window: broker cpu %.3f %%\n", "", cpu_pct(b0, b1, secs));
    char path[48];
    snprintf(path, sizeof path, "/proc/%ld", (long)p->kiosk);
    printf("%-18s VmRSS %ld kB while playing\n", "", status_field(path, "VmRSS"));
    return 0;
}

/* ---- one setup --------------------------------------------------------------- */

/* Starts, times and idles the kiosk for one setup, in room chair-<room_no>. 0 or -1. */
static int bench_setup(const struct room_fixture *rf, const struct setup *s, int room_no,
                       const struct xserver *x, const struct options *o)
{
    struct kiosk k = { .rf = rf, .setup = s, .display = x ? x->display : 0 };
    double own[MAX_RUNS], wall[MAX_RUNS];
    int rc = -1;

    snprintf(k.room, sizeof k.room, "chair-%d", room_no);
    snprintf(k.state, sizeof k.state, "%s/state-%s", rf->dir, s->name);
    snprintf(k.log, sizeof k.log, "%s/kiosk-%s.log", rf->dir, s->name);
    printf("\n== %s (%s): %s\n", s->name, k.room, s->note);
    fflush(stdout);
    for (int i = 0; i < o->runs; i++) {
        if (i > 0)
            kiosk_stop(&k);
        if (kiosk_start_timed(&k, o->w, o->h) != 0)
            goto out;
        own[i] = k.own_ms;
        wall[i] = k.wall_ms;
    }
    printf("first frame\n");
    double own_max = print_series("kiosk's own", own, o->runs);
    double wall_max = print_series("spawn->line", wall, o->runs);
    printf("%-18s aim < %.0f ms: %s (by the max of both)\n", "", AIM_FRAME_MS,
           met(own_max < AIM_FRAME_MS && wall_max < AIM_FRAME_MS));
    fflush(stdout);
    if (kiosk_to_infusion(&k) != 0)
        goto out;
    hv_sleep_ms(SETTLE_MS);
    struct idle_procs p = { hv_proc_pid(k.proc), hv_broker_pid(rf->broker), hv_proc_pid(rf->room),
                            x ? hv_proc_pid(x->proc) : -1 };
    double silent;
    rc = measure_idle(&p, o->seconds, &silent);
    fflush(stdout);
    if (rc == 0 && (kiosk_to_phase(&k, "recovery") != 0 || (hv_sleep_ms(SETTLE_MS + 2000),
                                                            measure_music(&p, o->seconds,
                                                                          silent)) != 0))
        rc = -1;
    fflush(stdout);
    kiosk_end_visit(&k);
out:
    kiosk_stop(&k);
    if (rc != 0) {
        char *log = hv_read_file(k.log);
        fprintf(stderr, "---- haven-kiosk log (%s) ----\n%s---- end ----\n", s->name,
                log ? log : "(none)\n");
        free(log);
    }
    return rc;
}

/* ---- main -------------------------------------------------------------------- */

static int parse_int(const char *arg, const char *value, int min, int max)
{
    char *end;
    long v = value ? strtol(value, &end, 10) : 0;

    if (!value || *end || v < min || v > max) {
        fprintf(stderr, "bench_kiosk: %s takes a number from %d to %d\n", arg, min, max);
        return -1;
    }
    return (int)v;
}

/* Whether list (comma-separated) names name. */
static bool listed(const char *list, const char *name)
{
    size_t n = strlen(name);

    for (const char *p = list; p && *p; p += strcspn(p, ",") + (p[strcspn(p, ",")] == ',')) {
        if (strncmp(p, name, n) == 0 && (p[n] == ',' || p[n] == '\0'))
            return true;
    }
    return false;
}

static int usage(void)
{
    fprintf(stderr, "usage: bench_kiosk [--seconds N] [--runs N] [--size WxH]"
                    " [--drivers dummy,x11,native]\n");
    return 2;
}

static int parse_args(int argc, char **argv, struct options *o)
{
    *o = (struct options){ .seconds = 60, .runs = 5, .w = 1280, .h = 800 };
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--seconds") && (o->seconds = parse_int(a, v, 1, 3600)) > 0)
            i++;
        else if (!strcmp(a, "--runs") && (o->runs = parse_int(a, v, 1, MAX_RUNS)) > 0)
            i++;
        else if (!strcmp(a, "--size") && v && sscanf(v, "%dx%d", &o->w, &o->h) == 2 &&
                 o->w >= 320 && o->h >= 240)
            i++;
        else if (!strcmp(a, "--drivers") && v)
            o->drivers = argv[++i];
        else
            return usage();
    }
    for (int s = 0; o->drivers && s < NSETUPS; s++)
        if (listed(o->drivers, setups[s].name))
            return 0;
    return o->drivers ? usage() : 0;
}

/* Whether setup s runs: as --drivers says, else all but native (the x11 ones if Xvfb is there). */
static bool wanted(const struct options *o, const struct setup *s, bool x11)
{
    if (o->drivers)
        return listed(o->drivers, s->name);
    if (x11 && !xvfb_path())
        printf("\n== %s: skipped, no Xvfb on PATH (scripts/deps installs xvfb)\n", s->name);
    return s->video && (!x11 || xvfb_path());
}

/* Runs every requested setup; the x11 ones on an Xvfb of our own. 0, or 1 if one failed. */
static int run_setups(const struct room_fixture *rf, const struct options *o)
{
    struct xserver x = { 0 };
    bool have_x = false;
    int failed = 0;

    for (int s = 0; s < NSETUPS; s++) {
        bool x11 = setups[s].video && !strcmp(setups[s].video, "x11");
        if (!wanted(o, &setups[s], x11))
            continue;
        if (x11 && !have_x) {
            if (x_start(&x, rf->dir, o->w, o->h) != 0) {
                fprintf(stderr, "bench_kiosk: cannot start Xvfb (%s); scripts/deps installs xvfb\n",
                        xvfb_path() ? x.log : "not on PATH");
                failed = 1;
                continue;
            }
            have_x = true;
            printf("\nXvfb :%d (%dx%dx24)\n", x.display, o->w, o->h);
        }
        failed |= bench_setup(rf, &setups[s], s + 1, x11 ? &x : NULL, o) != 0;
    }
    x_stop(&x);
    return failed;
}

int main(int argc, char **argv)
{
    struct options o;
    struct room_fixture f;
    int rc;

    if ((rc = parse_args(argc, argv, &o)) != 0)
        return rc;
    signal(SIGPIPE, SIG_IGN);
    orig_display = getenv("DISPLAY") ? strdup(getenv("DISPLAY")) : NULL;
    orig_wayland = getenv("WAYLAND_DISPLAY") ? strdup(getenv("WAYLAND_DISPLAY")) : NULL;
    orig_video = getenv("SDL_VIDEODRIVER") ? strdup(getenv("SDL_VIDEODRIVER")) : NULL;
    printf("haven bench_kiosk: first frame x%d, then %d s idle on the infusion screen, per SDL "
           "video setup\n", o.runs, o.seconds);
    printf("haven-kiosk: %s --windowed %dx%d\n", HAVEN_KIOSK_BIN, o.w, o.h);
    printf("broker: %s, private (as the test harness configures it); haven-room on the test "
           "clinic\n", hv_mosquitto_path());
    fflush(stdout);
    /* The test clinic, and our own tracks in recovery only: the infusion window stays silent. */
    char *cfg = rf_default_config("%PREFIX%",
        "kiosk = { sound = { assets = \"" HAVEN_SOURCE_DIR "/assets/audio\"; volume = 40;\n"
        "  playlists = { calm = { files = [ \"drone-low.ogg\", \"pad-warm.ogg\" ]; }; };\n"
        "  phases = { recovery = \"calm\"; }; }; };\n");
    rc = cfg ? rf_start(&f, cfg, true) : -1;
    free(cfg);
    if (rc != 0) {
        fprintf(stderr, "bench_kiosk: cannot start the broker and haven-room\n");
        rf_finish(&f);
        return 1;
    }
    rc = run_setups(&f, &o);
    rf_finish(&f);
    if (!rc)
        printf("\nA chair runs the kiosk under Wayland (cage) or X11, where SDL waits natively:\n"
               "x11 stands for it; dummy is the tests' driver, whose idle CPU is SDL's 1 ms poll.\n");
    return rc;
}
