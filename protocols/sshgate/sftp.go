package sshgate

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/airlock-sdk/airlock/analysis/shell"
	"github.com/airlock-sdk/airlock/gate"
	"github.com/pkg/sftp"
	"golang.org/x/crypto/ssh"
)

// MaxMaskedRead bounds a file read over sftp when its decision asks for
// masking: the whole file is read, masked and served from memory, so masked
// offsets stay consistent. A larger file is refused.
const MaxMaskedRead = 64 << 20

// sftp terminates the client's sftp subsystem with a request server and
// carries every allowed operation out through an sftp client on the
// upstream channel.
func (sc *sessionChan) sftp(up ssh.Channel, u *upstreamRequests) {
	c := sc.c
	// sftp-server's exit status and anything else the upstream asks
	// stay with the gateway, which serves sftp itself; the record keeps
	// them (watchUpstream).
	defer func() {
		// The requests end once the upstream channel has.
		_ = up.Close()
		<-u.done
	}()
	cl, err := sftp.NewClientPipe(up, up)
	if err != nil {
		c.p.log.Error("upstream sftp", "session", c.sessionID(), "error", err)
		sc.exit(1)
		return
	}
	defer cl.Close()
	opts := []sftp.RequestServerOption{}
	h := &sftpHandler{c: c, cl: cl}
	if wd, err := cl.Getwd(); err == nil && wd != "" {
		opts = append(opts, sftp.WithStartDirectory(wd))
		h.home = wd
	}
	ch := &keepOpen{Channel: sc.ch}
	srv := sftp.NewRequestServer(ch, sftp.Handlers{FileGet: h, FilePut: h, FileCmd: h, FileList: h}, opts...)
	if err := srv.Serve(); err != nil && !errors.Is(err, io.EOF) {
		c.p.log.Debug("sftp ended", "session", c.sessionID(), "error", err)
	}
	_ = srv.Close()
	// The request server's packet sender may still be writing a reply:
	// no write may race the end of the channel.
	ch.stop()
	// scp in sftp mode wants an exit status, as sshd's sftp-server gives.
	sc.exit(0)
}

// keepOpen stops the request server from closing the client channel, so
// the exit status can follow, and from writing once stopped.
type keepOpen struct {
	ssh.Channel
	mu      sync.Mutex
	stopped bool
}

func (k *keepOpen) Write(p []byte) (int, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.stopped {
		return 0, io.ErrClosedPipe
	}
	return k.Channel.Write(p)
}

func (k *keepOpen) stop() {
	k.mu.Lock()
	k.stopped = true
	k.mu.Unlock()
}

func (*keepOpen) Close() error { return nil }

// sftpHandler judges each sftp operation and performs it upstream.
type sftpHandler struct {
	c  *conn
	cl *sftp.Client
	// home is the upstream server's start directory, the login
	// directory of the account: paths under it are also judged as ~/...
	// for start-up files (~/bin), whatever its absolute spelling.
	home string
}

// homeRelative spells p under h.home as ~/...; other paths unchanged.
func (h *sftpHandler) homeRelative(p string) string {
	if h.home == "" || h.home == "/" {
		return p
	}
	if p == h.home {
		return "~"
	}
	if rest, ok := strings.CutPrefix(p, strings.TrimSuffix(h.home, "/")+"/"); ok {
		return "~/" + rest
	}
	return p
}

// check asks the gate about one operation on resolved paths (sftppath.go);
// spelt is the path as the client gave it, shown in the recorded command
// when it differs. A refusal is a permission-denied
// status carrying the gate's client-safe message.
func (h *sftpHandler) check(op, path, target, spelt string) (*gate.Decision, error) {
	cmd := "sftp " + op + " " + path
	if target != "" {
		cmd += " " + target
	}
	if spelt != "" && spelt != path {
		cmd += " (requested as " + spelt + ")"
	}
	req := &gate.Request{Protocol: gate.ProtocolSSH, Command: cmd, SSH: shell.SFTP(op, path, target)}
	why := h.c.startupWrite(req.SSH)
	if rp, rt := h.homeRelative(path), h.homeRelative(target); why == "" && (rp != path || rt != target) {
		why = h.c.startupWrite(shell.SFTP(op, rp, rt))
	}
	if why != "" {
		d, _ := h.c.gc.Refuse(h.c.ctx, req, refusalStartup, why)
		return d, fmt.Errorf("airlock: %s: %w", why, sftp.ErrSSHFxPermissionDenied)
	}
	d, err := h.c.gc.Check(h.c.ctx, req)
	if err != nil {
		return d, fmt.Errorf("%s: %w", err.Error(), sftp.ErrSSHFxPermissionDenied)
	}
	return d, nil
}

