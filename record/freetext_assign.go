package record

import (
	"bytes"
	"net/url"
)

// scanAssignments appends the values assigned to secret names with sep
// ('=' or ':'): NAME=v, NAME: v, "NAME":"v" inside a string, NAME = 'v'.
func (f freeText) scanAssignments(out []string, t []byte, sep byte) []string {
	var ruledOut nameMemo
	values := valueReader{t: t}
	for p := 0; ; p++ {
		i := bytes.IndexByte(t[p:], sep)
		if i < 0 {
			return out
		}
		p += i
		if v, ok := f.assigned(t, p, &ruledOut, &values); ok {
			out = values.add(out, v)
		}
	}
}

// assigned returns the value assigned at t[p], the separator, when the
// name before it is a secret name. Names found not to be are noted in
// ruledOut, which spares their checks when they come again (the keys of a
// JSON text repeat). values reads the value (nil: value does, for a
// caller that reads one).
func (f freeText) assigned(t []byte, p int, ruledOut *nameMemo, values *valueReader) ([]byte, bool) {
	sep := t[p]
	after := p + 1
	if sep == '=' {
		if p > 0 && comparesBefore(t[p-1]) || after < len(t) && t[after] == '=' {
			return nil, false // a comparison
		}
		if after < len(t) && t[after] == '>' {
			after++ // 'password' => 'v'
		}
	} else if after < len(t) && (t[after] == ':' || t[after] == '/' && after+1 < len(t) && t[after+1] == '/') {
		return nil, false // a URL's scheme, a C++ scope
	}
	k := p
	for k > 0 && t[k-1] == ' ' {
		k--
	}
	spaced := k < p
	if k > 0 && (t[k-1] == '"' || t[k-1] == '\'') {
		escaped := k > 1 && t[k-2] == '\\'
		if f.json && sep == ':' && t[k-1] == '"' && !escaped {
			return nil, false // a key of the event's own JSON
		}
		k--
		if escaped {
			k--
		}
	}
	name, _ := nameBefore(t, k)
	if len(name) == 0 {
		return nil, false
	}
	j := after
	for j < len(t) && t[j] == ' ' {
		j++
	}
	spaced = spaced || j > after
	if sep == '=' && spaced && !opensQuoted(t, j) {
		// Code or SQL: password = $1, token == x, WHERE aid = 5; told
		// before the name is checked, which does not change it.
		return nil, false
	}
	packed := packName(name)
	if ruledOut.has(packed) {
		return nil, false
	}
	if !f.filter.mayMatch(name) || !f.names.Match(string(name)) {
		ruledOut.add(packed)
		return nil, false
	}
	read := value
	if values != nil {
		read = values.value
	}
	v, quoted := read(t, j)
	if !quoted && isSchemeWord(v) && j+len(v) < len(t) && t[j+len(v)] == ' ' {
		v, _ = read(t, j+len(v)+1) // Authorization: Bearer v
	}
	return v, true
}

// opensQuoted reports whether the value at t[i] is quoted: whether
// value(t, i) reports it quoted.
func opensQuoted(t []byte, i int) bool {
	if i >= len(t) {
		return false
	}
	q, _ := valueOpening(t, i)
	return q != 0
}

// comparesBefore reports whether c, the byte before a '=', makes it a
// comparison: ==, !=, <=, >=, :=.
func comparesBefore(c byte) bool {
	return c == '=' || c == '!' || c == '<' || c == '>' || c == ':'
}

// authSchemes are HTTP authorization scheme words (RFC 9110 and common
// extensions): the word before the credential, not a secret name.
var authSchemes = []string{"bearer", "basic", "token", "digest", "negotiate", "apikey"}

// isSchemeWord reports whether v names an HTTP authorization scheme.
func isSchemeWord(v []byte) bool {
	for _, s := range authSchemes {
		if bytes.EqualFold(v, []byte(s)) {
			return true
		}
	}
	return false
}

