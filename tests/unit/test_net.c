/* SPDX-License-Identifier: GPL-2.0-or-later */
/* test_net.c - unit tests for the pure parts of networking: port specs,
 * spec checks, /etc/resolv.conf and /etc/hosts, slirp4netns API messages. */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "nook/error.h"
#include "nook/net.h"
#include "nook/spec.h"
#include "tap.h"

static struct nook_port parse_ok(const char *spec)
{
	struct nook_port p = { 0 };
	char why[256] = "";
	int r = nook_port_parse(spec, &p, why, sizeof(why));
	ck_assert_msg(r == 0, "'%s' should parse, got %d: %s", spec, r, why);
	return p;
}

static void parse_bad(const char *spec, const char *want_in_msg)
{
	struct nook_port p = { 0 };
	char why[256] = "";
	int r = nook_port_parse(spec, &p, why, sizeof(why));
	ck_assert_msg(r == -EINVAL, "'%s' should be rejected, got %d", spec ? spec : "(null)", r);
	ck_assert_msg(strstr(why, want_in_msg), "message for '%s' lacks '%s': %s", spec ? spec : "(null)", want_in_msg, why);
	ck_assert_ptr_null(p.host_addr);
}

START_TEST(port_host_container)
{
	struct nook_port p = parse_ok("8080:80");
	ck_assert_str_eq(p.host_addr, "127.0.0.1");
	ck_assert_uint_eq(p.host_port, 8080);
	ck_assert_uint_eq(p.container_port, 80);
	ck_assert(!p.udp);
	free(p.host_addr);
}
END_TEST

START_TEST(port_addr_udp)
{
	struct nook_port p = parse_ok("127.0.0.1:5353:53/udp");
	ck_assert_str_eq(p.host_addr, "127.0.0.1");
	ck_assert_uint_eq(p.host_port, 5353);
	ck_assert_uint_eq(p.container_port, 53);
	ck_assert(p.udp);
	free(p.host_addr);

	p = parse_ok("0.0.0.0:8443:443/tcp");
	ck_assert_str_eq(p.host_addr, "0.0.0.0");
	ck_assert_uint_eq(p.host_port, 8443);
	ck_assert_uint_eq(p.container_port, 443);
	ck_assert(!p.udp);
	free(p.host_addr);
}
END_TEST

START_TEST(port_single)
{
	struct nook_port p = parse_ok("9000");
	ck_assert_str_eq(p.host_addr, "127.0.0.1");
	ck_assert_uint_eq(p.host_port, 9000);
	ck_assert_uint_eq(p.container_port, 9000);
	free(p.host_addr);

	p = parse_ok("65535:1/udp");
	ck_assert_uint_eq(p.host_port, 65535);
	ck_assert_uint_eq(p.container_port, 1);
	ck_assert(p.udp);
	free(p.host_addr);
}
END_TEST

START_TEST(port_errors)
{
	parse_bad("", "empty port spec");
	parse_bad(NULL, "empty port spec");
	parse_bad("0:80", "out of range");
	parse_bad("65536:80", "out of range");
	parse_bad("8080:99999999999", "out of range");
	parse_bad("8080:", "container port is empty");
	parse_bad(":80", "host port is empty");
	parse_bad("http:80", "is not a number");
	parse_bad("8080:80/sctp", "unknown protocol 'sctp'");
	parse_bad("8080:80/", "unknown protocol");
	parse_bad("8000-8010:80", "ranges are not supported");
	parse_bad("1.2.3:8080:80", "'1.2.3' is not an IPv4 address");
	parse_bad("localhost:8080:80", "not an IPv4 address");
	parse_bad("[::1]:8080:80", "IPv6");
	parse_bad("1:2:3:4", "too many ':'");
	parse_bad("127.0.0.1:8080", "give both ports");
	parse_bad("80 :80", "white space");
	parse_bad(":8080:80", "host address before ':' is empty");
}
END_TEST

START_TEST(port_format)
{
	struct nook_port p = { .host_addr = (char *)"127.0.0.1", .host_port = 5353, .container_port = 53, .udp = true };
	char buf[64], tiny[8];
	ck_assert_int_eq(nook_port_format(&p, buf, sizeof(buf)), 0);
	ck_assert_str_eq(buf, "127.0.0.1:5353->53/udp");
	ck_assert_int_eq(nook_port_format(&p, tiny, sizeof(tiny)), -ENOSPC);
}
END_TEST

static struct nook_spec base_spec(enum nook_net_mode m)
{
	struct nook_spec s;
	memset(&s, 0, sizeof(s));
	s.net = m;
	return s;
}

