package gate

// IdentityKind says what stands behind an identity. Rules use it to treat
// agents differently from people, and approvers refuse reviews from agents.
type IdentityKind string

// The kinds of identity the gate knows.
const (
	KindHuman   IdentityKind = "human"
	KindAgent   IdentityKind = "agent"
	KindService IdentityKind = "service"
)

// Identity is who is asking: the client of a session, or a reviewer.
// Protocol packages build it from their authentication hook; rules see it as
// the CEL variable `identity`.
type Identity struct {
	// Subject is the stable unique id (an OIDC sub, a key fingerprint).
	Subject string `json:"subject" cel:"subject"`
	// Name is for humans reading transcripts.
	Name string `json:"name,omitempty" cel:"name"`
	// Groups the identity belongs to.
	Groups []string `json:"groups,omitempty" cel:"groups"`
	// Claims carries any further attributes (token claims, certificate extensions).
	Claims map[string]any `json:"claims,omitempty" cel:"claims"`
	// Kind is human, agent or service. Empty is treated as agent, the least trusted.
	Kind IdentityKind `json:"kind,omitempty" cel:"kind"`
}

// InGroup reports whether the identity is a member of group.
func (id Identity) InGroup(group string) bool {
	for _, g := range id.Groups {
		if g == group {
			return true
		}
	}
	return false
}

// EffectiveKind returns Kind, or KindAgent when it is unset: an identity that
// does not say what it is gets the least trust.
func (id Identity) EffectiveKind() IdentityKind {
	if id.Kind == "" {
		return KindAgent
	}
	return id.Kind
}
