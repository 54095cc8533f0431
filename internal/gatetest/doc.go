// Package gatetest holds the test helpers every protocol's tests share, so
// that each protocol proves the same policy with the same fault and reads
// the record the same way: a recorder that fails part-way through a
// session, the events of an in-memory record, and the lookup of a real
// client tool that skips outside CI and fails under it.
package gatetest
