/*
 * harness.c - the brokers, child processes and MQTT clients of harness.h.
 *
 * Child processes are started with fork() + execv() from a process that may
 * already run libmosquitto network threads, so between the two the child only
 * makes async-signal-safe calls (dup2, close, prctl, sigprocmask, execv,
 * write, _exit). Everything else (opening the log, finding the fd limit) is
 * done before the fork. A close-on-exec pipe tells the parent whether the
 * exec worked; the child closes every other inherited descriptor so that a
 * program under test never holds a test client's socket (or CTest's output
 * pipe) open.
 *
 * A broker is a hv_proc running `mosquitto -c <tmpdir>/mosquitto.conf`. It
 * counts as up once the kernel shows that very process listening on the port
 * (checked through /proc), so a foreign process that grabbed the port in the
 * moment between hv_free_port() and mosquitto's bind() is not mistaken for
 * it; in that case a new port is tried.
 *
 * An hv_client's libmosquitto callbacks run on its network thread and only
 * update the client's state under its mutex and signal its condition
 * variable: received messages are appended to a queue, and completed
 * publishes/subscribes go into a small ring of (mid, result) pairs that the
 * waiting test thread looks its mid up in. A ring rather than "the mid being
 * waited for" because a completion may arrive before mosquitto_publish() has
 * even returned the mid. The only mosquitto calls made from a callback are
 * the re-subscriptions in on_connect after a reconnect.
 */
#include "harness.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <mosquitto.h>
#include <netinet/in.h>
#include <pthread.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define HV_WAIT_MS 5000      /* the default bound on every wait */
#define HV_START_ATTEMPTS 5  /* fresh ports tried by hv_broker_start */

/* ======================================================================== */
/* misc                                                                     */
/* ======================================================================== */

int64_t hv_now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

void hv_sleep_ms(int ms)
{
    if (ms <= 0)
        return;
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

/* Returns a malloc'd printf-formatted string (aborts on out-of-memory). */
__attribute__((format(printf, 1, 2)))
static char *xasprintf(const char *fmt, ...)
{
    va_list ap, ap2;
    va_start(ap, fmt);
    va_copy(ap2, ap);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    char *s = (n >= 0) ? malloc((size_t)n + 1) : NULL;
    if (!s) {
        fputs("harness: out of memory\n", stderr);
        abort();
    }
    vsnprintf(s, (size_t)n + 1, fmt, ap2);
    va_end(ap2);
    return s;
}

/* Returns a malloc'd copy of s (aborts on out-of-memory). */
static char *xstrdup(const char *s)
{
    char *d = strdup(s);
    if (!d) {
        fputs("harness: out of memory\n", stderr);
        abort();
    }
    return d;
}

char *hv_tmpdir(const char *tag)
{
    const char *base = getenv("TMPDIR");
    if (!base || !*base)
        base = "/tmp";
    char *path = xasprintf("%s/haven-%s-XXXXXX", base, tag ? tag : "test");
    if (!mkdtemp(path)) {
        fprintf(stderr, "harness: mkdtemp(%s): %s\n", path, strerror(errno));
        free(path);
        return NULL;
    }
    return path;
}

int hv_rm_rf(const char *path)
{
    struct stat st;
    if (lstat(path, &st) != 0)
        return errno == ENOENT ? 0 : -1;
    if (!S_ISDIR(st.st_mode))
        return unlink(path) == 0 ? 0 : -1;

    int rc = 0;
    DIR *d = opendir(path);
    if (!d)
        return -1;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        char *sub = xasprintf("%s/%s", path, e->d_name);
        if (hv_rm_rf(sub) != 0)
            rc = -1;
        free(sub);
    }
    closedir(d);
    if (rmdir(path) != 0)
        rc = -1;
    return rc;
}

int hv_write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    if (!f)
        return -1;
    size_t n = strlen(text);
    int rc = (fwrite(text, 1, n, f) == n) ? 0 : -1;
    if (fclose(f) != 0)
        rc = -1;
    return rc;
}

char *hv_read_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    size_t cap = 4096, len = 0;
    char *buf = malloc(cap);
    while (buf) {
        size_t got = fread(buf + len, 1, cap - len - 1, f);
        len += got;
        if (got == 0)
            break;
        if (cap - len - 1 == 0) {
            char *nb = realloc(buf, cap * 2);
            if (!nb) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = nb;
            cap *= 2;
        }
    }
    if (buf && ferror(f)) {
        free(buf);
        buf = NULL;
    }
    fclose(f);
    if (buf)
        buf[len] = '\0';
    return buf;
}

/* Returns a CLOCK_MONOTONIC timespec ms milliseconds from now. */
static struct timespec deadline_in(int ms)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    ts.tv_sec += ms / 1000;
    ts.tv_nsec += (long)(ms % 1000) * 1000000L;
    if (ts.tv_nsec >= 1000000000L) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000L;
    }
    return ts;
}

/* Returns true once the CLOCK_MONOTONIC time dl has passed. */
static bool past(const struct timespec *dl)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return now.tv_sec > dl->tv_sec ||
           (now.tv_sec == dl->tv_sec && now.tv_nsec >= dl->tv_nsec);
}

/* Copies the file at path to stderr under a header, if it has content. */
static void dump_file(const char *path)
{
    char *text = hv_read_file(path);
    if (text && *text)
        fprintf(stderr, "----- %s -----\n%s%s----- end -----\n", path, text,
                text[strlen(text) - 1] == '\n' ? "" : "\n");
    free(text);
}

/* ======================================================================== */
/* spawning                                                                 */
/* ======================================================================== */

/* What the spawned side reports through the close-on-exec pipe. */
struct spawn_note {
    int kind; /* NOTE_PID: val is the detached pid; NOTE_ERRNO: val = errno */
    int val;
};
enum { NOTE_PID = 1, NOTE_ERRNO = 2 };

/* Sets FD_CLOEXEC on fd. Returns 0 or -1. */
static int set_cloexec(int fd)
{
    int fl = fcntl(fd, F_GETFD);
    return (fl < 0 || fcntl(fd, F_SETFD, fl | FD_CLOEXEC) < 0) ? -1 : 0;
}

