package httpgate

import (
	"net/http"
	"net/textproto"
	"strings"
)

// hopHeaders are the hop-by-hop fields (RFC 9110, 7.6.1) that
// httputil.ReverseProxy removes before it forwards a request.
var hopHeaders = []string{"Connection", "Proxy-Connection", "Keep-Alive", "Proxy-Authenticate",
	"Proxy-Authorization", "Te", "Trailer", "Transfer-Encoding", "Upgrade"}

// dropHopByHop removes from h what the reverse proxy would remove after
// the rules ran: the hop-by-hop fields and every field the client lists in
// Connection (which it sends for the gateway alone). Te is kept as
// "trailers" when it asked for trailers, as the reverse proxy sends it.
// The rules then judge the headers the upstream receives.
func dropHopByHop(h http.Header) {
	trailers := hasToken(h["Te"], "trailers")
	for _, v := range h["Connection"] {
		for name := range strings.SplitSeq(v, ",") {
			if name = textproto.TrimString(name); name != "" {
				h.Del(name)
			}
		}
	}
	for _, k := range hopHeaders {
		delete(h, k)
	}
	if trailers {
		h["Te"] = []string{"trailers"}
	}
}

// hasToken reports whether a comma-separated list among vals holds token,
// in any case.
func hasToken(vals []string, token string) bool {
	for _, v := range vals {
		for t := range strings.SplitSeq(v, ",") {
			if strings.EqualFold(textproto.TrimString(t), token) {
				return true
			}
		}
	}
	return false
}
