package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// consoleSection is a review section whose console listens at addr, with
// extra settings.
func consoleSection(addr, extra string) string {
	return `
identities: {tokens: {agent-token-0123456789: {subject: agent-1, kind: agent}}}
review: {console: {listen: "` + addr + `", reviewers: {alice-review-0123456789: {subject: alice, kind: human}}` + extra + `}}`
}

// TestServeRefusesAPlaintextConsoleBeyondLoopback: a console that would
// take reviewer tokens in clear from the network is refused when the
// config is loaded, however its address is written; loopback, TLS, or an
// explicit allow_plaintext (a proxy in front terminates TLS) load.
func TestServeRefusesAPlaintextConsoleBeyondLoopback(t *testing.T) {
	dir := t.TempDir()
	cert, key := writeSelfSigned(t, dir)
	for _, addr := range []string{":8443", "0.0.0.0:8443", "[::]:8443", "10.1.2.3:8443", "192.168.0.7:0", "review.example.com:443", "[2001:db8::1]:8443"} {
		_, err := loadServeConfig(writeTokenConfig(t, t.TempDir(), consoleSection(addr, "")))
		if assert.Error(t, err, addr) {
			assert.Contains(t, err.Error(), "in clear", addr)
		}
		for _, extra := range []string{", allow_plaintext: true", ", tls_cert: " + cert + ", tls_key: " + key} {
			_, err := loadServeConfig(writeTokenConfig(t, t.TempDir(), consoleSection(addr, extra)))
			assert.NoError(t, err, addr+extra)
		}
	}
	for _, addr := range []string{"127.0.0.1:8443", "127.0.0.2:0", "localhost:8443", "[::1]:8443"} {
		_, err := loadServeConfig(writeTokenConfig(t, t.TempDir(), consoleSection(addr, "")))
		assert.NoError(t, err, addr)
	}
	_, err := loadServeConfig(writeTokenConfig(t, t.TempDir(), consoleSection("127.0.0.1:0", ", tls_cert: "+cert)))
	assert.ErrorContains(t, err, "go together")
}

// TestServeConsoleOverTLS: with tls_cert and tls_key the console answers
// over TLS (curl), and a plaintext request gets no console page.
func TestServeConsoleOverTLS(t *testing.T) {
	requireTool(t, "curl")
	curl, _ := exec.LookPath("curl")
	bin := buildAirlock(t)
	dir := t.TempDir()
	cert, key := writeSelfSigned(t, dir)
	addr := freePort(t)
	writeFile(t, filepath.Join(dir, "rules.yaml"), "default: deny\n")
	cfg := `
rules: {file: ` + dir + `/rules.yaml}
record: {file: {path: ` + dir + `/record.jsonl}}
http: {listen: ` + freePort(t) + `, upstream: "http://127.0.0.1:9"}
identities: {tokens: {agent-token-0123456789: {subject: agent-1, kind: agent}}}
review: {console: {listen: "` + addr + `", tls_cert: ` + cert + `, tls_key: ` + key + `, reviewers: {alice-review-0123456789: {subject: alice, kind: human}}}}
`
	startGateway(t, bin, dir, cfg)
	out, err := exec.Command(curl, "-sS", "-k", "--max-time", "10", "-o", "/dev/null", "-w", "%{http_code}",
		"-H", "Authorization: Bearer alice-review-0123456789", "https://"+addr+"/").CombinedOutput()
	require.NoError(t, err, string(out))
	assert.Equal(t, "200", strings.TrimSpace(string(out)))
	plain, _ := exec.Command(curl, "-sS", "--max-time", "10", "-H", "Authorization: Bearer alice-review-0123456789", "http://"+addr+"/").CombinedOutput()
	assert.NotContains(t, string(plain), "<html", "the console answered in clear")
}

// writeSelfSigned writes a self-signed certificate for 127.0.0.1 and its
// key, and returns their paths.
func writeSelfSigned(t *testing.T, dir string) (certPath, keyPath string) {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "127.0.0.1"},
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &k.PublicKey, k)
	require.NoError(t, err)
	kder, err := x509.MarshalECPrivateKey(k)
	require.NoError(t, err)
	certPath, keyPath = filepath.Join(dir, "console.crt"), filepath.Join(dir, "console.key")
	writeFile(t, certPath, string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})))
	writeFile(t, keyPath, string(pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder})))
	return certPath, keyPath
}
