package gate

import "testing"

// TestGuardsMoreThan: a reading guards more when a rule (not the default)
// chose a stricter action, or when it masks what the sent form does not.
func TestGuardsMoreThan(t *testing.T) {
	allow := &Decision{Action: Allow, Rule: "reads", Mask: []string{"pii"}}
	for _, tc := range []struct {
		d        *Decision
		mask     string
		stricter bool
	}{
		{&Decision{Action: Allow, Rule: "reads", Mask: []string{"pii"}}, "", false},
		{&Decision{Action: Deny, Rule: "default"}, "", false},
		{&Decision{Action: Review, Rule: "refunds"}, "", true},
		{&Decision{Action: Deny, Rule: "admin"}, "", true},
		{&Decision{Action: Allow, Rule: "reads", Mask: []string{"pii", "secrets"}}, "secrets", true},
		{&Decision{Action: Allow, Rule: "reads"}, "", false},
	} {
		m, ok := tc.d.GuardsMoreThan(allow)
		if m != tc.mask || ok != tc.stricter {
			t.Errorf("%+v: got %q %v, want %q %v", tc.d, m, ok, tc.mask, tc.stricter)
		}
	}
}