/* In the forked child: closes every descriptor >= 3 except keep. */
static void child_close_fds(int keep, int maxfd)
{
#ifdef SYS_close_range
    bool ok = true;
    if (keep > 3 && syscall(SYS_close_range, 3u, (unsigned)keep - 1, 0u) != 0)
        ok = false;
    if (ok && syscall(SYS_close_range, (unsigned)keep + 1, ~0u, 0u) == 0)
        return;
#endif
    for (int fd = 3; fd < maxfd; fd++)
        if (fd != keep)
            close(fd);
}

/* In the forked child: redirects stdio, closes other descriptors, and execs
 * argv; reports errno through notefd and exits 127 if the exec fails. */
__attribute__((noreturn))
static void child_exec(char *const argv[], int nullfd, int logfd, int notefd,
                       int maxfd, bool pdeath, pid_t parent)
{
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    struct sigaction dfl;
    memset(&dfl, 0, sizeof dfl);
    dfl.sa_handler = SIG_DFL;
    sigaction(SIGPIPE, &dfl, NULL); /* the harness ignores it; undo that */

    if (pdeath) {
        /* Die with the test: no orphaned brokers or rooms after a crash. */
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != parent)
            _exit(127);
    }
    if (nullfd >= 0)
        dup2(nullfd, 0);
    if (logfd >= 0) {
        dup2(logfd, 1);
        dup2(logfd, 2);
    }
    child_close_fds(notefd, maxfd);
    execv(argv[0], argv);

    struct spawn_note note = {NOTE_ERRNO, errno};
    ssize_t w = write(notefd, &note, sizeof note);
    (void)w;
    _exit(127);
}

/* Starts argv[0]; detach selects setsid + double fork. Stores the pid of the
 * process running argv in *pid_out. Returns 0, or -1 (message on stderr). */
static int spawn(char *const argv[], const char *log_path, bool detach,
                 pid_t *pid_out)
{
    int nullfd = -1, logfd = -1, notes[2] = {-1, -1};
    int rc = -1;

    if (!argv || !argv[0]) {
        fputs("harness: spawn: empty argv\n", stderr);
        return -1;
    }
    struct rlimit rl;
    int maxfd = 1024;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY)
        maxfd = rl.rlim_cur > 65536 ? 65536 : (int)rl.rlim_cur;

    nullfd = open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (log_path) {
        logfd = open(log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
        if (logfd < 0) {
            fprintf(stderr, "harness: open(%s): %s\n", log_path,
                    strerror(errno));
            goto out;
        }
    }
    if (pipe(notes) != 0 || set_cloexec(notes[0]) || set_cloexec(notes[1])) {
        fprintf(stderr, "harness: pipe: %s\n", strerror(errno));
        goto out;
    }

    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid < 0) {
        fprintf(stderr, "harness: fork: %s\n", strerror(errno));
        goto out;
    }
    if (pid == 0) {
        if (!detach)
            child_exec(argv, nullfd, logfd, notes[1], maxfd, true, parent);
        /* Detached: a new session, then a grandchild that init adopts. */
        setsid();
        pid_t gc = fork();
        if (gc == 0)
            child_exec(argv, nullfd, logfd, notes[1], maxfd, false, 0);
        struct spawn_note note = {gc < 0 ? NOTE_ERRNO : NOTE_PID,
                                  gc < 0 ? errno : (int)gc};
        ssize_t w = write(notes[1], &note, sizeof note);
        (void)w;
        _exit(gc < 0 ? 1 : 0);
    }

    close(notes[1]);
    notes[1] = -1;
    if (detach) {
        int st;
        while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
            ;
    }
    /* EOF once every writer has exec'd or exited. */
    pid_t target = detach ? -1 : pid;
    int exec_errno = 0;
    struct spawn_note note;
    for (;;) {
        ssize_t n = read(notes[0], &note, sizeof note);
        if (n < 0 && errno == EINTR)
            continue;
        if (n != (ssize_t)sizeof note)
            break;
        if (note.kind == NOTE_PID)
            target = (pid_t)note.val;
        else
            exec_errno = note.val;
    }
    if (exec_errno != 0 || target <= 0) {
        fprintf(stderr, "harness: cannot start %s: %s\n", argv[0],
                strerror(exec_errno ? exec_errno : ECHILD));
        if (!detach) {
            int st;
            while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
                ;
        }
        goto out;
    }
    *pid_out = target;
    rc = 0;
out:
    if (nullfd >= 0)
        close(nullfd);
    if (logfd >= 0)
        close(logfd);
    if (notes[0] >= 0)
        close(notes[0]);
    if (notes[1] >= 0)
        close(notes[1]);
    return rc;
}

pid_t hv_spawn_detached(char *const argv[], const char *log_path)
{
    pid_t pid;
    return spawn(argv, log_path, true, &pid) == 0 ? pid : -1;
}

bool hv_pid_alive(pid_t pid)
{
    if (pid <= 0)
        return false;
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    char *stat = hv_read_file(path);
    if (!stat) /* gone, unless there is no /proc to look in at all */
        return access("/proc/self", F_OK) != 0 && kill(pid, 0) == 0;
    /* The state letter follows the ")" that ends the command name. */
    const char *p = strrchr(stat, ')');
    bool alive = p && p[1] == ' ' && p[2] != 'Z' && p[2] != 'X';
    free(stat);
    return alive;
}

/* ======================================================================== */
/* child processes                                                          */
/* ======================================================================== */

struct hv_proc {
    pid_t pid;
    bool reaped;
    int status; /* decoded, valid once reaped */
};

/* Returns the exit status, or 128+signal, of a waitpid() status. */
static int decode_status(int st)
{
    if (WIFEXITED(st))
        return WEXITSTATUS(st);
    if (WIFSIGNALED(st))
        return 128 + WTERMSIG(st);
    return -1;
}

hv_proc *hv_proc_spawn(char *const argv[], const char *log_path)
{
    pid_t pid;
    if (spawn(argv, log_path, false, &pid) != 0)
        return NULL;
    hv_proc *p = calloc(1, sizeof *p);
    if (!p) {
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
        return NULL;
    }
    p->pid = pid;
    return p;
}

const char *hv_ip_path(void)
{
    static const char *const paths[] = { "/usr/sbin/ip", "/sbin/ip", "/usr/bin/ip", "/bin/ip" };
    for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++)
        if (access(paths[i], X_OK) == 0)
            return paths[i];
    return NULL;
}

