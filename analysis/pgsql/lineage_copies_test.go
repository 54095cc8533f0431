package pgsql

import (
	"context"
	"slices"
	"testing"
)

// copiesCatalog holds a table, relations that hold its data under other
// names, a SQL function over it and built-ins (with their C symbols).
type copiesCatalog struct{}

func (copiesCatalog) Relations(_ context.Context, schema, name string) ([]Relation, error) {
	rels := []Relation{
		{OID: 1, Schema: "public", Name: "customers", Kind: 'r', Columns: []string{"id", "pin"}},
		{OID: 2, Schema: "pg_toast", Name: "pg_toast_1", Kind: 't', Columns: []string{"chunk_id", "chunk_seq", "chunk_data"}},
		{OID: 3, Schema: "public", Name: "customers_2024", Kind: 'r', Columns: []string{"id", "pin"}, Kin: []string{"customers_by_year", "customers"}},
		{OID: 4, Schema: "pg_catalog", Name: "pg_largeobject", Kind: 'r', Columns: []string{"loid", "pageno", "data"}},
		{OID: 5, Schema: "public", Name: "remote_customers", Kind: 'f', Columns: []string{"id", "pin"}},
		{OID: 6, Schema: "public", Name: "customers_id_seq", Kind: 'S', Columns: []string{"last_value", "log_cnt", "is_called"}},
		{OID: 7, Schema: "pg_catalog", Name: "pg_attrdef", Kind: 'r', Columns: []string{"oid", "adrelid", "adnum", "adbin"}},
		{OID: 8, Schema: "pg_catalog", Name: "pg_sequence", Kind: 'r', Columns: []string{"seqrelid", "seqstart"}},
		{OID: 9, Schema: "pg_catalog", Name: "pg_statistic", Kind: 'r', Columns: []string{"starelid", "stavalues1"}},
		{OID: 11, Schema: "public", Name: "guarded", Kind: 'r', Columns: []string{"v"}, RowSecurity: true},
	}
	for _, r := range rels {
		if r.Name == name && (schema == "" || schema == r.Schema) {
			return []Relation{r}, nil
		}
	}
	return nil, nil
}

func (copiesCatalog) Functions(_ context.Context, schema, name string) ([]Function, error) {
	if name == "all_pins" {
		return []Function{{OID: 10, Schema: "public", Lang: 14, Kind: 'f', Body: "SELECT pin FROM customers"}}, nil
	}
	src := map[string]string{
		"generate_series": "generate_series_int4", "substr": "text_substr", "convert_from": "pg_convert_from",
		"pg_stat_get_backend_activity": "pg_stat_get_backend_activity", "an_alias": "pg_read_file",
		"string_to_table": "text_to_table_null", "repeat": "repeat", "currval": "currval_oid",
		"lastval": "lastval", "nextval": "nextval_oid", "pg_sequence_last_value": "pg_sequence_last_value",
		"pg_sequence_parameters": "pg_sequence_parameters", "seq_alias": "currval_oid", "pg_get_expr": "pg_get_expr",
	}[name]
	if src == "" || (schema != "" && schema != "pg_catalog") {
		return nil, nil
	}
	return []Function{{OID: 20, Schema: "pg_catalog", Lang: 12, Kind: 'f', Src: src}}, nil
}

func (copiesCatalog) UserOperator(context.Context, string) (bool, error) { return false, nil }
func (copiesCatalog) UserCast(context.Context, string) (bool, error)     { return false, nil }
func (copiesCatalog) Refresh(context.Context) uint64                     { return 1 }
func (copiesCatalog) Generation() uint64                                 { return 1 }

