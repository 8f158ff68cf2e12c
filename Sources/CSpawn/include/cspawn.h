#ifndef MOCKIDP_CSPAWN_H
#define MOCKIDP_CSPAWN_H

#include <sys/types.h>

/// Starts `argv[0]` (searched in PATH) with `envp`, in a process group of its own, with every
/// signal unblocked and at its default action. On Linux the child also gets SIGTERM when the
/// calling thread dies (PR_SET_PDEATHSIG), so a parent killed with SIGKILL leaves no orphan.
/// Returns the child's pid, or -errno when it could not be started (fork or exec failed).
/// Written in C because the steps between fork and exec must be async-signal-safe and prctl is
/// variadic, which Swift cannot call.
pid_t mockidp_spawn_group(char *const argv[], char *const envp[]);

#endif
