#ifndef CJUNCTION_SHIMS_H
#define CJUNCTION_SHIMS_H

#include <spawn.h>
#include <sys/types.h>

/// pipe2(fds, O_CLOEXEC): both ends close-on-exec atomically, so a child spawned concurrently
/// by another thread never inherits them (an inherited write end would hide EOF forever).
int junction_pipe_cloexec(int fds[2]);

/// A listening unix stream socket at `path` (close-on-exec, mode 0600, a stale file replaced).
/// Returns the descriptor, or -1 with errno set (ENAMETOOLONG when the path does not fit).
int junction_unix_listen(const char *path, int backlog);

/// Connects a close-on-exec unix stream socket to `path`: the descriptor, or -1 with errno set.
int junction_unix_connect(const char *path);

/// accept4 with SOCK_CLOEXEC, retrying on EINTR.
int junction_accept_cloexec(int fd);

/// Whether a TCP listener could bind host:port now (1), or not (0: in use, or not resolvable).
int junction_tcp_port_free(const char *host, int port);

/// How a child is started by `junction_spawn`.
typedef struct junction_spawn_options {
    /// Become the child's 0, 1 and 2; -1 for /dev/null. Nothing else crosses the exec.
    int stdin_fd;
    int stdout_fd;
    int stderr_fd;
    /// The child's working directory; NULL keeps the caller's.
    const char *cwd;
    /// Nonzero: the child leads a process group of its own (setpgid(0, 0)).
    int new_process_group;
    /// Nonzero: the child leads a session of its own (setsid), detached from any terminal.
    int new_session;
    /// Linux: the signal the child gets when this process dies (PR_SET_PDEATHSIG); 0 for none.
    int parent_death_signal;
} junction_spawn_options;

/// Which step of `junction_spawn` failed.
enum {
    JUNCTION_SPAWN_STEP_FORK = 1,
    JUNCTION_SPAWN_STEP_SETUP = 2,
    JUNCTION_SPAWN_STEP_CHDIR = 3,
    JUNCTION_SPAWN_STEP_EXEC = 4,
};

/// Starts `path` with exactly `argv` and `envp`. On Linux the child is forked by one long-lived
/// thread (a parent-death signal fires when the forking *thread* ends), gets default signal
/// dispositions and an empty signal mask, and closes every descriptor above 2 before exec, so it
/// inherits exactly 0, 1 and 2 whatever the rest of the process left without close-on-exec.
/// Elsewhere posix_spawn does the same where the platform can. Returns 0 and sets `pid`, or an
/// errno value and sets `failed_step` (may be NULL).
int junction_spawn(
    const char *path, char *const argv[], char *const envp[], const junction_spawn_options *options, pid_t *pid,
    int *failed_step);

/// Records a live child's process group, for `junction_children_kill` and for the guardian: a
/// small shell started with the first child that outlives this process only to SIGKILL the
/// groups still recorded when this process is gone (even by SIGKILL).
void junction_children_add(pid_t group);

/// Forgets a child's process group (it was reaped).
void junction_children_remove(pid_t group);

/// Sends `sig` to every recorded process group; returns how many were signalled.
/// Async-signal-safe.
int junction_children_kill(int sig);

/// Installs the daemon's SIGTERM/SIGINT handler and returns a descriptor that yields one byte (the
/// signal number) for the first signal; a second signal force-exits at once with 128 + its
/// number (`junction_force_exit`). Returns -1 if the handler cannot be installed.
int junction_shutdown_signals_install(void);

/// Also removed by `junction_force_exit` (daemon.json, the sockets); up to four paths.
void junction_force_exit_unlink(const char *path);

/// SIGKILLs every recorded child process group, removes the registered files and `_exit`s with
/// `status`. Async-signal-safe.
void junction_force_exit(int status);

#endif
