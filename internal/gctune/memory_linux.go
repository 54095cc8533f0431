package gctune

import (
	"bufio"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// availableMemory returns the memory the process may use, in bytes: its
// cgroup's limit (v2 memory.max, else v1 memory.limit_in_bytes) when
// there is one below the machine's memory, else the machine's memory; 0
// if neither can be read. root is the file system's root ("/"; tests give
// a directory standing for it).
func availableMemory(root string) int64 {
	machine := int64(0)
	var si syscall.Sysinfo_t
	if root == "/" && syscall.Sysinfo(&si) == nil {
		machine = int64(si.Totalram) * int64(si.Unit)
	}
	if limit := cgroupLimit(root); limit > 0 && (machine == 0 || limit < machine) {
		return limit
	}
	return machine
}

// cgroupLimit returns the memory limit of the process's cgroup, or 0 if
// it has none or it cannot be read.
func cgroupLimit(root string) int64 {
	f, err := os.Open(filepath.Join(root, "proc/self/cgroup"))
	if err != nil {
		return 0
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		// hierarchy-id:controllers:path
		parts := strings.SplitN(s.Text(), ":", 3)
		if len(parts) != 3 {
			continue
		}
		switch {
		case parts[0] == "0" && parts[1] == "": // v2
			if n := readLimit(filepath.Join(root, "sys/fs/cgroup", parts[2], "memory.max")); n > 0 {
				return n
			}
		case hasController(parts[1], "memory"): // v1
			if n := readLimit(filepath.Join(root, "sys/fs/cgroup/memory", parts[2], "memory.limit_in_bytes")); n > 0 {
				return n
			}
		}
	}
	return 0
}

// hasController reports whether the comma-separated list holds name.
func hasController(list, name string) bool {
	for c := range strings.SplitSeq(list, ",") {
		if c == name {
			return true
		}
	}
	return false
}

// readLimit returns the number in a cgroup limit file, or 0 for "max",
// an absent file or anything else.
func readLimit(path string) int64 {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0
	}
	n, err := strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64)
	if err != nil || n <= 0 || n >= 1<<60 { // v1 writes "no limit" as a huge number
		return 0
	}
	return n
}
