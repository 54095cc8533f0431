package main

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/assert"
)

// Every subcommand answers --help with its usage and exit code 0.
func TestEveryCommandHasHelp(t *testing.T) {
	for name := range commands {
		if name == "version" {
			continue
		}
		t.Run(name, func(t *testing.T) {
			var out, errb bytes.Buffer
			code := run([]string{name, "--help"}, nil, &out, &errb)
			assert.Equal(t, 0, code, "stdout %q stderr %q", out.String(), errb.String())
			assert.NotEmpty(t, out.String()+errb.String(), "usage is printed")
		})
	}
}
