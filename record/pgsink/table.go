package pgsink

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/jackc/pgx/v5"
)

// tableName is what a table option may be: a lower-case name, optionally
// schema-qualified.
var tableName = regexp.MustCompile(`^[a-z_][a-z0-9_]{0,62}(\.[a-z_][a-z0-9_]{0,62})?$`)

// identifier checks a table name and returns it as an identifier.
func identifier(table string) (pgx.Identifier, error) {
	if !tableName.MatchString(table) {
		return nil, fmt.Errorf("pgsink: bad table name %q", table)
	}
	if schema, name, ok := strings.Cut(table, "."); ok {
		return pgx.Identifier{schema, name}, nil
	}
	return pgx.Identifier{table}, nil
}
