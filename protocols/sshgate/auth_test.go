package sshgate

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/airlock-sdk/airlock/gate"
	"golang.org/x/crypto/ssh"
)

// TestAuthorizeFromPermissions is CVE-2024-45337: the client offers the
// human's public key (which it cannot sign with), then authenticates with
// the agent's key. The session must be the agent's, not the human's.
func TestAuthorizeFromPermissions(t *testing.T) {
	t.Parallel()
	g := startTestGateway(t)
	// The human's key, locked with a passphrase the client does not have:
	// OpenSSH offers the public key, is told it would be accepted, cannot
	// sign, and moves on to the agent's key.
	pubOnly := filepath.Join(t.TempDir(), "human-locked")
	blk, err := ssh.MarshalPrivateKeyWithPassphrase(g.human.priv, "", []byte("not-known"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(pubOnly, pem.EncodeToMemory(blk), 0o600); err != nil {
		t.Fatal(err)
	}
	pub, err := os.ReadFile(g.human.file + ".pub")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(pubOnly+".pub", pub, 0o644); err != nil {
		t.Fatal(err)
	}
	args := append([]string{"-tt", "-i", pubOnly}, sshArgs(g.addr, g.agent, "-p")...)
	r := run(t, "echo hi; exit\n", "ssh", args...)
	if r.code != ExitRefused {
		t.Fatalf("shell granted to the agent as if it were the human: %+v", r)
	}
	var subjects []string
	for _, e := range g.events(gate.EventSessionStart) {
		subjects = append(subjects, e.Identity.Subject)
	}
	if len(subjects) != 1 || subjects[0] != "agent-1" {
		t.Fatalf("session identities: %q", subjects)
	}
}

func TestCertificateAuthority(t *testing.T) {
	_, caPriv, _ := ed25519.GenerateKey(rand.Reader)
	ca, _ := ssh.NewSignerFromKey(caPriv)
	_, otherPriv, _ := ed25519.GenerateKey(rand.Reader)
	other, _ := ssh.NewSignerFromKey(otherPriv)
	_, userPriv, _ := ed25519.GenerateKey(rand.Reader)
	user, _ := ssh.NewSignerFromKey(userPriv)

	cert := func(signer ssh.Signer, principals []string, ext map[string]string, before time.Time) *ssh.Certificate {
		c := &ssh.Certificate{
			Key: user.PublicKey(), CertType: ssh.UserCert, KeyId: "agent-7", Serial: 7,
			ValidPrincipals: principals, ValidAfter: uint64(time.Now().Add(-time.Hour).Unix()),
			ValidBefore: uint64(before.Unix()), Permissions: ssh.Permissions{Extensions: ext},
		}
		if err := c.SignCert(rand.Reader, signer); err != nil {
			t.Fatal(err)
		}
		return c
	}
	auth := &CertAuthority{Keys: []ssh.PublicKey{ca.PublicKey()}}
	ctx := context.Background()
	later := time.Now().Add(time.Hour)

	id, err := auth.Authenticate(ctx, credential("deploy", cert(ca, []string{"deploy", "agents"}, map[string]string{"airlock-kind@airlock": "service"}, later)))
	if err != nil {
		t.Fatal(err)
	}
	if id.Subject != "agent-7" || id.Kind != gate.KindService || !id.InGroup("agents") {
		t.Fatalf("identity: %+v", id)
	}
	resign := func(c *ssh.Certificate, change func(*ssh.Certificate)) *ssh.Certificate {
		change(c)
		if err := c.SignCert(rand.Reader, ca); err != nil {
			t.Fatal(err)
		}
		return c
	}
	tampered := cert(ca, []string{"deploy"}, nil, later)
	tampered.ValidPrincipals = []string{"root"} // after signing: the signature no longer holds
	for name, c := range map[string]ssh.PublicKey{
		"tampered":  tampered,
		"host cert": resign(cert(ca, []string{"deploy"}, nil, later), func(c *ssh.Certificate) { c.CertType = ssh.HostCert }),
		"not yet valid": resign(cert(ca, []string{"deploy"}, nil, later), func(c *ssh.Certificate) {
			c.ValidAfter = uint64(time.Now().Add(time.Hour).Unix())
		}),
		"unknown critical option": resign(cert(ca, []string{"deploy"}, nil, later), func(c *ssh.Certificate) {
			c.CriticalOptions = map[string]string{"force-command": "id"}
		}),
		"no key id":       resign(cert(ca, []string{"deploy"}, nil, later), func(c *ssh.Certificate) { c.KeyId = "" }),
		"wrong CA":        cert(other, []string{"deploy"}, nil, later),
		"wrong principal": cert(ca, []string{"root"}, nil, later),
		"expired":         cert(ca, []string{"deploy"}, nil, time.Now().Add(-time.Minute)),
		"plain key":       user.PublicKey(),
	} {
		if _, err := auth.Authenticate(ctx, credential("deploy", c)); err == nil {
			t.Errorf("%s accepted", name)
		}
	}
	// A plain-key authenticator refuses certificates, even of a known key.
	keys := &AuthorizedKeys{}
	keys.Add(user.PublicKey(), gate.Identity{Subject: "u"})
	if _, err := keys.Authenticate(ctx, credential("deploy", cert(ca, []string{"deploy"}, nil, later))); err == nil {
		t.Error("certificate accepted as a plain key")
	}
	if _, err := gate.FirstOf(keys, auth).Authenticate(ctx, credential("deploy", cert(ca, []string{"deploy"}, nil, later))); err != nil {
		t.Errorf("chain: %v", err)
	}
	// No key, or bytes that are no key, authenticate nobody.
	for _, a := range []gate.Authenticator{keys, auth} {
		if _, err := a.Authenticate(ctx, gate.Credential{User: "deploy"}); !errors.Is(err, gate.ErrNoCredential) {
			t.Errorf("no key: %v", err)
		}
		if _, err := a.Authenticate(ctx, gate.Credential{User: "deploy", PublicKey: []byte("garbage")}); err == nil {
			t.Error("garbage key accepted")
		}
	}
}

func TestLoadAuthorizedKeys(t *testing.T) {
	dir := t.TempDir()
	k1 := newKey(t, dir, "k1")
	k2 := newKey(t, dir, "k2")
	file := filepath.Join(dir, "agents.pub")
	data := strings.TrimSpace(string(ssh.MarshalAuthorizedKey(k1.signer.PublicKey()))) + " bot-one\n\n" +
		strings.TrimSpace(string(ssh.MarshalAuthorizedKey(k2.signer.PublicKey()))) + " bot-two\n"
	if err := os.WriteFile(file, []byte(data), 0o600); err != nil {
		t.Fatal(err)
	}
	ak, err := LoadAuthorizedKeys(file, nil)
	if err != nil {
		t.Fatal(err)
	}
	id, err := ak.Authenticate(context.Background(), credential("", k2.signer.PublicKey()))
	if err != nil || id.Subject != "bot-two" || id.EffectiveKind() != gate.KindAgent {
		t.Fatalf("%+v %v", id, err)
	}
	if err := os.WriteFile(file, []byte("not a key\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadAuthorizedKeys(file, nil); err == nil {
		t.Fatal("garbage accepted")
	}
	if _, err := identityFrom(&ssh.Permissions{}); err == nil {
		t.Fatal("identity from empty permissions")
	}
}

// credential is what the proxy hands an authenticator for key offered as user.
func credential(user string, key ssh.PublicKey) gate.Credential {
	return gate.Credential{Protocol: gate.ProtocolSSH, ClientAddr: "127.0.0.1:1", User: user, PublicKey: key.Marshal()}
}

// TestCertificateSourceAddress: a certificate restricted by its CA to
// source addresses (critical option source-address) logs in only from
// them, as with OpenSSH's sshd.
func TestCertificateSourceAddress(t *testing.T) {
	t.Parallel()
	up := startSSHD(t)
	_, caPriv, _ := ed25519.GenerateKey(rand.Reader)
	ca, _ := ssh.NewSignerFromKey(caPriv)
	g := startGateway(t, up, testRules, func(c *Config) {
		c.Authenticator = gate.FirstOf(c.Authenticator, &CertAuthority{Keys: []ssh.PublicKey{ca.PublicKey()}})
	})
	_, userPriv, _ := ed25519.GenerateKey(rand.Reader)
	user, _ := ssh.NewSignerFromKey(userPriv)
	login := func(source string) error {
		c := &ssh.Certificate{
			Key: user.PublicKey(), CertType: ssh.UserCert, KeyId: "agent-9", ValidPrincipals: []string{"root"},
			ValidAfter: uint64(time.Now().Add(-time.Hour).Unix()), ValidBefore: uint64(time.Now().Add(time.Hour).Unix()),
			Permissions: ssh.Permissions{CriticalOptions: map[string]string{"source-address": source}},
		}
		if err := c.SignCert(rand.Reader, ca); err != nil {
			t.Fatal(err)
		}
		signer, err := ssh.NewCertSigner(c, user)
		if err != nil {
			t.Fatal(err)
		}
		cl, err := ssh.Dial("tcp", g.addr, &ssh.ClientConfig{User: "root", Auth: []ssh.AuthMethod{ssh.PublicKeys(signer)},
			HostKeyCallback: ssh.InsecureIgnoreHostKey(), Timeout: 10 * time.Second})
		if err == nil {
			cl.Close()
		}
		return err
	}
	if err := login("10.9.9.9/32"); err == nil {
		t.Error("a certificate for 10.9.9.9 logged in from 127.0.0.1")
	}
	if err := login("127.0.0.0/8,10.9.9.9/32"); err != nil {
		t.Errorf("a certificate for 127.0.0.0/8 refused from 127.0.0.1: %v", err)
	}
}