// scanLongFlags appends the values of long options named like secrets
// and separated by a space: --password v, --token 'v'. (--password=v is
// an assignment.) A value is appended once, however many of the names
// before it (every "--" in a run of name bytes starts one) are taken.
func (f freeText) scanLongFlags(out []string, t []byte) []string {
	flags := newFlagNames()
	valueAt := -1 // where the last value appended starts
	for p := 0; ; {
		i := bytes.Index(t[p:], []byte("--"))
		if i < 0 {
			return out
		}
		p += i + 2
		j, taken := flags.at(f, t, p)
		if !taken || j+1 == valueAt {
			continue
		}
		valueAt = j + 1
		v, _ := value(t, valueAt)
		out = addValue(out, v)
	}
}

// scanSQLPassword appends the literals of PASSWORD 'v' and IDENTIFIED BY
// 'v' (ALTER ROLE, CREATE USER, SET PASSWORD); lower is t in lower case.
func scanSQLPassword(out []string, t, lower []byte) []string {
	for _, kw := range []string{"password", "identified by"} {
		for p := 0; ; {
			i := bytes.Index(lower[p:], []byte(kw))
			if i < 0 {
				break
			}
			p += i + len(kw)
			j := p
			for j < len(t) && t[j] == ' ' {
				j++
			}
			if j > p && j < len(t) && t[j] == '\'' {
				v, _ := value(t, j)
				out = addValue(out, v)
			}
		}
	}
	return out
}

// scanUserinfo appends the user information of URLs (scheme://user:pw@):
// the whole user:pw, which hides a short password, and the password, raw
// and percent-decoded.
func scanUserinfo(out []string, t []byte) []string {
	for p := 0; ; {
		i := bytes.Index(t[p:], []byte("://"))
		if i < 0 {
			return out
		}
		p += i + 3
		j := p
		for j < len(t) && !endsValue(t[j]) && bytes.IndexByte([]byte("/?#@"), t[j]) < 0 {
			j++
		}
		if j >= len(t) || t[j] != '@' {
			continue
		}
		info := t[p:j]
		c := bytes.IndexByte(info, ':')
		if c < 0 || c == len(info)-1 {
			continue
		}
		out = addValue(out, info)
		out = append(out, string(info))
		out = addValue(out, info[c+1:])
		if pw, err := url.PathUnescape(string(info[c+1:])); err == nil {
			out = addValue(out, []byte(pw))
		}
		p = j
	}
}

// scanShortPasswordFlag appends the values of -p v and -pv on a command
// line that runs mysql, mariadb or sshpass, where -p is the password
// (elsewhere -p is a port or a flag).
func scanShortPasswordFlag(out []string, t []byte) []string {
	for _, prog := range []string{"mysql", "mariadb", "sshpass"} {
		lineEnd := -1 // the end of the last line read: a later mention in it reads a part of it
		for p := 0; ; {
			i := bytes.Index(t[p:], []byte(prog))
			if i < 0 {
				break
			}
			p += i + len(prog)
			if p < lineEnd {
				continue
			}
			lineEnd = len(t)
			if e := bytes.IndexAny(t[p:], "\n;|&"); e >= 0 {
				lineEnd = p + e
			}
			out = appendDashP(out, t[p:lineEnd])
		}
	}
	return out
}

// appendDashP appends the values of -p options of one command line.
func appendDashP(out []string, line []byte) []string {
	for q := 0; ; {
		k := bytes.Index(line[q:], []byte(" -p"))
		if k < 0 {
			return out
		}
		q += k + 3
		if q >= len(line) {
			return out
		}
		if line[q] == ' ' {
			if q+1 < len(line) && line[q+1] != '-' {
				v, _ := value(line, q+1)
				out = addValue(out, v)
			}
			continue
		}
		v, _ := value(line, q) // -pSECRET
		out = addValue(out, v)
	}
}
