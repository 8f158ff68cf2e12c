#ifndef MOCKIDP_CPROCESS_H
#define MOCKIDP_CPROCESS_H

#include <sys/types.h>

/// Starts `path` with `argv` and `envp` (NULL-terminated) in a new process group of its own,
/// with stdout and stderr on `output_fd` and stdin on /dev/null. On Linux the child also gets
/// SIGKILL when the thread that spawned it dies (PR_SET_PDEATHSIG), so a runner killed with
/// SIGKILL or crashing leaves no app behind. Returns the child's pid, or -errno.
/// Everything between fork and exec is async-signal-safe; Swift cannot do that part itself
/// (prctl is variadic and Foundation's Process has no hook for it).
pid_t mockidp_spawn(const char *path, char *const argv[], char *const envp[], int output_fd);

#endif