START_TEST(check_spec)
{
	struct nook_port ports[3] = {
		{ .host_addr = (char *)"127.0.0.1", .host_port = 8080, .container_port = 80 },
		{ .host_addr = (char *)"127.0.0.1", .host_port = 8080, .container_port = 80, .udp = true },
		{ .host_addr = (char *)"0.0.0.0", .host_port = 8080, .container_port = 81 },
	};
	struct nook_error err = { 0 };
	struct nook_spec s = base_spec(NOOK_NET_SLIRP);

	ck_assert_int_eq(nook_net_check(&s, &err), 0);
	s.ports = ports;
	s.n_ports = 2; /* same port, different protocols: fine */
	ck_assert_int_eq(nook_net_check(&s, &err), 0);
	s.n_ports = 3; /* 0.0.0.0:8080/tcp clashes with 127.0.0.1:8080/tcp */
	ck_assert_int_eq(nook_net_check(&s, &err), -EINVAL);
	ck_assert_msg(strstr(err.msg, "127.0.0.1:8080->80/tcp") && strstr(err.msg, "0.0.0.0:8080->81/tcp"), "%s", err.msg);

	s.n_ports = 1;
	s.net = NOOK_NET_NONE;
	ck_assert_int_eq(nook_net_check(&s, &err), -EINVAL);
	ck_assert_msg(strstr(err.msg, "not 'none'"), "%s", err.msg);
	s.net = NOOK_NET_HOST;
	ck_assert_int_eq(nook_net_check(&s, &err), -EINVAL);
	ck_assert_msg(strstr(err.msg, "not 'host'"), "%s", err.msg);

	s = base_spec(NOOK_NET_PASTA);
	s.mtu = 40;
	ck_assert_int_eq(nook_net_check(&s, &err), -EINVAL);
	ck_assert_msg(strstr(err.msg, "MTU 40"), "%s", err.msg);
	s.mtu = 1500;
	ck_assert_int_eq(nook_net_check(&s, &err), 0);
	s.mtu = 70000;
	ck_assert_int_eq(nook_net_check(&s, &err), -EINVAL);

	s = base_spec(NOOK_NET_NONE);
	s.allow_host_loopback = true;
	ck_assert_int_eq(nook_net_check(&s, &err), -EINVAL);
	ck_assert_msg(strstr(err.msg, "allow_host_loopback"), "%s", err.msg);

	s = base_spec(NOOK_NET_NONE);
	s.hostname = (char *)"evil\n1.2.3.4 bank";
	ck_assert_int_eq(nook_net_check(&s, &err), -EINVAL);
}
END_TEST

START_TEST(resolv_conf)
{
	struct nook_spec s = base_spec(NOOK_NET_SLIRP);
	char buf[256], tiny[10];

	ck_assert_int_eq(nook_net_resolv_conf(&s, buf, sizeof(buf)), 0);
	ck_assert_msg(strstr(buf, "\nnameserver 10.0.2.3\n"), "%s", buf);
	s.net = NOOK_NET_PASTA;
	ck_assert_int_eq(nook_net_resolv_conf(&s, buf, sizeof(buf)), 0);
	ck_assert_msg(strstr(buf, "\nnameserver 10.0.2.3\n"), "%s", buf);
	ck_assert_int_eq(nook_net_resolv_conf(&s, tiny, sizeof(tiny)), -ENOSPC);
	s.net = NOOK_NET_NONE;
	ck_assert_int_eq(nook_net_resolv_conf(&s, buf, sizeof(buf)), -ENOENT);
	s.net = NOOK_NET_HOST;
	ck_assert_int_eq(nook_net_resolv_conf(&s, buf, sizeof(buf)), -ENOENT);
}
END_TEST

START_TEST(hosts)
{
	struct nook_spec s = base_spec(NOOK_NET_SLIRP);
	char buf[512], tiny[40];

	s.hostname = (char *)"box";
	ck_assert_int_eq(nook_net_hosts(&s, buf, sizeof(buf)), 0);
	ck_assert_msg(strstr(buf, "\n127.0.0.1\tlocalhost\n"), "%s", buf);
	ck_assert_msg(strstr(buf, "\n10.0.2.100\tbox\n"), "%s", buf);
	ck_assert_msg(!strstr(buf, "host.nook.internal"), "%s", buf);
	s.allow_host_loopback = true;
	ck_assert_int_eq(nook_net_hosts(&s, buf, sizeof(buf)), 0);
	ck_assert_msg(strstr(buf, "\n10.0.2.2\thost.nook.internal\n"), "%s", buf);

	s = base_spec(NOOK_NET_NONE);
	ck_assert_int_eq(nook_net_hosts(&s, buf, sizeof(buf)), 0);
	ck_assert_msg(strstr(buf, "\n127.0.1.1\tnook\n"), "default hostname: %s", buf);
	ck_assert_msg(!strstr(buf, "10.0.2."), "%s", buf);
	ck_assert_int_eq(nook_net_hosts(&s, tiny, sizeof(tiny)), -ENOSPC);
	ck_assert_uint_lt(strlen(tiny), sizeof(tiny));

	s.hostname = (char *)"a b";
	ck_assert_int_eq(nook_net_hosts(&s, buf, sizeof(buf)), -EINVAL);
	s.hostname = (char *)"";
	ck_assert_int_eq(nook_net_hosts(&s, buf, sizeof(buf)), -EINVAL);
	s = base_spec(NOOK_NET_HOST);
	ck_assert_int_eq(nook_net_hosts(&s, buf, sizeof(buf)), -ENOENT);
}
END_TEST

