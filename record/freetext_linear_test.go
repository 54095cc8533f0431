package record

import (
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/airlock-sdk/airlock/mask"
)

// TestFreeTextLinear: every rule of the free-text search, over texts of
// 120 KB made of one of its triggers (or a near miss) repeated, with and
// without a value after, in JSON mode and not, ends in well under the
// time a search quadratic in such a run takes (minutes; "sshpass -p"
// took 7 s for 24 KB), and takes values whose sizes add up to a few
// times the text (taking every value nested in "key=key=…" kept
// gigabytes). Each unit is a
// piece of some rule's trigger: names and separators of assignments and
// options, URL user information, token prefixes, PEM headers,
// authorization schemes, SQL password keywords, mysql -p.
func TestFreeTextLinear(t *testing.T) {
	units := []string{
		"a--", "--", "-", "a=", "=", "a:", ":", "key=", "password=", "password:", "token ", "a_b.c-",
		"://", "://a", "://a:", "a:b@", "x://u:p", "Bearer ", "bearer", "Basic ", "basic x",
		"password ", "PASSWORD '", "identified by ", "mysql -p", "mysql ", "-p", "sshpass -p",
		"eyJ", "eyJa.", "ghp_", "sk-", "AKIA", "xoxb-", "-----BEGIN ", "-----BEGIN PRIVATE KEY-----\n",
		"\"a\":", "\\\"", "'", "\"", "$", "a ", "\n",
	}
	tails := []string{"", " value1234", "=value1234", ":value1234", "'value1234'"}
	names := mask.CompileSecretNames(nil)
	for _, f := range []freeText{{names: names, filter: newNameFilter(nil)}, {names: names, filter: newNameFilter(nil), json: true}} {
		for _, unit := range units {
			for _, tail := range tails {
				b := []byte(strings.Repeat(unit, 120_000/len(unit)) + tail)
				start := time.Now()
				found := append(f.scan(nil, b), f.scanLower(nil, b, appendLower(nil, b))...)
				if d := time.Since(start); d > 5*time.Second {
					t.Errorf("%q ×%d then %q (json %v): the search took %v", unit, 120_000/len(unit), tail, f.json, d)
				}
				size := 0
				for _, v := range found {
					size += len(v)
				}
				if size > 2*(maxNestedValues+2)*len(b) {
					t.Errorf("%q ×%d then %q (json %v): %d values found, %d bytes", unit, 120_000/len(unit), tail, f.json, len(found), size)
				}
			}
		}
	}
}

// TestValueReaderIsValue: over generated texts of quotes, backslashes,
// separators and letters, valueReader.value reads what value reads at
// every position, asked in increasing order and at random.
func TestValueReaderIsValue(t *testing.T) {
	const alphabet = "ab=:'\"`\\\n ;,{}-"
	rng := rand.New(rand.NewPCG(3, 5))
	for range 3000 {
		b := make([]byte, rng.IntN(60))
		for i := range b {
			b[i] = alphabet[rng.IntN(len(alphabet))]
		}
		for _, ordered := range []bool{true, false} {
			r := valueReader{t: b}
			for k := range len(b) + 1 {
				i := k
				if !ordered {
					i = rng.IntN(len(b) + 1)
				}
				got, gq := r.value(b, i)
				want, wq := value(b, i)
				if string(got) != string(want) || gq != wq {
					t.Fatalf("at %d of %q: reader %q (quoted %v), value %q (%v)", i, b, got, gq, want, wq)
				}
			}
		}
	}
}

// TestNestedAssignmentsBounded: a text of n nested assignments
// ("key=key=…=v") gives every one of its values up to maxNestedValues,
// and that many past it.
func TestNestedAssignmentsBounded(t *testing.T) {
	f := freeText{names: mask.CompileSecretNames(nil), filter: newNameFilter(nil)}
	for n := 1; n <= 3*maxNestedValues; n++ {
		text := strings.Repeat("key=", n) + "hunter2value"
		got := f.scanAssignments(nil, []byte(text), '=')
		want := min(n, maxNestedValues)
		if len(got) != want || got[0] != text[4:] || got[len(got)-1] != text[4*want:] {
			t.Fatalf("%d nested: found %d values %q, want the %d longest", n, len(got), got, want)
		}
	}
}
