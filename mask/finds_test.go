package mask

import (
	"strings"
	"testing"
)

// findsDoc is a JSON response of about 900 bytes without a secret.
var findsDoc = []byte(`{"items":[` + strings.Repeat(`{"id":12345,"name":"widget","price":9.99,"tags":["a","b"]},`, 15) + `{"id":0}]}`)

func TestFindsAgreesWithValue(t *testing.T) {
	p := (*Policy)(nil).WithSecrets([]string{"Bearer upstream-secret-abcdef", "upstream-secret-abcdef"})
	for _, s := range []string{
		string(findsDoc), "", "upstream-secret-abcdef", "x UPSTREAM-secret-ABCDEF y", "upstream%2Dsecret-abcdef",
		"upstream-<b>secret</b>-abcdef", "&#117;pstream-secret-abcdef", `\u0075pstream-secret-abcdef`,
		"dXBzdHJlYW0tc2VjcmV0LWFiY2RlZg", "upstream-secret-abcde", "upstream secret abcdef", "&#x0000000000075;pstream-secret-abcdef",
	} {
		v, _, err := p.Value("", s)
		if got, want := p.Finds([]byte(s)), err != nil || v != s; got != want {
			t.Errorf("Finds(%q) = %v, Value changes it or fails: %v", s, got, want)
		}
	}
	if (*Policy)(nil).Finds([]byte("anything")) {
		t.Error("a nil Policy finds something")
	}
}

func BenchmarkFindsSecrets(b *testing.B) {
	p := (*Policy)(nil).WithSecrets([]string{"Bearer upstream-secret-abcdef", "upstream-secret-abcdef"})
	b.SetBytes(int64(len(findsDoc)))
	for b.Loop() {
		if p.Finds(findsDoc) {
			b.Fatal("found a secret in a clean document")
		}
	}
}
