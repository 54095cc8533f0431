package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"

	"github.com/airlock-sdk/airlock/record"
)

// cmdVerify runs `airlock verify SOURCE --key PUBFILE [--session ID]`: it
// checks the hash chain and signed checkpoints of every session and exits 1
// at the first broken point, naming it.
func cmdVerify(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("verify", flag.ContinueOnError)
	fs.SetOutput(stderr)
	keyFile := fs.String("key", "", "Ed25519 public key file (PEM or base64) that signed the checkpoints (required)")
	session := fs.String("session", "", "verify only this session (default: all)")
	allowOpen := fs.Bool("allow-open", false, "accept sessions that are still open (no final checkpoint yet); their entries after the last checkpoint stay unproven")
	table := fs.String("table", "", "table name when SOURCE is a PostgreSQL URL (default airlock_record)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: airlock verify FILE|postgres://... --key PUBFILE [--session ID] [--allow-open]")
		fs.PrintDefaults()
	}
	pos, err := parseArgsErr(fs, args)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil || len(pos) != 1 || *keyFile == "" {
		fs.Usage()
		return 2
	}
	pub, err := readVerifyKey(*keyFile)
	if err != nil {
		fmt.Fprintln(stderr, "airlock verify:", err)
		return 2
	}
	ctx := context.Background()
	src, closeSrc, err := openSource(ctx, pos[0], *table)
	if err != nil {
		fmt.Fprintln(stderr, "airlock verify:", err)
		return 1
	}
	defer closeSrc()
	ids, err := sessionIDs(ctx, src, *session)
	if err != nil {
		fmt.Fprintln(stderr, "airlock verify:", err)
		return 1
	}
	var entries, open int
	for _, id := range ids {
		evs, err := record.ReadSession(ctx, src, id)
		if err != nil {
			// An unreadable or torn line is a broken point too.
			last := uint64(0)
			if len(evs) > 0 {
				last = evs[len(evs)-1].Seq
			}
			fmt.Fprintf(stdout, "BROKEN session %s after seq %d: %s\n", clean(id), last, clean(err.Error()))
			return 1
		}
		err = record.Verify(evs, pub)
		var ve *record.VerifyError
		if *allowOpen && errors.Is(err, record.ErrUnterminated) && errors.As(err, &ve) {
			fmt.Fprintf(stdout, "open   session %s: %s\n", clean(id), clean(ve.Reason))
			open++
			entries += len(evs)
			continue
		}
		if err != nil {
			if errors.As(err, &ve) {
				fmt.Fprintf(stdout, "BROKEN session %s at entry %d (seq %d): %s\n", clean(id), ve.Index, ve.Seq, clean(ve.Reason))
			} else {
				fmt.Fprintf(stdout, "BROKEN session %s: %s\n", clean(id), clean(err.Error()))
			}
			return 1
		}
		fmt.Fprintf(stdout, "ok     session %s: %d entries\n", clean(id), len(evs))
		entries += len(evs)
	}
	fmt.Fprintf(stdout, "verified %d sessions (%d entries, %d open) with key %s\n", len(ids), entries, open, record.KeyID(pub))
	return 0
}
