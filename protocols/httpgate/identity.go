package httpgate

import (
	"net/http"

	"github.com/airlock-sdk/airlock/gate"
)

// identify asks Config.Authenticator who sent r. The credential carries the
// bearer token of r's one Authorization header, parsed by gate.BearerToken
// (empty when there is none, or more than one), and the client's address.
func (gw *Gateway) identify(r *http.Request) (gate.Identity, error) {
	tok, _ := gate.BearerToken(r.Header["Authorization"])
	return gw.cfg.Authenticator.Authenticate(r.Context(), gate.Credential{Protocol: gate.ProtocolHTTP, ClientAddr: r.RemoteAddr, Token: tok})
}