// Fileread opens a file for reading. What the client reads leaves through
// the gate as stream "file" of the read's decision: recorded (up to
// Config.RecordLimit) before it is served, and masked when the decision
// says so; the final output carries the findings.
func (h *sftpHandler) Fileread(r *sftp.Request) (io.ReaderAt, error) {
	p, err := h.resolve(r.Filepath, true)
	if err != nil {
		return nil, err
	}
	d, err := h.check("read", p, "", r.Filepath)
	if err != nil {
		return nil, err
	}
	if !maskable(d) {
		return nil, fmt.Errorf("airlock: output masking is not available: %w", sftp.ErrSSHFxPermissionDenied)
	}
	f, err := h.cl.Open(p)
	if err != nil {
		return nil, err
	}
	if d.Masker == nil {
		return &recordedFile{c: h.c, d: d, f: f, w: h.c.gc.Output(d, "file", io.Discard, h.c.outputOptions())}, nil
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxMaskedRead+1))
	if err != nil {
		return nil, err
	}
	if len(data) > MaxMaskedRead {
		return nil, fmt.Errorf("airlock: file too large to mask: %w", sftp.ErrSSHFxPermissionDenied)
	}
	var buf bytes.Buffer
	w := h.c.gc.Output(d, "file", &buf, h.c.outputOptions())
	_, err = w.Write(data)
	if cerr := w.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = h.c.gc.Finish(h.c.ctx, d, gate.Output{Stream: "file", Findings: w.Findings()})
	}
	if err != nil {
		h.c.p.log.Error("sftp read stopped", "session", h.c.sessionID(), "error", err)
		return nil, fmt.Errorf("airlock: the file could not be masked or recorded: %w", sftp.ErrSSHFxPermissionDenied)
	}
	return bytes.NewReader(buf.Bytes()), nil
}

// recordedFile serves an unmasked sftp read: every chunk the client reads
// is recorded through the gate before it is served.
type recordedFile struct {
	c  *conn
	d  *gate.Decision
	f  *sftp.File
	mu sync.Mutex // ReadAt may be called concurrently; the writer is not safe for it
	w  *gate.OutputWriter
}

// ReadAt reads upstream, records, and serves only what was recorded.
func (r *recordedFile) ReadAt(p []byte, off int64) (int, error) {
	n, err := r.f.ReadAt(p, off)
	if n > 0 {
		r.mu.Lock()
		_, werr := r.w.Write(p[:n])
		r.mu.Unlock()
		if werr != nil {
			r.c.p.log.Error("sftp read stopped", "session", r.c.sessionID(), "error", werr)
			return 0, fmt.Errorf("airlock: the file could not be recorded: %w", sftp.ErrSSHFxFailure)
		}
	}
	return n, err
}

// Close ends the read: the gate records its final output.
func (r *recordedFile) Close() error {
	r.mu.Lock()
	err := r.w.Close()
	r.mu.Unlock()
	if err == nil {
		err = r.c.gc.Finish(r.c.ctx, r.d, gate.Output{Stream: "file"})
	}
	return errors.Join(err, r.f.Close())
}

