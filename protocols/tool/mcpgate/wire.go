package mcpgate

import (
	"bytes"
	"encoding/json"
	"fmt"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"
)

// Wire checks. The SDK ends a stdio session on the first undecodable frame
// and answers an unknown method over HTTP with a plain-text 400. The gateway
// answers both with JSON-RPC errors instead, before the SDK sees them, and
// never forwards such a message anywhere.

// knownMethods are the methods the gateway's server understands, from the
// client. Anything else is answered with "method not found".
var knownMethods = map[string]bool{
	"initialize": true, "ping": true, "logging/setLevel": true,
	"tools/list": true, "tools/call": true,
	"resources/list": true, "resources/templates/list": true, "resources/read": true,
	"resources/subscribe": true, "resources/unsubscribe": true,
	"prompts/list": true, "prompts/get": true, "completion/complete": true,
	"server/discover": true, "subscriptions/listen": true,
	"notifications/initialized": true, "notifications/cancelled": true,
	"notifications/progress": true, "notifications/roots/list_changed": true,
}

// checkFrame validates one frame from the client. It returns nil when the
// frame may go to the SDK, or the JSON-RPC error response to send back
// instead (empty when the frame is a notification that needs no answer).
func checkFrame(frame []byte) (reject bool, reply []byte) {
	frame = bytes.TrimSpace(frame)
	if len(frame) == 0 {
		return true, nil
	}
	if !json.Valid(frame) {
		return true, errorFrame(nil, jsonrpc.CodeParseError, "airlock: parse error: the message is not valid JSON")
	}
	var head struct {
		JSONRPC string          `json:"jsonrpc"`
		ID      json.RawMessage `json:"id"`
		Method  *string         `json:"method"`
	}
	if frame[0] != '{' || json.Unmarshal(frame, &head) != nil {
		return true, errorFrame(nil, jsonrpc.CodeInvalidRequest, "airlock: invalid request: a message must be a JSON-RPC object")
	}
	id := head.ID
	if len(id) > 0 && !validID(id) {
		return true, errorFrame(nil, jsonrpc.CodeInvalidRequest, "airlock: invalid request: id must be a string or a number")
	}
	if head.JSONRPC != "2.0" {
		return true, errorFrame(id, jsonrpc.CodeInvalidRequest, `airlock: invalid request: "jsonrpc" must be "2.0"`)
	}
	if _, err := jsonrpc.DecodeMessage(frame); err != nil {
		return true, errorFrame(id, jsonrpc.CodeInvalidRequest, "airlock: invalid request: the message is not a JSON-RPC request, notification or response")
	}
	if head.Method != nil && !knownMethods[*head.Method] {
		if len(id) == 0 || bytes.Equal(id, []byte("null")) {
			return true, nil // an unknown notification is dropped
		}
		return true, errorFrame(id, jsonrpc.CodeMethodNotFound, fmt.Sprintf("airlock: method %q not found", *head.Method))
	}
	return false, nil
}

func validID(id json.RawMessage) bool {
	var v any
	if json.Unmarshal(id, &v) != nil {
		return false
	}
	switch v.(type) {
	case string, float64, nil:
		return true
	}
	return false
}

// errorFrame encodes a JSON-RPC error response.
func errorFrame(id json.RawMessage, code int64, msg string) []byte {
	if len(id) == 0 {
		id = json.RawMessage("null")
	}
	b, _ := json.Marshal(struct {
		JSONRPC string          `json:"jsonrpc"`
		ID      json.RawMessage `json:"id"`
		Error   jsonrpc.Error   `json:"error"`
	}{"2.0", id, jsonrpc.Error{Code: code, Message: msg}})
	return b
}
