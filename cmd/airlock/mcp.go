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
	fs := flag.NewFlagSet("mcp", flag.ContinueOnError)
	fs.SetOutput(stderr)
	configPath := fs.String("config", "", "an `airlock serve` config file: its rules and record sections apply")
	rulesPath := fs.String("rules", "", "rule file (YAML); without it every request is denied (config: rules.file)")
	maskKey := fs.String("mask-hash-key-file", "", "key of the mask hash strategy (config: rules.mask_hash_key_file)")
	identity := fs.String("identity", "", "the agent's identity (subject and name) as rules see it")
	recordPath := fs.String("record", "", "append the session record to this file, JSON Lines (config: record.file.path)")
	signingKey := fs.String("signing-key-file", "", "Ed25519 private key that signs the record's checkpoints, from airlock keygen (config: record.signing_key_file)")
	hmacKey := fs.String("hmac-key-file", "", "key of the HMACs that replace secrets in the record, from airlock keygen (config: record.hmac_key_file)")
	target := fs.String("target", "", "name of the upstream server in records (default: the command)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: airlock mcp [--config FILE] [--rules FILE] [--identity NAME] [--record FILE] [--signing-key-file FILE] [--hmac-key-file FILE] -- <server command...>")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	server := fs.Args()
	if len(server) == 0 {
		fmt.Fprintln(stderr, "airlock mcp: missing the server command after --")
		fs.Usage()
		return 2
	}

	cfg := &serveConfig{}
	if *configPath != "" {
		var err error
		if cfg, err = parseServeConfig(*configPath, []string{"rules", "record"}); err != nil {
			fmt.Fprintf(stderr, "airlock mcp: %v\n", err)
			return 1
		}
		if cfg.Rules.Postgres != "" {
			fmt.Fprintf(stderr, "airlock mcp: %s: rules.postgres is not supported by airlock mcp; use rules.file\n", *configPath)
			return 1
		}
	}
	if *rulesPath != "" {
		cfg.Rules.File = *rulesPath
	}
	if *maskKey != "" {
		cfg.Rules.MaskHashKeyFile = *maskKey
	}
	if *recordPath != "" {
		cfg.Record.File = &recordFileConfig{Path: *recordPath}
	}
	if *signingKey != "" {
		cfg.Record.SigningKeyFile = *signingKey
	}
	if *hmacKey != "" {
		cfg.Record.HMACKeyFile = *hmacKey
	}
	recording := cfg.Record.File != nil || cfg.Record.Postgres != ""
	if !recording && (cfg.Record.SigningKeyFile != "" || cfg.Record.HMACKeyFile != "") {
		fmt.Fprintln(stderr, "airlock mcp: record keys without a record: add --record FILE")
		return 2
	}
	if cfg.Record.File != nil && cfg.Record.File.Path == "" {
		fmt.Fprintln(stderr, "airlock mcp: record.file.path: required")
		return 2
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	log := hclog.New(&hclog.LoggerOptions{Name: "airlock", Output: stderr, Level: hclog.Warn})
	opts, err := ruleOptions(cfg)
	if err != nil {
		fmt.Fprintf(stderr, "airlock mcp: %v\n", err)
		return 1
	}
	var rules *gate.RuleSet
	if cfg.Rules.File != "" {
		if rules, err = gate.LoadRules(cfg.Rules.File, opts...); err != nil {
			fmt.Fprintf(stderr, "airlock mcp: %v\n", err)
			return 1
		}
	} else {
		fmt.Fprintln(stderr, "airlock mcp: no --rules: every request will be denied")
	}
	gcfg := gate.Config{Rules: rules, Logger: log}
	if recording {
		rec, err := openRecorder(ctx, cfg)
		if err != nil {
			fmt.Fprintf(stderr, "airlock mcp: %v\n", err)
			return 1
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
	}
	if *target == "" {
		*target = server[0]
	}
	g := gate.New(gcfg)
	if rules != nil {
		go g.WatchRules(ctx, cfg.Rules.File, cfg.Rules.Reload, opts...)
	}
	gw, err := mcpgate.New(mcpgate.Config{
		Gate:          g,
		Upstream:      mcpgate.Command(stderr, nil, server[0], server[1:]...),
		Target:        *target,
		Authenticator: gate.StaticIdentity(gate.Identity{Subject: *identity, Name: *identity, Kind: gate.KindAgent}),
		Logger:        log,
	})
	if err != nil {
		fmt.Fprintf(stderr, "airlock mcp: %v\n", err)
		return 1
	}
	defer gw.Close()
	if err := gw.ServeStdio(ctx, stdin, stdout); err != nil {
		fmt.Fprintf(stderr, "airlock mcp: %v\n", err)
		return 1
	}
	return 0
}
