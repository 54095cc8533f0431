package mask

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"strings"
	"testing"

	"golang.org/x/crypto/ssh"
)

// keyPEMs returns private keys as tools write them: PKCS#1, PKCS#8 and
// SEC 1 with 64-character lines, OpenSSH's format with 70.
func keyPEMs(t *testing.T) map[string]string {
	t.Helper()
	rk, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	ek, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	_, edk, _ := ed25519.GenerateKey(rand.Reader)
	out := map[string]string{}
	out["pkcs1"] = string(pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(rk)}))
	p8, _ := x509.MarshalPKCS8PrivateKey(rk)
	out["pkcs8"] = string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: p8}))
	ec, _ := x509.MarshalECPrivateKey(ek)
	out["sec1"] = string(pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: ec}))
	for name, k := range map[string]any{"openssh-rsa": rk, "openssh-ed25519": edk} {
		b, err := ssh.MarshalPrivateKey(k, "")
		if err != nil {
			t.Fatal(err)
		}
		out[name] = rewrap(string(pem.EncodeToMemory(b)), 70)
	}
	return out
}

// rewrap writes the body of a PEM text in lines of n characters.
func rewrap(p string, n int) string {
	lines := strings.Split(strings.TrimSpace(p), "\n")
	body := strings.Join(lines[1:len(lines)-1], "")
	var b strings.Builder
	b.WriteString(lines[0] + "\n")
	for i := 0; i < len(body); i += n {
		b.WriteString(body[i:min(i+n, len(body))] + "\n")
	}
	b.WriteString(lines[len(lines)-1] + "\n")
	return b.String()
}

// TestKeyWindowsGenerated is the generator of the family "a private key
// without its armour": every window of the lines of five kinds of keys
// that holds two or more body lines, or one with the END line (what
// tail, head, sed ranges and grep -v print), written plain, with CRLF,
// indented, and as a JSON string, masked by Value and by the stream
// masker: no body line of the key comes through.
func TestKeyWindowsGenerated(t *testing.T) {
	p := jsonPolicy(t, Config{}, "secrets")
	probes, leaks := 0, map[string]int{}
	for kind, k := range keyPEMs(t) {
		lines := strings.Split(strings.TrimSpace(k), "\n")
		body := lines[1 : len(lines)-1]
		for i := 0; i < len(lines); i++ {
			for j := i + 1; j <= len(lines); j++ {
				w := lines[i:j]
				bodyLines := min(j, len(lines)-1) - max(i, 1)
				if bodyLines < 1 || bodyLines < 2 && j < len(lines) {
					continue // one body line alone: not told from other base64
				}
				for wrap, text := range map[string]string{
					"plain":  strings.Join(w, "\n") + "\n",
					"crlf":   strings.Join(w, "\r\n") + "\r\n",
					"indent": "key: |\n    " + strings.Join(w, "\n    ") + "\n",
					"json":   jsonString(strings.Join(w, "\n")),
					"lines":  jsonLines(w),
				} {
					for _, stream := range []bool{false, true} {
						probes++
						out, err := maskBytes(p, []byte("output:\n"+text), stream)
						if err != nil {
							t.Fatalf("%s %s: %v", kind, wrap, err)
						}
						for _, l := range body {
							if strings.Contains(string(out), l) {
								leaks[kind+" "+wrap]++
								break
							}
						}
					}
				}
			}
		}
	}
	n := 0
	for _, c := range leaks {
		n += c
	}
	if n > 0 {
		t.Errorf("%d of %d windows of keys pass a body line: %v", n, probes, leaks)
	}
}

// jsonLines is lines as a JSON array of strings.
func jsonLines(lines []string) string {
	b, _ := json.Marshal(lines)
	return string(b)
}

// jsonString is s as a JSON string.
func jsonString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// TestKeyBlocksLeaveOtherTextAlone: text with base64 that is no block of
// lines (a token, a data URI, one long line, a short list of hashes)
// keeps it.
func TestKeyBlocksLeaveOtherTextAlone(t *testing.T) {
	p := jsonPolicy(t, Config{}, "secrets")
	for _, text := range []string{
		"image: data:image/png;base64," + strings.Repeat("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk", 3) + "\n",
		"sha256 " + strings.Repeat("a", 64) + "\nsha512 " + strings.Repeat("b", 128) + "\n",
		"hash1 0c9f3b1a8e7d6c5b4a39281706f5e4d3\nhash2 1d0e4c2b9f8e7d6c5b4a392817060f5e\n",
		"one line " + strings.Repeat("QUJD", 20) + "\nand text after it\n",
		"-----END CERTIFICATE-----\n",
	} {
		out, _, err := p.Value("", text)
		if err != nil || out != text {
			t.Errorf("changed: %q -> %q (%v)", text, out, err)
		}
	}
}
