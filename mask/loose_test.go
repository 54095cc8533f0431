package mask

import (
	"errors"
	"math/rand/v2"
	"strings"
	"testing"
	"unicode"
)

// digitsIn rewrites the ASCII digits of s with the digits of another
// script, given its zero.
func digitsIn(s string, zero rune) string {
	return strings.Map(func(r rune) rune {
		if r >= '0' && r <= '9' {
			return zero + r - '0'
		}
		return r
	}, s)
}

// fullwidth rewrites printable ASCII as fullwidth forms.
func fullwidth(s string) string {
	return strings.Map(func(r rune) rune {
		if r > ' ' && r < 0x7F {
			return r + 0xFEE0
		}
		return r
	}, s)
}

// spread puts sep between every two runes of s.
func spread(s, sep string) string {
	return strings.Join(strings.Split(s, ""), sep)
}

func reverse(s string) string {
	r := []rune(s)
	for i, j := 0, len(r)-1; i < j; i, j = i+1, j-1 {
		r[i], r[j] = r[j], r[i]
	}
	return string(r)
}

const card = "4111111111111111"

func TestLooseCardUnicodeDigits(t *testing.T) {
	sup := strings.NewReplacer("0", "⁰", "1", "¹", "2", "²", "3", "³", "4", "⁴", "5", "⁵", "6", "⁶", "7", "⁷", "8", "⁸", "9", "⁹")
	sub := strings.NewReplacer("0", "₀", "1", "₁", "4", "₄", "5", "₅")
	runDetCases(t, "credit_card", []detCase{
		{fullwidth("4111 1111 1111 1111"), "[CREDIT_CARD]"},
		{"card ４１１１１１１１１１１１１１１１.", "card [CREDIT_CARD]."},
		{digitsIn(card, '٠'), "[CREDIT_CARD]"},                  // Arabic-Indic
		{digitsIn(card, '۰'), "[CREDIT_CARD]"},                  // Extended Arabic-Indic
		{digitsIn(card, '०'), "[CREDIT_CARD]"},                  // Devanagari
		{digitsIn(card, '০'), "[CREDIT_CARD]"},                  // Bengali
		{digitsIn(card, 0x1D7CE), "[CREDIT_CARD]"},              // mathematical bold
		{digitsIn(card, 0x1D7F6), "[CREDIT_CARD]"},              // mathematical monospace
		{digitsIn("5555-5555-5555-4444", '๐'), "[CREDIT_CARD]"}, // Thai
		{sup.Replace(card), "[CREDIT_CARD]"},
		{sub.Replace("5105105105105100"), "[CREDIT_CARD]"},
		{"4111 1111 ①①①① 1111", "[CREDIT_CARD]"}, // circled
		{"4111 1111 1111 111１", "[CREDIT_CARD]"}, // one look-alike at the end
		{"４111111111111111", "[CREDIT_CARD]"},    // one look-alike at the start
		// negatives: the same checks as ASCII
		{digitsIn("4111111111111112", '٠'), digitsIn("4111111111111112", '٠')}, // Luhn
		{digitsIn("1234567812345670", '०'), digitsIn("1234567812345670", '०')}, // no network
		{fullwidth("41111111111111111"), fullwidth("41111111111111111")},       // 17 digits
	})
}

