package record

import (
	"math/rand/v2"
	"strings"
	"sync"
	"testing"

	"github.com/airlock-sdk/airlock/mask"
)

// isSecretNameDirect is isSecretName as it was before nameVerdicts: the
// filter and the list's Match, every time. It is verdict's oracle.
func isSecretNameDirect(r *redactor, name string) bool {
	return mayMatchName(r.nameFilter, name) && r.names.Match(name)
}

// verdictNames returns n names for the verdict tests: secret names and
// SensitiveHeaders in random case, with separators, with a letter swapped
// for a non-ASCII one that folds to it (KELVIN SIGN, LONG S), cut short
// or run on, plain header names, random bytes, and names too long to keep.
func verdictNames(rng *rand.Rand, n int) []string {
	base := append(append(append([]string(nil), mask.SecretHeaders...), mask.SecretNames...),
		"content-type", "accept", "user-agent", "x-request-id", "limit", "customer", "items", "name", "value", "key")
	out := make([]string, 0, n)
	for len(out) < n {
		s := strings.Trim(base[rng.IntN(len(base))], "*")
		b := []byte(s)
		for i := range b {
			if rng.IntN(2) == 0 {
				b[i] = []byte(strings.ToUpper(string(b[i])))[0]
			}
		}
		s = string(b)
		switch rng.IntN(8) {
		case 0:
			s = strings.Replace(s, "k", "\u212a", 1)
			s = strings.Replace(s, "s", "\u017f", 1)
		case 1:
			s = s[:rng.IntN(len(s)+1)]
		case 2:
			s = "x-" + s + "_id"
		case 3:
			r := make([]byte, rng.IntN(12))
			for i := range r {
				r[i] = byte(rng.IntN(256))
			}
			s = string(r)
		case 4:
			s = strings.Repeat(s+"-", 1+maxVerdictName/max(1, len(s)))
		}
		out = append(out, s)
	}
	return out
}

// TestVerdictMatchesDirect holds redactor.verdict to mask.IsSecretHeader
// and the direct name match on names met again and again (from slots
// they share with others) under the default and a custom list of names.
func TestVerdictMatchesDirect(t *testing.T) {
	rng := rand.New(rand.NewPCG(19, 2))
	for _, list := range [][]string{nil, {"*session*", "pin", "x-*", "*-id"}} {
		r := &redactor{names: mask.CompileSecretNames(list), nameFilter: newNameFilter(list)}
		names := verdictNames(rng, 2000)
		var secret, header int
		for range 5 {
			for _, i := range rng.Perm(len(names)) {
				name := names[i]
				h, n := r.verdict(name)
				if wh, wn := mask.IsSecretHeader(name), isSecretNameDirect(r, name); h != wh || n != wn || r.isSecretName(name) != wn {
					t.Fatalf("verdict(%q) = %v %v, want %v %v", name, h, n, wh, wn)
				}
				if h {
					header++
				}
				if n {
					secret++
				}
			}
		}
		if secret == 0 || header == 0 || secret == 5*len(names) {
			t.Fatalf("names not varied: %d secret, %d headers of %d", secret, header, 5*len(names))
		}
	}
}

// TestVerdictConcurrent reads and replaces slots from several goroutines
// (go test -race checks the slots' publication): every answer is the
// direct one.
func TestVerdictConcurrent(t *testing.T) {
	r := &redactor{names: mask.CompileSecretNames(nil), nameFilter: newNameFilter(nil)}
	names := verdictNames(rand.New(rand.NewPCG(3, 4)), 600)
	want := make([][2]bool, len(names))
	for i, n := range names {
		want[i] = [2]bool{mask.IsSecretHeader(n), isSecretNameDirect(r, n)}
	}
	var wg sync.WaitGroup
	errs := make(chan string, 8)
	for g := range 8 {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(g), 1))
			for range 3000 {
				i := rng.IntN(len(names))
				if h, n := r.verdict(names[i]); h != want[i][0] || n != want[i][1] {
					errs <- names[i]
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for name := range errs {
		t.Fatalf("verdict(%q) differs from the direct one", name)
	}
}