hv_proc *hv_proc_spawn_netns(const char *netns, char *const argv[],
                             const char *log_path)
{
    if (!netns || !*netns)
        return hv_proc_spawn(argv, log_path);
    const char *ip = hv_ip_path();
    if (!ip) {
        fputs("harness: no `ip` binary (iproute2) to enter a network namespace\n", stderr);
        return NULL;
    }
    size_t n = 0;
    while (argv[n])
        n++;
    char **full = calloc(n + 5, sizeof *full);
    if (!full)
        return NULL;
    full[0] = (char *)ip;
    full[1] = "netns";
    full[2] = "exec";
    full[3] = (char *)netns;
    for (size_t i = 0; i < n; i++)
        full[4 + i] = argv[i];
    hv_proc *p = hv_proc_spawn(full, log_path);
    free(full);
    return p;
}

pid_t hv_proc_pid(const hv_proc *p)
{
    return p->pid;
}

int hv_proc_signal(hv_proc *p, int sig)
{
    if (!p || p->reaped)
        return -1;
    return kill(p->pid, sig) == 0 ? 0 : -1;
}

/* Reaps p without blocking. Returns true once it has been reaped. */
static bool proc_poll(hv_proc *p)
{
    if (p->reaped)
        return true;
    int st;
    pid_t r = waitpid(p->pid, &st, WNOHANG);
    if (r == p->pid) {
        p->reaped = true;
        p->status = decode_status(st);
    } else if (r < 0 && errno == ECHILD) {
        /* Someone else reaped it; its status is lost. */
        p->reaped = true;
        p->status = -1;
    }
    return p->reaped;
}

int hv_proc_wait(hv_proc *p, int timeout_ms)
{
    if (!p)
        return -1;
    int64_t end = hv_now_us() + (int64_t)timeout_ms * 1000;
    int step = 1;
    while (!proc_poll(p)) {
        if (timeout_ms >= 0 && hv_now_us() >= end)
            return -1;
        hv_sleep_ms(step);
        if (step < 10)
            step++;
    }
    return p->status;
}

int hv_proc_stop(hv_proc *p)
{
    if (!p)
        return -1;
    if (proc_poll(p))
        return p->status;
    kill(p->pid, SIGTERM);
    int rc = hv_proc_wait(p, HV_WAIT_MS);
    if (rc == -1 && !p->reaped) {
        fprintf(stderr, "harness: pid %d ignored SIGTERM for %d ms, killing\n",
                (int)p->pid, HV_WAIT_MS);
        kill(p->pid, SIGKILL);
        rc = hv_proc_wait(p, -1);
    }
    return rc;
}

void hv_proc_free(hv_proc *p)
{
    if (!p)
        return;
    if (!proc_poll(p)) {
        kill(p->pid, SIGKILL);
        hv_proc_wait(p, -1);
    }
    free(p);
}

long hv_proc_rss_kb(const hv_proc *p)
{
    if (!p || p->reaped)
        return -1;
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/status", (int)p->pid);
    char *text = hv_read_file(path);
    if (!text)
        return -1;
    long kb = -1;
    const char *line = strstr(text, "\nVmRSS:");
    if (line)
        kb = strtol(line + 7, NULL, 10);
    free(text);
    return kb;
}

long hv_proc_cpu_ms(const hv_proc *p)
{
    if (!p || p->reaped)
        return -1;
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)p->pid);
    char *text = hv_read_file(path);
    /* The command name may hold spaces: the fields start after its ')'. */
    const char *rest = text ? strrchr(text, ')') : NULL;
    unsigned long long utime, stime;
    long ms = -1;
    if (rest && sscanf(rest + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu",
                       &utime, &stime) == 2)
        ms = (long)((utime + stime) * 1000ULL / (unsigned long long)sysconf(_SC_CLK_TCK));
    free(text);
    return ms;
}

/* ======================================================================== */
/* broker building blocks                                                   */
/* ======================================================================== */

const char *hv_mosquitto_path(void)
{
    static char found[PATH_MAX];
    const char *env = getenv("HAVEN_MOSQUITTO");
    if (env && *env)
        return env;
    if (access("/usr/sbin/mosquitto", X_OK) == 0)
        return "/usr/sbin/mosquitto";
    const char *path = getenv("PATH");
    while (path && *path) {
        const char *colon = strchr(path, ':');
        size_t n = colon ? (size_t)(colon - path) : strlen(path);
        if (n > 0 && n < sizeof found - 16) {
            memcpy(found, path, n);
            strcpy(found + n, "/mosquitto");
            if (access(found, X_OK) == 0)
                return found;
        }
        path = colon ? colon + 1 : NULL;
    }
    return NULL;
}

int hv_free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0)
        return -1;
    struct sockaddr_in sa;
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    sa.sin_port = 0;
    socklen_t len = sizeof sa;
    int port = -1;
    if (bind(fd, (struct sockaddr *)&sa, sizeof sa) == 0 &&
        getsockname(fd, (struct sockaddr *)&sa, &len) == 0)
        port = ntohs(sa.sin_port);
    close(fd);
    return port;
}

/*
 * The user named by a "user NAME" line of conf (e.g. haven-prod.conf's "user
 * mosquitto") into out, or false if conf has none.
 */
static bool conf_user(const char *conf, char *out, size_t len)
{
    for (const char *line = conf; line && *line;) {
        char key[16], name[64];
        if (sscanf(line, "%15s %63s", key, name) == 2 && !strcmp(key, "user")) {
            snprintf(out, len, "%s", name);
            return true;
        }
        line = strchr(line, '\n');
        if (line)
            line++;
    }
    return false;
}

/*
 * As root, a conf with its own "user NAME" makes mosquitto drop to NAME, as
 * in production: dir (its log) becomes NAME's so that it can write there.
 * Returns 0, or -1 (with a message) if NAME does not exist or chown failed.
 */
static int broker_dir_for_user(const char *dir, const char *extra_conf)
{
    char name[64];
    struct passwd *pw;

    if (geteuid() != 0 || !conf_user(extra_conf, name, sizeof name))
        return 0;
    pw = getpwnam(name);
    if (!pw || chown(dir, pw->pw_uid, pw->pw_gid) != 0) {
        fprintf(stderr, "harness: the broker's user %s: %s\n", name,
                pw ? strerror(errno) : "no such user");
        return -1;
    }
    return 0;
}

