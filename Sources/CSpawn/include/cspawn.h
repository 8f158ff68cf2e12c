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

/// The same, with stdout and stderr on `output_fd` (and stdin on /dev/null) unless it is -1, and
/// `death_signal` as the parent-death signal (the runner uses SIGKILL: an app under test that
/// ignores SIGTERM must still not outlive it).
pid_t mockidp_spawn_group_with(char *const argv[], char *const envp[], int output_fd, int death_signal);

/// The same, started in `directory` unless it is NULL (a directory that cannot be entered is
/// reported like a failed exec: -errno).
pid_t mockidp_spawn_group_in(char *const argv[], char *const envp[], int output_fd, int death_signal, const char *directory);

/// The same, with a supervisor that outlives the caller just long enough to end the app's whole
/// group: the parent-death signal reaches only the direct child, so a wrapper's children (`sh -c`,
/// `npm start`) would otherwise survive a SIGKILL of the caller under init. The supervisor is a
/// grandchild reparented to init, holding only the read end of a pipe whose write end the caller
/// keeps in `*guard_out`: EOF without a release byte (the caller died, by any signal) sends the
/// group `death_signal`, then SIGKILL after `grace_seconds` unless that already was SIGKILL.
/// Pass `*guard_out` to `mockidp_release_supervisor` once the group is stopped. No cgroups needed.
pid_t mockidp_spawn_supervised(char *const argv[], char *const envp[], int output_fd, int death_signal, const char *directory,
                               int grace_seconds, int *guard_out);

/// Tells the supervisor the caller stopped the group itself (it exits without signalling) and
/// closes `guard`; -1 is ignored.
void mockidp_release_supervisor(int guard);

#endif