func TestLooseCardSeparators(t *testing.T) {
	runDetCases(t, "credit_card", []detCase{
		{"4111.1111.1111.1111", "[CREDIT_CARD]"},
		{"4111_1111_1111_1111", "[CREDIT_CARD]"},
		{"4111/1111/1111/1111", "[CREDIT_CARD]"},
		{"4111  1111  1111  1111", "[CREDIT_CARD]"},
		{"4111\t1111\t1111\t1111", "[CREDIT_CARD]"},
		{"4111\n1111\n1111\n1111", "[CREDIT_CARD]"},
		{"4111\r\n1111\r\n1111\r\n1111", "[CREDIT_CARD]"},
		{"4111 - 1111 - 1111 - 1111", "[CREDIT_CARD]"},
		{"4111\u00a01111\u00a01111\u00a01111", "[CREDIT_CARD]"},
		{"4111\u202f1111\u202f1111\u202f1111", "[CREDIT_CARD]"},
		{"4111\u20131111\u20141111\u22121111", "[CREDIT_CARD]"}, // en, em dash, minus
		{"x " + spread(card, " ") + " y", "x [CREDIT_CARD] y"},  // regexp_replace(card, '(.)', '\1 ', 'g')
		{spread(card, "-"), "[CREDIT_CARD]"},
		{spread(card, ","), spread(card, ",")}, // comma: not a separator (CSV, arrays)
		{spread(card, "\u200b"), "[CREDIT_CARD]"},
		{spread(card, "\u200c"), "[CREDIT_CARD]"},
		{spread(card, "\u200d"), "[CREDIT_CARD]"},
		{spread(card, "\u2060"), "[CREDIT_CARD]"},
		{spread(card, "\u00ad"), "[CREDIT_CARD]"},
		{spread(card, "\ufeff"), "[CREDIT_CARD]"},
		{spread(card, "\u202e"), "[CREDIT_CARD]"}, // bidi override
		{"41" + strings.Repeat("\u200b", 20) + "11111111111111", "[CREDIT_CARD]"},
		{"4111 1111 1111 1111\u200b2", "[CREDIT_CARD]\u200b2"}, // the strict scanner's groups
		{"3782.822463.10005", "[CREDIT_CARD]"},                 // Amex 4-6-5
		{"41.11.11.11.11.11.11.11", "[CREDIT_CARD]"},           // pairs
		{spread(card, " . "), "[CREDIT_CARD]"},                 // three separators
		// negatives
		{"4111    1111 1111 1111", "4111    1111 1111 1111"}, // four separators
		{"v4.16.47\n2026-11-06", "v4.16.47\n2026-11-06"},     // irregular groups
		{"4.111111111111111e15", "4.111111111111111e15"},
		{"4111.1111.1111.1112", "4111.1111.1111.1112"}, // Luhn
		{"1111.1111.1111.1111", "1111.1111.1111.1111"}, // no network
	})
}

func TestLooseCardSpanBound(t *testing.T) {
	// More invisible characters in a row than the scanners skip: the
	// number is spread beyond what the look-ahead reads, and is refused
	// rather than passed (invisible.go).
	in := spread(card, strings.Repeat("\u200b", 6))
	p := jsonPolicy(t, Config{}, "credit_card")
	if got, _, err := p.Value("", in); !errors.Is(err, ErrLimit) {
		t.Errorf("spread over %d bytes: %q %v", len(in), got, err)
	}
	in = spread(card, strings.Repeat("\u200b", 4))
	if got := detect(t, "credit_card", in); got != "[CREDIT_CARD]" {
		t.Errorf("spread over %d bytes: %q", len(in), got)
	}
}

func TestLooseCardReversed(t *testing.T) {
	runDetCases(t, "credit_card", []detCase{
		{reverse(card), "[CREDIT_CARD]"},
		{"n=" + reverse("5555555555554444") + ";", "n=[CREDIT_CARD];"},
		{reverse("378282246310005"), "[CREDIT_CARD]"},
		{reverse("4111 1111 1111 1111"), "[CREDIT_CARD]"},
		{reverse("6011000990139424"), "[CREDIT_CARD]"},
		{digitsIn(reverse(card), '٠'), "[CREDIT_CARD]"},
		{reverse("4111111111111112"), reverse("4111111111111112")}, // Luhn
		{"9" + reverse(card), "9" + reverse(card)},                 // 17 digits
	})
}

