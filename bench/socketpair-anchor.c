/*
 * The anchor of bench/devices.ts: the cheapest form of what a socket route does per
 * synchronous access — a request and its reply over a Unix socketpair between two
 * processes — in C on the same host in the same run.
 *
 *   socketpair-anchor N    N round trips of a 24-byte request and a 16-byte reply
 *
 * Prints nanoseconds per round trip.
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e9 + ts.tv_nsec;
}

int main(int argc, char **argv) {
  long n = argc > 1 ? atol(argv[1]) : 100000;
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0) {
    perror("socketpair");
    return 1;
  }
  pid_t pid = fork();
  if (pid == 0) {
    char req[24], rep[16] = {0};
    close(sv[0]);
    for (;;) {
      ssize_t got = 0;
      while (got < (ssize_t)sizeof req) {
        ssize_t r = read(sv[1], req + got, sizeof req - got);
        if (r <= 0) _exit(0);
        got += r;
      }
      if (write(sv[1], rep, sizeof rep) != (ssize_t)sizeof rep) _exit(1);
    }
  }
  close(sv[1]);
  char req[24] = {0}, rep[16];
  double t0 = now_ns();
  for (long i = 0; i < n; i++) {
    if (write(sv[0], req, sizeof req) != (ssize_t)sizeof req) return 1;
    ssize_t got = 0;
    while (got < (ssize_t)sizeof rep) {
      ssize_t r = read(sv[0], rep + got, sizeof rep - got);
      if (r <= 0) return 1;
      got += r;
    }
  }
  double ns = (now_ns() - t0) / n;
  close(sv[0]);
  waitpid(pid, NULL, 0);
  printf("%.1f\n", ns);
  return 0;
}
