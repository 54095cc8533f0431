package main

import (
	"errors"
	"fmt"
	"net"
	"os"
	"path"
	"slices"
	"strings"
	"time"

	"github.com/airlock-sdk/airlock/gate"
	"github.com/airlock-sdk/airlock/internal/yamlstrict"
	"github.com/airlock-sdk/airlock/record"
	"go.yaml.in/yaml/v3"
)

// serveConfig is the `airlock serve --config` file. Every string field that
// holds a secret or an address may use ${ENV} references, expanded when the
// file is loaded, so credentials stay out of the file.
type serveConfig struct {
	Rules      rulesConfig      `yaml:"rules"`
	Review     reviewConfig     `yaml:"review"`
	Record     recordConfig     `yaml:"record"`
	Identities identitiesConfig `yaml:"identities"`
	Postgres   *postgresConfig  `yaml:"postgres"`
	HTTP       *httpConfig      `yaml:"http"`
	MCP        *mcpConfig       `yaml:"mcp"`
	SSH        *sshConfig       `yaml:"ssh"`
	Metrics    *metricsConfig   `yaml:"metrics"`
	// Runs groups the sessions of one agent across protocols, for labels
	// and budgets (gate.RunConfig); off when absent.
	Runs *runsConfig `yaml:"runs"`
	// LogLevel is trace, debug, info (default), warn or error.
	LogLevel string `yaml:"log_level"`
	// ShutdownTimeout bounds the drain of sessions at shutdown (default 30s).
	ShutdownTimeout time.Duration `yaml:"shutdown_timeout"`
}

type rulesConfig struct {
	// File is the rule file; it is reloaded when it changes.
	File string `yaml:"file"`
	// Postgres is a connection string of a shared rule store (gate/pgrules):
	// the active version is loaded at start and swapped on every publish.
	// With both set, File seeds the store when it holds no rules yet.
	Postgres string `yaml:"postgres"`
	// Name selects the rule set in the store (default "default").
	Name string `yaml:"name"`
	// Reload is how often the file is checked (default 2s).
	Reload time.Duration `yaml:"reload"`
	// MaskHashKeyFile holds the key of the mask hash strategy.
	MaskHashKeyFile string `yaml:"mask_hash_key_file"`
}

type reviewConfig struct {
	// Mode is hold (default) or retry (refuse-then-retry).
	Mode string `yaml:"mode"`
	// Postgres is a connection string: reviews are then shared by every
	// replica using the same database (approval/pgapproval).
	Postgres string `yaml:"postgres"`
	// SealKeyFile holds the key (at least 32 bytes, mode 0600) that seals
	// every review, vote and grant written to the postgres store, so that
	// rows written by anyone else approve nothing. Required with Postgres
	// unless Unsealed is set; the same on every replica.
	SealKeyFile string `yaml:"seal_key_file"`
	// Unsealed runs the postgres store without a seal key: anyone who can
	// write its tables (an agent whose SQL reaches that database, too)
	// can approve. Only for a database no gated client can write.
	Unsealed bool           `yaml:"unsealed"`
	Console  *consoleConfig `yaml:"console"`
}

type runsConfig struct {
	// Postgres is a connection string: runs are then shared by every
	// replica using the same database (gate/pgruns); empty keeps them in
	// memory.
	Postgres string `yaml:"postgres"`
	// Claim names the token claim that carries the run id (an OIDC sid).
	Claim string `yaml:"claim"`
	// Idle starts a new run for an identity idle this long (default 1h).
	Idle time.Duration `yaml:"idle"`
	// TrustClientRuns: the run a client names is set by a harness the
	// agent cannot bypass (gate.RunConfig.TrustClientRuns). Off by
	// default: labels then hold per identity, whatever run it names.
	TrustClientRuns bool `yaml:"trust_client_runs"`
}