// Filewrite opens a file for writing.
func (h *sftpHandler) Filewrite(r *sftp.Request) (io.WriterAt, error) {
	p, err := h.resolve(r.Filepath, true)
	if err != nil {
		return nil, err
	}
	if _, err := h.check("write", p, "", r.Filepath); err != nil {
		return nil, err
	}
	pf := r.Pflags()
	flags := os.O_WRONLY
	if pf.Read {
		flags = os.O_RDWR
	}
	if pf.Append {
		flags |= os.O_APPEND
	}
	if pf.Creat {
		flags |= os.O_CREATE
	}
	if pf.Trunc {
		flags |= os.O_TRUNC
	}
	if pf.Excl {
		flags |= os.O_EXCL
	}
	return h.cl.OpenFile(p, flags)
}

// Filecmd carries out setstat, rename, remove, mkdir, rmdir, link and
// symlink, each once the gate allowed it.
func (h *sftpHandler) Filecmd(r *sftp.Request) error {
	op, path, target, run, err := h.fileCommand(r)
	if err != nil {
		return err
	}
	if run == nil {
		return fmt.Errorf("airlock: sftp %s is not supported: %w", r.Method, sftp.ErrSSHFxOpUnsupported)
	}
	spelt := r.Filepath
	if op == "symlink" || op == "link" {
		spelt = r.Target
	}
	if _, err := h.check(op, path, target, spelt); err != nil {
		return err
	}
	return run()
}

// PosixRename carries out posix-rename@openssh.com, judged as a rename.
// Without it the sftp server library turns the request into a plain
// rename, which fails when the new name exists.
func (h *sftpHandler) PosixRename(r *sftp.Request) error {
	return h.Filecmd(r)
}

// fileCommand returns what the gate judges of a file command (its
// operation and resolved paths) and the upstream call that carries it out
// on those paths; run is nil for a command the gateway does not support.
func (h *sftpHandler) fileCommand(r *sftp.Request) (op, p, target string, run func() error, err error) {
	switch r.Method {
	case "Setstat":
		if p, err = h.resolve(r.Filepath, true); err != nil {
			return
		}
		return "setstat", p, "", func() error { return h.setstat(p, r) }, nil
	case "Rename", "PosixRename":
		if p, err = h.resolve(r.Filepath, false); err != nil {
			return
		}
		if target, err = h.resolve(r.Target, false); err != nil {
			return
		}
		rename := h.cl.Rename
		if r.Method == "PosixRename" {
			rename = h.cl.PosixRename
		}
		return "rename", p, target, func() error { return rename(p, target) }, nil
	case "Remove", "Rmdir", "Mkdir":
		if p, err = h.resolve(r.Filepath, false); err != nil {
			return
		}
		call := map[string]func(string) error{"Remove": h.cl.Remove, "Rmdir": h.cl.RemoveDirectory, "Mkdir": h.cl.Mkdir}[r.Method]
		return strings.ToLower(r.Method), p, "", func() error { return call(p) }, nil
	case "Symlink":
		// Filepath is the link's target, Target the new link.
		if p, err = h.resolve(r.Target, false); err != nil {
			return
		}
		if target, err = h.symlinkTarget(p, r.Filepath); err != nil {
			return
		}
		return "symlink", p, target, func() error { return h.cl.Symlink(target, p) }, nil
	case "Link":
		// link(2) links the file itself, not a symlink's target.
		if p, err = h.resolve(r.Target, false); err != nil {
			return
		}
		if target, err = h.resolve(r.Filepath, false); err != nil {
			return
		}
		return "link", p, target, func() error { return h.cl.Link(target, p) }, nil
	}
	return "", "", "", nil, nil
}

func (h *sftpHandler) setstat(p string, r *sftp.Request) error {
	a := r.Attributes()
	fl := r.AttrFlags()
	if fl.Size {
		if err := h.cl.Truncate(p, int64(a.Size)); err != nil {
			return err
		}
	}
	if fl.Permissions {
		if err := h.cl.Chmod(p, a.FileMode()); err != nil {
			return err
		}
	}
	if fl.UidGid {
		if err := h.cl.Chown(p, int(a.UID), int(a.GID)); err != nil {
			return err
		}
	}
	if fl.Acmodtime {
		if err := h.cl.Chtimes(p, a.AccessTime(), a.ModTime()); err != nil {
			return err
		}
	}
	return nil
}

