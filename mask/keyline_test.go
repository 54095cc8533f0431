package mask

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha512"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/hex"
	"encoding/pem"
	"fmt"
	"math/big"
	mrand "math/rand/v2"
	"strings"
	"testing"
	"time"
)

// TestKeyLineAloneGenerated is the generator of the family "one line of a
// key's body alone" (sed -n 5p id_rsa, line after line): every body line
// of five kinds of keys, each alone, written bare, with a line feed, with
// CRLF, indented, quoted, as a JSON string and after other output,
// masked by Value and by the stream masker. A line that decodes to text
// would be counted apart (none of these keys has one).
func TestKeyLineAloneGenerated(t *testing.T) {
	p := jsonPolicy(t, Config{}, "secrets")
	probes, leaks, textLines := 0, 0, 0
	for kind, k := range keyPEMs(t) {
		lines := strings.Split(strings.TrimSpace(k), "\n")
		for i, l := range lines[1 : len(lines)-1] {
			if len(l) != pemLine && len(l) != opensshLine {
				continue // the last, shorter line: with the END line (keybody.go)
			}
			if decodesToText(l) {
				textLines++
				continue
			}
			for wrap, text := range map[string]string{
				"bare":   l,
				"lf":     l + "\n",
				"crlf":   l + "\r\n",
				"indent": "    " + l + "\n",
				"quoted": `"` + l + `"`,
				"json":   jsonString(l + "\n"),
				"after":  "$ sed -n " + fmt.Sprint(i+2) + "p ~/.ssh/id\n" + l + "\n$ ",
			} {
				for _, stream := range []bool{false, true} {
					probes++
					out, err := maskBytes(p, []byte(text), stream)
					if err != nil {
						t.Fatalf("%s %s: %v", kind, wrap, err)
					}
					if strings.Contains(string(out), l[8:40]) {
						if leaks++; leaks <= 10 {
							t.Errorf("%s line %d %s (stream %v): %q", kind, i+1, wrap, stream, out)
						}
					}
				}
			}
		}
	}
	t.Logf("%d of %d lone key lines left (%d lines that decode to text not probed)", leaks, probes, textLines)
}

// decodesToText reports whether the base64 line l decodes to text by the
// rule of loneKeyLine.
func decodesToText(l string) bool {
	b, err := base64.StdEncoding.DecodeString(l)
	if err != nil {
		return false
	}
	n := 0
	for _, c := range b {
		if textByte(c) {
			n++
		}
	}
	return n*8 >= len(b)*7
}

// TestKeyLineFalsePositives builds a corpus of lines that are no key and
// reports how many a lone key line masks; the kinds no key resembles
// must stay, the random bytes in base64 of a key's width are counted.
func TestKeyLineFalsePositives(t *testing.T) {
	p := jsonPolicy(t, Config{}, "secrets")
	r := mrand.New(mrand.NewPCG(31, 37))
	rnd := func(n int) []byte {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(r.Uint32())
		}
		return b
	}
	words := strings.Fields("the quick brown fox jumps over lazy dog Account Settings user Id Region Admin Panel for by and with get set 2024 v2 Handler")
	ident := func(n int) string {
		var b strings.Builder
		for b.Len() < n {
			w := words[r.IntN(len(words))]
			b.WriteString(strings.ToUpper(w[:1]) + w[1:])
		}
		return b.String()[:n]
	}
	text := "Airlock masks sensitive data in results before a client sees it; this line is prose.\n"
	kinds := map[string]func() string{
		"sha256 hex":       func() string { s := sha512.Sum512_256(rnd(32)); return hex.EncodeToString(s[:]) },
		"sha256 hex upper": func() string { s := sha512.Sum512_256(rnd(32)); return strings.ToUpper(hex.EncodeToString(s[:])) },
		"sha512 hex":       func() string { s := sha512.Sum512(rnd(32)); return hex.EncodeToString(s[:]) },
		"sha512 base64":    func() string { s := sha512.Sum512(rnd(32)); return base64.StdEncoding.EncodeToString(s[:]) },
		"sha384 SRI":       func() string { s := sha512.Sum384(rnd(32)); return "sha384-" + base64.StdEncoding.EncodeToString(s[:]) },
		"uuid": func() string {
			b := hex.EncodeToString(rnd(16))
			return b[:8] + "-" + b[8:12] + "-" + b[12:16] + "-" + b[16:20] + "-" + b[20:]
		},
		"url":           func() string { return "https://example.com/api/v2/items/" + hex.EncodeToString(rnd(12)) + "?page=2" },
		"identifier 64": func() string { return ident(64) },
		"identifier 70": func() string { return ident(70) },
		"base64 of text, 64": func() string {
			e := base64.StdEncoding.EncodeToString([]byte(strings.Repeat(text, 2)))
			o := r.IntN(40) * 4
			return e[o : o+64]
		},
		"base64 of text, 70": func() string {
			e := base64.StdEncoding.EncodeToString([]byte(strings.Repeat(text, 2)))
			o := r.IntN(40) * 4
			return e[o : o+70]
		},
		"sha384 base64 (random)": func() string { s := sha512.Sum384(rnd(32)); return base64.StdEncoding.EncodeToString(s[:]) },
		"certificate line":       certLine(t),
	}
	// A lone line of random bytes (a key's) that is not masked.
	missed := 0
	const randomLines = 20000
	for range randomLines {
		if !loneKeyLine([]byte(base64.StdEncoding.EncodeToString(rnd(48)))) {
			missed++
		}
	}
	t.Logf("random base64 of 64 characters: %d of %d not read as a key line", missed, randomLines)
	if missed*1000 > randomLines {
		t.Errorf("%d of %d random lines not read as a key line", missed, randomLines)
	}
	const each = 300
	stay := map[string]bool{"sha384 base64 (random)": false, "certificate line": false}
	for name, gen := range kinds {
		masked := 0
		for range each {
			l := gen()
			out, _, err := p.Value("", l+"\n")
			if err != nil || out != l+"\n" {
				if masked++; masked <= 2 {
					t.Logf("%s: %q", name, l)
				}
			}
		}
		t.Logf("%-24s %3d of %d masked", name, masked, each)
		if _, counted := stay[name]; !counted && masked > 0 {
			t.Errorf("%s: %d of %d lines masked", name, masked, each)
		}
	}
}

// certLine returns a generator of body lines of a self-signed
// certificate's PEM, one at random.
func certLine(t *testing.T) func() string {
	k, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tpl := &x509.Certificate{SerialNumber: big.NewInt(7), Subject: pkix.Name{CommonName: "airlock.test"},
		NotBefore: time.Unix(0, 0), NotAfter: time.Unix(1<<31, 0)}
	der, err := x509.CreateCertificate(rand.Reader, tpl, tpl, &k.PublicKey, k)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))), "\n")
	body := lines[1 : len(lines)-2] // full-width lines
	i := 0
	return func() string { i++; return body[i%len(body)] }
}
