package mask

import (
	"bytes"
	"strings"
)

// SecretNames are the names whose values are secrets wherever a name
// stands next to a value: JSON body fields and tool arguments (at any
// depth; everything under such a field), SQL columns, HTTP headers, query
// and form parameters, environment variables. It is the one list of the
// module: the JSON and column masker (password_assignment masks the whole
// value of such a field), the recorder (which stores such values as HMACs)
// and the HTTP gateway (which lists them in gate.Request.Secrets) all
// resolve names through it.
//
// Names are compared after lower-casing and dropping '-', '_', '.' and
// spaces, so "X-Api-Key", "api_key" and "apiKey" are one name. A leading
// or trailing '*' matches any text there ("*token*" matches "x-vault-token"
// and "refresh_token").
//
// The list leans towards hiding too much: a field named "monkey" is hidden
// with "*key", which costs a readable value, where a missed secret would
// cost the secret.
var SecretNames = []string{
	"*password*", "*passwd*", "*passphrase*", "*pwd*", "pass", "*pass", "pw", "*pswd*", "*passcode*", "*passwort*",
	"*secret*", "*token*", "*key", "*apikey*", "*privatekey*", "*accesskey*",
	"*auth", "*authorization*", "*authenticat*", "xauth*", "*credential*",
	"*session*", "*sessid*", "*cookie*", "*signature*", "sig",
	"otp", "pin", "cvv", "cvc", "*ssn*", "dsn", "*connectionstring*", "*connstr*",
}

// SecretHeaders are the HTTP headers (lower case) that carry credentials in
// every request: their values are secrets however short, are always
// stored as HMACs, are listed in gate.Request.Secrets by the HTTP gateway
// and never forwarded upstream by its proxy. Each also matches SecretNames.
var SecretHeaders = []string{
	"authorization", "proxy-authorization", "cookie", "set-cookie",
	"x-api-key", "api-key", "x-auth-token", "x-amz-security-token", "x-csrf-token",
}

// secretTextKeywords are the spellings of secret names that
// password_assignment looks for in free text ("password=...", "api-key:
// ..."), where no name is delimited. They are SecretNames as they are
// written in text; every one is a secret name (a test holds them to it).
// Short or common cores of the list ("pin", "ssn", "session") are left
// out: in prose they would mask what follows "spinning:" or "classname=".
var secretTextKeywords = []string{
	"password", "passwd", "pwd", "secret", "token", "api_key", "apikey", "api-key",
	"access_key", "accesskey", "private_key", "authorization", "credential",
}

// weakSecretTextKeywords are the spellings password_assignment looks for
// in free text whose names are judged by their words (secretwords.go);
// every one is a secret name.
var weakSecretTextKeywords = []string{"pass", "pw", "pswd"}

// passwordWords are the words of a name that make it a secret's.
var passwordWords = []string{"pass", "pw", "pwd", "passwd", "password", "passphrase", "passcode", "pswd", "passwort", "passw", "pword"}

// SecretNameSet matches names against a list of patterns in the syntax of
// SecretNames. The zero value and nil match nothing.
type SecretNameSet struct {
	exact    map[string]bool
	contains [][]byte
	prefix   [][]byte
	suffix   [][]byte
}

// defaultSecretNames is SecretNames compiled.
var defaultSecretNames = CompileSecretNames(SecretNames)

// IsSecretName reports whether name is one of SecretNames.
func IsSecretName(name string) bool { return defaultSecretNames.Match(name) }

// IsSecretHeader reports whether name, in any case, is one of SecretHeaders.
func IsSecretHeader(name string) bool {
	for _, h := range SecretHeaders {
		if strings.EqualFold(name, h) {
			return true
		}
	}
	return false
}

// CompileSecretNames compiles a list of patterns (see SecretNames for the
// syntax); nil means SecretNames.
func CompileSecretNames(list []string) *SecretNameSet {
	if list == nil {
		list = SecretNames
	}
	n := &SecretNameSet{exact: map[string]bool{}}
	for _, p := range list {
		lead, trail := strings.HasPrefix(p, "*"), strings.HasSuffix(p, "*") && len(p) > 1
		core := normName(nil, strings.Trim(p, "*"))
		if len(core) == 0 {
			continue
		}
		switch {
		case lead && trail:
			n.contains = append(n.contains, core)
		case lead:
			n.suffix = append(n.suffix, core)
		case trail:
			n.prefix = append(n.prefix, core)
		default:
			n.exact[string(core)] = true
		}
	}
	return n
}

// Match reports whether name matches one of the patterns.
func (n *SecretNameSet) Match(name string) bool {
	if n == nil || name == "" {
		return false
	}
	var buf [64]byte
	s := normName(buf[:0], name)
	if n.exact[string(s)] {
		return true
	}
	for _, c := range n.contains {
		if bytes.Contains(s, c) {
			return true
		}
	}
	for _, c := range n.prefix {
		if bytes.HasPrefix(s, c) {
			return true
		}
	}
	for _, c := range n.suffix {
		if bytes.HasSuffix(s, c) {
			return true
		}
	}
	return false
}

// normName appends name folded for matching to dst: lower case, without
// '-', '_', '.' and spaces.
func normName(dst []byte, name string) []byte {
	for i := 0; i < len(name); i++ {
		c := name[i]
		switch {
		case c == '-' || c == '_' || c == '.' || c == ' ':
		case 'A' <= c && c <= 'Z':
			dst = append(dst, c+'a'-'A')
		default:
			dst = append(dst, c)
		}
	}
	return dst
}
