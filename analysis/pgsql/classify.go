package pgsql

import (
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/airlock-sdk/airlock/gate"
	pg_query "github.com/pganalyze/pg_query_go/v6"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// Classifier turns the SQL text of one client message into the statements
// the rules judge. Implementations must be safe for concurrent use. An error
// means the text cannot be judged; a proxy denies it.
type Classifier interface {
	Classify(sql string) (*Classification, error)
}

// Classification is what a Classifier found in one SQL text.
type Classification struct {
	// Statements in order. A data-modifying statement nested in another
	// (a WITH ... DELETE, EXPLAIN ANALYZE UPDATE) appears a second time as
	// its own entry, so rules about DELETE see it.
	Statements []Statement
}

// Statement is one classified statement: what rules see, plus what a proxy
// needs to mask its results.
type Statement struct {
	gate.SQLStatement
	// Secrets are literals that must never be recorded raw (the password of
	// ALTER ROLE ... PASSWORD).
	Secrets []string
	// PrepareName and Prepared are set for SQL-level PREPARE name AS ...
	PrepareName string
	Prepared    *Statement
	// ExecuteName is set for SQL-level EXECUTE name.
	ExecuteName string
	// StatementLineage is what a proxy needs to mask the result.
	StatementLineage
	// CopyOut is set for COPY ... TO STDOUT, CopyIn for COPY ... FROM STDIN.
	CopyOut, CopyIn bool
	// CopyTable and CopyColumns name the source of a COPY table TO
	// STDOUT in text format (the one form a proxy masks column by
	// column); empty otherwise.
	CopyTable   string
	CopyColumns []string
	// Nested marks an entry that repeats a data-modifying statement nested
	// in the entry before it.
	Nested bool
	// JudgedUnder is the ProcCatalog generation ReadOnly, Volatile and
	// Heavy were judged under (WithProcCatalog; 0 without a catalog). A
	// verdict kept for later (a prepared statement) is stale once the
	// catalog's generation moved on: code added since may run under it.
	JudgedUnder uint64
	// CallsWrite is true when a function, operator, cast, type, view or
	// row-level-security policy the statement runs may change data (the
	// function verdict, whatever the statement itself does): a write
	// statement's own targets are in Tables, but what its calls reach is
	// not. It is set with ReadOnly, and unknown calls count.
	CallsWrite bool
	// ServerReach says what the statement does that reaches past the
	// database it runs in (a connection the server opens to another
	// database, a server program or file, code in C or an untrusted
	// language: see serverReach), or is empty. A gateway cannot see what
	// such a reach does.
	ServerReach string
	// ClusterChange says what the statement changes of the server's
	// shared objects, a database or a role (see clusterChange), or is
	// empty: every database on the server sees the change, the one a
	// gateway keeps its own state in among them.
	ClusterChange string
	// HiddenRead is set when the statement is Opaque only because it
	// calls a built-in that reads data it does not name as a relation
	// (query_to_xml, lo_get, a server file: see hiddenReaders), not
	// because it runs code of its own out of sight (DO, CALL, ...).
	HiddenRead bool

	// structRO is the verdict on everything but the functions called;
	// ReadOnly is structRO and the functions' verdict (see functions.go).
	structRO bool
	// calls are the functions called, exactly as the parser resolved the
	// names (case kept), for the catalog.
	calls []funcName
}

// ErrUnparsable is returned (wrapped) for SQL the parser rejects.
var ErrUnparsable = errors.New("postgres: statement does not parse")

// ParserClassifier classifies with the PostgreSQL parser (pg_query). It does
// not cache; NewClassifier wraps it with a cache.
type ParserClassifier struct{}

// Classify parses sql and classifies each statement.
func (ParserClassifier) Classify(sql string) (*Classification, error) {
	c, _, _, err := classifyParsed(sql)
	return c, err
}

// classifyParsed also returns the statement spans pg_query reported, trimmed,
// so the cache can check its own splitter against the parser, and the
// offsets of the constants the parser found as values (see constSet).
func classifyParsed(sql string) (*Classification, []string, constSet, error) {
	if strings.IndexByte(sql, 0) >= 0 {
		return nil, nil, nil, fmt.Errorf("%w: NUL byte in statement", ErrUnparsable)
	}
	if !utf8.ValidString(sql) {
		return nil, nil, nil, fmt.Errorf("%w: invalid UTF-8", ErrUnparsable)
	}
	// The budget is held while the tree is read: classifying a big text
	// allocates several times what parsing it does.
	if err := checkSize(sql); err != nil {
		return nil, nil, nil, err
	}
	defer parseBudget.take(len(sql))()
	tree, err := parseTaken(sql)
	if err != nil {
		return nil, nil, nil, unparsable(err)
	}
	out := &Classification{}
	var texts []string
	var consts constSet
	for _, raw := range tree.Stmts {
		start := int(raw.StmtLocation)
		end := len(sql)
		if raw.StmtLen > 0 {
			end = start + int(raw.StmtLen)
		}
		if start < 0 || start > end || end > len(sql) {
			return nil, nil, nil, fmt.Errorf("%w: bad statement location", ErrUnparsable)
		}
		text := strings.TrimSpace(sql[start:end])
		texts = append(texts, text)
		sts := classifyNode(raw.Stmt, text, &consts)
		out.Statements = append(out.Statements, sts...)
	}
	return out, texts, consts, nil
}

// classifyNode classifies one parsed statement, returning it followed by
// the data-modifying statements nested in it. When consts is not nil it
// adds the offsets of the constants its walk met to *consts: one walk of
// the tree serves the classification and the cache's key.
func classifyNode(n *pg_query.Node, text string, consts *constSet) []Statement {
	w := newWalker()
	w.consts = consts
	st := Statement{}
	st.Text = text
	st.Kind = kindOf(n)
	w.walk(n.ProtoReflect())
	st.Tables = w.tables
	st.Functions = w.functions
	st.Columns = w.columns
	st.Secrets = w.secrets
	if mayHideSecret(text) {
		for _, x := range findSecrets(n) {
			st.Secrets = appendUnique(st.Secrets, x)
		}
	}
	st.Opaque = w.opaque
	st.calls = w.calls
	// structRO is the verdict before functions are judged: a statement
	// whose node type is not listed in readOnlyNodes is never read-only.
	st.structRO = false

	switch s := n.Node.(type) {
	case *pg_query.Node_SelectStmt:
		st.structRO = !w.dml && !w.locking && s.SelectStmt.IntoClause == nil
	case *pg_query.Node_UpdateStmt:
		st.HasWhere = s.UpdateStmt.WhereClause != nil
	case *pg_query.Node_DeleteStmt:
		st.HasWhere = s.DeleteStmt.WhereClause != nil
	case *pg_query.Node_ExplainStmt:
		analyze, known := explainAnalyze(s.ExplainStmt.Options)
		if ex := s.ExplainStmt.Query.GetExecuteStmt(); ex != nil {
			// EXPLAIN EXECUTE evaluates the parameters even without
			// ANALYZE; the proxy adds the prepared statement itself.
			st.ExecuteName = ex.Name
		}
		switch {
		case !known:
			// An option value the classifier cannot read: assume it runs.
			st.structRO = false
		case analyze:
			st.structRO = !w.dml && !w.locking
		default:
			// Plans only: nothing is written. Functions still count, since
			// planning folds constant expressions and EXECUTE parameters
			// are evaluated.
			st.structRO = true
			for i := range st.Tables {
				st.Tables[i].Access = "read"
			}
			w.nested = nil
		}
	case *pg_query.Node_VariableShowStmt:
		st.structRO = true
	case *pg_query.Node_TransactionStmt:
		st.Kind = transactionKind(s.TransactionStmt.Kind)
		switch s.TransactionStmt.Kind {
		case pg_query.TransactionStmtKind_TRANS_STMT_PREPARE,
			pg_query.TransactionStmtKind_TRANS_STMT_COMMIT_PREPARED,
			pg_query.TransactionStmtKind_TRANS_STMT_ROLLBACK_PREPARED:
			// Two-phase commit acts on transactions of other sessions
			// or leaves one behind holding its locks.
			st.structRO = false
		default:
			st.structRO = true
		}
	case *pg_query.Node_DeclareCursorStmt:
		// WITH HOLD runs the query to completion at commit and keeps the
		// result past the transaction; FOR UPDATE locks rows.
		hold := s.DeclareCursorStmt.Options&cursorOptHold != 0
		st.structRO = !w.dml && !w.locking && !hold && !hasInto(s.DeclareCursorStmt.Query)
	case *pg_query.Node_FetchStmt:
		// The cursor's query was judged when it was declared.
		if s.FetchStmt.Ismove {
			st.Kind = "MOVE"
		}
		st.structRO = true
	case *pg_query.Node_ClosePortalStmt, *pg_query.Node_DeallocateStmt:
		// Forgetting a cursor or a plan changes no data.
		st.structRO = true
	case *pg_query.Node_CopyStmt:
		cs := s.CopyStmt
		if cs.IsProgram || cs.Filename != "" {
			// A server-side program or file is beyond static judgement.
			st.Opaque = true
		} else if cs.IsFrom {
			st.CopyIn = true
		} else {
			st.CopyOut = true
			st.structRO = !w.dml && !w.locking && !hasInto(cs.Query)
			if cs.Relation != nil && cs.Query == nil && copyTextFormat(cs.Options) {
				st.CopyTable = cs.Relation.Relname
				st.CopyColumns = stringParts(cs.Attlist)
			}
		}
		if cs.Relation != nil && !cs.IsFrom {
			for i := range st.Tables {
				st.Tables[i].Access = "read"
			}
		}
	case *pg_query.Node_PrepareStmt:
		if q := s.PrepareStmt.Query; q != nil {
			inner := classifyNode(q, text, nil) // q's constants are the outer walk's
			st.PrepareName = s.PrepareStmt.Name
			w.nested = nil
			st.Prepared = &inner[0]
			// PREPARE runs nothing, but its verdict is the prepared
			// statement's: a rule that allows read-only PREPAREs must not
			// let a write in to be run by EXECUTE later.
			st.structRO = inner[0].structRO
			st.Opaque = inner[0].Opaque
			st.Tables = inner[0].Tables
			st.Functions = inner[0].Functions
			st.Columns = inner[0].Columns
			// EXECUTE binds its values to the declared parameter types,
			// which runs their input functions and domain checks: they
			// are the prepared statement's calls too.
			for _, a := range s.PrepareStmt.Argtypes {
				aw := newWalker()
				aw.walk(a.ProtoReflect())
				for _, f := range aw.calls {
					inner[0].calls = appendCall(inner[0].calls, f.parts())
				}
			}
			st.calls = inner[0].calls
		}
	case *pg_query.Node_ExecuteStmt:
		// Its own verdict comes from the parameter expressions (evaluated
		// here); the proxy adds the prepared statement's.
		st.ExecuteName = s.ExecuteStmt.Name
		st.Opaque = true
		st.structRO = true
	}
	if callsHiddenReader(w.calls) {
		st.HiddenRead, st.Opaque = !st.Opaque, true
	}
	st.ServerReach = serverReach(n, st.calls)
	st.ClusterChange = clusterChange(n)
	if st.Prepared != nil && st.ServerReach == "" {
		st.ServerReach = st.Prepared.ServerReach
	}
	st.ReadOnly, st.Volatile, st.Heavy = staticFunctionVerdict(st.structRO, st.calls)
	st.CallsWrite = callsWriteStatic(st.calls)
	if st.Prepared != nil {
		p := *st.Prepared
		p.ReadOnly, p.Volatile, p.Heavy = staticFunctionVerdict(p.structRO, p.calls)
		p.CallsWrite = callsWriteStatic(p.calls)
		st.Prepared = &p
	}
	st.StatementLineage = statementLineage(n)
	out := []Statement{st}
	var top protoreflect.ProtoMessage
	if m := n.ProtoReflect(); m.IsValid() {
		if fd := m.WhichOneof(m.Descriptor().Oneofs().ByName("node")); fd != nil {
			top = m.Get(fd).Message().Interface()
		}
	}
	for _, k := range w.nested {
		if k.node == top {
			continue
		}
		ns := Statement{Nested: true}
		ns.Text = text
		ns.Kind = k.kind
		ns.HasWhere = k.hasWhere
		ns.Tables = []gate.SQLTable{k.table}
		ns.Functions = st.Functions
		ns.Columns = st.Columns
		ns.calls = st.calls
		ns.Volatile, ns.Heavy, ns.CallsWrite = st.Volatile, st.Heavy, st.CallsWrite
		out = append(out, ns)
	}
	return out
}

// readOnlyNodes are the statement types that can be read-only, each under
// the conditions classifyNode checks. Every other statement type, and any
// type a later parser adds, is never read-only: it changes data, schema,
// server or session state (SET, RESET, DISCARD, LISTEN, NOTIFY, LOCK,
// CHECKPOINT, VACUUM, ANALYZE, CLUSTER, REINDEX, LOAD, SECURITY LABEL,
// COMMENT, REFRESH, CALL, DO, IMPORT FOREIGN SCHEMA, ALTER SYSTEM, ...).
var readOnlyNodes = map[string]bool{
	"select_stmt":         true, // no INTO, no FOR UPDATE/SHARE, no data-modifying WITH, functions read-only
	"explain_stmt":        true, // without ANALYZE; with it, as the statement explained
	"variable_show_stmt":  true,
	"transaction_stmt":    true, // except PREPARE TRANSACTION, COMMIT/ROLLBACK PREPARED
	"declare_cursor_stmt": true, // as its query; never WITH HOLD
	"fetch_stmt":          true, // FETCH and MOVE: the cursor was judged when declared
	"close_portal_stmt":   true,
	"deallocate_stmt":     true,
	"copy_stmt":           true, // TO STDOUT only, as its query
	"prepare_stmt":        true, // as the prepared statement
	"execute_stmt":        true, // as its arguments; the proxy adds the prepared statement
}

// cursorOptHold is PostgreSQL's CURSOR_OPT_HOLD (parsenodes.h).
const cursorOptHold = 0x0020

// hasInto reports whether a query node is a SELECT ... INTO.
func hasInto(n *pg_query.Node) bool {
	s := n.GetSelectStmt()
	return s != nil && s.IntoClause != nil
}

// explainAnalyze reads EXPLAIN's ANALYZE option. known is false when its
// value is not one the classifier understands.
func explainAnalyze(opts []*pg_query.Node) (analyze, known bool) {
	known = true
	for _, o := range opts {
		d := o.GetDefElem()
		if d == nil || !strings.EqualFold(d.Defname, "analyze") {
			continue
		}
		if d.Arg == nil {
			analyze = true
			continue
		}
		v, ok := boolOption(d.Arg)
		if !ok {
			return true, false
		}
		analyze = v
	}
	return analyze, known
}

// boolOption reads a boolean option as PostgreSQL's defGetBoolean does.
func boolOption(n *pg_query.Node) (value, ok bool) {
	switch v := n.Node.(type) {
	case *pg_query.Node_Boolean:
		return v.Boolean.Boolval, true
	case *pg_query.Node_Integer:
		switch v.Integer.Ival {
		case 0:
			return false, true
		case 1:
			return true, true
		}
	case *pg_query.Node_String_:
		switch strings.ToLower(v.String_.Sval) {
		case "true", "on":
			return true, true
		case "false", "off":
			return false, true
		}
	}
	return false, false
}

// copyTextFormat reports whether COPY options leave the default text
// format with its default delimiter.
func copyTextFormat(opts []*pg_query.Node) bool {
	for _, o := range opts {
		d := o.GetDefElem()
		if d == nil {
			return false
		}
		if !strings.EqualFold(d.Defname, "format") {
			return false
		}
		if s := d.Arg.GetString_(); s == nil || !strings.EqualFold(s.Sval, "text") {
			return false
		}
	}
	return true
}

func transactionKind(k pg_query.TransactionStmtKind) string {
	switch k {
	case pg_query.TransactionStmtKind_TRANS_STMT_BEGIN:
		return "BEGIN"
	case pg_query.TransactionStmtKind_TRANS_STMT_START:
		return "START"
	case pg_query.TransactionStmtKind_TRANS_STMT_COMMIT:
		return "COMMIT"
	case pg_query.TransactionStmtKind_TRANS_STMT_ROLLBACK, pg_query.TransactionStmtKind_TRANS_STMT_ROLLBACK_TO:
		return "ROLLBACK"
	case pg_query.TransactionStmtKind_TRANS_STMT_SAVEPOINT:
		return "SAVEPOINT"
	case pg_query.TransactionStmtKind_TRANS_STMT_RELEASE:
		return "RELEASE"
	case pg_query.TransactionStmtKind_TRANS_STMT_PREPARE:
		return "PREPARE TRANSACTION"
	case pg_query.TransactionStmtKind_TRANS_STMT_COMMIT_PREPARED:
		return "COMMIT PREPARED"
	case pg_query.TransactionStmtKind_TRANS_STMT_ROLLBACK_PREPARED:
		return "ROLLBACK PREPARED"
	}
	return "TRANSACTION"
}

// revokes reports whether a GRANT statement (on objects or of roles) is a
// REVOKE.
func revokes(n *pg_query.Node) bool {
	if g := n.GetGrantStmt(); g != nil {
		return !g.IsGrant
	}
	if g := n.GetGrantRoleStmt(); g != nil {
		return !g.IsGrant
	}
	return false
}

// kindOf names a statement by its verb, from the parse-tree node's name
// (alter_table_stmt -> ALTER).
func kindOf(n *pg_query.Node) string {
	m := n.ProtoReflect()
	fd := m.WhichOneof(m.Descriptor().Oneofs().ByName("node"))
	if fd == nil {
		return "UNKNOWN"
	}
	name := string(fd.Name())
	switch name {
	case "variable_set_stmt":
		if v := n.GetVariableSetStmt(); v != nil && (v.Kind == pg_query.VariableSetKind_VAR_RESET || v.Kind == pg_query.VariableSetKind_VAR_RESET_ALL) {
			return "RESET"
		}
		return "SET"
	case "constraints_set_stmt":
		return "SET"
	case "variable_show_stmt":
		return "SHOW"
	case "rename_stmt", "alter_owner_stmt", "alter_object_schema_stmt":
		return "ALTER"
	case "index_stmt", "view_stmt", "rule_stmt", "define_stmt", "composite_type_stmt", "create_table_as_stmt":
		return "CREATE"
	case "grant_stmt", "grant_role_stmt":
		if revokes(n) {
			return "REVOKE"
		}
		return "GRANT"
	case "vacuum_stmt":
		if v := n.GetVacuumStmt(); v != nil && !v.IsVacuumcmd {
			return "ANALYZE"
		}
		return "VACUUM"
	case "sec_label_stmt":
		return "SECURITY LABEL"
	case "refresh_mat_view_stmt":
		return "REFRESH"
	case "declare_cursor_stmt":
		return "DECLARE"
	case "close_portal_stmt":
		return "CLOSE"
	case "check_point_stmt":
		return "CHECKPOINT"
	case "call_stmt":
		return "CALL"
	case "do_stmt":
		return "DO"
	case "create_function_stmt":
		return "CREATE"
	}
	verb, _, _ := strings.Cut(name, "_")
	return strings.ToUpper(verb)
}

// readOnlyFunctions are built-ins that cannot change data or state. Any
// other function call makes a statement not read-only: a function's body is
// not visible to a static check.
var readOnlyFunctions = map[string]bool{}

func init() {
	for _, f := range strings.Fields(`abs avg bool_and bool_or btrim ceil ceiling char_length character_length
		coalesce concat concat_ws count cume_dist current_date current_schema current_setting current_time
		current_timestamp current_user date_part date_trunc dense_rank every exp extract first_value floor
		format greatest initcap jsonb_agg jsonb_build_array jsonb_build_object json_agg json_build_array
		json_build_object jsonb_array_length jsonb_extract_path jsonb_extract_path_text jsonb_typeof
		array_agg array_length array_to_string string_to_array lag last_value lead least left length ln localtime
		localtimestamp log lower lpad ltrim max md5 min mod now nth_value ntile nullif octet_length percent_rank
		position power random rank regexp_match regexp_matches regexp_replace repeat replace reverse right
		round row_number rpad rtrim session_user sign split_part sqrt stddev string_agg strpos substr substring
		sum to_char to_date to_number to_timestamp translate trim trunc unnest upper user variance version
		generate_series age clock_timestamp statement_timestamp transaction_timestamp timeofday
		pg_typeof row_to_json to_json to_jsonb array_position cardinality isfinite justify_days
		justify_hours make_date make_interval make_time make_timestamp starts_with encode decode
		jsonb_each jsonb_each_text json_each json_each_text jsonb_object_keys json_object_keys
		jsonb_array_elements json_array_elements jsonb_array_elements_text json_array_elements_text
		pg_backend_pid current_database current_catalog pg_sleep convert_to convert_from
		array_upper array_lower array_remove array_dims col_description obj_description shobj_description
		format_type pg_encoding_to_char pg_get_constraintdef pg_get_expr pg_get_function_arguments
		pg_get_function_result pg_get_function_identity_arguments pg_get_functiondef pg_get_indexdef pg_get_ruledef
		pg_get_statisticsobjdef_columns pg_get_userbyid pg_get_viewdef pg_get_triggerdef pg_get_partkeydef
		pg_get_partition_constraintdef pg_get_serial_sequence pg_relation_is_publishable pg_tablespace_location
		pg_table_is_visible pg_type_is_visible pg_function_is_visible pg_operator_is_visible pg_conversion_is_visible
		pg_statistics_obj_is_visible pg_ts_config_is_visible pg_ts_dict_is_visible pg_ts_parser_is_visible
		pg_ts_template_is_visible pg_collation_is_visible pg_opclass_is_visible pg_opfamily_is_visible
		pg_relation_size pg_total_relation_size pg_table_size pg_indexes_size pg_database_size pg_size_pretty
		has_table_privilege has_schema_privilege has_database_privilege has_column_privilege
		has_function_privilege has_sequence_privilege pg_has_role current_schemas quote_ident quote_literal
		to_regclass to_regtype to_regproc pg_is_in_recovery inet_server_addr inet_server_port
		pg_postmaster_start_time pg_get_keywords pg_column_size`) {
		readOnlyFunctions[f] = true
		readOnlyFunctions["pg_catalog."+f] = true
	}
}

var nodeOneof = (&pg_query.Node{}).ProtoReflect().Descriptor().Oneofs().ByName("node")

// nestedDML is a data-modifying statement found inside another.
type nestedDML struct {
	node     protoreflect.ProtoMessage
	kind     string
	hasWhere bool
	table    gate.SQLTable
}

type walker struct {
	tables    []gate.SQLTable
	functions []string
	columns   []string
	secrets   []string
	calls     []funcName
	aliases   map[string]string
	writes    map[*pg_query.RangeVar]bool
	nested    []nestedDML
	opaque    bool
	dml       bool
	locking   bool
	depth     int
	consts    *constSet // nil: not collected
}

func newWalker() *walker {
	return &walker{writes: map[*pg_query.RangeVar]bool{}}
}

func appendUnique(list []string, s string) []string {
	for _, x := range list {
		if x == s {
			return list
		}
	}
	return append(list, s)
}

func (w *walker) addTable(rv *pg_query.RangeVar, access string) {
	t := gate.SQLTable{Schema: rv.Schemaname, Name: rv.Relname, Access: access}
	if w.aliases == nil {
		w.aliases = map[string]string{}
	}
	w.aliases[rv.Relname] = rv.Relname
	if rv.Alias != nil && rv.Alias.Aliasname != "" {
		w.aliases[rv.Alias.Aliasname] = rv.Relname
	}
	for i, x := range w.tables {
		if x.Schema == t.Schema && x.Name == t.Name {
			if access == "write" {
				w.tables[i].Access = "write"
			}
			return
		}
	}
	w.tables = append(w.tables, t)
}

// maxDepth bounds recursion over hostile, deeply nested trees (the parser
// has its own stack limit; this is a second fence).
const maxDepth = 2000

func (w *walker) walk(m protoreflect.Message) {
	if !m.IsValid() {
		return
	}
	w.depth++
	defer func() { w.depth-- }()
	if w.depth > maxDepth {
		w.opaque = true
		return
	}
	w.visit(m)
	eachMessage(m, w.walk)
}

// eachMessage calls f on every message-valued field of m, in field-number
// order (protoreflect's Range order is undefined, and classifications
// must be deterministic for the cache to agree with the parser).
func eachMessage(m protoreflect.Message, f func(protoreflect.Message)) {
	if _, ok := m.Interface().(*pg_query.Node); ok {
		// A Node is a oneof of some 270 fields; only one is set.
		if fd := m.WhichOneof(nodeOneof); fd != nil && fd.Kind() == protoreflect.MessageKind {
			f(m.Get(fd).Message())
		}
		return
	}
	fds := m.Descriptor().Fields()
	for i := 0; i < fds.Len(); i++ {
		fd := fds.Get(i)
		if fd.Kind() != protoreflect.MessageKind || fd.IsMap() || !m.Has(fd) {
			continue
		}
		v := m.Get(fd)
		if fd.IsList() {
			l := v.List()
			for j := 0; j < l.Len(); j++ {
				f(l.Get(j).Message())
			}
			continue
		}
		f(v.Message())
	}
}

func (w *walker) markWrite(rv *pg_query.RangeVar) {
	if rv != nil {
		w.writes[rv] = true
	}
}

func (w *walker) dmlTarget(node protoreflect.ProtoMessage, kind string, rv *pg_query.RangeVar, hasWhere bool) {
	w.dml = true
	w.markWrite(rv)
	if rv != nil {
		w.nested = append(w.nested, nestedDML{node: node, kind: kind, hasWhere: hasWhere,
			table: gate.SQLTable{Schema: rv.Schemaname, Name: rv.Relname, Access: "write"}})
	}
}

func (w *walker) visit(m protoreflect.Message) {
	switch x := m.Interface().(type) {
	case *pg_query.A_Const:
		if w.consts != nil && !x.Isnull {
			*w.consts = append(*w.consts, int(x.Location))
		}
	case *pg_query.InsertStmt:
		w.dmlTarget(x, "INSERT", x.Relation, false)
	case *pg_query.UpdateStmt:
		w.dmlTarget(x, "UPDATE", x.Relation, x.WhereClause != nil)
	case *pg_query.DeleteStmt:
		w.dmlTarget(x, "DELETE", x.Relation, x.WhereClause != nil)
	case *pg_query.MergeStmt:
		w.dmlTarget(x, "MERGE", x.Relation, true)
	case *pg_query.IntoClause:
		w.dml = true
		w.markWrite(x.Rel)
	case *pg_query.CopyStmt:
		if x.IsFrom {
			w.markWrite(x.Relation)
			w.dml = true
		}
	case *pg_query.GrantStmt:
		for _, o := range x.Objects {
			w.markWrite(o.GetRangeVar())
		}
	case *pg_query.LockingClause:
		w.locking = true
	case *pg_query.DoStmt, *pg_query.CallStmt, *pg_query.ExecuteStmt, *pg_query.CreateFunctionStmt,
		*pg_query.LoadStmt, *pg_query.AlterFunctionStmt, *pg_query.CreateTrigStmt, *pg_query.RuleStmt,
		*pg_query.CreateEventTrigStmt:
		w.opaque = true
	case *pg_query.VariableSetStmt:
		switch strings.ToLower(x.Name) {
		case "role", "session_authorization", "session authorization":
			w.opaque = true
		}
	case *pg_query.DefElem:
		if strings.EqualFold(x.Defname, "password") && x.Arg != nil {
			if s := x.Arg.GetString_(); s != nil && s.Sval != "" {
				w.secrets = appendUnique(w.secrets, s.Sval)
			}
		}
	case *pg_query.DropStmt:
		for _, o := range x.Objects {
			if l := o.GetList(); l != nil {
				parts := stringParts(l.Items)
				if len(parts) > 0 {
					t := gate.SQLTable{Name: parts[len(parts)-1], Access: "write"}
					if len(parts) > 1 {
						t.Schema = parts[len(parts)-2]
					}
					w.tables = append(w.tables, t)
				}
			}
		}
	case *pg_query.RangeVar:
		access := "read"
		if w.writes[x] {
			access = "write"
		}
		w.addTable(x, access)
		// A view runs the functions of its query, a table those of its
		// row-level security policies.
		if x.Relname != "" {
			w.calls = appendCall(w.calls, []string{x.Schemaname, relPrefix + x.Relname})
		}
	case *pg_query.FuncCall:
		parts := stringParts(x.Funcname)
		name := strings.ToLower(strings.Join(parts, "."))
		if name != "" {
			w.functions = appendUnique(w.functions, name)
		}
		if len(parts) > 0 {
			w.calls = appendCall(w.calls, parts)
		}
	case *pg_query.A_Expr:
		// An operator is a function call: a user-defined one may run
		// anything. Keyword forms (BETWEEN) use built-in operators.
		if parts := stringParts(x.Name); len(parts) > 0 && strings.IndexFunc(parts[len(parts)-1], isLetter) < 0 {
			w.calls = appendKindCall(w.calls, opPrefix, parts)
		}
		switch x.Kind {
		case pg_query.A_Expr_Kind_AEXPR_BETWEEN, pg_query.A_Expr_Kind_AEXPR_NOT_BETWEEN,
			pg_query.A_Expr_Kind_AEXPR_BETWEEN_SYM, pg_query.A_Expr_Kind_AEXPR_NOT_BETWEEN_SYM:
			// BETWEEN is written with the comparison operators, found by
			// name like any other (a user's >= (int, numeric) is an exact
			// match for 1 BETWEEN 0.5 AND 2).
			for _, op := range []string{">=", "<=", "<", ">"} {
				w.calls = appendCall(w.calls, []string{opPrefix + op})
			}
		}
	case *pg_query.SubLink:
		if parts := stringParts(x.OperName); len(parts) > 0 {
			w.calls = appendKindCall(w.calls, opPrefix, parts)
		} else if x.SubLinkType == pg_query.SubLinkType_ANY_SUBLINK {
			// x IN (SELECT ...) compares with an = found by name.
			w.calls = appendCall(w.calls, []string{opPrefix + "="})
		}
	case *pg_query.TypeName:
		// A value made of a type runs the type's code: a cast, a typed
		// literal or a parameter its input function and domain checks, a
		// column definition list (jsonb_to_record(...) AS t(a T)) its
		// input function too. All of it is user-definable.
		if parts := stringParts(x.Names); len(parts) > 0 {
			w.calls = appendKindCall(w.calls, castPrefix, parts)
		}
	case *pg_query.CaseExpr:
		// CASE x WHEN y compares with x's = operator.
		if x.Arg != nil {
			w.calls = appendCall(w.calls, []string{opPrefix + "="})
		}
	case *pg_query.JoinExpr:
		// JOIN ... USING and NATURAL JOIN compare with the columns' =.
		if len(x.UsingClause) > 0 || x.IsNatural {
			w.calls = appendCall(w.calls, []string{opPrefix + "="})
		}
	case *pg_query.SortBy:
		// ORDER BY x USING op calls op's function.
		if parts := stringParts(x.UseOp); len(parts) > 0 {
			w.calls = appendKindCall(w.calls, opPrefix, parts)
		}
	case *pg_query.A_Indirection:
		// (row).f calls f(row) when f is not a column of row.
		for _, f := range stringParts(x.Indirection) {
			w.calls = appendCall(w.calls, []string{attrPrefix + f})
		}
	case *pg_query.ColumnRef:
		if len(x.Fields) >= 2 {
			// t.f calls f(t) when t has no column f.
			if s := x.Fields[len(x.Fields)-1].GetString_(); s != nil {
				w.calls = appendCall(w.calls, []string{attrPrefix + s.Sval})
			}
		}
		parts := stringParts(x.Fields)
		if len(parts) > 0 && len(parts) == len(x.Fields) {
			w.columns = appendUnique(w.columns, strings.Join(parts, "."))
		}
	default:
		// A DDL statement's own relation (ALTER TABLE t, CREATE INDEX ON t,
		// TRUNCATE t, VACUUM t) is written.
		name := string(m.Descriptor().Name())
		if strings.HasSuffix(name, "Stmt") && name != "SelectStmt" && name != "ExplainStmt" &&
			name != "DeclareCursorStmt" && name != "CopyStmt" && name != "PrepareStmt" {
			for _, fname := range []protoreflect.Name{"relation", "relations", "rels"} {
				fd := m.Descriptor().Fields().ByName(fname)
				if fd == nil || fd.Kind() != protoreflect.MessageKind {
					continue
				}
				v := m.Get(fd)
				if fd.IsList() {
					l := v.List()
					for i := 0; i < l.Len(); i++ {
						w.markAnyRangeVar(l.Get(i).Message())
					}
				} else {
					w.markAnyRangeVar(v.Message())
				}
			}
		}
	}
}

// markAnyRangeVar marks rv, or the RangeVar inside a Node or VacuumRelation.
func (w *walker) markAnyRangeVar(m protoreflect.Message) {
	if !m.IsValid() {
		return
	}
	switch x := m.Interface().(type) {
	case *pg_query.RangeVar:
		w.markWrite(x)
	case *pg_query.Node:
		if rv := x.GetRangeVar(); rv != nil {
			w.markWrite(rv)
		}
		if vr := x.GetVacuumRelation(); vr != nil {
			w.markWrite(vr.Relation)
		}
	case *pg_query.VacuumRelation:
		w.markWrite(x.Relation)
	}
}

func stringParts(nodes []*pg_query.Node) []string {
	var out []string
	for _, n := range nodes {
		if s := n.GetString_(); s != nil {
			out = append(out, s.Sval)
		}
	}
	return out
}
