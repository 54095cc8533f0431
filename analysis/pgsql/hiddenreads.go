package pgsql

import "strings"

// hiddenReaders are the built-ins that read data their statement does not
// name as a relation: they run a query given as text (query_to_xml,
// ts_stat, ts_rewrite), read a table, every table of a schema or database,
// or an open cursor by a name given as a value (table_to_xml,
// schema_to_xml, database_to_xml, cursor_to_xml), or read what lies
// outside every table: large objects (lo_get, loread), other sessions'
// statements (pg_stat_get_activity, pg_stat_get_backend_activity,
// pg_stat_statements), the changes of logical decoding, and server files
// (hiddenReaderPrefixes); and the functions of contrib extensions that do
// the same: tablefunc's crosstab (a query in text) and connectby (a
// table by name), xml2's xpath_table (both), pageinspect's raw pages and
// their tuples and index entries, pg_walinspect's WAL records. What they read is in no statement's tables or
// columns, so a rule that allows a write by the tables it names (INSERT
// into a scratch table) would let them copy it there, to be read back
// unmasked: a call of one makes the statement opaque.
var hiddenReaders = map[string]bool{}

// hiddenReaderPrefixes extend hiddenReaders to whole families: logical
// decoding's slot readers, the server's file and directory readers,
// crosstab's variants and pg_walinspect's readers.
var hiddenReaderPrefixes = []string{"pg_logical_slot_", "pg_read_file", "pg_read_binary_file", "pg_ls_", "pg_stat_file",
	"crosstab", "pg_get_wal_"}

func init() {
	for _, f := range strings.Fields(`query_to_xml query_to_xmlschema query_to_xml_and_xmlschema
		table_to_xml table_to_xmlschema table_to_xml_and_xmlschema cursor_to_xml cursor_to_xmlschema
		schema_to_xml schema_to_xmlschema schema_to_xml_and_xmlschema database_to_xml
		database_to_xmlschema database_to_xml_and_xmlschema ts_stat ts_rewrite
		lo_get loread pg_stat_get_activity pg_stat_get_backend_activity pg_stat_statements pg_logdir_ls
		connectby xpath_table get_raw_page heap_page_items heap_page_item_attrs tuple_data_split
		bt_page_items brin_page_items gin_leafpage_items hash_page_items gist_page_items gist_page_items_bytea`) {
		hiddenReaders[f] = true
	}
}

// callsHiddenReader reports whether a statement's calls may run a hidden
// reader, called by name or in attribute notation.
func callsHiddenReader(calls []funcName) bool {
	for _, f := range calls {
		if name, ok := calledName(f); ok && readsHiddenData(name) {
			return true
		}
	}
	return false
}

// readsHiddenData reports whether a function of this name (in any schema:
// a same-named function of another schema is treated alike, any case)
// reads data its statement does not name as a relation.
func readsHiddenData(name string) bool {
	n := strings.ToLower(name)
	if hiddenReaders[n] {
		return true
	}
	for _, p := range hiddenReaderPrefixes {
		if strings.HasPrefix(n, p) {
			return true
		}
	}
	return false
}

// ReadsHiddenData reports whether a function of this name (any schema,
// any case) reads data its caller does not name as a relation (see
// hiddenReaders): code that calls one may read anything.
func ReadsHiddenData(name string) bool { return readsHiddenData(name) }
