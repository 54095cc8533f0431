package sshgate

import (
	"strings"
	"testing"
	"time"

	"github.com/airlock-sdk/airlock/gate"
	"golang.org/x/crypto/ssh"
)

func TestNewValidatesConfig(t *testing.T) {
	k := newKey(t, t.TempDir(), "k")
	g := gate.New(gate.Config{})
	full := Config{
		Gate: g, HostKeys: []ssh.Signer{k.signer}, Authenticator: &AuthorizedKeys{},
		Upstream: Upstream{Addr: "127.0.0.1:22", Signer: k.signer, HostKeyCallback: ssh.FixedHostKey(k.signer.PublicKey())},
	}
	if _, err := New(full); err != nil {
		t.Fatal(err)
	}
	for field, change := range map[string]func(*Config){
		"Gate":                     func(c *Config) { c.Gate = nil },
		"HostKeys":                 func(c *Config) { c.HostKeys = nil },
		"HostKeys[0]":              func(c *Config) { c.HostKeys = []ssh.Signer{nil} },
		"Authenticator":            func(c *Config) { c.Authenticator = nil },
		"Upstream.Addr":            func(c *Config) { c.Upstream.Addr = "" },
		"Upstream.Signer":          func(c *Config) { c.Upstream.Signer = nil },
		"Upstream.HostKeyCallback": func(c *Config) { c.Upstream.HostKeyCallback = nil },
	} {
		cfg := full
		change(&cfg)
		_, err := New(cfg)
		if err == nil || !strings.Contains(err.Error(), "Config."+field+" ") {
			t.Errorf("%s missing: %v", field, err)
		}
	}
}

// TestCloseEndsSessions: Close stops accepting, ends the open connections
// and their sessions are closed in the record.
func TestCloseEndsSessions(t *testing.T) {
	t.Parallel()
	g := startTestGateway(t)
	_, s := g.goSession(t)
	if err := s.Start("sleep 30"); err != nil {
		t.Fatal(err)
	}
	closed := make(chan error, 1)
	go func() { closed <- g.proxy.Close() }()
	select {
	case err := <-closed:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Close did not return")
	}
	if err := s.Wait(); err == nil {
		t.Fatal("the command ended normally although the proxy closed")
	}
	if len(g.events(gate.EventSessionEnd)) != 1 {
		t.Fatalf("session ends recorded: %d", len(g.events(gate.EventSessionEnd)))
	}
	if c, err := ssh.Dial("tcp", g.addr, &ssh.ClientConfig{User: "root", Auth: []ssh.AuthMethod{ssh.PublicKeys(g.agent.signer)},
		HostKeyCallback: ssh.InsecureIgnoreHostKey(), Timeout: 2 * time.Second}); err == nil {
		c.Close()
		t.Fatal("a closed proxy accepted a connection")
	}
}
