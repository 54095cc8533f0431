package approval_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/airlock-sdk/airlock/approval"
	"github.com/airlock-sdk/airlock/gate"
	"github.com/airlock-sdk/airlock/protocols/httpgate"
)

const victim = "rm -rf /tmp/airlock-victim"

// hiddenShellCases enumerates shell command lines in which a display mask
// read to the end it expects would cover the command that runs (victim):
// an assignment's quoted value read past a backslash the shell does not
// treat as an escape in single quotes, PASSWORD before a $tag$, a private
// key's markers around it.
func hiddenShellCases() map[string]string {
	out := map[string]string{}
	for _, kw := range []string{"password", "passwd", "secret", "token", "api_key", "apikey", "access_key", "credential", "DB_PASSWORD"} {
		for _, op := range []string{"=", ": ", " := ", " => "} {
			out["separator "+kw+op] = fmt.Sprintf(`echo %s%s'a\'; %s; echo '#'`, kw, op, victim)
			out["arguments "+kw+op] = fmt.Sprintf(`echo %s%s'a\' && %s #'`, kw, op, victim)
			out["pipe "+kw+op] = fmt.Sprintf(`echo "%s%s'a\" | sh -c '%s' #'"`, kw, op, victim)
		}
	}
	for _, tag := range []string{"$a$", "$$", "$x_1$"} {
		out["password "+tag] = fmt.Sprintf(`echo password %s; %s; echo %s`, tag, victim, tag)
	}
	for _, kind := range []string{"RSA PRIVATE KEY", "PRIVATE KEY", "OPENSSH PRIVATE KEY"} {
		out["key "+kind] = fmt.Sprintf("echo '-----BEGIN %[1]s-----'; %[2]s; echo '-----END %[1]s-----'", kind, victim)
	}
	return out
}

// holdShown holds req at a gate whose every request is reviewed and
// returns what reviewers are shown: the command and each part's text.
func holdShown(t *testing.T, req *gate.Request) (string, string) {
	t.Helper()
	rs, err := gate.ParseRules("r.yaml", []byte("default: review\n"))
	if err != nil {
		t.Fatal(err)
	}
	mem := &approval.Memory{}
	g := gate.New(gate.Config{Rules: rs, Approver: mem})
	s := &gate.Session{Protocol: req.Protocol, Identity: gate.Identity{Subject: "agent"}}
	if err := g.OpenSession(context.Background(), s); err != nil {
		t.Fatal(err)
	}
	req.Session = s
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	done := make(chan struct{})
	go func() {
		defer close(done)
		_, _ = g.Check(ctx, req)
	}()
	p, err := mem.WaitPending(ctx)
	if err != nil {
		t.Fatal(err)
	}
	cancel()
	<-done
	var parts []string
	for _, it := range p.Request.Details.Items {
		parts = append(parts, it.Label+": "+it.Text)
	}
	return p.Request.Command, strings.Join(parts, "\n")
}

// What reviewers are shown of a shell command holds every command it
// runs, however a display mask reads the secrets in it.
func TestMaskedShellDisplayHidesNoCommand(t *testing.T) {
	cases := hiddenShellCases()
	hidden := 0
	for name, cmd := range cases {
		shown, parts := holdShown(t, &gate.Request{Protocol: "ssh", Command: cmd, SSH: &gate.SSH{Kind: "exec", Command: cmd}})
		if !strings.Contains(shown, victim) || !strings.Contains(parts, victim) {
			hidden++
			t.Errorf("%s: shown %q", name, shown)
		}
	}
	t.Logf("%d of %d command lines shown without the command that runs", hidden, len(cases))
}

// End to end through the HTTP proxy: a header whose value a display mask
// would read into the next header line (a quote, a trailing backslash)
// no longer hides that line from reviewers; the upstream gets every
// header shown.
func TestMaskedHeadersHideNoHeader(t *testing.T) {
	rs, err := gate.ParseRules("deploy.yaml", []byte(deployRules))
	if err != nil {
		t.Fatal(err)
	}
	mem := &approval.Memory{}
	g := gate.New(gate.Config{Rules: rs, Approver: mem})
	agent := gate.Identity{Subject: "agent-http", Kind: gate.KindAgent}
	gw, err := httpgate.New(httpgate.Config{Gate: g, Target: "deploy-api", Authenticator: gate.Tokens(map[string]gate.Identity{"agent-token": agent})})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = gw.Close() })
	var mu sync.Mutex
	var got []string
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		got = append(got, r.Header.Get("X-Target"))
		mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(up.Close)
	u, _ := url.Parse(up.URL)
	ph, err := gw.Proxy(httpgate.ProxyConfig{Upstream: u})
	if err != nil {
		t.Fatal(err)
	}
	proxy := httptest.NewServer(ph)
	t.Cleanup(proxy.Close)
	hidden, total := 0, 0
	for _, kw := range []string{"Secret", "Token", "Password", "Api-Key", "Credential"} {
		for _, val := range []string{`"a\`, `'a\`, "`a\\", `"a`, `'a`} {
			total++
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			done := make(chan int, 1)
			go func() {
				req, _ := http.NewRequestWithContext(ctx, "POST", proxy.URL+"/deploy", strings.NewReader(`{"service":"billing"}`))
				req.Header.Set("Authorization", "Bearer agent-token")
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("X-"+kw, val)
				req.Header.Set("X-Target", `prod-eu"`)
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					done <- 0
					return
				}
				_ = resp.Body.Close()
				done <- resp.StatusCode
			}()
			held := make(chan approval.Pending, 1)
			go func() {
				if p, err := mem.WaitPending(ctx); err == nil {
					held <- p
				}
			}()
			var p approval.Pending
			select {
			case p = <-held:
			case code := <-done:
				t.Fatalf("X-%s: %q: not held: %d", kw, val, code)
			}
			shown := ""
			for _, it := range p.Request.Details.Items {
				shown += it.Text + "\n"
			}
			if !strings.Contains(strings.ToLower(shown), "x-target: prod-eu") {
				hidden++
				t.Errorf("X-%s: %q: the X-Target header is not shown: %q", kw, val, shown)
			}
			if _, err := mem.Approve(ctx, p.ID, gate.Identity{Subject: "rita", Kind: gate.KindHuman}, ""); err != nil {
				t.Fatal(err)
			}
			if code := <-done; code != http.StatusNoContent {
				t.Fatalf("approved request got %d", code)
			}
			cancel()
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if len(got) != total || got[0] != `prod-eu"` {
		t.Fatalf("upstream saw %q", got)
	}
	t.Logf("%d of %d approved requests reached the upstream with a header reviewers were not shown", hidden, total)
}
