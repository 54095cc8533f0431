package record

import (
	"bytes"
	"math/rand/v2"
	"testing"
	"time"
)

// TestAppendUTCLastSecond: appendUTC, remembering the last second it
// wrote, writes what AppendFormat (the oracle) does on runs of times the
// memory serves — several in one second — mixed with the next second,
// the one before, the same time of day on another day and far-off times,
// from one goroutine and from several at once.
func TestAppendUTCLastSecond(t *testing.T) {
	rng := rand.New(rand.NewPCG(71, 73))
	var times []time.Time
	for range 20000 {
		base := rng.Int64N(maxFastTime)
		for range 1 + rng.IntN(4) {
			sec := base
			switch rng.IntN(6) {
			case 0:
				sec = base + 1
			case 1:
				sec = max(base-1, 0)
			case 2:
				sec = min(base+86400*int64(1+rng.IntN(400)), maxFastTime)
			case 3:
				sec = min(base+60, maxFastTime)
			}
			ns := rng.Int64N(1e9)
			if rng.IntN(5) == 0 {
				ns = 0
			}
			times = append(times, time.Unix(sec, ns).UTC())
		}
	}
	check := func(tm time.Time) bool {
		got, ok := appendUTC([]byte("x"), tm)
		want := tm.AppendFormat([]byte("x"), time.RFC3339Nano)
		if !ok || !bytes.Equal(got, want) {
			t.Errorf("%d.%09d: %s (taken %v), AppendFormat %s", tm.Unix(), tm.Nanosecond(), got, ok, want)
			return false
		}
		return true
	}
	for _, tm := range times {
		if !check(tm) {
			return
		}
	}
	done := make(chan struct{})
	for g := range 4 {
		go func() {
			defer func() { done <- struct{}{} }()
			for i := g; i < len(times); i += 4 {
				if !check(times[i]) {
					return
				}
			}
		}()
	}
	for range 4 {
		<-done
	}
}

// TestAppendUTCRemembersSecond: the second appendUTC wrote last is the
// one it remembers.
func TestAppendUTCRemembersSecond(t *testing.T) {
	tm := time.Unix(1796587129, 123).UTC()
	if _, ok := appendUTC(nil, tm); !ok {
		t.Fatal("not taken")
	}
	if last := lastSecond.Load(); last == nil || last.sec != tm.Unix() || string(last.text[:]) != "2026-12-06T19:58:49" {
		t.Fatalf("remembered %+v, want %d", last, tm.Unix())
	}
}
