package httpgate

import (
	"net/http"
	"strings"
)

// An upstream behind the proxy takes the gateway for its trusted proxy,
// and reads what a proxy tells it about the client from forwarding
// headers: the client's address (X-Forwarded-For, X-Real-IP,
// True-Client-IP, ...: IP allowlists, rate limits, audit logs), the host,
// scheme and port it was reached at (X-Forwarded-Host, -Proto, -Port,
// -Ssl, -Scheme, X-Scheme: redirects, secure cookies, tenant routing) and the path
// prefix it is mounted under (X-Forwarded-Prefix). Sent by the client
// they would be claims the gateway relays as its own. So the proxy removes
// them all before the request is modelled; it sets X-Forwarded-For, -Host
// and -Proto itself, from the connection.

// clientForwardingHeaders are the forwarding headers without the
// X-Forwarded- prefix, in canonical form.
var clientForwardingHeaders = []string{
	"Forwarded", "X-Forwarded", "Forwarded-For", "X-Real-Ip", "True-Client-Ip", "X-Client-Ip", "Client-Ip",
	"X-Cluster-Client-Ip", "Cf-Connecting-Ip", "Fastly-Client-Ip", "X-Original-Forwarded-For", "X-Originating-Ip",
	"X-Remote-Ip", "X-Remote-Addr", "X-Proxyuser-Ip", "X-Original-Host", "X-Host", "X-Http-Host-Override",
	"Front-End-Https", "X-Url-Scheme", "X-Scheme", "X-Envoy-External-Address", "Fly-Client-Ip", "X-Azure-Clientip",
	"X-Azure-Socketip", "X-Appengine-User-Ip", "Cf-Connecting-Ipv6", "Cf-Pseudo-Ipv4", "X-Original-Remote-Addr",
}

// dropForwarding removes the client's forwarding headers from h: every
// X-Forwarded-* header and clientForwardingHeaders.
func dropForwarding(h http.Header) {
	for k := range h {
		if strings.HasPrefix(k, "X-Forwarded-") {
			delete(h, k)
		}
	}
	for _, k := range clientForwardingHeaders {
		delete(h, k)
	}
}