// Filelist lists a directory, or stats one file.
func (h *sftpHandler) Filelist(r *sftp.Request) (sftp.ListerAt, error) {
	switch r.Method {
	case "List":
		p, err := h.resolve(r.Filepath, true)
		if err != nil {
			return nil, err
		}
		d, err := h.check("list", p, "", r.Filepath)
		if err != nil {
			return nil, err
		}
		fis, err := h.cl.ReadDir(p)
		if err != nil {
			return nil, err
		}
		var b strings.Builder
		for _, fi := range fis {
			b.WriteString(statLine(fi, fi.Name()))
		}
		if err := h.emit(d, "listing", b.String()); err != nil {
			return nil, err
		}
		return listerAt(fis), nil
	case "Stat", "Lstat":
		p, err := h.resolve(r.Filepath, r.Method == "Stat")
		if err != nil {
			return nil, err
		}
		d, err := h.check("stat", p, "", r.Filepath)
		if err != nil {
			return nil, err
		}
		stat := h.cl.Stat
		if r.Method == "Lstat" {
			stat = h.cl.Lstat
		}
		fi, err := stat(p)
		if err != nil {
			return nil, err
		}
		// The path is in the decision's record already; the reply adds
		// the attributes.
		if err := h.emit(d, "stat", statLine(fi, "")); err != nil {
			return nil, err
		}
		return listerAt{fi}, nil
	}
	return nil, fmt.Errorf("airlock: sftp %s is not supported: %w", r.Method, sftp.ErrSSHFxOpUnsupported)
}

// Readlink reads a symbolic link; it is judged as a stat.
func (h *sftpHandler) Readlink(spelt string) (string, error) {
	p, err := h.resolve(spelt, false)
	if err != nil {
		return "", err
	}
	d, err := h.check("stat", p, "", spelt)
	if err != nil {
		return "", err
	}
	target, err := h.cl.ReadLink(p)
	if err != nil {
		return "", err
	}
	if err := h.emit(d, "link", target+"\n"); err != nil {
		return "", err
	}
	return target, nil
}

// emit passes what an sftp reply carries besides file contents (the names
// and attributes of a listing, a stat's attributes, a link's target)
// through the gate as stream: recorded, and run through the decision's
// masker, like the output of ls or readlink over exec. Names and
// attributes cannot be served masked, so a reply the masker would change
// is refused, as is one the gate could not record.
func (h *sftpHandler) emit(d *gate.Decision, stream, text string) error {
	if !maskable(d) {
		return fmt.Errorf("airlock: output masking is not available: %w", sftp.ErrSSHFxPermissionDenied)
	}
	var buf bytes.Buffer
	w := h.c.gc.Output(d, stream, &buf, h.c.outputOptions())
	_, err := io.WriteString(w, text)
	if cerr := w.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = h.c.gc.Finish(h.c.ctx, d, gate.Output{Stream: stream, Findings: w.Findings()})
	}
	if err != nil {
		h.c.p.log.Error("sftp reply stopped", "session", h.c.sessionID(), "error", err)
		return fmt.Errorf("airlock: the reply could not be masked or recorded: %w", sftp.ErrSSHFxPermissionDenied)
	}
	if buf.String() != text {
		return fmt.Errorf("airlock: the reply holds what the rules mask: %w", sftp.ErrSSHFxPermissionDenied)
	}
	return nil
}

// statLine renders a file's attributes and name as a line of the record.
func statLine(fi os.FileInfo, name string) string {
	line := fmt.Sprintf("%s %d %s", fi.Mode(), fi.Size(), fi.ModTime().UTC().Format(time.RFC3339))
	if name != "" {
		line += " " + name
	}
	return line + "\n"
}

// Lstat stats a path without following a final symlink.
func (h *sftpHandler) Lstat(r *sftp.Request) (sftp.ListerAt, error) {
	return h.Filelist(r)
}

type listerAt []os.FileInfo

func (l listerAt) ListAt(ls []os.FileInfo, offset int64) (int, error) {
	if offset >= int64(len(l)) {
		return 0, io.EOF
	}
	n := copy(ls, l[offset:])
	if n < len(ls) {
		return n, io.EOF
	}
	return n, nil
}
