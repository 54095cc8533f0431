package postgres

import (
	"context"
	"crypto/tls"
	"errors"
	"net"
	"sync"
	"time"

	"github.com/airlock-sdk/airlock/gate"
	"github.com/hashicorp/go-hclog"
	"github.com/jackc/pgx/v5/pgconn"
)

// AuthRequest is what a client presented at startup.
type AuthRequest struct {
	// User and Database are the startup parameters.
	User, Database string
	// Password is the password or token the client sent.
	Password string
	// ClientAddr is the client's network address.
	ClientAddr string
	// TLS is the client connection's TLS state, nil without TLS.
	TLS *tls.ConnectionState
}

// AuthFunc authenticates a client and returns who it is. An error refuses
// the connection; its text is not shown to the client.
type AuthFunc func(ctx context.Context, req AuthRequest) (gate.Identity, error)

// Config configures a Server.
type Config struct {
	// Gate judges, holds and records every statement. Required.
	Gate *gate.Gate
	// Upstream is how the gateway reaches the database, with credentials
	// the client never sees (build it with pgconn.ParseConfig). Required.
	Upstream *pgconn.Config
	// Authenticate checks the client's user, database and password (or
	// token). Required: with none, every client is refused.
	Authenticate AuthFunc
	// TLS, when set, lets clients use SSLRequest and PostgreSQL 17 direct
	// TLS (ALPN "postgresql" is added when absent).
	TLS *tls.Config
	// AllowInsecurePassword lets clients send their password without TLS.
	// Only for tests and loopback listeners: the password crosses the
	// network in clear text.
	AllowInsecurePassword bool
	// Classifier understands SQL; nil means NewClassifier(0).
	Classifier Classifier
	// Target names the upstream in session records; default host/database.
	Target string
	// StartupTimeout bounds the client's startup and authentication
	// (default 15s).
	StartupTimeout time.Duration
	// MaxMessageBytes bounds one client or server message
	// (DefaultMaxMessageBytes when 0).
	MaxMessageBytes int
	// MaxBatchBytes bounds the extended-protocol messages buffered up to a
	// Sync while a batch is judged or held (default 16 MiB). A larger batch
	// is refused.
	MaxBatchBytes int
	// MaxRecordBytes bounds the rows recorded per result (default 64 KiB);
	// the record marks the cut.
	MaxRecordBytes int
	// Logger receives operational logs; nil uses the gate's.
	Logger hclog.Logger
}

// Server is a PostgreSQL wire-protocol gateway: clients connect to it as to
// a database; it authenticates them, judges each statement with the gate,
// forwards what is allowed to the upstream and masks what comes back.
type Server struct {
	cfg     Config
	log     hclog.Logger
	cls     Classifier
	catalog *catalog
	tls     *tls.Config

	mu       sync.Mutex
	sessions map[uint32]*conn // by proxy process id (cancel keys)
	lns      map[net.Listener]struct{}
	conns    map[*conn]struct{}
	closed   bool
	wg       sync.WaitGroup
}

// ErrServerClosed is returned by Serve after Close.
var ErrServerClosed = errors.New("postgres: server closed")

// NewServer checks cfg and returns a Server.
func NewServer(cfg Config) (*Server, error) {
	if cfg.Gate == nil {
		return nil, errors.New("postgres: Config.Gate is required")
	}
	if cfg.Upstream == nil {
		return nil, errors.New("postgres: Config.Upstream is required")
	}
	s := &Server{cfg: cfg, sessions: map[uint32]*conn{}, lns: map[net.Listener]struct{}{}, conns: map[*conn]struct{}{}}
	s.log = cfg.Logger
	if s.log == nil {
		s.log = cfg.Gate.Logger()
	}
	s.cls = cfg.Classifier
	if s.cls == nil {
		s.cls = NewClassifier(0)
	}
	s.cls = withFunctionCatalog(s.cls, cfg.Upstream, s.log)
	if s.cfg.StartupTimeout <= 0 {
		s.cfg.StartupTimeout = 15 * time.Second
	}
	if s.cfg.MaxBatchBytes <= 0 {
		s.cfg.MaxBatchBytes = 16 << 20
	}
	if s.cfg.MaxRecordBytes <= 0 {
		s.cfg.MaxRecordBytes = 64 << 10
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
	return s, nil
}

// Serve accepts clients on ln until Close, serving each in a goroutine.
func (s *Server) Serve(ln net.Listener) error {
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
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				delay = min(max(2*delay, 5*time.Millisecond), time.Second)
				time.Sleep(delay)
				continue
			}
			return err
		}
		delay = 0
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			s.ServeConn(context.Background(), nc)
		}()
	}
}

// Close stops the listeners, closes every client connection and waits for
// their sessions to end.
func (s *Server) Close() error {
	s.mu.Lock()
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
	return nil
}

func (s *Server) register(c *conn) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return false
	}
	s.conns[c] = struct{}{}
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
