package record_test

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/airlock-sdk/airlock/gate"
)

// TestNameValuePairSecretsRedacted is the generator test of secrets kept
// in name/value pair objects ([{"name":"password","value":...}]) of a JSON
// body, in any case of the keys, at any depth, beside other members.
func TestNameValuePairSecretsRedacted(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 7))
	names := []string{"name", "Name", "NAME", "field"} // "key" is a secret name itself
	values := []string{"value", "Value", "VAL"}
	var evs []gate.Event
	var secrets, keeps []string
	for trial := range 100 {
		sec := randSecret(rng, fmt.Sprintf("nv%d-", trial))
		keep := fmt.Sprintf("keep-nv-%d", trial)
		secrets, keeps = append(secrets, sec), append(keeps, keep)
		n, v := names[rng.IntN(len(names))], values[rng.IntN(len(values))]
		body := fmt.Sprintf(`{"fields":[{"%s":"user","%s":"%s"},{"%s":"%s","%s":%q}]}`,
			n, v, keep, n, pairNames[rng.IntN(len(pairNames))], v, sec)
		if rng.IntN(2) == 0 {
			body = `{"outer":` + body + `}`
		}
		ev := formEvent(fmt.Sprintf("nv-%d", trial), body)
		evs = append(evs, ev, gate.Event{Kind: gate.EventSessionEnd, SessionID: ev.SessionID, Time: ev.Time})
	}
	text := storedText(t, evs)
	assertNoSecret(t, text, secrets...)
	for _, k := range keeps {
		if !strings.Contains(text, k) {
			t.Errorf("non-secret value %q lost", k)
		}
	}
}

// pairNames are secret names as a JSON string spells them.
var pairNames = []string{"password", "PassWord", "api_key", "client_secret", " password", "Access-Token", "session_id", "AUTH_TOKEN"}