int hv_broker_write_conf(const char *dir, int port, const char *extra_conf)
{
    char user[64];
    char *path = xasprintf("%s/mosquitto.conf", dir);
    char *text = xasprintf(
        "# Written by Haven's test harness (tests/support/harness.c).\n"
        "listener %d 127.0.0.1\n"
        "allow_anonymous true\n"
        "persistence false\n"
        /* As config/mosquitto/haven-dev.conf: no Nagle, no dropped queue. */
        "set_tcp_nodelay true\n"
        "max_queued_messages 100000\n"
        "log_dest file %s/mosquitto.log\n"
        "log_type error\n"
        "log_type warning\n"
        "log_type notice\n"
        "log_type information\n"
        "connection_messages true\n"
        "log_timestamp true\n"
        "log_timestamp_format %%Y-%%m-%%dT%%H:%%M:%%S\n"
        /* As root, mosquitto would drop to user "mosquitto", which cannot
         * write the log into our 0700 temp dir; a conf naming its own user
         * (tests/security: haven-prod.conf's) gets the dir chowned instead. */
        "%s"
        "%s%s",
        port, dir,
        geteuid() == 0 && !conf_user(extra_conf, user, sizeof user) ? "user root\n" : "",
        extra_conf ? extra_conf : "",
        extra_conf && *extra_conf && extra_conf[strlen(extra_conf) - 1] != '\n'
            ? "\n" : "");
    int rc = hv_write_file(path, text);
    if (rc != 0)
        fprintf(stderr, "harness: cannot write %s: %s\n", path,
                strerror(errno));
    free(text);
    free(path);
    return rc;
}

/* Returns true if a TCP connect to 127.0.0.1:port succeeds right now. */
static bool port_accepting(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0)
        return false;
    struct sockaddr_in sa;
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    sa.sin_port = htons((uint16_t)port);
    bool ok = connect(fd, (struct sockaddr *)&sa, sizeof sa) == 0;
    close(fd);
    return ok;
}

/* Returns true if process pid owns a socket listening on TCP port (IPv4),
 * and also when that cannot be told (no /proc access). */
static bool pid_listens_on(pid_t pid, int port)
{
    FILE *f = fopen("/proc/net/tcp", "r");
    if (!f)
        return true;
    unsigned long inodes[16];
    int n_inodes = 0;
    char line[512];
    while (fgets(line, sizeof line, f) && n_inodes < 16) {
        unsigned lport, state;
        unsigned long inode;
        /* sl local rem st tx:rx tr:when retrnsmt uid timeout inode */
        if (sscanf(line, " %*d: %*x:%x %*x:%*x %x %*x:%*x %*x:%*x %*x %*u %*u %lu",
                   &lport, &state, &inode) == 3 &&
            (int)lport == port && state == 0x0A /* LISTEN */)
            inodes[n_inodes++] = inode;
    }
    fclose(f);
    if (n_inodes == 0)
        return false;

    char path[64];
    snprintf(path, sizeof path, "/proc/%d/fd", (int)pid);
    DIR *d = opendir(path);
    if (!d)
        return true;
    bool found = false;
    struct dirent *e;
    while (!found && (e = readdir(d)) != NULL) {
        char link[PATH_MAX], target[128];
        snprintf(link, sizeof link, "%s/%s", path, e->d_name);
        ssize_t len = readlink(link, target, sizeof target - 1);
        if (len <= 0)
            continue;
        target[len] = '\0';
        unsigned long inode;
        if (sscanf(target, "socket:[%lu]", &inode) != 1)
            continue;
        for (int i = 0; i < n_inodes; i++)
            if (inodes[i] == inode)
                found = true;
    }
    closedir(d);
    return found;
}

int hv_wait_port(int port, int timeout_ms, pid_t pid)
{
    int64_t end = hv_now_us() + (int64_t)timeout_ms * 1000;
    for (;;) {
        if (pid > 0 && !hv_pid_alive(pid))
            return -1;
        if (port_accepting(port) && (pid <= 0 || pid_listens_on(pid, port)))
            return 0;
        if (hv_now_us() >= end)
            return -1;
        hv_sleep_ms(10);
    }
}

/* ======================================================================== */
/* broker                                                                   */
/* ======================================================================== */

struct hv_broker {
    int port;
    bool owned;    /* false for a handle from hv_broker_attach on a fixture */
    char *dir;     /* temp dir with the config and logs (owned only) */
    char *conf;    /* dir/mosquitto.conf */
    char *out;     /* dir/mosquitto.out: the broker's stdout and stderr */
    hv_proc *proc; /* the running mosquitto, or NULL */
};

/* Prints the broker's logs to stderr (after a failure). */
static void broker_dump_logs(const hv_broker *b)
{
    char *log = xasprintf("%s/mosquitto.log", b->dir);
    dump_file(log);
    dump_file(b->out);
    free(log);
}

/* Spawns mosquitto for b and waits up to timeout_ms until it listens.
 * Returns 0 when up, 1 if it exited (e.g. the port was taken), -1 on any
 * other failure. */
static int broker_launch(hv_broker *b, int timeout_ms)
{
    const char *bin = hv_mosquitto_path();
    if (!bin) {
        fputs("harness: no mosquitto binary (set HAVEN_MOSQUITTO)\n", stderr);
        return -1;
    }
    char *argv[] = {(char *)bin, "-c", b->conf, NULL};
    b->proc = hv_proc_spawn(argv, b->out);
    if (!b->proc)
        return -1;
    if (hv_wait_port(b->port, timeout_ms, b->proc->pid) == 0)
        return 0;
    if (proc_poll(b->proc)) {
        hv_proc_free(b->proc);
        b->proc = NULL;
        return 1;
    }
    fprintf(stderr, "harness: mosquitto (pid %d) not listening on port %d "
            "after %d ms\n", (int)b->proc->pid, b->port, timeout_ms);
    hv_proc_free(b->proc);
    b->proc = NULL;
    return -1;
}

hv_broker *hv_broker_start_ex(const char *extra_conf)
{
    hv_broker *b = calloc(1, sizeof *b);
    if (!b)
        return NULL;
    b->owned = true;
    b->dir = hv_tmpdir("broker");
    if (!b->dir) {
        free(b);
        return NULL;
    }
    b->conf = xasprintf("%s/mosquitto.conf", b->dir);
    b->out = xasprintf("%s/mosquitto.out", b->dir);
    if (broker_dir_for_user(b->dir, extra_conf) != 0) {
        hv_broker_free(b);
        return NULL;
    }

    for (int attempt = 0; attempt < HV_START_ATTEMPTS; attempt++) {
        b->port = hv_free_port();
        if (b->port <= 0) {
            fprintf(stderr, "harness: no free port: %s\n", strerror(errno));
            break;
        }
        if (hv_broker_write_conf(b->dir, b->port, extra_conf) != 0)
            break;
        int rc = broker_launch(b, HV_WAIT_MS);
        if (rc == 0)
            return b;
        if (rc < 0)
            break;
        /* It exited: most likely the port was taken meanwhile; retry. */
    }
    fprintf(stderr, "harness: could not start mosquitto (dir %s)\n", b->dir);
    broker_dump_logs(b);
    hv_broker_free(b);
    return NULL;
}

