package mask

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"os/exec"
	"strings"
	"testing"
)

// diffLines shows the first lines where a and b differ.
func diffLines(a, b string) string {
	al, bl := strings.Split(a, "\n"), strings.Split(b, "\n")
	var s strings.Builder
	n := 0
	for i := 0; i < len(al) && i < len(bl) && n < 5; i++ {
		if al[i] != bl[i] {
			s.WriteString("- " + al[i] + "\n+ " + bl[i] + "\n")
			n++
		}
	}
	return s.String()
}

// dumpLikeCarriers print numbers in shapes near a dump's: numbered lists
// with zero-padded ids (an offset column), lists of one or two a line,
// cards in groups of four, a card cut into lines of eight digits, and a
// fake dump line of a card with od's last offset after it. Each puts the
// numbers of nums on lines.
var dumpLikeCarriers = []struct {
	name string
	f    func(nums []string) string
}{
	{"padded ids", func(n []string) string {
		var b strings.Builder
		for i, x := range n {
			fmt.Fprintf(&b, "%07d %s\n", i+1, x)
		}
		return b.String()
	}},
	{"padded ids, groups of four", func(n []string) string {
		var b strings.Builder
		for i, x := range n {
			fmt.Fprintf(&b, "%07o %s\n", 16*i, groupsOf(x, 4))
		}
		return b.String()
	}},
	{"hex ids with colon, groups of four", func(n []string) string {
		var b strings.Builder
		for i, x := range n {
			fmt.Fprintf(&b, "%08x: %s\n", 16*i, groupsOf(x, 4))
		}
		return b.String()
	}},
	{"list", func(n []string) string { return strings.Join(n, "\n") + "\n" }},
	{"list, groups of four", func(n []string) string {
		var b strings.Builder
		for _, x := range n {
			b.WriteString(groupsOf(x, 4) + "\n")
		}
		return b.String()
	}},
	{"two a line", func(n []string) string {
		var b strings.Builder
		for i := 0; i+1 < len(n); i += 2 {
			fmt.Fprintf(&b, "%s %s\n", n[i], n[i+1])
		}
		return b.String()
	}},
	{"two a line, groups of four", func(n []string) string {
		var b strings.Builder
		for i := 0; i+1 < len(n); i += 2 {
			fmt.Fprintf(&b, "%s %s\n", groupsOf(n[i], 4), groupsOf(n[i+1], 4))
		}
		return b.String()
	}},
	{"lines of eight digits", func(n []string) string {
		var b strings.Builder
		for _, x := range n {
			for i := 0; i < len(x); i += 8 {
				b.WriteString(x[i:min(i+8, len(x))] + "\n")
			}
		}
		return b.String()
	}},
	{"fake od line", func(n []string) string {
		var b strings.Builder
		for _, x := range n {
			fmt.Fprintf(&b, "0000000 %s\n0000020\n", groupsOf(x, 4))
		}
		return b.String()
	}},
}

// groupsOf cuts s into groups of n joined by spaces.
func groupsOf(s string, n int) string {
	var g []string
	for i := 0; i < len(s); i += n {
		g = append(g, s[i:min(i+n, len(s))])
	}
	return strings.Join(g, " ")
}

// TestDumpLikeNumbersStayMasked: cards printed in shapes near a dump's
// (dumpLikeCarriers) are masked, every digit of each — and a card kept in
// packed BCD, as xxd shows it.
func TestDumpLikeNumbersStayMasked(t *testing.T) {
	p := newPolicy(t, "all")
	r := rand.New(rand.NewPCG(79, 83))
	bad, total := 0, 0
	for _, c := range dumpLikeCarriers {
		for range 20 {
			nums := make([]string, 4)
			for i := range nums {
				nums[i] = randomCard(r)
			}
			in := c.f(nums)
			total++
			got, err := valueAndStream(p, in, total%len(in), len(in)/2)
			leak := err != nil
			for _, x := range nums {
				for i := 0; i+6 <= len(x) && !leak; i++ {
					leak = strings.Contains(strings.ReplaceAll(strings.ReplaceAll(got, " ", ""), "\n", ""), x[i:i+6]) && strings.Contains(strings.ReplaceAll(strings.ReplaceAll(in, " ", ""), "\n", ""), x)
				}
			}
			if leak {
				if bad++; bad <= 5 {
					t.Errorf("%s: %v\n%s->\n%s", c.name, err, in, got)
				}
			}
		}
	}
	t.Logf("%d of %d dump-like card lists left a card's digits", bad, total)
}

// TestPackedBCDCardsInDumps: a card kept in packed BCD (ISO 8583 and EMV
// keep card numbers so: two digits a byte) reads as its own digits in a
// dump whose groups keep the bytes' order; the real xxd's dump of a
// message holding one is masked. (A change that took such groups for a clean dump's and let
// them through was not landed.)
func TestPackedBCDCardsInDumps(t *testing.T) {
	p := newPolicy(t, "credit_card")
	r := rand.New(rand.NewPCG(5, 8583))
	for _, args := range [][]string{{"xxd"}, {"xxd", "-g", "2"}, {"xxd", "-g", "4"}} {
		left := 0
		for range 20 {
			card := randomCard(r)
			if len(card) != 16 {
				continue
			}
			// A message of three lines, the card on the second.
			data := []byte{0x02, 0x00, 0x70, 0x24, 0x05, 0x80, 0x20, 0xc0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x16}
			for i := 0; i < 16; i += 2 {
				data = append(data, (card[i]-'0')<<4|(card[i+1]-'0'))
			}
			data = append(data, 0x00, 0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc, 0xde, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00)
			cmd := exec.Command(args[0], args[1:]...)
			cmd.Stdin = bytes.NewReader(data)
			out, err := cmd.Output()
			if err != nil {
				t.Fatal(err)
			}
			got, err := valueAndStream(p, string(out), len(out)/3)
			flat := strings.NewReplacer(" ", "", "\n", "").Replace(got)
			if err != nil || strings.Contains(flat, card[4:12]) {
				left++
				t.Errorf("%v: %v\n%s->\n%s", args, err, out, got)
			}
		}
		t.Logf("%v: %d of 20 packed cards left", args, left)
	}
}
