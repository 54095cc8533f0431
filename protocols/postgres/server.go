package postgres

import (
	"context"
	"crypto/tls"
	"errors"
	"net"
	"sync"
	"time"

	"github.com/airlock-sdk/airlock/analysis/pgsql"
	"github.com/airlock-sdk/airlock/gate"
	"github.com/hashicorp/go-hclog"
	"github.com/jackc/pgx/v5/pgconn"
)

// Config configures a Server.
type Config struct {
	// Gate judges, holds and records every statement: one gate.Conn per
	// client session. Required.
	Gate gate.Hub
	// Upstream is how the gateway reaches the database, with credentials
	// the client never sees (build it with pgconn.ParseConfig). Required.
	Upstream *pgconn.Config
	// Authenticator checks the client's user, database and password (or
	// token), given as a gate.Credential. Required.
	Authenticator gate.Authenticator
	// TLS, when set, lets clients use SSLRequest and PostgreSQL 17 direct
	// TLS (ALPN "postgresql" is added when absent).
	TLS *tls.Config
	// AllowInsecurePassword lets clients send their password without TLS.
	// Only for tests and loopback listeners: the password crosses the
	// network in clear text.
	AllowInsecurePassword bool
	// Classifier understands SQL; nil means pgsql.NewClassifier(0). Its
	// functions are judged by the upstream's catalog either way.
	Classifier pgsql.Classifier
	// Target names the upstream in session records; default host/database.
	Target string
	// StartupTimeout bounds the client's startup and authentication
	// (default 15s).
	StartupTimeout time.Duration
	// IdleInTransactionTimeout ends a session that stays idle inside a
	// transaction (the server waiting for the client, in a transaction
	// or a failed one) for longer: its locks would block other sessions'
	// DDL and writes for as long as the client waits. The client gets
	// SQLSTATE 25P03 and the transaction is rolled back. Zero means
	// DefaultIdleInTransactionTimeout; negative, no bound. A statement
	// held for review is not idle.
	IdleInTransactionTimeout time.Duration
	// MaxMessageBytes bounds one client or server message once the client
	// is authenticated (DefaultMaxMessageBytes when 0). Before, every
	// message is bounded by MaxAuthMessageBytes.
	MaxMessageBytes int
	// MaxConnections bounds the client connections open at once,
	// authenticated or not (DefaultMaxConnections when 0, no bound when
	// negative). A client over the bound gets SQLSTATE 53300.
	MaxConnections int
	// MaxConnectionsPerIdentity bounds the sessions of one identity
	// (Identity.Subject) open at once; 0 means no bound. A client over it
	// gets SQLSTATE 53300.
	MaxConnectionsPerIdentity int
	// MaxBatchBytes bounds the extended-protocol messages buffered up to a
	// Sync while a batch is judged or held (default 16 MiB). A larger batch
	// is refused.
	MaxBatchBytes int
	// RecordLimit bounds the bytes recorded per result (the rows rendered
	// as text); 0 means gate.DefaultRecordLimit, a negative value no bound.
	// The client still receives every row; the record marks the cut.
	RecordLimit int64
	// GuardedTables names tables of the gateway's own state kept in the
	// upstream database besides DefaultGuardedTables (which are always
	// guarded): a record/pgsink Table or Anchor table of another name,
	// say ("table" or "schema.table"). In a database that holds one of
	// them, a statement that may write them is refused whatever the
	// rules say (see selfGuard); reads are left to the rules.
	GuardedTables []string
	// AllowServerReach lets statements make the database server reach
	// past the database: open connections to other databases (dblink,
	// postgres_fdw, subscriptions), run server programs or touch server
	// files (COPY ... PROGRAM, lo_export), or load code that may. By
	// default they are refused whatever the rules say, and so is code the
	// gateway cannot see (DO, CALL, functions, triggers) where it may
	// reach: see reachguard.go. A server-side connection to the database
	// that holds the gateway's own tables would change them unseen; set
	// this only when no such database is reachable from the server.
	AllowServerReach bool
	// AllowClusterChanges lets statements change the server's databases
	// and roles: DROP or ALTER DATABASE, CREATE, ALTER or DROP ROLE,
	// GRANT or REVOKE of a role or on a database, REASSIGN OWNED, DROP
	// OWNED, CREATE DATABASE ... TEMPLATE of another database. By
	// default they are refused whatever the rules say, and so is code the
	// gateway cannot see (DO, CALL, functions) where the gateway's role
	// could make them: see clusterguard.go. Airlock's stores may live in
	// another database of the same server, as a role a change would
	// take away from them; set this only when none does.
	AllowClusterChanges bool
	// Logger receives operational logs; nil means silence.
	Logger hclog.Logger
}

// Server is a PostgreSQL wire-protocol gateway: clients connect to it as to
// a database; it authenticates them, judges each statement with the gate,
// forwards what is allowed to the upstream and masks what comes back.
type Server struct {
	cfg      Config
	log      hclog.Logger
	cls      pgsql.Classifier
	procs    *funcCatalog // what cls judges functions by
	catalog  *catalog
	self     *selfGuard      // keeps writes off the gateway's own tables
	lineage  *pgsql.Resolver // over catalog
	carriers carriers        // columns a detector found sensitive values in
	probes   probes          // columns read to learn whether they are carriers (probe.go)
	tls      *tls.Config

	mu       sync.Mutex
	sessions map[uint32]*conn // by proxy process id (cancel keys)
	lns      map[net.Listener]struct{}
	conns    map[*conn]struct{}
	closed   bool
	wg       sync.WaitGroup
	active   int            // client connections, authenticated or not
	perID    map[string]int // sessions by identity subject
	// watchdogOn is set while the client-watch watchdog runs (watch.go).
	watchdogOn bool
}

