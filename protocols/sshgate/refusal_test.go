package sshgate

import (
	"strings"
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

// TestParseRefusalIsADecision: a command line that does not parse is
// refused before the rules as a recorded deny decision "ssh/parse", and
// rules see it in session.denied.
func TestParseRefusalIsADecision(t *testing.T) {
	t.Parallel()
	up := startSSHD(t)
	g := startGateway(t, up, testRules+`
  - name: stop-a-prober
    when: session.denied >= 1
    action: deny
    reason: this session keeps getting refused
`)
	cl := g.goClient(t, g.agent)
	defer cl.Close()
	runOn := func(cmd string) (string, error) {
		s, err := cl.NewSession()
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		out, err := s.CombinedOutput(cmd)
		return string(out), err
	}
	out, err := runOn("echo 'unterminated")
	if err == nil || !strings.Contains(out, "airlock:") {
		t.Fatalf("unparsable command: %q %v", out, err)
	}
	var parse []gate.Event
	for _, e := range g.events(gate.EventDecision) {
		if e.Decision.Rule == "ssh/parse" {
			parse = append(parse, e)
		}
	}
	if len(parse) != 1 || parse[0].Decision.Action != gate.Deny || parse[0].Request.Command != "echo 'unterminated" ||
		parse[0].Request.SSH == nil || parse[0].Request.SSH.Kind != "exec" {
		t.Fatalf("parse refusals recorded: %+v", parse)
	}
	out, err = runOn("echo fine")
	if err == nil || !strings.Contains(out, "stop-a-prober") {
		t.Fatalf("the refusal was not counted in session.denied: %q %v", out, err)
	}
}
