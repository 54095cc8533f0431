package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

// Every subcommand (and rules' own subcommands) answers --help with a usage
// that names it and says what it does, and exit code 0; never the flag
// package's bare "Usage of X:", never an attempt to open "--help".
func TestEveryCommandHasHelp(t *testing.T) {
	var invocations [][]string
	for name := range commands {
		if name != "version" {
			invocations = append(invocations, []string{name, "--help"}, []string{name, "-h"})
		}
	}
	invocations = append(invocations, []string{"rules", "check", "--help"}, []string{"rules", "test", "--help"})
	for _, args := range invocations {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			var out, errb bytes.Buffer
			code := run(args, nil, &out, &errb)
			text := out.String() + errb.String()
			assert.Equal(t, 0, code, text)
			assert.Contains(t, text, "usage: airlock "+args[0])
			assert.NotContains(t, text, "Usage of")
			assert.NotContains(t, text, "no such file")
		})
	}
}

func TestVersionFromBuildInfo(t *testing.T) {
	var out bytes.Buffer
	assert.Equal(t, 0, run([]string{"version"}, nil, &out, &out))
	assert.NotContains(t, out.String(), "0.1.0-dev")
	assert.Regexp(t, `^airlock \S+`, out.String())
}
