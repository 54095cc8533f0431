package httpgate

import "strings"

// Query and form names are read by many frameworks under another name
// than the one sent: PHP drops leading spaces and turns '.', ' ' and an
// unmatched '[' into '_' (user.id is user_id, " _method" and ".method" are
// _method), and PHP, Rails and Express's qs file a name with a bracketed
// suffix under the part before it (amount[], amount[0] and amount[x] are
// amount). A rule reading http.query["amount"] would not see amount[]=5000
// that such an upstream reads as amount. So a name is judged by its base
// too: a name whose base folds like a name the rules read without being
// spelled as they read it is refused, a plain name and a nested one of the
// same base (amount=1&amount[]=5000) are duplicates, a base that is
// _method is a method override, and a name holding a control character
// is refused (PHP cuts a name at a NUL: amount%00x is amount).

// paramBase returns the name under which PHP, Rails and Express (qs) file
// the parameter k, and whether k has a bracketed suffix.
func paramBase(k string) (base string, nested bool) {
	k = strings.TrimLeft(k, " ")
	if i := strings.IndexByte(k, '['); i > 0 && strings.IndexByte(k[i:], ']') > 0 {
		k, nested = k[:i], true
	}
	if strings.ContainsAny(k, ". [") {
		k = phpNameReplacer.Replace(k)
	}
	return k, nested
}

var phpNameReplacer = strings.NewReplacer(".", "_", " ", "_", "[", "_")

// isMethodParam reports whether a query, form or JSON name k is read as
// the _method override parameter, in any case.
func isMethodParam(k string) bool {
	base, _ := paramBase(k)
	return strings.EqualFold(base, "_method")
}
