// Command pggateway is a PostgreSQL gateway in front of one database:
// agents connect to it with psql, pgx or any driver, using a token as their
// password; the gateway connects upstream with credentials only it holds,
// judges every statement with a rule file, holds what needs a human, masks
// results and records the session.
//
//	PGPASSWORD=... pggateway -listen 127.0.0.1:6432 \
//	    -upstream 'postgres://gateway@db:5432/app?sslmode=verify-full' \
//	    -rules /etc/airlock/rules.yaml -tokens /etc/airlock/pg_tokens \
//	    -tls-cert /etc/airlock/gw.crt -tls-key /etc/airlock/gw.key \
//	    -record-dir /var/log/airlock -console 127.0.0.1:8080 -reviewer-token-file /etc/airlock/reviewer
//
// Then: psql "host=gateway port=6432 user=agent1 password=<token> sslmode=require"
//
// The tokens file has one client per line: user, token, kind (agent,
// human, service) and comma-separated groups, separated by white space.
// Without -tls-cert clients cannot send their token unless
// -insecure-password is given (tests and loopback only). Go's sampling of
// allocations is off unless -memprofile is given.
package main

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"github.com/airlock-sdk/airlock/internal/gctune"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"strings"
	"syscall"
	"time"

	"github.com/airlock-sdk/airlock/approval"
	"github.com/airlock-sdk/airlock/gate"
	"github.com/airlock-sdk/airlock/protocols/postgres"
	"github.com/airlock-sdk/airlock/record"
	"github.com/hashicorp/go-hclog"
	"github.com/jackc/pgx/v5/pgconn"
)

func main() {
	// The collector set for a gateway's load (GOGC 400 under a soft memory
	// limit) unless GOGC or GOMEMLIMIT is set; an embedding program chooses
	// its own.
	gctune.Apply()
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "pggateway:", err)
		os.Exit(1)
	}
}

