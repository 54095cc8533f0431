package postgres

import (
	"strings"
	"testing"

	"github.com/airlock-sdk/airlock/analysis/pgsql"
	"github.com/airlock-sdk/airlock/gate"
	"github.com/jackc/pgx/v5/pgproto3"
)

func TestWithholdMessage(t *testing.T) {
	t.Parallel()
	const stmt = "SELECT nmae, pin FROM customers /* 1234 */"
	cases := []struct {
		name string
		e    pgproto3.ErrorResponse
		keep bool
	}{
		{"misspelt column", pgproto3.ErrorResponse{Severity: "ERROR", Code: "42703", Position: 8,
			Message: `column "nmae" does not exist`}, true},
		{"runtime class 42 without a position", pgproto3.ErrorResponse{Severity: "ERROR", Code: "42P01",
			Message: `relation "1234" does not exist`}, false},
		{"quoting what the statement lacks", pgproto3.ErrorResponse{Severity: "ERROR", Code: "42703", Position: 8,
			Message: `column "ada" does not exist`}, false},
		{"raised in a function", pgproto3.ErrorResponse{Severity: "ERROR", Code: "42703", Position: 8,
			Message: `column "nmae" does not exist`, Where: "PL/pgSQL function f() line 1"}, false},
		{"data exception", pgproto3.ErrorResponse{Severity: "ERROR", Code: "2202E", Position: 8,
			Message: "index 1234 out of valid range, 0..0"}, false},
		{"notice", pgproto3.ErrorResponse{Severity: "NOTICE", Code: "42703", Position: 8,
			Message: `column "nmae" does not exist`}, false},
	}
	for _, tc := range cases {
		e := tc.e
		e.Detail, e.Hint = "Key (pin)=(1234)", "1234"
		withholdMessage(&e, []pgsql.Statement{{SQLStatement: gate.SQLStatement{Text: stmt}}})
		if kept := e.Message == tc.e.Message; kept != tc.keep {
			t.Errorf("%s: message %q, kept %v, want %v", tc.name, e.Message, kept, tc.keep)
		}
		if !tc.keep && (!strings.Contains(e.Message, tc.e.Code) || strings.Contains(e.Message, "1234")) {
			t.Errorf("%s: message %q", tc.name, e.Message)
		}
		if e.Detail != "[masked]" || e.Hint != "[masked]" || e.Code != tc.e.Code {
			t.Errorf("%s: %+v", tc.name, e)
		}
	}
}
