package postgres

import (
	"maps"

	"github.com/airlock-sdk/airlock/analysis/pgsql"
	"github.com/airlock-sdk/airlock/gate"
)

// Settings that hold data. A statement may store a value it computed in
// a setting (set_config('search_path', card, false), or code the
// gateway cannot see calling it: a function, a trigger, a DO block), and
// the gateway reads the settings back (sessionsettings.go) into every
// request: rules see them, reviewers are shown them, the record keeps
// them. So a value a probe finds in a setting after a statement that may
// have computed it, judged under a decision that masks, is tainted for
// the rest of the session: requests carry it as "[masked]" (a setting
// whose values come from a fixed vocabulary excepted, see
// fixedVocabulary). The value itself is tainted, not the setting: a SET
// LOCAL rolled back brings a tainted value back, tainted still.
//
// One setting the server shows in results of its own: TimeZone, in
// every timestamp with time zone it sends (its abbreviation in the
// Postgres, SQL and German date styles and to_char's TZ, its offset in
// every style: a POSIX zone '<ABCD>+12:34' spells letters and digits of
// a value). Under a decision that masks, while TimeZone holds a tainted
// value, every statement but a change of settings, SHOW and transaction
// control is refused as "postgres/settings" (fail closed: the gateway
// cannot tell which results carry it): SET or RESET TimeZone.

// fixedVocabulary are the probed settings whose values the server takes
// from a short fixed list (or a narrow range): no value read from a
// column fits in them whole.
var fixedVocabulary = map[string]bool{
	"datestyle": true, "intervalstyle": true, "is_superuser": true, "session_replication_role": true,
	"row_security": true, "bytea_output": true, "extra_float_digits": true, "transform_null_equals": true,
	"array_nulls": true, "xmloption": true, "xmlbinary": true, "default_transaction_read_only": true,
	"default_transaction_isolation": true, "standard_conforming_strings": true, "client_encoding": true,
}

// settingsTaint is a session's record of the setting values that may
// hold data. Client goroutine.
type settingsTaint struct {
	// pending is set when a statement that may store a computed value in
	// a setting was judged under a decision that masks, until the next
	// read of the settings takes it.
	pending bool
	// values holds, per setting, the values read after such a statement
	// that differ from the value read before it.
	values map[string]map[string]bool
	// raw is the last read, unmasked.
	raw map[string]string
}

// computesSetting reports whether st may store, in a setting, a value
// computed from data: a statement that is not read-only and not one of
// the kinds that store only the client's literals (SET, RESET,
// transaction control), unless it is a SELECT or VALUES that reads no
// column and calls no code of unknown lineage (SELECT set_config('TimeZone',
// 'UTC', false)). A write may fire a trigger, so it always may.
func computesSetting(st *pgsql.Statement, out *gate.SQLStatement, touched pgsql.Lineage) bool {
	if !stores(out) {
		return false
	}
	switch upperKind(st.Kind) {
	case "SELECT", "VALUES":
		return st.Nested || touched.Unknown || len(touched.Fields) > 0
	}
	return true
}

// read takes a new read of the settings (m, unmasked) and returns what
// requests carry: m itself, or a copy with tainted values masked.
func (t *settingsTaint) read(m map[string]string) map[string]string {
	if t.pending && t.raw != nil {
		for k, v := range m {
			if fixedVocabulary[k] || t.raw[k] == v {
				continue
			}
			if t.values == nil {
				t.values = map[string]map[string]bool{}
			}
			if t.values[k] == nil {
				t.values[k] = map[string]bool{}
			}
			t.values[k][v] = true
		}
	}
	t.pending, t.raw = false, m
	if len(t.values) == 0 {
		return m
	}
	var out map[string]string
	for k, vs := range t.values {
		if vs[m[k]] {
			if out == nil {
				out = maps.Clone(m)
			}
			out[k] = maskedValue
		}
	}
	if out == nil {
		return m
	}
	return out
}

// timeZoneTainted reports whether TimeZone holds a tainted value.
func (t *settingsTaint) timeZoneTainted() bool {
	if len(t.values) == 0 {
		return false // the usual case, without the lookups
	}
	return t.values["timezone"][t.raw["timezone"]]
}

// timeZoneRefusal is why a statement under a decision that masks is
// refused while TimeZone holds a tainted value.
const timeZoneRefusal = "the session's TimeZone was set from a value a statement computed, under masking, and every timestamp with time zone the server sends shows it; SET or RESET TimeZone first"

// taintRefuses reports whether, under a decision that masks, sts must be
// refused because TimeZone holds a tainted value: any statement but a
// change of settings, SHOW or transaction control.
func (t *settingsTaint) taintRefuses(sts []pgsql.Statement) bool {
	if !t.timeZoneTainted() {
		return false
	}
	for i := range sts {
		if !afterSettingsChange[upperKind(sts[i].Kind)] {
			return true
		}
	}
	return false
}
