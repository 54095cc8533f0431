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
// results: an interactive shell, or a command line that may print what it
// reads in a form the masker does not read (shell.OutputTransform). Empty:
// d does not mask, s prints what it reads as it is, or
// Config.AllowMaskedTransforms is set.
func (c *conn) maskedTransform(d *gate.Decision, s *gate.SSH) string {
	if d.Masker == nil || c.p.cfg.AllowMaskedTransforms || s == nil {
		return ""
	}
	if s.Kind == "shell" {
		return "an interactive shell under a masking decision could print results in a form the masker does not read; see Config.AllowMaskedTransforms"
	}
	if s.Kind != "exec" {
		return ""
	}
	if what, ok := shell.OutputTransform(s); ok {
		return "results are masked, and " + what + " may print them in a form the masker does not read; see Config.AllowMaskedTransforms"
	}
	return ""
}
