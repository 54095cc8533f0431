package coerce

import (
	"fmt"
	"slices"
	"testing"

	"github.com/airlock-sdk/airlock/gate"
)

// TestComparedTypes: the types of the constants rules compare a
// name with are found however the rules compare it (==, <, in a list
// literal, a constant in a list the name holds, through a comprehension
// variable or an index), and a type test is no comparison.
func TestComparedTypes(t *testing.T) {
	for _, c := range []struct {
		when string
		want map[string][]string
	}{
		{`http.body.transfer.to == 9`, map[string][]string{"to": {"int"}}},
		{`has(http.body.a) && 1000.0 < http.body.a`, map[string][]string{"a": {"double"}}},
		{`http.body.user.role in ["admin", "owner"]`, map[string][]string{"role": {"string"}}},
		{`9 in http.body.ids`, map[string][]string{"ids": {"int"}}},
		{`http.body.ids.exists(i, i == 9)`, map[string][]string{"ids": {"int"}}},
		{`http.body.items.exists(i, i.account == 9 || i.force == true)`, map[string][]string{"account": {"int"}, "force": {"bool"}}},
		{`http.body["to"] == "9" || http.query.id[0] == "1"`, map[string][]string{"to": {"string"}, "id": {"string"}}},
		{`type(http.body.to) == int`, map[string][]string{}},
	} {
		rs, err := gate.ParseRules("t.yaml", []byte(fmt.Sprintf("default: allow\nrules:\n  - name: r\n    when: '%s'\n    action: deny\n", c.when)))
		if err != nil {
			t.Fatalf("%s: %v", c.when, err)
		}
		got := ComparedTypes(rs, func([]string) bool { return true })
		if len(got) != len(c.want) {
			t.Errorf("%s: got %v, want %v", c.when, got, c.want)
			continue
		}
		for k, v := range c.want {
			if !slices.Equal(got[k], v) {
				t.Errorf("%s: got %v, want %v", c.when, got, c.want)
			}
		}
	}
}