type consoleConfig struct {
	Listen string `yaml:"listen"`
	// Reviewers maps a bearer token (use ${ENV}) to the reviewer it stands for.
	Reviewers map[string]identityConfig `yaml:"reviewers"`
	// TLSCert and TLSKey serve the console over TLS.
	TLSCert string `yaml:"tls_cert"`
	TLSKey  string `yaml:"tls_key"`
	// AllowPlaintext serves it without TLS on an address other than
	// loopback (behind a proxy that terminates TLS).
	AllowPlaintext bool `yaml:"allow_plaintext"`
}

type recordConfig struct {
	// File is a JSON Lines record file.
	File *recordFileConfig `yaml:"file"`
	// Postgres is a connection string for the record table.
	Postgres string `yaml:"postgres"`
	// SigningKeyFile holds the Ed25519 key that signs checkpoints.
	SigningKeyFile string `yaml:"signing_key_file"`
	// HMACKeyFile holds the key of the HMACs that replace secrets.
	HMACKeyFile string `yaml:"hmac_key_file"`
	// Anchors receive the record's signed checkpoints off this host: a file
	// path (on another mount), a postgres:// URL or an http(s):// URL.
	// airlock verify --anchor checks a record against them.
	Anchors []string `yaml:"anchors"`
	// AnchorTable is the table of postgres:// anchors (default airlock_anchor).
	AnchorTable string `yaml:"anchor_table"`
	// AnchorTokenFile holds the bearer token of http(s):// anchors.
	AnchorTokenFile string `yaml:"anchor_token_file"`
	// CheckpointEvery and CheckpointInterval bound what a cut after the
	// newest anchored checkpoint can remove undetected (defaults 1000
	// entries, 1s).
	CheckpointEvery    int           `yaml:"checkpoint_every"`
	CheckpointInterval time.Duration `yaml:"checkpoint_interval"`
}

type recordFileConfig struct {
	Path        string        `yaml:"path"`
	GroupCommit time.Duration `yaml:"group_commit"`
	MaxSize     int64         `yaml:"max_size"`
	// Durability is "write" (default: a decision reaches the OS before its
	// statement is forwarded, fsynced within sync_interval) or "fsync"
	// (durable before forwarding).
	Durability   string        `yaml:"durability"`
	SyncInterval time.Duration `yaml:"sync_interval"`
}

// durability maps the config's word to the record's level.
func (f *recordFileConfig) durability() record.Durability {
	if f.Durability == "fsync" {
		return record.DurabilityFsync
	}
	return record.DurabilityWrite
}

type identitiesConfig struct {
	// Tokens maps static bearer tokens / passwords (use ${ENV}) to identities.
	Tokens map[string]identityConfig `yaml:"tokens"`
	// OIDC verifies JWTs from an issuer.
	OIDC *struct {
		Issuer      string   `yaml:"issuer"`
		Audience    string   `yaml:"audience"`
		GroupsClaim string   `yaml:"groups_claim"`
		AgentGroups []string `yaml:"agent_groups"`
		HumanGroups []string `yaml:"human_groups"`
	} `yaml:"oidc"`
}

type identityConfig struct {
	Subject string   `yaml:"subject"`
	Name    string   `yaml:"name"`
	Groups  []string `yaml:"groups"`
	Kind    string   `yaml:"kind"`
}

