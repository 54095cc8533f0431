//go:build !unix

package pgsql

// threadStackBytes is the stack size of the threads the parser runs on: 1
// MB, the smallest common default, where the limit cannot be read.
func threadStackBytes() int64 { return 1 << 20 }