hv_broker *hv_broker_start(void)
{
    return hv_broker_start_ex(NULL);
}

/* Parses a port number (1..65535) from text. Returns it, or -1. */
static int parse_port(const char *text)
{
    if (!text)
        return -1;
    char *end;
    errno = 0;
    long v = strtol(text, &end, 10);
    while (*end == ' ' || *end == '\n' || *end == '\r' || *end == '\t')
        end++;
    if (errno || end == text || *end || v <= 0 || v > 65535)
        return -1;
    return (int)v;
}

hv_broker *hv_broker_attach(void)
{
    int port = -1;
    const char *source = NULL;
    char *from_file = NULL;

    const char *env_port = getenv("HAVEN_TEST_BROKER_PORT");
    const char *env_dir = getenv("HAVEN_TEST_BROKER_DIR");
    if (env_port && *env_port) {
        source = "HAVEN_TEST_BROKER_PORT";
        port = parse_port(env_port);
    } else if (env_dir && *env_dir) {
        char *path = xasprintf("%s/port", env_dir);
        from_file = hv_read_file(path);
        free(path);
        if (from_file) {
            source = "HAVEN_TEST_BROKER_DIR/port";
            port = parse_port(from_file);
        }
    }
    if (!source)
        return hv_broker_start();

    free(from_file);
    if (port <= 0) {
        fprintf(stderr, "harness: bad broker port in %s\n", source);
        return NULL;
    }
    if (hv_wait_port(port, HV_WAIT_MS, 0) != 0) {
        fprintf(stderr, "harness: no broker on 127.0.0.1:%d (from %s)\n",
                port, source);
        return NULL;
    }
    hv_broker *b = calloc(1, sizeof *b);
    if (!b)
        return NULL;
    b->port = port;
    b->owned = false;
    return b;
}

int hv_broker_port(const hv_broker *b)
{
    return b->port;
}

pid_t hv_broker_pid(const hv_broker *b)
{
    return (b->owned && b->proc) ? b->proc->pid : -1;
}

const char *hv_broker_dir(const hv_broker *b)
{
    return b->owned ? b->dir : NULL;
}

int hv_broker_stop(hv_broker *b)
{
    if (!b || !b->owned)
        return -1;
    if (b->proc) {
        hv_proc_stop(b->proc);
        hv_proc_free(b->proc);
        b->proc = NULL;
    }
    return 0;
}

int hv_broker_kill(hv_broker *b)
{
    if (!b || !b->owned)
        return -1;
    if (b->proc) {
        hv_proc_signal(b->proc, SIGKILL);
        hv_proc_wait(b->proc, -1);
        hv_proc_free(b->proc);
        b->proc = NULL;
    }
    return 0;
}

int hv_broker_restart(hv_broker *b)
{
    if (!b || !b->owned)
        return -1;
    hv_broker_stop(b);
    int64_t end = hv_now_us() + (int64_t)HV_WAIT_MS * 1000;
    for (;;) {
        int left_ms = (int)((end - hv_now_us()) / 1000);
        int rc = broker_launch(b, left_ms > 100 ? left_ms : 100);
        if (rc == 0)
            return 0;
        if (rc < 0 || hv_now_us() >= end)
            break;
        hv_sleep_ms(50); /* the port is still busy: try again */
    }
    fprintf(stderr, "harness: could not restart mosquitto on port %d\n",
            b->port);
    broker_dump_logs(b);
    return -1;
}

void hv_broker_free(hv_broker *b)
{
    if (!b)
        return;
    if (b->owned) {
        hv_broker_stop(b);
        if (b->dir) {
            const char *keep = getenv("HAVEN_KEEP_TMP");
            if (keep && *keep)
                fprintf(stderr, "harness: keeping broker dir %s\n", b->dir);
            else
                hv_rm_rf(b->dir);
        }
    }
    free(b->dir);
    free(b->conf);
    free(b->out);
    free(b);
}

/* ======================================================================== */
/* MQTT client                                                              */
/* ======================================================================== */

#define ACK_RING 256

/* A received message in a client's queue. */
struct qmsg {
    struct qmsg *next;
    hv_msg msg;
};

/* A filter to re-subscribe after a reconnect. */
struct sub {
    struct sub *next;
    char *filter;
    int qos;
};

struct hv_client {
    struct mosquitto *m;
    pthread_mutex_t mu;
    pthread_cond_t cv;     /* broadcast on every state change below */

    /* Connection state. */
    bool connected;
    int connack_rc;        /* result of the latest CONNACK; -1 before one */
    int connects;          /* successful CONNACKs so far */

    /* Received messages, oldest first. */
    struct qmsg *head, *tail;

    /* Recently completed publishes/subscribes/unsubscribes: (mid, result);
     * mid 0 marks a free or consumed slot. */
    struct { int mid; int result; } acks[ACK_RING];
    unsigned ack_next;

    /* Subscriptions, and the mids of re-subscriptions still unacknowledged. */
    struct sub *subs;
    int *resub_mids;
    int n_resub;
    bool resubscribing;  /* on_connect is still sending the re-subscriptions */
};

static pthread_once_t lib_once = PTHREAD_ONCE_INIT;

/* atexit hook: releases libmosquitto's global state. */
static void lib_cleanup(void)
{
    mosquitto_lib_cleanup();
}

/* Initialises libmosquitto once per process. */
static void lib_init(void)
{
    mosquitto_lib_init();
    atexit(lib_cleanup);
    /* A write to a socket the (killed) broker closed must not kill us. */
    signal(SIGPIPE, SIG_IGN);
}

/* Records a completed mid (caller holds c->mu). */
static void record_ack(hv_client *c, int mid, int result)
{
    unsigned i = c->ack_next++ % ACK_RING;
    c->acks[i].mid = mid;
    c->acks[i].result = result;
    pthread_cond_broadcast(&c->cv);
}

