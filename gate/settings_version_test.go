package gate

import (
	"errors"
	"maps"
	"math/rand/v2"
	"testing"
)

// TestSettingsVersionMatchesComparison is a differential test of the
// versioned comparison of recorded settings against the setting-by-setting
// one it short-cuts (the oracle: the same session fed the same requests
// without versions). The caller keeps the contract, one version per map,
// but its maps are made to be hard: equal content under new versions,
// one value or one name changed, version 0 mixed in, records that fail.
// Each request's recorded settings must be the same either way.
func TestSettingsVersionMatchesComparison(t *testing.T) {
	names := []string{"datestyle", "timezone", "search_path", "role"}
	vals := []string{"a", "b", ""}
	for seed := uint64(0); seed < 200; seed++ {
		r := rand.New(rand.NewPCG(seed, 7))
		versioned, oracle := &Session{settings: &recordedSettings{}}, &Session{settings: &recordedSettings{}}
		cur := map[string]string{"datestyle": "a"}
		curV := NewSettingsVersion()
		for step := range 60 {
			switch r.IntN(6) {
			case 0: // a re-read: a new map of equal content
				cur, curV = maps.Clone(cur), NewSettingsVersion()
			case 1: // one value changes
				cur = maps.Clone(cur)
				cur[names[r.IntN(len(names))]] = vals[r.IntN(len(vals))]
				curV = NewSettingsVersion()
			case 2: // one name for another: as many settings
				next := maps.Clone(cur)
				for k := range next {
					delete(next, k)
					break
				}
				next[names[r.IntN(len(names))]] = vals[r.IntN(len(vals))]
				cur, curV = next, NewSettingsVersion()
			case 3: // a caller that names none
				curV = 0
			}
			fail := r.IntN(5) == 0
			got := recordedBy(t, versioned, cur, curV, fail)
			want := recordedBy(t, oracle, cur, 0, fail)
			if (got == nil) != (want == nil) || !maps.Equal(got, want) {
				t.Fatalf("seed %d step %d: recorded %v, setting by setting %v", seed, step, got, want)
			}
		}
	}
}

// recordedBy returns the settings s's decision event records for a
// request with settings m named by version v (nil: none), its recorder
// failing when fail is set.
func recordedBy(t *testing.T, s *Session, m map[string]string, v SettingsVersion, fail bool) map[string]string {
	t.Helper()
	req := &Request{Session: s, SettingsVersion: v, SQL: &SQL{Settings: m}}
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
	if got != nil {
		return maps.Clone(got)
	}
	return nil
}

// TestNewSettingsVersionUnique: versions are never zero and never repeat.
func TestNewSettingsVersionUnique(t *testing.T) {
	seen := map[SettingsVersion]bool{0: true}
	for range 1000 {
		v := NewSettingsVersion()
		if seen[v] {
			t.Fatalf("version %d again", v)
		}
		seen[v] = true
	}
}
