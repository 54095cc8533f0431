package shell

import "github.com/airlock-sdk/airlock/gate"

// sftpReadOnly are the sftp operations that change nothing on the host.
var sftpReadOnly = map[string]bool{"read": true, "list": true, "stat": true}

// SFTP is what rules see as `ssh` for one sftp operation: kind "sftp" on
// subsystem "sftp", the operation (read, write, remove, rename, mkdir,
// rmdir, setstat, list, stat, symlink, link), its path and, for rename,
// symlink and link, its second path. ReadOnly holds for read, list and
// stat only.
func SFTP(op, path, target string) *gate.SSH {
	return &gate.SSH{Kind: "sftp", Subsystem: "sftp", Operation: op, Path: path, TargetPath: target,
		ReadOnly: sftpReadOnly[op]}
}
