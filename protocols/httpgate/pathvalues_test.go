package httpgate

import (
	"encoding/json"
	"net/http"
	"net/url"
	"path"
	"strings"
	"testing"
)

// pathValueRules keep a file API out of a secret directory and a fetch
// API off the cloud metadata host, in the query and in a JSON body.
const pathValueRules = `
default: deny
rules:
  - name: api
    when: http.path.startsWith("/api/")
    action: allow
  - name: no-secret-query
    when: '"file" in http.query && http.query.file.exists(f, f.startsWith("/srv/data/secret"))'
    action: deny
  - name: no-secret-body
    when: 'type(http.body) == map && has(http.body.file) && type(http.body.file) == string && http.body.file.startsWith("/srv/data/secret")'
    action: deny
  - name: no-metadata
    when: 'type(http.body) == map && has(http.body.url) && type(http.body.url) == string && http.body.url.lowerAscii().startsWith("http://metadata.internal")'
    action: deny
`

// resolvedActsOn reports what an upstream that resolves the file and url
// parameters it is given (a file server, a URL parser) did that
// pathValueRules deny, or "".
func resolvedActsOn(r received) string {
	served := func(p string) bool {
		return strings.HasPrefix(path.Clean("/"+strings.ReplaceAll(p, `\`, "/")), "/srv/data/secret")
	}
	for _, f := range r.url.Query()["file"] {
		if served(f) {
			return "served " + f
		}
	}
	var body map[string]any
	if json.Unmarshal(r.body, &body) != nil {
		return ""
	}
	if f, ok := body["file"].(string); ok && served(f) {
		return "served " + f
	}
	if s, ok := body["url"].(string); ok {
		if u, err := url.Parse(strings.ReplaceAll(s, `\`, "/")); err == nil && strings.TrimSuffix(strings.ToLower(u.Hostname()), ".") == "metadata.internal" {
			return "fetched " + s
		}
	}
	return ""
}

// TestPathValuesCannotBypassRules sends files and URLs that rules on
// their prefix deny, spelled as servers resolve them back: dot-segments,
// repeated slashes, backslashes, host case, a trailing dot, userinfo.
func TestPathValuesCannotBypassRules(t *testing.T) {
	_, up, srvs := gatedServers(t, pathValueRules)
	files := []string{"/srv/data/public/../secret/keys", "/srv/data/./secret/keys", "//srv/data/secret/keys",
		"/srv//data/secret/keys", `\srv\data\secret\keys`, "/x/../srv/data/secret/keys", "/srv/data/public/.././secret"}
	urls := []string{"http://Metadata.Internal/latest", "http://metadata.internal./latest", "http://public.example@metadata.internal/latest",
		`http:\\metadata.internal\latest`, "HTTP://x:y@METADATA.internal./"}
	var probes []frameworkProbe
	for _, f := range files {
		probes = append(probes, frameworkProbe{method: "GET", target: "/api/files?file=" + url.QueryEscape(f)})
		b, _ := json.Marshal(map[string]string{"file": f})
		probes = append(probes, frameworkProbe{method: "POST", target: "/api/files", ctype: "application/json", body: string(b)})
	}
	for _, u := range urls {
		b, _ := json.Marshal(map[string]string{"url": u})
		probes = append(probes, frameworkProbe{method: "POST", target: "/api/fetch", ctype: "application/json", body: string(b)})
	}
	reached, acted := 0, 0
	for name, srv := range srvs {
		for _, p := range probes {
			status := sendProbe(t, srv, p)
			for _, r := range up.take() {
				reached++
				if effect := resolvedActsOn(r); effect != "" {
					acted++
					t.Errorf("%s: %s %s %s (status %d) reached the upstream, which %s", name, p.method, p.target, p.body, status, effect)
				}
			}
		}
	}
	t.Logf("%d of %d requests reached the upstream, %d of them acted on a denied value", reached, 2*len(probes), acted)
	for name, srv := range srvs {
		for _, p := range []frameworkProbe{
			{method: "GET", target: "/api/files?file=" + url.QueryEscape("/srv/data/public/../public/a.txt")},
			{method: "POST", target: "/api/fetch", ctype: "application/json", body: `{"url":"https://Example.com/a/../b"}`},
		} {
			if status := sendProbe(t, srv, p); status != http.StatusOK {
				t.Errorf("%s: %s %s %s got %d, want 200", name, p.method, p.target, p.body, status)
			}
			up.take()
		}
	}
}
