package sshgate

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"

	"github.com/pkg/sftp"
)

// The rules judge the file an sftp operation touches, not the path the
// client spelt: a symbolic link, anywhere in the path, is resolved on the
// host first, and the operation is carried out on the resolved path, so
// `read ok/link` where link points at /etc/shadow is judged, and done, as
// `read /etc/shadow`. An existing last component is followed only where
// the operation follows it (read, write, list, stat, setstat); remove,
// rename, mkdir, readlink, lstat and the new name of a link act on the
// link itself. A symlink's target is judged resolved against the link's
// directory and created absolute, so moving the link later cannot make it
// point elsewhere. A link that cannot be resolved is refused. A concurrent
// change on the host between judgment and operation (another process
// swapping a directory for a link) is not prevented.

// errUnresolved is the refusal of a path the gateway could not resolve.
var errUnresolved = fmt.Errorf("airlock: the path could not be resolved on the host: %w", sftp.ErrSSHFxPermissionDenied)

// resolve returns the path p names on the host with every symbolic link
// in its directories resolved, and its last component too when follow is
// set and it is a link.
func (h *sftpHandler) resolve(p string, follow bool) (string, error) {
	p = path.Clean(p)
	if p == "/" {
		return p, nil
	}
	dir, base := path.Split(p)
	rdir, err := h.cl.RealPath(path.Clean(dir))
	if err != nil {
		if notExist(err) {
			// A missing directory: the operation fails on the host the
			// same way whatever the rules say; judge it as spelt.
			return p, nil
		}
		return "", errUnresolved
	}
	resolved := path.Join(rdir, base)
	if base == ".." || base == "." {
		return h.cl.RealPath(resolved)
	}
	if !follow {
		return resolved, nil
	}
	fi, err := h.cl.Lstat(resolved)
	switch {
	case err != nil && notExist(err):
		return resolved, nil
	case err != nil:
		return "", errUnresolved
	case fi.Mode()&fs.ModeSymlink == 0:
		return resolved, nil
	}
	target, err := h.cl.RealPath(resolved)
	if err != nil || target == resolved {
		return "", errUnresolved
	}
	return target, nil
}

// symlinkTarget returns the absolute path a new link at link would point
// to with the target the client gave.
func (h *sftpHandler) symlinkTarget(link, target string) (string, error) {
	if !path.IsAbs(target) {
		target = path.Join(path.Dir(link), target)
	}
	return h.resolve(target, true)
}

func notExist(err error) bool {
	var se *sftp.StatusError
	return errors.Is(err, os.ErrNotExist) || errors.As(err, &se) && se.FxCode() == sftp.ErrSSHFxNoSuchFile
}
