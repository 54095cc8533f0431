package record

import "strings"

// redactForm replaces the values of secret-named parameters of a
// urlencoded string; it keeps every other byte. It reads the form as
// leniently as the most lenient server would: pairs split on '&' and ';',
// names and values percent-decoded where they can be ('+' a space, a stray
// '%' kept), names matched in any case and around spaces. Both the raw and
// the decoded form of a value are secrets.
func (r *redactor) redactForm(s string, add func(string) string) (string, bool) {
	var b strings.Builder
	changed := false
	for off := 0; ; {
		i := strings.IndexAny(s[off:], "&;")
		if i < 0 {
			i = len(s) - off
		}
		p, ok := r.redactPair(s[off:off+i], add)
		if ok && !changed {
			b.WriteString(s[:off]) // the pairs before are kept as they are
			changed = true
		}
		if changed {
			b.WriteString(p)
		}
		off += i
		if off == len(s) {
			break
		}
		if changed {
			b.WriteByte(s[off])
		}
		off++
	}
	if !changed {
		return s, false
	}
	return b.String(), true
}

// redactPair redacts one name=value pair of a form when its name is a
// secret name.
func (r *redactor) redactPair(p string, add func(string) string) (string, bool) {
	k, v, ok := strings.Cut(p, "=")
	if !ok || !formName(k) || !r.isSecretName(lenientUnescape(strings.TrimSpace(k))) {
		return p, false
	}
	if v == "" || isMAC(v) {
		return p, false
	}
	if val := lenientUnescape(v); val != v {
		add(v)
		v = val
	}
	return k + "=" + add(v), true
}

// formName reports whether k may be a form field's name: no control
// bytes, and no space but around it. (A SQL text, "WHERE password_hash =
// 'x'", is not a form.)
func formName(k string) bool {
	k = strings.TrimSpace(k)
	for i := 0; i < len(k); i++ {
		if k[i] <= ' ' || k[i] == 0x7f {
			return false
		}
	}
	return k != ""
}

// lenientUnescape decodes percent-escapes and '+' in s; a '%' not
// followed by two hex digits is kept as it is.
func lenientUnescape(s string) string {
	if !strings.ContainsAny(s, "%+") {
		return s
	}
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '+':
			b = append(b, ' ')
		case c == '%' && i+2 < len(s) && isHex(s[i+1]) && isHex(s[i+2]):
			b = append(b, unhex(s[i+1])<<4|unhex(s[i+2]))
			i += 2
		default:
			b = append(b, c)
		}
	}
	return string(b)
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case c <= '9':
		return c - '0'
	case c <= 'F':
		return c - 'A' + 10
	}
	return c - 'a' + 10
}
