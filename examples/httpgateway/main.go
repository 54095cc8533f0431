// Command httpgateway is a gated reverse proxy in front of one HTTP API:
// agents call it with their own bearer token, the gateway calls the API with
// a credential only it holds, and every request is judged by a rule file,
// held for a human when a rule says review, masked on the way back and
// recorded.
//
//	UPSTREAM_TOKEN=... AGENT_TOKEN=... REVIEWER_TOKEN=... \
//	    httpgateway -listen 127.0.0.1:8080 -upstream https://api.internal \
//	    -rules rules.yaml -record airlock-http.jsonl -review-listen 127.0.0.1:8081
//
// Without -upstream it starts a small demo API of its own. Then:
//
//	curl -H "Authorization: Bearer $AGENT_TOKEN" localhost:8080/v1/customers
//	curl -H "Authorization: Bearer $AGENT_TOKEN" -d '{"amount":20}' \
//	    -H 'Content-Type: application/json' localhost:8080/v1/refunds  # held
//
// and approve the refund at http://127.0.0.1:8081/ with REVIEWER_TOKEN.
package main

import (
	"context"
	"crypto/rand"
	_ "embed"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"github.com/airlock-sdk/airlock/internal/gctune"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/airlock-sdk/airlock/approval"
	"github.com/airlock-sdk/airlock/gate"
	httpgate "github.com/airlock-sdk/airlock/protocols/httpgate"
	"github.com/airlock-sdk/airlock/record"
	"github.com/hashicorp/go-hclog"
)

//go:embed rules.yaml
var defaultRules []byte

func main() {
	// The collector set for a gateway's load (GOGC 400 under a soft memory
	// limit) unless GOGC or GOMEMLIMIT is set; an embedding program chooses
	// its own.
	gctune.Apply()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "httpgateway:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("httpgateway", flag.ContinueOnError)
	listen := fs.String("listen", "127.0.0.1:8080", "address agents call")
	upstream := fs.String("upstream", "", "base URL of the API to protect (default: a built-in demo API)")
	rulesPath := fs.String("rules", "", "rule file (default: the embedded rules.yaml)")
	mode := fs.String("mode", "hold", "review mode: hold (the request waits) or retry (409, retry once approved)")
	recordPath := fs.String("record", "airlock-http.jsonl", "session record file (JSON Lines)")
	reviewListen := fs.String("review-listen", "127.0.0.1:8081", "address of the review console")
	if err := fs.Parse(args); err != nil {
		return err
	}
	log := hclog.New(&hclog.LoggerOptions{Name: "httpgateway", Output: out, Level: hclog.Info})

	rules, err := loadRules(*rulesPath)
	if err != nil {
		return err
	}
	reviewMode := gate.Hold
	switch *mode {
	case "hold":
	case "retry":
		reviewMode = gate.RefuseThenRetry
	default:
		return fmt.Errorf("-mode must be hold or retry, not %q", *mode)
	}
	file, err := record.OpenFile(*recordPath, record.FileOptions{GroupCommit: 2 * time.Millisecond})
	if err != nil {
		return err
	}
	rec := record.New(file, record.Options{AsyncOutput: true})
	defer rec.Close()
	approver := &approval.Memory{}
	g := gate.New(gate.Config{Rules: rules, Approver: approver, Recorder: rec, ReviewMode: reviewMode, Logger: log})

	if *upstream == "" {
		demo, err := serve(ctx, "127.0.0.1:0", demoAPI())
		if err != nil {
			return err
		}
		*upstream = "http://" + demo
	}
	up, err := url.Parse(*upstream)
	if err != nil {
		return fmt.Errorf("-upstream: %w", err)
	}
	agentToken, reviewerToken := envToken("AGENT_TOKEN"), envToken("REVIEWER_TOKEN")
	var cred httpgate.Credential
	if tok := os.Getenv("UPSTREAM_TOKEN"); tok != "" {
		cred = httpgate.BearerCredential(tok)
	}
	gw, err := httpgate.New(httpgate.Config{
		Gate:          g,
		Authenticator: gate.Tokens(map[string]gate.Identity{agentToken: {Subject: "agent", Kind: gate.KindAgent}}),
		Proxy:         &httpgate.ProxyConfig{Upstream: up, Credential: cred},
		// Rules see the path lower-cased: /ADMIN is /admin to them.
		LowerCasePaths: true,
		Logger:         log,
	})
	if err != nil {
		return err
	}
	defer gw.Close()
	console := &approval.Console{
		Approver:     approver,
		Authenticate: approval.BearerTokens(map[string]gate.Identity{reviewerToken: {Subject: "reviewer", Kind: gate.KindHuman}}),
	}
	consoleAddr, err := serve(ctx, *reviewListen, console)
	if err != nil {
		return err
	}
	addr, err := serve(ctx, *listen, gw.Handler())
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "gateway http://%s -> %s\nreview console http://%s\n", addr, up.Redacted(), consoleAddr)
	if os.Getenv("AGENT_TOKEN") == "" {
		fmt.Fprintf(out, "AGENT_TOKEN=%s\n", agentToken)
	}
	if os.Getenv("REVIEWER_TOKEN") == "" {
		fmt.Fprintf(out, "REVIEWER_TOKEN=%s\n", reviewerToken)
	}
	<-ctx.Done()
	return nil
}

func loadRules(path string) (*gate.RuleSet, error) {
	if path == "" {
		return gate.ParseRules("rules.yaml", defaultRules)
	}
	return gate.LoadRules(path)
}

// envToken returns the token in the environment variable, or a random one.
func envToken(name string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// serve serves h on addr until ctx ends and returns the address it listens on.
func serve(ctx context.Context, addr string, h http.Handler) (string, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return "", err
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			fmt.Fprintln(os.Stderr, "httpgateway:", err)
		}
	}()
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
	}()
	return ln.Addr().String(), nil
}

// demoAPI is a small API with personal data in its answers.
func demoAPI() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1/customers", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"customers":[{"id":1,"name":"Ann","email":"ann@example.com","card":"4111 1111 1111 1111"},`+
			`{"id":2,"name":"Bo","email":"bo@example.com","card":5555555555554444}]}`)
	})
	mux.HandleFunc("POST /v1/refunds", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusCreated)
		fmt.Fprint(w, `{"refund":"r_1","status":"created"}`)
	})
	mux.HandleFunc("GET /admin/", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, "the admin API")
	})
	return mux
}
