package postgres

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/airlock-sdk/airlock/mask"
)

// Carrier probes. A column is learnt as a carrier when a detector finds a
// value in it read bare; before that, an expression computed from it
// (card_num / 1000000 as the first statement a fresh gateway sees) would
// pass unmasked. So before a result's computed column over a base column
// whose status is not known goes out, the gateway reads that column
// itself, on its catalog connection, and runs the result's detectors over
// its values: a finding makes it a carrier at once (the column is
// withheld), none makes it clean for probeTTL under that policy. A column
// the gateway cannot read whole and safely — more than probeRows rows, a
// foreign table (its wrapper runs code), a relation under row-level
// security, a parent with such a descendant, an error — is not known
// either way, and every computed column
// over it is withheld (fail closed) until probeTTL has passed.

// probeRows bounds the rows a probe reads from one relation.
const probeRows = 20000

// probeTTL is how long a probe's answer holds: values written since may
// carry what the probe did not see.
const probeTTL = time.Minute

// maxProbeMemo bounds the answers kept; past it the memo starts over.
const maxProbeMemo = 4096

// probeAnswer is what a probe found about one column under one policy.
type probeAnswer struct {
	at    time.Time
	clean bool // no detector matched a value; false: it could not be read
}

// probes remembers probe answers, per masking policy and column.
type probes struct {
	mu   sync.Mutex
	memo map[probeKey]probeAnswer
}

type probeKey struct {
	p     *mask.Policy
	field string
}

// carrierFree reports whether field ("table.column") is known to carry
// nothing p's detectors find: probed clean within probeTTL. A column not
// known is probed now; a finding adds it to the server's carriers.
func (s *Server) carrierFree(ctx context.Context, p *mask.Policy, field string) bool {
	if s.carriers.known(field) {
		return false
	}
	key := probeKey{p, field}
	s.probes.mu.Lock()
	a, ok := s.probes.memo[key]
	s.probes.mu.Unlock()
	if ok && time.Since(a.at) < probeTTL {
		return a.clean
	}
	found, err := s.catalog.probe(ctx, p, field)
	if err != nil {
		s.log.Warn("postgres: carrier probe failed: computed columns over it are withheld", "column", field, "error", err)
	}
	if found {
		s.carriers.add(field)
	}
	clean := err == nil && !found
	s.probes.mu.Lock()
	if s.probes.memo == nil {
		s.probes.memo = map[probeKey]probeAnswer{}
	}
	remember(&s.probes.memo, key, probeAnswer{at: time.Now(), clean: clean}, maxProbeMemo)
	s.probes.mu.Unlock()
	return clean
}

// probe reads every relation's column called field (table.column, in
// every schema) and reports whether p's detectors find a value in it. It
// reads nothing that runs code (foreign tables, row-level security are
// errors) and at most probeRows rows per relation.
func (k *catalog) probe(ctx context.Context, p *mask.Policy, field string) (bool, error) {
	table, col, ok := strings.Cut(field, ".")
	if !ok || p == nil {
		return false, fmt.Errorf("postgres: probe: field %q", field)
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	// The relations called table with the column, and their descendants
	// (partitions, inheritance children), which hold rows read through
	// them.
	rels, err := k.query(ctx, `WITH RECURSIVE d(oid) AS (
			SELECT c.oid FROM pg_catalog.pg_class c
			JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
			WHERE c.relname = $1 AND a.attname = $2
			UNION SELECT i.inhrelid FROM pg_catalog.pg_inherits i JOIN d ON i.inhparent = d.oid)
		SELECT pg_catalog.quote_ident(n.nspname) || '.' || pg_catalog.quote_ident(c.relname),
			pg_catalog.quote_ident(a.attname), c.relkind, c.relrowsecurity
		FROM d JOIN pg_catalog.pg_class c ON c.oid = d.oid
		JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
		JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid AND a.attname = $2 AND a.attnum > 0 AND NOT a.attisdropped`, table, col)
	if err != nil {
		return false, err
	}
	if len(rels) == 0 {
		return false, fmt.Errorf("postgres: probe: no relation has column %q", field)
	}
	read := 0
	for _, r := range rels {
		if len(r) == 4 && r[2] == "p" {
			continue // a partitioned table holds no rows of its own
		}
		if len(r) != 4 || (r[2] != "r" && r[2] != "m") || r[3] != "f" {
			// A view runs its query, a foreign table its wrapper, a
			// table under row-level security its policies: not read.
			return false, fmt.Errorf("postgres: probe: %s cannot be read safely", r[0])
		}
		rows, err := k.readOnly(ctx, fmt.Sprintf("SELECT %s::text FROM ONLY %s WHERE %s IS NOT NULL LIMIT %d", r[1], r[0], r[1], probeRows+1-read))
		if err != nil {
			return false, err
		}
		if read += len(rows); read > probeRows {
			return false, fmt.Errorf("postgres: probe: %s has more than %d rows", field, probeRows)
		}
		for _, v := range rows {
			if len(v) == 1 && p.Finds([]byte(v[0])) {
				return true, nil
			}
		}
	}
	return false, nil
}

// readOnly runs one query in a read-only transaction with row-level
// security off (a policy would be an error, not code run) and a timeout;
// k.mu is held.
func (k *catalog) readOnly(ctx context.Context, sql string) ([][]string, error) {
	if _, err := k.query(ctx, "BEGIN READ ONLY"); err != nil {
		return nil, err
	}
	rows, err := k.query(ctx, "SELECT pg_catalog.set_config('row_security', 'off', true), pg_catalog.set_config('statement_timeout', '5s', true)")
	if err == nil {
		rows, err = k.query(ctx, sql)
	}
	if _, cerr := k.query(ctx, "ROLLBACK"); cerr != nil && err == nil {
		err = cerr
	}
	return rows, err
}
