package sshgate

import (
	"testing"
	"time"

	"github.com/airlock-sdk/airlock/gate"
)

// TestFailedLoginIsRecorded: a real ssh client with a key the gateway does
// not know is refused, and the record says who it claimed to be and why.
func TestFailedLoginIsRecorded(t *testing.T) {
	// The client is refused before any upstream is dialled: no sshd is
	// needed behind the gateway.
	k := newKey(t, t.TempDir(), "upstream")
	up := &sshd{addr: "127.0.0.1:1", hostKey: k.signer.PublicKey(), userKey: k, user: "nobody"}
	g := startGateway(t, up, testRules)
	stranger := newKey(t, t.TempDir(), "stranger")
	res := g.ssh(stranger, []string{"-l", "mallory"}, "id")
	if res.code == 0 {
		t.Fatalf("a stranger logged in: %+v", res)
	}
	// The gateway records once it sees the client go, a moment after the
	// client's own exit.
	var refused []gate.Event
	for deadline := time.Now().Add(5 * time.Second); len(refused) == 0 && time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		refused = g.events(gate.EventRefused)
	}
	if len(refused) != 1 {
		t.Fatalf("want one refusal recorded, got %+v", refused)
	}
	e := refused[0]
	if e.Identity == nil || e.Identity.Subject != "mallory" || e.Session == nil || e.Session.Protocol != gate.ProtocolSSH ||
		e.Session.ClientAddr == "" || e.Error == "" {
		t.Fatalf("refusal event %+v %+v", e, e.Session)
	}
	t.Logf("recorded: %s claimed %q from %s: %s", e.Kind, e.Identity.Subject, e.Session.ClientAddr, e.Error)
}
