#define _GNU_SOURCE
#include "cspawn.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>
#if defined(__linux__)
#include <sys/prctl.h>
#endif
#include <sys/wait.h>
#include <time.h>

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

pid_t mockidp_spawn_group(char *const argv[], char *const envp[]) {
    return mockidp_spawn_group_with(argv, envp, -1, SIGTERM);
}

pid_t mockidp_spawn_group_with(char *const argv[], char *const envp[], int output_fd, int death_signal) {
    return mockidp_spawn_group_in(argv, envp, output_fd, death_signal, NULL);
}

static pid_t spawn_group(char *const argv[], char *const envp[], int output_fd, int death_signal, const char *directory,
                         int guard_fd);

pid_t mockidp_spawn_group_in(char *const argv[], char *const envp[], int output_fd, int death_signal, const char *directory) {
    return spawn_group(argv, envp, output_fd, death_signal, directory, -1);
}

/// The supervisor's whole life: learn the app's group from the pipe, then wait. A release byte
/// means the parent stopped the group itself; EOF without one means the parent died (every write
/// end is gone), so the group gets `death_signal` and, if that is not SIGKILL and the group is
/// still there `grace_seconds` later, SIGKILL. Only async-signal-safe calls: it runs after fork.
static void supervise(int guard, int death_signal, int grace_seconds) {
    pid_t group = 0;
    size_t have = 0;
    while (have < sizeof group) {
        ssize_t got = read(guard, (char *)&group + have, sizeof group - have);
        if (got < 0 && errno == EINTR) continue;
        if (got <= 0) _exit(0);  // the parent died or gave up before the app existed
        have += (size_t)got;
    }
    char byte;
    ssize_t got;
    do {
        got = read(guard, &byte, 1);
    } while (got < 0 && errno == EINTR);
    if (got == 1 || group <= 1) _exit(0);
    kill(-group, death_signal);
    if (death_signal != SIGKILL) {
        struct timespec pause = {0, 20 * 1000 * 1000};
        for (int round = 0; round < grace_seconds * 50 && kill(-group, 0) == 0; round++) nanosleep(&pause, NULL);
    }
    kill(-group, SIGKILL);
    _exit(0);
}

/// Starts the supervisor as a grandchild (its child exits at once, so init reaps it, not us) and
/// returns the pipe's write end, or -errno.
static int start_supervisor(int death_signal, int grace_seconds) {
    int guard[2];
    if (pipe2(guard, O_CLOEXEC) != 0) return -errno;
    pid_t middle = fork();
    if (middle < 0) {
        int saved = errno;
        close(guard[0]);
        close(guard[1]);
        return -saved;
    }
    if (middle == 0) {
        if (fork() != 0) _exit(0);
        // Out of the parent's group and terminal: a Ctrl-C or a `kill -- -PGID` meant for the
        // runner must not end the supervisor before it has done its job.
        setsid();
        int ignore[] = {SIGINT, SIGHUP, SIGQUIT, SIGPIPE, SIGTERM};
        for (unsigned i = 0; i < sizeof ignore / sizeof ignore[0]; i++) signal(ignore[i], SIG_IGN);
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        int null_fd = open("/dev/null", O_RDWR);
        if (null_fd >= 0) {
            dup2(null_fd, 0);
            dup2(null_fd, 1);
            dup2(null_fd, 2);
        }
        // Holding nothing but its own read end: not another supervisor's write end (that one
        // would then never see EOF) and none of the parent's sockets or pipes.
        int keep = guard[0];
        if (keep > 3) close_range(3, (unsigned)keep - 1, 0);
        close_range((unsigned)keep + 1, ~0U, 0);
        supervise(keep, death_signal, grace_seconds);
    }
    close(guard[0]);
    int status;
    while (waitpid(middle, &status, 0) < 0 && errno == EINTR) {}
    return guard[1];
}

pid_t mockidp_spawn_supervised(char *const argv[], char *const envp[], int output_fd, int death_signal, const char *directory,
                               int grace_seconds, int *guard_out) {
    *guard_out = -1;
    int guard = start_supervisor(death_signal, grace_seconds);
    if (guard < 0) return guard;
    pid_t pid = spawn_group(argv, envp, output_fd, death_signal, directory, guard);
    if (pid < 0) {
        mockidp_release_supervisor(guard);
        return pid;
    }
    *guard_out = guard;
    return pid;
}

void mockidp_release_supervisor(int guard) {
    if (guard < 0) return;
    char byte = 'r';
    ssize_t written;
    do {
        written = write(guard, &byte, 1);
    } while (written < 0 && errno == EINTR);
    close(guard);
}

static pid_t spawn_group(char *const argv[], char *const envp[], int output_fd, int death_signal, const char *directory,
                         int guard_fd) {
    // The child reports a failed exec through this close-on-exec pipe: EOF means exec worked.
    int report[2];
    if (pipe2(report, O_CLOEXEC) != 0) return -errno;
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid < 0) {
        int saved = errno;
        close(report[0]);
        close(report[1]);
        return -saved;
    }
    if (pid == 0) {
        close(report[0]);
        setpgid(0, 0);
        // The supervisor learns the group before exec: from here on, whatever the app starts is
        // in a group that ends with us. The write end closes at exec (O_CLOEXEC).
        if (guard_fd >= 0) {
            pid_t self = getpid();
            ssize_t ignored = write(guard_fd, &self, sizeof self);
            (void)ignored;
        }
#if defined(__linux__)
        prctl(PR_SET_PDEATHSIG, death_signal);
        // The parent may have died between fork and prctl: then nobody would send the signal.
        if (getppid() != parent) _exit(129);
#endif
        int reset[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGPIPE, SIGCHLD, SIGUSR1, SIGUSR2};
        for (unsigned i = 0; i < sizeof reset / sizeof reset[0]; i++) signal(reset[i], SIG_DFL);
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        if (output_fd >= 0) {
            int null_fd = open("/dev/null", O_RDONLY);
            if (null_fd >= 0) dup2(null_fd, 0);
            dup2(output_fd, 1);
            dup2(output_fd, 2);
        }
#if defined(__linux__)
        // Only stdin, stdout and stderr reach the app: serve's sockets and any pipe it inherited
        // must not be held open by the app (a test runner waiting for EOF would wait for it).
        close_range(3, ~0U, CLOSE_RANGE_CLOEXEC);
#endif
        if (directory == NULL || chdir(directory) == 0) execvpe(argv[0], argv, envp);
        int failure = errno;
        ssize_t ignored = write(report[1], &failure, sizeof failure);
        (void)ignored;
        _exit(127);
    }
    // Also from the parent, so the group exists before anyone signals it.
    setpgid(pid, pid);
    close(report[1]);
    int failure = 0;
    ssize_t got;
    do {
        got = read(report[0], &failure, sizeof failure);
    } while (got < 0 && errno == EINTR);
    close(report[0]);
    if (got == (ssize_t)sizeof failure) {
        int status;
        while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {}
        return -failure;
    }
    return pid;
}
