package record

// ParseLine parses one line of a record file (with or without its trailing
// newline). It returns nil and no error for the file header line, and an
// error for anything that is not a record entry. A body that does not decode
// leaves Event and Checkpoint nil; Verify reports it.
//
// It is for tools that tail a file being written, where a FileReader, which
// reads whole files, does not fit.
func ParseLine(line []byte) (*Event, error) { return parseLine(line) }
