package paylinks

import (
	"encoding/binary"
	"io"
	"math/bits"
	"strings"
	"time"

	"github.com/google/uuid"
)

// ID identifies every object: a 128-bit, time-ordered UUIDv7. Dialects render
// it in their own form (Omise base36, v1 "pl_…", PriceBlocs UUID text).
type ID = uuid.UUID

// NewID returns a UUIDv7 for time t with random bits read from r. Both are
// injected so that tests can make ids deterministic.
func NewID(t time.Time, r io.Reader) (ID, error) {
	var id ID
	if _, err := io.ReadFull(r, id[6:]); err != nil {
		return ID{}, err
	}
	ms := uint64(t.UnixMilli())
	var ts [8]byte
	binary.BigEndian.PutUint64(ts[:], ms)
	copy(id[:6], ts[2:])
	id[6] = 0x70 | (id[6] & 0x0f) // version 7
	id[8] = 0x80 | (id[8] & 0x3f) // RFC 4122 variant
	return id, nil
}

// base36 is the digit alphabet of FormatBase36.
const base36 = "0123456789abcdefghijklmnopqrstuvwxyz"

// pow36x12 is 36¹², the largest power of 36 below 2⁶⁴ that the digits are
// cut in: a 128-bit id is at most three such chunks (25 digits).
const pow36x12 = 4738381338321616896

// FormatBase36 renders id as lowercase base36 (the Omise id suffix).
func FormatBase36(id ID) string {
	var b [25]byte
	return string(AppendBase36(b[:0], id))
}

// AppendBase36 appends FormatBase36(id) to b. It is math/big's Text(36) of
// the id read as a big-endian number, without its allocations (ids are
// rendered on every answer).
func AppendBase36(b []byte, id ID) []byte {
	hi, lo := binary.BigEndian.Uint64(id[:8]), binary.BigEndian.Uint64(id[8:])
	if hi == 0 && lo == 0 {
		return append(b, '0')
	}
	// Cut the number into chunks of 12 digits, least significant first.
	var chunks [3]uint64
	n := 0
	for hi != 0 || lo != 0 {
		var r uint64
		hi, r = bits.Div64(0, hi, pow36x12)
		lo, r = bits.Div64(r, lo, pow36x12)
		chunks[n] = r
		n++
	}
	var digits [36]byte
	i := len(digits)
	for k := 0; k < n; k++ {
		c := chunks[k]
		for j := 0; j < 12; j++ {
			i--
			digits[i] = base36[c%36]
			c /= 36
		}
	}
	for digits[i] == '0' { // the top chunk's leading zeros
		i++
	}
	return append(b, digits[i:]...)
}

// ParseBase36 parses the lowercase base36 form of an id. It reports false for
// anything that is not the canonical rendering of a 128-bit value.
func ParseBase36(s string) (ID, bool) {
	if s == "" || len(s) > 25 || s[0] == '0' {
		return ID{}, false
	}
	var hi, lo uint64
	for i := 0; i < len(s); i++ {
		c := s[i]
		var d uint64
		switch {
		case '0' <= c && c <= '9':
			d = uint64(c - '0')
		case 'a' <= c && c <= 'z':
			d = uint64(c-'a') + 10
		default:
			return ID{}, false
		}
		// (hi, lo) = (hi, lo)·36 + d, refusing a carry out of 128 bits.
		carry, l := bits.Mul64(lo, 36)
		over, h := bits.Mul64(hi, 36)
		h, c1 := bits.Add64(h, carry, 0)
		if over != 0 || c1 != 0 {
			return ID{}, false
		}
		l, c2 := bits.Add64(l, d, 0)
		h, c3 := bits.Add64(h, 0, c2)
		if c3 != 0 {
			return ID{}, false
		}
		hi, lo = h, l
	}
	var id ID
	binary.BigEndian.PutUint64(id[:8], hi)
	binary.BigEndian.PutUint64(id[8:], lo)
	return id, true
}

// crockford is the Crockford base32 alphabet (no I, L, O, U).
const crockford = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

// FormatBase32 renders id as 26 characters of uppercase Crockford base32,
// as a ULID is written: the text sorts as the id does (time order).
func FormatBase32(id ID) string {
	hi, lo := binary.BigEndian.Uint64(id[:8]), binary.BigEndian.Uint64(id[8:])
	var b [26]byte
	for i := 25; i >= 0; i-- {
		b[i] = crockford[lo&31]
		lo = lo>>5 | hi<<59
		hi >>= 5
	}
	return string(b[:])
}

// ParseBase32 parses the form FormatBase32 writes, in either case. It
// reports false for anything that is not 26 Crockford characters of a
// 128-bit value.
func ParseBase32(s string) (ID, bool) {
	if len(s) != 26 {
		return ID{}, false
	}
	var hi, lo uint64
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'a' && c <= 'z' {
			c -= 'a' - 'A'
		}
		v := strings.IndexByte(crockford, c)
		if v < 0 || i == 0 && v >= 8 { // 26·5 = 130 bits: the first holds 3
			return ID{}, false
		}
		hi = hi<<5 | lo>>59
		lo = lo<<5 | uint64(v)
	}
	var id ID
	binary.BigEndian.PutUint64(id[:8], hi)
	binary.BigEndian.PutUint64(id[8:], lo)
	return id, true
}
