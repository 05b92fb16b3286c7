// Package hdwallet derives Ethereum deposit addresses from an account's
// extended public key (BIP32), on the BIP44 path m/44'/60'/0'/0/i: the
// account key m/44'/60'/0' is what a merchant gives paylinks, and address i
// is its external chain's child i. paylinks never holds a private key: an
// extended private key is refused. Test wallets are the one exception to
// seeing a secret: NewTestWallet makes a mnemonic for a test-mode account,
// returns it once to be printed, and keeps only the public key.
package hdwallet

import (
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/btcsuite/btcd/btcutil/hdkeychain"
	"github.com/btcsuite/btcd/chaincfg"
	"github.com/tyler-smith/go-bip39"
	"golang.org/x/crypto/sha3"
)

// AccountDepth is the depth of an account-level key: m/44'/60'/0'.
const AccountDepth = 3

// ErrPrivateKey is returned for an extended private key: paylinks takes
// only public keys.
var ErrPrivateKey = errors.New("hdwallet: an extended private key (xprv) was given; give the account's extended public key (xpub): paylinks never holds a private key")

// Account is a parsed account-level extended public key.
type Account struct {
	xpub     string
	external *hdkeychain.ExtendedKey // m/44'/60'/0'/0
}

// ParseXPub parses an account-level extended public key (m/44'/60'/0',
// depth 3). It refuses extended private keys (ErrPrivateKey), malformed
// keys and keys of another depth.
func ParseXPub(s string) (*Account, error) {
	s = strings.TrimSpace(s)
	k, err := hdkeychain.NewKeyFromString(s)
	if err != nil {
		return nil, fmt.Errorf("hdwallet: not an extended public key: %w", err)
	}
	if k.IsPrivate() {
		return nil, ErrPrivateKey
	}
	if k.Depth() != AccountDepth {
		return nil, fmt.Errorf("hdwallet: the key is at depth %d; give the account key m/44'/60'/0' (depth %d)", k.Depth(), AccountDepth)
	}
	ext, err := k.Derive(0)
	if err != nil {
		return nil, fmt.Errorf("hdwallet: external chain: %w", err)
	}
	return &Account{xpub: s, external: ext}, nil
}

// XPub returns the key as it was given.
func (a *Account) XPub() string { return a.xpub }

// Address returns the EIP-55 checksummed address m/44'/60'/0'/0/index.
func (a *Account) Address(index uint32) (string, error) {
	if index >= hdkeychain.HardenedKeyStart {
		return "", fmt.Errorf("hdwallet: index %d is out of range", index)
	}
	child, err := a.external.Derive(index)
	if err != nil {
		// The BIP32 derivation is invalid for about 1 in 2^127 indexes.
		return "", fmt.Errorf("hdwallet: address %d: %w", index, err)
	}
	pub, err := child.ECPubKey()
	if err != nil {
		return "", fmt.Errorf("hdwallet: address %d: %w", index, err)
	}
	// The address is the last 20 bytes of the Keccak-256 of the
	// uncompressed public key without its 0x04 prefix.
	h := keccak256(pub.SerializeUncompressed()[1:])
	return eip55(hex.EncodeToString(h[12:])), nil
}

func keccak256(b []byte) []byte {
	k := sha3.NewLegacyKeccak256()
	k.Write(b)
	return k.Sum(nil)
}

// eip55 writes 40 lower-case hex digits with the EIP-55 checksum: a letter
// is upper case when the matching nibble of the Keccak-256 of the
// lower-case digits is 8 or more.
func eip55(lower string) string {
	h := keccak256([]byte(lower))
	out := []byte("0x" + lower)
	for i := range 40 {
		c := lower[i]
		nibble := h[i/2] >> 4
		if i%2 == 1 {
			nibble = h[i/2] & 0x0f
		}
		if c >= 'a' && c <= 'f' && nibble >= 8 {
			out[2+i] = c - 'a' + 'A'
		}
	}
	return string(out)
}

// Checksum returns addr (0x and 40 hex digits, any case) with its EIP-55
// checksum; ok is false when addr is not an address.
func Checksum(addr string) (string, bool) {
	digits, ok := strings.CutPrefix(addr, "0x")
	if !ok || len(digits) != 40 {
		return "", false
	}
	if _, err := hex.DecodeString(digits); err != nil {
		return "", false
	}
	return eip55(strings.ToLower(digits)), true
}

// AccountXPub returns the account-level extended public key m/44'/60'/0' of
// a BIP39 mnemonic and passphrase.
func AccountXPub(mnemonic, passphrase string) (string, error) {
	seed, err := bip39.NewSeedWithErrorChecking(mnemonic, passphrase)
	if err != nil {
		return "", fmt.Errorf("hdwallet: mnemonic: %w", err)
	}
	k, err := hdkeychain.NewMaster(seed, &chaincfg.MainNetParams)
	if err != nil {
		return "", fmt.Errorf("hdwallet: master key: %w", err)
	}
	for _, i := range []uint32{44, 60, 0} {
		if k, err = k.Derive(hdkeychain.HardenedKeyStart + i); err != nil {
			return "", fmt.Errorf("hdwallet: derive: %w", err)
		}
	}
	pub, err := k.Neuter()
	if err != nil {
		return "", fmt.Errorf("hdwallet: neuter: %w", err)
	}
	return pub.String(), nil
}

// NewTestWallet makes a new 12-word BIP39 mnemonic from rand and returns
// it with its account xpub. The caller shows the mnemonic once and keeps
// only the xpub.
func NewTestWallet(rand io.Reader) (mnemonic, xpub string, err error) {
	entropy := make([]byte, 16)
	if _, err := io.ReadFull(rand, entropy); err != nil {
		return "", "", fmt.Errorf("hdwallet: entropy: %w", err)
	}
	if mnemonic, err = bip39.NewMnemonic(entropy); err != nil {
		return "", "", fmt.Errorf("hdwallet: mnemonic: %w", err)
	}
	if xpub, err = AccountXPub(mnemonic, ""); err != nil {
		return "", "", err
	}
	return mnemonic, xpub, nil
}
