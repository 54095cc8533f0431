package main

import (
	"context"
	"errors"
	"fmt"
	"github.com/jackc/pgx/v5/pgconn"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"

	"github.com/airlock-sdk/airlock/approval"
	"github.com/airlock-sdk/airlock/approval/pgapproval"
	"github.com/airlock-sdk/airlock/gate"
	"github.com/airlock-sdk/airlock/gate/oidc"
	"github.com/airlock-sdk/airlock/gate/pgrules"
	"github.com/airlock-sdk/airlock/gate/pgruns"
	"github.com/airlock-sdk/airlock/record"
	"github.com/hashicorp/go-hclog"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	otelprom "go.opentelemetry.io/otel/exporters/prometheus"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
)

const serveUsage = `usage: airlock serve [--check] [--config] FILE

Runs the gateway described by FILE (default airlock.yaml): the PostgreSQL,
SSH, HTTP and MCP listeners it configures, the review console, metrics, and
the record. Stop it with SIGTERM or SIGINT: sessions are drained and every
record is closed. examples/airlock.yaml shows every option.

With --check, validates everything serve needs and exits: the file, the rule
file and the rule store's active rules (compiled), key files (present,
readable, of the right kind), listen addresses, upstream URLs, the record
directory, and the databases (reached read-only). --check changes nothing.

flags:`

// cmdServe runs `airlock serve [--config] FILE [--check]`.
func cmdServe(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("serve", stderr)
	path := fs.String("config", "", "the gateway's configuration file (or give it as the argument)")
	check := fs.Bool("check", false, "validate everything serve needs, change nothing, and exit")
	pos, code := parseFlags(fs, args, serveUsage, stdout, stderr)
	if code >= 0 {
		return code
	}
	switch {
	case len(pos) > 1 || (len(pos) == 1 && *path != ""):
		fmt.Fprintln(stderr, "airlock serve: give one configuration file, as --config FILE or as the argument")
		return 2
	case len(pos) == 1:
		*path = pos[0]
	case *path == "":
		*path = "airlock.yaml"
	}
	cfg, err := loadServeConfig(*path)
	if err != nil {
		fmt.Fprintln(stderr, "airlock serve:", err)
		return 1
	}
	opts, err := ruleOptions(cfg)
	if err != nil {
		fmt.Fprintln(stderr, "airlock serve:", err)
		return 1
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	report := checkServe(ctx, cfg, opts)
	if len(report.problems) > 0 {
		fmt.Fprintf(stderr, "airlock serve: %s: %d problem(s):\n", *path, len(report.problems))
		for _, p := range report.problems {
			fmt.Fprintln(stderr, "  -", p)
		}
		return 1
	}
	if *check {
		for _, n := range report.notes {
			fmt.Fprintln(stdout, "note:", n)
		}
		what := "rules will be seeded from " + cfg.Rules.File
		if report.rules != nil {
			what = fmt.Sprintf("rules %s version %s", report.rules.Name(), report.rules.Version())
		}
		fmt.Fprintf(stdout, "%s: configuration valid; %s\n", *path, what)
		return 0
	}
	rules, store, closeStore, err := loadServeRules(ctx, cfg, opts)
	if err != nil {
		fmt.Fprintln(stderr, "airlock serve:", err)
		return 1
	}
	defer closeStore()
	if err := serve(ctx, cfg, rules, store, opts, stdout, stderr); err != nil {
		fmt.Fprintln(stderr, "airlock serve:", err)
		return 1
	}
	return 0
}

// loadServeRules loads the rules from the file, or from the shared store
// (seeding an empty store from the file when both are configured). The
// returned func closes the store's pool.
func loadServeRules(ctx context.Context, cfg *serveConfig, opts []gate.RuleOption) (*gate.RuleSet, *pgrules.Store, func(), error) {
	if cfg.Rules.Postgres == "" {
		rs, err := gate.LoadRules(cfg.Rules.File, opts...)
		return rs, nil, func() {}, err
	}
	store, pool, err := openPGStore(ctx, cfg.Rules.Postgres, pgrules.Options{Name: cfg.Rules.Name, RuleOptions: opts}, pgrules.Migrate, pgrules.New)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("rules.postgres: %w", err)
	}
	rs, err := activeRules(ctx, store, cfg.Rules.File)
	if err != nil {
		pool.Close()
		return nil, nil, nil, fmt.Errorf("rules.postgres: %w", err)
	}
	return rs, store, pool.Close, nil
}

