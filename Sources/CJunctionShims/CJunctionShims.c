#define _GNU_SOURCE
#include "CJunctionShims.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#if defined(__linux__)
#include <sys/prctl.h>
#include <sys/syscall.h>
#endif

int junction_pipe_cloexec(int fds[2]) {
#if defined(__linux__)
    return pipe2(fds, O_CLOEXEC);
#else
    if (pipe(fds) != 0) return -1;
    fcntl(fds[0], F_SETFD, FD_CLOEXEC);
    fcntl(fds[1], F_SETFD, FD_CLOEXEC);
    return 0;
#endif
}

static int junction_unix_address(const char *path, struct sockaddr_un *address) {
    memset(address, 0, sizeof(*address));
    address->sun_family = AF_UNIX;
    if (strlen(path) >= sizeof(address->sun_path)) {
        errno = ENAMETOOLONG;
        return -1;
    }
    strcpy(address->sun_path, path);
    return 0;
}

static int junction_unix_socket(void) {
#if defined(__linux__)
    return socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
#else
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    if (fd >= 0) fcntl(fd, F_SETFD, FD_CLOEXEC);
    return fd;
#endif
}

int junction_unix_listen(const char *path, int backlog) {
    struct sockaddr_un address;
    if (junction_unix_address(path, &address) != 0) return -1;
    int fd = junction_unix_socket();
    if (fd < 0) return -1;
    unlink(path);
    if (bind(fd, (struct sockaddr *)&address, sizeof(address)) != 0 || chmod(path, 0600) != 0 ||
        listen(fd, backlog) != 0) {
        int saved = errno;
        close(fd);
        errno = saved;
        return -1;
    }
    return fd;
}

int junction_unix_connect(const char *path) {
    struct sockaddr_un address;
    if (junction_unix_address(path, &address) != 0) return -1;
    int fd = junction_unix_socket();
    if (fd < 0) return -1;
    int result;
    do {
        result = connect(fd, (struct sockaddr *)&address, sizeof(address));
    } while (result != 0 && errno == EINTR);
    if (result != 0) {
        int saved = errno;
        close(fd);
        errno = saved;
        return -1;
    }
    return fd;
}

int junction_accept_cloexec(int fd) {
    int client;
    do {
#if defined(__linux__)
        client = accept4(fd, NULL, NULL, SOCK_CLOEXEC);
#else
        client = accept(fd, NULL, NULL);
        if (client >= 0) fcntl(client, F_SETFD, FD_CLOEXEC);
#endif
    } while (client < 0 && errno == EINTR);
    return client;
}

int junction_tcp_port_free(const char *host, int port) {
    struct addrinfo hints;
    memset(&hints, 0, sizeof(hints));
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
    char service[16];
    snprintf(service, sizeof(service), "%d", port);
    struct addrinfo *results = NULL;
    if (getaddrinfo(host, service, &hints, &results) != 0 || results == NULL) return 0;
    int free = 0;
    int fd = socket(results->ai_family, results->ai_socktype, results->ai_protocol);
    if (fd >= 0) {
        int on = 1;
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
        free = bind(fd, results->ai_addr, results->ai_addrlen) == 0;
        close(fd);
    }
    freeaddrinfo(results);
    return free;
}

// MARK: - Spawning

#if defined(__linux__)

/// Closes every descriptor from `lowest` up, except `keep`: close_range where the kernel has it
/// (5.9+), else one by one up to the descriptor limit. Async-signal-safe.
static void junction_close_from(int lowest, int keep) {
#if defined(__NR_close_range)
    int ok = 1;
    if (keep >= lowest) {
        if (keep > lowest && syscall(__NR_close_range, (unsigned)lowest, (unsigned)(keep - 1), 0) != 0) ok = 0;
        if (ok && syscall(__NR_close_range, (unsigned)(keep + 1), ~0U, 0) != 0) ok = 0;
    } else if (syscall(__NR_close_range, (unsigned)lowest, ~0U, 0) != 0) {
        ok = 0;
    }
    if (ok) return;
#endif
    struct rlimit limit;
    long highest = 65536;
    if (getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur != RLIM_INFINITY) highest = (long)limit.rlim_cur;
    if (highest > (1L << 20)) highest = 1L << 20;
    for (long fd = lowest; fd < highest; fd++) {
        if (fd != keep) close((int)fd);
    }
}

