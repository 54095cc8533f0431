package main

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"sync"
	"testing"

	"github.com/airlock-sdk/airlock/gate"
	"github.com/stretchr/testify/require"
)

// The toy protocol gets rules, masking and the record from one Conn.
func TestLineGateway(t *testing.T) {
	rules, err := gate.ParseRules("rules.yaml", defaultRules)
	require.NoError(t, err)
	var (
		mu     sync.Mutex
		events []gate.Event
	)
	g := gate.New(gate.Config{Rules: rules, Recorder: gate.RecorderFunc(func(_ context.Context, e gate.Event) error {
		mu.Lock()
		defer mu.Unlock()
		events = append(events, e)
		return nil
	})})
	up := &store{kv: map[string]string{"card": "4111 1111 1111 1111"}}
	gw := &Gateway{Hub: g, Authenticator: gate.Tokens(map[string]gate.Identity{"tok": {Subject: "agent"}}), Upstream: up.answer}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- gw.Serve(ctx, ln) }()

	nc, err := net.Dial("tcp", ln.Addr().String())
	require.NoError(t, err)
	in := bufio.NewReader(nc)
	say := func(line string) string {
		_, err := fmt.Fprintln(nc, line)
		require.NoError(t, err)
		reply, err := in.ReadString('\n')
		require.NoError(t, err)
		return reply
	}
	require.Equal(t, "OK\n", say("AUTH tok"))
	require.Equal(t, "[CREDIT_CARD]\n", say("GET card"), "masked")
	require.Contains(t, say("SET card 0"), `denied by rule "no-writes"`)
	require.Equal(t, "[CREDIT_CARD]\n", say("GET card"), "the write never reached the store")
	nc.Close()

	// A wrong token is refused before any session, and recorded.
	bad, err := net.Dial("tcp", ln.Addr().String())
	require.NoError(t, err)
	fmt.Fprintln(bad, "AUTH nope")
	reply, err := bufio.NewReader(bad).ReadString('\n')
	require.NoError(t, err)
	require.Equal(t, "ERR authentication failed\n", reply)
	bad.Close()
	cancel()
	<-done

	var outputs, decisions, refused int
	for _, e := range events {
		switch e.Kind {
		case gate.EventRefused:
			refused++
		case gate.EventOutput:
			outputs++
			require.NotContains(t, string(e.Output.Data), "4111", "the record holds what the client saw")
		case gate.EventDecision:
			decisions++
		}
	}
	require.Equal(t, 3, decisions)
	require.Equal(t, 2, outputs)
	require.Equal(t, 1, refused)
}