type postgresConfig struct {
	Listen string `yaml:"listen"`
	// Upstream is a connection string with the gateway-held credentials.
	Upstream string `yaml:"upstream"`
	Target   string `yaml:"target"`
	TLSCert  string `yaml:"tls_cert"`
	TLSKey   string `yaml:"tls_key"`
	// AllowInsecurePassword accepts passwords without TLS (loopback only).
	AllowInsecurePassword bool `yaml:"allow_insecure_password"`
	// MaxConnections caps concurrent client connections (default 256;
	// negative: no cap); MaxConnectionsPerIdentity caps them per identity
	// (0: no cap). Over a cap the client gets FATAL 53300.
	MaxConnections            int `yaml:"max_connections"`
	MaxConnectionsPerIdentity int `yaml:"max_connections_per_identity"`
	// GuardedTables names more tables of Airlock's own state kept in the
	// upstream database ("table" or "schema.table"), besides
	// postgres.DefaultGuardedTables and record.anchor_table: in a database
	// that holds any of them, a statement that may write them is refused
	// whatever the rules say.
	GuardedTables []string `yaml:"guarded_tables"`
	// AllowServerReach lets statements make the database server reach
	// past the database (dblink, postgres_fdw, COPY ... PROGRAM,
	// lo_export, and code that may: postgres.Config.AllowServerReach).
	// Refused by default whatever the rules say.
	AllowServerReach bool `yaml:"allow_server_reach"`
	// AllowClusterChanges lets statements change the server's databases
	// and roles (DROP or ALTER DATABASE, CREATE, ALTER or DROP ROLE,
	// GRANT or REVOKE of a role, REASSIGN or DROP OWNED, and code that may:
	// postgres.Config.AllowClusterChanges). Refused by default whatever
	// the rules say: the stores may live in another database of the
	// same server.
	AllowClusterChanges bool `yaml:"allow_cluster_changes"`
	// IdleInTransactionTimeout ends a session idle inside a transaction
	// for longer (its locks would block others' DDL and writes): the
	// client gets SQLSTATE 25P03 and the transaction is rolled back.
	// Unset: 5 minutes (postgres.DefaultIdleInTransactionTimeout); a
	// negative duration: no bound.
	IdleInTransactionTimeout time.Duration `yaml:"idle_in_transaction_timeout"`
}

type httpConfig struct {
	Listen   string `yaml:"listen"`
	Upstream string `yaml:"upstream"`
	Target   string `yaml:"target"`
	// CredentialHeader and Credential are injected upstream ("Authorization",
	// "Bearer ${API_TOKEN}").
	CredentialHeader string `yaml:"credential_header"`
	Credential       string `yaml:"credential"`
	// LowerCasePaths lower-cases http.path for the rules (the upstream
	// gets the path as sent), so that a rule on "/admin" also holds for
	// "/ADMIN" at an upstream that routes case-insensitively. Default
	// true; set false only for an upstream known to be case-sensitive.
	LowerCasePaths *bool `yaml:"lower_case_paths"`
}

type sshConfig struct {
	Listen string `yaml:"listen"`
	// HostKeyFile is the gateway's own host key (OpenSSH or PEM private key).
	HostKeyFile string `yaml:"host_key_file"`
	// Upstream is host:port of the SSH server gated.
	Upstream     string `yaml:"upstream"`
	UpstreamUser string `yaml:"upstream_user"`
	// UpstreamKeyFile is the gateway-held key for the upstream.
	UpstreamKeyFile string `yaml:"upstream_key_file"`
	// KnownHosts is a known_hosts file, or UpstreamHostKey a pinned key in
	// authorized_keys format: the upstream's host key is always checked.
	KnownHosts      string `yaml:"known_hosts"`
	UpstreamHostKey string `yaml:"upstream_host_key"`
	// AuthorizedKeys lists client keys; each key's comment is its subject.
	AuthorizedKeys string `yaml:"authorized_keys"`
	// Identities gives the identity of a key comment; a comment not listed
	// is an agent named by the comment.
	Identities map[string]identityConfig `yaml:"identities"`
	// TrustedCAFile holds CA public keys whose user certificates are accepted.
	TrustedCAFile string `yaml:"trusted_ca_file"`
	// AllowStartupWrites leaves writes to start-up files (~/.bashrc,
	// ~/.ssh/authorized_keys, git hooks, crontabs, ...) to the rules
	// (sshgate.Config.AllowStartupWrites). Off by default: they are
	// refused as ssh/startup whatever the rules allow.
	AllowStartupWrites bool `yaml:"allow_startup_writes"`
	// AllowOpaqueCode leaves code the gate cannot read (python -c, a
	// script, curl | sh) to the rules while start-up files are protected
	// (sshgate.Config.AllowOpaqueCode). Off by default: it is refused as
	// ssh/startup, since it can build a start-up file's name from pieces.
	AllowOpaqueCode bool `yaml:"allow_opaque_code"`
	// AllowMaskedTransforms lets a decision that masks results allow
	// commands that may print them encoded or cut (base64, xxd, rev, tr,
	// sed, cut, head -c, ...) or tell them a piece at a time (grep, sort,
	// test, case, ...), and interactive shells
	// (sshgate.Config.AllowMaskedTransforms). Off by default: they are
	// refused as ssh/masked-transform, since the masker could not read
	// their output.
	AllowMaskedTransforms bool `yaml:"allow_masked_transforms"`
	// UpstreamHome is the upstream account's home directory, absolute
	// (sshgate.Upstream.Home): the start-up rules then know it without
	// the gateway asking the upstream at the start of each connection
	// that writes. Empty: the gateway asks (and records the question).
	UpstreamHome string `yaml:"upstream_home"`
}

