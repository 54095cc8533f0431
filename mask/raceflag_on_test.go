//go:build race

package mask

// raceEnabled reports whether the race detector is on: its tests then
// size their inputs down.
const raceEnabled = true
