//go:build !(linux && (amd64 || arm64))

package rawio

import "os"

// WriteAt is f.WriteAt: raw pwrite is used on 64-bit Linux only.
func WriteAt(f *os.File, p []byte, off int64) (int, error) { return f.WriteAt(p, off) }
