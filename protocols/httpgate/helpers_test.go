package httpgate

import (
	"bufio"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/airlock-sdk/airlock/approval"
	"github.com/airlock-sdk/airlock/gate"
	"github.com/airlock-sdk/airlock/internal/gatetest"
	"github.com/airlock-sdk/airlock/record"
)

const testRules = `
default: deny
rules:
  - name: api
    when: request.protocol == "http" && http.path.startsWith("/api/")
    action: allow
  - name: no-admin
    when: http.path.startsWith("/admin") || http.path.contains("/admin/")
    action: deny
    reason: admin is off limits
  - name: no-deletes
    when: http.method == "DELETE"
    action: deny
    reason: nothing is deleted through the gateway
  - name: refunds-need-review
    when: http.method == "POST" && http.path == "/api/refunds"
    action: review
  - name: big-payments
    when: >
      http.method == "POST" && http.path == "/api/payments" &&
      type(http.body) == map && has(http.body.amount) && http.body.amount > 1000
    action: deny
    reason: payments above 1000 need a human
  - name: mask-cards
    when: request.protocol == "http"
    mask: [credit_card]
`

const (
	agentToken    = "agent-token-0123456789"
	upstreamToken = "upstream-secret-abcdef"
	card          = "4111 1111 1111 1111"
	cardDigits    = "4111111111111111"
)

var agent = gate.Identity{Subject: "agent-1", Kind: gate.KindAgent, Groups: []string{"agents"}}
var alice = gate.Identity{Subject: "alice", Kind: gate.KindHuman, Groups: []string{"reviewers"}}

// upstream is a real HTTP API the tests put the gate in front of.
type upstream struct {
	hits     sync.Map // path -> *atomic.Int64
	sseStep  chan struct{}
	lastReq  atomic.Pointer[http.Request]
	lastBody atomic.Pointer[[]byte]
}

func (u *upstream) hit(p string) int64 {
	v, _ := u.hits.LoadOrStore(p, new(atomic.Int64))
	return v.(*atomic.Int64).Load()
}

func (u *upstream) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	v, _ := u.hits.LoadOrStore(strings.ToLower(r.URL.Path), new(atomic.Int64))
	v.(*atomic.Int64).Add(1)
	body, _ := io.ReadAll(r.Body)
	u.lastReq.Store(r)
	u.lastBody.Store(&body)
	fl := http.NewResponseController(w)
	switch r.URL.Path {
	case "/api/echo", "/api/payments", "/api/refunds":
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{
			"method": r.Method, "path": r.URL.Path, "query": r.URL.RawQuery, "body": string(body),
			"authorization": r.Header.Get("Authorization"), "cookie": r.Header.Get("Cookie"),
			"accept_encoding": r.Header.Get("Accept-Encoding"),
			// The credential itself is masked on its way back.
			"gateway_credential": fmt.Sprint(r.Header.Get("Authorization") == "Bearer "+upstreamToken),
		})
	case "/api/users":
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"users":[{"name":"ann","card":%q,"card_number":%s,"note":"ok"}]}`, card, cardDigits)
	case "/api/headers":
		w.Header().Set("X-Card", card)
		w.Header().Set("Content-Type", "text/plain")
		io.WriteString(w, "see headers")
	case "/api/gzip-json":
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Content-Encoding", "gzip")
		zw := gzip.NewWriter(w)
		fmt.Fprintf(zw, `{"card":%q,"n":%s}`, card, cardDigits)
		zw.Close()
	case "/api/gzip-text":
		// A card split across gzip flushes and HTTP chunks.
		gzipInTwo(w, fl, "text/plain", "card: 4111 11", "11 1111 1111 end\n", 20*time.Millisecond)
	case "/api/sse":
		w.Header().Set("Content-Type", "text/event-stream")
		io.WriteString(w, "event: pay\ndata: card 4111 1111 ")
		fl.Flush()
		time.Sleep(20 * time.Millisecond)
		io.WriteString(w, "1111 1111 first\n\n")
		fl.Flush()
		if u.sseStep != nil {
			select { // the second event only once the client saw the first: proves streaming
			case <-u.sseStep:
			case <-time.After(5 * time.Second):
			}
		}
		io.WriteString(w, "data: second 5555 5555 5555 4444\n\n")
		fl.Flush()
	case "/api/sse-gzip":
		gzipInTwo(w, fl, "text/event-stream", "data: 4111 1111", " 1111 1111\n\n", 10*time.Millisecond)
	case "/api/sse-split":
		// A card split across two events, as a token stream sends it.
		w.Header().Set("Content-Type", "text/event-stream")
		io.WriteString(w, "data: pay with 4111 1111\n\n")
		fl.Flush()
		io.WriteString(w, "data:  1111 1111 thanks\n\n")
		fl.Flush()
		io.WriteString(w, "data: bye\n\n")
	case "/api/long-event":
		w.Header().Set("Content-Type", "text/event-stream")
		io.WriteString(w, "data: short\n\n")
		fl.Flush()
		io.WriteString(w, "data: "+strings.Repeat("y", 4096)+" "+card)
		fl.Flush()
		time.Sleep(10 * time.Millisecond)
		io.WriteString(w, "\n\n")
	case "/api/big-json":
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"pad":%q,"card":%q}`, strings.Repeat("z", 8192), card)
	case "/api/br":
		w.Header().Set("Content-Type", "text/plain")
		w.Header().Set("Content-Encoding", "br")
		io.WriteString(w, "\x1b\x0b\x00\xf8not really brotli "+card)
	case "/api/big":
		w.Header().Set("Content-Type", "text/plain")
		io.WriteString(w, strings.Repeat("x", 200<<10)+" "+card)
	default:
		w.Header().Set("Content-Type", "text/plain")
		io.WriteString(w, "reached "+r.URL.Path)
	}
}

