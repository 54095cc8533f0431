package mask

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// The JSON masker writes strings as encoding/json does with HTML escaping
// off (internal/jsontext, shared with the record): \b and \f in their short
// forms (they were \u0008 and \u000c before the tokenizers became one), '<',
// '>' and '&' kept. The output is the re-encoding of the masked values, so
// escaping, which happens after the detectors ran on decoded text, cannot
// let a secret through: a card spelled with escapes in the input, or next
// to the characters whose escapes changed, is masked, and the decoded
// output holds no digit of it.
func TestJSONEscapingKeepsMaskingComplete(t *testing.T) {
	p := jsonPolicy(t, Config{}, "pii", "secrets")
	in := `{"a":"\b4111\u00201111\u00201111\u00201111\f","b":"<x>&\u0008\u000c\u0001","password":"hunter2\b"}`
	out, findings, err := p.JSON([]byte(in))
	require.NoError(t, err)
	require.NotEmpty(t, findings)

	var got map[string]string
	require.NoError(t, json.Unmarshal(out, &got))
	for _, v := range got {
		require.NotContains(t, strings.Join(strings.Fields(v), ""), "4111111111111111")
		require.NotContains(t, v, "hunter2")
	}
	require.Equal(t, map[string]string{"a": "\b[CREDIT_CARD]\f", "b": "<x>&\b\f\x01", "password": "[PASSWORD_ASSIGNMENT]"}, got)

	// Byte for byte what encoding/json writes for the masked values.
	var want bytes.Buffer
	enc := json.NewEncoder(&want)
	enc.SetEscapeHTML(false)
	require.NoError(t, enc.Encode(got["b"]))
	require.Contains(t, string(out), `"b":`+strings.TrimSpace(want.String()))
	require.Contains(t, string(out), `"\b[CREDIT_CARD]\f"`)
}
