package auth

import (
	"encoding/binary"
	"errors"
)

// The small sealed values of this package (login flow, offline cookie,
// kept grants) are length-prefixed strings and 8-byte integers in a fixed
// order per value; each is sealed under a purpose of its own, which tells
// them apart.

var errBadSealedValue = errors.New("auth: malformed sealed value")

func appendString(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

func appendInt(b []byte, v int64) []byte { return binary.BigEndian.AppendUint64(b, uint64(v)) }

// fieldReader reads the fields appended above; the first error sticks.
type fieldReader struct {
	b   []byte
	err error
}

func newFieldReader(b []byte) *fieldReader { return &fieldReader{b: b} }

func (r *fieldReader) str() string {
	if r.err != nil {
		return ""
	}
	n, w := binary.Uvarint(r.b)
	// A length has one encoding: no padded varint.
	if w <= 0 || n > uint64(len(r.b)-w) || w != uvarintLen(n) {
		r.err = errBadSealedValue
		return ""
	}
	s := string(r.b[w : w+int(n)])
	r.b = r.b[w+int(n):]
	return s
}

func (r *fieldReader) int() int64 {
	if r.err != nil {
		return 0
	}
	if len(r.b) < 8 {
		r.err = errBadSealedValue
		return 0
	}
	v := int64(binary.BigEndian.Uint64(r.b))
	r.b = r.b[8:]
	return v
}

// count reads a uvarint count of the fields that follow, each at least
// a byte long, so a forged count cannot make a reader allocate more than
// the input.
func (r *fieldReader) count() int {
	if r.err != nil {
		return 0
	}
	n, w := binary.Uvarint(r.b)
	if w <= 0 || n > uint64(len(r.b)-w) || w != uvarintLen(n) {
		r.fail()
		return 0
	}
	r.b = r.b[w:]
	return int(n)
}

// fail marks the value malformed.
func (r *fieldReader) fail() {
	if r.err == nil {
		r.err = errBadSealedValue
	}
}

// done reports the first error, or an error when bytes remain.
func (r *fieldReader) done() error {
	if r.err == nil && len(r.b) != 0 {
		r.err = errBadSealedValue
	}
	return r.err
}

func uvarintLen(n uint64) int {
	w := 1
	for ; n >= 0x80; n >>= 7 {
		w++
	}
	return w
}