type mcpConfig struct {
	Listen string `yaml:"listen"`
	// Upstream is the URL of the streamable HTTP MCP server gated.
	Upstream string `yaml:"upstream"`
	Target   string `yaml:"target"`
}

type metricsConfig struct {
	Listen string `yaml:"listen"`
}

// loadServeConfig reads, expands and validates a config file. Errors name
// the file and line. ${NAME} is expanded in values and keys only, never in
// comments.
func loadServeConfig(path string) (*serveConfig, error) {
	cfg, err := parseServeConfig(path, nil)
	if err != nil {
		return nil, err
	}
	if err := cfg.validate(); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return cfg, nil
}

// parseServeConfig reads and expands a config file without validating it
// as a whole. With sections set, only those top-level sections are kept (and
// expanded): `airlock mcp --config` uses the rules and record sections, and
// needs none of the environment of the others.
func parseServeConfig(path string, sections []string) (*serveConfig, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	// First, unexpanded: syntax, then unknown or mistyped keys, each named
	// with its line.
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return nil, fmt.Errorf("%s: %s", path, yamlstrict.HumanizeSyntax(err, data))
	}
	if err := yamlstrict.Check(&root, &serveConfig{}, "yaml"); err != nil {
		return nil, prefixLines(path, err)
	}
	if sections != nil && len(root.Content) == 1 && root.Content[0].Kind == yaml.MappingNode {
		m := root.Content[0]
		var kept []*yaml.Node
		for i := 0; i+1 < len(m.Content); i += 2 {
			if slices.Contains(sections, m.Content[i].Value) {
				kept = append(kept, m.Content[i], m.Content[i+1])
			}
		}
		m.Content = kept
	}
	var missing []string
	expandNode(&root, func(name string, line int) string {
		v, ok := os.LookupEnv(name)
		if !ok {
			missing = append(missing, fmt.Sprintf("%s (line %d)", name, line))
		}
		return v
	})
	if len(missing) > 0 {
		return nil, fmt.Errorf("%s: environment variables not set: %s (the file refers to them as ${NAME}; export them before starting airlock)", path, strings.Join(missing, ", "))
	}
	var cfg serveConfig
	if err := root.Decode(&cfg); err != nil {
		return nil, fmt.Errorf("%s: %s", path, yamlstrict.Humanize(err))
	}
	return &cfg, nil
}

// prefixLines puts the file name before each line of a joined error.
func prefixLines(path string, err error) error {
	var errs []error
	for _, line := range strings.Split(err.Error(), "\n") {
		errs = append(errs, fmt.Errorf("%s: %s", path, line))
	}
	return errors.Join(errs...)
}

// expandNode replaces ${NAME} in every scalar of the tree.
func expandNode(n *yaml.Node, lookup func(name string, line int) string) {
	if n.Kind == yaml.ScalarNode && strings.Contains(n.Value, "$") {
		n.Value = os.Expand(n.Value, func(name string) string { return lookup(name, n.Line) })
	}
	for _, c := range n.Content {
		expandNode(c, lookup)
	}
}

// configProblems collects what is wrong with a configuration, in order.
type configProblems []error

func (p *configProblems) bad(format string, a ...any) { *p = append(*p, fmt.Errorf(format, a...)) }

