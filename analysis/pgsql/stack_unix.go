//go:build unix

package pgsql

import "syscall"

// threadStackBytes is the stack size of the threads the parser runs on:
// the process's stack size limit, which C libraries take as the threads'
// default (2 MB when there is no limit, as glibc does).
func threadStackBytes() int64 {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_STACK, &lim); err != nil {
		return 2 << 20
	}
	cur := uint64(lim.Cur)
	if cur == ^uint64(0) || cur == 0 {
		return 2 << 20 // no limit
	}
	return int64(min(cur, 1<<40))
}
