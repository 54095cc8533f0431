//go:build !linux

package gctune

// availableMemory is unknown outside Linux: Apply sets nothing there.
func availableMemory(string) int64 { return 0 }
