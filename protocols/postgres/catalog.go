package postgres

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
)

// catalog names result columns: RowDescription carries a table OID and
// attribute number, field rules speak of "table.column". It asks the
// upstream's catalog on a connection of its own and caches the answers.
type catalog struct {
	cfg *pgconn.Config

	mu     sync.Mutex
	pc     *pgconn.PgConn
	cols   map[[2]uint32]string
	tables map[string][]string
}

// maxCatalogEntries bounds each cache; past it the cache starts over.
const maxCatalogEntries = 65536

func newCatalog(cfg *pgconn.Config) *catalog {
	return &catalog{cfg: cfg, cols: map[[2]uint32]string{}, tables: map[string][]string{}}
}

func (k *catalog) close() {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.pc != nil {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		_ = k.pc.Close(ctx)
		cancel()
		k.pc = nil
	}
}

func (k *catalog) query(ctx context.Context, sql string, args ...string) ([][]string, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if k.pc == nil {
		pc, err := pgconn.ConnectConfig(ctx, k.cfg.Copy())
		if err != nil {
			return nil, fmt.Errorf("postgres: catalog connection: %w", err)
		}
		k.pc = pc
	}
	params := make([][]byte, len(args))
	for i, a := range args {
		params[i] = []byte(a)
	}
	res := k.pc.ExecParams(ctx, sql, params, nil, nil, nil).Read()
	if res.Err != nil {
		if k.pc.IsClosed() {
			k.pc = nil
		}
		return nil, fmt.Errorf("postgres: catalog query: %w", res.Err)
	}
	out := make([][]string, len(res.Rows))
	for i, row := range res.Rows {
		out[i] = make([]string, len(row))
		for j, v := range row {
			out[i][j] = string(v)
		}
	}
	return out, nil
}

// column returns "table.column" for a table OID and attribute number.
func (k *catalog) column(ctx context.Context, oid uint32, att uint16) (string, error) {
	key := [2]uint32{oid, uint32(att)}
	k.mu.Lock()
	defer k.mu.Unlock()
	if n, ok := k.cols[key]; ok {
		return n, nil
	}
	rows, err := k.query(ctx, `SELECT c.relname, a.attname FROM pg_catalog.pg_attribute a
		JOIN pg_catalog.pg_class c ON c.oid = a.attrelid WHERE a.attrelid = $1::oid AND a.attnum = $2::int2`,
		strconv.FormatUint(uint64(oid), 10), strconv.Itoa(int(att)))
	if err != nil {
		return "", err
	}
	name := ""
	if len(rows) == 1 && len(rows[0]) == 2 {
		name = rows[0][0] + "." + rows[0][1]
	}
	if len(k.cols) >= maxCatalogEntries {
		k.cols = map[[2]uint32]string{}
	}
	k.cols[key] = name
	return name, nil
}

// tableColumns returns the column names of every table called name.
func (k *catalog) tableColumns(ctx context.Context, name string) ([]string, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if cols, ok := k.tables[name]; ok {
		return cols, nil
	}
	rows, err := k.query(ctx, `SELECT a.attname FROM pg_catalog.pg_attribute a
		JOIN pg_catalog.pg_class c ON c.oid = a.attrelid
		WHERE c.relname = $1 AND a.attnum > 0 AND NOT a.attisdropped ORDER BY c.oid, a.attnum`, name)
	if err != nil {
		return nil, err
	}
	cols := make([]string, 0, len(rows))
	for _, r := range rows {
		if len(r) == 1 {
			cols = append(cols, r[0])
		}
	}
	if len(k.tables) >= maxCatalogEntries {
		k.tables = map[string][]string{}
	}
	k.tables[name] = cols
	return cols, nil
}
