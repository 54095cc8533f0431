package httpgate

import (
	"fmt"
	"testing"
)

// shapeTopRules deny the role admin where an API that takes a flat body
// reads it: at the top of the JSON body.
const shapeTopRules = `
default: deny
rules:
  - name: api
    when: http.path.startsWith("/api/")
    action: allow
  - name: no-admin
    when: 'type(http.body) == map && has(http.body.role) && http.body.role == "admin"'
    action: deny
`

// shapeMixedRules deny the role owner at the top of a JSON body and the
// role admin below user: two rules written for two shapes of one API.
const shapeMixedRules = `
default: deny
rules:
  - name: api
    when: http.path.startsWith("/api/")
    action: allow
  - name: no-owner
    when: 'type(http.body) == map && has(http.body.role) && http.body.role == "owner"'
    action: deny
  - name: no-admin-user
    when: 'type(http.body) == map && has(http.body.user) && type(http.body.user) == map && has(http.body.user.role) && http.body.user.role == "admin"'
    action: deny
`

// railsRole returns the role a Rails controller of the resource res
// (UsersController: user) reads from a JSON body: params[res][:role],
// where ParamsWrapper wraps the body's keys under res when the body does
// not send res.
func railsRole(r received, res string) (string, bool) {
	body, ok := lenientJSON(r)
	if !ok {
		return "", false
	}
	m, ok := body.(map[string]any)
	if !ok {
		return "", false
	}
	params := m
	if inner, sent := m[res]; sent {
		if params, ok = inner.(map[string]any); !ok {
			return "", false
		}
	}
	role, ok := params["role"].(string)
	return role, ok
}

// genShapeBody builds a JSON object sending a role at the top, below a
// resource's name, or both.
func genShapeBody(rng interface{ IntN(int) int }) string {
	roles := []string{`"admin"`, `"owner"`, `"viewer"`}
	res := pick2(rng, []string{"user", "account", "member"})
	switch rng.IntN(5) {
	case 0:
		return fmt.Sprintf(`{"role":%s}`, pick2(rng, roles))
	case 1:
		return fmt.Sprintf(`{%q:{"role":%s}}`, res, pick2(rng, roles))
	case 2:
		return fmt.Sprintf(`{%q:{"name":"ann","role":%s},"role":%s}`, res, pick2(rng, roles), pick2(rng, roles))
	case 3:
		return fmt.Sprintf(`{"name":"ann","role":%s,"team":{"name":"t"}}`, pick2(rng, roles))
	}
	return fmt.Sprintf(`{%q:{"name":"ann"},"role":%s}`, res, pick2(rng, roles))
}

func pick2[T any](rng interface{ IntN(int) int }, list []T) T { return list[rng.IntN(len(list))] }

// TestBodyShapesCannotBypassRules sends JSON bodies that carry a role at
// the top, below a resource's name, or both, to the proxy and the
// middleware, under rules written for the one shape (the role at the top)
// or for both with different values. A Rails controller of any resource
// reads params[resource][:role], wrapped from the top when the resource
// is not sent: none may act on a role the rules deny in either shape.
func TestBodyShapesCannotBypassRules(t *testing.T) {
	for _, set := range []struct {
		name, rules string
		denied      map[string]bool
		resources   []string
	}{
		{"top", shapeTopRules, map[string]bool{"admin": true}, []string{"user", "account", "member"}},
		{"mixed", shapeMixedRules, map[string]bool{"admin": true, "owner": true}, []string{"user"}},
	} {
		t.Run(set.name, func(t *testing.T) {
			_, up, srvs := gatedServers(t, set.rules)
			rng := newRand(t)
			reached, bypassed := 0, 0
			for name, srv := range srvs {
				for range 120 {
					body := genShapeBody(rng)
					status := sendProbe(t, srv, frameworkProbe{method: "POST", target: "/api/users", ctype: "application/json", body: body})
					for _, r := range up.take() {
						reached++
						for _, res := range set.resources {
							if role, ok := railsRole(r, res); ok && set.denied[role] {
								bypassed++
								t.Errorf("%s: %s (status %d) reached the Rails controller of %s, which grants the role %s", name, body, status, res, role)
								break
							}
						}
					}
				}
			}
			t.Logf("%d requests reached the upstream, %d of them acted on a denied role", reached, bypassed)
			if reached == 0 {
				t.Fatal("no request reached the upstream: the test proves nothing")
			}
		})
	}
}

// TestBodyShapesKeepWorking: bodies whose roles no rule denies in any
// shape pass, whatever their shape.
func TestBodyShapesKeepWorking(t *testing.T) {
	for _, rules := range []string{shapeTopRules, shapeMixedRules} {
		_, up, srvs := gatedServers(t, rules)
		for name, srv := range srvs {
			for _, body := range []string{
				`{"role":"viewer"}`, `{"user":{"role":"viewer","name":"a"}}`, `{"user":{"name":"a"},"role":"viewer"}`,
				`{"account":{"role":"viewer"},"team":{"name":"t","size":3}}`, `{"name":"ann","tags":["admin"],"note":{"text":"admin"}}`,
			} {
				if status := sendProbe(t, srv, frameworkProbe{method: "POST", target: "/api/users", ctype: "application/json", body: body}); status != 200 || len(up.take()) != 1 {
					t.Errorf("%s: %s: status %d", name, body, status)
				}
			}
		}
	}
	_, up, srvs := gatedServers(t, shapeMixedRules)
	for name, srv := range srvs {
		body := `{"role":"admin","user":{"role":"viewer"}}` // Rails reads the user's role, viewer
		if status := sendProbe(t, srv, frameworkProbe{method: "POST", target: "/api/users", ctype: "application/json", body: body}); status != 200 || len(up.take()) != 1 {
			t.Errorf("%s: %s: status %d", name, body, status)
		}
	}
}