// activeRules is the store's active rule set; an empty store is seeded
// from seedFile first, when there is one.
func activeRules(ctx context.Context, store *pgrules.Store, seedFile string) (*gate.RuleSet, error) {
	rs, err := store.Active(ctx)
	if errors.Is(err, pgrules.ErrNoRuleSet) && seedFile != "" {
		data, rerr := os.ReadFile(seedFile)
		if rerr != nil {
			return nil, rerr
		}
		if _, perr := store.Publish(ctx, data, "airlock serve (seed from "+seedFile+")"); perr != nil {
			return nil, perr
		}
		rs, err = store.Active(ctx)
	}
	return rs, err
}

func ruleOptions(cfg *serveConfig) ([]gate.RuleOption, error) {
	if cfg.Rules.MaskHashKeyFile == "" {
		return nil, nil
	}
	key, err := os.ReadFile(cfg.Rules.MaskHashKeyFile)
	if err != nil {
		return nil, fmt.Errorf("rules.mask_hash_key_file: %w", err)
	}
	return []gate.RuleOption{gate.WithMaskHashKey(key)}, nil
}

// server is a running gateway: its listeners, and what must be closed, in
// order, at shutdown.
type server struct {
	log       hclog.Logger
	servers   []*http.Server
	listeners []net.Listener
	closers   []func() error
	wg        sync.WaitGroup
	errs      chan error
}

func (s *server) listen(addr string) (net.Listener, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	s.listeners = append(s.listeners, ln)
	return ln, nil
}

func (s *server) serveHTTP(name string, ln net.Listener, h http.Handler) {
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	s.servers = append(s.servers, srv)
	s.log.Info("listening", "listener", name, "addr", ln.Addr().String())
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.errs <- fmt.Errorf("%s: %w", name, err)
		}
	}()
}

