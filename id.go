package paylinks

import (
	"encoding/binary"
	"io"
	"math/big"
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

var maxID = new(big.Int).Lsh(big.NewInt(1), 128)

// FormatBase36 renders id as lowercase base36 (the Omise id suffix).
func FormatBase36(id ID) string {
	return new(big.Int).SetBytes(id[:]).Text(36)
}

// ParseBase36 parses the lowercase base36 form of an id. It reports false for
// anything that is not the canonical rendering of a 128-bit value.
func ParseBase36(s string) (ID, bool) {
	if s == "" || len(s) > 25 || s[0] == '0' || strings.ToLower(s) != s {
		return ID{}, false
	}
	n, ok := new(big.Int).SetString(s, 36)
	if !ok || n.Sign() < 0 || n.Cmp(maxID) >= 0 {
		return ID{}, false
	}
	var id ID
	n.FillBytes(id[:])
	return id, true
}

// crockford is the Crockford base32 alphabet (no I, L, O, U).
const crockford = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

// FormatBase32 renders id as 26 characters of uppercase Crockford base32,
// as a ULID is written: the text sorts as the id does (time order).
func FormatBase32(id ID) string {
	n := new(big.Int).SetBytes(id[:])
	var b [26]byte
	mask := big.NewInt(31)
	var d big.Int
	for i := 25; i >= 0; i-- {
		b[i] = crockford[d.And(n, mask).Int64()]
		n.Rsh(n, 5)
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
	n := new(big.Int)
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'a' && c <= 'z' {
			c -= 'a' - 'A'
		}
		v := strings.IndexByte(crockford, c)
		if v < 0 {
			return ID{}, false
		}
		n.Lsh(n, 5).Or(n, big.NewInt(int64(v)))
	}
	if n.Cmp(maxID) >= 0 {
		return ID{}, false
	}
	var id ID
	n.FillBytes(id[:])
	return id, true
}
