package record

import (
	"bytes"
	"math/rand/v2"
	"testing"

	"github.com/airlock-sdk/airlock/gate"
	"github.com/airlock-sdk/airlock/mask"
)

// bodyMarshalsOrig is redactor.body as it was before it reused the first
// marshal for the free-text search (it marshals the event as it came again
// whenever a secret is replaced), kept as the oracle of
// TestBodySkipsOrigMarshalDifferential.
func (r *redactor) bodyMarshalsOrig(e gate.Event) ([]byte, error) {
	var secrets []string
	orig := e
	if e.Request != nil && mayHoldSecrets(e.Request) {
		req := *e.Request
		secrets = append(secrets, req.Secrets...)
		secrets = append(secrets, r.secretValues(&req)...)
		secrets = cleanSecrets(secrets)
		e.Request = &req
	}
	if endsSession(&e) {
		defer r.sessions.forget(e.SessionID)
	}
	rep, b, _, err := r.replaced(&e, secrets)
	if err != nil {
		return nil, err
	}
	var found []string
	if rep == nil {
		found = r.freeTextSecrets(&e, b)
	} else {
		ob, err := marshalEvent(&orig)
		if err != nil {
			return nil, err
		}
		found = newSecrets(r.freeTextSecrets(&orig, ob), secrets)
	}
	if len(found) > 0 {
		secrets = cleanSecrets(append(secrets, found...))
		if rep, b, _, err = r.replaced(&e, secrets); err != nil {
			return nil, err
		}
	}
	if rep == nil {
		return b, nil
	}
	if len(secrets) == 0 && !secretSurvives(b, rep) {
		return r.checkedBytes(&e, b, rep)
	}
	out, err := redactJSON(make([]byte, 0, len(b)+len(b)/4+80*len(rep.secrets)), b, rep)
	if err != nil {
		if out, err = r.redactGeneric(e, b, rep); err != nil {
			return nil, err
		}
	}
	return r.checked(&e, out, rep)
}

// sessionEvents returns a generated session's events: requests with named
// secrets (Secrets, secret headers, named query and body fields), free-text
// credentials, outputs that repeat a request's secret (raw, in a PEM block
// whose header the secret cuts) or not, and sometimes the session's end.
func (g textGen) sessionEvents() []gate.Event {
	session := "s-" + g.chars(alnum, 6)
	var evs []gate.Event
	var known []string
	for range 1 + g.rng.IntN(6) {
		switch g.rng.IntN(5) {
		case 0, 1: // a request, often with named secrets
			e := g.event()
			e.SessionID = session
			if e.Request == nil {
				e.Request = &gate.Request{Protocol: "ssh", Command: g.text()}
			}
			req := e.Request
			if g.rng.IntN(2) == 0 {
				s := g.secret()
				if len(s) >= 4 {
					req.Secrets = append(req.Secrets, s)
					req.Command += " " + s
					known = append(known, s)
				}
			}
			if req.HTTP != nil && g.rng.IntN(2) == 0 {
				tok := g.token()
				req.HTTP.Headers["authorization"] = []string{"Bearer " + tok}
				req.HTTP.Query = map[string][]string{g.name(): {g.secret()}}
				known = append(known, tok)
			}
			if g.rng.IntN(4) == 0 { // a named secret that cuts a PEM header
				cut := "BEGIN " + g.chars(upperNum, 3)
				req.Secrets = append(req.Secrets, cut)
				req.Command += " -----" + cut + " PRIVATE KEY-----\n" + g.chars(alnum+"+/", 64) + "\n-----END PRIVATE KEY-----"
				known = append(known, cut)
			}
			evs = append(evs, e)
		default: // an output or a bare command line, clean or carrying a secret seen before
			data := g.text()
			if len(known) > 0 && g.rng.IntN(2) == 0 {
				k := known[g.rng.IntN(len(known))]
				data += g.pick(" ", "\n", "=") + k + g.pick("", "\n-----"+k+" PRIVATE KEY-----\n"+g.chars(alnum+"+/", 64)+"\n-----END PRIVATE KEY-----\n")
			}
			if g.rng.IntN(3) == 0 { // nothing named: only remembered secrets replace
				evs = append(evs, gate.Event{Kind: gate.EventDecision, SessionID: session,
					Request: &gate.Request{Protocol: "ssh", Command: data}})
				continue
			}
			evs = append(evs, gate.Event{Kind: gate.EventOutput, SessionID: session,
				Output: &gate.Output{Stream: g.pick("stdout", "rows", "body"), Data: []byte(data)}})
		}
	}
	if g.rng.IntN(3) == 0 {
		evs = append(evs, gate.Event{Kind: gate.EventSessionEnd, SessionID: session})
	}
	return evs
}

// TestBodySkipsOrigMarshalDifferential holds body to bodyMarshalsOrig over
// generated sessions (named secrets, remembered session secrets, free-text
// credentials, PEM cut cases): two redactors with one key, fed the same
// events in the same order, must store the same bytes and refuse the same
// events.
func TestBodySkipsOrigMarshalDifferential(t *testing.T) {
	key := []byte("0123456789abcdef0123456789abcdef")
	names := mask.CompileSecretNames(nil)
	got := &redactor{key: key, names: names, nameFilter: newNameFilter(nil)}
	want := &redactor{key: key, names: names, nameFilter: newNameFilter(nil)}
	g := textGen{rng: rand.New(rand.NewPCG(19, 23))}
	n := 3000
	if testing.Short() {
		n = 600
	}
	var events, skipped, refused int
	for i := range n {
		for j, e := range g.sessionEvents() {
			wb, werr := want.bodyMarshalsOrig(e)
			gb, gerr := got.body(e)
			events++
			if (werr == nil) != (gerr == nil) {
				t.Fatalf("session %d event %d: oracle err %v, body err %v", i, j, werr, gerr)
			}
			if werr != nil {
				refused++
				continue
			}
			if !bytes.Equal(wb, gb) {
				t.Fatalf("session %d event %d differs:\noracle %s\nbody   %s", i, j, wb, gb)
			}
			if (e.Request == nil || !mayHoldSecrets(e.Request)) && want.sessions.get(e.SessionID) != nil {
				skipped++
			}
		}
	}
	t.Logf("%d events, %d refused by both, %d without named secrets in sessions with remembered ones", events, refused, skipped)
	if skipped < events/10 {
		t.Fatalf("only %d of %d events take the path without the second marshal: the generator is too weak", skipped, events)
	}
}
