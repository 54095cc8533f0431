package record_test

import (
	"context"
	"testing"

	"github.com/airlock-sdk/airlock/gate"
	"github.com/airlock-sdk/airlock/record"
)

// TestRefusalIsACompleteSession: a refused login is recorded with the
// claimed identity and the reason, as a session of one event that
// verifies as complete.
func TestRefusalIsACompleteSession(t *testing.T) {
	fs, path := openTempFile(t)
	rec := record.New(fs, record.Options{SigningKey: testKey, AsyncOutput: true})
	g := gate.New(gate.Config{Recorder: rec})
	if err := g.RecordRefusal(context.Background(), gate.Refusal{Protocol: gate.ProtocolPostgres, Target: "db1",
		ClientAddr: "10.0.0.9:5000", Claimed: "mallory", Reason: "password authentication failed"}); err != nil {
		t.Fatal(err)
	}
	if err := rec.Close(); err != nil {
		t.Fatal(err)
	}
	rep := verifyFile(t, path, record.VerifyOptions{})
	if !rep.OK() || len(rep.Sessions) != 1 || rep.Sessions[0].Status != record.SessionVerified {
		t.Fatalf("%v %+v", rep.Problems, rep.Sessions)
	}
	evs := mustRead(t, path)[rep.Sessions[0].ID]
	e := evs[0].Event
	if e == nil || e.Kind != gate.EventRefused || e.Identity.Subject != "mallory" || e.Session.ClientAddr != "10.0.0.9:5000" ||
		e.Session.Reason != "password authentication failed" || e.Session.Protocol != gate.ProtocolPostgres {
		t.Fatalf("%+v", e)
	}
}
