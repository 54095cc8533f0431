package gate_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/airlock-sdk/airlock/gate"
)

// TestDecisionListsGenerated compares the Rules, Mask and Labels of
// decisions over generated rule sets with the plain union of the matching
// rules' lists, in rule order, computed here: the lists a decision builds
// in preallocated room must equal it, nil when empty, and appending to one
// decision's lists must not change another's nor the rules'.
func TestDecisionListsGenerated(t *testing.T) {
	masks := []string{"credit_card", "email", "iban", "us_ssn", "phone", "ipv4"}
	labels := []string{"pii", "finance", "hr"}
	rng := rand.New(rand.NewPCG(19, 4))
	ctx := context.Background()
	for round := range 400 {
		type spec struct {
			name, when   string
			mask, labels []string
		}
		var specs []spec
		var b strings.Builder
		b.WriteString("default: allow\nrules:\n")
		for i := range 1 + rng.IntN(12) {
			s := spec{name: fmt.Sprintf("r%d", i)}
			switch rng.IntN(3) {
			case 0:
				s.when = "true"
			case 1:
				s.when = "false"
			default:
				s.when = `request.command == "x"`
			}
			for range rng.IntN(5) {
				s.mask = append(s.mask, masks[rng.IntN(len(masks))])
			}
			for range rng.IntN(3) {
				s.labels = append(s.labels, labels[rng.IntN(len(labels))])
			}
			if len(s.mask) == 0 && len(s.labels) == 0 {
				s.mask = []string{masks[rng.IntN(len(masks))]}
			}
			specs = append(specs, s)
			fmt.Fprintf(&b, "  - name: %s\n    when: '%s'\n", s.name, s.when)
			if len(s.mask) > 0 {
				fmt.Fprintf(&b, "    mask: [%s]\n", strings.Join(s.mask, ", "))
			}
			if len(s.labels) > 0 {
				fmt.Fprintf(&b, "    labels: [%s]\n", strings.Join(s.labels, ", "))
			}
		}
		rs, err := gate.ParseRules("gen.yaml", []byte(b.String()))
		if err != nil {
			t.Fatalf("round %d: %v\n%s", round, err, b.String())
		}
		var seen []*gate.Decision
		var want [][3][]string
		for _, cmd := range []string{"x", "y", "x"} {
			var rules, mask, labs []string
			for _, s := range specs {
				if s.when == "true" || s.when != "false" && cmd == "x" {
					rules = append(rules, s.name)
					for _, m := range s.mask {
						if !slices.Contains(mask, m) {
							mask = append(mask, m)
						}
					}
					for _, l := range s.labels {
						if !slices.Contains(labs, l) {
							labs = append(labs, l)
						}
					}
				}
			}
			req := benchRequest()
			req.Command = cmd
			d := rs.Decide(ctx, req)
			got := [3][]string{d.Rules, d.Mask, d.Labels}
			w := [3][]string{rules, mask, labs}
			if !reflect.DeepEqual(got, w) {
				t.Fatalf("round %d, command %q: got rules/mask/labels %q, want %q\n%s", round, cmd, got, w, b.String())
			}
			// Appending to this decision's lists must reach nothing else.
			d.Rules = append(d.Rules, "extra")
			d.Mask = append(d.Mask, "extra")
			d.Labels = append(d.Labels, "extra")
			seen = append(seen, d)
			want = append(want, [3][]string{append(slices.Clone(rules), "extra"), append(slices.Clone(mask), "extra"), append(slices.Clone(labs), "extra")})
		}
		for i, d := range seen {
			if got := [3][]string{d.Rules, d.Mask, d.Labels}; !reflect.DeepEqual(got, want[i]) {
				t.Fatalf("round %d, decision %d changed by another: got %q, want %q", round, i, got, want[i])
			}
		}
	}
}
