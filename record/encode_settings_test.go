package record

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"testing"
)

// Settings maps of changing names, sizes and values, written one after
// the other (so that the remembered order is reused, and must be dropped
// when the names change), are written as encoding/json writes them.
func TestAppendSettingsIsEncodingJSON(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	names := []string{"datestyle", "timezone", "search_path", "role", "a", "b\"", "é", "\xff", "lc_time", "zz"}
	for i := range 20000 {
		m := map[string]string{}
		n := r.IntN(len(names) + 1)
		if i%3 == 0 {
			n = len(names) // the same names often, as a gateway sends them
		}
		for _, k := range r.Perm(len(names))[:n] {
			m[names[k]] = fmt.Sprint(r.IntN(3), "<\u2028>")
		}
		want, _ := json.Marshal(m)
		if got := appendSettings(nil, m); string(got) != string(want) {
			t.Fatalf("appendSettings(%q) = %s, want %s", m, got, want)
		}
	}
}
