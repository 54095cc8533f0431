package sshgate

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"

	"github.com/airlock-sdk/airlock/gate"
	"golang.org/x/crypto/ssh"
)

var (
	_ gate.Authenticator = (*AuthorizedKeys)(nil)
	_ gate.Authenticator = (*CertAuthority)(nil)
)

// errUnknownKey is returned for keys no authenticator accepts.
var errUnknownKey = errors.New("ssh: unknown public key")

// AuthorizedKeys is a gate.Authenticator that accepts the plain public keys
// it holds, each mapped to an identity. The zero value accepts nobody.
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

// Authenticate accepts a key added before, given in c.PublicKey;
// certificates are not plain keys and are refused.
func (a *AuthorizedKeys) Authenticate(_ context.Context, c gate.Credential) (gate.Identity, error) {
	key, err := publicKey(c)
	if err != nil {
		return gate.Identity{}, err
	}
	if _, ok := key.(*ssh.Certificate); ok {
		return gate.Identity{}, errUnknownKey
	}
	id, ok := a.keys[ssh.FingerprintSHA256(key)]
	if !ok {
		return gate.Identity{}, errUnknownKey
	}
	return id, nil
}

// CertAuthority is a gate.Authenticator that accepts user certificates
// signed by one of its CA keys, valid now and listing the user name the
// client asked for (Credential.User) among their principals. The proxy
// also enforces a certificate's source-address critical option against the
// client's address.
type CertAuthority struct {
	// Keys are the trusted CA public keys.
	Keys []ssh.PublicKey
	// Identity maps a verified certificate to an identity. Nil uses the
	// certificate's KeyId as subject and name, its principals as groups, and
	// the extension "airlock-kind@airlock" (human, agent, service) as kind.
	Identity func(cert *ssh.Certificate) gate.Identity
}

// Authenticate verifies the certificate in c.PublicKey against the CA keys,
// for the user c.User.
func (ca *CertAuthority) Authenticate(_ context.Context, c gate.Credential) (gate.Identity, error) {
	key, err := publicKey(c)
	if err != nil {
		return gate.Identity{}, err
	}
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
	if _, err := checker.Authenticate(claimedUser(c.User), key); err != nil {
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

// publicKey parses the key or certificate a credential carries.
func publicKey(c gate.Credential) (ssh.PublicKey, error) {
	if len(c.PublicKey) == 0 {
		return nil, gate.ErrNoCredential
	}
	key, err := ssh.ParsePublicKey(c.PublicKey)
	if err != nil {
		return nil, fmt.Errorf("ssh: public key: %w", err)
	}
	return key, nil
}

// claimedUser is the ssh.ConnMetadata ssh.CertChecker reads: the user name
// a certificate's principals must list (CertChecker.Authenticate reads
// nothing else). It carries no connection.
type claimedUser string

func (u claimedUser) User() string        { return string(u) }
func (claimedUser) SessionID() []byte     { return nil }
func (claimedUser) ClientVersion() []byte { return nil }
func (claimedUser) ServerVersion() []byte { return nil }
func (claimedUser) RemoteAddr() net.Addr  { return nil }
func (claimedUser) LocalAddr() net.Addr   { return nil }

// sourceAddress is the certificate critical option that lists the
// addresses a certificate may log in from.
const sourceAddress = "source-address"

// identityExt is the Permissions extension carrying the authenticated
// identity from the public-key callback to the connection.
const identityExt = "airlock-identity@airlock"

// publicKeyCallback returns the callback for ssh.ServerConfig: it asks auth
// about a gate.Credential carrying the key in wire format, the user name
// and the client's address. It is called for every key the client offers,
// some it cannot sign with, so it stores the identity in the returned
// Permissions, which x/crypto/ssh attaches to the connection only for the
// key that completed authentication: the proxy authorizes from those, never
// from the last key seen (CVE-2024-45337).
func publicKeyCallback(ctx context.Context, auth gate.Authenticator) func(ssh.ConnMetadata, ssh.PublicKey) (*ssh.Permissions, error) {
	return func(meta ssh.ConnMetadata, key ssh.PublicKey) (*ssh.Permissions, error) {
		if auth == nil {
			return nil, errUnknownKey
		}
		id, err := auth.Authenticate(ctx, gate.Credential{Protocol: gate.ProtocolSSH, ClientAddr: meta.RemoteAddr().String(),
			User: meta.User(), PublicKey: key.Marshal()})
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
		perms := &ssh.Permissions{Extensions: map[string]string{identityExt: string(b)}}
		if cert, ok := key.(*ssh.Certificate); ok {
			// x/crypto/ssh enforces a certificate's source-address only
			// from the Permissions the callback returns.
			if src, ok := cert.CriticalOptions[sourceAddress]; ok {
				perms.CriticalOptions = map[string]string{sourceAddress: src}
			}
		}
		return perms, nil
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
