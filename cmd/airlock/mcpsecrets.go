package main

import (
	"net/url"
	"strings"

	"github.com/airlock-sdk/airlock/mask"
)

// The credentials an MCP gateway presents to its upstream, which an
// upstream may answer with (an echo, an error quoting its request, a
// stdio server printing its environment): mcpgate withholds an answer
// holding one (mcpgate.Config.Secrets).

// mcpURLSecrets returns what an MCP upstream URL presents: the password
// of its userinfo, and "user:password", which Basic authentication
// encodes; and the values of query parameters named like secrets.
func mcpURLSecrets(raw string) []string {
	u, err := url.Parse(raw)
	if err != nil {
		return nil
	}
	var out []string
	if u.User != nil {
		if p, ok := u.User.Password(); ok && p != "" {
			out = append(out, p, u.User.Username()+":"+p)
		}
	}
	names := mask.CompileSecretNames(nil)
	for k, vs := range u.Query() {
		if names.Match(k) {
			out = append(out, vs...)
		}
	}
	return out
}

// envSecrets returns the values of the variables of env named like
// secrets (API_TOKEN, DB_PASSWORD, AWS_SECRET_ACCESS_KEY): a stdio MCP
// server inherits them.
func envSecrets(env []string) []string {
	names := mask.CompileSecretNames(nil)
	var out []string
	for _, kv := range env {
		if k, v, ok := strings.Cut(kv, "="); ok && v != "" && names.Match(k) {
			out = append(out, v)
		}
	}
	return out
}
