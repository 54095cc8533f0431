package gate_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/airlock-sdk/airlock/approval"
	"github.com/airlock-sdk/airlock/gate"
	"github.com/jackc/pgx/v5/pgproto3"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const displayRules = `
default: deny
rules:
  - name: hold
    when: "!request.command.startsWith('STRICT') && !request.command.startsWith('WHY')"
    action: review
  - name: strict
    when: request.command.startsWith('STRICT')
    action: review
    review: {require_displayable: true}
  - name: why
    when: request.command.startsWith('WHY')
    action: review
    review: {require_requester_reason: true}
`

// held files req for review and returns the review as stored by the
// approver (what consoles, webhooks and the PostgreSQL store work from), or
// the refusal when the gate did not hold it.
func held(t *testing.T, req *gate.Request) (approval.Pending, error) {
	t.Helper()
	rs, err := gate.ParseRules("display.yaml", []byte(displayRules))
	require.NoError(t, err)
	mem := &approval.Memory{}
	g := gate.New(gate.Config{Rules: rs, Approver: mem, ReviewMode: gate.RefuseThenRetry})
	if req.Session == nil {
		req.Session = &gate.Session{Protocol: req.Protocol, Target: "prod", Identity: gate.Identity{Subject: "agent-1", Kind: gate.KindAgent}}
	}
	_, err = g.Check(context.Background(), req)
	var re *gate.RefusedError
	if !errors.As(err, &re) || !re.Pending() {
		return approval.Pending{}, err
	}
	pend, err := mem.Pending(context.Background())
	require.NoError(t, err)
	require.Len(t, pend, 1)
	return pend[0], nil
}

func stored(t *testing.T, p approval.Pending) string {
	b, err := json.Marshal(p)
	require.NoError(t, err)
	return string(b)
}

func item(p approval.Pending, label string) gate.DetailItem {
	for _, it := range p.Request.Details.Items {
		if it.Label == label {
			return it
		}
	}
	return gate.DetailItem{}
}

// The case of issue 18: the reviewer saw only "POST /review".
func TestReviewShowsHTTPBody(t *testing.T) {
	body := `{"amount":999999,"to":"attacker-account","contact":"eve@example.com","card":"4111 1111 1111 1111"}`
	p, err := held(t, &gate.Request{Protocol: "http", Command: "POST /review", Payload: []byte(body),
		HTTP: &gate.HTTP{Method: "POST", Path: "/review", Query: map[string][]string{"dry": {"0"}},
			Headers: map[string][]string{"content-type": {"application/json"}, "authorization": {"Bearer tok-123"}}},
		Secrets: []string{"Bearer tok-123"}})
	require.NoError(t, err)
	b := item(p, "Body")
	assert.Contains(t, b.Text, `"amount": 999999`)
	assert.Contains(t, b.Text, `"to": "attacker-account"`)
	assert.Contains(t, b.Text, "\n  ", "pretty-printed")
	all := stored(t, p)
	for _, raw := range []string{"eve@example.com", "4111 1111 1111 1111", "tok-123"} {
		assert.NotContains(t, all, raw, "stored unmasked")
	}
	assert.Contains(t, item(p, "Query").Text, "dry=0")
	assert.Contains(t, item(p, "Headers").Text, "content-type: application/json")
	assert.False(t, p.Request.Details.Undisplayable)
}

// Duplicate keys are shown as sent: the reviewer sees both, not the value
// one JSON reader would keep.
func TestReviewShowsDuplicateKeys(t *testing.T) {
	p, err := held(t, &gate.Request{Protocol: "http", Command: "POST /pay", Payload: []byte(`{"to":"alice","to":"attacker"}`),
		HTTP: &gate.HTTP{Method: "POST", Path: "/pay", Body: map[string]any{"to": "attacker"}}})
	require.NoError(t, err)
	b := item(p, "Body").Text
	assert.Contains(t, b, `"alice"`)
	assert.Contains(t, b, `"attacker"`)
}

