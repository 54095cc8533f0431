package sshgate

import (
	"github.com/airlock-sdk/airlock/analysis/shell"
	"github.com/airlock-sdk/airlock/gate"
)

// refusalMaskedTransform names the built-in refusal of a command whose
// output the masker could not read: the recorded decision's rule is
// "ssh/masked-transform".
const refusalMaskedTransform = "masked-transform"

// maskedTransform returns why s is refused under d, a decision that masks
// results: an interactive shell, an exec with a terminal (a pager or a
// full-screen program draws what it read in pieces chosen by keys the
// gate never judges: less -S scrolled sideways by a few columns shows a
// card cut, and its ! or | runs a command nobody judged), or a command
// line that may print what it reads in a form the masker does not read
// (shell.OutputTransform). Empty: d does not mask, s prints what it reads
// as it is, or Config.AllowMaskedTransforms is set.
func (c *conn) maskedTransform(d *gate.Decision, s *gate.SSH, terminal bool) string {
	if d.Masker == nil || c.p.cfg.AllowMaskedTransforms || s == nil {
		return ""
	}
	if s.Kind == "shell" {
		return "an interactive shell under a masking decision could print results in a form the masker does not read; see Config.AllowMaskedTransforms"
	}
	if s.Kind != "exec" {
		return ""
	}
	if terminal {
		return "a command with a terminal under a masking decision takes keys the gate never judges and could draw results in pieces the masker does not read; run it without a terminal (ssh -T), or see Config.AllowMaskedTransforms"
	}
	if what, ok := shell.OutputTransform(s); ok {
		return "results are masked, and " + what + " may print them in a form the masker does not read; see Config.AllowMaskedTransforms"
	}
	return ""
}
