package mcpgate

import (
	"context"
	"strings"

	"github.com/airlock-sdk/airlock/gate"
)

// A resource URI is judged as it is spelt, but an upstream may serve one
// resource under many spellings: "files:///etc/../etc/shadow",
// "files:///etc//shadow", "files:///etc/%73hadow", "FILES:///etc\shadow"
// all name /etc/shadow to a file server that cleans and unescapes its
// paths. A rule on the one spelling would be walked around through the
// others. So a URI that is not in canonical form (RFC 3986 normalisation,
// and what a file server would also fold) is refused before the rules, as
// rule "mcp/uri-spelling": the client must spell a resource the one way
// the rules see it.

// uriSpelling returns why uri is not in canonical form, or "".
func uriSpelling(uri string) string {
	for i := 0; i < len(uri); i++ {
		if c := uri[i]; c <= ' ' || c == 0x7f || c == '\\' {
			return "it holds a space, a control character or a backslash"
		}
	}
	scheme, rest, ok := strings.Cut(uri, ":")
	if !ok || !canonicalScheme(scheme) {
		return "its scheme is missing or not in lower case"
	}
	if strings.Contains(rest, "#") {
		return "it has a fragment"
	}
	rest, _, _ = strings.Cut(rest, "?")
	if why := escapes(rest); why != "" {
		return why
	}
	path := rest
	if after, ok := strings.CutPrefix(rest, "//"); ok {
		host, p, _ := strings.Cut(after, "/")
		if why := canonicalHost(host); why != "" {
			return why
		}
		path = "/" + p
		if p == "" {
			path = ""
		}
	}
	return canonicalPath(path)
}

// canonicalScheme reports whether s is a scheme spelt in lower case.
func canonicalScheme(s string) bool {
	if s == "" || !(s[0] >= 'a' && s[0] <= 'z') {
		return false
	}
	for i := 1; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '+' || c == '-' || c == '.') {
			return false
		}
	}
	return true
}

// canonicalHost returns why the authority's host is not canonical, or "".
func canonicalHost(authority string) string {
	host := authority
	if i := strings.LastIndexByte(host, '@'); i >= 0 {
		host = host[i+1:]
	}
	if i := strings.LastIndexByte(host, ':'); i >= 0 && !strings.HasSuffix(host, "]") {
		host = host[:i]
	}
	for i := 0; i < len(host); i++ {
		if host[i] == '%' {
			i += 2 // escapes are upper case (see escapes)
			continue
		}
		if host[i] >= 'A' && host[i] <= 'Z' {
			return "its host is not in lower case"
		}
	}
	if strings.HasSuffix(host, ".") {
		return "its host ends with a dot"
	}
	return ""
}

// canonicalPath returns why path has another spelling, or "": an empty
// segment ("//"), a "." or ".." segment, or a trailing slash.
func canonicalPath(path string) string {
	if path == "" || path == "/" {
		return ""
	}
	segs := strings.Split(strings.TrimPrefix(path, "/"), "/")
	for i, seg := range segs {
		switch {
		case seg == "." || seg == "..":
			return "its path has a dot segment"
		case seg == "" && i == len(segs)-1:
			return "its path ends with a slash"
		case seg == "":
			return "its path has an empty segment"
		}
	}
	return ""
}

// escapes returns why a percent-escape of s is not canonical, or "": an
// escape must be well formed, in upper case, and stand for a character
// that needs escaping (not a letter, digit, '-', '.', '_', '~', nor a
// '/' or '%' that a server would unescape into a path).
func escapes(s string) string {
	for i := 0; i < len(s); i++ {
		if s[i] != '%' {
			continue
		}
		if i+2 >= len(s) || !isUpperHex(s[i+1]) || !isUpperHex(s[i+2]) {
			return "it has a malformed or lower-case percent-escape"
		}
		c := unhex(s[i+1])<<4 | unhex(s[i+2])
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("-._~/\\%", c) >= 0 {
			return "it percent-escapes a character that needs no escape"
		}
		i += 2
	}
	return ""
}

// refuseSpelling refuses a resources/read of a URI not in canonical form
// (rule "mcp/uri-spelling") and returns the error the client receives.
func (s *session) refuseSpelling(ctx context.Context, uri, why string) error {
	reason := "the resource URI is not in canonical form: " + why + "; spell it the one way the rules see it"
	req := &gate.Request{Protocol: gate.ProtocolMCP, Command: "resources/read " + display(uri), Tool: &gate.ToolCall{Kind: kindResource, URI: uri}}
	d, _ := s.conn.Refuse(ctx, req, "uri-spelling", reason)
	return s.failure(ctx, d, "refused", CodeResourceNotFound, "airlock: resource "+display(uri)+" refused: "+reason)
}
