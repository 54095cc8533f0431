package oidc_test

import (
	"context"
	"errors"
	"reflect"
	"testing"

	"github.com/airlock-sdk/airlock/gate"
	"github.com/airlock-sdk/airlock/gate/oidc"
)

func TestKindMapping(t *testing.T) {
	mapped := func(c *oidc.Config) {
		c.AgentGroups = []string{"agents"}
		c.HumanGroups = []string{"sre", "dba"}
		c.ServiceGroups = []string{"ci"}
	}
	for _, tc := range []struct {
		name   string
		mod    func(*oidc.Config)
		claims map[string]any
		want   gate.IdentityKind
	}{
		{"nothing says: agent", nil, nil, gate.KindAgent},
		{"nothing says, default human", func(c *oidc.Config) { c.DefaultKind = gate.KindHuman }, nil, gate.KindHuman},
		{"kind claim human", nil, map[string]any{"airlock_kind": "human"}, gate.KindHuman},
		{"kind claim service", nil, map[string]any{"airlock_kind": "service"}, gate.KindService},
		{"empty kind claim is absent", func(c *oidc.Config) { c.DefaultKind = gate.KindService }, map[string]any{"airlock_kind": ""}, gate.KindService},
		{"null kind claim is absent", nil, map[string]any{"airlock_kind": nil}, gate.KindAgent},
		{"human group", mapped, map[string]any{"groups": []string{"dev", "sre"}}, gate.KindHuman},
		{"service group", mapped, map[string]any{"groups": "ci"}, gate.KindService},
		{"agent group", mapped, map[string]any{"groups": []string{"agents"}}, gate.KindAgent},
		{"unmapped groups use the default", func(c *oidc.Config) { mapped(c); c.DefaultKind = gate.KindHuman }, map[string]any{"groups": []string{"dev"}}, gate.KindHuman},
		{"human and agent groups: agent", mapped, map[string]any{"groups": []string{"sre", "agents"}}, gate.KindAgent},
		{"human and service groups: service", mapped, map[string]any{"groups": []string{"dba", "ci"}}, gate.KindService},
		{"claim human, agent group: agent", mapped, map[string]any{"airlock_kind": "human", "groups": []string{"agents"}}, gate.KindAgent},
		{"claim agent, human group: agent", mapped, map[string]any{"airlock_kind": "agent", "groups": []string{"sre"}}, gate.KindAgent},
		{"default does not outrank a group", func(c *oidc.Config) { mapped(c); c.DefaultKind = gate.KindAgent }, map[string]any{"groups": []string{"sre"}}, gate.KindHuman},
		{"custom kind claim", func(c *oidc.Config) { c.KindClaim = "typ_principal" }, map[string]any{"typ_principal": "human", "airlock_kind": "service"}, gate.KindHuman},
		{"kind claim disabled", func(c *oidc.Config) { c.KindClaim = "-" }, map[string]any{"airlock_kind": "human"}, gate.KindAgent},
		{"custom groups claim", func(c *oidc.Config) { mapped(c); c.GroupsClaim = "roles" }, map[string]any{"roles": []string{"sre"}, "groups": []string{"agents"}}, gate.KindHuman},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, tc.mod)
			id, err := f.v.Identity(context.Background(), f.token(tc.claims))
			if err != nil {
				t.Fatal(err)
			}
			if id.Kind != tc.want {
				t.Fatalf("kind = %q, want %q", id.Kind, tc.want)
			}
		})
	}
}

func TestClaimsRefused(t *testing.T) {
	for _, tc := range []struct {
		name   string
		mod    func(*oidc.Config)
		claims map[string]any
	}{
		{"unknown kind", nil, map[string]any{"airlock_kind": "admin"}},
		{"kind in other case", nil, map[string]any{"airlock_kind": "Human"}},
		{"kind not a string", nil, map[string]any{"airlock_kind": []string{"human"}}},
		{"groups a number", nil, map[string]any{"groups": 3}},
		{"groups an object", nil, map[string]any{"groups": map[string]any{"sre": true}}},
		{"groups with a number", nil, map[string]any{"groups": []any{"sre", 1}}},
		{"groups with a nested list", nil, map[string]any{"groups": []any{[]string{"sre"}}}},
		{"configured name claim not a string", func(c *oidc.Config) { c.NameClaim = "upn" }, map[string]any{"upn": 12}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, tc.mod)
			id, err := f.v.Identity(context.Background(), f.token(tc.claims))
			if !errors.Is(err, oidc.ErrClaims) {
				t.Fatalf("err = %v, identity %+v", err, id)
			}
		})
	}
}

