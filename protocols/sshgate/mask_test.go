package sshgate

import (
	"bytes"
	"strings"
	"testing"

	"github.com/airlock-sdk/airlock/gate"
)

// TestMaskAcrossChunks prints an e-mail address in pieces, with pauses so
// the pieces travel in separate SSH packets; the client must only ever see
// it masked, and the record must hold the masked form.
func TestMaskAcrossChunks(t *testing.T) {
	t.Parallel()
	g := startTestGateway(t)
	const cmd = "echo mask; printf 'contact: alice.sm'; sleep 0.3; printf 'ith@exam'; sleep 0.3; printf 'ple.com\\n'; " +
		"printf 'err bob@exa' >&2; sleep 0.3; printf 'mple.org\\n' >&2"
	r := g.ssh(g.agent, nil, cmd)
	if r.code != 0 {
		t.Fatalf("exec: %+v", r)
	}
	for _, leak := range []string{"alice.smith@example.com", "bob@example.org", "example.com", "example.org"} {
		if strings.Contains(r.stdout+r.stderr, leak) {
			t.Fatalf("unmasked %q reached the client: %+v", leak, r)
		}
	}
	// stderr may begin with what the account's shell start-up prints
	// (pyenv's "cannot rehash" when sessions start at once): look for the
	// command's own line.
	if !strings.HasPrefix(r.stdout, "mask\ncontact: ") || !strings.Contains(r.stderr, "err ") {
		t.Fatalf("output: %+v", r)
	}
	var rec bytes.Buffer
	found := 0
	for _, e := range g.events(gate.EventOutput) {
		if e.Output.Stream == "stdout" {
			rec.Write(e.Output.Data)
		}
		for _, f := range e.Output.Findings {
			found += f.Count
		}
	}
	if found != 2 {
		t.Errorf("findings recorded: %d, want 2", found)
	}
	if strings.Contains(rec.String(), "example.com") || !strings.Contains(rec.String(), r.stdout) {
		t.Fatalf("record %q, client %q", rec.String(), r.stdout)
	}
}
