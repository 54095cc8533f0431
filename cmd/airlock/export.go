package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/airlock-sdk/airlock/record"
)

// cmdExport runs `airlock export SOURCE --format asciicast [--session ID]`:
// it writes a terminal session's stdout and stderr, as the client saw them
// (masked), as an asciicast v2 recording. With --proof it writes one
// session's entries with their inclusion proofs against a signed log
// checkpoint instead, for `airlock verify --proof`.
func cmdExport(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("export", stderr)
	format := fs.String("format", "asciicast", "output format (asciicast: asciicast v2)")
	session := fs.String("session", "", "the session to export (required when the source holds several terminal sessions)")
	output := fs.String("o", "", "write to this file instead of standard output")
	cols := fs.Int("cols", 80, "terminal width recorded in the header")
	rows := fs.Int("rows", 24, "terminal height recorded in the header")
	table := fs.String("table", "", "table name when SOURCE is a PostgreSQL URL (default airlock_record)")
	proof := fs.Bool("proof", false, "write the session (--session required) with inclusion proofs against a signed checkpoint, verifiable alone with airlock verify --proof")
	pos, help, err := parseWithUsage(fs, args, stderr,
		"usage: airlock export FILE|postgres://... --format asciicast [--session ID] [-o OUT]",
		"       airlock export FILE|postgres://... --session ID --proof [-o OUT]",
	)
	if help {
		return 0
	}
	if err != nil || len(pos) != 1 || *cols <= 0 || *rows <= 0 {
		fs.Usage()
		return 2
	}
	if *proof {
		if *session == "" {
			fmt.Fprintln(stderr, "airlock export: --proof needs --session")
			return 2
		}
		return exportProof(pos[0], *table, *session, *output, stdout, stderr)
	}
	if *format != "asciicast" {
		fmt.Fprintf(stderr, "airlock export: unknown format %q (want asciicast)\n", *format)
		return 2
	}
	return exitCode(stderr, "export", exportAsciicast(context.Background(), pos[0], *table, *session, *output, record.AsciicastOptions{Width: *cols, Height: *rows}, stdout))
}

// exportAsciicast writes the chosen terminal session of source as an
// asciicast to output, or to stdout when output is empty.
func exportAsciicast(ctx context.Context, source, table, session, output string, opts record.AsciicastOptions, stdout io.Writer) error {
	src, closeSrc, err := openSource(ctx, source, table)
	if err != nil {
		return err
	}
	defer closeSrc()
	chosen, err := terminalSession(ctx, src, session)
	if err != nil {
		return err
	}
	w := stdout
	if output != "" {
		f, err := os.OpenFile(output, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
		if err != nil {
			return err
		}
		defer f.Close()
		w = f
	}
	return record.WriteAsciicast(w, chosen, opts)
}

// terminalSession picks the session to export: the one asked for, or the
// only one with terminal output.
func terminalSession(ctx context.Context, src record.Reader, session string) ([]record.Event, error) {
	ids, err := sessionIDs(ctx, src, session)
	if err != nil {
		return nil, err
	}
	var chosen []record.Event
	for _, id := range ids {
		evs, err := record.ReadSession(ctx, src, id)
		if err != nil {
			return nil, err
		}
		if session == "" && !record.HasTerminalOutput(evs) {
			continue
		}
		if chosen != nil {
			return nil, usageFailure(errors.New("several terminal sessions; choose one with --session"))
		}
		chosen = evs
	}
	if chosen == nil {
		return nil, errors.New("no terminal session (output on stdout or stderr) found")
	}
	return chosen, nil
}

// exportProof writes one session with its inclusion proofs.
func exportProof(source, table, session, output string, stdout, stderr io.Writer) int {
	ctx := context.Background()
	_, all, closeSrc, err := openStored(ctx, source, table)
	if err != nil {
		return exitCode(stderr, "export", err)
	}
	defer closeSrc()
	p, err := record.ProveSession(ctx, all, session)
	if err != nil {
		return exitCode(stderr, "export", err)
	}
	data, err := record.MarshalSessionProof(p)
	if err != nil {
		return exitCode(stderr, "export", err)
	}
	if output == "" {
		_, err = stdout.Write(data)
	} else {
		err = os.WriteFile(output, data, 0o600)
	}
	return exitCode(stderr, "export", err)
}

// openStored opens a record source that can be read whole, as verify and
// export --proof need it.
func openStored(ctx context.Context, source, table string) (record.Reader, record.StoredReader, func(), error) {
	src, closeSrc, err := openSource(ctx, source, table)
	if err != nil {
		return nil, nil, nil, err
	}
	all, ok := src.(record.StoredReader)
	if !ok {
		closeSrc()
		return nil, nil, nil, errors.New("this source cannot be read whole")
	}
	return src, all, closeSrc, nil
}