/* Network thread: CONNACK. Re-subscribes after a reconnect. */
static void on_connect(struct mosquitto *m, void *obj, int rc)
{
    hv_client *c = obj;
    struct sub *copy = NULL, **tail = &copy;

    pthread_mutex_lock(&c->mu);
    c->connack_rc = rc;
    c->connected = (rc == 0);
    c->n_resub = 0;
    if (rc == 0 && c->connects++ > 0) {
        for (struct sub *s = c->subs; s; s = s->next) {
            struct sub *n = calloc(1, sizeof *n);
            if (!n)
                break;
            n->filter = xstrdup(s->filter);
            n->qos = s->qos;
            *tail = n;
            tail = &n->next;
        }
    }
    /* Until every SUBSCRIBE below is sent and its mid recorded, the client is
     * not ready: n_resub alone is 0 before the first one is counted. */
    c->resubscribing = copy != NULL;
    pthread_cond_broadcast(&c->cv);
    pthread_mutex_unlock(&c->mu);

    /* SUBACKs are handled by this same thread, so none can be lost between
     * mosquitto_subscribe() returning and the mid being recorded. */
    while (copy) {
        struct sub *n = copy;
        copy = n->next;
        int mid = 0;
        if (mosquitto_subscribe(m, &mid, n->filter, n->qos) == MOSQ_ERR_SUCCESS) {
            pthread_mutex_lock(&c->mu);
            int *grown = realloc(c->resub_mids,
                                 (size_t)(c->n_resub + 1) * sizeof(int));
            if (grown) {
                c->resub_mids = grown;
                c->resub_mids[c->n_resub++] = mid;
            }
            pthread_mutex_unlock(&c->mu);
        }
        free(n->filter);
        free(n);
    }
    /* Only now are all the re-subscriptions' mids recorded: until here a waiter that saw
     * n_resub == 0 would think them acknowledged before they were even sent. */
    pthread_mutex_lock(&c->mu);
    c->resubscribing = false;
    pthread_cond_broadcast(&c->cv);
    pthread_mutex_unlock(&c->mu);
}

/* Network thread: connection lost or closed. */
static void on_disconnect(struct mosquitto *m, void *obj, int rc)
{
    hv_client *c = obj;
    pthread_mutex_lock(&c->mu);
    c->connected = false;
    c->n_resub = 0;
    c->resubscribing = false;
    pthread_cond_broadcast(&c->cv);
    pthread_mutex_unlock(&c->mu);
}

/* Network thread: a publish completed (PUBACK/PUBCOMP, or QoS 0 sent). */
static void on_publish(struct mosquitto *m, void *obj, int mid)
{
    hv_client *c = obj;
    pthread_mutex_lock(&c->mu);
    record_ack(c, mid, 0);
    pthread_mutex_unlock(&c->mu);
}

/* Network thread: SUBACK; result is the granted QoS (0x80 = refused). */
static void on_subscribe(struct mosquitto *m, void *obj, int mid,
                         int qos_count, const int *granted_qos)
{
    hv_client *c = obj;
    pthread_mutex_lock(&c->mu);
    for (int i = 0; i < c->n_resub; i++) {
        if (c->resub_mids[i] == mid) {
            c->resub_mids[i] = c->resub_mids[--c->n_resub];
            break;
        }
    }
    record_ack(c, mid, qos_count > 0 ? granted_qos[0] : 0x80);
    pthread_mutex_unlock(&c->mu);
}

/* Network thread: UNSUBACK. */
static void on_unsubscribe(struct mosquitto *m, void *obj, int mid)
{
    hv_client *c = obj;
    pthread_mutex_lock(&c->mu);
    record_ack(c, mid, 0);
    pthread_mutex_unlock(&c->mu);
}

/* Network thread: a message arrived; queue a copy. */
static void on_message(struct mosquitto *m, void *obj,
                       const struct mosquitto_message *msg)
{
    hv_client *c = obj;
    struct qmsg *q = calloc(1, sizeof *q);
    int len = msg->payloadlen > 0 ? msg->payloadlen : 0;
    if (q) {
        q->msg.topic = strdup(msg->topic ? msg->topic : "");
        q->msg.payload = malloc((size_t)len + 1);
    }
    if (!q || !q->msg.topic || !q->msg.payload) {
        fputs("harness: out of memory queueing a message\n", stderr);
        abort();
    }
    if (len > 0)
        memcpy(q->msg.payload, msg->payload, (size_t)len);
    q->msg.payload[len] = '\0';
    q->msg.payloadlen = len;
    q->msg.qos = msg->qos;
    q->msg.retain = msg->retain;
    q->msg.recv_us = hv_now_us();

    pthread_mutex_lock(&c->mu);
    if (c->tail)
        c->tail->next = q;
    else
        c->head = q;
    c->tail = q;
    pthread_cond_broadcast(&c->cv);
    pthread_mutex_unlock(&c->mu);
}

/* Waits (on c->cv, caller holds c->mu) until dl. Returns false once dl has
 * passed. */
static bool wait_until(hv_client *c, const struct timespec *dl)
{
    if (past(dl))
        return false;
    pthread_cond_timedwait(&c->cv, &c->mu, dl);
    return true;
}

/* Waits up to ms for mid to complete. Returns its result (>= 0), or -1 on
 * timeout. */
static int wait_ack(hv_client *c, int mid, int ms)
{
    struct timespec dl = deadline_in(ms);
    int result = -1;
    pthread_mutex_lock(&c->mu);
    for (;;) {
        for (unsigned i = 0; i < ACK_RING; i++) {
            if (c->acks[i].mid == mid) {
                c->acks[i].mid = 0;
                result = c->acks[i].result;
                break;
            }
        }
        if (result >= 0 || !wait_until(c, &dl))
            break;
    }
    pthread_mutex_unlock(&c->mu);
    return result;
}

/* Frees every queued message (caller holds c->mu). */
static void queue_clear(hv_client *c)
{
    while (c->head) {
        struct qmsg *q = c->head;
        c->head = q->next;
        free(q->msg.topic);
        free(q->msg.payload);
        free(q);
    }
    c->tail = NULL;
}

/* Frees c and everything it owns; the network thread must be stopped. */
static void client_destroy(hv_client *c)
{
    if (c->m)
        mosquitto_destroy(c->m);
    queue_clear(c);
    while (c->subs) {
        struct sub *s = c->subs;
        c->subs = s->next;
        free(s->filter);
        free(s);
    }
    free(c->resub_mids);
    pthread_cond_destroy(&c->cv);
    pthread_mutex_destroy(&c->mu);
    free(c);
}

