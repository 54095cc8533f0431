package postgres

import "strings"

// upperKind is strings.ToUpper(k) for a statement's kind, without a pass
// over the usual kinds, which the classifier writes upper case already
// (ToUpper leaves them as they are).
func upperKind(k string) string {
	switch k {
	case "SELECT", "INSERT", "UPDATE", "DELETE", "VALUES", "BEGIN", "COMMIT", "ROLLBACK", "SET", "SHOW":
		return k
	}
	return strings.ToUpper(k)
}
