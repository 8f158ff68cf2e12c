#define _GNU_SOURCE
#include "cprocess.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#ifdef __linux__
#include <linux/close_range.h>
#include <sys/prctl.h>
#endif

pid_t mockidp_spawn(const char *path, char *const argv[], char *const envp[], int output_fd) {
    pid_t parent = getpid();
    int report[2];
    if (pipe2(report, O_CLOEXEC) != 0) return -errno;
    pid_t pid = fork();
    if (pid < 0) {
        int error = errno;
        close(report[0]);
        close(report[1]);
        return -error;
    }
    if (pid == 0) {
        setpgid(0, 0);
#ifdef __linux__
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        // The parent may have died before prctl took effect.
        if (getppid() != parent) _exit(127);
#endif
        // Signal dispositions and the mask are inherited; the app should start clean.
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, 0);
        signal(SIGINT, SIG_DFL);
        signal(SIGTERM, SIG_DFL);
        signal(SIGPIPE, SIG_DFL);
        int null_fd = open("/dev/null", O_RDONLY);
        if (null_fd >= 0) dup2(null_fd, 0);
        if (output_fd >= 0) {
            dup2(output_fd, 1);
            dup2(output_fd, 2);
        }
        // Nothing else of the runner's reaches the app: an inherited pipe or socket would keep
        // whoever waits on the runner (a CI step, Foundation's Process) waiting on the app too.
        // Marked close-on-exec rather than closed, so the error pipe still works until exec.
        int marked = -1;
#if defined(__linux__) && defined(SYS_close_range) && defined(CLOSE_RANGE_CLOEXEC)
        marked = (int)syscall(SYS_close_range, 3u, ~0u, CLOSE_RANGE_CLOEXEC);
#endif
        if (marked != 0) {
            long limit = sysconf(_SC_OPEN_MAX);
            if (limit < 0 || limit > 65536) limit = 65536;
            for (int fd = 3; fd < limit; fd++) fcntl(fd, F_SETFD, FD_CLOEXEC);
        }
        execve(path, argv, envp);
        int error = errno;
        ssize_t ignored = write(report[1], &error, sizeof error);
        (void)ignored;
        _exit(127);
    }
    // Both sides set the group, so it exists whichever runs first.
    setpgid(pid, pid);
    close(report[1]);
    int child_error = 0;
    ssize_t got;
    do { got = read(report[0], &child_error, sizeof child_error); } while (got < 0 && errno == EINTR);
    close(report[0]);
    if (got == sizeof child_error) {
        int status;
        while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {}
        return -child_error;
    }
    return pid;
}
