package main

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/airlock-sdk/airlock/gate"
	"github.com/airlock-sdk/airlock/record"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"
)

// checkReport is what `serve --check` found: every problem, and notes on
// what serve would do at start that --check does not (create tables, seed a
// rule store).
type checkReport struct {
	problems []error
	notes    []string
	rules    *gate.RuleSet
}

func (r *checkReport) bad(format string, a ...any) {
	r.problems = append(r.problems, fmt.Errorf(format, a...))
}

// checkServe validates everything serve needs, without side effects: no
// file is created or written, no listener bound, and the databases are
// reached in read-only sessions.
func checkServe(ctx context.Context, cfg *serveConfig, opts []gate.RuleOption) *checkReport {
	r := &checkReport{}
	r.checkRules(ctx, cfg, opts)
	r.checkRecord(ctx, cfg)
	if cfg.Review.Postgres != "" {
		if conn := r.checkDatabase(ctx, "review.postgres", cfg.Review.Postgres); conn != nil {
			conn.Close(ctx)
		}
	}
	if ru := cfg.Runs; ru != nil && ru.Postgres != "" {
		if conn := r.checkDatabase(ctx, "runs.postgres", ru.Postgres); conn != nil {
			conn.Close(ctx)
		}
	}
	if c := cfg.Review.Console; c != nil {
		r.checkListen("review.console.listen", c.Listen)
		if c.TLSCert != "" {
			if _, err := tls.LoadX509KeyPair(c.TLSCert, c.TLSKey); err != nil {
				r.bad("review.console.tls_cert/tls_key: %v", err)
			}
		}
	}
	if m := cfg.Metrics; m != nil {
		r.checkListen("metrics.listen", m.Listen)
	}
	if o := cfg.Identities.OIDC; o != nil {
		r.checkURL("identities.oidc.issuer", o.Issuer)
	}
	if p := cfg.Postgres; p != nil {
		r.checkListen("postgres.listen", p.Listen)
		if _, err := pgconn.ParseConfig(p.Upstream); err != nil {
			r.bad("postgres.upstream: %v", err) // pgconn redacts the password
		}
		if p.TLSCert != "" {
			if _, err := tls.LoadX509KeyPair(p.TLSCert, p.TLSKey); err != nil {
				r.bad("postgres.tls_cert/tls_key: %v", err)
			}
		}
	}
	if h := cfg.HTTP; h != nil {
		r.checkListen("http.listen", h.Listen)
		r.checkURL("http.upstream", h.Upstream)
	}
	if m := cfg.MCP; m != nil {
		r.checkListen("mcp.listen", m.Listen)
		r.checkURL("mcp.upstream", m.Upstream)
	}
	if x := cfg.SSH; x != nil {
		r.checkSSH(x)
	}
	return r
}

// checkRules compiles the local rule file (always, even when a store holds
// the active version, so a broken file is caught before it seeds anything)
// and the store's active version.
func (r *checkReport) checkRules(ctx context.Context, cfg *serveConfig, opts []gate.RuleOption) {
	if cfg.Rules.File != "" {
		rs, err := gate.LoadRules(cfg.Rules.File, opts...)
		if err != nil {
			r.bad("rules.file: %v", err)
		}
		r.rules = rs
	}
	if cfg.Rules.Postgres == "" {
		return
	}
	conn := r.checkDatabase(ctx, "rules.postgres", cfg.Rules.Postgres)
	if conn == nil {
		return
	}
	defer conn.Close(ctx)
	if !tableExists(ctx, conn, "airlock_rule_sets") {
		if cfg.Rules.File == "" {
			r.bad("rules.postgres: the store holds no rules and rules.file is not set to seed it")
			return
		}
		r.notes = append(r.notes, "rules.postgres: the store is empty; serve will create its table and seed it from "+cfg.Rules.File)
		return
	}
	var version, content string
	err := conn.QueryRow(ctx, `SELECT version, content FROM airlock_rule_sets WHERE name = $1 AND active`, storeName(cfg)).Scan(&version, &content)
	switch {
	case errors.Is(err, pgx.ErrNoRows) && cfg.Rules.File != "":
		r.notes = append(r.notes, fmt.Sprintf("rules.postgres: no active rule set %q; serve will seed it from %s", storeName(cfg), cfg.Rules.File))
	case errors.Is(err, pgx.ErrNoRows):
		r.bad("rules.postgres: no active rule set %q and rules.file is not set to seed it", storeName(cfg))
	case err != nil:
		r.bad("rules.postgres: %v", err)
	default:
		rs, err := gate.ParseRules(storeName(cfg)+"@"+version, []byte(content), opts...)
		if err != nil {
			r.bad("rules.postgres: the active version %s does not compile: %v", version, err)
			return
		}
		r.rules = rs
	}
}

// storeName is the rule set's name in the store, as pgrules defaults it.
func storeName(cfg *serveConfig) string {
	if cfg.Rules.Name == "" {
		return "default"
	}
	return cfg.Rules.Name
}

