package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/airlock-sdk/airlock/record"
)

// cmdAuditHash runs `airlock audit-hash --hmac-key FILE [VALUE]`: it prints
// the stored form of a guessed secret (hmac-sha256:…), as the recorder
// with that HMAC key stores it, so an investigator can search a record for
// it (Vault's sys/audit-hash). Without VALUE it reads one line from
// standard input, which keeps the guess out of the shell history.
func cmdAuditHash(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := newFlagSet("audit-hash", stderr)
	keyFile := fs.String("hmac-key", "", "the recorder's HMAC key file (required)")
	pos, help, err := parseWithUsage(fs, args, stderr,
		"usage: airlock audit-hash --hmac-key FILE [VALUE]   (VALUE from standard input when absent)",
	)
	if help {
		return 0
	}
	if err != nil || *keyFile == "" || len(pos) > 1 {
		fs.Usage()
		return 2
	}
	key, err := record.ReadHMACKey(*keyFile)
	if err != nil {
		fmt.Fprintln(stderr, "airlock audit-hash:", err)
		return 2
	}
	var value string
	if len(pos) == 1 {
		value = pos[0]
	} else {
		line, err := bufio.NewReader(stdin).ReadString('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			fmt.Fprintln(stderr, "airlock audit-hash:", err)
			return 1
		}
		value = strings.TrimSuffix(strings.TrimSuffix(line, "\n"), "\r")
	}
	fmt.Fprintln(stdout, record.AuditHash(key, value))
	return 0
}