/* Sets o's credentials and TLS files on c->m. Returns 0, or -1 (said on stderr). */
static int client_auth(hv_client *c, const struct hv_client_opts *o, const char *what)
{
    int rc = MOSQ_ERR_SUCCESS;

    if (o->username)
        rc = mosquitto_username_pw_set(c->m, o->username, o->password);
    if (rc == MOSQ_ERR_SUCCESS && o->cafile)
        rc = mosquitto_tls_set(c->m, o->cafile, NULL, o->certfile, o->keyfile, NULL);
    if (rc != MOSQ_ERR_SUCCESS) {
        fprintf(stderr, "harness: client %s: credentials/TLS: %s\n", what,
                mosquitto_strerror(rc));
        return -1;
    }
    return 0;
}

/* The body of hv_client_new / hv_client_new_will / hv_client_new_opts. */
static hv_client *client_new(const struct hv_client_opts *o, int *connack_out)
{
    const char *client_id = o->client_id;
    int port = o->port;
    const char *will_topic = o->will_topic;

    if (connack_out)
        *connack_out = -1;
    pthread_once(&lib_once, lib_init);

    hv_client *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    pthread_mutex_init(&c->mu, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&c->cv, &ca);
    pthread_condattr_destroy(&ca);
    c->connack_rc = -1;

    const char *what = client_id ? client_id : "(anonymous)";
    c->m = mosquitto_new(client_id, !(o->persistent && client_id), c);
    if (!c->m) {
        fprintf(stderr, "harness: mosquitto_new(%s): %s\n", what,
                strerror(errno));
        client_destroy(c);
        return NULL;
    }
    mosquitto_int_option(c->m, MOSQ_OPT_TCP_NODELAY, 1);
    mosquitto_reconnect_delay_set(c->m, 1, 1, false);
    mosquitto_connect_callback_set(c->m, on_connect);
    mosquitto_disconnect_callback_set(c->m, on_disconnect);
    mosquitto_publish_callback_set(c->m, on_publish);
    mosquitto_subscribe_callback_set(c->m, on_subscribe);
    mosquitto_unsubscribe_callback_set(c->m, on_unsubscribe);
    mosquitto_message_callback_set(c->m, on_message);

    int rc;
    if (will_topic) {
        size_t wl = o->will_payload ? strlen(o->will_payload) : 0;
        rc = mosquitto_will_set(c->m, will_topic, (int)wl,
                                wl ? o->will_payload : NULL, o->will_qos,
                                o->will_retain);
        if (rc != MOSQ_ERR_SUCCESS) {
            fprintf(stderr, "harness: will_set(%s): %s\n", will_topic,
                    mosquitto_strerror(rc));
            client_destroy(c);
            return NULL;
        }
    }
    if (client_auth(c, o, what) != 0) {
        client_destroy(c);
        return NULL;
    }
    rc = mosquitto_connect(c->m, "127.0.0.1", port, 10);
    if (rc != MOSQ_ERR_SUCCESS) {
        fprintf(stderr, "harness: client %s: connect to 127.0.0.1:%d: %s\n",
                what, port,
                rc == MOSQ_ERR_ERRNO ? strerror(errno) : mosquitto_strerror(rc));
        client_destroy(c);
        return NULL;
    }
    rc = mosquitto_loop_start(c->m);
    if (rc != MOSQ_ERR_SUCCESS) {
        fprintf(stderr, "harness: loop_start: %s\n", mosquitto_strerror(rc));
        client_destroy(c);
        return NULL;
    }

    struct timespec dl = deadline_in(HV_WAIT_MS);
    pthread_mutex_lock(&c->mu);
    while (c->connack_rc < 0 && wait_until(c, &dl))
        ;
    int connack = c->connack_rc;
    pthread_mutex_unlock(&c->mu);
    if (connack_out)
        *connack_out = connack;
    if (connack != 0) {
        if (connack < 0)
            fprintf(stderr, "harness: client %s: no CONNACK from port %d\n",
                    what, port);
        else
            fprintf(stderr, "harness: client %s: connection refused: %s\n",
                    what, mosquitto_connack_string(connack));
        hv_client_free(c);
        return NULL;
    }
    return c;
}

hv_client *hv_client_new(const char *client_id, int port)
{
    struct hv_client_opts o = { .client_id = client_id, .port = port };
    return client_new(&o, NULL);
}

hv_client *hv_client_new_opts(const struct hv_client_opts *o, int *connack)
{
    return client_new(o, connack);
}

hv_client *hv_client_new_will(const char *client_id, int port,
                              const char *will_topic, const char *will_payload,
                              int will_qos, bool will_retain)
{
    if (!will_topic)
        return NULL;
    struct hv_client_opts o = {
        .client_id = client_id, .port = port, .will_topic = will_topic,
        .will_payload = will_payload, .will_qos = will_qos, .will_retain = will_retain,
    };
    return client_new(&o, NULL);
}

int hv_client_sub(hv_client *c, const char *filter, int qos)
{
    int mid = 0;
    int rc = mosquitto_subscribe(c->m, &mid, filter, qos);
    if (rc != MOSQ_ERR_SUCCESS) {
        fprintf(stderr, "harness: subscribe(%s): %s\n", filter,
                mosquitto_strerror(rc));
        return -1;
    }
    int granted = wait_ack(c, mid, HV_WAIT_MS);
    if (granted < 0 || granted >= 0x80) {
        fprintf(stderr, "harness: subscribe(%s): %s\n", filter,
                granted < 0 ? "no SUBACK" : "refused by broker");
        return -1;
    }

    pthread_mutex_lock(&c->mu);
    struct sub *s;
    for (s = c->subs; s; s = s->next)
        if (strcmp(s->filter, filter) == 0)
            break;
    if (!s && (s = calloc(1, sizeof *s)) != NULL) {
        s->filter = xstrdup(filter);
        s->next = c->subs;
        c->subs = s;
    }
    if (s)
        s->qos = qos;
    pthread_mutex_unlock(&c->mu);
    return 0;
}

