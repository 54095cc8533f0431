package mcpgate

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"strings"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"

	"github.com/airlock-sdk/airlock/internal/packed"
	"github.com/airlock-sdk/airlock/mask"
)

// The gateway holds credentials for its upstream that the agent must
// never see: the token its HTTP client presents, a password in the
// upstream URL, the secrets in a stdio server's environment. An upstream
// that echoes them (a tool printing its environment or the headers it
// received, an error quoting its configuration) would hand them to the
// agent, whatever the rules mask. Config.Secrets names them: an answer
// (a result, a list page, an error message, the initialize result)
// holding one of them, in any reading the detectors use (escaped, base64
// at any alignment, split across JSON values), is withheld with an error,
// and the withholding is recorded.

// secretPolicy returns the policy that finds the secrets (nil when there
// are none).
func secretPolicy(secrets []string) *mask.Policy {
	var vals []string
	for _, s := range secrets {
		if s = strings.TrimSpace(s); s != "" {
			vals = append(vals, s)
		}
	}
	if len(vals) == 0 {
		return nil
	}
	return (*mask.Policy)(nil).WithSecrets(vals)
}

// holdsSecret reports whether data, an answer's JSON, holds one of the
// gateway's secrets, also packed: a gzip, zlib, raw deflate or zip file
// in base64 or hex (an image's data, a blob, a text) is searched with
// what it unpacks to (packed.Unpack). An answer that cannot be searched
// (packed data without a decoder here, more than maxUnpacked bytes
// unpacked) holds one.
func (g *Gateway) holdsSecret(data []byte) bool {
	if g.secrets == nil {
		return false
	}
	out, _, err := g.secrets.JSON(data)
	if err != nil || !bytes.Equal(out, data) {
		return true
	}
	found := false
	visit := func(u []byte) bool {
		found = g.secrets.Finds(u)
		return found
	}
	if err := packed.Unpack(data, maxUnpacked, visit); err != nil || found {
		return true
	}
	if !bytes.Contains(data, []byte(`\u00`)) && packed.Latin1(data) == nil {
		return false
	}
	// Binary data as characters up to U+00FF in the answer's strings
	// (see packed.Latin1), escaped in its JSON.
	var v any
	if err := json.Unmarshal(data, &v); err != nil {
		return true
	}
	return latin1Holds(v, g.secrets.Finds)
}

// latin1Holds reports whether a string of v, read as ISO 8859-1, unpacks
// to what finds finds, or cannot be searched.
func latin1Holds(v any, finds func([]byte) bool) bool {
	switch v := v.(type) {
	case string:
		if l := packed.Latin1([]byte(v)); l != nil {
			if packed.Binary(l) {
				return true // raw deflate may start anywhere in it
			}
			hit := false
			err := packed.Unpack(l, maxUnpacked, func(u []byte) bool { hit = finds(u); return hit })
			return err != nil || hit
		}
	case []any:
		for _, e := range v {
			if latin1Holds(e, finds) {
				return true
			}
		}
	case map[string]any:
		for k, e := range v {
			if latin1Holds(k, finds) || latin1Holds(e, finds) {
				return true
			}
		}
	}
	return false
}

// maxUnpacked bounds what an answer is unpacked to when it is searched
// for the secrets.
const maxUnpacked = 8 << 20

// errSecretWithheld answers a request whose answer held a secret.
func errSecretWithheld() error {
	return rpcError(jsonrpc.CodeInternalError, "airlock: the answer holds a credential of the gateway, so it was withheld")
}

// withholdSecret records that an answer was withheld for holding a
// secret and returns the error the client gets instead.
func (s *session) withholdSecret(ctx context.Context, what string) error {
	s.recordError(ctx, "mcp: "+what+" holds one of the gateway's secrets (Config.Secrets); withheld")
	return errSecretWithheld()
}

// errItemSecret withholds a list item that holds a secret.
var errItemSecret = errors.New("the item holds one of the gateway's secrets")

// errInitSecret refuses a session whose upstream's initialize result
// holds a secret.
var errInitSecret = errors.New("the upstream's initialize result holds one of the gateway's secrets")