type env struct {
	t     *testing.T
	g     *gate.Gate
	rec   *record.Memory
	appr  *approval.Memory
	gw    *Gateway
	up    *upstream
	upSrv *httptest.Server
	proxy *httptest.Server // the gated reverse proxy
	mw    *httptest.Server // the upstream handler behind the middleware
}

func newEnv(t *testing.T, mode gate.ReviewMode, mutate func(*Config)) *env {
	t.Helper()
	return newEnvWith(t, mode, testRules, nil, mutate)
}

// newEnvWith is newEnv under rules, with the gate recording through
// wrap(e.rec) (a recorder that fails on cue); nil wrap records into e.rec.
func newEnvWith(t *testing.T, mode gate.ReviewMode, rules string, wrap func(*record.Memory) gate.Recorder, mutate func(*Config)) *env {
	t.Helper()
	rs, err := gate.ParseRules("test.yaml", []byte(rules))
	if err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, rec: &record.Memory{}, appr: &approval.Memory{}, up: &upstream{}}
	var rec gate.Recorder = e.rec
	if wrap != nil {
		rec = wrap(e.rec)
	}
	e.g = gate.New(gate.Config{Rules: rs, Approver: e.appr, Recorder: rec, ReviewMode: mode})
	cfg := Config{
		Gate: e.g, Target: "test-api",
		Authenticator:  gate.Tokens(map[string]gate.Identity{agentToken: agent}),
		LowerCasePaths: true,
		MaxBodyBytes:   4096,
		RecordLimit:    1024,
	}
	if mutate != nil {
		mutate(&cfg)
	}
	e.gw, err = New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	e.upSrv = httptest.NewServer(e.up)
	u, _ := url.Parse(e.upSrv.URL)
	ph, err := e.gw.Proxy(ProxyConfig{Upstream: u, Credential: BearerCredential(upstreamToken)})
	if err != nil {
		t.Fatal(err)
	}
	e.proxy = httptest.NewServer(ph)
	e.mw = httptest.NewServer(e.gw.Middleware(e.up))
	t.Cleanup(func() {
		e.proxy.Close()
		e.mw.Close()
		e.upSrv.Close()
		_ = e.gw.Close()
	})
	return e
}

// do sends a request with the agent's token through a real net/http client.
func (e *env) do(srv *httptest.Server, method, path, ctype, body string, hdr ...string) *http.Response {
	e.t.Helper()
	req, err := http.NewRequest(method, srv.URL+path, strings.NewReader(body))
	if err != nil {
		e.t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+agentToken)
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Add(hdr[i], hdr[i+1])
	}
	resp, err := srv.Client().Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	return resp
}

// gzipInTwo writes a gzip-encoded body of ctype in two parts, the first
// flushed through the gzip writer and the connection a pause before the
// second.
func gzipInTwo(w http.ResponseWriter, fl *http.ResponseController, ctype, first, second string, pause time.Duration) {
	w.Header().Set("Content-Type", ctype)
	w.Header().Set("Content-Encoding", "gzip")
	zw := gzip.NewWriter(w)
	io.WriteString(zw, first)
	zw.Flush()
	fl.Flush()
	time.Sleep(pause)
	io.WriteString(zw, second)
	zw.Close()
}

// readEvent reads one event of an event stream, up to and including the
// blank line that ends it.
func readEvent(t *testing.T, br *bufio.Reader) string {
	t.Helper()
	var event strings.Builder
	for {
		line, err := br.ReadString('\n')
		if err != nil {
			t.Fatalf("first event: %v (%q)", err, event.String())
		}
		event.WriteString(line)
		if line == "\n" {
			return event.String()
		}
	}
}

func readAll(t *testing.T, resp *http.Response) string {
	t.Helper()
	b, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// sendRaw opens a TCP connection to srv, with a deadline of ten seconds,
// and writes request on it as it is. The caller closes the connection.
func sendRaw(t *testing.T, srv *httptest.Server, request string) net.Conn {
	t.Helper()
	c, err := net.Dial("tcp", srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.WriteString(c, request); err != nil {
		c.Close()
		t.Fatal(err)
	}
	return c
}

// raw sends bytes as they are over TCP and returns the status code, so
// that nothing between the test and the server normalises the request.
func raw(t *testing.T, srv *httptest.Server, request string) (int, string) {
	t.Helper()
	c := sendRaw(t, srv, request)
	defer c.Close()
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatalf("reading response to %q: %v", request, err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	return resp.StatusCode, string(b)
}

// allRecorded returns the stored JSON of every recorded event.
func (e *env) allRecorded() string {
	var b strings.Builder
	for _, s := range e.rec.Sessions() {
		for _, ev := range e.rec.Events(s) {
			b.Write(ev.Body)
			b.WriteByte('\n')
		}
	}
	return b.String()
}

// events returns the events of kind recorded so far, all sessions.
func (e *env) events(kind gate.EventKind) []gate.Event {
	return gatetest.Events(e.rec, kind)
}

// approveNext approves the next pending review as alice.
func (e *env) approveNext(ctx context.Context) (string, error) {
	p, err := e.appr.WaitPending(ctx)
	if err != nil {
		return "", err
	}
	_, err = e.appr.Approve(ctx, p.ID, alice, "looks fine")
	return p.ID, err
}