func TestGroupsForms(t *testing.T) {
	f := newFixture(t, nil)
	for _, tc := range []struct {
		name   string
		groups any
		want   []string
	}{
		{"array", []string{"a", "b"}, []string{"a", "b"}},
		{"single string", "a", []string{"a"}},
		{"empty strings dropped", []string{"", "a", ""}, []string{"a"}},
		{"empty array", []string{}, []string{}},
		{"absent", nil, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			id, err := f.v.Identity(context.Background(), f.token(map[string]any{"groups": tc.groups}))
			if err != nil {
				t.Fatal(err)
			}
			if len(id.Groups) != len(tc.want) || (len(tc.want) > 0 && !reflect.DeepEqual(id.Groups, tc.want)) {
				t.Fatalf("groups = %q, want %q", id.Groups, tc.want)
			}
		})
	}
}

func TestName(t *testing.T) {
	for _, tc := range []struct {
		name   string
		claim  string
		claims map[string]any
		want   string
	}{
		{"name first", "", map[string]any{"name": "Ada L", "preferred_username": "ada", "email": "ada@x"}, "Ada L"},
		{"then preferred_username", "", map[string]any{"preferred_username": "ada", "email": "ada@x"}, "ada"},
		{"then email", "", map[string]any{"name": "", "email": "ada@x"}, "ada@x"},
		{"non-string defaults skipped", "", map[string]any{"name": 5, "email": "ada@x"}, "ada@x"},
		{"none", "", nil, ""},
		{"configured claim", "upn", map[string]any{"upn": "ada@corp", "name": "Ada L"}, "ada@corp"},
		{"configured claim absent", "upn", map[string]any{"name": "Ada L"}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, func(c *oidc.Config) { c.NameClaim = tc.claim })
			id, err := f.v.Identity(context.Background(), f.token(tc.claims))
			if err != nil {
				t.Fatal(err)
			}
			if id.Name != tc.want {
				t.Fatalf("name = %q, want %q", id.Name, tc.want)
			}
		})
	}
}

func TestClaimsKept(t *testing.T) {
	f := newFixture(t, nil)
	id, err := f.v.Identity(context.Background(), f.token(map[string]any{
		"email": "ada@x", "name": "Ada", "groups": []string{"sre"}, "airlock_kind": "human",
		"tenant": map[string]any{"id": "t1", "tier": 2}, "scope": "read write",
	}))
	if err != nil {
		t.Fatal(err)
	}
	for _, gone := range []string{"sub", "groups", "airlock_kind"} {
		if _, ok := id.Claims[gone]; ok {
			t.Errorf("claim %q kept, but it is an Identity field", gone)
		}
	}
	for _, kept := range []string{"email", "name", "iss", "aud", "exp", "iat", "scope"} {
		if _, ok := id.Claims[kept]; !ok {
			t.Errorf("claim %q dropped", kept)
		}
	}
	if tenant, _ := id.Claims["tenant"].(map[string]any); tenant["id"] != "t1" {
		t.Errorf("nested claim = %v", id.Claims["tenant"])
	}
}

// Rules see the identity a token yields: CEL reads the kind, groups and
// nested claims.
func TestIdentityInRules(t *testing.T) {
	f := newFixture(t, func(c *oidc.Config) { c.HumanGroups = []string{"sre"} })
	rules, err := gate.ParseRules("oidc.yaml", []byte(`
default: deny
rules:
  - name: sre-humans-of-tenant-t1
    when: identity.kind == "human" && identity.groups.exists(g, g == "sre") && identity.claims.tenant.id == "t1"
    action: allow
`))
	if err != nil {
		t.Fatal(err)
	}
	g := gate.New(gate.Config{Rules: rules, Recorder: gate.RecorderFunc(func(context.Context, gate.Event) error { return nil })})
	ctx := context.Background()
	check := func(claims map[string]any) error {
		id, err := f.v.Identity(ctx, f.token(claims))
		if err != nil {
			t.Fatal(err)
		}
		s := &gate.Session{Protocol: "http", Target: "api", Identity: id}
		if err := g.OpenSession(ctx, s); err != nil {
			t.Fatal(err)
		}
		defer func() { _ = g.CloseSession(ctx, s, "done") }()
		_, err = g.Check(ctx, &gate.Request{Session: s, Protocol: "http", Command: "GET /"})
		return err
	}
	if err := check(map[string]any{"groups": []string{"sre"}, "tenant": map[string]any{"id": "t1"}}); err != nil {
		t.Fatalf("sre of t1: %v", err)
	}
	if err := check(map[string]any{"groups": []string{"sre"}, "airlock_kind": "agent", "tenant": map[string]any{"id": "t1"}}); !errors.Is(err, gate.ErrDenied) {
		t.Fatalf("agent in sre: %v", err)
	}
}
