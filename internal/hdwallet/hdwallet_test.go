package hdwallet_test

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/btcsuite/btcd/btcutil/hdkeychain"

	"github.com/paylinks/paylinks/internal/hdwallet"
)

// The BIP39 test mnemonic and its published BIP44 Ethereum addresses
// (m/44'/60'/0'/0/i, no passphrase), as wallets (MetaMask, Trust Wallet)
// show them, and its published account xpub m/44'/60'/0'.
const (
	abandonMnemonic = "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about"
	abandonXPub     = "xpub6DCoCpSuQZB2jawqnGMEPS63ePKWkwWPH4TU45Q7LPXWuNd8TMtVxRrgjtEshuqpK3mdhaWHPFsBngh5GFZaM6si3yZdUsT8ddYM3PwnATt"
)

var abandonAddresses = []string{
	"0x9858EfFD232B4033E47d90003D41EC34EcaEda94",
	"0x6Fac4D18c912343BF86fa7049364Dd4E424Ab9C0",
	"0xb6716976A3ebe8D39aCEB04372f22Ff8e6802D7A",
	"0xF3f50213C1d2e255e4B2bAD430F8A38EEF8D718E",
	"0x51cA8ff9f1C0a99f88E86B8112eA3237F55374cA",
}

func TestAccountXPubOfMnemonic(t *testing.T) {
	got, err := hdwallet.AccountXPub(abandonMnemonic, "")
	if err != nil {
		t.Fatal(err)
	}
	if got != abandonXPub {
		t.Errorf("AccountXPub = %s, want %s", got, abandonXPub)
	}
	if _, err := hdwallet.AccountXPub("abandon abandon abandon", ""); err == nil {
		t.Error("AccountXPub of a bad mnemonic: no error")
	}
}

func TestAddresses(t *testing.T) {
	a, err := hdwallet.ParseXPub(abandonXPub)
	if err != nil {
		t.Fatal(err)
	}
	for i, want := range abandonAddresses {
		got, err := a.Address(uint32(i))
		if err != nil {
			t.Fatal(err)
		}
		if got != want {
			t.Errorf("Address(%d) = %s, want %s", i, got, want)
		}
	}
	if _, err := a.Address(hdkeychain.HardenedKeyStart); err == nil {
		t.Error("Address of a hardened index: no error")
	}
}

// BIP32 test vector 1: the published xpub of m/0H/1/2H is a depth-3 key;
// its public child 2 is the published m/0H/1/2H/2.
func TestBIP32Vector1(t *testing.T) {
	const m0h12h = "xpub6D4BDPcP2GT577Vvch3R8wDkScZWzQzMMUm3PWbmWvVJrZwQY4VUNgqFJPMM3No2dFDFGTsxxpG5uJh7n7epu4trkrX7x7DogT5Uv6fcLW5"
	const m0h12h2 = "xpub6FHa3pjLCk84BayeJxFW2SP4XRrFd1JYnxeLeU8EqN3vDfZmbqBqaGJAyiLjTAwm6ZLRQUMv1ZACTj37sR62cfN7fe5JnJ7dh8zL4fiyLHV"
	if _, err := hdwallet.ParseXPub(m0h12h); err != nil {
		t.Fatalf("ParseXPub(vector 1 m/0H/1/2H): %v", err)
	}
	k, err := hdkeychain.NewKeyFromString(m0h12h)
	if err != nil {
		t.Fatal(err)
	}
	c, err := k.Derive(2)
	if err != nil {
		t.Fatal(err)
	}
	if c.String() != m0h12h2 {
		t.Errorf("m/0H/1/2H/2 = %s, want %s", c, m0h12h2)
	}
}

func TestParseXPubRefuses(t *testing.T) {
	for _, tt := range []struct {
		name, key string
		want      error
	}{
		// BIP32 test vector 1, m/0H/1/2H: the private form.
		{"xprv", "xprv9z4pot5VBttmtdRTWfWQmoH1taj2axGVzFqSb8C9xaxKymcFzXBDptWmT7FwuEzG3ryjH4ktypQSAewRiNMjANTtpgP4mLTj34bhnZX7UiM", hdwallet.ErrPrivateKey},
		{"master xpub (depth 0)", "xpub661MyMwAqRbcFtXgS5sYJABqqG9YLmC4Q1Rdap9gSE8NqtwybGhePY2gZ29ESFjqJoCu1Rupje8YtGqsefD265TMg7usUDFdp6W1EGMcet8", nil},
		{"garbage", "xpub-not-a-key", nil},
		{"bad checksum", abandonXPub[:len(abandonXPub)-1] + "u", nil},
		{"empty", "", nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := hdwallet.ParseXPub(tt.key)
			if err == nil {
				t.Fatal("no error")
			}
			if tt.want != nil && !errors.Is(err, tt.want) {
				t.Errorf("err = %v, want %v", err, tt.want)
			}
		})
	}
}

func TestNewTestWallet(t *testing.T) {
	// 16 bytes of zero entropy is the abandon … about mnemonic (BIP39's
	// first test vector).
	m, xpub, err := hdwallet.NewTestWallet(bytes.NewReader(make([]byte, 16)))
	if err != nil {
		t.Fatal(err)
	}
	if m != abandonMnemonic || xpub != abandonXPub {
		t.Errorf("NewTestWallet = %q, %s; want %q, %s", m, xpub, abandonMnemonic, abandonXPub)
	}
	if strings.Contains(xpub, "prv") {
		t.Error("the test wallet's key is private")
	}
}

func TestChecksum(t *testing.T) {
	got, ok := hdwallet.Checksum(strings.ToLower(abandonAddresses[0]))
	if !ok || got != abandonAddresses[0] {
		t.Errorf("Checksum = %s, %v", got, ok)
	}
	if _, ok := hdwallet.Checksum("0x1234"); ok {
		t.Error("Checksum of a short address: ok")
	}
}
