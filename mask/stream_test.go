package mask

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
)

// fragments mixes sensitive values, near misses and filler; the generator
// glues them with random separators so that matches touch and overlap.
var fragments = []string{
	"4111 1111 1111 1111", "4111111111111111", "5555-5555-5555-4444", "378282246310005",
	"ann.lee@example.com", "x@y.io", "123-45-6789", "123456789", "(415) 555-2671",
	"+44 20 7946 0958", "GB82 WEST 1234 5698 7654 32", "DE89370400440532013001",
	"192.168.0.1", "2001:db8::ff00:42:8329", "AKIAIOSFODNN7EXAMPLE",
	"aws_secret_access_key=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
	"ghp_16C7e42F292c6912E7710c838347Ae178B4a", "glpat-xxxxxxxxxxxxxxxxxxxx",
	"xoxb-123456789012-abcdefghijkl", "sk_live_4eC39HqLyjWDarjtT1zdp7dc",
	"AIzaSyDaGmWKa4JsXZ-HjGw7ISLn_3namBGewQe",
	"eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.sig_-nature",
	"-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEIBkg4LVWM9nuwNSk3yBJGS\n-----END EC PRIVATE KEY-----",
	"password=hunter2", `"api_key": "k-123"`, "Authorization: Bearer tok",
	"EMP-123456", "Project Falcon",
	"the quick brown fox", "12", "2024-01-15", "1.2.3", "::", "@", "-", " ", "\n", ".", "4", "eyJ",
	"-----BEGIN ", "PRIVATE KEY-----", "password", "=", "é", "\xff",
}

func randomText(r *rand.Rand, n int) string {
	var b strings.Builder
	for b.Len() < n {
		b.WriteString(fragments[r.IntN(len(fragments))])
		if r.IntN(3) == 0 {
			b.WriteByte(" ,;:\n-.@"[r.IntN(8)])
		}
	}
	return b.String()
}

