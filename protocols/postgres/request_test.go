package postgres

import (
	"reflect"
	"testing"

	"github.com/airlock-sdk/airlock/gate"
)

// TestNewRequestOracle compares newRequest with the request check built
// before it shared one allocation (kept here as the oracle), for every
// statement count around the inline room, and checks that appending a
// statement never writes past the request's own.
func TestNewRequestOracle(t *testing.T) {
	t.Parallel()
	oracle := func(command string, payload []byte, params []string, n int) *gate.Request {
		return &gate.Request{Protocol: gate.ProtocolPostgres, Command: command, Payload: payload,
			SQL: &gate.SQL{Statements: make([]gate.SQLStatement, n), Params: params}}
	}
	for _, params := range [][]string{nil, {}, {"1", "x"}} {
		for _, payload := range [][]byte{nil, []byte("p")} {
			for n := range 5 {
				got, want := newRequest("SELECT 1", payload, params, n), oracle("SELECT 1", payload, params, n)
				if !reflect.DeepEqual(got, want) {
					t.Fatalf("n=%d: got %+v / %+v, want %+v / %+v", n, got, got.SQL, want, want.SQL)
				}
				if c := cap(got.SQL.Statements); c != n {
					t.Fatalf("n=%d: statements capacity %d: appending would share memory", n, c)
				}
			}
		}
	}
}
