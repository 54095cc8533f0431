package gate

import "testing"

// benchSettings are the settings the PostgreSQL gateway reads (its
// probedSettings) with typical values.
func benchSettings() map[string]string {
	names := []string{
		"datestyle", "intervalstyle", "timezone", "timezone_abbreviations", "search_path", "role",
		"session_authorization", "is_superuser", "session_replication_role", "row_security", "bytea_output",
		"extra_float_digits", "lc_monetary", "lc_numeric", "lc_time", "transform_null_equals", "array_nulls",
		"xmloption", "xmlbinary", "default_transaction_read_only", "default_transaction_isolation",
		"gin_fuzzy_search_limit", "standard_conforming_strings", "client_encoding",
	}
	vals := []string{"ISO, MDY", "postgres", "Etc/UTC", "Default", `"$user", public`, "none", "postgres", "on", "origin", "on", "hex",
		"1", "C.UTF-8", "C.UTF-8", "C.UTF-8", "off", "on", "content", "base64", "off", "read committed", "0", "on", "UTF8"}
	m := make(map[string]string, len(names))
	for i, n := range names {
		m[n] = vals[i]
	}
	return m
}

// BenchmarkRecordSettingsSame is recordSettingsOnce's comparison of a
// decision's settings with the ones its session last recorded, in the
// common case: the gateway's same map, unchanged.
func BenchmarkRecordSettingsSame(b *testing.B) {
	m := benchSettings()
	rs := &recordedSettings{}
	rs.remember(m, false)
	for b.Loop() {
		if !rs.unchanged(m, false) {
			b.Fatal("differs")
		}
	}
}

// BenchmarkRecordSettingsSameImmutable is BenchmarkRecordSettingsSame
// for a session that promised never to write its settings maps.
func BenchmarkRecordSettingsSameImmutable(b *testing.B) {
	m := benchSettings()
	rs := &recordedSettings{}
	rs.remember(m, true)
	for b.Loop() {
		if !rs.unchanged(m, true) {
			b.Fatal("differs")
		}
	}
}