func testPolicy(t testing.TB) *Policy {
	t.Helper()
	e, err := New(Config{
		Fields: []FieldRule{{Name: "card_field", JSONPaths: []string{"$..card"}}},
		Detectors: []CustomDetector{
			{Name: "employee_id", Pattern: `EMP-\d{6}`},
			{Name: "project", Values: []string{"Project Falcon", "falcon"}},
			{Name: "ticket", Pattern: `[A-Z]{2,5}-\d+`, Keywords: []string{"ticket", "jira"}},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	p, err := e.Policy([]string{"all", "card_field"})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// streamMask writes in to a Writer in the given chunk sizes.
func streamMask(p *Policy, in []byte, cuts []int) ([]byte, []Finding, error) {
	var out bytes.Buffer
	w := p.NewWriter(&out)
	prev := 0
	for _, c := range append(cuts, len(in)) {
		if c < prev || c > len(in) {
			continue
		}
		if _, err := w.Write(in[prev:c]); err != nil {
			return nil, nil, err
		}
		prev = c
	}
	if err := w.Close(); err != nil {
		return nil, nil, err
	}
	return out.Bytes(), w.Findings(), nil
}

// valueAndStream masks in with Value and through a Writer cut at cuts,
// and returns what Value gave, or an error when either failed or the two
// differ.
func valueAndStream(p *Policy, in string, cuts ...int) (string, error) {
	got, _, err := p.Value("", in)
	if err != nil {
		return got, err
	}
	st, _, err := streamMask(p, []byte(in), cuts)
	if err == nil && string(st) != got {
		err = fmt.Errorf("stream %q", st)
	}
	return got, err
}

func checkStream(t *testing.T, p *Policy, in []byte, cuts []int) {
	t.Helper()
	want, wf, werr := p.Value("", string(in))
	got, gf, gerr := streamMask(p, in, cuts)
	if (werr != nil) != (gerr != nil) {
		t.Fatalf("errors differ: value %v, stream %v\ninput %q cuts %v", werr, gerr, in, cuts)
	}
	if werr != nil {
		return
	}
	if string(got) != want {
		t.Fatalf("stream != value\ninput  %q\ncuts   %v\nvalue  %q\nstream %q", in, cuts, want, got)
	}
	if countOf(wf) != countOf(gf) {
		t.Fatalf("finding counts differ: value %v stream %v", wf, gf)
	}
}

func countOf(f []Finding) int {
	n := 0
	for _, x := range f {
		n += x.Count
	}
	return n
}

func TestStreamEqualsValue(t *testing.T) {
	p := testPolicy(t)
	r := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 300; i++ {
		in := []byte(randomText(r, 10+r.IntN(3000)))
		if i%50 == 0 {
			in = []byte(randomText(r, 40000))
		}
		var cuts []int
		switch i % 3 {
		case 0: // random cuts
			for c := 0; c < len(in); c += 1 + r.IntN(700) {
				cuts = append(cuts, c)
			}
		case 1: // byte by byte at the start, then large
			for c := 0; c < min(len(in), 200); c++ {
				cuts = append(cuts, c)
			}
		}
		checkStream(t, p, in, cuts)
	}
}

func TestStreamPEMLimit(t *testing.T) {
	e, _ := New(Config{})
	p, _ := e.Policy([]string{"private_key"})
	in := []byte("x\n-----BEGIN RSA PRIVATE KEY-----\n" + strings.Repeat("QUFBQUFB\n", 1200))
	_, _, err := streamMask(p, in, []int{5, 100, 4000})
	if !errors.Is(err, ErrLimit) {
		t.Fatalf("err = %v, want ErrLimit", err)
	}
	checkStream(t, p, in, []int{7})
	// Cut short at the end of the stream: masked to the end.
	short := []byte("-----BEGIN RSA PRIVATE KEY-----\nQUFBQUFB\nQUFB")
	got, _, err := streamMask(p, short, []int{10, 20})
	if err != nil || string(got) != "[PRIVATE_KEY]" {
		t.Fatalf("got %q, %v", got, err)
	}
}

func TestWriterAfterClose(t *testing.T) {
	p := testPolicy(t)
	var b bytes.Buffer
	w := p.NewWriter(&b)
	w.Write([]byte("a 4111111111111111"))
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write([]byte("x")); !errors.Is(err, ErrClosed) {
		t.Fatalf("write after close: %v", err)
	}
	if b.String() != "a [CREDIT_CARD]" {
		t.Fatalf("got %q", b.String())
	}
}

func TestNilPolicyWriter(t *testing.T) {
	var p *Policy
	var b bytes.Buffer
	w := p.NewWriter(&b)
	w.Write([]byte("4111111111111111"))
	w.Close()
	if b.String() != "4111111111111111" || w.Findings() != nil {
		t.Fatal("nil policy must pass through")
	}
}

// plaintexts are values each detector must remove entirely.
var plaintexts = []string{
	"4111111111111111", "ann.lee@example.com", "AKIAIOSFODNN7EXAMPLE", "hunter2",
	"ghp_16C7e42F292c6912E7710c838347Ae178B4a", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
	"EMP-123456", "MHcCAQEEIBkg4LVWM9nuwNSk3yBJGS",
	"４１１１ １１１１ １１１１ １１１１", "4111.1111.1111.1111", "1111111111111114", "ａｄａ＠example.com",
}

func FuzzStreamEqualsValue(f *testing.F) {
	r := rand.New(rand.NewPCG(3, 4))
	for i := 0; i < 20; i++ {
		f.Add([]byte(randomText(r, 50+r.IntN(500))), uint16(r.IntN(64)), uint16(r.IntN(300)))
	}
	f.Add([]byte("4111 1111 1111 1111"), uint16(1), uint16(7))
	f.Add([]byte("-----BEGIN RSA PRIVATE KEY-----\nabc"), uint16(3), uint16(9))
	for i, v := range looseFragments {
		f.Add([]byte("a "+v+" b "+looseFragments[(i+1)%len(looseFragments)]), uint16(i), uint16(i*7))
	}
	p := testPolicy(f)
	f.Fuzz(func(t *testing.T, in []byte, a, b uint16) {
		var cuts []int
		step := int(a%64) + 1
		for c := int(b) % (len(in) + 1); c < len(in); c += step {
			cuts = append(cuts, c)
		}
		checkStream(t, p, in, cuts)
		out, _, err := p.Value("", string(in))
		if err != nil {
			return
		}
		for _, pt := range plaintexts {
			if strings.Contains(string(in), pt) && strings.Contains(out, pt) {
				// A plaintext may survive only if it was never detected as such
				// in the input, e.g. it is glued to more digits.
				if _, f2, _ := p.Value("", pt); f2 != nil && isolated(string(in), pt) {
					t.Fatalf("plaintext %q survived in %q", pt, out)
				}
			}
		}
	})
}

// isolated reports whether every occurrence of pt in s is surrounded by
// spaces or the ends of s, so that its detection does not depend on context.
func isolated(s, pt string) bool {
	for i := 0; ; {
		k := strings.Index(s[i:], pt)
		if k < 0 {
			return true
		}
		k += i
		e := k + len(pt)
		if (k > 0 && s[k-1] != ' ') || (e < len(s) && s[e] != ' ') {
			return false
		}
		i = k + 1
	}
}

func TestMaxHeld(t *testing.T) {
	e, _ := New(Config{})
	for _, c := range []struct {
		names    []string
		min, max int
	}{
		{[]string{"pii"}, 400, 1300},
		{[]string{"secrets"}, 16 << 10, 17 << 10},
		// A value, and a command's options or a name read back before it
		// (mysql ... -pSECRET: cmdsecrets.go).
		{[]string{"password_assignment"}, 8 << 10, 10 << 10},
	} {
		p, _ := e.Policy(c.names)
		if h := p.MaxHeld(); h < c.min || h > c.max {
			t.Errorf("%v: MaxHeld = %d", c.names, h)
		}
	}
	var nilp *Policy
	if nilp.MaxHeld() != 0 {
		t.Error("nil policy holds")
	}
}

type failWriter struct{ n int }

func (f *failWriter) Write(b []byte) (int, error) {
	if f.n <= 0 {
		return 0, errors.New("broken pipe")
	}
	f.n--
	return len(b), nil
}

func TestWriterUnderlyingError(t *testing.T) {
	p := testPolicy(t)
	w := p.NewWriter(&failWriter{})
	big := bytes.Repeat([]byte("clean text "), 10000)
	if _, err := w.Write(big); err == nil {
		t.Fatal("want the underlying error")
	}
	if _, err := w.Write([]byte("x")); err == nil {
		t.Fatal("a failed writer must stay failed")
	}
	if err := w.Close(); err == nil {
		t.Fatal("Close after failure must fail")
	}
}

// TestDetectedPlaintextIsGone checks that a value a detector chose does not
// survive in the output, unless the same text also occurs in the input
// where no detector took it. A masked value followed by a Value pass on
// the output must also find nothing the first pass had found.
func TestDetectedPlaintextIsGone(t *testing.T) {
	p := testPolicy(t)
	r := rand.New(rand.NewPCG(9, 9))
	for i := 0; i < 300; i++ {
		in := randomText(r, 50+r.IntN(2000))
		out, _, err := p.Value("", in)
		if err != nil {
			continue
		}
		chosen := resolve([]byte(in), p.candidates([]byte(in), true, nil))
		for _, sp := range chosen {
			v := in[sp.start:sp.end]
			if len(v) < 6 || !strings.Contains(out, v) {
				continue
			}
			// Every occurrence must overlap a chosen span, else it is fine.
			free := false
			for k := 0; ; {
				x := strings.Index(in[k:], v)
				if x < 0 {
					break
				}
				x += k
				over := false
				for _, c := range chosen {
					if c.start < x+len(v) && x < c.end {
						over = true
					}
				}
				free = free || !over
				k = x + 1
			}
			if !free {
				t.Fatalf("detected %q (%s) survives\ninput  %q\noutput %q", v, p.dets[sp.det].name, in, out)
			}
		}
	}
}

// TestMaskIdempotentTokens checks that masking already masked values finds
// nothing: tokens such as [PASSWORD_ASSIGNMENT] are not values.
func TestMaskIdempotentTokens(t *testing.T) {
	p := testPolicy(t)
	for _, in := range []string{
		"password=hunter2 x", `{"secret": "s3cr3t"}`, "Authorization: Bearer abc",
		"card 4111111111111111, mail ann@example.com", "token: ********",
	} {
		out, _, err := p.Value("", in)
		if err != nil {
			t.Fatal(err)
		}
		if again, f, _ := p.Value("", out); f != nil {
			t.Fatalf("%q -> %q -> %q %v", in, out, again, f)
		}
	}
}
