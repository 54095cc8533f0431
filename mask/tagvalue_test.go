package mask

import (
	"math/rand/v2"
	"strings"
	"testing"
)

// TestTagLikeValueGenerated is the generator of the family "a quoted value
// that begins like a tag keeps its beginning": password: "<hunter2xyz> x"
// was read as the element <hunter2xyz> (markup, kept) and the text after
// it. Values that begin with <name>, <name attr> or <name/> followed by
// more of the value, in double, single or back quotes, closed or not, after
// the assignment key words, through Value and the stream masker: nothing
// of the value may stay.
func TestTagLikeValueGenerated(t *testing.T) {
	p := newPolicy(t, "secrets")
	r := rand.New(rand.NewPCG(61, 67))
	const alnum = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	word := func(n int) string {
		b := make([]byte, n)
		for i := range b {
			b[i] = alnum[r.IntN(len(alnum))]
		}
		b[0] = alnum[r.IntN(52)]
		return string(b)
	}
	keys := []string{"password", "secret", "api_key", "token", "DB_PASSWORD", `"password"`}
	seps := []string{": ", "=", " = ", ":= "}
	quotes := []string{`"`, "'", "`"}
	bad, total := 0, 0
	for range 2000 {
		name := word(4 + r.IntN(10))
		var head string
		switch r.IntN(3) {
		case 0:
			head = "<" + name + ">"
		case 1:
			head = "<" + name + " " + word(3) + ">"
		default:
			head = "<" + name + "/>"
		}
		rest := []string{" " + word(5), word(6), ", " + word(4), "!" + word(3)}[r.IntN(4)]
		q := quotes[r.IntN(len(quotes))]
		closing := ""
		if r.IntN(2) == 0 {
			closing = q
		}
		in := keys[r.IntN(len(keys))] + seps[r.IntN(len(seps))] + q + head + rest + closing + "\n"
		total++
		got, err := valueAndStream(p, in, total%len(in))
		if err != nil || strings.Contains(got, name) || strings.Contains(got, strings.TrimLeft(rest, " ,!")) {
			if bad++; bad <= 10 {
				t.Errorf("%q -> %q, %v", in, got, err)
			}
		}
	}
	t.Logf("%d of %d tag-like values left", bad, total)
}
