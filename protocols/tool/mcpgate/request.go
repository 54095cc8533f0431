package mcpgate

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/airlock-sdk/airlock/gate"
	"github.com/airlock-sdk/airlock/protocols/tool"
)

// The tool.kind values rules see for MCP requests.
const (
	kindCall     = "call"     // tools/call
	kindResource = "resource" // resources/read
	kindPrompt   = "prompt"   // prompts/get
	kindList     = "list"     // tools/list, resources/list, resources/templates/list, prompts/list
	// kindInitialize is the handshake: recorded, and decided for the masks
	// of the server's metadata, but its action is not enforced.
	kindInitialize = "initialize"
)

// errArgs is returned for arguments that are not a JSON object.
var errArgs = errors.New("arguments must be a JSON object")

// decodeArgs decodes tool arguments from the wire. It returns the value the
// rules see and its canonical encoding, which is what the gateway forwards:
// the upstream receives exactly what was judged, so a duplicate key or a
// number spelled two ways cannot make the upstream act on something else.
// Integral numbers that fit become int64, other numbers float64.
func decodeArgs(raw []byte) (map[string]any, []byte, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || bytes.Equal(raw, []byte("null")) {
		return map[string]any{}, []byte("{}"), nil
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, nil, fmt.Errorf("arguments: %w", err)
	}
	if dec.More() {
		return nil, nil, errors.New("arguments: trailing data after the JSON object")
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, nil, errArgs
	}
	conv, err := convertNumbers(m)
	if err != nil {
		return nil, nil, err
	}
	args := conv.(map[string]any)
	canon, err := json.Marshal(args)
	if err != nil {
		return nil, nil, fmt.Errorf("arguments: %w", err)
	}
	return args, canon, nil
}

func convertNumbers(v any) (any, error) {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			c, err := convertNumbers(e)
			if err != nil {
				return nil, err
			}
			x[k] = c
		}
		return x, nil
	case []any:
		for i, e := range x {
			c, err := convertNumbers(e)
			if err != nil {
				return nil, err
			}
			x[i] = c
		}
		return x, nil
	case json.Number:
		if i, err := strconv.ParseInt(string(x), 10, 64); err == nil {
			return i, nil
		}
		f, err := strconv.ParseFloat(string(x), 64)
		if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
			return nil, fmt.Errorf("arguments: number %q out of range", string(x))
		}
		return f, nil
	}
	return v, nil
}

// stringArgs turns prompt arguments into the map rules see.
func stringArgs(in map[string]string) map[string]any {
	m := make(map[string]any, len(in))
	for k, v := range in {
		m[k] = v
	}
	return m
}

// callRequest builds the gate request of a tools/call (or, with kind
// prompt, a prompts/get). The command shows the arguments with the values
// of secret-named ones replaced (tool.RedactArgs) before they are encoded,
// and those values are the request's Secrets, which the recorder
// remembers for the session's later events.
func callRequest(s *gate.Session, kind, name string, args map[string]any) (*gate.Request, error) {
	method := "tools/call"
	if kind == kindPrompt {
		method = "prompts/get"
	}
	shown, secrets, err := tool.CommandArgs(args)
	if err != nil {
		return nil, fmt.Errorf("arguments: %w", err)
	}
	return &gate.Request{
		Session:  s,
		Protocol: gate.ProtocolMCP,
		Command:  method + " " + display(name) + " " + string(shown),
		Secrets:  secrets,
		Tool:     &gate.ToolCall{Kind: kind, Name: name, Args: args},
	}, nil
}

// probeRequest is the request of a call of name without arguments, which
// judges whether the name alone is allowed.
func probeRequest(s *gate.Session, kind, name string) *gate.Request {
	req, _ := callRequest(s, kind, name, map[string]any{}) // {} always encodes
	return req
}

// resourceRequest builds the gate request of a resources/read. tool.name is
// empty: a read names only its URI.
func resourceRequest(s *gate.Session, uri string) *gate.Request {
	return &gate.Request{
		Session:  s,
		Protocol: gate.ProtocolMCP,
		Command:  "resources/read " + display(uri),
		Tool:     &gate.ToolCall{Kind: kindResource, URI: uri},
	}
}

// listRequest builds the gate request of a list method; tool.name is the
// method ("tools/list").
func listRequest(s *gate.Session, method, cursor string) *gate.Request {
	cmd := method
	if cursor != "" {
		cmd += " cursor=" + cursor
	}
	return &gate.Request{
		Session:  s,
		Protocol: gate.ProtocolMCP,
		Command:  cmd,
		Tool:     &gate.ToolCall{Kind: kindList, Name: method},
	}
}

// display quotes a name or URI for Command when it holds anything but
// plain characters, so that a reviewer reading the command cannot be misled
// by spaces, newlines or look-alike arguments inside a tool name.
func display(s string) string {
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("_-./:@", r)) {
			return strconv.Quote(s)
		}
	}
	if s == "" {
		return `""`
	}
	return s
}
