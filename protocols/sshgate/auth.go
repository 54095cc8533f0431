package sshgate

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/airlock-sdk/airlock/gate"
	"golang.org/x/crypto/ssh"
)

// Authenticator maps a client's public key (or certificate) to an identity.
// It is called from the SSH public-key callback, possibly several times per
// connection with keys the client only offers; the proxy authorizes from the
// identity of the key that completed authentication, carried in the
// connection's Permissions, never from the last key seen (CVE-2024-45337).
type Authenticator interface {
	Authenticate(meta ssh.ConnMetadata, key ssh.PublicKey) (gate.Identity, error)
}

// AuthenticatorFunc adapts a function to an Authenticator.
type AuthenticatorFunc func(meta ssh.ConnMetadata, key ssh.PublicKey) (gate.Identity, error)

// Authenticate calls f.
func (f AuthenticatorFunc) Authenticate(meta ssh.ConnMetadata, key ssh.PublicKey) (gate.Identity, error) {
	return f(meta, key)
}

// errUnknownKey is returned for keys no authenticator accepts.
var errUnknownKey = errors.New("ssh: unknown public key")

// AuthorizedKeys accepts the plain public keys it holds, each mapped to an
// identity. The zero value accepts nobody.
type AuthorizedKeys struct {
	keys map[string]gate.Identity // by ssh.FingerprintSHA256
}

// Add authorizes key as id. An empty id.Subject becomes the key's SHA-256
// fingerprint.
func (a *AuthorizedKeys) Add(key ssh.PublicKey, id gate.Identity) {
	if a.keys == nil {
		a.keys = map[string]gate.Identity{}
	}
	fp := ssh.FingerprintSHA256(key)
	if id.Subject == "" {
		id.Subject = fp
	}
	a.keys[fp] = id
}

// LoadAuthorizedKeys reads an OpenSSH authorized_keys file; each key's
// comment becomes the identity's Name and Subject, and identity supplies the
// rest (groups, kind) — it may be nil, giving agents with no groups.
func LoadAuthorizedKeys(path string, identity func(comment string) gate.Identity) (*AuthorizedKeys, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("ssh: authorized keys: %w", err)
	}
	a := &AuthorizedKeys{}
	for len(bytes.TrimSpace(data)) > 0 {
		key, comment, _, rest, err := ssh.ParseAuthorizedKey(data)
		if err != nil {
			return nil, fmt.Errorf("ssh: authorized keys %s: %w", path, err)
		}
		id := gate.Identity{Kind: gate.KindAgent}
		if identity != nil {
			id = identity(comment)
		}
		if id.Subject == "" {
			id.Subject = comment
		}
		if id.Name == "" {
			id.Name = comment
		}
		a.Add(key, id)
		data = rest
	}
	return a, nil
}

// Authenticate accepts a key added before; certificates are not plain keys
// and are refused.
func (a *AuthorizedKeys) Authenticate(_ ssh.ConnMetadata, key ssh.PublicKey) (gate.Identity, error) {
	if _, ok := key.(*ssh.Certificate); ok {
		return gate.Identity{}, errUnknownKey
	}
	id, ok := a.keys[ssh.FingerprintSHA256(key)]
	if !ok {
		return gate.Identity{}, errUnknownKey
	}
	return id, nil
}

// CertAuthority accepts user certificates signed by one of its CA keys, valid
// now and listing the requested user name among their principals.
type CertAuthority struct {
	// Keys are the trusted CA public keys.
	Keys []ssh.PublicKey
	// Identity maps a verified certificate to an identity. Nil uses the
	// certificate's KeyId as subject and name, its principals as groups, and
	// the extension "airlock-kind@airlock" (human, agent, service) as kind.
	Identity func(cert *ssh.Certificate) gate.Identity
}

// Authenticate verifies a certificate against the CA keys.
func (ca *CertAuthority) Authenticate(meta ssh.ConnMetadata, key ssh.PublicKey) (gate.Identity, error) {
	cert, ok := key.(*ssh.Certificate)
	if !ok {
		return gate.Identity{}, errUnknownKey
	}
	checker := &ssh.CertChecker{
		IsUserAuthority: func(auth ssh.PublicKey) bool {
			for _, k := range ca.Keys {
				if bytes.Equal(k.Marshal(), auth.Marshal()) {
					return true
				}
			}
			return false
		},
	}
	if _, err := checker.Authenticate(meta, key); err != nil {
		return gate.Identity{}, fmt.Errorf("ssh: certificate: %w", err)
	}
	if cert.KeyId == "" {
		return gate.Identity{}, errors.New("ssh: certificate has no key id")
	}
	if ca.Identity != nil {
		return ca.Identity(cert), nil
	}
	id := gate.Identity{
		Subject: cert.KeyId,
		Name:    cert.KeyId,
		Groups:  append([]string(nil), cert.ValidPrincipals...),
		Kind:    gate.KindAgent,
		Claims: map[string]any{
			"serial": fmt.Sprint(cert.Serial),
			"ca":     ssh.FingerprintSHA256(cert.SignatureKey),
		},
	}
	switch k := gate.IdentityKind(cert.Extensions["airlock-kind@airlock"]); k {
	case gate.KindHuman, gate.KindAgent, gate.KindService:
		id.Kind = k
	}
	return id, nil
}

// Authenticators tries each authenticator in turn; the first to accept wins.
type Authenticators []Authenticator

// Authenticate returns the first identity an authenticator grants.
func (as Authenticators) Authenticate(meta ssh.ConnMetadata, key ssh.PublicKey) (gate.Identity, error) {
	var errs []string
	for _, a := range as {
		id, err := a.Authenticate(meta, key)
		if err == nil {
			return id, nil
		}
		errs = append(errs, err.Error())
	}
	return gate.Identity{}, fmt.Errorf("ssh: key refused: %s", strings.Join(errs, "; "))
}

// identityExt is the Permissions extension carrying the authenticated
// identity from the public-key callback to the connection.
const identityExt = "airlock-identity@airlock"

// publicKeyCallback returns the callback for ssh.ServerConfig. It stores the
// identity in the returned Permissions, which x/crypto/ssh attaches to the
// connection only for the key that authenticated.
func publicKeyCallback(auth Authenticator) func(ssh.ConnMetadata, ssh.PublicKey) (*ssh.Permissions, error) {
	return func(meta ssh.ConnMetadata, key ssh.PublicKey) (*ssh.Permissions, error) {
		if auth == nil {
			return nil, errUnknownKey
		}
		id, err := auth.Authenticate(meta, key)
		if err != nil {
			return nil, err
		}
		if id.Subject == "" {
			return nil, errors.New("ssh: authenticator returned an identity without subject")
		}
		b, err := json.Marshal(id)
		if err != nil {
			return nil, fmt.Errorf("ssh: encode identity: %w", err)
		}
		return &ssh.Permissions{Extensions: map[string]string{identityExt: string(b)}}, nil
	}
}

// identityFrom reads the identity from the connection's Permissions.
func identityFrom(p *ssh.Permissions) (gate.Identity, error) {
	if p == nil || p.Extensions[identityExt] == "" {
		return gate.Identity{}, errors.New("ssh: connection has no authenticated identity")
	}
	var id gate.Identity
	if err := json.Unmarshal([]byte(p.Extensions[identityExt]), &id); err != nil {
		return gate.Identity{}, fmt.Errorf("ssh: decode identity: %w", err)
	}
	return id, nil
}
