package httpgate

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"strings"
	"testing"

	"github.com/airlock-sdk/airlock/gate"
)

func gz(s string) string {
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	zw.Write([]byte(s))
	zw.Close()
	return b.String()
}

// TestEvasionSuite sends requests that try to slip past the rules, byte for
// byte over TCP, to the reverse proxy and to the middleware. Each must be
// refused, either by the gateway's own checks or by the rule it tries to
// evade, and none may reach the upstream.
func TestEvasionSuite(t *testing.T) {
	type tc struct {
		name    string
		method  string
		target  string
		headers string
		body    string
		want    int
	}
	json := "Content-Type: application/json\r\n"
	cases := []tc{
		{"dot-segments", "GET", "/api/../admin/x", "", "", 403},
		{"encoded dots", "GET", "/api/%2e%2e/admin/x", "", "", 403},
		{"encoded dots upper", "GET", "/api/%2E%2E/admin/x", "", "", 403},
		{"single dot", "GET", "/api/./../admin/x", "", "", 403},
		{"leading double slash", "GET", "//admin/x", "", "", 403},
		{"inner double slashes", "GET", "/api//..//admin/x", "", "", 403},
		{"mixed case", "GET", "/AdMiN/x", "", "", 403},
		{"encoded letters", "GET", "/%61dmin/x", "", "", 403},
		{"dotless i", "GET", "/adm%C4%B1n/x", "", "", 400},
		{"long s", "GET", "/%C5%BFecret/admin/x", "", "", 400},
		{"Kelvin sign", "GET", "/api/%E2%84%AAey", "", "", 400},
		{"dotted capital I", "GET", "/ADM%C4%B0N/x", "", "", 400},
		{"path parameter", "GET", "/admin;jsessionid=1/x", "", "", 400},
		{"path parameter dot-dot", "GET", "/api/x;/../../admin/x", "", "", 400},
		{"encoded semicolon", "GET", "/admin%3bx/x", "", "", 400},
		{"encoded slash", "GET", "/api/..%2fadmin/x", "", "", 400},
		{"double encoding", "GET", "/api/%252e%252e/admin/x", "", "", 400},
		{"backslash", "GET", "/api/..\\admin/x", "", "", 400},
		{"encoded backslash", "GET", "/api/..%5cadmin/x", "", "", 400},
		{"above root", "GET", "/../admin/x", "", "", 400},
		{"encoded NUL", "GET", "/admin%00/x", "", "", 400},
		{"override header", "POST", "/api/echo", "X-HTTP-Method-Override: DELETE\r\n", "", 400},
		{"override header 2", "POST", "/api/echo", "X-Method-Override: DELETE\r\n", "", 400},
		{"override header 3", "POST", "/api/echo", "X-HTTP-Method: DELETE\r\n", "", 400},
		{"override query upper case", "POST", "/api/echo?_METHOD=DELETE", "", "", 400},
		{"path override header", "GET", "/api/echo", "X-Original-URL: /admin/x\r\n", "", 400},
		{"path rewrite header", "GET", "/api/echo", "X-Rewrite-URL: /admin/x\r\n", "", 400},
		{"override query", "POST", "/api/echo?_method=DELETE", "", "", 400},
		{"override form", "POST", "/api/echo", "Content-Type: application/x-www-form-urlencoded\r\n", "_method=DELETE", 400},
		{"lowercase method", "get", "/admin/x", "", "", 405},
		{"lowercase method allowed path", "get", "/api/echo", "", "", 405},
		{"mixed-case method", "Get", "/api/echo", "", "", 405},
		{"unknown method", "PROPFIND", "/api/echo", "", "", 405},
		{"duplicate query", "GET", "/api/echo?id=1&id=2", "", "", 400},
		{"query key by case", "GET", "/api/echo?id=1&ID=2", "", "", 400},
		{"websocket upgrade", "GET", "/api/echo", "Connection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n", "", 400},
		{"h2c upgrade", "GET", "/api/echo", "Connection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAAQCAAAAAAIAAAAA\r\n", "", 400},
		{"underscore header", "GET", "/api/echo", "X_Forwarded_For: 10.0.0.1\r\n", "", 400},
		{"semicolon query", "GET", "/api/echo?id=1;id=2", "", "", 400},
		{"duplicate form field", "POST", "/api/payments", "Content-Type: application/x-www-form-urlencoded\r\n", "amount=1&amount=5000", 400},
		{"duplicate JSON key", "POST", "/api/payments", json, `{"amount":1,"amount":5000}`, 400},
		{"duplicate JSON key by case", "POST", "/api/payments", json, `{"amount":1,"AMOUNT":5000}`, 400},
		{"duplicate JSON key escaped", "POST", "/api/payments", json, `{"amount":1,"\u0061mount":5000}`, 400},
		{"nested duplicate JSON key", "POST", "/api/payments", json, `{"x":{"a":1,"a":2}}`, 400},
		{"JSON trailing data", "POST", "/api/payments", json, `{"amount":1}{"amount":5000}`, 400},
		{"invalid JSON", "POST", "/api/payments", json, `{"amount":`, 400},
		{"invalid UTF-8 JSON", "POST", "/api/payments", json, "{\"amount\":1,\"n\":\"\xff\"}", 400},
		{"deep JSON", "POST", "/api/payments", json, strings.Repeat("[", 100) + strings.Repeat("]", 100), 400},
		{"JSON as text/plain", "POST", "/api/payments", "Content-Type: text/plain\r\n", `{"amount":5000}`, 415},
		{"JSON without Content-Type", "POST", "/api/payments", "", ` {"amount":5000}`, 415},
		{"JSON with a BOM as text/plain", "POST", "/api/payments", "Content-Type: text/plain\r\n", "\xef\xbb\xbf{\"amount\":5000}", 415},
		{"JSON as text/json", "POST", "/api/payments", "Content-Type: text/json\r\n", `{"amount":5000}`, 403},
		{"JSON with a BOM", "POST", "/api/payments", json, "\xef\xbb\xbf{\"amount\":5000}", 400},
		{"JSON as UTF-16", "POST", "/api/payments", "Content-Type: application/json; charset=utf-16\r\n", `{"amount":5000}`, 415},
		{"JSON as +json", "POST", "/api/payments", "Content-Type: application/vnd.pay+json\r\n", `{"amount":5000}`, 403},
		{"two Content-Types", "POST", "/api/payments", json + "Content-Type: text/plain\r\n", `{"amount":5000}`, 400},
		{"multipart", "POST", "/api/payments", "Content-Type: multipart/form-data; boundary=x\r\n", "--x\r\n\r\n{\"amount\":5000}\r\n--x--\r\n", 415},
		{"oversized body", "POST", "/api/payments", json, `{"amount":1,"pad":"` + strings.Repeat("a", 5000) + `"}`, 413},
		{"gzip body inspected", "POST", "/api/payments", json + "Content-Encoding: gzip\r\n", gz(`{"amount":5000}`), 403},
		{"gzip duplicate keys", "POST", "/api/payments", json + "Content-Encoding: gzip\r\n", gz(`{"amount":1,"amount":5000}`), 400},
		{"gzip bomb", "POST", "/api/payments", json + "Content-Encoding: gzip\r\n", gz(`{"pad":"` + strings.Repeat("0", 1<<20) + `"}`), 413},
		{"broken gzip", "POST", "/api/payments", json + "Content-Encoding: gzip\r\n", "not gzip at all", 400},
		{"brotli body", "POST", "/api/payments", json + "Content-Encoding: br\r\n", "\x1b\x00", 415},
		{"stacked encodings", "POST", "/api/payments", json + "Content-Encoding: gzip, gzip\r\n", gz(gz(`{"amount":5000}`)), 415},
	}
	e := newEnv(t, gate.Hold, nil)
	for name, srv := range servers(e) {
		for _, c := range cases {
			t.Run(name+"/"+c.name, func(t *testing.T) {
				req := fmt.Sprintf("%s %s HTTP/1.1\r\nHost: api.example\r\nAuthorization: Bearer %s\r\nConnection: close\r\n%sContent-Length: %d\r\n\r\n%s",
					c.method, c.target, agentToken, c.headers, len(c.body), c.body)
				got, body := raw(t, srv, req)
				if got != c.want {
					t.Errorf("status %d, want %d: %s", got, c.want, body)
				}
			})
		}
	}
	t.Run("chunked oversized body", func(t *testing.T) {
		chunk := strings.Repeat("a", 3000)
		body := fmt.Sprintf("%x\r\n%s\r\n%x\r\n%s\r\n0\r\n\r\n", len(chunk), chunk, len(chunk), chunk)
		req := "POST /api/payments HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + agentToken +
			"\r\nConnection: close\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n" + body
		if got, b := raw(t, e.proxy, req); got != 413 {
			t.Errorf("status %d: %s", got, b)
		}
	})
	for _, p := range []string{"/admin/x", "/admin", "/api/payments"} {
		if n := e.up.hit(p); n != 0 {
			t.Errorf("upstream %s reached %d times", p, n)
		}
	}
}