func (r *checkReport) checkRecord(ctx context.Context, cfg *serveConfig) {
	if f := cfg.Record.SigningKeyFile; f != "" {
		if _, err := record.ReadPrivateKey(f); err != nil {
			r.bad("record.signing_key_file: %v (make one with: airlock keygen --out DIR)", err)
		}
	}
	if f := cfg.Record.HMACKeyFile; f != "" {
		if _, err := record.ReadHMACKey(f); err != nil {
			r.bad("record.hmac_key_file: %v (make one with: airlock keygen --out DIR)", err)
		}
	}
	if f := cfg.Review.SealKeyFile; f != "" {
		if _, err := readSealKey(f); err != nil {
			r.bad("review.seal_key_file: %v", err)
		}
	}
	if f := cfg.Rules.MaskHashKeyFile; f != "" {
		if _, err := os.ReadFile(f); err != nil {
			r.bad("rules.mask_hash_key_file: %v", err)
		}
	}
	if f := cfg.Record.File; f != nil && f.Path != "" {
		r.checkWritable("record.file.path", f.Path)
	}
	for _, spec := range cfg.Record.Anchors {
		if _, err := openAnchor(spec, cfg.Record.AnchorTable, cfg.Record.AnchorTokenFile); err != nil {
			r.bad("record.anchors: %v", err)
			continue
		}
		switch {
		case isPostgresURL(spec):
			if conn := r.checkDatabase(ctx, "record.anchors", spec); conn != nil {
				conn.Close(ctx)
			}
		case strings.HasPrefix(spec, "http://") || strings.HasPrefix(spec, "https://"):
			r.checkURL("record.anchors", spec)
		default:
			r.checkWritable("record.anchors", spec)
		}
	}
	if cfg.Record.Postgres != "" {
		if conn := r.checkDatabase(ctx, "record.postgres", cfg.Record.Postgres); conn != nil {
			conn.Close(ctx)
		}
	}
}

// checkWritable reports whether path could be created or appended to,
// asking the kernel (access(2)) rather than trying.
func (r *checkReport) checkWritable(key, path string) {
	if st, err := os.Stat(path); err == nil {
		if st.IsDir() {
			r.bad("%s: %s is a directory", key, path)
		} else if err := syscall.Access(path, 2); err != nil {
			r.bad("%s: %s is not writable: %v", key, path, err)
		}
		return
	}
	dir := filepath.Dir(path)
	st, err := os.Stat(dir)
	if err != nil {
		r.bad("%s: the directory %s does not exist (create it, or choose another path)", key, dir)
		return
	}
	if !st.IsDir() {
		r.bad("%s: %s is not a directory", key, dir)
		return
	}
	if err := syscall.Access(dir, 2|1); err != nil {
		r.bad("%s: cannot create files in %s: %v", key, dir, err)
	}
}

// checkDatabase connects in a read-only session and returns the connection
// (nil, with the problem noted, when it cannot).
func (r *checkReport) checkDatabase(ctx context.Context, key, dsn string) *pgx.Conn {
	cc, err := pgx.ParseConfig(dsn)
	if err != nil {
		r.bad("%s: %v", key, err)
		return nil
	}
	// Even a bug here cannot write: the server refuses writes in this session.
	cc.RuntimeParams["default_transaction_read_only"] = "on"
	cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	conn, err := pgx.ConnectConfig(cctx, cc)
	if err != nil {
		r.bad("%s: cannot connect: %v", key, err)
		return nil
	}
	return conn
}

func tableExists(ctx context.Context, conn *pgx.Conn, name string) bool {
	var ok bool
	err := conn.QueryRow(ctx, `SELECT to_regclass($1) IS NOT NULL`, name).Scan(&ok)
	return err == nil && ok
}

// checkListen validates a host:port listen address without binding it.
func (r *checkReport) checkListen(key, addr string) {
	if addr == "" {
		r.bad("%s: required", key)
		return
	}
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		r.bad("%s: %q is not host:port (for example 127.0.0.1:6432): %v", key, addr, err)
		return
	}
	n, err := strconv.Atoi(port)
	if err != nil || n < 0 || n > 65535 {
		r.bad("%s: port %q is not a number from 0 to 65535", key, port)
	}
	if host != "" && net.ParseIP(host) == nil {
		if _, err := net.LookupHost(host); err != nil {
			r.bad("%s: host %q does not resolve: %v", key, host, err)
		}
	}
}

// checkURL validates an http(s) URL with a host.
func (r *checkReport) checkURL(key, raw string) {
	u, err := url.Parse(raw)
	if err != nil {
		r.bad("%s: %v", key, err)
		return
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		r.bad("%s: %q needs an http:// or https:// scheme", key, raw)
	}
	if u.Host == "" {
		r.bad("%s: %q has no host", key, raw)
	}
}

func (r *checkReport) checkSSH(x *sshConfig) {
	r.checkListen("ssh.listen", x.Listen)
	if _, _, err := net.SplitHostPort(x.Upstream); err != nil {
		r.bad("ssh.upstream: %q is not host:port: %v", x.Upstream, err)
	}
	if _, err := readSigner(x.HostKeyFile); err != nil {
		r.bad("ssh.host_key_file: %v", err)
	}
	if _, err := readSigner(x.UpstreamKeyFile); err != nil {
		r.bad("ssh.upstream_key_file: %v", err)
	}
	if x.KnownHosts != "" {
		if _, err := knownhosts.New(x.KnownHosts); err != nil {
			r.bad("ssh.known_hosts: %v", err)
		}
	} else if _, _, _, _, err := ssh.ParseAuthorizedKey([]byte(x.UpstreamHostKey)); err != nil {
		r.bad("ssh.upstream_host_key: %v", err)
	}
	if x.AuthorizedKeys != "" {
		if _, err := os.ReadFile(x.AuthorizedKeys); err != nil {
			r.bad("ssh.authorized_keys: %v", err)
		}
	}
	if x.TrustedCAFile != "" {
		data, err := os.ReadFile(x.TrustedCAFile)
		if err == nil {
			_, _, _, _, err = ssh.ParseAuthorizedKey(data)
		}
		if err != nil {
			r.bad("ssh.trusted_ca_file: %v", err)
		}
	}
}
