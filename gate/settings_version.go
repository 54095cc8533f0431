package gate

import "sync/atomic"

// SettingsVersion names one immutable map of SQL settings (SQL.Settings)
// for as long as the process runs. A protocol package that takes a new
// map whenever it reads its session's settings, and never changes one it
// has handed to the gate, gives each map a NewSettingsVersion and sets it
// as its requests' Request.SettingsVersion. The gate then leaves
// unchanged settings out of a decision's record by comparing one number
// instead of every setting. Zero names nothing: the gate compares the
// settings themselves.
//
// The contract is the caller's: two requests with the same nonzero
// version must carry settings maps of equal content (in practice the
// same map, never written after the first request carried it). A version
// that outlived a change would leave the change out of the record.
type SettingsVersion uint64

// settingsVersions is the last SettingsVersion handed out.
var settingsVersions atomic.Uint64

// NewSettingsVersion returns a SettingsVersion no other call in this
// process returned, never zero.
func NewSettingsVersion() SettingsVersion {
	return SettingsVersion(settingsVersions.Add(1))
}
