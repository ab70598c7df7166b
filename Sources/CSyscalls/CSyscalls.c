#define _GNU_SOURCE
#include "CSyscalls.h"

#include <errno.h>
#include <malloc.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
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

int csyscalls_available_cpus(void) {
    cpu_set_t set;
    CPU_ZERO(&set);
    if (sched_getaffinity(0, sizeof set, &set) != 0) return 1;
    int count = CPU_COUNT(&set);
    return count > 0 ? count : 1;
}

/// Reads up to two unsigned numbers from the start of a small file; how many were read.
static int read_numbers(const char *path, long long *first, long long *second) {
    FILE *file = fopen(path, "re");
    if (file == NULL) return 0;
    char text[128] = {0};
    size_t length = fread(text, 1, sizeof text - 1, file);
    fclose(file);
    text[length] = 0;
    return sscanf(text, "%lld %lld", first, second);
}

int csyscalls_cpu_quota(const char *cgroup_root) {
    char path[4096];
    long long quota = 0, period = 0, unused = 0;
    // cgroup v2: "max 100000" (no limit) or "200000 100000"; "max" makes sscanf read nothing.
    snprintf(path, sizeof path, "%s/cpu.max", cgroup_root);
    int found = read_numbers(path, &quota, &period);
    if (found == 2) return quota > 0 && period > 0 ? (int)((quota + period - 1) / period) : 0;
    if (found == 0 && access(path, F_OK) == 0) return 0;  // "max": no limit
    // cgroup v1: a quota of -1 is no limit.
    snprintf(path, sizeof path, "%s/cpu/cpu.cfs_quota_us", cgroup_root);
    if (read_numbers(path, &quota, &unused) < 1 || quota <= 0) return 0;
    snprintf(path, sizeof path, "%s/cpu/cpu.cfs_period_us", cgroup_root);
    if (read_numbers(path, &period, &unused) < 1 || period <= 0) return 0;
    return (int)((quota + period - 1) / period);
}

static _Thread_local void *current_reactor = NULL;

void *csyscalls_current_reactor(void) { return current_reactor; }

void csyscalls_set_current_reactor(void *reactor) { current_reactor = reactor; }

void csyscalls_set_thread_name(const char *name) { pthread_setname_np(pthread_self(), name); }

size_t csyscalls_malloc_free_bytes(void) {
    return mallinfo2().fordblks;
}

size_t csyscalls_malloc_mapped_bytes(void) {
    return mallinfo2().hblkhd;
}

size_t csyscalls_resident_bytes(void) {
    FILE *statm = fopen("/proc/self/statm", "re");
    if (statm == NULL) return 0;
    unsigned long size = 0, resident = 0;
    int read = fscanf(statm, "%lu %lu", &size, &resident);
    fclose(statm);
    long page = sysconf(_SC_PAGESIZE);
    return read == 2 && page > 0 ? (size_t) resident * (size_t) page : 0;
}

int csyscalls_malloc_trim(void) {
    return malloc_trim(0);
}
