package mask

import "bytes"

// Connection strings. libpq's "host=db user=app password=x dbname=d"
// (dblink, postgres_fdw, CREATE SUBSCRIPTION ... CONNECTION '...') and
// the like separate their pairs with spaces only: an unquoted value runs
// to white space, and '&', ';', ',' or ')' inside a password are its
// characters, not its end (the value reader stops there for URLs' query
// strings and code).

// conninfoKeys are keys of a connection string next to its password.
var conninfoKeys = [...]string{"host=", "hostaddr=", "port=", "dbname=", "user=", "sslmode=", "application_name=", "connect_timeout="}

// maxConninfo bounds the bytes searched on either side of a password for
// another key of its connection string, and the bytes a value is
// extended by.
const maxConninfo = 200

// conninfoValueEnd returns where the value sp of the name at t[b] ends:
// sp.end, or, when the name is a pair of a connection string (after a
// space or a quote, '=' against the value, another key of one on its
// line) and sp stopped at a character that ends a value elsewhere with
// letters or digits after it, the next white space or quote.
func conninfoValueEnd(t []byte, b int, sp span) int {
	e := sp.end
	switch at(t, e) {
	case '&', ';', ',', ')', '(', '>', '<', '}', ']':
	default:
		return e
	}
	if b == 0 || (t[b-1] != ' ' && t[b-1] != '\'' && t[b-1] != '"') || at(t, sp.start-1) != '=' || !isConninfo(t, b, e) {
		return e
	}
	k, more := e, false
	for k < len(t) && k-e < maxConninfo {
		c := t[k]
		if c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\'' || c == '"' {
			break
		}
		more = more || isAlnum(c)
		k++
	}
	if !more {
		return e // "password=x, user=y": punctuation after the value
	}
	return k
}

// isConninfo reports whether the line around t[b:e] holds another key of
// a connection string.
func isConninfo(t []byte, b, e int) bool {
	lo, hi := lineAround(t, b, e, maxConninfo)
	for i := lo; i < hi; i++ {
		if t[i] != '=' {
			continue
		}
		for _, key := range conninfoKeys {
			n := len(key) - 1
			if i-n >= lo && (i-n == 0 || !is(t[i-n-1], clWord)) && bytes.EqualFold(t[i-n:i], []byte(key[:n])) {
				return true
			}
		}
	}
	return false
}
