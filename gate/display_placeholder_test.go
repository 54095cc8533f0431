package gate_test

import (
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/airlock-sdk/airlock/gate"
)

// TestSQLPlaceholderGenerated is the generator of the family "the
// reviewer's placeholder for a hidden literal is rewritten by the
// masker": SQL that sets or compares a password, a token or a secret,
// with and without an operator before the literal, in every literal form
// PostgreSQL has. The reviewer sees [SECRET] (or the masker's own token)
// where the literal was, never [secret], a token in a token or the value.
func TestSQLPlaceholderGenerated(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 9))
	heads := []string{"ALTER ROLE app WITH LOGIN PASSWORD ", "CREATE USER x password ", "ALTER USER x ENCRYPTED PASSWORD\n  ",
		"UPDATE users SET password = ", "UPDATE t SET api_key=", "SELECT 1 WHERE token = ", "INSERT INTO s (k) SELECT secret := ",
		"UPDATE accounts SET passwd= ", "SELECT * FROM u WHERE client_secret = "}
	values := []string{"hunter2xyz", "s3cr3t-Vr7xq", "p@ss w0rd!", "Zm9vYmFy", "x y z 123"}
	lits := []func(string) string{
		func(v string) string { return "'" + v + "'" },
		func(v string) string { return "E'" + v + "'" },
		func(v string) string { return "$$" + v + "$$" },
		func(v string) string { return "$p$" + v + "$p$" },
	}
	tails := []string{"", " VALID UNTIL 'infinity'", " WHERE id = 7", ";"}
	bad, total := 0, 0
	for range 300 {
		v := values[r.IntN(len(values))]
		sql := heads[r.IntN(len(heads))] + lits[r.IntN(len(lits))](v) + tails[r.IntN(len(tails))]
		total++
		p, err := held(t, &gate.Request{Protocol: "postgres", Command: sql, SQL: &gate.SQL{Statements: []gate.SQLStatement{{Kind: "UPDATE"}}}})
		require.NoError(t, err)
		got := p.Request.Command
		if strings.Contains(stored(t, p), v) || strings.Contains(got, "[secret]") || strings.Contains(got, "[[") ||
			strings.Contains(got, "]]") || !strings.Contains(got, "[SECRET]") && !strings.Contains(got, "[PASSWORD_ASSIGNMENT]") {
			if bad++; bad <= 10 {
				t.Errorf("%q shown as %q", sql, got)
			}
		}
	}
	t.Logf("%d of %d placeholders rewritten, missing or leaking", bad, total)
	assert.Zero(t, bad)
}
