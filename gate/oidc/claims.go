package oidc

import (
	"fmt"
	"maps"
	"slices"

	"github.com/airlock-sdk/airlock/gate"
)

// identity maps verified claims to an identity: sub to Subject, the name
// claim to Name, the groups claim to Groups, the kind claim and groups to
// Kind. Every claim but sub, the groups claim and the kind claim is kept in
// Claims, so rules can still read email, iss, aud or anything the issuer
// adds.
func (v *Verifier) identity(claims map[string]any) (gate.Identity, error) {
	sub, _ := claims["sub"].(string)
	if sub == "" {
		return gate.Identity{}, fmt.Errorf("oidc: %w: no sub", ErrClaims)
	}
	name, err := v.name(claims)
	if err != nil {
		return gate.Identity{}, err
	}
	groups, err := stringList(claims[v.cfg.GroupsClaim])
	if err != nil {
		return gate.Identity{}, fmt.Errorf("oidc: %w: claim %q: %w", ErrClaims, v.cfg.GroupsClaim, err)
	}
	kind, err := v.kind(claims, groups)
	if err != nil {
		return gate.Identity{}, err
	}
	rest := maps.Clone(claims)
	delete(rest, "sub")
	delete(rest, v.cfg.GroupsClaim)
	if v.cfg.KindClaim != "-" {
		delete(rest, v.cfg.KindClaim)
	}
	return gate.Identity{Subject: sub, Name: name, Groups: groups, Claims: rest, Kind: kind}, nil
}

// name returns the configured name claim, or the first of
// DefaultNameClaims that holds a non-empty string.
func (v *Verifier) name(claims map[string]any) (string, error) {
	if v.cfg.NameClaim != "" {
		val, present := claims[v.cfg.NameClaim]
		if !present || val == nil {
			return "", nil
		}
		s, ok := val.(string)
		if !ok {
			return "", fmt.Errorf("oidc: %w: claim %q is not a string", ErrClaims, v.cfg.NameClaim)
		}
		return s, nil
	}
	for _, c := range DefaultNameClaims {
		if s, ok := claims[c].(string); ok && s != "" {
			return s, nil
		}
	}
	return "", nil
}

// kind decides what stands behind the token. Every source that speaks (the
// kind claim, membership of a mapped group) names a kind, and the least
// trusted of them wins; with none, the configured default applies.
func (v *Verifier) kind(claims map[string]any, groups []string) (gate.IdentityKind, error) {
	var kinds []gate.IdentityKind
	if v.cfg.KindClaim != "-" {
		if val, present := claims[v.cfg.KindClaim]; present && val != nil {
			s, ok := val.(string)
			if !ok {
				return "", fmt.Errorf("oidc: %w: claim %q is not a string", ErrClaims, v.cfg.KindClaim)
			}
			if s != "" {
				k := gate.IdentityKind(s)
				if !validKind(k) {
					return "", fmt.Errorf("oidc: %w: claim %q: kind %.32q is not agent, human or service", ErrClaims, v.cfg.KindClaim, s)
				}
				kinds = append(kinds, k)
			}
		}
	}
	for _, g := range groups {
		if slices.Contains(v.cfg.AgentGroups, g) {
			kinds = append(kinds, gate.KindAgent)
		}
		if slices.Contains(v.cfg.ServiceGroups, g) {
			kinds = append(kinds, gate.KindService)
		}
		if slices.Contains(v.cfg.HumanGroups, g) {
			kinds = append(kinds, gate.KindHuman)
		}
	}
	if len(kinds) == 0 {
		return v.cfg.DefaultKind, nil
	}
	return slices.MinFunc(kinds, func(a, b gate.IdentityKind) int { return trust[a] - trust[b] }), nil
}

// trust orders the kinds from least to most trusted.
var trust = map[gate.IdentityKind]int{gate.KindAgent: 0, gate.KindService: 1, gate.KindHuman: 2}

// stringList reads a claim that is a JSON array of strings or a single
// string. Absent or null is an empty list; empty strings are dropped.
func stringList(val any) ([]string, error) {
	switch val := val.(type) {
	case nil:
		return nil, nil
	case string:
		if val == "" {
			return nil, nil
		}
		return []string{val}, nil
	case []any:
		out := make([]string, 0, len(val))
		for i, e := range val {
			s, ok := e.(string)
			if !ok {
				return nil, fmt.Errorf("element %d is not a string", i)
			}
			if s != "" {
				out = append(out, s)
			}
		}
		return out, nil
	default:
		return nil, fmt.Errorf("not a string or an array of strings")
	}
}
