//go:build !race

package httpgate

// raceEnabled reports whether the race detector is on: the heaviest
// generators then take fewer cases.
const raceEnabled = false
