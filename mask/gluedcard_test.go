package mask

import (
	"fmt"
	"math/big"
	"math/rand/v2"
	"strings"
	"testing"
	"time"
)

// luhnCard returns a card number of the given prefix and length whose
// check digit is right.
func luhnCard(r *rand.Rand, prefix string, n int) string {
	b := []byte(prefix)
	for len(b) < n-1 {
		b = append(b, byte('0'+r.IntN(10)))
	}
	for c := byte('0'); c <= '9'; c++ {
		d := make([]byte, n)
		for i := range n - 1 {
			d[i] = b[i] - '0'
		}
		d[n-1] = c - '0'
		if luhnValid(d) {
			return string(append(b, c))
		}
	}
	panic("no check digit")
}

// randomCard returns a card of a random network and length.
func randomCard(r *rand.Rand) string {
	kinds := []struct {
		p string
		n int
	}{{"4", 16}, {"4", 13}, {"4", 19}, {"51", 16}, {"55", 16}, {"2221", 16}, {"2720", 16}, {"34", 15}, {"37", 15},
		{"6011", 16}, {"65", 16}, {"644", 19}, {"3528", 16}, {"36", 14}, {"300", 14}, {"62", 17}}
	k := kinds[r.IntN(len(kinds))]
	return luhnCard(r, k.p, k.n)
}

func digits(r *rand.Rand, n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte('0' + r.IntN(10))
	}
	return string(b)
}

// timestamp14 is YYYYMMDDhhmmss of a random time in the 2020s.
func timestamp14(r *rand.Rand) string {
	return time.Unix(1577836800+r.Int64N(10*365*86400), 0).UTC().Format("20060102150405")
}

// TestGluedCardGenerated is the generator of the family "a card number
// glued inside a longer run of digits": '9' || pan || '9', an order
// number and a card concatenated, a card between two Unix or calendar
// timestamps without separators, random digits of either side, padding
// past maxGluedCardRun (to 80, 180 or thousands of digits, longer than
// the stream masker holds), through Value and the stream masker. No run
// of the card's digits may stay.
func TestGluedCardGenerated(t *testing.T) {
	p := newPolicy(t, "credit_card")
	r := rand.New(rand.NewPCG(41, 43))
	glue := []func() (string, string){
		func() (string, string) { return "9", "9" },
		func() (string, string) { return digits(r, 1+r.IntN(3)), "" },
		func() (string, string) { return "", digits(r, 1+r.IntN(3)) },
		func() (string, string) { return digits(r, 6+r.IntN(5)), "" }, // order number
		func() (string, string) { return fmt.Sprint(1700000000 + r.IntN(1e8)), "" },
		func() (string, string) { return "", fmt.Sprint(1700000000 + r.IntN(1e8)) },
		func() (string, string) { return timestamp14(r), "" },
		func() (string, string) { return "", timestamp14(r) },
		func() (string, string) { return digits(r, 1+r.IntN(9)), digits(r, 1+r.IntN(9)) },
		// Padded past maxGluedCardRun: a run that looks like a decimal hash.
		func() (string, string) { return digits(r, 20+r.IntN(60)), digits(r, r.IntN(60)) },
		func() (string, string) { return digits(r, r.IntN(40)), digits(r, 40+r.IntN(100)) },
		func() (string, string) { return timestamp14(r) + timestamp14(r) + timestamp14(r), "" },
		// Longer than the stream masker holds: the run arrives in pieces.
		func() (string, string) { return digits(r, 650+r.IntN(600)), digits(r, r.IntN(300)) },
	}
	bad, total := 0, 0
	for range 400 {
		for _, g := range glue {
			card := randomCard(r)
			l, rt := g()
			run := l + card + rt
			for _, ctx := range [][2]string{{"", ""}, {"order ", " paid"}, {"|", "|\n"}} {
				in := ctx[0] + run + ctx[1]
				total++
				got, _, err := p.Value("", in)
				if err == nil {
					var st []byte
					st, _, err = streamMask(p, []byte(in), []int{total % len(in), len(in) / 3, len(in) / 2, len(in) - 5})
					if err == nil && string(st) != got {
						err = fmt.Errorf("stream %q", st)
					}
				}
				if err != nil || strings.Contains(got, card[len(card)-10:]) || strings.Contains(got, card[:10]) {
					if bad++; bad <= 10 {
						t.Errorf("%q -> %q, %v", in, got, err)
					}
				}
			}
		}
	}
	t.Logf("%d of %d glued cards left", bad, total)
}