func TestReviewMarksWhatCannotBeShown(t *testing.T) {
	for name, payload := range map[string]string{
		"binary":         "\x00\x01\x02PK\x03\x04",
		"over the bound": "sha256:" + strings.Repeat("ab", 32) + " length:9000000",
		"bidi controls":  "pay \u202eevil\u202c",
	} {
		t.Run(name, func(t *testing.T) {
			req := func(cmd string) *gate.Request {
				return &gate.Request{Protocol: "http", Command: cmd, Payload: []byte(payload), HTTP: &gate.HTTP{Method: "POST", Path: "/x"}}
			}
			p, err := held(t, req("POST /x"))
			require.NoError(t, err)
			assert.True(t, p.Request.Details.Undisplayable)
			assert.NotEmpty(t, item(p, "Body").Omitted)
			assert.Empty(t, item(p, "Body").Text)
			// With require_displayable the same request is refused, not held.
			_, err = held(t, req("STRICT POST /x"))
			require.ErrorIs(t, err, gate.ErrDenied)
			assert.Contains(t, err.Error(), "cannot be shown to reviewers")
		})
	}
	// A displayable request under the strict rule is held as usual.
	_, err := held(t, &gate.Request{Protocol: "http", Command: "STRICT POST /x", Payload: []byte(`{"a":1}`), HTTP: &gate.HTTP{Method: "POST", Path: "/x"}})
	require.NoError(t, err)
}

func bind(t *testing.T, formats []int16, params ...[]byte) []byte {
	b, err := (&pgproto3.Bind{ParameterFormatCodes: formats, Parameters: params}).Encode(nil)
	require.NoError(t, err)
	return b
}

// The other case of issue 18: Parse "INSERT ... ($1)" + Bind('ATTACKER').
func TestReviewShowsBindParameters(t *testing.T) {
	sql := &gate.SQL{Statements: []gate.SQLStatement{{Kind: "INSERT", Text: "INSERT INTO t VALUES ($1, $2, $3)"}}}
	payload := bind(t, []int16{0, 0, 1}, []byte("ATTACKER-CHOSEN VALUE"), []byte("4111111111111111"), []byte{0, 0, 0, 7})
	p, err := held(t, &gate.Request{Protocol: "postgres", Command: "INSERT INTO t VALUES ($1, $2, $3)", Payload: payload, SQL: sql})
	require.NoError(t, err)
	params := item(p, "Parameters").Text
	assert.Contains(t, params, "$1 = 'ATTACKER-CHOSEN VALUE'")
	assert.Contains(t, params, "$2 = ")
	assert.NotContains(t, stored(t, p), "4111111111111111")
	assert.Contains(t, params, "$3 = [binary, 4 bytes: not shown]")
	assert.Contains(t, item(p, "Parameters").Omitted, "$3 (binary, 4 bytes)")
	assert.True(t, p.Request.Details.Undisplayable)

	// Values decoded by the protocol (SQL.Params) are shown as given.
	sql2 := &gate.SQL{Statements: sql.Statements, Params: []string{"'x'", "<binary 8 bytes>"}}
	p, err = held(t, &gate.Request{Protocol: "postgres", Command: "INSERT INTO t VALUES ($1, $2)", Payload: payload, SQL: sql2})
	require.NoError(t, err)
	assert.Contains(t, item(p, "Parameters").Text, "$1 = 'x'")
	assert.Contains(t, item(p, "Parameters").Omitted, "$2 (binary, 8 bytes)")

	// Garbage where Bind messages should be is marked, never dropped.
	p, err = held(t, &gate.Request{Protocol: "postgres", Command: "INSERT INTO t VALUES ($1)", Payload: []byte("Bxx"), SQL: sql})
	require.NoError(t, err)
	assert.True(t, p.Request.Details.Undisplayable)
}

func TestReviewMasksSecretsAndCommand(t *testing.T) {
	p, err := held(t, &gate.Request{Protocol: "postgres", Command: "ALTER ROLE app PASSWORD 'hunter2'; -- ops@example.com",
		Secrets: []string{"hunter2"}, SQL: &gate.SQL{Statements: []gate.SQLStatement{{Kind: "ALTER"}}}})
	require.NoError(t, err)
	all := stored(t, p)
	assert.NotContains(t, all, "hunter2")
	assert.NotContains(t, all, "ops@example.com")
	assert.Contains(t, p.Request.Command, "ALTER ROLE app PASSWORD")
}

