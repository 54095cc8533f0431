package gate

import (
	"context"
	"errors"
	"maps"
	"math/rand/v2"
	"testing"
)

// TestImmutableSettingsMatchComparison is a differential test of the
// comparison of recorded settings by map, for a session that promised
// never to write its settings maps, against the setting-by-setting one
// (the oracle: a session without the promise fed the same requests). The
// caller keeps the promise, but its maps are made to be hard: equal
// content in a new map, one value or one name changed, an older map
// carried again, records that fail. Each request's recorded settings must
// be the same either way.
func TestImmutableSettingsMatchComparison(t *testing.T) {
	names := []string{"datestyle", "timezone", "search_path", "role"}
	vals := []string{"a", "b", ""}
	for seed := uint64(0); seed < 200; seed++ {
		r := rand.New(rand.NewPCG(seed, 7))
		immutable := &Session{SettingsImmutable: true, settings: &recordedSettings{}}
		oracle := &Session{settings: &recordedSettings{}}
		cur := map[string]string{"datestyle": "a"}
		var old []map[string]string
		for step := range 60 {
			old = append(old, cur)
			switch r.IntN(6) {
			case 0: // a re-read: a new map of equal content
				cur = maps.Clone(cur)
			case 1: // one value changes
				cur = maps.Clone(cur)
				cur[names[r.IntN(len(names))]] = vals[r.IntN(len(vals))]
			case 2: // one name for another: as many settings
				next := maps.Clone(cur)
				for k := range next {
					delete(next, k)
					break
				}
				next[names[r.IntN(len(names))]] = vals[r.IntN(len(vals))]
				cur = next
			case 3: // an older map again (never written since)
				cur = old[r.IntN(len(old))]
			}
			fail := r.IntN(5) == 0
			got := recordedBy(t, immutable, cur, fail)
			want := recordedBy(t, oracle, cur, fail)
			if (got == nil) != (want == nil) || !maps.Equal(got, want) {
				t.Fatalf("seed %d step %d: recorded %v, setting by setting %v", seed, step, got, want)
			}
		}
	}
}

// recordedBy returns the settings s's decision event records for a
// request with settings m (nil: none), its recorder failing when fail is
// set.
func recordedBy(t *testing.T, s *Session, m map[string]string, fail bool) map[string]string {
	t.Helper()
	req := &Request{Session: s, SQL: &SQL{Settings: m}}
	var got map[string]string
	err := s.recordSettingsOnce(Event{Kind: EventDecision, Request: req}, func(e Event) error {
		got = e.Request.SQL.Settings
		if fail {
			return errors.New("sink down")
		}
		return nil
	})
	if (err != nil) != fail {
		t.Fatalf("record error %v, want failure %v", err, fail)
	}
	if req.SQL.Settings == nil {
		t.Fatal("the caller's request lost its settings")
	}
	return maps.Clone(got)
}

// TestOpenKeepsSettingsImmutable: Open carries the session's promise.
func TestOpenKeepsSettingsImmutable(t *testing.T) {
	g := New(Config{})
	for _, promised := range []bool{false, true} {
		c, err := g.Open(context.Background(), Session{Protocol: ProtocolPostgres, SettingsImmutable: promised,
			Identity: Identity{Subject: "agent-1"}})
		if err != nil {
			t.Fatal(err)
		}
		if c.Session().SettingsImmutable != promised {
			t.Fatalf("Open dropped SettingsImmutable %v", promised)
		}
	}
}