func run() error {
	listen := flag.String("listen", "127.0.0.1:6432", "address to accept PostgreSQL clients on")
	upstream := flag.String("upstream", "", "upstream database URL with the gateway's credentials (PGPASSWORD works too) (required)")
	rulesFile := flag.String("rules", "", "rule file (required)")
	recordDir := flag.String("record-dir", "", "directory for the session record (record.jsonl); empty records nothing")
	groupCommit := flag.Duration("group-commit", 0, "let concurrent record writes share one commit, waiting at most this long (0: commit each batch at once)")
	fsync := flag.Bool("fsync", false, "make each decision durable (fsynced) before the statement runs; default: written to the OS before it runs, fsynced within -sync-interval")
	syncInterval := flag.Duration("sync-interval", record.DefaultSyncInterval, "without -fsync, the longest a written decision waits for its fsync (what an operating-system crash may lose)")
	tokens := flag.String("tokens", "", "file of clients: user token kind groups (required)")
	certFile := flag.String("tls-cert", "", "TLS certificate for clients")
	keyFile := flag.String("tls-key", "", "TLS key for clients")
	insecure := flag.Bool("insecure-password", false, "accept tokens without TLS (tests and loopback only)")
	retry := flag.Bool("refuse-then-retry", false, "refuse held statements with an approval id instead of holding them")
	console := flag.String("console", "", "address of the review console (empty: none)")
	reviewerTokenFile := flag.String("reviewer-token-file", "", "file holding the review console's bearer token")
	verbose := flag.Bool("v", false, "log debug output")
	cpuProfile := flag.String("cpuprofile", "", "write a CPU profile of the whole run to this file (benchmarks)")
	memProfile := flag.String("memprofile", "", "write an allocation profile of the whole run to this file at exit (benchmarks)")
	flag.Parse()

	if *upstream == "" || *rulesFile == "" || *tokens == "" {
		flag.Usage()
		return errors.New("-upstream, -rules and -tokens are required")
	}
	if *cpuProfile != "" {
		stopProfile, err := startCPUProfile(*cpuProfile)
		if err != nil {
			return err
		}
		defer stopProfile()
	}
	if *memProfile != "" {
		defer writeAllocProfile(*memProfile)
	} else {
		// Nothing reads allocation samples without -memprofile, and
		// taking them (a stack walk every 512 KiB allocated) costs
		// about 300 instructions per statement.
		runtime.MemProfileRate = 0
	}
	log := hclog.New(&hclog.LoggerOptions{Name: "pggateway", Level: hclog.Info})
	if *verbose {
		log.SetLevel(hclog.Debug)
	}
	rules, err := gate.LoadRules(*rulesFile)
	if err != nil {
		return err
	}
	up, err := pgconn.ParseConfig(*upstream)
	if err != nil {
		return fmt.Errorf("upstream: %w", err)
	}
	clients, err := readTokens(*tokens)
	if err != nil {
		return err
	}
	approver := &approval.Memory{}
	cfg := gate.Config{Rules: rules, Logger: log, Approver: approver}
	if *retry {
		cfg.ReviewMode = gate.RefuseThenRetry
	}
	if *recordDir != "" {
		if err := os.MkdirAll(*recordDir, 0o700); err != nil {
			return err
		}
		sink, err := record.OpenFile(filepath.Join(*recordDir, "record.jsonl"), record.FileOptions{GroupCommit: *groupCommit, Durability: durability(*fsync), SyncInterval: *syncInterval})
		if err != nil {
			return err
		}
		rec := record.New(sink, record.Options{AsyncOutput: true})
		defer rec.Close()
		cfg.Recorder = rec
	}
	g := gate.New(cfg)

	scfg := postgres.Config{
		Gate:                  g,
		Upstream:              up,
		AllowInsecurePassword: *insecure,
		Logger:                log,
		// A client's password is its token, valid for its own user only.
		Authenticator: gate.Tokens(clients),
	}
	if *certFile != "" {
		cert, err := tls.LoadX509KeyPair(*certFile, *keyFile)
		if err != nil {
			return err
		}
		scfg.TLS = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	}
	srv, err := postgres.New(scfg)
	if err != nil {
		return err
	}
	if *console != "" {
		if *reviewerTokenFile == "" {
			return errors.New("-console needs -reviewer-token-file")
		}
		tok, err := os.ReadFile(*reviewerTokenFile)
		if err != nil {
			return err
		}
		h := &approval.Console{Approver: approver, Authenticate: approval.BearerTokens(map[string]gate.Identity{
			strings.TrimSpace(string(tok)): {Subject: "reviewer", Kind: gate.KindHuman}})}
		hs := &http.Server{Addr: *console, Handler: h, ReadHeaderTimeout: 10 * time.Second}
		go func() {
			if err := hs.ListenAndServe(); err != nil && !errors.Is(err, http.ErrServerClosed) {
				log.Error("console", "error", err)
			}
		}()
		defer hs.Close()
	}
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		return err
	}
	log.Info("listening", "addr", ln.Addr().String(), "upstream", up.Host, "database", up.Database, "tls", scfg.TLS != nil)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	go func() {
		<-ctx.Done()
		_ = srv.Close()
	}()
	if err := srv.Serve(ctx, ln); err != nil && !errors.Is(err, postgres.ErrServerClosed) && ctx.Err() == nil {
		return err
	}
	return nil
}

// readTokens reads the clients file into a table of identities by token.
func readTokens(path string) (map[string]gate.Identity, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	out := map[string]gate.Identity{}
	sc := bufio.NewScanner(f)
	n := 0
	for sc.Scan() {
		n++
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		parts := strings.Fields(line)
		if len(parts) < 3 {
			return nil, fmt.Errorf("%s:%d: want user token kind [groups]", path, n)
		}
		id := gate.Identity{Subject: parts[0], Name: parts[0], Kind: gate.IdentityKind(parts[2])}
		if len(parts) > 3 {
			id.Groups = strings.Split(parts[3], ",")
		}
		out[parts[1]] = id
	}
	return out, sc.Err()
}

func durability(fsync bool) record.Durability {
	if fsync {
		return record.DurabilityFsync
	}
	return record.DurabilityWrite
}

// writeAllocProfile writes the allocations of the whole run to path.
func writeAllocProfile(path string) {
	f, err := os.Create(path)
	if err != nil {
		fmt.Fprintln(os.Stderr, "memprofile:", err)
		return
	}
	defer f.Close()
	if err := pprof.Lookup("allocs").WriteTo(f, 0); err != nil {
		fmt.Fprintln(os.Stderr, "memprofile:", err)
	}
}

// startCPUProfile profiles the process into path until the returned
// function is called.
func startCPUProfile(path string) (func(), error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, err
	}
	return func() { pprof.StopCPUProfile(); _ = f.Close() }, nil
}
