package packed

import (
	"bytes"
	"compress/gzip"
	"compress/zlib"
	"encoding/base64"
	"encoding/hex"
	"math/rand/v2"
	"strings"
	"testing"
)

func gz(s string) []byte {
	var b bytes.Buffer
	w := gzip.NewWriter(&b)
	w.Write([]byte(s))
	w.Close()
	return b.Bytes()
}

func zl(s string) []byte {
	var b bytes.Buffer
	w := zlib.NewWriter(&b)
	w.Write([]byte(s))
	w.Close()
	return b.Bytes()
}

// TestScannerFindsEncodedPackedData: gzip, zlib, zip and PDF data in
// base64, base64url and hex, at the start of a text, after a quote, a
// path, a data: URI, split across writes at every point.
func TestScannerFindsEncodedPackedData(t *testing.T) {
	payload := "name,card\nann,4111 1111 1111 1111\n"
	datas := map[string][]byte{"gzip": gz(payload), "zlib": zl(payload), "zip": []byte("PK\x03\x04\x14\x00\x08\x00\x08\x00" + payload),
		"PDF": []byte("%PDF-1.4\n%\xe2\xe3\xcf\xd3\n" + payload), "xz": []byte("\xfd7zXZ\x00\x00\x04\xe6\xd6\xb4F\x02\x00!\x01" + payload),
		"zstd": []byte("\x28\xb5\x2f\xfd\x24\x1c\xa5\x00\x00" + payload)}
	encs := map[string]func([]byte) string{"base64": base64.StdEncoding.EncodeToString, "base64url": base64.RawURLEncoding.EncodeToString, "hex": hex.EncodeToString}
	wraps := []string{"%s", `{"file":"%s"}`, "data:application/octet-stream;base64,%s", "/files/%s/x", "see %s.", "a+%s"}
	for name, d := range datas {
		for en, enc := range encs {
			for _, w := range wraps {
				text := strings.Replace(w, "%s", enc(d), 1)
				for cut := 0; cut <= len(text); cut += 1 + len(text)/13 {
					var s Scanner
					s.Write([]byte(text[:cut]))
					s.Write([]byte(text[cut:]))
					s.Close()
					if s.Found() == "" {
						t.Errorf("%s in %s in %q (cut at %d) not found", name, en, text, cut)
					}
				}
			}
		}
	}
}

// TestScannerPassesText: prose, JSON with long camelCase keys, hashes,
// JWTs, UUIDs, base64 of text and of images are not packed data.
func TestScannerPassesText(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	texts := []string{
		"The quick brown fox jumps over the international lazy dog; internationalization is hard.",
		`{"customerIdentifier":"a1b2","billingAddressLine":"1 Main St","eJournalSubscription":true}`,
		"sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
		"eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U",
		"123e4567-e89b-12d3-a456-426614174000",
		base64.StdEncoding.EncodeToString([]byte("hello world, this is plain text")),
		"data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==",
	}
	// Random identifiers as APIs emit them.
	const alpha = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
	for range 20000 {
		b := make([]byte, 12+r.IntN(30))
		for i := range b {
			b[i] = alpha[r.IntN(len(alpha))]
		}
		texts = append(texts, string(b))
	}
	found := 0
	for _, text := range texts {
		if name := Encoded([]byte(text)); name != "" {
			found++
			if found < 5 {
				t.Logf("%q read as %s", text, name)
			}
		}
	}
	if found > 0 {
		t.Errorf("%d of %d texts read as packed data", found, len(texts))
	}
}

// TestScannerAllocatesNothing: scanning text, words and encoded runs
// included, allocates nothing (it runs on every masked body).
func TestScannerAllocatesNothing(t *testing.T) {
	text := []byte(strings.Repeat(`{"customerIdentifier":"a1b2c3d4e5f6a7b8c9d0","note":"see /files/abc/def and eyJhbGciOiJIUzI1NiJ9"} `, 50))
	var s Scanner
	if n := testing.AllocsPerRun(20, func() { s.Write(text) }); n != 0 {
		t.Errorf("Write allocated %v times", n)
	}
	if s.Found() != "" {
		t.Errorf("found %s in text", s.Found())
	}
}
