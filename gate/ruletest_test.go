package gate_test

import (
	"context"
	"testing"

	"github.com/airlock-sdk/airlock/gate"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestRuleCases(t *testing.T) {
	rs, err := gate.ParseRules("base.yaml", []byte(baseRules))
	require.NoError(t, err)
	cases, err := gate.ParseRuleCases("cases.yaml", []byte(`
cases:
  - name: read
    identity: {subject: a, groups: [agents], kind: agent}
    request: {protocol: postgres, sql: {statements: [{kind: SELECT, read_only: true}]}}
    expect: {action: allow, rules: [mask-pii], mask: [us_ssn, email, credit_card]}
  - name: wrong
    identity: {subject: a}
    request: {sql: {statements: [{kind: UPDATE}]}}
    expect: {action: allow, rule: nope}
`))
	require.NoError(t, err)
	res := rs.RunCases(context.Background(), cases)
	require.Len(t, res, 2)
	assert.True(t, res[0].Passed(), "%v", res[0].Failures)
	assert.False(t, res[1].Passed())
	assert.Len(t, res[1].Failures, 2)

	_, err = gate.ParseRuleCases("bad.yaml", []byte("cases:\n  - name: x\n    request: {sql: {statments: []}}\n    expect: {action: allow}\n"))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "bad.yaml: line 3")
	assert.Contains(t, err.Error(), "statments")
	_, err = gate.ParseRuleCases("bad.yaml", []byte("cases:\n  - name: x\n    expect: {action: permit}\n"))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "unknown action")
}
