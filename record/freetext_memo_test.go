package record

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/airlock-sdk/airlock/mask"
)

// The memo of names ruled out changes no finding: every text's assignments
// found with it (scanAssignments, and triggered's verdict) are those found
// without it, judging each separator on its own. The texts repeat names
// many times (JSON arrays of objects, env dumps) around a secret name
// that differs from a ruled-out one only past its 8th byte, or in case.
func TestNameMemoChangesNothing(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 19))
	g := textGen{rng: rng}
	f := freeText{names: mask.CompileSecretNames(nil), filter: newNameFilter(nil)}
	names := []string{"id", "name", "price", "tags", "passwor", "password", "passwordx", "PASSWORD", "passwd", "pass",
		"tokens", "token", "tokenize", "session_id", "api_key_", "api_key", "apikey_hint", "user", "key", "keys", "secret",
		"secrets", "aaaaaaaa", "aaaaaaaab", "db.password", "x-api-key", "x-api-ke"}
	texts := make([]string, 0, 3000)
	for range 1500 {
		texts = append(texts, g.text())
		var b strings.Builder
		for range 1 + rng.IntN(40) {
			n := names[rng.IntN(len(names))]
			switch rng.IntN(3) {
			case 0:
				fmt.Fprintf(&b, `{"%s":"%s",`, n, g.secret())
			case 1:
				fmt.Fprintf(&b, "%s=%s\n", n, g.secret())
			default:
				fmt.Fprintf(&b, `"%s": %d, `, n, rng.IntN(1000))
			}
		}
		texts = append(texts, b.String())
	}
	found := 0
	for _, s := range texts {
		text := []byte(s)
		for _, sep := range []byte{'=', ':'} {
			var want []string
			for p := 0; p < len(text); p++ {
				if text[p] != sep {
					continue
				}
				if v, ok := f.assigned(text, p, nil, nil); ok {
					want = addValue(want, v)
				}
			}
			got := f.scanAssignments(nil, text, sep)
			if !slices.Equal(got, want) {
				t.Fatalf("%q, %q: with the memo %q, without %q", text, sep, got, want)
			}
			found += len(want)
			assign := ruleAssignEquals
			if sep == ':' {
				assign = ruleAssignColon
			}
			if len(want) > 0 && f.triggered(text)&assign == 0 {
				t.Fatalf("%q: the prefilter misses the assignment with %q", text, sep)
			}
		}
	}
	if found < 1000 {
		t.Fatalf("only %d assignments found: the texts do not exercise the memo", found)
	}
}

// packName packs names of 1 to 8 bytes one to one, and no other.
func TestPackName(t *testing.T) {
	seen := map[uint64]string{}
	for _, n := range []string{"a", "ab", "ba", "abc", "abcdefgh", "abcdefg", "bcdefgh", "id", "ID", "Id", "i", "d"} {
		w := packName([]byte(n))
		if w == 0 {
			t.Fatalf("%q packs to 0", n)
		}
		if prev, ok := seen[w]; ok {
			t.Fatalf("%q and %q pack alike", prev, n)
		}
		seen[w] = n
	}
	for _, n := range []string{"", "abcdefghi", "password_hint"} {
		if packName([]byte(n)) != 0 {
			t.Fatalf("%q is packed; only names of 1 to 8 bytes are", n)
		}
	}
}
