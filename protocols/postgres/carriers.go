package postgres

import (
	"sync"

	"github.com/airlock-sdk/airlock/analysis/pgsql"
)

// carriers are the columns of the database that no field rule covers but
// in which a detector has found a sensitive value (a card number in an
// int8 column): read bare, their values stay masked by the detector, but
// an expression computed from them (card_num / 1000000, to_hex(card_num),
// card_num - 1) no longer looks like what it carries. Once a column is
// known to carry one, every computed column whose lineage passes it, or
// is unknown, is withheld (NULL) for every session of the server.
type carriers struct {
	mu     sync.RWMutex
	fields map[string]bool
}

// add notes that field ("table.column") carried a sensitive value.
func (k *carriers) add(field string) {
	k.mu.RLock()
	known := k.fields[field]
	k.mu.RUnlock()
	if known {
		return
	}
	k.mu.Lock()
	if k.fields == nil {
		k.fields = map[string]bool{}
	}
	k.fields[field] = true
	k.mu.Unlock()
}

// known reports whether field is known to carry a sensitive value.
func (k *carriers) known(field string) bool {
	k.mu.RLock()
	defer k.mu.RUnlock()
	return k.fields[field]
}

// carries reports whether a value of lineage l may be computed from a
// carrier: its lineage lists one, or is unknown while any is known.
func (k *carriers) carries(l pgsql.Lineage) bool {
	k.mu.RLock()
	defer k.mu.RUnlock()
	if len(k.fields) == 0 {
		return false
	}
	if l.Unknown {
		return true
	}
	for _, f := range l.Fields {
		if k.fields[f] {
			return true
		}
	}
	return false
}
