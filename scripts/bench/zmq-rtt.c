// Where a ZeroMQ round trip goes, without Node: libzmq's own DEALER/ROUTER ping-pong over loopback TCP
// (one thread, blocking calls: every hop still crosses libzmq's I/O thread), and the kernel's floor, a
// blocking TCP ping-pong. Run by scripts/bench/_zmq-latency.mjs, which compiles it against the system's
// libzmq (no headers needed: the few prototypes used are declared here).
//   zmq-rtt <zmq|tcp> <round trips> <payload bytes> [io threads]
// Prints one JSON line: round trips per second and CPU µs per round trip (every thread of the process).
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

void *zmq_ctx_new(void);
int zmq_ctx_set(void *ctx, int option, int value);
int zmq_ctx_term(void *ctx);
void *zmq_socket(void *ctx, int type);
int zmq_bind(void *s, const char *addr);
int zmq_connect(void *s, const char *addr);
int zmq_send(void *s, const void *buf, size_t len, int flags);
int zmq_recv(void *s, void *buf, size_t len, int flags);
int zmq_getsockopt(void *s, int option, void *value, size_t *len);
int zmq_close(void *s);
#define ZMQ_IO_THREADS 1
#define ZMQ_DEALER 5
#define ZMQ_ROUTER 6
#define ZMQ_SNDMORE 2
#define ZMQ_LAST_ENDPOINT 32

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + t.tv_nsec / 1e9;
}

static double cpu(void) {
  struct rusage u;
  getrusage(RUSAGE_SELF, &u);
  return u.ru_utime.tv_sec + u.ru_utime.tv_usec / 1e6 + u.ru_stime.tv_sec + u.ru_stime.tv_usec / 1e6;
}

static void report(const char *what, int n, double t0, double c0) {
  double t = now() - t0, c = cpu() - c0;
  printf("{\"what\":\"%s\",\"roundTrips\":%d,\"perSecond\":%.0f,\"usPerRoundTrip\":%.2f,\"cpuUsPerRoundTrip\":%.2f}\n", what, n, n / t, t / n * 1e6, c / n * 1e6);
}

static int zmq_rtt(int n, int size, int io) {
  char buf[65536], id[256], ep[256];
  memset(buf, 'x', size);
  void *ctx = zmq_ctx_new();
  zmq_ctx_set(ctx, ZMQ_IO_THREADS, io);
  void *router = zmq_socket(ctx, ZMQ_ROUTER), *dealer = zmq_socket(ctx, ZMQ_DEALER);
  if (zmq_bind(router, "tcp://127.0.0.1:*") != 0) return 1;
  size_t len = sizeof ep;
  zmq_getsockopt(router, ZMQ_LAST_ENDPOINT, ep, &len);
  zmq_connect(dealer, ep);
  for (int round = 0; round < 2; round++) { // a warm-up round, then the measured one
    int count = round == 0 ? n / 10 : n;
    double t0 = now(), c0 = cpu();
    for (int i = 0; i < count; i++) {
      zmq_send(dealer, buf, size, 0);
      int idlen = zmq_recv(router, id, sizeof id, 0);
      zmq_recv(router, buf, sizeof buf, 0);
      zmq_send(router, id, idlen, ZMQ_SNDMORE);
      zmq_send(router, buf, size, 0);
      zmq_recv(dealer, buf, sizeof buf, 0);
    }
    if (round == 1) report("libzmq DEALER/ROUTER", count, t0, c0);
  }
  zmq_close(dealer);
  zmq_close(router);
  zmq_ctx_term(ctx);
  return 0;
}

static int tcp_rtt(int n, int size) {
  char buf[65536];
  memset(buf, 'x', size);
  int l = socket(AF_INET, SOCK_STREAM, 0), one = 1;
  struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
  socklen_t al = sizeof a;
  bind(l, (struct sockaddr *)&a, sizeof a);
  listen(l, 1);
  getsockname(l, (struct sockaddr *)&a, &al);
  int c = socket(AF_INET, SOCK_STREAM, 0);
  if (connect(c, (struct sockaddr *)&a, sizeof a) != 0) return 1;
  int s = accept(l, NULL, NULL);
  setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  for (int round = 0; round < 2; round++) {
    int count = round == 0 ? n / 10 : n;
    double t0 = now(), c0 = cpu();
    for (int i = 0; i < count; i++) {
      write(c, buf, size);
      for (int got = 0; got < size;) got += read(s, buf, size - got);
      write(s, buf, size);
      for (int got = 0; got < size;) got += read(c, buf, size - got);
    }
    if (round == 1) report("TCP (blocking, one thread)", count, t0, c0);
  }
  close(c);
  close(s);
  close(l);
  return 0;
}

int main(int argc, char **argv) {
  if (argc < 4) return 2;
  int n = atoi(argv[2]), size = atoi(argv[3]), io = argc > 4 ? atoi(argv[4]) : 1;
  return strcmp(argv[1], "zmq") == 0 ? zmq_rtt(n, size, io) : tcp_rtt(n, size);
}
