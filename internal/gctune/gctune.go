// Package gctune sets the garbage collector of Airlock's own commands for
// a gateway's load: a request allocates a few kilobytes that die at once
// (its classification, decision, record body) over a small live heap, so
// with the runtime's default (GOGC=100: collect whenever the heap doubles)
// a PostgreSQL gateway spends a fifth of its instructions collecting.
// Collecting when the heap has grown fivefold, under a soft memory limit,
// cuts that by three quarters for a few tens of megabytes.
//
// It is for commands (cmd/airlock, the examples), never for the SDK's
// packages: a program embedding Airlock owns its runtime settings (set
// GOGC and GOMEMLIMIT in its environment, or call debug.SetGCPercent and
// debug.SetMemoryLimit as Apply does).
package gctune

import (
	"os"
	"runtime/debug"
)

// Percent is the GOGC value Apply sets: collect when the heap has grown by
// four times what was live after the last collection.
const Percent = 400

// limitShare is the share of the memory available to the process that
// Apply sets as the soft memory limit: below it, the heap may grow to
// Percent; near it, the runtime collects more often instead.
const limitShare = 0.75

// Settings is what Apply set; a zero field was left to the runtime.
type Settings struct {
	// Percent is the GOGC value set, 0 if the environment's GOGC was kept.
	Percent int
	// MemoryLimit is the soft memory limit in bytes, 0 if none was set.
	MemoryLimit int64
}

// Apply sets GOGC to Percent and a soft memory limit of three quarters of
// the memory the process may use (its cgroup's limit, else the machine's
// memory), unless the environment sets GOGC or GOMEMLIMIT: an operator's
// setting wins. Where the available memory cannot be read, it sets
// nothing (a fivefold heap needs the limit's protection).
func Apply() Settings {
	return apply(os.Getenv, availableMemory("/"))
}

// apply is Apply with the environment and the available memory (bytes, 0
// if unknown) given.
func apply(getenv func(string) string, available int64) Settings {
	if getenv("GOGC") != "" || getenv("GOMEMLIMIT") != "" || available <= 0 {
		return Settings{}
	}
	limit := int64(float64(available) * limitShare)
	debug.SetMemoryLimit(limit)
	debug.SetGCPercent(Percent)
	return Settings{Percent: Percent, MemoryLimit: limit}
}
