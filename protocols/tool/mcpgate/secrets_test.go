package mcpgate

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	sdk "github.com/modelcontextprotocol/go-sdk/mcp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// secretSpellings are argument names the recorder takes for secrets, in
// the cases and spellings it recognises.
var secretSpellings = []string{"password", "PassWord", "api_key", "X-Api-Key", "apiKey", "pin", "PIN", "otp", "client.secret", "refresh_token", "Authorization"}

// secretValue is a random value of 1 to 24 bytes with characters JSON
// escapes ('&', '<', '"', '\\', control and non-ASCII characters).
func secretValue(r *rand.Rand) string {
	const alphabet = "Qz7&<>\"\\'é\u2028\tXq9"
	var b strings.Builder
	b.WriteString("Zq")
	runes := []rune(alphabet)
	for n := r.IntN(22); n > 0; n-- {
		b.WriteRune(runes[r.IntN(len(runes))])
	}
	return b.String()
}

// secretArgs builds arguments holding secrets under secret-named keys at
// random depths (in objects and arrays of objects), and returns them with
// the secret values.
func secretArgs(r *rand.Rand) (map[string]any, []string) {
	var secrets []string
	leaf := func() any {
		v := secretValue(r)
		secrets = append(secrets, v)
		return v
	}
	args := map[string]any{"user": "ada"}
	for i := r.IntN(3) + 1; i > 0; i-- {
		name := secretSpellings[r.IntN(len(secretSpellings))]
		switch r.IntN(3) {
		case 0:
			args[name] = leaf()
		case 1:
			args[fmt.Sprintf("nested%d", i)] = map[string]any{name: leaf(), "note": "plain"}
		default:
			args[fmt.Sprintf("list%d", i)] = []any{map[string]any{name: leaf()}, map[string]any{"other": name}}
		}
	}
	return args, secrets
}

// TestMCPSecretArgumentsNeverRecordedInClear: the value of an argument
// named like a secret (any depth, any spelling the recorder recognises,
// any characters JSON would escape) never shows in clear anywhere in the
// record — the command included — for tools/call and prompts/get, and the
// command shows "[secret]" in its place.
func TestMCPSecretArgumentsNeverRecordedInClear(t *testing.T) {
	f, _ := newNamesFixture(t)
	cs, _ := f.connectCaptured(t, nil)
	ctx := context.Background()
	r := rand.New(rand.NewPCG(1, 2))
	var all []string
	for range 40 {
		args, secrets := secretArgs(r)
		all = append(all, secrets...)
		_, err := cs.CallTool(ctx, &sdk.CallToolParams{Name: "read_things", Arguments: args})
		require.NoError(t, err)
		pin := secretValue(r)
		all = append(all, pin)
		_, err = cs.GetPrompt(ctx, &sdk.GetPromptParams{Name: "summary", Arguments: map[string]string{"topic": "x", "Password": pin}})
		require.NoError(t, err)
	}
	var commands int
	for _, id := range f.rec.Sessions() {
		for _, e := range f.rec.Events(id) {
			body := string(e.Body)
			for _, s := range all {
				escaped, _ := json.Marshal(s)
				inner := string(escaped[1 : len(escaped)-1])
				assert.NotContains(t, body, s, "a secret argument is recorded in clear")
				assert.NotContains(t, body, inner, "a secret argument is recorded JSON-escaped")
			}
			if e.Event != nil && e.Event.Request != nil && strings.HasPrefix(e.Event.Request.Command, "tools/call read_things") {
				commands++
				assert.Contains(t, e.Event.Request.Command, "[secret]")
			}
		}
	}
	assert.Positive(t, commands, "no call was recorded")
}
