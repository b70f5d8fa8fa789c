#define _GNU_SOURCE
#include "CJunctionShims.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

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

int junction_spawn_file_actions_addchdir(posix_spawn_file_actions_t *actions, const char *path) {
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 29))
    return posix_spawn_file_actions_addchdir_np(actions, path);
#elif defined(__APPLE__)
    return posix_spawn_file_actions_addchdir_np(actions, path);
#else
    (void)actions; (void)path;
    return ENOSYS;
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

short junction_spawn_setsid_flag(void) {
#if defined(POSIX_SPAWN_SETSID)
    return POSIX_SPAWN_SETSID;
#else
    return 0;
#endif
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
