package mask

import "errors"

// ErrLimit is returned (wrapped) when masking cannot run because an input
// exceeds a configured limit: a value larger than MaxValueBytes, a JSON
// document nested too deeply, or a match candidate longer than its bound
// (a PEM private key block without its END line within 8 KiB, a JWT longer
// than 8 KiB, a custom pattern reaching MaxMatchBytes). The caller gets
// the error and no output: masking fails closed.
var ErrLimit = errors.New("mask: limit exceeded")

// ErrInput is returned (wrapped) when the input cannot be masked because it
// is malformed: invalid JSON, a duplicate object key, an unsupported Go type
// in JSONValue.
var ErrInput = errors.New("mask: invalid input")

// ErrClosed is returned by Writer.Write after Close or after an earlier error.
var ErrClosed = errors.New("mask: writer closed")
