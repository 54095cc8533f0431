package mask

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
)

// TestOperatorDigitsGenerated is the generator of the family "an
// assignment whose operator is followed by two hex digits is masked past
// its value": "=22", "=27", "=60" read as the quoted-printable escapes of
// a double quote, a single quote and a backquote (and "=3D", "=28",
// "=5B", "=20", "=0A" as '=', '(', '[', a space, a line feed), so the decoded view saw an unclosed quote
// or bracket and masked to the end of the line. Operators := =: == =>
// -> ::= = :, value shapes (digits only, hex pairs then letters, a
// value in quotes), what follows (words, a quote, a second assignment).
// Only the value may go: the output is the input with the value replaced.
func TestOperatorDigitsGenerated(t *testing.T) {
	p := newPolicy(t, "all")
	r := rand.New(rand.NewPCG(23, 29))
	keys := []string{"password", "api_key", "client_secret", "DB_PASSWORD", "token", "passwd"}
	ops := []string{":=", "=:", "=>", "->", "::=", "=", ":", ": ", " := ", " = ", " => ", "=="}
	qp := []string{"22", "27", "60", "3D", "3d", "28", "5B", "7B", "3C", "20", "0A", "09", "2C", "3B", "41", "7D", "5D", "29"}
	values := func() string {
		switch r.IntN(4) {
		case 0: // digits only
			return qp[r.IntN(len(qp))] + fmt.Sprint(r.IntN(1000))
		case 1: // a pair then letters
			return qp[r.IntN(len(qp))] + "hunter" + fmt.Sprint(r.IntN(100))
		case 2: // two pairs
			return qp[r.IntN(len(qp))] + qp[r.IntN(len(qp))] + "x"
		}
		return qp[r.IntN(len(qp))]
	}
	tails := []string{" next word", ", user=ann", "; x=1", "\tz", " and 'q' here", ` k="v" m='w'`, " (id 7) [x] {y}", "\nline two", " `cmd`"}
	bad, total := 0, 0
	for range 4000 {
		k, op, v, tl := keys[r.IntN(len(keys))], ops[r.IntN(len(ops))], values(), tails[r.IntN(len(tails))]
		if op == "==" {
			// A comparison, not an assignment: nothing of it goes.
			in := "if " + k + op + v + tl
			total++
			if got, _, err := p.Value("", in); err != nil || !strings.HasSuffix(got, tl) {
				if bad++; bad <= 15 {
					t.Errorf("%q -> %q, %v", in, got, err)
				}
			}
			continue
		}
		in := "cfg " + k + op + v + tl
		want := "cfg " + k + op + "[PASSWORD_ASSIGNMENT]" + tl
		total++
		got, err := valueAndStream(p, in, total%len(in))
		if err != nil || got != want {
			if bad++; bad <= 15 {
				t.Errorf("%q -> %q, %v, want %q", in, got, err, want)
			}
		}
	}
	t.Logf("%d of %d assignments masked past their value or not at all", bad, total)
}