// validate reports every problem of the configuration at once.
func (c *serveConfig) validate() error {
	var p configProblems
	c.validateCore(&p)
	c.validateSSHAndMCP(&p)
	c.validateIdentities(&p)
	c.validatePostgresHTTPAndOIDC(&p)
	return errors.Join(p...)
}

// validateCore checks the rules, review mode, runs, record and that some
// listener is configured.
func (c *serveConfig) validateCore(p *configProblems) {
	if c.Rules.File == "" && c.Rules.Postgres == "" {
		p.bad("rules: a file or a postgres store is required")
	}
	switch c.Review.Mode {
	case "", "hold", "retry":
	default:
		p.bad("review.mode: %q is not hold or retry", c.Review.Mode)
	}
	c.validateReviewStore(p)
	if c.Runs != nil && c.Runs.Idle < 0 {
		p.bad("runs.idle: must not be negative")
	}
	if c.Record.File == nil && c.Record.Postgres == "" {
		p.bad("record: a file or postgres sink is required (a gateway that records nothing is not allowed)")
	}
	if c.Record.File != nil && c.Record.File.Path == "" {
		p.bad("record.file.path: required")
	}
	if f := c.Record.File; f != nil && f.Durability != "" && f.Durability != "write" && f.Durability != "fsync" {
		p.bad("record.file.durability: %q is not write or fsync", f.Durability)
	}
	if c.Postgres == nil && c.HTTP == nil && c.MCP == nil && c.SSH == nil {
		p.bad("no listener: configure postgres, ssh, http and/or mcp")
	}
}

// validateReviewStore checks that a postgres review store is sealed, or
// explicitly not.
func (c *serveConfig) validateReviewStore(p *configProblems) {
	r := c.Review
	switch {
	case r.Postgres == "" && (r.SealKeyFile != "" || r.Unsealed):
		p.bad("review.seal_key_file and review.unsealed: only with review.postgres")
	case r.Postgres == "":
	case r.SealKeyFile != "" && r.Unsealed:
		p.bad("review: seal_key_file and unsealed: set one, not both")
	case r.SealKeyFile == "" && !r.Unsealed:
		p.bad("review.seal_key_file: required with review.postgres: without a seal key, anyone who can write the review tables can approve (make one with airlock keygen --seal FILE, or set review.unsealed: true to run so anyway)")
	}
}

// validateSSHAndMCP checks the ssh and mcp listeners.
func (c *serveConfig) validateSSHAndMCP(p *configProblems) {
	if x := c.SSH; x != nil {
		if x.Listen == "" || x.Upstream == "" || x.HostKeyFile == "" || x.UpstreamKeyFile == "" {
			p.bad("ssh: listen, upstream, host_key_file and upstream_key_file are required")
		}
		if x.KnownHosts == "" && x.UpstreamHostKey == "" {
			p.bad("ssh: known_hosts or upstream_host_key is required: the upstream's host key is always checked")
		}
		if x.AuthorizedKeys == "" && x.TrustedCAFile == "" {
			p.bad("ssh: authorized_keys or trusted_ca_file is required to know who the clients are")
		}
		if h := x.UpstreamHome; h != "" && (!path.IsAbs(h) || path.Clean(h) == "/") {
			p.bad("ssh.upstream_home: %q is not an absolute directory other than / (the upstream account's home, as /srv/app)", h)
		}
	}
	if m := c.MCP; m != nil && (m.Listen == "" || m.Upstream == "") {
		p.bad("mcp: listen and upstream are required")
	}
}

// validateIdentities checks the client tokens and the review console's
// reviewer tokens.
func (c *serveConfig) validateIdentities(p *configProblems) {
	if len(c.Identities.Tokens) == 0 && c.Identities.OIDC == nil && (c.Postgres != nil || c.HTTP != nil || c.MCP != nil) {
		p.bad("identities: tokens or oidc is required to know who the clients are")
	}
	checkTokens(p, "identities.tokens", "a token", c.Identities.Tokens)
	if c.Review.Console != nil {
		if c.Review.Console.Listen == "" {
			p.bad("review.console.listen: required")
		}
		if len(c.Review.Console.Reviewers) == 0 {
			p.bad("review.console.reviewers: at least one reviewer token is required")
		}
		checkTokens(p, "review.console.reviewers", "the token", c.Review.Console.Reviewers)
		checkReviewers(p, c.Review.Console.Reviewers, c.Identities.Tokens)
		checkConsoleTLS(p, c.Review.Console)
	}
}

