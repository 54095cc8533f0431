//go:build race

package shell

// raceEnabled reports whether the race detector is on: the heaviest
// generators run a subset under it.
const raceEnabled = true
