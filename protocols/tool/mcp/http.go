package mcp

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"strings"

	sdk "github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/airlock-sdk/airlock/gate"
)

// MaxBodyBytes bounds one HTTP request body from the client.
const MaxBodyBytes = 4 << 20

// Handler returns the streamable HTTP endpoint of the gateway. Every HTTP
// request must carry a bearer token that Config.TokenIdentity accepts; the
// identity is bound to the MCP session at initialize, and a later request of
// the session with another subject's token is refused.
func (g *Gateway) Handler() http.Handler {
	h := sdk.NewStreamableHTTPHandler(func(*http.Request) *sdk.Server { return g.server },
		&sdk.StreamableHTTPOptions{SessionTimeout: g.cfg.IdleTimeout})
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, err := g.httpIdentity(r.Context(), r.Header); err != nil {
			w.Header().Set("WWW-Authenticate", `Bearer realm="airlock"`)
			http.Error(w, "airlock: "+err.Error(), http.StatusUnauthorized)
			return
		}
		if r.Method == http.MethodPost && !checkBody(w, r) {
			return
		}
		h.ServeHTTP(w, r)
	})
}

// httpIdentity authenticates the bearer token in h.
func (g *Gateway) httpIdentity(ctx context.Context, h http.Header) (gate.Identity, error) {
	if g.cfg.TokenIdentity == nil {
		return gate.Identity{}, errors.New("no token authenticator is configured")
	}
	auth := h.Get("Authorization")
	scheme, tok, ok := strings.Cut(auth, " ")
	if !ok || !strings.EqualFold(scheme, "bearer") || strings.TrimSpace(tok) == "" {
		return gate.Identity{}, errors.New("a bearer token is required")
	}
	id, err := g.cfg.TokenIdentity(ctx, strings.TrimSpace(tok))
	if err != nil {
		return gate.Identity{}, errors.New("the bearer token was not accepted")
	}
	if id.Subject == "" {
		return gate.Identity{}, errors.New("the bearer token names no subject")
	}
	return id, nil
}

// checkBody reads a POST body and answers a malformed message or an unknown
// method with a JSON-RPC error; it reports whether the request may go on.
func checkBody(w http.ResponseWriter, r *http.Request) bool {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBodyBytes))
	_ = r.Body.Close()
	if err != nil {
		writeRPC(w, http.StatusRequestEntityTooLarge, errorFrame(nil, -32600, "airlock: invalid request: body too large or unreadable"))
		return false
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	r.ContentLength = int64(len(body))
	trimmed := bytes.TrimSpace(body)
	if len(trimmed) > 0 && trimmed[0] == '[' {
		writeRPC(w, http.StatusBadRequest, errorFrame(nil, -32600, "airlock: invalid request: batches are not supported"))
		return false
	}
	reject, reply := checkFrame(body)
	if !reject {
		return true
	}
	if len(reply) == 0 {
		w.WriteHeader(http.StatusAccepted)
		return false
	}
	status := http.StatusOK
	if bytes.Contains(reply, []byte(`"code":-32700`)) || bytes.Contains(reply, []byte(`"code":-32600`)) {
		status = http.StatusBadRequest
	}
	writeRPC(w, status, reply)
	return false
}

func writeRPC(w http.ResponseWriter, status int, body []byte) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(body)
}
