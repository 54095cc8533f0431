package httpgate

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/airlock-sdk/airlock/gate"
)

// TestUnauthenticatedRequestIsRecorded: a request with an unknown bearer
// token is refused with 401 and recorded as a refusal, without the token.
func TestUnauthenticatedRequestIsRecorded(t *testing.T) {
	e := newEnv(t, gate.Hold, nil)
	e.eachServer(t, func(t *testing.T, _ string, srv *httptest.Server) {
		before := len(e.refusals())
		req, _ := http.NewRequest("GET", srv.URL+"/api/echo", nil)
		req.Header.Set("Authorization", "Bearer not-a-known-token-12345")
		resp, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		readAll(t, resp)
		if resp.StatusCode != 401 {
			t.Fatalf("status %d", resp.StatusCode)
		}
		got := e.refusals()
		if len(got) != before+1 {
			t.Fatalf("want one more refusal, got %d -> %d", before, len(got))
		}
		r := got[len(got)-1]
		if r.Session == nil || r.Session.Protocol != gate.ProtocolHTTP || r.Session.ClientAddr == "" || r.Error == "" {
			t.Fatalf("refusal %+v", r)
		}
		for _, s := range []string{r.Error, r.Session.Reason, r.Identity.Subject} {
			if len(s) > 0 && contains(s, "not-a-known-token") {
				t.Fatal("the token is in the record")
			}
		}
	})
}

func (e *env) refusals() []gate.Event {
	return e.events(gate.EventRefused)
}

func contains(s, sub string) bool {
	for i := 0; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub {
			return true
		}
	}
	return false
}
