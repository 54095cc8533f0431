package mcpgate

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"

	"github.com/modelcontextprotocol/go-sdk/auth"
	sdk "github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/airlock-sdk/airlock/gate"
)

// MaxBodyBytes bounds one HTTP request body from the client.
const MaxBodyBytes = 4 << 20

// Handler returns the streamable HTTP endpoint of the gateway. Every HTTP
// request must carry a bearer token ("Authorization: Bearer", parsed by
// gate.BearerToken) that Config.Authenticator accepts; the
// identity is bound to the MCP session at initialize, and a later request of
// the session (POST, GET or DELETE) with another subject's token is refused
// with 403. Each HTTP request's token is verified once.
func (g *Gateway) Handler() http.Handler {
	h := sdk.NewStreamableHTTPHandler(func(*http.Request) *sdk.Server { return g.server },
		&sdk.StreamableHTTPOptions{SessionTimeout: g.cfg.IdleTimeout})
	// The SDK's bearer middleware is how an identity reaches the method
	// handlers (RequestExtra.TokenInfo), and its UserID binds the SDK's
	// session to the subject. Its verifier does not verify again: it reads
	// the identity the handler below established for this HTTP request.
	bridged := auth.RequireBearerToken(func(_ context.Context, _ string, r *http.Request) (*auth.TokenInfo, error) {
		id, ok := r.Context().Value(identityKey{}).(gate.Identity)
		if !ok {
			return nil, auth.ErrInvalidToken
		}
		return &auth.TokenInfo{UserID: id.Subject, Extra: map[string]any{identityExtra: id}}, nil
	}, &auth.RequireBearerTokenOptions{AllowMissingExpiration: true})(h)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, err := g.httpIdentity(r)
		if err != nil {
			// A refused client is in the record, with the reason; the
			// token itself never is.
			_ = g.cfg.Gate.RecordRefusal(r.Context(), gate.Refusal{Protocol: gate.ProtocolMCP, Target: g.cfg.Target,
				ClientAddr: r.RemoteAddr, Reason: "unauthenticated: " + err.Error()})
			w.Header().Set("WWW-Authenticate", `Bearer realm="airlock"`)
			http.Error(w, "airlock: "+err.Error(), http.StatusUnauthorized)
			return
		}
		var s *session
		if sid := r.Header.Get("Mcp-Session-Id"); sid != "" {
			g.mu.Lock()
			s = g.byID[sid]
			g.mu.Unlock()
			if s != nil && s.gs.Identity.Subject != id.Subject {
				writeRPC(w, http.StatusForbidden, errorFrame(nil, CodeRefused, "airlock: the bearer token does not belong to this session"))
				return
			}
		}
		if r.Method == http.MethodPost {
			if !checkBody(w, r) {
				return
			}
			if s != nil {
				// A session that ends (its record broke) closes only once
				// the POSTs it already read were answered: closing it
				// first would cut their answers off.
				s.posts.add(1)
				defer s.posts.add(-1)
			}
		}
		bridged.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), identityKey{}, id)))
	})
}

// identityKey carries the verified identity of an HTTP request to the
// bearer bridge.
type identityKey struct{}

// identityExtra is the TokenInfo.Extra key of the verified identity.
const identityExtra = "airlock.identity"

// requestIdentity returns the identity Handler verified for the HTTP request
// that carried a message.
func requestIdentity(extra *sdk.RequestExtra) (gate.Identity, bool) {
	if extra == nil || extra.TokenInfo == nil {
		return gate.Identity{}, false
	}
	id, ok := extra.TokenInfo.Extra[identityExtra].(gate.Identity)
	return id, ok && id.Subject != ""
}

// httpIdentity authenticates the bearer token of an HTTP request with
// Config.Authenticator.
func (g *Gateway) httpIdentity(r *http.Request) (gate.Identity, error) {
	tok, ok := gate.BearerToken(r.Header.Values("Authorization"))
	if !ok {
		return gate.Identity{}, errors.New("a bearer token is required")
	}
	id, err := g.cfg.Authenticator.Authenticate(r.Context(), gate.Credential{Protocol: gate.ProtocolMCP, ClientAddr: r.RemoteAddr, Token: tok})
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
