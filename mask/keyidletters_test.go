package mask

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
)

// TestKeyIDLettersGenerated is the generator of the family "an access key
// ID whose body has no digit, glued to letters or digits" (one key ID in
// about thirty: sixteen base32 characters drawn without a digit). Every
// prefix, upper and lower case, glued on the left, the right or both to
// digits, '_', '-', letters of the other case and (upper case only: in
// lower case it is a word, glue.go) letters of its own case.
// Glued to another class, none may be left; glued to letters of its own
// case (a run of letters, as words in capitals are), a bounded share.
func TestKeyIDLettersGenerated(t *testing.T) {
	p := newPolicy(t, "secrets")
	r := rand.New(rand.NewPCG(31, 37))
	const letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	body := func() string {
		for {
			b := make([]byte, 16)
			for i := range b {
				b[i] = letters[r.IntN(26)]
			}
			if lettersDistinct(b) >= minGlueDistinct && strings.ContainsAny(string(b), "GHIJKLMNOPQRSTUVWXYZ") {
				return string(b)
			}
		}
	}
	other := []string{"4294967295", "0", "7", "_", "-", "=", "%", ".", "/"}
	var sameBad, sameTotal, otherBad, otherTotal int
	for range 3000 {
		id := []string{"AKIA", "ASIA", "ABIA", "ACCA"}[r.IntN(4)] + body()
		lower := r.IntN(4) == 0
		own, cross := "QX", "qx"
		if lower {
			id, own, cross = strings.ToLower(id), "qx", "QX"
		}
		side := r.IntN(3)
		glue := func(set []string) (string, string) {
			g := set[r.IntN(len(set))]
			switch side {
			case 0:
				return g, ""
			case 1:
				return "", g
			}
			return g, set[r.IntN(len(set))]
		}
		var l, rt string
		sameCase := r.IntN(3) == 0 && !lower // lower case glued to letters is a word, by decision (glue.go)
		switch {
		case sameCase:
			l, rt = glue([]string{own[:1], own, "ZZTOP"[:1+r.IntN(4)]})
		case lower:
			l, rt = glue(other)
		default:
			l, rt = glue(append(other, cross[:1], cross))
		}
		in := l + id + rt
		got, _, err := p.Value("", in)
		if err == nil {
			var st []byte
			st, _, err = streamMask(p, []byte(in), []int{len(in) / 2})
			if err == nil && string(st) != got {
				err = fmt.Errorf("stream %q", st)
			}
		}
		left := err != nil || strings.Contains(got, id[4:])
		if sameCase {
			sameTotal++
			if left {
				sameBad++
			}
			continue
		}
		otherTotal++
		if left {
			if otherBad++; otherBad <= 10 {
				t.Errorf("%q -> %q, %v", in, got, err)
			}
		}
	}
	t.Logf("glued to another class: %d of %d left; glued to letters of its own case: %d of %d left",
		otherBad, otherTotal, sameBad, sameTotal)
	if share := float64(sameBad) / float64(sameTotal); share > 0.10 {
		t.Errorf("%.1f %% of key IDs glued to letters of their own case left", 100*share)
	}
}

func lettersDistinct(b []byte) int {
	var seen [256]bool
	n := 0
	for _, c := range b {
		if !seen[c] {
			seen[c] = true
			n++
		}
	}
	return n
}

// capitalWords are words an upper-case identifier or heading is made of.
var capitalWords = strings.Fields(`EAST WEST ASIA PACIFIC NORTH SOUTH REGION OFFICE BUILDING CENTER SALES
	ACCOUNT ACCOUNTING PAYMENT BILLING REPORT QUARTER ANNUAL SUMMARY CUSTOMER SERVICE SUPPORT STORAGE
	CLUSTER PRODUCTION STAGING DEPLOY RELEASE VERSION CONFIG DEFAULT SETTINGS MANAGER HEADQUARTERS
	INTERNATIONAL MARKETING FINANCE HUMAN RESOURCES DEPARTMENT TEAM PROJECT PHASE BRIDGE NETWORK SECURITY
	AKIAN ABIDE ACCAPELLA DATABASE BACKUP ARCHIVE MONTHLY WEEKLY DAILY INVOICE ORDER SHIPPING RETURNS
	WAREHOUSE INVENTORY PRODUCT CATALOG PRICING DISCOUNT PROMOTION CAMPAIGN ANALYTICS DASHBOARD METRICS`)

// TestKeyIDLettersFalsePositives measures what the reading of key IDs
// without digits masks in runs of words in capitals that hold a prefix
// (EASTASIAPACIFICREGION..., glued to their neighbours): a bounded share.
func TestKeyIDLettersFalsePositives(t *testing.T) {
	p := newPolicy(t, "secrets")
	r := rand.New(rand.NewPCG(41, 47))
	const n = 4000
	masked := 0
	for range n {
		var b strings.Builder
		for range 1 + r.IntN(2) {
			b.WriteString(capitalWords[r.IntN(len(capitalWords))])
		}
		b.WriteString([]string{"ASIA", "ACCA", "AKIA", "ABIA"}[r.IntN(4)])
		for b.Len() < 40 {
			b.WriteString(capitalWords[r.IntN(len(capitalWords))])
		}
		in := b.String()
		if r.IntN(2) == 0 {
			in = strings.ToLower(in)
		}
		if got, _, err := p.Value("", "name "+in+" ok"); err != nil || got != "name "+in+" ok" {
			masked++
		}
	}
	t.Logf("%d of %d runs of words in capitals masked", masked, n)
	if float64(masked)/n > 0.02 {
		t.Errorf("%d of %d runs of words masked", masked, n)
	}
}
