// The load generator of scripts/bench-concurrency (compiled by it with cc -O2): one thread,
// one epoll set, thousands of HTTP/1.1 clients. Each of STREAMS clients sends one POST with
// `Connection: close` and reads the answer to its end; LOOPERS further clients (optional) send
// another body again and again, one request after another, until the streams are done (the
// mixed load: large requests on the same reactors as the streams).
//
// Per stream it writes one line to OUT: ok (status 200 and the end marker seen), status,
// microseconds to connect, to the first response byte and to the end (all from the start of the
// connect). Then one line per looper request ("L status microseconds"), and last the
// histogram of gaps between successive reads of a stream ("G microseconds count" rows, 10 us
// buckets to 100 ms, then 1 ms buckets): the inter-chunk delay.
//
// A stream not done after CLIENT_DEADLINE_SECONDS (environment; default none) is written as
// not ok with the status it had, so a proxy that hangs fails the run instead of stalling it.
//
// usage: client HOST PORT PATH BODY STREAMS MARKER OUT [LOOPERS LOOPBODY LOOPPATH]
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

enum { CONNECTING, SENDING, READING, DONE };

typedef struct {
    int fd, state, status, ok, looper;
    size_t sent;
    int64_t start, connected, first, end, last_read;
    char tail[64];
    size_t tail_len;
    char head[16];
    size_t head_len;
} Client;

static int64_t now_us(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (int64_t)t.tv_sec * 1000000 + t.tv_nsec / 1000;
}

static char *read_file(const char *path, size_t *length) {
    FILE *file = fopen(path, "rb");
    if (!file) { perror(path); exit(2); }
    fseek(file, 0, SEEK_END);
    *length = (size_t)ftell(file);
    fseek(file, 0, SEEK_SET);
    char *bytes = malloc(*length);
    if (fread(bytes, 1, *length, file) != *length) { perror(path); exit(2); }
    fclose(file);
    return bytes;
}

static char *build_request(const char *host, int port, const char *path, const char *body, size_t body_len, size_t *length) {
    char head[1024];
    int head_len = snprintf(head, sizeof head,
        "POST %s HTTP/1.1\r\nHost: %s:%d\r\nContent-Type: application/json\r\nx-api-key: bench-key\r\n"
        "anthropic-version: 2023-06-01\r\nContent-Length: %zu\r\nConnection: close\r\n\r\n", path, host, port, body_len);
    char *request = malloc((size_t)head_len + body_len);
    memcpy(request, head, (size_t)head_len);
    memcpy(request + head_len, body, body_len);
    *length = (size_t)head_len + body_len;
    return request;
}

#define GAP_FINE 10000 // 10 us buckets up to 100 ms
#define GAP_COARSE 60000 // then 1 ms buckets up to 60 s
static uint64_t gaps[GAP_FINE + GAP_COARSE];

static void note_gap(int64_t us) {
    if (us < 100000) gaps[us / 10]++;
    else if (us / 1000 < GAP_COARSE) gaps[GAP_FINE + us / 1000]++;
    else gaps[GAP_FINE + GAP_COARSE - 1]++;
}

static struct sockaddr_in address;
static int epoll_fd;

