package httpgate

import (
	"net/url"
	"slices"
	"strings"

	"github.com/airlock-sdk/airlock/internal/jsontext"
)

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
// _method (or another of methodParams) is a method override, and a name holding a control character
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

// paramReadings returns the names other than k that some framework files
// the parameter k under, at the top or nested, or nil when there are
// none: PHP's (paramBase), and each key of k read as a nested name
// (keyPieces), also with a leading '!' or '_' dropped: Spring binds
// "!amount" as amount when amount is not sent (its field default prefix)
// and reads "_amount" as amount's field marker.
func paramReadings(k string) []string {
	if !strings.ContainsAny(k, "[]. !_") {
		return nil
	}
	var out []string
	add := func(r string) {
		if r != "" && r != k && !slices.Contains(out, r) {
			out = append(out, r)
		}
	}
	base, _ := paramBase(k)
	add(base)
	pieces := keyPieces(k)
	if pieces == nil {
		pieces = []string{k}
	}
	for _, piece := range pieces {
		add(piece)
		add(strings.TrimLeft(piece, " "))
		add(strings.TrimLeft(piece, "!_"))
	}
	return out
}

// keyPieces returns the keys of k read as a nested name, split at '[',
// ']' and '.', or nil when k is not nested: Rack 2 drops leading brackets
// ("]amount" and "[[amount]]" are amount) and reads "user]role" as
// user[role], Express's qs reads "[amount]" as amount, Rack 3 reads
// "user[role" under user, Spring and ASP.NET Core nest at '.'
// ("user.role"), ASP.NET Core binds "req.amount" and "req[amount]" as the
// amount of the action's parameter req, and Laravel's input() and
// lodash's get() read a JSON key "user.role" as the path user.role.
func keyPieces(k string) []string {
	if !strings.ContainsAny(k, "[].") {
		return nil
	}
	return strings.FieldsFunc(k, isNestingRune)
}

// isNestingRune reports the characters at which a framework splits a
// parameter name into nested keys.
func isNestingRune(r rune) bool { return r == '[' || r == ']' || r == '.' }

// maxParams is the number of parameters PHP (max_input_vars) and
// Express's qs (parameterLimit) read from a query or a form body; they
// drop the rest, which the rules would have seen.
const maxParams = 1000

// methodParams are the parameters that override the method: _method
// (Rails, Laravel, Symfony, Express's method-override), _HttpMethod
// (Salesforce) and the override headers sent as parameters (ServiceStack
// reads them from the query and the form too).
var methodParams = []string{"_method", "_HttpMethod", "X-HTTP-Method-Override", "X-HTTP-Method", "X-Method-Override"}

// isMethodParam reports whether a query, form or JSON name k is read as a
// method override parameter, in any case.
func isMethodParam(k string) bool {
	if isMethodName(k) {
		return true
	}
	return slices.ContainsFunc(paramReadings(k), isMethodName)
}

// isMethodName reports whether k is one of methodParams, in any case.
func isMethodName(k string) bool {
	for _, m := range methodParams {
		if strings.EqualFold(k, m) {
			return true
		}
	}
	return false
}

// checkAcross refuses a request that sends a name the rules read where
// no rule reading it looks, or in both places: frameworks merge the query
// and the body (a form, or a JSON object's top level) and disagree on
// which wins (Rails and Flask take the query's, Laravel and PHP's
// $_REQUEST the body's). So a name the rules read in the body only is
// refused in the query (?amount=5000 beside a body without amount would
// pass a rule on http.body.amount and reach Rails as amount 5000), one
// read in the query only is refused in the body, and one sent in both is
// refused whatever the rules read.
func checkAcross(query url.Values, body any, names readNames, locs nameLocs) *refusal {
	if len(names) == 0 {
		return nil
	}
	m, _ := body.(map[string]any)
	inBody := make(map[string]string, len(m))
	for k := range m {
		base, _ := paramBase(k)
		f := jsontext.FoldKey(base)
		if _, read := names[f]; !read || locs[f] == 0 {
			continue
		}
		if locs[f]&locBody == 0 {
			return refuse(400, "body", "%q is sent in the body, where no rule reads it (they read it in the query): frameworks that merge the two would act on it", k)
		}
		inBody[f] = k
	}
	for k := range query {
		base, _ := paramBase(k)
		f := jsontext.FoldKey(base)
		if _, read := names[f]; !read || locs[f] == 0 {
			continue
		}
		if locs[f]&locQuery == 0 {
			return refuse(400, "query", "%q is sent in the query, where no rule reads it (they read it in the body): frameworks that merge the two would act on it", k)
		}
		if other, ok := inBody[f]; ok {
			return refuse(400, "query", "parameter %q is sent in the query and, as %q, in the body: frameworks disagree on which wins", k, other)
		}
	}
	return nil
}

// checkCookieNames refuses a Cookie field holding a cookie whose name, or
// a name PHP or Rack reads it as (paramReadings), is a name the rules
// read in the query or the body: PHP's $_REQUEST (with its default
// variables_order, when no php.ini sets request_order) and classic
// ASP.NET's Request[name] read cookies as request parameters, after the
// query and the form, so Cookie: amount=5000 would be the amount a rule
// on http.query.amount never saw.
func checkCookieNames(fields []string, names readNames) *refusal {
	if len(names) == 0 {
		return nil
	}
	for _, field := range fields {
		for part := range strings.SplitSeq(field, ";") {
			name, _, _ := strings.Cut(part, "=")
			name = strings.TrimSpace(name)
			if name == "" {
				continue
			}
			if d, err := url.QueryUnescape(name); err == nil {
				name = d // PHP decodes cookie names as it does the query's
			}
			for _, r := range append(paramReadings(name), name) {
				if spellings, ok := names[jsontext.FoldKey(r)]; ok {
					return refuse(400, "headers", "cookie %q is read as the request parameter %q by PHP's $_REQUEST and ASP.NET's Request[], and the rules read %q", name, r, spellings[0])
				}
			}
		}
	}
	return nil
}