func TestRequesterReason(t *testing.T) {
	// Required and missing: refused with a message that says how to give one.
	_, err := held(t, &gate.Request{Protocol: "http", Command: "WHY POST /x", HTTP: &gate.HTTP{Method: "POST", Path: "/x"}})
	require.ErrorIs(t, err, gate.ErrDenied)
	assert.Contains(t, err.Error(), gate.ReasonHeader)

	cases := map[string]*gate.Request{
		"http header": {Protocol: "http", Command: "WHY POST /x",
			HTTP: &gate.HTTP{Method: "POST", Path: "/x", Headers: map[string][]string{"airlock-reason": {"ticket 42"}}}},
		"sql comment": {Protocol: "postgres", Command: "WHY /* reason: ticket 42 */ DELETE FROM t",
			SQL: &gate.SQL{Statements: []gate.SQLStatement{{Kind: "DELETE"}}}},
		"tool argument":   {Protocol: "tool", Command: "WHY drop", Tool: &gate.ToolCall{Name: "drop", Args: map[string]any{"airlock_reason": "ticket 42"}}},
		"mcp _meta":       {Protocol: "mcp", Command: "WHY call", Tool: &gate.ToolCall{Name: "x", Args: map[string]any{"_meta": map[string]any{"reason": "ticket 42"}}}},
		"set by protocol": {Protocol: "mcp", Command: "WHY call", Reason: "ticket\n42", Tool: &gate.ToolCall{Name: "x"}},
	}
	for name, req := range cases {
		t.Run(name, func(t *testing.T) {
			p, err := held(t, req)
			require.NoError(t, err)
			assert.Contains(t, []string{"ticket 42"}, p.Request.RequesterReason)
		})
	}
	// A reason inside a string literal is not a reason.
	_, err = held(t, &gate.Request{Protocol: "postgres", Command: "WHY SELECT '/* reason: fake */'",
		SQL: &gate.SQL{Statements: []gate.SQLStatement{{Kind: "SELECT"}}}})
	require.ErrorIs(t, err, gate.ErrDenied)
}

// PASSWORD literals are masked in every form even when the protocol did
// not list them as secrets.
func TestReviewMasksPasswordLiterals(t *testing.T) {
	for _, sql := range []string{
		"ALTER ROLE app WITH LOGIN PASSWORD 'hunter2' VALID UNTIL 'infinity'",
		"CREATE USER x password 'hunter''2'",
		"ALTER USER x PASSWORD E'hunter\\'2'",
		"ALTER USER x PASSWORD $p$hunter2$p$",
		"ALTER USER x ENCRYPTED PASSWORD\n  $$hunter2$$",
		"ALTER USER x PASSWORD 'hunter2",
	} {
		p, err := held(t, &gate.Request{Protocol: "postgres", Command: sql, SQL: &gate.SQL{Statements: []gate.SQLStatement{{Kind: "ALTER"}}}})
		require.NoError(t, err)
		all := stored(t, p)
		assert.NotContains(t, all, "hunter", sql)
		assert.Contains(t, p.Request.Command, "[SECRET]", sql)
	}
}

// Rules see the requester's reason as request.reason.
func TestRulesSeeRequesterReason(t *testing.T) {
	rs, err := gate.ParseRules("r.yaml", []byte(`
rules:
  - name: ticketed
    when: request.reason.matches("^ticket [0-9]+$")
    action: allow
`))
	require.NoError(t, err)
	g := gate.New(gate.Config{Rules: rs})
	s := &gate.Session{Protocol: "postgres", Identity: gate.Identity{Subject: "a"}}
	sql := &gate.SQL{Statements: []gate.SQLStatement{{Kind: "DELETE"}}}
	_, err = g.Check(context.Background(), &gate.Request{Session: s, Command: "/* reason: ticket 7 */ DELETE FROM t", SQL: sql})
	require.NoError(t, err)
	_, err = g.Check(context.Background(), &gate.Request{Session: s, Command: "DELETE FROM t", SQL: sql})
	require.ErrorIs(t, err, gate.ErrDenied)
}
