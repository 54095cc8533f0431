package record

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/airlock-sdk/airlock/gate"
	"github.com/airlock-sdk/airlock/mask"
)

// BenchmarkSessionSearch measures a later event of a session searched for
// the session's remembered secrets (each in all its remembered forms):
// an output event of 4 KiB without a secret, and an error event that
// echoes one.
func BenchmarkSessionSearch(b *testing.B) {
	now := time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC)
	data := []byte(strings.Repeat("id | name | balance\n42 | alice | 1280.50\n", 100))
	for _, n := range []int{1, 10, 100} {
		r := &redactor{key: []byte("0123456789abcdef0123456789abcdef"), names: mask.CompileSecretNames(nil)}
		var secrets []string
		for i := range n {
			secrets = append(secrets, fmt.Sprintf("tok-%04d-Zq8vR2mK9xW4", i))
		}
		if _, err := r.sessions.remember(r, "s", secrets); err != nil {
			b.Fatal(err)
		}
		clean := gate.Event{Kind: gate.EventOutput, SessionID: "s", Time: now, Output: &gate.Output{Stream: "rows", Data: data}}
		echo := gate.Event{Kind: gate.EventError, SessionID: "s", Time: now, Error: "upstream said " + secrets[n-1] + " is bad"}
		for _, c := range []struct {
			name string
			e    gate.Event
		}{{"clean", clean}, {"echo", echo}} {
			b.Run(fmt.Sprintf("secrets=%d/%s", n, c.name), func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					if _, err := r.body(c.e); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}
