package paylinks

import (
	"bytes"
	"crypto/rand"
	"encoding/binary"
	"math/big"
	"strings"
	"testing"
	"time"
)

func TestNewIDIsV7AndTimeOrdered(t *testing.T) {
	t0 := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	a, err := NewID(t0, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := NewID(t0.Add(time.Millisecond), rand.Reader)
	if a.Version() != 7 || a.Variant().String() != "RFC4122" {
		t.Errorf("version %d variant %v", a.Version(), a.Variant())
	}
	if bytes.Compare(a[:], b[:]) >= 0 {
		t.Errorf("ids are not time-ordered: %s >= %s", a, b)
	}
	sec, nsec := a.Time().UnixTime()
	if got := time.Unix(sec, nsec).UTC(); !got.Equal(t0) {
		t.Errorf("embedded time %v, want %v", got, t0)
	}
}

func TestBase36RoundTrip(t *testing.T) {
	for range 1000 {
		id, _ := NewID(time.Now(), rand.Reader)
		s := FormatBase36(id)
		back, ok := ParseBase36(s)
		if !ok || back != id {
			t.Fatalf("%s -> %q -> %s, %v", id, s, back, ok)
		}
	}
	for _, bad := range []string{"", "0abc", "ABC", "abc_def", "zzzzzzzzzzzzzzzzzzzzzzzzz", "f5lxx1zz5pnorynqglhzmsp34"} {
		if _, ok := ParseBase36(bad); ok {
			t.Errorf("ParseBase36(%q) accepted", bad)
		}
	}
}

// bigBase36 and bigBase32 are the renderings by math/big that the
// allocation-free ones must equal.
func bigBase36(id ID) string { return new(big.Int).SetBytes(id[:]).Text(36) }

func bigBase32(id ID) string {
	s := new(big.Int).SetBytes(id[:]).Text(32) // digits 0-9a-v
	s = strings.Repeat("0", 26-len(s)) + s
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		v := strings.IndexByte("0123456789abcdefghijklmnopqrstuv", s[i])
		b.WriteByte(crockford[v])
	}
	return b.String()
}

// edgeIDs are the values where carries and leading zeros are: 0, 1, the
// largest, the chunk boundaries of base36 and the 64-bit halves.
func edgeIDs() []ID {
	var ids []ID
	add := func(hi, lo uint64) {
		var id ID
		binary.BigEndian.PutUint64(id[:8], hi)
		binary.BigEndian.PutUint64(id[8:], lo)
		ids = append(ids, id)
	}
	add(0, 0)
	add(0, 1)
	add(0, 35)
	add(0, 36)
	add(0, pow36x12-1)
	add(0, pow36x12)
	add(0, ^uint64(0))
	add(1, 0)
	add(^uint64(0), ^uint64(0))
	add(^uint64(0), 0)
	p24 := new(big.Int).Exp(big.NewInt(36), big.NewInt(24), nil)
	for _, d := range []int64{-1, 0, 1} {
		var id ID
		new(big.Int).Add(p24, big.NewInt(d)).FillBytes(id[:])
		ids = append(ids, id)
	}
	return ids
}

func TestBase36AndBase32MatchMathBig(t *testing.T) {
	ids := edgeIDs()
	for range 5000 {
		var id ID
		rand.Read(id[:])
		ids = append(ids, id)
	}
	for _, id := range ids {
		if got, want := FormatBase36(id), bigBase36(id); got != want {
			t.Fatalf("FormatBase36(%x) = %q, math/big %q", id[:], got, want)
		}
		if back, ok := ParseBase36(bigBase36(id)); (id != ID{}) && (!ok || back != id) {
			t.Fatalf("ParseBase36(%q) = %x, %v", bigBase36(id), back[:], ok)
		}
		if got, want := FormatBase32(id), bigBase32(id); got != want {
			t.Fatalf("FormatBase32(%x) = %q, math/big %q", id[:], got, want)
		}
		if back, ok := ParseBase32(strings.ToLower(bigBase32(id))); !ok || back != id {
			t.Fatalf("ParseBase32(%q) = %x, %v", bigBase32(id), back[:], ok)
		}
	}
	// 2^128 and above, in both forms.
	over := new(big.Int).Lsh(big.NewInt(1), 128)
	for _, d := range []int64{0, 1, 1 << 40} {
		n := new(big.Int).Add(over, big.NewInt(d))
		if _, ok := ParseBase36(n.Text(36)); ok {
			t.Errorf("ParseBase36(%s) accepted a value of 129 bits", n.Text(36))
		}
	}
	if _, ok := ParseBase32("8" + strings.Repeat("0", 25)); ok {
		t.Error("ParseBase32 accepted 2^128")
	}
	if _, ok := ParseBase32("7" + strings.Repeat("Z", 25)); !ok {
		t.Error("ParseBase32 refused 2^128-1")
	}
}

// FuzzParseBase36 holds ParseBase36 to math/big's reading: it accepts
// exactly the canonical lowercase renderings of values below 2^128, and
// FormatBase36 gives the text back.
func FuzzParseBase36(f *testing.F) {
	for _, s := range []string{"1", "z", "f5lxx1zz5pnorynqglhzmsp33", "f5lxx1zz5pnorynqglhzmsp34", "0a", "A", "a-b"} {
		f.Add(s)
	}
	max := new(big.Int).Lsh(big.NewInt(1), 128)
	f.Fuzz(func(t *testing.T, s string) {
		id, ok := ParseBase36(s)
		n, isNum := new(big.Int).SetString(s, 36)
		want := isNum && s != "" && len(s) <= 25 && s[0] != '0' && strings.ToLower(s) == s &&
			!strings.ContainsAny(s, "+-_") && n.Sign() > 0 && n.Cmp(max) < 0
		if ok != want {
			t.Fatalf("ParseBase36(%q) ok=%v, math/big says %v", s, ok, want)
		}
		if ok && FormatBase36(id) != s {
			t.Fatalf("FormatBase36(ParseBase36(%q)) = %q", s, FormatBase36(id))
		}
	})
}
