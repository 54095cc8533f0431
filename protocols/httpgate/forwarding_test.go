package httpgate

import (
	"fmt"
	"strings"
	"testing"
)

// spoofedForwarding are forwarding headers an upstream trusts from its
// proxy, with the values a client would claim.
var spoofedForwarding = []string{
	"X-Forwarded-For: 10.66.0.1", "X-Forwarded-Host: admin.internal.example", "X-Forwarded-Proto: https-spoof",
	"X-Forwarded-Port: 6666", "X-Forwarded-Prefix: /spoof-admin", "X-Forwarded-Ssl: on-spoof",
	"X-Forwarded-Scheme: spoofscheme", "X-Forwarded-Server: spoof.internal", "X-Forwarded-Client-Cert: Hash=spoof",
	"X-Forwarded-Uri: /spoof-admin/x", "Forwarded: for=10.66.0.1;host=spoof.internal", "X-Real-IP: 10.66.0.1",
	"True-Client-IP: 10.66.0.1", "X-Client-IP: 10.66.0.1", "Client-IP: 10.66.0.1", "X-Cluster-Client-IP: 10.66.0.1",
	"CF-Connecting-IP: 10.66.0.1", "Fastly-Client-IP: 10.66.0.1", "X-Original-Forwarded-For: 10.66.0.1",
	"X-Originating-IP: 10.66.0.1", "X-Remote-IP: 10.66.0.1", "X-Remote-Addr: 10.66.0.1", "X-ProxyUser-Ip: 10.66.0.1",
	"X-Original-Host: spoof.internal", "X-Host: spoof.internal", "X-HTTP-Host-Override: spoof.internal",
	"Front-End-Https: on-spoof", "X-Url-Scheme: spoofscheme", "X-Forwarded: for=10.66.0.1", "Forwarded-For: 10.66.0.1",
	"X-Scheme: spoofscheme", "X-Envoy-External-Address: 10.66.0.1", "Fly-Client-IP: 10.66.0.1", "X-Azure-ClientIP: 10.66.0.1",
	"X-Azure-SocketIP: 10.66.0.1", "X-AppEngine-User-IP: 10.66.0.1", "CF-Connecting-IPv6: ::10.66.0.1",
	"CF-Pseudo-IPv4: 10.66.0.1", "X-Original-Remote-Addr: 10.66.0.1",
}

// TestClientForwardingHeadersNeverReachTheUpstream sends random sets of
// forwarding headers, in random case, through the reverse proxy and the
// middleware: the upstream, which takes the gateway for its trusted proxy,
// and the handler behind the middleware, which trusts the proxies in front
// of its server (chi's RealIP, Gin's ClientIP, Rails' remote_ip), must
// never receive a value the client claimed (an address for an IP
// allowlist, a host, scheme, port or prefix), only what the gateway sets
// from the connection.
func TestClientForwardingHeadersNeverReachTheUpstream(t *testing.T) {
	_, up, srvs := gatedServers(t, headerRules)
	rng := newRand(t)
	spoofed := 0
	for i := range 400 {
		srvName := []string{"proxy", "middleware"}[i%2]
		var lines []string
		for range 1 + rng.IntN(4) {
			h := pick(rng, spoofedForwarding)
			name, value, _ := strings.Cut(h, ": ")
			switch rng.IntN(3) {
			case 0:
				name = strings.ToLower(name)
			case 1:
				name = strings.ToUpper(name)
			}
			lines = append(lines, name+": "+value)
		}
		req := fmt.Sprintf("GET /api/h HTTP/1.1\r\nHost: a\r\nAuthorization: Bearer %s\r\nConnection: close\r\n%s\r\n\r\n", agentToken, strings.Join(lines, "\r\n"))
		if code, body := raw(t, srvs[srvName], req); code != 200 {
			t.Fatalf("%s: %q: status %d %s", srvName, lines, code, body)
		}
		got := up.take()
		if len(got) != 1 {
			t.Fatalf("%s: %q: upstream got %d requests", srvName, lines, len(got))
		}
		if k, v, ok := spoofedHeader(got[0]); ok {
			spoofed++
			t.Errorf("%s: %q: the upstream received the client's %s: %q", srvName, lines, k, v)
		}
	}
	t.Logf("%d requests delivered a client's forwarding claim", spoofed)
}

// spoofedHeader returns a header of r holding a value a client claimed
// in spoofedForwarding.
func spoofedHeader(r received) (string, string, bool) {
	for k, vs := range r.header {
		for _, v := range vs {
			if strings.Contains(v, "spoof") || strings.Contains(v, "10.66.0.1") || strings.Contains(v, "6666") {
				return k, v, true
			}
		}
	}
	return "", "", false
}

// cgiName is the environment variable a CGI server that maps every
// character other than a letter or a digit to '_' (lighttpd, Apache 2.2)
// gives the header k: X.Real.IP is HTTP_X_REAL_IP.
func cgiName(k string) string {
	return "HTTP_" + strings.Map(func(r rune) rune {
		if 'a' <= r && r <= 'z' {
			return r - 'a' + 'A'
		}
		if 'A' <= r && r <= 'Z' || '0' <= r && r <= '9' {
			return r
		}
		return '_'
	}, k)
}

// TestForwardingHeadersUnderCGINamesNeverReachTheUpstream sends the
// spoofed forwarding headers with their dashes spelt as other token
// characters ('.', '_', '!', '~', ...) through the reverse proxy and the
// middleware: a CGI upstream (PHP under lighttpd) reads X.Real.IP as
// HTTP_X_REAL_IP, so no such header may reach it with the client's value.
func TestForwardingHeadersUnderCGINamesNeverReachTheUpstream(t *testing.T) {
	_, up, srvs := gatedServers(t, headerRules)
	rng := newRand(t)
	seps := []string{".", "_", "!", "~", "*", "+", "|", "^", "`", "#", "$", "%", "&", "'"}
	for i := range 300 {
		srvName := []string{"proxy", "middleware"}[i%2]
		h := pick(rng, spoofedForwarding)
		name, value, _ := strings.Cut(h, ": ")
		name = strings.ReplaceAll(name, "-", pick(rng, seps))
		req := fmt.Sprintf("GET /api/h HTTP/1.1\r\nHost: a\r\nAuthorization: Bearer %s\r\nConnection: close\r\n%s: %s\r\n\r\n", agentToken, name, value)
		code, _ := raw(t, srvs[srvName], req)
		for _, got := range up.take() {
			if k, v, ok := spoofedHeader(got); ok {
				t.Errorf("%s: %s (status %d): the upstream received the client's %s (%s): %q", srvName, name, code, k, cgiName(k), v)
			}
		}
	}
}
