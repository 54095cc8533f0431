package postgres

import (
	"net/url"
	"strings"
)

// secretWords are what a text must contain for any of its literals to hold
// a secret the classifier would find (option names and connection-string
// keys, URIs with user info).
var secretWords = []string{"password", "passfile", "sslkey", "secret", "token", "://"}

// mayHoldSecret reports whether sql contains a secret word anywhere, in any
// case: only such texts can classify with Secrets.
func mayHoldSecret(sql string) bool {
	for _, w := range secretWords {
		if containsFold(sql, w) {
			return true
		}
	}
	return false
}

// secretOption reports whether an option (DefElem) name holds a secret:
// ALTER ROLE ... PASSWORD, CREATE USER MAPPING ... OPTIONS (password ...),
// CREATE SERVER ... OPTIONS (sslpassword ...).
func secretOption(name string) bool {
	switch strings.ToLower(name) {
	case "password", "sslpassword", "passfile", "sslkey", "secret", "token":
		return true
	}
	return false
}

// conninfoSecrets adds the passwords inside a connection string — key/value
// form ("host=h password=p") or URI form ("postgresql://u:p@h/db?password=p")
// — that a statement carries in a literal (dblink_connect, CREATE
// SUBSCRIPTION ... CONNECTION, foreign server options). The walker then
// marks the classification as depending on literals, so it is never cached.
func (w *walker) conninfoSecrets(s string) {
	if !strings.Contains(s, "://") && !containsFold(s, "password") {
		return
	}
	var found []string
	for off := 0; ; {
		j := strings.Index(s[off:], "://")
		if j < 0 {
			break
		}
		found = append(found, uriSecrets(s[off:])...)
		off += j + 3
	}
	found = append(found, keywordSecrets(s)...)
	for _, f := range found {
		if f != "" {
			w.readsLiterals = true
			w.secrets = appendUnique(w.secrets, f)
		}
	}
}

// containsFold reports whether s contains the lower-case ASCII word sub,
// in any case, without allocating.
func containsFold(s, sub string) bool {
	for i := 0; i+len(sub) <= len(s); i++ {
		if strings.EqualFold(s[i:i+len(sub)], sub) {
			return true
		}
	}
	return false
}

// uriSecrets returns the password of a URI's user info and any password
// query parameters.
func uriSecrets(s string) []string {
	start := strings.Index(s, "://")
	if start < 0 {
		return nil
	}
	// The scheme runs back to the start of the word.
	b := start
	for b > 0 && isSchemeChar(s[b-1]) {
		b--
	}
	end := strings.IndexAny(s[start:], " \t\r\n'\"")
	raw := s[b:]
	if end >= 0 {
		raw = s[b : start+end]
	}
	u, err := url.Parse(raw)
	if err != nil {
		// Unparsable: take what sits between ':' and '@' in the authority.
		auth := raw[start-b+3:]
		if at := strings.LastIndex(auth, "@"); at >= 0 {
			if c := strings.Index(auth[:at], ":"); c >= 0 {
				return []string{auth[c+1 : at]}
			}
		}
		return nil
	}
	var out []string
	if u.User != nil {
		if p, ok := u.User.Password(); ok {
			out = append(out, p)
			if esc := strings.SplitN(strings.SplitN(raw[start-b+3:], "@", 2)[0], ":", 2); len(esc) == 2 && esc[1] != p {
				out = append(out, esc[1]) // the percent-encoded form as written
			}
		}
	}
	for k, vs := range u.Query() {
		if secretOption(k) {
			out = append(out, vs...)
		}
	}
	return out
}

func isSchemeChar(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '+' || c == '-' || c == '.'
}

// keywordSecrets returns the values of password-like keys of a key=value
// connection string, with libpq's quoting ('...' with \' and \\).
func keywordSecrets(s string) []string {
	var out []string
	i := 0
	for i < len(s) {
		for i < len(s) && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r') {
			i++
		}
		k := i
		for i < len(s) && s[i] != '=' && s[i] != ' ' && s[i] != '\t' && s[i] != '\n' {
			i++
		}
		key := strings.ToLower(s[k:i])
		for i < len(s) && (s[i] == ' ' || s[i] == '\t') {
			i++
		}
		if i >= len(s) || s[i] != '=' {
			i++
			continue
		}
		i++
		for i < len(s) && (s[i] == ' ' || s[i] == '\t') {
			i++
		}
		var val strings.Builder
		if i < len(s) && s[i] == '\'' {
			i++
			for i < len(s) && s[i] != '\'' {
				if s[i] == '\\' && i+1 < len(s) {
					i++
				}
				val.WriteByte(s[i])
				i++
			}
			i++
		} else {
			for i < len(s) && s[i] != ' ' && s[i] != '\t' && s[i] != '\n' && s[i] != '\r' {
				val.WriteByte(s[i])
				i++
			}
		}
		if secretOption(key) && val.Len() > 0 {
			out = append(out, val.String())
		}
	}
	return out
}