// DefaultMaxConnections bounds concurrent client connections when
// Config.MaxConnections is 0.
const DefaultMaxConnections = 256

// MaxAuthMessageBytes bounds every client message before authentication
// (the password or token included): nothing a client that has not
// authenticated sends makes the gateway hold more.
const MaxAuthMessageBytes = 16 << 10

// admit counts a new client connection. over is true above
// MaxConnections (the client is told so); hard is true far above it (the
// connection is closed at once, unread).
func (s *Server) admit() (over, hard bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.active++
	limit := s.cfg.MaxConnections
	if limit < 0 {
		return false, false
	}
	return s.active > limit, s.active > 2*limit+16
}

func (s *Server) release() {
	s.mu.Lock()
	s.active--
	s.mu.Unlock()
}

// admitIdentity counts a session of subject; it returns false above
// MaxConnectionsPerIdentity.
func (s *Server) admitIdentity(subject string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.perID[subject]++
	return s.cfg.MaxConnectionsPerIdentity <= 0 || s.perID[subject] <= s.cfg.MaxConnectionsPerIdentity
}

func (s *Server) releaseIdentity(subject string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.perID[subject]--; s.perID[subject] <= 0 {
		delete(s.perID, subject)
	}
}

// ErrServerClosed is returned by Serve after Close.
var ErrServerClosed = errors.New("postgres: server closed")

// New checks cfg and returns a Server.
func New(cfg Config) (*Server, error) {
	if cfg.Gate == nil {
		return nil, errors.New("postgres: Config.Gate is required")
	}
	if cfg.Upstream == nil {
		return nil, errors.New("postgres: Config.Upstream is required")
	}
	if cfg.Authenticator == nil {
		return nil, errors.New("postgres: Config.Authenticator is required")
	}
	s := &Server{cfg: cfg, sessions: map[uint32]*conn{}, lns: map[net.Listener]struct{}{}, conns: map[*conn]struct{}{},
		perID: map[string]int{}}
	s.log = cfg.Logger
	if s.log == nil {
		s.log = hclog.NewNullLogger()
	}
	s.cls = cfg.Classifier
	if s.cls == nil {
		s.cls = pgsql.NewClassifier(0)
	}
	s.procs = funcCatalogFor(cfg.Upstream, s.log)
	s.cls = pgsql.WithProcCatalog(s.cls, s.procs)
	if s.cfg.StartupTimeout <= 0 {
		s.cfg.StartupTimeout = 15 * time.Second
	}
	if s.cfg.IdleInTransactionTimeout == 0 {
		s.cfg.IdleInTransactionTimeout = DefaultIdleInTransactionTimeout
	}
	if s.cfg.MaxConnections == 0 {
		s.cfg.MaxConnections = DefaultMaxConnections
	}
	if s.cfg.MaxBatchBytes <= 0 {
		s.cfg.MaxBatchBytes = 16 << 20
	}
	if s.cfg.Target == "" {
		s.cfg.Target = cfg.Upstream.Host + "/" + cfg.Upstream.Database
	}
	if cfg.TLS != nil {
		t := cfg.TLS.Clone()
		has := false
		for _, p := range t.NextProtos {
			has = has || p == alpnPostgres
		}
		if !has {
			t.NextProtos = append(t.NextProtos, alpnPostgres)
		}
		s.tls = t
	}
	s.catalog = newCatalog(cfg.Upstream)
	s.self = newSelfGuard(s.catalog, cfg.GuardedTables, !cfg.AllowServerReach, !cfg.AllowClusterChanges)
	s.lineage = pgsql.NewResolver(s.catalog)
	return s, nil
}

// Serve accepts clients on ln until Close or until ctx ends, serving each
// in a goroutine whose session is bound to ctx.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return ErrServerClosed
	}
	s.lns[ln] = struct{}{}
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		delete(s.lns, ln)
		s.mu.Unlock()
	}()
	stop := context.AfterFunc(ctx, func() { _ = ln.Close() })
	defer stop()
	var delay time.Duration
	for {
		nc, err := ln.Accept()
		if err != nil {
			s.mu.Lock()
			closed := s.closed
			s.mu.Unlock()
			if closed {
				return ErrServerClosed
			}
			if ctx.Err() != nil {
				return ctx.Err()
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				delay = min(max(2*delay, 5*time.Millisecond), time.Second)
				time.Sleep(delay)
				continue
			}
			return err
		}
		delay = 0
		// Add under mu, after the closed check: Close waits on wg once it
		// has set closed, and an Add racing that Wait would be lost.
		s.mu.Lock()
		if s.closed {
			s.mu.Unlock()
			_ = nc.Close()
			return ErrServerClosed
		}
		s.wg.Add(1)
		s.mu.Unlock()
		go func() {
			defer s.wg.Done()
			s.ServeConn(ctx, nc)
		}()
	}
}

// Close stops the listeners, closes every client connection and waits for
// their sessions to end.
func (s *Server) Close() error {
	s.mu.Lock()
	first := !s.closed
	s.closed = true
	for ln := range s.lns {
		_ = ln.Close()
	}
	for c := range s.conns {
		c.abort()
	}
	s.mu.Unlock()
	s.wg.Wait()
	s.catalog.close()
	if first {
		s.procs.release()
	}
	return nil
}

func (s *Server) register(c *conn) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return false
	}
	s.conns[c] = struct{}{}
	if !s.watchdogOn {
		s.watchdogOn = true
		go s.watchdog()
	}
	return true
}

func (s *Server) unregister(c *conn) {
	s.mu.Lock()
	delete(s.conns, c)
	if s.sessions[c.pid] == c {
		delete(s.sessions, c.pid)
	}
	s.mu.Unlock()
}
