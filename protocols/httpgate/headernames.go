package httpgate

import "strings"

// commonHeaders are request header names common enough that their
// lower-case forms are kept, for the model's header map (gate.HTTP.Headers
// has lower-case names): lowering a name allocates a string per header
// per request.
var commonHeaders = []string{
	"Accept", "Accept-Charset", "Accept-Encoding", "Accept-Language", "Airlock-Run",
	"Authorization", "Cache-Control", "Connection", "Content-Encoding", "Content-Length",
	"Content-Type", "Cookie", "Forwarded", "If-Match", "If-Modified-Since", "If-None-Match",
	"If-Range", "Origin", "Pragma", "Proxy-Authorization", "Range", "Referer",
	"Sec-Fetch-Dest", "Sec-Fetch-Mode", "Sec-Fetch-Site", "Te", "Traceparent", "Tracestate",
	"Upgrade", "User-Agent", "Via", "X-Api-Key", "X-Forwarded-For", "X-Forwarded-Host",
	"X-Forwarded-Proto", "X-Real-Ip", "X-Request-Id",
}

// lowerNames maps each of commonHeaders to its lower-case form. It is
// never written after init.
var lowerNames = func() map[string]string {
	m := make(map[string]string, len(commonHeaders))
	for _, h := range commonHeaders {
		m[h] = strings.ToLower(h)
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
