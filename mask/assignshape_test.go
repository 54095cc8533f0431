package mask

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
)

// assignmentProbe is one "key sep open value close" text between a prefix
// and a suffix: what a masked assignment must keep around its value.
type assignmentProbe struct {
	head, value, tail string
	// tag: the value is written as <value>, which the markup readings
	// also take for a tag, and mask what follows it as the value.
	tag bool
}

// assignmentProbes is the generator of the family "an assignment's
// replacement leaves or eats a delimiter" (a reviewer saw
// "Authorization: [PASSWORD_ASSIGNMENT]]"): key words × separators ×
// quoting or brackets × value kinds × what stands around.
func assignmentProbes() []assignmentProbe {
	keys := []string{"password", "DB_PASSWORD", "passwd", "pwd", "secret", "client_secret", "api_key",
		"apiKey", "access_token", "token", "credential", "Authorization", "private_key"}
	seps := []string{"=", ": ", " = ", ":=", " => ", "\t=\t", `": `, `' : `, "=\t"}
	schemes := []string{"", "Bearer ", "Basic ", "token "}
	// Openers and the closers that end the value.
	quotes := [][2]string{{"", ""}, {`"`, `"`}, {"'", "'"}, {"`", "`"}, {"[", "]"}, {"(", ")"},
		{"{", "}"}, {"<", ">"}, {`\"`, `\"`}, {`\'`, `\'`}, {`\\\"`, `\\\"`}}
	values := []string{"hunter2xyz", "s3cr3t", "p@ss:w0rd!", "tok-123", "secret", "Zm9vYmFyYmF6cXV4",
		"eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.sig_-nature", "ghp_16C7e42F292c6912E7710c838347Ae178B4a",
		"4111111111111111", "a/b+c=", "x"}
	heads := []string{"", "x ", "{", "-H '", "["}
	// The escapes that end a value inside a JSON or shell string.
	tails := []string{"", " next", ",", "\n", ";", "'", "]", `\"`, `\n`, `\\\"`, `\t`, `\r\n`}
	r := rand.New(rand.NewPCG(7, 11))
	var out []assignmentProbe
	for _, k := range keys {
		for _, sp := range seps {
			for _, sc := range schemes {
				if sc != "" && !strings.EqualFold(k, "Authorization") {
					continue
				}
				for _, q := range quotes {
					for _, v := range values {
						h := heads[r.IntN(len(heads))]
						tl := tails[r.IntN(len(tails))]
						if strings.HasPrefix(sp, `"`) {
							h += `"`
						}
						if strings.HasPrefix(sp, `'`) {
							h += `'`
						}
						out = append(out, assignmentProbe{
							head:  h + k + sp + sc + q[0],
							value: v,
							tail:  q[1] + tl,
							tag:   q[0] == "<",
						})
					}
				}
			}
		}
	}
	return out
}

// TestAssignmentKeepsDelimitersGenerated: every probe, through Value and
// the stream masker, comes out as its head, one mask token, its tail:
// no byte of the value left, none of the delimiters around it eaten or
// doubled.
func TestAssignmentKeepsDelimitersGenerated(t *testing.T) {
	e, err := New(Config{})
	if err != nil {
		t.Fatal(err)
	}
	p, err := e.Policy([]string{"secrets", "credit_card", "email"})
	if err != nil {
		t.Fatal(err)
	}
	probes := assignmentProbes()
	bad := 0
	for i, pr := range probes {
		in := pr.head + pr.value + pr.tail
		got, _, err := p.Value("", in)
		if err == nil {
			var st []byte
			st, _, err = streamMask(p, []byte(in), []int{i % len(in), len(in) / 2})
			if err == nil && string(st) != got {
				err = fmt.Errorf("stream %q != value %q", st, got)
			}
		}
		if msg := assignmentMasked(e, pr, got, err); msg != "" {
			if bad++; bad <= 20 {
				t.Errorf("%q: %s", in, msg)
			}
		}
	}
	t.Logf("%d of %d probes malformed or leaking", bad, len(probes))
	if bad > 0 {
		t.Fail()
	}
}

// assignmentMasked returns what is wrong with got, the masking of pr, or "".
func assignmentMasked(e *Engine, pr assignmentProbe, got string, err error) string {
	if err != nil {
		return err.Error()
	}
	if pr.tag {
		i := strings.Index(got, "<[")
		j := strings.Index(got, "]>")
		if i < 0 || j < i || strings.Contains(got[i:], pr.value) && !strings.Contains(pr.tail, pr.value) || !e.isMaskToken([]byte(got[i+1:j+1])) {
			return fmt.Sprintf("tag not kept or value left: %q", got)
		}
		return ""
	}
	if !strings.HasPrefix(got, pr.head) || !strings.HasSuffix(got, pr.tail) || len(got) < len(pr.head)+len(pr.tail) {
		return fmt.Sprintf("delimiters not kept: %q", got)
	}
	mid := got[len(pr.head) : len(got)-len(pr.tail)]
	if !e.isMaskToken([]byte(mid)) {
		return fmt.Sprintf("value not one mask token: %q (in %q)", mid, got)
	}
	return ""
}