struct junction_spawn_request {
    const char *path;
    char *const *argv;
    char *const *envp;
    const junction_spawn_options *options;
    pid_t pid;
    int error;
    int step;
    int done;
};

/// In the forked child: reports the failed step and errno on the report pipe, then exits.
static void junction_child_fail(int report, int step) {
    int message[2] = {step, errno};
    ssize_t ignored = write(report, message, sizeof(message));
    (void)ignored;
    _exit(127);
}

/// In the forked child, between fork and exec: only async-signal-safe calls.
static void junction_child_exec(const struct junction_spawn_request *request, int report, pid_t parent) {
    const junction_spawn_options *options = request->options;
    if (report < 3) {
        int moved = fcntl(report, F_DUPFD_CLOEXEC, 3);
        if (moved < 0) _exit(127);
        report = moved;
    }
    if (options->new_session) {
        if (setsid() < 0) junction_child_fail(report, JUNCTION_SPAWN_STEP_SETUP);
    } else if (options->new_process_group) {
        if (setpgid(0, 0) != 0) junction_child_fail(report, JUNCTION_SPAWN_STEP_SETUP);
    }
    if (options->parent_death_signal > 0) {
        if (prctl(PR_SET_PDEATHSIG, (unsigned long)options->parent_death_signal) != 0) {
            junction_child_fail(report, JUNCTION_SPAWN_STEP_SETUP);
        }
        // The parent may have died before prctl: then no signal would ever come.
        if (getppid() != parent) _exit(127);
    }
    // Default dispositions: an ignored signal (Junction ignores SIGPIPE) would stay ignored
    // across exec. Every signal is blocked until just before exec, so no handler runs here.
    struct sigaction standard;
    memset(&standard, 0, sizeof(standard));
    standard.sa_handler = SIG_DFL;
    sigemptyset(&standard.sa_mask);
    for (int sig = 1; sig < NSIG; sig++) {
        if (sig == SIGKILL || sig == SIGSTOP) continue;
        sigaction(sig, &standard, NULL);
    }
    int fds[3] = {options->stdin_fd, options->stdout_fd, options->stderr_fd};
    for (int target = 0; target < 3; target++) {
        if (fds[target] < 0) {
            fds[target] = open("/dev/null", target == 0 ? O_RDONLY : O_WRONLY);
            if (fds[target] < 0) junction_child_fail(report, JUNCTION_SPAWN_STEP_SETUP);
        }
    }
    // A source among 0..2 that is not its own target moves up first, so no dup2 below clobbers it.
    for (int target = 0; target < 3; target++) {
        if (fds[target] < 3 && fds[target] != target) {
            int moved = fcntl(fds[target], F_DUPFD, 3);
            if (moved < 0) junction_child_fail(report, JUNCTION_SPAWN_STEP_SETUP);
            fds[target] = moved;
        }
    }
    for (int target = 0; target < 3; target++) {
        if (fds[target] == target) {
            int flags = fcntl(target, F_GETFD);
            if (flags < 0 || fcntl(target, F_SETFD, flags & ~FD_CLOEXEC) != 0) {
                junction_child_fail(report, JUNCTION_SPAWN_STEP_SETUP);
            }
        } else if (dup2(fds[target], target) < 0) {
            junction_child_fail(report, JUNCTION_SPAWN_STEP_SETUP);
        }
    }
    if (options->cwd != NULL && chdir(options->cwd) != 0) junction_child_fail(report, JUNCTION_SPAWN_STEP_CHDIR);
    // Exactly 0, 1 and 2 cross the exec: whatever else is open here (sockets the HTTP server
    // opened without close-on-exec included) closes now. The report pipe closes at exec.
    junction_close_from(3, report);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    execve(request->path, request->argv, request->envp);
    junction_child_fail(report, JUNCTION_SPAWN_STEP_EXEC);
}

