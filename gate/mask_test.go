package gate_test

import (
	"context"
	"testing"

	"github.com/airlock-sdk/airlock/gate"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestMaskingSectionAndMasker(t *testing.T) {
	rs, err := gate.ParseRules("m.yaml", []byte(`
default: allow
rules:
  - name: mask-for-agents
    when: identity.kind == "agent"
    mask: [credit_card, employee_id, customers_card]
masking:
  detectors:
    - name: employee_id
      pattern: 'EMP-[0-9]{6}'
      keywords: [EMP-]
  fields:
    - name: customers_card
      columns: ["customers.card*"]
`))
	require.NoError(t, err)
	d := rs.Decide(context.Background(), sqlReq(agentSession("postgres"), "select"))
	require.NotNil(t, d.Masker)
	out, findings, err := d.Masker.Value("", "EMP-123456 paid with 4111-1111-1111-1111")
	require.NoError(t, err)
	assert.NotContains(t, out, "EMP-123456")
	assert.NotContains(t, out, "4111-1111-1111-1111")
	assert.Len(t, findings, 2)
	out, _, err = d.Masker.Value("customers.card_last4", "1234")
	require.NoError(t, err)
	assert.NotEqual(t, "1234", out, "field rules mask regardless of content")

	human := sqlReq(&gate.Session{Protocol: "postgres", Identity: gate.Identity{Subject: "bob", Kind: gate.KindHuman}}, "select")
	assert.Nil(t, rs.Decide(context.Background(), human).Masker, "no mask directive, no masker")
}

func TestMaskLoadErrors(t *testing.T) {
	_, err := gate.ParseRules("m.yaml", []byte("rules:\n  - name: m\n    when: 'true'\n    mask: [emial]\n"))
	require.Error(t, err)
	assert.Contains(t, err.Error(), `"emial"`)
	_, err = gate.ParseRules("m.yaml", []byte("rules: []\nmasking:\n  detectors:\n    - name: bad\n      pattern: '(['\n"))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "masking")
}