static void start_client(Client *client) {
    memset(&client->sent, 0, sizeof *client - offsetof(Client, sent));
    client->status = 0;
    client->ok = 0;
    client->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (client->fd < 0) { perror("socket"); exit(2); }
    int one = 1;
    setsockopt(client->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    client->start = now_us();
    client->state = CONNECTING;
    if (connect(client->fd, (struct sockaddr *)&address, sizeof address) < 0 && errno != EINPROGRESS) {
        client->state = DONE;
        close(client->fd);
        client->end = now_us();
        return;
    }
    struct epoll_event event = {.events = EPOLLOUT | EPOLLIN | EPOLLRDHUP | EPOLLET, .data.ptr = client};
    epoll_ctl(epoll_fd, EPOLL_CTL_ADD, client->fd, &event);
}

int main(int argc, char **argv) {
    if (argc != 8 && argc != 11) {
        fprintf(stderr, "usage: %s HOST PORT PATH BODY STREAMS MARKER OUT [LOOPERS LOOPBODY LOOPPATH]\n", argv[0]);
        return 2;
    }
    struct rlimit limit;
    getrlimit(RLIMIT_NOFILE, &limit);
    limit.rlim_cur = limit.rlim_max;
    setrlimit(RLIMIT_NOFILE, &limit);

    const char *host = argv[1], *marker = argv[6];
    int port = atoi(argv[2]), streams = atoi(argv[5]);
    int loopers = argc == 11 ? atoi(argv[8]) : 0;
    size_t body_len, request_len, loop_len = 0;
    char *body = read_file(argv[4], &body_len);
    char *request = build_request(host, port, argv[3], body, body_len, &request_len);
    char *loop_request = NULL;
    if (loopers) {
        size_t loop_body_len;
        char *loop_body = read_file(argv[9], &loop_body_len);
        loop_request = build_request(host, port, argv[10], loop_body, loop_body_len, &loop_len);
    }
    size_t marker_len = strlen(marker);
    FILE *out = fopen(argv[7], "w");
    if (!out) { perror(argv[7]); return 2; }

    memset(&address, 0, sizeof address);
    address.sin_family = AF_INET;
    address.sin_port = htons((uint16_t)port);
    inet_pton(AF_INET, host, &address.sin_addr);
    epoll_fd = epoll_create1(EPOLL_CLOEXEC);

    int total = streams + loopers;
    Client *clients = calloc((size_t)total, sizeof(Client));
    for (int index = 0; index < total; index++) clients[index].looper = index >= streams;
    // Connections open as fast as the kernel takes them, but at most 256 still in the
    // handshake at a time: a burst of thousands of SYNs overflows any listen backlog and
    // measures the kernel's 1-second SYN retransmission instead of the server.
    int opened = 0, in_handshake = 0, finished_streams = 0;
    struct epoll_event events[512];
    char buffer[65536];
    const char *deadline_text = getenv("CLIENT_DEADLINE_SECONDS");
    int64_t deadline = deadline_text ? now_us() + (int64_t)(atof(deadline_text) * 1e6) : 0;
    while (finished_streams < streams && (!deadline || now_us() < deadline)) {
        while (opened < total && in_handshake < 256) {
            start_client(&clients[opened]);
            if (clients[opened].state == CONNECTING) in_handshake++;
            else if (!clients[opened].looper) finished_streams++;
            opened++;
        }
        int count = epoll_wait(epoll_fd, events, 512, 100);
        int64_t now = now_us();
        for (int index = 0; index < count; index++) {
            Client *client = events[index].data.ptr;
            const char *bytes = client->looper ? loop_request : request;
            size_t length = client->looper ? loop_len : request_len;
            if (client->state == CONNECTING) {
                int error = 0;
                socklen_t error_len = sizeof error;
                getsockopt(client->fd, SOL_SOCKET, SO_ERROR, &error, &error_len);
                if (client->start && !client->connected) in_handshake--;
                if (error) {
                    client->state = DONE;
                    client->end = now;
                } else {
                    client->connected = now;
                    client->state = SENDING;
                }
            }
            if (client->state == SENDING) {
                while (client->sent < length) {
                    ssize_t written = send(client->fd, bytes + client->sent, length - client->sent, MSG_NOSIGNAL);
                    if (written < 0) {
                        if (errno != EAGAIN) { client->state = DONE; client->end = now; }
                        break;
                    }
                    client->sent += (size_t)written;
                }
                if (client->sent == length) client->state = READING;
            }
            if (client->state == READING || client->state == SENDING) {
                while (1) {
                    ssize_t got = read(client->fd, buffer, sizeof buffer);
                    if (got > 0) {
                        if (!client->first) client->first = now;
                        else if (!client->looper) note_gap(now - client->last_read);
                        client->last_read = now;
                        if (client->head_len < sizeof client->head - 1) {
                            size_t take = sizeof client->head - 1 - client->head_len;
                            if (take > (size_t)got) take = (size_t)got;
                            memcpy(client->head + client->head_len, buffer, take);
                            client->head_len += take;
                            client->head[client->head_len] = 0;
                        }
                        // Keep the last bytes to find the end marker across reads.
                        char joined[sizeof client->tail + sizeof buffer];
                        memcpy(joined, client->tail, client->tail_len);
                        memcpy(joined + client->tail_len, buffer, (size_t)got);
                        size_t joined_len = client->tail_len + (size_t)got;
                        if (memmem(joined, joined_len, marker, marker_len)) client->ok = 1;
                        client->tail_len = joined_len < sizeof client->tail ? joined_len : sizeof client->tail;
                        memcpy(client->tail, joined + joined_len - client->tail_len, client->tail_len);
                        continue;
                    }
                    if (got < 0 && errno == EAGAIN) break;
                    client->state = DONE;
                    client->end = now;
                    break;
                }
            }
            if (client->state == DONE) {
                epoll_ctl(epoll_fd, EPOLL_CTL_DEL, client->fd, NULL);
                close(client->fd);
                if (client->head_len > 12) client->status = atoi(client->head + 9);
                int64_t connect_us = client->connected ? client->connected - client->start : -1;
                int64_t first_us = client->first ? client->first - client->start : -1;
                if (client->looper) {
                    fprintf(out, "L %d %lld\n", client->status, (long long)(client->end - client->start));
                    if (finished_streams < streams) start_client(client);
                    if (client->state == CONNECTING) in_handshake++;
                } else {
                    fprintf(out, "S %d %d %lld %lld %lld\n", client->ok && client->status == 200, client->status,
                        (long long)connect_us, (long long)first_us, (long long)(client->end - client->start));
                    finished_streams++;
                }
            }
        }
    }
    for (int index = 0; index < streams; index++) {
        Client *client = &clients[index];
        if (client->state == DONE && client->end) continue;
        if (client->head_len > 12) client->status = atoi(client->head + 9);
        fprintf(out, "S 0 %d -1 -1 %lld\n", client->status, (long long)(now_us() - client->start));
    }
    for (int bucket = 0; bucket < GAP_FINE + GAP_COARSE; bucket++) {
        if (gaps[bucket]) fprintf(out, "G %lld %llu\n", (long long)(bucket < GAP_FINE ? bucket * 10 : (bucket - GAP_FINE) * 1000), (unsigned long long)gaps[bucket]);
    }
    fclose(out);
    return 0;
}
