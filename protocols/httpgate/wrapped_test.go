package httpgate

import (
	"fmt"
	"slices"
	"testing"

	"github.com/airlock-sdk/airlock/gate"
)

// TestCollectWrapped: the names rules read only below another name of a
// JSON body are found however the rules reach them (selection, has(),
// index, "in"), and a name also read at the top is not wrapped.
func TestCollectWrapped(t *testing.T) {
	for _, c := range []struct {
		when string
		want map[string][]string
	}{
		{`has(http.body.user) && has(http.body.user.role) && http.body.user.role == "admin"`, map[string][]string{"user": {"role"}}},
		{`http.body["user"]["role"] == "admin"`, map[string][]string{"user": {"role"}}},
		{`"role" in http.body.user`, map[string][]string{"user": {"role"}}},
		{`http.body.user.role == "admin" || http.body.role == "admin"`, map[string][]string{}},
		{`http.body.items.exists(i, i.amount > 5)`, map[string][]string{}},
		{`http.query.user[0] == "x"`, map[string][]string{}},
	} {
		rs, err := gate.ParseRules("w.yaml", []byte(fmt.Sprintf("default: allow\nrules:\n  - name: r\n    when: '%s'\n    action: deny\n", c.when)))
		if err != nil {
			t.Fatalf("%s: %v", c.when, err)
		}
		got := collectWrapped(rs)
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
