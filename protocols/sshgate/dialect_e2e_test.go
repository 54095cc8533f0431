package sshgate

import (
	"strings"
	"testing"
)

// dialectEvasions are command lines the analyser once read as one
// harmless command where the shell that runs them sees rm: quoting only
// bash has (dash runs /bin/sh -c), and bytes the parser lexed unlike the
// shells (backslash-CR-LF, a comment continued by a backslash). V is the
// victim directory.
var dialectEvasions = []string{
	`sh -c "cat \$'a\\' ; rm -f V/f ; cat '\\'"`,
	`dash -c "cat \$'a\\' ; rm -f V/f ; cat '\\'"`,
	`env sh -c "cat \$'a\\' ; rm -f V/f ; cat '\\'"`,
	`cat $'a\' ; rm -f V/f ; cat '\'`,
	"cat V/f \\\r\nrm -f V/f",
	"cat V/f # \\\r\nrm -f V/f",
	"cat V/f # \\\nrm -f V/f",
}

// TestDialectEvasionsRefused runs each evasion through the gateway to a
// real sshd under the read-only and the deny-list policies: it must be
// refused and the victim file must survive. Under allow-all (the control)
// the same lines do remove it, so the probe is live.
func TestDialectEvasionsRefused(t *testing.T) {
	t.Parallel()
	up := startSSHD(t)
	probe := newEffectProbe(t)
	for _, pol := range []struct{ name, rules string }{{"read-only", readOnlyRules}, {"deny-list", denyListRules}} {
		g := startGateway(t, up, pol.rules)
		victims := make([]string, len(dialectEvasions))
		for i := range dialectEvasions {
			victims[i] = probe.victim(pol.name + "-" + string(rune('a'+i)))
		}
		eachConcurrently(len(dialectEvasions), 4, func(i int) {
			v := victims[i]
			cmd := strings.ReplaceAll(dialectEvasions[i], "V", v)
			r := g.ssh(g.agent, nil, cmd)
			if d := probe.damaged(v); d != "" || r.code == 0 {
				t.Errorf("%s: %q exit %d, damage: %q", pol.name, cmd, r.code, d)
			}
		})
	}
	g := startGateway(t, up, allowAllRules)
	v := probe.victim("control")
	if g.ssh(g.agent, nil, strings.ReplaceAll(dialectEvasions[0], "V", v)); probe.damaged(v) == "" {
		t.Errorf("control: the sh -c evasion left the file: the probe is not live")
	}
}