func TestLooseSSN(t *testing.T) {
	runDetCases(t, "us_ssn", []detCase{
		{"123.45.6789", "[US_SSN]"},
		{"123_45_6789", "[US_SSN]"},
		{"123/45/6789", "[US_SSN]"},
		{"123 – 45 – 6789", "[US_SSN]"},
		{fullwidth("123-45-6789"), "[US_SSN]"},
		{digitsIn("123-45-6789", '٠'), "[US_SSN]"},
		{digitsIn("123456789", 0x1D7CE), "[US_SSN]"},
		{spread("123456789", " "), "[US_SSN]"},
		{spread("123456789", "\u200b"), "[US_SSN]"},
		{"ssn: 1 2 3 4 5 6 7 8 9.", "ssn: [US_SSN]."},
		// negatives
		{"12.345.6789", "12.345.6789"},                       // 2-3-4
		{"2024.01.05 123", "2024.01.05 123"},                 // not nine
		{"1234.56.789", "1234.56.789"},                       // 4-2-3
		{fullwidth("666-45-6789"), fullwidth("666-45-6789")}, // SSA rules
		{fullwidth("123-45-67890"), fullwidth("123-45-67890")},
	})
}

func TestLoosePhoneIBAN(t *testing.T) {
	runDetCases(t, "phone", []detCase{
		{fullwidth("+44 20 7946 0958"), "[PHONE]"},
		{"+" + digitsIn("14155552671", '٠'), "[PHONE]"},
		{fullwidth("(415) 555-2671"), "[PHONE]"},
		{digitsIn("415-555-2671", '०'), "[PHONE]"},
		{"415\u2013555\u20132671", "[PHONE]"},
		{"4\u200b15-555-2671", "[PHONE]"},
		{digitsIn("0415-555-2671", '٠'), digitsIn("0415-555-2671", '٠')},
		{fullwidth("4155552671"), fullwidth("4155552671")}, // ten bare digits, as in ASCII
	})
	runDetCases(t, "iban", []detCase{
		{fullwidth("GB82 WEST 1234 5698 7654 32"), "[IBAN]"},
		{"GB" + digitsIn("82", '٠') + "WEST12345698765432", "[IBAN]"},
		{"DE89\u200b370400440532013000", "[IBAN]"},
		{fullwidth("DE89370400440532013001"), fullwidth("DE89370400440532013001")}, // mod 97
	})
}

// TestDigitValueTable checks the assumption digitValue makes about the Nd
// table, and that every Nd rune and every folded look-alike has the value
// its name gives.
func TestDigitValueTable(t *testing.T) {
	for _, g := range unicode.Nd.R16 {
		if g.Stride != 1 || (int(g.Hi)-int(g.Lo)+1)%10 != 0 {
			t.Fatalf("Nd range %#x-%#x", g.Lo, g.Hi)
		}
	}
	for _, g := range unicode.Nd.R32 {
		if g.Stride != 1 || (int(g.Hi)-int(g.Lo)+1)%10 != 0 {
			t.Fatalf("Nd range %#x-%#x", g.Lo, g.Hi)
		}
	}
	for r, want := range map[rune]int{'7': 7, '٧': 7, '７': 7, '𝟕': 7, '⁷': 7, '₇': 7, '⑦': 7, '¹': 1, '²': 2, '³': 3, '⁰': 0, '𝟎': 0, '𝟿': 9, 'x': -1, '½': -1, 'Ⅶ': -1} {
		if got := digitValue(r); got != want {
			t.Errorf("digitValue(%q) = %d, want %d", r, got, want)
		}
	}
}

// looseFragments are the disguised forms for the stream and plaintext
// properties.
var looseFragments = []string{
	fullwidth("4111 1111 1111 1111"), digitsIn(card, '٠'), digitsIn(card, 0x1D7CE),
	spread(card, " "), spread(card, "\u200b"), "4111.1111.1111.1111", "4111\n1111\n1111\n1111",
	reverse(card), fullwidth("123-45-6789"), fullwidth("+44 20 7946 0958"),
	fullwidth("GB82 WEST 1234 5698 7654 32"), "４", "\u200b", "\u00a0", "–", "é", "中文",
	"\xe4", "\xef\xbc", "1", " ",
}

