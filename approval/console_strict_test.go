package approval

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/airlock-sdk/airlock/gate"
)

// broken is a review store that has lost its database.
type broken struct {
	plain
	down atomic.Bool
}

func (b *broken) Pending(ctx context.Context) ([]Pending, error) {
	if b.down.Load() {
		return nil, errors.New("connection refused")
	}
	return b.plain.Pending(ctx)
}

func (b *broken) History(ctx context.Context) ([]Pending, error) {
	if b.down.Load() {
		return nil, errors.New("connection refused")
	}
	return nil, nil
}

// A store outage is an error on every view, never "nothing pending".
func TestConsoleStoreOutageIsAnError(t *testing.T) {
	b := &broken{plain: plain{&Memory{}}}
	con := &Console{Approver: b, Authenticate: BearerTokens(reviewerTokens)}
	srv := serveAt(t, con)
	get := func(path string) (int, string) {
		return doAs(t, "alice-token", "GET", srv.URL+path, nil)
	}
	if c, out := get("/api/pending"); c != 200 || strings.TrimSpace(out) != "[]" {
		t.Fatalf("healthy: %d %s", c, out)
	}
	b.down.Store(true)
	for _, path := range []string{"/api/pending", "/api/history", "/fragment/pending"} {
		if c, out := get(path); c != http.StatusServiceUnavailable || !strings.Contains(out, "unavailable") {
			t.Errorf("%s during an outage: %d %s", path, c, out)
		}
	}
	for _, path := range []string{"/", "/history"} {
		c, out := get(path)
		if c != http.StatusServiceUnavailable || strings.Contains(out, "Nothing is waiting") || !strings.Contains(out, "connection refused") {
			t.Errorf("%s during an outage: %d %s", path, c, out)
		}
	}
}

// /api/decide and the webhook callback read one meaning from a body:
// duplicate keys (in any letter case), unknown fields and trailing data are
// refused.
func TestDecideStrictJSON(t *testing.T) {
	m := &Memory{}
	con := &Console{Approver: m, Authenticate: BearerTokens(reviewerTokens)}
	srv := serveAt(t, con)
	id, _ := m.Submit(t.Context(), request("dup", gate.ReviewPolicy{}))
	for _, body := range []string{
		`{"id":"` + id + `","decision":"deny","decision":"approve"}`,
		`{"id":"` + id + `","decision":"deny","Decision":"approve"}`,
		`{"id":"` + id + `","decision":"deny","DECISION":"approve"}`,
		`{"id":"` + id + `","id":"other","decision":"approve"}`,
		`{"id":"` + id + `","decision":"approve","grant":{"scope":"exact","scope":"any"}}`,
		`{"id":"` + id + `","decision":"approve","extra":1}`,
		`{"id":"` + id + `","decision":"approve"} {}`,
		`{"id":"` + id + `","decision":"deny","grant":{"scope":"any"}}`,
	} {
		if c, out := doAs(t, "bob-token", "POST", srv.URL+"/api/decide", strings.NewReader(body)); c != http.StatusUnprocessableEntity {
			t.Errorf("%s: %d %s", body, c, out)
		}
	}
	if p, _ := m.Get(id); p.State != gate.ReviewPending || len(p.Votes) != 0 {
		t.Fatalf("a refused body changed the review: %+v", p)
	}
	if err := noDuplicateKeys([]byte(`{"a":{"b":1},"c":[{"b":1},{"b":2}],"K":1,"k2":2}`)); err != nil {
		t.Fatalf("distinct keys refused: %v", err)
	}
	if err := noDuplicateKeys([]byte("{\"k\":1,\"\u212a\":2}")); err == nil {
		t.Fatal("Kelvin sign folds to k for encoding/json, and must count as a duplicate")
	}
}

// The API gives grants, lists and revokes them.
func TestConsoleGrantAPI(t *testing.T) {
	m := &Memory{}
	con := &Console{Approver: m, Authenticate: BearerTokens(reviewerTokens)}
	srv := serveAt(t, con)
	r := request("g", gate.ReviewPolicy{MaxGrant: 3600e9})
	r.ReviewRules, r.ShapeKey, r.Shape = []string{"hold"}, "k", "INSERT INTO t VALUES (?)"
	id, _ := m.Submit(t.Context(), r)
	post := func(path, body string) (int, string) {
		return doAs(t, "bob-token", "POST", srv.URL+path, strings.NewReader(body))
	}
	if c, out := post("/api/decide", `{"id":"`+id+`","decision":"approve","grant":{"minutes":90}}`); c != http.StatusUnprocessableEntity {
		t.Fatalf("grant beyond max_grant: %d %s", c, out)
	}
	if c, out := post("/api/decide", `{"id":"`+id+`","decision":"approve","grant":{"minutes":10,"uses":3,"scope":"shape"}}`); c != 200 || !strings.Contains(out, `"grant"`) {
		t.Fatalf("grant: %d %s", c, out)
	}
	gs, _ := m.Grants(t.Context())
	if len(gs) != 1 || gs[0].MaxUses != 3 || gs[0].Scope != gate.GrantShape || gs[0].Display != "INSERT INTO t VALUES (?)" {
		t.Fatalf("grants %+v", gs)
	}
	if c, out := doAs(t, "bob-token", "GET", srv.URL+"/api/grants", nil); c != 200 || !strings.Contains(out, gs[0].ID) || !strings.Contains(out, `"active":true`) {
		t.Fatalf("list: %d %s", c, out)
	}
	if c, out := post("/api/revoke", `{"id":"`+gs[0].ID+`"}`); c != 200 {
		t.Fatalf("revoke: %d %s", c, out)
	}
	if c, _ := doAs(t, "agent-token", "POST", srv.URL+"/api/revoke", strings.NewReader(`{"id":"`+gs[0].ID+`"}`)); c != http.StatusForbidden {
		t.Fatalf("an agent revoked a grant: %d", c)
	}
	if c, _ := post("/api/revoke", `{"id":"nope"}`); c != http.StatusNotFound {
		t.Fatalf("revoke unknown: %d", c)
	}
	if act, _ := m.ActiveGrants(t.Context(), gs[0].Subject); len(act) != 0 {
		t.Fatalf("revoked grant still active: %+v", act)
	}
}
