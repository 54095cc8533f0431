package record

// ParseLine parses one line of a record file (with or without its trailing
// newline). It returns nil and no error for the file header line and for
// the sink-level log's checkpoint lines (which belong to no session), and
// an error for anything that is not a record entry. A body that does not
// decode leaves Event and Checkpoint nil; Verify reports it.
//
// It is for tools that tail a file being written, where a FileReader, which
// reads whole files, does not fit.
func ParseLine(line []byte) (*Event, error) {
	e, err := parseLine(line)
	if e != nil && e.Kind == KindLogCheckpoint && IsLogSession(e.SessionID) {
		return nil, err
	}
	return e, err
}

// ParseStoredLine parses one line of a record file as ParseLine does, but
// returns the log checkpoint lines too (LogCheckpoint set): what
// VerifyRecord reads.
func ParseStoredLine(line []byte) (*Event, error) { return parseLine(line) }
