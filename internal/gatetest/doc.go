// Package gatetest holds the test doubles that every protocol's tests use
// against the gate, so that each protocol proves the same policy with the
// same fault: a recorder that fails part-way through a session.
package gatetest
