package postgres

// commonTags are the command tags a point-query workload sees with
// nearly every statement, kept as strings so that their CommandComplete
// costs no allocation.
var commonTags = [...]string{"SELECT 0", "SELECT 1", "BEGIN", "COMMIT", "ROLLBACK", "SET", "UPDATE 1", "INSERT 0 1", "DELETE 1"}

// tagString returns the command tag b as a string: one of commonTags when
// b spells it, else a copy of b.
func tagString(b []byte) string {
	for _, t := range commonTags {
		if string(b) == t {
			return t
		}
	}
	return string(b)
}
