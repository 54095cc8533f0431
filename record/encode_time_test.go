package record

import (
	"bytes"
	"math/rand/v2"
	"testing"
	"time"
)

// appendUTC writes every time it takes byte for byte as AppendFormat
// with RFC3339Nano does, and takes every UTC time from 1970 to 9999:
// random instants, the days around every month's end and leap day, the
// range's ends, fractions with trailing zeros.
func TestAppendUTCMatchesAppendFormat(t *testing.T) {
	rng := rand.New(rand.NewPCG(61, 67))
	var times []time.Time
	for range 200000 {
		sec := rng.Int64N(maxFastTime + 1)
		if rng.IntN(2) == 0 {
			sec = rng.Int64N(5e9)
		}
		ns := rng.Int64N(1e9)
		switch rng.IntN(4) {
		case 0:
			ns = 0
		case 1:
			ns -= ns % []int64{10, 1000, 1e6, 1e8}[rng.IntN(4)]
		}
		tm := time.Unix(sec, ns).UTC()
		if rng.IntN(4) == 0 {
			tm = tm.In(time.FixedZone("Z", 0)) // a zone at offset zero
		}
		times = append(times, tm)
	}
	for y := 1970; y <= 9999; y += 1 + rng.IntN(7) {
		for m := time.January; m <= time.December; m++ {
			last := time.Date(y, m+1, 1, 0, 0, 0, 0, time.UTC).Add(-time.Nanosecond)
			times = append(times, last, last.Add(time.Nanosecond), time.Date(y, m, 1, 12, 30, 5, 100, time.UTC))
		}
	}
	times = append(times, time.Unix(0, 0).UTC(), time.Unix(maxFastTime, 999999999).UTC(), time.Date(2000, 2, 29, 0, 0, 0, 1, time.UTC),
		time.Date(2100, 2, 28, 23, 59, 59, 0, time.UTC), time.Date(2100, 3, 1, 0, 0, 0, 0, time.UTC), time.Now().UTC())
	for _, tm := range times {
		got, ok := appendUTC([]byte("x"), tm)
		if !ok {
			t.Fatalf("%v not taken", tm)
		}
		if want := tm.AppendFormat([]byte("x"), time.RFC3339Nano); !bytes.Equal(got, want) {
			t.Fatalf("%d.%09d: %s, AppendFormat %s", tm.Unix(), tm.Nanosecond(), got, want)
		}
	}
	// The local zone (time.Now's), taken where it is at offset zero.
	for _, tm := range []time.Time{time.Now(), time.Unix(1796587129, 5).Local(), time.Unix(1780000000, 0).Local()} {
		_, offset := tm.Zone()
		got, ok := appendUTC([]byte("x"), tm)
		if want := tm.AppendFormat([]byte("x"), time.RFC3339Nano); ok != (offset == 0) || ok && !bytes.Equal(got, want) {
			t.Errorf("%v (offset %d): %q (taken %v), AppendFormat %q", tm, offset, got, ok, want)
		}
	}
	// Times it leaves to AppendFormat: another offset, before 1970, past
	// 9999.
	for _, tm := range []time.Time{time.Unix(5, 0).In(time.FixedZone("A", 3600)), time.Unix(5, 0).In(time.FixedZone("B", -1)),
		time.Unix(-1, 0).UTC(), time.Unix(maxFastTime+1, 0).UTC(), time.Date(-5, 1, 1, 0, 0, 0, 0, time.UTC)} {
		if b, ok := appendUTC([]byte("x"), tm); ok || string(b) != "x" {
			t.Errorf("%v taken: %q", tm, b)
		}
	}
}
