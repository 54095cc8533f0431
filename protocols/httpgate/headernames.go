package httpgate

import (
	"net/http"
	"net/textproto"
	"strings"

	"github.com/airlock-sdk/airlock/mask"
)

// commonHeaders are request and response header names common enough that
// their lower-case forms are kept, for the model's header map
// (gate.HTTP.Headers has lower-case names) and the field rules that mask
// response headers by lower-case name: lowering a name allocates a string
// per header per message. The credential headers (mask.SecretHeaders) are
// added to them at init.
var commonHeaders = []string{
	"Accept", "Accept-Charset", "Accept-Encoding", "Accept-Language", "Airlock-Run",
	"Cache-Control", "Connection", "Content-Encoding", "Content-Length",
	"Content-Type", "Forwarded", "If-Match", "If-Modified-Since", "If-None-Match",
	"If-Range", "Origin", "Pragma", "Range", "Referer",
	"Sec-Fetch-Dest", "Sec-Fetch-Mode", "Sec-Fetch-Site", "Te", "Traceparent", "Tracestate",
	"Upgrade", "User-Agent", "Via", "X-Forwarded-For", "X-Forwarded-Host",
	"X-Forwarded-Proto", "X-Real-Ip", "X-Request-Id",
	// Response headers.
	"Access-Control-Allow-Credentials", "Access-Control-Allow-Headers", "Access-Control-Allow-Methods",
	"Access-Control-Allow-Origin", "Access-Control-Expose-Headers", "Access-Control-Max-Age",
	"Age", "Allow", "Content-Disposition", "Content-Language", "Content-Security-Policy", "Date", "Etag",
	"Expires", "Last-Modified", "Link", "Location", "Retry-After", "Server", "Set-Cookie",
	"Strict-Transport-Security", "Vary", "X-Content-Type-Options", "X-Frame-Options",
}

// lowerNames maps each of commonHeaders to its lower-case form. It is
// never written after init.
var lowerNames = func() map[string]string {
	m := make(map[string]string, len(commonHeaders)+len(mask.SecretHeaders))
	for _, h := range commonHeaders {
		m[h] = strings.ToLower(h)
	}
	for _, h := range mask.SecretHeaders {
		m[textproto.CanonicalMIMEHeaderKey(h)] = strings.ToLower(h)
	}
	return m
}()

// lowerName is strings.ToLower(name), without allocating for common
// header names.
func lowerName(name string) string {
	if l, ok := lowerNames[name]; ok {
		return l
	}
	return strings.ToLower(name)
}

// headerValue is h.Get(key) for a key in canonical form (a key of
// http.Header), which it does not canonicalize again: on the path of every
// request, textproto.CanonicalMIMEHeaderKey cost more than the lookups.
// The gateway indexes http.Header with canonical literals the same way;
// TestHeaderLiteralsCanonical checks every one.
func headerValue(h http.Header, key string) string {
	if v := h[key]; len(v) > 0 {
		return v[0]
	}
	return ""
}
