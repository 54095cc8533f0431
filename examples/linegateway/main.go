// Command linegateway shows what adding a protocol to Airlock takes: the
// wire handling of a toy line protocol (a key-value store that answers
// "GET key" and "SET key value", one line each way) and one gate.Conn per
// client. Everything else — rules, reviews, masking, bounds, recording, the
// failure policy — is the gate's.
//
//	AGENT_TOKEN=... linegateway -listen 127.0.0.1:7000 -rules rules.yaml -record line.jsonl
//	printf 'AUTH %s\nGET card\nSET card 0\n' "$AGENT_TOKEN" | nc 127.0.0.1 7000
package main

import (
	"bufio"
	"context"
	_ "embed"
	"errors"
	"flag"
	"fmt"
	"net"
	"os"
	"os/signal"
	"strings"
	"sync"
	"syscall"

	"github.com/airlock-sdk/airlock/approval"
	"github.com/airlock-sdk/airlock/gate"
	"github.com/airlock-sdk/airlock/record"
)

//go:embed rules.yaml
var defaultRules []byte

// Protocol names the toy protocol in sessions and rules (request.protocol).
const Protocol = "line"

// Gateway gates one line-protocol upstream.
type Gateway struct {
	Hub           gate.Hub
	Authenticator gate.Authenticator
	// Upstream answers one line with one line.
	Upstream func(line string) string
}

// Serve accepts clients until ctx ends.
func (gw *Gateway) Serve(ctx context.Context, ln net.Listener) error {
	go func() { <-ctx.Done(); ln.Close() }()
	var wg sync.WaitGroup
	defer wg.Wait()
	for {
		nc, err := ln.Accept()
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return err
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer nc.Close()
			gw.session(ctx, nc)
		}()
	}
}

// session is the whole protocol: authenticate, then judge each line.
func (gw *Gateway) session(ctx context.Context, nc net.Conn) {
	in := bufio.NewScanner(nc)
	if !in.Scan() {
		return
	}
	token, ok := strings.CutPrefix(in.Text(), "AUTH ")
	id, err := gw.Authenticator.Authenticate(ctx, gate.Credential{Protocol: Protocol, ClientAddr: nc.RemoteAddr().String(), Token: token})
	if !ok || err != nil {
		_ = gw.Hub.RecordRefusal(ctx, gate.Refusal{Protocol: Protocol, ClientAddr: nc.RemoteAddr().String(), Reason: "authentication failed"})
		fmt.Fprintln(nc, "ERR authentication failed")
		return
	}
	conn, err := gw.Hub.Open(ctx, gate.Session{Protocol: Protocol, Target: "kv", Identity: id, ClientAddr: nc.RemoteAddr().String()})
	if err != nil {
		fmt.Fprintln(nc, "ERR the session could not be recorded")
		return
	}
	defer conn.Close(ctx, "client closed")
	fmt.Fprintln(nc, "OK")
	for in.Scan() {
		line := in.Text()
		verb, key, _ := strings.Cut(line, " ")
		key, _, _ = strings.Cut(key, " ")
		req := &gate.Request{Command: line, Payload: []byte(line),
			Tool: &gate.ToolCall{Kind: "call", Name: strings.ToUpper(verb), Args: map[string]any{"key": key}}}
		d, err := conn.Check(ctx, req)
		if err != nil {
			fmt.Fprintln(nc, "ERR "+err.Error())
			continue
		}
		out := conn.Output(d, "reply", nc, gate.OutputOptions{})
		_, werr := fmt.Fprintln(out, gw.Upstream(line))
		if err := errors.Join(werr, out.Close()); err != nil {
			return // not recorded, or not masked: nothing more reaches the client
		}
	}
}

// store is the toy upstream.
type store struct {
	mu sync.Mutex
	kv map[string]string
}

func (s *store) answer(line string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	f := strings.Fields(line)
	switch {
	case len(f) == 2 && strings.EqualFold(f[0], "GET"):
		return s.kv[f[1]]
	case len(f) == 3 && strings.EqualFold(f[0], "SET"):
		s.kv[f[1]] = f[2]
		return "OK"
	}
	return "ERR unknown command"
}

func main() {
	listen := flag.String("listen", "127.0.0.1:7000", "address to listen on")
	rulesPath := flag.String("rules", "", "rule file (default: the embedded rules.yaml)")
	recordPath := flag.String("record", "line.jsonl", "record file")
	flag.Parse()
	if err := run(*listen, *rulesPath, *recordPath); err != nil {
		fmt.Fprintln(os.Stderr, "linegateway:", err)
		os.Exit(1)
	}
}

func run(listen, rulesPath, recordPath string) error {
	rules, err := gate.ParseRules("rules.yaml", defaultRules)
	if rulesPath != "" {
		rules, err = gate.LoadRules(rulesPath)
	}
	if err != nil {
		return err
	}
	sink, err := record.OpenFile(recordPath, record.FileOptions{})
	if err != nil {
		return err
	}
	rec := record.New(sink, record.Options{})
	defer rec.Close()
	token := os.Getenv("AGENT_TOKEN")
	if token == "" {
		return errors.New("set AGENT_TOKEN")
	}
	g := gate.New(gate.Config{Rules: rules, Approver: &approval.Memory{}, Recorder: rec})
	gw := &Gateway{Hub: g, Authenticator: gate.Tokens(map[string]gate.Identity{token: {Subject: "agent", Kind: gate.KindAgent}}),
		Upstream: (&store{kv: map[string]string{"card": "4111 1111 1111 1111"}}).answer}
	ln, err := net.Listen("tcp", listen)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := gw.Serve(ctx, ln); !errors.Is(err, context.Canceled) {
		return err
	}
	return nil
}
