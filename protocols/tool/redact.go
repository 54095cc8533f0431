package tool

import (
	"encoding/json"

	"github.com/airlock-sdk/airlock/mask"
)

// SecretMarker stands in the recorded command for the value of an argument
// named like a secret; it is the marker gate's review display uses.
const SecretMarker = "[secret]"

// minSecretLen is the shortest argument value listed in
// gate.Request.Secrets: the recorder replaces a listed secret wherever it
// occurs in the session's later events, which a one- to three-byte value
// ("1", "yes") would garble. Shorter values are still replaced in the
// command and hashed in tool.args.
const minSecretLen = 4

// RedactArgs returns a copy of args in which the value of every argument
// named like a secret (mask.IsSecretName, at any depth, in any case or
// spelling the recorder recognises; everything under such an argument) is
// SecretMarker, and the text forms of the values it replaced, for
// gate.Request.Secrets. Build a recorded command from the copy: a secret
// is then absent from it however JSON would have escaped it.
func RedactArgs(args map[string]any) (map[string]any, []string) {
	var secrets []string
	out, _ := redactValue(args, false, &secrets).(map[string]any)
	return out, secrets
}

// CommandArgs is the JSON of args with secrets replaced (RedactArgs), for
// a recorded command, and the secrets it replaced.
func CommandArgs(args map[string]any) ([]byte, []string, error) {
	red, secrets := RedactArgs(args)
	b, err := json.Marshal(red)
	return b, secrets, err
}

// redactValue copies v, replacing every leaf with SecretMarker when
// secret is set (v stands under a secret-named key) and collecting the
// replaced leaves' text.
func redactValue(v any, secret bool, secrets *[]string) any {
	switch x := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = redactValue(e, secret || mask.IsSecretName(k), secrets)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = redactValue(e, secret, secrets)
		}
		return out
	}
	if !secret || v == nil {
		return v
	}
	text, ok := v.(string)
	if !ok {
		b, err := json.Marshal(v)
		if err != nil {
			return SecretMarker
		}
		text = string(b)
	}
	if len(text) >= minSecretLen {
		*secrets = append(*secrets, text)
	}
	return SecretMarker
}