// checkConsoleTLS refuses a console that would take reviewer tokens in
// clear from the network: one listening beyond loopback without TLS,
// unless allow_plaintext says a proxy in front terminates it.
func checkConsoleTLS(p *configProblems, c *consoleConfig) {
	if (c.TLSCert == "") != (c.TLSKey == "") {
		p.bad("review.console: tls_cert and tls_key go together")
		return
	}
	if c.TLSCert == "" && !c.AllowPlaintext && c.Listen != "" && !loopbackListen(c.Listen) {
		p.bad("review.console.listen: %s is reachable beyond this host and the console would receive reviewer tokens in clear; "+
			"set tls_cert and tls_key, listen on 127.0.0.1, or set allow_plaintext behind a proxy that terminates TLS", c.Listen)
	}
}

// loopbackListen reports whether a listen address binds loopback only: a
// loopback IP or localhost (an empty host or 0.0.0.0 binds every
// interface).
func loopbackListen(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// checkReviewers reports console reviewers who could never vote (agents
// never review) and reviewer tokens that are also client tokens: whoever
// holds such a token (the agent above all) could approve, under the
// reviewer's name, the requests it makes itself. Tokens are compared as
// the bearer parser reads them, without surrounding white space.
func checkReviewers(p *configProblems, reviewers, clients map[string]identityConfig) {
	client := make(map[string]string, len(clients))
	for tok, id := range clients {
		client[strings.TrimSpace(tok)] = id.Subject
	}
	for tok, id := range reviewers {
		if k := id.identity().EffectiveKind(); k != gate.KindHuman && k != gate.KindService {
			p.bad("review.console.reviewers: reviewer %q is of kind %q, which cannot review (set kind: human or service)", id.Subject, k)
		}
		if subject, ok := client[strings.TrimSpace(tok)]; ok {
			p.bad("review.console.reviewers: the token of reviewer %q is also the token of client %q in identities.tokens: "+
				"whoever holds it could approve its own requests; give reviewers tokens of their own", id.Subject, subject)
		}
	}
}

// checkTokens reports short tokens and bad identities of a token map.
func checkTokens(p *configProblems, field, which string, tokens map[string]identityConfig) {
	for tok, id := range tokens {
		if len(tok) < 16 {
			p.bad("%s: %s for %q is shorter than 16 characters", field, which, id.Subject)
		}
		if err := id.check(); err != nil {
			p.bad("%s: %v", field, err)
		}
	}
}

// validatePostgresHTTPAndOIDC checks the postgres and http listeners and
// the OIDC verifier.
func (c *serveConfig) validatePostgresHTTPAndOIDC(p *configProblems) {
	if pg := c.Postgres; pg != nil {
		if pg.Listen == "" || pg.Upstream == "" {
			p.bad("postgres: listen and upstream are required")
		}
		if (pg.TLSCert == "") != (pg.TLSKey == "") {
			p.bad("postgres: tls_cert and tls_key go together")
		}
	}
	if h := c.HTTP; h != nil && (h.Listen == "" || h.Upstream == "") {
		p.bad("http: listen and upstream are required")
	}
	if o := c.Identities.OIDC; o != nil && (o.Issuer == "" || o.Audience == "") {
		p.bad("identities.oidc: issuer and audience are required")
	}
}

func (id identityConfig) check() error {
	if id.Subject == "" {
		return errors.New("an identity needs a subject")
	}
	switch id.Kind {
	case "", "agent", "human", "service":
		return nil
	}
	return fmt.Errorf("identity %q: kind %q is not agent, human or service", id.Subject, id.Kind)
}