START_TEST(hostfwd_request)
{
	struct nook_port p = { .host_addr = (char *)"127.0.0.1", .host_port = 8080, .container_port = 80 };
	char buf[512], tiny[32];
	int n = nook_slirp_hostfwd_request(&p, buf, sizeof(buf));

	ck_assert_int_eq(n, (int)strlen(buf));
	ck_assert_str_eq(buf, "{\"execute\": \"add_hostfwd\", \"arguments\": {\"proto\": \"tcp\", "
			      "\"host_addr\": \"127.0.0.1\", \"host_port\": 8080, \"guest_addr\": \"10.0.2.100\", "
			      "\"guest_port\": 80}}\n");
	/* the request must itself parse as the JSON it claims to be */
	{
		char why[128];
		ck_assert_int_eq(nook_slirp_parse_reply(buf, (size_t)n, why, sizeof(why)), -EPROTO);
		ck_assert_msg(strstr(why, "neither"), "request is not valid JSON: %s", why);
	}

	p.udp = true;
	p.host_addr = (char *)"a\"b\\c\n\x01";
	n = nook_slirp_hostfwd_request(&p, buf, sizeof(buf));
	ck_assert_int_gt(n, 0);
	ck_assert_msg(strstr(buf, "\"proto\": \"udp\""), "%s", buf);
	ck_assert_msg(strstr(buf, "\"host_addr\": \"a\\\"b\\\\c\\n\\u0001\""), "escaping: %s", buf);
	ck_assert_int_eq(nook_slirp_hostfwd_request(&p, tiny, sizeof(tiny)), -ENOSPC);
}
END_TEST

START_TEST(api_reply)
{
	char why[128];
	const char *ok = "{\"return\":{\"id\":1}}";
	const char *bad = "{\"error\":{\"desc\":\"bad request: add_hostfwd: slirp_add_hostfwd failed\"}}";
	const char *spaced = "{ \"error\" : { \"desc\" : \"quote \\\" inside\" } }\n";

	ck_assert_int_eq(nook_slirp_parse_reply(ok, strlen(ok), why, sizeof(why)), 0);
	ck_assert_int_eq(nook_slirp_parse_reply(bad, strlen(bad), why, sizeof(why)), -EIO);
	ck_assert_str_eq(why, "bad request: add_hostfwd: slirp_add_hostfwd failed");
	ck_assert_int_eq(nook_slirp_parse_reply(spaced, strlen(spaced), why, sizeof(why)), -EIO);
	ck_assert_str_eq(why, "quote \" inside");
	ck_assert_int_eq(nook_slirp_parse_reply("", 0, why, sizeof(why)), -EPROTO);
	ck_assert_int_eq(nook_slirp_parse_reply("{\"x\": 1", 7, why, sizeof(why)), -EPROTO);
	ck_assert_int_eq(nook_slirp_parse_reply("[1, 2]", 6, why, sizeof(why)), -EPROTO);
	ck_assert_int_eq(nook_slirp_parse_reply("{\"error\": 3}", 12, why, sizeof(why)), -EIO);
	ck_assert_str_eq(why, "error without a description");
}
END_TEST

int main(void)
{
	Suite *s = suite_create("net");
	TCase *tc = tcase_create("net");
	tcase_add_test(tc, port_host_container);
	tcase_add_test(tc, port_addr_udp);
	tcase_add_test(tc, port_single);
	tcase_add_test(tc, port_errors);
	tcase_add_test(tc, port_format);
	tcase_add_test(tc, check_spec);
	tcase_add_test(tc, resolv_conf);
	tcase_add_test(tc, hosts);
	tcase_add_test(tc, hostfwd_request);
	tcase_add_test(tc, api_reply);
	suite_add_tcase(s, tc);
	return nook_check_main(s);
}
