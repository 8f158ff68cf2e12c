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

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

pid_t mockidp_spawn_group(char *const argv[], char *const envp[]) {
    return mockidp_spawn_group_with(argv, envp, -1, SIGTERM);
}

pid_t mockidp_spawn_group_with(char *const argv[], char *const envp[], int output_fd, int death_signal) {
    return mockidp_spawn_group_in(argv, envp, output_fd, death_signal, NULL);
}

pid_t mockidp_spawn_group_in(char *const argv[], char *const envp[], int output_fd, int death_signal, const char *directory) {
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
