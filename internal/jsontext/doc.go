// Package jsontext reads and writes the tokens of JSON text (RFC 8259)
// without building a tree: strings quoted exactly as encoding/json writes
// them, strings decoded as encoding/json decodes them, numbers validated by
// the RFC's grammar, and whole values skipped. It is the one tokenizer of
// the module: the JSON masker (mask) and the record's canonical re-encoder
// (record) both stand on it, so the two cannot escape a string differently.
package jsontext
