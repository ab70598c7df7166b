#ifndef CSYSCALLS_H
#define CSYSCALLS_H

// Linux calls Glibc's Swift overlay does not export. Thin wrappers only: no policy here.

#include <stdint.h>
#include <sys/types.h>
#include <sys/socket.h>

/// Flags for epoll, re-exported as plain constants because the enum forms do not import.
extern const uint32_t csyscalls_EPOLLIN;
extern const uint32_t csyscalls_EPOLLOUT;
extern const uint32_t csyscalls_EPOLLERR;
extern const uint32_t csyscalls_EPOLLHUP;
extern const uint32_t csyscalls_EPOLLRDHUP;
extern const uint32_t csyscalls_EPOLLET;
extern const uint32_t csyscalls_EPOLLONESHOT;

/// One readiness report: the registered token and the event bits.
typedef struct csyscalls_epoll_event {
    uint64_t token;
    uint32_t events;
} csyscalls_epoll_event;

int csyscalls_epoll_create(void);
int csyscalls_epoll_ctl_add(int epfd, int fd, uint32_t events, uint64_t token);
int csyscalls_epoll_ctl_mod(int epfd, int fd, uint32_t events, uint64_t token);
int csyscalls_epoll_ctl_del(int epfd, int fd);
/// Waits up to `timeout_ms` (-1 forever); fills at most `capacity` events; returns the count or -1.
int csyscalls_epoll_wait(int epfd, csyscalls_epoll_event *events, int capacity, int timeout_ms);

int csyscalls_eventfd(void);
int csyscalls_eventfd_signal(int fd);
int csyscalls_eventfd_drain(int fd);

/// accept4 with SOCK_NONBLOCK | SOCK_CLOEXEC.
int csyscalls_accept(int fd, struct sockaddr *address, socklen_t *length);
/// socket() with SOCK_NONBLOCK | SOCK_CLOEXEC.
int csyscalls_socket(int domain, int type, int protocol);

/// Bytes free inside malloc's heaps, over every arena (mallinfo2's fordblks).
size_t csyscalls_malloc_free_bytes(void);
/// Bytes in blocks malloc mapped on their own, outside its heaps (mallinfo2's hblkhd).
size_t csyscalls_malloc_mapped_bytes(void);
/// This process's resident memory in bytes (/proc/self/statm); 0 when it cannot be read.
size_t csyscalls_resident_bytes(void);
/// malloc_trim(0): returns free heap pages to the system; 1 when some were.
int csyscalls_malloc_trim(void);

void csyscalls_ignore_sigpipe(void);

/// The CPUs this thread may run on (sched_getaffinity, so `taskset` and cpusets count); at least 1.
int csyscalls_available_cpus(void);

/// The container's CPU limit from the cgroup's quota under `cgroup_root` (v2 `cpu.max`, v1
/// `cpu/cpu.cfs_quota_us`), rounded up to whole CPUs; 0 when there is none or it cannot be read.
int csyscalls_cpu_quota(const char *cgroup_root);

/// A per-thread pointer: the reactor whose thread this is, or NULL (Swift cannot declare a
/// thread-local variable itself).
void *csyscalls_current_reactor(void);
void csyscalls_set_current_reactor(void *reactor);

/// Names the calling thread (at most 15 bytes are kept), for `top -H` and `perf`.
void csyscalls_set_thread_name(const char *name);

#endif
