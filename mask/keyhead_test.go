package mask

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"math/big"
	"testing"
	"time"
)

// The first line of a DER private key is read as a key's line whatever
// its random tail (a PKCS#8 RSA key's first line was missed when the
// tail looked regular: a flaky TestKeyLineAloneGenerated); the first
// line of a public key or a certificate is not read by this rule.
func TestDERPrivateKeyHead(t *testing.T) {
	rk, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	ek, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	_, edk, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	must := func(b []byte, err error) []byte {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(7), Subject: pkix.Name{CommonName: "airlock.test"},
		NotBefore: time.Now(), NotAfter: time.Now().Add(time.Hour)}
	private := map[string][]byte{
		"pkcs1 rsa":     x509.MarshalPKCS1PrivateKey(rk),
		"pkcs8 rsa":     must(x509.MarshalPKCS8PrivateKey(rk)),
		"pkcs8 ec":      must(x509.MarshalPKCS8PrivateKey(ek)),
		"pkcs8 ed25519": must(x509.MarshalPKCS8PrivateKey(edk)),
		"sec1 ec":       must(x509.MarshalECPrivateKey(ek)),
	}
	public := map[string][]byte{
		"pkix rsa":    must(x509.MarshalPKIXPublicKey(&rk.PublicKey)),
		"pkcs1 rsa":   x509.MarshalPKCS1PublicKey(&rk.PublicKey),
		"certificate": must(x509.CreateCertificate(rand.Reader, tmpl, tmpl, &ek.PublicKey, ek)),
	}
	firstLine := func(der []byte) []byte {
		b := []byte(base64.StdEncoding.EncodeToString(der))
		return b[:min(len(b), pemLine)]
	}
	for name, der := range private {
		l := firstLine(der)
		if len(l) == pemLine && !derPrivateKeyHead(l) {
			t.Errorf("%s: first line %s not read as a private key's", name, l)
		}
		if len(l) == pemLine && !loneKeyLine(l) {
			t.Errorf("%s: first line %s not read as a key line", name, l)
		}
	}
	for name, der := range public {
		if l := firstLine(der); derPrivateKeyHead(l) {
			t.Errorf("%s: first line %s read as a private key's", name, l)
		}
	}
}