func TestLooseStreamEqualsValue(t *testing.T) {
	p := testPolicy(t)
	r := rand.New(rand.NewPCG(5, 6))
	for i := 0; i < 200; i++ {
		var b strings.Builder
		for n := 20 + r.IntN(2000); b.Len() < n; {
			if r.IntN(2) == 0 {
				b.WriteString(looseFragments[r.IntN(len(looseFragments))])
			} else {
				b.WriteString(fragments[r.IntN(len(fragments))])
			}
			if r.IntN(3) == 0 {
				b.WriteByte(" \n.-_"[r.IntN(5)])
			}
		}
		in := []byte(b.String())
		var cuts []int
		if i%2 == 0 {
			for c := 0; c < len(in); c += 1 + r.IntN(300) {
				cuts = append(cuts, c)
			}
		} else {
			for c := 0; c < len(in); c++ {
				cuts = append(cuts, c)
			}
		}
		checkStream(t, p, in, cuts)
	}
}

// TestLoosePlaintextIsGone checks that no disguised card survives when it
// stands between spaces.
func TestLoosePlaintextIsGone(t *testing.T) {
	p := testPolicy(t)
	for _, v := range looseFragments[:11] {
		for _, ctx := range []string{"%s", "a %s b", "x\n%s\ny", `{"v": "%s"}`} {
			in := strings.Replace(ctx, "%s", v, 1)
			out, f, err := p.Value("", in)
			if err != nil || f == nil || strings.Contains(out, v) {
				t.Errorf("%q -> %q %v %v", in, out, f, err)
			}
			w, _, err := streamMask(p, []byte(in), []int{1, 2, 3, 5, 8})
			if err != nil || string(w) != out {
				t.Errorf("stream %q -> %q, value %q", in, w, out)
			}
		}
	}
}

func TestEmailLookalikes(t *testing.T) {
	long := fullwidth(strings.Repeat("a", 40) + "@" + strings.Repeat("b", 66) + ".com")
	runDetCases(t, "email", []detCase{
		{"ａｄａ＠example.com", "[EMAIL]"},
		{"to: " + fullwidth("ada@example.com") + ".", "to: [EMAIL]."},
		{"ａｄａ@example.com", "[EMAIL]"},
		{"ａda@example.com", "[EMAIL]"}, // no first-letter leak
		{"ada﹫example.com", "[EMAIL]"}, // small commercial at
		{"ada@example。com", "[EMAIL]"}, // ideographic full stop
		{"ada\u200b@example.com", "[EMAIL]"},
		{"ada@\u200bexample.com", "[EMAIL]"},
		{spread("ada@example.com", "\u200b"), "[EMAIL]"},
		{"日本 ann@example.com 中文", "日本 [EMAIL] 中文"},
		{"ann@example.com中文", "[EMAIL]中文"},
		{"ada(at)example.com", "[EMAIL]"},       // spelled out: a reader puts it back (words.go)
		{"ada at example [dot] com", "[EMAIL]"}, // likewise
		// negatives and deliberate limits
		{"ada at example dot com", "[EMAIL]"}, // bare words alone, beside " dot " (words.go)
		{"ａｄａ＠ｅｘａｍｐｌｅ", "ａｄａ＠ｅｘａｍｐｌｅ"},        // no TLD
		{"＠example.com", "＠example.com"},      // no local part
		{"ann@exämple.com", "[EMAIL]"},        // an internationalised domain (RFC 6531; emailintl_test.go)
		{long, long},                          // more than maxLen bytes: see foldedEmail
	})
}

func TestSecretCaseTricks(t *testing.T) {
	runDetCases(t, "aws_access_key_id", []detCase{
		{"AKIAIOSFODNN7EXAMPLE", "[AWS_ACCESS_KEY_ID]"},
		{"akiaiosfodnn7example", "[AWS_ACCESS_KEY_ID]"}, // lower(): lossless, an agent can undo it
		{"id=asiaiosfodnn7example;", "id=[AWS_ACCESS_KEY_ID];"},
		{"AkiaIOSFODNN7EXAMPLE", "AkiaIOSFODNN7EXAMPLE"}, // mixed case: not a key ID
		{"akiaIOSFODNN7EXAMPLE", "akiaIOSFODNN7EXAMPLE"},
		{"akiaiosfodnn7examplex", "akiaiosfodnn7examplex"}, // 17 characters
	})
	// Tokens with mixed-case bodies: upper() or lower() destroys the value
	// (about one bit per letter), so the case-sensitive prefixes stay.
	runDetCases(t, "github_token", []detCase{
		{"GHP_16C7E42F292C6912E7710C838347AE178B4A", "GHP_16C7E42F292C6912E7710C838347AE178B4A"},
	})
}

