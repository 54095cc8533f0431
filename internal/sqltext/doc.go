// Package sqltext holds the lexical pieces of PostgreSQL text that more
// than one reader of SQL needs, so that the gate's reason reader, its
// statement shaper and the analyser's shaper cannot disagree on where a
// comment ends.
package sqltext
