package httpgate

import (
	"encoding/base64"
	"net/url"
	"strings"
	"sync"

	"github.com/airlock-sdk/airlock/mask"
)

// credentialSecrets are the values the proxy presents upstream that a
// response must never carry back (an upstream that echoes the request, as
// httpbin does, would hand them to the client): the credential's value,
// its token without the scheme, for Basic the user:password pair and the
// password, the same of the upstream URL's user information, and the
// values of its query parameters with secret names.
func credentialSecrets(c Credential, u *url.URL) []string {
	var out []string
	if v := strings.TrimSpace(c.Value); v != "" {
		out = append(out, v)
		if scheme, token, ok := strings.Cut(v, " "); ok {
			token = strings.TrimSpace(token)
			out = append(out, token)
			if strings.EqualFold(scheme, "Basic") {
				if raw, err := base64.StdEncoding.DecodeString(token); err == nil {
					out = append(out, userinfoSecrets(string(raw))...)
				}
			}
		}
	}
	if u == nil {
		return out
	}
	if u.User != nil {
		if pw, ok := u.User.Password(); ok {
			out = append(out, userinfoSecrets(u.User.Username()+":"+pw)...)
		}
	}
	// An API key in the upstream URL's query (?api_key=...) goes with
	// every request too.
	for name, vals := range u.Query() {
		if mask.IsSecretName(name) {
			out = append(out, vals...)
		}
	}
	return out
}

// userinfoSecrets are the secrets of a "user:password" pair: the pair and
// the password.
func userinfoSecrets(pair string) []string {
	out := []string{pair}
	if _, pw, ok := strings.Cut(pair, ":"); ok && pw != "" {
		out = append(out, pw)
	}
	return out
}

// maxSecretPolicies bounds secretPolicies' cache.
const maxSecretPolicies = 1024

// secretPolicies extends each decision's policy with a proxy's
// credential secrets, once per policy.
type secretPolicies struct {
	secrets []string
	alone   *mask.Policy // the secrets alone, for a decision without a mask
	cache   sync.Map     // *mask.Policy -> *mask.Policy
	n       int
	mu      sync.Mutex
}

func newSecretPolicies(secrets []string) *secretPolicies {
	return &secretPolicies{secrets: secrets, alone: (*mask.Policy)(nil).WithSecrets(secrets)}
}

// of returns p extended with the secrets.
func (s *secretPolicies) of(p *mask.Policy) *mask.Policy {
	if p == nil {
		return s.alone
	}
	if q, ok := s.cache.Load(p); ok {
		return q.(*mask.Policy)
	}
	q := p.WithSecrets(s.secrets)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.n < maxSecretPolicies {
		s.cache.Store(p, q)
		s.n++
	}
	return q
}
