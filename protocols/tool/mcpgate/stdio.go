package mcpgate

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"sync"
	"time"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"

	sdk "github.com/modelcontextprotocol/go-sdk/mcp"
)

// MaxFrameBytes bounds one message from the client on stdio.
const MaxFrameBytes = 16 << 20

// ServeStdio runs one client session over newline-delimited JSON-RPC on r
// and w (the agent's pipe: os.Stdin and os.Stdout), as Serve does, and
// answers malformed lines and unknown methods with JSON-RPC errors instead of
// ending the session.
func (g *Gateway) ServeStdio(ctx context.Context, r io.Reader, w io.Writer) error {
	sw := &syncWriter{w: w}
	fr := &frameReader{src: r, r: bufio.NewReaderSize(r, 64<<10), w: sw}
	return g.Serve(ctx, &sdk.IOTransport{Reader: fr, Writer: sw})
}

// syncWriter serialises whole-message writes of the SDK and of the frame
// reader's error replies.
type syncWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (s *syncWriter) Write(b []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(b)
}

func (s *syncWriter) Close() error {
	if c, ok := s.w.(io.Closer); ok {
		return c.Close()
	}
	return nil
}

// frameReader passes well-formed frames to the SDK, one line at a time, and
// answers the others itself.
type frameReader struct {
	src     io.Reader
	r       *bufio.Reader
	w       io.Writer
	pending []byte
	err     error
}

func (f *frameReader) Read(p []byte) (int, error) {
	for len(f.pending) == 0 {
		if f.err != nil {
			return 0, f.err
		}
		line, tooLong, err := f.readLine()
		if err != nil {
			f.err = err
			if len(line) == 0 {
				continue
			}
		}
		if tooLong {
			f.reply(errorFrame(nil, -32600, "airlock: invalid request: message too large"))
			continue
		}
		if reject, reply := checkFrame(line); reject {
			f.reply(reply)
			continue
		}
		f.pending = append(bytes.TrimSpace(line), '\n')
	}
	n := copy(p, f.pending)
	f.pending = f.pending[n:]
	return n, nil
}

func (f *frameReader) reply(b []byte) {
	if len(b) == 0 {
		return
	}
	_, _ = f.w.Write(append(b, '\n'))
}

// readLine reads one line, discarding the rest of a line over MaxFrameBytes.
func (f *frameReader) readLine() ([]byte, bool, error) {
	var line []byte
	tooLong := false
	for {
		chunk, err := f.r.ReadSlice('\n')
		if !tooLong {
			if len(line)+len(chunk) > MaxFrameBytes {
				tooLong, line = true, nil
			} else {
				line = append(line, chunk...)
			}
		}
		if errors.Is(err, bufio.ErrBufferFull) {
			continue
		}
		return line, tooLong, err
	}
}

// Close closes the underlying reader when it can be closed, which unblocks
// a pending read.
func (f *frameReader) Close() error {
	if c, ok := f.src.(io.Closer); ok {
		return c.Close()
	}
	return nil
}

// countingTransport wraps a stream transport to count calls read and
// responses written.
type countingTransport struct {
	t sdk.Transport
	c *callCounter
}

func (ct *countingTransport) Connect(ctx context.Context) (sdk.Connection, error) {
	conn, err := ct.t.Connect(ctx)
	if err != nil {
		return nil, err
	}
	return &countingConn{Connection: conn, c: ct.c}, nil
}

type countingConn struct {
	sdk.Connection
	c *callCounter
}

func (c *countingConn) Read(ctx context.Context) (jsonrpc.Message, error) {
	m, err := c.Connection.Read(ctx)
	if r, ok := m.(*jsonrpc.Request); ok && r.IsCall() {
		c.c.add(1)
	}
	return m, err
}

func (c *countingConn) Write(ctx context.Context, m jsonrpc.Message) error {
	err := c.Connection.Write(ctx, m)
	if _, ok := m.(*jsonrpc.Response); ok {
		c.c.add(-1)
	}
	return err
}

// callCounter counts calls not answered yet.
type callCounter struct {
	mu   sync.Mutex
	open int
	idle chan struct{} // closed when open drops to zero, if someone waits
}

func (c *callCounter) add(n int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.open += n
	if c.open <= 0 && c.idle != nil {
		close(c.idle)
		c.idle = nil
	}
}

// wait returns once every call read so far was answered, or after d.
func (c *callCounter) wait(d time.Duration) {
	c.mu.Lock()
	if c.open <= 0 {
		c.mu.Unlock()
		return
	}
	if c.idle == nil {
		c.idle = make(chan struct{})
	}
	ch := c.idle
	c.mu.Unlock()
	select {
	case <-ch:
	case <-time.After(d):
	}
}
