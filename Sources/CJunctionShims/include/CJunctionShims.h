#ifndef CJUNCTION_SHIMS_H
#define CJUNCTION_SHIMS_H

#include <spawn.h>

/// pipe2(fds, O_CLOEXEC): both ends close-on-exec atomically, so a child spawned concurrently
/// by another thread never inherits them (an inherited write end would hide EOF forever).
int junction_pipe_cloexec(int fds[2]);

/// posix_spawn_file_actions_addchdir_np where available; returns ENOSYS otherwise.
int junction_spawn_file_actions_addchdir(posix_spawn_file_actions_t *actions, const char *path);

/// A listening unix stream socket at `path` (close-on-exec, mode 0600, a stale file replaced).
/// Returns the descriptor, or -1 with errno set (ENAMETOOLONG when the path does not fit).
int junction_unix_listen(const char *path, int backlog);

/// Connects a close-on-exec unix stream socket to `path`: the descriptor, or -1 with errno set.
int junction_unix_connect(const char *path);

/// accept4 with SOCK_CLOEXEC, retrying on EINTR.
int junction_accept_cloexec(int fd);

/// Whether a TCP listener could bind host:port now (1), or not (0: in use, or not resolvable).
int junction_tcp_port_free(const char *host, int port);

/// POSIX_SPAWN_SETSID where the C library has it, else 0.
short junction_spawn_setsid_flag(void);

#endif