func serve(ctx context.Context, cfg *serveConfig, rules *gate.RuleSet, store *pgrules.Store, opts []gate.RuleOption, stdout, stderr io.Writer) error {
	log := newServeLogger(cfg, stderr)
	s := &server{log: log, errs: make(chan error, 8)}
	mp, err := s.startMetrics(cfg) // first, so every component can report
	if err != nil {
		return err
	}
	rec, err := openRecorder(ctx, cfg)
	if err != nil {
		return err
	}
	approver, closeApprover, err := openApprover(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer closeApprover()
	runs, closeRuns, err := openRuns(ctx, cfg)
	if err != nil {
		return err
	}
	defer closeRuns()
	g := newServeGate(cfg, rules, approver, rec, runs, mp, log)
	if store != nil {
		go store.Watch(ctx, g)
	} else {
		go g.WatchRules(ctx, cfg.Rules.File, cfg.Rules.Reload, opts...)
	}
	log.Info("rules loaded", "from", rules.Name(), "version", rules.Version())
	auth, err := newAuthenticator(ctx, cfg)
	if err != nil {
		return err
	}
	if err := s.startAll(ctx, cfg, g, approver, auth); err != nil {
		return err
	}
	fmt.Fprintln(stdout, "airlock: serving; send SIGTERM or SIGINT to stop")
	runErr := s.wait(ctx)
	return s.shutdown(cfg, rec, mp, runErr)
}

func newServeLogger(cfg *serveConfig, stderr io.Writer) hclog.Logger {
	level := hclog.LevelFromString(cfg.LogLevel)
	if level == hclog.NoLevel {
		level = hclog.Info
	}
	return hclog.New(&hclog.LoggerOptions{Name: "airlock", Level: level, Output: stderr, JSONFormat: false})
}

// startMetrics serves /metrics when configured; nil means no metrics.
func (s *server) startMetrics(cfg *serveConfig) (*sdkmetric.MeterProvider, error) {
	if cfg.Metrics == nil {
		return nil, nil
	}
	reg := prometheus.NewRegistry()
	exp, err := otelprom.New(otelprom.WithRegisterer(reg))
	if err != nil {
		return nil, fmt.Errorf("metrics: %w", err)
	}
	ln, err := s.listen(cfg.Metrics.Listen)
	if err != nil {
		return nil, fmt.Errorf("metrics: %w", err)
	}
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	s.serveHTTP("metrics", ln, mux)
	return sdkmetric.NewMeterProvider(sdkmetric.WithReader(exp)), nil
}

// reviewer is what serve needs of an approver: the gate's interface and
// the console's.
type reviewer interface {
	gate.Approver
	approval.Reviewable
}

// openApprover returns the PostgreSQL-backed approver when review.postgres
// is set (shared by replicas; forged rows are reported on log), else an
// in-memory one; the func closes it.
func openApprover(ctx context.Context, cfg *serveConfig, log hclog.Logger) (reviewer, func(), error) {
	if cfg.Review.Postgres == "" {
		return &approval.Memory{}, func() {}, nil
	}
	opts, err := reviewStoreOptions(cfg.Review)
	if err != nil {
		return nil, nil, err
	}
	// Rows and votes whose seal does not verify are refused and reported
	// here, so the operator learns someone writes the review tables.
	opts.Logger = log.Named("review")
	ap, pool, err := openPGStore(ctx, cfg.Review.Postgres, opts, pgapproval.Migrate, pgapproval.New)
	if err != nil {
		return nil, nil, fmt.Errorf("review.postgres: %w", err)
	}
	return ap, pool.Close, nil
}

// openRuns returns the run store the config asks for: nil when runs are
// off, PostgreSQL-backed when runs.postgres is set (shared by replicas),
// else in memory; the func closes it.
func openRuns(ctx context.Context, cfg *serveConfig) (*gate.RunConfig, func(), error) {
	r := cfg.Runs
	if r == nil {
		return nil, func() {}, nil
	}
	rc := &gate.RunConfig{Store: &gate.MemoryRuns{}, Claim: r.Claim, Idle: r.Idle, TrustClientRuns: r.TrustClientRuns}
	if r.Postgres == "" {
		return rc, func() {}, nil
	}
	store, pool, err := openPGStore(ctx, r.Postgres, pgruns.Options{}, pgruns.Migrate, pgruns.New)
	if err != nil {
		return nil, nil, fmt.Errorf("runs.postgres: %w", err)
	}
	rc.Store = store
	return rc, pool.Close, nil
}

func newServeGate(cfg *serveConfig, rules *gate.RuleSet, approver gate.Approver, rec gate.Recorder, runs *gate.RunConfig, mp *sdkmetric.MeterProvider, log hclog.Logger) *gate.Gate {
	mode := gate.Hold
	if cfg.Review.Mode == "retry" {
		mode = gate.RefuseThenRetry
	}
	gcfg := gate.Config{Rules: rules, Approver: approver, Recorder: rec, ReviewMode: mode, Logger: log.Named("gate"), Runs: runs}
	if mp != nil {
		gcfg.MeterProvider = mp
	}
	return gate.New(gcfg)
}

// startAll starts the review console and every configured protocol.
func (s *server) startAll(ctx context.Context, cfg *serveConfig, g *gate.Gate, approver reviewer, auth gate.Authenticator) error {
	if c := cfg.Review.Console; c != nil {
		if err := s.startConsole(c, approver); err != nil {
			return err
		}
	}
	if p := cfg.Postgres; p != nil {
		for _, store := range storesSharingRole(cfg) {
			s.log.Warn("postgres: the gateway's upstream role is also the role of a store of Airlock's own state: "+
				"code the gateway cannot see (a DO block) may change that role's settings; run the gateway as a role of its own",
				"store", store)
		}
		if err := s.startPostgres(ctx, p, g, auth, guardedTables(cfg)); err != nil {
			return err
		}
	}
	if h := cfg.HTTP; h != nil {
		if err := s.startHTTP(h, g, auth); err != nil {
			return err
		}
	}
	if x := cfg.SSH; x != nil {
		if err := s.startSSH(ctx, x, g); err != nil {
			return err
		}
	}
	if m := cfg.MCP; m != nil {
		if err := s.startMCP(m, g, auth); err != nil {
			return err
		}
	}
	return nil
}

// wait blocks until a signal or a listener failure.
func (s *server) wait(ctx context.Context) error {
	select {
	case <-ctx.Done():
		s.log.Info("shutting down: draining sessions")
		return nil
	case err := <-s.errs:
		s.log.Error("listener failed; shutting down", "error", err)
		return err
	}
}

// shutdown drains the listeners and protocol servers (which records the
// sessions' ends), then closes the record and the metrics.
func (s *server) shutdown(cfg *serveConfig, rec *record.Recorder, mp *sdkmetric.MeterProvider, runErr error) error {
	timeout := cfg.ShutdownTimeout
	if timeout <= 0 {
		timeout = 30 * time.Second
	}
	sctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	for _, srv := range s.servers {
		_ = srv.Shutdown(sctx)
	}
	for _, ln := range s.listeners {
		_ = ln.Close()
	}
	for _, c := range s.closers {
		if err := c(); err != nil {
			s.log.Warn("close", "error", err)
		}
	}
	s.wg.Wait()
	if err := rec.Close(); err != nil {
		return fmt.Errorf("record: close: %w", err)
	}
	if mp != nil {
		_ = mp.Shutdown(sctx)
	}
	s.log.Info("stopped")
	return runErr
}

func openRecorder(ctx context.Context, cfg *serveConfig) (*record.Recorder, error) {
	var opts record.Options
	if f := cfg.Record.SigningKeyFile; f != "" {
		key, err := record.ReadPrivateKey(f)
		if err != nil {
			return nil, fmt.Errorf("record.signing_key_file: %w", err)
		}
		opts.SigningKey = key
	}
	if f := cfg.Record.HMACKeyFile; f != "" {
		key, err := record.ReadHMACKey(f)
		if err != nil {
			return nil, fmt.Errorf("record.hmac_key_file: %w", err)
		}
		opts.HMACKey = key
	}
	for _, spec := range cfg.Record.Anchors {
		a, err := openAnchor(spec, cfg.Record.AnchorTable, cfg.Record.AnchorTokenFile)
		if err != nil {
			return nil, fmt.Errorf("record.anchors: %w", err)
		}
		opts.Anchors = append(opts.Anchors, a)
	}
	opts.LogCheckpointEvery = cfg.Record.CheckpointEvery
	opts.LogCheckpointInterval = cfg.Record.CheckpointInterval
	var sinks []record.Sink
	var names []string
	if f := cfg.Record.File; f != nil {
		sink, err := record.OpenFile(f.Path, record.FileOptions{GroupCommit: f.GroupCommit, MaxSize: f.MaxSize,
			Durability: f.durability(), SyncInterval: f.SyncInterval})
		if err != nil {
			return nil, fmt.Errorf("record.file: %w", err)
		}
		sinks, names = append(sinks, sink), append(names, "file")
	}
	if cfg.Record.Postgres != "" {
		sink, err := openRecordTable(ctx, cfg.Record.Postgres, "")
		if err != nil {
			return nil, fmt.Errorf("record.postgres: %w", err)
		}
		sinks, names = append(sinks, sink), append(names, "postgres")
	}
	if len(sinks) == 1 {
		return record.New(sinks[0], opts), nil
	}
	return record.New(record.NewTee(sinks, names...), opts), nil
}

// newAuthenticator is how every protocol front end learns who its clients
// are: the static tokens of the config, then OIDC when configured.
func newAuthenticator(ctx context.Context, cfg *serveConfig) (gate.Authenticator, error) {
	table := map[string]gate.Identity{}
	for tok, id := range cfg.Identities.Tokens {
		table[tok] = id.identity()
	}
	auths := []gate.Authenticator{gate.Tokens(table)}
	if o := cfg.Identities.OIDC; o != nil {
		v, err := oidc.New(ctx, oidc.Config{Issuer: o.Issuer, Audience: o.Audience, GroupsClaim: o.GroupsClaim,
			AgentGroups: o.AgentGroups, HumanGroups: o.HumanGroups})
		if err != nil {
			return nil, fmt.Errorf("identities.oidc: %w", err)
		}
		auths = append(auths, v)
	}
	return gate.FirstOf(auths...), nil
}

func (id identityConfig) identity() gate.Identity {
	return gate.Identity{Subject: id.Subject, Name: id.Name, Groups: id.Groups, Kind: gate.IdentityKind(id.Kind)}
}

// storesSharingRole names the PostgreSQL stores (rules, review, runs,
// record) that connect to the gateway's upstream server as its upstream
// role.
func storesSharingRole(cfg *serveConfig) []string {
	up, err := pgconn.ParseConfig(cfg.Postgres.Upstream)
	if err != nil {
		return nil
	}
	stores := map[string]string{"rules": cfg.Rules.Postgres, "review": cfg.Review.Postgres, "record": cfg.Record.Postgres}
	if cfg.Runs != nil {
		stores["runs"] = cfg.Runs.Postgres
	}
	var out []string
	for _, name := range []string{"record", "review", "rules", "runs"} {
		if stores[name] == "" {
			continue
		}
		c, err := pgconn.ParseConfig(stores[name])
		if err == nil && c.User == up.User && c.Host == up.Host && c.Port == up.Port {
			out = append(out, name)
		}
	}
	return out
}
