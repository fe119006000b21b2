// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * A librdkafka mock cluster (one broker, topic "wl") for the live test, run inside the test's
 * namespace. librdkafka 2.0 binds mock brokers to 127.0.0.1 and advertises the bound address, so
 * this program interposes bind(): an IPv4 loopback bind goes to $WL_BIND_IP instead, and the
 * broker is reachable (and advertised) on the namespace's veth address, so clients on the host
 * cross the veth that wirelens watches. Prints the bootstrap servers, then runs until killed.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <dlfcn.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

int bind(int fd, const struct sockaddr *sa, socklen_t len)
{
	static int (*real_bind)(int, const struct sockaddr *, socklen_t);
	const char *ip = getenv("WL_BIND_IP");
	struct sockaddr_in sin;

	if (!real_bind)
		real_bind =
			(int (*)(int, const struct sockaddr *, socklen_t))dlsym(RTLD_NEXT, "bind");
	if (ip && sa->sa_family == AF_INET && len >= sizeof(sin)) {
		memcpy(&sin, sa, sizeof(sin));
		if (sin.sin_addr.s_addr == htonl(INADDR_LOOPBACK) &&
		    inet_pton(AF_INET, ip, &sin.sin_addr) == 1)
			return real_bind(fd, (struct sockaddr *)&sin, sizeof(sin));
	}
	return real_bind(fd, sa, len);
}

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

int main(void)
{
	char err[256];
	rd_kafka_conf_t *conf = rd_kafka_conf_new();
	rd_kafka_mock_cluster_t *mc;
	rd_kafka_t *rk;

	rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof(err));
	if (!rk) {
		fprintf(stderr, "rd_kafka_new: %s\n", err);
		return 1;
	}
	mc = rd_kafka_mock_cluster_new(rk, 1);
	if (!mc) {
		fprintf(stderr, "rd_kafka_mock_cluster_new failed\n");
		return 1;
	}
	rd_kafka_mock_topic_create(mc, "wl", 1, 1);
	printf("%s\n", rd_kafka_mock_cluster_bootstraps(mc));
	fflush(stdout);
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	while (!stop)
		pause();
	rd_kafka_mock_cluster_destroy(mc);
	rd_kafka_destroy(rk);
	return 0;
}
