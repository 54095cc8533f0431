package record

// localSink is a Sink whose Write waits on nothing but this machine (a
// file, memory): a Recorder lets its callers write their own events to
// it (see Recorder.combine). A Write that waits on a network could stall
// past a caller's context; those sinks are written by the writer
// goroutine only, so a caller can always give up waiting.
type localSink interface {
	Sink
	local() bool
}

func (fs *File) local() bool  { return true }
func (m *Memory) local() bool { return true }

// local: a Tee is local when every sink of it is.
func (t *Tee) local() bool {
	for _, s := range t.sinks {
		if !isLocal(s) {
			return false
		}
	}
	return true
}

// isLocal reports whether s is a localSink.
func isLocal(s Sink) bool {
	l, ok := s.(localSink)
	return ok && l.local()
}
