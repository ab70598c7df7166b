#define _GNU_SOURCE
#include "CSyscalls.h"

#include <errno.h>
#include <malloc.h>
#include <signal.h>
#include <stdint.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

const uint32_t csyscalls_EPOLLIN = EPOLLIN;
const uint32_t csyscalls_EPOLLOUT = EPOLLOUT;
const uint32_t csyscalls_EPOLLERR = EPOLLERR;
const uint32_t csyscalls_EPOLLHUP = EPOLLHUP;
const uint32_t csyscalls_EPOLLRDHUP = EPOLLRDHUP;
const uint32_t csyscalls_EPOLLET = EPOLLET;
const uint32_t csyscalls_EPOLLONESHOT = EPOLLONESHOT;

int csyscalls_epoll_create(void) { return epoll_create1(EPOLL_CLOEXEC); }

static int ctl(int epfd, int op, int fd, uint32_t events, uint64_t token) {
    struct epoll_event event;
    event.events = events;
    event.data.u64 = token;
    return epoll_ctl(epfd, op, fd, &event);
}

int csyscalls_epoll_ctl_add(int epfd, int fd, uint32_t events, uint64_t token) {
    return ctl(epfd, EPOLL_CTL_ADD, fd, events, token);
}

int csyscalls_epoll_ctl_mod(int epfd, int fd, uint32_t events, uint64_t token) {
    return ctl(epfd, EPOLL_CTL_MOD, fd, events, token);
}

int csyscalls_epoll_ctl_del(int epfd, int fd) {
    return epoll_ctl(epfd, EPOLL_CTL_DEL, fd, NULL);
}

int csyscalls_epoll_wait(int epfd, csyscalls_epoll_event *events, int capacity, int timeout_ms) {
    struct epoll_event buffer[256];
    if (capacity > 256) capacity = 256;
    int count = epoll_wait(epfd, buffer, capacity, timeout_ms);
    for (int i = 0; i < count; i++) {
        events[i].token = buffer[i].data.u64;
        events[i].events = buffer[i].events;
    }
    return count;
}

int csyscalls_eventfd(void) { return eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC); }

int csyscalls_eventfd_signal(int fd) {
    uint64_t one = 1;
    ssize_t written = write(fd, &one, sizeof one);
    return written == sizeof one || errno == EAGAIN ? 0 : -1;
}

int csyscalls_eventfd_drain(int fd) {
    uint64_t value;
    return read(fd, &value, sizeof value) == sizeof value ? 0 : -1;
}

int csyscalls_accept(int fd, struct sockaddr *address, socklen_t *length) {
    return accept4(fd, address, length, SOCK_NONBLOCK | SOCK_CLOEXEC);
}

int csyscalls_socket(int domain, int type, int protocol) {
    return socket(domain, type | SOCK_NONBLOCK | SOCK_CLOEXEC, protocol);
}

void csyscalls_ignore_sigpipe(void) { signal(SIGPIPE, SIG_IGN); }

size_t csyscalls_malloc_free_bytes(void) {
    return mallinfo2().fordblks;
}

int csyscalls_malloc_trim(void) {
    return malloc_trim(0);
}
