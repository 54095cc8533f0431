package pgsql

import "strings"

// hiddenReaders are the built-ins that read relations the statement does
// not name: they run a query given as text (query_to_xml, ts_stat,
// ts_rewrite), or read a table, every table of a schema or database, or
// an open cursor by a name given as a value (table_to_xml, schema_to_xml,
// database_to_xml, cursor_to_xml). What they read is in no statement's
// tables or columns, so a rule that allows a write by the tables it names
// (INSERT into a scratch table) would let them copy any table there: a
// call of one makes the statement opaque.
var hiddenReaders = map[string]bool{}

func init() {
	for _, f := range strings.Fields(`query_to_xml query_to_xmlschema query_to_xml_and_xmlschema
		table_to_xml table_to_xmlschema table_to_xml_and_xmlschema cursor_to_xml cursor_to_xmlschema
		schema_to_xml schema_to_xmlschema schema_to_xml_and_xmlschema database_to_xml
		database_to_xmlschema database_to_xml_and_xmlschema ts_stat ts_rewrite`) {
		hiddenReaders[f] = true
	}
}

// readsHiddenRelations reports whether a call of the function named by
// parts (in any schema: a same-named function of another schema is
// treated alike) reads relations its statement does not name.
func readsHiddenRelations(parts []string) bool {
	return len(parts) > 0 && hiddenReaders[strings.ToLower(parts[len(parts)-1])]
}
