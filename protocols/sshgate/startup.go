package sshgate

import (
	"github.com/airlock-sdk/airlock/analysis/shell"
	"github.com/airlock-sdk/airlock/gate"
)

// refusalStartup names the built-in refusal of a write to a start-up file:
// the recorded decision's rule is "ssh/startup".
const refusalStartup = "startup"

// startupWrite returns why s is refused before the rules as a write to a
// start-up file (shell.WritesStartupFor, with the login directory the
// connection learnt; code it cannot read,
// shell.OpaqueCode, unless Config.AllowOpaqueCode), or "" when it is not one or
// Config.AllowStartupWrites leaves it to the rules. A shell session is
// not judged here: what it runs is typed later, unseen.
func (c *conn) startupWrite(s *gate.SSH) string {
	if c.p.cfg.AllowStartupWrites {
		return ""
	}
	var login shell.Login
	if s != nil && !s.ReadOnly && (s.Kind == "exec" || s.Kind == "sftp") {
		// Only a line that writes is judged with the home: a line that
		// only reads writes nothing whatever the home.
		login = c.login.get(c.ctx)
	}
	w, ok := shell.WritesStartupFor(s, login)
	if !ok && !c.p.cfg.AllowOpaqueCode {
		w, ok = shell.OpaqueCode(s)
	}
	if !ok {
		return ""
	}
	return "writing a start-up file (" + w + ") is refused: a later session would run it unseen; see Config.AllowStartupWrites"
}
