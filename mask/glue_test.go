package mask

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
)

// gluedTokens generates n tokens of every prefix detector, their bodies
// drawn at random from the detector's alphabet.
func gluedTokens(r *rand.Rand, n int) []string {
	const (
		b32   = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
		alnum = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
		word  = alnum + "_"
		tok   = word + "-"
		b64   = alnum + "/+"
	)
	draw := func(alpha string, k int) string {
		b := make([]byte, k)
		for i := range b {
			b[i] = alpha[r.IntN(len(alpha))]
		}
		return string(b)
	}
	var out []string
	for range n {
		aws := []string{"AKIA", "ASIA", "ABIA", "ACCA"}[r.IntN(4)] + draw(b32, 16)
		out = append(out,
			aws,
			strings.ToLower(aws),
			[]string{"ghp_", "gho_", "ghu_", "ghs_", "ghr_"}[r.IntN(5)]+draw(alnum, 36),
			"github_pat_"+draw(alnum, 22)+"_"+draw(alnum, 59),
			[]string{"glpat-", "gldt-", "glrt-"}[r.IntN(3)]+draw(tok, 20),
			[]string{"xoxb-", "xoxp-", "xapp-"}[r.IntN(3)]+draw("0123456789", 12)+"-"+draw(alnum, 24),
			[]string{"sk_live_", "sk_test_", "rk_live_", "rk_test_", "whsec_"}[r.IntN(5)]+draw(alnum, 24),
			"AIza"+draw(tok, 35),
			"eyJ"+draw(tok, 30)+"."+"eyJ"+draw(tok, 40)+"."+draw(tok, 43),
			"aws_secret_access_key="+draw(b64, 40),
			"https://hooks.slack.com/services/T"+draw(alnum, 8)+"/B"+draw(alnum, 8)+"/"+draw(alnum, 24),
		)
	}
	return out
}

// TestGluedTokensGenerated is the generator of the family "a token glued
// to a preceding or following letter or digit" (cat a b prints
// 4294967295AKIA...): left glue × every prefix detector × right glue,
// through Value and the stream masker. No run of twelve bytes of a token
// may be left.
func TestGluedTokensGenerated(t *testing.T) {
	e, err := New(Config{})
	if err != nil {
		t.Fatal(err)
	}
	p, err := e.Policy([]string{"secrets"})
	if err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewPCG(5, 9))
	lefts := []string{"", "4294967295", "0", "x", "Q", "abc123", "_", "-", "id=x", "é", "%", "Done.", "v1.2.", "a.b-c_d."}
	rights := []string{"", "4294967295", "0", "x", "Q", "_", "-", ".", ".x9", "/", "=", "é", "abcDEF"}
	bad, total := 0, 0
	for _, tok := range gluedTokens(r, 6) {
		for _, l := range lefts {
			for _, rt := range rights {
				if lowerAWSLetterGlue(tok, l, rt) {
					continue // a word, by decision (glue.go)
				}
				in := l + tok + rt
				total++
				got, err := valueAndStream(p, in, total%len(in))
				if msg := tokenLeft(tok, got, err); msg != "" {
					if bad++; bad <= 20 {
						t.Errorf("%q -> %q: %s", in, got, msg)
					}
				}
			}
		}
	}
	t.Logf("%d of %d glued tokens left", bad, total)
}

// lowerAWSLetterGlue reports whether tok is an access key ID in lower case
// and l or r ends or begins with a letter: "asia" and "akia" in a word.
func lowerAWSLetterGlue(tok, l, r string) bool {
	if tok != strings.ToLower(tok) || !strings.HasPrefix(tok, "a") || strings.Contains(tok, "_") {
		return false
	}
	letter := func(c byte) bool { return c|0x20 >= 'a' && c|0x20 <= 'z' || c >= 0x80 }
	return l != "" && letter(l[len(l)-1]) || r != "" && letter(r[0])
}

// tokenLeft returns what of tok got still holds, or "".
func tokenLeft(tok, got string, err error) string {
	if err != nil {
		return err.Error()
	}
	body := tok
	if i := strings.IndexAny(tok, "=/"); i > 0 && strings.HasPrefix(tok, "aws_secret") || strings.HasPrefix(tok, "https://") {
		body = tok[strings.LastIndex(tok[:min(len(tok), 40)], "/")+1:]
		if strings.HasPrefix(tok, "aws_secret") {
			body = tok[strings.IndexByte(tok, '=')+1:]
		}
		_ = i
	}
	for i := 0; i+12 <= len(body); i++ {
		if strings.Contains(got, body[i:i+12]) {
			return fmt.Sprintf("%q left", body[i:i+12])
		}
	}
	return ""
}

// TestGluedTokensNoFalsePositives: what holds a prefix glued to letters or
// digits without being a token stays: words in capitals, DNA, upper-case
// hex digests and GUIDs, identifiers in lower case, snake_case names; and
// random base64 and hex blobs.
func TestGluedTokensNoFalsePositives(t *testing.T) {
	e, err := New(Config{})
	if err != nil {
		t.Fatal(err)
	}
	p, err := e.Policy([]string{"secrets"})
	if err != nil {
		t.Fatal(err)
	}
	fixed := []string{
		"SOUTHEASTASIAPACIFICHEADQUARTERS", "EASTASIAREGIONALOFFICEBUILDING", "MACCAFERRIBRIDGEPROJECTPHASEONE",
		"GATTACAACCAGTTGACCAGTACGTACGGTACCATTGACCAGTTGACCA", "TTAKIAGTCGATCGATCGATTAGCTAGCT",
		"eastasiastorage01abcdefgh", "southeastasia2prodcluster01", "nakiapaymentservice12345678", "asiapacificregion12345678",
		"task_live_update_handler_2024", "disk_test_results_for_20240115", "desk_test_aaaaaaaaaaaaaaaaaaaaaaaa",
		"getAIzaPromptTemplateForUser", "xoxb-", "XGHP_SHORT", "ABIA",
		"ACCA1234ABCD5678EF901234", "3F2504E04F8911D39A0C0305E82C3301ACCA0123456789ABCDEF0123",
		"{3F2504E0-4F89-11D3-9A0C-0305E82CACCA}",
		"DE89ACCA20041010050500013M02606", "ACCAPTEDVALUE1234567890",
	}
	for _, in := range fixed {
		if got, _, err := p.Value("", in); err != nil || got != in {
			t.Errorf("%q -> %q, %v", in, got, err)
		}
	}
	r := rand.New(rand.NewPCG(21, 22))
	const blobs = 4000
	masked := 0
	for i := range blobs {
		n := 72 + r.IntN(200) // not a key line's width (keyline.go)
		alpha := []string{"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/",
			"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_", "0123456789ABCDEF", "ACGT"}[i%4]
		b := make([]byte, n)
		for k := range b {
			b[k] = alpha[r.IntN(len(alpha))]
		}
		if got, _, _ := p.Value("", string(b)); got != string(b) {
			masked++
		}
	}
	t.Logf("%d of %d random base64, base64url, hex and DNA blobs masked", masked, blobs)
	if masked > 0 {
		t.Errorf("%d of %d random blobs masked", masked, blobs)
	}
}
