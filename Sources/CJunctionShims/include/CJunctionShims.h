#ifndef CJUNCTION_SHIMS_H
#define CJUNCTION_SHIMS_H

#include <spawn.h>

/// pipe2(fds, O_CLOEXEC): both ends close-on-exec atomically, so a child spawned concurrently
/// by another thread never inherits them (an inherited write end would hide EOF forever).
int junction_pipe_cloexec(int fds[2]);

/// posix_spawn_file_actions_addchdir_np where available; returns ENOSYS otherwise.
int junction_spawn_file_actions_addchdir(posix_spawn_file_actions_t *actions, const char *path);

#endif
