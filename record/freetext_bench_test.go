package record

import (
	"testing"

	"github.com/airlock-sdk/airlock/gate"
	"github.com/airlock-sdk/airlock/mask"
)

// BenchmarkFreeTextScan runs the free-text scan of an event (what body
// runs on every event) on clean events (the PostgreSQL decision, an HTTP
// request) and on dirty ones, with the scan as it is (new) and with the
// oracle, the scan before the mayHold prefilter (old).
func BenchmarkFreeTextScan(b *testing.B) {
	r := &redactor{key: []byte("0123456789abcdef0123456789abcdef"), names: mask.CompileSecretNames(nil), nameFilter: newNameFilter(nil)}
	evs := benchEvents()
	cases := []struct {
		name string
		e    gate.Event
	}{
		{"CleanPGDecision", evs["PGDecision"]},
		{"CleanHTTP", evs["HTTPNoSecret"]},
		{"CleanOutput", gate.Event{Kind: gate.EventOutput, SessionID: "s", Output: &gate.Output{Stream: "rows",
			Data: []byte(" abalance \n----------\n    -2734\n(1 row)\n")}}},
		{"CleanJSONOutput", evs["HTTPOutput"]},
		{"DirtySQLPassword", evs["SQLPassword"]},
		{"DirtyShell", gate.Event{Kind: gate.EventDecision, SessionID: "s", Request: &gate.Request{Protocol: "ssh",
			Command: "PGPASSWORD=s3cr3t-pw psql -h db -U app -c 'select 1' && curl -H 'Authorization: Bearer ghp_0123456789abcdefghijABCDEFGHIJ0123' https://x"}}},
	}
	for _, c := range cases {
		e := c.e
		eb, err := marshalEvent(&e)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(c.name+"/new", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				r.freeTextSecrets(&e, eb, byteFieldSpans(&e, eb))
			}
		})
		b.Run(c.name+"/old", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				oracleFreeTextSecrets(r, &e, eb, nil)
			}
		})
	}
}