static void junction_spawn_now(struct junction_spawn_request *request) {
    int report[2];
    if (pipe2(report, O_CLOEXEC) != 0) {
        request->error = errno;
        request->step = JUNCTION_SPAWN_STEP_FORK;
        return;
    }
    pid_t parent = getpid();
    sigset_t all, previous;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &previous);
    pid_t pid = fork();
    if (pid == 0) {
        close(report[0]);
        junction_child_exec(request, report[1], parent);
    }
    int forkError = errno;
    pthread_sigmask(SIG_SETMASK, &previous, NULL);
    close(report[1]);
    if (pid < 0) {
        close(report[0]);
        request->error = forkError;
        request->step = JUNCTION_SPAWN_STEP_FORK;
        return;
    }
    int failure[2] = {0, 0};
    ssize_t count;
    do {
        count = read(report[0], failure, sizeof(failure));
    } while (count < 0 && errno == EINTR);
    close(report[0]);
    if (count == (ssize_t)sizeof(failure)) {
        int status;
        while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
        }
        request->error = failure[1] != 0 ? failure[1] : EINVAL;
        request->step = failure[0];
        return;
    }
    request->pid = pid;
    request->error = 0;
}

// The parent-death signal fires when the *thread* that forked exits, not the process: children
// are forked by one thread that lives as long as the process.
static pthread_mutex_t junction_spawner_turn = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t junction_spawner_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t junction_spawner_wake = PTHREAD_COND_INITIALIZER;
static pthread_cond_t junction_spawner_done = PTHREAD_COND_INITIALIZER;
static struct junction_spawn_request *junction_spawner_request = NULL;
static pthread_once_t junction_spawner_once = PTHREAD_ONCE_INIT;
static int junction_spawner_running = 0;

static void *junction_spawner_main(void *unused) {
    (void)unused;
    sigset_t all;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, NULL);
    pthread_mutex_lock(&junction_spawner_lock);
    for (;;) {
        while (junction_spawner_request == NULL) pthread_cond_wait(&junction_spawner_wake, &junction_spawner_lock);
        struct junction_spawn_request *request = junction_spawner_request;
        pthread_mutex_unlock(&junction_spawner_lock);
        junction_spawn_now(request);
        pthread_mutex_lock(&junction_spawner_lock);
        request->done = 1;
        junction_spawner_request = NULL;
        pthread_cond_broadcast(&junction_spawner_done);
    }
    return NULL;
}

static void junction_spawner_start(void) {
    pthread_attr_t attributes;
    pthread_attr_init(&attributes);
    pthread_attr_setdetachstate(&attributes, PTHREAD_CREATE_DETACHED);
    pthread_t thread;
    if (pthread_create(&thread, &attributes, junction_spawner_main, NULL) == 0) {
        pthread_setname_np(thread, "junction.spawner");
        junction_spawner_running = 1;
    }
    pthread_attr_destroy(&attributes);
}

int junction_spawn(
    const char *path, char *const argv[], char *const envp[], const junction_spawn_options *options, pid_t *pid,
    int *failed_step) {
    struct junction_spawn_request request = {path, argv, envp, options, 0, 0, 0, 0};
    pthread_once(&junction_spawner_once, junction_spawner_start);
    if (junction_spawner_running) {
        pthread_mutex_lock(&junction_spawner_turn);
        pthread_mutex_lock(&junction_spawner_lock);
        junction_spawner_request = &request;
        pthread_cond_signal(&junction_spawner_wake);
        while (!request.done) pthread_cond_wait(&junction_spawner_done, &junction_spawner_lock);
        pthread_mutex_unlock(&junction_spawner_lock);
        pthread_mutex_unlock(&junction_spawner_turn);
    } else {
        // No thread could be started: fork here (the death signal is then tied to this thread).
        junction_spawn_now(&request);
    }
    if (request.error != 0) {
        if (failed_step != NULL) *failed_step = request.step;
        return request.error;
    }
    *pid = request.pid;
    return 0;
}

#else

extern char **environ;

