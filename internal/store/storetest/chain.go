package storetest

import (
	"errors"
	"fmt"
	"math/big"
	"reflect"
	"slices"
	"testing"

	"github.com/paylinks/paylinks"
	"github.com/paylinks/paylinks/internal/store"
)

// chainHash is a fake 32-byte hash naming block n of fork f.
func chainHash(f string, n uint64) string { return fmt.Sprintf("0x%s%063x", f, n) }

// chainBlock is block n of fork f, child of block n-1 of fork parent.
func chainBlock(f, parent string, n uint64) store.ChainBlock {
	return store.ChainBlock{Number: n, Hash: chainHash(f, n), ParentHash: chainHash(parent, n-1)}
}

// chainTransfer is a transfer of wei to addr in block b.
func chainTransfer(b store.ChainBlock, tx, addr string, wei int64, idx uint) store.ChainTransfer {
	return store.ChainTransfer{TxHash: tx, To: addr, Wei: big.NewInt(wei), BlockNumber: b.Number, BlockHash: b.Hash, BlockTime: at(int(b.Number)), TxIndex: idx}
}

// testChain covers the chain watcher's store: advancing block by block (and
// refusing a block that does not follow the head), forgetting old blocks,
// rewinding after a reorganisation, the activity of changed addresses and
// of those with recent transfers, and chains kept apart.
func testChain(t *testing.T, f *fixture) {
	ctx := t.Context()
	s := f.s
	const chain, other = 1337, 1
	if _, err := s.ChainHead(ctx, chain); !errors.Is(err, paylinks.ErrNotFound) {
		t.Fatalf("ChainHead on a new store: got %v, want ErrNotFound", err)
	}

	// The first block may be any block; the next must follow it.
	b10 := chainBlock("a", "a", 10)
	if err := s.ChainAdvance(ctx, chain, b10, nil, 3); err != nil {
		t.Fatalf("ChainAdvance(10): %v", err)
	}
	big1 := new(big.Int).Lsh(big.NewInt(1), 255) // beyond int64: 2^255 wei
	big1.Add(big1, big.NewInt(7))
	b11 := chainBlock("a", "a", 11)
	t11a := chainTransfer(b11, "0xt11a", "0xaaa", 5, 0)
	t11b := chainTransfer(b11, "0xt11b", "0xbbb", 0, 3)
	t11b.Wei = big1
	if err := s.ChainAdvance(ctx, chain, b11, []store.ChainTransfer{t11b, t11a}, 3); err != nil {
		t.Fatalf("ChainAdvance(11): %v", err)
	}
	for _, bad := range []store.ChainBlock{
		chainBlock("a", "a", 11), // already there
		chainBlock("a", "a", 13), // a gap
		chainBlock("b", "b", 12), // another parent
	} {
		if err := s.ChainAdvance(ctx, chain, bad, nil, 3); !errors.Is(err, paylinks.ErrConflict) {
			t.Errorf("ChainAdvance(%d, parent %s) after 11: got %v, want ErrConflict", bad.Number, bad.ParentHash, err)
		}
	}
	// A transfer of no value is refused, and nothing of its block written.
	b12 := chainBlock("a", "a", 12)
	if err := s.ChainAdvance(ctx, chain, b12, []store.ChainTransfer{chainTransfer(b12, "0xzero", "0xaaa", 0, 0)}, 3); err == nil {
		t.Error("ChainAdvance with a zero transfer: got nil, want an error")
	}
	if h, err := s.ChainHead(ctx, chain); err != nil || *h != b11 {
		t.Fatalf("ChainHead after 11 and refused blocks: got %+v, %v; want %+v", h, err, b11)
	}

	// Both addresses are unobserved: since is beyond every block.
	act, err := s.ChainActivity(ctx, chain, 100)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string][]store.ChainTransfer{"0xaaa": {t11a}, "0xbbb": {t11b}}
	if !reflect.DeepEqual(act, want) {
		t.Errorf("ChainActivity after 11:\n got %+v\nwant %+v", act, want)
	}
	if err := s.ChainObserved(ctx, chain, []string{"0xaaa", "0xbbb"}); err != nil {
		t.Fatal(err)
	}
	if act, err := s.ChainActivity(ctx, chain, 100); err != nil || len(act) != 0 {
		t.Errorf("ChainActivity after ChainObserved: got %+v, %v; want nothing", act, err)
	}
	// Recent transfers: since 11 finds both, since 12 none.
	if act, err := s.ChainActivity(ctx, chain, 11); err != nil || !reflect.DeepEqual(act, want) {
		t.Errorf("ChainActivity(since 11):\n got %+v, %v\nwant %+v", act, err, want)
	}

	// More blocks; keep 3 forgets blocks below head-3.
	t12 := chainTransfer(b12, "0xt12", "0xaaa", 6, 1)
	if err := s.ChainAdvance(ctx, chain, b12, []store.ChainTransfer{t12}, 3); err != nil {
		t.Fatal(err)
	}
	b13, b14 := chainBlock("a", "a", 13), chainBlock("a", "a", 14)
	for _, b := range []store.ChainBlock{b13, b14} {
		if err := s.ChainAdvance(ctx, chain, b, nil, 3); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.ChainBlock(ctx, chain, 10); !errors.Is(err, paylinks.ErrNotFound) {
		t.Errorf("ChainBlock(10) with head 14 and keep 3: got %v, want ErrNotFound", err)
	}
	for _, b := range []store.ChainBlock{b11, b12, b13, b14} {
		if got, err := s.ChainBlock(ctx, chain, b.Number); err != nil || *got != b {
			t.Errorf("ChainBlock(%d): got %+v, %v; want %+v", b.Number, got, err, b)
		}
	}
	act, err = s.ChainActivity(ctx, chain, 12)
	if err != nil {
		t.Fatal(err)
	}
	if want := map[string][]store.ChainTransfer{"0xaaa": {t11a, t12}}; !reflect.DeepEqual(act, want) {
		t.Errorf("ChainActivity(since 12): every transfer of 0xaaa, in chain order:\n got %+v\nwant %+v", act, want)
	}
	if err := s.ChainObserved(ctx, chain, []string{"0xaaa"}); err != nil {
		t.Fatal(err)
	}

	// A reorganisation replaces 12..14: 0xaaa's transfer in 12 goes, and
	// 0xaaa is unobserved again; 11 stays.
	if err := s.ChainRewind(ctx, chain, 11); err != nil {
		t.Fatalf("ChainRewind(11): %v", err)
	}
	if h, err := s.ChainHead(ctx, chain); err != nil || *h != b11 {
		t.Errorf("ChainHead after rewind to 11: got %+v, %v; want %+v", h, err, b11)
	}
	act, err = s.ChainActivity(ctx, chain, 100)
	if err != nil {
		t.Fatal(err)
	}
	if want := map[string][]store.ChainTransfer{"0xaaa": {t11a}}; !reflect.DeepEqual(act, want) {
		t.Errorf("ChainActivity after the rewind:\n got %+v\nwant %+v", act, want)
	}
	// The same transaction, mined again in the new fork's block 12.
	b12b := chainBlock("b", "a", 12)
	t12b := chainTransfer(b12b, "0xt12", "0xaaa", 6, 0)
	if err := s.ChainAdvance(ctx, chain, b12b, []store.ChainTransfer{t12b}, 3); err != nil {
		t.Fatalf("ChainAdvance(12 of the new fork): %v", err)
	}
	act, err = s.ChainActivity(ctx, chain, 100)
	if err != nil {
		t.Fatal(err)
	}
	if want := map[string][]store.ChainTransfer{"0xaaa": {t11a, t12b}}; !reflect.DeepEqual(act, want) {
		t.Errorf("ChainActivity after the new fork's 12:\n got %+v\nwant %+v", act, want)
	}
	// A rewind that removes every transfer of an address leaves it
	// unobserved with an empty list.
	if err := s.ChainObserved(ctx, chain, []string{"0xaaa"}); err != nil {
		t.Fatal(err)
	}
	if err := s.ChainRewind(ctx, chain, 10); err != nil {
		t.Fatal(err)
	}
	act, err = s.ChainActivity(ctx, chain, 100)
	if err != nil {
		t.Fatal(err)
	}
	if want := map[string][]store.ChainTransfer{"0xaaa": {}, "0xbbb": {}}; !reflect.DeepEqual(act, want) {
		t.Errorf("ChainActivity after a rewind to 10:\n got %+v\nwant %+v", act, want)
	}

	// Chains are apart.
	if _, err := s.ChainHead(ctx, other); !errors.Is(err, paylinks.ErrNotFound) {
		t.Errorf("ChainHead of another chain: got %v, want ErrNotFound", err)
	}
	o5 := chainBlock("o", "o", 5)
	if err := s.ChainAdvance(ctx, other, o5, []store.ChainTransfer{chainTransfer(o5, "0xt11a", "0xaaa", 1, 0)}, 3); err != nil {
		t.Fatalf("ChainAdvance on another chain (same tx hash): %v", err)
	}
	act, err = s.ChainActivity(ctx, chain, 0)
	if err != nil {
		t.Fatal(err)
	}
	keys := make([]string, 0, len(act))
	for k := range act {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	if want := []string{"0xaaa", "0xbbb"}; !slices.Equal(keys, want) {
		t.Errorf("ChainActivity of chain %d after a transfer on chain %d: addresses %v, want %v", chain, other, keys, want)
	}
	if len(act["0xaaa"]) != 0 {
		t.Errorf("ChainActivity of chain %d shows chain %d's transfer: %+v", chain, other, act["0xaaa"])
	}
}
