package gate_test

import (
	"context"
	"errors"
	"maps"
	"sync"
	"testing"

	"github.com/airlock-sdk/airlock/gate"
)

// TestDecisionRecordsSettingsOnChange: the rules read a request's SQL
// settings every time, and its decision's record carries them with the
// session's first request and whenever they change, each session on its
// own; settings whose decision could not be recorded are recorded with
// the next one.
func TestDecisionRecordsSettingsOnChange(t *testing.T) {
	rs, err := gate.ParseRules("settings.yaml", []byte(`
default: deny
rules:
  - name: mdy-only
    when: sql.settings["datestyle"] == "ISO, MDY"
    action: allow
`))
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var fail bool
	recorded := map[string][]map[string]string{} // session -> each decision's recorded settings
	rec := gate.RecorderFunc(func(_ context.Context, e gate.Event) error {
		mu.Lock()
		defer mu.Unlock()
		if e.Kind != gate.EventDecision {
			return nil
		}
		if fail {
			return errors.New("sink down")
		}
		recorded[e.SessionID] = append(recorded[e.SessionID], e.Request.SQL.Settings)
		return nil
	})
	g := gate.New(gate.Config{Rules: rs, Recorder: rec})
	open := func() *gate.Session {
		s := &gate.Session{Protocol: gate.ProtocolPostgres, Target: "prod", Identity: gate.Identity{Subject: "agent-7", Kind: gate.KindAgent}}
		if err := g.OpenSession(context.Background(), s); err != nil {
			t.Fatal(err)
		}
		return s
	}
	mdy := map[string]string{"datestyle": "ISO, MDY", "search_path": "public"}
	dmy := map[string]string{"datestyle": "ISO, DMY", "search_path": "public"}
	// As many settings, another name: another set.
	mdyTZ := map[string]string{"datestyle": "ISO, MDY", "timezone": "public"}
	check := func(s *gate.Session, settings map[string]string) error {
		// A fresh map each time, as the gateway's read makes one.
		_, err := g.Check(context.Background(), sessionOf(s, settingsRequest(maps.Clone(settings))()))
		return err
	}
	a, b := open(), open()
	steps := []struct {
		s        *gate.Session
		settings map[string]string
		want     map[string]string // recorded
	}{
		{a, mdy, mdy}, {a, mdy, nil}, {a, mdyTZ, mdyTZ}, {a, mdy, mdy}, {b, mdy, mdy}, {a, dmy, dmy}, {a, dmy, nil},
		{b, mdy, nil}, {a, mdy, mdy}, {a, mdy, nil}, {b, dmy, dmy},
	}
	wantRecorded := map[string][]map[string]string{}
	for i, st := range steps {
		err := check(st.s, st.settings)
		if allowed := err == nil; allowed != (st.settings["datestyle"] == "ISO, MDY") {
			t.Fatalf("step %d: allowed %v under %v: the rules must read the settings every time (%v)", i, allowed, st.settings, err)
		}
		wantRecorded[st.s.ID] = append(wantRecorded[st.s.ID], st.want)
	}
	// A change whose decision was not recorded is recorded with the next.
	fail = true
	if err := check(a, dmy); err == nil {
		t.Fatal("a decision that could not be recorded was allowed")
	}
	fail = false
	_ = check(a, dmy)
	_ = check(a, dmy)
	wantRecorded[a.ID] = append(wantRecorded[a.ID], dmy, nil)
	for _, s := range []*gate.Session{a, b} {
		got, want := recorded[s.ID], wantRecorded[s.ID]
		if len(got) != len(want) {
			t.Fatalf("session %s: %d decisions recorded, want %d", s.ID, len(got), len(want))
		}
		for i := range want {
			if !maps.Equal(got[i], want[i]) || (got[i] == nil) != (want[i] == nil) {
				t.Errorf("session %s, decision %d: recorded settings %v, want %v", s.ID, i, got[i], want[i])
			}
		}
	}
}