// TestGluedCardFalsePositives measures how many realistic digit runs of
// more than nineteen digits the glued-card reading masks, and bounds it,
// with the share of their digits masked. A card padded with digits is
// masked at any length (cardWindows), so nearly every run of forty digits
// and more is masked in part: decimal hashes of 128 and 256 bits, long
// decimals. That is the measured cost of the rule.
func TestGluedCardFalsePositives(t *testing.T) {
	p := newPolicy(t, "credit_card")
	r := rand.New(rand.NewPCG(7, 8))
	u64 := func() string { return fmt.Sprint(r.Uint64() | 1<<63) } // 19 or 20 digits
	bigDec := func(bits int) func() string {
		return func() string {
			b := make([]byte, bits/8)
			for i := range b {
				b[i] = byte(r.UintN(256))
			}
			b[0] |= 0x80
			return new(big.Int).SetBytes(b).String()
		}
	}
	corpora := []struct {
		name string
		gen  func() string
		max  float64 // the largest share masked that the test accepts
	}{
		{"two calendar timestamps", func() string { return timestamp14(r) + timestamp14(r) }, 0.5},
		{"three Unix timestamps", func() string {
			return fmt.Sprint(1700000000+r.IntN(1e8)) + fmt.Sprint(1700000000+r.IntN(1e8)) + fmt.Sprint(1700000000+r.IntN(1e8))
		}, 0.6},
		{"two phone numbers (E.164 digits)", func() string { return "1415" + digits(r, 7) + "4420" + digits(r, 8) }, 0.55},
		{"uint64 (hash or ID) of 20 digits", u64, 0.3},
		{"snowflake ID of 17 to 19 digits", func() string { return fmt.Sprint(r.Int64N(1 << 62)) }, 0.3},
		{"ID of 16 digits", func() string { return fmt.Sprint(1+r.IntN(9)) + digits(r, 15) }, 0.15},
		{"128-bit number in decimal", bigDec(128), 0.85},
		{"256-bit hash in decimal", bigDec(256), 1},
		{"decimal of 40 to 60 places", func() string { return fmt.Sprint(r.IntN(1000)) + "." + digits(r, 40+r.IntN(21)) }, 1},
		{"random digits, 21 to 38", func() string { return digits(r, 21+r.IntN(18)) }, 1},
		{"random digits, 39 to 80", func() string { return digits(r, 39+r.IntN(42)) }, 1},
	}
	const n = 2000
	for _, c := range corpora {
		masked, all, kept := 0, 0, 0
		for range n {
			s := c.gen()
			in := "id " + s + " ok"
			got, _, err := p.Value("", in)
			if err != nil || got != in {
				masked++
			}
			all += strings.Count(s, "") - 1
			kept += countDigits(got)
		}
		share := float64(masked) / n
		t.Logf("%-34s %4d of %d masked (%.1f %%), %.1f %% of all their digits", c.name, masked, n, 100*share, 100-100*float64(kept)/float64(all))
		if share > c.max {
			t.Errorf("%s: %.1f %% masked, above %.1f %%", c.name, 100*share, 100*c.max)
		}
	}
}

func countDigits(s string) int {
	n := 0
	for i := range len(s) {
		if isDigit(s[i]) {
			n++
		}
	}
	return n
}

func newPolicy(t *testing.T, names ...string) *Policy {
	t.Helper()
	e, err := New(Config{})
	if err != nil {
		t.Fatal(err)
	}
	p, err := e.Policy(names)
	if err != nil {
		t.Fatal(err)
	}
	return p
}
