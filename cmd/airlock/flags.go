package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
)

// newFlagSet is the flag set of a command: errors and usage go to stderr,
// and parsing returns them instead of exiting.
func newFlagSet(name string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	return fs
}

// parseWithUsage makes the usage lines and fs's defaults, on stderr, the
// usage of fs, and parses args as parseArgsErr does. help tells that
// --help was asked for (and answered).
func parseWithUsage(fs *flag.FlagSet, args []string, stderr io.Writer, usage ...string) (pos []string, help bool, err error) {
	fs.Usage = func() {
		for _, l := range usage {
			fmt.Fprintln(stderr, l)
		}
		fs.PrintDefaults()
	}
	pos, err = parseArgsErr(fs, args)
	return pos, errors.Is(err, flag.ErrHelp), err
}

// parseFlagsN is parseFlags for a command that takes exactly n positional
// arguments: any other number is bad usage (usage on stderr, code 2).
func parseFlagsN(fs *flag.FlagSet, args []string, n int, usage string, stdout, stderr io.Writer) ([]string, int) {
	pos, code := parseFlags(fs, args, usage, stdout, stderr)
	if code < 0 && len(pos) != n {
		printUsage(stderr, fs, usage)
		return nil, 2
	}
	return pos, code
}

// parseFlags parses args with fs. It returns the positional arguments and
// -1, or the exit code to return: 0 after --help (usage on stdout), 2 after a
// bad flag (usage on stderr).
func parseFlags(fs *flag.FlagSet, args []string, usage string, stdout, stderr io.Writer) ([]string, int) {
	fs.Usage = func() {}
	pos, err := parseArgsErr(fs, args)
	switch {
	case errors.Is(err, flag.ErrHelp):
		printUsage(stdout, fs, usage)
		return nil, 0
	case err != nil:
		printUsage(stderr, fs, usage)
		return nil, 2
	}
	return pos, -1
}

// printUsage prints usage and the flags' defaults to w.
func printUsage(w io.Writer, fs *flag.FlagSet, usage string) {
	fmt.Fprintln(w, usage)
	out := fs.Output()
	fs.SetOutput(w)
	fs.PrintDefaults()
	fs.SetOutput(out)
}

// parseArgsErr parses flags placed before, between or after the positional
// arguments, which the flag package alone does not allow.
func parseArgsErr(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, nil
		}
		if args[0] == "--" {
			return append(pos, args[1:]...), nil
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
}