int hv_client_unsub(hv_client *c, const char *filter)
{
    pthread_mutex_lock(&c->mu);
    for (struct sub **pp = &c->subs; *pp; pp = &(*pp)->next) {
        if (strcmp((*pp)->filter, filter) == 0) {
            struct sub *s = *pp;
            *pp = s->next;
            free(s->filter);
            free(s);
            break;
        }
    }
    pthread_mutex_unlock(&c->mu);

    int mid = 0;
    int rc = mosquitto_unsubscribe(c->m, &mid, filter);
    if (rc != MOSQ_ERR_SUCCESS || wait_ack(c, mid, HV_WAIT_MS) < 0) {
        fprintf(stderr, "harness: unsubscribe(%s): %s\n", filter,
                rc != MOSQ_ERR_SUCCESS ? mosquitto_strerror(rc)
                                       : "no UNSUBACK");
        return -1;
    }
    return 0;
}

int hv_client_pub_raw(hv_client *c, const char *topic, const void *buf,
                      int len, int qos, bool retain)
{
    int mid = 0;
    int rc = mosquitto_publish(c->m, &mid, topic, len, len > 0 ? buf : NULL,
                               qos, retain);
    if (rc != MOSQ_ERR_SUCCESS) {
        fprintf(stderr, "harness: publish(%s): %s\n", topic,
                mosquitto_strerror(rc));
        return -1;
    }
    if (wait_ack(c, mid, HV_WAIT_MS) < 0) {
        fprintf(stderr, "harness: publish(%s): not completed in %d ms\n",
                topic, HV_WAIT_MS);
        return -1;
    }
    return 0;
}

int hv_client_pub(hv_client *c, const char *topic, const char *payload,
                  int qos, bool retain)
{
    size_t len = payload ? strlen(payload) : 0;
    return hv_client_pub_raw(c, topic, payload, (int)len, qos, retain);
}

/* Returns true if topic matches the MQTT filter (NULL matches all). */
static bool topic_matches(const char *filter, const char *topic)
{
    if (!filter)
        return true;
    bool res = false;
    return mosquitto_topic_matches_sub(filter, topic, &res) ==
               MOSQ_ERR_SUCCESS && res;
}

hv_msg *hv_client_expect_msg(hv_client *c, const char *filter, int timeout_ms)
{
    struct timespec dl = deadline_in(timeout_ms > 0 ? timeout_ms : 0);
    hv_msg *out = NULL;
    pthread_mutex_lock(&c->mu);
    for (;;) {
        struct qmsg *prev = NULL;
        for (struct qmsg *q = c->head; q; prev = q, q = q->next) {
            if (!topic_matches(filter, q->msg.topic))
                continue;
            if (prev)
                prev->next = q->next;
            else
                c->head = q->next;
            if (c->tail == q)
                c->tail = prev;
            /* Hand out the node's message in a block of its own. */
            out = malloc(sizeof *out);
            if (out)
                *out = q->msg;
            else {
                free(q->msg.topic);
                free(q->msg.payload);
            }
            free(q);
            break;
        }
        if (out || !wait_until(c, &dl))
            break;
    }
    pthread_mutex_unlock(&c->mu);
    return out;
}

void hv_msg_free(hv_msg *m)
{
    if (!m)
        return;
    free(m->topic);
    free(m->payload);
    free(m);
}

char *hv_client_expect_t(hv_client *c, const char *filter, int timeout_ms,
                         char **out_topic, bool *out_retained)
{
    hv_msg *m = hv_client_expect_msg(c, filter, timeout_ms);
    if (out_topic)
        *out_topic = NULL;
    if (out_retained)
        *out_retained = false;
    if (!m)
        return NULL;
    char *payload = m->payload;
    if (out_topic) {
        *out_topic = m->topic;
        m->topic = NULL;
    }
    if (out_retained)
        *out_retained = m->retain;
    m->payload = NULL;
    hv_msg_free(m);
    return payload;
}

char *hv_client_expect(hv_client *c, const char *filter, int timeout_ms)
{
    return hv_client_expect_t(c, filter, timeout_ms, NULL, NULL);
}

/* Counts queued messages matching filter (caller holds c->mu). */
static int queue_count(hv_client *c, const char *filter)
{
    int n = 0;
    for (struct qmsg *q = c->head; q; q = q->next)
        if (topic_matches(filter, q->msg.topic))
            n++;
    return n;
}

int hv_client_count(hv_client *c, const char *filter)
{
    pthread_mutex_lock(&c->mu);
    int n = queue_count(c, filter);
    pthread_mutex_unlock(&c->mu);
    return n;
}

bool hv_client_expect_none(hv_client *c, const char *filter, int wait_ms)
{
    struct timespec dl = deadline_in(wait_ms > 0 ? wait_ms : 0);
    bool none;
    pthread_mutex_lock(&c->mu);
    for (;;) {
        none = queue_count(c, filter) == 0;
        if (!none || !wait_until(c, &dl))
            break;
    }
    pthread_mutex_unlock(&c->mu);
    return none;
}

void hv_client_drain(hv_client *c)
{
    pthread_mutex_lock(&c->mu);
    queue_clear(c);
    pthread_mutex_unlock(&c->mu);
}

bool hv_client_connected(hv_client *c)
{
    pthread_mutex_lock(&c->mu);
    bool up = c->connected;
    pthread_mutex_unlock(&c->mu);
    return up;
}

int hv_client_wait_ready(hv_client *c, int timeout_ms)
{
    struct timespec dl = deadline_in(timeout_ms > 0 ? timeout_ms : 0);
    bool ready;
    pthread_mutex_lock(&c->mu);
    for (;;) {
        ready = c->connected && !c->resubscribing && c->n_resub == 0;
        if (ready || !wait_until(c, &dl))
            break;
    }
    pthread_mutex_unlock(&c->mu);
    return ready ? 0 : -1;
}

int hv_client_drop(hv_client *c)
{
    /* shutdown() leaves the descriptor itself to the network thread, which
     * then sees EOF and handles the loss as if the peer had gone. */
    int fd = mosquitto_socket(c->m);
    if (fd < 0 || !hv_client_connected(c))
        return -1;
    return shutdown(fd, SHUT_RDWR) == 0 ? 0 : -1;
}

void hv_client_free(hv_client *c)
{
    if (!c)
        return;
    /* Disconnecting also ends the thread's reconnect loop if the broker is
     * gone; loop_stop then interrupts its sleep and joins it. */
    mosquitto_disconnect(c->m);
    mosquitto_loop_stop(c->m, false);
    client_destroy(c);
}
