package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/hashicorp/go-hclog"

	"github.com/airlock-sdk/airlock/gate"
	"github.com/airlock-sdk/airlock/protocols/tool/mcpgate"
)

// cmdMCP runs the MCP gateway over stdio: the agent starts
//
//	airlock mcp [--config FILE] [--rules FILE] [--identity NAME] [--record FILE]
//	    [--signing-key-file FILE] [--hmac-key-file FILE] -- <server command...>
//
// instead of the MCP server. The gateway spawns and supervises the server,
// judges, masks and records every request, and exits when either side ends
// (1 when the server died). Nothing but MCP is written to stdout; logs go to
// stderr.
//
// The record keys are those of `airlock serve`, under the same names: the
// flags --signing-key-file and --hmac-key-file, or record.signing_key_file
// and record.hmac_key_file of the file given with --config, whose rules and
// record sections (rules.file, rules.mask_hash_key_file, record.file,
// record.postgres) apply too. Flags override the file.
func cmdMCP(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	f, server, code := parseMCPFlags(args, stderr)
	if code >= 0 {
		return code
	}
	cfg, err := mcpServeConfig(f)
	if err != nil {
		return exitCode(stderr, "mcp", err)
	}
	if f.target == "" {
		f.target = server[0]
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return runMCP(ctx, cfg, f, server, stdin, stdout, stderr)
}

// mcpFlags are the flags of airlock mcp.
type mcpFlags struct {
	configPath, rulesPath, maskKey, identity string
	recordPath, signingKey, hmacKey, target  string
}

// parseMCPFlags parses the flags and the server command after them. It
// returns -1, or the exit code to return.
func parseMCPFlags(args []string, stderr io.Writer) (f mcpFlags, server []string, code int) {
	fs := newFlagSet("mcp", stderr)
	fs.StringVar(&f.configPath, "config", "", "an `airlock serve` config file: its rules and record sections apply")
	fs.StringVar(&f.rulesPath, "rules", "", "rule file (YAML); without it every request is denied (config: rules.file)")
	fs.StringVar(&f.maskKey, "mask-hash-key-file", "", "key of the mask hash strategy (config: rules.mask_hash_key_file)")
	fs.StringVar(&f.identity, "identity", "", "the agent's identity (subject and name) as rules see it")
	fs.StringVar(&f.recordPath, "record", "", "append the session record to this file, JSON Lines (config: record.file.path)")
	fs.StringVar(&f.signingKey, "signing-key-file", "", "Ed25519 private key that signs the record's checkpoints, from airlock keygen (config: record.signing_key_file)")
	fs.StringVar(&f.hmacKey, "hmac-key-file", "", "key of the HMACs that replace secrets in the record, from airlock keygen (config: record.hmac_key_file)")
	fs.StringVar(&f.target, "target", "", "name of the upstream server in records (default: the command)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: airlock mcp [--config FILE] [--rules FILE] [--identity NAME] [--record FILE] [--signing-key-file FILE] [--hmac-key-file FILE] -- <server command...>")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return f, nil, 0
		}
		return f, nil, 2
	}
	server = fs.Args()
	if len(server) == 0 {
		fmt.Fprintln(stderr, "airlock mcp: missing the server command after --")
		fs.Usage()
		return f, nil, 2
	}
	return f, server, -1
}

// mcpServeConfig is the rules and record configuration of airlock mcp: the
// --config file's, overridden by the flags.
func mcpServeConfig(f mcpFlags) (*serveConfig, error) {
	cfg := &serveConfig{}
	if f.configPath != "" {
		var err error
		if cfg, err = parseServeConfig(f.configPath, []string{"rules", "record"}); err != nil {
			return nil, err
		}
		if cfg.Rules.Postgres != "" {
			return nil, fmt.Errorf("%s: rules.postgres is not supported by airlock mcp; use rules.file", f.configPath)
		}
	}
	for _, o := range []struct {
		flag  string
		field *string
	}{
		{f.rulesPath, &cfg.Rules.File},
		{f.maskKey, &cfg.Rules.MaskHashKeyFile},
		{f.signingKey, &cfg.Record.SigningKeyFile},
		{f.hmacKey, &cfg.Record.HMACKeyFile},
	} {
		if o.flag != "" {
			*o.field = o.flag
		}
	}
	if f.recordPath != "" {
		cfg.Record.File = &recordFileConfig{Path: f.recordPath}
	}
	if !mcpRecording(cfg) && (cfg.Record.SigningKeyFile != "" || cfg.Record.HMACKeyFile != "") {
		return nil, usageFailure(errors.New("record keys without a record: add --record FILE"))
	}
	if cfg.Record.File != nil && cfg.Record.File.Path == "" {
		return nil, usageFailure(errors.New("record.file.path: required"))
	}
	return cfg, nil
}

// mcpRecording tells whether cfg asks for a record.
func mcpRecording(cfg *serveConfig) bool { return cfg.Record.File != nil || cfg.Record.Postgres != "" }

// runMCP gates the server command over stdin and stdout until either side
// ends; it prints its own errors, before the record is closed.
func runMCP(ctx context.Context, cfg *serveConfig, f mcpFlags, server []string, stdin io.Reader, stdout, stderr io.Writer) int {
	log := hclog.New(&hclog.LoggerOptions{Name: "airlock", Output: stderr, Level: hclog.Warn})
	opts, err := ruleOptions(cfg)
	if err != nil {
		return exitCode(stderr, "mcp", err)
	}
	var rules *gate.RuleSet
	if cfg.Rules.File != "" {
		if rules, err = gate.LoadRules(cfg.Rules.File, opts...); err != nil {
			return exitCode(stderr, "mcp", err)
		}
	} else {
		fmt.Fprintln(stderr, "airlock mcp: no --rules: every request will be denied")
	}
	gcfg := gate.Config{Rules: rules, Logger: log}
	if mcpRecording(cfg) {
		rec, err := openRecorder(ctx, cfg)
		if err != nil {
			return exitCode(stderr, "mcp", err)
		}
		defer func() {
			if err := rec.Close(); err != nil {
				fmt.Fprintf(stderr, "airlock mcp: record: %v\n", err)
			}
		}()
		if cfg.Record.SigningKeyFile == "" {
			fmt.Fprintln(stderr, "airlock mcp: warning: no --signing-key-file: the record's checkpoints are unsigned and airlock verify cannot prove them")
		}
		gcfg.Recorder = rec
	} else {
		fmt.Fprintln(stderr, "airlock mcp: warning: no --record: requests are judged and masked but nothing is recorded")
	}
	g := gate.New(gcfg)
	if rules != nil {
		go g.WatchRules(ctx, cfg.Rules.File, cfg.Rules.Reload, opts...)
	}
	gw, err := mcpgate.New(mcpgate.Config{
		Gate:          g,
		Upstream:      mcpgate.Command(stderr, nil, server[0], server[1:]...),
		Secrets:       envSecrets(os.Environ()),
		Target:        f.target,
		Authenticator: gate.StaticIdentity(gate.Identity{Subject: f.identity, Name: f.identity, Kind: gate.KindAgent}),
		Logger:        log,
	})
	if err != nil {
		return exitCode(stderr, "mcp", err)
	}
	defer gw.Close()
	return exitCode(stderr, "mcp", gw.ServeStdio(ctx, stdin, stdout))
}
