package service

import (
	"crypto/rand"
	"strings"
	"testing"
)

// TestPasswordHash: the stored form is PHC argon2id with the documented
// parameters and a fresh salt; verification accepts only the password, and
// a malformed or tampered hash verifies nothing (never panics).
func TestPasswordHash(t *testing.T) {
	s := &Service{rand: rand.Reader}
	h1, err := s.hashPassword("correct horse battery")
	if err != nil {
		t.Fatal(err)
	}
	h2, _ := s.hashPassword("correct horse battery")
	if !strings.HasPrefix(h1, "$argon2id$v=19$m=19456,t=2,p=1$") || h1 == h2 {
		t.Errorf("hashes %q and %q: want argon2id m=19456,t=2,p=1 with different salts", h1, h2)
	}
	if !verifyPassword(h1, "correct horse battery") {
		t.Error("the password does not verify")
	}
	for _, pw := range []string{"correct horse batterY", "", "correct horse battery "} {
		if verifyPassword(h1, pw) {
			t.Errorf("%q verifies", pw)
		}
	}
	parts := strings.Split(h1, "$")
	for name, bad := range map[string]string{
		"empty":          "",
		"argon2i":        strings.Replace(h1, "argon2id", "argon2i", 1),
		"version":        strings.Replace(h1, "v=19", "v=16", 1),
		"huge memory":    strings.Replace(h1, "m=19456", "m=99999999", 1),
		"zero time":      strings.Replace(h1, "t=2", "t=0", 1),
		"bad salt":       strings.Join([]string{"", parts[1], parts[2], parts[3], "!!", parts[5]}, "$"),
		"no key":         strings.Join([]string{"", parts[1], parts[2], parts[3], parts[4], ""}, "$"),
		"short key":      h1[:len(h1)-4],
		"too many parts": h1 + "$x",
	} {
		if verifyPassword(bad, "correct horse battery") {
			t.Errorf("%s hash %q verifies", name, bad)
		}
	}
}
