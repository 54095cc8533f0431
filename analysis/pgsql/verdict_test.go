package pgsql

import (
	"strings"
	"testing"

	pg_query "github.com/pganalyze/pg_query_go/v6"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// TestEveryNodeTypeDecided builds an empty statement of every type the
// parser knows: only the types of readOnlyNodes may come out read-only,
// so a statement type nobody decided on (or a new one) is not read-only.
func TestEveryNodeTypeDecided(t *testing.T) {
	fds := nodeOneof.Fields()
	seen := 0
	for i := 0; i < fds.Len(); i++ {
		fd := fds.Get(i)
		name := string(fd.Name())
		if !strings.HasSuffix(name, "_stmt") || fd.Kind() != protoreflect.MessageKind {
			continue
		}
		seen++
		n := &pg_query.Node{}
		m := n.ProtoReflect()
		m.Set(fd, protoreflect.ValueOfMessage(m.NewField(fd).Message()))
		sts := classifyNode(n, "", nil)
		if sts[0].ReadOnly && !readOnlyNodes[name] {
			t.Errorf("%s: read-only, but not a read-only statement type", name)
		}
	}
	if seen < 100 {
		t.Fatalf("only %d statement types found", seen)
	}
	for name := range readOnlyNodes {
		if nodeOneof.Fields().ByName(protoreflect.Name(name)) == nil {
			t.Errorf("readOnlyNodes names %s, which the parser does not know", name)
		}
	}
}

// TestReadOnlyVerdicts decides each statement family of issue 14 in turn.
func TestReadOnlyVerdicts(t *testing.T) {
	type want struct {
		ro       bool
		kind     string
		execute  string // ExecuteName
		prepared bool   // Prepared set
		heavy    bool
	}
	cases := map[string]want{
		"SELECT 1":                                     {ro: true, kind: "SELECT"},
		"VALUES (1)":                                   {ro: true, kind: "SELECT"},
		"TABLE t":                                      {ro: true, kind: "SELECT"},
		"SELECT convert_to('a', 'UTF8')":               {ro: true, kind: "SELECT"},
		"SELECT * INTO t2 FROM t":                      {kind: "SELECT"},
		"SELECT * FROM t FOR UPDATE":                   {kind: "SELECT"},
		"SELECT * FROM t FOR SHARE":                    {kind: "SELECT"},
		"SELECT * FROM t FOR NO KEY UPDATE":            {kind: "SELECT"},
		"SELECT * FROM t FOR KEY SHARE":                {kind: "SELECT"},
		"SELECT * FROM (SELECT * FROM t FOR UPDATE) s": {kind: "SELECT"},
		"SELECT nextval('s')":                          {kind: "SELECT"},
		"SELECT set_config('role', 'x', false)":        {kind: "SELECT"},
		"SELECT lo_import('/etc/passwd')":              {kind: "SELECT"},
		"SELECT pg_catalog.pg_read_file('x')":          {kind: "SELECT", heavy: true},
		"SELECT public.lower('x')":                     {kind: "SELECT"},
		"SELECT \"LOWER\"('x')":                        {kind: "SELECT"},
		"SELECT query_to_xml('DELETE FROM t RETURNING 1', true, true, '')": {kind: "SELECT"},
		"SELECT pg_sleep(1)":                                    {ro: true, kind: "SELECT", heavy: true},
		"SELECT generate_series(1, 10)":                         {ro: true, kind: "SELECT", heavy: true},
		"WITH d AS (DELETE FROM t RETURNING *) SELECT * FROM d": {kind: "SELECT"},
		"LISTEN c":                                {kind: "LISTEN"},
		"UNLISTEN *":                              {kind: "UNLISTEN"},
		"NOTIFY c, 'x'":                           {kind: "NOTIFY"},
		"LOCK t":                                  {kind: "LOCK"},
		"SET search_path = x":                     {kind: "SET"},
		"SET LOCAL statement_timeout = 0":         {kind: "SET"},
		"RESET ALL":                               {kind: "RESET"},
		"SET ROLE admin":                          {kind: "SET"},
		"SET SESSION AUTHORIZATION admin":         {kind: "SET"},
		"SET CONSTRAINTS ALL DEFERRED":            {kind: "SET"},
		"DISCARD ALL":                             {kind: "DISCARD"},
		"CHECKPOINT":                              {kind: "CHECKPOINT"},
		"VACUUM t":                                {kind: "VACUUM"},
		"ANALYZE t":                               {kind: "ANALYZE"},
		"CLUSTER t":                               {kind: "CLUSTER"},
		"REINDEX TABLE t":                         {kind: "REINDEX"},
		"LOAD 'x'":                                {kind: "LOAD"},
		"SECURITY LABEL ON TABLE t IS 'x'":        {kind: "SECURITY LABEL"},
		"COMMENT ON TABLE t IS 'x'":               {kind: "COMMENT"},
		"REFRESH MATERIALIZED VIEW v":             {kind: "REFRESH"},
		"DECLARE c CURSOR FOR SELECT * FROM t":    {ro: true, kind: "DECLARE"},
		"DECLARE c CURSOR WITH HOLD FOR SELECT 1": {kind: "DECLARE"},
		"DECLARE c CURSOR FOR SELECT * FROM t FOR UPDATE": {kind: "DECLARE"},
		"DECLARE c CURSOR FOR SELECT nextval('s')":        {kind: "DECLARE"},
		"FETCH 10 FROM c":    {ro: true, kind: "FETCH"},
		"MOVE 10 IN c":       {ro: true, kind: "MOVE"},
		"CLOSE c":            {ro: true, kind: "CLOSE"},
		"DEALLOCATE p":       {ro: true, kind: "DEALLOCATE"},
		"CALL p()":           {kind: "CALL"},
		"DO $$ BEGIN END $$": {kind: "DO"},
		"IMPORT FOREIGN SCHEMA s FROM SERVER f INTO public":   {kind: "IMPORT"},
		"ALTER SYSTEM SET work_mem = '1GB'":                   {kind: "ALTER"},
		"CREATE TABLE t2 AS SELECT 1":                         {kind: "CREATE"},
		"BEGIN":                                               {ro: true, kind: "BEGIN"},
		"START TRANSACTION READ WRITE":                        {ro: true, kind: "START"},
		"SAVEPOINT a":                                         {ro: true, kind: "SAVEPOINT"},
		"ROLLBACK TO a":                                       {ro: true, kind: "ROLLBACK"},
		"COMMIT":                                              {ro: true, kind: "COMMIT"},
		"PREPARE TRANSACTION 'x'":                             {kind: "PREPARE TRANSACTION"},
		"COMMIT PREPARED 'x'":                                 {kind: "COMMIT PREPARED"},
		"ROLLBACK PREPARED 'x'":                               {kind: "ROLLBACK PREPARED"},
		"SHOW search_path":                                    {ro: true, kind: "SHOW"},
		"EXPLAIN SELECT 1":                                    {ro: true, kind: "EXPLAIN"},
		"EXPLAIN DELETE FROM t":                               {ro: true, kind: "EXPLAIN"},
		"EXPLAIN ANALYZE SELECT 1":                            {ro: true, kind: "EXPLAIN"},
		"EXPLAIN ANALYZE DELETE FROM t":                       {kind: "EXPLAIN"},
		"EXPLAIN (ANALYZE 'on') DELETE FROM t":                {kind: "EXPLAIN"},
		"EXPLAIN (ANALYZE 'off') DELETE FROM t":               {ro: true, kind: "EXPLAIN"},
		"EXPLAIN (ANALYZE 'maybe') SELECT 1":                  {kind: "EXPLAIN"},
		"EXPLAIN (ANALYZE 2) SELECT 1":                        {kind: "EXPLAIN"},
		"EXPLAIN (ANALYZE off, ANALYZE on) DELETE FROM t":     {kind: "EXPLAIN"},
		"EXPLAIN ANALYZE SELECT * FROM t FOR UPDATE":          {kind: "EXPLAIN"},
		"EXPLAIN SELECT nextval('s')":                         {kind: "EXPLAIN"},
		"EXPLAIN EXECUTE p(1)":                                {ro: true, kind: "EXPLAIN", execute: "p"},
		"EXPLAIN ANALYZE EXECUTE p":                           {ro: true, kind: "EXPLAIN", execute: "p"},
		"EXPLAIN EXECUTE p(set_config('role', 'x', false))":   {kind: "EXPLAIN", execute: "p"},
		"EXPLAIN ANALYZE EXECUTE p(lo_import('/etc/passwd'))": {kind: "EXPLAIN", execute: "p"},
		"EXECUTE p(1)":                                        {ro: true, kind: "EXECUTE", execute: "p"},
		"EXECUTE p(lo_import('/etc/passwd'))":                 {kind: "EXECUTE", execute: "p"},
		"PREPARE p AS SELECT 1":                               {ro: true, kind: "PREPARE", prepared: true},
		"PREPARE p AS DELETE FROM t":                          {kind: "PREPARE", prepared: true},
		"PREPARE p AS SELECT nextval('s')":                    {kind: "PREPARE", prepared: true},
		"PREPARE p AS SELECT * FROM t FOR UPDATE":             {kind: "PREPARE", prepared: true},
		"COPY t TO STDOUT":                                    {ro: true, kind: "COPY"},
		"COPY (SELECT * FROM t FOR UPDATE) TO STDOUT":         {kind: "COPY"},
		"COPY (SELECT nextval('s')) TO STDOUT":                {kind: "COPY"},
		"COPY t TO '/tmp/x'":                                  {kind: "COPY"},
		"COPY t FROM STDIN":                                   {kind: "COPY"},
		"GRANT SELECT ON t TO u":                              {kind: "GRANT"},
	}
	for sql, w := range cases {
		t.Run(sql, func(t *testing.T) {
			cl, err := ParserClassifier{}.Classify(sql)
			if err != nil {
				t.Fatal(err)
			}
			s := cl.Statements[0]
			if s.ReadOnly != w.ro || s.Kind != w.kind || s.ExecuteName != w.execute || (s.Prepared != nil) != w.prepared || s.Heavy != w.heavy {
				t.Fatalf("got ro=%v kind=%q execute=%q prepared=%v heavy=%v; want %+v", s.ReadOnly, s.Kind, s.ExecuteName, s.Prepared != nil, s.Heavy, w)
			}
			if s.Prepared != nil && s.Prepared.ReadOnly != s.ReadOnly {
				t.Fatalf("PREPARE read_only %v, its statement %v", s.ReadOnly, s.Prepared.ReadOnly)
			}
			for _, n := range cl.Statements[1:] {
				if n.ReadOnly {
					t.Fatalf("nested %s read-only", n.Kind)
				}
			}
		})
	}
}
