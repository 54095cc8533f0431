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
	"github.com/airlock-sdk/airlock/protocols/tool/mcp"
	"github.com/airlock-sdk/airlock/record"
)

// cmdMCP runs the MCP gateway over stdio: the agent starts
//
//	airlock mcp [--rules FILE] [--identity NAME] [--record FILE] -- <server command...>
//
// instead of the MCP server. The gateway spawns and supervises the server,
// judges, masks and records every request, and exits when either side ends
// (1 when the server died). Nothing but MCP is written to stdout; logs go to
// stderr.
func cmdMCP(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("mcp", flag.ContinueOnError)
	fs.SetOutput(stderr)
	rulesPath := fs.String("rules", "", "rule file (YAML); without it every request is denied")
	identity := fs.String("identity", "", "the agent's identity (subject and name) as rules see it")
	recordPath := fs.String("record", "", "append the session record to this file (JSON Lines)")
	target := fs.String("target", "", "name of the upstream server in records (default: the command)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: airlock mcp [--rules FILE] [--identity NAME] [--record FILE] -- <server command...>")
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

	var rules *gate.RuleSet
	if *rulesPath != "" {
		var err error
		if rules, err = gate.LoadRules(*rulesPath); err != nil {
			fmt.Fprintf(stderr, "airlock mcp: %v\n", err)
			return 1
		}
	} else {
		fmt.Fprintln(stderr, "airlock mcp: no --rules: every request will be denied")
	}
	cfg := gate.Config{Rules: rules, Logger: hclog.New(&hclog.LoggerOptions{Name: "airlock", Output: stderr, Level: hclog.Warn})}
	if *recordPath != "" {
		sink, err := record.OpenFile(*recordPath, record.FileOptions{})
		if err != nil {
			fmt.Fprintf(stderr, "airlock mcp: record: %v\n", err)
			return 1
		}
		rec := record.New(sink, record.Options{})
		defer func() {
			if err := rec.Close(); err != nil {
				fmt.Fprintf(stderr, "airlock mcp: record: %v\n", err)
			}
		}()
		cfg.Recorder = rec
	}
	if *target == "" {
		*target = server[0]
	}
	gw, err := mcp.New(mcp.Config{
		Gate:     gate.New(cfg),
		Upstream: mcp.Command(stderr, nil, server[0], server[1:]...),
		Target:   *target,
		Identity: gate.Identity{Subject: *identity, Name: *identity, Kind: gate.KindAgent},
		Logger:   cfg.Logger,
	})
	if err != nil {
		fmt.Fprintf(stderr, "airlock mcp: %v\n", err)
		return 1
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := gw.ServeStdio(ctx, stdin, stdout); err != nil {
		fmt.Fprintf(stderr, "airlock mcp: %v\n", err)
		return 1
	}
	return 0
}
