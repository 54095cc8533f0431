package postgres

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// DefaultMaxMessageBytes bounds one protocol message body in either
// direction (Config.MaxMessageBytes), like pgproto3's SetMaxBodyLen.
const DefaultMaxMessageBytes = 64 << 20

// errMessageTooLarge is returned for a message above the bound.
var errMessageTooLarge = errors.New("postgres: message too large")

// msgReader frames typed protocol messages (a type byte, a four-byte
// length, a body) off a buffered stream. The proxy frames messages itself
// and decodes the ones it must understand with pgproto3, so messages it
// does not change are forwarded byte for byte, and it knows when the peer
// has nothing more buffered (the moment to flush).
type msgReader struct {
	r   *bufio.Reader
	max int
	buf []byte
	// inPlace lets next return a message the reader holds whole as a
	// slice of its own buffer instead of a copy: only for a reader no
	// other goroutine reads, as a later read may overwrite that buffer
	// (the upstream's; the client's is peeked by its watch, watch.go).
	inPlace bool
}

func newMsgReader(r io.Reader, max int) *msgReader {
	if max <= 0 {
		max = DefaultMaxMessageBytes
	}
	return &msgReader{r: bufio.NewReaderSize(r, 32<<10), max: max}
}

// next returns the message type, its body and the whole raw message. The
// slices are valid until the next call (with inPlace, until the next read
// of the reader: the next call).
func (m *msgReader) next() (typ byte, body, raw []byte, err error) {
	hdr, err := m.r.Peek(5)
	if err != nil {
		if len(hdr) > 0 && errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF
		}
		return 0, nil, nil, err
	}
	typ = hdr[0]
	n := int(int32(binary.BigEndian.Uint32(hdr[1:5])))
	if n < 4 {
		return 0, nil, nil, fmt.Errorf("postgres: invalid message length %d", n)
	}
	if n-4 > m.max {
		return 0, nil, nil, fmt.Errorf("%w: %d bytes (limit %d)", errMessageTooLarge, n-4, m.max)
	}
	total := n + 1
	if m.inPlace && total <= m.r.Buffered() {
		// Whole in the buffer: Peek and Discard read nothing more.
		raw, err := m.r.Peek(total)
		if err != nil {
			return 0, nil, nil, err
		}
		if _, err := m.r.Discard(total); err != nil {
			return 0, nil, nil, err
		}
		return typ, raw[5:], raw, nil
	}
	if cap(m.buf) > 1<<20 && total < 64<<10 {
		m.buf = nil // do not keep a huge buffer for small messages
	}
	if total > growStep && cap(m.buf) < total {
		// A large declared length: memory grows with the bytes that
		// actually arrive, not with what the peer announced.
		return m.nextLarge(typ, total)
	}
	if cap(m.buf) < total {
		m.buf = make([]byte, total, total+total/4)
	}
	m.buf = m.buf[:total]
	if _, err := io.ReadFull(m.r, m.buf); err != nil {
		if errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF
		}
		return 0, nil, nil, err
	}
	return typ, m.buf[5:], m.buf, nil
}

// growStep is the size up to which a message buffer is allocated at once.
const growStep = 1 << 20

func (m *msgReader) nextLarge(typ byte, total int) (byte, []byte, []byte, error) {
	buf := make([]byte, 0, growStep)
	for len(buf) < total {
		if len(buf) == cap(buf) {
			buf = append(buf, make([]byte, min(cap(buf), total-len(buf)))...)[:len(buf)]
		}
		n, err := m.r.Read(buf[len(buf):min(cap(buf), total)])
		buf = buf[:len(buf)+n]
		if err != nil && len(buf) < total {
			if errors.Is(err, io.EOF) {
				err = io.ErrUnexpectedEOF
			}
			return 0, nil, nil, err
		}
	}
	m.buf = buf
	return typ, buf[5:], buf, nil
}

// buffered reports how many bytes are waiting in the buffer.
func (m *msgReader) buffered() int { return m.r.Buffered() }