int junction_spawn(
    const char *path, char *const argv[], char *const envp[], const junction_spawn_options *options, pid_t *pid,
    int *failed_step) {
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    int fds[3] = {options->stdin_fd, options->stdout_fd, options->stderr_fd};
    for (int target = 0; target < 3; target++) {
        if (fds[target] < 0) {
            posix_spawn_file_actions_addopen(&actions, target, "/dev/null", target == 0 ? O_RDONLY : O_WRONLY, 0);
        } else {
            posix_spawn_file_actions_adddup2(&actions, fds[target], target);
        }
    }
    int result = 0;
    if (options->cwd != NULL) {
#if defined(__APPLE__)
        result = posix_spawn_file_actions_addchdir_np(&actions, options->cwd);
#else
        result = ENOSYS;
#endif
        if (result != 0) {
            posix_spawn_file_actions_destroy(&actions);
            if (failed_step != NULL) *failed_step = JUNCTION_SPAWN_STEP_CHDIR;
            return result;
        }
    }
    posix_spawnattr_t attributes;
    posix_spawnattr_init(&attributes);
    sigset_t all, none;
    sigfillset(&all);
    sigemptyset(&none);
    posix_spawnattr_setsigdefault(&attributes, &all);
    posix_spawnattr_setsigmask(&attributes, &none);
    short flags = POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK;
#if defined(POSIX_SPAWN_CLOEXEC_DEFAULT)
    flags |= POSIX_SPAWN_CLOEXEC_DEFAULT;
#endif
#if defined(POSIX_SPAWN_SETSID)
    if (options->new_session) flags |= POSIX_SPAWN_SETSID;
#endif
    if (options->new_process_group && !options->new_session) {
        posix_spawnattr_setpgroup(&attributes, 0);
        flags |= POSIX_SPAWN_SETPGROUP;
    }
    posix_spawnattr_setflags(&attributes, flags);
    result = posix_spawn(pid, path, &actions, &attributes, argv, envp);
    posix_spawnattr_destroy(&attributes);
    posix_spawn_file_actions_destroy(&actions);
    if (result != 0 && failed_step != NULL) *failed_step = JUNCTION_SPAWN_STEP_EXEC;
    return result;
}

#endif

// MARK: - Children's process groups, and the guardian

#define JUNCTION_MAX_CHILDREN 4096

/// Process groups of live children; 0 is a free slot. Read by the signal handler.
static _Atomic int junction_children[JUNCTION_MAX_CHILDREN];

static pthread_once_t junction_guardian_once = PTHREAD_ONCE_INIT;
static pthread_mutex_t junction_guardian_lock = PTHREAD_MUTEX_INITIALIZER;
static int junction_guardian_fd = -1;

// The guardian: a shell, in a process group of its own, that reads "+PGID" and "-PGID" lines and,
// when the stream ends (this process is gone, however it died), SIGKILLs the groups still listed.
// It ignores the signals a terminal or a careless `kill` would send it.
static const char junction_guardian_script[] =
    "trap '' HUP INT TERM QUIT PIPE; g=' '; "
    "while read -r l; do case $l in "
    "+*) g=\"$g${l#+} \";; "
    "-*) n=${l#-}; case $g in *\" $n \"*) g=\"${g%% $n *} ${g#* $n }\";; esac;; "
    "esac; done; "
    "for n in $g; do kill -s KILL -- \"-$n\" 2>/dev/null; done";

static void junction_guardian_start(void) {
    int pair[2];
#if defined(__linux__)
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) != 0) return;
#else
    if (socketpair(AF_UNIX, SOCK_STREAM, 0, pair) != 0) return;
    fcntl(pair[0], F_SETFD, FD_CLOEXEC);
    fcntl(pair[1], F_SETFD, FD_CLOEXEC);
#endif
    char *argv[] = {"junction-guardian", "-c", (char *)junction_guardian_script, NULL};
    char *envp[] = {"PATH=/usr/bin:/bin", NULL};
    junction_spawn_options options;
    memset(&options, 0, sizeof(options));
    options.stdin_fd = pair[0];
    options.stdout_fd = -1;
    options.stderr_fd = -1;
    options.new_process_group = 1;
    pid_t pid;
    int step;
    if (junction_spawn("/bin/sh", argv, envp, &options, &pid, &step) != 0) {
        close(pair[0]);
        close(pair[1]);
        return;
    }
    close(pair[0]);
    shutdown(pair[1], SHUT_RD);
    junction_guardian_fd = pair[1];
}

