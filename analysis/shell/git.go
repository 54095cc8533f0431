package shell

// git notes that a git command other than the read-only plumbing
// (gitReadOnly) runs code the gate cannot see: programs its configuration
// names (core.fsmonitor, diff and filter drivers, textconv, gpg.program,
// hooks, the pager), configuration an agent that may write a file can
// change.
func (a *analyzer) git(args []wordValue) {
	if !gitReadOnly(texts(args)) {
		a.out.RunsUnseenCode = true
	}
}
