package paylinks

import (
	"bytes"
	"crypto/rand"
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
