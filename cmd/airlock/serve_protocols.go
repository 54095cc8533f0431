package main

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"

	"github.com/airlock-sdk/airlock/approval"
	"github.com/airlock-sdk/airlock/gate"
	"github.com/airlock-sdk/airlock/protocols/httpgate"
	"github.com/airlock-sdk/airlock/protocols/postgres"
	"github.com/airlock-sdk/airlock/protocols/tool/mcpgate"
	"github.com/jackc/pgx/v5/pgconn"
)

// startConsole serves the review console.
func (s *server) startConsole(c *consoleConfig, approver reviewer) error {
	reviewers := map[string]gate.Identity{}
	for tok, id := range c.Reviewers {
		reviewers[tok] = id.identity()
	}
	console := &approval.Console{Approver: approver, Authenticate: approval.BearerTokens(reviewers)}
	ln, err := s.listen(c.Listen)
	if err != nil {
		return fmt.Errorf("review.console: %w", err)
	}
	if c.TLSCert != "" {
		cert, err := tls.LoadX509KeyPair(c.TLSCert, c.TLSKey)
		if err != nil {
			return fmt.Errorf("review.console: %w", err)
		}
		ln = tls.NewListener(ln, &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12})
	}
	s.serveHTTP("console", ln, console)
	s.closers = append(s.closers, console.Close)
	return nil
}

// startPostgres serves the PostgreSQL gateway; guarded are the tables of
// the gateway's own state it refuses writes to (postgres.Config.GuardedTables).
func (s *server) startPostgres(ctx context.Context, p *postgresConfig, g *gate.Gate, auth gate.Authenticator, guarded []string) error {
	up, err := pgconn.ParseConfig(p.Upstream)
	if err != nil {
		return fmt.Errorf("postgres.upstream: %w", err) // pgconn redacts the password
	}
	pcfg := postgres.Config{Gate: g, Upstream: up, Target: p.Target, Authenticator: auth,
		AllowInsecurePassword: p.AllowInsecurePassword, Logger: s.log.Named("postgres"),
		MaxConnections: p.MaxConnections, MaxConnectionsPerIdentity: p.MaxConnectionsPerIdentity, GuardedTables: guarded,
		AllowServerReach: p.AllowServerReach, AllowClusterChanges: p.AllowClusterChanges,
		IdleInTransactionTimeout: p.IdleInTransactionTimeout}
	if p.TLSCert != "" {
		cert, err := tls.LoadX509KeyPair(p.TLSCert, p.TLSKey)
		if err != nil {
			return fmt.Errorf("postgres: tls: %w", err)
		}
		pcfg.TLS = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	}
	srv, err := postgres.New(pcfg)
	if err != nil {
		return fmt.Errorf("postgres: %w", err)
	}
	if err := s.serveListener(ctx, "postgres", p.Listen, srv.Serve); err != nil {
		return err
	}
	s.closers = append(s.closers, srv.Close)
	return nil
}

// serveListener listens on addr and runs serve on the listener in the
// background, as the listener name; an error that is not the shutdown's
// goes to s.errs.
func (s *server) serveListener(ctx context.Context, name, addr string, serve func(context.Context, net.Listener) error) error {
	ln, err := s.listen(addr)
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	s.log.Info("listening", "listener", name, "addr", ln.Addr().String())
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		if err := serve(ctx, ln); err != nil && ctx.Err() == nil && !errors.Is(err, net.ErrClosed) {
			s.errs <- fmt.Errorf("%s: %w", name, err)
		}
	}()
	return nil
}

// startHTTP serves the HTTP gateway in front of its upstream.
func (s *server) startHTTP(h *httpConfig, g *gate.Gate, auth gate.Authenticator) error {
	up, err := url.Parse(h.Upstream)
	if err != nil {
		return fmt.Errorf("http.upstream: %w", err)
	}
	fold := h.LowerCasePaths == nil || *h.LowerCasePaths
	gw, err := httpgate.New(httpgate.Config{Gate: g, Authenticator: auth, Target: h.Target, LowerCasePaths: fold, Logger: s.log.Named("http"),
		Proxy: &httpgate.ProxyConfig{Upstream: up, Credential: httpgate.HeaderCredential(h.CredentialHeader, h.Credential)}})
	if err != nil {
		return fmt.Errorf("http: %w", err)
	}
	return s.serveGateway("http", h.Listen, gw.Handler(), gw.Close)
}

// serveGateway listens on addr and serves h there, as the listener name;
// closeGateway closes the gateway behind h at shutdown.
func (s *server) serveGateway(name, addr string, h http.Handler, closeGateway func() error) error {
	ln, err := s.listen(addr)
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	s.serveHTTP(name, ln, h)
	s.closers = append(s.closers, closeGateway)
	return nil
}

// startMCP serves the MCP gateway in front of its upstream server.
func (s *server) startMCP(m *mcpConfig, g *gate.Gate, auth gate.Authenticator) error {
	if _, err := url.Parse(m.Upstream); err != nil {
		return fmt.Errorf("mcp.upstream: %w", err)
	}
	gw, err := mcpgate.New(mcpgate.Config{Gate: g, Upstream: mcpgate.URL(m.Upstream, nil), Target: m.Target,
		Authenticator: auth, Secrets: mcpURLSecrets(m.Upstream), Logger: s.log.Named("mcp")})
	if err != nil {
		return fmt.Errorf("mcp: %w", err)
	}
	return s.serveGateway("mcp", m.Listen, gw.Handler(), gw.Close)
}