func TestLooseURLEncoded(t *testing.T) {
	runDetCases(t, "credit_card", []detCase{
		{"card=4111%201111%201111%201111&x=1", "card=[CREDIT_CARD]&x=1"},
		{"card=4111+1111+1111+1111&x=1", "card=[CREDIT_CARD]&x=1"},
		{"card=4111%2d1111%2D1111%2d1111", "card=[CREDIT_CARD]"},
		// Percent-encoding is decoded wherever it stands (escape.go);
		// so are runs of base64 and hex that decode to text (encruns.go).
		{"%34%31%31%31%31%31%31%31%31%31%31%31%31%31%31%31", "[CREDIT_CARD]"},
		{"NDExMTExMTExMTExMTExMQ==", "[CREDIT_CARD]=="},
		{"34313131313131313131313131313131", "[CREDIT_CARD]"},
	})
}

// TestLooseBoundedLookBehind: invisible characters before a look-alike
// number are skipped a few at a time only.
func TestLooseBoundedLookBehind(t *testing.T) {
	in := "+" + strings.Repeat("\u200b", 200) + fullwidth("14155552671")
	if got := detect(t, "phone", in); got != in {
		t.Errorf("%q", got)
	}
	in = strings.Repeat("\u200b", 4) + "ａｄａ＠example.com"
	if got := detect(t, "email", in); got != strings.Repeat("\u200b", 4)+"[EMAIL]" {
		t.Errorf("%q", got)
	}
}

func TestLooseJSON(t *testing.T) {
	p := testPolicy(t)
	for _, c := range []struct{ in, want string }{
		{`{"4111111111111111": 1, "ａｄａ＠example.com": "x"}`, `{"[CREDIT_CARD]":1,"[EMAIL]":"x"}`}, // keys too
		{`{"n": "\uff14\uff11\uff11\uff11\uff11\uff11\uff11\uff11\uff11\uff11\uff11\uff11\uff11\uff11\uff11\uff11"}`, `{"n":"[CREDIT_CARD]"}`},
		{`{"n": "4111\u200b1111\u200b1111\u200b1111"}`, `{"n":"[CREDIT_CARD]"}`},
		{`{"n": "1111111111111114"}`, `{"n":"[CREDIT_CARD]"}`},                     // reversed
		{`[4,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1]`, `[4,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1]`}, // an array of digits: commas are not separators
	} {
		out, _, err := p.JSON([]byte(c.in))
		if err != nil || string(out) != c.want {
			t.Errorf("JSON(%s) = %s, %v; want %s", c.in, out, err, c.want)
		}
	}
}

// TestLooseIrregularDisguised: irregular groups plus one invisible or
// look-alike character anywhere count as disguised.
func TestLooseIrregularDisguised(t *testing.T) {
	runDetCases(t, "credit_card", []detCase{
		{"4111-11-111111111\u200b1", "[CREDIT_CARD]"},
		{"4111-11111111111\u200b1", "[CREDIT_CARD]"},
		{"4111.11.11.111111.1１", "[CREDIT_CARD]"},
		{"41-111111111111\u00ad11", "[CREDIT_CARD]"},
	})
}

func TestLooseNonASCIISeparatorDisguised(t *testing.T) {
	runDetCases(t, "credit_card", []detCase{
		{"4111 11\u00a01111111111", "[CREDIT_CARD]"},
		{"4111\u201311\u20131111111111", "[CREDIT_CARD]"},
	})
}
