/* A UDP echo server for Orchestra's tests of published UDP ports: every datagram on $PORT (9000) is answered
 * with "<pod name> <sender address> <payload>", so a test sees which pod answered and whom it saw.
 * Built static by scripts/build-demo-image.sh into orchestra/test-busybox. */
#include <arpa/inet.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static void stop(int sig) { (void)sig; _exit(0); }

int main(void) {
  const char *port = getenv("PORT");
  const char *pod = getenv("ORCHESTRA_POD_NAME");
  char host[64] = "?";
  if (!pod) pod = gethostname(host, sizeof host) == 0 ? host : "?";
  signal(SIGTERM, stop); /* as PID 1 the default would be to ignore it */
  int fd = socket(AF_INET, SOCK_DGRAM, 0);
  struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons(port ? atoi(port) : 9000)};
  if (fd < 0 || bind(fd, (struct sockaddr *)&addr, sizeof addr) < 0) { perror("udp-echo"); return 1; }
  for (;;) {
    char in[1024], out[1200];
    struct sockaddr_in from;
    socklen_t len = sizeof from;
    ssize_t n = recvfrom(fd, in, sizeof in - 1, 0, (struct sockaddr *)&from, &len);
    if (n < 0) continue;
    in[n] = 0;
    int m = snprintf(out, sizeof out, "%s %s %s", pod, inet_ntoa(from.sin_addr), in);
    sendto(fd, out, m < (int)sizeof out ? m : (int)sizeof out - 1, 0, (struct sockaddr *)&from, len);
  }
}
