package pgsql

import (
	"net/url"
	"strings"

	pg_query "github.com/pganalyze/pg_query_go/v6"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// secretWords are the words whose presence makes a text possibly carry a
// secret: option names (PASSWORD, sslpassword, OPTIONS (secret ...)) and
// connection URIs. The detector below only finds secrets next to one of
// them, so a text without any never carries one; the cache relies on it.
// secretTrigger's switch spells them out again (its test compares).
var secretWords = []string{"password", "passwd", "secret", "token", "://"}

// secretTrigger reports whether sql contains a secret word in any ASCII
// case (what containsFold finds for each word), in one pass: only a byte
// that folds to a word's first byte starts a comparison, with the words
// that start so. (strings.EqualFold of a word with as many bytes of sql
// is ASCII folding: a rune of more than one byte leaves fewer runes than
// the word has.)
func secretTrigger(sql string) bool {
	for i := 0; i < len(sql); i++ {
		if !secretStarts[sql[i]] {
			continue
		}
		switch sql[i] | 0x20 {
		case 'p':
			if hasLowerPrefix(sql[i:], "passw") && (hasLowerPrefix(sql[i+5:], "d") || hasLowerPrefix(sql[i+5:], "ord")) {
				return true
			}
		case 's':
			if hasLowerPrefix(sql[i:], "secret") {
				return true
			}
		case 't':
			if hasLowerPrefix(sql[i:], "token") {
				return true
			}
		case ':':
			if hasLowerPrefix(sql[i:], "://") {
				return true
			}
		}
	}
	return false
}

// secretStarts marks the bytes secretTrigger compares from: one table
// load skips every other byte.
var secretStarts = func() (t [256]bool) {
	for i := range t {
		switch byte(i) | 0x20 {
		case 'p', 's', 't', ':':
			t[i] = true
		}
	}
	return t
}()

// hasLowerPrefix reports whether s starts with w, a lower-case ASCII
// word, in any ASCII case.
func hasLowerPrefix(s, w string) bool {
	if len(s) < len(w) {
		return false
	}
	for j := 0; j < len(w); j++ {
		c := s[j]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != w[j] {
			return false
		}
	}
	return true
}

// containsFold is strings.Contains ignoring ASCII case, without allocating.
func containsFold(s, sub string) bool {
	n := len(sub)
	for i := 0; i+n <= len(s); i++ {
		if strings.EqualFold(s[i:i+n], sub) {
			return true
		}
	}
	return false
}

// mayHideSecret reports whether the secret detector must look at text:
// a secret word in it, or an escape (E'\x..', U&'\0061') that may spell
// one only once decoded.
func mayHideSecret(text string) bool {
	return secretTrigger(text) || strings.ContainsAny(text, `\&`)
}

// secretOption reports option names whose value is a secret.
func secretOption(name string) bool {
	n := strings.ToLower(name)
	return strings.Contains(n, "password") || strings.Contains(n, "passwd") ||
		strings.Contains(n, "secret") || strings.Contains(n, "token")
}

// findSecrets walks a statement's tree for secrets: the value of an option
// named like a secret (PASSWORD, OPTIONS (password ...), sslpassword, SET
// x.secret = ...), and passwords inside PostgreSQL connection strings
// anywhere (dblink_connect('... password=...'), CREATE SUBSCRIPTION ...
// CONNECTION 'postgresql://u:secret@h/db').
func findSecrets(n *pg_query.Node) []string {
	var out []string
	var walk func(m protoreflect.Message, depth int)
	walk = func(m protoreflect.Message, depth int) {
		if !m.IsValid() || depth > maxDepth {
			return
		}
		switch x := m.Interface().(type) {
		case *pg_query.DefElem:
			if secretOption(x.Defname) && x.Arg != nil {
				out = append(out, allStrings(x.Arg.ProtoReflect())...)
			}
		case *pg_query.VariableSetStmt:
			if secretOption(x.Name) {
				for _, a := range x.Args {
					out = append(out, allStrings(a.ProtoReflect())...)
				}
			}
		}
		// Every string field: constants, and fields such as
		// CreateSubscriptionStmt.Conninfo that are not nodes.
		fds := m.Descriptor().Fields()
		for i := 0; i < fds.Len(); i++ {
			fd := fds.Get(i)
			if fd.Kind() != protoreflect.StringKind || !m.Has(fd) {
				continue
			}
			if fd.IsList() {
				l := m.Get(fd).List()
				for j := 0; j < l.Len(); j++ {
					out = append(out, conninfoSecrets(l.Get(j).String())...)
				}
				continue
			}
			out = append(out, conninfoSecrets(m.Get(fd).String())...)
		}
		eachMessage(m, func(c protoreflect.Message) { walk(c, depth+1) })
	}
	walk(n.ProtoReflect(), 0)
	var uniq []string
	for _, s := range out {
		if s != "" {
			uniq = appendUnique(uniq, s)
			// As written inside a standard SQL string literal.
			if q := strings.ReplaceAll(s, "'", "''"); q != s {
				uniq = appendUnique(uniq, q)
			}
		}
	}
	return uniq
}

// allStrings returns the string values in a small option value.
func allStrings(m protoreflect.Message) []string {
	var out []string
	switch x := m.Interface().(type) {
	case *pg_query.Node:
		if fd := m.WhichOneof(nodeOneof); fd != nil && fd.Kind() == protoreflect.MessageKind {
			return allStrings(m.Get(fd).Message())
		}
	case *pg_query.String:
		return []string{x.Sval}
	case *pg_query.A_Const:
		if s := x.GetSval(); s != nil {
			return []string{s.Sval}
		}
	case *pg_query.TypeCast:
		if x.Arg != nil {
			return allStrings(x.Arg.ProtoReflect())
		}
	}
	return out
}

// conninfoSecrets finds passwords in a libpq connection string: key=value
// pairs (password, sslpassword; values bare or single-quoted with
// backslash escapes) and URIs (postgresql://user:password@host/db?password=).
// Each value is returned decoded and as written, and a bare value also cut
// at '&', so that whatever form the record holds is redacted.
func conninfoSecrets(s string) []string {
	if !secretTrigger(s) {
		return nil
	}
	var out []string
	low := strings.ToLower(s)
	for from := 0; ; {
		i := strings.Index(low[from:], "password")
		if i < 0 {
			break
		}
		j := from + i + len("password")
		from = j
		for j < len(s) && isSpace(s[j]) {
			j++
		}
		if j >= len(s) || s[j] != '=' {
			continue
		}
		j++
		for j < len(s) && isSpace(s[j]) {
			j++
		}
		if j < len(s) && s[j] == '\'' {
			var dec strings.Builder
			k := j + 1
			for k < len(s) && s[k] != '\'' {
				if s[k] == '\\' && k+1 < len(s) {
					k++
				}
				dec.WriteByte(s[k])
				k++
			}
			out = append(out, dec.String(), s[j+1:min(k, len(s))])
			continue
		}
		k := j
		for k < len(s) && !isSpace(s[k]) {
			k++
		}
		v := s[j:k]
		out = append(out, v)
		if a, _, ok := strings.Cut(v, "&"); ok {
			out = append(out, a)
		}
		if d, err := url.QueryUnescape(v); err == nil && d != v {
			out = append(out, d)
		}
	}
	// URI userinfo: scheme://user:password@host
	for from := 0; ; {
		i := strings.Index(s[from:], "://")
		if i < 0 {
			break
		}
		rest := s[from+i+3:]
		from += i + 3
		end := strings.IndexAny(rest, "/?# \t\r\n'\"")
		if end < 0 {
			end = len(rest)
		}
		auth := rest[:end]
		if q := strings.IndexByte(rest, '?'); q >= 0 && q >= end {
			qs := rest[q+1:]
			if e := strings.IndexAny(qs, "# \t\r\n'\""); e >= 0 {
				qs = qs[:e]
			}
			for _, kv := range strings.Split(qs, "&") {
				k, v, _ := strings.Cut(kv, "=")
				if dk, err := url.QueryUnescape(k); err == nil {
					k = dk
				}
				if secretOption(k) && v != "" {
					out = append(out, v)
					if d, err := url.QueryUnescape(v); err == nil && d != v {
						out = append(out, d)
					}
				}
			}
		}
		at := strings.LastIndexByte(auth, '@')
		if at < 0 {
			continue
		}
		if _, pw, ok := strings.Cut(auth[:at], ":"); ok && pw != "" {
			out = append(out, pw)
			if d, err := url.PathUnescape(pw); err == nil && d != pw {
				out = append(out, d)
			}
		}
	}
	return out
}