static void junction_guardian_send(char sign, pid_t group) {
    pthread_once(&junction_guardian_once, junction_guardian_start);
    char line[32];
    int length = snprintf(line, sizeof(line), "%c%d\n", sign, (int)group);
    pthread_mutex_lock(&junction_guardian_lock);
    int offset = 0;
    while (junction_guardian_fd >= 0 && offset < length) {
#if defined(MSG_NOSIGNAL)
        ssize_t sent = send(junction_guardian_fd, line + offset, (size_t)(length - offset), MSG_NOSIGNAL);
#else
        ssize_t sent = send(junction_guardian_fd, line + offset, (size_t)(length - offset), 0);
#endif
        if (sent < 0 && errno == EINTR) continue;
        if (sent <= 0) {
            // The guardian is gone: the parent-death signal still covers the children themselves.
            close(junction_guardian_fd);
            junction_guardian_fd = -1;
            break;
        }
        offset += (int)sent;
    }
    pthread_mutex_unlock(&junction_guardian_lock);
}

void junction_children_add(pid_t group) {
    if (group <= 0) return;
    for (int i = 0; i < JUNCTION_MAX_CHILDREN; i++) {
        int expected = 0;
        if (atomic_compare_exchange_strong(&junction_children[i], &expected, (int)group)) break;
    }
    junction_guardian_send('+', group);
}

void junction_children_remove(pid_t group) {
    if (group <= 0) return;
    for (int i = 0; i < JUNCTION_MAX_CHILDREN; i++) {
        int expected = (int)group;
        if (atomic_compare_exchange_strong(&junction_children[i], &expected, 0)) break;
    }
    junction_guardian_send('-', group);
}

int junction_children_kill(int sig) {
    int signalled = 0;
    for (int i = 0; i < JUNCTION_MAX_CHILDREN; i++) {
        int group = atomic_load(&junction_children[i]);
        if (group > 0 && kill(-group, sig) == 0) signalled++;
    }
    return signalled;
}

// MARK: - Shutdown signals

#define JUNCTION_MAX_EXIT_PATHS 4

static int junction_signal_pipe[2] = {-1, -1};
static _Atomic int junction_signals_seen = 0;
static pthread_mutex_t junction_exit_paths_lock = PTHREAD_MUTEX_INITIALIZER;
static char junction_exit_paths[JUNCTION_MAX_EXIT_PATHS][4096];
static _Atomic int junction_exit_path_count = 0;

void junction_force_exit(int status) {
    junction_children_kill(SIGKILL);
    int count = atomic_load(&junction_exit_path_count);
    for (int i = 0; i < count; i++) unlink(junction_exit_paths[i]);
    _exit(status);
}

void junction_force_exit_unlink(const char *path) {
    pthread_mutex_lock(&junction_exit_paths_lock);
    int count = atomic_load(&junction_exit_path_count);
    if (count < JUNCTION_MAX_EXIT_PATHS && strlen(path) < sizeof(junction_exit_paths[0])) {
        strcpy(junction_exit_paths[count], path);
        atomic_store(&junction_exit_path_count, count + 1);
    }
    pthread_mutex_unlock(&junction_exit_paths_lock);
}

static void junction_on_shutdown_signal(int sig) {
    int saved = errno;
    if (atomic_fetch_add(&junction_signals_seen, 1) == 0) {
        unsigned char byte = (unsigned char)sig;
        ssize_t ignored = write(junction_signal_pipe[1], &byte, 1);
        (void)ignored;
    } else {
        junction_force_exit(128 + sig);
    }
    errno = saved;
}

int junction_shutdown_signals_install(void) {
    if (junction_signal_pipe[0] >= 0) return junction_signal_pipe[0];
    if (junction_pipe_cloexec(junction_signal_pipe) != 0) return -1;
    struct sigaction action;
    memset(&action, 0, sizeof(action));
    action.sa_handler = junction_on_shutdown_signal;
    sigemptyset(&action.sa_mask);
    action.sa_flags = SA_RESTART;
    if (sigaction(SIGTERM, &action, NULL) != 0 || sigaction(SIGINT, &action, NULL) != 0) return -1;
    return junction_signal_pipe[0];
}
