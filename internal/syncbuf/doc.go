// Package syncbuf holds Buffer, a bytes.Buffer that a process (or any
// other goroutine) may write while a test reads it, for the tests that
// watch a gateway's output as it runs.
package syncbuf