func resolveForTest(t *testing.T, sql string) *Resolved {
	t.Helper()
	c, err := ParserClassifier{}.Classify(sql)
	if err != nil {
		t.Fatal(err)
	}
	res, err := NewResolver(copiesCatalog{}).Resolve(context.Background(), &c.Statements[0], &Session{})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// Relations that hold another relation's values under a name of their own
// (TOAST, large objects, sequences, statistics, column defaults) are of
// unknown lineage; a partition or an
// inheritance child or parent carries its kin's columns too; a built-in that
// reads another session's statements, or an alias of a reader (same C
// symbol), is unknown.
func TestLineageOfCopies(t *testing.T) {
	for _, tc := range []struct {
		sql     string
		unknown bool
		fields  []string
	}{
		{"SELECT convert_from(chunk_data, 'UTF8') FROM pg_toast.pg_toast_1", true, nil},
		{"SELECT chunk_data FROM pg_toast_1", true, nil},
		{"SELECT data FROM pg_largeobject", true, nil},
		{"SELECT pin FROM remote_customers", true, nil},
		{"SELECT pin FROM customers_2024", false, []string{"customers_2024.pin", "customers_by_year.pin", "customers.pin"}},
		{"SELECT pg_stat_get_backend_activity(1)", true, nil},
		{"SELECT an_alias('x')", true, nil},
		{"SELECT substr(pin, 1) FROM customers", false, []string{"customers.pin"}},
		// Sequences hold the value a serial or identity column was last
		// given, and the functions that read them return it.
		{"SELECT last_value FROM customers_id_seq", true, nil},
		{"SELECT * FROM public.customers_id_seq", true, nil},
		{"SELECT currval('customers_id_seq')", true, nil},
		{"SELECT seq_alias('customers_id_seq')", true, nil},
		{"SELECT lastval()", true, nil},
		{"SELECT nextval('customers_id_seq') - 1", true, nil},
		{"SELECT pg_sequence_last_value('customers_id_seq'::regclass)", true, nil},
		{"SELECT * FROM pg_sequence_parameters('customers_id_seq'::regclass)", true, nil},
		{"SELECT seqstart FROM pg_sequence", true, nil},
		// Statistics and column defaults hold values of the columns.
		{"SELECT stavalues1 FROM pg_statistic", true, nil},
		{"SELECT pg_get_expr(adbin, adrelid) FROM pg_attrdef", true, nil},
	} {
		w := resolveForTest(t, tc.sql).Whole()
		if w.Unknown != tc.unknown || !slices.Equal(w.Fields, tc.fields) {
			t.Errorf("%s: lineage %+v, want unknown=%v fields=%v", tc.sql, w, tc.unknown, tc.fields)
		}
	}
}

// A relation with row-level security runs its policies' expressions with
// the statement: what they evaluate is unknown (an error may quote it),
// while its own columns keep their lineage.
func TestRowSecurityTouchesUnknown(t *testing.T) {
	res := resolveForTest(t, "SELECT v FROM guarded")
	if !res.Touched().Unknown {
		t.Errorf("touched %+v, want unknown", res.Touched())
	}
	if w := res.Whole(); w.Unknown || !slices.Equal(w.Fields, []string{"guarded.v"}) {
		t.Errorf("lineage %+v, want guarded.v", w)
	}
	if res := resolveForTest(t, "SELECT pin FROM customers"); res.Touched().Unknown {
		t.Errorf("customers: touched %+v, want known", res.Touched())
	}
}

// What decides how many rows a FROM item yields, or which rows DISTINCT
// keeps, is a filter; the body of a function in FROM, like a view's, is
// not the statement's own.
func TestRowShapingIsFilter(t *testing.T) {
	for _, tc := range []struct {
		sql    string
		filter bool
	}{
		{"SELECT count(*) FROM customers c, generate_series(1, substr(c.pin, 1, 4)::int) g", true},
		{"SELECT count(*) FROM customers c, string_to_table(repeat('x', length(c.pin)), NULL)", true},
		{"SELECT count(*) FROM customers c, ROWS FROM (generate_series(1, 2), generate_series(1, length(c.pin))) r", true},
		{"SELECT count(*) FROM customers TABLESAMPLE BERNOULLI ((SELECT length(pin) FROM customers LIMIT 1))", true},
		{"SELECT count(*) FROM (SELECT DISTINCT pin FROM customers) d", true},
		{"SELECT count(*) FROM customers c, JSON_TABLE(c.pin::jsonb, '$[*]' COLUMNS (v int PATH '$')) j", true},
		{"SELECT count(*) FROM customers c, generate_series(1, c.id) g", false},
		{"SELECT * FROM all_pins()", false},
		{"SELECT DISTINCT id FROM customers", false},
	} {
		f := resolveForTest(t, tc.sql).Filter()
		got := f.Unknown || slices.Contains(f.Fields, "customers.pin")
		if got != tc.filter {
			t.Errorf("%s: filter %+v, want customers.pin in it: %v", tc.sql, f, tc.filter)
		}
	}
}
