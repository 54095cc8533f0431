package tool_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/airlock-sdk/airlock/protocols/tool"
)

type loginArgs struct {
	User     string            `json:"user"`
	Password string            `json:"password"`
	PIN      int               `json:"PIN"`
	Nested   map[string]any    `json:"nested"`
	Headers  map[string]string `json:"headers"`
}

// TestWrapSecretArgumentsNeverRecordedInClear: values of secret-named
// arguments (any depth and spelling, short, or with characters JSON
// escapes) are absent from every recorded event.
func TestWrapSecretArgumentsNeverRecordedInClear(t *testing.T) {
	cases := []loginArgs{
		{User: "ada", Password: "hunter2", PIN: 4321},
		{User: "ada", Password: "Tr0ub4dor&3xyz", Nested: map[string]any{"apiKey": `sk"quoted"secret`}},
		{User: "ada", Password: "p<w>\u2028d", Headers: map[string]string{"X-Auth-Token": "tok\\en\t1"}},
		{User: "ada", Nested: map[string]any{"list": []any{map[string]any{"client_secret": "zz&zz"}}}},
	}
	for _, c := range cases {
		f := newFixture(t, 0)
		login := tool.Wrap("get_login", func(ctx context.Context, a loginArgs) (string, error) { return "ok", nil })
		_, err := login(f.ctx, c)
		require.NoError(t, err)
		secrets := []string{c.Password, "4321"}
		for _, v := range c.Headers {
			secrets = append(secrets, v)
		}
		raw, _ := json.Marshal(c.Nested)
		for _, s := range []string{`sk"quoted"secret`, "zz&zz"} {
			if strings.Contains(string(raw), strings.ReplaceAll(s, `"`, `\"`)) || strings.Contains(string(raw), `zz\u0026zz`) {
				secrets = append(secrets, s)
			}
		}
		var command string
		for _, e := range f.rec.Events(f.s.ID) {
			for _, s := range secrets {
				if s == "" || s == "4321" && c.PIN == 0 {
					continue
				}
				esc, _ := json.Marshal(s)
				assert.NotContains(t, string(e.Body), s)
				assert.NotContains(t, string(e.Body), string(esc[1:len(esc)-1]))
			}
			if e.Event != nil && e.Event.Request != nil {
				command = e.Event.Request.Command
			}
		}
		// The recorder stores tool.Wrap's command arguments by name too,
		// so the marker itself may be stored as its HMAC.
		assert.True(t, strings.Contains(command, "[secret]") || strings.Contains(command, "hmac-sha256:"), command)
		assert.Contains(t, command, `"user":"ada"`)
	}
}

// TestRedactArgsListsSecrets: RedactArgs replaces everything under a
// secret-named key and lists the replaced values long enough to chase.
func TestRedactArgsListsSecrets(t *testing.T) {
	red, secrets := tool.RedactArgs(map[string]any{
		"Pass_Word": "hunter22", "pin": float64(4321), "id": float64(7),
		"auth":  map[string]any{"a": "abc", "b": []any{"defgh"}},
		"items": []any{map[string]any{"TOKEN": "t0k3n!"}},
	})
	assert.Equal(t, map[string]any{
		"Pass_Word": "[secret]", "pin": "[secret]", "id": float64(7),
		"auth":  map[string]any{"a": "[secret]", "b": []any{"[secret]"}},
		"items": []any{map[string]any{"TOKEN": "[secret]"}},
	}, red)
	assert.ElementsMatch(t, []string{"hunter22", "4321", "defgh", "t0k3n!"}, secrets)
}
