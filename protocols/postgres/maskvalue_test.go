package postgres

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/airlock-sdk/airlock/gate"
	"github.com/airlock-sdk/airlock/mask"
	"github.com/jackc/pgx/v5/pgtype"
)

// TestMaskValueStrategies: the field's strategy, asked only where
// maskValue reads it, still decides: a value of a field whose rule's
// strategy is "null" becomes NULL, text or JSON, while a value of a field
// no rule covers is masked in place (a JSON document inside, still a
// document) or passes when clean; a number in text passes.
func TestMaskValueStrategies(t *testing.T) {
	eng, err := mask.New(mask.Config{
		Fields: []mask.FieldRule{{Name: "notes_rule", Columns: []string{"t.notes"}, Strategy: "null"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	p, err := eng.EveryPolicy()
	if err != nil {
		t.Fatal(err)
	}
	run := func(field string, oid uint32, v string) ([]byte, bool) {
		t.Helper()
		r := &result{policy: p, out: &gate.OutputWriter{}}
		out, changed, err := maskValue(r, field, oid, pgtype.TextFormatCode, []byte(v))
		if err != nil {
			t.Fatal(err)
		}
		return out, changed
	}
	if out, ch := run("t.notes", pgtype.TextOID, "anything"); !ch || out != nil {
		t.Errorf("a value of a null-strategy field: %q changed %v, want NULL", out, ch)
	}
	if out, ch := run("t.notes", pgtype.JSONOID, `{"n":1}`); !ch || out != nil {
		t.Errorf("a JSON value of a null-strategy field: %q changed %v, want NULL", out, ch)
	}
	if out, ch := run("t.body", pgtype.TextOID, "write to bob@example.com"); !ch || out == nil || strings.Contains(string(out), "bob@") {
		t.Errorf("an email in an uncovered field: %q changed %v, want it masked in place", out, ch)
	}
	if out, ch := run("t.body", pgtype.TextOID, "nothing here"); ch || string(out) != "nothing here" {
		t.Errorf("a clean value: %q changed %v", out, ch)
	}
	if out, ch := run("t.doc", pgtype.JSONOID, `{"to":"bob@example.com","n":1}`); !ch || !json.Valid(out) || strings.Contains(string(out), "bob@") {
		t.Errorf("a JSON document with an email: %q changed %v, want it masked inside", out, ch)
	}
	if out, ch := run("t.n", pgtype.Int4OID, "42"); ch || string(out) != "42" {
		t.Errorf("a number: %q changed %v", out, ch)
	}
}
